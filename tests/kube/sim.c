#include "sim.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podscaler/clock.h"

extern char **environ;

const char *sim_path(const struct sim *s, const char *name)
{
    static char bufs[16][512];
    static int i;
    i = (i + 1) % 16;
    snprintf(bufs[i], sizeof bufs[i], "%s/%s", s->dir, name);
    return bufs[i];
}

static void read_small(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
}

int sim_start(struct sim *s, const char *kubesim_py, const char *const *extra)
{
    memset(s, 0, sizeof *s);
    s->out_fd = -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/kube-test-sim-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    char *argv[64];
    int n = 0;
    argv[n++] = strdup("python3");
    argv[n++] = strdup(kubesim_py);
    argv[n++] = strdup("--state-dir");
    argv[n++] = strdup(s->dir);
    argv[n++] = strdup("--port");
    argv[n++] = strdup("0");
    argv[n++] = strdup("--tls");
    for (int i = 0; extra && extra[i] && n < 62; i++)
        argv[n++] = strdup(extra[i]);
    argv[n] = NULL;
    int p[2];
    if (pipe(p))
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    int rc = posix_spawnp(&s->pid, "python3", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < n; i++)
        free(argv[i]);
    close(p[1]);
    if (rc) {
        close(p[0]);
        return -1;
    }
    char line[512];
    size_t len = 0;
    int64_t deadline = ps_clock_mono_ms() + 60000;
    while (ps_clock_mono_ms() < deadline && len < sizeof line - 1) {
        struct pollfd pfd = {p[0], POLLIN, 0};
        if (poll(&pfd, 1, 200) <= 0)
            continue;
        char ch;
        if (read(p[0], &ch, 1) != 1)
            break;
        if (ch == '\n')
            break;
        line[len++] = ch;
    }
    line[len] = '\0';
    s->out_fd = p[0];
    if (strncmp(line, "kubesim ready ", 14) != 0) {
        fprintf(stderr, "kubesim did not start: '%s'\n", line);
        sim_stop(s);
        return -1;
    }
    /* A URL longer than the field is not kubesim's: refuse it rather than cut it. */
    size_t url_len = strlen(line + 14);
    if (url_len >= sizeof s->url) {
        fprintf(stderr, "kubesim URL too long: '%s'\n", line + 14);
        sim_stop(s);
        return -1;
    }
    memcpy(s->url, line + 14, url_len + 1);
    read_small(sim_path(s, "token"), s->token, sizeof s->token);
    read_small(sim_path(s, "admin-token"), s->admin_token, sizeof s->admin_token);
    char port[32];
    read_small(sim_path(s, "port"), port, sizeof port);
    s->port = atoi(port);
    return 0;
}

void sim_stop(struct sim *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    if (s->out_fd >= 0) {
        close(s->out_fd);
        s->out_fd = -1;
    }
    if (s->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", s->dir);
        s->dir[0] = '\0';
    }
}

struct buf {
    char *p;
    size_t n;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *data)
{
    struct buf *b = data;
    size_t n = size * nmemb;
    char *q = realloc(b->p, b->n + n + 1);
    if (!q)
        return 0;
    memcpy(q + b->n, ptr, n);
    b->p = q;
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

long sim_admin(struct sim *s, const char *method, const char *path, const char *json, char **out)
{
    CURL *e = curl_easy_init();
    if (!e)
        return -1;
    char url[512], auth[320];
    snprintf(url, sizeof url, "%s%s", s->url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", s->admin_token);
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Content-Type: application/json");
    struct buf b = {NULL, 0};
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CAINFO, sim_path(s, "ca.crt"));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    if (json)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
    long code = -1;
    if (curl_easy_perform(e) == CURLE_OK)
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    if (out)
        *out = b.p;
    else
        free(b.p);
    return code;
}
