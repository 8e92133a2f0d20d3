/* e2b: see e2b.h. Element order follows the FDA's sample batches. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <openssl/sha.h>

#include "server/safety/e2b.h"

/* Code systems (../shared/reference/e2b/icsr_data_elements.csv). */
#define OID_OBS		"2.16.840.1.113883.3.989.2.1.1.19"	/* observation codes */
#define OID_CATEGORY	"2.16.840.1.113883.3.989.2.1.1.20"
#define OID_MEDDRA	"2.16.840.1.113883.6.163"
#define OID_COUNTRY	"1.0.3166.1.2.2"
#define OID_SEX		"1.0.5218"
#define OID_AGE_GROUP	"2.16.840.1.113883.3.989.2.1.1.9"
#define OID_OUTCOME	"2.16.840.1.113883.3.989.2.1.1.11"
#define OID_DRUG_ROLE	"2.16.840.1.113883.3.989.2.1.1.13"
#define OID_ACTION	"2.16.840.1.113883.3.989.2.1.1.15"
#define OID_REPORT_TYPE	"2.16.840.1.113883.3.989.2.1.1.2"
#define OID_FIRST_SENDER "2.16.840.1.113883.3.989.2.1.1.3"
#define OID_QUALIF	"2.16.840.1.113883.3.989.2.1.1.6"
#define OID_SENDER_TYPE	"2.16.840.1.113883.3.989.2.1.1.7"
#define OID_REL_INV	"2.16.840.1.113883.3.989.2.1.1.22"
#define OID_CHARACTER	"2.16.840.1.113883.3.989.2.1.1.23"
#define OID_MSG_TYPE	"2.16.840.1.113883.3.989.2.1.1.1"
#define ROOT_BATCH	"2.16.840.1.113883.3.989.2.1.3.22"
#define ROOT_BATCH_SND	"2.16.840.1.113883.3.989.2.1.3.13"
#define ROOT_BATCH_RCV	"2.16.840.1.113883.3.989.2.1.3.14"
#define ROOT_MSG	"2.16.840.1.113883.3.989.2.1.3.1"
#define ROOT_MSG_SND	"2.16.840.1.113883.3.989.2.1.3.11"
#define ROOT_MSG_RCV	"2.16.840.1.113883.3.989.2.1.3.12"
#define ROOT_CASE	"2.16.840.1.113883.3.989.2.1.3.1"
#define ROOT_WORLDWIDE	"2.16.840.1.113883.3.989.2.1.3.2"
#define ROOT_INTERACT	"2.16.840.1.113883.1.6"

/* The six seriousness criteria: case JSON key, E.i.3.2 code, name. */
static const struct {
	const char *key, *code, *name;
} serious[] = {
	{ "death", "34", "resultsInDeath" },
	{ "life_threatening", "21", "isLifeThreatening" },
	{ "hospitalisation", "33", "requiresInpatientHospitalization" },
	{ "disability", "35", "resultsInPersistentOrSignificantDisability" },
	{ "congenital_anomaly", "12", "congenitalAnomalyBirthDefect" },
	{ "other_medically_important", "26", "otherMedicallyImportantCondition" },
};

struct out {
	xmlTextWriterPtr w;
	const struct e2b_sender *s;
	int failed;
};

/* <NAME a1="v1" ...> left open; attributes with a NULL value are left out. */
static void
open_el(struct out *o, const char *name, ...)
{
	const char *k, *v;
	va_list ap;

	if (xmlTextWriterStartElement(o->w, BAD_CAST name) < 0)
		o->failed = 1;
	va_start(ap, name);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		if (v && xmlTextWriterWriteAttribute(o->w, BAD_CAST k, BAD_CAST v) < 0)
			o->failed = 1;
	}
	va_end(ap);
}

static void
close_el(struct out *o)
{
	if (xmlTextWriterEndElement(o->w) < 0)
		o->failed = 1;
}

/* Text content, cut at E2B_TEXT_MAX on a UTF-8 character boundary. */
static void
text(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (n > E2B_TEXT_MAX) {
		n = E2B_TEXT_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (xmlTextWriterWriteFormatString(o->w, "%.*s", (int)n, s) < 0)
		o->failed = 1;
}

static void
text_el(struct out *o, const char *name, const char *s)
{
	open_el(o, name, NULL);
	text(o, s);
	close_el(o);
}

static const char *
str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v && *v ? v : NULL;
}

/* HL7 TS of Unix ms, in UTC: "YYYYMMDDHHMMSS+0000". */
static void
ts(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y%m%d%H%M%S+0000", &tm);
}

/* "YYYY-MM-DD" (or "YYYY-MM", "YYYY") as "YYYYMMDD"; NULL if malformed. */
static const char *
date(const char *iso, char *buf, size_t len)
{
	size_t n = 0;

	if (iso == NULL)
		return NULL;
	for (const char *p = iso; *p && n + 1 < len; p++) {
		if (*p >= '0' && *p <= '9')
			buf[n++] = *p;
		else if (*p != '-')
			return NULL;
	}
	buf[n] = '\0';
	return n == 4 || n == 6 || n == 8 ? buf : NULL;
}

/* A stable UUID (name-based, SHA-1, RFC 4122 section 4.3) for item WHAT of
 * a case: the same case exports with the same ids every time. */
static void
uuid(const char *caseid, const char *what, int i, char *buf, size_t len)
{
	unsigned char md[SHA_DIGEST_LENGTH];
	char in[256];

	snprintf(in, sizeof(in), "rxdesk:%s:%s:%d", caseid, what, i);
	SHA1((const unsigned char *)in, strlen(in), md);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2], md[3], md[4], md[5],
	    md[6], md[7], md[8], md[9], md[10], md[11], md[12], md[13], md[14],
	    md[15]);
}

/* <code code=.. codeSystem=.. displayName=../> */
static void
code_el(struct out *o, const char *code, const char *system, const char *display)
{
	open_el(o, "code", "code", code, "codeSystem", system, "displayName",
	    display, NULL);
	close_el(o);
}

/* An observation (ELEMENT) with a boolean value (true, false, or
 * nullFlavor NI). */
static void
obs_bool_named(struct out *o, const char *element, const char *code,
    const char *display, json_t *v)
{
	open_el(o, element, "classCode", "OBS", "moodCode", "EVN", NULL);
	code_el(o, code, OID_OBS, display);
	if (json_is_boolean(v))
		open_el(o, "value", "xsi:type", "BL", "value",
		    json_is_true(v) ? "true" : "false", NULL);
	else
		open_el(o, "value", "xsi:type", "BL", "nullFlavor", "NI", NULL);
	close_el(o);
	close_el(o);
}

static void
obs_bool(struct out *o, const char *code, const char *display, json_t *v)
{
	obs_bool_named(o, "observation", code, display, v);
}

void
e2b_case_id(json_t *c, const struct e2b_sender *s, char *buf, size_t len)
{
	const char *country = str(c, "country");
	json_t *rep = json_array_get(json_object_get(c, "reporters"), 0);

	if (country == NULL && rep)
		country = str(rep, "country");
	if (country == NULL)
		country = s->country && *s->country ? s->country : "XX";
	snprintf(buf, len, "%s-%s-%lld", country, s->company && *s->company ?
	    s->company : "RXDESK", (long long)json_integer_value(json_object_get(c, "id")));
}

static void
device(struct out *o, const char *role, const char *root, const char *ext)
{
	open_el(o, role, "typeCode", strcmp(role, "receiver") ? "SND" : "RCV", NULL);
	open_el(o, "device", "classCode", "DEV", "determinerCode", "INSTANCE", NULL);
	open_el(o, "id", "extension", ext, "root", root, NULL);
	close_el(o);
	close_el(o);
	close_el(o);
}

/* D.2.2 age, D.2.3 age group, D.3 weight: observations of the patient. */
static void
patient_obs(struct out *o, json_t *pt)
{
	json_t *age = json_object_get(pt, "age"), *w = json_object_get(pt, "weight_kg");
	char num[32];

	if (json_is_number(json_object_get(age, "value"))) {
		snprintf(num, sizeof(num), "%g", json_number_value(json_object_get(age, "value")));
		open_el(o, "subjectOf2", "typeCode", "SBJ", NULL);
		open_el(o, "observation", "classCode", "OBS", "moodCode", "EVN", NULL);
		code_el(o, "3", OID_OBS, "age");
		open_el(o, "value", "value", num, "unit", str(age, "unit") ? str(age, "unit") : "a",
		    "xsi:type", "PQ", NULL);
		close_el(o);
		close_el(o);
		close_el(o);
	}
	if (str(pt, "age_group")) {
		open_el(o, "subjectOf2", "typeCode", "SBJ", NULL);
		open_el(o, "observation", "classCode", "OBS", "moodCode", "EVN", NULL);
		code_el(o, "4", OID_OBS, "ageGroup");
		open_el(o, "value", "xsi:type", "CE", "code", str(pt, "age_group"),
		    "codeSystem", OID_AGE_GROUP, NULL);
		close_el(o);
		close_el(o);
		close_el(o);
	}
	if (json_is_number(w)) {
		snprintf(num, sizeof(num), "%g", json_number_value(w));
		open_el(o, "subjectOf2", "typeCode", "SBJ", NULL);
		open_el(o, "observation", "classCode", "OBS", "moodCode", "EVN", NULL);
		code_el(o, "7", OID_OBS, "bodyWeight");
		open_el(o, "value", "value", num, "unit", "kg", "xsi:type", "PQ", NULL);
		close_el(o);
		close_el(o);
		close_el(o);
	}
}

/* D.1 initials (or a null flavour), D.5 sex, D.2.1 birth date. */
static void
patient(struct out *o, json_t *pt)
{
	const char *sex = str(pt, "sex");
	char d[16];

	open_el(o, "player1", "classCode", "PSN", "determinerCode", "INSTANCE", NULL);
	if (str(pt, "initials"))
		text_el(o, "name", str(pt, "initials"));
	else {
		open_el(o, "name", "nullFlavor", "UNK", NULL);
		close_el(o);
	}
	if (sex && (strcmp(sex, "M") == 0 || strcmp(sex, "F") == 0))
		open_el(o, "administrativeGenderCode", "code", *sex == 'M' ? "1" : "2",
		    "codeSystem", OID_SEX, NULL);
	else
		open_el(o, "administrativeGenderCode", "nullFlavor", "UNK", NULL);
	close_el(o);
	if (date(str(pt, "birth_date"), d, sizeof(d))) {
		open_el(o, "birthTime", "value", d, NULL);
		close_el(o);
	}
	close_el(o);
}

/* E.i: one reaction, with the case's seriousness and its outcome. */
static void
reaction(struct out *o, json_t *r, json_t *ser, const char *caseid, int i,
    const char *country)
{
	char id[48], d[16], outcome[8];
	json_t *oc = json_object_get(r, "outcome");

	uuid(caseid, "reaction", i, id, sizeof(id));
	open_el(o, "subjectOf2", "typeCode", "SBJ", NULL);
	open_el(o, "observation", "classCode", "OBS", "moodCode", "EVN", NULL);
	open_el(o, "id", "root", id, NULL);
	close_el(o);
	code_el(o, "29", OID_OBS, "reaction");
	if (date(str(r, "onset"), d, sizeof(d))) {
		open_el(o, "effectiveTime", "xsi:type", "IVL_TS", NULL);
		open_el(o, "low", "value", d, NULL);
		close_el(o);
		close_el(o);
	}
	/* E.i.2.1: the MedDRA code when a person coded it; the verbatim term
	 * (E.i.1.1a) always, as originalText. */
	open_el(o, "value", "xsi:type", "CE", "code", str(r, "meddra_code"),
	    "codeSystem", OID_MEDDRA, "codeSystemVersion", str(r, "meddra_version"),
	    "nullFlavor", str(r, "meddra_code") ? NULL : "UNK", NULL);
	if (str(r, "verbatim"))
		text_el(o, "originalText", str(r, "verbatim"));
	close_el(o);
	if (country) {
		open_el(o, "location", "typeCode", "LOC", NULL);
		open_el(o, "locatedEntity", "classCode", "LOCE", NULL);
		open_el(o, "locatedPlace", "determinerCode", "INSTANCE", "classCode", "COUNTRY", NULL);
		open_el(o, "code", "code", country, "codeSystem", OID_COUNTRY, NULL);
		close_el(o);
		close_el(o);
		close_el(o);
		close_el(o);
	}
	for (size_t k = 0; k < sizeof(serious) / sizeof(serious[0]); k++) {
		open_el(o, "outboundRelationship2", "typeCode", "PERT", NULL);
		obs_bool(o, serious[k].code, serious[k].name, json_object_get(ser, serious[k].key));
		close_el(o);
	}
	snprintf(outcome, sizeof(outcome), "%lld", json_is_integer(oc) &&
	    json_integer_value(oc) >= 0 && json_integer_value(oc) <= 5 ?
	    (long long)json_integer_value(oc) : 0LL);
	open_el(o, "outboundRelationship2", "typeCode", "PERT", NULL);
	open_el(o, "observation", "classCode", "OBS", "moodCode", "EVN", NULL);
	code_el(o, "27", OID_OBS, "outcome");
	open_el(o, "value", "xsi:type", "CE", "code", outcome, "codeSystem", OID_OUTCOME, NULL);
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
}

/* G.k.4.r: the dosage (text, dates, route, lot) of product P. */
static void
dosage(struct out *o, json_t *p)
{
	char start[16], stop[16];
	const char *s = date(str(p, "start"), start, sizeof(start));
	const char *e = date(str(p, "stop"), stop, sizeof(stop));

	if (!str(p, "dose") && !s && !e && !str(p, "route") && !str(p, "lot"))
		return;
	open_el(o, "outboundRelationship2", "typeCode", "COMP", NULL);
	open_el(o, "substanceAdministration", "classCode", "SBADM", "moodCode", "EVN", NULL);
	if (str(p, "dose"))
		text_el(o, "text", str(p, "dose"));
	if (s || e) {
		open_el(o, "effectiveTime", "xsi:type", "IVL_TS", NULL);
		if (s) {
			open_el(o, "low", "value", s, NULL);
			close_el(o);
		}
		if (e) {
			open_el(o, "high", "value", e, NULL);
			close_el(o);
		}
		close_el(o);
	}
	if (str(p, "route")) {
		open_el(o, "routeCode", NULL);
		text_el(o, "originalText", str(p, "route"));
		close_el(o);
	}
	if (str(p, "lot")) {
		open_el(o, "consumable", "typeCode", "CSM", NULL);
		open_el(o, "instanceOfKind", "classCode", "INST", NULL);
		open_el(o, "productInstanceInstance", "determinerCode", "INSTANCE",
		    "classCode", "MMAT", NULL);
		text_el(o, "lotNumberText", str(p, "lot"));
		close_el(o);
		close_el(o);
		close_el(o);
	}
	close_el(o);
	close_el(o);
}

/* G.k.7 indication and G.k.8 action taken with the drug. */
static void
drug_relations(struct out *o, json_t *p)
{
	json_t *act = json_object_get(p, "action");
	char code[8];
	long long a = json_is_integer(act) ? (long long)json_integer_value(act) : -1;

	if (str(p, "indication")) {
		open_el(o, "inboundRelationship", "typeCode", "RSON", NULL);
		open_el(o, "observation", "classCode", "OBS", "moodCode", "EVN", NULL);
		code_el(o, "19", OID_OBS, "indication");
		open_el(o, "value", "xsi:type", "CE", "codeSystem", OID_MEDDRA, NULL);
		text_el(o, "originalText", str(p, "indication"));
		close_el(o);
		close_el(o);
		close_el(o);
	}
	/* 1 withdrawn, 2 reduced, 3 increased, 4 not changed, 0 unknown,
	 * 9 not applicable */
	if (a == 0 || (a >= 1 && a <= 4) || a == 9) {
		snprintf(code, sizeof(code), "%lld", a);
		open_el(o, "inboundRelationship", "typeCode", "CAUS", NULL);
		open_el(o, "act", "classCode", "ACT", "moodCode", "EVN", NULL);
		open_el(o, "code", "code", code, "codeSystem", OID_ACTION, NULL);
		close_el(o);
		close_el(o);
		close_el(o);
	}
}

/* G.k: one product as the patient took it. */
static void
drug(struct out *o, json_t *p, const char *caseid, int k)
{
	char id[48];

	uuid(caseid, "drug", k, id, sizeof(id));
	open_el(o, "component", "typeCode", "COMP", NULL);
	open_el(o, "substanceAdministration", "classCode", "SBADM", "moodCode", "EVN", NULL);
	open_el(o, "id", "root", id, NULL);
	close_el(o);
	open_el(o, "consumable", "typeCode", "CSM", NULL);
	open_el(o, "instanceOfKind", "classCode", "INST", NULL);
	open_el(o, "kindOfProduct", "classCode", "MMAT", "determinerCode", "KIND", NULL);
	text_el(o, "name", str(p, "strength") && str(p, "name") ? "" : str(p, "name") ?
	    str(p, "name") : "UNKNOWN");
	close_el(o);
	close_el(o);
	close_el(o);
	dosage(o, p);
	drug_relations(o, p);
	close_el(o);
	close_el(o);
}

/* G.k.1: each product's role, referring to its substanceAdministration. */
static void
drug_roles(struct out *o, json_t *products, const char *caseid)
{
	json_t *p;
	size_t k;
	char id[48];

	json_array_foreach(products, k, p) {
		const char *role = str(p, "role");
		const char *code = role && strcmp(role, "concomitant") == 0 ? "2" :
		    role && strcmp(role, "interacting") == 0 ? "3" : "1";

		uuid(caseid, "drug", (int)k, id, sizeof(id));
		open_el(o, "component", "typeCode", "COMP", NULL);
		open_el(o, "causalityAssessment", "classCode", "OBS", "moodCode", "EVN", NULL);
		code_el(o, "20", OID_OBS, "interventionCharacterization");
		open_el(o, "value", "xsi:type", "CE", "code", code, "codeSystem",
		    OID_DRUG_ROLE, NULL);
		close_el(o);
		open_el(o, "subject2", "typeCode", "SUBJ", NULL);
		open_el(o, "productUseReference", "classCode", "SBADM", "moodCode", "EVN", NULL);
		open_el(o, "id", "root", id, NULL);
		close_el(o);
		close_el(o);
		close_el(o);
		close_el(o);
		close_el(o);
	}
}

/* D and E and G: the patient (primaryRole) with reactions and drugs. */
static void
assessment(struct out *o, json_t *c, const char *caseid, const char *country)
{
	json_t *pt = json_object_get(c, "patient"), *v;
	size_t i;

	open_el(o, "component", "typeCode", "COMP", NULL);
	open_el(o, "adverseEventAssessment", "classCode", "INVSTG", "moodCode", "EVN", NULL);
	open_el(o, "subject1", "typeCode", "SBJ", NULL);
	open_el(o, "primaryRole", "classCode", "INVSBJ", NULL);
	patient(o, pt);
	patient_obs(o, pt);
	json_array_foreach(json_object_get(c, "reactions"), i, v)
		reaction(o, v, json_object_get(c, "seriousness"), caseid, (int)i, country);
	if (json_array_size(json_object_get(c, "products")) > 0) {
		open_el(o, "subjectOf2", "typeCode", "SBJ", NULL);
		open_el(o, "organizer", "classCode", "CATEGORY", "moodCode", "EVN", NULL);
		code_el(o, "4", OID_CATEGORY, "drugInformation");
		json_array_foreach(json_object_get(c, "products"), i, v)
			drug(o, v, caseid, (int)i);
		close_el(o);
		close_el(o);
	}
	close_el(o);
	close_el(o);
	drug_roles(o, json_object_get(c, "products"), caseid);
	close_el(o);
	close_el(o);
}

/* C.1.6.1 documents, C.1.7 expedited: two flags on the case. */
static void
case_flags(struct out *o, json_t *c)
{
	json_t *ser = json_object_get(c, "seriousness");
	int expedited = 0;

	for (size_t k = 0; k < sizeof(serious) / sizeof(serious[0]); k++)
		expedited |= json_is_true(json_object_get(ser, serious[k].key));
	open_el(o, "component", "typeCode", "COMP", NULL);
	obs_bool_named(o, "observationEvent", "1", "additionalDocumentsAvailable",
	    json_false());
	close_el(o);
	open_el(o, "component", "typeCode", "COMP", NULL);
	obs_bool_named(o, "observationEvent", "23", "localCriteriaForExpedited",
	    expedited ? json_true() : json_false());
	close_el(o);
}

/* C.1.8.2: the first sender of the case (2 = other than a regulator). */
static void
first_sender(struct out *o)
{
	open_el(o, "outboundRelationship", "typeCode", "SPRT", NULL);
	open_el(o, "relatedInvestigation", "classCode", "INVSTG", "moodCode", "EVN", NULL);
	code_el(o, "1", OID_REL_INV, "initialReport");
	open_el(o, "subjectOf2", "typeCode", "SUBJ", NULL);
	open_el(o, "controlActEvent", "classCode", "CACT", "moodCode", "EVN", NULL);
	open_el(o, "author", "typeCode", "AUT", NULL);
	open_el(o, "assignedEntity", "classCode", "ASSIGNED", NULL);
	code_el(o, "2", OID_FIRST_SENDER, "other");
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
}

/* tel:/mailto: of a reporter. */
static void
telecom(struct out *o, const char *scheme, const char *v)
{
	char buf[512];

	if (v == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s:%s", scheme, v);
	open_el(o, "telecom", "value", buf, NULL);
	close_el(o);
}

/* C.2.r: one primary source, the first one marked primary (C.2.r.5). */
static void
reporter(struct out *o, json_t *r, int primary)
{
	json_t *q = json_object_get(r, "qualification");
	char qual[8];

	open_el(o, "outboundRelationship", "typeCode", "SPRT", NULL);
	if (primary) {
		open_el(o, "priorityNumber", "value", "1", NULL);
		close_el(o);
	}
	open_el(o, "relatedInvestigation", "classCode", "INVSTG", "moodCode", "EVN", NULL);
	code_el(o, "2", OID_REL_INV, "sourceReport");
	open_el(o, "subjectOf2", "typeCode", "SUBJ", NULL);
	open_el(o, "controlActEvent", "classCode", "CACT", "moodCode", "EVN", NULL);
	open_el(o, "author", "typeCode", "AUT", NULL);
	open_el(o, "assignedEntity", "classCode", "ASSIGNED", NULL);
	telecom(o, "tel", str(r, "phone"));
	telecom(o, "mailto", str(r, "email"));
	open_el(o, "assignedPerson", "classCode", "PSN", "determinerCode", "INSTANCE", NULL);
	open_el(o, "name", NULL);
	if (str(r, "given") || str(r, "family")) {
		if (str(r, "given"))
			text_el(o, "given", str(r, "given"));
		if (str(r, "family"))
			text_el(o, "family", str(r, "family"));
	} else if (str(r, "name"))
		text_el(o, "family", str(r, "name"));
	close_el(o);
	if (json_is_integer(q) && json_integer_value(q) >= 1 && json_integer_value(q) <= 5) {
		snprintf(qual, sizeof(qual), "%lld", (long long)json_integer_value(q));
		open_el(o, "asQualifiedEntity", "classCode", "QUAL", NULL);
		open_el(o, "code", "code", qual, "codeSystem", OID_QUALIF, NULL);
		close_el(o);
		close_el(o);
	}
	if (str(r, "country")) {
		open_el(o, "asLocatedEntity", "classCode", "LOCE", NULL);
		open_el(o, "location", "classCode", "COUNTRY", "determinerCode", "INSTANCE", NULL);
		open_el(o, "code", "code", str(r, "country"), "codeSystem", OID_COUNTRY, NULL);
		close_el(o);
		close_el(o);
		close_el(o);
	}
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
}

/* C.3: the sender, a pharmaceutical company (C.3.1 = 1). */
static void
sender_el(struct out *o)
{
	open_el(o, "subjectOf1", "typeCode", "SUBJ", NULL);
	open_el(o, "controlActEvent", "classCode", "CACT", "moodCode", "EVN", NULL);
	open_el(o, "author", "typeCode", "AUT", NULL);
	open_el(o, "assignedEntity", "classCode", "ASSIGNED", NULL);
	open_el(o, "code", "code", "1", "codeSystem", OID_SENDER_TYPE, NULL);
	close_el(o);
	if (o->s->org && *o->s->org) {
		open_el(o, "representedOrganization", "classCode", "ORG", "determinerCode", "INSTANCE", NULL);
		open_el(o, "assignedEntity", "classCode", "ASSIGNED", NULL);
		open_el(o, "representedOrganization", "classCode", "ORG", "determinerCode", "INSTANCE", NULL);
		text_el(o, "name", o->s->org);
		close_el(o);
		close_el(o);
		close_el(o);
	}
	close_el(o);
	close_el(o);
	close_el(o);
	close_el(o);
}

/* C.1.3 report type (1 spontaneous) and C.1.9.1 other case ids (none). */
static void
characteristics(struct out *o)
{
	open_el(o, "subjectOf2", "typeCode", "SUBJ", NULL);
	open_el(o, "investigationCharacteristic", "classCode", "OBS", "moodCode", "EVN", NULL);
	code_el(o, "1", OID_CHARACTER, "ichReportType");
	open_el(o, "value", "xsi:type", "CE", "code", "1", "displayName",
	    "Spontaneous report", "codeSystem", OID_REPORT_TYPE, NULL);
	close_el(o);
	close_el(o);
	close_el(o);
	open_el(o, "subjectOf2", "typeCode", "SUBJ", NULL);
	open_el(o, "investigationCharacteristic", "classCode", "OBS", "moodCode", "EVN", NULL);
	code_el(o, "2", OID_CHARACTER, "otherCaseIds");
	open_el(o, "value", "xsi:type", "BL", "nullFlavor", "NI", NULL);
	close_el(o);
	close_el(o);
	close_el(o);
}

/* The investigationEvent: the case itself (C.1, C.2, C.3, D, E, G, H). */
static void
investigation(struct out *o, json_t *c, const char *caseid)
{
	json_t *first = json_object_get(c, "day0"), *latest = json_object_get(c, "latest_received");
	json_t *rep;
	char t0[32], t1[32];
	size_t i;
	int primary = -1;

	if (!json_is_integer(first))
		first = json_object_get(c, "first_received");
	ts(json_is_integer(first) ? json_integer_value(first) : o->s->now_ms, t0, sizeof(t0));
	ts(json_is_integer(latest) ? json_integer_value(latest) : o->s->now_ms, t1, sizeof(t1));
	open_el(o, "investigationEvent", "classCode", "INVSTG", "moodCode", "EVN", NULL);
	open_el(o, "id", "extension", caseid, "root", ROOT_CASE, NULL);
	close_el(o);
	open_el(o, "id", "extension", caseid, "root", ROOT_WORLDWIDE, NULL);
	close_el(o);
	open_el(o, "code", "code", "PAT_ADV_EVNT", "codeSystem", "2.16.840.1.113883.5.4", NULL);
	close_el(o);
	text_el(o, "text", str(c, "narrative") ? str(c, "narrative") : "");
	open_el(o, "statusCode", "code", "active", NULL);
	close_el(o);
	open_el(o, "effectiveTime", NULL);
	open_el(o, "low", "value", t0, NULL);
	close_el(o);
	close_el(o);
	open_el(o, "availabilityTime", "value", t1, NULL);
	close_el(o);
	rep = json_array_get(json_object_get(c, "reporters"), 0);
	assessment(o, c, caseid, rep ? str(rep, "country") : NULL);
	case_flags(o, c);
	first_sender(o);
	json_array_foreach(json_object_get(c, "reporters"), i, rep)
		if (primary == -1 && json_is_true(json_object_get(rep, "primary")))
			primary = (int)i;
	json_array_foreach(json_object_get(c, "reporters"), i, rep)
		reporter(o, rep, (int)i == (primary == -1 ? 0 : primary));
	sender_el(o);
	characteristics(o);
	close_el(o);
}

/* N.2.r: one PORR_IN049016UV message for case C. */
static void
message(struct out *o, json_t *c, const char *batch_id, size_t r)
{
	char caseid[128], msgid[160], now[32];

	e2b_case_id(c, o->s, caseid, sizeof(caseid));
	snprintf(msgid, sizeof(msgid), "%s-%zu", batch_id, r + 1);
	ts(o->s->now_ms, now, sizeof(now));
	open_el(o, "PORR_IN049016UV", NULL);
	open_el(o, "id", "extension", msgid, "root", ROOT_MSG, NULL);
	close_el(o);
	open_el(o, "creationTime", "value", now, NULL);
	close_el(o);
	open_el(o, "interactionId", "extension", "PORR_IN049016UV", "root", ROOT_INTERACT, NULL);
	close_el(o);
	open_el(o, "processingCode", "code", "P", NULL);
	close_el(o);
	open_el(o, "processingModeCode", "code", "T", NULL);
	close_el(o);
	open_el(o, "acceptAckCode", "code", "AL", NULL);
	close_el(o);
	device(o, "receiver", ROOT_MSG_RCV, o->s->receiver_id);
	device(o, "sender", ROOT_MSG_SND, o->s->sender_id);
	open_el(o, "controlActProcess", "classCode", "CACT", "moodCode", "EVN", NULL);
	open_el(o, "code", "code", "PORR_TE049016UV", "codeSystem", "2.16.840.1.113883.1.18", NULL);
	close_el(o);
	open_el(o, "effectiveTime", "value", now, NULL);
	close_el(o);
	open_el(o, "subject", "typeCode", "SUBJ", NULL);
	investigation(o, c, caseid);
	close_el(o);
	close_el(o);
	close_el(o);
}

static void
batch(struct out *o, json_t *cases, const char *batch_id)
{
	char now[32];
	size_t i;
	json_t *c;

	ts(o->s->now_ms, now, sizeof(now));
	open_el(o, "MCCI_IN200100UV01", "xmlns", "urn:hl7-org:v3", "xmlns:xsi",
	    "http://www.w3.org/2001/XMLSchema-instance", "ITSVersion", "XML_1.0",
	    NULL);
	open_el(o, "id", "extension", batch_id, "root", ROOT_BATCH, NULL);
	close_el(o);
	open_el(o, "creationTime", "value", now, NULL);
	close_el(o);
	open_el(o, "responseModeCode", "code", "D", NULL);
	close_el(o);
	open_el(o, "interactionId", "extension", "MCCI_IN200100UV01", "root",
	    ROOT_INTERACT, NULL);
	close_el(o);
	open_el(o, "name", "code", "1", "displayName", "ichicsr", "codeSystem",
	    OID_MSG_TYPE, NULL);
	close_el(o);
	json_array_foreach(cases, i, c)
		message(o, c, batch_id, i);
	device(o, "receiver", ROOT_BATCH_RCV, o->s->receiver_id);
	device(o, "sender", ROOT_BATCH_SND, o->s->sender_id);
	close_el(o);
}

char *
e2b_batch(json_t *cases, const struct e2b_sender *sender, const char **cause)
{
	struct e2b_sender s = *sender;
	struct out o = { NULL, &s, 0 };
	xmlBufferPtr buf;
	char id[96], *xml = NULL;
	size_t i;
	json_t *c;

	if (!json_is_array(cases)) {
		*cause = "the cases are not a list";
		return NULL;
	}
	json_array_foreach(cases, i, c)
		if (!json_is_integer(json_object_get(c, "id"))) {
			*cause = "a case has no numeric id";
			return NULL;
		}
	if (s.company == NULL || *s.company == '\0')
		s.company = "RXDESK";
	if (s.sender_id == NULL || *s.sender_id == '\0')
		s.sender_id = s.company;
	if (s.receiver_id == NULL || *s.receiver_id == '\0')
		s.receiver_id = "EVHUMAN";
	if (s.batch_id == NULL || *s.batch_id == '\0') {
		snprintf(id, sizeof(id), "%s-%lld", s.company, (long long)s.now_ms);
		s.batch_id = id;
	}
	if ((buf = xmlBufferCreate()) == NULL ||
	    (o.w = xmlNewTextWriterMemory(buf, 0)) == NULL) {
		xmlBufferFree(buf);
		*cause = "out of memory";
		return NULL;
	}
	xmlTextWriterSetIndent(o.w, 1);
	xmlTextWriterSetIndentString(o.w, BAD_CAST "\t");
	if (xmlTextWriterStartDocument(o.w, "1.0", "UTF-8", NULL) < 0)
		o.failed = 1;
	batch(&o, cases, s.batch_id);
	if (xmlTextWriterEndDocument(o.w) < 0)
		o.failed = 1;
	xmlFreeTextWriter(o.w);
	if (o.failed)
		*cause = "the XML writer failed";
	else if ((xml = strdup((const char *)xmlBufferContent(buf))) == NULL)
		*cause = "out of memory";
	xmlBufferFree(buf);
	return xml;
}
