/*
 * pipeline.c - the per-workload decision step (include/podscaler/pipeline.h).
 *
 * The horizontal part is the HPA core's reconcile pass (hpa/), run every HPA
 * sync period; the vertical part is the VPA recommender (vpa/) fed every
 * observation, and its updater run every updater interval. A policy whose part
 * needs something not built in is refused up front, by name, so that no
 * front-end ever shows figures for a policy that did not run.
 *
 * The observed pods of a workload share one pod template: they have the same
 * requests and limits, so the updater's verdict on one is its verdict on all.
 *
 * POLICY_MODE_COORDINATED runs both parts through the coordinator
 * (engine/coord, docs/coordination.md): at each step it records the pods'
 * pressure, decides which resource the horizontal part owns (the HPA's metric
 * follows it), feeds the vertical part samples re-expressed at the replica
 * count the horizontal policy runs (the group-size-aware model), limits the
 * vertical part's controlled resources to the ones it owns, filters and checks
 * its proposal against the non-conflict invariant, and holds changes that
 * would disrupt the workload (rule 5, the daily cap).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/coord.h"
#include "podscaler/hpa.h"
#include "podscaler/pipeline.h"
#include "podscaler/vpa.h"
#include "podscaler/vpa_libc.h"
#include "podscaler/vpa_update.h"

/* kube-controller-manager --horizontal-pod-autoscaler-sync-period, 15 s. */
#define HPA_SYNC_PERIOD_MS (15 * 1000)
/* VPA recommender --recommender-interval and updater --updater-interval, 1 min. */
#define VPA_RECOMMENDER_INTERVAL_MS (60 * 1000)
#define VPA_UPDATER_INTERVAL_MS     (60 * 1000)
/* VPA --cpu-histogram-decay-half-life and --memory-histogram-decay-half-life, 24 h. */
#define VPA_HALF_LIFE_MS (24 * 3600 * 1000LL)
/* VPA --round-cpu-millicores 1 and --round-memory-bytes 1: no extra rounding. */
#define VPA_ROUND_CPU_MILLI 1
#define VPA_ROUND_MEM_BYTES 1
/* A pod that has run this long is past the HPA's CPU initialization period and
 * the VPA's in-bounds lifetime threshold alike: pods that replay did not create
 * are taken as old. */
#define OLD_POD_MS (7 * 24 * 3600 * 1000LL)

struct hpa_part {
    struct hpa_config cfg;
    struct hpa_spec spec;
    struct hpa_metric_spec metrics[POLICY_MAX_METRICS];
    struct hpa_policy up_pol[POLICY_MAX_RULES], down_pol[POLICY_MAX_RULES];
    struct hpa_state st;
    int64_t last_ms;
    int ran;
    /* per pod, grown with the replica count */
    size_t cap;
    size_t pods_set; /* pods[0 .. pods_set) hold the template's constant fields */
    struct hpa_pod *pods;
    struct hpa_container *conts;
    struct hpa_pod_sample *samples; /* cap * n_metrics */
    struct hpa_decision d;          /* kept here: it is a few KiB */
};

/* A recommendation's conversion between group sizes (convert_recs). */
struct group_conv {
    double shift[2]; /* cpu millicores, memory bytes, per pod */
    double k[2];
};

/* Why the updater changed the requests (upstream's update priority). */
enum update_cause {
    CAUSE_OUTSIDE_RANGE, /* a request outside the recommended range */
    CAUSE_QUICK_OOM,     /* OOM-killed soon after start */
    CAUSE_IN_RANGE,      /* in range, changed by at least the update threshold */
};

struct vpa_part {
    struct vpa_allocator alloc;
    struct vpa_hist_opts cpu_opts, mem_opts;
    struct vpa_agg_config agg_cfg, agg_cfg_c[PIPELINE_MAX_CONTAINERS];
    struct vpa_estimator_config est;
    struct vpa_updater_config upd;
    struct vpa_aggregate agg[PIPELINE_MAX_CONTAINERS];
    struct vpa_container_policy cpol[POLICY_MAX_CONTAINERS];
    struct vpa_resource_policy rpol;
    int mode; /* enum vpa_update_mode */
    int64_t last_rec_ms, last_upd_ms;
    int have_rec;
    struct vpa_rec recs[PIPELINE_MAX_CONTAINERS];
    struct vpa_recommendation rec;
    /* per pod slot and container: the container states, and when each started */
    size_t cap;
    struct vpa_container *cs;
    int64_t *started_ms;
    struct vpa_evict_pod *eps; /* cap zeroed entries: running, not pending pods */
    int64_t pods_started_ms;   /* when the template's pods were last (re)created */
    /* per container, this observation: an OOM kill, and when the killed one had started */
    uint8_t oom_now[PIPELINE_MAX_CONTAINERS];
    int64_t oom_started_ms[PIPELINE_MAX_CONTAINERS];
    int started;
    int pending_evict; /* the updater evicted: pod states reset once the change stands */
    /* Coordinated with a horizontal part: memory samples of 0 bytes are not
     * fed. Upstream replaces a window's peak only when the old one is not 0,
     * so a window that opens on a 0 sample keeps no peak at all, whatever
     * comes after. The upstream VPA gets out of such a window when its
     * updater evicts (a new container opens a new window); resized in place,
     * a pod stays in it for the rest of the day, OOM-killed at every step
     * (bitbrains-rnd: 1,260 would-be OOMs with cpu as the bottleneck, 429
     * without the zeros; docs/coordination.md). */
    int skip_zero_memory;
    /* The parts of the last vertical reason, formatted only for a change that
     * stands: most proposals of a coordinated policy are filtered away, and
     * formatting each one cost a sixth of its replay time. */
    int why_evict;
    enum update_cause why_cause;
    double why_diff;
    /* Coordinated: the container policies' own controlled resources, before the
     * coordinator narrows them to what the vertical part owns. */
    uint8_t controlled_orig[POLICY_MAX_CONTAINERS];
    unsigned owned_mask; /* VPA_RES_CPU | VPA_RES_MEM the vertical part owns */
    /* Coordinated with a horizontal owner: the histograms hold usage at the
     * group size the HPA projects for each sample; the recommendation (raw) is
     * converted to the group size the horizontal part runs now
     * (docs/coordination.md). */
    int convert;
    struct group_conv conv; /* from the projected group to the one running now */
    struct vpa_rec raw[PIPELINE_MAX_CONTAINERS];
    size_t n_raw;
    /* Coordinated: a second recommender fed the same samples re-expressed at the
     * reference group size instead of the projected one; the recommendation is
     * the lower of the two, each converted to the group running now
     * (docs/coordination.md, "Two projections"). Only its histograms, container
     * states and raw recommendation are used. */
    struct vpa_part *ref;
    struct group_conv ref_conv; /* from the reference group to the one running now */
};

/* The coordinator's part of a coordinated policy's state. */
struct coord_part {
    struct coord_params params;
    struct coord_horizontal h;
    struct coord_state st;
    struct coord_ownership own;
    int have_own;
    /* The HPA's utilization target per resource, were it the owner: a metric's
     * own (the lowest, which binds, where several name the resource; 0 for an
     * AverageValue target, which has no utilization to project with), else
     * the API default for cpu and memoryTargetUtilization for memory. */
    int target_utilization[COORD_NRES];
    /* The group the vertical part's recommendations were converted to at the
     * last step (0: none yet, or no group-size model then). */
    int last_conv;
    /* Per container, the requests and limits the workload was first seen with. */
    int have_ref;
    int64_t ref_cpu_req[PIPELINE_MAX_CONTAINERS], ref_mem_req[PIPELINE_MAX_CONTAINERS];
    int64_t ref_cpu_lim[PIPELINE_MAX_CONTAINERS], ref_mem_lim[PIPELINE_MAX_CONTAINERS];
    size_t cap;
    struct coord_pod_sample *pods;
    double *cpu, *mem;         /* usage re-expressed for the vertical part */
    double *cpu_ref, *mem_ref; /* the same at the reference count, for its second recommender */
    /* Auto: an HPA scaling on memory at the reference request, run in the
     * shadow on the same usage re-expressed at the replicas it runs, to count
     * the pods whose memory it would let pass the request (coord_note_outrun).
     * While memory is the real HPA's, the shadow runs the real count. */
    struct hpa_part *shadow;
    int shadow_n;
    size_t shadow_cap;
    double *shadow_cpu, *shadow_mem;
};

struct pipeline_state {
    struct ps_policy policy;
    uint32_t n_containers;
    char names[PIPELINE_MAX_CONTAINERS][64];
    const char *name_ptrs[PIPELINE_MAX_CONTAINERS];
    struct hpa_part *h;
    struct vpa_part *v;
    struct coord_part *co; /* POLICY_MODE_COORDINATED only */
};

int pipeline_policy_available(const struct ps_policy *p, char *why, size_t whylen)
{
    const char *missing = NULL;
    for (unsigned i = 0; p->horizontal.enabled && i < p->horizontal.n_metrics; i++) {
        uint8_t t = p->horizontal.metrics[i].type;
        if (t != POLICY_METRIC_RESOURCE && t != POLICY_METRIC_CONTAINER_RESOURCE)
            missing = "Pods, Object and External metrics need data that usage "
                      "observations do not hold";
        else if (p->horizontal.metrics[i].target == POLICY_TARGET_VALUE)
            missing = "a Resource metric cannot have a Value target";
    }
    if (!missing && p->mode == POLICY_MODE_COORDINATED && p->horizontal.enabled &&
        p->horizontal.n_metrics == 0 && p->bottleneck == POLICY_BOTTLENECK_METRICS)
        missing = "bottleneck 'metrics' needs Pods, Object or External metrics, which usage "
                  "observations do not hold";
    if (!missing)
        return 0;
    if (why && whylen)
        snprintf(why, whylen, "%s", missing);
    return PIPELINE_EUNAVAILABLE;
}

/* A usage or request as a whole int64, saturating: traces are input, and an
 * absurd value must not overflow into undefined behaviour. */
static int64_t whole(double v)
{
    if (!(v > 0))
        return 0;
    if (v >= 9.2e18)
        return INT64_MAX;
    /* llround, inline: below 2^53 the truncation is exact and so is v - t, and
     * a fraction of at least one half rounds away from zero (v > 0 here). It
     * was a call per pod sample and resource. */
    if (v < 9007199254740992.0) {
        int64_t t = (int64_t)v;
        return v - (double)t >= 0.5 ? t + 1 : t;
    }
    return (int64_t)llround(v);
}

void pipeline_repeat_fill(void *base, size_t have, size_t want)
{
    unsigned char *b = base;
    while (have > 0 && have < want) {
        const size_t len = have < want - have ? have : want - have;
        memcpy(b + have, b, len);
        have += len;
    }
}

/* How many of the observed pods are distinct: pod j repeats pod j mod the
 * result (pipeline_obs.period), all of them when nothing is claimed. */
static size_t distinct_pods(const struct pipeline_obs *obs)
{
    const size_t m = (size_t)obs->replicas;
    return obs->period > 0 && (size_t)obs->period < m ? (size_t)obs->period : m;
}

/* Milli-units of a whole amount, saturating (memory in the HPA's milli-bytes). */
static int64_t to_milli(int64_t v)
{
    if (v > INT64_MAX / 1000)
        return INT64_MAX;
    if (v < 0)
        return 0;
    return v * 1000;
}

/* ---- horizontal ---- */

static void rules_from_policy(const struct policy_scaling_rules *r, struct hpa_policy *pol,
                              struct hpa_rules *out)
{
    memset(out, 0, sizeof(*out));
    out->has_window = r->has_window;
    out->window_s = r->stabilization_window_s;
    out->has_select = r->has_select;
    out->select = r->select == POLICY_SELECT_MIN        ? HPA_SELECT_MIN
                  : r->select == POLICY_SELECT_DISABLED ? HPA_SELECT_DISABLED
                                                        : HPA_SELECT_MAX;
    out->has_policies = r->has_policies;
    for (unsigned i = 0; i < r->n_policies; i++) {
        pol[i].type =
            r->policies[i].type == POLICY_RULE_PERCENT ? HPA_POLICY_PERCENT : HPA_POLICY_PODS;
        pol[i].value = r->policies[i].value;
        pol[i].period_s = r->policies[i].period_s;
    }
    out->policies = pol;
    out->n_policies = r->n_policies;
}

static int hpa_part_new(const struct ps_policy *p, struct hpa_part **out)
{
    struct hpa_part *h = calloc(1, sizeof(*h));
    if (!h)
        return PS_ENOMEM;
    hpa_config_default(&h->cfg);
    hpa_state_init(&h->st);
    const struct policy_horizontal *ph = &p->horizontal;
    h->spec.has_min_replicas = 1;
    h->spec.min_replicas = ph->min_replicas;
    h->spec.max_replicas = ph->max_replicas;
    if (ph->n_metrics == 0) {
        hpa_metric_spec_default(&h->metrics[0]);
        h->spec.n_metrics = 1;
    } else {
        for (unsigned i = 0; i < ph->n_metrics; i++) {
            const struct policy_metric *m = &ph->metrics[i];
            struct hpa_metric_spec *s = &h->metrics[i];
            s->type = m->type == POLICY_METRIC_CONTAINER_RESOURCE ? HPA_METRIC_CONTAINER_RESOURCE
                                                                  : HPA_METRIC_RESOURCE;
            s->resource = m->resource == POLICY_RES_MEMORY ? HPA_RES_MEMORY : HPA_RES_CPU;
            s->container = m->type == POLICY_METRIC_CONTAINER_RESOURCE ? m->container : NULL;
            if (m->target == POLICY_TARGET_UTILIZATION) {
                s->target.type = HPA_TARGET_UTILIZATION;
                s->target.has_average_utilization = 1;
                s->target.average_utilization = m->average_utilization;
            } else {
                s->target.type = HPA_TARGET_AVERAGE_VALUE;
                s->target.has_average_value = 1;
                s->target.average_value_milli = m->target_milli;
            }
        }
        h->spec.n_metrics = ph->n_metrics;
    }
    h->spec.metrics = h->metrics;
    h->spec.has_behavior = ph->has_behavior;
    if (ph->has_behavior) {
        h->spec.behavior.has_up = 1;
        h->spec.behavior.has_down = 1;
        rules_from_policy(&ph->scale_up, h->up_pol, &h->spec.behavior.up);
        rules_from_policy(&ph->scale_down, h->down_pol, &h->spec.behavior.down);
    }
    *out = h;
    return 0;
}

static void hpa_part_free(struct hpa_part *h)
{
    if (!h)
        return;
    free(h->pods);
    free(h->conts);
    free(h->samples);
    free(h);
}

/* Per-pod buffers grow by doubling with the replica count, so a step allocates
 * only when a workload reaches a size it never had. */
static size_t grown_cap(size_t cap, size_t want)
{
    size_t c = cap ? cap : 8;
    while (c < want)
        c *= 2;
    return c;
}

/* ptr = realloc(ptr, n elements), returning PS_ENOMEM from the caller on
 * failure with ptr unchanged (still owned by its part, freed with it). */
#define GROW(ptr, n)                                                                               \
    do {                                                                                           \
        void *grown_ = realloc((ptr), (n) * sizeof(*(ptr)));                                       \
        if (!grown_)                                                                               \
            return PS_ENOMEM;                                                                      \
        (ptr) = grown_;                                                                            \
    } while (0)

static int hpa_reserve(struct hpa_part *h, size_t pods, uint32_t n_c)
{
    if (pods <= h->cap)
        return 0;
    size_t cap = grown_cap(h->cap, pods);
    GROW(h->pods, cap);
    GROW(h->conts, cap * n_c);
    GROW(h->samples, cap * h->spec.n_metrics);
    h->cap = cap;
    h->pods_set = 0; /* conts may have moved */
    return 0;
}

/* One HPA sync of part h on the observation: h->d holds the decision, *rescale
 * whether it stands (committed: replay applies what the HPA decides). 0 and no
 * rescale inside the sync period. */
static int hpa_sync(struct hpa_part *h, const char *const *names, const struct pipeline_obs *obs,
                    int *rescale)
{
    *rescale = 0;
    if (h->ran && obs->now_ms - h->last_ms < HPA_SYNC_PERIOD_MS)
        return 0;
    h->ran = 1;
    h->last_ms = obs->now_ms;
    const uint32_t C = obs->n_containers;
    const size_t m = (size_t)obs->replicas;
    int rc = hpa_reserve(h, m ? m : 1, C);
    if (rc)
        return rc;
    for (uint32_t c = 0; c < C; c++) {
        struct hpa_container *hc = &h->conts[c];
        memset(hc, 0, sizeof(*hc));
        hc->name = names[c];
        hc->request_mask = (1u << HPA_RES_CPU) | (1u << HPA_RES_MEMORY);
        hc->request_milli[HPA_RES_CPU] = obs->cpu_request_milli[c];
        hc->request_milli[HPA_RES_MEMORY] = to_milli(obs->mem_request_bytes[c]);
    }
    /* Pods are set up once (a memset per pod and sync was a twentieth of a
     * naive policy's replay). Started a week before they are first seen and
     * ready since, they stay past every CPU initialization rule: old pods. */
    for (size_t j = h->pods_set; j < m; j++) {
        struct hpa_pod *pod = &h->pods[j];
        memset(pod, 0, sizeof(*pod));
        pod->name = "pod";
        pod->phase = HPA_PHASE_RUNNING;
        pod->ready = HPA_CS_TRUE;
        pod->has_start_time = 1;
        pod->ready_transition_ms = obs->now_ms - OLD_POD_MS;
        pod->start_time_ms = obs->now_ms - OLD_POD_MS;
        pod->containers = h->conts; /* one template */
        pod->n_containers = C;
    }
    if (m > h->pods_set)
        h->pods_set = m;
    struct hpa_metric_input mi[POLICY_MAX_METRICS];
    for (size_t i = 0; i < h->spec.n_metrics; i++) {
        const struct hpa_metric_spec *ms = &h->metrics[i];
        struct hpa_pod_sample *smp = h->samples + i * h->cap;
        const double *col = ms->resource == HPA_RES_MEMORY ? obs->mem_bytes : obs->cpu_milli;
        const double unit = ms->resource == HPA_RES_MEMORY ? 1000.0 : 1.0;
        /* Pods that repeat others (obs->period) get copies of their samples. */
        const size_t distinct = distinct_pods(obs);
        for (size_t j = 0; j < distinct; j++) {
            double v = 0;
            for (uint32_t c = 0; c < C; c++)
                if (!ms->container || strcmp(ms->container, names[c]) == 0)
                    v += col[j * C + c];
            smp[j].present = 1;
            /* metrics-server reports whole millicores and bytes */
            smp[j].value_milli = unit > 1.0 ? to_milli(whole(v)) : whole(v);
            smp[j].timestamp_ms = obs->now_ms;
            smp[j].window_ms = HPA_SYNC_PERIOD_MS;
        }
        pipeline_repeat_fill(smp, distinct * sizeof(smp[0]), m * sizeof(smp[0]));
        memset(&mi[i], 0, sizeof(mi[i]));
        mi[i].fetch = HPA_FETCH_OK;
        mi[i].pod_samples = smp;
    }
    struct hpa_input in = {
        .scale_ok = 1,
        .spec_replicas = obs->replicas,
        .status_replicas = obs->replicas,
        .selector = HPA_SELECTOR_OK,
        .pods = h->pods,
        .n_pods = m,
        .metrics = mi,
        .status_desired_replicas = obs->replicas,
    };
    struct hpa_decision *d = &h->d;
    rc = hpa_reconcile(&h->cfg, &h->spec, &in, &h->st, obs->now_ms, d);
    if (rc)
        return rc;
    if (!d->rescale)
        return 0;
    /* Replay and report apply nothing that can fail: the PUT "succeeds". */
    if ((rc = hpa_commit(&h->cfg, &h->spec, &h->st, d, 0, obs->now_ms)))
        return rc;
    *rescale = 1;
    return 0;
}

static int horizontal_step(struct pipeline_state *s, const struct pipeline_obs *obs,
                           struct pipeline_decision *out)
{
    struct hpa_part *h = s->h;
    int rescale, rc = hpa_sync(h, s->name_ptrs, obs, &rescale);
    if (rc || !rescale)
        return rc;
    const struct hpa_decision *d = &h->d;
    if (d->desired_replicas == obs->replicas)
        return 0;
    out->scale = 1;
    out->replicas_after = d->desired_replicas;
    hpa_rescale_message(&h->spec, d, out->scale_reason, sizeof(out->scale_reason));
    return 0;
}

/* ---- vertical ---- */

static void put_res(struct vpa_resources *r, int64_t cpu, int64_t mem)
{
    memset(r, 0, sizeof(*r));
    r->set = VPA_RES_LIST;
    /* vpa_res_put's two stores, without a call to another file per value. */
    if (cpu != POLICY_UNSET) {
        r->v[VPA_CPU] = cpu;
        r->set |= 1u << VPA_CPU;
    }
    if (mem != POLICY_UNSET) {
        r->v[VPA_MEMORY] = mem;
        r->set |= 1u << VPA_MEMORY;
    }
}

static int vpa_part_new(struct pipeline_state *s, struct vpa_part **out)
{
    const struct policy_vertical *pv = &s->policy.vertical;
    struct vpa_part *v = calloc(1, sizeof(*v));
    if (!v)
        return PS_ENOMEM;
    v->alloc = vpa_libc_allocator;
    vpa_hist_opts_cpu_default(&v->cpu_opts, &v->alloc);
    vpa_hist_opts_memory_default(&v->mem_opts, &v->alloc);
    vpa_agg_config_default(&v->agg_cfg);
    vpa_estimator_config_default(&v->est);
    /* The estimator takes the flags' units; bytes / 2^20 is exact in a double. */
    if (pv->pod_min_cpu_milli != POLICY_UNSET)
        v->est.pod_min_cpu_millicores = (double)pv->pod_min_cpu_milli;
    if (pv->pod_min_mem_bytes != POLICY_UNSET)
        v->est.pod_min_memory_mb = (double)pv->pod_min_mem_bytes / (1024.0 * 1024.0);
    vpa_updater_config_default(&v->upd);
    for (unsigned i = 0; i < pv->n_containers; i++) {
        const struct policy_container *pc = &pv->containers[i];
        struct vpa_container_policy *cp = &v->cpol[i];
        memset(cp, 0, sizeof(*cp));
        cp->name = pc->name;
        cp->has_mode = 1;
        cp->mode = pc->mode == POLICY_CONTAINER_OFF ? VPA_SCALING_OFF : VPA_SCALING_AUTO;
        if (pc->min_cpu_milli != POLICY_UNSET || pc->min_mem_bytes != POLICY_UNSET)
            put_res(&cp->min_allowed, pc->min_cpu_milli, pc->min_mem_bytes);
        if (pc->max_cpu_milli != POLICY_UNSET || pc->max_mem_bytes != POLICY_UNSET)
            put_res(&cp->max_allowed, pc->max_cpu_milli, pc->max_mem_bytes);
        cp->has_controlled_values = 1;
        cp->controlled_values = pc->controlled_values == POLICY_REQUESTS_ONLY
                                    ? VPA_CV_REQUESTS_ONLY
                                    : VPA_CV_REQUESTS_AND_LIMITS;
        cp->has_controlled_resources = 1;
        cp->controlled_resources =
            ((pc->controlled_resources & POLICY_RES_BIT(POLICY_RES_CPU)) ? VPA_RES_CPU : 0) |
            ((pc->controlled_resources & POLICY_RES_BIT(POLICY_RES_MEMORY)) ? VPA_RES_MEM : 0);
    }
    v->rpol.items = pv->n_containers ? v->cpol : NULL;
    v->rpol.n = pv->n_containers;
    switch (pv->update_mode) {
    case POLICY_UPDATE_OFF:
        v->mode = VPA_UPDATE_OFF;
        break;
    case POLICY_UPDATE_INITIAL:
        v->mode = VPA_UPDATE_INITIAL;
        break;
    case POLICY_UPDATE_IN_PLACE_OR_RECREATE:
        v->mode = VPA_UPDATE_IN_PLACE_OR_RECREATE;
        break;
    case POLICY_UPDATE_IN_PLACE:
        v->mode = VPA_UPDATE_IN_PLACE;
        break;
    default:
        v->mode = VPA_UPDATE_RECREATE;
    }
    for (uint32_t c = 0; c < s->n_containers; c++) {
        const struct vpa_container_policy *cp = vpa_policy_for(&v->rpol, s->name_ptrs[c]);
        vpa_aggregate_init(&v->agg[c], &v->cpu_opts, &v->mem_opts, VPA_HALF_LIFE_MS,
                           VPA_HALF_LIFE_MS, &v->agg_cfg, 0);
        vpa_aggregate_update_from_policy(&v->agg[c], cp, 0, &v->agg_cfg, &v->agg_cfg_c[c]);
    }
    v->rec.items = v->recs;
    *out = v;
    return 0;
}

static void vpa_part_free(struct vpa_part *v, uint32_t n_c)
{
    if (!v)
        return;
    vpa_part_free(v->ref, n_c);
    for (uint32_t c = 0; c < n_c; c++)
        vpa_aggregate_fini(&v->agg[c]);
    free(v->cs);
    free(v->started_ms);
    free(v->eps);
    free(v);
}

static int vpa_reserve(struct vpa_part *v, size_t pods, uint32_t n_c, int64_t now_ms)
{
    if (pods <= v->cap)
        return 0;
    size_t cap = grown_cap(v->cap, pods);
    GROW(v->cs, cap * n_c);
    GROW(v->started_ms, cap * n_c);
    GROW(v->eps, cap);
    memset(v->eps, 0, cap * sizeof(*v->eps));
    for (size_t i = v->cap * n_c; i < cap * n_c; i++) {
        vpa_container_init(&v->cs[i]);
        v->started_ms[i] = now_ms;
    }
    v->cap = cap;
    return 0;
}

/* Feeds one observation to the recommender's model, as its cluster feeder does
 * with each metrics-server snapshot and each OOM event. */
static int vertical_observe(struct vpa_part *v, const struct pipeline_obs *obs, const double *cpu,
                            const double *mem)
{
    const uint32_t C = obs->n_containers;
    const size_t m = (size_t)obs->replicas;
    int rc = vpa_reserve(v, m, C, obs->now_ms);
    if (rc)
        return rc;
    if (!v->started) {
        v->started = 1;
        /* Pods found running at the start are taken as old (see OLD_POD_MS). */
        v->pods_started_ms = obs->now_ms - OLD_POD_MS;
        v->last_rec_ms = v->last_upd_ms = obs->now_ms - VPA_UPDATER_INTERVAL_MS;
        for (uint32_t c = 0; c < C; c++)
            v->agg[c].creation_ms = obs->now_ms;
        for (size_t i = 0; i < v->cap * C; i++)
            v->started_ms[i] = v->pods_started_ms;
    }
    memset(v->oom_now, 0, sizeof(v->oom_now));
    for (size_t j = 0; j < m; j++) {
        for (uint32_t c = 0; c < C; c++) {
            struct vpa_container *cs = &v->cs[j * C + c];
            struct vpa_aggregate *a = &v->agg[c];
            if (obs->oom && obs->oom[j * C + c]) {
                if (!v->oom_now[c]) {
                    v->oom_now[c] = 1;
                    v->oom_started_ms[c] = v->started_ms[j * C + c];
                }
                rc = vpa_container_record_oom(cs, a, obs->mem_request_bytes[c], obs->now_ms);
                if (rc && rc != VPA_ESTALE)
                    return rc;
                v->started_ms[j * C + c] = obs->now_ms;
            }
            if (v->skip_zero_memory && whole(mem[j * C + c]) == 0)
                continue;
            rc = vpa_container_add_memory(cs, a, whole(mem[j * C + c]), obs->now_ms);
            if (rc && rc != VPA_EORDER)
                return rc;
        }
    }
    /* CPU samples touch no memory state: they may come after the memory ones,
     * which stay per pod (each pod has its own peak window). Each distinct
     * sample is added once with its count; re-expressed usage (coordinated) is
     * a function of each pod's own usage, so it repeats as the observed does. */
    const size_t period = distinct_pods(obs);
    for (size_t i = 0; i < period; i++) {
        for (uint32_t c = 0; c < C; c++) {
            size_t taken;
            rc =
                vpa_containers_add_cpu(&v->cs[i * C + c], period * C, (m - i + period - 1) / period,
                                       &v->agg[c], whole(cpu[i * C + c]), obs->now_ms, &taken);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* A decision starts from container c's requests and limits as observed. */
static void keep_current(struct pipeline_decision *out, const struct pipeline_obs *obs, uint32_t c)
{
    out->cpu_request_milli[c] = obs->cpu_request_milli[c];
    out->mem_request_bytes[c] = obs->mem_request_bytes[c];
    out->cpu_limit_milli[c] = obs->cpu_limit_milli[c];
    out->mem_limit_bytes[c] = obs->mem_limit_bytes[c];
}

/* How a recommendation made for one group size is re-expressed for the group
 * running now, per resource: each pod's usage moves by the shift of the mean
 * pod's load, L / now - L / made_for (split over the containers as their
 * targets split); the fixed part, the pod's distance from the mean and the
 * margin stay, so a decrease never goes below the proportional k times x,
 * k = (a + L / now) / (a + L / made_for). */
static void convert_recs(const struct vpa_rec *raw, size_t n, const struct group_conv *g,
                         struct vpa_rec *out)
{
    memcpy(out, raw, n * sizeof(raw[0]));
    for (int res = 0; res < 2; res++) {
        if (g->shift[res] == 0)
            continue;
        double total = 0;
        for (size_t i = 0; i < n; i++)
            if (vpa_res_has(&raw[i].target, res))
                total += (double)raw[i].target.v[res];
        for (size_t i = 0; i < n; i++) {
            struct vpa_resources *f[4] = {&out[i].target, &out[i].lower, &out[i].upper,
                                          &out[i].uncapped};
            const double share = total > 0 && vpa_res_has(&raw[i].target, res)
                                     ? (double)raw[i].target.v[res] / total
                                     : 0;
            for (int x = 0; x < 4; x++) {
                if (!vpa_res_has(f[x], res))
                    continue;
                const double v = (double)f[x]->v[res];
                double y = v + g->shift[res] * share;
                if (g->shift[res] < 0 && y < v * g->k[res])
                    y = v * g->k[res];
                y = ceil(y);
                f[x]->v[res] =
                    y >= (double)VPA_MAX_RESOURCE_AMOUNT ? VPA_MAX_RESOURCE_AMOUNT : (int64_t)y;
            }
        }
    }
}

static void take_lower(struct vpa_resources *x, const struct vpa_resources *y)
{
    for (int res = 0; res < 2; res++)
        if (vpa_res_has(x, res) && vpa_res_has(y, res) && y->v[res] < x->v[res])
            x->v[res] = y->v[res];
}

static void convert_group_size(struct vpa_part *v)
{
    convert_recs(v->raw, v->n_raw, &v->conv, v->recs);
    if (v->ref && v->ref->n_raw == v->n_raw) {
        /* Both are upper bounds of the pods' usage at the group running now, under
         * different assumptions about how the load moves with the group (see
         * docs/coordination.md): the lower one is the tighter. */
        struct vpa_rec alt[PIPELINE_MAX_CONTAINERS];
        convert_recs(v->ref->raw, v->n_raw, &v->ref_conv, alt);
        for (size_t i = 0; i < v->n_raw; i++) {
            if (strcmp(alt[i].name, v->recs[i].name) != 0)
                continue;
            take_lower(&v->recs[i].target, &alt[i].target);
            take_lower(&v->recs[i].lower, &alt[i].lower);
            take_lower(&v->recs[i].upper, &alt[i].upper);
            take_lower(&v->recs[i].uncapped, &alt[i].uncapped);
        }
    }
    v->rec.n = v->n_raw;
    vpa_apply_vpa_policy(v->recs, v->rec.n, &v->rpol, NULL);
}

/* The recommender's pass over one part's aggregates: the pod's containers'
 * recommendations, unprocessed, into out. */
static int recommend(const struct pipeline_state *s, struct vpa_part *v, uint32_t C,
                     struct vpa_rec *out)
{
    struct vpa_aggregate *aggs[PIPELINE_MAX_CONTAINERS];
    for (uint32_t c = 0; c < C; c++)
        aggs[c] = &v->agg[c];
    return vpa_recommend_pod(s->name_ptrs, aggs, C, &v->est, VPA_ROUND_CPU_MILLI,
                             VPA_ROUND_MEM_BYTES, out, PIPELINE_MAX_CONTAINERS);
}

/* The recommender's half of the vertical step: this observation into the
 * histograms, and a fresh recommendation when its interval has passed. */
static int vertical_learn(struct pipeline_state *s, const struct pipeline_obs *obs,
                          const double *cpu, const double *mem)
{
    struct vpa_part *v = s->v;
    const uint32_t C = obs->n_containers;
    int rc = vertical_observe(v, obs, cpu, mem);
    if (rc)
        return rc;
    if (obs->now_ms - v->last_rec_ms >= VPA_RECOMMENDER_INTERVAL_MS) {
        int n = recommend(s, v, C, v->convert ? v->raw : v->recs);
        if (n < 0)
            return n;
        if (v->convert) {
            v->n_raw = (size_t)n;
            if (v->ref) {
                int n2 = recommend(s, v->ref, C, v->ref->raw);
                if (n2 < 0)
                    return n2;
                v->ref->n_raw = (size_t)n2;
            }
        } else {
            v->rec.n = (size_t)n;
            vpa_apply_vpa_policy(v->recs, v->rec.n, &v->rpol, NULL);
        }
        v->have_rec = 1;
        v->last_rec_ms = obs->now_ms;
    }
    return 0;
}

static int vertical_step(struct pipeline_state *s, const struct pipeline_obs *obs,
                         const double *cpu, const double *mem, struct pipeline_decision *out)
{
    struct vpa_part *v = s->v;
    const uint32_t C = obs->n_containers;
    v->pending_evict = 0;
    int rc = vertical_learn(s, obs, cpu, mem);
    if (rc)
        return rc;
    if (!v->have_rec || obs->now_ms - v->last_upd_ms < VPA_UPDATER_INTERVAL_MS)
        return 0;
    if (v->convert)
        convert_group_size(v);
    if (v->rec.n == 0)
        return 0;
    v->last_upd_ms = obs->now_ms;
    if (obs->replicas <= 0)
        return 0;

    /* The updater, on the template pod. */
    struct vpa_pod_container pcs[PIPELINE_MAX_CONTAINERS];
    for (uint32_t c = 0; c < C; c++) {
        memset(&pcs[c], 0, sizeof(pcs[c]));
        pcs[c].name = s->name_ptrs[c];
        put_res(&pcs[c].requests, obs->cpu_request_milli[c], obs->mem_request_bytes[c]);
        put_res(&pcs[c].limits, obs->cpu_limit_milli[c], obs->mem_limit_bytes[c]);
    }
    struct vpa_pod pod = {.containers = pcs, .n = C, .observed_containers = NULL};
    struct vpa_rec capped[2 * PIPELINE_MAX_CONTAINERS];
    struct vpa_cap_note notes[8 * PIPELINE_MAX_CONTAINERS];
    struct vpa_cap_output co = {.items = capped,
                                .cap = 2 * PIPELINE_MAX_CONTAINERS,
                                .notes = notes,
                                .notes_cap = 8 * PIPELINE_MAX_CONTAINERS};
    struct vpa_cap_input ci = {.has_vpa = 1, .rec = &v->rec, .policy = &v->rpol, .pod = &pod};
    rc = vpa_cap_apply(&ci, &co);
    if (rc)
        return rc;
    struct vpa_recommendation processed = {.items = co.nil ? NULL : capped, .n = co.n};
    struct vpa_priority prio;
    vpa_update_priority(&pod, &processed, &prio);
    /* Containers OOM-killed at this observation are terminations the quick-OOM rule reads. */
    struct vpa_last_termination terms[PIPELINE_MAX_CONTAINERS];
    size_t n_terms = 0;
    for (uint32_t c = 0; c < C; c++) {
        if (!v->oom_now[c])
            continue;
        terms[n_terms].container = s->name_ptrs[c];
        terms[n_terms].oom_killed = 1;
        terms[n_terms].started_ms = v->oom_started_ms[c];
        terms[n_terms].finished_ms = obs->now_ms;
        n_terms++;
    }
    struct vpa_update_candidate cand = {
        .name = "pod",
        .has_start = 1,
        .start_ms = v->pods_started_ms,
        .prio = prio,
        .terms = terms,
        .n_terms = n_terms,
        .processed = &processed,
        .admitted = 1,
    };
    size_t order[1];
    if (vpa_update_order(&v->upd, v->mode, &v->rpol, &cand, 1, obs->now_ms, order) == 0)
        return 0;
    /* The eviction restriction of one updater loop decides whether any pod may go. */
    struct vpa_controller ctrl = {
        .kind = VPA_CTRL_REPLICA_SET, .has_replicas = 1, .replicas = obs->replicas};
    struct vpa_eviction_config ec = {.min_replicas = 2,
                                     .has_vpa_min_replicas = s->policy.vertical.min_replicas > 0,
                                     .vpa_min_replicas = s->policy.vertical.min_replicas,
                                     .eviction_tolerance = 0.5,
                                     .mode = v->mode};
    struct vpa_evict_group g;
    rc = vpa_evict_group_init(&g, &ctrl, v->eps, (size_t)obs->replicas, &ec);
    if (rc)
        return rc;
    int action = vpa_update_action(&g, &v->eps[0], v->mode);
    if (action == VPA_ACTION_NONE)
        return 0;

    /* Apply: new requests (and proportional limits) for every container. */
    int changed = 0;
    out->resources_touched = 0;
    for (uint32_t c = 0; c < C; c++) {
        keep_current(out, obs, c);
        const struct vpa_rec *r = NULL;
        for (size_t i = 0; i < processed.n; i++)
            if (strcmp(processed.items[i].name, s->name_ptrs[c]) == 0)
                r = &processed.items[i];
        if (!r)
            continue;
        const struct vpa_container_policy *cp = vpa_policy_for(&v->rpol, s->name_ptrs[c]);
        int cv =
            cp && cp->has_controlled_values ? cp->controlled_values : VPA_CV_REQUESTS_AND_LIMITS;
        struct vpa_resources req, lim;
        vpa_new_resources(r, &pcs[c], cv, NULL, &req, &lim);
        if (vpa_res_has(&req, VPA_CPU) && req.v[VPA_CPU] != obs->cpu_request_milli[c]) {
            out->cpu_request_milli[c] = req.v[VPA_CPU];
            out->resources_touched |= POLICY_RES_BIT(POLICY_RES_CPU);
            changed = 1;
        }
        if (vpa_res_has(&req, VPA_MEMORY) && req.v[VPA_MEMORY] != obs->mem_request_bytes[c]) {
            out->mem_request_bytes[c] = req.v[VPA_MEMORY];
            out->resources_touched |= POLICY_RES_BIT(POLICY_RES_MEMORY);
            changed = 1;
        }
        if (obs->cpu_limit_milli[c] != POLICY_UNSET && vpa_res_has(&lim, VPA_CPU))
            out->cpu_limit_milli[c] = lim.v[VPA_CPU];
        if (obs->mem_limit_bytes[c] != POLICY_UNSET && vpa_res_has(&lim, VPA_MEMORY))
            out->mem_limit_bytes[c] = lim.v[VPA_MEMORY];
    }
    if (!changed)
        return 0;
    out->resources = 1;
    /* Later updater loops evict the rest of the pods the same way: replay applies
     * the whole round at once (docs/replay.md). */
    out->pods_restarted = action == VPA_ACTION_EVICT ? obs->replicas : 0;
    int quick_oom = 0;
    for (size_t i = 0; i < n_terms; i++)
        if (terms[i].finished_ms - terms[i].started_ms < v->upd.evict_after_oom_ms)
            quick_oom = 1;
    v->why_evict = action == VPA_ACTION_EVICT;
    v->why_cause = prio.outside_range ? CAUSE_OUTSIDE_RANGE
                   : quick_oom        ? CAUSE_QUICK_OOM
                                      : CAUSE_IN_RANGE;
    v->why_diff = prio.diff;
    v->pending_evict = action == VPA_ACTION_EVICT;
    return 0;
}

static void vertical_reason(const struct vpa_part *v, struct pipeline_decision *out)
{
    static const char *const cause[] = {
        [CAUSE_OUTSIDE_RANGE] = "requests outside the recommended range",
        [CAUSE_QUICK_OOM] = "OOM-killed soon after start (quick OOM)",
        [CAUSE_IN_RANGE] = "in range, changed by at least the update threshold"};
    snprintf(out->resources_reason, sizeof(out->resources_reason), "%s: %s, resource diff %.0f%%",
             v->why_evict ? "evicted (Recreate)" : "resized in place", cause[v->why_cause],
             v->why_diff * 100.0);
}

/* An eviction round that stands restarts every pod: their container states
 * start afresh, as the recommender sees new pods. */
static void vertical_commit(struct vpa_part *v, uint32_t C, int64_t now_ms)
{
    if (!v->pending_evict)
        return;
    v->pending_evict = 0;
    v->pods_started_ms = now_ms;
    for (size_t i = 0; i < v->cap * C; i++) {
        vpa_container_init(&v->cs[i]);
        v->started_ms[i] = now_ms;
    }
    if (v->ref) {
        v->ref->pending_evict = 1;
        vertical_commit(v->ref, C, now_ms);
    }
}

/* ---- coordinated ---- */

static int coord_part_new(const struct ps_policy *p, struct coord_part **out)
{
    struct coord_part *co = calloc(1, sizeof(*co));
    if (!co)
        return PS_ENOMEM;
    coord_params_default(&co->params);
    static const enum coord_bottleneck bn[] = {COORD_BN_AUTO, COORD_BN_CPU, COORD_BN_MEMORY,
                                               COORD_BN_METRICS};
    co->params.bottleneck = p->bottleneck < 4 ? bn[p->bottleneck] : COORD_BN_AUTO;
    const struct policy_coordination *pc = &p->coordination;
    if (pc->pressure_percentile > 0)
        co->params.pressure_percentile = pc->pressure_percentile;
    if (pc->has_switch_margin)
        co->params.switch_margin = pc->switch_margin;
    if (pc->window_s > 0)
        co->params.window_ms = (int64_t)pc->window_s * 1000;
    if (pc->has_switch_sustain)
        co->params.switch_sustain_ms = (int64_t)pc->switch_sustain_s * 1000;
    if (pc->has_min_load_share)
        co->params.min_load_share = pc->min_load_share;
    if (pc->memory_target_utilization > 0)
        co->params.memory_target_utilization = pc->memory_target_utilization;
    if (pc->has_max_changes)
        co->params.max_vertical_changes_per_day = pc->max_vertical_changes_per_day;
    if (pc->has_outrun_budget)
        co->params.memory_outrun_budget = pc->memory_outrun_budget;
    if (pc->has_group_settle)
        co->params.group_settle_ms = (int64_t)pc->group_settle_s * 1000;
    co->params.lower_after_ms = (int64_t)pc->lower_after_s * 1000;
    if (pc->has_release_at_min)
        co->params.release_at_min = pc->release_at_min;
    if (pc->has_disruption_window) {
        co->params.disruption_window_ms = (int64_t)pc->disruption_window_s * 1000;
    } else if (p->horizontal.has_behavior) {
        /* The stabilization window the user set is the one to respect. */
        const struct policy_scaling_rules *up = &p->horizontal.scale_up,
                                          *down = &p->horizontal.scale_down;
        int32_t w = down->has_window ? down->stabilization_window_s : 300;
        if (up->has_window && up->stabilization_window_s > w)
            w = up->stabilization_window_s;
        co->params.disruption_window_ms = (int64_t)w * 1000;
    }
    int rc = coord_params_validate(&co->params);
    if (rc) {
        free(co);
        return rc;
    }
    co->h.enabled = p->horizontal.enabled;
    co->h.vertical = p->vertical.enabled;
    co->target_utilization[COORD_CPU] = 80; /* autoscaling/v2 default: cpu at 80% */
    co->target_utilization[COORD_MEMORY] = co->params.memory_target_utilization;
    int named_util[COORD_NRES] = {0, 0}, named_value[COORD_NRES] = {0, 0};
    for (unsigned i = 0; p->horizontal.enabled && i < p->horizontal.n_metrics; i++) {
        const struct policy_metric *m = &p->horizontal.metrics[i];
        if (m->type == POLICY_METRIC_RESOURCE || m->type == POLICY_METRIC_CONTAINER_RESOURCE) {
            const int r = m->resource == POLICY_RES_MEMORY ? COORD_MEMORY : COORD_CPU;
            if (r == COORD_MEMORY)
                co->h.names_memory = true;
            else
                co->h.names_cpu = true;
            if (m->target != POLICY_TARGET_UTILIZATION)
                named_value[r] = 1;
            else if (!named_util[r] || m->average_utilization < named_util[r])
                named_util[r] = m->average_utilization;
        } else {
            co->h.names_other = true;
        }
    }
    for (int r = 0; r < COORD_NRES; r++)
        if (named_util[r] || named_value[r])
            co->target_utilization[r] = named_util[r];
    co->h.min_replicas = p->horizontal.min_replicas;
    co->h.target_utilization[COORD_CPU] = co->target_utilization[COORD_CPU];
    co->h.target_utilization[COORD_MEMORY] = co->target_utilization[COORD_MEMORY];
    coord_state_init(&co->st);
    *out = co;
    return 0;
}

static void coord_part_free(struct coord_part *co)
{
    if (!co)
        return;
    free(co->pods);
    free(co->cpu);
    free(co->mem);
    free(co->cpu_ref);
    free(co->mem_ref);
    hpa_part_free(co->shadow);
    free(co->shadow_cpu);
    free(co->shadow_mem);
    free(co);
}

static int coord_reserve(struct coord_part *co, size_t pods, uint32_t n_c)
{
    if (pods <= co->cap)
        return 0;
    size_t cap = grown_cap(co->cap, pods);
    GROW(co->pods, cap);
    GROW(co->cpu, cap * n_c);
    GROW(co->mem, cap * n_c);
    GROW(co->cpu_ref, cap * n_c);
    GROW(co->mem_ref, cap * n_c);
    co->cap = cap;
    return 0;
}

/* The shadow HPA on memory (struct coord_part): one step. Its pods are the
 * observed ones re-expressed at its own replica count, as one container at the
 * pod's reference requests; a pod whose memory passes the request there is an
 * outrun. Then the shadow scales as the HPA would. */
static int shadow_step(struct coord_part *co, const struct pipeline_obs *obs,
                       const double total[COORD_NRES])
{
    const int m = obs->replicas;
    if (m <= 0)
        return 0;
    /* The pod's reference requests, as the coordinator measures pressure against. */
    int64_t req[2] = {(int64_t)co->st.ref_request[COORD_CPU],
                      (int64_t)co->st.ref_request[COORD_MEMORY]},
            unset = POLICY_UNSET;
    if (req[1] <= 0)
        return 0; /* no request to pass: nothing can be outrun */
    if (co->shadow_n <= 0 ||
        (co->have_own && co->own.owner[COORD_MEMORY] == COORD_OWNER_HORIZONTAL))
        co->shadow_n = m;
    const int n = co->shadow_n;
    if ((size_t)n > co->shadow_cap) {
        size_t cap = grown_cap(co->shadow_cap, (size_t)n);
        GROW(co->shadow_cpu, cap);
        GROW(co->shadow_mem, cap);
        co->shadow_cap = cap;
    }
    const double fixed = coord_gsm_fixed(&co->st.gsm[COORD_MEMORY]);
    const double mean = total[COORD_MEMORY] / (double)m;
    int over = 0;
    for (int j = 0; j < n; j++) {
        const struct coord_pod_sample *ps = &co->pods[j % m];
        const double u = coord_gsm_rescale_pod(fixed, ps->usage[COORD_MEMORY], mean, m, n);
        co->shadow_mem[j] = u;
        co->shadow_cpu[j] = ps->usage[COORD_CPU];
        over += whole(u) > (double)req[1];
    }
    int rc = over ? coord_note_outrun(&co->st, &co->params, obs->now_ms, over) : 0;
    if (rc)
        return rc;
    static const char *const pod_name[1] = {"pod"};
    /* Pod j of the shadow is pod j mod m rescaled alike: the HPA fills copies. */
    const struct pipeline_obs so = {.now_ms = obs->now_ms,
                                    .replicas = n,
                                    .period = n > m ? m : 0,
                                    .n_containers = 1,
                                    .cpu_milli = co->shadow_cpu,
                                    .mem_bytes = co->shadow_mem,
                                    .cpu_request_milli = &req[0],
                                    .mem_request_bytes = &req[1],
                                    .cpu_limit_milli = &unset,
                                    .mem_limit_bytes = &unset};
    int rescale;
    if ((rc = hpa_sync(co->shadow, pod_name, &so, &rescale)))
        return rc;
    if (rescale && co->shadow->d.desired_replicas > 0)
        co->shadow_n = co->shadow->d.desired_replicas;
    return 0;
}

/* The vertical part controls only what it owns: its container policies'
 * controlled resources are narrowed to that set, with a "*" policy for the
 * containers no policy names. The filter after it is the safety net. */
static void vertical_own(struct pipeline_state *s, unsigned mask)
{
    struct vpa_part *v = s->v;
    if (v->owned_mask == mask)
        return;
    v->owned_mask = mask;
    for (size_t i = 0; i < v->rpol.n; i++)
        v->cpol[i].controlled_resources = v->controlled_orig[i] & mask;
    /* The aggregates recommend what their policy controls, as upstream's
     * recommender re-reads it each loop. Left recommending the resource the HPA
     * owns, the updater's priority summed its difference too: the request the
     * vertical part never changes counted as a 22% difference at every step,
     * and google2011-jobs saw memory resized by 1% to 4% at nearly every step. */
    for (uint32_t c = 0; c < s->n_containers; c++) {
        const struct vpa_container_policy *cp = vpa_policy_for(&v->rpol, s->name_ptrs[c]);
        vpa_aggregate_update_from_policy(&v->agg[c], cp, 0, NULL, NULL);
        if (v->ref)
            vpa_aggregate_update_from_policy(&v->ref->agg[c], cp, 0, NULL, NULL);
    }
}

static void vertical_coord_init(struct vpa_part *v)
{
    int star = 0;
    for (size_t i = 0; i < v->rpol.n; i++) {
        v->controlled_orig[i] = (uint8_t)v->cpol[i].controlled_resources;
        if (strcmp(v->cpol[i].name, "*") == 0)
            star = 1;
    }
    if (!star && v->rpol.n < POLICY_MAX_CONTAINERS) {
        struct vpa_container_policy *cp = &v->cpol[v->rpol.n];
        memset(cp, 0, sizeof(*cp));
        cp->name = "*";
        cp->has_mode = 1;
        cp->mode = VPA_SCALING_AUTO;
        cp->has_controlled_values = 1;
        cp->controlled_values = VPA_CV_REQUESTS_AND_LIMITS;
        cp->has_controlled_resources = 1;
        cp->controlled_resources = VPA_RES_CPU | VPA_RES_MEM;
        v->controlled_orig[v->rpol.n] = VPA_RES_CPU | VPA_RES_MEM;
        v->rpol.items = v->cpol;
        v->rpol.n++;
    }
    v->owned_mask = VPA_RES_CPU | VPA_RES_MEM;
}

static int64_t sum_requests(const int64_t *req, uint32_t C)
{
    int64_t t = 0;
    for (uint32_t c = 0; c < C; c++)
        if (req[c] != POLICY_UNSET && req[c] > 0)
            t += req[c];
    return t;
}

/* The vertical part changes requests without restarting pods (InPlace, or
 * InPlaceOrRecreate until a resize fails). */
static int resizes_in_place(const struct ps_policy *p)
{
    return p->vertical.update_mode == POLICY_UPDATE_IN_PLACE ||
           p->vertical.update_mode == POLICY_UPDATE_IN_PLACE_OR_RECREATE;
}

/* Raises out's requests (limits keeping their ratio) of the resources in mask
 * to the recommendation converted to the group running now, where it is
 * higher: what the pods need now. Returns the POLICY_RES_BIT of what it raised;
 * 0 where the update mode cannot resize in place. out holds every container's
 * values already. */
static uint8_t raise_to_target(struct pipeline_state *s, const struct pipeline_obs *obs,
                               struct pipeline_decision *out, unsigned mask, double min_ratio)
{
    struct vpa_part *v = s->v;
    const uint32_t C = obs->n_containers;
    if (v->n_raw == 0 || !resizes_in_place(&s->policy))
        return 0;
    convert_group_size(v);
    uint8_t touched = 0;
    for (uint32_t c = 0; c < C; c++) {
        const struct vpa_rec *r = NULL;
        for (size_t i = 0; i < v->rec.n; i++)
            if (strcmp(v->recs[i].name, s->name_ptrs[c]) == 0)
                r = &v->recs[i];
        if (!r)
            continue;
        int64_t *req[2] = {&out->cpu_request_milli[c], &out->mem_request_bytes[c]};
        int64_t *lim[2] = {&out->cpu_limit_milli[c], &out->mem_limit_bytes[c]};
        for (int res = 0; res < 2; res++) {
            if (!(mask & (res == VPA_CPU ? VPA_RES_CPU : VPA_RES_MEM)) ||
                !vpa_res_has(&r->target, res) || *req[res] == POLICY_UNSET)
                continue;
            int64_t want = r->target.v[res];
            if (want <= *req[res] || (double)want < (double)*req[res] * min_ratio)
                continue;
            if (*lim[res] != POLICY_UNSET && *req[res] > 0) {
                /* The limit keeps its ratio to the request. */
                double l = ceil((double)*lim[res] * (double)want / (double)*req[res]);
                *lim[res] =
                    l >= (double)VPA_MAX_RESOURCE_AMOUNT ? VPA_MAX_RESOURCE_AMOUNT : (int64_t)l;
            }
            *req[res] = want;
            touched |= (uint8_t)POLICY_RES_BIT(res == VPA_CPU ? POLICY_RES_CPU : POLICY_RES_MEMORY);
        }
    }
    return touched;
}

/* The group the recommendations are converted to shrank (from > to: a
 * scale-in, or pods gone): where the smaller group needs more of a resource the
 * vertical part owns, its request follows at once (in place: the updater's
 * in-range rule would wait while per-pod usage climbs past the request; an
 * exempt raise, docs/coordination.md rule 5). Or the HPA scales out (from <
 * to): the load rises, and until the new pods are ready the pods there carry
 * it; a request the target exceeds by the updater's own threshold (10%) is
 * raised now rather than after the updater's in-range wait. Smaller raises
 * there are churn: they were 389 of bitbrains-rnd's 564 scale-out raises, and
 * leaving them out cost two of its 367 would-be OOMs and none of google2011's;
 * leaving out every scale-out raise cost 20 and 2. Decreases wait for the
 * updater. */
static int follow_group(struct pipeline_state *s, const struct pipeline_obs *obs,
                        struct pipeline_decision *out, unsigned mask, int from, int to)
{
    for (uint32_t c = 0; c < obs->n_containers; c++)
        keep_current(out, obs, c);
    const uint8_t touched = raise_to_target(s, obs, out, mask, from < to ? 1.1 : 1.0);
    if (!touched)
        return 0;
    out->resources = 1;
    out->resources_touched = touched;
    out->pods_restarted = 0;
    s->v->pending_evict = 0;
    if (from > to)
        snprintf(out->resources_reason, sizeof(out->resources_reason),
                 "resized in place: the group shrank from %d to %d pods", from, to);
    else
        snprintf(out->resources_reason, sizeof(out->resources_reason),
                 "resized in place: the HPA scales out from %d to %d pods; raised to the "
                 "vertical target, 10%% or more above the request",
                 from, to);
    return 0;
}

/* Each pod's usage re-expressed at `target` replicas (coord_gsm_rescale_pod),
 * then split over its containers as measured. */
static void reexpress(const struct coord_part *co, const struct pipeline_obs *obs,
                      const double total[COORD_NRES], int target, double *cpu, double *mem)
{
    const uint32_t C = obs->n_containers;
    const size_t m = (size_t)obs->replicas;
    const double fixed_c = coord_gsm_fixed(&co->st.gsm[COORD_CPU]);
    const double fixed_m = coord_gsm_fixed(&co->st.gsm[COORD_MEMORY]);
    const double mean_c = total[COORD_CPU] / (double)m, mean_m = total[COORD_MEMORY] / (double)m;
    for (size_t j = 0; j < m; j++) {
        const struct coord_pod_sample *ps = &co->pods[j];
        double kc = ps->usage[COORD_CPU] > 0 ? coord_gsm_rescale_pod(fixed_c, ps->usage[COORD_CPU],
                                                                     mean_c, (int)m, target) /
                                                   ps->usage[COORD_CPU]
                                             : 1.0;
        double km =
            ps->usage[COORD_MEMORY] > 0
                ? coord_gsm_rescale_pod(fixed_m, ps->usage[COORD_MEMORY], mean_m, (int)m, target) /
                      ps->usage[COORD_MEMORY]
                : 1.0;
        for (uint32_t c = 0; c < C; c++) {
            cpu[j * C + c] = obs->cpu_milli[j * C + c] * kc;
            mem[j * C + c] = obs->mem_bytes[j * C + c] * km;
        }
    }
}

/* The conversion of a recommendation made for made_for replicas to the group
 * of now replicas, with L this moment's load (struct group_conv). */
static void group_conversion(const struct coord_part *co, const double total[COORD_NRES], int m,
                             int now, int made_for, struct group_conv *g)
{
    for (int r = 0; r < COORD_NRES; r++) {
        const int res = r == COORD_CPU ? VPA_CPU : VPA_MEMORY;
        const double a = coord_gsm_fixed(&co->st.gsm[r]);
        const double load = total[r] - a * (double)m;
        g->shift[res] = 0;
        g->k[res] = 1.0;
        if (now == made_for || now <= 0 || made_for <= 0 || !(load > 0))
            continue;
        g->shift[res] = load / (double)now - load / (double)made_for;
        g->k[res] = (a + load / (double)now) / (a + load / (double)made_for);
    }
}

/* What kind of change the vertical part is about to make, for rule 5 and the
 * daily cap (enum coord_change_flags). */
static unsigned change_flags(const struct vpa_part *v, const struct pipeline_decision *out,
                             const struct coord_container_change *ch, uint32_t C, int from_updater)
{
    unsigned flags = out->pods_restarted > 0 ? COORD_CHANGE_RESTARTS : 0;
    bool raises_only = true, raises_oom_memory = false;
    for (uint32_t c = 0; c < C; c++) {
        for (int r = 0; r < COORD_NRES; r++)
            if (ch[c].request_after[r] < ch[c].request_before[r])
                raises_only = false;
        if (v->oom_now[c] && ch[c].request_after[COORD_MEMORY] > ch[c].request_before[COORD_MEMORY])
            raises_oom_memory = true;
    }
    if (raises_oom_memory)
        flags |= COORD_CHANGE_AFTER_OOM;
    if (!raises_only)
        flags |= COORD_CHANGE_LOWERS;
    /* Needed now: the group shrank under the pods (follow_group), or the updater
     * found the requests below the recommended range or a quick OOM; not a move
     * inside the range. */
    if (raises_only && (!from_updater || v->why_cause != CAUSE_IN_RANGE))
        flags |= COORD_CHANGE_NEEDED;
    return flags;
}

/* A proposed vertical change (out->resources) through rule 4's filter, rule 5
 * and the daily cap: it stands and is committed, or out->resources is cleared
 * (held_reason says why when the gate held it). */
static int vertical_stand(struct pipeline_state *s, const struct pipeline_obs *obs,
                          struct pipeline_decision *out, int from_updater)
{
    struct coord_part *co = s->co;
    const uint32_t C = obs->n_containers;
    int rc;
    /* Rule 4, by construction and checked again. */
    struct coord_container_change ch[PIPELINE_MAX_CONTAINERS];
    for (uint32_t c = 0; c < C; c++) {
        ch[c].request_before[COORD_CPU] = obs->cpu_request_milli[c];
        ch[c].request_before[COORD_MEMORY] = obs->mem_request_bytes[c];
        ch[c].limit_before[COORD_CPU] = obs->cpu_limit_milli[c];
        ch[c].limit_before[COORD_MEMORY] = obs->mem_limit_bytes[c];
        ch[c].request_after[COORD_CPU] = out->cpu_request_milli[c];
        ch[c].request_after[COORD_MEMORY] = out->mem_request_bytes[c];
        ch[c].limit_after[COORD_CPU] = out->cpu_limit_milli[c];
        ch[c].limit_after[COORD_MEMORY] = out->mem_limit_bytes[c];
    }
    int changing = coord_filter_vertical(&co->own, ch, C);
    if (changing < 0)
        return changing;
    uint8_t touched = 0;
    for (uint32_t c = 0; c < C; c++) {
        out->cpu_request_milli[c] = ch[c].request_after[COORD_CPU];
        out->mem_request_bytes[c] = ch[c].request_after[COORD_MEMORY];
        out->cpu_limit_milli[c] = ch[c].limit_after[COORD_CPU];
        out->mem_limit_bytes[c] = ch[c].limit_after[COORD_MEMORY];
        if (ch[c].request_after[COORD_CPU] != ch[c].request_before[COORD_CPU])
            touched |= POLICY_RES_BIT(POLICY_RES_CPU);
        if (ch[c].request_after[COORD_MEMORY] != ch[c].request_before[COORD_MEMORY])
            touched |= POLICY_RES_BIT(POLICY_RES_MEMORY);
    }
    out->resources_touched = touched;
    if (changing == 0 || touched == 0) {
        out->resources = 0;
        s->v->pending_evict = 0;
        return 0;
    }
    const unsigned flags = change_flags(s->v, out, ch, C, from_updater);
    /* Rule 5 and the daily cap coordinate with a horizontal scaler; with none,
     * the upstream updater's own eviction restriction is the whole rule. */
    if (s->h) {
        enum coord_gate_reason g =
            coord_gate_vertical(&co->st, &co->params, obs->now_ms, flags, obs->replicas,
                                s->policy.horizontal.min_replicas);
        if (g != COORD_GATE_OK) {
            snprintf(out->held_reason, sizeof(out->held_reason), "%s", coord_gate_reason_name(g));
            out->resources = 0;
            s->v->pending_evict = 0;
            return 0;
        }
    }
    if ((rc = coord_check_invariant(&co->own, ch, C)))
        return rc;
    /* Formatted only for a change that stands: the gate above may hold it. */
    if (from_updater)
        vertical_reason(s->v, out);
    vertical_commit(s->v, C, obs->now_ms);
    coord_note_vertical_change(&co->st, obs->now_ms, flags);
    out->cap_counted = s->h ? coord_change_counts(flags) : -1;
    return 0;
}

/* Whether handing `bn` to the HPA changes a request: one back to the reference. */
static int handover_changes(const struct coord_part *co, const struct pipeline_obs *obs, int bn)
{
    for (uint32_t c = 0; c < obs->n_containers; c++) {
        if (bn == COORD_CPU ? obs->cpu_request_milli[c] != co->ref_cpu_req[c]
                            : obs->mem_request_bytes[c] != co->ref_mem_req[c])
            return 1;
    }
    return 0;
}

/* The vertical bound release_at_min compares the reference request with
 * (coord_note_vertical_bound): for memory the recommender's upper bound, the
 * request its updater would leave in place however its history moves; for cpu,
 * whose overshoot costs a throttled step and not a kill, its target plus the
 * updater's change threshold. Each container's estimate takes the pod minimum
 * and its policy's minAllowed and maxAllowed, as a recommendation does: a
 * request the policy's minimum holds up is not one the vertical scaler would
 * lower. From the recommender's last pass, for the group running now. Only for
 * the resource a release may read (coord_release_candidate): it walks the
 * histogram of a resource the recommender otherwise leaves alone. */
static int note_vertical_bounds(struct pipeline_state *s, const struct pipeline_obs *obs)
{
    struct coord_part *co = s->co;
    struct vpa_part *v = s->v;
    double bound[COORD_NRES] = {0, 0};
    const int r = v && v->have_rec ? coord_release_candidate(&co->st, &co->params, &co->h) : -1;
    if (r < 0 && co->st.vertical_bound[COORD_CPU] == 0 && co->st.vertical_bound[COORD_MEMORY] == 0)
        return 0; /* nothing to ask, nothing to clear: most steps */
    if (r >= 0) {
        const int res = r == COORD_CPU ? VPA_CPU : VPA_MEMORY;
        const int field = r == COORD_CPU ? VPA_TARGET : VPA_UPPER;
        const double over = r == COORD_CPU ? 1.0 + v->upd.min_change_priority : 1.0;
        size_t active = 0;
        for (uint32_t c = 0; c < obs->n_containers; c++)
            active += v->agg[c].scaling_mode != VPA_SCALING_OFF;
        int64_t min_share[2] = {0, 0};
        if (active > 0)
            vpa_pod_min_share(&v->est, active, min_share);
        for (uint32_t c = 0; c < obs->n_containers; c++) {
            if (v->agg[c].scaling_mode == VPA_SCALING_OFF)
                continue;
            /* The recommendation's own steps: the pod minimum, then the policy. */
            int64_t est[3][2] = {{0, 0}, {0, 0}, {0, 0}};
            est[field][res] = vpa_estimate(&v->agg[c], &v->est, res, field);
            struct vpa_rec rec = {.name = s->name_ptrs[c]};
            vpa_recommend_from_estimates(est, 1u << res, min_share, &rec);
            vpa_apply_vpa_policy(&rec, 1, &v->rpol, NULL);
            const struct vpa_resources *f = field == VPA_TARGET ? &rec.target : &rec.upper;
            bound[r] += over * (double)f->v[res];
        }
    }
    for (int k = 0; k < COORD_NRES; k++) {
        int rc = coord_note_vertical_bound(&co->st, (enum coord_resource)k, bound[k]);
        if (rc)
            return rc;
    }
    return 0;
}

static int coordinated_step(struct pipeline_state *s, const struct pipeline_obs *obs,
                            struct pipeline_decision *out)
{
    struct coord_part *co = s->co;
    const uint32_t C = obs->n_containers;
    const size_t m = (size_t)obs->replicas;
    int rc = coord_reserve(co, m ? m : 1, C);
    if (rc)
        return rc;

    /* Pod-level usage and requests: pressure is per pod, as the HPA sees it. */
    const double req_cpu = (double)sum_requests(obs->cpu_request_milli, C);
    const double req_mem = (double)sum_requests(obs->mem_request_bytes, C);
    double total[COORD_NRES] = {0, 0};
    for (size_t j = 0; j < m; j++) {
        struct coord_pod_sample *ps = &co->pods[j];
        ps->usage[COORD_CPU] = ps->usage[COORD_MEMORY] = 0;
        for (uint32_t c = 0; c < C; c++) {
            ps->usage[COORD_CPU] += obs->cpu_milli[j * C + c];
            ps->usage[COORD_MEMORY] += obs->mem_bytes[j * C + c];
        }
        ps->request[COORD_CPU] = req_cpu;
        ps->request[COORD_MEMORY] = req_mem;
        total[COORD_CPU] += ps->usage[COORD_CPU];
        total[COORD_MEMORY] += ps->usage[COORD_MEMORY];
    }
    if ((rc = coord_observe(&co->st, &co->params, obs->now_ms, co->pods, m)))
        return rc;

    if (!co->have_ref) {
        co->have_ref = 1;
        memcpy(co->ref_cpu_req, obs->cpu_request_milli, C * sizeof(int64_t));
        memcpy(co->ref_mem_req, obs->mem_request_bytes, C * sizeof(int64_t));
        memcpy(co->ref_cpu_lim, obs->cpu_limit_milli, C * sizeof(int64_t));
        memcpy(co->ref_mem_lim, obs->mem_limit_bytes, C * sizeof(int64_t));
    }
    if (co->shadow && (rc = shadow_step(co, obs, total)))
        return rc;
    if ((rc = note_vertical_bounds(s, obs)))
        return rc;
    const int before = co->have_own ? co->own.bottleneck : -1;
    const uint8_t owners_before[2] = {(uint8_t)co->own.owner[COORD_CPU],
                                      (uint8_t)co->own.owner[COORD_MEMORY]};
    const int in_place = resizes_in_place(&s->policy);
    /* In a mode that restarts pods the handover restarts them all, so rule 5
     * holds the switch it serves: an owner switch without its handover would
     * leave the HPA measuring against a request the vertical side sized. The
     * step's ownership decision is then undone, as if the hysteresis had not
     * yet let it through, and tried again at the next step. */
    /* The gate reads the last scale event and the pods, which the ownership
     * decision does not change: asked first, the coordinator's state (1.9 KB)
     * is kept aside only on the steps where a switch would be held. */
    const enum coord_gate_reason g =
        !in_place && s->v && s->h && co->have_own
            ? coord_gate_vertical(&co->st, &co->params, obs->now_ms,
                                  COORD_CHANGE_RESTARTS | COORD_CHANGE_HANDOVER, obs->replicas,
                                  s->policy.horizontal.min_replicas)
            : COORD_GATE_OK;
    struct coord_state st_before;
    struct coord_ownership own_before;
    if (g != COORD_GATE_OK) {
        st_before = co->st;
        own_before = co->own;
    }
    if ((rc = coord_decide_ownership(&co->st, &co->params, &co->h, obs->now_ms, &co->own)))
        return rc;
    /* Memory taken back after an outrun is not held: its pods are past their
     * memory already, as after an OOM kill. */
    if (g != COORD_GATE_OK && co->own.changed && co->own.bottleneck >= 0 &&
        co->own.bottleneck != before && co->own.reason != COORD_R_AUTO_OUTRUN &&
        handover_changes(co, obs, co->own.bottleneck)) {
        snprintf(out->held_reason, sizeof(out->held_reason), "owner switch to %s held: %s",
                 coord_resource_name((enum coord_resource)co->own.bottleneck),
                 coord_gate_reason_name(g));
        co->st = st_before;
        co->own = own_before;
        co->own.changed = false;
    }
    out->coordinated = 1;
    out->owner[COORD_CPU] = (uint8_t)co->own.owner[COORD_CPU];
    out->owner[COORD_MEMORY] = (uint8_t)co->own.owner[COORD_MEMORY];
    if (!co->have_own || co->own.changed) {
        out->ownership_changed = 1;
        out->bottleneck_before = (int8_t)before;
        out->bottleneck_after = (int8_t)co->own.bottleneck;
        coord_format_reason(&co->own, &co->params, out->ownership_reason,
                            sizeof(out->ownership_reason));
    }
    const int had_own = co->have_own;
    co->have_own = 1;
    const int bn = co->own.bottleneck;
    out->resources_owner[COORD_CPU] = out->owner[COORD_CPU];
    out->resources_owner[COORD_MEMORY] = out->owner[COORD_MEMORY];

    if (had_own && co->own.changed && bn >= 0 && bn != before && s->v) {
        /* The handover. It is the last act of the vertical side on that resource:
         * not gated (the switch is what it serves, and switches are rare by the
         * hysteresis), not followed by a vertical step in this round. */
        int changed = 0;
        for (uint32_t c = 0; c < C; c++) {
            keep_current(out, obs, c);
            if (bn == COORD_CPU && obs->cpu_request_milli[c] != co->ref_cpu_req[c]) {
                out->cpu_request_milli[c] = co->ref_cpu_req[c];
                out->cpu_limit_milli[c] = co->ref_cpu_lim[c];
                changed = 1;
            } else if (bn == COORD_MEMORY && obs->mem_request_bytes[c] != co->ref_mem_req[c]) {
                out->mem_request_bytes[c] = co->ref_mem_req[c];
                out->mem_limit_bytes[c] = co->ref_mem_lim[c];
                changed = 1;
            }
        }
        if (changed) {
            out->resources = 1;
            out->handover = 1;
            out->resources_touched =
                (uint8_t)POLICY_RES_BIT(bn == COORD_CPU ? POLICY_RES_CPU : POLICY_RES_MEMORY);
            out->resources_owner[COORD_CPU] = owners_before[COORD_CPU];
            out->resources_owner[COORD_MEMORY] = owners_before[COORD_MEMORY];
            out->pods_restarted = in_place ? 0 : obs->replicas;
            snprintf(out->resources_reason, sizeof(out->resources_reason),
                     "handover to the horizontal scaler: %s request back to the reference",
                     coord_resource_name((enum coord_resource)bn));
            s->v->pending_evict = !in_place;
            vertical_commit(s->v, C, obs->now_ms);
            coord_note_vertical_change(&co->st, obs->now_ms, COORD_CHANGE_HANDOVER);
            out->cap_counted = 0;
        }
    }

    /* Released (coord_decide_ownership): the HPA waits at minReplicas. */
    const int released = co->st.released;
    if (s->h && released < 0) {
        /* Auto or a fixed bottleneck: the HPA's one metric follows the owner. */
        if (s->policy.horizontal.n_metrics == 0 && bn >= 0) {
            struct hpa_metric_spec *ms = &s->h->metrics[0];
            ms->resource = bn == COORD_MEMORY ? HPA_RES_MEMORY : HPA_RES_CPU;
            ms->target.average_utilization = co->target_utilization[bn];
        }
        /* At a handover the HPA measures against the request it hands back
         * (the reference), not the one the vertical side had sized and that
         * this step replaces: against a CPU request shrunk to 49m a VM was
         * scaled from 1 to 4 pods, then 8, then back to 1, the memory of the
         * one pod left a step behind (bitbrains-rnd). */
        const struct pipeline_obs *hp = obs;
        struct pipeline_obs hobs;
        if (out->handover) {
            hobs = *obs;
            hobs.cpu_request_milli = out->cpu_request_milli;
            hobs.mem_request_bytes = out->mem_request_bytes;
            hobs.cpu_limit_milli = out->cpu_limit_milli;
            hobs.mem_limit_bytes = out->mem_limit_bytes;
            hp = &hobs;
        }
        if ((rc = horizontal_step(s, hp, out)))
            return rc;
        if (out->scale)
            coord_note_scale_event(&co->st, obs->now_ms);
    }
    if (!s->v)
        return 0;

    /* The group-size-aware model (docs/coordination.md): with a horizontal owner,
     * each pod's usage is re-expressed at another group size before the
     * recommenders see it, and their recommendations are converted to the
     * group size the horizontal part runs now. Without one it is the identity,
     * and the vertical part is upstream's VPA exactly. */
    const double *cpu = obs->cpu_milli, *mem = obs->mem_bytes;
    int target = (int)m;
    /* A released bottleneck keeps the model: the HPA would run the count the
     * load projects (minReplicas, until the load takes it back). */
    const int bn_model = bn >= 0 ? bn : released;
    const int grouped = s->h && bn_model >= 0 && m > 0 && co->st.ref_replicas > 0;
    s->v->convert = grouped;
    /* The group the recommendations are converted to: the smallest of the
     * settle window, so that a scale-out lowers no request until it has held. */
    int conv_now = out->scale ? out->replicas_after : (int)m;
    if (grouped && conv_now > 0) {
        conv_now = coord_settled_replicas(&co->st, &co->params, obs->now_ms, conv_now);
        if (conv_now < 0)
            return conv_now;
    }
    const int conv_before = co->last_conv;
    const int shrank = grouped && conv_before > 0 && conv_now < conv_before;
    co->last_conv = grouped ? conv_now : 0;
    if (grouped) {
        /* History is re-evaluated under the horizontal policy: each sample is
         * re-expressed at the replica count the HPA would run for the load of
         * that moment (DESIGN.md section 2), so that the recommendation is for
         * the groups the HPA actually runs. A second recommender re-expresses
         * the same samples at the reference count (below); each is converted
         * to the group running now and the lower one is taken. AverageValue
         * targets have no utilization to project with: the reference count
         * stands in. */
        target = co->st.ref_replicas;
        /* Released, the request is the vertical scaler's: the HPA's would be
         * the reference one. */
        const double req_b = bn < 0                  ? co->st.ref_request[bn_model]
                             : bn_model == COORD_CPU ? req_cpu
                                                     : req_mem;
        const int util = co->target_utilization[bn_model];
        if (util > 0 && req_b > 0 && total[bn_model] > 0)
            target = coord_projected_replicas(total[bn_model], req_b, util,
                                              s->policy.horizontal.min_replicas,
                                              s->policy.horizontal.max_replicas);
        group_conversion(co, total, (int)m, conv_now, target, &s->v->conv);
    }
    if (target != (int)m) {
        reexpress(co, obs, total, target, co->cpu, co->mem);
        cpu = co->cpu;
        mem = co->mem;
    }
    if (s->v->ref && grouped) {
        const int ref = co->st.ref_replicas;
        group_conversion(co, total, (int)m, conv_now, ref, &s->v->ref_conv);
        const double *rcpu = obs->cpu_milli, *rmem = obs->mem_bytes;
        if (ref == target) {
            rcpu = cpu;
            rmem = mem;
        } else if (ref != (int)m) {
            reexpress(co, obs, total, ref, co->cpu_ref, co->mem_ref);
            rcpu = co->cpu_ref;
            rmem = co->mem_ref;
        }
        if ((rc = vertical_observe(s->v->ref, obs, rcpu, rmem)))
            return rc;
    } else if (s->v->ref) {
        if ((rc = vertical_observe(s->v->ref, obs, cpu, mem)))
            return rc;
    }

    unsigned mask = 0;
    if (co->own.owner[COORD_CPU] == COORD_OWNER_VERTICAL)
        mask |= VPA_RES_CPU;
    if (co->own.owner[COORD_MEMORY] == COORD_OWNER_VERTICAL)
        mask |= VPA_RES_MEM;
    vertical_own(s, mask);
    if (out->handover) {
        /* The recommender still learns from this observation; the updater waits.
         * But the resource the handover takes from the HPA (its previous
         * bottleneck) is the vertical side's from this step, and when Auto took
         * memory back because a pod outran its request, that pod needs more now:
         * it is raised in the same decision, as follow_group would, instead of a
         * step later (21 of bitbrains-rnd's would-be OOMs). Only then: at other
         * switches nothing says the pods need more now, and the updater's next
         * step decides (raising at every switch made no difference to the
         * would-be OOMs). The decision's owners are then the vertical side's for
         * both: neither request it changes is the HPA's until it lands. */
        if ((rc = vertical_learn(s, obs, cpu, mem)))
            return rc;
        const int freed = before;
        if (freed >= 0 && freed != bn && grouped && co->own.owner[freed] == COORD_OWNER_VERTICAL &&
            co->own.reason == COORD_R_AUTO_OUTRUN) {
            const uint8_t raised =
                raise_to_target(s, obs, out, freed == COORD_CPU ? VPA_RES_CPU : VPA_RES_MEM, 1.0);
            if (raised) {
                out->resources_touched |= raised;
                out->resources_owner[freed] = COORD_OWNER_VERTICAL;
                const size_t len = strlen(out->resources_reason);
                snprintf(out->resources_reason + len, sizeof(out->resources_reason) - len,
                         "; %s raised for the pods now",
                         coord_resource_name((enum coord_resource)freed));
            }
        }
        return 0;
    }
    if ((rc = vertical_step(s, obs, cpu, mem, out)))
        return rc;
    if (out->resources && (rc = vertical_stand(s, obs, out, 1)))
        return rc;
    if (out->resources || !(shrank || (grouped && out->scale)))
        return 0;
    /* No move of the updater stands (none, or held or filtered away), but the
     * group shrinks under the pods now: what they need for it must not wait
     * for the next step (a scale-in with the cap reached left a pod one step
     * below its memory, a would-be OOM). */
    if ((rc = follow_group(s, obs, out, mask, shrank ? conv_before : (int)m,
                           shrank ? conv_now : out->replicas_after)))
        return rc;
    if (!out->resources)
        return 0;
    out->held_reason[0] = '\0';
    return vertical_stand(s, obs, out, 0);
}

/* ---- the step ---- */

int pipeline_state_new(const struct ps_policy *p, uint32_t n_containers, const char *const *names,
                       struct pipeline_state **out)
{
    *out = NULL;
    int rc = pipeline_policy_available(p, NULL, 0);
    if (rc)
        return rc;
    if (n_containers == 0 || n_containers > PIPELINE_MAX_CONTAINERS)
        return PS_EINVAL;
    struct pipeline_state *s = calloc(1, sizeof(*s));
    if (!s)
        return PS_ENOMEM;
    s->policy = *p;
    s->n_containers = n_containers;
    for (uint32_t c = 0; c < n_containers; c++) {
        snprintf(s->names[c], sizeof(s->names[c]), "%s", names[c]);
        s->name_ptrs[c] = s->names[c];
    }
    if (p->horizontal.enabled && (rc = hpa_part_new(&s->policy, &s->h)))
        goto fail;
    if (p->vertical.enabled && (rc = vpa_part_new(s, &s->v)))
        goto fail;
    if (p->mode == POLICY_MODE_COORDINATED) {
        if ((rc = coord_part_new(&s->policy, &s->co)))
            goto fail;
        if (s->v)
            vertical_coord_init(s->v);
        if (s->v && s->h && (rc = vpa_part_new(s, &s->v->ref)))
            goto fail;
        if (s->v && s->h)
            s->v->skip_zero_memory = s->v->ref->skip_zero_memory = 1;
        if (s->h && p->horizontal.n_metrics == 0 && s->co->params.bottleneck == COORD_BN_AUTO) {
            if ((rc = hpa_part_new(p, &s->co->shadow)))
                goto fail;
            struct hpa_metric_spec *ms = &s->co->shadow->metrics[0];
            ms->resource = HPA_RES_MEMORY;
            ms->target.average_utilization = s->co->params.memory_target_utilization;
        }
    }
    *out = s;
    return 0;
fail:
    pipeline_state_free(s);
    return rc;
}

void pipeline_state_free(struct pipeline_state *s)
{
    if (!s)
        return;
    hpa_part_free(s->h);
    vpa_part_free(s->v, s->n_containers);
    coord_part_free(s->co);
    free(s);
}

int pipeline_step(struct pipeline_state *s, const struct pipeline_obs *obs,
                  struct pipeline_decision *out)
{
    if (obs->n_containers != s->n_containers || obs->replicas < 0)
        return PS_EINVAL;
    out->scale = 0;
    out->resources = 0;
    out->replicas_after = obs->replicas;
    out->resources_touched = 0;
    out->pods_restarted = 0;
    out->scale_reason[0] = '\0';
    out->resources_reason[0] = '\0';
    out->coordinated = 0;
    out->handover = 0;
    out->ownership_changed = 0;
    out->ownership_reason[0] = '\0';
    out->held_reason[0] = '\0';
    out->cap_counted = -1;
    out->bottleneck_before = out->bottleneck_after = -1;
    int rc;
    if (s->co)
        return coordinated_step(s, obs, out);
    /* Both parts see the same observation, as two independent controllers would. */
    if (s->h && (rc = horizontal_step(s, obs, out)))
        return rc;
    if (s->v) {
        if ((rc = vertical_step(s, obs, obs->cpu_milli, obs->mem_bytes, out)))
            return rc;
        if (out->resources) {
            vertical_reason(s->v, out);
            vertical_commit(s->v, obs->n_containers, obs->now_ms);
        }
    }
    return 0;
}

const char *pipeline_strerror(int code)
{
    if (code == PIPELINE_EUNAVAILABLE)
        return "the policy needs a part that is not built in";
    if (code <= PS_ERANGE_HPA_FIRST && code > PS_ERANGE_VPA_FIRST)
        return hpa_strerror(code);
    if (code <= PS_ERANGE_VPA_FIRST && code > PS_ERANGE_COORD_FIRST)
        return vpa_strerror(code);
    if (code <= PS_ERANGE_COORD_FIRST && code > PS_ERANGE_STORE_FIRST)
        return coord_strerror(code);
    return policy_strerror(code);
}
