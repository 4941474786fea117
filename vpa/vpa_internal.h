/*
 * vpa_internal.h - functions shared between the files of vpa/ (not public).
 */
#ifndef PODSCALER_VPA_INTERNAL_H
#define PODSCALER_VPA_INTERNAL_H

#include "podscaler/vpa.h"

/* Makes sure adding the k values to h needs no allocation. */
int vpa__hist_reserve_values(struct vpa_hist *h, const double *values, int k);
/* Validates cp against h and reserves what loading it needs; loading is then
 * vpa__hist_load_commit, which cannot fail. */
int vpa__hist_load_prepare(struct vpa_hist *h, const struct vpa_hist_checkpoint *cp);
void vpa__hist_load_commit(struct vpa_hist *h, const struct vpa_hist_checkpoint *cp);
/* x^y as Go's math.Pow computes it where upstream's results depend on it: for an
 * integral y (|y| < 2^20) and a finite x > 0, repeated squaring of the mantissa
 * with the exponent kept apart and one division for y < 0; otherwise C's pow.
 * C's pow is correctly rounded and Go's is not: the two differ by up to ~20 ulps
 * for r^i with i near 175, which moves memory bucket 4's start across an integer
 * (Go: 43101249.99999996 bytes), and by an ulp for half of the lower bound's
 * confidence factors. */
double vpa__go_pow(double x, double y);
/* Go's repeated squaring itself, for x > 0 finite and y integral, |y| < 2^20. */
double vpa__go_pow_loop(double x, double y);
/* The natural logarithm as Go's math.Log computes it on amd64 (its assembly
 * follows the portable code's operations in order), for FindBucket: glibc's log
 * differs from it by an ulp for about one argument in seventy, and at a bucket's
 * start that moves a value into the neighbouring bucket. Subnormal arguments are
 * normalised first, as the portable code does; the assembly does not, and
 * FindBucket never asks (its arguments are at least 1). */
double vpa__go_log(double x);
/* 2^x as Go's math.Exp2 computes it on amd64 (the portable Go code, no fused
 * multiply-add), for the weights of decaying histograms: glibc's exp2 differs
 * from it by an ulp for about one argument in twelve (measured against Go 1.19
 * over two million arguments, none different from this one). */
double vpa__go_exp2(double x);
/* a - b in nanoseconds, saturating like Go's Time.Sub. */
int64_t vpa__sub_ns(int64_t a_ms, int64_t b_ms);

#endif
