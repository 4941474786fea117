/* Unit tests of the policy object (common/io/policy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "podscaler/policy.h"

static int load(const char *text, struct ps_policy *p, char *err, size_t cap)
{
    err[0] = '\0';
    return policy_load_buffer(text, strlen(text), "t.yaml", p, err, cap);
}

static void test_builtins(void **state)
{
    (void)state;
    struct ps_policy p;
    for (const char *const *n = policy_builtin_names; *n; n++) {
        assert_int_equal(policy_builtin(*n, &p), 0);
        assert_string_equal(p.name, *n);
    }
    assert_int_equal(policy_builtin("static", &p), 0);
    assert_false(p.horizontal.enabled);
    assert_false(p.vertical.enabled);
    assert_int_equal(policy_builtin("hpa", &p), 0);
    assert_true(p.horizontal.enabled);
    assert_false(p.vertical.enabled);
    assert_int_equal(p.horizontal.min_replicas, 1);
    assert_int_equal(p.horizontal.metrics[0].average_utilization, 80);
    assert_int_equal(policy_horizontal_resources(&p), POLICY_RES_BIT(POLICY_RES_CPU));
    assert_int_equal(policy_builtin("vpa", &p), 0);
    assert_false(p.horizontal.enabled);
    assert_true(p.vertical.enabled);
    assert_int_equal(p.vertical.update_mode, POLICY_UPDATE_RECREATE);
    /* Unset: the recommender's own defaults apply. */
    assert_true(p.vertical.pod_min_cpu_milli == POLICY_UNSET);
    assert_true(p.vertical.pod_min_mem_bytes == POLICY_UNSET);
    assert_int_equal(policy_builtin("hpa+vpa-naive", &p), 0);
    assert_true(p.horizontal.enabled && p.vertical.enabled);
    assert_int_equal(p.mode, POLICY_MODE_INDEPENDENT);
    assert_int_equal(policy_builtin("coordinated", &p), 0);
    assert_int_equal(p.mode, POLICY_MODE_COORDINATED);
    assert_int_equal(policy_builtin("nope", &p), POLICY_EUNKNOWN);
    assert_int_equal(policy_builtin(NULL, &p), POLICY_EUNKNOWN);
}

static const char full_yaml[] =
    "apiVersion: podscaler.io/v1alpha1\n"
    "kind: PodScaler\n"
    "metadata: {name: web, namespace: shop}\n"
    "spec:\n"
    "  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n"
    "  horizontal:\n"
    "    minReplicas: 2\n"
    "    maxReplicas: 40\n"
    "    metrics:\n"
    "    - type: Resource\n"
    "      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}\n"
    "    - type: Pods\n"
    "      pods:\n"
    "        metric: {name: rps}\n"
    "        target: {type: AverageValue, averageValue: \"1500m\"}\n"
    "    behavior:\n"
    "      scaleDown:\n"
    "        stabilizationWindowSeconds: 600\n"
    "        selectPolicy: Min\n"
    "        policies:\n"
    "        - {type: Percent, value: 10, periodSeconds: 60}\n"
    "        - {type: Pods, value: 2, periodSeconds: 60}\n"
    "  vertical:\n"
    "    updateMode: InPlaceOrRecreate\n"
    "    podMinimum: {cpu: 10m, memory: 32Mi}\n"
    "    resourcePolicy:\n"
    "      containerPolicies:\n"
    "      - containerName: \"*\"\n"
    "        minAllowed: {cpu: 50m, memory: 128Mi}\n"
    "        maxAllowed: {cpu: 2, memory: 4Gi}\n"
    "        controlledResources: [memory]\n"
    "        controlledValues: RequestsOnly\n"
    "      - containerName: sidecar\n"
    "        mode: \"Off\"\n"
    "  coordination:\n"
    "    bottleneck: cpu\n";

static void test_full_yaml(void **state)
{
    (void)state;
    struct ps_policy p;
    char err[256];
    int rc = load(full_yaml, &p, err, sizeof(err));
    if (rc)
        print_error("%s\n", err);
    assert_int_equal(rc, 0);
    assert_string_equal(p.name, "web");
    assert_true(p.horizontal.enabled);
    assert_int_equal(p.horizontal.min_replicas, 2);
    assert_int_equal(p.horizontal.max_replicas, 40);
    assert_int_equal(p.horizontal.n_metrics, 2);
    assert_int_equal(p.horizontal.metrics[0].type, POLICY_METRIC_RESOURCE);
    assert_int_equal(p.horizontal.metrics[0].resource, POLICY_RES_CPU);
    assert_int_equal(p.horizontal.metrics[0].average_utilization, 70);
    assert_int_equal(p.horizontal.metrics[1].type, POLICY_METRIC_PODS);
    assert_string_equal(p.horizontal.metrics[1].container, "rps");
    assert_int_equal(p.horizontal.metrics[1].target, POLICY_TARGET_AVERAGE_VALUE);
    assert_int_equal(p.horizontal.metrics[1].target_milli, 1500);
    assert_true(p.horizontal.has_behavior);
    assert_true(p.horizontal.scale_down.has_window);
    assert_int_equal(p.horizontal.scale_down.stabilization_window_s, 600);
    assert_int_equal(p.horizontal.scale_down.select, POLICY_SELECT_MIN);
    assert_int_equal(p.horizontal.scale_down.n_policies, 2);
    assert_int_equal(p.horizontal.scale_down.policies[0].type, POLICY_RULE_PERCENT);
    assert_int_equal(p.horizontal.scale_down.policies[1].value, 2);
    assert_false(p.horizontal.scale_up.has_window);
    assert_true(p.vertical.enabled);
    assert_int_equal(p.vertical.update_mode, POLICY_UPDATE_IN_PLACE_OR_RECREATE);
    assert_int_equal(p.vertical.n_containers, 2);
    assert_int_equal(p.vertical.pod_min_cpu_milli, 10);
    assert_int_equal(p.vertical.pod_min_mem_bytes, 32 * 1024 * 1024);
    const struct policy_container *c = policy_container_for(&p.vertical, "app");
    assert_non_null(c);
    assert_string_equal(c->name, "*");
    assert_int_equal(c->min_cpu_milli, 50);
    assert_int_equal(c->min_mem_bytes, 128 * 1024 * 1024);
    assert_int_equal(c->max_cpu_milli, 2000);
    assert_int_equal(c->max_mem_bytes, INT64_C(4) * 1024 * 1024 * 1024);
    assert_int_equal(c->controlled_resources, POLICY_RES_BIT(POLICY_RES_MEMORY));
    assert_int_equal(c->controlled_values, POLICY_REQUESTS_ONLY);
    c = policy_container_for(&p.vertical, "sidecar");
    assert_int_equal(c->mode, POLICY_CONTAINER_OFF);
    assert_int_equal(c->controlled_resources, POLICY_RES_BOTH);
    assert_int_equal(p.mode, POLICY_MODE_COORDINATED);
    assert_int_equal(p.bottleneck, POLICY_BOTTLENECK_CPU);
    assert_int_equal(policy_horizontal_resources(&p), POLICY_RES_BIT(POLICY_RES_CPU));
}

static void test_json_and_bare_spec(void **state)
{
    (void)state;
    struct ps_policy p;
    char err[256];
    assert_int_equal(load("{\"horizontal\": {\"maxReplicas\": 5}}", &p, err, sizeof(err)), 0);
    assert_string_equal(p.name, "t"); /* file name without extension */
    assert_true(p.horizontal.enabled);
    assert_int_equal(p.horizontal.min_replicas, 1);
    assert_int_equal(p.horizontal.n_metrics, 0);
    assert_false(p.vertical.enabled);
    assert_int_equal(p.mode, POLICY_MODE_INDEPENDENT);
    /* The VPA object's own spelling of the update mode, and a number as a quantity. */
    assert_int_equal(load("vertical:\n  updatePolicy: {updateMode: Auto}\n"
                          "  resourcePolicy: {containerPolicies: [{containerName: a, "
                          "minAllowed: {cpu: 0.5, memory: 1000}}]}\n",
                          &p, err, sizeof(err)),
                     0);
    assert_int_equal(p.vertical.update_mode, POLICY_UPDATE_RECREATE);
    assert_int_equal(p.vertical.containers[0].min_cpu_milli, 500);
    assert_int_equal(p.vertical.containers[0].min_mem_bytes, 1000);
    assert_null(policy_container_for(&p.vertical, "b"));
    /* YAML in flow style at the root, and the core schema's 0x and 0o integers. */
    assert_int_equal(
        load("{horizontal: {maxReplicas: 0x10, minReplicas: 0o3}}\n", &p, err, sizeof(err)), 0);
    assert_int_equal(p.horizontal.max_replicas, 16);
    assert_int_equal(p.horizontal.min_replicas, 3);
    assert_int_equal(load("kind: PodScaler\nmetadata: {name: web.v2-canary}\n"
                          "spec: {targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}}\n",
                          &p, err, sizeof(err)),
                     0);
    assert_string_equal(p.name, "web.v2-canary");
    /* A name taken from the file's name must be one every output can carry. */
    assert_int_equal(policy_load_buffer("spec: {}\n", 9, "dir/caf\xe9.yaml", &p, err, sizeof(err)),
                     POLICY_EFIELD);
    assert_non_null(strstr(err, "(file name): \"caf\xe9\" is no policy name"));
    assert_int_equal(policy_load_buffer("metadata: {name: cafe}\nspec: {}\n", 31,
                                        "dir/caf\xe9.yaml", &p, err, sizeof(err)),
                     0);
    assert_string_equal(p.name, "cafe");
    /* policy_from_json directly, as the Kubernetes decoders call it. */
    json_t *spec = json_loads("{\"vertical\": {\"updateMode\": \"Off\"}}", 0, NULL);
    policy_init(&p, "direct");
    assert_int_equal(policy_from_json(spec, &p, err, sizeof(err)), 0);
    assert_string_equal(p.name, "direct");
    assert_int_equal(p.vertical.update_mode, POLICY_UPDATE_OFF);
    json_decref(spec);
}

struct bad {
    const char *text;
    const char *want; /* substring of the message */
};

static void test_bad(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        {"spec:\n  horizontal: {minReplicas: 2}\n", "spec.horizontal.maxReplicas: is required"},
        {"spec:\n  horizontal: {minReplicas: 5, maxReplicas: 2}\n",
         "spec.horizontal.maxReplicas: must be at least minReplicas"},
        {"spec:\n  horizontal: {maxReplicas: two}\n",
         "spec.horizontal.maxReplicas: must be an integer"},
        {"spec:\n  horizontal: {maxReplicas: 2.5}\n", "must be an integer"},
        {"spec:\n  horizontal: {maxReplicas: 3, minReplicas: 0}\n",
         "spec.horizontal.minReplicas: may be 0 only"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Bogus}]}\n",
         "spec.horizontal.metrics[0].type: \"Bogus\" is not one of"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Resource, resource: {name: "
         "gpu, target: {type: Utilization, averageUtilization: 50}}}]}\n",
         "spec.horizontal.metrics[0].resource.name: resource \"gpu\""},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Resource, resource: {name: "
         "cpu, target: {type: Utilization}}}]}\n",
         "metrics[0].resource.target.averageUtilization: is required"},
        {"spec:\n  horizontal: {maxReplicas: 3, behavior: {scaleUp: {policies: [{type: Pods, "
         "value: 1, periodSeconds: 5000}]}}}\n",
         "spec.horizontal.behavior.scaleUp.policies[0].periodSeconds: must be between 1 and "
         "1800"},
        {"spec:\n  horizontal: {maxReplicas: 3, minReplica: 1}\n",
         "spec.horizontal: unknown field \"minReplica\""},
        {"spec:\n  vertical: {updateMode: Sometimes}\n",
         "spec.vertical.updateMode: \"Sometimes\" is not one of"},
        {"spec:\n  vertical: {resourcePolicy: {containerPolicies: [{containerName: a, "
         "minAllowed: {memory: lots}}]}}\n",
         "spec.vertical.resourcePolicy.containerPolicies[0].minAllowed.memory: is not a quantity"},
        {"spec:\n  vertical: {resourcePolicy: {containerPolicies: [{containerName: a, "
         "minAllowed: {cpu: \"-1\"}}]}}\n",
         "minAllowed.cpu: must not be negative"},
        {"spec:\n  vertical: {resourcePolicy: {containerPolicies: [{containerName: a, "
         "minAllowed: {cpu: 2}, maxAllowed: {cpu: 1}}]}}\n",
         "containerPolicies[0].maxAllowed: is below minAllowed"},
        {"spec:\n  vertical: {resourcePolicy: {containerPolicies: [{mode: Auto}]}}\n",
         "containerPolicies[0].containerName: is required"},
        {"spec:\n  vertical: {resourcePolicy: {containerPolicies: [{containerName: a}, "
         "{containerName: a}]}}\n",
         "containerName \"a\" appears twice"},
        {"spec:\n  vertical: {podMinimum: {memory: \"-1Mi\"}}\n",
         "spec.vertical.podMinimum.memory: must not be negative"},
        {"spec:\n  vertical: {podMinimum: {cpu: fast}}\n",
         "spec.vertical.podMinimum.cpu: is not a quantity"},
        {"spec:\n  vertical: {podMinimum: {gpu: 1}}\n",
         "spec.vertical.podMinimum: unknown field \"gpu\""},
        {"spec:\n  vertical: {podMinimum: 250Mi}\n", "spec.vertical.podMinimum: must be an object"},
        {"spec:\n  coordination: {bottleneck: disk}\n",
         "spec.coordination.bottleneck: \"disk\" is not one of Auto, cpu, memory, metrics"},
        {"kind: HorizontalPodAutoscaler\nspec: {}\n", "kind: must be PodScaler"},
        {"kind: PodScaler\nmetadata: {name: x}\n", "spec: is required"},
        {"spec: [1, 2]\n", "spec: must be an object"},
        {"- a\n- b\n", "must be a mapping"},
        {"spec:\n  horizontal: {maxReplicas: 3\n", "YAML"},
        {"a: &x 1\nb: *x\n", "anchors are not supported"},
        {"b: *x\n", "aliases are not supported"},
        {"spec:\n  horizontal: &h {maxReplicas: 5}\n", "anchors are not supported (line 2)"},
        {"spec:\n  horizontal: {maxReplicas: !!str 5}\n", "tags are not supported (line 2)"},
        {"spec:\n  horizontal: !custom {maxReplicas: 5}\n", "tags are not supported"},
        {"spec:\n  \"horizontal\\0x\": {maxReplicas: 5}\n", "a string holds a NUL byte"},
        {"spec:\n  horizontal: {maxReplicas: 3, behavior: {scaleDown: {policies: []}}}\n",
         "spec.horizontal.behavior.scaleDown.policies: must have at least one entry"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Resource, resource: {name: "
         "cpu, target: {type: Value, value: 100m}}}]}\n",
         "metrics[0].resource.target.type: Value is only for Object and External metrics"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Pods, pods: {metric: {name: "
         "rps}, target: {type: Value, value: 10}}}]}\n",
         "metrics[0].pods.target.type: Value is only for Object and External"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Resource, resource: {name: "
         "cpu, target: {type: Utilization, averageUtilization: 50, averageValue: 1}}}]}\n",
         "metrics[0].resource.target.averageValue: is not read by a target of type Utilization"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Resource, resource: {name: "
         "cpu, target: {type: Utilization, averageUtilization: 50}}, pods: {}}]}\n",
         "spec.horizontal.metrics[0].pods: is not read by a metric of type Resource"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Pods, pods: {metric: {name: "
         "rps, nmae: x}, target: {type: AverageValue, averageValue: 10}}}]}\n",
         "metrics[0].pods.metric: unknown field \"nmae\""},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Pods, pods: {metric: {name: "
         "rps, selector: 5}, target: {type: AverageValue, averageValue: 10}}}]}\n",
         "metrics[0].pods.metric.selector: must be a label selector"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: External, external: {metric: "
         "{name: q}, describedObject: {kind: Queue, name: q}, target: {type: Value, value: "
         "10}}}]}\n",
         "metrics[0].external: unknown field \"describedObject\""},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Object, object: {metric: "
         "{name: q}, target: {type: Value, value: 10}}}]}\n",
         "metrics[0].object.describedObject: is required"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Object, object: {metric: "
         "{name: q}, describedObject: {kind: Queue}, target: {type: Value, value: 10}}}]}\n",
         "metrics[0].object.describedObject.name: is required"},
        {"spec:\n  horizontal: {maxReplicas: 3, metrics: [{type: Pods, pods: {metric: {name: "
         "a-metric-name-that-is-longer-than-sixty-three-bytes-which-is-too-long}, target: "
         "{type: AverageValue, averageValue: 10}}}]}\n",
         "metrics[0].pods.metric.name: is longer than 63 bytes"},
        {"spec:\n  vertical: {minReplicas: 1, updatePolicy: {minReplicas: 7}}\n",
         "spec.vertical.minReplicas: is also set in spec.vertical.updatePolicy.minReplicas"},
        {"apiVersion: autoscaling/v2\nkind: PodScaler\nspec: {}\n",
         "apiVersion: must be podscaler.io/v1alpha1"},
        {"kind: PodScaler\nmetadata: 7\nspec: {}\n", "metadata: must be an object"},
        {"kind: PodScaler\nmetadata: {name: \"a,b\"}\nspec: {}\n",
         "metadata.name: \"a,b\" is not a Kubernetes object name"},
        {"kind: PodScaler\nmetadata: {name: -web}\nspec: {}\n", "is not a Kubernetes object name"},
        {"spec:\n  targetRef: 42\n", "spec.targetRef: must be an object"},
        {"spec:\n  targetRef: {kind: Deployment}\n", "spec.targetRef.name: is required"},
        {"spec:\n  targetRef: {kind: Deployment, name: web, nmae: x}\n",
         "spec.targetRef: unknown field \"nmae\""},
        {"{horizontal: {maxReplicas: 3}", "JSON line 1"},
        {"a: 1\na: 2\n", "duplicate key"},
        {"a: 1\n---\nb: 2\n", "more than one document"},
        {"{\"spec\": {\"horizontal\": }", "JSON line 1"},
        {"{\"spec\": {}, \"spec\": {}}", "JSON"},
        {"", "empty document"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ps_policy p;
        char err[512];
        int rc = load(cases[i].text, &p, err, sizeof(err));
        if (rc == 0 || !strstr(err, cases[i].want) || strncmp(err, "t.yaml: ", 8) != 0) {
            print_error("case %zu: rc %d, message \"%s\", wanted \"%s\"\n", i, rc, err,
                        cases[i].want);
            fail();
        }
    }
}

/* Object names are RFC 1123 subdomains, up to 253 bytes: kept whole, not cut at
 * some shorter buffer (two long names sharing a prefix would merge). */
static void test_long_names(void **state)
{
    (void)state;
    char name[300], text[400], err[512];
    struct ps_policy p;
    memset(name, 'a', 253);
    name[120] = '.';
    name[253] = '\0';
    snprintf(text, sizeof text, "kind: PodScaler\nmetadata: {name: %s}\nspec: {}\n", name);
    assert_int_equal(load(text, &p, err, sizeof err), 0);
    assert_string_equal(p.name, name);
    strcat(name, "a");
    snprintf(text, sizeof text, "kind: PodScaler\nmetadata: {name: %s}\nspec: {}\n", name);
    assert_int_not_equal(load(text, &p, err, sizeof err), 0);
    assert_non_null(strstr(err, "metadata.name: must be a string of 1 to 253 bytes"));
}

static void test_coordination(void **state)
{
    (void)state;
    struct ps_policy p;
    char err[256];
    const char *good = "spec:\n"
                       "  horizontal: {maxReplicas: 10}\n"
                       "  vertical: {updateMode: InPlaceOrRecreate}\n"
                       "  coordination:\n"
                       "    bottleneck: memory\n"
                       "    pressurePercentile: 0.9\n"
                       "    windowSeconds: 3600\n"
                       "    switchMargin: 0.5\n"
                       "    switchSustainSeconds: 0\n"
                       "    maxVerticalChangesPerDay: 2\n"
                       "    disruptionWindowSeconds: 600\n"
                       "    minLoadShare: 0\n"
                       "    memoryTargetUtilization: 65\n"
                       "    memoryOutrunBudget: 3\n"
                       "    groupSettleSeconds: 900\n"
                       "    lowerAfterSeconds: 86400\n"
                       "    releaseAtMinReplicas: false\n";
    assert_int_equal(load(good, &p, err, sizeof(err)), 0);
    assert_int_equal(p.mode, POLICY_MODE_COORDINATED);
    assert_int_equal(p.bottleneck, POLICY_BOTTLENECK_MEMORY);
    assert_true(p.coordination.pressure_percentile == 0.9);
    assert_int_equal(p.coordination.window_s, 3600);
    assert_true(p.coordination.switch_margin == 0.5);
    assert_true(p.coordination.has_switch_margin);
    assert_true(p.coordination.has_switch_sustain);
    assert_int_equal(p.coordination.switch_sustain_s, 0);
    assert_int_equal(p.coordination.max_vertical_changes_per_day, 2);
    assert_int_equal(p.coordination.disruption_window_s, 600);
    assert_true(p.coordination.has_min_load_share);
    assert_true(p.coordination.min_load_share == 0.0);
    assert_int_equal(p.coordination.memory_target_utilization, 65);
    assert_true(p.coordination.has_outrun_budget);
    assert_int_equal(p.coordination.memory_outrun_budget, 3);
    assert_true(p.coordination.has_group_settle);
    assert_int_equal(p.coordination.group_settle_s, 900);
    assert_int_equal(p.coordination.lower_after_s, 86400);
    assert_true(p.coordination.has_release_at_min);
    assert_int_equal(p.coordination.release_at_min, 0);
    /* 0 is a margin (switch on any lead), not "unset". */
    assert_int_equal(load("spec:\n  coordination: {switchMargin: 0}\n", &p, err, sizeof(err)), 0);
    assert_true(p.coordination.has_switch_margin);
    assert_true(p.coordination.switch_margin == 0.0);
    assert_int_equal(load("spec:\n  coordination: {}\n", &p, err, sizeof(err)), 0);
    assert_false(p.coordination.has_switch_margin);

    static const struct {
        const char *field, *value;
    } bad[] = {
        {"pressurePercentile", "1.5"},
        {"pressurePercentile", "0"},
        {"windowSeconds", "10"},
        {"switchMargin", "-1"},
        {"switchSustainSeconds", "-5"},
        {"maxVerticalChangesPerDay", "32"},
        {"disruptionWindowSeconds", "x"},
        {"minLoadShare", "2"},
        {"memoryTargetUtilization", "0"},
        {"memoryOutrunBudget", "-1"},
        {"memoryOutrunBudget", "65535"},
        {"groupSettleSeconds", "-1"},
        {"groupSettleSeconds", "2592001"},
        {"groupSettleSeconds", "1h"},
        {"lowerAfterSeconds", "-1"},
        {"lowerAfterSeconds", "2592001"},
        {"lowerAfterSeconds", "1d"},
        {"releaseAtMinReplicas", "1"},
        {"releaseAtMinReplicas", "\"true\""},
        {"releaseAtMinReplicas", "yes please"},
        {"bottleneck", "disk"},
        {"nosuchField", "1"},
        {"windowSeconds", "1.0e300"},
        {"maxVerticalChangesPerDay", "2.5"},
        {"switchSustainSeconds", "-1.0e300"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char doc[256];
        snprintf(doc, sizeof(doc), "spec:\n  coordination:\n    %s: %s\n", bad[i].field,
                 bad[i].value);
        assert_int_equal(load(doc, &p, err, sizeof(err)), POLICY_EFIELD);
        /* The error names the field. */
        assert_non_null(strstr(err, "spec.coordination"));
    }
}

static void test_file(void **state)
{
    (void)state;
    struct ps_policy p;
    char err[512];
    assert_int_equal(policy_load_file("/nonexistent/p.yaml", &p, err, sizeof(err)), PS_ENOENT);
    assert_non_null(strstr(err, "/nonexistent/p.yaml"));
    char path[] = "/tmp/ps-policy-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(full_yaml, f);
    fclose(f);
    assert_int_equal(policy_load_file(path, &p, err, sizeof(err)), 0);
    assert_string_equal(p.name, "web");
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins),
        cmocka_unit_test(test_full_yaml),
        cmocka_unit_test(test_json_and_bare_spec),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_coordination),
        cmocka_unit_test(test_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
