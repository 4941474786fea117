/*
 * decode_autoscalers.c - HorizontalPodAutoscaler (autoscaling/v2) and
 * VerticalPodAutoscaler (autoscaling.k8s.io/v1), spec/kubernetes-api.md 9.5, 9.6.
 *
 * Enum values decode to the policy.h enums so the engine maps an HPA or a VPA
 * onto a struct ps_policy without a second table.
 */
#include <string.h>

#include "decode_internal.h"

/* Same order as enum policy_metric_type. */
static const char *const metric_types[] = {"Resource", "ContainerResource", "Pods",
                                           "Object",   "External",          NULL};
static const char *const metric_sources[] = {"resource", "containerResource", "pods", "object",
                                             "external"};
/* Same order as enum policy_target_type. */
static const char *const target_types[] = {"Utilization", "AverageValue", "Value", NULL};
/* Same order as enum policy_select. */
static const char *const select_policies[] = {"Max", "Min", "Disabled", NULL};
/* Same order as enum policy_rule_type. */
static const char *const rule_types[] = {"Pods", "Percent", NULL};

/* Upstream HPA validation bounds (pkg/apis/autoscaling/validation): a
 * stabilization window is 0..3600 s, a policy period 1..1800 s. */
#define HPA_MAX_WINDOW_S 3600
#define HPA_MAX_PERIOD_S 1800

static int metric_ident(struct kd *d, const json_t *src, struct kobj_metric_ident *m)
{
    const json_t *o = NULL;
    int rc = kd_obj(d, src, "metric", 1, &o);
    if (rc)
        return rc;
    size_t old = kd_push(d, "metric");
    rc = kd_str(d, o, "name", 1, &m->name);
    if (rc == 0)
        rc = kd_selector(d, o, "selector", &m->selector);
    kd_pop(d, old);
    return rc;
}

static int metric_target(struct kd *d, const json_t *src, struct kobj_metric_target *t)
{
    const json_t *o = NULL;
    int type = 0;
    t->average_utilization = -1;
    int rc = kd_obj(d, src, "target", 1, &o);
    if (rc)
        return rc;
    size_t old = kd_push(d, "target");
    rc = kd_enum(d, o, "type", 1, target_types, &type, NULL);
    t->type = (uint8_t)type;
    if (rc == 0)
        rc = kd_i32(d, o, "averageUtilization", 0, 1, &t->average_utilization, NULL);
    if (rc == 0)
        rc = kd_quantity(d, o, "value", 0, &t->value);
    if (rc == 0)
        rc = kd_quantity(d, o, "averageValue", 0, &t->average_value);
    if (rc == 0) {
        if (type == POLICY_TARGET_UTILIZATION && t->average_utilization < 0)
            rc = kd_fail_at(d, "averageUtilization", PS_ENOENT, "missing for type Utilization");
        else if (type == POLICY_TARGET_VALUE && !t->value.present)
            rc = kd_fail_at(d, "value", PS_ENOENT, "missing for type Value");
        else if (type == POLICY_TARGET_AVERAGE_VALUE && !t->average_value.present)
            rc = kd_fail_at(d, "averageValue", PS_ENOENT, "missing for type AverageValue");
    }
    kd_pop(d, old);
    return rc;
}

static int metric_current(struct kd *d, const json_t *src, struct kobj_hpa_metric *m)
{
    const json_t *o = NULL;
    int rc = kd_obj(d, src, "current", 1, &o);
    if (rc)
        return rc;
    size_t old = kd_push(d, "current");
    rc = kd_i32(d, o, "averageUtilization", 0, 0, &m->current_average_utilization, NULL);
    /* External and Object metrics may legitimately be negative. */
    if (rc == 0)
        rc = kd_quantity(d, o, "value", 1, &m->current_value);
    if (rc == 0)
        rc = kd_quantity(d, o, "averageValue", 1, &m->current_average_value);
    kd_pop(d, old);
    return rc;
}

/* One entry of spec.metrics (status == 0) or status.currentMetrics (status == 1). */
static int metric(struct kd *d, const json_t *o, struct kobj_hpa_metric *m, int status)
{
    if (!json_is_object(o))
        return kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
    int type = 0;
    const json_t *src = NULL;
    m->current_average_utilization = -1;
    m->target.average_utilization = -1;
    /* The HPA controller leaves a zero MetricStatus, {"type": ""}, in
     * currentMetrics for a metric it could not compute (kubectl shows
     * <unknown>): not an error in a status. */
    const json_t *ty = json_object_get(o, "type");
    if (status && json_is_string(ty) && json_string_length(ty) == 0) {
        m->type = KOBJ_METRIC_NONE;
        return 0;
    }
    int rc = kd_enum(d, o, "type", 1, metric_types, &type, NULL);
    if (rc)
        return rc;
    m->type = (uint8_t)type;
    const char *key = metric_sources[type];
    rc = kd_obj(d, o, key, 1, &src);
    if (rc)
        return rc;
    size_t old = kd_push(d, key);
    switch (type) {
    case POLICY_METRIC_RESOURCE:
        rc = kd_str(d, src, "name", 1, &m->resource);
        break;
    case POLICY_METRIC_CONTAINER_RESOURCE:
        rc = kd_str(d, src, "name", 1, &m->resource);
        if (rc == 0)
            rc = kd_str(d, src, "container", 1, &m->container);
        break;
    case POLICY_METRIC_OBJECT:
        rc = kd_ref(d, src, "describedObject", 1, &m->described_object);
        if (rc == 0)
            rc = metric_ident(d, src, &m->metric);
        break;
    default: /* Pods, External */
        rc = metric_ident(d, src, &m->metric);
        break;
    }
    if (rc == 0)
        rc = status ? metric_current(d, src, m) : metric_target(d, src, &m->target);
    kd_pop(d, old);
    return rc;
}

static int metrics(struct kd *d, const json_t *parent, const char *key, int status,
                   struct kobj_hpa_metric **out, size_t *n_out)
{
    const json_t *a = NULL;
    int rc = kd_arr(d, parent, key, 0, &a);
    size_t n = a ? json_array_size(a) : 0;
    if (rc || n == 0)
        return rc;
    struct kobj_hpa_metric *m = kd_alloc_array(d->arena, n, sizeof *m);
    if (!m)
        return kd_fail(d, PS_ENOMEM, "out of memory");
    size_t old = kd_push(d, key);
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t o2 = kd_push_index(d, i);
        rc = metric(d, json_array_get(a, i), &m[i], status);
        kd_pop(d, o2);
    }
    kd_pop(d, old);
    if (rc == 0) {
        *out = m;
        *n_out = n;
    }
    return rc;
}

static int scaling_rules(struct kd *d, const json_t *parent, const char *key,
                         struct kobj_scaling_rules *r)
{
    const json_t *o = NULL, *a = NULL;
    int sel = 0;
    r->stabilization_window_s = -1;
    int rc = kd_obj(d, parent, key, 0, &o);
    if (rc || !o)
        return rc;
    r->present = 1;
    size_t old = kd_push(d, key);
    int64_t w = 0;
    int has_w = 0;
    rc = kd_int(d, o, "stabilizationWindowSeconds", 0, 0, HPA_MAX_WINDOW_S, &w, &has_w);
    if (has_w)
        r->stabilization_window_s = (int32_t)w;
    if (rc == 0)
        rc = kd_enum(d, o, "selectPolicy", 0, select_policies, &sel, &r->has_select);
    r->select = (uint8_t)sel;
    if (rc == 0)
        rc = kd_quantity(d, o, "tolerance", 0, &r->tolerance);
    if (rc == 0)
        rc = kd_arr(d, o, "policies", 0, &a);
    if (rc == 0 && a) {
        size_t n = json_array_size(a);
        r->has_policies = 1;
        r->policies = kd_alloc_array(d->arena, n, sizeof *r->policies);
        if (n > 0 && !r->policies)
            rc = kd_fail(d, PS_ENOMEM, "out of memory");
        size_t o2 = kd_push(d, "policies");
        for (size_t i = 0; i < n && rc == 0; i++) {
            const json_t *p = json_array_get(a, i);
            struct policy_rule *pr = &r->policies[i];
            int type = 0;
            int64_t v = 0;
            size_t o3 = kd_push_index(d, i);
            if (!json_is_object(p))
                rc = kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(p));
            if (rc == 0)
                rc = kd_enum(d, p, "type", 1, rule_types, &type, NULL);
            pr->type = (uint8_t)type;
            if (rc == 0)
                rc = kd_i32(d, p, "value", 1, 1, &pr->value, NULL);
            if (rc == 0)
                rc = kd_int(d, p, "periodSeconds", 1, 1, HPA_MAX_PERIOD_S, &v, NULL);
            pr->period_s = (int32_t)v;
            kd_pop(d, o3);
        }
        kd_pop(d, o2);
        if (rc == 0)
            r->n_policies = n;
    }
    kd_pop(d, old);
    return rc;
}

/* The autoscaling/v2 spec; ref_key is "scaleTargetRef" for the HPA. */
static int hpa_spec(struct kd *d, const json_t *spec, struct kobj_hpa_spec *s)
{
    const json_t *beh = NULL;
    int has_min = 0;
    s->min_replicas = 1; /* autoscaling/v2 default */
    int rc = kd_ref(d, spec, "scaleTargetRef", 1, &s->target);
    /* 0 is allowed upstream behind the HPAScaleToZero gate. */
    if (rc == 0)
        rc = kd_i32(d, spec, "minReplicas", 0, 0, &s->min_replicas, &has_min);
    if (rc == 0)
        rc = kd_i32(d, spec, "maxReplicas", 1, 1, &s->max_replicas, NULL);
    if (rc == 0 && s->min_replicas > s->max_replicas)
        rc = kd_fail_at(d, "minReplicas", PS_ERANGE, "%d is above maxReplicas %d",
                        (int)s->min_replicas, (int)s->max_replicas);
    if (rc == 0)
        rc = metrics(d, spec, "metrics", 0, &s->metrics, &s->n_metrics);
    if (rc == 0)
        rc = kd_obj(d, spec, "behavior", 0, &beh);
    if (rc == 0 && beh) {
        s->has_behavior = 1;
        size_t old = kd_push(d, "behavior");
        rc = scaling_rules(d, beh, "scaleUp", &s->scale_up);
        if (rc == 0)
            rc = scaling_rules(d, beh, "scaleDown", &s->scale_down);
        kd_pop(d, old);
    } else {
        s->scale_up.stabilization_window_s = -1;
        s->scale_down.stabilization_window_s = -1;
    }
    return rc;
}

int kd_body_hpa(struct kd *d, const json_t *j, void *vout)
{
    struct kobj_hpa *out = vout;
    const json_t *spec = NULL, *st = NULL;
    out->last_scale_ms = KOBJ_TIME_NONE;
    int rc = kd_meta(d, j, 1, 0, &out->meta);
    if (rc == 0)
        rc = kd_obj(d, j, "spec", 1, &spec);
    if (rc)
        return rc;
    size_t old = kd_push(d, "spec");
    rc = hpa_spec(d, spec, &out->spec);
    kd_pop(d, old);
    if (rc == 0)
        rc = kd_obj(d, j, "status", 0, &st);
    if (rc || !st)
        return rc;
    old = kd_push(d, "status");
    rc = kd_int(d, st, "observedGeneration", 0, 0, INT64_MAX, &out->observed_generation, NULL);
    if (rc == 0)
        rc = kd_time(d, st, "lastScaleTime", 0, &out->last_scale_ms);
    if (rc == 0)
        rc = kd_i32(d, st, "currentReplicas", 0, 0, &out->current_replicas, NULL);
    if (rc == 0)
        rc = kd_i32(d, st, "desiredReplicas", 0, 0, &out->desired_replicas, NULL);
    if (rc == 0)
        rc = metrics(d, st, "currentMetrics", 1, &out->current_metrics, &out->n_current_metrics);
    if (rc == 0)
        rc = kd_conditions(d, st, "conditions", &out->conditions, &out->n_conditions);
    kd_pop(d, old);
    return rc;
}

int kobj_decode_hpa(const json_t *j, struct kobj_hpa *out, struct kobj_error *err)
{
    return kd_decode_one(j, "HorizontalPodAutoscaler", kd_body_hpa, out, sizeof *out, &out->arena,
                         err);
}

/* ---- VPA ---- */

/* Same order as enum policy_update_mode, then the deprecated alias. */
static const char *const update_modes[] = {"Off",     "Initial", "Recreate", "InPlaceOrRecreate",
                                           "InPlace", "Auto",    NULL};
#define UPDATE_MODE_AUTO 5
static const char *const container_modes[] = {"Auto", "Off", NULL};
static const char *const controlled_values[] = {"RequestsAndLimits", "RequestsOnly", NULL};
static const char *const change_reqs[] = {"TargetHigherThanRequests", "TargetLowerThanRequests",
                                          NULL};

/* An array of resource names ("cpu", "memory") as a POLICY_RES_BIT set. */
static int resource_names(struct kd *d, const json_t *parent, const char *key, unsigned dflt,
                          unsigned *out)
{
    const json_t *a = NULL;
    *out = dflt;
    int rc = kd_arr(d, parent, key, 0, &a);
    if (rc || !a)
        return rc;
    *out = 0;
    size_t old = kd_push(d, key);
    for (size_t i = 0; i < json_array_size(a) && rc == 0; i++) {
        const json_t *v = json_array_get(a, i);
        size_t o2 = kd_push_index(d, i);
        if (!json_is_string(v))
            rc = kd_fail(d, PS_EINVAL, "expected a string, got %s", kd_type_name(v));
        else if (strcmp(json_string_value(v), "cpu") == 0)
            *out |= POLICY_RES_BIT(POLICY_RES_CPU);
        else if (strcmp(json_string_value(v), "memory") == 0)
            *out |= POLICY_RES_BIT(POLICY_RES_MEMORY);
        else
            rc = kd_fail(d, PS_EINVAL, "unknown resource \"%.40s\"", json_string_value(v));
        kd_pop(d, o2);
    }
    kd_pop(d, old);
    return rc;
}

static int container_policy(struct kd *d, const json_t *o, struct kobj_container_policy *p)
{
    if (!json_is_object(o))
        return kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
    int mode = 0, values = 0;
    p->memory_aggregation_interval_s = KOBJ_UNSET;
    p->memory_aggregation_interval_count = KOBJ_UNSET;
    int rc = kd_str(d, o, "containerName", 0, &p->container_name);
    if (rc == 0)
        rc = kd_enum(d, o, "mode", 0, container_modes, &mode, NULL);
    p->mode = (uint8_t)mode;
    if (rc == 0)
        rc = kd_resources(d, o, "minAllowed", &p->min_allowed);
    if (rc == 0)
        rc = kd_resources(d, o, "maxAllowed", &p->max_allowed);
    if (rc == 0)
        rc = resource_names(d, o, "controlledResources", POLICY_RES_BOTH, &p->controlled_resources);
    if (rc == 0)
        rc = kd_enum(d, o, "controlledValues", 0, controlled_values, &values, NULL);
    p->controlled_values = (uint8_t)values;
    if (rc == 0)
        rc = kd_quantity(d, o, "oomBumpUpRatio", 0, &p->oom_bump_up_ratio);
    if (rc == 0)
        rc = kd_quantity(d, o, "oomMinBumpUp", 0, &p->oom_min_bump_up);
    if (rc == 0)
        rc = kd_int(d, o, "memoryAggregationIntervalSeconds", 0, 1, INT64_MAX / 1000,
                    &p->memory_aggregation_interval_s, NULL);
    if (rc == 0)
        rc = kd_int(d, o, "memoryAggregationIntervalCount", 0, 1, INT32_MAX,
                    &p->memory_aggregation_interval_count, NULL);
    return rc;
}

static int vpa_update_policy(struct kd *d, const json_t *spec, struct kobj_vpa_spec *s)
{
    const json_t *up = NULL, *a = NULL;
    int mode = 0;
    int rc = kd_obj(d, spec, "updatePolicy", 0, &up);
    if (rc || !up)
        return rc;
    size_t old = kd_push(d, "updatePolicy");
    rc = kd_enum(d, up, "updateMode", 0, update_modes, &mode, &s->has_update_mode);
    if (rc == 0 && s->has_update_mode)
        s->update_mode = (uint8_t)(mode == UPDATE_MODE_AUTO ? POLICY_UPDATE_RECREATE : mode);
    if (rc == 0)
        rc = kd_i32(d, up, "minReplicas", 0, 1, &s->min_replicas, NULL);
    if (rc == 0)
        rc = kd_int(d, up, "evictAfterOOMSeconds", 0, 0, INT64_MAX / 1000, &s->evict_after_oom_s,
                    NULL);
    if (rc == 0)
        rc = kd_arr(d, up, "evictionRequirements", 0, &a);
    size_t n = a && rc == 0 ? json_array_size(a) : 0;
    if (n > 0) {
        s->eviction_reqs = kd_alloc_array(d->arena, n, sizeof *s->eviction_reqs);
        if (!s->eviction_reqs)
            rc = kd_fail(d, PS_ENOMEM, "out of memory");
        size_t o2 = kd_push(d, "evictionRequirements");
        for (size_t i = 0; i < n && rc == 0; i++) {
            const json_t *o = json_array_get(a, i);
            int ch = 0;
            size_t o3 = kd_push_index(d, i);
            if (!json_is_object(o))
                rc = kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
            if (rc == 0)
                rc = resource_names(d, o, "resources", 0, &s->eviction_reqs[i].resources);
            if (rc == 0)
                rc = kd_enum(d, o, "changeRequirement", 1, change_reqs, &ch, NULL);
            s->eviction_reqs[i].change = (uint8_t)ch;
            kd_pop(d, o3);
        }
        kd_pop(d, o2);
        if (rc == 0)
            s->n_eviction_reqs = n;
    }
    kd_pop(d, old);
    return rc;
}

static int vpa_spec(struct kd *d, const json_t *spec, struct kobj_vpa_spec *s)
{
    const json_t *rp = NULL, *a = NULL;
    s->update_mode = POLICY_UPDATE_RECREATE; /* upstream default */
    s->min_replicas = -1;
    s->evict_after_oom_s = KOBJ_UNSET;
    int rc = kd_ref(d, spec, "targetRef", 1, &s->target);
    if (rc == 0)
        rc = vpa_update_policy(d, spec, s);
    if (rc == 0)
        rc = kd_obj(d, spec, "resourcePolicy", 0, &rp);
    if (rc == 0 && rp) {
        size_t old = kd_push(d, "resourcePolicy");
        rc = kd_arr(d, rp, "containerPolicies", 0, &a);
        size_t n = a && rc == 0 ? json_array_size(a) : 0;
        if (n > 0) {
            s->policies = kd_alloc_array(d->arena, n, sizeof *s->policies);
            if (!s->policies)
                rc = kd_fail(d, PS_ENOMEM, "out of memory");
            size_t o2 = kd_push(d, "containerPolicies");
            for (size_t i = 0; i < n && rc == 0; i++) {
                size_t o3 = kd_push_index(d, i);
                rc = container_policy(d, json_array_get(a, i), &s->policies[i]);
                kd_pop(d, o3);
            }
            kd_pop(d, o2);
            if (rc == 0)
                s->n_policies = n;
        }
        kd_pop(d, old);
    }
    if (rc == 0)
        rc = kd_arr(d, spec, "recommenders", 0, &a);
    if (rc == 0 && a && json_array_size(a) > 0) {
        const json_t *r0 = json_array_get(a, 0);
        size_t old = kd_push(d, "recommenders");
        kd_push_index(d, 0);
        if (!json_is_object(r0))
            rc = kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(r0));
        else
            rc = kd_str(d, r0, "name", 1, &s->recommender);
        kd_pop(d, old);
    }
    return rc;
}

int kd_body_vpa(struct kd *d, const json_t *j, void *vout)
{
    struct kobj_vpa *out = vout;
    const json_t *spec = NULL, *st = NULL;
    int rc = kd_meta(d, j, 1, 0, &out->meta);
    if (rc == 0)
        rc = kd_obj(d, j, "spec", 1, &spec);
    if (rc)
        return rc;
    size_t old = kd_push(d, "spec");
    rc = vpa_spec(d, spec, &out->spec);
    kd_pop(d, old);
    if (rc == 0)
        rc = kd_obj(d, j, "status", 0, &st);
    if (rc || !st)
        return rc;
    old = kd_push(d, "status");
    rc = kd_int(d, st, "observedGeneration", 0, 0, INT64_MAX, &out->observed_generation, NULL);
    if (rc == 0)
        rc = kd_recommendations(d, st, "recommendation", &out->recommendations,
                                &out->n_recommendations);
    if (rc == 0)
        rc = kd_conditions(d, st, "conditions", &out->conditions, &out->n_conditions);
    kd_pop(d, old);
    return rc;
}

int kobj_decode_vpa(const json_t *j, struct kobj_vpa *out, struct kobj_error *err)
{
    return kd_decode_one(j, "VerticalPodAutoscaler", kd_body_vpa, out, sizeof *out, &out->arena,
                         err);
}

void kobj_hpa_free(struct kobj_hpa *o)
{
    if (!o)
        return;
    kd_arena_free(o->arena);
    memset(o, 0, sizeof *o);
}

void kobj_vpa_free(struct kobj_vpa *o)
{
    if (!o)
        return;
    kd_arena_free(o->arena);
    memset(o, 0, sizeof *o);
}
