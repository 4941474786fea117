/*
 * Exec credential plugins (client.authentication.k8s.io v1 / v1beta1, spec
 * kubernetes-api.md 4.4): how EKS (`aws eks get-token`), GKE
 * (`gke-gcloud-auth-plugin`) and AKS (`kubelogin`) clusters authenticate.
 *
 * The plugin runs synchronously, from the loop thread, with a timeout. It is
 * rare (once per credential lifetime: ~14 minutes for EKS) and short (about a
 * second), and the client is single-threaded: running it asynchronously would
 * need every request to park until the credential arrives, for no gain a
 * controller could measure. A plugin that hangs is killed at the timeout.
 */
/* pipe2 and posix_spawn_file_actions_addclosefrom_np are GNU extensions in glibc 2.36. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kube_int.h"
#include "podscaler/clock.h"
#include "podscaler/log.h"

extern char **environ;

/* An ExecCredential is a few KiB (an EKS token is < 4 KiB); this is generous. */
#define EXEC_STDOUT_MAX (1u << 20)
/* Enough of a plugin's stderr to explain a failure in one log line. */
#define EXEC_STDERR_KEEP 2048

void kube_exec_credential_fini(struct kube_exec_credential *cred)
{
    if (!cred)
        return;
    free(cred->token);
    free(cred->client_cert_pem);
    free(cred->client_key_pem);
    memset(cred, 0, sizeof *cred);
}

int kube_exec_parse(const char *api_version, const char *text, size_t len,
                    struct kube_exec_credential *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    int rc = KUBE_EEXEC;
    if (!doc) {
        kube_errf(err, errlen, "output is not JSON: line %d: %s", jerr.line, jerr.text);
        return rc;
    }
    json_t *api = json_object_get(doc, "apiVersion");
    json_t *status = json_object_get(doc, "status");
    if (!json_is_object(doc)) {
        kube_errf(err, errlen, "output is not an ExecCredential object");
        goto out;
    }
    if (!json_is_string(api)) {
        kube_errf(err, errlen, "ExecCredential: apiVersion missing");
        goto out;
    }
    if (strcmp(json_string_value(api), api_version) != 0) {
        kube_errf(err, errlen, "ExecCredential: apiVersion \"%s\" does not match the configured %s",
                  json_string_value(api), api_version);
        goto out;
    }
    if (!json_is_object(status)) {
        kube_errf(err, errlen, "ExecCredential: status missing");
        goto out;
    }
    json_t *tok = json_object_get(status, "token");
    json_t *cert = json_object_get(status, "clientCertificateData");
    json_t *key = json_object_get(status, "clientKeyData");
    json_t *exp = json_object_get(status, "expirationTimestamp");
    bool has_tok = json_is_string(tok) && json_string_length(tok) > 0;
    bool has_cert = json_is_string(cert) && json_string_length(cert) > 0;
    bool has_key = json_is_string(key) && json_string_length(key) > 0;
    if (has_cert != has_key) {
        kube_errf(err, errlen, "ExecCredential: status has %s without %s",
                  has_cert ? "clientCertificateData" : "clientKeyData",
                  has_cert ? "clientKeyData" : "clientCertificateData");
        goto out;
    }
    if (!has_tok && !has_cert) {
        kube_errf(
            err, errlen,
            "ExecCredential: status has neither token nor clientCertificateData/clientKeyData");
        goto out;
    }
    if (has_tok) {
        size_t tl = json_string_length(tok), at = ps_ctl_at(json_string_value(tok), tl);
        if (at < tl) {
            kube_errf(err, errlen,
                      "ExecCredential: status.token: control character 0x%02x at byte %zu, which "
                      "cannot go in an HTTP header",
                      (unsigned)(unsigned char)json_string_value(tok)[at], at);
            goto out;
        }
    }
    if (has_cert && (!strstr(json_string_value(cert), "-----BEGIN") ||
                     !strstr(json_string_value(key), "-----BEGIN"))) {
        kube_errf(err, errlen, "ExecCredential: clientCertificateData/clientKeyData are not PEM");
        goto out;
    }
    if (exp && !json_is_null(exp)) {
        if (!json_is_string(exp) ||
            kube_parse_rfc3339_ms(json_string_value(exp), &out->expiry_ms) != 0) {
            kube_errf(err, errlen, "ExecCredential: expirationTimestamp is not an RFC 3339 time");
            goto out;
        }
        if (out->expiry_ms == 0)
            out->expiry_ms = 1; /* 0 means "never" to us; the epoch itself is long past */
    }
    rc = PS_ENOMEM;
    if (has_tok && !(out->token = strdup(json_string_value(tok))))
        goto out;
    if (has_cert && (!(out->client_cert_pem = strdup(json_string_value(cert))) ||
                     !(out->client_key_pem = strdup(json_string_value(key)))))
        goto out;
    rc = 0;
out:
    json_decref(doc);
    if (rc)
        kube_exec_credential_fini(out);
    return rc;
}

static char *exec_info(const struct kube_exec_config *e, const struct kube_config *cl)
{
    json_t *spec = json_pack("{s:b}", "interactive", 0);
    json_t *doc = json_pack("{s:s, s:s, s:o}", "kind", "ExecCredential", "apiVersion",
                            e->api_version, "spec", spec);
    if (!doc)
        return NULL;
    if (e->provide_cluster_info && cl) {
        json_t *c = json_object();
        json_object_set_new(c, "server", json_string(cl->server ? cl->server : ""));
        if (cl->tls_server_name)
            json_object_set_new(c, "tls-server-name", json_string(cl->tls_server_name));
        if (cl->insecure_skip_tls_verify)
            json_object_set_new(c, "insecure-skip-tls-verify", json_true());
        if (cl->proxy_url)
            json_object_set_new(c, "proxy-url", json_string(cl->proxy_url));
        if (cl->disable_compression)
            json_object_set_new(c, "disable-compression", json_true());
        /* client-go hands the CA as data, reading the file when only a file is set. */
        char *ca = NULL;
        size_t calen = 0;
        if (cl->ca_data) {
            ca = kube_base64_encode(cl->ca_data, cl->ca_data_len);
        } else if (cl->ca_file) {
            char *pem;
            if (kube_read_file(cl->ca_file, 1 << 20, &pem, &calen) == 0) {
                ca = kube_base64_encode((unsigned char *)pem, calen);
                free(pem);
            }
        }
        if (ca)
            json_object_set_new(c, "certificate-authority-data", json_string(ca));
        free(ca);
        if (e->cluster_config_json) {
            json_t *cfg = json_loads(e->cluster_config_json, JSON_DECODE_ANY, NULL);
            if (cfg)
                json_object_set_new(c, "config", cfg);
        }
        json_object_set_new(spec, "cluster", c);
    }
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

/* Our environment, minus names the plugin config sets, plus those and KUBERNETES_EXEC_INFO. */
static char **build_env(const struct kube_exec_config *e, const char *info)
{
    size_t n = 0;
    while (environ && environ[n])
        n++;
    char **env = calloc(n + e->nenv + 2, sizeof *env);
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t nl = eq ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        bool skip = nl == 20 && strncmp(environ[i], "KUBERNETES_EXEC_INFO", 20) == 0;
        for (size_t j = 0; j < e->nenv && !skip; j++)
            skip = strlen(e->env_names[j]) == nl && strncmp(environ[i], e->env_names[j], nl) == 0;
        if (!skip && !(env[k++] = strdup(environ[i])))
            goto fail;
    }
    for (size_t j = 0; j < e->nenv; j++) {
        size_t l = strlen(e->env_names[j]) + strlen(e->env_values[j]) + 2;
        if (!(env[k] = malloc(l)))
            goto fail;
        snprintf(env[k++], l, "%s=%s", e->env_names[j], e->env_values[j]);
    }
    size_t l = strlen(info) + sizeof "KUBERNETES_EXEC_INFO=";
    if (!(env[k] = malloc(l)))
        goto fail;
    snprintf(env[k++], l, "KUBERNETES_EXEC_INFO=%s", info);
    return env;
fail:
    for (size_t i = 0; i < k; i++)
        free(env[i]);
    free(env);
    return NULL;
}

static void free_env(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

/* Waits for the plugin until deadline, killing it there: a plugin can close its
 * output and stay (a helper that lingers, a sleep after printing), and a blocking
 * waitpid would then hold the loop thread for as long as it likes. 0 with
 * *status, PS_ETIMEDOUT when killed, KUBE_EEXEC when the child cannot be waited for. */
static int reap(pid_t pid, int64_t deadline, int cancel_fd, int *status)
{
    /* Short enough not to add a visible delay to a plugin that exits as it
     * closes its output, long enough not to spin. The wait is a poll of the
     * cancel fd (or of nothing). */
    const int nap_ms = 5;
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            return 0;
        if (w < 0 && errno != EINTR)
            return KUBE_EEXEC;
        struct pollfd pfd = {cancel_fd, POLLIN, 0};
        const bool cancel = poll(&pfd, 1, nap_ms) > 0 && (pfd.revents & (POLLIN | POLLHUP));
        if (cancel || ps_clock_mono_ms() >= deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
            return cancel ? KUBE_ECANCELED : PS_ETIMEDOUT;
        }
    }
}

/* Keeps the printable tail of stderr on one line for messages. */
static void flatten(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

int kube_exec_run(const struct kube_exec_config *e, const struct kube_config *cluster,
                  int64_t timeout_ms, int cancel_fd, struct kube_exec_credential *out, char *err,
                  size_t errlen)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    char *info = NULL, **env = NULL, **argv = NULL;
    char *obuf = NULL, ebuf[EXEC_STDERR_KEEP + 1];
    size_t olen = 0, elen = 0;
    posix_spawn_file_actions_t fa;
    bool fa_init = false;
    pid_t pid = -1;
    int rc = PS_ENOMEM;

    memset(out, 0, sizeof *out);
    ebuf[0] = '\0';
    if (timeout_ms <= 0)
        timeout_ms = KUBE_DEFAULT_EXEC_TIMEOUT_MS;
    if (e->interactive == KUBE_EXEC_INTERACTIVE_ALWAYS) {
        kube_errf(err, errlen,
                  "exec plugin %s: interactiveMode Always needs a terminal, and podscaler runs "
                  "without one",
                  e->command);
        return KUBE_EEXEC;
    }
    if (!(info = exec_info(e, cluster)) || !(env = build_env(e, info)))
        goto out;
    if (!(argv = calloc(e->nargs + 2, sizeof *argv)) || !(obuf = malloc(EXEC_STDOUT_MAX + 1)))
        goto out;
    argv[0] = e->command;
    for (size_t i = 0; i < e->nargs; i++)
        argv[i + 1] = e->args[i];
    /* Close-on-exec from the start, so that a plugin another thread spawns meanwhile
     * does not hold our pipes open; dup2 onto 1 and 2 clears the flag for ours. */
    if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
        kube_errf(err, errlen, "exec plugin %s: pipe: %s", e->command, strerror(errno));
        rc = KUBE_EEXEC;
        goto out;
    }
    if (posix_spawn_file_actions_init(&fa))
        goto out;
    fa_init = true;
    /* The plugin never gets our stdin: podscaler is not interactive (interactive=false). */
    if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
        posix_spawn_file_actions_adddup2(&fa, outp[1], 1) ||
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2))
        goto out;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    /* libcurl's sockets and socketpairs, and whatever an embedding program has
     * open, are not close-on-exec: without this the plugin inherits them, and a
     * plugin that leaves a helper running keeps our connections open. */
    if (posix_spawn_file_actions_addclosefrom_np(&fa, 3))
        goto out;
#endif
    int sp = posix_spawnp(&pid, e->command, &fa, NULL, argv, env);
    close(outp[1]);
    close(errp[1]);
    outp[1] = errp[1] = -1;
    if (sp != 0) {
        pid = -1;
        if (sp == ENOENT)
            kube_errf(err, errlen, "exec plugin: executable \"%s\" not found%s%s", e->command,
                      e->install_hint ? ": " : "", e->install_hint ? e->install_hint : "");
        else
            kube_errf(err, errlen, "exec plugin %s: cannot start: %s", e->command, strerror(sp));
        rc = KUBE_EEXEC;
        goto out;
    }

    int64_t deadline = ps_clock_mono_ms() + timeout_ms;
    bool out_open = true, err_open = true, too_big = false;
    while (out_open || err_open) {
        struct pollfd pfd[3] = {{outp[0], POLLIN, 0}, {errp[0], POLLIN, 0}, {cancel_fd, POLLIN, 0}};
        int64_t left = deadline - ps_clock_mono_ms();
        if (left <= 0) {
            kube_errf(err, errlen, "exec plugin %s: no answer within %lld ms, killed", e->command,
                      (long long)timeout_ms);
            rc = PS_ETIMEDOUT;
            goto out;
        }
        if (!out_open)
            pfd[0].fd = -1;
        if (!err_open)
            pfd[1].fd = -1;
        int pr = poll(pfd, 3, (int)(left > 1000 ? 1000 : left));
        if (pr < 0 && errno != EINTR) {
            kube_errf(err, errlen, "exec plugin %s: poll: %s", e->command, strerror(errno));
            rc = KUBE_EEXEC;
            goto out;
        }
        if (pr <= 0)
            continue;
        if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            rc = KUBE_ECANCELED;
            goto out; /* kills it */
        }
        char tmp[4096];
        if (out_open && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(outp[0], tmp, sizeof tmp);
            if (r <= 0) {
                out_open = false;
            } else if (olen + (size_t)r > EXEC_STDOUT_MAX) {
                too_big = true;
            } else {
                memcpy(obuf + olen, tmp, (size_t)r);
                olen += (size_t)r;
            }
        }
        if (err_open && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            ssize_t r = read(errp[0], tmp, sizeof tmp);
            if (r <= 0) {
                err_open = false;
            } else {
                /* Keep the tail: the last lines say what went wrong. */
                size_t take = (size_t)r > EXEC_STDERR_KEEP ? EXEC_STDERR_KEEP : (size_t)r;
                if (elen + take > EXEC_STDERR_KEEP) {
                    size_t drop = elen + take - EXEC_STDERR_KEEP;
                    memmove(ebuf, ebuf + drop, elen - drop);
                    elen -= drop;
                }
                memcpy(ebuf + elen, tmp + (size_t)r - take, take);
                elen += take;
            }
        }
    }
    ebuf[elen] = '\0';
    flatten(ebuf);
    int status = 0;
    rc = reap(pid, deadline, cancel_fd, &status);
    pid = -1;
    if (rc == KUBE_ECANCELED)
        goto out;
    if (rc == PS_ETIMEDOUT) {
        kube_errf(err, errlen,
                  "exec plugin %s: did not exit within %lld ms after closing its output, killed",
                  e->command, (long long)timeout_ms);
        goto out;
    }
    if (rc) {
        kube_errf(err, errlen, "exec plugin %s: cannot wait for it: %s", e->command,
                  strerror(errno));
        goto out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && e->install_hint)
            kube_errf(err, errlen, "exec plugin %s: exit code 127 (%s): %s", e->command, ebuf,
                      e->install_hint);
        else if (WIFEXITED(status))
            kube_errf(err, errlen, "exec plugin %s: exit code %d%s%s", e->command,
                      WEXITSTATUS(status), elen ? ": " : "", ebuf);
        else
            kube_errf(err, errlen, "exec plugin %s: killed by signal %d%s%s", e->command,
                      WTERMSIG(status), elen ? ": " : "", ebuf);
        rc = KUBE_EEXEC;
        goto out;
    }
    if (too_big) {
        kube_errf(err, errlen, "exec plugin %s: output larger than %u bytes", e->command,
                  EXEC_STDOUT_MAX);
        rc = KUBE_EEXEC;
        goto out;
    }
    if (elen)
        ps_log(PS_LOG_DEBUG, "kube", "exec plugin %s: stderr: %s", e->command, ebuf);
    char perr[384];
    rc = kube_exec_parse(e->api_version, obuf, olen, out, perr, sizeof perr);
    if (rc)
        kube_errf(err, errlen, "exec plugin %s: %s%s%s", e->command, perr, elen ? "; stderr: " : "",
                  ebuf);
out:
    if (rc == PS_ENOMEM)
        kube_errf(err, errlen, "exec plugin %s: out of memory", e->command);
    if (rc == KUBE_ECANCELED)
        kube_errf(err, errlen, "exec plugin %s: abandoned, the process is stopping", e->command);
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    free(info);
    free_env(env);
    free(argv);
    free(obuf);
    return rc;
}
