/*
 * mime: one received mail, parsed with GMime into plain UTF-8 strings and
 * decoded attachments. The only file that includes GMime. Parsing never
 * fails on bad input: whatever cannot be understood is kept as text and the
 * message is marked malformed so that a person looks at it.
 */
#ifndef RX_MIME_H
#define RX_MIME_H

#include <stddef.h>

#define MIME_MAX_ATT		32	/* attachments kept per message */
#define MIME_MAX_REFS		32	/* In-Reply-To + References kept */
#define MIME_MAX_ADDRS		32	/* To and Cc addresses kept */
#define MIME_MAX_DEPTH		16	/* multipart nesting followed */
#define MIME_MAX_TEXT		(1024 * 1024)	/* bytes of body text kept */

struct mime_att {
	char *name;		/* file name, UTF-8; never NULL */
	char *type;		/* "image/png" */
	unsigned char *data;	/* decoded content */
	size_t size;
};

/* Header values that decide loops and bulk mail (mail_thread.c). */
struct mime_noise {
	char *auto_submitted, *auto_suppress, *precedence;
	char *list_id, *list_unsubscribe, *x_loop;
	char *return_path, *x_autoreply;	/* RFC 3834 3.1.5; X-Autoreply/-respond */
};

#define MIME_MAX_PROBLEMS	8	/* complaints kept per message */

struct mime_msg {
	char *subject;		/* decoded UTF-8; "" when absent */
	char *from_addr;	/* lowercased address; NULL when none */
	char *from_name;	/* display name; NULL when none */
	char *msgid;		/* "<id@host>"; NULL when absent */
	char *refs[MIME_MAX_REFS];	/* "<..>": In-Reply-To, then References */
	int nrefs;
	char *to[MIME_MAX_ADDRS], *cc[MIME_MAX_ADDRS];	/* lowercased */
	int nto, ncc;
	char *text;		/* the readable body, UTF-8, no NUL; never NULL */
	int html;		/* text came from an HTML part */
	struct mime_att att[MIME_MAX_ATT];
	int natt;
	int att_dropped;	/* attachments over the limits */
	int ninline;		/* inline parts (cid: images): not attachments */
	int no_from;		/* no usable From: the sender is unverified */
	struct mime_noise noise;
	int dsn;		/* a delivery status notification (RFC 3464) */
	char *dsn_msgid;	/* the bounced message's Message-ID */
	int malformed;		/* the parser complained: review by a person */
	char *problem;		/* every complaint, "; "-joined, for the ticket */
	const char *problems[MIME_MAX_PROBLEMS];	/* the same, static texts */
	int nproblems;
};

/* Once per process, before any other call (GMime's global state). */
void mime_init(void);
/* Release GMime's global state. */
void mime_shutdown(void);
/* Parse RAW (LEN bytes, any line ends, may hold NULs) into M, which the
 * caller frees with mime_free. MAX_ATT_SIZE bounds one attachment. */
void mime_parse(const char *raw, size_t len, size_t max_att_size,
    struct mime_msg *m);
/* Free what mime_parse allocated in M. */
void mime_free(struct mime_msg *m);

/* One part of a multipart/form-data body (RFC 7578): a field, or a file
 * when FILENAME is set. DATA (SIZE bytes, NUL-terminated) is malloc'd and
 * becomes the callback's. */
struct mime_form_part {
	const char *name, *filename, *type;
	char *data;
	size_t size;
};
/* Told each part in order; 0 to go on, or an HTTP status with *cause. */
typedef int mime_form_cb(const struct mime_form_part *, void *arg,
    const char **cause);
/*
 * Read BODY as a multipart/form-data entity of type CTYPE (the request's
 * Content-Type) and call CB for each part. 0, or an HTTP status (400 for a
 * broken body, 413 past MAX_PARTS) with *cause.
 */
int mime_form_parts(const char *ctype, const char *body, size_t len,
    int max_parts, mime_form_cb *cb, void *arg, const char **cause);
/* Convert LEN bytes in CHARSET to valid UTF-8 without NULs; never NULL.
 * A declared charset that iconv knows decides, and bytes it cannot decode
 * become U+FFFD; with none (NULL, us-ascii, or an unknown name) UTF-8 is
 * tried, then a guess among the fallback charsets, then Windows-1252. */
char *mime_to_utf8(const char *s, size_t len, const char *charset);
/* The readable text of an HTML document (UTF-8 in, UTF-8 out). */
char *mime_html_text(const char *html, size_t len);
/* TEXT (UTF-8, LF line ends) of a format=flowed part re-joined (RFC 3676
 * section 4), with DelSp=yes when DELSP; malloc'd, never NULL. */
char *mime_flowed_text(const char *text, int delsp);

#endif
