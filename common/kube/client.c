/*
 * The Kubernetes API client: libcurl's multi interface driven by a libuv loop
 * (CURLMOPT_SOCKETFUNCTION → uv_poll per socket, CURLMOPT_TIMERFUNCTION → one
 * uv_timer), requests with retries and backoff, credentials.
 *
 * Life of a request: kube_request_start() allocates it and arms its own
 * uv_timer at 0 ms, so every attempt, and the completion callback, run from the
 * loop (never from inside the start call). An attempt gathers credentials, builds
 * a curl easy handle and adds it to the multi handle; when curl reports it
 * done, the outcome is classified (success, retry after a delay on the same
 * timer, or final), and a final outcome calls the callback and closes the timer,
 * whose close callback frees the request.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include "kube_int.h"
#include "podscaler/clock.h"
#include "podscaler/log.h"

/* client-go re-reads a token file after a minute minus 10 s of leeway (spec 4.2). */
#define TOKEN_FILE_REREAD_MS 50000
#define TOKEN_FILE_MAX       (1u << 20)
/* Connections per API server. Over HTTP/2 (real API servers) everything is
 * multiplexed on one; over HTTP/1.1 more transfers than this wait in curl's
 * queue instead of opening hundreds of sockets. client-go leaves it unbounded
 * but keeps 25 idle (MaxIdleConnsPerHost); 64 is generous for a controller. */
#define MAX_HOST_CONNECTIONS 64

enum req_state { REQ_WAITING, REQ_IN_CURL, REQ_CANCELED, REQ_DONE };

struct kpoll {
    uv_poll_t h;
    curl_socket_t fd;
    struct kube_client *c;
    struct kpoll *prev, *next;
};

struct kube_request {
    struct kube_client *c;
    struct kube_request *prev, *next;
    char *method, *path, *body, *content_type;
    size_t body_len;
    int64_t timeout_ms;
    int max_attempts;
    kube_done_cb cb;
    void *data;

    enum req_state state;
    uv_timer_t timer;
    CURL *easy;
    struct curl_slist *hdrs;
    char *rbuf;
    size_t rlen, rcap;
    bool too_big;
    int retry_after_s;
    char *resp_ctype;
    char errbuf[CURL_ERROR_SIZE];

    int attempt;
    int64_t start_mono_ms;
    uint64_t cred_gen_used;
    bool auth_refreshed;
    int final_rc; /* set when a cancel or an early failure is pending */
    char final_err[384];

    /* watch streams: events are split on newlines as they arrive */
    kube_watch_event_cb on_event;
    bool stream_stop; /* the event callback or kube_request_cancel asked to stop */
    int stream_rc;    /* why the stream was cut by us */
    char stream_err[384];
    uint64_t events;
};

struct kube_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int open_handles;
    bool closing, torn_down;
    void (*close_cb)(void *);
    void *close_data;
    struct kube_request *reqs;
    size_t nreqs;
    int in_curl;
    int in_write_cb;    /* inside a watch event callback (curl write callback) */
    bool close_pending; /* kube_client_close() was called from there */
    struct kpoll *polls;

    struct kube_config cfg;
    struct kube_client_opts opts;
    char *base_url;
    struct curl_slist *connect_to;
    char *host_header; /* with tls-server-name: "Host: " the server URL's host[:port] */
    char *curl_proxy;  /* cfg.proxy_url as libcurl is to read it (proxy_for_curl) */
    char *user_agent;

    /* credentials */
    char *file_token;
    int64_t file_token_read_ms;
    bool file_token_stale;
    struct kube_exec_credential exec_cred;
    bool exec_valid;
    uint64_t cred_gen;

    struct kube_client_stats stats;
};

static uint64_t default_rand(void *data)
{
    (void)data;
    /* Backoff jitter only needs to de-synchronise clients; xorshift seeded from time. */
    static uint64_t s;
    if (!s)
        s = (uint64_t)ps_clock_now_ms() * 0x9E3779B97F4A7C15ull | 1;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

static int64_t default_now(void *data)
{
    (void)data;
    return ps_clock_now_ms();
}

int64_t kube_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, int retry_after_s, uint64_t r)
{
    if (retry_after_s >= 0) {
        int s = retry_after_s > KUBE_MAX_RETRY_AFTER_S ? KUBE_MAX_RETRY_AFTER_S : retry_after_s;
        return (int64_t)s * 1000;
    }
    if (attempt < 1)
        attempt = 1;
    if (base_ms < 1)
        base_ms = 1;
    int64_t cap = base_ms;
    for (int i = 1; i < attempt && cap < max_ms; i++)
        cap *= 2;
    if (cap > max_ms)
        cap = max_ms;
    /* Full jitter (AWS architecture blog, "Exponential Backoff and Jitter"). */
    return (int64_t)(r % (uint64_t)(cap + 1));
}

/* ---- handle bookkeeping ----------------------------------------------- */

static void teardown(struct kube_client *c);

static void client_maybe_free(struct kube_client *c)
{
    if (!c->torn_down || c->open_handles > 0)
        return;
    void (*cb)(void *) = c->close_cb;
    void *data = c->close_data;
    kube_config_fini(&c->cfg);
    kube_exec_credential_fini(&c->exec_cred);
    free(c->file_token);
    free(c->base_url);
    free(c->user_agent);
    curl_slist_free_all(c->connect_to);
    free(c->host_header);
    free(c->curl_proxy);
    free(c);
    if (cb)
        cb(data);
}

static void handle_closed(uv_handle_t *h)
{
    struct kube_client *c = h->data;
    c->open_handles--;
    client_maybe_free(c);
}

static void poll_closed(uv_handle_t *h)
{
    struct kpoll *p = (struct kpoll *)h;
    struct kube_client *c = p->c;
    free(p);
    c->open_handles--;
    client_maybe_free(c);
}

/* ---- curl ↔ uv ------------------------------------------------------ */

static void check_multi_info(struct kube_client *c);
static void run_pending_close(struct kube_client *c);

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct kpoll *p = (struct kpoll *)h;
    struct kube_client *c = p->c;
    int flags = 0, running;
    if (!c->multi)
        return;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->multi, p->fd, flags, &running);
    check_multi_info(c);
    run_pending_close(c);
}

static void poll_unlink_close(struct kube_client *c, struct kpoll *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        c->polls = p->next;
    if (p->next)
        p->next->prev = p->prev;
    uv_poll_stop(&p->h);
    uv_close((uv_handle_t *)&p->h, poll_closed);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    struct kube_client *c = userp;
    struct kpoll *p = socketp;
    if (what == CURL_POLL_REMOVE) {
        if (p) {
            curl_multi_assign(c->multi, s, NULL);
            poll_unlink_close(c, p);
        }
        return 0;
    }
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p)
            return -1;
        if (uv_poll_init_socket(c->loop, &p->h, s) != 0) {
            free(p);
            return -1;
        }
        p->fd = s;
        p->c = c;
        p->h.data = c;
        p->next = c->polls;
        if (c->polls)
            c->polls->prev = p;
        c->polls = p;
        c->open_handles++;
        curl_multi_assign(c->multi, s, p);
    }
    int ev = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= UV_WRITABLE;
    uv_poll_start(&p->h, ev, on_poll);
    return 0;
}

static void on_curl_timeout(uv_timer_t *t)
{
    struct kube_client *c = t->data;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info(c);
    run_pending_close(c);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct kube_client *c = userp;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- client ------------------------------------------------------------ */

/* The token of a token file, without the surrounding whitespace (the final
 * newline editors add). 0 with *tok; PS_ENOENT for an empty file; PS_EIO when
 * it cannot be read; PS_EPARSE when the token holds a control character: it goes
 * into the Authorization header, where a CR or LF would end it and start another. */
static int read_token_file(const char *path, char **tok)
{
    char *text = NULL;
    size_t len = 0;
    *tok = NULL;
    int rc = kube_read_file(path, TOKEN_FILE_MAX, &text, &len);
    if (rc)
        return rc == PS_ENOMEM ? rc : PS_EIO;
    size_t b = 0, e = len;
    while (b < e && (text[b] == ' ' || text[b] == '\n' || text[b] == '\r' || text[b] == '\t'))
        b++;
    while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\n' || text[e - 1] == '\r' ||
                     text[e - 1] == '\t'))
        e--;
    if (b == e)
        rc = PS_ENOENT;
    else if (ps_ctl_at(text + b, e - b) < e - b)
        rc = PS_EPARSE;
    else if (!(*tok = strndup(text + b, e - b)))
        rc = PS_ENOMEM;
    free(text);
    return rc;
}

static const char *token_file_problem(int rc)
{
    return rc == PS_ENOENT   ? "empty"
           : rc == PS_EPARSE ? "the token holds a control character, which cannot go in an HTTP "
                               "header"
           : rc == PS_ENOMEM ? "out of memory"
                             : "cannot read";
}

/* Go's SOCKS5 dialer sends the host name to the proxy, which resolves it: that
 * is libcurl's socks5h. Its socks5 resolves here, and a name only the proxy's
 * side knows (a private API endpoint behind an SSH tunnel, kubectl's usual
 * case) would not resolve. Other schemes are given as they are. */
static char *proxy_for_curl(const char *proxy_url)
{
    if (strncasecmp(proxy_url, "socks5://", 9) != 0)
        return strdup(proxy_url);
    size_t n = strlen(proxy_url) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "socks5h://%s", proxy_url + 9);
    return p;
}

/* tls-server-name: the URL carries that name (SNI and verification) and
 * CURLOPT_CONNECT_TO sends the connection to the real host. The Host header
 * stays the server's, as client-go's (the name only sets TLS's ServerName): a
 * proxy or load balancer in front of the API server may route by it. */
static int setup_server_name(struct kube_client *c, char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *given_port = NULL, *url = NULL;
    int rc = KUBE_ECONFIG;
    if (!u)
        return PS_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, c->cfg.server, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        kube_errf(err, errlen, "%s: server \"%s\" is not a valid URL", c->cfg.source,
                  c->cfg.server);
        goto out;
    }
    /* The port as the URL wrote it (none when it is the scheme's default). */
    (void)curl_url_get(u, CURLUPART_PORT, &given_port, 0);
    if (c->cfg.tls_server_name && *c->cfg.tls_server_name) {
        char line[1024];
        snprintf(line, sizeof line, "%s:%s:%s:%s", c->cfg.tls_server_name, port, host, port);
        if (curl_url_set(u, CURLUPART_HOST, c->cfg.tls_server_name, 0) != CURLUE_OK ||
            curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
            kube_errf(err, errlen, "%s: tls-server-name \"%s\" is not a valid host name",
                      c->cfg.source, c->cfg.tls_server_name);
            goto out;
        }
        c->connect_to = curl_slist_append(NULL, line);
        c->base_url = strdup(url);
        size_t hn = strlen(host) + (given_port ? strlen(given_port) : 0) + 16;
        c->host_header = malloc(hn);
        if (c->host_header)
            snprintf(c->host_header, hn, "Host: %s%s%s", host, given_port ? ":" : "",
                     given_port ? given_port : "");
        if (!c->connect_to || !c->host_header) {
            rc = PS_ENOMEM;
            goto out;
        }
    } else {
        c->base_url = strdup(c->cfg.server);
    }
    rc = c->base_url ? 0 : PS_ENOMEM;
    if (c->base_url) {
        size_t n = strlen(c->base_url);
        while (n > 0 && c->base_url[n - 1] == '/')
            c->base_url[--n] = '\0';
    }
out:
    curl_free(host);
    curl_free(port);
    curl_free(given_port);
    curl_free(url);
    curl_url_cleanup(u);
    return rc;
}

int kube_client_new(uv_loop_t *loop, const struct kube_config *cfg,
                    const struct kube_client_opts *opts, struct kube_client **out, char *err,
                    size_t errlen)
{
    static bool curl_ready;
    *out = NULL;
    if (!loop || !cfg || !cfg->server) {
        kube_errf(err, errlen, "kube client: no loop or no server configured");
        return PS_EINVAL;
    }
    if (!curl_ready) {
        /* Once per process, before any other curl call; the client is single-threaded. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            kube_errf(err, errlen, "kube client: libcurl initialisation failed");
            return KUBE_ETRANSPORT;
        }
        curl_ready = true;
    }
    struct kube_client *c = calloc(1, sizeof *c);
    if (!c)
        return PS_ENOMEM;
    c->loop = loop;
    if (opts)
        c->opts = *opts;
    struct kube_client_opts *o = &c->opts;
    if (!o->max_response_bytes)
        o->max_response_bytes = KUBE_DEFAULT_MAX_RESPONSE;
    if (o->timeout_ms <= 0)
        o->timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
    if (o->max_attempts <= 0)
        o->max_attempts = KUBE_DEFAULT_MAX_ATTEMPTS;
    if (o->backoff_base_ms <= 0)
        o->backoff_base_ms = KUBE_DEFAULT_BACKOFF_BASE_MS;
    if (o->backoff_max_ms <= 0)
        o->backoff_max_ms = KUBE_DEFAULT_BACKOFF_MAX_MS;
    if (o->retry_budget_ms <= 0)
        o->retry_budget_ms = KUBE_DEFAULT_RETRY_BUDGET_MS;
    if (o->exec_timeout_ms <= 0)
        o->exec_timeout_ms = KUBE_DEFAULT_EXEC_TIMEOUT_MS;
    if (!o->rand_fn)
        o->rand_fn = default_rand;
    if (!o->now_ms_fn)
        o->now_ms_fn = default_now;
    c->user_agent = strdup(o->user_agent ? o->user_agent : "podscaler");
    o->user_agent = NULL;
    int rc = kube_config_copy(cfg, &c->cfg);
    if (rc || !c->user_agent) {
        kube_errf(err, errlen, "kube client: out of memory");
        kube_config_fini(&c->cfg);
        free(c->user_agent);
        free(c);
        return PS_ENOMEM;
    }
    rc = setup_server_name(c, err, errlen);
    if (!rc && c->cfg.proxy_url && !(c->curl_proxy = proxy_for_curl(c->cfg.proxy_url))) {
        kube_errf(err, errlen, "kube client: out of memory");
        rc = PS_ENOMEM;
    }
    if (!rc && c->cfg.ca_file && access(c->cfg.ca_file, R_OK) != 0) {
        kube_errf(err, errlen, "%s: certificate-authority %s: cannot read", c->cfg.source,
                  c->cfg.ca_file);
        rc = KUBE_ECONFIG;
    }
    if (!rc && c->cfg.client_cert_file && !c->cfg.client_cert_data &&
        (access(c->cfg.client_cert_file, R_OK) != 0 ||
         (c->cfg.client_key_file && access(c->cfg.client_key_file, R_OK) != 0))) {
        kube_errf(err, errlen, "%s: client-certificate %s or its key: cannot read", c->cfg.source,
                  c->cfg.client_cert_file);
        rc = KUBE_ECONFIG;
    }
    if (!rc && c->cfg.token_file) {
        /* Only the first read of a token file is fatal (spec 4.2); an empty file
         * may be the kubelet mid-write, so it is left to the first request. */
        char *tok;
        int trc = read_token_file(c->cfg.token_file, &tok);
        if (trc && trc != PS_ENOENT && !c->cfg.token) {
            kube_errf(err, errlen, "%s: tokenFile %s: %s", c->cfg.source, c->cfg.token_file,
                      token_file_problem(trc));
            rc = trc == PS_ENOMEM ? trc : PS_EAUTH;
        }
        free(tok);
    }
    if (!rc &&
        (c->cfg.ca_data || c->cfg.client_cert_data || c->cfg.client_key_data || c->cfg.exec)) {
        /* Inline PEM needs the *_BLOB options (libcurl >= 7.77 with OpenSSL, as
         * Debian's libcurl4-openssl-dev): refuse early rather than connect unverified. */
        CURL *probe = curl_easy_init();
        struct curl_blob b = {(void *)"x", 1, CURL_BLOB_COPY};
        if (!probe || curl_easy_setopt(probe, CURLOPT_CAINFO_BLOB, &b) != CURLE_OK ||
            curl_easy_setopt(probe, CURLOPT_SSLCERT_BLOB, &b) != CURLE_OK) {
            kube_errf(err, errlen,
                      "%s: this libcurl cannot take inline certificates (*-data fields, exec "
                      "client certificates): it needs the OpenSSL backend",
                      c->cfg.source);
            rc = KUBE_ECONFIG;
        }
        curl_easy_cleanup(probe);
    }
    if (!rc) {
        c->multi = curl_multi_init();
        if (!c->multi)
            rc = PS_ENOMEM;
    }
    if (rc) {
        curl_slist_free_all(c->connect_to);
        free(c->host_header);
        free(c->curl_proxy);
        free(c->base_url);
        free(c->user_agent);
        kube_config_fini(&c->cfg);
        free(c);
        return rc;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)MAX_HOST_CONNECTIONS);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->open_handles = 1;
    *out = c;
    return 0;
}

uv_loop_t *kube_client_loop(const struct kube_client *c)
{
    return c->loop;
}

const char *kube_client_namespace(const struct kube_client *c)
{
    return c->cfg.namespace ? c->cfg.namespace : "default";
}

void kube_client_get_stats(const struct kube_client *c, struct kube_client_stats *out)
{
    *out = c->stats;
}

/* ---- credentials --------------------------------------------------------- */

static void reread_token_file(struct kube_client *c, int64_t now)
{
    char *tok;
    int rc = read_token_file(c->cfg.token_file, &tok);
    c->stats.token_reads++;
    if (rc) {
        /* Keep the last good token; the kubelet may be mid-rotation. */
        ps_log(PS_LOG_WARN, "kube", "token file %s: %s; keeping the previous token",
               c->cfg.token_file, token_file_problem(rc));
        c->file_token_read_ms = now;
        c->file_token_stale = false;
        return;
    }
    if (!c->file_token || strcmp(tok, c->file_token) != 0)
        c->cred_gen++;
    free(c->file_token);
    c->file_token = tok;
    c->file_token_read_ms = now;
    c->file_token_stale = false;
}

static bool has_static_cert(const struct kube_client *c)
{
    return c->cfg.client_cert_file || c->cfg.client_cert_data;
}

/* Gathers the credentials for one attempt: sets headers and TLS client certs on easy. */
static int creds_apply(struct kube_request *r, char *err, size_t errlen)
{
    struct kube_client *c = r->c;
    int64_t now = c->opts.now_ms_fn(c->opts.now_data);
    const char *token = NULL;

    if (c->cfg.token_file) {
        if (!c->file_token || c->file_token_stale ||
            now - c->file_token_read_ms >= TOKEN_FILE_REREAD_MS || now < c->file_token_read_ms)
            reread_token_file(c, now);
        token = c->file_token ? c->file_token : c->cfg.token;
        if (!token) {
            kube_errf(err, errlen, "tokenFile %s: cannot read", c->cfg.token_file);
            return PS_EAUTH;
        }
    } else if (c->cfg.token) {
        token = c->cfg.token;
    }
    bool basic = c->cfg.username && c->cfg.password;
    if (c->cfg.exec && !token && !basic && !has_static_cert(c)) {
        if (c->exec_valid && c->exec_cred.expiry_ms && now >= c->exec_cred.expiry_ms)
            c->exec_valid = false;
        if (!c->exec_valid) {
            struct kube_exec_credential cred;
            c->stats.exec_runs++;
            int rc =
                kube_exec_run(c->cfg.exec, &c->cfg, c->opts.exec_timeout_ms,
                              c->opts.has_cancel_fd ? c->opts.cancel_fd : -1, &cred, err, errlen);
            if (rc)
                return rc == PS_ENOMEM || rc == KUBE_ECANCELED ? rc : KUBE_EEXEC;
            kube_exec_credential_fini(&c->exec_cred);
            c->exec_cred = cred;
            c->exec_valid = true;
            c->cred_gen++;
        }
        token = c->exec_cred.token;
        if (c->exec_cred.client_cert_pem) {
            struct curl_blob cert = {c->exec_cred.client_cert_pem,
                                     strlen(c->exec_cred.client_cert_pem), CURL_BLOB_COPY};
            struct curl_blob key = {c->exec_cred.client_key_pem,
                                    strlen(c->exec_cred.client_key_pem), CURL_BLOB_COPY};
            curl_easy_setopt(r->easy, CURLOPT_SSLCERT_BLOB, &cert);
            curl_easy_setopt(r->easy, CURLOPT_SSLKEY_BLOB, &key);
            curl_easy_setopt(r->easy, CURLOPT_SSLCERTTYPE, "PEM");
            curl_easy_setopt(r->easy, CURLOPT_SSLKEYTYPE, "PEM");
        }
    }
    r->cred_gen_used = c->cred_gen;
    if (token) {
        size_t n = strlen(token) + 32;
        char *h = malloc(n);
        if (!h)
            return PS_ENOMEM;
        snprintf(h, n, "Authorization: Bearer %s", token);
        struct curl_slist *l = curl_slist_append(r->hdrs, h);
        free(h);
        if (!l)
            return PS_ENOMEM;
        r->hdrs = l;
    } else if (basic) {
        curl_easy_setopt(r->easy, CURLOPT_USERNAME, c->cfg.username);
        curl_easy_setopt(r->easy, CURLOPT_PASSWORD, c->cfg.password);
    }
    return 0;
}

/* After a 401: drop the credential the failed request used, unless a concurrent
 * failure already did (spec 4.2, 4.4). */
static void creds_invalidate(struct kube_client *c, uint64_t gen_used)
{
    if (gen_used != c->cred_gen)
        return;
    c->stats.auth_refreshes++;
    if (c->cfg.exec && c->exec_valid)
        c->exec_valid = false;
    if (c->cfg.token_file)
        c->file_token_stale = true;
    c->cred_gen++;
}

/* ---- requests ---------------------------------------------------------- */

/* Hands every complete line of a watch stream to the event callback. */
static bool stream_lines(struct kube_request *r)
{
    size_t start = 0;
    for (size_t i = 0; i < r->rlen; i++) {
        if (r->rbuf[i] != '\n')
            continue;
        size_t len = i - start;
        const char *line = r->rbuf + start;
        start = i + 1;
        if (len == 0 || (len == 1 && line[0] == '\r'))
            continue;
        json_error_t jerr;
        json_t *ev = json_loadb(line, len, 0, &jerr);
        json_t *type = json_object_get(ev, "type");
        json_t *obj = json_object_get(ev, "object");
        if (!json_is_string(type) || !json_is_object(obj)) {
            r->stream_rc = KUBE_EBADRESPONSE;
            snprintf(r->stream_err, sizeof r->stream_err,
                     "watch event %llu is not a {type, object} JSON object%s%s",
                     (unsigned long long)r->events + 1, ev ? "" : ": ", ev ? "" : jerr.text);
            json_decref(ev);
            return false;
        }
        r->events++;
        const char *t = json_string_value(type);
        if (strcmp(t, "ERROR") == 0) {
            /* A Status: 410 means the resourceVersion is too old (spec 7.3). */
            json_t *code = json_object_get(obj, "code");
            json_t *msg = json_object_get(obj, "message");
            json_t *reason = json_object_get(obj, "reason");
            long http = json_is_integer(code) ? (long)json_integer_value(code) : 500;
            r->stream_rc = kube_error_for_http(http, json_string_value(reason));
            if (!r->stream_rc)
                r->stream_rc = KUBE_EHTTP;
            snprintf(r->stream_err, sizeof r->stream_err, "watch ERROR event: %ld %s: %s", http,
                     json_is_string(reason) ? json_string_value(reason) : "",
                     json_is_string(msg) ? json_string_value(msg) : "");
        }
        struct kube_client *c = r->c;
        c->in_write_cb++;
        int stop = r->on_event(t, obj, r->data);
        c->in_write_cb--;
        json_decref(ev);
        if (r->stream_rc)
            return false;
        if (stop || r->stream_stop || c->close_pending) {
            r->stream_stop = true;
            return false;
        }
    }
    memmove(r->rbuf, r->rbuf + start, r->rlen - start);
    r->rlen -= start;
    return true;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct kube_request *r = userdata;
    size_t n = size * nmemb;
    long http = 0;
    bool streaming = false;
    if (r->on_event) {
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
        streaming = http >= 200 && http < 300;
    }
    /* For a watch, the cap bounds one event, not the endless stream. */
    if (r->rlen + n > r->c->opts.max_response_bytes) {
        r->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (r->rlen + n + 1 > r->rcap) {
        size_t cap = r->rcap ? r->rcap : 16384;
        while (cap < r->rlen + n + 1)
            cap *= 2;
        char *b = realloc(r->rbuf, cap);
        if (!b)
            return 0;
        r->rbuf = b;
        r->rcap = cap;
    }
    memcpy(r->rbuf + r->rlen, ptr, n);
    r->rlen += n;
    if (streaming && !stream_lines(r))
        return 0;
    return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
    struct kube_request *r = userdata;
    size_t n = size * nitems;
    if (n > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
        char tmp[32];
        size_t l = n - 12 < sizeof tmp - 1 ? n - 12 : sizeof tmp - 1;
        memcpy(tmp, buf + 12, l);
        tmp[l] = '\0';
        char *end;
        long v = strtol(tmp, &end, 10);
        while (*end == ' ' || *end == '\r' || *end == '\n')
            end++;
        /* Only delta-seconds; an HTTP-date is ignored as client-go does. */
        if (end != tmp && *end == '\0' && v >= 0 && v < 86400)
            r->retry_after_s = (int)v;
    } else if (n > 13 && strncasecmp(buf, "Content-Type:", 13) == 0) {
        const char *v = buf + 13;
        size_t l = n - 13;
        while (l > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            l--;
        }
        while (l > 0 && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
            l--;
        free(r->resp_ctype);
        r->resp_ctype = strndup(v, l);
    } else if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* A new response (e.g. after a 100 Continue): forget earlier headers. */
        r->retry_after_s = -1;
    }
    return n;
}

static bool method_idempotent(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "PUT") == 0 ||
           strcmp(m, "DELETE") == 0 || strcmp(m, "OPTIONS") == 0;
}

static void req_closed(uv_handle_t *h)
{
    struct kube_request *r = h->data;
    struct kube_client *c = r->c;
    free(r->method);
    free(r->path);
    free(r->body);
    free(r->content_type);
    free(r->rbuf);
    free(r->resp_ctype);
    free(r);
    c->open_handles--;
    if (c->closing && c->nreqs == 0 && !c->torn_down)
        teardown(c);
    else
        client_maybe_free(c);
}

static void easy_release(struct kube_request *r)
{
    if (r->easy) {
        curl_multi_remove_handle(r->c->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
        r->c->in_curl--;
    }
    curl_slist_free_all(r->hdrs);
    r->hdrs = NULL;
}

static void format_error(struct kube_response *resp, const struct kube_request *r,
                         const char *detail)
{
    if (resp->http_status >= 300 || (resp->http_status >= 100 && resp->result)) {
        const char *reason = resp->status.present && *resp->status.reason
                                 ? resp->status.reason
                                 : kube_reason_for_code(resp->http_status, r->method);
        char snippet[160] = "";
        const char *msg = resp->status.present ? resp->status.message : NULL;
        if (!msg || !*msg) {
            /* Not a Status (a proxy, or flow control's plain-text 429): show the start. */
            size_t l = resp->body_len < sizeof snippet - 1 ? resp->body_len : sizeof snippet - 1;
            for (size_t i = 0; i < l; i++) {
                unsigned char ch = (unsigned char)resp->body[i];
                snippet[i] = ch < 32 || ch > 126 ? ' ' : (char)ch;
            }
            snippet[l] = '\0';
            while (l > 0 && snippet[l - 1] == ' ')
                snippet[--l] = '\0';
            msg = snippet;
        }
        snprintf(resp->error, sizeof resp->error, "%s %s: %ld %s%s%s%s%s", r->method, r->path,
                 resp->http_status, *reason ? reason : "error", *msg ? ": " : "", msg,
                 detail ? "; " : "", detail ? detail : "");
    } else {
        snprintf(resp->error, sizeof resp->error, "%s %s: %s", r->method, r->path,
                 detail ? detail : kube_strerror(resp->result));
    }
}

/* Delivers the final outcome and starts closing the request. */
static void req_finish(struct kube_request *r, int result, long http, const char *detail)
{
    struct kube_client *c = r->c;
    struct kube_response resp;
    memset(&resp, 0, sizeof resp);
    easy_release(r);
    r->state = REQ_DONE;
    if (r->prev)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    c->nreqs--;

    resp.result = result;
    resp.http_status = http;
    resp.method = r->method;
    resp.path = r->path;
    resp.attempts = r->attempt;
    resp.retry_after_s = r->retry_after_s;
    resp.content_type = r->resp_ctype;
    if (!r->rbuf)
        r->rbuf = calloc(1, 1);
    resp.body = r->rbuf;
    resp.body_len = r->rlen;
    if (resp.body)
        resp.body[resp.body_len] = '\0';
    if (http >= 300)
        kube_status_decode(resp.body, resp.body_len, &resp.status);
    else
        kube_status_decode(NULL, 0, &resp.status);
    if (result)
        format_error(&resp, r, detail);
    if (r->cb)
        r->cb(&resp, r->data);
    /* The callback may have stolen the body; method/path/ctype stay ours. */
    if (resp.body != r->rbuf || !resp.body)
        r->rbuf = NULL;
    kube_status_fini(&resp.status);
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, req_closed);
}

static void attempt_start(struct kube_request *r);

static void on_req_timer(uv_timer_t *t)
{
    struct kube_request *r = t->data;
    if (r->state == REQ_CANCELED) {
        req_finish(r, r->final_rc, 0, r->final_err[0] ? r->final_err : NULL);
        return;
    }
    attempt_start(r);
}

static void schedule_retry(struct kube_request *r, int64_t delay_ms)
{
    r->c->stats.retries++;
    r->state = REQ_WAITING;
    uv_timer_start(&r->timer, on_req_timer, (uint64_t)(delay_ms > 0 ? delay_ms : 0), 0);
}

/* Appends "name: value" sized to the value: kubeconfig values have no length cap,
 * and a header cut short would impersonate another user or group. */
static int add_header(struct curl_slist **hdrs, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *h = malloc(n);
    if (!h)
        return PS_ENOMEM;
    snprintf(h, n, "%s: %s", name, value);
    struct curl_slist *l = curl_slist_append(*hdrs, h);
    free(h);
    if (!l)
        return PS_ENOMEM;
    *hdrs = l;
    return 0;
}

static int impersonation_headers(const struct kube_client *c, struct curl_slist **hdrs)
{
    const struct kube_config *cfg = &c->cfg;
    if (!cfg->impersonate_user)
        return 0;
    int rc = add_header(hdrs, "Impersonate-User", cfg->impersonate_user);
    if (!rc && cfg->impersonate_uid)
        rc = add_header(hdrs, "Impersonate-Uid", cfg->impersonate_uid);
    for (size_t i = 0; i < cfg->nimpersonate_groups && !rc; i++)
        rc = add_header(hdrs, "Impersonate-Group", cfg->impersonate_groups[i]);
    for (size_t i = 0; i < cfg->nimpersonate_extra && !rc; i++) {
        /* client-go escapes the key (URL path escaping); plain keys need none. */
        char *key = curl_easy_escape(NULL, cfg->impersonate_extra[2 * i], 0);
        size_t n = key ? strlen(key) + sizeof "Impersonate-Extra-" : 0;
        char *name = key ? malloc(n) : NULL;
        if (name) {
            snprintf(name, n, "Impersonate-Extra-%s", key);
            rc = add_header(hdrs, name, cfg->impersonate_extra[2 * i + 1]);
        } else {
            rc = PS_ENOMEM;
        }
        free(name);
        curl_free(key);
    }
    return rc;
}

static void attempt_start(struct kube_request *r)
{
    struct kube_client *c = r->c;
    char err[384];
    r->attempt++;
    c->stats.attempts++;
    free(r->rbuf);
    r->rbuf = NULL;
    r->rlen = r->rcap = 0;
    r->too_big = false;
    r->retry_after_s = -1;
    free(r->resp_ctype);
    r->resp_ctype = NULL;
    r->errbuf[0] = '\0';

    r->easy = curl_easy_init();
    if (!r->easy) {
        req_finish(r, PS_ENOMEM, 0, "out of memory");
        return;
    }
    c->in_curl++; /* balanced by easy_release */
    err[0] = '\0';
    int rc = creds_apply(r, err, sizeof err);
    if (rc) {
        req_finish(r, rc, 0, err);
        return;
    }
    size_t ul = strlen(c->base_url) + strlen(r->path) + 1;
    char *url = malloc(ul);
    if (!url) {
        req_finish(r, PS_ENOMEM, 0, "out of memory");
        return;
    }
    snprintf(url, ul, "%s%s", c->base_url, r->path);
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    free(url); /* curl copies string options */
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    /* CURLOPT_NOSIGNAL stays 0: Debian's libcurl resolves names on a thread (no
     * alarm()), and with 0 curl ignores SIGPIPE around its own socket and TLS
     * writes, so a peer that resets mid-write cannot kill the process. */
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_response_bytes);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!c->cfg.disable_compression)
        curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (c->connect_to)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, c->connect_to);
    if (c->curl_proxy)
        curl_easy_setopt(e, CURLOPT_PROXY, c->curl_proxy);
    if (c->cfg.ca_data) {
        struct curl_blob b = {c->cfg.ca_data, c->cfg.ca_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
    } else if (c->cfg.ca_file) {
        curl_easy_setopt(e, CURLOPT_CAINFO, c->cfg.ca_file);
    }
    if (c->cfg.insecure_skip_tls_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (c->cfg.client_cert_data) {
        struct curl_blob cb = {c->cfg.client_cert_data, c->cfg.client_cert_data_len,
                               CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &cb);
        curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (c->cfg.client_cert_file) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, c->cfg.client_cert_file);
    }
    if (c->cfg.client_key_data) {
        struct curl_blob kb = {c->cfg.client_key_data, c->cfg.client_key_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &kb);
        curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (c->cfg.client_key_file) {
        curl_easy_setopt(e, CURLOPT_SSLKEY, c->cfg.client_key_file);
    }

    struct curl_slist *l = curl_slist_append(r->hdrs, "Accept: application/json");
    if (l)
        r->hdrs = l;
    if (c->host_header) {
        l = curl_slist_append(r->hdrs, c->host_header);
        if (!l) {
            req_finish(r, PS_ENOMEM, 0, "out of memory");
            return;
        }
        r->hdrs = l;
    }
    if (impersonation_headers(c, &r->hdrs)) {
        /* Never send the request without them: it would run as the caller itself. */
        req_finish(r, PS_ENOMEM, 0, "out of memory");
        return;
    }
    if (strcmp(r->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (r->body || strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
        strcmp(r->method, "PATCH") == 0) {
        char h[256];
        snprintf(h, sizeof h, "Content-Type: %s",
                 r->content_type ? r->content_type : "application/json");
        if ((l = curl_slist_append(r->hdrs, h)))
            r->hdrs = l;
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        /* No "Expect: 100-continue" round trip for large bodies. */
        if ((l = curl_slist_append(r->hdrs, "Expect:")))
            r->hdrs = l;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    r->state = REQ_IN_CURL;
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        req_finish(r, KUBE_ETRANSPORT, 0, "cannot add the request to libcurl");
        return;
    }
    if (c->in_curl > c->stats.max_in_flight)
        c->stats.max_in_flight = c->in_curl;
}

static bool curl_retryable(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_BAD_CONTENT_ENCODING:
        return true;
    default:
        return false;
    }
}

/* Classifies a finished attempt: done, retry, or fail. */
static void attempt_done(struct kube_request *r, CURLcode cc)
{
    struct kube_client *c = r->c;
    long http = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
    easy_release(r);
    int64_t elapsed = ps_clock_mono_ms() - r->start_mono_ms;
    bool idem = method_idempotent(r->method);
    int rc = 0;
    bool retry = false;
    char detail[CURL_ERROR_SIZE + 64];
    detail[0] = '\0';

    if (r->on_event && (r->stream_stop || r->stream_rc)) {
        /* We cut the stream: asked to stop, an ERROR event, or an undecodable event. */
        free(r->rbuf);
        r->rbuf = NULL;
        r->rlen = r->rcap = 0;
        if (r->stream_rc)
            req_finish(r, r->stream_rc, http, r->stream_err);
        else
            req_finish(r, KUBE_ECANCELED, http, "watch stopped");
        return;
    }
    if (r->on_event && cc == CURLE_OK && http >= 200 && http < 300) {
        /* The server ended the stream (timeoutSeconds): a normal end. */
        free(r->rbuf);
        r->rbuf = NULL;
        r->rlen = r->rcap = 0;
        req_finish(r, 0, http, NULL);
        return;
    }
    if (cc != CURLE_OK) {
        if (r->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
            snprintf(detail, sizeof detail, "response larger than the %zu-byte cap",
                     c->opts.max_response_bytes);
            free(r->rbuf);
            r->rbuf = NULL;
            r->rlen = r->rcap = 0;
            req_finish(r, KUBE_ETOOBIG, 0, detail);
            return;
        }
        if (cc == CURLE_OPERATION_TIMEDOUT) {
            rc = PS_ETIMEDOUT;
            snprintf(detail, sizeof detail, "timed out after %lld ms (attempt %d)",
                     (long long)r->timeout_ms, r->attempt);
        } else {
            rc = KUBE_ETRANSPORT;
            snprintf(detail, sizeof detail, "%s (attempt %d)",
                     r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc), r->attempt);
        }
        /* A connection that never opened carried nothing: safe for any method. */
        retry = curl_retryable(cc) &&
                (idem || cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST);
        free(r->rbuf);
        r->rbuf = NULL;
        r->rlen = r->rcap = 0;
        http = 0;
    } else if (http >= 200 && http < 300) {
        req_finish(r, 0, http, NULL);
        return;
    } else if (http == 401 && !r->auth_refreshed && (c->cfg.exec || c->cfg.token_file)) {
        /* Refresh once and retry at once; a second 401 is final. */
        r->auth_refreshed = true;
        creds_invalidate(c, r->cred_gen_used);
        schedule_retry(r, 0);
        return;
    } else {
        char reason[64] = "";
        struct kube_status st;
        if (kube_status_decode(r->rbuf, r->rlen, &st) == 0)
            snprintf(reason, sizeof reason, "%s", st.reason);
        int ra = st.retry_after_s;
        kube_status_fini(&st);
        rc = kube_error_for_http(http, *reason ? reason : kube_reason_for_code(http, r->method));
        if (r->retry_after_s < 0 && ra > 0 && (http == 429 || http >= 500))
            r->retry_after_s = ra;
        retry = http == 429 || (http >= 500 && (idem || r->retry_after_s >= 0));
        /* A 503 from an aggregated API that is absent (metrics-server down) is retried as well. */
    }
    if (retry && r->attempt < r->max_attempts) {
        int64_t d = kube_backoff_ms(r->attempt, c->opts.backoff_base_ms, c->opts.backoff_max_ms,
                                    r->retry_after_s, c->opts.rand_fn(c->opts.rand_data));
        if (elapsed + d <= c->opts.retry_budget_ms) {
            ps_log(PS_LOG_DEBUG, "kube", "%s %s: attempt %d failed (%s%ld), retrying in %lld ms",
                   r->method, r->path, r->attempt, detail, http, (long long)d);
            schedule_retry(r, d);
            return;
        }
    }
    if (retry && r->attempt > 1) {
        size_t l = strlen(detail);
        snprintf(detail + l, sizeof detail - l, "%sgave up after %d attempts", l ? "; " : "",
                 r->attempt);
    }
    req_finish(r, rc, http, detail[0] ? detail : NULL);
}

static void check_multi_info(struct kube_client *c)
{
    CURLMsg *msg;
    int left;
    /* A callback may close the client: stop reading once the multi handle is gone. */
    while (c->multi && (msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct kube_request *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode cc = msg->data.result;
        if (r && r->state == REQ_IN_CURL)
            attempt_done(r, cc);
    }
}

int kube_request_start(struct kube_client *c, const struct kube_request_opts *o, kube_done_cb cb,
                       void *data)
{
    if (!c || !o || !o->method || !o->path || o->path[0] != '/')
        return PS_EINVAL;
    if (c->closing)
        return KUBE_ECANCELED;
    struct kube_request *r = calloc(1, sizeof *r);
    if (!r)
        return PS_ENOMEM;
    r->c = c;
    r->method = strdup(o->method);
    r->path = strdup(o->path);
    r->content_type = kube_strdup0(o->content_type);
    if (o->body) {
        r->body = malloc(o->body_len + 1);
        if (r->body) {
            memcpy(r->body, o->body, o->body_len);
            r->body[o->body_len] = '\0';
        }
        r->body_len = o->body_len;
    }
    if (!r->method || !r->path || (o->content_type && !r->content_type) || (o->body && !r->body)) {
        free(r->method);
        free(r->path);
        free(r->content_type);
        free(r->body);
        free(r);
        return PS_ENOMEM;
    }
    r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : c->opts.timeout_ms;
    r->max_attempts = o->max_attempts > 0 ? o->max_attempts : c->opts.max_attempts;
    r->cb = cb;
    r->data = data;
    r->retry_after_s = -1;
    r->start_mono_ms = ps_clock_mono_ms();
    r->state = REQ_WAITING;
    uv_timer_init(c->loop, &r->timer);
    r->timer.data = r;
    c->open_handles++;
    r->next = c->reqs;
    if (c->reqs)
        c->reqs->prev = r;
    c->reqs = r;
    c->nreqs++;
    c->stats.requests++;
    /* The first attempt runs from the loop, so the callback never runs inside this call. */
    uv_timer_start(&r->timer, on_req_timer, 0, 0);
    return 0;
}

int kube_get(struct kube_client *c, const char *path, kube_done_cb cb, void *data)
{
    struct kube_request_opts o = {.method = "GET", .path = path};
    return kube_request_start(c, &o, cb, data);
}

int kube_patch(struct kube_client *c, const char *path, const char *patch_type, const char *body,
               kube_done_cb cb, void *data)
{
    if (!body || !patch_type)
        return PS_EINVAL;
    struct kube_request_opts o = {.method = "PATCH",
                                  .path = path,
                                  .body = body,
                                  .body_len = strlen(body),
                                  .content_type = patch_type};
    return kube_request_start(c, &o, cb, data);
}

/* ---- closing ------------------------------------------------------------ */

static void teardown(struct kube_client *c)
{
    c->torn_down = true;
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    /* curl may not report every socket on cleanup; close what is left. */
    while (c->polls)
        poll_unlink_close(c, c->polls);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, handle_closed);
}

static void close_now(struct kube_client *c);

void kube_client_close(struct kube_client *c, void (*close_cb)(void *data), void *data)
{
    if (!c || c->closing || c->close_pending)
        return;
    c->close_cb = close_cb;
    c->close_data = data;
    if (c->in_write_cb) {
        /* Inside curl's write callback: curl handles cannot be touched here. */
        c->close_pending = true;
        return;
    }
    close_now(c);
}

static void run_pending_close(struct kube_client *c)
{
    if (c->close_pending && !c->closing) {
        c->close_pending = false;
        close_now(c);
    }
}

static void close_now(struct kube_client *c)
{
    c->closing = true;
    for (struct kube_request *r = c->reqs; r; r = r->next) {
        if (r->state == REQ_DONE || r->state == REQ_CANCELED)
            continue;
        easy_release(r);
        r->state = REQ_CANCELED;
        r->final_rc = KUBE_ECANCELED;
        snprintf(r->final_err, sizeof r->final_err, "canceled: the client was closed");
        uv_timer_start(&r->timer, on_req_timer, 0, 0);
    }
    if (c->nreqs == 0)
        teardown(c);
}

static void set_flag(void *data)
{
    *(bool *)data = true;
}

void kube_client_free_sync(struct kube_client *c)
{
    if (!c)
        return;
    bool done = false;
    uv_loop_t *loop = c->loop;
    kube_client_close(c, set_flag, &done);
    while (!done)
        uv_run(loop, UV_RUN_ONCE);
}

/* ---- responses and synchronous wrappers --------------------------------- */

void kube_response_fini(struct kube_response *resp)
{
    if (!resp)
        return;
    free(resp->method);
    free(resp->path);
    free(resp->body);
    free(resp->content_type);
    kube_status_fini(&resp->status);
    memset(resp, 0, sizeof *resp);
}

/* Moves a callback's response into a caller-owned one. */
static void response_take(struct kube_response *dst, struct kube_response *src)
{
    *dst = *src;
    dst->method = kube_strdup0(src->method);
    dst->path = kube_strdup0(src->path);
    dst->content_type = kube_strdup0(src->content_type);
    dst->status = src->status;
    memset(&src->status, 0, sizeof src->status);
    src->body = NULL;
}

struct sync_ctx {
    struct kube_response *out;
    bool done;
};

static void sync_done(struct kube_response *resp, void *data)
{
    struct sync_ctx *s = data;
    response_take(s->out, resp);
    s->done = true;
}

int kube_request_sync(struct kube_client *c, const struct kube_request_opts *o,
                      struct kube_response *out)
{
    struct sync_ctx s = {out, false};
    memset(out, 0, sizeof *out);
    int rc = kube_request_start(c, o, sync_done, &s);
    if (rc) {
        out->result = rc;
        snprintf(out->error, sizeof out->error, "%s %s: %s", o && o->method ? o->method : "?",
                 o && o->path ? o->path : "?", kube_strerror(rc));
        return rc;
    }
    while (!s.done)
        uv_run(c->loop, UV_RUN_ONCE);
    return out->result;
}

int kube_response_json(struct kube_response *resp, void **json_out)
{
    json_error_t jerr;
    *json_out = NULL;
    json_t *doc = resp->body ? json_loadb(resp->body, resp->body_len, 0, &jerr) : NULL;
    if (!doc || !json_is_object(doc)) {
        json_decref(doc);
        resp->result = KUBE_EBADRESPONSE;
        if (!resp->body)
            snprintf(resp->error, sizeof resp->error, "%s %s: empty response",
                     resp->method ? resp->method : "?", resp->path ? resp->path : "?");
        else if (doc == NULL)
            snprintf(resp->error, sizeof resp->error,
                     "%s %s: response is not valid JSON (%zu bytes; line %d column %d: %s)",
                     resp->method ? resp->method : "?", resp->path ? resp->path : "?",
                     resp->body_len, jerr.line, jerr.column, jerr.text);
        else
            snprintf(resp->error, sizeof resp->error, "%s %s: response is not a JSON object",
                     resp->method ? resp->method : "?", resp->path ? resp->path : "?");
        return KUBE_EBADRESPONSE;
    }
    *json_out = doc;
    return 0;
}

/* ---- watch ----------------------------------------------------------------- */

static void on_cancel_timer(uv_timer_t *t)
{
    kube_request_cancel(t->data);
}

void kube_request_cancel(struct kube_request *r)
{
    if (!r || r->state == REQ_DONE || r->state == REQ_CANCELED)
        return;
    if (r->c->in_write_cb) {
        /* From an event callback curl handles cannot be touched: a stream in its
         * write callback stops on return, any other request from the loop. */
        r->stream_stop = true;
        uv_timer_start(&r->timer, on_cancel_timer, 0, 0);
        return;
    }
    easy_release(r);
    r->state = REQ_CANCELED;
    r->final_rc = KUBE_ECANCELED;
    snprintf(r->final_err, sizeof r->final_err, "canceled");
    uv_timer_start(&r->timer, on_req_timer, 0, 0);
}

int kube_watch_start(struct kube_client *c, const struct kube_watch_opts *o,
                     kube_watch_event_cb on_event, kube_done_cb on_done, void *data,
                     struct kube_request **out)
{
    if (!c || !o || !o->path || o->path[0] != '/' || !on_event)
        return PS_EINVAL;
    int timeout_s = o->timeout_s;
    if (timeout_s <= 0) /* client-go reflector: uniform in [5, 10) minutes */
        timeout_s = 300 + (int)(c->opts.rand_fn(c->opts.rand_data) % 300);
    char *rv = o->resource_version ? curl_easy_escape(NULL, o->resource_version, 0) : NULL;
    size_t n = strlen(o->path) + (rv ? strlen(rv) : 0) + 128;
    char *path = malloc(n);
    if (!path || (o->resource_version && !rv)) {
        free(path);
        curl_free(rv);
        return PS_ENOMEM;
    }
    snprintf(path, n, "%s%cwatch=true&timeoutSeconds=%d%s%s%s", o->path,
             strchr(o->path, '?') ? '&' : '?', timeout_s,
             o->bookmarks ? "&allowWatchBookmarks=true" : "", rv ? "&resourceVersion=" : "",
             rv ? rv : "");
    curl_free(rv);
    /* The server ends the stream after timeoutSeconds; our cut-off comes a little later. */
    struct kube_request_opts ro = {.method = "GET",
                                   .path = path,
                                   .timeout_ms = (int64_t)(timeout_s + 30) * 1000,
                                   .max_attempts = 1};
    int rc = kube_request_start(c, &ro, on_done, data);
    free(path);
    if (rc)
        return rc;
    struct kube_request *r = c->reqs; /* kube_request_start links at the head */
    r->on_event = on_event;
    if (out)
        *out = r;
    return 0;
}
