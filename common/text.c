/*
 * text.c - UTF-8 well-formedness (RFC 3629, Table 3-7 of the Unicode standard)
 * and control characters.
 */
#include "podscaler/text.h"

size_t ps_utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        const unsigned char c = p[i];
        size_t n;
        unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0)
                lo = 0xa0; /* overlong */
            else if (c == 0xed)
                hi = 0x9f; /* surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0)
                lo = 0x90; /* overlong */
            else if (c == 0xf4)
                hi = 0x8f; /* above U+10FFFF */
        } else {
            return i;
        }
        if (len - i <= n || p[i + 1] < lo || p[i + 1] > hi)
            return i;
        for (size_t k = 2; k <= n; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xbf)
                return i;
        i += n + 1;
    }
    return len;
}

size_t ps_ctl_at(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return i;
    return len;
}
