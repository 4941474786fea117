/*
 * coord.h - the non-conflict coordinator (DESIGN.md section 2), pure.
 *
 * For each workload at each step the coordinator decides which scaler owns each
 * resource, gates vertical changes that would disrupt the workload, and filters
 * the vertical proposal so that it never changes the request of a resource the
 * horizontal scaler owns. It also holds the group-size-aware vertical model: the
 * split of a resource's per-pod usage into a fixed part and a part that is shared
 * by the replicas, so that samples taken at one replica count can be re-expressed
 * at the replica count the horizontal policy will run.
 *
 * No I/O, no clock, no allocation: `now_ms` is an argument and all state is the
 * caller's `struct coord_state` (fixed size, about 1.5 KiB a workload).
 */
#ifndef PODSCALER_COORD_H
#define PODSCALER_COORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "podscaler/error.h"

enum {
    COORD_EVIOLATION =
        PS_ERANGE_COORD_FIRST, /* a vertical change touches a horizontally owned request */
    COORD_EPARAMS = PS_ERANGE_COORD_FIRST - 1 /* coordination parameters out of range */
};
const char *coord_strerror(int code);

enum coord_resource { COORD_CPU = 0, COORD_MEMORY = 1, COORD_NRES = 2 };
const char *coord_resource_name(enum coord_resource r);

enum coord_owner { COORD_OWNER_NONE = 0, COORD_OWNER_HORIZONTAL, COORD_OWNER_VERTICAL };
const char *coord_owner_name(enum coord_owner o);

/* PodScaler spec.coordination.bottleneck. */
enum coord_bottleneck { COORD_BN_AUTO = 0, COORD_BN_CPU, COORD_BN_MEMORY, COORD_BN_METRICS };

/* The coordination fields of a policy, with the defaults of coord_params_default(). */
struct coord_params {
    enum coord_bottleneck bottleneck;
    double pressure_percentile; /* of pod-sample usage/request over the window: 0.95 */
    int64_t window_ms;          /* pressure window: 24 h */
    double switch_margin;       /* challenger must lead by this fraction: 0.20 */
    int64_t switch_sustain_ms;  /* ... continuously for this long: 2 h */
    double min_load_share;      /* a bottleneck's usage must be at least this much load: 0.3 */
    /* The HPA's average utilization target when Auto (or the policy) makes memory
     * the bottleneck; cpu keeps the HPA default (80). */
    int memory_target_utilization;
    int max_vertical_changes_per_day; /* cap per workload, rolling 24 h, on the changes
                                       * coord_change_counts(): 4 */
    int64_t disruption_window_ms;     /* no restarting vertical change this long after a
                                       * scale event: the HPA's longest stabilization
                                       * window, 300 s by default (scale-down default) */
    /* Auto gives memory to the horizontal scaler only while, over the window, an
     * HPA scaling on it would have let at most this many pod-samples pass their
     * request (coord_note_outrun): 0 */
    int memory_outrun_budget;
    /* The vertical part lowers a non-bottleneck request for a larger group only
     * once the group has been at least that large for this long
     * (coord_settled_replicas): 2 h. 0: for the group of the moment. */
    int64_t group_settle_ms;
    /* A bottleneck whose HPA has run at minReplicas for switch_sustain_ms, and
     * would run no more at the reference request, is released to the vertical
     * scaler until the load needs more pods (coord_decide_ownership): true. */
    bool release_at_min;
    /* A vertical change that lowers a request waits until the workload has been
     * observed this long (coord_gate_vertical): 0, at once, as upstream's
     * updater. The recommender's first day holds the peaks of a part of one
     * daily cycle. */
    int64_t lower_after_ms;
};
void coord_params_default(struct coord_params *p);
int coord_params_validate(const struct coord_params *p);

/* What the horizontal side of the policy names (rules 1 and 2). */
struct coord_horizontal {
    bool enabled;      /* a horizontal scaler is configured at all */
    bool vertical;     /* a vertical scaler is configured at all */
    bool names_cpu;    /* a Resource/ContainerResource metric on cpu */
    bool names_memory; /* ... on memory */
    bool names_other;  /* a Pods, Object or External metric */
    /* For release_at_min: the HPA's minReplicas, and its utilization target per
     * resource when that resource is the bottleneck (0: none, never released). */
    int32_t min_replicas;
    int32_t target_utilization[2];
};

/* Per-workload state, caller-owned; coord_state_init() before first use. */
#define COORD_SLOTS        48 /* pressure window resolution: window / 48 per slot */
#define COORD_CHANGES_RING 32 /* vertical change times kept; must exceed any daily cap */
#define COORD_GROUP_RING   16 /* replica counts kept for coord_settled_replicas */

struct coord_slot {
    int64_t start_ms;           /* INT64_MIN: empty */
    float pressure[COORD_NRES]; /* highest pod-sample usage/request seen in the slot */
    uint16_t outruns;           /* memory pod-samples an HPA on memory let pass (saturates) */
};

/* Group-size model accumulators for one resource (see coord_gsm_*). */
struct coord_gsm {
    double sum_dudr;   /* sum of d(total usage) * d(replicas) over consecutive steps */
    double sum_drdr;   /* sum of d(replicas)^2 */
    double prev_total; /* previous step's total usage, NAN before the first */
    int32_t prev_replicas;
    int32_t pairs;        /* consecutive-step pairs in which the replica count changed */
    double floor_per_pod; /* lowest per-pod mean usage seen: the idle floor, NAN before any */
    double mean_per_pod;  /* moving average of the per-pod mean usage, NAN before any */
};

/* The load share of a resource: 1 - fixed / mean per-pod usage, in [0, 1]; 0
 * without data. Horizontal scaling relieves only this part. */
double coord_gsm_load_share(const struct coord_gsm *g);

struct coord_state {
    int8_t bottleneck;      /* enum coord_resource chosen by Auto, -1 before any */
    int64_t lead_since_ms;  /* when the challenger started leading, INT64_MIN if not */
    int64_t last_switch_ms; /* INT64_MIN before any */
    uint32_t switches;
    struct coord_slot slots[COORD_SLOTS];
    int64_t changes_ms[COORD_CHANGES_RING]; /* vertical change times, ring */
    uint32_t n_changes;
    int64_t last_scale_event_ms; /* INT64_MIN before any */
    struct coord_gsm gsm[COORD_NRES];
    /* The reference pressure is measured against: the pod requests and replica
     * count when the workload was first seen. The scalers change requests and
     * replicas; measuring against what they set would let each one's action
     * move the comparison that decides who owns what. */
    double ref_request[COORD_NRES]; /* 0 until seen */
    int32_t ref_replicas;           /* 0 until seen */
    /* The last observation: replicas and total usage per resource. */
    int32_t last_replicas;
    double last_total[2];
    /* release_at_min: the bottleneck released to the vertical scaler (-1: none),
     * and since when the HPA has been idle at minReplicas (INT64_MIN: it is not). */
    int8_t released;
    int64_t idle_since_ms;
    /* coord_note_vertical_bound, per pod; 0: not known this step. */
    double vertical_bound[COORD_NRES];
    int64_t first_seen_ms; /* the first observation, INT64_MIN before (lower_after_ms) */
    /* Auto's pressures, valid while no slot changed and the window covers the
     * same slots (the slot indices of its two ends) under the same parameters. */
    uint8_t cache_valid;
    int64_t cache_lo, cache_hi, cache_window_ms;
    double cache_pct;
    double cache_pressure[COORD_NRES];
    int32_t cache_outruns; /* coord_outruns over the same window */
    /* The smallest replica count of the last group_settle_ms, as a queue of
     * (time, count) with the counts increasing from the head: each entry the
     * smallest count seen since its time. */
    int64_t group_ms[COORD_GROUP_RING];
    int32_t group_n[COORD_GROUP_RING];
    uint8_t group_head, group_len;
};
void coord_state_init(struct coord_state *st);

/*
 * Records that the group runs `replicas` pods from now_ms (the count the step
 * decided), and returns the smallest count of the last group_settle_ms, this
 * one included: the group the vertical part sizes a non-bottleneck resource
 * for. A group that grew may shrink back within minutes (an HPA's scale-up
 * answers a burst); its pods' requests are lowered for the larger group only
 * once it has held. Raises for a smaller group are never delayed: the smallest
 * count is the one that needs the most per pod. Times must not go backwards
 * (PS_ETIME); replicas <= 0 is PS_EINVAL. With more distinct rising counts in
 * the window than the queue holds, the newest of them replace each other, so
 * the answer may rise early after the older ones leave: never below the true
 * smallest count while it is in the window.
 */
int coord_settled_replicas(struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                           int replicas);

/*
 * Records one step's pod samples: usage and request per pod per resource
 * (requests <= 0 are skipped: pressure is undefined without a request).
 * Pressure is usage re-expressed at the reference replica count (the
 * group-size model) over the reference request (see struct coord_state).
 * Feeds both the Auto bottleneck's pressure window and the group-size model.
 * PS_EINVAL/PS_ENAN/PS_ENEGATIVE on bad values, the state untouched;
 * PS_ETIME when now_ms is before the newest slot.
 */
struct coord_pod_sample {
    double usage[COORD_NRES];   /* millicores, bytes */
    double request[COORD_NRES]; /* millicores, bytes; <= 0: none */
};
int coord_observe(struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                  const struct coord_pod_sample *pods, size_t n_pods);

/*
 * Records that at now_ms `pods` pod-samples would have passed their memory
 * request under an HPA scaling on memory (the engine runs one in the shadow,
 * at the reference request): memory's jumps outran horizontal scaling. Call
 * after coord_observe of the same step (its slot must exist): PS_ETIME if it
 * does not, PS_EINVAL on pods < 0.
 */
int coord_note_outrun(struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                      int pods);

/*
 * Records, for this step, the largest request per pod of resource r that the
 * vertical scaler would leave in place at the group running now: above it the
 * vertical scaler would lower the request. The engine passes its recommender's
 * upper bound for memory and its target plus the updater's change threshold for
 * cpu. 0: not known. Release at minReplicas reads it (coord_decide_ownership);
 * the caller sets it before each decision, as it moves with the history.
 * PS_EINVAL on a bad resource, PS_ENAN or PS_ENEGATIVE on a bad value, the state
 * untouched.
 */
int coord_note_vertical_bound(struct coord_state *st, enum coord_resource r, double per_pod);

/*
 * The resource whose vertical bound a release at minReplicas may read in the
 * next coord_decide_ownership, or -1 when none can: the horizontal scaler's
 * resource (or the released one) while the last observation ran at most
 * minReplicas pods and its load fits them at the whole target. Computing a bound
 * walks a histogram; the caller notes only this one (the others as 0).
 */
int coord_release_candidate(const struct coord_state *st, const struct coord_params *p,
                            const struct coord_horizontal *h);

/* Memory outruns noted inside the window ending at now_ms. */
int coord_outruns(const struct coord_state *st, const struct coord_params *p, int64_t now_ms);

/* The pressure of a resource: the percentile of slot maxima inside the window,
 * or NAN without data. */
double coord_pressure(const struct coord_state *st, const struct coord_params *p, int64_t now_ms,
                      enum coord_resource r);

/* Why the owners are what they are. The pure core keeps it structured; the
 * engine writes it out as text (engine/coord_text.c, coord_format_reason). */
enum coord_reason {
    COORD_R_NO_HORIZONTAL = 0, /* no horizontal scaler: vertical owns all */
    COORD_R_RULE1_RESOURCES,   /* explicit cpu/memory metrics */
    COORD_R_RULE2_LOAD,        /* Pods/Object/External metrics only */
    COORD_R_FIXED,             /* bottleneck fixed by the policy */
    COORD_R_AUTO_NO_HISTORY,   /* Auto, not enough history yet: cpu */
    COORD_R_AUTO_FIRST,        /* Auto's first choice from history */
    COORD_R_AUTO_STAYS,        /* Auto: the owner keeps it */
    COORD_R_AUTO_CHALLENGED,   /* Auto: the other leads, not yet for long enough */
    COORD_R_AUTO_INELIGIBLE,   /* Auto: the other leads, but is mostly fixed per pod */
    COORD_R_AUTO_SWITCH,       /* Auto: switched */
    COORD_R_AUTO_OUTRUN,       /* Auto: memory taken from (or kept from) the HPA: it outran it */
    COORD_R_RELEASED,          /* the HPA idles at minReplicas: the vertical scaler sizes all */
    COORD_R_TAKEN_BACK,        /* ... and the load needs more pods again */
};

/* Ownership at now_ms (rules 1 to 3). `changed` is set when Auto switched the
 * bottleneck in this call, or when release_at_min released it or took it back.
 *
 * Release (Auto or a fixed bottleneck): an HPA held at minReplicas cannot make
 * its pods busier, so an oversized bottleneck request stays oversized; upstream
 * leaves it to the user. When the last observations ran at most minReplicas
 * pods and the load, at the reference request and the HPA's target, needed no
 * more than minReplicas for switch_sustain_ms in a row, the bottleneck goes to
 * the vertical scaler: no horizontal owner (bottleneck -1), and the caller runs
 * no HPA. The load is measured at half the HPA's target, or at the whole target
 * when the reference request is above the vertical bound of this step
 * (coord_note_vertical_bound: the vertical scaler would lower it, `oversized`).
 * Memory is released only then; cpu either way. It comes back the step the load
 * needs more pods (needed above minReplicas, no sustain: the pods need them
 * now), when a released memory request is no longer oversized, or when Auto
 * moves the bottleneck; the caller then puts its request back to the reference,
 * as at any handover. */
struct coord_ownership {
    enum coord_owner owner[COORD_NRES];
    int bottleneck; /* enum coord_resource owned horizontally, -1 when none */
    bool changed;
    enum coord_reason reason;
    int previous;                  /* COORD_R_AUTO_SWITCH: the previous bottleneck */
    double pressure[COORD_NRES];   /* Auto: the pressures compared (NAN without data) */
    int64_t lead_ms;               /* COORD_R_AUTO_CHALLENGED: how long the challenger has led */
    double load_share[COORD_NRES]; /* Auto: each resource's load share */
    int outruns;                   /* Auto: memory outruns in the window */
    /* release_at_min: the pods the load needs at the reference request (0: not
     * asked), how long the HPA has idled at minReplicas, and the resource a
     * release concerns (COORD_R_RELEASED / COORD_R_TAKEN_BACK). */
    int32_t needed;
    int32_t min_replicas, target_utilization; /* the HPA's, as release_at_min read them */
    int64_t idle_ms;
    int released;
    /* The bottleneck's reference request is above its vertical bound, where that
     * decides: for memory always, for cpu above half the target and not yet
     * released. */
    bool oversized;
};
int coord_decide_ownership(struct coord_state *st, const struct coord_params *p,
                           const struct coord_horizontal *h, int64_t now_ms,
                           struct coord_ownership *out);

/* The reason as one line of text (I/O shell: engine/coord_text.c). Returns the
 * length snprintf would write. */
int coord_format_reason(const struct coord_ownership *o, const struct coord_params *p, char *buf,
                        size_t cap);

/* One container's vertical change, before and after; -1 means unset. */
struct coord_container_change {
    int64_t request_before[COORD_NRES], request_after[COORD_NRES];
    int64_t limit_before[COORD_NRES], limit_after[COORD_NRES];
};

/*
 * Rule 4: puts back the request of every horizontally owned resource and keeps
 * that resource's limit in proportion to the (unchanged) request, i.e.
 * unchanged. Then checks the invariant. Returns the number of containers that
 * still change, or a negative code.
 */
int coord_filter_vertical(const struct coord_ownership *own, struct coord_container_change *c,
                          size_t n);

/* The invariant of rule 4, checked again on every decision: COORD_EVIOLATION if
 * any request of a horizontally owned resource changes. */
int coord_check_invariant(const struct coord_ownership *own, const struct coord_container_change *c,
                          size_t n);

/* Rule 5 and the daily cap: may a vertical change happen now?
 *
 * The cap holds every vertical change but two kinds, which neither wait for it
 * nor use it up: an in-place change that only raises requests the pods need now
 * (COORD_CHANGE_NEEDED: below the recommended range, after a quick OOM, or
 * following the group as it shrinks), and a change after an OOM kill (that pod
 * is down already and the change raises memory so it does not happen again).
 * Held back, the first would leave pods throttled or OOM-killed to save a
 * change; everything else (decreases, moves inside the range) can wait a day.
 * The handover is not held and not counted either: it is part of an owner
 * switch, which the hysteresis limits.
 *
 * A change that restarts pods also waits out a horizontal scale event's
 * stabilization window (unless after an OOM kill) and never takes the
 * available pods below min_replicas. An in-place resize restarts nothing.
 *
 * A change that lowers any request (COORD_CHANGE_LOWERS) waits, before anything
 * else, until the workload has been observed for lower_after_ms: it is held
 * without using up the cap. */
enum coord_change_flags {
    COORD_CHANGE_RESTARTS = 1u << 0,  /* the change restarts pods (evicts, recreates) */
    COORD_CHANGE_NEEDED = 1u << 1,    /* raises only, to what the pods need now */
    COORD_CHANGE_AFTER_OOM = 1u << 2, /* a container was OOM-killed at this step and the
                                       * change raises its memory */
    COORD_CHANGE_HANDOVER = 1u << 3,  /* the handover (docs/coordination.md): never held,
                                       * as rare as the hysteresis lets owners switch */
    COORD_CHANGE_LOWERS = 1u << 4,    /* the change lowers a request */
};
enum coord_gate_reason {
    COORD_GATE_OK = 0,
    COORD_GATE_STABILIZING,   /* a scale event is inside its stabilization window */
    COORD_GATE_MIN_AVAILABLE, /* restarting a pod would leave fewer than minReplicas */
    COORD_GATE_DAILY_CAP,     /* the workload had its capped changes for the day */
    COORD_GATE_HISTORY,       /* a lowering change before lower_after_ms of history */
};
const char *coord_gate_reason_name(enum coord_gate_reason r);
/* Whether a change of these flags counts against (and waits for) the daily cap. */
bool coord_change_counts(unsigned flags);
enum coord_gate_reason coord_gate_vertical(const struct coord_state *st,
                                           const struct coord_params *p, int64_t now_ms,
                                           unsigned flags, int available_pods, int min_replicas);

void coord_note_scale_event(struct coord_state *st, int64_t now_ms);
/* A vertical change was made: one of the day's cap if coord_change_counts(flags). */
void coord_note_vertical_change(struct coord_state *st, int64_t now_ms, unsigned flags);
/* Vertical changes counted against the cap in the 24 h before now_ms. */
int coord_vertical_changes_last_day(const struct coord_state *st, int64_t now_ms);

/*
 * The group-size-aware model. Per-pod usage u at replica count r is modelled as
 * u = a + L / r: a fixed per-pod part a and a load L shared by the replicas.
 * coord_gsm_fixed() estimates a (see docs/coordination.md).
 *
 * coord_gsm_rescale_pod() re-expresses one pod's sample, taken at r_sample
 * replicas whose mean per-pod usage was mean_usage, at r_target replicas. The
 * load is shared evenly (that is what a Service does), so every pod moves by the
 * same amount, (mean - a) * (r_sample / r_target - 1); how far a pod sits from
 * the mean is its own and is kept. Scaling that distance too re-expressed a
 * task whose memory sat 0.5 GiB above its siblings' at 5 GiB when five tasks
 * were projected onto one. Never below what the pod would use were all of its
 * usage load, never negative. With r_target == r_sample it returns usage
 * unchanged, bit for bit, which is what makes the vertical recommendation
 * exactly upstream's without a horizontal scaler.
 */
double coord_gsm_fixed(const struct coord_gsm *g);
double coord_gsm_rescale_pod(double fixed, double usage, double mean_usage, int r_sample,
                             int r_target);

/*
 * The replica count the horizontal policy would run for a total bottleneck usage:
 * ceil(total / (target_utilization/100 * request per pod)), clamped to
 * [min_replicas, max_replicas] (the HPA's rule without tolerance and history).
 * Used to re-evaluate history under the current horizontal policy.
 */
int coord_projected_replicas(double total_usage, double request_per_pod, int target_utilization,
                             int min_replicas, int max_replicas);

#endif
