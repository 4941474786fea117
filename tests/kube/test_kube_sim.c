/*
 * The Kubernetes client against tests/kubesim over TLS on loopback: every
 * auth mode (token, token file rotation, client certificate, exec plugin,
 * in-cluster), pagination, patches, conflicts, injected faults, the response
 * cap, many requests in flight, and a clean loop close after each case.
 *
 * usage: test_kube_sim KUBESIM_PY [eks]   ("eks" runs only the aws CLI case;
 * it exits 77 (skipped) when `aws` is not on PATH)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "podscaler/clock.h"
#include "podscaler/kube.h"
#include "sim.h"

static const char *kubesim_py;
static struct sim sim;
static char work[256]; /* scratch folder for plugins, token files */

/* A fake wall clock for token-file age and exec expiry. */
static int64_t fake_now_ms;
static int64_t fake_now(void *data)
{
    (void)data;
    return fake_now_ms;
}

struct tc {
    uv_loop_t loop;
    struct kube_client *c;
    struct kube_config cfg;
};

static void write_file(const char *path, const char *text, int mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, (mode_t)mode);
}

static const char *wpath(const char *name)
{
    static char bufs[16][512];
    static int i;
    i = (i + 1) % 16;
    snprintf(bufs[i], sizeof bufs[i], "%s/%s", work, name);
    return bufs[i];
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *b = calloc(1, 1 << 20);
    size_t n = fread(b, 1, (1 << 20) - 1, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

static void client_open_cfg(struct tc *t, const struct kube_client_opts *opts)
{
    char err[512];
    assert_int_equal(uv_loop_init(&t->loop), 0);
    int rc = kube_client_new(&t->loop, &t->cfg, opts, &t->c, err, sizeof err);
    if (rc)
        print_error("kube_client_new: %s\n", err);
    assert_int_equal(rc, 0);
}

static void client_open(struct tc *t, const char *kubeconfig, const char *context,
                        const struct kube_client_opts *opts)
{
    char err[512];
    const char *p = kubeconfig;
    int rc = kube_config_load_files(&p, 1, context, &t->cfg, err, sizeof err);
    if (rc)
        print_error("load %s: %s\n", kubeconfig, err);
    assert_int_equal(rc, 0);
    client_open_cfg(t, opts);
}

/* Closes the client and asserts the loop has no handle left. */
static void client_close(struct tc *t)
{
    kube_client_free_sync(t->c);
    t->c = NULL;
    kube_config_fini(&t->cfg);
    assert_int_equal(uv_run(&t->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&t->loop), 0);
}

static int do_get(struct tc *t, const char *path, struct kube_response *r)
{
    struct kube_request_opts o = {.method = "GET", .path = path};
    int rc = kube_request_sync(t->c, &o, r);
    if (rc)
        print_message("(GET failed as %d: %s)\n", rc, r->error);
    return rc;
}

static void fault(const char *json)
{
    char *out = NULL;
    long code = sim_admin(&sim, "POST", "/kubesim/faults", json, &out);
    if (code != 200 && code != 201)
        print_error("fault %s: %ld %s\n", json, code, out ? out : "");
    free(out);
    assert_true(code == 200 || code == 201);
}

/* A SOCKS5 proxy for one connection: it accepts the greeting without
 * authentication, reads the CONNECT, writes the CONNECT's address type to the
 * pipe it returns, and refuses the connection. */
static pid_t fake_socks5(int *port, int *report_fd)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    int p[2];
    assert_true(s >= 0);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s, 1), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &al), 0);
    assert_int_equal(pipe(p), 0);
    *port = ntohs(a.sin_port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        int c = accept(s, NULL, NULL);
        unsigned char b[512];
        /* greeting: 5, n, methods; then the request: 5, 1 (CONNECT), 0, type */
        if (c >= 0 && read(c, b, sizeof b) >= 3 && write(c, "\x05\x00", 2) == 2 &&
            read(c, b, sizeof b) >= 4) {
            if (write(p[1], &b[3], 1) != 1)
                _exit(1);
            (void)!write(c, "\x05\x05\x00\x01\0\0\0\0\0\0", 10);
        }
        _exit(0);
    }
    close(s);
    close(p[1]);
    *report_fd = p[0];
    return pid;
}

static json_t *requests_log(void)
{
    char *out = NULL;
    assert_int_equal(sim_admin(&sim, "GET", "/kubesim/requests", NULL, &out), 200);
    json_t *j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(j);
    if (json_is_object(j)) { /* {"requests": [...]} or a bare list */
        json_t *l = json_incref(json_object_get(j, "requests"));
        json_decref(j);
        j = l;
    }
    assert_true(json_is_array(j));
    return j;
}

static int reset_sim(void **state)
{
    (void)state;
    sim_admin(&sim, "DELETE", "/kubesim/faults", NULL, NULL);
    sim_admin(&sim, "DELETE", "/kubesim/requests", NULL, NULL);
    char body[400];
    snprintf(body, sizeof body, "{\"add\": \"%s\"}", sim.token);
    sim_admin(&sim, "POST", "/kubesim/tokens", body, NULL);
    return 0;
}

static const struct kube_client_opts fast = {
    .backoff_base_ms = 20, .backoff_max_ms = 200, .timeout_ms = 10000};

/* ---- basics ---------------------------------------------------------- */

static void test_get_and_404(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    assert_string_equal(kube_client_namespace(t.c), "default");
    struct kube_response r;
    assert_int_equal(do_get(&t, "/apis/apps/v1/namespaces/default/deployments/web", &r), 0);
    assert_int_equal(r.http_status, 200);
    json_t *obj = NULL;
    assert_int_equal(kube_response_json(&r, (void **)&obj), 0);
    assert_string_equal(json_string_value(json_object_get(obj, "kind")), "Deployment");
    json_decref(obj);
    kube_response_fini(&r);

    assert_int_equal(do_get(&t, "/api/v1/namespaces/default/pods/nope", &r), PS_ENOENT);
    assert_int_equal(r.http_status, 404);
    assert_true(r.status.present);
    assert_string_equal(r.status.reason, "NotFound");
    assert_string_equal(r.error,
                        "GET /api/v1/namespaces/default/pods/nope: 404 NotFound: pods \"nope\" not "
                        "found");
    assert_int_equal(r.attempts, 1);
    kube_response_fini(&r);

    /* a bad request path is refused at once, and the callback is never called */
    struct kube_request_opts bad = {.method = "GET", .path = "no-slash"};
    assert_int_equal(kube_request_start(t.c, &bad, NULL, NULL), PS_EINVAL);
    client_close(&t);
}

static void test_client_cert_auth(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig-cert"), NULL, &fast);
    assert_non_null(t.cfg.client_cert_data);
    struct kube_response r;
    assert_int_equal(do_get(&t, "/api/v1/namespaces/default", &r), 0);
    kube_response_fini(&r);
    json_t *log = requests_log();
    json_t *last = json_array_get(log, json_array_size(log) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "auth")), "client-cert");
    json_decref(log);
    client_close(&t);

    /* the same through files and a wrong CA: TLS verification must fail */
    memset(&t, 0, sizeof t);
    kube_config_init(&t.cfg);
    t.cfg.server = strdup(sim.url);
    t.cfg.source = strdup("test");
    t.cfg.client_cert_file = strdup(sim_path(&sim, "client.crt"));
    t.cfg.client_key_file = strdup(sim_path(&sim, "client.key"));
    t.cfg.ca_file = strdup(sim_path(&sim, "ca.crt"));
    client_open_cfg(&t, &fast);
    assert_int_equal(do_get(&t, "/api/v1/namespaces/default", &r), 0);
    kube_response_fini(&r);
    client_close(&t);

    memset(&t, 0, sizeof t);
    kube_config_init(&t.cfg);
    t.cfg.server = strdup(sim.url);
    t.cfg.token = strdup(sim.token);
    client_open_cfg(&t, &fast); /* system roots do not know kubesim's CA */
    assert_int_equal(do_get(&t, "/api/v1/namespaces/default", &r), KUBE_ETRANSPORT);
    assert_non_null(strstr(r.error, "GET /api/v1/namespaces/default: "));
    kube_response_fini(&r);
    client_close(&t);

    /* insecure-skip-tls-verify accepts it */
    memset(&t, 0, sizeof t);
    kube_config_init(&t.cfg);
    t.cfg.server = strdup(sim.url);
    t.cfg.token = strdup(sim.token);
    t.cfg.insecure_skip_tls_verify = true;
    client_open_cfg(&t, &fast);
    assert_int_equal(do_get(&t, "/api/v1/namespaces/default", &r), 0);
    kube_response_fini(&r);
    client_close(&t);

    /* tls-server-name: connect to 127.0.0.1 but verify "localhost" */
    memset(&t, 0, sizeof t);
    kube_config_init(&t.cfg);
    char url[300];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", sim.port);
    t.cfg.server = strdup(url);
    t.cfg.token = strdup(sim.token);
    t.cfg.ca_file = strdup(sim_path(&sim, "ca.crt"));
    t.cfg.tls_server_name = strdup("localhost");
    client_open_cfg(&t, &fast);
    sim_admin(&sim, "DELETE", "/kubesim/requests", NULL, NULL);
    assert_int_equal(do_get(&t, "/api/v1/namespaces/default", &r), 0);
    kube_response_fini(&r);
    client_close(&t);
    /* The name is TLS's alone: the Host header stays the server's, as client-go's. */
    log = requests_log();
    char want_host[64];
    snprintf(want_host, sizeof want_host, "127.0.0.1:%d", sim.port);
    assert_true(json_array_size(log) >= 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "host")),
                        want_host);
    json_decref(log);
}

/* ---- lists ------------------------------------------------------------ */

static int count_requests(json_t *log, const char *path_part, const char *query_part)
{
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(log, i, e)
    {
        const char *p = json_string_value(json_object_get(e, "path"));
        const char *q = json_string_value(json_object_get(e, "query"));
        if (p && strstr(p, path_part) && (!query_part || (q && strstr(q, query_part))))
            n++;
    }
    return n;
}

static void test_list_pagination(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    struct kube_response r;
    json_t *list = NULL;
    assert_int_equal(kube_list_all_sync(t.c,
                                        "/api/v1/namespaces/shop/pods?labelSelector=app%3Dmany", 4,
                                        &r, (void **)&list),
                     0);
    assert_non_null(list);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 25);
    assert_string_equal(json_string_value(json_object_get(list, "kind")), "PodList");
    assert_true(
        json_is_string(json_object_get(json_object_get(list, "metadata"), "resourceVersion")));
    json_decref(list);
    kube_response_fini(&r);
    json_t *log = requests_log();
    assert_int_equal(count_requests(log, "/namespaces/shop/pods", "limit=4"), 7);
    assert_int_equal(count_requests(log, "/namespaces/shop/pods", "continue="), 6);
    json_decref(log);

    /* 410 Expired on the second page: the list restarts and still returns everything once */
    sim_admin(&sim, "DELETE", "/kubesim/requests", NULL, NULL);
    fault("{\"path\": \"/namespaces/shop/pods$\", \"kind\": \"status\", \"status\": 410, "
          "\"reason\": \"Expired\", \"count\": 1, \"skip\": 1}");
    assert_int_equal(kube_list_all_sync(t.c,
                                        "/api/v1/namespaces/shop/pods?labelSelector=app%3Dmany", 10,
                                        &r, (void **)&list),
                     0);
    assert_int_equal(json_array_size(json_object_get(list, "items")), 25);
    json_decref(list);
    kube_response_fini(&r);
    log = requests_log();
    /* first page, 410, then three pages from scratch */
    assert_int_equal(count_requests(log, "/namespaces/shop/pods", "limit=10"), 5);
    json_decref(log);

    /* every continue expires: bounded restarts, then a clear error */
    fault("{\"path\": \"/namespaces/shop/pods$\", \"kind\": \"status\", \"status\": 410, "
          "\"reason\": \"Expired\", \"skip\": 1}");
    sim_admin(&sim, "DELETE", "/kubesim/faults", NULL, NULL);
    /* (rule order: the skip counter is per rule; use continue/expire instead) */
    sim_admin(&sim, "POST", "/kubesim/config", "{\"continue_ttl_s\": 0}", NULL);
    assert_int_equal(kube_list_all_sync(t.c, "/api/v1/namespaces/shop/pods", 5, &r, (void **)&list),
                     KUBE_EEXPIRED);
    assert_null(list);
    assert_non_null(strstr(r.error, "410 Expired"));
    kube_response_fini(&r);
    sim_admin(&sim, "POST", "/kubesim/config", "{\"continue_ttl_s\": 300}", NULL);

    /* a malformed page is an error naming the request, not a crash */
    fault("{\"path\": \"/namespaces/shop/pods$\", \"kind\": \"malformed\", \"count\": 1, "
          "\"skip\": 1}");
    assert_int_equal(kube_list_all_sync(t.c, "/api/v1/namespaces/shop/pods", 5, &r, (void **)&list),
                     KUBE_EBADRESPONSE);
    assert_null(list);
    assert_non_null(strstr(r.error, "not valid JSON"));
    assert_non_null(strstr(r.error, "/api/v1/namespaces/shop/pods?limit=5&continue="));
    kube_response_fini(&r);
    client_close(&t);
}

/* ---- writes -------------------------------------------------------------- */

static json_t *get_json(struct tc *t, const char *path)
{
    struct kube_response r;
    assert_int_equal(do_get(t, path, &r), 0);
    json_t *j = NULL;
    assert_int_equal(kube_response_json(&r, (void **)&j), 0);
    kube_response_fini(&r);
    return j;
}

static int patch(struct tc *t, const char *path, const char *type, const char *body,
                 struct kube_response *r)
{
    struct kube_request_opts o = {.method = "PATCH",
                                  .path = path,
                                  .body = body,
                                  .body_len = strlen(body),
                                  .content_type = type};
    return kube_request_sync(t->c, &o, r);
}

#define WEB "/apis/apps/v1/namespaces/default/deployments/web"

static int done_patch;
static void patch_done(struct kube_response *resp, void *data)
{
    (void)data;
    assert_int_equal(resp->result, 0);
    assert_int_equal(resp->http_status, 200);
    done_patch++;
}

static void test_patch_types(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    struct kube_response r;
    assert_int_equal(
        patch(&t, WEB, KUBE_PATCH_MERGE, "{\"metadata\":{\"labels\":{\"m\":\"1\"}}}", &r), 0);
    kube_response_fini(&r);
    json_t *d = get_json(&t, WEB);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(d, "metadata"), "labels"), "m")),
                        "1");
    json_decref(d);

    /* strategic merge: containers merge by name, the other container stays */
    const char *smp = "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"app\","
                      "\"resources\":{\"requests\":{\"cpu\":\"300m\"}}}]}}}}";
    assert_int_equal(patch(&t, WEB, KUBE_PATCH_STRATEGIC, smp, &r), 0);
    kube_response_fini(&r);
    d = get_json(&t, WEB);
    json_t *cs = json_object_get(
        json_object_get(json_object_get(json_object_get(d, "spec"), "template"), "spec"),
        "containers");
    assert_int_equal(json_array_size(cs), 2);
    json_decref(d);

    /* JSON patch with a test op on the current resourceVersion */
    d = get_json(&t, WEB);
    const char *rv =
        json_string_value(json_object_get(json_object_get(d, "metadata"), "resourceVersion"));
    char jp[512];
    snprintf(jp, sizeof jp,
             "[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\",\"value\":\"%s\"},"
             "{\"op\":\"replace\",\"path\":\"/metadata/labels/m\",\"value\":\"2\"}]",
             rv);
    json_decref(d);
    assert_int_equal(patch(&t, WEB, KUBE_PATCH_JSON, jp, &r), 0);
    kube_response_fini(&r);
    /* the same patch again: the test op fails → 422 Invalid, never retried */
    assert_int_equal(patch(&t, WEB, KUBE_PATCH_JSON, jp, &r), KUBE_EINVALID);
    assert_int_equal(r.http_status, 422);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "PATCH " WEB ": 422 Invalid"));
    kube_response_fini(&r);
    /* async kube_patch works the same */
    done_patch = 0;
    assert_int_equal(
        kube_patch(t.c, WEB, KUBE_PATCH_MERGE, "{\"spec\":{\"replicas\":3}}", patch_done, NULL), 0);
    assert_int_equal(done_patch, 0);
    while (!done_patch)
        uv_run(&t.loop, UV_RUN_ONCE);
    assert_int_equal(done_patch, 1);
    d = get_json(&t, WEB);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "spec"), "replicas")),
                     3);
    json_decref(d);
    /* server-side apply needs a fieldManager: 422 without, fine with */
    const char *apply = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
                        "{\"name\":\"web\",\"labels\":{\"applied\":\"yes\"}}}";
    assert_int_equal(patch(&t, WEB, KUBE_PATCH_APPLY, apply, &r), KUBE_EINVALID);
    kube_response_fini(&r);
    assert_int_equal(patch(&t, WEB "?fieldManager=podscaler", KUBE_PATCH_APPLY, apply, &r), 0);
    kube_response_fini(&r);
    /* strategic merge on a custom resource: 415, not retried */
    const char *ps = "{\"apiVersion\":\"podscaler.io/v1alpha1\",\"kind\":\"PodScaler\","
                     "\"metadata\":{\"name\":\"p\"},\"spec\":{\"targetRef\":{\"apiVersion\":\"apps/"
                     "v1\",\"kind\":\"Deployment\",\"name\":\"web\"}}}";
    struct kube_request_opts post = {
        .method = "POST",
        .path = "/apis/podscaler.io/v1alpha1/namespaces/default/podscalers",
        .body = ps,
        .body_len = strlen(ps)};
    if (kube_request_sync(t.c, &post, &r) != 0)
        print_error("%s\n", r.error);
    assert_int_equal(r.http_status, 201);
    kube_response_fini(&r);
    assert_int_equal(patch(&t, "/apis/podscaler.io/v1alpha1/namespaces/default/podscalers/p",
                           KUBE_PATCH_STRATEGIC, "{}", &r),
                     KUBE_EHTTP);
    assert_int_equal(r.http_status, 415);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "415 UnsupportedMediaType"));
    kube_response_fini(&r);
    client_close(&t);
}

static int mutate_calls;
static int mutate_replicas(void *obj, void *data)
{
    (void)data;
    json_t *o = obj;
    mutate_calls++;
    json_object_set_new(json_object_get(o, "spec"), "replicas", json_integer(2));
    if (mutate_calls == 1) /* make the first write stale: a real 409 from the server */
        json_object_set_new(json_object_get(o, "metadata"), "resourceVersion", json_string("1"));
    return 0;
}

static int mutate_nothing(void *obj, void *data)
{
    (void)obj;
    (void)data;
    mutate_calls++;
    return 1;
}

static void test_update_conflict(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    struct kube_response r;
    mutate_calls = 0;
    assert_int_equal(kube_update_with_retry_sync(t.c, WEB, mutate_replicas, NULL, 0, &r), 0);
    assert_int_equal(mutate_calls, 2);
    assert_int_equal(r.http_status, 200);
    kube_response_fini(&r);
    json_t *d = get_json(&t, WEB);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "spec"), "replicas")),
                     2);
    json_decref(d);

    /* an injected 409 on every PUT: gives up after the bound, with a clear error */
    fault("{\"path\": \"deployments/web$\", \"method\": \"PUT\", \"kind\": \"status\", \"status\": "
          "409, \"reason\": \"Conflict\"}");
    mutate_calls = 0;
    assert_int_equal(kube_update_with_retry_sync(t.c, WEB, mutate_replicas, NULL, 3, &r),
                     PS_ECONFLICT);
    assert_int_equal(mutate_calls, 3);
    assert_non_null(strstr(r.error, "still conflicting after 3 attempts"));
    kube_response_fini(&r);
    /* a mutate that wants no change writes nothing */
    mutate_calls = 0;
    assert_int_equal(kube_update_with_retry_sync(t.c, WEB, mutate_nothing, NULL, 3, &r), 0);
    assert_int_equal(mutate_calls, 1);
    kube_response_fini(&r);
    client_close(&t);
}

/* ---- faults -------------------------------------------------------------- */

static void test_retries(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    struct kube_response r;

    /* 500 twice, then success */
    fault("{\"path\": \"deployments/web$\", \"method\": \"GET\", \"kind\": \"status\", \"status\": "
          "500, \"count\": 2}");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    assert_int_equal(r.attempts, 3);
    kube_response_fini(&r);

    /* 429 with Retry-After: 1 is honoured: the retry waits a second */
    fault("{\"path\": \"deployments/web$\", \"kind\": \"status\", \"status\": 429, "
          "\"retry_after\": 1, \"count\": 1}");
    int64_t t0 = ps_clock_mono_ms();
    assert_int_equal(do_get(&t, WEB, &r), 0);
    int64_t waited = ps_clock_mono_ms() - t0;
    assert_int_equal(r.attempts, 2);
    assert_true(waited >= 950 && waited < 5000);
    kube_response_fini(&r);

    /* flow control's plain-text 429 on a POST: retried too (429 means not processed) */
    fault("{\"path\": \"/namespaces/default/configmaps$|/namespaces/default/leases$\", \"kind\": "
          "\"status\", \"status\": 429, \"retry_after\": 0, \"plain\": true, \"count\": 1}");
    const char *lease = "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\","
                        "\"metadata\":{\"name\":\"retry-test\"},\"spec\":{}}";
    struct kube_request_opts post = {.method = "POST",
                                     .path =
                                         "/apis/coordination.k8s.io/v1/namespaces/default/leases",
                                     .body = lease,
                                     .body_len = strlen(lease)};
    if (kube_request_sync(t.c, &post, &r) != 0)
        print_error("%s\n", r.error);
    assert_int_equal(r.http_status, 201);
    assert_int_equal(r.attempts, 2);
    kube_response_fini(&r);
    /* the same POST again → 409 AlreadyExists, not retried */
    assert_int_equal(kube_request_sync(t.c, &post, &r), PS_EEXIST);
    assert_string_equal(r.status.reason, "AlreadyExists");
    kube_response_fini(&r);

    /* a 500 on a POST is not retried (not idempotent, no Retry-After) */
    fault("{\"path\": \"/leases$\", \"method\": \"POST\", \"kind\": \"status\", \"status\": 500, "
          "\"count\": 1}");
    assert_int_equal(kube_request_sync(t.c, &post, &r), PS_EUNAVAIL);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "500 InternalError"));
    kube_response_fini(&r);

    /* 503 forever: bounded attempts, then the last error */
    fault("{\"path\": \"deployments/web$\", \"kind\": \"status\", \"status\": 503}");
    struct kube_request_opts g = {.method = "GET", .path = WEB, .max_attempts = 3};
    assert_int_equal(kube_request_sync(t.c, &g, &r), PS_EUNAVAIL);
    assert_int_equal(r.attempts, 3);
    assert_non_null(strstr(r.error, "503 ServiceUnavailable"));
    assert_non_null(strstr(r.error, "gave up after 3 attempts"));
    kube_response_fini(&r);
    sim_admin(&sim, "DELETE", "/kubesim/faults", NULL, NULL);

    /* connection reset once, then fine. When the reset lands on a reused keep-alive
     * connection before any byte of the answer, libcurl itself retries the GET on a
     * fresh one, inside our first attempt: one attempt or two are both right (an
     * ASan build's timing makes the first case common). */
    fault("{\"path\": \"deployments/web$\", \"kind\": \"reset\", \"count\": 1}");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    assert_in_range(r.attempts, 1, 2);
    kube_response_fini(&r);
    /* reset forever */
    fault("{\"path\": \"deployments/web$\", \"kind\": \"reset\"}");
    assert_int_equal(kube_request_sync(t.c, &g, &r), KUBE_ETRANSPORT);
    assert_int_equal(r.attempts, 3);
    kube_response_fini(&r);
    sim_admin(&sim, "DELETE", "/kubesim/faults", NULL, NULL);

    /* truncated: the connection closes before the announced length */
    fault("{\"path\": \"deployments/web$\", \"kind\": \"truncated\", \"close_early\": true, "
          "\"count\": 1}");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    assert_int_equal(r.attempts, 2);
    kube_response_fini(&r);
    fault("{\"path\": \"deployments/web$\", \"kind\": \"truncated\", \"close_early\": true}");
    assert_int_equal(kube_request_sync(t.c, &g, &r), KUBE_ETRANSPORT);
    kube_response_fini(&r);
    sim_admin(&sim, "DELETE", "/kubesim/faults", NULL, NULL);
    /* truncated with a matching Content-Length: a 200 whose JSON is cut: a clear error */
    fault("{\"path\": \"deployments/web$\", \"kind\": \"truncated\", \"count\": 1}");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    json_t *j = NULL;
    assert_int_equal(kube_response_json(&r, (void **)&j), KUBE_EBADRESPONSE);
    assert_non_null(strstr(r.error, "GET " WEB ": response is not valid JSON"));
    kube_response_fini(&r);
    /* malformed */
    fault("{\"path\": \"deployments/web$\", \"kind\": \"malformed\", \"count\": 1}");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    assert_int_equal(kube_response_json(&r, (void **)&j), KUBE_EBADRESPONSE);
    kube_response_fini(&r);
    client_close(&t);
}

static void test_timeout(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    struct kube_response r;
    fault("{\"path\": \"deployments/web$\", \"kind\": \"slow\", \"delay_ms\": 3000}");
    struct kube_request_opts g = {
        .method = "GET", .path = WEB, .timeout_ms = 300, .max_attempts = 2};
    int64_t t0 = ps_clock_mono_ms();
    assert_int_equal(kube_request_sync(t.c, &g, &r), PS_ETIMEDOUT);
    int64_t took = ps_clock_mono_ms() - t0;
    assert_int_equal(r.attempts, 2);
    assert_true(took < 2500);
    assert_non_null(strstr(r.error, "timed out after 300 ms"));
    kube_response_fini(&r);
    sim_admin(&sim, "DELETE", "/kubesim/faults", NULL, NULL);
    /* slow once, then fast: the retry succeeds */
    fault("{\"path\": \"deployments/web$\", \"kind\": \"slow\", \"delay_ms\": 3000, \"count\": 1}");
    assert_int_equal(kube_request_sync(t.c, &g, &r), 0);
    assert_int_equal(r.attempts, 2);
    kube_response_fini(&r);
    client_close(&t);
}

static void test_response_cap(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    struct kube_client_opts o = fast;
    o.max_response_bytes = 2048;
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &o);
    struct kube_response r;
    assert_int_equal(do_get(&t, "/api/v1/namespaces/shop/pods", &r), KUBE_ETOOBIG);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.error, "larger than the 2048-byte cap"));
    kube_response_fini(&r);
    /* a small object still fits */
    assert_int_equal(do_get(&t, "/api/v1/namespaces/default", &r), 0);
    kube_response_fini(&r);
    client_close(&t);
}

/* ---- many in flight ---------------------------------------------------- */

static int done_count, ok_count;
static void set_true(void *data)
{
    *(bool *)data = true;
}
static void count_done(struct kube_response *resp, void *data)
{
    (void)data;
    done_count++;
    if (resp->result == 0 && resp->http_status == 200 && resp->body_len > 0)
        ok_count++;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    done_count = ok_count = 0;
    for (int i = 0; i < 200; i++)
        assert_int_equal(
            kube_get(t.c, i % 2 ? WEB : "/api/v1/namespaces/default", count_done, NULL), 0);
    assert_int_equal(done_count, 0); /* never called from inside the start call */
    while (done_count < 200)
        uv_run(&t.loop, UV_RUN_ONCE);
    assert_int_equal(ok_count, 200);
    struct kube_client_stats st;
    kube_client_get_stats(t.c, &st);
    assert_true(st.max_in_flight > 1);
    assert_int_equal(st.requests, 200);

    /* closing with requests in flight cancels them: every callback runs once */
    done_count = ok_count = 0;
    for (int i = 0; i < 20; i++)
        assert_int_equal(kube_get(t.c, WEB, count_done, NULL), 0);
    uv_run(&t.loop, UV_RUN_NOWAIT);
    kube_client_free_sync(t.c);
    t.c = NULL;
    assert_int_equal(done_count, 20);
    kube_config_fini(&t.cfg);
    assert_int_equal(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&t.loop), 0);
}

static void test_transport_options(void **state)
{
    (void)state;
    struct tc t;
    struct kube_response r;

    /* gzip: asked for by default, decoded transparently, capped after decoding */
    assert_int_equal(sim_admin(&sim, "POST", "/kubesim/config", "{\"gzip_threshold\": 64}", NULL),
                     200);
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    assert_int_equal(do_get(&t, "/api/v1/namespaces/shop/pods", &r), 0);
    json_t *j = NULL;
    assert_int_equal(kube_response_json(&r, (void **)&j), 0);
    assert_int_equal(json_array_size(json_object_get(j, "items")), 25);
    json_decref(j);
    kube_response_fini(&r);
    client_close(&t);
    json_t *log = requests_log();
    json_t *last = json_array_get(log, json_array_size(log) - 1);
    assert_non_null(strstr(json_string_value(json_object_get(last, "accept_encoding")), "gzip"));
    json_decref(log);
    /* disable-compression: no Accept-Encoding */
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    t.cfg.disable_compression = true;
    kube_client_free_sync(t.c);
    char err[256];
    assert_int_equal(kube_client_new(&t.loop, &t.cfg, &fast, &t.c, err, sizeof err), 0);
    assert_int_equal(do_get(&t, "/api/v1/namespaces/shop/pods", &r), 0);
    kube_response_fini(&r);
    client_close(&t);
    log = requests_log();
    last = json_array_get(log, json_array_size(log) - 1);
    json_t *ae = json_object_get(last, "accept_encoding");
    assert_true(!json_is_string(ae) || !strstr(json_string_value(ae), "gzip"));
    json_decref(log);
    sim_admin(&sim, "POST", "/kubesim/config", "{\"gzip_threshold\": 131072}", NULL);

    /* proxy-url is used: a proxy that does not listen fails the request (retried, bounded) */
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    t.cfg.proxy_url = strdup("http://127.0.0.1:1");
    kube_client_free_sync(t.c);
    assert_int_equal(kube_client_new(&t.loop, &t.cfg, &fast, &t.c, err, sizeof err), 0);
    struct kube_request_opts g = {.method = "GET", .path = WEB, .max_attempts = 2};
    assert_int_equal(kube_request_sync(t.c, &g, &r), KUBE_ETRANSPORT);
    assert_int_equal(r.attempts, 2);
    assert_non_null(strstr(r.error, "127.0.0.1"));
    kube_response_fini(&r);
    client_close(&t);

    /* socks5:// resolves on the proxy's side, as client-go's: the CONNECT
     * carries the host name (address type 3), not an address resolved here (1). */
    int socks_port = 0, report = -1;
    pid_t socks = fake_socks5(&socks_port, &report);
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    char purl[64], surl[64];
    snprintf(purl, sizeof purl, "socks5://127.0.0.1:%d", socks_port);
    snprintf(surl, sizeof surl, "https://localhost:%d", sim.port);
    t.cfg.proxy_url = strdup(purl);
    free(t.cfg.server);
    t.cfg.server = strdup(surl);
    kube_client_free_sync(t.c);
    assert_int_equal(kube_client_new(&t.loop, &t.cfg, &fast, &t.c, err, sizeof err), 0);
    struct kube_request_opts g1 = {.method = "GET", .path = WEB, .max_attempts = 1};
    assert_int_equal(kube_request_sync(t.c, &g1, &r), KUBE_ETRANSPORT);
    kube_response_fini(&r);
    client_close(&t);
    struct pollfd pf = {report, POLLIN, 0};
    unsigned char atyp = 0;
    assert_int_equal(poll(&pf, 1, 5000), 1);
    assert_int_equal(read(report, &atyp, 1), 1);
    assert_int_equal(atyp, 3);
    close(report);
    waitpid(socks, NULL, 0);

    /* the retry budget bounds the total time: a Retry-After beyond it is not waited for */
    struct kube_client_opts o = fast;
    o.retry_budget_ms = 500;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &o);
    fault("{\"path\": \"deployments/web$\", \"kind\": \"status\", \"status\": 429, "
          "\"retry_after\": 5, \"count\": 1}");
    int64_t t0 = ps_clock_mono_ms();
    assert_int_equal(do_get(&t, WEB, &r), KUBE_ETHROTTLED);
    assert_true(ps_clock_mono_ms() - t0 < 2000);
    assert_int_equal(r.retry_after_s, 5);
    assert_non_null(strstr(r.error, "429 TooManyRequests"));
    kube_response_fini(&r);
    /* after close starts, new requests are refused and their callback never runs */
    done_count = 0;
    assert_int_equal(kube_get(t.c, WEB, count_done, NULL), 0);
    bool closed = false;
    kube_client_close(t.c, set_true, &closed);
    assert_int_equal(kube_get(t.c, WEB, count_done, NULL), KUBE_ECANCELED);
    while (!closed)
        uv_run(&t.loop, UV_RUN_ONCE);
    assert_int_equal(done_count, 1);
    kube_config_fini(&t.cfg);
    assert_int_equal(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&t.loop), 0);
}

/* ---- watch ----------------------------------------------------------------- */

struct wctx {
    struct tc *t;
    int added, modified, bookmarks, errors, events;
    bool patched, done, stop_on_modified, close_on_added, closed;
    int result;
    char error[512];
};

static void wpatch_done(struct kube_response *resp, void *data)
{
    (void)resp;
    (void)data;
}

static int on_wevent(const char *type, void *obj, void *data)
{
    struct wctx *w = data;
    w->events++;
    json_t *o = obj;
    if (strcmp(type, "ADDED") == 0) {
        w->added++;
        if (w->close_on_added && w->added == 1) /* deferred by the client until it is safe */
            kube_client_close(w->t->c, set_true, &w->closed);
        const char *name =
            json_string_value(json_object_get(json_object_get(o, "metadata"), "name"));
        if (name && strcmp(name, "web") == 0 && !w->patched) {
            /* starting a request from an event callback is allowed */
            w->patched = true;
            assert_int_equal(kube_patch(w->t->c, WEB, KUBE_PATCH_MERGE,
                                        "{\"metadata\":{\"labels\":{\"watched\":\"1\"}}}",
                                        wpatch_done, NULL),
                             0);
        }
    } else if (strcmp(type, "MODIFIED") == 0) {
        w->modified++;
        if (w->stop_on_modified)
            return 1;
    } else if (strcmp(type, "BOOKMARK") == 0) {
        w->bookmarks++;
    } else if (strcmp(type, "ERROR") == 0) {
        w->errors++;
    }
    return 0;
}

static void on_wdone(struct kube_response *resp, void *data)
{
    struct wctx *w = data;
    w->done = true;
    w->result = resp->result;
    snprintf(w->error, sizeof w->error, "%s", resp->error);
}

static void wait_done(struct tc *t, struct wctx *w, int64_t timeout_ms)
{
    int64_t t0 = ps_clock_mono_ms();
    while (!w->done && ps_clock_mono_ms() - t0 < timeout_ms)
        uv_run(&t->loop, UV_RUN_ONCE);
    assert_true(w->done);
}

static void test_watch(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    struct wctx w;

    /* initial ADDED, a change made from the callback arrives as MODIFIED, stop by returning 1 */
    memset(&w, 0, sizeof w);
    w.t = &t;
    w.stop_on_modified = true;
    struct kube_watch_opts wo = {.path = "/apis/apps/v1/namespaces/default/deployments",
                                 .timeout_s = 30};
    assert_int_equal(kube_watch_start(t.c, &wo, on_wevent, on_wdone, &w, NULL), 0);
    wait_done(&t, &w, 10000);
    assert_true(w.added >= 1);
    assert_int_equal(w.modified, 1);
    assert_int_equal(w.result, KUBE_ECANCELED);

    /* bookmarks, and the server's timeoutSeconds ends the stream normally */
    memset(&w, 0, sizeof w);
    w.t = &t;
    w.patched = true;
    json_t *d = get_json(&t, WEB);
    const char *rv =
        json_string_value(json_object_get(json_object_get(d, "metadata"), "resourceVersion"));
    struct kube_watch_opts wb = {.path = "/apis/apps/v1/namespaces/default/deployments",
                                 .resource_version = rv,
                                 .bookmarks = true,
                                 .timeout_s = 3};
    assert_int_equal(kube_watch_start(t.c, &wb, on_wevent, on_wdone, &w, NULL), 0);
    json_decref(d);
    wait_done(&t, &w, 15000);
    assert_int_equal(w.result, 0);
    assert_int_equal(w.added, 0); /* from a resourceVersion: no initial state */
    assert_true(w.bookmarks >= 1);

    /* a resourceVersion older than the history: ERROR 410 → KUBE_EEXPIRED (relist) */
    assert_int_equal(sim_admin(&sim, "POST", "/kubesim/watch/compact", "{}", NULL), 200);
    memset(&w, 0, sizeof w);
    w.t = &t;
    w.patched = true;
    struct kube_watch_opts wx = {.path = "/apis/apps/v1/namespaces/default/deployments",
                                 .resource_version = "1",
                                 .timeout_s = 30};
    assert_int_equal(kube_watch_start(t.c, &wx, on_wevent, on_wdone, &w, NULL), 0);
    wait_done(&t, &w, 10000);
    assert_int_equal(w.result, KUBE_EEXPIRED);
    assert_non_null(strstr(w.error, "410"));

    /* cancel from outside */
    memset(&w, 0, sizeof w);
    w.t = &t;
    w.patched = true;
    struct kube_request *h = NULL;
    assert_int_equal(kube_watch_start(t.c, &wo, on_wevent, on_wdone, &w, &h), 0);
    assert_non_null(h);
    while (w.added == 0)
        uv_run(&t.loop, UV_RUN_ONCE);
    kube_request_cancel(h);
    wait_done(&t, &w, 5000);
    assert_int_equal(w.result, KUBE_ECANCELED);

    /* a malformed stream is an error, not a crash */
    fault("{\"path\": \"/namespaces/default/deployments$\", \"kind\": \"malformed\", "
          "\"count\": 1}");
    memset(&w, 0, sizeof w);
    w.t = &t;
    w.patched = true;
    assert_int_equal(kube_watch_start(t.c, &wo, on_wevent, on_wdone, &w, NULL), 0);
    wait_done(&t, &w, 10000);
    assert_int_equal(w.result, KUBE_EBADRESPONSE);

    /* closing the client from an event callback */
    memset(&w, 0, sizeof w);
    w.t = &t;
    w.patched = true;
    w.close_on_added = true;
    struct wctx other;
    memset(&other, 0, sizeof other);
    other.t = &t;
    other.patched = true;
    assert_int_equal(kube_watch_start(t.c, &wo, on_wevent, on_wdone, &other, NULL), 0);
    while (other.added == 0)
        uv_run(&t.loop, UV_RUN_ONCE);
    assert_int_equal(kube_watch_start(t.c, &wo, on_wevent, on_wdone, &w, NULL), 0);
    while (!w.closed)
        uv_run(&t.loop, UV_RUN_ONCE);
    assert_true(w.done && other.done);
    assert_int_equal(w.result, KUBE_ECANCELED);
    assert_int_equal(other.result, KUBE_ECANCELED);
    kube_config_fini(&t.cfg);
    assert_int_equal(uv_run(&t.loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&t.loop), 0);
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);

    /* a watch in flight when the client closes ends with KUBE_ECANCELED */
    memset(&w, 0, sizeof w);
    w.t = &t;
    w.patched = true;
    assert_int_equal(kube_watch_start(t.c, &wo, on_wevent, on_wdone, &w, NULL), 0);
    while (w.added == 0)
        uv_run(&t.loop, UV_RUN_ONCE);
    client_close(&t);
    assert_true(w.done);
    assert_int_equal(w.result, KUBE_ECANCELED);
}

/* ---- credentials ------------------------------------------------------- */

static void add_token(const char *tok)
{
    char body[300];
    snprintf(body, sizeof body, "{\"add\": \"%s\"}", tok);
    assert_int_equal(sim_admin(&sim, "POST", "/kubesim/tokens", body, NULL), 200);
}

static void revoke_token(const char *tok)
{
    char body[300];
    snprintf(body, sizeof body, "{\"revoke\": \"%s\"}", tok);
    assert_int_equal(sim_admin(&sim, "POST", "/kubesim/tokens", body, NULL), 200);
}

static void test_token_file_rotation(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    add_token("rot-a");
    write_file(wpath("token"), "rot-a\n", 0600);
    kube_config_init(&t.cfg);
    t.cfg.server = strdup(sim.url);
    t.cfg.ca_file = strdup(sim_path(&sim, "ca.crt"));
    t.cfg.token_file = strdup(wpath("token"));
    struct kube_client_opts o = fast;
    o.now_ms_fn = fake_now;
    fake_now_ms = 1000000;
    client_open_cfg(&t, &o);
    struct kube_response r;
    assert_int_equal(do_get(&t, WEB, &r), 0);
    kube_response_fini(&r);
    /* the kubelet rotates the file; within 50 s the old token is still used... */
    add_token("rot-b");
    write_file(wpath("token"), "rot-b", 0600);
    fake_now_ms += 10000;
    assert_int_equal(do_get(&t, WEB, &r), 0);
    kube_response_fini(&r);
    struct kube_client_stats st;
    kube_client_get_stats(t.c, &st);
    assert_int_equal(st.token_reads, 1);
    /* ...and re-read after a minute */
    fake_now_ms += 60000;
    revoke_token("rot-a");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    assert_int_equal(r.attempts, 1);
    kube_response_fini(&r);
    kube_client_get_stats(t.c, &st);
    assert_int_equal(st.token_reads, 2);
    /* rotation + revocation inside the minute: the 401 forces a re-read, once */
    add_token("rot-c");
    write_file(wpath("token"), "rot-c", 0600);
    revoke_token("rot-b");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    assert_int_equal(r.attempts, 2);
    kube_response_fini(&r);
    kube_client_get_stats(t.c, &st);
    assert_int_equal(st.auth_refreshes, 1);
    /* a token with a CR LF inside would add a header: refused, the last good token kept */
    add_token("rot-x");
    write_file(wpath("token"), "rot-d\r\nAuthorization: Bearer rot-x\n", 0600);
    fake_now_ms += 120000;
    assert_int_equal(do_get(&t, WEB, &r), 0);
    assert_int_equal(r.attempts, 1);
    kube_response_fini(&r);
    json_t *log = requests_log();
    json_t *last = json_array_get(log, json_array_size(log) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "token")), "rot-c");
    json_decref(log);
    /* an unreadable file keeps the last good token */
    unlink(wpath("token"));
    fake_now_ms += 120000;
    assert_int_equal(do_get(&t, WEB, &r), 0);
    kube_response_fini(&r);
    /* a revoked token and nothing new: one refresh, then a clear 401 */
    revoke_token("rot-c");
    assert_int_equal(do_get(&t, WEB, &r), PS_EAUTH);
    assert_int_equal(r.attempts, 2);
    assert_non_null(strstr(r.error, "401 Unauthorized"));
    kube_response_fini(&r);
    client_close(&t);

    /* the first read is fatal */
    memset(&t, 0, sizeof t);
    kube_config_init(&t.cfg);
    t.cfg.server = strdup(sim.url);
    t.cfg.token_file = strdup(wpath("token"));
    write_file(wpath("token"), "tok\x1b[2J\n", 0600);
    assert_int_equal(uv_loop_init(&t.loop), 0);
    char err[512] = "";
    assert_int_equal(kube_client_new(&t.loop, &t.cfg, &o, &t.c, err, sizeof err), PS_EAUTH);
    assert_non_null(strstr(err, "token: the token holds a control character"));
    kube_config_fini(&t.cfg);
    assert_int_equal(uv_loop_close(&t.loop), 0);
}

static void test_static_token_401(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, sim_path(&sim, "kubeconfig"), NULL, &fast);
    struct kube_response r;
    fault("{\"path\": \"deployments/web$\", \"kind\": \"unauthorized\", \"count\": 1}");
    /* a static token cannot be refreshed: the 401 is final at once */
    assert_int_equal(do_get(&t, WEB, &r), PS_EAUTH);
    assert_int_equal(r.attempts, 1);
    kube_response_fini(&r);
    client_close(&t);
}

static char *repeat(char ch, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

static void test_impersonation_headers(void **state)
{
    (void)state;
    struct tc t;
    memset(&t, 0, sizeof t);
    char err[512];
    const char *p = sim_path(&sim, "kubeconfig");
    assert_int_equal(kube_config_load_files(&p, 1, NULL, &t.cfg, err, sizeof err), 0);
    /* longer than any fixed buffer: each value must arrive whole */
    t.cfg.impersonate_user = repeat('u', 1000);
    t.cfg.impersonate_uid = repeat('1', 700);
    t.cfg.impersonate_groups = calloc(3, sizeof(char *));
    t.cfg.impersonate_groups[0] = strdup("dev");
    t.cfg.impersonate_groups[1] = repeat('g', 2000);
    t.cfg.nimpersonate_groups = 2;
    t.cfg.impersonate_extra = calloc(3, sizeof(char *));
    t.cfg.impersonate_extra[0] = strdup("scopes");
    t.cfg.impersonate_extra[1] = repeat('s', 600);
    t.cfg.nimpersonate_extra = 1;
    client_open_cfg(&t, &fast);
    sim_admin(&sim, "DELETE", "/kubesim/requests", NULL, NULL);
    struct kube_response r;
    assert_int_equal(do_get(&t, WEB, &r), 0);
    kube_response_fini(&r);
    json_t *log = requests_log();
    json_t *imp = json_object_get(json_array_get(log, json_array_size(log) - 1), "impersonate");
    const char *want[][2] = {{"Impersonate-User", t.cfg.impersonate_user},
                             {"Impersonate-Uid", t.cfg.impersonate_uid},
                             {"Impersonate-Group", "dev"},
                             {"Impersonate-Group", t.cfg.impersonate_groups[1]},
                             {"Impersonate-Extra-scopes", t.cfg.impersonate_extra[1]}};
    assert_int_equal(json_array_size(imp), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *h = json_array_get(imp, i);
        assert_string_equal(json_string_value(json_array_get(h, 0)), want[i][0]);
        assert_string_equal(json_string_value(json_array_get(h, 1)), want[i][1]);
    }
    json_decref(log);
    client_close(&t);
}

static void write_plugin(const char *api)
{
    /* Counts its runs, checks KUBERNETES_EXEC_INFO, and answers the token in plugin-token. */
    char script[2048];
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "echo run >> '%s'\n"
             "printf '%%s' \"$KUBERNETES_EXEC_INFO\" > '%s'\n"
             "case \"$KUBERNETES_EXEC_INFO\" in\n"
             "  "
             "*'\"apiVersion\":\"%s\"'*'\"interactive\":false'*|*'\"interactive\":false'*'"
             "\"apiVersion\":\"%s\"'*) ;;\n"
             "  *) echo \"bad KUBERNETES_EXEC_INFO: $KUBERNETES_EXEC_INFO\" >&2; exit 3;;\n"
             "esac\n"
             "[ \"$PLUGIN_ENV\" = from-kubeconfig ] || { echo 'env missing' >&2; exit 4; }\n"
             "[ -f '%s' ] && { echo 'plugin failing as asked' >&2; exit 5; }\n"
             "exp=$(cat '%s' 2>/dev/null)\n"
             "tok=$(cat '%s')\n"
             "if [ -n \"$exp\" ]; then\n"
             "  printf "
             "'{\"kind\":\"ExecCredential\",\"apiVersion\":\"%s\",\"status\":{\"token\":\"%%s\","
             "\"expirationTimestamp\":\"%%s\"}}' \"$tok\" \"$exp\"\n"
             "else\n"
             "  printf "
             "'{\"kind\":\"ExecCredential\",\"apiVersion\":\"%s\",\"status\":{\"token\":\"%%s\"}}' "
             "\"$tok\"\n"
             "fi\n",
             wpath("runs"), wpath("exec-info"), api, api, wpath("fail"), wpath("plugin-exp"),
             wpath("plugin-token"), api, api);
    write_file(wpath("plugin.sh"), script, 0700);
    unlink(wpath("runs"));
    unlink(wpath("fail"));
    unlink(wpath("plugin-exp"));
}

static int plugin_runs(void)
{
    char *s = slurp(wpath("runs"));
    int n = 0;
    for (char *p = s; p && *p; p++)
        n += *p == '\n';
    free(s);
    return n;
}

static void write_exec_kubeconfig(const char *path, const char *api, const char *command,
                                  const char *extra)
{
    char *base = slurp(sim_path(&sim, "kubeconfig"));
    assert_non_null(base);
    json_t *j = NULL;
    /* kubesim's kubeconfig has the cluster with its CA data; rebuild a YAML with an exec user */
    char *ca = strstr(base, "certificate-authority-data:");
    assert_non_null(ca);
    char cadata[8192];
    assert_int_equal(sscanf(ca, "certificate-authority-data: %8191s", cadata), 1);
    char text[16384];
    snprintf(text, sizeof text,
             "apiVersion: v1\nkind: Config\ncurrent-context: ex\n"
             "clusters:\n- name: sim\n  cluster:\n    server: %s\n"
             "    certificate-authority-data: %s\n"
             "    extensions:\n    - name: client.authentication.k8s.io/exec\n"
             "      extension: {audience: podscaler-test}\n"
             "contexts:\n- name: ex\n  context: {cluster: sim, user: ex}\n"
             "users:\n- name: ex\n  user:\n    exec:\n      apiVersion: %s\n      command: %s\n"
             "      env: [{name: PLUGIN_ENV, value: from-kubeconfig}]\n"
             "      interactiveMode: Never\n%s",
             sim.url, cadata, api, command, extra ? extra : "");
    write_file(path, text, 0600);
    free(base);
    (void)j;
}

static void test_exec_plugin(void **state)
{
    (void)state;
    const char *api = "client.authentication.k8s.io/v1";
    write_plugin(api);
    write_file(wpath("plugin-token"), "exec-1", 0600);
    add_token("exec-1");
    write_exec_kubeconfig(wpath("exec.yaml"), api, "./plugin.sh",
                          "      provideClusterInfo: true\n      installHint: see docs\n");
    struct tc t;
    memset(&t, 0, sizeof t);
    struct kube_client_opts o = fast;
    o.now_ms_fn = fake_now;
    fake_now_ms = INT64_C(1893456000000) - 3600000; /* 2029-12-31T23:00Z */
    client_open(&t, wpath("exec.yaml"), NULL, &o);
    struct kube_response r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(do_get(&t, WEB, &r), 0);
        kube_response_fini(&r);
    }
    assert_int_equal(plugin_runs(), 1); /* cached: no expiry given */
    char *info = slurp(wpath("exec-info"));
    assert_non_null(strstr(info, "\"server\":"));
    assert_non_null(strstr(info, "certificate-authority-data"));
    assert_non_null(strstr(info, "\"audience\":\"podscaler-test\""));
    free(info);

    /* the token is revoked: 401 → the plugin runs again → success */
    write_file(wpath("plugin-token"), "exec-2", 0600);
    add_token("exec-2");
    revoke_token("exec-1");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    assert_int_equal(r.attempts, 2);
    kube_response_fini(&r);
    assert_int_equal(plugin_runs(), 2);

    /* with an expiry, cached until then, re-run after */
    write_file(wpath("plugin-exp"), "2030-01-01T00:00:00Z", 0600);
    revoke_token("exec-2");
    write_file(wpath("plugin-token"), "exec-3", 0600);
    add_token("exec-3");
    assert_int_equal(do_get(&t, WEB, &r), 0); /* 401, re-run, now with expiry */
    kube_response_fini(&r);
    assert_int_equal(plugin_runs(), 3);
    assert_int_equal(do_get(&t, WEB, &r), 0);
    kube_response_fini(&r);
    assert_int_equal(plugin_runs(), 3);
    fake_now_ms = INT64_C(1893456000000) + 1000; /* past expirationTimestamp */
    assert_int_equal(do_get(&t, WEB, &r), 0);
    kube_response_fini(&r);
    assert_int_equal(plugin_runs(), 4);

    /* a failing plugin: its exit code and stderr are in the error */
    fake_now_ms += INT64_C(3600000) * 24 * 365 * 10;
    write_file(wpath("fail"), "x", 0600);
    assert_int_equal(do_get(&t, WEB, &r), KUBE_EEXEC);
    assert_non_null(strstr(r.error, "exit code 5"));
    assert_non_null(strstr(r.error, "plugin failing as asked"));
    kube_response_fini(&r);
    unlink(wpath("fail"));
    client_close(&t);

    /* v1beta1 works the same; the output apiVersion must match */
    write_plugin("client.authentication.k8s.io/v1beta1");
    write_exec_kubeconfig(wpath("exec-beta.yaml"), "client.authentication.k8s.io/v1beta1",
                          wpath("plugin.sh"), NULL);
    memset(&t, 0, sizeof t);
    client_open(&t, wpath("exec-beta.yaml"), NULL, &fast);
    write_file(wpath("plugin-token"), "exec-4", 0600);
    add_token("exec-4");
    assert_int_equal(do_get(&t, WEB, &r), 0);
    kube_response_fini(&r);
    client_close(&t);
    /* a plugin answering v1 to a v1beta1 config is refused */
    write_file(wpath("mismatch.sh"),
               "#!/bin/sh\nprintf '{\"kind\":\"ExecCredential\",\"apiVersion\":"
               "\"client.authentication.k8s.io/v1\",\"status\":{\"token\":\"exec-4\"}}'\n",
               0700);
    write_exec_kubeconfig(wpath("exec-mismatch.yaml"), "client.authentication.k8s.io/v1beta1",
                          wpath("mismatch.sh"), NULL);
    memset(&t, 0, sizeof t);
    client_open(&t, wpath("exec-mismatch.yaml"), NULL, &fast);
    assert_int_equal(do_get(&t, WEB, &r), KUBE_EEXEC);
    assert_non_null(
        strstr(r.error, "does not match the configured client.authentication.k8s.io/v1beta1"));
    kube_response_fini(&r);
    client_close(&t);

    /* a plugin that hangs is killed at the exec timeout */
    write_file(wpath("hang.sh"), "#!/bin/sh\nexec sleep 5\n", 0700);
    write_exec_kubeconfig(wpath("exec-hang.yaml"), api, wpath("hang.sh"), NULL);
    struct kube_client_opts ho = fast;
    ho.exec_timeout_ms = 300;
    memset(&t, 0, sizeof t);
    client_open(&t, wpath("exec-hang.yaml"), NULL, &ho);
    int64_t t0 = ps_clock_mono_ms();
    assert_int_equal(do_get(&t, WEB, &r), KUBE_EEXEC);
    assert_true(ps_clock_mono_ms() - t0 < 3000);
    assert_non_null(strstr(r.error, "no answer within 300 ms"));
    kube_response_fini(&r);
    client_close(&t);

    /* a missing command names itself and the install hint */
    write_exec_kubeconfig(wpath("exec-missing.yaml"), api, "no-such-plugin-xyz",
                          "      installHint: install it from example.com\n");
    memset(&t, 0, sizeof t);
    client_open(&t, wpath("exec-missing.yaml"), NULL, &fast);
    assert_int_equal(do_get(&t, WEB, &r), KUBE_EEXEC);
    assert_non_null(strstr(r.error, "\"no-such-plugin-xyz\" not found"));
    assert_non_null(strstr(r.error, "install it from example.com"));
    kube_response_fini(&r);
    client_close(&t);
}

static void test_exec_client_cert(void **state)
{
    (void)state;
    /* a plugin that answers a client certificate (PEM text, not base64) */
    char *crt = slurp(sim_path(&sim, "client.crt"));
    char *key = slurp(sim_path(&sim, "client.key"));
    assert_non_null(crt);
    assert_non_null(key);
    json_t *doc = json_pack("{s:s, s:s, s:{s:s, s:s}}", "kind", "ExecCredential", "apiVersion",
                            "client.authentication.k8s.io/v1", "status", "clientCertificateData",
                            crt, "clientKeyData", key);
    json_dump_file(doc, wpath("cred.json"), JSON_COMPACT);
    json_decref(doc);
    free(crt);
    free(key);
    char script[600];
    snprintf(script, sizeof script, "#!/bin/sh\necho run >> '%s'\nPLUGIN_ENV=x\ncat '%s'\n",
             wpath("runs"), wpath("cred.json"));
    write_file(wpath("cert-plugin.sh"), script, 0700);
    unlink(wpath("runs"));
    write_exec_kubeconfig(wpath("exec-cert.yaml"), "client.authentication.k8s.io/v1",
                          wpath("cert-plugin.sh"), NULL);
    struct tc t;
    memset(&t, 0, sizeof t);
    client_open(&t, wpath("exec-cert.yaml"), NULL, &fast);
    struct kube_response r;
    sim_admin(&sim, "DELETE", "/kubesim/requests", NULL, NULL);
    assert_int_equal(do_get(&t, WEB, &r), 0);
    kube_response_fini(&r);
    assert_int_equal(plugin_runs(), 1);
    json_t *log = requests_log();
    json_t *last = json_array_get(log, json_array_size(log) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "auth")), "client-cert");
    json_decref(log);
    client_close(&t);
}

static void test_in_cluster(void **state)
{
    (void)state;
    char sa[400];
    snprintf(sa, sizeof sa, "%s/sa", work);
    mkdir(sa, 0700);
    char *ca = slurp(sim_path(&sim, "ca.crt"));
    char p[512];
    snprintf(p, sizeof p, "%s/ca.crt", sa);
    write_file(p, ca, 0600);
    free(ca);
    snprintf(p, sizeof p, "%s/token", sa);
    add_token("sa-1");
    write_file(p, "sa-1\n", 0600);
    snprintf(p, sizeof p, "%s/namespace", sa);
    write_file(p, "shop", 0600);
    char port[16];
    snprintf(port, sizeof port, "%d", sim.port);
    setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", port, 1);
    struct tc t;
    memset(&t, 0, sizeof t);
    char err[512];
    assert_int_equal(kube_config_load_in_cluster(sa, &t.cfg, err, sizeof err), 0);
    struct kube_client_opts o = fast;
    o.now_ms_fn = fake_now;
    fake_now_ms = 5000000;
    client_open_cfg(&t, &o);
    assert_string_equal(kube_client_namespace(t.c), "shop");
    struct kube_response r;
    assert_int_equal(do_get(&t, "/apis/apps/v1/namespaces/shop/deployments", &r), 0);
    kube_response_fini(&r);
    /* rotation: the projected token is rewritten and the old one expires */
    add_token("sa-2");
    snprintf(p, sizeof p, "%s/token", sa);
    write_file(p, "sa-2\n", 0600);
    fake_now_ms += 61000;
    revoke_token("sa-1");
    assert_int_equal(do_get(&t, "/apis/apps/v1/namespaces/shop/deployments", &r), 0);
    assert_int_equal(r.attempts, 1);
    kube_response_fini(&r);
    client_close(&t);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

/* ---- aws eks get-token ---------------------------------------------------- */

static int test_eks(void)
{
    if (system("command -v aws >/dev/null 2>&1") != 0) {
        printf("aws CLI not on PATH: skipped\n");
        return 77;
    }
    /* The real CLI signs an STS URL locally (no network); a wrapper hands the token it
     * printed to kubesim before passing the output on, so the API accepts it. */
    char script[2048];
    snprintf(script, sizeof script,
             "#!/bin/sh\n"
             "out=$(aws eks get-token --cluster-name podscaler-test --region eu-west-1 \"$@\") || "
             "exit $?\n"
             "printf '%%s' \"$out\" > '%s'\n"
             "tok=$(printf '%%s' \"$out\" | python3 -c 'import json,sys; "
             "print(json.load(sys.stdin)[\"status\"][\"token\"])')\n"
             "curl -sf --cacert '%s' -H \"Authorization: Bearer %s\" -d \"{\\\"add\\\": "
             "\\\"$tok\\\"}\" '%s/kubesim/tokens' >/dev/null || exit 9\n"
             "printf '%%s' \"$out\"\n",
             wpath("eks-out"), sim_path(&sim, "ca.crt"), sim.admin_token, sim.url);
    write_file(wpath("eks.sh"), script, 0700);
    char extra[512];
    snprintf(
        extra, sizeof extra,
        "      env:\n"
        "      - {name: AWS_ACCESS_KEY_ID, value: AKIAIOSFODNN7EXAMPLE}\n"
        "      - {name: AWS_SECRET_ACCESS_KEY, value: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}\n"
        "      - {name: AWS_CONFIG_FILE, value: /dev/null}\n"
        "      - {name: AWS_SHARED_CREDENTIALS_FILE, value: /dev/null}\n");
    /* v1beta1, as `aws eks update-kubeconfig` writes it (no interactiveMode) */
    char *base = slurp(sim_path(&sim, "kubeconfig"));
    char *ca = strstr(base, "certificate-authority-data:");
    char cadata[8192];
    if (!ca || sscanf(ca, "certificate-authority-data: %8191s", cadata) != 1)
        return 1;
    free(base);
    char text[16384];
    snprintf(text, sizeof text,
             "apiVersion: v1\nkind: Config\ncurrent-context: eks\n"
             "clusters:\n- name: sim\n  cluster:\n    server: %s\n"
             "    certificate-authority-data: %s\n"
             "contexts:\n- name: eks\n  context: {cluster: sim, user: eks}\n"
             "users:\n- name: eks\n  user:\n    exec:\n"
             "      apiVersion: client.authentication.k8s.io/v1beta1\n      command: %s\n%s",
             sim.url, cadata, wpath("eks.sh"), extra);
    write_file(wpath("eks.yaml"), text, 0600);
    struct tc t;
    memset(&t, 0, sizeof t);
    char err[512];
    const char *p = wpath("eks.yaml");
    if (kube_config_load_files(&p, 1, NULL, &t.cfg, err, sizeof err) != 0) {
        fprintf(stderr, "eks kubeconfig: %s\n", err);
        return 1;
    }
    uv_loop_init(&t.loop);
    if (kube_client_new(&t.loop, &t.cfg, &fast, &t.c, err, sizeof err) != 0) {
        fprintf(stderr, "client: %s\n", err);
        return 1;
    }
    struct kube_response r;
    struct kube_request_opts o = {.method = "GET", .path = WEB};
    int rc = kube_request_sync(t.c, &o, &r);
    int fail = 0;
    if (rc != 0) {
        fprintf(stderr, "GET with the aws token: %s\n", r.error);
        fail = 1;
    }
    kube_response_fini(&r);
    char *out = slurp(wpath("eks-out"));
    if (!out || !strstr(out, "\"token\": \"k8s-aws-v1.") || !strstr(out, "expirationTimestamp")) {
        fprintf(stderr, "unexpected aws output: %s\n", out ? out : "(none)");
        fail = 1;
    }
    free(out);
    kube_client_free_sync(t.c);
    kube_config_fini(&t.cfg);
    uv_run(&t.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&t.loop) != 0) {
        fprintf(stderr, "loop not closed cleanly\n");
        fail = 1;
    }
    printf("%s\n", fail ? "eks: FAILED" : "eks: ok");
    return fail;
}

/* ---- main ----------------------------------------------------------------- */

static const char scenario[] =
    "{\"namespaces\": [\"shop\"],"
    " \"deployments\": ["
    "  {\"namespace\": \"default\", \"name\": \"web\", \"replicas\": 1,"
    "   \"containers\": [{\"name\": \"app\", \"requests\": {\"cpu\": \"250m\"}},"
    "                    {\"name\": \"side\", \"requests\": {\"cpu\": \"10m\"}}]},"
    "  {\"namespace\": \"shop\", \"name\": \"many\", \"replicas\": 25,"
    "   \"containers\": [{\"name\": \"app\", \"requests\": {\"cpu\": \"100m\"}}]}]}";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s KUBESIM_PY [eks]\n", argv[0]);
        return 2;
    }
    kubesim_py = argv[1];
    snprintf(work, sizeof work, "/tmp/kube-test-work-XXXXXX");
    if (!mkdtemp(work))
        return 1;
    if (chdir(work) != 0)
        return 1;
    char scen[300];
    snprintf(scen, sizeof scen, "%s/scenario.json", work);
    FILE *f = fopen(scen, "w");
    if (!f)
        return 1;
    fputs(scenario, f);
    fclose(f);
    const char *extra[] = {"--scenario", scen, NULL};
    if (sim_start(&sim, kubesim_py, extra) != 0)
        return 1;
    int rc;
    if (argc > 2 && strcmp(argv[2], "eks") == 0) {
        rc = test_eks();
    } else {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_get_and_404, reset_sim),
            cmocka_unit_test_setup(test_client_cert_auth, reset_sim),
            cmocka_unit_test_setup(test_list_pagination, reset_sim),
            cmocka_unit_test_setup(test_patch_types, reset_sim),
            cmocka_unit_test_setup(test_update_conflict, reset_sim),
            cmocka_unit_test_setup(test_retries, reset_sim),
            cmocka_unit_test_setup(test_timeout, reset_sim),
            cmocka_unit_test_setup(test_response_cap, reset_sim),
            cmocka_unit_test_setup(test_concurrent, reset_sim),
            cmocka_unit_test_setup(test_transport_options, reset_sim),
            cmocka_unit_test_setup(test_watch, reset_sim),
            cmocka_unit_test_setup(test_token_file_rotation, reset_sim),
            cmocka_unit_test_setup(test_static_token_401, reset_sim),
            cmocka_unit_test_setup(test_impersonation_headers, reset_sim),
            cmocka_unit_test_setup(test_exec_plugin, reset_sim),
            cmocka_unit_test_setup(test_exec_client_cert, reset_sim),
            cmocka_unit_test_setup(test_in_cluster, reset_sim),
        };
        rc = cmocka_run_group_tests(tests, NULL, NULL);
    }
    sim_stop(&sim);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", work);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", work);
    return rc;
}
