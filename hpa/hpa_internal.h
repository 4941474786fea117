/*
 * hpa_internal.h - shared between the files of hpa/ only (not installed, not public).
 */
#ifndef PODSCALER_HPA_INTERNAL_H
#define PODSCALER_HPA_INTERNAL_H

#include "podscaler/hpa.h"

/* float64 -> int32 after ceil / truncation, saturating instead of Go's wrap. */
int32_t hpa__ceil_i32(double x);
int32_t hpa__trunc_i32(double x);
int64_t hpa__add_sat(int64_t a, int64_t b);

enum hpa_pod_class hpa__classify(const struct hpa_calc *c, const struct hpa_pod *p,
                                 const struct hpa_pod_sample *s, bool cpu_rules);

/* Which calculator a metric spec goes to (upstream's field tests, spec section 5.10). */
enum hpa_path {
    HPA_PATH_RESOURCE_UTILIZATION,
    HPA_PATH_RESOURCE_AVERAGE,
    HPA_PATH_PODS,
    HPA_PATH_OBJECT_VALUE,
    HPA_PATH_OBJECT_AVERAGE,
    HPA_PATH_EXTERNAL_VALUE,
    HPA_PATH_EXTERNAL_AVERAGE,
    HPA_PATH_NO_TARGET,
    HPA_PATH_BAD_TYPE,
};
enum hpa_path hpa__path(const struct hpa_metric_spec *m);

#endif
