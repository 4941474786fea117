/*
 * vectors_quantity.c - runs ../shared/vectors/quantity.json (schema:
 * spec/kubernetes-api.md section 1) against common/quantity.c and, for the
 * json_decode array, common/io/json_quantity.c.
 *
 * Every entry counts once: passed when all its fields match, else one FAIL line
 * naming the input and each expected/got pair. Document-level problems (unknown
 * top-level keys, counts that do not match the arrays) are failures too.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/json_quantity.h"
#include "podscaler/quantity.h"
#include "vectors.h"

/* The failure text of one entry: every mismatch, appended. */
struct msg {
    char text[2048];
    size_t len;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
msg_add(struct msg *m, const char *fmt, ...)
{
    va_list ap;
    if (m->len + 3 >= sizeof m->text)
        return;
    if (m->len > 0) {
        m->text[m->len++] = ';';
        m->text[m->len++] = ' ';
    }
    va_start(ap, fmt);
    int n = vsnprintf(m->text + m->len, sizeof m->text - m->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        m->len += (size_t)n;
    if (m->len >= sizeof m->text)
        m->len = sizeof m->text - 1;
}

/* Reports the entry: passed when no mismatch was recorded. */
static void finish(struct vec_ctx *ctx, const char *id, struct msg *m)
{
    if (m->len == 0)
        vec_pass(ctx);
    else
        vec_fail(ctx, id, "%s", m->text);
}

static const char *rc_name(int rc)
{
    return rc == 0 ? "ok" : quantity_strerror(rc);
}

/* Checks the entry's keys; records the first unknown one. */
static int keys_ok(json_t *e, const char *const *allowed, struct msg *m)
{
    const char *unknown = NULL;
    if (!json_is_object(e)) {
        msg_add(m, "entry is not an object");
        return 0;
    }
    if (!vec_keys_known(e, allowed, &unknown)) {
        char *dump = json_dumps(e, JSON_COMPACT);
        msg_add(m, "unknown field \"%s\" in %s", unknown, dump ? dump : "(entry)");
        free(dump);
        return 0;
    }
    return 1;
}

static const char *req_string(json_t *e, const char *key, struct msg *m)
{
    json_t *v = json_object_get(e, key);
    if (!json_is_string(v)) {
        msg_add(m, "field \"%s\" missing or not a string", key);
        return NULL;
    }
    return json_string_value(v);
}

/* Parses a string field of the entry, embedded NULs included. */
static int parse_field(json_t *e, const char *key, quantity *q)
{
    json_t *v = json_object_get(e, key);
    return quantity_parse(json_string_value(v), json_string_length(v), q);
}

static void canonical_of(const quantity *q, char *buf)
{
    if (quantity_format_canonical(q, buf, QUANTITY_TEXT_MAX) < 0)
        strcpy(buf, "(format error)");
}

static void exact_of(const quantity *q, char *buf)
{
    if (quantity_format_exact(q, buf, QUANTITY_TEXT_MAX) < 0)
        strcpy(buf, "(format error)");
}

/* Compares an integer view with a vector's int-or-null field. */
static void check_int_view(json_t *e, const char *key, const quantity *q, int scale, struct msg *m)
{
    json_t *want = json_object_get(e, key);
    int64_t got = 0;
    int rc = quantity_scaled_value(q, scale, &got);
    if (json_is_null(want)) {
        if (rc != PS_ERANGE)
            msg_add(m, "%s expected null (out of int64) got %s %lld", key, rc_name(rc),
                    (long long)got);
    } else if (json_is_integer(want)) {
        if (rc != 0 || got != (int64_t)json_integer_value(want))
            msg_add(m, "%s expected %lld got %s %lld", key, (long long)json_integer_value(want),
                    rc_name(rc), (long long)got);
    } else {
        msg_add(m, "field \"%s\" missing or neither integer nor null", key);
    }
}

/* parse, controller_typical (with_values) and accepted_degenerate. */
static void run_parse_entry(json_t *e, const char *id, int with_values, struct vec_ctx *ctx)
{
    static const char *const keys_values[] = {"input",  "canonical",   "format",    "exact",
                                              "value",  "milli_value", "go_string", "note",
                                              "origin", NULL};
    static const char *const keys_plain[] = {"input",     "canonical", "format", "exact",
                                             "go_string", "origin",    NULL};
    struct msg m = {0};
    if (!keys_ok(e, with_values ? keys_values : keys_plain, &m)) {
        finish(ctx, id, &m);
        return;
    }
    const char *input = req_string(e, "input", &m);
    const char *canonical = req_string(e, "canonical", &m);
    const char *format = req_string(e, "format", &m);
    const char *exact = req_string(e, "exact", &m);
    if (!input || !canonical || !format || !exact) {
        finish(ctx, id, &m);
        return;
    }
    quantity q;
    int rc = parse_field(e, "input", &q);
    if (rc != 0) {
        msg_add(&m, "input \"%s\": expected to parse, got error %d (%s)", input, rc, rc_name(rc));
        finish(ctx, id, &m);
        return;
    }
    char got[QUANTITY_TEXT_MAX];
    canonical_of(&q, got);
    if (strcmp(got, canonical) != 0)
        msg_add(&m, "input \"%s\": canonical expected \"%s\" got \"%s\"", input, canonical, got);
    const char *fname = quantity_format_name(quantity_get_format(&q));
    if (strcmp(fname, format) != 0)
        msg_add(&m, "input \"%s\": format expected %s got %s", input, format, fname);
    exact_of(&q, got);
    if (strcmp(got, exact) != 0)
        msg_add(&m, "input \"%s\": exact expected %s got %s", input, exact, got);
    if (with_values) {
        check_int_view(e, "value", &q, 0, &m);
        check_int_view(e, "milli_value", &q, -3, &m);
    }
    /* The vectors promise canonical text re-parses to the same value and text. */
    quantity again;
    char got2[QUANTITY_TEXT_MAX];
    canonical_of(&q, got);
    rc = quantity_parse_cstr(got, &again);
    canonical_of(&again, got2);
    if (rc != 0 || quantity_cmp(&q, &again) != 0 || strcmp(got, got2) != 0)
        msg_add(&m, "input \"%s\": canonical \"%s\" re-parses as %s \"%s\"", input, got,
                rc_name(rc), got2);
    finish(ctx, id, &m);
}

static void run_invalid_entry(json_t *e, const char *id, struct vec_ctx *ctx)
{
    static const char *const keys[] = {"input", "origin", NULL};
    struct msg m = {0};
    if (keys_ok(e, keys, &m)) {
        const char *input = req_string(e, "input", &m);
        if (input) {
            quantity q;
            int rc = parse_field(e, "input", &q);
            if (rc == 0) {
                char got[QUANTITY_TEXT_MAX];
                canonical_of(&q, got);
                msg_add(&m, "input \"%s\": expected an error, got \"%s\"", input, got);
            } else if (rc != QUANTITY_EEMPTY && rc != QUANTITY_ESYNTAX && rc != QUANTITY_ESUFFIX &&
                       rc != QUANTITY_EOVERFLOW) {
                msg_add(&m, "input \"%s\": error %d (%s) is no parse error", input, rc,
                        rc_name(rc));
            }
        }
    }
    finish(ctx, id, &m);
}

static int format_from_name(const char *name, enum quantity_format *f)
{
    for (int i = QUANTITY_DECIMAL_SI; i <= QUANTITY_DECIMAL_EXPONENT; i++) {
        if (strcmp(name, quantity_format_name((enum quantity_format)i)) == 0) {
            *f = (enum quantity_format)i;
            return 1;
        }
    }
    /* Unknown names must behave as DecimalExponent: pass a value outside the enum. */
    *f = (enum quantity_format)(QUANTITY_DECIMAL_EXPONENT + 40);
    return 0;
}

static void run_construct_entry(json_t *e, const char *id, struct vec_ctx *ctx)
{
    static const char *const keys[] = {"op",     "value",  "format", "scale",
                                       "expect", "origin", "note",   NULL};
    struct msg m = {0};
    if (!keys_ok(e, keys, &m)) {
        finish(ctx, id, &m);
        return;
    }
    const char *op = req_string(e, "op", &m);
    const char *format = req_string(e, "format", &m);
    const char *expect = req_string(e, "expect", &m);
    json_t *value = json_object_get(e, "value");
    json_t *scale = json_object_get(e, "scale");
    if (!json_is_integer(value))
        msg_add(&m, "field \"value\" missing or not an integer");
    if (!op || !format || !expect || !json_is_integer(value)) {
        finish(ctx, id, &m);
        return;
    }
    int64_t v = (int64_t)json_integer_value(value);
    enum quantity_format f;
    (void)format_from_name(format, &f);
    quantity q = {0};
    int rc = 0;
    if (strcmp(op, "scaled") == 0) {
        if (!json_is_integer(scale)) {
            msg_add(&m, "op scaled needs an integer \"scale\"");
        } else {
            rc = quantity_from_scaled(v, (int)json_integer_value(scale), &q);
        }
    } else if (strcmp(op, "milli") == 0 || strcmp(op, "value") == 0) {
        if (scale)
            msg_add(&m, "\"scale\" given for op %s", op);
        else if (op[0] == 'm')
            quantity_from_milli(v, f, &q);
        else
            quantity_from_value(v, f, &q);
    } else {
        msg_add(&m, "unknown op \"%s\"", op);
    }
    if (m.len == 0) {
        char got[QUANTITY_TEXT_MAX];
        canonical_of(&q, got);
        if (rc != 0 || strcmp(got, expect) != 0)
            msg_add(&m, "%s(%lld, %s%s): expected \"%s\" got %s \"%s\"", op, (long long)v, format,
                    scale ? ", scale" : "", expect, rc_name(rc), got);
    }
    finish(ctx, id, &m);
}

static void run_round_up_entry(json_t *e, const char *id, struct vec_ctx *ctx)
{
    static const char *const keys[] = {"input", "scale", "expect", "exact", "origin", NULL};
    struct msg m = {0};
    if (!keys_ok(e, keys, &m)) {
        finish(ctx, id, &m);
        return;
    }
    const char *input = req_string(e, "input", &m);
    const char *expect = req_string(e, "expect", &m);
    json_t *scale = json_object_get(e, "scale");
    json_t *exact = json_object_get(e, "exact");
    if (!json_is_integer(scale) || !json_is_boolean(exact))
        msg_add(&m, "\"scale\" (integer) or \"exact\" (boolean) missing");
    if (m.len) {
        finish(ctx, id, &m);
        return;
    }
    quantity q;
    int rc = parse_field(e, "input", &q);
    int was_exact = -1;
    if (rc == 0)
        rc = quantity_round_up(&q, (int)json_integer_value(scale), &was_exact);
    char got[QUANTITY_TEXT_MAX];
    canonical_of(&q, got);
    if (rc != 0 || strcmp(got, expect) != 0 || was_exact != json_is_true(exact))
        msg_add(&m, "round_up(\"%s\", %lld): expected \"%s\" exact=%d got %s \"%s\" exact=%d",
                input, (long long)json_integer_value(scale), expect, json_is_true(exact),
                rc_name(rc), got, was_exact);
    finish(ctx, id, &m);
}

static void run_compare_entry(json_t *e, const char *id, struct vec_ctx *ctx)
{
    static const char *const keys[] = {"a", "b", "cmp", "origin", NULL};
    struct msg m = {0};
    if (!keys_ok(e, keys, &m)) {
        finish(ctx, id, &m);
        return;
    }
    const char *a = req_string(e, "a", &m);
    const char *b = req_string(e, "b", &m);
    json_t *cmp = json_object_get(e, "cmp");
    if (!json_is_integer(cmp))
        msg_add(&m, "field \"cmp\" missing or not an integer");
    if (m.len) {
        finish(ctx, id, &m);
        return;
    }
    quantity qa, qb;
    int ra = parse_field(e, "a", &qa), rb = parse_field(e, "b", &qb);
    int want = (int)json_integer_value(cmp);
    int ab = quantity_cmp(&qa, &qb), ba = quantity_cmp(&qb, &qa);
    if (ra != 0 || rb != 0 || ab != want || ba != -want)
        msg_add(&m, "cmp(\"%s\", \"%s\"): expected %d got %d (parse %s/%s, reversed %d)", a, b,
                want, ab, rc_name(ra), rc_name(rb), ba);
    finish(ctx, id, &m);
}

static void run_to_float_entry(json_t *e, const char *id, struct vec_ctx *ctx)
{
    static const char *const keys[] = {"input", "float", "origin", NULL};
    struct msg m = {0};
    if (!keys_ok(e, keys, &m)) {
        finish(ctx, id, &m);
        return;
    }
    const char *input = req_string(e, "input", &m);
    json_t *fl = json_object_get(e, "float");
    if (!json_is_number(fl))
        msg_add(&m, "field \"float\" missing or not a number");
    if (m.len) {
        finish(ctx, id, &m);
        return;
    }
    quantity q;
    int rc = parse_field(e, "input", &q);
    double want = json_number_value(fl), got = quantity_to_double(&q);
    /* "Approximate": a relative 1e-12 is far below what callers rely on, far
     * above double rounding of the exact value. */
    double tol = 1e-12 * (fabs(want) > 1.0 ? fabs(want) : 1.0);
    if (rc != 0 || !(fabs(got - want) <= tol))
        msg_add(&m, "to_float(\"%s\"): expected %.17g got %s %.17g", input, want, rc_name(rc), got);
    finish(ctx, id, &m);
}

static void run_json_decode_entry(json_t *e, const char *id, struct vec_ctx *ctx)
{
    static const char *const keys[] = {"json",  "canonical", "exact",  "bare_number", "error",
                                       "unset", "note",      "origin", NULL};
    struct msg m = {0};
    if (!keys_ok(e, keys, &m)) {
        finish(ctx, id, &m);
        return;
    }
    const char *text = req_string(e, "json", &m);
    json_t *bare = json_object_get(e, "bare_number");
    json_t *err = json_object_get(e, "error");
    json_t *unset = json_object_get(e, "unset");
    json_t *canonical = json_object_get(e, "canonical");
    json_t *exact = json_object_get(e, "exact");
    if (!json_is_boolean(bare) || (err && !json_is_boolean(err)) ||
        (unset && !json_is_boolean(unset)))
        msg_add(&m, "\"bare_number\", \"error\" or \"unset\" missing or not boolean");
    int want_error = json_is_true(err), want_unset = json_is_true(unset);
    if (!want_error && !want_unset && (!json_is_string(canonical) || !json_is_string(exact)))
        msg_add(&m, "\"canonical\" and \"exact\" strings required for a value");
    if (m.len) {
        finish(ctx, id, &m);
        return;
    }
    json_error_t jerr;
    json_t *v = json_loadb(text, json_string_length(json_object_get(e, "json")),
                           JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!v) {
        msg_add(&m, "json %s: not valid JSON: %s", text, jerr.text);
        finish(ctx, id, &m);
        return;
    }
    if (json_is_number(v) != json_is_true(bare))
        msg_add(&m, "json %s: bare_number is %d but jansson reads a %s", text, json_is_true(bare),
                json_is_number(v) ? "number" : "non-number");
    quantity q;
    int set = -1;
    int rc = json_quantity_decode(v, &q, &set);
    char got[QUANTITY_TEXT_MAX], got_exact[QUANTITY_TEXT_MAX];
    canonical_of(&q, got);
    exact_of(&q, got_exact);
    if (want_error) {
        if (rc == 0)
            msg_add(&m, "json %s: expected an error, got \"%s\" (set=%d)", text, got, set);
    } else if (want_unset) {
        if (rc != 0 || set != 0)
            msg_add(&m, "json %s: expected unset, got %s set=%d \"%s\"", text, rc_name(rc), set,
                    got);
    } else if (rc != 0 || set != 1) {
        msg_add(&m, "json %s: expected \"%s\", got %s set=%d", text, json_string_value(canonical),
                rc_name(rc), set);
    } else {
        if (strcmp(got_exact, json_string_value(exact)) != 0)
            msg_add(&m, "json %s: exact expected %s got %s", text, json_string_value(exact),
                    got_exact);
        /* jansson keeps no literal text of numbers (schema note), so the
         * remembered format of a bare number may differ: compare text only for
         * strings. */
        if (!json_is_true(bare) && strcmp(got, json_string_value(canonical)) != 0)
            msg_add(&m, "json %s: canonical expected \"%s\" got \"%s\"", text,
                    json_string_value(canonical), got);
    }
    json_decref(v);
    finish(ctx, id, &m);
}

enum kind {
    K_PARSE,
    K_TYPICAL,
    K_DEGENERATE,
    K_INVALID,
    K_CONSTRUCT,
    K_ROUND_UP,
    K_COMPARE,
    K_TO_FLOAT,
    K_JSON_DECODE,
    K_COUNT
};

static const char *const array_names[K_COUNT] = {
    "parse",   "controller_typical", "accepted_degenerate", "invalid", "construct", "round_up",
    "compare", "to_float",           "json_decode"};

/* A short id: "<array>[<index>]". The FAIL text carries the input itself. */
static void run_entry(enum kind k, json_t *e, size_t i, struct vec_ctx *ctx)
{
    char id[64];
    snprintf(id, sizeof id, "%s[%zu]", array_names[k], i);
    switch (k) {
    case K_PARSE:
    case K_TYPICAL:
        run_parse_entry(e, id, 1, ctx);
        break;
    case K_DEGENERATE:
        run_parse_entry(e, id, 0, ctx);
        break;
    case K_INVALID:
        run_invalid_entry(e, id, ctx);
        break;
    case K_CONSTRUCT:
        run_construct_entry(e, id, ctx);
        break;
    case K_ROUND_UP:
        run_round_up_entry(e, id, ctx);
        break;
    case K_COMPARE:
        run_compare_entry(e, id, ctx);
        break;
    case K_TO_FLOAT:
        run_to_float_entry(e, id, ctx);
        break;
    case K_JSON_DECODE:
        run_json_decode_entry(e, id, ctx);
        break;
    case K_COUNT:
        break;
    }
}

/* counts{} must match the arrays, and total their sum. */
static void check_counts(json_t *root, struct vec_ctx *ctx)
{
    json_t *counts = json_object_get(root, "counts");
    if (!json_is_object(counts)) {
        vec_fail(ctx, "counts", "missing \"counts\" object");
        return;
    }
    const char *key;
    json_t *val;
    size_t sum = 0;
    json_object_foreach(counts, key, val)
    {
        if (strcmp(key, "total") == 0)
            continue;
        int known = 0;
        for (int k = 0; k < K_COUNT; k++)
            known |= strcmp(key, array_names[k]) == 0;
        if (!known)
            vec_fail(ctx, "counts", "unknown array \"%s\" in counts", key);
    }
    for (int k = 0; k < K_COUNT; k++) {
        json_t *arr = json_object_get(root, array_names[k]);
        json_t *c = json_object_get(counts, array_names[k]);
        size_t have = json_array_size(arr);
        sum += have;
        if (!json_is_integer(c) || (size_t)json_integer_value(c) != have)
            vec_fail(ctx, "counts", "counts.%s expected %lld got %zu entries", array_names[k],
                     json_is_integer(c) ? (long long)json_integer_value(c) : -1LL, have);
    }
    json_t *total = json_object_get(counts, "total");
    if (!json_is_integer(total) || (size_t)json_integer_value(total) != sum)
        vec_fail(ctx, "counts", "counts.total expected %lld got %zu entries",
                 json_is_integer(total) ? (long long)json_integer_value(total) : -1LL, sum);
}

int vectors_run_quantity(json_t *root, struct vec_ctx *ctx)
{
    static const char *const top[] = {
        "format_version",      "source",  "schema",    "counts",   "parse",   "controller_typical",
        "accepted_degenerate", "invalid", "construct", "round_up", "compare", "to_float",
        "json_decode",         NULL};
    /* A quantity file has these arrays; hpa.json and vpa.json have neither. */
    if (!json_is_object(root) || !json_is_array(json_object_get(root, "parse")) ||
        !json_is_array(json_object_get(root, "invalid")))
        return -1;
    json_t *fv = json_object_get(root, "format_version");
    if (!json_is_integer(fv) || json_integer_value(fv) != 1) {
        vec_fail(ctx, "format_version", "expected 1, got %s",
                 json_is_integer(fv) ? "another version" : "none");
        return -1;
    }
    const char *unknown = NULL;
    if (!vec_keys_known(root, top, &unknown))
        vec_fail(ctx, "(document)", "unknown top-level key \"%s\"", unknown);
    check_counts(root, ctx);

    for (int k = 0; k < K_COUNT; k++) {
        json_t *arr = json_object_get(root, array_names[k]);
        if (!json_is_array(arr)) {
            vec_fail(ctx, array_names[k], "array missing");
            continue;
        }
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) run_entry((enum kind)k, e, i, ctx);
    }
    return 0;
}
