/* interaction: see interaction.h. */
#include <string.h>
#include <time.h>

#include "server/core/interaction.h"

static const struct {
	const char *name;
	enum route_kind kind;
} channels[CH_COUNT] = {
	[CH_EMAIL] = { "email", KIND_MAIL },
	[CH_FORM] = { "form", KIND_MAIL },
	[CH_CHAT] = { "chat", KIND_CHAT },
	[CH_VOICE] = { "voice", KIND_VOICE },
	[CH_AGENT] = { "agent", KIND_MAIL },
};

static const char *const kinds[] = { "mail", "chat", "voice" };

const char *const interaction_channel_names[] = {
	"email", "form", "chat", "voice", "agent", NULL
};
const char *const interaction_categories[] = {
	"general", "medinfo", "order", "complaint", "ae", NULL
};
const char *const interaction_priorities[] = {
	"low", "normal", "high", "urgent", NULL
};
const char *const interaction_flags[] = { "ae", "complaint", "malformed", NULL };

const char *
interaction_channel_name(enum channel ch)
{
	return (unsigned)ch < CH_COUNT ? channels[ch].name : "other";
}

int
interaction_channel_find(const char *name)
{
	for (int ch = 0; ch < CH_COUNT; ch++)
		if (name && strcmp(channels[ch].name, name) == 0)
			return ch;
	return -1;
}

enum route_kind
interaction_kind(enum channel ch)
{
	return (unsigned)ch < CH_COUNT ? channels[ch].kind : KIND_MAIL;
}

const char *
interaction_kind_name(enum route_kind k)
{
	return (unsigned)k < sizeof(kinds) / sizeof(kinds[0]) ? kinds[k] : "mail";
}

int
interaction_find(const char *const *list, const char *v)
{
	for (int i = 0; v && list[i]; i++)
		if (strcmp(list[i], v) == 0)
			return i;
	return -1;
}

int
interaction_category_rank(const char *category)
{
	if (category && strcmp(category, "ae") == 0)
		return 2;
	if (category && strcmp(category, "complaint") == 0)
		return 1;
	return 0;
}

int64_t
interaction_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
