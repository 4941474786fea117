/*
 * kube.h - the Kubernetes API client (I/O shell, ps_common).
 *
 * Three parts:
 *
 *  1. Configuration (struct kube_config): where the API server is and how to
 *     authenticate, loaded from kubeconfig files (merged as kubectl merges
 *     them), from the pod's service account (in-cluster), or filled by hand.
 *     The struct is a caller-allocated value; every pointer in it is owned by
 *     it and released by kube_config_fini().
 *
 *  2. The client (struct kube_client, opaque): libcurl's multi interface driven
 *     by a libuv loop, so many requests are in flight at once on one thread.
 *     Credentials (static token, token file re-read as it rotates, exec plugin
 *     cached until expiry, client certificates) are handled inside. The client
 *     copies what it needs from the config; the config may be freed after
 *     kube_client_new(). Close it with kube_client_close() and let the loop run
 *     until close_cb: only then are its handles gone.
 *
 *  3. Requests: libuv style. kube_request_start() either returns an error (and
 *     the callback is never called) or calls the callback exactly once, from the
 *     loop, with the final outcome after retries. The response passed to the
 *     callback is owned by the library and valid only during the callback; to
 *     keep the body, take resp->body and set resp->body to NULL (free() it later).
 *     kube_request_sync() runs the loop until one request is done and gives the
 *     caller a response it owns (kube_response_fini()).
 *
 * Retries (all bounded by attempts and total time):
 *  - 429 on any method, 5xx and connection errors / timeouts on idempotent
 *    methods (GET, HEAD, PUT, DELETE), and 5xx on any method when the server
 *    sends Retry-After: exponential backoff with full jitter, or Retry-After
 *    seconds when the server gives them.
 *  - 401: credentials are refreshed once (exec plugin re-run ignoring its cache,
 *    token file re-read), then the request is retried; a second 401 fails.
 *  - 409 is not retried by a plain request: kube_update_with_retry() re-reads
 *    and re-applies the change instead.
 *
 * Leader election with a Lease is in kube_lease.h; the user guide is
 * docs/kubernetes.md.
 */
#ifndef PODSCALER_KUBE_H
#define PODSCALER_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "podscaler/error.h"

struct uv_loop_s;

/* kube-specific error codes (range reserved in error.h). */
enum {
    KUBE_ECONFIG = PS_ERANGE_KUBE_FIRST, /* kubeconfig missing, invalid or incomplete */
    KUBE_ENOTINCLUSTER = -601,           /* in-cluster environment not present */
    KUBE_EEXEC = -602,                   /* exec credential plugin failed */
    KUBE_ETRANSPORT = -603,              /* connection, TLS or protocol error */
    KUBE_ETOOBIG = -604,                 /* response larger than the configured cap */
    KUBE_EHTTP = -605,                   /* an HTTP error status not covered below */
    KUBE_EFORBIDDEN = -606,              /* 403 */
    KUBE_EEXPIRED = -607,                /* 410: resourceVersion or continue token expired */
    KUBE_EINVALID = -608,                /* 422: the server rejected the object */
    KUBE_ETHROTTLED = -609,              /* 429 after all retries */
    KUBE_EBADRESPONSE = -610,            /* a 2xx whose body is not what was expected */
    KUBE_ECANCELED = -611,               /* the client was closed before completion */
};

/* Falls back to ps_strerror() for the generic codes. Never NULL. */
const char *kube_strerror(int code);

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

enum kube_exec_interactive {
    KUBE_EXEC_INTERACTIVE_NEVER = 0,
    KUBE_EXEC_INTERACTIVE_IF_AVAILABLE,
    KUBE_EXEC_INTERACTIVE_ALWAYS,
};

/* A kubeconfig `user.exec` block (client.authentication.k8s.io v1 or v1beta1). */
struct kube_exec_config {
    char *api_version; /* "client.authentication.k8s.io/v1" or ".../v1beta1" */
    char *command;     /* resolved against the kubeconfig's folder when it has a '/' */
    char **args;       /* nargs strings */
    size_t nargs;
    char **env_names; /* nenv pairs added to our own environment */
    char **env_values;
    size_t nenv;
    char *install_hint; /* may be NULL */
    bool provide_cluster_info;
    enum kube_exec_interactive interactive;
    char
        *cluster_config_json; /* the cluster extension client.authentication.k8s.io/exec, or NULL */
};

struct kube_config {
    char *source; /* "in-cluster" or the kubeconfig file list, for messages */
    char *context, *cluster_name, *user_name; /* names chosen (NULL in-cluster) */
    char *server;                             /* base URL without trailing '/' */
    char *namespace;                          /* default namespace, never NULL once loaded */

    /* TLS: data wins over file; both NULL means the system roots. */
    char *ca_file;
    unsigned char *ca_data; /* PEM bytes, already base64-decoded */
    size_t ca_data_len;
    bool insecure_skip_tls_verify;
    char *tls_server_name;
    char *proxy_url;
    bool disable_compression;
    char *client_cert_file, *client_key_file;
    unsigned char *client_cert_data, *client_key_data; /* PEM bytes */
    size_t client_cert_data_len, client_key_data_len;

    /* Credentials, all applicable ones are used (exec only when none of the others). */
    char *token;
    char *token_file; /* re-read as it rotates (spec 4.2) */
    char *username, *password;
    char *impersonate_user;    /* as: Impersonate-User */
    char *impersonate_uid;     /* as-uid: Impersonate-Uid */
    char **impersonate_groups; /* as-groups: one Impersonate-Group header each */
    size_t nimpersonate_groups;
    char **impersonate_extra;      /* as-user-extra, flattened "key" "value" pairs */
    size_t nimpersonate_extra;     /* number of pairs */
    struct kube_exec_config *exec; /* NULL when none */
};

void kube_config_init(struct kube_config *cfg);
void kube_config_fini(struct kube_config *cfg);

/* Where and how to load. Every field may be zero/NULL. */
struct kube_load_opts {
    const char *kubeconfig;     /* --kubeconfig: only this file, it must exist */
    const char *context;        /* --context: overrides current-context */
    const char *kubeconfig_env; /* value of KUBECONFIG; NULL: read the environment */
    const char *home;           /* NULL: $HOME, for ~/.kube/config */
    bool no_in_cluster;         /* do not fall back to the service account */
    const char *sa_dir;         /* service-account folder, see kube_config_load_in_cluster */
};

/*
 * kubectl's order: --kubeconfig; else KUBECONFIG (':'-separated, duplicates
 * and missing files skipped, existing ones merged: the first file that names
 * a cluster/user/context or sets current-context wins; PS_ENOENT when none of
 * them exists, without looking further); else ~/.kube/config;
 * else in-cluster when KUBERNETES_SERVICE_HOST is set. On failure err holds a
 * message naming the file and field. Returns 0, KUBE_ECONFIG, PS_ENOENT, ...
 */
int kube_config_load(const struct kube_load_opts *opts, struct kube_config *cfg, char *err,
                     size_t errlen);

/* Merges the given files in order (missing ones are an error here). */
int kube_config_load_files(const char *const *paths, size_t npaths, const char *context,
                           struct kube_config *cfg, char *err, size_t errlen);

/* Parses one kubeconfig held in memory; `name` is used in messages and `dir`
 * (may be NULL: the current folder) resolves relative paths. */
int kube_config_load_buffer(const char *name, const char *dir, const char *text, size_t len,
                            const char *context, struct kube_config *cfg, char *err, size_t errlen);

/*
 * The pod's service account: KUBERNETES_SERVICE_HOST/PORT, and token, ca.crt,
 * namespace under sa_dir (NULL: $PODSCALER_SERVICEACCOUNT_DIR, else
 * /var/run/secrets/kubernetes.io/serviceaccount). POD_NAMESPACE overrides the
 * namespace file. The token is configured as a token file, re-read as it rotates.
 */
int kube_config_load_in_cluster(const char *sa_dir, struct kube_config *cfg, char *err,
                                size_t errlen);

#define KUBE_SERVICEACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* ------------------------------------------------------------------------ */
/* Status objects                                                           */
/* ------------------------------------------------------------------------ */

struct kube_status_cause {
    char *reason, *message, *field;
};

/* A decoded meta/v1 Status (spec section 5). Strings are "" when absent. */
struct kube_status {
    bool present; /* the body was a Status object */
    char *status, *reason, *message;
    int code;
    char *name, *group, *kind; /* details */
    int retry_after_s;         /* details.retryAfterSeconds */
    struct kube_status_cause *causes;
    size_t ncauses;
    char *continue_token; /* metadata.continue (410 on an expired continue) */
};

/* Decodes a Status from a body; 0, or KUBE_EBADRESPONSE when the body is not
 * a Status (out is then zeroed with empty strings). */
int kube_status_decode(const char *body, size_t len, struct kube_status *out);
void kube_status_fini(struct kube_status *st);
/* The client-go reason for an HTTP code when the body is not a Status. */
const char *kube_reason_for_code(long http_code, const char *method);
/* The error code a failed HTTP status maps to (PS_ENOENT for 404, ...). */
int kube_error_for_http(long http_code, const char *reason);

/* ------------------------------------------------------------------------ */
/* Client and requests                                                      */
/* ------------------------------------------------------------------------ */

struct kube_client;

struct kube_client_opts {
    size_t max_response_bytes; /* 0: KUBE_DEFAULT_MAX_RESPONSE */
    int64_t timeout_ms;        /* per attempt; 0: KUBE_DEFAULT_TIMEOUT_MS */
    int max_attempts;          /* 0: KUBE_DEFAULT_MAX_ATTEMPTS */
    int64_t backoff_base_ms;   /* 0: KUBE_DEFAULT_BACKOFF_BASE_MS */
    int64_t backoff_max_ms;    /* 0: KUBE_DEFAULT_BACKOFF_MAX_MS */
    int64_t retry_budget_ms;   /* total time over all attempts; 0: default */
    int64_t exec_timeout_ms;   /* exec plugin run; 0: KUBE_DEFAULT_EXEC_TIMEOUT_MS */
    /* With has_cancel_fd: an exec plugin run is abandoned once cancel_fd is
     * readable (kube_exec_run). A program that stops on a signal makes the
     * signal write to it: the run blocks the loop the signal would go to. */
    bool has_cancel_fd;
    int cancel_fd;
    const char *user_agent; /* NULL: "podscaler" */
    /* Injectable for tests; NULL: real ones. rand returns uniform 64 bits;
     * now_ms is wall time (exec expiry, token file age). */
    uint64_t (*rand_fn)(void *data);
    void *rand_data;
    int64_t (*now_ms_fn)(void *data);
    void *now_data;
};

#define KUBE_DEFAULT_MAX_RESPONSE    ((size_t)64 << 20)
#define KUBE_DEFAULT_TIMEOUT_MS      30000
#define KUBE_DEFAULT_MAX_ATTEMPTS    6
#define KUBE_DEFAULT_BACKOFF_BASE_MS 200
#define KUBE_DEFAULT_BACKOFF_MAX_MS  30000
#define KUBE_DEFAULT_RETRY_BUDGET_MS 120000
#define KUBE_DEFAULT_EXEC_TIMEOUT_MS 60000
/* Beyond this a Retry-After is capped (a misbehaving proxy must not park us for hours). */
#define KUBE_MAX_RETRY_AFTER_S 120

/* Patch media types (spec 8.3). */
#define KUBE_PATCH_JSON      "application/json-patch+json"
#define KUBE_PATCH_MERGE     "application/merge-patch+json"
#define KUBE_PATCH_STRATEGIC "application/strategic-merge-patch+json"
#define KUBE_PATCH_APPLY     "application/apply-patch+yaml"

/* opts may be NULL. On error err names the cause (e.g. an unreadable CA file). */
int kube_client_new(struct uv_loop_s *loop, const struct kube_config *cfg,
                    const struct kube_client_opts *opts, struct kube_client **out, char *err,
                    size_t errlen);
/* Cancels every request in flight (their callbacks get KUBE_ECANCELED), closes
 * the handles, and calls close_cb (may be NULL) from the loop once the client
 * is freed. */
void kube_client_close(struct kube_client *c, void (*close_cb)(void *data), void *data);
/* Runs the loop until the client is closed; for tools and tests. */
void kube_client_free_sync(struct kube_client *c);

/* The loop the client runs on. */
struct uv_loop_s *kube_client_loop(const struct kube_client *c);
/* The default namespace of the loaded config. */
const char *kube_client_namespace(const struct kube_client *c);
/* Counters for tests and metrics. */
struct kube_client_stats {
    uint64_t requests, attempts, retries, exec_runs, token_reads, auth_refreshes;
    int max_in_flight;
};
void kube_client_get_stats(const struct kube_client *c, struct kube_client_stats *out);

struct kube_response {
    int result;          /* 0, or the error (kube_strerror) */
    char *method, *path; /* of the request, for messages */
    long http_status;    /* 0 when no response arrived */
    char *body;          /* NUL-terminated; may be stolen in a callback */
    size_t body_len;
    char *content_type; /* may be NULL */
    int retry_after_s;  /* Retry-After of the last response, -1 if none */
    int attempts;
    struct kube_status status; /* decoded for non-2xx Status bodies */
    char error[512];           /* "GET /api/v1/...: 404 NotFound: pods \"y\" not found" */
};

void kube_response_fini(struct kube_response *resp);

struct kube_request_opts {
    const char *method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *path;   /* "/api/v1/...?query" appended to the server URL */
    const char *body;   /* copied; may be NULL */
    size_t body_len;
    const char *content_type; /* NULL: application/json when there is a body */
    int64_t timeout_ms;       /* 0: the client's */
    int max_attempts;         /* 0: the client's; 1 disables retries */
};

struct kube_request;
typedef void (*kube_done_cb)(struct kube_response *resp, void *data);

/* cb may be NULL (fire and forget). Never calls cb before returning. */
int kube_request_start(struct kube_client *c, const struct kube_request_opts *o, kube_done_cb cb,
                       void *data);
int kube_get(struct kube_client *c, const char *path, kube_done_cb cb, void *data);
int kube_patch(struct kube_client *c, const char *path, const char *patch_type, const char *body,
               kube_done_cb cb, void *data);

/* Runs the client's loop until the request is done. out is the caller's. The
 * return value is out->result. Never call it (or any *_sync) from a callback:
 * the loop is already running there. */
int kube_request_sync(struct kube_client *c, const struct kube_request_opts *o,
                      struct kube_response *out);

/* Parses resp->body as a JSON object (jansson json_t *, returned as void * so
 * this header does not pull in jansson). On failure fills resp->error. */
int kube_response_json(struct kube_response *resp, void **json_out);

/*
 * LIST every page: path is a collection path (may already carry a query);
 * `limit` per page (0: 500, client-go's pager). On 410 Expired with a continue
 * token the list restarts from scratch, at most KUBE_LIST_MAX_RESTARTS times.
 * The callback receives a list object {"kind", "apiVersion", "metadata":
 * {"resourceVersion"}, "items": [...all pages...]} as a json_t * (the
 * callback owns it, json_decref it) or NULL with resp->result set.
 */
#define KUBE_LIST_MAX_RESTARTS 3
typedef void (*kube_list_cb)(struct kube_response *resp, void *list_json, void *data);
int kube_list_all(struct kube_client *c, const char *path, int limit, kube_list_cb cb, void *data);
/* Synchronous form; *list_json is the caller's (json_decref). */
int kube_list_all_sync(struct kube_client *c, const char *path, int limit,
                       struct kube_response *out, void **list_json);

/*
 * Optimistic concurrency: GET path, call mutate(obj) on the decoded object,
 * PUT it back (with the resourceVersion it was read at); on 409 Conflict start
 * over, at most max_attempts times (0: 5, client-go's RetryOnConflict). mutate
 * returns 0 to write, 1 to stop without writing (the callback then gets the
 * object as read, result 0), or a negative error to stop. The callback gets
 * the final response (the PUT's, or the GET's). `data` goes to both mutate and cb.
 */
typedef int (*kube_mutate_fn)(void *obj_json, void *data);
int kube_update_with_retry(struct kube_client *c, const char *path, kube_mutate_fn mutate,
                           int max_attempts, kube_done_cb cb, void *data);
int kube_update_with_retry_sync(struct kube_client *c, const char *path, kube_mutate_fn mutate,
                                void *data, int max_attempts, struct kube_response *out);

/*
 * WATCH a collection (spec 7): GET path?watch=true&timeoutSeconds=..., one
 * JSON event per line. on_event(type, object, data) runs for every event as it
 * arrives (type "ADDED", "MODIFIED", "DELETED", "BOOKMARK" or "ERROR"; object
 * is a borrowed json_t *, valid during the call); returning nonzero stops the
 * watch. on_done runs once at the end: result 0 when the server closed the
 * stream (timeoutSeconds), KUBE_EEXPIRED for a 410 (HTTP or ERROR event: relist),
 * KUBE_ECANCELED when stopped, another error otherwise. Watches are never
 * retried: the caller (a list+watch loop) decides. *out (may be NULL) is a
 * handle for kube_request_cancel(), valid until on_done has run. From an event
 * callback, return nonzero (or cancel) rather than closing the client.
 */
struct kube_watch_opts {
    const char *path;             /* collection path, may carry labelSelector etc. */
    const char *resource_version; /* NULL: from now, with ADDED events for what exists */
    bool bookmarks;               /* allowWatchBookmarks=true */
    int timeout_s;                /* 0: random in [300, 600), as client-go's reflector */
};
typedef int (*kube_watch_event_cb)(const char *type, void *object_json, void *data);
int kube_watch_start(struct kube_client *c, const struct kube_watch_opts *o,
                     kube_watch_event_cb on_event, kube_done_cb on_done, void *data,
                     struct kube_request **out);
/* Ends a request or watch early; its callback gets KUBE_ECANCELED (from the loop). */
void kube_request_cancel(struct kube_request *r);

/* ------------------------------------------------------------------------ */
/* Pieces exposed for tests and tools                                       */
/* ------------------------------------------------------------------------ */

/* Full-jitter backoff for retry `attempt` (1 = first retry): uniform in
 * [0, min(max_ms, base_ms * 2^(attempt-1))], from the 64-bit random r. When
 * retry_after_s >= 0 the server's value wins (capped at KUBE_MAX_RETRY_AFTER_S). */
int64_t kube_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, int retry_after_s,
                        uint64_t r);

/* Parses an RFC 3339 time into ms since the epoch. */
int kube_parse_rfc3339_ms(const char *text, int64_t *out_ms);

/* A credential from an exec plugin. */
struct kube_exec_credential {
    char *token;           /* or NULL */
    char *client_cert_pem; /* or NULL (both or neither with the key) */
    char *client_key_pem;
    int64_t expiry_ms; /* 0: never expires */
};
void kube_exec_credential_fini(struct kube_exec_credential *cred);
/* Runs the plugin once (blocking, at most timeout_ms) and validates its output.
 * cancel_fd, when not -1, is watched while the plugin runs: once it is readable
 * the plugin is killed and the run fails with KUBE_ECANCELED (nothing is read
 * from it). The run blocks the loop, so a signal the loop would see waits for
 * it otherwise. */
int kube_exec_run(const struct kube_exec_config *exec, const struct kube_config *cluster,
                  int64_t timeout_ms, int cancel_fd, struct kube_exec_credential *out, char *err,
                  size_t errlen);
/* Validates an ExecCredential document against the configured apiVersion. */
int kube_exec_parse(const char *api_version, const char *text, size_t len,
                    struct kube_exec_credential *out, char *err, size_t errlen);

#endif
