/*
 * Writes to the history: name resolution, samples and the other rows,
 * checkpoints, pruning and trace import. Every statement is prepared once per
 * handle; rows go in inside the caller's batch (one transaction).
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_schema.h"

/* Looks a name up in a cache, then in its table; inserts it when missing and
 * create is set (PS_ENOENT otherwise). The statements take (?1 name[, ?2 parent]). */
static int resolve(struct store *st, struct ps__map *cache, sqlite3_stmt **sel, const char *sel_sql,
                   sqlite3_stmt **ins, const char *ins_sql, int64_t parent, const char *what,
                   const char *name, int create, int64_t *id)
{
    if (!name || !*name)
        return store__fail(st, PS_EINVAL, "empty %s name", what);
    size_t len = strlen(name);
    const uint64_t *v = ps__map_get(cache, (uint64_t)parent, name, len);
    if (v) {
        *id = (int64_t)*v;
        return 0;
    }
    int rc = store__prep(st, sel, sel_sql);
    if (rc)
        return rc;
    sqlite3_bind_text(*sel, 1, name, (int)len, SQLITE_STATIC);
    if (parent)
        sqlite3_bind_int64(*sel, 2, parent);
    rc = sqlite3_step(*sel);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(*sel, 0);
        sqlite3_reset(*sel);
    } else if (rc == SQLITE_DONE) {
        sqlite3_reset(*sel);
        if (!create)
            return store__fail(st, PS_ENOENT, "no %s '%s'", what, name);
        if ((rc = store__prep(st, ins, ins_sql)))
            return rc;
        sqlite3_bind_text(*ins, 1, name, (int)len, SQLITE_STATIC);
        if (parent)
            sqlite3_bind_int64(*ins, 2, parent);
        rc = sqlite3_step(*ins);
        sqlite3_reset(*ins);
        if (rc != SQLITE_DONE)
            return store__sql_fail(st, rc, what);
        *id = sqlite3_last_insert_rowid(st->db);
    } else {
        sqlite3_reset(*sel);
        return store__sql_fail(st, rc, what);
    }
    if (ps__map_put(cache, (uint64_t)parent, name, len, (uint64_t)*id))
        return store__fail(st, PS_ENOMEM, "out of memory");
    return 0;
}

static int workload_id(struct store *st, const char *wl, int create, int64_t *id)
{
    return resolve(st, &st->wl_ids, &st->s_wl_sel, "SELECT id FROM workloads WHERE name = ?1",
                   &st->s_wl_ins, "INSERT INTO workloads(name) VALUES(?1)", 0, "workload", wl,
                   create, id);
}

static int container_id(struct store *st, const char *wl, const char *pod, const char *ctr,
                        int64_t *id)
{
    int64_t w = 0, p = 0;
    int rc = workload_id(st, wl, 1, &w);
    if (!rc)
        rc = resolve(st, &st->pod_ids, &st->s_pod_sel,
                     "SELECT id FROM pods WHERE name = ?1 AND workload_id = ?2", &st->s_pod_ins,
                     "INSERT INTO pods(name, workload_id) VALUES(?1, ?2)", w, "pod", pod, 1, &p);
    if (!rc)
        rc = resolve(st, &st->ctr_ids, &st->s_ctr_sel,
                     "SELECT id FROM containers WHERE name = ?1 AND pod_id = ?2", &st->s_ctr_ins,
                     "INSERT INTO containers(name, pod_id) VALUES(?1, ?2)", p, "container", ctr, 1,
                     id);
    return rc;
}

static int step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return store__sql_fail(st, rc, what);
    return 0;
}

static int check_time(struct store *st, int64_t t_s)
{
    /* Unix seconds; the bound keeps t0 + offset sums of import far from overflow. */
    if (t_s < 0 || t_s > INT64_C(1) << 40)
        return store__fail(st, PS_ETIME, "time %lld out of range", (long long)t_s);
    return 0;
}

/*
 * Keeps containers.last_t (workloads.last_t) within STORE_NOTE_S of the id's
 * latest row, for pruning (store_schema.h, version 3): written when t is at
 * least STORE_NOTE_S past what this handle last wrote for the id, or on the
 * handle's first row for it. The value cached is t, which is at most the one
 * stored (max of both), so the bound holds whatever other handles wrote.
 */
static int note_time(struct store *st, struct ps__map *noted, sqlite3_stmt **stmt, const char *sql,
                     int64_t id, int64_t t_s)
{
    uint64_t *v = ps__map_get(noted, (uint64_t)id, NULL, 0);
    if (v && t_s < (int64_t)*v + STORE_NOTE_S)
        return 0;
    int rc = store__prep(st, stmt, sql);
    if (rc)
        return rc;
    sqlite3_bind_int64(*stmt, 1, id);
    sqlite3_bind_int64(*stmt, 2, t_s);
    rc = step_done(st, *stmt, "noting a row's time");
    if (rc)
        return rc;
    if (v)
        *v = (uint64_t)t_s;
    else if (ps__map_put(noted, (uint64_t)id, NULL, 0, (uint64_t)t_s))
        return store__fail(st, PS_ENOMEM, "out of memory");
    return 0;
}

#define SAMPLE_INSERT "INSERT OR IGNORE INTO samples(container_id, t, cpu_milli, mem_bytes) VALUES"
#define SAMPLE_ROW    "(?, ?, ?, ?)"
#define SAMPLE_ROWS4  SAMPLE_ROW "," SAMPLE_ROW "," SAMPLE_ROW "," SAMPLE_ROW
#define SAMPLE_ROWS16 SAMPLE_ROWS4 "," SAMPLE_ROWS4 "," SAMPLE_ROWS4 "," SAMPLE_ROWS4
_Static_assert(STORE_SAMPLE_CHUNK == 32, "the chunk statement spells 32 rows");

int store__flush_samples(struct store *st)
{
    sqlite3_stmt **stmt = &st->s_sample_chunk;
    const char *sql = SAMPLE_INSERT " " SAMPLE_ROWS16 "," SAMPLE_ROWS16;
    size_t rows = STORE_SAMPLE_CHUNK;
    if (st->n_pend == 0)
        return 0;
    if (st->n_pend < STORE_SAMPLE_CHUNK) {
        stmt = &st->s_sample;
        sql = SAMPLE_INSERT " " SAMPLE_ROW;
        rows = 1;
    }
    int rc = store__prep(st, stmt, sql);
    for (size_t i = 0; i < st->n_pend && !rc; i += rows) {
        for (size_t k = 0; k < rows; k++) {
            const struct store_pending_sample *p = &st->pend[i + k];
            const int at = (int)(4 * k);
            sqlite3_bind_int64(*stmt, at + 1, p->cid);
            sqlite3_bind_int64(*stmt, at + 2, p->t);
            sqlite3_bind_int64(*stmt, at + 3, p->cpu);
            sqlite3_bind_int64(*stmt, at + 4, p->mem);
        }
        rc = step_done(st, *stmt, "inserting samples");
    }
    st->n_pend = 0;
    return rc;
}

static int insert_sample(struct store *st, int64_t cid, int64_t t_s, int64_t cpu, int64_t mem)
{
    st->pend[st->n_pend++] = (struct store_pending_sample){cid, t_s, cpu, mem};
    int rc = st->n_pend == STORE_SAMPLE_CHUNK ? store__flush_samples(st) : 0;
    return rc ? rc
              : note_time(st, &st->ctr_noted, &st->s_ctr_note,
                          "UPDATE containers SET last_t = max(coalesce(last_t, ?2), ?2) "
                          "WHERE id = ?1",
                          cid, t_s);
}

/* Every row written needs an open batch and a valid time. */
static int row_checks(struct store *st, int64_t t_s)
{
    int rc = store__need_batch(st);
    return rc ? rc : check_time(st, t_s);
}

int store_add_sample(struct store *st, const char *workload, const char *pod, const char *container,
                     int64_t t_s, int64_t cpu_milli, int64_t mem_bytes)
{
    int rc = row_checks(st, t_s);
    if (rc)
        return rc;
    if (cpu_milli < 0 || mem_bytes < 0)
        return store__fail(st, PS_ENEGATIVE, "negative usage for %s/%s/%s", workload, pod,
                           container);
    int64_t cid;
    if ((rc = container_id(st, workload, pod, container, &cid)))
        return rc;
    return insert_sample(st, cid, t_s, cpu_milli, mem_bytes);
}

static int insert_replicas(struct store *st, int64_t wid, int64_t t_s, int32_t replicas)
{
    int rc = store__prep(st, &st->s_replicas,
                         "INSERT OR REPLACE INTO replicas(workload_id, t, replicas) "
                         "VALUES(?1, ?2, ?3)");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->s_replicas, 1, wid);
    sqlite3_bind_int64(st->s_replicas, 2, t_s);
    sqlite3_bind_int(st->s_replicas, 3, replicas);
    rc = step_done(st, st->s_replicas, "inserting a replica count");
    return rc ? rc
              : note_time(st, &st->wl_noted, &st->s_wl_note,
                          "UPDATE workloads SET last_t = max(coalesce(last_t, ?2), ?2) "
                          "WHERE id = ?1",
                          wid, t_s);
}

int store_add_replicas(struct store *st, const char *workload, int64_t t_s, int32_t replicas)
{
    int rc = row_checks(st, t_s);
    if (rc)
        return rc;
    if (replicas < 0)
        return store__fail(st, PS_ENEGATIVE, "negative replica count for %s", workload);
    int64_t wid;
    if ((rc = workload_id(st, workload, 1, &wid)))
        return rc;
    return insert_replicas(st, wid, t_s, replicas);
}

static void bind_opt(sqlite3_stmt *s, int i, int64_t v)
{
    if (v == STORE_NONE)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int64(s, i, v);
}

static int insert_resources(struct store *st, int64_t cid, int64_t t_s, const int64_t v[4])
{
    int rc = store__prep(st, &st->s_resources,
                         "INSERT OR REPLACE INTO resources(container_id, t, cpu_request_milli, "
                         "mem_request_bytes, cpu_limit_milli, mem_limit_bytes) "
                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->s_resources, 1, cid);
    sqlite3_bind_int64(st->s_resources, 2, t_s);
    for (int i = 0; i < 4; i++)
        bind_opt(st->s_resources, 3 + i, v[i]);
    return step_done(st, st->s_resources, "inserting requests/limits");
}

int store_add_resources(struct store *st, const char *workload, const char *pod,
                        const char *container, int64_t t_s, int64_t cpu_request_milli,
                        int64_t mem_request_bytes, int64_t cpu_limit_milli, int64_t mem_limit_bytes)
{
    int rc = row_checks(st, t_s);
    if (rc)
        return rc;
    const int64_t v[4] = {cpu_request_milli, mem_request_bytes, cpu_limit_milli, mem_limit_bytes};
    for (int i = 0; i < 4; i++) {
        if (v[i] != STORE_NONE && v[i] < 0)
            return store__fail(st, PS_ENEGATIVE, "negative request or limit for %s/%s/%s", workload,
                               pod, container);
    }
    int64_t cid;
    if ((rc = container_id(st, workload, pod, container, &cid)))
        return rc;
    return insert_resources(st, cid, t_s, v);
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

int store_add_decision(struct store *st, int64_t t_s, const char *workload, const char *kind,
                       const char *before, const char *after, const char *reason)
{
    int rc = row_checks(st, t_s);
    if (rc)
        return rc;
    if (!kind || !*kind)
        return store__fail(st, PS_EINVAL, "decision without a kind");
    int64_t wid;
    if ((rc = workload_id(st, workload, 1, &wid)))
        return rc;
    rc = store__prep(st, &st->s_decision,
                     "INSERT INTO decisions(t, workload_id, kind, value_before, value_after, "
                     "reason) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->s_decision, 1, t_s);
    sqlite3_bind_int64(st->s_decision, 2, wid);
    sqlite3_bind_text(st->s_decision, 3, kind, -1, SQLITE_STATIC);
    bind_text_or_null(st->s_decision, 4, before);
    bind_text_or_null(st->s_decision, 5, after);
    bind_text_or_null(st->s_decision, 6, reason);
    return step_done(st, st->s_decision, "inserting a decision");
}

int store_put_checkpoint(struct store *st, const char *workload, const char *name, int64_t t_s,
                         const void *data, size_t len)
{
    int rc = row_checks(st, t_s);
    if (rc)
        return rc;
    if (!name || !*name)
        return store__fail(st, PS_EINVAL, "checkpoint without a name");
    int64_t wid;
    if ((rc = workload_id(st, workload, 1, &wid)))
        return rc;
    rc = store__prep(st, &st->s_ckpt_put,
                     "INSERT OR REPLACE INTO checkpoints(workload_id, name, t, data) "
                     "VALUES(?1, ?2, ?3, ?4)");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->s_ckpt_put, 1, wid);
    sqlite3_bind_text(st->s_ckpt_put, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st->s_ckpt_put, 3, t_s);
    /* A zero-length blob must still be a blob, not NULL (data NOT NULL). */
    sqlite3_bind_blob64(st->s_ckpt_put, 4, len ? data : "", len, SQLITE_STATIC);
    return step_done(st, st->s_ckpt_put, "storing a checkpoint");
}

int store_get_checkpoint(struct store *st, const char *workload, const char *name, int64_t *t_s,
                         void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    int64_t wid;
    int rc = workload_id(st, workload, 0, &wid);
    if (rc)
        return rc;
    rc = store__prep(st, &st->s_ckpt_get,
                     "SELECT t, data FROM checkpoints WHERE workload_id = ?1 AND name = ?2");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->s_ckpt_get, 1, wid);
    sqlite3_bind_text(st->s_ckpt_get, 2, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st->s_ckpt_get);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st->s_ckpt_get);
        return store__fail(st, PS_ENOENT, "no checkpoint '%s' for %s", name, workload);
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st->s_ckpt_get);
        return store__sql_fail(st, rc, "reading a checkpoint");
    }
    *t_s = sqlite3_column_int64(st->s_ckpt_get, 0);
    const void *b = sqlite3_column_blob(st->s_ckpt_get, 1);
    size_t n = (size_t)sqlite3_column_bytes(st->s_ckpt_get, 1);
    void *copy = malloc(n ? n : 1);
    if (!copy) {
        sqlite3_reset(st->s_ckpt_get);
        return store__fail(st, PS_ENOMEM, "out of memory");
    }
    if (n)
        memcpy(copy, b, n);
    sqlite3_reset(st->s_ckpt_get);
    *data = copy;
    *len = n;
    return 0;
}

/* The ids of a table, for the per-key range deletes of pruning. */
static int list_ids(struct store *st, const char *sql, int64_t **ids, size_t *n)
{
    sqlite3_stmt *s = NULL;
    *ids = NULL;
    *n = 0;
    size_t cap = 0;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store__sql_fail(st, rc, "listing ids");
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            int64_t *ni = realloc(*ids, cap * sizeof *ni);
            if (!ni) {
                sqlite3_finalize(s);
                return store__fail(st, PS_ENOMEM, "out of memory");
            }
            *ids = ni;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store__sql_fail(st, rc, "listing ids");
    return 0;
}

/* Runs sql once per id (?1 = id, ?2 = cutoff, ?3 = cutoff - STORE_NOTE_S: the
 * last_t a name with no row left at the cutoff has at most), adding up the rows
 * deleted. Statements without ?2 or ?3 ignore them (binding a missing parameter
 * is a no-op). */
static int delete_per_id(struct store *st, const char *sql, const int64_t *ids, size_t n,
                         int64_t cutoff, int64_t *deleted)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return store__sql_fail(st, rc, "pruning");
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(s, 1, ids[i]);
        sqlite3_bind_int64(s, 2, cutoff);
        sqlite3_bind_int64(s, 3, cutoff - STORE_NOTE_S);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
        if (rc != SQLITE_DONE) {
            sqlite3_finalize(s);
            return store__sql_fail(st, rc, "pruning");
        }
        *deleted += sqlite3_changes(st->db);
    }
    sqlite3_finalize(s);
    return 0;
}

/* Runs sql once with ?1 = cutoff. */
static int delete_all(struct store *st, const char *sql, int64_t cutoff, int64_t *deleted)
{
    return delete_per_id(st, sql, &cutoff, 1, cutoff, deleted);
}

static int prune_rows(struct store *st, int64_t cutoff, struct store_prune_stats *ps)
{
    /* Samples and replica counts are keyed by time (schema v3): one range delete
     * each, at the left edge of the tree. */
    int rc = delete_all(st, "DELETE FROM samples WHERE t < ?1", cutoff, &ps->samples);
    if (!rc)
        rc = delete_all(st, "DELETE FROM replicas WHERE t < ?1", cutoff, &ps->replicas);
    /* Resources are keyed by container: range deletes, the work proportional to
     * what goes away. A row still in force at the cutoff stays: it gives the
     * requests of the samples that remain. */
    int64_t *ids = NULL;
    size_t n = 0;
    if (!rc)
        rc = list_ids(st, "SELECT id FROM containers", &ids, &n);
    if (!rc)
        rc = delete_per_id(st,
                           "DELETE FROM resources WHERE container_id = ?1 AND t < "
                           "(SELECT max(t) FROM resources WHERE container_id = ?1 AND t <= ?2)",
                           ids, n, cutoff, &ps->resources);
    free(ids);
    if (!rc)
        rc = delete_all(st, "DELETE FROM decisions WHERE t < ?1", cutoff, &ps->decisions);
    if (!rc)
        rc = delete_all(st, "DELETE FROM checkpoints WHERE t < ?1", cutoff, &ps->checkpoints);
    /* Names nothing refers to any more: containers of gone pods (no sample left,
     * no requests set since the cutoff), then empty pods and workloads. "No
     * sample left" is read from last_t, which is at most STORE_NOTE_S behind the
     * latest sample: a name whose last row is within that of the cutoff waits
     * for a later prune. */
    int64_t dropped_res = 0;
    if (!rc)
        rc = delete_all(st,
                        "DELETE FROM resources WHERE container_id IN (SELECT c.id FROM "
                        "containers c WHERE (c.last_t IS NULL OR c.last_t <= ?3)"
                        " AND NOT EXISTS (SELECT 1 FROM resources r "
                        "WHERE r.container_id = c.id AND r.t >= ?1))",
                        cutoff, &dropped_res);
    ps->resources += dropped_res;
    if (!rc)
        rc = delete_all(st,
                        "DELETE FROM containers WHERE (last_t IS NULL OR last_t <= ?3) AND NOT "
                        "EXISTS (SELECT 1 FROM resources r WHERE r.container_id = "
                        "containers.id)",
                        cutoff, &ps->containers);
    if (!rc)
        rc = delete_all(st,
                        "DELETE FROM pods WHERE NOT EXISTS (SELECT 1 FROM containers c WHERE "
                        "c.pod_id = pods.id)",
                        cutoff, &ps->pods);
    if (!rc)
        rc = delete_all(st,
                        "DELETE FROM workloads WHERE (last_t IS NULL OR last_t <= ?3) AND NOT "
                        "EXISTS (SELECT 1 FROM pods p WHERE p.workload_id = "
                        "workloads.id) AND NOT EXISTS (SELECT 1 FROM decisions d WHERE "
                        "d.workload_id = workloads.id) AND NOT EXISTS (SELECT 1 FROM "
                        "checkpoints k WHERE k.workload_id = workloads.id)",
                        cutoff, &ps->workloads);
    return rc;
}

int store_prune(struct store *st, int64_t now_s, int64_t retention_s,
                struct store_prune_stats *stats)
{
    struct store_prune_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!st->rdwr)
        return store__fail(st, STORE_EREADONLY, "prune on a read-only store");
    if (retention_s <= 0)
        retention_s = STORE_DEFAULT_RETENTION_S;
    int64_t cutoff = now_s - retention_s;
    int own = !st->in_batch;
    int rc = own ? store_begin_batch(st) : store__flush_samples(st);
    if (rc)
        return rc;
    rc = prune_rows(st, cutoff, stats);
    /* Ids may be gone: forget them whatever happens next. */
    store__clear_caches(st);
    if (own)
        rc = rc ? (store_rollback_batch(st), rc) : store_commit_batch(st);
    return rc;
}

static int opt_at(const int64_t *col, size_t i)
{
    return col && col[i] != TRACE_NONE;
}

/* A trace row in the order of the samples table's key (time, container). */
struct import_row {
    int64_t t, cid;
    size_t row;
    uint32_t series;
};

static int cmp_import_row(const void *a, const void *b)
{
    const struct import_row *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return (x->cid > y->cid) - (x->cid < y->cid);
}

int store_import_trace(struct store *st, const struct trace *tr, int64_t t0_unix_s)
{
    if (!st->rdwr)
        return store__fail(st, STORE_EREADONLY, "import into a read-only store");
    if (t0_unix_s < 0 || t0_unix_s > INT64_C(1) << 40 || tr->t_end_s > INT64_C(1) << 40)
        return store__fail(st, PS_ETIME, "trace times out of range");
    for (size_t i = 0; i < tr->n_samples; i++)
        if (tr->cpu_milli[i] < 0 || tr->mem_bytes[i] < 0)
            return store__fail(st, PS_ENEGATIVE, "negative usage in the trace");
    /* The trace holds each series' rows together; the table is keyed by time
     * first, and rows given in its order append to the tree instead of landing
     * all over it (twice the import speed on bitbrains-rnd). */
    struct import_row *rows = malloc((tr->n_samples ? tr->n_samples : 1) * sizeof *rows);
    int64_t(*prev)[4] = malloc((tr->n_series ? tr->n_series : 1) * sizeof *prev);
    if (!rows || !prev) {
        free(rows);
        free(prev);
        return store__fail(st, PS_ENOMEM, "out of memory");
    }
    int own = !st->in_batch;
    int rc = own ? store_begin_batch(st) : 0;
    size_t n = 0;
    for (size_t s = 0; s < tr->n_series && !rc; s++) {
        const struct trace_series *se = &tr->series[s];
        int64_t cid;
        rc = container_id(st, tr->workloads[se->workload], tr->pods[se->pod],
                          tr->containers[se->container], &cid);
        for (int k = 0; k < 4; k++)
            prev[s][k] = STORE_NONE;
        for (size_t i = se->first; i < (size_t)se->first + se->count && !rc; i++)
            rows[n++] = (struct import_row){t0_unix_s + tr->t_s[i], cid, i, (uint32_t)s};
    }
    if (!rc)
        qsort(rows, n, sizeof *rows, cmp_import_row);
    const int64_t *opt[4] = {tr->cpu_request_milli, tr->mem_request_bytes, tr->cpu_limit_milli,
                             tr->mem_limit_bytes};
    int has_opt = opt[0] || opt[1] || opt[2] || opt[3];
    for (size_t k = 0; k < n && !rc; k++) {
        const struct import_row *r = &rows[k];
        rc = insert_sample(st, r->cid, r->t, tr->cpu_milli[r->row], tr->mem_bytes[r->row]);
        if (rc || !has_opt)
            continue;
        /* Requests/limits are a step function of time: a row where they change. */
        int64_t v[4];
        int changed = 0;
        for (int j = 0; j < 4; j++) {
            v[j] = opt_at(opt[j], r->row) ? opt[j][r->row] : STORE_NONE;
            changed |= v[j] != prev[r->series][j];
        }
        if (changed) {
            rc = insert_resources(st, r->cid, r->t, v);
            memcpy(prev[r->series], v, sizeof v);
        }
    }
    free(rows);
    free(prev);
    for (size_t i = 0; i < tr->n_replicas && !rc; i++) {
        int64_t wid;
        rc = workload_id(st, tr->workloads[tr->replicas[i].workload], 1, &wid);
        if (!rc)
            rc =
                insert_replicas(st, wid, t0_unix_s + tr->replicas[i].t_s, tr->replicas[i].replicas);
    }
    if (own)
        rc = rc ? (store_rollback_batch(st), rc) : store_commit_batch(st);
    return rc;
}
