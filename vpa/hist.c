/*
 * hist.c - upstream's histograms (spec/vpa.md section 2) on a sparse bucket store.
 *
 * Upstream keeps a dense float64 array of 176 buckets per histogram; real usage
 * touches a handful. Here only buckets with a non-zero weight are stored, sorted by
 * index. Every rule below is applied to exactly the buckets upstream would touch, in
 * the same order, with the same float operations: a bucket that is not stored holds
 * 0.0, and adding or multiplying 0.0 is what the dense form does to it. Buckets whose
 * weight drops below epsilon stay stored (they still count in percentiles and
 * merges, as upstream); only exact zeros are dropped.
 */
#include <math.h>
#include <string.h>

#include "podscaler/vpa.h"
#include "vpa_internal.h"

#define MS_TO_NS 1000000LL
/* maxDecayExponent (util/decaying_histogram.go): renormalise past 2^100. */
#define MAX_DECAY_EXPONENT 100
/* MaxCheckpointWeight (util/histogram.go). */
#define MAX_CHECKPOINT_WEIGHT 10000.0
/* The store grows by this many entries at a time: small steps keep the average
 * slack at about 20 bytes per histogram. */
#define STORE_STEP 4

/* ---- options ------------------------------------------------------------ */

static double log_base(double base, double x)
{
    return vpa__go_log(x) / vpa__go_log(base);
}

static double start_formula(const struct vpa_hist_opts *o, int bucket)
{
    if (o->kind == VPA_HIST_LINEAR)
        return (double)bucket * o->bucket_size;
    if (bucket == 0)
        return 0.0;
    return o->first_bucket_size * (vpa__go_pow(o->ratio, (double)bucket) - 1) / (o->ratio - 1);
}

static int has_tables(const struct vpa_hist_opts *o)
{
    return o->tables_of == o;
}

/* find_fast's guard band, relative: 2^-30. */
#define GUARD 9.313225746154785e-10
/* Bits 63..48 of a double (sign, exponent, 4 mantissa bits: 16 cells per octave)
 * of 1.0: the first cell. */
#define CELL_ONE (UINT64_C(0x3ff) << 4)

/* The tables hold what the formulas return, computed by the same code: lookups
 * give the very same doubles, only without a log or pow per sample and percentile. */
static void derive_tables(struct vpa_hist_opts *o)
{
    o->log_ratio = o->kind == VPA_HIST_EXPONENTIAL ? vpa__go_log(o->ratio) : 0.0;
    for (int b = 0; b < o->num_buckets; b++)
        o->bucket_start[b] = start_formula(o, b);
    if (o->kind == VPA_HIST_EXPONENTIAL) {
        for (int b = 0; b < o->num_buckets; b++) {
            double t = pow(o->ratio, (double)b);
            o->bucket_lo[b] = b == 0 ? -INFINITY : t * (1 + GUARD);
            o->bucket_hi[b] = b == 0 ? -INFINITY : t * (1 - GUARD);
        }
        int k = 0;
        for (uint64_t c = 0; c < VPA_HIST_CELLS; c++) {
            uint64_t bits = (CELL_ONE + c) << 48;
            double edge;
            memcpy(&edge, &bits, sizeof edge);
            while (k < o->num_buckets - 1 && edge >= o->bucket_lo[k + 1])
                k++;
            o->cell_bucket[c] = (uint16_t)k;
        }
    }
    o->tables_of = o;
}

/*
 * find_bucket of exponential options without the log: bucket = trunc(log(x) /
 * log(ratio)) with x >= 1 changes where x crosses r^k. log and the division are
 * within a few ulps (relative 1e-15) of the exact quotient, so for x at least 2^-30
 * (relative) away from every r^k their result is the exact one, which the tables
 * give. The few x within the guard band, and x beyond the grid, return 0 here and
 * take the formula itself.
 */
static int find_fast(const struct vpa_hist_opts *o, double x, int *bucket)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    uint64_t c = (bits >> 48) - CELL_ONE;
    if (!(x >= 1.0) || c >= VPA_HIST_CELLS)
        return 0;
    int k = o->cell_bucket[c], last = o->num_buckets - 1;
    while (k < last && x >= o->bucket_lo[k + 1])
        k++;
    if (x < o->bucket_lo[k] || (k < last && x >= o->bucket_hi[k + 1]))
        return 0;
    *bucket = k;
    return 1;
}

int vpa_hist_opts_linear(struct vpa_hist_opts *o, double max_value, double bucket_size,
                         double epsilon, const struct vpa_allocator *alloc)
{
    if (!(max_value > 0.0) || !(bucket_size > 0.0) || !(epsilon > 0.0))
        return PS_EINVAL;
    double n = ceil(max_value / bucket_size) + 1;
    if (!(n <= VPA_HIST_MAX_BUCKETS))
        return PS_ERANGE;
    memset(o, 0, sizeof *o);
    o->kind = VPA_HIST_LINEAR;
    o->num_buckets = (int)n;
    o->bucket_size = bucket_size;
    o->epsilon = epsilon;
    o->alloc = alloc;
    derive_tables(o);
    return 0;
}

int vpa_hist_opts_exponential(struct vpa_hist_opts *o, double max_value, double first_bucket_size,
                              double ratio, double epsilon, const struct vpa_allocator *alloc)
{
    if (!(max_value > 0.0) || !(first_bucket_size > 0.0) || !(ratio > 1.0) || !(epsilon > 0.0))
        return PS_EINVAL;
    double n = ceil(log_base(ratio, max_value * (ratio - 1) / first_bucket_size + 1)) + 1;
    if (!(n <= VPA_HIST_MAX_BUCKETS))
        return PS_ERANGE;
    memset(o, 0, sizeof *o);
    o->kind = VPA_HIST_EXPONENTIAL;
    o->num_buckets = (int)n;
    o->first_bucket_size = first_bucket_size;
    o->ratio = ratio;
    o->epsilon = epsilon;
    o->alloc = alloc;
    derive_tables(o);
    return 0;
}

/* aggregations_config.go: epsilon = 0.001 x minSampleWeight (0.1); growth 5%. */
void vpa_hist_opts_cpu_default(struct vpa_hist_opts *o, const struct vpa_allocator *alloc)
{
    (void)vpa_hist_opts_exponential(o, 1000.0, 0.01, 1.05, 0.001 * 0.1, alloc);
}

void vpa_hist_opts_memory_default(struct vpa_hist_opts *o, const struct vpa_allocator *alloc)
{
    (void)vpa_hist_opts_exponential(o, 1e12, 1e7, 1.05, 0.001 * 0.1, alloc);
}

/* Go's int(float64) truncates; values beyond int64 (and NaN, rejected by callers)
 * are platform-defined there. Clamp them here to the nearest bucket. */
static int clamp_bucket(double b, int n)
{
    if (!(b >= 0.0))
        return 0;
    if (b >= (double)n)
        return n - 1;
    return (int)b;
}

int vpa_hist_opts_find_bucket(const struct vpa_hist_opts *o, double value)
{
    if (o->kind == VPA_HIST_LINEAR)
        return clamp_bucket(trunc(value / o->bucket_size), o->num_buckets);
    if (value < o->first_bucket_size)
        return 0;
    double x = value * (o->ratio - 1) / o->first_bucket_size + 1;
    int b;
    if (has_tables(o) && find_fast(o, x, &b))
        return b;
    /* log_ratio is log(ratio): the quotient is log_base's. */
    double l = has_tables(o) ? vpa__go_log(x) / o->log_ratio : log_base(o->ratio, x);
    return clamp_bucket(trunc(l), o->num_buckets);
}

double vpa_hist_opts_bucket_start(const struct vpa_hist_opts *o, int bucket)
{
    if (has_tables(o) && bucket >= 0 && bucket < o->num_buckets)
        return o->bucket_start[bucket];
    return start_formula(o, bucket);
}

/* ---- the sparse store -------------------------------------------------- */

static uint16_t *idx_of(const struct vpa_hist *h)
{
    if (!h->w)
        return NULL;
    return (uint16_t *)(void *)(h->w + h->cap);
}

static size_t store_size(unsigned cap)
{
    return (size_t)cap * (sizeof(double) + sizeof(uint16_t));
}

size_t vpa_hist_store_bytes(const struct vpa_hist *h)
{
    return store_size(h->cap);
}

/* Position of bucket b, or of where it would be inserted (*found 0). */
static unsigned find_pos(const struct vpa_hist *h, int b, int *found)
{
    const uint16_t *ix = idx_of(h);
    /* Indices are unique: a hint that names b is b's position. */
    if (h->memo_pos < h->n && ix[h->memo_pos] == b) {
        *found = 1;
        return h->memo_pos;
    }
    unsigned lo = 0, hi = h->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (ix[mid] < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < h->n && ix[lo] == b;
    return lo;
}

/* Makes room for `need` entries in total. */
static int reserve(struct vpa_hist *h, unsigned need)
{
    if (need <= h->cap)
        return 0;
    const struct vpa_allocator *a = h->opts->alloc;
    if (!a || !a->realloc)
        return PS_ENOMEM;
    unsigned cap = ((need + STORE_STEP - 1) / STORE_STEP) * STORE_STEP;
    if (cap > (unsigned)h->opts->num_buckets)
        cap = (unsigned)h->opts->num_buckets;
    if (cap < need)
        return PS_EBUG;
    unsigned old_cap = h->cap;
    double *w = a->realloc(a->ctx, h->w, store_size(old_cap), store_size(cap));
    if (!w)
        return PS_ENOMEM;
    /* The indices sat after old_cap doubles; move them after cap doubles. */
    if (h->n)
        memmove(w + cap, w + old_cap, (size_t)h->n * sizeof(uint16_t));
    h->w = w;
    h->cap = (uint16_t)cap;
    return 0;
}

/* Ensures a slot for bucket b exists or can be inserted without allocating. */
static int reserve_bucket(struct vpa_hist *h, int b)
{
    int found;
    (void)find_pos(h, b, &found);
    return found ? 0 : reserve(h, h->n + 1u);
}

static void remove_at(struct vpa_hist *h, unsigned pos)
{
    uint16_t *ix = idx_of(h);
    unsigned tail = h->n - pos - 1;
    memmove(h->w + pos, h->w + pos + 1, tail * sizeof(double));
    memmove(ix + pos, ix + pos + 1, tail * sizeof(uint16_t));
    h->n--;
}

/* weight[b] += x, storing the bucket when needed (room was reserved). */
static double bucket_add(struct vpa_hist *h, int b, double x)
{
    h->version++;
    int found;
    unsigned pos = find_pos(h, b, &found);
    if (found) {
        h->w[pos] += x;
        double r = h->w[pos];
        if (r == 0.0)
            remove_at(h, pos);
        else
            h->memo_pos = (uint16_t)pos;
        return r;
    }
    double r = 0.0 + x;
    if (r == 0.0)
        return r;
    uint16_t *ix = idx_of(h);
    unsigned tail = h->n - pos;
    memmove(h->w + pos + 1, h->w + pos, tail * sizeof(double));
    memmove(ix + pos + 1, ix + pos, tail * sizeof(uint16_t));
    h->w[pos] = r;
    ix[pos] = (uint16_t)b;
    h->n++;
    h->memo_pos = (uint16_t)pos;
    return r;
}

double vpa_hist_bucket_weight(const struct vpa_hist *h, int b)
{
    int found;
    unsigned pos = find_pos(h, b, &found);
    return found ? h->w[pos] : 0.0;
}

/* ---- plain histogram --------------------------------------------------- */

/* No cached decay factor (a new half-life). Times in range are never INT64_MIN
 * nanoseconds apart. */
static void forget_factor(struct vpa_hist *h)
{
    h->memo_d_ns = INT64_MIN;
    h->memo_factor = 0.0;
}

/* find_bucket, remembering nothing (the caller stores the memo on success). */
static int bucket_of(const struct vpa_hist *h, double value)
{
    if (value == h->memo_value)
        return h->memo_bucket;
    return vpa_hist_opts_find_bucket(h->opts, value);
}

void vpa_hist_init(struct vpa_hist *h, const struct vpa_hist_opts *o, int64_t half_life_ms)
{
    memset(h, 0, sizeof *h);
    h->memo_value = NAN; /* equal to no value */
    forget_factor(h);
    h->opts = o;
    h->half_life_ms = half_life_ms > 0 ? half_life_ms : 0;
    /* Longer than the whole representable time range: the same as that range. */
    if (h->half_life_ms > VPA_TIME_MAX_MS - VPA_TIME_ZERO_MS)
        h->half_life_ms = VPA_TIME_MAX_MS - VPA_TIME_ZERO_MS;
    h->ref_ms = VPA_TIME_ZERO_MS;
    h->min = (uint16_t)(o->num_buckets - 1);
    h->max = 0;
}

void vpa_hist_fini(struct vpa_hist *h)
{
    if (h->w && h->opts->alloc && h->opts->alloc->realloc)
        (void)h->opts->alloc->realloc(h->opts->alloc->ctx, h->w, store_size(h->cap), 0);
    h->w = NULL;
    h->cap = 0;
    vpa_hist_clear(h);
}

void vpa_hist_clear(struct vpa_hist *h)
{
    h->version++;
    h->n = 0;
    h->total = 0.0;
    h->ref_ms = VPA_TIME_ZERO_MS;
    h->min = (uint16_t)(h->opts->num_buckets - 1);
    h->max = 0;
}

int vpa_hist_copy(struct vpa_hist *dst, const struct vpa_hist *src)
{
    if (dst->opts != src->opts)
        return VPA_EOPTIONS;
    int rc = reserve(dst, src->n);
    if (rc)
        return rc;
    if (src->n) {
        memcpy(dst->w, src->w, src->n * sizeof(double));
        memcpy(idx_of(dst), idx_of(src), src->n * sizeof(uint16_t));
    }
    dst->version++;
    dst->n = src->n;
    dst->total = src->total;
    dst->half_life_ms = src->half_life_ms;
    dst->ref_ms = src->ref_ms;
    forget_factor(dst);
    dst->min = src->min;
    dst->max = src->max;
    return 0;
}

/* updateMinAndMaxBucket: min moves up to the first bucket >= epsilon (or the last
 * bucket), max down to the last bucket >= epsilon (or 0). Buckets not stored hold 0. */
static void update_min_max(struct vpa_hist *h)
{
    double eps = h->opts->epsilon;
    int last = h->opts->num_buckets - 1;
    const uint16_t *ix = idx_of(h);
    int found;
    if (h->min < last) {
        int nmin = last;
        for (unsigned pos = find_pos(h, h->min, &found); pos < h->n && ix[pos] < last; pos++) {
            if (!(h->w[pos] < eps)) {
                nmin = ix[pos];
                break;
            }
        }
        h->min = (uint16_t)nmin;
    }
    if (h->max > 0) {
        int nmax = 0;
        unsigned pos = find_pos(h, h->max, &found);
        if (found)
            pos++;
        while (pos-- > 0 && ix[pos] > 0) {
            if (!(h->w[pos] < eps)) {
                nmax = ix[pos];
                break;
            }
        }
        h->max = (uint16_t)nmax;
    }
}

static void plain_add(struct vpa_hist *h, int b, double weight)
{
    double wb = bucket_add(h, b, weight);
    h->total += weight;
    if (b < h->min && wb >= h->opts->epsilon)
        h->min = (uint16_t)b;
    if (b > h->max && wb >= h->opts->epsilon)
        h->max = (uint16_t)b;
}

static void plain_subtract(struct vpa_hist *h, double value, double weight)
{
    h->version++;
    int b = bucket_of(h, value);
    double wb = vpa_hist_bucket_weight(h, b);
    if (weight > wb - h->opts->epsilon)
        weight = wb;
    h->total -= weight;
    if (wb != 0.0)
        (void)bucket_add(h, b, -weight);
    update_min_max(h);
}

/* scale(): buckets in [min, max] and the total are multiplied by f. */
static void plain_scale(struct vpa_hist *h, double f)
{
    h->version++;
    const uint16_t *ix = idx_of(h);
    for (unsigned i = 0; i < h->n; i++)
        if (ix[i] >= h->min && ix[i] <= h->max)
            h->w[i] *= f;
    h->total *= f;
    for (unsigned i = h->n; i-- > 0;)
        if (h->w[i] == 0.0)
            remove_at(h, i);
    update_min_max(h);
}

/* ---- decaying histogram ------------------------------------------------ */

/* a - b in nanoseconds, saturating as Go's Time.Sub does. */
int64_t vpa__sub_ns(int64_t a_ms, int64_t b_ms)
{
    int64_t d;
    if (__builtin_sub_overflow(a_ms, b_ms, &d))
        return a_ms > b_ms ? INT64_MAX : INT64_MIN;
    int64_t ns;
    if (__builtin_mul_overflow(d, MS_TO_NS, &ns))
        return d > 0 ? INT64_MAX : INT64_MIN;
    return ns;
}

/* Time.Round(d): to the nearest multiple of d counted from Go's zero time, halves
 * up. For divisors of a day this is alignment to UTC midnights or hours. */
static int64_t round_to_half_life(int64_t t_ms, int64_t hl_ms)
{
    int64_t since = t_ms - VPA_TIME_ZERO_MS;
    int64_t r = since % hl_ms;
    if (r < 0)
        r += hl_ms;
    if (r + r < hl_ms)
        return t_ms - r;
    return t_ms + (hl_ms - r);
}

/* float64(halfLife) of Go: both round the exact product hl x 10^6 once, and this
 * form cannot overflow. */
static double hl_ns(const struct vpa_hist *h)
{
    return (double)h->half_life_ms * (double)MS_TO_NS;
}

static void shift_reference(struct vpa_hist *h, int64_t new_ref_ms)
{
    new_ref_ms = round_to_half_life(new_ref_ms, h->half_life_ms);
    double x = (double)vpa__sub_ns(h->ref_ms, new_ref_ms) / hl_ns(h);
    double e = floor(x + 0.5);
    /* Go converts to int and calls Ldexp; int(-2.56e6) is exact, and ldexp of a huge
     * negative exponent is 0, which scales the (empty) zero-time histogram by 0. */
    int k = e < -100000.0 ? -100000 : e > 100000.0 ? 100000 : (int)e;
    plain_scale(h, ldexp(1.0, k));
    h->ref_ms = new_ref_ms;
}

/* The weight factor of a sample at t; may renormalise first. The factor depends
 * only on t - reference (and the half-life): the last one is reused for the same
 * distance, as replicas of a pod add samples at the same time. */
static double decay_factor(struct vpa_hist *h, int64_t t_ms)
{
    int64_t max_allowed;
    int64_t span;
    if (__builtin_mul_overflow(h->half_life_ms, MAX_DECAY_EXPONENT, &span) ||
        __builtin_add_overflow(h->ref_ms, span, &max_allowed))
        max_allowed = INT64_MAX;
    if (t_ms > max_allowed)
        shift_reference(h, t_ms);
    int64_t d_ns = vpa__sub_ns(t_ms, h->ref_ms);
    if (d_ns != h->memo_d_ns || d_ns == INT64_MIN) {
        /* The factor is a function of (d_ns, half-life) alone, and the
         * histograms a step feeds (cpu and memory, of a recommender and of the
         * coordinated policy's second one) mostly share their reference: one
         * exp2 serves them all. */
        static _Thread_local int64_t last_d_ns = INT64_MIN, last_hl_ms;
        static _Thread_local double last_factor;
        h->memo_d_ns = d_ns;
        if (d_ns == last_d_ns && h->half_life_ms == last_hl_ms && d_ns != INT64_MIN) {
            h->memo_factor = last_factor;
        } else {
            h->memo_factor = vpa__go_exp2((double)d_ns / hl_ns(h));
            last_d_ns = d_ns;
            last_hl_ms = h->half_life_ms;
            last_factor = h->memo_factor;
        }
    }
    return h->memo_factor;
}

/* Reserving before deciding the factor: a renormalisation never allocates, and the
 * bucket of the value does not depend on the factor. */
int vpa_hist_add(struct vpa_hist *h, double value, double weight, int64_t t_ms)
{
    if (!isfinite(value) || !isfinite(weight))
        return PS_ENAN;
    if (weight < 0.0)
        return PS_ENEGATIVE;
    if (h->half_life_ms && (t_ms < VPA_TIME_ZERO_MS || t_ms > VPA_TIME_MAX_MS))
        return PS_ETIME;
    int b = bucket_of(h, value);
    int rc = reserve_bucket(h, b);
    if (rc)
        return rc;
    h->memo_value = value;
    h->memo_bucket = (uint16_t)b;
    if (h->half_life_ms)
        weight *= decay_factor(h, t_ms);
    plain_add(h, b, weight);
    return 0;
}

int vpa_hist_add_n(struct vpa_hist *h, double value, double weight, int64_t t_ms, size_t n)
{
    if (n == 0)
        return 0;
    int rc = vpa_hist_add(h, value, weight, t_ms);
    if (rc)
        return rc;
    /* vpa_hist_add left the bucket in the memo and the factor in force. */
    if (h->half_life_ms)
        weight *= h->memo_factor;
    if (!(weight > 0.0)) {
        for (size_t i = 1; i < n; i++)
            plain_add(h, h->memo_bucket, weight);
        return 0;
    }
    /* The add stored the bucket at memo_pos. With a positive weight the bucket
     * only grows: checking the bounds once, at the end, is checking them after
     * every addition. */
    double *w = &h->w[h->memo_pos];
    for (size_t i = 1; i < n; i++) {
        *w += weight;
        h->total += weight;
    }
    const int b = h->memo_bucket;
    if (b < h->min && *w >= h->opts->epsilon)
        h->min = (uint16_t)b;
    if (b > h->max && *w >= h->opts->epsilon)
        h->max = (uint16_t)b;
    return 0;
}

int vpa_hist_subtract(struct vpa_hist *h, double value, double weight, int64_t t_ms)
{
    if (!isfinite(value) || !isfinite(weight))
        return PS_ENAN;
    if (weight < 0.0)
        return PS_ENEGATIVE;
    if (h->half_life_ms && (t_ms < VPA_TIME_ZERO_MS || t_ms > VPA_TIME_MAX_MS))
        return PS_ETIME;
    if (h->half_life_ms)
        weight *= decay_factor(h, t_ms);
    plain_subtract(h, value, weight);
    return 0;
}

/* Number of distinct buckets of h and of other's [min, max] range together. */
static unsigned union_count(const struct vpa_hist *h, const struct vpa_hist *o)
{
    const uint16_t *hi = idx_of(h), *oi = idx_of(o);
    unsigned i = 0, j = 0, n = 0;
    while (j < o->n && oi[j] < o->min)
        j++;
    while (i < h->n || (j < o->n && oi[j] <= o->max)) {
        int oj = j < o->n && oi[j] <= o->max ? oi[j] : 1 << 20;
        int hv = i < h->n ? hi[i] : 1 << 20;
        if (hv < oj)
            i++;
        else if (oj < hv)
            j++;
        else
            i++, j++;
        n++;
    }
    return n;
}

int vpa_hist_merge(struct vpa_hist *h, struct vpa_hist *o)
{
    if (h->opts != o->opts || h->half_life_ms != o->half_life_ms)
        return VPA_EOPTIONS;
    if (h == o)
        return PS_EINVAL;
    /* Alignment may drop buckets from o's range but never adds any: reserving
     * for the range before alignment is enough. */
    int rc = reserve(h, union_count(h, o));
    if (rc)
        return rc;
    if (h->half_life_ms) {
        if (h->ref_ms < o->ref_ms)
            shift_reference(h, o->ref_ms);
        else if (o->ref_ms < h->ref_ms)
            shift_reference(o, h->ref_ms);
    }
    const uint16_t *oi = idx_of(o);
    h->version++;
    for (unsigned j = 0; j < o->n; j++)
        if (oi[j] >= o->min && oi[j] <= o->max)
            (void)bucket_add(h, oi[j], o->w[j]);
    h->total += o->total;
    if (o->min < h->min)
        h->min = o->min;
    if (o->max > h->max)
        h->max = o->max;
    return 0;
}

int vpa_hist_is_empty(const struct vpa_hist *h)
{
    return vpa_hist_bucket_weight(h, h->min) < h->opts->epsilon;
}

/* Up to PCT_CHUNK percentiles per walk. */
#define PCT_CHUNK 4

/*
 * Each percentile is decided exactly as by its own walk: the running sums are the
 * same sequence of additions whatever the thresholds, and a threshold takes the
 * first bucket whose sum reaches it. A sum that reaches a threshold reaches every
 * smaller one, so with the thresholds in increasing order only the smallest open
 * one needs testing (no assumption that the sums grow). NaN thresholds are never
 * reached and keep the max bucket.
 */
static void percentiles_chunk(const struct vpa_hist *h, const double *p, int n, double *out)
{
    int found;
    unsigned pos = find_pos(h, h->min, &found);
    /* vpa_hist_is_empty, without searching for min twice. */
    if ((found ? h->w[pos] : 0.0) < h->opts->epsilon) {
        for (int i = 0; i < n; i++)
            out[i] = 0.0;
        return;
    }
    double partial = 0.0, thr[PCT_CHUNK];
    int bucket[PCT_CHUNK], order[PCT_CHUNK], m = 0;
    for (int i = 0; i < n; i++) {
        double t = p[i] * h->total;
        bucket[i] = h->max;
        if (isnan(t))
            continue;
        if (!found && h->min < h->max && partial >= t) {
            /* The dense walk tests the (zero) min bucket first. */
            bucket[i] = h->min;
            continue;
        }
        int j = m++;
        for (; j > 0 && thr[j - 1] > t; j--) {
            thr[j] = thr[j - 1];
            order[j] = order[j - 1];
        }
        thr[j] = t;
        order[j] = i;
    }
    const uint16_t *ix = idx_of(h);
    int next = 0;
    if (m > 0) {
        /* Stored buckets below max: the walk stops before max's position. */
        int found_max;
        unsigned end = find_pos(h, h->max, &found_max);
        for (; pos < end; pos++) {
            partial += h->w[pos];
            if (partial >= thr[next]) {
                do
                    bucket[order[next++]] = ix[pos];
                while (next < m && partial >= thr[next]);
                if (next == m)
                    break;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        int b = bucket[i] < h->opts->num_buckets - 1 ? bucket[i] + 1 : bucket[i];
        out[i] = vpa_hist_opts_bucket_start(h->opts, b);
    }
}

void vpa_hist_percentiles(const struct vpa_hist *h, const double *p, int n, double *out)
{
    for (int i = 0; i < n; i += PCT_CHUNK)
        percentiles_chunk(h, p + i, n - i < PCT_CHUNK ? n - i : PCT_CHUNK, out + i);
}

void vpa_hist_percentiles_memo(struct vpa_hist *h, const double *p, int n, double *out)
{
    /* A memo version of 0 means none (init zeroes both): a histogram never
     * changed is walked each time, which costs nothing. */
    if (n != 3) {
        vpa_hist_percentiles(h, p, n, out);
        return;
    }
    if (h->pct_memo.version == h->version && h->version != 0 &&
        memcmp(h->pct_memo.p, p, sizeof h->pct_memo.p) == 0) {
        memcpy(out, h->pct_memo.out, sizeof h->pct_memo.out);
        return;
    }
    vpa_hist_percentiles(h, p, n, out);
    h->pct_memo.version = h->version;
    memcpy(h->pct_memo.p, p, sizeof h->pct_memo.p);
    memcpy(h->pct_memo.out, out, sizeof h->pct_memo.out);
}

double vpa_hist_percentile(const struct vpa_hist *h, double p)
{
    double r;
    percentiles_chunk(h, &p, 1, &r);
    return r;
}

int vpa_hist_equals(const struct vpa_hist *a, const struct vpa_hist *b)
{
    if (a->opts != b->opts || a->half_life_ms != b->half_life_ms)
        return 0;
    if (a->half_life_ms && a->ref_ms != b->ref_ms)
        return 0;
    if (a->min != b->min || a->max != b->max)
        return 0;
    for (int k = a->min; k <= a->max; k++) {
        double d = vpa_hist_bucket_weight(a, k) - vpa_hist_bucket_weight(b, k);
        if (d > 1e-15 || d < -1e-15)
            return 0;
    }
    return 1;
}

/* ---- checkpoints ------------------------------------------------------- */

int vpa_hist_save(const struct vpa_hist *h, struct vpa_hist_checkpoint *cp)
{
    const uint16_t *ix = idx_of(h);
    double max = 0.0;
    for (unsigned i = 0; i < h->n; i++)
        if (ix[i] >= h->min && ix[i] <= h->max && h->w[i] > max)
            max = h->w[i];
    double ratio = MAX_CHECKPOINT_WEIGHT / max;
    cp->ref_ms = h->half_life_ms ? h->ref_ms : VPA_TIME_ZERO_MS;
    cp->total_weight = h->total;
    cp->n = 0;
    for (unsigned i = 0; i < h->n; i++) {
        if (ix[i] < h->min || ix[i] > h->max)
            continue;
        double r = floor(h->w[i] * ratio + 0.5);
        /* uint32(x) of Go; the rounded ratio is at most 10000 here. */
        uint32_t q = r >= 1.0 && r < 4294967296.0 ? (uint32_t)r : 0;
        if (q > 0) {
            cp->b[cp->n].bucket = ix[i];
            cp->b[cp->n].weight = q;
            cp->n++;
        }
    }
    return 0;
}

int vpa__hist_load_prepare(struct vpa_hist *h, const struct vpa_hist_checkpoint *cp)
{
    if (!cp)
        return VPA_ENOCKPT;
    if (isnan(cp->total_weight) || isinf(cp->total_weight) || cp->total_weight < 0.0)
        return VPA_EWEIGHT;
    if (cp->n > VPA_HIST_MAX_BUCKETS)
        return PS_ECORRUPT;
    if (h->half_life_ms && (cp->ref_ms < VPA_TIME_ZERO_MS || cp->ref_ms > VPA_TIME_MAX_MS))
        return PS_ETIME;
    uint8_t seen[VPA_HIST_MAX_BUCKETS];
    memset(seen, 0, sizeof seen);
    for (uint32_t i = 0; i < cp->n; i++) {
        int32_t b = cp->b[i].bucket;
        if (b >= h->opts->num_buckets || b < 0)
            return VPA_EBUCKET;
        if (seen[b])
            return PS_ECORRUPT;
        seen[b] = 1;
    }
    unsigned need = h->n;
    for (uint32_t i = 0; i < cp->n; i++) {
        int found;
        (void)find_pos(h, cp->b[i].bucket, &found);
        need += !found && cp->b[i].weight > 0;
    }
    return reserve(h, need);
}

void vpa__hist_load_commit(struct vpa_hist *h, const struct vpa_hist_checkpoint *cp)
{
    int64_t sum = 0;
    /* The decaying form sets its reference even when nothing is loaded. */
    if (h->half_life_ms)
        h->ref_ms = cp->ref_ms;
    for (uint32_t i = 0; i < cp->n; i++)
        sum += cp->b[i].weight;
    if (sum == 0)
        return;
    double ratio = cp->total_weight / (double)sum;
    h->version++;
    for (uint32_t i = 0; i < cp->n; i++) {
        int b = cp->b[i].bucket;
        if (b < h->min)
            h->min = (uint16_t)b;
        if (b > h->max)
            h->max = (uint16_t)b;
        (void)bucket_add(h, b, (double)cp->b[i].weight * ratio);
    }
    h->total += cp->total_weight;
    update_min_max(h);
}

int vpa_hist_load(struct vpa_hist *h, const struct vpa_hist_checkpoint *cp)
{
    int rc = vpa__hist_load_prepare(h, cp);
    if (rc)
        return rc;
    vpa__hist_load_commit(h, cp);
    return 0;
}

int vpa__hist_reserve_values(struct vpa_hist *h, const double *values, int k)
{
    int b[4], nb = 0;
    if (k > 4)
        return PS_EINVAL;
    for (int i = 0; i < k; i++) {
        int x = bucket_of(h, values[i]), found, dup = 0;
        (void)find_pos(h, x, &found);
        for (int j = 0; j < nb; j++)
            dup |= b[j] == x;
        if (!found && !dup)
            b[nb++] = x;
    }
    return reserve(h, h->n + (unsigned)nb);
}
