/*
 * test_quantity.c - unit tests of common/quantity.c beyond the upstream
 * vectors: bad inputs, range edges, the int64 edges of the integer views,
 * buffer sizes, and round-trip properties over generated values.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <limits.h>
#include <string.h>
#include <cmocka.h>

#include "podscaler/quantity.h"

static int parse_n(const char *s, size_t n, quantity *q)
{
    return quantity_parse(s, n, q);
}

static int parse(const char *s, quantity *q)
{
    return quantity_parse_cstr(s, q);
}

/* Parses s (must succeed) and returns its canonical text in a static buffer. */
static const char *canon(const char *s)
{
    static char buf[QUANTITY_TEXT_MAX];
    quantity q;
    int rc = parse(s, &q);
    if (rc != 0) {
        strcpy(buf, "(error)");
        return buf;
    }
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    return buf;
}

static const char *exact(const char *s)
{
    static char buf[QUANTITY_TEXT_MAX];
    quantity q;
    if (parse(s, &q) != 0) {
        strcpy(buf, "(error)");
        return buf;
    }
    assert_true(quantity_format_exact(&q, buf, sizeof buf) > 0);
    return buf;
}

static int is_zero_struct(const quantity *q)
{
    return q->nano_hi == 0 && q->nano_lo == 0 && q->negative == 0 && q->format == 0;
}

static void test_empty(void **state)
{
    (void)state;
    quantity q;
    assert_int_equal(parse_n("", 0, &q), QUANTITY_EEMPTY);
    assert_int_equal(parse_n(NULL, 0, &q), QUANTITY_EEMPTY);
    assert_int_equal(parse("", &q), QUANTITY_EEMPTY);
    assert_int_equal(parse_n("123", 0, &q), QUANTITY_EEMPTY);
    assert_int_equal(parse_n(NULL, 3, &q), PS_EINVAL);
    assert_int_equal(quantity_parse_cstr(NULL, &q), PS_EINVAL);
    assert_int_equal(parse_n("1", 1, NULL), PS_EINVAL);
}

static void test_garbage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "abc",   "1.1.1", "1..",   "..1",  "1-",    "1+",       "-+1",   "+-1",   "--1",  "++1",
        "1e",    "1e+",   "1e-",   "1ee3", "1eKi",  "1Ki1",     "1Kie3", "1Gb",   "1B",   "1g",
        "1i",    "1K",    "1mm",   "1mi",  "1ki",   "1KI",      "1 ",    " 1",    "1\t",  "1\n",
        "\n1",   "0x1F",  "1_0",   "1,0",  "½",     "1µ",       "1e3.5", "1e3e3", "1e3m", "1m3",
        "1n-",   "1-2",   "NaN",   "inf",  "-inf",  "Infinity", "1Ki ",  "1.5.",  "e",    "i",
        "+e3x",  "1Pi2",  "1\x80", "\xff", "1e1e1", "1E3E",     "1k+",   "1k-1",  "1Ki+", "1e+-1",
        "1e--1", "1e++1", ".e",    "..",   "-.-",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        quantity q = {.nano_lo = 77, .negative = 1};
        int rc = parse(bad[i], &q);
        if (rc == 0)
            fail_msg("\"%s\" parsed as %s", bad[i], canon(bad[i]));
        assert_true(rc == QUANTITY_ESYNTAX || rc == QUANTITY_ESUFFIX);
        assert_true(is_zero_struct(&q)); /* zeroed on error */
    }
}

/* Inputs upstream accepts that look odd; all are zero or plain values. */
static void test_degenerate_accepted(void **state)
{
    (void)state;
    assert_string_equal(canon("-"), "0");
    assert_string_equal(canon("+"), "0");
    assert_string_equal(canon("-0"), "0");
    assert_string_equal(canon("-0.000"), "0");
    assert_string_equal(canon("000000000000000000000000000000000000000000001"), "1");
    assert_string_equal(canon("1.G"), "1G");
    assert_string_equal(canon("e3"), "0");
    assert_string_equal(canon("1e+3"), "1e3");
    assert_string_equal(canon("1e-0"), "1");
    assert_string_equal(canon("1e0000000000000000000000003"), "1e3");
    quantity q;
    assert_int_equal(parse("-0", &q), 0);
    assert_int_equal(quantity_sign(&q), 0);
    assert_int_equal(q.negative, 0);
    assert_int_equal(parse("-0Mi", &q), 0);
    assert_int_equal(quantity_get_format(&q), QUANTITY_BINARY_SI);
    assert_int_equal(q.negative, 0);
}

static void test_overflow(void **state)
{
    (void)state;
    quantity q;
    assert_int_equal(parse("9999999999999999999999999999999999999E99999", &q), QUANTITY_EOVERFLOW);
    assert_int_equal(parse("1e30", &q), QUANTITY_EOVERFLOW);
    assert_int_equal(parse("-1e30", &q), QUANTITY_EOVERFLOW);
    assert_int_equal(parse("1000000000E", &q), 0); /* 10^27 fits */
    assert_int_equal(parse("1000000000000E", &q), QUANTITY_EOVERFLOW);
    /* The largest magnitude: (2^128 - 1) nano-units. */
    assert_int_equal(parse("340282366920938463463374607431.768211455", &q), 0);
    assert_string_equal(exact("340282366920938463463374607431.768211455"),
                        "340282366920938463463374607431.768211455");
    assert_string_equal(exact("-340282366920938463463374607431.768211455"),
                        "-340282366920938463463374607431.768211455");
    assert_int_equal(parse("340282366920938463463374607431.768211456", &q), QUANTITY_EOVERFLOW);
    /* The same, with a sub-nano tail that rounds up past 2^128. */
    assert_int_equal(parse("340282366920938463463374607431.7682114551", &q), QUANTITY_EOVERFLOW);
    assert_int_equal(parse("340282366920938463463374607431.7682114550", &q), 0);
    /* Long digit strings: overflow is found, not wrapped. */
    char big[400];
    memset(big, '9', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(parse(big, &q), QUANTITY_EOVERFLOW);
    big[0] = '0';
    big[1] = '.';
    assert_int_equal(parse(big, &q), 0); /* 0.999...: rounds up to 1 */
    assert_string_equal(exact(big), "1");
}

static void test_huge_exponents(void **state)
{
    (void)state;
    quantity q;
    assert_int_equal(parse("1e9223372036854775807", &q), QUANTITY_EOVERFLOW);
    assert_int_equal(parse("1e9223372036854775808", &q), QUANTITY_ESUFFIX); /* not int64 */
    assert_int_equal(parse("1e99999999999999999999999", &q), QUANTITY_ESUFFIX);
    assert_int_equal(parse("1e-99999999999999999999999", &q), QUANTITY_ESUFFIX);
    /* A tiny non-zero amount is rounded up to 1n, like upstream. */
    assert_string_equal(canon("1e-9223372036854775808"), "1e-9");
    assert_string_equal(canon("1e-4294967296"), "1e-9");
    assert_string_equal(canon("5e-99999"), "1e-9");
    /* Zero stays zero whatever the exponent. */
    assert_string_equal(canon("0e9223372036854775807"), "0");
    assert_string_equal(canon("0.000e-9223372036854775808"), "0");
    /* The exponent interacts with the digit count. */
    assert_string_equal(canon("0.00000000000000000000000000001e29"), "1");
    assert_string_equal(canon("100000000000000000000000000000e-29"), "1");
    assert_string_equal(canon("1e29"), "100e27");
    assert_int_equal(parse("1e-10", &q), 0);
    assert_string_equal(exact("1e-10"), "0.000000001");
    assert_string_equal(canon("-1e-10"), "-1e-9");
}

static void test_trailing_junk_and_nul(void **state)
{
    (void)state;
    quantity q;
    assert_int_equal(parse_n("1\0", 2, &q), QUANTITY_ESYNTAX);
    assert_int_equal(parse_n("1Gi\0", 4, &q), QUANTITY_ESYNTAX);
    static const char nul_first[] = {'\0', '1'};
    static const char nul_mid[] = {'1', '\0', '0', '0'};
    static const char nul_exp[] = {'1', 'e', '\0', '3'};
    assert_int_equal(parse_n(nul_first, sizeof nul_first, &q), QUANTITY_ESYNTAX);
    assert_int_equal(parse_n(nul_mid, sizeof nul_mid, &q), QUANTITY_ESYNTAX);
    assert_int_equal(parse_n(nul_exp, sizeof nul_exp, &q), QUANTITY_ESYNTAX);
    /* len is honoured: the bytes after it are not read. */
    assert_int_equal(parse_n("12junk", 2, &q), 0);
    int64_t v;
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(parse_n("1Gi", 2, &q), 0); /* "1G" */
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_int_equal(v, 1000000000);
    assert_int_equal(quantity_get_format(&q), QUANTITY_DECIMAL_SI);
}

static void test_negative(void **state)
{
    (void)state;
    quantity q;
    int64_t v;
    assert_int_equal(parse("-1.5", &q), 0);
    assert_int_equal(quantity_sign(&q), -1);
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_int_equal(v, -2);
    assert_int_equal(quantity_milli_value(&q, &v), 0);
    assert_int_equal(v, -1500);
    assert_string_equal(canon("-1.5"), "-1500m");
    assert_string_equal(canon("-1.5Gi"), "-1536Mi");
    assert_string_equal(canon("-1n"), "-1n");
    assert_int_equal(parse("-1n", &q), 0);
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_int_equal(v, -1); /* away from zero, not upstream's +1 */
    assert_string_equal(canon("-9Ei"), "-9223372036854775807");
    quantity a, b;
    assert_int_equal(parse("-2", &a), 0);
    assert_int_equal(parse("-1", &b), 0);
    assert_int_equal(quantity_cmp(&a, &b), -1);
    assert_int_equal(quantity_cmp(&b, &a), 1);
    assert_int_equal(parse("1", &b), 0);
    assert_int_equal(quantity_cmp(&a, &b), -1);
    assert_true(quantity_to_double(&a) == -2.0);
}

static void test_int64_edges(void **state)
{
    (void)state;
    quantity q;
    int64_t v;
    assert_int_equal(parse("9223372036854775.807", &q), 0);
    assert_int_equal(quantity_milli_value(&q, &v), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(parse("9223372036854775.8070000001", &q), 0);
    assert_int_equal(quantity_milli_value(&q, &v), PS_ERANGE);
    assert_int_equal(v, 0);
    assert_int_equal(parse("9223372036854775.808", &q), 0);
    assert_int_equal(quantity_milli_value(&q, &v), PS_ERANGE);
    assert_int_equal(parse("-9223372036854775.808", &q), 0);
    assert_int_equal(quantity_milli_value(&q, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(parse("-9223372036854775.8080001", &q), 0);
    assert_int_equal(quantity_milli_value(&q, &v), PS_ERANGE);
    assert_int_equal(parse("9223372036854775807m", &q), 0);
    assert_int_equal(quantity_milli_value(&q, &v), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(parse("9223372036854775807", &q), 0);
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(quantity_milli_value(&q, &v), PS_ERANGE);
    assert_int_equal(parse("9223372036854775806.000000001", &q), 0);
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(parse("9223372036854775807.000000001", &q), 0);
    assert_int_equal(quantity_value(&q, &v), PS_ERANGE);
    assert_int_equal(parse("-9223372036854775808", &q), 0);
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_true(v == INT64_MIN);
    /* Constructors at the int64 edges, and back. */
    quantity_from_milli(INT64_MIN, QUANTITY_DECIMAL_SI, &q);
    assert_int_equal(quantity_milli_value(&q, &v), 0);
    assert_true(v == INT64_MIN);
    char buf[QUANTITY_TEXT_MAX];
    assert_int_equal(quantity_format_canonical(&q, buf, sizeof buf), 21);
    assert_string_equal(buf, "-9223372036854775808m");
    quantity_from_milli(INT64_MAX, QUANTITY_DECIMAL_SI, &q);
    assert_int_equal(quantity_milli_value(&q, &v), 0);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_int_equal(v, INT64_C(9223372036854776));
    quantity_from_value(INT64_MIN, QUANTITY_BINARY_SI, &q);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "-9223372036854775808"); /* not "-8Ei": that would clamp */
    quantity_from_value(INT64_MAX, QUANTITY_BINARY_SI, &q);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "9223372036854775807");
    /* Extreme scales never overflow the arithmetic. */
    assert_int_equal(parse("1", &q), 0);
    assert_int_equal(quantity_scaled_value(&q, INT_MIN, &v), PS_ERANGE);
    assert_int_equal(quantity_scaled_value(&q, INT_MAX, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(quantity_scaled_value(&q, -18, &v), 0);
    assert_int_equal(v, INT64_C(1000000000000000000));
    assert_int_equal(quantity_scaled_value(&q, -19, &v), PS_ERANGE);
    quantity zero = {0};
    assert_int_equal(quantity_scaled_value(&zero, INT_MIN, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(quantity_scaled_value(NULL, 0, &v), PS_EINVAL);
    assert_int_equal(quantity_scaled_value(&q, 0, NULL), PS_EINVAL);
}

static void test_binary_clamp_and_fractions(void **state)
{
    (void)state;
    assert_string_equal(canon("99999999999999999999999999999999999999999999Ei"),
                        "9223372036854775807");
    assert_string_equal(canon("8Ei"), "9223372036854775807"); /* 2^63: clamped */
    assert_string_equal(canon("7Ei"), "7Ei");
    assert_string_equal(canon("-8Ei"), "-9223372036854775807");
    assert_string_equal(canon("7.99999999999999999999Ei"), "9223372036854775807");
    /* Binary fractions with long tails: exact ceiling of the product. */
    assert_string_equal(canon("0.000000000"
                              "999999999999999999999999999999999999999999999999"
                              "9999999999999999999999999999999999999999999999999999Ki"),
                        "1024n");
    assert_string_equal(canon("1.000000000000000000000000000000000000000000000000000000000000"
                              "000000000001Ki"),
                        "1024000000001n");
    assert_string_equal(canon(".000000000001Ki"), "2n");
    assert_string_equal(canon("0.0000000000000000000000000000000000000000000000000000000001Ei"),
                        "1n");
    assert_string_equal(exact("0.0000000000000000000000000000000000000001Ei"), "0.000000001");
    quantity q;
    assert_int_equal(parse("0.5Ki", &q), 0);
    assert_int_equal(quantity_get_format(&q), QUANTITY_BINARY_SI);
    assert_int_equal(parse("0.0005Ki", &q), 0);
    assert_int_equal(quantity_get_format(&q), QUANTITY_DECIMAL_SI); /* |v| < 1 */
    assert_string_equal(canon("0.5Ki"), "512");
    assert_string_equal(canon("1536Ki"), "1536Ki");
    assert_string_equal(canon("1.953125Ki"), "2000"); /* as upstream; "2000" reads as 2k */
    assert_string_equal(canon("2000"), "2k");
    assert_string_equal(canon("1048576Ei"), "9223372036854775807");
    /* RoundUp can take a BinarySI value past the clamp: written so it reads back. */
    quantity r;
    char buf[QUANTITY_TEXT_MAX];
    assert_int_equal(parse("9Ei", &r), 0);
    assert_int_equal(quantity_round_up(&r, 18, NULL), 0);
    assert_int_equal(quantity_get_format(&r), QUANTITY_BINARY_SI);
    assert_true(quantity_format_canonical(&r, buf, sizeof buf) > 0);
    assert_string_equal(buf, "10E");
}

static void test_decimal_si_above_exa(void **state)
{
    (void)state;
    /* Upstream prints "1" for 1000E (no suffix beyond E); we keep the value. */
    assert_string_equal(canon("1000E"), "1000E");
    assert_string_equal(canon("1e21"), "1e21");
    assert_string_equal(canon("123456789012345678901234567890"), "123456789012345678901234567890");
    assert_string_equal(canon("123456789012E"), "123456789012E");
    assert_string_equal(canon("123456789012000000000000000000"), "123456789012E");
    assert_string_equal(canon("1234567890123456789012345678.9"),
                        "1234567890123456789012345678900m");
}

static void test_buffers(void **state)
{
    (void)state;
    quantity q;
    char buf[QUANTITY_TEXT_MAX];
    assert_int_equal(parse("-1.5Gi", &q), 0);
    int n = quantity_format_canonical(&q, buf, sizeof buf);
    assert_int_equal(n, 7);
    for (size_t cap = 0; cap <= (size_t)n; cap++)
        assert_int_equal(quantity_format_canonical(&q, buf, cap), PS_ENOSPC);
    assert_int_equal(quantity_format_canonical(&q, buf, (size_t)n + 1), n);
    assert_string_equal(buf, "-1536Mi");
    assert_int_equal(quantity_format_canonical(&q, NULL, 10), PS_ENOSPC);
    assert_int_equal(quantity_format_canonical(NULL, buf, sizeof buf), PS_EINVAL);
    n = quantity_format_exact(&q, buf, sizeof buf);
    assert_int_equal(n, 11);
    assert_string_equal(buf, "-1610612736");
    assert_int_equal(quantity_format_exact(&q, buf, 11), PS_ENOSPC);
    /* The longest texts fit QUANTITY_TEXT_MAX. */
    assert_int_equal(parse("-340282366920938463463374607431.768211455", &q), 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "-340282366920938463463374607431768211455n");
    assert_true(strlen(buf) < QUANTITY_TEXT_MAX);
    assert_int_equal(parse("-340282366920938463463374607431", &q), 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "-340282366920938463463374607431");
    assert_int_equal(parse("-340282366920938463463374607432", &q), QUANTITY_EOVERFLOW);
}

static void test_round_up(void **state)
{
    (void)state;
    quantity q;
    int ex = -1;
    char buf[QUANTITY_TEXT_MAX];
    assert_int_equal(parse("1n", &q), 0);
    assert_int_equal(quantity_round_up(&q, 29, &ex), 0);
    assert_int_equal(ex, 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "100000000000E");
    assert_int_equal(parse("1n", &q), 0);
    assert_int_equal(quantity_round_up(&q, 30, &ex), PS_ERANGE);
    assert_string_equal(canon("1n"), "1n"); /* unchanged */
    assert_int_equal(quantity_round_up(&q, INT_MAX, &ex), PS_ERANGE);
    assert_int_equal(quantity_round_up(&q, INT_MIN, &ex), 0);
    assert_int_equal(ex, 1);
    assert_int_equal(quantity_round_up(&q, -9, NULL), 0);
    assert_int_equal(parse("0", &q), 0);
    assert_int_equal(quantity_round_up(&q, INT_MAX, &ex), 0);
    assert_int_equal(ex, 1);
    assert_int_equal(parse("1.5Gi", &q), 0);
    assert_int_equal(quantity_round_up(&q, 3, &ex), 0);
    assert_int_equal(ex, 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "1610613000"); /* BinarySI kept, not a 1024 multiple */
    assert_int_equal(quantity_round_up(NULL, 0, &ex), PS_EINVAL);
}

static void test_constructors(void **state)
{
    (void)state;
    quantity q;
    char buf[QUANTITY_TEXT_MAX];
    assert_int_equal(quantity_from_scaled(1, -12, &q), 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "1n");
    assert_int_equal(quantity_from_scaled(-1500, -12, &q), 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "-2n");
    assert_int_equal(quantity_from_scaled(1, 29, &q), 0);
    assert_int_equal(quantity_from_scaled(1, 30, &q), PS_ERANGE);
    assert_int_equal(quantity_from_scaled(0, INT_MAX, &q), 0);
    assert_int_equal(quantity_is_zero(&q), 1);
    assert_int_equal(quantity_from_scaled(INT64_MIN, INT_MIN, &q), 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "-1n");
    assert_int_equal(quantity_from_scaled(INT64_MIN, 0, &q), 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "-9223372036854775808");
    quantity_from_milli(0, QUANTITY_BINARY_SI, &q);
    assert_int_equal(quantity_sign(&q), 0);
    quantity_from_value(1000000, (enum quantity_format)99, &q);
    assert_int_equal(quantity_get_format(&q), QUANTITY_DECIMAL_EXPONENT);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "1e6");
    quantity_from_value(-1, (enum quantity_format)(-1), &q);
    assert_int_equal(quantity_get_format(&q), QUANTITY_DECIMAL_EXPONENT);
}

static void test_strerror(void **state)
{
    (void)state;
    const int codes[] = {QUANTITY_EEMPTY, QUANTITY_ESYNTAX, QUANTITY_ESUFFIX, QUANTITY_EOVERFLOW,
                         QUANTITY_ETYPE};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_non_null(quantity_strerror(codes[i]));
        assert_string_not_equal(quantity_strerror(codes[i]), ps_strerror(-999));
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(quantity_strerror(codes[i]), quantity_strerror(codes[j]));
    }
    assert_string_equal(quantity_strerror(PS_ERANGE), ps_strerror(PS_ERANGE));
    assert_string_equal(quantity_format_name(QUANTITY_BINARY_SI), "BinarySI");
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* Random texts over the grammar's alphabet: whatever parses must format to a
 * canonical text that re-parses to the same value and the same text, its
 * exact text must re-parse to the same value, and compare must agree with the
 * integer views. */
static void test_roundtrip_property(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789012345678901234567890123456789.+-eEKMGTPinumk";
    static const char *const suffixes[] = {"",   "n",  "u",  "m",   "k",    "M",    "G",
                                           "T",  "P",  "E",  "Ki",  "Mi",   "Gi",   "Ti",
                                           "Pi", "Ei", "e3", "e-7", "E+12", "e-15", "e21"};
    uint64_t s = UINT64_C(0x9e3779b97f4a7c15);
    int parsed = 0;
    quantity prev = {0};
    for (int iter = 0; iter < 200000; iter++) {
        char text[48];
        size_t n = 0;
        uint64_t r = rng_next(&s);
        if (r & 1) {
            /* Well-formed: digits, maybe a fraction, a suffix. */
            if (r & 2)
                text[n++] = (r & 4) ? '-' : '+';
            size_t nd = (size_t)(rng_next(&s) % 25);
            for (size_t i = 0; i < nd; i++)
                text[n++] = (char)('0' + rng_next(&s) % 10);
            if (r & 8) {
                text[n++] = '.';
                size_t nf = (size_t)(rng_next(&s) % 14);
                for (size_t i = 0; i < nf; i++)
                    text[n++] = (char)('0' + rng_next(&s) % 10);
            }
            const char *suf = suffixes[rng_next(&s) % (sizeof suffixes / sizeof suffixes[0])];
            memcpy(text + n, suf, strlen(suf));
            n += strlen(suf);
        } else {
            size_t len = (size_t)(rng_next(&s) % 12);
            for (size_t i = 0; i < len; i++)
                text[n++] = alphabet[rng_next(&s) % (sizeof alphabet - 1)];
        }
        text[n] = '\0';
        quantity q, again;
        if (quantity_parse(text, n, &q) != 0)
            continue;
        parsed++;
        char c1[QUANTITY_TEXT_MAX], c2[QUANTITY_TEXT_MAX], ex[QUANTITY_TEXT_MAX];
        assert_true(quantity_format_canonical(&q, c1, sizeof c1) > 0);
        if (parse(c1, &again) != 0 || quantity_cmp(&q, &again) != 0)
            fail_msg("\"%s\" -> \"%s\" does not re-parse to the same value", text, c1);
        assert_true(quantity_format_canonical(&again, c2, sizeof c2) > 0);
        /* BinarySI integers printed without a suffix read back as DecimalSI
         * (upstream too): "1.953125Ki" -> "2000" -> "2k". */
        if (strcmp(c1, c2) != 0 && quantity_get_format(&q) != QUANTITY_BINARY_SI)
            fail_msg("\"%s\" -> \"%s\" -> \"%s\"", text, c1, c2);
        assert_true(quantity_format_exact(&q, ex, sizeof ex) > 0);
        assert_int_equal(parse(ex, &again), 0);
        assert_int_equal(quantity_cmp(&q, &again), 0);
        /* Ordering agrees with the milli view where both fit and differ there. */
        int64_t ma, mb;
        if (quantity_milli_value(&q, &ma) == 0 && quantity_milli_value(&prev, &mb) == 0 && ma != mb)
            assert_int_equal(quantity_cmp(&q, &prev), ma < mb ? -1 : 1);
        assert_int_equal(quantity_cmp(&q, &prev), -quantity_cmp(&prev, &q));
        prev = q;
    }
    assert_true(parsed > 50000); /* the generator does reach the parser's valid side */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_degenerate_accepted),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_huge_exponents),
        cmocka_unit_test(test_trailing_junk_and_nul),
        cmocka_unit_test(test_negative),
        cmocka_unit_test(test_int64_edges),
        cmocka_unit_test(test_binary_clamp_and_fractions),
        cmocka_unit_test(test_decimal_si_above_exa),
        cmocka_unit_test(test_buffers),
        cmocka_unit_test(test_round_up),
        cmocka_unit_test(test_constructors),
        cmocka_unit_test(test_strerror),
        cmocka_unit_test(test_roundtrip_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
