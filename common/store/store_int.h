/*
 * store_int.h - the store handle and helpers shared by the files of common/store.
 * Internal to ps_common.
 */
#ifndef PODSCALER_STORE_INT_H
#define PODSCALER_STORE_INT_H

#include <sqlite3.h>

#include "podscaler/store.h"
#include "strmap.h"

struct store {
    sqlite3 *db;
    char *path;
    int rdwr;
    int version;
    int in_batch, in_read;
    char errmsg[640];

    /* Prepared once, on first use (store__prep), finalized by store_close. */
    sqlite3_stmt *s_wl_sel, *s_wl_ins, *s_pod_sel, *s_pod_ins, *s_ctr_sel, *s_ctr_ins;
    sqlite3_stmt *s_sample, *s_replicas, *s_resources, *s_decision, *s_ckpt_put, *s_ckpt_get;

    /* Name -> id caches: workloads (scope 0), pods (scope workload id),
     * containers (scope pod id). Cleared whenever ids may have gone away
     * (rollback, prune). */
    struct ps__map wl_ids, pod_ids, ctr_ids;
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
void store__clear_caches(struct store *st);

#endif
