/* test_governance_keys.c - Ed25519 keys: files, ids, and signatures the openssl CLI accepts. */
#include "governance_fixture.h"
#include "testutil.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* A canonical tree head as the log signs it (DESIGN §6). */
static void tree_head_bytes(mg_buf *out)
{
    json_t *th = json_pack("{s:i,s:s,s:s}", "size", 3, "root",
                           "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77", "time",
                           "2026-01-02T03:04:05Z");
    ck_assert_int_eq(mg_jcs_append(out, th), MG_OK);
    json_decref(th);
}

/* Saved mode 0600, reloaded with the same id; a world-readable file is refused. */
START_TEST(test_governance_keys_file_mode_and_reload)
{
    char *path = tu_path("k1.pem");
    mg_key *k = NULL, *back = NULL;
    struct stat st;

    ck_assert_int_eq(mg_key_generate(&k), MG_OK);
    ck_assert_int_eq(mg_key_save(k, path), MG_OK);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(mg_key_load(&back, path), MG_OK);
    ck_assert_str_eq(mg_key_id(back), mg_key_id(k));
    ck_assert(mg_key_has_private(back));
    mg_key_free(back);

    ck_assert_int_eq(chmod(path, 0644), 0);
    ck_assert_int_eq(mg_key_load(&back, path), MG_EPERM);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "mode 644"));
    ck_assert_ptr_null(back);
    ck_assert_int_eq(mg_key_load(&back, "/nonexistent/k.pem"), MG_ENOTFOUND);
    mg_key_free(k);
    free(path);
}
END_TEST

/* The key id is SHA-256 of the DER public key as the openssl CLI writes it. */
START_TEST(test_governance_keys_id_is_der_sha256)
{
    char *pub = tu_path("id.pub.pem"), *der = tu_path("id.der");
    char hex[MG_SHA256_HEX];
    mg_buf pem = MG_BUF_INIT;
    mg_key *k = NULL, *p = NULL;

    ck_assert_int_eq(mg_key_generate(&k), MG_OK);
    ck_assert_int_eq(mg_key_public_pem(&pem, k), MG_OK);
    write_bytes(pub, pem.ptr, pem.len);
    ck_assert_int_eq(tu_sh("openssl pkey -pubin -in '%s' -outform DER -out '%s'", pub, der), 0);
    ck_assert_int_eq(mg_sha256_file(hex, der), MG_OK);
    ck_assert_str_eq(mg_key_id(k), hex);
    ck_assert_int_eq(mg_key_from_public_pem(&p, pem.ptr, pem.len), MG_OK);
    ck_assert_str_eq(mg_key_id(p), hex);
    ck_assert(!mg_key_has_private(p));
    mg_key_free(p);
    mg_key_free(k);
    mg_buf_free(&pem);
    free(pub);
    free(der);
}
END_TEST

/*
 * The must-show check: a signed tree head verifies with the plain command
 * `openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg -sigfile sig`,
 * and fails once the message changes by one byte.
 */
START_TEST(test_governance_keys_openssl_cli_verifies_tree_head)
{
    char *pub = tu_path("th.pub.pem"), *msg = tu_path("th.msg"), *sig = tu_path("th.sig");
    unsigned char s[MG_ED25519_SIG_LEN];
    mg_buf pem = MG_BUF_INIT, th = MG_BUF_INIT;
    mg_key *k = NULL;

    ck_assert_int_eq(mg_key_generate(&k), MG_OK);
    ck_assert_int_eq(mg_key_public_pem(&pem, k), MG_OK);
    tree_head_bytes(&th);
    ck_assert_int_eq(mg_key_sign(s, k, th.ptr, th.len), MG_OK);
    ck_assert_int_eq(mg_key_verify(k, th.ptr, th.len, s), MG_OK);
    write_bytes(pub, pem.ptr, pem.len);
    write_bytes(msg, th.ptr, th.len);
    write_bytes(sig, s, sizeof s);
    ck_assert_int_eq(tu_sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s'"
                        " >/dev/null",
                        pub, msg, sig),
                     0);
    th.ptr[10] ^= 1;
    write_bytes(msg, th.ptr, th.len);
    ck_assert_int_ne(tu_sh("openssl pkeyutl -verify -pubin -inkey '%s' -rawin -in '%s' -sigfile '%s'"
                        " >/dev/null 2>&1",
                        pub, msg, sig),
                     0);
    ck_assert_int_eq(mg_key_verify(k, th.ptr, th.len, s), MG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "does not verify"));
    mg_key_free(k);
    mg_buf_free(&pem);
    mg_buf_free(&th);
    free(pub);
    free(msg);
    free(sig);
}
END_TEST

/* The other way: openssl signs with our saved key; Ed25519 is deterministic, so the bytes match. */
START_TEST(test_governance_keys_openssl_cli_signature_matches)
{
    char *priv = tu_path("o.pem"), *msg = tu_path("o.msg"), *sig = tu_path("o.sig");
    unsigned char ours[MG_ED25519_SIG_LEN];
    mg_buf th = MG_BUF_INIT, theirs = MG_BUF_INIT;
    mg_key *k = NULL;

    ck_assert_int_eq(mg_key_generate(&k), MG_OK);
    ck_assert_int_eq(mg_key_save(k, priv), MG_OK);
    tree_head_bytes(&th);
    write_bytes(msg, th.ptr, th.len);
    ck_assert_int_eq(tu_sh("openssl pkeyutl -sign -inkey '%s' -rawin -in '%s' -out '%s'", priv, msg, sig),
                     0);
    ck_assert_int_eq(mg_buf_read_file(&theirs, sig), MG_OK);
    ck_assert_uint_eq(theirs.len, MG_ED25519_SIG_LEN);
    ck_assert_int_eq(mg_key_verify(k, th.ptr, th.len, (const unsigned char *)theirs.ptr), MG_OK);
    ck_assert_int_eq(mg_key_sign(ours, k, th.ptr, th.len), MG_OK);
    ck_assert_int_eq(memcmp(ours, theirs.ptr, MG_ED25519_SIG_LEN), 0);
    mg_key_free(k);
    mg_buf_free(&th);
    mg_buf_free(&theirs);
    free(priv);
    free(msg);
    free(sig);
}
END_TEST

START_TEST(test_governance_keys_bad_input)
{
    char *path = tu_path("junk.pem");
    mg_key *k = NULL;
    unsigned char s[MG_ED25519_SIG_LEN];

    tu_write(path, "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n");
    ck_assert_int_eq(chmod(path, 0600), 0);
    ck_assert_int_eq(mg_key_load(&k, path), MG_EPARSE);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "junk.pem"));
    ck_assert_int_eq(mg_key_from_public_pem(&k, "hello", 5), MG_EPARSE);
    /* an RSA key is a PEM private key, but not an Ed25519 one */
    ck_assert_int_eq(tu_sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out '%s' "
                        "2>/dev/null && chmod 600 '%s'",
                        path, path),
                     0);
    ck_assert_int_eq(mg_key_load(&k, path), MG_EPARSE);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "not an Ed25519 key"));
    ck_assert_int_eq(mg_key_generate(&k), MG_OK);
    {
        mg_buf pem = MG_BUF_INIT;
        mg_key *pub = NULL;
        ck_assert_int_eq(mg_key_public_pem(&pem, k), MG_OK);
        ck_assert_int_eq(mg_key_from_public_pem(&pub, pem.ptr, pem.len), MG_OK);
        ck_assert_int_eq(mg_key_sign(s, pub, "x", 1), MG_EINVAL);
        mg_key_free(pub);
        mg_buf_free(&pem);
    }
    mg_key_free(k);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_keys");
    TCase *tc = tcase_create("keys");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_governance_keys_file_mode_and_reload);
    tcase_add_test(tc, test_governance_keys_id_is_der_sha256);
    tcase_add_test(tc, test_governance_keys_openssl_cli_verifies_tree_head);
    tcase_add_test(tc, test_governance_keys_openssl_cli_signature_matches);
    tcase_add_test(tc, test_governance_keys_bad_input);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
