/* test_e2b: the E2B(R3) writer, read back element by element with XPath
 * (namespaces and all), and its element paths against the FDA's samples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "server/safety/e2b.h"

#define IE "/h:MCCI_IN200100UV01/h:PORR_IN049016UV[1]/h:controlActProcess/h:subject/h:investigationEvent"
#define PR IE "/h:component/h:adverseEventAssessment/h:subject1/h:primaryRole"
#define DRUG_TIME "/MCCI_IN200100UV01/PORR_IN049016UV/controlActProcess/subject/" \
    "investigationEvent/component/adverseEventAssessment/subject1/primaryRole/" \
    "subjectOf2/organizer/component/substanceAdministration/" \
    "outboundRelationship2/substanceAdministration/effectiveTime"

static const char case_json[] =
    "{\"id\":17,\"number\":\"CASE-17\",\"status\":\"valid\",\"country\":\"UA\","
    "\"day0\":1796600387553,\"first_received\":1796600387553,\"latest_received\":1796686787553,"
    "\"patient\":{\"initials\":\"OK\",\"age\":{\"value\":34,\"unit\":\"a\"},\"age_group\":\"5\","
    "\"birth_date\":\"1992-04-02\",\"sex\":\"F\",\"weight_kg\":62.5},"
    "\"reporters\":[{\"given\":\"Olena\",\"family\":\"Koval\",\"email\":\"o.koval@clinic.example.org\","
    "\"phone\":\"+380441234567\",\"country\":\"UA\",\"qualification\":1,\"primary\":true},"
    "{\"name\":\"Ivan\",\"qualification\":5,\"country\":\"UA\"}],"
    "\"products\":[{\"role\":\"suspect\",\"name\":\"Cardiolex 5 mg\",\"lot\":\"A1234\","
    "\"dose\":\"5 mg once daily\",\"route\":\"oral\",\"indication\":\"hypertension\","
    "\"start\":\"2026-11-01\",\"stop\":\"2026-11-20\",\"action\":1},"
    "{\"role\":\"concomitant\",\"name\":\"Glucorin\"}],"
    "\"reactions\":[{\"verbatim\":\"висип на руках & <свербіж>\",\"meddra_code\":\"10037844\","
    "\"meddra_version\":\"26.1\",\"onset\":\"2026-11-03\",\"outcome\":2},"
    "{\"verbatim\":\"dizziness\",\"outcome\":1}],"
    "\"seriousness\":{\"death\":false,\"life_threatening\":false,\"hospitalisation\":true,"
    "\"disability\":false,\"congenital_anomaly\":false,\"other_medically_important\":false},"
    "\"narrative\":\"A 34-year-old woman developed a rash on day 3 of Cardiolex.\"}";

static const struct e2b_sender sender = {
	.org = "Example Pharma", .country = "UA", .company = "EXPHARMA",
	.batch_id = "EXPHARMA-B1", .now_ms = 1796700000000LL,
};

struct doc {
	xmlDocPtr doc;
	xmlXPathContextPtr x;
};

static void
parse(struct doc *d, const char *xml)
{
	d->doc = xmlReadMemory(xml, (int)strlen(xml), "e2b.xml", NULL, XML_PARSE_NONET);
	assert_non_null(d->doc);
	d->x = xmlXPathNewContext(d->doc);
	xmlXPathRegisterNs(d->x, BAD_CAST "h", BAD_CAST "urn:hl7-org:v3");
	xmlXPathRegisterNs(d->x, BAD_CAST "xsi",
	    BAD_CAST "http://www.w3.org/2001/XMLSchema-instance");
}

static void
done(struct doc *d)
{
	xmlXPathFreeContext(d->x);
	xmlFreeDoc(d->doc);
}

/* The string value of XPATH (formatted), "" when it selects nothing. */
static char *
xs(struct doc *d, const char *fmt, ...)
{
	static char out[4096];
	char path[2048];
	xmlXPathObjectPtr r;
	xmlChar *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	r = xmlXPathEvalExpression(BAD_CAST path, d->x);
	assert_non_null(r);
	s = xmlXPathCastToString(r);
	snprintf(out, sizeof(out), "%s", (const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(r);
	return out;
}

static char *
export(const char *json)
{
	json_t *cases = json_loads(json, 0, NULL);
	const char *cause = NULL;
	char *xml;

	assert_non_null(cases);
	xml = e2b_batch(cases, &sender, &cause);
	json_decref(cases);
	if (xml == NULL)
		fail_msg("e2b_batch: %s", cause);
	return xml;
}

static char *
one_case(void)
{
	char buf[sizeof(case_json) + 8];

	snprintf(buf, sizeof(buf), "[%s]", case_json);
	return export(buf);
}

static void
test_batch_header(void **state)
{
	char *xml = one_case();
	struct doc d;

	(void)state;
	parse(&d, xml);
	assert_string_equal(xs(&d, "/h:MCCI_IN200100UV01/h:name[@codeSystem='2.16.840.1.113883.3.989.2.1.1.1']/@code"), "1");
	assert_string_equal(xs(&d, "/h:MCCI_IN200100UV01/h:id[@root='2.16.840.1.113883.3.989.2.1.3.22']/@extension"), "EXPHARMA-B1");
	assert_string_equal(xs(&d, "/h:MCCI_IN200100UV01/h:sender/h:device/h:id[@root='2.16.840.1.113883.3.989.2.1.3.13']/@extension"), "EXPHARMA");
	assert_string_equal(xs(&d, "/h:MCCI_IN200100UV01/h:receiver/h:device/h:id[@root='2.16.840.1.113883.3.989.2.1.3.14']/@extension"), "EVHUMAN");
	assert_string_equal(xs(&d, "/h:MCCI_IN200100UV01/h:creationTime/@value"), "20261208032000+0000");
	assert_string_equal(xs(&d, "count(/h:MCCI_IN200100UV01/h:PORR_IN049016UV)"), "1");
	assert_string_equal(xs(&d, "/h:MCCI_IN200100UV01/h:PORR_IN049016UV/h:receiver/h:device/h:id[@root='2.16.840.1.113883.3.989.2.1.3.12']/@extension"), "EVHUMAN");
	done(&d);
	free(xml);
}

static void
test_identification(void **state)
{
	char *xml = one_case();
	struct doc d;

	(void)state;
	parse(&d, xml);
	/* C.1.1 and C.1.8.1: COUNTRY-COMPANY-NUMBER */
	assert_string_equal(xs(&d, IE "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']/@extension"), "UA-EXPHARMA-17");
	assert_string_equal(xs(&d, IE "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.2']/@extension"), "UA-EXPHARMA-17");
	/* C.1.3 spontaneous; C.1.4 first received = Day 0; C.1.5 most recent */
	assert_string_equal(xs(&d, IE "/h:subjectOf2/h:investigationCharacteristic[h:code/@code='1']/h:value[@xsi:type='CE'][@codeSystem='2.16.840.1.113883.3.989.2.1.1.2']/@code"), "1");
	assert_string_equal(xs(&d, IE "/h:effectiveTime/h:low/@value"), "20261206233947+0000");
	assert_string_equal(xs(&d, IE "/h:availabilityTime/@value"), "20261207233947+0000");
	/* C.1.7 expedited: a serious case */
	assert_string_equal(xs(&d, IE "/h:component/h:observationEvent[h:code/@code='23']/h:value/@value"), "true");
	/* C.3.1 a pharmaceutical company; C.3.2 its name */
	assert_string_equal(xs(&d, IE "/h:subjectOf1/h:controlActEvent/h:author/h:assignedEntity/h:code[@codeSystem='2.16.840.1.113883.3.989.2.1.1.7']/@code"), "1");
	assert_string_equal(xs(&d, IE "/h:subjectOf1/h:controlActEvent/h:author/h:assignedEntity/h:representedOrganization/h:assignedEntity/h:representedOrganization/h:name"), "Example Pharma");
	/* H.1 */
	assert_string_equal(xs(&d, IE "/h:text"), "A 34-year-old woman developed a rash on day 3 of Cardiolex.");
	done(&d);
	free(xml);
}

static void
test_reporters(void **state)
{
	char *xml = one_case();
	struct doc d;
	const char *src = IE "/h:outboundRelationship[h:relatedInvestigation/h:code/@code='2']";

	(void)state;
	parse(&d, xml);
	assert_string_equal(xs(&d, "count(%s)", src), "2");
	assert_string_equal(xs(&d, "%s[1]/h:priorityNumber/@value", src), "1");
	assert_string_equal(xs(&d, "count(%s[2]/h:priorityNumber)", src), "0");
	assert_string_equal(xs(&d, "%s[1]//h:assignedPerson/h:name/h:given", src), "Olena");
	assert_string_equal(xs(&d, "%s[1]//h:assignedPerson/h:name/h:family", src), "Koval");
	assert_string_equal(xs(&d, "%s[1]//h:assignedPerson/h:asQualifiedEntity/h:code[@codeSystem='2.16.840.1.113883.3.989.2.1.1.6']/@code", src), "1");
	assert_string_equal(xs(&d, "%s[1]//h:assignedPerson/h:asLocatedEntity/h:location/h:code[@codeSystem='1.0.3166.1.2.2']/@code", src), "UA");
	assert_string_equal(xs(&d, "%s[1]//h:assignedEntity/h:telecom[1]/@value", src), "tel:+380441234567");
	assert_string_equal(xs(&d, "%s[1]//h:assignedEntity/h:telecom[2]/@value", src), "mailto:o.koval@clinic.example.org");
	assert_string_equal(xs(&d, "%s[2]//h:assignedPerson/h:asQualifiedEntity/h:code/@code", src), "5");
	/* C.1.8.2 first sender: other */
	assert_string_equal(xs(&d, IE "/h:outboundRelationship[h:relatedInvestigation/h:code/@code='1']//h:assignedEntity/h:code[@codeSystem='2.16.840.1.113883.3.989.2.1.1.3']/@code"), "2");
	done(&d);
	free(xml);
}

static void
test_patient(void **state)
{
	char *xml = one_case();
	struct doc d;

	(void)state;
	parse(&d, xml);
	assert_string_equal(xs(&d, PR "/h:player1/h:name"), "OK");
	assert_string_equal(xs(&d, PR "/h:player1/h:administrativeGenderCode[@codeSystem='1.0.5218']/@code"), "2");
	assert_string_equal(xs(&d, PR "/h:player1/h:birthTime/@value"), "19920402");
	assert_string_equal(xs(&d, PR "/h:subjectOf2/h:observation[h:code/@code='3']/h:value[@xsi:type='PQ']/@value"), "34");
	assert_string_equal(xs(&d, PR "/h:subjectOf2/h:observation[h:code/@code='3']/h:value/@unit"), "a");
	assert_string_equal(xs(&d, PR "/h:subjectOf2/h:observation[h:code/@code='4']/h:value[@codeSystem='2.16.840.1.113883.3.989.2.1.1.9']/@code"), "5");
	assert_string_equal(xs(&d, PR "/h:subjectOf2/h:observation[h:code/@code='7']/h:value[@unit='kg']/@value"), "62.5");
	done(&d);
	free(xml);
}

static void
test_reactions(void **state)
{
	char *xml = one_case();
	struct doc d;
	const char *r = PR "/h:subjectOf2/h:observation[h:code/@code='29']";

	(void)state;
	parse(&d, xml);
	assert_string_equal(xs(&d, "count(%s)", r), "2");
	/* (path)[n]: the n-th reaction, not the n-th under one parent */
	/* E.i.1.1a verbatim (escaped, Cyrillic intact), E.i.2.1 MedDRA */
	assert_string_equal(xs(&d, "(%s)[1]/h:value/h:originalText", r), "висип на руках & <свербіж>");
	assert_string_equal(xs(&d, "(%s)[1]/h:value[@codeSystem='2.16.840.1.113883.6.163']/@code", r), "10037844");
	assert_string_equal(xs(&d, "(%s)[1]/h:value/@codeSystemVersion", r), "26.1");
	assert_string_equal(xs(&d, "(%s)[2]/h:value/@nullFlavor", r), "UNK");
	assert_string_equal(xs(&d, "(%s)[1]/h:effectiveTime/h:low/@value", r), "20261103");
	/* E.i.3.2a-f: the six criteria as coded booleans */
	assert_string_equal(xs(&d, "count((%s)[1]/h:outboundRelationship2/h:observation[h:value/@xsi:type='BL'])", r), "6");
	assert_string_equal(xs(&d, "(%s)[1]/h:outboundRelationship2/h:observation[h:code/@code='33']/h:value/@value", r), "true");
	assert_string_equal(xs(&d, "(%s)[1]/h:outboundRelationship2/h:observation[h:code/@code='34']/h:value/@value", r), "false");
	/* E.i.7 outcome */
	assert_string_equal(xs(&d, "(%s)[1]/h:outboundRelationship2/h:observation[h:code/@code='27']/h:value[@codeSystem='2.16.840.1.113883.3.989.2.1.1.11']/@code", r), "2");
	assert_string_equal(xs(&d, "(%s)[2]/h:outboundRelationship2/h:observation[h:code/@code='27']/h:value/@code", r), "1");
	done(&d);
	free(xml);
}

static void
test_drugs(void **state)
{
	char *xml = one_case();
	struct doc d;
	const char *g = PR "/h:subjectOf2/h:organizer[h:code/@code='4']/h:component/h:substanceAdministration";
	const char *role = IE "/h:component/h:adverseEventAssessment/h:component/h:causalityAssessment[h:code/@code='20']";
	char id[128];

	(void)state;
	parse(&d, xml);
	assert_string_equal(xs(&d, "count(%s)", g), "2");
	assert_string_equal(xs(&d, "(%s)[1]/h:consumable/h:instanceOfKind/h:kindOfProduct/h:name", g), "Cardiolex 5 mg");
	assert_string_equal(xs(&d, "(%s)[1]/h:outboundRelationship2/h:substanceAdministration/h:consumable/h:instanceOfKind/h:productInstanceInstance/h:lotNumberText", g), "A1234");
	assert_string_equal(xs(&d, "(%s)[1]/h:outboundRelationship2/h:substanceAdministration/h:text", g), "5 mg once daily");
	assert_string_equal(xs(&d, "(%s)[1]/h:outboundRelationship2/h:substanceAdministration/h:effectiveTime/h:low/@value", g), "20261101");
	assert_string_equal(xs(&d, "(%s)[1]/h:outboundRelationship2/h:substanceAdministration/h:routeCode/h:originalText", g), "oral");
	assert_string_equal(xs(&d, "(%s)[1]/h:inboundRelationship[@typeCode='RSON']/h:observation[h:code/@code='19']/h:value/h:originalText", g), "hypertension");
	assert_string_equal(xs(&d, "(%s)[1]/h:inboundRelationship[@typeCode='CAUS']/h:act/h:code[@codeSystem='2.16.840.1.113883.3.989.2.1.1.15']/@code", g), "1");
	/* G.k.1: each role refers to its drug by id */
	snprintf(id, sizeof(id), "%s", xs(&d, "(%s)[1]/h:id/@root", g));
	assert_true(strlen(id) == 36);
	assert_string_equal(xs(&d, "%s[h:subject2/h:productUseReference/h:id/@root='%s']/h:value[@codeSystem='2.16.840.1.113883.3.989.2.1.1.13']/@code", role, id), "1");
	snprintf(id, sizeof(id), "%s", xs(&d, "(%s)[2]/h:id/@root", g));
	assert_string_equal(xs(&d, "%s[h:subject2/h:productUseReference/h:id/@root='%s']/h:value/@code", role, id), "2");
	done(&d);
	free(xml);
}

/* Every element path we write (names from the root, no positions) occurs
 * in one of the FDA's sample batches: our structure is theirs. */
static void
paths(xmlNodePtr n, char *prefix, size_t len, char ***set, size_t *nset)
{
	for (; n; n = n->next) {
		size_t l = strlen(prefix);

		if (n->type != XML_ELEMENT_NODE)
			continue;
		snprintf(prefix + l, len - l, "/%s", (const char *)n->name);
		*set = realloc(*set, (*nset + 1) * sizeof(**set));
		(*set)[(*nset)++] = strdup(prefix);
		paths(n->children, prefix, len, set, nset);
		prefix[l] = '\0';
	}
}

static int
has(char **set, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(set[i], p) == 0)
			return 1;
	return 0;
}

/*
 * The element paths of the data element table's XPath column: each
 * "/MCCI_IN200100UV01/..." with predicates, attributes and text() taken
 * off, every prefix of it a path too.
 */
static void
table_paths(const char *file, char ***set, size_t *nset)
{
	FILE *f = fopen(file, "rb");
	static char text[1 << 22];
	size_t n;
	char *p, path[4096];

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	for (p = text; (p = strstr(p, "/MCCI_IN200100UV01/")) != NULL; ) {
		size_t len = 0;
		int depth = 0;

		for (; *p && len + 1 < sizeof(path); p++) {
			if (*p == '[' || *p == '(')
				depth++;
			else if (*p == ']' || *p == ')')
				depth--;
			else if (depth == 0 && (*p == ',' || *p == '"' || *p == '\n' ||
			    *p == ' ' || (*p == '/' && (p[1] == '@' || strncmp(p, "/text()", 7) == 0))))
				break;
			else if (depth == 0) {
				path[len++] = *p;
				if (*p == '/') {
					path[len - 1] = '\0';
					if (len > 1 && !has(*set, *nset, path)) {
						*set = realloc(*set, (*nset + 1) * sizeof(**set));
						(*set)[(*nset)++] = strdup(path);
					}
					path[len - 1] = '/';
				}
			}
		}
		path[len] = '\0';
		if (len > 1 && !has(*set, *nset, path)) {
			*set = realloc(*set, (*nset + 1) * sizeof(**set));
			(*set)[(*nset)++] = strdup(path);
		}
	}
}

static void
test_structure_of_fda_samples(void **state)
{
	static const char *const samples[] = { "FAERS2022Scenario1.xml", "FAERS2022Scenario2.xml" };
	char **ref = NULL, **ours = NULL, prefix[4096], file[1024];
	size_t nref = 0, nours = 0, missing = 0;
	char *xml = one_case();
	xmlDocPtr doc;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		snprintf(file, sizeof(file), "%s/%s", E2B_REFDIR, samples[i]);
		assert_non_null(doc = xmlReadFile(file, NULL, XML_PARSE_NONET));
		prefix[0] = '\0';
		paths(xmlDocGetRootElement(doc), prefix, sizeof(prefix), &ref, &nref);
		xmlFreeDoc(doc);
	}
	snprintf(file, sizeof(file), "%s/icsr_data_elements.csv", E2B_REFDIR);
	table_paths(file, &ref, &nref);
	/* G.k.4.r.4/5 (start and end of the drug) are "See X-Path Reference" in
	 * the table: the ICH implementation guide's IVL_TS interval. */
	ref = realloc(ref, (nref + 2) * sizeof(*ref));
	ref[nref++] = strdup(DRUG_TIME "/low");
	ref[nref++] = strdup(DRUG_TIME "/high");
	assert_non_null(doc = xmlReadMemory(xml, (int)strlen(xml), "e2b.xml", NULL, 0));
	prefix[0] = '\0';
	paths(xmlDocGetRootElement(doc), prefix, sizeof(prefix), &ours, &nours);
	xmlFreeDoc(doc);
	for (size_t i = 0; i < nours; i++)
		if (!has(ref, nref, ours[i])) {
			print_message("not in the FDA samples: %s\n", ours[i]);
			missing++;
		}
	assert_int_equal(missing, 0);
	assert_true(nours > 150);
	for (size_t i = 0; i < nref; i++)
		free(ref[i]);
	for (size_t i = 0; i < nours; i++)
		free(ours[i]);
	free(ref);
	free(ours);
	free(xml);
}

static void
test_batch_and_errors(void **state)
{
	const char *cause = NULL;
	char *xml, buf[2 * sizeof(case_json) + 64];
	struct doc d;
	json_t *bad;

	(void)state;
	snprintf(buf, sizeof(buf), "[%s,%s]", case_json, case_json);
	memcpy(strstr(strstr(buf, "},{") + 2, "\"id\":17"), "\"id\":18", 7);
	xml = export(buf);
	parse(&d, xml);
	assert_string_equal(xs(&d, "count(/h:MCCI_IN200100UV01/h:PORR_IN049016UV)"), "2");
	assert_string_equal(xs(&d, "/h:MCCI_IN200100UV01/h:PORR_IN049016UV[2]/h:controlActProcess/h:subject/h:investigationEvent/h:id[@root='2.16.840.1.113883.3.989.2.1.3.2']/@extension"), "UA-EXPHARMA-18");
	done(&d);
	free(xml);
	/* a minimal case: every required element still there, with null flavours */
	xml = export("[{\"id\":3}]");
	parse(&d, xml);
	assert_string_equal(xs(&d, PR "/h:player1/h:name/@nullFlavor"), "UNK");
	assert_string_equal(xs(&d, PR "/h:player1/h:administrativeGenderCode/@nullFlavor"), "UNK");
	assert_string_equal(xs(&d, IE "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.2']/@extension"), "UA-EXPHARMA-3");
	done(&d);
	free(xml);
	bad = json_loads("{\"id\":1}", 0, NULL);
	assert_null(e2b_batch(bad, &sender, &cause));
	assert_non_null(cause);
	json_decref(bad);
	bad = json_loads("[{\"id\":\"x\"}]", 0, NULL);
	assert_null(e2b_batch(bad, &sender, &cause));
	json_decref(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_header),
		cmocka_unit_test(test_identification),
		cmocka_unit_test(test_reporters),
		cmocka_unit_test(test_patient),
		cmocka_unit_test(test_reactions),
		cmocka_unit_test(test_drugs),
		cmocka_unit_test(test_structure_of_fda_samples),
		cmocka_unit_test(test_batch_and_errors),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
