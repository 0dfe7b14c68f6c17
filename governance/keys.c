/* keys.c - Ed25519 signing keys (OpenSSL EVP): PEM files, key ids, sign and verify. */
#include "mg_governance.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct mg_key {
    EVP_PKEY *pkey;
    int has_private;
    char id[MG_SHA256_HEX];
};

/* The key id: hex SHA-256 of the SubjectPublicKeyInfo DER (RFC 8410 §4). */
static int key_finish(mg_key **out, EVP_PKEY *pkey, int has_private)
{
    unsigned char *der = NULL, digest[MG_SHA256_LEN];
    mg_key *k;
    int len, rc;

    *out = NULL;
    if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        return mg_error_set(MG_EPARSE, "not an Ed25519 key");
    }
    if ((len = i2d_PUBKEY(pkey, &der)) <= 0) {
        EVP_PKEY_free(pkey);
        return mg_error_set(MG_ERROR, "Ed25519: cannot encode the public key");
    }
    rc = mg_sha256_digest(digest, der, (size_t)len);
    OPENSSL_free(der);
    if (rc < 0 || !(k = calloc(1, sizeof *k))) {
        EVP_PKEY_free(pkey);
        return rc < 0 ? rc : mg_error_set(MG_ENOMEM, "out of memory");
    }
    k->pkey = pkey;
    k->has_private = has_private;
    mg_sha256_hex(k->id, digest);
    *out = k;
    return MG_OK;
}

int mg_key_generate(mg_key **out)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

    *out = NULL;
    if (!pkey)
        return mg_error_set(MG_ERROR, "Ed25519: key generation failed");
    return key_finish(out, pkey, 1);
}

void mg_key_free(mg_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

const char *mg_key_id(const mg_key *k)
{
    return k->id;
}

int mg_key_has_private(const mg_key *k)
{
    return k->has_private;
}

/* Bytes of a memory BIO appended to `out`. */
static int bio_drain(mg_buf *out, BIO *bio)
{
    char *p;
    long n = BIO_get_mem_data(bio, &p);

    return n < 0 ? mg_error_set(MG_ERROR, "PEM: no output") : mg_buf_put(out, p, (size_t)n);
}

int mg_key_public_pem(mg_buf *out, const mg_key *k)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int rc;

    if (!bio)
        return mg_error_set(MG_ENOMEM, "out of memory");
    rc = PEM_write_bio_PUBKEY(bio, k->pkey) == 1 ? bio_drain(out, bio)
                                                 : mg_error_set(MG_ERROR, "PEM: cannot write");
    BIO_free(bio);
    return rc;
}

int mg_key_public_raw(unsigned char out[MG_ED25519_PUBLIC_LEN], const mg_key *k)
{
    size_t len = MG_ED25519_PUBLIC_LEN;

    if (EVP_PKEY_get_raw_public_key(k->pkey, out, &len) != 1 || len != MG_ED25519_PUBLIC_LEN)
        return mg_error_set(MG_ERROR, "Ed25519: cannot read the public key");
    return MG_OK;
}

int mg_key_from_public_pem(mg_key **out, const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey;

    *out = NULL;
    if (!bio)
        return mg_error_set(MG_ENOMEM, "out of memory");
    pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pkey) {
        ERR_clear_error();
        return mg_error_set(MG_EPARSE, "not a PEM public key");
    }
    return key_finish(out, pkey, 0);
}

int mg_key_save(const mg_key *k, const char *path)
{
    BIO *bio = BIO_new(BIO_s_mem());
    mg_buf pem = MG_BUF_INIT;
    int rc;

    if (!k->has_private)
        return mg_error_set(MG_EINVAL, "%s: key %.16s has no private half", path, k->id);
    if (!bio)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1) {
        rc = mg_error_set(MG_ERROR, "%s: cannot encode the private key", path);
        goto done;
    }
    if ((rc = bio_drain(&pem, bio)) < 0)
        goto done;
    rc = mg_file_write_atomic(path, pem.ptr, pem.len, 0600);
done:
    if (pem.ptr)
        OPENSSL_cleanse(pem.ptr, pem.len);
    mg_buf_free(&pem);
    BIO_free(bio);
    return rc;
}

int mg_key_load(mg_key **out, const char *path)
{
    mg_buf pem = MG_BUF_INIT;
    EVP_PKEY *pkey = NULL;
    struct stat st;
    BIO *bio = NULL;
    int rc;

    *out = NULL;
    if (stat(path, &st) < 0)
        return mg_error_set_errno(errno == ENOENT ? MG_ENOTFOUND : MG_EIO, errno, "%s", path);
    if (st.st_mode & 077)
        return mg_error_set(MG_EPERM, "%s: private key readable by others (mode %03o); "
                                      "chmod 600 it",
                            path, (unsigned)(st.st_mode & 0777));
    if ((rc = mg_buf_read_file(&pem, path)) < 0)
        goto done;
    if (!(bio = BIO_new_mem_buf(pem.ptr ? pem.ptr : "", (int)pem.len))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if (!(pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL))) {
        ERR_clear_error();
        rc = mg_error_set(MG_EPARSE, "%s: not a PEM private key", path);
        goto done;
    }
    if ((rc = key_finish(out, pkey, 1)) < 0) {
        char why[256];
        snprintf(why, sizeof why, "%s", mg_error_last());
        mg_error_set(rc, "%s: %s", path, why);
    }
done:
    BIO_free(bio);
    if (pem.ptr)
        OPENSSL_cleanse(pem.ptr, pem.len);
    mg_buf_free(&pem);
    return rc;
}

int mg_key_sign(unsigned char sig[MG_ED25519_SIG_LEN], const mg_key *k, const void *msg,
                size_t len)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t siglen = MG_ED25519_SIG_LEN;
    int ok;

    if (!k->has_private) {
        EVP_MD_CTX_free(c);
        return mg_error_set(MG_EINVAL, "key %.16s has no private half", k->id);
    }
    /* Ed25519 is "pure": no digest, the whole message goes to one call (RFC 8032 §5.1.6) */
    ok = c && EVP_DigestSignInit(c, NULL, NULL, NULL, k->pkey) == 1 &&
         EVP_DigestSign(c, sig, &siglen, msg, len) == 1 && siglen == MG_ED25519_SIG_LEN;
    EVP_MD_CTX_free(c);
    return ok ? MG_OK : mg_error_set(MG_ERROR, "Ed25519: signing failed");
}

int mg_key_verify(const mg_key *k, const void *msg, size_t len,
                  const unsigned char sig[MG_ED25519_SIG_LEN])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok;

    if (!c)
        return mg_error_set(MG_ENOMEM, "out of memory");
    ok = EVP_DigestVerifyInit(c, NULL, NULL, NULL, k->pkey) == 1 &&
         EVP_DigestVerify(c, sig, MG_ED25519_SIG_LEN, msg, len) == 1;
    EVP_MD_CTX_free(c);
    if (!ok)
        ERR_clear_error();
    return ok ? MG_OK : mg_error_set(MG_EVERIFY, "Ed25519 signature does not verify with key %.16s",
                                     k->id);
}

struct mg_key_verifier {
    const mg_key *key;
    EVP_MD_CTX *ctx;
};

int mg_key_verifier_create(mg_key_verifier **out, const mg_key *k)
{
    mg_key_verifier *v = calloc(1, sizeof *v);

    *out = NULL;
    if (!v || !(v->ctx = EVP_MD_CTX_new())) {
        free(v);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    /* initialised once: Ed25519's one-shot verify can run on the same context again */
    if (EVP_DigestVerifyInit(v->ctx, NULL, NULL, NULL, k->pkey) != 1) {
        ERR_clear_error();
        mg_key_verifier_free(v);
        return mg_error_set(MG_ERROR, "Ed25519: cannot set up verification");
    }
    v->key = k;
    *out = v;
    return MG_OK;
}

const mg_key *mg_key_verifier_key(const mg_key_verifier *v)
{
    return v->key;
}

int mg_key_verifier_check(mg_key_verifier *v, const void *msg, size_t len,
                          const unsigned char sig[MG_ED25519_SIG_LEN])
{
    if (EVP_DigestVerify(v->ctx, sig, MG_ED25519_SIG_LEN, msg, len) == 1)
        return MG_OK;
    ERR_clear_error();
    return mg_error_set(MG_EVERIFY, "Ed25519 signature does not verify with key %.16s",
                        v->key->id);
}

void mg_key_verifier_free(mg_key_verifier *v)
{
    if (!v)
        return;
    EVP_MD_CTX_free(v->ctx);
    free(v);
}
