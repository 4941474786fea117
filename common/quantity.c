/* Placeholder until the exact implementation lands; every call fails. */
#include "podscaler/quantity.h"
#include <string.h>

const char *quantity_strerror(int code) { return ps_strerror(code); }
int quantity_parse(const char *text, size_t len, quantity *out) { (void)text; (void)len; memset(out, 0, sizeof *out); return PS_ENOTSUP; }
