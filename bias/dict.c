/* dict.c - an interning hash map from byte strings to dense indices. */
#include "dict.h"
#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a: group and label values are short, so a simple hash is the fast one. */
static uint64_t hash_bytes(const char *p, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

/* The first (up to) 8 bytes of a key, zero-padded. */
static uint64_t prefix_word(const char *p, size_t len)
{
    uint64_t w = 0;
    for (size_t i = 0; i < len && i < 8; i++)
        w |= (uint64_t)(unsigned char)p[i] << (8 * i);
    return w;
}

static size_t key_offset(const dict *d, size_t i)
{
    return ((const size_t *)(const void *)d->offsets.ptr)[i];
}

static uint64_t key_hash(const dict *d, size_t i)
{
    return ((const uint64_t *)(const void *)d->hashes.ptr)[i];
}

static int key_equal(const dict *d, size_t i, const char *key, size_t len)
{
    size_t off = key_offset(d, i);
    size_t end = i + 1 < d->n ? key_offset(d, i + 1) - 1 : d->keys.len - 1;
    return end - off == len && memcmp(d->keys.ptr + off, key, len) == 0;
}

/* Slot holding `key`, or the empty slot where it belongs. */
static size_t probe(const dict *d, uint64_t h, const char *key, size_t len)
{
    size_t mask = d->nslots - 1, s = (size_t)h & mask;
    while (d->slots[s]) {
        size_t i = d->slots[s] - 1;
        if (key_hash(d, i) == h && key_equal(d, i, key, len))
            return s;
        s = (s + 1) & mask;
    }
    return s;
}

static int rehash(dict *d, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    size_t mask = nslots - 1;

    if (!slots)
        return mg_error_set(MG_ENOMEM, "out of memory (%zu hash slots)", nslots);
    for (size_t i = 0; i < d->n; i++) {
        size_t s = (size_t)key_hash(d, i) & mask;
        while (slots[s])
            s = (s + 1) & mask;
        slots[s] = (uint32_t)(i + 1);
    }
    free(d->slots);
    d->slots = slots;
    d->nslots = nslots;
    return MG_OK;
}

/* Linear scan of a small dict: index + 1, or 0 when absent. */
static size_t small_find(const dict *d, const char *key, size_t len)
{
    uint64_t w = prefix_word(key, len);
    for (size_t i = 0; i < d->n; i++)
        if (d->small_len[i] == len && d->small_prefix[i] == w &&
            (len <= 8 || key_equal(d, i, key, len)))
            return i + 1;
    return 0;
}

long dict_find(const dict *d, const char *key, size_t len)
{
    size_t s;

    if (d->n <= DICT_SMALL)
        return (long)small_find(d, key, len) - 1;
    s = probe(d, hash_bytes(key, len), key, len);
    return d->slots[s] ? (long)d->slots[s] - 1 : -1;
}

int dict_intern(dict *d, size_t *index, const char *key, size_t len)
{
    uint64_t h;
    size_t s, off = d->keys.len;
    int rc;

    if (d->n <= DICT_SMALL && (s = small_find(d, key, len))) {
        *index = s - 1;
        return MG_OK;
    }
    h = hash_bytes(key, len);

    if (!d->nslots && (rc = rehash(d, 16)) < 0)
        return rc;
    s = probe(d, h, key, len);
    if (d->slots[s]) {
        *index = d->slots[s] - 1;
        return MG_OK;
    }
    if ((d->max && d->n >= d->max) || d->n >= UINT32_MAX - 1)
        return MG_ETOOBIG;
    if ((rc = mg_buf_put(&d->keys, key, len)) < 0 || (rc = mg_buf_putc(&d->keys, '\0')) < 0 ||
        (rc = mg_buf_put(&d->offsets, &off, sizeof off)) < 0 ||
        (rc = mg_buf_put(&d->hashes, &h, sizeof h)) < 0) {
        d->keys.len = off; /* forget the partial key */
        d->offsets.len = d->n * sizeof off;
        d->hashes.len = d->n * sizeof h;
        return rc;
    }
    if (d->n < DICT_SMALL) {
        d->small_len[d->n] = len;
        d->small_prefix[d->n] = prefix_word(key, len);
    }
    *index = d->n++;
    d->slots[s] = (uint32_t)d->n;
    return 2 * d->n > d->nslots ? rehash(d, 2 * d->nslots) : MG_OK;
}

const char *dict_key(const dict *d, size_t i)
{
    return d->keys.ptr + key_offset(d, i);
}

void dict_free(dict *d)
{
    if (!d)
        return;
    free(d->slots);
    mg_buf_free(&d->keys);
    mg_buf_free(&d->offsets);
    mg_buf_free(&d->hashes);
    *d = (dict)DICT_INIT;
}
