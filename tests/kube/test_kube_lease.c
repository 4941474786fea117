/*
 * Leader election against kubesim: acquire, contention, takeover after expiry,
 * release on stop, loss after the renew deadline, and a clean loop close.
 *
 * usage: test_kube_lease KUBESIM_PY
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
#include <uv.h>

#include "podscaler/clock.h"
#include "podscaler/kube.h"
#include "podscaler/kube_lease.h"
#include "sim.h"

static const char *kubesim_py;
static struct sim sim;

#define LEASE_PATH "/apis/coordination.k8s.io/v1/namespaces/default/leases/podscaler-test"

struct cand {
    const char *id;
    struct kube_lease *l;
    int started, stopped;
    char last_seen[128];
    bool freed;
};

static void on_start(void *data)
{
    ((struct cand *)data)->started++;
}
static void on_stop(void *data)
{
    ((struct cand *)data)->stopped++;
}
static void on_leader(const char *id, void *data)
{
    snprintf(((struct cand *)data)->last_seen, sizeof((struct cand *)data)->last_seen, "%s", id);
}
static void on_freed(void *data)
{
    ((struct cand *)data)->freed = true;
}

static uv_loop_t loop;
static struct kube_client *client;

static void timer_noop(uv_timer_t *t)
{
    (void)t;
}

static void run_for(int64_t ms)
{
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    uv_timer_start(&t, timer_noop, (uint64_t)ms, 0);
    while (uv_is_active((uv_handle_t *)&t))
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* Runs the loop until *flag or the timeout; returns the time it took. */
static int64_t run_until(const int *flag, int want, int64_t timeout_ms)
{
    int64_t t0 = ps_clock_mono_ms();
    while (*flag < want && ps_clock_mono_ms() - t0 < timeout_ms)
        run_for(50);
    return ps_clock_mono_ms() - t0;
}

static void cand_new(struct cand *c, const char *id, bool release)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    struct kube_lease_opts o = {.namespace = "default",
                                .name = "podscaler-test",
                                .identity = id,
                                .lease_duration_ms = 2000,
                                .renew_deadline_ms = 1500,
                                .retry_period_ms = 300,
                                .release_on_stop = release,
                                .on_started_leading = on_start,
                                .on_stopped_leading = on_stop,
                                .on_new_leader = on_leader,
                                .data = c};
    char err[256];
    int rc = kube_lease_new(client, &o, &c->l, err, sizeof err);
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_int_equal(kube_lease_start(c->l), 0);
}

static void cand_stop(struct cand *c)
{
    kube_lease_stop(c->l, on_freed, c);
    while (!c->freed)
        uv_run(&loop, UV_RUN_ONCE);
    c->l = NULL;
}

static json_t *lease_spec(void)
{
    struct kube_request_opts o = {.method = "GET", .path = LEASE_PATH};
    struct kube_response r;
    assert_int_equal(kube_request_sync(client, &o, &r), 0);
    json_t *j = NULL;
    assert_int_equal(kube_response_json(&r, (void **)&j), 0);
    kube_response_fini(&r);
    json_t *spec = json_incref(json_object_get(j, "spec"));
    json_decref(j);
    return spec;
}

static const char *holder_of(json_t *spec)
{
    return json_string_value(json_object_get(spec, "holderIdentity"));
}

static void test_validation(void **state)
{
    (void)state;
    struct kube_lease *l;
    char err[256];
    struct kube_lease_opts o = {.namespace = "default",
                                .name = "x",
                                .identity = "a",
                                .lease_duration_ms = 10000,
                                .renew_deadline_ms = 10000};
    assert_int_equal(kube_lease_new(client, &o, &l, err, sizeof err), PS_EINVAL);
    assert_non_null(strstr(err, "renew deadline"));
    o.renew_deadline_ms = 5000;
    o.retry_period_ms = 4500; /* 1.2 × 4500 > 5000 */
    assert_int_equal(kube_lease_new(client, &o, &l, err, sizeof err), PS_EINVAL);
    o.retry_period_ms = 0;
    o.identity = "";
    assert_int_equal(kube_lease_new(client, &o, &l, err, sizeof err), PS_EINVAL);
    assert_non_null(strstr(err, "identity"));
    char t[32];
    kube_format_microtime(INT64_C(1782899881123), t);
    assert_string_equal(t, "2026-07-01T09:58:01.123000Z");
}

static void test_election(void **state)
{
    (void)state;
    struct cand a, b, c;

    /* A alone: leads at once, creating the Lease */
    cand_new(&a, "cand-a", false);
    run_until(&a.started, 1, 5000);
    assert_int_equal(a.started, 1);
    assert_true(kube_lease_is_leader(a.l));
    json_t *spec = lease_spec();
    assert_string_equal(holder_of(spec), "cand-a");
    assert_int_equal(json_integer_value(json_object_get(spec, "leaseDurationSeconds")), 2);
    assert_int_equal(json_integer_value(json_object_get(spec, "leaseTransitions")), 0);
    const char *t = json_string_value(json_object_get(spec, "renewTime"));
    assert_int_equal(strlen(t), 27); /* MicroTime: six fractional digits */
    json_decref(spec);

    /* B contends while A renews: B waits */
    cand_new(&b, "cand-b", true);
    run_for(2500);
    assert_int_equal(b.started, 0);
    assert_string_equal(b.last_seen, "cand-a");
    assert_true(kube_lease_is_leader(a.l));
    assert_int_equal(a.stopped, 0);

    /* A stops without releasing: B takes over once A's lease has expired by B's clock */
    int64_t t0 = ps_clock_mono_ms();
    cand_stop(&a);
    assert_int_equal(a.stopped, 1);
    run_until(&b.started, 1, 8000);
    int64_t took = ps_clock_mono_ms() - t0;
    assert_int_equal(b.started, 1);
    assert_true(took >= 1500 && took < 6000);
    spec = lease_spec();
    assert_string_equal(holder_of(spec), "cand-b");
    assert_int_equal(json_integer_value(json_object_get(spec, "leaseTransitions")), 1);
    json_decref(spec);

    /* B stops and releases: C gets it without waiting for expiry */
    cand_new(&c, "cand-c", false);
    run_for(400);
    assert_int_equal(c.started, 0);
    cand_stop(&b);
    spec = lease_spec();
    assert_string_equal(holder_of(spec), "");
    json_decref(spec);
    t0 = ps_clock_mono_ms();
    run_until(&c.started, 1, 5000);
    assert_int_equal(c.started, 1);
    assert_true(ps_clock_mono_ms() - t0 < 1800); /* less than the 2 s lease duration */
    spec = lease_spec();
    assert_int_equal(json_integer_value(json_object_get(spec, "leaseTransitions")), 2);
    json_decref(spec);

    /* renewals fail for longer than the renew deadline: leadership is lost */
    assert_true(sim_admin(&sim, "POST", "/kubesim/faults",
                          "{\"path\": \"leases/podscaler-test$\", \"method\": \"PUT\", "
                          "\"kind\": \"status\", \"status\": 500}",
                          NULL) /
                    100 ==
                2);
    run_until(&c.stopped, 1, 6000);
    assert_int_equal(c.stopped, 1);
    assert_false(kube_lease_is_leader(c.l));
    sim_admin(&sim, "DELETE", "/kubesim/faults", NULL, NULL);
    /* and comes back: it still holds the record, so it renews it */
    run_until(&c.started, 2, 6000);
    assert_int_equal(c.started, 2);
    cand_stop(&c);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s KUBESIM_PY\n", argv[0]);
        return 2;
    }
    kubesim_py = argv[1];
    if (sim_start(&sim, kubesim_py, NULL) != 0)
        return 1;
    struct kube_config cfg;
    char err[512];
    const char *p = sim_path(&sim, "kubeconfig");
    int rc = 1;
    if (kube_config_load_files(&p, 1, NULL, &cfg, err, sizeof err) != 0 ||
        uv_loop_init(&loop) != 0 ||
        kube_client_new(&loop, &cfg, NULL, &client, err, sizeof err) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        sim_stop(&sim);
        return 1;
    }
    kube_config_fini(&cfg);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),
        cmocka_unit_test(test_election),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    kube_client_free_sync(client);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) {
        fprintf(stderr, "the loop did not close cleanly\n");
        rc = 1;
    }
    sim_stop(&sim);
    return rc;
}
