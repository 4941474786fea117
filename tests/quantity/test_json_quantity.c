/*
 * test_json_quantity.c - unit tests of common/io/json_quantity.c: every JSON
 * type, white space, bare reals, and the error codes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "podscaler/json_quantity.h"

/* Decodes JSON text; returns the decoder's code, the canonical text in buf. */
static int decode(const char *json, char *buf, int *set)
{
    json_error_t err;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!v)
        fail_msg("test JSON %s: %s", json, err.text);
    quantity q = {.nano_lo = 5};
    int rc = json_quantity_decode(v, &q, set);
    json_decref(v);
    if (quantity_format_canonical(&q, buf, QUANTITY_TEXT_MAX) < 0)
        fail_msg("cannot format");
    if (rc != 0)
        assert_string_equal(buf, "0"); /* *out zeroed on error */
    return rc;
}

static void test_strings(void **state)
{
    (void)state;
    char buf[QUANTITY_TEXT_MAX];
    int set = -1;
    assert_int_equal(decode("\"1.5Gi\"", buf, &set), 0);
    assert_int_equal(set, 1);
    assert_string_equal(buf, "1536Mi");
    assert_int_equal(decode("\" \\t\\n 250m \\r\"", buf, &set), 0);
    assert_string_equal(buf, "250m");
    /* Unicode spaces, as Go's strings.TrimSpace: NBSP, U+3000, U+2009, NEL. */
    assert_int_equal(decode("\"\\u00a0\\u30001\\u2009\\u0085\"", buf, &set), 0);
    assert_string_equal(buf, "1");
    assert_int_equal(decode("\"1\\u00a0Gi\"", buf, &set), QUANTITY_ESYNTAX);
    assert_int_equal(set, 0);
    /* U+200B (zero width space) is not white space for Go either. */
    assert_int_equal(decode("\"1\\u200b\"", buf, &set), QUANTITY_ESYNTAX);
    assert_int_equal(decode("\"\"", buf, &set), QUANTITY_EEMPTY);
    assert_int_equal(decode("\"   \"", buf, &set), QUANTITY_EEMPTY);
    assert_int_equal(decode("\"1 Gi\"", buf, &set), QUANTITY_ESYNTAX);
    assert_int_equal(decode("\"1\\u0000\"", buf, &set), QUANTITY_ESYNTAX);
    assert_int_equal(decode("\"1Kb\"", buf, &set), QUANTITY_ESYNTAX);
    assert_int_equal(decode("\"1Ki1\"", buf, &set), QUANTITY_ESUFFIX);
    assert_int_equal(decode("\"1e99999\"", buf, &set), QUANTITY_EOVERFLOW);
    assert_int_equal(decode("\"-1\"", buf, &set), 0);
    assert_string_equal(buf, "-1");
}

static void test_numbers(void **state)
{
    (void)state;
    char buf[QUANTITY_TEXT_MAX];
    int set = -1;
    assert_int_equal(decode("10", buf, &set), 0);
    assert_int_equal(set, 1);
    assert_string_equal(buf, "10");
    assert_int_equal(decode("-9223372036854775808", buf, &set), 0);
    assert_string_equal(buf, "-9223372036854775808");
    assert_int_equal(decode("0.1", buf, &set), 0);
    assert_string_equal(buf, "100m"); /* not 100000001n: shortest text of the double */
    assert_int_equal(decode("0.3", buf, &set), 0);
    assert_string_equal(buf, "300m");
    assert_int_equal(decode("1e3", buf, &set), 0);
    assert_string_equal(buf, "1k");
    assert_int_equal(decode("1.5e-10", buf, &set), 0);
    assert_string_equal(buf, "1e-9"); /* "1.5e-10": sub-nano rounds up */
    assert_int_equal(decode("-0.0", buf, &set), 0);
    assert_string_equal(buf, "0");
    assert_int_equal(decode("1e300", buf, &set), QUANTITY_EOVERFLOW);
    assert_int_equal(set, 0);
    assert_int_equal(decode("123456789.123456789", buf, &set), 0);
    assert_string_equal(buf, "123456789123456790n"); /* the double's 17 digits */
}

static void test_unset_and_types(void **state)
{
    (void)state;
    char buf[QUANTITY_TEXT_MAX];
    int set = -1;
    assert_int_equal(decode("null", buf, &set), 0);
    assert_int_equal(set, 0);
    assert_string_equal(buf, "0");
    assert_int_equal(decode("true", buf, &set), QUANTITY_ETYPE);
    assert_int_equal(decode("false", buf, &set), QUANTITY_ETYPE);
    assert_int_equal(decode("{}", buf, &set), QUANTITY_ETYPE);
    assert_int_equal(decode("[\"1\"]", buf, &set), QUANTITY_ETYPE);
    assert_int_equal(set, 0);
    quantity q;
    set = -1;
    assert_int_equal(json_quantity_decode(NULL, &q, &set), 0);
    assert_int_equal(set, 0);
    json_t *one = json_string("1");
    assert_int_equal(json_quantity_decode(one, NULL, &set), PS_EINVAL);
    assert_int_equal(json_quantity_decode(one, &q, NULL), 0); /* set is optional */
    json_decref(one);
    /* Non-finite reals cannot come from JSON text, but can be built. */
    json_t *inf = json_real(1.0 / 0.0);
    if (inf) {
        assert_int_equal(json_quantity_decode(inf, &q, &set), PS_ENAN);
        json_decref(inf);
    }
}

static void test_get_and_new(void **state)
{
    (void)state;
    json_error_t err;
    json_t *obj = json_loads("{\"cpu\": \"250m\", \"memory\": 1073741824, \"gpu\": null,"
                             " \"bad\": \"x\"}",
                             0, &err);
    assert_non_null(obj);
    quantity q;
    int set = -1;
    char buf[QUANTITY_TEXT_MAX];
    assert_int_equal(json_quantity_get(obj, "cpu", &q, &set), 0);
    assert_int_equal(set, 1);
    int64_t v;
    assert_int_equal(quantity_milli_value(&q, &v), 0);
    assert_int_equal(v, 250);
    assert_int_equal(json_quantity_get(obj, "memory", &q, &set), 0);
    assert_int_equal(quantity_value(&q, &v), 0);
    assert_int_equal(v, 1073741824);
    assert_int_equal(json_quantity_get(obj, "gpu", &q, &set), 0);
    assert_int_equal(set, 0);
    assert_int_equal(json_quantity_get(obj, "absent", &q, &set), 0);
    assert_int_equal(set, 0);
    assert_int_equal(json_quantity_get(obj, "bad", &q, &set), QUANTITY_ESYNTAX);
    assert_int_equal(json_quantity_get(obj, NULL, &q, &set), PS_EINVAL);
    json_t *notobj = json_integer(1);
    assert_int_equal(json_quantity_get(notobj, "cpu", &q, &set), PS_EINVAL);
    json_decref(notobj);

    assert_int_equal(quantity_parse_cstr("1.5Gi", &q), 0);
    json_t *s = json_quantity_new(&q);
    assert_non_null(s);
    assert_string_equal(json_string_value(s), "1536Mi");
    /* What we write, we read back. */
    assert_int_equal(json_quantity_decode(s, &q, &set), 0);
    assert_true(quantity_format_canonical(&q, buf, sizeof buf) > 0);
    assert_string_equal(buf, "1536Mi");
    json_decref(s);
    assert_null(json_quantity_new(NULL));
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_unset_and_types),
        cmocka_unit_test(test_get_and_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
