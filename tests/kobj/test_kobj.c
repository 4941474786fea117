/*
 * Unit tests of the Kubernetes object decoders (include/podscaler/kobj.h): the
 * spec's example objects (spec/kubernetes-api.md section 9, copied into data/)
 * decode to the values written in them; every class of bad field (missing,
 * wrong type, absurd quantity, bad time, unknown enum value) is an error naming
 * the object and the field; a list with bad items keeps the good ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "podscaler/kobj.h"

static const char *data_dir = ".";

static json_t *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j)
        fail_msg("%s: %s", path, e.text);
    return j;
}

/* Sets (or with value NULL deletes) the member at a dotted path; numeric parts
 * index arrays. Takes the reference to value. */
static void mutate(json_t *root, const char *path, json_t *value)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *save = NULL;
    char *part = strtok_r(buf, ".", &save);
    while (part) {
        char *next = strtok_r(NULL, ".", &save);
        if (json_is_array(cur)) {
            size_t i = (size_t)strtoul(part, NULL, 10);
            if (!next) {
                if (value)
                    json_array_set_new(cur, i, value);
                else
                    json_array_remove(cur, i);
                return;
            }
            cur = json_array_get(cur, i);
        } else {
            if (!next) {
                if (value)
                    json_object_set_new(cur, part, value);
                else
                    json_object_del(cur, part);
                return;
            }
            cur = json_object_get(cur, part);
        }
        if (!cur)
            fail_msg("mutate: no %s in %s", part, path);
        part = next;
    }
}

static json_t *jtext(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    if (!j)
        fail_msg("bad JSON in test: %s", text);
    return j;
}

static int64_t t(const char *text)
{
    int64_t ms = 0;
    assert_int_equal(kobj_parse_time(text, &ms), 0);
    return ms;
}

/* ---- good objects ---- */

static void test_pod_metrics_list(void **state)
{
    (void)state;
    json_t *j = load("podmetrics_list.json");
    struct kobj_pod_metrics_list l;
    struct kobj_error err;
    assert_int_equal(kobj_decode_pod_metrics_list(j, &l, &err), 0);
    assert_int_equal(l.n_items, 2);
    assert_int_equal(l.list.n_errors, 0);
    const struct kobj_pod_metrics *m = &l.items[0];
    assert_string_equal(m->meta.name, "web-7d4b9c8f5-x2x9q");
    assert_string_equal(m->meta.ns, "shop");
    assert_string_equal(kobj_label_get(m->meta.labels, m->meta.n_labels, "app"), "web");
    assert_true(m->timestamp_ms == 1782900003000);
    assert_true(m->window_ms == 15011);
    assert_int_equal(m->n_containers, 2);
    assert_string_equal(m->containers[0].name, "app");
    assert_true(m->containers[0].cpu_nano == 212345678);
    assert_true(m->containers[0].cpu_milli == 213); /* rounded up, as MilliValue */
    assert_true(m->containers[0].mem_bytes == 187412LL * 1024);
    assert_true(l.items[1].containers[0].cpu_milli == 250);
    assert_true(l.items[1].containers[0].mem_bytes == 201326592);
    assert_true(l.items[1].containers[1].cpu_nano == 3872000);
    assert_true(l.items[1].containers[1].cpu_milli == 4);
    assert_true(l.items[1].containers[1].mem_bytes == 30LL << 20);
    assert_true(l.items[1].window_ms == 20433);
    kobj_pod_metrics_list_free(&l);
    assert_null(l.items);

    /* a single item decodes alone too */
    struct kobj_pod_metrics one;
    assert_int_equal(
        kobj_decode_pod_metrics(json_array_get(json_object_get(j, "items"), 1), &one, &err), 0);
    assert_non_null(one.arena);
    assert_string_equal(one.meta.name, "web-7d4b9c8f5-q8lmn");
    kobj_pod_metrics_free(&one);
    json_decref(j);
}

static void test_pod(void **state)
{
    (void)state;
    json_t *j = load("pod.json");
    struct kobj_pod p;
    struct kobj_error err;
    assert_int_equal(kobj_decode_pod(j, &p, &err), 0);
    assert_string_equal(p.meta.name, "web-7d4b9c8f5-x2x9q");
    assert_string_equal(p.meta.ns, "shop");
    assert_string_equal(p.meta.uid, "4b0e5e9a-8a0c-4a57-9d1c-2f3e8b7c6d10");
    assert_true(p.meta.generation == 1);
    assert_true(p.meta.deletion_ms == KOBJ_TIME_NONE);
    assert_int_equal(p.meta.n_owners, 1);
    assert_string_equal(p.meta.owners[0].kind, "ReplicaSet");
    assert_string_equal(p.meta.owners[0].name, "web-7d4b9c8f5");
    assert_true(p.meta.owners[0].controller);
    assert_string_equal(p.node_name, "node-a");
    assert_int_equal(p.n_containers, 2);
    assert_string_equal(p.containers[0].name, "app");
    assert_true(p.containers[0].requests.cpu_milli == 250);
    assert_true(p.containers[0].requests.mem_bytes == 256LL << 20);
    assert_true(p.containers[0].limits.cpu_milli == 1000);
    assert_true(p.containers[0].limits.mem_bytes == 512LL << 20);
    assert_true(p.containers[1].requests.cpu_milli == 50);
    assert_true(p.containers[1].limits.cpu_milli == KOBJ_UNSET);
    assert_true(p.containers[1].limits.mem_bytes == KOBJ_UNSET);
    assert_int_equal(p.n_init_containers, 0);
    assert_int_equal(p.phase, KOBJ_PHASE_RUNNING);
    assert_string_equal(p.qos_class, "Burstable");
    assert_true(p.start_ms == t("2026-07-01T09:58:01Z"));
    assert_int_equal(p.n_conditions, 5);
    assert_true(p.ready);
    assert_true(p.ready_changed_ms == 1782901907000);
    const struct kobj_condition *c =
        kobj_condition_find(p.conditions, p.n_conditions, "PodScheduled");
    assert_non_null(c);
    assert_int_equal(c->status, KOBJ_COND_TRUE);
    assert_null(kobj_condition_find(p.conditions, p.n_conditions, "DisruptionTarget"));
    assert_int_equal(p.n_statuses, 2);
    const struct kobj_container_status *s = &p.statuses[0];
    assert_string_equal(s->name, "app");
    assert_true(s->ready);
    assert_int_equal(s->restart_count, 2);
    assert_int_equal(s->state.kind, KOBJ_STATE_RUNNING);
    assert_false(s->state.oom_killed);
    assert_int_equal(s->last_state.kind, KOBJ_STATE_TERMINATED);
    assert_true(s->last_state.oom_killed);
    assert_int_equal(s->last_state.exit_code, 137);
    assert_true(s->last_state.finished_ms == 1782901898000);
    assert_true(s->applied_requests.mem_bytes == 256LL << 20);
    assert_int_equal(p.statuses[1].last_state.kind, KOBJ_STATE_NONE);
    assert_false(p.statuses[1].last_state.oom_killed);
    kobj_pod_free(&p);
    kobj_pod_free(&p); /* freeing twice is harmless: the struct was reset */

    /* a sidecar, a terminating pod, a phase newer than this code, Ready False */
    mutate(j, "spec.initContainers",
           jtext("[{\"name\":\"proxy\",\"restartPolicy\":\"Always\"},{\"name\":\"init\"}]"));
    mutate(j, "metadata.deletionTimestamp", json_string("2026-07-01T11:00:00Z"));
    mutate(j, "status.phase", json_string("Hibernating"));
    mutate(j, "status.conditions.2.status", json_string("False"));
    mutate(j, "status.containerStatuses.0.state",
           jtext("{\"terminated\":{\"reason\":\"OOMKilled\",\"exitCode\":137}}"));
    assert_int_equal(kobj_decode_pod(j, &p, &err), 0);
    assert_int_equal(p.n_init_containers, 2);
    assert_true(p.init_containers[0].sidecar);
    assert_false(p.init_containers[1].sidecar);
    assert_true(p.meta.deletion_ms == t("2026-07-01T11:00:00Z"));
    assert_int_equal(p.phase, KOBJ_PHASE_UNKNOWN);
    assert_false(p.ready);
    assert_true(p.statuses[0].state.oom_killed);
    assert_true(p.statuses[0].state.finished_ms == KOBJ_TIME_NONE);
    kobj_pod_free(&p);
    json_decref(j);
}

static void test_deployment(void **state)
{
    (void)state;
    json_t *j = load("deployment.json");
    struct kobj_deployment d;
    struct kobj_error err;
    assert_int_equal(kobj_decode_deployment(j, &d, &err), 0);
    assert_string_equal(d.meta.name, "web");
    assert_true(d.meta.generation == 7);
    assert_int_equal(d.replicas, 3);
    assert_true(d.selector.present);
    assert_int_equal(d.selector.n_match_labels, 1);
    assert_int_equal(d.n_containers, 1);
    assert_true(d.containers[0].requests.cpu_milli == 250);
    assert_string_equal(kobj_label_get(d.template_labels, d.n_template_labels, "app"), "web");
    assert_true(kobj_selector_matches(&d.selector, d.template_labels, d.n_template_labels));
    assert_true(d.observed_generation == 7);
    assert_int_equal(d.status_replicas, 3);
    assert_int_equal(d.ready_replicas, 3);
    assert_int_equal(d.unavailable_replicas, 0);
    assert_int_equal(d.n_conditions, 2);
    kobj_deployment_free(&d);

    /* spec.replicas absent -> 1 (apps/v1 default) */
    mutate(j, "spec.replicas", NULL);
    mutate(j, "status", json_null());
    assert_int_equal(kobj_decode_deployment(j, &d, &err), 0);
    assert_int_equal(d.replicas, 1);
    assert_int_equal(d.status_replicas, 0);
    kobj_deployment_free(&d);
    json_decref(j);
}

static void test_scale(void **state)
{
    (void)state;
    json_t *j = load("scale.json");
    struct kobj_scale s;
    struct kobj_error err;
    assert_int_equal(kobj_decode_scale(j, &s, &err), 0);
    assert_string_equal(s.meta.name, "web");
    assert_int_equal(s.spec_replicas, 3);
    assert_int_equal(s.status_replicas, 3);
    assert_string_equal(s.selector, "app=web");
    kobj_scale_free(&s);
    json_decref(j);
}

static void test_hpa(void **state)
{
    (void)state;
    json_t *j = load("hpa.json");
    struct kobj_hpa h;
    struct kobj_error err;
    assert_int_equal(kobj_decode_hpa(j, &h, &err), 0);
    assert_string_equal(h.spec.target.kind, "Deployment");
    assert_string_equal(h.spec.target.name, "web");
    assert_int_equal(h.spec.min_replicas, 2);
    assert_int_equal(h.spec.max_replicas, 20);
    assert_int_equal(h.spec.n_metrics, 6);
    const struct kobj_hpa_metric *m = h.spec.metrics;
    assert_int_equal(m[0].type, POLICY_METRIC_RESOURCE);
    assert_string_equal(m[0].resource, "cpu");
    assert_int_equal(m[0].target.type, POLICY_TARGET_UTILIZATION);
    assert_int_equal(m[0].target.average_utilization, 70);
    assert_int_equal(m[1].target.type, POLICY_TARGET_AVERAGE_VALUE);
    assert_true(m[1].target.average_value.present);
    assert_true(m[1].target.average_value.milli == (400LL << 20) * 1000);
    assert_int_equal(m[2].type, POLICY_METRIC_CONTAINER_RESOURCE);
    assert_string_equal(m[2].container, "app");
    assert_int_equal(m[3].type, POLICY_METRIC_PODS);
    assert_string_equal(m[3].metric.name, "requests_per_second");
    assert_true(m[3].target.average_value.milli == 50000);
    assert_int_equal(m[4].type, POLICY_METRIC_OBJECT);
    assert_string_equal(m[4].described_object.kind, "Ingress");
    assert_int_equal(m[4].target.type, POLICY_TARGET_VALUE);
    assert_true(m[4].target.value.milli == 2000000);
    assert_int_equal(m[5].type, POLICY_METRIC_EXTERNAL);
    assert_true(m[5].metric.selector.present);
    assert_string_equal(m[5].metric.selector.match_labels[0].value, "orders");
    assert_true(h.spec.has_behavior);
    assert_int_equal(h.spec.scale_up.stabilization_window_s, 0);
    assert_int_equal(h.spec.scale_up.n_policies, 2);
    assert_int_equal(h.spec.scale_up.policies[0].type, POLICY_RULE_PODS);
    assert_int_equal(h.spec.scale_up.policies[0].value, 4);
    assert_int_equal(h.spec.scale_up.policies[1].type, POLICY_RULE_PERCENT);
    assert_int_equal(h.spec.scale_down.stabilization_window_s, 300);
    assert_int_equal(h.spec.scale_down.select, POLICY_SELECT_MAX);
    assert_false(h.spec.scale_down.tolerance.present);
    assert_int_equal(h.current_replicas, 3);
    assert_int_equal(h.desired_replicas, 3);
    assert_true(h.last_scale_ms == t("2026-07-01T09:40:00Z"));
    assert_int_equal(h.n_current_metrics, 6);
    assert_int_equal(h.current_metrics[0].current_average_utilization, 58);
    assert_true(h.current_metrics[0].current_average_value.milli == 145);
    assert_true(h.current_metrics[3].current_average_value.milli == 41333);
    assert_true(h.current_metrics[4].current_value.milli == 124000);
    assert_int_equal(h.n_conditions, 3);
    kobj_hpa_free(&h);

    /* a metric the controller could not compute is an empty status entry */
    mutate(j, "status.currentMetrics.2", jtext("{\"type\":\"\"}"));
    assert_int_equal(kobj_decode_hpa(j, &h, &err), 0);
    assert_int_equal(h.n_current_metrics, 6);
    assert_int_equal(h.current_metrics[2].type, KOBJ_METRIC_NONE);
    assert_int_equal(h.current_metrics[3].type, POLICY_METRIC_PODS);
    kobj_hpa_free(&h);
    /* ... but not in the spec */
    json_t *bad = json_deep_copy(j);
    mutate(bad, "spec.metrics.2", jtext("{\"type\":\"\"}"));
    assert_int_equal(kobj_decode_hpa(bad, &h, &err), PS_EINVAL);
    assert_string_equal(err.path, ".spec.metrics[2].type");
    json_decref(bad);

    /* defaults: no metrics, no behavior, no minReplicas; a tolerance */
    mutate(j, "spec.metrics", NULL);
    mutate(j, "spec.minReplicas", NULL);
    mutate(j, "spec.behavior", jtext("{\"scaleDown\":{\"tolerance\":\"0.05\"}}"));
    assert_int_equal(kobj_decode_hpa(j, &h, &err), 0);
    assert_int_equal(h.spec.min_replicas, 1);
    assert_int_equal(h.spec.n_metrics, 0);
    assert_false(h.spec.scale_up.present);
    assert_int_equal(h.spec.scale_up.stabilization_window_s, -1);
    assert_true(h.spec.scale_down.present);
    assert_int_equal(h.spec.scale_down.stabilization_window_s, -1);
    assert_false(h.spec.scale_down.has_select);
    assert_false(h.spec.scale_down.has_policies);
    assert_true(h.spec.scale_down.tolerance.milli == 50);
    kobj_hpa_free(&h);
    json_decref(j);
}

static void test_vpa(void **state)
{
    (void)state;
    json_t *j = load("vpa.json");
    struct kobj_vpa v;
    struct kobj_error err;
    assert_int_equal(kobj_decode_vpa(j, &v, &err), 0);
    assert_string_equal(v.spec.target.name, "web");
    assert_true(v.spec.has_update_mode);
    assert_int_equal(v.spec.update_mode, POLICY_UPDATE_IN_PLACE_OR_RECREATE);
    assert_int_equal(v.spec.min_replicas, 2);
    assert_int_equal(v.spec.n_eviction_reqs, 1);
    assert_int_equal(v.spec.eviction_reqs[0].resources, POLICY_RES_BIT(POLICY_RES_CPU));
    assert_int_equal(v.spec.eviction_reqs[0].change, KOBJ_TARGET_HIGHER_THAN_REQUESTS);
    assert_int_equal(v.spec.n_policies, 2);
    const struct kobj_container_policy *p = &v.spec.policies[0];
    assert_string_equal(p->container_name, "app");
    assert_int_equal(p->mode, POLICY_CONTAINER_AUTO);
    assert_true(p->min_allowed.cpu_milli == 100);
    assert_true(p->min_allowed.mem_bytes == 128LL << 20);
    assert_true(p->max_allowed.cpu_milli == 4000);
    assert_true(p->max_allowed.mem_bytes == 4LL << 30);
    assert_int_equal(p->controlled_resources, POLICY_RES_BOTH);
    assert_int_equal(p->controlled_values, POLICY_REQUESTS_AND_LIMITS);
    assert_string_equal(v.spec.policies[1].container_name, "*");
    assert_int_equal(v.spec.policies[1].mode, POLICY_CONTAINER_OFF);
    assert_true(v.spec.policies[1].min_allowed.cpu_milli == KOBJ_UNSET);
    assert_null(v.spec.recommender);
    assert_int_equal(v.n_recommendations, 1);
    const struct kobj_recommendation *r = &v.recommendations[0];
    assert_string_equal(r->container_name, "app");
    assert_true(r->target.cpu_milli == 587);
    assert_true(r->target.mem_bytes == 262144000);
    assert_true(r->lower_bound.mem_bytes == 209715200);
    assert_true(r->upper_bound.mem_bytes == 1084974080); /* a JSON integer */
    assert_true(r->upper_bound.cpu_milli == 1873);
    assert_int_equal(v.n_conditions, 1);
    kobj_vpa_free(&v);

    /* the deprecated Auto is Recreate; no updatePolicy is Recreate too */
    mutate(j, "spec.updatePolicy.updateMode", json_string("Auto"));
    mutate(j, "spec.recommenders", jtext("[{\"name\":\"custom\"}]"));
    mutate(j, "spec.resourcePolicy.containerPolicies.0.oomBumpUpRatio", json_real(1.2));
    assert_int_equal(kobj_decode_vpa(j, &v, &err), 0);
    assert_int_equal(v.spec.update_mode, POLICY_UPDATE_RECREATE);
    assert_string_equal(v.spec.recommender, "custom");
    assert_true(v.spec.policies[0].oom_bump_up_ratio.milli == 1200);
    kobj_vpa_free(&v);
    mutate(j, "spec.updatePolicy", NULL);
    assert_int_equal(kobj_decode_vpa(j, &v, &err), 0);
    assert_false(v.spec.has_update_mode);
    assert_int_equal(v.spec.update_mode, POLICY_UPDATE_RECREATE);
    assert_int_equal(v.spec.min_replicas, -1);
    kobj_vpa_free(&v);
    json_decref(j);
}

static void test_podscaler(void **state)
{
    (void)state;
    json_t *j = load("podscaler.json");
    struct kobj_podscaler ps;
    struct kobj_error err;
    char line[512];
    assert_int_equal(kobj_decode_podscaler(j, &ps, &err), 0);
    assert_string_equal(ps.meta.name, "web");
    assert_string_equal(ps.target.kind, "Deployment");
    assert_string_equal(ps.target.name, "web");
    assert_string_equal(ps.policy.name, "web");
    assert_true(ps.policy.horizontal.enabled);
    assert_int_equal(ps.policy.horizontal.min_replicas, 2);
    assert_int_equal(ps.policy.horizontal.max_replicas, 40);
    assert_true(ps.policy.vertical.enabled);
    assert_int_equal(ps.policy.vertical.update_mode, POLICY_UPDATE_RECREATE);
    assert_int_equal(ps.policy.mode, POLICY_MODE_COORDINATED);
    assert_int_equal(ps.policy.bottleneck, POLICY_BOTTLENECK_AUTO);
    assert_ptr_equal(ps.spec_json, json_object_get(j, "spec"));
    assert_string_equal(ps.status_bottleneck, "cpu");
    assert_int_equal(ps.current_replicas, 7);
    assert_int_equal(ps.desired_replicas, 9);
    assert_int_equal(ps.n_recommendations, 1);
    assert_true(ps.recommendations[0].target.mem_bytes == 300LL << 20);
    assert_int_equal(ps.n_conditions, 1);
    kobj_podscaler_free(&ps);

    /* A name as long as Kubernetes allows (253 bytes) names the policy whole. */
    char longname[254];
    memset(longname, 'w', 253);
    longname[253] = '\0';
    json_t *named = json_deep_copy(j);
    json_object_set_new(json_object_get(named, "metadata"), "name", json_string(longname));
    assert_int_equal(kobj_decode_podscaler(named, &ps, &err), 0);
    assert_string_equal(ps.policy.name, longname);
    kobj_podscaler_free(&ps);
    json_decref(named);

    /* a policy error keeps the policy decoder's field as the path */
    json_t *bad = json_deep_copy(j);
    mutate(bad, "spec.horizontal.maxReplicas", json_string("forty"));
    assert_int_equal(kobj_decode_podscaler(bad, &ps, &err), PS_EINVAL);
    assert_null(ps.spec_json);
    kobj_error_format(&err, line, sizeof line);
    if (strncmp(err.path, ".spec.horizontal.maxReplicas", 28) != 0)
        fail_msg("path %s: %s", err.path, line);
    assert_string_equal(err.name, "web");
    json_decref(bad);
    bad = json_deep_copy(j);
    mutate(bad, "spec.targetRef", NULL);
    assert_int_equal(kobj_decode_podscaler(bad, &ps, &err), PS_ENOENT);
    assert_string_equal(err.path, ".spec.targetRef");
    json_decref(bad);
    bad = json_deep_copy(j);
    mutate(bad, "status.currentReplicas", json_string("7"));
    assert_int_equal(kobj_decode_podscaler(bad, &ps, &err), PS_EINVAL);
    assert_string_equal(err.path, ".status.currentReplicas");

    /* a list: the good item holds a reference to its spec until the list is freed */
    json_t *l = json_pack("{s:[O,O]}", "items", j, bad);
    struct kobj_podscaler_list pl;
    assert_int_equal(kobj_decode_podscaler_list(l, &pl, &err), 0);
    assert_int_equal(pl.n_items, 1);
    assert_int_equal(pl.list.n_errors, 1);
    json_t *spec = json_object_get(j, "spec");
    size_t refs = spec->refcount;
    kobj_podscaler_list_free(&pl);
    assert_int_equal(spec->refcount, refs - 1);
    json_decref(l);
    json_decref(bad);
    json_decref(j);
}

static void test_as_policy(void **state)
{
    (void)state;
    struct kobj_error err;
    struct ps_policy pol;
    json_t *j = load("hpa.json");
    struct kobj_hpa h;
    assert_int_equal(kobj_decode_hpa(j, &h, &err), 0);
    assert_int_equal(kobj_hpa_policy(&h, &pol, &err), 0);
    assert_string_equal(pol.name, "web");
    assert_true(pol.horizontal.enabled);
    assert_false(pol.vertical.enabled);
    assert_int_equal(pol.horizontal.min_replicas, 2);
    assert_int_equal(pol.horizontal.max_replicas, 20);
    assert_int_equal(pol.horizontal.n_metrics, 6);
    assert_int_equal(pol.horizontal.metrics[0].resource, POLICY_RES_CPU);
    assert_int_equal(pol.horizontal.metrics[0].average_utilization, 70);
    assert_int_equal(pol.horizontal.metrics[1].resource, POLICY_RES_MEMORY);
    assert_true(pol.horizontal.metrics[1].target_milli == (400LL << 20) * 1000);
    assert_string_equal(pol.horizontal.metrics[2].container, "app");
    assert_string_equal(pol.horizontal.metrics[3].container, "requests_per_second");
    assert_int_equal(pol.horizontal.metrics[3].resource, POLICY_RES_OTHER);
    assert_true(pol.horizontal.metrics[4].target_milli == 2000000);
    assert_true(pol.horizontal.has_behavior);
    assert_true(pol.horizontal.scale_down.has_window);
    assert_int_equal(pol.horizontal.scale_down.stabilization_window_s, 300);
    assert_int_equal(pol.horizontal.scale_up.n_policies, 2);
    assert_int_equal(pol.horizontal.scale_up.policies[1].type, POLICY_RULE_PERCENT);
    /* the same as the policy decoder reads from the same spec */
    json_t *spec = json_deep_copy(json_object_get(j, "spec"));
    json_object_del(spec, "scaleTargetRef");
    json_t *ps = json_pack("{s:o}", "horizontal", spec);
    struct ps_policy ref;
    char msg[256];
    policy_init(&ref, "web");
    assert_int_equal(policy_from_json(ps, &ref, msg, sizeof msg), 0);
    assert_int_equal(ref.horizontal.n_metrics, pol.horizontal.n_metrics);
    for (int i = 0; i < ref.horizontal.n_metrics; i++) {
        assert_int_equal(ref.horizontal.metrics[i].type, pol.horizontal.metrics[i].type);
        assert_int_equal(ref.horizontal.metrics[i].resource, pol.horizontal.metrics[i].resource);
        assert_int_equal(ref.horizontal.metrics[i].target, pol.horizontal.metrics[i].target);
        assert_true(ref.horizontal.metrics[i].target_milli ==
                    pol.horizontal.metrics[i].target_milli);
        assert_int_equal(ref.horizontal.metrics[i].average_utilization,
                         pol.horizontal.metrics[i].average_utilization);
        assert_string_equal(ref.horizontal.metrics[i].container,
                            pol.horizontal.metrics[i].container);
    }
    assert_memory_equal(&ref.horizontal.scale_up, &pol.horizontal.scale_up,
                        sizeof ref.horizontal.scale_up);
    assert_memory_equal(&ref.horizontal.scale_down, &pol.horizontal.scale_down,
                        sizeof ref.horizontal.scale_down);
    json_decref(ps);
    kobj_hpa_free(&h);
    /* a Utilization target on a Pods metric decodes but is no policy */
    mutate(j, "spec.metrics.3.pods.target",
           jtext("{\"type\":\"Utilization\",\"averageUtilization\":5}"));
    assert_int_equal(kobj_decode_hpa(j, &h, &err), 0);
    assert_int_equal(kobj_hpa_policy(&h, &pol, &err), PS_EINVAL);
    assert_string_equal(err.path, ".spec.metrics[3]");
    assert_string_equal(err.name, "web");
    kobj_hpa_free(&h);
    json_decref(j);
    j = load("hpa.json");
    /* the policy decoder's other rules, each on a fresh copy */
    static const struct {
        const char *path, *value, *err_path;
    } bad[] = {
        {"spec.metrics.0.resource.name", "\"ephemeral-storage\"", ".spec.metrics[0]"},
        {"spec.metrics.1.resource.target", "{\"type\":\"Value\",\"value\":\"1Gi\"}",
         ".spec.metrics[1]"},
        {"spec.behavior.scaleDown.tolerance", "\"0.05\"", ".spec.behavior.scaleDown.tolerance"},
        {"spec.minReplicas", "0", ".spec.minReplicas"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *c = json_deep_copy(j);
        mutate(c, bad[i].path, jtext(bad[i].value));
        if (i == 3) { /* scale to zero needs an Object or External metric */
            json_array_remove(json_object_get(json_object_get(c, "spec"), "metrics"), 5);
            json_array_remove(json_object_get(json_object_get(c, "spec"), "metrics"), 4);
        }
        assert_int_equal(kobj_decode_hpa(c, &h, &err), 0);
        assert_int_equal(kobj_hpa_policy(&h, &pol, &err), PS_EINVAL);
        assert_string_equal(err.path, bad[i].err_path);
        kobj_hpa_free(&h);
        json_decref(c);
    }
    mutate(j, "spec.minReplicas", jtext("0"));
    assert_int_equal(kobj_decode_hpa(j, &h, &err), 0);
    assert_int_equal(kobj_hpa_policy(&h, &pol, &err), 0);
    assert_int_equal(pol.horizontal.min_replicas, 0);
    kobj_hpa_free(&h);
    json_decref(j);

    j = load("vpa.json");
    struct kobj_vpa v;
    assert_int_equal(kobj_decode_vpa(j, &v, &err), 0);
    assert_int_equal(kobj_vpa_policy(&v, &pol, &err), 0);
    assert_false(pol.horizontal.enabled);
    assert_true(pol.vertical.enabled);
    assert_int_equal(pol.vertical.update_mode, POLICY_UPDATE_IN_PLACE_OR_RECREATE);
    assert_int_equal(pol.vertical.min_replicas, 2);
    assert_int_equal(pol.vertical.n_containers, 2);
    const struct policy_container *pc = policy_container_for(&pol.vertical, "app");
    assert_non_null(pc);
    assert_true(pc->min_cpu_milli == 100);
    assert_true(pc->max_mem_bytes == 4LL << 30);
    pc = policy_container_for(&pol.vertical, "sidecar");
    assert_non_null(pc);
    assert_int_equal(pc->mode, POLICY_CONTAINER_OFF);
    assert_true(pc->min_cpu_milli == POLICY_UNSET);
    kobj_vpa_free(&v);
    /* a single-replica workload's VPA says so: not the updater's default of 2 */
    mutate(j, "spec.updatePolicy.minReplicas", jtext("1"));
    assert_int_equal(kobj_decode_vpa(j, &v, &err), 0);
    assert_int_equal(kobj_vpa_policy(&v, &pol, &err), 0);
    assert_int_equal(pol.vertical.min_replicas, 1);
    kobj_vpa_free(&v);
    json_decref(j);
}

/* Unknown fields at every level are ignored (section 3.4). */
static void add_unknown(json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) add_unknown(x);
        /* keys of label maps would change the labels: only add where it is not one */
        if (!json_object_get(v, "app") && !json_object_get(v, "cpu") &&
            !json_object_get(v, "queue"))
            json_object_set_new(v, "zzFutureField", jtext("{\"a\":[1,true,null]}"));
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) add_unknown(x);
    }
}

static void test_unknown_fields_ignored(void **state)
{
    (void)state;
    struct kobj_error err;
    json_t *j = load("pod.json");
    add_unknown(j);
    struct kobj_pod p;
    assert_int_equal(kobj_decode_pod(j, &p, &err), 0);
    assert_true(p.containers[0].requests.cpu_milli == 250);
    kobj_pod_free(&p);
    json_decref(j);
    j = load("hpa.json");
    add_unknown(j);
    struct kobj_hpa h;
    assert_int_equal(kobj_decode_hpa(j, &h, &err), 0);
    assert_int_equal(h.spec.n_metrics, 6);
    kobj_hpa_free(&h);
    json_decref(j);
    j = load("vpa.json");
    add_unknown(j);
    struct kobj_vpa v;
    assert_int_equal(kobj_decode_vpa(j, &v, &err), 0);
    kobj_vpa_free(&v);
    json_decref(j);
}

/* ---- bad fields ---- */

struct bad_case {
    const char *file;
    const char *set;   /* dotted path to change */
    const char *value; /* JSON text, or NULL to delete the member */
    int code;
    const char *path; /* expected error path */
};

static const struct bad_case bad_cases[] = {
    /* missing */
    {"pod.json", "metadata.name", NULL, PS_ENOENT, ".metadata.name"},
    {"pod.json", "metadata", NULL, PS_ENOENT, ".metadata"},
    {"pod.json", "spec", NULL, PS_ENOENT, ".spec"},
    {"pod.json", "spec.containers", "[]", PS_ENOENT, ".spec.containers"},
    {"pod.json", "spec.containers.1.name", NULL, PS_ENOENT, ".spec.containers[1].name"},
    {"pod.json", "status.containerStatuses.0.name", "\"\"", PS_ENOENT,
     ".status.containerStatuses[0].name"},
    {"podmetrics_list.json", "items.0.timestamp", NULL, PS_ENOENT, ".timestamp"},
    {"podmetrics_list.json", "items.0.containers.1.usage.memory", NULL, PS_ENOENT,
     ".containers[1].usage.memory"},
    {"podmetrics_list.json", "items.0.metadata.namespace", NULL, PS_ENOENT, ".metadata.namespace"},
    {"hpa.json", "spec.maxReplicas", NULL, PS_ENOENT, ".spec.maxReplicas"},
    {"hpa.json", "spec.scaleTargetRef.name", NULL, PS_ENOENT, ".spec.scaleTargetRef.name"},
    {"hpa.json", "spec.metrics.0.resource.target.averageUtilization", NULL, PS_ENOENT,
     ".spec.metrics[0].resource.target.averageUtilization"},
    {"hpa.json", "spec.metrics.3.pods", NULL, PS_ENOENT, ".spec.metrics[3].pods"},
    {"vpa.json", "spec.targetRef", NULL, PS_ENOENT, ".spec.targetRef"},
    {"vpa.json", "status.recommendation.containerRecommendations.0.containerName", NULL, PS_ENOENT,
     ".status.recommendation.containerRecommendations[0].containerName"},
    {"deployment.json", "spec.template.spec.containers", NULL, PS_ENOENT,
     ".spec.template.spec.containers"},
    /* wrong types */
    {"pod.json", "spec", "42", PS_EINVAL, ".spec"},
    {"pod.json", "metadata.labels.app", "7", PS_EINVAL, ".metadata.labels.app"},
    {"pod.json", "metadata.ownerReferences.0.controller", "\"yes\"", PS_EINVAL,
     ".metadata.ownerReferences[0].controller"},
    {"pod.json", "spec.containers.1.resources.requests.cpu", "true", PS_EINVAL,
     ".spec.containers[1].resources.requests.cpu"},
    {"pod.json", "spec.containers.0.resources.limits", "[]", PS_EINVAL,
     ".spec.containers[0].resources.limits"},
    {"pod.json", "status.containerStatuses.0.restartCount", "\"2\"", PS_EINVAL,
     ".status.containerStatuses[0].restartCount"},
    {"pod.json", "status.containerStatuses.0.restartCount", "2.5", PS_EINVAL,
     ".status.containerStatuses[0].restartCount"},
    {"pod.json", "status.conditions.2.lastTransitionTime", "12", PS_EINVAL,
     ".status.conditions[2].lastTransitionTime"},
    {"pod.json", "status.conditions", "{}", PS_EINVAL, ".status.conditions"},
    {"pod.json", "status.containerStatuses.1", "\"envoy\"", PS_EINVAL,
     ".status.containerStatuses[1]"},
    {"deployment.json", "spec.replicas", "3.0", PS_EINVAL, ".spec.replicas"},
    {"deployment.json", "spec.selector.matchExpressions", "[{\"key\":\"a\",\"operator\":\"Near\"}]",
     PS_EINVAL, ".spec.selector.matchExpressions[0].operator"},
    {"scale.json", "status.selector", "{}", PS_EINVAL, ".status.selector"},
    {"hpa.json", "spec.metrics.0.type", "\"Bogus\"", PS_EINVAL, ".spec.metrics[0].type"},
    {"hpa.json", "spec.behavior.scaleUp.policies.0.type", "\"Replicas\"", PS_EINVAL,
     ".spec.behavior.scaleUp.policies[0].type"},
    {"vpa.json", "spec.updatePolicy.updateMode", "\"Sometimes\"", PS_EINVAL,
     ".spec.updatePolicy.updateMode"},
    {"vpa.json", "spec.resourcePolicy.containerPolicies.0.controlledResources", "[\"gpu\"]",
     PS_EINVAL, ".spec.resourcePolicy.containerPolicies[0].controlledResources[0]"},
    /* absurd numbers and quantities */
    {"pod.json", "spec.containers.1.resources.requests.cpu", "\"-1\"", PS_ENEGATIVE,
     ".spec.containers[1].resources.requests.cpu"},
    {"pod.json", "spec.containers.1.resources.requests.cpu", "\"NaN\"", PS_EPARSE,
     ".spec.containers[1].resources.requests.cpu"},
    {"pod.json", "spec.containers.1.resources.requests.cpu", "\"\"", PS_EPARSE,
     ".spec.containers[1].resources.requests.cpu"},
    {"pod.json", "spec.containers.0.resources.limits.memory", "\"99999999999999999999Ei\"",
     PS_ERANGE, ".spec.containers[0].resources.limits.memory"},
    {"pod.json", "spec.containers.0.resources.limits.memory", "\"1e30\"", PS_ERANGE,
     ".spec.containers[0].resources.limits.memory"},
    {"pod.json", "status.containerStatuses.0.restartCount", "-1", PS_ENEGATIVE,
     ".status.containerStatuses[0].restartCount"},
    {"podmetrics_list.json", "items.1.containers.0.usage.cpu", "\"-5m\"", PS_ENEGATIVE,
     ".containers[0].usage.cpu"},
    {"podmetrics_list.json", "items.1.containers.0.usage.memory", "-1", PS_ENEGATIVE,
     ".containers[0].usage.memory"},
    {"podmetrics_list.json", "items.1.containers.0.usage.memory", "\"12Qi\"", PS_EPARSE,
     ".containers[0].usage.memory"},
    {"podmetrics_list.json", "items.1.window", "\"15\"", PS_EPARSE, ".window"},
    {"deployment.json", "spec.replicas", "-1", PS_ENEGATIVE, ".spec.replicas"},
    {"deployment.json", "spec.replicas", "4294967296", PS_ERANGE, ".spec.replicas"},
    {"hpa.json", "spec.minReplicas", "30", PS_ERANGE, ".spec.minReplicas"},
    {"hpa.json", "spec.behavior.scaleDown.stabilizationWindowSeconds", "3601", PS_ERANGE,
     ".spec.behavior.scaleDown.stabilizationWindowSeconds"},
    {"hpa.json", "spec.metrics.1.resource.target.averageValue", "\"-400Mi\"", PS_ENEGATIVE,
     ".spec.metrics[1].resource.target.averageValue"},
    {"vpa.json", "status.recommendation.containerRecommendations.0.target.memory", "-1",
     PS_ENEGATIVE, ".status.recommendation.containerRecommendations[0].target.memory"},
    /* times */
    {"pod.json", "status.startTime", "\"yesterday\"", PS_EPARSE, ".status.startTime"},
    {"pod.json", "status.startTime", "\"2026-02-30T00:00:00Z\"", PS_ERANGE, ".status.startTime"},
    {"pod.json", "status.startTime", "\"2026-07-01T09:58:01\"", PS_EPARSE, ".status.startTime"},
};

static void test_bad_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *bc = &bad_cases[i];
        json_t *j = load(bc->file);
        mutate(j, bc->set, bc->value ? jtext(bc->value) : NULL);
        struct kobj_error err;
        char line[1024];
        int rc;
        const char *kind;
        if (strcmp(bc->file, "pod.json") == 0) {
            struct kobj_pod o;
            rc = kobj_decode_pod(j, &o, &err);
            assert_null(o.arena);
            kind = "Pod";
        } else if (strcmp(bc->file, "deployment.json") == 0) {
            struct kobj_deployment o;
            rc = kobj_decode_deployment(j, &o, &err);
            kind = "Deployment";
        } else if (strcmp(bc->file, "scale.json") == 0) {
            struct kobj_scale o;
            rc = kobj_decode_scale(j, &o, &err);
            kind = "Scale";
        } else if (strcmp(bc->file, "hpa.json") == 0) {
            struct kobj_hpa o;
            rc = kobj_decode_hpa(j, &o, &err);
            kind = "HorizontalPodAutoscaler";
        } else if (strcmp(bc->file, "vpa.json") == 0) {
            struct kobj_vpa o;
            rc = kobj_decode_vpa(j, &o, &err);
            kind = "VerticalPodAutoscaler";
        } else {
            /* the list keeps the other item and reports this one */
            struct kobj_pod_metrics_list l;
            assert_int_equal(kobj_decode_pod_metrics_list(j, &l, &err), 0);
            if (l.list.n_errors != 1)
                fail_msg("case %zu (%s %s): %zu errors", i, bc->file, bc->set, l.list.n_errors);
            assert_int_equal(l.n_items, 1);
            err = l.list.errors[0];
            rc = err.code;
            kind = "PodMetrics";
            kobj_pod_metrics_list_free(&l);
        }
        kobj_error_format(&err, line, sizeof line);
        if (rc != bc->code || strcmp(err.path, bc->path) != 0)
            fail_msg("case %zu (%s %s): got %d %s, want %d %s: %s", i, bc->file, bc->set, rc,
                     err.path, bc->code, bc->path, line);
        assert_int_equal(err.code, rc);
        assert_string_equal(err.kind, kind);
        assert_true(strlen(err.message) > 0);
        /* the object is named whenever its metadata has a name */
        if (strcmp(bc->set, "metadata.name") != 0 && strcmp(bc->set, "metadata") != 0)
            assert_true(err.name[0] != '\0');
        json_decref(j);
    }
}

static void test_error_format(void **state)
{
    (void)state;
    json_t *j = load("pod.json");
    mutate(j, "spec.containers.1.resources.requests.cpu", json_string("-1"));
    struct kobj_pod p;
    struct kobj_error err;
    char line[512];
    assert_int_equal(kobj_decode_pod(j, &p, &err), PS_ENEGATIVE);
    assert_string_equal(kobj_error_format(&err, line, sizeof line),
                        "Pod shop/web-7d4b9c8f5-x2x9q: .spec.containers[1].resources.requests.cpu: "
                        "negative quantity \"-1\"");
    /* a tiny buffer still ends in NUL */
    char tiny[8];
    assert_int_equal(strlen(kobj_error_format(&err, tiny, sizeof tiny)), 7);
    json_decref(j);

    /* not an object at all */
    j = json_integer(3);
    assert_int_equal(kobj_decode_pod(j, &p, &err), PS_EINVAL);
    assert_string_equal(kobj_error_format(&err, line, sizeof line),
                        "Pod: expected an object, got an integer");
    json_decref(j);
    assert_int_equal(kobj_decode_pod(NULL, &p, &err), PS_EINVAL);
}

/* ---- lists ---- */

static void test_list_with_bad_items(void **state)
{
    (void)state;
    json_t *pod = load("pod.json");
    json_t *pod2 = json_deep_copy(pod);
    mutate(pod2, "metadata.name", json_string("web-7d4b9c8f5-other"));
    json_t *l = json_pack("{s:s, s:{s:s, s:s}, s:[O, {s:{s:s, s:s}, s:i}, O, i, {s:{s:s}, s:{}}]}",
                          "kind", "PodList", "metadata", "resourceVersion", "77", "continue", "tok",
                          "items", pod, "metadata", "name", "broken", "namespace", "shop", "spec",
                          42, pod2, 5, "metadata", "name", "nocontainers", "spec");
    assert_non_null(l);
    struct kobj_pod_list pl;
    struct kobj_error err;
    assert_int_equal(kobj_decode_pod_list(l, &pl, &err), 0);
    assert_int_equal(pl.list.n_seen, 5);
    assert_int_equal(pl.n_items, 2);
    assert_string_equal(pl.items[0].meta.name, "web-7d4b9c8f5-x2x9q");
    assert_string_equal(pl.items[1].meta.name, "web-7d4b9c8f5-other");
    assert_null(pl.items[0].arena); /* items belong to the list */
    assert_string_equal(pl.list.resource_version, "77");
    assert_string_equal(pl.list.continue_token, "tok");
    assert_int_equal(pl.list.n_errors, 3);
    assert_string_equal(pl.list.errors[0].name, "broken");
    assert_string_equal(pl.list.errors[0].ns, "shop");
    assert_string_equal(pl.list.errors[0].path, ".spec");
    assert_int_equal(pl.list.errors[0].code, PS_EINVAL);
    assert_int_equal(pl.list.errors[1].code, PS_EINVAL); /* the bare integer */
    assert_string_equal(pl.list.errors[2].name, "nocontainers");
    assert_string_equal(pl.list.errors[2].path, ".spec.containers");
    kobj_pod_list_free(&pl);
    json_decref(l);

    /* not a list */
    l = jtext("{\"kind\":\"PodList\",\"items\":{}}");
    assert_int_equal(kobj_decode_pod_list(l, &pl, &err), PS_EINVAL);
    assert_string_equal(err.path, ".items");
    assert_string_equal(err.kind, "PodList");
    json_decref(l);
    l = jtext("{\"kind\":\"PodList\"}");
    assert_int_equal(kobj_decode_pod_list(l, &pl, &err), PS_ENOENT);
    json_decref(l);
    /* an empty list */
    l = jtext("{\"items\":[]}");
    assert_int_equal(kobj_decode_pod_list(l, &pl, &err), 0);
    assert_int_equal(pl.n_items, 0);
    kobj_pod_list_free(&pl);
    json_decref(l);
    json_decref(pod);
    json_decref(pod2);
}

static void test_other_lists(void **state)
{
    (void)state;
    struct kobj_error err;
    json_t *d = load("deployment.json"), *h = load("hpa.json"), *v = load("vpa.json");
    json_t *l = json_pack("{s:[O,{s:{s:s},s:{s:i}}]}", "items", d, "metadata", "name", "neg",
                          "spec", "replicas", -1);
    struct kobj_deployment_list dl;
    assert_int_equal(kobj_decode_deployment_list(l, &dl, &err), 0);
    assert_int_equal(dl.n_items, 1);
    assert_int_equal(dl.list.n_errors, 1);
    assert_int_equal(dl.list.errors[0].code, PS_ENEGATIVE);
    assert_string_equal(dl.list.errors[0].kind, "Deployment");
    kobj_deployment_list_free(&dl);
    json_decref(l);
    l = json_pack("{s:[O,O]}", "items", h, h);
    struct kobj_hpa_list hl;
    assert_int_equal(kobj_decode_hpa_list(l, &hl, &err), 0);
    assert_int_equal(hl.n_items, 2);
    kobj_hpa_list_free(&hl);
    json_decref(l);
    l = json_pack("{s:[{s:{s:s},s:i},O]}", "items", "metadata", "name", "broken", "spec", 42, v);
    struct kobj_vpa_list vl;
    assert_int_equal(kobj_decode_vpa_list(l, &vl, &err), 0);
    assert_int_equal(vl.n_items, 1);
    assert_int_equal(vl.list.n_errors, 1);
    assert_string_equal(vl.list.errors[0].name, "broken");
    kobj_vpa_list_free(&vl);
    json_decref(l);
    json_decref(d);
    json_decref(h);
    json_decref(v);
}

/* ---- selectors, times, durations ---- */

static void test_selectors(void **state)
{
    (void)state;
    struct kobj_label labels[] = {{"app", "web"}, {"tier", "api"}};
    json_t *j = jtext("{\"s\":{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":["
                      "{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"front\",\"api\"]},"
                      "{\"key\":\"gone\",\"operator\":\"NotIn\",\"values\":[\"x\"]},"
                      "{\"key\":\"gone\",\"operator\":\"DoesNotExist\"},"
                      "{\"key\":\"app\",\"operator\":\"Exists\"}]},"
                      "\"empty\":{}, \"none\":null, \"miss\":{\"matchLabels\":{\"app\":\"db\"}}}");
    json_t *dep = load("deployment.json");
    struct kobj_error err;
    const char *keys[] = {"s", "empty", "none", "miss"};
    const int want[] = {1, 1, 0, 0};
    for (int i = 0; i < 4; i++) {
        mutate(dep, "spec.selector", json_incref(json_object_get(j, keys[i])));
        struct kobj_deployment d;
        assert_int_equal(kobj_decode_deployment(dep, &d, &err), 0);
        if (kobj_selector_matches(&d.selector, labels, 2) != want[i])
            fail_msg("selector %s", keys[i]);
        kobj_deployment_free(&d);
    }
    json_decref(dep);
    json_decref(j);
}

static void test_times(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(kobj_parse_time("1970-01-01T00:00:00Z", &ms), 0);
    assert_true(ms == 0);
    assert_true(t("2026-07-01T10:31:47Z") == 1782901907000);
    assert_true(t("2024-02-29T23:59:59Z") == 1709251199000);
    assert_true(t("2000-03-01T00:00:00Z") == 951868800000);
    assert_true(t("0001-01-01T00:00:00Z") == -62135596800000);
    assert_true(t("2026-07-01T10:00:03.123+02:00") == 1782892803123);
    assert_true(t("2026-07-01T10:00:03.123456Z") == 1782900003123);
    assert_true(t("2026-07-01T10:00:03.5Z") == 1782900003500);
    assert_true(t("2026-07-01t10:00:03z") == 1782900003000);
    assert_true(t("2026-07-01T12:30:03+02:30") == 1782900003000);
    assert_true(t("2026-07-01T07:00:03-03:00") == 1782900003000);
    static const char *const bad[] = {
        "",
        "2026-07-01",
        "2026-07-01T10:00:03",
        "2026-07-01 10:00:03Z",
        "x",
        "2026-07-01T10:00:03.Z",
        "2026-07-01T10:00:03+0200",
        "2026-07-01T10:00:03Zjunk",
        "2026-13-01T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "2026-07-01T24:00:00Z",
        "2026-07-01T10:60:00Z",
        "2026-07-01T10:00:60Z",
        "0000-01-01T00:00:00Z",
        "2026-07-01T10:00:03+24:00",
        "-026-07-01T10:00:03Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ms = 42;
        if (kobj_parse_time(bad[i], &ms) == 0)
            fail_msg("accepted bad time \"%s\"", bad[i]);
    }
}

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ns;
    } good[] = {
        {"0", 0},
        {"15s", 15000000000},
        {"1m30s", 90000000000},
        {"15.011s", 15011000000},
        {"500ms", 500000000},
        {"1h0m0s", 3600000000000},
        {"2h", 7200000000000},
        {"-2us", -2000},
        {"+5ns", 5},
        {"1\xc2\xb5s", 1000},
        {"1\xce\xbcs", 1000},
        {".5s", 500000000},
        {"1.s", 1000000000},
        {"1h1m1s1ms1us1ns", 3661001001001},
        {"9223372036854775807ns", INT64_MAX},
        {"-9223372036854775808ns", INT64_MIN},
        {"2562047h", 9223369200000000000},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ns = 0;
        int rc = kobj_parse_duration_ns(good[i].text, &ns);
        if (rc != 0 || ns != good[i].ns)
            fail_msg("\"%s\": rc %d, got %lld want %lld", good[i].text, rc, (long long)ns,
                     (long long)good[i].ns);
    }
    static const char *const bad[] = {"",         "15",   "s",   "1x",
                                      "1.5.5s",   "--1s", "1s ", " 1s",
                                      "-",        ".s",   "1ss", "9223372036854775808ns",
                                      "2562048h", "1e3s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ns;
        if (kobj_parse_duration_ns(bad[i], &ns) == 0)
            fail_msg("accepted bad duration \"%s\"", bad[i]);
    }
}

static void test_quantity_numbers(void **state)
{
    (void)state;
    json_t *j = load("pod.json");
    mutate(j, "spec.containers.0.resources.requests.cpu", json_real(0.1));
    mutate(j, "spec.containers.0.resources.requests.memory", json_integer(268435456));
    mutate(j, "spec.containers.0.resources.limits.cpu", json_string(" 2 "));
    struct kobj_pod p;
    struct kobj_error err;
    assert_int_equal(kobj_decode_pod(j, &p, &err), 0);
    assert_true(p.containers[0].requests.cpu_milli == 100);
    assert_true(p.containers[0].requests.mem_bytes == 268435456);
    assert_true(p.containers[0].limits.cpu_milli == 2000);
    kobj_pod_free(&p);
    /* null is unset, not zero */
    mutate(j, "spec.containers.0.resources.requests.cpu", json_null());
    assert_int_equal(kobj_decode_pod(j, &p, &err), 0);
    assert_true(p.containers[0].requests.cpu_milli == KOBJ_UNSET);
    kobj_pod_free(&p);
    json_decref(j);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_metrics_list),
        cmocka_unit_test(test_pod),
        cmocka_unit_test(test_deployment),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_hpa),
        cmocka_unit_test(test_vpa),
        cmocka_unit_test(test_podscaler),
        cmocka_unit_test(test_as_policy),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_list_with_bad_items),
        cmocka_unit_test(test_other_lists),
        cmocka_unit_test(test_selectors),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_quantity_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
