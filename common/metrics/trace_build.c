/*
 * The trace builder (trace_int.h) and trace_free().
 *
 * Rows arrive in input order and are appended to growing columns with the
 * series each belongs to. Inputs are nearly always grouped by series already
 * (the shared traces are, and the store scans by container), so tb_finish
 * checks that first and only then pays for a scatter into series order.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/text.h"
#include "trace_int.h"
#include "../store/strmap.h"

const char *const tb_opt_names[TB_N_OPT] = {"cpu_request_millicores", "memory_request_bytes",
                                            "cpu_limit_millicores", "memory_limit_bytes"};

/* Longer than any Kubernetes name ("namespace/name" is at most 63 + 1 + 253
 * bytes): anything past this is not a name but a broken input. */
#define TB_NAME_MAX 1024

struct tb_names {
    char **names;
    size_t *lens;
    size_t n, cap, cap_lens;
    struct ps__map map;
};

struct tb_series {
    uint32_t wl, pod, ctr, count;
    int64_t last_t;
};

struct trace_builder {
    char *source;
    unsigned opt_mask;
    size_t max_samples;

    struct tb_names wls, pods, ctrs;
    uint32_t *pod_workload; /* parallel to pods */
    size_t cap_pod_workload;

    struct tb_series *series;
    size_t n_series, cap_series;
    struct ps__map series_map; /* scope pod, key the 4 bytes of the container index */

    uint32_t *row_series;
    int64_t *t, *cpu, *mem, *opt[TB_N_OPT];
    size_t n, cap;

    struct trace_replicas *reps;
    size_t n_reps, cap_reps;

    /* The previous row's names and series: consecutive rows nearly always repeat them. */
    uint32_t last_wl, last_pod, last_ctr, last_series;
    int have_last;
};

void tb_set_error(struct trace_error *err, const char *file, long line, const char *field,
                  const char *fmt, ...)
{
    if (!err)
        return;
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    err->line = line;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

static void names_fini(struct tb_names *nm)
{
    if (nm->names) {
        for (size_t i = 0; i < nm->n; i++)
            free(nm->names[i]);
    }
    free(nm->names);
    free(nm->lens);
    ps__map_fini(&nm->map);
}

int tb_new(const char *source, unsigned opt_mask, size_t max_samples, struct trace_builder **out)
{
    *out = NULL;
    struct trace_builder *b = calloc(1, sizeof *b);
    if (!b)
        return PS_ENOMEM;
    b->source = strdup(source ? source : "");
    if (!b->source) {
        free(b);
        return PS_ENOMEM;
    }
    b->opt_mask = opt_mask;
    b->max_samples = max_samples;
    ps__map_init(&b->wls.map);
    ps__map_init(&b->pods.map);
    ps__map_init(&b->ctrs.map);
    ps__map_init(&b->series_map);
    *out = b;
    return 0;
}

void tb_free(struct trace_builder *b)
{
    if (!b)
        return;
    free(b->source);
    names_fini(&b->wls);
    names_fini(&b->pods);
    names_fini(&b->ctrs);
    free(b->pod_workload);
    free(b->series);
    ps__map_fini(&b->series_map);
    free(b->row_series);
    free(b->t);
    free(b->cpu);
    free(b->mem);
    for (int i = 0; i < TB_N_OPT; i++)
        free(b->opt[i]);
    free(b->reps);
    free(b);
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *n = realloc(*(void **)pp, c * elem);
    if (!n)
        return PS_ENOMEM;
    *(void **)pp = n;
    *cap = c;
    return 0;
}

/* Looks a name up; *idx is UINT32_MAX when it is new. A new name is checked. */
static int names_lookup(const struct tb_names *nm, uint64_t scope, const char *s, size_t len,
                        uint32_t hint, int have_hint, uint32_t *idx, const char *field,
                        struct tb_reject *why)
{
    if (have_hint && nm->lens[hint] == len && memcmp(nm->names[hint], s, len) == 0) {
        *idx = hint;
        return 1; /* the caller still checks the scope */
    }
    const uint64_t *v = ps__map_get(&nm->map, scope, s, len);
    if (v) {
        *idx = (uint32_t)*v;
        return 0;
    }
    *idx = UINT32_MAX;
    if (len == 0) {
        why->field = field;
        snprintf(why->message, sizeof why->message, "empty %s name", field);
        return PS_EINVAL;
    }
    if (len > TB_NAME_MAX) {
        why->field = field;
        snprintf(why->message, sizeof why->message, "%s name longer than %d bytes", field,
                 TB_NAME_MAX);
        return PS_EINVAL;
    }
    const char *quote = memchr(s, '"', len);
    const size_t ctl = ps_ctl_at(s, len), q = quote ? (size_t)(quote - s) : len;
    if (ctl < len || q < len) {
        why->field = field;
        snprintf(why->message, sizeof why->message,
                 "%s name has a %s at byte %zu (quoting is not supported)", field,
                 q < ctl ? "double quote" : "control character", (q < ctl ? q : ctl) + 1);
        return PS_EPARSE;
    }
    const size_t bad = ps_utf8_invalid_at(s, len);
    if (bad < len) {
        why->field = field;
        snprintf(why->message, sizeof why->message, "%s name is not UTF-8 at byte %zu", field,
                 bad + 1);
        return PS_EPARSE;
    }
    return 0;
}

static int names_add(struct tb_names *nm, uint64_t scope, const char *s, size_t len, uint32_t *idx)
{
    if (grow(&nm->names, &nm->cap, nm->n + 1, sizeof *nm->names))
        return PS_ENOMEM;
    if (grow(&nm->lens, &nm->cap_lens, nm->n + 1, sizeof *nm->lens))
        return PS_ENOMEM;
    char *copy = malloc(len + 1);
    if (!copy)
        return PS_ENOMEM;
    memcpy(copy, s, len);
    copy[len] = '\0';
    if (ps__map_put(&nm->map, scope, s, len, nm->n)) {
        free(copy);
        return PS_ENOMEM;
    }
    nm->names[nm->n] = copy;
    nm->lens[nm->n] = len;
    *idx = (uint32_t)nm->n++;
    return 0;
}

static int reject(struct tb_reject *why, const char *field, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int reject(struct tb_reject *why, const char *field, int code, const char *fmt, ...)
{
    why->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->message, sizeof why->message, fmt, ap);
    va_end(ap);
    return code;
}

/* Resolves (or checks, when new) the workload name. */
static int lookup_wl(struct trace_builder *b, const char *wl, size_t wl_len, uint32_t *iw,
                     struct tb_reject *why)
{
    int rc = names_lookup(&b->wls, 0, wl, wl_len, b->last_wl, b->have_last, iw, "workload", why);
    return rc < 0 ? rc : 0;
}

int tb_add(struct trace_builder *b, const char *wl, size_t wl_len, const char *pod, size_t pod_len,
           const char *ctr, size_t ctr_len, int64_t t, int64_t cpu, int64_t mem, const int64_t *opt,
           struct tb_reject *why)
{
    int rc;
    if (t < 0)
        return reject(why, "t_seconds", PS_ENEGATIVE, "negative time %lld", (long long)t);
    if (t > TRACE_T_MAX)
        return reject(why, "t_seconds", PS_ERANGE,
                      "time %lld is after the year 9999 (at most %lld seconds)", (long long)t,
                      (long long)TRACE_T_MAX);
    if (cpu < 0)
        return reject(why, "cpu_millicores", PS_ENEGATIVE, "negative value %lld", (long long)cpu);
    if (mem < 0)
        return reject(why, "memory_bytes", PS_ENEGATIVE, "negative value %lld", (long long)mem);
    for (int i = 0; opt && i < TB_N_OPT; i++) {
        if (opt[i] != TRACE_NONE && opt[i] < 0)
            return reject(why, tb_opt_names[i], PS_ENEGATIVE, "negative value %lld",
                          (long long)opt[i]);
    }

    uint32_t iw, ip, ic;
    if ((rc = lookup_wl(b, wl, wl_len, &iw, why)) < 0)
        return rc;
    /* A pod name is scoped by its workload: two workloads may reuse one. */
    if (iw == UINT32_MAX) {
        ip = UINT32_MAX;
        rc = names_lookup(&b->pods, UINT32_MAX, pod, pod_len, 0, 0, &ip, "pod", why);
        ip = UINT32_MAX;
    } else {
        rc = names_lookup(&b->pods, iw, pod, pod_len, b->last_pod, b->have_last, &ip, "pod", why);
        if (rc == 1 && b->pod_workload[ip] != iw) {
            const uint64_t *v = ps__map_get(&b->pods.map, iw, pod, pod_len);
            ip = v ? (uint32_t)*v : UINT32_MAX;
        }
    }
    if (rc < 0)
        return rc;
    rc = names_lookup(&b->ctrs, 0, ctr, ctr_len, b->last_ctr, b->have_last, &ic, "container", why);
    if (rc < 0)
        return rc;

    uint32_t is = UINT32_MAX;
    if (ip != UINT32_MAX && ic != UINT32_MAX) {
        if (b->have_last && b->series[b->last_series].pod == ip &&
            b->series[b->last_series].ctr == ic) {
            is = b->last_series;
        } else {
            const uint64_t *v = ps__map_get(&b->series_map, ip, (const char *)&ic, sizeof ic);
            if (v)
                is = (uint32_t)*v;
        }
    }
    if (is != UINT32_MAX) {
        int64_t last = b->series[is].last_t;
        if (t == last)
            return reject(why, "t_seconds", PS_EEXIST,
                          "duplicate sample: t_seconds %lld already given for this "
                          "workload/pod/container",
                          (long long)t);
        if (t < last)
            return reject(why, "t_seconds", PS_ETIME,
                          "t_seconds %lld is not after the previous sample (%lld) of this "
                          "workload/pod/container",
                          (long long)t, (long long)last);
    }
    if ((b->max_samples && b->n >= b->max_samples) || b->n >= UINT32_MAX)
        return reject(why, "", PS_ENOSPC, "more than %zu samples",
                      b->max_samples ? b->max_samples : (size_t)UINT32_MAX);

    /* From here on the row is accepted: only an allocation can fail. */
    if (iw == UINT32_MAX && names_add(&b->wls, 0, wl, wl_len, &iw))
        return PS_ENOMEM;
    if (ip == UINT32_MAX) {
        if (grow(&b->pod_workload, &b->cap_pod_workload, b->pods.n + 1, sizeof *b->pod_workload) ||
            names_add(&b->pods, iw, pod, pod_len, &ip))
            return PS_ENOMEM;
        b->pod_workload[ip] = iw;
    }
    if (ic == UINT32_MAX && names_add(&b->ctrs, 0, ctr, ctr_len, &ic))
        return PS_ENOMEM;
    if (is == UINT32_MAX) {
        if (grow(&b->series, &b->cap_series, b->n_series + 1, sizeof *b->series))
            return PS_ENOMEM;
        if (ps__map_put(&b->series_map, ip, (const char *)&ic, sizeof ic, b->n_series))
            return PS_ENOMEM;
        is = (uint32_t)b->n_series++;
        b->series[is] = (struct tb_series){.wl = iw, .pod = ip, .ctr = ic, .count = 0};
    }
    if (b->n == b->cap) {
        size_t c = b->cap ? b->cap * 2 : 4096;
        uint32_t *rs = realloc(b->row_series, c * sizeof *rs);
        if (!rs)
            return PS_ENOMEM;
        b->row_series = rs;
        int64_t **cols[3 + TB_N_OPT] = {&b->t, &b->cpu, &b->mem};
        for (int i = 0; i < TB_N_OPT; i++)
            cols[3 + i] = (b->opt_mask >> i) & 1 ? &b->opt[i] : NULL;
        for (int i = 0; i < 3 + TB_N_OPT; i++) {
            if (!cols[i])
                continue;
            int64_t *nc = realloc(*cols[i], c * sizeof *nc);
            if (!nc)
                return PS_ENOMEM;
            *cols[i] = nc;
        }
        b->cap = c;
    }
    size_t r = b->n++;
    b->row_series[r] = is;
    b->t[r] = t;
    b->cpu[r] = cpu;
    b->mem[r] = mem;
    for (int i = 0; i < TB_N_OPT; i++) {
        if ((b->opt_mask >> i) & 1)
            b->opt[i][r] = opt ? opt[i] : TRACE_NONE;
    }
    b->series[is].count++;
    b->series[is].last_t = t;
    b->last_wl = iw;
    b->last_pod = ip;
    b->last_ctr = ic;
    b->last_series = is;
    b->have_last = 1;
    return 0;
}

int tb_add_replicas(struct trace_builder *b, const char *wl, size_t wl_len, int64_t t,
                    int64_t replicas, struct tb_reject *why)
{
    int rc;
    if (t < 0)
        return reject(why, "t", PS_ENEGATIVE, "negative time %lld", (long long)t);
    if (t > TRACE_T_MAX)
        return reject(why, "t", PS_ERANGE, "time %lld is after the year 9999", (long long)t);
    if (replicas < 0 || replicas > INT32_MAX)
        return reject(why, "replicas", PS_ERANGE, "replica count %lld out of range",
                      (long long)replicas);
    uint32_t iw;
    if ((rc = lookup_wl(b, wl, wl_len, &iw, why)) < 0)
        return rc;
    if (iw == UINT32_MAX && names_add(&b->wls, 0, wl, wl_len, &iw))
        return PS_ENOMEM;
    if (grow(&b->reps, &b->cap_reps, b->n_reps + 1, sizeof *b->reps))
        return PS_ENOMEM;
    b->reps[b->n_reps++] =
        (struct trace_replicas){.workload = iw, .t_s = t, .replicas = (int32_t)replicas};
    return 0;
}

struct sort_key {
    uint32_t wl, pod, ctr, idx;
};

static int cmp_series(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;
    if (x->wl != y->wl)
        return x->wl < y->wl ? -1 : 1;
    if (x->pod != y->pod)
        return x->pod < y->pod ? -1 : 1;
    if (x->ctr != y->ctr)
        return x->ctr < y->ctr ? -1 : 1;
    return 0;
}

static int cmp_reps(const void *a, const void *b)
{
    const struct trace_replicas *x = a, *y = b;
    if (x->workload != y->workload)
        return x->workload < y->workload ? -1 : 1;
    if (x->t_s != y->t_s)
        return x->t_s < y->t_s ? -1 : 1;
    return 0;
}

/* Moves column *col so that row i lands at dest[i]. */
static int scatter(int64_t **col, const uint32_t *dest, size_t n)
{
    if (!*col)
        return 0;
    int64_t *nc = malloc((n ? n : 1) * sizeof *nc);
    if (!nc)
        return PS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        nc[dest[i]] = (*col)[i];
    free(*col);
    *col = nc;
    return 0;
}

/* The most common interval between consecutive samples of a series. Runs of
 * equal intervals are counted at once: traces are regular, so the map sees few. */
static int most_common_step(const struct trace *t, int64_t *step)
{
    struct ps__map counts;
    ps__map_init(&counts);
    int64_t best = 0;
    uint64_t best_n = 0;
    for (size_t s = 0; s < t->n_series; s++) {
        const int64_t *ts = t->t_s + t->series[s].first;
        uint32_t n = t->series[s].count;
        uint32_t i = 1;
        while (i < n) {
            int64_t d = ts[i] - ts[i - 1];
            uint32_t j = i + 1;
            while (j < n && ts[j] - ts[j - 1] == d)
                j++;
            uint64_t run = j - i;
            uint64_t *v = ps__map_get(&counts, (uint64_t)d, NULL, 0);
            if (v) {
                *v += run;
            } else if (ps__map_put(&counts, (uint64_t)d, NULL, 0, run)) {
                ps__map_fini(&counts);
                return PS_ENOMEM;
            } else {
                v = ps__map_get(&counts, (uint64_t)d, NULL, 0);
            }
            /* Ties go to the smaller interval, so the result does not depend on order. */
            if (*v > best_n || (*v == best_n && d < best)) {
                best_n = *v;
                best = d;
            }
            i = j;
        }
    }
    ps__map_fini(&counts);
    *step = best;
    return 0;
}

static void *shrink(void *p, size_t bytes)
{
    void *n = realloc(p, bytes ? bytes : 1);
    return n ? n : p;
}

int tb_finish(struct trace_builder *b, int rebase, struct trace **out)
{
    int rc = PS_ENOMEM;
    *out = NULL;
    struct sort_key *order = NULL;
    uint32_t *rank = NULL, *dest = NULL;
    struct trace *t = NULL;
    if (b->n == 0) {
        tb_free(b);
        return PS_ENOENT;
    }
    size_t ns = b->n_series;
    order = malloc(ns * sizeof *order);
    rank = malloc(ns * sizeof *rank);
    t = calloc(1, sizeof *t);
    if (!order || !rank || !t)
        goto fail;
    t->series = malloc(ns * sizeof *t->series);
    if (!t->series)
        goto fail;
    for (uint32_t i = 0; i < ns; i++)
        order[i] = (struct sort_key){b->series[i].wl, b->series[i].pod, b->series[i].ctr, i};
    qsort(order, ns, sizeof *order, cmp_series);
    uint32_t first = 0;
    for (uint32_t r = 0; r < ns; r++) {
        const struct tb_series *s = &b->series[order[r].idx];
        rank[order[r].idx] = r;
        t->series[r] = (struct trace_series){.workload = s->wl,
                                             .pod = s->pod,
                                             .container = s->ctr,
                                             .first = first,
                                             .count = s->count};
        first += s->count;
    }

    int in_order = 1;
    for (size_t i = 1; i < b->n && in_order; i++)
        in_order = rank[b->row_series[i]] >= rank[b->row_series[i - 1]];
    if (!in_order) {
        dest = malloc(b->n * sizeof *dest);
        if (!dest)
            goto fail;
        /* rank doubles as the per-series write cursor from here on. */
        for (uint32_t s = 0; s < ns; s++)
            rank[s] = t->series[rank[s]].first;
        for (size_t i = 0; i < b->n; i++)
            dest[i] = rank[b->row_series[i]]++;
        if (scatter(&b->t, dest, b->n) || scatter(&b->cpu, dest, b->n) ||
            scatter(&b->mem, dest, b->n))
            goto fail;
        for (int i = 0; i < TB_N_OPT; i++) {
            if (scatter(&b->opt[i], dest, b->n))
                goto fail;
        }
    }

    int64_t tmin = INT64_MAX, tmax = INT64_MIN;
    for (size_t s = 0; s < ns; s++) {
        const struct trace_series *se = &t->series[s];
        if (b->t[se->first] < tmin)
            tmin = b->t[se->first];
        if (b->t[se->first + se->count - 1] > tmax)
            tmax = b->t[se->first + se->count - 1];
    }
    for (size_t i = 0; i < b->n_reps; i++) {
        if (b->reps[i].t_s < tmin)
            tmin = b->reps[i].t_s;
    }
    if (rebase) {
        for (size_t i = 0; i < b->n; i++)
            b->t[i] -= tmin;
        for (size_t i = 0; i < b->n_reps; i++)
            b->reps[i].t_s -= tmin;
        t->t0_unix_s = tmin;
        tmax -= tmin;
    }
    if (b->n_reps)
        qsort(b->reps, b->n_reps, sizeof *b->reps, cmp_reps);

    /* Hand everything over; the builder keeps nothing the trace points to. */
    t->workloads = b->wls.names;
    t->n_workloads = b->wls.n;
    t->pods = b->pods.names;
    t->pod_workload = b->pod_workload;
    t->n_pods = b->pods.n;
    t->containers = b->ctrs.names;
    t->n_containers = b->ctrs.n;
    b->wls.names = b->pods.names = b->ctrs.names = NULL;
    b->wls.n = b->pods.n = b->ctrs.n = 0;
    b->pod_workload = NULL;
    t->n_series = ns;
    size_t bytes = b->n * sizeof(int64_t);
    t->t_s = shrink(b->t, bytes);
    t->cpu_milli = shrink(b->cpu, bytes);
    t->mem_bytes = shrink(b->mem, bytes);
    int64_t **opt_out[TB_N_OPT] = {&t->cpu_request_milli, &t->mem_request_bytes,
                                   &t->cpu_limit_milli, &t->mem_limit_bytes};
    for (int i = 0; i < TB_N_OPT; i++) {
        *opt_out[i] = b->opt[i] ? shrink(b->opt[i], bytes) : NULL;
        b->opt[i] = NULL;
    }
    b->t = b->cpu = b->mem = NULL;
    t->n_samples = b->n;
    t->replicas = b->reps;
    t->n_replicas = b->n_reps;
    b->reps = NULL;
    t->t_start_s = rebase || tmin == INT64_MAX ? 0 : tmin;
    t->t_end_s = tmax;
    t->source = b->source;
    b->source = NULL;
    rc = most_common_step(t, &t->step_s);
    if (rc)
        goto fail;
    free(order);
    free(rank);
    free(dest);
    tb_free(b);
    *out = t;
    return 0;

fail:
    free(order);
    free(rank);
    free(dest);
    trace_free(t);
    tb_free(b);
    return rc;
}

void trace_free(struct trace *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->workloads && i < t->n_workloads; i++)
        free(t->workloads[i]);
    free(t->workloads);
    for (size_t i = 0; t->pods && i < t->n_pods; i++)
        free(t->pods[i]);
    free(t->pods);
    free(t->pod_workload);
    for (size_t i = 0; t->containers && i < t->n_containers; i++)
        free(t->containers[i]);
    free(t->containers);
    free(t->series);
    free(t->t_s);
    free(t->cpu_milli);
    free(t->mem_bytes);
    free(t->cpu_request_milli);
    free(t->mem_request_bytes);
    free(t->cpu_limit_milli);
    free(t->mem_limit_bytes);
    free(t->replicas);
    free(t->source);
    free(t);
}
