/* log: see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "server/core/log.h"

static enum log_level log_threshold = LOG_LVL_INFO;
static enum log_format log_fmt = LOG_FMT_TEXT;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_setup(enum log_level level, enum log_format format)
{
	log_threshold = level;
	log_fmt = format;
}

int
log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

int
log_format_parse(const char *s)
{
	if (strcmp(s, "text") == 0)
		return LOG_FMT_TEXT;
	if (strcmp(s, "json") == 0)
		return LOG_FMT_JSON;
	return -1;
}

static void
json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* Turn `a=1 b="x y"` into `,"a":"1","b":"x y"`; a word without '=' goes
 * under "msg" so nothing the caller wrote is dropped. */
static void
emit_json_pairs(FILE *f, const char *p)
{
	while (*p) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		const char *k = p, *eq = NULL;
		while (*p && *p != ' ' && *p != '=')
			p++;
		if (*p == '=')
			eq = p++;
		const char *v = eq ? p : k;
		size_t vlen;
		if (eq && *p == '"') {
			v = ++p;
			while (*p && !(*p == '"' && p[-1] != '\\'))
				p++;
			vlen = (size_t)(p - v);
			if (*p)
				p++;
		} else {
			while (*p && *p != ' ')
				p++;
			vlen = (size_t)(p - v);
		}
		fputc(',', f);
		if (eq)
			json_string(f, k, (size_t)(eq - k));
		else
			fputs("\"msg\"", f);
		fputc(':', f);
		json_string(f, v, vlen);
	}
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap, int with_errno)
{
	char msg[2048], ts[64];
	int saved = errno;
	struct timeval tv;
	struct tm tm;

	if (level < log_threshold)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno) {
		size_t n = strlen(msg);
		snprintf(msg + n, sizeof(msg) - n, " err=\"%s\"", strerror(saved));
	}
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long)tv.tv_usec / 1000);
	flockfile(stderr);
	if (log_fmt == LOG_FMT_JSON) {
		fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\"", ts,
		    level_names[level]);
		emit_json_pairs(stderr, msg);
		fputs("}\n", stderr);
	} else
		fprintf(stderr, "ts=%s level=%s %s\n", ts, level_names[level], msg);
	funlockfile(stderr);
	fflush(stderr);
	errno = saved;
}

#define LOG_FN(name, lvl, err)                   \
	void name(const char *fmt, ...)          \
	{                                        \
		va_list ap;                      \
		va_start(ap, fmt);               \
		log_emit(lvl, fmt, ap, err);     \
		va_end(ap);                      \
	}
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_warn, LOG_LVL_WARN, 1)

void
log_fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LVL_ERROR, fmt, ap, 0);
	va_end(ap);
	abort();
}
