/* strtab.c - interned strings: a hash table of codes over arena-held copies. */
#include "strtab.h"
#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_BYTES ((size_t)64 << 10)

struct strtab_block {
    strtab_block *next;
    size_t used, size;
    char data[];
};

static inline uint64_t mix(uint64_t h)
{
    h ^= h >> 29;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 32;
    return h;
}

static inline uint32_t hash_bytes(const char *s, size_t len)
{
    /* Short strings (category names) in one or two overlapping loads, as in
     * xxh3's short-input path: no byte loop and no read past the end. */
    uint64_t h = 0x9E3779B97F4A7C15ull * (len + 1);

    if (len >= 8) {
        while (len > 16) {
            h = (h ^ load64(s)) * 0xBF58476D1CE4E5B9ull;
            h ^= h >> 31;
            s += 8;
            len -= 8;
        }
        h = (h ^ load64(s)) * 0xBF58476D1CE4E5B9ull;
        h = (h ^ load64(s + len - 8)) * 0xD6E8FEB86659FD93ull;
    } else if (len >= 4) {
        h = (h ^ ((uint64_t)load32(s) << 32 | load32(s + len - 4))) * 0xBF58476D1CE4E5B9ull;
    } else if (len > 0) {
        uint64_t w = (uint64_t)(unsigned char)s[0] << 16 |
                     (uint64_t)(unsigned char)s[len >> 1] << 8 | (unsigned char)s[len - 1];
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    }
    return (uint32_t)mix(h);
}

uint32_t strtab_hash(const char *s, size_t len)
{
    return hash_bytes(s, len);
}

/* The slot holding `s`, or the empty slot where it would go. */
static inline size_t probe(const strtab *t, uint32_t h, const char *s, size_t len)
{
    size_t mask = t->nslots - 1, i;

    for (i = h & mask;; i = (i + 1) & mask) {
        uint64_t v = t->slots[i];
        if (!v)
            return i;
        if ((uint32_t)(v >> 32) == h) {
            const strtab_entry *e = &t->e[(uint32_t)v - 1];
            if (e->len == len && strtab_same(e->str, s, len))
                return i;
        }
    }
}

int32_t strtab_find(const strtab *t, const char *s, size_t len)
{
    uint64_t v;

    if (!t->nslots)
        return -1;
    v = t->slots[probe(t, hash_bytes(s, len), s, len)];
    return v ? (int32_t)((uint32_t)v - 1) : -1;
}

static int rehash(strtab *t, size_t nslots)
{
    uint64_t *slots = calloc(nslots, sizeof *slots);
    size_t mask = nslots - 1;

    if (!slots)
        return mg_error_set(MG_ENOMEM, "out of memory (string table)");
    for (size_t c = 0; c < t->n; c++) {
        size_t i = t->e[c].hash & mask;
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = (uint64_t)t->e[c].hash << 32 | (c + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return MG_OK;
}

/* A stable NUL-terminated copy of `s` in the table's blocks. */
static const char *store(strtab *t, const char *s, size_t len)
{
    strtab_block *b = t->blocks;
    char *p;

    if (!b || b->size - b->used < len + 1) {
        size_t size = len + 1 > BLOCK_BYTES ? len + 1 : BLOCK_BYTES;
        if (!(b = malloc(sizeof *b + size)))
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = t->blocks;
        t->blocks = b;
    }
    p = b->data + b->used;
    memcpy(p, s, len);
    p[len] = '\0';
    b->used += len + 1;
    return p;
}

/* Add `s` (not in the table) with hash h. */
static int add(strtab *t, int32_t *code, const char *s, size_t len, uint32_t h)
{
    strtab_entry *e;
    size_t i;
    int rc;

    if (t->n >= INT32_MAX || len > UINT32_MAX)
        return mg_error_set(MG_ETOOBIG, "more than 2^31 distinct values or a 4 GiB value");
    if ((t->n + 1) * 2 > t->nslots && (rc = rehash(t, t->nslots ? t->nslots * 2 : 64)) < 0)
        return rc;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        if (!(e = realloc(t->e, cap * sizeof *e)))
            return mg_error_set(MG_ENOMEM, "out of memory (string table)");
        t->e = e;
        t->cap = cap;
    }
    e = &t->e[t->n];
    if (!(e->str = store(t, s, len)))
        return mg_error_set(MG_ENOMEM, "out of memory (string table)");
    e->len = (uint32_t)len;
    e->hash = h;
    i = probe(t, h, s, len);
    t->slots[i] = (uint64_t)h << 32 | (t->n + 1);
    *code = (int32_t)t->n++;
    return MG_OK;
}

int strtab_intern(strtab *t, int32_t *code, const char *s, size_t len)
{
    uint32_t h = hash_bytes(s, len);

    if (t->nslots) {
        uint64_t v = t->slots[probe(t, h, s, len)];
        if (v) {
            *code = (int32_t)((uint32_t)v - 1);
            return MG_OK;
        }
    }
    return add(t, code, s, len, h);
}

int strtab_copy(strtab *dst, const strtab *src)
{
    int32_t code;
    int rc;

    for (size_t c = 0; c < src->n; c++)
        if ((rc = strtab_intern(dst, &code, src->e[c].str, src->e[c].len)) < 0)
            return rc;
    return MG_OK;
}

void strtab_free(strtab *t)
{
    if (!t)
        return;
    while (t->blocks) {
        strtab_block *b = t->blocks;
        t->blocks = b->next;
        free(b);
    }
    free(t->e);
    free(t->slots);
    memset(t, 0, sizeof *t);
}
