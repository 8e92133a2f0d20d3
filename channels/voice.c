/* voice: see voice.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channels/voice.h"
#include "channels/voice_agent.h"
#include "channels/voice_cti.h"
#include "channels/voice_twilio.h"
#include "server/core/config.h"
#include "server/core/idtab.h"
#include "server/core/ingest.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/queue_names.h"
#include "server/customer/phone.h"
#include "server/store/store.h"

#define IVR_MAX		10	/* choices in voice.ivr_queues */

/* One ringing call between the core's answer and the library's. */
struct ring {
	uint64_t self, id;
	voice_ring_cb *cb;
	int duplicate;
	char scheme[16], call[VOICE_ID_MAX + 1];
	char from[VOICE_NUMBER_MAX + 1], to[VOICE_NUMBER_MAX + 1];
};

/* One event on its way to the library. */
struct evcall {
	uint64_t id;
	voice_event_cb *cb;
};

static struct {
	const struct config *cf;
	struct idtab rings;
	unsigned busy;
	struct { char digit[8], queue[64]; } ivr[IVR_MAX];
	int nivr;
} V;

const struct config *
voice_config(void)
{
	return V.cf;
}

int
voice_number(const char *number, char *out, size_t len)
{
	const char *cause;

	if (number == NULL || *number == '\0' || strlen(number) > PHONE_INPUT_MAX)
		return -1;
	return phone_normalize(number, V.cf ? V.cf->default_country : "UA", out, len,
	    &cause);
}

const char *
voice_lang(const char *e164)
{
	static const struct { const char *prefix, *lang; } by[] = {
		{ "+380", "uk" }, { "+7", "ru" }, { "+375", "ru" }, { "+86", "zh" },
		{ "+886", "zh" }, { "+852", "zh" },
	};

	for (size_t i = 0; e164 && i < sizeof(by) / sizeof(by[0]); i++)
		if (strncmp(e164, by[i].prefix, strlen(by[i].prefix)) == 0)
			return by[i].lang;
	return "en";
}

/* Is WORD one of the comma list LIST's items (spaces around ignored)? */
static int
listed(const char *list, const char *word)
{
	size_t wl = strlen(word);

	while (list && *list) {
		size_t n;

		list += strspn(list, " ,");
		n = strcspn(list, ",");
		while (n > 0 && list[n - 1] == ' ')
			n--;
		if (n == wl && n > 0 && strncmp(list, word, n) == 0)
			return 1;
		list += strcspn(list, ",");
	}
	return 0;
}

int
voice_blocked(const char *e164)
{
	char e[PHONE_E164_MAX];
	const char *l = V.cf ? V.cf->voice_blocked : NULL;

	if (e164 == NULL || *e164 == '\0' || l == NULL || *l == '\0')
		return 0;
	if (listed(l, e164))
		return 1;
	/* the list may hold national forms too */
	for (const char *p = l; *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		char item[VOICE_NUMBER_MAX + 1];
		size_t n = strcspn(p, ",");

		if (n >= sizeof(item))
			continue;
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		if (voice_number(item, e, sizeof(e)) == 0 && strcmp(e, e164) == 0)
			return 1;
	}
	return 0;
}

const char *
voice_ivr_queue(const char *digits)
{
	for (int i = 0; digits && i < V.nivr; i++)
		if (strcmp(V.ivr[i].digit, digits) == 0)
			return V.ivr[i].queue;
	return NULL;
}

const char *
voice_queue(void)
{
	return V.cf && *V.cf->voice_queue ? V.cf->voice_queue : NULL;
}

/* "1:medinfo, 2:safety" into V.ivr; -1 with ERR set. */
static int
parse_ivr(const char *s, char *err, size_t errlen)
{
	V.nivr = 0;
	while (s && *s) {
		char d[8], q[64];
		int n = 0;

		s += strspn(s, " ,");
		if (*s == '\0')
			break;
		if (sscanf(s, " %7[0-9*#] : %63[A-Za-z0-9_.-] %n", d, q, &n) != 2 ||
		    n == 0 || (s[n] && s[n] != ',') || V.nivr == IVR_MAX) {
			snprintf(err, errlen, "[voice] ivr_queues: expected up to %d "
			    "\"digits:queue\" items, got \"%s\"", IVR_MAX, s);
			return -1;
		}
		snprintf(V.ivr[V.nivr].digit, sizeof(V.ivr[0].digit), "%s", d);
		snprintf(V.ivr[V.nivr++].queue, sizeof(V.ivr[0].queue), "%s", q);
		s += n;
	}
	return 0;
}

int
voice_check(const struct config *cf, char *err, size_t errlen)
{
	const char *cause;

	if (parse_ivr(cf->voice_ivr_queues, err, errlen) == -1)
		return -1;
	if (*cf->voice_queue && queue_names_check(cf->voice_queue, "[voice] queue",
	    &cause) == -1) {
		snprintf(err, errlen, "%s", cause);
		return -1;
	}
	for (int i = 0; i < V.nivr; i++)
		if (queue_names_check(V.ivr[i].queue, "[voice] ivr_queues", &cause) == -1) {
			snprintf(err, errlen, "%s", cause);
			return -1;
		}
	return 0;
}

/* --- a ringing call: the core, then the library ------------------------ */

static void
ring_done(struct ring *g, const struct voice_ring *a, const char *err)
{
	idtab_remove(&V.rings, g->self, g);
	V.busy--;
	g->cb(g->id, a, err);
	free(g);
}

static void
on_rung(json_t *res, const char *err, void *arg)
{
	struct ring *g = arg;
	struct voice_ring a = { 0 };

	if (err) {
		ring_done(g, NULL, err);
		return;
	}
	a.ticket = (uint64_t)json_integer_value(json_object_get(res, "ticket"));
	a.agent = json_string_value(json_object_get(res, "agent"));
	a.identity = json_string_value(json_object_get(res, "identity"));
	a.customer = json_string_value(json_object_get(res, "customer"));
	a.agent = a.agent ? a.agent : "";
	a.identity = a.identity ? a.identity : "";
	a.customer = a.customer ? a.customer : "";
	a.ended = json_is_true(json_object_get(res, "ended"));
	a.duplicate = g->duplicate;
	ring_done(g, &a, NULL);
}

static void
on_ingested(uint64_t self, const struct ingest_answer *a, const char *err)
{
	struct ring *g = idtab_find(&V.rings, self);
	json_t *args;
	int rc;

	if (g == NULL)
		return;
	if (err) {
		ring_done(g, NULL, err);
		return;
	}
	g->duplicate = a->duplicate;
	args = json_pack("{s:s, s:s, s:I, s:s, s:s}", "scheme", g->scheme, "call",
	    g->call, "ticket", (json_int_t)a->ticket, "from", g->from, "to", g->to);
	rc = store_call("rx_voice_ring", args, on_rung, g);
	json_decref(args);
	if (rc == -1)
		ring_done(g, NULL, "unavailable");
}

/* The call's fields as the ticket's first message shows them. */
static char *
ring_fields(const struct voice_call *c)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "scheme", c->scheme, "call",
	    c->call, "from", c->from ? c->from : "", "to", c->to ? c->to : "");
	char *s;

	if (c->digits && *c->digits)
		json_object_set_new(o, "digits", json_string(c->digits));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void
ring_interaction(const struct voice_call *c, struct interaction *in,
    char *e164, char *subject, size_t slen, char *text, size_t tlen)
{
	int known = voice_number(c->from, e164, PHONE_E164_MAX) == 0;
	const char *who = known ? e164 : "an unknown number";

	in->channel = CH_VOICE;
	in->dedup = c->dedup;
	in->source = c->to;
	in->phone = known ? e164 : NULL;
	/* a repeat call goes on the caller's open call ticket (docs/voice.md) */
	in->continue_open = known && V.cf ? (unsigned)V.cf->voice_continue_window : 0;
	in->name = known ? e164 : "Unknown caller";
	in->queue = c->queue ? c->queue : voice_queue();
	in->lang = voice_lang(known ? e164 : NULL);
	snprintf(subject, slen, "Call from %s", who);
	snprintf(text, tlen, "Incoming call from %s to %s.", who,
	    c->to && *c->to ? c->to : "us");
	in->subject = subject;
	in->text = text;
}

int
voice_ring(const struct voice_call *c, voice_ring_cb *cb, uint64_t id)
{
	struct interaction in = { 0 };
	char e164[PHONE_E164_MAX], subject[96], text[200], *fields;
	struct ring *g;
	int rc;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		log_fatalx("voice: out of memory");
	g->id = id;
	g->cb = cb;
	snprintf(g->scheme, sizeof(g->scheme), "%s", c->scheme);
	snprintf(g->call, sizeof(g->call), "%s", c->call);
	snprintf(g->from, sizeof(g->from), "%s", c->from ? c->from : "");
	snprintf(g->to, sizeof(g->to), "%s", c->to ? c->to : "");
	ring_interaction(c, &in, e164, subject, sizeof(subject), text, sizeof(text));
	in.fields_json = fields = ring_fields(c);
	g->self = idtab_add(&V.rings, g);
	rc = ingest_submit(&in, on_ingested, g->self);
	free(fields);
	if (rc == -1) {
		idtab_remove(&V.rings, g->self, g);
		free(g);
		return -1;
	}
	V.busy++;
	return 0;
}

/* --- later events ------------------------------------------------------ */

static void
on_event_stored(json_t *res, const char *err, void *arg)
{
	struct evcall e = *(struct evcall *)arg;

	free(arg);
	V.busy--;
	if (err && strcmp(err, "unavailable"))
		log_warnx("voice: an event was refused: %s", err);
	if (e.cb)
		e.cb(e.id, res, err);
}

static void
set(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

int
voice_event(const struct voice_event *ev, voice_event_cb *cb, uint64_t id)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "scheme", ev->scheme, "call", ev->call,
	    "event", ev->event);
	struct evcall *e = malloc(sizeof(*e));
	int rc;

	if (o == NULL || e == NULL)
		log_fatalx("voice: out of memory");
	*e = (struct evcall){ id, cb };
	set(o, "dedup", ev->dedup);
	set(o, "user", ev->user);
	set(o, "cause", ev->cause);
	set(o, "talk", ev->talk);
	set(o, "recording", ev->recording);
	set(o, "recording_duration", ev->recording_duration);
	rc = store_call("rx_voice_event", o, on_event_stored, e);
	json_decref(o);
	if (rc == -1) {
		free(e);
		return -1;
	}
	V.busy++;
	return 0;
}

/* --- module ------------------------------------------------------------ */

int
voice_start(struct event_base *base, const struct config *cf, const char **cause)
{
	static char err[CONFIG_ERR_MAX];

	if (voice_check(cf, err, sizeof(err)) == -1) {
		*cause = err;
		return -1;
	}
	V.cf = cf;
	if (voice_twilio_start(base, cf, cause) == -1 ||
	    voice_cti_start(base, cf, cause) == -1 ||
	    voice_agent_start(base, cf, cause) == -1)
		return -1;
	return 0;
}

void
voice_reload(const struct config *cf)
{
	char err[CONFIG_ERR_MAX];

	if (voice_check(cf, err, sizeof(err)) == -1) {
		log_warnx("voice: %s (the IVR choices are left out)", err);
		V.nivr = 0;
	}
	V.cf = cf;
	voice_twilio_reload(cf);
}

unsigned
voice_busy(void)
{
	return V.busy + voice_twilio_busy();
}

void
voice_stop(void)
{
	voice_twilio_stop();
}
