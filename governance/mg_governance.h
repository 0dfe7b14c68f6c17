/* mg_governance.h - the governance library: canonical JSON, Merkle log, keys, store, workflow. */
#ifndef MG_GOVERNANCE_H
#define MG_GOVERNANCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "mg_buf.h"
#include "mg_error.h"
#include "mg_sha256.h"

/* ------------------------------------------------------------------------------------------ */
/* Canonical JSON (RFC 8785, JCS)                                                              */
/* ------------------------------------------------------------------------------------------ */

/*
 * Append the RFC 8785 canonical form of `v` to `out`: object members sorted
 * by the UTF-16 code units of their names, no whitespace, strings escaped as
 * ECMAScript's JSON.stringify does, numbers formatted as ECMAScript's
 * Number.prototype.toString (shortest round-trip; -0 as 0). jansson integers
 * are written as such; one beyond +-2^53 is refused (not I-JSON, RFC 7493).
 * Errors: MG_EINVAL (NaN, Infinity, integer beyond 2^53, nesting deeper than
 * 512), MG_ENOMEM, MG_ETOOBIG (out->max). On error `out` is left as it was.
 * Thread safety: only reads `v`.
 */
int mg_jcs_append(mg_buf *out, const json_t *v);

/* SHA-256 of the canonical form of `v`. Errors: as mg_jcs_append(). */
int mg_jcs_sha256(unsigned char digest[MG_SHA256_LEN], const json_t *v);

#define MG_JCS_NUMBER_MAX 32 /* "-1.7976931348623157e+308" and a NUL fit */

/* One double as RFC 8785 writes it (ECMAScript rules). Errors: MG_EINVAL (NaN, Infinity). */
int mg_jcs_number(char out[MG_JCS_NUMBER_MAX], double v);

/* ------------------------------------------------------------------------------------------ */
/* Merkle trees (RFC 6962 §2.1; proofs verified as RFC 9162 §2.1.3.2 / §2.1.4.2 say)         */
/* ------------------------------------------------------------------------------------------ */

/* Leaf hash SHA-256(0x00 || data). Errors: MG_ERROR (OpenSSL). */
int mg_merkle_leaf_hash(unsigned char out[MG_SHA256_LEN], const void *data, size_t len);

/* Interior node hash SHA-256(0x01 || left || right). Errors: MG_ERROR (OpenSSL). */
int mg_merkle_node_hash(unsigned char out[MG_SHA256_LEN], const unsigned char left[MG_SHA256_LEN],
                        const unsigned char right[MG_SHA256_LEN]);

/*
 * The caller's storage of a tree: write into `out` the hash of the perfect
 * subtree at `level` over leaves [index * 2^level, (index + 1) * 2^level)
 * (level 0: the leaf hash itself). Return 0 or a negative MG_E* code.
 */
typedef int (*mg_merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
                                 unsigned char out[MG_SHA256_LEN]);

/* A proof: at most one hash per level, so 64 (plus one for consistency) suffice. */
#define MG_MERKLE_PROOF_MAX 66
typedef struct mg_merkle_proof {
    size_t n;
    unsigned char hash[MG_MERKLE_PROOF_MAX][MG_SHA256_LEN];
} mg_merkle_proof;

/*
 * Root MTH(D[0:size]) of the first `size` leaves (SHA-256("") when size is 0),
 * reading only perfect subtrees through `fn`. Errors: whatever `fn` returns.
 */
int mg_merkle_root(unsigned char root[MG_SHA256_LEN], uint64_t size, mg_merkle_node_fn fn,
                   void *ctx);

/*
 * Inclusion proof PATH(index, D[0:size]) of RFC 6962 §2.1.1, deepest sibling
 * first. Errors: MG_EINVAL (index >= size), whatever `fn` returns.
 */
int mg_merkle_inclusion_proof(mg_merkle_proof *out, uint64_t index, uint64_t size,
                              mg_merkle_node_fn fn, void *ctx);

/*
 * Consistency proof PROOF(size1, D[0:size2]) of RFC 6962 §2.1.2; empty when
 * size1 is 0 or equals size2. Errors: MG_EINVAL (size1 > size2), `fn`'s.
 */
int mg_merkle_consistency_proof(mg_merkle_proof *out, uint64_t size1, uint64_t size2,
                                mg_merkle_node_fn fn, void *ctx);

/*
 * Check that leaf hash `leaf` sits at `index` of the tree of `size` leaves
 * whose root is `root`. Returns MG_OK or MG_EVERIFY saying why (index out of
 * range, too many or too few hashes, wrong root). Cannot allocate.
 */
int mg_merkle_inclusion_verify(uint64_t index, uint64_t size, const unsigned char leaf[MG_SHA256_LEN],
                               const mg_merkle_proof *proof, const unsigned char root[MG_SHA256_LEN]);

/*
 * Check that the tree of size2 leaves with root2 extends the one of size1
 * leaves with root1. Equal sizes need equal roots and an empty proof; an
 * empty first tree needs an empty proof. Returns MG_OK or MG_EVERIFY.
 */
int mg_merkle_consistency_verify(uint64_t size1, uint64_t size2,
                                 const unsigned char root1[MG_SHA256_LEN],
                                 const unsigned char root2[MG_SHA256_LEN],
                                 const mg_merkle_proof *proof);

/*
 * A root computed while leaves stream past, in O(log n) memory: the compact
 * range of perfect subtrees. mg_merkle_stream_init() it on the stack.
 */
typedef struct mg_merkle_stream {
    uint64_t size;
    size_t depth;
    unsigned char stack[64][MG_SHA256_LEN];
} mg_merkle_stream;

void mg_merkle_stream_init(mg_merkle_stream *s);

/* Add the next leaf hash. Errors: MG_ERROR (OpenSSL). */
int mg_merkle_stream_push(mg_merkle_stream *s, const unsigned char leaf[MG_SHA256_LEN]);

/* Root of the leaves pushed so far. Errors: MG_ERROR (OpenSSL). */
int mg_merkle_stream_root(unsigned char root[MG_SHA256_LEN], const mg_merkle_stream *s);

/* ------------------------------------------------------------------------------------------ */
/* Encodings                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* 64 lower-case hex digits to 32 bytes (mg_sha256_hex() goes back). Errors: MG_EPARSE. */
int mg_hash_from_hex(unsigned char out[MG_SHA256_LEN], const char *hex);

/* 1 when `hex` is 64 lower-case hex digits, else 0. Cannot fail. */
int mg_hex_is_sha256(const char *hex);

/* Append standard base64 (RFC 4648 §4, padded). Errors: MG_ENOMEM, MG_ETOOBIG. */
int mg_base64_encode(mg_buf *out, const void *data, size_t len);

/*
 * Append the bytes of strict base64 `text` (padded, no whitespace, zero pad
 * bits). Errors: MG_EPARSE naming the offset, MG_ENOMEM; `out` unchanged then.
 */
int mg_base64_decode(mg_buf *out, const char *text, size_t len);

/* ------------------------------------------------------------------------------------------ */
/* Ed25519 keys (OpenSSL EVP)                                                                  */
/* ------------------------------------------------------------------------------------------ */

#define MG_ED25519_SIG_LEN 64
#define MG_ED25519_PUBLIC_LEN 32

/*
 * An Ed25519 key: a pair that signs, or a public key that only verifies.
 * Its id is the hex SHA-256 of its SubjectPublicKeyInfo DER (RFC 8410), so
 * `openssl pkey -pubin -in pub.pem -outform DER | sha256sum` prints it.
 * A key is immutable: sign and verify from several threads at once.
 */
typedef struct mg_key mg_key;

/* A fresh key pair. Errors: MG_ERROR (OpenSSL), MG_ENOMEM. Free with mg_key_free(). */
int mg_key_generate(mg_key **out);

/*
 * Load a PKCS#8 PEM private key written by mg_key_save(). Refuses a file
 * others can read. Errors: MG_ENOTFOUND, MG_EPERM (mode not 0600), MG_EPARSE
 * (not an Ed25519 PEM key), MG_EIO, MG_ENOMEM.
 */
int mg_key_load(mg_key **out, const char *path);

/* Write the private key as PKCS#8 PEM, atomically, mode 0600. Errors: MG_EINVAL (public only), MG_EIO. */
int mg_key_save(const mg_key *k, const char *path);

/* A public key from SubjectPublicKeyInfo PEM text. Errors: MG_EPARSE, MG_ENOMEM. */
int mg_key_from_public_pem(mg_key **out, const char *pem, size_t len);

/* Append the SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----..."). Errors: MG_ENOMEM. */
int mg_key_public_pem(mg_buf *out, const mg_key *k);

/* The 32 raw public key bytes (RFC 8032). Errors: MG_ERROR. */
int mg_key_public_raw(unsigned char out[MG_ED25519_PUBLIC_LEN], const mg_key *k);

/* Hex key id, borrowed while `k` lives. Cannot fail. */
const char *mg_key_id(const mg_key *k);

/* 1 when `k` can sign. */
int mg_key_has_private(const mg_key *k);

/*
 * Ed25519 signature over the raw bytes of `msg` (no pre-hash), the form
 * `openssl pkeyutl -sign -rawin` makes. Errors: MG_EINVAL (public key only), MG_ERROR.
 */
int mg_key_sign(unsigned char sig[MG_ED25519_SIG_LEN], const mg_key *k, const void *msg,
                size_t len);

/* MG_OK when `sig` is k's signature over `msg`; MG_EVERIFY otherwise (naming the key id). */
int mg_key_verify(const mg_key *k, const void *msg, size_t len,
                  const unsigned char sig[MG_ED25519_SIG_LEN]);

void mg_key_free(mg_key *k); /* NULL is a no-op */

#endif
