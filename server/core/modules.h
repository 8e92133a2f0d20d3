/*
 * modules: the list of the daemon's modules and their life cycle. Adding a
 * module is one line in the table in modules.c.
 */
#ifndef RX_MODULES_H
#define RX_MODULES_H

#include <stddef.h>

struct event_base;
struct config;

/* Register config section hooks, before the configuration is read. */
void modules_config(void);
/* Cross-check the configuration (--check-config); -1 with ERR set. */
int modules_check(const struct config *, char *err, size_t errlen);
/* Start every module in order; -1 with *cause at the first failure. */
int modules_start(struct event_base *, const struct config *, const char **cause);
/* Stop taking new work (listeners closed); work in flight continues. */
void modules_quiesce(void);
/* Units of work in flight outside HTTP (SMTP sessions, mail jobs). */
unsigned modules_busy(void);
/* Apply what can change at run time from a freshly loaded configuration. */
void modules_reload(const struct config *);
/* Stop every module in reverse order. */
void modules_stop(void);

#endif
