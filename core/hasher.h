/* hasher.h - SHA-256 of a byte stream on a background thread (internal to core). */
#ifndef HASHER_H
#define HASHER_H

#include <stddef.h>

#include "mg_sha256.h"

/*
 * The CSV reader hands each block it reads to a hasher and parses while the
 * hash runs on another core. One block is in flight at a time: feeding a
 * block first waits for the previous one, so after hasher_feed() returns the
 * caller may reuse the memory of every earlier block (but not this one's).
 */
typedef struct hasher hasher;

/* Start the thread. Errors: MG_ENOMEM, MG_ERROR (no thread). */
int hasher_start(hasher **out);

/* Queue `n` bytes at `p` (kept unchanged until the next feed or finish). Errors: MG_ERROR. */
int hasher_feed(hasher *h, const void *p, size_t n);

/* Wait for every block and write the digest. Errors: MG_ERROR. */
int hasher_finish(hasher *h, unsigned char digest[MG_SHA256_LEN]);

/* Stop the thread and free. NULL-safe. */
void hasher_free(hasher *h);

#endif
