/*
 * decode.c - the plumbing of the kobj decoders: arena, field paths, typed field
 * readers, quantities, times, durations and the metadata pieces every object has.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode_internal.h"
#include "podscaler/json_quantity.h"

/* ---- arena ---- */

/* Objects are small (a pod is a few KiB of strings); a chunk holds many. */
#define ARENA_CHUNK 8192

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

struct kobj_arena {
    struct arena_chunk *head;
};

struct kobj_arena *kd_arena_new(void)
{
    return calloc(1, sizeof(struct kobj_arena));
}

void kd_arena_free(struct kobj_arena *a)
{
    if (!a)
        return;
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *kd_alloc(struct kobj_arena *a, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        /* A big one-off allocation goes behind the head so the head's room is kept. */
        if (a->head && size > ARENA_CHUNK) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

void *kd_alloc_array(struct kobj_arena *a, size_t n, size_t size)
{
    if (n == 0 || n > SIZE_MAX / size)
        return NULL;
    return kd_alloc(a, n * size);
}

char *kd_strdup(struct kobj_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = kd_alloc(a, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* ---- context, paths, errors ---- */

void kd_init(struct kd *d, struct kobj_arena *a, struct kobj_error *err, const char *kind)
{
    memset(d, 0, sizeof *d);
    d->arena = a;
    d->err = err;
    d->kind = kind;
    memset(err, 0, sizeof *err);
}

/* Appends n bytes of s to the path, cut where the path is full. The path is
 * built on every field the decoders enter and read only on an error, so this
 * is a copy, not a printf (a fifth of the decode time of a PodMetricsList). */
static void path_append(struct kd *d, const char *s, size_t n)
{
    const size_t room = sizeof d->path - 1 - d->len;
    if (n > room)
        n = room;
    memcpy(d->path + d->len, s, n);
    d->len += n;
    d->path[d->len] = '\0';
}

size_t kd_push(struct kd *d, const char *key)
{
    size_t old = d->len;
    path_append(d, ".", 1);
    path_append(d, key, strlen(key));
    return old;
}

size_t kd_push_index(struct kd *d, size_t i)
{
    size_t old = d->len;
    char buf[24];
    size_t n = sizeof buf;
    buf[--n] = ']';
    do {
        buf[--n] = (char)('0' + i % 10);
        i /= 10;
    } while (i);
    buf[--n] = '[';
    path_append(d, buf + n, sizeof buf - n);
    return old;
}

void kd_pop(struct kd *d, size_t len)
{
    d->len = len;
    d->path[len] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 4, 0)))
#endif
static int
kd_vfail(struct kd *d, const char *key, int code, const char *fmt, va_list ap)
{
    struct kobj_error *e = d->err;
    e->code = code;
    /* The path is cut at the buffer's end rather than refused. */
    size_t n = d->len < sizeof e->path - 1 ? d->len : sizeof e->path - 1;
    memcpy(e->path, d->path, n);
    if (key && n < sizeof e->path - 1) {
        e->path[n++] = '.';
        size_t k = strlen(key);
        if (k > sizeof e->path - 1 - n)
            k = sizeof e->path - 1 - n;
        memcpy(e->path + n, key, k);
        n += k;
    }
    e->path[n] = '\0';
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    return code;
}

int kd_fail(struct kd *d, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kd_vfail(d, NULL, code, fmt, ap);
    va_end(ap);
    return code;
}

int kd_fail_at(struct kd *d, const char *key, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kd_vfail(d, key, code, fmt, ap);
    va_end(ap);
    return code;
}

void kd_finish_error(struct kd *d, const json_t *obj)
{
    struct kobj_error *e = d->err;
    snprintf(e->kind, sizeof e->kind, "%s", d->kind);
    const char *ns = d->ns, *name = d->name;
    if (!name && json_is_object(obj)) {
        const json_t *m = json_object_get(obj, "metadata");
        if (json_is_object(m)) {
            name = json_string_value(json_object_get(m, "name"));
            ns = json_string_value(json_object_get(m, "namespace"));
        }
    }
    snprintf(e->ns, sizeof e->ns, "%s", ns ? ns : "");
    snprintf(e->name, sizeof e->name, "%s", name ? name : "");
}

const char *kobj_error_format(const struct kobj_error *err, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    char who[330];
    if (err->name[0] && err->ns[0])
        snprintf(who, sizeof who, " %s/%s", err->ns, err->name);
    else if (err->name[0])
        snprintf(who, sizeof who, " %s", err->name);
    else
        who[0] = '\0';
    snprintf(buf, cap, "%s%s: %s%s%s", err->kind[0] ? err->kind : "object", who,
             err->path[0] ? err->path : "", err->path[0] ? ": " : "",
             err->message[0] ? err->message : ps_strerror(err->code));
    return buf;
}

const char *kd_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

/* ---- field readers ---- */

/* The value of key, NULL when absent or null; PS_ENOENT when required. */
static int field(struct kd *d, const json_t *parent, const char *key, int required,
                 const json_t **out)
{
    const json_t *v = json_object_get(parent, key);
    if (v && json_is_null(v))
        v = NULL;
    *out = v;
    if (!v && required)
        return kd_fail_at(d, key, PS_ENOENT, "missing");
    return 0;
}

int kd_obj(struct kd *d, const json_t *parent, const char *key, int required, const json_t **out)
{
    int rc = field(d, parent, key, required, out);
    if (rc || !*out)
        return rc;
    if (!json_is_object(*out))
        return kd_fail_at(d, key, PS_EINVAL, "expected an object, got %s", kd_type_name(*out));
    return 0;
}

int kd_arr(struct kd *d, const json_t *parent, const char *key, int required, const json_t **out)
{
    int rc = field(d, parent, key, required, out);
    if (rc || !*out)
        return rc;
    if (!json_is_array(*out))
        return kd_fail_at(d, key, PS_EINVAL, "expected an array, got %s", kd_type_name(*out));
    return 0;
}

int kd_str(struct kd *d, const json_t *parent, const char *key, int required, const char **out)
{
    const json_t *v = NULL;
    int rc = field(d, parent, key, required, &v);
    if (rc || !v)
        return rc;
    if (!json_is_string(v))
        return kd_fail_at(d, key, PS_EINVAL, "expected a string, got %s", kd_type_name(v));
    if (required && json_string_length(v) == 0)
        return kd_fail_at(d, key, PS_ENOENT, "empty");
    /* Names are C strings: an embedded NUL would silently truncate them. */
    if (strlen(json_string_value(v)) != json_string_length(v))
        return kd_fail_at(d, key, PS_EINVAL, "string holds a NUL character");
    *out = kd_strdup(d->arena, json_string_value(v));
    if (!*out)
        return kd_fail_at(d, key, PS_ENOMEM, "out of memory");
    return 0;
}

int kd_int(struct kd *d, const json_t *parent, const char *key, int required, int64_t min,
           int64_t max, int64_t *out, int *present)
{
    const json_t *v = NULL;
    if (present)
        *present = 0;
    int rc = field(d, parent, key, required, &v);
    if (rc || !v)
        return rc;
    if (!json_is_integer(v))
        return kd_fail_at(d, key, PS_EINVAL, "expected an integer, got %s", kd_type_name(v));
    json_int_t x = json_integer_value(v);
    if (x < min) {
        if (min == 0 || min == 1)
            return kd_fail_at(d, key, PS_ENEGATIVE, "%lld is below %" PRId64, (long long)x, min);
        return kd_fail_at(d, key, PS_ERANGE, "%lld is below %" PRId64, (long long)x, min);
    }
    if (x > max)
        return kd_fail_at(d, key, PS_ERANGE, "%lld is above %" PRId64, (long long)x, max);
    *out = (int64_t)x;
    if (present)
        *present = 1;
    return 0;
}

int kd_i32(struct kd *d, const json_t *parent, const char *key, int required, int32_t min,
           int32_t *out, int *present)
{
    int64_t v;
    int has = 0;
    int rc = kd_int(d, parent, key, required, min, INT32_MAX, &v, &has);
    if (rc == 0 && has)
        *out = (int32_t)v;
    if (present)
        *present = has;
    return rc;
}

int kd_bool(struct kd *d, const json_t *parent, const char *key, int *out)
{
    const json_t *v = NULL;
    int rc = field(d, parent, key, 0, &v);
    if (rc || !v)
        return rc;
    if (!json_is_boolean(v))
        return kd_fail_at(d, key, PS_EINVAL, "expected a boolean, got %s", kd_type_name(v));
    *out = json_is_true(v);
    return 0;
}

int kd_time(struct kd *d, const json_t *parent, const char *key, int required, int64_t *out_ms)
{
    const json_t *v = NULL;
    *out_ms = KOBJ_TIME_NONE;
    int rc = field(d, parent, key, required, &v);
    if (rc || !v)
        return rc;
    if (!json_is_string(v))
        return kd_fail_at(d, key, PS_EINVAL, "expected an RFC 3339 time string, got %s",
                          kd_type_name(v));
    rc = kobj_parse_time(json_string_value(v), out_ms);
    if (rc) {
        *out_ms = KOBJ_TIME_NONE;
        return kd_fail_at(d, key, rc, "not an RFC 3339 time: \"%.40s\"", json_string_value(v));
    }
    return 0;
}

int kd_enum(struct kd *d, const json_t *parent, const char *key, int required,
            const char *const *names, int *out, int *present)
{
    const json_t *v = NULL;
    if (present)
        *present = 0;
    int rc = field(d, parent, key, required, &v);
    if (rc || !v)
        return rc;
    if (!json_is_string(v))
        return kd_fail_at(d, key, PS_EINVAL, "expected a string, got %s", kd_type_name(v));
    const char *s = json_string_value(v);
    for (int i = 0; names[i]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            if (present)
                *present = 1;
            return 0;
        }
    }
    return kd_fail_at(d, key, PS_EINVAL, "unknown value \"%.40s\"", s);
}

/* ---- quantities (section 2.7) ---- */

/* Short text of a JSON value for messages. */
static void value_text(const json_t *v, char *text, size_t cap)
{
    if (json_is_string(v))
        snprintf(text, cap, "%.40s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(text, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(text, cap, "%.17g", json_real_value(v));
    else
        snprintf(text, cap, "%s", kd_type_name(v));
}

int kd_quantity(struct kd *d, const json_t *parent, const char *key, int allow_negative,
                struct kobj_qty *out)
{
    const json_t *v = NULL;
    memset(out, 0, sizeof *out);
    int rc = field(d, parent, key, 0, &v);
    if (rc || !v)
        return rc;
    char text[64];
    if (!json_is_string(v) && !json_is_number(v))
        return kd_fail_at(d, key, PS_EINVAL, "expected a quantity, got %s", kd_type_name(v));
    value_text(v, text, sizeof text);
    int set = 0;
    rc = json_quantity_decode(v, &out->q, &set);
    if (rc)
        return kd_fail_at(d, key,
                          rc == QUANTITY_EOVERFLOW ? PS_ERANGE
                          : rc == PS_ENAN          ? PS_ENAN
                                                   : PS_EPARSE,
                          "not a quantity: \"%s\" (%s)", text, quantity_strerror(rc));
    if (!allow_negative && quantity_sign(&out->q) < 0)
        return kd_fail_at(d, key, PS_ENEGATIVE, "negative quantity \"%s\"", text);
    rc = quantity_milli_value(&out->q, &out->milli);
    if (rc)
        return kd_fail_at(d, key, PS_ERANGE, "quantity \"%s\" out of range", text);
    out->present = 1;
    return 0;
}

int kd_resources(struct kd *d, const json_t *parent, const char *key, struct kobj_resources *out)
{
    const json_t *o = NULL;
    out->cpu_milli = KOBJ_UNSET;
    out->mem_bytes = KOBJ_UNSET;
    int rc = kd_obj(d, parent, key, 0, &o);
    if (rc || !o)
        return rc;
    size_t old = kd_push(d, key);
    struct kobj_qty q;
    rc = kd_quantity(d, o, "cpu", 0, &q);
    if (rc == 0 && q.present)
        out->cpu_milli = q.milli;
    if (rc == 0)
        rc = kd_quantity(d, o, "memory", 0, &q);
    if (rc == 0 && q.present) {
        rc = quantity_value(&q.q, &out->mem_bytes);
        if (rc)
            rc = kd_fail_at(d, "memory", PS_ERANGE, "quantity out of range");
    }
    kd_pop(d, old);
    return rc;
}

/* ---- metadata pieces ---- */

int kd_labels(struct kd *d, const json_t *parent, const char *key, struct kobj_label **out,
              size_t *n)
{
    const json_t *o = NULL;
    *out = NULL;
    *n = 0;
    int rc = kd_obj(d, parent, key, 0, &o);
    if (rc || !o || json_object_size(o) == 0)
        return rc;
    struct kobj_label *l = kd_alloc_array(d->arena, json_object_size(o), sizeof *l);
    if (!l)
        return kd_fail_at(d, key, PS_ENOMEM, "out of memory");
    size_t old = kd_push(d, key);
    const char *k;
    const json_t *v = NULL;
    size_t i = 0;
    json_object_foreach((json_t *)(uintptr_t)o, k, v)
    {
        if (!json_is_string(v)) {
            rc = kd_fail_at(d, k, PS_EINVAL, "expected a string, got %s", kd_type_name(v));
            break;
        }
        l[i].key = kd_strdup(d->arena, k);
        l[i].value = kd_strdup(d->arena, json_string_value(v));
        if (!l[i].key || !l[i].value) {
            rc = kd_fail(d, PS_ENOMEM, "out of memory");
            break;
        }
        i++;
    }
    kd_pop(d, old);
    if (rc)
        return rc;
    *out = l;
    *n = i;
    return 0;
}

const char *kobj_label_get(const struct kobj_label *labels, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(labels[i].key, key) == 0)
            return labels[i].value;
    return NULL;
}

static int owner_refs(struct kd *d, const json_t *meta, struct kobj_meta *out)
{
    const json_t *a = NULL;
    int rc = kd_arr(d, meta, "ownerReferences", 0, &a);
    if (rc || !a || json_array_size(a) == 0)
        return rc;
    size_t n = json_array_size(a);
    out->owners = kd_alloc_array(d->arena, n, sizeof *out->owners);
    if (!out->owners)
        return kd_fail(d, PS_ENOMEM, "out of memory");
    size_t old = kd_push(d, "ownerReferences");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const json_t *o = json_array_get(a, i);
        struct kobj_owner_ref *r = &out->owners[i];
        size_t o2 = kd_push_index(d, i);
        if (!json_is_object(o)) {
            rc = kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
        } else {
            rc = kd_str(d, o, "apiVersion", 0, &r->api_version);
            if (rc == 0)
                rc = kd_str(d, o, "kind", 1, &r->kind);
            if (rc == 0)
                rc = kd_str(d, o, "name", 1, &r->name);
            if (rc == 0)
                rc = kd_str(d, o, "uid", 0, &r->uid);
            if (rc == 0)
                rc = kd_bool(d, o, "controller", &r->controller);
        }
        kd_pop(d, o2);
    }
    kd_pop(d, old);
    out->n_owners = rc ? 0 : n;
    return rc;
}

int kd_meta(struct kd *d, const json_t *obj, int name_required, int ns_required,
            struct kobj_meta *out)
{
    const json_t *m = NULL;
    memset(out, 0, sizeof *out);
    out->creation_ms = KOBJ_TIME_NONE;
    out->deletion_ms = KOBJ_TIME_NONE;
    int rc = kd_obj(d, obj, "metadata", name_required || ns_required, &m);
    if (rc || !m)
        return rc;
    size_t old = kd_push(d, "metadata");
    rc = kd_str(d, m, "name", name_required, &out->name);
    if (rc == 0)
        rc = kd_str(d, m, "namespace", ns_required, &out->ns);
    if (rc == 0) {
        d->name = out->name;
        d->ns = out->ns;
        rc = kd_str(d, m, "uid", 0, &out->uid);
    }
    if (rc == 0)
        rc = kd_str(d, m, "resourceVersion", 0, &out->resource_version);
    if (rc == 0)
        rc = kd_int(d, m, "generation", 0, 0, INT64_MAX, &out->generation, NULL);
    if (rc == 0)
        rc = kd_time(d, m, "creationTimestamp", 0, &out->creation_ms);
    if (rc == 0)
        rc = kd_time(d, m, "deletionTimestamp", 0, &out->deletion_ms);
    if (rc == 0)
        rc = kd_labels(d, m, "labels", &out->labels, &out->n_labels);
    if (rc == 0)
        rc = owner_refs(d, m, out);
    kd_pop(d, old);
    return rc;
}

int kd_ref(struct kd *d, const json_t *parent, const char *key, int required, struct kobj_ref *out)
{
    const json_t *o = NULL;
    memset(out, 0, sizeof *out);
    int rc = kd_obj(d, parent, key, required, &o);
    if (rc || !o)
        return rc;
    size_t old = kd_push(d, key);
    rc = kd_str(d, o, "apiVersion", 0, &out->api_version);
    if (rc == 0)
        rc = kd_str(d, o, "kind", 1, &out->kind);
    if (rc == 0)
        rc = kd_str(d, o, "name", 1, &out->name);
    kd_pop(d, old);
    return rc;
}

/* ---- label selectors (section 3.6) ---- */

static const char *const selector_ops[] = {"In", "NotIn", "Exists", "DoesNotExist", NULL};

static int selector_expr(struct kd *d, const json_t *o, struct kobj_selector_req *r)
{
    if (!json_is_object(o))
        return kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
    int op = 0;
    int rc = kd_str(d, o, "key", 1, &r->key);
    if (rc == 0)
        rc = kd_enum(d, o, "operator", 1, selector_ops, &op, NULL);
    r->op = (uint8_t)op;
    const json_t *vals = NULL;
    if (rc == 0)
        rc = kd_arr(d, o, "values", 0, &vals);
    if (rc || !vals || json_array_size(vals) == 0)
        return rc;
    size_t n = json_array_size(vals);
    r->values = kd_alloc_array(d->arena, n, sizeof *r->values);
    if (!r->values)
        return kd_fail(d, PS_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(vals, i);
        if (!json_is_string(v)) {
            size_t old = kd_push(d, "values");
            kd_push_index(d, i);
            rc = kd_fail(d, PS_EINVAL, "expected a string, got %s", kd_type_name(v));
            kd_pop(d, old);
            return rc;
        }
        r->values[i] = kd_strdup(d->arena, json_string_value(v));
        if (!r->values[i])
            return kd_fail(d, PS_ENOMEM, "out of memory");
    }
    r->n_values = n;
    return 0;
}

int kd_selector(struct kd *d, const json_t *parent, const char *key, struct kobj_selector *out)
{
    const json_t *o = NULL, *exprs = NULL;
    memset(out, 0, sizeof *out);
    int rc = kd_obj(d, parent, key, 0, &o);
    if (rc || !o)
        return rc;
    out->present = 1;
    size_t old = kd_push(d, key);
    rc = kd_labels(d, o, "matchLabels", &out->match_labels, &out->n_match_labels);
    if (rc == 0)
        rc = kd_arr(d, o, "matchExpressions", 0, &exprs);
    if (rc == 0 && exprs && json_array_size(exprs) > 0) {
        size_t n = json_array_size(exprs);
        out->exprs = kd_alloc_array(d->arena, n, sizeof *out->exprs);
        if (!out->exprs)
            rc = kd_fail(d, PS_ENOMEM, "out of memory");
        size_t o2 = kd_push(d, "matchExpressions");
        for (size_t i = 0; i < n && rc == 0; i++) {
            size_t o3 = kd_push_index(d, i);
            rc = selector_expr(d, json_array_get(exprs, i), &out->exprs[i]);
            kd_pop(d, o3);
        }
        kd_pop(d, o2);
        if (rc == 0)
            out->n_exprs = n;
    }
    kd_pop(d, old);
    return rc;
}

int kobj_selector_matches(const struct kobj_selector *sel, const struct kobj_label *labels,
                          size_t n_labels)
{
    if (!sel->present)
        return 0;
    for (size_t i = 0; i < sel->n_match_labels; i++) {
        const char *v = kobj_label_get(labels, n_labels, sel->match_labels[i].key);
        if (!v || strcmp(v, sel->match_labels[i].value) != 0)
            return 0;
    }
    for (size_t i = 0; i < sel->n_exprs; i++) {
        const struct kobj_selector_req *r = &sel->exprs[i];
        const char *v = kobj_label_get(labels, n_labels, r->key);
        int in = 0;
        for (size_t k = 0; v && k < r->n_values; k++)
            if (strcmp(v, r->values[k]) == 0)
                in = 1;
        switch (r->op) {
        case KOBJ_SEL_IN:
            if (!in)
                return 0;
            break;
        case KOBJ_SEL_NOT_IN: /* upstream: an absent label satisfies NotIn */
            if (in)
                return 0;
            break;
        case KOBJ_SEL_EXISTS:
            if (!v)
                return 0;
            break;
        case KOBJ_SEL_DOES_NOT_EXIST:
            if (v)
                return 0;
            break;
        default:
            return 0;
        }
    }
    return 1;
}

/* ---- conditions, containers, recommendations ---- */

int kd_conditions(struct kd *d, const json_t *parent, const char *key, struct kobj_condition **out,
                  size_t *n_out)
{
    const json_t *a = NULL;
    *out = NULL;
    *n_out = 0;
    int rc = kd_arr(d, parent, key, 0, &a);
    if (rc || !a || json_array_size(a) == 0)
        return rc;
    size_t n = json_array_size(a);
    struct kobj_condition *c = kd_alloc_array(d->arena, n, sizeof *c);
    if (!c)
        return kd_fail_at(d, key, PS_ENOMEM, "out of memory");
    size_t old = kd_push(d, key);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const json_t *o = json_array_get(a, i);
        size_t o2 = kd_push_index(d, i);
        const char *status = NULL;
        if (!json_is_object(o)) {
            rc = kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
        } else {
            rc = kd_str(d, o, "type", 1, &c[i].type);
            if (rc == 0)
                rc = kd_str(d, o, "status", 0, &status);
            if (rc == 0)
                rc = kd_time(d, o, "lastTransitionTime", 0, &c[i].last_transition_ms);
            if (rc == 0)
                rc = kd_str(d, o, "reason", 0, &c[i].reason);
            if (rc == 0)
                rc = kd_str(d, o, "message", 0, &c[i].message);
        }
        if (status && strcmp(status, "True") == 0)
            c[i].status = KOBJ_COND_TRUE;
        else if (status && strcmp(status, "False") == 0)
            c[i].status = KOBJ_COND_FALSE;
        else
            c[i].status = KOBJ_COND_UNKNOWN;
        kd_pop(d, o2);
    }
    kd_pop(d, old);
    if (rc)
        return rc;
    *out = c;
    *n_out = n;
    return 0;
}

const struct kobj_condition *kobj_condition_find(const struct kobj_condition *c, size_t n,
                                                 const char *type)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].type && strcmp(c[i].type, type) == 0)
            return &c[i];
    return NULL;
}

static int container(struct kd *d, const json_t *o, struct kobj_container *c)
{
    if (!json_is_object(o))
        return kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
    const json_t *res = NULL;
    const char *restart = NULL;
    c->requests.cpu_milli = c->requests.mem_bytes = KOBJ_UNSET;
    c->limits.cpu_milli = c->limits.mem_bytes = KOBJ_UNSET;
    int rc = kd_str(d, o, "name", 1, &c->name);
    if (rc == 0)
        rc = kd_str(d, o, "restartPolicy", 0, &restart);
    if (rc == 0 && restart && strcmp(restart, "Always") == 0)
        c->sidecar = 1;
    if (rc == 0)
        rc = kd_obj(d, o, "resources", 0, &res);
    if (rc == 0 && res) {
        size_t old = kd_push(d, "resources");
        rc = kd_resources(d, res, "requests", &c->requests);
        if (rc == 0)
            rc = kd_resources(d, res, "limits", &c->limits);
        kd_pop(d, old);
    }
    return rc;
}

int kd_containers(struct kd *d, const json_t *parent, const char *key, int required,
                  struct kobj_container **out, size_t *n_out)
{
    const json_t *a = NULL;
    *out = NULL;
    *n_out = 0;
    int rc = kd_arr(d, parent, key, required, &a);
    if (rc || !a)
        return rc;
    size_t n = json_array_size(a);
    if (n == 0)
        return required ? kd_fail_at(d, key, PS_ENOENT, "no containers") : 0;
    struct kobj_container *c = kd_alloc_array(d->arena, n, sizeof *c);
    if (!c)
        return kd_fail_at(d, key, PS_ENOMEM, "out of memory");
    size_t old = kd_push(d, key);
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t o2 = kd_push_index(d, i);
        rc = container(d, json_array_get(a, i), &c[i]);
        kd_pop(d, o2);
    }
    kd_pop(d, old);
    if (rc)
        return rc;
    *out = c;
    *n_out = n;
    return 0;
}

int kd_recommendations(struct kd *d, const json_t *parent, const char *key,
                       struct kobj_recommendation **out, size_t *n_out)
{
    const json_t *rec = NULL, *a = NULL;
    *out = NULL;
    *n_out = 0;
    int rc = kd_obj(d, parent, key, 0, &rec);
    if (rc || !rec)
        return rc;
    size_t old = kd_push(d, key);
    rc = kd_arr(d, rec, "containerRecommendations", 0, &a);
    size_t n = a ? json_array_size(a) : 0;
    if (rc == 0 && n > 0) {
        struct kobj_recommendation *r = kd_alloc_array(d->arena, n, sizeof *r);
        if (!r)
            rc = kd_fail(d, PS_ENOMEM, "out of memory");
        size_t o2 = kd_push(d, "containerRecommendations");
        for (size_t i = 0; i < n && rc == 0; i++) {
            const json_t *o = json_array_get(a, i);
            size_t o3 = kd_push_index(d, i);
            if (!json_is_object(o))
                rc = kd_fail(d, PS_EINVAL, "expected an object, got %s", kd_type_name(o));
            if (rc == 0)
                rc = kd_str(d, o, "containerName", 1, &r[i].container_name);
            if (rc == 0)
                rc = kd_resources(d, o, "target", &r[i].target);
            if (rc == 0)
                rc = kd_resources(d, o, "lowerBound", &r[i].lower_bound);
            if (rc == 0)
                rc = kd_resources(d, o, "upperBound", &r[i].upper_bound);
            if (rc == 0)
                rc = kd_resources(d, o, "uncappedTarget", &r[i].uncapped_target);
            kd_pop(d, o3);
        }
        kd_pop(d, o2);
        if (rc == 0) {
            *out = r;
            *n_out = n;
        }
    }
    kd_pop(d, old);
    return rc;
}

/* ---- one object with its own arena ---- */

int kd_decode_one(const json_t *j, const char *kind, kd_body_fn body, void *out, size_t size,
                  struct kobj_arena **arena_out, struct kobj_error *err)
{
    struct kd d;
    memset(out, 0, size);
    struct kobj_arena *a = kd_arena_new();
    kd_init(&d, a, err, kind);
    if (!a) {
        kd_fail(&d, PS_ENOMEM, "out of memory");
        kd_finish_error(&d, j);
        return PS_ENOMEM;
    }
    int rc;
    if (!json_is_object(j))
        rc = kd_fail(&d, PS_EINVAL, "expected an object, got %s", j ? kd_type_name(j) : "nothing");
    else
        rc = body(&d, j, out);
    if (rc) {
        kd_finish_error(&d, j);
        kd_arena_free(a);
        memset(out, 0, size);
        return rc;
    }
    *arena_out = a;
    return 0;
}

/* ---- time and duration text ---- */

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (the
 * well-known days_from_civil arithmetic; no time zone database involved). */
static int64_t days_from_civil(int64_t y, int m, int dd)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int kobj_parse_time(const char *s, int64_t *out_ms)
{
    int y, mo, dd, h, mi, se;
    size_t len = strlen(s);
    if (len < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &dd) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return PS_EPARSE;
    if (y < 1 || mo < 1 || mo > 12 || dd < 1 || dd > days_in_month(y, mo) || h > 23 || mi > 59 ||
        se > 59)
        return PS_ERANGE;
    const char *p = s + 19;
    int64_t frac_ms = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
            nd++;
            p++;
        }
        if (nd == 0)
            return PS_EPARSE;
        for (int i = nd; i < 3; i++)
            frac_ms *= 10;
    }
    int64_t off_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om))
            return PS_EPARSE;
        if (oh > 23 || om > 59)
            return PS_ERANGE;
        off_s = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return PS_EPARSE;
    }
    if (*p != '\0')
        return PS_EPARSE;
    int64_t days = days_from_civil(y, mo, dd);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off_s;
    *out_ms = secs * 1000 + frac_ms;
    return 0;
}

/* Units of Go's time.ParseDuration, in nanoseconds. */
static const struct {
    const char *name;
    uint64_t ns;
} duration_units[] = {
    {"ns", 1},
    {"us", 1000},
    {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
    {"ms", 1000000},
    {"s", UINT64_C(1000000000)},
    {"m", UINT64_C(60000000000)},
    {"h", UINT64_C(3600000000000)},
};

int kobj_parse_duration_ns(const char *s, int64_t *out_ns)
{
    int neg = 0;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (strcmp(s, "0") == 0) {
        *out_ns = 0;
        return 0;
    }
    if (*s == '\0')
        return PS_EPARSE;
    uint64_t total = 0;
    /* Go allows up to 1<<63 for a negative duration, 1<<63 - 1 otherwise. */
    const uint64_t limit = neg ? (UINT64_C(1) << 63) : (UINT64_C(1) << 63) - 1;
    while (*s) {
        uint64_t v = 0, f = 0, scale = 1;
        int pre = 0, post = 0;
        while (*s >= '0' && *s <= '9') {
            if (v > (UINT64_C(1) << 63) / 10)
                return PS_ERANGE;
            v = v * 10 + (uint64_t)(*s - '0');
            if (v > UINT64_C(1) << 63)
                return PS_ERANGE;
            s++;
            pre = 1;
        }
        if (*s == '.') {
            s++;
            while (*s >= '0' && *s <= '9') {
                /* digits past what fits are dropped, as Go's leadingFraction does */
                if (scale <= UINT64_MAX / 100) {
                    f = f * 10 + (uint64_t)(*s - '0');
                    scale *= 10;
                }
                s++;
                post = 1;
            }
        }
        if (!pre && !post)
            return PS_EPARSE;
        size_t ul = 0;
        while (s[ul] && s[ul] != '.' && (s[ul] < '0' || s[ul] > '9'))
            ul++;
        if (ul == 0)
            return PS_EPARSE; /* Go: "missing unit" */
        uint64_t unit = 0;
        for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
            if (strlen(duration_units[i].name) == ul && memcmp(s, duration_units[i].name, ul) == 0)
                unit = duration_units[i].ns;
        }
        if (unit == 0)
            return PS_EPARSE;
        s += ul;
        if (v > (UINT64_C(1) << 63) / unit)
            return PS_ERANGE;
        v *= unit;
        if (f > 0) {
            /* f / scale of a unit, computed in floating point as Go does */
            v += (uint64_t)((double)f * ((double)unit / (double)scale));
            if (v > UINT64_C(1) << 63)
                return PS_ERANGE;
        }
        total += v;
        if (total > limit)
            return PS_ERANGE;
    }
    if (neg)
        *out_ns = total == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)total;
    else
        *out_ns = (int64_t)total;
    return 0;
}
