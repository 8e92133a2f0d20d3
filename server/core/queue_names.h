/*
 * queue_names: the queues a configuration defines, so that a module that
 * names a queue (a form, a mailbox in smtp.queues) can be checked against
 * them without calling routing. Routing fills the table from its "[queue
 * NAME]" sections and routing.default_queue each time it checks, starts or
 * reloads; the channels check their names in their own check and start
 * steps, which run after routing's (server/core/modules.c).
 */
#ifndef RX_QUEUE_NAMES_H
#define RX_QUEUE_NAMES_H

#define QUEUE_NAMES_MAX	160

/* Forget every name; PATH (may be NULL) is the configuration file named in
 * messages. */
void queue_names_reset(const char *path);
/* Declare NAME a defined queue (copied); a full table ignores the rest. */
void queue_names_add(const char *name);
/* 1 if NAME was declared. */
int queue_names_known(const char *name);
/*
 * 0 if NAME is a defined queue, else -1 with *CAUSE set to a message that
 * names the file, WHERE (for example "[form ae-report] queue") and the
 * queues that exist. *CAUSE points into a static buffer, valid until the
 * next call.
 */
int queue_names_check(const char *name, const char *where, const char **cause);

#endif
