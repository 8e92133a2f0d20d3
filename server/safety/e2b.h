/*
 * e2b: adverse-event cases as ICH E2B(R3) ICSR XML (HL7 v3), written with
 * libxml2: one MCCI_IN200100UV01 batch holding one PORR_IN049016UV message
 * per case, with the element paths, OIDs and code lists of the FDA's data
 * element table (../shared/reference/e2b). docs/safety.md lists every
 * element emitted. The writer only formats: it reads decrypted case JSON
 * (the shape in docs/safety.md) and never touches the store.
 */
#ifndef RX_E2B_H
#define RX_E2B_H

#include <stddef.h>
#include <stdint.h>

typedef struct json_t json_t;

/* Who sends the batch, and to whom. NULL strings take the defaults. */
struct e2b_sender {
	const char *org;		/* C.3.2 sender's organisation */
	const char *country;		/* ISO 3166-1 alpha-2; the default case country */
	const char *company;		/* short name in worldwide case ids */
	const char *batch_id;		/* N.1.2; NULL: made from company and now */
	int64_t now_ms;			/* N.1.5, N.2.r.4, C.1.2 */
	const char *sender_id;		/* N.1.3, N.2.r.2; NULL: company */
	const char *receiver_id;	/* N.1.4, N.2.r.3; NULL: "EVHUMAN" */
};

/* Longest text of one element (narrative, verbatim): longer is cut at a
 * character boundary, as E2B's field lengths ask. */
#define E2B_TEXT_MAX	100000

/*
 * The batch for CASES (a JSON array of case objects). Returns malloc'd
 * UTF-8 XML, or NULL with *cause (not an array, a case without an id, a
 * libxml2 failure).
 */
char *e2b_batch(json_t *cases, const struct e2b_sender *sender,
    const char **cause);

/* The worldwide unique case id, "COUNTRY-COMPANY-NUMBER", into BUF. */
void e2b_case_id(json_t *c, const struct e2b_sender *sender, char *buf,
    size_t len);

#endif
