/* sha256.c - SHA-256 on OpenSSL's EVP interface. */
#include "mg_sha256.h"
#include "mg_error.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

struct mg_sha256 {
    EVP_MD_CTX *ctx;
};

int mg_sha256_create(mg_sha256 **out)
{
    mg_sha256 *h;

    *out = NULL;
    if (!(h = calloc(1, sizeof *h)) || !(h->ctx = EVP_MD_CTX_new())) {
        free(h);
        return mg_error_set(MG_ENOMEM, "out of memory (sha256)");
    }
    if (mg_sha256_reset(h) < 0) {
        mg_sha256_free(h);
        return MG_ERROR;
    }
    *out = h;
    return MG_OK;
}

int mg_sha256_reset(mg_sha256 *h)
{
    if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
        return mg_error_set(MG_ERROR, "sha256: EVP_DigestInit_ex failed");
    return MG_OK;
}

int mg_sha256_update(mg_sha256 *h, const void *data, size_t len)
{
    if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
        return mg_error_set(MG_ERROR, "sha256: EVP_DigestUpdate failed");
    return MG_OK;
}

int mg_sha256_final(mg_sha256 *h, unsigned char digest[MG_SHA256_LEN])
{
    unsigned int n = 0;

    if (EVP_DigestFinal_ex(h->ctx, digest, &n) != 1 || n != MG_SHA256_LEN)
        return mg_error_set(MG_ERROR, "sha256: EVP_DigestFinal_ex failed");
    return MG_OK;
}

void mg_sha256_free(mg_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int mg_sha256_digest(unsigned char digest[MG_SHA256_LEN], const void *data, size_t len)
{
    unsigned int n = 0;

    if (EVP_Digest(data, len, digest, &n, EVP_sha256(), NULL) != 1 || n != MG_SHA256_LEN)
        return mg_error_set(MG_ERROR, "sha256: EVP_Digest failed");
    return MG_OK;
}

void mg_sha256_hex(char hex[MG_SHA256_HEX], const unsigned char digest[MG_SHA256_LEN])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 0; i < MG_SHA256_LEN; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[64] = '\0';
}

int mg_sha256_file(char hex[MG_SHA256_HEX], const char *path)
{
    unsigned char chunk[65536], digest[MG_SHA256_LEN];
    mg_sha256 *h = NULL;
    FILE *f;
    size_t n;
    int rc;

    if (!(f = fopen(path, "rb")))
        return mg_error_set_errno(errno == ENOENT ? MG_ENOTFOUND : MG_EIO, errno, "%s", path);
    if ((rc = mg_sha256_create(&h)) < 0)
        goto done;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = mg_sha256_update(h, chunk, n)) < 0)
            goto done;
    if (ferror(f)) {
        rc = mg_error_set(MG_EIO, "%s: read error", path);
        goto done;
    }
    if ((rc = mg_sha256_final(h, digest)) < 0)
        goto done;
    mg_sha256_hex(hex, digest);
done:
    mg_sha256_free(h);
    fclose(f);
    return rc;
}
