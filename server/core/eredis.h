/*
 * eredis: the embedded Redis. With no redis.url, rxdeskd runs redis-server
 * as its child on a unix socket under server.data_dir, with the AOF fsynced
 * as redis.appendfsync says, restarts it if it dies, and stops it on exit.
 */
#ifndef RX_EREDIS_H
#define RX_EREDIS_H

#include <stddef.h>

struct event_base;
struct config;

/* Start redis-server; write the URL to reach it into URL. 0, or -1 with *cause. */
int eredis_start(struct event_base *, const struct config *, char *url,
    size_t urllen, const char **cause);
/* Stop it (SIGTERM, then SIGKILL after a bound) and wait for it. */
void eredis_stop(void);

#endif
