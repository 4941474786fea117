/*
 * run_vectors KIND FILE... - runs the upstream test vectors of ../shared/vectors.
 *
 * Prints one line per failing vector and ends with "N passed, M failed". Exit
 * status 0 only when no vector failed, at least one ran, and every file was read.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vectors.h"

void vec_pass(struct vec_ctx *ctx)
{
    ctx->passed++;
}

void vec_fail(struct vec_ctx *ctx, const char *id, const char *fmt, ...)
{
    va_list ap;
    ctx->failed++;
    printf("FAIL %s %s: ", ctx->file, id ? id : "(unnamed)");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

int vec_keys_known(json_t *obj, const char *const *allowed, const char **unknown)
{
    const char *key;
    json_t *value;
    if (!json_is_object(obj))
        return 1;
    json_object_foreach(obj, key, value) {
        int found = 0;
        (void)value;
        for (const char *const *a = allowed; *a; a++) {
            if (strcmp(*a, key) == 0) {
                found = 1;
                break;
            }
        }
        if (!found) {
            *unknown = key;
            return 0;
        }
    }
    return 1;
}

static const struct {
    const char *kind;
    vec_runner run;
} kinds[] = {
    {"quantity", vectors_run_quantity},
    {"hpa", vectors_run_hpa},
    {"vpa", vectors_run_vpa},
};

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: run_vectors quantity|hpa|vpa FILE...\n");
        return 2;
    }
    vec_runner run = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(argv[1], kinds[i].kind) == 0)
            run = kinds[i].run;
    if (!run) {
        fprintf(stderr, "run_vectors: unknown kind '%s' (quantity, hpa or vpa)\n", argv[1]);
        return 2;
    }

    int passed = 0, failed = 0, unread = 0;
    for (int f = 2; f < argc; f++) {
        json_error_t err;
        json_t *root = json_load_file(argv[f], 0, &err);
        if (!root) {
            printf("ERROR %s: cannot read: %s (line %d, column %d)\n", argv[f], err.text,
                   err.line, err.column);
            unread++;
            continue;
        }
        struct vec_ctx ctx = {.file = argv[f]};
        if (run(root, &ctx) != 0) {
            printf("ERROR %s: not a %s vector file\n", argv[f], argv[1]);
            unread++;
        }
        passed += ctx.passed;
        failed += ctx.failed;
        json_decref(root);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return (failed == 0 && unread == 0 && passed > 0) ? 0 : 1;
}
