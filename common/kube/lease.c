/*
 * Leader election with a Lease (spec kubernetes-api.md 10; client-go
 * tools/leaderelection tryAcquireOrRenew), asynchronous on the client's loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "kube_int.h"
#include "podscaler/clock.h"
#include "podscaler/kube_lease.h"
#include "podscaler/log.h"

/* client-go leaderelection JitterFactor: acquire waits are in [retry, 2.2 × retry). */
#define LEASE_JITTER_FACTOR 1.2

enum lease_step { STEP_IDLE, STEP_FAST_PUT, STEP_GET, STEP_CREATE, STEP_UPDATE, STEP_RELEASE };

struct kube_lease {
    struct kube_client *c;
    uv_timer_t timer;
    char *ns, *name, *identity, *path, *collection;
    int64_t duration_ms, deadline_ms, retry_ms;
    struct kube_lease_opts o;

    bool started, leading, busy, stopping;
    enum lease_step step;
    int64_t renew_started_ms; /* loop time the current renewal began */
    json_t *cached;           /* the Lease as last read or written */
    json_t *observed;         /* its spec */
    int64_t observed_ms;      /* loop time of the last observed change */
    char *observed_holder;
    uint64_t rng;
    void (*stopped_cb)(void *);
    void *stopped_data;
};

void kube_format_microtime(int64_t wall_ms, char out[32])
{
    time_t s = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    int ms = (int)(wall_ms % 1000);
    if (ms < 0)
        ms += 1000;
    /* MicroTime has exactly six fractional digits; our clock has milliseconds. */
    if (n + 9 > 32)
        n = 32 - 9;
    out[n++] = '.';
    out[n++] = (char)('0' + ms / 100);
    out[n++] = (char)('0' + ms / 10 % 10);
    out[n++] = (char)('0' + ms % 10);
    out[n++] = '0';
    out[n++] = '0';
    out[n++] = '0';
    out[n++] = 'Z';
    out[n] = '\0';
}

static int64_t loop_now(const struct kube_lease *l)
{
    return (int64_t)uv_now(kube_client_loop(l->c));
}

int kube_lease_new(struct kube_client *c, const struct kube_lease_opts *o, struct kube_lease **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    if (!c || !o || !o->namespace || !*o->namespace || !o->name || !*o->name) {
        kube_errf(err, errlen, "lease: namespace and name are required");
        return PS_EINVAL;
    }
    if (!o->identity || !*o->identity) {
        kube_errf(err, errlen, "lease %s/%s: identity is required", o->namespace, o->name);
        return PS_EINVAL;
    }
    int64_t d = o->lease_duration_ms > 0 ? o->lease_duration_ms : KUBE_LEASE_DEFAULT_DURATION_MS;
    int64_t r =
        o->renew_deadline_ms > 0 ? o->renew_deadline_ms : KUBE_LEASE_DEFAULT_RENEW_DEADLINE_MS;
    int64_t p = o->retry_period_ms > 0 ? o->retry_period_ms : KUBE_LEASE_DEFAULT_RETRY_PERIOD_MS;
    /* client-go NewLeaderElector's checks. */
    if (d <= r || (double)r <= LEASE_JITTER_FACTOR * (double)p || d < 1000) {
        kube_errf(err, errlen,
                  "lease %s/%s: need lease duration (%lld ms, at least 1 s) > renew deadline "
                  "(%lld ms) > %.1f x retry period (%lld ms)",
                  o->namespace, o->name, (long long)d, (long long)r, LEASE_JITTER_FACTOR,
                  (long long)p);
        return PS_EINVAL;
    }
    struct kube_lease *l = calloc(1, sizeof *l);
    if (!l)
        return PS_ENOMEM;
    l->c = c;
    l->o = *o;
    l->duration_ms = d;
    l->deadline_ms = r;
    l->retry_ms = p;
    l->ns = strdup(o->namespace);
    l->name = strdup(o->name);
    l->identity = strdup(o->identity);
    size_t n = strlen(o->namespace) + strlen(o->name) + 64;
    l->collection = malloc(n);
    l->path = malloc(n);
    if (!l->ns || !l->name || !l->identity || !l->collection || !l->path) {
        free(l->ns);
        free(l->name);
        free(l->identity);
        free(l->collection);
        free(l->path);
        free(l);
        return PS_ENOMEM;
    }
    snprintf(l->collection, n, "/apis/coordination.k8s.io/v1/namespaces/%s/leases", l->ns);
    snprintf(l->path, n, "%s/%s", l->collection, l->name);
    l->o.namespace = l->o.name = l->o.identity = NULL;
    l->rng = (uint64_t)ps_clock_now_ms() | 1;
    for (const char *q = l->identity; *q; q++)
        l->rng = (l->rng ^ (unsigned char)*q) * 0x100000001B3ull; /* FNV-1a step */
    if (!l->rng)
        l->rng = 1;
    uv_timer_init(kube_client_loop(c), &l->timer);
    l->timer.data = l;
    *out = l;
    return 0;
}

bool kube_lease_is_leader(const struct kube_lease *l)
{
    return l && l->leading;
}

/* ---- one round of tryAcquireOrRenew ------------------------------------ */

static void round_done(struct kube_lease *l, bool ok);
static void lease_finish_stop(struct kube_lease *l);

static json_t *desired_spec(const struct kube_lease *l, const json_t *prev_spec, bool keep)
{
    char now[32];
    kube_format_microtime(ps_clock_now_ms(), now);
    json_t *s =
        json_pack("{s:s, s:I, s:s, s:s}", "holderIdentity", l->identity, "leaseDurationSeconds",
                  (json_int_t)(l->duration_ms / 1000), "acquireTime", now, "renewTime", now);
    if (!s)
        return NULL;
    json_t *acq = json_object_get(prev_spec, "acquireTime");
    json_t *tr = json_object_get(prev_spec, "leaseTransitions");
    json_int_t transitions = json_is_integer(tr) ? json_integer_value(tr) : 0;
    if (keep) {
        if (json_is_string(acq))
            json_object_set(s, "acquireTime", acq);
    } else if (prev_spec) {
        transitions++;
    }
    json_object_set_new(s, "leaseTransitions", json_integer(transitions));
    return s;
}

static void observe(struct kube_lease *l, json_t *spec)
{
    if (l->observed && spec && json_equal(l->observed, spec))
        return;
    json_decref(l->observed);
    l->observed = json_incref(spec);
    l->observed_ms = loop_now(l);
    json_t *h = json_object_get(spec, "holderIdentity");
    const char *holder = json_is_string(h) ? json_string_value(h) : "";
    if (!l->observed_holder || strcmp(holder, l->observed_holder) != 0) {
        free(l->observed_holder);
        l->observed_holder = strdup(holder);
        if (*holder && l->o.on_new_leader)
            l->o.on_new_leader(holder, l->o.data);
    }
}

static int send_lease(struct kube_lease *l, const char *method, const char *path, json_t *lease,
                      kube_done_cb cb)
{
    char *body = json_dumps(lease, JSON_COMPACT);
    if (!body)
        return PS_ENOMEM;
    struct kube_request_opts o = {.method = method,
                                  .path = path,
                                  .body = body,
                                  .body_len = strlen(body),
                                  /* Never wait on a lease write longer than the deadline. */
                                  .timeout_ms = l->deadline_ms,
                                  .max_attempts = 1};
    int rc = kube_request_start(l->c, &o, cb, l);
    free(body);
    return rc;
}

/* Takes the server's copy of the Lease after a successful write or read. */
static int take_response(struct kube_lease *l, struct kube_response *resp)
{
    json_t *obj = NULL;
    if (kube_response_json(resp, (void **)&obj))
        return KUBE_EBADRESPONSE;
    json_decref(l->cached);
    l->cached = obj;
    return 0;
}

static void on_written(struct kube_response *resp, void *data)
{
    struct kube_lease *l = data;
    l->busy = false;
    if (resp->result == 0 && take_response(l, resp) == 0) {
        observe(l, json_object_get(l->cached, "spec"));
        round_done(l, true);
        return;
    }
    if (resp->result != PS_ECONFLICT && resp->result != PS_EEXIST)
        ps_log(PS_LOG_WARN, "kube", "lease: %s", resp->error);
    round_done(l, false);
}

static void on_get(struct kube_response *resp, void *data)
{
    struct kube_lease *l = data;
    l->busy = false;
    if (l->stopping) {
        lease_finish_stop(l);
        return;
    }
    if (resp->result == PS_ENOENT) {
        json_t *spec = desired_spec(l, NULL, false);
        json_t *lease = json_pack("{s:s, s:s, s:{s:s, s:s}, s:o}", "apiVersion",
                                  "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
                                  l->name, "namespace", l->ns, "spec", spec);
        l->step = STEP_CREATE;
        if (lease && send_lease(l, "POST", l->collection, lease, on_written) == 0)
            l->busy = true;
        json_decref(lease);
        if (!l->busy)
            round_done(l, false);
        return;
    }
    if (resp->result || take_response(l, resp)) {
        ps_log(PS_LOG_WARN, "kube", "lease: %s", resp->error);
        round_done(l, false);
        return;
    }
    json_t *spec = json_object_get(l->cached, "spec");
    if (!json_is_object(spec)) {
        json_object_set_new(l->cached, "spec", json_object());
        spec = json_object_get(l->cached, "spec");
    }
    observe(l, spec);
    json_t *h = json_object_get(spec, "holderIdentity");
    const char *holder = json_is_string(h) ? json_string_value(h) : "";
    json_t *ld = json_object_get(spec, "leaseDurationSeconds");
    int64_t dur_ms = json_is_integer(ld) ? (int64_t)json_integer_value(ld) * 1000 : 0;
    bool mine = strcmp(holder, l->identity) == 0;
    if (*holder && !mine && l->observed_ms + dur_ms > loop_now(l)) {
        round_done(l, false); /* someone else holds a valid lease */
        return;
    }
    json_t *want = desired_spec(l, spec, mine);
    if (!want) {
        round_done(l, false);
        return;
    }
    json_object_set_new(l->cached, "spec", want);
    l->step = STEP_UPDATE;
    if (send_lease(l, "PUT", l->path, l->cached, on_written) == 0)
        l->busy = true;
    else
        round_done(l, false);
}

static void slow_path(struct kube_lease *l)
{
    l->step = STEP_GET;
    if (kube_get(l->c, l->path, on_get, l) == 0)
        l->busy = true;
    else
        round_done(l, false);
}

static void on_fast_put(struct kube_response *resp, void *data)
{
    struct kube_lease *l = data;
    l->busy = false;
    if (l->stopping) {
        lease_finish_stop(l);
        return;
    }
    if (resp->result == 0 && take_response(l, resp) == 0) {
        observe(l, json_object_get(l->cached, "spec"));
        round_done(l, true);
        return;
    }
    slow_path(l);
}

static void try_acquire_or_renew(struct kube_lease *l)
{
    int64_t now = loop_now(l);
    json_t *spec = json_object_get(l->cached, "spec");
    json_t *h = json_object_get(spec, "holderIdentity");
    json_t *ld = json_object_get(spec, "leaseDurationSeconds");
    bool fast = l->cached && json_is_string(h) && strcmp(json_string_value(h), l->identity) == 0 &&
                json_is_integer(ld) && l->observed_ms + json_integer_value(ld) * 1000 > now;
    if (fast) {
        json_t *want = desired_spec(l, spec, true);
        if (want) {
            json_object_set_new(l->cached, "spec", want);
            l->step = STEP_FAST_PUT;
            if (send_lease(l, "PUT", l->path, l->cached, on_fast_put) == 0) {
                l->busy = true;
                return;
            }
        }
    }
    slow_path(l);
}

/* ---- loops --------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
    struct kube_lease *l = t->data;
    if (l->stopping || l->busy)
        return;
    if (l->leading && l->renew_started_ms == 0)
        l->renew_started_ms = loop_now(l);
    try_acquire_or_renew(l);
}

static uint64_t jittered(struct kube_lease *l)
{
    /* Uniform in [retry, (1 + factor) × retry), as wait.JitterUntil; xorshift64 seeded
     * per candidate so candidates started together drift apart. */
    l->rng ^= l->rng << 13;
    l->rng ^= l->rng >> 7;
    l->rng ^= l->rng << 17;
    double f = (double)(l->rng >> 11) / 9007199254740992.0;
    return (uint64_t)((double)l->retry_ms * (1.0 + LEASE_JITTER_FACTOR * f));
}

static void round_done(struct kube_lease *l, bool ok)
{
    l->step = STEP_IDLE;
    if (l->stopping) {
        lease_finish_stop(l);
        return;
    }
    if (ok) {
        l->renew_started_ms = 0;
        if (!l->leading) {
            l->leading = true;
            ps_log(PS_LOG_INFO, "kube", "lease %s/%s: acquired as %s", l->ns, l->name, l->identity);
            if (l->o.on_started_leading)
                l->o.on_started_leading(l->o.data);
        }
        uv_timer_start(&l->timer, on_timer, (uint64_t)l->retry_ms, 0);
        return;
    }
    if (l->leading) {
        if (loop_now(l) - l->renew_started_ms >= l->deadline_ms) {
            l->leading = false;
            l->renew_started_ms = 0;
            ps_log(PS_LOG_WARN, "kube", "lease %s/%s: not renewed within %lld ms, leadership lost",
                   l->ns, l->name, (long long)l->deadline_ms);
            if (l->o.on_stopped_leading)
                l->o.on_stopped_leading(l->o.data);
            if (l->stopping)
                return;
            uv_timer_start(&l->timer, on_timer, jittered(l), 0);
            return;
        }
        uv_timer_start(&l->timer, on_timer, (uint64_t)l->retry_ms, 0);
        return;
    }
    uv_timer_start(&l->timer, on_timer, jittered(l), 0);
}

int kube_lease_start(struct kube_lease *l)
{
    if (!l || l->started || l->stopping)
        return PS_EINVAL;
    l->started = true;
    uv_timer_start(&l->timer, on_timer, 0, 0);
    return 0;
}

/* ---- stop and release ---------------------------------------------------- */

static void lease_closed(uv_handle_t *h)
{
    struct kube_lease *l = h->data;
    void (*cb)(void *) = l->stopped_cb;
    void *data = l->stopped_data;
    json_decref(l->cached);
    json_decref(l->observed);
    free(l->observed_holder);
    free(l->ns);
    free(l->name);
    free(l->identity);
    free(l->path);
    free(l->collection);
    free(l);
    if (cb)
        cb(data);
}

static void close_lease(struct kube_lease *l)
{
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->timer, lease_closed);
}

static void on_released(struct kube_response *resp, void *data)
{
    struct kube_lease *l = data;
    l->busy = false;
    if (resp->result)
        ps_log(PS_LOG_WARN, "kube", "lease: release: %s", resp->error);
    close_lease(l);
}

/* Runs once no request of ours is in flight. */
static void lease_finish_stop(struct kube_lease *l)
{
    bool was_leading = l->leading;
    l->leading = false;
    if (was_leading && l->o.on_stopped_leading)
        l->o.on_stopped_leading(l->o.data);
    if (was_leading && l->o.release_on_stop && l->cached) {
        /* client-go's release: empty holder, 1 s duration, transitions unchanged. */
        json_t *spec = json_object_get(l->cached, "spec");
        json_t *tr = json_object_get(spec, "leaseTransitions");
        char now[32];
        kube_format_microtime(ps_clock_now_ms(), now);
        json_t *rel =
            json_pack("{s:s, s:i, s:s, s:s, s:I}", "holderIdentity", "", "leaseDurationSeconds", 1,
                      "acquireTime", now, "renewTime", now, "leaseTransitions",
                      (json_int_t)(json_is_integer(tr) ? json_integer_value(tr) : 0));
        if (rel) {
            json_object_set_new(l->cached, "spec", rel);
            l->step = STEP_RELEASE;
            if (send_lease(l, "PUT", l->path, l->cached, on_released) == 0) {
                l->busy = true;
                return;
            }
        }
    }
    close_lease(l);
}

void kube_lease_stop(struct kube_lease *l, void (*stopped_cb)(void *data), void *data)
{
    if (!l || l->stopping)
        return;
    l->stopping = true;
    l->stopped_cb = stopped_cb;
    l->stopped_data = data;
    uv_timer_stop(&l->timer);
    if (!l->busy)
        lease_finish_stop(l);
    /* else the request in flight finishes the stop from its callback */
}
