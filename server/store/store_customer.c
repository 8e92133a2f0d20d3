/* store_customer: see store_customer.h. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "server/customer/ident.h"
#include "server/customer/phone.h"
#include "server/store/store_customer.h"
#include "server/store/ticket.h"

/* Call FN with ARGS and drop our reference. */
static int
call(const char *fn, json_t *args, store_json_cb *cb, void *arg)
{
	int rc;

	if (args == NULL)
		return -1;
	rc = store_call(fn, args, cb, arg);
	json_decref(args);
	return rc;
}

/* ARGS with "who" when WHO is not the system. */
static json_t *
with_who(json_t *args, const struct ticket_who *who)
{
	if (args && who)
		json_object_set_new(args, "who", ticket_who_json(who));
	return args;
}

int
store_customer_get(const char *id, const struct ticket_who *who,
    store_json_cb *cb, void *arg)
{
	return call("rx_customer_get", with_who(json_pack("{s:s}", "id", id), who),
	    cb, arg);
}

int
store_customer_history(const char *id, const char *cursor, int count,
    const struct ticket_who *who, store_json_cb *cb, void *arg)
{
	return call("rx_customer_history", with_who(json_pack("{s:s, s:s, s:i}",
	    "id", id, "cursor", cursor ? cursor : "", "count", count), who), cb, arg);
}

/* Q is tried as every kind of identity it can be read as. */
int
store_customer_search(const char *q, const char *country, int limit,
    store_json_cb *cb, void *arg)
{
	char email[IDENT_EMAIL_MAX], phone[PHONE_E164_MAX];
	char scheme[IDENT_SCHEME_MAX], value[IDENT_VALUE_MAX];
	const char *cause;
	json_t *a = json_pack("{s:s, s:i}", "name", q, "limit", limit);

	if (a == NULL)
		return -1;
	if (strchr(q, '@') && ident_email(q, email, sizeof(email), &cause) == 0)
		json_object_set_new(a, "email", json_string(email));
	if (phone_normalize(q, country, phone, sizeof(phone), &cause) == 0)
		json_object_set_new(a, "phone", json_string(phone));
	if (strchr(q, ':') && ident_ext_parse(q, scheme, sizeof(scheme), value,
	    sizeof(value), &cause) == 0)
		json_object_set_new(a, "ext", json_pack("[ss]", scheme, value));
	if (q[0] != '\0' && strspn(q, "0123456789") == strlen(q) &&
	    strlen(q) < 20)
		json_object_set_new(a, "id", json_string(q));
	return call("rx_customer_search", a, cb, arg);
}

int
store_customer_upsert(json_t *row, store_json_cb *cb, void *arg)
{
	return store_call("rx_customer_upsert", row, cb, arg);
}

int
store_customer_update(const char *id, json_t *fields, const char *actor,
    store_json_cb *cb, void *arg)
{
	return call("rx_customer_update", json_pack("{s:s, s:O, s:s}", "id", id,
	    "fields", fields, "actor", actor), cb, arg);
}

int
store_customer_merge(const char *survivor, const char *loser,
    const char *actor, store_json_cb *cb, void *arg)
{
	return call("rx_customer_merge", json_pack("{s:s, s:s, s:s}", "survivor",
	    survivor, "loser", loser, "actor", actor), cb, arg);
}

int
store_customer_export(const char *cursor, int count, store_json_cb *cb,
    void *arg)
{
	return call("rx_customer_export", json_pack("{s:s, s:i}", "cursor",
	    cursor ? cursor : "", "count", count), cb, arg);
}

int
store_customer_error(const char *err, const char **code, char *msg, size_t len)
{
	return store_error_http(err, code, msg, len);
}
