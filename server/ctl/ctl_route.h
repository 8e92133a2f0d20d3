/*
 * ctl_route: "rxdeskctl route explain TEXT-OR-TICKET": which triage rule
 * matched and why (routing/triage.h), for a text or for a stored ticket's
 * first customer message ("RX-17" or --ticket 17); for a ticket also the
 * screening stored with each inbound message and the decisions on its flags.
 */
#ifndef RX_CTL_ROUTE_H
#define RX_CTL_ROUTE_H

/* The command; see server/ctl/ctl.h for the contract. */
int ctl_route_explain(int argc, char **argv);

#endif
