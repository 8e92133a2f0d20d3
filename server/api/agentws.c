/* agentws: see agentws.h. */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>

#include "server/api/agentws.h"
#include "server/auth/auth.h"
#include "server/core/config.h"
#include "server/core/events.h"
#include "server/core/http.h"
#include "server/core/log.h"
#include "server/core/metrics.h"
#include "server/core/redis.h"
#include "server/store/store.h"
#include "server/core/ws.h"

#define MAX_COMMANDS	32
#define MAX_FOLLOW	64	/* tickets one connection may follow */
#define MAX_TOKEN	256

struct agent_conn {
	struct ws_conn *c;
	struct auth_agent who;
	char roles[64];			/* "agent,safety" for Redis functions */
	long long follow[MAX_FOLLOW];
	int nfollow;
	long long viewing;		/* the ticket it has open, 0 for none */
	char vstate[16];		/* "viewing" or "replying" */
	TAILQ_ENTRY(agent_conn) entry;
};
TAILQ_HEAD(agentq, agent_conn);

struct command {
	const char *type;
	agentws_cmd_fn *fn;
	void *arg;
};

/* A subscribe waiting on Redis: found again by the connection's id. */
struct pending_follow {
	uint64_t ws;
	long long ticket;
	json_t *cmd;
};

static struct {
	struct event_base *base;
	char node[64];
	struct agentq conns;
	struct command commands[MAX_COMMANDS];
	size_t ncommands;
	struct event *presence;
	struct metric *delivered, *opened, *refused;
} A;

static void on_text(struct ws_conn *, const char *, size_t, void *);
static void on_close(struct ws_conn *, int, void *);

static const struct ws_handler handler = {
	"agent_ws", 0, on_text, on_close
};

void
agentws_command(const char *type, agentws_cmd_fn *fn, void *arg)
{
	for (size_t i = 0; i < A.ncommands; i++)
		if (strcmp(A.commands[i].type, type) == 0)
			log_fatalx("agentws: command %s registered twice", type);
	if (A.ncommands == MAX_COMMANDS)
		log_fatalx("agentws: too many commands");
	A.commands[A.ncommands++] = (struct command){ type, fn, arg };
}

static int
agentws_send(struct ws_conn *c, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	int rc;

	json_decref(j);
	if (text == NULL)
		log_fatalx("agentws: cannot encode a message");
	rc = ws_send_text(c, text, strlen(text));
	free(text);
	return rc;
}

int
agentws_reply(struct ws_conn *c, json_t *cmd, json_t *j)
{
	json_t *id = cmd ? json_object_get(cmd, "id") : NULL;

	if (id)
		json_object_set(j, "ref", id);
	return agentws_send(c, j);
}

int
agentws_error(struct ws_conn *c, json_t *cmd, const char *code,
    const char *message)
{
	return agentws_reply(c, cmd, json_pack("{s:s, s:s, s:s}", "type",
	    "error", "code", code, "message", message));
}

/* --- presence ---------------------------------------------------------- */

static void
on_presence_call(json_t *result, const char *err, void *arg)
{
	if (err)
		log_debug("agentws presence err=\"%s\"", err);
}

/* The agent holds a live connection here: the presence key with its TTL,
 * and routing gives back the state of an agent it took offline for want
 * of one (rx_presence_on, server/store/lua/presence.lua). */
static void
presence_set(const struct agent_conn *ac)
{
	json_t *args = json_pack("{s:s, s:s, s:i}", "agent", ac->who.id, "node",
	    A.node, "ttl", AGENTWS_PRESENCE_TTL);

	store_call("rx_presence_on", args, on_presence_call, NULL);
	json_decref(args);
}

/* The agent's last connection here closed: when no node holds another,
 * routing stops giving them work in the same call (rx_presence_off). */
static void
presence_drop(const char *agent)
{
	json_t *args = json_pack("{s:s, s:s}", "agent", agent, "node", A.node);

	store_call("rx_presence_off", args, on_presence_call, NULL);
	json_decref(args);
}

static void viewing_call(const struct agent_conn *, long long, const char *,
    int, void *);

static void
on_presence_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct agent_conn *ac;

	TAILQ_FOREACH(ac, &A.conns, entry) {
		presence_set(ac);
		if (ac->viewing > 0)	/* the viewer outlives us by the TTL */
			viewing_call(ac, ac->viewing, ac->vstate, 1, NULL);
	}
}

/* --- delivery ---------------------------------------------------------- */

static int
following(const struct agent_conn *ac, long long n)
{
	for (int i = 0; i < ac->nfollow; i++)
		if (ac->follow[i] == n)
			return 1;
	return 0;
}

/* A number or a numeric string, as events and commands write ids. */
static long long
json_id(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

/* The agent an event names, as text ("" for none). */
static void
event_agent(const json_t *ev, char *buf, size_t len)
{
	const json_t *v = json_object_get(ev, "agent");

	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else
		buf[0] = '\0';
}

/* AE and complaint tickets are the safety staff's (docs/datamodel.md). */
static int
role_sees(unsigned roles, const json_t *ev)
{
	const char *cat = json_string_value(json_object_get(ev, "category"));
	const char *flags = json_string_value(json_object_get(ev, "flags"));
	int safety;

	if (cat == NULL || *cat == '\0')
		cat = json_string_value(json_object_get(ev, "queue"));
	if (cat == NULL || *cat == '\0')
		return 0;
	safety = !strcmp(cat, "ae") || !strcmp(cat, "complaint") ||
	    (flags && (strstr(flags, "ae") || strstr(flags, "complaint"))) ||
	    json_is_true(json_object_get(ev, "restricted"));
	return safety ? (roles & ROLE_SAFETY) != 0 : (roles & ROLE_AGENT) != 0;
}

/* Does the event's "agents" list (a call ringing a group) name ID? */
static int
agents_name(const json_t *ev, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(ev, "agents"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

static int
agent_wants(const struct agent_conn *ac, const json_t *ev, const char *type,
    const char *agent, long long ticket)
{
	if (ac->who.roles & (ROLE_SUPERVISOR | ROLE_ADMIN))
		return 1;
	if (*agent && strcmp(agent, ac->who.id) == 0)
		return 1;
	if (agents_name(ev, ac->who.id))
		return 1;
	if (ticket > 0 && following(ac, ticket))
		return 1;
	/* Nobody's ticket yet: whoever may take it hears of it. */
	if (strncmp(type, "ticket.", 7) || *agent)
		return 0;
	return role_sees(ac->who.roles, ev);
}

/*
 * May this connection have the content of an event about a restricted (AE
 * or complaint) ticket? Safety staff, supervisors, admins and the agent the
 * ticket is assigned to (who handles the contact); a follower who may not
 * see it only learns that the ticket changed and its status (docs/safety.md).
 */
static int
content_allowed(const struct agent_conn *ac, const json_t *ev,
    const char *agent)
{
	if (!json_is_true(json_object_get(ev, "restricted")))
		return 1;
	if (ac->who.roles & (ROLE_SUPERVISOR | ROLE_ADMIN | ROLE_SAFETY))
		return 1;
	return *agent && strcmp(agent, ac->who.id) == 0;
}

/* EV without content: its type, ticket, status and that it is restricted. */
static char *
event_redacted(const json_t *ev)
{
	json_t *o = json_object();
	const char *keep[] = { "type", "ticket", "status", "restricted" };
	char *text;

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (json_object_get(ev, keep[i]))
			json_object_set(o, keep[i], json_object_get(ev, keep[i]));
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		log_fatalx("agentws: cannot encode an event");
	json_decref(o);
	return text;
}

static void
on_event(const json_t *ev, void *arg)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	long long ticket = json_id(json_object_get(ev, "ticket"));
	struct agent_conn *ac;
	char agent[32], *text = NULL, *bare = NULL;
	size_t len = 0;
	int ok;

	event_agent(ev, agent, sizeof(agent));
	TAILQ_FOREACH(ac, &A.conns, entry) {
		if (!agent_wants(ac, ev, type, agent, ticket))
			continue;
		if (!content_allowed(ac, ev, agent)) {
			if (bare == NULL)
				bare = event_redacted(ev);
			ok = ws_send_text(ac->c, bare, strlen(bare)) == 0;
		} else {
			if (text == NULL) {
				if ((text = json_dumps(ev, JSON_COMPACT)) == NULL)
					log_fatalx("agentws: cannot encode an event");
				len = strlen(text);
			}
			ok = ws_send_text(ac->c, text, len) == 0;
		}
		if (ok)
			metrics_add(A.delivered, 1);
	}
	free(text);
	free(bare);
}

/* --- commands ---------------------------------------------------------- */

static void
cmd_ping(struct ws_conn *c, const struct auth_agent *who, json_t *cmd,
    void *arg)
{
	agentws_reply(c, cmd, json_pack("{s:s, s:s}", "type", "pong", "node",
	    A.node));
}

static void
on_followed(json_t *result, const char *err, void *arg)
{
	struct pending_follow *pf = arg;
	struct ws_conn *c = ws_find(pf->ws);
	struct agent_conn *ac;

	if (c == NULL)
		goto done;
	ac = ws_conn_arg(c);
	if (err && strncmp(err, "NOTFOUND", 8) == 0)
		agentws_error(c, pf->cmd, "not_found", "no such ticket");
	else if (err && strcmp(err, "unavailable") == 0)
		agentws_reply(c, pf->cmd, json_pack("{s:s, s:s, s:s, s:b}",
		    "type", "error", "code", "unavailable", "message",
		    "storage is unavailable; retry shortly", "retry", 1));
	else if (err)
		agentws_error(c, pf->cmd, "bad_request", err);
	else if (!following(ac, pf->ticket) && ac->nfollow == MAX_FOLLOW)
		agentws_error(c, pf->cmd, "too_many", "following too many tickets");
	else {
		if (!following(ac, pf->ticket))
			ac->follow[ac->nfollow++] = pf->ticket;
		agentws_reply(c, pf->cmd, json_pack("{s:s, s:I}", "type",
		    "subscribed", "ticket", (json_int_t)pf->ticket));
	}
done:
	json_decref(pf->cmd);
	free(pf);
}

/* Follow a ticket the agent may see: rx_ticket_get decides, as the API. */
static void
cmd_subscribe(struct ws_conn *c, const struct auth_agent *who, json_t *cmd,
    void *arg)
{
	struct agent_conn *ac = ws_conn_arg(c);
	long long n = json_id(json_object_get(cmd, "ticket"));
	struct pending_follow *pf;
	json_t *args;

	if (n <= 0) {
		agentws_error(c, cmd, "bad_request", "ticket must be a ticket number");
		return;
	}
	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		log_fatalx("agentws: out of memory");
	*pf = (struct pending_follow){ ws_conn_id(c), n, json_incref(cmd) };
	args = json_pack("{s:I, s:I, s:{s:s, s:s}}", "ticket", (json_int_t)n,
	    "count", (json_int_t)1, "who", "agent", ac->who.id, "roles",
	    ac->roles);
	if (store_call("rx_ticket_get", args, on_followed, pf) == -1)
		on_followed(NULL, "unavailable", pf);
	json_decref(args);
}

static void
cmd_unsubscribe(struct ws_conn *c, const struct auth_agent *who, json_t *cmd,
    void *arg)
{
	struct agent_conn *ac = ws_conn_arg(c);
	long long n = json_id(json_object_get(cmd, "ticket"));

	for (int i = 0; i < ac->nfollow; i++)
		if (ac->follow[i] == n)
			ac->follow[i--] = ac->follow[--ac->nfollow];
	agentws_reply(c, cmd, json_pack("{s:s, s:I}", "type", "unsubscribed",
	    "ticket", (json_int_t)n));
}

/* --- who has a ticket open (the console's collision notice) ----------- */

static void
on_viewing(json_t *result, const char *err, void *arg)
{
	struct pending_follow *pf = arg;
	struct ws_conn *c = pf ? ws_find(pf->ws) : NULL;
	json_t *v;

	if (c == NULL)
		goto done;
	if (err && strncmp(err, "NOTFOUND", 8) == 0)
		agentws_error(c, pf->cmd, "not_found", "no such ticket");
	else if (err && strcmp(err, "unavailable") == 0)
		agentws_reply(c, pf->cmd, json_pack("{s:s, s:s, s:s, s:b}",
		    "type", "error", "code", "unavailable", "message",
		    "storage is unavailable; retry shortly", "retry", 1));
	else if (err)
		agentws_error(c, pf->cmd, "bad_request", err);
	else {
		v = json_object_get(result, "viewers");
		agentws_reply(c, pf->cmd, json_pack("{s:s, s:I, s:o}", "type",
		    "viewers", "ticket", (json_int_t)pf->ticket, "viewers",
		    json_is_array(v) ? json_incref(v) : json_array()));
	}
done:
	if (pf) {
		json_decref(pf->cmd);
		free(pf);
	}
}

/* rx_console_viewing: record AC on ticket N in STATE and publish it to
 * every node (QUIET: refresh only). PF (may be NULL) gets the answer. */
static void
viewing_call(const struct agent_conn *ac, long long n, const char *state,
    int quiet, void *pf)
{
	json_t *args = json_pack("{s:I, s:s, s:s, s:s, s:i, s:b}", "ticket",
	    (json_int_t)n, "agent", ac->who.id, "name", ac->who.name, "state",
	    state, "ttl", AGENTWS_PRESENCE_TTL, "quiet", quiet);

	if (store_call("rx_console_viewing", args, on_viewing, pf) == -1)
		on_viewing(NULL, "unavailable", pf);
	json_decref(args);
}

/*
 * {"type":"ticket.viewing","ticket":17,"state":"viewing|replying|left"}:
 * tell those who follow ticket 17 on any node; the answer lists the others
 * who have it open. The notice carries no ticket content, so the ticket
 * number is all it needs. One ticket per connection: opening another
 * leaves the first.
 */
static void
cmd_viewing(struct ws_conn *c, const struct auth_agent *who, json_t *cmd,
    void *arg)
{
	struct agent_conn *ac = ws_conn_arg(c);
	long long n = json_id(json_object_get(cmd, "ticket"));
	const char *st = json_string_value(json_object_get(cmd, "state"));
	struct pending_follow *pf;
	int left;

	if (n <= 0) {
		agentws_error(c, cmd, "bad_request", "ticket must be a ticket number");
		return;
	}
	if (st == NULL || (strcmp(st, "viewing") && strcmp(st, "replying") &&
	    strcmp(st, "left"))) {
		agentws_error(c, cmd, "bad_request",
		    "state must be viewing, replying or left");
		return;
	}
	left = strcmp(st, "left") == 0;
	if (ac->viewing > 0 && ac->viewing != n && !left)
		viewing_call(ac, ac->viewing, "left", 0, NULL);
	if (left && ac->viewing == n)
		ac->viewing = 0;
	else if (!left) {
		ac->viewing = n;
		snprintf(ac->vstate, sizeof(ac->vstate), "%s", st);
	}
	if ((pf = calloc(1, sizeof(*pf))) == NULL)
		log_fatalx("agentws: out of memory");
	*pf = (struct pending_follow){ ws_conn_id(c), n, json_incref(cmd) };
	viewing_call(ac, n, st, 0, pf);
}

static void
on_text(struct ws_conn *c, const char *msg, size_t len, void *arg)
{
	struct agent_conn *ac = arg;
	const char *type;
	json_t *cmd;

	cmd = json_loadb(msg, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(cmd) ||
	    (type = json_string_value(json_object_get(cmd, "type"))) == NULL) {
		agentws_error(c, NULL, "bad_command",
		    "a command is a JSON object with a \"type\"");
		json_decref(cmd);
		return;
	}
	for (size_t i = 0; i < A.ncommands; i++)
		if (strcmp(A.commands[i].type, type) == 0) {
			A.commands[i].fn(c, &ac->who, cmd, A.commands[i].arg);
			json_decref(cmd);
			return;
		}
	agentws_error(c, cmd, "unknown_command", "no such command");
	json_decref(cmd);
}

/* --- connections ------------------------------------------------------- */

static void
on_close(struct ws_conn *c, int code, void *arg)
{
	struct agent_conn *ac = arg, *o;

	TAILQ_REMOVE(&A.conns, ac, entry);
	log_info("ws=%s agent=%s closed code=%d", ws_conn_tag(c), ac->who.id,
	    code);
	TAILQ_FOREACH(o, &A.conns, entry)
		if (strcmp(o->who.id, ac->who.id) == 0)
			break;
	if (o == NULL)
		presence_drop(ac->who.id);
	if (ac->viewing > 0)
		viewing_call(ac, ac->viewing, "left", 0, NULL);
	free(ac);
}

static json_t *
hello(const struct agent_conn *ac)
{
	json_t *roles = json_array();
	char buf[64], *s, *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", ac->roles);
	for (s = buf; (tok = strtok_r(s, ",", &save)) != NULL; s = NULL)
		json_array_append_new(roles, json_string(tok));
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:o}, s:s}", "type", "hello",
	    "agent", "id", ac->who.id, "name", ac->who.name, "email",
	    ac->who.email, "roles", roles, "node", A.node);
}

static void
on_authed(struct http_req *r, const struct auth_agent *who, void *arg)
{
	struct agent_conn *ac;
	char tag[64];
	int n = 0;

	TAILQ_FOREACH(ac, &A.conns, entry)
		n += strcmp(ac->who.id, who->id) == 0;
	if (n >= AGENTWS_MAX_PER_AGENT) {
		metrics_add(A.refused, 1);
		http_error(r, 429, "too_many_connections",
		    "this agent has too many live connections here", NULL);
		return;
	}
	if ((ac = calloc(1, sizeof(*ac))) == NULL)
		log_fatalx("agentws: out of memory");
	ac->who = *who;
	auth_roles_format(who->roles, ac->roles, sizeof(ac->roles));
	snprintf(tag, sizeof(tag), "%s", http_req_tag(r));
	if ((ac->c = ws_accept(r, &handler, ac)) == NULL) {
		metrics_add(A.refused, 1);
		free(ac);
		return;
	}
	TAILQ_INSERT_TAIL(&A.conns, ac, entry);
	metrics_add(A.opened, 1);
	log_info("ws=%s req=%s agent=%s roles=%s open", ws_conn_tag(ac->c), tag,
	    ac->who.id, ac->roles);
	agentws_send(ac->c, hello(ac));
	presence_set(ac);
}

/* Browsers cannot set headers on a WebSocket: "?token=" stands in for
 * "Authorization: Bearer", which auth_require reads. */
static void
token_from_query(struct http_req *r)
{
	const char *t = http_query(r, "token");
	char buf[MAX_TOKEN + 8];

	if (t == NULL || *t == '\0' || strlen(t) > MAX_TOKEN ||
	    http_header(r, "Authorization") != NULL)
		return;
	snprintf(buf, sizeof(buf), "Bearer %s", t);
	evhttp_add_header(evhttp_request_get_input_headers(http_evreq(r)),
	    "Authorization", buf);
}

static void
on_upgrade(struct http_req *r, void *arg)
{
	if (http_rate_check(r, "agent_ws") == -1)
		return;
	if (ws_check(r) == -1) {
		metrics_add(A.refused, 1);
		return;
	}
	token_from_query(r);
	auth_require(r, ROLE_ANY, on_authed, NULL);
}

int
agentws_start(struct event_base *base, const struct config *cf,
    const char **cause)
{
	struct timeval tv = { AGENTWS_PRESENCE_REFRESH, 0 };

	A.base = base;
	TAILQ_INIT(&A.conns);
	if (cf->node_id[0])
		snprintf(A.node, sizeof(A.node), "%s", cf->node_id);
	else
		snprintf(A.node, sizeof(A.node), "n%d", (int)getpid());
	A.delivered = metrics_counter("rxdesk_agent_ws_total",
	    "Agent WebSocket activity, by what happened.", "what=\"event_sent\"");
	A.opened = metrics_counter("rxdesk_agent_ws_total",
	    "Agent WebSocket activity, by what happened.", "what=\"opened\"");
	A.refused = metrics_counter("rxdesk_agent_ws_total",
	    "Agent WebSocket activity, by what happened.", "what=\"refused\"");
	agentws_command("ping", cmd_ping, NULL);
	agentws_command("subscribe", cmd_subscribe, NULL);
	agentws_command("unsubscribe", cmd_unsubscribe, NULL);
	agentws_command("ticket.viewing", cmd_viewing, NULL);
	events_listen(on_event, NULL);
	http_route("GET", "/agent/ws", "agent_ws", on_upgrade, NULL);
	A.presence = event_new(base, -1, EV_PERSIST, on_presence_tick, NULL);
	event_add(A.presence, &tv);
	return 0;
}

void
agentws_stop(void)
{
	if (A.presence)
		event_free(A.presence);
	A.presence = NULL;
}
