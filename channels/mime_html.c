/* mime_html: HTML reduced to readable text with libxml2 (see mime.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "channels/mime.h"
#include "server/core/log.h"

#define HTML_MAX_DEPTH	128	/* deeper nodes are skipped, not followed */

struct out {
	char *buf;
	size_t len, cap;
	int space;		/* a blank is pending */
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;

		while (o->len + n + 1 > cap)
			cap *= 2;
		if ((o->buf = realloc(o->buf, cap)) == NULL)
			log_fatalx("mime: out of memory");
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Collapse runs of white space to one blank, as a browser does. */
static void
put_text(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (strchr(" \t\r\n\f\v", *s)) {
			o->space = 1;
			continue;
		}
		if (o->space && o->len && o->buf[o->len - 1] != '\n')
			put(o, " ", 1);
		o->space = 0;
		put(o, s, 1);
	}
}

/* End the line, keeping at most one empty line between blocks. */
static void
trim(struct out *o)
{
	while (o->len && o->buf[o->len - 1] == ' ')
		o->buf[--o->len] = '\0';
}

static void
put_break(struct out *o, int blank)
{
	o->space = 0;
	trim(o);
	if (o->len == 0)
		return;
	if (o->buf[o->len - 1] != '\n')
		put(o, "\n", 1);
	if (blank && (o->len < 2 || o->buf[o->len - 2] != '\n'))
		put(o, "\n", 1);
}

static int
is_named(const xmlNode *n, const char *const *names)
{
	for (; *names; names++)
		if (xmlStrcasecmp(n->name, (const xmlChar *)*names) == 0)
			return 1;
	return 0;
}

static void
walk(const xmlNode *n, struct out *o, int depth)
{
	static const char *const skip[] = { "script", "style", "head", "title",
	    "noscript", "template", NULL };
	static const char *const blocks[] = { "p", "div", "h1", "h2", "h3", "h4",
	    "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "section",
	    "article", "header", "footer", "hr", NULL };
	static const char *const lines[] = { "br", "li", "tr", "dt", "dd", NULL };

	if (depth > HTML_MAX_DEPTH)
		return;
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				put_text(o, (const char *)n->content);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || is_named(n, skip))
			continue;
		if (is_named(n, blocks))
			put_break(o, 1);
		else if (is_named(n, lines))
			put_break(o, 0);
		if (xmlStrcasecmp(n->name, (const xmlChar *)"li") == 0)
			put(o, "- ", 2);
		walk(n->children, o, depth + 1);
		if (is_named(n, blocks))
			put_break(o, 1);
		else if (xmlStrcasecmp(n->name, (const xmlChar *)"td") == 0)
			put(o, " ", 1);
	}
}

char *
mime_html_text(const char *html, size_t len)
{
	struct out o = { NULL, 0, 0, 0 };
	htmlDocPtr doc;

	put(&o, "", 0);
	if (len > INT32_MAX)
		len = INT32_MAX;
	doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", HTML_PARSE_RECOVER |
	    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc) {
		walk(xmlDocGetRootElement(doc), &o, 0);
		xmlFreeDoc(doc);
	}
	while (o.len && (o.buf[o.len - 1] == '\n' || o.buf[o.len - 1] == ' '))
		o.buf[--o.len] = '\0';
	return o.buf;
}
