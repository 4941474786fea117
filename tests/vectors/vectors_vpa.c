#include <stdio.h>

#include "vectors.h"

/* The vpa core has not landed yet: every vector fails as not implemented. */
int vectors_run_vpa(json_t *root, struct vec_ctx *ctx)
{
    json_t *vectors = json_object_get(root, "vectors");
    if (!json_is_array(vectors))
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v) {
        const char *id = json_string_value(json_object_get(v, "id"));
        vec_fail(ctx, id, "not implemented");
    }
    return 0;
}
