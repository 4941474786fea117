/*
 * trace.h - recorded usage in memory: the input of replay.
 *
 * A trace is what `podscaler replay` runs on, whatever it was read from: a CSV
 * file of the shared/traces format (common/metrics/trace_csv.c) or a history
 * database written by `podscaler record` (common/store). It is columnar so that
 * replay walks it in cache order: one series per (workload, pod, container),
 * each a contiguous run of samples sorted by time.
 *
 * Ownership: trace_load_* allocate one struct trace and everything it points
 * to; trace_free() releases all of it. Nothing else owns or frees its parts.
 * A loaded trace is immutable; several replays may read it concurrently.
 */
#ifndef PODSCALER_TRACE_H
#define PODSCALER_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "podscaler/error.h"

/* A value absent from the input (an optional column left empty, or missing). */
#define TRACE_NONE INT64_MIN
/* The latest time a sample may have: the last second of the year 9999 in Unix
 * time. Far past any recording, and small enough that no time arithmetic
 * (spans, steps, rounding to the step) can overflow. */
#define TRACE_T_MAX INT64_C(253402300799)

struct trace_series {
    uint32_t workload;  /* index into trace.workloads */
    uint32_t pod;       /* index into trace.pods */
    uint32_t container; /* index into trace.containers (container names, interned) */
    uint32_t first;     /* index of the first sample in the sample columns */
    uint32_t count;     /* number of samples; t_s strictly increases within a series */
};

struct trace_replicas { /* a recorded replica count, when the input has one */
    uint32_t workload;
    int64_t t_s;
    int32_t replicas;
};

struct trace {
    /* Interned names. workloads[i] is "namespace/name" for recorded clusters and
     * the CSV's workload column for traces. pods[i] belongs to pod_workload[i]. */
    char **workloads;
    size_t n_workloads;
    char **pods;
    uint32_t *pod_workload;
    size_t n_pods;
    char **containers;
    size_t n_containers;

    /* Series sorted by (workload, pod, container). */
    struct trace_series *series;
    size_t n_series;

    /* Sample columns, n_samples long, grouped by series. t_s is the CSV's
     * t_seconds as written (a trace may start anywhere, at 0 or at a Unix time);
     * a database's times are rebased so the earliest is 0, with t0_unix_s keeping
     * the absolute origin. */
    int64_t *t_s;
    int64_t *cpu_milli;
    int64_t *mem_bytes;
    /* Optional columns: NULL when the input has none; TRACE_NONE per missing value. */
    int64_t *cpu_request_milli;
    int64_t *mem_request_bytes;
    int64_t *cpu_limit_milli;
    int64_t *mem_limit_bytes;
    size_t n_samples;

    /* Recorded replica counts sorted by (workload, t_s); empty for CSV input,
     * where replay infers them as the pods with a sample at each time. */
    struct trace_replicas *replicas;
    size_t n_replicas;

    int64_t t0_unix_s; /* absolute time of t_s == 0, or 0 when unknown (CSV) */
    int64_t t_start_s; /* the smallest t_s (0 for a database) */
    int64_t t_end_s;   /* the largest t_s */
    int64_t step_s;    /* the most common interval between samples of a series */
    char *source;      /* what it was read from, for reports: a path */
};

/* Where a load failed: names the file, the line (1-based; 0 when not a line
 * error) and the field, with a one-line message. */
struct trace_error {
    char file[256];
    long line;
    char field[64];
    char message[256];
};

struct trace_load_opts {
    int skip_bad_rows;     /* go on past bad rows, counting them */
    long bad_rows_skipped; /* out: how many were skipped */
    size_t max_samples;    /* 0 = no cap; else PS_ENOSPC past it */
};

/* Loads a CSV trace (header t_seconds,workload,pod,container,cpu_millicores,
 * memory_bytes plus the optional cpu_request_millicores, memory_request_bytes,
 * cpu_limit_millicores, memory_limit_bytes in any order). Returns 0 or a
 * negative code with *err filled. opts may be NULL. */
int trace_load_csv(const char *path, struct trace_load_opts *opts, struct trace **out,
                   struct trace_error *err);

/* The CSV reader on a buffer in memory (len bytes, no terminator needed): what
 * trace_load_csv runs on the file's contents, for embedded traces and fuzzing.
 * name is what errors and trace.source call the input. Added by the store
 * engineer (issue 5). */
int trace_parse_csv_buffer(const char *buf, size_t len, const char *name,
                           struct trace_load_opts *opts, struct trace **out,
                           struct trace_error *err);

/* Loads the samples of a history database (common/store) as a trace. */
int trace_load_db(const char *path, struct trace **out, struct trace_error *err);

/* Either of the above, by looking at the file's first bytes (SQLite header or text). */
int trace_load_any(const char *path, struct trace_load_opts *opts, struct trace **out,
                   struct trace_error *err);

void trace_free(struct trace *t);

#endif
