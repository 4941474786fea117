/*
 * utf8.h - whether bytes are UTF-8, for names that end up in JSON and HTML.
 *
 * Pure: no I/O. JSON strings must be UTF-8 (jansson refuses to build one that
 * is not), so a name read from a trace or a file name is checked where it
 * enters, not where a report silently drops it.
 */
#ifndef PODSCALER_UTF8_H
#define PODSCALER_UTF8_H

#include <stddef.h>

/* The byte offset of the first byte that does not belong to well-formed UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or len
 * when all len bytes are well-formed. */
size_t ps_utf8_invalid_at(const char *s, size_t len);

#endif
