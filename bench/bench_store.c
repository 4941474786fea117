/*
 * bench_store: the data side of replay on the largest trace of shared/traces.
 *
 *   csv_load       trace_load_csv, against a bare read() of the same file
 *   store_import   store_import_trace into a temporary history
 *   store_scan     store_scan_count: the bare SQLite scan of the same samples,
 *                  the baseline replay throughput is compared with (issue 5:
 *                  replay within 3x of it); bench_replay calls the same function
 *   trace_load_db  the history read back as a trace, against the scan
 *
 * Each figure is the best of a few runs (the machine is shared), printed as
 * "name: value" lines plus ratios to the same run's baseline.
 * Usage: bench_store [TRACE.csv]   (default: the largest $PS_SHARED_DIR/traces/ * /usage.csv)
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podscaler/store.h"
#include "podscaler/trace.h"

#include "bench_util.h"

#define RUNS 3

#define PATH_CAP 8192

static int largest_trace(char out[PATH_CAP])
{
    const char *shared = getenv("PS_SHARED_DIR");
    char dir[PATH_CAP / 2];
    int len = snprintf(dir, sizeof dir, "%s/traces", shared ? shared : "../shared");
    if (len < 0 || (size_t)len >= sizeof dir)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    off_t best = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[PATH_CAP];
        struct stat sb;
        len = snprintf(p, sizeof p, "%s/%s/usage.csv", dir, e->d_name);
        if (len < 0 || (size_t)len >= sizeof p)
            continue;
        if (stat(p, &sb) == 0 && sb.st_size > best) {
            best = sb.st_size;
            memcpy(out, p, (size_t)len + 1);
        }
    }
    closedir(d);
    return best < 0 ? -1 : 0;
}

static double bare_read(const char *path, size_t *bytes)
{
    double t0 = bench_now_s();
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0)
        return -1;
    char *buf = malloc((size_t)sb.st_size + 1);
    size_t got = 0;
    ssize_t n;
    while (buf && (n = read(fd, buf + got, (size_t)sb.st_size + 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    free(buf);
    *bytes = got;
    return bench_now_s() - t0;
}

int main(int argc, char **argv)
{
    char path[PATH_CAP];
    if (argc > 1)
        snprintf(path, sizeof path, "%s", argv[1]);
    else if (largest_trace(path) != 0) {
        fprintf(stderr, "bench_store: no trace found (set PS_SHARED_DIR)\n");
        return 1;
    }
    struct trace *t = NULL;
    struct trace_error err;
    double best_csv = 1e9, best_read = 1e9;
    size_t bytes = 0;
    for (int r = 0; r < RUNS; r++) {
        double rd = bare_read(path, &bytes);
        if (rd >= 0 && rd < best_read)
            best_read = rd;
        trace_free(t);
        double t0 = bench_now_s();
        if (trace_load_csv(path, NULL, &t, &err) != 0) {
            fprintf(stderr, "%s:%ld %s: %s\n", err.file, err.line, err.field, err.message);
            return 1;
        }
        double dt = bench_now_s() - t0;
        if (dt < best_csv)
            best_csv = dt;
    }
    size_t n = t->n_samples;
    printf("trace: %s (%zu bytes, %zu samples, %zu series)\n", path, bytes, n, t->n_series);
    printf("csv_load_s: %.4f\n", best_csv);
    printf("csv_load_samples_per_s: %.0f\n", (double)n / best_csv);
    printf("csv_load_mb_per_s: %.1f\n", (double)bytes / 1e6 / best_csv);
    printf("csv_bare_read_s: %.4f\n", best_read);
    printf("csv_load_vs_bare_read: %.2fx\n", best_csv / best_read);

    char dir[] = "/tmp/ps_bench_storeXXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char db[sizeof dir + 16];
    snprintf(db, sizeof db, "%s/h.sqlite", dir);
    struct store *st;
    char msg[512];
    if (store_open(db, STORE_RDWR | STORE_CREATE, &st, msg, sizeof msg) != 0) {
        fprintf(stderr, "%s\n", msg);
        return 1;
    }
    double t0 = bench_now_s();
    if (store_import_trace(st, t, 1700000000) != 0) {
        fprintf(stderr, "%s\n", store_errmsg(st));
        return 1;
    }
    double import_s = bench_now_s() - t0;
    store_close(st);
    printf("store_import_samples_per_s: %.0f\n", (double)n / import_s);

    if (store_open(db, STORE_RDONLY, &st, msg, sizeof msg) != 0) {
        fprintf(stderr, "%s\n", msg);
        return 1;
    }
    double best_scan = 1e9;
    for (int r = 0; r < RUNS; r++) {
        uint64_t rows;
        t0 = bench_now_s();
        if (store_scan_count(st, &rows) != 0 || rows != n) {
            fprintf(stderr, "scan: %s (%llu rows)\n", store_errmsg(st), (unsigned long long)rows);
            return 1;
        }
        double dt = bench_now_s() - t0;
        if (dt < best_scan)
            best_scan = dt;
    }
    store_close(st);
    printf("store_scan_samples_per_s: %.0f\n", (double)n / best_scan);

    double best_db = 1e9;
    for (int r = 0; r < RUNS; r++) {
        struct trace *d;
        t0 = bench_now_s();
        if (trace_load_db(db, &d, &err) != 0) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        double dt = bench_now_s() - t0;
        trace_free(d);
        if (dt < best_db)
            best_db = dt;
    }
    printf("trace_load_db_samples_per_s: %.0f\n", (double)n / best_db);
    printf("trace_load_db_vs_scan: %.2fx\n", best_db / best_scan);
    printf("csv_load_vs_scan: %.2fx\n", best_csv / best_scan);

    trace_free(t);
    char side[sizeof db + 8];
    unlink(db);
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
    rmdir(dir);
    return 0;
}
