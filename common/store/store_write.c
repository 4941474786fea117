/*
 * Writes to the history: name resolution, samples and the other rows,
 * checkpoints, pruning and trace import. Every statement is prepared once per
 * handle; rows go in inside the caller's batch (one transaction).
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

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

static int insert_sample(struct store *st, int64_t cid, int64_t t_s, int64_t cpu, int64_t mem)
{
    int rc = store__prep(st, &st->s_sample,
                         "INSERT OR IGNORE INTO samples(container_id, t, cpu_milli, mem_bytes) "
                         "VALUES(?1, ?2, ?3, ?4)");
    if (rc)
        return rc;
    sqlite3_bind_int64(st->s_sample, 1, cid);
    sqlite3_bind_int64(st->s_sample, 2, t_s);
    sqlite3_bind_int64(st->s_sample, 3, cpu);
    sqlite3_bind_int64(st->s_sample, 4, mem);
    return step_done(st, st->s_sample, "inserting a sample");
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
    return step_done(st, st->s_replicas, "inserting a replica count");
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

/* Runs sql once per id (?1 = id, ?2 = cutoff), adding up the rows deleted.
 * Statements without ?2 ignore it (binding a missing parameter is a no-op). */
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
    int64_t *ids = NULL;
    size_t n;
    int rc = list_ids(st, "SELECT id FROM containers", &ids, &n);
    /* Range deletes on the (container_id, t) keys: the work is proportional to
     * what goes away, not to the table. A resources row still in force at the
     * cutoff stays: it gives the requests of the samples that remain. */
    if (!rc)
        rc = delete_per_id(st, "DELETE FROM samples WHERE container_id = ?1 AND t < ?2", ids, n,
                           cutoff, &ps->samples);
    if (!rc)
        rc = delete_per_id(st,
                           "DELETE FROM resources WHERE container_id = ?1 AND t < "
                           "(SELECT max(t) FROM resources WHERE container_id = ?1 AND t <= ?2)",
                           ids, n, cutoff, &ps->resources);
    free(ids);
    if (rc)
        return rc;
    rc = list_ids(st, "SELECT id FROM workloads", &ids, &n);
    if (!rc)
        rc = delete_per_id(st, "DELETE FROM replicas WHERE workload_id = ?1 AND t < ?2", ids, n,
                           cutoff, &ps->replicas);
    free(ids);
    if (!rc)
        rc = delete_all(st, "DELETE FROM decisions WHERE t < ?1", cutoff, &ps->decisions);
    if (!rc)
        rc = delete_all(st, "DELETE FROM checkpoints WHERE t < ?1", cutoff, &ps->checkpoints);
    /* Names nothing refers to any more: containers of gone pods (no sample
     * left, no requests set since the cutoff), then empty pods and workloads. */
    int64_t dropped_res = 0;
    if (!rc)
        rc = delete_all(st,
                        "DELETE FROM resources WHERE container_id IN (SELECT c.id FROM "
                        "containers c WHERE NOT EXISTS (SELECT 1 FROM samples s WHERE "
                        "s.container_id = c.id) AND NOT EXISTS (SELECT 1 FROM resources r "
                        "WHERE r.container_id = c.id AND r.t >= ?1))",
                        cutoff, &dropped_res);
    ps->resources += dropped_res;
    if (!rc)
        rc = delete_all(st,
                        "DELETE FROM containers WHERE NOT EXISTS (SELECT 1 FROM samples s "
                        "WHERE s.container_id = containers.id) AND NOT EXISTS (SELECT 1 FROM "
                        "resources r WHERE r.container_id = containers.id)",
                        cutoff, &ps->containers);
    if (!rc)
        rc = delete_all(st,
                        "DELETE FROM pods WHERE NOT EXISTS (SELECT 1 FROM containers c WHERE "
                        "c.pod_id = pods.id)",
                        cutoff, &ps->pods);
    if (!rc)
        rc = delete_all(st,
                        "DELETE FROM workloads WHERE NOT EXISTS (SELECT 1 FROM pods p WHERE "
                        "p.workload_id = workloads.id) AND NOT EXISTS (SELECT 1 FROM replicas "
                        "r WHERE r.workload_id = workloads.id) AND NOT EXISTS (SELECT 1 FROM "
                        "decisions d WHERE d.workload_id = workloads.id) AND NOT EXISTS "
                        "(SELECT 1 FROM checkpoints k WHERE k.workload_id = workloads.id)",
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
    int rc = own ? store_begin_batch(st) : 0;
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

int store_import_trace(struct store *st, const struct trace *tr, int64_t t0_unix_s)
{
    if (!st->rdwr)
        return store__fail(st, STORE_EREADONLY, "import into a read-only store");
    if (t0_unix_s < 0 || t0_unix_s > INT64_C(1) << 40 || tr->t_end_s > INT64_C(1) << 40)
        return store__fail(st, PS_ETIME, "trace times out of range");
    int own = !st->in_batch;
    int rc = own ? store_begin_batch(st) : 0;
    if (rc)
        return rc;
    const int64_t *opt[4] = {tr->cpu_request_milli, tr->mem_request_bytes, tr->cpu_limit_milli,
                             tr->mem_limit_bytes};
    int has_opt = opt[0] || opt[1] || opt[2] || opt[3];
    for (size_t s = 0; s < tr->n_series && !rc; s++) {
        const struct trace_series *se = &tr->series[s];
        int64_t cid;
        rc = container_id(st, tr->workloads[se->workload], tr->pods[se->pod],
                          tr->containers[se->container], &cid);
        int64_t prev[4] = {STORE_NONE, STORE_NONE, STORE_NONE, STORE_NONE};
        for (size_t i = se->first; i < (size_t)se->first + se->count && !rc; i++) {
            if (tr->cpu_milli[i] < 0 || tr->mem_bytes[i] < 0) {
                rc = store__fail(st, PS_ENEGATIVE, "negative usage in the trace");
                break;
            }
            rc = insert_sample(st, cid, t0_unix_s + tr->t_s[i], tr->cpu_milli[i], tr->mem_bytes[i]);
            if (rc || !has_opt)
                continue;
            /* Requests/limits are a step function of time: a row where they change. */
            int64_t v[4];
            int changed = 0;
            for (int k = 0; k < 4; k++) {
                v[k] = opt_at(opt[k], i) ? opt[k][i] : STORE_NONE;
                changed |= v[k] != prev[k];
            }
            if (changed) {
                rc = insert_resources(st, cid, t0_unix_s + tr->t_s[i], v);
                memcpy(prev, v, sizeof prev);
            }
        }
    }
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
