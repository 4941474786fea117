/*
 * test_crd.c - every field a policy file may hold survives the PodScaler CRD.
 *
 * The API server prunes the fields a structural schema does not name, without
 * an error, and rejects values outside its enums and bounds. A PodScaler that
 * podscaler accepts in a file must reach the controller unchanged from the
 * cluster, so each policy document given here is checked against the CRD's
 * schema as the API server applies it: known properties, types, int-or-string,
 * enums, minimum and maximum, and x-kubernetes-preserve-unknown-fields.
 *
 * Usage: test_crd CRD.yaml POLICY... (each policy must also load as a policy).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "podscaler/policy.h"

static int fails, quiet;

static void bad(const char *file, const char *path, const char *what)
{
    if (!quiet)
        fprintf(stderr, "FAIL %s: %s: %s\n", file, path, what);
    fails++;
}

/* A CRD or policy file as JSON. JSON is read as the YAML it also is. */
static json_t *load_doc(const char *path)
{
    static char data[1 << 20];
    char err[256];
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return NULL;
    }
    size_t len = fread(data, 1, sizeof(data), f);
    fclose(f);
    json_t *doc = policy_yaml_to_json(data, len, err, sizeof(err));
    if (!doc)
        fprintf(stderr, "%s: %s\n", path, err);
    return doc;
}

/* OpenAPI's type names, each with the one or two JSON types it admits. */
static int type_ok(const char *type, const json_t *v)
{
    static const struct {
        const char *name;
        json_type a, b;
    } types[] = {
        {"object", JSON_OBJECT, JSON_OBJECT}, {"array", JSON_ARRAY, JSON_ARRAY},
        {"string", JSON_STRING, JSON_STRING}, {"integer", JSON_INTEGER, JSON_INTEGER},
        {"number", JSON_INTEGER, JSON_REAL},  {"boolean", JSON_TRUE, JSON_FALSE},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(type, types[i].name) == 0)
            return json_typeof(v) == types[i].a || json_typeof(v) == types[i].b;
    return 0;
}

/* The value v at path, against schema node s. */
static void check(const char *file, const json_t *s, json_t *v, const char *path)
{
    char msg[256];
    const json_t *t = json_object_get(s, "type");
    if (json_is_true(json_object_get(s, "x-kubernetes-int-or-string"))) {
        if (!json_is_integer(v) && !json_is_string(v))
            bad(file, path, "must be an integer or a string");
        return;
    }
    if (!json_is_string(t)) {
        bad(file, path, "the schema gives no type (not structural)");
        return;
    }
    if (!type_ok(json_string_value(t), v)) {
        snprintf(msg, sizeof(msg), "is not of type %s", json_string_value(t));
        bad(file, path, msg);
        return;
    }
    const json_t *e = json_object_get(s, "enum");
    if (json_is_array(e)) {
        size_t i, hit = 0;
        const json_t *x;
        json_array_foreach(e, i, x) hit |= json_equal(x, v);
        if (!hit)
            bad(file, path, "is not one of the schema's enum");
    }
    if (json_is_number(v)) {
        const double x = json_number_value(v);
        const json_t *lo = json_object_get(s, "minimum"), *hi = json_object_get(s, "maximum");
        const int xlo = json_is_true(json_object_get(s, "exclusiveMinimum"));
        if (json_is_number(lo) &&
            (x < json_number_value(lo) || (xlo && x == json_number_value(lo))))
            bad(file, path, "is below the schema's minimum");
        if (json_is_number(hi) && x > json_number_value(hi))
            bad(file, path, "is above the schema's maximum");
    }
    const int keep = json_is_true(json_object_get(s, "x-kubernetes-preserve-unknown-fields"));
    if (json_is_object(v)) {
        const json_t *props = json_object_get(s, "properties");
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            char sub[512];
            snprintf(sub, sizeof(sub), "%s.%s", path, k);
            const json_t *ps = props ? json_object_get(props, k) : NULL;
            if (ps)
                check(file, ps, x, sub);
            else if (!keep)
                bad(file, sub, "is not in the schema: the API server would prune it");
        }
    } else if (json_is_array(v)) {
        const json_t *items = json_object_get(s, "items");
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            char sub[512];
            snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
            if (items)
                check(file, items, x, sub);
            else
                bad(file, sub, "the schema gives no items");
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CRD.yaml POLICY...\n", argv[0]);
        return 2;
    }
    json_t *crd = load_doc(argv[1]);
    const json_t *spec = json_object_get(
        json_object_get(
            json_object_get(
                json_object_get(
                    json_array_get(json_object_get(json_object_get(crd, "spec"), "versions"), 0),
                    "schema"),
                "openAPIV3Schema"),
            "properties"),
        "spec");
    if (!spec) {
        fprintf(stderr, "FAIL %s: no spec.versions[0].schema.openAPIV3Schema.properties.spec\n",
                argv[1]);
        return 1;
    }
    /* The checker itself finds a bad enum, a value under the minimum, a wrong
     * type and a field the schema would prune. */
    json_t *schema = json_pack("{s:s, s:{s:{s:s, s:[s]}, s:{s:s, s:i}, s:{s:s}}}", "type", "object",
                               "properties", "a", "type", "string", "enum", "x", "n", "type",
                               "integer", "minimum", 1, "t", "type", "string");
    json_t *wrong = json_pack("{s:s, s:i, s:i, s:i}", "a", "y", "n", 0, "t", 5, "b", 1);
    quiet = 1;
    check("(self-test)", schema, wrong, "spec");
    quiet = 0;
    json_decref(wrong);
    json_decref(schema);
    if (fails != 4) {
        fprintf(stderr, "FAIL the checker found %d of 4 planted faults\n", fails);
        return 1;
    }
    fails = 0;

    for (int i = 2; i < argc; i++) {
        struct ps_policy p;
        char err[512];
        if (policy_load_file(argv[i], &p, err, sizeof(err)) != 0) {
            bad(argv[i], "(policy)", err);
            continue;
        }
        json_t *doc = load_doc(argv[i]);
        json_t *s = json_object_get(doc, "spec");
        if (!s) {
            bad(argv[i], "spec", "a PodScaler object is expected");
        } else {
            check(argv[i], spec, s, "spec");
        }
        json_decref(doc);
    }
    json_decref(crd);
    printf("crd: %d policy documents checked, %d faults\n", argc - 2, fails);
    return fails ? 1 : 0;
}
