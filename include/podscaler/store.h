/*
 * store.h - the SQLite history (DESIGN.md section 4): usage samples, replica
 * counts and requests/limits over time, decisions and checkpoints, for the
 * controller, `podscaler record` (writers) and report/replay (readers).
 *
 * The file is identified as podscaler's by PRAGMA application_id
 * (STORE_APPLICATION_ID) and its schema by PRAGMA user_version. store_open never
 * writes to a file it has not first checked, read-only, to be a podscaler history
 * of this or an older schema that passes PRAGMA quick_check; anything else (not
 * SQLite, corrupt, another program's database, a newer schema) is a clear error
 * and the file is left byte for byte as it was. Older schemas are migrated on a
 * read-write open, one transaction per step. docs/store.md has the schema.
 *
 * Writes go through batches: store_begin_batch, any number of store_add_* and
 * store_put_checkpoint, store_commit_batch. A batch is one transaction; a
 * process killed at any point loses at most the batch in flight (WAL).
 *
 * Times are integer Unix seconds. Names: a workload is "namespace/name" (any
 * non-empty string), a pod belongs to a workload, a container to a pod.
 *
 * Ownership: store_open allocates the handle, store_close frees it (rolling back
 * an open batch). Strings passed in are copied or used during the call only;
 * strings passed to callbacks live until the callback returns. One handle is
 * used by one thread at a time.
 */
#ifndef PODSCALER_STORE_H
#define PODSCALER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "podscaler/error.h"
#include "podscaler/trace.h"

/* PRAGMA application_id of a podscaler history: "PodS" in ASCII. Not in SQLite's
 * registry of application ids (magic.txt), and none of the ids listed there. */
#define STORE_APPLICATION_ID 0x506F6453

/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 3
/* The oldest schema a read-only open reads as it is (older ones must be
 * migrated by a read-write open first). */
#define STORE_SCHEMA_READ_MIN 2

/* Default retention: the VPA recommender's default history length
 * (--history-length=8d, vertical-pod-autoscaler/pkg/recommender). */
#define STORE_DEFAULT_RETENTION_S (8 * 86400)

/* A value absent from the input: stored as SQL NULL. Same value as TRACE_NONE. */
#define STORE_NONE INT64_MIN

/* Module error codes (error.h reserves -500 .. -599 for the store). */
enum {
    STORE_ENOTDB = PS_ERANGE_STORE_FIRST,        /* the file is not an SQLite database */
    STORE_EFOREIGN = PS_ERANGE_STORE_FIRST - 1,  /* an SQLite database of another program */
    STORE_EBUSY = PS_ERANGE_STORE_FIRST - 2,     /* locked by another process past the timeout */
    STORE_EBATCH = PS_ERANGE_STORE_FIRST - 3,    /* batch misuse: none open, or one already */
    STORE_EREADONLY = PS_ERANGE_STORE_FIRST - 4, /* a write on a read-only handle */
    STORE_ESQL = PS_ERANGE_STORE_FIRST - 5,      /* any other SQLite failure */
};
/* Also returned: PS_ENOENT (no such file without STORE_CREATE), PS_ECORRUPT
 * (fails quick_check or SQLite reports corruption), PS_EVERSION (schema newer than
 * STORE_SCHEMA_VERSION, or older on a read-only open), PS_EINVAL, PS_ENEGATIVE,
 * PS_ENOMEM, PS_EIO. */

const char *store_strerror(int code);

enum store_open_flags {
    STORE_RDONLY = 0,
    STORE_RDWR = 1 << 0,   /* open for writing; migrates an older schema */
    STORE_CREATE = 1 << 1, /* with STORE_RDWR: create the file when missing */
};

struct store;

/* Opens path. On failure *out is NULL and errbuf (errlen bytes, may be NULL)
 * names the file and says what is wrong. A missing or zero-length file is a new
 * history with STORE_RDWR | STORE_CREATE (zero length: what a creator killed
 * before its first commit leaves); anything else must pass the checks above. */
int store_open(const char *path, unsigned flags, struct store **out, char *errbuf, size_t errlen);
void store_close(struct store *st);

/* The message of the handle's last failure ("" when none). Valid until the next call. */
const char *store_errmsg(const struct store *st);

/* The file's schema version (STORE_SCHEMA_VERSION once opened read-write). */
int store_schema_version(const struct store *st);
/* The schema version the file had when it was opened: 0 for a new history, less
 * than store_schema_version() when this open migrated it. */
int store_opened_version(const struct store *st);

/* Batches. Every store_add_* and store_put_checkpoint needs an open batch. */
int store_begin_batch(struct store *st);
int store_commit_batch(struct store *st);
/* Drops the batch in flight; a no-op when none is open. */
void store_rollback_batch(struct store *st);

/* One usage sample of a container. A second sample for the same container and
 * time is ignored (metrics-server reports one value per window). Samples are
 * inserted 32 at a time: an SQLite error may be reported by
 * a later add or by store_commit_batch, and the batch should then be rolled back. */
int store_add_sample(struct store *st, const char *workload, const char *pod, const char *container,
                     int64_t t_s, int64_t cpu_milli, int64_t mem_bytes);
/* The replica count of a workload at t_s (replaces one already stored for t_s). */
int store_add_replicas(struct store *st, const char *workload, int64_t t_s, int32_t replicas);
/* A container's requests and limits from t_s on, until the next row (STORE_NONE:
 * not set). Writers add a row when they change, not with every sample. */
int store_add_resources(struct store *st, const char *workload, const char *pod,
                        const char *container, int64_t t_s, int64_t cpu_request_milli,
                        int64_t mem_request_bytes, int64_t cpu_limit_milli,
                        int64_t mem_limit_bytes);
/* A decision: kind is what changed ("replicas", "cpu_request", "bottleneck", ...),
 * before/after the values as text, reason why. before/after/reason may be NULL. */
int store_add_decision(struct store *st, int64_t t_s, const char *workload, const char *kind,
                       const char *before, const char *after, const char *reason);
/* Stores (replaces) the checkpoint `name` of a workload: an opaque blob. */
int store_put_checkpoint(struct store *st, const char *workload, const char *name, int64_t t_s,
                         const void *data, size_t len);
/* Reads it back: *data is malloc'ed (the caller frees it). PS_ENOENT when absent. */
int store_get_checkpoint(struct store *st, const char *workload, const char *name, int64_t *t_s,
                         void **data, size_t *len);

struct store_prune_stats {
    int64_t samples, replicas, resources, decisions, checkpoints; /* rows deleted */
    int64_t containers, pods, workloads; /* names left with no rows, deleted */
};

/* Deletes everything older than now_s - retention_s (retention_s <= 0: the
 * default), then the containers, pods and workloads nothing refers to any more.
 * Resources rows are kept when they are still in force at the cutoff. Runs in
 * the open batch, or in its own transaction when none is open. stats may be NULL. */
int store_prune(struct store *st, int64_t now_s, int64_t retention_s,
                struct store_prune_stats *stats);

/* Writes a whole trace (one transaction, or the open batch): sample i of it at
 * t0_unix_s + t_s[i], its requests/limits as rows where they change, its
 * replica counts. trace_load_db of the result gives back the same samples. */
int store_import_trace(struct store *st, const struct trace *tr, int64_t t0_unix_s);

/* The bare-scan baseline of the benchmarks: walks every sample row through one
 * prepared statement in key order, reading all four columns; *n = rows seen. */
int store_scan_count(struct store *st, uint64_t *n);

/* A consistent snapshot across several reads (a read transaction): readers
 * called between the two see no write committed meanwhile. Optional. */
int store_begin_read(struct store *st);
void store_end_read(struct store *st);

/* Readers. Each walks a table in key order and calls cb per row; a non-zero
 * return from cb stops the walk and is returned. */
typedef int (*store_container_cb)(void *ctx, int64_t container_id, const char *workload,
                                  const char *pod, const char *container);
/* Containers ordered by id. */
int store_for_each_container(struct store *st, store_container_cb cb, void *ctx);

typedef int (*store_sample_cb)(void *ctx, int64_t container_id, int64_t t_s, int64_t cpu_milli,
                               int64_t mem_bytes);
/* Samples ordered by (container id, time). The rows are held in memory to be
 * regrouped (36 bytes each): the table is keyed by time. */
int store_for_each_sample(struct store *st, store_sample_cb cb, void *ctx);
/* How many samples the history holds (a count, not a walk of the rows). */
int store_sample_count(struct store *st, uint64_t *n);

typedef int (*store_resources_cb)(void *ctx, int64_t container_id, int64_t t_s,
                                  int64_t cpu_request_milli, int64_t mem_request_bytes,
                                  int64_t cpu_limit_milli, int64_t mem_limit_bytes);
/* Resources rows ordered by (container id, time); STORE_NONE for NULL. */
int store_for_each_resources(struct store *st, store_resources_cb cb, void *ctx);

typedef int (*store_replicas_cb)(void *ctx, const char *workload, int64_t t_s, int32_t replicas);
/* Replica counts ordered by (workload id, time). */
int store_for_each_replicas(struct store *st, store_replicas_cb cb, void *ctx);

struct store_decision {
    int64_t t_s;
    const char *workload, *kind, *before, *after, *reason; /* before/after/reason may be NULL */
};
typedef int (*store_decision_cb)(void *ctx, const struct store_decision *d);
/* Decisions with from_s <= t_s < to_s, ordered by time then insertion. */
int store_for_each_decision(struct store *st, int64_t from_s, int64_t to_s, store_decision_cb cb,
                            void *ctx);

#endif
