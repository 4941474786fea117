/*
 * The CSV trace reader: the format of shared/traces (README.md there).
 *
 *   t_seconds,workload,pod,container,cpu_millicores,memory_bytes
 *
 * plus the optional columns cpu_request_millicores, memory_request_bytes,
 * cpu_limit_millicores and memory_limit_bytes, in any order. Values are
 * non-negative decimal integers; an optional value may be empty (TRACE_NONE).
 * Fields are not quoted (Kubernetes names have no commas or quotes). LF or CRLF
 * line ends; blank lines are ignored; a UTF-8 byte-order mark is skipped.
 *
 * The file is read whole and parsed in place by hand: the largest shared trace
 * is 19 MB, and per-field sscanf/strtok would cost several times the I/O.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace_int.h"

enum col {
    COL_T,
    COL_WL,
    COL_POD,
    COL_CTR,
    COL_CPU,
    COL_MEM,
    COL_OPT0, /* + TB_CPU_REQ .. TB_MEM_LIM */
    COL_N = COL_OPT0 + TB_N_OPT
};

static const char *const col_names[COL_N] = {"t_seconds",
                                             "workload",
                                             "pod",
                                             "container",
                                             "cpu_millicores",
                                             "memory_bytes",
                                             "cpu_request_millicores",
                                             "memory_request_bytes",
                                             "cpu_limit_millicores",
                                             "memory_limit_bytes"};

struct csv {
    const char *name;
    struct trace_load_opts *opts;
    struct trace_error *err;
    int ncols;
    int kind[COL_N]; /* kind of the i-th column of the file */
    int pos[COL_N];  /* position of each kind, -1 when absent */
    long skipped;
    int have_first_error;
};

/* A row-level problem: fatal, or counted and skipped under skip_bad_rows (the
 * first one skipped stays in *err so the caller can show an example). */
static int bad_row(struct csv *c, long line, const char *field, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static int bad_row(struct csv *c, long line, const char *field, int code, const char *fmt, ...)
{
    char msg[sizeof c->err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->have_first_error) {
        tb_set_error(c->err, c->name, line, field, "%s", msg);
        c->have_first_error = 1;
    }
    if (c->opts && c->opts->skip_bad_rows) {
        c->skipped++;
        return 0;
    }
    tb_set_error(c->err, c->name, line, field, "%s", msg);
    return code;
}

/* Non-negative decimal integer. 0, PS_EPARSE, PS_ENEGATIVE or PS_ERANGE. */
static int parse_int(const char *s, size_t n, int64_t *v)
{
    if (n == 0)
        return PS_EPARSE;
    size_t i = 0;
    int neg = s[0] == '-';
    if (neg && n == 1)
        return PS_EPARSE;
    i = (size_t)neg;
    uint64_t x = 0;
    /* 18 digits always fit in int64; only longer numbers need the overflow check. */
    size_t fast_end = n - i > 18 ? i + 18 : n;
    for (; i < fast_end; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return PS_EPARSE;
        x = x * 10 + d;
    }
    int range = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return PS_EPARSE;
        if (x > ((uint64_t)INT64_MAX - d) / 10)
            range = 1;
        else
            x = x * 10 + d;
    }
    if (neg)
        return PS_ENEGATIVE;
    if (range)
        return PS_ERANGE;
    *v = (int64_t)x;
    return 0;
}

static int int_field(struct csv *c, long line, int kind, const char *s, size_t n, int64_t *v,
                     int *skip)
{
    int rc = parse_int(s, n, v);
    if (rc == 0)
        return 0;
    *skip = 1;
    const char *what = rc == PS_ENEGATIVE ? "negative value"
                       : rc == PS_ERANGE  ? "integer out of range"
                       : n == 0           ? "empty value"
                                          : "not an integer";
    int show = n > 40 ? 40 : (int)n;
    return bad_row(c, line, col_names[kind], rc, "%s '%.*s%s'", what, show, s, n > 40 ? "..." : "");
}

static int parse_header(struct csv *c, const char *p, const char *le)
{
    for (int k = 0; k < COL_N; k++)
        c->pos[k] = -1;
    c->ncols = 0;
    const char *s = p;
    for (;;) {
        const char *e = s;
        while (e < le && *e != ',')
            e++;
        size_t n = (size_t)(e - s);
        int k;
        for (k = 0; k < COL_N; k++) {
            if (strlen(col_names[k]) == n && memcmp(col_names[k], s, n) == 0)
                break;
        }
        int show = n > 40 ? 40 : (int)n;
        if (k == COL_N) {
            tb_set_error(c->err, c->name, 1, "header", "unknown column '%.*s' (column %d)", show, s,
                         c->ncols + 1);
            return PS_EPARSE;
        }
        if (c->pos[k] >= 0) {
            tb_set_error(c->err, c->name, 1, "header", "column '%s' given twice", col_names[k]);
            return PS_EPARSE;
        }
        c->pos[k] = c->ncols;
        c->kind[c->ncols++] = k;
        if (e == le)
            break;
        s = e + 1;
    }
    for (int k = 0; k < COL_OPT0; k++) {
        if (c->pos[k] < 0) {
            tb_set_error(c->err, c->name, 1, "header", "missing column '%s'", col_names[k]);
            return PS_EPARSE;
        }
    }
    return 0;
}

int trace_parse_csv_buffer(const char *buf, size_t len, const char *name,
                           struct trace_load_opts *opts, struct trace **out,
                           struct trace_error *err)
{
    struct trace_error scratch;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *out = NULL;
    if (opts)
        opts->bad_rows_skipped = 0;
    struct csv c = {.name = name ? name : "", .opts = opts, .err = err};
    const char *p = buf, *end = buf + len;

    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    if (p == end) {
        tb_set_error(err, c.name, 0, "header", "empty file: no header line");
        return PS_EPARSE;
    }
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    const char *le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
    int rc = parse_header(&c, p, le);
    if (rc)
        return rc;
    p = eol < end ? eol + 1 : end;

    unsigned opt_mask = 0;
    for (int i = 0; i < TB_N_OPT; i++) {
        if (c.pos[COL_OPT0 + i] >= 0)
            opt_mask |= 1u << i;
    }
    struct trace_builder *b;
    rc = tb_new(c.name, opt_mask, opts ? opts->max_samples : 0, &b);
    if (rc) {
        tb_set_error(err, c.name, 0, "", "out of memory");
        return rc;
    }

    long line = 1;
    const char *f[COL_N];
    size_t fl[COL_N];
    while (p < end) {
        line++;
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
        const char *next = eol < end ? eol + 1 : end;
        if (le == p) {
            p = next;
            continue;
        }
        int nf = 0;
        const char *s = p;
        for (;;) {
            const char *e = s;
            while (e < le && *e != ',')
                e++;
            if (nf < c.ncols) {
                f[nf] = s;
                fl[nf] = (size_t)(e - s);
            }
            nf++;
            if (e == le)
                break;
            s = e + 1;
        }
        p = next;
        if (nf != c.ncols) {
            if (nf < c.ncols)
                rc = bad_row(&c, line, col_names[c.kind[nf]], PS_EPARSE,
                             "missing field: the line has %d fields, the header %d", nf, c.ncols);
            else {
                char extra[32];
                snprintf(extra, sizeof extra, "field %d", c.ncols + 1);
                rc = bad_row(&c, line, extra, PS_EPARSE,
                             "extra field: the line has %d fields, the header %d", nf, c.ncols);
            }
            if (rc)
                goto fail;
            continue;
        }
        int64_t t = 0, cpu = 0, mem = 0, opt[TB_N_OPT];
        int skip = 0;
        rc = int_field(&c, line, COL_T, f[c.pos[COL_T]], fl[c.pos[COL_T]], &t, &skip);
        if (!skip)
            rc = int_field(&c, line, COL_CPU, f[c.pos[COL_CPU]], fl[c.pos[COL_CPU]], &cpu, &skip);
        if (!skip)
            rc = int_field(&c, line, COL_MEM, f[c.pos[COL_MEM]], fl[c.pos[COL_MEM]], &mem, &skip);
        for (int i = 0; i < TB_N_OPT && !skip; i++) {
            int k = COL_OPT0 + i;
            opt[i] = TRACE_NONE;
            if (c.pos[k] >= 0 && fl[c.pos[k]] > 0)
                rc = int_field(&c, line, k, f[c.pos[k]], fl[c.pos[k]], &opt[i], &skip);
        }
        if (rc)
            goto fail;
        if (skip)
            continue;
        struct tb_reject why;
        why.field = ""; /* set by tb_add only when it rejects */
        rc =
            tb_add(b, f[c.pos[COL_WL]], fl[c.pos[COL_WL]], f[c.pos[COL_POD]], fl[c.pos[COL_POD]],
                   f[c.pos[COL_CTR]], fl[c.pos[COL_CTR]], t, cpu, mem, opt_mask ? opt : NULL, &why);
        if (rc == PS_ENOMEM || rc == PS_ENOSPC) {
            tb_set_error(err, c.name, line, why.field, "%s",
                         rc == PS_ENOMEM ? "out of memory" : why.message);
            goto fail;
        }
        if (rc) {
            rc = bad_row(&c, line, why.field, rc, "%s", why.message);
            if (rc)
                goto fail;
        }
    }
    if (opts)
        opts->bad_rows_skipped = c.skipped;
    rc = tb_finish(b, 0, out);
    if (rc == PS_ENOENT) {
        tb_set_error(err, c.name, 0, "", "no samples%s",
                     c.skipped ? " (every row was bad and skipped)" : "");
        return PS_EINVAL;
    }
    if (rc)
        tb_set_error(err, c.name, 0, "", "out of memory");
    return rc;

fail:
    if (opts)
        opts->bad_rows_skipped = c.skipped;
    tb_free(b);
    return rc;
}

/* Reads a whole file; works on pipes too, where the size is not known. */
static int read_all(const char *path, char **out, size_t *out_len, struct trace_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        tb_set_error(err, path, 0, "", "cannot open: %s", strerror(e));
        return e == ENOENT ? PS_ENOENT : PS_EIO;
    }
    struct stat st;
    size_t cap = 1 << 16;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap);
    size_t len = 0;
    int rc = 0;
    for (;;) {
        if (!buf) {
            rc = PS_ENOMEM;
            tb_set_error(err, path, 0, "", "out of memory");
            break;
        }
        if (len == cap) {
            char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                continue;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            tb_set_error(err, path, 0, "", "read failed: %s", strerror(errno));
            rc = PS_EIO;
            break;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

int trace_load_csv(const char *path, struct trace_load_opts *opts, struct trace **out,
                   struct trace_error *err)
{
    struct trace_error scratch;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    *out = NULL;
    char *buf;
    size_t len;
    int rc = read_all(path, &buf, &len, err);
    if (rc)
        return rc;
    rc = trace_parse_csv_buffer(buf, len, path, opts, out, err);
    free(buf);
    return rc;
}
