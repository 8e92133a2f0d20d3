/*
 * api_screening: a person's decision on a screening flag (docs/api.md,
 * Tickets; docs/screening.md, Feedback):
 *   POST /api/v1/tickets/{n}/screening  {"flag":"ae"|"complaint",
 *        "decision":"confirm"|"reject","reason":"...","message":"<log id>"}
 * Whoever may see the ticket may decide (FCALL rx_screening_decide in
 * server/store/lua/screening.lua); the decision is audited, logged on the
 * ticket and published as ticket.updated. A cookie session must come from
 * the console's own origin.
 */
#ifndef RX_API_SCREENING_H
#define RX_API_SCREENING_H

struct config;

/* Register the route; called by api_ticket_start. */
void api_screening_start(const struct config *);

#endif
