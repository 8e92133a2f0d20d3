/*
 * log: levelled, one line per event on stderr, as key=value pairs or as JSON
 * lines (server.log_format = json). Callers write the pairs themselves:
 *   log_info("req=%s route=%s status=%d", id, route, status);
 * A value with spaces is quoted by the caller with %s inside "...".
 */
#ifndef RX_LOG_H
#define RX_LOG_H

enum log_level { LOG_LVL_DEBUG, LOG_LVL_INFO, LOG_LVL_WARN, LOG_LVL_ERROR };
enum log_format { LOG_FMT_TEXT, LOG_FMT_JSON };

/* Set the threshold and output format; safe to call again on reload. */
void log_setup(enum log_level level, enum log_format format);
/* Parse "debug|info|warn|error" and "text|json"; -1 if unknown. */
int log_level_parse(const char *s);
int log_format_parse(const char *s);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As log_warnx, appending err=<strerror(errno)>. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A broken invariant: log and abort. */
void log_fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
