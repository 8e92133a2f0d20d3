/*
 * case_csv: cases as CSV (RFC 4180) for a date range: one line per case,
 * text that a spreadsheet would read as a formula prefixed with a quote.
 */
#ifndef RX_CASE_CSV_H
#define RX_CASE_CSV_H

typedef struct json_t json_t;
struct evbuffer;

/* The header line into OUT. */
void case_csv_header(struct evbuffer *out);
/* One line per open case of ITEMS (an array, borrowed) into OUT. */
void case_csv_rows(struct evbuffer *out, const json_t *items);

#endif
