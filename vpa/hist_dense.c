/*
 * hist_dense.c - the dense reference form of the decaying histogram.
 *
 * A line-by-line rendering of upstream's layout (one float64 per bucket), written
 * independently of hist.c so that tests and the memory benchmark can prove the
 * sparse store gives identical results. Not used on any production path.
 */
#include <math.h>
#include <string.h>

#include "podscaler/vpa.h"
#include "vpa_internal.h"

#define MS_TO_NS 1000000LL

void vpa_dense_init(struct vpa_dense_hist *h, const struct vpa_hist_opts *o, int64_t half_life_ms)
{
    memset(h, 0, sizeof *h);
    h->opts = o;
    h->half_life_ms = half_life_ms > 0 ? half_life_ms : 0;
    h->ref_ms = VPA_TIME_ZERO_MS;
    h->min = o->num_buckets - 1;
    h->max = 0;
}

size_t vpa_dense_bytes(const struct vpa_hist_opts *o)
{
    /* options pointer, total, half-life, reference, min, max, slice header */
    return (size_t)o->num_buckets * sizeof(double) + 8 + 8 + 8 + 8 + 8 + 8 + 24;
}

static void dense_update(struct vpa_dense_hist *h)
{
    int last = h->opts->num_buckets - 1;
    while (h->w[h->min] < h->opts->epsilon && h->min < last)
        h->min++;
    while (h->w[h->max] < h->opts->epsilon && h->max > 0)
        h->max--;
}

static void dense_scale(struct vpa_dense_hist *h, double f)
{
    for (int b = h->min; b <= h->max; b++)
        h->w[b] *= f;
    h->total *= f;
    dense_update(h);
}

static int64_t dsub_ns(int64_t a, int64_t b)
{
    int64_t d, ns;
    if (__builtin_sub_overflow(a, b, &d))
        return a > b ? INT64_MAX : INT64_MIN;
    if (__builtin_mul_overflow(d, MS_TO_NS, &ns))
        return d > 0 ? INT64_MAX : INT64_MIN;
    return ns;
}

static void dense_shift(struct vpa_dense_hist *h, int64_t t)
{
    int64_t hl = h->half_life_ms;
    int64_t r = (t - VPA_TIME_ZERO_MS) % hl;
    if (r < 0)
        r += hl;
    t = r + r < hl ? t - r : t + (hl - r);
    double e = floor((double)dsub_ns(h->ref_ms, t) / ((double)hl * (double)MS_TO_NS) + 0.5);
    if (e < -100000.0)
        e = -100000.0;
    dense_scale(h, ldexp(1.0, (int)e));
    h->ref_ms = t;
}

static double dense_factor(struct vpa_dense_hist *h, int64_t t)
{
    int64_t span, max;
    if (!__builtin_mul_overflow(h->half_life_ms, 100, &span) &&
        !__builtin_add_overflow(h->ref_ms, span, &max) && t > max)
        dense_shift(h, t);
    return vpa__go_exp2((double)dsub_ns(t, h->ref_ms) /
                        ((double)h->half_life_ms * (double)MS_TO_NS));
}

void vpa_dense_add(struct vpa_dense_hist *h, double value, double weight, int64_t t_ms)
{
    if (h->half_life_ms)
        weight *= dense_factor(h, t_ms);
    int b = vpa_hist_opts_find_bucket(h->opts, value);
    h->w[b] += weight;
    h->total += weight;
    if (b < h->min && h->w[b] >= h->opts->epsilon)
        h->min = b;
    if (b > h->max && h->w[b] >= h->opts->epsilon)
        h->max = b;
}

void vpa_dense_subtract(struct vpa_dense_hist *h, double value, double weight, int64_t t_ms)
{
    if (h->half_life_ms)
        weight *= dense_factor(h, t_ms);
    int b = vpa_hist_opts_find_bucket(h->opts, value);
    if (weight > h->w[b] - h->opts->epsilon)
        weight = h->w[b];
    h->total -= weight;
    h->w[b] -= weight;
    dense_update(h);
}

void vpa_dense_merge(struct vpa_dense_hist *h, struct vpa_dense_hist *o)
{
    if (h->half_life_ms) {
        if (h->ref_ms < o->ref_ms)
            dense_shift(h, o->ref_ms);
        else if (o->ref_ms < h->ref_ms)
            dense_shift(o, h->ref_ms);
    }
    for (int b = o->min; b <= o->max; b++)
        h->w[b] += o->w[b];
    h->total += o->total;
    if (o->min < h->min)
        h->min = o->min;
    if (o->max > h->max)
        h->max = o->max;
}

double vpa_dense_percentile(const struct vpa_dense_hist *h, double p)
{
    if (h->w[h->min] < h->opts->epsilon)
        return 0.0;
    double partial = 0.0, threshold = p * h->total;
    int b = h->min;
    for (; b < h->max; b++) {
        partial += h->w[b];
        if (partial >= threshold)
            break;
    }
    if (b < h->opts->num_buckets - 1)
        return vpa_hist_opts_bucket_start(h->opts, b + 1);
    return vpa_hist_opts_bucket_start(h->opts, b);
}
