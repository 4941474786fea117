/*
 * Fuzz target: kobj_decode_pod_metrics and kobj_decode_pod_metrics_list on
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
    struct kobj_pod_metrics o;
    if (kobj_decode_pod_metrics(j, &o, &err) == 0) {
        for (size_t i = 0; i < o.n_containers; i++)
            sink += (size_t)o.containers[i].cpu_milli + strlen(o.containers[i].name);
        kobj_pod_metrics_free(&o);
    } else {
        sink += strlen(kobj_error_format(&err, line, sizeof line));
    }
    struct kobj_pod_metrics_list l;
    if (kobj_decode_pod_metrics_list(j, &l, &err) == 0) {
        for (size_t i = 0; i < l.list.n_errors; i++)
            sink += strlen(kobj_error_format(&l.list.errors[i], line, sizeof line));
        sink += l.n_items;
        kobj_pod_metrics_list_free(&l);
    } else {
        sink += strlen(kobj_error_format(&err, line, sizeof line));
    }
    json_decref(j);
    return 0;
}
