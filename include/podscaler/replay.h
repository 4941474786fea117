/*
 * replay.h - what a policy would have done on recorded usage, and its cost.
 *
 * Replay runs the decision pipeline (pipeline.h) on a virtual clock over a
 * trace (trace.h), against a simulated cluster: per workload a replica count
 * and the requests and limits of each container, pods restarted when a
 * vertical change is applied by Recreate. Closed loop: when a policy runs m
 * replicas where the trace recorded n, each simulated pod's usage comes from
 * the model of docs/replay.md (per-pod usage = fixed part + load part / replicas,
 * fitted per workload, container and resource); the figures are estimates
 * under that model.
 *
 * Two steps: replay_input_new() prepares a trace once (time steps, the model
 * fit, initial requests) and any number of replay_run() calls, one per policy,
 * read it. Ownership: replay_input_new() allocates the input and keeps a
 * pointer to the trace, which must outlive it; replay_run() allocates the
 * result, released with replay_result_free(). Runs do not write the input, so
 * several may run on threads at once.
 */
#ifndef PODSCALER_REPLAY_H
#define PODSCALER_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "podscaler/pipeline.h"
#include "podscaler/policy.h"
#include "podscaler/trace.h"

/* Module error codes: policy.h and pipeline.h use the first of the range. */
enum {
    REPLAY_EINPUT = PS_ERANGE_REPLAY_FIRST - 10, /* the trace cannot be replayed */
    REPLAY_ERULE = PS_ERANGE_REPLAY_FIRST - 11,  /* a bad --initial-requests rule */
};

/* How the initial requests of each container are chosen (docs/replay.md). */
enum replay_rule_kind {
    REPLAY_RULE_AUTO = 0,     /* RECORDED when the trace has requests, else PERCENTILE 95 x 1.15 */
    REPLAY_RULE_RECORDED,     /* the median of the recorded requests and limits */
    REPLAY_RULE_PERCENTILE,   /* a percentile of per-pod usage over the whole trace, x factor */
    REPLAY_RULE_PER_RESOURCE, /* cpu and memory each a quantity or a percentile rule */
};

struct replay_rule {
    uint8_t kind;                 /* enum replay_rule_kind */
    double percentile;            /* 0..100, for PERCENTILE (100 is the maximum) */
    double factor;                /* multiplier, for PERCENTILE */
    int64_t cpu_milli, mem_bytes; /* PER_RESOURCE: the same value for every container, or 0 */
    /* PER_RESOURCE, a resource whose value is 0: its percentile and factor. */
    double cpu_percentile, cpu_factor, mem_percentile, mem_factor;
};

/* Parses "auto", "recorded", "pNN[*F]", "max[*F]" or "cpu=R,memory=R", each R a
 * quantity or "pNN[*F]" / "max[*F]". */
int replay_rule_parse(const char *text, struct replay_rule *out, char *err, size_t errlen);

/* What the model does for a resource of a workload whose recorded replica count
 * never varied, so that the fixed part cannot be fitted. */
enum replay_fallback {
    /* The idle floor (the lowest per-pod mean usage over the trace) is the fixed
     * part, the rest is load (default): the coordinator's own online estimate
     * (docs/coordination.md), so the world and the controller split usage alike. */
    REPLAY_FALLBACK_FLOOR = 0,
    REPLAY_FALLBACK_LOAD,  /* all usage is load, shared over the replicas */
    REPLAY_FALLBACK_FIXED, /* all usage is per pod: unchanged by the replica count */
};

/* Parses "load", "fixed", or "cpu=load|fixed,memory=load|fixed" (either part optional). */
int replay_fallback_parse(const char *text, uint8_t *cpu, uint8_t *mem, char *err, size_t errlen);

struct replay_input_opts {
    struct replay_rule rule;
    uint8_t fallback_cpu, fallback_mem; /* enum replay_fallback */
    int64_t from_s, to_s; /* replay only t_s in [from_s, to_s]; to_s < 0: to the end */
};

struct replay_input;

int replay_input_new(const struct trace *t, const struct replay_input_opts *opts,
                     struct replay_input **out, char *err, size_t errlen);
void replay_input_free(struct replay_input *in);

/* Read-only facts about a prepared input, for reports. */
struct replay_input_info {
    const char *source;
    size_t n_workloads;
    size_t n_samples; /* container samples replayed */
    int64_t step_s;   /* virtual clock step */
    int64_t n_steps;
    int64_t from_s, to_s;
    int has_requests;                        /* the trace recorded requests */
    const char *rule;                        /* the initial-requests rule, as text */
    const char *fallback_cpu, *fallback_mem; /* the model fallbacks: "load" or "fixed" */
};
void replay_input_get_info(const struct replay_input *in, struct replay_input_info *out);
const char *replay_input_workload(const struct replay_input *in, size_t w);

/* The fitted model of one workload and container (docs/replay.md). */
struct replay_model_fit {
    double cpu_fixed_milli, mem_fixed_bytes; /* per-pod fixed part */
    int fitted;                              /* 0: replicas never varied: the fallbacks */
    /* per resource: "fit", or the fallback used: "load" or "fixed" (all per pod) */
    const char *cpu_model, *mem_model;
};
int replay_input_model(const struct replay_input *in, size_t w, size_t c, const char **container,
                       struct replay_model_fit *out);

/* Scores (docs/replay.md has the exact definitions). A pod-sample is one
 * container of one simulated pod at one step of the virtual clock. */
struct replay_scores {
    double cpu_slack, mem_slack;
    double cpu_under_fraction, mem_over_request_fraction;
    int64_t oom_events;
    double oom_per_pod_day;
    int64_t scale_events, vertical_changes, pod_restarts;
    double changes_per_day_p99;
    double pod_hours, cpu_core_hours_requested, mem_gib_hours_requested;
    /* raw sums behind the ratios, so totals aggregate exactly */
    double cpu_slack_sum, cpu_request_sum, mem_slack_sum, mem_request_sum;
    int64_t pod_samples, cpu_under, mem_over;
};

/* Time series for charts, per workload and step, when asked for. The arrays
 * cover the workload's own steps, first_step (counted from the input's first
 * step) to first_step + n_steps - 1: from its first samples to its last. Outside
 * them the workload did not run: every value is 0 there. */
struct replay_series {
    int64_t first_step, n_steps;
    int32_t *replicas;    /* simulated pods; 0 where the workload did not run */
    float *cpu_use_milli; /* total over pods */
    float *cpu_req_milli; /* total requested */
    float *mem_use_bytes;
    float *mem_req_bytes;
};

struct replay_result {
    char policy[POLICY_NAME_MAX];
    struct replay_scores totals;
    size_t n_workloads;
    struct replay_scores *workloads;
    struct replay_series *series; /* n_workloads entries, or NULL */
    int64_t n_steps;
    size_t n_samples;
    double elapsed_s; /* filled by the caller that timed it, if any */
};

/* One decision, as given to the sink. The pointers are valid during the call. */
struct replay_decision {
    int64_t t_s;
    const char *workload;
    const char *policy;
    uint8_t kind; /* enum pipeline_kind */
    int32_t replicas_before, replicas_after;
    uint32_t n_containers;
    const char *const *containers;
    const int64_t *cpu_before, *mem_before, *cpu_after, *mem_after; /* requests */
    const int64_t *cpu_limit_before, *mem_limit_before, *cpu_limit_after, *mem_limit_after;
    uint8_t resources_touched;
    int32_t pods_restarted;
    const char *reason;
    /* Coordinated policies: the owner of cpu and memory at this decision (enum
     * coord_owner: 0 none, 1 horizontal, 2 vertical); NULL otherwise. For
     * PIPELINE_OWNERSHIP, the bottleneck before and after (enum coord_resource,
     * -1 none). */
    const uint8_t *owners;
    int8_t bottleneck_before, bottleneck_after;
    /* PIPELINE_RESOURCES: struct pipeline_decision's cap_counted. */
    int8_t cap_counted;
};

/* The replay's plug-ins: where decisions go and how progress is shown. */
struct replay_sink {
    void *ctx;
    /* Each decision; a non-zero return stops the run with that code. May be NULL. */
    int (*decision)(void *ctx, const struct replay_decision *d);
    /* done of total input samples so far; called a few hundred times per run. May be NULL. */
    void (*progress)(void *ctx, size_t done, size_t total);
};

struct replay_run_opts {
    int series; /* record struct replay_series for charts */
};

/* Replays policy p. Fails with PIPELINE_EUNAVAILABLE (reason in err) when the
 * policy needs a core not built in: never a partial result. */
int replay_run(const struct replay_input *in, const struct ps_policy *p,
               const struct replay_run_opts *opts, const struct replay_sink *sink,
               struct replay_result **out, char *err, size_t errlen);
void replay_result_free(struct replay_result *r);

/* ---- reports (engine/replay_output.c) ---- */

enum replay_format {
    REPLAY_FORMAT_TABLE = 0,
    REPLAY_FORMAT_JSON,
    REPLAY_FORMAT_CSV,
    REPLAY_FORMAT_HTML,
};

/* "table", "json", "csv" or "html"; 0 or PS_EINVAL. */
int replay_format_parse(const char *text, enum replay_format *out);

/* replay_write flags. */
#define REPLAY_WRITE_PER_WORKLOAD 1u /* table: a block per workload after the totals */

/* Writes the side-by-side result of n runs of the same input. The HTML
 * format needs runs made with replay_run_opts.series (else PS_EINVAL). 0 or PS_EIO. */
int replay_write(FILE *f, enum replay_format fmt, const struct replay_input *in,
                 struct replay_result *const *runs, size_t n, unsigned flags);

/* A replay_sink.decision writing one JSON line per decision to ctx, a FILE *. */
int replay_decision_jsonl(void *ctx, const struct replay_decision *d);

/* The caveat every report carries with its figures. */
extern const char replay_model_caveat[];

const char *replay_strerror(int code);

#endif
