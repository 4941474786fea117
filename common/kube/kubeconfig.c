/*
 * kubeconfig loading and merging (spec kubernetes-api.md 4.1, 4.3), and the
 * in-cluster service-account configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube_int.h"

/* A kubeconfig bigger than this is not a kubeconfig. */
#define KUBECONFIG_MAX_BYTES  (16u << 20)
#define KUBE_EXEC_API_V1      "client.authentication.k8s.io/v1"
#define KUBE_EXEC_API_V1BETA1 "client.authentication.k8s.io/v1beta1"
#define KUBE_EXEC_EXTENSION   "client.authentication.k8s.io/exec"

void kube_config_init(struct kube_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

static void exec_free(struct kube_exec_config *e)
{
    if (!e)
        return;
    free(e->api_version);
    free(e->command);
    for (size_t i = 0; i < e->nargs; i++)
        free(e->args[i]);
    free(e->args);
    for (size_t i = 0; i < e->nenv; i++) {
        free(e->env_names[i]);
        free(e->env_values[i]);
    }
    free(e->env_names);
    free(e->env_values);
    free(e->install_hint);
    free(e->cluster_config_json);
    free(e);
}

void kube_config_fini(struct kube_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->source);
    free(cfg->context);
    free(cfg->cluster_name);
    free(cfg->user_name);
    free(cfg->server);
    free(cfg->namespace);
    free(cfg->ca_file);
    free(cfg->ca_data);
    free(cfg->tls_server_name);
    free(cfg->proxy_url);
    free(cfg->client_cert_file);
    free(cfg->client_key_file);
    free(cfg->client_cert_data);
    free(cfg->client_key_data);
    free(cfg->token);
    free(cfg->token_file);
    free(cfg->username);
    free(cfg->password);
    free(cfg->impersonate_user);
    free(cfg->impersonate_uid);
    for (size_t i = 0; i < cfg->nimpersonate_groups; i++)
        free(cfg->impersonate_groups[i]);
    free(cfg->impersonate_groups);
    for (size_t i = 0; i < 2 * cfg->nimpersonate_extra; i++)
        free(cfg->impersonate_extra[i]);
    free(cfg->impersonate_extra);
    exec_free(cfg->exec);
    memset(cfg, 0, sizeof *cfg);
}

/* ---- merged view of several files ------------------------------------ */

struct kc_entry {
    const char *name;
    json_t *body;     /* borrowed from the file's document */
    const char *file; /* for messages */
    const char *dir;  /* for relative paths */
};

struct kc_list {
    struct kc_entry *v;
    size_t n, cap;
};

struct kc_file {
    char *name;
    char *dir;
    json_t *doc;
};

struct kc_merged {
    struct kc_file *files;
    size_t nfiles;
    struct kc_list clusters, users, contexts;
    const char *current_context, *cc_file;
};

static void merged_fini(struct kc_merged *m)
{
    for (size_t i = 0; i < m->nfiles; i++) {
        free(m->files[i].name);
        free(m->files[i].dir);
        json_decref(m->files[i].doc);
    }
    free(m->files);
    free(m->clusters.v);
    free(m->users.v);
    free(m->contexts.v);
}

static const struct kc_entry *list_find(const struct kc_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    return NULL;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Merges one list ("clusters", key "cluster") of file f: the first file that defines a
 * name wins. */
static int merge_list(struct kc_list *l, const struct kc_file *f, const char *list,
                      const char *inner, char *err, size_t errlen)
{
    json_t *arr = json_object_get(f->doc, list);
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr)) {
        kube_errf(err, errlen, "%s: %s: not a list", f->name, list);
        return KUBE_ECONFIG;
    }
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item)
    {
        if (!json_is_object(item)) {
            kube_errf(err, errlen, "%s: %s[%zu]: not a mapping", f->name, list, i);
            return KUBE_ECONFIG;
        }
        json_t *name = json_object_get(item, "name");
        if (!json_is_string(name) || json_string_length(name) == 0) {
            kube_errf(err, errlen, "%s: %s[%zu].name: missing or empty", f->name, list, i);
            return KUBE_ECONFIG;
        }
        json_t *body = json_object_get(item, inner);
        if (body && !json_is_object(body) && !json_is_null(body)) {
            kube_errf(err, errlen, "%s: %s[%s].%s: not a mapping", f->name, list,
                      json_string_value(name), inner);
            return KUBE_ECONFIG;
        }
        /* First wins across files, but within one file client-go refuses a name
         * given twice ("duplicate name ... in list"): which one was meant is a guess. */
        for (size_t j = 0; j < i; j++) {
            json_t *other = json_object_get(json_array_get(arr, j), "name");
            if (json_equal(other, name)) {
                kube_errf(err, errlen, "%s: %s[%zu].name: \"%s\" is also the name of %s[%zu]",
                          f->name, list, i, json_string_value(name), list, j);
                return KUBE_ECONFIG;
            }
        }
        if (list_find(l, json_string_value(name)))
            continue;
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 8;
            struct kc_entry *v = realloc(l->v, cap * sizeof *v);
            if (!v)
                return PS_ENOMEM;
            l->v = v;
            l->cap = cap;
        }
        l->v[l->n++] = (struct kc_entry){json_string_value(name), body, f->name, f->dir};
    }
    return 0;
}

/* Takes ownership of doc, name, dir. */
static int merged_add(struct kc_merged *m, json_t *doc, char *name, char *dir, char *err,
                      size_t errlen)
{
    struct kc_file *v = realloc(m->files, (m->nfiles + 1) * sizeof *v);
    if (!v) {
        json_decref(doc);
        free(name);
        free(dir);
        return PS_ENOMEM;
    }
    m->files = v;
    struct kc_file *f = &m->files[m->nfiles++];
    f->doc = doc;
    f->name = name;
    f->dir = dir;
    if (!name || !dir)
        return PS_ENOMEM;
    if (json_is_null(doc))
        return 0; /* an empty file is an empty config */
    if (!json_is_object(doc)) {
        kube_errf(err, errlen, "%s: not a kubeconfig (top level is not a mapping)", name);
        return KUBE_ECONFIG;
    }
    int rc = merge_list(&m->clusters, f, "clusters", "cluster", err, errlen);
    if (!rc)
        rc = merge_list(&m->users, f, "users", "user", err, errlen);
    if (!rc)
        rc = merge_list(&m->contexts, f, "contexts", "context", err, errlen);
    if (rc)
        return rc;
    json_t *cc = json_object_get(doc, "current-context");
    if (cc && !json_is_null(cc) && !json_is_string(cc)) {
        kube_errf(err, errlen, "%s: current-context: not a string", name);
        return KUBE_ECONFIG;
    }
    if (!m->current_context && json_is_string(cc) && json_string_length(cc) > 0) {
        m->current_context = json_string_value(cc);
        m->cc_file = name;
    }
    return 0;
}

static int add_text(struct kc_merged *m, const char *name, const char *dir, const char *text,
                    size_t len, char *err, size_t errlen)
{
    json_t *doc;
    char yerr[256];
    int rc = kube_yaml_to_json(text, len, &doc, yerr, sizeof yerr);
    if (rc) {
        kube_errf(err, errlen, "%s: invalid YAML: %s", name, yerr);
        return rc == PS_ENOMEM ? rc : KUBE_ECONFIG;
    }
    return merged_add(m, doc, strdup(name), dir ? strdup(dir) : dir_of(name), err, errlen);
}

static int add_file(struct kc_merged *m, const char *path, char *err, size_t errlen)
{
    char *text;
    size_t len;
    int rc = kube_read_file(path, KUBECONFIG_MAX_BYTES, &text, &len);
    if (rc) {
        kube_errf(err, errlen, "%s: cannot read kubeconfig: %s", path,
                  rc == PS_ENOSPC   ? "file too large"
                  : rc == PS_ENOENT ? "no such file"
                                    : "I/O error");
        return rc == PS_ENOSPC ? KUBE_ECONFIG : rc;
    }
    rc = add_text(m, path, NULL, text, len, err, errlen);
    free(text);
    return rc;
}

/* ---- typed field access ------------------------------------------------ */

struct where {
    const char *file;
    const char *dir;
    const char *list; /* "users" */
    const char *name; /* entry name */
    const char *inner;
};

#define WHERE_FMT     "%s: %s[%s].%s"
#define WHERE_ARGS(w) (w)->file, (w)->list, (w)->name, (w)->inner

/* 0 and *out (borrowed, NULL when absent), or KUBE_ECONFIG. */
static int get_str(const struct where *w, json_t *obj, const char *key, const char **out, char *err,
                   size_t errlen)
{
    *out = NULL;
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        kube_errf(err, errlen, WHERE_FMT ".%s: not a string", WHERE_ARGS(w), key);
        return KUBE_ECONFIG;
    }
    *out = json_string_value(v);
    return 0;
}

static int get_bool(const struct where *w, json_t *obj, const char *key, bool *out, char *err,
                    size_t errlen)
{
    const char *s;
    int rc = get_str(w, obj, key, &s, err, errlen);
    *out = false;
    if (rc || !s)
        return rc;
    /* YAML 1.1 booleans, as the Go YAML reader kubectl uses accepts them. */
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "No",
                                     "NO",    "off",   "Off",   "OFF"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0)
            return 0;
    }
    kube_errf(err, errlen, WHERE_FMT ".%s: \"%s\" is not a boolean", WHERE_ARGS(w), key, s);
    return KUBE_ECONFIG;
}

/* s goes into an HTTP header; what names the field after WHERE_FMT. The value
 * itself is never shown: it may be a secret. */
static int check_header_value(const struct where *w, const char *what, const char *s, char *err,
                              size_t errlen)
{
    size_t len = strlen(s), at = ps_ctl_at(s, len);
    if (at == len)
        return 0;
    kube_errf(err, errlen,
              WHERE_FMT ".%s: control character 0x%02x at byte %zu, which cannot go in an HTTP "
                        "header%s",
              WHERE_ARGS(w), what, (unsigned)(unsigned char)s[at], at,
              at + 1 == len && s[at] == '\n'
                  ? " (a YAML \"|\" block keeps the final newline; \"|-\" drops it)"
                  : "");
    return KUBE_ECONFIG;
}

static int set_dup(char **dst, const char *s)
{
    if (!s)
        return 0;
    *dst = strdup(s);
    return *dst ? 0 : PS_ENOMEM;
}

/* Relative paths are relative to the kubeconfig that holds them. */
static int set_path(char **dst, const char *dir, const char *s)
{
    if (!s || !*s)
        return 0;
    while (s[0] == '.' && s[1] == '/' && s[2] && dir) /* "./x" is "x", and reads better */
        s += 2;
    if (s[0] == '/' || !dir) {
        *dst = strdup(s);
    } else {
        size_t n = strlen(dir) + strlen(s) + 2;
        *dst = malloc(n);
        if (*dst)
            snprintf(*dst, n, "%s/%s", dir, s);
    }
    return *dst ? 0 : PS_ENOMEM;
}

static int set_b64(const struct where *w, json_t *obj, const char *key, unsigned char **dst,
                   size_t *dstlen, char *err, size_t errlen)
{
    const char *s;
    int rc = get_str(w, obj, key, &s, err, errlen);
    if (rc || !s || !*s)
        return rc;
    rc = kube_base64_decode(s, strlen(s), dst, dstlen);
    if (rc == PS_EPARSE) {
        kube_errf(err, errlen, WHERE_FMT ".%s: not valid base64", WHERE_ARGS(w), key);
        return KUBE_ECONFIG;
    }
    return rc;
}

static int parse_exec(const struct where *w, json_t *ex, struct kube_config *cfg, char *err,
                      size_t errlen)
{
    if (!json_is_object(ex)) {
        kube_errf(err, errlen, WHERE_FMT ".exec: not a mapping", WHERE_ARGS(w));
        return KUBE_ECONFIG;
    }
    struct kube_exec_config *e = calloc(1, sizeof *e);
    if (!e)
        return PS_ENOMEM;
    cfg->exec = e;
    const char *api, *cmd, *hint, *mode;
    int rc = get_str(w, ex, "apiVersion", &api, err, errlen);
    if (!rc)
        rc = get_str(w, ex, "command", &cmd, err, errlen);
    if (!rc)
        rc = get_str(w, ex, "installHint", &hint, err, errlen);
    if (!rc)
        rc = get_str(w, ex, "interactiveMode", &mode, err, errlen);
    if (!rc)
        rc = get_bool(w, ex, "provideClusterInfo", &e->provide_cluster_info, err, errlen);
    if (rc)
        return rc;
    if (!cmd || !*cmd) {
        kube_errf(err, errlen, WHERE_FMT ".exec.command: missing", WHERE_ARGS(w));
        return KUBE_ECONFIG;
    }
    if (!api || !*api) {
        kube_errf(err, errlen, WHERE_FMT ".exec.apiVersion: missing", WHERE_ARGS(w));
        return KUBE_ECONFIG;
    }
    if (strcmp(api, KUBE_EXEC_API_V1) != 0 && strcmp(api, KUBE_EXEC_API_V1BETA1) != 0) {
        kube_errf(err, errlen, WHERE_FMT ".exec.apiVersion: \"%s\" is not supported (use %s or %s)",
                  WHERE_ARGS(w), api, KUBE_EXEC_API_V1, KUBE_EXEC_API_V1BETA1);
        return KUBE_ECONFIG;
    }
    if (!mode || !*mode) {
        /* v1 requires it; v1beta1 defaults to IfAvailable (client-go exec.go). */
        if (strcmp(api, KUBE_EXEC_API_V1) == 0) {
            kube_errf(err, errlen,
                      WHERE_FMT ".exec.interactiveMode: required for %s (Never, IfAvailable or "
                                "Always)",
                      WHERE_ARGS(w), api);
            return KUBE_ECONFIG;
        }
        e->interactive = KUBE_EXEC_INTERACTIVE_IF_AVAILABLE;
    } else if (strcmp(mode, "Never") == 0) {
        e->interactive = KUBE_EXEC_INTERACTIVE_NEVER;
    } else if (strcmp(mode, "IfAvailable") == 0) {
        e->interactive = KUBE_EXEC_INTERACTIVE_IF_AVAILABLE;
    } else if (strcmp(mode, "Always") == 0) {
        e->interactive = KUBE_EXEC_INTERACTIVE_ALWAYS;
    } else {
        kube_errf(err, errlen, WHERE_FMT ".exec.interactiveMode: unknown value \"%s\"",
                  WHERE_ARGS(w), mode);
        return KUBE_ECONFIG;
    }
    if ((rc = set_dup(&e->api_version, api)) || (rc = set_dup(&e->install_hint, hint)))
        return rc;
    /* A bare command name is looked up in PATH; one with a '/' is a path (client-go). */
    rc = strchr(cmd, '/') ? set_path(&e->command, w->dir, cmd) : set_dup(&e->command, cmd);
    if (rc)
        return rc;

    json_t *args = json_object_get(ex, "args");
    if (args && !json_is_null(args)) {
        if (!json_is_array(args)) {
            kube_errf(err, errlen, WHERE_FMT ".exec.args: not a list", WHERE_ARGS(w));
            return KUBE_ECONFIG;
        }
        e->args = calloc(json_array_size(args) + 1, sizeof *e->args);
        if (!e->args)
            return PS_ENOMEM;
        size_t i;
        json_t *a;
        json_array_foreach(args, i, a)
        {
            if (!json_is_string(a)) {
                kube_errf(err, errlen, WHERE_FMT ".exec.args[%zu]: not a string", WHERE_ARGS(w), i);
                return KUBE_ECONFIG;
            }
            if (!(e->args[e->nargs] = strdup(json_string_value(a))))
                return PS_ENOMEM;
            e->nargs++;
        }
    }
    json_t *env = json_object_get(ex, "env");
    if (env && !json_is_null(env)) {
        if (!json_is_array(env)) {
            kube_errf(err, errlen, WHERE_FMT ".exec.env: not a list", WHERE_ARGS(w));
            return KUBE_ECONFIG;
        }
        size_t n = json_array_size(env);
        e->env_names = calloc(n + 1, sizeof *e->env_names);
        e->env_values = calloc(n + 1, sizeof *e->env_values);
        if (!e->env_names || !e->env_values)
            return PS_ENOMEM;
        size_t i;
        json_t *it;
        json_array_foreach(env, i, it)
        {
            json_t *nm = json_is_object(it) ? json_object_get(it, "name") : NULL;
            json_t *val = json_is_object(it) ? json_object_get(it, "value") : NULL;
            if (!json_is_string(nm) || json_string_length(nm) == 0) {
                kube_errf(err, errlen, WHERE_FMT ".exec.env[%zu].name: missing", WHERE_ARGS(w), i);
                return KUBE_ECONFIG;
            }
            if (val && !json_is_null(val) && !json_is_string(val)) {
                kube_errf(err, errlen, WHERE_FMT ".exec.env[%zu].value: not a string",
                          WHERE_ARGS(w), i);
                return KUBE_ECONFIG;
            }
            e->env_names[e->nenv] = strdup(json_string_value(nm));
            e->env_values[e->nenv] = strdup(json_is_string(val) ? json_string_value(val) : "");
            e->nenv++;
            if (!e->env_names[e->nenv - 1] || !e->env_values[e->nenv - 1])
                return PS_ENOMEM;
        }
    }
    return 0;
}

static int take_cluster(const struct kc_entry *ce, struct kube_config *cfg, char *err,
                        size_t errlen)
{
    struct where w = {ce->file, ce->dir, "clusters", ce->name, "cluster"};
    json_t *c = ce->body;
    const char *server, *ca, *tsn, *proxy;
    int rc;
    if ((rc = get_str(&w, c, "server", &server, err, errlen)) ||
        (rc = get_str(&w, c, "certificate-authority", &ca, err, errlen)) ||
        (rc = get_str(&w, c, "tls-server-name", &tsn, err, errlen)) ||
        (rc = get_str(&w, c, "proxy-url", &proxy, err, errlen)) ||
        (rc = get_bool(&w, c, "insecure-skip-tls-verify", &cfg->insecure_skip_tls_verify, err,
                       errlen)) ||
        (rc = get_bool(&w, c, "disable-compression", &cfg->disable_compression, err, errlen)))
        return rc;
    if (!server || !*server) {
        kube_errf(err, errlen, WHERE_FMT ".server: missing", WHERE_ARGS(&w));
        return KUBE_ECONFIG;
    }
    const char *host = strstr(server, "://");
    if ((strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0) || !host ||
        host[3] == '\0' || host[3] == '/' || host[3] == '?' || host[3] == '#') {
        kube_errf(err, errlen, WHERE_FMT ".server: \"%s\" is not an http(s) URL", WHERE_ARGS(&w),
                  server);
        return KUBE_ECONFIG;
    }
    if ((rc = set_dup(&cfg->server, server)))
        return rc;
    size_t sl = strlen(cfg->server);
    while (sl > 0 && cfg->server[sl - 1] == '/')
        cfg->server[--sl] = '\0';
    if (proxy && *proxy) {
        /* client-go's rule (parseProxyURL). libcurl would take more (socks4, a bare
         * host:port as http), so a URL kubectl refuses would work here. */
        static const char *const schemes[] = {"http://", "https://", "socks5://"};
        const char *rest = NULL;
        for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && !rest; i++)
            if (strncasecmp(proxy, schemes[i], strlen(schemes[i])) == 0)
                rest = proxy + strlen(schemes[i]);
        if (!rest || !*rest || *rest == '/') {
            kube_errf(err, errlen,
                      WHERE_FMT ".proxy-url: \"%s\" is not an http://, https:// or socks5:// URL",
                      WHERE_ARGS(&w), proxy);
            return KUBE_ECONFIG;
        }
    }
    /* An empty proxy-url is an absent one (the environment's proxy applies, as in
     * client-go); given to libcurl, "" would turn every proxy off. */
    if ((rc = set_path(&cfg->ca_file, ce->dir, ca)) || (rc = set_dup(&cfg->tls_server_name, tsn)) ||
        (rc = set_dup(&cfg->proxy_url, proxy && *proxy ? proxy : NULL)))
        return rc;
    if ((rc = set_b64(&w, c, "certificate-authority-data", &cfg->ca_data, &cfg->ca_data_len, err,
                      errlen)))
        return rc;
    /* Verification would be off whatever the CA says; client-go refuses the pair
     * ("specifying a root certificates file with the insecure flag is not allowed"). */
    if (cfg->insecure_skip_tls_verify && (cfg->ca_file || cfg->ca_data)) {
        kube_errf(err, errlen,
                  "%s: %s[%s].%s: insecure-skip-tls-verify together with %s: a root certificate "
                  "with the insecure flag is not allowed (drop one)",
                  w.file, w.list, w.name, w.inner,
                  cfg->ca_data ? "certificate-authority-data" : "certificate-authority");
        return KUBE_ECONFIG;
    }
    json_t *exts = json_object_get(c, "extensions");
    if (json_is_array(exts)) {
        size_t i;
        json_t *x;
        json_array_foreach(exts, i, x)
        {
            json_t *nm = json_object_get(x, "name");
            if (json_is_string(nm) && strcmp(json_string_value(nm), KUBE_EXEC_EXTENSION) == 0) {
                json_t *ext = json_object_get(x, "extension");
                if (ext && cfg->exec && !cfg->exec->cluster_config_json) {
                    cfg->exec->cluster_config_json =
                        json_dumps(ext, JSON_COMPACT | JSON_ENCODE_ANY);
                    if (!cfg->exec->cluster_config_json)
                        return PS_ENOMEM;
                }
            }
        }
    }
    return 0;
}

static int take_user(const struct kc_entry *ue, struct kube_config *cfg, char *err, size_t errlen)
{
    struct where w = {ue->file, ue->dir, "users", ue->name, "user"};
    json_t *u = ue->body;
    const char *token, *token_file, *cert, *key, *user, *pass, *as;
    int rc;
    if ((rc = get_str(&w, u, "token", &token, err, errlen)) ||
        (rc = get_str(&w, u, "tokenFile", &token_file, err, errlen)) ||
        (rc = get_str(&w, u, "client-certificate", &cert, err, errlen)) ||
        (rc = get_str(&w, u, "client-key", &key, err, errlen)) ||
        (rc = get_str(&w, u, "username", &user, err, errlen)) ||
        (rc = get_str(&w, u, "password", &pass, err, errlen)) ||
        (rc = get_str(&w, u, "as", &as, err, errlen)))
        return rc;
    if ((token && (rc = check_header_value(&w, "token", token, err, errlen))) ||
        (as && (rc = check_header_value(&w, "as", as, err, errlen))))
        return rc;
    if ((rc = set_dup(&cfg->token, token && *token ? token : NULL)) ||
        (rc = set_path(&cfg->token_file, ue->dir, token_file)) ||
        (rc = set_path(&cfg->client_cert_file, ue->dir, cert)) ||
        (rc = set_path(&cfg->client_key_file, ue->dir, key)) ||
        (rc = set_dup(&cfg->username, user)) || (rc = set_dup(&cfg->password, pass)) ||
        (rc = set_dup(&cfg->impersonate_user, as && *as ? as : NULL)))
        return rc;
    if ((rc = set_b64(&w, u, "client-certificate-data", &cfg->client_cert_data,
                      &cfg->client_cert_data_len, err, errlen)) ||
        (rc = set_b64(&w, u, "client-key-data", &cfg->client_key_data, &cfg->client_key_data_len,
                      err, errlen)))
        return rc;
    bool has_cert = cfg->client_cert_file || cfg->client_cert_data;
    bool has_key = cfg->client_key_file || cfg->client_key_data;
    if (has_cert != has_key) {
        kube_errf(err, errlen, WHERE_FMT ": %s without %s", WHERE_ARGS(&w),
                  has_cert ? "client-certificate" : "client-key",
                  has_cert ? "client-key" : "client-certificate");
        return KUBE_ECONFIG;
    }
    const char *as_uid;
    if ((rc = get_str(&w, u, "as-uid", &as_uid, err, errlen)) ||
        (as_uid && (rc = check_header_value(&w, "as-uid", as_uid, err, errlen))) ||
        (rc = set_dup(&cfg->impersonate_uid, as_uid && *as_uid ? as_uid : NULL)))
        return rc;
    json_t *groups = json_object_get(u, "as-groups");
    if (groups && !json_is_null(groups)) {
        if (!json_is_array(groups)) {
            kube_errf(err, errlen, WHERE_FMT ".as-groups: not a list", WHERE_ARGS(&w));
            return KUBE_ECONFIG;
        }
        cfg->impersonate_groups = calloc(json_array_size(groups) + 1, sizeof(char *));
        if (!cfg->impersonate_groups)
            return PS_ENOMEM;
        size_t i;
        json_t *g;
        json_array_foreach(groups, i, g)
        {
            if (!json_is_string(g)) {
                kube_errf(err, errlen, WHERE_FMT ".as-groups[%zu]: not a string", WHERE_ARGS(&w),
                          i);
                return KUBE_ECONFIG;
            }
            char what[64];
            snprintf(what, sizeof what, "as-groups[%zu]", i);
            if ((rc = check_header_value(&w, what, json_string_value(g), err, errlen)))
                return rc;
            if (!(cfg->impersonate_groups[cfg->nimpersonate_groups] = strdup(json_string_value(g))))
                return PS_ENOMEM;
            cfg->nimpersonate_groups++;
        }
    }
    json_t *extra = json_object_get(u, "as-user-extra");
    if (extra && !json_is_null(extra)) {
        if (!json_is_object(extra)) {
            kube_errf(err, errlen, WHERE_FMT ".as-user-extra: not a mapping", WHERE_ARGS(&w));
            return KUBE_ECONFIG;
        }
        size_t total = 0;
        const char *k;
        json_t *vals;
        json_object_foreach(extra, k, vals) total +=
            json_is_array(vals) ? json_array_size(vals) : 1;
        cfg->impersonate_extra = calloc(2 * total + 1, sizeof(char *));
        if (!cfg->impersonate_extra)
            return PS_ENOMEM;
        json_object_foreach(extra, k, vals)
        {
            /* map[string][]string: each value is its own header line. */
            size_t n = json_is_array(vals) ? json_array_size(vals) : 1;
            for (size_t i = 0; i < n; i++) {
                json_t *v = json_is_array(vals) ? json_array_get(vals, i) : vals;
                if (!json_is_string(v)) {
                    kube_errf(err, errlen, WHERE_FMT ".as-user-extra.%s: not a list of strings",
                              WHERE_ARGS(&w), k);
                    return KUBE_ECONFIG;
                }
                /* The key needs no check: it is sent URL-escaped. */
                char what[256];
                if (json_is_array(vals))
                    snprintf(what, sizeof what, "as-user-extra.%.200s[%zu]", k, i);
                else
                    snprintf(what, sizeof what, "as-user-extra.%.200s", k);
                if ((rc = check_header_value(&w, what, json_string_value(v), err, errlen)))
                    return rc;
                size_t at = 2 * cfg->nimpersonate_extra;
                cfg->impersonate_extra[at] = strdup(k);
                cfg->impersonate_extra[at + 1] = strdup(json_string_value(v));
                cfg->nimpersonate_extra++;
                if (!cfg->impersonate_extra[at] || !cfg->impersonate_extra[at + 1])
                    return PS_ENOMEM;
            }
        }
    }
    /* The headers are only sent with Impersonate-User; client-go refuses the same
     * ("requesting uid, groups or user-extra for ... without impersonating a user"). */
    if (!cfg->impersonate_user &&
        (cfg->impersonate_uid || cfg->nimpersonate_groups || cfg->nimpersonate_extra)) {
        kube_errf(err, errlen, WHERE_FMT ".%s: set without \"as\" (impersonating no user)",
                  WHERE_ARGS(&w),
                  cfg->impersonate_uid       ? "as-uid"
                  : cfg->nimpersonate_groups ? "as-groups"
                                             : "as-user-extra");
        return KUBE_ECONFIG;
    }
    json_t *ex = json_object_get(u, "exec");
    json_t *ap = json_object_get(u, "auth-provider");
    if (ex && !json_is_null(ex) && ap && !json_is_null(ap)) {
        kube_errf(err, errlen, WHERE_FMT ": auth-provider and exec cannot both be set",
                  WHERE_ARGS(&w));
        return KUBE_ECONFIG;
    }
    if (ap && !json_is_null(ap)) {
        json_t *nm = json_object_get(ap, "name");
        kube_errf(err, errlen,
                  WHERE_FMT ".auth-provider: the legacy \"%s\" provider is not supported; use an "
                            "exec plugin (e.g. gke-gcloud-auth-plugin, kubelogin)",
                  WHERE_ARGS(&w), json_is_string(nm) ? json_string_value(nm) : "?");
        return PS_ENOTSUP;
    }
    if (ex && !json_is_null(ex))
        return parse_exec(&w, ex, cfg, err, errlen);
    return 0;
}

static int build(struct kc_merged *m, const char *context, struct kube_config *cfg, char *err,
                 size_t errlen)
{
    size_t srclen = 1;
    for (size_t i = 0; i < m->nfiles; i++)
        srclen += strlen(m->files[i].name) + 1;
    cfg->source = malloc(srclen);
    if (!cfg->source)
        return PS_ENOMEM;
    cfg->source[0] = '\0';
    for (size_t i = 0; i < m->nfiles; i++) {
        if (i)
            strcat(cfg->source, ":");
        strcat(cfg->source, m->files[i].name);
    }

    const char *ctx = context && *context ? context : m->current_context;
    if (!ctx) {
        kube_errf(err, errlen, "%s: no current-context is set and no context was given",
                  cfg->source);
        return KUBE_ECONFIG;
    }
    const struct kc_entry *ce = list_find(&m->contexts, ctx);
    if (!ce) {
        kube_errf(err, errlen, "%s: context \"%s\" not found%s%s", cfg->source, ctx,
                  context && *context ? "" : " (current-context of ",
                  context && *context ? "" : m->cc_file);
        if (!(context && *context) && err && strlen(err) + 2 < errlen)
            strcat(err, ")");
        return KUBE_ECONFIG;
    }
    struct where w = {ce->file, ce->dir, "contexts", ce->name, "context"};
    const char *cluster, *user, *ns;
    int rc;
    if ((rc = get_str(&w, ce->body, "cluster", &cluster, err, errlen)) ||
        (rc = get_str(&w, ce->body, "user", &user, err, errlen)) ||
        (rc = get_str(&w, ce->body, "namespace", &ns, err, errlen)))
        return rc;
    if (!cluster || !*cluster) {
        kube_errf(err, errlen, WHERE_FMT ".cluster: missing", WHERE_ARGS(&w));
        return KUBE_ECONFIG;
    }
    const struct kc_entry *cl = list_find(&m->clusters, cluster);
    if (!cl) {
        kube_errf(err, errlen, WHERE_FMT ".cluster: cluster \"%s\" not found", WHERE_ARGS(&w),
                  cluster);
        return KUBE_ECONFIG;
    }
    const struct kc_entry *us = NULL;
    if (user && *user) {
        us = list_find(&m->users, user);
        if (!us) {
            kube_errf(err, errlen, WHERE_FMT ".user: user \"%s\" not found", WHERE_ARGS(&w), user);
            return KUBE_ECONFIG;
        }
    }
    if ((rc = set_dup(&cfg->context, ctx)) || (rc = set_dup(&cfg->cluster_name, cluster)) ||
        (rc = set_dup(&cfg->user_name, us ? user : NULL)) ||
        (rc = set_dup(&cfg->namespace, ns && *ns ? ns : "default")))
        return rc;
    if (us && (rc = take_user(us, cfg, err, errlen)))
        return rc;
    return take_cluster(cl, cfg, err, errlen);
}

static int finish(struct kc_merged *m, int rc, const char *context, struct kube_config *cfg,
                  char *err, size_t errlen)
{
    kube_config_init(cfg);
    if (!rc)
        rc = build(m, context, cfg, err, errlen);
    merged_fini(m);
    if (rc) {
        if (rc == PS_ENOMEM)
            kube_errf(err, errlen, "out of memory loading kubeconfig");
        kube_config_fini(cfg);
    }
    return rc;
}

int kube_config_load_files(const char *const *paths, size_t npaths, const char *context,
                           struct kube_config *cfg, char *err, size_t errlen)
{
    struct kc_merged m;
    memset(&m, 0, sizeof m);
    int rc = 0;
    if (npaths == 0) {
        kube_errf(err, errlen, "no kubeconfig file given");
        rc = KUBE_ECONFIG;
    }
    for (size_t i = 0; i < npaths && !rc; i++)
        rc = add_file(&m, paths[i], err, errlen);
    return finish(&m, rc, context, cfg, err, errlen);
}

int kube_config_load_buffer(const char *name, const char *dir, const char *text, size_t len,
                            const char *context, struct kube_config *cfg, char *err, size_t errlen)
{
    struct kc_merged m;
    memset(&m, 0, sizeof m);
    int rc = add_text(&m, name ? name : "<kubeconfig>", dir ? dir : ".", text, len, err, errlen);
    return finish(&m, rc, context, cfg, err, errlen);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int kube_config_load(const struct kube_load_opts *opts, struct kube_config *cfg, char *err,
                     size_t errlen)
{
    static const struct kube_load_opts none;
    if (!opts)
        opts = &none;
    kube_config_init(cfg);
    if (opts->kubeconfig && *opts->kubeconfig) {
        const char *p = opts->kubeconfig;
        return kube_config_load_files(&p, 1, opts->context, cfg, err, errlen);
    }
    const char *env = opts->kubeconfig_env ? opts->kubeconfig_env : getenv("KUBECONFIG");
    if (env && *env) {
        /* Only the listed files, as kubectl: falling back to ~/.kube/config when
         * they are all missing would point a mistyped KUBECONFIG at another cluster. */
        char *copy = strdup(env);
        const char **paths = calloc(strlen(env) / 2 + 2, sizeof *paths);
        size_t n = 0;
        int rc = 0;
        if (!copy || !paths) {
            rc = PS_ENOMEM;
            kube_errf(err, errlen, "out of memory loading kubeconfig");
            goto env_out;
        }
        char *save = NULL;
        for (char *tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
            bool dup = false;
            for (size_t i = 0; i < n; i++)
                dup = dup || strcmp(paths[i], tok) == 0;
            if (!dup && file_exists(tok))
                paths[n++] = tok;
        }
        if (n > 0) {
            rc = kube_config_load_files(paths, n, opts->context, cfg, err, errlen);
        } else {
            kube_errf(err, errlen, "KUBECONFIG=%s: none of its files exists", env);
            rc = PS_ENOENT;
        }
    env_out:
        free(copy);
        free(paths);
        return rc;
    }
    const char *home = opts->home ? opts->home : getenv("HOME");
    if (home && *home) {
        char path[4096];
        snprintf(path, sizeof path, "%s/.kube/config", home);
        if (file_exists(path)) {
            const char *p = path;
            return kube_config_load_files(&p, 1, opts->context, cfg, err, errlen);
        }
    }
    if (!opts->no_in_cluster) {
        int rc = kube_config_load_in_cluster(opts->sa_dir, cfg, err, errlen);
        if (rc != KUBE_ENOTINCLUSTER)
            return rc;
    }
    kube_errf(err, errlen,
              "no kubeconfig: give --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run "
              "in a pod with a service account");
    return KUBE_ECONFIG;
}

int kube_config_load_in_cluster(const char *sa_dir, struct kube_config *cfg, char *err,
                                size_t errlen)
{
    kube_config_init(cfg);
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port) {
        kube_errf(err, errlen,
                  "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                  "must both be set");
        return KUBE_ENOTINCLUSTER;
    }
    if (!sa_dir || !*sa_dir)
        sa_dir = getenv("PODSCALER_SERVICEACCOUNT_DIR");
    if (!sa_dir || !*sa_dir)
        sa_dir = KUBE_SERVICEACCOUNT_DIR;
    char path[4096];
    int rc = PS_ENOMEM;
    size_t n = strlen(host) + strlen(port) + 16;
    cfg->server = malloc(n);
    if (!cfg->server)
        goto fail;
    /* IPv6 literals are bracketed in URLs (spec 4.1). */
    snprintf(cfg->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
    cfg->source = strdup("in-cluster");
    if (!cfg->source)
        goto fail;

    snprintf(path, sizeof path, "%s/token", sa_dir);
    char *tok = NULL;
    rc = kube_read_file(path, 1 << 20, &tok, NULL);
    if (rc) {
        kube_errf(err, errlen, "in-cluster: cannot read the service-account token %s", path);
        rc = PS_EAUTH;
        goto fail;
    }
    free(tok);
    if ((cfg->token_file = strdup(path)) == NULL) {
        rc = PS_ENOMEM;
        goto fail;
    }
    snprintf(path, sizeof path, "%s/ca.crt", sa_dir);
    /* Upstream only logs an unreadable CA and falls back to the system roots; a
     * service-account CA always exists in a real pod, so its absence is an error. */
    if (!file_exists(path)) {
        kube_errf(err, errlen, "in-cluster: the service-account CA %s is missing", path);
        rc = KUBE_ECONFIG;
        goto fail;
    }
    if ((cfg->ca_file = strdup(path)) == NULL) {
        rc = PS_ENOMEM;
        goto fail;
    }
    const char *ns = getenv("POD_NAMESPACE");
    if (ns && *ns) {
        cfg->namespace = strdup(ns);
    } else {
        char *text = NULL;
        snprintf(path, sizeof path, "%s/namespace", sa_dir);
        if (kube_read_file(path, 4096, &text, NULL) == 0) {
            char *s = text, *e;
            while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
                s++;
            e = s + strlen(s);
            while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t' || e[-1] == '\r'))
                *--e = '\0';
            cfg->namespace = strdup(*s ? s : "default");
            free(text);
        } else {
            cfg->namespace = strdup("default");
        }
    }
    if (!cfg->namespace) {
        rc = PS_ENOMEM;
        goto fail;
    }
    return 0;
fail:
    if (rc == PS_ENOMEM)
        kube_errf(err, errlen, "out of memory");
    kube_config_fini(cfg);
    return rc;
}

static int dup_bytes(unsigned char **dst, const unsigned char *src, size_t len)
{
    if (!src)
        return 0;
    *dst = malloc(len + 1);
    if (!*dst)
        return PS_ENOMEM;
    memcpy(*dst, src, len);
    (*dst)[len] = '\0';
    return 0;
}

static int dup_strv(char ***dst, char *const *src, size_t n)
{
    *dst = calloc(n + 1, sizeof **dst);
    if (!*dst)
        return PS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!((*dst)[i] = strdup(src[i])))
            return PS_ENOMEM;
    return 0;
}

int kube_config_copy(const struct kube_config *s, struct kube_config *d)
{
    kube_config_init(d);
    d->insecure_skip_tls_verify = s->insecure_skip_tls_verify;
    d->disable_compression = s->disable_compression;
    d->ca_data_len = s->ca_data_len;
    d->client_cert_data_len = s->client_cert_data_len;
    d->client_key_data_len = s->client_key_data_len;
    int rc = 0;
    if ((rc = set_dup(&d->source, s->source)) || (rc = set_dup(&d->context, s->context)) ||
        (rc = set_dup(&d->cluster_name, s->cluster_name)) ||
        (rc = set_dup(&d->user_name, s->user_name)) || (rc = set_dup(&d->server, s->server)) ||
        (rc = set_dup(&d->namespace, s->namespace)) || (rc = set_dup(&d->ca_file, s->ca_file)) ||
        (rc = dup_bytes(&d->ca_data, s->ca_data, s->ca_data_len)) ||
        (rc = set_dup(&d->tls_server_name, s->tls_server_name)) ||
        (rc = set_dup(&d->proxy_url, s->proxy_url)) ||
        (rc = set_dup(&d->client_cert_file, s->client_cert_file)) ||
        (rc = set_dup(&d->client_key_file, s->client_key_file)) ||
        (rc = dup_bytes(&d->client_cert_data, s->client_cert_data, s->client_cert_data_len)) ||
        (rc = dup_bytes(&d->client_key_data, s->client_key_data, s->client_key_data_len)) ||
        (rc = set_dup(&d->token, s->token)) || (rc = set_dup(&d->token_file, s->token_file)) ||
        (rc = set_dup(&d->username, s->username)) || (rc = set_dup(&d->password, s->password)) ||
        (rc = set_dup(&d->impersonate_user, s->impersonate_user)) ||
        (rc = set_dup(&d->impersonate_uid, s->impersonate_uid)))
        goto fail;
    if (s->nimpersonate_groups) {
        if ((rc = dup_strv(&d->impersonate_groups, s->impersonate_groups, s->nimpersonate_groups)))
            goto fail_strv;
        d->nimpersonate_groups = s->nimpersonate_groups;
    }
    if (s->nimpersonate_extra) {
        if ((rc = dup_strv(&d->impersonate_extra, s->impersonate_extra, 2 * s->nimpersonate_extra)))
            goto fail_strv;
        d->nimpersonate_extra = s->nimpersonate_extra;
    }
    if (s->exec) {
        const struct kube_exec_config *se = s->exec;
        struct kube_exec_config *e = calloc(1, sizeof *e);
        rc = PS_ENOMEM;
        if (!e)
            goto fail;
        d->exec = e;
        e->provide_cluster_info = se->provide_cluster_info;
        e->interactive = se->interactive;
        if ((rc = set_dup(&e->api_version, se->api_version)) ||
            (rc = set_dup(&e->command, se->command)) ||
            (rc = set_dup(&e->install_hint, se->install_hint)) ||
            (rc = set_dup(&e->cluster_config_json, se->cluster_config_json)) ||
            (rc = dup_strv(&e->args, se->args, se->nargs)))
            goto fail;
        e->nargs = se->nargs;
        if ((rc = dup_strv(&e->env_names, se->env_names, se->nenv)) ||
            (rc = dup_strv(&e->env_values, se->env_values, se->nenv)))
            goto fail;
        e->nenv = se->nenv;
    }
    return 0;
fail_strv:
    /* a partial vector is NULL-terminated where the copy stopped */
    for (char **v = d->impersonate_groups; v && *v && !d->nimpersonate_groups; v++)
        free(*v);
    if (!d->nimpersonate_groups) {
        free(d->impersonate_groups);
        d->impersonate_groups = NULL;
    }
    for (char **v = d->impersonate_extra; v && *v && !d->nimpersonate_extra; v++)
        free(*v);
    if (!d->nimpersonate_extra) {
        free(d->impersonate_extra);
        d->impersonate_extra = NULL;
    }
fail:
    if (d->exec && d->exec->nenv == 0 && d->exec->env_names) {
        /* partially copied env: free what was copied */
        for (size_t i = 0; d->exec->env_names[i]; i++)
            free(d->exec->env_names[i]);
        for (size_t i = 0; d->exec->env_values && d->exec->env_values[i]; i++)
            free(d->exec->env_values[i]);
        free(d->exec->env_names);
        free(d->exec->env_values);
        d->exec->env_names = d->exec->env_values = NULL;
    }
    if (d->exec && d->exec->nargs == 0 && d->exec->args) {
        for (size_t i = 0; d->exec->args[i]; i++)
            free(d->exec->args[i]);
        free(d->exec->args);
        d->exec->args = NULL;
    }
    kube_config_fini(d);
    return rc;
}
