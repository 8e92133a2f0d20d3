/*
 * case_protect: the last step before an interaction is stored (the core's
 * ingest_set_protect hook). A form's patient fields ("patient_*", as the
 * ae-report form has them) are sealed in the interaction's fields
 * (case_crypt.h) and masked, byte for byte, in its text, so that the
 * screening's offsets into the text still hold and no patient value
 * reaches Redis in clear. The case opened from the form opens them again.
 */
#ifndef RX_CASE_PROTECT_H
#define RX_CASE_PROTECT_H

struct interaction;

/* Seal and mask IN's patient fields (nothing without a key). The strings
 * set stay valid until the next call. */
void case_protect_interaction(struct interaction *in);
/* Free what the last call kept. */
void case_protect_free(void);

#endif
