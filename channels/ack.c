/* ack: see ack.h. */
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "channels/ack.h"
#include "channels/mail_compose.h"

#define LANG_MAX	8

static const char builtin_en[] =
    "Subject: We have received your request: {{subject}}\n\n"
    "Hello{{name}},\n\nthank you for contacting us. Your request has been "
    "registered under the number {{ticket}}.\n\nThis is an automatic message.\n";

static struct {
	char lang[LANG_MAX];
	char *text;
} tpl[ACK_MAX_LANGS];
static int ntpl;

void
ack_free(void)
{
	while (ntpl > 0)
		free(tpl[--ntpl].text);
}

/* "ack.<lang>.txt" with a lang of 2 or 3 lowercase letters; else 0. */
static int
template_lang(const char *file, char *lang)
{
	size_t n;

	if (strncmp(file, "ack.", 4) != 0)
		return 0;
	file += 4;
	n = strspn(file, "abcdefghijklmnopqrstuvwxyz");
	if (n < 2 || n > 3 || strcmp(file + n, ".txt") != 0)
		return 0;
	memcpy(lang, file, n);
	lang[n] = '\0';
	return 1;
}

static char *
read_small(const char *path)
{
	FILE *f;
	char *buf;
	size_t n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if ((buf = malloc(ACK_MAX_TEMPLATE + 1)) != NULL) {
		n = fread(buf, 1, ACK_MAX_TEMPLATE, f);
		buf[n] = '\0';
	}
	fclose(f);
	return buf;
}

int
ack_load(const char *dir, const char **cause)
{
	char lang[LANG_MAX], path[4096];
	struct dirent *de;
	DIR *d;

	ack_free();
	if ((d = opendir(dir)) == NULL) {
		*cause = "cannot open the templates directory";
		return -1;
	}
	while ((de = readdir(d)) != NULL && ntpl < ACK_MAX_LANGS) {
		if (!template_lang(de->d_name, lang))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((tpl[ntpl].text = read_small(path)) == NULL)
			continue;
		snprintf(tpl[ntpl].lang, sizeof(tpl[ntpl].lang), "%s", lang);
		ntpl++;
	}
	closedir(d);
	return ntpl;
}

/* The template for LANG's primary subtag ("zh-CN" -> "zh"), else en. */
static const char *
template_for(const char *lang)
{
	char want[LANG_MAX];
	size_t n = 0;

	for (; lang && n < sizeof(want) - 1 && isalpha((unsigned char)lang[n]); n++)
		want[n] = (char)tolower((unsigned char)lang[n]);
	want[n] = '\0';
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < ntpl; i++)
			if (strcmp(tpl[i].lang, want) == 0)
				return tpl[i].text;
		snprintf(want, sizeof(want), "en");
	}
	return builtin_en;
}

/* Append TEXT[0..len) to B with the placeholders replaced. */
static void
expand(struct evbuffer *b, const char *text, size_t len, uint64_t n,
    const char *subject, const char *name)
{
	const char *end = text + len, *open;

	while (text < end) {
		for (open = text; open + 1 < end && !(open[0] == '{' && open[1] == '{');)
			open++;
		if (open + 1 >= end) {
			evbuffer_add(b, text, (size_t)(end - text));
			return;
		}
		evbuffer_add(b, text, (size_t)(open - text));
		if ((size_t)(end - open) >= 10 && !memcmp(open, "{{ticket}}", 10)) {
			evbuffer_add_printf(b, "RX-%" PRIu64, n);
			text = open + 10;
		} else if ((size_t)(end - open) >= 11 && !memcmp(open, "{{subject}}", 11)) {
			evbuffer_add_printf(b, "%s", subject ? subject : "");
			text = open + 11;
		} else if ((size_t)(end - open) >= 8 && !memcmp(open, "{{name}}", 8)) {
			if (name && *name)
				evbuffer_add_printf(b, " %s", name);
			text = open + 8;
		} else {
			evbuffer_add(b, "{{", 2);
			text = open + 2;
		}
	}
}

int
ack_render(const char *lang, uint64_t n, const char *subject, const char *name,
    char **subj, char **text)
{
	const char *t = template_for(lang), *body = t, *nl;
	struct evbuffer *bs = evbuffer_new(), *bt = evbuffer_new();

	*subj = *text = NULL;
	if (bs == NULL || bt == NULL) {
		if (bs)
			evbuffer_free(bs);
		if (bt)
			evbuffer_free(bt);
		return -1;
	}
	if (strncmp(t, "Subject:", 8) == 0 && (nl = strchr(t, '\n')) != NULL) {
		const char *s = t + 8 + strspn(t + 8, " ");
		expand(bs, s, (size_t)(nl - s), n, subject, name);
		body = nl + 1 + (nl[1] == '\n');
	}
	expand(bt, body, strlen(body), n, subject, name);
	*subj = mail_compose_take(bs);
	*text = mail_compose_take(bt);
	if (*subj == NULL || *text == NULL) {
		free(*subj);
		free(*text);
		*subj = *text = NULL;
		return -1;
	}
	return 0;
}
