/*
 * policy.c - decoding PodScaler policies from JSON and YAML, and the built-ins.
 *
 * YAML is converted to a jansson tree first so that one decoder,
 * policy_from_json(), serves files, the Kubernetes custom resource and tests.
 * Every error names the field as a path from the document root.
 */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "podscaler/json_quantity.h"
#include "podscaler/policy.h"
#include "podscaler/quantity.h"
#include "podscaler/text.h"

const char *const policy_builtin_names[] = {"static",        "hpa",         "vpa",
                                            "hpa+vpa-naive", "coordinated", NULL};

/* Upstream API defaults: autoscaling/v2 minReplicas 1 and, with no metrics,
 * Resource cpu at 80% average utilization (pkg/apis/autoscaling/v2/defaults.go). */
#define HPA_DEFAULT_MIN_REPLICAS    1
#define HPA_DEFAULT_CPU_UTILIZATION 80
/* The built-in hpa policies are applied to every workload of a trace, whose own
 * HPA objects are unknown; 100 replicas is a ceiling that traces never reach,
 * so the policy is limited by its metric, not by an arbitrary maximum. */
#define BUILTIN_MAX_REPLICAS 100

void policy_init(struct ps_policy *p, const char *name)
{
    memset(p, 0, sizeof(*p));
    if (name)
        snprintf(p->name, sizeof(p->name), "%s", name);
    p->mode = POLICY_MODE_INDEPENDENT;
    p->bottleneck = POLICY_BOTTLENECK_AUTO;
    p->horizontal.min_replicas = HPA_DEFAULT_MIN_REPLICAS;
    p->vertical.update_mode = POLICY_UPDATE_RECREATE;
    p->vertical.pod_min_cpu_milli = p->vertical.pod_min_mem_bytes = POLICY_UNSET;
}

static void builtin_horizontal(struct ps_policy *p)
{
    p->horizontal.enabled = 1;
    p->horizontal.min_replicas = HPA_DEFAULT_MIN_REPLICAS;
    p->horizontal.max_replicas = BUILTIN_MAX_REPLICAS;
    p->horizontal.n_metrics = 1;
    struct policy_metric *m = &p->horizontal.metrics[0];
    m->type = POLICY_METRIC_RESOURCE;
    m->resource = POLICY_RES_CPU;
    m->target = POLICY_TARGET_UTILIZATION;
    m->average_utilization = HPA_DEFAULT_CPU_UTILIZATION;
}

static void builtin_vertical(struct ps_policy *p)
{
    p->vertical.enabled = 1;
    p->vertical.update_mode = POLICY_UPDATE_RECREATE;
    p->vertical.n_containers = 0; /* upstream: every container Auto, no bounds */
    /* The updater's --min-replicas (2) would never update a single-replica
     * workload; those who run one set updatePolicy.minReplicas: 1, as here. */
    p->vertical.min_replicas = 1;
}

int policy_builtin(const char *name, struct ps_policy *out)
{
    if (!name)
        return POLICY_EUNKNOWN;
    policy_init(out, name);
    if (strcmp(name, "static") == 0)
        return 0;
    if (strcmp(name, "hpa") == 0) {
        builtin_horizontal(out);
        return 0;
    }
    if (strcmp(name, "vpa") == 0) {
        builtin_vertical(out);
        return 0;
    }
    if (strcmp(name, "hpa+vpa-naive") == 0) {
        /* Both on CPU and memory: the HPA on CPU utilization, the VPA on both
         * resources of every container, with nothing keeping them apart. */
        builtin_horizontal(out);
        builtin_vertical(out);
        return 0;
    }
    if (strcmp(name, "coordinated") == 0) {
        builtin_horizontal(out);
        out->horizontal.n_metrics = 0; /* bottleneck chosen automatically */
        builtin_vertical(out);
        /* The non-bottleneck request follows the group size the HPA runs; an
         * in-place resize (Kubernetes 1.33+, resizePolicy NotRequired) makes
         * that free of restarts. Pods whose resize fails are recreated. */
        out->vertical.update_mode = POLICY_UPDATE_IN_PLACE_OR_RECREATE;
        out->mode = POLICY_MODE_COORDINATED;
        out->bottleneck = POLICY_BOTTLENECK_AUTO;
        return 0;
    }
    return POLICY_EUNKNOWN;
}

const char *policy_strerror(int code)
{
    switch (code) {
    case POLICY_EUNKNOWN:
        return "no such built-in policy";
    case POLICY_EFIELD:
        return "a field of the policy is not valid";
    default:
        return ps_strerror(code);
    }
}

const struct policy_container *policy_container_for(const struct policy_vertical *v,
                                                    const char *container)
{
    const struct policy_container *star = NULL;
    for (unsigned i = 0; i < v->n_containers; i++) {
        if (strcmp(v->containers[i].name, container) == 0)
            return &v->containers[i];
        if (strcmp(v->containers[i].name, "*") == 0)
            star = &v->containers[i];
    }
    return star;
}

unsigned policy_horizontal_resources(const struct ps_policy *p)
{
    if (!p->horizontal.enabled)
        return 0;
    if (p->horizontal.n_metrics == 0)
        return POLICY_RES_BIT(POLICY_RES_CPU);
    unsigned set = 0;
    for (unsigned i = 0; i < p->horizontal.n_metrics; i++) {
        const struct policy_metric *m = &p->horizontal.metrics[i];
        if ((m->type == POLICY_METRIC_RESOURCE || m->type == POLICY_METRIC_CONTAINER_RESOURCE) &&
            m->resource != POLICY_RES_OTHER)
            set |= POLICY_RES_BIT(m->resource);
    }
    return set;
}

/* ---- JSON decoding ---- */

struct dec {
    char *err;
    size_t errlen;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(struct dec *d, const char *path, const char *fmt, ...)
{
    if (d->err && d->errlen) {
        int n = snprintf(d->err, d->errlen, "%s: ", path);
        if (n >= 0 && (size_t)n < d->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(d->err + n, d->errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return POLICY_EFIELD;
}

/* Rejects keys outside known: a misspelt field must not be silently ignored. */
/* path + suffix into buf, truncated to fit: field paths for messages. */
static void join(char *buf, size_t cap, const char *path, const char *suffix)
{
    size_t a = strlen(path), b = strlen(suffix);
    if (a >= cap)
        a = cap - 1;
    memcpy(buf, path, a);
    if (b > cap - 1 - a)
        b = cap - 1 - a;
    memcpy(buf + a, suffix, b);
    buf[a + b] = '\0';
}

static void join_index(char *buf, size_t cap, const char *path, size_t i, const char *suffix)
{
    char idx[48];
    char tmp[256];
    snprintf(idx, sizeof(idx), "[%zu]", i);
    join(tmp, sizeof(tmp), path, idx);
    join(buf, cap, tmp, suffix);
}

static int check_keys(struct dec *d, const char *path, json_t *obj, const char *const *known)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        (void)val;
        int ok = 0;
        for (const char *const *k = known; *k; k++)
            if (strcmp(*k, key) == 0)
                ok = 1;
        if (!ok)
            return fail(d, path, "unknown field \"%s\"", key);
    }
    return 0;
}

static int get_int(struct dec *d, const char *path, json_t *v, long long lo, long long hi,
                   int32_t *out)
{
    if (json_is_real(v)) {
        double x = json_real_value(v);
        /* Range first: converting a double outside long long's range is undefined. */
        if (!(x >= (double)lo && x <= (double)hi))
            return fail(d, path, "must be between %lld and %lld", lo, hi);
        if (x != floor(x))
            return fail(d, path, "must be an integer");
        *out = (int32_t)x;
        return 0;
    }
    if (!json_is_integer(v))
        return fail(d, path, "must be an integer");
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi)
        return fail(d, path, "must be between %lld and %lld", lo, hi);
    *out = (int32_t)x;
    return 0;
}

static int get_enum(struct dec *d, const char *path, json_t *v, const char *const *names,
                    const int *values, uint8_t *out)
{
    if (!json_is_string(v))
        return fail(d, path, "must be a string");
    const char *s = json_string_value(v);
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = (uint8_t)values[i];
            return 0;
        }
    }
    char list[256] = "";
    size_t used = 0;
    for (size_t i = 0; names[i] && used < sizeof(list); i++) {
        int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    return fail(d, path, "\"%s\" is not one of %s", s, list);
}

/* A quantity: a string in the Quantity grammar, or a JSON number. milli selects
 * the unit of *out: MilliValue (CPU millicores, milli-units) or Value (bytes). */
static int get_quantity(struct dec *d, const char *path, json_t *v, int milli, int64_t *out)
{
    quantity q;
    int set = 0;
    int rc = json_quantity_decode(v, &q, &set);
    if (rc)
        return fail(d, path, "is not a quantity: %s", quantity_strerror(rc));
    if (!set)
        return fail(d, path, "must be a quantity (a string such as \"500m\" or \"128Mi\")");
    if (quantity_sign(&q) < 0)
        return fail(d, path, "must not be negative");
    rc = milli ? quantity_milli_value(&q, out) : quantity_value(&q, out);
    if (rc)
        return fail(d, path, "is out of range");
    return 0;
}

static int resource_of(struct dec *d, const char *path, json_t *v, uint8_t *out)
{
    static const char *const names[] = {"cpu", "memory", NULL};
    static const int vals[] = {POLICY_RES_CPU, POLICY_RES_MEMORY};
    if (json_is_string(v) && strcmp(json_string_value(v), "cpu") != 0 &&
        strcmp(json_string_value(v), "memory") != 0 && json_string_length(v) > 0) {
        /* Other resources (ephemeral-storage, extended resources) exist upstream
         * but replay and the cores only model cpu and memory. */
        return fail(d, path, "resource \"%s\" is not supported (cpu or memory)",
                    json_string_value(v));
    }
    return get_enum(d, path, v, names, vals, out);
}

/* An object reference ({apiVersion, kind, name}: describedObject, targetRef):
 * kind and name required, each field a non-empty string. */
static int object_ref(struct dec *d, const char *path, json_t *o)
{
    static const char *const keys[] = {"apiVersion", "kind", "name", NULL};
    int rc = check_keys(d, path, o, keys);
    for (int k = 0; !rc && k < 3; k++) {
        json_t *f = json_object_get(o, keys[k]);
        char p[224];
        join(p, sizeof(p), path, ".");
        join(p + strlen(p), sizeof(p) - strlen(p), "", keys[k]);
        if (f ? !json_is_string(f) || json_string_length(f) == 0 : k > 0)
            rc = fail(d, p, "%s", f ? "must be a non-empty string" : "is required");
    }
    return rc;
}

/* The target's type must be one its metric's source can use (autoscaling/v2
 * validation: Resource and ContainerResource take Utilization or AverageValue,
 * Pods AverageValue, Object and External Value or AverageValue), and the
 * target sets the one value its type reads: a second one would be ignored. */
static int decode_target(struct dec *d, const char *path, json_t *t, struct policy_metric *m)
{
    static const char *const fields[] = {"averageUtilization", "averageValue", "value"};
    static const char *const keys[] = {"type", "averageUtilization", "averageValue", "value", NULL};
    static const char *const tnames[] = {"Utilization", "AverageValue", "Value", NULL};
    static const int tvals[] = {POLICY_TARGET_UTILIZATION, POLICY_TARGET_AVERAGE_VALUE,
                                POLICY_TARGET_VALUE};
    char p[192];
    if (!json_is_object(t))
        return fail(d, path, "must be an object");
    int rc = check_keys(d, path, t, keys);
    if (rc)
        return rc;
    join(p, sizeof(p), path, ".type");
    json_t *ty = json_object_get(t, "type");
    if (!ty)
        return fail(d, p, "is required");
    if ((rc = get_enum(d, p, ty, tnames, tvals, &m->target)))
        return rc;
    int res_metric =
        m->type == POLICY_METRIC_RESOURCE || m->type == POLICY_METRIC_CONTAINER_RESOURCE;
    if (m->target == POLICY_TARGET_VALUE && (res_metric || m->type == POLICY_METRIC_PODS))
        return fail(d, p, "Value is only for Object and External metrics (use AverageValue)");
    for (int f = 0; f < 3; f++) {
        if (f != m->target && json_object_get(t, fields[f])) {
            join(p, sizeof(p), path, ".");
            join(p + strlen(p), sizeof(p) - strlen(p), "", fields[f]);
            return fail(d, p, "is not read by a target of type %s; set only %s",
                        json_string_value(ty), fields[m->target]);
        }
    }
    if (m->target == POLICY_TARGET_UTILIZATION) {
        if (!res_metric)
            return fail(d, p, "Utilization is only for Resource and ContainerResource metrics");
        join(p, sizeof(p), path, ".averageUtilization");
        json_t *u = json_object_get(t, "averageUtilization");
        if (!u)
            return fail(d, p, "is required for type Utilization");
        return get_int(d, p, u, 1, INT32_MAX, &m->average_utilization);
    }
    const char *field = m->target == POLICY_TARGET_AVERAGE_VALUE ? "averageValue" : "value";
    join(p, sizeof(p), path, ".");
    join(p + strlen(p), sizeof(p) - strlen(p), "", field);
    json_t *q = json_object_get(t, field);
    if (!q)
        return fail(d, p, "is required for type %s", json_string_value(ty));
    if ((rc = get_quantity(d, p, q, 1, &m->target_milli)))
        return rc;
    if (m->target_milli <= 0)
        return fail(d, p, "must be greater than zero");
    return 0;
}

static int decode_metric(struct dec *d, const char *path, json_t *j, struct policy_metric *m)
{
    static const char *const keys[] = {
        "type", "resource", "containerResource", "pods", "object", "external", NULL};
    static const char *const tnames[] = {"Resource", "ContainerResource", "Pods",
                                         "Object",   "External",          NULL};
    static const int tvals[] = {POLICY_METRIC_RESOURCE, POLICY_METRIC_CONTAINER_RESOURCE,
                                POLICY_METRIC_PODS, POLICY_METRIC_OBJECT, POLICY_METRIC_EXTERNAL};
    static const char *const member[] = {"resource", "containerResource", "pods", "object",
                                         "external"};
    char p[160], q[192];
    int rc;
    memset(m, 0, sizeof(*m));
    if (!json_is_object(j))
        return fail(d, path, "must be an object");
    if ((rc = check_keys(d, path, j, keys)))
        return rc;
    join(p, sizeof(p), path, ".type");
    json_t *ty = json_object_get(j, "type");
    if (!ty)
        return fail(d, p, "is required");
    if ((rc = get_enum(d, p, ty, tnames, tvals, &m->type)))
        return rc;
    join(p, sizeof(p), path, ".");
    join(p + strlen(p), sizeof(p) - strlen(p), "", member[m->type]);
    json_t *src = json_object_get(j, member[m->type]);
    if (!json_is_object(src))
        return fail(d, p, "is required for type %s and must be an object", json_string_value(ty));
    for (int k = 0; k < 5; k++) {
        if (k != m->type && json_object_get(j, member[k])) {
            join(q, sizeof(q), path, ".");
            join(q + strlen(q), sizeof(q) - strlen(q), "", member[k]);
            return fail(d, q, "is not read by a metric of type %s", json_string_value(ty));
        }
    }
    m->resource = POLICY_RES_OTHER;
    if (m->type == POLICY_METRIC_RESOURCE || m->type == POLICY_METRIC_CONTAINER_RESOURCE) {
        static const char *const rkeys[] = {"name", "container", "target", NULL};
        if ((rc = check_keys(d, p, src, rkeys)))
            return rc;
        join(q, sizeof(q), p, ".name");
        json_t *n = json_object_get(src, "name");
        if (!n)
            return fail(d, q, "is required");
        if ((rc = resource_of(d, q, n, &m->resource)))
            return rc;
        if (m->type == POLICY_METRIC_CONTAINER_RESOURCE) {
            join(q, sizeof(q), p, ".container");
            json_t *c = json_object_get(src, "container");
            if (!json_is_string(c) || json_string_length(c) == 0)
                return fail(d, q, "is required and must be a non-empty string");
            snprintf(m->container, sizeof(m->container), "%s", json_string_value(c));
        }
    } else {
        static const char *const okeys[] = {"metric", "target", "describedObject", NULL};
        static const char *const pkeys[] = {"metric", "target", NULL};
        static const char *const mkeys[] = {"name", "selector", NULL};
        /* describedObject is the Object source's alone, and required there. */
        if ((rc = check_keys(d, p, src, m->type == POLICY_METRIC_OBJECT ? okeys : pkeys)))
            return rc;
        join(q, sizeof(q), p, ".metric");
        json_t *mm = json_object_get(src, "metric");
        if (!json_is_object(mm))
            return fail(d, q, "is required and must be an object");
        if ((rc = check_keys(d, q, mm, mkeys)))
            return rc;
        json_t *sel = json_object_get(mm, "selector");
        join(q, sizeof(q), p, ".metric.selector");
        if (sel && !json_is_null(sel) && !json_is_object(sel))
            return fail(d, q, "must be a label selector (an object)");
        join(q, sizeof(q), p, ".metric.name");
        json_t *n = json_object_get(mm, "name");
        if (!json_is_string(n) || json_string_length(n) == 0)
            return fail(d, q, "is required and must be a non-empty string");
        if (json_string_length(n) >= sizeof(m->container))
            return fail(d, q, "is longer than %zu bytes", sizeof(m->container) - 1);
        snprintf(m->container, sizeof(m->container), "%s", json_string_value(n));
        if (m->type == POLICY_METRIC_OBJECT) {
            join(q, sizeof(q), p, ".describedObject");
            json_t *o = json_object_get(src, "describedObject");
            if (!json_is_object(o))
                return fail(d, q, "is required and must be an object");
            if ((rc = object_ref(d, q, o)))
                return rc;
        }
    }
    join(q, sizeof(q), p, ".target");
    json_t *t = json_object_get(src, "target");
    if (!t)
        return fail(d, q, "is required");
    return decode_target(d, q, t, m);
}

static int decode_rules(struct dec *d, const char *path, json_t *j, struct policy_scaling_rules *r)
{
    static const char *const keys[] = {"stabilizationWindowSeconds", "selectPolicy", "policies",
                                       "tolerance", NULL};
    static const char *const snames[] = {"Max", "Min", "Disabled", NULL};
    static const int svals[] = {POLICY_SELECT_MAX, POLICY_SELECT_MIN, POLICY_SELECT_DISABLED};
    char p[192];
    int rc;
    memset(r, 0, sizeof(*r));
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_object(j))
        return fail(d, path, "must be an object");
    if ((rc = check_keys(d, path, j, keys)))
        return rc;
    json_t *v;
    if ((v = json_object_get(j, "stabilizationWindowSeconds"))) {
        join(p, sizeof(p), path, ".stabilizationWindowSeconds");
        /* Validation upstream: 0..3600 (pkg/apis/autoscaling/validation). */
        if ((rc = get_int(d, p, v, 0, 3600, &r->stabilization_window_s)))
            return rc;
        r->has_window = 1;
    }
    if ((v = json_object_get(j, "selectPolicy"))) {
        join(p, sizeof(p), path, ".selectPolicy");
        if ((rc = get_enum(d, p, v, snames, svals, &r->select)))
            return rc;
        r->has_select = 1;
    }
    if ((v = json_object_get(j, "tolerance"))) {
        join(p, sizeof(p), path, ".tolerance");
        return fail(d, p, "is not supported yet");
    }
    if ((v = json_object_get(j, "policies"))) {
        join(p, sizeof(p), path, ".policies");
        if (!json_is_array(v))
            return fail(d, p, "must be a list");
        if (json_array_size(v) > POLICY_MAX_RULES)
            return fail(d, p, "has more than %d entries", POLICY_MAX_RULES);
        /* Upstream validation: an empty list would stop scaling in this
         * direction without a word (selectPolicy: Disabled says it). */
        if (json_array_size(v) == 0)
            return fail(d, p,
                        "must have at least one entry (selectPolicy: Disabled turns this "
                        "direction off)");
        r->has_policies = 1;
        for (size_t i = 0; i < json_array_size(v); i++) {
            static const char *const pkeys[] = {"type", "value", "periodSeconds", NULL};
            static const char *const tnames[] = {"Pods", "Percent", NULL};
            static const int tvals[] = {POLICY_RULE_PODS, POLICY_RULE_PERCENT};
            json_t *e = json_array_get(v, i);
            struct policy_rule *pr = &r->policies[i];
            char q[224];
            join_index(q, sizeof(q), p, i, "");
            if (!json_is_object(e))
                return fail(d, q, "must be an object");
            if ((rc = check_keys(d, q, e, pkeys)))
                return rc;
            join_index(q, sizeof(q), p, i, ".type");
            if (!json_object_get(e, "type"))
                return fail(d, q, "is required");
            if ((rc = get_enum(d, q, json_object_get(e, "type"), tnames, tvals, &pr->type)))
                return rc;
            join_index(q, sizeof(q), p, i, ".value");
            if (!json_object_get(e, "value"))
                return fail(d, q, "is required");
            if ((rc = get_int(d, q, json_object_get(e, "value"), 1, INT32_MAX, &pr->value)))
                return rc;
            join_index(q, sizeof(q), p, i, ".periodSeconds");
            if (!json_object_get(e, "periodSeconds"))
                return fail(d, q, "is required");
            /* Validation upstream: periodSeconds in [1, 1800]. */
            if ((rc = get_int(d, q, json_object_get(e, "periodSeconds"), 1, 1800, &pr->period_s)))
                return rc;
            r->n_policies++;
        }
    }
    return 0;
}

static int decode_horizontal(struct dec *d, json_t *j, struct policy_horizontal *h)
{
    static const char *const keys[] = {"minReplicas", "maxReplicas", "metrics", "behavior", NULL};
    const char *path = "spec.horizontal";
    int rc;
    if (!json_is_object(j))
        return fail(d, path, "must be an object");
    if ((rc = check_keys(d, path, j, keys)))
        return rc;
    h->enabled = 1;
    h->min_replicas = HPA_DEFAULT_MIN_REPLICAS;
    json_t *v;
    if ((v = json_object_get(j, "minReplicas")) && !json_is_null(v)) {
        /* Scale to zero needs an Object or External metric; checked below. */
        if ((rc = get_int(d, "spec.horizontal.minReplicas", v, 0, INT32_MAX, &h->min_replicas)))
            return rc;
    }
    v = json_object_get(j, "maxReplicas");
    if (!v)
        return fail(d, "spec.horizontal.maxReplicas", "is required");
    if ((rc = get_int(d, "spec.horizontal.maxReplicas", v, 1, INT32_MAX, &h->max_replicas)))
        return rc;
    if (h->max_replicas < h->min_replicas)
        return fail(d, "spec.horizontal.maxReplicas", "must be at least minReplicas (%d)",
                    (int)h->min_replicas);
    if ((v = json_object_get(j, "metrics")) && !json_is_null(v)) {
        if (!json_is_array(v))
            return fail(d, "spec.horizontal.metrics", "must be a list");
        if (json_array_size(v) > POLICY_MAX_METRICS)
            return fail(d, "spec.horizontal.metrics", "has more than %d entries",
                        POLICY_MAX_METRICS);
        for (size_t i = 0; i < json_array_size(v); i++) {
            char p[64];
            snprintf(p, sizeof(p), "spec.horizontal.metrics[%zu]", i);
            if ((rc = decode_metric(d, p, json_array_get(v, i), &h->metrics[i])))
                return rc;
            h->n_metrics++;
        }
    }
    if (h->min_replicas == 0) {
        int ok = 0;
        for (unsigned i = 0; i < h->n_metrics; i++)
            if (h->metrics[i].type == POLICY_METRIC_OBJECT ||
                h->metrics[i].type == POLICY_METRIC_EXTERNAL)
                ok = 1;
        if (!ok)
            return fail(d, "spec.horizontal.minReplicas",
                        "may be 0 only with an Object or External metric");
    }
    if ((v = json_object_get(j, "behavior")) && !json_is_null(v)) {
        static const char *const bkeys[] = {"scaleUp", "scaleDown", NULL};
        if (!json_is_object(v))
            return fail(d, "spec.horizontal.behavior", "must be an object");
        if ((rc = check_keys(d, "spec.horizontal.behavior", v, bkeys)))
            return rc;
        h->has_behavior = 1;
        if ((rc = decode_rules(d, "spec.horizontal.behavior.scaleUp", json_object_get(v, "scaleUp"),
                               &h->scale_up)))
            return rc;
        if ((rc = decode_rules(d, "spec.horizontal.behavior.scaleDown",
                               json_object_get(v, "scaleDown"), &h->scale_down)))
            return rc;
    }
    return 0;
}

static int decode_resources(struct dec *d, const char *path, json_t *j, int64_t *cpu, int64_t *mem)
{
    static const char *const keys[] = {"cpu", "memory", NULL};
    char p[192];
    int rc;
    if (!json_is_object(j))
        return fail(d, path, "must be an object");
    if ((rc = check_keys(d, path, j, keys)))
        return rc;
    json_t *v;
    if ((v = json_object_get(j, "cpu"))) {
        join(p, sizeof(p), path, ".cpu");
        if ((rc = get_quantity(d, p, v, 1, cpu)))
            return rc;
    }
    if ((v = json_object_get(j, "memory"))) {
        join(p, sizeof(p), path, ".memory");
        if ((rc = get_quantity(d, p, v, 0, mem)))
            return rc;
    }
    return 0;
}

static int decode_container(struct dec *d, const char *path, json_t *j, struct policy_container *c)
{
    static const char *const keys[] = {
        "containerName",    "mode", "minAllowed", "maxAllowed", "controlledResources",
        "controlledValues", NULL};
    static const char *const mnames[] = {"Auto", "Off", NULL};
    static const int mvals[] = {POLICY_CONTAINER_AUTO, POLICY_CONTAINER_OFF};
    static const char *const vnames[] = {"RequestsAndLimits", "RequestsOnly", NULL};
    static const int vvals[] = {POLICY_REQUESTS_AND_LIMITS, POLICY_REQUESTS_ONLY};
    char p[192];
    int rc;
    memset(c, 0, sizeof(*c));
    c->min_cpu_milli = c->min_mem_bytes = POLICY_UNSET;
    c->max_cpu_milli = c->max_mem_bytes = POLICY_UNSET;
    c->controlled_resources = POLICY_RES_BOTH;
    if (!json_is_object(j))
        return fail(d, path, "must be an object");
    if ((rc = check_keys(d, path, j, keys)))
        return rc;
    json_t *v = json_object_get(j, "containerName");
    join(p, sizeof(p), path, ".containerName");
    if (!json_is_string(v) || json_string_length(v) == 0)
        return fail(d, p, "is required and must be a non-empty string");
    if (json_string_length(v) >= sizeof(c->name))
        return fail(d, p, "is longer than %zu bytes", sizeof(c->name) - 1);
    snprintf(c->name, sizeof(c->name), "%s", json_string_value(v));
    if ((v = json_object_get(j, "mode"))) {
        join(p, sizeof(p), path, ".mode");
        if ((rc = get_enum(d, p, v, mnames, mvals, &c->mode)))
            return rc;
    }
    if ((v = json_object_get(j, "minAllowed"))) {
        join(p, sizeof(p), path, ".minAllowed");
        if ((rc = decode_resources(d, p, v, &c->min_cpu_milli, &c->min_mem_bytes)))
            return rc;
    }
    if ((v = json_object_get(j, "maxAllowed"))) {
        join(p, sizeof(p), path, ".maxAllowed");
        if ((rc = decode_resources(d, p, v, &c->max_cpu_milli, &c->max_mem_bytes)))
            return rc;
    }
    if ((c->min_cpu_milli != POLICY_UNSET && c->max_cpu_milli != POLICY_UNSET &&
         c->min_cpu_milli > c->max_cpu_milli) ||
        (c->min_mem_bytes != POLICY_UNSET && c->max_mem_bytes != POLICY_UNSET &&
         c->min_mem_bytes > c->max_mem_bytes)) {
        join(p, sizeof(p), path, ".maxAllowed");
        return fail(d, p, "is below minAllowed");
    }
    if ((v = json_object_get(j, "controlledResources"))) {
        join(p, sizeof(p), path, ".controlledResources");
        if (!json_is_array(v))
            return fail(d, p, "must be a list");
        c->controlled_resources = 0;
        for (size_t i = 0; i < json_array_size(v); i++) {
            char q[224];
            uint8_t r;
            join_index(q, sizeof(q), p, i, "");
            if ((rc = resource_of(d, q, json_array_get(v, i), &r)))
                return rc;
            c->controlled_resources |= (uint8_t)POLICY_RES_BIT(r);
        }
    }
    if ((v = json_object_get(j, "controlledValues"))) {
        join(p, sizeof(p), path, ".controlledValues");
        if ((rc = get_enum(d, p, v, vnames, vvals, &c->controlled_values)))
            return rc;
    }
    return 0;
}

static int decode_vertical(struct dec *d, json_t *j, struct policy_vertical *vp)
{
    static const char *const keys[] = {"updateMode",     "minReplicas", "updatePolicy",
                                       "resourcePolicy", "podMinimum",  NULL};
    static const char *const unames[] = {
        "Off", "Initial", "Recreate", "Auto", "InPlaceOrRecreate", "InPlace", NULL};
    static const int uvals[] = {POLICY_UPDATE_OFF,
                                POLICY_UPDATE_INITIAL,
                                POLICY_UPDATE_RECREATE,
                                POLICY_UPDATE_RECREATE,
                                POLICY_UPDATE_IN_PLACE_OR_RECREATE,
                                POLICY_UPDATE_IN_PLACE};
    const char *path = "spec.vertical";
    int rc;
    if (!json_is_object(j))
        return fail(d, path, "must be an object");
    if ((rc = check_keys(d, path, j, keys)))
        return rc;
    vp->enabled = 1;
    vp->update_mode = POLICY_UPDATE_RECREATE; /* upstream default when unset */
    json_t *v = json_object_get(j, "updateMode");
    const char *upath = "spec.vertical.updateMode";
    /* updatePolicy.updateMode is the VPA object's own spelling: accept both. */
    json_t *up = json_object_get(j, "updatePolicy");
    if (up) {
        static const char *const ukeys[] = {"updateMode", "minReplicas", NULL};
        if (!json_is_object(up))
            return fail(d, "spec.vertical.updatePolicy", "must be an object");
        if ((rc = check_keys(d, "spec.vertical.updatePolicy", up, ukeys)))
            return rc;
        if (v && json_object_get(up, "updateMode"))
            return fail(d, upath, "is also set in spec.vertical.updatePolicy.updateMode");
        if (!v) {
            v = json_object_get(up, "updateMode");
            upath = "spec.vertical.updatePolicy.updateMode";
        }
    }
    json_t *mr = json_object_get(j, "minReplicas");
    const char *mrpath = "spec.vertical.minReplicas";
    if (mr && up && json_object_get(up, "minReplicas"))
        return fail(d, mrpath, "is also set in spec.vertical.updatePolicy.minReplicas");
    if (!mr && up && json_object_get(up, "minReplicas")) {
        mr = json_object_get(up, "minReplicas");
        mrpath = "spec.vertical.updatePolicy.minReplicas";
    }
    if (mr && !json_is_null(mr) && (rc = get_int(d, mrpath, mr, 1, INT32_MAX, &vp->min_replicas)))
        return rc;
    if (v && !(json_is_string(v) && json_string_length(v) == 0)) {
        if ((rc = get_enum(d, upath, v, unames, uvals, &vp->update_mode)))
            return rc;
    }
    json_t *pm = json_object_get(j, "podMinimum");
    if (pm && !json_is_null(pm) &&
        (rc = decode_resources(d, "spec.vertical.podMinimum", pm, &vp->pod_min_cpu_milli,
                               &vp->pod_min_mem_bytes)))
        return rc;
    json_t *rp = json_object_get(j, "resourcePolicy");
    if (rp && !json_is_null(rp)) {
        static const char *const rkeys[] = {"containerPolicies", NULL};
        if (!json_is_object(rp))
            return fail(d, "spec.vertical.resourcePolicy", "must be an object");
        if ((rc = check_keys(d, "spec.vertical.resourcePolicy", rp, rkeys)))
            return rc;
        json_t *cps = json_object_get(rp, "containerPolicies");
        if (cps && !json_is_null(cps)) {
            const char *cpath = "spec.vertical.resourcePolicy.containerPolicies";
            if (!json_is_array(cps))
                return fail(d, cpath, "must be a list");
            if (json_array_size(cps) > POLICY_MAX_CONTAINERS)
                return fail(d, cpath, "has more than %d entries", POLICY_MAX_CONTAINERS);
            for (size_t i = 0; i < json_array_size(cps); i++) {
                char p[96];
                join_index(p, sizeof(p), cpath, i, "");
                if ((rc = decode_container(d, p, json_array_get(cps, i), &vp->containers[i])))
                    return rc;
                for (size_t k = 0; k < i; k++)
                    if (strcmp(vp->containers[k].name, vp->containers[i].name) == 0)
                        return fail(d, p, "containerName \"%s\" appears twice",
                                    vp->containers[i].name);
                vp->n_containers++;
            }
        }
    }
    return 0;
}

static int get_fraction(struct dec *d, const char *path, json_t *v, double lo, double hi,
                        int lo_open, double *out)
{
    if (!json_is_number(v))
        return fail(d, path, "must be a number");
    double x = json_number_value(v);
    if (isnan(x) || x > hi || x < lo || (lo_open && x == lo))
        return fail(d, path, "must be %s %g and at most %g", lo_open ? "above" : "at least", lo,
                    hi);
    *out = x;
    return 0;
}

/* An optional integer field of spec.coordination: absent keeps the coordinator's
 * default; present sets *out and, when has is given, *has. */
static int coordination_int(struct dec *d, json_t *v, const char *key, long long lo, long long hi,
                            int32_t *out, int8_t *has)
{
    json_t *f = json_object_get(v, key);
    if (!f)
        return 0;
    char path[96];
    snprintf(path, sizeof(path), "spec.coordination.%s", key);
    int rc = get_int(d, path, f, lo, hi, out);
    if (!rc && has)
        *has = 1;
    return rc;
}

/* The coordinator's tuning (docs/coordination.md); absent fields keep its defaults. */
static int decode_coordination(struct dec *d, json_t *v, struct policy_coordination *c)
{
    json_t *f;
    int rc;
    /* Window slots must each be at least a second wide (COORD_SLOTS = 48). */
    if ((rc = coordination_int(d, v, "windowSeconds", 48, 30 * 86400, &c->window_s, NULL)))
        return rc;
    if ((f = json_object_get(v, "pressurePercentile")) &&
        (rc = get_fraction(d, "spec.coordination.pressurePercentile", f, 0, 1, 1,
                           &c->pressure_percentile)))
        return rc;
    if ((f = json_object_get(v, "switchMargin"))) {
        if ((rc =
                 get_fraction(d, "spec.coordination.switchMargin", f, 0, 10, 0, &c->switch_margin)))
            return rc;
        c->has_switch_margin = 1;
    }
    if ((rc = coordination_int(d, v, "switchSustainSeconds", 0, 30 * 86400, &c->switch_sustain_s,
                               &c->has_switch_sustain)))
        return rc;
    /* The coordinator keeps the last 32 change times (COORD_CHANGES_RING). */
    if ((rc = coordination_int(d, v, "maxVerticalChangesPerDay", 0, 31,
                               &c->max_vertical_changes_per_day, &c->has_max_changes)))
        return rc;
    if ((f = json_object_get(v, "minLoadShare"))) {
        if ((rc =
                 get_fraction(d, "spec.coordination.minLoadShare", f, 0, 1, 0, &c->min_load_share)))
            return rc;
        c->has_min_load_share = 1;
    }
    if ((rc = coordination_int(d, v, "memoryTargetUtilization", 1, 1000,
                               &c->memory_target_utilization, NULL)))
        return rc;
    /* Outruns are counted per window slot in 16 bits (struct coord_slot). */
    if ((rc = coordination_int(d, v, "memoryOutrunBudget", 0, 65534, &c->memory_outrun_budget,
                               &c->has_outrun_budget)))
        return rc;
    if ((rc = coordination_int(d, v, "groupSettleSeconds", 0, 30 * 86400, &c->group_settle_s,
                               &c->has_group_settle)))
        return rc;
    if ((rc = coordination_int(d, v, "lowerAfterSeconds", 0, 30 * 86400, &c->lower_after_s, NULL)))
        return rc;
    if ((rc = coordination_int(d, v, "disruptionWindowSeconds", 0, 86400, &c->disruption_window_s,
                               &c->has_disruption_window)))
        return rc;
    if ((f = json_object_get(v, "releaseAtMinReplicas"))) {
        if (!json_is_boolean(f))
            return fail(d, "spec.coordination.releaseAtMinReplicas", "must be true or false");
        c->release_at_min = json_is_true(f);
        c->has_release_at_min = 1;
    }
    return 0;
}

/* The controller's: replay applies a policy to every workload. Checked here so
 * that a file replay accepts is one the controller accepts. */
static int decode_target_ref(struct dec *d, json_t *v)
{
    if (!json_is_object(v))
        return fail(d, "spec.targetRef", "must be an object");
    return object_ref(d, "spec.targetRef", v);
}

int policy_from_json(struct json_t *spec, struct ps_policy *out, char *err, size_t errlen)
{
    static const char *const keys[] = {"targetRef", "horizontal", "vertical", "coordination", NULL};
    struct dec d = {err, errlen};
    char name[POLICY_NAME_MAX];
    int rc;
    memcpy(name, out->name, sizeof(name));
    policy_init(out, NULL);
    memcpy(out->name, name, sizeof(name));
    if (!json_is_object(spec))
        return fail(&d, "spec", "must be an object");
    if ((rc = check_keys(&d, "spec", spec, keys)))
        return rc;
    json_t *v;
    if ((v = json_object_get(spec, "targetRef")) && !json_is_null(v))
        if ((rc = decode_target_ref(&d, v)))
            return rc;
    if ((v = json_object_get(spec, "horizontal")) && !json_is_null(v))
        if ((rc = decode_horizontal(&d, v, &out->horizontal)))
            return rc;
    if ((v = json_object_get(spec, "vertical")) && !json_is_null(v))
        if ((rc = decode_vertical(&d, v, &out->vertical)))
            return rc;
    if ((v = json_object_get(spec, "coordination")) && !json_is_null(v)) {
        static const char *const ckeys[] = {"bottleneck",
                                            "pressurePercentile",
                                            "windowSeconds",
                                            "switchMargin",
                                            "switchSustainSeconds",
                                            "maxVerticalChangesPerDay",
                                            "disruptionWindowSeconds",
                                            "minLoadShare",
                                            "memoryTargetUtilization",
                                            "memoryOutrunBudget",
                                            "groupSettleSeconds",
                                            "lowerAfterSeconds",
                                            "releaseAtMinReplicas",
                                            NULL};
        static const char *const bnames[] = {"Auto", "cpu", "memory", "metrics", NULL};
        static const int bvals[] = {POLICY_BOTTLENECK_AUTO, POLICY_BOTTLENECK_CPU,
                                    POLICY_BOTTLENECK_MEMORY, POLICY_BOTTLENECK_METRICS};
        if (!json_is_object(v))
            return fail(&d, "spec.coordination", "must be an object");
        if ((rc = check_keys(&d, "spec.coordination", v, ckeys)))
            return rc;
        out->mode = POLICY_MODE_COORDINATED;
        json_t *b = json_object_get(v, "bottleneck");
        if (b &&
            (rc = get_enum(&d, "spec.coordination.bottleneck", b, bnames, bvals, &out->bottleneck)))
            return rc;
        if ((rc = decode_coordination(&d, v, &out->coordination)))
            return rc;
    }
    return 0;
}

/* ---- YAML to JSON ---- */

/* Plain (unquoted) YAML scalars are typed by the YAML 1.2 core schema rules a
 * Kubernetes user expects: integers, floats, true/false, null; all else and
 * every quoted scalar is a string. */
static json_t *yaml_scalar(const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_stringn(s, len);
    if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
        strcmp(s, "NULL") == 0)
        return json_null();
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
        return json_true();
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
        return json_false();
    if (strlen(s) == len) {
        char *end;
        /* 0x and 0o integers of the core schema; no sign, as there. */
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o') && s[2] != '\0' && s[2] != '-' &&
            s[2] != '+' && s[2] != ' ') {
            errno = 0;
            unsigned long long u = strtoull(s + 2, &end, s[1] == 'x' ? 16 : 8);
            if (*end == '\0' && errno == 0 && u <= (unsigned long long)INT64_MAX)
                return json_integer((json_int_t)u);
        }
        errno = 0;
        long long i = strtoll(s, &end, 10);
        if (*end == '\0' && errno == 0 &&
            (s[0] == '-' || s[0] == '+' || (s[0] >= '0' && s[0] <= '9')))
            return json_integer(i);
        errno = 0;
        double x = strtod(s, &end);
        if (*end == '\0' && errno == 0 &&
            (s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9')) &&
            strpbrk(s, "xXnN") == NULL)
            return json_real(x);
    }
    return json_stringn(s, len);
}

/* What a policy never needs and a reader could get wrong: anchors (only
 * useful with aliases, which expand exponentially), tags (!!str 5 is a string
 * where the decoder reads an integer; custom tags mean nothing here) and NUL
 * bytes (a C string would end there: "horizontal\0x" would read as horizontal). */
static const char *yaml_refused(const yaml_event_t *ev)
{
    const yaml_char_t *anchor = NULL, *tag = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        anchor = ev->data.scalar.anchor;
        tag = ev->data.scalar.tag;
        if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
            return "a string holds a NUL byte";
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = ev->data.sequence_start.anchor;
        tag = ev->data.sequence_start.tag;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = ev->data.mapping_start.anchor;
        tag = ev->data.mapping_start.tag;
        break;
    default:
        break;
    }
    if (anchor)
        return "anchors are not supported";
    if (tag)
        return "tags are not supported";
    return NULL;
}

#define YAML_MAX_DEPTH 64

json_t *policy_yaml_to_json(const char *data, size_t len, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    json_t *stack[YAML_MAX_DEPTH];
    json_t *keys[YAML_MAX_DEPTH]; /* pending key of a mapping, or NULL */
    int depth = 0;
    json_t *root = NULL;
    int docs = 0, done = 0;

    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(err, errlen, "YAML: %s at line %zu column %zu",
                     parser.problem ? parser.problem : "syntax error", parser.problem_mark.line + 1,
                     parser.problem_mark.column + 1);
            goto fail;
        }
        const char *refused = yaml_refused(&ev);
        if (refused) {
            snprintf(err, errlen, "YAML: %s (line %zu)", refused, ev.start_mark.line + 1);
            yaml_event_delete(&ev);
            goto fail;
        }
        json_t *node = NULL;
        int push = 0;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                snprintf(err, errlen, "YAML: more than one document at line %zu",
                         ev.start_mark.line + 1);
                yaml_event_delete(&ev);
                goto fail;
            }
            break;
        case YAML_ALIAS_EVENT:
            /* Aliases can expand exponentially; a policy never needs them. */
            snprintf(err, errlen, "YAML: aliases are not supported (line %zu)",
                     ev.start_mark.line + 1);
            yaml_event_delete(&ev);
            goto fail;
        case YAML_SCALAR_EVENT:
            node = yaml_scalar(&ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            node = json_array();
            push = 1;
            break;
        case YAML_MAPPING_START_EVENT:
            node = json_object();
            push = 1;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            node = stack[--depth];
            if (keys[depth]) { /* a key without value cannot happen in valid YAML */
                json_decref(keys[depth]);
                keys[depth] = NULL;
            }
            break;
        default:
            break;
        }
        size_t line = ev.start_mark.line + 1;
        yaml_event_type_t type = ev.type;
        yaml_event_delete(&ev);
        if (!node && (type == YAML_SCALAR_EVENT || push)) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (push) {
            if (depth >= YAML_MAX_DEPTH) {
                json_decref(node);
                snprintf(err, errlen, "YAML: nested deeper than %d levels (line %zu)",
                         YAML_MAX_DEPTH, line);
                goto fail;
            }
            stack[depth] = node;
            keys[depth] = NULL;
            depth++;
            continue;
        }
        if (!node)
            continue;
        /* A finished node: attach it to its parent or make it the root. */
        if (depth == 0) {
            if (root) {
                json_decref(node);
                continue;
            }
            root = node;
            continue;
        }
        json_t *parent = stack[depth - 1];
        if (json_is_array(parent)) {
            json_array_append_new(parent, node);
        } else if (!keys[depth - 1]) {
            if (!json_is_string(node)) {
                const char *what =
                    json_is_object(node) || json_is_array(node) ? "a collection" : "not a string";
                json_decref(node);
                snprintf(err, errlen, "YAML: a mapping key is %s (line %zu)", what, line);
                goto fail;
            }
            keys[depth - 1] = node;
        } else {
            const char *k = json_string_value(keys[depth - 1]);
            if (json_object_get(parent, k)) {
                snprintf(err, errlen, "YAML: duplicate key \"%s\" (line %zu)", k, line);
                json_decref(node);
                goto fail;
            }
            json_object_set_new(parent, k, node);
            json_decref(keys[depth - 1]);
            keys[depth - 1] = NULL;
        }
    }
    yaml_parser_delete(&parser);
    if (!root)
        snprintf(err, errlen, "empty document");
    return root;
fail:
    while (depth > 0) {
        depth--;
        json_decref(keys[depth]);
        json_decref(stack[depth]); /* open collections are not yet attached */
    }
    json_decref(root);
    yaml_parser_delete(&parser);
    return NULL;
}

/* ---- documents ---- */

/* A Kubernetes object name (RFC 1123 subdomain), at most POLICY_NAME_MAX - 1
 * bytes here: the name is also a column of every output format. */
static int check_object_name(struct dec *d, const char *path, json_t *n)
{
    if (!json_is_string(n) || json_string_length(n) == 0 ||
        json_string_length(n) >= POLICY_NAME_MAX)
        return fail(d, path, "must be a string of 1 to %d bytes", POLICY_NAME_MAX - 1);
    const char *s = json_string_value(n);
    size_t len = json_string_length(n);
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !((c == '-' || c == '.') && i > 0 && i + 1 < len))
            return fail(d, path,
                        "\"%s\" is not a Kubernetes object name (lower-case letters, digits, "
                        "'-' and '.', starting and ending with a letter or digit)",
                        s);
    }
    return 0;
}

static void base_name(const char *origin, char *out, size_t cap)
{
    const char *b = strrchr(origin, '/');
    b = b ? b + 1 : origin;
    snprintf(out, cap, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = '\0';
}

static int has_name(json_t *doc)
{
    json_t *md = json_is_object(doc) ? json_object_get(doc, "metadata") : NULL;
    return json_is_object(md) && json_object_get(md, "name") != NULL;
}

int policy_load_buffer(const char *data, size_t len, const char *origin, struct ps_policy *out,
                       char *err, size_t errlen)
{
    char msg[400];
    json_t *doc = NULL;
    size_t i = 0;
    int rc;
    while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
        i++;
    if (i < len && (data[i] == '{' || data[i] == '[')) {
        json_error_t je;
        doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        /* Not JSON, but it may be YAML in flow style ({horizontal: {...}}); if
         * it is neither, the JSON error is the likelier help. */
        if (!doc)
            doc = policy_yaml_to_json(data, len, msg, sizeof(msg));
        if (!doc) {
            snprintf(err, errlen, "%s: JSON line %d column %d: %s", origin, je.line, je.column,
                     je.text);
            return POLICY_EFIELD;
        }
    } else {
        msg[0] = '\0';
        doc = policy_yaml_to_json(data, len, msg, sizeof(msg));
        if (!doc) {
            snprintf(err, errlen, "%s: %s", origin, msg);
            return POLICY_EFIELD;
        }
    }
    struct dec d = {msg, sizeof(msg)};
    json_t *spec = doc;
    char name[POLICY_NAME_MAX];
    base_name(origin, name, sizeof(name));
    rc = 0;
    if (!json_is_object(doc)) {
        rc = fail(&d, "(document)", "must be a mapping");
    } else if (json_object_get(doc, "spec") || json_object_get(doc, "kind")) {
        static const char *const keys[] = {"apiVersion", "kind",   "metadata",
                                           "spec",       "status", NULL};
        json_t *kind = json_object_get(doc, "kind");
        json_t *av = json_object_get(doc, "apiVersion");
        rc = check_keys(&d, "(document)", doc, keys);
        if (!rc && kind &&
            (!json_is_string(kind) || strcmp(json_string_value(kind), "PodScaler") != 0))
            rc = fail(&d, "kind", "must be PodScaler");
        if (!rc && av &&
            (!json_is_string(av) || strcmp(json_string_value(av), POLICY_API_VERSION) != 0))
            rc = fail(&d, "apiVersion", "must be %s", POLICY_API_VERSION);
        json_t *md = json_object_get(doc, "metadata");
        json_t *n = json_is_object(md) ? json_object_get(md, "name") : NULL;
        if (!rc && md && !json_is_object(md))
            rc = fail(&d, "metadata", "must be an object");
        if (!rc && n) {
            if ((rc = check_object_name(&d, "metadata.name", n)) == 0)
                snprintf(name, sizeof(name), "%s", json_string_value(n));
        }
        spec = json_object_get(doc, "spec");
        if (!rc && !spec)
            rc = fail(&d, "spec", "is required");
    }
    if (!rc && !has_name(doc)) {
        /* A name from the file's own name goes into every output format too. */
        const size_t nlen = strlen(name);
        if (nlen == 0 || ps_ctl_at(name, nlen) < nlen || ps_utf8_invalid_at(name, nlen) < nlen)
            rc = fail(&d, "(file name)",
                      "\"%s\" is no policy name (UTF-8 without control characters); set "
                      "metadata.name",
                      nlen ? name : origin);
    }
    if (!rc) {
        snprintf(out->name, sizeof(out->name), "%s", name);
        rc = policy_from_json(spec, out, msg, sizeof(msg));
    }
    if (rc)
        snprintf(err, errlen, "%s: %s", origin, msg);
    json_decref(doc);
    return rc;
}

/* Policy files are small; a cap keeps a mistaken argument (a trace) from being read whole. */
#define POLICY_FILE_MAX (1024 * 1024)

int policy_load_file(const char *path, struct ps_policy *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? PS_ENOENT : PS_EIO;
    }
    char *buf = malloc(POLICY_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return PS_ENOMEM;
    }
    size_t n = fread(buf, 1, POLICY_FILE_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    int rc;
    if (bad) {
        snprintf(err, errlen, "%s: read error", path);
        rc = PS_EIO;
    } else if (n > POLICY_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than %d bytes: not a policy file", path, POLICY_FILE_MAX);
        rc = POLICY_EFIELD;
    } else {
        rc = policy_load_buffer(buf, n, path, out, err, errlen);
    }
    free(buf);
    return rc;
}
