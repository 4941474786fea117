/*
 * kube_int.h - internals shared by the files of common/kube (not a public interface).
 */
#ifndef PODSCALER_KUBE_INT_H
#define PODSCALER_KUBE_INT_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>

#include "podscaler/kube.h"
/* ps_ctl_at: values that go into HTTP headers must have no control character;
 * libcurl sends a header as given, so a CR or LF would end it and start another. */
#include "podscaler/text.h"

/* YAML text (one document) to a JSON tree: mappings → objects, sequences →
 * arrays, scalars → strings (plain null/~/empty → null). Aliases and nesting
 * deeper than KUBE_YAML_MAX_DEPTH are rejected. */
#define KUBE_YAML_MAX_DEPTH 64
int kube_yaml_to_json(const char *text, size_t len, json_t **out, char *err, size_t errlen);

/* Standard base64 (padding optional, CR/LF/space ignored). *out is malloc'd and
 * NUL-terminated (not counted in *outlen). */
int kube_base64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen);
/* Standard base64 with padding; malloc'd. */
char *kube_base64_encode(const unsigned char *in, size_t len);

/* snprintf into err when err is not NULL. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void kube_errf(char *err, size_t errlen, const char *fmt, ...);

char *kube_strdup0(const char *s); /* NULL-safe strdup */
/* Reads a whole file (cap bytes at most). */
int kube_read_file(const char *path, size_t cap, char **out, size_t *outlen);

/* Deep copy of a loaded configuration. */
int kube_config_copy(const struct kube_config *src, struct kube_config *dst);

#endif
