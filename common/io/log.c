#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "podscaler/error.h"
#include "podscaler/log.h"

static enum ps_log_level current_level = PS_LOG_INFO;

void ps_log_set_level(enum ps_log_level level)
{
    current_level = level;
}

enum ps_log_level ps_log_get_level(void)
{
    return current_level;
}

int ps_log_parse_level(const char *text, enum ps_log_level *out)
{
    static const char *const names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i <= PS_LOG_OFF; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (enum ps_log_level)i;
            return 0;
        }
    }
    return PS_EINVAL;
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 0)))
#endif
static void
vlog(enum ps_log_level level, const char *module, const char *fmt, va_list ap)
{
    static const char *const tags[] = {"DEBUG", "INFO", "WARN", "ERROR"};

    struct timespec ts;
    struct tm tm;
    char stamp[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);

    /* One fprintf per line so concurrent writers do not interleave inside a line. */
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "%s %s %s: %s\n", stamp, tags[level], module, msg);
}

void ps_log(enum ps_log_level level, const char *module, const char *fmt, ...)
{
    if (level < current_level || level >= PS_LOG_OFF)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, fmt, ap);
    va_end(ap);
}

void ps_log_fatal(const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(PS_LOG_ERROR, module, fmt, ap);
    va_end(ap);
}
