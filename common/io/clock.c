#include <time.h>

#include "podscaler/clock.h"

ps_time_ms ps_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (ps_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ps_time_ms ps_clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ps_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
