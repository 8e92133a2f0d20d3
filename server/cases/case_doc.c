/* case_doc: see case_doc.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/cases/case_clock.h"
#include "server/cases/case_crypt.h"
#include "server/cases/case_doc.h"

#define DOC_STR_MAX	1000		/* bytes of a short text field */
#define DOC_TEXT_MAX	(32 * 1024)	/* the narrative, a verbatim */
#define DOC_LIST_MAX	50		/* reporters, products, reactions */
#define AUDIT_VALUE_MAX	1000

/* What identifies a patient or a reporter: sealed at rest. */
static const char *const patient_sealed[] = {
	"initials", "age", "birth_date", "sex", "weight_kg", NULL
};
static const char *const reporter_sealed[] = {
	"name", "given", "family", "email", "phone", NULL
};
static const char *const seriousness_keys[] = {
	"death", "life_threatening", "hospitalisation", "disability",
	"congenital_anomaly", "other_medically_important", NULL
};

static int
in_set(const char *const *set, const char *v)
{
	for (int i = 0; v && set[i]; i++)
		if (strcmp(set[i], v) == 0)
			return 1;
	return 0;
}

json_t *
case_doc_new(const char *country, int64_t received)
{
	json_t *ser = json_object();

	for (int i = 0; seriousness_keys[i]; i++)
		json_object_set_new(ser, seriousness_keys[i], json_false());
	return json_pack("{s:s,s:n,s:[],s:n,s:n,s:s,s:I,s:I,s:n,s:I,s:I,s:n,s:n,"
	    "s:{s:n,s:n,s:n,s:n,s:n,s:n},s:[],s:[],s:[],s:o,s:s,"
	    "s:{s:b,s:[ssss]},s:[],s:n}",
	    "status", "draft", "ticket", "tickets", "master", "duplicate_of",
	    "country", country ? country : "", "created", (json_int_t)received,
	    "updated", (json_int_t)received, "day0", "first_received",
	    (json_int_t)received, "latest_received", (json_int_t)received, "due",
	    "due_rule", "patient", "initials", "age", "age_group", "birth_date",
	    "sex", "weight_kg", "reporters", "products", "reactions",
	    "seriousness", ser, "narrative", "", "validity", "valid", 0,
	    "missing", "patient", "reporter", "product", "reaction", "followups",
	    "complaint");
}

/* --- checking a change ------------------------------------------------ */

static int
is_date(const char *s)
{
	return s && strlen(s) == 10 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[3]) && s[4] == '-' && s[7] == '-' &&
	    isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6]) &&
	    isdigit((unsigned char)s[8]) && isdigit((unsigned char)s[9]);
}

/* V is null or a string of at most MAX bytes (DATE: YYYY-MM-DD). */
static int
ok_str(const json_t *v, size_t max, int date)
{
	if (json_is_null(v))
		return 1;
	if (!json_is_string(v) || json_string_length(v) > max)
		return 0;
	return !date || is_date(json_string_value(v)) ||
	    json_string_length(v) == 0;
}

static int
ok_int(const json_t *v, long long lo, long long hi)
{
	return json_is_null(v) || (json_is_integer(v) &&
	    json_integer_value(v) >= lo && json_integer_value(v) <= hi);
}

static int
check_age(const json_t *v)
{
	static const char *const units[] = { "a", "mo", "wk", "d", "h", NULL };
	const json_t *val = json_object_get(v, "value");

	if (json_is_null(v))
		return 1;
	return json_is_object(v) && json_object_size(v) == 2 &&
	    json_is_number(val) && json_number_value(val) >= 0 &&
	    json_number_value(val) <= 150 &&
	    in_set(units, json_string_value(json_object_get(v, "unit")));
}

static int
check_patient_member(const char *k, const json_t *v)
{
	static const char *const sexes[] = { "M", "F", "U", NULL };
	static const char *const groups[] = { "0", "1", "2", "3", "4", "5", "6",
	    NULL };

	if (!strcmp(k, "initials"))
		return ok_str(v, 16, 0);
	if (!strcmp(k, "age"))
		return check_age(v);
	if (!strcmp(k, "age_group"))
		return json_is_null(v) || in_set(groups, json_string_value(v));
	if (!strcmp(k, "birth_date"))
		return ok_str(v, 10, 1);
	if (!strcmp(k, "sex"))
		return json_is_null(v) || in_set(sexes, json_string_value(v));
	if (!strcmp(k, "weight_kg"))
		return json_is_null(v) || (json_is_number(v) &&
		    json_number_value(v) > 0 && json_number_value(v) <= 700);
	return 0;
}

/* Each item of list KIND: an object with only the members it may have. */
static int
check_item(const char *kind, const json_t *o)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return 0;
	json_object_foreach((json_t *)o, k, v) {
		int ok;
		if (!strcmp(kind, "reporters")) {
			static const char *const s[] = { "name", "given", "family",
			    "email", "phone", "country", "organisation", NULL };
			ok = in_set(s, k) ? ok_str(v, 256, 0) :
			    !strcmp(k, "qualification") ? ok_int(v, 1, 5) :
			    !strcmp(k, "primary") ? json_is_boolean(v) : 0;
		} else if (!strcmp(kind, "products")) {
			static const char *const s[] = { "name", "strength", "lot",
			    "dose", "route", "indication", NULL };
			static const char *const roles[] = { "suspect",
			    "concomitant", "interacting", NULL };
			ok = in_set(s, k) ? ok_str(v, 256, 0) :
			    !strcmp(k, "role") ? in_set(roles, json_string_value(v)) :
			    (!strcmp(k, "start") || !strcmp(k, "stop")) ? ok_str(v, 10, 1) :
			    !strcmp(k, "action") ? ok_int(v, 1, 6) : 0;
		} else {
			ok = !strcmp(k, "verbatim") ? ok_str(v, DOC_TEXT_MAX, 0) :
			    !strcmp(k, "meddra_code") ? ok_str(v, 8, 0) :
			    !strcmp(k, "meddra_version") ? ok_str(v, 8, 0) :
			    !strcmp(k, "onset") ? ok_str(v, 10, 1) :
			    !strcmp(k, "outcome") ? ok_int(v, 0, 5) : 0;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

/* The defaults an item of KIND gets for members it does not name. */
static json_t *
item_full(const char *kind, const json_t *o)
{
	json_t *full;

	if (!strcmp(kind, "reporters"))
		full = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:s,s:b}", "name", "",
		    "given", "", "family", "", "email", "", "phone", "", "country", "",
		    "qualification", "organisation", "", "primary", 0);
	else if (!strcmp(kind, "products"))
		full = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:n,s:n}", "role",
		    "suspect", "name", "", "strength", "", "lot", "", "dose", "",
		    "route", "", "indication", "", "start", "stop", "action");
	else
		full = json_pack("{s:s,s:n,s:n,s:n,s:i}", "verbatim", "",
		    "meddra_code", "meddra_version", "onset", "outcome", 5);
	json_object_update(full, (json_t *)o);
	return full;
}

static int
apply_list(json_t *doc, const char *kind, json_t *v, const char **cause)
{
	json_t *list, *item;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) > DOC_LIST_MAX) {
		*cause = "must be a list (at most 50)";
		return -1;
	}
	list = json_array();
	json_array_foreach(v, i, item) {
		if (!check_item(kind, item)) {
			json_decref(list);
			*cause = "an item has an unknown member or a bad value";
			return -1;
		}
		json_array_append_new(list, item_full(kind, item));
	}
	json_object_set_new(doc, kind, list);
	return 0;
}

static int
apply_object(json_t *doc, const char *key, json_t *v, const char **cause)
{
	json_t *dst = json_object_get(doc, key), *m;
	const char *k;

	if (!json_is_object(v)) {
		*cause = "must be an object";
		return -1;
	}
	json_object_foreach(v, k, m) {
		int ok = !strcmp(key, "patient") ? check_patient_member(k, m) :
		    in_set(seriousness_keys, k) && json_is_boolean(m);
		if (!ok) {
			*cause = !strcmp(key, "patient") ? "unknown member or bad value "
			    "(initials, age {value, unit a|mo|wk|d|h}, age_group 0..6, "
			    "birth_date YYYY-MM-DD, sex M|F|U, weight_kg)" :
			    "the six criteria, each true or false";
			return -1;
		}
	}
	json_object_update(dst, v);
	return 0;
}

/* A status a person may set: forwarded (a valid case was sent on), closed,
 * or draft (reopen a closed case; validity decides draft or valid). */
static int
apply_status(json_t *doc, const char *want, const char **cause)
{
	const char *now = json_string_value(json_object_get(doc, "status"));
	int valid = json_is_true(json_object_get(json_object_get(doc, "validity"),
	    "valid"));

	if (want == NULL || (strcmp(want, "forwarded") && strcmp(want, "closed") &&
	    strcmp(want, "draft") && strcmp(want, "valid"))) {
		*cause = "status is draft, valid, forwarded or closed";
		return -1;
	}
	if (!strcmp(want, now))
		return 0;
	if (!strcmp(want, "forwarded") && !valid) {
		*cause = "only a valid case can be forwarded";
		return -1;
	}
	if (!strcmp(now, "closed") && strcmp(want, "draft") && strcmp(want, "valid")) {
		*cause = "a closed case reopens as draft first";
		return -1;
	}
	if ((!strcmp(want, "draft") || !strcmp(want, "valid")) &&
	    strcmp(now, "closed") && strcmp(now, "forwarded")) {
		*cause = "draft and valid follow from validity";
		return -1;
	}
	json_object_set_new(doc, "status", json_string(!strcmp(want, "valid") ?
	    "draft" : want));
	return 0;
}

static int
apply_one(json_t *doc, const char *k, json_t *v, const char **cause)
{
	if (!strcmp(k, "patient") || !strcmp(k, "seriousness"))
		return apply_object(doc, k, v, cause);
	if (!strcmp(k, "reporters") || !strcmp(k, "products") ||
	    !strcmp(k, "reactions"))
		return apply_list(doc, k, v, cause);
	if (!strcmp(k, "status"))
		return apply_status(doc, json_string_value(v), cause);
	if (!strcmp(k, "reason"))
		return ok_str(v, DOC_STR_MAX, 0) ? 0 : (*cause = "a short text", -1);
	if (!strcmp(k, "narrative") && ok_str(v, DOC_TEXT_MAX, 0) && !json_is_null(v))
		return json_object_set(doc, k, v);
	if (!strcmp(k, "country") && json_is_string(v) && json_string_length(v) == 2)
		return json_object_set(doc, k, v);
	if ((!strcmp(k, "master") || !strcmp(k, "duplicate_of") ||
	    !strcmp(k, "complaint")) && ok_int(v, 1, (1LL << 53)))
		return json_object_set(doc, k, v);
	*cause = !strcmp(k, "narrative") ? "a text of at most 32 KiB" :
	    !strcmp(k, "country") ? "a two-letter country code" :
	    (!strcmp(k, "master") || !strcmp(k, "duplicate_of") ||
	    !strcmp(k, "complaint")) ? "an id or null" : "unknown field";
	return -1;
}

int
case_doc_apply(json_t *doc, json_t *patch, const char **field,
    const char **cause)
{
	const char *k;
	json_t *v;

	if (!json_is_object(patch)) {
		*field = NULL;
		*cause = "the body must be a JSON object";
		return -1;
	}
	/* status last: forwarding asks whether the rest made the case valid */
	json_object_foreach(patch, k, v) {
		if (strcmp(k, "status") && apply_one(doc, k, v, cause) == -1) {
			*field = k;
			return -1;
		}
	}
	if ((v = json_object_get(patch, "status")) != NULL) {
		case_doc_compute(doc, json_integer_value(json_object_get(doc,
		    "latest_received")), json_integer_value(json_object_get(doc,
		    "updated")));
		if (apply_one(doc, "status", v, cause) == -1) {
			*field = "status";
			return -1;
		}
	}
	return 0;
}

/* --- validity and clocks ---------------------------------------------- */

static int
filled(const json_t *v)
{
	return v && !json_is_null(v) && (!json_is_string(v) ||
	    json_string_length(v) > 0);
}

static int
any_filled(const json_t *o, const char *const *keys)
{
	for (int i = 0; keys[i]; i++)
		if (filled(json_object_get(o, keys[i])))
			return 1;
	return 0;
}

/* Which of the four minimum criteria are missing, as a new array. */
static json_t *
missing(const json_t *doc)
{
	static const char *const pat[] = { "initials", "age", "age_group",
	    "birth_date", "sex", "weight_kg", NULL };
	static const char *const rep[] = { "name", "given", "family", "email",
	    "phone", "organisation", "qualification", NULL };
	json_t *out = json_array(), *v;
	int reporter = 0, product = 0, reaction = 0;
	size_t i;

	json_array_foreach(json_object_get(doc, "reporters"), i, v)
		reporter |= any_filled(v, rep);
	json_array_foreach(json_object_get(doc, "products"), i, v)
		product |= !strcmp(json_string_value(json_object_get(v, "role")) ?
		    json_string_value(json_object_get(v, "role")) : "", "suspect") &&
		    filled(json_object_get(v, "name"));
	json_array_foreach(json_object_get(doc, "reactions"), i, v)
		reaction |= filled(json_object_get(v, "verbatim")) ||
		    filled(json_object_get(v, "meddra_code"));
	if (!any_filled(json_object_get(doc, "patient"), pat))
		json_array_append_new(out, json_string("patient"));
	if (!reporter)
		json_array_append_new(out, json_string("reporter"));
	if (!product)
		json_array_append_new(out, json_string("product"));
	if (!reaction)
		json_array_append_new(out, json_string("reaction"));
	return out;
}

static void
set_due(json_t *doc, json_t *dst, int64_t from, int rule_too)
{
	char rule[64];
	int64_t due = case_clock_due(from, json_string_value(json_object_get(doc,
	    "country")), json_object_get(doc, "seriousness"), rule, sizeof(rule));

	json_object_set_new(dst, "due", due < 0 ? json_null() :
	    json_integer((json_int_t)due));
	if (rule_too)
		json_object_set_new(dst, "due_rule", json_string(rule));
}

void
case_doc_compute(json_t *doc, int64_t latest, int64_t now)
{
	json_t *miss = missing(doc), *f;
	int valid = json_array_size(miss) == 0;
	const char *status = json_string_value(json_object_get(doc, "status"));
	size_t i;

	json_object_set_new(doc, "validity", json_pack("{s:b,s:o}", "valid", valid,
	    "missing", miss));
	/* Day 0 is fixed the first time the criteria hold: the receipt of the
	 * interaction that completed them. */
	if (valid && json_is_null(json_object_get(doc, "day0")))
		json_object_set_new(doc, "day0", json_integer((json_int_t)latest));
	if (status && (!strcmp(status, "draft") || !strcmp(status, "valid")))
		json_object_set_new(doc, "status", json_string(valid ? "valid" :
		    "draft"));
	if (json_is_integer(json_object_get(doc, "day0")))
		set_due(doc, doc, json_integer_value(json_object_get(doc, "day0")), 1);
	else {
		json_object_set_new(doc, "due", json_null());
		json_object_set_new(doc, "due_rule", json_null());
	}
	json_array_foreach(json_object_get(doc, "followups"), i, f)
		set_due(doc, f, json_integer_value(json_object_get(f, "received")), 0);
	json_object_set_new(doc, "updated", json_integer((json_int_t)now));
}

void
case_doc_followup(json_t *doc, int64_t n, int64_t received)
{
	json_t *tickets = json_object_get(doc, "tickets"), *f, *v;
	size_t i;

	json_array_foreach(tickets, i, v)
		if (json_integer_value(v) == n)
			return;
	json_array_append_new(tickets, json_integer((json_int_t)n));
	f = json_pack("{s:I,s:I,s:n}", "ticket", (json_int_t)n, "received",
	    (json_int_t)received, "due");
	set_due(doc, f, received, 0);
	json_array_append_new(json_object_get(doc, "followups"), f);
	if (received > json_integer_value(json_object_get(doc, "latest_received")))
		json_object_set_new(doc, "latest_received",
		    json_integer((json_int_t)received));
}

/* --- sealing ---------------------------------------------------------- */

/* Seal member K of O (when set): its JSON text, under the newest key. */
static int
seal_member(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	char *text, *sealed;

	if (!filled(v) || (json_is_string(v) && case_crypt_sealed(
	    json_string_value(v), NULL)))
		return 0;
	if ((text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) == NULL)
		return -1;
	sealed = case_crypt_seal(text);
	free(text);
	if (sealed == NULL)
		return -1;
	json_object_set_new(o, k, json_string(sealed));
	free(sealed);
	return 0;
}

static int
open_member(json_t *o, const char *k, const char **cause)
{
	const char *s = json_string_value(json_object_get(o, k));
	char *text;
	json_t *v;

	if (s == NULL || !case_crypt_sealed(s, NULL))
		return 0;
	if ((text = case_crypt_open(s, cause)) == NULL)
		return -1;
	v = json_loads(text, JSON_DECODE_ANY, NULL);
	free(text);
	if (v == NULL) {
		*cause = "a sealed value is not JSON";
		return -1;
	}
	json_object_set_new(o, k, v);
	return 0;
}

/* Seal (OPEN 0) or open every protected member of DOC. */
static int
walk(json_t *doc, int open, const char **cause)
{
	json_t *pat = json_object_get(doc, "patient"), *r;
	size_t i;

	for (int k = 0; patient_sealed[k]; k++)
		if ((open ? open_member(pat, patient_sealed[k], cause) :
		    seal_member(pat, patient_sealed[k])) == -1)
			return -1;
	json_array_foreach(json_object_get(doc, "reporters"), i, r)
		for (int k = 0; reporter_sealed[k]; k++)
			if ((open ? open_member(r, reporter_sealed[k], cause) :
			    seal_member(r, reporter_sealed[k])) == -1)
				return -1;
	return open ? open_member(doc, "narrative", cause) :
	    seal_member(doc, "narrative");
}

int
case_doc_seal(json_t *doc)
{
	const char *cause;

	if (!case_crypt_ready())
		return -1;
	return walk(doc, 0, &cause);
}

int
case_doc_unseal(json_t *doc, const char **cause)
{
	return walk(doc, 1, cause);
}

/* --- duplicates and changes ------------------------------------------- */

static void
lower_into(char *dst, size_t len, const char *s)
{
	size_t n = strlen(dst);

	for (; s && *s && n + 2 < len; s++)
		dst[n++] = (char)tolower((unsigned char)*s);
	dst[n++] = '|';
	dst[n] = '\0';
}

void
case_doc_fingerprint(const json_t *doc, char out[33])
{
	const json_t *pat = json_object_get(doc, "patient");
	const json_t *age = json_object_get(pat, "age");
	const json_t *prod = json_array_get(json_object_get(doc, "products"), 0);
	const json_t *reac = json_array_get(json_object_get(doc, "reactions"), 0);
	char buf[1024] = "", num[64];

	out[0] = '\0';
	if (!filled(json_object_get(pat, "initials")) || prod == NULL || reac == NULL)
		return;
	snprintf(num, sizeof(num), "%g%s", json_number_value(json_object_get(age,
	    "value")), json_string_value(json_object_get(age, "unit")) ?
	    json_string_value(json_object_get(age, "unit")) : "");
	lower_into(buf, sizeof(buf), json_string_value(json_object_get(pat,
	    "initials")));
	lower_into(buf, sizeof(buf), num);
	lower_into(buf, sizeof(buf), json_string_value(json_object_get(pat, "sex")));
	lower_into(buf, sizeof(buf), json_string_value(json_object_get(prod, "name")));
	lower_into(buf, sizeof(buf), json_string_value(json_object_get(reac,
	    "verbatim")));
	if (case_crypt_digest(buf, out) == -1)
		out[0] = '\0';
}

static json_t *
audit_value(const json_t *v)
{
	char *s = json_dumps(v ? v : json_null(), JSON_ENCODE_ANY | JSON_COMPACT);
	json_t *out;

	if (s && strlen(s) > AUDIT_VALUE_MAX)
		s[AUDIT_VALUE_MAX] = '\0';
	out = json_string(s ? s : "");
	if (out == NULL)	/* cut inside a UTF-8 sequence */
		out = json_string("(long value)");
	free(s);
	return out;
}

json_t *
case_doc_changes(const json_t *old, const json_t *new)
{
	static const char *const keys[] = { "status", "country", "patient",
	    "reporters", "products", "reactions", "seriousness", "narrative",
	    "master", "duplicate_of", "complaint", "day0", "due", "due_rule",
	    "tickets", "followups", NULL };
	static const char *const protected[] = { "patient", "reporters",
	    "narrative", NULL };
	json_t *out = json_array();

	for (int i = 0; keys[i]; i++) {
		const json_t *a = json_object_get(old, keys[i]);
		const json_t *b = json_object_get(new, keys[i]);
		if (json_equal((json_t *)a, (json_t *)b))
			continue;
		if (in_set(protected, keys[i]))
			json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "field",
			    keys[i], "old", CASE_DOC_PROTECTED, "new", CASE_DOC_PROTECTED));
		else
			json_array_append_new(out, json_pack("{s:s,s:o,s:o}", "field",
			    keys[i], "old", audit_value(a), "new", audit_value(b)));
	}
	return out;
}
