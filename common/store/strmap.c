#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "podscaler/error.h"

/* FNV-1a (64-bit): names are short, so a simple byte-wise hash is enough. */
static uint64_t map_hash(uint64_t scope, const char *key, size_t len)
{
    uint64_t h = UINT64_C(1469598103934665603);
    for (int i = 0; i < 8; i++) {
        h ^= (scope >> (8 * i)) & 0xff;
        h *= UINT64_C(1099511628211);
    }
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= UINT64_C(1099511628211);
    }
    return h ? h : 1;
}

void ps__map_init(struct ps__map *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->used = 0;
}

void ps__map_clear(struct ps__map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        m->slots[i].key = NULL;
        m->slots[i].hash = 0;
    }
    m->used = 0;
}

void ps__map_fini(struct ps__map *m)
{
    ps__map_clear(m);
    free(m->slots);
    ps__map_init(m);
}

static struct ps__map_entry *map_find(const struct ps__map *m, uint64_t h, uint64_t scope,
                                      const char *key, size_t len)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        struct ps__map_entry *e = &m->slots[i];
        if (e->hash == 0)
            return e;
        if (e->hash == h && e->scope == scope && e->len == len &&
            (len == 0 || memcmp(e->key, key, len) == 0))
            return e;
    }
}

uint64_t *ps__map_get(const struct ps__map *m, uint64_t scope, const char *key, size_t len)
{
    if (m->used == 0)
        return NULL;
    struct ps__map_entry *e = map_find(m, map_hash(scope, key, len), scope, key, len);
    return e->hash ? &e->value : NULL;
}

static int map_grow(struct ps__map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct ps__map_entry *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return PS_ENOMEM;
    struct ps__map old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].hash)
            *map_find(m, old.slots[i].hash, old.slots[i].scope, old.slots[i].key,
                      old.slots[i].len) = old.slots[i];
    }
    free(old.slots);
    return 0;
}

int ps__map_put(struct ps__map *m, uint64_t scope, const char *key, size_t len, uint64_t value)
{
    /* Keep the load under 1/2 so probe runs stay short. */
    if ((m->used + 1) * 2 > m->cap) {
        int rc = map_grow(m);
        if (rc)
            return rc;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return PS_ENOMEM;
    if (len)
        memcpy(copy, key, len);
    copy[len] = '\0';
    uint64_t h = map_hash(scope, key, len);
    struct ps__map_entry *e = map_find(m, h, scope, key, len);
    e->hash = h;
    e->scope = scope;
    e->key = copy;
    e->len = len;
    e->value = value;
    m->used++;
    return 0;
}
