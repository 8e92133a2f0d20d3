/*
 * idtab: ids for objects that may die while an asynchronous answer is on
 * its way (a Redis reply, a worker's result): the answer carries the id
 * and finds the object again, or NULL if it is gone (OpenSMTPD's request
 * ids). An id is a slot index and the slot's generation, so a reused slot
 * never answers to an old id. Used by HTTP requests and WebSockets.
 */
#ifndef RX_IDTAB_H
#define RX_IDTAB_H

#include <stdint.h>

struct idtab {
	struct idtab_slot { uint32_t gen; void *obj; } *slots;
	uint32_t nslots, *free, nfree;
};

/* A new id for OBJ (never 0). The table grows as needed. */
uint64_t idtab_add(struct idtab *, void *obj);
/* The object of ID, or NULL if it was removed. */
void *idtab_find(const struct idtab *, uint64_t id);
/* Forget ID, if it is still OBJ's. */
void idtab_remove(struct idtab *, uint64_t id, const void *obj);
/* Free the table (not the objects). */
void idtab_free(struct idtab *);

#endif
