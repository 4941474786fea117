/*
 * log.h - leveled logging to stderr for the I/O shell (never used by the cores).
 *
 * One line per message: "<RFC3339 UTC time> <level> <module>: <text>". The level
 * is process-wide and set once at start-up (ps_log_set_level), before threads or
 * the loop start.
 */
#ifndef PODSCALER_LOG_H
#define PODSCALER_LOG_H

enum ps_log_level { PS_LOG_DEBUG = 0, PS_LOG_INFO, PS_LOG_WARN, PS_LOG_ERROR, PS_LOG_OFF };

void ps_log_set_level(enum ps_log_level level);
enum ps_log_level ps_log_get_level(void);
/* Parses "debug", "info", "warn", "error" or "off"; returns 0 or PS_EINVAL. */
int ps_log_parse_level(const char *text, enum ps_log_level *out);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void ps_log(enum ps_log_level level, const char *module, const char *fmt, ...);
/* An error that ends the run, at level ERROR whatever the level set: "off"
 * silences a process, not the reason it exits non-zero. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void ps_log_fatal(const char *module, const char *fmt, ...);

#endif
