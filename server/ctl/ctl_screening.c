/*
 * rxdeskctl screening export [--since DATE] [--output FILE]: every message
 * on which a person confirmed or rejected a screening flag, as labelled
 * data in the corpus format of tests/screening/corpus/<lang>/dev.jsonl
 * (docs/screening.md, Feedback), one JSON object a line. The decisions are
 * read page by page (FCALL rx_screening_export), so Redis is never blocked
 * for long; a message decided on several times counts its latest decision
 * per flag.
 */
#define _GNU_SOURCE	/* timegm */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "server/ctl/ctl.h"
#include "server/store/store.h"

#define EXPORT_PAGE	500

static struct {
	const char *output;	/* NULL: standard output */
	long long since;	/* Unix ms, 0: from the first decision */
	char cursor[64];
	json_t *records;	/* array, in order of the first decision */
	json_t *index;		/* "RX-<n>:<message>" -> position in records */
	long long decisions;
} X;

static int export_next(void);

/* The corpus's styles are the channels, with a call note for the voice
 * channel and for contacts an agent typed in (mostly calls). */
static const char *
style_of(const char *channel)
{
	if (channel == NULL || !strcmp(channel, "voice") || !strcmp(channel, "agent"))
		return "call";
	return channel;
}

/* The record of the message ITEM is about, made on first sight. */
static json_t *
record_of(json_t *item)
{
	const char *msg = json_string_value(json_object_get(item, "message"));
	json_int_t n = json_integer_value(json_object_get(item, "ticket"));
	json_t *scr = json_object_get(item, "screening"), *rec, *pos;
	const char *lang = json_string_value(json_object_get(scr, "lang"));
	char id[96];

	snprintf(id, sizeof(id), "RX-%lld:%s", (long long)n, msg ? msg : "");
	if ((pos = json_object_get(X.index, id)) != NULL)
		return json_array_get(X.records, (size_t)json_integer_value(pos));
	if (lang == NULL || *lang == '\0')
		lang = json_string_value(json_object_get(item, "lang"));
	rec = json_pack("{s:s,s:s,s:s,s:s,s:[],s:O?,s:O?,s:I,s:s,s:O?,s:O?,s:{},s:{s:O?,s:O?}}",
	    "id", id, "lang", lang ? lang : "", "cat", "feedback", "style",
	    style_of(json_string_value(json_object_get(item, "channel"))),
	    "labels", "text", json_object_get(item, "text"),
	    "subject", json_object_get(item, "subject"), "ticket", n,
	    "message", msg ? msg : "", "channel", json_object_get(item, "channel"),
	    "received", json_object_get(item, "received"), "decisions",
	    "screened", "ae", scr ? json_object_get(scr, "ae") : json_null(),
	    "complaint", scr ? json_object_get(scr, "complaint") : json_false());
	if (rec == NULL)
		return NULL;
	json_object_set_new(X.index, id, json_integer(
	    (json_int_t)json_array_size(X.records)));
	json_array_append_new(X.records, rec);
	return rec;
}

/* The latest decision per flag wins: ITEMS come oldest first. */
static void
add_decision(json_t *item)
{
	const char *flag = json_string_value(json_object_get(item, "flag"));
	json_t *rec = record_of(item);

	if (rec == NULL || flag == NULL)
		return;
	json_object_set_new(json_object_get(rec, "decisions"), flag, json_pack(
	    "{s:O?,s:O?,s:O?,s:O?,s:O?}", "decision", json_object_get(item, "decision"),
	    "by", json_object_get(item, "actor"), "at", json_object_get(item, "ts"),
	    "reason", json_object_get(item, "reason"),
	    "raised", json_object_get(item, "raised")));
	X.decisions++;
}

/* labels: the flags a person confirmed; unreviewed: those the screener
 * raised that nobody decided, so a trainer can leave them out. */
static void
finish_record(json_t *rec)
{
	static const char *const flags[] = { "ae", "complaint" };
	json_t *dec = json_object_get(rec, "decisions");
	json_t *scr = json_object_get(rec, "screened");
	json_t *labels = json_object_get(rec, "labels"), *unrev = json_array();
	const char *d;

	for (size_t i = 0; i < 2; i++) {
		json_t *raised = json_object_get(scr, flags[i]);
		d = json_string_value(json_object_get(json_object_get(dec, flags[i]),
		    "decision"));
		if (d && strcmp(d, "confirmed") == 0)
			json_array_append_new(labels, json_string(flags[i]));
		else if (d == NULL && raised && !json_is_null(raised) &&
		    !json_is_false(raised))
			json_array_append_new(unrev, json_string(flags[i]));
	}
	json_object_set_new(rec, "unreviewed", unrev);
}

/* Write every record to F, one a line; -1 on a write error. */
static int
write_records(FILE *f)
{
	size_t i;
	json_t *rec;

	json_array_foreach(X.records, i, rec) {
		finish_record(rec);
		if (json_dumpf(rec, f, JSON_COMPACT) == -1 || fputc('\n', f) == EOF)
			return -1;
	}
	return fflush(f) == EOF ? -1 : 0;
}

/* To FILE through FILE.tmp and a rename, so a reader never sees half. */
static int
write_output(void)
{
	char tmp[4096];
	FILE *f;

	if (X.output == NULL)
		return write_records(stdout);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", X.output) >= sizeof(tmp) ||
	    (f = fopen(tmp, "w")) == NULL) {
		perror(X.output);
		return -1;
	}
	if (write_records(f) == -1 || fclose(f) == EOF || rename(tmp, X.output) == -1) {
		perror(X.output);
		remove(tmp);
		return -1;
	}
	return 0;
}

static void
on_page(json_t *res, const char *err, void *arg)
{
	const char *next = json_string_value(json_object_get(res, "next"));
	json_t *item;
	size_t i;

	(void)arg;
	if (err) {
		fprintf(stderr, "rxdeskctl: screening export: %s\n", err);
		ctl_finish(1);
		return;
	}
	json_array_foreach(json_object_get(res, "items"), i, item)
		add_decision(item);
	if (next && *next) {
		snprintf(X.cursor, sizeof(X.cursor), "%s", next);
		if (export_next() != 0)
			ctl_finish(1);
		return;
	}
	if (write_output() == -1) {
		ctl_finish(1);
		return;
	}
	fprintf(stderr, "screening export: %zu messages, %lld decisions%s%s\n",
	    json_array_size(X.records), X.decisions, X.output ? " to " : "",
	    X.output ? X.output : "");
	json_decref(X.records);
	json_decref(X.index);
	ctl_finish(0);
}

static int
export_next(void)
{
	json_t *a = json_pack("{s:s,s:I,s:i}", "cursor", X.cursor, "since",
	    (json_int_t)X.since, "count", EXPORT_PAGE);
	int rc = store_call("rx_screening_export", a, on_page, NULL);

	json_decref(a);
	if (rc == -1) {
		fprintf(stderr, "rxdeskctl: screening export: Redis went away\n");
		return 1;
	}
	return 0;
}

/* DATE as YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z], UTC, into Unix ms. */
static int
parse_since(const char *s, long long *ms)
{
	static const char *const formats[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
	    "%Y-%m-%d" };
	struct tm tm;
	const char *end;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		if ((end = strptime(s, formats[i], &tm)) == NULL ||
		    (*end && strcmp(end, "Z")))
			continue;
		*ms = (long long)timegm(&tm) * 1000;
		return 0;
	}
	return -1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: rxdeskctl screening export [--since DATE] "
	    "[--output FILE]\n");
	return 2;
}

int
ctl_screening_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c == 'o')
			X.output = optarg;
		else if (c != 's')
			return usage();
		else if (parse_since(optarg, &X.since) == -1) {
			fprintf(stderr, "rxdeskctl: screening export: --since is "
			    "YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], UTC\n");
			return 2;
		}
	}
	if (optind != argc)
		return usage();
	X.records = json_array();
	X.index = json_object();
	return export_next();
}
