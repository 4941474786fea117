/*
 * replay.c - the virtual clock, the simulated cluster and the scores
 * (include/podscaler/replay.h; definitions in docs/replay.md).
 *
 * replay_input_new() turns the trace's series into one step-major table per
 * workload (for each step of the virtual clock from the workload's first sample
 * to its last, one row per recorded pod, one column per container), fits the
 * closed-loop model and chooses the initial requests. That is done once and
 * shared by every policy, so that a policy's run walks contiguous memory and
 * allocates nothing per sample.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/quantity.h"
#include "podscaler/replay.h"

#define MIB (1024.0 * 1024.0)
#define GIB (1024.0 * 1024.0 * 1024.0)

/* Floors of the initial requests: a request of 0 makes utilization undefined. */
#define MIN_CPU_REQUEST_MILLI 1
#define MIN_MEM_REQUEST_BYTES (1024 * 1024)

/* Default rule: the 95th percentile of per-pod usage plus the VPA recommender's
 * safety margin (--recommendation-margin-fraction, default 0.15). */
#define AUTO_PERCENTILE 95.0
#define AUTO_FACTOR     1.15

/* The most workload-steps an input may hold: the steps of each workload from
 * its first sample to its last, summed over the workloads. That is what the
 * step tables hold (4 bytes each, and 20 more per policy for the HTML charts)
 * and what every run walks. Measured: 1e8 of them take 0.4 GB and 1.4 s for the
 * five built-in policies, so 2^28 is about 1.1 GB and 5 s (18 s for HTML), and
 * 650 times the largest trace of shared/traces (48 workloads x 8,640 steps). A
 * few samples far apart (a 1 KB file) are refused here, before anything of that
 * size is allocated (docs/replay.md, Memory and limits). */
#define REPLAY_MAX_WORKLOAD_STEPS (INT64_C(1) << 28)

struct wl {
    const char *name;
    uint32_t n_c;
    uint32_t cont[PIPELINE_MAX_CONTAINERS]; /* global container ids */
    const char *cnames[PIPELINE_MAX_CONTAINERS];
    /* Steps first_step..last_step (the steps of the virtual clock where the
     * workload has samples: its own range, not the whole input's): row_off[k -
     * first_step] is the first row of step k, last_step - first_step + 2 offsets. */
    uint32_t *row_off;
    uint32_t n_rows;
    double *cpu, *mem; /* n_rows * n_c usage, row-major */
    int64_t first_step, last_step;
    int32_t max_pods;
    size_t n_samples;
    int64_t cpu_req0[PIPELINE_MAX_CONTAINERS], mem_req0[PIPELINE_MAX_CONTAINERS];
    int64_t cpu_lim0[PIPELINE_MAX_CONTAINERS], mem_lim0[PIPELINE_MAX_CONTAINERS];
    double a_cpu[PIPELINE_MAX_CONTAINERS], a_mem[PIPELINE_MAX_CONTAINERS];
    int fitted[PIPELINE_MAX_CONTAINERS];
    /* the fallback "fixed" applies: per-pod usage does not depend on the replicas */
    uint8_t all_fixed_cpu[PIPELINE_MAX_CONTAINERS], all_fixed_mem[PIPELINE_MAX_CONTAINERS];
    uint8_t cpu_fit[PIPELINE_MAX_CONTAINERS], mem_fit[PIPELINE_MAX_CONTAINERS];
};

struct replay_input {
    const struct trace *trace;
    struct wl *wls;
    size_t n_wls;
    int64_t step_s, from_s, to_s, n_steps;
    size_t n_samples;
    int has_requests;
    uint8_t fallback_cpu, fallback_mem;
    char rule[80];
};

const char *replay_strerror(int code)
{
    switch (code) {
    case REPLAY_EINPUT:
        return "the input cannot be replayed";
    case REPLAY_ERULE:
        return "not an initial-requests rule";
    default:
        return pipeline_strerror(code);
    }
}

/* ---- the initial-requests rule ---- */

/* "pNN[*F]" or "max[*F]" (the maximum is percentile 100). 1 if text is not one at
 * all, REPLAY_ERULE with err set if it is one but malformed. */
static int usage_rule_parse(const char *whole, const char *text, double *pct, double *fac,
                            char *err, size_t errlen)
{
    const char *p = text;
    char *end;
    *fac = 1.0;
    if (strncmp(p, "max", 3) == 0) {
        *pct = 100.0;
        p += 3;
    } else if (p[0] == 'p' && p[1] >= '0' && p[1] <= '9') {
        *pct = strtod(p + 1, &end);
        if (end == p + 1 || *pct <= 0.0 || *pct > 100.0) {
            snprintf(err, errlen, "\"%s\": the percentile must be in (0, 100]", whole);
            return REPLAY_ERULE;
        }
        p = end;
    } else {
        return 1;
    }
    if (*p == '*') {
        *fac = strtod(p + 1, &end);
        if (end == p + 1 || *end != '\0' || !(*fac > 0.0) || *fac > 1000.0) {
            snprintf(err, errlen, "\"%s\": the factor must be a number in (0, 1000]", whole);
            return REPLAY_ERULE;
        }
    } else if (*p != '\0') {
        snprintf(err, errlen, "\"%s\": unexpected \"%s\"", whole, p);
        return REPLAY_ERULE;
    }
    return 0;
}

/* One side of "cpu=R,memory=R": a positive quantity into *value, or a usage rule. */
static int side_parse(const char *whole, const char *name, const char *text, int milli,
                      int64_t *value, double *pct, double *fac, char *err, size_t errlen)
{
    int rc = usage_rule_parse(whole, text, pct, fac, err, errlen);
    if (rc != 1)
        return rc;
    *pct = 0.0;
    *fac = 1.0;
    quantity q;
    rc = quantity_parse_cstr(text, &q);
    if (rc || quantity_sign(&q) <= 0 ||
        (milli ? quantity_milli_value(&q, value) : quantity_value(&q, value))) {
        snprintf(err, errlen,
                 "\"%s\": %s \"%s\" is neither a positive quantity nor pNN[*F] / max[*F]", whole,
                 name, text);
        return REPLAY_ERULE;
    }
    return 0;
}

int replay_rule_parse(const char *text, struct replay_rule *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->factor = 1.0;
    if (strcmp(text, "auto") == 0) {
        out->kind = REPLAY_RULE_AUTO;
        return 0;
    }
    if (strcmp(text, "recorded") == 0) {
        out->kind = REPLAY_RULE_RECORDED;
        return 0;
    }
    if (strncmp(text, "cpu=", 4) == 0) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", text);
        char *comma = strchr(buf, ',');
        if (!comma || strncmp(comma + 1, "memory=", 7) != 0) {
            snprintf(err, errlen, "\"%s\": expected cpu=R,memory=R", text);
            return REPLAY_ERULE;
        }
        *comma = '\0';
        int rc = side_parse(text, "cpu", buf + 4, 1, &out->cpu_milli, &out->cpu_percentile,
                            &out->cpu_factor, err, errlen);
        if (!rc)
            rc = side_parse(text, "memory", comma + 8, 0, &out->mem_bytes, &out->mem_percentile,
                            &out->mem_factor, err, errlen);
        if (rc)
            return rc;
        out->kind = REPLAY_RULE_PER_RESOURCE;
        return 0;
    }
    int rc = usage_rule_parse(text, text, &out->percentile, &out->factor, err, errlen);
    if (rc == 1) {
        snprintf(err, errlen, "\"%s\": expected auto, recorded, pNN[*F], max[*F] or cpu=R,memory=R",
                 text);
        return REPLAY_ERULE;
    }
    if (rc)
        return rc;
    out->kind = REPLAY_RULE_PERCENTILE;
    return 0;
}

static void side_text(int64_t value, double pct, double fac, int milli, char *buf, size_t cap)
{
    if (pct > 0.0) {
        if (pct >= 100.0)
            snprintf(buf, cap, "max*%g", fac);
        else
            snprintf(buf, cap, "p%g*%g", pct, fac);
        return;
    }
    quantity q;
    if (milli)
        quantity_from_milli(value, QUANTITY_DECIMAL_SI, &q);
    else
        quantity_from_value(value, QUANTITY_BINARY_SI, &q);
    if (quantity_format_canonical(&q, buf, cap) < 0) /* too long: a number instead */
        snprintf(buf, cap, milli ? "%lldm" : "%lld", (long long)value);
}

static void rule_text(const struct replay_rule *r, int has_requests, char *buf, size_t cap)
{
    switch (r->kind) {
    case REPLAY_RULE_AUTO:
        if (has_requests)
            snprintf(buf, cap, "auto (recorded)");
        else
            snprintf(buf, cap, "auto (p%g*%g)", AUTO_PERCENTILE, AUTO_FACTOR);
        break;
    case REPLAY_RULE_RECORDED:
        snprintf(buf, cap, "recorded");
        break;
    case REPLAY_RULE_PERCENTILE:
        side_text(0, r->percentile, r->factor, 0, buf, cap);
        break;
    default: {
        char c[32], m[32];
        side_text(r->cpu_milli, r->cpu_percentile, r->cpu_factor, 1, c, sizeof(c));
        side_text(r->mem_bytes, r->mem_percentile, r->mem_factor, 0, m, sizeof(m));
        snprintf(buf, cap, "cpu=%s,memory=%s", c, m);
    }
    }
}

static int fallback_word(const char *s, size_t len, uint8_t *out)
{
    if (len == 4 && strncmp(s, "load", 4) == 0)
        *out = REPLAY_FALLBACK_LOAD;
    else if (len == 5 && strncmp(s, "floor", 5) == 0)
        *out = REPLAY_FALLBACK_FLOOR;
    else if (len == 5 && strncmp(s, "fixed", 5) == 0)
        *out = REPLAY_FALLBACK_FIXED;
    else
        return -1;
    return 0;
}

int replay_fallback_parse(const char *text, uint8_t *cpu, uint8_t *mem, char *err, size_t errlen)
{
    uint8_t v;
    if (fallback_word(text, strlen(text), &v) == 0) {
        *cpu = *mem = v;
        return 0;
    }
    uint8_t c = *cpu, m = *mem;
    const char *p = text;
    if (!*p) {
        snprintf(err, errlen, "empty model fallback");
        return REPLAY_ERULE;
    }
    int seen_cpu = 0, seen_mem = 0;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 4 && strncmp(p, "cpu=", 4) == 0 && fallback_word(p + 4, len - 4, &c) == 0) {
            if (seen_cpu++) {
                snprintf(err, errlen, "\"%s\": cpu is given twice", text);
                return REPLAY_ERULE;
            }
        } else if (len > 7 && strncmp(p, "memory=", 7) == 0 &&
                   fallback_word(p + 7, len - 7, &m) == 0) {
            if (seen_mem++) {
                snprintf(err, errlen, "\"%s\": memory is given twice", text);
                return REPLAY_ERULE;
            }
        } else {
            snprintf(err, errlen, "\"%s\": expected floor, load, fixed or cpu=WORD,memory=WORD",
                     text);
            return REPLAY_ERULE;
        }
        if (!end)
            break;
        p = end + 1;
        if (!*p) {
            snprintf(err, errlen, "\"%s\": trailing comma", text);
            return REPLAY_ERULE;
        }
    }
    *cpu = c;
    *mem = m;
    return 0;
}

/* ---- preparing the input ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t step_of(const struct replay_input *in, int64_t t_s)
{
    /* Samples off the grid go to the nearest step. */
    return (t_s - in->from_s + in->step_s / 2) / in->step_s;
}

static void wl_free(struct wl *w)
{
    free(w->row_off);
    free(w->cpu);
    free(w->mem);
}

void replay_input_free(struct replay_input *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n_wls; i++)
        wl_free(&in->wls[i]);
    free(in->wls);
    free(in);
}

/* The median of the recorded values of one column for one workload container,
 * or POLICY_UNSET when none was recorded. */
static int64_t recorded_median(const struct trace *t, size_t s_first, size_t s_end, uint32_t cont,
                               const int64_t *col, int64_t *scratch)
{
    if (!col)
        return POLICY_UNSET;
    size_t n = 0;
    for (size_t s = s_first; s < s_end; s++) {
        const struct trace_series *se = &t->series[s];
        if (se->container != cont)
            continue;
        for (uint32_t i = 0; i < se->count; i++) {
            int64_t v = col[se->first + i];
            if (v != TRACE_NONE)
                scratch[n++] = v;
        }
    }
    if (n == 0)
        return POLICY_UNSET;
    qsort(scratch, n, sizeof(*scratch), cmp_i64);
    return scratch[(n - 1) / 2];
}

/* The k-th smallest of v[0..n) (0-based), reordering v: Hoare's selection,
 * linear on average where a sort would be n log n on every container. */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double tmp = v[i];
                v[i] = v[j];
                v[j] = tmp;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

/* The idle floor: the 1st percentile of the per-step mean per-pod usage, not
 * the minimum, so that one step of a pod starting up (a few MiB) does not make
 * nearly all of a resource "load" (fit_one). */
#define IDLE_FLOOR_PERCENTILE 0.01

/* Least squares of the mean per-pod usage against 1/replicas over the steps
 * where the workload ran: mean = a + b / n. a is the per-pod fixed part,
 * clamped to [0, the idle floor] so that the load part is never negative.
 * A slope b <= 0 says that more pods did not share the usage (per-pod usage
 * did not fall as pods were added): the resource is per pod, and *mode is
 * FIT_PER_POD. scratch holds at least one double per step with samples. */
enum { FIT_NONE = 0, FIT_SPLIT = 1, FIT_PER_POD = 2 };

static void fit_one(const struct wl *w, uint32_t c, const double *col, double *a_out, int *mode,
                    int floor_fallback, double *scratch)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    size_t q = 0; /* steps with samples; their means go to scratch */
    int32_t nmin = INT32_MAX, nmax = 0;
    const int64_t n_steps = w->last_step - w->first_step + 1;
    for (int64_t k = 0; k < n_steps; k++) {
        uint32_t r0 = w->row_off[k], r1 = w->row_off[k + 1];
        if (r0 == r1)
            continue;
        double sum = 0;
        for (uint32_t r = r0; r < r1; r++)
            sum += col[(size_t)r * w->n_c + c];
        int32_t n = (int32_t)(r1 - r0);
        double x = 1.0 / n, y = sum / n;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        scratch[q++] = y;
        if (n < nmin)
            nmin = n;
        if (n > nmax)
            nmax = n;
    }
    double floor_v = q ? select_kth(scratch, q, (size_t)((double)q * IDLE_FLOOR_PERCENTILE)) : 0;
    /* Replicas never varied: the split cannot be fitted. The fallback takes the
     * idle floor as the fixed part, or (load) none of it. */
    *a_out = floor_fallback && floor_v > 0 ? floor_v : 0.0;
    *mode = FIT_NONE;
    if (q < 2 || nmin == nmax)
        return;
    const double cnt = (double)q;
    double var = sxx - sx * sx / cnt;
    if (!(var > 0))
        return;
    double b = (sxy - sx * sy / cnt) / var;
    double a = (sy - b * sx) / cnt;
    if (!(b > 0)) {
        *a_out = 0; /* unused: every part is per pod */
        *mode = FIT_PER_POD;
        return;
    }
    if (!(a > 0))
        a = 0;
    if (a > floor_v)
        a = floor_v;
    *a_out = a;
    *mode = FIT_SPLIT;
}

static int64_t initial_from_usage(const struct wl *w, uint32_t c, const double *col, double pct,
                                  double factor, double *scratch, int64_t floor_v)
{
    size_t n = 0;
    for (uint32_t r = 0; r < w->n_rows; r++)
        scratch[n++] = col[(size_t)r * w->n_c + c];
    if (n == 0)
        return floor_v;
    /* Nearest rank: the smallest value with at least pct% of the values at or below it. */
    double rank = ceil(pct / 100.0 * (double)n);
    size_t k = rank < 1.0 ? 0 : (size_t)rank - 1;
    if (k >= n)
        k = n - 1;
    double v = ceil(select_kth(scratch, n, k) * factor);
    if (v < (double)floor_v)
        return floor_v;
    if (v > 9e18)
        return INT64_C(9000000000000000000);
    return (int64_t)v;
}

/* Series of one workload in (pod name, container name) order, so that replay
 * does not depend on the order the input listed them in (a CSV and the database
 * it was imported into give the same result). */
/* qsort has no context argument; thread-local so that inputs may be prepared in parallel */
static _Thread_local const struct trace *sort_trace;

static int cmp_series(const void *a, const void *b)
{
    const struct trace_series *x = &sort_trace->series[*(const size_t *)a];
    const struct trace_series *y = &sort_trace->series[*(const size_t *)b];
    int c = strcmp(sort_trace->pods[x->pod], sort_trace->pods[y->pod]);
    if (c == 0)
        c = strcmp(sort_trace->containers[x->container], sort_trace->containers[y->container]);
    return c;
}

/* The rows of one pod, in the order its samples assigned them. */
struct pod_row {
    int64_t step;
    uint32_t row;
};
struct pod_steps {
    struct pod_row *r;
    size_t n, cap;
};

static int pod_steps_add(struct pod_steps *ps, int64_t k, uint32_t row)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 64;
        struct pod_row *r = realloc(ps->r, cap * sizeof(*r));
        if (!r)
            return PS_ENOMEM;
        ps->r = r;
        ps->cap = cap;
    }
    ps->r[ps->n++] = (struct pod_row){k, row};
    return 0;
}

static int cmp_pod_row(const void *a, const void *b)
{
    int64_t x = ((const struct pod_row *)a)->step, y = ((const struct pod_row *)b)->step;
    return (x > y) - (x < y);
}

/* Fills the gaps of one container's column over the pod's rows (in step order)
 * with its neighbours: the last sample before, else the first after, else 0. */
static void fill_column(double *v, size_t nc, size_t c, const struct pod_steps *ps)
{
    double last = NAN;
    for (size_t i = 0; i < ps->n; i++) {
        double *x = &v[(size_t)ps->r[i].row * nc + c];
        if (isnan(*x))
            *x = last;
        else
            last = *x;
    }
    last = NAN;
    for (size_t i = ps->n; i-- > 0;) {
        double *x = &v[(size_t)ps->r[i].row * nc + c];
        if (isnan(*x))
            *x = isnan(last) ? 0.0 : last;
        else
            last = *x;
    }
}

/* A container without a sample at a step where its pod has one (a sidecar
 * whose metrics lag, a poll that missed it) keeps its last sample, or takes
 * its first before it has one: usage 0 there would count its whole request as
 * slack and feed the recommenders a sample nobody measured. A container the
 * pod never reported stays at 0. */
static void fill_gaps(struct wl *w, struct pod_steps *ps)
{
    /* A pod's rows come in the order of its first container's steps, then of
     * the steps only later containers have. */
    for (size_t i = 1; i < ps->n; i++) {
        if (ps->r[i - 1].step > ps->r[i].step) {
            qsort(ps->r, ps->n, sizeof(*ps->r), cmp_pod_row);
            break;
        }
    }
    for (size_t c = 0; c < w->n_c; c++) {
        fill_column(w->cpu, w->n_c, c, ps);
        fill_column(w->mem, w->n_c, c, ps);
    }
}

/* The samples of series se within [from_s, to_s]: indices [*i0, *i1). t_s strictly
 * increases within a series, so two binary searches find them. */
static void series_in_range(const struct replay_input *in, const struct trace_series *se,
                            uint32_t *i0, uint32_t *i1)
{
    const int64_t *ts = in->trace->t_s + se->first;
    uint32_t lo = 0, hi = se->count;
    while (lo < hi) { /* the first at or after from_s */
        uint32_t mid = lo + (hi - lo) / 2;
        if (ts[mid] < in->from_s)
            lo = mid + 1;
        else
            hi = mid;
    }
    *i0 = lo;
    hi = se->count;
    while (lo < hi) { /* the first after to_s */
        uint32_t mid = lo + (hi - lo) / 2;
        if (ts[mid] <= in->to_s)
            lo = mid + 1;
        else
            hi = mid;
    }
    *i1 = lo;
}

/* The steps of one workload's samples in the time range, before anything is
 * allocated for it: *first = *last = -1 when it has none. A sample in
 * [from_s, to_s] falls on a step in [0, n_steps). */
static void wl_range(const struct replay_input *in, size_t s_first, size_t s_end, int64_t *first,
                     int64_t *last)
{
    const struct trace *t = in->trace;
    *first = *last = -1;
    for (size_t s = s_first; s < s_end; s++) {
        const struct trace_series *se = &t->series[s];
        uint32_t i0, i1;
        series_in_range(in, se, &i0, &i1);
        if (i0 == i1)
            continue;
        int64_t k0 = step_of(in, t->t_s[se->first + i0]);
        int64_t k1 = step_of(in, t->t_s[se->first + i1 - 1]);
        if (*first < 0 || k0 < *first)
            *first = k0;
        if (k1 > *last)
            *last = k1;
    }
}

/* Builds the step-major table of one workload over its own steps, first_step to
 * last_step (set by the caller, from wl_range). The scratch arrays stamp, stamp2,
 * cursor and rowidx hold at least that many steps. */
static int prepare_wl(struct replay_input *in, struct wl *w, uint32_t wid, size_t s_first,
                      size_t s_end, uint32_t *stamp, uint32_t *stamp2, uint32_t *cursor,
                      uint32_t *rowidx, size_t *order, char *err, size_t errlen)
{
    const struct trace *t = in->trace;
    w->name = t->workloads[wid];
    const size_t n_ser = s_end - s_first;
    for (size_t i = 0; i < n_ser; i++)
        order[i] = s_first + i;
    sort_trace = t;
    qsort(order, n_ser, sizeof(*order), cmp_series);
    const int64_t k0 = w->first_step;
    const int64_t n_k = w->last_step - k0 + 1;
    w->row_off = calloc((size_t)n_k + 1, sizeof(*w->row_off));
    if (!w->row_off)
        return PS_ENOMEM;
    /* Containers of the workload, in order of first appearance. */
    for (size_t oi = 0; oi < n_ser; oi++) {
        uint32_t c = t->series[order[oi]].container, k;
        for (k = 0; k < w->n_c; k++)
            if (w->cont[k] == c)
                break;
        if (k == w->n_c) {
            if (w->n_c == PIPELINE_MAX_CONTAINERS) {
                snprintf(err, errlen, "workload %s has more than %d containers", w->name,
                         PIPELINE_MAX_CONTAINERS);
                return REPLAY_EINPUT;
            }
            w->cont[w->n_c] = c;
            w->cnames[w->n_c] = t->containers[c];
            w->n_c++;
        }
    }
    /* Count pass: one row per (step, pod) with any sample. Steps are counted from
     * first_step here and below. */
    for (size_t oi = 0; oi < n_ser; oi++) {
        const struct trace_series *se = &t->series[order[oi]];
        uint32_t i0, i1;
        series_in_range(in, se, &i0, &i1);
        w->n_samples += i1 - i0;
        for (uint32_t i = i0; i < i1; i++) {
            int64_t k = step_of(in, t->t_s[se->first + i]) - k0;
            if (stamp[k] != se->pod + 1) {
                stamp[k] = se->pod + 1;
                w->row_off[k + 1]++;
            }
        }
    }
    /* In locals: a store to w->max_pods could alias the offsets, and the sum
     * would be reloaded from memory at every step. */
    uint32_t *off = w->row_off, rows = 0;
    int32_t max_pods = 0;
    for (int64_t k = 0; k < n_k; k++) {
        uint32_t n = off[k + 1];
        if ((int32_t)n > max_pods)
            max_pods = (int32_t)n;
        rows += n;
        off[k + 1] = rows;
    }
    w->max_pods = max_pods;
    w->n_rows = rows;
    if (w->n_rows == 0)
        return 0;
    const size_t n_cells = (size_t)w->n_rows * w->n_c;
    w->cpu = malloc(n_cells * sizeof(double));
    w->mem = malloc(n_cells * sizeof(double));
    if (!w->cpu || !w->mem)
        return PS_ENOMEM;
    /* NaN: no sample yet (fill_gaps) */
    for (size_t i = 0; i < n_cells; i++)
        w->cpu[i] = w->mem[i] = NAN;
    /* Fill pass: each pod takes the next free row of each step it has samples at.
     * stamp2 has its own markers, so the count pass's need no reset (pod ids are
     * unique across workloads, and each workload marks only its own steps). */
    memcpy(cursor, w->row_off, (size_t)n_k * sizeof(*cursor));
    struct pod_steps ps = {0};
    int rc = 0;
    for (size_t oi = 0; oi < n_ser && !rc; oi++) {
        const struct trace_series *se = &t->series[order[oi]];
        uint32_t c;
        for (c = 0; c < w->n_c; c++)
            if (w->cont[c] == se->container)
                break;
        uint32_t i0, i1;
        series_in_range(in, se, &i0, &i1);
        for (uint32_t i = i0; i < i1 && !rc; i++) {
            size_t j = se->first + i;
            int64_t k = step_of(in, t->t_s[j]) - k0;
            if (stamp2[k] != se->pod + 1) {
                stamp2[k] = se->pod + 1;
                rowidx[k] = cursor[k]++;
                rc = pod_steps_add(&ps, k, rowidx[k]);
            }
            /* Two samples of one container nearest the same step (a recording
             * whose polls drift against the step): the larger is the step's, as
             * a peak is what a request must hold. */
            size_t cell = (size_t)rowidx[k] * w->n_c + c;
            w->cpu[cell] = fmax(w->cpu[cell], (double)t->cpu_milli[j]);
            w->mem[cell] = fmax(w->mem[cell], (double)t->mem_bytes[j]);
        }
        if (oi + 1 == n_ser || t->series[order[oi + 1]].pod != se->pod) {
            fill_gaps(w, &ps);
            ps.n = 0;
        }
    }
    free(ps.r);
    return rc;
}

int replay_input_new(const struct trace *t, const struct replay_input_opts *opts,
                     struct replay_input **out, char *err, size_t errlen)
{
    struct replay_input *in = NULL;
    uint32_t *stamp = NULL, *stamp2 = NULL, *cursor = NULL, *rowidx = NULL;
    int64_t *range = NULL; /* per workload id: its first and last step, -1 if none */
    size_t *order = NULL;
    void *scratch = NULL;
    int rc = PS_ENOMEM;
    struct replay_rule rule = {.kind = REPLAY_RULE_AUTO, .factor = 1.0};
    *out = NULL;
    if (opts)
        rule = opts->rule;
    if (!t || t->n_samples == 0 || t->n_workloads == 0) {
        snprintf(err, errlen, "%s: no samples to replay", t && t->source ? t->source : "input");
        return REPLAY_EINPUT;
    }
    in = calloc(1, sizeof(*in));
    if (!in)
        goto fail;
    in->trace = t;
    if (opts) {
        in->fallback_cpu = opts->fallback_cpu;
        in->fallback_mem = opts->fallback_mem;
    }
    in->step_s = t->step_s > 0 ? t->step_s : 60;
    /* The virtual clock starts at the first sample (or --from, if later): a
     * trace need not start at 0, and one in Unix time would otherwise replay
     * decades of empty steps and count them as days. */
    in->from_s = opts && opts->from_s > t->t_start_s ? opts->from_s : t->t_start_s;
    in->to_s = opts && opts->to_s >= 0 && opts->to_s < t->t_end_s ? opts->to_s : t->t_end_s;
    if (in->to_s < in->from_s) {
        snprintf(err, errlen, "%s: the time range [%lld, %lld] holds no samples",
                 t->source ? t->source : "input", (long long)in->from_s, (long long)in->to_s);
        rc = REPLAY_EINPUT;
        goto fail;
    }
    in->n_steps = (in->to_s - in->from_s + in->step_s / 2) / in->step_s + 1;
    if (in->n_steps > INT64_C(100000000)) {
        snprintf(err, errlen, "%s: %lld steps of %llds: the span is too long for its step",
                 t->source ? t->source : "input", (long long)in->n_steps, (long long)in->step_s);
        rc = REPLAY_EINPUT;
        goto fail;
    }
    in->has_requests = t->cpu_request_milli != NULL || t->mem_request_bytes != NULL;
    if (rule.kind == REPLAY_RULE_AUTO && !in->has_requests) {
        rule.kind = REPLAY_RULE_PERCENTILE;
        rule.percentile = AUTO_PERCENTILE;
        rule.factor = AUTO_FACTOR;
        snprintf(in->rule, sizeof(in->rule), "auto (p%g*%g)", AUTO_PERCENTILE, AUTO_FACTOR);
    } else {
        rule_text(&rule, in->has_requests, in->rule, sizeof(in->rule));
    }
    if (rule.kind == REPLAY_RULE_RECORDED && !in->has_requests) {
        snprintf(err, errlen, "%s: --initial-requests recorded: the input has no requests",
                 t->source ? t->source : "input");
        rc = REPLAY_ERULE;
        goto fail;
    }
    /* Each workload's own steps, first: its table and the scratch arrays cover
     * those, not the input's whole span, and the sum of them is what the runs
     * will walk. */
    range = malloc(2 * (size_t)t->n_workloads * sizeof(*range));
    if (!range)
        goto fail;
    int64_t wl_steps = 0, widest = 0;
    uint32_t widest_wid = 0;
    size_t n_wl = 0; /* with samples in the time range */
    for (size_t s = 0, wid = 0; wid < t->n_workloads; wid++) {
        size_t s0 = s;
        while (s < t->n_series && t->series[s].workload == wid)
            s++;
        int64_t *r = &range[2 * wid];
        wl_range(in, s0, s, &r[0], &r[1]);
        if (r[0] < 0)
            continue;
        n_wl++;
        wl_steps += r[1] - r[0] + 1;
        if (r[1] - r[0] + 1 > widest) {
            widest = r[1] - r[0] + 1;
            widest_wid = (uint32_t)wid;
        }
    }
    if (wl_steps > REPLAY_MAX_WORKLOAD_STEPS) {
        const int64_t *r = &range[2 * widest_wid];
        snprintf(err, errlen,
                 "%s: its %zu workloads span %lld steps of %llds in all, more than the %lld "
                 "replay takes (the longest, %s: %lld steps, t=%llds to t=%llds); replay a "
                 "part of the time with --from/--to",
                 t->source ? t->source : "input", n_wl, (long long)wl_steps, (long long)in->step_s,
                 (long long)REPLAY_MAX_WORKLOAD_STEPS, t->workloads[widest_wid], (long long)widest,
                 (long long)(in->from_s + r[0] * in->step_s),
                 (long long)(in->from_s + r[1] * in->step_s));
        rc = REPLAY_EINPUT;
        goto fail;
    }
    const size_t n_scratch = widest > 0 ? (size_t)widest : 1;
    in->wls = calloc(t->n_workloads, sizeof(*in->wls));
    stamp = calloc(n_scratch, sizeof(*stamp));
    stamp2 = calloc(n_scratch, sizeof(*stamp2));
    cursor = calloc(n_scratch, sizeof(*cursor));
    rowidx = calloc(n_scratch, sizeof(*rowidx));
    order = malloc((t->n_series ? t->n_series : 1) * sizeof(*order));
    if (!in->wls || !stamp || !stamp2 || !cursor || !rowidx || !order)
        goto fail;
    /* Series are sorted by workload: walk each workload's run. */
    size_t s = 0;
    for (uint32_t wid = 0; wid < t->n_workloads; wid++) {
        size_t s0 = s;
        size_t nsamp = 0;
        while (s < t->n_series && t->series[s].workload == wid)
            nsamp += t->series[s++].count;
        if (s == s0)
            continue;
        struct wl *w = &in->wls[in->n_wls];
        memset(w, 0, sizeof(*w));
        w->first_step = range[2 * wid];
        w->last_step = range[2 * wid + 1];
        rc = prepare_wl(in, w, wid, s0, s, stamp, stamp2, cursor, rowidx, order, err, errlen);
        if (rc) {
            in->n_wls++;
            goto fail;
        }
        if (w->n_rows == 0) {
            wl_free(w);
            continue; /* nothing in the time range */
        }
        in->n_wls++;
        in->n_samples += w->n_samples;
        /* Requests, limits and the model, per container. */
        void *grown = realloc(scratch, (nsamp ? nsamp : 1) * sizeof(double));
        if (!grown) {
            rc = PS_ENOMEM;
            goto fail;
        }
        scratch = grown;
        for (uint32_t c = 0; c < w->n_c; c++) {
            w->cpu_lim0[c] = recorded_median(t, s0, s, w->cont[c], t->cpu_limit_milli, scratch);
            w->mem_lim0[c] = recorded_median(t, s0, s, w->cont[c], t->mem_limit_bytes, scratch);
            w->cpu_req0[c] = POLICY_UNSET;
            w->mem_req0[c] = POLICY_UNSET;
            if (rule.kind == REPLAY_RULE_AUTO || rule.kind == REPLAY_RULE_RECORDED) {
                w->cpu_req0[c] =
                    recorded_median(t, s0, s, w->cont[c], t->cpu_request_milli, scratch);
                w->mem_req0[c] =
                    recorded_median(t, s0, s, w->cont[c], t->mem_request_bytes, scratch);
            } else if (rule.kind == REPLAY_RULE_PER_RESOURCE) {
                w->cpu_req0[c] = rule.cpu_milli > 0 ? rule.cpu_milli : POLICY_UNSET;
                w->mem_req0[c] = rule.mem_bytes > 0 ? rule.mem_bytes : POLICY_UNSET;
            }
            /* Per-usage rule, and the fallback for a container with no recorded request. */
            double pct[2] = {AUTO_PERCENTILE, AUTO_PERCENTILE}, fac[2] = {AUTO_FACTOR, AUTO_FACTOR};
            if (rule.kind == REPLAY_RULE_PERCENTILE) {
                pct[0] = pct[1] = rule.percentile;
                fac[0] = fac[1] = rule.factor;
            } else if (rule.kind == REPLAY_RULE_PER_RESOURCE) {
                if (rule.cpu_percentile > 0) {
                    pct[0] = rule.cpu_percentile;
                    fac[0] = rule.cpu_factor;
                }
                if (rule.mem_percentile > 0) {
                    pct[1] = rule.mem_percentile;
                    fac[1] = rule.mem_factor;
                }
            }
            if (w->cpu_req0[c] == POLICY_UNSET || w->cpu_req0[c] <= 0)
                w->cpu_req0[c] = initial_from_usage(w, c, w->cpu, pct[0], fac[0], scratch,
                                                    MIN_CPU_REQUEST_MILLI);
            if (w->mem_req0[c] == POLICY_UNSET || w->mem_req0[c] <= 0)
                w->mem_req0[c] = initial_from_usage(w, c, w->mem, pct[1], fac[1], scratch,
                                                    MIN_MEM_REQUEST_BYTES);
            if (rule.kind != REPLAY_RULE_AUTO && rule.kind != REPLAY_RULE_RECORDED) {
                /* A chosen rule sets requests only; recorded limits would no longer fit. */
                w->cpu_lim0[c] = POLICY_UNSET;
                w->mem_lim0[c] = POLICY_UNSET;
            }
            int f1, f2;
            fit_one(w, c, w->cpu, &w->a_cpu[c], &f1, in->fallback_cpu == REPLAY_FALLBACK_FLOOR,
                    scratch);
            fit_one(w, c, w->mem, &w->a_mem[c], &f2, in->fallback_mem == REPLAY_FALLBACK_FLOOR,
                    scratch);
            w->cpu_fit[c] = (uint8_t)f1;
            w->mem_fit[c] = (uint8_t)f2;
            w->fitted[c] = f1 || f2;
            w->all_fixed_cpu[c] =
                f1 == FIT_PER_POD || (!f1 && in->fallback_cpu == REPLAY_FALLBACK_FIXED);
            w->all_fixed_mem[c] =
                f2 == FIT_PER_POD || (!f2 && in->fallback_mem == REPLAY_FALLBACK_FIXED);
        }
    }
    if (in->n_wls == 0 || in->n_samples == 0) {
        snprintf(err, errlen, "%s: no samples in the time range", t->source ? t->source : "input");
        rc = REPLAY_EINPUT;
        goto fail;
    }
    free(stamp);
    free(stamp2);
    free(cursor);
    free(rowidx);
    free(range);
    free(order);
    free(scratch);
    *out = in;
    return 0;
fail:
    if (rc == PS_ENOMEM)
        snprintf(err, errlen, "out of memory preparing the replay");
    free(stamp);
    free(stamp2);
    free(cursor);
    free(rowidx);
    free(range);
    free(order);
    free(scratch);
    replay_input_free(in);
    return rc;
}

void replay_input_get_info(const struct replay_input *in, struct replay_input_info *out)
{
    out->source = in->trace->source ? in->trace->source : "";
    out->n_workloads = in->n_wls;
    out->n_samples = in->n_samples;
    out->step_s = in->step_s;
    out->n_steps = in->n_steps;
    out->from_s = in->from_s;
    out->to_s = in->to_s;
    out->has_requests = in->has_requests;
    out->rule = in->rule;
    static const char *const names[] = {"floor", "load", "fixed"};
    out->fallback_cpu = names[in->fallback_cpu <= REPLAY_FALLBACK_FIXED ? in->fallback_cpu : 0];
    out->fallback_mem = names[in->fallback_mem <= REPLAY_FALLBACK_FIXED ? in->fallback_mem : 0];
}

const char *replay_input_workload(const struct replay_input *in, size_t w)
{
    return w < in->n_wls ? in->wls[w].name : NULL;
}

int replay_input_model(const struct replay_input *in, size_t w, size_t c, const char **container,
                       struct replay_model_fit *out)
{
    if (w >= in->n_wls || c >= in->wls[w].n_c)
        return PS_ENOENT;
    *container = in->wls[w].cnames[c];
    out->cpu_fixed_milli = in->wls[w].a_cpu[c];
    out->mem_fixed_bytes = in->wls[w].a_mem[c];
    out->fitted = in->wls[w].fitted[c];
    static const char *const names[] = {"floor", "load", "fixed"};
    static const char *const fits[] = {"", "fit", "fit: per pod"};
    const struct wl *wl = &in->wls[w];
    out->cpu_model =
        wl->cpu_fit[c] ? fits[wl->cpu_fit[c]] : names[in->fallback_cpu <= 2 ? in->fallback_cpu : 0];
    out->mem_model =
        wl->mem_fit[c] ? fits[wl->mem_fit[c]] : names[in->fallback_mem <= 2 ? in->fallback_mem : 0];
    return 0;
}

/* ---- running one policy ---- */

struct sim {
    int32_t m; /* simulated replicas */
    int64_t cpu_req[PIPELINE_MAX_CONTAINERS], mem_req[PIPELINE_MAX_CONTAINERS];
    int64_t cpu_lim[PIPELINE_MAX_CONTAINERS], mem_lim[PIPELINE_MAX_CONTAINERS];
};

/* Per-run buffers, grown only when the simulated replica count outgrows them. */
struct bufs {
    size_t cap; /* cells */
    double *cpu, *mem;
    uint8_t *oom;
};

static int bufs_reserve(struct bufs *b, size_t cells)
{
    if (cells <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < cells)
        cap *= 2;
    double *c = realloc(b->cpu, cap * sizeof(double));
    if (!c)
        return PS_ENOMEM;
    b->cpu = c;
    double *m = realloc(b->mem, cap * sizeof(double));
    if (!m)
        return PS_ENOMEM;
    b->mem = m;
    uint8_t *o = realloc(b->oom, cap);
    if (!o)
        return PS_ENOMEM;
    b->oom = o;
    b->cap = cap;
    return 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* changes: the change counts of the days that had any, n_changes of the n_days
 * (every other day had none); sorted here. */
static void finish_scores(struct replay_scores *sc, int32_t *changes, size_t n_changes,
                          size_t n_days)
{
    sc->cpu_slack = sc->cpu_request_sum > 0 ? sc->cpu_slack_sum / sc->cpu_request_sum : 0.0;
    sc->mem_slack = sc->mem_request_sum > 0 ? sc->mem_slack_sum / sc->mem_request_sum : 0.0;
    sc->cpu_under_fraction =
        sc->pod_samples ? (double)sc->cpu_under / (double)sc->pod_samples : 0.0;
    sc->mem_over_request_fraction =
        sc->pod_samples ? (double)sc->mem_over / (double)sc->pod_samples : 0.0;
    sc->oom_per_pod_day = sc->pod_hours > 0 ? (double)sc->oom_events / (sc->pod_hours / 24.0) : 0;
    if (n_days) {
        /* Nearest rank, as the other percentiles of the report, over every day:
         * the days without changes come first. */
        if (n_changes)
            qsort(changes, n_changes, sizeof(*changes), cmp_i32);
        double r = ceil(0.99 * (double)n_days);
        size_t i = r < 1 ? 0 : (size_t)r - 1;
        if (i >= n_days)
            i = n_days - 1;
        const size_t none = n_days - n_changes;
        sc->changes_per_day_p99 = i < none ? 0 : changes[i - none];
    }
}

static void add_scores(struct replay_scores *tot, const struct replay_scores *w)
{
    tot->cpu_slack_sum += w->cpu_slack_sum;
    tot->cpu_request_sum += w->cpu_request_sum;
    tot->mem_slack_sum += w->mem_slack_sum;
    tot->mem_request_sum += w->mem_request_sum;
    tot->pod_samples += w->pod_samples;
    tot->cpu_under += w->cpu_under;
    tot->mem_over += w->mem_over;
    tot->oom_events += w->oom_events;
    tot->scale_events += w->scale_events;
    tot->vertical_changes += w->vertical_changes;
    tot->pod_restarts += w->pod_restarts;
    tot->pod_hours += w->pod_hours;
    tot->cpu_core_hours_requested += w->cpu_core_hours_requested;
    tot->mem_gib_hours_requested += w->mem_gib_hours_requested;
}

void replay_result_free(struct replay_result *r)
{
    if (!r)
        return;
    if (r->series) {
        for (size_t w = 0; w < r->n_workloads; w++) {
            free(r->series[w].replicas);
            free(r->series[w].cpu_use_milli);
            free(r->series[w].cpu_req_milli);
            free(r->series[w].mem_use_bytes);
            free(r->series[w].mem_req_bytes);
        }
        free(r->series);
    }
    free(r->workloads);
    free(r);
}

static int emit(const struct replay_sink *sink, struct replay_decision *d)
{
    if (!sink || !sink->decision)
        return 0;
    return sink->decision(sink->ctx, d);
}

struct run_ctx {
    const struct replay_input *in;
    const struct ps_policy *p;
    const struct replay_sink *sink;
    struct bufs b;
    /* Changes per day, only the days that had any: workload after workload, day
     * after day (a workload's steps run in order). chg0 is the current
     * workload's first, chg_day the day of the last. Proportional to the
     * changes, not to the days times the workloads. */
    int32_t *chg;
    size_t n_chg, cap_chg, chg0, chg_day;
    size_t n_days;
    size_t done;
};

static int count_change(struct run_ctx *c, size_t day)
{
    if (c->n_chg > c->chg0 && c->chg_day == day) {
        c->chg[c->n_chg - 1]++;
        return 0;
    }
    if (c->n_chg == c->cap_chg) {
        size_t cap = c->cap_chg ? 2 * c->cap_chg : 64;
        int32_t *g = realloc(c->chg, cap * sizeof(*g));
        if (!g)
            return PS_ENOMEM;
        c->chg = g;
        c->cap_chg = cap;
    }
    c->chg[c->n_chg++] = 1;
    c->chg_day = day;
    return 0;
}

static int run_wl(struct run_ctx *rc_, size_t wi, struct replay_scores *sc,
                  struct replay_series *ser, struct pipeline_state *ps)
{
    const struct replay_input *in = rc_->in;
    const struct wl *w = &in->wls[wi];
    const struct ps_policy *p = rc_->p;
    const uint32_t C = w->n_c;
    const double step_h = (double)in->step_s / 3600.0;
    struct sim sim;
    struct pipeline_decision dec;
    int rc;

    sim.m = 0;
    for (uint32_t c = 0; c < C; c++) {
        sim.cpu_req[c] = w->cpu_req0[c];
        sim.mem_req[c] = w->mem_req0[c];
        sim.cpu_lim[c] = w->cpu_lim0[c];
        sim.mem_lim[c] = w->mem_lim0[c];
    }
    const int horizontal = p->horizontal.enabled;
    for (int64_t k = w->first_step; k <= w->last_step; k++) {
        const uint32_t *off = &w->row_off[k - w->first_step];
        const uint32_t r0 = off[0];
        const int32_t n = (int32_t)(off[1] - r0);
        if (n == 0)
            continue;
        /* Without a horizontal part the replicas are what the trace recorded;
         * with one, the policy starts from the recorded count. */
        if (!horizontal || sim.m == 0)
            sim.m = n;
        const int32_t m = sim.m;
        if ((rc = bufs_reserve(&rc_->b, (size_t)m * C)))
            return rc;
        const double *ucpu = rc_->b.cpu, *umem = rc_->b.mem;
        uint8_t *oom = rc_->b.oom;
        const double *rcpu = w->cpu + (size_t)r0 * C, *rmem = w->mem + (size_t)r0 * C;
        if (m == n) {
            /* The recorded pods as they are: read in place, no copy per step. */
            ucpu = rcpu;
            umem = rmem;
        } else {
            double *scpu = rc_->b.cpu, *smem = rc_->b.mem;
            /* Closed-loop model: simulated pod j takes recorded pod j mod n's
             * usage, its load part rescaled by n/m (docs/replay.md). */
            const double ratio = (double)n / (double)m;
            const int32_t distinct = m < n ? m : n;
            for (int32_t j = 0; j < distinct; j++) {
                for (uint32_t c = 0; c < C; c++) {
                    const double fc = w->all_fixed_cpu[c] ? 1.0 : ratio;
                    const double fm = w->all_fixed_mem[c] ? 1.0 : ratio;
                    double u = w->a_cpu[c] + (rcpu[(size_t)j * C + c] - w->a_cpu[c]) * fc;
                    double v = w->a_mem[c] + (rmem[(size_t)j * C + c] - w->a_mem[c]) * fm;
                    scpu[(size_t)j * C + c] = u > 0 ? u : 0;
                    smem[(size_t)j * C + c] = v > 0 ? v : 0;
                }
            }
            /* The pods past the recorded ones repeat them. */
            pipeline_repeat_fill(scpu, (size_t)distinct * C * sizeof(double),
                                 (size_t)m * C * sizeof(double));
            pipeline_repeat_fill(smem, (size_t)distinct * C * sizeof(double),
                                 (size_t)m * C * sizeof(double));
        }
        /* Score the state in force during this step. */
        double cpu_use_tot = 0, mem_use_tot = 0, cpu_req_tot = 0, mem_req_tot = 0;
        for (uint32_t c = 0; c < C; c++) {
            const double rq_c = (double)sim.cpu_req[c], rq_m = (double)sim.mem_req[c];
            const double kill = sim.mem_lim[c] != POLICY_UNSET ? (double)sim.mem_lim[c] : rq_m;
            double slack_c = 0, slack_m = 0, use_c = 0, use_m = 0;
            int64_t under = 0, over = 0, ooms = 0;
            for (int32_t j = 0; j < m; j++) {
                const double uc = ucpu[(size_t)j * C + c], um = umem[(size_t)j * C + c];
                use_c += uc;
                use_m += um;
                if (uc < rq_c)
                    slack_c += rq_c - uc;
                else if (uc > rq_c)
                    under++;
                if (um < rq_m)
                    slack_m += rq_m - um;
                else if (um > rq_m)
                    over++;
                const uint8_t o = um > kill;
                oom[(size_t)j * C + c] = o;
                ooms += o;
            }
            sc->cpu_slack_sum += slack_c;
            sc->mem_slack_sum += slack_m;
            sc->cpu_request_sum += rq_c * m;
            sc->mem_request_sum += rq_m * m;
            sc->cpu_under += under;
            sc->mem_over += over;
            sc->oom_events += ooms;
            cpu_use_tot += use_c;
            mem_use_tot += use_m;
            cpu_req_tot += rq_c * m;
            mem_req_tot += rq_m * m;
        }
        sc->pod_samples += (int64_t)m * C;
        sc->pod_hours += m * step_h;
        sc->cpu_core_hours_requested += cpu_req_tot / 1000.0 * step_h;
        sc->mem_gib_hours_requested += mem_req_tot / GIB * step_h;
        if (ser) {
            const int64_t i = k - ser->first_step;
            ser->replicas[i] = m;
            ser->cpu_use_milli[i] = (float)cpu_use_tot;
            ser->cpu_req_milli[i] = (float)cpu_req_tot;
            ser->mem_use_bytes[i] = (float)mem_use_tot;
            ser->mem_req_bytes[i] = (float)mem_req_tot;
        }
        rc_->done += (size_t)n * C;
        if (!ps)
            continue; /* static: no decisions */

        const int64_t t_s = in->from_s + k * in->step_s;
        struct pipeline_obs obs = {
            .now_ms = t_s * 1000,
            .replicas = m,
            .n_containers = C,
            .cpu_milli = ucpu,
            .mem_bytes = umem,
            .oom = oom,
            .cpu_request_milli = sim.cpu_req,
            .mem_request_bytes = sim.mem_req,
            .cpu_limit_milli = sim.cpu_lim,
            .mem_limit_bytes = sim.mem_lim,
            .period = m > n ? n : 0,
        };
        if ((rc = pipeline_step(ps, &obs, &dec)))
            return rc;
        size_t day = (size_t)((k * in->step_s) / 86400);
        if (day >= rc_->n_days)
            day = rc_->n_days - 1;
        const uint8_t *owners = dec.coordinated ? dec.owner : NULL;
        if (dec.ownership_changed) {
            struct replay_decision d = {
                .t_s = t_s,
                .workload = w->name,
                .policy = p->name,
                .kind = PIPELINE_OWNERSHIP,
                .replicas_before = m,
                .replicas_after = m,
                .n_containers = C,
                .containers = w->cnames,
                .reason = dec.ownership_reason,
                .owners = owners,
                .bottleneck_before = dec.bottleneck_before,
                .bottleneck_after = dec.bottleneck_after,
            };
            if ((rc = emit(rc_->sink, &d)))
                return rc;
        }
        if (dec.scale && horizontal && dec.replicas_after != m && dec.replicas_after >= 0) {
            struct replay_decision d = {
                .t_s = t_s,
                .workload = w->name,
                .policy = p->name,
                .kind = PIPELINE_SCALE,
                .replicas_before = m,
                .replicas_after = dec.replicas_after,
                .n_containers = C,
                .containers = w->cnames,
                .reason = dec.scale_reason,
                .owners = owners,
            };
            sim.m = dec.replicas_after;
            sc->scale_events++;
            if ((rc = count_change(rc_, day)))
                return rc;
            if ((rc = emit(rc_->sink, &d)))
                return rc;
        }
        if (dec.resources) {
            struct replay_decision d = {
                .t_s = t_s,
                .workload = w->name,
                .policy = p->name,
                .kind = PIPELINE_RESOURCES,
                .replicas_before = sim.m,
                .replicas_after = sim.m,
                .n_containers = C,
                .containers = w->cnames,
                .cpu_before = sim.cpu_req,
                .mem_before = sim.mem_req,
                .cpu_after = dec.cpu_request_milli,
                .mem_after = dec.mem_request_bytes,
                .cpu_limit_before = sim.cpu_lim,
                .mem_limit_before = sim.mem_lim,
                .cpu_limit_after = dec.cpu_limit_milli,
                .mem_limit_after = dec.mem_limit_bytes,
                .resources_touched = dec.resources_touched,
                .pods_restarted = dec.pods_restarted,
                .reason = dec.resources_reason,
                .owners = dec.coordinated ? dec.resources_owner : NULL,
                .cap_counted = dec.cap_counted,
            };
            if ((rc = emit(rc_->sink, &d)))
                return rc;
            for (uint32_t c = 0; c < C; c++) {
                sim.cpu_req[c] = dec.cpu_request_milli[c];
                sim.mem_req[c] = dec.mem_request_bytes[c];
                sim.cpu_lim[c] = dec.cpu_limit_milli[c];
                sim.mem_lim[c] = dec.mem_limit_bytes[c];
            }
            sc->vertical_changes++;
            sc->pod_restarts += dec.pods_restarted;
            if ((rc = count_change(rc_, day)))
                return rc;
        }
        if (rc_->sink && rc_->sink->progress && (k & 4095) == 0)
            rc_->sink->progress(rc_->sink->ctx, rc_->done, in->n_samples);
    }
    return 0;
}

int replay_run(const struct replay_input *in, const struct ps_policy *p,
               const struct replay_run_opts *opts, const struct replay_sink *sink,
               struct replay_result **out, char *err, size_t errlen)
{
    struct replay_result *r = NULL;
    struct run_ctx ctx = {.in = in, .p = p, .sink = sink};
    int rc;
    *out = NULL;
    rc = pipeline_policy_available(p, err, errlen);
    if (rc) {
        char why[256];
        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen, "policy '%s' is not available in this build: %s", p->name, why);
        return rc;
    }
    const int decides =
        p->horizontal.enabled || p->vertical.enabled || p->mode == POLICY_MODE_COORDINATED;
    rc = PS_ENOMEM;
    r = calloc(1, sizeof(*r));
    if (!r)
        goto fail;
    snprintf(r->policy, sizeof(r->policy), "%s", p->name);
    r->n_workloads = in->n_wls;
    r->n_steps = in->n_steps;
    r->n_samples = in->n_samples;
    r->workloads = calloc(in->n_wls, sizeof(*r->workloads));
    ctx.n_days = (size_t)(((in->n_steps - 1) * in->step_s) / 86400) + 1;
    if (!r->workloads)
        goto fail;
    if (opts && opts->series) {
        r->series = calloc(in->n_wls, sizeof(*r->series));
        if (!r->series)
            goto fail;
        for (size_t w = 0; w < in->n_wls; w++) {
            struct replay_series *s = &r->series[w];
            s->first_step = in->wls[w].first_step;
            s->n_steps = in->wls[w].last_step - in->wls[w].first_step + 1;
            size_t n = (size_t)s->n_steps;
            s->replicas = calloc(n, sizeof(*s->replicas));
            s->cpu_use_milli = calloc(n, sizeof(float));
            s->cpu_req_milli = calloc(n, sizeof(float));
            s->mem_use_bytes = calloc(n, sizeof(float));
            s->mem_req_bytes = calloc(n, sizeof(float));
            if (!s->replicas || !s->cpu_use_milli || !s->cpu_req_milli || !s->mem_use_bytes ||
                !s->mem_req_bytes)
                goto fail;
        }
    }
    for (size_t w = 0; w < in->n_wls; w++) {
        struct pipeline_state *ps = NULL;
        if (decides) {
            rc = pipeline_state_new(p, in->wls[w].n_c, in->wls[w].cnames, &ps);
            if (rc) {
                snprintf(err, errlen, "policy '%s', workload %s: %s", p->name, in->wls[w].name,
                         pipeline_strerror(rc));
                goto fail;
            }
        }
        ctx.chg0 = ctx.n_chg;
        rc = run_wl(&ctx, w, &r->workloads[w], r->series ? &r->series[w] : NULL, ps);
        pipeline_state_free(ps);
        if (rc) {
            snprintf(err, errlen, "policy '%s', workload %s: %s", p->name, in->wls[w].name,
                     pipeline_strerror(rc));
            goto fail;
        }
        finish_scores(&r->workloads[w], ctx.chg ? ctx.chg + ctx.chg0 : NULL, ctx.n_chg - ctx.chg0,
                      ctx.n_days);
        add_scores(&r->totals, &r->workloads[w]);
        if (sink && sink->progress)
            sink->progress(sink->ctx, ctx.done, in->n_samples);
    }
    /* The total's p99 is over every (workload, day) pair. */
    finish_scores(&r->totals, ctx.chg, ctx.n_chg, in->n_wls * ctx.n_days);
    free(ctx.b.cpu);
    free(ctx.b.mem);
    free(ctx.b.oom);
    free(ctx.chg);
    *out = r;
    return 0;
fail:
    if (rc == PS_ENOMEM)
        snprintf(err, errlen, "out of memory replaying policy '%s'", p->name);
    free(ctx.b.cpu);
    free(ctx.b.mem);
    free(ctx.b.oom);
    free(ctx.chg);
    replay_result_free(r);
    return rc;
}
