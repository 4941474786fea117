/*
 * fuzz_policy.c - libFuzzer target for the policy decoder (common/io/policy.c):
 * YAML and JSON documents, through the YAML-to-JSON conversion and
 * policy_from_json.
 *
 * Besides "never crash": a rejected document always has a message naming its
 * origin; an accepted one satisfies the invariants the engine relies on
 * (bounded counts, minReplicas <= maxReplicas, minAllowed <= maxAllowed,
 * quantities not negative, NUL-terminated names).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_policy(const struct ps_policy *p)
{
    CHECK(memchr(p->name, '\0', sizeof(p->name)) != NULL);
    CHECK(p->mode <= POLICY_MODE_COORDINATED);
    CHECK(p->bottleneck <= POLICY_BOTTLENECK_METRICS);
    const struct policy_horizontal *h = &p->horizontal;
    if (h->enabled) {
        CHECK(h->min_replicas >= 0 && h->max_replicas >= 1);
        CHECK(h->min_replicas <= h->max_replicas);
        CHECK(h->n_metrics <= POLICY_MAX_METRICS);
        for (unsigned i = 0; i < h->n_metrics; i++) {
            const struct policy_metric *m = &h->metrics[i];
            CHECK(m->type <= POLICY_METRIC_EXTERNAL && m->target <= POLICY_TARGET_VALUE);
            CHECK(memchr(m->container, '\0', sizeof(m->container)) != NULL);
            if (m->target == POLICY_TARGET_UTILIZATION)
                CHECK(m->average_utilization >= 1);
            else
                CHECK(m->target_milli > 0);
        }
        CHECK(h->scale_up.n_policies <= POLICY_MAX_RULES);
        CHECK(h->scale_down.n_policies <= POLICY_MAX_RULES);
        for (unsigned i = 0; i < h->scale_down.n_policies; i++)
            CHECK(h->scale_down.policies[i].period_s >= 1 &&
                  h->scale_down.policies[i].period_s <= 1800);
    }
    const struct policy_vertical *v = &p->vertical;
    CHECK(v->n_containers <= POLICY_MAX_CONTAINERS);
    CHECK(v->update_mode <= POLICY_UPDATE_IN_PLACE);
    for (unsigned i = 0; i < v->n_containers; i++) {
        const struct policy_container *c = &v->containers[i];
        CHECK(c->name[0] != '\0' && memchr(c->name, '\0', sizeof(c->name)) != NULL);
        CHECK(policy_container_for(v, c->name) == c);
        if (c->min_cpu_milli != POLICY_UNSET)
            CHECK(c->min_cpu_milli >= 0);
        if (c->min_mem_bytes != POLICY_UNSET)
            CHECK(c->min_mem_bytes >= 0);
        if (c->min_cpu_milli != POLICY_UNSET && c->max_cpu_milli != POLICY_UNSET)
            CHECK(c->min_cpu_milli <= c->max_cpu_milli);
        if (c->min_mem_bytes != POLICY_UNSET && c->max_mem_bytes != POLICY_UNSET)
            CHECK(c->min_mem_bytes <= c->max_mem_bytes);
        CHECK((c->controlled_resources & ~POLICY_RES_BOTH) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_policy p;
    char err[512];
    err[0] = '\0';
    int rc = policy_load_buffer((const char *)data, size, "fuzz", &p, err, sizeof(err));
    if (rc) {
        CHECK(strncmp(err, "fuzz: ", 6) == 0);
        CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        return 0;
    }
    check_policy(&p);
    return 0;
}
