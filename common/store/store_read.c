/*
 * Reads from the history: the table walks of store.h and the bare scan the
 * benchmarks compare replay with.
 */
#include "store_int.h"

/* A statement walked row by row; cb gets the statement. */
static int walk(struct store *st, const char *sql, int (*row)(sqlite3_stmt *, void *, void *),
                void *cb, void *ctx, const int64_t *binds, int nbinds)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store__sql_fail(st, rc, "preparing a read");
    for (int i = 0; i < nbinds; i++)
        sqlite3_bind_int64(s, i + 1, binds[i]);
    int ret = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ret = row(s, cb, ctx);
        if (ret)
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = store__sql_fail(st, rc, "reading");
    sqlite3_finalize(s);
    return ret;
}

static const char *text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

static const char *text_or_null(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

static int64_t int_or_none(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? STORE_NONE : sqlite3_column_int64(s, i);
}

/* Function pointers travel through void * as a struct, never as a cast. */
struct cb_container {
    store_container_cb fn;
};
struct cb_sample {
    store_sample_cb fn;
};
struct cb_resources {
    store_resources_cb fn;
};
struct cb_replicas {
    store_replicas_cb fn;
};
struct cb_decision {
    store_decision_cb fn;
};

static int row_container(sqlite3_stmt *s, void *cb, void *ctx)
{
    return ((struct cb_container *)cb)
        ->fn(ctx, sqlite3_column_int64(s, 0), text(s, 1), text(s, 2), text(s, 3));
}

int store_for_each_container(struct store *st, store_container_cb cb, void *ctx)
{
    struct cb_container c = {cb};
    return walk(st,
                "SELECT c.id, w.name, p.name, c.name FROM containers c "
                "JOIN pods p ON p.id = c.pod_id JOIN workloads w ON w.id = p.workload_id "
                "ORDER BY c.id",
                row_container, &c, ctx, NULL, 0);
}

static int row_sample(sqlite3_stmt *s, void *cb, void *ctx)
{
    return ((struct cb_sample *)cb)
        ->fn(ctx, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
             sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3));
}

int store_for_each_sample(struct store *st, store_sample_cb cb, void *ctx)
{
    struct cb_sample c = {cb};
    return walk(st,
                "SELECT container_id, t, cpu_milli, mem_bytes FROM samples "
                "ORDER BY container_id, t",
                row_sample, &c, ctx, NULL, 0);
}

static int row_resources(sqlite3_stmt *s, void *cb, void *ctx)
{
    return ((struct cb_resources *)cb)
        ->fn(ctx, sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), int_or_none(s, 2),
             int_or_none(s, 3), int_or_none(s, 4), int_or_none(s, 5));
}

int store_for_each_resources(struct store *st, store_resources_cb cb, void *ctx)
{
    struct cb_resources c = {cb};
    return walk(st,
                "SELECT container_id, t, cpu_request_milli, mem_request_bytes, cpu_limit_milli, "
                "mem_limit_bytes FROM resources ORDER BY container_id, t",
                row_resources, &c, ctx, NULL, 0);
}

static int row_replicas(sqlite3_stmt *s, void *cb, void *ctx)
{
    return ((struct cb_replicas *)cb)
        ->fn(ctx, text(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int(s, 2));
}

int store_for_each_replicas(struct store *st, store_replicas_cb cb, void *ctx)
{
    struct cb_replicas c = {cb};
    return walk(st,
                "SELECT w.name, r.t, r.replicas FROM replicas r "
                "JOIN workloads w ON w.id = r.workload_id ORDER BY r.workload_id, r.t",
                row_replicas, &c, ctx, NULL, 0);
}

static int row_decision(sqlite3_stmt *s, void *cb, void *ctx)
{
    struct store_decision d = {
        .t_s = sqlite3_column_int64(s, 0),
        .workload = text(s, 1),
        .kind = text(s, 2),
        .before = text_or_null(s, 3),
        .after = text_or_null(s, 4),
        .reason = text_or_null(s, 5),
    };
    return ((struct cb_decision *)cb)->fn(ctx, &d);
}

int store_for_each_decision(struct store *st, int64_t from_s, int64_t to_s, store_decision_cb cb,
                            void *ctx)
{
    struct cb_decision c = {cb};
    const int64_t binds[2] = {from_s, to_s};
    return walk(st,
                "SELECT d.t, w.name, d.kind, d.value_before, d.value_after, d.reason "
                "FROM decisions d JOIN workloads w ON w.id = d.workload_id "
                "WHERE d.t >= ?1 AND d.t < ?2 ORDER BY d.t, d.id",
                row_decision, &c, ctx, binds, 2);
}

int store_scan_count(struct store *st, uint64_t *n)
{
    *n = 0;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "SELECT container_id, t, cpu_milli, mem_bytes FROM samples",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store__sql_fail(st, rc, "preparing the scan");
    uint64_t rows = 0, sum = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        /* Read every column, as a consumer of the samples would. */
        sum += (uint64_t)sqlite3_column_int64(s, 0) + (uint64_t)sqlite3_column_int64(s, 1) +
               (uint64_t)sqlite3_column_int64(s, 2) + (uint64_t)sqlite3_column_int64(s, 3);
        rows++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store__sql_fail(st, rc, "scanning samples");
    /* The sum only keeps the column reads from being optimized away. */
    volatile uint64_t sink = sum;
    (void)sink;
    *n = rows;
    return 0;
}
