/*
 * screen_bench: screening alone, per 1 KiB message. Builds 1 KiB messages
 * from the development corpus (each language's messages glued until 1 KiB,
 * cut at a character), screens each many times and prints the median and
 * the 99th percentile in microseconds (bench/case_screen.py makes the row).
 *   bench/screen_bench [--rounds N] [--corpus DIR] [--data DIR]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "routing/screen.h"

#define MSG_BYTES	1024
#define MSGS_MAX	2048

static char *msgs[MSGS_MAX];
static int nmsgs;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Glue the texts of PATH into 1 KiB messages. */
static void
load(const char *path)
{
	char *line = NULL, buf[MSG_BYTES + 1];
	size_t cap = 0, len = 0, n;
	json_t *row;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0 && nmsgs < MSGS_MAX) {
		const char *t;
		if ((row = json_loads(line, 0, NULL)) == NULL)
			continue;
		t = json_string_value(json_object_get(row, "text"));
		for (n = t ? strlen(t) : 0; n > 0 && len < MSG_BYTES;) {
			size_t k = n < MSG_BYTES - len ? n : MSG_BYTES - len;
			while (k > 0 && ((unsigned char)t[k] & 0xc0) == 0x80)
				k--;
			if (k == 0)
				break;
			memcpy(buf + len, t, k);
			len += k;
			buf[len++] = '\n';
			n = 0;
		}
		json_decref(row);
		if (len >= MSG_BYTES - 8) {
			buf[len < MSG_BYTES ? len : MSG_BYTES] = '\0';
			msgs[nmsgs++] = strdup(buf);
			len = 0;
		}
	}
	free(line);
	fclose(f);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	static const char *const langs[] = { "en", "uk", "ru", "zh", NULL };
	const char *src = getenv("RXDESK_SRCDIR"), *cause, *data = NULL;
	char corpus[4096], path[4200];
	int rounds = 20, c, n = 0;
	struct screen_result r;
	double *t;

	snprintf(corpus, sizeof(corpus), "%s/tests/screening/corpus", src ? src : ".");
	while ((c = getopt(argc, argv, "r:c:d:")) != -1) {
		if (c == 'r')
			rounds = atoi(optarg);
		else if (c == 'c')
			snprintf(corpus, sizeof(corpus), "%s", optarg);
		else if (c == 'd')
			data = optarg;
	}
	if (screen_load(data ? data : screen_default_dir(), &cause) == -1) {
		fprintf(stderr, "screen_bench: %s\n", cause);
		return 1;
	}
	for (int i = 0; langs[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s/dev.jsonl", corpus, langs[i]);
		load(path);
	}
	if (nmsgs == 0 || rounds < 1 || (t = calloc((size_t)(nmsgs * rounds), sizeof(double))) == NULL) {
		fprintf(stderr, "screen_bench: no messages in %s\n", corpus);
		return 1;
	}
	for (int k = 0; k < rounds; k++)
		for (int i = 0; i < nmsgs; i++) {
			double t0 = now_us();
			screen_text(msgs[i], NULL, &r);
			t[n++] = now_us() - t0;
		}
	qsort(t, (size_t)n, sizeof(double), cmp);
	printf("messages %d rounds %d bytes %d median_us %.1f p99_us %.1f\n", nmsgs, rounds,
	    MSG_BYTES, t[n / 2], t[n * 99 / 100]);
	free(t);
	for (int i = 0; i < nmsgs; i++)
		free(msgs[i]);
	screen_free();
	return 0;
}
