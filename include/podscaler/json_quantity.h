/*
 * json_quantity.h - a Kubernetes Quantity field read from, or written to, a
 * jansson value (spec/kubernetes-api.md section 2.7). I/O layer (ps_common):
 * the Kubernetes object decoders use it; the pure cores never see JSON.
 *
 * Every json_t argument is borrowed; json_quantity_new() returns a new
 * reference the caller owns (json_decref).
 */
#ifndef PODSCALER_JSON_QUANTITY_H
#define PODSCALER_JSON_QUANTITY_H

#include <jansson.h>

#include "podscaler/quantity.h"

/*
 * Decodes a Quantity field value, as upstream Quantity.UnmarshalJSON does:
 *  - a JSON string: white space inside the quotes is trimmed (Go's
 *    strings.TrimSpace: ASCII and Unicode spaces), then parsed;
 *  - a JSON number: an integer is exact; a real, which jansson holds as a
 *    double, is written back with the fewest digits (up to 17) that read back
 *    as the same double and that text is parsed, so 0.1 stays 0.1 (upstream
 *    parses the literal text; the value matches, the remembered format may
 *    not: 1e3 arrives as 1000.0 and becomes DecimalSI "1k", not "1e3");
 *  - JSON null, or v == NULL (an absent member): the field is unset.
 * Returns 0 with *set = 1 (set may be NULL) and the value in *out, or 0 with
 * *set = 0 and *out zero when unset. Errors (*out zero, *set 0):
 * QUANTITY_ETYPE (true/false/object/array), QUANTITY_EEMPTY (empty or blank
 * string), QUANTITY_ESYNTAX / ESUFFIX / EOVERFLOW (bad text), PS_ENAN (a
 * non-finite real), PS_EINVAL (out is NULL). Name the field in messages with
 * quantity_strerror(rc).
 */
int json_quantity_decode(const json_t *v, quantity *out, int *set);

/* The same for member `key` of object `obj`; an absent member is unset.
 * PS_EINVAL when obj is not an object or key is NULL. */
int json_quantity_get(const json_t *obj, const char *key, quantity *out, int *set);

/* A JSON string holding the canonical text (what upstream's encoder writes),
 * or NULL if q is NULL or on allocation failure. */
json_t *json_quantity_new(const quantity *q);

#endif
