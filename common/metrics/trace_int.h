/*
 * trace_int.h - the trace builder shared by the CSV reader (trace_csv.c) and
 * the database reader (trace_db.c). Internal to ps_common.
 *
 * A builder takes samples one row at a time in any order of series (rows of one
 * series must come in strictly increasing time), interns the names, and at the
 * end lays the samples out columnar, grouped by series, as struct trace wants.
 * Every check on sample values lives here, so both readers apply the same rules.
 *
 * Ownership: tb_new allocates the builder; tb_finish hands its contents to the
 * new trace and frees the builder; tb_free frees an unfinished builder.
 */
#ifndef PODSCALER_TRACE_INT_H
#define PODSCALER_TRACE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "podscaler/trace.h"

/* The optional columns, in struct trace order. */
enum { TB_CPU_REQ, TB_MEM_REQ, TB_CPU_LIM, TB_MEM_LIM, TB_N_OPT };
extern const char *const tb_opt_names[TB_N_OPT]; /* their CSV column names */

struct trace_builder;

/* opt_mask: bit i set when optional column i exists in the input. */
int tb_new(const char *source, unsigned opt_mask, size_t max_samples, struct trace_builder **out);
void tb_free(struct trace_builder *b);

/* Why tb_add refused a row: the field (a CSV column name) and a message. */
struct tb_reject {
    const char *field;
    char message[200];
};

/* Adds one sample. opt holds TB_N_OPT values (TRACE_NONE when absent) or is NULL.
 * Returns 0; a negative code with *why filled for a bad row (the builder is
 * unchanged and may go on); PS_ENOMEM or PS_ENOSPC (cap reached), which end the load. */
int tb_add(struct trace_builder *b, const char *wl, size_t wl_len, const char *pod, size_t pod_len,
           const char *ctr, size_t ctr_len, int64_t t, int64_t cpu, int64_t mem, const int64_t *opt,
           struct tb_reject *why);

/* Adds a recorded replica count (database input). Same return rules as tb_add. */
int tb_add_replicas(struct trace_builder *b, const char *wl, size_t wl_len, int64_t t,
                    int64_t replicas, struct tb_reject *why);

/* Finishes: sorts and lays out series, computes t_end_s and step_s. When rebase
 * is set, times are shifted so the earliest sample or replica count is 0 and
 * t0_unix_s is that earliest time; otherwise t0_unix_s is 0. Frees b. Returns 0,
 * PS_ENOMEM, or PS_ENOENT when there is no sample at all. */
int tb_finish(struct trace_builder *b, int rebase, struct trace **out);

/* Fills err (file, line, field, message); NULL strings become "". */
void tb_set_error(struct trace_error *err, const char *file, long line, const char *field,
                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#endif
