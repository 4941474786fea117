/*
 * text.h - checks of text that comes from outside and goes into JSON, HTML,
 * tables and HTTP headers.
 *
 * Pure: no I/O. JSON strings must be UTF-8 (jansson refuses to build one that
 * is not), and a control character ends a header line or a table row, so
 * names, tokens and file names are checked where they enter, not where an
 * output silently drops or breaks on them.
 */
#ifndef PODSCALER_TEXT_H
#define PODSCALER_TEXT_H

#include <stddef.h>

/* The byte offset of the first byte that does not belong to well-formed UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or len
 * when all len bytes are well-formed. */
size_t ps_utf8_invalid_at(const char *s, size_t len);

/* The offset of the first control character (C0 or DEL) of s's len bytes, or
 * len when there is none. */
size_t ps_ctl_at(const char *s, size_t len);

#endif
