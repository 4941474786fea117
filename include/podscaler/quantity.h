/*
 * quantity.h - Kubernetes resource.Quantity, exact (spec/kubernetes-api.md section 2).
 *
 * A quantity is an exact decimal number plus the suffix family it was written
 * in. Parsing uses no floating point; values that do not fit are reported, never
 * silently rounded, except where upstream itself rounds (sub-nano precision is
 * rounded up to 1n, as ParseQuantity does). The struct is a plain value: copy it
 * freely, nothing to free.
 */
#ifndef PODSCALER_QUANTITY_H
#define PODSCALER_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

#include "podscaler/error.h"

enum quantity_format {
    QUANTITY_DECIMAL_SI = 0,   /* 1k, 500m, 2M */
    QUANTITY_BINARY_SI,        /* 1Ki, 2Gi */
    QUANTITY_DECIMAL_EXPONENT, /* 1e3, 5E-3 */
};

/* Module error codes (PS_ERANGE_QUANTITY_FIRST range). */
enum {
    QUANTITY_EEMPTY = PS_ERANGE_QUANTITY_FIRST,       /* empty text */
    QUANTITY_ESYNTAX = PS_ERANGE_QUANTITY_FIRST - 1,  /* not the Quantity grammar */
    QUANTITY_ESUFFIX = PS_ERANGE_QUANTITY_FIRST - 2,  /* unknown suffix */
    QUANTITY_EOVERFLOW = PS_ERANGE_QUANTITY_FIRST - 3 /* too large to represent */
};

/* Room for the canonical text of any representable quantity, with its NUL. */
#define QUANTITY_TEXT_MAX 64

/*
 * The value is mantissa * 10^exp10 exactly. Representation details are private
 * to common/quantity.c; use the functions below.
 */
typedef struct quantity {
    uint64_t mant_hi, mant_lo; /* unsigned 128-bit mantissa, split for portability */
    int32_t exp10;
    int8_t negative;
    uint8_t format; /* enum quantity_format */
} quantity;

const char *quantity_strerror(int code);

/* Parses the len bytes at text (no NUL needed). 0 or a QUANTITY_E* / PS_E* code. */
int quantity_parse(const char *text, size_t len, quantity *out);
/* Convenience for a NUL-terminated string. */
int quantity_parse_cstr(const char *text, quantity *out);

/* Canonical text as upstream's String() writes it. Returns the length written
 * (without the NUL) or PS_ENOSPC when cap is too small. */
int quantity_format_canonical(const quantity *q, char *buf, size_t cap);

/* sign(a - b), comparing values, whatever their formats. */
int quantity_cmp(const quantity *a, const quantity *b);
int quantity_is_zero(const quantity *q);
int quantity_sign(const quantity *q);

/* Integer views rounded away from zero, as upstream Value()/MilliValue();
 * PS_ERANGE when the result does not fit int64. */
int quantity_value(const quantity *q, int64_t *out);
int quantity_milli_value(const quantity *q, int64_t *out);
/* value * 10^-scale rounded away from zero; e.g. scale -3 is MilliValue. */
int quantity_scaled_value(const quantity *q, int scale, int64_t *out);

/* Rounds away from zero to a multiple of 10^scale (upstream RoundUp); *exact is
 * set to 1 when nothing was lost. */
int quantity_round_up(quantity *q, int scale, int *exact);

/* Constructors (upstream NewMilliQuantity, NewQuantity, NewScaledQuantity). */
void quantity_from_milli(int64_t milli, enum quantity_format f, quantity *out);
void quantity_from_value(int64_t value, enum quantity_format f, quantity *out);
void quantity_from_scaled(int64_t value, int scale, quantity *out);

/* Approximate double value (upstream AsApproximateFloat64). Not for the parse path. */
double quantity_to_double(const quantity *q);

#endif
