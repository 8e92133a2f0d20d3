/*
 * csv: RFC 4180 records, read from a buffer and written to a stream. Fields
 * may be quoted ("a ""b""", with commas and line breaks inside); lines end
 * in CRLF or LF; a UTF-8 byte-order mark at the start is skipped; blank
 * lines are skipped. Every record is checked to be UTF-8 and bounded by
 * CSV_FIELDS_MAX and CSV_RECORD_MAX. Pure: no global state.
 */
#ifndef RX_CSV_H
#define RX_CSV_H

#include <stddef.h>
#include <stdio.h>

#define CSV_FIELDS_MAX	64		/* fields in one record */
#define CSV_RECORD_MAX	(64 * 1024)	/* bytes of one record */

/* One record; the fields point into BUF, which the reader owns. */
struct csv_record {
	char *field[CSV_FIELDS_MAX];
	size_t nfields;
	size_t line;		/* line number where the record starts */
	char buf[CSV_RECORD_MAX + CSV_FIELDS_MAX];
};

/* The position of a reader in TEXT (LEN bytes, not necessarily NUL-ended). */
struct csv_reader {
	const char *text;
	size_t len, pos, line;
};

/* Start reading TEXT. */
void csv_reader_init(struct csv_reader *, const char *text, size_t len);
/*
 * Read the next record into REC: 1 on a record, 0 at the end, -1 with
 * *CAUSE (a static reason) for a bad record, which is skipped so that the
 * next call reads the one after it; REC->line tells where it was.
 */
int csv_read(struct csv_reader *, struct csv_record *rec, const char **cause);
/* Write one record of N fields to F, quoting where RFC 4180 requires, CRLF. */
void csv_write(FILE *f, const char *const *fields, size_t n);

#endif
