/* merkle.c - RFC 6962 Merkle tree hashes, inclusion and consistency proofs (RFC 9162 §2.1). */
#include "mg_governance.h"
#include "hash.h"

#include <openssl/crypto.h>
#include <string.h>

int mg_merkle_leaf_hash(unsigned char out[MG_SHA256_LEN], const void *data, size_t len)
{
    static const unsigned char leaf = 0x00;
    return gov_sha256(out, &leaf, 1, data ? data : "", len, NULL, 0);
}

int mg_merkle_node_hash(unsigned char out[MG_SHA256_LEN], const unsigned char left[MG_SHA256_LEN],
                        const unsigned char right[MG_SHA256_LEN])
{
    static const unsigned char node = 0x01;
    return gov_sha256(out, &node, 1, left, MG_SHA256_LEN, right, MG_SHA256_LEN);
}

/* The largest power of two smaller than n (n >= 2): RFC 6962 §2.1's k. */
static uint64_t split_point(uint64_t n)
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static int is_pow2(uint64_t n)
{
    return n && !(n & (n - 1));
}

/* MTH(D[lo:hi]); the perfect, aligned subtrees come from the caller's `fn`. */
static int subtree(unsigned char out[MG_SHA256_LEN], uint64_t lo, uint64_t hi, mg_merkle_node_fn fn,
                   void *ctx)
{
    unsigned char l[MG_SHA256_LEN], r[MG_SHA256_LEN];
    uint64_t n = hi - lo, k;
    int rc;

    if (n == 0)
        return mg_sha256_digest(out, "", 0);
    if (is_pow2(n) && lo % n == 0)
        return fn(ctx, (unsigned)__builtin_ctzll(n), lo / n, out);
    k = split_point(n);
    if ((rc = subtree(l, lo, lo + k, fn, ctx)) < 0 || (rc = subtree(r, lo + k, hi, fn, ctx)) < 0)
        return rc;
    return mg_merkle_node_hash(out, l, r);
}

int mg_merkle_root(unsigned char root[MG_SHA256_LEN], uint64_t size, mg_merkle_node_fn fn, void *ctx)
{
    return subtree(root, 0, size, fn, ctx);
}

static int proof_push(mg_merkle_proof *p, uint64_t lo, uint64_t hi, mg_merkle_node_fn fn, void *ctx)
{
    if (p->n == MG_MERKLE_PROOF_MAX)
        return mg_error_set(MG_ERROR, "merkle: proof longer than %d hashes", MG_MERKLE_PROOF_MAX);
    return subtree(p->hash[p->n++], lo, hi, fn, ctx);
}

/* RFC 6962 §2.1.1 PATH(m, D[lo:hi]), deepest sibling first. */
static int path(mg_merkle_proof *p, uint64_t m, uint64_t lo, uint64_t hi, mg_merkle_node_fn fn,
                void *ctx)
{
    uint64_t k;
    int rc;

    if (hi - lo <= 1)
        return MG_OK;
    k = split_point(hi - lo);
    if (m < k) {
        if ((rc = path(p, m, lo, lo + k, fn, ctx)) < 0)
            return rc;
        return proof_push(p, lo + k, hi, fn, ctx);
    }
    if ((rc = path(p, m - k, lo + k, hi, fn, ctx)) < 0)
        return rc;
    return proof_push(p, lo, lo + k, fn, ctx);
}

int mg_merkle_inclusion_proof(mg_merkle_proof *out, uint64_t index, uint64_t size,
                              mg_merkle_node_fn fn, void *ctx)
{
    out->n = 0;
    if (index >= size)
        return mg_error_set(MG_EINVAL, "inclusion proof: index %llu is not below tree size %llu",
                            (unsigned long long)index, (unsigned long long)size);
    return path(out, index, 0, size, fn, ctx);
}

/* RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b). */
static int subproof(mg_merkle_proof *p, uint64_t m, uint64_t lo, uint64_t hi, int b,
                    mg_merkle_node_fn fn, void *ctx)
{
    uint64_t n = hi - lo, k;
    int rc;

    if (m == n)
        return b ? MG_OK : proof_push(p, lo, hi, fn, ctx);
    k = split_point(n);
    if (m <= k) {
        if ((rc = subproof(p, m, lo, lo + k, b, fn, ctx)) < 0)
            return rc;
        return proof_push(p, lo + k, hi, fn, ctx);
    }
    if ((rc = subproof(p, m - k, lo + k, hi, 0, fn, ctx)) < 0)
        return rc;
    return proof_push(p, lo, lo + k, fn, ctx);
}

int mg_merkle_consistency_proof(mg_merkle_proof *out, uint64_t size1, uint64_t size2,
                                mg_merkle_node_fn fn, void *ctx)
{
    out->n = 0;
    if (size1 > size2)
        return mg_error_set(MG_EINVAL, "consistency proof: first size %llu exceeds second %llu",
                            (unsigned long long)size1, (unsigned long long)size2);
    if (size1 == 0 || size1 == size2)
        return MG_OK; /* every tree extends the empty tree, and itself */
    return subproof(out, size1, 0, size2, 1, fn, ctx);
}

static int hash_eq(const unsigned char a[MG_SHA256_LEN], const unsigned char b[MG_SHA256_LEN])
{
    return CRYPTO_memcmp(a, b, MG_SHA256_LEN) == 0;
}

/* RFC 9162 §2.1.3.2. */
int mg_merkle_inclusion_verify(uint64_t index, uint64_t size, const unsigned char leaf[MG_SHA256_LEN],
                               const mg_merkle_proof *proof, const unsigned char root[MG_SHA256_LEN])
{
    unsigned char r[MG_SHA256_LEN];
    uint64_t fn = index, sn = size - 1;
    int rc;

    if (index >= size)
        return mg_error_set(MG_EVERIFY, "inclusion proof: index %llu is not below tree size %llu",
                            (unsigned long long)index, (unsigned long long)size);
    memcpy(r, leaf, MG_SHA256_LEN);
    for (size_t i = 0; i < proof->n; i++) {
        if (sn == 0)
            return mg_error_set(MG_EVERIFY, "inclusion proof: %zu hashes, more than the path",
                                proof->n);
        if ((fn & 1) || fn == sn) {
            rc = mg_merkle_node_hash(r, proof->hash[i], r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0)
                    fn >>= 1, sn >>= 1;
        } else {
            rc = mg_merkle_node_hash(r, r, proof->hash[i]);
        }
        if (rc < 0)
            return rc;
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return mg_error_set(MG_EVERIFY, "inclusion proof: %zu hashes, fewer than the path",
                            proof->n);
    if (!hash_eq(r, root))
        return mg_error_set(MG_EVERIFY, "inclusion proof: leaf %llu does not lead to the root of "
                                        "tree size %llu",
                            (unsigned long long)index, (unsigned long long)size);
    return MG_OK;
}

/* RFC 9162 §2.1.4.2, plus the trivial cases (equal sizes, empty first tree). */
int mg_merkle_consistency_verify(uint64_t size1, uint64_t size2,
                                 const unsigned char root1[MG_SHA256_LEN],
                                 const unsigned char root2[MG_SHA256_LEN],
                                 const mg_merkle_proof *proof)
{
    unsigned char fr[MG_SHA256_LEN], sr[MG_SHA256_LEN];
    const unsigned char *first;
    uint64_t fn, sn;
    size_t i = 0;
    int rc;

    if (size1 > size2)
        return mg_error_set(MG_EVERIFY, "consistency proof: first size %llu exceeds second %llu",
                            (unsigned long long)size1, (unsigned long long)size2);
    if (size1 == size2 || size1 == 0) {
        if (proof->n != 0)
            return mg_error_set(MG_EVERIFY, "consistency proof: expected no hashes, got %zu",
                                proof->n);
        if (size1 == size2 && !hash_eq(root1, root2))
            return mg_error_set(MG_EVERIFY, "consistency proof: two roots for tree size %llu",
                                (unsigned long long)size1);
        return MG_OK;
    }
    if (proof->n == 0)
        return mg_error_set(MG_EVERIFY, "consistency proof: no hashes");
    /* step 2: a power-of-two first tree is itself the first node of the path */
    if (is_pow2(size1)) {
        first = root1;
    } else {
        first = proof->hash[0];
        i = 1;
    }
    fn = size1 - 1;
    sn = size2 - 1;
    while (fn & 1)
        fn >>= 1, sn >>= 1;
    memcpy(fr, first, MG_SHA256_LEN);
    memcpy(sr, first, MG_SHA256_LEN);
    for (; i < proof->n; i++) {
        const unsigned char *c = proof->hash[i];
        if (sn == 0)
            return mg_error_set(MG_EVERIFY, "consistency proof: %zu hashes, more than the path",
                                proof->n);
        if ((fn & 1) || fn == sn) {
            if ((rc = mg_merkle_node_hash(fr, c, fr)) < 0 ||
                (rc = mg_merkle_node_hash(sr, c, sr)) < 0)
                return rc;
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0)
                    fn >>= 1, sn >>= 1;
        } else if ((rc = mg_merkle_node_hash(sr, sr, c)) < 0) {
            return rc;
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return mg_error_set(MG_EVERIFY, "consistency proof: %zu hashes, fewer than the path",
                            proof->n);
    if (!hash_eq(fr, root1))
        return mg_error_set(MG_EVERIFY, "consistency proof: does not lead to the root of tree "
                                        "size %llu",
                            (unsigned long long)size1);
    if (!hash_eq(sr, root2))
        return mg_error_set(MG_EVERIFY, "consistency proof: does not lead to the root of tree "
                                        "size %llu",
                            (unsigned long long)size2);
    return MG_OK;
}

void mg_merkle_stream_init(mg_merkle_stream *s)
{
    memset(s, 0, sizeof *s);
}

/* The compact range: perfect subtrees of strictly decreasing size, one per set bit of size. */
int mg_merkle_stream_push(mg_merkle_stream *s, const unsigned char leaf[MG_SHA256_LEN])
{
    unsigned char h[MG_SHA256_LEN];
    int rc;

    memcpy(h, leaf, MG_SHA256_LEN);
    for (uint64_t n = s->size; n & 1; n >>= 1)
        if ((rc = mg_merkle_node_hash(h, s->stack[--s->depth], h)) < 0)
            return rc;
    memcpy(s->stack[s->depth++], h, MG_SHA256_LEN);
    s->size++;
    return MG_OK;
}

int mg_merkle_stream_root(unsigned char root[MG_SHA256_LEN], const mg_merkle_stream *s)
{
    unsigned char r[MG_SHA256_LEN];
    int rc;

    if (s->depth == 0)
        return mg_sha256_digest(root, "", 0);
    memcpy(r, s->stack[s->depth - 1], MG_SHA256_LEN);
    for (size_t i = s->depth - 1; i-- > 0;)
        if ((rc = mg_merkle_node_hash(r, s->stack[i], r)) < 0)
            return rc;
    memcpy(root, r, MG_SHA256_LEN);
    return MG_OK;
}
