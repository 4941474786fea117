/*
 * outfile.h - a report or decisions file that appears whole or not at all
 * (engine-private).
 *
 * A regular file (new, or existing, through symlinks) is written to a
 * temporary file beside it and renamed over it on commit, so that a failed run
 * leaves what was there before, and a reader never sees half a report. A path
 * that is not a regular file (/dev/stdout, a FIFO, a terminal) is written in
 * place and never removed. A path naming the input itself is refused: the run
 * would replace what it reads.
 */
#ifndef PODSCALER_ENGINE_OUTFILE_H
#define PODSCALER_ENGINE_OUTFILE_H

#include <stdio.h>

struct out_file {
    FILE *f;
    char *final; /* where the file goes on commit; NULL: written in place */
    char *tmp;   /* the temporary file, removed on abort */
};

/* Opens path for writing. input (may be NULL) is a file the run reads.
 * 0, or -1 with a message naming the path in err. */
int out_file_open(struct out_file *o, const char *path, const char *input, char *err,
                  size_t errlen);
/* Closes the file and puts it in place. 0, or -1 with a message in err. */
int out_file_commit(struct out_file *o, char *err, size_t errlen);
/* Closes the file and removes the temporary one; what path named is untouched. */
void out_file_abort(struct out_file *o);

#endif
