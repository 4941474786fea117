/*
 * "A process killed at any point loses at most the batch in flight": a child
 * writes batches in a loop and reports each committed batch through a pipe;
 * the parent kills it with SIGKILL at a random moment, then opens the history
 * as a restarted writer would. It must open, pass integrity_check, and hold
 * every batch reported committed, each whole (no partial batch). Repeated, each
 * child resuming where the history ends; the first kills land during creation.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "podscaler/store.h"

#define KILLS             24
#define SAMPLES_PER_BATCH 300

static void child(const char *path, int fd, int64_t first)
{
    struct store *st;
    char msg[512];
    if (store_open(path, STORE_RDWR | STORE_CREATE, &st, msg, sizeof msg) != 0) {
        fprintf(stderr, "child: %s\n", msg);
        _exit(3);
    }
    for (int64_t b = first;; b++) {
        if (store_begin_batch(st) != 0)
            _exit(4);
        for (int i = 0; i < SAMPLES_PER_BATCH; i++) {
            char ctr[16];
            snprintf(ctr, sizeof ctr, "c%d", i % 3);
            if (store_add_sample(st, "ns/w", "w-1", ctr, 1000000 + b * SAMPLES_PER_BATCH + i, b,
                                 i) != 0)
                _exit(5);
        }
        if (store_add_replicas(st, "ns/w", 1000000 + b, (int32_t)(b % 7)) != 0 ||
            store_add_decision(st, 1000000 + b, "ns/w", "replicas", "x", "y", "kill test") != 0)
            _exit(6);
        if (store_commit_batch(st) != 0)
            _exit(7);
        /* Reported only once COMMIT has returned. */
        if (write(fd, &b, sizeof b) != (ssize_t)sizeof b)
            _exit(8);
    }
}

static int64_t q(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_type(s, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static void test_sigkill_loop(void **state)
{
    (void)state;
    char dir[] = "/tmp/ps_killXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/h.sqlite", dir);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    int64_t next = 0; /* first batch the next child writes */
    int64_t total_reported = 0;
    for (int k = 0; k < KILLS; k++) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child(path, fds[1], next);
        }
        close(fds[1]);
        int64_t b, reported = next - 1; /* nothing new reported yet */
        int delay_us;
        if (k < 3) {
            /* The first kills hit creation and migration. */
            delay_us = k * 2000;
        } else if (k % 2) {
            /* Half of the others wait for a first commit, so every run makes
             * progress even on a loaded machine, then kill mid-stream. */
            struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
            assert_int_equal(poll(&pfd, 1, 60000), 1);
            assert_int_equal(read(fds[0], &b, sizeof b), (ssize_t)sizeof b);
            reported = b;
            delay_us = rand() % 20000;
        } else {
            /* Anywhere: opening, inside a batch, inside a commit. */
            delay_us = rand() % 60000;
        }
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)delay_us * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
            fail_msg("kill %d: the writer ended by itself (status %d)", k, status);
        ssize_t got;
        while ((got = read(fds[0], &b, sizeof b)) == (ssize_t)sizeof b)
            reported = b;
        assert_true(got == 0);
        close(fds[0]);

        struct store *st;
        char msg[512];
        int rc;
        /* A reader first, straight after the kill: it sees the committed
         * batches through the WAL the writer left, without recovering into
         * the file. (Before the first commit there may be no history yet.) */
        if (reported >= 0) {
            rc = store_open(path, STORE_RDONLY, &st, msg, sizeof msg);
            if (rc)
                fail_msg("kill %d: read-only open failed: %s", k, msg);
            uint64_t n;
            assert_int_equal(store_scan_count(st, &n), 0);
            assert_true(n >= (uint64_t)(reported + 1) * SAMPLES_PER_BATCH);
            store_close(st);
        }
        /* Reopened as a restarted writer would: checks and migrations pass. */
        rc = store_open(path, STORE_RDWR | STORE_CREATE, &st, msg, sizeof msg);
        if (rc)
            fail_msg("kill %d: reopen failed: %s", k, msg);
        store_close(st);

        sqlite3 *db;
        assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0)
            fail_msg("kill %d: integrity_check: %s", k, sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
        int64_t rows = q(db, "SELECT count(*) FROM samples");
        int64_t batches = q(db, "SELECT count(DISTINCT cpu_milli) FROM samples");
        int64_t maxb = q(db, "SELECT max(cpu_milli) FROM samples");
        int64_t reps = q(db, "SELECT count(*) FROM replicas");
        int64_t decs = q(db, "SELECT count(*) FROM decisions");
        sqlite3_close(db);
        /* Whole batches only, numbered 0..maxb without a gap. */
        assert_int_equal(rows, batches * SAMPLES_PER_BATCH);
        assert_int_equal(maxb, batches - 1);
        assert_int_equal(reps, batches);
        assert_int_equal(decs, batches);
        if (maxb < reported)
            fail_msg("kill %d: batch %lld was reported committed, the history ends at %lld", k,
                     (long long)reported, (long long)maxb);
        /* At most the batch in flight is lost. */
        assert_true(maxb <= reported + 1);
        total_reported += reported - next + 1;
        next = maxb + 1;
    }
    /* The test means something only if writers got batches through. */
    if (total_reported < KILLS)
        fail_msg("only %lld batches committed over %d kills", (long long)total_reported, KILLS);
    printf("%d kills, %lld batches committed\n", KILLS, (long long)next);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
