/*
 * The coordinator: rules 1 to 5 by example, bad input, and property tests over
 * thousands of random policies and histories (fixed seeds).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "podscaler/coord.h"

#define MIN_MS INT64_C(60000)

static uint64_t rng_state;
static uint64_t rnd(void)
{
    /* xorshift64*: deterministic for a seed, good enough to spread test cases. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * UINT64_C(2685821657736338717);
}
static double rnd01(void)
{
    return (double)(rnd() >> 11) / (double)(UINT64_C(1) << 53);
}
static int rnd_int(int lo, int hi)
{
    return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static void pods_at(struct coord_pod_sample *pods, int n, double cpu_ratio, double mem_ratio)
{
    for (int i = 0; i < n; i++) {
        pods[i].request[COORD_CPU] = 1000;
        pods[i].request[COORD_MEMORY] = 1e9;
        pods[i].usage[COORD_CPU] = 1000 * cpu_ratio;
        pods[i].usage[COORD_MEMORY] = 1e9 * mem_ratio;
    }
}

static void test_rule1_and_rule2(void **unused)
{
    (void)unused;
    struct coord_params p;
    struct coord_state st;
    struct coord_ownership o;
    coord_params_default(&p);
    coord_state_init(&st);

    struct coord_horizontal h = {.enabled = true, .vertical = true, .names_cpu = true};
    assert_int_equal(coord_decide_ownership(&st, &p, &h, 0, &o), 0);
    assert_int_equal(o.owner[COORD_CPU], COORD_OWNER_HORIZONTAL);
    assert_int_equal(o.owner[COORD_MEMORY], COORD_OWNER_VERTICAL);
    assert_int_equal(o.reason, COORD_R_RULE1_RESOURCES);

    h = (struct coord_horizontal){
        .enabled = true, .vertical = true, .names_memory = true, .names_other = true};
    assert_int_equal(coord_decide_ownership(&st, &p, &h, 0, &o), 0);
    assert_int_equal(o.owner[COORD_CPU], COORD_OWNER_VERTICAL);
    assert_int_equal(o.owner[COORD_MEMORY], COORD_OWNER_HORIZONTAL);

    h = (struct coord_horizontal){.enabled = true, .vertical = true, .names_other = true};
    assert_int_equal(coord_decide_ownership(&st, &p, &h, 0, &o), 0);
    assert_int_equal(o.owner[COORD_CPU], COORD_OWNER_VERTICAL);
    assert_int_equal(o.owner[COORD_MEMORY], COORD_OWNER_VERTICAL);
    assert_int_equal(o.bottleneck, -1);
    assert_int_equal(o.reason, COORD_R_RULE2_LOAD);

    h = (struct coord_horizontal){.enabled = false, .vertical = true};
    assert_int_equal(coord_decide_ownership(&st, &p, &h, 0, &o), 0);
    assert_int_equal(o.owner[COORD_CPU], COORD_OWNER_VERTICAL);
    assert_int_equal(o.owner[COORD_MEMORY], COORD_OWNER_VERTICAL);

    p.bottleneck = COORD_BN_MEMORY;
    h = (struct coord_horizontal){.enabled = true, .vertical = false};
    assert_int_equal(coord_decide_ownership(&st, &p, &h, 0, &o), 0);
    assert_int_equal(o.owner[COORD_MEMORY], COORD_OWNER_HORIZONTAL);
    assert_int_equal(o.owner[COORD_CPU], COORD_OWNER_NONE);
}

/* An Auto case: defaults but a 2-hour window and a 30-minute sustain, a fresh
 * state, three pods, and a horizontal and a vertical part. */
struct auto_case {
    struct coord_params p;
    struct coord_state st;
    struct coord_ownership o;
    struct coord_pod_sample pods[3];
    struct coord_horizontal h;
};

static void auto_short(struct auto_case *c)
{
    memset(c, 0, sizeof(*c));
    coord_params_default(&c->p);
    c->p.window_ms = 2 * 60 * MIN_MS;
    c->p.switch_sustain_ms = 30 * MIN_MS;
    coord_state_init(&c->st);
    c->h = (struct coord_horizontal){.enabled = true, .vertical = true};
}

static void test_auto_hysteresis(void **unused)
{
    (void)unused;
    struct auto_case c;
    auto_short(&c);

    /* No history: cpu. */
    assert_int_equal(coord_decide_ownership(&c.st, &c.p, &c.h, 0, &c.o), 0);
    assert_int_equal(c.o.bottleneck, COORD_CPU);
    assert_int_equal(c.o.reason, COORD_R_AUTO_NO_HISTORY);

    /* CPU runs hotter: first choice cpu. */
    int64_t t = 0;
    for (; t < 60 * MIN_MS; t += MIN_MS) {
        pods_at(c.pods, 3, 0.8, 0.5);
        assert_int_equal(coord_observe(&c.st, &c.p, t, c.pods, 3), 0);
    }
    assert_int_equal(coord_decide_ownership(&c.st, &c.p, &c.h, t, &c.o), 0);
    assert_int_equal(c.o.bottleneck, COORD_CPU);
    assert_false(c.o.changed); /* cpu confirmed: nothing changes */
    assert_int_equal(c.o.reason, COORD_R_AUTO_FIRST);

    /* Memory leads by more than the margin, but only for 10 minutes: no switch. */
    for (int i = 0; i < 10; i++, t += MIN_MS) {
        pods_at(c.pods, 3, 0.2, 1.5);
        assert_int_equal(coord_observe(&c.st, &c.p, t, c.pods, 3), 0);
    }
    /* The window's p95 still holds cpu's 0.8 for a while; drive the decision per step. */
    int switched_at = -1;
    for (int i = 0; i < 200; i++, t += MIN_MS) {
        pods_at(c.pods, 3, 0.2, 1.5);
        assert_int_equal(coord_observe(&c.st, &c.p, t, c.pods, 3), 0);
        assert_int_equal(coord_decide_ownership(&c.st, &c.p, &c.h, t, &c.o), 0);
        if (c.o.changed) {
            switched_at = i;
            break;
        }
    }
    assert_true(switched_at >= 30); /* at least switch_sustain_ms of continuous lead */
    assert_int_equal(c.o.bottleneck, COORD_MEMORY);
    assert_int_equal(c.o.reason, COORD_R_AUTO_SWITCH);
    assert_int_equal(c.o.owner[COORD_CPU], COORD_OWNER_VERTICAL);
    char text[256];
    assert_true(coord_format_reason(&c.o, &c.p, text, sizeof text) > 0);
    assert_non_null(strstr(text, "cpu -> memory"));

    /* A lead that breaks off resets the clock. */
    assert_int_equal(c.st.lead_since_ms, INT64_MIN);
}

/* Memory outruns (coord_note_outrun): memory is kept from the HPA while the
 * window holds more than the budget, taken back at once when it is the HPA's,
 * and may return by the usual hysteresis once they have left the window. */
static void test_auto_outrun(void **unused)
{
    (void)unused;
    struct auto_case c;
    auto_short(&c);
    c.p.min_load_share = 0;
    char text[320];

    /* Memory leads from the start, but an HPA on it was outrun at minute 10. */
    int64_t t = 0, first_memory = -1;
    for (; t < 6 * 60 * MIN_MS; t += MIN_MS) {
        pods_at(c.pods, 3, 0.2, 1.5);
        assert_int_equal(coord_observe(&c.st, &c.p, t, c.pods, 3), 0);
        if (t == 10 * MIN_MS)
            assert_int_equal(coord_note_outrun(&c.st, &c.p, t, 3), 0);
        assert_int_equal(coord_decide_ownership(&c.st, &c.p, &c.h, t, &c.o), 0);
        if (t >= 10 * MIN_MS && t < 10 * MIN_MS + c.p.window_ms) {
            assert_int_equal(c.o.bottleneck, COORD_CPU);
            assert_int_equal(c.o.outruns, 3);
            if (c.o.reason != COORD_R_AUTO_NO_HISTORY && c.o.reason != COORD_R_AUTO_FIRST)
                assert_int_equal(c.o.reason, COORD_R_AUTO_OUTRUN);
        }
        if (c.o.bottleneck == COORD_MEMORY && first_memory < 0)
            first_memory = t;
    }
    assert_int_equal(coord_format_reason(&c.o, &c.p, text, sizeof text) > 0, 1);
    /* Back only after the outrun left the window, and the lead was sustained. */
    assert_true(first_memory >= 10 * MIN_MS + c.p.window_ms + c.p.switch_sustain_ms);
    assert_int_equal(c.o.bottleneck, COORD_MEMORY);

    /* Memory is the HPA's: one outrun and it is taken back in the same step. */
    pods_at(c.pods, 3, 0.2, 1.5);
    assert_int_equal(coord_observe(&c.st, &c.p, t, c.pods, 3), 0);
    assert_int_equal(coord_note_outrun(&c.st, &c.p, t, 1), 0);
    assert_int_equal(coord_decide_ownership(&c.st, &c.p, &c.h, t, &c.o), 0);
    assert_true(c.o.changed);
    assert_int_equal(c.o.reason, COORD_R_AUTO_OUTRUN);
    assert_int_equal(c.o.bottleneck, COORD_CPU);
    assert_int_equal(c.o.previous, COORD_MEMORY);
    assert_int_equal(c.o.owner[COORD_MEMORY], COORD_OWNER_VERTICAL);
    assert_true(coord_format_reason(&c.o, &c.p, text, sizeof text) > 0);
    assert_non_null(strstr(text, "taken back"));

    /* A budget lets that many through. */
    c.p.memory_outrun_budget = 5;
    for (int i = 0; i < 200 && c.o.bottleneck != COORD_MEMORY; i++) {
        t += MIN_MS;
        assert_int_equal(coord_observe(&c.st, &c.p, t, c.pods, 3), 0);
        assert_int_equal(coord_note_outrun(&c.st, &c.p, t, i < 4 ? 1 : 0), 0);
        assert_int_equal(coord_decide_ownership(&c.st, &c.p, &c.h, t, &c.o), 0);
    }
    assert_int_equal(c.o.bottleneck, COORD_MEMORY);
    assert_true(c.o.outruns >= 5 && c.o.outruns <= c.p.memory_outrun_budget);

    /* Bad input: a negative count, or a step coord_observe has not opened. */
    assert_int_equal(coord_note_outrun(&c.st, &c.p, t, -1), PS_EINVAL);
    assert_int_equal(coord_note_outrun(&c.st, &c.p, t + c.p.window_ms, 1), PS_ETIME);
    assert_int_equal(coord_note_outrun(NULL, &c.p, t, 1), PS_EINVAL);
    struct coord_params bad = c.p;
    bad.memory_outrun_budget = -1;
    assert_int_equal(coord_params_validate(&bad), COORD_EPARAMS);
}

static void test_filter_and_invariant(void **unused)
{
    (void)unused;
    struct coord_ownership o = {.owner = {COORD_OWNER_HORIZONTAL, COORD_OWNER_VERTICAL},
                                .bottleneck = COORD_CPU};
    struct coord_container_change c[2] = {
        {.request_before = {500, 1000},
         .request_after = {800, 1200},
         .limit_before = {1000, 2000},
         .limit_after = {1600, 2400}},
        {.request_before = {100, 100},
         .request_after = {100, 100},
         .limit_before = {-1, -1},
         .limit_after = {-1, -1}},
    };
    assert_int_equal(coord_check_invariant(&o, c, 2), COORD_EVIOLATION);
    assert_int_equal(coord_filter_vertical(&o, c, 2), 1);
    assert_int_equal(c[0].request_after[COORD_CPU], 500);
    assert_int_equal(c[0].limit_after[COORD_CPU], 1000);
    assert_int_equal(c[0].request_after[COORD_MEMORY], 1200);
    assert_int_equal(c[0].limit_after[COORD_MEMORY], 2400);
    assert_int_equal(coord_check_invariant(&o, c, 2), 0);
}

static void test_gate(void **unused)
{
    (void)unused;
    struct coord_params p;
    struct coord_state st;
    coord_params_default(&p);
    coord_state_init(&st);
    const unsigned R = COORD_CHANGE_RESTARTS, N = COORD_CHANGE_NEEDED, O = COORD_CHANGE_AFTER_OOM;
    int64_t t = 10 * 86400000LL;
    assert_int_equal(coord_gate_vertical(&st, &p, t, R, 5, 2), COORD_GATE_OK);
    coord_note_scale_event(&st, t - 100 * 1000);
    assert_int_equal(coord_gate_vertical(&st, &p, t, R, 5, 2), COORD_GATE_STABILIZING);
    /* An in-place change restarts nothing: the window does not hold it. */
    assert_int_equal(coord_gate_vertical(&st, &p, t, 0, 5, 2), COORD_GATE_OK);
    assert_int_equal(coord_gate_vertical(&st, &p, t + 300 * 1000, R, 5, 2), COORD_GATE_OK);
    assert_int_equal(coord_gate_vertical(&st, &p, t + 300 * 1000, R, 2, 2),
                     COORD_GATE_MIN_AVAILABLE);

    /* Needed raises and changes after an OOM kill do not use the day's cap. */
    coord_note_vertical_change(&st, t, N);
    coord_note_vertical_change(&st, t, O);
    coord_note_vertical_change(&st, t, R | O);
    coord_note_vertical_change(&st, t, R | COORD_CHANGE_HANDOVER);
    assert_int_equal(coord_vertical_changes_last_day(&st, t), 0);
    /* A restarting raise is disruptive all the same: it counts. */
    assert_true(coord_change_counts(R | N));
    for (int i = 0; i < p.max_vertical_changes_per_day; i++)
        coord_note_vertical_change(&st, t + i * 3600 * 1000LL, i % 2 ? 0 : R);
    int64_t later = t + 5 * 3600 * 1000LL;
    assert_int_equal(coord_vertical_changes_last_day(&st, later), p.max_vertical_changes_per_day);
    assert_int_equal(coord_gate_vertical(&st, &p, later, R, 5, 2), COORD_GATE_DAILY_CAP);
    /* The cap holds in-place changes too, but for the raises the pods need now. */
    assert_int_equal(coord_gate_vertical(&st, &p, later, 0, 5, 2), COORD_GATE_DAILY_CAP);
    assert_int_equal(coord_gate_vertical(&st, &p, later, N, 5, 2), COORD_GATE_OK);
    assert_int_equal(coord_gate_vertical(&st, &p, later, R | N, 5, 2), COORD_GATE_DAILY_CAP);
    /* After an OOM kill, raising memory is held by neither the cap nor the window. */
    assert_int_equal(coord_gate_vertical(&st, &p, later, R | O, 5, 2), COORD_GATE_OK);
    coord_note_scale_event(&st, later - 1000);
    assert_int_equal(coord_gate_vertical(&st, &p, later + 1, R | O, 5, 2), COORD_GATE_OK);
    assert_int_equal(coord_gate_vertical(&st, &p, later + 1, R, 5, 2), COORD_GATE_DAILY_CAP);
    /* A day after the first counted change, one slot frees up. */
    assert_int_equal(coord_gate_vertical(&st, &p, t + 86400000LL + 1, 0, 5, 2), COORD_GATE_OK);

    /* lowerAfterSeconds: a change that lowers a request waits until the workload
     * has been observed that long; raises and moves that lower nothing do not. */
    const unsigned L = COORD_CHANGE_LOWERS;
    coord_state_init(&st);
    assert_int_equal(coord_gate_vertical(&st, &p, t, L, 5, 2), COORD_GATE_OK); /* default 0 */
    p.lower_after_ms = 86400000LL;
    assert_int_equal(coord_params_validate(&p), 0);
    assert_int_equal(coord_gate_vertical(&st, &p, t, L, 5, 2), COORD_GATE_HISTORY);
    assert_int_equal(coord_observe(&st, &p, t, NULL, 0), 0);
    assert_int_equal(st.first_seen_ms, t);
    assert_int_equal(coord_observe(&st, &p, t + 1000, NULL, 0), 0);
    assert_int_equal(st.first_seen_ms, t);
    const int64_t hour = 3600 * 1000LL;
    assert_int_equal(coord_gate_vertical(&st, &p, t + hour, L, 5, 2), COORD_GATE_HISTORY);
    assert_int_equal(coord_gate_vertical(&st, &p, t + hour, L | R, 5, 2), COORD_GATE_HISTORY);
    assert_int_equal(coord_gate_vertical(&st, &p, t + hour, N, 5, 2), COORD_GATE_OK);
    assert_int_equal(coord_gate_vertical(&st, &p, t + hour, 0, 5, 2), COORD_GATE_OK);
    assert_int_equal(coord_gate_vertical(&st, &p, t + 86400000LL - 1, L, 5, 2), COORD_GATE_HISTORY);
    assert_int_equal(coord_gate_vertical(&st, &p, t + 86400000LL, L, 5, 2), COORD_GATE_OK);
    assert_string_equal(coord_gate_reason_name(COORD_GATE_HISTORY),
                        "too little usage history to lower a request");
    p.lower_after_ms = -1;
    assert_int_equal(coord_params_validate(&p), COORD_EPARAMS);
}

static void test_bad_input_leaves_state(void **unused)
{
    (void)unused;
    struct coord_params p;
    struct coord_state st, before;
    struct coord_pod_sample pods[2];
    coord_params_default(&p);
    coord_state_init(&st);
    pods_at(pods, 2, 0.5, 0.5);
    assert_int_equal(coord_observe(&st, &p, 10 * MIN_MS, pods, 2), 0);
    memcpy(&before, &st, sizeof st);

    pods[1].usage[COORD_CPU] = NAN;
    assert_int_equal(coord_observe(&st, &p, 11 * MIN_MS, pods, 2), PS_ENAN);
    assert_memory_equal(&before, &st, sizeof st);
    pods_at(pods, 2, 0.5, 0.5);
    pods[0].usage[COORD_MEMORY] = -1;
    assert_int_equal(coord_observe(&st, &p, 11 * MIN_MS, pods, 2), PS_ENEGATIVE);
    assert_memory_equal(&before, &st, sizeof st);
    pods_at(pods, 2, 0.5, 0.5);
    pods[0].request[COORD_MEMORY] = INFINITY;
    assert_int_equal(coord_observe(&st, &p, 11 * MIN_MS, pods, 2), PS_ENAN);
    /* Far in the past: the slot for that time is newer. */
    pods_at(pods, 2, 0.5, 0.5);
    assert_int_equal(coord_observe(&st, &p, 10 * MIN_MS - p.window_ms, pods, 2), PS_ETIME);
    assert_memory_equal(&before, &st, sizeof st);
    assert_int_equal(coord_observe(NULL, &p, 0, pods, 2), PS_EINVAL);

    struct coord_params bad = p;
    bad.pressure_percentile = 1.5;
    assert_int_equal(coord_params_validate(&bad), COORD_EPARAMS);
    bad = p;
    bad.max_vertical_changes_per_day = COORD_CHANGES_RING;
    assert_int_equal(coord_params_validate(&bad), COORD_EPARAMS);
    assert_int_equal(coord_params_validate(&p), 0);
    assert_non_null(strstr(coord_strerror(COORD_EVIOLATION), "invariant"));
}

/* Usage generated exactly by u = a + L/r: the estimate finds a from replica changes. */
static void test_group_size_model(void **unused)
{
    (void)unused;
    struct coord_params p;
    struct coord_state st;
    struct coord_pod_sample pods[16];
    coord_params_default(&p);
    coord_state_init(&st);
    const double a = 200e6, load = 3.2e9;
    for (int step = 0; step < 200; step++) {
        int r = 4 + (step / 7) % 9;
        double l = load * (1.0 + 0.001 * (step % 5)); /* a little load noise */
        for (int i = 0; i < r; i++) {
            pods[i].usage[COORD_MEMORY] = a + l / r;
            pods[i].request[COORD_MEMORY] = 1e9;
            pods[i].usage[COORD_CPU] = 100;
            pods[i].request[COORD_CPU] = 500;
        }
        assert_int_equal(coord_observe(&st, &p, step * MIN_MS, pods, (size_t)r), 0);
    }
    double fixed = coord_gsm_fixed(&st.gsm[COORD_MEMORY]);
    assert_true(fabs(fixed - a) / a < 0.05);
    /* Re-expressed at another group size, a sample follows the model. */
    double u4 = a + load / 4;
    assert_true(fabs(coord_gsm_rescale_pod(fixed, u4, u4, 4, 8) - (a + load / 8)) / (a + load / 8) <
                0.01);
    /* Same group size: bit-identical, the reduction to upstream VPA. */
    assert_true(coord_gsm_rescale_pod(fixed, u4, u4, 6, 6) == u4);
    /* A pod 0.5 GB above its group's mean keeps that distance at any group size:
     * only the shared load moves. Five onto one: the mean pod carries the load of
     * five, the distance is added once, not five times. */
    const double mean5 = a + load / 5;
    assert_true(fabs(coord_gsm_rescale_pod(fixed, mean5 + 0.5e9, mean5, 5, 1) -
                     (a + load + 0.5e9)) < 0.01 * (a + load));
    /* Onto more pods, the shift is never more than the pod's whole usage would
     * give were it all load, and never negative. */
    assert_true(coord_gsm_rescale_pod(fixed, 10e6, mean5, 5, 20) >= 10e6 * 5 / 20);
    assert_true(coord_gsm_rescale_pod(fixed, 0, mean5, 5, 20) == 0);
    /* No replica changes: the idle floor bounds it. */
    coord_state_init(&st);
    for (int step = 0; step < 50; step++) {
        pods_at(pods, 3, 0.5, 0.3 + 0.01 * (step % 10));
        assert_int_equal(coord_observe(&st, &p, step * MIN_MS, pods, 3), 0);
    }
    assert_true(fabs(coord_gsm_fixed(&st.gsm[COORD_MEMORY]) - 0.3e9) < 1.0);
    /* All per pod, but not flat: one step at a start-up 50 MB sets the idle
     * floor, then every pod holds 1.4 GB whatever the count. Measured across the
     * replica changes the fixed part is the 1.4 GB, above that floor. */
    coord_state_init(&st);
    for (int step = 0; step < 600; step++) {
        int r = 2 + (step / 5) % 7;
        for (int i = 0; i < r; i++) {
            pods[i].usage[COORD_MEMORY] = step == 0 ? 50e6 : 1.4e9;
            pods[i].request[COORD_MEMORY] = 2e9;
            pods[i].usage[COORD_CPU] = 100;
            pods[i].request[COORD_CPU] = 500;
        }
        assert_int_equal(coord_observe(&st, &p, step * MIN_MS, pods, (size_t)r), 0);
    }
    fixed = coord_gsm_fixed(&st.gsm[COORD_MEMORY]);
    assert_true(fixed > 1.3e9 && fixed <= st.gsm[COORD_MEMORY].mean_per_pod);
    /* So a pod's memory does not move with the group size. */
    assert_true(fabs(coord_gsm_rescale_pod(fixed, 1.4e9, 1.4e9, 8, 2) - 1.4e9) < 0.02e9);
}

/* Property: after filtering, no random vertical proposal changes the request of
 * a horizontally owned resource, whatever the policy and history. */
static void test_property_invariant(void **unused)
{
    (void)unused;
    rng_state = UINT64_C(0x9e3779b97f4a7c15);
    struct coord_pod_sample pods[12];
    for (int trial = 0; trial < 3000; trial++) {
        struct coord_params p;
        struct coord_state st;
        coord_params_default(&p);
        p.bottleneck = (enum coord_bottleneck)rnd_int(0, 3);
        p.switch_margin = rnd01() * 0.5;
        p.switch_sustain_ms = rnd_int(0, 60) * MIN_MS;
        p.window_ms = rnd_int(1, 240) * MIN_MS;
        assert_int_equal(coord_params_validate(&p), 0);
        coord_state_init(&st);
        struct coord_horizontal h = {.enabled = rnd() & 1,
                                     .vertical = true,
                                     .names_cpu = (rnd() % 4) == 0,
                                     .names_memory = (rnd() % 4) == 0,
                                     .names_other = (rnd() % 4) == 0,
                                     .min_replicas = rnd_int(0, 4),
                                     .target_utilization = {rnd_int(0, 100), rnd_int(0, 100)}};
        p.release_at_min = rnd() & 1;
        int64_t t = rnd_int(0, 1000) * MIN_MS;
        for (int step = 0; step < 40; step++, t += rnd_int(1, 5) * MIN_MS) {
            int n = rnd_int(1, 12);
            pods_at(pods, n, rnd01() * 2, rnd01() * 2);
            assert_int_equal(coord_observe(&st, &p, t, pods, (size_t)n), 0);
            struct coord_ownership o;
            assert_int_equal(coord_decide_ownership(&st, &p, &h, t, &o), 0);
            struct coord_container_change c[3];
            for (int k = 0; k < 3; k++)
                for (int r = 0; r < COORD_NRES; r++) {
                    c[k].request_before[r] = rnd_int(1, 4000);
                    c[k].request_after[r] = rnd_int(1, 4000);
                    c[k].limit_before[r] = rnd_int(-1, 8000);
                    c[k].limit_after[r] = rnd_int(-1, 8000);
                }
            assert_true(coord_filter_vertical(&o, c, 3) >= 0);
            assert_int_equal(coord_check_invariant(&o, c, 3), 0);
            /* Each resource has at most one owner and a horizontal owner only when enabled. */
            for (int r = 0; r < COORD_NRES; r++)
                if (!h.enabled)
                    assert_int_not_equal(o.owner[r], COORD_OWNER_HORIZONTAL);
        }
    }
}

/* coord_note_vertical_bound refuses what no recommender gives, and keeps the
 * bound it had; coord_release_candidate names nothing it cannot release. */
static void test_vertical_bound_inputs(void **unused)
{
    (void)unused;
    struct coord_state st;
    struct coord_params p;
    coord_params_default(&p);
    coord_state_init(&st);
    assert_int_equal(coord_note_vertical_bound(&st, COORD_MEMORY, 5e8), 0);
    assert_int_equal(coord_note_vertical_bound(&st, COORD_MEMORY, NAN), PS_ENAN);
    assert_int_equal(coord_note_vertical_bound(&st, COORD_MEMORY, INFINITY), PS_ENAN);
    assert_int_equal(coord_note_vertical_bound(&st, COORD_MEMORY, -1), PS_ENEGATIVE);
    assert_int_equal(coord_note_vertical_bound(&st, (enum coord_resource)2, 1), PS_EINVAL);
    assert_int_equal(coord_note_vertical_bound(NULL, COORD_CPU, 1), PS_EINVAL);
    assert_true(st.vertical_bound[COORD_MEMORY] == 5e8);

    struct coord_horizontal h = {
        .enabled = true, .vertical = true, .min_replicas = 1, .target_utilization = {80, 80}};
    /* Nothing observed yet. */
    assert_int_equal(coord_release_candidate(&st, &p, &h), -1);
    struct coord_pod_sample pods[4];
    pods_at(pods, 1, 0.5, 0.3);
    assert_int_equal(coord_observe(&st, &p, 0, pods, 1), 0);
    assert_int_equal(coord_release_candidate(&st, &p, &h), COORD_CPU);
    p.bottleneck = COORD_BN_MEMORY;
    assert_int_equal(coord_release_candidate(&st, &p, &h), COORD_MEMORY);
    /* 90% of the reference: more than minReplicas at the target. */
    pods_at(pods, 1, 0.5, 0.9);
    assert_int_equal(coord_observe(&st, &p, MIN_MS, pods, 1), 0);
    assert_int_equal(coord_release_candidate(&st, &p, &h), -1);
    /* More pods than minReplicas, explicit metrics, no release: none. */
    p.bottleneck = COORD_BN_CPU;
    pods_at(pods, 2, 0.1, 0.1);
    assert_int_equal(coord_observe(&st, &p, 2 * MIN_MS, pods, 2), 0);
    assert_int_equal(coord_release_candidate(&st, &p, &h), -1);
    /* cpu under half the target needs no bound: it goes whatever the bound. */
    pods_at(pods, 1, 0.1, 0.1);
    assert_int_equal(coord_observe(&st, &p, 3 * MIN_MS, pods, 1), 0);
    assert_int_equal(coord_release_candidate(&st, &p, &h), -1);
    pods_at(pods, 1, 0.6, 0.1);
    assert_int_equal(coord_observe(&st, &p, 4 * MIN_MS, pods, 1), 0);
    assert_int_equal(coord_release_candidate(&st, &p, &h), COORD_CPU);
    h.names_cpu = true;
    assert_int_equal(coord_release_candidate(&st, &p, &h), -1);
    h.names_cpu = false;
    p.release_at_min = false;
    assert_int_equal(coord_release_candidate(&st, &p, &h), -1);
    assert_int_equal(coord_release_candidate(NULL, &p, &h), -1);
}

/* A take-back's reason names what ended the release. A released memory request
 * taken back because the load needs pods again said "the vertical scaler would
 * keep the reference request now": the load's pod count was computed only
 * while a release could hold, and the engine notes no bound then. */
static void test_take_back_reason(void **unused)
{
    (void)unused;
    struct coord_params p;
    struct coord_state st;
    struct coord_ownership o;
    struct coord_pod_sample pods[1];
    char text[512];
    coord_params_default(&p);
    p.bottleneck = COORD_BN_MEMORY;
    coord_state_init(&st);
    struct coord_horizontal h = {
        .enabled = true, .vertical = true, .min_replicas = 1, .target_utilization = {80, 80}};
    int released_at = -1, taken_at = -1;
    for (int i = 0; i < 200 && taken_at < 0; i++) {
        const int64_t t = (int64_t)i * 5 * MIN_MS;
        pods_at(pods, 1, 0.01, i < 150 ? 0.1 : 0.9);
        assert_int_equal(coord_observe(&st, &p, t, pods, 1), 0);
        const int cand = coord_release_candidate(&st, &p, &h);
        assert_int_equal(coord_note_vertical_bound(&st, COORD_MEMORY, 0), 0);
        if (cand == COORD_MEMORY) /* the vertical scaler would lower 1e9 to 5e8 */
            assert_int_equal(coord_note_vertical_bound(&st, COORD_MEMORY, 5e8), 0);
        assert_int_equal(coord_decide_ownership(&st, &p, &h, t, &o), 0);
        if (o.reason == COORD_R_RELEASED && released_at < 0)
            released_at = i;
        if (o.reason == COORD_R_TAKEN_BACK)
            taken_at = i;
    }
    assert_true(released_at >= 0 && released_at < 150);
    assert_int_equal(taken_at, 150);
    assert_int_equal(o.needed, 2); /* 0.9e9 at 80% of 1e9 */
    assert_true(coord_format_reason(&o, &p, text, sizeof text) > 0);
    assert_non_null(strstr(text, "the load needs 2 pods, more than minReplicas (1)"));
}

/* Property: release at minReplicas, with no horizontal owner while it lasts.
 * A release needs a sustain since the start or the last take-back, at most
 * minReplicas pods, and a load that fits them at half the target, or at the
 * whole target when the reference request is above its vertical bound
 * (oversized); memory only then. A take-back needs a load that needs more pods
 * at the target, a released memory request no longer oversized, or Auto moving
 * the bottleneck. What is released, or stays so, is always the resource
 * coord_release_candidate named before the step: the engine computes only
 * that bound. */
static void test_property_release(void **unused)
{
    (void)unused;
    rng_state = UINT64_C(0x5851f42d4c957f2d);
    struct coord_pod_sample pods[8];
    int releases = 0, takebacks = 0, releases_of[COORD_NRES] = {0, 0}, oversized_releases = 0;
    double bound[COORD_NRES] = {0, 0};
    for (int trial = 0; trial < 1500; trial++) {
        struct coord_params p;
        struct coord_state st;
        coord_params_default(&p);
        p.bottleneck = (enum coord_bottleneck)rnd_int(0, 2); /* Auto, cpu, memory */
        p.switch_sustain_ms = rnd_int(0, 180) * MIN_MS;
        p.window_ms = rnd_int(60, 1440) * MIN_MS;
        p.min_load_share = 0;
        assert_int_equal(coord_params_validate(&p), 0);
        coord_state_init(&st);
        const int min = rnd_int(1, 3);
        struct coord_horizontal h = {.enabled = true,
                                     .vertical = true,
                                     .min_replicas = min,
                                     .target_utilization = {rnd_int(20, 100), rnd_int(20, 100)}};
        int64_t t = 0, since = 0;
        double cpu = rnd01(), mem = rnd01();
        int released = 0;
        for (int step = 0; step < 300; step++, t += rnd_int(1, 10) * MIN_MS) {
            cpu = fmax(0, cpu + (rnd01() - 0.5) * 0.2);
            mem = fmax(0, mem + (rnd01() - 0.5) * 0.2);
            const int n = (rnd() % 4) ? min : rnd_int(1, 8);
            pods_at(pods, n, cpu, mem);
            assert_int_equal(coord_observe(&st, &p, t, pods, (size_t)n), 0);
            const int cand = coord_release_candidate(&st, &p, &h);
            /* Bounds below the reference request (oversized), above it, or none;
             * a bound stays a while, as a recommender's does. */
            if (step % 12 == 0) {
                const double ref[COORD_NRES] = {1000, 1e9};
                for (int r = 0; r < COORD_NRES; r++) {
                    const int kind = rnd_int(0, 2);
                    bound[r] = kind == 0 ? 0 : ref[r] * (kind == 1 ? rnd01() : 1 + rnd01());
                }
            }
            for (int r = 0; r < COORD_NRES; r++)
                assert_int_equal(coord_note_vertical_bound(&st, (enum coord_resource)r, bound[r]),
                                 0);
            struct coord_ownership o;
            assert_int_equal(coord_decide_ownership(&st, &p, &h, t, &o), 0);
            const double total[COORD_NRES] = {1000 * cpu * n, 1e9 * mem * n};
            if (o.reason == COORD_R_RELEASED) {
                const int r = o.released;
                assert_true(r == COORD_CPU || r == COORD_MEMORY);
                const double ref = r == COORD_CPU ? 1000 : 1e9;
                /* cpu released, or under half the target: no bound asked. */
                const bool by_half =
                    r == COORD_CPU &&
                    (!o.changed ||
                     coord_projected_replicas(total[r], ref, (h.target_utilization[r] + 1) / 2, min,
                                              INT32_MAX) <= min);
                assert_int_equal(cand, by_half ? -1 : r);
                assert_true(o.oversized == (!by_half && bound[r] > 0 && ref > bound[r]));
                if (r == COORD_MEMORY)
                    assert_true(o.oversized);
                assert_int_equal(o.bottleneck, -1);
                assert_int_equal(o.owner[COORD_CPU], COORD_OWNER_VERTICAL);
                assert_int_equal(o.owner[COORD_MEMORY], COORD_OWNER_VERTICAL);
                assert_true(o.needed <= min);
                if (o.changed) {
                    assert_false(released);
                    assert_true(t - since >= p.switch_sustain_ms);
                    assert_true(n <= min);
                    const int util =
                        o.oversized ? h.target_utilization[r] : (h.target_utilization[r] + 1) / 2;
                    assert_true(coord_projected_replicas(total[r], ref, util, min, INT32_MAX) <=
                                min);
                    released = 1;
                    releases++;
                    releases_of[r]++;
                    oversized_releases += o.oversized;
                }
            } else if (o.reason == COORD_R_TAKEN_BACK) {
                assert_true(released && o.changed);
                assert_true(o.needed > min || o.bottleneck != o.released ||
                            (o.released == COORD_MEMORY && !o.oversized));
                assert_int_equal(o.owner[o.bottleneck], COORD_OWNER_HORIZONTAL);
                released = 0;
                since = t;
                takebacks++;
            } else {
                assert_false(released);
            }
        }
    }
    /* The cases exercised each path. */
    print_message(
        "release property: %d releases (cpu %d, memory %d; %d oversized), %d take-backs\n",
        releases, releases_of[COORD_CPU], releases_of[COORD_MEMORY], oversized_releases, takebacks);
    assert_true(releases > 100 && takebacks > 100);
    assert_true(releases_of[COORD_MEMORY] > 50 && oversized_releases > releases_of[COORD_MEMORY]);
    assert_true(releases - oversized_releases > 50);
}

/* Property: Auto never switches owners faster than the hysteresis allows. */
static void test_property_hysteresis(void **unused)
{
    (void)unused;
    rng_state = UINT64_C(0xdeadbeefcafef00d);
    struct coord_pod_sample pods[8];
    int total_switches = 0, trials_switching = 0, total_releases = 0;
    for (int trial = 0; trial < 2000; trial++) {
        struct coord_params p;
        struct coord_state st;
        coord_params_default(&p);
        p.switch_sustain_ms = rnd_int(0, 90) * MIN_MS;
        p.switch_margin = rnd01() * 0.6;
        p.window_ms = rnd_int(1, 180) * MIN_MS;
        p.min_load_share = (rnd() & 1) ? 0.0 : rnd01() * 0.8;
        p.memory_outrun_budget = rnd_int(0, 3);
        const int outrun_odds = rnd_int(10, 200);
        coord_state_init(&st);
        struct coord_horizontal h = {.enabled = true, .vertical = true};
        int64_t t = 0, last_switch = INT64_MIN;
        int switches = 0, to_memory = 0, releases = 0;
        /* Pressure that wanders and sometimes flips abruptly. */
        double cpu = rnd01(), mem = rnd01();
        for (int step = 0; step < 300; step++, t += rnd_int(1, 3) * MIN_MS) {
            if (rnd() % 20 == 0) {
                double x = cpu;
                cpu = mem;
                mem = x;
            }
            cpu = fmax(0, cpu + (rnd01() - 0.5) * 0.1);
            mem = fmax(0, mem + (rnd01() - 0.5) * 0.1);
            pods_at(pods, 4, cpu, mem);
            assert_int_equal(coord_observe(&st, &p, t, pods, 4), 0);
            if (rnd() % (uint64_t)outrun_odds == 0)
                assert_int_equal(coord_note_outrun(&st, &p, t, rnd_int(1, 4)), 0);
            struct coord_ownership o;
            assert_int_equal(coord_decide_ownership(&st, &p, &h, t, &o), 0);
            /* Never memory while the window holds more outruns than the budget. */
            if (coord_outruns(&st, &p, t) > p.memory_outrun_budget)
                assert_int_equal(o.bottleneck, COORD_CPU);
            if (o.changed && o.bottleneck == COORD_MEMORY)
                to_memory++;
            if (o.changed && o.reason == COORD_R_AUTO_OUTRUN) {
                /* A release follows an acquisition of memory: never more of them. */
                releases++;
                assert_true(releases <= to_memory);
            }
            /* The cached pressures and outruns Auto used are the ones a fresh scan gives. */
            assert_int_equal(o.outruns, coord_outruns(&st, &p, t));
            for (int r = 0; r < COORD_NRES; r++) {
                double fresh = coord_pressure(&st, &p, t, (enum coord_resource)r);
                assert_true((isnan(fresh) && isnan(o.pressure[r])) || fresh == o.pressure[r]);
            }
            if (o.changed && o.reason == COORD_R_AUTO_SWITCH) {
                if (last_switch != INT64_MIN)
                    assert_true(t - last_switch >= p.switch_sustain_ms);
                /* Never onto a resource that adding replicas would not relieve. */
                assert_true(o.load_share[o.bottleneck] >= p.min_load_share);
                last_switch = t;
                switches++;
            }
            assert_true(o.bottleneck == COORD_CPU || o.bottleneck == COORD_MEMORY);
        }
        assert_int_equal((int)st.switches, switches + releases);
        if (p.switch_sustain_ms > 0)
            assert_true(switches <= 1 + t / p.switch_sustain_ms);
        total_releases += releases;
        total_switches += switches;
        trials_switching += switches > 0;
    }
    /* The histories must make Auto switch often, or the property proves nothing. */
    print_message("hysteresis property: %d switches in %d of 2000 histories, %d releases\n",
                  total_switches, trials_switching, total_releases);
    assert_true(trials_switching > 300);
    assert_true(total_switches > 1000);
    assert_true(total_releases > 100);
}

/* Property: over any sequence of changes, those the cap counts never number more
 * than the cap in any 24 hours, the cap never holds the ones it exempts, and no
 * change that lowers a request passes before lowerAfterSeconds of history. */
static void test_property_daily_cap(void **unused)
{
    (void)unused;
    rng_state = UINT64_C(0x2545f4914f6cdd1d);
    int64_t times[400];
    int held = 0, exempt_made = 0;
    for (int trial = 0; trial < 1000; trial++) {
        struct coord_params p;
        struct coord_state st;
        coord_params_default(&p);
        p.max_vertical_changes_per_day = rnd_int(0, COORD_CHANGES_RING - 1);
        p.disruption_window_ms = rnd_int(0, 30) * MIN_MS;
        p.lower_after_ms = rnd() % 2 ? 0 : rnd_int(1, 48 * 60) * MIN_MS;
        assert_int_equal(coord_params_validate(&p), 0);
        coord_state_init(&st);
        int n = 0;
        int64_t t = rnd_int(0, 1000) * MIN_MS;
        const int64_t first = t;
        assert_int_equal(coord_observe(&st, &p, t, NULL, 0), 0);
        for (int step = 0; step < 400; step++, t += rnd_int(1, 60) * MIN_MS) {
            if (rnd() % 8 == 0)
                coord_note_scale_event(&st, t - rnd_int(0, 20) * MIN_MS);
            const unsigned flags = (unsigned)rnd_int(0, 31);
            const int replicas = rnd_int(1, 6), min_replicas = rnd_int(1, 4);
            enum coord_gate_reason g =
                coord_gate_vertical(&st, &p, t, flags, replicas, min_replicas);
            if (!coord_change_counts(flags))
                assert_int_not_equal(g, COORD_GATE_DAILY_CAP);
            if (g != COORD_GATE_OK) {
                held++;
                continue;
            }
            if ((flags & COORD_CHANGE_RESTARTS) && !(flags & COORD_CHANGE_AFTER_OOM))
                assert_true(st.last_scale_event_ms == INT64_MIN ||
                            t - st.last_scale_event_ms >= p.disruption_window_ms);
            if (flags & COORD_CHANGE_RESTARTS)
                assert_true(replicas - 1 >= min_replicas);
            if (flags & COORD_CHANGE_LOWERS)
                assert_true(t - first >= p.lower_after_ms);
            coord_note_vertical_change(&st, t, flags);
            if (!coord_change_counts(flags)) {
                exempt_made++;
                continue;
            }
            times[n++] = t;
            int in_day = 0;
            for (int i = 0; i < n; i++)
                in_day += times[i] > t - INT64_C(86400000);
            assert_true(in_day <= p.max_vertical_changes_per_day);
        }
    }
    /* Both sides of the gate must have been exercised, or this proves nothing. */
    assert_true(held > 1000);
    assert_true(exempt_made > 1000);
}

/* The group the vertical part sizes for: the smallest count of the settle window. */
static void test_settled_replicas(void **unused)
{
    (void)unused;
    struct coord_params p;
    coord_params_default(&p);
    assert_int_equal(p.group_settle_ms, 2 * 60 * MIN_MS);
    p.group_settle_ms = 10 * MIN_MS;
    struct coord_state st;
    coord_state_init(&st);
    /* A scale-out is held; a scale-in is followed at once. */
    assert_int_equal(coord_settled_replicas(&st, &p, 0, 1), 1);
    assert_int_equal(coord_settled_replicas(&st, &p, 5 * MIN_MS, 4), 1);
    assert_int_equal(coord_settled_replicas(&st, &p, 10 * MIN_MS, 4), 4);
    assert_int_equal(coord_settled_replicas(&st, &p, 15 * MIN_MS, 2), 2);
    assert_int_equal(coord_settled_replicas(&st, &p, 20 * MIN_MS, 5), 2);
    assert_int_equal(coord_settled_replicas(&st, &p, 24 * MIN_MS, 6), 2);
    assert_int_equal(coord_settled_replicas(&st, &p, 25 * MIN_MS, 6), 5);
    assert_int_equal(coord_settled_replicas(&st, &p, 34 * MIN_MS, 6), 6);
    /* Bad input leaves the state as it was. */
    struct coord_state before = st;
    assert_int_equal(coord_settled_replicas(&st, &p, 35 * MIN_MS, 0), PS_EINVAL);
    assert_int_equal(coord_settled_replicas(&st, &p, 33 * MIN_MS, 3), PS_ETIME);
    assert_memory_equal(&st, &before, sizeof(st));
    assert_int_equal(coord_settled_replicas(NULL, &p, 35 * MIN_MS, 1), PS_EINVAL);
    /* 0: the group of the moment. */
    p.group_settle_ms = 0;
    assert_int_equal(coord_settled_replicas(&st, &p, 35 * MIN_MS, 9), 9);
    assert_int_equal(coord_settled_replicas(&st, &p, 35 * MIN_MS, 3), 3);
    p.group_settle_ms = -1;
    assert_int_equal(coord_params_validate(&p), COORD_EPARAMS);
}

/* Against the smallest count recorded in the window, by brute force: equal while
 * the queue holds every rising count, never below it and never above the count
 * of the moment when it does not. */
static void test_property_settled_replicas(void **unused)
{
    (void)unused;
    rng_state = 0x5e771ed;
    enum { STEPS = 300 };
    int64_t ts[STEPS];
    int ns[STEPS];
    for (int trial = 0; trial < 2000; trial++) {
        struct coord_params p;
        coord_params_default(&p);
        p.group_settle_ms = rnd_int(0, 120) * MIN_MS;
        const int max_n = trial % 2 ? COORD_GROUP_RING : 200;
        struct coord_state st;
        coord_state_init(&st);
        int64_t t = rnd_int(0, 1000) * MIN_MS;
        for (int step = 0; step < STEPS; step++, t += rnd_int(0, 5) * MIN_MS) {
            const int n = rnd_int(1, max_n);
            ts[step] = t;
            ns[step] = n;
            int want = n;
            for (int i = 0; i < step; i++)
                if (t - ts[i] < p.group_settle_ms && ns[i] < want)
                    want = ns[i];
            const int got = coord_settled_replicas(&st, &p, t, n);
            if (max_n <= COORD_GROUP_RING)
                assert_int_equal(got, want);
            assert_true(got >= want && got <= n);
        }
    }
}

/* Property: projected replicas always lie in [min, max]. */
static void test_property_projected_replicas(void **unused)
{
    (void)unused;
    rng_state = UINT64_C(12345);
    for (int i = 0; i < 100000; i++) {
        int mn = rnd_int(1, 20), mx = mn + rnd_int(0, 100);
        double total = (rnd() % 10 == 0) ? NAN : rnd01() * 1e6;
        int r = coord_projected_replicas(total, rnd01() * 2000, rnd_int(0, 150), mn, mx);
        assert_true(r >= mn && r <= mx);
    }
    assert_int_equal(coord_projected_replicas(1000, 100, 50, 1, 100), 20);
    assert_int_equal(coord_projected_replicas(1e12, 100, 50, 1, 100), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule1_and_rule2),
        cmocka_unit_test(test_auto_hysteresis),
        cmocka_unit_test(test_auto_outrun),
        cmocka_unit_test(test_filter_and_invariant),
        cmocka_unit_test(test_gate),
        cmocka_unit_test(test_bad_input_leaves_state),
        cmocka_unit_test(test_group_size_model),
        cmocka_unit_test(test_property_invariant),
        cmocka_unit_test(test_property_hysteresis),
        cmocka_unit_test(test_vertical_bound_inputs),
        cmocka_unit_test(test_take_back_reason),
        cmocka_unit_test(test_property_release),
        cmocka_unit_test(test_property_daily_cap),
        cmocka_unit_test(test_property_projected_replicas),
        cmocka_unit_test(test_settled_replicas),
        cmocka_unit_test(test_property_settled_replicas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
