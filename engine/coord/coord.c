/*
 * The non-conflict coordinator: rules 1 to 5 of DESIGN.md section 2.
 * Pure: time is an argument, state is the caller's, nothing is allocated.
 */
#include <math.h>
#include <string.h>

#include "podscaler/coord.h"

/* Pods whose replica count changed between two consecutive steps before the
 * first-difference estimate of the fixed part is trusted over the idle floor:
 * fewer pairs are dominated by whatever the load did at those moments. */
#define GSM_MIN_PAIRS 8
/* Auto's first choice waits for this many filled pressure slots (a quarter of
 * the window): one sample is no history. */
#define AUTO_MIN_SLOTS (COORD_SLOTS / 4)
/* Weight of a new step in the moving mean per-pod usage: about a day of 5-minute
 * steps, or six hours of 15-second ones, dominate it. */
#define GSM_MEAN_ALPHA 0.01
/* autoscaling/v2 default average utilization (pkg/apis/autoscaling/v2/defaults.go). */
#define PS_COORD_MEMORY_TARGET 80

const char *coord_strerror(int code)
{
    switch (code) {
    case COORD_EVIOLATION:
        return "coordinator invariant violated: a vertical change touches a resource the "
               "horizontal scaler owns";
    case COORD_EPARAMS:
        return "coordination parameters out of range";
    default:
        return ps_strerror(code);
    }
}

const char *coord_resource_name(enum coord_resource r)
{
    return r == COORD_CPU ? "cpu" : r == COORD_MEMORY ? "memory" : "?";
}

const char *coord_owner_name(enum coord_owner o)
{
    switch (o) {
    case COORD_OWNER_HORIZONTAL:
        return "horizontal";
    case COORD_OWNER_VERTICAL:
        return "vertical";
    default:
        return "none";
    }
}

const char *coord_gate_reason_name(enum coord_gate_reason r)
{
    switch (r) {
    case COORD_GATE_OK:
        return "allowed";
    case COORD_GATE_STABILIZING:
        return "horizontal scale event inside its stabilization window";
    case COORD_GATE_MIN_AVAILABLE:
        return "a restart would leave fewer than minReplicas pods available";
    case COORD_GATE_DAILY_CAP:
        return "daily cap on vertical changes reached";
    case COORD_GATE_HISTORY:
        return "too little usage history to lower a request";
    }
    return "?";
}

void coord_params_default(struct coord_params *p)
{
    p->bottleneck = COORD_BN_AUTO;
    /* The VPA's target percentile is 0.9; pressure looks a little higher so the
     * resource that runs hot in bursts is the one scaled out. */
    p->pressure_percentile = 0.95;
    /* A day: the bottleneck is a property of the workload's daily cycle, not of
     * one burst; shorter windows made bursty VMs switch every few hours in replay
     * (docs/evaluation.md), and every switch costs a transient. */
    p->window_ms = INT64_C(24) * 3600 * 1000;
    p->switch_margin = 0.20;
    /* Two hours of continuous lead: longer than any burst the window smooths,
     * short enough to follow a change of workload within a day. */
    p->switch_sustain_ms = INT64_C(2) * 3600 * 1000;
    /* Horizontal scaling relieves only the shared part of usage: a resource that
     * is less than 30% load (memory of most services) would have the HPA add
     * replicas that relieve nothing. */
    p->min_load_share = 0.3;
    /* The HPA default, as for cpu. A lower target leaves pods more room before
     * their memory request (fewer would-be OOMs on bursty memory) at the cost of
     * slack: docs/evaluation.md measured 60 and 45 against 80. */
    p->memory_target_utilization = PS_COORD_MEMORY_TARGET;
    p->max_vertical_changes_per_day = 4;
    /* HPA default scale-down stabilization window, autoscaling/v2
     * behavior.scaleDown.stabilizationWindowSeconds = 300. */
    p->disruption_window_ms = INT64_C(300) * 1000;
    /* An HPA that lets a pod's memory pass its request is not protecting it:
     * the pod is OOM-killed before the scale-out it triggers lands. */
    p->memory_outrun_budget = 0;
    /* An HPA's scale-up for a burst is undone within minutes to an hour; two
     * hours, as the switch sustain, outlast it. Measured in docs/evaluation.md:
     * would-be OOMs on bitbrains 451 -> 351 and on google2011 76 -> 69. */
    p->group_settle_ms = INT64_C(2) * 3600 * 1000;
    p->release_at_min = true;
    /* Upstream's updater lowers requests on the first recommendation. Measured in
     * docs/evaluation.md, a day's hold cuts the would-be OOMs from requests set at
     * 1.2 times the peak by a quarter to a half, for one to three points of
     * slack: the policy's call. */
    p->lower_after_ms = 0;
}

int coord_params_validate(const struct coord_params *p)
{
    if (!(p->pressure_percentile > 0.0 && p->pressure_percentile <= 1.0))
        return COORD_EPARAMS;
    if (p->window_ms < COORD_SLOTS || p->switch_sustain_ms < 0 || p->disruption_window_ms < 0)
        return COORD_EPARAMS;
    if (!(p->switch_margin >= 0.0 && p->switch_margin < 100.0))
        return COORD_EPARAMS;
    if (!(p->min_load_share >= 0.0 && p->min_load_share <= 1.0))
        return COORD_EPARAMS;
    if (p->memory_target_utilization < 1 || p->memory_target_utilization > 1000)
        return COORD_EPARAMS;
    if (p->max_vertical_changes_per_day < 0 ||
        p->max_vertical_changes_per_day >= COORD_CHANGES_RING)
        return COORD_EPARAMS;
    if (p->bottleneck < COORD_BN_AUTO || p->bottleneck > COORD_BN_METRICS)
        return COORD_EPARAMS;
    if (p->memory_outrun_budget < 0 || p->memory_outrun_budget >= UINT16_MAX)
        return COORD_EPARAMS;
    if (p->group_settle_ms < 0 || p->lower_after_ms < 0)
        return COORD_EPARAMS;
    return 0;
}

void coord_state_init(struct coord_state *st)
{
    memset(st, 0, sizeof *st);
    st->bottleneck = -1;
    st->lead_since_ms = INT64_MIN;
    st->last_switch_ms = INT64_MIN;
    st->last_scale_event_ms = INT64_MIN;
    st->released = -1;
    st->idle_since_ms = INT64_MIN;
    st->first_seen_ms = INT64_MIN;
    for (int i = 0; i < COORD_SLOTS; i++)
        st->slots[i].start_ms = INT64_MIN;
    for (int r = 0; r < COORD_NRES; r++) {
        st->gsm[r].prev_total = NAN;
        st->gsm[r].floor_per_pod = NAN;
        st->gsm[r].mean_per_pod = NAN;
    }
}

static int64_t slot_width(const struct coord_params *p)
{
    return p->window_ms / COORD_SLOTS;
}

/* Slots are aligned to multiples of the slot width, so the ring index of a time
 * is fixed and a slot is reused once its time has left the window. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int gsm_check(double v)
{
    if (isnan(v) || isinf(v))
        return PS_ENAN;
    if (v < 0)
        return PS_ENEGATIVE;
    return 0;
}

int coord_observe(struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                  const struct coord_pod_sample *pods, size_t n_pods)
{
    if (!st || !p || (n_pods && !pods))
        return PS_EINVAL;
    int64_t w = slot_width(p);
    if (w <= 0)
        return COORD_EPARAMS;
    /* Validate everything first: a bad sample leaves the state untouched. */
    for (size_t i = 0; i < n_pods; i++) {
        for (int r = 0; r < COORD_NRES; r++) {
            int rc = gsm_check(pods[i].usage[r]);
            if (rc)
                return rc;
            if (isnan(pods[i].request[r]) || isinf(pods[i].request[r]))
                return PS_ENAN;
        }
    }
    const int64_t slot_i = floor_div(now_ms, w);
    int64_t start = slot_i * w;
    int idx = (int)(((slot_i % COORD_SLOTS) + COORD_SLOTS) % COORD_SLOTS);
    struct coord_slot *s = &st->slots[idx];
    if (s->start_ms != INT64_MIN && s->start_ms > start)
        return PS_ETIME;
    if (s->start_ms != start) {
        s->start_ms = start;
        s->pressure[COORD_CPU] = -1.0f;
        s->pressure[COORD_MEMORY] = -1.0f;
        s->outruns = 0;
        st->cache_valid = 0;
    }

    int replicas = (int)n_pods;
    if (st->first_seen_ms == INT64_MIN)
        st->first_seen_ms = now_ms;
    if (st->ref_replicas == 0 && n_pods > 0)
        st->ref_replicas = replicas;
    for (int r = 0; r < COORD_NRES; r++) {
        if (st->ref_request[r] > 0)
            continue;
        for (size_t i = 0; i < n_pods; i++)
            if (pods[i].request[r] > 0) {
                st->ref_request[r] = pods[i].request[r];
                break;
            }
    }
    /* The cached pressures cover this slot (it is the newest of their window):
     * see the raise below. */
    const int cache_has_slot =
        st->cache_valid && st->cache_hi == slot_i && st->cache_window_ms == p->window_ms;
    double total[COORD_NRES] = {0, 0};
    for (int r = 0; r < COORD_NRES; r++) {
        for (size_t i = 0; i < n_pods; i++)
            total[r] += pods[i].usage[r];
        const double fixed = coord_gsm_fixed(&st->gsm[r]);
        const double mean = n_pods ? total[r] / (double)n_pods : 0.0;
        for (size_t i = 0; i < n_pods; i++) {
            if (pods[i].request[r] > 0 && st->ref_request[r] > 0) {
                double u = coord_gsm_rescale_pod(fixed, pods[i].usage[r], mean, replicas,
                                                 st->ref_replicas);
                float ratio = (float)(u / st->ref_request[r]);
                if (ratio > s->pressure[r]) {
                    /* A nearest-rank percentile x stays x when one value already
                     * counted (>= 0) rises to at most x: no value crosses it. Most
                     * steps raise their slot's maximum that little. */
                    if (!(cache_has_slot && s->pressure[r] >= 0.0f &&
                          (double)ratio <= st->cache_pressure[r]))
                        st->cache_valid = 0;
                    s->pressure[r] = ratio;
                }
            }
        }
    }
    st->last_replicas = replicas;
    st->last_total[COORD_CPU] = total[COORD_CPU];
    st->last_total[COORD_MEMORY] = total[COORD_MEMORY];
    if (n_pods == 0)
        return 0;

    for (int r = 0; r < COORD_NRES; r++) {
        struct coord_gsm *g = &st->gsm[r];
        if (total[r] <= 0)
            continue; /* a step without usage says nothing about the split */
        double per_pod = total[r] / replicas;
        if (isnan(g->floor_per_pod) || per_pod < g->floor_per_pod)
            g->floor_per_pod = per_pod;
        g->mean_per_pod = isnan(g->mean_per_pod)
                              ? per_pod
                              : g->mean_per_pod + GSM_MEAN_ALPHA * (per_pod - g->mean_per_pod);
        if (!isnan(g->prev_total) && g->prev_replicas > 0 && g->prev_replicas != replicas) {
            /* First differences cancel the slowly moving load: across a replica
             * change at steady load, total usage moves by a per added pod. */
            double dr = (double)(replicas - g->prev_replicas);
            g->sum_dudr += (total[r] - g->prev_total) * dr;
            g->sum_drdr += dr * dr;
            g->pairs++;
        }
        g->prev_total = total[r];
        g->prev_replicas = replicas;
    }
    return 0;
}

int coord_settled_replicas(struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                           int replicas)
{
    if (!st || !p || replicas <= 0)
        return PS_EINVAL;
    if (st->group_len > 0) {
        const int newest = (st->group_head + st->group_len - 1) % COORD_GROUP_RING;
        if (now_ms < st->group_ms[newest])
            return PS_ETIME;
    }
    /* Counts at or above the new one are no longer anyone's minimum. */
    while (st->group_len > 0) {
        const int tail = (st->group_head + st->group_len - 1) % COORD_GROUP_RING;
        if (st->group_n[tail] < replicas)
            break;
        st->group_len--;
    }
    if (st->group_len == COORD_GROUP_RING)
        st->group_len--; /* full of rising counts: the newest gives way */
    const int tail = (st->group_head + st->group_len) % COORD_GROUP_RING;
    st->group_ms[tail] = now_ms;
    st->group_n[tail] = replicas;
    st->group_len++;
    /* Counts seen before the window leave; the one just recorded never does. */
    while (st->group_len > 1 && now_ms - st->group_ms[st->group_head] >= p->group_settle_ms) {
        st->group_head = (uint8_t)((st->group_head + 1) % COORD_GROUP_RING);
        st->group_len--;
    }
    return st->group_n[st->group_head];
}

int coord_note_outrun(struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                      int pods)
{
    if (!st || !p || pods < 0)
        return PS_EINVAL;
    int64_t w = slot_width(p);
    if (w <= 0)
        return COORD_EPARAMS;
    const int64_t slot_i = floor_div(now_ms, w);
    struct coord_slot *s = &st->slots[(int)(((slot_i % COORD_SLOTS) + COORD_SLOTS) % COORD_SLOTS)];
    if (s->start_ms != slot_i * w)
        return PS_ETIME;
    int v = s->outruns + pods;
    v = v > UINT16_MAX ? UINT16_MAX : v;
    /* The newest slot of a valid cache: its count moves with the slot's. */
    if (st->cache_valid && st->cache_hi == slot_i)
        st->cache_outruns += v - s->outruns;
    s->outruns = (uint16_t)v;
    return 0;
}

int coord_note_vertical_bound(struct coord_state *st, enum coord_resource r, double per_pod)
{
    if (!st || (r != COORD_CPU && r != COORD_MEMORY))
        return PS_EINVAL;
    const int rc = gsm_check(per_pod);
    if (rc)
        return rc;
    st->vertical_bound[r] = per_pod;
    return 0;
}

/* The load of the last observation fits minReplicas pods at half the HPA's
 * target for r, at the reference request. */
static bool fits_half_target(const struct coord_state *st, const struct coord_horizontal *h, int r)
{
    return coord_projected_replicas(st->last_total[r], st->ref_request[r],
                                    (h->target_utilization[r] + 1) / 2, h->min_replicas,
                                    INT32_MAX) <= h->min_replicas;
}

int coord_release_candidate(const struct coord_state *st, const struct coord_params *p,
                            const struct coord_horizontal *h)
{
    if (!st || !p || !h || !p->release_at_min || !h->enabled || !h->vertical || h->names_cpu ||
        h->names_memory || h->names_other || h->min_replicas <= 0 || st->last_replicas <= 0)
        return -1;
    /* A release needs the group at minReplicas; once released it lasts while
     * the load fits them. */
    if (st->released < 0 && st->last_replicas > h->min_replicas)
        return -1;
    int r = st->released;
    if (r < 0)
        r = p->bottleneck == COORD_BN_CPU      ? COORD_CPU
            : p->bottleneck == COORD_BN_MEMORY ? COORD_MEMORY
            : p->bottleneck == COORD_BN_AUTO   ? (st->bottleneck >= 0 ? st->bottleneck : COORD_CPU)
                                               : -1;
    if (r < 0 || h->target_utilization[r] <= 0 || st->ref_request[r] <= 0)
        return -1;
    if (coord_projected_replicas(st->last_total[r], st->ref_request[r], h->target_utilization[r],
                                 h->min_replicas, INT32_MAX) > h->min_replicas)
        return -1;
    /* cpu is released, and stays so, without a bound while the load fits at
     * half the target: the bound would change nothing. */
    if (r == COORD_CPU && (st->released == COORD_CPU || fits_half_target(st, h, r)))
        return -1;
    return r;
}

int coord_outruns(const struct coord_state *st, const struct coord_params *p, int64_t now_ms)
{
    const int64_t oldest = now_ms - p->window_ms, w = slot_width(p);
    int n = 0;
    for (int i = 0; i < COORD_SLOTS; i++) {
        const struct coord_slot *s = &st->slots[i];
        if (s->start_ms != INT64_MIN && s->start_ms + w > oldest && s->start_ms <= now_ms)
            n += s->outruns;
    }
    return n;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Insertion sort: at most COORD_SLOTS values, and no qsort callback overhead. */
static void sort_floats(float *v, int n)
{
    for (int i = 1; i < n; i++) {
        float x = v[i];
        int j = i - 1;
        while (j >= 0 && cmp_float(&v[j], &x) > 0) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

/* The nearest-rank percentile pct of v[0..n), n > 0 (v is reordered). */
static double rank_value(float *v, int n, double pct)
{
    int k = (int)ceil(pct * n) - 1;
    if (k < 0)
        k = 0;
    if (k >= n / 2) {
        /* The (n - k) largest, in decreasing order: v[k] of the sorted array is
         * the last of them (slot pressures are never NaN). */
        float top[COORD_SLOTS];
        int m = n - k, have = 0;
        for (int i = 0; i < n; i++) {
            float x = v[i];
            if (have == m && !(x > top[m - 1]))
                continue;
            int j = have < m ? have++ : m - 1;
            while (j > 0 && top[j - 1] < x) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = x;
        }
        return top[m - 1];
    }
    sort_floats(v, n);
    return v[k];
}

double coord_pressure(const struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                      enum coord_resource r)
{
    float v[COORD_SLOTS];
    int n = 0;
    int64_t oldest = now_ms - p->window_ms;
    for (int i = 0; i < COORD_SLOTS; i++) {
        const struct coord_slot *s = &st->slots[i];
        if (s->start_ms == INT64_MIN || s->start_ms + slot_width(p) <= oldest ||
            s->start_ms > now_ms || s->pressure[r] < 0)
            continue;
        v[n++] = s->pressure[r];
    }
    if (n == 0)
        return NAN;
    /* Nearest-rank percentile over the slots in the window. */
    return rank_value(v, n, p->pressure_percentile);
}

/* coord_pressure of both resources from one walk over the slots. */
static void pressure_both(const struct coord_state *st, const struct coord_params *p,
                          int64_t now_ms, double out[COORD_NRES])
{
    float v[COORD_NRES][COORD_SLOTS];
    int n[COORD_NRES] = {0, 0};
    const int64_t oldest = now_ms - p->window_ms, w = slot_width(p);
    for (int i = 0; i < COORD_SLOTS; i++) {
        const struct coord_slot *s = &st->slots[i];
        if (s->start_ms == INT64_MIN || s->start_ms + w <= oldest || s->start_ms > now_ms)
            continue;
        for (int r = 0; r < COORD_NRES; r++) {
            /* Stored always, kept (counted) unless negative: no branch to mispredict. */
            v[r][n[r]] = s->pressure[r];
            n[r] += !(s->pressure[r] < 0);
        }
    }
    for (int r = 0; r < COORD_NRES; r++)
        out[r] = n[r] == 0 ? NAN : rank_value(v[r], n[r], p->pressure_percentile);
}

static void own(struct coord_ownership *o, int h_res)
{
    o->bottleneck = h_res;
    for (int r = 0; r < COORD_NRES; r++)
        o->owner[r] = r == h_res ? COORD_OWNER_HORIZONTAL : COORD_OWNER_VERTICAL;
}

static int slots_in_window(const struct coord_state *st, const struct coord_params *p,
                           int64_t now_ms)
{
    int n = 0;
    for (int i = 0; i < COORD_SLOTS; i++) {
        const struct coord_slot *s = &st->slots[i];
        if (s->start_ms != INT64_MIN && s->start_ms + slot_width(p) > now_ms - p->window_ms &&
            s->start_ms <= now_ms)
            n++;
    }
    return n;
}

/* coord_pressure for both resources, and coord_outruns, through the cache: a
 * slot is in the window exactly when its index lies in
 * [floor((now - window) / w), floor(now / w)], so the result can only change
 * with those two indices, a slot's value, or the parameters. Auto asks every
 * step; the answer changes once a slot at most. */
static void pressures(struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                      double out[COORD_NRES], int *outruns)
{
    int64_t w = slot_width(p);
    int64_t lo = floor_div(now_ms - p->window_ms, w), hi = floor_div(now_ms, w);
    if (!st->cache_valid || st->cache_lo != lo || st->cache_hi != hi ||
        st->cache_window_ms != p->window_ms || st->cache_pct != p->pressure_percentile) {
        pressure_both(st, p, now_ms, st->cache_pressure);
        st->cache_outruns = coord_outruns(st, p, now_ms);
        st->cache_lo = lo;
        st->cache_hi = hi;
        st->cache_window_ms = p->window_ms;
        st->cache_pct = p->pressure_percentile;
        st->cache_valid = 1;
    }
    for (int r = 0; r < COORD_NRES; r++)
        out[r] = st->cache_pressure[r];
    *outruns = st->cache_outruns;
}

/* Auto hands the bottleneck to `to`, for `why`. */
static void auto_switch(struct coord_state *st, int64_t now_ms, int to, enum coord_reason why,
                        struct coord_ownership *out)
{
    out->previous = st->bottleneck;
    st->bottleneck = (int8_t)to;
    st->last_switch_ms = now_ms;
    st->lead_since_ms = INT64_MIN;
    st->switches++;
    own(out, to);
    out->changed = true;
    out->reason = why;
}

/* Auto keeps `cur`, for `why`, and no lead is running. */
static void auto_stay(struct coord_state *st, int cur, enum coord_reason why,
                      struct coord_ownership *out)
{
    st->lead_since_ms = INT64_MIN;
    own(out, cur);
    out->reason = why;
}

/* Auto: the challenger must lead by the margin for switch_sustain_ms in a row,
 * and be a resource that adding replicas relieves. */
static void auto_bottleneck(struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                            struct coord_ownership *out)
{
    double pr[COORD_NRES];
    pressures(st, p, now_ms, pr, &out->outruns);
    double pc = pr[COORD_CPU], pm = pr[COORD_MEMORY];
    out->pressure[COORD_CPU] = pc;
    out->pressure[COORD_MEMORY] = pm;
    bool eligible[COORD_NRES];
    for (int r = 0; r < COORD_NRES; r++) {
        out->load_share[r] = coord_gsm_load_share(&st->gsm[r]);
        eligible[r] = out->load_share[r] >= p->min_load_share;
    }
    const bool outrun = out->outruns > p->memory_outrun_budget;
    if (st->bottleneck < 0) {
        if ((isnan(pc) && isnan(pm)) || slots_in_window(st, p, now_ms) < AUTO_MIN_SLOTS) {
            /* Not enough history: CPU, as the stock HPA's default metric. */
            own(out, COORD_CPU);
            out->reason = COORD_R_AUTO_NO_HISTORY;
            return;
        }
        /* CPU unless memory leads by the switching margin and is load-driven:
         * the same bar a later switch to memory must clear. */
        int pick = (!isnan(pm) && eligible[COORD_MEMORY] && !outrun &&
                    (isnan(pc) || pm > pc * (1.0 + p->switch_margin)))
                       ? COORD_MEMORY
                       : COORD_CPU;
        st->bottleneck = (int8_t)pick;
        st->last_switch_ms = now_ms;
        st->lead_since_ms = INT64_MIN;
        own(out, pick);
        /* Before the first choice cpu was reported as the owner: only a first
         * choice of memory changes anything. */
        out->changed = pick != COORD_CPU;
        out->reason = COORD_R_AUTO_FIRST;
        return;
    }
    int cur = st->bottleneck, other = 1 - cur;
    if (cur == COORD_MEMORY && outrun) {
        /* Not a contest of pressures, so no sustain: every step memory stays
         * with the HPA may kill a pod. It is taken back at once. A release
         * follows a switch to memory (or a first choice of it, which the
         * outruns would have prevented), so releases never outnumber the
         * switches the hysteresis allows. */
        auto_switch(st, now_ms, COORD_CPU, COORD_R_AUTO_OUTRUN, out);
        return;
    }
    double pcur = cur == COORD_CPU ? pc : pm, poth = cur == COORD_CPU ? pm : pc;
    bool leads = !isnan(poth) && (isnan(pcur) || poth > pcur * (1.0 + p->switch_margin));
    if (leads && other == COORD_MEMORY && outrun) {
        auto_stay(st, cur, COORD_R_AUTO_OUTRUN, out);
        return;
    }
    if (leads && !eligible[other]) {
        auto_stay(st, cur, COORD_R_AUTO_INELIGIBLE, out);
        return;
    }
    if (!leads) {
        auto_stay(st, cur, COORD_R_AUTO_STAYS, out);
        return;
    }
    if (st->lead_since_ms == INT64_MIN)
        st->lead_since_ms = now_ms;
    if (now_ms - st->lead_since_ms < p->switch_sustain_ms) {
        own(out, cur);
        out->reason = COORD_R_AUTO_CHALLENGED;
        out->lead_ms = now_ms - st->lead_since_ms;
        return;
    }
    auto_switch(st, now_ms, other, COORD_R_AUTO_SWITCH, out);
}

/* `res` released: no horizontal owner. */
static void own_released(struct coord_ownership *out, int res, bool changed)
{
    for (int r = 0; r < COORD_NRES; r++)
        out->owner[r] = COORD_OWNER_VERTICAL;
    out->bottleneck = -1;
    out->released = res;
    out->changed = changed;
    out->reason = COORD_R_RELEASED;
}

/* release_at_min, after rule 3 or a fixed bottleneck chose out->bottleneck. */
static void release_step(struct coord_state *st, const struct coord_params *p,
                         const struct coord_horizontal *h, int64_t now_ms,
                         struct coord_ownership *out)
{
    const int bn = out->bottleneck;
    /* A reference request the vertical scaler would lower is one no load at
     * minReplicas justifies: a user's request above the peak leaves an HPA on
     * it idle for good (bitbrains-rnd from requests at 1.2 x the peak: memory
     * 27% above `vpa`'s, 36,827 GiB-hours). cpu goes at half the target
     * whatever its bound, and stays: for cpu the bound matters only above that
     * (coord_release_candidate asks for it only then). */
    const bool oversized =
        bn >= 0 && st->vertical_bound[bn] > 0 && st->ref_request[bn] > st->vertical_bound[bn] &&
        h->target_utilization[bn] > 0 &&
        !(bn == COORD_CPU && (st->released == COORD_CPU || fits_half_target(st, h, bn)));
    /* Memory only when oversized: its request over the usage is what keeps a
     * spike from an OOM kill, and a release below a request the vertical scaler
     * would keep cost would-be OOMs for no slack (docs/evaluation.md). */
    const bool able = p->release_at_min && h->vertical && bn >= 0 &&
                      (bn == COORD_CPU || oversized) && h->min_replicas > 0 &&
                      h->target_utilization[bn] > 0 && st->ref_request[bn] > 0 &&
                      st->last_replicas > 0;
    out->min_replicas = h->min_replicas;
    out->target_utilization = bn >= 0 ? h->target_utilization[bn] : 0;
    out->oversized = oversized;
    /* Also where no release can hold: a take-back's reason says which
     * condition ended it. */
    if (bn >= 0 && h->target_utilization[bn] > 0 && st->ref_request[bn] > 0)
        out->needed =
            coord_projected_replicas(st->last_total[bn], st->ref_request[bn],
                                     h->target_utilization[bn], h->min_replicas, INT32_MAX);
    if (st->released >= 0) {
        const int was = st->released;
        if (able && bn == was && out->needed <= h->min_replicas) {
            own_released(out, was, false);
            out->idle_ms = now_ms - st->idle_since_ms;
            return;
        }
        /* The load needs pods again, the vertical scaler would now keep the
         * reference request, or Auto moved on: the horizontal scaler owns
         * out->bottleneck as chosen. */
        st->released = -1;
        st->idle_since_ms = INT64_MIN;
        out->released = was;
        out->previous = -1;
        out->changed = bn >= 0;
        if (bn >= 0)
            out->reason = COORD_R_TAKEN_BACK;
        return;
    }
    /* Idle: the load would fit minReplicas pods at half the target, so that the
     * release is for a request clearly larger than the load needs, and the
     * load must double before it is taken back; or, when the vertical scaler
     * would lower the reference request, at the whole target: that request is
     * larger than the load needs by the vertical scaler's own measure. Not
     * before the history Auto needs for a first choice: the vertical scaler's
     * estimate of a resource it never sized needs it as much. */
    const bool idle = able && out->reason != COORD_R_AUTO_NO_HISTORY &&
                      st->last_replicas <= h->min_replicas && !out->changed &&
                      (oversized ? out->needed <= h->min_replicas : fits_half_target(st, h, bn)) &&
                      slots_in_window(st, p, now_ms) >= AUTO_MIN_SLOTS;
    if (!idle) {
        st->idle_since_ms = INT64_MIN;
        return;
    }
    if (st->idle_since_ms == INT64_MIN)
        st->idle_since_ms = now_ms;
    out->idle_ms = now_ms - st->idle_since_ms;
    if (out->idle_ms < p->switch_sustain_ms)
        return;
    st->released = (int8_t)bn;
    out->previous = bn;
    own_released(out, bn, true);
}

int coord_decide_ownership(struct coord_state *st, const struct coord_params *p,
                           const struct coord_horizontal *h, int64_t now_ms,
                           struct coord_ownership *out)
{
    if (!st || !p || !h || !out)
        return PS_EINVAL;
    memset(out, 0, sizeof *out);
    out->bottleneck = -1;
    out->previous = -1;
    out->released = -1;
    out->pressure[COORD_CPU] = out->pressure[COORD_MEMORY] = NAN;

    if (!h->enabled) {
        for (int r = 0; r < COORD_NRES; r++)
            out->owner[r] = h->vertical ? COORD_OWNER_VERTICAL : COORD_OWNER_NONE;
        out->reason = COORD_R_NO_HORIZONTAL;
        return 0;
    }
    /* Rule 1: explicit resource metrics name what the horizontal scaler owns. */
    if (h->names_cpu || h->names_memory) {
        out->owner[COORD_CPU] = h->names_cpu ? COORD_OWNER_HORIZONTAL : COORD_OWNER_VERTICAL;
        out->owner[COORD_MEMORY] = h->names_memory ? COORD_OWNER_HORIZONTAL : COORD_OWNER_VERTICAL;
        out->bottleneck = h->names_cpu ? COORD_CPU : COORD_MEMORY;
        out->reason = COORD_R_RULE1_RESOURCES;
    } else if (h->names_other || p->bottleneck == COORD_BN_METRICS) {
        /* Rule 2: load-driven metrics scale out; requests follow usage. */
        out->owner[COORD_CPU] = out->owner[COORD_MEMORY] = COORD_OWNER_VERTICAL;
        out->reason = COORD_R_RULE2_LOAD;
    } else if (p->bottleneck == COORD_BN_CPU || p->bottleneck == COORD_BN_MEMORY) {
        int res = p->bottleneck == COORD_BN_CPU ? COORD_CPU : COORD_MEMORY;
        own(out, res);
        out->reason = COORD_R_FIXED;
        release_step(st, p, h, now_ms, out);
    } else {
        /* Rule 3. */
        auto_bottleneck(st, p, now_ms, out);
        release_step(st, p, h, now_ms, out);
    }
    if (!h->vertical) {
        for (int r = 0; r < COORD_NRES; r++)
            if (out->owner[r] == COORD_OWNER_VERTICAL)
                out->owner[r] = COORD_OWNER_NONE;
    }
    return 0;
}

int coord_check_invariant(const struct coord_ownership *own_,
                          const struct coord_container_change *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int r = 0; r < COORD_NRES; r++)
            if (own_->owner[r] == COORD_OWNER_HORIZONTAL &&
                c[i].request_after[r] != c[i].request_before[r])
                return COORD_EVIOLATION;
    return 0;
}

int coord_filter_vertical(const struct coord_ownership *own_, struct coord_container_change *c,
                          size_t n)
{
    int changing = 0;
    for (size_t i = 0; i < n; i++) {
        bool changes = false;
        for (int r = 0; r < COORD_NRES; r++) {
            if (own_->owner[r] != COORD_OWNER_VERTICAL) {
                /* The request is the horizontal target's denominator; its limit
                 * keeps its ratio to that request, so it stays too. */
                c[i].request_after[r] = c[i].request_before[r];
                c[i].limit_after[r] = c[i].limit_before[r];
            }
            if (c[i].request_after[r] != c[i].request_before[r] ||
                c[i].limit_after[r] != c[i].limit_before[r])
                changes = true;
        }
        changing += changes;
    }
    int rc = coord_check_invariant(own_, c, n);
    return rc ? rc : changing;
}

int coord_vertical_changes_last_day(const struct coord_state *st, int64_t now_ms)
{
    int n = 0;
    uint32_t kept = st->n_changes < COORD_CHANGES_RING ? st->n_changes : COORD_CHANGES_RING;
    for (uint32_t i = 0; i < kept; i++) {
        int64_t t = st->changes_ms[i];
        if (t > now_ms - INT64_C(86400000) && t <= now_ms)
            n++;
    }
    return n;
}

bool coord_change_counts(unsigned flags)
{
    if (flags & (COORD_CHANGE_AFTER_OOM | COORD_CHANGE_HANDOVER))
        return false;
    return !((flags & COORD_CHANGE_NEEDED) && !(flags & COORD_CHANGE_RESTARTS));
}

enum coord_gate_reason coord_gate_vertical(const struct coord_state *st,
                                           const struct coord_params *p, int64_t now_ms,
                                           unsigned flags, int available_pods, int min_replicas)
{
    if ((flags & COORD_CHANGE_LOWERS) && p->lower_after_ms > 0 &&
        (st->first_seen_ms == INT64_MIN || now_ms - st->first_seen_ms < p->lower_after_ms))
        return COORD_GATE_HISTORY;
    if (coord_change_counts(flags) &&
        coord_vertical_changes_last_day(st, now_ms) >= p->max_vertical_changes_per_day)
        return COORD_GATE_DAILY_CAP;
    /* Only a change that restarts pods disrupts: an in-place resize is free. */
    if (!(flags & COORD_CHANGE_RESTARTS))
        return COORD_GATE_OK;
    if (!(flags & COORD_CHANGE_AFTER_OOM) && st->last_scale_event_ms != INT64_MIN &&
        now_ms - st->last_scale_event_ms < p->disruption_window_ms)
        return COORD_GATE_STABILIZING;
    /* Restarting one pod takes it out of service for a while. */
    if (available_pods - 1 < min_replicas)
        return COORD_GATE_MIN_AVAILABLE;
    return COORD_GATE_OK;
}

void coord_note_scale_event(struct coord_state *st, int64_t now_ms)
{
    st->last_scale_event_ms = now_ms;
}

void coord_note_vertical_change(struct coord_state *st, int64_t now_ms, unsigned flags)
{
    if (!coord_change_counts(flags))
        return;
    st->changes_ms[st->n_changes % COORD_CHANGES_RING] = now_ms;
    st->n_changes++;
}

double coord_gsm_fixed(const struct coord_gsm *g)
{
    if (isnan(g->floor_per_pod))
        return 0.0;
    if (g->pairs >= GSM_MIN_PAIRS && g->sum_drdr > 0) {
        /* Measured across replica changes: what one more pod adds. It may exceed
         * the idle floor (usage that is per pod but varies, such as memory that
         * grows with a task's age) and is bounded only by the mean, beyond which
         * the load part would be negative. */
        double est = g->sum_dudr / g->sum_drdr;
        if (est < 0)
            est = 0;
        return est < g->mean_per_pod ? est : g->mean_per_pod;
    }
    /* Not measured yet: the idle floor, an upper bound of the fixed part (no pod
     * used less), and the split that needs no replica change to estimate. */
    return g->floor_per_pod;
}

double coord_gsm_load_share(const struct coord_gsm *g)
{
    if (isnan(g->mean_per_pod) || !(g->mean_per_pod > 0))
        return 0.0;
    double share = 1.0 - coord_gsm_fixed(g) / g->mean_per_pod;
    return share < 0 ? 0 : share > 1 ? 1 : share;
}

double coord_gsm_rescale_pod(double fixed, double usage, double mean_usage, int r_sample,
                             int r_target)
{
    if (r_sample == r_target || r_sample <= 0 || r_target <= 0)
        return usage;
    const double k = (double)r_sample / (double)r_target;
    const double load = mean_usage > fixed ? mean_usage - fixed : 0.0;
    double u = usage + load * (k - 1.0);
    if (k < 1.0 && u < usage * k)
        u = usage * k;
    return u > 0 ? u : 0.0;
}

int coord_projected_replicas(double total_usage, double request_per_pod, int target_utilization,
                             int min_replicas, int max_replicas)
{
    int r = min_replicas;
    if (request_per_pod > 0 && target_utilization > 0 && total_usage > 0 && !isnan(total_usage)) {
        double want = ceil(total_usage / (request_per_pod * target_utilization / 100.0));
        r = want > (double)max_replicas ? max_replicas : (int)want;
    }
    if (r < min_replicas)
        r = min_replicas;
    if (r > max_replicas)
        r = max_replicas;
    return r;
}
