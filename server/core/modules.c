/* modules: see modules.h. */
#include <stdio.h>

#include "channels/outbox.h"
#include "channels/smtp.h"
#include "channels/webform.h"
#include "routing/routing.h"
#include "server/api/agentws.h"
#include "server/api/api_customer.h"
#include "server/api/api_ticket.h"
#include "server/auth/auth.h"
#include "server/core/config.h"
#include "server/core/events.h"
#include "server/core/modules.h"
#include "server/api/static.h"
#include "server/core/status.h"
#include "server/store/store.h"
#include "server/core/ws.h"

struct module {
	const char *name;
	void (*config)(void);
	int (*check)(const struct config *, char *, size_t);
	int (*init)(struct event_base *, const struct config *, const char **);
	void (*quiesce)(void);
	unsigned (*busy)(void);
	void (*reload)(const struct config *);
	void (*stop)(void);
};

static int
status_start(struct event_base *base, const struct config *cf, const char **cause)
{
	status_init();
	return 0;
}

static int
store_start(struct event_base *base, const struct config *cf, const char **cause)
{
	store_init(cf);
	return 0;
}

static int
static_start(struct event_base *base, const struct config *cf, const char **cause)
{
	static_init(cf);
	return 0;
}

static int
ws_start(struct event_base *base, const struct config *cf, const char **cause)
{
	ws_init(base, cf);
	return 0;
}

static int
events_start(struct event_base *base, const struct config *cf, const char **cause)
{
	events_init();
	return 0;
}

/* In start order; stopped in reverse. */
static const struct module modules[] = {
	{ "status", NULL, NULL, status_start, NULL, NULL, NULL, NULL },
	{ "store", NULL, NULL, store_start, NULL, NULL, NULL, NULL },
	{ "static", NULL, NULL, static_start, NULL, NULL, NULL, static_free },
	{ "auth", NULL, auth_check, auth_start, NULL, auth_busy, NULL, auth_stop },
	{ "tickets", NULL, NULL, api_ticket_start, NULL, NULL, NULL, NULL },
	{ "api_customer", NULL, api_customer_check, api_customer_start, NULL, NULL,
	    api_customer_reload, NULL },
	{ "routing", routing_config, NULL, routing_init, NULL, NULL, routing_reload,
	    routing_stop },
	{ "webform", webform_register_config, webform_check, webform_init, NULL,
	    webform_busy, webform_reload, webform_stop },
	{ "outbox", NULL, outbox_check, outbox_start, outbox_quiesce, outbox_busy, NULL, outbox_stop },
	{ "smtp", NULL, smtp_check, smtp_start, smtp_quiesce, smtp_busy, smtp_reload,
	    smtp_stop },
	{ "events", NULL, NULL, events_start, NULL, NULL, NULL, NULL },
	{ "ws", NULL, NULL, ws_start, ws_quiesce, NULL, ws_reload, ws_shutdown },
	{ "agentws", NULL, NULL, agentws_start, NULL, NULL, NULL, agentws_stop },
};
#define NMODULES (sizeof(modules) / sizeof(modules[0]))

void
modules_register_config(void)
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
modules_init(struct event_base *base, const struct config *cf, const char **cause)
{
	for (size_t i = 0; i < NMODULES; i++)
		if (modules[i].init && modules[i].init(base, cf, cause) == -1)
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
