/*
 * hpa_calc.c - replica calculation per metric source (spec/hpa.md section 5), as
 * upstream's pkg/controller/podautoscaler/replica_calculator.go computes it.
 *
 * Upstream builds maps keyed by pod name and deletes and refills entries; here one pass
 * over the pods accumulates, per class, the sums those maps would hold, so nothing is
 * allocated. The arithmetic is upstream's: int64 milli-values, truncating integer
 * division, float64 ratios, float64 ceil. Where Go would silently wrap (int64 sums,
 * int32 conversions of huge floats) this code reports HPA_EOVERFLOW or saturates as
 * documented per function, so a absurd input never becomes a plausible number.
 */
#include <math.h>
#include <string.h>

#include "hpa_internal.h"

static bool is_within(struct hpa_tolerances t, double ratio)
{
    /* Inclusive at both ends: Tolerances.isWithin. */
    return (1.0 - t.down) <= ratio && ratio <= (1.0 + t.up);
}

int32_t hpa__ceil_i32(double x)
{
    double c = ceil(x);
    if (!(c == c))
        return 0;
    if (c >= 2147483647.0)
        return INT32_MAX;
    if (c <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)c;
}

int32_t hpa__trunc_i32(double x)
{
    if (!(x == x))
        return 0;
    if (x >= 2147483647.0)
        return INT32_MAX;
    if (x <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)x;
}

/* float64 -> int64 as the per-pod usage: values at or above 2^63 saturate. */
static int64_t ceil_i64(double x)
{
    double c = ceil(x);
    if (c >= 9223372036854775808.0)
        return INT64_MAX;
    if (c < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)c;
}

int64_t hpa__add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static void status_reset(struct hpa_metric_status *out)
{
    memset(out, 0, sizeof *out);
    out->err_pod = -1;
    out->err_container = -1;
}

static int fail(struct hpa_metric_status *out, int code)
{
    out->err = code;
    return code;
}

int hpa_pod_usage(const struct hpa_container_usage *c, size_t n, enum hpa_resource res,
                  const char *container, int64_t *value_milli)
{
    if ((int)res < 0 || res >= HPA_RES_COUNT || (!c && n > 0) || !value_milli)
        return 0;
    unsigned bit = 1u << res;
    if (container && container[0]) {
        /* ContainerResource: a pod whose metrics lack the container or the resource is
         * "missing", not an error (PR #127193, v1.32). */
        for (size_t i = 0; i < n; i++) {
            if (c[i].name && strcmp(c[i].name, container) == 0) {
                if (!(c[i].usage_mask & bit))
                    return 0;
                *value_milli = c[i].usage_milli[res];
                return 1;
            }
        }
        return 0;
    }
    if (n == 0)
        return 0;
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(c[i].usage_mask & bit))
            return 0;
        sum = hpa__add_sat(sum, c[i].usage_milli[res]);
    }
    *value_milli = sum;
    return 1;
}

int hpa_milli_from_double(double value, int64_t *milli)
{
    if (!milli)
        return PS_EINVAL;
    if (!isfinite(value))
        return PS_ENAN;
    if (value < 0)
        return HPA_ENEGMETRIC;
    double m = ceil(value * 1000.0); /* MilliValue rounds up */
    if (m >= 9223372036854775808.0)
        return HPA_EOVERFLOW;
    *milli = (int64_t)m;
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* groupPods */

enum hpa_pod_class hpa__classify(const struct hpa_calc *c, const struct hpa_pod *p,
                                 const struct hpa_pod_sample *s, bool cpu_rules)
{
    if (p->deleted || p->phase == HPA_PHASE_FAILED)
        return HPA_POD_IGNORED;
    if (p->phase == HPA_PHASE_PENDING)
        return HPA_POD_UNREADY;
    if (!s || !s->present)
        return HPA_POD_MISSING;
    if (cpu_rules) {
        bool unready;
        if (p->ready == HPA_CS_NONE || !p->has_start_time) {
            unready = true;
        } else if (hpa__add_sat(p->start_time_ms, c->cpu_initialization_period_ms) > c->now_ms) {
            /* Still initializing: the sample must be ready and cover a full window after
             * the last readiness transition, or CPU bursts of start-up count. */
            unready = p->ready == HPA_CS_FALSE ||
                      s->timestamp_ms < hpa__add_sat(p->ready_transition_ms, s->window_ms);
        } else {
            /* Past initialization: ignore only a pod that has never been ready, i.e. its
             * last transition happened within the readiness delay of its start. */
            unready = p->ready == HPA_CS_FALSE &&
                      hpa__add_sat(p->start_time_ms, c->initial_readiness_delay_ms) >
                          p->ready_transition_ms;
        }
        if (unready)
            return HPA_POD_UNREADY;
    }
    return HPA_POD_READY;
}

int hpa_group_pods(const struct hpa_calc *c, const struct hpa_pod_sample *samples,
                   enum hpa_resource res, enum hpa_pod_class *klass)
{
    if (!c || (!c->pods && c->n_pods > 0) || (!klass && c->n_pods > 0))
        return PS_EINVAL;
    int ready = 0;
    for (size_t i = 0; i < c->n_pods; i++) {
        klass[i] = hpa__classify(c, &c->pods[i], samples ? &samples[i] : NULL, res == HPA_RES_CPU);
        if (klass[i] == HPA_POD_READY)
            ready++;
    }
    return ready;
}

/* ------------------------------------------------------------------------------------- */
/* calculateRequests */

int hpa_pod_request(const struct hpa_pod *pod, enum hpa_resource res, const char *container,
                    bool pod_level_resources, int64_t *request_milli, int32_t *err_container)
{
    if (!pod || !request_milli || (int)res < 0 || res >= HPA_RES_COUNT)
        return PS_EINVAL;
    if (err_container)
        *err_container = -1;
    unsigned bit = 1u << res;
    bool named = container && container[0];
    /* KEP-2837: pod-level requests win unless the HPA names a container. */
    if (pod_level_resources && pod->pod_request_mask != 0 && !named) {
        if (!(pod->pod_request_mask & bit))
            return HPA_ENOPODREQUEST;
        *request_milli = pod->pod_request_milli[res];
        return 0;
    }
    int64_t sum = 0;
    size_t total = pod->n_containers + pod->n_init_containers;
    for (size_t k = 0; k < total; k++) {
        const struct hpa_container *ct;
        if (k < pod->n_containers) {
            ct = &pod->containers[k];
        } else {
            ct = &pod->init_containers[k - pod->n_containers];
            if (!ct->restart_always)
                continue; /* only sidecars run alongside the app */
        }
        bool match = named && ct->name && strcmp(ct->name, container) == 0;
        if (!named || match) {
            if (!(ct->request_mask & bit)) {
                if (err_container)
                    *err_container = (int32_t)k;
                return HPA_ENOREQUEST;
            }
            if (ct->request_milli[res] < 0)
                return HPA_ENEGMETRIC;
            if (__builtin_add_overflow(sum, ct->request_milli[res], &sum))
                return HPA_EOVERFLOW;
        }
        if (match) {
            *request_milli = sum;
            return 0;
        }
    }
    if (named)
        return HPA_ENOCONTAINER;
    *request_milli = sum;
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Shared front of the pod-based calculators. */

struct group_sums {
    int32_t ready;   /* readyPodCount */
    int32_t unready; /* unready pods (all have requests when computed) */
    int32_t missing;
    int64_t map_sum;      /* sum of the values left in the metric map (ready + orphans) */
    int32_t map_len;      /* len(metrics) after removing unready and ignored */
    int64_t ready_sum;    /* values of ready pods (those have requests) */
    int64_t ready_req;    /* their requests */
    int64_t missing_req;  /* requests of missing pods */
    int64_t missing_fill; /* sum of request * fallback / 100 over missing pods */
    int64_t unready_req;  /* requests of unready pods */
};

static int check_fetch(const struct hpa_metric_input *m)
{
    if (m->fetch == HPA_FETCH_ERROR)
        return HPA_EFETCH;
    if (m->fetch == HPA_FETCH_EMPTY)
        return HPA_ENOMETRICS;
    if (m->fetch != HPA_FETCH_OK)
        return PS_EINVAL;
    if (!m->orphan_values_milli && m->n_orphans > 0)
        return PS_EINVAL;
    for (size_t i = 0; i < m->n_orphans; i++)
        if (m->orphan_values_milli[i] < 0)
            return HPA_ENEGMETRIC;
    return 0;
}

/* hpa_pod_request reads nothing else of a pod: equal inputs, equal result. */
static bool same_requests(const struct hpa_pod *a, const struct hpa_pod *b, enum hpa_resource res)
{
    return a->containers == b->containers && a->n_containers == b->n_containers &&
           a->init_containers == b->init_containers &&
           a->n_init_containers == b->n_init_containers &&
           a->pod_request_mask == b->pod_request_mask &&
           a->pod_request_milli[res] == b->pod_request_milli[res];
}

/*
 * One pass: classification, the sums of the metric map, and (when want_requests) every
 * pod's request, remembering the first request error in pod order as calculateRequests
 * would return it. Returns 0 or the first error in upstream's order of checks up to
 * "did not receive metrics"; *req_err carries a request error for the caller to report
 * after that check.
 */
static int group_and_sum(const struct hpa_calc *c, const struct hpa_metric_input *m,
                         enum hpa_resource res, const char *container, bool want_requests,
                         int64_t fallback_pct, struct group_sums *g, int *req_err,
                         struct hpa_metric_status *out)
{
    memset(g, 0, sizeof *g);
    *req_err = 0;
    if (c->n_pods == 0)
        return HPA_ENOPODS;
    const struct hpa_pod_sample *samples = m->pod_samples;
    bool cpu_rules = res == HPA_RES_CPU;
    for (size_t i = 0; i < c->n_pods; i++) {
        const struct hpa_pod_sample *s = samples ? &samples[i] : NULL;
        if (s && s->present && s->value_milli < 0)
            return HPA_ENEGMETRIC;
    }
    /* The last pod whose request was computed without error: pods of one
     * template share their container arrays, and so their request. */
    const struct hpa_pod *known = NULL;
    int64_t known_req = 0;
    for (size_t i = 0; i < c->n_pods; i++) {
        const struct hpa_pod *p = &c->pods[i];
        const struct hpa_pod_sample *s = samples ? &samples[i] : NULL;
        enum hpa_pod_class k = hpa__classify(c, p, s, cpu_rules);
        int64_t req = 0;
        if (want_requests && *req_err == 0) {
            if (known && same_requests(known, p, res)) {
                req = known_req;
            } else {
                int32_t ec = -1;
                int rc = hpa_pod_request(p, res, container, c->pod_level_resources, &req, &ec);
                if (rc != 0) {
                    *req_err = rc;
                    out->err_pod = (int32_t)i;
                    out->err_container = ec;
                } else {
                    known = p;
                    known_req = req;
                }
            }
        }
        switch (k) {
        case HPA_POD_READY:
            g->ready++;
            g->map_len++;
            if (__builtin_add_overflow(g->map_sum, s->value_milli, &g->map_sum) ||
                __builtin_add_overflow(g->ready_sum, s->value_milli, &g->ready_sum) ||
                __builtin_add_overflow(g->ready_req, req, &g->ready_req))
                return HPA_EOVERFLOW;
            break;
        case HPA_POD_UNREADY:
            g->unready++;
            if (__builtin_add_overflow(g->unready_req, req, &g->unready_req))
                return HPA_EOVERFLOW;
            break;
        case HPA_POD_MISSING: {
            g->missing++;
            int64_t fill;
            if (__builtin_add_overflow(g->missing_req, req, &g->missing_req) ||
                __builtin_mul_overflow(req, fallback_pct, &fill) ||
                __builtin_add_overflow(g->missing_fill, fill / 100, &g->missing_fill))
                return HPA_EOVERFLOW;
            break;
        }
        case HPA_POD_IGNORED:
            break;
        }
    }
    for (size_t i = 0; i < m->n_orphans; i++) {
        /* Samples of pods the lister no longer knows stay in upstream's map. */
        if (__builtin_add_overflow(g->map_sum, m->orphan_values_milli[i], &g->map_sum))
            return HPA_EOVERFLOW;
        g->map_len++;
    }
    if (g->map_len == 0)
        return HPA_ENOREADYMETRICS;
    return 0;
}

/* GetResourceUtilizationRatio's integer percentage. */
static int utilization(int64_t usage, int64_t requests, int32_t *util)
{
    int64_t scaled;
    if (requests == 0)
        return HPA_ENOMATCH;
    if (__builtin_mul_overflow(usage, INT64_C(100), &scaled))
        return HPA_EOVERFLOW;
    int64_t u = scaled / requests;
    if (u > INT32_MAX)
        return HPA_EOVERFLOW;
    *util = (int32_t)u;
    return 0;
}

int hpa_calc_resource_utilization(const struct hpa_calc *c, const struct hpa_metric_input *m,
                                  enum hpa_resource res, const char *container, int32_t target,
                                  struct hpa_metric_status *out)
{
    if (!c || !m || !out || (!c->pods && c->n_pods > 0) || (int)res < 0 || res >= HPA_RES_COUNT)
        return PS_EINVAL;
    status_reset(out);
    out->evaluated = true;
    if (target <= 0)
        return fail(out, HPA_ETARGET);
    int rc = check_fetch(m);
    if (rc)
        return fail(out, rc);

    /* Missing pods on a scale-down count at 100% of their request, or at the target
     * when it is above 100% (so they never pull the average below it). */
    int64_t fallback = target > 100 ? target : 100;
    struct group_sums g;
    int req_err;
    rc = group_and_sum(c, m, res, container, true, fallback, &g, &req_err, out);
    if (rc)
        return fail(out, rc);
    if (req_err)
        return fail(out, req_err);

    int32_t util;
    rc = utilization(g.ready_sum, g.ready_req, &util);
    if (rc)
        return fail(out, rc);
    out->has_utilization = true;
    out->utilization = util;
    out->has_average_value = true;
    out->average_value_milli = g.ready_sum / g.ready; /* ready_req > 0 implies ready > 0 */

    double ratio = (double)util / (double)target;
    bool up_with_unready = g.unready > 0 && ratio > 1.0;
    int32_t cur = c->current_replicas;
    if (!up_with_unready && g.missing == 0) {
        out->replicas = is_within(c->tol, ratio) ? cur : hpa__ceil_i32(ratio * (double)g.ready);
        return 0;
    }

    int64_t new_usage = g.ready_sum, new_req = g.ready_req;
    int64_t len = g.map_len;
    if (g.missing > 0 && ratio != 1.0) {
        /* Scale-down: missing pods at the fallback; scale-up: at 0. */
        if (ratio < 1.0 && __builtin_add_overflow(new_usage, g.missing_fill, &new_usage))
            return fail(out, HPA_EOVERFLOW);
        if (__builtin_add_overflow(new_req, g.missing_req, &new_req))
            return fail(out, HPA_EOVERFLOW);
        len += g.missing;
    }
    if (up_with_unready) {
        /* Scale-up: unready pods count at 0 so start-up bursts do not inflate it. */
        if (__builtin_add_overflow(new_req, g.unready_req, &new_req))
            return fail(out, HPA_EOVERFLOW);
        len += g.unready;
    }
    int32_t new_util;
    rc = utilization(new_usage, new_req, &new_util);
    if (rc)
        return fail(out, rc);
    double new_ratio = (double)new_util / (double)target;
    if (is_within(c->tol, new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
        (ratio > 1.0 && new_ratio < 1.0)) {
        out->replicas = cur; /* the assumptions flipped the direction: hold */
        return 0;
    }
    int32_t n = hpa__ceil_i32(new_ratio * (double)len);
    if ((new_ratio < 1.0 && n > cur) || (new_ratio > 1.0 && n < cur))
        n = cur;
    out->replicas = n;
    return 0;
}

int hpa_calc_plain(const struct hpa_calc *c, const struct hpa_metric_input *m,
                   enum hpa_resource res, int64_t target, struct hpa_metric_status *out)
{
    if (!c || !m || !out || (!c->pods && c->n_pods > 0) || (int)res < 0 || res > HPA_RES_NONE)
        return PS_EINVAL;
    status_reset(out);
    out->evaluated = true;
    if (target <= 0)
        return fail(out, HPA_ETARGET);
    int rc = check_fetch(m);
    if (rc)
        return fail(out, rc);
    struct group_sums g;
    int req_err;
    rc = group_and_sum(c, m, res, NULL, false, 100, &g, &req_err, out);
    if (rc)
        return fail(out, rc);

    int64_t usage = g.map_sum / g.map_len;
    out->has_average_value = true;
    out->average_value_milli = usage;
    double ratio = (double)usage / (double)target;
    bool up_with_unready = g.unready > 0 && ratio > 1.0;
    int32_t cur = c->current_replicas;
    if (!up_with_unready && g.missing == 0) {
        out->replicas = is_within(c->tol, ratio) ? cur : hpa__ceil_i32(ratio * (double)g.ready);
        return 0;
    }
    int64_t sum = g.map_sum, len = g.map_len;
    if (g.missing > 0 && ratio != 1.0) {
        /* Scale-down: a missing pod is assumed exactly at the target; scale-up: at 0. */
        if (ratio < 1.0) {
            int64_t fill;
            if (__builtin_mul_overflow(target, (int64_t)g.missing, &fill) ||
                __builtin_add_overflow(sum, fill, &sum))
                return fail(out, HPA_EOVERFLOW);
        }
        len += g.missing;
    }
    if (up_with_unready)
        len += g.unready;
    double new_ratio = (double)(sum / len) / (double)target;
    if (is_within(c->tol, new_ratio) || (ratio < 1.0 && new_ratio > 1.0) ||
        (ratio > 1.0 && new_ratio < 1.0)) {
        out->replicas = cur;
        return 0;
    }
    int32_t n = hpa__ceil_i32(new_ratio * (double)len);
    if ((new_ratio < 1.0 && n > cur) || (new_ratio > 1.0 && n < cur))
        n = cur;
    out->replicas = n;
    return 0;
}

/* getUsageRatioReplicaCount: Object and External Value targets. */
static int usage_ratio_replicas(const struct hpa_calc *c, double ratio,
                                struct hpa_metric_status *out)
{
    int32_t cur = c->current_replicas;
    if (cur == 0) {
        /* Scale from zero: no pods to count and no tolerance (KEP-2021). */
        out->replicas = hpa__ceil_i32(ratio);
        return 0;
    }
    if (is_within(c->tol, ratio)) {
        out->replicas = cur;
        return 0;
    }
    if (c->n_pods == 0)
        return fail(out, HPA_ENOPODS);
    int64_t ready = 0;
    for (size_t i = 0; i < c->n_pods; i++)
        if (c->pods[i].phase == HPA_PHASE_RUNNING && c->pods[i].ready == HPA_CS_TRUE)
            ready++;
    double f = ratio * (double)ready;
    out->replicas = f > 2147483647.0 ? INT32_MAX : hpa__ceil_i32(f);
    return 0;
}

static int sum_external(const struct hpa_metric_input *m, int64_t *usage)
{
    if (!m->external_values_milli && m->n_external > 0)
        return PS_EINVAL;
    if (m->n_external == 0)
        return HPA_ENOMETRICS;
    int64_t u = 0;
    for (size_t i = 0; i < m->n_external; i++) {
        int64_t v = m->external_values_milli[i];
        if (v < 0)
            return HPA_ENEGMETRIC;
        /* Upstream saturates the sum at MaxInt64 rather than wrapping. */
        u = hpa__add_sat(u, v);
    }
    *usage = u;
    return 0;
}

static int value_front(const struct hpa_calc *c, const struct hpa_metric_input *m, int64_t target,
                       struct hpa_metric_status *out)
{
    if (!c || !m || !out || (!c->pods && c->n_pods > 0))
        return PS_EINVAL;
    status_reset(out);
    out->evaluated = true;
    if (target <= 0)
        return fail(out, HPA_ETARGET);
    if (m->fetch == HPA_FETCH_ERROR)
        return fail(out, HPA_EFETCH);
    if (m->fetch == HPA_FETCH_EMPTY)
        return fail(out, HPA_ENOMETRICS);
    if (m->fetch != HPA_FETCH_OK)
        return fail(out, PS_EINVAL);
    return 0;
}

int hpa_calc_object_value(const struct hpa_calc *c, const struct hpa_metric_input *m,
                          int64_t target, struct hpa_metric_status *out)
{
    int rc = value_front(c, m, target, out);
    if (rc)
        return rc;
    int64_t usage = m->object_value_milli;
    if (usage < 0)
        return fail(out, HPA_ENEGMETRIC);
    out->has_value = true;
    out->value_milli = usage;
    return usage_ratio_replicas(c, (double)usage / (double)target, out);
}

int hpa_calc_external_value(const struct hpa_calc *c, const struct hpa_metric_input *m,
                            int64_t target, struct hpa_metric_status *out)
{
    int rc = value_front(c, m, target, out);
    if (rc)
        return rc;
    int64_t usage;
    rc = sum_external(m, &usage);
    if (rc)
        return fail(out, rc);
    out->has_value = true;
    out->value_milli = usage;
    return usage_ratio_replicas(c, (double)usage / (double)target, out);
}

/* Per-pod targets divide by scale.status.replicas; upstream does not guard 0. */
static int per_pod(const struct hpa_calc *c, int64_t usage, int64_t target,
                   struct hpa_metric_status *out)
{
    int32_t sr = c->current_replicas;
    if (sr <= 0 && c->from_zero) {
        /* Scaling from zero: upstream's ratio is usage / (target x 0), +Inf,
         * never within the tolerance, so the count is ceil(usage / target) (0
         * for no usage: NaN is not within either). Its per-pod average divides
         * by zero as well; none is reported. */
        out->replicas = hpa__ceil_i32((double)usage / (double)target);
        return 0;
    }
    if (sr <= 0)
        return fail(out, HPA_ESTATUSREPLICAS);
    double ratio = (double)usage / ((double)target * (double)sr);
    int32_t n = sr;
    if (!is_within(c->tol, ratio))
        n = hpa__ceil_i32((double)usage / (double)target);
    out->replicas = n;
    out->has_average_value = true;
    out->average_value_milli =
        (double)usage >= (double)INT64_MAX ? INT64_MAX : ceil_i64((double)usage / (double)sr);
    return 0;
}

int hpa_calc_object_average(const struct hpa_calc *c, const struct hpa_metric_input *m,
                            int64_t target, struct hpa_metric_status *out)
{
    int rc = value_front(c, m, target, out);
    if (rc)
        return rc;
    if (m->object_value_milli < 0)
        return fail(out, HPA_ENEGMETRIC);
    return per_pod(c, m->object_value_milli, target, out);
}

int hpa_calc_external_average(const struct hpa_calc *c, const struct hpa_metric_input *m,
                              int64_t target, struct hpa_metric_status *out)
{
    int rc = value_front(c, m, target, out);
    if (rc)
        return rc;
    int64_t usage;
    rc = sum_external(m, &usage);
    if (rc)
        return fail(out, rc);
    return per_pod(c, usage, target, out);
}
