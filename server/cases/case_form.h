/*
 * case_form: a new case document from what a ticket holds (rx_case_seed):
 * the customer as the primary reporter, the first message as the
 * narrative, and for an "ae-report" form its fields mapped to the case
 * (patient initials, age, sex, product, lot, reaction, onset, outcome).
 */
#ifndef RX_CASE_FORM_H
#define RX_CASE_FORM_H

typedef struct json_t json_t;

/* A new open case document from SEED (borrowed) for COUNTRY. */
json_t *case_form_doc(const json_t *seed, const char *country);

#endif
