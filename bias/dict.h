/* dict.h - byte strings to dense indices 0..n-1, for group and label values. */
#ifndef BIAS_DICT_H
#define BIAS_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "mg_buf.h"

/* Up to this many keys a lookup compares lengths and 8-byte prefixes instead of hashing. */
#define DICT_SMALL 8

/*
 * Open addressing with linear probing; keys are copied into one buffer. The
 * table stays at most half full, so a lookup touches one or two slots.
 * Start with DICT_INIT, release with dict_free().
 */
typedef struct dict {
    uint32_t *slots;  /* index + 1, 0 = empty */
    size_t nslots;    /* power of two */
    mg_buf keys;      /* key bytes, each followed by a NUL */
    mg_buf offsets;   /* size_t offset of key i in `keys` */
    mg_buf hashes;    /* uint64_t hash of key i */
    size_t small_len[DICT_SMALL];      /* the first keys' lengths ... */
    uint64_t small_prefix[DICT_SMALL]; /* ... and first 8 bytes, for a scan without hashing */
    size_t n;
    size_t max;       /* most keys allowed; 0 = no limit */
} dict;

#define DICT_INIT {NULL, 0, MG_BUF_INIT, MG_BUF_INIT, MG_BUF_INIT, {0}, {0}, 0, 0}

/*
 * Set *index to the index of `key`, adding it when new.
 * Errors: MG_ETOOBIG (more than d->max keys; message left to the caller), MG_ENOMEM.
 */
int dict_intern(dict *d, size_t *index, const char *key, size_t len);

/* Index of `key`, or -1 when absent. Cannot fail. */
long dict_find(const dict *d, const char *key, size_t len);

/* Key i, NUL-terminated, borrowed while the dict lives. */
const char *dict_key(const dict *d, size_t i);

void dict_free(dict *d); /* NULL-safe; leaves DICT_INIT */

#endif
