/*
 * vpa_libc.h - a struct vpa_allocator on libc's realloc and free, for the
 * callers of the VPA core that keep no pool of their own (the pipeline, the
 * vector runner, the fuzz targets, the benches). The core itself never
 * allocates: it asks the allocator its histogram options name.
 */
#ifndef PODSCALER_VPA_LIBC_H
#define PODSCALER_VPA_LIBC_H

#include "podscaler/vpa.h"

extern const struct vpa_allocator vpa_libc_allocator;

#endif
