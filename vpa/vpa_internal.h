/*
 * vpa_internal.h - functions shared between the files of vpa/ (not public).
 */
#ifndef PODSCALER_VPA_INTERNAL_H
#define PODSCALER_VPA_INTERNAL_H

#include "podscaler/vpa.h"

/* Makes sure adding the k values to h needs no allocation. */
int vpa__hist_reserve_values(struct vpa_hist *h, const double *values, int k);
/* Validates cp against h and reserves what loading it needs; loading is then
 * vpa__hist_load_commit, which cannot fail. */
int vpa__hist_load_prepare(struct vpa_hist *h, const struct vpa_hist_checkpoint *cp);
void vpa__hist_load_commit(struct vpa_hist *h, const struct vpa_hist_checkpoint *cp);
/* a - b in nanoseconds, saturating like Go's Time.Sub. */
int64_t vpa__sub_ns(int64_t a_ms, int64_t b_ms);

#endif
