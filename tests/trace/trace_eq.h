/*
 * trace_eq.h - test helpers: structural checks and equality of two traces
 * (everything but source and t0_unix_s, which say where a trace came from).
 */
#ifndef PS_TEST_TRACE_EQ_H
#define PS_TEST_TRACE_EQ_H

#include <stdio.h>
#include <string.h>

#include "podscaler/trace.h"

/* Returns NULL when t holds the invariants of trace.h, else what breaks. */
static inline const char *trace_check_invariants(const struct trace *t)
{
    size_t next = 0;
    int64_t tmax = INT64_MIN;
    for (size_t s = 0; s < t->n_series; s++) {
        const struct trace_series *se = &t->series[s];
        if (se->first != next || se->count == 0)
            return "series not contiguous";
        if (se->workload >= t->n_workloads || se->pod >= t->n_pods ||
            se->container >= t->n_containers)
            return "series index out of range";
        if (t->pod_workload[se->pod] != se->workload)
            return "pod of another workload";
        if (s > 0) {
            const struct trace_series *p = &t->series[s - 1];
            int ordered =
                p->workload < se->workload ||
                (p->workload == se->workload &&
                 (p->pod < se->pod || (p->pod == se->pod && p->container < se->container)));
            if (!ordered)
                return "series not sorted";
        }
        for (uint32_t i = 1; i < se->count; i++) {
            if (t->t_s[se->first + i] <= t->t_s[se->first + i - 1])
                return "t_s not strictly increasing";
        }
        if (t->t_s[se->first + se->count - 1] > tmax)
            tmax = t->t_s[se->first + se->count - 1];
        next += se->count;
    }
    if (next != t->n_samples)
        return "samples not covered by series";
    if (t->t_end_s != tmax)
        return "t_end_s is not the largest t_s";
    for (size_t i = 1; i < t->n_replicas; i++) {
        const struct trace_replicas *a = &t->replicas[i - 1], *b = &t->replicas[i];
        if (a->workload > b->workload || (a->workload == b->workload && a->t_s >= b->t_s))
            return "replicas not sorted";
    }
    return NULL;
}

static inline int col_eq(const int64_t *a, const int64_t *b, size_t n)
{
    if (!a || !b)
        return a == b;
    return memcmp(a, b, n * sizeof *a) == 0;
}

/* 0 when equal; else prints the first difference to why (why_len bytes). */
static inline int trace_compare(const struct trace *a, const struct trace *b, char *why,
                                size_t why_len)
{
#define DIFF(...)                                                                                  \
    do {                                                                                           \
        snprintf(why, why_len, __VA_ARGS__);                                                       \
        return 1;                                                                                  \
    } while (0)
    if (a->n_workloads != b->n_workloads || a->n_pods != b->n_pods ||
        a->n_containers != b->n_containers || a->n_series != b->n_series ||
        a->n_samples != b->n_samples || a->n_replicas != b->n_replicas)
        DIFF("counts differ: %zu/%zu/%zu/%zu/%zu/%zu vs %zu/%zu/%zu/%zu/%zu/%zu", a->n_workloads,
             a->n_pods, a->n_containers, a->n_series, a->n_samples, a->n_replicas, b->n_workloads,
             b->n_pods, b->n_containers, b->n_series, b->n_samples, b->n_replicas);
    for (size_t i = 0; i < a->n_workloads; i++)
        if (strcmp(a->workloads[i], b->workloads[i]))
            DIFF("workload %zu: %s vs %s", i, a->workloads[i], b->workloads[i]);
    for (size_t i = 0; i < a->n_pods; i++)
        if (strcmp(a->pods[i], b->pods[i]) || a->pod_workload[i] != b->pod_workload[i])
            DIFF("pod %zu: %s vs %s", i, a->pods[i], b->pods[i]);
    for (size_t i = 0; i < a->n_containers; i++)
        if (strcmp(a->containers[i], b->containers[i]))
            DIFF("container %zu: %s vs %s", i, a->containers[i], b->containers[i]);
    if (memcmp(a->series, b->series, a->n_series * sizeof *a->series))
        DIFF("series differ");
    size_t n = a->n_samples;
    if (!col_eq(a->t_s, b->t_s, n) || !col_eq(a->cpu_milli, b->cpu_milli, n) ||
        !col_eq(a->mem_bytes, b->mem_bytes, n))
        DIFF("sample columns differ");
    if (!col_eq(a->cpu_request_milli, b->cpu_request_milli, n) ||
        !col_eq(a->mem_request_bytes, b->mem_request_bytes, n) ||
        !col_eq(a->cpu_limit_milli, b->cpu_limit_milli, n) ||
        !col_eq(a->mem_limit_bytes, b->mem_limit_bytes, n))
        DIFF("request/limit columns differ");
    for (size_t i = 0; i < a->n_replicas; i++)
        if (a->replicas[i].workload != b->replicas[i].workload ||
            a->replicas[i].t_s != b->replicas[i].t_s ||
            a->replicas[i].replicas != b->replicas[i].replicas)
            DIFF("replica count %zu differs", i);
    if (a->t_end_s != b->t_end_s || a->step_s != b->step_s)
        DIFF("t_end_s/step_s %lld/%lld vs %lld/%lld", (long long)a->t_end_s, (long long)a->step_s,
             (long long)b->t_end_s, (long long)b->step_s);
#undef DIFF
    return 0;
}

#endif
