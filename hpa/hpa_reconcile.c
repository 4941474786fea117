/*
 * hpa_reconcile.c - one upstream reconcileAutoscaler pass (spec/hpa.md section 4), split
 * at the scale PUT into hpa_reconcile() and hpa_commit().
 *
 * Conditions are updated in place as upstream's setCondition does: a type already in the
 * list keeps its position, a new type is appended, and lastTransitionTime moves only
 * when the status value changes. The tests assert that order.
 */
#include <math.h>
#include <string.h>

#include "hpa_internal.h"

void hpa_config_default(struct hpa_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->tolerance = 0.1;                           /* --horizontal-pod-autoscaler-tolerance */
    cfg->cpu_initialization_period_ms = 300 * 1000; /* ...-cpu-initialization-period */
    cfg->initial_readiness_delay_ms = 30 * 1000;    /* ...-initial-readiness-delay */
    cfg->downscale_stabilization_ms = 300 * 1000;   /* ...-downscale-stabilization */
    cfg->scale_up_limit_factor = 2.0;               /* horizontal.go scaleUpLimitFactor */
    cfg->scale_up_limit_minimum = 4.0;              /* horizontal.go scaleUpLimitMinimum */
    cfg->gate_scale_to_zero = true;                 /* HPAScaleToZero, beta in 1.37 */
    cfg->gate_configurable_tolerance = true;        /* HPAConfigurableTolerance, GA 1.37 */
    cfg->gate_pod_level_resources = true;           /* PodLevelResources, beta in 1.34 */
}

void hpa_state_init(struct hpa_state *st)
{
    st->seeded = false;
    st->recs.n = 0;
    st->up.n = 0;
    st->down.n = 0;
}

void hpa_metric_spec_default(struct hpa_metric_spec *m)
{
    /* API defaulting of autoscaling/v2: Resource cpu at 80% utilization. */
    memset(m, 0, sizeof *m);
    m->type = HPA_METRIC_RESOURCE;
    m->resource = HPA_RES_CPU;
    m->target.type = HPA_TARGET_UTILIZATION;
    m->target.has_average_utilization = true;
    m->target.average_utilization = 80;
}

struct hpa_tolerances hpa_tolerances_for(const struct hpa_config *cfg, const struct hpa_spec *s)
{
    struct hpa_tolerances t = {cfg->tolerance, cfg->tolerance};
    if (!s->has_behavior || !cfg->gate_configurable_tolerance)
        return t;
    if (s->behavior.has_down && s->behavior.down.has_tolerance)
        t.down = s->behavior.down.tolerance;
    if (s->behavior.has_up && s->behavior.up.has_tolerance)
        t.up = s->behavior.up.tolerance;
    return t;
}

enum hpa_path hpa__path(const struct hpa_metric_spec *m)
{
    const struct hpa_target *t = &m->target;
    switch (m->type) {
    case HPA_METRIC_RESOURCE:
    case HPA_METRIC_CONTAINER_RESOURCE:
        /* AverageValue wins over AverageUtilization; `type` is not consulted. */
        if (t->has_average_value)
            return HPA_PATH_RESOURCE_AVERAGE;
        if (t->has_average_utilization)
            return HPA_PATH_RESOURCE_UTILIZATION;
        return HPA_PATH_NO_TARGET;
    case HPA_METRIC_PODS:
        return t->has_average_value ? HPA_PATH_PODS : HPA_PATH_NO_TARGET;
    case HPA_METRIC_OBJECT:
        if (t->type == HPA_TARGET_VALUE && t->has_value)
            return HPA_PATH_OBJECT_VALUE;
        if (t->type == HPA_TARGET_AVERAGE_VALUE && t->has_average_value)
            return HPA_PATH_OBJECT_AVERAGE;
        return HPA_PATH_NO_TARGET;
    case HPA_METRIC_EXTERNAL:
        if (t->has_average_value)
            return HPA_PATH_EXTERNAL_AVERAGE;
        if (t->has_value)
            return HPA_PATH_EXTERNAL_VALUE;
        return HPA_PATH_NO_TARGET;
    case HPA_METRIC_UNKNOWN:
    default:
        return HPA_PATH_BAD_TYPE;
    }
}

/* ------------------------------------------------------------------------------------- */
/* Validation: bad configuration is an error, never a number. */

static bool bad_tolerance(double t)
{
    return !isfinite(t) || t < 0;
}

static int check_rules(const struct hpa_rules *r)
{
    if (r->has_window && (r->window_s < 0 || r->window_s > 3600))
        return HPA_EWINDOW; /* API validation: [0, 3600] */
    if (r->has_select && (int)r->select != HPA_SELECT_MAX && r->select != HPA_SELECT_MIN &&
        r->select != HPA_SELECT_DISABLED)
        return HPA_EPOLICY;
    if (r->has_policies) {
        if (!r->policies && r->n_policies > 0)
            return PS_EINVAL;
        for (size_t i = 0; i < r->n_policies; i++) {
            const struct hpa_policy *p = &r->policies[i];
            if (((int)p->type != HPA_POLICY_PODS && p->type != HPA_POLICY_PERCENT) ||
                p->value <= 0 || p->period_s < 1 || p->period_s > 1800)
                return HPA_EPOLICY; /* API validation: value > 0, period in [1, 1800] */
        }
    }
    if (r->has_tolerance && bad_tolerance(r->tolerance))
        return HPA_ETOLERANCE;
    return 0;
}

static int check_config(const struct hpa_config *cfg)
{
    if (bad_tolerance(cfg->tolerance))
        return HPA_ETOLERANCE;
    if (cfg->cpu_initialization_period_ms < 0 || cfg->initial_readiness_delay_ms < 0 ||
        cfg->downscale_stabilization_ms < 0 || !isfinite(cfg->scale_up_limit_factor) ||
        !isfinite(cfg->scale_up_limit_minimum) || cfg->scale_up_limit_factor < 0)
        return HPA_ECONFIG;
    return 0;
}

static int check_spec(const struct hpa_spec *s)
{
    if (s->n_metrics == 0)
        return HPA_ENOMETRICSPEC;
    if (s->n_metrics > HPA_MAX_METRICS)
        return HPA_ETOOMANY;
    if (!s->metrics)
        return PS_EINVAL;
    if (s->max_replicas < 1)
        return HPA_EMINMAX;
    if (s->has_min_replicas && (s->min_replicas < 0 || s->min_replicas > s->max_replicas))
        return HPA_EMINMAX;
    if (!s->has_min_replicas && s->max_replicas < 1)
        return HPA_EMINMAX;
    for (size_t i = 0; i < s->n_metrics; i++) {
        const struct hpa_metric_spec *m = &s->metrics[i];
        if ((m->type == HPA_METRIC_RESOURCE || m->type == HPA_METRIC_CONTAINER_RESOURCE) &&
            ((int)m->resource < 0 || m->resource >= HPA_RES_COUNT))
            return PS_EINVAL;
        if ((int)m->type < 0 || m->type > HPA_METRIC_UNKNOWN)
            return PS_EINVAL;
    }
    if (s->has_behavior) {
        int rc;
        if (s->behavior.has_up && (rc = check_rules(&s->behavior.up)) != 0)
            return rc;
        if (s->behavior.has_down && (rc = check_rules(&s->behavior.down)) != 0)
            return rc;
    }
    return 0;
}

static int check_input(const struct hpa_spec *s, const struct hpa_input *in,
                       const struct hpa_state *st)
{
    if (in->spec_replicas < 0 || in->status_replicas < 0 || in->status_desired_replicas < 0)
        return HPA_EREPLICAS;
    if ((!in->pods && in->n_pods > 0) || !in->metrics || (!in->conditions && in->n_conditions > 0))
        return PS_EINVAL;
    if (in->n_conditions > HPA_MAX_CONDITIONS - 4)
        return HPA_ETOOMANY;
    for (size_t i = 0; i < s->n_metrics; i++)
        if ((int)in->metrics[i].fetch < 0 || in->metrics[i].fetch > HPA_FETCH_EMPTY)
            return PS_EINVAL;
    if (st->recs.n > HPA_MAX_RECS || st->up.n > HPA_MAX_EVENTS || st->down.n > HPA_MAX_EVENTS)
        return HPA_ESTATE;
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Conditions */

static void set_cond(struct hpa_decision *d, enum hpa_cond_type type, enum hpa_cond_status s,
                     enum hpa_reason reason, int32_t arg, int err, int64_t now_ms)
{
    struct hpa_condition *c = NULL;
    for (size_t i = 0; i < d->n_conditions; i++) {
        if (d->conditions[i].type == type) {
            c = &d->conditions[i];
            break;
        }
    }
    if (!c) {
        /* Room is guaranteed: input is capped at HPA_MAX_CONDITIONS - 4. */
        c = &d->conditions[d->n_conditions++];
        memset(c, 0, sizeof *c);
        c->type = type;
        c->status = HPA_CS_NONE;
    }
    if (c->status != s)
        c->last_transition_ms = now_ms;
    c->status = s;
    c->reason = reason;
    c->arg = arg;
    c->err = err;
    c->tag = 0;
}

static void remove_cond(struct hpa_decision *d, enum hpa_cond_type type)
{
    size_t w = 0;
    for (size_t i = 0; i < d->n_conditions; i++)
        if (d->conditions[i].type != type)
            d->conditions[w++] = d->conditions[i];
    d->n_conditions = w;
}

static bool has_object_or_external(const struct hpa_spec *s)
{
    for (size_t i = 0; i < s->n_metrics; i++)
        if (s->metrics[i].type == HPA_METRIC_OBJECT || s->metrics[i].type == HPA_METRIC_EXTERNAL)
            return true;
    return false;
}

static bool scaled_to_zero_true(const struct hpa_input *in)
{
    for (size_t i = 0; i < in->n_conditions; i++)
        if (in->conditions[i].type == HPA_COND_SCALED_TO_ZERO)
            return in->conditions[i].status == HPA_CS_TRUE;
    return false;
}

static enum hpa_reason failure_reason(enum hpa_metric_type t)
{
    switch (t) {
    case HPA_METRIC_RESOURCE:
        return HPA_REASON_FAILED_GET_RESOURCE_METRIC;
    case HPA_METRIC_CONTAINER_RESOURCE:
        return HPA_REASON_FAILED_GET_CONTAINER_RESOURCE_METRIC;
    case HPA_METRIC_PODS:
        return HPA_REASON_FAILED_GET_PODS_METRIC;
    case HPA_METRIC_OBJECT:
        return HPA_REASON_FAILED_GET_OBJECT_METRIC;
    case HPA_METRIC_EXTERNAL:
        return HPA_REASON_FAILED_GET_EXTERNAL_METRIC;
    case HPA_METRIC_UNKNOWN:
    default:
        return HPA_REASON_INVALID_METRIC_SOURCE_TYPE;
    }
}

/* ------------------------------------------------------------------------------------- */
/* computeReplicasForMetrics */

static int eval_metric(const struct hpa_config *cfg, const struct hpa_spec *spec,
                       const struct hpa_input *in, size_t i, struct hpa_tolerances tol,
                       int64_t now_ms, struct hpa_metric_status *st)
{
    const struct hpa_metric_spec *m = &spec->metrics[i];
    const struct hpa_metric_input *mi = &in->metrics[i];
    struct hpa_calc c = {
        .current_replicas = in->spec_replicas,
        .from_zero = in->spec_replicas == 0,
        .tol = tol,
        .cpu_initialization_period_ms = cfg->cpu_initialization_period_ms,
        .initial_readiness_delay_ms = cfg->initial_readiness_delay_ms,
        .pod_level_resources = cfg->gate_pod_level_resources,
        .now_ms = now_ms,
        .pods = in->pods,
        .n_pods = in->n_pods,
    };
    const char *container = m->type == HPA_METRIC_CONTAINER_RESOURCE ? m->container : NULL;
    switch (hpa__path(m)) {
    case HPA_PATH_RESOURCE_UTILIZATION:
        return hpa_calc_resource_utilization(&c, mi, m->resource, container,
                                             m->target.average_utilization, st);
    case HPA_PATH_RESOURCE_AVERAGE:
        /* ContainerResource AverageValue: the caller's samples are per container. */
        return hpa_calc_plain(&c, mi, m->resource, m->target.average_value_milli, st);
    case HPA_PATH_PODS:
        return hpa_calc_plain(&c, mi, HPA_RES_NONE, m->target.average_value_milli, st);
    case HPA_PATH_OBJECT_VALUE:
        return hpa_calc_object_value(&c, mi, m->target.value_milli, st);
    case HPA_PATH_EXTERNAL_VALUE:
        return hpa_calc_external_value(&c, mi, m->target.value_milli, st);
    case HPA_PATH_OBJECT_AVERAGE:
        c.current_replicas = in->status_replicas;
        return hpa_calc_object_average(&c, mi, m->target.average_value_milli, st);
    case HPA_PATH_EXTERNAL_AVERAGE:
        c.current_replicas = in->status_replicas;
        return hpa_calc_external_average(&c, mi, m->target.average_value_milli, st);
    case HPA_PATH_NO_TARGET:
        st->evaluated = true;
        st->err = HPA_ENOTARGET;
        return HPA_ENOTARGET;
    case HPA_PATH_BAD_TYPE:
    default:
        st->evaluated = true;
        st->err = HPA_EBADTYPE;
        return HPA_EBADTYPE;
    }
}

/* Returns true when the pass must stop (all metrics failed, or some failed on a
 * scale-down); *replicas and *metric are the maximum proposal and its metric. */
static bool compute_metrics(const struct hpa_config *cfg, const struct hpa_spec *spec,
                            const struct hpa_input *in, int64_t now_ms, struct hpa_decision *d,
                            int32_t *replicas, int32_t *metric)
{
    if (in->selector != HPA_SELECTOR_OK) {
        enum hpa_reason r = HPA_REASON_INVALID_SELECTOR;
        int err = HPA_ESELECTOR;
        if (in->selector == HPA_SELECTOR_MISSING) {
            d->events |= HPA_EV_SELECTOR_REQUIRED;
        } else if (in->selector == HPA_SELECTOR_AMBIGUOUS) {
            r = HPA_REASON_AMBIGUOUS_SELECTOR;
            err = HPA_EAMBIGUOUS;
            d->events |= HPA_EV_AMBIGUOUS_SELECTOR;
        } else {
            d->events |= HPA_EV_INVALID_SELECTOR;
        }
        set_cond(d, HPA_COND_SCALING_ACTIVE, HPA_CS_FALSE, r, -1, err, now_ms);
        d->first_metric_err = err;
        d->status_metrics_valid = false; /* upstream returns nil statuses here */
        return true;
    }
    struct hpa_tolerances tol = hpa_tolerances_for(cfg, spec);
    int32_t best = 0, best_metric = -1;
    int32_t invalid = 0, first_invalid = -1;
    for (size_t i = 0; i < spec->n_metrics; i++) {
        struct hpa_metric_status *st = &d->metrics[i];
        memset(st, 0, sizeof *st);
        st->err_pod = -1;
        st->err_container = -1;
        int rc = eval_metric(cfg, spec, in, i, tol, now_ms, st);
        if (rc != 0) {
            st->err = rc;
            if (invalid == 0)
                first_invalid = (int32_t)i;
            invalid++;
            d->events |= HPA_EV_FAILED_METRIC;
            continue;
        }
        /* Upstream takes a proposal when the running maximum is still 0, so the first
         * valid proposal always counts, even 0. */
        if (best == 0 || st->replicas > best) {
            best = st->replicas;
            best_metric = (int32_t)i;
        }
    }
    d->failed_metrics = invalid;
    d->status_metrics_valid = true;
    if (invalid > 0)
        d->first_metric_err = d->metrics[first_invalid].err;
    /* A partial failure never allows a scale-down, but allows a scale-up or no change. */
    if ((size_t)invalid >= spec->n_metrics || (invalid > 0 && best < in->spec_replicas)) {
        set_cond(d, HPA_COND_SCALING_ACTIVE, HPA_CS_FALSE,
                 failure_reason(spec->metrics[first_invalid].type), first_invalid,
                 d->metrics[first_invalid].err, now_ms);
        return true;
    }
    set_cond(d, HPA_COND_SCALING_ACTIVE, HPA_CS_TRUE, HPA_REASON_VALID_METRIC_FOUND, best_metric, 0,
             now_ms);
    *replicas = best;
    *metric = best_metric;
    return false;
}

static int32_t normalize(const struct hpa_config *cfg, const struct hpa_spec *spec,
                         struct hpa_state *st, int32_t cur, int32_t desired, int32_t min,
                         int64_t now_ms, struct hpa_decision *d)
{
    int32_t stab, res;
    enum hpa_reason r;
    if (!spec->has_behavior) {
        stab = hpa_stabilize_legacy(&st->recs, desired, cfg->downscale_stabilization_ms, now_ms,
                                    &d->history_overflow);
        set_cond(d, HPA_COND_ABLE_TO_SCALE, HPA_CS_TRUE,
                 stab != desired ? HPA_REASON_SCALE_DOWN_STABILIZED
                                 : HPA_REASON_READY_FOR_NEW_SCALE,
                 -1, 0, now_ms);
        res = hpa_convert_legacy(cur, stab, min, spec->max_replicas, cfg->scale_up_limit_factor,
                                 cfg->scale_up_limit_minimum, &r);
    } else {
        struct hpa_rules up, down;
        hpa_rules_effective(spec->behavior.has_up ? &spec->behavior.up : NULL, true,
                            cfg->downscale_stabilization_ms, &up);
        hpa_rules_effective(spec->behavior.has_down ? &spec->behavior.down : NULL, false,
                            cfg->downscale_stabilization_ms, &down);
        enum hpa_reason sr;
        stab = hpa_stabilize_behavior(&st->recs, cur, desired, (int64_t)up.window_s * 1000,
                                      (int64_t)down.window_s * 1000, now_ms, &sr,
                                      &d->history_overflow);
        set_cond(d, HPA_COND_ABLE_TO_SCALE, HPA_CS_TRUE,
                 stab != desired ? sr : HPA_REASON_READY_FOR_NEW_SCALE, -1, 0, now_ms);
        res = hpa_convert_behavior(cur, stab, min, spec->max_replicas, &up, &down, &st->up,
                                   &st->down, now_ms, &r);
    }
    d->stabilized_replicas = stab;
    set_cond(d, HPA_COND_SCALING_LIMITED, res == stab ? HPA_CS_FALSE : HPA_CS_TRUE, r, -1, 0,
             now_ms);
    return res;
}

static void decision_reset(struct hpa_decision *d)
{
    /* The metric and condition arrays are filled as far as used; clear the scalars. */
    d->err = 0;
    d->outcome = HPA_OUT_INVALID;
    d->rescale = false;
    d->current_replicas = 0;
    d->desired_replicas = 0;
    d->metric_replicas = 0;
    d->stabilized_replicas = 0;
    d->metric_index = -1;
    d->rescale_reason = HPA_RESCALE_NONE;
    d->rescale_metric = -1;
    d->first_metric_err = 0;
    d->failed_metrics = 0;
    d->status_current_replicas = -1;
    d->status_desired_replicas = 0;
    d->status_metrics_valid = false;
    d->update_last_scale_time = false;
    d->history_overflow = false;
    d->events = 0;
    d->n_metrics = 0;
    d->n_conditions = 0;
}

int hpa_reconcile(const struct hpa_config *cfg, const struct hpa_spec *spec,
                  const struct hpa_input *in, struct hpa_state *st, int64_t now_ms,
                  struct hpa_decision *d)
{
    if (!d)
        return PS_EINVAL;
    decision_reset(d);
    int rc = PS_EINVAL;
    if (cfg && spec && in && st) {
        rc = check_config(cfg);
        if (rc == 0)
            rc = check_spec(spec);
        if (rc == 0)
            rc = check_input(spec, in, st);
    }
    if (rc != 0) {
        d->err = rc;
        return rc;
    }

    for (size_t i = 0; i < in->n_conditions; i++)
        d->conditions[i] = in->conditions[i];
    d->n_conditions = in->n_conditions;
    d->n_metrics = spec->n_metrics;
    for (size_t i = 0; i < spec->n_metrics; i++) {
        memset(&d->metrics[i], 0, sizeof d->metrics[i]);
        d->metrics[i].err_pod = -1;
        d->metrics[i].err_container = -1;
    }
    d->status_desired_replicas = in->status_desired_replicas;

    if (!in->scale_ok) {
        set_cond(d, HPA_COND_ABLE_TO_SCALE, HPA_CS_FALSE, HPA_REASON_FAILED_GET_SCALE, -1,
                 HPA_EGETSCALE, now_ms);
        d->events |= HPA_EV_FAILED_GET_SCALE;
        d->err = HPA_EGETSCALE;
        d->outcome = HPA_OUT_FAILED_GET_SCALE;
        return 0;
    }
    set_cond(d, HPA_COND_ABLE_TO_SCALE, HPA_CS_TRUE, HPA_REASON_SUCCEEDED_GET_SCALE, -1, 0, now_ms);

    int32_t cur = in->spec_replicas;
    d->current_replicas = cur;
    d->status_current_replicas = cur;
    if (!st->seeded) {
        /* A fresh controller (or HPA) has no history: seed it with the current count, so
         * the first scale-down still waits out the stabilization window. */
        st->seeded = true;
        st->recs.n = 1;
        st->recs.e[0].ts_ms = now_ms;
        st->recs.e[0].replicas = cur;
    }

    int32_t min = spec->has_min_replicas ? spec->min_replicas : 1;
    bool sz_cond = cfg->gate_scale_to_zero && scaled_to_zero_true(in);
    bool can_from_zero = sz_cond && has_object_or_external(spec);
    int32_t desired = 0;
    bool rescale = true;

    if (cur == 0 && !can_from_zero) {
        /* Zero replicas set by hand (or no way back on these metrics): leave it alone. */
        desired = 0;
        rescale = false;
        set_cond(d, HPA_COND_SCALING_ACTIVE, HPA_CS_FALSE, HPA_REASON_SCALING_DISABLED, -1, 0,
                 now_ms);
        if (!cfg->gate_scale_to_zero)
            remove_cond(d, HPA_COND_SCALED_TO_ZERO);
        d->outcome = HPA_OUT_SCALING_DISABLED;
    } else if (cur != 0 && cur > spec->max_replicas) {
        d->rescale_reason = HPA_RESCALE_ABOVE_MAX;
        desired = spec->max_replicas;
    } else if (cur != 0 && cur < min) {
        d->rescale_reason = HPA_RESCALE_BELOW_MIN;
        desired = min;
    } else {
        int32_t metric_desired = 0, metric = -1;
        if (compute_metrics(cfg, spec, in, now_ms, d, &metric_desired, &metric)) {
            d->events |= HPA_EV_FAILED_COMPUTE_METRICS;
            d->err = d->first_metric_err;
            d->outcome = HPA_OUT_METRICS_FAILED;
            return 0;
        }
        if (d->failed_metrics > 0)
            d->err = d->first_metric_err; /* upstream scales but still returns the error */
        d->metric_replicas = metric_desired;
        d->metric_index = metric;
        if (metric_desired > desired) {
            desired = metric_desired;
            d->rescale_metric = metric;
        }
        if (desired > cur)
            d->rescale_reason = HPA_RESCALE_METRIC_ABOVE;
        if (desired < cur)
            d->rescale_reason = HPA_RESCALE_ALL_BELOW;
        desired = normalize(cfg, spec, st, cur, desired, min, now_ms, d);
        /* minReplicas raised while the workload sat at zero: come back at least there. */
        if (cur == 0 && min != 0 && sz_cond && desired < min) {
            desired = min;
            if (d->rescale_reason == HPA_RESCALE_NONE)
                d->rescale_reason = HPA_RESCALE_BELOW_MIN;
        }
        rescale = desired != cur;
    }

    if (rescale) {
        d->rescale = true;
        d->desired_replicas = desired;
        d->outcome = HPA_OUT_RESCALE;
        return 0;
    }
    d->desired_replicas = cur;
    d->status_desired_replicas = cur;
    if (d->outcome != HPA_OUT_SCALING_DISABLED)
        d->outcome = HPA_OUT_NO_CHANGE;
    return 0;
}

int hpa_commit(const struct hpa_config *cfg, const struct hpa_spec *spec, struct hpa_state *st,
               struct hpa_decision *d, int put_err, int64_t now_ms)
{
    if (!cfg || !spec || !st || !d || !d->rescale || d->outcome != HPA_OUT_RESCALE)
        return PS_EINVAL;
    int32_t cur = d->current_replicas, desired = d->desired_replicas;
    d->rescale = false;
    if (put_err != 0) {
        set_cond(d, HPA_COND_ABLE_TO_SCALE, HPA_CS_FALSE, HPA_REASON_FAILED_UPDATE_SCALE, -1,
                 put_err, now_ms);
        d->events |= HPA_EV_FAILED_RESCALE;
        d->err = put_err;
        d->outcome = HPA_OUT_RESCALE_FAILED;
        return 0; /* status.desiredReplicas keeps its previous value */
    }
    set_cond(d, HPA_COND_ABLE_TO_SCALE, HPA_CS_TRUE, HPA_REASON_SUCCEEDED_RESCALE, desired, 0,
             now_ms);
    d->events |= HPA_EV_SUCCESSFUL_RESCALE;
    if (spec->has_behavior) {
        struct hpa_rules r;
        bool up = desired > cur;
        const struct hpa_rules *given =
            up ? (spec->behavior.has_up ? &spec->behavior.up : NULL)
               : (spec->behavior.has_down ? &spec->behavior.down : NULL);
        hpa_rules_effective(given, up, cfg->downscale_stabilization_ms, &r);
        hpa_store_scale_event(up ? &st->up : &st->down, &r, cur, desired, now_ms,
                              &d->history_overflow);
    }
    if (cfg->gate_scale_to_zero) {
        int32_t min = spec->has_min_replicas ? spec->min_replicas : 1;
        if (cur > 0 && desired == 0 && min == 0 && has_object_or_external(spec))
            set_cond(d, HPA_COND_SCALED_TO_ZERO, HPA_CS_TRUE, HPA_REASON_SCALED_TO_ZERO, -1, 0,
                     now_ms);
        else
            set_cond(d, HPA_COND_SCALED_TO_ZERO, HPA_CS_FALSE, HPA_REASON_NOT_SCALED_TO_ZERO, -1, 0,
                     now_ms);
    } else {
        remove_cond(d, HPA_COND_SCALED_TO_ZERO);
    }
    d->status_desired_replicas = desired;
    d->update_last_scale_time = true;
    d->outcome = HPA_OUT_RESCALED;
    return 0;
}
