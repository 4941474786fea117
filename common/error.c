#include "podscaler/error.h"

const char *ps_strerror(int code)
{
    switch (code) {
    case PS_OK: return "success";
    case PS_EINVAL: return "invalid argument";
    case PS_ENOMEM: return "out of memory";
    case PS_ERANGE: return "value out of range";
    case PS_ENAN: return "value is NaN or infinite";
    case PS_ENEGATIVE: return "value is negative";
    case PS_EPARSE: return "syntax error";
    case PS_EIO: return "input/output error";
    case PS_ENOENT: return "not found";
    case PS_EEXIST: return "already exists";
    case PS_ENOSPC: return "buffer or cap too small";
    case PS_ETIME: return "timestamp out of order or range";
    case PS_EVERSION: return "unsupported format version";
    case PS_ECORRUPT: return "corrupt data";
    case PS_ENOTSUP: return "not supported";
    case PS_ETIMEDOUT: return "timed out";
    case PS_ECONFLICT: return "conflict";
    case PS_EAUTH: return "authentication failed";
    case PS_EUNAVAIL: return "service unavailable";
    case PS_EBUG: return "internal error (bug)";
    default: return "unknown error";
    }
}
