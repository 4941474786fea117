/*
 * bench_hpa - decisions per second of the hpa core for 10,000 workloads x 10 pods with two
 * metrics each (cpu utilization and a pods metric), next to the same run's baseline: a bare
 * loop that reads the same input (every sample and request) and does no decision.
 *
 * Prints `hpa_decisions_per_s: N` and the ratio decision time / baseline time. A benchmark,
 * never a timed test: run it by hand or from scripts/bench.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/hpa.h"

#include "bench_util.h"

enum { WORKLOADS = 10000, PODS = 10, METRICS = 2, ROUNDS = 20 };

struct workload {
    struct hpa_container containers[PODS][2];
    struct hpa_pod pods[PODS];
    struct hpa_pod_sample cpu[PODS];
    struct hpa_pod_sample qps[PODS];
    struct hpa_metric_input inputs[METRICS];
    struct hpa_input in;
};

static struct hpa_metric_spec metric_specs[METRICS];
static struct hpa_spec spec;

static uint64_t rng = BENCH_SEED;
static uint64_t next_u64(void)
{
    return bench_next_u64(&rng);
}

static void build(struct workload *w, int64_t now_ms)
{
    int64_t load = 200 + (int64_t)(next_u64() % 1200); /* milli-cpu per pod around target */
    for (int p = 0; p < PODS; p++) {
        for (int c = 0; c < 2; c++) {
            w->containers[p][c].name = c ? "sidecar" : "app";
            w->containers[p][c].request_mask = 1u << HPA_RES_CPU;
            w->containers[p][c].request_milli[HPA_RES_CPU] = 500;
        }
        struct hpa_pod *pod = &w->pods[p];
        pod->name = "pod";
        pod->phase = HPA_PHASE_RUNNING;
        pod->ready = HPA_CS_TRUE;
        pod->has_start_time = true;
        pod->start_time_ms = now_ms - 3600 * 1000;
        pod->ready_transition_ms = pod->start_time_ms + 5000;
        pod->containers = w->containers[p];
        pod->n_containers = 2;
        int64_t jitter = (int64_t)(next_u64() % 200) - 100;
        w->cpu[p] = (struct hpa_pod_sample){true, load + jitter, now_ms, 60000};
        w->qps[p] = (struct hpa_pod_sample){true, (load + jitter) * 20, now_ms, 60000};
    }
    for (int m = 0; m < METRICS; m++) {
        memset(&w->inputs[m], 0, sizeof w->inputs[m]);
        w->inputs[m].fetch = HPA_FETCH_OK;
        w->inputs[m].pod_samples = m == 0 ? w->cpu : w->qps;
    }
    memset(&w->in, 0, sizeof w->in);
    w->in.scale_ok = true;
    w->in.spec_replicas = PODS;
    w->in.status_replicas = PODS;
    w->in.status_desired_replicas = PODS;
    w->in.selector = HPA_SELECTOR_OK;
    w->in.pods = w->pods;
    w->in.n_pods = PODS;
    w->in.metrics = w->inputs;
}

/* The baseline: touch every value a decision reads, decide nothing. */
static int64_t bare_loop(const struct workload *ws)
{
    int64_t sum = 0;
    for (int i = 0; i < WORKLOADS; i++) {
        const struct workload *w = &ws[i];
        for (int m = 0; m < METRICS; m++) {
            const struct hpa_pod_sample *s = w->inputs[m].pod_samples;
            for (int p = 0; p < PODS; p++) {
                const struct hpa_pod *pod = &w->pods[p];
                sum += s[p].value_milli + s[p].timestamp_ms + pod->start_time_ms +
                       pod->containers[0].request_milli[HPA_RES_CPU] +
                       pod->containers[1].request_milli[HPA_RES_CPU] + (pod->phase == 2);
            }
        }
    }
    return sum;
}

int main(void)
{
    int64_t t0 = INT64_C(1784160000000);
    struct workload *ws = calloc(WORKLOADS, sizeof *ws);
    struct hpa_state *states = calloc(WORKLOADS, sizeof *states);
    struct hpa_decision *d = calloc(1, sizeof *d);
    if (!ws || !states || !d) {
        fprintf(stderr, "bench_hpa: out of memory\n");
        return 1;
    }
    for (int i = 0; i < WORKLOADS; i++) {
        build(&ws[i], t0);
        hpa_state_init(&states[i]);
    }
    hpa_metric_spec_default(&metric_specs[0]);
    metric_specs[0].target.average_utilization = 70;
    metric_specs[1].type = HPA_METRIC_PODS;
    metric_specs[1].name = "requests_per_second";
    metric_specs[1].target.type = HPA_TARGET_AVERAGE_VALUE;
    metric_specs[1].target.has_average_value = true;
    metric_specs[1].target.average_value_milli = 15000;
    spec.has_min_replicas = true;
    spec.min_replicas = 2;
    spec.max_replicas = 50;
    spec.metrics = metric_specs;
    spec.n_metrics = METRICS;
    struct hpa_config cfg;
    hpa_config_default(&cfg);

    /* Decisions: ROUNDS passes over every workload, 15 s apart (the sync period). */
    long decisions = 0, rescales = 0;
    double start = bench_now_s();
    for (int r = 0; r < ROUNDS; r++) {
        int64_t now = t0 + (int64_t)r * 15000;
        for (int i = 0; i < WORKLOADS; i++) {
            if (hpa_reconcile(&cfg, &spec, &ws[i].in, &states[i], now, d) != 0) {
                fprintf(stderr, "bench_hpa: reconcile failed: %s\n", hpa_strerror(d->err));
                return 1;
            }
            if (d->rescale) {
                hpa_commit(&cfg, &spec, &states[i], d, 0, now);
                rescales++;
            }
            decisions++;
        }
    }
    double t_decide = bench_now_s() - start;

    volatile int64_t sink = 0;
    start = bench_now_s();
    for (int r = 0; r < ROUNDS; r++)
        sink += bare_loop(ws);
    double t_bare = bench_now_s() - start;
    (void)sink;

    printf("hpa_workloads: %d pods: %d metrics: %d rounds: %d rescales: %ld\n", WORKLOADS, PODS,
           METRICS, ROUNDS, rescales);
    printf("hpa_decisions_per_s: %.0f\n", (double)decisions / t_decide);
    printf("hpa_baseline_loops_per_s: %.0f\n", (double)decisions / t_bare);
    printf("hpa_decision_vs_baseline_ratio: %.2f\n", t_decide / t_bare);
    free(d);
    free(states);
    free(ws);
    return 0;
}
