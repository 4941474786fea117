/*
 * kobj.h - Kubernetes objects decoded from JSON (jansson) into plain C structs.
 *
 * The decoders read the objects of spec/kubernetes-api.md section 9 -- PodMetrics,
 * Pod, Deployment, Scale, HorizontalPodAutoscaler (autoscaling/v2),
 * VerticalPodAutoscaler (autoscaling.k8s.io/v1) and PodScaler (DESIGN.md section
 * 5) -- into structs the engine maps onto the HPA and VPA core inputs. They
 * follow the API's JSON conventions (section 3.4):
 *
 *  - unknown fields are ignored; a field of the wrong JSON type is an error;
 *  - an absent optional field, or JSON null, takes the value the API gives it
 *    (documented per field: KOBJ_UNSET, KOBJ_TIME_NONE, NULL, 0, or the
 *    server-side default such as Deployment spec.replicas -> 1);
 *  - quantities go through common/quantity (section 2.7: a string or a bare JSON
 *    number) and are held exactly as int64 milli-CPU and bytes; negative,
 *    overflowing or unparseable quantities are errors;
 *  - times (RFC 3339, any offset, optional fraction) are ms since the Unix epoch.
 *
 * Errors: every decoder returns 0 or a negative PS_E* code (PS_ENOENT for a
 * missing required field, PS_EINVAL for a wrong JSON type or an unknown enum
 * value, PS_EPARSE for unparseable text, PS_ERANGE / PS_ENEGATIVE for absurd
 * numbers, PS_ENOMEM) and fills the caller's struct kobj_error with the kind,
 * namespace/name when known and the field path, e.g.
 * `Pod shop/web-1: .spec.containers[1].resources.requests.cpu: negative quantity "-1"`.
 *
 * Ownership: a decoded object owns all of its strings and arrays in one arena
 * (its `arena` member), released by its kobj_*_free(), which also resets the
 * struct. On error the decoder has already released everything; the struct is
 * left zeroed, and kobj_*_free() on it is harmless. The items of a list share the
 * list's arena: their `arena` is NULL, and only the list is freed
 * (kobj_*_list_free). Pointers into a decoded object stay valid until it is
 * freed. The json_t given to a decoder is only read, never kept -- except
 * kobj_podscaler.spec_json, which holds a reference (json_incref) to the
 * caller's "spec" value, released by kobj_podscaler_free / kobj_podscaler_list_free
 * (do not modify that value while the object lives).
 *
 * List decoders decode every item separately: a bad item is reported in the
 * list's `errors` array (kind, namespace/name, field path) and skipped while the
 * rest decode. Only a list whose own shape is wrong (no `items` array) fails.
 */
#ifndef PODSCALER_KOBJ_H
#define PODSCALER_KOBJ_H

#include <stddef.h>
#include <stdint.h>

/* Before policy.h, whose prototypes name it. */
struct json_t;

#include "podscaler/error.h"
#include "podscaler/policy.h"
#include "podscaler/quantity.h"

/* A resource amount or optional integer the object left out. */
#define KOBJ_UNSET INT64_MIN
/* A time the object left out (absent or null). */
#define KOBJ_TIME_NONE INT64_MIN

struct kobj_arena;

struct kobj_error {
    int code;          /* the PS_E* code the decoder returned */
    char kind[48];     /* "Pod", "PodMetrics", ... */
    char ns[64];       /* metadata.namespace when known, else "" */
    char name[256];    /* metadata.name when known, else "" */
    char path[256];    /* field path from the object's root, ".spec.replicas"; "" = whole */
    char message[192]; /* what is wrong, one line */
};

/* "KIND NS/NAME: PATH: MESSAGE" (parts that are unknown are left out). Returns
 * buf, always NUL-terminated. */
const char *kobj_error_format(const struct kobj_error *err, char *buf, size_t cap);

/* ---- shared pieces ---- */

struct kobj_label {
    const char *key;
    const char *value;
};

struct kobj_owner_ref {
    const char *api_version;
    const char *kind;
    const char *name;
    const char *uid;
    int controller; /* ownerReferences[].controller == true */
};

struct kobj_meta {
    const char *name; /* NULL when absent (required ones are checked by the decoder) */
    const char *ns;   /* metadata.namespace; NULL when absent */
    const char *uid;
    const char *resource_version;
    int64_t generation;  /* 0 when absent */
    int64_t creation_ms; /* KOBJ_TIME_NONE when absent */
    int64_t deletion_ms; /* deletionTimestamp; KOBJ_TIME_NONE when not terminating */
    struct kobj_label *labels;
    size_t n_labels;
    struct kobj_owner_ref *owners;
    size_t n_owners;
};

/* The value of label key, or NULL. */
const char *kobj_label_get(const struct kobj_label *labels, size_t n, const char *key);

/* A cross-version object reference: scaleTargetRef, targetRef, describedObject. */
struct kobj_ref {
    const char *api_version;
    const char *kind;
    const char *name;
};

enum kobj_selector_op {
    KOBJ_SEL_IN = 0,
    KOBJ_SEL_NOT_IN,
    KOBJ_SEL_EXISTS,
    KOBJ_SEL_DOES_NOT_EXIST,
};

struct kobj_selector_req {
    const char *key;
    uint8_t op; /* enum kobj_selector_op */
    const char **values;
    size_t n_values;
};

/* metav1.LabelSelector. present == 0: the selector was null/absent, which matches
 * nothing; present with no requirement: matches everything (section 3.6). */
struct kobj_selector {
    int present;
    struct kobj_label *match_labels;
    size_t n_match_labels;
    struct kobj_selector_req *exprs;
    size_t n_exprs;
};

/* 1 when the labels satisfy the selector, else 0. */
int kobj_selector_matches(const struct kobj_selector *sel, const struct kobj_label *labels,
                          size_t n_labels);

/* A resource list reduced to what the autoscalers use; KOBJ_UNSET when absent.
 * CPU is rounded up to whole millicores, memory up to whole bytes, as upstream's
 * MilliValue()/Value(). */
struct kobj_resources {
    int64_t cpu_milli;
    int64_t mem_bytes;
};

enum kobj_cond_status { KOBJ_COND_UNKNOWN = 0, KOBJ_COND_TRUE, KOBJ_COND_FALSE };

struct kobj_condition {
    const char *type;
    uint8_t status;             /* enum kobj_cond_status; anything but "True"/"False" is Unknown */
    int64_t last_transition_ms; /* KOBJ_TIME_NONE when absent */
    const char *reason;         /* NULL when absent */
    const char *message;
};

/* The condition of that type, or NULL. */
const struct kobj_condition *kobj_condition_find(const struct kobj_condition *c, size_t n,
                                                 const char *type);

/* A container of a pod spec (or of a pod template). */
struct kobj_container {
    const char *name;
    struct kobj_resources requests;
    struct kobj_resources limits;
    int sidecar; /* an init container with restartPolicy Always */
};

/* ---- PodMetrics (metrics.k8s.io/v1beta1, section 9.1) ---- */

struct kobj_container_usage {
    const char *name;
    int64_t cpu_nano;  /* usage.cpu in nano-cores, as metrics-server reports it */
    int64_t cpu_milli; /* the same rounded up to millicores */
    int64_t mem_bytes; /* usage.memory, working set */
};

struct kobj_pod_metrics {
    struct kobj_arena *arena; /* NULL for list items */
    struct kobj_meta meta;    /* name and namespace are required */
    int64_t timestamp_ms;     /* required */
    int64_t window_ms;        /* KOBJ_UNSET when absent */
    struct kobj_container_usage *containers;
    size_t n_containers;
};

/* ---- Pod (v1, section 9.2) ---- */

enum kobj_pod_phase {
    KOBJ_PHASE_NONE = 0, /* absent */
    KOBJ_PHASE_PENDING,
    KOBJ_PHASE_RUNNING,
    KOBJ_PHASE_SUCCEEDED,
    KOBJ_PHASE_FAILED,
    KOBJ_PHASE_UNKNOWN, /* "Unknown", or a phase newer than this code */
};

enum kobj_state_kind {
    KOBJ_STATE_NONE = 0,
    KOBJ_STATE_WAITING,
    KOBJ_STATE_RUNNING,
    KOBJ_STATE_TERMINATED,
};

struct kobj_container_state {
    uint8_t kind;        /* enum kobj_state_kind */
    const char *reason;  /* waiting/terminated reason, NULL when absent */
    int32_t exit_code;   /* terminated only */
    int64_t started_ms;  /* running/terminated startedAt, KOBJ_TIME_NONE when absent */
    int64_t finished_ms; /* terminated finishedAt, KOBJ_TIME_NONE when absent */
    int oom_killed;      /* terminated with reason "OOMKilled" */
};

struct kobj_container_status {
    const char *name;
    int ready;
    int started;
    int32_t restart_count;
    struct kobj_container_state state;
    struct kobj_container_state last_state;
    struct kobj_resources applied_requests; /* status.resources (in-place resize) */
    struct kobj_resources applied_limits;
};

struct kobj_pod {
    struct kobj_arena *arena;
    struct kobj_meta meta; /* name required */
    const char *node_name;
    struct kobj_container *containers; /* at least one */
    size_t n_containers;
    struct kobj_container *init_containers;
    size_t n_init_containers;
    uint8_t phase; /* enum kobj_pod_phase */
    const char *qos_class;
    int64_t start_ms; /* status.startTime, KOBJ_TIME_NONE when absent */
    struct kobj_condition *conditions;
    size_t n_conditions;
    int ready;                /* condition Ready is True */
    int64_t ready_changed_ms; /* its lastTransitionTime; KOBJ_TIME_NONE without one */
    struct kobj_container_status *statuses;
    size_t n_statuses;
};

/* ---- Deployment (apps/v1, section 9.3) ---- */

struct kobj_deployment {
    struct kobj_arena *arena;
    struct kobj_meta meta; /* name required */
    int32_t replicas;      /* spec.replicas, absent -> 1 */
    struct kobj_selector selector;
    struct kobj_label *template_labels;
    size_t n_template_labels;
    struct kobj_container *containers;
    size_t n_containers;
    struct kobj_container *init_containers;
    size_t n_init_containers;
    int paused;
    int64_t observed_generation; /* status; 0 when absent, as the zero-valued counters */
    int32_t status_replicas;
    int32_t updated_replicas;
    int32_t ready_replicas;
    int32_t available_replicas;
    int32_t unavailable_replicas;
    struct kobj_condition *conditions;
    size_t n_conditions;
};

/* ---- Scale (autoscaling/v1, section 9.4) ---- */

struct kobj_scale {
    struct kobj_arena *arena;
    struct kobj_meta meta;
    int32_t spec_replicas;   /* 0 when absent */
    int32_t status_replicas; /* 0 when absent */
    const char *selector;    /* status.selector as text; NULL when absent */
};

/* ---- HorizontalPodAutoscaler (autoscaling/v2, section 9.5) ---- */

/* A Quantity field of the HPA: exact, plus upstream's MilliValue() of it. */
struct kobj_qty {
    int present;
    quantity q;
    int64_t milli;
};

struct kobj_metric_target {
    uint8_t type;                /* enum policy_target_type */
    int32_t average_utilization; /* percent; -1 when absent */
    struct kobj_qty value;
    struct kobj_qty average_value;
};

struct kobj_metric_ident {
    const char *name;
    struct kobj_selector selector;
};

/* The type of a status.currentMetrics entry the HPA controller could not
 * compute ({"type": ""}); its other fields are empty. */
#define KOBJ_METRIC_NONE 255

struct kobj_hpa_metric {
    uint8_t type;                     /* enum policy_metric_type, or KOBJ_METRIC_NONE */
    const char *resource;             /* Resource, ContainerResource: "cpu", "memory", ... */
    const char *container;            /* ContainerResource */
    struct kobj_metric_ident metric;  /* Pods, Object, External */
    struct kobj_ref described_object; /* Object */
    struct kobj_metric_target target; /* spec only */
    /* status.currentMetrics only: */
    int32_t current_average_utilization; /* -1 when absent */
    struct kobj_qty current_value;
    struct kobj_qty current_average_value;
};

struct kobj_scaling_rules {
    int present;
    int32_t stabilization_window_s; /* -1 when absent */
    int has_select;
    uint8_t select;               /* enum policy_select */
    struct policy_rule *policies; /* NULL when absent (n 0 and has_policies 0) */
    size_t n_policies;
    int has_policies;
    struct kobj_qty tolerance;
};

struct kobj_hpa_spec {
    struct kobj_ref target;          /* scaleTargetRef (HPA), targetRef (PodScaler) */
    int32_t min_replicas;            /* absent -> 1 */
    int32_t max_replicas;            /* required for the HPA */
    struct kobj_hpa_metric *metrics; /* empty: the server's default, CPU at 80% */
    size_t n_metrics;
    int has_behavior;
    struct kobj_scaling_rules scale_up, scale_down;
};

struct kobj_hpa {
    struct kobj_arena *arena;
    struct kobj_meta meta;
    struct kobj_hpa_spec spec;
    int64_t observed_generation;
    int64_t last_scale_ms; /* KOBJ_TIME_NONE when absent */
    int32_t current_replicas;
    int32_t desired_replicas;
    struct kobj_hpa_metric *current_metrics;
    size_t n_current_metrics;
    struct kobj_condition *conditions;
    size_t n_conditions;
};

/* ---- VerticalPodAutoscaler (autoscaling.k8s.io/v1, section 9.6) ---- */

enum kobj_change_requirement {
    KOBJ_TARGET_HIGHER_THAN_REQUESTS = 0,
    KOBJ_TARGET_LOWER_THAN_REQUESTS,
};

struct kobj_eviction_req {
    unsigned resources; /* POLICY_RES_BIT set */
    uint8_t change;     /* enum kobj_change_requirement */
};

struct kobj_container_policy {
    const char *container_name; /* "*" = default for the rest */
    uint8_t mode;               /* enum policy_container_mode; default Auto */
    struct kobj_resources min_allowed, max_allowed;
    unsigned controlled_resources; /* POLICY_RES_BIT set; default both */
    uint8_t controlled_values;     /* enum policy_controlled_values */
    struct kobj_qty oom_bump_up_ratio;
    struct kobj_qty oom_min_bump_up;
    int64_t memory_aggregation_interval_s; /* KOBJ_UNSET when absent */
    int64_t memory_aggregation_interval_count;
};

struct kobj_vpa_spec {
    struct kobj_ref target; /* targetRef, required for the VPA */
    int has_update_mode;
    uint8_t update_mode;       /* enum policy_update_mode; absent/Auto -> Recreate */
    int32_t min_replicas;      /* updatePolicy.minReplicas, -1 when absent */
    int64_t evict_after_oom_s; /* KOBJ_UNSET when absent */
    struct kobj_eviction_req *eviction_reqs;
    size_t n_eviction_reqs;
    struct kobj_container_policy *policies;
    size_t n_policies;
    const char *recommender; /* recommenders[0].name, NULL = the default */
};

struct kobj_recommendation {
    const char *container_name;
    struct kobj_resources target, lower_bound, upper_bound, uncapped_target;
};

struct kobj_vpa {
    struct kobj_arena *arena;
    struct kobj_meta meta;
    struct kobj_vpa_spec spec;
    int64_t observed_generation;
    struct kobj_recommendation *recommendations;
    size_t n_recommendations;
    struct kobj_condition *conditions;
    size_t n_conditions;
};

/* ---- PodScaler (podscaler.io/v1alpha1, DESIGN.md section 5) ---- */

struct kobj_podscaler {
    struct kobj_arena *arena;
    struct kobj_meta meta;
    struct kobj_ref target;   /* spec.targetRef, required */
    struct ps_policy policy;  /* the spec through policy_from_json(), named after meta.name */
    struct json_t *spec_json; /* a reference to "spec", released by kobj_podscaler_free */
    /* status, as podscaler writes it */
    const char *status_bottleneck; /* NULL when absent */
    int32_t current_replicas;      /* -1 when absent */
    int32_t desired_replicas;      /* -1 when absent */
    struct kobj_recommendation *recommendations;
    size_t n_recommendations;
    struct kobj_condition *conditions;
    size_t n_conditions;
};

/* ---- single-object decoders ---- */

int kobj_decode_pod_metrics(const struct json_t *j, struct kobj_pod_metrics *out,
                            struct kobj_error *err);
int kobj_decode_pod(const struct json_t *j, struct kobj_pod *out, struct kobj_error *err);
int kobj_decode_deployment(const struct json_t *j, struct kobj_deployment *out,
                           struct kobj_error *err);
int kobj_decode_scale(const struct json_t *j, struct kobj_scale *out, struct kobj_error *err);
int kobj_decode_hpa(const struct json_t *j, struct kobj_hpa *out, struct kobj_error *err);
int kobj_decode_vpa(const struct json_t *j, struct kobj_vpa *out, struct kobj_error *err);
int kobj_decode_podscaler(const struct json_t *j, struct kobj_podscaler *out,
                          struct kobj_error *err);

void kobj_pod_metrics_free(struct kobj_pod_metrics *o);
void kobj_pod_free(struct kobj_pod *o);
void kobj_deployment_free(struct kobj_deployment *o);
void kobj_scale_free(struct kobj_scale *o);
void kobj_hpa_free(struct kobj_hpa *o);
void kobj_vpa_free(struct kobj_vpa *o);
void kobj_podscaler_free(struct kobj_podscaler *o);

/* ---- list decoders ---- */

/* What every list has besides its items. */
struct kobj_list_meta {
    const char *resource_version; /* NULL when absent */
    const char *continue_token;   /* metadata.continue; NULL or "" on the last chunk */
    struct kobj_error *errors;    /* the items that were skipped, in order */
    size_t n_errors;
    size_t n_seen; /* items in the document, good and bad */
};

#define KOBJ_DECLARE_LIST(type, item)                                                              \
    struct kobj_##type##_list {                                                                    \
        struct kobj_arena *arena;                                                                  \
        struct kobj_list_meta list;                                                                \
        struct item *items;                                                                        \
        size_t n_items;                                                                            \
    }

KOBJ_DECLARE_LIST(pod_metrics, kobj_pod_metrics);
KOBJ_DECLARE_LIST(pod, kobj_pod);
KOBJ_DECLARE_LIST(deployment, kobj_deployment);
KOBJ_DECLARE_LIST(hpa, kobj_hpa);
KOBJ_DECLARE_LIST(vpa, kobj_vpa);
KOBJ_DECLARE_LIST(podscaler, kobj_podscaler);

/* Each returns 0 when the list itself decoded (whatever its bad items), or an error
 * with *err filled when the document is not a list (err->kind is the list kind). */
int kobj_decode_pod_metrics_list(const struct json_t *j, struct kobj_pod_metrics_list *out,
                                 struct kobj_error *err);
int kobj_decode_pod_list(const struct json_t *j, struct kobj_pod_list *out, struct kobj_error *err);
int kobj_decode_deployment_list(const struct json_t *j, struct kobj_deployment_list *out,
                                struct kobj_error *err);
int kobj_decode_hpa_list(const struct json_t *j, struct kobj_hpa_list *out, struct kobj_error *err);
int kobj_decode_vpa_list(const struct json_t *j, struct kobj_vpa_list *out, struct kobj_error *err);
int kobj_decode_podscaler_list(const struct json_t *j, struct kobj_podscaler_list *out,
                               struct kobj_error *err);

void kobj_pod_metrics_list_free(struct kobj_pod_metrics_list *l);
void kobj_pod_list_free(struct kobj_pod_list *l);
void kobj_deployment_list_free(struct kobj_deployment_list *l);
void kobj_hpa_list_free(struct kobj_hpa_list *l);
void kobj_vpa_list_free(struct kobj_vpa_list *l);
void kobj_podscaler_list_free(struct kobj_podscaler_list *l);

/* ---- upstream objects as podscaler policies ---- */

/* The policy an existing HorizontalPodAutoscaler amounts to: *out is
 * policy_init()ed with the HPA's name and its horizontal part set (min/max,
 * metrics, behavior); the vertical part is off. For report, to compare what
 * the cluster runs with what podscaler would. 0, or PS_ENOSPC (more metrics or
 * scaling policies than struct ps_policy holds, a name longer than its field)
 * or PS_EINVAL (a target podscaler's policy rejects) with *err naming the field. */
int kobj_hpa_policy(const struct kobj_hpa *h, struct ps_policy *out, struct kobj_error *err);

/* The same for a VerticalPodAutoscaler: the vertical part (updateMode,
 * containerPolicies); the horizontal part is off. */
int kobj_vpa_policy(const struct kobj_vpa *v, struct ps_policy *out, struct kobj_error *err);

/* ---- text helpers shared with the front-ends ---- */

/* RFC 3339 ("2026-07-01T09:58:01Z", "...01.5+02:00") to ms since the epoch,
 * without the C library's time zone functions. A fraction below 1 ms is
 * truncated. 0, or PS_EPARSE / PS_ERANGE (year outside 0001..9999). */
int kobj_parse_time(const char *text, int64_t *out_ms);

/* A Go duration ("15s", "1m30s", "15.011s", "500ms", "1h0m0s", "-2us", "0") in
 * nanoseconds, as Go's time.ParseDuration. 0, PS_EPARSE or PS_ERANGE. */
int kobj_parse_duration_ns(const char *text, int64_t *out_ns);

#endif
