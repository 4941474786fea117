/*
 * error.h - podscaler's error codes.
 *
 * Every fallible function returns int: 0 on success or a negative PS_E* code.
 * Generic codes live here; a module with codes of its own (hpa_, vpa_, store_,
 * kube_) declares them in its header inside the range reserved for it below, and
 * gives a <module>_strerror() that falls back to ps_strerror() for the generic ones.
 * ps_strerror() never returns NULL; the string is static.
 */
#ifndef PODSCALER_ERROR_H
#define PODSCALER_ERROR_H

enum {
    PS_OK = 0,
    PS_EINVAL = -1,     /* an argument or input value is not acceptable */
    PS_ENOMEM = -2,     /* an allocation failed */
    PS_ERANGE = -3,     /* a value is outside what its type or unit can hold */
    PS_ENAN = -4,       /* a value is NaN or infinite */
    PS_ENEGATIVE = -5,  /* a value that must not be negative is */
    PS_EPARSE = -6,     /* text that does not follow its grammar */
    PS_EIO = -7,        /* a read or write failed */
    PS_ENOENT = -8,     /* a named thing does not exist */
    PS_EEXIST = -9,     /* a thing that must be new exists */
    PS_ENOSPC = -10,    /* a caller-sized buffer or a cap is too small */
    PS_ETIME = -11,     /* a timestamp is out of order or out of range */
    PS_EVERSION = -12,  /* data of another or newer format version */
    PS_ECORRUPT = -13,  /* data that fails its own integrity checks */
    PS_ENOTSUP = -14,   /* a feature or kind not supported */
    PS_ETIMEDOUT = -15, /* an operation ran out of time */
    PS_ECONFLICT = -16, /* an optimistic-concurrency conflict */
    PS_EAUTH = -17,     /* credentials missing or refused */
    PS_EUNAVAIL = -18,  /* a remote service is unavailable */
    PS_EBUG = -19,      /* an internal invariant broke: a bug, never input */
};

/* Ranges reserved for module-specific codes (inclusive, negative). */
#define PS_ERANGE_QUANTITY_FIRST (-100)
#define PS_ERANGE_HPA_FIRST      (-200)
#define PS_ERANGE_VPA_FIRST      (-300)
#define PS_ERANGE_COORD_FIRST    (-400)
#define PS_ERANGE_STORE_FIRST    (-500)
#define PS_ERANGE_KUBE_FIRST     (-600)
#define PS_ERANGE_REPLAY_FIRST   (-700)

const char *ps_strerror(int code);

#endif
