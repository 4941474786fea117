/*
 * The database trace reader (trace_load_db) and trace_load_any.
 *
 * Reads a history (common/store) in one read transaction: the container names,
 * then every sample in (container, time) order, merged with the requests/limits
 * rows (a step function: a row is in force from its time to the next row of the
 * same container), then the replica counts. Times are rebased so the earliest
 * is 0, t0_unix_s keeping the absolute origin.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podscaler/store.h"
#include "trace_int.h"

struct db_ctr {
    int64_t id;
    char *wl, *pod, *ctr;
};

struct db_res {
    int64_t cid, t;
    int64_t v[TB_N_OPT];
};

struct db_load {
    const char *path;
    struct trace_error *err;
    struct trace_builder *b;
    struct db_ctr *c;
    size_t n_c, cap_c, cur;
    struct db_res *r;
    size_t n_r, cap_r, pos_r;
    unsigned opt_mask;
    int64_t cur_v[TB_N_OPT];
    int64_t cur_id;
    bool have_cur; /* cur_id is set: any int64 is a container id a file may hold */
    long rows;
};

static int on_container(void *ctx, int64_t id, const char *wl, const char *pod, const char *ctr)
{
    struct db_load *L = ctx;
    if (L->n_c == L->cap_c) {
        size_t cap = L->cap_c ? L->cap_c * 2 : 64;
        struct db_ctr *n = realloc(L->c, cap * sizeof *n);
        if (!n)
            return PS_ENOMEM;
        L->c = n;
        L->cap_c = cap;
    }
    struct db_ctr *c = &L->c[L->n_c];
    c->id = id;
    c->wl = strdup(wl);
    c->pod = strdup(pod);
    c->ctr = strdup(ctr);
    if (!c->wl || !c->pod || !c->ctr) {
        free(c->wl);
        free(c->pod);
        free(c->ctr);
        return PS_ENOMEM;
    }
    L->n_c++;
    return 0;
}

static int on_resources(void *ctx, int64_t cid, int64_t t, int64_t cpu_req, int64_t mem_req,
                        int64_t cpu_lim, int64_t mem_lim)
{
    struct db_load *L = ctx;
    if (L->n_r == L->cap_r) {
        size_t cap = L->cap_r ? L->cap_r * 2 : 64;
        struct db_res *n = realloc(L->r, cap * sizeof *n);
        if (!n)
            return PS_ENOMEM;
        L->r = n;
        L->cap_r = cap;
    }
    struct db_res *r = &L->r[L->n_r++];
    *r = (struct db_res){.cid = cid, .t = t, .v = {cpu_req, mem_req, cpu_lim, mem_lim}};
    /* A column exists in the trace when some row sets it, as in a CSV with it. */
    for (int i = 0; i < TB_N_OPT; i++) {
        if (r->v[i] != STORE_NONE)
            L->opt_mask |= 1u << i;
    }
    return 0;
}

static int on_sample(void *ctx, int64_t cid, int64_t t, int64_t cpu, int64_t mem)
{
    struct db_load *L = ctx;
    L->rows++;
    if (!L->have_cur || cid != L->cur_id) {
        /* Both walks are in container id order: advance, never search. */
        while (L->cur < L->n_c && L->c[L->cur].id < cid)
            L->cur++;
        if (L->cur == L->n_c || L->c[L->cur].id != cid) {
            tb_set_error(L->err, L->path, 0, "samples.container_id",
                         "sample of container id %lld, which has no name", (long long)cid);
            return PS_ECORRUPT;
        }
        L->cur_id = cid;
        L->have_cur = true;
        for (int i = 0; i < TB_N_OPT; i++)
            L->cur_v[i] = TRACE_NONE;
        while (L->pos_r < L->n_r && L->r[L->pos_r].cid < cid)
            L->pos_r++;
    }
    while (L->pos_r < L->n_r && L->r[L->pos_r].cid == cid && L->r[L->pos_r].t <= t) {
        memcpy(L->cur_v, L->r[L->pos_r].v, sizeof L->cur_v);
        L->pos_r++;
    }
    const struct db_ctr *c = &L->c[L->cur];
    struct tb_reject why;
    why.field = ""; /* set by tb_add only when it rejects */
    int rc = tb_add(L->b, c->wl, strlen(c->wl), c->pod, strlen(c->pod), c->ctr, strlen(c->ctr), t,
                    cpu, mem, L->opt_mask ? L->cur_v : NULL, &why);
    if (rc)
        tb_set_error(L->err, L->path, 0, why.field, "sample %ld (%s/%s/%s at t=%lld): %s", L->rows,
                     c->wl, c->pod, c->ctr, (long long)t,
                     rc == PS_ENOMEM ? "out of memory" : why.message);
    return rc;
}

static int on_replicas(void *ctx, const char *wl, int64_t t, int32_t replicas)
{
    struct db_load *L = ctx;
    struct tb_reject why;
    why.field = ""; /* set by tb_add only when it rejects */
    int rc = tb_add_replicas(L->b, wl, strlen(wl), t, replicas, &why);
    if (rc)
        tb_set_error(L->err, L->path, 0, why.field, "replica count of %s at t=%lld: %s", wl,
                     (long long)t, rc == PS_ENOMEM ? "out of memory" : why.message);
    return rc;
}

/* The store's messages start with the path, which a trace_error carries apart. */
static const char *past_path(const char *msg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(msg, path, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ' ? msg + n + 2 : msg;
}

static int load_db(const char *path, size_t max_samples, struct trace **out,
                   struct trace_error *err)
{
    struct trace_error scratch;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *out = NULL;
    char msg[512];
    struct store *st;
    int rc = store_open(path, STORE_RDONLY, &st, msg, sizeof msg);
    if (rc) {
        tb_set_error(err, path, 0, "", "%s", past_path(msg, path));
        return rc;
    }
    struct db_load L = {.path = path, .err = err};
    rc = store_begin_read(st);
    if (!rc)
        rc = store_for_each_container(st, on_container, &L);
    if (!rc)
        rc = store_for_each_resources(st, on_resources, &L);
    /* The samples are held in memory to be regrouped (store.h): a cap is
     * checked before they are read, not after. */
    uint64_t n_samples = 0;
    if (!rc && max_samples && (rc = store_sample_count(st, &n_samples)) == 0 &&
        n_samples > max_samples) {
        tb_set_error(err, path, 0, "", "more than %zu samples", max_samples);
        rc = PS_ENOSPC;
    }
    if (!rc)
        rc = tb_new(path, L.opt_mask, max_samples, &L.b);
    if (!rc)
        rc = store_for_each_sample(st, on_sample, &L);
    if (!rc)
        rc = store_for_each_replicas(st, on_replicas, &L);
    if (rc && !err->message[0])
        tb_set_error(err, path, 0, "", "%s",
                     rc == PS_ENOMEM ? "out of memory" : past_path(store_errmsg(st), path));
    store_end_read(st);
    store_close(st);
    if (!rc) {
        rc = tb_finish(L.b, 1, out);
        L.b = NULL;
        if (rc == PS_ENOENT)
            tb_set_error(err, path, 0, "", "the history holds no samples");
        else if (rc)
            tb_set_error(err, path, 0, "", "out of memory");
    }
    tb_free(L.b);
    for (size_t i = 0; i < L.n_c; i++) {
        free(L.c[i].wl);
        free(L.c[i].pod);
        free(L.c[i].ctr);
    }
    free(L.c);
    free(L.r);
    return rc;
}

int trace_load_db(const char *path, struct trace **out, struct trace_error *err)
{
    return load_db(path, 0, out, err);
}

int trace_load_any(const char *path, struct trace_load_opts *opts, struct trace **out,
                   struct trace_error *err)
{
    /* The 16-byte magic at the start of every SQLite 3 file (sqlite.org fileformat2). */
    static const char magic[16] = "SQLite format 3";
    char head[16];
    ssize_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    /* Only a regular file can be a database, and only there is a read not a
     * loss: the bytes sniffed from a pipe (/dev/stdin) would be gone for the
     * CSV reader. */
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        got = read(fd, head, sizeof head);
    if (fd >= 0)
        close(fd);
    if (got == (ssize_t)sizeof head && memcmp(head, magic, sizeof head) == 0) {
        if (opts)
            opts->bad_rows_skipped = 0;
        return load_db(path, opts ? opts->max_samples : 0, out, err);
    }
    return trace_load_csv(path, opts, out, err);
}
