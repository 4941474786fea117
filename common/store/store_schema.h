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

#endif
