/* strtab.h - interned strings with codes in first-appearance order (internal to core). */
#ifndef STRTAB_H
#define STRTAB_H

#include <stddef.h>
#include <stdint.h>

/*
 * Distinct strings get codes 0, 1, 2, ... in the order they are first
 * interned; lookup is one hash probe sequence (open addressing, linear
 * probing, load at most 1/2). Strings live in the table's own blocks,
 * NUL-terminated, so a code's string stays put while the table lives.
 * Start with STRTAB_INIT; free with strtab_free().
 */
typedef struct strtab_block strtab_block;
typedef struct strtab {
    const char **str;
    uint32_t *len;
    uint32_t *hash;
    size_t n, cap;
    uint32_t *slots; /* code + 1, 0 = empty */
    size_t nslots;   /* a power of two, or 0 */
    strtab_block *blocks;
} strtab;

#define STRTAB_INIT {NULL, NULL, NULL, 0, 0, NULL, 0, NULL}

/* Hash of `len` bytes (the table's own function; stable within a process). */
uint32_t strtab_hash(const char *s, size_t len);

/* Code of `s`, or -1 when it was never interned. Cannot fail. */
int32_t strtab_find(const strtab *t, const char *s, size_t len);

/* Code of `s`, interning it first when new. Errors: MG_ENOMEM, MG_ETOOBIG (2^31 strings). */
int strtab_intern(strtab *t, int32_t *code, const char *s, size_t len);

/* Make `dst` (initialised, empty) a copy of `src`. Errors: MG_ENOMEM. */
int strtab_copy(strtab *dst, const strtab *src);

/* Release everything; the table is STRTAB_INIT again. NULL-safe. */
void strtab_free(strtab *t);

#endif
