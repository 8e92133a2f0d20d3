/* case_protect: see case_protect.h. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/cases/case_crypt.h"
#include "server/cases/case_protect.h"
#include "server/core/interaction.h"

#define PATIENT_PREFIX	"patient_"

static struct {
	char *fields, *text;	/* what IN points at after the last call */
} P;

/* Mask the value of every "patient_*: value" line of TEXT (a copy). */
static char *
mask_text(const char *text)
{
	char *out = strdup(text), *line = out, *colon, *end;

	while (out && line && *line) {
		end = strchr(line, '\n');
		if (strncmp(line, PATIENT_PREFIX, strlen(PATIENT_PREFIX)) == 0 &&
		    (colon = strstr(line, ": ")) != NULL && (!end || colon < end))
			for (char *p = colon + 2; *p && p != end; p++)
				*p = '*';
		line = end ? end + 1 : NULL;
	}
	return out;
}

/* FIELDS with every patient_* value sealed; NULL when there is none. */
static char *
seal_fields(const char *fields)
{
	json_t *o = json_loads(fields, 0, NULL), *v;
	const char *k;
	char *out = NULL, *sealed;
	int n = 0;

	json_object_foreach(o, k, v) {
		if (strncmp(k, PATIENT_PREFIX, strlen(PATIENT_PREFIX)) ||
		    !json_is_string(v) || case_crypt_sealed(json_string_value(v), NULL))
			continue;
		if ((sealed = case_crypt_seal(json_string_value(v))) == NULL)
			continue;
		json_object_set_new(o, k, json_string(sealed));
		free(sealed);
		n++;
	}
	if (n)
		out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

void
case_protect_interaction(struct interaction *in)
{
	char *fields;

	case_protect_free();
	if (in->fields_json == NULL || !case_crypt_ready() ||
	    strstr(in->fields_json, "\"" PATIENT_PREFIX) == NULL)
		return;
	if ((fields = seal_fields(in->fields_json)) == NULL)
		return;
	P.fields = fields;
	in->fields_json = P.fields;
	if (in->text && (P.text = mask_text(in->text)) != NULL)
		in->text = P.text;
}

void
case_protect_free(void)
{
	free(P.fields);
	free(P.text);
	P.fields = P.text = NULL;
}
