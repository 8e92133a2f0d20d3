/* idtab: see idtab.h. */
#include <stdlib.h>

#include "server/core/idtab.h"
#include "server/core/log.h"

uint64_t
idtab_add(struct idtab *t, void *obj)
{
	uint32_t idx;

	if (t->nfree == 0) {
		uint32_t n = t->nslots ? t->nslots * 2 : 256;

		t->slots = realloc(t->slots, n * sizeof(*t->slots));
		t->free = realloc(t->free, n * sizeof(*t->free));
		if (t->slots == NULL || t->free == NULL)
			log_fatalx("idtab: out of memory");
		/* generations start at 1: no id is 0 */
		for (uint32_t i = n; i > t->nslots; i--) {
			t->slots[i - 1] = (struct idtab_slot){ 1, NULL };
			t->free[t->nfree++] = i - 1;
		}
		t->nslots = n;
	}
	idx = t->free[--t->nfree];
	t->slots[idx].obj = obj;
	return ((uint64_t)t->slots[idx].gen << 32) | idx;
}

void *
idtab_find(const struct idtab *t, uint64_t id)
{
	uint32_t idx = (uint32_t)id;

	if (idx >= t->nslots || t->slots[idx].gen != (uint32_t)(id >> 32))
		return NULL;
	return t->slots[idx].obj;
}

void
idtab_remove(struct idtab *t, uint64_t id, const void *obj)
{
	uint32_t idx = (uint32_t)id;

	if (idx >= t->nslots || t->slots[idx].gen != (uint32_t)(id >> 32) ||
	    t->slots[idx].obj != obj)
		return;
	t->slots[idx].gen++;
	t->slots[idx].obj = NULL;
	t->free[t->nfree++] = idx;
}

void
idtab_free(struct idtab *t)
{
	free(t->slots);
	free(t->free);
	*t = (struct idtab){ 0 };
}
