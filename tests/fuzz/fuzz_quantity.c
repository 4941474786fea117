/*
 * fuzz_quantity.c - libFuzzer target for the Quantity parser (common/quantity.c)
 * and its JSON string decoder (common/io/json_quantity.c).
 *
 * Besides "never crash", every accepted input must satisfy the invariants the
 * rest of podscaler relies on; a violation aborts so the fuzzer saves the input:
 *  - canonical text re-parses to the same value and the same canonical text
 *    (BinarySI: from the second formatting on, see check_text_roundtrip);
 *  - exact text re-parses to the same value;
 *  - a leading '-' negates, a leading '+' changes nothing (when the input has
 *    no sign of its own);
 *  - integer views round away from zero and agree with each other;
 *  - RoundUp never shrinks the magnitude and is idempotent;
 *  - the JSON decoder of the same text inside a string agrees with the parser.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podscaler/json_quantity.h"
#include "podscaler/quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_text_roundtrip(const quantity *q)
{
    char c1[QUANTITY_TEXT_MAX], c2[QUANTITY_TEXT_MAX], ex[QUANTITY_TEXT_MAX];
    quantity again;
    int n = quantity_format_canonical(q, c1, sizeof c1);
    CHECK(n > 0 && (size_t)n == strlen(c1));
    CHECK(quantity_parse(c1, (size_t)n, &again) == 0);
    CHECK(quantity_cmp(q, &again) == 0);
    int n2 = quantity_format_canonical(&again, c2, sizeof c2);
    CHECK(n2 > 0);
    /* The text is a fixed point, except that a BinarySI integer written
     * without a binary suffix ("2000" for 1.953125Ki) reads back as DecimalSI
     * ("2k"), exactly as upstream; from there on it is stable. */
    if (quantity_get_format(q) != QUANTITY_BINARY_SI) {
        CHECK(n2 == n && memcmp(c1, c2, (size_t)n + 1) == 0);
    } else {
        quantity third;
        char c3[QUANTITY_TEXT_MAX];
        CHECK(quantity_parse(c2, (size_t)n2, &third) == 0);
        CHECK(quantity_format_canonical(&third, c3, sizeof c3) == n2);
        CHECK(memcmp(c2, c3, (size_t)n2 + 1) == 0);
    }
    /* A buffer one byte short is refused, never overrun. */
    CHECK(quantity_format_canonical(q, c2, (size_t)n) == PS_ENOSPC);

    n = quantity_format_exact(q, ex, sizeof ex);
    CHECK(n > 0);
    CHECK(quantity_parse(ex, (size_t)n, &again) == 0);
    CHECK(quantity_cmp(q, &again) == 0);
}

static void check_views(const quantity *q)
{
    int64_t v = 0, milli = 0;
    int sign = quantity_sign(q);
    CHECK(quantity_cmp(q, q) == 0);
    int rv = quantity_value(q, &v);
    int rm = quantity_milli_value(q, &milli);
    CHECK(rv == 0 || rv == PS_ERANGE);
    CHECK(rm == 0 || rm == PS_ERANGE);
    if (rv == 0) {
        CHECK((v > 0) == (sign > 0) && (v < 0) == (sign < 0));
        quantity back;
        quantity_from_value(v, QUANTITY_DECIMAL_SI, &back);
        /* Rounded away from zero: |Value()| >= |q|, by less than 1. */
        CHECK(sign >= 0 ? quantity_cmp(&back, q) >= 0 : quantity_cmp(&back, q) <= 0);
    }
    if (rm == 0) {
        CHECK((milli > 0) == (sign > 0) && (milli < 0) == (sign < 0));
        if (rv != 0)
            abort(); /* a value that fits in milli-units fits in units */
        /* ceil(|x|) == ceil(ceil(1000|x|) / 1000) */
        int64_t m = milli;
        int64_t units = m / 1000 + (m % 1000 != 0 ? (m > 0 ? 1 : -1) : 0);
        CHECK(units == v);
    }
    double d = quantity_to_double(q);
    CHECK(sign == 0 ? d == 0.0 : (sign > 0 ? d > 0.0 : d < 0.0));
}

static void check_round_up(const quantity *q)
{
    static const int scales[] = {-9, -6, -3, -1, 0, 1, 3, 9, 18, 28, 40};
    for (size_t i = 0; i < sizeof scales / sizeof scales[0]; i++) {
        quantity r = *q, r2;
        int exact = -1;
        int rc = quantity_round_up(&r, scales[i], &exact);
        if (rc != 0) {
            CHECK(rc == PS_ERANGE);
            CHECK(r.nano_hi == q->nano_hi && r.nano_lo == q->nano_lo && r.negative == q->negative &&
                  r.format == q->format);
            continue;
        }
        int c = quantity_cmp(&r, q);
        CHECK(quantity_sign(q) >= 0 ? c >= 0 : c <= 0);
        CHECK(exact == (c == 0));
        r2 = r;
        CHECK(quantity_round_up(&r2, scales[i], &exact) == 0 && exact == 1);
        check_text_roundtrip(&r);
    }
}

/* The same text given a sign of its own. */
static void check_sign_prefix(const uint8_t *data, size_t size, const quantity *q, int rc)
{
    char buf[256];
    quantity s;
    if (size == 0 || size >= sizeof buf || data[0] == '+' || data[0] == '-')
        return;
    memcpy(buf + 1, data, size);
    buf[0] = '+';
    int rp = quantity_parse(buf, size + 1, &s);
    /* "0" alone is special-cased upstream, so "+0" takes the general path:
     * the same value either way; other texts keep their error too. */
    CHECK((rp == 0) == (rc == 0));
    if (rc == 0)
        CHECK(quantity_cmp(&s, q) == 0);
    buf[0] = '-';
    CHECK((quantity_parse(buf, size + 1, &s) == 0) == (rc == 0));
    if (rc == 0) {
        CHECK(quantity_sign(&s) == -quantity_sign(q));
        quantity neg = *q;
        neg.negative = (int8_t)!quantity_is_zero(q);
        CHECK(quantity_cmp(&s, &neg) == 0 || quantity_is_zero(q));
    }
}

/* The text as a JSON string: the decoder trims white space, nothing else. */
static void check_json(const uint8_t *data, size_t size, const quantity *q, int rc)
{
    json_t *s = json_stringn((const char *)data, size); /* NULL unless valid UTF-8 */
    if (!s)
        return;
    quantity j;
    int set = -1;
    int rj = json_quantity_decode(s, &j, &set);
    json_decref(s);
    int blank_edges = size > 0 && (data[0] <= ' ' || data[size - 1] <= ' ' || data[0] >= 0x80 ||
                                   data[size - 1] >= 0x80);
    if (rc == 0) {
        CHECK(rj == 0 && set == 1 && quantity_cmp(&j, q) == 0);
    } else if (!blank_edges) {
        CHECK(rj == rc && set == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    quantity q;
    int rc = quantity_parse((const char *)data, size, &q);
    if (rc == 0) {
        check_text_roundtrip(&q);
        check_views(&q);
        check_round_up(&q);
    } else {
        CHECK(rc == QUANTITY_EEMPTY || rc == QUANTITY_ESYNTAX || rc == QUANTITY_ESUFFIX ||
              rc == QUANTITY_EOVERFLOW);
        CHECK(quantity_is_zero(&q));
    }
    check_sign_prefix(data, size, &q, rc);
    check_json(data, size, &q, rc);
    return 0;
}
