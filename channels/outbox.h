/*
 * outbox: the daemon module that sends the outbox stream
 * (docs/datamodel.md, Outbox). Every node polls with rx_outbox_take (no
 * blocking read: the command connection is shared), composes each job
 * (mail_compose, ack), hands it to mailout's worker threads, and records
 * the outcome with rx_outbox_done: sent, retry later with back-off, or a
 * permanent failure written on the ticket. The store's side is
 * server/store/lua/outbox.lua.
 */
#ifndef RX_OUTBOX_H
#define RX_OUTBOX_H

#include <stddef.h>

struct event_base;
struct config;

/* Check the [mail_out] settings; -1 with ERR set. */
int outbox_check(const struct config *, char *err, size_t errlen);
/* Load the templates and, when a relay is set, start the workers and the
 * poll timer. CF must outlive the module. 0, or -1 with *cause. */
int outbox_start(struct event_base *, const struct config *, const char **cause);
/* Take no new jobs; jobs in flight finish and are recorded. */
void outbox_quiesce(void);
/* Jobs taken by this node and not yet recorded. */
unsigned outbox_busy(void);
/* Join the workers and free everything; unrecorded jobs stay pending in
 * the stream for another node (or the next start) to claim. */
void outbox_stop(void);

#endif
