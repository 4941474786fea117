/*
 * vpa_checkpoint_json.c - VerticalPodAutoscalerCheckpoint status <-> struct
 * vpa_agg_checkpoint (see vpa_checkpoint_json.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "podscaler/vpa_checkpoint_json.h"

static void set_err(char *err, size_t errlen, const char *field, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "checkpoint %s: %s", field, what);
}

/* metav1.Time: RFC 3339 in seconds, null for the zero time. */
static json_t *time_json(int64_t ms)
{
    char buf[32];
    struct tm tm;
    if (ms == VPA_TIME_ZERO_MS)
        return json_null();
    int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    time_t t = (time_t)s;
    if (!gmtime_r(&t, &tm))
        return json_null();
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}

static int parse_time(const json_t *v, int64_t *ms)
{
    int y, mo, d, h, mi, se, n = 0;
    if (!v || json_is_null(v)) {
        *ms = VPA_TIME_ZERO_MS;
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &n) != 6)
        return -1;
    const char *p = s + n;
    int64_t frac = 0, scale = 1000;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
    }
    if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    int64_t yy = y - (mo <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)se * 1000 + frac;
    return 0;
}

static json_t *hist_json(const struct vpa_hist_checkpoint *h)
{
    json_t *o = json_object(), *b = json_object();
    if (!o || !b)
        goto fail;
    for (uint32_t i = 0; i < h->n && i < VPA_HIST_MAX_BUCKETS; i++) {
        char key[16];
        snprintf(key, sizeof key, "%d", h->b[i].bucket);
        if (json_object_set_new(b, key, json_integer(h->b[i].weight)))
            goto fail;
    }
    if (json_object_set_new(o, "referenceTimestamp", time_json(h->ref_ms)) ||
        json_object_set_new(o, "bucketWeights", b) ||
        json_object_set_new(o, "totalWeight", json_real(h->total_weight)))
        goto fail_o;
    return o;
fail:
    json_decref(b);
fail_o:
    json_decref(o);
    return NULL;
}

json_t *vpa_checkpoint_to_json(const struct vpa_agg_checkpoint *cp)
{
    json_t *o = json_object();
    char version[sizeof cp->version + 1];
    if (!o)
        return NULL;
    memcpy(version, cp->version, sizeof cp->version);
    version[sizeof cp->version] = 0;
    if (json_object_set_new(o, "lastUpdateTime", time_json(cp->last_update_ms)) ||
        json_object_set_new(o, "version", json_string(version)) ||
        json_object_set_new(o, "cpuHistogram", hist_json(&cp->cpu)) ||
        json_object_set_new(o, "memoryHistogram", hist_json(&cp->mem)) ||
        json_object_set_new(o, "firstSampleStart", time_json(cp->first_sample_ms)) ||
        json_object_set_new(o, "lastSampleStart", time_json(cp->last_sample_ms)) ||
        json_object_set_new(o, "totalSamplesCount", json_integer(cp->total_samples))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int hist_from_json(const json_t *o, struct vpa_hist_checkpoint *h, const char *field,
                          char *err, size_t errlen)
{
    const char *k;
    json_t *v;
    memset(h, 0, sizeof *h);
    h->ref_ms = VPA_TIME_ZERO_MS;
    if (!o || json_is_null(o))
        return 0; /* an omitted histogram is an empty one */
    if (!json_is_object(o)) {
        set_err(err, errlen, field, "not an object");
        return PS_EPARSE;
    }
    if (parse_time(json_object_get(o, "referenceTimestamp"), &h->ref_ms) < 0) {
        set_err(err, errlen, field, "referenceTimestamp is not an RFC 3339 time");
        return PS_EPARSE;
    }
    json_t *tw = json_object_get(o, "totalWeight");
    if (tw && !json_is_number(tw)) {
        set_err(err, errlen, field, "totalWeight is not a number");
        return PS_EPARSE;
    }
    h->total_weight = tw ? json_number_value(tw) : 0.0;
    json_t *bw = json_object_get(o, "bucketWeights");
    if (bw && !json_is_object(bw) && !json_is_null(bw)) {
        set_err(err, errlen, field, "bucketWeights is not an object");
        return PS_EPARSE;
    }
    json_object_foreach((json_t *)bw, k, v)
    {
        char *end;
        long b = strtol(k, &end, 10);
        if (!*k || *end || b < INT32_MIN || b > INT32_MAX) {
            set_err(err, errlen, field, "bucket key is not an integer");
            return PS_ECORRUPT;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0 ||
            json_integer_value(v) > 4294967295LL) {
            set_err(err, errlen, field, "bucket weight is not a uint32");
            return PS_ECORRUPT;
        }
        if (h->n >= VPA_HIST_MAX_BUCKETS) {
            set_err(err, errlen, field, "too many buckets");
            return PS_ECORRUPT;
        }
        h->b[h->n].bucket = (int32_t)b;
        h->b[h->n].weight = (uint32_t)json_integer_value(v);
        h->n++;
    }
    return 0;
}

int vpa_checkpoint_from_json(const json_t *o, struct vpa_agg_checkpoint *out, char *err,
                             size_t errlen)
{
    struct vpa_agg_checkpoint *cp = malloc(sizeof *cp);
    int rc = 0;
    if (!cp)
        return PS_ENOMEM;
    memset(cp, 0, sizeof *cp);
    if (!json_is_object(o)) {
        set_err(err, errlen, "status", "not an object");
        rc = PS_EPARSE;
        goto done;
    }
    const char *version = json_string_value(json_object_get(o, "version"));
    if (!version || strlen(version) >= sizeof cp->version) {
        set_err(err, errlen, "version", "missing or too long");
        rc = PS_EPARSE;
        goto done;
    }
    memcpy(cp->version, version, strlen(version));
    if (parse_time(json_object_get(o, "lastUpdateTime"), &cp->last_update_ms) < 0 ||
        parse_time(json_object_get(o, "firstSampleStart"), &cp->first_sample_ms) < 0 ||
        parse_time(json_object_get(o, "lastSampleStart"), &cp->last_sample_ms) < 0) {
        set_err(err, errlen, "time", "not an RFC 3339 time");
        rc = PS_EPARSE;
        goto done;
    }
    json_t *n = json_object_get(o, "totalSamplesCount");
    if (n && !json_is_integer(n)) {
        set_err(err, errlen, "totalSamplesCount", "not an integer");
        rc = PS_EPARSE;
        goto done;
    }
    cp->total_samples = n ? (int64_t)json_integer_value(n) : 0;
    rc = hist_from_json(json_object_get(o, "cpuHistogram"), &cp->cpu, "cpuHistogram", err, errlen);
    if (!rc)
        rc = hist_from_json(json_object_get(o, "memoryHistogram"), &cp->mem, "memoryHistogram", err,
                            errlen);
    if (!rc)
        *out = *cp;
done:
    free(cp);
    return rc;
}

int vpa_checkpoint_dump(const struct vpa_agg_checkpoint *cp, char **out)
{
    json_t *o = vpa_checkpoint_to_json(cp);
    if (!o)
        return PS_ENOMEM;
    *out = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(o);
    return *out ? 0 : PS_ENOMEM;
}

int vpa_checkpoint_parse(const char *text, size_t len, struct vpa_agg_checkpoint *cp, char *err,
                         size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(text, len, 0, &je);
    if (!o) {
        if (err && errlen)
            snprintf(err, errlen, "checkpoint: %s at line %d", je.text, je.line);
        return PS_EPARSE;
    }
    int rc = vpa_checkpoint_from_json(o, cp, err, errlen);
    json_decref(o);
    return rc;
}
