/*
 * ctl_route: "rxdeskctl route explain TEXT-OR-TICKET": which triage rule
 * matched and why (routing/triage.h), for a text or for a stored ticket's
 * first customer message.
 */
#ifndef RX_CTL_ROUTE_H
#define RX_CTL_ROUTE_H

/* The command; see server/ctl/ctl.h for the contract. */
int ctl_route_explain(int argc, char **argv);

#endif
