/*
 * bench_ingest: one poll of the controller's ingest path, against jansson's bare
 * parse of the same document (DESIGN.md section 7: within 1.5x).
 *
 * The ingest of a poll is what a controller does with the PodMetricsList
 * metrics-server answers:
 *   parse      json_loadb of the body, as the kube client does
 *   decode     kobj_decode_pod_metrics_list: names, quantities, timestamps
 *   histories  each container's CPU sample and memory peak into its workload's
 *              VPA aggregate (vpa_container_add_cpu / _add_memory)
 *   store      one store_add_sample per container, one batch (transaction) per
 *              poll, into a real SQLite history in a temporary directory
 * The baseline is json_loadb and json_decref of the same documents.
 *
 * The documents are metrics-server's shape (labels, timestamp, window, usage in
 * nano-cores and Ki), one per poll 15 s apart, generated from a fixed seed.
 * Pod names are looked up in a table made before the clock starts, as the
 * recorder keeps its pod-to-workload cache between polls. The history already
 * holds an hour of polls (PREFILL) when the timed polls begin: a history keyed
 * by container first (schema version 2) took 2.35 x the parse per poll after
 * two hours, and more as it grew; keyed by time (version 3) it stays flat.
 *
 * Usage: bench_ingest [PODS]   (default 20000 pods of 1 to 3 containers)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "podscaler/kobj.h"
#include "podscaler/store.h"
#include "podscaler/vpa.h"
#include "podscaler/vpa_libc.h"

#include "bench_util.h"

#define POLLS 12
#ifndef PREFILL
#define PREFILL 240 /* polls already in the history: an hour at 15 s */
#endif
#define RUNS         3
#define PODS_PER_WL  10
#define POLL_S       15
#define T0_S         INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define HALF_LIFE_MS (INT64_C(86400) * 1000)
#define MAX_CONT     3

static const char *const cont_names[MAX_CONT] = {"app", "istio-proxy", "log-shipper"};

struct pod {
    char name[80];
    char workload[24];
    int n_c;
    double cpu_m[MAX_CONT], mem_b[MAX_CONT]; /* the level each container's usage moves about */
    struct vpa_container vc[MAX_CONT];
};

/* Pod name -> index, open addressing; built once, read in the timed loop. */
struct name_table {
    int32_t *slot;
    size_t mask;
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);
    while (*s)
        h = (h ^ (unsigned char)*s++) * UINT64_C(1099511628211);
    return h;
}

static int table_build(struct name_table *t, const struct pod *pods, size_t n)
{
    size_t cap = 1;
    while (cap < 2 * n)
        cap <<= 1;
    t->slot = malloc(cap * sizeof *t->slot);
    if (!t->slot)
        return -1;
    memset(t->slot, 0xff, cap * sizeof *t->slot);
    t->mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)hash_name(pods[i].name) & t->mask;
        while (t->slot[h] >= 0)
            h = (h + 1) & t->mask;
        t->slot[h] = (int32_t)i;
    }
    return 0;
}

static int table_find(const struct name_table *t, const struct pod *pods, const char *name)
{
    size_t h = (size_t)hash_name(name) & t->mask;
    while (t->slot[h] >= 0) {
        if (strcmp(pods[t->slot[h]].name, name) == 0)
            return t->slot[h];
        h = (h + 1) & t->mask;
    }
    return -1;
}

/* Appends to a growing buffer; exits on failure (a bench, not a library). */
struct buf {
    char *p;
    size_t len, cap;
};

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0)
            exit(1);
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 1 << 20;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (!grown)
            exit(1);
        b->p = grown;
        b->cap = cap;
    }
}

static void stamp(char out[32], int64_t t_s)
{
    time_t tt = (time_t)t_s;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void make_doc(struct buf *b, const struct pod *pods, size_t n, int poll, uint64_t *rng)
{
    char ts[32], created[32];
    stamp(ts, T0_S + (int64_t)poll * POLL_S);
    stamp(created, T0_S - 3600);
    b->len = 0;
    buf_printf(b, "{\"kind\":\"PodMetricsList\",\"apiVersion\":\"metrics.k8s.io/v1beta1\","
                  "\"metadata\":{\"resourceVersion\":\"\"},\"items\":[");
    for (size_t i = 0; i < n; i++) {
        const struct pod *p = &pods[i];
        const char *hash = p->name + strlen(p->workload) + 1;
        buf_printf(b,
                   "%s{\"metadata\":{\"name\":\"%s\",\"namespace\":\"shop\","
                   "\"creationTimestamp\":\"%s\",\"labels\":{\"app\":\"%s\","
                   "\"pod-template-hash\":\"%.10s\"}},\"timestamp\":\"%s\",\"window\":\"15.%03ds\","
                   "\"containers\":[",
                   i ? "," : "", p->name, created, p->workload, hash, ts,
                   (int)(bench_next_u64(rng) % 1000));
        for (int c = 0; c < p->n_c; c++) {
            double f = 0.5 + bench_uniform(rng);
            long long cpu_n = (long long)(p->cpu_m[c] * f * 1e6);
            long long mem_ki = (long long)(p->mem_b[c] * (0.9 + 0.2 * bench_uniform(rng)) / 1024);
            buf_printf(b, "%s{\"name\":\"%s\",\"usage\":{\"cpu\":\"%lldn\",\"memory\":\"%lldKi\"}}",
                       c ? "," : "", cont_names[c], cpu_n, mem_ki);
        }
        buf_printf(b, "]}");
    }
    buf_printf(b, "]}");
}

struct histories {
    struct vpa_hist_opts cpu, mem;
    struct vpa_agg_config cfg;
    struct vpa_aggregate *agg; /* [workload][container name] */
    size_t n_agg;
};

static int histories_init(struct histories *h, size_t n_wl)
{
    vpa_hist_opts_cpu_default(&h->cpu, &vpa_libc_allocator);
    vpa_hist_opts_memory_default(&h->mem, &vpa_libc_allocator);
    vpa_agg_config_default(&h->cfg);
    h->n_agg = n_wl * MAX_CONT;
    h->agg = calloc(h->n_agg, sizeof *h->agg);
    if (!h->agg)
        return -1;
    for (size_t i = 0; i < h->n_agg; i++)
        vpa_aggregate_init(&h->agg[i], &h->cpu, &h->mem, HALF_LIFE_MS, HALF_LIFE_MS, &h->cfg,
                           T0_S * 1000);
    return 0;
}

static void histories_fini(struct histories *h)
{
    for (size_t i = 0; i < h->n_agg; i++)
        vpa_aggregate_fini(&h->agg[i]);
    free(h->agg);
}

struct counts {
    size_t samples, unknown, rejected;
    double t_parse, t_decode, t_rest, t_commit; /* seconds, summed over the polls */
};

/* One poll: the timed work. Returns 0, or -1 when a step fails. */
static int ingest(const struct buf *doc, struct pod *pods, const struct name_table *names,
                  struct histories *h, struct store *st, struct counts *n)
{
    json_error_t jerr;
    double t0 = bench_now_s();
    json_t *j = json_loadb(doc->p, doc->len, 0, &jerr);
    double t1 = bench_now_s();
    if (!j) {
        fprintf(stderr, "bench_ingest: parse: %s\n", jerr.text);
        return -1;
    }
    struct kobj_pod_metrics_list ml = {0};
    struct kobj_error err;
    int rc = kobj_decode_pod_metrics_list(j, &ml, &err);
    json_decref(j);
    double t2 = bench_now_s();
    if (rc) {
        char line[512];
        fprintf(stderr, "bench_ingest: decode: %s\n", kobj_error_format(&err, line, sizeof line));
        return -1;
    }
    rc = store_begin_batch(st);
    for (size_t i = 0; i < ml.n_items && rc == 0; i++) {
        const struct kobj_pod_metrics *m = &ml.items[i];
        int pi = table_find(names, pods, m->meta.name);
        if (pi < 0) {
            n->unknown++;
            continue;
        }
        struct pod *p = &pods[pi];
        size_t wl = (size_t)pi / PODS_PER_WL;
        for (size_t c = 0; c < m->n_containers && rc == 0; c++) {
            const struct kobj_container_usage *u = &m->containers[c];
            int k = 0;
            while (k < p->n_c && strcmp(cont_names[k], u->name) != 0)
                k++;
            if (k == p->n_c) {
                n->unknown++;
                continue;
            }
            struct vpa_aggregate *a = &h->agg[wl * MAX_CONT + (size_t)k];
            if (vpa_container_add_cpu(&p->vc[k], a, u->cpu_milli, m->timestamp_ms) ||
                vpa_container_add_memory(&p->vc[k], a, u->mem_bytes, m->timestamp_ms))
                n->rejected++;
            rc = store_add_sample(st, p->workload, m->meta.name, u->name, m->timestamp_ms / 1000,
                                  u->cpu_milli, u->mem_bytes);
            n->samples++;
        }
    }
    kobj_pod_metrics_list_free(&ml);
    double t3 = bench_now_s();
    if (rc) {
        fprintf(stderr, "bench_ingest: store: %s\n", store_errmsg(st));
        store_rollback_batch(st);
        return -1;
    }
    if (store_commit_batch(st)) {
        fprintf(stderr, "bench_ingest: commit: %s\n", store_errmsg(st));
        return -1;
    }
    n->t_parse += t1 - t0;
    n->t_decode += t2 - t1;
    n->t_rest += t3 - t2;
    n->t_commit += bench_now_s() - t3;
    return 0;
}

/* json_loadb and json_decref of every document; *loadb_s gets json_loadb's share. */
static double bare_parse(const struct buf *docs, int n_docs, double *loadb_s)
{
    double t0 = bench_now_s();
    *loadb_s = 0;
    for (int i = 0; i < n_docs; i++) {
        double t1 = bench_now_s();
        json_t *j = json_loadb(docs[i].p, docs[i].len, 0, NULL);
        *loadb_s += bench_now_s() - t1;
        if (!j)
            return -1;
        json_decref(j);
    }
    return bench_now_s() - t0;
}

/* One ingest run of every document into the history and into fresh histories. */
static double ingest_run(const struct buf *docs, int n_docs, struct pod *pods, size_t n_pods,
                         const struct name_table *names, struct store *st, struct counts *n)
{
    struct histories h;
    if (histories_init(&h, n_pods / PODS_PER_WL + 1))
        return -1;
    for (size_t i = 0; i < n_pods; i++)
        for (int c = 0; c < MAX_CONT; c++)
            vpa_container_init(&pods[i].vc[c]);
    memset(n, 0, sizeof *n);
    double t0 = bench_now_s();
    for (int i = 0; i < n_docs; i++) {
        if (ingest(&docs[i], pods, names, &h, st, n)) {
            histories_fini(&h);
            return -1;
        }
    }
    double dt = bench_now_s() - t0;
    histories_fini(&h);
    return dt;
}

/* A recorder that has run for a while: the history holds PREFILL polls of
 * every container (and so every name) before the first timed poll. How long
 * the history is matters to where a poll's rows land. */
static int prefill(struct store *st, const struct pod *pods, size_t n_pods)
{
    int rc = 0;
    for (int k = PREFILL; k > 0 && rc == 0; k--) {
        const int64_t t = T0_S - (int64_t)k * POLL_S;
        rc = store_begin_batch(st);
        for (size_t i = 0; i < n_pods && rc == 0; i++)
            for (int c = 0; c < pods[i].n_c && rc == 0; c++)
                rc = store_add_sample(st, pods[i].workload, pods[i].name, cont_names[c], t,
                                      (int64_t)pods[i].cpu_m[c], (int64_t)pods[i].mem_b[c]);
        if (rc == 0)
            rc = store_commit_batch(st);
    }
    if (rc)
        fprintf(stderr, "bench_ingest: prefill: %s\n", store_errmsg(st));
    return rc;
}

int main(int argc, char **argv)
{
    size_t n_pods = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 20000;
    if (n_pods < PODS_PER_WL) {
        fprintf(stderr, "usage: bench_ingest [PODS]   (at least %d)\n", PODS_PER_WL);
        return 2;
    }
    uint64_t rng = BENCH_SEED;
    struct pod *pods = calloc(n_pods, sizeof *pods);
    struct buf docs[POLLS] = {{0}};
    struct name_table names = {0};
    if (!pods)
        return 1;
    size_t n_cont = 0;
    for (size_t i = 0; i < n_pods; i++) {
        struct pod *p = &pods[i];
        size_t wl = i / PODS_PER_WL;
        uint64_t wl_seed = BENCH_SEED ^ (wl * UINT64_C(0x2545F4914F6CDD1D));
        snprintf(p->workload, sizeof p->workload, "svc-%05zu", wl);
        /* Deployment pods: <deployment>-<10-char template hash>-<5-char suffix>. */
        snprintf(p->name, sizeof p->name, "%s-%010llx-%05llx", p->workload,
                 (unsigned long long)(bench_next_u64(&wl_seed) & 0xffffffffffULL),
                 (unsigned long long)(bench_next_u64(&rng) & 0xfffffULL));
        p->n_c = 1 + (int)(wl % MAX_CONT);
        for (int c = 0; c < p->n_c; c++) {
            p->cpu_m[c] = 5 + 2000 * bench_uniform(&rng) * bench_uniform(&rng);
            p->mem_b[c] = (16 + 4096 * bench_uniform(&rng) * bench_uniform(&rng)) * 1048576.0;
        }
        n_cont += (size_t)p->n_c;
    }
    if (table_build(&names, pods, n_pods))
        return 1;
    char dir[] = "/tmp/bench_ingest.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_ingest: mkdtemp");
        return 1;
    }
    char db[sizeof dir + 16], wal[sizeof db + 8], shm[sizeof db + 8];
    snprintf(db, sizeof db, "%s/history.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", db);
    snprintf(shm, sizeof shm, "%s-shm", db);

    struct store *st = NULL;
    char err[512];
    if (store_open(db, STORE_RDWR | STORE_CREATE, &st, err, sizeof err)) {
        fprintf(stderr, "bench_ingest: %s: %s\n", db, err);
        return 1;
    }
    int status = prefill(st, pods, n_pods) ? 1 : 0;
    /* Best of RUNS, the two alternating, so both see the same machine. Each run
     * has polls of its own, later than the last run's. */
    double parse = -1, loadb = -1, best = -1;
    struct counts n = {0};
    for (int r = 0; r < RUNS && status == 0; r++) {
        for (int i = 0; i < POLLS; i++)
            make_doc(&docs[i], pods, n_pods, r * POLLS + i, &rng);
        double lb;
        double p = bare_parse(docs, POLLS, &lb);
        if (loadb < 0 || lb < loadb)
            loadb = lb;
        double t = ingest_run(docs, POLLS, pods, n_pods, &names, st, &n);
        if (p < 0 || t < 0)
            status = 1;
        if (parse < 0 || p < parse)
            parse = p;
        if (best < 0 || t < best)
            best = t;
    }
    store_close(st);
    unlink(db);
    unlink(wal);
    unlink(shm);
    rmdir(dir);
    if (status == 0) {
        if (n.unknown || n.rejected || n.samples != n_cont * POLLS) {
            fprintf(stderr, "bench_ingest: %zu samples stored of %zu, %zu unknown, %zu rejected\n",
                    n.samples, n_cont * POLLS, n.unknown, n.rejected);
            status = 1;
        } else {
            printf("pods: %zu, containers: %zu, workloads: %zu, polls: %d after %d already stored, "
                   "document: %.1f MB\n",
                   n_pods, n_cont, (n_pods + PODS_PER_WL - 1) / PODS_PER_WL, POLLS, PREFILL,
                   (double)docs[0].len / 1e6);
            const int timed = POLLS;
            printf("bare parse (json_loadb + json_decref): %.4f s per poll\n", parse / timed);
            printf("ingest_s_per_poll: %.4f\n", best / timed);
            printf("  of which (last run): parse %.4f, decode and free the tree %.4f, "
                   "histories and rows %.4f, commit %.4f\n",
                   n.t_parse / timed, n.t_decode / timed, n.t_rest / timed, n.t_commit / timed);
            printf("ingest_samples_per_s: %.0f\n", (double)(n_cont * timed) / best);
            printf("ingest_vs_parse_ratio: %.2f\n", best / parse);
            /* The stricter reading of the target: json_loadb alone, the tree
             * never freed. jansson's freeing of a large tree (glibc's free of
             * every node) is a third of parse + free. */
            printf("ingest_vs_loadb_ratio: %.2f\n", best / loadb);
        }
    }
    for (int i = 0; i < POLLS; i++)
        free(docs[i].p);
    free(names.slot);
    free(pods);
    return status;
}
