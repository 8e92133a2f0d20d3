/*
 * api_ticket: the agents' ticket endpoints (docs/api.md, Tickets):
 *   GET   /api/v1/tickets            list (queue, status, category,
 *                                    agent=me|<id>, customer, cursor, limit)
 *   GET   /api/v1/tickets/{n}        ticket, messages, attachments, customer
 *   PATCH /api/v1/tickets/{n}        status, category, priority, tags,
 *                                    queue, agent
 *   POST  /api/v1/tickets/{n}/notes  internal note
 *   POST  /api/v1/tickets/{n}/replies reply to the customer
 *   GET   /api/v1/attachments/{id}   download
 * Every route goes through auth_require; what a role may not see answers 404.
 */
#ifndef RX_API_TICKET_H
#define RX_API_TICKET_H

struct event_base;
struct config;

/* Register the routes (and ticket_init); the modules.c init signature. */
int api_ticket_start(struct event_base *, const struct config *,
    const char **cause);

#endif
