/*
 * The libc-backed vpa_allocator (include/podscaler/vpa_libc.h).
 */
#include <stdlib.h>

#include "podscaler/vpa_libc.h"

static void *libc_realloc(void *ctx, void *ptr, size_t old_size, size_t new_size)
{
    (void)ctx;
    (void)old_size;
    if (new_size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, new_size);
}

const struct vpa_allocator vpa_libc_allocator = {libc_realloc, NULL};
