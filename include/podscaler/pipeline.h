/*
 * pipeline.h - one decision step for one workload: the code path shared by the
 * controller, report and replay.
 *
 * Given a policy, the workload's decision state and what is observed at `now`
 * (the running pods, their usage and their containers' requests), a step asks
 * the horizontal core (hpa/) for a replica count and the vertical core (vpa/)
 * for container requests, combined as the policy says (independently, or
 * through the coordinator of engine/coord for POLICY_MODE_COORDINATED), and
 * returns the decisions. It applies nothing: the caller (a simulated cluster in
 * replay, the Kubernetes API in the controller, nothing in report) does.
 *
 * Ownership: pipeline_state_new() allocates the state (histograms, stabilization
 * windows, scale events) and copies the policy and container names;
 * pipeline_state_free() releases it. A step does not allocate and keeps no
 * pointer into the observation. One state per workload and policy; states are
 * independent, so different workloads may be stepped on different threads.
 */
#ifndef PODSCALER_PIPELINE_H
#define PODSCALER_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "podscaler/policy.h"

/* The containers of one pod spec, at most this many per workload. */
#define PIPELINE_MAX_CONTAINERS 16

/* What is observed at one instant for one workload. Usage arrays are
 * replicas * n_containers long, pod-major: usage of container c of pod p at
 * [p * n_containers + c]. Requests and limits are per container of the pod
 * template (POLICY_UNSET for a limit not set). */
struct pipeline_obs {
    int64_t now_ms;
    int32_t replicas;
    uint32_t n_containers;
    const double *cpu_milli;
    const double *mem_bytes;
    const uint8_t *oom; /* per pod and container: OOM-killed since the last step; may be NULL */
    const int64_t *cpu_request_milli;
    const int64_t *mem_request_bytes;
    const int64_t *cpu_limit_milli;
    const int64_t *mem_limit_bytes;
    /* When 0 < period < replicas: pod j measured exactly what pod j mod period
     * did (replay's simulated pods repeat the recorded ones), which lets the
     * recommender add each distinct CPU sample once with its count. 0: no such
     * pattern is claimed. */
    int32_t period;
};

enum pipeline_kind { PIPELINE_SCALE = 1, PIPELINE_RESOURCES = 2, PIPELINE_OWNERSHIP = 3 };

/* The decisions of one step. For resources, the after arrays hold the new
 * values of every container (unchanged ones repeated). */
struct pipeline_decision {
    int8_t scale; /* 1: replicas_after differs from the observed replicas */
    int32_t replicas_after;
    char scale_reason[128];

    int8_t resources;          /* 1: some request or limit changes */
    uint8_t resources_touched; /* POLICY_RES_BIT set */
    int32_t pods_restarted;    /* pods evicted to apply it (Recreate) */
    int64_t cpu_request_milli[PIPELINE_MAX_CONTAINERS];
    int64_t mem_request_bytes[PIPELINE_MAX_CONTAINERS];
    int64_t cpu_limit_milli[PIPELINE_MAX_CONTAINERS];
    int64_t mem_limit_bytes[PIPELINE_MAX_CONTAINERS];
    char resources_reason[128];

    /* POLICY_MODE_COORDINATED only (engine/coord): who owns each resource at
     * this step (enum coord_owner, indexed by enum coord_resource), and whether
     * the owners changed at this step, with the coordinator's reason. */
    int8_t coordinated;
    uint8_t owner[2];
    /* The owners in force when the resources change was made: the owners
     * before a switch for a handover (below), else the same as owner. */
    uint8_t resources_owner[2];
    /* The resources change is a handover: before the horizontal scaler takes a
     * resource, its request and limit go back to the reference (the requests
     * the workload was first seen with), so the HPA's utilization target is
     * measured against what the user declared, not against a request the
     * vertical scaler had sized. */
    int8_t handover;
    int8_t ownership_changed;
    int8_t bottleneck_before, bottleneck_after; /* enum coord_resource, -1: none */
    char ownership_reason[256];
    /* A vertical change the coordinator held back at this step, and why (empty: none). */
    char held_reason[96];
    /* The resources change counts against maxVerticalChangesPerDay (1) or is
     * exempt from it (0: a raise the pods need now, or after an OOM kill);
     * -1 where no cap applies (not coordinated, or no horizontal scaler). */
    int8_t cap_counted;
};

struct pipeline_state;

/* Module error codes (PS_ERANGE_REPLAY_FIRST range, after policy.h's). A step
 * of a coordinated policy also returns COORD_EVIOLATION (coord.h) if the
 * non-conflict invariant ever breaks: that is a bug, and it stops the run. */
enum {
    PIPELINE_EUNAVAILABLE = PS_ERANGE_REPLAY_FIRST - 2, /* the policy needs a core not built */
};

/* 0 when every part the policy needs is built in; else PIPELINE_EUNAVAILABLE
 * with a one-line reason ("the HPA core (hpa/) is not built in") in why. */
int pipeline_policy_available(const struct ps_policy *p, char *why, size_t whylen);

/* A state for one workload under policy p, whose pods have n_containers
 * containers named names[] (copied). Fails with PIPELINE_EUNAVAILABLE as above. */
int pipeline_state_new(const struct ps_policy *p, uint32_t n_containers, const char *const *names,
                       struct pipeline_state **out);
void pipeline_state_free(struct pipeline_state *s);

/* One decision step. Observations must come in increasing now_ms. Returns 0
 * with *out filled (out->scale and out->resources say whether anything is to
 * be done) or a negative code for an invalid observation. */
int pipeline_step(struct pipeline_state *s, const struct pipeline_obs *obs,
                  struct pipeline_decision *out);

const char *pipeline_strerror(int code);

/* Fills base[have, want) (bytes) by repeating base[0, have), in blocks that
 * double: how pods that repeat others (pipeline_obs.period) are laid out. */
void pipeline_repeat_fill(void *base, size_t have, size_t want);

#endif
