/*
 * quantity.h - Kubernetes resource.Quantity, exact (spec/kubernetes-api.md section 2).
 *
 * A quantity is an exact decimal number plus the suffix family it was written
 * in. Parsing uses no floating point and no allocation; values that do not fit
 * are reported, never silently rounded, except where upstream itself rounds:
 * sub-nano precision is rounded up to the next 1n (as ParseQuantity does) and
 * BinarySI magnitudes are clamped to 2^63-1 (idem). The struct is a plain value:
 * copy it freely, nothing to free. Every pointer argument is borrowed for the
 * duration of the call only.
 *
 * Range: the magnitude is held as an unsigned 128-bit count of nano-units, so
 * |value| < 2^128 * 10^-9 (about 3.4e29). Upstream accepts larger values with
 * arbitrary precision; no cluster produces them, and parsing one here fails with
 * QUANTITY_EOVERFLOW (spec 2.5, "Representation advice for C").
 *
 * Deliberate differences from upstream, all outside what clusters carry:
 *  - DecimalSI values >= 10^21 format as "<n>E" (upstream prints the bare
 *    mantissa with no suffix, a bug noted in spec 2.4).
 *  - BinarySI values above 2^63-1 (only RoundUp and the constructors make
 *    them) format as DecimalSI, so that the text reads back as the same value
 *    (upstream writes e.g. "8Ei", which its own parser clamps to 2^63-1).
 *  - exponents beyond the int32 range: upstream truncates them to int32; here a
 *    non-zero value with such an exponent overflows (positive exponent) or
 *    rounds up to 1n (negative exponent); zero stays zero.
 *  - quantity_from_scaled() with a scale below -9 rounds up to nano-units like
 *    the parser does.
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
    QUANTITY_EEMPTY = PS_ERANGE_QUANTITY_FIRST,        /* empty text */
    QUANTITY_ESYNTAX = PS_ERANGE_QUANTITY_FIRST - 1,   /* not the Quantity grammar */
    QUANTITY_ESUFFIX = PS_ERANGE_QUANTITY_FIRST - 2,   /* unknown suffix or bad exponent */
    QUANTITY_EOVERFLOW = PS_ERANGE_QUANTITY_FIRST - 3, /* too large to represent */
    QUANTITY_ETYPE = PS_ERANGE_QUANTITY_FIRST - 4      /* JSON value neither string, number
                                                          nor null (json_quantity.h) */
};

/* Room for the canonical or exact text of any representable quantity, with its NUL. */
#define QUANTITY_TEXT_MAX 64

/*
 * The value is (negative ? -1 : 1) * nano * 10^-9, nano being the unsigned
 * 128-bit integer nano_hi * 2^64 + nano_lo. Zero is never negative. Treat the
 * fields as private to common/quantity.c; use the functions below.
 */
typedef struct quantity {
    uint64_t nano_hi, nano_lo;
    int8_t negative;
    uint8_t format; /* enum quantity_format */
} quantity;

const char *quantity_strerror(int code);

/* Parses the len bytes at text (no NUL needed; a NUL byte inside is a syntax
 * error). 0 or QUANTITY_EEMPTY / ESYNTAX / ESUFFIX / EOVERFLOW, PS_EINVAL for a
 * NULL argument. On error *out is zero. */
int quantity_parse(const char *text, size_t len, quantity *out);
/* Convenience for a NUL-terminated string. */
int quantity_parse_cstr(const char *text, quantity *out);

/* Canonical text as upstream's String() writes it, NUL-terminated. Returns the
 * length written (without the NUL) or PS_ENOSPC when cap is too small
 * (QUANTITY_TEXT_MAX is always enough). */
int quantity_format_canonical(const quantity *q, char *buf, size_t cap);
/* The exact value in plain decimal notation ("-0.25", "1073741824", "0"), as
 * the "exact" field of the vectors. Same return convention. */
int quantity_format_exact(const quantity *q, char *buf, size_t cap);
/* "DecimalSI", "BinarySI" or "DecimalExponent". */
const char *quantity_format_name(enum quantity_format f);
enum quantity_format quantity_get_format(const quantity *q);

/* sign(a - b), comparing values, whatever their formats. */
int quantity_cmp(const quantity *a, const quantity *b);
int quantity_is_zero(const quantity *q);
int quantity_sign(const quantity *q);

/* Integer views rounded away from zero, as upstream Value()/MilliValue();
 * PS_ERANGE when the result does not fit int64 (*out is then 0). */
int quantity_value(const quantity *q, int64_t *out);
int quantity_milli_value(const quantity *q, int64_t *out);
/* value * 10^-scale rounded away from zero; e.g. scale -3 is MilliValue. */
int quantity_scaled_value(const quantity *q, int scale, int64_t *out);

/* Rounds away from zero to a multiple of 10^scale (upstream RoundUp); *exact
 * (may be NULL) is set to 1 when nothing was lost. The format is kept.
 * PS_ERANGE (q unchanged) when the result would not be representable. */
int quantity_round_up(quantity *q, int scale, int *exact);

/* Constructors (upstream NewMilliQuantity, NewQuantity, NewScaledQuantity). A
 * format outside the enum behaves as QUANTITY_DECIMAL_EXPONENT, as upstream. */
void quantity_from_milli(int64_t milli, enum quantity_format f, quantity *out);
void quantity_from_value(int64_t value, enum quantity_format f, quantity *out);
/* value * 10^scale in DecimalSI. PS_ERANGE (and *out zero) when it does not fit. */
int quantity_from_scaled(int64_t value, int scale, quantity *out);

/* Approximate double value (upstream AsApproximateFloat64). Not for the parse path. */
double quantity_to_double(const quantity *q);

#endif
