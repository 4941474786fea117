/*
 * The CSV trace reader on arbitrary bytes, with and without skip_bad_rows.
 * Whatever the input, it must not crash, and a trace it accepts must hold the
 * invariants of trace.h (checked here, so the fuzzer finds violations too).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "podscaler/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct trace *t)
{
    size_t next = 0;
    for (size_t s = 0; s < t->n_series; s++) {
        const struct trace_series *se = &t->series[s];
        if (se->first != next || se->count == 0 || se->workload >= t->n_workloads ||
            se->pod >= t->n_pods || se->container >= t->n_containers ||
            t->pod_workload[se->pod] != se->workload)
            abort();
        for (uint32_t i = 1; i < se->count; i++) {
            if (t->t_s[se->first + i] <= t->t_s[se->first + i - 1] ||
                t->t_s[se->first + i] > t->t_end_s)
                abort();
        }
        if (t->cpu_milli[se->first] < 0 || t->mem_bytes[se->first] < 0 ||
            t->t_s[se->first] < t->t_start_s)
            abort();
        next += se->count;
    }
    if (next != t->n_samples)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int skip = 0; skip < 2; skip++) {
        struct trace_load_opts opts = {.skip_bad_rows = skip, .max_samples = 100000};
        struct trace *t = NULL;
        struct trace_error err;
        if (trace_parse_csv_buffer((const char *)data, size, "fuzz.csv", &opts, &t, &err) == 0) {
            check(t);
            trace_free(t);
        } else if (t) {
            abort();
        }
    }
    return 0;
}
