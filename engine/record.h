/*
 * record.h - `podscaler record` (engine-private): polls a live cluster's metrics
 * API, pods and deployments on a libuv loop into a history database
 * (include/podscaler/store.h) that `podscaler replay` reads.
 *
 * Every poll lists PodMetrics, Pods and Deployments (in one namespace or all),
 * maps each pod to its Deployment and writes one store batch: a usage sample per
 * container, the replica count of every Deployment, and a requests/limits row
 * per container when they changed. One batch per poll: a process killed at any
 * point loses at most the poll in flight. Bad objects are logged with their
 * field path and skipped; a failing metrics API is logged and retried at the
 * next interval. SIGINT/SIGTERM stop it cleanly (exit 0). docs/record.md.
 *
 * The options are borrowed for the duration of record_run().
 */
#ifndef PODSCALER_ENGINE_RECORD_H
#define PODSCALER_ENGINE_RECORD_H

#include <stdint.h>

struct record_opts {
    const char *db;         /* history database, created when missing (required) */
    const char *kubeconfig; /* NULL: kubectl's search order, then in-cluster */
    const char *context;    /* NULL: current-context */
    const char *ns;         /* NULL: the context's namespace (unless all_namespaces) */
    int all_namespaces;
    int64_t interval_ms; /* > 0 */
    int64_t duration_ms; /* 0: until SIGINT/SIGTERM */
    int64_t retention_s; /* rows older than this are pruned hourly; 0: kept forever */
};

/* Default poll interval: metrics-server's default resolution (--metric-resolution=15s). */
#define RECORD_DEFAULT_INTERVAL_MS 15000

/* Returns the process exit status: 0 when stopped by --duration or a signal,
 * 1 when it could not start (kubeconfig, database), when the store failed, or
 * when no poll at all succeeded before --duration ran out. */
int record_run(const struct record_opts *o);

#endif
