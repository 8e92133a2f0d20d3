/* case_csv: see case_csv.h. */
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "server/cases/case_clock.h"
#include "server/cases/case_csv.h"

void
case_csv_header(struct evbuffer *out)
{
	evbuffer_add_printf(out, "number,status,country,first_received,day0,due,"
	    "due_rule,valid,missing,patient_initials,patient_age,patient_sex,"
	    "products,lots,reactions,serious,tickets\r\n");
}

/* S as one CSV field, with its comma before unless FIRST. */
static void
put(struct evbuffer *out, const char *s, int first)
{
	if (!first)
		evbuffer_add(out, ",", 1);
	s = s ? s : "";
	if (strchr("=+-@\t\r", s[0]) && s[0])
		evbuffer_add(out, "\"'", 2);
	else
		evbuffer_add(out, "\"", 1);
	for (; *s; s++) {
		evbuffer_add(out, s, 1);
		if (*s == '"')		/* RFC 4180: a quote is doubled */
			evbuffer_add(out, "\"", 1);
	}
	evbuffer_add(out, "\"", 1);
}

static void
put_date(struct evbuffer *out, const json_t *ms)
{
	char d[11] = "";

	if (json_is_integer(ms))
		case_clock_date(json_integer_value(ms), d);
	put(out, d, 0);
}

/* The MEMBER of every item of LIST, ";"-joined, into BUF. */
static const char *
joined(const json_t *list, const char *member, char *buf, size_t len)
{
	size_t n = 0, i;
	json_t *it;

	buf[0] = '\0';
	json_array_foreach(list, i, it) {
		const char *v = json_string_value(json_object_get(it, member));
		if (v && *v && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "; " : "", v);
	}
	return buf;
}

static void
row(struct evbuffer *out, const json_t *c)
{
	const json_t *pat = json_object_get(c, "patient"), *age, *s, *v;
	const json_t *miss = json_object_get(json_object_get(c, "validity"),
	    "missing");
	char buf[2048], num[64] = "";
	const char *k;
	int serious = 0;
	size_t i, n = 0;

	put(out, json_string_value(json_object_get(c, "number")), 1);
	put(out, json_string_value(json_object_get(c, "status")), 0);
	put(out, json_string_value(json_object_get(c, "country")), 0);
	put_date(out, json_object_get(c, "first_received"));
	put_date(out, json_object_get(c, "day0"));
	put_date(out, json_object_get(c, "due"));
	put(out, json_string_value(json_object_get(c, "due_rule")), 0);
	put(out, json_array_size(miss) ? "no" : "yes", 0);
	buf[0] = '\0';
	json_array_foreach(miss, i, v)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "; " : "",
		    json_string_value(v));
	put(out, buf, 0);
	put(out, json_string_value(json_object_get(pat, "initials")), 0);
	if ((age = json_object_get(pat, "age")) && json_is_object(age))
		snprintf(num, sizeof(num), "%g %s", json_number_value(
		    json_object_get(age, "value")), json_string_value(
		    json_object_get(age, "unit")));
	put(out, num, 0);
	put(out, json_string_value(json_object_get(pat, "sex")), 0);
	put(out, joined(json_object_get(c, "products"), "name", buf, sizeof(buf)), 0);
	put(out, joined(json_object_get(c, "products"), "lot", buf, sizeof(buf)), 0);
	put(out, joined(json_object_get(c, "reactions"), "verbatim", buf,
	    sizeof(buf)), 0);
	json_object_foreach((json_t *)json_object_get(c, "seriousness"), k, s)
		serious |= json_is_true(s);
	put(out, serious ? "yes" : "no", 0);
	n = 0;
	buf[0] = '\0';
	json_array_foreach(json_object_get(c, "tickets"), i, v)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sRX-%lld",
		    n ? "; " : "", (long long)json_integer_value(v));
	put(out, buf, 0);
	evbuffer_add(out, "\r\n", 2);
}

void
case_csv_rows(struct evbuffer *out, const json_t *items)
{
	size_t i;
	json_t *c;

	json_array_foreach(items, i, c)
		row(out, c);
}
