/*
 * screen-known CODE OUT: write language CODE's known stems (its hunspell
 * word list, folded and stemmed as screening does) to OUT, so that
 * rxdeskd reads them at start instead of computing them (screen_data.h).
 * Run by the build for every language with a word list; installed beside
 * the vocabularies.
 */
#include <stdio.h>

#include "routing/screen_data.h"
#include "routing/screen_text.h"

int
main(int argc, char **argv)
{
	const char *cause = NULL;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: screen-known CODE OUT\n");
		return 2;
	}
	rc = screen_data_known_write(argv[1], argv[2], &cause);
	screen_text_langs_clear();
	screen_text_free(NULL);
	if (rc == -1) {
		fprintf(stderr, "screen-known %s: %s\n", argv[1], cause);
		return 1;
	}
	return 0;
}
