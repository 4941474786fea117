/*
 * decode_list.c - list responses (<Kind>List): each item is decoded on its own so
 * one bad item is reported and skipped while the others decode (DESIGN.md 6).
 */
#include <string.h>

#include "decode_internal.h"

int kd_decode_list(const json_t *j, const char *list_kind, const char *item_kind, kd_body_fn body,
                   size_t item_size, struct kobj_arena **arena_out, struct kobj_list_meta *lm,
                   void **items_out, size_t *n_items, struct kobj_error *err)
{
    struct kd d;
    const json_t *meta = NULL, *items = NULL;
    *arena_out = NULL;
    memset(lm, 0, sizeof *lm);
    *items_out = NULL;
    *n_items = 0;
    struct kobj_arena *a = kd_arena_new();
    kd_init(&d, a, err, list_kind);
    if (!a) {
        kd_fail(&d, PS_ENOMEM, "out of memory");
        kd_finish_error(&d, NULL);
        return PS_ENOMEM;
    }
    int rc = 0;
    if (!json_is_object(j))
        rc = kd_fail(&d, PS_EINVAL, "expected an object, got %s", j ? kd_type_name(j) : "nothing");
    if (rc == 0)
        rc = kd_obj(&d, j, "metadata", 0, &meta);
    if (rc == 0 && meta) {
        size_t old = kd_push(&d, "metadata");
        rc = kd_str(&d, meta, "resourceVersion", 0, &lm->resource_version);
        if (rc == 0)
            rc = kd_str(&d, meta, "continue", 0, &lm->continue_token);
        kd_pop(&d, old);
    }
    if (rc == 0)
        rc = kd_arr(&d, j, "items", 1, &items);
    if (rc) {
        kd_finish_error(&d, NULL);
        kd_arena_free(a);
        memset(lm, 0, sizeof *lm);
        return rc;
    }
    size_t n = json_array_size(items);
    lm->n_seen = n;
    unsigned char *out = NULL;
    if (n > 0) {
        out = kd_alloc_array(a, n, item_size);
        lm->errors = kd_alloc_array(a, n, sizeof *lm->errors);
        if (!out || !lm->errors) {
            kd_fail(&d, PS_ENOMEM, "out of memory");
            kd_finish_error(&d, NULL);
            kd_arena_free(a);
            memset(lm, 0, sizeof *lm);
            return PS_ENOMEM;
        }
    }
    size_t good = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(items, i);
        struct kd id;
        struct kobj_error *e = &lm->errors[lm->n_errors];
        kd_init(&id, a, e, item_kind);
        unsigned char *slot = out + good * item_size;
        memset(slot, 0, item_size);
        int irc;
        if (!json_is_object(it))
            irc = kd_fail(&id, PS_EINVAL, "items[%zu]: expected an object, got %s", i,
                          kd_type_name(it));
        else
            irc = body(&id, it, slot);
        if (irc == 0) {
            good++;
            continue;
        }
        kd_finish_error(&id, it);
        if (irc == PS_ENOMEM) {
            /* Out of memory is not the item's fault: give up on the list. */
            *err = *e;
            kd_arena_free(a);
            memset(lm, 0, sizeof *lm);
            return PS_ENOMEM;
        }
        memset(slot, 0, item_size);
        lm->n_errors++;
    }
    *arena_out = a;
    *items_out = out;
    *n_items = good;
    return 0;
}

#define KOBJ_LIST(type, list_kind, item_kind, body)                                                \
    int kobj_decode_##type##_list(const json_t *j, struct kobj_##type##_list *out,                 \
                                  struct kobj_error *err)                                          \
    {                                                                                              \
        void *items;                                                                               \
        int rc = kd_decode_list(j, list_kind, item_kind, body, sizeof *out->items, &out->arena,    \
                                &out->list, &items, &out->n_items, err);                           \
        out->items = items;                                                                        \
        return rc;                                                                                 \
    }                                                                                              \
    void kobj_##type##_list_free(struct kobj_##type##_list *l)                                     \
    {                                                                                              \
        if (!l)                                                                                    \
            return;                                                                                \
        kd_arena_free(l->arena);                                                                   \
        memset(l, 0, sizeof *l);                                                                   \
    }

KOBJ_LIST(pod_metrics, "PodMetricsList", "PodMetrics", kd_body_pod_metrics)
KOBJ_LIST(pod, "PodList", "Pod", kd_body_pod)
KOBJ_LIST(deployment, "DeploymentList", "Deployment", kd_body_deployment)
KOBJ_LIST(hpa, "HorizontalPodAutoscalerList", "HorizontalPodAutoscaler", kd_body_hpa)
KOBJ_LIST(vpa, "VerticalPodAutoscalerList", "VerticalPodAutoscaler", kd_body_vpa)
