/*
 * A history database (common/store) whose rows are the input: trace_load_db,
 * which replay reads a history with, on tables holding any value of any type.
 *
 * Each input starts from a fresh, empty history as store_open makes it, and
 * inserts rows with the CHECK constraints off, as another tool or an edit could
 * leave them. The input is a sequence of rows: a byte choosing the table (and
 * with it how many columns follow), then per column a byte choosing the type
 * (integer, real, text, blob, NULL) and up to 8 bytes of value. Whatever the
 * rows, the load must either give a trace that holds the invariants of trace.h
 * or fail with a message, and must never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../trace/trace_eq.h"
#include "podscaler/store.h"
#include "podscaler/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 48

static char dir[64], db[128], side[2][160];

static void cleanup(void)
{
    remove(db);
    remove(side[0]);
    remove(side[1]);
    rmdir(dir);
}

static const char *const tables[] = {
    "INSERT OR IGNORE INTO workloads(id, name) VALUES(?, ?)",
    "INSERT OR IGNORE INTO pods(id, workload_id, name) VALUES(?, ?, ?)",
    "INSERT OR IGNORE INTO containers(id, pod_id, name) VALUES(?, ?, ?)",
    "INSERT OR IGNORE INTO samples(container_id, t, cpu_milli, mem_bytes) VALUES(?, ?, ?, ?)",
    "INSERT OR IGNORE INTO replicas(workload_id, t, replicas) VALUES(?, ?, ?)",
    ("INSERT OR IGNORE INTO resources(container_id, t, cpu_request_milli, mem_request_bytes, "
     "cpu_limit_milli, mem_limit_bytes) VALUES(?, ?, ?, ?, ?, ?)"),
};
#define N_TABLES (sizeof tables / sizeof tables[0])

struct reader {
    const uint8_t *p;
    size_t left;
};

static uint8_t byte(struct reader *r)
{
    if (r->left == 0)
        return 0;
    r->left--;
    return *r->p++;
}

/* Up to 8 bytes, little-endian, the count given by the low bits of a byte, so
 * that small values (ids, counts) are short in the input. */
static int64_t integer(struct reader *r)
{
    const int n = byte(r) % 9;
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)byte(r) << (8 * i);
    return (int64_t)v;
}

static void bind(sqlite3_stmt *s, int col, struct reader *r)
{
    const uint8_t kind = byte(r);
    switch (kind % 8) {
    case 0:
    case 1:
    case 2:
        sqlite3_bind_int64(s, col, integer(r));
        break;
    case 3: {
        const int64_t v = integer(r);
        double d;
        memcpy(&d, &v, sizeof d);
        sqlite3_bind_double(s, col, kind & 8 ? d : (double)v / 4.0);
        break;
    }
    case 4:
    case 5: {
        char text[9];
        const int n = byte(r) % 9;
        for (int i = 0; i < n; i++)
            text[i] = (char)byte(r);
        sqlite3_bind_text(s, col, text, n, SQLITE_TRANSIENT);
        break;
    }
    case 6: {
        uint8_t blob[8];
        const int n = byte(r) % 9;
        for (int i = 0; i < n; i++)
            blob[i] = byte(r);
        sqlite3_bind_blob(s, col, blob, n, SQLITE_TRANSIENT);
        break;
    }
    default:
        sqlite3_bind_null(s, col);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/ps-fuzz-historyXXXXXX");
        if (!mkdtemp(dir))
            abort();
        snprintf(db, sizeof db, "%s/h.sqlite", dir);
        snprintf(side[0], sizeof side[0], "%s-wal", db);
        snprintf(side[1], sizeof side[1], "%s-shm", db);
        atexit(cleanup);
    }
    remove(db);
    remove(side[0]);
    remove(side[1]);
    char msg[512];
    struct store *st = NULL;
    if (store_open(db, STORE_RDWR | STORE_CREATE, &st, msg, sizeof msg))
        abort();
    store_close(st);

    sqlite3 *h = NULL;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(h, "PRAGMA ignore_check_constraints = 1; BEGIN", NULL, NULL, NULL) !=
            SQLITE_OK)
        abort();
    sqlite3_stmt *ins[N_TABLES];
    for (size_t i = 0; i < N_TABLES; i++)
        if (sqlite3_prepare_v2(h, tables[i], -1, &ins[i], NULL) != SQLITE_OK)
            abort();
    struct reader r = {data, size};
    for (int row = 0; row < MAX_ROWS && r.left > 0; row++) {
        sqlite3_stmt *s = ins[byte(&r) % N_TABLES];
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        for (int c = 1; c <= sqlite3_bind_parameter_count(s); c++)
            bind(s, c, &r);
        /* NOT NULL and UNIQUE still hold: a row they refuse is simply not there. */
        (void)sqlite3_step(s);
    }
    for (size_t i = 0; i < N_TABLES; i++)
        sqlite3_finalize(ins[i]);
    if (sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        abort();
    sqlite3_close(h);

    struct trace *t = NULL;
    struct trace_error err;
    if (trace_load_db(db, &t, &err) == 0) {
        if (!t || trace_check_invariants(t))
            abort();
        for (size_t i = 0; i < t->n_samples; i++)
            if (t->cpu_milli[i] < 0 || t->mem_bytes[i] < 0)
                abort();
        trace_free(t);
    } else if (t || !err.message[0]) {
        abort();
    }
    return 0;
}
