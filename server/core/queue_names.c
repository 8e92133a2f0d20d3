/* queue_names: see queue_names.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/queue_names.h"

static struct {
	char *names[QUEUE_NAMES_MAX];
	int n;
	char path[256];
	char msg[640];
} Q;

void
queue_names_reset(const char *path)
{
	for (int i = 0; i < Q.n; i++)
		free(Q.names[i]);
	Q.n = 0;
	snprintf(Q.path, sizeof(Q.path), "%s", path && *path ? path :
	    "the configuration");
}

void
queue_names_add(const char *name)
{
	if (name == NULL || *name == '\0' || queue_names_known(name) ||
	    Q.n == QUEUE_NAMES_MAX)
		return;
	if ((Q.names[Q.n] = strdup(name)) != NULL)
		Q.n++;
}

int
queue_names_known(const char *name)
{
	for (int i = 0; name && i < Q.n; i++)
		if (strcmp(Q.names[i], name) == 0)
			return 1;
	return 0;
}

int
queue_names_check(const char *name, const char *where, const char **cause)
{
	size_t len;

	if (queue_names_known(name))
		return 0;
	len = (size_t)snprintf(Q.msg, sizeof(Q.msg), "%s: %s: unknown queue "
	    "\"%s\" (define it as [queue %s]; defined:", Q.path[0] ? Q.path :
	    "the configuration", where, name ? name : "", name ? name : "");
	for (int i = 0; i < Q.n && len < sizeof(Q.msg); i++)
		len += (size_t)snprintf(Q.msg + len, sizeof(Q.msg) - len, " %s",
		    Q.names[i]);
	if (len < sizeof(Q.msg))
		snprintf(Q.msg + len, sizeof(Q.msg) - len, ")");
	*cause = Q.msg;
	return -1;
}
