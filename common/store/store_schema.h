/*
 * store_schema.h - the history's schema as ordered migration steps. Internal.
 *
 * Step i (1-based) takes a file from user_version i-1 to i; store.c runs each
 * in its own transaction together with the user_version bump, so a kill
 * mid-migration leaves the file at the previous version. Never edit a shipped
 * step: add one. docs/store.md describes the tables.
 */
#ifndef PODSCALER_STORE_SCHEMA_H
#define PODSCALER_STORE_SCHEMA_H

/* Version 1: names, samples, replica counts, decisions, checkpoints.
 * Samples are WITHOUT ROWID with key (container_id, t): the rows of a container
 * are contiguous in time order in the b-tree, so reading a trace back is one
 * sequential walk and pruning one container's past is a range delete. */
#define STORE_SCHEMA_V1                                                                            \
    "CREATE TABLE workloads(\n"                                                                    \
    "  id INTEGER PRIMARY KEY,\n"                                                                  \
    "  name TEXT NOT NULL UNIQUE CHECK(length(name) > 0));\n"                                      \
    "CREATE TABLE pods(\n"                                                                         \
    "  id INTEGER PRIMARY KEY,\n"                                                                  \
    "  workload_id INTEGER NOT NULL REFERENCES workloads(id),\n"                                   \
    "  name TEXT NOT NULL CHECK(length(name) > 0),\n"                                              \
    "  UNIQUE(workload_id, name));\n"                                                              \
    "CREATE TABLE containers(\n"                                                                   \
    "  id INTEGER PRIMARY KEY,\n"                                                                  \
    "  pod_id INTEGER NOT NULL REFERENCES pods(id),\n"                                             \
    "  name TEXT NOT NULL CHECK(length(name) > 0),\n"                                              \
    "  UNIQUE(pod_id, name));\n"                                                                   \
    "CREATE TABLE samples(\n"                                                                      \
    "  container_id INTEGER NOT NULL,\n"                                                           \
    "  t INTEGER NOT NULL,\n"                                                                      \
    "  cpu_milli INTEGER NOT NULL CHECK(cpu_milli >= 0),\n"                                        \
    "  mem_bytes INTEGER NOT NULL CHECK(mem_bytes >= 0),\n"                                        \
    "  PRIMARY KEY(container_id, t)) WITHOUT ROWID;\n"                                             \
    "CREATE TABLE replicas(\n"                                                                     \
    "  workload_id INTEGER NOT NULL,\n"                                                            \
    "  t INTEGER NOT NULL,\n"                                                                      \
    "  replicas INTEGER NOT NULL CHECK(replicas >= 0),\n"                                          \
    "  PRIMARY KEY(workload_id, t)) WITHOUT ROWID;\n"                                              \
    "CREATE TABLE decisions(\n"                                                                    \
    "  id INTEGER PRIMARY KEY,\n"                                                                  \
    "  t INTEGER NOT NULL,\n"                                                                      \
    "  workload_id INTEGER NOT NULL,\n"                                                            \
    "  kind TEXT NOT NULL,\n"                                                                      \
    "  value_before TEXT,\n"                                                                       \
    "  value_after TEXT,\n"                                                                        \
    "  reason TEXT);\n"                                                                            \
    "CREATE TABLE checkpoints(\n"                                                                  \
    "  workload_id INTEGER NOT NULL,\n"                                                            \
    "  name TEXT NOT NULL,\n"                                                                      \
    "  t INTEGER NOT NULL,\n"                                                                      \
    "  data BLOB NOT NULL,\n"                                                                      \
    "  PRIMARY KEY(workload_id, name)) WITHOUT ROWID;\n"

/* Version 2: requests/limits over time, and indexes for pruning and reading
 * decisions by time and by workload. */
#define STORE_SCHEMA_V2                                                                            \
    "CREATE TABLE resources(\n"                                                                    \
    "  container_id INTEGER NOT NULL,\n"                                                           \
    "  t INTEGER NOT NULL,\n"                                                                      \
    "  cpu_request_milli INTEGER CHECK(cpu_request_milli >= 0),\n"                                 \
    "  mem_request_bytes INTEGER CHECK(mem_request_bytes >= 0),\n"                                 \
    "  cpu_limit_milli INTEGER CHECK(cpu_limit_milli >= 0),\n"                                     \
    "  mem_limit_bytes INTEGER CHECK(mem_limit_bytes >= 0),\n"                                     \
    "  PRIMARY KEY(container_id, t)) WITHOUT ROWID;\n"                                             \
    "CREATE INDEX decisions_t ON decisions(t);\n"                                                  \
    "CREATE INDEX decisions_workload ON decisions(workload_id, t);\n"

/* Version 3: samples and replica counts keyed by time first, (t, container_id)
 * and (t, workload_id). Keyed by container first, as before, every poll wrote
 * one row into each container's own b-tree leaf: at steady state a poll of N
 * containers dirtied N pages (4 KiB each into the WAL) and the write time grew
 * with the history. Keyed by time, a poll appends its rows to the right edge of
 * the tree, and pruning is one range delete at the left edge. Readers that want
 * a container's samples together regroup them (store_for_each_sample).
 *
 * Pruning needs to know which names no row refers to any more, which the
 * time-major keys cannot answer without a scan: containers and workloads keep
 * last_t, a time at most STORE_NOTE_S older than their latest sample (latest
 * replica count for a workload) and NULL while they have none. Writers update
 * it when a row is at least STORE_NOTE_S past the value they last wrote, so the
 * cost is one small update per container per hour, not per poll. */
#define STORE_NOTE_S 3600
#define STORE_SCHEMA_V3                                                                            \
    "ALTER TABLE containers ADD COLUMN last_t INTEGER;\n"                                          \
    "UPDATE containers SET last_t = (SELECT max(t) FROM samples s\n"                               \
    "  WHERE s.container_id = containers.id);\n"                                                   \
    "ALTER TABLE workloads ADD COLUMN last_t INTEGER;\n"                                           \
    "UPDATE workloads SET last_t = (SELECT max(t) FROM replicas r\n"                               \
    "  WHERE r.workload_id = workloads.id);\n"                                                     \
    "CREATE TABLE samples_v3(\n"                                                                   \
    "  container_id INTEGER NOT NULL,\n"                                                           \
    "  t INTEGER NOT NULL,\n"                                                                      \
    "  cpu_milli INTEGER NOT NULL CHECK(cpu_milli >= 0),\n"                                        \
    "  mem_bytes INTEGER NOT NULL CHECK(mem_bytes >= 0),\n"                                        \
    "  PRIMARY KEY(t, container_id)) WITHOUT ROWID;\n"                                             \
    "INSERT INTO samples_v3(container_id, t, cpu_milli, mem_bytes)\n"                              \
    "  SELECT container_id, t, cpu_milli, mem_bytes FROM samples ORDER BY t, container_id;\n"      \
    "DROP TABLE samples;\n"                                                                        \
    "ALTER TABLE samples_v3 RENAME TO samples;\n"                                                  \
    "CREATE TABLE replicas_v3(\n"                                                                  \
    "  workload_id INTEGER NOT NULL,\n"                                                            \
    "  t INTEGER NOT NULL,\n"                                                                      \
    "  replicas INTEGER NOT NULL CHECK(replicas >= 0),\n"                                          \
    "  PRIMARY KEY(t, workload_id)) WITHOUT ROWID;\n"                                              \
    "INSERT INTO replicas_v3(workload_id, t, replicas)\n"                                          \
    "  SELECT workload_id, t, replicas FROM replicas ORDER BY t, workload_id;\n"                   \
    "DROP TABLE replicas;\n"                                                                       \
    "ALTER TABLE replicas_v3 RENAME TO replicas;\n"

#endif
