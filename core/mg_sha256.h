/* mg_sha256.h - streaming SHA-256 (OpenSSL EVP) and hex digests. */
#ifndef MG_SHA256_H
#define MG_SHA256_H

#include <stddef.h>

#define MG_SHA256_LEN 32
#define MG_SHA256_HEX 65 /* 64 hex digits and a NUL */

typedef struct mg_sha256 mg_sha256;

/* A new hashing context. Errors: MG_ENOMEM. Free with mg_sha256_free(). */
int mg_sha256_create(mg_sha256 **out);

/* Feed bytes. Errors: MG_ERROR (OpenSSL failure). */
int mg_sha256_update(mg_sha256 *h, const void *data, size_t len);

/* Finish; the context can be reused after mg_sha256_reset(). Errors: MG_ERROR. */
int mg_sha256_final(mg_sha256 *h, unsigned char digest[MG_SHA256_LEN]);

/* Start over. Errors: MG_ERROR. */
int mg_sha256_reset(mg_sha256 *h);

void mg_sha256_free(mg_sha256 *h); /* NULL is a no-op */

/* One-shot digest of a buffer. Errors: MG_ERROR. */
int mg_sha256_digest(unsigned char digest[MG_SHA256_LEN], const void *data, size_t len);

/* Lower-case hex of a digest into `hex` (65 bytes). Cannot fail. */
void mg_sha256_hex(char hex[MG_SHA256_HEX], const unsigned char digest[MG_SHA256_LEN]);

/* Hex SHA-256 of a file's bytes. Errors: MG_ENOTFOUND, MG_EIO. */
int mg_sha256_file(char hex[MG_SHA256_HEX], const char *path);

#endif
