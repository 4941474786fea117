/*
 * meta/v1 Status objects and the mapping of HTTP failures to errors
 * (spec kubernetes-api.md section 5).
 */
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

const char *kube_strerror(int code)
{
    switch (code) {
    case KUBE_ECONFIG:
        return "invalid or incomplete kubeconfig";
    case KUBE_ENOTINCLUSTER:
        return "not running in a cluster";
    case KUBE_EEXEC:
        return "exec credential plugin failed";
    case KUBE_ETRANSPORT:
        return "connection to the API server failed";
    case KUBE_ETOOBIG:
        return "response larger than the configured cap";
    case KUBE_EHTTP:
        return "API server returned an error";
    case KUBE_EFORBIDDEN:
        return "forbidden";
    case KUBE_EEXPIRED:
        return "resource version or continue token expired";
    case KUBE_EINVALID:
        return "object rejected as invalid";
    case KUBE_ETHROTTLED:
        return "throttled by the API server";
    case KUBE_EBADRESPONSE:
        return "unexpected response from the API server";
    case KUBE_ECANCELED:
        return "request canceled";
    default:
        return ps_strerror(code);
    }
}

static char *dup_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return strdup(json_is_string(v) ? json_string_value(v) : "");
}

static void status_empty(struct kube_status *st)
{
    memset(st, 0, sizeof *st);
    st->status = strdup("");
    st->reason = strdup("");
    st->message = strdup("");
    st->name = strdup("");
    st->group = strdup("");
    st->kind = strdup("");
    st->continue_token = strdup("");
}

void kube_status_fini(struct kube_status *st)
{
    if (!st)
        return;
    free(st->status);
    free(st->reason);
    free(st->message);
    free(st->name);
    free(st->group);
    free(st->kind);
    free(st->continue_token);
    for (size_t i = 0; i < st->ncauses; i++) {
        free(st->causes[i].reason);
        free(st->causes[i].message);
        free(st->causes[i].field);
    }
    free(st->causes);
    memset(st, 0, sizeof *st);
}

int kube_status_decode(const char *body, size_t len, struct kube_status *out)
{
    memset(out, 0, sizeof *out);
    json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *kind = json_object_get(doc, "kind");
    if (!json_is_object(doc) || !json_is_string(kind) ||
        strcmp(json_string_value(kind), "Status") != 0) {
        json_decref(doc);
        status_empty(out);
        return KUBE_EBADRESPONSE;
    }
    out->present = true;
    out->status = dup_str(doc, "status");
    out->reason = dup_str(doc, "reason");
    out->message = dup_str(doc, "message");
    json_t *code = json_object_get(doc, "code");
    if (json_is_integer(code) && json_integer_value(code) >= 0 && json_integer_value(code) < 1000)
        out->code = (int)json_integer_value(code);
    json_t *details = json_object_get(doc, "details");
    out->name = dup_str(details, "name");
    out->group = dup_str(details, "group");
    out->kind = dup_str(details, "kind");
    json_t *ra = json_object_get(details, "retryAfterSeconds");
    if (json_is_integer(ra) && json_integer_value(ra) > 0 && json_integer_value(ra) < 86400)
        out->retry_after_s = (int)json_integer_value(ra);
    out->continue_token = dup_str(json_object_get(doc, "metadata"), "continue");
    json_t *causes = json_object_get(details, "causes");
    if (json_is_array(causes) && json_array_size(causes) > 0) {
        out->causes = calloc(json_array_size(causes), sizeof *out->causes);
        if (out->causes) {
            size_t i;
            json_t *c;
            json_array_foreach(causes, i, c)
            {
                out->causes[i].reason = dup_str(c, "reason");
                out->causes[i].message = dup_str(c, "message");
                out->causes[i].field = dup_str(c, "field");
            }
            out->ncauses = json_array_size(causes);
        }
    }
    json_decref(doc);
    return 0;
}

const char *kube_reason_for_code(long code, const char *method)
{
    /* client-go apimachinery/pkg/api/errors NewGenericServerResponse. */
    switch (code) {
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 405:
        return "MethodNotAllowed";
    case 406:
        return "NotAcceptable";
    case 409:
        return method && strcmp(method, "POST") == 0 ? "AlreadyExists" : "Conflict";
    case 410:
        return "Expired";
    case 413:
        return "RequestEntityTooLarge";
    case 415:
        return "UnsupportedMediaType";
    case 422:
        return "Invalid";
    case 429:
        return "TooManyRequests";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return code >= 500 ? "InternalError" : "";
    }
}

int kube_error_for_http(long code, const char *reason)
{
    if (code >= 200 && code < 300)
        return 0;
    switch (code) {
    case 401:
        return PS_EAUTH;
    case 403:
        return KUBE_EFORBIDDEN;
    case 404:
        return PS_ENOENT;
    case 409:
        return reason && strcmp(reason, "AlreadyExists") == 0 ? PS_EEXIST : PS_ECONFLICT;
    case 410:
        return KUBE_EEXPIRED;
    case 422:
        return KUBE_EINVALID;
    case 429:
        return KUBE_ETHROTTLED;
    default:
        if (code == 504)
            return PS_ETIMEDOUT;
        return code >= 500 ? PS_EUNAVAIL : KUBE_EHTTP;
    }
}
