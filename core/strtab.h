/* strtab.h - interned strings with codes in first-appearance order (internal to core). */
#ifndef STRTAB_H
#define STRTAB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Distinct strings get codes 0, 1, 2, ... in the order they are first
 * interned; lookup is one hash probe sequence (open addressing, linear
 * probing, load at most 1/2). Strings live in the table's own blocks,
 * NUL-terminated, so a code's string stays put while the table lives.
 * Start with STRTAB_INIT; free with strtab_free().
 */
typedef struct strtab_block strtab_block;
typedef struct strtab_entry {
    const char *str;
    uint32_t len;
    uint32_t hash;
} strtab_entry;
typedef struct strtab {
    strtab_entry *e; /* by code */
    size_t n, cap;
    uint64_t *slots; /* hash << 32 | (code + 1); 0 = empty */
    size_t nslots;   /* a power of two, or 0 */
    strtab_block *blocks;
} strtab;

#define STRTAB_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, NULL                                                                  \
    }

/* The string of `code` (NUL-terminated, borrowed) and its length. */
static inline const char *strtab_str(const strtab *t, size_t code)
{
    return t->e[code].str;
}

static inline size_t strtab_len(const strtab *t, size_t code)
{
    return t->e[code].len;
}

/* Unaligned loads; memcpy of a constant size compiles to one move. */
static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Byte equality of two strings of the same length `len`, without a call for short ones. */
static inline int strtab_same(const char *a, const char *b, size_t len)
{
    if (len >= 8 && len <= 16)
        return load64(a) == load64(b) && load64(a + len - 8) == load64(b + len - 8);
    if (len >= 4 && len < 8)
        return load32(a) == load32(b) && load32(a + len - 4) == load32(b + len - 4);
    if (len < 4) /* bytes 0, len/2 and len-1 cover every byte of 1..3 */
        return len == 0 || (a[0] == b[0] && a[len >> 1] == b[len >> 1] && a[len - 1] == b[len - 1]);
    return memcmp(a, b, len) == 0;
}

/* True when code's string is `len` bytes at `s`. */
static inline int strtab_is(const strtab *t, size_t code, const char *s, size_t len)
{
    return t->e[code].len == len && strtab_same(t->e[code].str, s, len);
}

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
