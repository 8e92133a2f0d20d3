/*
 * libFuzzer harness for server/customer/csv.c: read every record of the input; each
 * one written back with csv_write must read back as the same fields. Run:
 *   tests/fuzz/fuzz_csv -dict=../tests/fuzz/csv.dict ../tests/fuzz/corpus/csv
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/customer/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct csv_record rec, back;

static void
round_trip(void)
{
	const char *fields[CSV_FIELDS_MAX], *cause;
	struct csv_reader r;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	for (size_t i = 0; i < rec.nfields; i++)
		fields[i] = rec.field[i];
	if ((f = open_memstream(&buf, &len)) == NULL)
		return;
	/* A first line, so that a field starting with a byte-order mark is
	 * not taken for the file's own. */
	fputs("x\r\n", f);
	csv_write(f, fields, rec.nfields);
	fclose(f);
	csv_reader_init(&r, buf, len);
	if (csv_read(&r, &back, &cause) != 1)
		abort();
	/* A record of one empty field writes as a blank line, which is skipped. */
	if (rec.nfields == 1 && rec.field[0][0] == '\0') {
		free(buf);
		return;
	}
	if (csv_read(&r, &back, &cause) != 1 || back.nfields != rec.nfields)
		abort();
	for (size_t i = 0; i < rec.nfields; i++)
		if (strcmp(back.field[i], rec.field[i]) != 0)
			abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader r;
	const char *cause;
	int rc, n = 0;

	csv_reader_init(&r, (const char *)data, size);
	while ((rc = csv_read(&r, &rec, &cause)) != 0 && n++ < 100000)
		if (rc == 1)
			round_trip();
	return 0;
}
