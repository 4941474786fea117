/*
 * policy.h - the PodScaler policy object (DESIGN.md section 5) as a plain C value.
 *
 * A policy says how one workload is scaled: a horizontal part in the
 * autoscaling/v2 HorizontalPodAutoscaler shape (minReplicas, maxReplicas,
 * metrics, behavior), a vertical part in the autoscaling.k8s.io/v1
 * VerticalPodAutoscaler shape (updateMode, resourcePolicy.containerPolicies)
 * and a coordination part (the bottleneck). The same value drives the
 * controller, report and replay.
 *
 * struct ps_policy is a fixed-size value with no pointers: copy it freely,
 * nothing to free. The decoders (common/io/policy.c) are I/O-shell code; the
 * struct itself and policy_builtin() may be used by the pure coordinator, so
 * this header includes no library header (json_t is only forward-declared).
 *
 * Quantities are held in the units the cores use: CPU in millicores, memory in
 * bytes; POLICY_UNSET marks a field the document left out.
 */
#ifndef PODSCALER_POLICY_H
#define PODSCALER_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "podscaler/error.h"

struct json_t; /* jansson's, for policy_from_json(); not included here */

#define POLICY_UNSET INT64_MIN

/* A Kubernetes object name (RFC 1123 subdomain) is at most 253 bytes. */
#define POLICY_NAME_MAX       254
#define POLICY_API_VERSION    "podscaler.io/v1alpha1" /* the custom resource's */
#define POLICY_MAX_METRICS    8
#define POLICY_MAX_RULES      8
#define POLICY_MAX_CONTAINERS 16

enum policy_metric_type {
    POLICY_METRIC_RESOURCE = 0,
    POLICY_METRIC_CONTAINER_RESOURCE,
    POLICY_METRIC_PODS,
    POLICY_METRIC_OBJECT,
    POLICY_METRIC_EXTERNAL,
};

enum policy_resource { POLICY_RES_CPU = 0, POLICY_RES_MEMORY = 1, POLICY_RES_OTHER = 2 };

/* Bit set of resources: (1 << POLICY_RES_CPU) | (1 << POLICY_RES_MEMORY). */
#define POLICY_RES_BIT(r) (1u << (r))
#define POLICY_RES_BOTH   (POLICY_RES_BIT(POLICY_RES_CPU) | POLICY_RES_BIT(POLICY_RES_MEMORY))

enum policy_target_type {
    POLICY_TARGET_UTILIZATION = 0,
    POLICY_TARGET_AVERAGE_VALUE,
    POLICY_TARGET_VALUE,
};

struct policy_metric {
    uint8_t type;                /* enum policy_metric_type */
    uint8_t resource;            /* enum policy_resource; Resource and ContainerResource only */
    uint8_t target;              /* enum policy_target_type */
    int32_t average_utilization; /* percent, for POLICY_TARGET_UTILIZATION */
    /* averageValue or value in milli-units (CPU millicores, memory millibytes as
     * upstream's MilliValue), for the other target types */
    int64_t target_milli;
    char container[64]; /* ContainerResource; metric name for Pods/Object/External */
};

enum policy_rule_type { POLICY_RULE_PODS = 0, POLICY_RULE_PERCENT };
enum policy_select { POLICY_SELECT_MAX = 0, POLICY_SELECT_MIN, POLICY_SELECT_DISABLED };

struct policy_rule {
    uint8_t type; /* enum policy_rule_type */
    int32_t value;
    int32_t period_s;
};

/* One direction of autoscaling/v2 HPAScalingRules. has_* say what the document set;
 * unset fields take upstream's defaults, which the HPA core applies. */
struct policy_scaling_rules {
    int8_t has_window;
    int32_t stabilization_window_s;
    int8_t has_select;
    uint8_t select; /* enum policy_select */
    int8_t has_policies;
    uint8_t n_policies;
    struct policy_rule policies[POLICY_MAX_RULES];
};

struct policy_horizontal {
    int8_t enabled;
    int32_t min_replicas; /* default 1 as autoscaling/v2 */
    int32_t max_replicas;
    uint8_t n_metrics; /* 0: upstream's default, CPU at 80% average utilization */
    struct policy_metric metrics[POLICY_MAX_METRICS];
    int8_t has_behavior;
    struct policy_scaling_rules scale_up, scale_down;
};

enum policy_update_mode {
    POLICY_UPDATE_OFF = 0,
    POLICY_UPDATE_INITIAL,
    POLICY_UPDATE_RECREATE,
    POLICY_UPDATE_IN_PLACE_OR_RECREATE,
    POLICY_UPDATE_IN_PLACE,
};
/* "Auto" is upstream's deprecated alias of Recreate and decodes as RECREATE. */

enum policy_controlled_values { POLICY_REQUESTS_AND_LIMITS = 0, POLICY_REQUESTS_ONLY };
enum policy_container_mode { POLICY_CONTAINER_AUTO = 0, POLICY_CONTAINER_OFF };

struct policy_container {
    char name[64]; /* containerName; "*" is the default for every container */
    uint8_t mode;  /* enum policy_container_mode */
    int64_t min_cpu_milli, min_mem_bytes; /* minAllowed, POLICY_UNSET when absent */
    int64_t max_cpu_milli, max_mem_bytes; /* maxAllowed, POLICY_UNSET when absent */
    uint8_t controlled_resources;         /* POLICY_RES_BIT set; default both */
    uint8_t controlled_values;            /* enum policy_controlled_values */
};

struct policy_vertical {
    int8_t enabled;
    uint8_t update_mode;  /* enum policy_update_mode; default Recreate as upstream */
    int32_t min_replicas; /* updatePolicy.minReplicas; 0: the updater's --min-replicas (2) */
    /* podMinimum: the least a pod's recommendation may be, shared among its
     * containers; POLICY_UNSET: the recommender's flags' defaults, 25m and 250Mi
     * (--pod-recommendation-min-cpu-millicores, --pod-recommendation-min-memory-mb) */
    int64_t pod_min_cpu_milli, pod_min_mem_bytes;
    uint8_t n_containers;
    struct policy_container containers[POLICY_MAX_CONTAINERS];
};

enum policy_bottleneck {
    POLICY_BOTTLENECK_AUTO = 0,
    POLICY_BOTTLENECK_CPU,
    POLICY_BOTTLENECK_MEMORY,
    POLICY_BOTTLENECK_METRICS,
};

/* How the two scalers are combined. INDEPENDENT runs each as configured, as two
 * separate upstream objects would (the combination the Kubernetes documentation
 * warns against when both act on the same resource); COORDINATED applies the
 * non-conflict rule of DESIGN.md section 2 (engine/coord, issue 6). */
enum policy_mode { POLICY_MODE_INDEPENDENT = 0, POLICY_MODE_COORDINATED };

/* spec.coordination's tuning fields (docs/coordination.md); 0 (or a negative
 * number for the fractions) means the coordinator's default. */
struct policy_coordination {
    double pressure_percentile;           /* pressurePercentile, (0, 1] */
    double switch_margin;                 /* switchMargin, >= 0, with has_switch_margin */
    int32_t window_s;                     /* windowSeconds */
    int32_t switch_sustain_s;             /* switchSustainSeconds */
    int32_t max_vertical_changes_per_day; /* maxVerticalChangesPerDay */
    int32_t disruption_window_s;          /* disruptionWindowSeconds */
    double min_load_share;                /* minLoadShare, [0, 1], with has_min_load_share */
    int32_t memory_target_utilization;    /* memoryTargetUtilization, percent */
    int32_t memory_outrun_budget;         /* memoryOutrunBudget, with has_outrun_budget */
    int32_t group_settle_s;               /* groupSettleSeconds, with has_group_settle */
    int32_t lower_after_s;                /* lowerAfterSeconds */
    int8_t has_switch_sustain, has_max_changes, has_disruption_window, has_min_load_share;
    int8_t has_outrun_budget, has_group_settle, has_switch_margin;
    int8_t release_at_min, has_release_at_min; /* releaseAtMinReplicas */
};

struct ps_policy {
    uint8_t mode;       /* enum policy_mode */
    uint8_t bottleneck; /* enum policy_bottleneck; COORDINATED only */
    struct policy_horizontal horizontal;
    struct policy_vertical vertical;
    struct policy_coordination coordination;
    char name[POLICY_NAME_MAX]; /* last: the decision paths never read it */
};

/* Module error codes (PS_ERANGE_REPLAY_FIRST range, shared with replay.h). */
enum {
    POLICY_EUNKNOWN = PS_ERANGE_REPLAY_FIRST,   /* no built-in policy of that name */
    POLICY_EFIELD = PS_ERANGE_REPLAY_FIRST - 1, /* a field of a policy document is wrong */
};

/* Names of the built-in policies, in their side-by-side order, NULL-terminated. */
extern const char *const policy_builtin_names[];

/* Fills *out with the built-in policy called name ("static", "hpa", "vpa",
 * "hpa+vpa-naive", "coordinated"). 0 or POLICY_EUNKNOWN. */
int policy_builtin(const char *name, struct ps_policy *out);

/* Sets the defaults of an empty policy (no horizontal, no vertical part). */
void policy_init(struct ps_policy *p, const char *name);

/* Decodes a PodScaler spec object (the value of "spec": horizontal, vertical,
 * coordination; targetRef is accepted and ignored). On error returns
 * POLICY_EFIELD (or PS_ENOMEM) and writes "FIELD: what is wrong" into err,
 * with FIELD a path like spec.horizontal.maxReplicas. The name is left as it was. */
int policy_from_json(struct json_t *spec, struct ps_policy *out, char *err, size_t errlen);

/* Loads a policy file: YAML or JSON, either a whole PodScaler object (kind
 * PodScaler, metadata.name, spec) or a bare spec. The name is metadata.name, or
 * the file name without its extension. Errors say "FILE: FIELD: what". */
int policy_load_file(const char *path, struct ps_policy *out, char *err, size_t errlen);

/* The same from a buffer; origin names it in messages. */
int policy_load_buffer(const char *data, size_t len, const char *origin, struct ps_policy *out,
                       char *err, size_t errlen);

/* One YAML document as JSON, read by the rules policy files are read with:
 * YAML 1.2 core-schema scalars, no aliases, exactly one document. NULL with
 * the reason (and its line) in err. */
struct json_t *policy_yaml_to_json(const char *data, size_t len, char *err, size_t errlen);

/* The container policy that applies to a container name: the exact name, else
 * "*", else NULL (upstream: Auto with no bounds). */
const struct policy_container *policy_container_for(const struct policy_vertical *v,
                                                    const char *container);

/* The resources the horizontal part scales on (POLICY_RES_BIT set); the default
 * metric counts as CPU. 0 when the horizontal part is off or uses only
 * Pods/Object/External metrics. */
unsigned policy_horizontal_resources(const struct ps_policy *p);

const char *policy_strerror(int code);

#endif
