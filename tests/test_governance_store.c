/* test_governance_store.c - the store: layout, schema versions, tokens, artifacts, the signed log. */
#include "mg_governance.h"
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *new_store_dir(const char *name)
{
    return tu_path(name);
}

static mg_store *new_store(const char *name)
{
    char *dir = new_store_dir(name);
    mg_store *s = NULL;
    ck_assert_msg(mg_store_init(&s, dir) == MG_OK, "%s", mg_error_last());
    free(dir);
    return s;
}

/* The key announced by entry 0 (store.init), as a public key. */
static mg_key *genesis_key(mg_store *s)
{
    json_t *e = NULL;
    mg_key *k = NULL;
    const char *pem;

    ck_assert_int_eq(mg_gov_log_entry(&e, s, 0), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "entry"), "action")),
                     "store.init");
    pem = json_string_value(
        json_object_get(json_object_get(json_object_get(e, "entry"), "subject"), "public_key"));
    ck_assert_ptr_nonnull(pem);
    ck_assert_int_eq(mg_key_from_public_pem(&k, pem, strlen(pem)), MG_OK);
    json_decref(e);
    return k;
}

static void sig_from_json(unsigned char sig[MG_ED25519_SIG_LEN], const json_t *v)
{
    mg_buf b = MG_BUF_INIT;
    const char *t = json_string_value(v);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(mg_base64_decode(&b, t, strlen(t)), MG_OK);
    ck_assert_uint_eq(b.len, MG_ED25519_SIG_LEN);
    memcpy(sig, b.ptr, MG_ED25519_SIG_LEN);
    mg_buf_free(&b);
}

/*
 * Every entry: its signature verifies over JCS(entry) with the key in force
 * (entry 0 announces the first key; a "key.rotate" entry, signed by the old
 * key, announces the next), its leaf hash is SHA-256(0x00 || bytes), its
 * "prev" is SHA-256 of the previous entry's bytes (64 zeros for entry 0), its
 * index is its position; and the latest tree head is signed by the key in
 * force and its root is the root of those leaves.
 */
static void check_log(mg_store *s)
{
    unsigned char prev[MG_SHA256_LEN] = {0}, sig[MG_ED25519_SIG_LEN], root[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    mg_merkle_stream st;
    json_t *th = NULL;
    uint64_t n = 0;
    mg_buf b = MG_BUF_INIT;
    mg_key *key = genesis_key(s);

    ck_assert_int_eq(mg_gov_log_size(&n, s), MG_OK);
    mg_merkle_stream_init(&st);
    for (uint64_t i = 0; i < n; i++) {
        unsigned char leaf[MG_SHA256_LEN];
        json_t *e = NULL, *entry, *subject;
        ck_assert_int_eq(mg_gov_log_entry(&e, s, i), MG_OK);
        entry = json_object_get(e, "entry");
        subject = json_object_get(entry, "subject");
        ck_assert_int_eq(json_integer_value(json_object_get(entry, "index")), (json_int_t)i);
        mg_sha256_hex(hex, prev);
        ck_assert_str_eq(json_string_value(json_object_get(entry, "prev")), hex);
        mg_buf_clear(&b);
        ck_assert_int_eq(mg_jcs_append(&b, entry), MG_OK);
        sig_from_json(sig, json_object_get(e, "signature"));
        ck_assert_msg(mg_key_verify(key, b.ptr, b.len, sig) == MG_OK, "entry %llu: %s",
                      (unsigned long long)i, mg_error_last());
        ck_assert_str_eq(json_string_value(json_object_get(e, "key_id")), mg_key_id(key));
        ck_assert_int_eq(mg_merkle_leaf_hash(leaf, b.ptr, b.len), MG_OK);
        mg_sha256_hex(hex, leaf);
        ck_assert_str_eq(json_string_value(json_object_get(e, "leaf_hash")), hex);
        ck_assert_int_eq(mg_merkle_stream_push(&st, leaf), MG_OK);
        ck_assert_int_eq(mg_sha256_digest(prev, b.ptr, b.len), MG_OK);
        if (strcmp(json_string_value(json_object_get(entry, "action")), "key.rotate") == 0) {
            const char *pem = json_string_value(json_object_get(subject, "public_key"));
            ck_assert_str_eq(json_string_value(json_object_get(subject, "previous_key_id")),
                             mg_key_id(key));
            mg_key_free(key);
            ck_assert_int_eq(mg_key_from_public_pem(&key, pem, strlen(pem)), MG_OK);
            ck_assert_str_eq(json_string_value(json_object_get(subject, "key_id")),
                             mg_key_id(key));
        }
        json_decref(e);
    }
    ck_assert_int_eq(mg_gov_tree_head(&th, s), MG_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(th, "size")), (json_int_t)n);
    ck_assert_str_eq(json_string_value(json_object_get(th, "key_id")), mg_key_id(key));
    ck_assert_int_eq(mg_merkle_stream_root(root, &st), MG_OK);
    mg_sha256_hex(hex, root);
    ck_assert_str_eq(json_string_value(json_object_get(th, "root")), hex);
    mg_buf_clear(&b);
    ck_assert_int_eq(mg_gov_tree_head_bytes(&b, n, hex,
                                            json_string_value(json_object_get(th, "time"))),
                     MG_OK);
    sig_from_json(sig, json_object_get(th, "signature"));
    ck_assert_int_eq(mg_key_verify(key, b.ptr, b.len, sig), MG_OK);
    json_decref(th);
    mg_buf_free(&b);
    mg_key_free(key);
}

START_TEST(test_governance_store_init_layout)
{
    char *dir = new_store_dir("layout"), path[1024];
    mg_store *s = NULL, *again = NULL;
    mg_key *k;
    struct stat st;

    ck_assert_int_eq(mg_store_init(&s, dir), MG_OK);
    snprintf(path, sizeof path, "%s/modelgov.db", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    snprintf(path, sizeof path, "%s/artifacts", dir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    k = genesis_key(s);
    snprintf(path, sizeof path, "%s/keys/%s.pem", dir, mg_key_id(k));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    check_log(s);
    mg_store_close(s);

    ck_assert_int_eq(mg_store_init(&again, dir), MG_EEXISTS);
    ck_assert_ptr_null(again);
    ck_assert_int_eq(mg_store_open(&again, dir), MG_OK);
    check_log(again);
    mg_store_close(again);
    mg_key_free(k);
    free(dir);
}
END_TEST

START_TEST(test_governance_store_open_missing)
{
    mg_store *s = NULL;
    ck_assert_int_eq(mg_store_open(&s, "/nonexistent/store"), MG_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "modelgov init --store /nonexistent/store"));
    ck_assert_ptr_null(s);
}
END_TEST

/* A store written by a newer binary (schema version 99) is refused, and left untouched. */
START_TEST(test_governance_store_newer_schema_refused)
{
    char *dir = new_store_dir("newer"), db[1024];
    mg_store *s = NULL;
    sqlite3 *h;

    ck_assert_int_eq(mg_store_init(&s, dir), MG_OK);
    mg_store_close(s);
    snprintf(db, sizeof db, "%s/modelgov.db", dir);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(h, "INSERT INTO schema_version VALUES (99, 'future')", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    s = NULL;
    ck_assert_int_eq(mg_store_open(&s, dir), MG_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "schema version 99 is newer"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "upgrade modelgov"));
    ck_assert_ptr_null(s);
    free(dir);
}
END_TEST

START_TEST(test_governance_store_tokens)
{
    mg_store *s = new_store("tokens");
    char secret[MG_TOKEN_SECRET_MAX], other[MG_TOKEN_SECRET_MAX];
    mg_actor local, who, viewer = {"vic", MG_ROLE_VIEWER};
    mg_gov_result r;
    json_t *list = NULL;

    mg_actor_local(&local);
    ck_assert_int_eq(mg_gov_token_create(&r, secret, s, &local, "alice", MG_ROLE_REVIEWER), MG_OK);
    ck_assert_int_eq(r.log_index, 1);
    ck_assert_int_eq(strncmp(secret, "mgt_", 4), 0);
    ck_assert_uint_eq(strlen(secret), 4 + 43); /* 32 bytes in base64url */
    ck_assert_int_eq(mg_gov_token_authenticate(&who, s, secret), MG_OK);
    ck_assert_str_eq(who.name, "alice");
    ck_assert_int_eq(who.role, MG_ROLE_REVIEWER);

    /* one character off, or nonsense: unknown */
    strcpy(other, secret);
    other[10] = other[10] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(mg_gov_token_authenticate(&who, s, other), MG_EAUTH);
    ck_assert_str_eq(mg_error_last(), "unknown token");
    ck_assert_int_eq(mg_gov_token_authenticate(&who, s, "hello"), MG_EAUTH);

    ck_assert_int_eq(mg_gov_token_create(&r, other, s, &local, "alice", MG_ROLE_VIEWER),
                     MG_EEXISTS);
    ck_assert_int_eq(mg_gov_token_create(&r, other, s, &viewer, "bob", MG_ROLE_VIEWER), MG_EPERM);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "admin"));
    ck_assert_int_eq(mg_gov_token_create(&r, other, s, &local, "bad name", MG_ROLE_VIEWER),
                     MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "character 4"));
    ck_assert_int_eq(mg_gov_token_create(&r, other, s, &local, "local", MG_ROLE_VIEWER),
                     MG_EINVAL);

    ck_assert_int_eq(mg_gov_token_revoke(&r, s, &local, "alice"), MG_OK);
    ck_assert_int_eq(r.log_index, 2);
    ck_assert_int_eq(mg_gov_token_authenticate(&who, s, secret), MG_EAUTH);
    ck_assert_str_eq(mg_error_last(), "token 'alice' was revoked");
    ck_assert_int_eq(mg_gov_token_revoke(&r, s, &local, "alice"), MG_ENOTFOUND);

    ck_assert_int_eq(mg_gov_tokens_list(&list, s), MG_OK);
    ck_assert_uint_eq(json_array_size(list), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(list, 0), "role")),
                     "reviewer");
    ck_assert(json_is_string(json_object_get(json_array_get(list, 0), "revoked")));
    /* the secret is nowhere in the log or the list */
    {
        char *dump = json_dumps(list, 0);
        ck_assert_ptr_null(strstr(dump, secret + 4));
        free(dump);
    }
    check_log(s);
    json_decref(list);
    mg_store_close(s);
}
END_TEST

START_TEST(test_governance_store_artifacts)
{
    mg_store *s = new_store("artifacts");
    char hex[MG_SHA256_HEX], again[MG_SHA256_HEX], *path = NULL;
    mg_buf b = MG_BUF_INIT;
    struct stat st;
    FILE *f;

    /* sha256("abc"), FIPS 180-2 B.1 */
    ck_assert_int_eq(mg_gov_artifact_put(hex, s, "abc", 3), MG_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ck_assert_int_eq(mg_gov_artifact_put(again, s, "abc", 3), MG_OK);
    ck_assert_str_eq(again, hex);
    ck_assert_int_eq(mg_gov_artifact_path(&path, s, hex), MG_OK);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0444);
    ck_assert_int_eq(mg_gov_artifact_read(&b, s, hex), MG_OK);
    ck_assert_str_eq(b.ptr, "abc");
    mg_buf_clear(&b);

    /* altered on disk: reading says so */
    chmod(path, 0644);
    f = fopen(path, "wb");
    fputs("abd", f);
    fclose(f);
    ck_assert_int_eq(mg_gov_artifact_read(&b, s, hex), MG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "altered"));
    /* storing the right bytes again repairs it */
    ck_assert_int_eq(mg_gov_artifact_put(again, s, "abc", 3), MG_OK);
    ck_assert_int_eq(mg_gov_artifact_read(&b, s, hex), MG_OK);

    ck_assert_int_eq(mg_gov_artifact_read(&b, s, "00"), MG_EINVAL);
    ck_assert_int_eq(mg_gov_artifact_read(&b, s, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4"
                                                 "95991b7852b855"),
                     MG_ENOTFOUND);
    mg_buf_free(&b);
    free(path);
    mg_store_close(s);
}
END_TEST

/* Rotation: announced by an entry the old key signs; later entries and heads use the new key, also after reopening. */
START_TEST(test_governance_store_key_rotation)
{
    char *dir = new_store_dir("rotate");
    char secret[MG_TOKEN_SECRET_MAX], first[MG_SHA256_HEX], path[1024];
    mg_store *s = NULL;
    mg_actor local, admin = {"ann", MG_ROLE_REVIEWER};
    mg_gov_result r;
    json_t *keys = NULL, *e = NULL;
    struct stat st;

    mg_actor_local(&local);
    ck_assert_int_eq(mg_store_init(&s, dir), MG_OK);
    ck_assert_int_eq(mg_gov_token_create(&r, secret, s, &local, "a", MG_ROLE_VIEWER), MG_OK);
    ck_assert_int_eq(mg_gov_key_rotate(&r, s, &admin), MG_EPERM);
    ck_assert_int_eq(mg_gov_keys_list(&keys, s), MG_OK);
    snprintf(first, sizeof first, "%s",
             json_string_value(json_object_get(json_array_get(keys, 0), "key_id")));
    json_decref(keys);
    ck_assert_int_eq(mg_gov_key_rotate(&r, s, &local), MG_OK);
    ck_assert_int_eq(r.log_index, 2);
    ck_assert_str_ne(r.sha256, first);
    snprintf(path, sizeof path, "%s/keys/%s.pem", dir, r.sha256);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(mg_gov_log_entry(&e, s, 2), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(e, "key_id")), first); /* signed by the old */
    json_decref(e);
    ck_assert_int_eq(mg_gov_token_create(&r, secret, s, &local, "b", MG_ROLE_VIEWER), MG_OK);
    check_log(s);
    mg_store_close(s);

    s = NULL;
    ck_assert_int_eq(mg_store_open(&s, dir), MG_OK);
    ck_assert_int_eq(mg_gov_token_create(&r, secret, s, &local, "c", MG_ROLE_VIEWER), MG_OK);
    check_log(s);
    ck_assert_int_eq(mg_gov_keys_list(&keys, s), MG_OK);
    ck_assert_uint_eq(json_array_size(keys), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(keys, 0), "status")),
                     "retired");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(keys, 1), "status")),
                     "active");
    json_decref(keys);
    mg_store_close(s);
    free(dir);
}
END_TEST

typedef struct worker {
    mg_store *s;
    int id, n, failed;
} worker;

static void *make_tokens(void *p)
{
    worker *w = p;
    mg_actor local;
    mg_actor_local(&local);
    for (int i = 0; i < w->n; i++) {
        char name[32], secret[MG_TOKEN_SECRET_MAX];
        mg_gov_result r;
        snprintf(name, sizeof name, "t%d-%d", w->id, i);
        if (mg_gov_token_create(&r, secret, w->s, &local, name, MG_ROLE_VIEWER) != MG_OK)
            w->failed++;
    }
    return NULL;
}

/* 8 threads append at once (group commit): every entry lands once, in a valid signed chain. */
START_TEST(test_governance_store_concurrent_appends)
{
    enum { T = 8, N = 40 };
    mg_store *s = new_store("concurrent");
    pthread_t th[T];
    worker w[T];
    uint64_t n = 0;
    json_t *list = NULL;

    for (int i = 0; i < T; i++) {
        w[i] = (worker){s, i, N, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, make_tokens, &w[i]), 0);
    }
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(w[i].failed, 0);
    }
    ck_assert_int_eq(mg_gov_log_size(&n, s), MG_OK);
    ck_assert_uint_eq(n, 1 + T * N);
    ck_assert_int_eq(mg_gov_tokens_list(&list, s), MG_OK);
    ck_assert_uint_eq(json_array_size(list), T * N);
    check_log(s);
    json_decref(list);
    mg_store_close(s);
}
END_TEST

/* Proofs from the store verify against its signed tree heads; a bad request names the sizes. */
START_TEST(test_governance_store_proofs)
{
    mg_store *s = new_store("proofs");
    mg_actor local;
    json_t *p = NULL;
    mg_gov_result r;
    char secret[MG_TOKEN_SECRET_MAX];

    mg_actor_local(&local);
    for (int i = 0; i < 12; i++) {
        char name[16];
        snprintf(name, sizeof name, "u%d", i);
        ck_assert_int_eq(mg_gov_token_create(&r, secret, s, &local, name, MG_ROLE_VIEWER), MG_OK);
    }
    for (uint64_t size = 1; size <= 13; size++) {
        for (uint64_t i = 0; i < size; i++) {
            unsigned char leaf[MG_SHA256_LEN], root[MG_SHA256_LEN];
            mg_merkle_proof pr;
            json_t *h;
            size_t k;
            ck_assert_int_eq(mg_gov_inclusion_proof(&p, s, i, size), MG_OK);
            ck_assert_int_eq(
                mg_hash_from_hex(leaf, json_string_value(json_object_get(p, "leaf_hash"))), MG_OK);
            ck_assert_int_eq(mg_hash_from_hex(root, json_string_value(json_object_get(p, "root"))),
                             MG_OK);
            pr.n = json_array_size(json_object_get(p, "proof"));
            json_array_foreach(json_object_get(p, "proof"), k, h)
                ck_assert_int_eq(mg_hash_from_hex(pr.hash[k], json_string_value(h)), MG_OK);
            ck_assert_int_eq(mg_merkle_inclusion_verify(i, size, leaf, &pr, root), MG_OK);
            /* each change was its own batch here, so every size has a signed head */
            ck_assert_ptr_nonnull(json_object_get(p, "tree_head"));
            json_decref(p);
        }
    }
    for (uint64_t a = 0; a <= 13; a++) {
        for (uint64_t b = a; b <= 13; b++) {
            unsigned char r1[MG_SHA256_LEN], r2[MG_SHA256_LEN];
            mg_merkle_proof pr;
            json_t *h;
            size_t k;
            ck_assert_int_eq(mg_gov_consistency_proof(&p, s, a, b), MG_OK);
            mg_hash_from_hex(r1, json_string_value(json_object_get(p, "first_root")));
            mg_hash_from_hex(r2, json_string_value(json_object_get(p, "second_root")));
            pr.n = json_array_size(json_object_get(p, "proof"));
            json_array_foreach(json_object_get(p, "proof"), k, h)
                mg_hash_from_hex(pr.hash[k], json_string_value(h));
            ck_assert_int_eq(mg_merkle_consistency_verify(a, b, r1, r2, &pr), MG_OK);
            json_decref(p);
        }
    }
    ck_assert_int_eq(mg_gov_inclusion_proof(&p, s, 3, 99), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "only 13 entries"));
    ck_assert_int_eq(mg_gov_inclusion_proof(&p, s, 5, 5), MG_EINVAL);
    ck_assert_int_eq(mg_gov_consistency_proof(&p, s, 5, 4), MG_EINVAL);
    ck_assert_int_eq(mg_gov_log_entry(&p, s, 13), MG_ENOTFOUND);
    mg_store_close(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_store");
    TCase *tc = tcase_create("store");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_governance_store_init_layout);
    tcase_add_test(tc, test_governance_store_open_missing);
    tcase_add_test(tc, test_governance_store_newer_schema_refused);
    tcase_add_test(tc, test_governance_store_tokens);
    tcase_add_test(tc, test_governance_store_artifacts);
    tcase_add_test(tc, test_governance_store_key_rotation);
    tcase_add_test(tc, test_governance_store_concurrent_appends);
    tcase_add_test(tc, test_governance_store_proofs);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
