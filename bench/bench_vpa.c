/*
 * bench_vpa - memory per tracked container of the vertical core.
 *
 * 100,000 tracked containers (ContainerState + AggregateContainerState with its
 * CPU and memory decaying histograms), fed 8 days of samples every 15 minutes with
 * realistic, spread usage: per-container base levels spread over three decades,
 * per-sample log-normal noise of 5-50%, daily cycles, memory drifting up. The
 * sparse bucket stores come from a size-class pool (below) whose carved bytes are
 * counted, so allocator slack is included. Prints the figure and the same run's
 * dense (upstream layout) figure, and checks on a sample of containers that the
 * dense form gives bit-identical percentiles.
 *
 * usage: bench_vpa [containers]
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/vpa.h"

#define PI 3.14159265358979323846

/* ---- a size-class pool: the caller-owned store behind vpa_allocator ----- */

#define CHUNK   (1u << 20)
#define CLASSES 256 /* 2 KiB: a full 176-bucket store is 1760 B */

struct pool {
    void *free_list[CLASSES];
    char *chunk;
    size_t chunk_left;
    size_t carved; /* bytes handed out from chunks (live or cached in free lists) */
    size_t chunks; /* chunks taken from malloc */
};

/* Blocks are rounded up to 8 bytes; class k holds blocks of 8 (k + 1) bytes. */
static size_t class_of(size_t n)
{
    return (n + 7) / 8 - 1;
}

static void *pool_realloc(void *ctx, void *p, size_t old, size_t n)
{
    struct pool *pl = ctx;
    void *q = NULL;
    if (n) {
        size_t k = class_of(n);
        if (k >= CLASSES)
            return NULL;
        if (pl->free_list[k]) {
            q = pl->free_list[k];
            pl->free_list[k] = *(void **)q;
        } else {
            size_t sz = 8 * (k + 1);
            if (pl->chunk_left < sz) {
                pl->chunk = malloc(CHUNK);
                if (!pl->chunk)
                    return NULL;
                pl->chunk_left = CHUNK;
                pl->chunks++;
            }
            q = pl->chunk;
            pl->chunk += sz;
            pl->chunk_left -= sz;
            pl->carved += sz;
        }
        if (p)
            memcpy(q, p, old < n ? old : n);
    }
    if (p) {
        size_t k = class_of(old);
        *(void **)p = pl->free_list[k];
        pl->free_list[k] = p;
    }
    return q;
}

/* ---- random usage -------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double uniform(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return ((rng * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(void)
{
    double u = uniform(), v = uniform();
    if (u < 1e-300)
        u = 1e-300;
    return sqrt(-2 * log(u)) * cos(2 * PI * v);
}

struct tracked {
    struct vpa_container c;
    struct vpa_aggregate a;
};

struct profile {
    double cpu_base, cpu_sigma, mem_base, mem_sigma, mem_drift;
};

#define DAY_MS  (86400LL * 1000)
#define STEP_MS (15LL * 60 * 1000)
#define DAYS    8

static void feed(struct tracked *t, const struct profile *p, int64_t now, struct vpa_dense_hist *dc,
                 struct vpa_dense_hist *dm)
{
    double phase = sin(2 * PI * (double)(now % DAY_MS) / (double)DAY_MS);
    double cpu = p->cpu_base * (1 + 0.3 * phase) * exp(p->cpu_sigma * gauss());
    double mem = p->mem_base * (1 + p->mem_drift * (double)now / (double)(DAYS * DAY_MS)) *
                 exp(p->mem_sigma * gauss());
    int64_t cpu_m = (int64_t)(cpu * 1000), mem_b = (int64_t)mem;
    struct vpa_hist_op ops[2];
    int n;
    if (dc) {
        /* The same decisions, replayed on the dense form. */
        struct vpa_container copy = t->c;
        if (vpa_container_plan_cpu(&copy, cpu_m, now, ops, &n) == 0)
            for (int i = 0; i < n; i++)
                vpa_dense_add(dc, ops[i].value, ops[i].weight, ops[i].t_ms);
        if (vpa_container_plan_memory(&copy, t->a.cfg, mem_b, now, 0, ops, &n) == 0)
            for (int i = 0; i < n; i++)
                (ops[i].subtract ? vpa_dense_subtract : vpa_dense_add)(dm, ops[i].value,
                                                                       ops[i].weight, ops[i].t_ms);
    }
    int rc = vpa_container_add_cpu(&t->c, &t->a, cpu_m, now);
    if (!rc)
        rc = vpa_container_add_memory(&t->c, &t->a, mem_b, now);
    if (rc) {
        fprintf(stderr, "bench_vpa: a sample was refused: %s\n", vpa_strerror(rc));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)atol(argv[1]) : 100000;
    const size_t check_every = 997;
    static struct pool pool;
    struct vpa_allocator alloc = {pool_realloc, &pool};
    struct vpa_hist_opts cpu, mem;
    struct vpa_agg_config cfg;
    vpa_hist_opts_cpu_default(&cpu, &alloc);
    vpa_hist_opts_memory_default(&mem, &alloc);
    vpa_agg_config_default(&cfg);

    struct tracked *t = calloc(n, sizeof *t);
    struct profile *p = calloc(n, sizeof *p);
    size_t nchk = n / check_every + 1;
    struct vpa_dense_hist *dense = calloc(2 * nchk, sizeof *dense);
    if (!t || !p || !dense)
        return 1;
    int64_t start = 1767225600000LL; /* 2026-01-01T00:00:00Z */
    for (size_t i = 0; i < n; i++) {
        vpa_container_init(&t[i].c);
        vpa_aggregate_init(&t[i].a, &cpu, &mem, DAY_MS, DAY_MS, &cfg, start);
        p[i].cpu_base = 0.01 * exp(uniform() * log(400.0)); /* 10m .. 4 cores */
        p[i].cpu_sigma = 0.05 + 0.45 * uniform();
        p[i].mem_base = 5e7 * exp(uniform() * log(80.0)); /* 50 MB .. 4 GB */
        p[i].mem_sigma = 0.02 + 0.18 * uniform();
        p[i].mem_drift = 0.5 * uniform();
        if (i % check_every == 0) {
            vpa_dense_init(&dense[2 * (i / check_every)], &cpu, DAY_MS);
            vpa_dense_init(&dense[2 * (i / check_every) + 1], &mem, DAY_MS);
        }
    }
    /* Samples arrive for every container at each step, as from metrics-server. */
    for (int64_t now = start; now < start + DAYS * DAY_MS; now += STEP_MS)
        for (size_t i = 0; i < n; i++) {
            int chk = i % check_every == 0;
            feed(&t[i], &p[i], now, chk ? &dense[2 * (i / check_every)] : NULL,
                 chk ? &dense[2 * (i / check_every) + 1] : NULL);
        }

    size_t mismatches = 0, checked = 0, buckets = 0;
    static const double ps[] = {0.0, 0.5, 0.9, 0.95, 0.99, 1.0};
    for (size_t i = 0; i < n; i++) {
        buckets += t[i].a.cpu.n + t[i].a.mem.n;
        if (i % check_every)
            continue;
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
            checked += 2;
            mismatches += vpa_hist_percentile(&t[i].a.cpu, ps[k]) !=
                          vpa_dense_percentile(&dense[2 * (i / check_every)], ps[k]);
            mismatches += vpa_hist_percentile(&t[i].a.mem, ps[k]) !=
                          vpa_dense_percentile(&dense[2 * (i / check_every) + 1], ps[k]);
        }
    }
    size_t fixed = sizeof(struct tracked);
    double per = (double)(n * fixed + pool.carved) / (double)n;
    double dense_per = (double)fixed - 2 * (double)sizeof(struct vpa_hist) +
                       (double)(vpa_dense_bytes(&cpu) + vpa_dense_bytes(&mem));
    printf("containers: %zu, samples per container: %lld cpu + %lld memory\n", n,
           (long long)(DAYS * DAY_MS / STEP_MS), (long long)(DAYS * DAY_MS / STEP_MS));
    printf("non-empty buckets per container: %.1f (cpu + memory)\n", (double)buckets / (double)n);
    printf("fixed state per container: %zu B, bucket stores (pool, incl. slack): %.1f B\n", fixed,
           (double)pool.carved / (double)n);
    printf("vpa_bytes_per_container: %.0f\n", per);
    printf("dense_bytes_per_container: %.0f (same state, upstream's dense arrays)\n", dense_per);
    printf("ratio sparse/dense: %.3f\n", per / dense_per);
    printf("percentiles compared with the dense form: %zu, mismatches: %zu\n", checked, mismatches);
    for (size_t i = 0; i < n; i++)
        vpa_aggregate_fini(&t[i].a);
    free(t);
    free(p);
    free(dense);
    return mismatches != 0 || per > 1024.0;
}
