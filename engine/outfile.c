/*
 * outfile.c - write to a temporary file beside the target, rename on commit.
 */
/* realpath is X/Open: _POSIX_C_SOURCE alone leaves it out. */
#define _XOPEN_SOURCE 700
#include "outfile.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s", path, what);
    return -1;
}

/* A path whose last component does not exist yet: its directory resolved, so
 * that two spellings of one new file compare equal. */
static char *resolve_new(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    char *real = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!real)
        return NULL;
    size_t n = strlen(real) + strlen(base) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
    free(real);
    return out;
}

/* The target through symlinks: renaming over the link itself would replace
 * the link with a file and leave the file it named as it was. A link to a
 * file not there yet names the file to create, as fopen would create it. */
static char *resolve_target(const char *path)
{
    char *real = realpath(path, NULL);
    if (real || errno != ENOENT)
        return real;
    char cur[PATH_MAX], link[PATH_MAX];
    if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    struct stat st;
    for (int hops = 0; lstat(cur, &st) == 0 && S_ISLNK(st.st_mode); hops++) {
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0 || hops == 40) {
            errno = n < 0 ? errno : ELOOP;
            return NULL;
        }
        link[n] = '\0';
        /* A relative link is relative to the link's directory. */
        const char *slash = strrchr(cur, '/');
        char joined[2 * PATH_MAX];
        int w = link[0] != '/' && slash
                    ? snprintf(joined, sizeof joined, "%.*s/%s", (int)(slash - cur), cur, link)
                    : snprintf(joined, sizeof joined, "%s", link);
        if (w < 0 || (size_t)w >= sizeof cur) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        memcpy(cur, joined, (size_t)w + 1);
    }
    return resolve_new(cur);
}

int out_file_open(struct out_file *o, const char *path, const char *input, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    struct stat st, in;
    const int exists = stat(path, &st) == 0;
    if (exists && input && stat(input, &in) == 0 && st.st_dev == in.st_dev &&
        st.st_ino == in.st_ino)
        return fail(err, errlen, path, "is the input itself; write the output elsewhere");
    if (exists && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            return fail(err, errlen, path, strerror(EISDIR));
        o->f = fopen(path, "w");
        return o->f ? 0 : fail(err, errlen, path, strerror(errno));
    }
    o->final = resolve_target(path);
    if (!o->final)
        return fail(err, errlen, path, strerror(errno));
    const char *slash = strrchr(o->final, '/');
    const size_t dir_len = slash ? (size_t)(slash - o->final) + 1 : 0;
    const char *base = slash ? slash + 1 : o->final;
    const size_t cap = dir_len + strlen(base) + sizeof("..XXXXXX");
    o->tmp = malloc(cap);
    if (!o->tmp) {
        out_file_abort(o);
        return fail(err, errlen, path, strerror(ENOMEM));
    }
    snprintf(o->tmp, cap, "%.*s.%s.XXXXXX", (int)dir_len, o->final, base);
    const int fd = mkstemp(o->tmp);
    if (fd < 0) {
        const int e = errno;
        free(o->tmp);
        o->tmp = NULL;
        out_file_abort(o);
        return fail(err, errlen, path, strerror(e));
    }
    /* mkstemp makes it 0600; a report gets the mode a new file would. */
    const mode_t mask = umask(0);
    umask(mask);
    (void)fchmod(fd, exists ? st.st_mode & 07777 : 0666 & ~mask);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        const int e = errno;
        close(fd);
        out_file_abort(o);
        return fail(err, errlen, path, strerror(e));
    }
    return 0;
}

int out_file_commit(struct out_file *o, char *err, size_t errlen)
{
    const char *path = o->final ? o->final : "output";
    const int bad = ferror(o->f);
    const int closed = fclose(o->f);
    o->f = NULL;
    if (bad || closed != 0) {
        out_file_abort(o);
        return fail(err, errlen, path, "write failed");
    }
    if (o->tmp && rename(o->tmp, o->final) != 0) {
        const int e = errno;
        out_file_abort(o);
        return fail(err, errlen, path, strerror(e));
    }
    free(o->tmp);
    free(o->final);
    o->tmp = o->final = NULL;
    return 0;
}

void out_file_abort(struct out_file *o)
{
    if (o->f)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->final);
    memset(o, 0, sizeof *o);
}
