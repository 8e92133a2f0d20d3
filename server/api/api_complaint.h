/*
 * api_complaint: product complaint records (docs/api.md "Complaints",
 * docs/safety.md): opened from a ticket flagged complaint, read, changed
 * (investigation, reply, the AE review, the link to a case), listed and
 * exported as CSV by product and lot for the quality department.
 */
#ifndef RX_API_COMPLAINT_H
#define RX_API_COMPLAINT_H

struct config;
struct event_base;

/* Register the routes. */
int api_complaint_start(struct event_base *, const struct config *,
    const char **cause);

#endif
