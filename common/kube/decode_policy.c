/*
 * decode_policy.c - a decoded HorizontalPodAutoscaler or VerticalPodAutoscaler
 * as the struct ps_policy the engine runs (include/podscaler/policy.h), so
 * report can set what the cluster runs beside what podscaler would do.
 *
 * The rules are those of policy_from_json() for the same fields: cpu and memory
 * only, a Utilization target only on Resource/ContainerResource metrics, a
 * Value target only on Object/External ones, value targets above zero,
 * minReplicas 0 only with an Object or External metric, no tolerance.
 */
#include <stdio.h>
#include <string.h>

#include "decode_internal.h"

static int fail(struct kobj_error *err, const char *kind, const struct kobj_meta *m, int code,
                const char *path, const char *msg)
{
    memset(err, 0, sizeof *err);
    err->code = code;
    snprintf(err->kind, sizeof err->kind, "%s", kind);
    snprintf(err->ns, sizeof err->ns, "%s", m->ns ? m->ns : "");
    snprintf(err->name, sizeof err->name, "%s", m->name ? m->name : "");
    snprintf(err->path, sizeof err->path, "%s", path);
    snprintf(err->message, sizeof err->message, "%s", msg);
    return code;
}

static int copy_name(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        return PS_ENOSPC;
    memcpy(dst, src ? src : "", n + 1);
    return 0;
}

static uint8_t resource_of(const char *name)
{
    if (name && strcmp(name, "cpu") == 0)
        return POLICY_RES_CPU;
    if (name && strcmp(name, "memory") == 0)
        return POLICY_RES_MEMORY;
    return POLICY_RES_OTHER;
}

static int rules(const struct kobj_scaling_rules *in, struct policy_scaling_rules *out)
{
    memset(out, 0, sizeof *out);
    if (!in->present)
        return 0;
    if (in->tolerance.present)
        return PS_EINVAL;
    if (in->stabilization_window_s >= 0) {
        out->has_window = 1;
        out->stabilization_window_s = in->stabilization_window_s;
    }
    out->has_select = (int8_t)(in->has_select != 0);
    out->select = in->select;
    out->has_policies = (int8_t)(in->has_policies != 0);
    if (in->n_policies > POLICY_MAX_RULES)
        return PS_ENOSPC;
    for (size_t i = 0; i < in->n_policies; i++)
        out->policies[i] = in->policies[i];
    out->n_policies = (uint8_t)in->n_policies;
    return 0;
}

int kobj_hpa_policy(const struct kobj_hpa *h, struct ps_policy *out, struct kobj_error *err)
{
    static const char *const kind = "HorizontalPodAutoscaler";
    char path[64];
    policy_init(out, NULL);
    if (copy_name(out->name, sizeof out->name, h->meta.name))
        return fail(err, kind, &h->meta, PS_ENOSPC, ".metadata.name", "too long for a policy name");
    struct policy_horizontal *ph = &out->horizontal;
    int scales_to_zero = 0;
    ph->enabled = 1;
    ph->min_replicas = h->spec.min_replicas;
    ph->max_replicas = h->spec.max_replicas;
    if (h->spec.n_metrics > POLICY_MAX_METRICS)
        return fail(err, kind, &h->meta, PS_ENOSPC, ".spec.metrics",
                    "more metrics than a podscaler policy holds");
    for (size_t i = 0; i < h->spec.n_metrics; i++) {
        const struct kobj_hpa_metric *m = &h->spec.metrics[i];
        struct policy_metric *pm = &ph->metrics[i];
        int res_metric =
            m->type == POLICY_METRIC_RESOURCE || m->type == POLICY_METRIC_CONTAINER_RESOURCE;
        memset(pm, 0, sizeof *pm);
        pm->type = m->type;
        pm->resource = res_metric ? resource_of(m->resource) : POLICY_RES_OTHER;
        pm->target = m->target.type;
        snprintf(path, sizeof path, ".spec.metrics[%zu]", i);
        if (res_metric && pm->resource == POLICY_RES_OTHER)
            return fail(err, kind, &h->meta, PS_EINVAL, path,
                        "only cpu and memory resources are supported");
        if (m->target.type == POLICY_TARGET_VALUE && (res_metric || m->type == POLICY_METRIC_PODS))
            return fail(err, kind, &h->meta, PS_EINVAL, path,
                        "a Value target is only for Object and External metrics");
        if (m->type == POLICY_METRIC_OBJECT || m->type == POLICY_METRIC_EXTERNAL)
            scales_to_zero = 1;
        const char *name = m->type == POLICY_METRIC_CONTAINER_RESOURCE ? m->container
                           : res_metric                                ? ""
                                                                       : m->metric.name;
        if (copy_name(pm->container, sizeof pm->container, name))
            return fail(err, kind, &h->meta, PS_ENOSPC, path,
                        "container or metric name too long for a podscaler policy");
        if (m->target.type == POLICY_TARGET_UTILIZATION) {
            if (!res_metric)
                return fail(err, kind, &h->meta, PS_EINVAL, path,
                            "Utilization is only for Resource and ContainerResource metrics");
            pm->average_utilization = m->target.average_utilization;
            continue;
        }
        const struct kobj_qty *q = m->target.type == POLICY_TARGET_AVERAGE_VALUE
                                       ? &m->target.average_value
                                       : &m->target.value;
        if (!q->present || q->milli <= 0)
            return fail(err, kind, &h->meta, PS_EINVAL, path, "target must be greater than zero");
        pm->target_milli = q->milli;
    }
    ph->n_metrics = (uint8_t)h->spec.n_metrics;
    ph->has_behavior = (int8_t)(h->spec.has_behavior != 0);
    static const char *const dir[] = {".spec.behavior.scaleUp", ".spec.behavior.scaleDown"};
    const struct kobj_scaling_rules *in[] = {&h->spec.scale_up, &h->spec.scale_down};
    struct policy_scaling_rules *to[] = {&ph->scale_up, &ph->scale_down};
    for (int k = 0; k < 2; k++) {
        int rc = rules(in[k], to[k]);
        snprintf(path, sizeof path, "%s%s", dir[k], rc == PS_EINVAL ? ".tolerance" : ".policies");
        if (rc == PS_EINVAL)
            return fail(err, kind, &h->meta, rc, path, "tolerance is not supported yet");
        if (rc)
            return fail(err, kind, &h->meta, rc, path,
                        "more policies than a podscaler policy holds");
    }
    if (ph->min_replicas == 0 && !scales_to_zero)
        return fail(err, kind, &h->meta, PS_EINVAL, ".spec.minReplicas",
                    "may be 0 only with an Object or External metric");
    return 0;
}

int kobj_vpa_policy(const struct kobj_vpa *v, struct ps_policy *out, struct kobj_error *err)
{
    static const char *const kind = "VerticalPodAutoscaler";
    char path[96];
    policy_init(out, NULL);
    if (copy_name(out->name, sizeof out->name, v->meta.name))
        return fail(err, kind, &v->meta, PS_ENOSPC, ".metadata.name", "too long for a policy name");
    struct policy_vertical *pv = &out->vertical;
    pv->enabled = 1;
    pv->update_mode = v->spec.update_mode;
    if (v->spec.min_replicas > 0)
        pv->min_replicas = v->spec.min_replicas;
    if (v->spec.n_policies > POLICY_MAX_CONTAINERS)
        return fail(err, kind, &v->meta, PS_ENOSPC, ".spec.resourcePolicy.containerPolicies",
                    "more container policies than a podscaler policy holds");
    for (size_t i = 0; i < v->spec.n_policies; i++) {
        const struct kobj_container_policy *c = &v->spec.policies[i];
        struct policy_container *pc = &pv->containers[i];
        snprintf(path, sizeof path, ".spec.resourcePolicy.containerPolicies[%zu]", i);
        memset(pc, 0, sizeof *pc);
        /* upstream treats an empty containerName like no match at all; keep it as is */
        if (copy_name(pc->name, sizeof pc->name, c->container_name))
            return fail(err, kind, &v->meta, PS_ENOSPC, path, "containerName too long");
        pc->mode = c->mode;
        pc->min_cpu_milli = c->min_allowed.cpu_milli;
        pc->min_mem_bytes = c->min_allowed.mem_bytes;
        pc->max_cpu_milli = c->max_allowed.cpu_milli;
        pc->max_mem_bytes = c->max_allowed.mem_bytes;
        pc->controlled_resources = (uint8_t)c->controlled_resources;
        pc->controlled_values = c->controlled_values;
    }
    pv->n_containers = (uint8_t)v->spec.n_policies;
    return 0;
}
