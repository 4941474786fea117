/*
 * The SQLite history (common/store): real files in a temporary directory.
 */
#include <fcntl.h>
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
#include <sqlite3.h>

#include "podscaler/store.h"
#include "podscaler/trace.h"
#include "../trace/trace_eq.h"

static char dir[64];
static char path[128];
static char msg[512];
static int file_no;

/* A fresh path in the temporary directory for each use. */
static const char *new_path(void)
{
    snprintf(path, sizeof path, "%s/db%d.sqlite", dir, file_no++);
    return path;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ps_storeXXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* FNV-1a of the whole file plus its size: "the bytes are unchanged". */
static uint64_t file_sum(const char *p)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    uint64_t h = UINT64_C(1469598103934665603), n = 0;
    int c;
    while ((c = fgetc(f)) != EOF) {
        h = (h ^ (unsigned)c) * UINT64_C(1099511628211);
        n++;
    }
    fclose(f);
    return h ^ (n << 1);
}

static void sql(const char *p, const char *text)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", text, err);
    sqlite3_close(db);
}

static int64_t sql_int(const char *p, const char *text)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, text, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static struct store *open_rw(const char *p)
{
    struct store *st;
    int rc = store_open(p, STORE_RDWR | STORE_CREATE, &st, msg, sizeof msg);
    if (rc)
        fail_msg("store_open(%s): %d %s", p, rc, msg);
    return st;
}

/* A podscaler history with n samples of one container, closed. */
static void make_history(const char *p, int n)
{
    struct store *st = open_rw(p);
    assert_int_equal(store_begin_batch(st), 0);
    for (int i = 0; i < n; i++)
        assert_int_equal(store_add_sample(st, "ns/web", "web-1", "app", 1000 + i, i, 1000 * i), 0);
    assert_int_equal(store_commit_batch(st), 0);
    store_close(st);
}

static void test_create_and_reopen(void **state)
{
    (void)state;
    const char *p = new_path();
    struct store *st;
    assert_int_equal(store_open(p, STORE_RDONLY, &st, msg, sizeof msg), PS_ENOENT);
    assert_null(st);
    assert_int_equal(store_open(p, STORE_RDWR, &st, msg, sizeof msg), PS_ENOENT);
    assert_int_equal(access(p, F_OK), -1); /* not created without STORE_CREATE */

    st = open_rw(p);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    assert_int_equal(store_opened_version(st), 0); /* new */
    assert_int_equal(store_begin_batch(st), 0);
    assert_int_equal(store_add_sample(st, "ns/web", "web-1", "app", 100, 250, 1 << 20), 0);
    assert_int_equal(store_add_sample(st, "ns/web", "web-1", "app", 130, 260, 1 << 21), 0);
    assert_int_equal(store_add_sample(st, "ns/web", "web-2", "app", 100, 10, 20), 0);
    assert_int_equal(store_add_replicas(st, "ns/web", 100, 2), 0);
    assert_int_equal(store_commit_batch(st), 0);
    store_close(st);

    assert_int_equal(sql_int(p, "PRAGMA application_id"), STORE_APPLICATION_ID);
    assert_int_equal(sql_int(p, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 3);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM pods"), 2);

    /* Read-only reopen sees it all and refuses writes. */
    assert_int_equal(store_open(p, STORE_RDONLY, &st, msg, sizeof msg), 0);
    uint64_t n;
    assert_int_equal(store_scan_count(st, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(store_begin_batch(st), STORE_EREADONLY);
    assert_int_equal(store_prune(st, 0, 0, NULL), STORE_EREADONLY);
    store_close(st);

    /* Read-write reopen continues the same history. */
    st = open_rw(p);
    assert_int_equal(store_begin_batch(st), 0);
    assert_int_equal(store_add_sample(st, "ns/web", "web-1", "app", 160, 1, 1), 0);
    assert_int_equal(store_commit_batch(st), 0);
    store_close(st);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 4);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM workloads"), 1);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM containers"), 2);
}

/* The version 1 schema as an older podscaler wrote it. */
static const char *const v1_sql =
    "CREATE TABLE workloads(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE CHECK(length(name) "
    "> 0));"
    "CREATE TABLE pods(id INTEGER PRIMARY KEY, workload_id INTEGER NOT NULL REFERENCES "
    "workloads(id), name TEXT NOT NULL CHECK(length(name) > 0), UNIQUE(workload_id, name));"
    "CREATE TABLE containers(id INTEGER PRIMARY KEY, pod_id INTEGER NOT NULL REFERENCES pods(id), "
    "name TEXT NOT NULL CHECK(length(name) > 0), UNIQUE(pod_id, name));"
    "CREATE TABLE samples(container_id INTEGER NOT NULL, t INTEGER NOT NULL, cpu_milli INTEGER "
    "NOT NULL CHECK(cpu_milli >= 0), mem_bytes INTEGER NOT NULL CHECK(mem_bytes >= 0), PRIMARY "
    "KEY(container_id, t)) WITHOUT ROWID;"
    "CREATE TABLE replicas(workload_id INTEGER NOT NULL, t INTEGER NOT NULL, replicas INTEGER NOT "
    "NULL CHECK(replicas >= 0), PRIMARY KEY(workload_id, t)) WITHOUT ROWID;"
    "CREATE TABLE decisions(id INTEGER PRIMARY KEY, t INTEGER NOT NULL, workload_id INTEGER NOT "
    "NULL, kind TEXT NOT NULL, value_before TEXT, value_after TEXT, reason TEXT);"
    "CREATE TABLE checkpoints(workload_id INTEGER NOT NULL, name TEXT NOT NULL, t INTEGER NOT "
    "NULL, data BLOB NOT NULL, PRIMARY KEY(workload_id, name)) WITHOUT ROWID;"
    "PRAGMA application_id = 1349477459; PRAGMA user_version = 1;"
    "INSERT INTO workloads VALUES(1, 'ns/old');"
    "INSERT INTO pods VALUES(1, 1, 'old-1');"
    "INSERT INTO containers VALUES(1, 1, 'app');"
    "INSERT INTO samples VALUES(1, 500, 7, 70), (1, 560, 8, 80);";

static void test_migrate_v1(void **state)
{
    (void)state;
    _Static_assert(STORE_APPLICATION_ID == 1349477459, "v1_sql's application_id");
    const char *p = new_path();
    sql(p, v1_sql);
    uint64_t before = file_sum(p);
    struct store *st;
    /* Read-only: too old to read, and left alone. */
    assert_int_equal(store_open(p, STORE_RDONLY, &st, msg, sizeof msg), PS_EVERSION);
    assert_non_null(strstr(msg, "older"));
    assert_int_equal(file_sum(p), before);

    st = open_rw(p);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    assert_int_equal(store_begin_batch(st), 0);
    assert_int_equal(
        store_add_resources(st, "ns/old", "old-1", "app", 500, 100, STORE_NONE, 200, STORE_NONE),
        0);
    assert_int_equal(store_add_sample(st, "ns/old", "old-1", "app", 620, 9, 90), 0);
    assert_int_equal(store_commit_batch(st), 0);
    store_close(st);
    assert_int_equal(sql_int(p, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 3);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM sqlite_schema WHERE name = 'decisions_t'"),
                     1);

    struct trace *t;
    struct trace_error err;
    assert_int_equal(trace_load_db(p, &t, &err), 0);
    assert_int_equal(t->n_samples, 3);
    assert_int_equal(t->t0_unix_s, 500);
    assert_int_equal(t->t_s[2], 120);
    assert_non_null(t->cpu_request_milli);
    assert_int_equal(t->cpu_request_milli[0], 100);
    assert_int_equal(t->cpu_limit_milli[2], 200);
    assert_true(t->mem_request_bytes == NULL); /* never set: no column */
    trace_free(t);
}

/* Version 2 added resources and two indexes; samples and replicas were still
 * keyed by container (workload) first. */
static const char *const v2_extra_sql =
    "CREATE TABLE resources(container_id INTEGER NOT NULL, t INTEGER NOT NULL, cpu_request_milli "
    "INTEGER CHECK(cpu_request_milli >= 0), mem_request_bytes INTEGER CHECK(mem_request_bytes >= "
    "0), cpu_limit_milli INTEGER CHECK(cpu_limit_milli >= 0), mem_limit_bytes INTEGER "
    "CHECK(mem_limit_bytes >= 0), PRIMARY KEY(container_id, t)) WITHOUT ROWID;"
    "CREATE INDEX decisions_t ON decisions(t);"
    "CREATE INDEX decisions_workload ON decisions(workload_id, t);"
    "PRAGMA user_version = 2;"
    "INSERT INTO workloads VALUES(2, 'ns/two');"
    "INSERT INTO pods VALUES(2, 2, 'two-1');"
    "INSERT INTO containers VALUES(2, 2, 'app'), (3, 2, 'side');"
    "INSERT INTO samples VALUES(3, 500, 1, 10), (2, 560, 2, 20), (3, 560, 3, 30), (2, 500, 4, 40);"
    "INSERT INTO replicas VALUES(2, 560, 3), (1, 500, 1), (2, 500, 2);"
    "INSERT INTO resources VALUES(2, 500, 100, NULL, NULL, NULL);";

/* A version 2 history reads as it is, and a read-write open re-keys its samples
 * and replica counts by time without losing a row. */
static void test_migrate_v2(void **state)
{
    (void)state;
    const char *p = new_path();
    sql(p, v1_sql);
    sql(p, v2_extra_sql);
    uint64_t before = file_sum(p);
    struct store *st;
    assert_int_equal(store_open(p, STORE_RDONLY, &st, msg, sizeof msg), 0);
    assert_int_equal(store_schema_version(st), 2);
    store_close(st);
    struct trace *t;
    struct trace_error err;
    assert_int_equal(trace_load_db(p, &t, &err), 0);
    assert_int_equal(t->n_samples, 6);
    trace_free(t);
    assert_int_equal(file_sum(p), before);

    st = open_rw(p);
    assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
    assert_int_equal(store_opened_version(st), 2);
    store_close(st);
    st = open_rw(p);
    assert_int_equal(store_opened_version(st), STORE_SCHEMA_VERSION);
    store_close(st);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 6);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM replicas"), 3);
    assert_int_equal(sql_int(p, "SELECT sum(cpu_milli * mem_bytes) FROM samples"),
                     7 * 70 + 8 * 80 + 1 * 10 + 2 * 20 + 3 * 30 + 4 * 40);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM sqlite_schema WHERE name = 'samples' AND "
                                "sql LIKE '%PRIMARY KEY(t, container_id)%'"),
                     1);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM sqlite_schema WHERE name = 'replicas' AND "
                                "sql LIKE '%PRIMARY KEY(t, workload_id)%'"),
                     1);
    /* last_t of every name with rows is its latest row's time. */
    assert_int_equal(sql_int(p, "SELECT last_t FROM containers WHERE id = 1"), 560);
    assert_int_equal(sql_int(p, "SELECT last_t FROM containers WHERE id = 3"), 560);
    assert_int_equal(sql_int(p, "SELECT last_t FROM workloads WHERE id = 1"), 500);
    assert_int_equal(sql_int(p, "SELECT last_t FROM workloads WHERE id = 2"), 560);

    /* Read back per container, each in time order, as before the migration. */
    assert_int_equal(trace_load_db(p, &t, &err), 0);
    assert_int_equal(t->n_samples, 6);
    assert_int_equal(t->n_series, 3);
    for (size_t i = 0; i < t->n_series; i++)
        for (uint32_t k = 1; k < t->series[i].count; k++)
            assert_true(t->t_s[t->series[i].first + k] > t->t_s[t->series[i].first + k - 1]);
    trace_free(t);
}

/* Pruning reads "no sample left" from last_t, which lags the latest sample by
 * less than STORE_NOTE_S: a container whose last sample is that close to the
 * cutoff waits for a later prune; one further off goes at once. */
static void test_prune_names_lag(void **state)
{
    (void)state;
    const char *p = new_path();
    struct store *st = open_rw(p);
    const int64_t t0 = 1700000000;
    assert_int_equal(store_begin_batch(st), 0);
    /* A sample every minute: last_t is written on the first and then hourly. */
    for (int64_t m = 0; m <= 150; m++) {
        assert_int_equal(store_add_sample(st, "ns/a", "a-1", "app", t0 + m * 60, 1, 1), 0);
        if (m <= 30)
            assert_int_equal(store_add_sample(st, "ns/b", "b-1", "app", t0 + m * 60, 1, 1), 0);
    }
    assert_int_equal(store_commit_batch(st), 0);
    assert_int_equal(sql_int(p, "SELECT last_t FROM containers WHERE name = 'app' AND pod_id = "
                                "(SELECT id FROM pods WHERE name = 'b-1')"),
                     t0);
    /* Cutoff 40 minutes in: b-1's samples are all gone, but its last_t (t0) is
     * within the hour, so its names stay. */
    struct store_prune_stats ps;
    assert_int_equal(store_prune(st, t0 + 40 * 60 + 3600, 3600, &ps), 0);
    assert_int_equal(ps.samples, 40 + 31);
    assert_int_equal(ps.containers, 0);
    /* An hour later they go. a-1, sampled throughout, stays. */
    assert_int_equal(store_prune(st, t0 + 61 * 60 + 3600, 3600, &ps), 0);
    assert_int_equal(ps.containers, 1);
    assert_int_equal(ps.pods, 1);
    assert_int_equal(ps.workloads, 1);
    store_close(st);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM containers"), 1);
    assert_int_equal(sql_int(p, "SELECT min(t) FROM samples"), t0 + 61 * 60);
}

/* Any int64 is a container id a file may hold: -1 was taken for "no container
 * yet" and its samples went to the first container (or, with none, read
 * through a null pointer; found by fuzz_history). */
static void test_container_id_minus_one(void **state)
{
    (void)state;
    const char *p = new_path();
    struct store *st = open_rw(p);
    store_close(st);
    sql(p, "INSERT INTO workloads(id, name) VALUES(1, 'ns/w');"
           "INSERT INTO pods VALUES(1, 1, 'w-1');"
           "INSERT INTO containers(id, pod_id, name) VALUES(1, 1, 'a');"
           "INSERT INTO samples VALUES(-1, 10, 1, 1), (1, 20, 2, 2);");
    struct trace *t = NULL;
    struct trace_error err;
    assert_int_equal(trace_load_db(p, &t, &err), PS_ECORRUPT);
    assert_non_null(strstr(err.message, "container id -1, which has no name"));
}

/* Container ids far apart (a history edited by hand) are regrouped too. */
static void test_sparse_container_ids(void **state)
{
    (void)state;
    const char *p = new_path();
    struct store *st = open_rw(p);
    store_close(st);
    sql(p, "INSERT INTO workloads(id, name) VALUES(1, 'ns/w');"
           "INSERT INTO pods VALUES(1, 1, 'w-1');"
           "INSERT INTO containers(id, pod_id, name) VALUES(5, 1, 'a'), (4000000000000, 1, 'b');"
           "INSERT INTO samples VALUES(4000000000000, 10, 1, 1), (5, 10, 2, 2), "
           "(4000000000000, 20, 3, 3), (5, 20, 4, 4), (5, 30, 5, 5);");
    struct trace *t;
    struct trace_error err;
    assert_int_equal(trace_load_db(p, &t, &err), 0);
    assert_int_equal(t->n_series, 2);
    assert_int_equal(t->series[0].count, 3);
    assert_int_equal(t->cpu_milli[t->series[0].first + 2], 5);
    assert_int_equal(t->series[1].count, 2);
    assert_int_equal(t->cpu_milli[t->series[1].first + 1], 3);
    trace_free(t);
    /* A cap on the samples is checked before they are read into memory. */
    struct trace_load_opts o = {.max_samples = 4};
    t = NULL;
    assert_int_equal(trace_load_any(p, &o, &t, &err), PS_ENOSPC);
    assert_null(t);
    assert_non_null(strstr(err.message, "more than 4 samples"));
    o.max_samples = 5;
    assert_int_equal(trace_load_any(p, &o, &t, &err), 0);
    trace_free(t);
}

struct bad_file {
    const char *name;
    int rc;
    const char *what; /* a substring of the message */
};

static void expect_refused(const char *p, int want, const char *what, const char *name)
{
    uint64_t before = file_sum(p);
    struct stat sb0, sb1;
    assert_int_equal(stat(p, &sb0), 0);
    unsigned modes[] = {STORE_RDONLY, STORE_RDWR, STORE_RDWR | STORE_CREATE};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        struct store *st = (struct store *)&st;
        int rc = store_open(p, modes[i], &st, msg, sizeof msg);
        if (getenv("PS_TEST_VERBOSE"))
            printf("  %s: %s\n", name, msg);
        if (rc != want || st || !strstr(msg, p) || !strstr(msg, what))
            fail_msg("%s (flags %u): got %d '%s', want %d with '%s'", name, modes[i], rc, msg, want,
                     what);
        assert_true(file_sum(p) == before);
    }
    struct trace *t;
    struct trace_error err;
    int rc = trace_load_db(p, &t, &err);
    if (rc != want || strcmp(err.file, p) != 0)
        fail_msg("%s: trace_load_db gave %d (%s)", name, rc, err.message);
    assert_true(file_sum(p) == before);
    assert_int_equal(stat(p, &sb1), 0);
    assert_int_equal(sb0.st_size, sb1.st_size);
    assert_true(sb0.st_mtim.tv_sec == sb1.st_mtim.tv_sec &&
                sb0.st_mtim.tv_nsec == sb1.st_mtim.tv_nsec);
}

static void write_file(const char *p, const void *data, size_t len)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_refuse_bad_files(void **state)
{
    (void)state;
    const char *p;
    /* Garbage bytes. */
    unsigned char junk[8192];
    srand(42);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)rand();
    p = new_path();
    write_file(p, junk, sizeof junk);
    expect_refused(p, STORE_ENOTDB, "not an SQLite database", "garbage");

    /* A text file (a CSV trace given where a history is expected). */
    p = new_path();
    const char *text = "t_seconds,workload,pod,container,cpu_millicores,memory_bytes\n"
                       "0,w,p,c,1,1\n";
    write_file(p, text, strlen(text));
    expect_refused(p, STORE_ENOTDB, "not an SQLite database", "text");

    /* The SQLite magic followed by garbage. */
    p = new_path();
    memcpy(junk, "SQLite format 3", 16);
    write_file(p, junk, sizeof junk);
    expect_refused(p, PS_ECORRUPT, "corrupt", "magic + garbage");

    /* Another program's database: no application_id, then a foreign one. */
    p = new_path();
    sql(p, "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) "
           "VALUES('hello');");
    expect_refused(p, STORE_EFOREIGN, "another program", "no application_id");
    p = new_path();
    sql(p, "PRAGMA application_id = 252006673; CREATE TABLE blob(rid INTEGER PRIMARY KEY);");
    expect_refused(p, STORE_EFOREIGN, "0x0f055111", "fossil-like application_id");

    /* Another program's database in WAL mode: refused without leaving -wal or
     * -shm files beside it. */
    p = new_path();
    sql(p, "PRAGMA journal_mode=WAL; CREATE TABLE t(a); INSERT INTO t VALUES(1);");
    char side[sizeof path + 8];
    snprintf(side, sizeof side, "%s-wal", p);
    assert_int_equal(access(side, F_OK), -1);
    expect_refused(p, STORE_EFOREIGN, "another program", "foreign WAL database");
    assert_int_equal(access(side, F_OK), -1);
    snprintf(side, sizeof side, "%s-shm", p);
    assert_int_equal(access(side, F_OK), -1);

    /* A newer schema. */
    p = new_path();
    make_history(p, 10);
    sql(p, "PRAGMA user_version = 99;");
    expect_refused(p, PS_EVERSION, "newer", "newer user_version");

    /* A truncated history: half of its pages gone. */
    p = new_path();
    make_history(p, 20000);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_true(sb.st_size > 16 * 4096);
    assert_int_equal(truncate(p, sb.st_size / 2), 0);
    expect_refused(p, PS_ECORRUPT, "corrupt", "truncated");

    /* A history with a page overwritten in the middle. */
    p = new_path();
    make_history(p, 20000);
    assert_int_equal(stat(p, &sb), 0);
    int fd = open(p, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, junk + 100, 4096, (sb.st_size / 4096 / 2) * 4096), 4096);
    close(fd);
    expect_refused(p, PS_ECORRUPT, "corrupt", "overwritten page");

    /* A directory. */
    struct store *st;
    assert_int_equal(store_open(dir, STORE_RDWR, &st, msg, sizeof msg), PS_EINVAL);
}

/* A history whose file is sound but whose values are not: what another tool,
 * or an edit with the CHECK constraints off, can leave. Each is refused with
 * the table, the row and the column, and the file is left as it was. */
static void test_refuse_bad_values(void **state)
{
    (void)state;
    static const struct {
        const char *sql, *want;
    } cases[] = {
        {"UPDATE samples SET cpu_milli = 'abc' WHERE t = 1005",
         "table samples, row (container_id 1, t 1005): column cpu_milli holds text, not an "
         "integer"},
        {"UPDATE samples SET mem_bytes = 2.5 WHERE t = 1005",
         "column mem_bytes holds a real number"},
        {"UPDATE samples SET mem_bytes = 1.5e30 WHERE t = 1005",
         "column mem_bytes holds a real number"},
        {"UPDATE samples SET t = x'0102' WHERE t = 1005",
         "table samples, row (container_id 1): column t holds a blob"},
        {"UPDATE samples SET cpu_milli = -7 WHERE t = 1005", "negative value -7"},
        {"INSERT INTO resources(container_id, t, cpu_request_milli) VALUES(1, 1000, 'x')",
         "table resources, row (container_id 1, t 1000): column cpu_request_milli holds text"},
        {"INSERT INTO replicas(workload_id, t, replicas) VALUES(1, 1000, 4294967297)",
         "replicas 4294967297 is beyond any replica count"},
        {"INSERT INTO replicas(workload_id, t, replicas) VALUES(1, 1000, 1.5)",
         "table replicas, row (workload 'ns/web', t 1000): column replicas holds a real number"},
        {"UPDATE workloads SET name = x'6100'", "column workloads.name holds a blob, not text"},
        {"UPDATE containers SET name = x'41'", "column containers.name holds a blob, not text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *p = new_path();
        make_history(p, 10);
        char text[512];
        snprintf(text, sizeof text, "PRAGMA ignore_check_constraints = 1; %s;", cases[i].sql);
        sql(p, text);
        const uint64_t before = file_sum(p);
        struct trace *t = NULL;
        struct trace_error err;
        int rc = trace_load_db(p, &t, &err);
        if (rc == 0 || !strstr(err.message, cases[i].want))
            fail_msg("%s: rc %d, \"%s\", wanted \"%s\"", cases[i].sql, rc, err.message,
                     cases[i].want);
        assert_null(t);
        assert_string_equal(err.file, p);
        /* The message names the file once, in err.file. */
        assert_null(strstr(err.message, p));
        assert_true(file_sum(p) == before);
    }
    /* NULL is a resources column left unset, not an error. */
    const char *p = new_path();
    make_history(p, 10);
    sql(p, "INSERT INTO resources(container_id, t, cpu_request_milli) VALUES(1, 1000, NULL);");
    struct trace *t = NULL;
    struct trace_error err;
    assert_int_equal(trace_load_db(p, &t, &err), 0);
    trace_free(t);
}

static void test_blank_files(void **state)
{
    (void)state;
    struct store *st;
    /* Zero bytes: what a creator killed before its first commit leaves. */
    const char *p = new_path();
    write_file(p, "", 0);
    assert_int_equal(store_open(p, STORE_RDONLY, &st, msg, sizeof msg), PS_ENOENT);
    st = open_rw(p);
    store_close(st);
    assert_int_equal(sql_int(p, "PRAGMA user_version"), STORE_SCHEMA_VERSION);

    /* An SQLite file with nothing in it is taken over too, read-write only. */
    p = new_path();
    sql(p, "CREATE TABLE x(a); DROP TABLE x;");
    uint64_t before = file_sum(p);
    assert_int_equal(store_open(p, STORE_RDONLY, &st, msg, sizeof msg), STORE_EFOREIGN);
    assert_true(file_sum(p) == before);
    st = open_rw(p);
    store_close(st);
    assert_int_equal(sql_int(p, "PRAGMA application_id"), STORE_APPLICATION_ID);
}

static void test_batches_and_values(void **state)
{
    (void)state;
    const char *p = new_path();
    struct store *st = open_rw(p);
    assert_int_equal(store_add_sample(st, "w", "p", "c", 1, 1, 1), STORE_EBATCH);
    assert_int_equal(store_commit_batch(st), STORE_EBATCH);
    assert_int_equal(store_begin_batch(st), 0);
    assert_int_equal(store_begin_batch(st), STORE_EBATCH);
    assert_int_equal(store_add_sample(st, "w", "p", "c", 10, -1, 1), PS_ENEGATIVE);
    assert_int_equal(store_add_sample(st, "w", "p", "c", 10, 1, -1), PS_ENEGATIVE);
    assert_int_equal(store_add_sample(st, "", "p", "c", 10, 1, 1), PS_EINVAL);
    assert_int_equal(store_add_sample(st, "w", "", "c", 10, 1, 1), PS_EINVAL);
    assert_int_equal(store_add_sample(st, "w", "p", "", 10, 1, 1), PS_EINVAL);
    assert_int_equal(store_add_sample(st, "w", "p", "c", -5, 1, 1), PS_ETIME);
    assert_int_equal(store_add_replicas(st, "w", 10, -1), PS_ENEGATIVE);
    assert_int_equal(store_add_decision(st, 10, "w", "", NULL, NULL, NULL), PS_EINVAL);
    assert_non_null(strstr(store_errmsg(st), p));
    /* Work of a rolled-back batch disappears, ids included. */
    assert_int_equal(store_add_sample(st, "gone", "p", "c", 10, 1, 1), 0);
    store_rollback_batch(st);
    assert_int_equal(store_begin_batch(st), 0);
    assert_int_equal(store_add_sample(st, "w", "p", "c", 10, 1, 1), 0);
    assert_int_equal(store_add_sample(st, "w", "p", "c", 10, 2, 2), 0); /* ignored */
    assert_int_equal(store_add_replicas(st, "w", 10, 3), 0);
    assert_int_equal(store_add_replicas(st, "w", 10, 4), 0); /* replaces */
    assert_int_equal(store_add_sample(st, "gone", "p", "c", 20, 1, 1), 0);
    assert_int_equal(store_commit_batch(st), 0);
    store_close(st);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 2);
    assert_int_equal(sql_int(p, "SELECT cpu_milli FROM samples WHERE t = 10"), 1);
    assert_int_equal(sql_int(p, "SELECT replicas FROM replicas"), 4);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM containers c JOIN pods p ON "
                                "p.id = c.pod_id JOIN workloads w ON w.id = p.workload_id "
                                "WHERE w.name = 'gone'"),
                     1);
}

static int count_sample(void *ctx, int64_t cid, int64_t t, int64_t cpu, int64_t mem)
{
    (void)cid;
    (void)t;
    (void)cpu;
    (void)mem;
    ++*(int *)ctx;
    return 0;
}

/* Samples wait in the handle to go in STORE_SAMPLE_CHUNK rows per statement; a
 * read inside the batch sees them all, as it sees every other row of it. */
static void test_read_in_batch(void **state)
{
    (void)state;
    const char *p = new_path();
    struct store *st = open_rw(p);
    assert_int_equal(store_begin_batch(st), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_add_sample(st, "ns/w", "w-1", "app", 1000 + i, i, i), 0);
    int n = 0;
    uint64_t scanned = 0;
    assert_int_equal(store_for_each_sample(st, count_sample, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(store_scan_count(st, &scanned), 0);
    assert_int_equal(scanned, 3);
    /* Past a chunk, and a few more pending. */
    for (int i = 3; i < 40; i++)
        assert_int_equal(store_add_sample(st, "ns/w", "w-1", "app", 1000 + i, i, i), 0);
    assert_int_equal(store_scan_count(st, &scanned), 0);
    assert_int_equal(scanned, 40);
    n = 0;
    assert_int_equal(store_for_each_sample(st, count_sample, &n), 0);
    assert_int_equal(n, 40);
    /* Still one batch: a rollback takes every row away. */
    store_rollback_batch(st);
    assert_int_equal(store_scan_count(st, &scanned), 0);
    assert_int_equal(scanned, 0);
    store_close(st);
}

/* A migration step that fails on the file's rows says why, not only which
 * statements it ran: a version 2 history edited with its CHECK constraints off
 * holds a negative usage the version 3 table refuses. */
static void test_migrate_failure_says_why(void **state)
{
    (void)state;
    /* A row another tool wrote past the CHECK constraints is copied as it is,
     * and refused by the readers, as before the migration; the file stays
     * writable. */
    const char *p = new_path();
    sql(p, v1_sql);
    sql(p, v2_extra_sql);
    sql(p, "PRAGMA ignore_check_constraints = ON; UPDATE samples SET cpu_milli = -1 "
           "WHERE container_id = 2 AND t = 560;");
    struct store *st = open_rw(p);
    assert_int_equal(store_opened_version(st), 2);
    store_close(st);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 6);
    assert_int_equal(sql_int(p, "SELECT cpu_milli FROM samples WHERE container_id = 2 AND t = 560"),
                     -1);
    struct trace *t = NULL;
    struct trace_error err;
    assert_int_not_equal(trace_load_db(p, &t, &err), 0);
    assert_non_null(strstr(err.message, "negative"));

    /* A step that fails says why, and is rolled back whole. */
    p = new_path();
    sql(p, v1_sql);
    sql(p, v2_extra_sql);
    sql(p, "DROP TABLE replicas;");
    char big[2048];
    assert_int_not_equal(store_open(p, STORE_RDWR, &st, big, sizeof big), 0);
    assert_null(st);
    if (!strstr(big, "migrating to schema version 3") || !strstr(big, "no such table: replicas"))
        fail_msg("%s", big);
    assert_int_equal(sql_int(p, "PRAGMA user_version"), 2);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 6);
}

struct dec_seen {
    int n;
    char kinds[8][32];
    int64_t t[8];
    int null_before;
};

static int on_decision(void *ctx, const struct store_decision *d)
{
    struct dec_seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->kinds[s->n], sizeof s->kinds[0], "%s:%s", d->workload, d->kind);
        s->t[s->n] = d->t_s;
    }
    if (!d->before)
        s->null_before++;
    s->n++;
    return 0;
}

static void test_decisions_checkpoints(void **state)
{
    (void)state;
    const char *p = new_path();
    struct store *st = open_rw(p);
    assert_int_equal(store_begin_batch(st), 0);
    assert_int_equal(store_add_decision(st, 300, "ns/a", "replicas", "3", "5", "cpu 90% > 60%"), 0);
    assert_int_equal(store_add_decision(st, 100, "ns/b", "cpu_request", NULL, "250m", "init"), 0);
    assert_int_equal(store_add_decision(st, 200, "ns/a", "bottleneck", "cpu", "memory", "lead"), 0);
    const unsigned char blob[] = {1, 2, 0, 3};
    assert_int_equal(store_put_checkpoint(st, "ns/a", "app", 300, blob, sizeof blob), 0);
    assert_int_equal(store_put_checkpoint(st, "ns/a", "app", 400, blob, 2), 0);
    assert_int_equal(store_put_checkpoint(st, "ns/a", "empty", 400, NULL, 0), 0);
    assert_int_equal(store_commit_batch(st), 0);

    struct dec_seen s = {0};
    assert_int_equal(store_for_each_decision(st, 100, 300, on_decision, &s), 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.kinds[0], "ns/b:cpu_request");
    assert_string_equal(s.kinds[1], "ns/a:bottleneck");
    assert_int_equal(s.null_before, 1);

    int64_t t;
    void *data;
    size_t len;
    assert_int_equal(store_get_checkpoint(st, "ns/a", "app", &t, &data, &len), 0);
    assert_int_equal(t, 400);
    assert_int_equal(len, 2);
    assert_memory_equal(data, blob, 2);
    free(data);
    assert_int_equal(store_get_checkpoint(st, "ns/a", "empty", &t, &data, &len), 0);
    assert_int_equal(len, 0);
    free(data);
    assert_int_equal(store_get_checkpoint(st, "ns/a", "nope", &t, &data, &len), PS_ENOENT);
    assert_int_equal(store_get_checkpoint(st, "ns/zz", "app", &t, &data, &len), PS_ENOENT);
    store_close(st);
}

static void test_prune(void **state)
{
    (void)state;
    const char *p = new_path();
    struct store *st = open_rw(p);
    const int64_t day = 86400, t0 = 1700000000;
    assert_int_equal(store_begin_batch(st), 0);
    /* ns/a/a-1: a sample every hour for 10 days; ns/b/b-1: only days 0-1. */
    for (int64_t h = 0; h < 240; h++) {
        assert_int_equal(store_add_sample(st, "ns/a", "a-1", "app", t0 + h * 3600, h, h), 0);
        if (h < 48)
            assert_int_equal(store_add_sample(st, "ns/b", "b-1", "app", t0 + h * 3600, h, h), 0);
        assert_int_equal(store_add_replicas(st, "ns/a", t0 + h * 3600, 2), 0);
    }
    /* Requests set on day 0 and day 1 (in force from then on), then day 9. */
    assert_int_equal(
        store_add_resources(st, "ns/a", "a-1", "app", t0, 100, 1000, STORE_NONE, STORE_NONE), 0);
    assert_int_equal(
        store_add_resources(st, "ns/a", "a-1", "app", t0 + day, 200, 2000, STORE_NONE, STORE_NONE),
        0);
    assert_int_equal(store_add_resources(st, "ns/a", "a-1", "app", t0 + 9 * day, 300, 3000,
                                         STORE_NONE, STORE_NONE),
                     0);
    assert_int_equal(store_add_resources(st, "ns/b", "b-1", "app", t0, 1, 1, 1, 1), 0);
    assert_int_equal(store_add_decision(st, t0 + day, "ns/a", "replicas", "1", "2", "x"), 0);
    assert_int_equal(store_add_decision(st, t0 + 9 * day, "ns/a", "replicas", "2", "3", "y"), 0);
    assert_int_equal(store_add_decision(st, t0, "ns/c", "replicas", "2", "3", "only"), 0);
    assert_int_equal(store_put_checkpoint(st, "ns/a", "app", t0 + 9 * day, "x", 1), 0);
    assert_int_equal(store_commit_batch(st), 0);

    /* now = day 10 with the default 8 days: cutoff at day 2. */
    struct store_prune_stats ps;
    assert_int_equal(store_prune(st, t0 + 10 * day, 0, &ps), 0);
    assert_int_equal(ps.samples, 48 + 48);
    assert_int_equal(ps.replicas, 48);
    assert_int_equal(ps.decisions, 2);
    assert_int_equal(ps.checkpoints, 0);
    /* a-1 keeps the day-1 row (in force at the cutoff) and day 9; b-1's goes with it. */
    assert_int_equal(ps.resources, 1 + 1);
    assert_int_equal(ps.containers, 1);
    assert_int_equal(ps.pods, 1);
    assert_int_equal(ps.workloads, 2); /* ns/b and ns/c */
    /* The handle still works after its caches were dropped. */
    assert_int_equal(store_begin_batch(st), 0);
    assert_int_equal(store_add_sample(st, "ns/b", "b-2", "app", t0 + 10 * day, 1, 1), 0);
    assert_int_equal(store_add_sample(st, "ns/a", "a-1", "app", t0 + 10 * day, 1, 1), 0);
    assert_int_equal(store_commit_batch(st), 0);
    store_close(st);
    assert_int_equal(sql_int(p, "SELECT min(t) FROM samples"), t0 + 2 * day);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 240 - 48 + 2);
    assert_int_equal(sql_int(p, "SELECT min(t) FROM resources"), t0 + day);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM workloads"), 2);

    /* Loaded back, the samples of day 2 still see the request set on day 1. */
    struct trace *t;
    struct trace_error err;
    assert_int_equal(trace_load_db(p, &t, &err), 0);
    assert_int_equal(t->t0_unix_s, t0 + 2 * day);
    assert_int_equal(t->cpu_request_milli[0], 200);
    trace_free(t);

    /* A custom retention of one hour. */
    st = open_rw(p);
    assert_int_equal(store_prune(st, t0 + 10 * day, 3600, &ps), 0);
    store_close(st);
    assert_int_equal(sql_int(p, "SELECT count(*) FROM samples"), 3);
}

/* CSV with everything the trace can hold -> DB -> trace gives the same trace;
 * recorded replica counts come back rebased. */
static void test_round_trip(void **state)
{
    (void)state;
    const char *csv =
        "t_seconds,workload,pod,container,cpu_millicores,memory_bytes,cpu_request_millicores,"
        "memory_request_bytes,cpu_limit_millicores,memory_limit_bytes\n"
        "0,b,p,app,1,10,100,1000,,\n"
        "0,b,p,sidecar,2,20,,,,\n"
        "10,b,p,app,3,30,100,1000,,\n"
        "10,b,p,sidecar,4,40,5,,,\n"
        "0,a,p,sidecar,5,50,,,,\n"
        "0,a,p,app,6,60,,,200,\n"
        "20,b,p,app,7,70,,1000,,\n"
        "10,a,p,app,8,80,,,200,\n"
        "25,a,p,app,9,90,,,,4096\n";
    struct trace *a, *b;
    struct trace_error err;
    assert_int_equal(trace_parse_csv_buffer(csv, strlen(csv), "rt.csv", NULL, &a, &err), 0);
    const char *p = new_path();
    struct store *st = open_rw(p);
    assert_int_equal(store_import_trace(st, a, 1600000000), 0);
    store_close(st);
    /* Requests are stored where they change, not per sample. */
    assert_int_equal(sql_int(p, "SELECT count(*) FROM resources"), 5);
    assert_int_equal(trace_load_db(p, &b, &err), 0);
    char why[256];
    if (trace_compare(a, b, why, sizeof why))
        fail_msg("%s", why);
    assert_int_equal(b->t0_unix_s, 1600000000);
    trace_free(b);
    /* trace_load_any honours the sample cap on a database too. */
    struct trace_load_opts capped = {.max_samples = 3};
    assert_int_equal(trace_load_any(p, &capped, &b, &err), PS_ENOSPC);
    assert_null(b);
    assert_string_equal(err.file, p);

    /* Recorded replica counts, one before the first sample. */
    st = open_rw(p);
    assert_int_equal(store_begin_batch(st), 0);
    assert_int_equal(store_add_replicas(st, "a", 1600000000 + 10, 3), 0);
    assert_int_equal(store_add_replicas(st, "b", 1600000000 - 5, 1), 0);
    assert_int_equal(store_add_replicas(st, "a", 1600000000 - 5, 2), 0);
    assert_int_equal(store_commit_batch(st), 0);
    store_close(st);
    assert_int_equal(trace_load_db(p, &b, &err), 0);
    assert_int_equal(b->t0_unix_s, 1600000000 - 5);
    assert_int_equal(b->n_replicas, 3);
    assert_null(trace_check_invariants(b));
    /* Workload indexes: b came first in the CSV. */
    assert_string_equal(b->workloads[0], "b");
    assert_int_equal(b->replicas[0].workload, 0);
    assert_int_equal(b->replicas[0].t_s, 0);
    assert_int_equal(b->replicas[1].workload, 1);
    assert_int_equal(b->replicas[1].replicas, 2);
    assert_int_equal(b->replicas[2].t_s, 15);
    assert_int_equal(b->t_s[0], 5);
    trace_free(b);
    trace_free(a);

    /* An empty history is no trace. */
    p = new_path();
    st = open_rw(p);
    store_close(st);
    assert_int_equal(trace_load_db(p, &b, &err), PS_ENOENT);
    assert_non_null(strstr(err.message, "no samples"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_reopen),
        cmocka_unit_test(test_migrate_v1),
        cmocka_unit_test(test_migrate_v2),
        cmocka_unit_test(test_prune_names_lag),
        cmocka_unit_test(test_sparse_container_ids),
        cmocka_unit_test(test_container_id_minus_one),
        cmocka_unit_test(test_refuse_bad_files),
        cmocka_unit_test(test_refuse_bad_values),
        cmocka_unit_test(test_blank_files),
        cmocka_unit_test(test_batches_and_values),
        cmocka_unit_test(test_read_in_batch),
        cmocka_unit_test(test_migrate_failure_says_why),
        cmocka_unit_test(test_decisions_checkpoints),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
