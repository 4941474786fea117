/*
 * test_hpa.c - unit tests of the hpa core: bad input gives specific error codes, the
 * boundaries upstream defines (inclusive tolerance, strict windows), and multi-pass
 * behaviour on a virtual clock (stabilization, rate limits, state caps, conditions).
 * Literal inputs only; the upstream vectors run in tests/vectors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "podscaler/hpa.h"

#define T0   INT64_C(1784160000000)
#define MAXP 32

/* A small workload: n ready Running pods with 1000m cpu requests (two containers). */
struct fixture {
    struct hpa_container containers[MAXP][2];
    struct hpa_pod pods[MAXP];
    struct hpa_pod_sample samples[MAXP];
    struct hpa_metric_spec metric;
    struct hpa_metric_input input;
    struct hpa_spec spec;
    struct hpa_config cfg;
    struct hpa_input in;
    struct hpa_state st;
    struct hpa_decision d;
};

static void fx_init(struct fixture *f, size_t n, int32_t cur, int64_t usage_per_pod)
{
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < 2; c++) {
            f->containers[i][c].name = c ? "c2" : "c1";
            f->containers[i][c].request_mask = 1u << HPA_RES_CPU;
            f->containers[i][c].request_milli[HPA_RES_CPU] = 500;
        }
        f->pods[i].name = "p";
        f->pods[i].phase = HPA_PHASE_RUNNING;
        f->pods[i].ready = HPA_CS_TRUE;
        f->pods[i].has_start_time = true;
        f->pods[i].start_time_ms = T0 - 3600 * 1000;
        f->pods[i].ready_transition_ms = T0 - 3600 * 1000;
        f->pods[i].containers = f->containers[i];
        f->pods[i].n_containers = 2;
        f->samples[i].present = true;
        f->samples[i].value_milli = usage_per_pod;
        f->samples[i].timestamp_ms = T0;
        f->samples[i].window_ms = 60000;
    }
    hpa_metric_spec_default(&f->metric);
    f->metric.target.average_utilization = 50;
    f->input.fetch = HPA_FETCH_OK;
    f->input.pod_samples = f->samples;
    f->spec.has_min_replicas = true;
    f->spec.min_replicas = 1;
    f->spec.max_replicas = 100;
    f->spec.metrics = &f->metric;
    f->spec.n_metrics = 1;
    hpa_config_default(&f->cfg);
    f->in.scale_ok = true;
    f->in.spec_replicas = cur;
    f->in.status_replicas = cur;
    f->in.status_desired_replicas = cur;
    f->in.selector = HPA_SELECTOR_OK;
    f->in.pods = f->pods;
    f->in.n_pods = n;
    f->in.metrics = &f->input;
    hpa_state_init(&f->st);
}

static struct hpa_calc calc_of(const struct fixture *f)
{
    struct hpa_calc c = {
        .current_replicas = f->in.spec_replicas,
        .tol = {0.1, 0.1},
        .cpu_initialization_period_ms = 300000,
        .initial_readiness_delay_ms = 30000,
        .pod_level_resources = true,
        .now_ms = T0,
        .pods = f->pods,
        .n_pods = f->in.n_pods,
    };
    return c;
}

/* One full pass (reconcile + successful PUT). */
static int pass(struct fixture *f, int64_t now)
{
    int rc = hpa_reconcile(&f->cfg, &f->spec, &f->in, &f->st, now, &f->d);
    if (rc == 0 && f->d.rescale)
        rc = hpa_commit(&f->cfg, &f->spec, &f->st, &f->d, 0, now);
    return rc;
}

/* ------------------------------------------------------------------------------------- */
/* Bad input */

static void test_nan_and_negative_metric_values(void **state)
{
    (void)state;
    int64_t m;
    assert_int_equal(hpa_milli_from_double(NAN, &m), PS_ENAN);
    assert_int_equal(hpa_milli_from_double(INFINITY, &m), PS_ENAN);
    assert_int_equal(hpa_milli_from_double(-0.5, &m), HPA_ENEGMETRIC);
    assert_int_equal(hpa_milli_from_double(1e30, &m), HPA_EOVERFLOW);
    assert_int_equal(hpa_milli_from_double(1.5, &m), 0);
    assert_int_equal(m, 1500);

    static struct fixture f;
    fx_init(&f, 3, 3, 400);
    f.samples[1].value_milli = -1;
    struct hpa_calc c = calc_of(&f);
    struct hpa_metric_status st;
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st),
                     HPA_ENEGMETRIC);
    assert_int_equal(st.err, HPA_ENEGMETRIC);
    assert_int_equal(hpa_calc_plain(&c, &f.input, HPA_RES_NONE, 100, &st), HPA_ENEGMETRIC);

    /* In a reconcile the metric fails (ScalingActive=False), nothing is scaled. */
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.outcome, HPA_OUT_METRICS_FAILED);
    assert_int_equal(f.d.first_metric_err, HPA_ENEGMETRIC);
    assert_int_equal(f.d.status_desired_replicas, 3);
}

static void test_overflowing_metric_values(void **state)
{
    (void)state;
    static struct fixture f;
    fx_init(&f, 2, 2, INT64_MAX / 2 + 1);
    struct hpa_calc c = calc_of(&f);
    struct hpa_metric_status st;
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st),
                     HPA_EOVERFLOW);
    assert_int_equal(hpa_calc_plain(&c, &f.input, HPA_RES_NONE, 100, &st), HPA_EOVERFLOW);
    /* usage * 100 overflowing is caught too, not wrapped */
    fx_init(&f, 1, 1, INT64_MAX / 50);
    c = calc_of(&f);
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st),
                     HPA_EOVERFLOW);
}

static void test_requests_zero_or_missing(void **state)
{
    (void)state;
    static struct fixture f;
    struct hpa_metric_status st;
    fx_init(&f, 3, 3, 400);
    for (size_t i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++)
            f.containers[i][k].request_milli[HPA_RES_CPU] = 0;
    struct hpa_calc c = calc_of(&f);
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st),
                     HPA_ENOMATCH);

    fx_init(&f, 3, 3, 400);
    f.containers[2][1].request_mask = 0;
    c = calc_of(&f);
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st),
                     HPA_ENOREQUEST);
    assert_int_equal(st.err_pod, 2);
    assert_int_equal(st.err_container, 1);
    char msg[128];
    hpa_metric_error(&f.metric, &st, f.pods, 3, msg, sizeof msg);
    assert_string_equal(msg, "missing request for cpu in container c2 of Pod p");

    /* A named container that is absent. */
    fx_init(&f, 1, 1, 400);
    int64_t req;
    int32_t ec;
    assert_int_equal(hpa_pod_request(&f.pods[0], HPA_RES_CPU, "nope", false, &req, &ec),
                     HPA_ENOCONTAINER);
    /* Pod-level requests without the resource. */
    f.pods[0].pod_request_mask = 1u << HPA_RES_MEMORY;
    assert_int_equal(hpa_pod_request(&f.pods[0], HPA_RES_CPU, NULL, true, &req, &ec),
                     HPA_ENOPODREQUEST);
    assert_int_equal(hpa_pod_request(&f.pods[0], HPA_RES_CPU, NULL, false, &req, &ec), 0);
    assert_int_equal(req, 1000);
}

static void test_empty_pod_list_and_metrics(void **state)
{
    (void)state;
    static struct fixture f;
    struct hpa_metric_status st;
    fx_init(&f, 0, 3, 400);
    struct hpa_calc c = calc_of(&f);
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st),
                     HPA_ENOPODS);
    assert_int_equal(hpa_calc_plain(&c, &f.input, HPA_RES_NONE, 10, &st), HPA_ENOPODS);

    fx_init(&f, 3, 3, 400);
    c = calc_of(&f);
    f.input.fetch = HPA_FETCH_EMPTY;
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st),
                     HPA_ENOMETRICS);
    f.input.fetch = HPA_FETCH_ERROR;
    assert_int_equal(hpa_calc_plain(&c, &f.input, HPA_RES_CPU, 10, &st), HPA_EFETCH);
    f.input.fetch = HPA_FETCH_OK;
    for (size_t i = 0; i < 3; i++)
        f.samples[i].present = false;
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st),
                     HPA_ENOREADYMETRICS);
    int64_t none[1] = {0};
    struct hpa_metric_input ext = {.fetch = HPA_FETCH_OK, .external_values_milli = none};
    assert_int_equal(hpa_calc_external_value(&c, &ext, 100, &st), HPA_ENOMETRICS);
    /* per-pod targets with no status replicas: guarded, not a division by zero */
    c.current_replicas = 0;
    ext.n_external = 1;
    assert_int_equal(hpa_calc_external_average(&c, &ext, 100, &st), HPA_ESTATUSREPLICAS);
}

static void test_spec_and_config_errors(void **state)
{
    (void)state;
    static struct fixture f;
    fx_init(&f, 3, 3, 400);
    f.spec.min_replicas = 10;
    f.spec.max_replicas = 5;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_EMINMAX);
    assert_int_equal(f.d.outcome, HPA_OUT_INVALID);
    assert_false(f.st.seeded); /* state untouched */

    fx_init(&f, 3, 3, 400);
    f.spec.max_replicas = 0;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_EMINMAX);

    fx_init(&f, 3, 3, 400);
    f.cfg.tolerance = NAN;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_ETOLERANCE);
    f.cfg.tolerance = -0.1;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_ETOLERANCE);

    fx_init(&f, 3, 3, 400);
    f.spec.has_behavior = true;
    f.spec.behavior.has_up = true;
    f.spec.behavior.up.has_tolerance = true;
    f.spec.behavior.up.tolerance = NAN;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_ETOLERANCE);

    fx_init(&f, 3, 3, 400);
    f.spec.has_behavior = true;
    f.spec.behavior.has_down = true;
    f.spec.behavior.down.has_window = true;
    f.spec.behavior.down.window_s = 3601;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_EWINDOW);

    static const struct hpa_policy bad_period = {HPA_POLICY_PODS, 1, 0};
    fx_init(&f, 3, 3, 400);
    f.spec.has_behavior = true;
    f.spec.behavior.has_up = true;
    f.spec.behavior.up.has_policies = true;
    f.spec.behavior.up.policies = &bad_period;
    f.spec.behavior.up.n_policies = 1;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_EPOLICY);

    fx_init(&f, 3, 3, 400);
    f.spec.n_metrics = 0;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_ENOMETRICSPEC);
    f.spec.n_metrics = HPA_MAX_METRICS + 1;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_ETOOMANY);

    fx_init(&f, 3, 3, 400);
    f.in.spec_replicas = -1;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_EREPLICAS);
    assert_int_equal(hpa_reconcile(NULL, &f.spec, &f.in, &f.st, T0, &f.d), PS_EINVAL);

    /* A zero target fails that metric with a code of its own. */
    fx_init(&f, 3, 3, 400);
    f.metric.target.average_utilization = 0;
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.first_metric_err, HPA_ETARGET);
    assert_int_equal(f.d.outcome, HPA_OUT_METRICS_FAILED);

    /* Every code has its own message. */
    for (int code = HPA_ENOPODS; code >= HPA_ECONFIG; code--) {
        assert_non_null(hpa_strerror(code));
        assert_string_not_equal(hpa_strerror(code), "unknown error");
        if (code < HPA_ENOPODS)
            assert_string_not_equal(hpa_strerror(code), hpa_strerror(code + 1));
    }
}

/* ------------------------------------------------------------------------------------- */
/* Boundaries */

static void test_tolerance_is_inclusive(void **state)
{
    (void)state;
    static struct fixture f;
    struct hpa_metric_status st;
    /* 550m of 1000m at a 50% target: utilization 55, ratio exactly 1.1 = 1 + tolerance. */
    fx_init(&f, 4, 4, 550);
    struct hpa_calc c = calc_of(&f);
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st), 0);
    assert_int_equal(st.utilization, 55);
    assert_int_equal(st.replicas, 4);
    /* one more percent leaves the band: ceil(1.12 * 4) = 5 */
    fx_init(&f, 4, 4, 560);
    c = calc_of(&f);
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st), 0);
    assert_int_equal(st.replicas, 5);
    /* lower edge: ratio 0.9 holds */
    fx_init(&f, 4, 4, 450);
    c = calc_of(&f);
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st), 0);
    assert_int_equal(st.replicas, 4);
    /* asymmetric tolerances: 80% of target is within a 25% scale-down band only */
    fx_init(&f, 20, 20, 400);
    c = calc_of(&f);
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st), 0);
    assert_int_equal(st.replicas, 16);
    c.tol.down = 0.25;
    assert_int_equal(hpa_calc_resource_utilization(&c, &f.input, HPA_RES_CPU, NULL, 50, &st), 0);
    assert_int_equal(st.replicas, 20);
}

static void test_stabilization_windows_are_strict(void **state)
{
    (void)state;
    static struct hpa_recs recs;
    bool ov = false;
    /* Legacy: an entry exactly window old is not "before the cutoff": it still counts. */
    recs.n = 1;
    recs.e[0] = (struct hpa_rec){T0 - 300000, 9};
    assert_int_equal(hpa_stabilize_legacy(&recs, 3, 300000, T0, &ov), 9);
    assert_int_equal(recs.n, 2);
    /* one ms older and it is stale: reused in place, not counted */
    recs.n = 1;
    recs.e[0] = (struct hpa_rec){T0 - 300001, 9};
    assert_int_equal(hpa_stabilize_legacy(&recs, 3, 300000, T0, &ov), 3);
    assert_int_equal(recs.n, 1);
    assert_int_equal(recs.e[0].replicas, 3);
    /* Behavior: inside means strictly after now - window; a 0 s window holds nothing. */
    recs.n = 1;
    recs.e[0] = (struct hpa_rec){T0 - 60000, 9};
    enum hpa_reason why;
    assert_int_equal(hpa_stabilize_behavior(&recs, 5, 3, 0, 60000, T0, &why, &ov), 3);
    recs.n = 1;
    recs.e[0] = (struct hpa_rec){T0 - 59999, 9};
    assert_int_equal(hpa_stabilize_behavior(&recs, 5, 3, 0, 60000, T0, &why, &ov), 5);
    assert_int_equal(why, HPA_REASON_SCALE_DOWN_STABILIZED);
    /* An entry is reused only when strictly before both cutoffs. */
    recs.n = 1;
    recs.e[0] = (struct hpa_rec){T0 - 60000, 9};
    hpa_stabilize_behavior(&recs, 5, 3, 60000, 60000, T0, &why, &ov);
    assert_int_equal(recs.n, 2);
    recs.n = 1;
    recs.e[0] = (struct hpa_rec){T0 - 60001, 9};
    hpa_stabilize_behavior(&recs, 5, 3, 60000, 60000, T0, &why, &ov);
    assert_int_equal(recs.n, 1);
    assert_int_equal(recs.e[0].replicas, 3);
    assert_false(ov);
}

static void test_rate_limit_periods(void **state)
{
    (void)state;
    static struct hpa_events up, down;
    static const struct hpa_policy pods4 = {HPA_POLICY_PODS, 4, 60};
    struct hpa_rules given = {.has_policies = true, .policies = &pods4, .n_policies = 1};
    struct hpa_rules rules;
    hpa_rules_effective(&given, true, 300000, &rules);
    up.n = 1;
    up.e[0] = (struct hpa_scale_event){T0 - 59999, 3, false};
    /* 3 added inside the period: start at 7, +4 = 11 */
    assert_int_equal(hpa_scale_up_limit(10, &up, &down, &rules, T0), 11);
    up.e[0].ts_ms = T0 - 60000; /* exactly a period old: outside */
    assert_int_equal(hpa_scale_up_limit(10, &up, &down, &rules, T0), 14);
    enum hpa_reason why;
    struct hpa_rules down_rules;
    hpa_rules_effective(NULL, false, 300000, &down_rules);
    assert_int_equal(
        hpa_convert_behavior(10, 50, 1, 100, &rules, &down_rules, &up, &down, T0, &why), 14);
    assert_int_equal(why, HPA_REASON_SCALE_UP_LIMIT);
    assert_int_equal(hpa_convert_behavior(10, 50, 1, 12, &rules, &down_rules, &up, &down, T0, &why),
                     12);
    assert_int_equal(why, HPA_REASON_TOO_MANY_REPLICAS);
    /* Disabled never moves. */
    rules.select = HPA_SELECT_DISABLED;
    assert_int_equal(hpa_scale_up_limit(10, &up, &down, &rules, T0), 10);
}

/* ------------------------------------------------------------------------------------- */
/* Whole passes on a virtual clock */

static void test_legacy_scale_up_then_stabilized_down(void **state)
{
    (void)state;
    static struct fixture f;
    fx_init(&f, 4, 4, 900); /* 90% at a 50% target */
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.outcome, HPA_OUT_RESCALED);
    assert_int_equal(f.d.status_desired_replicas, 8);
    assert_int_equal(f.d.rescale_reason, HPA_RESCALE_METRIC_ABOVE);
    char msg[160];
    hpa_rescale_message(&f.spec, &f.d, msg, sizeof msg);
    assert_string_equal(msg, "New size: 8; reason: cpu resource utilization (percentage of "
                             "request) above target");

    /* Load drops to 10%: the 300 s window holds 8 until that recommendation ages out. */
    static struct hpa_state st;
    st = f.st;
    int64_t t = T0;
    int first_down_at = -1;
    for (int step = 1; step <= 30 && first_down_at < 0; step++) {
        t += 15000;
        fx_init(&f, 8, 8, 100);
        f.st = st;
        assert_int_equal(pass(&f, t), 0);
        st = f.st;
        if (f.d.outcome == HPA_OUT_RESCALED)
            first_down_at = step;
        else
            assert_int_equal(f.d.conditions[0].reason, HPA_REASON_SCALE_DOWN_STABILIZED);
    }
    /* The recommendation of 8 at T0 is stale once older than 300 s: at T0 + 315 s. */
    assert_int_equal(first_down_at, 21);
    assert_int_equal(f.d.status_desired_replicas, 2);
    assert_int_equal(f.d.rescale_reason, HPA_RESCALE_ALL_BELOW);
}

static void test_behavior_records_events_and_limits(void **state)
{
    (void)state;
    static struct fixture f;
    static const struct hpa_policy one_pod = {HPA_POLICY_PODS, 1, 60};
    fx_init(&f, 4, 4, 1000); /* 100% at 50%: wants 8 */
    f.spec.has_behavior = true;
    f.spec.behavior.has_up = true;
    f.spec.behavior.up.has_policies = true;
    f.spec.behavior.up.policies = &one_pod;
    f.spec.behavior.up.n_policies = 1;
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.status_desired_replicas, 5);
    assert_int_equal(f.st.up.n, 1);
    assert_int_equal(f.st.up.e[0].change, 1);
    /* 30 s later, still 4 pods' worth of load on 5: the period's budget is spent. */
    static struct hpa_state st;
    st = f.st;
    fx_init(&f, 5, 5, 1000);
    f.spec.has_behavior = true;
    f.spec.behavior.has_up = true;
    f.spec.behavior.up.has_policies = true;
    f.spec.behavior.up.policies = &one_pod;
    f.spec.behavior.up.n_policies = 1;
    f.st = st;
    assert_int_equal(pass(&f, T0 + 30000), 0);
    assert_int_equal(f.d.outcome, HPA_OUT_NO_CHANGE);
    assert_int_equal(f.d.conditions[2].type, HPA_COND_SCALING_LIMITED);
    assert_int_equal(f.d.conditions[2].reason, HPA_REASON_SCALE_UP_LIMIT);
    assert_int_equal(f.d.conditions[2].status, HPA_CS_TRUE);
}

static void test_failed_put_keeps_status(void **state)
{
    (void)state;
    static struct fixture f;
    fx_init(&f, 4, 4, 900);
    f.in.status_desired_replicas = 4;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), 0);
    assert_true(f.d.rescale);
    assert_int_equal(hpa_commit(&f.cfg, &f.spec, &f.st, &f.d, PS_EUNAVAIL, T0), 0);
    assert_int_equal(f.d.outcome, HPA_OUT_RESCALE_FAILED);
    assert_int_equal(f.d.status_desired_replicas, 4);
    assert_int_equal(f.d.conditions[0].reason, HPA_REASON_FAILED_UPDATE_SCALE);
    assert_int_equal(f.d.conditions[0].status, HPA_CS_FALSE);
    /* a second commit of the same decision is refused */
    assert_int_equal(hpa_commit(&f.cfg, &f.spec, &f.st, &f.d, 0, T0), PS_EINVAL);
}

static void test_foreign_conditions_keep_place(void **state)
{
    (void)state;
    static struct fixture f;
    fx_init(&f, 4, 4, 500); /* on target: no change */
    struct hpa_condition in[2] = {
        {.type = HPA_COND_OTHER, .status = HPA_CS_TRUE, .tag = 42},
        {.type = HPA_COND_ABLE_TO_SCALE,
         .status = HPA_CS_TRUE,
         .reason = HPA_REASON_READY_FOR_NEW_SCALE,
         .last_transition_ms = T0 - 999},
    };
    f.in.conditions = in;
    f.in.n_conditions = 2;
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.outcome, HPA_OUT_NO_CHANGE);
    assert_int_equal(f.d.n_conditions, 4);
    assert_int_equal(f.d.conditions[0].type, HPA_COND_OTHER);
    assert_int_equal(f.d.conditions[0].tag, 42);
    assert_int_equal(f.d.conditions[1].type, HPA_COND_ABLE_TO_SCALE);
    /* status unchanged (True): the transition time stays */
    assert_int_equal(f.d.conditions[1].last_transition_ms, T0 - 999);
    assert_int_equal(f.d.conditions[2].type, HPA_COND_SCALING_ACTIVE);
    assert_int_equal(f.d.conditions[2].last_transition_ms, T0);
    char msg[200];
    hpa_condition_message(&f.spec, &f.d, &f.d.conditions[2], msg, sizeof msg);
    assert_string_equal(msg, "the HPA was able to successfully calculate a replica count from "
                             "cpu resource utilization (percentage of request)");
    /* too many input conditions is an error, not an overflow */
    struct hpa_condition many[HPA_MAX_CONDITIONS];
    memset(many, 0, sizeof many);
    f.in.conditions = many;
    f.in.n_conditions = HPA_MAX_CONDITIONS;
    assert_int_equal(hpa_reconcile(&f.cfg, &f.spec, &f.in, &f.st, T0, &f.d), HPA_ETOOMANY);
}

static void test_history_cap(void **state)
{
    (void)state;
    static struct hpa_recs recs;
    recs.n = 0;
    bool ov = false;
    /* Reconciling every second under a 3600 s window exceeds the cap: flagged, bounded. */
    for (int i = 0; i < HPA_MAX_RECS + 10; i++)
        hpa_stabilize_legacy(&recs, i % 7, 3600000, T0 + i * 1000, &ov);
    assert_true(ov);
    assert_int_equal(recs.n, HPA_MAX_RECS);
    /* At the 15 s period the cap is never reached. */
    recs.n = 0;
    ov = false;
    for (int i = 0; i < 2000; i++)
        hpa_stabilize_legacy(&recs, 3, 3600000, T0 + (int64_t)i * 15000, &ov);
    assert_false(ov);
    assert_true(recs.n <= 242);
}

/* A workload scaled to zero (ScaledToZero=True) with one External metric, the
 * queue of both scale-from-zero tests; the caller sets the target. */
static const struct hpa_condition scaled_to_zero = {
    .type = HPA_COND_SCALED_TO_ZERO, .status = HPA_CS_TRUE, .reason = HPA_REASON_SCALED_TO_ZERO};

static void from_zero_fixture(struct fixture *f, struct hpa_metric_spec *ext,
                              struct hpa_metric_input *ei, int64_t *values)
{
    *ei = (struct hpa_metric_input){
        .fetch = HPA_FETCH_OK, .external_values_milli = values, .n_external = 1};
    fx_init(f, 0, 0, 0);
    memset(ext, 0, sizeof *ext);
    ext->type = HPA_METRIC_EXTERNAL;
    ext->name = "queue";
    f->spec.metrics = ext;
    f->in.metrics = ei;
    f->in.conditions = &scaled_to_zero;
    f->in.n_conditions = 1;
}

static void test_scale_from_zero_raises_to_min(void **state)
{
    (void)state;
    static struct fixture f;
    static struct hpa_metric_spec ext;
    static struct hpa_metric_input ei;
    int64_t values[1] = {500};
    from_zero_fixture(&f, &ext, &ei, values);
    ext.target.type = HPA_TARGET_VALUE;
    ext.target.has_value = true;
    ext.target.value_milli = 1000; /* ratio 0.5: ceil gives 1 */
    f.spec.min_replicas = 3;
    f.spec.has_behavior = true; /* behavior path: only the post-step raises it */
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.outcome, HPA_OUT_RESCALED);
    assert_int_equal(f.d.status_desired_replicas, 3);
    assert_int_equal(f.d.conditions[0].reason, HPA_REASON_NOT_SCALED_TO_ZERO);
    /* Without the condition, zero replicas disable scaling. */
    f.in.n_conditions = 0;
    hpa_state_init(&f.st);
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.outcome, HPA_OUT_SCALING_DISABLED);
    assert_int_equal(f.d.status_desired_replicas, 0);
}

/* From zero with an AverageValue target, the usual queue-length HPA: upstream's
 * per-pod ratio divides by the 0 status replicas, +Inf, outside any tolerance,
 * and scales to ceil(usage / target). The guard against that division once
 * failed the metric, and such an HPA stayed at 0 for good. */
static void test_scale_from_zero_average_value(void **state)
{
    (void)state;
    static struct fixture f;
    static struct hpa_metric_spec ext;
    static struct hpa_metric_input ei;
    int64_t values[1] = {30000};
    from_zero_fixture(&f, &ext, &ei, values);
    ext.target.type = HPA_TARGET_AVERAGE_VALUE;
    ext.target.has_average_value = true;
    ext.target.average_value_milli = 10000;
    f.spec.min_replicas = 0;
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.outcome, HPA_OUT_RESCALED);
    assert_int_equal(f.d.status_desired_replicas, 3);
    /* No usage: it stays at zero, without an error. */
    values[0] = 0;
    hpa_state_init(&f.st);
    assert_int_equal(pass(&f, T0), 0);
    assert_int_equal(f.d.status_desired_replicas, 0);
    assert_true(f.d.outcome != HPA_OUT_METRICS_FAILED);
    /* At 2 replicas with status replicas 0 (a stale scale status) the guard holds. */
    struct hpa_calc c = {.current_replicas = 0, .tol = {0.1, 0.1}};
    struct hpa_metric_status st;
    memset(&st, 0, sizeof st);
    values[0] = 30000;
    assert_int_equal(hpa_calc_external_average(&c, &ei, 10000, &st), HPA_ESTATUSREPLICAS);
}

static void test_pod_usage_helper(void **state)
{
    (void)state;
    struct hpa_container_usage u[2] = {
        {"a", 1u << HPA_RES_CPU, {100, 0}},
        {"b", (1u << HPA_RES_CPU) | (1u << HPA_RES_MEMORY), {50, 7}},
    };
    int64_t v = -1;
    assert_int_equal(hpa_pod_usage(u, 2, HPA_RES_CPU, NULL, &v), 1);
    assert_int_equal(v, 150);
    /* one container lacks memory: the pod has no entry */
    assert_int_equal(hpa_pod_usage(u, 2, HPA_RES_MEMORY, NULL, &v), 0);
    assert_int_equal(hpa_pod_usage(u, 2, HPA_RES_MEMORY, "b", &v), 1);
    assert_int_equal(v, 7);
    assert_int_equal(hpa_pod_usage(u, 2, HPA_RES_CPU, "zz", &v), 0);
    assert_int_equal(hpa_pod_usage(u, 0, HPA_RES_CPU, NULL, &v), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nan_and_negative_metric_values),
        cmocka_unit_test(test_overflowing_metric_values),
        cmocka_unit_test(test_requests_zero_or_missing),
        cmocka_unit_test(test_empty_pod_list_and_metrics),
        cmocka_unit_test(test_spec_and_config_errors),
        cmocka_unit_test(test_tolerance_is_inclusive),
        cmocka_unit_test(test_stabilization_windows_are_strict),
        cmocka_unit_test(test_rate_limit_periods),
        cmocka_unit_test(test_legacy_scale_up_then_stabilized_down),
        cmocka_unit_test(test_behavior_records_events_and_limits),
        cmocka_unit_test(test_failed_put_keeps_status),
        cmocka_unit_test(test_foreign_conditions_keep_place),
        cmocka_unit_test(test_history_cap),
        cmocka_unit_test(test_scale_from_zero_raises_to_min),
        cmocka_unit_test(test_scale_from_zero_average_value),
        cmocka_unit_test(test_pod_usage_helper),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
