/*
 * Small helpers of the Kubernetes client: YAML → JSON, base64, RFC 3339,
 * whole-file reads, error formatting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "kube_int.h"

void kube_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

char *kube_strdup0(const char *s)
{
    return s ? strdup(s) : NULL;
}

int kube_read_file(const char *path, size_t cap, char **out, size_t *outlen)
{
    *out = NULL;
    if (outlen)
        *outlen = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? PS_ENOENT : PS_EIO;
    size_t len = 0, size = 4096;
    char *buf = malloc(size);
    int rc = 0;
    if (!buf) {
        rc = PS_ENOMEM;
        goto out;
    }
    for (;;) {
        if (len + 1 >= size) {
            if (size > cap) {
                rc = PS_ENOSPC;
                goto out;
            }
            char *n = realloc(buf, size * 2);
            if (!n) {
                rc = PS_ENOMEM;
                goto out;
            }
            buf = n;
            size *= 2;
        }
        size_t got = fread(buf + len, 1, size - len - 1, f);
        len += got;
        if (got == 0) {
            if (ferror(f))
                rc = PS_EIO;
            break;
        }
    }
    if (len > cap)
        rc = PS_ENOSPC;
out:
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[len] = '\0';
    *out = buf;
    if (outlen)
        *outlen = len;
    return 0;
}

/* ---- base64 ------------------------------------------------------------ */

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int kube_base64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
    unsigned char *buf = malloc(len / 4 * 3 + 4);
    if (!buf)
        return PS_ENOMEM;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = b64val(c);
        if (v < 0 || pad) {
            free(buf);
            return PS_EPARSE;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* 6 leftover bits cannot come from whole bytes; more than 2 '=' is never valid. */
    if (bits >= 6 || pad > 2) {
        free(buf);
        return PS_EPARSE;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return 0;
}

char *kube_base64_encode(const unsigned char *in, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = tab[(v >> 18) & 63];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? tab[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* ---- RFC 3339 ------------------------------------------------------------ */

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Days since the epoch of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int kube_parse_rfc3339_ms(const char *s, int64_t *out_ms)
{
    int Y, M, D, h, mi, sec;
    size_t len = strlen(s);
    if (len < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return PS_EPARSE;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || mi > 59 || sec > 60)
        return PS_EPARSE;
    const char *p = s + 19;
    int64_t frac_ms = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        int64_t scale = 100;
        while (*p >= '0' && *p <= '9') {
            frac_ms += (*p - '0') * scale;
            scale /= 10;
            p++;
            nd++;
        }
        if (nd == 0)
            return PS_EPARSE;
    }
    int64_t off_s = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return PS_EPARSE;
        off_s = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return PS_EPARSE;
    }
    if (*p)
        return PS_EPARSE;
    int64_t days = days_from_civil(Y, M, D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off_s;
    *out_ms = secs * 1000 + frac_ms;
    return 0;
}

/* ---- YAML → JSON ----------------------------------------------------- */

struct ystack {
    json_t *node[KUBE_YAML_MAX_DEPTH + 1];
    json_t *key[KUBE_YAML_MAX_DEPTH + 1]; /* pending mapping key (a string) */
    int depth;
};

static json_t *scalar_to_json(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (n == 0 || (n == 1 && v[0] == '~') ||
         (n == 4 &&
          (memcmp(v, "null", 4) == 0 || memcmp(v, "Null", 4) == 0 || memcmp(v, "NULL", 4) == 0))))
        return json_null();
    return json_stringn_nocheck(v, n);
}

/* Adds child to the container at the top of the stack. Steals child. */
static int attach(struct ystack *st, json_t *child, char *err, size_t errlen, size_t line)
{
    if (st->depth == 0) {
        st->node[0] = child;
        return 0;
    }
    json_t *top = st->node[st->depth];
    if (json_is_array(top)) {
        json_array_append_new(top, child);
        return 0;
    }
    /* mapping: either this is the key or the value */
    json_t *key = st->key[st->depth];
    if (!key) {
        if (!json_is_string(child)) {
            const char *what = json_is_null(child) ? "empty" : "a mapping or sequence";
            json_decref(child);
            kube_errf(err, errlen, "line %zu: mapping key is %s, not a string", line, what);
            return PS_EPARSE;
        }
        st->key[st->depth] = child;
        return 0;
    }
    json_object_set_new(top, json_string_value(key), child);
    json_decref(key);
    st->key[st->depth] = NULL;
    return 0;
}

int kube_yaml_to_json(const char *text, size_t len, json_t **out, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct ystack st;
    int rc = 0, docs = 0;
    bool done = false;

    memset(&st, 0, sizeof st);
    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        return PS_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            kube_errf(err, errlen, "line %zu column %zu: %s", (size_t)parser.problem_mark.line + 1,
                      (size_t)parser.problem_mark.column + 1,
                      parser.problem ? parser.problem : "YAML syntax error");
            rc = PS_EPARSE;
            break;
        }
        size_t line = ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                kube_errf(err, errlen, "line %zu: more than one YAML document", line);
                rc = PS_EPARSE;
            }
            break;
        case YAML_ALIAS_EVENT:
            kube_errf(err, errlen, "line %zu: YAML aliases are not supported", line);
            rc = PS_EPARSE;
            break;
        case YAML_SCALAR_EVENT:
            rc = attach(&st, scalar_to_json(&ev), err, errlen, line);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            if (st.depth >= KUBE_YAML_MAX_DEPTH) {
                kube_errf(err, errlen, "line %zu: nesting deeper than %d", line,
                          KUBE_YAML_MAX_DEPTH);
                rc = PS_EPARSE;
                break;
            }
            json_t *n = ev.type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
            if (!n) {
                rc = PS_ENOMEM;
                break;
            }
            /* Attach first (the parent takes a reference), then push. */
            json_incref(n);
            rc = attach(&st, n, err, errlen, line);
            if (rc) {
                json_decref(n);
                break;
            }
            st.depth++;
            st.node[st.depth] = n;
            st.key[st.depth] = NULL;
            json_decref(n);
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (st.key[st.depth]) { /* cannot happen with a valid event stream */
                json_decref(st.key[st.depth]);
                st.key[st.depth] = NULL;
            }
            st.depth--;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (rc)
            break;
    }
    for (int i = 1; i <= st.depth; i++)
        json_decref(st.key[i]);
    yaml_parser_delete(&parser);
    if (rc) {
        json_decref(st.node[0]);
        return rc;
    }
    *out = st.node[0] ? st.node[0] : json_null();
    return 0;
}
