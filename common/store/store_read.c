/*
 * Reads from the history: the table walks of store.h and the bare scan the
 * benchmarks compare replay with.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "store_int.h"

/* A statement walked row by row; cb gets the statement. */
static int walk(struct store *st, const char *sql,
                int (*row)(struct store *, sqlite3_stmt *, void *, void *), void *cb, void *ctx,
                const int64_t *binds, int nbinds)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store__sql_fail(st, rc, "preparing a read");
    for (int i = 0; i < nbinds; i++)
        sqlite3_bind_int64(s, i + 1, binds[i]);
    int ret = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        ret = row(st, s, cb, ctx);
        if (ret)
            break;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = store__sql_fail(st, rc, "reading");
    sqlite3_finalize(s);
    return ret;
}

static const char *type_name(int type)
{
    switch (type) {
    case SQLITE_INTEGER:
        return "an integer";
    case SQLITE_FLOAT:
        return "a real number";
    case SQLITE_TEXT:
        return "text";
    case SQLITE_BLOB:
        return "a blob";
    default:
        return "NULL";
    }
}

/* A column's type letter (fetch_row): I an integer, T text, and i or t the same
 * or NULL. */
static bool type_fits(int type, char want)
{
    if (type == SQLITE_NULL)
        return want == 'i' || want == 't';
    return type == (want == 'I' || want == 'i' ? SQLITE_INTEGER : SQLITE_TEXT);
}

/* The message for column `bad` of the row, which holds `type`: the table, the
 * row by its first two columns (those of a printable type), the column. */
static int row_refused(struct store *st, sqlite3_stmt *s, const char *table, const char *types,
                       int bad, int type)
{
    char key[160] = "";
    size_t n = 0;
    for (int i = 0; i < 2 && types[i] && n < sizeof key; i++) {
        if (i == bad)
            continue;
        const int t = sqlite3_column_type(s, i);
        const char *sep = n ? ", " : " (";
        int w = 0;
        if (t == SQLITE_INTEGER)
            w = snprintf(key + n, sizeof key - n, "%s%s %lld", sep, sqlite3_column_name(s, i),
                         (long long)sqlite3_column_int64(s, i));
        else if (t == SQLITE_TEXT)
            w = snprintf(key + n, sizeof key - n, "%s%s '%.48s'", sep, sqlite3_column_name(s, i),
                         (const char *)sqlite3_column_text(s, i));
        if (w > 0)
            n += (size_t)w < sizeof key - n ? (size_t)w : sizeof key - n - 1;
    }
    if (n > 0 && n < sizeof key - 1) {
        key[n] = ')';
        key[n + 1] = '\0';
    }
    const char want = types[bad];
    return store__fail(st, PS_ECORRUPT, "table %s, row%s: column %s holds %s, not %s", table, key,
                       sqlite3_column_name(s, bad), type_name(type),
                       want == 'I' || want == 'i' ? "an integer" : "text");
}

/*
 * The row's columns into v[], each of the type its letter in `types` asks for,
 * or PS_ECORRUPT naming the table, the row and the column. A history another
 * tool wrote (or edited with its CHECK constraints off) can hold any value in
 * any column, and SQLite converts on read without a word: text reads as 0, 2.5
 * as 2, 1e30 as INT64_MAX, a blob as the number its bytes spell.
 *
 * Each column is fetched once, as a value whose type is read before any
 * conversion: every sqlite3_column_* call takes the connection's mutex, and a
 * sqlite3_column_type before each read cost a fifth of trace_load_db's time. The
 * values are unprotected (sqlite3_column_value), which is sound while one
 * thread uses the store, as store.h requires; they live until the next step.
 */
static int fetch_row(struct store *st, sqlite3_stmt *s, const char *table, const char *types,
                     sqlite3_value **v)
{
    for (int i = 0; types[i]; i++) {
        v[i] = sqlite3_column_value(s, i);
        const int type = sqlite3_value_type(v[i]);
        if (!type_fits(type, types[i]))
            return row_refused(st, s, table, types, i, type);
    }
    return 0;
}

/* Text of a T column ("" should SQLite fail to allocate it, as before). */
static const char *value_text(sqlite3_value *v)
{
    const unsigned char *t = sqlite3_value_text(v);
    return t ? (const char *)t : "";
}

/* A t column: NULL for NULL. */
static const char *value_text_or_null(sqlite3_value *v)
{
    return (const char *)sqlite3_value_text(v);
}

/* An i column: STORE_NONE for NULL. */
static int64_t value_int_or_none(sqlite3_value *v)
{
    return sqlite3_value_type(v) == SQLITE_NULL ? STORE_NONE : sqlite3_value_int64(v);
}

/* Function pointers travel through void * as a struct, never as a cast. */
struct cb_container {
    store_container_cb fn;
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

static int row_container(struct store *st, sqlite3_stmt *s, void *cb, void *ctx)
{
    sqlite3_value *v[4];
    int rc = fetch_row(st, s, "containers", "ITTT", v);
    if (rc)
        return rc;
    return ((struct cb_container *)cb)
        ->fn(ctx, sqlite3_value_int64(v[0]), value_text(v[1]), value_text(v[2]), value_text(v[3]));
}

int store_for_each_container(struct store *st, store_container_cb cb, void *ctx)
{
    struct cb_container c = {cb};
    return walk(st,
                "SELECT c.id, w.name AS \"workloads.name\", p.name AS \"pods.name\", "
                "c.name AS \"containers.name\" FROM containers c "
                "JOIN pods p ON p.id = c.pod_id JOIN workloads w ON w.id = p.workload_id "
                "ORDER BY c.id",
                row_container, &c, ctx, NULL, 0);
}

/* The samples in the table's order (time, then container), for regrouping. */
struct sample_rows {
    struct sample_row {
        int64_t cid, t, cpu, mem;
    } * r;
    size_t n, cap;
};

static int row_collect(struct store *st, sqlite3_stmt *s, void *cb, void *ctx)
{
    (void)ctx;
    struct sample_rows *rows = cb;
    sqlite3_value *v[4];
    int rc = fetch_row(st, s, "samples", "IIII", v);
    if (rc)
        return rc;
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 4096;
        struct sample_row *grown = realloc(rows->r, cap * sizeof *grown);
        if (!grown)
            return store__fail(st, PS_ENOMEM, "out of memory");
        rows->r = grown;
        rows->cap = cap;
    }
    rows->r[rows->n++] = (struct sample_row){sqlite3_value_int64(v[0]), sqlite3_value_int64(v[1]),
                                             sqlite3_value_int64(v[2]), sqlite3_value_int64(v[3])};
    return 0;
}

static int cmp_cid_t(const void *a, const void *b)
{
    const struct sample_row *x = a, *y = b;
    if (x->cid != y->cid)
        return x->cid < y->cid ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

/*
 * The table is keyed by (t, container_id) (schema v3) and read in that order,
 * which is one sequential walk; the rows are then visited by container. Ids
 * are dense (INTEGER PRIMARY KEY), so the order is a counting sort into an
 * index (4 bytes a row, not a second copy of the rows), stable, so each
 * container's rows stay in time order. Ids spread far wider than the rows (a
 * history edited by hand) are sorted in place instead: *order stays NULL.
 */
static int regroup(struct store *st, struct sample_rows *rows, uint32_t **order)
{
    *order = NULL;
    if (rows->n < 2)
        return 0;
    if (rows->n > UINT32_MAX)
        return store__fail(st, PS_ENOSPC, "more than %u samples", (unsigned)UINT32_MAX);
    int64_t lo = rows->r[0].cid, hi = lo;
    for (size_t i = 1; i < rows->n; i++) {
        if (rows->r[i].cid < lo)
            lo = rows->r[i].cid;
        if (rows->r[i].cid > hi)
            hi = rows->r[i].cid;
    }
    /* hi - lo can overflow only when the ids are far apart: sort those. */
    const uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span > 2 * (uint64_t)rows->n + 65536) {
        qsort(rows->r, rows->n, sizeof *rows->r, cmp_cid_t);
        return 0;
    }
    size_t *at = calloc((size_t)span + 2, sizeof *at);
    uint32_t *idx = malloc(rows->n * sizeof *idx);
    if (!at || !idx) {
        free(at);
        free(idx);
        return store__fail(st, PS_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < rows->n; i++)
        at[(uint64_t)rows->r[i].cid - (uint64_t)lo + 1]++;
    for (uint64_t k = 1; k <= span + 1; k++)
        at[k] += at[k - 1];
    for (size_t i = 0; i < rows->n; i++)
        idx[at[(uint64_t)rows->r[i].cid - (uint64_t)lo]++] = (uint32_t)i;
    free(at);
    *order = idx;
    return 0;
}

int store_for_each_sample(struct store *st, store_sample_cb cb, void *ctx)
{
    struct sample_rows rows = {0};
    uint32_t *order = NULL;
    /* Samples of an open batch still in the handle go in first: a read in the
     * batch sees every row of it (store_int.h). */
    int rc = store__flush_samples(st);
    if (rc)
        return rc;
    rc = walk(st,
              "SELECT container_id, t, cpu_milli, mem_bytes FROM samples ORDER BY t, "
              "container_id",
              row_collect, &rows, NULL, NULL, 0);
    if (!rc)
        rc = regroup(st, &rows, &order);
    for (size_t i = 0; !rc && i < rows.n; i++) {
        const struct sample_row *r = &rows.r[order ? order[i] : i];
        rc = cb(ctx, r->cid, r->t, r->cpu, r->mem);
    }
    free(order);
    free(rows.r);
    return rc;
}

int store_sample_count(struct store *st, uint64_t *n)
{
    *n = 0;
    int rc = store__flush_samples(st);
    if (rc)
        return rc;
    sqlite3_stmt *s = NULL;
    rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM samples", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store__sql_fail(st, rc, "preparing a count");
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *n = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : store__sql_fail(st, rc, "counting samples");
}

static int row_resources(struct store *st, sqlite3_stmt *s, void *cb, void *ctx)
{
    sqlite3_value *v[6];
    int rc = fetch_row(st, s, "resources", "IIiiii", v);
    if (rc)
        return rc;
    return ((struct cb_resources *)cb)
        ->fn(ctx, sqlite3_value_int64(v[0]), sqlite3_value_int64(v[1]), value_int_or_none(v[2]),
             value_int_or_none(v[3]), value_int_or_none(v[4]), value_int_or_none(v[5]));
}

int store_for_each_resources(struct store *st, store_resources_cb cb, void *ctx)
{
    struct cb_resources c = {cb};
    return walk(st,
                "SELECT container_id, t, cpu_request_milli, mem_request_bytes, cpu_limit_milli, "
                "mem_limit_bytes FROM resources ORDER BY container_id, t",
                row_resources, &c, ctx, NULL, 0);
}

static int row_replicas(struct store *st, sqlite3_stmt *s, void *cb, void *ctx)
{
    sqlite3_value *v[3];
    int rc = fetch_row(st, s, "replicas", "TII", v);
    if (rc)
        return rc;
    /* sqlite3_column_int keeps the low 32 bits: 2^32 + 1 would read as 1. */
    const int64_t n = sqlite3_value_int64(v[2]);
    if (n < INT32_MIN || n > INT32_MAX)
        return store__fail(st, PS_ECORRUPT,
                           "table replicas, row (workload '%.48s', t %lld): "
                           "replicas %lld is beyond any replica count",
                           value_text(v[0]), (long long)sqlite3_value_int64(v[1]), (long long)n);
    return ((struct cb_replicas *)cb)
        ->fn(ctx, value_text(v[0]), sqlite3_value_int64(v[1]), (int32_t)n);
}

int store_for_each_replicas(struct store *st, store_replicas_cb cb, void *ctx)
{
    struct cb_replicas c = {cb};
    return walk(st,
                "SELECT w.name AS workload, r.t, r.replicas FROM replicas r "
                "JOIN workloads w ON w.id = r.workload_id ORDER BY r.workload_id, r.t",
                row_replicas, &c, ctx, NULL, 0);
}

static int row_decision(struct store *st, sqlite3_stmt *s, void *cb, void *ctx)
{
    sqlite3_value *v[6];
    int rc = fetch_row(st, s, "decisions", "ITTttt", v);
    if (rc)
        return rc;
    struct store_decision d = {
        .t_s = sqlite3_value_int64(v[0]),
        .workload = value_text(v[1]),
        .kind = value_text(v[2]),
        .before = value_text_or_null(v[3]),
        .after = value_text_or_null(v[4]),
        .reason = value_text_or_null(v[5]),
    };
    return ((struct cb_decision *)cb)->fn(ctx, &d);
}

int store_for_each_decision(struct store *st, int64_t from_s, int64_t to_s, store_decision_cb cb,
                            void *ctx)
{
    struct cb_decision c = {cb};
    const int64_t binds[2] = {from_s, to_s};
    return walk(st,
                "SELECT d.t, w.name AS workload, d.kind, d.value_before, d.value_after, d.reason "
                "FROM decisions d JOIN workloads w ON w.id = d.workload_id "
                "WHERE d.t >= ?1 AND d.t < ?2 ORDER BY d.t, d.id",
                row_decision, &c, ctx, binds, 2);
}

int store_scan_count(struct store *st, uint64_t *n)
{
    *n = 0;
    int rc = store__flush_samples(st); /* as store_for_each_sample */
    if (rc)
        return rc;
    sqlite3_stmt *s = NULL;
    rc = sqlite3_prepare_v2(st->db, "SELECT container_id, t, cpu_milli, mem_bytes FROM samples", -1,
                            &s, NULL);
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
