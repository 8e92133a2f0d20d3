/* ctl_route: see ctl_route.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/ctl/ctl_route.h"
#include "routing/triage.h"
#include "server/ctl/ctl.h"
#include "server/core/interaction.h"
#include "server/store/store.h"

/* The channel names of interaction.h, to turn text back into the enum. */
static int
channel_parse(const char *s, enum channel *out)
{
	for (int ch = CH_EMAIL; ch <= CH_AGENT; ch++)
		if (strcmp(s, interaction_channel_name(ch)) == 0) {
			*out = ch;
			return 0;
		}
	return -1;
}

static void
explain(struct interaction *in, const struct triage_ctx *ctx)
{
	char buf[TRIAGE_EXPLAIN_MAX];

	triage_explain(in, ctx, buf, sizeof(buf));
	fputs(buf, stdout);
	triage_free();
}

/* One stored hit as explain_hits (routing/triage.c) prints a fresh one;
 * a hit a negation or question held is marked so. */
static void
print_hit(json_t *h)
{
	const char *field = json_string_value(json_object_get(h, "field"));

	if (field == NULL)	/* the key's older name */
		field = json_string_value(json_object_get(h, "where"));
	printf("  %s %s \"%s\" [%s %lld-%lld] term \"%s\": %s%s\n",
	    json_string_value(json_object_get(h, "kind")),
	    json_string_value(json_object_get(h, "cue")),
	    json_string_value(json_object_get(h, "text")) ?
	    json_string_value(json_object_get(h, "text")) : "",
	    field ? field : "text",
	    (long long)json_integer_value(json_object_get(h, "start")),
	    (long long)json_integer_value(json_object_get(h, "end")),
	    json_string_value(json_object_get(h, "term")),
	    json_string_value(json_object_get(h, "rule")),
	    json_is_false(json_object_get(h, "counted")) ? " (held)" : "");
}

/* What screening stored with each inbound message when it arrived (the
 * knowledge of that day, which may differ from today's), and the
 * decisions people took on the ticket's flags. */
static void
print_stored(json_t *t, json_t *log)
{
	static const char *const flags[] = { "ae", "complaint" };
	json_t *e, *scr, *h;
	const char *ae;
	size_t i, j;
	char key[32];

	json_array_foreach(log, i, e) {
		if ((scr = json_object_get(e, "screening")) == NULL)
			continue;
		ae = json_string_value(json_object_get(scr, "ae"));
		printf("stored screening of message %s: ae %s, complaint %s, lang %s\n",
		    json_string_value(json_object_get(e, "id")), ae ? ae : "no",
		    json_is_true(json_object_get(scr, "complaint")) ? "yes" : "no",
		    json_string_value(json_object_get(scr, "lang")) ?
		    json_string_value(json_object_get(scr, "lang")) : "unknown");
		json_array_foreach(json_object_get(scr, "hits"), j, h)
			print_hit(h);
	}
	for (i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "%s_decision", flags[i]);
		if (json_string_value(json_object_get(t, key)) == NULL)
			continue;
		printf("decision: %s %s", flags[i],
		    json_string_value(json_object_get(t, key)));
		snprintf(key, sizeof(key), "%s_decided_by", flags[i]);
		printf(" by %s", json_string_value(json_object_get(t, key)) ?
		    json_string_value(json_object_get(t, key)) : "?");
		snprintf(key, sizeof(key), "%s_reason", flags[i]);
		if (json_string_value(json_object_get(t, key)) &&
		    *json_string_value(json_object_get(t, key)))
			printf(": %s", json_string_value(json_object_get(t, key)));
		printf("\n");
	}
}

/* The first inbound message of the ticket, with its customer's type. */
static void
on_ticket(json_t *res, const char *err, void *arg)
{
	struct interaction in;
	struct triage_ctx ctx;
	json_t *t, *log, *e, *cust;
	size_t i;

	(void)arg;
	if (err) {
		fprintf(stderr, "rxdeskctl: route explain: %s\n", err);
		triage_free();
		ctl_finish(1);
		return;
	}
	memset(&in, 0, sizeof(in));
	memset(&ctx, 0, sizeof(ctx));
	t = json_object_get(res, "ticket");
	log = json_object_get(res, "log");
	cust = json_object_get(res, "customer");
	if (channel_parse(json_string_value(json_object_get(t, "channel")) ?
	    json_string_value(json_object_get(t, "channel")) : "", &in.channel) == -1)
		in.channel = CH_EMAIL;
	in.subject = json_string_value(json_object_get(t, "subject"));
	json_array_foreach(log, i, e) {
		const char *dir = json_string_value(json_object_get(e, "direction"));
		if (dir && strcmp(dir, "in") == 0) {
			in.text = json_string_value(json_object_get(e, "text"));
			break;
		}
	}
	ctx.customer_type = json_string_value(json_object_get(cust, "type"));
	ctx.segment = json_string_value(json_object_get(cust, "segment"));
	printf("ticket: RX-%lld (now queue=%s category=%s priority=%s)\n",
	    (long long)json_integer_value(json_object_get(t, "id")),
	    json_string_value(json_object_get(t, "queue")),
	    json_string_value(json_object_get(t, "category")),
	    json_string_value(json_object_get(t, "priority")));
	explain(&in, &ctx);
	print_stored(t, log);
	ctl_finish(0);
}

static int
is_ticket(const char *s)
{
	if (strncmp(s, "RX-", 3) == 0)
		s += 3;
	return *s && strspn(s, "0123456789") == strlen(s);
}

static int
usage(void)
{
	fprintf(stderr, "usage: rxdeskctl route explain [--channel C] [--form F] "
	    "[--type T] [--segment S] TEXT-OR-TICKET | --ticket N\n");
	return 2;
}

int
ctl_route_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'C' },
		{ "form", required_argument, NULL, 'f' },
		{ "type", required_argument, NULL, 't' },
		{ "segment", required_argument, NULL, 's' },
		{ "ticket", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ticket = NULL;
	struct interaction in;
	struct triage_ctx ctx;
	const char *arg;
	json_t *args;
	int c, rc;

	memset(&in, 0, sizeof(in));
	memset(&ctx, 0, sizeof(ctx));
	in.channel = CH_EMAIL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'C' && channel_parse(optarg, &in.channel) == 0)
			continue;
		if (c == 'f')
			ctx.form = optarg;
		else if (c == 't')
			ctx.customer_type = optarg;
		else if (c == 's')
			ctx.segment = optarg;
		else if (c == 'T' && is_ticket(optarg))
			ticket = optarg;
		else
			return usage();
	}
	if (optind != argc - (ticket ? 0 : 1))
		return usage();
	triage_commit(ctl_config());
	arg = ticket ? ticket : argv[optind];
	if (!ticket && !is_ticket(arg)) {
		in.text = arg;
		explain(&in, &ctx);
		ctl_finish(0);
		return 0;
	}
	if (strncmp(arg, "RX-", 3) == 0)
		arg += 3;
	args = json_pack("{s:s,s:i}", "ticket", arg, "count", 50);
	rc = store_call("rx_ticket_get", args, on_ticket, NULL);
	json_decref(args);
	if (rc == -1) {
		fprintf(stderr, "rxdeskctl: route explain: the store is unavailable\n");
		triage_free();
		return 1;
	}
	return 0;
}
