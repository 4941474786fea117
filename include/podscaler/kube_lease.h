/*
 * kube_lease.h - leader election with a coordination.k8s.io/v1 Lease, the
 * protocol of client-go's tools/leaderelection (LeaseLock), so a podscaler and
 * any client-go component can share one lease (spec kubernetes-api.md 10).
 *
 * Runs on the kube client's loop: kube_lease_start() tries at once and then
 * every retry period (with jitter) until it leads; while leading it renews
 * every retry period and gives up leadership when renewals have failed for the
 * renew deadline. Expiry is judged by this process's monotonic clock from the
 * moment it observed a change of the record, never by the timestamps in the
 * Lease, so clock skew between nodes does not matter.
 *
 * The handle is opaque. kube_lease_stop() (optionally releasing the lease so
 * another candidate takes over in about a second) frees it and then calls its
 * callback from the loop. Strings in the options are copied.
 */
#ifndef PODSCALER_KUBE_LEASE_H
#define PODSCALER_KUBE_LEASE_H

#include <stdbool.h>
#include <stdint.h>

#include "podscaler/kube.h"

/* client-go / kube-controller-manager defaults (--leader-elect-lease-duration etc.). */
#define KUBE_LEASE_DEFAULT_DURATION_MS       15000
#define KUBE_LEASE_DEFAULT_RENEW_DEADLINE_MS 10000
#define KUBE_LEASE_DEFAULT_RETRY_PERIOD_MS   2000

struct kube_lease_opts {
    const char *namespace; /* of the Lease */
    const char *name;
    const char *identity;      /* unique per process, e.g. "<hostname>_<uuid>" */
    int64_t lease_duration_ms; /* 0: default; sent as whole seconds */
    int64_t renew_deadline_ms; /* 0: default */
    int64_t retry_period_ms;   /* 0: default */
    bool release_on_stop;      /* hand the lease back in kube_lease_stop() */
    /* Called from the loop; any may be NULL. */
    void (*on_started_leading)(void *data);
    void (*on_stopped_leading)(void *data);
    void (*on_new_leader)(const char *identity, void *data); /* the observed holder changed */
    void *data;
};

struct kube_lease;

/* Validates (duration > renew deadline > 1.2 × retry period > 0, identity set). */
int kube_lease_new(struct kube_client *c, const struct kube_lease_opts *opts,
                   struct kube_lease **out, char *err, size_t errlen);
int kube_lease_start(struct kube_lease *l);
bool kube_lease_is_leader(const struct kube_lease *l);
/* Stops, releases the lease if leading and release_on_stop, frees the handle, then
 * calls stopped_cb (may be NULL). on_stopped_leading runs first if it was leading. */
void kube_lease_stop(struct kube_lease *l, void (*stopped_cb)(void *data), void *data);

/* metav1.MicroTime text of a wall time: "2026-07-01T09:58:01.123000Z". */
void kube_format_microtime(int64_t wall_ms, char out[32]);

#endif
