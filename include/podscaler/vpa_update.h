/*
 * vpa_update.h - the VPA's apply-time capping and the updater's decisions, pure.
 *
 * spec/vpa.md sections 6 (capping by policy and LimitRanges, proportional limits),
 * 9 (update modes) and 10 (priority, which pods to update and in what order, the
 * eviction restriction). The caller gathers pods, recommendations and policies; these
 * functions decide which pods to update, with what resources, and whether by
 * eviction or in-place resize. No I/O, no clock, no allocation: outputs go to
 * caller-provided arrays, and strings are borrowed from the inputs.
 */
#ifndef PODSCALER_VPA_UPDATE_H
#define PODSCALER_VPA_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "podscaler/vpa.h"

/* ---- pods ------------------------------------------------------------- */

/* A pod container. When has_status is set, status_requests/status_limits (from
 * status.containerStatuses[].resources) replace the spec's, even when empty: VPA's
 * in-place-aware rule (spec 6.1). */
struct vpa_pod_container {
    const char *name;
    struct vpa_resources requests, limits;
    int has_status;
    struct vpa_resources status_requests, status_limits;
};

struct vpa_pod {
    const struct vpa_pod_container *containers;
    size_t n;
    /* The vpaObservedContainers annotation ("a, b"), or NULL when absent. */
    const char *observed_containers;
};

/* The requests and limits in effect (status first). */
const struct vpa_resources *vpa_current_requests(const struct vpa_pod_container *c);
const struct vpa_resources *vpa_current_limits(const struct vpa_pod_container *c);
/* Whether the container is listed by the observed-containers annotation. An absent
 * or malformed annotation (not ", "-separated DNS-1123 labels) observes everything. */
int vpa_pod_observes(const struct vpa_pod *pod, const char *container);

/* ---- LimitRanges ---------------------------------------------------------- */

/* One (merged) LimitRangeItem: Min, Max, Default; a list with VPA_RES_LIST unset
 * is absent. */
struct vpa_limit_item {
    struct vpa_resources min, max, def;
};

/* Merges the items of one type (spec 6.6): lowest Max, highest Min, the Default of
 * the last item that has one. Items without any of the three are skipped. Returns 1
 * and fills *out when some item applies, 0 for "no LimitRange". Units are the
 * caller's (e.g. milli-units), the same for all items. */
int vpa_limit_range_merge(const struct vpa_limit_item *items, size_t n, struct vpa_limit_item *out);

/* ---- proportional limits and scaling ----------------------------------- */

enum vpa_scale_result { VPA_SCALE_OK = 0, VPA_SCALE_DIV_ZERO = 1, VPA_SCALE_OVERFLOW = 2 };
enum vpa_rounding { VPA_ROUND_NONE = 0, VPA_ROUND_UP = 1, VPA_ROUND_DOWN = 2 };

/* scaleQuantityProportionally: value x result / base, with 128-bit intermediates,
 * floor division and +1 on a remainder when rounding up; MaxInt64 on overflow. A zero
 * base returns value unchanged (VPA_SCALE_DIV_ZERO). Memory rounds after the
 * division, i.e. effectively floor (spec 6.2). */
int vpa_scale_proportionally(int resource, int64_t value, int64_t base, int64_t result,
                             int rounding, int64_t *out);

/* Annotations of the proportional limit (spec 6.5). */
enum vpa_limit_note {
    VPA_LIMIT_NOTE_NONE = 0,
    VPA_LIMIT_NOTE_NO_LIMIT,        /* no original limit: none is set */
    VPA_LIMIT_NOTE_NO_REQUEST,      /* recommended request 0: no limit is set */
    VPA_LIMIT_NOTE_CAPPED_TO_INT64, /* the ratio overflowed: limit is MaxInt64 */
};
/* getProportionalResourceLimit. Absent values are NULL. Returns 1 and *limit when
 * a limit results, 0 when none; *note receives the annotation. */
int vpa_proportional_limit(int resource, const int64_t *original_limit,
                           const int64_t *original_request, const int64_t *recommended_request,
                           const int64_t *default_limit, int64_t *limit, int *note);
/* The exact annotation text, e.g. "cpu: failed to keep limit to request ratio;
 * capping limit to int64". */
const char *vpa_limit_note_text(int resource, int note);

/* ---- capping at apply time (spec 6) ------------------------------------ */

enum vpa_cap_kind {
    VPA_CAP_MIN_ALLOWED = 0, /* "<res> capped to minAllowed" */
    VPA_CAP_MAX_ALLOWED,     /* "<res> capped to maxAllowed" */
    VPA_CAP_CONTAINER_LIMIT, /* "<res> capped to container limit" */
    VPA_CAP_LR_MAX,          /* "<res> capped to fit Max in container LimitRange" */
    VPA_CAP_LR_MIN,          /* "<res> capped to fit Min in container LimitRange" */
};
/* One capping annotation of the output entry `item`. */
struct vpa_cap_note {
    uint32_t item;
    uint8_t resource, kind;
};
const char *vpa_cap_note_text(int resource, int kind);

struct vpa_cap_input {
    int has_vpa;                               /* 0: upstream's nil VPA (error) */
    const struct vpa_recommendation *rec;      /* NULL: no recommendation */
    const struct vpa_resource_policy *policy;  /* NULL: no policy */
    const struct vpa_pod *pod;                 /* NULL: no pod (error) */
    const struct vpa_limit_item *container_lr; /* NULL: no Container LimitRange */
    const struct vpa_limit_item *pod_lr;       /* NULL: no Pod LimitRange */
};
struct vpa_cap_output {
    struct vpa_rec *items; /* capacity: rec->n + pod->n */
    size_t cap, n;
    int nil; /* 1: the nil recommendation (no recommendation and no policy) */
    struct vpa_cap_note *notes;
    size_t notes_cap, n_notes;
};
/* cappingRecommendationProcessor.Apply. VPA_ENOVPA without a VPA or a pod,
 * PS_ENOSPC when an output array is too small. */
int vpa_cap_apply(const struct vpa_cap_input *in, struct vpa_cap_output *out);

/* The single pod-LimitRange step: field (VPA_TARGET, VPA_LOWER, VPA_UPPER) and
 * resource of recs (entries matched to pod containers by name), in place. */
void vpa_apply_pod_limit_range(struct vpa_rec *recs, size_t n, const struct vpa_pod *pod,
                               const struct vpa_limit_item *lr, int resource, int field);

/* The new requests and limits of one container (admission controller): requests =
 * target for the resources in it; limits scaled proportionally with
 * RequestsAndLimits, left as they are with RequestsOnly. lr_default may be NULL. */
void vpa_new_resources(const struct vpa_rec *rec, const struct vpa_pod_container *c,
                       int controlled_values, const struct vpa_resources *lr_default,
                       struct vpa_resources *requests, struct vpa_resources *limits);

/* ---- updater: priority and order (spec 10.2-10.5) -------------------- */

struct vpa_priority {
    int outside_range; /* OutsideRecommendedRange */
    int scale_up;      /* ScaleUp */
    double diff;       /* ResourceDiff */
};
void vpa_update_priority(const struct vpa_pod *pod, const struct vpa_recommendation *rec,
                         struct vpa_priority *out);
/* PodPriority.Less: scale-up first, then the larger diff. */
int vpa_priority_less(const struct vpa_priority *a, const struct vpa_priority *b);
/* Whether some container target in `now` is lower than in `last` (InPlace retry). */
int vpa_has_lower_recommendation(const struct vpa_recommendation *last,
                                 const struct vpa_recommendation *now);

enum vpa_update_mode {
    VPA_UPDATE_OFF = 0,
    VPA_UPDATE_INITIAL,
    VPA_UPDATE_RECREATE,
    VPA_UPDATE_AUTO, /* deprecated, same as Recreate */
    VPA_UPDATE_IN_PLACE_OR_RECREATE,
    VPA_UPDATE_IN_PLACE,
};

/* --min-change-priority 0.1, --in-recommendation-bounds-eviction-lifetime-threshold
 * 12h, --evict-after-oom-threshold 10m (updater config.go). */
struct vpa_updater_config {
    double min_change_priority;
    int64_t pod_lifetime_threshold_ms;
    int64_t evict_after_oom_ms;
};
void vpa_updater_config_default(struct vpa_updater_config *c);

struct vpa_last_termination {
    const char *container;
    int oom_killed; /* reason OOMKilled */
    int64_t started_ms, finished_ms;
};

struct vpa_update_candidate {
    const char *name;
    int has_start;
    int64_t start_ms;
    struct vpa_priority prio;
    const char *observed_containers; /* annotation, NULL when absent */
    const struct vpa_last_termination *terms;
    size_t n_terms;
    const struct vpa_recommendation *processed;       /* InPlace retry rule */
    const struct vpa_recommendation *infeasible_last; /* NULL: no infeasible attempt */
    int admitted; /* the eviction admissions' verdict (1 = admit) */
};

/* UpdatePriorityCalculator: the accepted and admitted candidates, highest priority
 * first, as indices into c[]. Returns how many were written to order (n at most). */
size_t vpa_update_order(const struct vpa_updater_config *cfg, int mode,
                        const struct vpa_resource_policy *policy,
                        const struct vpa_update_candidate *c, size_t n, int64_t now_ms,
                        size_t *order);

/* EvictionRequirements admission (spec 10.5). */
enum vpa_change_requirement { VPA_TARGET_HIGHER = 0, VPA_TARGET_LOWER = 1 };
struct vpa_eviction_requirement {
    unsigned resources; /* VPA_RES_CPU | VPA_RES_MEM */
    int change;         /* enum vpa_change_requirement */
};
/* reqs NULL: no requirements registered: admit. */
int vpa_scaling_direction_admit(const struct vpa_pod *pod, const struct vpa_recommendation *rec,
                                const struct vpa_eviction_requirement *reqs, size_t n_reqs);

/* ---- eviction restriction (spec 10.6) --------------------------------- */

enum vpa_controller_kind {
    VPA_CTRL_REPLICATION_CONTROLLER = 0,
    VPA_CTRL_REPLICA_SET,
    VPA_CTRL_STATEFUL_SET,
    VPA_CTRL_DAEMON_SET,
    VPA_CTRL_JOB,
};
enum vpa_resize_state {
    VPA_RESIZE_NONE = 0,
    VPA_RESIZE_INFEASIBLE,  /* PodResizePending, Infeasible */
    VPA_RESIZE_DEFERRED,    /* PodResizePending, Deferred */
    VPA_RESIZE_IN_PROGRESS, /* PodResizeInProgress */
    VPA_RESIZE_ERROR,       /* PodResizeInProgress, Error */
};
struct vpa_evict_pod {
    int pending;
    int resize_state;      /* enum vpa_resize_state */
    int64_t resize_age_ms; /* how long the resize has been in that state */
    int cpu_boost;         /* CPU startup boost in progress */
    /* A container's resize policy for cpu or memory is RestartContainer: the
     * resize restarts it. 0: NotRequired or no policy (the API default). */
    int resize_restarts;
};
struct vpa_controller {
    int kind;
    int has_replicas;
    int64_t replicas;     /* spec.replicas (RC, RS, StatefulSet) */
    int64_t number_ready; /* status.numberReady (DaemonSet) */
};
struct vpa_eviction_config {
    int64_t min_replicas;     /* --min-replicas, 2 */
    int has_vpa_min_replicas; /* spec.updatePolicy.minReplicas */
    int64_t vpa_min_replicas;
    double eviction_tolerance; /* --eviction-tolerance, 0.5 */
    int in_place_skip_budget;  /* --in-place-skip-disruption-budget */
    int mode;                  /* enum vpa_update_mode */
};
/* One replica group's statistics (singleGroupStats). */
struct vpa_evict_group {
    int64_t configured, live, pending, running, tolerance, evicted, in_place_initiated;
    int evictable;   /* min replicas satisfied (or a boost pod) */
    int skip_budget; /* in-place mode with --in-place-skip-disruption-budget */
};
/* VPA_ENOREPLICAS when an RC, RS or StatefulSet lacks spec.replicas (or it is 0). */
int vpa_evict_group_init(struct vpa_evict_group *g, const struct vpa_controller *ctrl,
                         const struct vpa_evict_pod *pods, size_t n,
                         const struct vpa_eviction_config *cfg);
int vpa_evict_can(const struct vpa_evict_group *g, const struct vpa_evict_pod *p);
/* Evicts if allowed now: 1 and the group counts it, or 0. */
int vpa_evict(struct vpa_evict_group *g, const struct vpa_evict_pod *p);
/* In-place resize if allowed now (spec 10.7): 1 and counted, or 0. */
int vpa_resize_in_place(struct vpa_evict_group *g, const struct vpa_evict_pod *p);

enum vpa_action { VPA_ACTION_NONE = 0, VPA_ACTION_EVICT, VPA_ACTION_RESIZE };
/* What the updater does with one accepted pod under a mode: Off and Initial never
 * touch running pods; Recreate/Auto evict; InPlaceOrRecreate resizes in place and
 * falls back to eviction once a resize has failed (spec 9); InPlace only resizes.
 * The group is updated for the action taken. */
int vpa_update_action(struct vpa_evict_group *g, const struct vpa_evict_pod *p, int mode);

/* ---- history provider (spec 8) --------------------------------------------- */

struct vpa_history_config {
    const char *cpu_metric, *memory_metric, *labels_metric;
    const char *cadvisor_job;    /* "" or NULL: no job= term */
    const char *pod_name_label;  /* container pod-name label, e.g. pod_name */
    const char *name_label;      /* container name label, e.g. name */
    const char *namespace_label; /* container namespace label, e.g. namespace */
    const char *namespace_;      /* "" or NULL: all namespaces */
    const char *resolution;      /* e.g. "1h" */
};
enum vpa_history_query { VPA_HISTORY_CPU = 0, VPA_HISTORY_MEMORY, VPA_HISTORY_LABELS };
/* The exact PromQL of a query. Returns its length, or PS_ENOSPC. */
int vpa_history_query(const struct vpa_history_config *c, int which, char *buf, size_t cap);

#endif
