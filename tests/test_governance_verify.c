/* test_governance_verify.c - `verify --store`: a clean store passes; each tampering is named. */
#include "governance_fixture.h"
#include "testutil.h"
#include "verify.h" /* gov_verify_records: the record checks on their own */

#include <check.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static fixture fx;
static char *pristine, *pristine_more;

/* The fixture stores, built once in the test process that forks a child per test. */
static void setup(void)
{
    fixture more_fx;

    if (!pristine) {
        pristine = tu_path("pristine");
        fixture_build(&fx, pristine);
    }
    if (!pristine_more) {
        pristine_more = tu_path("pristine-more");
        fixture_build_more(&more_fx, pristine_more);
    }
}

/* A copy of the fixture to tamper with. */
static char *copy(const char *name)
{
    char *dir = tu_path(name);
    ck_assert_int_eq(tu_sh("rm -rf '%s' && cp -a '%s' '%s'", dir, pristine, dir), 0);
    return dir;
}

/* A copy of the larger fixture (revocation, model update, DP run and its version). */
static char *copy_more(const char *name)
{
    char *dir = tu_path(name);
    ck_assert_int_eq(tu_sh("rm -rf '%s' && cp -a '%s' '%s'", dir, pristine_more, dir), 0);
    return dir;
}

/* Run SQL on a copy, as a tamperer would: the append-only triggers go first. */
static void sql(const char *dir, const char *stmt)
{
    char db[1024];
    sqlite3 *h;
    char *err = NULL;

    snprintf(db, sizeof db, "%s/modelgov.db", dir);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_msg(sqlite3_exec(h,
                               "DROP TRIGGER log_entries_no_update; DROP TRIGGER "
                               "log_entries_no_delete; DROP TRIGGER tree_heads_no_update; DROP "
                               "TRIGGER tree_heads_no_delete;",
                               NULL, NULL, &err) == SQLITE_OK,
                  "%s", err);
    ck_assert_msg(sqlite3_exec(h, stmt, NULL, NULL, &err) == SQLITE_OK, "%s: %s", stmt, err);
    ck_assert_int_gt(sqlite3_changes(h), 0);
    sqlite3_close(h);
}

/* Flip the lowest bit of byte `at` of a file. */
static void flip_byte(const char *path, long at)
{
    FILE *f;
    int c;
    chmod(path, 0600);
    f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, at, SEEK_SET);
    c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ 1, f);
    fclose(f);
}

/* Verify `dir`: it must fail, and the message must contain `want`. */
static void expect_failure(const char *dir, const char *want)
{
    mg_gov_verify_summary sum;
    int rc = mg_gov_verify_store(&sum, dir, 2, NULL);
    ck_assert_msg(rc == MG_EVERIFY, "expected a failure naming \"%s\", got %d: %s", want, rc,
                  mg_error_last());
    ck_assert_msg(strstr(mg_error_last(), want) != NULL, "expected \"%s\" in \"%s\"", want,
                  mg_error_last());
}

START_TEST(test_governance_verify_clean_store)
{
    char *dir = copy("clean");
    mg_gov_verify_summary sum;

    ck_assert_msg(mg_gov_verify_store(&sum, dir, 2, NULL) == MG_OK, "%s", mg_error_last());
    ck_assert_uint_eq(sum.entries, FIXTURE_ENTRIES);
    ck_assert_uint_eq(sum.tree_heads, FIXTURE_ENTRIES); /* one change per batch here */
    ck_assert_uint_eq(sum.keys, 2);
    ck_assert_uint_eq(sum.artifacts, 4); /* data set, model, two reports */
    ck_assert_uint_ge(sum.records, 10);
    /* pinned to the key that founded it */
    ck_assert_int_eq(mg_gov_verify_store(&sum, dir, 1, fx.first_key), MG_OK);
    free(dir);
}
END_TEST

/* version.register pins the metrics the gates read: SHA-256 of their canonical JSON. */
START_TEST(test_governance_verify_register_logs_metrics)
{
    unsigned char d[MG_SHA256_LEN];
    char want[MG_SHA256_HEX];
    const char *canonical = "{\"accuracy\":0.84}"; /* run 1's metrics, the version's too */
    const json_t *subject;
    json_t *e = NULL;
    mg_store *s = NULL;

    ck_assert_int_eq(mg_store_open(&s, pristine), MG_OK);
    ck_assert_int_eq(mg_gov_log_entry(&e, s, 5), MG_OK);
    subject = json_object_get(json_object_get(e, "entry"), "subject");
    ck_assert_int_eq(mg_sha256_digest(d, canonical, strlen(canonical)), MG_OK);
    mg_sha256_hex(want, d);
    ck_assert_str_eq(json_string_value(json_object_get(subject, "metrics_sha256")), want);
    ck_assert_int_eq(json_integer_value(json_object_get(subject, "run_id")), 1);
    json_decref(e);
    mg_store_close(s);
}
END_TEST

/* One byte of entry 5 ("alice" -> "alicf"): its leaf hash no longer matches. */
START_TEST(test_governance_verify_entry_byte)
{
    char *dir = copy("entry-byte");
    sql(dir, "UPDATE log_entries SET body = replace(body, '\"actor\":\"alice\"', "
             "'\"actor\":\"alicf\"') WHERE idx = 5");
    expect_failure(dir, "log entry 5: its stored leaf hash is not SHA-256(0x00 || entry)");
    free(dir);
}
END_TEST

/* The same byte with the leaf hash recomputed to match: the signature catches it. */
/* The body of entry `idx` in a copy (malloc'd). */
static char *entry_body(const char *dir, int idx)
{
    char db[1024], q[96];
    sqlite3_stmt *st;
    sqlite3 *h;
    char *body;

    snprintf(db, sizeof db, "%s/modelgov.db", dir);
    snprintf(q, sizeof q, "SELECT body FROM log_entries WHERE idx = %d", idx);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(h, q, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    body = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return body;
}

/* Run `update` (one ? parameter) with a blob, or text when len is 0, on a copy. */
static void set_column(const char *dir, const char *update, const void *value, size_t len)
{
    char db[1024];
    sqlite3_stmt *st;
    sqlite3 *h;

    snprintf(db, sizeof db, "%s/modelgov.db", dir);
    ck_assert_int_eq(sqlite3_open(db, &h), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(h, update, -1, &st, NULL), SQLITE_OK);
    if (len)
        sqlite3_bind_blob(st, 1, value, (int)len, SQLITE_STATIC);
    else
        sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(h);
}

START_TEST(test_governance_verify_entry_byte_with_leaf)
{
    char *dir = copy("entry-leaf"), *body;
    unsigned char leaf[MG_SHA256_LEN];

    sql(dir, "UPDATE log_entries SET body = replace(body, '\"actor\":\"alice\"', "
             "'\"actor\":\"alicf\"') WHERE idx = 5");
    body = entry_body(dir, 5);
    ck_assert_int_eq(mg_merkle_leaf_hash(leaf, body, strlen(body)), MG_OK);
    set_column(dir, "UPDATE log_entries SET leaf = ? WHERE idx = 5", leaf, sizeof leaf);
    expect_failure(dir, "log entry 5: Ed25519 signature does not verify");
    free(body);
    free(dir);
}
END_TEST

/* Entries 3 and 4 swapped (every column but the position). */
START_TEST(test_governance_verify_reorder)
{
    char *dir = copy("reorder");
    sql(dir, "CREATE TEMP TABLE t AS SELECT * FROM log_entries WHERE idx IN (3, 4);"
             "UPDATE log_entries SET body = (SELECT body FROM t WHERE t.idx = 7 - "
             "log_entries.idx), leaf = (SELECT leaf FROM t WHERE t.idx = 7 - log_entries.idx), "
             "sig = (SELECT sig FROM t WHERE t.idx = 7 - log_entries.idx), action = (SELECT "
             "action FROM t WHERE t.idx = 7 - log_entries.idx) WHERE idx IN (3, 4)");
    expect_failure(dir, "log entry 3: carries index 4 at position 3");
    free(dir);
}
END_TEST

START_TEST(test_governance_verify_drop_last)
{
    char *dir = copy("drop-last");
    sql(dir, "DELETE FROM log_entries WHERE idx = 12");
    expect_failure(dir, "log entry 12 is missing: the tree head of size 13 covers it");
    free(dir);
}
END_TEST

/* The action column (what the record checks select by) no longer says what the entry is. */
START_TEST(test_governance_verify_action_column)
{
    char *dir = copy("action-column");
    sql(dir, "UPDATE log_entries SET action = 'version.comment' WHERE idx = 6");
    expect_failure(dir, "log entry 6: its action column \"version.comment\" is not the entry's "
                        "action");
    free(dir);
}
END_TEST

/* One byte of the content-addressed file `sha` in a copy: verify names the file. */
static void expect_altered_file(const char *name, const char *sha, long at)
{
    char *dir = copy(name), path[1024], want[256];
    snprintf(path, sizeof path, "%s/artifacts/%s", dir, sha);
    flip_byte(path, at);
    snprintf(want, sizeof want, "artifacts/%s: its bytes hash to", sha);
    expect_failure(dir, want);
    free(dir);
}

START_TEST(test_governance_verify_artifact_byte)
{
    expect_altered_file("artifact-byte", fx.artifact, 10);
}
END_TEST

START_TEST(test_governance_verify_report_byte)
{
    expect_altered_file("report-byte", fx.bias_report, 3);
}
END_TEST

/* The private key file replaced by another key of the same name. */
START_TEST(test_governance_verify_swap_key_file)
{
    char *dir = copy("swap-key-file"), path[1024], want[256];
    mg_key *k = NULL;
    snprintf(path, sizeof path, "%s/keys/%s.pem", dir, fx.first_key);
    ck_assert_int_eq(mg_key_generate(&k), MG_OK);
    chmod(path, 0600);
    ck_assert_int_eq(mg_key_save(k, path), MG_OK);
    mg_key_free(k);
    snprintf(want, sizeof want, "keys/%s.pem: holds key", fx.first_key);
    expect_failure(dir, want);
    free(dir);
}
END_TEST

/* The public key in the keys table swapped for another. */
START_TEST(test_governance_verify_swap_public_key)
{
    char *dir = copy("swap-public"), stmt[2048];
    mg_buf pem = MG_BUF_INIT;
    mg_key *k = NULL;
    ck_assert_int_eq(mg_key_generate(&k), MG_OK);
    ck_assert_int_eq(mg_key_public_pem(&pem, k), MG_OK);
    snprintf(stmt, sizeof stmt, "UPDATE keys SET public_pem = '%s' WHERE id = '%s'", pem.ptr,
             fx.first_key);
    sql(dir, stmt);
    expect_failure(dir, "keys row 1: public_pem differs from log entry 0's \"public_key\"");
    mg_buf_free(&pem);
    mg_key_free(k);
    free(dir);
}
END_TEST

/* Entry 7 re-signed with another key: named whether or not its key id was changed too. */
START_TEST(test_governance_verify_swap_signing_key)
{
    char *dir = copy("swap-signer"), *body;
    unsigned char sig[MG_ED25519_SIG_LEN];
    mg_key *k = NULL;

    sql(dir, "UPDATE log_entries SET action = action WHERE idx = 7"); /* drops the triggers */
    ck_assert_int_eq(mg_key_generate(&k), MG_OK);
    body = entry_body(dir, 7);
    ck_assert_int_eq(mg_key_sign(sig, k, body, strlen(body)), MG_OK);
    set_column(dir, "UPDATE log_entries SET sig = ? WHERE idx = 7", sig, sizeof sig);
    expect_failure(dir, "log entry 7: Ed25519 signature does not verify");
    set_column(dir, "UPDATE log_entries SET key_id = ? WHERE idx = 7", mg_key_id(k), 0);
    expect_failure(dir, "log entry 7: marked as signed by key");
    free(body);
    mg_key_free(k);
    free(dir);
}
END_TEST

/*
 * A whole other log (another key) is told apart only by pinning the founding key, given by its
 * id or by its public key PEM file (the one `openssl pkey -pubout` or a bundle's keys/ holds).
 */
START_TEST(test_governance_verify_trusted_key)
{
    char *other = tu_path("other-store"), *pem_path = tu_path("first-key.pem"), key_path[2048];
    mg_gov_verify_summary sum;
    mg_store *s = NULL;
    mg_key *k = NULL;
    mg_buf pem = MG_BUF_INIT;

    ck_assert_int_eq(mg_store_init(&s, other), MG_OK);
    mg_store_close(s);
    ck_assert_int_eq(mg_gov_verify_store(&sum, other, 1, NULL), MG_OK);
    ck_assert_int_eq(mg_gov_verify_store(&sum, other, 1, ""), MG_OK);
    ck_assert_msg(mg_gov_verify_store(&sum, other, 1, fx.first_key) == MG_EVERIFY, "%s",
                  mg_error_last());
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "log entry 0: founds the log with key"));
    /* the fixture's first key, as a public key PEM file */
    snprintf(key_path, sizeof key_path, "%s/keys/%s.pem", pristine, fx.first_key);
    ck_assert_int_eq(mg_key_load(&k, key_path), MG_OK);
    ck_assert_int_eq(mg_key_public_pem(&pem, k), MG_OK);
    tu_write(pem_path, pem.ptr);
    ck_assert_msg(mg_gov_verify_store(&sum, pristine, 1, pem_path) == MG_OK, "%s", mg_error_last());
    ck_assert_msg(mg_gov_verify_store(&sum, pristine, 1, fx.first_key) == MG_OK, "%s",
                  mg_error_last());
    ck_assert_int_eq(mg_gov_verify_store(&sum, other, 1, pem_path), MG_EVERIFY);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "log entry 0: founds the log with key"));
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "not the trusted key"));
    /* neither an id nor a readable PEM: the flag's value and both readings named */
    ck_assert_int_eq(mg_gov_verify_store(&sum, other, 1, "xyz"), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "trusted key 'xyz': neither a key id (64 "
                                                  "lower-case hex digits) nor a public key PEM "
                                                  "file"));
    tu_write(pem_path, "not a key\n");
    ck_assert_int_eq(mg_gov_verify_store(&sum, pristine, 1, pem_path), MG_EINVAL);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "nor a public key PEM file"));
    mg_buf_free(&pem);
    mg_key_free(k);
    free(pem_path);
    free(other);
}
END_TEST

/* Inventory rows changed behind the log's back. */
START_TEST(test_governance_verify_rows)
{
    char *dir = copy("rows-stage");
    sql(dir, "UPDATE versions SET stage = 'production'");
    expect_failure(dir, "versions row 1: stage is production, but its logged transitions end at "
                        "approved");
    free(dir);
    dir = copy("rows-artifact");
    sql(dir, "UPDATE versions SET artifact_sha256 = (SELECT sha256 FROM datasets)");
    expect_failure(dir, "versions row 1: artifact_sha256 differs from log entry 5's");
    free(dir);
    dir = copy("rows-policy");
    sql(dir, "UPDATE models SET policy_json = '{}'");
    expect_failure(dir, "models row 1: its policy is not the one the log recorded");
    free(dir);
}
END_TEST

/* The larger fixture verifies untouched: every entry has its row, every row its entry. */
START_TEST(test_governance_verify_clean_more)
{
    char *dir = copy_more("clean-more");
    mg_gov_verify_summary sum;

    ck_assert_msg(mg_gov_verify_store(&sum, dir, 2, NULL) == MG_OK, "%s", mg_error_last());
    ck_assert_uint_eq(sum.entries, FIXTURE_MORE_ENTRIES);
    /* keys 2, data set 1, model 1, versions 2, reports 2, transitions 2, comment 1,
       tokens 2, runs 4 started + 3 finished, privacy ledger 2 (the failed run has none) */
    ck_assert_uint_eq(sum.records, 22);
    ck_assert_uint_eq(sum.artifacts, 5);
    free(dir);
}
END_TEST

/* The larger fixture's last entries: a failed run without a ledger row, a running one. */
START_TEST(test_governance_verify_failed_and_running_runs)
{
    json_t *run = NULL;
    mg_store *s = NULL;

    ck_assert_int_eq(mg_store_open(&s, pristine_more), MG_OK);
    ck_assert_int_eq(mg_gov_run_get(&run, s, 3), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "failed");
    ck_assert_int_eq(json_integer_value(json_object_get(run, "finish_index")), 21);
    ck_assert(json_is_null(json_object_get(run, "privacy_ledger")));
    ck_assert(json_is_null(json_object_get(run, "artifact_sha256")));
    json_decref(run);
    ck_assert_int_eq(mg_gov_run_get(&run, s, 4), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(run, "status")), "running");
    ck_assert(json_is_null(json_object_get(run, "finish_index")));
    json_decref(run);
    mg_store_close(s);
}
END_TEST

/* model.update logs the new owner and risk tier; token.create the hash of the secret's hash. */
START_TEST(test_governance_verify_logs_new_fields)
{
    const json_t *subject;
    json_t *e = NULL;
    mg_store *s = NULL;

    ck_assert_int_eq(mg_store_open(&s, pristine_more), MG_OK);
    ck_assert_int_eq(mg_gov_log_entry(&e, s, 19), MG_OK);
    subject = json_object_get(json_object_get(e, "entry"), "subject");
    ck_assert_str_eq(json_string_value(json_object_get(subject, "owner")), "model risk office");
    ck_assert_str_eq(json_string_value(json_object_get(subject, "risk_tier")), "medium");
    json_decref(e);
    ck_assert_int_eq(mg_gov_log_entry(&e, s, 9), MG_OK); /* bob approves as a reviewer */
    subject = json_object_get(json_object_get(e, "entry"), "subject");
    ck_assert_str_eq(json_string_value(json_object_get(subject, "role")), "reviewer");
    json_decref(e);
    ck_assert_int_eq(mg_gov_log_entry(&e, s, 12), MG_OK);
    subject = json_object_get(json_object_get(e, "entry"), "subject");
    ck_assert(mg_hex_is_sha256(json_string_value(json_object_get(subject, "secret_sha256_sha256"))));
    json_decref(e);
    mg_store_close(s);
}
END_TEST

/* A tampering of the larger fixture's tables, and the failure verify must name. */
typedef struct tamper {
    const char *name, *stmt, *want;
} tamper;

static void expect_tamper_named(const tamper *t)
{
    char *dir = copy_more(t->name);
    sql(dir, t->stmt);
    expect_failure(dir, t->want);
    free(dir);
}

/* Entries whose rows are gone (or no longer name them), and revocations out of step. */
static const tamper missing_rows[] = {
    {"no-comment", "DELETE FROM comments",
     "log entry 11 (version.comment): no row of comments has log_index 11"},
    {"no-report", "DELETE FROM reports WHERE id = 2",
     "log entry 7 (report.write): no row of reports has log_index 7"},
    /* the stage rolled back with it, so the rows alone agree */
    {"no-transition",
     "DELETE FROM transitions WHERE id = 2; UPDATE versions SET stage = 'pending_review' WHERE "
     "id = 1",
     "log entry 9 (version.transition): no row of transitions has log_index 9"},
    {"no-token", "DELETE FROM tokens WHERE name = 'carol'",
     "log entry 12 (token.create): no row of tokens has log_index 12"},
    {"no-key", "DELETE FROM keys WHERE announced_index = 10",
     "log entry 10 (key.rotate): no row of keys has announced_index 10"},
    {"no-version", "DELETE FROM versions WHERE id = 2",
     "log entry 18 (version.register): no row of versions has log_index 18"},
    {"no-run", "DELETE FROM runs WHERE id = 2",
     "log entry 16 (run.start): no row of runs has start_index 16"},
    /* undone with every trace of its end: only the entry is left to tell */
    {"run-unfinished",
     "UPDATE runs SET finish_index = NULL, status = 'running', metrics_json = NULL, "
     "loss_curves_json = NULL, privacy_json = NULL, artifact_sha256 = NULL, finished = NULL "
     "WHERE id = 2",
     "log entry 17 (run.finish): no row of runs has finish_index 17"},
    /* the row still says finished: named at the run's start, before its finish */
    {"run-finish-unlinked", "UPDATE runs SET finish_index = NULL WHERE id = 1",
     "runs row 1: status is finished, but no run.finish entry finished it (finish_index is "
     "NULL)"},
    {"run-finish-unlinked-running", "UPDATE runs SET finish_index = NULL, status = 'running' "
                                    "WHERE id = 2",
     "runs row 2: metrics_json is set, but no run.finish entry finished it (finish_index is "
     "NULL)"},
    /* the first failing entry is named: the model's creation (4), not its version (5) */
    {"no-model", "DELETE FROM models",
     "log entry 4 (model.create): no row of models has log_index 4"},
    {"failed-run-ledger-row",
     "INSERT INTO privacy_ledger (dataset_sha256, run_id, kind, spend_json, created, log_index) "
     "SELECT dataset_sha256, 3, 'unbounded', '{\"kind\":\"unbounded\"}', created, 21 FROM "
     "privacy_ledger WHERE id = 1",
     "privacy_ledger row 3: log entry 21 is not a run.finish that records a privacy spend"},
    {"no-ledger-row", "DELETE FROM privacy_ledger WHERE run_id = 2",
     "log entry 17 (run.finish): no row of privacy_ledger has log_index 17"},
    /* without the non-DP run's row the data set's total epsilon would look finite */
    {"no-unbounded-row", "DELETE FROM privacy_ledger WHERE run_id = 1",
     "log entry 3 (run.finish): no row of privacy_ledger has log_index 3"},
    {"extra-ledger-row",
     "INSERT INTO privacy_ledger (dataset_sha256, run_id, kind, spend_json, created, log_index) "
     "SELECT dataset_sha256, run_id, kind, spend_json, created, log_index FROM privacy_ledger "
     "WHERE id = 2",
     "privacy_ledger row 3: log entry 17 has its row already (privacy_ledger row 2)"},
    {"unrevoked", "UPDATE tokens SET revoked = NULL WHERE name = 'dave'",
     "tokens row 2: revoked is NULL, but log entry 14 revokes it"},
    {"revoked-unlogged", "UPDATE tokens SET revoked = '2026-01-01T00:00:00Z' WHERE name = 'carol'",
     "tokens row 1: revoked is set, but no log entry revokes it"},
};

START_TEST(test_governance_verify_entry_without_row)
{
    expect_tamper_named(&missing_rows[_i]);
}
END_TEST

/* Columns changed behind the log's back. */
static const tamper changed_columns[] = {
    {"report-kind", "UPDATE reports SET kind = 'explain' WHERE id = 1",
     "reports row 1: kind differs from log entry 6's \"kind\""},
    {"report-config", "UPDATE reports SET config_json = '{\"facet\":\"other\"}' WHERE id = 1",
     "reports row 1: config_json differs from log entry 6's \"config_sha256\""},
    {"version-run-dropped", "UPDATE versions SET run_id = NULL WHERE id = 2",
     "versions row 2: run_id differs from log entry 18's \"run_id\""},
    {"version-run-other", "UPDATE versions SET run_id = 1 WHERE id = 2",
     "versions row 2: run_id differs from log entry 18's \"run_id\""},
    {"version-metrics", "UPDATE versions SET metrics_json = '{\"accuracy\":0.99,\"auc\":0.85}' "
                        "WHERE id = 2",
     "versions row 2: metrics_json differs from log entry 18's \"metrics_sha256\""},
    {"version-metrics-dropped", "UPDATE versions SET metrics_json = NULL WHERE id = 1",
     "versions row 1: metrics_json differs from log entry 5's \"metrics_sha256\""},
    /* separation of duties reads the submitter */
    {"version-submitter", "UPDATE versions SET submitter = 'bob' WHERE id = 1",
     "versions row 1: submitter differs from log entry 5's \"actor\""},
    {"stage-unlogged", "UPDATE versions SET stage = 'approved' WHERE id = 2",
     "versions row 2: stage is approved, but its logged transitions end at registered"},
    {"comment-text", "UPDATE comments SET text = 'all fine'",
     "comments row 1: text differs from log entry 11's \"text\""},
    {"comment-author", "UPDATE comments SET actor = 'alice'",
     "comments row 1: actor differs from log entry 11's \"actor\""},
    {"transition-actor", "UPDATE transitions SET actor = 'carol' WHERE id = 2",
     "transitions row 2: actor differs from log entry 9's \"actor\""},
    {"transition-gates", "UPDATE transitions SET gates_json = '[]' WHERE id = 2",
     "transitions row 2: gates_json differs from log entry 9's \"gates\""},
    /* entry 19 changed owner and risk tier and logged the new values */
    {"model-owner", "UPDATE models SET owner = 'someone else'",
     "models row 1: owner differs from log entry 19's \"owner\""},
    {"model-owner-as-created", "UPDATE models SET owner = 'risk team'",
     "models row 1: owner differs from log entry 19's \"owner\""},
    {"model-tier-as-created", "UPDATE models SET risk_tier = 'high'",
     "models row 1: risk_tier differs from log entry 19's \"risk_tier\""},
    /* a writer who swaps in the hash of a secret of their own takes the token over */
    {"token-secret", "UPDATE tokens SET secret_sha256 = randomblob(32) WHERE name = 'carol'",
     "tokens row 1: secret_sha256 differs from log entry 12's \"secret_sha256_sha256\""},
    {"transition-role", "UPDATE transitions SET role = 'admin' WHERE id = 2",
     "transitions row 2: role differs from log entry 9's \"role\""},
    /* run 4 never finished in the log: its row cannot say otherwise */
    {"run-never-finished", "UPDATE runs SET status = 'finished' WHERE id = 4",
     "runs row 4: status is finished, but no run.finish entry finished it (finish_index is "
     "NULL)"},
    {"run-never-finished-artifact",
     "UPDATE runs SET artifact_sha256 = (SELECT artifact_sha256 FROM runs WHERE id = 1) WHERE "
     "id = 4",
     "runs row 4: artifact_sha256 is set, but no run.finish entry finished it (finish_index is "
     "NULL)"},
    {"run-never-finished-time", "UPDATE runs SET finished = started WHERE id = 4",
     "runs row 4: finished is set, but no run.finish entry finished it (finish_index is NULL)"},
    /* two tables changed: the earlier entry (run 1's start, 2) is named, not the version's (5) */
    {"first-entry-named",
     "UPDATE versions SET submitter = 'bob' WHERE id = 1; UPDATE runs SET code_version = 'x' "
     "WHERE id = 1",
     "runs row 1: code_version differs from log entry 2's \"code_version\""},
    {"dataset-owner", "UPDATE datasets SET owner = 'someone else'",
     "datasets row 1: owner differs from log entry 1's \"owner\""},
    {"token-creator", "UPDATE tokens SET created_by = 'alice' WHERE name = 'carol'",
     "tokens row 1: created_by differs from log entry 12's \"actor\""},
    {"run-config", "UPDATE runs SET config_json = '{\"model\":\"mlp\"}' WHERE id = 1",
     "runs row 1: config_json differs from log entry 2's \"config_sha256\""},
    {"run-metrics", "UPDATE runs SET metrics_json = '{\"accuracy\":0.99}' WHERE id = 1",
     "runs row 1: metrics_json, loss_curves_json or privacy_json differs from log entry 3's "
     "\"results_sha256\""},
    {"run-steps",
     "UPDATE runs SET privacy_json = json_set(privacy_json, '$.events[0].steps', 10) WHERE id = 2",
     "runs row 2: metrics_json, loss_curves_json or privacy_json differs from log entry 17's "
     "\"results_sha256\""},
    {"ledger-epsilon",
     "UPDATE privacy_ledger SET spend_json = json_set(spend_json, '$.epsilon', 0.5) WHERE run_id "
     "= 2",
     "privacy_ledger row 2: spend_json's epsilon or delta differs from log entry 17's "
     "\"privacy\""},
    {"ledger-steps",
     "UPDATE privacy_ledger SET spend_json = json_set(spend_json, '$.events[0].steps', 10) WHERE "
     "run_id = 2",
     "privacy_ledger row 2: spend_json's \"events\" is not what run 2's privacy settings give "
     "(log entry 17)"},
    {"ledger-rdp",
     "UPDATE privacy_ledger SET spend_json = json_set(spend_json, '$.rdp[3]', 0) WHERE run_id = 2",
     "privacy_ledger row 2: spend_json's \"rdp\" is not what run 2's privacy settings give (log "
     "entry 17)"},
    {"ledger-kind", "UPDATE privacy_ledger SET kind = 'unbounded' WHERE run_id = 2",
     "privacy_ledger row 2: kind differs from log entry 17's \"privacy.kind\""},
    {"ledger-run", "UPDATE privacy_ledger SET run_id = 1 WHERE id = 2",
     "privacy_ledger row 2: run_id differs from log entry 17's \"run_id\""},
};

START_TEST(test_governance_verify_changed_column)
{
    expect_tamper_named(&changed_columns[_i]);
}
END_TEST

/*
 * A statement handed out by gov_stmt stays valid however many others the connection prepares
 * after it: a cache that evicted the oldest would finalize one a caller is still stepping
 * (use after free). 300 distinct statements are prepared between two steps of the first.
 */
START_TEST(test_governance_stmt_cache_never_evicts)
{
    static char texts[300][48];
    char db[1024];
    gov_conn *c = NULL;
    sqlite3_stmt *q;

    snprintf(db, sizeof db, "%s/db.sqlite", tu_tmpdir());
    tu_write(db, "");
    ck_assert_int_eq(gov_conn_open(&c, db, 0), MG_OK);
    ck_assert_ptr_nonnull(q = gov_stmt(c, "SELECT 1 UNION ALL SELECT 2"));
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(q, 0), 1);
    for (int i = 0; i < 300; i++) {
        snprintf(texts[i], sizeof texts[i], "SELECT %d", i);
        ck_assert_ptr_nonnull(gov_stmt(c, texts[i]));
    }
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(q, 0), 2);
    ck_assert_ptr_eq(gov_stmt(c, "SELECT 1 UNION ALL SELECT 2"), q);
    ck_assert_ptr_eq(gov_stmt(c, texts[7]), gov_stmt(c, texts[7]));
    gov_conn_close(c);
}
END_TEST

/* The record checks alone (the log checks would name a rewritten entry first): its message. */
static void records_failure(char *msg, size_t n, const char *dir)
{
    char db[1024];
    gov_conn *c = NULL;
    gov_failure f;
    uint64_t records = 0;

    snprintf(db, sizeof db, "%s/modelgov.db", dir);
    ck_assert_int_eq(gov_conn_open(&c, db, 1), MG_OK);
    gov_failure_init(&f);
    ck_assert_msg(gov_verify_records(&records, c, &f) == MG_OK, "%s", mg_error_last());
    ck_assert_uint_gt(records, 0);
    snprintf(msg, n, "%s", f.failed ? f.msg : "");
    gov_failure_destroy(&f);
    gov_conn_close(c);
}

/*
 * An id of 1e300 in an entry (whose signature then fails, but the record checks still read it)
 * is named as not a whole number, never cast: the cast of such a double is undefined.
 */
START_TEST(test_governance_verify_id_out_of_range)
{
    char *dir = copy_more("id-range"), msg[900];

    sql(dir, "UPDATE log_entries SET body = replace(body, '\"model_id\":1,', "
             "'\"model_id\":1e300,') WHERE idx = 15");
    records_failure(msg, sizeof msg, dir);
    ck_assert_str_eq(msg, "log entry 15 (model.update): its \"model_id\" is 1e+300, not a whole "
                          "number within 2^53");
    free(dir);
    dir = copy_more("id-fraction");
    sql(dir, "UPDATE log_entries SET body = replace(body, '\"model_id\":1,', "
             "'\"model_id\":-1.5,') WHERE idx = 15");
    records_failure(msg, sizeof msg, dir);
    ck_assert_msg(strcmp(msg, "log entry 15 (model.update): its \"model_id\" is -1.5, not a whole "
                              "number within 2^53") == 0,
                  "%s", msg);
    free(dir);
}
END_TEST

/*
 * Entries written before a field was logged (no role, no secret hash, no new owner) leave that
 * column unchecked; the same column changed under an entry that logs it is named.
 */
START_TEST(test_governance_verify_older_entries_unchecked)
{
    char *dir = copy_more("older-entries"), msg[900];

    records_failure(msg, sizeof msg, dir);
    ck_assert_str_eq(msg, "");
    sql(dir, "UPDATE log_entries SET body = json_remove(body, '$.subject.secret_sha256_sha256') "
             "WHERE idx = 12; UPDATE log_entries SET body = json_remove(body, '$.subject.role') "
             "WHERE idx = 9; UPDATE log_entries SET body = json_remove(body, '$.subject.owner', "
             "'$.subject.risk_tier') WHERE idx = 19; UPDATE tokens SET secret_sha256 = "
             "randomblob(32) WHERE name = 'carol'; UPDATE transitions SET role = 'admin' WHERE id "
             "= 2; UPDATE models SET owner = 'x', risk_tier = 'low'");
    records_failure(msg, sizeof msg, dir);
    ck_assert_str_eq(msg, "");
    /* dave's token (entry 13) does log its secret's hash */
    set_column(dir, "UPDATE tokens SET secret_sha256 = ? WHERE name = 'dave'",
               "0123456789abcdef0123456789abcdef", 32);
    records_failure(msg, sizeof msg, dir);
    ck_assert_str_eq(msg, "tokens row 2: secret_sha256 differs from log entry 13's "
                          "\"secret_sha256_sha256\"");
    free(dir);
}
END_TEST

/* Audit exports append statements (audit.export entries): the store still verifies. */
START_TEST(test_governance_verify_store_with_statements)
{
    char *dir = copy_more("statements"), *tar = tu_path("statements.tar"), *list;
    mg_gov_verify_summary sum;
    json_t *bundle = NULL;
    mg_store *s = NULL;
    mg_actor local;

    mg_actor_local(&local);
    ck_assert_int_eq(mg_store_open(&s, dir), MG_OK);
    ck_assert_msg(mg_gov_audit_export(NULL, s, &local, "credit", 1, tar) == MG_OK, "%s",
                  mg_error_last());
    ck_assert_msg(mg_gov_audit_export(&bundle, s, &local, "credit", 2, tar) == MG_OK, "%s",
                  mg_error_last());
    mg_store_close(s);
    /* credit 2's story: keys (0, 10), its data set, model and both updates, run 2, registration */
    list = json_dumps(json_object_get(bundle, "entries"), JSON_COMPACT);
    ck_assert_str_eq(list, "[0,1,4,10,15,16,17,18,19]");
    free(list);
    json_decref(bundle);
    ck_assert_msg(mg_gov_verify_bundle(&bundle, tar, NULL) == MG_OK, "%s", mg_error_last());
    ck_assert_str_eq(json_string_value(json_object_get(bundle, "stage")), "registered");
    json_decref(bundle);
    ck_assert_msg(mg_gov_verify_store(&sum, dir, 2, NULL) == MG_OK, "%s", mg_error_last());
    ck_assert_uint_eq(sum.entries, FIXTURE_MORE_ENTRIES + 2);
    ck_assert_uint_eq(sum.records, 22); /* statements make no rows */
    free(tar);
    free(dir);
}
END_TEST

START_TEST(test_governance_verify_merkle_and_heads)
{
    char *dir = copy("merkle-node");
    sql(dir, "UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 0");
    expect_failure(dir, "Merkle node (level 1, index 0), completed by log entry 1, is not the "
                        "hash of its children");
    free(dir);
    dir = copy("tree-head");
    sql(dir, "UPDATE tree_heads SET root = zeroblob(32) WHERE size = 10");
    expect_failure(dir, "tree head of size 10: its root is not the root of the first 10 entries");
    free(dir);
}
END_TEST

/* The command line: exit 1 and the first bad entry named; exit 0 and a summary when clean. */
START_TEST(test_governance_verify_cli)
{
    char *dir = copy("cli"), *out = NULL, *err = NULL;

    ck_assert_int_eq(tu_run(&out, &err, "verify --store '%s'", dir), 0);
    ck_assert_ptr_nonnull(strstr(out, "verifies"));
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "verify --store '%s' --format json", dir), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"entries\": 13"));
    free(out);
    free(err);
    sql(dir, "UPDATE log_entries SET body = replace(body, '\"actor\":\"alice\"', "
             "'\"actor\":\"alicf\"') WHERE idx = 5");
    ck_assert_int_eq(tu_run(&out, &err, "verify --store '%s'", dir), 1);
    ck_assert_msg(strstr(err, "verification failed: log entry 5:") != NULL, "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(tu_run(&out, &err, "verify --store '%s' --bundle x", dir), 1);
    ck_assert_ptr_nonnull(strstr(err, "either --store DIR or --bundle FILE"));
    free(out);
    free(err);
    free(dir);
    /* a row gone from under its entry: named with the entry and the table */
    dir = copy("cli-row");
    sql(dir, "DELETE FROM comments");
    ck_assert_int_eq(tu_run(&out, &err, "verify --store '%s'", dir), 1);
    ck_assert_msg(strstr(err, "verification failed: log entry 11 (version.comment): no row of "
                              "comments has log_index 11") != NULL,
                  "%s", err);
    free(out);
    free(err);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_verify");
    TCase *tc = tcase_create("verify");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_governance_verify_clean_store);
    tcase_add_test(tc, test_governance_stmt_cache_never_evicts);
    tcase_add_test(tc, test_governance_verify_register_logs_metrics);
    tcase_add_test(tc, test_governance_verify_entry_byte);
    tcase_add_test(tc, test_governance_verify_entry_byte_with_leaf);
    tcase_add_test(tc, test_governance_verify_reorder);
    tcase_add_test(tc, test_governance_verify_drop_last);
    tcase_add_test(tc, test_governance_verify_action_column);
    tcase_add_test(tc, test_governance_verify_artifact_byte);
    tcase_add_test(tc, test_governance_verify_report_byte);
    tcase_add_test(tc, test_governance_verify_swap_key_file);
    tcase_add_test(tc, test_governance_verify_swap_public_key);
    tcase_add_test(tc, test_governance_verify_swap_signing_key);
    tcase_add_test(tc, test_governance_verify_trusted_key);
    tcase_add_test(tc, test_governance_verify_rows);
    tcase_add_test(tc, test_governance_verify_clean_more);
    tcase_add_test(tc, test_governance_verify_failed_and_running_runs);
    tcase_add_test(tc, test_governance_verify_logs_new_fields);
    tcase_add_test(tc, test_governance_verify_id_out_of_range);
    tcase_add_test(tc, test_governance_verify_older_entries_unchecked);
    tcase_add_test(tc, test_governance_verify_store_with_statements);
    tcase_add_loop_test(tc, test_governance_verify_entry_without_row, 0,
                        (int)(sizeof missing_rows / sizeof *missing_rows));
    tcase_add_loop_test(tc, test_governance_verify_changed_column, 0,
                        (int)(sizeof changed_columns / sizeof *changed_columns));
    tcase_add_test(tc, test_governance_verify_merkle_and_heads);
    tcase_add_test(tc, test_governance_verify_cli);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(pristine);
    free(pristine_more);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
