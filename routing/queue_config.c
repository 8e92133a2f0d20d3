/* queue_config: see queue_config.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "routing/queue_config.h"
#include "server/core/config.h"

static json_t *active, *pending;

static const char *const strategies[] = {
	"leastrecent", "fewestcalls", "rrmemory", "skillweighted", NULL
};
static const char *const weekdays[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun", NULL
};
static const char *const prios[] = { "low", "normal", "high", "urgent", "*", NULL };

static int
index_of(const char *const *set, const char *v, size_t len)
{
	for (int i = 0; set[i]; i++)
		if (strlen(set[i]) == len && strncmp(set[i], v, len) == 0)
			return i;
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		e[-1] = '\0';
	return s;
}

static int
parse_secs(const char *v, long long max, long long *out)
{
	char *end;
	long long n = strtoll(v, &end, 10);

	if (end == v || *trim(end) != '\0' || n < 0 || n > max)
		return -1;
	*out = n;
	return 0;
}

static int
parse_bool(const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
		return 1;
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
		return 0;
	return -1;
}

/* The object OBJ[KEY], created empty if missing. */
static json_t *
child(json_t *obj, const char *key)
{
	json_t *c = json_object_get(obj, key);

	if (c == NULL) {
		c = json_object();
		json_object_set_new(obj, key, c);
	}
	return c;
}

/* "urgent:900, *:3600" into sla.<prio>.<kind>. */
static int
set_sla(json_t *q, const char *kind, const char *value, const char **cause)
{
	char buf[256], *p = buf, *tok, *colon;
	long long secs;

	snprintf(buf, sizeof(buf), "%s", value);
	while ((tok = strsep(&p, ",")) != NULL) {
		tok = trim(tok);
		if (*tok == '\0')
			continue;
		if ((colon = strchr(tok, ':')) == NULL ||
		    index_of(prios, tok, (size_t)(colon - tok)) == -1 ||
		    parse_secs(colon + 1, 31536000, &secs) == -1) {
			*cause = "expected priority:seconds, ...";
			return -1;
		}
		*colon = '\0';
		json_object_set_new(child(child(q, "sla"), tok), kind, json_integer(secs));
	}
	return 0;
}

static int
valid_hhmm(const char *s)
{
	return strlen(s) == 5 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    s[2] == ':' && isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) &&
	    atoi(s) <= 24 && atoi(s + 3) < 60;
}

/* "mon-fri 09:00-18:00, sat 10:00-14:00" into calendar.hours. */
static int
set_hours(json_t *q, const char *value, const char **cause)
{
	char buf[256], *p = buf, *tok, days[16], from[8], to[8], *dash;
	int a, b;

	snprintf(buf, sizeof(buf), "%s", value);
	while ((tok = strsep(&p, ",")) != NULL) {
		tok = trim(tok);
		if (*tok == '\0')
			continue;
		if (sscanf(tok, "%15s %5[0-9:]-%5[0-9:]", days, from, to) != 3 ||
		    !valid_hhmm(from) || !valid_hhmm(to) || strcmp(from, to) >= 0)
			goto bad;
		dash = strchr(days, '-');
		a = index_of(weekdays, days, dash ? (size_t)(dash - days) : strlen(days));
		b = dash ? index_of(weekdays, dash + 1, strlen(dash + 1)) : a;
		if (a == -1 || b == -1 || b < a)
			goto bad;
		for (int d = a; d <= b; d++)
			json_object_set_new(child(child(q, "calendar"), "hours"),
			    weekdays[d], json_pack("s++", from, "-", to));
	}
	return 0;
bad:
	*cause = "expected day[-day] HH:MM-HH:MM, ...";
	return -1;
}

static int
set_holidays(json_t *q, const char *value, const char **cause)
{
	char buf[256], *p = buf, *tok;
	json_t *cal = child(q, "calendar"), *list;
	int y, m, d;

	if ((list = json_object_get(cal, "holidays")) == NULL) {
		list = json_array();
		json_object_set_new(cal, "holidays", list);
	}
	snprintf(buf, sizeof(buf), "%s", value);
	while ((tok = strsep(&p, ",")) != NULL) {
		tok = trim(tok);
		if (*tok == '\0')
			continue;
		if (strlen(tok) != 10 || sscanf(tok, "%4d-%2d-%2d", &y, &m, &d) != 3 ||
		    m < 1 || m > 12 || d < 1 || d > 31) {
			*cause = "expected YYYY-MM-DD, ...";
			return -1;
		}
		json_array_append_new(list, json_string(tok));
	}
	return 0;
}

/* "+02:00", "-05:30" or minutes, into calendar.tz (minutes east of UTC). */
static int
set_tz(json_t *q, const char *v, const char **cause)
{
	int h, m, sign = 1;
	char *end;
	long n;

	if ((v[0] == '+' || v[0] == '-') && strlen(v) == 6 &&
	    sscanf(v + 1, "%2d:%2d", &h, &m) == 2 && h <= 14 && m < 60) {
		sign = v[0] == '-' ? -1 : 1;
		n = sign * (h * 60 + m);
	} else if ((n = strtol(v, &end, 10)), end == v || *end != '\0' ||
	    n < -840 || n > 840) {
		*cause = "expected +HH:MM or minutes east of UTC";
		return -1;
	}
	json_object_set_new(child(q, "calendar"), "tz", json_integer(n));
	return 0;
}

static int
set_key(json_t *q, const char *key, const char *value, const char **cause)
{
	static const char *const secs[] = { "aging", "overflow_timeout", "sticky_wait", NULL };
	static const char *const bools[] = { "mail_release", "pending_release",
		"lang_match", "breach_raise", "breach_overflow", NULL };
	long long n;
	int b;

	if (index_of(secs, key, strlen(key)) != -1) {
		if (parse_secs(value, 31536000, &n) == -1)
			return *cause = "not a number of seconds", -1;
		return json_object_set_new(q, key, json_integer(n));
	}
	if (index_of(bools, key, strlen(key)) != -1) {
		if ((b = parse_bool(value)) == -1)
			return *cause = "not a boolean (yes/no)", -1;
		return json_object_set_new(q, key, json_string(b ? "1" : "0"));
	}
	if (!strcmp(key, "strategy") && index_of(strategies, value, strlen(value)) == -1)
		return *cause = "unknown strategy", -1;
	if (!strcmp(key, "skills") || !strcmp(key, "strategy") || !strcmp(key, "overflow"))
		return json_object_set_new(q, key, json_string(value));
	if (!strncmp(key, "sla_", 4) && (!strcmp(key + 4, "first") ||
	    !strcmp(key + 4, "next") || !strcmp(key + 4, "resolution")))
		return set_sla(q, key + 4, value, cause);
	if (!strcmp(key, "hours"))
		return set_hours(q, value, cause);
	if (!strcmp(key, "holidays"))
		return set_holidays(q, value, cause);
	if (!strcmp(key, "tz"))
		return set_tz(q, value, cause);
	*cause = "unknown key";
	return -1;
}

static int
on_queue(const char *name, const char *key, const char *value,
    const char **cause)
{
	if (strlen(name) > 64 || strspn(name, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name)) {
		*cause = "a queue name is letters, digits, '.', '_' and '-'";
		return -1;
	}
	if (pending == NULL)
		pending = json_object();
	if (json_object_get(pending, name) == NULL &&
	    json_object_size(pending) == QUEUE_CONFIG_MAX) {
		*cause = "more than 128 queues";
		return -1;
	}
	return set_key(child(pending, name), key, value, cause) == -1 ? -1 : 0;
}

void
queue_config_register(void)
{
	config_section_hook("queue", on_queue);
}

void
queue_config_commit(void)
{
	json_decref(active);
	active = pending ? pending : json_object();
	pending = NULL;
}

json_t *
queue_config_all(void)
{
	return active;
}

json_t *
queue_config_staged(void)
{
	return pending;
}

void
queue_config_free(void)
{
	json_decref(active);
	json_decref(pending);
	active = pending = NULL;
}
