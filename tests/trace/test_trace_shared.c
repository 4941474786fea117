/*
 * Every trace of shared/traces: loads, holds the invariants of trace.h, has
 * one sample per data line, and survives CSV -> database -> trace unchanged.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "podscaler/store.h"
#include "podscaler/trace.h"
#include "trace_eq.h"

static const char *traces_dir;

/* Data lines counted independently of the parser: non-empty lines but the header. */
static size_t count_rows(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t lines = 0;
    int c, prev = '\n';
    while ((c = fgetc(f)) != EOF) {
        if (c == '\n' && prev != '\n')
            lines++;
        prev = c;
    }
    if (prev != '\n')
        lines++;
    fclose(f);
    return lines - 1;
}

static void check_one(const char *csv)
{
    struct trace *a, *b;
    struct trace_error err;
    int rc = trace_load_csv(csv, NULL, &a, &err);
    if (rc)
        fail_msg("%s:%ld %s: %s", err.file, err.line, err.field, err.message);
    assert_int_equal(a->n_samples, count_rows(csv));
    const char *bad = trace_check_invariants(a);
    if (bad)
        fail_msg("%s: %s", csv, bad);
    assert_true(a->step_s > 0);

    char db[] = "/tmp/ps_trace_rtXXXXXX";
    int fd = mkstemp(db);
    assert_true(fd >= 0);
    close(fd);
    struct store *st;
    char msg[512];
    rc = store_open(db, STORE_RDWR | STORE_CREATE, &st, msg, sizeof msg);
    if (rc)
        fail_msg("%s", msg);
    /* 2023-11-14T22:13:20Z: any origin; the database keeps absolute times. */
    assert_int_equal(store_import_trace(st, a, 1700000000), 0);
    uint64_t n;
    assert_int_equal(store_scan_count(st, &n), 0);
    assert_int_equal(n, a->n_samples);
    store_close(st);

    rc = trace_load_db(db, &b, &err);
    if (rc)
        fail_msg("%s: %s", err.file, err.message);
    /* The shared traces start at t_seconds 0, so the origin is the import's. */
    assert_int_equal(b->t0_unix_s, 1700000000);
    char why[256];
    if (trace_compare(a, b, why, sizeof why))
        fail_msg("%s: CSV -> DB -> trace differs from CSV -> trace: %s", csv, why);
    trace_free(b);
    /* trace_load_any tells the database from a CSV by its header. */
    assert_int_equal(trace_load_any(db, NULL, &b, &err), 0);
    assert_int_equal(b->n_samples, a->n_samples);
    trace_free(b);
    trace_free(a);
    unlink(db);
    char side[sizeof db + 8];
    snprintf(side, sizeof side, "%s-wal", db);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db);
    unlink(side);
}

static void test_shared_traces(void **state)
{
    (void)state;
    DIR *d = opendir(traces_dir);
    assert_non_null(d);
    struct dirent *e;
    int seen = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s/usage.csv", traces_dir, e->d_name);
        if (stat(path, &sb) != 0)
            continue;
        check_one(path);
        seen++;
    }
    closedir(d);
    assert_true(seen > 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s TRACES_DIR\n", argv[0]);
        return 2;
    }
    traces_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_traces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
