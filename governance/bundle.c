/* bundle.c - audit bundles: one version's entries with inclusion proofs, the signed statement that
 * they are all of them, a signed tree head, keys, artifact and reports, in a tar that
 * `modelgov verify --bundle` checks with no store. */
#include "inventory.h"
#include "story.h"
#include "tar.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "modelgov-audit-bundle/2"
#define FORMAT_1 "modelgov-audit-bundle/1" /* no statement: a left-out entry went unseen */
#define STATEMENT "audit.export"
#define MAX_BUNDLE ((size_t)1 << 31)
#define MAX_WHOLE 9007199254740992.0 /* 2^53: above it a double skips integers (I-JSON) */

/* ---- export ---- */

typedef struct export_arg {
    mg_store *s;
    int64_t statement; /* the statement's log index */
    mg_buf *tar;       /* the members after bundle.json and statement.json */
    json_t *manifest;
    json_t *signed_statement; /* statement.json */
} export_arg;

static int add_json_file(mg_buf *tar, const char *name, const json_t *v)
{
    mg_buf b = MG_BUF_INIT;
    int rc = mg_jcs_append(&b, v);
    if (rc == MG_OK)
        rc = gov_tar_add(tar, name, b.ptr ? b.ptr : "", b.len);
    mg_buf_free(&b);
    return rc;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Sort an array of strings in place and drop repeats (report hashes are listed so). */
static int sort_strings(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **items = malloc((n + 1) * sizeof *items);

    if (!items)
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(arr, i));
    qsort(items, n, sizeof *items, by_string);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || !json_equal(items[i], items[i - 1]))
            json_array_append(arr, items[i]);
    for (size_t i = 0; i < n; i++)
        json_decref(items[i]);
    free(items);
    return MG_OK;
}

/*
 * Each listed entry with its inclusion proof as log/<i>.json; the keys the key chain announces
 * into `keys`, and what the entries name of the version: its artifact (the registration's) and
 * its reports (each report.write's document) into `files`.
 */
static int add_entries(export_arg *a, gov_conn *c, const json_t *list, uint64_t size, json_t *keys,
                       json_t *files)
{
    json_t *entries = json_object_get(a->manifest, "entries"), *iv;
    int rc = MG_OK;
    size_t i;

    json_array_foreach(list, i, iv)
    {
        uint64_t idx = (uint64_t)json_integer_value(iv);
        json_t *signed_entry = NULL, *proof = NULL;
        const json_t *e, *subject;
        const char *action;
        char name[64];

        if ((rc = gov_log_entry_json(&signed_entry, c, idx)) < 0 ||
            (rc = gov_inclusion_json(&proof, c, idx, size)) < 0) {
            json_decref(signed_entry);
            break;
        }
        json_object_set(signed_entry, "proof", json_object_get(proof, "proof"));
        e = json_object_get(signed_entry, "entry");
        subject = json_object_get(e, "subject");
        action = json_string_value(json_object_get(e, "action"));
        if (action && (strcmp(action, "store.init") == 0 || strcmp(action, "key.rotate") == 0)) {
            const char *id = json_string_value(json_object_get(subject, "key_id"));
            const char *pem = json_string_value(json_object_get(subject, "public_key"));
            char kname[MG_SHA256_HEX + 16];
            snprintf(kname, sizeof kname, "keys/%s.pem", id ? id : "");
            json_array_append_new(json_object_get(a->manifest, "keys"), json_string(id ? id : ""));
            json_object_set_new(keys, kname, json_string(pem ? pem : ""));
        } else if (action && strcmp(action, "version.register") == 0) {
            json_object_set(files, "artifact", json_object_get(subject, "artifact_sha256"));
        } else if (action && strcmp(action, "report.write") == 0 &&
                   json_is_string(json_object_get(subject, "sha256"))) {
            json_array_append(json_object_get(files, "reports"), json_object_get(subject, "sha256"));
        }
        snprintf(name, sizeof name, "log/%llu.json", (unsigned long long)idx);
        json_array_append_new(entries, json_integer((json_int_t)idx));
        rc = add_json_file(a->tar, name, signed_entry);
        json_decref(signed_entry);
        json_decref(proof);
        if (rc < 0)
            break;
    }
    return rc;
}

/* The stored bytes of artifact `sha` as tar member `dir`/`sha`, listed under `dir`. */
static int add_artifact(export_arg *a, const char *dir, const char *sha)
{
    mg_buf b = MG_BUF_INIT;
    char name[128];
    int rc;

    if ((rc = mg_gov_artifact_read(&b, a->s, sha ? sha : "")) < 0)
        return rc;
    snprintf(name, sizeof name, "%s/%s", dir, sha);
    rc = gov_tar_add(a->tar, name, b.ptr ? b.ptr : "", b.len);
    mg_buf_free(&b);
    if (rc == MG_OK)
        json_array_append_new(json_object_get(a->manifest, dir), json_string(sha));
    return rc;
}

/* A whole-number JSON value as an integer (the verifier reads numbers as reals), else a copy. */
static json_t *as_integer(const json_t *v)
{
    double x = json_number_value(v);

    if (json_is_real(v) && x >= -MAX_WHOLE && x <= MAX_WHOLE && x == (double)(json_int_t)x)
        return json_integer((json_int_t)x);
    return json_deep_copy(v);
}

/* {"index","time","key_id","stage","root"} of a signed statement entry, for summaries. */
static json_t *statement_summary(const json_t *entry, const json_t *signed_entry)
{
    const json_t *subject = json_object_get(entry, "subject");

    return json_pack("{s:o,s:O,s:O,s:O,s:O}", "index", as_integer(json_object_get(entry, "index")),
                     "time", json_object_get(entry, "time"), "key_id",
                     json_object_get(signed_entry, "key_id"), "stage",
                     json_object_get(subject, "stage"), "root", json_object_get(subject, "root"));
}

static json_t *hash_array(const mg_merkle_proof *p)
{
    char hex[MG_SHA256_HEX];
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < p->n; i++) {
        mg_sha256_hex(hex, p->hash[i]);
        if (json_array_append_new(arr, json_string(hex)) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

/*
 * Before anything is logged, on a read connection of its own and in one snapshot: the version
 * exists, the inventory agrees with the log (the record checks of `modelgov verify --store`: a
 * store whose tables were edited behind the log's back is refused, not vouched for), the
 * version's story as the log's entries tell it, and those entries are the ones the store
 * signed (their recomputed root is the latest signed tree head's).
 */
static int export_prepare(gov_story *story, mg_store *s, const char *model, int64_t number)
{
    gov_conn *c = NULL;
    gov_failure f;
    gov_log_state log;
    gov_version v;
    sqlite3_stmt *st;
    uint64_t records;
    char why[300];
    int rc;

    gov_failure_init(&f);
    if ((rc = gov_conn_open(&c, s->db_path, 1)) < 0)
        goto done;
    if (!(st = gov_stmt(c, "BEGIN")) || (rc = gov_step_done(c, st, "BEGIN")) < 0) {
        rc = st ? rc : MG_ERROR;
        goto done;
    }
    if ((rc = gov_version_find(&v, c, model, number)) < 0 ||
        (rc = gov_verify_records(&records, c, &f)) < 0)
        goto end;
    if (f.failed) {
        rc = mg_error_set(MG_EVERIFY, "%s version %lld not exported: the store's inventory "
                                      "disagrees with its log: %s (see 'modelgov verify --store')",
                          model, (long long)number, f.msg);
        goto end;
    }
    if ((rc = gov_log_state_load(&log, c)) < 0 ||
        (rc = gov_story_read(story, c, model, number, (uint64_t)log.size)) < 0 ||
        (rc = gov_story_signed(story, c, s->keys, why, sizeof why)) < 0)
        goto end;
    if (rc == 0)
        rc = mg_error_set(MG_EVERIFY, "%s version %lld not exported: %s (see 'modelgov verify "
                                      "--store')",
                          model, (long long)number, why);
    else
        rc = MG_OK;
end:
    if ((st = gov_stmt(c, "COMMIT")))
        gov_step_done(c, st, "COMMIT");
done:
    gov_conn_close(c);
    gov_failure_destroy(&f);
    return rc;
}

typedef struct statement_arg {
    gov_story *story;
    int64_t index; /* out: where the statement went in the log */
} statement_arg;

/*
 * The bundle's statement is itself a log entry ("audit.export"): signed like every entry, chained
 * by "prev" and covered by the tree head its commit signs. Its subject names every entry of the
 * version's story among the log's first `size` entries (size = its own index), the stage they
 * leave the version at, and their root, so a verifier can tell an entry left out of a bundle
 * from one that never was, and the log shows every statement the store ever made. The story is
 * the one read from the entries (export_prepare), carried on to the entries appended since.
 */
static int statement_change(gov_tx *tx, void *arg)
{
    statement_arg *a = arg;
    gov_story *st = a->story;
    uint64_t size = (uint64_t)tx->log.size;
    unsigned char root[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    int rc;

    if (size < st->size)
        return mg_error_set(MG_ECONFLICT, "the log holds %llu entries, fewer than the %llu read "
                                          "for the statement",
                            (unsigned long long)size, (unsigned long long)st->size);
    if ((rc = gov_story_extend(st, tx->c, size)) < 0 ||
        (rc = mg_merkle_root(root, size, gov_merkle_node, tx->c)) < 0)
        return rc;
    mg_sha256_hex(hex, root);
    return gov_append(&a->index, tx, STATEMENT,
                      json_pack("{s:O,s:O,s:O,s:s,s:O,s:I,s:s}", "model",
                                json_object_get(st->reg, "model"), "version",
                                json_object_get(st->reg, "version"), "version_id",
                                json_object_get(st->reg, "version_id"), "stage", st->stage,
                                "entries", st->list, "size", (json_int_t)size, "root", hex));
}

/* The first signed tree head past log entry `index`: the one the entry's own commit signed. */
static int head_after(uint64_t *size, gov_conn *c, uint64_t index)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT size FROM tree_heads WHERE size > ? ORDER BY size "
                                  "LIMIT 1");
    int rc;

    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)index);
    if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        *size = (uint64_t)sqlite3_column_int64(q, 0);
        rc = MG_OK;
    } else {
        rc = rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no signed tree head covers log "
                                                            "entry %llu",
                                              (unsigned long long)index)
                               : gov_db_error(c, "tree_heads");
    }
    sqlite3_reset(q);
    return rc;
}

/* statement.json: the statement entry, its inclusion proof and the consistency proof from the
   tree it vouches for (its first `index` entries) to the signed head of `size`. */
static int statement_member(export_arg *a, gov_conn *c, uint64_t size)
{
    uint64_t index = (uint64_t)a->statement;
    json_t *proof = NULL;
    mg_merkle_proof cons;
    int rc;

    if ((rc = gov_log_entry_json(&a->signed_statement, c, index)) < 0 ||
        (rc = gov_inclusion_json(&proof, c, index, size)) < 0 ||
        (rc = mg_merkle_consistency_proof(&cons, index, size, gov_merkle_node, c)) < 0)
        goto done;
    if (json_object_set(a->signed_statement, "proof", json_object_get(proof, "proof")) < 0 ||
        json_object_set_new(a->signed_statement, "consistency", hash_array(&cons)) < 0)
        rc = mg_error_set(MG_ENOMEM, "out of memory");
done:
    json_decref(proof);
    return rc;
}

/* The archive's members from exactly what the statement lists, nothing the log gained since. */
static int export_read(gov_conn *c, void *arg)
{
    export_arg *a = arg;
    json_t *th = NULL, *keys = json_object(), *files = json_pack("{s:[]}", "reports"), *pem;
    const json_t *subject, *sha;
    const char *kname, *signer, *head_signer;
    uint64_t size = 0;
    size_t i;
    int rc;

    if (!keys || !files) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = head_after(&size, c, (uint64_t)a->statement)) < 0 ||
        (rc = gov_tree_head_json(&th, c, size)) < 0 || (rc = statement_member(a, c, size)) < 0)
        goto done;
    /* A key rotated in the same commit, after the statement, signed that head: the chain the
       statement lists cannot reach its key. Rare; a second export gets a head of its own. */
    subject = json_object_get(json_object_get(a->signed_statement, "entry"), "subject");
    signer = json_string_value(json_object_get(a->signed_statement, "key_id"));
    head_signer = json_string_value(json_object_get(th, "key_id"));
    if (!signer || !head_signer || strcmp(signer, head_signer) != 0) {
        rc = mg_error_set(MG_ECONFLICT, "the signing key was rotated while %s version %lld was "
                                        "exported; export it again",
                          json_string_value(json_object_get(subject, "model")),
                          (long long)json_integer_value(json_object_get(subject, "version")));
        goto done;
    }
    a->manifest = json_pack("{s:s,s:O,s:O,s:O,s:[],s:[],s:[],s:[]}", "format", FORMAT, "model",
                            json_object_get(subject, "model"), "version",
                            json_object_get(subject, "version"), "tree_head", th, "entries",
                            "keys", "artifacts", "reports");
    if (!a->manifest) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = add_entries(a, c, json_object_get(subject, "entries"), size, keys, files)) < 0 ||
        (rc = add_artifact(a, "artifacts",
                           json_string_value(json_object_get(files, "artifact")))) < 0 ||
        (rc = sort_strings(json_object_get(files, "reports"))) < 0)
        goto done;
    json_array_foreach(json_object_get(files, "reports"), i, sha)
        if ((rc = add_artifact(a, "reports", json_string_value(sha))) < 0)
            goto done;
    json_object_foreach(keys, kname, pem)
        if ((rc = gov_tar_add(a->tar, kname, json_string_value(pem),
                              strlen(json_string_value(pem)))) < 0)
            goto done;
done:
    json_decref(th);
    json_decref(keys);
    json_decref(files);
    return rc;
}

int mg_gov_audit_export(json_t **summary, mg_store *s, const mg_actor *by, const char *model,
                        int64_t number, const char *path)
{
    mg_buf body = MG_BUF_INIT, tar = MG_BUF_INIT;
    gov_story story;
    statement_arg st = {&story, -1};
    export_arg a = {s, -1, &body, NULL, NULL};
    const json_t *e;
    int rc;

    memset(&story, 0, sizeof story);
    if (summary)
        *summary = NULL;
    if ((rc = gov_require_role(by, MG_ROLE_VIEWER, "exporting an audit bundle")) < 0 ||
        (rc = export_prepare(&story, s, model, number)) < 0 ||
        (rc = gov_write(s, by, statement_change, &st)) < 0)
        goto done;
    a.statement = st.index;
    if ((rc = gov_read(s, export_read, &a)) < 0)
        goto done;
    /* bundle.json and the statement first, so `tar tf` shows what the bundle holds before the bulk */
    if ((rc = add_json_file(&tar, "bundle.json", a.manifest)) < 0 ||
        (rc = add_json_file(&tar, "statement.json", a.signed_statement)) < 0 ||
        (rc = mg_buf_put(&tar, body.ptr ? body.ptr : "", body.len)) < 0 ||
        (rc = gov_tar_finish(&tar)) < 0 || (rc = mg_file_write_atomic(path, tar.ptr, tar.len, 0644)) < 0)
        goto done;
    if (summary) {
        e = json_object_get(a.signed_statement, "entry");
        *summary = json_deep_copy(a.manifest);
        json_object_set_new(*summary, "bytes", json_integer((json_int_t)tar.len));
        json_object_set_new(*summary, "path", json_string(path));
        json_object_set_new(*summary, "statement", statement_summary(e, a.signed_statement));
    }
done:
    gov_story_free(&story);
    json_decref(a.manifest);
    json_decref(a.signed_statement);
    mg_buf_free(&body);
    mg_buf_free(&tar);
    return rc;
}

/* ---- verification, with no store ---- */

typedef struct bundle {
    const char *path;
    gov_tar_file *files;
    size_t nfiles;
    unsigned char *used; /* per file: accounted for by the manifest */
    mg_key **keys;       /* the key chain, in order */
    size_t nkeys;
    const char *trusted; /* the key id entry 0 must announce, or NULL */
} bundle;

/* What statement.json says, once its signature holds. */
typedef struct statement {
    json_t *signed_entry;      /* statement.json: entry, signature, proof, consistency */
    json_t *entry;             /* the entry as the verifier parses entries */
    const char *model, *stage; /* borrowed from entry */
    uint64_t index, version, version_id;
    uint64_t *list; /* the entries it names: increasing from 0, each below index */
    size_t n;
    unsigned char root[MG_SHA256_LEN]; /* of the log's first `index` entries */
} statement;

static const gov_tar_file *member(bundle *b, const char *name)
{
    for (size_t i = 0; i < b->nfiles; i++)
        if (strcmp(b->files[i].name, name) == 0) {
            b->used[i] = 1;
            return &b->files[i];
        }
    return NULL;
}

/* A member that must be canonical JSON; *out is the parsed value. */
static int canonical_member(json_t **out, bundle *b, const char *name)
{
    const gov_tar_file *f = member(b, name);
    mg_buf again = MG_BUF_INIT;
    int ok;

    *out = NULL;
    if (!f)
        return mg_error_set(MG_EVERIFY, "%s: %s is missing", b->path, name);
    *out = json_loadb(f->data, f->len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, NULL);
    ok = *out && mg_jcs_append(&again, *out) == MG_OK && again.len == f->len &&
         memcmp(again.ptr, f->data, f->len) == 0;
    mg_buf_free(&again);
    if (ok)
        return MG_OK;
    mg_error_clear();
    json_decref(*out);
    *out = NULL;
    return mg_error_set(MG_EVERIFY, "%s: %s is not canonical JSON (RFC 8785)", b->path, name);
}

/*
 * A number the bundle uses as a count or index: a whole number in [min, 2^53]. Every number of
 * a bundle is read as a double, so 1e300, 3.5 or -1 must be refused before any cast.
 */
static int whole(uint64_t *out, bundle *b, const char *where, const json_t *v, uint64_t min)
{
    char text[MG_JCS_NUMBER_MAX];
    double x = json_number_value(v);

    if (json_is_number(v) && x >= (double)min && x <= MAX_WHOLE && x == (double)(uint64_t)x) {
        *out = (uint64_t)x;
        return MG_OK;
    }
    if (!json_is_number(v) || mg_jcs_number(text, x) < 0) {
        mg_error_clear();
        snprintf(text, sizeof text, "%s", v ? "not a number" : "missing");
    }
    return mg_error_set(MG_EVERIFY, "%s: %s is %s, not a whole number in [%llu, 2^53]", b->path,
                        where, text, (unsigned long long)min);
}

static int sig_decode(unsigned char sig[MG_ED25519_SIG_LEN], const json_t *v)
{
    const char *t = json_string_value(v);
    mg_buf d = MG_BUF_INIT;
    int ok = t && mg_base64_decode(&d, t, strlen(t)) == MG_OK && d.len == MG_ED25519_SIG_LEN;

    if (ok)
        memcpy(sig, d.ptr, MG_ED25519_SIG_LEN);
    mg_error_clear();
    mg_buf_free(&d);
    return ok;
}

static int proof_decode(mg_merkle_proof *p, const json_t *arr)
{
    size_t i;
    json_t *h;

    if (!json_is_array(arr) || json_array_size(arr) > MG_MERKLE_PROOF_MAX)
        return 0;
    p->n = json_array_size(arr);
    json_array_foreach(arr, i, h)
        if (mg_hash_from_hex(p->hash[i], json_string_value(h) ? json_string_value(h) : "") < 0) {
            mg_error_clear();
            return 0;
        }
    return 1;
}

/* Hex SHA-256 of an entry's canonical bytes: what the next entry's "prev" must say. */
static int entry_digest(char hex[MG_SHA256_HEX], const json_t *e)
{
    unsigned char d[MG_SHA256_LEN];
    mg_buf bytes = MG_BUF_INIT;
    int rc;

    if ((rc = mg_jcs_append(&bytes, e)) == MG_OK &&
        (rc = mg_sha256_digest(d, bytes.ptr, bytes.len)) == MG_OK)
        mg_sha256_hex(hex, d);
    mg_buf_free(&bytes);
    return rc;
}

static int key_file_check(bundle *b, const mg_key *k, const char *pem)
{
    char name[MG_SHA256_HEX + 16];
    const gov_tar_file *f;

    snprintf(name, sizeof name, "keys/%s.pem", mg_key_id(k));
    if (!(f = member(b, name)))
        return mg_error_set(MG_EVERIFY, "%s: %s is missing", b->path, name);
    if (f->len != strlen(pem) || memcmp(f->data, pem, f->len) != 0)
        return mg_error_set(MG_EVERIFY, "%s: %s is not the public key the log announced", b->path,
                            name);
    return MG_OK;
}

/*
 * One signed entry `se` (member `name`, with `fields` members: entry, leaf_hash, key_id,
 * signature, proof and for the statement its consistency proof): canonical, signed by the key
 * in force, its leaf included in the signed tree head. Entry 0 and rotations extend the chain.
 */
static int check_entry(bundle *b, const char *name, const json_t *se, size_t fields, uint64_t idx,
                       uint64_t size, const unsigned char root[MG_SHA256_LEN], const char *prev,
                       json_t **entry_out)
{
    unsigned char leaf[MG_SHA256_LEN], want[MG_SHA256_LEN], sig[MG_ED25519_SIG_LEN];
    char why[400];
    json_t *e = NULL;
    mg_buf bytes = MG_BUF_INIT;
    mg_merkle_proof proof;
    const mg_key *key;
    const char *action;
    int rc = MG_EVERIFY;

    *entry_out = NULL;
    if (json_object_size(se) != fields || !json_is_object(json_object_get(se, "entry")) ||
        mg_jcs_append(&bytes, json_object_get(se, "entry")) < 0) {
        mg_error_set(rc, "%s: %s: expected {entry, leaf_hash, key_id, signature, proof%s}", b->path,
                     name, fields == 6 ? ", consistency" : "");
        goto done;
    }
    if (gov_entry_check(&e, bytes.ptr, bytes.len, idx, prev, why, sizeof why) < 0) {
        mg_error_set(rc, "%s: log entry %llu: %s", b->path, (unsigned long long)idx, why);
        goto done;
    }
    action = json_string_value(json_object_get(e, "action"));
    if (idx == 0 || strcmp(action, "key.rotate") == 0) {
        mg_key *k = NULL;
        const json_t *subject = json_object_get(e, "subject");
        const char *previous = json_string_value(json_object_get(subject, "previous_key_id"));
        mg_key **grown;
        if (idx == 0 && strcmp(action, "store.init") != 0) {
            mg_error_set(rc, "%s: log entry 0 is \"%s\", not \"store.init\"", b->path, action);
            goto done;
        }
        if (idx != 0 && (!b->nkeys || !previous ||
                         strcmp(previous, mg_key_id(b->keys[b->nkeys - 1])) != 0)) {
            mg_error_set(rc, "%s: log entry %llu rotates from a key that is not in force", b->path,
                         (unsigned long long)idx);
            goto done;
        }
        if (gov_announced_key(&k, subject, why, sizeof why) < 0) {
            mg_error_set(rc, "%s: log entry %llu: %s", b->path, (unsigned long long)idx, why);
            goto done;
        }
        if (idx == 0 && b->trusted && strcmp(mg_key_id(k), b->trusted) != 0) {
            mg_error_set(rc, "%s: log entry 0: founds the log with key %.16s..., not the trusted "
                             "key %.16s...",
                         b->path, mg_key_id(k), b->trusted);
            mg_key_free(k);
            goto done;
        }
        if ((rc = key_file_check(b, k, json_string_value(json_object_get(subject, "public_key")))) <
                0 ||
            !(grown = realloc(b->keys, (b->nkeys + 1) * sizeof *grown))) {
            mg_key_free(k);
            if (rc == MG_OK)
                rc = mg_error_set(MG_ENOMEM, "out of memory");
            goto done;
        }
        b->keys = grown;
        b->keys[b->nkeys++] = k;
        rc = MG_EVERIFY;
    }
    if (!b->nkeys) {
        mg_error_set(rc, "%s: log entry %llu: no key is in force (entry 0 was not checked)",
                     b->path, (unsigned long long)idx);
        goto done;
    }
    /* entry 0 is signed by the key it announces, a rotation by the key before the new one */
    key = b->keys[idx != 0 && strcmp(action, "key.rotate") == 0 ? b->nkeys - 2 : b->nkeys - 1];
    if (!json_is_string(json_object_get(se, "key_id")) ||
        strcmp(json_string_value(json_object_get(se, "key_id")), mg_key_id(key)) != 0) {
        mg_error_set(rc, "%s: log entry %llu: not marked as signed by the key in force %.16s...",
                     b->path, (unsigned long long)idx, mg_key_id(key));
        goto done;
    }
    if (!sig_decode(sig, json_object_get(se, "signature")) ||
        mg_key_verify(key, bytes.ptr, bytes.len, sig) < 0) {
        mg_error_set(rc, "%s: log entry %llu: Ed25519 signature does not verify with key %.16s...",
                     b->path, (unsigned long long)idx, mg_key_id(key));
        goto done;
    }
    if (mg_merkle_leaf_hash(leaf, bytes.ptr, bytes.len) < 0 ||
        mg_hash_from_hex(want, json_string_value(json_object_get(se, "leaf_hash"))
                                   ? json_string_value(json_object_get(se, "leaf_hash"))
                                   : "") < 0 ||
        memcmp(leaf, want, MG_SHA256_LEN) != 0) {
        mg_error_set(rc, "%s: log entry %llu: leaf_hash is not SHA-256(0x00 || entry)", b->path,
                     (unsigned long long)idx);
        goto done;
    }
    if (!proof_decode(&proof, json_object_get(se, "proof")) ||
        mg_merkle_inclusion_verify(idx, size, leaf, &proof, root) < 0) {
        mg_error_set(rc, "%s: log entry %llu: its inclusion proof does not lead to the signed "
                         "tree head's root (size %llu)",
                     b->path, (unsigned long long)idx, (unsigned long long)size);
        goto done;
    }
    *entry_out = e;
    e = NULL;
    rc = MG_OK;
done:
    json_decref(e);
    mg_buf_free(&bytes);
    return rc;
}

static void statement_free(statement *st)
{
    json_decref(st->signed_entry);
    json_decref(st->entry);
    free(st->list);
}

/*
 * statement.json: an "audit.export" entry, its signature checked first, with the key it names,
 * so a forged or edited list fails before anything it lists is believed. Whether that key is
 * the log's own is settled when the chain reaches the statement (check_entry).
 */
static int statement_read(statement *st, bundle *b)
{
    unsigned char sig[MG_ED25519_SIG_LEN];
    char why[400], kname[MG_SHA256_HEX + 16], at[64];
    const json_t *entry, *subject, *list, *iv;
    const char *key_id, *action;
    const gov_tar_file *f = NULL;
    mg_buf bytes = MG_BUF_INIT;
    mg_key *k = NULL;
    uint64_t size;
    size_t i;
    int rc;

    memset(st, 0, sizeof *st);
    if ((rc = canonical_member(&st->signed_entry, b, "statement.json")) < 0)
        return rc;
    entry = json_object_get(st->signed_entry, "entry");
    if (json_object_size(st->signed_entry) != 6 || !json_is_object(entry) ||
        mg_jcs_append(&bytes, entry) < 0) {
        mg_error_clear();
        rc = mg_error_set(MG_EVERIFY, "%s: statement.json: expected {entry, leaf_hash, key_id, "
                                      "signature, proof, consistency}",
                          b->path);
        goto done;
    }
    if ((rc = whole(&st->index, b, "statement.json: its index", json_object_get(entry, "index"),
                    1)) < 0)
        goto done;
    snprintf(at, sizeof at, "statement.json (log entry %llu)", (unsigned long long)st->index);
    rc = MG_EVERIFY;
    if (gov_entry_check(&st->entry, bytes.ptr, bytes.len, st->index, NULL, why, sizeof why) < 0) {
        mg_error_set(rc, "%s: %s: %s", b->path, at, why);
        goto done;
    }
    action = json_string_value(json_object_get(st->entry, "action"));
    if (strcmp(action, STATEMENT) != 0) {
        mg_error_set(rc, "%s: %s is \"%s\", not an \"%s\" statement", b->path, at, action,
                     STATEMENT);
        goto done;
    }
    key_id = json_string_value(json_object_get(st->signed_entry, "key_id"));
    if (key_id && mg_hex_is_sha256(key_id)) {
        snprintf(kname, sizeof kname, "keys/%s.pem", key_id);
        f = member(b, kname);
    }
    if (!f || mg_key_from_public_pem(&k, f->data, f->len) < 0 || strcmp(mg_key_id(k), key_id) != 0) {
        mg_error_clear();
        mg_error_set(rc, "%s: %s: signed by key %.16s..., which the bundle does not hold", b->path,
                     at, key_id ? key_id : "(none)");
        goto done;
    }
    if (!sig_decode(sig, json_object_get(st->signed_entry, "signature")) ||
        mg_key_verify(k, bytes.ptr, bytes.len, sig) < 0) {
        mg_error_clear();
        mg_error_set(rc, "%s: %s: Ed25519 signature does not verify with key %.16s...", b->path,
                     at, key_id);
        goto done;
    }
    subject = json_object_get(st->entry, "subject");
    st->model = json_string_value(json_object_get(subject, "model"));
    st->stage = json_string_value(json_object_get(subject, "stage"));
    list = json_object_get(subject, "entries");
    if (json_object_size(subject) != 7 || !st->model || !st->stage || !json_is_array(list) ||
        mg_hash_from_hex(st->root, json_string_value(json_object_get(subject, "root"))
                                       ? json_string_value(json_object_get(subject, "root"))
                                       : "") < 0) {
        mg_error_clear();
        mg_error_set(rc, "%s: %s: expected a subject {model, version, version_id, stage, entries, "
                         "size, root}",
                     b->path, at);
        goto done;
    }
    if ((rc = whole(&st->version, b, "statement.json: its version", json_object_get(subject, "version"), 1)) <
            0 ||
        (rc = whole(&st->version_id, b, "statement.json: its version_id",
                    json_object_get(subject, "version_id"), 1)) < 0 ||
        (rc = whole(&size, b, "statement.json: its size", json_object_get(subject, "size"), 1)) < 0)
        goto done;
    rc = MG_EVERIFY;
    if (size != st->index) {
        mg_error_set(rc, "%s: %s: vouches for the log's first %llu entries, not the %llu before it",
                     b->path, at, (unsigned long long)size, (unsigned long long)st->index);
        goto done;
    }
    if (!(st->list = malloc((json_array_size(list) + 1) * sizeof *st->list))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    json_array_foreach(list, i, iv)
    {
        uint64_t x;
        if ((rc = whole(&x, b, "statement.json: an entry index", iv, 0)) < 0)
            goto done;
        if ((i == 0) != (x == 0) || (i && x <= st->list[i - 1]) || x >= st->index) {
            rc = mg_error_set(MG_EVERIFY, "%s: %s: its entries must be increasing indices from 0, "
                                          "each below %llu",
                              b->path, at, (unsigned long long)st->index);
            goto done;
        }
        st->list[st->n++] = x;
    }
    if (st->n == 0)
        rc = mg_error_set(MG_EVERIFY, "%s: %s lists no entries", b->path, at);
    else
        rc = MG_OK;
done:
    mg_key_free(k);
    mg_buf_free(&bytes);
    return rc;
}

/*
 * Every entry the statement lists, in order, then the statement itself: each present (a missing
 * one is named), canonical, chained, signed by the key in force, included in the tree head.
 * The parsed entries are appended to `entries`, in the statement's order.
 */
static int check_listed(bundle *b, const statement *st, uint64_t size,
                        const unsigned char root[MG_SHA256_LEN], json_t *entries)
{
    char prev[MG_SHA256_HEX], name[64];
    uint64_t last = 0;
    json_t *se = NULL, *e = NULL;
    int rc = MG_OK;

    memset(prev, '0', MG_SHA256_HEX - 1); /* entry 0's "prev" is 64 zeros (DESIGN §6) */
    prev[MG_SHA256_HEX - 1] = '\0';
    for (size_t i = 0; i < st->n && rc == MG_OK; i++) {
        uint64_t idx = st->list[i];
        snprintf(name, sizeof name, "log/%llu.json", (unsigned long long)idx);
        if (!member(b, name))
            return mg_error_set(MG_EVERIFY, "%s: log entry %llu is missing: the signed statement "
                                            "(log entry %llu) lists it, but the bundle holds no %s",
                                b->path, (unsigned long long)idx, (unsigned long long)st->index,
                                name);
        if ((rc = canonical_member(&se, b, name)) < 0 ||
            (rc = check_entry(b, name, se, 5, idx, size, root,
                              idx == 0 || idx == last + 1 ? prev : NULL, &e)) < 0 ||
            (rc = entry_digest(prev, e)) < 0)
            break;
        last = idx;
        if (json_array_append_new(entries, e) < 0)
            rc = mg_error_set(MG_ENOMEM, "out of memory");
        e = NULL;
        json_decref(se);
        se = NULL;
    }
    if (rc == MG_OK)
        rc = check_entry(b, "statement.json", st->signed_entry, 6, st->index, size, root,
                         last + 1 == st->index ? prev : NULL, &e);
    json_decref(se);
    json_decref(e);
    return rc;
}

/* No log entry in the bundle beyond what the statement lists: an extra one is named too. */
static int check_no_extra(bundle *b, const statement *st)
{
    for (size_t i = 0; i < b->nfiles; i++) {
        const char *name = b->files[i].name;
        if (!b->used[i] && strncmp(name, "log/", 4) == 0)
            return mg_error_set(MG_EVERIFY, "%s: log entry %.*s is in the bundle (%s), but the "
                                            "signed statement (log entry %llu) does not list it",
                                b->path, (int)strcspn(name + 4, "."), name + 4, name,
                                (unsigned long long)st->index);
    }
    return MG_OK;
}

/* The statement's log prefix (its first `index` entries, `root`) is one the tree head extends. */
static int check_anchor(bundle *b, const statement *st, uint64_t size,
                        const unsigned char root[MG_SHA256_LEN])
{
    mg_merkle_proof p;
    char hex[MG_SHA256_HEX];

    if (proof_decode(&p, json_object_get(st->signed_entry, "consistency")) &&
        mg_merkle_consistency_verify(st->index, size, st->root, root, &p) == MG_OK)
        return MG_OK;
    mg_error_clear();
    mg_sha256_hex(hex, st->root);
    return mg_error_set(MG_EVERIFY, "%s: statement.json: the log of %llu entries it vouches for "
                                    "(root %.16s...) is not one the signed tree head of size %llu "
                                    "extends (consistency proof)",
                        b->path, (unsigned long long)st->index, hex, (unsigned long long)size);
}

/* A content-addressed member: its bytes must hash to its name. */
static int hashed_member(const gov_tar_file **out, bundle *b, const char *dir, const char *sha)
{
    char name[128], hex[MG_SHA256_HEX];
    unsigned char d[MG_SHA256_LEN];
    const gov_tar_file *f;

    snprintf(name, sizeof name, "%s/%s", dir, sha ? sha : "");
    if (!sha || !(f = member(b, name)))
        return mg_error_set(MG_EVERIFY, "%s: %s is missing", b->path, name);
    if (mg_sha256_digest(d, f->data, f->len) < 0)
        return MG_ERROR;
    mg_sha256_hex(hex, d);
    if (strcmp(hex, sha) != 0)
        return mg_error_set(MG_EVERIFY, "%s: %s: its bytes hash to %.16s... (altered)", b->path,
                            name, hex);
    if (out)
        *out = f;
    return MG_OK;
}

/* The tree head: present, signed by the last key of the chain. Inclusion proofs mean nothing without it. */
static int check_tree_head(bundle *b, const json_t *th, uint64_t size, unsigned char root[MG_SHA256_LEN])
{
    unsigned char sig[MG_ED25519_SIG_LEN];
    const char *root_hex = json_string_value(json_object_get(th, "root"));
    const char *time = json_string_value(json_object_get(th, "time"));
    const char *key_id = json_string_value(json_object_get(th, "key_id"));
    mg_buf bytes = MG_BUF_INIT;
    int rc = MG_EVERIFY;

    if (!json_is_object(th) || !json_object_get(th, "size") || !root_hex || !time || !key_id ||
        !json_object_get(th, "signature"))
        return mg_error_set(MG_EVERIFY, "%s: the bundle carries no signed tree head, so its "
                                        "inclusion proofs prove nothing: refused",
                            b->path);
    if (mg_hash_from_hex(root, root_hex) < 0 || !sig_decode(sig, json_object_get(th, "signature"))) {
        mg_error_clear();
        return mg_error_set(rc, "%s: tree head: malformed root or signature", b->path);
    }
    if (!b->nkeys || strcmp(key_id, mg_key_id(b->keys[b->nkeys - 1])) != 0)
        return mg_error_set(rc, "%s: tree head of size %llu: signed by key %.16s..., not the key in "
                                "force %.16s...",
                            b->path, (unsigned long long)size, key_id,
                            b->nkeys ? mg_key_id(b->keys[b->nkeys - 1]) : "(none)");
    if ((rc = mg_gov_tree_head_bytes(&bytes, size, root_hex, time)) == MG_OK &&
        mg_key_verify(b->keys[b->nkeys - 1], bytes.ptr, bytes.len, sig) < 0)
        rc = mg_error_set(MG_EVERIFY, "%s: tree head of size %llu: Ed25519 signature does not "
                                      "verify",
                          b->path, (unsigned long long)size);
    mg_buf_free(&bytes);
    return rc;
}

/* The subject of version.register for the statement's version among `entries`, or NULL. */
static const json_t *registration(const statement *st, const json_t *entries)
{
    const json_t *e, *found = NULL;
    size_t i;

    json_array_foreach(entries, i, e)
        if (gov_story_is_registration(e, st->model, (double)st->version))
            found = json_object_get(e, "subject");
    return found;
}

/* The run's run.start subject among `entries` (run_id of the registration `reg`), or NULL. */
static const json_t *run_start(const statement *st, const json_t *entries, const json_t *reg)
{
    const json_t *e, *found = NULL;
    size_t i;

    json_array_foreach(entries, i, e)
        if (gov_story_part_of(reg, NULL, st->list[i], e) == GOV_STORY_RUN_START)
            found = json_object_get(e, "subject");
    return found;
}

/*
 * Does the list hang together, as far as the entries can tell offline? Each listed entry plays
 * a part in the version's story (gov_story_part_of, the rule the exporter lists by); the
 * registration, model creation, run start, the run's finish (as "finished": only a finished run
 * makes a version) and the data set are listed; the transitions run unbroken from "registered"
 * to the stage the statement names. An entry after the last listed transition, or any entry not
 * listed at all, only the statement's list can show; this is the check that the store's list
 * agrees with what it lists.
 */
static int check_contents(bundle *b, const statement *st, const json_t *entries, json_t *summary,
                          json_t *reports, const char **artifact)
{
    const json_t *reg = registration(st, entries), *run, *start, *finish = NULL, *e, *s;
    const char *stage = "registered", *action;
    int have_model = 0, have_data = 0, rc = MG_OK;
    size_t i;

    if (!reg)
        return mg_error_set(MG_EVERIFY, "%s: the signed statement lists no version.register entry "
                                        "for %s version %llu",
                            b->path, st->model, (unsigned long long)st->version);
    if (!gov_json_num_eq(json_object_get(reg, "version_id"), (double)st->version_id))
        return mg_error_set(MG_EVERIFY, "%s: %s version %llu is registered as version_id %.0f, "
                                        "the signed statement names %llu",
                            b->path, st->model, (unsigned long long)st->version,
                            json_number_value(json_object_get(reg, "version_id")),
                            (unsigned long long)st->version_id);
    run = json_object_get(reg, "run_id");
    start = run_start(st, entries, reg);
    json_array_foreach(entries, i, e)
    {
        uint64_t idx = st->list[i];
        action = json_string_value(json_object_get(e, "action"));
        s = json_object_get(e, "subject");
        switch (gov_story_part_of(reg, start, idx, e)) {
        case GOV_STORY_NONE:
            return mg_error_set(MG_EVERIFY, "%s: log entry %llu (\"%s\") is in the signed "
                                            "statement but is not about %s version %llu",
                                b->path, (unsigned long long)idx, action, st->model,
                                (unsigned long long)st->version);
        case GOV_STORY_MODEL:
            have_model = 1;
            break;
        case GOV_STORY_DATASET:
            have_data = 1;
            break;
        case GOV_STORY_RUN_FINISH:
            finish = s;
            break;
        case GOV_STORY_REGISTER:
            if (s != reg)
                return mg_error_set(MG_EVERIFY, "%s: log entry %llu registers %s version %llu a "
                                                "second time",
                                    b->path, (unsigned long long)idx, st->model,
                                    (unsigned long long)st->version);
            *artifact = json_string_value(json_object_get(s, "artifact_sha256"));
            json_object_set(summary, "artifact_sha256", json_object_get(s, "artifact_sha256"));
            json_object_set(summary, "submitter", json_object_get(e, "actor"));
            break;
        case GOV_STORY_TRANSITION:
            if (!gov_json_str_eq(json_object_get(s, "from"), stage) ||
                !json_is_string(json_object_get(s, "to")))
                return mg_error_set(MG_EVERIFY, "%s: log entry %llu: a transition from %s, but the "
                                                "listed transitions leave %s version %llu at %s "
                                                "(one is missing)",
                                    b->path, (unsigned long long)idx,
                                    json_string_value(json_object_get(s, "from"))
                                        ? json_string_value(json_object_get(s, "from"))
                                        : "(none)",
                                    st->model, (unsigned long long)st->version, stage);
            stage = json_string_value(json_object_get(s, "to"));
            break;
        case GOV_STORY_REPORT: {
            const gov_tar_file *f = NULL;
            json_t *doc = NULL;
            const char *sha = json_string_value(json_object_get(s, "sha256"));
            if ((rc = hashed_member(&f, b, "reports", sha)) == MG_OK &&
                !(doc = json_loadb(f->data, f->len, 0, NULL)))
                rc = mg_error_set(MG_EVERIFY, "%s: reports/%s is not JSON", b->path, sha);
            json_decref(doc);
            if (rc < 0)
                return rc;
            json_array_append_new(reports, json_pack("{s:o,s:O,s:O}", "report_id",
                                                     as_integer(json_object_get(s, "report_id")),
                                                     "kind", json_object_get(s, "kind"), "sha256",
                                                     json_object_get(s, "sha256")));
            break;
        }
        default:
            break;
        }
    }
    if (!have_model)
        return mg_error_set(MG_EVERIFY, "%s: the signed statement lists no model.create entry for "
                                        "model %s",
                            b->path, st->model);
    if (json_is_number(run) && !start)
        return mg_error_set(MG_EVERIFY, "%s: the signed statement lists no run.start entry for "
                                        "run %.0f, which made %s version %llu",
                            b->path, json_number_value(run), st->model,
                            (unsigned long long)st->version);
    if (json_is_number(run) && !finish)
        return mg_error_set(MG_EVERIFY, "%s: the signed statement lists no run.finish entry for "
                                        "run %.0f, which made %s version %llu",
                            b->path, json_number_value(run), st->model,
                            (unsigned long long)st->version);
    if (finish && !gov_json_str_eq(json_object_get(finish, "status"), "finished"))
        return mg_error_set(MG_EVERIFY, "%s: run %.0f, which made %s version %llu, did not finish "
                                        "(its run.finish entry says \"%s\")",
                            b->path, json_number_value(run), st->model,
                            (unsigned long long)st->version,
                            json_string_value(json_object_get(finish, "status"))
                                ? json_string_value(json_object_get(finish, "status"))
                                : "(none)");
    if (start && !have_data)
        return mg_error_set(MG_EVERIFY, "%s: the signed statement lists no dataset.register entry "
                                        "for data set %.0f, which run %.0f used",
                            b->path, json_number_value(json_object_get(start, "dataset_id")),
                            json_number_value(run));
    if (strcmp(stage, st->stage) != 0)
        return mg_error_set(MG_EVERIFY, "%s: the listed transitions leave %s version %llu at %s, "
                                        "but the signed statement says %s (a transition is "
                                        "missing)",
                            b->path, st->model, (unsigned long long)st->version, stage, st->stage);
    json_object_set_new(summary, "stage", json_string(stage));
    return MG_OK;
}

/* The manifest's lists say exactly what the signed statement and entries say. */
static int check_manifest_lists(bundle *b, const json_t *manifest, const statement *st,
                                const json_t *reports, const char *artifact)
{
    const json_t *list = json_object_get(manifest, "entries"), *r;
    json_t *want_art = json_pack("[s]", artifact), *want_rep = json_array();
    int rc = MG_OK;
    size_t k;

    int same = json_array_size(list) == st->n;

    for (k = 0; k < json_array_size(list); k++) {
        uint64_t idx;
        if ((rc = whole(&idx, b, "bundle.json: an entry index", json_array_get(list, k), 0)) < 0) {
            json_decref(want_art);
            json_decref(want_rep);
            return rc;
        }
        same &= k < st->n && idx == st->list[k];
    }
    if (!same) {
        json_decref(want_art);
        json_decref(want_rep);
        return mg_error_set(MG_EVERIFY, "%s: bundle.json's entries are not the ones the signed "
                                        "statement (log entry %llu) lists",
                            b->path, (unsigned long long)st->index);
    }
    json_array_foreach(reports, k, r)
        json_array_append(want_rep, json_object_get(r, "sha256"));
    if ((rc = sort_strings(want_rep)) < 0) {
        json_decref(want_art);
        json_decref(want_rep);
        return rc;
    }
    if (!json_equal(want_art, json_object_get(manifest, "artifacts")) ||
        !json_equal(want_rep, json_object_get(manifest, "reports")))
        rc = mg_error_set(MG_EVERIFY, "%s: bundle.json's artifact and report lists are not the "
                                      "ones the log entries name",
                          b->path);
    json_decref(want_art);
    json_decref(want_rep);
    return rc;
}

/* Everything but the archive and the manifest's shape: see mg_gov_verify_bundle(). */
static int check_bundle(bundle *b, const json_t *manifest, json_t *summary)
{
    const json_t *head = json_object_get(manifest, "tree_head");
    unsigned char root[MG_SHA256_LEN];
    json_t *entries = json_array(), *reports = json_array();
    const char *artifact = NULL;
    uint64_t version, size = 0;
    statement st;
    int rc;

    memset(&st, 0, sizeof st);
    if (!entries || !reports) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = whole(&version, b, "bundle.json: version", json_object_get(manifest, "version"), 1)) <
        0)
        goto done;
    /* the head's size and root first, for the proofs; its signature once the key chain is known */
    if (!json_is_object(head) || !json_object_get(head, "size") ||
        mg_hash_from_hex(root, json_string_value(json_object_get(head, "root"))
                                   ? json_string_value(json_object_get(head, "root"))
                                   : "") < 0) {
        mg_error_clear();
        rc = check_tree_head(b, head, size, root);
        goto done;
    }
    if ((rc = whole(&size, b, "bundle.json: tree_head.size", json_object_get(head, "size"), 0)) <
            0 ||
        (rc = statement_read(&st, b)) < 0)
        goto done;
    if (!gov_json_str_eq(json_object_get(manifest, "model"), st.model) || version != st.version) {
        rc = mg_error_set(MG_EVERIFY, "%s: bundle.json is about %s version %llu, the signed "
                                      "statement about %s version %llu",
                          b->path, json_string_value(json_object_get(manifest, "model")),
                          (unsigned long long)version, st.model, (unsigned long long)st.version);
        goto done;
    }
    if ((rc = check_listed(b, &st, size, root, entries)) < 0 || (rc = check_no_extra(b, &st)) < 0 ||
        (rc = check_tree_head(b, head, size, root)) < 0 ||
        (rc = check_anchor(b, &st, size, root)) < 0 ||
        (rc = check_contents(b, &st, entries, summary, reports, &artifact)) < 0 ||
        (rc = hashed_member(NULL, b, "artifacts", artifact)) < 0 ||
        (rc = check_manifest_lists(b, manifest, &st, reports, artifact)) < 0)
        goto done;
    json_object_set_new(summary, "entries", json_integer((json_int_t)st.n));
    json_object_set_new(summary, "statement", statement_summary(st.entry, st.signed_entry));
    json_object_set(summary, "reports", reports);
done:
    statement_free(&st);
    json_decref(entries);
    json_decref(reports);
    return rc;
}

int mg_gov_verify_bundle(json_t **summary, const char *path, const char *trusted_key)
{
    bundle b;
    mg_buf data = MG_BUF_INIT;
    json_t *manifest = NULL, *sum = NULL, *keys;
    const char *format;
    char trusted[MG_SHA256_HEX];
    size_t i;
    int rc;

    *summary = NULL;
    memset(&b, 0, sizeof b);
    b.path = path;
    data.max = MAX_BUNDLE;
    if ((rc = gov_trusted_key_id(trusted, trusted_key)) < 0)
        return rc;
    b.trusted = trusted[0] ? trusted : NULL;
    if ((rc = mg_buf_read_file(&data, path)) < 0 ||
        (rc = gov_tar_read(&b.files, &b.nfiles, data.ptr ? data.ptr : "", data.len, path)) < 0)
        goto done;
    if (!(b.used = calloc(b.nfiles + 1, 1))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = canonical_member(&manifest, &b, "bundle.json")) < 0)
        goto done;
    format = json_string_value(json_object_get(manifest, "format"));
    if (format && strcmp(format, FORMAT_1) == 0) {
        rc = mg_error_set(MG_EVERIFY, "%s: a %s bundle carries no signed statement of which "
                                      "entries it holds, so a left-out entry would go unseen: "
                                      "refused; export it again",
                          path, FORMAT_1);
        goto done;
    }
    if (!format || strcmp(format, FORMAT) != 0) {
        rc = mg_error_set(MG_EVERIFY, "%s: bundle.json is not a %s manifest", path, FORMAT);
        goto done;
    }
    if (!json_object_get(manifest, "tree_head")) {
        rc = mg_error_set(MG_EVERIFY, "%s: the bundle carries no signed tree head, so its "
                                      "inclusion proofs prove nothing: refused",
                          path);
        goto done;
    }
    if (json_object_size(manifest) != 8 || !json_is_string(json_object_get(manifest, "model")) ||
        !json_is_number(json_object_get(manifest, "version")) ||
        !json_is_array(json_object_get(manifest, "entries")) ||
        !json_is_array(json_object_get(manifest, "keys")) ||
        !json_is_array(json_object_get(manifest, "artifacts")) ||
        !json_is_array(json_object_get(manifest, "reports"))) {
        rc = mg_error_set(MG_EVERIFY, "%s: bundle.json: expected exactly format, model, version, "
                                      "tree_head and the lists entries, keys, artifacts, reports",
                          path);
        goto done;
    }
    /* whole numbers are read as reals: the summary gives them back as integers */
    sum = json_pack("{s:s,s:O,s:o,s:o}", "bundle", path, "model", json_object_get(manifest, "model"),
                    "version", as_integer(json_object_get(manifest, "version")), "tree_head",
                    json_deep_copy(json_object_get(manifest, "tree_head")));
    if (sum && json_object_get(json_object_get(sum, "tree_head"), "size"))
        json_object_set_new(json_object_get(sum, "tree_head"), "size",
                            as_integer(json_object_get(json_object_get(sum, "tree_head"), "size")));
    if (!sum) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = check_bundle(&b, manifest, sum)) < 0)
        goto done;
    /* every listed file checked, and no file the manifest does not account for */
    json_array_foreach(json_object_get(manifest, "artifacts"), i, keys)
        if ((rc = hashed_member(NULL, &b, "artifacts", json_string_value(keys))) < 0)
            goto done;
    json_array_foreach(json_object_get(manifest, "reports"), i, keys)
        if ((rc = hashed_member(NULL, &b, "reports", json_string_value(keys))) < 0)
            goto done;
    for (i = 0; i < b.nfiles; i++)
        if (!b.used[i]) {
            rc = mg_error_set(MG_EVERIFY, "%s: %s is not accounted for by bundle.json", path,
                              b.files[i].name);
            goto done;
        }
    keys = json_array();
    for (i = 0; i < b.nkeys; i++)
        json_array_append_new(keys, json_string(mg_key_id(b.keys[i])));
    if (!json_equal(keys, json_object_get(manifest, "keys"))) {
        json_decref(keys);
        rc = mg_error_set(MG_EVERIFY, "%s: bundle.json's keys are not the key chain the log "
                                      "announces",
                          path);
        goto done;
    }
    json_object_set_new(sum, "keys", keys);
    if (b.trusted)
        json_object_set_new(sum, "trusted_key", json_string(b.trusted));
    *summary = sum;
    sum = NULL;
done:
    json_decref(sum);
    json_decref(manifest);
    for (i = 0; i < b.nkeys; i++)
        mg_key_free(b.keys[i]);
    free(b.keys);
    free(b.files);
    free(b.used);
    mg_buf_free(&data);
    return rc;
}
