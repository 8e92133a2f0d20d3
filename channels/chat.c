/* chat: see chat.h. */
#include <sys/queue.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "channels/chat.h"
#include "channels/chat_agent.h"
#include "channels/chat_session.h"
#include "server/core/config.h"
#include "server/core/events.h"
#include "server/core/http.h"
#include "server/core/interaction.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/ws.h"
#include "server/store/store.h"

#define TICKET_BUCKETS	4096
#define IP_BUCKETS	1024
#define RECENT_MAX	256	/* events kept for conversations resuming */
#define QUEUE_TICKS	2	/* seconds between queue position updates */
#define SWEEP_TICKS	5	/* seconds between checks for agents gone */
#define CALL_MAX	1000	/* tickets per positions or sweep call */

LIST_HEAD(chatlist, chat_conn);
TAILQ_HEAD(chatq, chat_conn);

static struct {
	struct event_base *base;
	struct chat_limits lim;
	char *hours, *country;
	int max_sessions, max_per_ip;
	struct ws_handler handler;
	struct chatq all;
	unsigned n;
	struct chatlist tickets[TICKET_BUCKETS], ips[IP_BUCKETS];
	struct { uint64_t ticket; json_t *ev; } recent[RECENT_MAX];
	unsigned rnext;
	struct event *tick;
	unsigned ticks;
	struct metric *opened, *refused;
} C;

static void on_text(struct ws_conn *, const char *, size_t, void *);
static void on_close(struct ws_conn *, int, void *);

const struct chat_limits *chat_limits(void) { return &C.lim; }

/* --- opening hours ------------------------------------------------------- */

static int
day_index(const char *s)
{
	static const char *const days[] = { "sun", "mon", "tue", "wed", "thu",
	    "fri", "sat" };

	for (int i = 0; i < 7; i++)
		if (strncasecmp(s, days[i], 3) == 0)
			return i;
	return -1;
}

/* "mon-fri " (optional) into the days bit set; returns what follows. */
static const char *
hours_days(const char *s, unsigned *days)
{
	int a, b;

	*days = 0x7f;
	if (!isalpha((unsigned char)*s))
		return s;
	if ((a = day_index(s)) == -1)
		return NULL;
	b = a;
	s += 3;
	if (*s == '-') {
		if ((b = day_index(s + 1)) == -1)
			return NULL;
		s += 4;
	}
	if (*s != ' ')
		return NULL;
	*days = 0;
	for (int d = a;; d = (d + 1) % 7) {
		*days |= 1u << d;
		if (d == b)
			break;
	}
	return s + 1;
}

int
chat_hours_open(const char *spec, int64_t now)
{
	unsigned days, h1, m1, h2, m2;
	time_t t = (time_t)now;
	struct tm tm;
	char end;
	int min;

	if (spec == NULL || *spec == '\0')
		return 1;
	if ((spec = hours_days(spec, &days)) == NULL ||
	    sscanf(spec, "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &end) != 4 ||
	    h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59)
		return -1;
	gmtime_r(&t, &tm);
	min = tm.tm_hour * 60 + tm.tm_min;
	return (days & (1u << tm.tm_wday)) && min >= (int)(h1 * 60 + m1) &&
	    min < (int)(h2 * 60 + m2);
}

/* --- conversations by ticket and by address ------------------------------ */

static unsigned
hash_str(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

void
chat_bind(struct chat_conn *cc, uint64_t ticket)
{
	if (cc->ticket)
		LIST_REMOVE(cc, by_ticket);
	cc->ticket = ticket;
	if (ticket)
		LIST_INSERT_HEAD(&C.tickets[ticket % TICKET_BUCKETS], cc, by_ticket);
}

static int
ip_count(const char *peer, unsigned h)
{
	struct chat_conn *cc;
	int n = 0;

	LIST_FOREACH(cc, &C.ips[h % IP_BUCKETS], by_ip)
		n += cc->iphash == h && strcmp(ws_conn_peer(cc->ws), peer) == 0;
	return n;
}

void
chat_recent(uint64_t ticket, void (*fn)(const void *, void *), void *arg)
{
	for (unsigned i = 0; i < RECENT_MAX; i++) {
		unsigned k = (C.rnext + i) % RECENT_MAX;

		if (C.recent[k].ev && C.recent[k].ticket == ticket)
			fn(C.recent[k].ev, arg);
	}
}

static void
recent_add(uint64_t ticket, const json_t *ev)
{
	unsigned k = C.rnext++ % RECENT_MAX;

	json_decref(C.recent[k].ev);
	C.recent[k].ticket = ticket;
	C.recent[k].ev = json_incref((json_t *)ev);
}

/* An event about a chat's ticket goes to this node's conversations on it. */
static void
on_event(const json_t *ev, void *arg)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *tv = json_object_get(ev, "ticket");
	struct chat_conn *cc, *next;
	uint64_t n;

	if (type == NULL || !json_is_integer(tv) || json_integer_value(tv) <= 0 ||
	    (strncmp(type, "chat.", 5) && strcmp(type, "ticket.message") &&
	    strcmp(type, "ticket.assigned")))
		return;
	n = (uint64_t)json_integer_value(tv);
	if (strcmp(type, "ticket.message") == 0)
		recent_add(n, ev);
	for (cc = LIST_FIRST(&C.tickets[n % TICKET_BUCKETS]); cc; cc = next) {
		next = LIST_NEXT(cc, by_ticket);
		if (cc->ticket == n)
			chat_session_event(cc, ev);
	}
}

/* --- the socket ---------------------------------------------------------- */

static void
on_upgrade(struct http_req *r, void *arg)
{
	const char *peer = http_peer(r);
	unsigned h = hash_str(peer);
	struct chat_conn *cc;

	if (http_rate_check(r, "chat_ws") == -1 || ws_check(r) == -1) {
		metrics_add(C.refused, 1);
		return;
	}
	if (C.n >= (unsigned)C.max_sessions) {
		metrics_add(C.refused, 1);
		http_error(r, 503, "too_many_connections",
		    "this node holds as many chats as it may", NULL);
		return;
	}
	if (C.max_per_ip > 0 && ip_count(peer, h) >= C.max_per_ip) {
		metrics_add(C.refused, 1);
		http_error(r, 429, "too_many_connections",
		    "too many chats from this address", NULL);
		return;
	}
	cc = chat_session_new(NULL, h);
	if ((cc->ws = ws_accept(r, &C.handler, cc)) == NULL) {
		metrics_add(C.refused, 1);
		free(cc);
		return;
	}
	cc->wsid = ws_conn_id(cc->ws);
	TAILQ_INSERT_TAIL(&C.all, cc, all);
	LIST_INSERT_HEAD(&C.ips[h % IP_BUCKETS], cc, by_ip);
	C.n++;
	metrics_add(C.opened, 1);
}

static void
on_text(struct ws_conn *c, const char *msg, size_t len, void *arg)
{
	chat_session_text(arg, msg, len);
}

static void
on_close(struct ws_conn *c, int code, void *arg)
{
	struct chat_conn *cc = arg;

	TAILQ_REMOVE(&C.all, cc, all);
	LIST_REMOVE(cc, by_ip);
	if (cc->ticket)
		LIST_REMOVE(cc, by_ticket);
	C.n--;
	log_debug("ws=%s chat closed code=%d", ws_conn_tag(c), code);
	chat_session_free(cc);
}

/* --- timers -------------------------------------------------------------- */

static void
on_positions(json_t *result, const char *err, void *arg)
{
	const char *key;
	json_t *st;
	struct chat_conn *cc, *next;

	if (err)
		return;
	json_object_foreach(result, key, st) {
		uint64_t n = strtoull(key, NULL, 10);

		for (cc = LIST_FIRST(&C.tickets[n % TICKET_BUCKETS]); cc; cc = next) {
			next = LIST_NEXT(cc, by_ticket);
			if (cc->ticket == n)
				chat_session_state(cc, st);
		}
	}
}

static void
on_swept(json_t *result, const char *err, void *arg)
{
	if (err)
		log_debug("chat sweep err=\"%s\"", err);
}

/* One call with the tickets of this node's conversations that are
 * waiting (WAITING 1) or have an agent (0): positions, or agents gone. */
static void
ask(int waiting)
{
	json_t *list = json_array();
	struct chat_conn *cc;

	TAILQ_FOREACH(cc, &C.all, all) {
		if (cc->state != CHAT_OPEN || !cc->ticket ||
		    (waiting ? !cc->waiting : !cc->agent[0]))
			continue;
		if (json_array_size(list) == CALL_MAX)
			break;
		json_array_append_new(list, json_integer((json_int_t)cc->ticket));
	}
	if (json_array_size(list) == 0) {
		json_decref(list);
		return;
	}
	if (waiting) {
		json_t *a = json_pack("{s:o, s:i}", "tickets", list, "handle",
		    C.lim.handle_seconds);
		store_call("rx_chat_positions", a, on_positions, NULL);
		json_decref(a);
	} else {
		json_t *a = json_pack("{s:o, s:i}", "tickets", list, "grace",
		    C.lim.agent_grace);
		store_call("rx_chat_sweep", a, on_swept, NULL);
		json_decref(a);
	}
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	int64_t now = interaction_now_ms();
	struct chat_conn *cc, *next;

	for (cc = TAILQ_FIRST(&C.all); cc; cc = next) {
		next = TAILQ_NEXT(cc, all);
		chat_session_tick(cc, now);
	}
	C.ticks++;
	if (C.ticks % QUEUE_TICKS == 0)
		ask(1);
	if (C.ticks % SWEEP_TICKS == 0)
		ask(0);
}

/* --- life cycle ---------------------------------------------------------- */

int
chat_check(const struct config *cf, char *err, size_t errlen)
{
	if (chat_hours_open(cf->chat_hours, 0) == -1) {
		snprintf(err, errlen, "chat.hours: \"%s\" is not like "
		    "\"mon-fri 08:00-18:00\"", cf->chat_hours);
		return -1;
	}
	return 0;
}

static void
set_limits(const struct config *cf)
{
	free(C.hours);
	free(C.country);
	if ((C.hours = strdup(cf->chat_hours)) == NULL ||
	    (C.country = strdup(cf->default_country)) == NULL)
		log_fatalx("chat: out of memory");
	C.lim = (struct chat_limits){ cf->chat_rate, cf->chat_burst,
	    cf->chat_idle_timeout, cf->chat_handle_seconds, cf->chat_offer_after,
	    cf->chat_agent_grace, C.hours, C.country };
	C.max_sessions = cf->chat_max_sessions;
	C.max_per_ip = cf->chat_max_per_ip;
}

int
chat_start(struct event_base *base, const struct config *cf, const char **cause)
{
	struct timeval tv = { 1, 0 };

	C.base = base;
	TAILQ_INIT(&C.all);
	set_limits(cf);
	/* open sockets keep the size they were opened with */
	C.handler = (struct ws_handler){ "chat_ws", cf->chat_max_message,
	    on_text, on_close };
	C.opened = metrics_counter("rxdesk_chat_ws_total",
	    "Customer chat sockets, by what happened.", "what=\"opened\"");
	C.refused = metrics_counter("rxdesk_chat_ws_total",
	    "Customer chat sockets, by what happened.", "what=\"refused\"");
	events_listen(on_event, NULL);
	http_route("GET", "/chat/ws", "chat_ws", on_upgrade, NULL);
	chat_agent_start();
	C.tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	event_add(C.tick, &tv);
	return 0;
}

void
chat_reload(const struct config *cf)
{
	set_limits(cf);
}

unsigned
chat_busy(void)
{
	return chat_session_pending();
}

void
chat_stop(void)
{
	if (C.tick)
		event_free(C.tick);
	C.tick = NULL;
	for (unsigned i = 0; i < RECENT_MAX; i++) {
		json_decref(C.recent[i].ev);
		C.recent[i].ev = NULL;
	}
	free(C.hours);
	free(C.country);
	C.hours = C.country = NULL;
}
