/*
 * clock.h - time as the cores see it.
 *
 * The pure cores never read a clock: every decision function takes `now_ms`,
 * milliseconds since the Unix epoch, as an argument. Only the I/O shell calls
 * ps_clock_now_ms() (common/io/clock.c); replay passes a virtual time instead.
 */
#ifndef PODSCALER_CLOCK_H
#define PODSCALER_CLOCK_H

#include <stdint.h>

typedef int64_t ps_time_ms;

#define PS_MS_PER_S   INT64_C(1000)
#define PS_MS_PER_MIN INT64_C(60000)
#define PS_MS_PER_H   INT64_C(3600000)
#define PS_MS_PER_DAY INT64_C(86400000)

/* Wall-clock time in ms since the epoch. I/O shell only (ps_common). */
ps_time_ms ps_clock_now_ms(void);
/* Monotonic time in ms, for timeouts and intervals. I/O shell only. */
ps_time_ms ps_clock_mono_ms(void);

#endif
