/*
 * The whole decision pipeline on arbitrary traces, replayed over any CSV the
 * reader accepts: every built-in policy, `coordinated` with memory as its fixed
 * bottleneck, and a coordinated policy varied by the input. The first byte
 * picks the initial requests and the model fallback, the second the variant;
 * the rest is the CSV. Whatever the input:
 * - nothing crashes, and a trace the reader accepted always replays;
 * - every score is a finite number in its range;
 * - every scale stays within the policy's replica bounds;
 * - no resources decision of a coordinated policy changes a request the
 *   horizontal scaler owned (rule 4, checked as tests/coord/check_decisions.py
 *   checks it from --decisions).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/coord.h"
#include "podscaler/pipeline.h"
#include "podscaler/policy.h"
#include "podscaler/replay.h"
#include "podscaler/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bounds {
    int32_t min_replicas, max_replicas;
};

static int check_decision(void *ctx, const struct replay_decision *d)
{
    const struct bounds *b = ctx;
    if (d->kind == PIPELINE_SCALE &&
        (d->replicas_after < b->min_replicas || d->replicas_after > b->max_replicas))
        abort();
    if (d->kind != PIPELINE_RESOURCES || !d->owners)
        return 0;
    for (int r = 0; r < COORD_NRES; r++) {
        if (d->owners[r] != COORD_OWNER_HORIZONTAL)
            continue;
        if (d->resources_touched & POLICY_RES_BIT(r))
            abort();
        const int64_t *before = r == COORD_CPU ? d->cpu_before : d->mem_before;
        const int64_t *after = r == COORD_CPU ? d->cpu_after : d->mem_after;
        for (uint32_t c = 0; c < d->n_containers; c++)
            if (before[c] != after[c])
                abort();
    }
    return 0;
}

static void check_fraction(double x)
{
    if (!isfinite(x) || x < 0 || x > 1)
        abort();
}

static void check_scores(const struct replay_scores *s)
{
    check_fraction(s->cpu_slack);
    check_fraction(s->mem_slack);
    check_fraction(s->cpu_under_fraction);
    check_fraction(s->mem_over_request_fraction);
    const double nonneg[] = {s->oom_per_pod_day, s->changes_per_day_p99, s->pod_hours,
                             s->cpu_core_hours_requested, s->mem_gib_hours_requested};
    for (size_t i = 0; i < sizeof nonneg / sizeof nonneg[0]; i++)
        if (!isfinite(nonneg[i]) || nonneg[i] < 0)
            abort();
    if (s->oom_events < 0 || s->scale_events < 0 || s->vertical_changes < 0 || s->pod_restarts < 0)
        abort();
}

static void replay_one(const struct replay_input *in, const struct ps_policy *p)
{
    struct bounds b = {p->horizontal.enabled ? p->horizontal.min_replicas : 0,
                       p->horizontal.enabled ? p->horizontal.max_replicas : INT32_MAX};
    if (b.min_replicas < 1)
        b.min_replicas = 1;
    struct replay_sink sink = {.ctx = &b, .decision = check_decision};
    struct replay_result *res = NULL;
    char err[256];
    /* The input passed the reader's validation: any error now is the pipeline's
     * (a rule-4 violation it caught itself is one), but for a core not built in. */
    const int rc = replay_run(in, p, &(struct replay_run_opts){0}, &sink, &res, err, sizeof err);
    if (rc == PIPELINE_EUNAVAILABLE && !res)
        return;
    if (rc != 0 || !res)
        abort();
    check_scores(&res->totals);
    for (size_t w = 0; w < res->n_workloads; w++)
        check_scores(&res->workloads[w]);
    replay_result_free(res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    static const char *const rules[] = {"auto", "max*1.2", "recorded", "cpu=100m,memory=64Mi"};
    static const char *const fallbacks[] = {"cpu=floor,memory=floor", "load", "fixed",
                                            "cpu=load,memory=fixed"};
    struct replay_input_opts opts = {.to_s = -1};
    char err[256];
    if (replay_rule_parse(rules[data[0] & 3], &opts.rule, err, sizeof err) != 0 ||
        replay_fallback_parse(fallbacks[(data[0] >> 2) & 3], &opts.fallback_cpu, &opts.fallback_mem,
                              err, sizeof err) != 0)
        abort();
    struct trace_load_opts lo = {.skip_bad_rows = (data[0] >> 4) & 1, .max_samples = 4000};
    struct trace *t = NULL;
    struct trace_error terr;
    if (trace_parse_csv_buffer((const char *)data + 2, size - 2, "fuzz.csv", &lo, &t, &terr) != 0)
        return 0;
    /* Two days of virtual clock at most: a trace's times may lie years apart,
     * and every step costs the same whether or not it has samples. */
    opts.from_s = t->t_start_s;
    opts.to_s = t->t_start_s + 2 * 86400;
    struct replay_input *in = NULL;
    if (replay_input_new(t, &opts, &in, err, sizeof err) == 0) {
        static const char *const builtins[] = {"static", "hpa", "vpa", "hpa+vpa-naive",
                                               "coordinated"};
        struct ps_policy p;
        for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
            if (policy_builtin(builtins[i], &p) != 0)
                abort();
            replay_one(in, &p);
        }
        if (policy_builtin("coordinated", &p) != 0)
            abort();
        p.bottleneck = POLICY_BOTTLENECK_MEMORY;
        replay_one(in, &p);
        /* The second byte varies the coordinated policy over what its fields
         * allow, so that every gate and rule of the coordinator is reached. */
        const uint8_t v = data[1];
        if (policy_builtin("coordinated", &p) != 0)
            abort();
        p.bottleneck = (uint8_t)(v & 3); /* Auto, cpu, memory, metrics */
        p.coordination.release_at_min = (int8_t)((v >> 2) & 1);
        p.coordination.has_release_at_min = 1;
        p.coordination.lower_after_s = (v >> 3) & 1 ? 3600 : 0;
        p.coordination.group_settle_s = (v >> 4) & 1 ? 0 : 7200;
        p.coordination.has_group_settle = 1;
        p.coordination.max_vertical_changes_per_day = (v >> 5) & 1 ? 1 : 4;
        p.coordination.has_max_changes = 1;
        p.vertical.update_mode = (v >> 6) & 1 ? POLICY_UPDATE_RECREATE : POLICY_UPDATE_IN_PLACE;
        p.horizontal.min_replicas = (v >> 7) & 1 ? 3 : 1;
        p.vertical.min_replicas = p.horizontal.min_replicas;
        replay_one(in, &p);
        replay_input_free(in);
    }
    trace_free(t);
    return 0;
}
