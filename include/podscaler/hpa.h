/*
 * hpa.h - the horizontal core: the Kubernetes HPA (autoscaling/v2) algorithm, exact and pure.
 *
 * Configured like the stock controller (kube-controller-manager, pkg/controller/podautoscaler,
 * v1.37 cycle; reference ../shared/spec/hpa.md, "spec" below), this core decides exactly what
 * the stock HPA decides. It does no I/O, reads no clock and allocates nothing: the caller
 * passes plain structs, the time `now_ms` (milliseconds since the Unix epoch) and a state
 * struct it owns; the core fills a decision struct.
 *
 * One upstream reconcile pass is two calls, because the scale PUT is I/O:
 *
 *     hpa_reconcile(cfg, spec, input, state, now_ms, &d);   // everything up to the PUT
 *     if (d.rescale)
 *         hpa_commit(cfg, spec, state, &d, put_result, now_ms);  // what follows the PUT
 *
 * The controller, report and replay all go through these two; replay and report pass
 * put_result 0. The lower-level functions (replica calculation per metric source, pod
 * grouping, requests, stabilization, rate limits, scale events) are public so the vector
 * runner and the coordinator can exercise each rule alone; hpa_reconcile composes them.
 *
 * Ownership: every pointer passed in is borrowed for the duration of the call and never
 * stored, except that `struct hpa_decision` keeps no pointers at all. `struct hpa_state`
 * is a plain value owned by the caller (one per workload); zero it with hpa_state_init().
 * Strings (names) are NUL-terminated and only read.
 *
 * Times: int64 ms since the epoch. Go's zero time.Time (a pod without start time as the
 * upstream tests build it) is HPA_TIME_GO_ZERO_MS; arithmetic on it is exact.
 *
 * Errors: functions return 0 or a negative code: PS_E* (error.h) or HPA_E* below;
 * hpa_strerror() names them.
 */
#ifndef PODSCALER_HPA_H
#define PODSCALER_HPA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "podscaler/error.h"

/* 0001-01-01T00:00:00Z in ms since the Unix epoch: Go's zero time.Time. */
#define HPA_TIME_GO_ZERO_MS (INT64_C(-62135596800000))

/* Module error codes (PS_ERANGE_HPA_FIRST range, counting down). */
enum {
    HPA_ENOPODS = PS_ERANGE_HPA_FIRST,              /* no pods returned by selector */
    HPA_ENOMETRICS = PS_ERANGE_HPA_FIRST - 1,       /* the metrics API returned no items */
    HPA_EFETCH = PS_ERANGE_HPA_FIRST - 2,           /* the metrics API call failed */
    HPA_ENOREADYMETRICS = PS_ERANGE_HPA_FIRST - 3,  /* no metrics left for ready pods */
    HPA_ENOREQUEST = PS_ERANGE_HPA_FIRST - 4,       /* a container lacks the resource request */
    HPA_ENOPODREQUEST = PS_ERANGE_HPA_FIRST - 5,    /* pod-level requests lack the resource */
    HPA_ENOCONTAINER = PS_ERANGE_HPA_FIRST - 6,     /* the named container is not in a pod */
    HPA_ENOMATCH = PS_ERANGE_HPA_FIRST - 7,         /* requests of the measured pods sum to 0 */
    HPA_ENOTARGET = PS_ERANGE_HPA_FIRST - 8,        /* a metric has no usable target set */
    HPA_EBADTYPE = PS_ERANGE_HPA_FIRST - 9,         /* unknown metric source type */
    HPA_ETARGET = PS_ERANGE_HPA_FIRST - 10,         /* a target value is zero or negative */
    HPA_ENEGMETRIC = PS_ERANGE_HPA_FIRST - 11,      /* a metric value is negative */
    HPA_EOVERFLOW = PS_ERANGE_HPA_FIRST - 12,       /* a metric sum or utilization overflows */
    HPA_EMINMAX = PS_ERANGE_HPA_FIRST - 13,         /* min/max replicas invalid (min > max, ...) */
    HPA_EREPLICAS = PS_ERANGE_HPA_FIRST - 14,       /* a replica count in the input is negative */
    HPA_ETOLERANCE = PS_ERANGE_HPA_FIRST - 15,      /* a tolerance is NaN, infinite or negative */
    HPA_EPOLICY = PS_ERANGE_HPA_FIRST - 16,         /* a scaling policy is invalid */
    HPA_EWINDOW = PS_ERANGE_HPA_FIRST - 17,         /* a stabilization window is invalid */
    HPA_ETOOMANY = PS_ERANGE_HPA_FIRST - 18,        /* more metrics/conditions than the caps */
    HPA_ENOMETRICSPEC = PS_ERANGE_HPA_FIRST - 19,   /* spec.metrics is empty */
    HPA_ESELECTOR = PS_ERANGE_HPA_FIRST - 20,       /* the scale's selector is missing or invalid */
    HPA_EAMBIGUOUS = PS_ERANGE_HPA_FIRST - 21,      /* pods are selected by several HPAs */
    HPA_ESTATUSREPLICAS = PS_ERANGE_HPA_FIRST - 22, /* per-pod target with status.replicas 0 */
    HPA_EGETSCALE = PS_ERANGE_HPA_FIRST - 23,       /* the scale subresource could not be read */
    HPA_ESTATE = PS_ERANGE_HPA_FIRST - 24,          /* the state struct is corrupt */
    HPA_ECONFIG = PS_ERANGE_HPA_FIRST - 25,         /* a controller setting is invalid */
};

const char *hpa_strerror(int code);

/* ------------------------------------------------------------------------------------- */
/* Pods                                                                                   */

/* Resources with requests. HPA_RES_NONE is "no resource" for grouping custom pod metrics. */
enum hpa_resource { HPA_RES_CPU = 0, HPA_RES_MEMORY = 1, HPA_RES_COUNT = 2, HPA_RES_NONE = 2 };
const char *hpa_resource_name(enum hpa_resource r); /* "cpu", "memory", "" */

enum hpa_pod_phase {
    HPA_PHASE_UNKNOWN = 0, /* "" or Unknown */
    HPA_PHASE_PENDING,
    HPA_PHASE_RUNNING,
    HPA_PHASE_SUCCEEDED,
    HPA_PHASE_FAILED,
};

/* Status of a condition; HPA_CS_NONE means the condition is absent. */
enum hpa_cond_status { HPA_CS_NONE = 0, HPA_CS_TRUE, HPA_CS_FALSE, HPA_CS_UNKNOWN };

struct hpa_container {
    const char *name;
    unsigned request_mask; /* bit (1u << hpa_resource) set when requests has that resource */
    int64_t request_milli[HPA_RES_COUNT];
    bool restart_always; /* init containers only: restartPolicy Always (a sidecar) */
};

struct hpa_pod {
    const char *name;
    enum hpa_pod_phase phase;
    bool deleted;                /* metadata.deletionTimestamp is set */
    enum hpa_cond_status ready;  /* the Ready condition, HPA_CS_NONE if absent */
    int64_t ready_transition_ms; /* its lastTransitionTime */
    bool has_start_time;
    int64_t start_time_ms; /* status.startTime */
    const struct hpa_container *containers;
    size_t n_containers;
    const struct hpa_container *init_containers;
    size_t n_init_containers;
    unsigned pod_request_mask; /* spec.resources.requests (pod-level), bit per resource */
    int64_t pod_request_milli[HPA_RES_COUNT];
};

/* ------------------------------------------------------------------------------------- */
/* Metric inputs: what the metrics APIs returned, joined to the pods by the caller.        */

enum hpa_fetch { HPA_FETCH_OK = 0, HPA_FETCH_ERROR, HPA_FETCH_EMPTY };

/* One pod's sample of a pod metric (metrics.k8s.io or custom pods/<metric>). */
struct hpa_pod_sample {
    bool present;
    int64_t value_milli;
    int64_t timestamp_ms;
    int64_t window_ms;
};

/* Per spec metric (same index as spec.metrics). */
struct hpa_metric_input {
    enum hpa_fetch fetch;
    /* Resource, ContainerResource, Pods: n_pods samples aligned with input.pods (NULL: none
     * present), plus the values of samples whose pod name matches no listed pod. */
    const struct hpa_pod_sample *pod_samples;
    const int64_t *orphan_values_milli;
    size_t n_orphans;
    /* Object. */
    int64_t object_value_milli;
    /* External: every value the list returned. */
    const int64_t *external_values_milli;
    size_t n_external;
};

/* A container's usage in one PodMetrics item (metrics.k8s.io). */
struct hpa_container_usage {
    const char *name;
    unsigned usage_mask; /* bit per resource present in usage */
    int64_t usage_milli[HPA_RES_COUNT];
};

/* The metrics client's per-pod value (spec section 5.1): the sum over containers (container
 * NULL or "") or one container's usage. Returns 1 and sets *value when the pod has a value,
 * 0 when it gets no entry (a container lacks the resource, no containers, container absent). */
int hpa_pod_usage(const struct hpa_container_usage *c, size_t n, enum hpa_resource res,
                  const char *container, int64_t *value_milli);

/* A double metric value (e.g. from a CSV trace) to milli-units: PS_ENAN for NaN/inf,
 * HPA_ENEGMETRIC for negative, HPA_EOVERFLOW when it does not fit int64. */
int hpa_milli_from_double(double value, int64_t *milli);

/* ------------------------------------------------------------------------------------- */
/* The spec (autoscaling/v2 HorizontalPodAutoscalerSpec)                                    */

enum hpa_metric_type {
    HPA_METRIC_RESOURCE = 0,
    HPA_METRIC_CONTAINER_RESOURCE,
    HPA_METRIC_PODS,
    HPA_METRIC_OBJECT,
    HPA_METRIC_EXTERNAL,
    HPA_METRIC_UNKNOWN, /* a type the API does not define: InvalidMetricSourceType */
};

enum hpa_target_type {
    HPA_TARGET_UNSET = 0,
    HPA_TARGET_UTILIZATION,
    HPA_TARGET_VALUE,
    HPA_TARGET_AVERAGE_VALUE
};

/* MetricTarget: which fields are set matters (upstream tests the pointers, not `type`,
 * except for Object). */
struct hpa_target {
    enum hpa_target_type type;
    bool has_value;
    int64_t value_milli;
    bool has_average_value;
    int64_t average_value_milli;
    bool has_average_utilization;
    int32_t average_utilization; /* percent of request */
};

struct hpa_metric_spec {
    enum hpa_metric_type type;
    enum hpa_resource resource; /* Resource, ContainerResource */
    const char *container;      /* ContainerResource */
    const char *name;           /* Pods, Object, External: metric.name */
    const char *selector_text;  /* metric.selector as text for messages; NULL prints "nil" */
    const char *object_kind;    /* Object: describedObject.kind */
    const char *object_name;    /* Object: describedObject.name */
    struct hpa_target target;
};

enum hpa_policy_type { HPA_POLICY_PODS = 0, HPA_POLICY_PERCENT };
enum hpa_select { HPA_SELECT_MAX = 0, HPA_SELECT_MIN, HPA_SELECT_DISABLED };

struct hpa_policy {
    enum hpa_policy_type type;
    int32_t value;
    int32_t period_s;
};

/* HPAScalingRules; unset fields take the API defaults (hpa_rules_effective). */
struct hpa_rules {
    bool has_window;
    int32_t window_s; /* stabilizationWindowSeconds */
    bool has_select;
    enum hpa_select select;
    bool has_policies; /* a policies list was given (it replaces the default list) */
    const struct hpa_policy *policies;
    size_t n_policies;
    bool has_tolerance;
    double tolerance;
};

struct hpa_behavior {
    bool has_up, has_down; /* a nil direction takes the defaults as a whole */
    struct hpa_rules up, down;
};

struct hpa_spec {
    bool has_min_replicas; /* nil: 1 */
    int32_t min_replicas;
    int32_t max_replicas;
    const struct hpa_metric_spec *metrics; /* at least 1, at most HPA_MAX_METRICS */
    size_t n_metrics;
    bool has_behavior; /* nil behavior: the legacy normalisation path */
    struct hpa_behavior behavior;
};

/* The API's default metric (Resource cpu, Utilization 80) for an HPA with no metrics. */
void hpa_metric_spec_default(struct hpa_metric_spec *m);

/* Controller flags and feature gates. */
struct hpa_config {
    double tolerance;                     /* --horizontal-pod-autoscaler-tolerance, 0.1 */
    int64_t cpu_initialization_period_ms; /* ...-cpu-initialization-period, 300 s */
    int64_t initial_readiness_delay_ms;   /* ...-initial-readiness-delay, 30 s */
    int64_t downscale_stabilization_ms;   /* ...-downscale-stabilization, 300 s */
    double scale_up_limit_factor;         /* constant scaleUpLimitFactor, 2.0 */
    double scale_up_limit_minimum;        /* constant scaleUpLimitMinimum, 4.0 */
    bool gate_scale_to_zero;              /* HPAScaleToZero: beta, on in 1.37 */
    bool gate_configurable_tolerance;     /* HPAConfigurableTolerance: GA in 1.37 */
    bool gate_pod_level_resources;        /* PodLevelResources: beta, on since 1.34 */
};
void hpa_config_default(struct hpa_config *cfg);

/* ------------------------------------------------------------------------------------- */
/* Conditions (status.conditions)                                                          */

enum hpa_cond_type {
    HPA_COND_ABLE_TO_SCALE = 0,
    HPA_COND_SCALING_ACTIVE,
    HPA_COND_SCALING_LIMITED,
    HPA_COND_SCALED_TO_ZERO,
    HPA_COND_OTHER, /* a type the core does not manage: kept in place, untouched */
};

enum hpa_reason {
    HPA_REASON_OTHER = 0, /* a reason the core did not write (read from the input) */
    HPA_REASON_SUCCEEDED_GET_SCALE,
    HPA_REASON_FAILED_GET_SCALE,
    HPA_REASON_READY_FOR_NEW_SCALE,
    HPA_REASON_SCALE_DOWN_STABILIZED,
    HPA_REASON_SCALE_UP_STABILIZED,
    HPA_REASON_SUCCEEDED_RESCALE,
    HPA_REASON_FAILED_UPDATE_SCALE,
    HPA_REASON_VALID_METRIC_FOUND,
    HPA_REASON_SCALING_DISABLED,
    HPA_REASON_INVALID_SELECTOR,
    HPA_REASON_AMBIGUOUS_SELECTOR,
    HPA_REASON_FAILED_GET_RESOURCE_METRIC,
    HPA_REASON_FAILED_GET_CONTAINER_RESOURCE_METRIC,
    HPA_REASON_FAILED_GET_PODS_METRIC,
    HPA_REASON_FAILED_GET_OBJECT_METRIC,
    HPA_REASON_FAILED_GET_EXTERNAL_METRIC,
    HPA_REASON_INVALID_METRIC_SOURCE_TYPE,
    HPA_REASON_DESIRED_WITHIN_RANGE,
    HPA_REASON_TOO_MANY_REPLICAS,
    HPA_REASON_TOO_FEW_REPLICAS,
    HPA_REASON_SCALE_UP_LIMIT,
    HPA_REASON_SCALE_DOWN_LIMIT,
    HPA_REASON_SCALED_TO_ZERO,
    HPA_REASON_NOT_SCALED_TO_ZERO,
    HPA_REASON_COUNT_
};

/* Upstream's spelling ("SucceededRescale", ...); "" for HPA_REASON_OTHER. */
const char *hpa_reason_name(enum hpa_reason r);
/* Upstream's condition type names; HPA_COND_OTHER gives "". */
const char *hpa_cond_type_name(enum hpa_cond_type t);
/* Reverse lookups; unknown strings give HPA_REASON_OTHER / HPA_COND_OTHER. */
enum hpa_reason hpa_reason_from_name(const char *s);
enum hpa_cond_type hpa_cond_type_from_name(const char *s);

struct hpa_condition {
    enum hpa_cond_type type;
    enum hpa_cond_status status;
    enum hpa_reason reason;
    int64_t last_transition_ms;
    int32_t tag; /* the caller's handle for OTHER types/reasons: copied, never read */
    int32_t arg; /* SucceededRescale: the new size; metric reasons: the metric index */
    int err;     /* failure reasons: the error code (message via hpa_condition_message) */
};

/* Room for the conditions: the four the core writes plus up to 12 foreign ones. */
#define HPA_MAX_CONDITIONS 16

/* ------------------------------------------------------------------------------------- */
/* Per-workload state, owned by the caller (upstream keeps it in controller memory).       */

/*
 * Caps, and why they suffice. Upstream adds at most one recommendation per reconcile and
 * reuses any entry older than the stabilization windows, so the history holds at most
 * (longest window / reconcile period) + 1 live entries: the API caps windows at 3600 s and
 * the controller reconciles every 15 s, so 241; HPA_MAX_RECS is 256. Scale events are
 * recorded once per successful rescale (at most once per reconcile) and reused once older
 * than the longest policy period, capped by the API at 1800 s: 1800/15 + 1 = 121 live
 * events per direction; HPA_MAX_EVENTS is 128. Only a caller reconciling one workload
 * faster than every 15 s for a whole window can exceed a cap; then the oldest entry is
 * overwritten and the decision says so (history_overflow), which can only make the
 * stabilization window shorter than configured, never longer.
 */
#define HPA_MAX_RECS   256
#define HPA_MAX_EVENTS 128

struct hpa_rec {
    int64_t ts_ms;
    int32_t replicas;
};

struct hpa_scale_event {
    int64_t ts_ms;
    int32_t change; /* |new - prev| */
    bool outdated;
};

struct hpa_recs {
    uint32_t n;
    struct hpa_rec e[HPA_MAX_RECS]; /* upstream's slice order */
};

struct hpa_events {
    uint32_t n;
    struct hpa_scale_event e[HPA_MAX_EVENTS];
};

struct hpa_state {
    bool seeded; /* the recommendation history exists (upstream: map entry present) */
    struct hpa_recs recs;
    struct hpa_events up, down;
};

void hpa_state_init(struct hpa_state *st);

/* ------------------------------------------------------------------------------------- */
/* One reconcile pass                                                                      */

enum hpa_selector_state {
    HPA_SELECTOR_OK = 0,
    HPA_SELECTOR_MISSING,   /* status.selector empty: InvalidSelector, event SelectorRequired */
    HPA_SELECTOR_INVALID,   /* unparsable: InvalidSelector */
    HPA_SELECTOR_AMBIGUOUS, /* a selected pod is selected by another HPA too */
};

/* What the controller read this pass. */
struct hpa_input {
    bool scale_ok;           /* false: the GET of /scale failed (AbleToScale=False) */
    int32_t spec_replicas;   /* scale.spec.replicas: "current replicas" */
    int32_t status_replicas; /* scale.status.replicas: per-pod Object/External targets */
    enum hpa_selector_state selector;
    const struct hpa_pod *pods; /* the pods the selector selects */
    size_t n_pods;
    const struct hpa_metric_input *metrics; /* spec.n_metrics entries */
    const struct hpa_condition *conditions; /* status.conditions as read */
    size_t n_conditions;
    int32_t status_desired_replicas; /* status.desiredReplicas as read (kept on failures) */
};

/* Per metric: the proposal, status.currentMetrics values, or the error. */
struct hpa_metric_status {
    int err;          /* 0 or the code why this metric gave no proposal */
    bool evaluated;   /* false when the pass did not get to the metrics */
    int32_t replicas; /* the proposal */
    bool has_utilization;
    int32_t utilization; /* current.averageUtilization (percent, truncated) */
    bool has_average_value;
    int64_t average_value_milli; /* current.averageValue */
    bool has_value;
    int64_t value_milli;   /* current.value */
    int32_t err_pod;       /* request errors: index of the pod, else -1 */
    int32_t err_container; /* ... and of the container (init containers follow), -1 */
};

#define HPA_MAX_METRICS 16

enum hpa_outcome {
    HPA_OUT_INVALID = 0,      /* bad input: nothing decided (decision.err) */
    HPA_OUT_FAILED_GET_SCALE, /* AbleToScale=False/FailedGetScale */
    HPA_OUT_SCALING_DISABLED, /* current replicas 0 and no scale from zero */
    HPA_OUT_METRICS_FAILED,   /* no usable proposal: status.desiredReplicas kept */
    HPA_OUT_NO_CHANGE,        /* desired == current */
    HPA_OUT_RESCALE,          /* hpa_reconcile: the caller must PUT and hpa_commit */
    HPA_OUT_RESCALED,         /* hpa_commit: the PUT succeeded */
    HPA_OUT_RESCALE_FAILED,   /* hpa_commit: the PUT failed */
};

enum hpa_rescale_reason {
    HPA_RESCALE_NONE = 0,
    HPA_RESCALE_ABOVE_MAX,    /* "Current number of replicas above Spec.MaxReplicas" */
    HPA_RESCALE_BELOW_MIN,    /* "Current number of replicas below Spec.MinReplicas" */
    HPA_RESCALE_METRIC_ABOVE, /* "<metric name> above target" (rescale_metric) */
    HPA_RESCALE_ALL_BELOW,    /* "All metrics below target" */
};

/* Events upstream would record this pass (bits). */
enum {
    HPA_EV_SUCCESSFUL_RESCALE = 1u << 0, /* Normal */
    HPA_EV_FAILED_RESCALE = 1u << 1,     /* Warning, from here on */
    HPA_EV_FAILED_GET_SCALE = 1u << 2,
    HPA_EV_FAILED_COMPUTE_METRICS = 1u << 3,
    HPA_EV_SELECTOR_REQUIRED = 1u << 4,
    HPA_EV_INVALID_SELECTOR = 1u << 5,
    HPA_EV_AMBIGUOUS_SELECTOR = 1u << 6,
    HPA_EV_FAILED_METRIC = 1u << 7, /* one per failed metric, reason of its status */
};

struct hpa_decision {
    int err; /* bad input, or the error upstream's reconcile returns */
    enum hpa_outcome outcome;
    bool rescale; /* a PUT of scale.spec.replicas = desired_replicas is wanted */
    int32_t current_replicas;
    int32_t desired_replicas;    /* after normalisation (== current when not rescaling) */
    int32_t metric_replicas;     /* max over the metric proposals, before normalisation */
    int32_t stabilized_replicas; /* after stabilization, before the rate limits */
    int32_t metric_index;        /* the metric giving metric_replicas, -1 */
    enum hpa_rescale_reason rescale_reason;
    int32_t rescale_metric; /* metric index for HPA_RESCALE_METRIC_ABOVE, -1 */
    int first_metric_err;   /* first failed metric's code, 0 when none failed */
    int32_t failed_metrics;
    /* status */
    int32_t status_current_replicas;
    int32_t status_desired_replicas;
    bool status_metrics_valid; /* currentMetrics is written from `metrics` */
    bool update_last_scale_time;
    bool history_overflow; /* a state cap was hit (see HPA_MAX_RECS) */
    unsigned events;
    size_t n_metrics;
    struct hpa_metric_status metrics[HPA_MAX_METRICS];
    size_t n_conditions;
    struct hpa_condition conditions[HPA_MAX_CONDITIONS];
};

/*
 * Everything of one reconcile pass up to the scale PUT (spec section 4 steps 1-8).
 * Returns 0 when a decision was taken (see d->outcome; d->err may still carry the error
 * upstream's reconcile returns, e.g. a partial metric failure), or a negative code for
 * bad input (spec, config, input shape): then d->outcome is HPA_OUT_INVALID and the state
 * is untouched. The state's recommendation history is updated as upstream does.
 */
int hpa_reconcile(const struct hpa_config *cfg, const struct hpa_spec *spec,
                  const struct hpa_input *in, struct hpa_state *st, int64_t now_ms,
                  struct hpa_decision *d);

/*
 * The rest of the pass once the caller tried the PUT (put_err 0 on success, or the
 * caller's negative code): conditions AbleToScale and ScaledToZero, the scale event
 * (behavior only), status.desiredReplicas, lastScaleTime. PS_EINVAL if d->rescale is false.
 */
int hpa_commit(const struct hpa_config *cfg, const struct hpa_spec *spec, struct hpa_state *st,
               struct hpa_decision *d, int put_err, int64_t now_ms);

/* ------------------------------------------------------------------------------------- */
/* The rules, one by one                                                                   */

struct hpa_tolerances {
    double down, up; /* no change while 1 - down <= ratio <= 1 + up */
};

/* Effective tolerances for an HPA (spec section 5.9). */
struct hpa_tolerances hpa_tolerances_for(const struct hpa_config *cfg, const struct hpa_spec *s);

/* Common parameters of the replica calculators. */
struct hpa_calc {
    int32_t current_replicas; /* per-pod Object/External: scale.status.replicas */
    bool from_zero;           /* the workload sits at 0 replicas (spec section 8.2) */
    struct hpa_tolerances tol;
    int64_t cpu_initialization_period_ms;
    int64_t initial_readiness_delay_ms;
    bool pod_level_resources;
    int64_t now_ms;
    const struct hpa_pod *pods;
    size_t n_pods;
};

/* Pod classes of groupPods (spec section 5.2). */
enum hpa_pod_class { HPA_POD_READY = 0, HPA_POD_UNREADY, HPA_POD_MISSING, HPA_POD_IGNORED };

/* Classifies every pod (class[i] for pods[i]); returns the ready pod count (>= 0). */
int hpa_group_pods(const struct hpa_calc *c, const struct hpa_pod_sample *samples,
                   enum hpa_resource res, enum hpa_pod_class *klass);

/* calculateRequests for one pod (spec section 5.3): 0 and *request, or HPA_ENOREQUEST /
 * HPA_ENOPODREQUEST / HPA_ENOCONTAINER with *err_container set (-1 when none). */
int hpa_pod_request(const struct hpa_pod *pod, enum hpa_resource res, const char *container,
                    bool pod_level_resources, int64_t *request_milli, int32_t *err_container);

/* GetResourceReplicas (Utilization target). Fills out->replicas, utilization, average
 * value (raw); on error out->err_pod/err_container name the culprit. */
int hpa_calc_resource_utilization(const struct hpa_calc *c, const struct hpa_metric_input *m,
                                  enum hpa_resource res, const char *container,
                                  int32_t target_utilization, struct hpa_metric_status *out);
/* calcPlainMetricReplicas: Resource/ContainerResource AverageValue (res given) and Pods
 * metrics (res HPA_RES_NONE). out->average_value is the usage. */
int hpa_calc_plain(const struct hpa_calc *c, const struct hpa_metric_input *m,
                   enum hpa_resource res, int64_t target_milli, struct hpa_metric_status *out);
/* Object / External Value targets (current_replicas = spec.replicas). */
int hpa_calc_object_value(const struct hpa_calc *c, const struct hpa_metric_input *m,
                          int64_t target_milli, struct hpa_metric_status *out);
int hpa_calc_external_value(const struct hpa_calc *c, const struct hpa_metric_input *m,
                            int64_t target_milli, struct hpa_metric_status *out);
/* Object / External AverageValue targets (current_replicas = status.replicas). */
int hpa_calc_object_average(const struct hpa_calc *c, const struct hpa_metric_input *m,
                            int64_t target_milli, struct hpa_metric_status *out);
int hpa_calc_external_average(const struct hpa_calc *c, const struct hpa_metric_input *m,
                              int64_t target_milli, struct hpa_metric_status *out);

/* Legacy normalisation (no behavior): stabilization over the downscale window, storing
 * the recommendation; then convertDesiredReplicasWithRules. */
int32_t hpa_stabilize_legacy(struct hpa_recs *recs, int32_t desired, int64_t window_ms,
                             int64_t now_ms, bool *overflow);
int32_t hpa_convert_legacy(int32_t current, int32_t desired, int32_t min, int32_t max,
                           double up_factor, double up_minimum, enum hpa_reason *reason);

/* Behavior normalisation. hpa_rules_effective fills the API defaults of one direction
 * (rules NULL: the direction is nil) and, for scale-down, the controller's window flag. */
void hpa_rules_effective(const struct hpa_rules *rules, bool scale_up, int64_t downscale_ms,
                         struct hpa_rules *out);
int32_t hpa_stabilize_behavior(struct hpa_recs *recs, int32_t current, int32_t desired,
                               int64_t up_window_ms, int64_t down_window_ms, int64_t now_ms,
                               enum hpa_reason *reason, bool *overflow);
int32_t hpa_scale_up_limit(int32_t current, const struct hpa_events *up,
                           const struct hpa_events *down, const struct hpa_rules *rules,
                           int64_t now_ms);
int32_t hpa_scale_down_limit(int32_t current, const struct hpa_events *up,
                             const struct hpa_events *down, const struct hpa_rules *rules,
                             int64_t now_ms);
/* convertDesiredReplicasWithBehaviorRate; rules are effective ones. */
int32_t hpa_convert_behavior(int32_t current, int32_t desired, int32_t min, int32_t max,
                             const struct hpa_rules *up_rules, const struct hpa_rules *down_rules,
                             const struct hpa_events *up, const struct hpa_events *down,
                             int64_t now_ms, enum hpa_reason *reason);
/* Sum of the changes strictly after now - period. */
int32_t hpa_change_in_period(const struct hpa_events *ev, int32_t period_s, int64_t now_ms);
/* storeScaleEvent; rules NULL means spec.behavior is nil (nothing is stored). `rules` is
 * the effective rules of the direction of travel. */
void hpa_store_scale_event(struct hpa_events *ev, const struct hpa_rules *rules, int32_t prev,
                           int32_t next, int64_t now_ms, bool *overflow);

/* ------------------------------------------------------------------------------------- */
/* Text (upstream's words), written into a caller buffer; each returns the length
 * (truncated to cap - 1, always NUL-terminated when cap > 0).                              */

size_t hpa_metric_name(const struct hpa_metric_spec *m, char *buf, size_t cap);
/* The error of a metric as upstream words it, e.g. "missing request for cpu in container
 * c of Pod p"; spec/pods may be NULL (names are then omitted). */
size_t hpa_metric_error(const struct hpa_metric_spec *m, const struct hpa_metric_status *st,
                        const struct hpa_pod *pods, size_t n_pods, char *buf, size_t cap);
size_t hpa_condition_message(const struct hpa_spec *spec, const struct hpa_decision *d,
                             const struct hpa_condition *c, char *buf, size_t cap);
/* The SuccessfulRescale / FailedRescale event message. */
size_t hpa_rescale_message(const struct hpa_spec *spec, const struct hpa_decision *d, char *buf,
                           size_t cap);

#endif
