/*
 * Multi-request helpers on top of kube_request_start(): LIST with pagination
 * (spec 6.1) and read-modify-write with optimistic concurrency (spec 8.2).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "kube_int.h"

/* client-go's pager page size (tools/pager DefaultPageSize). */
#define LIST_DEFAULT_LIMIT 500
/* client-go util/retry DefaultRetry: 5 attempts. */
#define UPDATE_DEFAULT_ATTEMPTS 5

/* ---- LIST all pages ---------------------------------------------------- */

struct list_ctx {
    struct kube_client *c;
    char *path;
    int limit;
    kube_list_cb cb;
    void *data;
    json_t *list; /* accumulated: kind, apiVersion, metadata, items */
    int restarts;
    int pages;
};

static void list_page_done(struct kube_response *resp, void *data);

static int list_request(struct list_ctx *l, const char *cont)
{
    char *esc = NULL;
    if (cont) {
        esc = curl_easy_escape(NULL, cont, 0);
        if (!esc)
            return PS_ENOMEM;
    }
    size_t n = strlen(l->path) + (esc ? strlen(esc) : 0) + 48;
    char *p = malloc(n);
    if (!p) {
        curl_free(esc);
        return PS_ENOMEM;
    }
    snprintf(p, n, "%s%climit=%d%s%s", l->path, strchr(l->path, '?') ? '&' : '?', l->limit,
             esc ? "&continue=" : "", esc ? esc : "");
    curl_free(esc);
    struct kube_request_opts o = {.method = "GET", .path = p};
    int rc = kube_request_start(l->c, &o, list_page_done, l);
    free(p);
    return rc;
}

static void list_free(struct list_ctx *l)
{
    json_decref(l->list);
    free(l->path);
    free(l);
}

static void list_finish(struct list_ctx *l, struct kube_response *resp, json_t *list)
{
    l->cb(resp, list, l->data);
    l->list = list ? NULL : l->list;
    list_free(l);
}

static void list_page_done(struct kube_response *resp, void *data)
{
    struct list_ctx *l = data;
    json_t *page = NULL;
    const char *cont_sent = strstr(resp->path, "&continue=");
    if (resp->result == KUBE_EEXPIRED && cont_sent && l->restarts < KUBE_LIST_MAX_RESTARTS) {
        /* The snapshot is gone: start a fresh, consistent list (client-go's pager). */
        l->restarts++;
        json_decref(l->list);
        l->list = NULL;
        int rc = list_request(l, NULL);
        if (rc) {
            resp->result = rc;
            snprintf(resp->error, sizeof resp->error, "%s %s: cannot restart the list: %s",
                     resp->method, resp->path, kube_strerror(rc));
            list_finish(l, resp, NULL);
        }
        return;
    }
    if (resp->result) {
        list_finish(l, resp, NULL);
        return;
    }
    if (kube_response_json(resp, (void **)&page)) {
        list_finish(l, resp, NULL);
        return;
    }
    json_t *items = json_object_get(page, "items");
    json_t *meta = json_object_get(page, "metadata");
    if (!json_is_array(items) && !json_is_null(items) && items) {
        resp->result = KUBE_EBADRESPONSE;
        snprintf(resp->error, sizeof resp->error, "%s %s: items: not a list", resp->method,
                 resp->path);
        json_decref(page);
        list_finish(l, resp, NULL);
        return;
    }
    l->pages++;
    if (!l->list) {
        json_t *rv = json_object_get(meta, "resourceVersion");
        l->list = json_pack("{s:O?, s:O?, s:{s:O?}, s:[]}", "kind", json_object_get(page, "kind"),
                            "apiVersion", json_object_get(page, "apiVersion"), "metadata",
                            "resourceVersion", json_is_string(rv) ? rv : NULL, "items");
        if (!l->list) {
            json_decref(page);
            resp->result = PS_ENOMEM;
            snprintf(resp->error, sizeof resp->error, "%s %s: out of memory", resp->method,
                     resp->path);
            list_finish(l, resp, NULL);
            return;
        }
    }
    if (json_is_array(items))
        json_array_extend(json_object_get(l->list, "items"), items);
    json_t *cont = json_object_get(meta, "continue");
    char *next = json_is_string(cont) && json_string_length(cont) > 0
                     ? strdup(json_string_value(cont))
                     : NULL;
    json_decref(page);
    if (!next) {
        json_t *list = l->list;
        list_finish(l, resp, list);
        return;
    }
    int rc = list_request(l, next);
    free(next);
    if (rc) {
        resp->result = rc;
        snprintf(resp->error, sizeof resp->error, "%s %s: cannot request the next page: %s",
                 resp->method, resp->path, kube_strerror(rc));
        list_finish(l, resp, NULL);
    }
}

int kube_list_all(struct kube_client *c, const char *path, int limit, kube_list_cb cb, void *data)
{
    if (!c || !path || !cb || path[0] != '/')
        return PS_EINVAL;
    struct list_ctx *l = calloc(1, sizeof *l);
    if (!l)
        return PS_ENOMEM;
    l->c = c;
    l->path = strdup(path);
    l->limit = limit > 0 ? limit : LIST_DEFAULT_LIMIT;
    l->cb = cb;
    l->data = data;
    int rc = l->path ? list_request(l, NULL) : PS_ENOMEM;
    if (rc)
        list_free(l);
    return rc;
}

struct list_sync {
    struct kube_response *out;
    json_t *list;
    bool done;
};

static void list_sync_done(struct kube_response *resp, void *list, void *data)
{
    struct list_sync *s = data;
    *s->out = *resp;
    s->out->method = kube_strdup0(resp->method);
    s->out->path = kube_strdup0(resp->path);
    s->out->content_type = kube_strdup0(resp->content_type);
    memset(&resp->status, 0, sizeof resp->status);
    resp->body = NULL;
    s->list = list;
    s->done = true;
}

int kube_list_all_sync(struct kube_client *c, const char *path, int limit,
                       struct kube_response *out, void **list_json)
{
    struct list_sync s = {out, NULL, false};
    memset(out, 0, sizeof *out);
    *list_json = NULL;
    int rc = kube_list_all(c, path, limit, list_sync_done, &s);
    if (rc) {
        out->result = rc;
        snprintf(out->error, sizeof out->error, "LIST %s: %s", path ? path : "?",
                 kube_strerror(rc));
        return rc;
    }
    struct uv_loop_s *loop = kube_client_loop(c);
    while (!s.done)
        uv_run(loop, UV_RUN_ONCE);
    *list_json = s.list;
    return out->result;
}

/* ---- read-modify-write ---------------------------------------------------- */

struct upd_ctx {
    struct kube_client *c;
    char *path;
    kube_mutate_fn mutate;
    kube_done_cb cb;
    void *data;
    int attempts, max_attempts;
};

static void upd_get_done(struct kube_response *resp, void *data);

static void upd_finish(struct upd_ctx *u, struct kube_response *resp)
{
    u->cb(resp, u->data);
    free(u->path);
    free(u);
}

static void upd_put_done(struct kube_response *resp, void *data)
{
    struct upd_ctx *u = data;
    if (resp->result == PS_ECONFLICT && u->attempts < u->max_attempts) {
        /* Someone wrote in between: re-read and re-apply the change. */
        int rc = kube_get(u->c, u->path, upd_get_done, u);
        if (rc == 0)
            return;
        resp->result = rc;
    }
    if (resp->result == PS_ECONFLICT) {
        size_t l = strlen(resp->error);
        snprintf(resp->error + l, sizeof resp->error - l, " (still conflicting after %d attempts)",
                 u->attempts);
    }
    upd_finish(u, resp);
}

static void upd_get_done(struct kube_response *resp, void *data)
{
    struct upd_ctx *u = data;
    json_t *obj = NULL;
    u->attempts++;
    if (resp->result || kube_response_json(resp, (void **)&obj)) {
        upd_finish(u, resp);
        return;
    }
    int m = u->mutate(obj, u->data);
    if (m != 0) {
        json_decref(obj);
        if (m < 0) {
            resp->result = m;
            snprintf(resp->error, sizeof resp->error, "update %s: the change failed: %s", u->path,
                     kube_strerror(m));
        }
        upd_finish(u, resp);
        return;
    }
    char *body = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    int rc = PS_ENOMEM;
    if (body) {
        struct kube_request_opts o = {
            .method = "PUT", .path = u->path, .body = body, .body_len = strlen(body)};
        rc = kube_request_start(u->c, &o, upd_put_done, u);
        free(body);
    }
    if (rc) {
        resp->result = rc;
        snprintf(resp->error, sizeof resp->error, "PUT %s: %s", u->path, kube_strerror(rc));
        upd_finish(u, resp);
    }
}

int kube_update_with_retry(struct kube_client *c, const char *path, kube_mutate_fn mutate,
                           int max_attempts, kube_done_cb cb, void *data)
{
    if (!c || !path || !mutate || !cb)
        return PS_EINVAL;
    struct upd_ctx *u = calloc(1, sizeof *u);
    if (!u)
        return PS_ENOMEM;
    u->c = c;
    u->path = strdup(path);
    u->mutate = mutate;
    u->cb = cb;
    u->data = data;
    u->max_attempts = max_attempts > 0 ? max_attempts : UPDATE_DEFAULT_ATTEMPTS;
    int rc = u->path ? kube_get(c, path, upd_get_done, u) : PS_ENOMEM;
    if (rc) {
        free(u->path);
        free(u);
    }
    return rc;
}

struct upd_sync {
    struct kube_response *out;
    bool done;
};

static void upd_sync_done(struct kube_response *resp, void *data);

struct upd_sync_outer {
    struct upd_sync s;
    kube_mutate_fn mutate;
    void *data;
};

static int upd_sync_mutate(void *obj, void *data)
{
    struct upd_sync_outer *o = data;
    return o->mutate(obj, o->data);
}

static void upd_sync_done(struct kube_response *resp, void *data)
{
    struct upd_sync_outer *o = data;
    *o->s.out = *resp;
    o->s.out->method = kube_strdup0(resp->method);
    o->s.out->path = kube_strdup0(resp->path);
    o->s.out->content_type = kube_strdup0(resp->content_type);
    memset(&resp->status, 0, sizeof resp->status);
    resp->body = NULL;
    o->s.done = true;
}

int kube_update_with_retry_sync(struct kube_client *c, const char *path, kube_mutate_fn mutate,
                                void *data, int max_attempts, struct kube_response *out)
{
    struct upd_sync_outer o = {{out, false}, mutate, data};
    memset(out, 0, sizeof *out);
    int rc = kube_update_with_retry(c, path, upd_sync_mutate, max_attempts, upd_sync_done, &o);
    if (rc) {
        out->result = rc;
        snprintf(out->error, sizeof out->error, "update %s: %s", path ? path : "?",
                 kube_strerror(rc));
        return rc;
    }
    struct uv_loop_s *loop = kube_client_loop(c);
    while (!o.s.done)
        uv_run(loop, UV_RUN_ONCE);
    return out->result;
}
