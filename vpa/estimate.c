/*
 * estimate.c - estimators, the recommendation and recommender-side capping
 * (spec/vpa.md section 4), and small selection rules of the recommender.
 */
#include <math.h>
#include <string.h>

#include "podscaler/vpa.h"
#include "vpa_internal.h"

#define MINUTE_NS (60LL * 1000000000LL)

/* model.c's amount conversions, the same operations inlined: the estimator calls
 * them a dozen times per container and recommendation, across files. */
static inline int64_t amount_of(double amount)
{
    if (isnan(amount) || amount < 0)
        return 0;
    if (amount > (double)VPA_MAX_RESOURCE_AMOUNT)
        return VPA_MAX_RESOURCE_AMOUNT;
    return (int64_t)amount;
}

static inline int64_t scale_amount(int64_t amount, double factor)
{
    return amount_of((double)amount * factor); /* vpa_scale_resource */
}

static inline int64_t cpu_amount(double cores)
{
    return amount_of(cores * 1000.0); /* vpa_cpu_amount_from_cores */
}

static inline void res_put(struct vpa_resources *r, int res, int64_t v)
{
    r->v[res] = v; /* vpa_res_put */
    r->set |= (1u << res) | VPA_RES_LIST;
}

double vpa_confidence(const struct vpa_aggregate *a, int64_t interval_ms)
{
    int64_t interval_ns = vpa__sub_ns(interval_ms, 0);
    double lifespan =
        (double)vpa__sub_ns(a->last_sample_ms, a->first_sample_ms) / (double)interval_ns;
    /* Duration.Minutes() */
    double minutes =
        (double)(interval_ns / MINUTE_NS) + (double)(interval_ns % MINUTE_NS) / (60 * 1e9);
    double samples = (double)a->total_samples / minutes;
    return fmin(lifespan, samples);
}

int64_t vpa_estimate(const struct vpa_aggregate *a, const struct vpa_estimator_config *c,
                     int resource, int field)
{
    const double *ps = field == VPA_TARGET  ? c->target_p
                       : field == VPA_LOWER ? c->lower_p
                                            : c->upper_p;
    int64_t x;
    if (resource == VPA_CPU)
        x = cpu_amount(vpa_hist_percentile(&a->cpu, ps[VPA_CPU]));
    else
        x = amount_of(vpa_hist_percentile(&a->mem, ps[VPA_MEMORY]));
    x = vpa_apply_margin(x, c->margin_fraction);
    if (field == VPA_TARGET)
        return x;
    /* (1 + m/c)^e: with no history c = 0, the upper bound saturates at
     * MaxResourceAmount and the lower bound drops to 0 (0 x inf = NaN is 0 here). */
    double conf = vpa_confidence(a, c->confidence_interval_ms[resource]);
    double m = field == VPA_UPPER ? c->upper_multiplier : c->lower_multiplier;
    double e = field == VPA_UPPER ? c->upper_exponent : c->lower_exponent;
    return vpa_apply_confidence(x, m, e, conf);
}

int64_t vpa_apply_margin(int64_t x, double fraction)
{
    return x + scale_amount(x, fraction);
}

double vpa__go_pow_loop(double x, double y)
{
    int xe, ae = 0;
    double x1 = frexp(x, &xe), a1 = 1.0;
    long yi = (long)fabs(y);
    for (long i = yi; i != 0; i >>= 1) {
        if (xe < -(1 << 12) || (1 << 12) < xe) {
            /* Past any double (Go's overflow branch): C's pow gives the same 0 or inf. */
            return pow(x, y);
        }
        if (i & 1) {
            a1 *= x1;
            ae += xe;
        }
        x1 *= x1;
        xe *= 2; /* Go's xe <<= 1, defined in C for a negative xe */
        if (x1 < 0.5) {
            x1 += x1;
            xe--;
        }
    }
    if (y < 0) {
        a1 = 1 / a1;
        ae = -ae;
    }
    return ldexp(a1, ae);
}

double vpa__go_pow(double x, double y)
{
    if (y == 1.0)
        return x; /* Go's special case, and the upper bound's exponent: no frexp */
    if (!(y == trunc(y) && fabs(y) < 1048576.0 && x > 0 && isfinite(x)))
        return pow(x, y);
    if ((y == 2.0 || y == -2.0) && x >= 0x1p-500 && x <= 0x1p500) {
        /* The lower bound's exponent, asked at every recommendation. The loop
         * squares the mantissa once and scales by powers of two, exact this far
         * from overflow and subnormals: its only roundings are those of x * x
         * and of the reciprocal. */
        const double sq = x * x;
        return y > 0 ? sq : 1.0 / sq;
    }
    return vpa__go_pow_loop(x, y);
}

/* ln 2 in two parts, hi with its low bits zero, so that k * LN2_HI is exact:
 * fdlibm's split, which Go's Log and Exp2 share. */
static const double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;

double vpa__go_log(double x)
{
    /* fdlibm's polynomial for log(1+f) - f + f^2/2 in s = f / (2 + f). */
    static const double L1 = 6.666666666666735130e-01, L2 = 3.999999999940941908e-01,
                        L3 = 2.857142874366239149e-01, L4 = 2.222219843214978396e-01,
                        L5 = 1.818357216161805012e-01, L6 = 1.531383769920937332e-01,
                        L7 = 1.479819860511658591e-01;
    if (isnan(x) || x == INFINITY)
        return x;
    if (x < 0)
        return NAN;
    if (x == 0)
        return -INFINITY;
    /* x = 2^k (1 + f), 1 + f in [sqrt(2)/2, sqrt(2)). */
    int ki;
    double f1 = frexp(x, &ki);
    if (f1 < 0.70710678118654752440) {
        f1 *= 2;
        ki--;
    }
    const double f = f1 - 1, k = (double)ki;
    const double s = f / (2 + f), s2 = s * s, s4 = s2 * s2;
    const double t1 = s2 * (L1 + s4 * (L3 + s4 * (L5 + s4 * L7)));
    const double t2 = s4 * (L2 + s4 * (L4 + s4 * L6));
    const double r = t1 + t2, hfsq = 0.5 * f * f;
    return k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
}

double vpa__go_exp2(double x)
{
    /* fdlibm's Remez polynomial for exp on [-ln2/2, ln2/2]. */
    static const double P1 = 1.66666666666666657415e-01, P2 = -2.77777777770155933842e-03,
                        P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
                        P5 = 4.13813679705723846039e-08;
    if (isnan(x) || x == INFINITY)
        return x;
    if (x < -1.0740e+03) /* -inf too */
        return 0.0;
    if (x > 1.0239999999999999e+03)
        return INFINITY;
    /* 2^x = 2^k * e^(t ln 2), k the integer nearest x (halves away from zero). */
    const int k = x > 0 ? (int)(x + 0.5) : x < 0 ? (int)(x - 0.5) : 0;
    const double t = x - (double)k, hi = t * LN2_HI, lo = -t * LN2_LO;
    const double r = hi - lo, rr = r * r;
    const double c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    const double y = 1 - ((lo - (r * c) / (2 - c)) - hi);
    /* y * 2^k is exact while it stays normal (y is within [1/2, 2]): as Ldexp,
     * without the call, which was a third of this function's time. */
    if (k > -1021 && k < 1023) {
        const uint64_t bits = (uint64_t)(k + 1023) << 52;
        double p2;
        memcpy(&p2, &bits, sizeof p2);
        return y * p2;
    }
    return ldexp(y, k);
}

/* (1 + m/c)^e; the default exponents are 1 (upper bound: the base itself, as in
 * Go) and -2 (lower). */
static double confidence_factor(double multiplier, double exponent, double confidence)
{
    return vpa__go_pow(1.0 + multiplier / confidence, exponent);
}

int64_t vpa_apply_confidence(int64_t x, double multiplier, double exponent, double confidence)
{
    return scale_amount(x, confidence_factor(multiplier, exponent, confidence));
}

void vpa_pod_min_share(const struct vpa_estimator_config *c, size_t n, int64_t out[2])
{
    double fraction = 1.0 / (double)n;
    out[VPA_CPU] = scale_amount(cpu_amount(c->pod_min_cpu_millicores * 0.001), fraction);
    out[VPA_MEMORY] = scale_amount(amount_of(c->pod_min_memory_mb * 1024 * 1024), fraction);
}

void vpa_recommend_from_estimates(const int64_t est[3][2], unsigned controlled,
                                  const int64_t min_share[2], struct vpa_rec *out)
{
    struct vpa_resources *f[3] = {&out->target, &out->lower, &out->upper};
    for (int k = 0; k < 3; k++) {
        memset(f[k], 0, sizeof *f[k]);
        f[k]->set = VPA_RES_LIST;
        for (int r = 0; r < 2; r++) {
            if (!(controlled & (1u << r)))
                continue;
            int64_t v = est[k][r];
            res_put(f[k], r, v > min_share[r] ? v : min_share[r]);
        }
    }
    memset(&out->uncapped, 0, sizeof out->uncapped);
}

/* vpa_estimate of all six (field, resource) pairs, each by the same operations:
 * the three percentiles of a histogram come from one walk, the confidence is
 * computed once per distinct interval, and a confidence factor equal in bits to
 * the one of the other resource is not recomputed. */
void vpa_recommend_container(struct vpa_aggregate *a, const struct vpa_estimator_config *c,
                             const int64_t min_share[2], struct vpa_rec *out)
{
    int64_t est[3][2] = {{0, 0}, {0, 0}, {0, 0}};
    double conf_prev = 0.0, factor_prev[3] = {0.0, 0.0, 0.0};
    int have_prev = 0;
    for (int r = 0; r < 2; r++) {
        /* A resource the aggregate does not control is dropped from the result:
         * its histogram walk would be thrown away. */
        if (!(a->controlled & (1u << r)))
            continue;
        const double ps[3] = {c->target_p[r], c->lower_p[r], c->upper_p[r]};
        double v[3];
        vpa_hist_percentiles_memo(r == VPA_CPU ? &a->cpu : &a->mem, ps, 3, v);
        double conf = have_prev && c->confidence_interval_ms[r] == c->confidence_interval_ms[0]
                          ? conf_prev
                          : vpa_confidence(a, c->confidence_interval_ms[r]);
        int same_conf = have_prev && memcmp(&conf, &conf_prev, sizeof conf) == 0;
        for (int k = 0; k < 3; k++) {
            int64_t x = r == VPA_CPU ? cpu_amount(v[k]) : amount_of(v[k]);
            x = vpa_apply_margin(x, c->margin_fraction);
            if (k != VPA_TARGET) {
                double m = k == VPA_UPPER ? c->upper_multiplier : c->lower_multiplier;
                double e = k == VPA_UPPER ? c->upper_exponent : c->lower_exponent;
                if (!same_conf)
                    factor_prev[k] = confidence_factor(m, e, conf);
                x = scale_amount(x, factor_prev[k]);
            }
            est[k][r] = x;
        }
        conf_prev = conf;
        have_prev = 1;
    }
    vpa_recommend_from_estimates(est, a->controlled, min_share, out);
}

void vpa_rec_sort(struct vpa_rec *items, size_t n)
{
    /* Insertion sort: a pod has a handful of containers. */
    for (size_t i = 1; i < n; i++) {
        struct vpa_rec x = items[i];
        size_t j = i;
        while (j > 0 && strcmp(items[j - 1].name, x.name) > 0) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = x;
    }
}

/* Go's "%.2f" of bytes / 1024^k is an exact binary division, correctly rounded to
 * two decimals with ties to even: reproduced in integers. Below 2^53 bytes (8 PiB)
 * everything fits 64 bits; larger values are left as they are. */
static size_t humanize(int64_t bytes, char *out, size_t cap, int64_t *value)
{
    static const char *const units[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    char tmp[48];
    size_t n = 0;
    int k = -1;
    *value = bytes;
    if (bytes < 0 || bytes >= (INT64_C(1) << 53))
        return 0;
    for (int i = 4; i >= 0; i--) {
        if ((uint64_t)bytes >= (UINT64_C(1) << (10 * (i + 1)))) {
            k = i;
            break;
        }
    }
    int shift = k < 0 ? 0 : 10 * (k + 1);
    uint64_t div = UINT64_C(1) << shift;
    uint64_t num = (uint64_t)bytes * 100;
    uint64_t q = num >> shift, r = num & (div - 1);
    if (2 * r > div || (2 * r == div && (q & 1)))
        q++;
    /* The quantity parsed back: q/100 units, and Value() rounds up. */
    *value = (int64_t)(((q << shift) + 99) / 100);
    char digits[24];
    int nd = 0;
    uint64_t x = q;
    do {
        digits[nd++] = (char)('0' + (int)(x % 10));
        x /= 10;
    } while (x);
    while (nd < 3)
        digits[nd++] = '0';
    for (int i = nd - 1; i >= 0; i--) {
        tmp[n++] = digits[i];
        if (i == 2)
            tmp[n++] = '.';
    }
    if (k >= 0) {
        tmp[n++] = units[k][0];
        tmp[n++] = units[k][1];
    }
    if (out && cap > n) {
        memcpy(out, tmp, n);
        out[n] = 0;
    }
    return n;
}

int vpa_resources_round(struct vpa_resources *r, int64_t round_cpu_milli, int64_t round_mem_bytes,
                        int humanize_memory, char *humanized, size_t cap)
{
    int64_t v;
    if (vpa_res_has(r, VPA_CPU)) {
        /* An invalid rounding factor keeps the value, as upstream logs and goes on. */
        if (vpa_round_up_to_scale(r->v[VPA_CPU], round_cpu_milli, &v) == 0)
            r->v[VPA_CPU] = v;
    }
    if (humanized && cap)
        humanized[0] = 0;
    if (vpa_res_has(r, VPA_MEMORY)) {
        if (vpa_round_up_to_scale(r->v[VPA_MEMORY], round_mem_bytes, &v) == 0)
            r->v[VPA_MEMORY] = v;
        if (humanize_memory) {
            if (cap < 32)
                return PS_ENOSPC;
            (void)humanize(r->v[VPA_MEMORY], humanized, cap, &v);
            r->v[VPA_MEMORY] = v;
        }
    }
    return 0;
}

int vpa_recommend_pod(const char *const *names, struct vpa_aggregate *const *aggs, size_t n,
                      const struct vpa_estimator_config *c, int64_t round_cpu_milli,
                      int64_t round_mem_bytes, struct vpa_rec *out, size_t cap)
{
    size_t active = 0;
    for (size_t i = 0; i < n; i++)
        active += aggs[i]->scaling_mode != VPA_SCALING_OFF;
    if (active > cap)
        return PS_ENOSPC;
    if (active == 0)
        return 0;
    int64_t min_share[2];
    vpa_pod_min_share(c, active, min_share);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (aggs[i]->scaling_mode == VPA_SCALING_OFF)
            continue;
        vpa_recommend_container(aggs[i], c, min_share, &out[k]);
        out[k].name = names[i];
        k++;
    }
    vpa_rec_sort(out, k);
    for (size_t i = 0; i < k; i++) {
        (void)vpa_resources_round(&out[i].target, round_cpu_milli, round_mem_bytes, 0, NULL, 0);
        (void)vpa_resources_round(&out[i].lower, round_cpu_milli, round_mem_bytes, 0, NULL, 0);
        (void)vpa_resources_round(&out[i].upper, round_cpu_milli, round_mem_bytes, 0, NULL, 0);
        out[i].uncapped = out[i].target;
    }
    return (int)k;
}

/* ---- recommender-side capping -------------------------------------------- */

static void cap_list(struct vpa_resources *r, const struct vpa_resources *min,
                     const struct vpa_resources *max)
{
    for (int k = 0; k < 2; k++) {
        if (!vpa_res_has(r, k))
            continue;
        if (min && vpa_res_has(min, k) && min->v[k] != 0 && r->v[k] < min->v[k])
            r->v[k] = min->v[k];
        if (max && vpa_res_has(max, k) && max->v[k] != 0 && r->v[k] > max->v[k])
            r->v[k] = max->v[k];
    }
}

void vpa_apply_vpa_policy(struct vpa_rec *recs, size_t n, const struct vpa_resource_policy *p,
                          const struct vpa_resources *global_max)
{
    for (size_t i = 0; i < n; i++) {
        const struct vpa_container_policy *cp = vpa_policy_for(p, recs[i].name);
        if (!cp && !global_max)
            continue;
        struct vpa_resources max = {{0, 0}, 0};
        const struct vpa_resources *min = cp ? &cp->min_allowed : NULL;
        if (cp)
            max = cp->max_allowed;
        if (global_max)
            for (int k = 0; k < 2; k++)
                if (!vpa_res_has(&max, k) && vpa_res_has(global_max, k))
                    res_put(&max, k, global_max->v[k]);
        cap_list(&recs[i].target, min, &max);
        cap_list(&recs[i].lower, min, &max);
        cap_list(&recs[i].upper, min, &max);
    }
}

/* ---- selection ---------------------------------------------------------- */

int vpa_selects_recommender(const char *const *recommenders, size_t n, const char *name)
{
    if (n == 0)
        return strcmp(name, "default") == 0;
    for (size_t i = 0; i < n; i++)
        if (recommenders[i] && strcmp(recommenders[i], name) == 0)
            return 1;
    return 0;
}

void vpa_checkpoint_order(const int64_t *written_ms, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && written_ms[order[j - 1]] > written_ms[i]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}
