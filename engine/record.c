/*
 * record.c - `podscaler record`: the poll loop (see record.h).
 *
 * One libuv loop carries the Kubernetes client (libcurl multi on libuv), a
 * repeating poll timer, an optional --duration timer and SIGINT/SIGTERM
 * handlers. A poll sends its three requests at once and, when the last answer
 * is in, decodes them (common/kube/decode*.c), maps pods to Deployments and
 * writes one store batch. A tick that finds the previous poll still in flight
 * is skipped rather than queued, so a slow server never builds a backlog.
 */
/* pipe2 is a GNU extension in glibc 2.36. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "podscaler/clock.h"
#include "podscaler/kobj.h"
#include "podscaler/kube.h"
#include "podscaler/log.h"
#include "podscaler/store.h"
#include "record.h"

#define MOD "record"

/* Items per page when listing pods and deployments: client-go's pager default. */
#define RECORD_LIST_LIMIT 500

/* ---- a small string-keyed hash map (open addressing, linear probing) ---- */

struct smap_entry {
    char *key; /* NULL: empty slot */
    int64_t v[4];
    uint64_t seen; /* the poll that last touched it */
};

struct smap {
    struct smap_entry *e;
    size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a 64 */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

static void smap_free(struct smap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->e[i].key);
    free(m->e);
    memset(m, 0, sizeof *m);
}

static struct smap_entry *smap_find(const struct smap *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->e[i].key)
            return NULL;
        if (strcmp(m->e[i].key, key) == 0)
            return &m->e[i];
    }
}

/* Moves an entry (key ownership included) into a table known to have room. */
static void smap_place(struct smap *m, const struct smap_entry *src)
{
    size_t i = hash_str(src->key) & (m->cap - 1);
    while (m->e[i].key)
        i = (i + 1) & (m->cap - 1);
    m->e[i] = *src;
    m->n++;
}

/* Rebuilds the table at cap slots, keeping only entries seen at or after keep_seen. */
static int smap_rebuild(struct smap *m, size_t cap, uint64_t keep_seen)
{
    struct smap nm = {calloc(cap, sizeof *nm.e), cap, 0};
    if (!nm.e)
        return PS_ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->e[i].key)
            continue;
        if (m->e[i].seen >= keep_seen)
            smap_place(&nm, &m->e[i]);
        else
            free(m->e[i].key);
    }
    free(m->e);
    *m = nm;
    return 0;
}

/* The entry for key, created (zeroed) when missing. NULL on allocation failure. */
static struct smap_entry *smap_get(struct smap *m, const char *key)
{
    struct smap_entry *e = smap_find(m, key);
    if (e)
        return e;
    if ((m->n + 1) * 4 > m->cap * 3) { /* keep the load under 3/4 */
        if (smap_rebuild(m, m->cap ? m->cap * 2 : 64, 0))
            return NULL;
    }
    struct smap_entry ne = {strdup(key), {0, 0, 0, 0}, 0};
    if (!ne.key)
        return NULL;
    smap_place(m, &ne);
    return smap_find(m, key);
}

/* ---- the recorder ---- */

enum { REQ_METRICS = 0, REQ_PODS, REQ_DEPLOYMENTS, REQ_N };
static const char *const req_names[REQ_N] = {"metrics", "pods", "deployments"};

struct recorder;

struct req_slot {
    struct recorder *r;
    int which;
    int rc;
    json_t *doc;
    char error[512];
};

struct recorder {
    const struct record_opts *o;
    uv_loop_t loop;
    uv_timer_t tick, stop_timer;
    uv_poll_t stop_poll; /* the read end of stop_pipe */
    int handles_open;
    struct kube_client *kc;
    struct store *st;
    char paths[REQ_N][512];

    int in_flight; /* requests of the current poll not answered yet */
    struct req_slot slots[REQ_N];
    int draining; /* --duration is over: finish the poll in flight, start no other */
    int stopping; /* shutting down: handles are being closed */
    int client_closed;
    int fatal; /* a store failure: exit 1 */

    /* The server's clock ahead of ours, from the newest metrics timestamp seen;
     * replica and resources rows use it so they line up with the samples even
     * when the cluster's clock is not ours (a simulated one, or skewed). */
    int64_t server_offset_ms;

    uint64_t poll_no;
    int64_t last_prune_s;  /* 0 before the first prune */
    struct smap resources; /* "workload\x1fpod\x1fcontainer" -> last row written */
    struct smap pod_owner; /* "ns/pod" -> deployment index + 1, rebuilt per poll */
    struct smap dep_index; /* "ns/deployment" -> deployment index + 1, rebuilt per poll */

    /* counters for the final summary */
    uint64_t polls, polls_ok, polls_skipped, metrics_failures, samples, replica_rows, resource_rows,
        bad_objects, unowned;
};

static void shutdown_all(struct recorder *r);

static void log_list_errors(const struct kobj_list_meta *lm)
{
    char line[1024];
    for (size_t i = 0; i < lm->n_errors; i++)
        ps_log(PS_LOG_WARN, MOD, "skipped %s",
               kobj_error_format(&lm->errors[i], line, sizeof line));
}

/* The Deployment (index into dl) a pod belongs to, or -1. The ReplicaSet a
 * Deployment creates is named <deployment>-<pod-template-hash> (the hash has
 * no '-'), so a pod whose controller is such a ReplicaSet is matched by name
 * through by_name ("ns/deployment" -> index + 1) in constant time; a pod
 * without an owner (or known only from its metrics labels) by the
 * Deployments' selectors. */
static int owner_of(const struct kobj_deployment_list *dl, const struct smap *by_name,
                    const char *ns, const struct kobj_label *labels, size_t n_labels,
                    const struct kobj_owner_ref *owners, size_t n_owners)
{
    const char *hash = kobj_label_get(labels, n_labels, "pod-template-hash");
    for (size_t k = 0; k < n_owners; k++) {
        const struct kobj_owner_ref *o = &owners[k];
        if (strcmp(o->kind, "ReplicaSet") != 0)
            continue;
        const char *dash = strrchr(o->name, '-');
        char key[600];
        if (!dash || dash == o->name || !dash[1] || (hash && strcmp(dash + 1, hash) != 0))
            return -1;
        int n = snprintf(key, sizeof key, "%s/%.*s", ns, (int)(dash - o->name), o->name);
        if (n < 0 || (size_t)n >= sizeof key)
            return -1;
        const struct smap_entry *e = smap_find(by_name, key);
        /* Owned by a ReplicaSet of no Deployment we know: a bare ReplicaSet. */
        return e ? (int)e->v[0] - 1 : -1;
    }
    if (n_owners > 0)
        return -1; /* a StatefulSet, Job, DaemonSet...: not a Deployment's */
    for (size_t i = 0; i < dl->n_items; i++) {
        const struct kobj_deployment *d = &dl->items[i];
        if (d->meta.ns && strcmp(d->meta.ns, ns) == 0 &&
            kobj_selector_matches(&d->selector, labels, n_labels))
            return (int)i;
    }
    return -1;
}

static int workload_name(char *buf, size_t cap, const struct kobj_deployment *d)
{
    if (!d->meta.ns)
        return PS_EINVAL;
    int n = snprintf(buf, cap, "%s/%s", d->meta.ns, d->meta.name);
    return n > 0 && (size_t)n < cap ? 0 : PS_ENOSPC;
}

/* The store's own message names the file already; without one, say which. */
static void log_store_failure(const struct recorder *r, const char *verb, int rc)
{
    const char *msg = store_errmsg(r->st);
    if (msg[0])
        ps_log_fatal(MOD, "cannot %s %s", verb, msg);
    else
        ps_log_fatal(MOD, "%s: cannot %s: %s", r->o->db, verb, store_strerror(rc));
}

/* Writes the poll; 0, or a store error (fatal). */
static int write_poll(struct recorder *r, const struct kobj_deployment_list *dl,
                      const struct kobj_pod_list *pl, const struct kobj_pod_metrics_list *ml,
                      int64_t t_s)
{
    struct store *st = r->st;
    char wl[600], key[1400];
    int rc = store_begin_batch(st);
    if (rc)
        return rc;
    int64_t t_first_s = t_s;
    for (size_t i = 0; ml && i < ml->n_items; i++)
        if (ml->items[i].timestamp_ms / 1000 < t_first_s)
            t_first_s = ml->items[i].timestamp_ms / 1000;

    smap_free(&r->dep_index);
    /* Replica counts: status.replicas, the count the HPA calls currentReplicas
     * (scale.status.replicas); spec.replicas until the controller has observed
     * the Deployment once. */
    for (size_t i = 0; i < dl->n_items && rc == 0; i++) {
        const struct kobj_deployment *d = &dl->items[i];
        if (workload_name(wl, sizeof wl, d)) {
            if (r->poll_no == 1)
                ps_log(PS_LOG_WARN, MOD, "skipped Deployment %s: .metadata.namespace: missing",
                       d->meta.name);
            continue;
        }
        struct smap_entry *de = smap_get(&r->dep_index, wl);
        if (!de) {
            rc = PS_ENOMEM;
            break;
        }
        de->v[0] = (int64_t)i + 1;
        int32_t n = d->observed_generation > 0 ? d->status_replicas : d->replicas;
        rc = store_add_replicas(st, wl, t_s, n);
        if (rc == 0)
            r->replica_rows++;
    }

    /* Pods: remember their owners for the samples; requests/limits when changed. */
    smap_free(&r->pod_owner);
    for (size_t i = 0; pl && i < pl->n_items && rc == 0; i++) {
        const struct kobj_pod *p = &pl->items[i];
        const char *ns = p->meta.ns ? p->meta.ns : "";
        int di = owner_of(dl, &r->dep_index, ns, p->meta.labels, p->meta.n_labels, p->meta.owners,
                          p->meta.n_owners);
        if (di < 0)
            continue;
        snprintf(key, sizeof key, "%s/%s", ns, p->meta.name);
        struct smap_entry *e = smap_get(&r->pod_owner, key);
        if (!e) {
            rc = PS_ENOMEM;
            break;
        }
        e->v[0] = di + 1; /* 0 would be indistinguishable from a fresh entry */
        if (workload_name(wl, sizeof wl, &dl->items[di]))
            continue;
        if (p->phase == KOBJ_PHASE_SUCCEEDED || p->phase == KOBJ_PHASE_FAILED)
            continue; /* its containers hold nothing any more */
        /* The containers, then the sidecars (init containers that keep running,
         * restartPolicy Always): both show up in the metrics. */
        for (size_t c = 0; c < p->n_containers + p->n_init_containers && rc == 0; c++) {
            const struct kobj_container *ct =
                c < p->n_containers ? &p->containers[c] : &p->init_containers[c - p->n_containers];
            if (c >= p->n_containers && !ct->sidecar)
                continue;
            int64_t v[4] = {ct->requests.cpu_milli, ct->requests.mem_bytes, ct->limits.cpu_milli,
                            ct->limits.mem_bytes};
            snprintf(key, sizeof key, "%s\x1f%s\x1f%s", wl, p->meta.name, ct->name);
            int fresh = smap_find(&r->resources, key) == NULL;
            e = smap_get(&r->resources, key);
            if (!e) {
                rc = PS_ENOMEM;
                break;
            }
            e->seen = r->poll_no;
            if (!fresh && memcmp(e->v, v, sizeof v) == 0)
                continue;
            memcpy(e->v, v, sizeof v);
            /* KOBJ_UNSET and STORE_NONE are both INT64_MIN: "not set". */
            /* A container seen for the first time gets its row from the oldest
             * sample of the poll on, so every sample of it has its requests. */
            int64_t t_row = fresh && t_first_s < t_s ? t_first_s : t_s;
            rc = store_add_resources(st, wl, p->meta.name, ct->name, t_row, v[0], v[1], v[2], v[3]);
            if (rc == 0)
                r->resource_rows++;
        }
    }

    /* Samples. */
    for (size_t i = 0; ml && i < ml->n_items && rc == 0; i++) {
        const struct kobj_pod_metrics *m = &ml->items[i];
        int di = -1;
        snprintf(key, sizeof key, "%s/%s", m->meta.ns, m->meta.name);
        const struct smap_entry *e = smap_find(&r->pod_owner, key);
        if (e)
            di = (int)e->v[0] - 1;
        else if (!pl) /* no pod list this poll: the metrics carry the pod's labels */
            di = owner_of(dl, &r->dep_index, m->meta.ns, m->meta.labels, m->meta.n_labels, NULL, 0);
        if (di < 0) {
            r->unowned++;
            continue;
        }
        if (workload_name(wl, sizeof wl, &dl->items[di]))
            continue;
        int64_t ts = m->timestamp_ms / 1000;
        for (size_t c = 0; c < m->n_containers && rc == 0; c++) {
            const struct kobj_container_usage *u = &m->containers[c];
            rc = store_add_sample(st, wl, m->meta.name, u->name, ts, u->cpu_milli, u->mem_bytes);
            if (rc == 0)
                r->samples++;
        }
    }

    if (rc) {
        store_rollback_batch(st);
        return rc;
    }
    rc = store_commit_batch(st);
    if (rc)
        return rc;
    /* Forget containers of pods gone for a while, so the cache does not grow
     * with every pod that ever lived. */
    if (r->resources.n > 1024 && r->poll_no % 64 == 0)
        smap_rebuild(&r->resources, r->resources.cap, r->poll_no > 8 ? r->poll_no - 8 : 0);
    return 0;
}

static void finish_poll(struct recorder *r)
{
    struct req_slot *ms = &r->slots[REQ_METRICS], *ps = &r->slots[REQ_PODS],
                    *ds = &r->slots[REQ_DEPLOYMENTS];
    struct kobj_error err;
    char line[1024];
    struct kobj_deployment_list dl = {0};
    struct kobj_pod_list pl = {0};
    struct kobj_pod_metrics_list ml = {0};
    int have_pods = 0, have_metrics = 0;

    if (r->stopping)
        goto out; /* canceled by a signal: the poll is dropped whole */
    r->polls++;
    if (ds->rc) {
        ps_log(PS_LOG_WARN, MOD, "poll %llu: cannot list deployments: %s; retrying next interval",
               (unsigned long long)r->poll_no, ds->error);
        goto out;
    }
    if (kobj_decode_deployment_list(ds->doc, &dl, &err)) {
        ps_log(PS_LOG_WARN, MOD, "poll %llu: %s", (unsigned long long)r->poll_no,
               kobj_error_format(&err, line, sizeof line));
        goto out;
    }
    log_list_errors(&dl.list);
    r->bad_objects += dl.list.n_errors;
    if (ps->rc) {
        ps_log(PS_LOG_WARN, MOD, "poll %llu: cannot list pods: %s; samples are matched by labels",
               (unsigned long long)r->poll_no, ps->error);
    } else if (kobj_decode_pod_list(ps->doc, &pl, &err)) {
        ps_log(PS_LOG_WARN, MOD, "poll %llu: %s", (unsigned long long)r->poll_no,
               kobj_error_format(&err, line, sizeof line));
    } else {
        have_pods = 1;
        log_list_errors(&pl.list);
        r->bad_objects += pl.list.n_errors;
    }
    if (ms->rc) {
        r->metrics_failures++;
        ps_log(PS_LOG_WARN, MOD, "poll %llu: metrics API unavailable: %s; retrying next interval",
               (unsigned long long)r->poll_no, ms->error);
    } else if (kobj_decode_pod_metrics_list(ms->doc, &ml, &err)) {
        r->metrics_failures++;
        ps_log(PS_LOG_WARN, MOD, "poll %llu: %s", (unsigned long long)r->poll_no,
               kobj_error_format(&err, line, sizeof line));
    } else {
        have_metrics = 1;
        log_list_errors(&ml.list);
        r->bad_objects += ml.list.n_errors;
    }

    int64_t now_ms = ps_clock_now_ms();
    if (have_metrics && ml.n_items > 0) {
        int64_t newest = ml.items[0].timestamp_ms;
        for (size_t i = 1; i < ml.n_items; i++)
            if (ml.items[i].timestamp_ms > newest)
                newest = ml.items[i].timestamp_ms;
        r->server_offset_ms = newest - now_ms;
    }
    int64_t t_s = (now_ms + r->server_offset_ms) / 1000;
    uint64_t samples_before = r->samples;
    int rc = write_poll(r, &dl, have_pods ? &pl : NULL, have_metrics ? &ml : NULL, t_s);
    if (rc) {
        log_store_failure(r, "write", rc);
        r->fatal = 1;
        shutdown_all(r);
        goto out;
    }
    r->polls_ok++;
    /* Retention: a recorder left running for weeks keeps the history bounded.
     * Hourly is often enough for a limit counted in days, and each prune is one
     * short transaction between polls. */
    if (r->o->retention_s > 0 && (r->last_prune_s == 0 || t_s - r->last_prune_s >= 3600)) {
        struct store_prune_stats ps_stats;
        rc = store_prune(r->st, t_s, r->o->retention_s, &ps_stats);
        if (rc) {
            log_store_failure(r, "prune", rc);
            r->fatal = 1;
            shutdown_all(r);
            goto out;
        }
        r->last_prune_s = t_s;
        if (ps_stats.samples)
            ps_log(PS_LOG_INFO, MOD, "pruned %lld samples older than %llds",
                   (long long)ps_stats.samples, (long long)r->o->retention_s);
    }
    ps_log(PS_LOG_DEBUG, MOD, "poll %llu: %zu deployments, %zu pods, %llu samples written",
           (unsigned long long)r->poll_no, dl.n_items, pl.n_items,
           (unsigned long long)(r->samples - samples_before));
out:
    kobj_deployment_list_free(&dl);
    kobj_pod_list_free(&pl);
    kobj_pod_metrics_list_free(&ml);
    for (int i = 0; i < REQ_N; i++) {
        json_decref(r->slots[i].doc);
        r->slots[i].doc = NULL;
    }
    if (r->draining && !r->stopping)
        shutdown_all(r);
}

static void slot_done(struct req_slot *s, struct kube_response *resp, json_t *doc)
{
    struct recorder *r = s->r;
    s->rc = resp->result;
    s->doc = doc;
    if (s->rc)
        snprintf(s->error, sizeof s->error, "%s",
                 resp->error[0] ? resp->error : kube_strerror(s->rc));
    if (--r->in_flight == 0)
        finish_poll(r);
}

static void on_list(struct kube_response *resp, void *list_json, void *data)
{
    slot_done(data, resp, list_json);
}

static void on_metrics(struct kube_response *resp, void *data)
{
    json_t *doc = NULL;
    if (resp->result == 0 && kube_response_json(resp, (void **)&doc))
        doc = NULL; /* resp->result and resp->error now say why */
    slot_done(data, resp, doc);
}

static void start_poll(struct recorder *r)
{
    if (r->stopping || r->draining)
        return;
    if (r->in_flight > 0) {
        r->polls_skipped++;
        ps_log(PS_LOG_WARN, MOD, "poll %llu still in flight at the next interval; skipping a tick",
               (unsigned long long)r->poll_no);
        return;
    }
    r->poll_no++;
    for (int i = 0; i < REQ_N; i++) {
        json_decref(r->slots[i].doc);
        r->slots[i] = (struct req_slot){.r = r, .which = i};
    }
    /* The metrics API is served by metrics-server behind the aggregator: no
     * pagination there (spec 3.1), and a failure is retried at the next tick,
     * so a single attempt. */
    struct kube_request_opts mo = {
        .method = "GET", .path = r->paths[REQ_METRICS], .max_attempts = 1};
    r->in_flight = REQ_N;
    int rcs[REQ_N];
    rcs[REQ_METRICS] = kube_request_start(r->kc, &mo, on_metrics, &r->slots[REQ_METRICS]);
    rcs[REQ_PODS] =
        kube_list_all(r->kc, r->paths[REQ_PODS], RECORD_LIST_LIMIT, on_list, &r->slots[REQ_PODS]);
    rcs[REQ_DEPLOYMENTS] = kube_list_all(r->kc, r->paths[REQ_DEPLOYMENTS], RECORD_LIST_LIMIT,
                                         on_list, &r->slots[REQ_DEPLOYMENTS]);
    /* A request that could not start has no callback coming: account for it here. */
    int done_now = 0;
    for (int i = 0; i < REQ_N; i++) {
        if (rcs[i] == 0)
            continue;
        r->slots[i].rc = rcs[i];
        snprintf(r->slots[i].error, sizeof r->slots[i].error, "cannot start the %s request: %s",
                 req_names[i], kube_strerror(rcs[i]));
        done_now++;
    }
    r->in_flight -= done_now;
    if (done_now > 0 && r->in_flight == 0)
        finish_poll(r);
}

static void on_tick(uv_timer_t *t)
{
    start_poll(t->data);
}

static void on_duration(uv_timer_t *t)
{
    struct recorder *r = t->data;
    ps_log(PS_LOG_INFO, MOD, "--duration reached; finishing");
    r->draining = 1;
    uv_timer_stop(&r->tick);
    if (r->in_flight == 0)
        shutdown_all(r);
}

/*
 * SIGINT and SIGTERM write their number into stop_pipe, and the loop reads it
 * (stop_poll). uv_signal would do the first part, but an exec credential plugin
 * runs on the loop's thread and blocks it (aws eks get-token takes a second or
 * two, a hung one up to the exec timeout): the pipe is also what the plugin's
 * run watches to give up at once (kube_client_opts.cancel_fd).
 */
static int stop_pipe[2] = {-1, -1};

static void on_stop_signal(int signum)
{
    const int saved = errno;
    const unsigned char b = (unsigned char)signum;
    /* A full pipe already holds a stop: nothing is lost by dropping this one. */
    (void)!write(stop_pipe[1], &b, 1);
    errno = saved;
}

static int catch_stop_signals(void)
{
    if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return -errno;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -errno;
    return 0;
}

/* Undoes catch_stop_signals at the end of a run. */
static void release_stop_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
        stop_pipe[i] = -1;
    }
}

static void on_stop_readable(uv_poll_t *p, int status, int events)
{
    struct recorder *r = p->data;
    unsigned char signum = 0;
    (void)status;
    (void)events;
    if (read(stop_pipe[0], &signum, 1) != 1)
        return;
    ps_log(PS_LOG_INFO, MOD, "%s received; stopping%s", signum == SIGINT ? "SIGINT" : "SIGTERM",
           r->in_flight ? " (dropping the poll in flight)" : "");
    shutdown_all(r);
}

static void on_handle_closed(uv_handle_t *h)
{
    struct recorder *r = h->data;
    r->handles_open--;
}

static void on_client_closed(void *data)
{
    struct recorder *r = data;
    r->client_closed = 1;
}

static void shutdown_all(struct recorder *r)
{
    if (r->stopping)
        return;
    r->stopping = 1;
    uv_timer_stop(&r->tick);
    uv_timer_stop(&r->stop_timer);
    uv_handle_t *hs[] = {(uv_handle_t *)&r->tick, (uv_handle_t *)&r->stop_timer,
                         (uv_handle_t *)&r->stop_poll};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++)
        if (!uv_is_closing(hs[i]))
            uv_close(hs[i], on_handle_closed);
    /* A second signal ends the process at once (the pipe stays open until the
     * loop is done). */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    /* Requests in flight are canceled; their callbacks come from the loop and
     * find r->stopping set. */
    kube_client_close(r->kc, on_client_closed, r);
}

/* Seeding the requests/limits cache from the database, so a resumed recording
 * does not repeat rows that are still in force. */
struct seed {
    struct recorder *r;
    char **keys; /* by container id, for ids below n */
    size_t n;
    int rc;
};

static int seed_container(void *ctx, int64_t id, const char *workload, const char *pod,
                          const char *container)
{
    struct seed *s = ctx;
    if (id < 0 || id > INT32_MAX)
        return 0;
    if ((size_t)id >= s->n) {
        size_t n = (size_t)id * 2 + 16;
        char **k = realloc(s->keys, n * sizeof *k);
        if (!k)
            return PS_ENOMEM;
        memset(k + s->n, 0, (n - s->n) * sizeof *k);
        s->keys = k;
        s->n = n;
    }
    size_t len = strlen(workload) + strlen(pod) + strlen(container) + 3;
    char *key = malloc(len);
    if (!key)
        return PS_ENOMEM;
    snprintf(key, len, "%s\x1f%s\x1f%s", workload, pod, container);
    free(s->keys[id]);
    s->keys[id] = key;
    return 0;
}

static int seed_resources(void *ctx, int64_t id, int64_t t_s, int64_t cpu_req, int64_t mem_req,
                          int64_t cpu_lim, int64_t mem_lim)
{
    struct seed *s = ctx;
    (void)t_s;
    if (id < 0 || (size_t)id >= s->n || !s->keys[id])
        return 0;
    /* Rows come in time order per container: the last one wins. */
    struct smap_entry *e = smap_get(&s->r->resources, s->keys[id]);
    if (!e)
        return PS_ENOMEM;
    e->v[0] = cpu_req;
    e->v[1] = mem_req;
    e->v[2] = cpu_lim;
    e->v[3] = mem_lim;
    return 0;
}

static int seed_cache(struct recorder *r)
{
    struct seed s = {r, NULL, 0, 0};
    int rc = store_for_each_container(r->st, seed_container, &s);
    if (rc == 0)
        rc = store_for_each_resources(r->st, seed_resources, &s);
    for (size_t i = 0; i < s.n; i++)
        free(s.keys[i]);
    free(s.keys);
    return rc;
}

static int build_paths(struct recorder *r, const char *ns)
{
    /* {all namespaces, prefix of a namespace, suffix of it} */
    static const char *const p[REQ_N][3] = {
        {"/apis/metrics.k8s.io/v1beta1/pods", "/apis/metrics.k8s.io/v1beta1/namespaces/", "/pods"},
        {"/api/v1/pods", "/api/v1/namespaces/", "/pods"},
        {"/apis/apps/v1/deployments", "/apis/apps/v1/namespaces/", "/deployments"},
    };
    for (int i = 0; i < REQ_N; i++) {
        int n = ns ? snprintf(r->paths[i], sizeof r->paths[i], "%s%s%s", p[i][1], ns, p[i][2])
                   : snprintf(r->paths[i], sizeof r->paths[i], "%s", p[i][0]);
        if (n < 0 || (size_t)n >= sizeof r->paths[i])
            return PS_ENOSPC;
    }
    return 0;
}

int record_run(const struct record_opts *o)
{
    struct recorder *r = calloc(1, sizeof *r);
    struct kube_config cfg;
    char err[1024] = "";
    int status = 1, rc;
    if (!r) {
        ps_log_fatal(MOD, "out of memory");
        return 1;
    }
    r->o = o;
    kube_config_init(&cfg);
    struct kube_load_opts lo = {.kubeconfig = o->kubeconfig, .context = o->context};
    rc = kube_config_load(&lo, &cfg, err, sizeof err);
    if (rc) {
        ps_log_fatal(MOD, "%s", err[0] ? err : kube_strerror(rc));
        goto out_cfg;
    }
    const char *ns = o->all_namespaces ? NULL : o->ns ? o->ns : cfg.namespace;
    if (!o->all_namespaces && (!ns || !ns[0]))
        ns = "default";
    if (build_paths(r, ns)) {
        ps_log_fatal(MOD, "namespace too long");
        goto out_cfg;
    }
    rc = store_open(o->db, STORE_RDWR | STORE_CREATE, &r->st, err, sizeof err);
    if (rc) {
        ps_log_fatal(MOD, "%s", err[0] ? err : store_strerror(rc));
        goto out_cfg;
    }
    if (store_opened_version(r->st) > 0 &&
        store_opened_version(r->st) < store_schema_version(r->st))
        ps_log(PS_LOG_INFO, MOD, "%s: history migrated from schema version %d to %d", o->db,
               store_opened_version(r->st), store_schema_version(r->st));
    rc = seed_cache(r);
    if (rc) {
        log_store_failure(r, "read", rc);
        goto out_store;
    }
    rc = uv_loop_init(&r->loop);
    if (rc) {
        ps_log_fatal(MOD, "cannot start the event loop: %s", uv_strerror(rc));
        goto out_store;
    }
    /* Requests give up within one interval or so: a poll that takes longer
     * than that is stale anyway, and the next tick tries again. */
    rc = catch_stop_signals();
    if (rc) {
        ps_log_fatal(MOD, "cannot catch SIGINT and SIGTERM: %s", strerror(-rc));
        goto out_loop;
    }
    struct kube_client_opts co = {
        .max_attempts = 3,
        .retry_budget_ms = o->interval_ms > 5000 ? o->interval_ms : 5000,
        .user_agent = "podscaler-record",
        .has_cancel_fd = true,
        .cancel_fd = stop_pipe[0],
    };
    rc = kube_client_new(&r->loop, &cfg, &co, &r->kc, err, sizeof err);
    if (rc) {
        ps_log_fatal(MOD, "%s", err[0] ? err : kube_strerror(rc));
        goto out_loop;
    }
    uv_timer_init(&r->loop, &r->tick);
    uv_timer_init(&r->loop, &r->stop_timer);
    uv_poll_init(&r->loop, &r->stop_poll, stop_pipe[0]);
    r->tick.data = r->stop_timer.data = r->stop_poll.data = r;
    r->handles_open = 3;
    uv_poll_start(&r->stop_poll, UV_READABLE, on_stop_readable);
    /* First poll at once, then every interval. */
    uv_timer_start(&r->tick, on_tick, 0, (uint64_t)o->interval_ms);
    if (o->duration_ms > 0)
        uv_timer_start(&r->stop_timer, on_duration, (uint64_t)o->duration_ms, 0);
    ps_log(PS_LOG_INFO, MOD, "recording %s every %lld ms into %s", ns ? ns : "all namespaces",
           (long long)o->interval_ms, o->db);

    uv_run(&r->loop, UV_RUN_DEFAULT);

    if (r->handles_open != 0 || !r->client_closed)
        ps_log_fatal(MOD, "the event loop ended with handles still open (a bug)");
    ps_log(PS_LOG_INFO, MOD,
           "%llu polls (%llu written, %llu skipped, %llu without metrics): %llu samples, "
           "%llu replica counts, %llu requests/limits rows; %llu bad objects skipped, "
           "%llu pods not owned by a Deployment",
           (unsigned long long)r->polls, (unsigned long long)r->polls_ok,
           (unsigned long long)r->polls_skipped, (unsigned long long)r->metrics_failures,
           (unsigned long long)r->samples, (unsigned long long)r->replica_rows,
           (unsigned long long)r->resource_rows, (unsigned long long)r->bad_objects,
           (unsigned long long)r->unowned);
    status = 0;
    if (r->fatal)
        status = 1;
    else if (r->polls > 0 && r->polls_ok == 0) {
        ps_log_fatal(MOD, "no poll succeeded");
        status = 1;
    }
    for (int i = 0; i < REQ_N; i++)
        json_decref(r->slots[i].doc);
out_loop:
    release_stop_signals();
    if (uv_loop_close(&r->loop) != 0) {
        ps_log_fatal(MOD, "the event loop did not close cleanly (a bug)");
        status = 1;
    }
out_store:
    store_close(r->st);
out_cfg:
    kube_config_fini(&cfg);
    smap_free(&r->resources);
    smap_free(&r->pod_owner);
    smap_free(&r->dep_index);
    free(r);
    return status;
}
