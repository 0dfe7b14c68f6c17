/* hash.h - SHA-256 for the hot paths (leaves, nodes, chains): OpenSSL's digest fetched once. */
#ifndef GOV_HASH_H
#define GOV_HASH_H

#include <stddef.h>

/*
 * SHA-256 of the concatenation of up to three pieces (NULL pieces skipped),
 * as RFC 6962's leaf and node hashes need. Thread-safe. Errors: MG_ERROR.
 */
int gov_sha256(unsigned char out[32], const void *a, size_t alen, const void *b, size_t blen,
               const void *c, size_t clen);

#endif
