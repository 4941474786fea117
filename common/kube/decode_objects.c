/*
 * decode_objects.c - PodMetrics, Pod, Deployment and Scale (spec/kubernetes-api.md
 * sections 9.1 to 9.4).
 */
#include <string.h>

#include "decode_internal.h"

/* ---- PodMetrics ---- */

static int container_usage(struct kd *d, const json_t *o, struct kobj_container_usage *u)
{
    if (!json_is_object(o))
        return kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
    const json_t *usage = NULL;
    int rc = kd_str(d, o, "name", 1, &u->name);
    if (rc == 0)
        rc = kd_obj(d, o, "usage", 1, &usage);
    if (rc)
        return rc;
    size_t old = kd_push(d, "usage");
    struct kobj_qty cpu, mem;
    /* Usage is a measurement: a missing cpu or memory is as wrong as a negative one. */
    rc = kd_quantity(d, usage, "cpu", 0, &cpu);
    if (rc == 0 && !cpu.present)
        rc = kd_fail_at(d, "cpu", PS_ENOENT, "missing");
    if (rc == 0 && quantity_scaled_value(&cpu.q, -9, &u->cpu_nano) != 0)
        rc = kd_fail_at(d, "cpu", PS_ERANGE, "quantity out of range");
    if (rc == 0)
        u->cpu_milli = cpu.milli;
    if (rc == 0)
        rc = kd_quantity(d, usage, "memory", 0, &mem);
    if (rc == 0 && !mem.present)
        rc = kd_fail_at(d, "memory", PS_ENOENT, "missing");
    if (rc == 0 && quantity_value(&mem.q, &u->mem_bytes) != 0)
        rc = kd_fail_at(d, "memory", PS_ERANGE, "quantity out of range");
    kd_pop(d, old);
    return rc;
}

int kd_body_pod_metrics(struct kd *d, const json_t *j, void *vout)
{
    struct kobj_pod_metrics *out = vout;
    const json_t *a = NULL;
    const char *window = NULL;
    int rc = kd_meta(d, j, 1, 1, &out->meta);
    if (rc == 0)
        rc = kd_time(d, j, "timestamp", 1, &out->timestamp_ms);
    out->window_ms = KOBJ_UNSET;
    if (rc == 0)
        rc = kd_str(d, j, "window", 0, &window);
    if (rc == 0 && window) {
        int64_t ns;
        rc = kobj_parse_duration_ns(window, &ns);
        if (rc == 0 && ns < 0)
            rc = PS_ENEGATIVE;
        if (rc)
            return kd_fail_at(d, "window", rc, "not a duration: \"%.40s\"", window);
        out->window_ms = ns / 1000000;
    }
    if (rc == 0)
        rc = kd_arr(d, j, "containers", 1, &a);
    if (rc)
        return rc;
    size_t n = json_array_size(a);
    if (n == 0)
        return 0;
    out->containers = kd_alloc_array(d->arena, n, sizeof *out->containers);
    if (!out->containers)
        return kd_fail(d, PS_ENOMEM, "out of memory");
    size_t old = kd_push(d, "containers");
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t o2 = kd_push_index(d, i);
        rc = container_usage(d, json_array_get(a, i), &out->containers[i]);
        kd_pop(d, o2);
    }
    kd_pop(d, old);
    if (rc == 0)
        out->n_containers = n;
    return rc;
}

int kobj_decode_pod_metrics(const json_t *j, struct kobj_pod_metrics *out, struct kobj_error *err)
{
    return kd_decode_one(j, "PodMetrics", kd_body_pod_metrics, out, sizeof *out, &out->arena, err);
}

/* ---- Pod ---- */

static const char *const pod_phases[] = {"Pending", "Running", "Succeeded",
                                         "Failed",  "Unknown", NULL};

static int container_state(struct kd *d, const json_t *parent, const char *key,
                           struct kobj_container_state *st)
{
    const json_t *o = NULL, *sub = NULL;
    st->kind = KOBJ_STATE_NONE;
    st->started_ms = st->finished_ms = KOBJ_TIME_NONE;
    int rc = kd_obj(d, parent, key, 0, &o);
    if (rc || !o)
        return rc;
    size_t old = kd_push(d, key);
    /* At most one member is set; when a broken object has several, the most
     * final one (terminated) wins because it is what OOM detection needs. */
    rc = kd_obj(d, o, "terminated", 0, &sub);
    if (rc == 0 && sub) {
        size_t o2 = kd_push(d, "terminated");
        int64_t code = 0;
        st->kind = KOBJ_STATE_TERMINATED;
        rc = kd_str(d, sub, "reason", 0, &st->reason);
        if (rc == 0)
            rc = kd_int(d, sub, "exitCode", 0, INT32_MIN, INT32_MAX, &code, NULL);
        st->exit_code = (int32_t)code;
        if (rc == 0)
            rc = kd_time(d, sub, "startedAt", 0, &st->started_ms);
        if (rc == 0)
            rc = kd_time(d, sub, "finishedAt", 0, &st->finished_ms);
        st->oom_killed = st->reason && strcmp(st->reason, "OOMKilled") == 0;
        kd_pop(d, o2);
        goto out;
    }
    if (rc == 0)
        rc = kd_obj(d, o, "running", 0, &sub);
    if (rc == 0 && sub) {
        size_t o2 = kd_push(d, "running");
        st->kind = KOBJ_STATE_RUNNING;
        rc = kd_time(d, sub, "startedAt", 0, &st->started_ms);
        kd_pop(d, o2);
        goto out;
    }
    if (rc == 0)
        rc = kd_obj(d, o, "waiting", 0, &sub);
    if (rc == 0 && sub) {
        size_t o2 = kd_push(d, "waiting");
        st->kind = KOBJ_STATE_WAITING;
        rc = kd_str(d, sub, "reason", 0, &st->reason);
        kd_pop(d, o2);
    }
out:
    kd_pop(d, old);
    return rc;
}

static int container_status(struct kd *d, const json_t *o, struct kobj_container_status *s)
{
    if (!json_is_object(o))
        return kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
    const json_t *res = NULL;
    s->applied_requests.cpu_milli = s->applied_requests.mem_bytes = KOBJ_UNSET;
    s->applied_limits.cpu_milli = s->applied_limits.mem_bytes = KOBJ_UNSET;
    int rc = kd_str(d, o, "name", 1, &s->name);
    if (rc == 0)
        rc = kd_bool(d, o, "ready", &s->ready);
    if (rc == 0)
        rc = kd_bool(d, o, "started", &s->started);
    if (rc == 0)
        rc = kd_i32(d, o, "restartCount", 0, 0, &s->restart_count, NULL);
    if (rc == 0)
        rc = container_state(d, o, "state", &s->state);
    if (rc == 0)
        rc = container_state(d, o, "lastState", &s->last_state);
    if (rc == 0)
        rc = kd_obj(d, o, "resources", 0, &res);
    if (rc == 0 && res) {
        size_t old = kd_push(d, "resources");
        rc = kd_resources(d, res, "requests", &s->applied_requests);
        if (rc == 0)
            rc = kd_resources(d, res, "limits", &s->applied_limits);
        kd_pop(d, old);
    }
    return rc;
}

static int pod_status(struct kd *d, const json_t *st, struct kobj_pod *out)
{
    const json_t *a = NULL;
    const char *phase = NULL;
    int rc = kd_str(d, st, "phase", 0, &phase);
    if (rc)
        return rc;
    if (phase) {
        /* a phase newer than this code counts as Unknown */
        out->phase = KOBJ_PHASE_UNKNOWN;
        for (int i = 0; pod_phases[i]; i++)
            if (strcmp(phase, pod_phases[i]) == 0)
                out->phase = (uint8_t)(KOBJ_PHASE_PENDING + i);
    }
    rc = kd_str(d, st, "qosClass", 0, &out->qos_class);
    if (rc == 0)
        rc = kd_time(d, st, "startTime", 0, &out->start_ms);
    if (rc == 0)
        rc = kd_conditions(d, st, "conditions", &out->conditions, &out->n_conditions);
    if (rc)
        return rc;
    const struct kobj_condition *ready =
        kobj_condition_find(out->conditions, out->n_conditions, "Ready");
    if (ready) {
        out->ready = ready->status == KOBJ_COND_TRUE;
        out->ready_changed_ms = ready->last_transition_ms;
    }
    rc = kd_arr(d, st, "containerStatuses", 0, &a);
    size_t n = a ? json_array_size(a) : 0;
    if (rc || n == 0)
        return rc;
    out->statuses = kd_alloc_array(d->arena, n, sizeof *out->statuses);
    if (!out->statuses)
        return kd_fail(d, PS_ENOMEM, "out of memory");
    size_t old = kd_push(d, "containerStatuses");
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t o2 = kd_push_index(d, i);
        rc = container_status(d, json_array_get(a, i), &out->statuses[i]);
        kd_pop(d, o2);
    }
    kd_pop(d, old);
    if (rc == 0)
        out->n_statuses = n;
    return rc;
}

int kd_body_pod(struct kd *d, const json_t *j, void *vout)
{
    struct kobj_pod *out = vout;
    const json_t *spec = NULL, *st = NULL;
    out->start_ms = KOBJ_TIME_NONE;
    out->ready_changed_ms = KOBJ_TIME_NONE;
    int rc = kd_meta(d, j, 1, 0, &out->meta);
    if (rc == 0)
        rc = kd_obj(d, j, "spec", 1, &spec);
    if (rc)
        return rc;
    size_t old = kd_push(d, "spec");
    rc = kd_str(d, spec, "nodeName", 0, &out->node_name);
    if (rc == 0)
        rc = kd_containers(d, spec, "containers", 1, &out->containers, &out->n_containers);
    if (rc == 0)
        rc = kd_containers(d, spec, "initContainers", 0, &out->init_containers,
                           &out->n_init_containers);
    kd_pop(d, old);
    if (rc == 0)
        rc = kd_obj(d, j, "status", 0, &st);
    if (rc || !st)
        return rc;
    old = kd_push(d, "status");
    rc = pod_status(d, st, out);
    kd_pop(d, old);
    return rc;
}

int kobj_decode_pod(const json_t *j, struct kobj_pod *out, struct kobj_error *err)
{
    return kd_decode_one(j, "Pod", kd_body_pod, out, sizeof *out, &out->arena, err);
}

/* ---- Deployment ---- */

int kd_body_deployment(struct kd *d, const json_t *j, void *vout)
{
    struct kobj_deployment *out = vout;
    const json_t *spec = NULL, *tmpl = NULL, *tspec = NULL, *tmeta = NULL, *st = NULL;
    int rc = kd_meta(d, j, 1, 0, &out->meta);
    if (rc == 0)
        rc = kd_obj(d, j, "spec", 1, &spec);
    if (rc)
        return rc;
    size_t old = kd_push(d, "spec");
    out->replicas = 1; /* apps/v1 default when spec.replicas is absent */
    rc = kd_i32(d, spec, "replicas", 0, 0, &out->replicas, NULL);
    if (rc == 0)
        rc = kd_selector(d, spec, "selector", &out->selector);
    if (rc == 0)
        rc = kd_bool(d, spec, "paused", &out->paused);
    if (rc == 0)
        rc = kd_obj(d, spec, "template", 0, &tmpl);
    if (rc == 0 && tmpl) {
        size_t o2 = kd_push(d, "template");
        rc = kd_obj(d, tmpl, "metadata", 0, &tmeta);
        if (rc == 0 && tmeta) {
            size_t o3 = kd_push(d, "metadata");
            rc = kd_labels(d, tmeta, "labels", &out->template_labels, &out->n_template_labels);
            kd_pop(d, o3);
        }
        if (rc == 0)
            rc = kd_obj(d, tmpl, "spec", 0, &tspec);
        if (rc == 0 && tspec) {
            size_t o3 = kd_push(d, "spec");
            rc = kd_containers(d, tspec, "containers", 1, &out->containers, &out->n_containers);
            if (rc == 0)
                rc = kd_containers(d, tspec, "initContainers", 0, &out->init_containers,
                                   &out->n_init_containers);
            kd_pop(d, o3);
        }
        kd_pop(d, o2);
    }
    kd_pop(d, old);
    if (rc == 0)
        rc = kd_obj(d, j, "status", 0, &st);
    if (rc || !st)
        return rc;
    old = kd_push(d, "status");
    rc = kd_int(d, st, "observedGeneration", 0, 0, INT64_MAX, &out->observed_generation, NULL);
    if (rc == 0)
        rc = kd_i32(d, st, "replicas", 0, 0, &out->status_replicas, NULL);
    if (rc == 0)
        rc = kd_i32(d, st, "updatedReplicas", 0, 0, &out->updated_replicas, NULL);
    if (rc == 0)
        rc = kd_i32(d, st, "readyReplicas", 0, 0, &out->ready_replicas, NULL);
    if (rc == 0)
        rc = kd_i32(d, st, "availableReplicas", 0, 0, &out->available_replicas, NULL);
    if (rc == 0)
        rc = kd_i32(d, st, "unavailableReplicas", 0, 0, &out->unavailable_replicas, NULL);
    if (rc == 0)
        rc = kd_conditions(d, st, "conditions", &out->conditions, &out->n_conditions);
    kd_pop(d, old);
    return rc;
}

int kobj_decode_deployment(const json_t *j, struct kobj_deployment *out, struct kobj_error *err)
{
    return kd_decode_one(j, "Deployment", kd_body_deployment, out, sizeof *out, &out->arena, err);
}

/* ---- Scale ---- */

int kd_body_scale(struct kd *d, const json_t *j, void *vout)
{
    struct kobj_scale *out = vout;
    const json_t *spec = NULL, *st = NULL;
    int rc = kd_meta(d, j, 1, 0, &out->meta);
    if (rc == 0)
        rc = kd_obj(d, j, "spec", 0, &spec);
    if (rc == 0 && spec) {
        size_t old = kd_push(d, "spec");
        rc = kd_i32(d, spec, "replicas", 0, 0, &out->spec_replicas, NULL);
        kd_pop(d, old);
    }
    if (rc == 0)
        rc = kd_obj(d, j, "status", 0, &st);
    if (rc == 0 && st) {
        size_t old = kd_push(d, "status");
        rc = kd_i32(d, st, "replicas", 0, 0, &out->status_replicas, NULL);
        if (rc == 0)
            rc = kd_str(d, st, "selector", 0, &out->selector);
        kd_pop(d, old);
    }
    return rc;
}

int kobj_decode_scale(const json_t *j, struct kobj_scale *out, struct kobj_error *err)
{
    return kd_decode_one(j, "Scale", kd_body_scale, out, sizeof *out, &out->arena, err);
}

/* ---- freeing ---- */

#define KOBJ_FREE(fn, type)                                                                        \
    void fn(struct type *o)                                                                        \
    {                                                                                              \
        if (!o)                                                                                    \
            return;                                                                                \
        kd_arena_free(o->arena);                                                                   \
        memset(o, 0, sizeof *o);                                                                   \
    }

KOBJ_FREE(kobj_pod_metrics_free, kobj_pod_metrics)
KOBJ_FREE(kobj_pod_free, kobj_pod)
KOBJ_FREE(kobj_deployment_free, kobj_deployment)
KOBJ_FREE(kobj_scale_free, kobj_scale)
