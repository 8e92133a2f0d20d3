/*
 * case_doc: an adverse event case as the JSON document docs/safety.md
 * shows (the shape the E2B writer reads): checking and applying a change,
 * computing validity (the four minimum criteria), Day 0 and the deadlines,
 * sealing the patient-identifying values for storage (case_crypt.h), and
 * listing what changed for the audit stream. All of it is plain data work:
 * no Redis, no HTTP.
 */
#ifndef RX_CASE_DOC_H
#define RX_CASE_DOC_H

#include <stdint.h>

typedef struct json_t json_t;

/* Shown in the audit stream instead of a sealed value. */
#define CASE_DOC_PROTECTED	"[protected]"

/* A new draft case for COUNTRY, received at RECEIVED (ms): every member of
 * the shape present, empty. New reference. */
json_t *case_doc_new(const char *country, int64_t received);
/*
 * Check PATCH (an object of case fields: country, patient, reporters,
 * products, reactions, seriousness, narrative, status, reason, master,
 * duplicate_of, complaint) and apply it to DOC. Lists replace lists,
 * objects (patient, seriousness) merge. 0, or -1 with *FIELD and *CAUSE
 * (DOC may then be partly changed: work on a copy).
 */
int case_doc_apply(json_t *doc, json_t *patch, const char **field,
    const char **cause);
/*
 * Compute validity, Day 0 (the receipt time, LATEST, of the interaction
 * that completed the minimum criteria), status draft/valid (a forwarded
 * or closed case keeps its status), the deadlines and the follow-ups'
 * own deadlines, and set "updated" to NOW.
 */
void case_doc_compute(json_t *doc, int64_t latest, int64_t now);
/* Attach ticket N received at RECEIVED as a follow-up with its own clock. */
void case_doc_followup(json_t *doc, int64_t n, int64_t received);
/* Seal every patient-identifying value of DOC in place; -1 without a key. */
int case_doc_seal(json_t *doc);
/* Open every sealed value of DOC in place; -1 with *CAUSE. */
int case_doc_unseal(json_t *doc, const char **cause);
/* A keyed digest of the patient (initials, age, sex), the first suspect
 * product and the first reaction, lower-cased, for finding duplicates;
 * "" when the case has none of them. */
void case_doc_fingerprint(const json_t *doc, char out[33]);
/* What changed from OLD to NEW (both open): an array of {field, old, new},
 * sealed members shown as CASE_DOC_PROTECTED. New reference. */
json_t *case_doc_changes(const json_t *old, const json_t *new);

#endif
