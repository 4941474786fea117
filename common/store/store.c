/*
 * The SQLite history: opening (checks, migrations), batches and pruning.
 *
 * Durability: WAL with synchronous=NORMAL. A commit appends the transaction's
 * frames to the -wal file with write() before COMMIT returns, so once
 * store_commit_batch has returned the batch is in the kernel's page cache and
 * survives the process being killed at any later point; a kill before that
 * leaves a WAL tail without a commit frame, which SQLite ignores on recovery.
 * That is the guarantee the issue asks for ("a process killed at any point
 * loses at most the batch in flight"), tested with SIGKILL in
 * tests/store/test_store_kill.c. What NORMAL gives up against FULL is only the
 * fsync per commit: an operating-system crash or power loss may roll back the
 * last few committed batches (never corrupt the file), which costs a metrics
 * history a few minutes of samples and saves an fsync every poll.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "podscaler/store.h"
#include "podscaler/log.h"
#include "store_int.h"
#include "store_schema.h"

/* How long a write waits for another process's lock before STORE_EBUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000

static const char *const migrations[] = {STORE_SCHEMA_V1, STORE_SCHEMA_V2, STORE_SCHEMA_V3};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(N_MIGRATIONS == STORE_SCHEMA_VERSION, "one migration step per schema version");

const char *store_strerror(int code)
{
    switch (code) {
    case STORE_ENOTDB:
        return "not an SQLite database";
    case STORE_EFOREIGN:
        return "an SQLite database of another program";
    case STORE_EBUSY:
        return "database locked by another process";
    case STORE_EBATCH:
        return "no batch open, or one already open";
    case STORE_EREADONLY:
        return "store opened read-only";
    case STORE_ESQL:
        return "SQLite error";
    default:
        return ps_strerror(code);
    }
}

int store__map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_EBUSY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return PS_ECORRUPT;
    case SQLITE_NOMEM:
        return PS_ENOMEM;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
        return PS_EIO;
    case SQLITE_READONLY:
        return STORE_EREADONLY;
    case SQLITE_CONSTRAINT:
        return PS_EINVAL;
    default:
        return STORE_ESQL;
    }
}

int store__fail(struct store *st, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(st->errmsg, sizeof st->errmsg, "%s: ", st->path);
    if (n < 0 || (size_t)n >= sizeof st->errmsg)
        n = 0;
    vsnprintf(st->errmsg + n, sizeof st->errmsg - (size_t)n, fmt, ap);
    va_end(ap);
    return code;
}

int store__sql_fail(struct store *st, int rc, const char *what)
{
    return store__fail(st, store__map_rc(rc), "%s: %s", what, sqlite3_errmsg(st->db));
}

int store__prep(struct store *st, sqlite3_stmt **stmt, const char *sql)
{
    if (*stmt) {
        sqlite3_reset(*stmt);
        return 0;
    }
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
    if (rc != SQLITE_OK) {
        *stmt = NULL;
        return store__sql_fail(st, rc, "prepare");
    }
    return 0;
}

int store__exec(struct store *st, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int code =
            store__fail(st, store__map_rc(rc), "%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return code;
    }
    return 0;
}

static void errf(char *errbuf, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
    /* One line: quick_check reports span several. */
    for (char *c = errbuf; *c; c++) {
        if (*c == '\n')
            *c = ' ';
    }
}

/* One integer from a single-row query, e.g. a PRAGMA. */
static int query_int(sqlite3 *db, const char *sql, int64_t *v)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *v = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_ERROR;
        }
    }
    sqlite3_finalize(s);
    return rc;
}

struct file_state {
    int64_t app_id, version, objects;
};

static int read_state(sqlite3 *db, struct file_state *fs)
{
    int rc = query_int(db, "PRAGMA application_id", &fs->app_id);
    if (rc == SQLITE_OK)
        rc = query_int(db, "PRAGMA user_version", &fs->version);
    if (rc == SQLITE_OK)
        rc = query_int(db, "SELECT count(*) FROM sqlite_schema", &fs->objects);
    return rc;
}

static int is_blank(const struct file_state *fs)
{
    return fs->app_id == 0 && fs->version == 0 && fs->objects == 0;
}

/* What is wrong with a file's identity, or 0 when it is podscaler's (or blank). */
static int judge_state(const char *path, const struct file_state *fs, char *errbuf, size_t errlen)
{
    if (is_blank(fs))
        return 0;
    if (fs->app_id != STORE_APPLICATION_ID) {
        errf(errbuf, errlen,
             "%s: an SQLite database of another program, not a podscaler history "
             "(application_id 0x%08llx, podscaler's is 0x%08x; %lld schema objects)",
             path, (unsigned long long)(uint32_t)fs->app_id, STORE_APPLICATION_ID,
             (long long)fs->objects);
        return STORE_EFOREIGN;
    }
    if (fs->version > STORE_SCHEMA_VERSION) {
        errf(errbuf, errlen,
             "%s: podscaler history of schema version %lld, newer than this podscaler "
             "supports (%d): use a newer podscaler",
             path, (long long)fs->version, STORE_SCHEMA_VERSION);
        return PS_EVERSION;
    }
    if (fs->version < 1) {
        errf(errbuf, errlen, "%s: podscaler application_id but schema version %lld", path,
             (long long)fs->version);
        return PS_ECORRUPT;
    }
    return 0;
}

#define PATH_MAX_STORE 4096

/* "file:" URI of a path with ?immutable=1 (sqlite.org/uri.html): every byte
 * but the unreserved ones and '/' percent-encoded. */
static int immutable_uri(const char *path, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    const char *pre = "file:";
    for (const char *c = pre; *c; c++)
        out[o++] = *c;
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (o + 4 >= cap)
            return -1;
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            *c == '/' || *c == '-' || *c == '_' || *c == '.' || *c == '~') {
            out[o++] = (char)*c;
        } else {
            out[o++] = '%';
            out[o++] = hex[*c >> 4];
            out[o++] = hex[*c & 15];
        }
    }
    const char *q = "?immutable=1";
    if (o + strlen(q) + 1 > cap)
        return -1;
    memcpy(out + o, q, strlen(q) + 1);
    return 0;
}

/* Refuses another program's file, or a newer schema, from its header alone.
 * Anything else (ours, blank, or unreadable this way) is left to the full check. */
static int check_identity_immutable(const char *path, char *errbuf, size_t errlen)
{
    char uri[3 * PATH_MAX_STORE + 32];
    if (immutable_uri(path, uri, sizeof uri) != 0)
        return 0;
    sqlite3 *db = NULL;
    int code = 0;
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK) {
        struct file_state fs;
        if (read_state(db, &fs) == SQLITE_OK) {
            code = judge_state(path, &fs, errbuf, errlen);
            if (code != STORE_EFOREIGN && code != PS_EVERSION)
                code = 0;
        }
    }
    sqlite3_close(db);
    if (!code)
        errf(errbuf, errlen, "%s", "");
    return code;
}

/*
 * Checks an existing non-empty file without writing to it: the SQLite header,
 * then (read-only connection) application_id, user_version and quick_check.
 * On success *dbp is the read-only connection.
 */
static int check_existing(const char *path, sqlite3 **dbp, struct file_state *fs, char *errbuf,
                          size_t errlen)
{
    /* The 16-byte magic at the start of every SQLite 3 file (sqlite.org fileformat2). */
    static const char magic[16] = "SQLite format 3";
    unsigned char head[100];
    *dbp = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        errf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return PS_EIO;
    }
    ssize_t got = read(fd, head, sizeof head);
    close(fd);
    if (got < 0) {
        errf(errbuf, errlen, "%s: cannot read: %s", path, strerror(errno));
        return PS_EIO;
    }
    if (got < (ssize_t)sizeof magic || memcmp(head, magic, sizeof magic) != 0) {
        errf(errbuf, errlen,
             "%s: not an SQLite database (it does not start with the SQLite header); "
             "not touching it",
             path);
        return STORE_ENOTDB;
    }
    if (got < (ssize_t)sizeof head) {
        errf(errbuf, errlen, "%s: corrupt SQLite database: truncated header (%zd bytes)", path,
             got);
        return PS_ECORRUPT;
    }

    /* A read-only connection to a WAL-mode file creates -wal and -shm files
     * beside it. Not ours to litter when the file is another program's: while
     * no -wal exists, the file alone is the whole database (SQLite deletes the
     * -wal when the last connection closes), so identity is read immutable
     * first, touching nothing. Only a podscaler file goes on to the full check. */
    char side[PATH_MAX_STORE];
    int n = snprintf(side, sizeof side, "%s-wal", path);
    if (n > 0 && (size_t)n < sizeof side && access(side, F_OK) != 0) {
        int code = check_identity_immutable(path, errbuf, errlen);
        if (code)
            return code;
    }

    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        errf(errbuf, errlen, "%s: cannot open read-only: %s", path,
             db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return store__map_rc(rc);
    }
    sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
    rc = read_state(db, fs);
    if (rc != SQLITE_OK) {
        int code = store__map_rc(rc);
        errf(errbuf, errlen, "%s: %s: %s", path,
             code == PS_ECORRUPT ? "corrupt SQLite database" : "cannot read the database",
             sqlite3_errmsg(db));
        sqlite3_close(db);
        return code;
    }
    int code = judge_state(path, fs, errbuf, errlen);
    if (code) {
        sqlite3_close(db);
        return code;
    }
    /* quick_check: O(size) but skips the index-content cross-check of
     * integrity_check; it finds truncation, bad pages and broken b-trees. */
    sqlite3_stmt *s = NULL;
    rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(s, 0);
        if (!res || strcmp(res, "ok") != 0) {
            errf(errbuf, errlen, "%s: corrupt podscaler history (quick_check: %s); not touching it",
                 path, res ? res : "?");
            code = PS_ECORRUPT;
        }
    } else {
        code = store__map_rc(rc);
        if (code == 0 || code == STORE_ESQL)
            code = PS_ECORRUPT;
        errf(errbuf, errlen, "%s: corrupt podscaler history (quick_check: %s); not touching it",
             path, sqlite3_errmsg(db));
    }
    sqlite3_finalize(s);
    if (code) {
        sqlite3_close(db);
        return code;
    }
    *dbp = db;
    return 0;
}

/* Brings the file to STORE_SCHEMA_VERSION, one transaction per step. The state
 * is read again under the write lock: another process may have migrated (or,
 * for a new file, created) it since the read-only check. */
static int migrate(struct store *st, char *errbuf, size_t errlen)
{
    int rc;
    for (;;) {
        rc = store__exec(st, "BEGIN IMMEDIATE");
        if (rc) {
            errf(errbuf, errlen, "%s", st->errmsg);
            return rc;
        }
        struct file_state fs;
        int src = read_state(st->db, &fs);
        if (src != SQLITE_OK) {
            rc = store__sql_fail(st, src, "reading the schema version");
            errf(errbuf, errlen, "%s", st->errmsg);
            goto rollback;
        }
        rc = judge_state(st->path, &fs, errbuf, errlen);
        if (rc)
            goto rollback;
        if (st->opened_version < 0) {
            st->opened_version = (int)fs.version;
            /* Said before, not after: version 3's step copies every sample, and
             * a large history takes minutes with nothing else to show for it. */
            if (fs.version > 0 && fs.version < STORE_SCHEMA_VERSION)
                ps_log(PS_LOG_INFO, "store",
                       "%s: migrating the history from schema version %lld to %d (a copy of "
                       "every sample: about a second per million)",
                       st->path, (long long)fs.version, STORE_SCHEMA_VERSION);
        }
        if (fs.version == STORE_SCHEMA_VERSION) {
            st->version = (int)fs.version;
            rc = store__exec(st, "COMMIT");
            if (rc)
                errf(errbuf, errlen, "%s", st->errmsg);
            return rc;
        }
        char bump[96];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d; PRAGMA application_id = %d;",
                 (int)fs.version + 1, STORE_APPLICATION_ID);
        /* Not store__exec: its message leads with the statement, and a step's
         * statements fill st->errmsg before SQLite's reason (e.g. a row of the
         * old table that the new one's CHECK refuses) is reached. */
        char *why = NULL;
        /* Rows another tool wrote past the CHECK constraints are copied as they
         * are: the readers refuse them by name (docs/store.md), as they did
         * before the step, and refusing the step would leave the file unwritable
         * by any podscaler that wants the new schema. */
        sqlite3_exec(st->db, "PRAGMA ignore_check_constraints = ON", NULL, NULL, NULL);
        src = sqlite3_exec(st->db, migrations[fs.version], NULL, NULL, &why);
        sqlite3_exec(st->db, "PRAGMA ignore_check_constraints = OFF", NULL, NULL, NULL);
        if (src != SQLITE_OK) {
            rc = store__map_rc(src);
            errf(errbuf, errlen, "%s: migrating to schema version %d: %s", st->path,
                 (int)fs.version + 1, why ? why : sqlite3_errstr(src));
            sqlite3_free(why);
            goto rollback;
        }
        rc = store__exec(st, bump);
        if (!rc)
            rc = store__exec(st, "COMMIT");
        if (rc) {
            errf(errbuf, errlen, "%s: migrating to schema version %d: %s", st->path,
                 (int)fs.version + 1, st->errmsg);
            goto rollback;
        }
    }
rollback:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int store_open(const char *path, unsigned flags, struct store **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    errf(errbuf, errlen, "%s", "");
    int rdwr = (flags & STORE_RDWR) != 0;
    int create = rdwr && (flags & STORE_CREATE);
    struct stat sb;
    int fresh = 0;
    sqlite3 *rodb = NULL;
    struct file_state fs = {0, 0, 0};
    int rc;

    if (stat(path, &sb) != 0) {
        if (errno != ENOENT) {
            errf(errbuf, errlen, "%s: %s", path, strerror(errno));
            return PS_EIO;
        }
        if (!create) {
            errf(errbuf, errlen, "%s: no such file", path);
            return PS_ENOENT;
        }
        fresh = 1;
    } else if (!S_ISREG(sb.st_mode)) {
        errf(errbuf, errlen, "%s: not a regular file", path);
        return PS_EINVAL;
    } else if (sb.st_size == 0) {
        if (!rdwr) {
            errf(errbuf, errlen, "%s: empty file, not a podscaler history", path);
            return PS_ENOENT;
        }
        fresh = 1;
    } else {
        rc = check_existing(path, &rodb, &fs, errbuf, errlen);
        if (rc)
            return rc;
        if (!rdwr && is_blank(&fs)) {
            errf(errbuf, errlen, "%s: an empty SQLite database, not a podscaler history", path);
            sqlite3_close(rodb);
            return STORE_EFOREIGN;
        }
        if (!rdwr && fs.version < STORE_SCHEMA_READ_MIN) {
            errf(errbuf, errlen,
                 "%s: podscaler history of schema version %lld, older than this podscaler "
                 "reads (%d to %d): open it read-write once (e.g. podscaler record) to "
                 "migrate it",
                 path, (long long)fs.version, STORE_SCHEMA_READ_MIN, STORE_SCHEMA_VERSION);
            sqlite3_close(rodb);
            return PS_EVERSION;
        }
    }

    struct store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        sqlite3_close(rodb);
        errf(errbuf, errlen, "%s: out of memory", path);
        return PS_ENOMEM;
    }
    ps__map_init(&st->wl_ids);
    ps__map_init(&st->pod_ids);
    ps__map_init(&st->ctr_ids);
    ps__map_init(&st->ctr_noted);
    ps__map_init(&st->wl_noted);
    st->rdwr = rdwr;
    st->opened_version = -1;
    if (!rdwr) {
        st->db = rodb;
        st->version = (int)fs.version;
        st->opened_version = st->version;
        *out = st;
        return 0;
    }
    sqlite3_close(rodb);

    rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | (fresh ? SQLITE_OPEN_CREATE : 0),
                         NULL);
    if (rc != SQLITE_OK) {
        errf(errbuf, errlen, "%s: cannot open read-write: %s", path,
             st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        rc = store__map_rc(rc);
        goto fail;
    }
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    /* Forbid the schema-corrupting statements (writable_schema and friends). */
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    rc = store__exec(st, "PRAGMA journal_mode=WAL");
    if (!rc)
        rc = store__exec(st, "PRAGMA synchronous=NORMAL");
    if (rc) {
        errf(errbuf, errlen, "%s", st->errmsg);
        goto fail;
    }
    rc = migrate(st, errbuf, errlen);
    if (rc)
        goto fail;
    st->errmsg[0] = '\0';
    *out = st;
    return 0;

fail:
    store_close(st);
    return rc;
}

static void clear_caches(struct store *st)
{
    ps__map_clear(&st->wl_ids);
    ps__map_clear(&st->pod_ids);
    ps__map_clear(&st->ctr_ids);
    ps__map_clear(&st->ctr_noted);
    ps__map_clear(&st->wl_noted);
}

void store_close(struct store *st)
{
    if (!st)
        return;
    if (st->in_batch || st->in_read)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_stmt **stmts[] = {
        &st->s_wl_sel,   &st->s_wl_ins,   &st->s_pod_sel,  &st->s_pod_ins,   &st->s_ctr_sel,
        &st->s_ctr_ins,  &st->s_sample,   &st->s_replicas, &st->s_resources, &st->s_decision,
        &st->s_ckpt_put, &st->s_ckpt_get, &st->s_ctr_note, &st->s_wl_note,   &st->s_sample_chunk};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        sqlite3_finalize(*stmts[i]);
    sqlite3_close_v2(st->db);
    ps__map_fini(&st->wl_ids);
    ps__map_fini(&st->pod_ids);
    ps__map_fini(&st->ctr_ids);
    ps__map_fini(&st->ctr_noted);
    ps__map_fini(&st->wl_noted);
    free(st->path);
    free(st);
}

const char *store_errmsg(const struct store *st)
{
    return st ? st->errmsg : "";
}

int store_schema_version(const struct store *st)
{
    return st->version;
}

int store_opened_version(const struct store *st)
{
    return st->opened_version;
}

int store_begin_batch(struct store *st)
{
    if (!st->rdwr)
        return store__fail(st, STORE_EREADONLY, "batch on a read-only store");
    if (st->in_batch || st->in_read)
        return store__fail(st, STORE_EBATCH, "a batch is already open");
    int rc = store__exec(st, "BEGIN IMMEDIATE");
    if (rc)
        return rc;
    st->in_batch = 1;
    return 0;
}

int store_commit_batch(struct store *st)
{
    if (!st->in_batch)
        return store__fail(st, STORE_EBATCH, "commit without a batch");
    int rc = store__flush_samples(st);
    if (!rc)
        rc = store__exec(st, "COMMIT");
    if (rc) {
        /* A failed COMMIT may leave the transaction open; end it so the
         * handle stays usable, and forget ids the rollback took away. */
        if (!sqlite3_get_autocommit(st->db))
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        clear_caches(st);
    }
    st->in_batch = 0;
    st->n_pend = 0;
    return rc;
}

void store_rollback_batch(struct store *st)
{
    if (!st->in_batch)
        return;
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->in_batch = 0;
    st->n_pend = 0;
    clear_caches(st);
}

int store_begin_read(struct store *st)
{
    if (st->in_batch || st->in_read)
        return store__fail(st, STORE_EBATCH, "a batch or read is already open");
    int rc = store__exec(st, "BEGIN");
    if (rc)
        return rc;
    st->in_read = 1;
    return 0;
}

void store_end_read(struct store *st)
{
    if (!st->in_read)
        return;
    sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
    st->in_read = 0;
}

int store__need_batch(struct store *st)
{
    if (!st->rdwr)
        return store__fail(st, STORE_EREADONLY, "write on a read-only store");
    if (!st->in_batch)
        return store__fail(st, STORE_EBATCH, "write outside a batch");
    return 0;
}

void store__clear_caches(struct store *st)
{
    clear_caches(st);
}
