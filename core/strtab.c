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

uint32_t strtab_hash(const char *s, size_t len)
{
    /* 8 bytes at a time with a multiply-xorshift mix: short category names
     * are the common case, and this beats byte-wise FNV on them */
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)len;
    uint64_t w;

    while (len >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        s += 8;
        len -= 8;
    }
    if (len) {
        w = 0;
        memcpy(&w, s, len);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    }
    h ^= h >> 29;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 32;
    return (uint32_t)h;
}

int32_t strtab_find(const strtab *t, const char *s, size_t len)
{
    uint32_t h;
    size_t mask, i;

    if (!t->nslots)
        return -1;
    h = strtab_hash(s, len);
    mask = t->nslots - 1;
    for (i = h & mask;; i = (i + 1) & mask) {
        uint32_t c = t->slots[i];
        if (!c)
            return -1;
        c--;
        if (t->hash[c] == h && t->len[c] == len && memcmp(t->str[c], s, len) == 0)
            return (int32_t)c;
    }
}

static int rehash(strtab *t, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    size_t mask = nslots - 1;

    if (!slots)
        return mg_error_set(MG_ENOMEM, "out of memory (string table)");
    for (size_t c = 0; c < t->n; c++) {
        size_t i = t->hash[c] & mask;
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = (uint32_t)c + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return MG_OK;
}

static int grow_entries(strtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 16;
    const char **str = realloc(t->str, cap * sizeof *str);
    if (!str)
        return mg_error_set(MG_ENOMEM, "out of memory (string table)");
    t->str = str;
    uint32_t *len = realloc(t->len, cap * sizeof *len);
    if (!len)
        return mg_error_set(MG_ENOMEM, "out of memory (string table)");
    t->len = len;
    uint32_t *hash = realloc(t->hash, cap * sizeof *hash);
    if (!hash)
        return mg_error_set(MG_ENOMEM, "out of memory (string table)");
    t->hash = hash;
    t->cap = cap;
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

int strtab_intern(strtab *t, int32_t *code, const char *s, size_t len)
{
    uint32_t h = strtab_hash(s, len);
    size_t mask, i;
    int rc;

    if (t->nslots) {
        mask = t->nslots - 1;
        for (i = h & mask;; i = (i + 1) & mask) {
            uint32_t c = t->slots[i];
            if (!c)
                break;
            c--;
            if (t->hash[c] == h && t->len[c] == len && memcmp(t->str[c], s, len) == 0) {
                *code = (int32_t)c;
                return MG_OK;
            }
        }
    }
    if (t->n >= INT32_MAX || len > UINT32_MAX)
        return mg_error_set(MG_ETOOBIG, "more than 2^31 distinct values or a 4 GiB value");
    if ((t->n + 1) * 2 > t->nslots && (rc = rehash(t, t->nslots ? t->nslots * 2 : 64)) < 0)
        return rc;
    if (t->n == t->cap && (rc = grow_entries(t)) < 0)
        return rc;
    if (!(t->str[t->n] = store(t, s, len)))
        return mg_error_set(MG_ENOMEM, "out of memory (string table)");
    t->len[t->n] = (uint32_t)len;
    t->hash[t->n] = h;
    mask = t->nslots - 1;
    for (i = h & mask; t->slots[i]; i = (i + 1) & mask)
        ;
    t->slots[i] = (uint32_t)t->n + 1;
    *code = (int32_t)t->n++;
    return MG_OK;
}

int strtab_copy(strtab *dst, const strtab *src)
{
    int32_t code;
    int rc;

    for (size_t c = 0; c < src->n; c++)
        if ((rc = strtab_intern(dst, &code, src->str[c], src->len[c])) < 0)
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
    free(t->str);
    free(t->len);
    free(t->hash);
    free(t->slots);
    memset(t, 0, sizeof *t);
}
