/*
 * vectors.h - shared plumbing of run_vectors (tests only).
 *
 * run_vectors.c reads each file with jansson and hands the document to the
 * runner of the KIND asked for. A runner reports each vector with vec_pass() or
 * vec_fail(); a vector with an unknown field or op is a failure, never a skip.
 */
#ifndef PODSCALER_TESTS_VECTORS_H
#define PODSCALER_TESTS_VECTORS_H

#include <jansson.h>
#include <stddef.h>

struct vec_ctx {
    const char *file;
    int passed;
    int failed;
};

void vec_pass(struct vec_ctx *ctx);

/* One line on stdout: "FAIL <file> <id>: <message>". The message should say
 * what was expected and what was got. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void vec_fail(struct vec_ctx *ctx, const char *id, const char *fmt, ...);

/* Checks that every key of obj is in the NULL-terminated allowed list. On the
 * first unknown key, writes it to *unknown and returns 0; returns 1 when all
 * keys are known (or obj is not an object). */
int vec_keys_known(json_t *obj, const char *const *allowed, const char **unknown);

/* Document-level checks and the run of every vector in `root`. A runner returns
 * 0 when it could interpret the document (even with failing vectors) and -1 when
 * the document itself is unusable (wrong schema): run_vectors then counts the
 * file as unread. */
typedef int (*vec_runner)(json_t *root, struct vec_ctx *ctx);

int vectors_run_quantity(json_t *root, struct vec_ctx *ctx);
int vectors_run_hpa(json_t *root, struct vec_ctx *ctx);
int vectors_run_vpa(json_t *root, struct vec_ctx *ctx);

#endif
