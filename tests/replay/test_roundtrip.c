/*
 * CSV -> database -> replay gives the same result as replaying the CSV: the
 * same scores per workload and the same decisions, for every built-in policy of
 * this build. usage: test_replay_roundtrip CSV...
 * Exits 77 (skipped) while the database reader is not in the build.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podscaler/replay.h"
#include "podscaler/store.h"
#include "podscaler/trace.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL: " __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

struct lines {
    char **v;
    size_t n, cap;
};

static int collect(void *ctx, const struct replay_decision *d)
{
    struct lines *l = ctx;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return PS_ENOMEM;
    int rc = replay_decision_jsonl(f, d);
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **nv = realloc(l->v, cap * sizeof(*nv));
        if (!nv) {
            free(buf);
            return PS_ENOMEM;
        }
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = buf;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int near(double a, double b, double eps)
{
    return fabs(a - b) <= eps * fmax(1.0, fabs(b));
}

static void compare_scores(const char *what, const struct replay_scores *a,
                           const struct replay_scores *b, double eps)
{
    CHECK(near(a->cpu_slack, b->cpu_slack, eps), "%s: cpu_slack %.17g vs %.17g", what, a->cpu_slack,
          b->cpu_slack);
    CHECK(near(a->mem_slack, b->mem_slack, eps), "%s: mem_slack %.17g vs %.17g", what, a->mem_slack,
          b->mem_slack);
    CHECK(a->pod_samples == b->pod_samples, "%s: pod samples %lld vs %lld", what,
          (long long)a->pod_samples, (long long)b->pod_samples);
    CHECK(a->cpu_under == b->cpu_under && a->mem_over == b->mem_over, "%s: under/over", what);
    CHECK(a->oom_events == b->oom_events, "%s: oom_events", what);
    CHECK(a->scale_events == b->scale_events, "%s: scale_events %lld vs %lld", what,
          (long long)a->scale_events, (long long)b->scale_events);
    CHECK(a->vertical_changes == b->vertical_changes, "%s: vertical_changes", what);
    CHECK(a->pod_restarts == b->pod_restarts, "%s: pod_restarts", what);
    CHECK(near(a->changes_per_day_p99, b->changes_per_day_p99, eps), "%s: p99", what);
    CHECK(near(a->pod_hours, b->pod_hours, eps), "%s: pod_hours", what);
    CHECK(near(a->cpu_core_hours_requested, b->cpu_core_hours_requested, eps),
          "%s: cpu_core_hours_requested", what);
    CHECK(near(a->mem_gib_hours_requested, b->mem_gib_hours_requested, eps),
          "%s: mem_gib_hours_requested", what);
}

static int one(const char *csv)
{
    struct trace *tc = NULL, *td = NULL;
    struct trace_error te;
    char err[512], db[] = "/tmp/ps-roundtrip-XXXXXX";
    int rc = trace_load_csv(csv, NULL, &tc, &te);
    if (rc) {
        fprintf(stderr, "FAIL: %s: %s\n", csv, te.message);
        return 1;
    }
    int fd = mkstemp(db);
    if (fd < 0) {
        trace_free(tc);
        return 1;
    }
    close(fd);
    struct store *st;
    rc = store_open(db, STORE_RDWR | STORE_CREATE, &st, err, sizeof(err));
    if (rc == 0) {
        rc = store_import_trace(st, tc, INT64_C(1700000000));
        if (rc)
            snprintf(err, sizeof(err), "import: %s", store_strerror(rc));
        store_close(st);
    }
    if (rc == 0) {
        rc = trace_load_db(db, &td, &te);
        if (rc)
            snprintf(err, sizeof(err), "trace_load_db: %s", te.message);
    }
    if (rc == PS_ENOTSUP) {
        fprintf(stderr, "SKIP: the database reader is not in this build: %s\n", err);
        remove(db);
        trace_free(tc);
        exit(77);
    }
    if (rc) {
        fprintf(stderr, "FAIL: %s: %s\n", csv, err);
        remove(db);
        trace_free(tc);
        return 1;
    }
    CHECK(tc->n_samples == td->n_samples, "%s: %zu samples from CSV, %zu from the database", csv,
          tc->n_samples, td->n_samples);
    struct replay_input *ic = NULL, *id = NULL;
    struct replay_input_opts o = {.rule = {.kind = REPLAY_RULE_AUTO, .factor = 1}, .to_s = -1};
    if (replay_input_new(tc, &o, &ic, err, sizeof(err)) ||
        replay_input_new(td, &o, &id, err, sizeof(err))) {
        fprintf(stderr, "FAIL: %s: %s\n", csv, err);
        failures++;
        goto done;
    }
    for (const char *const *name = policy_builtin_names; *name; name++) {
        struct ps_policy p;
        policy_builtin(*name, &p);
        if (pipeline_policy_available(&p, NULL, 0))
            continue;
        struct lines lc = {0}, ld = {0};
        struct replay_sink sc = {.ctx = &lc, .decision = collect};
        struct replay_sink sd = {.ctx = &ld, .decision = collect};
        struct replay_result *rc_ = NULL, *rd = NULL;
        if (replay_run(ic, &p, NULL, &sc, &rc_, err, sizeof(err)) ||
            replay_run(id, &p, NULL, &sd, &rd, err, sizeof(err))) {
            fprintf(stderr, "FAIL: %s %s: %s\n", csv, *name, err);
            failures++;
        } else {
            char what[256];
            snprintf(what, sizeof(what), "%s %s totals", csv, *name);
            /* Workloads may come in another order: totals add up in another order. */
            compare_scores(what, &rc_->totals, &rd->totals, 1e-9);
            CHECK(rc_->n_workloads == rd->n_workloads, "%s: workload count", what);
            for (size_t w = 0; w < rc_->n_workloads; w++) {
                const char *wn = replay_input_workload(ic, w);
                size_t k;
                for (k = 0; k < rd->n_workloads; k++)
                    if (strcmp(replay_input_workload(id, k), wn) == 0)
                        break;
                snprintf(what, sizeof(what), "%s %s workload %s", csv, *name, wn);
                if (k == rd->n_workloads) {
                    CHECK(0, "%s: missing from the database replay", what);
                    continue;
                }
                compare_scores(what, &rc_->workloads[w], &rd->workloads[k], 1e-12);
            }
            if (lc.n)
                qsort(lc.v, lc.n, sizeof(*lc.v), cmp_str);
            if (ld.n)
                qsort(ld.v, ld.n, sizeof(*ld.v), cmp_str);
            CHECK(lc.n == ld.n, "%s %s: %zu decisions from CSV, %zu from the database", csv, *name,
                  lc.n, ld.n);
            for (size_t i = 0; i < lc.n && i < ld.n; i++)
                CHECK(strcmp(lc.v[i], ld.v[i]) == 0, "%s %s: decision differs:\n%s%s", csv, *name,
                      lc.v[i], ld.v[i]);
            printf("%s %s: %zu decisions, same scores and decisions\n", csv, *name, lc.n);
        }
        replay_result_free(rc_);
        replay_result_free(rd);
        lines_free(&lc);
        lines_free(&ld);
    }
done:
    replay_input_free(ic);
    replay_input_free(id);
    trace_free(tc);
    trace_free(td);
    remove(db);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_replay_roundtrip CSV...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++)
        failures += one(argv[i]);
    if (failures)
        fprintf(stderr, "%d failures\n", failures);
    return failures ? 1 : 0;
}
