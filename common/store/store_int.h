/*
 * store_int.h - the store handle and helpers shared by the files of common/store.
 * Internal to ps_common.
 */
#ifndef PODSCALER_STORE_INT_H
#define PODSCALER_STORE_INT_H

#include <sqlite3.h>

#include "podscaler/store.h"
#include "strmap.h"

#define STORE_SAMPLE_CHUNK 32

struct store {
    sqlite3 *db;
    char *path;
    int rdwr;
    int version;
    int opened_version; /* the file's before this open migrated it; 0 when new */
    int in_batch, in_read;
    char errmsg[640];

    /* Prepared once, on first use (store__prep), finalized by store_close. */
    sqlite3_stmt *s_wl_sel, *s_wl_ins, *s_pod_sel, *s_pod_ins, *s_ctr_sel, *s_ctr_ins;
    sqlite3_stmt *s_sample, *s_replicas, *s_resources, *s_decision, *s_ckpt_put, *s_ckpt_get;
    sqlite3_stmt *s_ctr_note, *s_wl_note, *s_sample_chunk;

    /* Samples of the open batch not yet inserted: they go in STORE_SAMPLE_CHUNK
     * rows per statement (store__flush_samples), which halves the cost of a
     * row against one statement per row. */
    struct store_pending_sample {
        int64_t cid, t, cpu, mem;
    } pend[STORE_SAMPLE_CHUNK];
    size_t n_pend;

    /* Name -> id caches: workloads (scope 0), pods (scope workload id),
     * containers (scope pod id). Cleared whenever ids may have gone away
     * (rollback, prune). */
    struct ps__map wl_ids, pod_ids, ctr_ids;
    /* Id (scope, no key) -> the last_t this handle wrote for it (schema v3):
     * a row at least STORE_NOTE_S later writes it again. Cleared with the others,
     * since a rollback may undo what was written. */
    struct ps__map ctr_noted, wl_noted;
};

int store__map_rc(int rc);
/* Sets st->errmsg ("<path>: <message>") and returns code. */
int store__fail(struct store *st, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int store__sql_fail(struct store *st, int rc, const char *what);
/* Prepares *stmt once (and resets it on later calls). */
int store__prep(struct store *st, sqlite3_stmt **stmt, const char *sql);
int store__exec(struct store *st, const char *sql);
int store__need_batch(struct store *st);
/* Inserts the pending samples; before a commit, and before anything in the
 * batch reads or deletes samples. */
int store__flush_samples(struct store *st);
void store__clear_caches(struct store *st);

#endif
