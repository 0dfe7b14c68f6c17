/* test_governance_merkle.c - RFC 6962 roots and proofs against the CT reference vectors. */
#include "mg_governance.h"
#include "testutil.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS "reference/merkle/rfc6962_vectors.json"

/* A test tree: every perfect subtree of `n` leaves, level by level. */
typedef struct tree {
    size_t n;
    unsigned char (*level[64])[MG_SHA256_LEN];
    size_t count[64];
} tree;

static void tree_build(tree *t, const unsigned char (*leaves)[MG_SHA256_LEN], size_t n)
{
    memset(t, 0, sizeof *t);
    t->n = n;
    for (unsigned l = 0; l < 64; l++) {
        size_t c = l == 0 ? n : t->count[l - 1] / 2;
        t->count[l] = c;
        t->level[l] = calloc(c ? c : 1, MG_SHA256_LEN);
        for (size_t i = 0; i < c; i++) {
            if (l == 0)
                memcpy(t->level[0][i], leaves[i], MG_SHA256_LEN);
            else
                ck_assert_int_eq(mg_merkle_node_hash(t->level[l][i], t->level[l - 1][2 * i],
                                                     t->level[l - 1][2 * i + 1]),
                                 MG_OK);
        }
    }
}

static void tree_free(tree *t)
{
    for (unsigned l = 0; l < 64; l++)
        free(t->level[l]);
}

static int tree_node(void *ctx, unsigned level, uint64_t index, unsigned char out[MG_SHA256_LEN])
{
    tree *t = ctx;
    ck_assert_uint_lt(level, 64);
    ck_assert_uint_lt(index, t->count[level]);
    memcpy(out, t->level[level][index], MG_SHA256_LEN);
    return MG_OK;
}

static json_t *vectors;
static unsigned char vleaves[64][MG_SHA256_LEN];
static size_t nvleaves;

static void hex_bytes(unsigned char *out, size_t *len, const char *hex)
{
    *len = strlen(hex) / 2;
    for (size_t i = 0; i < *len; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
}

/* Load the vectors and hash their leaves; false (and a SKIP line) when ../shared is absent. */
static int load_vectors(const char *func)
{
    const char *path = tu_shared(VECTORS);
    json_error_t err;
    json_t *leaves;

    if (!path) {
        fprintf(stderr, "SKIP %s: shared reference data absent (%s)\n", func, VECTORS);
        return 0;
    }
    if (!vectors) {
        vectors = json_load_file(path, 0, &err);
        ck_assert_msg(vectors != NULL, "%s:%d: %s", path, err.line, err.text);
    }
    leaves = json_object_get(vectors, "leaves_hex");
    nvleaves = json_array_size(leaves);
    ck_assert_uint_gt(nvleaves, 0);
    for (size_t i = 0; i < nvleaves; i++) {
        unsigned char data[256];
        size_t len;
        hex_bytes(data, &len, json_string_value(json_array_get(leaves, i)));
        ck_assert_int_eq(mg_merkle_leaf_hash(vleaves[i], data, len), MG_OK);
    }
    return 1;
}

static void proof_from_json(mg_merkle_proof *p, const json_t *arr)
{
    p->n = json_array_size(arr);
    ck_assert_uint_le(p->n, MG_MERKLE_PROOF_MAX);
    for (size_t i = 0; i < p->n; i++)
        ck_assert_int_eq(mg_hash_from_hex(p->hash[i], json_string_value(json_array_get(arr, i))),
                         MG_OK);
}

static void root_of(unsigned char root[MG_SHA256_LEN], size_t size)
{
    tree t;
    tree_build(&t, (const unsigned char(*)[MG_SHA256_LEN])vleaves, size);
    ck_assert_int_eq(mg_merkle_root(root, size, tree_node, &t), MG_OK);
    tree_free(&t);
}

/* roots_by_size: every size from 0 (SHA-256 of "") to all leaves, by recursion and by streaming. */
START_TEST(test_governance_merkle_roots_every_size)
{
    json_t *roots;
    const char *key;
    json_t *val;
    size_t checked = 0;

    if (!load_vectors(__func__))
        return;
    roots = json_object_get(vectors, "roots_by_size");
    json_object_foreach(roots, key, val)
    {
        size_t size = strtoul(key, NULL, 10);
        unsigned char want[MG_SHA256_LEN], got[MG_SHA256_LEN];
        mg_merkle_stream st;

        ck_assert_uint_le(size, nvleaves);
        ck_assert_int_eq(mg_hash_from_hex(want, json_string_value(val)), MG_OK);
        root_of(got, size);
        ck_assert_msg(memcmp(got, want, MG_SHA256_LEN) == 0, "root of size %zu", size);
        mg_merkle_stream_init(&st);
        for (size_t i = 0; i < size; i++)
            ck_assert_int_eq(mg_merkle_stream_push(&st, vleaves[i]), MG_OK);
        ck_assert_int_eq(mg_merkle_stream_root(got, &st), MG_OK);
        ck_assert_msg(memcmp(got, want, MG_SHA256_LEN) == 0, "streamed root of size %zu", size);
        checked++;
    }
    ck_assert_uint_eq(checked, nvleaves + 1);
}
END_TEST

/* Each reference inclusion proof: generated identically, verifies, and every corruption fails. */
START_TEST(test_governance_merkle_inclusion_vectors)
{
    json_t *cases, *c;
    size_t k;

    if (!load_vectors(__func__))
        return;
    cases = json_object_get(vectors, "inclusion_proofs");
    ck_assert_uint_gt(json_array_size(cases), 0);
    json_array_foreach(cases, k, c)
    {
        uint64_t index = (uint64_t)json_integer_value(json_object_get(c, "leaf_index"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(c, "tree_size"));
        unsigned char root[MG_SHA256_LEN], other[MG_SHA256_LEN];
        mg_merkle_proof want, got, bad;
        tree t;

        proof_from_json(&want, json_object_get(c, "proof"));
        tree_build(&t, (const unsigned char(*)[MG_SHA256_LEN])vleaves, size);
        ck_assert_int_eq(mg_merkle_root(root, size, tree_node, &t), MG_OK);
        ck_assert_int_eq(mg_merkle_inclusion_proof(&got, index, size, tree_node, &t), MG_OK);
        ck_assert_uint_eq(got.n, want.n);
        ck_assert_msg(memcmp(got.hash, want.hash, want.n * MG_SHA256_LEN) == 0,
                      "proof for leaf %llu of %llu", (unsigned long long)index,
                      (unsigned long long)size);
        ck_assert_int_eq(mg_merkle_inclusion_verify(index, size, vleaves[index], &want, root),
                         MG_OK);

        /* wrong index or size (transparency-dev's probes: index +-1, index ^ 2, size * 2, size / 2) */
        ck_assert_int_eq(mg_merkle_inclusion_verify(index + 1, size, vleaves[index], &want, root),
                         MG_EVERIFY);
        if (index > 0)
            ck_assert_int_eq(
                mg_merkle_inclusion_verify(index - 1, size, vleaves[index], &want, root),
                MG_EVERIFY);
        ck_assert_int_eq(mg_merkle_inclusion_verify(index ^ 2, size, vleaves[index], &want, root),
                         MG_EVERIFY);
        ck_assert_int_eq(mg_merkle_inclusion_verify(index, size * 2, vleaves[index], &want, root),
                         MG_EVERIFY);
        ck_assert_int_eq(mg_merkle_inclusion_verify(index, size / 2, vleaves[index], &want, root),
                         MG_EVERIFY);
        /* another leaf, another root */
        ck_assert_int_eq(mg_merkle_inclusion_verify(index, size, vleaves[(index + 1) % nvleaves],
                                                    &want, root),
                         MG_EVERIFY);
        root_of(other, nvleaves);
        if (size != nvleaves)
            ck_assert_int_eq(mg_merkle_inclusion_verify(index, size, vleaves[index], &want, other),
                             MG_EVERIFY);
        /* a flipped bit in each element */
        for (size_t i = 0; i < want.n; i++) {
            bad = want;
            bad.hash[i][i % MG_SHA256_LEN] ^= 0x01;
            ck_assert_int_eq(mg_merkle_inclusion_verify(index, size, vleaves[index], &bad, root),
                             MG_EVERIFY);
        }
        /* a trailing element, a missing element */
        bad = want;
        memcpy(bad.hash[bad.n++], root, MG_SHA256_LEN);
        ck_assert_int_eq(mg_merkle_inclusion_verify(index, size, vleaves[index], &bad, root),
                         MG_EVERIFY);
        if (want.n > 0) {
            bad = want;
            bad.n--;
            ck_assert_int_eq(mg_merkle_inclusion_verify(index, size, vleaves[index], &bad, root),
                             MG_EVERIFY);
        }
        tree_free(&t);
    }
}
END_TEST

/* Each reference consistency proof: generated identically, verifies, and corruptions fail. */
START_TEST(test_governance_merkle_consistency_vectors)
{
    json_t *cases, *c;
    size_t k;

    if (!load_vectors(__func__))
        return;
    cases = json_object_get(vectors, "consistency_proofs");
    ck_assert_uint_gt(json_array_size(cases), 0);
    json_array_foreach(cases, k, c)
    {
        uint64_t s1 = (uint64_t)json_integer_value(json_object_get(c, "size1"));
        uint64_t s2 = (uint64_t)json_integer_value(json_object_get(c, "size2"));
        unsigned char r1[MG_SHA256_LEN], r2[MG_SHA256_LEN];
        mg_merkle_proof want, got, bad;
        tree t;

        proof_from_json(&want, json_object_get(c, "proof"));
        tree_build(&t, (const unsigned char(*)[MG_SHA256_LEN])vleaves, s2);
        root_of(r1, s1);
        root_of(r2, s2);
        ck_assert_int_eq(mg_merkle_consistency_proof(&got, s1, s2, tree_node, &t), MG_OK);
        ck_assert_uint_eq(got.n, want.n);
        ck_assert_msg(memcmp(got.hash, want.hash, want.n * MG_SHA256_LEN) == 0,
                      "consistency %llu -> %llu", (unsigned long long)s1, (unsigned long long)s2);
        ck_assert_int_eq(mg_merkle_consistency_verify(s1, s2, r1, r2, &want), MG_OK);

        /* swapped roots; wrong sizes (size1 +-1, size1 ^ 2, size2 * 2, size2 / 2) */
        if (s1 != s2) {
            ck_assert_int_eq(mg_merkle_consistency_verify(s1, s2, r2, r1, &want), MG_EVERIFY);
            ck_assert_int_eq(mg_merkle_consistency_verify(s1 + 1, s2, r1, r2, &want), MG_EVERIFY);
        }
        if (s1 > 1) /* size1 - 1 = 0 with an empty proof is consistent with anything */
            ck_assert_int_eq(mg_merkle_consistency_verify(s1 - 1, s2, r1, r2, &want), MG_EVERIFY);
        ck_assert_int_eq(mg_merkle_consistency_verify(s1 ^ 2, s2, r1, r2, &want), MG_EVERIFY);
        ck_assert_int_eq(mg_merkle_consistency_verify(s1, s2 * 2, r1, r2, &want), MG_EVERIFY);
        ck_assert_int_eq(mg_merkle_consistency_verify(s1, s2 / 2, r1, r2, &want), MG_EVERIFY);
        /* flipped bits, a trailing and a missing element */
        for (size_t i = 0; i < want.n; i++) {
            bad = want;
            bad.hash[i][(i * 7) % MG_SHA256_LEN] ^= 0x80;
            ck_assert_int_eq(mg_merkle_consistency_verify(s1, s2, r1, r2, &bad), MG_EVERIFY);
        }
        bad = want;
        memcpy(bad.hash[bad.n++], r2, MG_SHA256_LEN);
        ck_assert_int_eq(mg_merkle_consistency_verify(s1, s2, r1, r2, &bad), MG_EVERIFY);
        if (want.n > 0) {
            bad = want;
            bad.n--;
            ck_assert_int_eq(mg_merkle_consistency_verify(s1, s2, r1, r2, &bad), MG_EVERIFY);
        }
        tree_free(&t);
    }
}
END_TEST

/*
 * Beyond the vectors: on a 300-leaf tree every inclusion and every consistency
 * proof our generator makes verifies against roots computed independently by
 * streaming, and the streamed root equals the recursive one at every size.
 */
START_TEST(test_governance_merkle_all_proofs_300)
{
    enum { N = 300 };
    static unsigned char leaves[N][MG_SHA256_LEN], roots[N + 1][MG_SHA256_LEN];
    mg_merkle_stream st;
    tree t;

    mg_merkle_stream_init(&st);
    ck_assert_int_eq(mg_merkle_stream_root(roots[0], &st), MG_OK);
    for (size_t i = 0; i < N; i++) {
        char data[32];
        int len = snprintf(data, sizeof data, "leaf %zu", i);
        ck_assert_int_eq(mg_merkle_leaf_hash(leaves[i], data, (size_t)len), MG_OK);
        ck_assert_int_eq(mg_merkle_stream_push(&st, leaves[i]), MG_OK);
        ck_assert_int_eq(mg_merkle_stream_root(roots[i + 1], &st), MG_OK);
    }
    tree_build(&t, (const unsigned char(*)[MG_SHA256_LEN])leaves, N);
    for (uint64_t size = 1; size <= N; size++) {
        unsigned char r[MG_SHA256_LEN];
        ck_assert_int_eq(mg_merkle_root(r, size, tree_node, &t), MG_OK);
        ck_assert_int_eq(memcmp(r, roots[size], MG_SHA256_LEN), 0);
        for (uint64_t i = 0; i < size; i += 7) {
            mg_merkle_proof p;
            ck_assert_int_eq(mg_merkle_inclusion_proof(&p, i, size, tree_node, &t), MG_OK);
            ck_assert_int_eq(mg_merkle_inclusion_verify(i, size, leaves[i], &p, roots[size]),
                             MG_OK);
        }
        for (uint64_t s1 = 0; s1 <= size; s1 += 5) {
            mg_merkle_proof p;
            ck_assert_int_eq(mg_merkle_consistency_proof(&p, s1, size, tree_node, &t), MG_OK);
            ck_assert_int_eq(mg_merkle_consistency_verify(s1, size, roots[s1], roots[size], &p),
                             MG_OK);
        }
    }
    tree_free(&t);
}
END_TEST

START_TEST(test_governance_merkle_bad_arguments)
{
    mg_merkle_proof p = {0};
    unsigned char h[MG_SHA256_LEN] = {0};
    ck_assert_int_eq(mg_merkle_inclusion_proof(&p, 3, 3, tree_node, NULL), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "index 3"));
    ck_assert_int_eq(mg_merkle_consistency_proof(&p, 4, 3, tree_node, NULL), MG_EINVAL);
    ck_assert_int_eq(mg_merkle_inclusion_verify(0, 0, h, &p, h), MG_EVERIFY);
    ck_assert_int_eq(mg_hash_from_hex(h, "abc"), MG_EPARSE);
    ck_assert_int_eq(mg_hash_from_hex(h, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852"
                                         "B855"),
                     MG_EPARSE);
}
END_TEST

/* RFC 4648 §10 test vectors. */
START_TEST(test_governance_base64_rfc4648)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *coded[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        mg_buf e = MG_BUF_INIT, d = MG_BUF_INIT;
        ck_assert_int_eq(mg_base64_encode(&e, plain[i], strlen(plain[i])), MG_OK);
        ck_assert_str_eq(e.ptr ? e.ptr : "", coded[i]);
        ck_assert_int_eq(mg_base64_decode(&d, coded[i], strlen(coded[i])), MG_OK);
        ck_assert_str_eq(d.ptr ? d.ptr : "", plain[i]);
        mg_buf_free(&e);
        mg_buf_free(&d);
    }
    {
        mg_buf d = MG_BUF_INIT;
        ck_assert_int_eq(mg_base64_decode(&d, "Zg=", 3), MG_EPARSE);
        ck_assert_int_eq(mg_base64_decode(&d, "Zh==", 4), MG_EPARSE); /* pad bits set */
        ck_assert_int_eq(mg_base64_decode(&d, "Z g=", 4), MG_EPARSE);
        ck_assert_int_eq(mg_base64_decode(&d, "Zg==Zg==", 8), MG_EPARSE);
        ck_assert_uint_eq(d.len, 0);
        mg_buf_free(&d);
    }
}
END_TEST

static void drop_vectors(void)
{
    json_decref(vectors);
    vectors = NULL;
}

int main(void)
{
    Suite *s = suite_create("governance_merkle");
    TCase *tc = tcase_create("merkle");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, NULL, drop_vectors);
    tcase_add_test(tc, test_governance_merkle_roots_every_size);
    tcase_add_test(tc, test_governance_merkle_inclusion_vectors);
    tcase_add_test(tc, test_governance_merkle_consistency_vectors);
    tcase_add_test(tc, test_governance_merkle_all_proofs_300);
    tcase_add_test(tc, test_governance_merkle_bad_arguments);
    tcase_add_test(tc, test_governance_base64_rfc4648);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
