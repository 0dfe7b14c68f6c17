/* hash.c - SHA-256 with the digest fetched once: EVP_sha256() would look it up on every call. */
#include "hash.h"

#include "mg_error.h"

#include <openssl/evp.h>
#include <pthread.h>

static EVP_MD *sha256; /* fetched once, kept for the life of the process */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fetch(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

int gov_sha256(unsigned char out[32], const void *a, size_t alen, const void *b, size_t blen,
               const void *c, size_t clen)
{
    EVP_MD_CTX *ctx;
    int ok;

    pthread_once(&once, fetch);
    if (!sha256 || !(ctx = EVP_MD_CTX_new()))
        return mg_error_set(MG_ERROR, "SHA-256 unavailable");
    ok = EVP_DigestInit_ex(ctx, sha256, NULL) == 1 && (!a || EVP_DigestUpdate(ctx, a, alen) == 1) &&
         (!b || EVP_DigestUpdate(ctx, b, blen) == 1) && (!c || EVP_DigestUpdate(ctx, c, clen) == 1) &&
         EVP_DigestFinal_ex(ctx, out, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? MG_OK : mg_error_set(MG_ERROR, "SHA-256 failed");
}
