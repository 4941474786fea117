/*
 * quantity.c - exact Kubernetes resource.Quantity (spec/kubernetes-api.md section 2).
 *
 * The magnitude is an unsigned 128-bit count of nano-units held in two uint64
 * halves (no __int128, so 32-bit targets build too). Parsing is one pass over
 * the text to find the digit and suffix spans, then integer arithmetic on those
 * spans: no floating point, no allocation, overflow checked at every step.
 */
#include "podscaler/quantity.h"

#include <string.h>

typedef struct {
    uint64_t hi, lo;
} u128;

#define LO32 UINT64_C(0xffffffff)

static const uint32_t pow10_u32[10] = {1u,      10u,      100u,      1000u,      10000u,
                                       100000u, 1000000u, 10000000u, 100000000u, 1000000000u};

/* BinarySI magnitudes are capped at 2^63-1 (upstream ParseQuantity, `maxAllowed`),
 * here in nano-units: (2^63-1) * 10^9. */
static const u128 binary_cap_nano = {UINT64_C(0x1dcd64ff), UINT64_C(0xffffffffc4653600)};

/* 10^38 < 2^128 < 10^39: a non-zero value times 10^39 always overflows. */
#define U128_MAX_POW10 38

/* Exponents are clamped to this before any arithmetic; a non-zero value with a
 * larger |exponent| is out of range (or below 1n) whatever its digits, as long
 * as the text is shorter than PARSE_MAX_LEN. */
#define EXP_CLAMP     (INT64_C(1) << 40)
#define PARSE_MAX_LEN (UINT64_C(1) << 39)

/* BinarySI prefixes go up to Ei = 1024^6 (upstream suffix.go `binSuffixes`). */
#define BIN_MAX_K 6

static int u128_is_zero(u128 x)
{
    return x.hi == 0 && x.lo == 0;
}

static int u128_cmp(u128 a, u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

/* x = x * m + a, in 32-bit limbs so that every partial product fits uint64.
 * Returns 1 on overflow (x is then garbage). */
static int u128_muladd(u128 *x, uint32_t m, uint32_t a)
{
    uint64_t l0 = (x->lo & LO32) * m + a;
    uint64_t l1 = (x->lo >> 32) * m + (l0 >> 32);
    uint64_t h0 = (x->hi & LO32) * m + (l1 >> 32);
    uint64_t h1 = (x->hi >> 32) * m + (h0 >> 32);
    x->lo = (l1 << 32) | (l0 & LO32);
    x->hi = (h1 << 32) | (h0 & LO32);
    return (h1 >> 32) != 0;
}

/* x *= 10^t (t >= 0); 1 on overflow. */
static int u128_mul_pow10(u128 *x, int64_t t)
{
    if (u128_is_zero(*x))
        return 0;
    if (t > U128_MAX_POW10)
        return 1;
    for (; t >= 9; t -= 9)
        if (u128_muladd(x, pow10_u32[9], 0))
            return 1;
    return t > 0 ? u128_muladd(x, pow10_u32[t], 0) : 0;
}

/* x <<= s (0 <= s < 64); 1 on overflow. */
static int u128_shl(u128 *x, unsigned s)
{
    if (s == 0)
        return 0;
    if ((x->hi >> (64 - s)) != 0)
        return 1;
    x->hi = (x->hi << s) | (x->lo >> (64 - s));
    x->lo <<= s;
    return 0;
}

static int u128_add64(u128 *x, uint64_t a)
{
    x->lo += a;
    if (x->lo < a) {
        x->hi++;
        return x->hi == 0;
    }
    return 0;
}

/* x /= d, returns x % d (d != 0). */
static uint32_t u128_divmod(u128 *x, uint32_t d)
{
    if (x->hi == 0) {
        uint32_t r = (uint32_t)(x->lo % d);
        x->lo /= d;
        return r;
    }
    uint64_t limbs[4] = {x->hi >> 32, x->hi & LO32, x->lo >> 32, x->lo & LO32};
    uint64_t r = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t cur = (r << 32) | limbs[i];
        limbs[i] = cur / d;
        r = cur % d;
    }
    x->hi = (limbs[0] << 32) | limbs[1];
    x->lo = (limbs[2] << 32) | limbs[3];
    return (uint32_t)r;
}

/* x = ceil(x / 10^k) for k >= 0: the round-away-from-zero of every integer view. */
static void u128_div_pow10_ceil(u128 *x, int64_t k)
{
    if (u128_is_zero(*x) || k <= 0)
        return;
    if (k > U128_MAX_POW10) {
        *x = (u128){0, 1};
        return;
    }
    int lost = 0;
    for (; k >= 9; k -= 9)
        lost |= u128_divmod(x, pow10_u32[9]) != 0;
    if (k > 0)
        lost |= u128_divmod(x, pow10_u32[k]) != 0;
    if (lost)
        (void)u128_add64(x, 1); /* x < 2^128 / 10, cannot overflow */
}

/* x = x * 10^k + digits, for k ASCII digits at p; 1 on overflow. Nine digits
 * at a time so a typical quantity costs one or two multiplications. */
static int u128_acc_digits(u128 *x, const char *p, size_t k)
{
    while (k > 0) {
        size_t c = k < 9 ? k : 9;
        uint32_t chunk = 0;
        for (size_t i = 0; i < c; i++)
            chunk = chunk * 10u + (uint32_t)(p[i] - '0');
        if (u128_muladd(x, pow10_u32[c], chunk))
            return 1;
        p += c;
        k -= c;
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int any_nonzero(const char *p, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (p[i] != '0')
            return 1;
    return 0;
}

/* Characters the suffix may start with (upstream parseQuantityString). */
static int is_suffix_char(char c)
{
    switch (c) {
    case 'e':
    case 'E':
    case 'i':
    case 'n':
    case 'u':
    case 'm':
    case 'k':
    case 'K':
    case 'M':
    case 'G':
    case 'T':
    case 'P':
        return 1;
    default:
        return 0;
    }
}

const char *quantity_strerror(int code)
{
    switch (code) {
    case QUANTITY_EEMPTY:
        return "empty quantity";
    /* Upstream ErrFormatWrong's text, so users can search for it. */
    case QUANTITY_ESYNTAX:
        return "quantities must match the regular expression "
               "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
    case QUANTITY_ESUFFIX:
        return "unable to parse quantity's suffix";
    case QUANTITY_EOVERFLOW:
        return "quantity too large to represent";
    case QUANTITY_ETYPE:
        return "quantity must be a JSON string, number or null";
    default:
        return ps_strerror(code);
    }
}

enum base { BASE_10, BASE_2 };

/* Upstream suffixHandler.interpret: the decimal SI table, then the binary one,
 * then e/E followed by a signed 64-bit integer. */
static int interpret_suffix(const char *s, size_t n, enum base *base, int64_t *exp,
                            enum quantity_format *fmt)
{
    static const char dec_letters[] = "num\0kMGTPE";
    *fmt = QUANTITY_DECIMAL_SI;
    *base = BASE_10;
    if (n == 0) {
        *exp = 0;
        return 0;
    }
    if (n == 1) {
        for (int i = 0; i < 10; i++) {
            if (dec_letters[i] != '\0' && dec_letters[i] == s[0]) {
                *exp = (i - 3) * 3;
                return 0;
            }
        }
    }
    if (n == 2 && s[1] == 'i') {
        static const char bin_letters[] = "KMGTPE";
        for (int i = 0; i < BIN_MAX_K; i++) {
            if (bin_letters[i] == s[0]) {
                *base = BASE_2;
                *exp = (i + 1) * 10;
                *fmt = QUANTITY_BINARY_SI;
                return 0;
            }
        }
    }
    if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
        /* strconv.ParseInt(s[1:], 10, 64): optional sign, one digit or more, in range. */
        size_t i = 1;
        int neg = 0;
        if (s[i] == '+' || s[i] == '-') {
            neg = s[i] == '-';
            i++;
        }
        if (i == n)
            return QUANTITY_ESUFFIX;
        uint64_t limit = neg ? UINT64_C(9223372036854775808) : UINT64_C(9223372036854775807);
        uint64_t v = 0;
        for (; i < n; i++) {
            if (!is_digit(s[i]))
                return QUANTITY_ESUFFIX;
            unsigned d = (unsigned)(s[i] - '0');
            if (v > (limit - d) / 10)
                return QUANTITY_ESUFFIX;
            v = v * 10 + d;
        }
        /* Only the clamped value is used, so the int64 edge needs no care. */
        int64_t e = v > (uint64_t)EXP_CLAMP ? EXP_CLAMP : (int64_t)v;
        *exp = neg ? -e : e;
        *fmt = QUANTITY_DECIMAL_EXPONENT;
        return 0;
    }
    return QUANTITY_ESUFFIX;
}

/*
 * The digits of the number are S = int part (leading zeros stripped) followed
 * by the fraction part; value = S * 10^-f * base^exp.
 */
struct digits {
    const char *ip, *fp; /* integer and fraction digits */
    size_t ni, nf;
};

static char digit_at(const struct digits *d, size_t i)
{
    return i < d->ni ? d->ip[i] : d->fp[i - d->ni];
}

/* nano = ceil(S * 10^t) for the decimal families. */
static int nano_decimal(const struct digits *d, int64_t exp, u128 *nano)
{
    size_t n = d->ni + d->nf;
    size_t i0 = 0;
    while (i0 < n && digit_at(d, i0) == '0')
        i0++;
    if (i0 == n) {
        *nano = (u128){0, 0};
        return 0;
    }
    int64_t t = exp + 9 - (int64_t)d->nf;
    int64_t p0 = (int64_t)(n - 1 - i0) + t; /* power of ten of the leading digit */
    if (p0 > U128_MAX_POW10)
        return QUANTITY_EOVERFLOW;
    if (p0 < 0) {
        /* Below 1n: upstream rounds any non-zero amount up to 1n. */
        *nano = (u128){0, 1};
        return 0;
    }
    /* Digits [i0, keep) are at or above the nano place, [keep, n) below it. */
    size_t keep = t < 0 ? (size_t)((int64_t)n + t) : n;
    u128 x = {0, 0};
    if (i0 < d->ni) {
        size_t stop = keep < d->ni ? keep : d->ni;
        if (u128_acc_digits(&x, d->ip + i0, stop - i0))
            return QUANTITY_EOVERFLOW;
    }
    if (keep > d->ni) {
        size_t from = i0 > d->ni ? i0 - d->ni : 0;
        if (u128_acc_digits(&x, d->fp + from, keep - d->ni - from))
            return QUANTITY_EOVERFLOW;
    }
    if (t > 0 && u128_mul_pow10(&x, t))
        return QUANTITY_EOVERFLOW;
    int lost = 0;
    for (size_t i = keep; i < n && !lost; i++)
        lost = digit_at(d, i) != '0';
    if (lost && u128_add64(&x, 1))
        return QUANTITY_EOVERFLOW;
    *nano = x;
    return 0;
}

/* nano = min(ceil(S * 10^-f * 2^m * 10^9), cap) for BinarySI. Overflow is not an
 * error: upstream computes with arbitrary precision and then clamps. */
static void nano_binary(const struct digits *d, unsigned m, u128 *nano)
{
    u128 x = {0, 0};
    if (d->nf <= 9) {
        if (u128_acc_digits(&x, d->ip, d->ni) || u128_acc_digits(&x, d->fp, d->nf) ||
            u128_mul_pow10(&x, 9 - (int64_t)d->nf) || u128_shl(&x, m))
            goto clamp;
    } else {
        /* S = H * 10^k + L with L the last k = nf - 9 fraction digits:
         * nano = H * 2^m + ceil(L * 2^m / 10^k). */
        size_t k = d->nf - 9;
        if (u128_acc_digits(&x, d->ip, d->ni) || u128_acc_digits(&x, d->fp, 9) || u128_shl(&x, m))
            goto clamp;
        /* Long multiplication of L's leading digits by 2^m, right to left: the
         * carry out is the integer part, the digits left the fraction. Keeping
         * 64 >= m digits is enough: with L' the first P digits, r = L'*2^m mod
         * 10^P is a multiple of 2^m (P >= m), so r + (dropped part)*2^m stays
         * below 10^P and the carry is floor(L*2^m/10^k) exactly. */
        const char *l = d->fp + 9;
        size_t p = k < 64 ? k : 64;
        uint64_t carry = 0;
        int frac = any_nonzero(l + p, k - p);
        for (size_t i = p; i-- > 0;) {
            uint64_t v = ((uint64_t)(l[i] - '0') << m) + carry; /* <= 10 * 2^60 */
            frac |= (v % 10) != 0;
            carry = v / 10;
        }
        if (u128_add64(&x, carry + (uint64_t)frac))
            goto clamp;
    }
    if (u128_cmp(x, binary_cap_nano) > 0)
        goto clamp;
    *nano = x;
    return;
clamp:
    *nano = binary_cap_nano;
}

int quantity_parse(const char *text, size_t len, quantity *out)
{
    if (!out)
        return PS_EINVAL;
    *out = (quantity){0};
    if (len == 0)
        return QUANTITY_EEMPTY;
    if (!text)
        return PS_EINVAL;
    if ((uint64_t)len > PARSE_MAX_LEN)
        return QUANTITY_EOVERFLOW;
    if (len == 1 && text[0] == '0')
        return 0;

    size_t pos = 0;
    int negative = 0;
    if (text[0] == '-' || text[0] == '+') {
        negative = text[0] == '-';
        pos++;
    }
    while (pos < len && text[pos] == '0')
        pos++;
    if (pos == len)
        return 0; /* "+", "-", "000": zero, DecimalSI (upstream returns early) */

    struct digits d = {.ip = text + pos, .fp = text + pos};
    while (pos < len && is_digit(text[pos]))
        pos++;
    d.ni = (size_t)(text + pos - d.ip);
    d.fp = text + pos;
    if (pos < len && text[pos] == '.') {
        pos++;
        d.fp = text + pos;
        while (pos < len && is_digit(text[pos]))
            pos++;
        d.nf = (size_t)(text + pos - d.fp);
    }

    /* Suffix: letters of the set, at most one sign, then digits to the end. */
    size_t suffix = pos;
    while (pos < len && is_suffix_char(text[pos]))
        pos++;
    if (pos < len && (text[pos] == '+' || text[pos] == '-'))
        pos++;
    while (pos < len && is_digit(text[pos]))
        pos++;
    if (pos != len)
        return QUANTITY_ESYNTAX;

    enum base base;
    int64_t exp;
    enum quantity_format fmt;
    int rc = interpret_suffix(text + suffix, len - suffix, &base, &exp, &fmt);
    if (rc != 0)
        return rc;

    u128 nano;
    if (base == BASE_2) {
        nano_binary(&d, (unsigned)exp, &nano);
        /* 0 < |v| < 1 in BinarySI is remembered as DecimalSI (upstream ParseQuantity). */
        if (!u128_is_zero(nano) && nano.hi == 0 && nano.lo < pow10_u32[9])
            fmt = QUANTITY_DECIMAL_SI;
    } else {
        rc = nano_decimal(&d, exp, &nano);
        if (rc != 0)
            return rc;
    }
    out->nano_hi = nano.hi;
    out->nano_lo = nano.lo;
    out->negative = (int8_t)(negative && !u128_is_zero(nano));
    out->format = (uint8_t)fmt;
    return 0;
}

int quantity_parse_cstr(const char *text, quantity *out)
{
    if (!text) {
        if (out)
            *out = (quantity){0};
        return PS_EINVAL;
    }
    return quantity_parse(text, strlen(text), out);
}

static u128 mag_of(const quantity *q)
{
    return (u128){q->nano_hi, q->nano_lo};
}

/* Writes x in decimal at p (room for 40 digits), returns the length. */
static size_t u128_to_dec(u128 x, char *p)
{
    char tmp[48];
    size_t n = 0;
    do {
        uint32_t chunk = u128_divmod(&x, pow10_u32[9]);
        int last = u128_is_zero(x);
        for (int i = 0; i < 9 && (!last || chunk != 0 || i == 0); i++) {
            tmp[n++] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    } while (!u128_is_zero(x));
    for (size_t i = 0; i < n; i++)
        p[i] = tmp[n - 1 - i];
    return n;
}

static size_t int_to_dec(int64_t v, char *p)
{
    size_t n = 0;
    if (v < 0) {
        p[n++] = '-';
        v = -v; /* |v| is small: an exponent multiple of 3 within +-2^40 */
    }
    return n + u128_to_dec((u128){0, (uint64_t)v}, p + n);
}

static int emit(const char *tmp, size_t n, char *buf, size_t cap)
{
    if (!buf || cap < n + 1)
        return PS_ENOSPC;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return (int)n;
}

static enum quantity_format effective_format(uint8_t f)
{
    return f > QUANTITY_DECIMAL_EXPONENT ? QUANTITY_DECIMAL_EXPONENT : (enum quantity_format)f;
}

/* Upstream CanonicalizeBytes. */
int quantity_format_canonical(const quantity *q, char *buf, size_t cap)
{
    char tmp[QUANTITY_TEXT_MAX];
    size_t n = 0;
    if (!q)
        return PS_EINVAL;
    u128 mag = mag_of(q);
    if (u128_is_zero(mag))
        return emit("0", 1, buf, cap);
    if (q->negative)
        tmp[n++] = '-';

    enum quantity_format fmt = effective_format(q->format);
    if (fmt == QUANTITY_BINARY_SI) {
        /* Binary only for integers with |v| >= 1024; anything else would round.
         * Above 2^63-1 (reachable only by RoundUp or the constructors) a binary
         * text would be clamped when read back, so it is written as DecimalSI:
         * upstream writes it binary and loses the value on the next parse. */
        u128 v = mag;
        if (u128_cmp(mag, (u128){0, UINT64_C(1024) * pow10_u32[9]}) < 0 ||
            u128_cmp(mag, binary_cap_nano) > 0 || u128_divmod(&v, pow10_u32[9]) != 0) {
            fmt = QUANTITY_DECIMAL_SI;
        } else {
            static const char *const bin_suffix[BIN_MAX_K + 1] = {"",   "Ki", "Mi", "Gi",
                                                                  "Ti", "Pi", "Ei"};
            int k = 0;
            for (;;) {
                u128 w = v;
                if (k == BIN_MAX_K || u128_divmod(&w, 1024) != 0)
                    break;
                v = w;
                k++;
            }
            n += u128_to_dec(v, tmp + n);
            size_t sl = strlen(bin_suffix[k]);
            memcpy(tmp + n, bin_suffix[k], sl);
            return emit(tmp, n + sl, buf, cap);
        }
    }

    /* |v| = M * 10^E with M not divisible by 10, then E lowered to a multiple of 3. */
    int64_t e = -9;
    for (int step = 9; step > 0;) {
        u128 w = mag;
        if (u128_divmod(&w, pow10_u32[step]) != 0) {
            step = step == 9 ? 1 : 0; /* whole nano-units first, then digit by digit */
            continue;
        }
        mag = w;
        e += step;
    }
    int64_t r = ((e % 3) + 3) % 3;
    (void)u128_mul_pow10(&mag, r); /* r <= trailing zeros removed: fits */
    e -= r;
    if (fmt == QUANTITY_DECIMAL_SI) {
        /* No SI letter above E (10^18): write the rest into the number ("1000E")
         * rather than drop the suffix as upstream does. */
        if (e > 18) {
            (void)u128_mul_pow10(&mag, e - 18); /* <= the nano count: fits */
            e = 18;
        }
        static const char si_suffix[] = "num\0kMGTPE";
        n += u128_to_dec(mag, tmp + n);
        char s = si_suffix[(e + 9) / 3];
        if (s != '\0')
            tmp[n++] = s;
    } else {
        n += u128_to_dec(mag, tmp + n);
        if (e != 0) {
            tmp[n++] = 'e';
            n += int_to_dec(e, tmp + n);
        }
    }
    return emit(tmp, n, buf, cap);
}

int quantity_format_exact(const quantity *q, char *buf, size_t cap)
{
    char tmp[QUANTITY_TEXT_MAX];
    size_t n = 0;
    if (!q)
        return PS_EINVAL;
    u128 mag = mag_of(q);
    if (q->negative && !u128_is_zero(mag))
        tmp[n++] = '-';
    uint32_t frac = u128_divmod(&mag, pow10_u32[9]);
    n += u128_to_dec(mag, tmp + n);
    if (frac != 0) {
        int digits = 9;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        tmp[n++] = '.';
        for (int i = digits - 1; i >= 0; i--) {
            tmp[n + (size_t)i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        n += (size_t)digits;
    }
    return emit(tmp, n, buf, cap);
}

const char *quantity_format_name(enum quantity_format f)
{
    switch (f) {
    case QUANTITY_DECIMAL_SI:
        return "DecimalSI";
    case QUANTITY_BINARY_SI:
        return "BinarySI";
    default:
        return "DecimalExponent";
    }
}

enum quantity_format quantity_get_format(const quantity *q)
{
    return effective_format(q->format);
}

int quantity_is_zero(const quantity *q)
{
    return u128_is_zero(mag_of(q));
}

int quantity_sign(const quantity *q)
{
    if (quantity_is_zero(q))
        return 0;
    return q->negative ? -1 : 1;
}

int quantity_cmp(const quantity *a, const quantity *b)
{
    int sa = quantity_sign(a), sb = quantity_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    int c = u128_cmp(mag_of(a), mag_of(b));
    return sa < 0 ? -c : c;
}

int quantity_scaled_value(const quantity *q, int scale, int64_t *out)
{
    if (!q || !out)
        return PS_EINVAL;
    *out = 0;
    u128 x = mag_of(q);
    /* |v| * 10^-scale = nano * 10^(-scale - 9) */
    int64_t s = -(int64_t)scale - 9;
    if (s >= 0) {
        if (u128_mul_pow10(&x, s))
            return PS_ERANGE;
    } else {
        u128_div_pow10_ceil(&x, -s);
    }
    uint64_t limit = q->negative ? UINT64_C(9223372036854775808) : UINT64_C(9223372036854775807);
    if (x.hi != 0 || x.lo > limit)
        return PS_ERANGE;
    if (!q->negative)
        *out = (int64_t)x.lo;
    else if (x.lo == limit)
        *out = INT64_MIN;
    else
        *out = -(int64_t)x.lo;
    return 0;
}

int quantity_value(const quantity *q, int64_t *out)
{
    return quantity_scaled_value(q, 0, out);
}

int quantity_milli_value(const quantity *q, int64_t *out)
{
    return quantity_scaled_value(q, -3, out);
}

int quantity_round_up(quantity *q, int scale, int *exact)
{
    if (!q)
        return PS_EINVAL;
    int64_t u = (int64_t)scale + 9; /* the unit, in nano-units, is 10^u */
    u128 x = mag_of(q);
    if (u <= 0 || u128_is_zero(x)) {
        if (exact)
            *exact = 1;
        return 0;
    }
    u128 up = x;
    u128_div_pow10_ceil(&up, u);
    if (u128_mul_pow10(&up, u))
        return PS_ERANGE;
    if (exact)
        *exact = u128_cmp(up, x) == 0;
    q->nano_hi = up.hi;
    q->nano_lo = up.lo;
    return 0;
}

static void from_int(int64_t v, uint32_t nano_per_unit, enum quantity_format f, quantity *out)
{
    uint64_t mag = v < 0 ? UINT64_C(0) - (uint64_t)v : (uint64_t)v;
    u128 x = {0, mag};
    (void)u128_muladd(&x, nano_per_unit, 0); /* < 2^64 * 2^32: fits */
    out->nano_hi = x.hi;
    out->nano_lo = x.lo;
    out->negative = (int8_t)(v < 0);
    out->format = (uint8_t)effective_format((uint8_t)((unsigned)f > 255u ? 255u : (unsigned)f));
}

void quantity_from_milli(int64_t milli, enum quantity_format f, quantity *out)
{
    from_int(milli, pow10_u32[6], f, out);
}

void quantity_from_value(int64_t value, enum quantity_format f, quantity *out)
{
    from_int(value, pow10_u32[9], f, out);
}

int quantity_from_scaled(int64_t value, int scale, quantity *out)
{
    if (!out)
        return PS_EINVAL;
    *out = (quantity){0};
    uint64_t mag = value < 0 ? UINT64_C(0) - (uint64_t)value : (uint64_t)value;
    u128 x = {0, mag};
    int64_t u = (int64_t)scale + 9;
    if (u >= 0) {
        if (u128_mul_pow10(&x, u))
            return PS_ERANGE;
    } else {
        u128_div_pow10_ceil(&x, -u);
    }
    out->nano_hi = x.hi;
    out->nano_lo = x.lo;
    out->negative = (int8_t)(value < 0);
    out->format = QUANTITY_DECIMAL_SI;
    return 0;
}

double quantity_to_double(const quantity *q)
{
    double v = ((double)q->nano_hi * 18446744073709551616.0 + (double)q->nano_lo) / 1e9;
    return q->negative ? -v : v;
}
