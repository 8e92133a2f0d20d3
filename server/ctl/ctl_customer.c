/*
 * rxdeskctl customer import / export: the CSV format
 *   type,name,organisation,specialty,region,emails,phones,external_ids
 * with several values in one field separated by ';' and external ids as
 * scheme:value. Import checks and normalises each row here (so a rejection
 * names its line and reason before Redis is asked), then sends the rows
 * to rx_customer_upsert with up to IMPORT_INFLIGHT of them in flight on the
 * one connection: Redis runs them in file order, so a later row sees what
 * an earlier one created.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "server/core/config.h"
#include "server/customer/csv.h"
#include "server/ctl/ctl.h"
#include "server/customer/ident.h"
#include "server/core/log.h"
#include "server/customer/phone.h"
#include "server/store/store_customer.h"

#define IMPORT_INFLIGHT	256
#define IMPORT_FILE_MAX	(1024L * 1024 * 1024)
#define IMPORT_VALUES_MAX 16	/* emails, phones or ids in one field */
#define EXPORT_PAGE	500
#define PROGRESS_MS	100
#define REASON_MAX	256

enum { COL_TYPE, COL_NAME, COL_ORG, COL_SPECIALTY, COL_REGION, COL_EMAILS,
	COL_PHONES, COL_EXT, NCOLS };
static const char *const columns[NCOLS] = { "type", "name", "organisation",
	"specialty", "region", "emails", "phones", "external_ids" };

struct reject {
	size_t line;
	char *reason;
};

/* Identities seen so far in the file, to find two rows of one customer. */
struct seen {
	char *key;
	size_t line;
};

static struct {
	char *text;
	size_t len;
	struct csv_reader rd;
	struct csv_record *rec;
	int col[NCOLS];		/* our column -> the file's field index */
	size_t nfields;
	int eof, stopped, tty;
	unsigned inflight;
	size_t rows, created, updated, unchanged, conflicts;
	struct reject *rejects;
	size_t nrejects, cap;
	struct seen *seen;
	size_t nseen, seencap;	/* seencap: a power of two */
	struct timeval shown;
} I;

static void import_pump(void);

static void
reject(size_t line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reject(size_t line, const char *fmt, ...)
{
	va_list ap;
	char buf[REASON_MAX + 64];

	if (I.nrejects == I.cap) {
		size_t cap = I.cap ? I.cap * 2 : 64;
		struct reject *r = realloc(I.rejects, cap * sizeof(*r));
		if (r == NULL)
			return;
		I.rejects = r;
		I.cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	I.rejects[I.nrejects].line = line;
	I.rejects[I.nrejects++].reason = strdup(buf);
}

static int
read_file(const char *path)
{
	FILE *f;
	struct stat st;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		fprintf(stderr, "rxdeskctl: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (st.st_size > IMPORT_FILE_MAX || (I.text = malloc((size_t)st.st_size + 1)) == NULL) {
		fprintf(stderr, "rxdeskctl: %s: too large\n", path);
		fclose(f);
		return -1;
	}
	I.len = fread(I.text, 1, (size_t)st.st_size, f);
	fclose(f);
	I.text[I.len] = '\0';
	return 0;
}

static void
trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

/* The header names our columns, in any order, each once. */
static int
read_header(void)
{
	const char *cause;
	int rc = csv_read(&I.rd, I.rec, &cause);

	if (rc != 1) {
		fprintf(stderr, "rxdeskctl: no header row (%s)\n", rc == 0 ?
		    "empty file" : cause);
		return -1;
	}
	for (int c = 0; c < NCOLS; c++)
		I.col[c] = -1;
	for (size_t i = 0; i < I.rec->nfields; i++) {
		int c;

		trim(I.rec->field[i]);
		for (c = 0; c < NCOLS; c++)
			if (strcasecmp(I.rec->field[i], columns[c]) == 0)
				break;
		if (c == NCOLS || I.col[c] != -1) {
			fprintf(stderr, "rxdeskctl: header: %s column \"%s\"\n",
			    c == NCOLS ? "unknown" : "repeated", I.rec->field[i]);
			return -1;
		}
		I.col[c] = (int)i;
	}
	for (int c = 0; c < NCOLS; c++)
		if (I.col[c] == -1) {
			fprintf(stderr, "rxdeskctl: header: no \"%s\" column\n",
			    columns[c]);
			return -1;
		}
	I.nfields = I.rec->nfields;
	return 0;
}

static size_t
seen_slot(const struct seen *tab, size_t cap, const char *key)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */
	size_t i;

	for (const unsigned char *k = (const unsigned char *)key; *k; k++)
		h = (h ^ *k) * 1099511628211ULL;
	for (i = h & (cap - 1); tab[i].key && strcmp(tab[i].key, key) != 0;
	    i = (i + 1) & (cap - 1))
		;
	return i;
}

static int
seen_grow(void)
{
	size_t cap = I.seencap ? I.seencap * 2 : 1024;
	struct seen *tab = calloc(cap, sizeof(*tab));

	if (tab == NULL)
		return -1;
	for (size_t i = 0; i < I.seencap; i++)
		if (I.seen[i].key)
			tab[seen_slot(tab, cap, I.seen[i].key)] = I.seen[i];
	free(I.seen);
	I.seen = tab;
	I.seencap = cap;
	return 0;
}

/* The line that first had identity KEY, or 0 after noting it for LINE. */
static size_t
seen_check(const char *key, size_t line)
{
	size_t i;

	if (I.nseen * 2 >= I.seencap && seen_grow() == -1)
		return 0;
	i = seen_slot(I.seen, I.seencap, key);
	if (I.seen[i].key)
		return I.seen[i].line == line ? 0 : I.seen[i].line;
	if ((I.seen[i].key = strdup(key)) == NULL)
		return 0;
	I.seen[i].line = line;
	I.nseen++;
	return 0;
}

static void
seen_free(void)
{
	for (size_t i = 0; i < I.seencap; i++)
		free(I.seen[i].key);
	free(I.seen);
}

/*
 * Each customer is on one row: a row sharing an identity with an earlier
 * one would make the two rows overwrite each other at every run. And a row
 * needs an identity, or a second run could not find what the first made.
 */
static int
row_unique(json_t *row, size_t line, char *why, size_t whylen)
{
	static const char *const kinds[] = { "email", "phone", "ext" };
	static const char *const lists[] = { "emails", "phones", "ext" };
	char key[IDENT_EMAIL_MAX + IDENT_VALUE_MAX + 16];
	size_t i, n = 0, first;
	json_t *v;

	for (int k = 0; k < 3; k++)
		json_array_foreach(json_object_get(row, lists[k]), i, v) {
			if (k < 2)
				snprintf(key, sizeof(key), "%s:%s", kinds[k],
				    json_string_value(v));
			else
				snprintf(key, sizeof(key), "ext:%s:%s",
				    json_string_value(json_array_get(v, 0)),
				    json_string_value(json_array_get(v, 1)));
			n++;
			if ((first = seen_check(key, line)) != 0) {
				snprintf(why, whylen, "%.160s is also on line %zu (one "
				    "row per customer)", key, first);
				return -1;
			}
		}
	if (n == 0) {
		snprintf(why, whylen, "no email, phone or external id to "
		    "match the customer by");
		return -1;
	}
	return 0;
}

static void
add_unique(json_t *list, json_t *v)
{
	size_t i;
	json_t *x;

	json_array_foreach(list, i, x)
		if (json_equal(x, v)) {
			json_decref(v);
			return;
		}
	json_array_append_new(list, v);
}

/* Normalise one ';'-separated value of column C into the row. */
static int
add_ident(json_t *row, int c, const char *v, char *why, size_t whylen)
{
	char a[IDENT_EMAIL_MAX], b[IDENT_VALUE_MAX];
	const char *cause;

	if (c == COL_EMAILS) {
		if (ident_email(v, a, sizeof(a), &cause) == -1)
			goto bad;
		add_unique(json_object_get(row, "emails"), json_string(a));
	} else if (c == COL_PHONES) {
		char ext[PHONE_EXT_MAX + 1];

		if (phone_normalize_ext(v, ctl_config()->default_country, a,
		    sizeof(a), ext, sizeof(ext), &cause) == -1)
			goto bad;
		add_unique(json_object_get(row, "phones"), json_string(a));
		if (*ext)	/* the number is the identity, its extension beside it */
			json_object_set_new(json_object_get(row, "phone_exts"), a,
			    json_string(ext));
	} else {
		if (ident_ext_parse(v, a, IDENT_SCHEME_MAX, b, sizeof(b),
		    &cause) == -1)
			goto bad;
		add_unique(json_object_get(row, "ext"), json_pack("[ss]", a, b));
	}
	return 0;
bad:
	snprintf(why, whylen, "%s: \"%.64s\": %s", columns[c], v, cause);
	return -1;
}

static int
add_idents(json_t *row, int c, char *field, char *why, size_t whylen)
{
	char *v, *save = NULL;
	int n = 0;

	for (v = strtok_r(field, ";", &save); v; v = strtok_r(NULL, ";", &save)) {
		trim(v);
		if (*v == '\0')
			continue;
		if (++n > IMPORT_VALUES_MAX) {
			snprintf(why, whylen, "%s: more than %d values", columns[c],
			    IMPORT_VALUES_MAX);
			return -1;
		}
		if (add_ident(row, c, v, why, whylen) == -1)
			return -1;
	}
	return 0;
}

static int
check_type(char *t, char *why, size_t whylen)
{
	static const char *const types[] = { "", "hcp", "hco", "pharmacy",
	    "patient", "other" };

	for (char *s = t; *s; s++)
		*s = (char)tolower((unsigned char)*s);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i]) == 0)
			return 0;
	snprintf(why, whylen, "type: \"%.32s\" is not one of hcp, hco, "
	    "pharmacy, patient, other", t);
	return -1;
}

/* The record as rx_customer_upsert reads it, or NULL with WHY. */
static json_t *
row_build(struct csv_record *rec, char *why, size_t whylen)
{
	json_t *row, *fields;

	if (rec->nfields != I.nfields) {
		snprintf(why, whylen, "%zu fields where the header has %zu",
		    rec->nfields, I.nfields);
		return NULL;
	}
	for (size_t i = 0; i < rec->nfields; i++)
		trim(rec->field[i]);
	if (check_type(rec->field[I.col[COL_TYPE]], why, whylen) == -1)
		return NULL;
	fields = json_object();
	for (int c = COL_TYPE; c <= COL_REGION; c++)
		if (rec->field[I.col[c]][0] != '\0')
			json_object_set_new(fields, columns[c],
			    json_string(rec->field[I.col[c]]));
	row = json_pack("{s:o, s:[], s:[], s:[], s:{}, s:s}", "fields", fields,
	    "emails", "phones", "ext", "phone_exts", "actor", "import");
	for (int c = COL_EMAILS; c <= COL_EXT; c++)
		if (add_idents(row, c, rec->field[I.col[c]], why, whylen) == -1) {
			json_decref(row);
			return NULL;
		}
	if (row_unique(row, rec->line, why, whylen) == -1) {
		json_decref(row);
		return NULL;
	}
	return row;
}

static void
progress(int last)
{
	struct timeval now;
	int width = 40, done, pct;

	if (!I.tty)
		return;
	gettimeofday(&now, NULL);
	if (!last && (now.tv_sec - I.shown.tv_sec) * 1000 +
	    (now.tv_usec - I.shown.tv_usec) / 1000 < PROGRESS_MS)
		return;
	I.shown = now;
	pct = I.len ? (int)(I.rd.pos * 100 / I.len) : 100;
	done = pct * width / 100;
	fprintf(stderr, "\r[%.*s%*s] %3d%% %zu rows", done,
	    "########################################", width - done, "", pct,
	    I.rows);
	if (last)
		fputc('\n', stderr);
}

static int
cmp_reject(const void *a, const void *b)
{
	const struct reject *x = a, *y = b;

	return x->line < y->line ? -1 : x->line > y->line;
}

static void
import_done(void)
{
	progress(1);
	if (I.nrejects > 0)
		qsort(I.rejects, I.nrejects, sizeof(*I.rejects), cmp_reject);
	for (size_t i = 0; i < I.nrejects; i++) {
		printf("line %zu: %s\n", I.rejects[i].line, I.rejects[i].reason ?
		    I.rejects[i].reason : "out of memory");
		free(I.rejects[i].reason);
	}
	if (I.conflicts)
		printf("%zu identities were left with the customer that already "
		    "had them\n", I.conflicts);
	printf("%zu rows: %zu created, %zu updated, %zu unchanged, %zu rejected"
	    "%s\n", I.rows, I.created, I.updated, I.unchanged, I.nrejects,
	    I.stopped ? " (stopped: the store is unavailable)" : "");
	fflush(stdout);
	free(I.rejects);
	seen_free();
	free(I.rec);
	free(I.text);
	ctl_finish(I.stopped || I.nrejects ? 1 : 0);
}

static void
on_upsert(json_t *res, const char *err, void *arg)
{
	size_t line = (size_t)(uintptr_t)arg, i;
	const char *r, *code;
	char msg[REASON_MAX];
	json_t *c;

	I.inflight--;
	if (err) {
		store_customer_error(err, &code, msg, sizeof(msg));
		reject(line, "%s", msg);
		if (strcmp(code, "unavailable") == 0)
			I.stopped = 1;
	} else if ((r = json_string_value(json_object_get(res, "result"))) == NULL)
		reject(line, "bad answer from the store");
	else {
		I.created += strcmp(r, "created") == 0;
		I.updated += strcmp(r, "updated") == 0;
		I.unchanged += strcmp(r, "unchanged") == 0;
		json_array_foreach(json_object_get(res, "conflicts"), i, c) {
			printf("line %zu: warning: %s\n", line, json_string_value(c));
			I.conflicts++;
		}
	}
	import_pump();
}

/* Keep IMPORT_INFLIGHT rows in flight until the file ends. */
static void
import_pump(void)
{
	char why[REASON_MAX];
	const char *cause;
	json_t *row;
	int rc;

	while (!I.eof && !I.stopped && I.inflight < IMPORT_INFLIGHT) {
		if ((rc = csv_read(&I.rd, I.rec, &cause)) == 0) {
			I.eof = 1;
			break;
		}
		I.rows++;
		if (rc == -1) {
			reject(I.rec->line, "%s", cause);
			continue;
		}
		if ((row = row_build(I.rec, why, sizeof(why))) == NULL) {
			reject(I.rec->line, "%s", why);
			continue;
		}
		rc = store_customer_upsert(row, on_upsert,
		    (void *)(uintptr_t)I.rec->line);
		json_decref(row);
		if (rc == -1) {
			reject(I.rec->line, "the store is unavailable");
			I.stopped = 1;
			break;
		}
		I.inflight++;
	}
	progress(0);
	if ((I.eof || I.stopped) && I.inflight == 0)
		import_done();
}

int
ctl_customer_import(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: rxdeskctl customer import FILE.csv\n");
		return 2;
	}
	memset(&I, 0, sizeof(I));
	if (read_file(argv[1]) == -1)
		return 1;
	if ((I.rec = malloc(sizeof(*I.rec))) == NULL) {
		free(I.text);
		return 1;
	}
	csv_reader_init(&I.rd, I.text, I.len);
	if (read_header() == -1) {
		free(I.rec);
		free(I.text);
		return 1;
	}
	I.tty = isatty(STDERR_FILENO);
	import_pump();
	return 0;
}

/* --- export ------------------------------------------------------------ */

/* Append V to the ';'-list in the stream F. */
static void
list_add(FILE *f, const char *v)
{
	if (ftell(f) > 0)
		fputc(';', f);
	fputs(v, f);
}

static void
export_one(json_t *c)
{
	static const char *const kinds[] = { "email:", "phone:", "ext:" };
	char *list[3] = { NULL, NULL, NULL };
	size_t len[3], i;
	FILE *f[3];
	const char *fields[NCOLS];
	json_t *id;

	for (int k = COL_TYPE; k <= COL_REGION; k++) {
		fields[k] = json_string_value(json_object_get(c, columns[k]));
		if (fields[k] == NULL)
			fields[k] = "";
	}
	for (int k = 0; k < 3; k++)
		if ((f[k] = open_memstream(&list[k], &len[k])) == NULL)
			log_fatalx("rxdeskctl: out of memory");
	json_array_foreach(json_object_get(c, "identities"), i, id) {
		const char *s = json_string_value(id);
		for (int k = 0; s && k < 3; k++)
			if (strncmp(s, kinds[k], strlen(kinds[k])) == 0)
				list_add(f[k], s + strlen(kinds[k]));
	}
	for (int k = 0; k < 3; k++) {
		fclose(f[k]);
		fields[COL_EMAILS + k] = list[k];
	}
	csv_write(stdout, fields, NCOLS);
	for (int k = 0; k < 3; k++)
		free(list[k]);
}

static void
on_export(json_t *res, const char *err, void *arg)
{
	const char *next, *code;
	char msg[REASON_MAX];
	size_t i;
	json_t *c;

	if (err) {
		store_customer_error(err, &code, msg, sizeof(msg));
		fprintf(stderr, "rxdeskctl: export: %s\n", msg);
		ctl_finish(1);
		return;
	}
	json_array_foreach(json_object_get(res, "customers"), i, c)
		export_one(c);
	if ((next = json_string_value(json_object_get(res, "next"))) != NULL) {
		if (store_customer_export(next, EXPORT_PAGE, on_export, NULL) == 0)
			return;
		fprintf(stderr, "rxdeskctl: export: the store is unavailable\n");
		ctl_finish(1);
		return;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "rxdeskctl: export: %s\n", strerror(errno));
		ctl_finish(1);
		return;
	}
	ctl_finish(0);
}

int
ctl_customer_export(int argc, char **argv)
{
	const char *header[NCOLS];

	if (argc != 1) {
		fprintf(stderr, "usage: rxdeskctl customer export\n");
		return 2;
	}
	for (int c = 0; c < NCOLS; c++)
		header[c] = columns[c];
	csv_write(stdout, header, NCOLS);
	if (store_customer_export(NULL, EXPORT_PAGE, on_export, NULL) == -1) {
		fprintf(stderr, "rxdeskctl: export: the store is unavailable\n");
		return 1;
	}
	return 0;
}
