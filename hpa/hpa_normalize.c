/*
 * hpa_normalize.c - normalisation of the desired replica count (spec/hpa.md section 7):
 * the legacy path (no behavior) and the behavior path (stabilization windows, Pods and
 * Percent policies, selectPolicy), and the scale-event history they read.
 *
 * The histories live in the caller's struct hpa_state and keep upstream's slice order:
 * a new entry replaces the *last* stale one or is appended, exactly as upstream's
 * recommendation and event slices do, so the same sequence of calls leaves the same list.
 */
#include <string.h>

#include "hpa_internal.h"

/* Upstream defaults of the behavior API (pkg/apis/autoscaling/v2/defaults.go): scale up
 * by max(4 pods, 100%) per 15 s with no window; scale down by 100% per 15 s after the
 * controller's downscale window. */
static const struct hpa_policy default_up_policies[] = {
    {HPA_POLICY_PODS, 4, 15},
    {HPA_POLICY_PERCENT, 100, 15},
};
static const struct hpa_policy default_down_policies[] = {
    {HPA_POLICY_PERCENT, 100, 15},
};

static int64_t sub_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b > 0 ? INT64_MIN : INT64_MAX;
    return r;
}

static int32_t clamp_i32(int64_t v)
{
    if (v > INT32_MAX)
        return INT32_MAX;
    if (v < INT32_MIN)
        return INT32_MIN;
    return (int32_t)v;
}

void hpa_rules_effective(const struct hpa_rules *rules, bool scale_up, int64_t downscale_ms,
                         struct hpa_rules *out)
{
    memset(out, 0, sizeof *out);
    out->has_window = true;
    out->has_select = true;
    out->select = HPA_SELECT_MAX;
    out->has_policies = true;
    if (scale_up) {
        out->window_s = 0;
        out->policies = default_up_policies;
        out->n_policies = sizeof default_up_policies / sizeof default_up_policies[0];
    } else {
        /* The API leaves the scale-down window unset; the controller fills its flag. */
        out->window_s = (int32_t)(downscale_ms / 1000);
        out->policies = default_down_policies;
        out->n_policies = sizeof default_down_policies / sizeof default_down_policies[0];
    }
    if (!rules)
        return;
    if (rules->has_window)
        out->window_s = rules->window_s;
    if (rules->has_select)
        out->select = rules->select;
    if (rules->has_policies) {
        out->policies = rules->policies;
        out->n_policies = rules->n_policies;
    }
    if (rules->has_tolerance) {
        out->has_tolerance = true;
        out->tolerance = rules->tolerance;
    }
}

/* Stores (v, now) in the last stale slot, else appends; at the cap, overwrites the
 * oldest entry (see HPA_MAX_RECS). */
static void recs_store(struct hpa_recs *r, bool found_old, uint32_t old_idx, int32_t v,
                       int64_t now_ms, bool *overflow)
{
    struct hpa_rec rec = {now_ms, v};
    if (found_old) {
        r->e[old_idx] = rec;
    } else if (r->n < HPA_MAX_RECS) {
        r->e[r->n++] = rec;
    } else {
        uint32_t oldest = 0;
        for (uint32_t i = 1; i < r->n; i++)
            if (r->e[i].ts_ms < r->e[oldest].ts_ms)
                oldest = i;
        r->e[oldest] = rec;
        if (overflow)
            *overflow = true;
    }
}

int32_t hpa_stabilize_legacy(struct hpa_recs *recs, int32_t desired, int64_t window_ms,
                             int64_t now_ms, bool *overflow)
{
    int32_t max = desired;
    bool found_old = false;
    uint32_t old_idx = 0;
    int64_t cutoff = sub_sat(now_ms, window_ms);
    for (uint32_t i = 0; i < recs->n; i++) {
        if (recs->e[i].ts_ms < cutoff) {
            found_old = true;
            old_idx = i;
        } else if (recs->e[i].replicas > max) {
            max = recs->e[i].replicas;
        }
    }
    recs_store(recs, found_old, old_idx, desired, now_ms, overflow);
    return max;
}

int32_t hpa_convert_legacy(int32_t current, int32_t desired, int32_t min, int32_t max,
                           double up_factor, double up_minimum, enum hpa_reason *reason)
{
    /* Guards against a bogus usage spike (upstream issue #32304): at most
     * max(factor * current, minimum) in one step. */
    double lim = up_factor * (double)current;
    if (!(lim >= up_minimum))
        lim = up_minimum;
    int32_t up_limit = hpa__trunc_i32(lim);
    int32_t allowed_max;
    enum hpa_reason limit_reason;
    if (max > up_limit) {
        allowed_max = up_limit;
        limit_reason = HPA_REASON_SCALE_UP_LIMIT;
    } else {
        allowed_max = max;
        limit_reason = HPA_REASON_TOO_MANY_REPLICAS;
    }
    if (desired < min) {
        *reason = HPA_REASON_TOO_FEW_REPLICAS;
        return min;
    }
    if (desired > allowed_max) {
        *reason = limit_reason;
        return allowed_max;
    }
    *reason = HPA_REASON_DESIRED_WITHIN_RANGE;
    return desired;
}

int32_t hpa_stabilize_behavior(struct hpa_recs *recs, int32_t current, int32_t desired,
                               int64_t up_window_ms, int64_t down_window_ms, int64_t now_ms,
                               enum hpa_reason *reason, bool *overflow)
{
    int64_t up_cutoff = sub_sat(now_ms, up_window_ms);
    int64_t down_cutoff = sub_sat(now_ms, down_window_ms);
    int32_t up_rec = desired, down_rec = desired;
    bool found_old = false;
    uint32_t old_idx = 0;
    for (uint32_t i = 0; i < recs->n; i++) {
        const struct hpa_rec *r = &recs->e[i];
        if (r->ts_ms > up_cutoff && r->replicas < up_rec)
            up_rec = r->replicas;
        if (r->ts_ms > down_cutoff && r->replicas > down_rec)
            down_rec = r->replicas;
        if (r->ts_ms < up_cutoff && r->ts_ms < down_cutoff) {
            found_old = true;
            old_idx = i;
        }
    }
    /* No higher than the lowest recent recommendation going up, no lower than the
     * highest going down; when the windows disagree this holds at current. */
    int32_t rec = current;
    if (rec < up_rec)
        rec = up_rec;
    if (rec > down_rec)
        rec = down_rec;
    recs_store(recs, found_old, old_idx, desired, now_ms, overflow);
    if (reason)
        *reason =
            desired >= current ? HPA_REASON_SCALE_UP_STABILIZED : HPA_REASON_SCALE_DOWN_STABILIZED;
    return rec;
}

int32_t hpa_change_in_period(const struct hpa_events *ev, int32_t period_s, int64_t now_ms)
{
    int64_t cutoff = sub_sat(now_ms, (int64_t)period_s * 1000);
    int64_t sum = 0;
    for (uint32_t i = 0; i < ev->n; i++)
        if (ev->e[i].ts_ms > cutoff)
            sum += ev->e[i].change;
    return clamp_i32(sum);
}

static int64_t period_start(int32_t current, const struct hpa_events *up,
                            const struct hpa_events *down, int32_t period_s, int64_t now_ms)
{
    return (int64_t)current - hpa_change_in_period(up, period_s, now_ms) +
           hpa_change_in_period(down, period_s, now_ms);
}

int32_t hpa_scale_up_limit(int32_t current, const struct hpa_events *up,
                           const struct hpa_events *down, const struct hpa_rules *rules,
                           int64_t now_ms)
{
    if (rules->select == HPA_SELECT_DISABLED)
        return current;
    bool pick_min = rules->select == HPA_SELECT_MIN;
    int64_t result = pick_min ? INT32_MAX : INT32_MIN;
    for (size_t i = 0; i < rules->n_policies; i++) {
        const struct hpa_policy *p = &rules->policies[i];
        int64_t start = period_start(current, up, down, p->period_s, now_ms);
        int64_t proposed;
        if (p->type == HPA_POLICY_PODS)
            proposed = start + p->value;
        else /* rounded up, or a small percentage would never add a pod */
            proposed = hpa__ceil_i32((double)start * (1 + (double)p->value / 100));
        proposed = clamp_i32(proposed);
        if (pick_min ? proposed < result : proposed > result)
            result = proposed;
    }
    return (int32_t)result;
}

int32_t hpa_scale_down_limit(int32_t current, const struct hpa_events *up,
                             const struct hpa_events *down, const struct hpa_rules *rules,
                             int64_t now_ms)
{
    if (rules->select == HPA_SELECT_DISABLED)
        return current;
    /* For scale-down the "Min" change is the highest count. */
    bool pick_max = rules->select == HPA_SELECT_MIN;
    int64_t result = pick_max ? INT32_MIN : INT32_MAX;
    for (size_t i = 0; i < rules->n_policies; i++) {
        const struct hpa_policy *p = &rules->policies[i];
        int64_t start = period_start(current, up, down, p->period_s, now_ms);
        int64_t proposed;
        if (p->type == HPA_POLICY_PODS)
            proposed = start - p->value;
        else /* truncated toward zero, as the Go conversion does */
            proposed = hpa__trunc_i32((double)start * (1 - (double)p->value / 100));
        proposed = clamp_i32(proposed);
        if (pick_max ? proposed > result : proposed < result)
            result = proposed;
    }
    return (int32_t)result;
}

int32_t hpa_convert_behavior(int32_t current, int32_t desired, int32_t min, int32_t max,
                             const struct hpa_rules *up_rules, const struct hpa_rules *down_rules,
                             const struct hpa_events *up, const struct hpa_events *down,
                             int64_t now_ms, enum hpa_reason *reason)
{
    if (desired > current) {
        int32_t lim = hpa_scale_up_limit(current, up, down, up_rules, now_ms);
        if (lim < current)
            lim = current; /* earlier scale-ups used the budget: hold, never go down */
        int32_t allowed;
        enum hpa_reason r;
        if (max > lim) {
            allowed = lim;
            r = HPA_REASON_SCALE_UP_LIMIT;
        } else {
            allowed = max;
            r = HPA_REASON_TOO_MANY_REPLICAS;
        }
        if (desired > allowed) {
            *reason = r;
            return allowed;
        }
    } else if (desired < current) {
        int32_t lim = hpa_scale_down_limit(current, up, down, down_rules, now_ms);
        if (lim > current)
            lim = current;
        int32_t allowed;
        enum hpa_reason r;
        if (min < lim) {
            allowed = lim;
            r = HPA_REASON_SCALE_DOWN_LIMIT;
        } else {
            allowed = min;
            r = HPA_REASON_TOO_FEW_REPLICAS;
        }
        if (desired < allowed) {
            *reason = r;
            return allowed;
        }
    }
    *reason = HPA_REASON_DESIRED_WITHIN_RANGE;
    return desired;
}

void hpa_store_scale_event(struct hpa_events *ev, const struct hpa_rules *rules, int32_t prev,
                           int32_t next, int64_t now_ms, bool *overflow)
{
    if (!rules)
        return; /* without behavior nothing reads the events */
    int32_t longest = 0;
    for (size_t i = 0; i < rules->n_policies; i++)
        if (rules->policies[i].period_s > longest)
            longest = rules->policies[i].period_s;
    int64_t cutoff = sub_sat(now_ms, (int64_t)longest * 1000);
    bool found_old = false;
    uint32_t old_idx = 0;
    for (uint32_t i = 0; i < ev->n; i++) {
        if (ev->e[i].ts_ms < cutoff)
            ev->e[i].outdated = true; /* kept for reuse, never deleted */
        if (ev->e[i].outdated) {
            found_old = true;
            old_idx = i;
        }
    }
    int64_t change = (int64_t)next - prev;
    struct hpa_scale_event e = {now_ms, clamp_i32(change < 0 ? -change : change), false};
    if (found_old) {
        ev->e[old_idx] = e;
    } else if (ev->n < HPA_MAX_EVENTS) {
        ev->e[ev->n++] = e;
    } else {
        uint32_t oldest = 0;
        for (uint32_t i = 1; i < ev->n; i++)
            if (ev->e[i].ts_ms < ev->e[oldest].ts_ms)
                oldest = i;
        ev->e[oldest] = e;
        if (overflow)
            *overflow = true;
    }
}
