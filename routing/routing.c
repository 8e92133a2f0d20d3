/* routing: see routing.h. */
#include "routing/routing.h"
#include "routing/triage.h"

void
routing_config(void)
{
	triage_config();
}

int
routing_init(struct event_base *base, const struct config *cf,
    const char **cause)
{
	(void)base;
	(void)cause;
	triage_commit(cf);
	return 0;
}

void
routing_reload(const struct config *cf)
{
	triage_commit(cf);
}

void
routing_stop(void)
{
	triage_free();
}
