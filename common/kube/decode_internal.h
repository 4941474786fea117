/*
 * decode_internal.h - shared plumbing of the kobj decoders (common/kube/decode*.c).
 *
 * A decode context carries the arena the object's strings go to, the field path
 * of the value being read (for error messages) and the error to fill. Every
 * helper reads one field of a JSON object: absent and null mean "not set" and
 * return 0; a value of the wrong type is an error naming the field.
 */
#ifndef PODSCALER_DECODE_INTERNAL_H
#define PODSCALER_DECODE_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "podscaler/kobj.h"

struct kobj_arena *kd_arena_new(void);
void kd_arena_free(struct kobj_arena *a);
void *kd_alloc(struct kobj_arena *a, size_t size); /* zeroed */
/* n elements of size, zeroed; NULL when n is 0 or on failure (the caller checks
 * n first). */
void *kd_alloc_array(struct kobj_arena *a, size_t n, size_t size);
char *kd_strdup(struct kobj_arena *a, const char *s);

struct kd {
    struct kobj_arena *arena;
    struct kobj_error *err;
    const char *kind;
    const char *ns; /* set once the metadata is read */
    const char *name;
    char path[256];
    size_t len;
};

void kd_init(struct kd *d, struct kobj_arena *a, struct kobj_error *err, const char *kind);

/* Appends ".key" or "[i]" to the path; returns the length to restore with kd_pop. */
size_t kd_push(struct kd *d, const char *key);
size_t kd_push_index(struct kd *d, size_t i);
void kd_pop(struct kd *d, size_t len);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int kd_fail(struct kd *d, int code, const char *fmt, ...);
/* The same with key appended to the path for the message only. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int kd_fail_at(struct kd *d, const char *key, int code, const char *fmt, ...);

/* Fills err's kind/ns/name from the context, or from raw metadata when the
 * object's metadata was not decoded. */
void kd_finish_error(struct kd *d, const json_t *obj);

const char *kd_type_name(const json_t *v);

/* Field readers. `required` makes absence (or null) a PS_ENOENT error. */
int kd_obj(struct kd *d, const json_t *parent, const char *key, int required, const json_t **out);
int kd_arr(struct kd *d, const json_t *parent, const char *key, int required, const json_t **out);
int kd_str(struct kd *d, const json_t *parent, const char *key, int required, const char **out);
/* Integer in [min, max]; *out untouched when absent. present may be NULL. */
int kd_int(struct kd *d, const json_t *parent, const char *key, int required, int64_t min,
           int64_t max, int64_t *out, int *present);
int kd_i32(struct kd *d, const json_t *parent, const char *key, int required, int32_t min,
           int32_t *out, int *present);
int kd_bool(struct kd *d, const json_t *parent, const char *key, int *out);
int kd_time(struct kd *d, const json_t *parent, const char *key, int required, int64_t *out_ms);
/* A string among names (NULL-terminated); *out is its index. */
int kd_enum(struct kd *d, const json_t *parent, const char *key, int required,
            const char *const *names, int *out, int *present);

/* A Quantity (section 2.7) as an exact quantity; negative values are errors
 * unless allow_negative. */
int kd_quantity(struct kd *d, const json_t *parent, const char *key, int allow_negative,
                struct kobj_qty *out);
/* A ResourceList: cpu (rounded up to millicores), memory (rounded up to bytes);
 * other resources are ignored. */
int kd_resources(struct kd *d, const json_t *parent, const char *key, struct kobj_resources *out);

int kd_meta(struct kd *d, const json_t *obj, int name_required, int ns_required,
            struct kobj_meta *out);
int kd_labels(struct kd *d, const json_t *parent, const char *key, struct kobj_label **out,
              size_t *n);
int kd_selector(struct kd *d, const json_t *parent, const char *key, struct kobj_selector *out);
int kd_ref(struct kd *d, const json_t *parent, const char *key, int required, struct kobj_ref *out);
int kd_conditions(struct kd *d, const json_t *parent, const char *key, struct kobj_condition **out,
                  size_t *n);
int kd_containers(struct kd *d, const json_t *parent, const char *key, int required,
                  struct kobj_container **out, size_t *n);
int kd_recommendations(struct kd *d, const json_t *parent, const char *key,
                       struct kobj_recommendation **out, size_t *n);

/* Object bodies, shared by the single and the list decoders. */
typedef int (*kd_body_fn)(struct kd *d, const json_t *j, void *out);
int kd_body_pod_metrics(struct kd *d, const json_t *j, void *out);
int kd_body_pod(struct kd *d, const json_t *j, void *out);
int kd_body_deployment(struct kd *d, const json_t *j, void *out);
int kd_body_scale(struct kd *d, const json_t *j, void *out);
int kd_body_hpa(struct kd *d, const json_t *j, void *out);
int kd_body_vpa(struct kd *d, const json_t *j, void *out);
int kd_body_podscaler(struct kd *d, const json_t *j, void *out);

/* Decodes one object into out (size bytes) with its own arena, stored through
 * arena_out. */
int kd_decode_one(const json_t *j, const char *kind, kd_body_fn body, void *out, size_t size,
                  struct kobj_arena **arena_out, struct kobj_error *err);

/* Decodes a <Kind>List into one arena; items that fail go to lm->errors. */
int kd_decode_list(const json_t *j, const char *list_kind, const char *item_kind, kd_body_fn body,
                   size_t item_size, struct kobj_arena **arena_out, struct kobj_list_meta *lm,
                   void **items_out, size_t *n_items, struct kobj_error *err);

#endif
