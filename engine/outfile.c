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

/* The target through symlinks: renaming over the link itself would replace
 * the link with a file and leave the file it named as it was. */
static char *resolve_target(const char *path)
{
    char *real = realpath(path, NULL);
    if (real)
        return real;
    if (errno != ENOENT)
        return NULL;
    /* A new file: a dangling symlink resolves to nothing and is written as
     * the link's own path, as fopen would create it. */
    return strdup(path);
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
