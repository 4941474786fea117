/*
 * vectors_vpa.c - runs ../shared/vectors/vpa.json (schema: spec/vpa.md section 0)
 * through the vertical core. Every op and field is interpreted generically; an
 * unknown op or field fails the vector.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/quantity.h"
#include "podscaler/vpa.h"
#include "podscaler/vpa_libc.h"
#include "podscaler/vpa_update.h"
#include "vectors.h"

#define MAXN 64

struct vc {
    const char *id;
    char err[768];
    int has_rel, has_abs;
    double rel, abs;
    int64_t t0_ms;
};

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(x->err, sizeof x->err, __VA_ARGS__);                                              \
        return -1;                                                                                 \
    } while (0)
#define TRY(e)                                                                                     \
    do {                                                                                           \
        if ((e) < 0)                                                                               \
            return -1;                                                                             \
    } while (0)

/* ---- JSON helpers ------------------------------------------------------ */

static int keys(struct vc *x, json_t *o, const char *where, ...)
{
    const char *allowed[40];
    int n = 0;
    va_list ap;
    va_start(ap, where);
    for (const char *k; (k = va_arg(ap, const char *)) && n < 39;)
        allowed[n++] = k;
    va_end(ap);
    allowed[n] = NULL;
    const char *unknown = NULL;
    if (o && !json_is_object(o) && !json_is_null(o))
        FAIL("%s: not an object", where);
    if (!vec_keys_known(o, allowed, &unknown))
        FAIL("%s: unknown field '%s'", where, unknown);
    return 0;
}

static int num(struct vc *x, json_t *o, const char *k, double *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        FAIL("field '%s' missing or not a number", k);
    *out = json_number_value(v);
    return 0;
}

static int inum(struct vc *x, json_t *o, const char *k, int64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
        fabs(json_real_value(v)) < 9.2e18) {
        *out = (int64_t)json_real_value(v);
        return 0;
    }
    FAIL("field '%s' missing or not an integer", k);
}

static int boolean(struct vc *x, json_t *o, const char *k, int *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_boolean(v))
        FAIL("field '%s' missing or not a boolean", k);
    *out = json_is_true(v);
    return 0;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* RFC 3339 UTC ("2017-04-18T17:35:05Z", optional fraction) to Unix ms. */
static int parse_time(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, se, n = 0;
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6)
        return -1;
    const char *p = s + n;
    int64_t frac = 0, scale = 1000;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
            p++;
        }
    }
    if (strcmp(p, "Z") != 0)
        return -1;
    /* days from civil (proleptic Gregorian) */
    int64_t yy = y - (mo <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000 + frac;
    return 0;
}

static int time_field(struct vc *x, json_t *o, const char *k, int64_t *ms)
{
    json_t *v = json_object_get(o, k);
    if (json_is_null(v)) {
        *ms = VPA_TIME_ZERO_MS;
        return 0;
    }
    if (parse_time(json_string_value(v), ms) < 0)
        FAIL("field '%s' is not an RFC 3339 time", k);
    return 0;
}

/* A relative time "t" (seconds from t0) to Unix ms. */
static int rel_time(struct vc *x, json_t *o, const char *k, int64_t *ms)
{
    double t;
    TRY(num(x, o, k, &t));
    *ms = x->t0_ms + (int64_t)llround(t * 1000.0);
    return 0;
}

static int close_enough(struct vc *x, double got, double exp)
{
    if (got == exp)
        return 1;
    if (x->has_rel)
        return fabs(got - exp) <= x->rel * fabs(exp);
    if (x->has_abs)
        return fabs(got - exp) <= x->abs;
    return 0;
}

static int res_index(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "cpu") == 0)
        return VPA_CPU;
    if (strcmp(name, "memory") == 0)
        return VPA_MEMORY;
    return -1;
}

/* {"cpu": m, "memory": b} | null */
static int resources(struct vc *x, json_t *o, struct vpa_resources *r)
{
    memset(r, 0, sizeof *r);
    if (!o || json_is_null(o))
        return 0;
    TRY(keys(x, o, "resource list", "cpu", "memory", NULL));
    r->set = VPA_RES_LIST;
    for (int k = 0; k < 2; k++) {
        const char *name = k ? "memory" : "cpu";
        if (json_object_get(o, name)) {
            int64_t v;
            TRY(inum(x, o, name, &v));
            vpa_res_put(r, k, v);
        }
    }
    return 0;
}

static unsigned resource_mask(struct vc *x, json_t *a, int *ok)
{
    unsigned m = 0;
    size_t i;
    json_t *e;
    *ok = 1;
    json_array_foreach(a, i, e)
    {
        int k = res_index(json_string_value(e));
        if (k < 0) {
            snprintf(x->err, sizeof x->err, "unknown resource in list");
            *ok = 0;
        } else {
            m |= 1u << k;
        }
    }
    return m;
}

static int res_equal(const struct vpa_resources *a, const struct vpa_resources *b)
{
    if ((a->set & 3) != (b->set & 3))
        return 0;
    for (int k = 0; k < 2; k++)
        if (vpa_res_has(a, k) && a->v[k] != b->v[k])
            return 0;
    return 1;
}

static void res_text(const struct vpa_resources *r, char *buf, size_t cap)
{
    if (!(r->set & VPA_RES_LIST)) {
        snprintf(buf, cap, "null");
        return;
    }
    char c[32] = "", m[40] = "";
    if (vpa_res_has(r, VPA_CPU))
        snprintf(c, sizeof c, "cpu:%lld", (long long)r->v[0]);
    if (vpa_res_has(r, VPA_MEMORY))
        snprintf(m, sizeof m, "%smemory:%lld", c[0] ? " " : "", (long long)r->v[1]);
    snprintf(buf, cap, "{%s%s}", c, m);
}

/* Recommendation list: entries written to items (cap MAXN); *present 0 for null. */
static int recommendation(struct vc *x, json_t *a, struct vpa_rec *items, size_t *n, int *present)
{
    size_t i;
    json_t *e;
    *n = 0;
    *present = a && !json_is_null(a);
    if (!*present)
        return 0;
    if (!json_is_array(a))
        FAIL("recommendation is not a list");
    json_array_foreach(a, i, e)
    {
        if (i >= MAXN)
            FAIL("too many recommendation entries");
        TRY(keys(x, e, "recommendation entry", "container_name", "target", "lower_bound",
                 "upper_bound", "uncapped_target", NULL));
        memset(&items[i], 0, sizeof items[i]);
        items[i].name = str(e, "container_name");
        if (!items[i].name)
            FAIL("recommendation entry without container_name");
        TRY(resources(x, json_object_get(e, "target"), &items[i].target));
        TRY(resources(x, json_object_get(e, "lower_bound"), &items[i].lower));
        TRY(resources(x, json_object_get(e, "upper_bound"), &items[i].upper));
        TRY(resources(x, json_object_get(e, "uncapped_target"), &items[i].uncapped));
        *n = i + 1;
    }
    return 0;
}

static int rec_compare(struct vc *x, const struct vpa_rec *got, size_t ngot, json_t *exp,
                       int fields_in_expected_only)
{
    struct vpa_rec want[MAXN];
    size_t n;
    int present;
    TRY(recommendation(x, exp, want, &n, &present));
    if (n != ngot)
        FAIL("expected %zu recommendation entries, got %zu", n, ngot);
    for (size_t i = 0; i < n; i++) {
        char a[96], b[96];
        if (strcmp(want[i].name, got[i].name) != 0)
            FAIL("entry %zu: expected container %s, got %s", i, want[i].name, got[i].name);
        json_t *e = json_array_get(exp, i);
        const struct vpa_resources *gw[4] = {&got[i].target, &got[i].lower, &got[i].upper,
                                             &got[i].uncapped};
        const struct vpa_resources *ww[4] = {&want[i].target, &want[i].lower, &want[i].upper,
                                             &want[i].uncapped};
        static const char *const names[4] = {"target", "lower_bound", "upper_bound",
                                             "uncapped_target"};
        for (int f = 0; f < 4; f++) {
            if (fields_in_expected_only && !json_object_get(e, names[f]))
                continue;
            if (!res_equal(gw[f], ww[f])) {
                res_text(ww[f], a, sizeof a);
                res_text(gw[f], b, sizeof b);
                FAIL("%s %s: expected %s, got %s", got[i].name, names[f], a, b);
            }
        }
    }
    return 0;
}

/* Pod: {"containers": [...], "container_statuses"?: [...], "annotations"?: {...}} */
struct pod_buf {
    struct vpa_pod pod;
    struct vpa_pod_container c[MAXN];
};

static int pod_parse(struct vc *x, json_t *o, struct pod_buf *pb)
{
    size_t i;
    json_t *e;
    memset(pb, 0, sizeof *pb);
    pb->pod.containers = pb->c;
    TRY(keys(x, o, "pod", "containers", "container_statuses", "annotations", NULL));
    json_array_foreach(json_object_get(o, "containers"), i, e)
    {
        if (i >= MAXN)
            FAIL("too many containers");
        TRY(keys(x, e, "container", "name", "requests", "limits", NULL));
        pb->c[i].name = str(e, "name");
        if (!pb->c[i].name)
            FAIL("container without name");
        TRY(resources(x, json_object_get(e, "requests"), &pb->c[i].requests));
        TRY(resources(x, json_object_get(e, "limits"), &pb->c[i].limits));
        pb->pod.n = i + 1;
    }
    json_array_foreach(json_object_get(o, "container_statuses"), i, e)
    {
        TRY(keys(x, e, "container status", "name", "requests", "limits", NULL));
        for (size_t k = 0; k < pb->pod.n; k++) {
            if (str(e, "name") && strcmp(pb->c[k].name, str(e, "name")) == 0) {
                pb->c[k].has_status = 1;
                TRY(resources(x, json_object_get(e, "requests"), &pb->c[k].status_requests));
                TRY(resources(x, json_object_get(e, "limits"), &pb->c[k].status_limits));
            }
        }
    }
    json_t *ann = json_object_get(o, "annotations");
    TRY(keys(x, ann, "annotations", "vpaObservedContainers", NULL));
    pb->pod.observed_containers = str(ann, "vpaObservedContainers");
    return 0;
}

struct policy_buf {
    struct vpa_resource_policy p;
    struct vpa_container_policy c[MAXN];
    int present;
};

static int mode_of(const char *s, int *mode)
{
    if (s && strcmp(s, "Auto") == 0)
        *mode = VPA_SCALING_AUTO;
    else if (s && strcmp(s, "Off") == 0)
        *mode = VPA_SCALING_OFF;
    else
        return -1;
    return 0;
}

static int container_policy(struct vc *x, json_t *e, struct vpa_container_policy *cp)
{
    memset(cp, 0, sizeof *cp);
    TRY(keys(x, e, "container policy", "container_name", "mode", "min_allowed", "max_allowed",
             "controlled_values", "controlled_resources", "memory_aggregation_interval_seconds",
             "memory_aggregation_interval_count", "oom_bump_up_ratio", "oom_min_bump_up", NULL));
    cp->name = str(e, "container_name");
    if (json_object_get(e, "mode")) {
        cp->has_mode = 1;
        if (mode_of(str(e, "mode"), &cp->mode) < 0)
            FAIL("unknown mode");
    }
    TRY(resources(x, json_object_get(e, "min_allowed"), &cp->min_allowed));
    TRY(resources(x, json_object_get(e, "max_allowed"), &cp->max_allowed));
    const char *cv = str(e, "controlled_values");
    if (cv) {
        cp->has_controlled_values = 1;
        if (strcmp(cv, "RequestsAndLimits") == 0)
            cp->controlled_values = VPA_CV_REQUESTS_AND_LIMITS;
        else if (strcmp(cv, "RequestsOnly") == 0)
            cp->controlled_values = VPA_CV_REQUESTS_ONLY;
        else
            FAIL("unknown controlled_values %s", cv);
    }
    json_t *cr = json_object_get(e, "controlled_resources");
    if (cr && !json_is_null(cr)) {
        int ok;
        cp->has_controlled_resources = 1;
        cp->controlled_resources = resource_mask(x, cr, &ok);
        if (!ok)
            return -1;
    }
    int64_t v;
    double d;
    if (json_object_get(e, "memory_aggregation_interval_seconds")) {
        TRY(inum(x, e, "memory_aggregation_interval_seconds", &v));
        cp->per_vpa.has_interval = 1;
        cp->per_vpa.mem_interval_ms = v * 1000;
    }
    if (json_object_get(e, "memory_aggregation_interval_count")) {
        TRY(inum(x, e, "memory_aggregation_interval_count", &v));
        cp->per_vpa.has_count = 1;
        cp->per_vpa.mem_interval_count = (int32_t)v;
    }
    if (json_object_get(e, "oom_bump_up_ratio")) {
        TRY(num(x, e, "oom_bump_up_ratio", &d));
        cp->per_vpa.has_oom_ratio = 1;
        cp->per_vpa.oom_bump_ratio = d;
    }
    if (json_object_get(e, "oom_min_bump_up")) {
        TRY(num(x, e, "oom_min_bump_up", &d));
        cp->per_vpa.has_oom_min = 1;
        cp->per_vpa.oom_min_bump_bytes = d;
    }
    return 0;
}

static int policy_parse(struct vc *x, json_t *o, struct policy_buf *pb)
{
    size_t i;
    json_t *e;
    memset(pb, 0, sizeof *pb);
    if (!o || json_is_null(o))
        return 0;
    pb->present = 1;
    pb->p.items = pb->c;
    TRY(keys(x, o, "resource_policy", "container_policies", NULL));
    json_array_foreach(json_object_get(o, "container_policies"), i, e)
    {
        if (i >= MAXN)
            FAIL("too many policies");
        TRY(container_policy(x, e, &pb->c[i]));
        pb->p.n = i + 1;
    }
    return 0;
}

/* LimitRange item {type?, min?, max?, default?} | null (*present 0). */
static int limit_item(struct vc *x, json_t *o, struct vpa_limit_item *it, int *present)
{
    memset(it, 0, sizeof *it);
    *present = o && !json_is_null(o);
    if (!*present)
        return 0;
    TRY(keys(x, o, "limit range item", "type", "min", "max", "default", NULL));
    TRY(resources(x, json_object_get(o, "min"), &it->min));
    TRY(resources(x, json_object_get(o, "max"), &it->max));
    TRY(resources(x, json_object_get(o, "default"), &it->def));
    return 0;
}

/* ---- histogram options ------------------------------------------------------ */

static int options(struct vc *x, json_t *o, struct vpa_hist_opts *opt)
{
    const char *type = str(o, "type");
    double max, eps, a, r;
    if (!type)
        FAIL("options without type");
    if (strcmp(type, "linear") == 0) {
        TRY(keys(x, o, "options", "type", "max_value", "bucket_size", "epsilon", NULL));
        TRY(num(x, o, "max_value", &max));
        TRY(num(x, o, "bucket_size", &a));
        TRY(num(x, o, "epsilon", &eps));
        if (vpa_hist_opts_linear(opt, max, a, eps, &vpa_libc_allocator))
            FAIL("linear options rejected");
    } else if (strcmp(type, "exponential") == 0) {
        TRY(keys(x, o, "options", "type", "max_value", "first_bucket_size", "ratio", "epsilon",
                 NULL));
        TRY(num(x, o, "max_value", &max));
        TRY(num(x, o, "first_bucket_size", &a));
        TRY(num(x, o, "ratio", &r));
        TRY(num(x, o, "epsilon", &eps));
        if (vpa_hist_opts_exponential(opt, max, a, r, eps, &vpa_libc_allocator))
            FAIL("exponential options rejected");
    } else {
        FAIL("unknown options type %s", type);
    }
    return 0;
}

static int op_histogram_options(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_hist_opts o;
    size_t i;
    json_t *e;
    double d;
    int64_t n;
    TRY(keys(x, in, "input", "options", NULL));
    TRY(keys(x, ex, "expected", "epsilon", "num_buckets", "bucket_start", "find_bucket", NULL));
    TRY(options(x, json_object_get(in, "options"), &o));
    if (json_object_get(ex, "epsilon")) {
        TRY(num(x, ex, "epsilon", &d));
        if (o.epsilon != d)
            FAIL("epsilon: expected %.17g, got %.17g", d, o.epsilon);
    }
    if (json_object_get(ex, "num_buckets")) {
        TRY(inum(x, ex, "num_buckets", &n));
        if (o.num_buckets != n)
            FAIL("num_buckets: expected %lld, got %d", (long long)n, o.num_buckets);
    }
    json_array_foreach(json_object_get(ex, "bucket_start"), i, e)
    {
        int b = (int)json_integer_value(json_array_get(e, 0));
        double want = json_number_value(json_array_get(e, 1));
        if (b < 0 || b >= o.num_buckets)
            FAIL("bucket_start index %d out of range", b);
        double got = vpa_hist_opts_bucket_start(&o, b);
        if (got != want)
            FAIL("bucket_start(%d): expected %.17g, got %.17g", b, want, got);
    }
    json_array_foreach(json_object_get(ex, "find_bucket"), i, e)
    {
        double v = json_number_value(json_array_get(e, 0));
        int want = (int)json_integer_value(json_array_get(e, 1));
        int got = vpa_hist_opts_find_bucket(&o, v);
        if (got != want)
            FAIL("find_bucket(%.17g): expected %d, got %d", v, want, got);
    }
    return 0;
}

/* ---- histogram scripts ---------------------------------------------------- */

#define MAXH 8
struct hscript {
    int n;
    const char *name[MAXH];
    struct vpa_hist h[MAXH];
    struct vpa_hist_opts opts[MAXH];
    json_t *opts_json[MAXH];
    int ncp;
    const char *cp_name[MAXH];
    int cp_from[MAXH];
    struct vpa_hist_checkpoint *cp[MAXH];
};

static int hfind(struct vc *x, struct hscript *s, json_t *step, const char *k)
{
    const char *name = str(step, k);
    if (!name && strcmp(k, "h") == 0)
        name = "h";
    for (int i = 0; name && i < s->n; i++)
        if (strcmp(s->name[i], name) == 0)
            return i;
    FAIL("unknown histogram '%s'", name ? name : "(none)");
}

static int checkpoint_json(struct vc *x, json_t *o, struct vpa_hist_checkpoint *cp)
{
    const char *k;
    json_t *v;
    memset(cp, 0, sizeof *cp);
    cp->ref_ms = VPA_TIME_ZERO_MS;
    TRY(keys(x, o, "checkpoint", "total_weight", "bucket_weights", "reference_time", NULL));
    if (json_object_get(o, "total_weight"))
        TRY(num(x, o, "total_weight", &cp->total_weight));
    if (json_object_get(o, "reference_time"))
        TRY(time_field(x, o, "reference_time", &cp->ref_ms));
    json_object_foreach(json_object_get(o, "bucket_weights"), k, v)
    {
        char *end;
        long b = strtol(k, &end, 10);
        if (*end || cp->n >= VPA_HIST_MAX_BUCKETS)
            FAIL("bad bucket key '%s'", k);
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 4294967295LL)
            FAIL("bucket weight not a uint32");
        cp->b[cp->n].bucket = (int32_t)b;
        cp->b[cp->n].weight = (uint32_t)json_integer_value(v);
        cp->n++;
    }
    return 0;
}

static int script_step(struct vc *x, struct hscript *s, json_t *st)
{
    const char *op = str(st, "op");
    int h, o;
    double v, w, p;
    int64_t t = x->t0_ms;
    if (!op)
        FAIL("step without op");
    if (strcmp(op, "add") == 0 || strcmp(op, "subtract") == 0) {
        TRY(keys(x, st, "step", "op", "h", "value", "weight", "t", NULL));
        TRY(h = hfind(x, s, st, "h"));
        TRY(num(x, st, "value", &v));
        TRY(num(x, st, "weight", &w));
        if (json_object_get(st, "t"))
            TRY(rel_time(x, st, "t", &t));
        int rc =
            op[0] == 'a' ? vpa_hist_add(&s->h[h], v, w, t) : vpa_hist_subtract(&s->h[h], v, w, t);
        if (rc)
            FAIL("%s failed: %s", op, vpa_strerror(rc));
    } else if (strcmp(op, "merge") == 0) {
        TRY(keys(x, st, "step", "op", "h", "other", NULL));
        TRY(h = hfind(x, s, st, "h"));
        TRY(o = hfind(x, s, st, "other"));
        int rc = vpa_hist_merge(&s->h[h], &s->h[o]);
        if (rc)
            FAIL("merge failed: %s", vpa_strerror(rc));
    } else if (strcmp(op, "expect_percentile") == 0) {
        TRY(keys(x, st, "step", "op", "h", "p", "value", NULL));
        TRY(h = hfind(x, s, st, "h"));
        TRY(num(x, st, "p", &p));
        TRY(num(x, st, "value", &v));
        double got = vpa_hist_percentile(&s->h[h], p);
        if (!close_enough(x, got, v))
            FAIL("percentile(%g): expected %.17g, got %.17g", p, v, got);
    } else if (strcmp(op, "expect_empty") == 0) {
        int want;
        TRY(keys(x, st, "step", "op", "h", "value", NULL));
        TRY(h = hfind(x, s, st, "h"));
        TRY(boolean(x, st, "value", &want));
        if (vpa_hist_is_empty(&s->h[h]) != want)
            FAIL("is_empty: expected %d", want);
    } else if (strcmp(op, "expect_equal") == 0) {
        int want;
        TRY(keys(x, st, "step", "op", "h", "other", "value", NULL));
        TRY(h = hfind(x, s, st, "h"));
        TRY(o = hfind(x, s, st, "other"));
        TRY(boolean(x, st, "value", &want));
        if (vpa_hist_equals(&s->h[h], &s->h[o]) != want)
            FAIL("equals: expected %d", want);
    } else if (strcmp(op, "save_checkpoint") == 0) {
        TRY(keys(x, st, "step", "op", "h", "as", NULL));
        TRY(h = hfind(x, s, st, "h"));
        if (s->ncp >= MAXH || !str(st, "as"))
            FAIL("bad save_checkpoint");
        s->cp[s->ncp] = malloc(sizeof *s->cp[0]);
        s->cp_name[s->ncp] = str(st, "as");
        s->cp_from[s->ncp] = h;
        vpa_hist_save(&s->h[h], s->cp[s->ncp]);
        s->ncp++;
    } else if (strcmp(op, "expect_checkpoint") == 0) {
        TRY(keys(x, st, "step", "op", "checkpoint", "total_weight", "bucket_weights",
                 "bucket_weights_nonempty", "total_weight_nonzero",
                 "reference_time_equals_histogram", "reference_time_not_zero", NULL));
        int c = -1, b;
        for (int i = 0; i < s->ncp; i++)
            if (str(st, "checkpoint") && strcmp(s->cp_name[i], str(st, "checkpoint")) == 0)
                c = i;
        if (c < 0)
            FAIL("unknown checkpoint");
        const struct vpa_hist_checkpoint *cp = s->cp[c];
        if (json_object_get(st, "total_weight")) {
            TRY(num(x, st, "total_weight", &w));
            if (cp->total_weight != w)
                FAIL("checkpoint total: expected %.17g, got %.17g", w, cp->total_weight);
        }
        json_t *bw = json_object_get(st, "bucket_weights");
        if (bw) {
            if (json_object_size(bw) != cp->n)
                FAIL("checkpoint: expected %zu buckets, got %u", json_object_size(bw), cp->n);
            for (uint32_t i = 0; i < cp->n; i++) {
                char key[16];
                snprintf(key, sizeof key, "%d", cp->b[i].bucket);
                json_t *e = json_object_get(bw, key);
                if (!e || json_integer_value(e) != cp->b[i].weight)
                    FAIL("checkpoint bucket %s: got %u", key, cp->b[i].weight);
            }
        }
        if (json_object_get(st, "bucket_weights_nonempty")) {
            TRY(boolean(x, st, "bucket_weights_nonempty", &b));
            if ((cp->n > 0) != b)
                FAIL("bucket_weights_nonempty: expected %d", b);
        }
        if (json_object_get(st, "total_weight_nonzero")) {
            TRY(boolean(x, st, "total_weight_nonzero", &b));
            if ((cp->total_weight != 0) != b)
                FAIL("total_weight_nonzero: expected %d", b);
        }
        if (json_object_get(st, "reference_time_equals_histogram")) {
            TRY(boolean(x, st, "reference_time_equals_histogram", &b));
            if ((cp->ref_ms == s->h[s->cp_from[c]].ref_ms) != b)
                FAIL("reference_time_equals_histogram: expected %d", b);
        }
        if (json_object_get(st, "reference_time_not_zero")) {
            TRY(boolean(x, st, "reference_time_not_zero", &b));
            if ((cp->ref_ms != VPA_TIME_ZERO_MS) != b)
                FAIL("reference_time_not_zero: expected %d", b);
        }
    } else if (strcmp(op, "load_checkpoint") == 0) {
        int want_err;
        TRY(keys(x, st, "step", "op", "h", "checkpoint", "from", "expect_error", NULL));
        TRY(h = hfind(x, s, st, "h"));
        TRY(boolean(x, st, "expect_error", &want_err));
        struct vpa_hist_checkpoint *cp = NULL, *own = NULL;
        if (json_object_get(st, "from")) {
            for (int i = 0; i < s->ncp; i++)
                if (str(st, "from") && strcmp(s->cp_name[i], str(st, "from")) == 0)
                    cp = s->cp[i];
            if (!cp)
                FAIL("unknown checkpoint");
        } else {
            json_t *cj = json_object_get(st, "checkpoint");
            if (!cj)
                FAIL("load_checkpoint without checkpoint");
            if (!json_is_null(cj)) {
                own = malloc(sizeof *own);
                if (checkpoint_json(x, cj, own) < 0) {
                    free(own);
                    return -1;
                }
                cp = own;
            }
        }
        struct vpa_hist before;
        vpa_hist_init(&before, s->h[h].opts, s->h[h].half_life_ms);
        vpa_hist_copy(&before, &s->h[h]);
        int rc = vpa_hist_load(&s->h[h], cp);
        free(own);
        int unchanged = vpa_hist_equals(&before, &s->h[h]) && before.total == s->h[h].total;
        vpa_hist_fini(&before);
        if ((rc != 0) != want_err)
            FAIL("load_checkpoint: expected error %d, got %d (%s)", want_err, rc, vpa_strerror(rc));
        if (rc && !unchanged)
            FAIL("load_checkpoint failed but changed the histogram");
    } else if (strcmp(op, "expect_state") == 0) {
        TRY(keys(x, st, "step", "op", "h", "total_weight", "bucket_weights", "reference_time",
                 NULL));
        TRY(h = hfind(x, s, st, "h"));
        const struct vpa_hist *hh = &s->h[h];
        if (json_object_get(st, "total_weight")) {
            TRY(num(x, st, "total_weight", &w));
            if (hh->total != w)
                FAIL("total: expected %.17g, got %.17g", w, hh->total);
        }
        json_t *bw = json_object_get(st, "bucket_weights");
        if (bw) {
            const char *k;
            json_t *e;
            size_t nonzero = 0;
            for (int b = 0; b < hh->opts->num_buckets; b++)
                nonzero += vpa_hist_bucket_weight(hh, b) != 0.0;
            if (nonzero != json_object_size(bw))
                FAIL("expected %zu non-zero buckets, got %zu", json_object_size(bw), nonzero);
            json_object_foreach(bw, k, e)
            {
                double got = vpa_hist_bucket_weight(hh, atoi(k));
                if (got != json_number_value(e))
                    FAIL("bucket %s: expected %.17g, got %.17g", k, json_number_value(e), got);
            }
        }
        if (json_object_get(st, "reference_time")) {
            int64_t r;
            TRY(time_field(x, st, "reference_time", &r));
            if (hh->ref_ms != r)
                FAIL("reference time: expected %lld, got %lld", (long long)r,
                     (long long)hh->ref_ms);
        }
    } else {
        FAIL("unknown step op '%s'", op);
    }
    return 0;
}

static int op_histogram_script(struct vc *x, json_t *in, json_t *ex)
{
    struct hscript s;
    const char *k;
    json_t *v, *st;
    size_t i;
    int rc = 0;
    memset(&s, 0, sizeof s);
    TRY(keys(x, in, "input", "t0", "histograms", "steps", NULL));
    TRY(keys(x, ex, "expected", NULL));
    if (json_object_get(in, "t0"))
        TRY(time_field(x, in, "t0", &x->t0_ms));
    json_object_foreach(json_object_get(in, "histograms"), k, v)
    {
        if (s.n >= MAXH)
            FAIL("too many histograms");
        TRY(keys(x, v, "histogram", "options", "half_life_s", NULL));
        json_t *oj = json_object_get(v, "options");
        int same = -1;
        for (int j = 0; j < s.n && same < 0; j++)
            if (json_equal(s.opts_json[j], oj))
                same = j;
        TRY(options(x, oj, &s.opts[s.n]));
        s.opts_json[s.n] = oj;
        int64_t hl = 0;
        if (json_object_get(v, "half_life_s")) {
            TRY(inum(x, v, "half_life_s", &hl));
            hl *= 1000;
        }
        s.name[s.n] = k;
        /* Equal options share one instance, as the Go tests do. */
        vpa_hist_init(&s.h[s.n], same >= 0 ? &s.opts[same] : &s.opts[s.n], hl);
        s.n++;
    }
    json_array_foreach(json_object_get(in, "steps"), i, st)
    {
        rc = script_step(x, &s, st);
        if (rc < 0)
            break;
    }
    for (int j = 0; j < s.n; j++)
        vpa_hist_fini(&s.h[j]);
    for (int j = 0; j < s.ncp; j++)
        free(s.cp[j]);
    return rc;
}

/* ---- container state -------------------------------------------------- */

static int agg_config(struct vc *x, json_t *c, struct vpa_agg_config *cfg)
{
    int64_t v;
    vpa_agg_config_default(cfg);
    if (json_is_string(c) && strcmp(json_string_value(c), "default") == 0)
        return 0;
    TRY(keys(x, c, "config", "memory_aggregation_interval_s", "memory_aggregation_interval_count",
             "oom_bump_up_ratio", "oom_min_bump_up_bytes", NULL));
    if (json_object_get(c, "memory_aggregation_interval_s")) {
        TRY(inum(x, c, "memory_aggregation_interval_s", &v));
        cfg->mem_interval_ms = v * 1000;
    }
    if (json_object_get(c, "memory_aggregation_interval_count")) {
        TRY(inum(x, c, "memory_aggregation_interval_count", &v));
        cfg->mem_interval_count = (int32_t)v;
    }
    if (json_object_get(c, "oom_bump_up_ratio"))
        TRY(num(x, c, "oom_bump_up_ratio", &cfg->oom_bump_ratio));
    if (json_object_get(c, "oom_min_bump_up_bytes"))
        TRY(num(x, c, "oom_min_bump_up_bytes", &cfg->oom_min_bump_bytes));
    return 0;
}

static int op_container_state(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_agg_config cfg;
    struct vpa_container c;
    struct vpa_hist_op calls[256];
    int ncalls = 0;
    size_t i;
    json_t *st;
    TRY(keys(x, in, "input", "t0", "config", "steps", NULL));
    TRY(keys(x, ex, "expected", "histogram_calls", NULL));
    TRY(time_field(x, in, "t0", &x->t0_ms));
    TRY(agg_config(x, json_object_get(in, "config"), &cfg));
    vpa_container_init(&c);
    json_array_foreach(json_object_get(in, "steps"), i, st)
    {
        const char *op = str(st, "op");
        struct vpa_hist_op ops[2];
        int n = 0, rc;
        int64_t t, usage;
        if (op && strcmp(op, "add_sample") == 0) {
            int want;
            TRY(keys(x, st, "step", "op", "resource", "t", "usage", "expect", NULL));
            TRY(rel_time(x, st, "t", &t));
            TRY(inum(x, st, "usage", &usage));
            TRY(boolean(x, st, "expect", &want));
            int r = res_index(str(st, "resource"));
            if (r < 0)
                FAIL("unknown resource");
            rc = r == VPA_CPU ? vpa_container_plan_cpu(&c, usage, t, ops, &n)
                              : vpa_container_plan_memory(&c, &cfg, usage, t, 0, ops, &n);
            if ((rc == 0) != want)
                FAIL("step %zu: expected accepted=%d, got %d (%s)", i, want, rc == 0,
                     vpa_strerror(rc));
        } else if (op && strcmp(op, "record_oom") == 0) {
            int want_err;
            TRY(keys(x, st, "step", "op", "t", "requested_memory", "expect_error", NULL));
            TRY(rel_time(x, st, "t", &t));
            TRY(inum(x, st, "requested_memory", &usage));
            TRY(boolean(x, st, "expect_error", &want_err));
            rc = vpa_container_plan_oom(&c, &cfg, usage, t, ops, &n);
            if ((rc != 0) != want_err)
                FAIL("step %zu: expected error=%d, got %d", i, want_err, rc);
        } else {
            FAIL("unknown step op '%s'", op ? op : "");
        }
        for (int k = 0; k < n && ncalls < 256; k++)
            calls[ncalls++] = ops[k];
    }
    json_t *want = json_object_get(ex, "histogram_calls");
    if (json_array_size(want) != (size_t)ncalls)
        FAIL("expected %zu histogram calls, got %d", json_array_size(want), ncalls);
    json_array_foreach(want, i, st)
    {
        double v, w;
        int64_t t;
        TRY(keys(x, st, "call", "histogram", "op", "value", "weight", "t", NULL));
        TRY(num(x, st, "value", &v));
        TRY(num(x, st, "weight", &w));
        TRY(rel_time(x, st, "t", &t));
        int r = res_index(str(st, "histogram"));
        int sub = str(st, "op") && strcmp(str(st, "op"), "subtract") == 0;
        const struct vpa_hist_op *g = &calls[i];
        if (g->resource != r || g->subtract != sub || g->value != v || g->weight != w ||
            g->t_ms != t)
            FAIL("call %zu: expected %s %s(%.17g, %g, t=%lld), got %s %s(%.17g, %g, t=%lld)", i,
                 str(st, "histogram"), str(st, "op"), v, w, (long long)(t - x->t0_ms) / 1000,
                 g->resource ? "memory" : "cpu", g->subtract ? "subtract" : "add", g->value,
                 g->weight, (long long)(g->t_ms - x->t0_ms) / 1000);
    }
    return 0;
}

/* ---- aggregates ------------------------------------------------------------ */

struct agg_env {
    struct vpa_hist_opts cpu, mem;
    struct vpa_agg_config cfg;
};

static void env_init(struct agg_env *e)
{
    vpa_hist_opts_cpu_default(&e->cpu, &vpa_libc_allocator);
    vpa_hist_opts_memory_default(&e->mem, &vpa_libc_allocator);
    vpa_agg_config_default(&e->cfg);
}

#define DAY_MS (86400LL * 1000)

static void agg_new(struct agg_env *e, struct vpa_aggregate *a, int64_t creation_ms)
{
    /* --cpu/memory-histogram-decay-half-life: 24h */
    vpa_aggregate_init(a, &e->cpu, &e->mem, DAY_MS, DAY_MS, &e->cfg, creation_ms);
}

static int hist_adds(struct vc *x, struct vpa_hist *h, json_t *a)
{
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        int64_t t;
        if (parse_time(json_string_value(json_array_get(e, 2)), &t) < 0)
            FAIL("bad time in histogram add");
        if (vpa_hist_add(h, json_number_value(json_array_get(e, 0)),
                         json_number_value(json_array_get(e, 1)), t))
            FAIL("histogram add failed");
    }
    return 0;
}

static int op_agg_save(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    struct vpa_aggregate a;
    static struct vpa_agg_checkpoint cp;
    int64_t now = 1700000000000LL, t, n;
    TRY(keys(x, in, "input", "config", "first_sample_start", "last_sample_start",
             "total_samples_count", "cpu_histogram_adds", "memory_histogram_adds", NULL));
    TRY(keys(x, ex, "expected", "version", "first_sample_start", "last_sample_start",
             "total_samples_count", "cpu_bucket_count", "memory_bucket_count", "last_update_time",
             NULL));
    env_init(&env);
    TRY(agg_config(x, json_object_get(in, "config"), &env.cfg));
    agg_new(&env, &a, now);
    int rc = 0;
    if (time_field(x, in, "first_sample_start", &a.first_sample_ms) < 0 ||
        time_field(x, in, "last_sample_start", &a.last_sample_ms) < 0 ||
        inum(x, in, "total_samples_count", &a.total_samples) < 0 ||
        hist_adds(x, &a.cpu, json_object_get(in, "cpu_histogram_adds")) < 0 ||
        hist_adds(x, &a.mem, json_object_get(in, "memory_histogram_adds")) < 0)
        rc = -1;
    if (!rc)
        vpa_aggregate_save(&a, now, &cp);
    vpa_aggregate_fini(&a);
    TRY(rc);
    if (str(ex, "version") && strcmp(str(ex, "version"), cp.version) != 0)
        FAIL("version: expected %s, got %s", str(ex, "version"), cp.version);
    if (json_object_get(ex, "first_sample_start")) {
        TRY(time_field(x, ex, "first_sample_start", &t));
        if (t != cp.first_sample_ms)
            FAIL("first_sample_start differs");
    }
    if (json_object_get(ex, "last_sample_start")) {
        TRY(time_field(x, ex, "last_sample_start", &t));
        if (t != cp.last_sample_ms)
            FAIL("last_sample_start differs");
    }
    if (json_object_get(ex, "total_samples_count")) {
        TRY(inum(x, ex, "total_samples_count", &n));
        if (n != cp.total_samples)
            FAIL("total_samples_count differs");
    }
    if (json_object_get(ex, "cpu_bucket_count")) {
        TRY(inum(x, ex, "cpu_bucket_count", &n));
        if (n != cp.cpu.n)
            FAIL("cpu buckets: expected %lld, got %u", (long long)n, cp.cpu.n);
    }
    if (json_object_get(ex, "memory_bucket_count")) {
        TRY(inum(x, ex, "memory_bucket_count", &n));
        if (n != cp.mem.n)
            FAIL("memory buckets: expected %lld, got %u", (long long)n, cp.mem.n);
    }
    const char *lu = str(ex, "last_update_time");
    if (lu) {
        /* "wall clock now": the time the caller passed as now. */
        if (parse_time(lu, &t) == 0 ? t != cp.last_update_ms : cp.last_update_ms != now)
            FAIL("last_update_time differs");
    }
    return 0;
}

static int agg_checkpoint_json(struct vc *x, json_t *o, struct vpa_agg_checkpoint *cp)
{
    memset(cp, 0, sizeof *cp);
    cp->first_sample_ms = cp->last_sample_ms = VPA_TIME_ZERO_MS;
    cp->cpu.ref_ms = cp->mem.ref_ms = VPA_TIME_ZERO_MS;
    TRY(keys(x, o, "checkpoint", "version", "first_sample_start", "last_sample_start",
             "total_samples_count", "cpu_histogram", "memory_histogram", "last_update_time", NULL));
    if (str(o, "version"))
        snprintf(cp->version, sizeof cp->version, "%s", str(o, "version"));
    if (json_object_get(o, "first_sample_start"))
        TRY(time_field(x, o, "first_sample_start", &cp->first_sample_ms));
    if (json_object_get(o, "last_sample_start"))
        TRY(time_field(x, o, "last_sample_start", &cp->last_sample_ms));
    if (json_object_get(o, "last_update_time"))
        TRY(time_field(x, o, "last_update_time", &cp->last_update_ms));
    if (json_object_get(o, "total_samples_count"))
        TRY(inum(x, o, "total_samples_count", &cp->total_samples));
    if (json_object_get(o, "cpu_histogram"))
        TRY(checkpoint_json(x, json_object_get(o, "cpu_histogram"), &cp->cpu));
    if (json_object_get(o, "memory_histogram"))
        TRY(checkpoint_json(x, json_object_get(o, "memory_histogram"), &cp->mem));
    return 0;
}

static int op_agg_load(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    struct vpa_aggregate a;
    static struct vpa_agg_checkpoint cp;
    int want_err, b;
    int64_t t;
    TRY(keys(x, in, "input", "config", "checkpoint", NULL));
    TRY(keys(x, ex, "expected", "error", "first_sample_start", "last_sample_start",
             "total_samples_count", "cpu_histogram_empty", "memory_histogram_empty", NULL));
    env_init(&env);
    TRY(agg_config(x, json_object_get(in, "config"), &env.cfg));
    TRY(agg_checkpoint_json(x, json_object_get(in, "checkpoint"), &cp));
    TRY(boolean(x, ex, "error", &want_err));
    agg_new(&env, &a, 0);
    int rc = vpa_aggregate_load(&a, &cp);
    struct vpa_aggregate copy = a;
    vpa_aggregate_fini(&a);
    if ((rc != 0) != want_err)
        FAIL("expected error=%d, got %d (%s)", want_err, rc, vpa_strerror(rc));
    if (rc && (copy.total_samples != 0 || copy.cpu.n || copy.mem.n))
        FAIL("failed load changed the aggregate");
    if (json_object_get(ex, "first_sample_start")) {
        TRY(time_field(x, ex, "first_sample_start", &t));
        if (t != copy.first_sample_ms)
            FAIL("first_sample_start differs");
    }
    if (json_object_get(ex, "last_sample_start")) {
        TRY(time_field(x, ex, "last_sample_start", &t));
        if (t != copy.last_sample_ms)
            FAIL("last_sample_start differs");
    }
    if (json_object_get(ex, "total_samples_count")) {
        TRY(inum(x, ex, "total_samples_count", &t));
        if (t != copy.total_samples)
            FAIL("total_samples_count differs");
    }
    /* The store was freed; emptiness was decided on n/min above. */
    if (json_object_get(ex, "cpu_histogram_empty")) {
        TRY(boolean(x, ex, "cpu_histogram_empty", &b));
        if ((copy.cpu.n == 0) != b)
            FAIL("cpu_histogram_empty: expected %d", b);
    }
    if (json_object_get(ex, "memory_histogram_empty")) {
        TRY(boolean(x, ex, "memory_histogram_empty", &b));
        if ((copy.mem.n == 0) != b)
            FAIL("memory_histogram_empty: expected %d", b);
    }
    return 0;
}

static int op_agg_expired(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    size_t i;
    json_t *c;
    int64_t v;
    TRY(keys(x, in, "input", "t0", "memory_aggregation_interval_s",
             "memory_aggregation_interval_count", "cases", NULL));
    TRY(keys(x, ex, "expected", NULL));
    TRY(time_field(x, in, "t0", &x->t0_ms));
    env_init(&env);
    TRY(inum(x, in, "memory_aggregation_interval_s", &v));
    env.cfg.mem_interval_ms = v * 1000;
    TRY(inum(x, in, "memory_aggregation_interval_count", &v));
    env.cfg.mem_interval_count = (int32_t)v;
    json_array_foreach(json_object_get(in, "cases"), i, c)
    {
        struct vpa_aggregate a;
        int64_t now, t;
        int want;
        TRY(keys(x, c, "case", "total_samples_count", "last_sample_start_t", "creation_time_t",
                 "now_t", "expired", NULL));
        agg_new(&env, &a, x->t0_ms);
        TRY(inum(x, c, "total_samples_count", &a.total_samples));
        if (json_object_get(c, "last_sample_start_t")) {
            TRY(rel_time(x, c, "last_sample_start_t", &t));
            a.last_sample_ms = a.first_sample_ms = t;
        }
        if (json_object_get(c, "creation_time_t"))
            TRY(rel_time(x, c, "creation_time_t", &a.creation_ms));
        TRY(rel_time(x, c, "now_t", &now));
        TRY(boolean(x, c, "expired", &want));
        if (vpa_aggregate_is_expired(&a, now) != want)
            FAIL("case %zu: expected expired=%d", i, want);
    }
    return 0;
}

static int op_update_from_policy(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    struct vpa_aggregate a;
    struct vpa_container_policy cp;
    struct vpa_agg_config out;
    int gate = 0;
    TRY(keys(x, in, "input", "container_policy", "feature_gates", NULL));
    TRY(keys(x, ex, "expected", "scaling_mode", "controlled_resources",
             "memory_aggregation_interval_s", "memory_aggregation_interval_count", NULL));
    json_t *fg = json_object_get(in, "feature_gates");
    TRY(keys(x, fg, "feature_gates", "PerVPAConfig", NULL));
    if (json_object_get(fg, "PerVPAConfig"))
        TRY(boolean(x, fg, "PerVPAConfig", &gate));
    json_t *pj = json_object_get(in, "container_policy");
    if (pj && !json_is_null(pj))
        TRY(container_policy(x, pj, &cp));
    env_init(&env);
    agg_new(&env, &a, 0);
    vpa_aggregate_update_from_policy(&a, pj && !json_is_null(pj) ? &cp : NULL, gate, &env.cfg,
                                     &out);
    if (str(ex, "scaling_mode")) {
        int m;
        if (mode_of(str(ex, "scaling_mode"), &m) < 0)
            FAIL("unknown scaling mode");
        if (a.scaling_mode != m)
            FAIL("scaling mode: expected %s", str(ex, "scaling_mode"));
    }
    if (json_object_get(ex, "controlled_resources")) {
        int ok;
        unsigned m = resource_mask(x, json_object_get(ex, "controlled_resources"), &ok);
        if (!ok)
            return -1;
        if (a.controlled != m)
            FAIL("controlled resources: expected mask %u, got %u", m, a.controlled);
    }
    if (json_object_get(ex, "memory_aggregation_interval_s")) {
        int64_t v;
        TRY(inum(x, ex, "memory_aggregation_interval_s", &v));
        if (out.mem_interval_ms != v * 1000)
            FAIL("interval: expected %lld s, got %lld ms", (long long)v,
                 (long long)out.mem_interval_ms);
    }
    if (json_object_get(ex, "memory_aggregation_interval_count")) {
        int64_t v;
        TRY(inum(x, ex, "memory_aggregation_interval_count", &v));
        if (out.mem_interval_count != v)
            FAIL("count: expected %lld, got %d", (long long)v, out.mem_interval_count);
    }
    vpa_aggregate_fini(&a);
    return 0;
}

/* ---- garbage collection ----------------------------------------------- */

static int phase_active(const char *phase)
{
    return !(phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0));
}

static int op_gc(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    struct vpa_aggregate a;
    struct vpa_container c;
    size_t i;
    json_t *e;
    int64_t w, t, creation;
    int deleted = 0;
    TRY(keys(x, in, "input", "t0", "memory_aggregation_window_s", "aggregate", "checks", "after",
             NULL));
    TRY(keys(x, ex, "expected", "after", NULL));
    TRY(time_field(x, in, "t0", &x->t0_ms));
    env_init(&env);
    TRY(inum(x, in, "memory_aggregation_window_s", &w));
    env.cfg.mem_interval_count = 1;
    env.cfg.mem_interval_ms = w * 1000;
    json_t *aj = json_object_get(in, "aggregate");
    TRY(keys(x, aj, "aggregate", "sample_times_t", "creation_time_t", NULL));
    TRY(rel_time(x, aj, "creation_time_t", &creation));
    agg_new(&env, &a, creation);
    vpa_container_init(&c);
    json_array_foreach(json_object_get(aj, "sample_times_t"), i, e)
    {
        t = x->t0_ms + (int64_t)llround(json_number_value(e) * 1000);
        if (vpa_container_add_cpu(&c, &a, 1000, t))
            FAIL("sample rejected");
    }
    json_array_foreach(json_object_get(in, "checks"), i, e)
    {
        int ctrl, want;
        TRY(keys(x, e, "check", "now_t", "pod_phase", "controller_exists", "deleted", NULL));
        TRY(rel_time(x, e, "now_t", &t));
        TRY(boolean(x, e, "controller_exists", &ctrl));
        TRY(boolean(x, e, "deleted", &want));
        int contributive = phase_active(str(e, "pod_phase")) || ctrl;
        int del = deleted || vpa_aggregate_gc_should_delete(&a, t, contributive);
        if (del != want)
            FAIL("check %zu: expected deleted=%d", i, want);
        if (del && !deleted) {
            vpa_aggregate_fini(&a);
            deleted = 1;
        }
    }
    json_t *after = json_object_get(in, "after");
    if (after) {
        TRY(keys(x, after, "after", "add_cpu_sample_t", NULL));
        TRY(rel_time(x, after, "add_cpu_sample_t", &t));
        json_t *want = json_object_get(ex, "after");
        TRY(keys(x, want, "expected.after", "aggregate_recreated", "linked_to_vpa",
                 "container_still_tracked", NULL));
        int recreated = 0;
        if (deleted) {
            /* The container state outlives its aggregate; its next sample re-creates it. */
            agg_new(&env, &a, t);
            deleted = 0;
            recreated = vpa_container_add_cpu(&c, &a, 1000, t) == 0 && a.total_samples == 1;
        }
        const char *k;
        json_t *v;
        json_object_foreach(want, k, v)
        {
            if (json_is_true(v) != recreated)
                FAIL("after: %s expected %d", k, json_is_true(v));
        }
    }
    if (!deleted)
        vpa_aggregate_fini(&a);
    return 0;
}

static int op_gc_rate(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    struct vpa_aggregate a;
    size_t i;
    json_t *st;
    int64_t interval, w, last, t;
    int present = 0;
    TRY(keys(x, in, "input", "t0", "gc_interval_s", "memory_aggregation_window_s",
             "initial_last_gc_time", "steps", NULL));
    TRY(keys(x, ex, "expected", NULL));
    TRY(time_field(x, in, "t0", &x->t0_ms));
    TRY(inum(x, in, "gc_interval_s", &interval));
    TRY(inum(x, in, "memory_aggregation_window_s", &w));
    TRY(time_field(x, in, "initial_last_gc_time", &last));
    env_init(&env);
    env.cfg.mem_interval_count = 1;
    env.cfg.mem_interval_ms = w * 1000;
    json_array_foreach(json_object_get(in, "steps"), i, st)
    {
        const char *op = str(st, "op");
        if (op && strcmp(op, "gc") == 0) {
            int ran_want, pres_want;
            TRY(keys(x, st, "step", "op", "now_t", "expect_ran", "expect_aggregate_present", NULL));
            TRY(rel_time(x, st, "now_t", &t));
            TRY(boolean(x, st, "expect_ran", &ran_want));
            int ran = vpa_gc_due(&last, t, interval * 1000);
            if (ran && present && vpa_aggregate_gc_should_delete(&a, t, 1)) {
                vpa_aggregate_fini(&a);
                present = 0;
            }
            if (ran != ran_want)
                FAIL("step %zu: expected ran=%d", i, ran_want);
            if (json_object_get(st, "expect_aggregate_present")) {
                TRY(boolean(x, st, "expect_aggregate_present", &pres_want));
                if (present != pres_want)
                    FAIL("step %zu: expected present=%d", i, pres_want);
            }
        } else if (op && strcmp(op, "add_aggregate_with_cpu_sample") == 0) {
            TRY(keys(x, st, "step", "op", "t", NULL));
            TRY(rel_time(x, st, "t", &t));
            if (present)
                vpa_aggregate_fini(&a);
            agg_new(&env, &a, t);
            present = 1;
            if (vpa_aggregate_add_cpu(&a, 1000, t))
                FAIL("sample rejected");
        } else {
            FAIL("unknown step op");
        }
    }
    if (present)
        vpa_aggregate_fini(&a);
    return 0;
}

/* ---- checkpoints ------------------------------------------------------------ */

static int op_ckpt_build(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    size_t i, j;
    json_t *e, *s;
    TRY(keys(x, in, "input", "t0", "config", "memory_samples", "checks", NULL));
    TRY(keys(x, ex, "expected", NULL));
    TRY(time_field(x, in, "t0", &x->t0_ms));
    env_init(&env);
    TRY(agg_config(x, json_object_get(in, "config"), &env.cfg));
    json_array_foreach(json_object_get(in, "checks"), i, e)
    {
        struct vpa_aggregate a, merged;
        struct vpa_container c;
        int64_t now, t, u;
        int want;
        TRY(keys(x, e, "check", "now_t", "memory_peaks_empty", NULL));
        TRY(rel_time(x, e, "now_t", &now));
        TRY(boolean(x, e, "memory_peaks_empty", &want));
        agg_new(&env, &a, x->t0_ms);
        vpa_container_init(&c);
        json_array_foreach(json_object_get(in, "memory_samples"), j, s)
        {
            TRY(keys(x, s, "sample", "t", "usage", NULL));
            TRY(rel_time(x, s, "t", &t));
            TRY(inum(x, s, "usage", &u));
            if (vpa_container_add_memory(&c, &a, u, t))
                FAIL("memory sample rejected");
        }
        /* The checkpoint is written from a merged copy, never the live state. */
        agg_new(&env, &merged, now);
        vpa_aggregate_merge(&merged, &a);
        vpa_container_drop_current_peak(&c, &merged, now);
        int empty = vpa_hist_is_empty(&merged.mem);
        int live_empty = vpa_hist_is_empty(&a.mem);
        vpa_aggregate_fini(&merged);
        vpa_aggregate_fini(&a);
        if (empty != want)
            FAIL("check %zu: expected memory_peaks_empty=%d", i, want);
        if (live_empty)
            FAIL("check %zu: the live state lost its peak", i);
    }
    return 0;
}

static int op_ckpt_order(struct vc *x, json_t *in, json_t *ex)
{
    int64_t t[MAXN];
    size_t order[MAXN], i, n = 0;
    json_t *e;
    TRY(keys(x, in, "input", "vpas", NULL));
    TRY(keys(x, ex, "expected", "order", NULL));
    json_array_foreach(json_object_get(in, "vpas"), i, e)
    {
        TRY(keys(x, e, "vpa", "name", "checkpoint_written", NULL));
        if (i >= MAXN)
            FAIL("too many");
        TRY(time_field(x, e, "checkpoint_written", &t[i]));
        n = i + 1;
    }
    vpa_checkpoint_order(t, n, order);
    json_t *want = json_object_get(ex, "order");
    if (json_array_size(want) != n)
        FAIL("order length differs");
    for (i = 0; i < n; i++) {
        const char *got = str(json_array_get(json_object_get(in, "vpas"), order[i]), "name");
        if (strcmp(got, json_string_value(json_array_get(want, i))) != 0)
            FAIL("position %zu: expected %s, got %s", i, json_string_value(json_array_get(want, i)),
                 got);
    }
    return 0;
}

static int op_ckpt_fetching(struct vc *x, json_t *in, json_t *ex)
{
    size_t i;
    json_t *c;
    TRY(keys(x, in, "input", "cases", NULL));
    TRY(keys(x, ex, "expected", NULL));
    json_array_foreach(json_object_get(in, "cases"), i, c)
    {
        int want;
        TRY(keys(x, c, "case", "conditions", "is_fetching_history", NULL));
        TRY(boolean(x, c, "is_fetching_history", &want));
        const char *fh = str(json_object_get(c, "conditions"), "FetchingHistory");
        int got = fh && strcmp(fh, "True") == 0;
        if (got != want)
            FAIL("case %zu: expected %d", i, want);
    }
    return 0;
}

static int op_ckpt_gc(struct vc *x, json_t *in, json_t *ex)
{
    size_t i, j;
    json_t *c, *v;
    TRY(keys(x, in, "input", "namespace", "vpas", "this_recommender_name", "checkpoints", NULL));
    TRY(keys(x, ex, "expected", "deleted_includes", "not_deleted", NULL));
    json_t *cps = json_object_get(in, "checkpoints");
    int deleted[MAXN] = {0};
    json_array_foreach(cps, i, c)
    {
        TRY(keys(x, c, "checkpoint", "name", "vpa_object_name", NULL));
        if (i >= MAXN)
            FAIL("too many");
        int found = 0;
        /* Every VPA counts, whatever recommender it selects. */
        json_array_foreach(json_object_get(in, "vpas"), j, v)
        {
            TRY(keys(x, v, "vpa", "name", "recommender", NULL));
            found |= str(v, "name") && str(c, "vpa_object_name") &&
                     strcmp(str(v, "name"), str(c, "vpa_object_name")) == 0;
        }
        deleted[i] = !found;
    }
    for (int pass = 0; pass < 2; pass++) {
        json_array_foreach(json_object_get(ex, pass ? "not_deleted" : "deleted_includes"), i, v)
        {
            int hit = -1;
            json_array_foreach(cps, j, c) if (strcmp(str(c, "name"), json_string_value(v)) == 0)
                hit = (int)j;
            if (hit < 0 || deleted[hit] != !pass)
                FAIL("checkpoint %s: expected deleted=%d", json_string_value(v), !pass);
        }
    }
    return 0;
}

/* ---- estimators ------------------------------------------------------------ */

static int op_confidence(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    size_t i, j;
    json_t *c, *s;
    int64_t base_cpu, base_mem, interval;
    TRY(keys(x, in, "input", "base_cpu_millicores", "base_memory_bytes", "confidence_interval_s",
             "cases", NULL));
    TRY(keys(x, ex, "expected", NULL));
    TRY(inum(x, in, "base_cpu_millicores", &base_cpu));
    TRY(inum(x, in, "base_memory_bytes", &base_mem));
    TRY(inum(x, in, "confidence_interval_s", &interval));
    env_init(&env);
    json_array_foreach(json_object_get(in, "cases"), i, c)
    {
        struct vpa_aggregate a;
        double m, e, conf;
        int64_t want, t, u;
        TRY(keys(x, c, "case", "samples", "multiplier", "exponent", "expected_confidence",
                 "expected_cpu_millicores", "expected_memory_bytes", NULL));
        TRY(num(x, c, "multiplier", &m));
        TRY(num(x, c, "exponent", &e));
        agg_new(&env, &a, 0);
        json_array_foreach(json_object_get(c, "samples"), j, s)
        {
            TRY(keys(x, s, "sample", "t", "cpu_millicores", NULL));
            TRY(rel_time(x, s, "t", &t));
            TRY(inum(x, s, "cpu_millicores", &u));
            if (vpa_aggregate_add_cpu(&a, u, t))
                FAIL("sample rejected");
        }
        conf = vpa_confidence(&a, interval * 1000);
        vpa_aggregate_fini(&a);
        if (json_object_get(c, "expected_confidence")) {
            double wc;
            TRY(num(x, c, "expected_confidence", &wc));
            if (!close_enough(x, conf, wc))
                FAIL("case %zu: confidence expected %.17g, got %.17g", i, wc, conf);
        }
        TRY(inum(x, c, "expected_cpu_millicores", &want));
        int64_t got = vpa_apply_confidence(base_cpu, m, e, conf);
        if (got != want)
            FAIL("case %zu: cpu expected %lld, got %lld", i, (long long)want, (long long)got);
        if (json_object_get(c, "expected_memory_bytes")) {
            TRY(inum(x, c, "expected_memory_bytes", &want));
            got = vpa_apply_confidence(base_mem, m, e, conf);
            if (got != want)
                FAIL("case %zu: memory expected %lld, got %lld", i, (long long)want,
                     (long long)got);
        }
    }
    return 0;
}

static int op_margin(struct vc *x, json_t *in, json_t *ex)
{
    int64_t bc, bm, wc, wm;
    double f;
    TRY(keys(x, in, "input", "base_cpu_millicores", "base_memory_bytes", "margin_fraction", NULL));
    TRY(keys(x, ex, "expected", "cpu_millicores", "memory_bytes", NULL));
    TRY(inum(x, in, "base_cpu_millicores", &bc));
    TRY(inum(x, in, "base_memory_bytes", &bm));
    TRY(num(x, in, "margin_fraction", &f));
    TRY(inum(x, ex, "cpu_millicores", &wc));
    TRY(inum(x, ex, "memory_bytes", &wm));
    if (vpa_apply_margin(bc, f) != wc || vpa_apply_margin(bm, f) != wm)
        FAIL("expected %lld/%lld, got %lld/%lld", (long long)wc, (long long)wm,
             (long long)vpa_apply_margin(bc, f), (long long)vpa_apply_margin(bm, f));
    return 0;
}

static int op_min_resource(struct vc *x, json_t *in, json_t *ex)
{
    size_t i;
    json_t *c;
    TRY(keys(x, in, "input", "cases", NULL));
    TRY(keys(x, ex, "expected", NULL));
    json_array_foreach(json_object_get(in, "cases"), i, c)
    {
        int64_t base, min, want, est[3][2], share[2] = {0, 0};
        struct vpa_rec r;
        TRY(keys(x, c, "case", "resource", "base", "min", "expected", NULL));
        int k = res_index(str(c, "resource"));
        if (k < 0)
            FAIL("unknown resource");
        TRY(inum(x, c, "base", &base));
        TRY(inum(x, c, "min", &min));
        TRY(inum(x, c, "expected", &want));
        for (int f = 0; f < 3; f++)
            est[f][0] = est[f][1] = base;
        share[k] = min;
        vpa_recommend_from_estimates(est, 1u << k, share, &r);
        if (r.target.v[k] != want)
            FAIL("case %zu: expected %lld, got %lld", i, (long long)want, (long long)r.target.v[k]);
    }
    return 0;
}

static int keyset_equal(json_t *a, const struct vpa_resources *r)
{
    int ok;
    struct vc dummy;
    unsigned m = resource_mask(&dummy, a, &ok);
    return ok && m == (r->set & 3);
}

static int op_pod_recommender(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_estimator_config cfg;
    int64_t est[3][2], share[2];
    size_t i, n;
    json_t *c;
    TRY(keys(x, in, "input", "estimators", "constant", "pod_min_cpu_millicores",
             "pod_min_memory_mb", "containers", NULL));
    json_t *k = json_object_get(in, "constant");
    TRY(keys(x, k, "constant", "cpu_millicores", "memory_bytes", NULL));
    TRY(inum(x, k, "cpu_millicores", &est[0][0]));
    TRY(inum(x, k, "memory_bytes", &est[0][1]));
    for (int f = 1; f < 3; f++)
        est[f][0] = est[0][0], est[f][1] = est[0][1];
    vpa_estimator_config_default(&cfg);
    TRY(num(x, in, "pod_min_cpu_millicores", &cfg.pod_min_cpu_millicores));
    TRY(num(x, in, "pod_min_memory_mb", &cfg.pod_min_memory_mb));
    n = json_array_size(json_object_get(in, "containers"));
    vpa_pod_min_share(&cfg, n, share);
    json_array_foreach(json_object_get(in, "containers"), i, c)
    {
        struct vpa_rec r;
        unsigned mask = VPA_RES_CPU | VPA_RES_MEM;
        TRY(keys(x, c, "container", "name", "controlled_resources", NULL));
        json_t *cr = json_object_get(c, "controlled_resources");
        if (cr && !json_is_null(cr)) {
            int ok;
            mask = resource_mask(x, cr, &ok);
            if (!ok)
                return -1;
        }
        vpa_recommend_from_estimates(est, mask, share, &r);
        json_t *w = json_object_get(ex, str(c, "name"));
        if (!w)
            continue;
        TRY(keys(x, w, "expected container", "target", "target_keys", "lower_bound_keys",
                 "upper_bound_keys", NULL));
        if (json_object_get(w, "target")) {
            struct vpa_resources want;
            TRY(resources(x, json_object_get(w, "target"), &want));
            if (!res_equal(&want, &r.target))
                FAIL("%s target: expected cpu %lld mem %lld, got cpu %lld mem %lld", str(c, "name"),
                     (long long)want.v[0], (long long)want.v[1], (long long)r.target.v[0],
                     (long long)r.target.v[1]);
        }
        if (json_object_get(w, "target_keys") &&
            !keyset_equal(json_object_get(w, "target_keys"), &r.target))
            FAIL("%s: target keys differ", str(c, "name"));
        if (json_object_get(w, "lower_bound_keys") &&
            !keyset_equal(json_object_get(w, "lower_bound_keys"), &r.lower))
            FAIL("%s: lower bound keys differ", str(c, "name"));
        if (json_object_get(w, "upper_bound_keys") &&
            !keyset_equal(json_object_get(w, "upper_bound_keys"), &r.upper))
            FAIL("%s: upper bound keys differ", str(c, "name"));
    }
    const char *name;
    json_object_foreach(ex, name, c)
    {
        int found = 0;
        json_array_foreach(json_object_get(in, "containers"), i, k) found |=
            strcmp(str(k, "name"), name) == 0;
        if (!found)
            FAIL("expected container %s not in input", name);
    }
    return 0;
}

static int op_rec_to_list(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_rec r[MAXN], orig[MAXN];
    size_t n = 0;
    const char *k;
    json_t *v;
    int64_t rc, rm;
    TRY(keys(x, in, "input", "targets", "round_cpu_millicores", "round_memory_bytes", NULL));
    TRY(keys(x, ex, "expected", "order", "targets_unchanged", NULL));
    TRY(inum(x, in, "round_cpu_millicores", &rc));
    TRY(inum(x, in, "round_memory_bytes", &rm));
    json_object_foreach(json_object_get(in, "targets"), k, v)
    {
        if (n >= MAXN)
            FAIL("too many");
        memset(&r[n], 0, sizeof r[n]);
        r[n].name = k;
        TRY(resources(x, v, &r[n].target));
        n++;
    }
    memcpy(orig, r, sizeof r[0] * n);
    vpa_rec_sort(r, n);
    for (size_t i = 0; i < n; i++)
        vpa_resources_round(&r[i].target, rc, rm, 0, NULL, 0);
    json_t *order = json_object_get(ex, "order");
    if (order) {
        if (json_array_size(order) != n)
            FAIL("order length");
        for (size_t i = 0; i < n; i++)
            if (strcmp(r[i].name, json_string_value(json_array_get(order, i))) != 0)
                FAIL("position %zu: got %s", i, r[i].name);
    }
    if (json_object_get(ex, "targets_unchanged")) {
        int want, same = 1;
        TRY(boolean(x, ex, "targets_unchanged", &want));
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (strcmp(r[i].name, orig[j].name) == 0)
                    same &= res_equal(&r[i].target, &orig[j].target);
        if (same != want)
            FAIL("targets_unchanged: expected %d", want);
    }
    return 0;
}

/* ---- numeric --------------------------------------------------------------- */

static int op_numeric(struct vc *x, const char *op, json_t *in, json_t *ex)
{
    double d;
    int64_t a, b;
    if (strcmp(op, "scale_resource") == 0) {
        TRY(keys(x, in, "input", "amount", "factor", NULL));
        TRY(inum(x, in, "amount", &a));
        TRY(num(x, in, "factor", &d));
        TRY(keys(x, ex, "expected", "result", NULL));
        TRY(inum(x, ex, "result", &b));
        if (vpa_scale_resource(a, d) != b)
            FAIL("expected %lld, got %lld", (long long)b, (long long)vpa_scale_resource(a, d));
    } else if (strcmp(op, "resource_amount_from_float") == 0 ||
               strcmp(op, "cpu_amount_from_cores") == 0 ||
               strcmp(op, "memory_amount_from_bytes") == 0) {
        const char *field = op[0] == 'r' ? "amount" : op[0] == 'c' ? "cores" : "bytes";
        TRY(keys(x, in, "input", field, NULL));
        TRY(num(x, in, field, &d));
        TRY(keys(x, ex, "expected", "result", NULL));
        TRY(inum(x, ex, "result", &b));
        int64_t got = op[0] == 'r'   ? vpa_amount_from_float(d)
                      : op[0] == 'c' ? vpa_cpu_amount_from_cores(d)
                                     : vpa_memory_amount_from_bytes(d);
        if (got != b)
            FAIL("expected %lld, got %lld", (long long)b, (long long)got);
    } else if (strcmp(op, "cores_from_cpu_amount") == 0) {
        TRY(keys(x, in, "input", "millicores", NULL));
        TRY(inum(x, in, "millicores", &a));
        TRY(keys(x, ex, "expected", "result", NULL));
        TRY(num(x, ex, "result", &d));
        if (vpa_cores_from_cpu_amount(a) != d)
            FAIL("expected %.17g, got %.17g", d, vpa_cores_from_cpu_amount(a));
    } else if (strcmp(op, "round_up_to_scale") == 0) {
        TRY(keys(x, in, "input", "value", "scale", NULL));
        TRY(inum(x, in, "value", &a));
        TRY(inum(x, in, "scale", &b));
        TRY(keys(x, ex, "expected", "result", "error", NULL));
        int64_t want, got;
        TRY(inum(x, ex, "result", &want));
        int rc = vpa_round_up_to_scale(a, b, &got);
        if (got != want)
            FAIL("expected %lld, got %lld", (long long)want, (long long)got);
        json_t *err = json_object_get(ex, "error");
        if (json_is_null(err) ? rc != 0
                              : (rc == 0 || strcmp(vpa_strerror(rc), json_string_value(err)) != 0))
            FAIL("error: expected %s, got %s", json_is_null(err) ? "none" : json_string_value(err),
                 rc ? vpa_strerror(rc) : "none");
    } else if (strcmp(op, "resources_to_resource_list") == 0) {
        struct vpa_resources r;
        int64_t rcpu, rmem;
        int hum;
        char q[64];
        memset(&r, 0, sizeof r);
        TRY(keys(x, in, "input", "cpu", "memory", "humanize_memory", "round_cpu_millicores",
                 "round_memory_bytes", NULL));
        TRY(keys(x, ex, "expected", "cpu", "memory", "memory_quantity", NULL));
        TRY(inum(x, in, "cpu", &a));
        TRY(inum(x, in, "memory", &b));
        vpa_res_put(&r, VPA_CPU, a);
        vpa_res_put(&r, VPA_MEMORY, b);
        TRY(boolean(x, in, "humanize_memory", &hum));
        TRY(inum(x, in, "round_cpu_millicores", &rcpu));
        TRY(inum(x, in, "round_memory_bytes", &rmem));
        if (vpa_resources_round(&r, rcpu, rmem, hum, q, sizeof q))
            FAIL("rounding failed");
        TRY(inum(x, ex, "cpu", &a));
        TRY(inum(x, ex, "memory", &b));
        if (r.v[0] != a || r.v[1] != b)
            FAIL("expected cpu %lld memory %lld, got %lld %lld", (long long)a, (long long)b,
                 (long long)r.v[0], (long long)r.v[1]);
        if (str(ex, "memory_quantity") && (!hum || strcmp(q, str(ex, "memory_quantity")) != 0))
            FAIL("memory quantity: expected %s, got %s", str(ex, "memory_quantity"), q);
    } else {
        return 1;
    }
    return 0;
}

/* ---- capping ------------------------------------------------------------- */

static int op_capping_apply(struct vc *x, json_t *in, json_t *ex)
{
    static struct pod_buf pb;
    static struct policy_buf pol;
    struct vpa_rec recs[MAXN], out_items[2 * MAXN];
    struct vpa_recommendation rec;
    struct vpa_limit_item clr, plr;
    struct vpa_cap_note notes[256];
    int rec_present, clr_present, plr_present;
    size_t nrec;
    TRY(keys(x, in, "input", "vpa", "pod", "container_limit_range", "pod_limit_range", NULL));
    TRY(keys(x, ex, "expected", "error", "recommendation", "annotations", "annotations_match",
             "annotations_absent_for", NULL));
    json_t *vpa = json_object_get(in, "vpa");
    json_t *podj = json_object_get(in, "pod");
    struct vpa_cap_input ci;
    memset(&ci, 0, sizeof ci);
    memset(&pol, 0, sizeof pol);
    ci.has_vpa = vpa && !json_is_null(vpa);
    if (ci.has_vpa) {
        TRY(keys(x, vpa, "vpa", "resource_policy", "recommendation", NULL));
        TRY(policy_parse(x, json_object_get(vpa, "resource_policy"), &pol));
        TRY(recommendation(x, json_object_get(vpa, "recommendation"), recs, &nrec, &rec_present));
        rec.items = recs;
        rec.n = nrec;
        ci.rec = rec_present ? &rec : NULL;
        ci.policy = pol.present ? &pol.p : NULL;
    }
    if (podj && !json_is_null(podj)) {
        TRY(pod_parse(x, podj, &pb));
        ci.pod = &pb.pod;
    }
    TRY(limit_item(x, json_object_get(in, "container_limit_range"), &clr, &clr_present));
    TRY(limit_item(x, json_object_get(in, "pod_limit_range"), &plr, &plr_present));
    ci.container_lr = clr_present ? &clr : NULL;
    ci.pod_lr = plr_present ? &plr : NULL;
    struct vpa_cap_output co = {out_items, 2 * MAXN, 0, 0, notes, 256, 0};
    int rc = vpa_cap_apply(&ci, &co);
    int want_err;
    TRY(boolean(x, ex, "error", &want_err));
    if ((rc != 0) != want_err)
        FAIL("expected error=%d, got %d (%s)", want_err, rc, vpa_strerror(rc));
    json_t *wr = json_object_get(ex, "recommendation");
    if (rc == 0) {
        if (json_is_null(wr) != co.nil)
            FAIL("expected %s recommendation", json_is_null(wr) ? "a nil" : "a non-nil");
        if (!co.nil)
            TRY(rec_compare(x, co.items, co.n, wr, 1));
    }
    /* Annotations per container. */
    const char *match = str(ex, "annotations_match");
    json_t *wa = json_object_get(ex, "annotations");
    if (wa && !json_is_null(wa)) {
        const char *name;
        json_t *list;
        if (!match)
            match = "exact";
        json_object_foreach(wa, name, list)
        {
            int used[256] = {0};
            size_t i;
            json_t *s;
            size_t count = 0;
            for (size_t k = 0; k < co.n_notes; k++)
                count += strcmp(co.items[co.notes[k].item].name, name) == 0;
            json_array_foreach(list, i, s)
            {
                int found = 0;
                for (size_t k = 0; k < co.n_notes && !found; k++) {
                    if (used[k] || strcmp(co.items[co.notes[k].item].name, name) != 0)
                        continue;
                    if (strcmp(vpa_cap_note_text(co.notes[k].resource, co.notes[k].kind),
                               json_string_value(s)) == 0)
                        used[k] = found = 1;
                }
                if (!found)
                    FAIL("%s: annotation '%s' missing", name, json_string_value(s));
            }
            if (strcmp(match, "contains") != 0 && count != json_array_size(list))
                FAIL("%s: expected %zu annotations, got %zu", name, json_array_size(list), count);
        }
        if (strcmp(match, "contains") != 0) {
            for (size_t k = 0; k < co.n_notes; k++)
                if (!json_object_get(wa, co.items[co.notes[k].item].name))
                    FAIL("unexpected annotation for %s: %s", co.items[co.notes[k].item].name,
                         vpa_cap_note_text(co.notes[k].resource, co.notes[k].kind));
        } else if (strcmp(match, "contains") != 0 && strcmp(match, "exact") != 0 &&
                   strcmp(match, "elements") != 0) {
            FAIL("unknown annotations_match %s", match);
        }
    } else if (wa && json_is_null(wa) && rc == 0 && co.n_notes) {
        FAIL("expected no annotations");
    }
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(ex, "annotations_absent_for"), i, s)
    {
        for (size_t k = 0; k < co.n_notes; k++)
            if (strcmp(co.items[co.notes[k].item].name, json_string_value(s)) == 0)
                FAIL("%s: unexpected annotation %s", json_string_value(s),
                     vpa_cap_note_text(co.notes[k].resource, co.notes[k].kind));
    }
    return 0;
}

static int op_apply_vpa_policy(struct vc *x, json_t *in, json_t *ex)
{
    static struct policy_buf pol;
    struct vpa_rec recs[MAXN];
    struct vpa_resources gmax;
    size_t n;
    int present;
    TRY(keys(x, in, "input", "recommendation", "resource_policy", "global_max_allowed", NULL));
    TRY(keys(x, ex, "expected", "recommendation", NULL));
    TRY(recommendation(x, json_object_get(in, "recommendation"), recs, &n, &present));
    TRY(policy_parse(x, json_object_get(in, "resource_policy"), &pol));
    json_t *g = json_object_get(in, "global_max_allowed");
    TRY(resources(x, g, &gmax));
    vpa_apply_vpa_policy(recs, n, pol.present ? &pol.p : NULL,
                         g && !json_is_null(g) ? &gmax : NULL);
    json_t *w = json_object_get(ex, "recommendation");
    if (json_is_null(w) != !present)
        FAIL("nil-ness of the recommendation differs");
    if (present)
        TRY(rec_compare(x, recs, n, w, 0));
    return 0;
}

static int field_index(const char *f)
{
    if (!f)
        return -1;
    if (strcmp(f, "target") == 0)
        return VPA_TARGET;
    if (strcmp(f, "lower_bound") == 0)
        return VPA_LOWER;
    if (strcmp(f, "upper_bound") == 0)
        return VPA_UPPER;
    return -1;
}

static int op_apply_pod_lr(struct vc *x, json_t *in, json_t *ex)
{
    static struct pod_buf pb;
    struct vpa_rec recs[MAXN];
    struct vpa_limit_item lr;
    size_t n;
    int present;
    TRY(keys(x, in, "input", "recommendations", "pod", "limit_range", "resource", "field", NULL));
    TRY(keys(x, ex, "expected", "recommendations", NULL));
    TRY(recommendation(x, json_object_get(in, "recommendations"), recs, &n, &present));
    TRY(pod_parse(x, json_object_get(in, "pod"), &pb));
    TRY(limit_item(x, json_object_get(in, "limit_range"), &lr, &present));
    int r = res_index(str(in, "resource")), f = field_index(str(in, "field"));
    if (r < 0 || f < 0)
        FAIL("unknown resource or field");
    vpa_apply_pod_limit_range(recs, n, &pb.pod, &lr, r, f);
    return rec_compare(x, recs, n, json_object_get(ex, "recommendations"), 0);
}

static int opt_int(struct vc *x, json_t *o, const char *k, int64_t *v, const int64_t **p)
{
    json_t *j = json_object_get(o, k);
    *p = NULL;
    if (!j || json_is_null(j))
        return 0;
    TRY(inum(x, o, k, v));
    *p = v;
    return 0;
}

static int op_proportional_limit(struct vc *x, json_t *in, json_t *ex)
{
    int64_t ol, orq, rr, dl, lim;
    const int64_t *pol, *porq, *prr, *pdl;
    int note, want_note;
    TRY(keys(x, in, "input", "resource", "original_limit", "original_request",
             "recommended_request", "default_limit", NULL));
    TRY(keys(x, ex, "expected", "limit", "annotation", NULL));
    int r = res_index(str(in, "resource"));
    if (r < 0)
        FAIL("unknown resource");
    TRY(opt_int(x, in, "original_limit", &ol, &pol));
    TRY(opt_int(x, in, "original_request", &orq, &porq));
    TRY(opt_int(x, in, "recommended_request", &rr, &prr));
    TRY(opt_int(x, in, "default_limit", &dl, &pdl));
    int has = vpa_proportional_limit(r, pol, porq, prr, pdl, &lim, &note);
    TRY(boolean(x, ex, "annotation", &want_note));
    json_t *wl = json_object_get(ex, "limit");
    if (json_is_null(wl) ? has : !has || lim != (int64_t)json_integer_value(wl))
        FAIL("limit: expected %s, got %s%lld", json_is_null(wl) ? "none" : "a value",
             has ? "" : "none ", has ? (long long)lim : 0LL);
    if ((note != VPA_LIMIT_NOTE_NONE) != want_note)
        FAIL("annotation: expected %d, got '%s'", want_note, vpa_limit_note_text(r, note));
    return 0;
}

static int op_scale_cpu(struct vc *x, json_t *in, json_t *ex)
{
    int64_t v, base, res, want, got;
    TRY(keys(x, in, "input", "scaled_quantity", "scale_base", "scale_result", "rounding", NULL));
    TRY(keys(x, ex, "expected", "result", "result_type", NULL));
    TRY(inum(x, in, "scaled_quantity", &v));
    TRY(inum(x, in, "scale_base", &base));
    TRY(inum(x, in, "scale_result", &res));
    const char *rd = str(in, "rounding");
    int rounding = !rd                                                         ? -1
                   : strcmp(rd, "round_up") == 0                               ? VPA_ROUND_UP
                   : strcmp(rd, "round_down") == 0                             ? VPA_ROUND_DOWN
                   : strcmp(rd, "no_rounding") == 0 || strcmp(rd, "none") == 0 ? VPA_ROUND_NONE
                                                                               : -1;
    if (rounding < 0)
        FAIL("unknown rounding");
    int rt = vpa_scale_proportionally(VPA_CPU, v, base, res, rounding, &got);
    TRY(inum(x, ex, "result", &want));
    if (got != want)
        FAIL("expected %lld, got %lld", (long long)want, (long long)got);
    const char *wt = str(ex, "result_type");
    if (wt) {
        int w = strcmp(wt, "division_by_zero") == 0                  ? VPA_SCALE_DIV_ZERO
                : strcmp(wt, "overflow") == 0                        ? VPA_SCALE_OVERFLOW
                : strcmp(wt, "ok") == 0 || strcmp(wt, "normal") == 0 ? VPA_SCALE_OK
                                                                     : -1;
        if (w != rt)
            FAIL("result type: expected %s, got %d", wt, rt);
    }
    return 0;
}

/* Quantities as strings in milli-units. */
static int qres(struct vc *x, json_t *o, struct vpa_resources *r)
{
    memset(r, 0, sizeof *r);
    if (!o || json_is_null(o))
        return 0;
    TRY(keys(x, o, "resource list", "cpu", "memory", NULL));
    r->set = VPA_RES_LIST;
    for (int k = 0; k < 2; k++) {
        const char *s = str(o, k ? "memory" : "cpu");
        quantity q;
        int64_t v;
        if (!s)
            continue;
        if (quantity_parse_cstr(s, &q) || quantity_milli_value(&q, &v))
            FAIL("bad quantity %s", s);
        vpa_res_put(r, k, v);
    }
    return 0;
}

static int op_lr_merge(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_limit_item items[MAXN], out;
    size_t n = 0, i, j;
    json_t *lr, *it;
    TRY(keys(x, in, "input", "namespace", "limit_type", "limit_ranges", NULL));
    TRY(keys(x, ex, "expected", "item", NULL));
    const char *ns = str(in, "namespace"), *type = str(in, "limit_type");
    if (!ns || !type)
        FAIL("namespace and limit_type needed");
    json_array_foreach(json_object_get(in, "limit_ranges"), i, lr)
    {
        TRY(keys(x, lr, "limit range", "namespace", "items", NULL));
        if (!str(lr, "namespace") || strcmp(str(lr, "namespace"), ns) != 0)
            continue;
        json_array_foreach(json_object_get(lr, "items"), j, it)
        {
            TRY(keys(x, it, "item", "type", "min", "max", "default", NULL));
            if (!str(it, "type") || strcmp(str(it, "type"), type) != 0 || n >= MAXN)
                continue;
            TRY(qres(x, json_object_get(it, "min"), &items[n].min));
            TRY(qres(x, json_object_get(it, "max"), &items[n].max));
            TRY(qres(x, json_object_get(it, "default"), &items[n].def));
            n++;
        }
    }
    int got = vpa_limit_range_merge(items, n, &out);
    json_t *w = json_object_get(ex, "item");
    if (json_is_null(w) ? got : !got)
        FAIL("expected %s item", json_is_null(w) ? "no" : "an");
    if (got) {
        struct vpa_resources r;
        TRY(keys(x, w, "item", "type", "min", "max", "default", NULL));
        if (str(w, "type") && strcmp(str(w, "type"), type) != 0)
            FAIL("type differs");
        TRY(qres(x, json_object_get(w, "min"), &r));
        if (!res_equal(&r, &out.min) || (r.set & VPA_RES_LIST) != (out.min.set & VPA_RES_LIST))
            FAIL("min differs");
        TRY(qres(x, json_object_get(w, "max"), &r));
        if (!res_equal(&r, &out.max) || (r.set & VPA_RES_LIST) != (out.max.set & VPA_RES_LIST))
            FAIL("max differs");
        TRY(qres(x, json_object_get(w, "default"), &r));
        if (!res_equal(&r, &out.def) || (r.set & VPA_RES_LIST) != (out.def.set & VPA_RES_LIST))
            FAIL("default differs");
    }
    return 0;
}

/* ---- updater -------------------------------------------------------------- */

static int priority_json(struct vc *x, json_t *o, struct vpa_priority *p)
{
    TRY(keys(x, o, "priority", "outside_recommended_range", "scale_up", "resource_diff", NULL));
    TRY(boolean(x, o, "outside_recommended_range", &p->outside_range));
    TRY(boolean(x, o, "scale_up", &p->scale_up));
    TRY(num(x, o, "resource_diff", &p->diff));
    return 0;
}

static int op_get_priority(struct vc *x, json_t *in, json_t *ex)
{
    static struct pod_buf pb;
    struct vpa_rec recs[MAXN];
    struct vpa_recommendation rec;
    struct vpa_priority p;
    int present, b;
    double d;
    TRY(keys(x, in, "input", "pod", "recommendation", NULL));
    TRY(keys(x, ex, "expected", "outside_recommended_range", "scale_up", "resource_diff", NULL));
    TRY(pod_parse(x, json_object_get(in, "pod"), &pb));
    TRY(recommendation(x, json_object_get(in, "recommendation"), recs, &rec.n, &present));
    rec.items = present ? recs : NULL;
    vpa_update_priority(&pb.pod, &rec, &p);
    if (json_object_get(ex, "outside_recommended_range")) {
        TRY(boolean(x, ex, "outside_recommended_range", &b));
        if (p.outside_range != b)
            FAIL("outside_recommended_range: expected %d", b);
    }
    if (json_object_get(ex, "scale_up")) {
        TRY(boolean(x, ex, "scale_up", &b));
        if (p.scale_up != b)
            FAIL("scale_up: expected %d", b);
    }
    if (json_object_get(ex, "resource_diff")) {
        TRY(num(x, ex, "resource_diff", &d));
        if (!close_enough(x, p.diff, d))
            FAIL("resource_diff: expected %.17g, got %.17g", d, p.diff);
    }
    return 0;
}

static int update_mode(const char *s)
{
    static const char *const names[] = {"Off",  "Initial",           "Recreate",
                                        "Auto", "InPlaceOrRecreate", "InPlace"};
    for (int i = 0; s && i < 6; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static int op_calculator(struct vc *x, json_t *in, json_t *ex)
{
    static struct policy_buf pol;
    static struct vpa_update_candidate c[MAXN];
    static struct vpa_last_termination terms[MAXN][8];
    static struct vpa_rec proc[MAXN][8], inf[MAXN][8];
    static struct vpa_recommendation procr[MAXN], infr[MAXN];
    struct vpa_updater_config cfg;
    size_t order[MAXN], i, j, n = 0;
    json_t *p, *e;
    int64_t now, v;
    TRY(keys(x, in, "input", "config", "now_t", "pods", "resource_policy", "update_mode",
             "admission", NULL));
    TRY(keys(x, ex, "expected", "sorted_pods", NULL));
    json_t *cj = json_object_get(in, "config");
    TRY(keys(x, cj, "config", "min_change_priority", "pod_lifetime_update_threshold_s",
             "evict_after_oom_threshold_s", NULL));
    vpa_updater_config_default(&cfg);
    if (json_object_get(cj, "min_change_priority"))
        TRY(num(x, cj, "min_change_priority", &cfg.min_change_priority));
    if (json_object_get(cj, "pod_lifetime_update_threshold_s")) {
        TRY(inum(x, cj, "pod_lifetime_update_threshold_s", &v));
        cfg.pod_lifetime_threshold_ms = v * 1000;
    }
    if (json_object_get(cj, "evict_after_oom_threshold_s")) {
        TRY(inum(x, cj, "evict_after_oom_threshold_s", &v));
        cfg.evict_after_oom_ms = v * 1000;
    }
    x->t0_ms = 0;
    TRY(rel_time(x, in, "now_t", &now));
    TRY(policy_parse(x, json_object_get(in, "resource_policy"), &pol));
    int mode = VPA_UPDATE_RECREATE;
    if (json_object_get(in, "update_mode") && (mode = update_mode(str(in, "update_mode"))) < 0)
        FAIL("unknown update mode");
    json_t *adm = json_object_get(in, "admission");
    TRY(keys(x, adm, "admission", "type", "pods", NULL));
    const char *at = str(adm, "type");
    if (!at || (strcmp(at, "admit_all") != 0 && strcmp(at, "admit_only") != 0))
        FAIL("unknown admission type");
    json_array_foreach(json_object_get(in, "pods"), i, p)
    {
        if (i >= MAXN)
            FAIL("too many pods");
        TRY(keys(x, p, "pod", "name", "start_t", "priority", "container_statuses", "annotations",
                 "processed_recommendation", "infeasible_last_attempt", NULL));
        memset(&c[i], 0, sizeof c[i]);
        c[i].name = str(p, "name");
        if (json_object_get(p, "start_t")) {
            c[i].has_start = 1;
            TRY(rel_time(x, p, "start_t", &c[i].start_ms));
        }
        TRY(priority_json(x, json_object_get(p, "priority"), &c[i].prio));
        json_t *ann = json_object_get(p, "annotations");
        TRY(keys(x, ann, "annotations", "vpaObservedContainers", NULL));
        c[i].observed_containers = str(ann, "vpaObservedContainers");
        json_array_foreach(json_object_get(p, "container_statuses"), j, e)
        {
            if (j >= 8)
                FAIL("too many statuses");
            TRY(keys(x, e, "status", "name", "last_termination", NULL));
            json_t *lt = json_object_get(e, "last_termination");
            TRY(keys(x, lt, "last_termination", "reason", "started_at_t", "finished_at_t", NULL));
            terms[i][j].container = str(e, "name");
            terms[i][j].oom_killed =
                str(lt, "reason") && strcmp(str(lt, "reason"), "OOMKilled") == 0;
            TRY(rel_time(x, lt, "started_at_t", &terms[i][j].started_ms));
            TRY(rel_time(x, lt, "finished_at_t", &terms[i][j].finished_ms));
            c[i].n_terms = j + 1;
        }
        c[i].terms = terms[i];
        int present;
        TRY(recommendation(x, json_object_get(p, "processed_recommendation"), proc[i], &procr[i].n,
                           &present));
        procr[i].items = present ? proc[i] : NULL;
        c[i].processed = &procr[i];
        TRY(recommendation(x, json_object_get(p, "infeasible_last_attempt"), inf[i], &infr[i].n,
                           &present));
        infr[i].items = inf[i];
        c[i].infeasible_last = present ? &infr[i] : NULL;
        c[i].admitted = 1;
        if (strcmp(at, "admit_only") == 0) {
            c[i].admitted = 0;
            json_array_foreach(json_object_get(adm, "pods"), j, e) c[i].admitted |=
                strcmp(json_string_value(e), c[i].name) == 0;
        }
        n = i + 1;
    }
    size_t k = vpa_update_order(&cfg, mode, pol.present ? &pol.p : NULL, c, n, now, order);
    json_t *want = json_object_get(ex, "sorted_pods");
    char got[512] = "";
    for (i = 0; i < k; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s ", c[order[i]].name);
    if (json_array_size(want) != k)
        FAIL("expected %zu pods, got [%s]", json_array_size(want), got);
    for (i = 0; i < k; i++)
        if (strcmp(c[order[i]].name, json_string_value(json_array_get(want, i))) != 0)
            FAIL("order: got [%s]", got);
    return 0;
}

static int op_priority_less(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_priority a, b;
    int w1, w2;
    TRY(keys(x, in, "input", "prio", "other", NULL));
    TRY(keys(x, ex, "expected", "prio_less_than_other", "other_less_than_prio", NULL));
    TRY(priority_json(x, json_object_get(in, "prio"), &a));
    TRY(priority_json(x, json_object_get(in, "other"), &b));
    TRY(boolean(x, ex, "prio_less_than_other", &w1));
    TRY(boolean(x, ex, "other_less_than_prio", &w2));
    if (vpa_priority_less(&a, &b) != w1 || vpa_priority_less(&b, &a) != w2)
        FAIL("expected %d/%d", w1, w2);
    return 0;
}

static int op_has_lower(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_rec a[MAXN], b[MAXN];
    struct vpa_recommendation ra, rb;
    int pa, pb, want;
    TRY(keys(x, in, "input", "last_attempt", "new_recommendation", NULL));
    TRY(keys(x, ex, "expected", "result", NULL));
    TRY(recommendation(x, json_object_get(in, "last_attempt"), a, &ra.n, &pa));
    TRY(recommendation(x, json_object_get(in, "new_recommendation"), b, &rb.n, &pb));
    ra.items = a;
    rb.items = b;
    TRY(boolean(x, ex, "result", &want));
    if (vpa_has_lower_recommendation(pa ? &ra : NULL, pb ? &rb : NULL) != want)
        FAIL("expected %d", want);
    return 0;
}

static int op_admit(struct vc *x, json_t *in, json_t *ex)
{
    static struct pod_buf pb;
    struct vpa_rec recs[MAXN];
    struct vpa_recommendation rec;
    struct vpa_eviction_requirement reqs[MAXN];
    size_t n = 0, i;
    json_t *e;
    int present, want;
    TRY(keys(x, in, "input", "pod", "eviction_requirements", "recommendation", NULL));
    TRY(keys(x, ex, "expected", "admit", NULL));
    TRY(pod_parse(x, json_object_get(in, "pod"), &pb));
    TRY(recommendation(x, json_object_get(in, "recommendation"), recs, &rec.n, &present));
    rec.items = present ? recs : NULL;
    json_t *rj = json_object_get(in, "eviction_requirements");
    json_array_foreach(rj, i, e)
    {
        int ok;
        TRY(keys(x, e, "requirement", "resources", "change_requirement", NULL));
        if (i >= MAXN)
            FAIL("too many");
        reqs[i].resources = resource_mask(x, json_object_get(e, "resources"), &ok);
        if (!ok)
            return -1;
        const char *cr = str(e, "change_requirement");
        if (cr && strcmp(cr, "TargetHigherThanRequests") == 0)
            reqs[i].change = VPA_TARGET_HIGHER;
        else if (cr && strcmp(cr, "TargetLowerThanRequests") == 0)
            reqs[i].change = VPA_TARGET_LOWER;
        else
            FAIL("unknown change requirement");
        n = i + 1;
    }
    TRY(boolean(x, ex, "admit", &want));
    int got = vpa_scaling_direction_admit(&pb.pod, &rec, json_is_array(rj) ? reqs : NULL, n);
    if (got != want)
        FAIL("expected admit=%d", want);
    return 0;
}

static int op_eviction(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_controller ctrl;
    struct vpa_eviction_config cfg;
    struct vpa_evict_pod pods[MAXN];
    struct vpa_evict_group g;
    size_t n = 0, i;
    json_t *p;
    memset(&ctrl, 0, sizeof ctrl);
    memset(&cfg, 0, sizeof cfg);
    TRY(keys(x, in, "input", "controller", "min_replicas_flag", "eviction_tolerance",
             "in_place_skip_disruption_budget", "update_mode", "vpa_min_replicas", "pods", NULL));
    TRY(keys(x, ex, "expected", "can_evict", "evict_success", NULL));
    json_t *cj = json_object_get(in, "controller");
    TRY(keys(x, cj, "controller", "kind", "replicas", "number_ready", NULL));
    static const char *const kinds[] = {"ReplicationController", "ReplicaSet", "StatefulSet",
                                        "DaemonSet", "Job"};
    ctrl.kind = -1;
    for (int k = 0; k < 5; k++)
        if (str(cj, "kind") && strcmp(str(cj, "kind"), kinds[k]) == 0)
            ctrl.kind = k;
    if (ctrl.kind < 0)
        FAIL("unknown controller kind");
    if (json_object_get(cj, "replicas")) {
        ctrl.has_replicas = 1;
        TRY(inum(x, cj, "replicas", &ctrl.replicas));
    }
    if (json_object_get(cj, "number_ready"))
        TRY(inum(x, cj, "number_ready", &ctrl.number_ready));
    TRY(inum(x, in, "min_replicas_flag", &cfg.min_replicas));
    TRY(num(x, in, "eviction_tolerance", &cfg.eviction_tolerance));
    TRY(boolean(x, in, "in_place_skip_disruption_budget", &cfg.in_place_skip_budget));
    if ((cfg.mode = update_mode(str(in, "update_mode"))) < 0)
        FAIL("unknown update mode");
    json_t *vm = json_object_get(in, "vpa_min_replicas");
    if (vm && !json_is_null(vm)) {
        cfg.has_vpa_min_replicas = 1;
        TRY(inum(x, in, "vpa_min_replicas", &cfg.vpa_min_replicas));
    }
    json_array_foreach(json_object_get(in, "pods"), i, p)
    {
        if (i >= MAXN)
            FAIL("too many");
        TRY(keys(x, p, "pod", "name", "phase", "resize_condition", "cpu_startup_boost_in_progress",
                 NULL));
        memset(&pods[i], 0, sizeof pods[i]);
        pods[i].pending = str(p, "phase") && strcmp(str(p, "phase"), "Pending") == 0;
        if (json_object_get(p, "cpu_startup_boost_in_progress"))
            TRY(boolean(x, p, "cpu_startup_boost_in_progress", &pods[i].cpu_boost));
        json_t *rc = json_object_get(p, "resize_condition");
        if (rc) {
            TRY(keys(x, rc, "resize_condition", "type", "status", "reason", NULL));
            const char *type = str(rc, "type"), *reason = str(rc, "reason"),
                       *st = str(rc, "status");
            if (!type || !st)
                FAIL("resize condition needs type and status");
            if (strcmp(st, "True") == 0) {
                if (strcmp(type, "PodResizePending") == 0)
                    pods[i].resize_state = reason && strcmp(reason, "Infeasible") == 0
                                               ? VPA_RESIZE_INFEASIBLE
                                               : VPA_RESIZE_DEFERRED;
                else if (strcmp(type, "PodResizeInProgress") == 0)
                    pods[i].resize_state = reason && strcmp(reason, "Error") == 0
                                               ? VPA_RESIZE_ERROR
                                               : VPA_RESIZE_IN_PROGRESS;
                else
                    FAIL("unknown resize condition type");
            }
        }
        n = i + 1;
    }
    int rc = vpa_evict_group_init(&g, &ctrl, pods, n, &cfg);
    json_t *wc = json_object_get(ex, "can_evict"), *we = json_object_get(ex, "evict_success");
    if (json_array_size(wc) != n || json_array_size(we) != n)
        FAIL("expected lists do not match the pods");
    for (i = 0; i < n; i++) {
        int got = rc == 0 && vpa_evict_can(&g, &pods[i]);
        if (got != json_is_true(json_array_get(wc, i)))
            FAIL("can_evict[%zu]: expected %d", i, !got);
    }
    for (i = 0; i < n; i++) {
        int got = rc == 0 && vpa_evict(&g, &pods[i]);
        if (got != json_is_true(json_array_get(we, i)))
            FAIL("evict[%zu]: expected %d", i, !got);
    }
    return 0;
}

/* ---- selection and history ------------------------------------------------- */

static int op_filter_vpas(struct vc *x, json_t *in, json_t *ex)
{
    size_t i, j, k = 0;
    json_t *v, *e;
    TRY(keys(x, in, "input", "recommender_name", "ignored_namespaces", "vpas", NULL));
    TRY(keys(x, ex, "expected", "selected", NULL));
    const char *name = str(in, "recommender_name");
    json_t *want = json_object_get(ex, "selected");
    json_array_foreach(json_object_get(in, "vpas"), i, v)
    {
        const char *recs[MAXN];
        size_t n = 0;
        int ignored = 0;
        TRY(keys(x, v, "vpa", "namespace", "recommenders", NULL));
        json_array_foreach(json_object_get(v, "recommenders"), j, e) if (n < MAXN) recs[n++] =
            json_string_value(e);
        json_array_foreach(json_object_get(in, "ignored_namespaces"), j, e) ignored |=
            str(v, "namespace") && strcmp(json_string_value(e), str(v, "namespace")) == 0;
        if (ignored || !vpa_selects_recommender(recs, n, name))
            continue;
        if (k >= json_array_size(want) || (size_t)json_integer_value(json_array_get(want, k)) != i)
            FAIL("VPA %zu selected unexpectedly", i);
        k++;
    }
    if (k != json_array_size(want))
        FAIL("expected %zu selected, got %zu", json_array_size(want), k);
    return 0;
}

/* One sample of the history: (container key, t, resource, usage). */
struct hsample {
    char pod[128], container[64];
    int64_t t;
    int res;
    int64_t usage;
};

static int op_history(struct vc *x, json_t *in, json_t *ex)
{
    struct vpa_history_config hc;
    char q[3][512];
    static struct hsample s[1024];
    size_t ns = 0, i, j;
    json_t *e, *val;
    TRY(keys(x, in, "input", "config", "responses", NULL));
    TRY(keys(x, ex, "expected", "queries", "error", "history", NULL));
    json_t *c = json_object_get(in, "config");
    TRY(keys(x, c, "config", "history_length", "history_resolution", "pod_label_prefix",
             "pod_labels_metric_name", "pod_namespace_label", "pod_name_label",
             "ctr_namespace_label", "ctr_pod_name_label", "ctr_name_label", "cadvisor_job_name",
             "cpu_metric_name", "memory_metric_name", "namespace", NULL));
    memset(&hc, 0, sizeof hc);
    hc.cpu_metric = str(c, "cpu_metric_name");
    hc.memory_metric = str(c, "memory_metric_name");
    hc.labels_metric = str(c, "pod_labels_metric_name");
    hc.cadvisor_job = str(c, "cadvisor_job_name");
    hc.pod_name_label = str(c, "ctr_pod_name_label");
    hc.name_label = str(c, "ctr_name_label");
    hc.namespace_label = str(c, "ctr_namespace_label");
    hc.namespace_ = str(c, "namespace");
    hc.resolution = str(c, "history_resolution");
    static const char *const qnames[3] = {"cpu_range", "memory_range", "labels_instant"};
    json_t *wq = json_object_get(ex, "queries");
    TRY(keys(x, wq, "queries", "cpu_range", "memory_range", "labels_instant", NULL));
    json_t *resp = json_object_get(in, "responses");
    int err = 0, issued = 0;
    /* CPU, then memory, then labels; the first error stops the load. */
    for (int k = 0; k < 3 && !err; k++) {
        if (vpa_history_query(&hc, k, q[k], sizeof q[k]) < 0)
            FAIL("query too long");
        issued = k + 1;
        json_t *r = json_object_get(resp, q[k]);
        if (!r)
            FAIL("no response for query %s", q[k]);
        TRY(keys(x, r, "response", "series", "error", NULL));
        if (json_object_get(r, "error")) {
            err = 1;
            break;
        }
        json_array_foreach(json_object_get(r, "series"), i, e)
        {
            json_t *lab = json_object_get(e, "labels");
            TRY(keys(x, e, "series", "labels", "values", NULL));
            if (k < 2) {
                const char *ns_ = str(lab, hc.namespace_label), *pod = str(lab, hc.pod_name_label),
                           *name = str(lab, hc.name_label);
                if (!ns_ || !pod || !name)
                    continue;
                json_array_foreach(json_object_get(e, "values"), j, val)
                {
                    if (ns >= 1024)
                        FAIL("too many samples");
                    snprintf(s[ns].pod, sizeof s[ns].pod, "%s/%s", ns_, pod);
                    snprintf(s[ns].container, sizeof s[ns].container, "%s", name);
                    s[ns].t = (int64_t)json_number_value(json_array_get(val, 0));
                    s[ns].res = k;
                    double u = json_number_value(json_array_get(val, 1));
                    s[ns].usage =
                        k == 0 ? vpa_cpu_amount_from_cores(u) : vpa_memory_amount_from_bytes(u);
                    ns++;
                }
            }
        }
    }
    for (int k = 0; k < 3; k++) {
        const char *w = str(wq, qnames[k]);
        if (k < issued ? !w || strcmp(w, q[k]) != 0 : w != NULL)
            FAIL("query %s: expected %s, got %s", qnames[k], w ? w : "(none)",
                 k < issued ? q[k] : "(none)");
    }
    int want_err;
    TRY(boolean(x, ex, "error", &want_err));
    if (err != want_err)
        FAIL("expected error=%d", want_err);
    if (err)
        return 0;
    /* Labels: per pod, the series whose last point is newest. */
    const char *prefix = str(c, "pod_label_prefix");
    json_t *hist = json_object_get(ex, "history");
    json_t *lr = json_object_get(json_object_get(resp, q[2]), "series");
    const char *pk;
    json_t *pv;
    json_object_foreach(hist, pk, pv)
    {
        TRY(keys(x, pv, "history entry", "last_labels", "last_seen", "samples", NULL));
        json_t *best = NULL;
        int64_t best_t = 0;
        json_array_foreach(lr, i, e)
        {
            json_t *lab = json_object_get(e, "labels");
            char key[256];
            snprintf(key, sizeof key, "%s/%s", str(lab, str(c, "pod_namespace_label")) ?: "",
                     str(lab, str(c, "pod_name_label")) ?: "");
            json_t *vals = json_object_get(e, "values");
            if (strcmp(key, pk) != 0 || json_array_size(vals) == 0)
                continue;
            int64_t t = (int64_t)json_number_value(
                json_array_get(json_array_get(vals, json_array_size(vals) - 1), 0));
            if (!best || t > best_t)
                best = lab, best_t = t;
        }
        json_t *ls = json_object_get(pv, "last_seen");
        if (json_is_null(ls) ? best != NULL : !best || json_integer_value(ls) != best_t)
            FAIL("%s: last_seen differs", pk);
        json_t *wl = json_object_get(pv, "last_labels");
        size_t nl = 0;
        const char *lk;
        json_t *lv;
        if (best) {
            json_object_foreach(best, lk, lv)
            {
                if (strncmp(lk, prefix, strlen(prefix)) != 0)
                    continue;
                nl++;
                const char *w = str(wl, lk + strlen(prefix));
                if (!w || strcmp(w, json_string_value(lv)) != 0)
                    FAIL("%s: label %s differs", pk, lk);
            }
        }
        if (nl != json_object_size(wl))
            FAIL("%s: label count differs", pk);
        /* Samples per container, sorted by time. */
        const char *ck;
        json_t *cv;
        size_t total = 0;
        json_object_foreach(json_object_get(pv, "samples"), ck, cv)
        {
            int64_t last = INT64_MIN;
            json_array_foreach(cv, i, e)
            {
                TRY(keys(x, e, "sample", "t_unix", "resource", "usage", NULL));
                int64_t t, u;
                TRY(inum(x, e, "t_unix", &t));
                TRY(inum(x, e, "usage", &u));
                int r = res_index(str(e, "resource")), found = 0;
                for (j = 0; j < ns && !found; j++)
                    found = strcmp(s[j].pod, pk) == 0 && strcmp(s[j].container, ck) == 0 &&
                            s[j].t == t && s[j].res == r && s[j].usage == u;
                if (!found || t < last)
                    FAIL("%s/%s: sample at %lld not produced in order", pk, ck, (long long)t);
                last = t;
                total++;
            }
        }
        size_t have = 0;
        for (j = 0; j < ns; j++)
            have += strcmp(s[j].pod, pk) == 0;
        if (have != total)
            FAIL("%s: expected %zu samples, got %zu", pk, total, have);
    }
    for (j = 0; j < ns; j++)
        if (!json_object_get(hist, s[j].pod))
            FAIL("unexpected history for %.127s", s[j].pod);
    return 0;
}

/* ---- ops described in spec section 0.3 with no vector in the current file ------ */

/* The first of several accepted spellings present in o. */
static json_t *any_of(json_t *o, const char *const *names, const char **which)
{
    for (; *names; names++) {
        json_t *v = json_object_get(o, *names);
        if (v) {
            if (which)
                *which = *names;
            return v;
        }
    }
    return NULL;
}

static int plain_adds(struct vc *x, struct vpa_hist *h, json_t *a)
{
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        json_t *v = json_array_get(e, 0), *w = json_array_get(e, 1);
        if (json_is_object(e)) {
            TRY(keys(x, e, "sample", "value", "weight", NULL));
            v = json_object_get(e, "value");
            w = json_object_get(e, "weight");
        }
        if (!json_is_number(v) || !json_is_number(w))
            FAIL("sample is not [value, weight]");
        if (vpa_hist_add(h, json_number_value(v), json_number_value(w), 0))
            FAIL("histogram add failed");
    }
    return 0;
}

/* percentile_estimator: plain histograms with the default options, samples
 * [value, weight], percentiles; the estimate in cores and bytes. */
static int op_percentile_estimator(struct vc *x, json_t *in, json_t *ex)
{
    static const char *const cs[] = {"cpu_samples", "cpu_histogram", "cpu_histogram_samples",
                                     "cpu_histogram_adds", NULL};
    static const char *const ms[] = {"memory_samples",
                                     "memory_histogram",
                                     "memory_peaks_samples",
                                     "memory_histogram_samples",
                                     "memory_histogram_adds",
                                     "memory_peaks",
                                     NULL};
    static const char *const cp[] = {"cpu_percentile", "target_cpu_percentile", NULL};
    static const char *const mp[] = {"memory_percentile", "target_memory_percentile", NULL};
    struct agg_env env;
    struct vpa_hist hc, hm;
    int rc = 0;
    TRY(keys(x, in, "input", cs[0], cs[1], cs[2], cs[3], ms[0], ms[1], ms[2], ms[3], ms[4], ms[5],
             cp[0], cp[1], mp[0], mp[1], "config", NULL));
    TRY(keys(x, ex, "expected", "cpu_cores", "memory_bytes", "cpu_millicores", "cpu", "memory",
             NULL));
    json_t *pc = any_of(in, cp, NULL), *pm = any_of(in, mp, NULL);
    if (!json_is_number(pc) || !json_is_number(pm))
        FAIL("percentiles missing");
    env_init(&env);
    vpa_hist_init(&hc, &env.cpu, 0);
    vpa_hist_init(&hm, &env.mem, 0);
    if (plain_adds(x, &hc, any_of(in, cs, NULL)) < 0 ||
        plain_adds(x, &hm, any_of(in, ms, NULL)) < 0)
        rc = -1;
    int64_t cpu = vpa_cpu_amount_from_cores(vpa_hist_percentile(&hc, json_number_value(pc)));
    int64_t mem = vpa_memory_amount_from_bytes(vpa_hist_percentile(&hm, json_number_value(pm)));
    vpa_hist_fini(&hc);
    vpa_hist_fini(&hm);
    TRY(rc);
    json_t *w;
    if ((w = json_object_get(ex, "cpu_cores")) || (w = json_object_get(ex, "cpu"))) {
        if (!close_enough(x, vpa_cores_from_cpu_amount(cpu), json_number_value(w)))
            FAIL("cpu: expected %.17g cores, got %lld m", json_number_value(w), (long long)cpu);
    }
    if ((w = json_object_get(ex, "cpu_millicores")) &&
        !close_enough(x, (double)cpu, json_number_value(w)))
        FAIL("cpu: expected %.17g m, got %lld m", json_number_value(w), (long long)cpu);
    if ((w = json_object_get(ex, "memory_bytes")) || (w = json_object_get(ex, "memory"))) {
        if (!close_enough(x, (double)mem, json_number_value(w)))
            FAIL("memory: expected %.17g, got %lld", json_number_value(w), (long long)mem);
    }
    return 0;
}

/* aggregate_by_container_name: containers (namespace, pod, pod labels, name) with
 * samples; aggregates keyed by (namespace, name, labels), then merged by name. */
#define MAXA 16
static int sample_into(struct vc *x, json_t *s, const char *res_hint, struct vpa_container *c,
                       struct vpa_aggregate *a)
{
    int64_t t, u;
    TRY(keys(x, s, "sample", "resource", "usage", "t", "cpu_millicores", "memory_bytes",
             "cpu_cores", "container", NULL));
    const char *res = str(s, "resource") ? str(s, "resource") : res_hint;
    if (json_object_get(s, "cpu_millicores"))
        res = "cpu";
    if (json_object_get(s, "memory_bytes"))
        res = "memory";
    TRY(rel_time(x, s, "t", &t));
    if (json_object_get(s, "cpu_cores")) {
        res = "cpu";
        u = vpa_cpu_amount_from_cores(json_number_value(json_object_get(s, "cpu_cores")));
    } else if (json_object_get(s, "cpu_millicores")) {
        TRY(inum(x, s, "cpu_millicores", &u));
    } else if (json_object_get(s, "memory_bytes")) {
        TRY(inum(x, s, "memory_bytes", &u));
    } else {
        TRY(inum(x, s, "usage", &u));
    }
    int r = res_index(res);
    if (r < 0)
        FAIL("sample without a resource");
    int rc =
        r == VPA_CPU ? vpa_container_add_cpu(c, a, u, t) : vpa_container_add_memory(c, a, u, t);
    if (rc)
        FAIL("sample refused: %s", vpa_strerror(rc));
    return 0;
}

static int hist_equals_list(struct vc *x, struct agg_env *env, const struct vpa_hist *got,
                            json_t *list, int resource)
{
    struct vpa_hist h;
    size_t i;
    json_t *e;
    int rc = 0;
    vpa_hist_init(&h, resource == VPA_CPU ? &env->cpu : &env->mem, DAY_MS);
    json_array_foreach(list, i, e)
    {
        json_t *tj = json_array_get(e, 2);
        int64_t t;
        if (json_is_string(tj)) {
            if (parse_time(json_string_value(tj), &t) < 0)
                rc = -1;
        } else {
            t = x->t0_ms + (int64_t)llround(json_number_value(tj) * 1000);
        }
        if (rc || vpa_hist_add(&h, json_number_value(json_array_get(e, 0)),
                               json_number_value(json_array_get(e, 1)), t))
            rc = -1;
    }
    int eq = vpa_hist_equals(&h, got);
    vpa_hist_fini(&h);
    if (rc)
        FAIL("bad expected histogram");
    return eq ? 0 : 1;
}

static int op_by_container_name(struct vc *x, json_t *in, json_t *ex)
{
    struct agg_env env;
    static struct vpa_aggregate aggs[MAXA], merged[MAXA];
    static struct vpa_container cs[MAXN];
    char *akey[MAXA];
    const char *aname[MAXA], *mname[MAXA];
    int na = 0, nm = 0, cagg[MAXN], rc = 0;
    size_t i, j;
    json_t *c, *s;
    TRY(keys(x, in, "input", "t0", "containers", "samples", "config", NULL));
    if (json_object_get(in, "t0"))
        TRY(time_field(x, in, "t0", &x->t0_ms));
    env_init(&env);
    if (json_object_get(in, "config"))
        TRY(agg_config(x, json_object_get(in, "config"), &env.cfg));
    json_array_foreach(json_object_get(in, "containers"), i, c)
    {
        if (i >= MAXN)
            FAIL("too many containers");
        TRY(keys(x, c, "container", "namespace", "pod", "pod_name", "pod_labels", "labels", "name",
                 "container_name", "samples", "cpu_samples", "memory_samples", NULL));
        const char *name = str(c, "name") ? str(c, "name") : str(c, "container_name");
        json_t *labels = json_object_get(c, "pod_labels") ? json_object_get(c, "pod_labels")
                                                          : json_object_get(c, "labels");
        char *lab = labels ? json_dumps(labels, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
        char key[512];
        snprintf(key, sizeof key, "%s|%s|%s", str(c, "namespace") ? str(c, "namespace") : "",
                 name ? name : "", lab ? lab : "{}");
        free(lab);
        if (!name)
            FAIL("container without name");
        int k = -1;
        for (int a = 0; a < na; a++)
            if (strcmp(akey[a], key) == 0)
                k = a;
        if (k < 0) {
            if (na >= MAXA)
                FAIL("too many aggregates");
            akey[na] = strdup(key);
            aname[na] = name;
            agg_new(&env, &aggs[na], x->t0_ms);
            k = na++;
        }
        cagg[i] = k;
        vpa_container_init(&cs[i]);
        static const char *const lists[3] = {"samples", "cpu_samples", "memory_samples"};
        for (int l = 0; l < 3 && !rc; l++)
            json_array_foreach(json_object_get(c, lists[l]), j, s) if (!rc) rc =
                sample_into(x, s,
                            l == 1   ? "cpu"
                            : l == 2 ? "memory"
                                     : NULL,
                            &cs[i], &aggs[k]);
    }
    json_array_foreach(json_object_get(in, "samples"), j, s)
    {
        json_t *ci = json_object_get(s, "container");
        size_t idx = (size_t)json_integer_value(ci);
        if (!rc &&
            (!json_is_integer(ci) || idx >= json_array_size(json_object_get(in, "containers"))))
            rc = -1, snprintf(x->err, sizeof x->err, "sample for an unknown container");
        if (!rc)
            rc = sample_into(x, s, NULL, &cs[idx], &aggs[cagg[idx]]);
    }
    /* AggregateStateByContainerName: fresh aggregates, merged per name. */
    for (int a = 0; a < na && !rc; a++) {
        int m = -1;
        for (int b = 0; b < nm; b++)
            if (strcmp(mname[b], aname[a]) == 0)
                m = b;
        if (m < 0) {
            mname[nm] = aname[a];
            agg_new(&env, &merged[nm], x->t0_ms);
            m = nm++;
        }
        if (vpa_aggregate_merge(&merged[m], &aggs[a]))
            rc = -1, snprintf(x->err, sizeof x->err, "merge failed");
    }
    const char *name;
    json_t *w;
    if (!rc && json_object_size(ex) != (size_t)nm)
        rc = -1,
        snprintf(x->err, sizeof x->err, "expected %zu names, got %d", json_object_size(ex), nm);
    json_object_foreach(ex, name, w)
    {
        if (rc)
            break;
        int m = -1;
        for (int b = 0; b < nm; b++)
            if (strcmp(mname[b], name) == 0)
                m = b;
        if (m < 0 || keys(x, w, "expected entry", "total_samples_count", "cpu_histogram_equals",
                          "memory_histogram_equals", NULL) < 0) {
            if (m < 0)
                snprintf(x->err, sizeof x->err, "no aggregate for %s", name);
            rc = -1;
            break;
        }
        int64_t n;
        if (json_object_get(w, "total_samples_count")) {
            if (inum(x, w, "total_samples_count", &n) < 0 || n != merged[m].total_samples) {
                snprintf(x->err, sizeof x->err, "%s: total_samples_count %lld", name,
                         (long long)merged[m].total_samples);
                rc = -1;
            }
        }
        if (!rc && json_object_get(w, "cpu_histogram_equals") &&
            (rc = hist_equals_list(x, &env, &merged[m].cpu,
                                   json_object_get(w, "cpu_histogram_equals"), VPA_CPU)) != 0) {
            if (rc > 0)
                snprintf(x->err, sizeof x->err, "%s: cpu histogram differs", name);
            rc = -1;
        }
        if (!rc && json_object_get(w, "memory_histogram_equals") &&
            (rc = hist_equals_list(x, &env, &merged[m].mem,
                                   json_object_get(w, "memory_histogram_equals"), VPA_MEMORY)) !=
                0) {
            if (rc > 0)
                snprintf(x->err, sizeof x->err, "%s: memory histogram differs", name);
            rc = -1;
        }
    }
    for (int a = 0; a < na; a++) {
        vpa_aggregate_fini(&aggs[a]);
        free(akey[a]);
    }
    for (int b = 0; b < nm; b++)
        vpa_aggregate_fini(&merged[b]);
    return rc;
}

/* ---- dispatch ------------------------------------------------------------ */

static int run_one(struct vc *x, json_t *v)
{
    const char *op = str(v, "op");
    json_t *in = json_object_get(v, "input"), *ex = json_object_get(v, "expected");
    json_t *tol = json_object_get(v, "tolerance");
    TRY(keys(x, v, "vector", "id", "category", "source", "op", "input", "expected", "tolerance",
             "derived", "notes", NULL));
    if (!op || !json_is_object(in) || !json_is_object(ex))
        FAIL("vector needs op, input and expected");
    if (tol) {
        TRY(keys(x, tol, "tolerance", "relative", "absolute", NULL));
        if (json_object_get(tol, "relative")) {
            x->has_rel = 1;
            TRY(num(x, tol, "relative", &x->rel));
        }
        if (json_object_get(tol, "absolute")) {
            x->has_abs = 1;
            TRY(num(x, tol, "absolute", &x->abs));
        }
    }
    static const struct {
        const char *op;
        int (*fn)(struct vc *, json_t *, json_t *);
    } ops[] = {
        {"histogram_options", op_histogram_options},
        {"histogram_script", op_histogram_script},
        {"container_state_script", op_container_state},
        {"aggregate_save_checkpoint", op_agg_save},
        {"aggregate_load_checkpoint", op_agg_load},
        {"aggregate_is_expired", op_agg_expired},
        {"aggregate_update_from_policy", op_update_from_policy},
        {"gc_aggregate_states", op_gc},
        {"gc_rate_limited", op_gc_rate},
        {"checkpoint_build_state", op_ckpt_build},
        {"checkpoint_order", op_ckpt_order},
        {"checkpoint_is_fetching_history", op_ckpt_fetching},
        {"checkpoint_gc", op_ckpt_gc},
        {"confidence_multiplier", op_confidence},
        {"margin_estimator", op_margin},
        {"min_resource_estimator", op_min_resource},
        {"pod_recommender", op_pod_recommender},
        {"recommendation_to_list", op_rec_to_list},
        {"capping_apply", op_capping_apply},
        {"apply_vpa_policy", op_apply_vpa_policy},
        {"apply_pod_limit_range", op_apply_pod_lr},
        {"proportional_limit", op_proportional_limit},
        {"scale_quantity_proportionally_cpu", op_scale_cpu},
        {"limit_range_merge", op_lr_merge},
        {"get_update_priority", op_get_priority},
        {"update_priority_calculator", op_calculator},
        {"pod_priority_less", op_priority_less},
        {"has_lower_resource_recommendation", op_has_lower},
        {"scaling_direction_admit", op_admit},
        {"eviction_restriction", op_eviction},
        {"filter_vpas", op_filter_vpas},
        {"prometheus_history", op_history},
        {"percentile_estimator", op_percentile_estimator},
        {"aggregate_by_container_name", op_by_container_name},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].op, op) == 0)
            return ops[i].fn(x, in, ex);
    int rc = op_numeric(x, op, in, ex);
    if (rc == 1)
        FAIL("unknown op '%s'", op);
    return rc;
}

int vectors_run_vpa(json_t *root, struct vec_ctx *ctx)
{
    json_t *vectors = json_object_get(root, "vectors");
    const char *format = str(root, "format");
    if (!json_is_array(vectors) || !format || strcmp(format, "vpa-reference-vectors/1") != 0)
        return -1;
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v)
    {
        struct vc x;
        memset(&x, 0, sizeof x);
        x.id = str(v, "id");
        if (run_one(&x, v) == 0)
            vec_pass(ctx);
        else
            vec_fail(ctx, x.id, "%s", x.err);
    }
    return 0;
}
