/*
 * bench_cycle - one full decision cycle of the pipeline (DESIGN.md section 7:
 * 10,000 workloads / 100,000 containers in under a second on one core): every
 * workload's step, as the controller will take it, for each built-in policy.
 *
 * Each workload runs 10 pods of one container with its own synthetic load (a
 * daily wave, noise, a per-pod spread). A day of 5-minute cycles is run first,
 * so that the histograms and windows hold history, then CYCLES more are timed;
 * decisions are applied as the controller would (replicas, requests). The
 * baseline is a bare loop over the same observations that reads every sample
 * and request and decides nothing.
 *
 * Prints per policy `decision_cycle_s: policy S` (the best timed cycle) and its
 * ratio to the baseline. A benchmark, never a timed test: scripts/bench runs it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/pipeline.h"
#include "podscaler/policy.h"

#include "bench_util.h"

enum { WORKLOADS = 10000, PODS = 10, MAX_PODS = 40, WARMUP = 288, CYCLES = 5 };
#define STEP_MS (300 * 1000)
#define T0_MS   INT64_C(1700000000000)

struct workload {
    struct pipeline_state *st;
    int32_t replicas;
    double base_cpu, base_mem, spread[MAX_PODS];
    double cpu[MAX_PODS], mem[MAX_PODS];
    int64_t cpu_req, mem_req, unset;
};

static uint64_t rng = BENCH_SEED;
static double uniform(void)
{
    return bench_uniform(&rng);
}

/* The usage of every pod at cycle k: the workload's load follows a daily wave
 * and is shared by its pods (the load part falls as pods are added). */
static void observe(struct workload *w, int k)
{
    const double wave = 1.0 + 0.6 * sin(6.283185307179586 * (double)k / 288.0);
    for (int j = 0; j < w->replicas; j++) {
        const double noise = 0.9 + 0.2 * uniform();
        w->cpu[j] = w->base_cpu * wave * noise * w->spread[j] * PODS / w->replicas;
        w->mem[j] = w->base_mem * (0.8 + 0.2 * wave) * w->spread[j];
    }
}

static double bare_cycle(struct workload *ws, int k)
{
    double sum = 0;
    for (int i = 0; i < WORKLOADS; i++) {
        struct workload *w = &ws[i];
        observe(w, k);
        for (int j = 0; j < w->replicas; j++)
            sum += w->cpu[j] + w->mem[j];
        sum += (double)(w->cpu_req + w->mem_req);
    }
    return sum;
}

static int cycle(struct workload *ws, int k, long *decisions)
{
    for (int i = 0; i < WORKLOADS; i++) {
        struct workload *w = &ws[i];
        observe(w, k);
        const struct pipeline_obs obs = {.now_ms = T0_MS + (int64_t)k * STEP_MS,
                                         .replicas = w->replicas,
                                         .n_containers = 1,
                                         .cpu_milli = w->cpu,
                                         .mem_bytes = w->mem,
                                         .cpu_request_milli = &w->cpu_req,
                                         .mem_request_bytes = &w->mem_req,
                                         .cpu_limit_milli = &w->unset,
                                         .mem_limit_bytes = &w->unset};
        struct pipeline_decision d;
        int rc = pipeline_step(w->st, &obs, &d);
        if (rc) {
            fprintf(stderr, "bench_cycle: step: %s\n", pipeline_strerror(rc));
            return rc;
        }
        if (d.scale) {
            w->replicas = d.replicas_after < 1          ? 1
                          : d.replicas_after > MAX_PODS ? MAX_PODS
                                                        : d.replicas_after;
            (*decisions)++;
        }
        if (d.resources) {
            w->cpu_req = d.cpu_request_milli[0];
            w->mem_req = d.mem_request_bytes[0];
            (*decisions)++;
        }
    }
    return 0;
}

int main(void)
{
    static struct workload ws[WORKLOADS];
    static const char *const names[1] = {"main"};
    /* The baseline, measured in the same run. */
    double bare = 1e30, sink = 0;
    for (int i = 0; i < WORKLOADS; i++) {
        ws[i].replicas = PODS;
        ws[i].cpu_req = 500;
        ws[i].mem_req = 512 << 20;
    }
    for (int r = 0; r < CYCLES; r++) {
        double a = bench_now_s();
        sink += bare_cycle(ws, r);
        double b = bench_now_s() - a;
        if (b < bare)
            bare = b;
    }
    printf("workloads: %d, containers: %d (%d pods of 1 container), %d warm-up cycles\n", WORKLOADS,
           WORKLOADS * PODS, PODS, WARMUP);
    printf("baseline (bare loop over the same observations): %.4f s\n", bare);

    int status = 0;
    for (const char *const *name = policy_builtin_names; *name; name++) {
        struct ps_policy p;
        if (!bench_builtin(*name, &p))
            continue;
        rng = BENCH_SEED;
        for (int i = 0; i < WORKLOADS; i++) {
            struct workload *w = &ws[i];
            w->replicas = PODS;
            w->base_cpu = 50 + 400 * uniform();
            w->base_mem = (100 + 500 * uniform()) * 1048576.0;
            for (int j = 0; j < MAX_PODS; j++)
                w->spread[j] = 0.8 + 0.4 * uniform();
            w->cpu_req = (int64_t)(w->base_cpu * 1.5);
            w->mem_req = (int64_t)(w->base_mem * 1.5);
            w->unset = POLICY_UNSET;
            if (pipeline_state_new(&p, 1, names, &w->st)) {
                fprintf(stderr, "bench_cycle: %s: cannot make a state\n", *name);
                return 1;
            }
        }
        long decisions = 0;
        int k = 0;
        for (; k < WARMUP && !status; k++)
            status = cycle(ws, k, &decisions);
        double best = 1e30;
        long timed = 0;
        for (int r = 0; r < CYCLES && !status; r++, k++) {
            long before = decisions;
            double a = bench_now_s();
            status = cycle(ws, k, &decisions);
            double b = bench_now_s() - a;
            timed += decisions - before;
            if (b < best)
                best = b;
        }
        for (int i = 0; i < WORKLOADS; i++)
            pipeline_state_free(ws[i].st);
        if (status)
            break;
        printf("decision_cycle_s: %-14s %.4f  (%.1f x baseline; %ld decisions in the %d timed "
               "cycles)\n",
               *name, best, best / bare, timed, CYCLES);
    }
    if (sink == 42.0)
        printf("\n"); /* keeps the baseline's reads from being optimized away */
    return status ? 1 : 0;
}
