/* mime_flowed: format=flowed text re-joined (RFC 3676), see mime.h. */
#include <stdlib.h>
#include <string.h>

#include "channels/mime.h"
#include "server/core/log.h"

struct line {
	const char *s;		/* the content, quotes and stuffing gone */
	size_t n;
	int depth;		/* quote depth ('>' count) */
	int flowed;		/* ends in a soft line break */
};

/* Read the line at P (N bytes) per RFC 3676 section 4.1-4.5. */
static void
read_line(const char *p, size_t n, int delsp, struct line *l)
{
	l->depth = 0;
	while (n && *p == '>')
		p++, n--, l->depth++;
	if (n && *p == ' ')		/* space-stuffed (4.4) */
		p++, n--;
	/* the signature separator "-- " is never flowed (4.3) */
	l->flowed = n && p[n - 1] == ' ' && !(n == 3 && !memcmp(p, "-- ", 3));
	if (l->flowed && delsp)
		n--;
	l->s = p;
	l->n = n;
}

static void
put(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		while (*len + n + 1 > *cap)
			*cap = *cap ? *cap * 2 : 256;
		if ((*out = realloc(*out, *cap)) == NULL)
			log_fatalx("mime: out of memory");
	}
	memcpy(*out + *len, s, n);
	*len += n;
	(*out)[*len] = '\0';
}

char *
mime_flowed_text(const char *text, int delsp)
{
	char *out = NULL;
	size_t len = 0, cap = 0;
	const char *p = text, *nl;
	int joining = 0, depth = 0;

	put(&out, &len, &cap, "", 0);
	for (; *p; p = nl + 1) {
		struct line l;

		nl = strchr(p, '\n');
		read_line(p, nl ? (size_t)(nl - p) : strlen(p), delsp, &l);
		/* a paragraph ends at a fixed line or a change of depth (4.5) */
		if (joining && l.depth != depth)
			put(&out, &len, &cap, "\n", 1);
		if (!joining || l.depth != depth) {
			for (int i = 0; i < l.depth; i++)
				put(&out, &len, &cap, ">", 1);
			if (l.depth)
				put(&out, &len, &cap, " ", 1);
		}
		put(&out, &len, &cap, l.s, l.n);
		joining = l.flowed;
		depth = l.depth;
		if (!joining && nl)
			put(&out, &len, &cap, "\n", 1);
		if (nl == NULL)
			break;
	}
	return out;
}
