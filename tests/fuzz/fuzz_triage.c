/*
 * libFuzzer harness for triage: language detection, UTF-8 decoding and
 * folding, safety screening (ICU normalisation, word and sentence breaks,
 * stems, cue scopes, the JSON of the hits) and rule matching over customer
 * text (any
 * bytes, valid UTF-8 or not). The first byte picks the channel. Build:
 * ./configure --enable-fuzzing CC=clang; run:
 *   tests/fuzz/fuzz_triage -dict=../tests/fuzz/triage.dict \
 *       ../tests/fuzz/corpus/triage
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "routing/lang.h"
#include "routing/screen.h"
#include "routing/triage.h"
#include "server/core/interaction.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct interaction in;
	char explain[TRIAGE_EXPLAIN_MAX], folded[256];
	char *text;

	if (!ready) {
		const char *cause;
		screen_extra_add(SCREEN_KIND_AE, "fuzz", &cause);
		triage_commit(NULL);
		ready = 1;
	}
	if (size == 0 || (text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	memset(&in, 0, sizeof(in));
	in.channel = (enum channel)(data[0] % (CH_AGENT + 1));
	in.text = text;
	in.subject = text + strlen(text) / 2;
	triage_explain(&in, NULL, explain, sizeof(explain));
	/* The hits' offsets must lie inside the text: the JSON copies them. */
	json_decref(triage_screening_json(&in));
	lang_fold(text, folded, sizeof(folded));
	free(text);
	return 0;
}
