/* maskset.c - coalition masks to indices: the sampler's "seen" set and the row deduplicator. */
#include "maskset.h"

#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

int maskset_reserve(maskset *s, size_t n)
{
    unsigned bits = 4;
    size_t cap;

    while (((size_t)1 << bits) < 2 * n)
        bits++;
    cap = (size_t)1 << bits;
    if (cap > s->cap) {
        maskset_free(s);
        s->key = malloc(cap * sizeof(uint64_t));
        s->val = malloc(cap * sizeof(uint32_t));
        s->stamp = calloc(cap, sizeof(uint32_t));
        if (!s->key || !s->val || !s->stamp) {
            maskset_free(s);
            return mg_error_set(MG_ENOMEM, "out of memory");
        }
        s->cap = cap;
        s->bits = bits;
        s->gen = 0;
    }
    maskset_clear(s);
    return MG_OK;
}

void maskset_free(maskset *s)
{
    free(s->key);
    free(s->val);
    free(s->stamp);
    memset(s, 0, sizeof(*s));
}

void maskset_clear(maskset *s)
{
    if (++s->gen == 0) {
        memset(s->stamp, 0, s->cap * sizeof(uint32_t));
        s->gen = 1;
    }
}

uint32_t maskset_get_or_add(maskset *s, uint64_t key, uint32_t val, int *added)
{
    size_t mask = s->cap - 1;
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> (64 - s->bits));

    while (s->stamp[h] == s->gen) {
        if (s->key[h] == key) {
            *added = 0;
            return s->val[h];
        }
        h = (h + 1) & mask;
    }
    s->stamp[h] = s->gen;
    s->key[h] = key;
    s->val[h] = val;
    *added = 1;
    return val;
}
