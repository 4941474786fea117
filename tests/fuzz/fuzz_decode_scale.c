/*
 * Fuzz target: kobj_decode_scale on
 * arbitrary bytes parsed by jansson. Whatever the input: no crash, no leak,
 * and an error always formats to a non-empty line.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "podscaler/kobj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j)
        return 0;
    struct kobj_error err;
    char line[1024];
    struct kobj_scale o;
    if (kobj_decode_scale(j, &o, &err) == 0) {
        sink += o.selector ? strlen(o.selector) : 0;
        kobj_scale_free(&o);
    } else {
        sink += strlen(kobj_error_format(&err, line, sizeof line));
    }
    json_decref(j);
    return 0;
}
