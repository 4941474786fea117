/*
 * vectors_hpa.c - runs ../shared/vectors/hpa.json (format: spec/hpa.md section 1) through
 * the hpa core.
 *
 * Every field of the format is interpreted: the runner plays the fake cluster of the
 * upstream tests (the metrics client joining samples to pods, the pod lister's label
 * selector, the scale subresource) and hands the core plain structs. An unknown field,
 * category or function is a failing vector, never a skip. Times are relative to a fixed
 * instant NOW_MS; "zero" is Go's zero time.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/hpa.h"
#include "vectors.h"

/* 2026-07-16T00:00:00Z: any instant works, the vectors are relative to it. */
#define NOW_MS INT64_C(1784160000000)

/* ------------------------------------------------------------------------------------- */
/* Per-vector arena and error reporting. */

struct arena {
    void **blocks;
    size_t n, cap;
};

static void *arena_alloc(struct arena *a, size_t size)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        void **nb = realloc(a->blocks, cap * sizeof *nb);
        if (!nb)
            return NULL;
        a->blocks = nb;
        a->cap = cap;
    }
    void *p = calloc(1, size ? size : 1);
    if (p)
        a->blocks[a->n++] = p;
    return p;
}

static void arena_free(struct arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
    a->blocks = NULL;
    a->n = a->cap = 0;
}

struct run {
    struct arena arena;
    char err[512];
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
bad(struct run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int keys(struct run *r, json_t *obj, const char *where, const char *const *allowed)
{
    const char *unknown = NULL;
    if (!json_is_object(obj))
        return bad(r, "%s: not an object", where);
    if (!vec_keys_known(obj, allowed, &unknown))
        return bad(r, "%s: unknown field '%s'", where, unknown);
    return 0;
}

static int get_i64(struct run *r, json_t *obj, const char *key, int64_t *out)
{
    *out = 0;
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        return bad(r, "field '%s' missing or not an integer", key);
    *out = json_integer_value(v);
    return 0;
}

static int get_i32(struct run *r, json_t *obj, const char *key, int32_t *out)
{
    int64_t v;
    *out = 0;
    if (get_i64(r, obj, key, &v))
        return -1;
    if (v < INT32_MIN || v > INT32_MAX)
        return bad(r, "field '%s' out of int32 range", key);
    *out = (int32_t)v;
    return 0;
}

static int get_num(struct run *r, json_t *obj, const char *key, double *out)
{
    *out = 0;
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        return bad(r, "field '%s' missing or not a number", key);
    *out = json_number_value(v);
    return 0;
}

static int get_bool(struct run *r, json_t *obj, const char *key, bool *out)
{
    *out = false;
    json_t *v = json_object_get(obj, key);
    if (!json_is_boolean(v))
        return bad(r, "field '%s' missing or not a boolean", key);
    *out = json_is_true(v);
    return 0;
}

static int get_str(struct run *r, json_t *obj, const char *key, const char **out)
{
    *out = "";
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return bad(r, "field '%s' missing or not a string", key);
    *out = json_string_value(v);
    return 0;
}

/* A time: seconds relative to now, or "zero". */
static int parse_time(struct run *r, json_t *v, const char *what, int64_t *out)
{
    *out = 0;
    if (json_is_string(v) && strcmp(json_string_value(v), "zero") == 0) {
        *out = HPA_TIME_GO_ZERO_MS;
        return 0;
    }
    if (!json_is_number(v))
        return bad(r, "%s: not a time", what);
    *out = NOW_MS + (int64_t)llround(json_number_value(v) * 1000.0);
    return 0;
}

static int parse_age(struct run *r, json_t *obj, int64_t *ts)
{
    double age = 0;
    *ts = 0;
    if (get_num(r, obj, "age_s", &age))
        return -1;
    *ts = NOW_MS - (int64_t)llround(age * 1000.0);
    return 0;
}

static int parse_resource(struct run *r, const char *s, enum hpa_resource *out)
{
    *out = HPA_RES_NONE;
    if (strcmp(s, "cpu") == 0)
        *out = HPA_RES_CPU;
    else if (strcmp(s, "memory") == 0)
        *out = HPA_RES_MEMORY;
    else if (s[0] == '\0')
        *out = HPA_RES_NONE;
    else
        return bad(r, "unsupported resource '%s'", s);
    return 0;
}

/* A resource list {cpu: n, memory: n} in milli-units. */
static int parse_reslist(struct run *r, json_t *obj, const char *where, unsigned *mask,
                         int64_t *milli)
{
    const char *key;
    json_t *val;
    *mask = 0;
    if (!json_is_object(obj))
        return bad(r, "%s: not an object", where);
    json_object_foreach(obj, key, val)
    {
        enum hpa_resource res;
        if (parse_resource(r, key, &res) || res == HPA_RES_NONE)
            return bad(r, "%s: unknown resource '%s'", where, key);
        if (!json_is_integer(val))
            return bad(r, "%s.%s: not an integer", where, key);
        *mask |= 1u << res;
        milli[res] = json_integer_value(val);
    }
    return 0;
}

/* Decimal or binary-SI quantity text to a double (tolerances, targets without *Milli). */
static int parse_quantity(struct run *r, const char *s, double *out)
{
    static const struct {
        const char *suffix;
        double mult;
    } sfx[] = {{"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
               {"n", 1e-9},    {"u", 1e-6},       {"m", 1e-3},          {"k", 1e3},
               {"M", 1e6},     {"G", 1e9},        {"T", 1e12},          {"P", 1e15},
               {"E", 1e18},    {"", 1.0}};
    char *end;
    *out = 0;
    double v = strtod(s, &end);
    if (end == s)
        return bad(r, "quantity '%s': no number", s);
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
        if (strcmp(end, sfx[i].suffix) == 0) {
            *out = v * sfx[i].mult;
            return 0;
        }
    }
    return bad(r, "quantity '%s': unknown suffix", s);
}

/* ------------------------------------------------------------------------------------- */
/* Pods */

struct pods {
    struct hpa_pod *pods;
    size_t n;
    json_t **labels; /* the JSON labels object of each pod, or NULL */
};

static int parse_container(struct run *r, json_t *j, bool init, struct hpa_container *c)
{
    static const char *const k_cont[] = {"name", "requests_milli", NULL};
    static const char *const k_init[] = {"name", "requests_milli", "restart_policy", NULL};
    if (keys(r, j, "container", init ? k_init : k_cont))
        return -1;
    if (get_str(r, j, "name", &c->name))
        return -1;
    json_t *req = json_object_get(j, "requests_milli");
    if (req && parse_reslist(r, req, "requests_milli", &c->request_mask, c->request_milli))
        return -1;
    json_t *rp = json_object_get(j, "restart_policy");
    if (rp) {
        if (!json_is_string(rp))
            return bad(r, "restart_policy: not a string");
        c->restart_always = strcmp(json_string_value(rp), "Always") == 0;
    }
    return 0;
}

static int parse_containers(struct run *r, json_t *arr, bool init, const struct hpa_container **out,
                            size_t *n)
{
    if (!json_is_array(arr))
        return bad(r, "containers: not an array");
    size_t cnt = json_array_size(arr);
    struct hpa_container *cs = arena_alloc(&r->arena, cnt * sizeof *cs);
    if (!cs)
        return bad(r, "out of memory");
    for (size_t i = 0; i < cnt; i++)
        if (parse_container(r, json_array_get(arr, i), init, &cs[i]))
            return -1;
    *out = cs;
    *n = cnt;
    return 0;
}

static int parse_phase(struct run *r, const char *s, enum hpa_pod_phase *out)
{
    *out = HPA_PHASE_UNKNOWN;
    if (strcmp(s, "Running") == 0)
        *out = HPA_PHASE_RUNNING;
    else if (strcmp(s, "Pending") == 0)
        *out = HPA_PHASE_PENDING;
    else if (strcmp(s, "Succeeded") == 0)
        *out = HPA_PHASE_SUCCEEDED;
    else if (strcmp(s, "Failed") == 0)
        *out = HPA_PHASE_FAILED;
    else if (s[0] == '\0' || strcmp(s, "Unknown") == 0)
        *out = HPA_PHASE_UNKNOWN;
    else
        return bad(r, "unknown pod phase '%s'", s);
    return 0;
}

static int parse_cond_status(struct run *r, const char *s, enum hpa_cond_status *out)
{
    *out = HPA_CS_NONE;
    if (strcmp(s, "True") == 0)
        *out = HPA_CS_TRUE;
    else if (strcmp(s, "False") == 0)
        *out = HPA_CS_FALSE;
    else if (strcmp(s, "Unknown") == 0)
        *out = HPA_CS_UNKNOWN;
    else
        return bad(r, "unknown condition status '%s'", s);
    return 0;
}

static int parse_pod(struct run *r, json_t *j, struct hpa_pod *p, json_t **labels)
{
    static const char *const k_pod[] = {"name",
                                        "phase",
                                        "labels",
                                        "ready_condition",
                                        "start_time",
                                        "deletion_timestamp_set",
                                        "containers",
                                        "init_containers",
                                        "pod_requests_milli",
                                        NULL};
    static const char *const k_ready[] = {"status", "last_transition", NULL};
    const char *phase;
    if (keys(r, j, "pod", k_pod) || get_str(r, j, "name", &p->name) ||
        get_str(r, j, "phase", &phase) || parse_phase(r, phase, &p->phase) ||
        get_bool(r, j, "deletion_timestamp_set", &p->deleted))
        return -1;
    json_t *lab = json_object_get(j, "labels");
    if (lab && !json_is_object(lab))
        return bad(r, "pod labels: not an object");
    *labels = lab;
    json_t *rc = json_object_get(j, "ready_condition");
    if (!rc)
        return bad(r, "pod %s: ready_condition missing", p->name);
    if (!json_is_null(rc)) {
        const char *st;
        if (keys(r, rc, "ready_condition", k_ready) || get_str(r, rc, "status", &st) ||
            parse_cond_status(r, st, &p->ready) ||
            parse_time(r, json_object_get(rc, "last_transition"), "last_transition",
                       &p->ready_transition_ms))
            return -1;
    }
    json_t *stt = json_object_get(j, "start_time");
    if (!stt)
        return bad(r, "pod %s: start_time missing", p->name);
    if (!json_is_null(stt)) {
        p->has_start_time = true;
        if (parse_time(r, stt, "start_time", &p->start_time_ms))
            return -1;
    }
    if (parse_containers(r, json_object_get(j, "containers"), false, &p->containers,
                         &p->n_containers))
        return -1;
    json_t *ic = json_object_get(j, "init_containers");
    if (ic && parse_containers(r, ic, true, &p->init_containers, &p->n_init_containers))
        return -1;
    json_t *pr = json_object_get(j, "pod_requests_milli");
    if (pr &&
        parse_reslist(r, pr, "pod_requests_milli", &p->pod_request_mask, p->pod_request_milli))
        return -1;
    return 0;
}

static int parse_pods(struct run *r, json_t *arr, struct pods *out)
{
    if (!json_is_array(arr))
        return bad(r, "pods: not an array");
    out->n = json_array_size(arr);
    out->pods = arena_alloc(&r->arena, out->n * sizeof *out->pods);
    out->labels = arena_alloc(&r->arena, out->n * sizeof *out->labels);
    if (!out->pods || !out->labels)
        return bad(r, "out of memory");
    for (size_t i = 0; i < out->n; i++)
        if (parse_pod(r, json_array_get(arr, i), &out->pods[i], &out->labels[i]))
            return -1;
    return 0;
}

static long pod_index(const struct pods *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->pods[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* ------------------------------------------------------------------------------------- */
/* Metric inputs, as the metrics client would build them. */

static int add_orphan(struct run *r, struct hpa_metric_input *m, int64_t **buf, size_t *cap,
                      int64_t v)
{
    if (m->n_orphans == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        int64_t *nv = arena_alloc(&r->arena, nc * sizeof *nv);
        if (!nv)
            return bad(r, "out of memory");
        if (m->n_orphans)
            memcpy(nv, *buf, m->n_orphans * sizeof *nv);
        *buf = nv;
        *cap = nc;
    }
    (*buf)[m->n_orphans++] = v;
    m->orphan_values_milli = *buf;
    return 0;
}

/* resource_metrics: PodMetrics items -> per-pod samples (spec section 5.1). */
static int resource_input(struct run *r, json_t *arr, const struct pods *pods,
                          enum hpa_resource res, const char *container, struct hpa_metric_input *m)
{
    static const char *const k_item[] = {"pod", "timestamp", "window_s", "containers", NULL};
    static const char *const k_cont[] = {"name", "usage_milli", NULL};
    if (!json_is_array(arr))
        return bad(r, "resource_metrics: not an array");
    struct hpa_pod_sample *s = arena_alloc(&r->arena, (pods->n + 1) * sizeof *s);
    if (!s)
        return bad(r, "out of memory");
    m->pod_samples = s;
    m->fetch = json_array_size(arr) == 0 ? HPA_FETCH_EMPTY : HPA_FETCH_OK;
    size_t orphan_cap = 0;
    int64_t *orphans = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        const char *pod;
        int64_t ts;
        double window;
        if (keys(r, it, "resource_metrics item", k_item) || get_str(r, it, "pod", &pod) ||
            parse_time(r, json_object_get(it, "timestamp"), "timestamp", &ts) ||
            get_num(r, it, "window_s", &window))
            return -1;
        json_t *cs = json_object_get(it, "containers");
        if (!json_is_array(cs))
            return bad(r, "resource_metrics containers: not an array");
        size_t nc = json_array_size(cs);
        struct hpa_container_usage *u = arena_alloc(&r->arena, (nc + 1) * sizeof *u);
        if (!u)
            return bad(r, "out of memory");
        for (size_t k = 0; k < nc; k++) {
            json_t *c = json_array_get(cs, k);
            if (keys(r, c, "container usage", k_cont) || get_str(r, c, "name", &u[k].name) ||
                parse_reslist(r, json_object_get(c, "usage_milli"), "usage_milli", &u[k].usage_mask,
                              u[k].usage_milli))
                return -1;
        }
        int64_t value;
        if (!hpa_pod_usage(u, nc, res, container, &value))
            continue; /* the pod gets no entry: "missing" */
        long pi = pod_index(pods, pod);
        if (pi < 0) {
            if (add_orphan(r, m, &orphans, &orphan_cap, value))
                return -1;
            continue;
        }
        s[pi].present = true;
        s[pi].value_milli = value;
        s[pi].timestamp_ms = ts;
        s[pi].window_ms = (int64_t)llround(window * 1000.0);
    }
    return 0;
}

/* pod_custom_metrics: custom pods/<metric> values. `metric` filters entries that name one. */
static int custom_input(struct run *r, json_t *arr, const struct pods *pods, const char *metric,
                        struct hpa_metric_input *m)
{
    static const char *const k_item[] = {"pod",       "metric",   "value_milli",
                                         "timestamp", "window_s", NULL};
    if (!json_is_array(arr))
        return bad(r, "pod_custom_metrics: not an array");
    struct hpa_pod_sample *s = arena_alloc(&r->arena, (pods->n + 1) * sizeof *s);
    if (!s)
        return bad(r, "out of memory");
    m->pod_samples = s;
    size_t orphan_cap = 0, used = 0;
    int64_t *orphans = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(arr, i, it)
    {
        const char *pod, *name = NULL;
        int64_t ts, value;
        if (keys(r, it, "pod_custom_metrics item", k_item) || get_str(r, it, "pod", &pod) ||
            get_i64(r, it, "value_milli", &value) ||
            parse_time(r, json_object_get(it, "timestamp"), "timestamp", &ts))
            return -1;
        json_t *jm = json_object_get(it, "metric");
        if (jm && get_str(r, it, "metric", &name))
            return -1;
        if (name && metric && strcmp(name, metric) != 0)
            continue;
        /* The custom metrics client assumes a 1 minute window when none is given. */
        double window = 60;
        if (json_object_get(it, "window_s") && get_num(r, it, "window_s", &window))
            return -1;
        used++;
        long pi = pod_index(pods, pod);
        if (pi < 0) {
            if (add_orphan(r, m, &orphans, &orphan_cap, value))
                return -1;
            continue;
        }
        s[pi].present = true;
        s[pi].value_milli = value;
        s[pi].timestamp_ms = ts;
        s[pi].window_ms = (int64_t)llround(window * 1000.0);
    }
    m->fetch = used == 0 ? HPA_FETCH_EMPTY : HPA_FETCH_OK;
    return 0;
}

static int external_input(struct run *r, json_t *arr, struct hpa_metric_input *m)
{
    if (!json_is_array(arr))
        return bad(r, "external_metric_values_milli: not an array");
    size_t n = json_array_size(arr);
    int64_t *v = arena_alloc(&r->arena, (n + 1) * sizeof *v);
    if (!v)
        return bad(r, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(arr, i);
        if (!json_is_integer(x))
            return bad(r, "external value: not an integer");
        v[i] = json_integer_value(x);
    }
    m->external_values_milli = v;
    m->n_external = n;
    m->fetch = HPA_FETCH_OK; /* an empty list is the calculator's error */
    return 0;
}

static int parse_tolerances(struct run *r, json_t *j, struct hpa_tolerances *t)
{
    static const char *const k_tol[] = {"scale_down", "scale_up", NULL};
    if (keys(r, j, "tolerance", k_tol) || get_num(r, j, "scale_down", &t->down) ||
        get_num(r, j, "scale_up", &t->up))
        return -1;
    return 0;
}

static int parse_duration_ms(struct run *r, json_t *obj, const char *key, int64_t *ms)
{
    double s = 0;
    *ms = 0;
    if (get_num(r, obj, key, &s))
        return -1;
    *ms = (int64_t)llround(s * 1000.0);
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Label selectors (k8s.io/apimachinery labels.Parse, the subset of its grammar). */

enum sel_op { SEL_EQ, SEL_NE, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOT_EXISTS };

struct sel_req {
    char key[128];
    enum sel_op op;
    char values[8][64];
    size_t n_values;
};

struct selector {
    struct sel_req req[16];
    size_t n;
};

static bool sel_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '/';
}

static const char *sel_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static const char *sel_word(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    while (sel_char(*p)) {
        if (n + 1 < cap)
            out[n++] = *p;
        p++;
    }
    out[n] = '\0';
    return p;
}

static int selector_parse(const char *s, struct selector *sel)
{
    memset(sel, 0, sizeof *sel);
    const char *p = sel_ws(s);
    if (*p == '\0')
        return 0;
    for (;;) {
        if (sel->n == sizeof sel->req / sizeof sel->req[0])
            return -1;
        struct sel_req *q = &sel->req[sel->n++];
        p = sel_ws(p);
        bool neg = false;
        if (*p == '!') {
            neg = true;
            p = sel_ws(p + 1);
        }
        p = sel_word(p, q->key, sizeof q->key);
        if (!q->key[0])
            return -1;
        p = sel_ws(p);
        if (neg) {
            q->op = SEL_NOT_EXISTS;
        } else if (*p == ',' || *p == '\0') {
            q->op = SEL_EXISTS;
        } else if (p[0] == '=' || (p[0] == '!' && p[1] == '=')) {
            q->op = p[0] == '!' ? SEL_NE : SEL_EQ;
            p += (p[0] == '!' || p[1] == '=') ? 2 : 1;
            p = sel_ws(p);
            p = sel_word(p, q->values[0], sizeof q->values[0]);
            q->n_values = 1;
        } else {
            char word[16];
            p = sel_word(p, word, sizeof word);
            if (strcmp(word, "in") == 0)
                q->op = SEL_IN;
            else if (strcmp(word, "notin") == 0)
                q->op = SEL_NOTIN;
            else
                return -1; /* e.g. "cheddar cheese" */
            p = sel_ws(p);
            if (*p != '(')
                return -1;
            p++;
            for (;;) {
                p = sel_ws(p);
                if (q->n_values == 8)
                    return -1;
                p = sel_word(p, q->values[q->n_values], sizeof q->values[0]);
                q->n_values++;
                p = sel_ws(p);
                if (*p == ',') {
                    p++;
                    continue;
                }
                if (*p == ')') {
                    p++;
                    break;
                }
                return -1;
            }
        }
        p = sel_ws(p);
        if (*p == '\0')
            return 0;
        if (*p != ',')
            return -1;
        p++;
    }
}

static const char *label_of(json_t *labels, const char *key)
{
    json_t *v = labels ? json_object_get(labels, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool selector_matches(const struct selector *sel, json_t *labels)
{
    for (size_t i = 0; i < sel->n; i++) {
        const struct sel_req *q = &sel->req[i];
        const char *v = label_of(labels, q->key);
        bool in = false;
        for (size_t k = 0; v && k < q->n_values; k++)
            if (strcmp(v, q->values[k]) == 0)
                in = true;
        switch (q->op) {
        case SEL_EQ:
        case SEL_IN:
            if (!in)
                return false;
            break;
        case SEL_NE:
        case SEL_NOTIN:
            if (in)
                return false;
            break;
        case SEL_EXISTS:
            if (!v)
                return false;
            break;
        case SEL_NOT_EXISTS:
            if (v)
                return false;
            break;
        }
    }
    return true;
}

/* matchLabels only (other HPAs in the namespace). */
static bool match_labels(json_t *ml, json_t *labels)
{
    const char *key;
    json_t *val;
    json_object_foreach(ml, key, val)
    {
        const char *v = label_of(labels, key);
        if (!v || !json_is_string(val) || strcmp(v, json_string_value(val)) != 0)
            return false;
    }
    return true;
}

/* ------------------------------------------------------------------------------------- */
/* Comparison helpers */

static int cmp_i64(struct vec_ctx *ctx, const char *id, json_t *exp, const char *key, int64_t got,
                   bool *failed)
{
    json_t *e = json_object_get(exp, key);
    if (!e)
        return 0;
    if (!json_is_integer(e)) {
        vec_fail(ctx, id, "expected.%s is not an integer", key);
        *failed = true;
        return -1;
    }
    if (json_integer_value(e) != got) {
        vec_fail(ctx, id, "%s: expected %lld, got %lld", key, (long long)json_integer_value(e),
                 (long long)got);
        *failed = true;
        return -1;
    }
    return 0;
}

static int cmp_str(struct vec_ctx *ctx, const char *id, json_t *exp, const char *key,
                   const char *got, bool *failed)
{
    json_t *e = json_object_get(exp, key);
    if (!e)
        return 0;
    if (!json_is_string(e) || strcmp(json_string_value(e), got) != 0) {
        vec_fail(ctx, id, "%s: expected '%s', got '%s'", key,
                 json_is_string(e) ? json_string_value(e) : "(not a string)", got);
        *failed = true;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* Categories. Each returns -1 with r->err for a malformed vector, else 0 after having
 * reported pass or fail itself. */

static int run_replica_calc(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                            json_t *exp)
{
    static const char *const k_in[] = {"function",
                                       "current_replicas",
                                       "resource",
                                       "container",
                                       "target_utilization",
                                       "tolerance",
                                       "cpu_initialization_period_s",
                                       "initial_readiness_delay_s",
                                       "pods",
                                       "resource_metrics",
                                       "metric_name",
                                       "target_milli",
                                       "target_kind",
                                       "described_object",
                                       "object_metric_milli",
                                       "metric_selector",
                                       "external_metric_values_milli",
                                       "pod_custom_metrics",
                                       NULL};
    static const char *const k_exp[] = {"replicas",    "utilization",    "raw_value_milli",
                                        "usage_milli", "error_contains", NULL};
    static const char *const k_obj[] = {"apiVersion", "kind", "name", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    const char *fn;
    struct hpa_calc c = {.now_ms = NOW_MS, .pod_level_resources = true};
    struct pods pods = {0};
    if (get_str(r, in, "function", &fn) ||
        get_i32(r, in, "current_replicas", &c.current_replicas) ||
        parse_tolerances(r, json_object_get(in, "tolerance"), &c.tol) ||
        parse_duration_ms(r, in, "cpu_initialization_period_s", &c.cpu_initialization_period_ms) ||
        parse_duration_ms(r, in, "initial_readiness_delay_s", &c.initial_readiness_delay_ms) ||
        parse_pods(r, json_object_get(in, "pods"), &pods))
        return -1;
    c.pods = pods.pods;
    c.n_pods = pods.n;

    struct hpa_metric_spec ms = {0};
    struct hpa_metric_input mi = {0};
    struct hpa_metric_status st;
    const char *kind = NULL;
    int64_t target = 0;
    json_t *jo = json_object_get(in, "described_object");
    if (jo && (keys(r, jo, "described_object", k_obj) || get_str(r, jo, "kind", &ms.object_kind) ||
               get_str(r, jo, "name", &ms.object_name)))
        return -1;
    json_t *jsel = json_object_get(in, "metric_selector");
    char *sel_text = NULL;
    if (jsel) {
        sel_text = json_dumps(jsel, JSON_COMPACT | JSON_SORT_KEYS);
        ms.selector_text = sel_text;
    }
    if (json_object_get(in, "metric_name") && get_str(r, in, "metric_name", &ms.name))
        goto malformed;
    if (json_object_get(in, "target_kind") && get_str(r, in, "target_kind", &kind))
        goto malformed;
    if (json_object_get(in, "target_milli") && get_i64(r, in, "target_milli", &target))
        goto malformed;

    int rc;
    bool usage_is_value = false;
    if (strcmp(fn, "GetResourceReplicas") == 0 || strcmp(fn, "GetRawResourceReplicas") == 0) {
        const char *res, *container;
        if (get_str(r, in, "resource", &res) || parse_resource(r, res, &ms.resource) ||
            ms.resource == HPA_RES_NONE || get_str(r, in, "container", &container) ||
            resource_input(r, json_object_get(in, "resource_metrics"), &pods, ms.resource,
                           container, &mi))
            goto malformed;
        ms.type = container[0] ? HPA_METRIC_CONTAINER_RESOURCE : HPA_METRIC_RESOURCE;
        ms.container = container;
        if (strcmp(fn, "GetResourceReplicas") == 0) {
            int32_t tu;
            if (get_i32(r, in, "target_utilization", &tu))
                goto malformed;
            ms.target.has_average_utilization = true;
            ms.target.average_utilization = tu;
            rc = hpa_calc_resource_utilization(&c, &mi, ms.resource, container, tu, &st);
        } else {
            ms.target.has_average_value = true;
            ms.target.average_value_milli = target;
            rc = hpa_calc_plain(&c, &mi, ms.resource, target, &st);
        }
    } else if (strcmp(fn, "GetMetricReplicas") == 0) {
        ms.type = HPA_METRIC_PODS;
        ms.target.has_average_value = true;
        if (custom_input(r, json_object_get(in, "pod_custom_metrics"), &pods, NULL, &mi))
            goto malformed;
        rc = hpa_calc_plain(&c, &mi, HPA_RES_NONE, target, &st);
    } else if (strcmp(fn, "GetObjectMetricReplicas") == 0 ||
               strcmp(fn, "GetObjectPerPodMetricReplicas") == 0) {
        bool per_pod = strstr(fn, "PerPod") != NULL;
        ms.type = HPA_METRIC_OBJECT;
        ms.target.type = per_pod ? HPA_TARGET_AVERAGE_VALUE : HPA_TARGET_VALUE;
        ms.target.has_value = !per_pod;
        ms.target.has_average_value = per_pod;
        if (get_i64(r, in, "object_metric_milli", &mi.object_value_milli))
            goto malformed;
        rc = per_pod ? hpa_calc_object_average(&c, &mi, target, &st)
                     : hpa_calc_object_value(&c, &mi, target, &st);
        usage_is_value = !per_pod;
    } else if (strcmp(fn, "GetExternalMetricReplicas") == 0 ||
               strcmp(fn, "GetExternalPerPodMetricReplicas") == 0) {
        bool per_pod = strstr(fn, "PerPod") != NULL;
        ms.type = HPA_METRIC_EXTERNAL;
        ms.target.has_value = !per_pod;
        ms.target.has_average_value = per_pod;
        if (external_input(r, json_object_get(in, "external_metric_values_milli"), &mi))
            goto malformed;
        rc = per_pod ? hpa_calc_external_average(&c, &mi, target, &st)
                     : hpa_calc_external_value(&c, &mi, target, &st);
        usage_is_value = !per_pod;
    } else {
        bad(r, "unknown function '%s'", fn);
        goto malformed;
    }
    if (kind && strcmp(kind, "total") != 0 && strcmp(kind, "per_pod_average") != 0) {
        bad(r, "unknown target_kind '%s'", kind);
        goto malformed;
    }

    bool failed = false;
    json_t *ec = json_object_get(exp, "error_contains");
    if (ec) {
        char msg[512];
        hpa_metric_error(&ms, &st, pods.pods, pods.n, msg, sizeof msg);
        if (rc == 0)
            vec_fail(ctx, id, "expected an error containing '%s', got replicas %d",
                     json_string_value(ec), st.replicas);
        else if (!json_is_string(ec) || !strstr(msg, json_string_value(ec)))
            vec_fail(ctx, id, "expected an error containing '%s', got '%s'",
                     json_is_string(ec) ? json_string_value(ec) : "?", msg);
        else
            vec_pass(ctx);
        free(sel_text);
        return 0;
    }
    if (rc != 0) {
        char msg[512];
        hpa_metric_error(&ms, &st, pods.pods, pods.n, msg, sizeof msg);
        vec_fail(ctx, id, "expected replicas, got error %d: %s", rc, msg);
        free(sel_text);
        return 0;
    }
    if (!cmp_i64(ctx, id, exp, "replicas", st.replicas, &failed) &&
        !cmp_i64(ctx, id, exp, "utilization", st.utilization, &failed) &&
        !cmp_i64(ctx, id, exp, "raw_value_milli", st.average_value_milli, &failed) &&
        !cmp_i64(ctx, id, exp, "usage_milli",
                 usage_is_value ? st.value_milli : st.average_value_milli, &failed) &&
        !failed)
        vec_pass(ctx);
    free(sel_text);
    return 0;
malformed:
    free(sel_text);
    return -1;
}

static int name_list_cmp(struct vec_ctx *ctx, const char *id, json_t *exp, const char *key,
                         const struct pods *pods, const enum hpa_pod_class *klass,
                         enum hpa_pod_class want, bool *failed)
{
    json_t *e = json_object_get(exp, key);
    if (!json_is_array(e)) {
        vec_fail(ctx, id, "expected.%s is not a list", key);
        *failed = true;
        return -1;
    }
    size_t got = 0;
    for (size_t i = 0; i < pods->n; i++) {
        if (klass[i] != want)
            continue;
        got++;
        bool found = false;
        for (size_t k = 0; k < json_array_size(e); k++)
            if (json_is_string(json_array_get(e, k)) &&
                strcmp(json_string_value(json_array_get(e, k)), pods->pods[i].name) == 0)
                found = true;
        if (!found) {
            vec_fail(ctx, id, "%s: pod %s classified there, not expected", key, pods->pods[i].name);
            *failed = true;
            return -1;
        }
    }
    if (got != json_array_size(e)) {
        vec_fail(ctx, id, "%s: expected %zu pods, got %zu", key, json_array_size(e), got);
        *failed = true;
        return -1;
    }
    return 0;
}

static int run_group_pods(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                          json_t *exp)
{
    static const char *const k_in[] = {
        "resource", "cpu_initialization_period_s", "initial_readiness_delay_s", "pods", "metrics",
        NULL};
    static const char *const k_exp[] = {"ready_pod_count", "unready", "missing", "ignored", NULL};
    static const char *const k_m[] = {"value", "timestamp", "window_s", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    struct hpa_calc c = {.now_ms = NOW_MS};
    struct pods pods = {0};
    const char *res_s;
    enum hpa_resource res;
    if (get_str(r, in, "resource", &res_s) || parse_resource(r, res_s, &res) ||
        parse_duration_ms(r, in, "cpu_initialization_period_s", &c.cpu_initialization_period_ms) ||
        parse_duration_ms(r, in, "initial_readiness_delay_s", &c.initial_readiness_delay_ms) ||
        parse_pods(r, json_object_get(in, "pods"), &pods))
        return -1;
    c.pods = pods.pods;
    c.n_pods = pods.n;
    struct hpa_pod_sample *s = arena_alloc(&r->arena, (pods.n + 1) * sizeof *s);
    enum hpa_pod_class *klass = arena_alloc(&r->arena, (pods.n + 1) * sizeof *klass);
    if (!s || !klass)
        return bad(r, "out of memory");
    json_t *jm = json_object_get(in, "metrics");
    if (!json_is_object(jm))
        return bad(r, "metrics: not an object");
    const char *pod;
    json_t *val;
    json_object_foreach(jm, pod, val)
    {
        int64_t ts, v;
        double window;
        if (keys(r, val, "metric", k_m) || get_i64(r, val, "value", &v) ||
            parse_time(r, json_object_get(val, "timestamp"), "timestamp", &ts) ||
            get_num(r, val, "window_s", &window))
            return -1;
        long pi = pod_index(&pods, pod);
        if (pi < 0)
            continue; /* grouping only walks the pods */
        s[pi].present = true;
        s[pi].value_milli = v;
        s[pi].timestamp_ms = ts;
        s[pi].window_ms = (int64_t)llround(window * 1000.0);
    }
    int ready = hpa_group_pods(&c, s, res, klass);
    bool failed = false;
    if (ready < 0) {
        vec_fail(ctx, id, "hpa_group_pods failed: %s", hpa_strerror(ready));
        return 0;
    }
    if (cmp_i64(ctx, id, exp, "ready_pod_count", ready, &failed) ||
        name_list_cmp(ctx, id, exp, "unready", &pods, klass, HPA_POD_UNREADY, &failed) ||
        name_list_cmp(ctx, id, exp, "missing", &pods, klass, HPA_POD_MISSING, &failed) ||
        name_list_cmp(ctx, id, exp, "ignored", &pods, klass, HPA_POD_IGNORED, &failed))
        return 0;
    vec_pass(ctx);
    return 0;
}

static int run_calculate_requests(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                                  json_t *exp)
{
    static const char *const k_in[] = {"resource", "container", "pod_level_resources_enabled",
                                       "pods", NULL};
    static const char *const k_exp[] = {"requests_milli", "error", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    const char *res_s, *container;
    enum hpa_resource res;
    bool plr;
    struct pods pods = {0};
    if (get_str(r, in, "resource", &res_s) || parse_resource(r, res_s, &res) ||
        res == HPA_RES_NONE || get_str(r, in, "container", &container) ||
        get_bool(r, in, "pod_level_resources_enabled", &plr) ||
        parse_pods(r, json_object_get(in, "pods"), &pods))
        return -1;
    int64_t *req = arena_alloc(&r->arena, (pods.n + 1) * sizeof *req);
    if (!req)
        return bad(r, "out of memory");
    int rc = 0;
    struct hpa_metric_status st = {.err_pod = -1, .err_container = -1};
    for (size_t i = 0; i < pods.n && rc == 0; i++) {
        int32_t ec;
        rc = hpa_pod_request(&pods.pods[i], res, container, plr, &req[i], &ec);
        if (rc) {
            st.err = rc;
            st.err_pod = (int32_t)i;
            st.err_container = ec;
        }
    }
    json_t *ee = json_object_get(exp, "error");
    if (ee) {
        struct hpa_metric_spec ms = {.type = container[0] ? HPA_METRIC_CONTAINER_RESOURCE
                                                          : HPA_METRIC_RESOURCE,
                                     .resource = res,
                                     .container = container};
        char msg[512];
        hpa_metric_error(&ms, &st, pods.pods, pods.n, msg, sizeof msg);
        if (rc == 0)
            vec_fail(ctx, id, "expected error '%s', got success", json_string_value(ee));
        else if (!json_is_string(ee) || strcmp(msg, json_string_value(ee)) != 0)
            vec_fail(ctx, id, "expected error '%s', got '%s'",
                     json_is_string(ee) ? json_string_value(ee) : "?", msg);
        else
            vec_pass(ctx);
        return 0;
    }
    if (rc != 0) {
        vec_fail(ctx, id, "expected requests, got error %s", hpa_strerror(rc));
        return 0;
    }
    json_t *er = json_object_get(exp, "requests_milli");
    if (!json_is_object(er) || json_object_size(er) != pods.n) {
        vec_fail(ctx, id, "requests_milli: expected %zu pods, got %zu",
                 json_is_object(er) ? json_object_size(er) : 0, pods.n);
        return 0;
    }
    bool failed = false;
    for (size_t i = 0; i < pods.n && !failed; i++)
        cmp_i64(ctx, id, er, pods.pods[i].name, req[i], &failed);
    if (!failed)
        vec_pass(ctx);
    return 0;
}

/* Scaling rules in the vector form {stabilization_window_s, select_policy, policies}. */
static int parse_rules(struct run *r, json_t *j, struct hpa_rules *out)
{
    static const char *const k_rules[] = {"stabilization_window_s", "select_policy", "policies",
                                          "tolerance", NULL};
    static const char *const k_pol[] = {"type", "value", "period_s", NULL};
    memset(out, 0, sizeof *out);
    if (keys(r, j, "rules", k_rules))
        return -1;
    json_t *w = json_object_get(j, "stabilization_window_s");
    if (w && !json_is_null(w)) {
        out->has_window = true;
        if (get_i32(r, j, "stabilization_window_s", &out->window_s))
            return -1;
    }
    json_t *sp = json_object_get(j, "select_policy");
    if (sp && !json_is_null(sp)) {
        const char *s;
        if (get_str(r, j, "select_policy", &s))
            return -1;
        out->has_select = true;
        if (strcmp(s, "Max") == 0)
            out->select = HPA_SELECT_MAX;
        else if (strcmp(s, "Min") == 0)
            out->select = HPA_SELECT_MIN;
        else if (strcmp(s, "Disabled") == 0)
            out->select = HPA_SELECT_DISABLED;
        else
            return bad(r, "unknown select_policy '%s'", s);
    }
    json_t *tol = json_object_get(j, "tolerance");
    if (tol && !json_is_null(tol)) {
        out->has_tolerance = true;
        if (json_is_string(tol)) {
            if (parse_quantity(r, json_string_value(tol), &out->tolerance))
                return -1;
        } else if (get_num(r, j, "tolerance", &out->tolerance)) {
            return -1;
        }
    }
    json_t *pol = json_object_get(j, "policies");
    if (pol && !json_is_null(pol)) {
        if (!json_is_array(pol))
            return bad(r, "policies: not an array");
        size_t n = json_array_size(pol);
        struct hpa_policy *ps = arena_alloc(&r->arena, (n + 1) * sizeof *ps);
        if (!ps)
            return bad(r, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *p = json_array_get(pol, i);
            const char *type;
            if (keys(r, p, "policy", k_pol) || get_str(r, p, "type", &type) ||
                get_i32(r, p, "value", &ps[i].value) || get_i32(r, p, "period_s", &ps[i].period_s))
                return -1;
            if (strcmp(type, "Pods") == 0)
                ps[i].type = HPA_POLICY_PODS;
            else if (strcmp(type, "Percent") == 0)
                ps[i].type = HPA_POLICY_PERCENT;
            else
                return bad(r, "unknown policy type '%s'", type);
        }
        out->has_policies = true;
        out->policies = ps;
        out->n_policies = n;
    }
    return 0;
}

static int parse_events(struct run *r, json_t *arr, bool with_outdated, struct hpa_events *ev)
{
    static const char *const k_ev[] = {"replica_change", "age_s", NULL};
    static const char *const k_evo[] = {"replica_change", "age_s", "outdated", NULL};
    if (!json_is_array(arr))
        return bad(r, "events: not an array");
    ev->n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (ev->n == HPA_MAX_EVENTS)
            return bad(r, "more events than HPA_MAX_EVENTS");
        struct hpa_scale_event *x = &ev->e[ev->n++];
        memset(x, 0, sizeof *x);
        if (keys(r, e, "event", with_outdated ? k_evo : k_ev) ||
            get_i32(r, e, "replica_change", &x->change) || parse_age(r, e, &x->ts_ms))
            return -1;
        if (with_outdated && get_bool(r, e, "outdated", &x->outdated))
            return -1;
    }
    return 0;
}

static int parse_recs(struct run *r, json_t *arr, struct hpa_recs *recs)
{
    static const char *const k_rec[] = {"replicas", "age_s", NULL};
    if (!json_is_array(arr))
        return bad(r, "recommendations: not an array");
    recs->n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (recs->n == HPA_MAX_RECS)
            return bad(r, "more recommendations than HPA_MAX_RECS");
        struct hpa_rec *x = &recs->e[recs->n++];
        if (keys(r, e, "recommendation", k_rec) || get_i32(r, e, "replicas", &x->replicas) ||
            parse_age(r, e, &x->ts_ms))
            return -1;
    }
    return 0;
}

static const int64_t DOWNSCALE_DEFAULT_MS = 300 * 1000; /* the controller flag's default */

static int run_scaling_rules(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                             json_t *exp)
{
    static const char *const k_in[] = {"current_replicas", "desired_replicas",
                                       "min_replicas",     "max_replicas",
                                       "scale_up_rules",   "scale_down_rules",
                                       "scale_up_events",  "scale_down_events",
                                       "rules_as_written", NULL};
    static const char *const k_exp[] = {"replicas", "condition_reason", NULL};
    static const char *const k_raw[] = {"scale_up", "scale_down", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    json_t *raw = json_object_get(in, "rules_as_written");
    if (raw && keys(r, raw, "rules_as_written", k_raw))
        return -1; /* informational text only */
    int32_t cur, desired, min, max;
    struct hpa_rules up_g, down_g, up, down;
    static struct hpa_state st;
    if (get_i32(r, in, "current_replicas", &cur) || get_i32(r, in, "desired_replicas", &desired) ||
        get_i32(r, in, "min_replicas", &min) || get_i32(r, in, "max_replicas", &max) ||
        parse_rules(r, json_object_get(in, "scale_up_rules"), &up_g) ||
        parse_rules(r, json_object_get(in, "scale_down_rules"), &down_g) ||
        parse_events(r, json_object_get(in, "scale_up_events"), false, &st.up) ||
        parse_events(r, json_object_get(in, "scale_down_events"), false, &st.down))
        return -1;
    hpa_rules_effective(&up_g, true, DOWNSCALE_DEFAULT_MS, &up);
    hpa_rules_effective(&down_g, false, DOWNSCALE_DEFAULT_MS, &down);
    enum hpa_reason reason;
    int32_t got =
        hpa_convert_behavior(cur, desired, min, max, &up, &down, &st.up, &st.down, NOW_MS, &reason);
    bool failed = false;
    if (!cmp_i64(ctx, id, exp, "replicas", got, &failed) &&
        !cmp_str(ctx, id, exp, "condition_reason", hpa_reason_name(reason), &failed))
        vec_pass(ctx);
    return 0;
}

static int run_scale_limit(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                           json_t *exp, bool up_dir)
{
    static const char *const k_in[] = {"current_replicas", "rules", "scale_up_events",
                                       "scale_down_events", NULL};
    static const char *const k_exp[] = {"limit", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    int32_t cur;
    struct hpa_rules given, rules;
    static struct hpa_state st;
    if (get_i32(r, in, "current_replicas", &cur) ||
        parse_rules(r, json_object_get(in, "rules"), &given) ||
        parse_events(r, json_object_get(in, "scale_up_events"), false, &st.up) ||
        parse_events(r, json_object_get(in, "scale_down_events"), false, &st.down))
        return -1;
    hpa_rules_effective(&given, up_dir, DOWNSCALE_DEFAULT_MS, &rules);
    int32_t got = up_dir ? hpa_scale_up_limit(cur, &st.up, &st.down, &rules, NOW_MS)
                         : hpa_scale_down_limit(cur, &st.up, &st.down, &rules, NOW_MS);
    bool failed = false;
    if (!cmp_i64(ctx, id, exp, "limit", got, &failed))
        vec_pass(ctx);
    return 0;
}

static int run_stabilize_behavior(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                                  json_t *exp)
{
    static const char *const k_in[] = {"current_replicas",
                                       "desired_replicas",
                                       "scale_up_stabilization_window_s",
                                       "scale_down_stabilization_window_s",
                                       "recommendations",
                                       NULL};
    static const char *const k_exp[] = {"replicas", "stored_recommendations", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    int32_t cur, desired;
    int64_t up_ms, down_ms;
    static struct hpa_state st;
    if (get_i32(r, in, "current_replicas", &cur) || get_i32(r, in, "desired_replicas", &desired) ||
        parse_duration_ms(r, in, "scale_up_stabilization_window_s", &up_ms) ||
        parse_duration_ms(r, in, "scale_down_stabilization_window_s", &down_ms) ||
        parse_recs(r, json_object_get(in, "recommendations"), &st.recs))
        return -1;
    enum hpa_reason reason;
    bool overflow = false;
    int32_t got =
        hpa_stabilize_behavior(&st.recs, cur, desired, up_ms, down_ms, NOW_MS, &reason, &overflow);
    bool failed = false;
    if (cmp_i64(ctx, id, exp, "replicas", got, &failed))
        return 0;
    json_t *sr = json_object_get(exp, "stored_recommendations");
    if (json_is_array(sr)) {
        bool ok = json_array_size(sr) == st.recs.n;
        for (size_t i = 0; ok && i < st.recs.n; i++)
            ok = json_is_integer(json_array_get(sr, i)) &&
                 json_integer_value(json_array_get(sr, i)) == st.recs.e[i].replicas;
        if (!ok) {
            char got_s[256] = "";
            for (size_t i = 0; i < st.recs.n && strlen(got_s) < 200; i++)
                snprintf(got_s + strlen(got_s), sizeof got_s - strlen(got_s), "%s%d", i ? "," : "",
                         st.recs.e[i].replicas);
            vec_fail(ctx, id, "stored_recommendations: got [%s]", got_s);
            return 0;
        }
    } else if (sr && !json_is_null(sr)) {
        return bad(r, "stored_recommendations: not a list or null");
    }
    vec_pass(ctx);
    return 0;
}

static int run_stabilize_legacy(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                                json_t *exp)
{
    static const char *const k_in[] = {"downscale_stabilization_window_s", "desired_replicas",
                                       "recommendations", NULL};
    static const char *const k_exp[] = {"replicas", "stored_recommendation_count", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    int32_t desired;
    int64_t window_ms;
    static struct hpa_state st;
    if (parse_duration_ms(r, in, "downscale_stabilization_window_s", &window_ms) ||
        get_i32(r, in, "desired_replicas", &desired) ||
        parse_recs(r, json_object_get(in, "recommendations"), &st.recs))
        return -1;
    bool overflow = false;
    int32_t got = hpa_stabilize_legacy(&st.recs, desired, window_ms, NOW_MS, &overflow);
    bool failed = false;
    if (!cmp_i64(ctx, id, exp, "replicas", got, &failed) &&
        !cmp_i64(ctx, id, exp, "stored_recommendation_count", st.recs.n, &failed))
        vec_pass(ctx);
    return 0;
}

static int run_convert_legacy(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                              json_t *exp)
{
    static const char *const k_in[] = {"current_replicas",
                                       "desired_replicas",
                                       "min_replicas",
                                       "max_replicas",
                                       "scale_up_limit_factor",
                                       "scale_up_limit_minimum",
                                       NULL};
    static const char *const k_exp[] = {"replicas", "condition_reason", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    int32_t cur, desired, min, max;
    double factor, minimum;
    if (get_i32(r, in, "current_replicas", &cur) || get_i32(r, in, "desired_replicas", &desired) ||
        get_i32(r, in, "min_replicas", &min) || get_i32(r, in, "max_replicas", &max) ||
        get_num(r, in, "scale_up_limit_factor", &factor) ||
        get_num(r, in, "scale_up_limit_minimum", &minimum))
        return -1;
    enum hpa_reason reason;
    int32_t got = hpa_convert_legacy(cur, desired, min, max, factor, minimum, &reason);
    bool failed = false;
    if (!cmp_i64(ctx, id, exp, "replicas", got, &failed) &&
        !cmp_str(ctx, id, exp, "condition_reason", hpa_reason_name(reason), &failed))
        vec_pass(ctx);
    return 0;
}

static int run_store_scale_event(struct run *r, struct vec_ctx *ctx, const char *id, json_t *in,
                                 json_t *exp)
{
    static const char *const k_in[] = {"rules",           "prev_replicas",  "replica_change",
                                       "previous_events", "query_period_s", NULL};
    static const char *const k_exp[] = {"replicas_change_in_query_period_before_store",
                                        "events_after_store", NULL};
    static const char *const k_ev[] = {"replica_change", "outdated", NULL};
    if (keys(r, in, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;
    int32_t prev, change, period;
    json_t *jr = json_object_get(in, "rules");
    struct hpa_rules given, rules;
    bool has_rules = jr && !json_is_null(jr);
    if (!jr)
        return bad(r, "rules missing");
    if ((has_rules && parse_rules(r, jr, &given)) || get_i32(r, in, "prev_replicas", &prev) ||
        get_i32(r, in, "replica_change", &change) || get_i32(r, in, "query_period_s", &period))
        return -1;
    json_t *ea = json_object_get(exp, "events_after_store");
    if (!json_is_array(ea))
        return bad(r, "events_after_store: not a list");
    for (size_t k = 0; k < json_array_size(ea); k++)
        if (keys(r, json_array_get(ea, k), "event", k_ev))
            return -1;
    /* Both directions must give the same result. */
    for (int dir = 0; dir < 2; dir++) {
        bool up = dir == 0;
        static struct hpa_state st;
        if (parse_events(r, json_object_get(in, "previous_events"), true, &st.up))
            return -1;
        int32_t before = hpa_change_in_period(&st.up, period, NOW_MS);
        bool failed = false;
        if (cmp_i64(ctx, id, exp, "replicas_change_in_query_period_before_store", before, &failed))
            return 0;
        if (has_rules)
            hpa_rules_effective(&given, up, DOWNSCALE_DEFAULT_MS, &rules);
        bool overflow = false;
        hpa_store_scale_event(&st.up, has_rules ? &rules : NULL, prev,
                              up ? prev + change : prev - change, NOW_MS, &overflow);
        bool ok = json_array_size(ea) == st.up.n;
        for (size_t i = 0; ok && i < st.up.n; i++) {
            json_t *e = json_array_get(ea, i);
            ok = json_is_integer(json_object_get(e, "replica_change")) &&
                 json_integer_value(json_object_get(e, "replica_change")) == st.up.e[i].change &&
                 json_is_boolean(json_object_get(e, "outdated")) &&
                 json_is_true(json_object_get(e, "outdated")) == st.up.e[i].outdated;
        }
        if (!ok) {
            char got_s[256] = "";
            for (size_t i = 0; i < st.up.n && strlen(got_s) < 200; i++)
                snprintf(got_s + strlen(got_s), sizeof got_s - strlen(got_s), "%s{%d,%s}",
                         i ? "," : "", st.up.e[i].change, st.up.e[i].outdated ? "old" : "new");
            vec_fail(ctx, id, "events_after_store (%s): got [%s]", up ? "scale-up" : "scale-down",
                     got_s);
            return 0;
        }
    }
    vec_pass(ctx);
    return 0;
}

/* ------------------------------------------------------------------------------------- */
/* reconcile */

struct other_cond {
    const char *type, *reason;
};

static int parse_target(struct run *r, json_t *j, struct hpa_target *t)
{
    static const char *const k_t[] = {
        "type", "value", "valueMilli", "averageValue", "averageValueMilli", "averageUtilization",
        NULL};
    if (keys(r, j, "target", k_t))
        return -1;
    json_t *ty = json_object_get(j, "type");
    if (ty) {
        const char *s = json_string_value(ty);
        if (!s)
            return bad(r, "target.type: not a string");
        if (strcmp(s, "Utilization") == 0)
            t->type = HPA_TARGET_UTILIZATION;
        else if (strcmp(s, "Value") == 0)
            t->type = HPA_TARGET_VALUE;
        else if (strcmp(s, "AverageValue") == 0)
            t->type = HPA_TARGET_AVERAGE_VALUE;
        else
            return bad(r, "unknown target type '%s'", s);
    }
    const char *pairs[2][2] = {{"value", "valueMilli"}, {"averageValue", "averageValueMilli"}};
    for (int k = 0; k < 2; k++) {
        json_t *q = json_object_get(j, pairs[k][0]);
        json_t *qm = json_object_get(j, pairs[k][1]);
        int64_t milli = 0;
        if (!q && !qm)
            continue;
        if (qm) {
            if (!json_is_integer(qm))
                return bad(r, "%s: not an integer", pairs[k][1]);
            milli = json_integer_value(qm);
        } else {
            double v = 0;
            if (!json_is_string(q) || parse_quantity(r, json_string_value(q), &v))
                return -1;
            milli = (int64_t)ceil(v * 1000.0);
        }
        if (k == 0) {
            t->has_value = true;
            t->value_milli = milli;
        } else {
            t->has_average_value = true;
            t->average_value_milli = milli;
        }
    }
    if (json_object_get(j, "averageUtilization")) {
        t->has_average_utilization = true;
        if (get_i32(r, j, "averageUtilization", &t->average_utilization))
            return -1;
    }
    return 0;
}

static int parse_metric_ident(struct run *r, json_t *j, struct hpa_metric_spec *m)
{
    static const char *const k_mi[] = {"name", "selector", NULL};
    if (keys(r, j, "metric", k_mi) || get_str(r, j, "name", &m->name))
        return -1;
    json_t *sel = json_object_get(j, "selector");
    if (sel) {
        char *txt = json_dumps(sel, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        if (!txt)
            return bad(r, "out of memory");
        char *copy = arena_alloc(&r->arena, strlen(txt) + 1);
        if (copy)
            memcpy(copy, txt, strlen(txt) + 1);
        free(txt);
        m->selector_text = copy;
    }
    return 0;
}

static int parse_metric_spec(struct run *r, json_t *j, struct hpa_metric_spec *m)
{
    static const char *const k_ms[] = {
        "type", "resource", "containerResource", "pods", "object", "external", NULL};
    static const char *const k_res[] = {"name", "target", NULL};
    static const char *const k_cres[] = {"name", "container", "target", NULL};
    static const char *const k_pods[] = {"metric", "target", NULL};
    static const char *const k_obj[] = {"describedObject", "metric", "target", NULL};
    static const char *const k_desc[] = {"apiVersion", "kind", "name", NULL};
    const char *type, *res;
    if (keys(r, j, "metrics[]", k_ms) || get_str(r, j, "type", &type))
        return -1;
    json_t *x;
    if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
        bool cr = type[0] == 'C';
        m->type = cr ? HPA_METRIC_CONTAINER_RESOURCE : HPA_METRIC_RESOURCE;
        x = json_object_get(j, cr ? "containerResource" : "resource");
        if (keys(r, x, "resource", cr ? k_cres : k_res) || get_str(r, x, "name", &res) ||
            parse_resource(r, res, &m->resource) || m->resource == HPA_RES_NONE ||
            (cr && get_str(r, x, "container", &m->container)) ||
            parse_target(r, json_object_get(x, "target"), &m->target))
            return -1;
    } else if (strcmp(type, "Pods") == 0) {
        m->type = HPA_METRIC_PODS;
        x = json_object_get(j, "pods");
        if (keys(r, x, "pods", k_pods) || parse_metric_ident(r, json_object_get(x, "metric"), m) ||
            parse_target(r, json_object_get(x, "target"), &m->target))
            return -1;
    } else if (strcmp(type, "Object") == 0) {
        m->type = HPA_METRIC_OBJECT;
        x = json_object_get(j, "object");
        json_t *d = json_object_get(x, "describedObject");
        if (keys(r, x, "object", k_obj) || keys(r, d, "describedObject", k_desc) ||
            get_str(r, d, "kind", &m->object_kind) || get_str(r, d, "name", &m->object_name) ||
            parse_metric_ident(r, json_object_get(x, "metric"), m) ||
            parse_target(r, json_object_get(x, "target"), &m->target))
            return -1;
    } else if (strcmp(type, "External") == 0) {
        m->type = HPA_METRIC_EXTERNAL;
        x = json_object_get(j, "external");
        if (keys(r, x, "external", k_pods) ||
            parse_metric_ident(r, json_object_get(x, "metric"), m) ||
            parse_target(r, json_object_get(x, "target"), &m->target))
            return -1;
    } else {
        /* A type the API does not know: upstream fails it at run time. */
        m->type = HPA_METRIC_UNKNOWN;
        if (json_object_size(j) != 1)
            return bad(r, "metric of unknown type '%s' carries fields", type);
    }
    return 0;
}

static int parse_behavior_rules(struct run *r, json_t *j, struct hpa_rules *out)
{
    static const char *const k_r[] = {"stabilizationWindowSeconds", "selectPolicy", "policies",
                                      "tolerance", NULL};
    static const char *const k_p[] = {"type", "value", "periodSeconds", NULL};
    memset(out, 0, sizeof *out);
    if (keys(r, j, "behavior rules", k_r))
        return -1;
    if (json_object_get(j, "stabilizationWindowSeconds")) {
        out->has_window = true;
        if (get_i32(r, j, "stabilizationWindowSeconds", &out->window_s))
            return -1;
    }
    if (json_object_get(j, "selectPolicy")) {
        const char *s;
        if (get_str(r, j, "selectPolicy", &s))
            return -1;
        out->has_select = true;
        if (strcmp(s, "Max") == 0)
            out->select = HPA_SELECT_MAX;
        else if (strcmp(s, "Min") == 0)
            out->select = HPA_SELECT_MIN;
        else if (strcmp(s, "Disabled") == 0)
            out->select = HPA_SELECT_DISABLED;
        else
            return bad(r, "unknown selectPolicy '%s'", s);
    }
    json_t *tol = json_object_get(j, "tolerance");
    if (tol) {
        out->has_tolerance = true;
        if (!json_is_string(tol) || parse_quantity(r, json_string_value(tol), &out->tolerance))
            return bad(r, "tolerance: not a quantity");
    }
    json_t *pol = json_object_get(j, "policies");
    if (pol) {
        if (!json_is_array(pol))
            return bad(r, "policies: not an array");
        size_t n = json_array_size(pol);
        struct hpa_policy *ps = arena_alloc(&r->arena, (n + 1) * sizeof *ps);
        if (!ps)
            return bad(r, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *p = json_array_get(pol, i);
            const char *type;
            if (keys(r, p, "policy", k_p) || get_str(r, p, "type", &type) ||
                get_i32(r, p, "value", &ps[i].value) ||
                get_i32(r, p, "periodSeconds", &ps[i].period_s))
                return -1;
            if (strcmp(type, "Pods") == 0)
                ps[i].type = HPA_POLICY_PODS;
            else if (strcmp(type, "Percent") == 0)
                ps[i].type = HPA_POLICY_PERCENT;
            else
                return bad(r, "unknown policy type '%s'", type);
        }
        out->has_policies = true;
        out->policies = ps;
        out->n_policies = n;
    }
    return 0;
}

static int parse_hpa(struct run *r, json_t *j, struct hpa_spec *spec, struct hpa_input *in,
                     struct other_cond *others, size_t *n_others)
{
    static const char *const k_hpa[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const k_meta[] = {"name", "namespace", "generation", NULL};
    static const char *const k_spec[] = {"scaleTargetRef", "minReplicas", "maxReplicas",
                                         "metrics",        "behavior",    NULL};
    static const char *const k_ref[] = {"apiVersion", "kind", "name", NULL};
    static const char *const k_beh[] = {"scaleUp", "scaleDown", NULL};
    static const char *const k_status[] = {"currentReplicas",
                                           "desiredReplicas",
                                           "lastScaleTime",
                                           "conditions",
                                           "currentMetrics",
                                           "observedGeneration",
                                           NULL};
    static const char *const k_cond[] = {
        "type", "status", "reason", "message", "lastTransitionTime", NULL};
    const char *s;
    if (keys(r, j, "hpa", k_hpa) || get_str(r, j, "apiVersion", &s))
        return -1;
    if (strcmp(s, "autoscaling/v2") != 0)
        return bad(r, "hpa apiVersion '%s' is not autoscaling/v2", s);
    if (get_str(r, j, "kind", &s) || strcmp(s, "HorizontalPodAutoscaler") != 0)
        return bad(r, "hpa kind is not HorizontalPodAutoscaler");
    if (keys(r, json_object_get(j, "metadata"), "metadata", k_meta))
        return -1;
    json_t *sp = json_object_get(j, "spec");
    if (keys(r, sp, "spec", k_spec) ||
        keys(r, json_object_get(sp, "scaleTargetRef"), "scaleTargetRef", k_ref) ||
        get_i32(r, sp, "maxReplicas", &spec->max_replicas))
        return -1;
    if (json_object_get(sp, "minReplicas")) {
        spec->has_min_replicas = true;
        if (get_i32(r, sp, "minReplicas", &spec->min_replicas))
            return -1;
    }
    json_t *ms = json_object_get(sp, "metrics");
    if (!json_is_array(ms))
        return bad(r, "spec.metrics: not an array");
    spec->n_metrics = json_array_size(ms);
    struct hpa_metric_spec *m = arena_alloc(&r->arena, (spec->n_metrics + 1) * sizeof *m);
    if (!m)
        return bad(r, "out of memory");
    for (size_t i = 0; i < spec->n_metrics; i++)
        if (parse_metric_spec(r, json_array_get(ms, i), &m[i]))
            return -1;
    if (spec->n_metrics == 0) {
        /* What the API server's defaulting stores for an HPA without metrics. */
        hpa_metric_spec_default(&m[0]);
        spec->n_metrics = 1;
    }
    spec->metrics = m;
    json_t *beh = json_object_get(sp, "behavior");
    if (beh && !json_is_null(beh)) {
        spec->has_behavior = true;
        if (keys(r, beh, "behavior", k_beh))
            return -1;
        json_t *u = json_object_get(beh, "scaleUp"), *d = json_object_get(beh, "scaleDown");
        if (u && !json_is_null(u)) {
            spec->behavior.has_up = true;
            if (parse_behavior_rules(r, u, &spec->behavior.up))
                return -1;
        }
        if (d && !json_is_null(d)) {
            spec->behavior.has_down = true;
            if (parse_behavior_rules(r, d, &spec->behavior.down))
                return -1;
        }
    }
    json_t *st = json_object_get(j, "status");
    if (keys(r, st, "status", k_status) ||
        get_i32(r, st, "desiredReplicas", &in->status_desired_replicas))
        return -1;
    json_t *conds = json_object_get(st, "conditions");
    if (conds) {
        if (!json_is_array(conds))
            return bad(r, "status.conditions: not an array");
        size_t n = json_array_size(conds);
        if (n > HPA_MAX_CONDITIONS - 4)
            return bad(r, "too many input conditions");
        struct hpa_condition *c = arena_alloc(&r->arena, (n + 1) * sizeof *c);
        if (!c)
            return bad(r, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_t *jc = json_array_get(conds, i);
            const char *type, *status, *reason = "";
            if (keys(r, jc, "condition", k_cond) || get_str(r, jc, "type", &type) ||
                get_str(r, jc, "status", &status) || parse_cond_status(r, status, &c[i].status))
                return -1;
            if (json_object_get(jc, "reason") && get_str(r, jc, "reason", &reason))
                return -1;
            c[i].type = hpa_cond_type_from_name(type);
            c[i].reason = hpa_reason_from_name(reason);
            c[i].arg = -1;
            c[i].tag = (int32_t)*n_others;
            others[(*n_others)++] = (struct other_cond){type, reason};
        }
        in->conditions = c;
        in->n_conditions = n;
    }
    return 0;
}

static int run_reconcile(struct run *r, struct vec_ctx *ctx, const char *id, json_t *jin,
                         json_t *exp)
{
    static const char *const k_in[] = {"feature_gates",
                                       "controller",
                                       "hpa",
                                       "scale",
                                       "pods",
                                       "resource_metrics",
                                       "pod_custom_metrics",
                                       "object_metric_milli",
                                       "external_metric_values_milli",
                                       "recommendations",
                                       "other_hpa_selectors",
                                       "metrics_api_errors",
                                       "scale_get_error",
                                       "scale_update_error",
                                       NULL};
    static const char *const k_exp[] = {"desired_replicas",
                                        "scale_updated",
                                        "conditions",
                                        "status_cpu_average_utilization",
                                        "event",
                                        NULL};
    static const char *const k_gates[] = {"HPAScaleToZero", "HPAConfigurableTolerance",
                                          "PodLevelResources", NULL};
    static const char *const k_ctrl[] = {"tolerance",
                                         "cpu_initialization_period_s",
                                         "initial_readiness_delay_s",
                                         "downscale_stabilization_window_s",
                                         "scale_up_limit_factor",
                                         "scale_up_limit_minimum",
                                         NULL};
    static const char *const k_scale[] = {"spec_replicas", "status_replicas", "selector", NULL};
    static const char *const k_err[] = {"resource", "custom", "external", NULL};
    static const char *const k_other[] = {"hpa", "match_labels", NULL};
    static const char *const k_cond[] = {"type", "status", "reason", NULL};
    static const char *const k_event[] = {"type", "reason", "message", NULL};
    if (keys(r, jin, "input", k_in) || keys(r, exp, "expected", k_exp))
        return -1;

    struct hpa_config cfg;
    hpa_config_default(&cfg);
    json_t *g = json_object_get(jin, "feature_gates");
    if (keys(r, g, "feature_gates", k_gates))
        return -1;
    if (json_object_get(g, "HPAScaleToZero") &&
        get_bool(r, g, "HPAScaleToZero", &cfg.gate_scale_to_zero))
        return -1;
    if (json_object_get(g, "HPAConfigurableTolerance") &&
        get_bool(r, g, "HPAConfigurableTolerance", &cfg.gate_configurable_tolerance))
        return -1;
    if (json_object_get(g, "PodLevelResources") &&
        get_bool(r, g, "PodLevelResources", &cfg.gate_pod_level_resources))
        return -1;
    json_t *cj = json_object_get(jin, "controller");
    if (keys(r, cj, "controller", k_ctrl) || get_num(r, cj, "tolerance", &cfg.tolerance) ||
        parse_duration_ms(r, cj, "cpu_initialization_period_s",
                          &cfg.cpu_initialization_period_ms) ||
        parse_duration_ms(r, cj, "initial_readiness_delay_s", &cfg.initial_readiness_delay_ms) ||
        parse_duration_ms(r, cj, "downscale_stabilization_window_s",
                          &cfg.downscale_stabilization_ms) ||
        get_num(r, cj, "scale_up_limit_factor", &cfg.scale_up_limit_factor) ||
        get_num(r, cj, "scale_up_limit_minimum", &cfg.scale_up_limit_minimum))
        return -1;

    struct hpa_spec spec = {0};
    struct hpa_input in = {0};
    struct other_cond others[HPA_MAX_CONDITIONS];
    size_t n_others = 0;
    if (parse_hpa(r, json_object_get(jin, "hpa"), &spec, &in, others, &n_others))
        return -1;

    json_t *sj = json_object_get(jin, "scale");
    const char *selector;
    if (keys(r, sj, "scale", k_scale) || get_i32(r, sj, "spec_replicas", &in.spec_replicas) ||
        get_i32(r, sj, "status_replicas", &in.status_replicas) ||
        get_str(r, sj, "selector", &selector))
        return -1;
    in.scale_ok = true;
    json_t *sge = json_object_get(jin, "scale_get_error");
    if (sge) {
        if (!json_is_boolean(sge))
            return bad(r, "scale_get_error: not a boolean");
        in.scale_ok = !json_is_true(sge);
    }
    int put_err = 0;
    json_t *sue = json_object_get(jin, "scale_update_error");
    if (sue) {
        const char *s = json_string_value(sue);
        if (!s)
            return bad(r, "scale_update_error: not a string");
        if (strcmp(s, "always") == 0)
            put_err = PS_EUNAVAIL;
        else if (strcmp(s, "conflict_once") == 0)
            put_err = 0; /* the controller retries the 409 and the retry succeeds */
        else
            return bad(r, "unknown scale_update_error '%s'", s);
    }

    /* The pod lister: all pods in the namespace matching the scale's selector. */
    struct pods all = {0}, pods = {0};
    if (parse_pods(r, json_object_get(jin, "pods"), &all))
        return -1;
    struct selector sel;
    pods = all;
    in.selector = HPA_SELECTOR_OK;
    if (selector[0] == '\0') {
        in.selector = HPA_SELECTOR_MISSING;
    } else if (selector_parse(selector, &sel) != 0) {
        in.selector = HPA_SELECTOR_INVALID;
    } else {
        pods.pods = arena_alloc(&r->arena, (all.n + 1) * sizeof *pods.pods);
        pods.labels = arena_alloc(&r->arena, (all.n + 1) * sizeof *pods.labels);
        if (!pods.pods || !pods.labels)
            return bad(r, "out of memory");
        pods.n = 0;
        for (size_t i = 0; i < all.n; i++) {
            if (selector_matches(&sel, all.labels[i])) {
                pods.pods[pods.n] = all.pods[i];
                pods.labels[pods.n++] = all.labels[i];
            }
        }
        json_t *oh = json_object_get(jin, "other_hpa_selectors");
        if (oh) {
            if (!json_is_array(oh))
                return bad(r, "other_hpa_selectors: not an array");
            for (size_t k = 0; k < json_array_size(oh); k++) {
                json_t *o = json_array_get(oh, k);
                const char *name;
                json_t *ml = json_object_get(o, "match_labels");
                if (keys(r, o, "other_hpa_selectors[]", k_other) || get_str(r, o, "hpa", &name) ||
                    !json_is_object(ml))
                    return bad(r, "other_hpa_selectors[]: needs hpa and match_labels");
                for (size_t i = 0; i < pods.n; i++)
                    if (match_labels(ml, pods.labels[i]))
                        in.selector = HPA_SELECTOR_AMBIGUOUS;
            }
        }
    }
    in.pods = pods.pods;
    in.n_pods = pods.n;

    /* The metrics APIs. */
    json_t *errs = json_object_get(jin, "metrics_api_errors");
    bool err_res = false, err_custom = false, err_ext = false;
    if (errs) {
        if (keys(r, errs, "metrics_api_errors", k_err))
            return -1;
        if ((json_object_get(errs, "resource") && get_bool(r, errs, "resource", &err_res)) ||
            (json_object_get(errs, "custom") && get_bool(r, errs, "custom", &err_custom)) ||
            (json_object_get(errs, "external") && get_bool(r, errs, "external", &err_ext)))
            return -1;
    }
    struct hpa_metric_input *mi = arena_alloc(&r->arena, (spec.n_metrics + 1) * sizeof *mi);
    if (!mi)
        return bad(r, "out of memory");
    json_t *om = json_object_get(jin, "object_metric_milli");
    for (size_t i = 0; i < spec.n_metrics; i++) {
        const struct hpa_metric_spec *m = &spec.metrics[i];
        switch (m->type) {
        case HPA_METRIC_RESOURCE:
        case HPA_METRIC_CONTAINER_RESOURCE:
            if (resource_input(r, json_object_get(jin, "resource_metrics"), &pods, m->resource,
                               m->type == HPA_METRIC_CONTAINER_RESOURCE ? m->container : NULL,
                               &mi[i]))
                return -1;
            if (err_res)
                mi[i].fetch = HPA_FETCH_ERROR;
            break;
        case HPA_METRIC_PODS:
            if (custom_input(r, json_object_get(jin, "pod_custom_metrics"), &pods, m->name, &mi[i]))
                return -1;
            if (err_custom)
                mi[i].fetch = HPA_FETCH_ERROR;
            break;
        case HPA_METRIC_OBJECT:
            if (json_is_integer(om)) {
                mi[i].object_value_milli = json_integer_value(om);
                mi[i].fetch = HPA_FETCH_OK;
            } else if (om && !json_is_null(om)) {
                return bad(r, "object_metric_milli: not an integer or null");
            } else {
                mi[i].fetch = HPA_FETCH_EMPTY;
            }
            if (err_custom)
                mi[i].fetch = HPA_FETCH_ERROR;
            break;
        case HPA_METRIC_EXTERNAL:
            if (external_input(r, json_object_get(jin, "external_metric_values_milli"), &mi[i]))
                return -1;
            if (err_ext)
                mi[i].fetch = HPA_FETCH_ERROR;
            break;
        case HPA_METRIC_UNKNOWN:
        default:
            break;
        }
    }
    in.metrics = mi;

    static struct hpa_state st;
    hpa_state_init(&st);
    json_t *recs = json_object_get(jin, "recommendations");
    if (!recs)
        return bad(r, "recommendations missing");
    if (!json_is_null(recs)) {
        st.seeded = true;
        if (parse_recs(r, recs, &st.recs))
            return -1;
    }

    static struct hpa_decision d;
    int rc = hpa_reconcile(&cfg, &spec, &in, &st, NOW_MS, &d);
    if (rc != 0) {
        vec_fail(ctx, id, "hpa_reconcile rejected the input: %s", hpa_strerror(rc));
        return 0;
    }
    if (d.rescale && hpa_commit(&cfg, &spec, &st, &d, put_err, NOW_MS) != 0) {
        vec_fail(ctx, id, "hpa_commit failed");
        return 0;
    }

    bool failed = false;
    if (cmp_i64(ctx, id, exp, "desired_replicas", d.status_desired_replicas, &failed))
        return 0;
    json_t *su = json_object_get(exp, "scale_updated");
    if (su) {
        bool updated = d.outcome == HPA_OUT_RESCALED;
        if (!json_is_boolean(su) || json_is_true(su) != updated) {
            vec_fail(ctx, id, "scale_updated: expected %s, got %s",
                     json_is_true(su) ? "true" : "false", updated ? "true" : "false");
            return 0;
        }
    }
    json_t *ec = json_object_get(exp, "conditions");
    if (json_is_array(ec)) {
        char got_s[512] = "";
        for (size_t i = 0; i < d.n_conditions; i++) {
            const struct hpa_condition *c = &d.conditions[i];
            const char *type =
                c->type == HPA_COND_OTHER ? others[c->tag].type : hpa_cond_type_name(c->type);
            const char *reason =
                c->reason == HPA_REASON_OTHER ? others[c->tag].reason : hpa_reason_name(c->reason);
            size_t l = strlen(got_s);
            snprintf(got_s + l, sizeof got_s - l, "%s%s/%s/%s", i ? ", " : "", type,
                     c->status == HPA_CS_TRUE    ? "True"
                     : c->status == HPA_CS_FALSE ? "False"
                                                 : "Unknown",
                     reason);
        }
        char exp_s[512] = "";
        for (size_t i = 0; i < json_array_size(ec); i++) {
            json_t *e = json_array_get(ec, i);
            if (keys(r, e, "expected condition", k_cond))
                return -1;
            size_t l = strlen(exp_s);
            snprintf(exp_s + l, sizeof exp_s - l, "%s%s/%s/%s", i ? ", " : "",
                     json_string_value(json_object_get(e, "type")),
                     json_string_value(json_object_get(e, "status")),
                     json_string_value(json_object_get(e, "reason")));
        }
        if (strcmp(exp_s, got_s) != 0) {
            vec_fail(ctx, id, "conditions: expected [%s], got [%s]", exp_s, got_s);
            return 0;
        }
    } else if (ec && !json_is_null(ec)) {
        return bad(r, "expected.conditions: not a list or null");
    }
    json_t *cpu = json_object_get(exp, "status_cpu_average_utilization");
    if (cpu) {
        bool found = false;
        for (size_t i = 0; i < spec.n_metrics && !found; i++) {
            if (spec.metrics[i].type == HPA_METRIC_RESOURCE &&
                spec.metrics[i].resource == HPA_RES_CPU && d.status_metrics_valid &&
                d.metrics[i].err == 0 && d.metrics[i].has_utilization) {
                found = true;
                if (cmp_i64(ctx, id, exp, "status_cpu_average_utilization",
                            d.metrics[i].utilization, &failed))
                    return 0;
            }
        }
        if (!found) {
            vec_fail(ctx, id, "status_cpu_average_utilization: no cpu utilization in status");
            return 0;
        }
    }
    json_t *ev = json_object_get(exp, "event");
    if (ev) {
        if (keys(r, ev, "event", k_event))
            return -1;
        const char *type = "", *reason = "";
        char msg[512] = "";
        if (d.events & HPA_EV_SUCCESSFUL_RESCALE) {
            type = "Normal";
            reason = "SuccessfulRescale";
            hpa_rescale_message(&spec, &d, msg, sizeof msg);
        } else if (d.events & HPA_EV_FAILED_RESCALE) {
            type = "Warning";
            reason = "FailedRescale";
            hpa_rescale_message(&spec, &d, msg, sizeof msg);
        } else if (d.events & HPA_EV_FAILED_GET_SCALE) {
            type = "Warning";
            reason = "FailedGetScale";
        } else if (d.events & HPA_EV_FAILED_COMPUTE_METRICS) {
            type = "Warning";
            reason = "FailedComputeMetricsReplicas";
        }
        if (cmp_str(ctx, id, ev, "type", type, &failed) ||
            cmp_str(ctx, id, ev, "reason", reason, &failed) ||
            cmp_str(ctx, id, ev, "message", msg, &failed))
            return 0;
    }
    vec_pass(ctx);
    return 0;
}

/* ------------------------------------------------------------------------------------- */

int vectors_run_hpa(json_t *root, struct vec_ctx *ctx)
{
    static const char *const k_doc[] = {"schema", "description", "source", "conventions",
                                        "counts", "vectors",     NULL};
    static const char *const k_vec[] = {
        "name", "category", "source_test_file", "input", "expected", "notes", NULL};
    const char *schema = json_string_value(json_object_get(root, "schema"));
    json_t *vectors = json_object_get(root, "vectors");
    if (!schema || strcmp(schema, "hpa-test-vectors/1") != 0 || !json_is_array(vectors))
        return -1;
    const char *unknown = NULL;
    if (!vec_keys_known(root, k_doc, &unknown)) {
        vec_fail(ctx, "(document)", "unknown top-level field '%s'", unknown);
        return 0;
    }
    /* The counts block must describe the file: a truncated file is a failure. */
    json_t *counts = json_object_get(root, "counts");
    json_t *total = json_object_get(counts, "total");
    if (counts &&
        (!json_is_integer(total) || (size_t)json_integer_value(total) != json_array_size(vectors)))
        vec_fail(ctx, "(document)", "counts.total says %lld, the file has %zu vectors",
                 json_is_integer(total) ? (long long)json_integer_value(total) : -1LL,
                 json_array_size(vectors));

    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct run r = {0};
        const char *id = json_string_value(json_object_get(v, "name"));
        const char *cat = json_string_value(json_object_get(v, "category"));
        json_t *in = json_object_get(v, "input");
        json_t *exp = json_object_get(v, "expected");
        int rc;
        if (!vec_keys_known(v, k_vec, &unknown)) {
            bad(&r, "unknown vector field '%s'", unknown);
            rc = -1;
        } else if (!id || !cat || !json_is_object(in) || !json_is_object(exp)) {
            bad(&r, "vector lacks name, category, input or expected");
            rc = -1;
        } else if (strcmp(cat, "replica_calc") == 0) {
            rc = run_replica_calc(&r, ctx, id, in, exp);
        } else if (strcmp(cat, "group_pods") == 0) {
            rc = run_group_pods(&r, ctx, id, in, exp);
        } else if (strcmp(cat, "calculate_requests") == 0) {
            rc = run_calculate_requests(&r, ctx, id, in, exp);
        } else if (strcmp(cat, "scaling_rules") == 0) {
            rc = run_scaling_rules(&r, ctx, id, in, exp);
        } else if (strcmp(cat, "scale_limit_up") == 0) {
            rc = run_scale_limit(&r, ctx, id, in, exp, true);
        } else if (strcmp(cat, "scale_limit_down") == 0) {
            rc = run_scale_limit(&r, ctx, id, in, exp, false);
        } else if (strcmp(cat, "stabilize_behavior") == 0) {
            rc = run_stabilize_behavior(&r, ctx, id, in, exp);
        } else if (strcmp(cat, "stabilize_legacy") == 0) {
            rc = run_stabilize_legacy(&r, ctx, id, in, exp);
        } else if (strcmp(cat, "convert_legacy") == 0) {
            rc = run_convert_legacy(&r, ctx, id, in, exp);
        } else if (strcmp(cat, "store_scale_event") == 0) {
            rc = run_store_scale_event(&r, ctx, id, in, exp);
        } else if (strcmp(cat, "reconcile") == 0) {
            rc = run_reconcile(&r, ctx, id, in, exp);
        } else {
            bad(&r, "unknown category '%s'", cat);
            rc = -1;
        }
        if (rc != 0)
            vec_fail(ctx, id, "malformed vector: %s", r.err);
        arena_free(&r.arena);
    }
    return 0;
}
