/*
 * The CSV trace reader: good input in its variants, and every kind of bad row,
 * each checked for the code, the line and the field the error names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "podscaler/trace.h"
#include "podscaler/text.h"

#define HDR "t_seconds,workload,pod,container,cpu_millicores,memory_bytes\n"

static int parse(const char *csv, struct trace_load_opts *opts, struct trace **t,
                 struct trace_error *err)
{
    return trace_parse_csv_buffer(csv, strlen(csv), "mem.csv", opts, t, err);
}

static void test_good_minimal(void **state)
{
    (void)state;
    struct trace *t;
    struct trace_error err;
    const char *csv = HDR "0,web,web-1,main,100,1000\n"
                          "30,web,web-1,main,120,1100\n"
                          "60,web,web-1,main,90,1200\n"
                          "0,web,web-2,main,50,900\n"
                          "30,web,web-2,main,55,950\n";
    assert_int_equal(parse(csv, NULL, &t, &err), 0);
    assert_int_equal(t->n_samples, 5);
    assert_int_equal(t->n_workloads, 1);
    assert_int_equal(t->n_pods, 2);
    assert_int_equal(t->n_containers, 1);
    assert_int_equal(t->n_series, 2);
    assert_string_equal(t->workloads[0], "web");
    assert_string_equal(t->pods[1], "web-2");
    assert_int_equal(t->pod_workload[1], 0);
    assert_int_equal(t->series[0].first, 0);
    assert_int_equal(t->series[0].count, 3);
    assert_int_equal(t->series[1].first, 3);
    assert_int_equal(t->series[1].count, 2);
    assert_int_equal(t->t_s[2], 60);
    assert_int_equal(t->cpu_milli[1], 120);
    assert_int_equal(t->mem_bytes[4], 950);
    assert_null(t->cpu_request_milli);
    assert_null(t->mem_limit_bytes);
    assert_int_equal(t->n_replicas, 0);
    assert_int_equal(t->t_start_s, 0);
    assert_int_equal(t->t_end_s, 60);
    assert_int_equal(t->step_s, 30);
    assert_int_equal(t->t0_unix_s, 0);
    assert_string_equal(t->source, "mem.csv");
    trace_free(t);
}

/* Containers of a pod interleaved by time, workloads out of order, a pod name
 * reused by another workload: series still come out grouped and sorted. */
static void test_good_interleaved(void **state)
{
    (void)state;
    struct trace *t;
    struct trace_error err;
    const char *csv = HDR "0,b,p,app,1,10\n"
                          "0,b,p,sidecar,2,20\n"
                          "10,b,p,app,3,30\n"
                          "10,b,p,sidecar,4,40\n"
                          "0,a,p,sidecar,5,50\n"
                          "0,a,p,app,6,60\n"
                          "20,b,p,app,7,70\n"
                          "10,a,p,app,8,80\n";
    assert_int_equal(parse(csv, NULL, &t, &err), 0);
    assert_int_equal(t->n_workloads, 2);
    assert_int_equal(t->n_pods, 2); /* "p" of b and "p" of a are two pods */
    assert_int_equal(t->n_containers, 2);
    assert_int_equal(t->n_series, 4);
    for (size_t s = 1; s < t->n_series; s++) {
        const struct trace_series *x = &t->series[s - 1], *y = &t->series[s];
        int ordered = x->workload < y->workload ||
                      (x->workload == y->workload &&
                       (x->pod < y->pod || (x->pod == y->pod && x->container < y->container)));
        assert_true(ordered);
        assert_int_equal(y->first, x->first + x->count);
    }
    /* Series 0 is b/p/app: t 0,10,20 with cpu 1,3,7. */
    assert_string_equal(t->workloads[t->series[0].workload], "b");
    assert_string_equal(t->containers[t->series[0].container], "app");
    assert_int_equal(t->series[0].count, 3);
    assert_int_equal(t->cpu_milli[t->series[0].first + 2], 7);
    assert_int_equal(t->t_s[t->series[0].first + 2], 20);
    /* a/p/app (container 0 sorts before sidecar): t 0,10 cpu 6,8. */
    const struct trace_series *ap = &t->series[2];
    assert_string_equal(t->workloads[ap->workload], "a");
    assert_string_equal(t->containers[ap->container], "app");
    assert_int_equal(t->cpu_milli[ap->first], 6);
    assert_int_equal(t->cpu_milli[ap->first + 1], 8);
    assert_int_equal(t->pod_workload[ap->pod], ap->workload);
    assert_int_equal(t->step_s, 10);
    trace_free(t);
}

static void test_good_optional_columns(void **state)
{
    (void)state;
    struct trace *t;
    struct trace_error err;
    const char *csv = "memory_limit_bytes,t_seconds,workload,pod,container,cpu_millicores,"
                      "memory_bytes,cpu_request_millicores\n"
                      "2000,0,w,p,c,1,10,100\n"
                      ",60,w,p,c,2,20,\n"
                      "3000,120,w,p,c,3,30,150\n";
    assert_int_equal(parse(csv, NULL, &t, &err), 0);
    assert_non_null(t->cpu_request_milli);
    assert_non_null(t->mem_limit_bytes);
    assert_null(t->mem_request_bytes);
    assert_null(t->cpu_limit_milli);
    assert_int_equal(t->cpu_request_milli[0], 100);
    assert_true(t->cpu_request_milli[1] == TRACE_NONE);
    assert_int_equal(t->cpu_request_milli[2], 150);
    assert_int_equal(t->mem_limit_bytes[0], 2000);
    assert_true(t->mem_limit_bytes[1] == TRACE_NONE);
    assert_int_equal(t->t_s[2], 120);
    assert_int_equal(t->mem_bytes[2], 30);
    trace_free(t);
}

static void test_good_crlf_bom_blank_lines(void **state)
{
    (void)state;
    struct trace *t;
    struct trace_error err;
    const char *csv = "\xEF\xBB\xBFt_seconds,workload,pod,container,cpu_millicores,memory_bytes\r\n"
                      "0,w,p,c,1,10\r\n"
                      "\r\n"
                      "5,w,p,c,9223372036854775807,20\r\n"
                      "\n";
    assert_int_equal(parse(csv, NULL, &t, &err), 0);
    assert_int_equal(t->n_samples, 2);
    assert_string_equal(t->containers[0], "c"); /* no stray \r */
    assert_int_equal(t->mem_bytes[1], 20);
    assert_true(t->cpu_milli[1] == INT64_MAX);
    trace_free(t);
    /* No newline at the end of the last line. */
    assert_int_equal(parse(HDR "0,w,p,c,1,10", NULL, &t, &err), 0);
    assert_int_equal(t->n_samples, 1);
    assert_int_equal(t->step_s, 0);
    trace_free(t);
}

struct bad_case {
    const char *name;
    const char *csv;
    int rc;
    long line;
    const char *field;
    const char *message; /* a substring */
};

static const struct bad_case bad_cases[] = {
    {"empty file", "", PS_EPARSE, 0, "header", "empty file"},
    {"header only", HDR, PS_EINVAL, 0, "", "no samples"},
    {"bad header: unknown column",
     "t,workload,pod,container,cpu_millicores,memory_bytes\n0,w,p,c,1,1\n", PS_EPARSE, 1, "header",
     "unknown column 't'"},
    {"bad header: missing column", "t_seconds,workload,pod,container,cpu_millicores\n0,w,p,c,1\n",
     PS_EPARSE, 1, "header", "missing column 'memory_bytes'"},
    {"bad header: column twice",
     "t_seconds,workload,pod,container,cpu_millicores,memory_bytes,"
     "pod\n",
     PS_EPARSE, 1, "header", "'pod' given twice"},
    {"missing column", HDR "0,w,p,c,1,1\n10,w,p,c,1\n", PS_EPARSE, 3, "memory_bytes",
     "missing field"},
    {"extra columns", HDR "0,w,p,c,1,1,7\n", PS_EPARSE, 2, "field 7", "extra field"},
    {"non-integer", HDR "0,w,p,c,abc,1\n", PS_EPARSE, 2, "cpu_millicores", "not an integer 'abc'"},
    {"decimal", HDR "0,w,p,c,1,1.5\n", PS_EPARSE, 2, "memory_bytes", "not an integer '1.5'"},
    {"space in number", HDR "0,w,p,c, 1,1\n", PS_EPARSE, 2, "cpu_millicores", "not an integer"},
    {"empty value", HDR "0,w,p,c,,1\n", PS_EPARSE, 2, "cpu_millicores", "empty value"},
    {"lone minus", HDR "-,w,p,c,1,1\n", PS_EPARSE, 2, "t_seconds", "not an integer"},
    {"negative usage", HDR "0,w,p,c,-5,1\n", PS_ENEGATIVE, 2, "cpu_millicores", "negative value"},
    {"negative memory", HDR "0,w,p,c,5,-1\n", PS_ENEGATIVE, 2, "memory_bytes", "negative value"},
    {"negative time", HDR "-10,w,p,c,5,1\n", PS_ENEGATIVE, 2, "t_seconds", "negative value"},
    {"time after 9999", HDR "253402300800,w,p,c,5,1\n", PS_ERANGE, 2, "t_seconds",
     "after the year 9999"},
    {"time near INT64_MAX", HDR "0,w,p,c,5,1\n9223372036854775807,w,p,c,5,1\n", PS_ERANGE, 3,
     "t_seconds", "after the year 9999"},
    {"overflowing integer", HDR "0,w,p,c,9223372036854775808,1\n", PS_ERANGE, 2, "cpu_millicores",
     "out of range"},
    {"overflowing long integer", HDR "0,w,p,c,1,123456789012345678901234567890\n", PS_ERANGE, 2,
     "memory_bytes", "out of range"},
    {"t not increasing", HDR "0,w,p,c,1,1\n20,w,p,c,1,1\n10,w,p,c,1,1\n", PS_ETIME, 4, "t_seconds",
     "not after the previous sample (20)"},
    {"duplicate row", HDR "0,w,p,c,1,1\n10,w,p,c,1,1\n10,w,p,c,1,1\n", PS_EEXIST, 4, "t_seconds",
     "duplicate sample"},
    {"empty workload name", HDR "0,,p,c,1,1\n", PS_EINVAL, 2, "workload", "empty workload name"},
    {"empty pod name", HDR "0,w,,c,1,1\n", PS_EINVAL, 2, "pod", "empty pod name"},
    {"empty container name", HDR "0,w,p,,1,1\n", PS_EINVAL, 2, "container", "empty container name"},
    {"quoted name", HDR "0,\"w\",p,c,1,1\n", PS_EPARSE, 2, "workload", "double quote"},
    {"control character", HDR "0,w\tx,p,c,1,1\n", PS_EPARSE, 2, "workload", "control character"},
    {"latin-1 name", HDR "0,caf\xe9,p,c,1,1\n", PS_EPARSE, 2, "workload", "not UTF-8 at byte 4"},
    {"overlong utf-8", HDR "0,w,p\xc0\xaf,c,1,1\n", PS_EPARSE, 2, "pod", "not UTF-8 at byte 2"},
    {"surrogate", HDR "0,w,p,c\xed\xa0\x80,1,1\n", PS_EPARSE, 2, "container",
     "not UTF-8 at byte 2"},
    {"cut utf-8", HDR "0,w\xc3,p,c,1,1\n", PS_EPARSE, 2, "workload", "not UTF-8 at byte 2"},
    {"bad optional value",
     "t_seconds,workload,pod,container,cpu_millicores,memory_bytes,"
     "cpu_limit_millicores\n0,w,p,c,1,1,x\n",
     PS_EPARSE, 2, "cpu_limit_millicores", "not an integer"},
    {"negative optional value",
     "t_seconds,workload,pod,container,cpu_millicores,memory_bytes,"
     "memory_request_bytes\n0,w,p,c,1,1,-3\n",
     PS_ENEGATIVE, 2, "memory_request_bytes", "negative"},
};

static void test_bad_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct trace *t = (struct trace *)&t; /* must be reset to NULL */
        struct trace_error err;
        int rc = parse(c->csv, NULL, &t, &err);
        if (rc != c->rc || err.line != c->line || strcmp(err.field, c->field) != 0 ||
            !strstr(err.message, c->message) || strcmp(err.file, "mem.csv") != 0 || t) {
            fail_msg("%s: got rc %d %s:%ld field '%s': %s; want rc %d line %ld field '%s' "
                     "message containing '%s'",
                     c->name, rc, err.file, err.line, err.field, err.message, c->rc, c->line,
                     c->field, c->message);
        }
    }
}

/* Names end up in JSON and HTML, which need UTF-8: any well-formed UTF-8 is a
 * name, and ps_utf8_invalid_at finds the first byte that is not. */
static void test_utf8_names(void **state)
{
    (void)state;
    struct trace *t = NULL;
    struct trace_error err;
    assert_int_equal(parse(HDR "0,caf\xc3\xa9-\xf0\x9f\x98\x80,p,c,1,1\n", NULL, &t, &err), 0);
    assert_string_equal(t->workloads[0], "caf\xc3\xa9-\xf0\x9f\x98\x80");
    trace_free(t);
    static const struct {
        const char *s;
        size_t at;
    } cases[] = {
        {"plain", 5},
        {"\xc3\xa9", 2},
        {"\xe2\x82\xac", 3},
        {"\xf4\x8f\xbf\xbf", 4},
        {"\xf4\x90\x80\x80", 0},
        {"\xc1\xbf", 0},
        {"\xe0\x9f\xbf", 0},
        {"\xed\xbf\xbf", 0},
        {"a\x80", 1},
        {"ab\xe2\x82", 2},
        {"\xf8\x88\x80\x80\x80", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const size_t got = ps_utf8_invalid_at(cases[i].s, strlen(cases[i].s));
        if (got != cases[i].at)
            fail_msg("case %zu: %zu, want %zu", i, got, cases[i].at);
    }
}

static void test_skip_bad_rows(void **state)
{
    (void)state;
    struct trace *t;
    struct trace_error err;
    const char *csv = HDR "0,w,p,c,1,1\n"
                          "10,w,p,c,x,1\n" /* line 3: non-integer */
                          "10,w,p,c,2,2\n"
                          "5,w,p,c,3,3\n" /* line 5: t not increasing */
                          "20,w,p,c,4\n"  /* line 6: missing field */
                          "30,,p,c,5,5\n" /* line 7: empty workload */
                          "30,w,p,c,6,6\n";
    struct trace_load_opts opts = {.skip_bad_rows = 1};
    assert_int_equal(parse(csv, &opts, &t, &err), 0);
    assert_int_equal(opts.bad_rows_skipped, 4);
    assert_int_equal(t->n_samples, 3);
    assert_int_equal(t->cpu_milli[1], 2);
    assert_int_equal(t->cpu_milli[2], 6);
    assert_int_equal(t->n_workloads, 1); /* the rejected row interned nothing */
    /* The first skipped row stays in err as an example. */
    assert_int_equal(err.line, 3);
    assert_string_equal(err.field, "cpu_millicores");
    trace_free(t);

    /* Header errors are never skipped; neither is a file with no good row. */
    opts.skip_bad_rows = 1;
    assert_int_equal(parse("a,b\n0,1\n", &opts, &t, &err), PS_EPARSE);
    assert_null(t);
    assert_int_equal(parse(HDR "x,w,p,c,1,1\n", &opts, &t, &err), PS_EINVAL);
    assert_non_null(strstr(err.message, "every row was bad"));
    assert_int_equal(opts.bad_rows_skipped, 1);

    /* Without the option the same file stops at line 3. */
    assert_int_equal(parse(csv, NULL, &t, &err), PS_EPARSE);
    assert_int_equal(err.line, 3);
}

static void test_max_samples(void **state)
{
    (void)state;
    struct trace *t;
    struct trace_error err;
    struct trace_load_opts opts = {.max_samples = 2};
    const char *csv = HDR "0,w,p,c,1,1\n10,w,p,c,1,1\n20,w,p,c,1,1\n";
    assert_int_equal(parse(csv, &opts, &t, &err), PS_ENOSPC);
    assert_int_equal(err.line, 4);
    opts.max_samples = 3;
    assert_int_equal(parse(csv, &opts, &t, &err), 0);
    trace_free(t);
}

static void test_files(void **state)
{
    (void)state;
    struct trace *t;
    struct trace_error err;
    assert_int_equal(trace_load_csv("/nonexistent/dir/x.csv", NULL, &t, &err), PS_ENOENT);
    assert_string_equal(err.file, "/nonexistent/dir/x.csv");
    assert_null(t);

    char path[] = "/tmp/ps_trace_csvXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *csv = HDR "0,w,p,c,1,1\n10,w,p,c,2,oops\n";
    assert_int_equal(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
    close(fd);
    assert_int_equal(trace_load_csv(path, NULL, &t, &err), PS_EPARSE);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.field, "memory_bytes");
    /* trace_load_any takes a text file for CSV. */
    struct trace_load_opts opts = {.skip_bad_rows = 1};
    assert_int_equal(trace_load_any(path, &opts, &t, &err), 0);
    assert_int_equal(opts.bad_rows_skipped, 1);
    assert_int_equal(t->n_samples, 1);
    assert_string_equal(t->source, path);
    trace_free(t);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_minimal),
        cmocka_unit_test(test_good_interleaved),
        cmocka_unit_test(test_good_optional_columns),
        cmocka_unit_test(test_good_crlf_bom_blank_lines),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_utf8_names),
        cmocka_unit_test(test_skip_bad_rows),
        cmocka_unit_test(test_max_samples),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
