/*
 * libFuzzer harness for the web form parsers and checks. The first byte
 * picks the encoding (urlencoded, JSON, multipart with boundary "XyZ"),
 * the rest is the body; what parses is then checked against a built-in
 * form. Build: ./configure --enable-fuzzing CC=clang; run:
 *   tests/fuzz/fuzz_form_parse -dict=../tests/fuzz/form_parse.dict \
 *       ../tests/fuzz/corpus/form_parse
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/form_check.h"
#include "channels/form_config.h"
#include "channels/form_parse.h"
#include "channels/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const ctypes[] = {
	"application/x-www-form-urlencoded",
	"application/json",
	"multipart/form-data; boundary=XyZ",
};
static const char *const forms[] = { "contact", "medinfo", "complaint", "ae-report" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct form_data fd;
	struct form_checked ck;
	const char *cause;
	char *body;

	if (!ready) {
		mime_init();
		form_config_commit();
		ready = 1;
	}
	if (size < 1)
		return 0;
	if ((body = malloc(size)) == NULL)
		abort();
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	if (form_parse(ctypes[data[0] % 3], body, size - 1, &fd, &cause) == 0)
		form_check(form_config_find(forms[(data[0] >> 2) % 4]), &fd, "UA", &ck);
	form_parse_free(&fd);
	free(body);
	return 0;
}
