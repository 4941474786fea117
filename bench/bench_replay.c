/*
 * bench_replay - replay throughput on the largest trace of shared/traces, against a
 * bare SQLite scan of the same samples measured in the same run (docs/replay.md).
 *
 * usage: bench_replay [TRACES_DIR]
 * default: $PS_SHARED_DIR/traces, else ../shared/traces beside the checkout
 *
 * Prints, per built-in policy available in the build, its run time, then:
 *   replay_samples_per_s: N    input container samples per second per policy, one core:
 *                              the shared preparation of the input divided over the
 *                              policies plus their run times (the CSV parse excluded)
 *   replay_vs_scan_ratio: R    that time per policy over the bare scan's time
 * Targets: N >= 3,000,000 and R <= 3. Each figure is the best of several rounds.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podscaler/replay.h"
#include "podscaler/store.h"
#include "podscaler/trace.h"

#include "bench_util.h"

#define ROUNDS 5

/* The largest TRACES_DIR/<name>/usage.csv by file size. */
static int largest_trace(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    off_t best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s/usage.csv", dir, e->d_name);
        if (stat(path, &st) == 0 && st.st_size > best) {
            best = st.st_size;
            snprintf(out, cap, "%s", path);
        }
    }
    closedir(d);
    return best < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    char dir[4096], path[4096], err[512];
    const char *shared = getenv("PS_SHARED_DIR");
    if (argc > 1) {
        snprintf(dir, sizeof(dir), "%s", argv[1]);
    } else if (shared && shared[0]) {
        snprintf(dir, sizeof(dir), "%s/traces", shared);
    } else {
        /* This file is bench/bench_replay.c of the checkout; shared/ is beside it. */
        snprintf(dir, sizeof(dir), "%s", __FILE__);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        strncat(dir, "/../../shared/traces", sizeof(dir) - strlen(dir) - 1);
    }
    if (largest_trace(dir, path, sizeof(path))) {
        fprintf(stderr, "bench_replay: no traces in %s\n", dir);
        return 1;
    }
    struct trace *t = NULL;
    struct trace_error te;
    double t0 = bench_now_s();
    if (trace_load_csv(path, NULL, &t, &te)) {
        fprintf(stderr, "bench_replay: %s:%ld: %s\n", path, te.line, te.message);
        return 1;
    }
    printf("trace: %s, %zu samples (csv parse %.3f s, not counted)\n", path, t->n_samples,
           bench_now_s() - t0);

    /* The baseline: the same samples in a history database, scanned bare. */
    char db[] = "/tmp/ps-bench-replay-XXXXXX";
    int fd = mkstemp(db);
    if (fd < 0)
        return 1;
    close(fd);
    struct store *st = NULL;
    int rc = store_open(db, STORE_RDWR | STORE_CREATE, &st, err, sizeof(err));
    if (!rc)
        rc = store_import_trace(st, t, INT64_C(1700000000));
    store_close(st);
    st = NULL;
    if (!rc)
        rc = store_open(db, STORE_RDONLY, &st, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "bench_replay: store: %s %s\n", store_strerror(rc), err);
        remove(db);
        return 1;
    }
    double scan = 1e30;
    uint64_t rows = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double a = bench_now_s();
        if ((rc = store_scan_count(st, &rows))) {
            fprintf(stderr, "bench_replay: scan: %s\n", store_strerror(rc));
            return 1;
        }
        double b = bench_now_s() - a;
        if (b < scan)
            scan = b;
    }
    store_close(st);
    remove(db);
    printf("sqlite bare scan: %llu rows in %.4f s (%.0f rows/s)\n", (unsigned long long)rows, scan,
           (double)rows / scan);

    /* Preparation, shared by every policy. */
    struct replay_input *in = NULL;
    struct replay_input_opts o = {.rule = {.kind = REPLAY_RULE_AUTO, .factor = 1}, .to_s = -1};
    double prep = 1e30;
    for (int r = 0; r < ROUNDS; r++) {
        replay_input_free(in);
        in = NULL;
        double a = bench_now_s();
        if (replay_input_new(t, &o, &in, err, sizeof(err))) {
            fprintf(stderr, "bench_replay: %s\n", err);
            return 1;
        }
        double b = bench_now_s() - a;
        if (b < prep)
            prep = b;
    }
    struct replay_input_info info;
    replay_input_get_info(in, &info);
    printf("prepare (once for all policies): %.4f s\n", prep);

    double sum = 0, worst = 0;
    int n_pol = 0;
    for (const char *const *name = policy_builtin_names; *name; name++) {
        struct ps_policy p;
        if (!bench_builtin(*name, &p))
            continue;
        double best = 1e30;
        for (int r = 0; r < ROUNDS; r++) {
            struct replay_result *res = NULL;
            double a = bench_now_s();
            if (replay_run(in, &p, NULL, NULL, &res, err, sizeof(err))) {
                fprintf(stderr, "bench_replay: %s\n", err);
                return 1;
            }
            double b = bench_now_s() - a;
            replay_result_free(res);
            if (b < best)
                best = b;
        }
        printf("policy %-14s %.4f s  %.0f samples/s\n", *name, best, (double)info.n_samples / best);
        sum += best;
        if (best > worst)
            worst = best;
        n_pol++;
    }
    if (n_pol == 0)
        return 1;
    double per_policy = (prep + sum) / n_pol;
    printf("slowest policy alone: %.0f samples/s, %.2f x scan\n", (double)info.n_samples / worst,
           worst / scan);
    printf("replay_samples_per_s: %.0f\n", (double)info.n_samples / per_policy);
    printf("replay_vs_scan_ratio: %.2f\n", per_policy / scan);
    replay_input_free(in);
    trace_free(t);
    return 0;
}
