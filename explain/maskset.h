/* maskset.h - an open-addressing map from 64-bit coalition masks to indices (internal). */
#ifndef EXPLAIN_MASKSET_H
#define EXPLAIN_MASKSET_H

#include <stddef.h>
#include <stdint.h>

/* Cleared in O(1) by bumping a generation stamp, because it is cleared per background row. */
typedef struct maskset {
    uint64_t *key;
    uint32_t *val;
    uint32_t *stamp;
    uint32_t gen;
    unsigned bits;
    size_t cap;
} maskset;

/* Room for n keys (capacity 2n or more); empties the set. Errors: MG_ENOMEM. */
int maskset_reserve(maskset *s, size_t n);
void maskset_free(maskset *s);
void maskset_clear(maskset *s);

/*
 * The index stored for key; when absent, store `val` and set *added.
 * The set must have room (at most the reserved n keys).
 */
uint32_t maskset_get_or_add(maskset *s, uint64_t key, uint32_t val, int *added);

#endif
