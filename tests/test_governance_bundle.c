/* test_governance_bundle.c - audit bundles: verify with no store; any altered byte fails. */
#include "governance_fixture.h"
#include "story.h" /* gov_story_read: the story as the log tells it */
#include "testutil.h"

#include <check.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static fixture fx;
static char *store_dir, *bundle_path;

static char *find(char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

/* tar(1)'s own ustar archive of the unpacked bundle: regular files only, bundle.json first. */
static void repack(const char *dir, const char *out)
{
    ck_assert_int_eq(tu_sh("cd '%s' && tar --format=ustar -cf '%s' bundle.json statement.json "
                        "$(find log keys artifacts reports -type f | sort)",
                        dir, out),
                     0);
}

static void setup(void)
{
    mg_store *s = NULL;
    json_t *sum = NULL;
    mg_actor local;

    mg_actor_local(&local);
    store_dir = tu_path("store");
    bundle_path = tu_path("credit-1.tar");
    ck_assert_int_eq(tu_sh("rm -rf '%s'", store_dir), 0); /* CK_FORK=no runs every test here */
    fixture_build(&fx, store_dir);
    ck_assert_int_eq(mg_store_open(&s, store_dir), MG_OK);
    ck_assert_msg(mg_gov_audit_export(&sum, s, &local, "credit", 1, bundle_path) == MG_OK, "%s",
                  mg_error_last());
    /* entries 0-11 except 12 (a token) tell credit v1's story: keys, data, run, model, version */
    ck_assert_uint_eq(json_array_size(json_object_get(sum, "entries")), 12);
    ck_assert_uint_eq(json_array_size(json_object_get(sum, "keys")), 2);
    json_decref(sum);
    mg_store_close(s);
}

static void teardown(void)
{
    free(store_dir);
    free(bundle_path);
}

static char *slurp(const char *path, size_t *len)
{
    mg_buf b = MG_BUF_INIT;
    ck_assert_int_eq(mg_buf_read_file(&b, path), MG_OK);
    *len = b.len;
    return b.ptr;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* With the store gone, the bundle verifies and says what it proves. */
START_TEST(test_governance_bundle_verifies_without_store)
{
    json_t *sum = NULL;

    ck_assert_int_eq(tu_sh("rm -rf '%s'", store_dir), 0);
    ck_assert_msg(mg_gov_verify_bundle(&sum, bundle_path, NULL) == MG_OK, "%s", mg_error_last());
    ck_assert_str_eq(json_string_value(json_object_get(sum, "model")), "credit");
    ck_assert_str_eq(json_string_value(json_object_get(sum, "stage")), "approved");
    ck_assert_str_eq(json_string_value(json_object_get(sum, "submitter")), "alice");
    ck_assert_str_eq(json_string_value(json_object_get(sum, "artifact_sha256")), fx.artifact);
    ck_assert_uint_eq(json_array_size(json_object_get(sum, "reports")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(sum, "keys"), 0)),
                     fx.first_key);
    /* the statement is entry 13, the export's own, vouching for entries 0-11 of the first 13 */
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "entries")), 12);
    ck_assert_int_eq(json_number_value(json_object_get(json_object_get(sum, "statement"), "index")),
                     13);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(sum, "statement"), "stage")),
                     "approved");
    ck_assert_int_eq(json_number_value(json_object_get(json_object_get(sum, "tree_head"), "size")),
                     14);
    ck_assert_ptr_null(json_object_get(sum, "trusted_key"));
    json_decref(sum);
}
END_TEST

/* tar(1) reads it: a plain ustar archive of the layout the manifest describes. */
START_TEST(test_governance_bundle_is_plain_tar)
{
    char *out = tu_path("listing.txt"), *text;
    size_t len;
    ck_assert_int_eq(tu_sh("tar tf '%s' > '%s'", bundle_path, out), 0);
    text = slurp(out, &len);
    ck_assert_int_eq(strncmp(text, "bundle.json\nstatement.json\n", 27), 0);
    ck_assert_ptr_nonnull(strstr(text, "log/0.json\n"));
    ck_assert_ptr_nonnull(strstr(text, "log/10.json\n"));
    ck_assert_ptr_null(strstr(text, "log/12.json\n"));
    ck_assert_ptr_nonnull(strstr(text, "keys/"));
    ck_assert_ptr_nonnull(strstr(text, fx.artifact));
    ck_assert_ptr_nonnull(strstr(text, fx.bias_report));
    free(text);
    free(out);
}
END_TEST

/*
 * Every single byte changed, one at a time over the whole archive (headers,
 * manifest, entries, proofs, keys, artifact, reports, padding, end blocks):
 * each altered copy fails to verify.
 */
START_TEST(test_governance_bundle_any_altered_byte_fails)
{
    char *altered = tu_path("altered.tar"), *data;
    size_t len, tried = 0;

    data = slurp(bundle_path, &len);
    ck_assert_uint_gt(len, 4096);
    for (size_t at = 0; at < len; at += (at < 2048 ? 1 : 41)) {
        json_t *sum = NULL;
        int rc;
        data[at] ^= 0x20;
        spit(altered, data, len);
        rc = mg_gov_verify_bundle(&sum, altered, NULL);
        ck_assert_msg(rc == MG_EVERIFY || rc == MG_EPARSE, "byte %zu altered, yet it verified",
                      at);
        json_decref(sum);
        data[at] ^= 0x20;
        tried++;
    }
    ck_assert_uint_gt(tried, 2048);
    free(data);
    free(altered);
}
END_TEST

/* Named failures: the artifact, a proof, a signature; and one byte via the command line. */
START_TEST(test_governance_bundle_named_failures)
{
    char *altered = tu_path("named.tar"), *data, *at, *out = NULL, *err = NULL;
    json_t *sum = NULL;
    size_t len;

    data = slurp(bundle_path, &len);
    /* the model artifact's bytes: "weights" -> "weighus" */
    at = find(data, len, "\"weights\"");
    ck_assert_ptr_nonnull(at);
    at[6] = 'u';
    spit(altered, data, len);
    ck_assert_int_eq(mg_gov_verify_bundle(&sum, altered, NULL), MG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), fx.artifact));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "altered"));
    at[6] = 't';
    /* a tar header's byte: its checksum */
    data[0] ^= 1;
    spit(altered, data, len);
    ck_assert_int_eq(mg_gov_verify_bundle(&sum, altered, NULL), MG_EPARSE);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "tar header at offset 0 fails its checksum"));
    data[0] ^= 1;
    /* the tree head's signature in bundle.json: one base64 character */
    at = find(data, len, "\"signature\":\"");
    ck_assert_ptr_nonnull(at);
    at += strlen("\"signature\":\"");
    {
        char keep = *at;
        *at = keep == 'A' ? 'B' : 'A';
        spit(altered, data, len);
        ck_assert_int_eq(mg_gov_verify_bundle(&sum, altered, NULL), MG_EVERIFY);
        ck_assert_ptr_nonnull(
            strstr(mg_error_last(), "tree head of size 14: Ed25519 signature does not verify"));
        *at = keep;
    }

    /* the command line: export with `modelgov audit export`, then verify that bundle */
    ck_assert_int_eq(tu_run(&out, &err, "audit export --store '%s' --model credit --version 1 "
                                        "--out '%s.cli'",
                            store_dir, bundle_path),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "log entries  12"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "verify --bundle '%s.cli'", bundle_path), 0);
    ck_assert_ptr_nonnull(strstr(out, "verifies"));
    ck_assert_ptr_nonnull(strstr(out, "stage approved"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "audit export --store '%s' --model credit --out x.tar",
                            store_dir),
                     1);
    ck_assert_ptr_nonnull(strstr(err, "--version"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "audit export --store '%s' --model credit --version 7 "
                                        "--out x.tar",
                            store_dir),
                     1);
    ck_assert_ptr_nonnull(strstr(err, "model 'credit' has no version 7"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "verify --bundle '%s'", altered), 1);
    free(out);
    free(err);
    free(data);
    free(altered);
}
END_TEST

/* Rebuilt archives (so tar checksums hold) with a member changed: the content checks name it. */
START_TEST(test_governance_bundle_content_checks)
{
    char *dir = tu_path("unpacked"), *re = tu_path("repacked.tar"), path[2048];
    json_t *sum = NULL;

    ck_assert_int_eq(tu_sh("rm -rf '%s' && mkdir -p '%s' && tar xf '%s' -C '%s'", dir, dir,
                        bundle_path, dir),
                     0);
    /* one byte of the model artifact, repacked */
    snprintf(path, sizeof path, "%s/artifacts/%s", dir, fx.artifact);
    ck_assert_int_eq(tu_sh("chmod u+w '%s' && sed -i 's/weights/weighus/' '%s'", path, path), 0);
    repack(dir, re);
    ck_assert_int_eq(mg_gov_verify_bundle(&sum, re, NULL), MG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), fx.artifact));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "altered"));
    ck_assert_int_eq(tu_sh("sed -i 's/weighus/weights/' '%s'", path), 0);

    /* the approval entry's comment changed: its signature fails */
    snprintf(path, sizeof path, "%s/log/9.json", dir);
    ck_assert_int_eq(tu_sh("sed -i 's/\"comment\":\"ok\"/\"comment\":\"OK\"/' '%s'", path), 0);
    repack(dir, re);
    ck_assert_int_eq(mg_gov_verify_bundle(&sum, re, NULL), MG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "log entry 9: Ed25519 signature does not verify"));
    ck_assert_int_eq(tu_sh("sed -i 's/\"comment\":\"OK\"/\"comment\":\"ok\"/' '%s'", path), 0);

    /* the tree head taken out of the manifest (kept canonical): refused outright */
    snprintf(path, sizeof path, "%s/bundle.json", dir);
    {
        json_t *m = json_load_file(path, 0, NULL);
        mg_buf b = MG_BUF_INIT;
        char *orig;
        size_t olen;
        ck_assert_ptr_nonnull(m);
        orig = slurp(path, &olen);
        json_object_del(m, "tree_head");
        ck_assert_int_eq(mg_jcs_append(&b, m), MG_OK);
        spit(path, b.ptr, b.len);
        repack(dir, re);
        ck_assert_int_eq(mg_gov_verify_bundle(&sum, re, NULL), MG_EVERIFY);
        ck_assert_ptr_nonnull(strstr(mg_error_last(), "no signed tree head"));
        ck_assert_ptr_nonnull(strstr(mg_error_last(), "refused"));
        /* the original files, repacked in tar(1)'s own way, still verify */
        spit(path, orig, olen);
        repack(dir, re);
        ck_assert_msg(mg_gov_verify_bundle(&sum, re, NULL) == MG_OK, "%s", mg_error_last());
        free(orig);
        mg_buf_free(&b);
        json_decref(m);
    }
    json_decref(sum);
    free(dir);
    free(re);
}
END_TEST

/* Unpack the bundle into a fresh folder `name`; returns the folder (malloc'd). */
static char *unpack(const char *name)
{
    char *dir = tu_path(name);
    ck_assert_int_eq(tu_sh("rm -rf '%s' && mkdir -p '%s' && tar xf '%s' -C '%s'", dir, dir,
                        bundle_path, dir),
                     0);
    return dir;
}

/* Write `v` as canonical JSON to `dir`/`name`, so only the value, never the form, is at fault. */
static void put_canonical(const char *dir, const char *name, const json_t *v)
{
    char path[2048];
    mg_buf b = MG_BUF_INIT;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_int_eq(tu_sh("[ ! -e '%s' ] || chmod u+w '%s'", path, path), 0);
    ck_assert_msg(mg_jcs_append(&b, v) == MG_OK, "%s", mg_error_last());
    spit(path, b.ptr, b.len);
    mg_buf_free(&b);
}

static json_t *load_member(const char *dir, const char *name)
{
    char path[2048];
    json_t *v;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    v = json_load_file(path, JSON_DECODE_INT_AS_REAL, NULL); /* as the verifier reads it */
    ck_assert_ptr_nonnull(v);
    return v;
}

/* bundle.json with tree_head.size, version or an entry index set to `v`: refused by name. */
static void expect_number_refused(const char *dir, const char *re, const char *field, json_t *v,
                                  const char *want)
{
    json_t *m, *sum = NULL;

    ck_assert_int_eq(tu_sh("cp '%s/bundle.json.orig' '%s/bundle.json'", dir, dir), 0);
    m = load_member(dir, "bundle.json");
    if (strcmp(field, "size") == 0)
        json_object_set_new(json_object_get(m, "tree_head"), "size", v);
    else if (strcmp(field, "version") == 0)
        json_object_set_new(m, "version", v);
    else
        json_array_set_new(json_object_get(m, "entries"), 1, v);
    put_canonical(dir, "bundle.json", m);
    repack(dir, re);
    ck_assert_int_eq(mg_gov_verify_bundle(&sum, re, NULL), MG_EVERIFY);
    ck_assert_msg(strstr(mg_error_last(), want), "%s", mg_error_last());
    ck_assert_ptr_null(sum);
    json_decref(m);
}

/*
 * Counts and indices are whole numbers within 2^53 (every bundle number is read as a double):
 * 1e300, 3.5 and -1 as the tree head's size, 1.5 as the version and 1e300 as an entry index are
 * refused with the field and value named, before any of them is used.
 */
START_TEST(test_governance_bundle_rejects_bad_numbers)
{
    char *dir = unpack("numbers"), *re = tu_path("numbers.tar");
    json_t *sum = NULL;

    /* kept outside the folders repack() takes */
    ck_assert_int_eq(tu_sh("cp '%s/bundle.json' '%s/bundle.json.orig'", dir, dir), 0);
    expect_number_refused(dir, re, "size", json_real(1e300),
                          "bundle.json: tree_head.size is 1e+300, not a whole number in [0, 2^53]");
    expect_number_refused(dir, re, "size", json_real(3.5),
                          "bundle.json: tree_head.size is 3.5, not a whole number in [0, 2^53]");
    expect_number_refused(dir, re, "size", json_integer(-1),
                          "bundle.json: tree_head.size is -1, not a whole number in [0, 2^53]");
    /* 2^53 + 2 is a double jansson keeps exactly, one past the limit */
    expect_number_refused(dir, re, "size", json_real(9007199254740994.0),
                          "tree_head.size is 9007199254740994, not a whole number in [0, 2^53]");
    expect_number_refused(dir, re, "version", json_real(1.5),
                          "bundle.json: version is 1.5, not a whole number in [1, 2^53]");
    expect_number_refused(dir, re, "entry", json_real(1e300),
                          "bundle.json: an entry index is 1e+300, not a whole number in [0, 2^53]");
    /* and the untouched manifest, repacked, still verifies */
    ck_assert_int_eq(tu_sh("cp '%s/bundle.json.orig' '%s/bundle.json'", dir, dir), 0);
    repack(dir, re);
    ck_assert_msg(mg_gov_verify_bundle(&sum, re, NULL) == MG_OK, "%s", mg_error_last());
    json_decref(sum);
    free(dir);
    free(re);
}
END_TEST

/* The statement as statement.json holds it in the unpacked bundle `dir`: its listed entries. */
static json_t *statement_list(json_t *st)
{
    return json_object_get(json_object_get(json_object_get(st, "entry"), "subject"), "entries");
}

/* Drop index `idx` from a JSON array of indices. */
static void drop_index(json_t *list, double idx)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (json_number_value(json_array_get(list, i)) == idx) {
            json_array_remove(list, i);
            return;
        }
    ck_abort_msg("index %.0f not listed", idx);
}

/* bundle.json's entries without `idx`, as a careful forger would also write them. */
static void manifest_without(const char *dir, double idx)
{
    json_t *m = load_member(dir, "bundle.json");
    drop_index(json_object_get(m, "entries"), idx);
    put_canonical(dir, "bundle.json", m);
    json_decref(m);
}

static void expect_refused(const char *re, const char *want)
{
    json_t *sum = NULL;
    ck_assert_int_eq(mg_gov_verify_bundle(&sum, re, NULL), MG_EVERIFY);
    ck_assert_msg(strstr(mg_error_last(), want), "%s", mg_error_last());
    ck_assert_ptr_null(sum);
}

/*
 * An entry taken out of the archive (the approval, entry 9) with the statement left as it is:
 * refused, naming the entry, whether or not bundle.json's own list was edited to match; and
 * through the command line.
 */
START_TEST(test_governance_bundle_left_out_entry_named)
{
    char *dir = unpack("left-out"), *re = tu_path("left-out.tar"), *out = NULL, *err = NULL;
    const char *want = "log entry 9 is missing: the signed statement (log entry 13) lists it, "
                       "but the bundle holds no log/9.json";

    ck_assert_int_eq(tu_sh("rm '%s/log/9.json'", dir), 0);
    repack(dir, re);
    expect_refused(re, want);
    manifest_without(dir, 9);
    repack(dir, re);
    expect_refused(re, want);
    ck_assert_int_eq(tu_run(&out, &err, "verify --bundle '%s'", re), 1);
    ck_assert_ptr_nonnull(strstr(err, want));
    ck_assert_ptr_null(strstr(out ? out : "", "verifies"));
    free(out);
    free(err);
    free(dir);
    free(re);
}
END_TEST

/* A genuine signed entry with a valid proof, but one the statement does not list: named. */
START_TEST(test_governance_bundle_extra_entry_named)
{
    char *dir = unpack("extra"), *re = tu_path("extra.tar");
    json_t *se = NULL, *proof = NULL, *m;
    mg_store *s = NULL;

    ck_assert_int_eq(mg_store_open(&s, store_dir), MG_OK);
    ck_assert_int_eq(mg_gov_log_entry(&se, s, 12), MG_OK); /* token.create */
    ck_assert_int_eq(mg_gov_inclusion_proof(&proof, s, 12, 14), MG_OK);
    mg_store_close(s);
    json_object_set(se, "proof", json_object_get(proof, "proof"));
    put_canonical(dir, "log/12.json", se);
    m = load_member(dir, "bundle.json");
    json_array_append_new(json_object_get(m, "entries"), json_integer(12));
    put_canonical(dir, "bundle.json", m);
    repack(dir, re);
    expect_refused(re, "log entry 12 is in the bundle (log/12.json), but the signed statement "
                       "(log entry 13) does not list it");
    json_decref(m);
    json_decref(se);
    json_decref(proof);
    free(dir);
    free(re);
}
END_TEST

/* Re-sign statement.json's entry with `k` and recompute its leaf hash, as a key holder would. */
static void resign(json_t *st, const mg_key *k)
{
    unsigned char sig[MG_ED25519_SIG_LEN], leaf[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    mg_buf bytes = MG_BUF_INIT, b64 = MG_BUF_INIT;

    ck_assert_int_eq(mg_jcs_append(&bytes, json_object_get(st, "entry")), MG_OK);
    ck_assert_int_eq(mg_key_sign(sig, k, bytes.ptr, bytes.len), MG_OK);
    ck_assert_int_eq(mg_base64_encode(&b64, sig, sizeof sig), MG_OK);
    ck_assert_int_eq(mg_merkle_leaf_hash(leaf, bytes.ptr, bytes.len), MG_OK);
    mg_sha256_hex(hex, leaf);
    json_object_set_new(st, "signature", json_string(b64.ptr));
    json_object_set_new(st, "leaf_hash", json_string(hex));
    mg_buf_free(&bytes);
    mg_buf_free(&b64);
}

/*
 * The statement's signature: one changed character fails it; a statement edited to leave out
 * entry 9 (with log/9.json and bundle.json's list to match) fails it; and the same edit
 * re-signed with the log's own private key is still not the statement the log holds: its
 * leaf is not in the signed tree head.
 */
START_TEST(test_governance_bundle_statement_signature)
{
    char *dir = unpack("forged"), *re = tu_path("forged.tar"), key_path[2048];
    json_t *st = load_member(dir, "statement.json"), *orig = json_deep_copy(st);
    const char *sig = json_string_value(json_object_get(st, "signature"));
    char *flipped = strdup(sig);
    mg_key *k = NULL;

    /* one base64 character of the signature */
    flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
    json_object_set_new(st, "signature", json_string(flipped));
    put_canonical(dir, "statement.json", st);
    repack(dir, re);
    expect_refused(re, "statement.json (log entry 13): Ed25519 signature does not verify with key");

    /* a forged statement that omits entry 9, with the bundle made to agree */
    json_decref(st);
    st = json_deep_copy(orig);
    drop_index(statement_list(st), 9);
    ck_assert_uint_eq(json_array_size(statement_list(st)), 11);
    put_canonical(dir, "statement.json", st);
    ck_assert_int_eq(tu_sh("rm '%s/log/9.json'", dir), 0);
    manifest_without(dir, 9);
    repack(dir, re);
    expect_refused(re, "statement.json (log entry 13): Ed25519 signature does not verify with key");

    /* the same, signed by the key in force (the store's private key): not what the log holds */
    snprintf(key_path, sizeof key_path, "%s/keys/%s.pem", store_dir,
             json_string_value(json_object_get(st, "key_id")));
    ck_assert_int_eq(mg_key_load(&k, key_path), MG_OK);
    resign(st, k);
    put_canonical(dir, "statement.json", st);
    repack(dir, re);
    expect_refused(re, "log entry 13: its inclusion proof does not lead to the signed tree "
                       "head's root (size 14)");

    mg_key_free(k);
    free(flipped);
    json_decref(st);
    json_decref(orig);
    free(dir);
    free(re);
}
END_TEST

/* Run SQL on a store behind the log's back (the inventory tables carry no triggers). */
static void store_sql(const char *dir, const char *stmt)
{
    char db[2048], *err = NULL;
    sqlite3 *h;

    snprintf(db, sizeof db, "%s/modelgov.db", dir);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_msg(sqlite3_exec(h, stmt, NULL, NULL, &err) == SQLITE_OK, "%s: %s", stmt, err);
    ck_assert_int_gt(sqlite3_changes(h), 0);
    sqlite3_close(h);
}

/* A copy of the store to tamper with. */
static char *copy_store(const char *name)
{
    char *dir = tu_path(name);
    ck_assert_int_eq(tu_sh("rm -rf '%s' && cp -a '%s' '%s'", dir, store_dir, dir), 0);
    return dir;
}

/* The tampering a database writer can do without the key, and what export then says. */
static const struct {
    const char *name, *stmt, *want;
} damaged[] = {
    /* a rejection hidden: the approval's row gone and the stage rolled back with it */
    {"hidden-transition",
     "DELETE FROM transitions WHERE id = 2; UPDATE versions SET stage = 'pending_review' WHERE "
     "id = 1",
     "log entry 9 (version.transition): no row of transitions has log_index 9"},
    {"hidden-comment", "DELETE FROM comments",
     "log entry 11 (version.comment): no row of comments has log_index 11"},
    {"run-unfinished", "UPDATE runs SET finish_index = NULL",
     "runs row 1: status is finished, but no run.finish entry finished it (finish_index is "
     "NULL)"},
    {"comment-moved", "UPDATE comments SET log_index = 12 WHERE log_index = 11",
     "log entry 11 (version.comment): no row of comments has log_index 11"},
};

/*
 * A store whose inventory disagrees with its log is not vouched for: export runs the record
 * checks first and refuses (MG_EVERIFY, one line naming the first failing entry), logging no
 * statement and writing no file; and the same through the command line.
 */
START_TEST(test_governance_bundle_export_refuses_damaged_store)
{
    char *dir = copy_store(damaged[_i].name), *tar = tu_path("refused.tar"), *out = NULL,
         *err = NULL, want[512];
    json_t *th = NULL, *sum = NULL;
    mg_store *s = NULL;
    mg_actor local;

    mg_actor_local(&local);
    store_sql(dir, damaged[_i].stmt);
    snprintf(want, sizeof want, "credit version 1 not exported: the store's inventory disagrees "
                                "with its log: %s (see 'modelgov verify --store')",
             damaged[_i].want);
    ck_assert_int_eq(mg_store_open(&s, dir), MG_OK);
    ck_assert_int_eq(mg_gov_audit_export(&sum, s, &local, "credit", 1, tar), MG_EVERIFY);
    ck_assert_str_eq(mg_error_last(), want);
    ck_assert_ptr_null(sum);
    ck_assert_int_eq(mg_gov_tree_head(&th, s), MG_OK);
    /* the fixture's entries and setup()'s statement: nothing appended */
    ck_assert_int_eq(json_integer_value(json_object_get(th, "size")), FIXTURE_ENTRIES + 1);
    json_decref(th);
    mg_store_close(s);
    ck_assert_int_ne(tu_sh("test -e '%s'", tar), 0);
    ck_assert_int_eq(tu_run(&out, &err, "audit export --store '%s' --model credit --version 1 "
                                        "--out '%s'",
                            dir, tar),
                     1);
    ck_assert_int_eq(strncmp(err, "modelgov: ", 10), 0); /* one line, just the error */
    ck_assert_int_eq(strncmp(err + 10, want, strlen(want)), 0);
    ck_assert_str_eq(err + 10 + strlen(want), "\n");
    free(out);
    free(err);
    free(tar);
    free(dir);
}
END_TEST

/* Entries and tree heads altered behind the log's back (the triggers dropped first), where the
 * inventory is made to agree: what export says instead of vouching for them. */
static const struct {
    const char *name, *stmt, *want;
} altered_log[] = {
    /* the approval relabelled as an export (no row needed), its row gone, the stage rolled back */
    {"relabelled",
     "DROP TRIGGER log_entries_no_update; UPDATE log_entries SET body = replace(body, "
     "'\"action\":\"version.transition\"', '\"action\":\"audit.export\"'), action = "
     "'audit.export' WHERE idx = 9; DELETE FROM transitions WHERE log_index = 9; UPDATE versions "
     "SET stage = 'pending_review' WHERE id = 1",
     "an entry was altered"},
    {"head-signature",
     "DROP TRIGGER tree_heads_no_update; UPDATE tree_heads SET sig = zeroblob(64) WHERE size = "
     "(SELECT max(size) FROM tree_heads)",
     "is not signed by key"},
    {"head-key",
     "DROP TRIGGER tree_heads_no_update; UPDATE tree_heads SET key_id = '../../../etc/passwd' "
     "WHERE size = (SELECT max(size) FROM tree_heads)",
     "names signing key ../../../etc/pas..., which is not one of the store's key files"},
};

/*
 * Export reads every entry's bytes and holds their Merkle root against the latest tree head
 * and its signature by a key file of the store: a log altered without the key is refused, not
 * signed for (and nothing is appended).
 */
START_TEST(test_governance_bundle_export_refuses_altered_log)
{
    char *dir = copy_store(altered_log[_i].name), *tar = tu_path("altered.tar");
    json_t *th = NULL, *sum = NULL;
    mg_store *s = NULL;
    mg_actor local;

    mg_actor_local(&local);
    store_sql(dir, altered_log[_i].stmt);
    ck_assert_int_eq(mg_store_open(&s, dir), MG_OK);
    ck_assert_int_eq(mg_gov_audit_export(&sum, s, &local, "credit", 1, tar), MG_EVERIFY);
    ck_assert_msg(strncmp(mg_error_last(), "credit version 1 not exported: ", 31) == 0 &&
                      strstr(mg_error_last(), altered_log[_i].want) &&
                      strstr(mg_error_last(), "(see 'modelgov verify --store')"),
                  "%s", mg_error_last());
    ck_assert_ptr_null(sum);
    ck_assert_int_eq(mg_gov_tree_head(&th, s), MG_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(th, "size")), FIXTURE_ENTRIES + 1);
    json_decref(th);
    mg_store_close(s);
    ck_assert_int_ne(tu_sh("test -e '%s'", tar), 0);
    free(tar);
    free(dir);
}
END_TEST

/*
 * The statement's list and stage come from the signed entries, not the tables: on a store with
 * the approval's and the comment's rows gone, the stage rolled back and the run's finish
 * unlinked, the story still holds entries 9, 11 and 3 and ends at "approved".
 */
START_TEST(test_governance_bundle_story_from_log)
{
    char *dir = copy_store("story"), db[2048], *list;
    gov_conn *c = NULL;
    gov_story st;

    store_sql(dir, "DELETE FROM transitions WHERE id = 2; UPDATE versions SET stage = "
                   "'pending_review' WHERE id = 1; DELETE FROM comments; UPDATE runs SET "
                   "finish_index = NULL, status = 'running'");
    snprintf(db, sizeof db, "%s/modelgov.db", dir);
    ck_assert_int_eq(gov_conn_open(&c, db, 1), MG_OK);
    ck_assert_msg(gov_story_read(&st, c, "credit", 1, FIXTURE_ENTRIES) == MG_OK, "%s",
                  mg_error_last());
    list = json_dumps(st.list, JSON_COMPACT);
    ck_assert_str_eq(list, "[0,1,2,3,4,5,6,7,8,9,10,11]");
    ck_assert_str_eq(st.stage, "approved");
    ck_assert_int_eq(json_integer_value(json_object_get(st.reg, "version_id")), 1);
    free(list);
    gov_story_free(&st);
    /* up to entry 9 only: the approval is its last entry */
    ck_assert_int_eq(gov_story_read(&st, c, "credit", 1, 10), MG_OK);
    list = json_dumps(st.list, JSON_COMPACT);
    ck_assert_str_eq(list, "[0,1,2,3,4,5,6,7,8,9]");
    free(list);
    /* and carried on past it */
    ck_assert_int_eq(gov_story_extend(&st, c, FIXTURE_ENTRIES), MG_OK);
    ck_assert_uint_eq(json_array_size(st.list), 12);
    gov_story_free(&st);
    ck_assert_int_eq(gov_story_read(&st, c, "credit", 2, FIXTURE_ENTRIES), MG_ENOTFOUND);
    ck_assert_str_eq(mg_error_last(), "the log's first 13 entries register no version 2 of "
                                      "'credit'");
    gov_story_free(&st);
    gov_conn_close(c);
    free(dir);
}
END_TEST

/* The leaves of a forged tree: the store's leaf hashes, the statement's replaced. */
typedef struct forged_tree {
    unsigned char leaf[FIXTURE_ENTRIES + 1][MG_SHA256_LEN];
} forged_tree;

static int forged_node(void *ctx, unsigned level, uint64_t index, unsigned char out[MG_SHA256_LEN])
{
    forged_tree *t = ctx;
    unsigned char l[MG_SHA256_LEN], r[MG_SHA256_LEN];

    if (level == 0) {
        memcpy(out, t->leaf[index], MG_SHA256_LEN);
        return MG_OK;
    }
    forged_node(t, level - 1, 2 * index, l);
    forged_node(t, level - 1, 2 * index + 1, r);
    return mg_merkle_node_hash(out, l, r);
}

static json_t *proof_json(const mg_merkle_proof *p)
{
    char hex[MG_SHA256_HEX];
    json_t *arr = json_array();

    for (size_t i = 0; i < p->n; i++) {
        mg_sha256_hex(hex, p->hash[i]);
        json_array_append_new(arr, json_string(hex));
    }
    return arr;
}

/*
 * A store that holds its key signs what it likes: statement.json (its list edited by the
 * caller) re-signed, a tree head re-signed over the log with that statement as its last leaf,
 * every proof recomputed and bundle.json's list made to match. Only what the listed entries
 * say can then tell a lie from the truth.
 */
static void reforge(const char *dir, json_t *st)
{
    const json_t *list = statement_list(st), *iv;
    unsigned char root[MG_SHA256_LEN], sig[MG_ED25519_SIG_LEN];
    char hex[MG_SHA256_HEX], key_path[2048], name[64];
    json_t *m = load_member(dir, "bundle.json"), *th = json_object_get(m, "tree_head"), *se;
    mg_buf bytes = MG_BUF_INIT, b64 = MG_BUF_INIT;
    mg_merkle_proof p;
    forged_tree t;
    mg_store *s = NULL;
    mg_key *k = NULL;
    uint64_t n = FIXTURE_ENTRIES + 1, idx;
    size_t i;

    snprintf(key_path, sizeof key_path, "%s/keys/%s.pem", store_dir,
             json_string_value(json_object_get(st, "key_id")));
    ck_assert_int_eq(mg_key_load(&k, key_path), MG_OK);
    resign(st, k);
    ck_assert_int_eq(mg_store_open(&s, store_dir), MG_OK);
    for (idx = 0; idx < FIXTURE_ENTRIES; idx++) {
        ck_assert_int_eq(mg_gov_log_entry(&se, s, idx), MG_OK);
        ck_assert_int_eq(mg_hash_from_hex(t.leaf[idx], json_string_value(json_object_get(
                                                           se, "leaf_hash"))),
                         MG_OK);
        json_decref(se);
    }
    mg_store_close(s);
    ck_assert_int_eq(mg_hash_from_hex(t.leaf[FIXTURE_ENTRIES],
                                      json_string_value(json_object_get(st, "leaf_hash"))),
                     MG_OK);
    ck_assert_int_eq(mg_merkle_root(root, n, forged_node, &t), MG_OK);
    ck_assert_int_eq(mg_merkle_inclusion_proof(&p, FIXTURE_ENTRIES, n, forged_node, &t), MG_OK);
    json_object_set_new(st, "proof", proof_json(&p));
    ck_assert_int_eq(mg_merkle_consistency_proof(&p, FIXTURE_ENTRIES, n, forged_node, &t), MG_OK);
    json_object_set_new(st, "consistency", proof_json(&p));
    put_canonical(dir, "statement.json", st);
    json_array_foreach(list, i, iv)
    {
        idx = (uint64_t)json_number_value(iv);
        snprintf(name, sizeof name, "log/%llu.json", (unsigned long long)idx);
        ck_assert_int_eq(tu_sh("test -e '%s/%s'", dir, name), 0);
        se = load_member(dir, name);
        ck_assert_int_eq(mg_merkle_inclusion_proof(&p, idx, n, forged_node, &t), MG_OK);
        json_object_set_new(se, "proof", proof_json(&p));
        put_canonical(dir, name, se);
        json_decref(se);
    }
    json_object_set_new(m, "entries", json_deep_copy(list));
    mg_sha256_hex(hex, root);
    json_object_set_new(th, "root", json_string(hex));
    ck_assert_int_eq(mg_gov_tree_head_bytes(&bytes, n, hex, json_string_value(json_object_get(
                                                                 th, "time"))),
                     MG_OK);
    ck_assert_int_eq(mg_key_sign(sig, k, bytes.ptr, bytes.len), MG_OK);
    ck_assert_int_eq(mg_base64_encode(&b64, sig, sizeof sig), MG_OK);
    json_object_set_new(th, "signature", json_string(b64.ptr));
    put_canonical(dir, "bundle.json", m);
    mg_buf_free(&bytes);
    mg_buf_free(&b64);
    mg_key_free(k);
    json_decref(m);
}

/* A statement re-forged without entry `idx` (and the bundle without its file) is refused with
 * `want`; the bundle's folder is restored after. */
static void refused_without(const char *dir, const char *re, const json_t *orig, int idx,
                            const char *want)
{
    json_t *st = json_deep_copy(orig);

    drop_index(statement_list(st), idx);
    ck_assert_int_eq(tu_sh("mv '%s/log/%d.json' '%s/%d.json.kept'", dir, idx, dir, idx), 0);
    reforge(dir, st);
    repack(dir, re);
    expect_refused(re, want);
    ck_assert_int_eq(tu_sh("mv '%s/%d.json.kept' '%s/log/%d.json'", dir, idx, dir, idx), 0);
    json_decref(st);
}


/*
 * Statements the store signed itself, with proofs and tree head to match, are still checked
 * against what the entries they list say: re-forged untouched they verify; without the run's
 * finish (the registration names run 1), without the approval while saying "approved", or
 * listing an entry about something else (a token), they fail, each named.
 */
START_TEST(test_governance_bundle_forged_statement_contents)
{
    char *dir = unpack("reforged"), *re = tu_path("reforged.tar");
    json_t *orig = load_member(dir, "statement.json"), *st, *sum = NULL, *se = NULL, *proof = NULL;
    mg_store *s = NULL;

    /* the helper itself forges a bundle that verifies */
    st = json_deep_copy(orig);
    reforge(dir, st);
    repack(dir, re);
    ck_assert_msg(mg_gov_verify_bundle(&sum, re, NULL) == MG_OK, "%s", mg_error_last());
    json_decref(sum);
    json_decref(st);

    /* the run's finish left out */
    refused_without(dir, re, orig, 3,
                    "the signed statement lists no run.finish entry for run 1, which made "
                    "credit version 1");
    /* the approval left out, the stage still "approved" */
    refused_without(dir, re, orig, 9,
                    "the listed transitions leave credit version 1 at pending_review, but the "
                    "signed statement says approved (a transition is missing)");

    /* entry 12 (a token) listed too */
    ck_assert_int_eq(mg_store_open(&s, store_dir), MG_OK);
    ck_assert_int_eq(mg_gov_log_entry(&se, s, 12), MG_OK);
    ck_assert_int_eq(mg_gov_inclusion_proof(&proof, s, 12, 14), MG_OK);
    mg_store_close(s);
    json_object_set(se, "proof", json_object_get(proof, "proof"));
    put_canonical(dir, "log/12.json", se);
    st = json_deep_copy(orig);
    json_array_append_new(statement_list(st), json_integer(12));
    reforge(dir, st);
    repack(dir, re);
    expect_refused(re, "log entry 12 (\"token.create\") is in the signed statement but is not "
                       "about credit version 1");
    json_decref(st);

    json_decref(se);
    json_decref(proof);
    json_decref(orig);
    free(dir);
    free(re);
}
END_TEST

/* statement.json (re-signed, so its signature holds) with `edit` applied: refused, `want`. */
static void expect_statement_shape_refused(const char *dir, const char *re, const json_t *orig,
                                           const char *edit, const char *want)
{
    json_t *st = json_deep_copy(orig), *subject, *list;
    char key_path[2048];
    mg_key *k = NULL;

    subject = json_object_get(json_object_get(st, "entry"), "subject");
    list = json_object_get(subject, "entries");
    if (strcmp(edit, "size") == 0)
        json_object_set_new(subject, "size", json_integer(12));
    else if (strcmp(edit, "from-1") == 0)
        drop_index(list, 0);
    else if (strcmp(edit, "swapped") == 0)
        json_array_insert_new(list, 3, json_integer(5));
    else if (strcmp(edit, "own-index") == 0)
        json_array_append_new(list, json_integer(13));
    else
        json_array_clear(list);
    snprintf(key_path, sizeof key_path, "%s/keys/%s.pem", store_dir,
             json_string_value(json_object_get(st, "key_id")));
    ck_assert_int_eq(mg_key_load(&k, key_path), MG_OK);
    resign(st, k);
    put_canonical(dir, "statement.json", st);
    repack(dir, re);
    expect_refused(re, want);
    mg_key_free(k);
    json_decref(st);
}

/*
 * The statement's own shape, checked once its signature holds: its size is its index, its list
 * increases from entry 0 and stays below its index, and is not empty.
 */
START_TEST(test_governance_bundle_statement_shape)
{
    char *dir = unpack("shape"), *re = tu_path("shape.tar");
    json_t *orig = load_member(dir, "statement.json");
    const char *order = "statement.json (log entry 13): its entries must be increasing indices "
                        "from 0, each below 13";

    expect_statement_shape_refused(dir, re, orig, "size",
                                   "statement.json (log entry 13): vouches for the log's first "
                                   "12 entries, not the 13 before it");
    expect_statement_shape_refused(dir, re, orig, "from-1", order);
    expect_statement_shape_refused(dir, re, orig, "swapped", order);
    expect_statement_shape_refused(dir, re, orig, "own-index", order);
    expect_statement_shape_refused(dir, re, orig, "empty",
                                   "statement.json (log entry 13) lists no entries");
    json_decref(orig);
    free(dir);
    free(re);
}
END_TEST

/* verify --bundle --format json: counts and indices are JSON integers, not 14.0. */
START_TEST(test_governance_bundle_json_integers)
{
    char *out = NULL, *err = NULL;
    json_t *j, *r;
    size_t i;

    ck_assert_int_eq(tu_run(&out, &err, "verify --bundle '%s' --format json", bundle_path), 0);
    ck_assert_ptr_null(strstr(out, ".0,"));
    j = json_loads(out, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert(json_is_integer(json_object_get(j, "version")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "version")), 1);
    ck_assert(json_is_integer(json_object_get(json_object_get(j, "tree_head"), "size")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "tree_head"), "size")),
                     14);
    ck_assert(json_is_integer(json_object_get(json_object_get(j, "statement"), "index")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "statement"), "index")),
                     13);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "entries")), 12);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "reports")), 2);
    json_array_foreach(json_object_get(j, "reports"), i, r)
    {
        ck_assert(json_is_integer(json_object_get(r, "report_id")));
        ck_assert_int_eq(json_integer_value(json_object_get(r, "report_id")), (json_int_t)i + 1);
    }
    json_decref(j);
    free(out);
    free(err);
}
END_TEST

/*
 * --trusted-key: the founding key, by id or by its PEM (here the bundle's own keys/ file),
 * passes and is reported; the chain's second key, or another store's, fails at entry 0; a
 * value that is neither is refused; and the same through the command line.
 */
START_TEST(test_governance_bundle_trusted_key)
{
    char *dir = unpack("trusted"), *other = tu_path("other-store"), pem[2048];
    char *out = NULL, *err = NULL;
    const char *second;
    json_t *sum = NULL, *m = load_member(dir, "bundle.json"), *keys = NULL;
    mg_store *s = NULL;

    snprintf(pem, sizeof pem, "%s/keys/%s.pem", dir, fx.first_key);
    ck_assert_msg(mg_gov_verify_bundle(&sum, bundle_path, fx.first_key) == MG_OK, "%s",
                  mg_error_last());
    ck_assert_str_eq(json_string_value(json_object_get(sum, "trusted_key")), fx.first_key);
    json_decref(sum);
    ck_assert_msg(mg_gov_verify_bundle(&sum, bundle_path, pem) == MG_OK, "%s", mg_error_last());
    ck_assert_str_eq(json_string_value(json_object_get(sum, "trusted_key")), fx.first_key);
    json_decref(sum);
    sum = NULL;

    second = json_string_value(json_array_get(json_object_get(m, "keys"), 1));
    ck_assert_str_ne(second, fx.first_key);
    ck_assert_int_eq(mg_gov_verify_bundle(&sum, bundle_path, second), MG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "log entry 0: founds the log with key"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "not the trusted key"));
    ck_assert_ptr_null(sum);

    ck_assert_int_eq(mg_store_init(&s, other), MG_OK);
    ck_assert_int_eq(mg_gov_keys_list(&keys, s), MG_OK);
    mg_store_close(s);
    ck_assert_int_eq(mg_gov_verify_bundle(&sum, bundle_path,
                                          json_string_value(json_object_get(
                                              json_array_get(keys, 0), "key_id"))),
                     MG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "not the trusted key"));

    ck_assert_int_eq(mg_gov_verify_bundle(&sum, bundle_path, "xyz"), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "trusted key 'xyz': neither a key id"));

    ck_assert_int_eq(tu_run(&out, &err, "verify --bundle '%s' --trusted-key '%s'", bundle_path, pem),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "verifies"));
    ck_assert_ptr_nonnull(strstr(out, "is the trusted one"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "verify --bundle '%s' --trusted-key %s", bundle_path,
                            second),
                     1);
    ck_assert_ptr_nonnull(strstr(err, "not the trusted key"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "verify --bundle '%s'", bundle_path), 0);
    ck_assert_ptr_nonnull(strstr(out, "not pinned: see --trusted-key"));
    free(out);
    free(err);

    json_decref(keys);
    json_decref(m);
    free(other);
    free(dir);
}
END_TEST

/* A bundle of the first format has no statement, so cannot show an omission: refused. */
START_TEST(test_governance_bundle_old_format_refused)
{
    char *dir = unpack("old"), *re = tu_path("old.tar");
    json_t *m = load_member(dir, "bundle.json");

    json_object_set_new(m, "format", json_string("modelgov-audit-bundle/1"));
    put_canonical(dir, "bundle.json", m);
    ck_assert_int_eq(tu_sh("cd '%s' && tar --format=ustar -cf '%s' bundle.json $(find log keys "
                        "artifacts reports -type f | sort)",
                        dir, re),
                     0);
    expect_refused(re, "a modelgov-audit-bundle/1 bundle carries no signed statement of which "
                       "entries it holds");
    json_decref(m);
    free(dir);
    free(re);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_bundle");
    TCase *tc = tcase_create("bundle");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_governance_bundle_verifies_without_store);
    tcase_add_test(tc, test_governance_bundle_is_plain_tar);
    tcase_add_test(tc, test_governance_bundle_any_altered_byte_fails);
    tcase_add_test(tc, test_governance_bundle_named_failures);
    tcase_add_test(tc, test_governance_bundle_content_checks);
    tcase_add_test(tc, test_governance_bundle_rejects_bad_numbers);
    tcase_add_test(tc, test_governance_bundle_left_out_entry_named);
    tcase_add_test(tc, test_governance_bundle_extra_entry_named);
    tcase_add_test(tc, test_governance_bundle_statement_signature);
    tcase_add_loop_test(tc, test_governance_bundle_export_refuses_damaged_store, 0,
                        (int)(sizeof damaged / sizeof *damaged));
    tcase_add_loop_test(tc, test_governance_bundle_export_refuses_altered_log, 0,
                        (int)(sizeof altered_log / sizeof *altered_log));
    tcase_add_test(tc, test_governance_bundle_story_from_log);
    tcase_add_test(tc, test_governance_bundle_forged_statement_contents);
    tcase_add_test(tc, test_governance_bundle_statement_shape);
    tcase_add_test(tc, test_governance_bundle_json_integers);
    tcase_add_test(tc, test_governance_bundle_trusted_key);
    tcase_add_test(tc, test_governance_bundle_old_format_refused);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
