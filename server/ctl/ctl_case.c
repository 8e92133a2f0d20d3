/*
 * rxdeskctl case export [--csv|--e2b] [--output FILE] (ID | --from DATE
 * [--to DATE]): one case or the cases received in a date range, as CSV or
 * as one E2B(R3) batch (docs/safety.md), opened with the daemon's keys.
 * rxdeskctl key rotate: seal every case again under the newest key of
 * safety.encryption_key, case by case, so that an older key can then be
 * removed from the configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "server/cases/case_csv.h"
#include "server/cases/cases.h"
#include "server/core/config.h"
#include "server/ctl/ctl.h"

#if defined(__has_include)
#if __has_include("server/safety/e2b.h")
#include "server/safety/e2b.h"
#define HAVE_E2B 1
#endif
#endif

static struct {
	int e2b;
	const char *output;
	json_t *ids;		/* key rotate: the page being resealed */
	size_t next;
	char after[32];
	long long done;
} X;

static int
setup(const char *what)
{
	const char *cause;

	if (cases_setup(ctl_config(), &cause) == -1) {
		fprintf(stderr, "rxdeskctl: %s: %s\n", what, cause);
		return 1;
	}
	if (!cases_ready()) {
		fprintf(stderr, "rxdeskctl: %s: no safety.encryption_key configured\n",
		    what);
		return 1;
	}
	return 0;
}

static int
write_out(const void *data, size_t len)
{
	FILE *f = X.output ? fopen(X.output, "w") : stdout;
	int ok;

	if (f == NULL) {
		perror(X.output);
		return 1;
	}
	ok = fwrite(data, 1, len, f) == len;
	if (f != stdout)
		ok &= fclose(f) == 0;
	return ok ? 0 : 1;
}

/* CASES (an array of open cases) written as asked. */
static int
export(json_t *cases)
{
	struct evbuffer *b;
	int rc;

	if (X.e2b) {
#ifdef HAVE_E2B
		const struct config *cf = ctl_config();
		struct e2b_sender s = { .org = cf->safety_sender_org, .country =
		    cf->default_country, .company = cf->safety_company, .now_ms =
		    (int64_t)time(NULL) * 1000 };
		const char *cause = NULL;
		char *xml = e2b_batch(cases, &s, &cause);

		if (xml == NULL) {
			fprintf(stderr, "rxdeskctl: case export: %s\n", cause);
			return 1;
		}
		rc = write_out(xml, strlen(xml));
		free(xml);
		return rc;
#else
		fprintf(stderr, "rxdeskctl: case export: the E2B(R3) writer is not "
		    "in this build\n");
		return 1;
#endif
	}
	b = evbuffer_new();
	case_csv_header(b);
	case_csv_rows(b, cases);
	rc = write_out(evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
	return rc;
}

static void
on_one(json_t *res, const char *err, void *arg)
{
	json_t *list;

	if (err) {
		fprintf(stderr, "rxdeskctl: case export: %s\n", err);
		ctl_finish(1);
		return;
	}
	list = json_pack("[O]", json_object_get(res, "case"));
	ctl_finish(export(list));
	json_decref(list);
}

static void
on_range(json_t *res, const char *err, void *arg)
{
	if (err) {
		fprintf(stderr, "rxdeskctl: case export: %s\n", err);
		ctl_finish(1);
		return;
	}
	ctl_finish(export(json_object_get(res, "items")));
}

/* "2026-12-07" (END: its last millisecond) or Unix ms; -1 if neither. */
static long long
parse_time(const char *s, int end)
{
	struct tm tm;
	char *rest;
	long long v;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday) == 3) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		return (long long)timegm(&tm) * 1000 + (end ? 86400000 - 1 : 0);
	}
	v = strtoll(s, &rest, 10);
	return *s && *rest == '\0' && v >= 0 ? v : -1;
}

int
ctl_case_export(int argc, char **argv)
{
	const char *id = NULL;
	long long from = -1, to = -1;
	json_t *f;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--e2b"))
			X.e2b = 1;
		else if (!strcmp(argv[i], "--csv"))
			X.e2b = 0;
		else if (!strcmp(argv[i], "--output") && i + 1 < argc)
			X.output = argv[++i];
		else if (!strcmp(argv[i], "--from") && i + 1 < argc)
			from = parse_time(argv[++i], 0);
		else if (!strcmp(argv[i], "--to") && i + 1 < argc)
			to = parse_time(argv[++i], 1);
		else if (argv[i][0] != '-' && id == NULL)
			id = argv[i];
		else
			id = "", from = -2;
	}
	if ((id == NULL) == (from < 0 && to < 0) || from == -2 || (id && !*id)) {
		fprintf(stderr, "usage: rxdeskctl case export [--csv|--e2b] "
		    "[--output FILE] (ID | --from DATE [--to DATE])\n");
		return 2;
	}
	if (setup("case export"))
		return 1;
	if (id) {
		long long n = strtoll(strncmp(id, "CASE-", 5) ? id : id + 5, NULL, 10);
		return cases_get(n, on_one, NULL) == -1 ? 1 : 0;
	}
	f = json_pack("{s:i}", "limit", 500);
	if (from >= 0)
		json_object_set_new(f, "from", json_integer(from));
	if (to >= 0)
		json_object_set_new(f, "to", json_integer(to));
	rc = cases_list(f, on_range, NULL);
	json_decref(f);
	return rc == -1 ? 1 : 0;
}

/* --- key rotate ----------------------------------------------------------- */

static void rotate_next(void);

static void
on_resealed(json_t *res, const char *err, void *arg)
{
	if (err) {
		fprintf(stderr, "rxdeskctl: key rotate: %s\n", err);
		ctl_finish(1);
		return;
	}
	X.done++;
	rotate_next();
}

static void
on_ids(json_t *res, const char *err, void *arg)
{
	const char *next = json_string_value(json_object_get(res, "next"));

	if (err) {
		fprintf(stderr, "rxdeskctl: key rotate: %s\n", err);
		ctl_finish(1);
		return;
	}
	json_decref(X.ids);
	X.ids = json_incref(json_object_get(res, "ids"));
	X.next = 0;
	snprintf(X.after, sizeof(X.after), "%s", next && *next ? next : "");
	rotate_next();
}

/* Reseal the next case of the page, or ask for the next page. */
static void
rotate_next(void)
{
	json_t *a;

	if (X.next < json_array_size(X.ids)) {
		if (cases_reseal(json_integer_value(json_array_get(X.ids, X.next++)),
		    on_resealed, NULL) == -1) {
			fprintf(stderr, "rxdeskctl: key rotate: Redis went away\n");
			ctl_finish(1);
		}
		return;
	}
	if (X.ids && X.after[0] == '\0') {
		printf("key rotate: %lld cases sealed under key %s\n", X.done,
		    cases_newest_key());
		json_decref(X.ids);
		ctl_finish(0);
		return;
	}
	a = json_pack("{s:s,s:i}", "after", X.after, "count", 100);
	if (store_call("rx_case_ids", a, on_ids, NULL) == -1) {
		fprintf(stderr, "rxdeskctl: key rotate: Redis went away\n");
		ctl_finish(1);
	}
	json_decref(a);
}

int
ctl_key_rotate(int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "usage: rxdeskctl key rotate\n");
		return 2;
	}
	if (setup("key rotate"))
		return 1;
	rotate_next();
	return 0;
}
