/* libFuzzer: MIME parsing (channels/mime.c) and the header checks of
 * channels/mail_thread.c on whatever it extracted. */
#include <stddef.h>
#include <stdint.h>

#include "channels/mail_thread.h"
#include "channels/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct mime_msg m;
	const char *why;
	char tok[MAIL_TOKEN_MAX + 1];

	if (!ready) {
		mime_init();
		ready = 1;
	}
	mime_parse((const char *)data, size, 65536, &m);
	mail_thread_classify(&m, "", &(struct mail_self){ "rxdesk.localhost",
	    NULL, "example.com, example.org", m.to, m.nto }, &why);
	mail_thread_tag(m.subject);
	for (int i = 0; i < m.nto; i++)
		mail_thread_token(m.to[i], tok, sizeof(tok));
	mime_free(&m);
	return 0;
}
