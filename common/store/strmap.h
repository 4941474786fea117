/*
 * strmap.h - a small open-addressing hash map from (scope, bytes) to uint32,
 * shared by the trace builder (name interning) and the store (id caches).
 * Internal to ps_common: not a public header.
 *
 * A key is a 64-bit scope (a parent index or id; 0 when unused) plus a byte
 * string, which the map copies. The map owns its key copies; ps__map_fini frees
 * them. Values are whatever the caller stores (an index or an id).
 */
#ifndef PODSCALER_STRMAP_H
#define PODSCALER_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct ps__map_entry {
    uint64_t hash; /* 0 marks an empty slot; real hashes are forced non-zero */
    uint64_t scope;
    char *key;
    size_t len;
    uint64_t value;
};

struct ps__map {
    struct ps__map_entry *slots;
    size_t cap; /* a power of two, or 0 before the first insert */
    size_t used;
};

void ps__map_init(struct ps__map *m);
void ps__map_fini(struct ps__map *m);
/* Empties the map, keeping its table. */
void ps__map_clear(struct ps__map *m);
/* The value slot of a key, or NULL when absent. */
uint64_t *ps__map_get(const struct ps__map *m, uint64_t scope, const char *key, size_t len);
/* Inserts a key that must be absent. Returns 0 or PS_ENOMEM. */
int ps__map_put(struct ps__map *m, uint64_t scope, const char *key, size_t len, uint64_t value);

#endif
