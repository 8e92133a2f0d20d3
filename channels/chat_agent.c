/* chat_agent: see chat_agent.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "channels/chat.h"
#include "channels/chat_agent.h"
#include "server/api/agentws.h"
#include "server/auth/auth.h"
#include "server/core/log.h"
#include "server/core/ws.h"
#include "server/store/store.h"
#include "server/store/ticket.h"

#define MAX_REPLY	(64 * 1024)

/* A command waiting on Redis, found again by the socket's id. */
struct pending {
	uint64_t ws;
	json_t *cmd;
	const char *answer;	/* the answer's "type" */
};

static long long
json_id(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

static void
answer_error(struct ws_conn *c, json_t *cmd, const char *err)
{
	if (strcmp(err, "unavailable") == 0)
		agentws_reply(c, cmd, json_pack("{s:s, s:s, s:s, s:b}", "type",
		    "error", "code", "unavailable", "message",
		    "storage is unavailable; retry shortly", "retry", 1));
	else if (strncmp(err, "NOTFOUND", 8) == 0)
		agentws_error(c, cmd, "not_found", "no such chat");
	else if (strncmp(err, "CONFLICT", 8) == 0)
		agentws_error(c, cmd, "conflict", err);
	else
		agentws_error(c, cmd, "bad_request", err);
}

static void
on_done(json_t *result, const char *err, void *arg)
{
	struct pending *p = arg;
	struct ws_conn *c = ws_find(p->ws);
	json_t *j;

	if (c && err)
		answer_error(c, p->cmd, err);
	else if (c && p->answer) {
		j = json_is_object(result) ? json_deep_copy(result) : json_object();
		json_object_set_new(j, "type", json_string(p->answer));
		agentws_reply(c, p->cmd, j);
	}
	json_decref(p->cmd);
	free(p);
}

static struct pending *
pending_new(struct ws_conn *c, json_t *cmd, const char *answer)
{
	struct pending *p = calloc(1, sizeof(*p));

	if (p == NULL)
		log_fatalx("chat: out of memory");
	*p = (struct pending){ ws_conn_id(c), json_incref(cmd), answer };
	return p;
}

/* The ticket the command names, or 0 after an error answer. */
static long long
cmd_ticket(struct ws_conn *c, json_t *cmd)
{
	long long n = json_id(json_object_get(cmd, "ticket"));

	if (n <= 0)
		agentws_error(c, cmd, "bad_request", "ticket must be a ticket number");
	return n > 0 ? n : 0;
}

/* Call FN with ARGS (consumed) plus the ticket and who is asking. */
static void
call(struct ws_conn *c, const struct auth_agent *who, json_t *cmd,
    const char *fn, json_t *args, const char *answer)
{
	struct ticket_who tw = { who->id, who->roles };
	struct pending *p = pending_new(c, cmd, answer);

	json_object_set_new(args, "who", ticket_who_json(&tw));
	json_object_set_new(args, "handle", json_integer(chat_limits()->handle_seconds));
	if (store_call(fn, args, on_done, p) == -1)
		on_done(NULL, "unavailable", p);
	json_decref(args);
}

static void
cmd_reply(struct ws_conn *c, const struct auth_agent *who, json_t *cmd, void *arg)
{
	struct ticket_who tw = { who->id, who->roles };
	const char *text = json_string_value(json_object_get(cmd, "text"));
	long long n = cmd_ticket(c, cmd);
	char actor[40];
	struct pending *p;

	if (n == 0)
		return;
	if (text == NULL || *text == '\0' || strlen(text) > MAX_REPLY) {
		agentws_error(c, cmd, "bad_request", "text must be 1 to 65536 bytes");
		return;
	}
	snprintf(actor, sizeof(actor), "a:%s", who->id);
	p = pending_new(c, cmd, "chat.replied");
	if (ticket_reply((uint64_t)n, actor, &tw, text, NULL, on_done, p) == -1)
		on_done(NULL, "unavailable", p);
}

static void
cmd_signal(struct ws_conn *c, const struct auth_agent *who, json_t *cmd, void *arg)
{
	long long n = cmd_ticket(c, cmd);
	json_t *a, *id = json_object_get(cmd, "message");

	if (n == 0)
		return;
	a = json_pack("{s:I, s:s, s:s}", "ticket", (json_int_t)n, "what", arg,
	    "from", "agent");
	if (json_is_string(id))
		json_object_set(a, "id", id);
	call(c, who, cmd, "rx_chat_signal", a, NULL);
}

static void
cmd_transfer(struct ws_conn *c, const struct auth_agent *who, json_t *cmd, void *arg)
{
	json_t *q = json_object_get(cmd, "queue"), *to = json_object_get(cmd, "agent");
	long long n = cmd_ticket(c, cmd);
	json_t *a;

	if (n == 0)
		return;
	if ((q == NULL) == (to == NULL) || (q && !json_is_string(q)) ||
	    (to && !json_is_string(to) && !json_is_integer(to))) {
		agentws_error(c, cmd, "bad_request", "name either a queue or an agent");
		return;
	}
	a = json_pack("{s:I}", "ticket", (json_int_t)n);
	if (q)
		json_object_set(a, "queue", q);
	else if (json_is_integer(to))
		json_object_set_new(a, "agent", json_sprintf("%lld",
		    (long long)json_integer_value(to)));
	else
		json_object_set(a, "agent", to);
	call(c, who, cmd, "rx_chat_transfer", a, "chat.transferred");
}

static void
cmd_close(struct ws_conn *c, const struct auth_agent *who, json_t *cmd, void *arg)
{
	long long n = cmd_ticket(c, cmd);

	if (n == 0)
		return;
	call(c, who, cmd, "rx_chat_close", json_pack("{s:I, s:b}", "ticket",
	    (json_int_t)n, "transcript", json_is_true(json_object_get(cmd,
	    "transcript"))), "chat.closed");
}

void
chat_agent_start(void)
{
	agentws_command("chat.reply", cmd_reply, NULL);
	agentws_command("chat.typing", cmd_signal, "typing");
	agentws_command("chat.read", cmd_signal, "read");
	agentws_command("chat.transfer", cmd_transfer, NULL);
	agentws_command("chat.close", cmd_close, NULL);
}
