/*
 * bench_util.h - what the benchmarks of bench/ share: a monotonic clock, a
 * deterministic generator (inputs the same from run to run, no libc rand state)
 * and the built-in policies.
 */
#ifndef PS_BENCH_UTIL_H
#define PS_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "podscaler/pipeline.h"
#include "podscaler/policy.h"

static inline double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define BENCH_SEED UINT64_C(0x9E3779B97F4A7C15)

/* xorshift64. */
static inline uint64_t bench_next_u64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Uniform in [0, 1). */
static inline double bench_uniform(uint64_t *state)
{
    return (double)(bench_next_u64(state) >> 11) * (1.0 / 9007199254740992.0);
}

/* The built-in policy `name` into *p, when this build has every core it needs;
 * else says so on stdout and returns 0. */
static inline int bench_builtin(const char *name, struct ps_policy *p)
{
    policy_builtin(name, p);
    if (pipeline_policy_available(p, NULL, 0) == 0)
        return 1;
    printf("policy %-14s not available in this build\n", name);
    return 0;
}

#endif
