/* case_form: see case_form.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "server/cases/case_crypt.h"
#include "server/cases/case_doc.h"
#include "server/cases/case_form.h"

static const char *
field(const json_t *f, const char *k)
{
	const char *v = json_string_value(json_object_get(f, k));

	return v && *v ? v : NULL;
}

/* "34", "34 years", "6 months", "3 wk", "10 d": {value, unit}, or NULL. */
static json_t *
map_age(const char *s)
{
	static const struct { const char *word; const char *unit; } units[] = {
		{ "mo", "mo" }, { "mon", "mo" }, { "w", "wk" }, { "d", "d" },
		{ "h", "h" }, { "y", "a" }, { "a", "a" }, { "р", "a" }, { "г", "a" },
		{ "м", "mo" }, { "д", "d" }, { "т", "wk" }, { "н", "wk" },
	};
	char *end;
	double v;
	const char *unit = "a";

	if (s == NULL || (v = strtod(s, &end)) < 0 || end == s || v > 150)
		return NULL;
	while (*end == ' ')
		end++;
	for (size_t i = 0; *end && i < sizeof(units) / sizeof(units[0]); i++)
		if (strncasecmp(end, units[i].word, strlen(units[i].word)) == 0)
			unit = units[i].unit;
	return json_pack("{s:f,s:s}", "value", v, "unit", unit);
}

static const char *
map_sex(const char *s)
{
	if (s == NULL)
		return NULL;
	if (!strcasecmp(s, "m") || !strncasecmp(s, "male", 4) ||
	    !strncmp(s, "ч", strlen("ч")) || !strncmp(s, "м", strlen("м")) ||
	    !strcmp(s, "男"))
		return "M";
	if (!strcasecmp(s, "f") || !strncasecmp(s, "female", 6) ||
	    !strncmp(s, "ж", strlen("ж")) || !strcmp(s, "女"))
		return "F";
	return "U";
}

/* E2B outcome: 1 recovered, 2 recovering, 3 not recovered, 4 recovered
 * with sequelae, 5 fatal, 0 unknown. */
static int
map_outcome(const char *s)
{
	char low[64];
	size_t i;

	if (s == NULL)
		return 0;
	if (isdigit((unsigned char)s[0]) && s[1] == '\0' && s[0] <= '5')
		return s[0] - '0';
	for (i = 0; s[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	low[i] = '\0';
	if (strstr(low, "fatal") || strstr(low, "died") || strstr(low, "death"))
		return 5;
	if (strstr(low, "sequel"))
		return 4;
	if (strstr(low, "not recovered") || strstr(low, "ongoing") ||
	    strstr(low, "not resolved"))
		return 3;
	if (strstr(low, "recovering") || strstr(low, "resolving") ||
	    strstr(low, "improv"))
		return 2;
	if (strstr(low, "recovered") || strstr(low, "resolved"))
		return 1;
	return 0;
}

/* E2B qualification from the customer's type: pharmacy 2, another health
 * professional 3, a patient or anyone else 5 (consumer). */
static json_t *
qualification(const char *type)
{
	if (type == NULL || *type == '\0')
		return json_null();
	if (!strcmp(type, "pharmacy"))
		return json_integer(2);
	if (!strcmp(type, "hcp") || !strcmp(type, "hco"))
		return json_integer(3);
	return json_integer(5);
}

static json_t *
reporter(const json_t *c, const char *country)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:b}",
	    "name", json_string_value(json_object_get(c, "name")) ?: "",
	    "given", "", "family", "",
	    "email", json_string_value(json_object_get(c, "email")) ?: "",
	    "phone", json_string_value(json_object_get(c, "phone")) ?: "",
	    "country", country,
	    "qualification", qualification(json_string_value(json_object_get(c,
	    "type"))), "organisation",
	    json_string_value(json_object_get(c, "organisation")) ?: "",
	    "primary", 1);
}

/* The ae-report form's fields into DOC. */
static void
map_form(json_t *doc, const json_t *f)
{
	json_t *pat = json_object_get(doc, "patient"), *age;
	const char *s;
	int outcome;

	if ((s = field(f, "patient_initials")) && strlen(s) <= 16)
		json_object_set_new(pat, "initials", json_string(s));
	if ((age = map_age(field(f, "patient_age"))) != NULL)
		json_object_set_new(pat, "age", age);
	if ((s = map_sex(field(f, "patient_sex"))) != NULL)
		json_object_set_new(pat, "sex", json_string(s));
	if ((s = field(f, "product")) != NULL)
		json_array_append_new(json_object_get(doc, "products"), json_pack(
		    "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:n,s:n}", "role", "suspect",
		    "name", s, "strength", "", "lot", field(f, "lot") ?: "", "dose", "",
		    "route", "", "indication", "", "start", "stop", "action"));
	if ((s = field(f, "reaction")) != NULL) {
		const char *onset = field(f, "onset_date");
		outcome = map_outcome(field(f, "outcome"));
		json_array_append_new(json_object_get(doc, "reactions"), json_pack(
		    "{s:s,s:n,s:n,s:s?,s:i}", "verbatim", s, "meddra_code",
		    "meddra_version", "onset", onset && strlen(onset) == 10 &&
		    onset[4] == '-' ? onset : NULL, "outcome", outcome));
		if (outcome == 5)
			json_object_set_new(json_object_get(doc, "seriousness"), "death",
			    json_true());
	}
}

/* The form's patient fields were sealed at ingest (case_protect.h). */
static void
open_fields(json_t *f)
{
	const char *k, *cause;
	json_t *v;
	char *plain;

	json_object_foreach(f, k, v) {
		if (!json_is_string(v) || !case_crypt_sealed(json_string_value(v), NULL))
			continue;
		if ((plain = case_crypt_open(json_string_value(v), &cause)) == NULL)
			continue;
		json_object_set_new(f, k, json_string(plain));
		free(plain);
	}
}

json_t *
case_form_doc(const json_t *seed, const char *country)
{
	int64_t received = json_integer_value(json_object_get(seed, "received"));
	json_t *doc = case_doc_new(country, received), *f;
	json_int_t n = json_integer_value(json_object_get(seed, "ticket"));
	const char *text = json_string_value(json_object_get(seed, "text"));

	json_object_set_new(doc, "ticket", json_integer(n));
	json_array_append_new(json_object_get(doc, "tickets"), json_integer(n));
	json_array_append_new(json_object_get(doc, "reporters"),
	    reporter(json_object_get(seed, "customer"), country));
	json_object_set_new(doc, "narrative", json_string(text ? text : ""));
	f = json_loads(json_string_value(json_object_get(seed, "fields")) ?: "{}",
	    0, NULL);
	open_fields(f);
	if (json_is_object(f) && field(f, "form") && !strcmp(field(f, "form"),
	    "ae-report"))
		map_form(doc, f);
	json_decref(f);
	return doc;
}
