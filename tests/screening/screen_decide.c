/*
 * screen_decide: the lexical screener's decision on each message of a
 * corpus file (JSON lines with "id" and "text", as
 * tests/screening/corpus/<lang>/dev.jsonl), one line each:
 *
 *   id <TAB> ae (0 none, 1 possible, 2 probable) <TAB> complaint (0, 1)
 *
 * For measuring a second signal beside the lexicon
 * (scripts/eval-screening-model) without touching the screener.
 *
 *   screen_decide [--data DIR] FILE...
 * The data folder defaults to $RXDESK_SRCDIR/routing/screening, else the
 * installed one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "routing/screen.h"

int
main(int argc, char **argv)
{
	const char *src = getenv("RXDESK_SRCDIR"), *cause;
	char data[4096];
	int i = 1;

	if (src)
		snprintf(data, sizeof(data), "%s/routing/screening", src);
	else
		snprintf(data, sizeof(data), "%s", screen_default_dir());
	if (argc > 2 && strcmp(argv[1], "--data") == 0) {
		snprintf(data, sizeof(data), "%s", argv[2]);
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: screen_decide [--data DIR] FILE...\n");
		return 2;
	}
	if (screen_load(data, &cause) == -1) {
		fprintf(stderr, "screen_decide: %s: %s\n", data, cause);
		return 1;
	}
	for (; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		char *line = NULL;
		size_t cap = 0;

		if (f == NULL) {
			perror(argv[i]);
			return 1;
		}
		while (getline(&line, &cap, f) > 0) {
			json_t *row = json_loads(line, 0, NULL);
			const char *id, *text;
			struct screen_result r;

			if (row == NULL)
				continue;
			id = json_string_value(json_object_get(row, "id"));
			text = json_string_value(json_object_get(row, "text"));
			if (id && text) {
				screen_text(text, NULL, &r);
				printf("%s\t%d\t%d\n", id, (int)r.ae, r.complaint ? 1 : 0);
			}
			json_decref(row);
		}
		free(line);
		fclose(f);
	}
	screen_free();
	return 0;
}
