/* modules: see modules.h. */
#include <stdio.h>

#include "channels/chat.h"
#include "channels/outbox.h"
#include "channels/smtp.h"
#include "channels/voice.h"
#include "channels/webform.h"
#include "routing/routing.h"
#include "server/api/agentws.h"
#include "server/api/api_agent.h"
#include "server/api/api_case.h"
#include "server/api/api_complaint.h"
#include "server/api/api_console.h"
#include "server/api/api_supervisor.h"
#include "server/api/api_customer.h"
#include "server/api/api_ticket.h"
#include "server/auth/auth.h"
#include "server/auth/auth_login.h"
#include "server/cases/cases.h"
#include "server/core/config.h"
#include "server/core/events.h"
#include "server/core/ingest.h"
#include "server/core/modules.h"
#include "server/api/static.h"
#include "server/core/status.h"
#include "server/store/store.h"
#include "server/core/ws.h"

/*
 * One life cycle for every module: X_config registers its configuration
 * hooks, X_check cross-checks a loaded configuration, X_start starts it,
 * X_reload applies a new configuration, X_quiesce stops taking new work,
 * X_busy counts work in flight, X_stop frees everything. A module lists
 * the steps it has; the rest are NULL.
 */
struct module {
	const char *name;
	void (*config)(void);
	int (*check)(const struct config *, char *, size_t);
	int (*start)(struct event_base *, const struct config *, const char **);
	void (*reload)(const struct config *);
	void (*quiesce)(void);
	unsigned (*busy)(void);
	void (*stop)(void);
};

/* In start order; stopped in reverse. The store first (it registers the
 * function library), the ingest core before every channel, the channels
 * after routing has registered its triage. */
static const struct module modules[] = {
	{ "status", NULL, NULL, status_start, NULL, NULL, NULL, NULL },
	{ "store", NULL, NULL, store_start, NULL, NULL, NULL, NULL },
	{ "ingest", NULL, NULL, ingest_start, NULL, NULL, ingest_busy, ingest_stop },
	{ "static", NULL, NULL, static_start, NULL, NULL, NULL, static_stop },
	{ "auth_login", NULL, NULL, auth_login_start, NULL, NULL, auth_login_busy,
	    auth_login_stop },
	{ "api_agent", NULL, NULL, api_agent_start, NULL, NULL, NULL, api_agent_stop },
	{ "auth", NULL, auth_check, auth_start, NULL, NULL, auth_busy, auth_stop },
	{ "api_ticket", NULL, NULL, api_ticket_start, NULL, NULL, NULL, NULL },
	{ "api_customer", NULL, api_customer_check, api_customer_start,
	    api_customer_reload, NULL, NULL, NULL },
	{ "routing", routing_config, routing_check, routing_start, routing_reload, NULL, NULL,
	    routing_stop },
	{ "api_supervisor", NULL, NULL, api_supervisor_start, NULL, NULL, NULL, NULL },
	{ "cases", cases_config, cases_check, cases_start, cases_reload, NULL, NULL,
	    cases_stop },
	{ "api_case", NULL, NULL, api_case_start, NULL, NULL, NULL, NULL },
	{ "api_complaint", NULL, NULL, api_complaint_start, NULL, NULL, NULL, NULL },
	{ "api_console", NULL, NULL, api_console_start, NULL, NULL, NULL, NULL },
	{ "webform", webform_config, webform_check, webform_start, webform_reload,
	    NULL, webform_busy, webform_stop },
	{ "outbox", NULL, outbox_check, outbox_start, NULL, outbox_quiesce,
	    outbox_busy, outbox_stop },
	{ "smtp", NULL, smtp_check, smtp_start, smtp_reload, smtp_quiesce, smtp_busy,
	    smtp_stop },
	{ "voice", NULL, voice_check, voice_start, voice_reload, NULL, voice_busy,
	    voice_stop },
	{ "events", NULL, NULL, events_start, NULL, NULL, NULL, NULL },
	{ "ws", NULL, NULL, ws_start, ws_reload, ws_quiesce, NULL, ws_stop },
	{ "agentws", NULL, NULL, agentws_start, NULL, NULL, NULL, agentws_stop },
	{ "chat", NULL, chat_check, chat_start, chat_reload, NULL, chat_busy, chat_stop },
};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

void
modules_config(void)
{
	for (size_t i = 0; i < NMODULES; i++)
		if (modules[i].config)
			modules[i].config();
}

int
modules_check(const struct config *cf, char *err, size_t errlen)
{
	for (size_t i = 0; i < NMODULES; i++)
		if (modules[i].check && modules[i].check(cf, err, errlen) == -1)
			return -1;
	return 0;
}

int
modules_start(struct event_base *base, const struct config *cf, const char **cause)
{
	for (size_t i = 0; i < NMODULES; i++)
		if (modules[i].start && modules[i].start(base, cf, cause) == -1)
			return -1;
	return 0;
}

void
modules_quiesce(void)
{
	for (size_t i = 0; i < NMODULES; i++)
		if (modules[i].quiesce)
			modules[i].quiesce();
}

unsigned
modules_busy(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < NMODULES; i++)
		if (modules[i].busy)
			n += modules[i].busy();
	return n;
}

void
modules_reload(const struct config *cf)
{
	for (size_t i = 0; i < NMODULES; i++)
		if (modules[i].reload)
			modules[i].reload(cf);
}

void
modules_stop(void)
{
	for (size_t i = NMODULES; i > 0; i--)
		if (modules[i - 1].stop)
			modules[i - 1].stop();
}
