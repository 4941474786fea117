/*
 * updater.c - the VPA updater's decisions (pkg/updater): priority, which pods and
 * in what order, eviction admission and restriction, update modes. spec/vpa.md
 * sections 9 and 10.
 */
#include <math.h>
#include <string.h>

#include "podscaler/vpa_update.h"

#define MINUTE_MS (60LL * 1000)
#define HOUR_MS   (60 * MINUTE_MS)

/* ---- observed containers annotation ------------------------------------ */

static int is_dns1123_label(const char *s, size_t n)
{
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && !(ch == '-' && i > 0 && i + 1 < n))
            return 0;
    }
    return 1;
}

/* ParseVpaObservedContainersValue: "" is the empty list; items are separated by
 * ", " and must be DNS-1123 labels. Returns -1 when malformed. */
static int observed_lists(const char *value, const char *name)
{
    if (value[0] == 0)
        return 0;
    int found = 0;
    const char *p = value;
    for (;;) {
        const char *sep = strstr(p, ", ");
        size_t n = sep ? (size_t)(sep - p) : strlen(p);
        if (!is_dns1123_label(p, n))
            return -1;
        if (strlen(name) == n && strncmp(p, name, n) == 0)
            found = 1;
        if (!sep)
            break;
        p = sep + 2;
    }
    return found;
}

int vpa_pod_observes(const struct vpa_pod *pod, const char *container)
{
    if (!pod->observed_containers)
        return 1;
    int r = observed_lists(pod->observed_containers, container);
    return r < 0 ? 1 : r;
}

/* ---- priority ------------------------------------------------------------- */

static const struct vpa_rec *find_rec(const struct vpa_recommendation *rec, const char *name)
{
    if (!rec || !rec->items)
        return NULL;
    for (size_t i = 0; i < rec->n; i++)
        if (rec->items[i].name == name || strcmp(rec->items[i].name, name) == 0)
            return &rec->items[i];
    return NULL;
}

/* Milli-units: CPU millicores as they are, memory bytes x 1000 (saturating). */
static int64_t milli(int res, int64_t v)
{
    int64_t m;
    if (res == VPA_CPU)
        return v;
    if (__builtin_mul_overflow(v, 1000, &m))
        return v > 0 ? INT64_MAX : INT64_MIN;
    return m;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t s;
    if (__builtin_add_overflow(a, b, &s))
        return a > 0 ? INT64_MAX : INT64_MIN;
    return s;
}

void vpa_update_priority(const struct vpa_pod *pod, const struct vpa_recommendation *rec,
                         struct vpa_priority *out)
{
    int64_t total_req[2] = {0, 0}, total_rec[2] = {0, 0};
    int any_rec[2] = {0, 0};
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < pod->n; i++) {
        const struct vpa_pod_container *c = &pod->containers[i];
        if (!vpa_pod_observes(pod, c->name))
            continue;
        const struct vpa_rec *r = find_rec(rec, c->name);
        if (!r)
            continue;
        const struct vpa_resources *req = vpa_current_requests(c);
        for (int k = 0; k < 2; k++) {
            if (!vpa_res_has(&r->target, k))
                continue;
            int64_t t = milli(k, r->target.v[k]);
            total_rec[k] = sat_add(total_rec[k], t);
            any_rec[k] = 1;
            if (vpa_res_has(req, k)) {
                int64_t q = milli(k, req->v[k]);
                total_req[k] = sat_add(total_req[k], q);
                if (t > q)
                    out->scale_up = 1;
                if ((vpa_res_has(&r->lower, k) && q < milli(k, r->lower.v[k])) ||
                    (vpa_res_has(&r->upper, k) && q > milli(k, r->upper.v[k])))
                    out->outside_range = 1;
            } else {
                out->scale_up = 1;
                out->outside_range = 1;
            }
        }
    }
    for (int k = 0; k < 2; k++) {
        if (!any_rec[k])
            continue;
        double req = fmax((double)total_req[k], 1.0);
        out->diff += fabs(req - (double)total_rec[k]) / req;
    }
}

int vpa_priority_less(const struct vpa_priority *a, const struct vpa_priority *b)
{
    if (a->scale_up != b->scale_up)
        return b->scale_up;
    return a->diff < b->diff;
}

int vpa_has_lower_recommendation(const struct vpa_recommendation *last,
                                 const struct vpa_recommendation *now)
{
    if (!last || !now || !last->items || !now->items)
        return 0;
    for (size_t i = 0; i < now->n; i++) {
        const struct vpa_rec *old = find_rec(last, now->items[i].name);
        if (!old)
            continue;
        for (int k = 0; k < 2; k++)
            if (vpa_res_has(&now->items[i].target, k) && vpa_res_has(&old->target, k) &&
                now->items[i].target.v[k] < old->target.v[k])
                return 1;
    }
    return 0;
}

void vpa_updater_config_default(struct vpa_updater_config *c)
{
    c->min_change_priority = 0.1; /* --pod-update-threshold */
    c->pod_lifetime_threshold_ms =
        12 * HOUR_MS; /* --in-recommendation-bounds-eviction-lifetime-threshold */
    c->evict_after_oom_ms = 10 * MINUTE_MS; /* --evict-after-oom-threshold */
}

static int quick_oom(const struct vpa_updater_config *cfg, const struct vpa_resource_policy *policy,
                     const struct vpa_update_candidate *c)
{
    struct vpa_pod obs = {NULL, 0, c->observed_containers};
    for (size_t i = 0; i < c->n_terms; i++) {
        const struct vpa_last_termination *t = &c->terms[i];
        const char *name = t->container ? t->container : "";
        if (!vpa_pod_observes(&obs, name))
            continue;
        const struct vpa_container_policy *cp = vpa_policy_for(policy, name);
        if (cp && cp->has_mode && cp->mode == VPA_SCALING_OFF)
            continue;
        if (t->oom_killed && t->finished_ms - t->started_ms < cfg->evict_after_oom_ms)
            return 1;
    }
    return 0;
}

static int accept(const struct vpa_updater_config *cfg, int mode,
                  const struct vpa_resource_policy *policy, const struct vpa_update_candidate *c,
                  int64_t now_ms)
{
    /* InPlace remembers infeasible attempts and retries only on a lower target. */
    if (mode == VPA_UPDATE_IN_PLACE && c->infeasible_last &&
        !vpa_has_lower_recommendation(c->infeasible_last, c->processed))
        return 0;
    int oom = quick_oom(cfg, policy, c);
    if (!c->prio.outside_range && !oom) {
        if (!c->has_start)
            return 0;
        if (now_ms - c->start_ms < cfg->pod_lifetime_threshold_ms)
            return 0;
        if (c->prio.diff < cfg->min_change_priority)
            return 0;
    }
    if (oom && c->prio.diff == 0.0)
        return 0;
    return 1;
}

size_t vpa_update_order(const struct vpa_updater_config *cfg, int mode,
                        const struct vpa_resource_policy *policy,
                        const struct vpa_update_candidate *c, size_t n, int64_t now_ms,
                        size_t *order)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (accept(cfg, mode, policy, &c[i], now_ms))
            order[k++] = i;
    /* Descending priority. Upstream's sort is unstable; ties keep input order here. */
    for (size_t i = 1; i < k; i++) {
        size_t x = order[i], j = i;
        while (j > 0 && vpa_priority_less(&c[order[j - 1]].prio, &c[x].prio)) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    size_t m = 0;
    for (size_t i = 0; i < k; i++)
        if (c[order[i]].admitted)
            order[m++] = order[i];
    return m;
}

/* ---- scaling direction admission -------------------------------------- */

int vpa_scaling_direction_admit(const struct vpa_pod *pod, const struct vpa_recommendation *rec,
                                const struct vpa_eviction_requirement *reqs, size_t n_reqs)
{
    if (!reqs)
        return 1;
    for (size_t i = 0; i < pod->n; i++) {
        const struct vpa_pod_container *c = &pod->containers[i];
        const struct vpa_rec *r = find_rec(rec, c->name);
        if (!r)
            continue;
        const struct vpa_resources *req = vpa_current_requests(c);
        if (!vpa_res_has(req, VPA_CPU) || !vpa_res_has(req, VPA_MEMORY))
            return 1;
        int all = 1;
        for (size_t j = 0; j < n_reqs && all; j++) {
            int holds = 0;
            for (int k = 0; k < 2 && !holds; k++) {
                if (!(reqs[j].resources & (1u << k)) || !vpa_res_has(&r->target, k))
                    continue;
                int64_t t = milli(k, r->target.v[k]), q = milli(k, req->v[k]);
                holds = reqs[j].change == VPA_TARGET_HIGHER ? t > q : t < q;
            }
            all = holds;
        }
        if (all)
            return 1;
    }
    return 0;
}

/* ---- eviction restriction --------------------------------------------- */

int vpa_evict_group_init(struct vpa_evict_group *g, const struct vpa_controller *ctrl,
                         const struct vpa_evict_pod *pods, size_t n,
                         const struct vpa_eviction_config *cfg)
{
    int64_t configured;
    switch (ctrl->kind) {
    case VPA_CTRL_REPLICATION_CONTROLLER:
    case VPA_CTRL_REPLICA_SET:
    case VPA_CTRL_STATEFUL_SET:
        if (!ctrl->has_replicas || ctrl->replicas == 0)
            return VPA_ENOREPLICAS;
        configured = ctrl->replicas;
        break;
    case VPA_CTRL_DAEMON_SET:
        configured = ctrl->number_ready;
        break;
    case VPA_CTRL_JOB:
        configured = (int64_t)n;
        break;
    default:
        return PS_EINVAL;
    }
    memset(g, 0, sizeof *g);
    g->configured = configured;
    g->live = (int64_t)n;
    int boost = 0;
    for (size_t i = 0; i < n; i++) {
        g->pending += pods[i].pending != 0;
        boost |= pods[i].cpu_boost;
    }
    g->running = g->live - g->pending;
    /* --eviction-tolerance: floor(configured x tolerance). */
    g->tolerance = (int64_t)floor((double)configured * cfg->eviction_tolerance);
    int64_t required = cfg->has_vpa_min_replicas ? cfg->vpa_min_replicas : cfg->min_replicas;
    g->evictable = !(g->live < required && !boost);
    g->skip_budget = cfg->in_place_skip_budget && (cfg->mode == VPA_UPDATE_IN_PLACE ||
                                                   cfg->mode == VPA_UPDATE_IN_PLACE_OR_RECREATE);
    return 0;
}

static int resize_failed(const struct vpa_evict_pod *p)
{
    switch (p->resize_state) {
    case VPA_RESIZE_INFEASIBLE:
    case VPA_RESIZE_ERROR:
        return 1;
    case VPA_RESIZE_DEFERRED:
        return p->resize_age_ms > 5 * MINUTE_MS;
    case VPA_RESIZE_IN_PROGRESS:
        return p->resize_age_ms > HOUR_MS;
    default:
        return 0;
    }
}

static int group_allows(const struct vpa_evict_group *g)
{
    int64_t should_be_alive = g->configured - g->tolerance;
    if (g->running - g->evicted - g->in_place_initiated > should_be_alive)
        return 1;
    /* At least one update per loop for a healthy group with a small tolerance. */
    return g->running == g->configured && g->tolerance == 0 && g->evicted == 0 &&
           g->in_place_initiated == 0;
}

int vpa_evict_can(const struct vpa_evict_group *g, const struct vpa_evict_pod *p)
{
    if (!g->evictable)
        return 0;
    if (p->pending)
        return 1;
    if (p->resize_state != VPA_RESIZE_NONE && !resize_failed(p))
        return 0;
    return group_allows(g);
}

int vpa_evict(struct vpa_evict_group *g, const struct vpa_evict_pod *p)
{
    if (!vpa_evict_can(g, p))
        return 0;
    if (!p->pending)
        g->evicted++;
    return 1;
}

int vpa_resize_in_place(struct vpa_evict_group *g, const struct vpa_evict_pod *p)
{
    if (p->pending || p->resize_state != VPA_RESIZE_NONE)
        return 0;
    /* --in-place-skip-disruption-budget (spec 10.7): a resize that restarts no
     * container disrupts nothing, so neither the tolerance nor the minimum
     * replicas hold it; one that restarts a container is held like any other. */
    if (!(g->skip_budget && !p->resize_restarts) && (!g->evictable || !group_allows(g)))
        return 0;
    g->in_place_initiated++;
    return 1;
}

int vpa_update_action(struct vpa_evict_group *g, const struct vpa_evict_pod *p, int mode)
{
    switch (mode) {
    case VPA_UPDATE_RECREATE:
    case VPA_UPDATE_AUTO:
        return vpa_evict(g, p) ? VPA_ACTION_EVICT : VPA_ACTION_NONE;
    case VPA_UPDATE_IN_PLACE_OR_RECREATE:
        if (p->resize_state != VPA_RESIZE_NONE)
            return resize_failed(p) && vpa_evict(g, p) ? VPA_ACTION_EVICT : VPA_ACTION_NONE;
        return vpa_resize_in_place(g, p) ? VPA_ACTION_RESIZE : VPA_ACTION_NONE;
    case VPA_UPDATE_IN_PLACE:
        return vpa_resize_in_place(g, p) ? VPA_ACTION_RESIZE : VPA_ACTION_NONE;
    default:
        return VPA_ACTION_NONE; /* Off, Initial: running pods are never touched */
    }
}

/* ---- history provider queries ------------------------------------------ */

struct sbuf {
    char *p;
    size_t len, cap;
};

static void put(struct sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        if (b->len + 1 < b->cap)
            b->p[b->len] = *s;
        b->len++;
    }
}

int vpa_history_query(const struct vpa_history_config *c, int which, char *buf, size_t cap)
{
    struct sbuf b = {buf, 0, cap};
    if (which == VPA_HISTORY_LABELS) {
        put(&b, c->labels_metric);
    } else {
        if (which == VPA_HISTORY_CPU) {
            put(&b, "rate(");
            put(&b, c->cpu_metric);
        } else {
            put(&b, c->memory_metric);
        }
        put(&b, "{");
        if (c->cadvisor_job && c->cadvisor_job[0]) {
            put(&b, "job=\"");
            put(&b, c->cadvisor_job);
            put(&b, "\", ");
        }
        put(&b, c->pod_name_label);
        put(&b, "=~\".+\", ");
        put(&b, c->name_label);
        put(&b, "!=\"POD\", ");
        put(&b, c->name_label);
        put(&b, "!=\"\"");
        if (c->namespace_ && c->namespace_[0]) {
            put(&b, ", ");
            put(&b, c->namespace_label);
            put(&b, "=\"");
            put(&b, c->namespace_);
            put(&b, "\"");
        }
        put(&b, "}");
        if (which == VPA_HISTORY_CPU) {
            put(&b, "[");
            put(&b, c->resolution);
            put(&b, "])");
        }
    }
    if (b.len + 1 > cap || b.len > (size_t)INT32_MAX)
        return PS_ENOSPC;
    buf[b.len] = 0;
    return (int)b.len;
}
