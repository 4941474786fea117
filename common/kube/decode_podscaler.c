/*
 * decode_podscaler.c - the PodScaler custom resource (DESIGN.md section 5).
 *
 * The spec is decoded by policy_from_json() (common/io/policy.c), the one
 * decoder of the policy object, so a PodScaler read from the cluster and a
 * policy file read by replay or report mean the same thing. This file adds the
 * object's identity, spec.targetRef and the status podscaler writes.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "decode_internal.h"

/* policy_from_json says "FIELD: what is wrong"; the field becomes the path. */
static int policy_error(struct kd *d, int rc, const char *msg)
{
    const char *sep = strstr(msg, ": ");
    if (rc == PS_ENOMEM)
        return kd_fail(d, PS_ENOMEM, "out of memory");
    if (!sep)
        return kd_fail(d, PS_EINVAL, "%s", msg);
    size_t old = d->len;
    int n = snprintf(d->path + d->len, sizeof d->path - d->len, ".%.*s", (int)(sep - msg), msg);
    if (n > 0)
        d->len += (size_t)n < sizeof d->path - d->len ? (size_t)n : sizeof d->path - d->len - 1;
    kd_fail(d, PS_EINVAL, "%s", sep + 2);
    kd_pop(d, old);
    return PS_EINVAL;
}

int kd_body_podscaler(struct kd *d, const json_t *j, void *vout)
{
    struct kobj_podscaler *out = vout;
    const json_t *spec = NULL, *st = NULL;
    out->current_replicas = -1;
    out->desired_replicas = -1;
    int rc = kd_meta(d, j, 1, 0, &out->meta);
    if (rc == 0)
        rc = kd_obj(d, j, "spec", 1, &spec);
    if (rc)
        return rc;
    size_t old = kd_push(d, "spec");
    rc = kd_ref(d, spec, "targetRef", 1, &out->target);
    kd_pop(d, old);
    if (rc)
        return rc;
    char msg[256] = "";
    snprintf(out->policy.name, sizeof out->policy.name, "%s", out->meta.name);
    /* policy_from_json only reads the spec; its prototype is not const. */
    rc = policy_from_json((json_t *)(uintptr_t)spec, &out->policy, msg, sizeof msg);
    if (rc)
        return policy_error(d, rc, msg);
    rc = kd_obj(d, j, "status", 0, &st);
    if (rc == 0 && st) {
        old = kd_push(d, "status");
        rc = kd_str(d, st, "bottleneck", 0, &out->status_bottleneck);
        if (rc == 0)
            rc = kd_i32(d, st, "currentReplicas", 0, 0, &out->current_replicas, NULL);
        if (rc == 0)
            rc = kd_i32(d, st, "desiredReplicas", 0, 0, &out->desired_replicas, NULL);
        if (rc == 0)
            rc = kd_recommendations(d, st, "recommendation", &out->recommendations,
                                    &out->n_recommendations);
        if (rc == 0)
            rc = kd_conditions(d, st, "conditions", &out->conditions, &out->n_conditions);
        kd_pop(d, old);
    }
    if (rc)
        return rc;
    /* Taken last, so a failed decode never holds a reference. */
    out->spec_json = json_incref((json_t *)(uintptr_t)spec);
    return 0;
}

int kobj_decode_podscaler(const json_t *j, struct kobj_podscaler *out, struct kobj_error *err)
{
    return kd_decode_one(j, "PodScaler", kd_body_podscaler, out, sizeof *out, &out->arena, err);
}

void kobj_podscaler_free(struct kobj_podscaler *o)
{
    if (!o)
        return;
    json_decref(o->spec_json);
    kd_arena_free(o->arena);
    memset(o, 0, sizeof *o);
}

int kobj_decode_podscaler_list(const json_t *j, struct kobj_podscaler_list *out,
                               struct kobj_error *err)
{
    void *items;
    int rc = kd_decode_list(j, "PodScalerList", "PodScaler", kd_body_podscaler, sizeof *out->items,
                            &out->arena, &out->list, &items, &out->n_items, err);
    out->items = items;
    return rc;
}

void kobj_podscaler_list_free(struct kobj_podscaler_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_items; i++)
        json_decref(l->items[i].spec_json);
    kd_arena_free(l->arena);
    memset(l, 0, sizeof *l);
}
