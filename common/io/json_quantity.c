/*
 * json_quantity.c - Quantity fields in JSON (spec/kubernetes-api.md section 2.7).
 */
#include "podscaler/json_quantity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the white-space character (Go unicode.IsSpace, UTF-8 encoded) that
 * starts at s, or 0. Upstream trims with strings.TrimSpace, so " 1" inside the
 * quotes is accepted; the Unicode spaces are rare but cost nothing to match. */
static size_t space_at(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
        return 1;
    if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0)) /* NEL, NBSP */
        return 2;
    if (n >= 3) {
        if (s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) /* U+1680 */
            return 3;
        /* U+2000-U+200A, U+2028, U+2029, U+202F */
        if (s[0] == 0xE2 && s[1] == 0x80 &&
            ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
            return 3;
        if (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) /* U+205F */
            return 3;
        if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) /* U+3000 */
            return 3;
    }
    return 0;
}

/* Length of the white-space character that ends s[0..n), or 0. jansson strings
 * are valid UTF-8, so a lead byte found 2 or 3 back starts the last character. */
static size_t space_before(const unsigned char *s, size_t n)
{
    for (size_t k = 1; k <= 3 && k <= n; k++)
        if (space_at(s + n - k, k) == k)
            return k;
    return 0;
}

static int decode_text(const char *text, size_t len, quantity *out)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t k;
    while ((k = space_at(s, len)) > 0) {
        s += k;
        len -= k;
    }
    while ((k = space_before(s, len)) > 0)
        len -= k;
    return quantity_parse((const char *)s, len, out);
}

/* The shortest "%.Ng" text that reads back as d. */
static int decode_real(double d, quantity *out)
{
    char buf[40];
    if (!isfinite(d))
        return PS_ENAN;
    for (int prec = 15; prec <= 17; prec++) {
        int n = snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (n < 0 || (size_t)n >= sizeof buf)
            return PS_EBUG;
        if (prec == 17 || strtod(buf, NULL) == d)
            return quantity_parse(buf, (size_t)n, out);
    }
    return PS_EBUG;
}

int json_quantity_decode(const json_t *v, quantity *out, int *set)
{
    int rc;
    if (set)
        *set = 0;
    if (!out)
        return PS_EINVAL;
    *out = (quantity){0};
    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return 0;
    case JSON_STRING:
        rc = decode_text(json_string_value(v), json_string_length(v), out);
        break;
    case JSON_INTEGER:
        quantity_from_value((int64_t)json_integer_value(v), QUANTITY_DECIMAL_SI, out);
        rc = 0;
        break;
    case JSON_REAL:
        rc = decode_real(json_real_value(v), out);
        break;
    default:
        return QUANTITY_ETYPE;
    }
    if (rc != 0) {
        *out = (quantity){0};
        return rc;
    }
    if (set)
        *set = 1;
    return 0;
}

int json_quantity_get(const json_t *obj, const char *key, quantity *out, int *set)
{
    if (set)
        *set = 0;
    if (out)
        *out = (quantity){0};
    if (!json_is_object(obj) || !key)
        return PS_EINVAL;
    return json_quantity_decode(json_object_get(obj, key), out, set);
}

json_t *json_quantity_new(const quantity *q)
{
    char buf[QUANTITY_TEXT_MAX];
    if (!q)
        return NULL;
    int n = quantity_format_canonical(q, buf, sizeof buf);
    if (n < 0)
        return NULL;
    return json_stringn(buf, (size_t)n);
}
