/* bundle.c - audit bundles: one version's entries with inclusion proofs, a signed tree head, keys,
 * artifact and reports, in a tar that `modelgov verify --bundle` checks with no store. */
#include "inventory.h"
#include "tar.h"
#include "verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT "modelgov-audit-bundle/1"
#define MAX_BUNDLE ((size_t)1 << 31)
#define MAX_WHOLE 9007199254740992.0 /* 2^53: above it a double skips integers (I-JSON) */

/* ---- export ---- */

typedef struct export_arg {
    mg_store *s;
    const char *model;
    int64_t number;
    mg_buf *tar;
    json_t *manifest;
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

/* Append every value of a one-column integer query (bound to `id` when id >= 0) to `set`. */
static int collect(json_t *set, gov_conn *c, const char *sql, int64_t id)
{
    sqlite3_stmt *q = gov_stmt(c, sql);
    int rc;

    if (!q)
        return MG_ERROR;
    if (id >= 0)
        sqlite3_bind_int64(q, 1, id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if (sqlite3_column_type(q, 0) != SQLITE_NULL) {
            char key[24];
            snprintf(key, sizeof key, "%lld", (long long)sqlite3_column_int64(q, 0));
            json_object_set_new(set, key, json_true());
        }
    rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(c, "log");
    sqlite3_reset(q);
    return rc;
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * The entries that tell this version's story: the key chain (entry 0 and every rotation), the
 * model's creation and updates, the data set, run, registration, reports, comments, transitions.
 */
static int story(int64_t **out, size_t *n, gov_conn *c, const gov_version *v, uint64_t size)
{
    json_t *set = json_object();
    sqlite3_stmt *q;
    const char *key;
    json_t *val;
    size_t k = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!set)
        return mg_error_set(MG_ENOMEM, "out of memory");
    json_object_set_new(set, "0", json_true());
    if ((rc = collect(set, c, "SELECT idx FROM log_entries WHERE action = 'key.rotate'", -1)) < 0 ||
        (rc = collect(set, c, "SELECT log_index FROM models WHERE id = ?", v->model_id)) < 0 ||
        (rc = collect(set, c, "SELECT log_index FROM versions WHERE id = ?", v->id)) < 0 ||
        (rc = collect(set, c, "SELECT log_index FROM reports WHERE version_id = ?", v->id)) < 0 ||
        (rc = collect(set, c, "SELECT log_index FROM transitions WHERE version_id = ?", v->id)) <
            0 ||
        (rc = collect(set, c, "SELECT log_index FROM comments WHERE version_id = ?", v->id)) < 0 ||
        (rc = collect(set, c, "SELECT start_index FROM runs WHERE id = ?", v->run_id)) < 0 ||
        (rc = collect(set, c, "SELECT finish_index FROM runs WHERE id = ?", v->run_id)) < 0 ||
        (rc = collect(set, c, "SELECT d.log_index FROM datasets d JOIN runs r ON r.dataset_id = "
                              "d.id WHERE r.id = ?",
                      v->run_id)) < 0)
        goto done;
    /* model.update entries name their model in the subject */
    if (!(q = gov_stmt(c, "SELECT idx, body FROM log_entries WHERE action = 'model.update'"))) {
        rc = MG_ERROR;
        goto done;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *e = json_loadb((const char *)sqlite3_column_blob(q, 1),
                               (size_t)sqlite3_column_bytes(q, 1), 0, NULL);
        if (json_integer_value(json_object_get(json_object_get(e, "subject"), "model_id")) ==
            v->model_id) {
            char idx[24];
            snprintf(idx, sizeof idx, "%lld", (long long)sqlite3_column_int64(q, 0));
            json_object_set_new(set, idx, json_true());
        }
        json_decref(e);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        rc = gov_db_error(c, "log_entries");
        goto done;
    }
    if (!(*out = malloc((json_object_size(set) + 1) * sizeof **out))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    json_object_foreach(set, key, val)
    {
        int64_t idx = strtoll(key, NULL, 10);
        if ((uint64_t)idx < size)
            (*out)[k++] = idx;
    }
    qsort(*out, k, sizeof **out, cmp_int64);
    *n = k;
    rc = MG_OK;
done:
    json_decref(set);
    return rc;
}

static int add_entries(export_arg *a, gov_conn *c, const int64_t *idx, size_t n, uint64_t size,
                       json_t *keys)
{
    json_t *list = json_object_get(a->manifest, "entries");
    int rc = MG_OK;

    for (size_t i = 0; i < n && rc == MG_OK; i++) {
        json_t *signed_entry = NULL, *proof = NULL, *e;
        const char *action;
        char name[64];

        if ((rc = gov_log_entry_json(&signed_entry, c, (uint64_t)idx[i])) < 0 ||
            (rc = gov_inclusion_json(&proof, c, (uint64_t)idx[i], size)) < 0) {
            json_decref(signed_entry);
            break;
        }
        json_object_set(signed_entry, "proof", json_object_get(proof, "proof"));
        e = json_object_get(signed_entry, "entry");
        action = json_string_value(json_object_get(e, "action"));
        if (action && (strcmp(action, "store.init") == 0 || strcmp(action, "key.rotate") == 0)) {
            const json_t *subject = json_object_get(e, "subject");
            const char *id = json_string_value(json_object_get(subject, "key_id"));
            const char *pem = json_string_value(json_object_get(subject, "public_key"));
            char kname[MG_SHA256_HEX + 16];
            snprintf(kname, sizeof kname, "keys/%s.pem", id ? id : "");
            json_array_append_new(json_object_get(a->manifest, "keys"), json_string(id ? id : ""));
            json_object_set_new(keys, kname, json_string(pem ? pem : ""));
        }
        snprintf(name, sizeof name, "log/%lld.json", (long long)idx[i]);
        json_array_append_new(list, json_integer(idx[i]));
        rc = add_json_file(a->tar, name, signed_entry);
        json_decref(signed_entry);
        json_decref(proof);
    }
    return rc;
}

/* The stored bytes of artifact `sha` as tar member `dir`/`sha`, listed under `list`. */
static int add_artifact(export_arg *a, const char *dir, const char *list, const char *sha)
{
    mg_buf b = MG_BUF_INIT;
    char name[128];
    int rc;

    if ((rc = mg_gov_artifact_read(&b, a->s, sha)) < 0)
        return rc;
    snprintf(name, sizeof name, "%s/%s", dir, sha);
    rc = gov_tar_add(a->tar, name, b.ptr ? b.ptr : "", b.len);
    mg_buf_free(&b);
    if (rc == MG_OK)
        json_array_append_new(json_object_get(a->manifest, list), json_string(sha));
    return rc;
}

static int export_read(gov_conn *c, void *arg)
{
    export_arg *a = arg;
    json_t *th = NULL, *keys = json_object(), *pem;
    int64_t *idx = NULL;
    sqlite3_stmt *q;
    const char *kname;
    gov_version v;
    uint64_t size;
    size_t n;
    int rc;

    if (!keys)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = gov_version_find(&v, c, a->model, a->number)) < 0 ||
        (rc = gov_tree_head_json(&th, c, 0)) < 0)
        goto done;
    size = (uint64_t)json_integer_value(json_object_get(th, "size"));
    a->manifest = json_pack("{s:s,s:s,s:I,s:O,s:[],s:[],s:[],s:[]}", "format", FORMAT, "model",
                            v.model, "version", (json_int_t)v.number, "tree_head", th, "entries",
                            "keys", "artifacts", "reports");
    if (!a->manifest) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = story(&idx, &n, c, &v, size)) < 0)
        goto done;
    if ((rc = add_entries(a, c, idx, n, size, keys)) < 0 ||
        (rc = add_artifact(a, "artifacts", "artifacts", v.artifact)) < 0)
        goto done;
    if (!(q = gov_stmt(c, "SELECT DISTINCT sha256 FROM reports WHERE version_id = ? ORDER BY "
                          "sha256"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_int64(q, 1, v.id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if ((rc = add_artifact(a, "reports", "reports", (const char *)sqlite3_column_text(q, 0))) <
            0)
            break;
    sqlite3_reset(q);
    if (rc != SQLITE_DONE && rc != MG_OK)
        goto done;
    rc = MG_OK;
    json_object_foreach(keys, kname, pem)
        if ((rc = gov_tar_add(a->tar, kname, json_string_value(pem), strlen(json_string_value(pem)))) <
            0)
            goto done;
done:
    free(idx);
    json_decref(th);
    json_decref(keys);
    return rc;
}

int mg_gov_audit_export(json_t **summary, mg_store *s, const char *model, int64_t number,
                        const char *path)
{
    mg_buf body = MG_BUF_INIT, tar = MG_BUF_INIT;
    export_arg a = {s, model, number, &body, NULL};
    int rc;

    if (summary)
        *summary = NULL;
    if ((rc = gov_read(s, export_read, &a)) < 0)
        goto done;
    /* bundle.json first, so `tar tf` shows what the bundle holds before the bulk */
    if ((rc = add_json_file(&tar, "bundle.json", a.manifest)) < 0 ||
        (rc = mg_buf_put(&tar, body.ptr ? body.ptr : "", body.len)) < 0 ||
        (rc = gov_tar_finish(&tar)) < 0 || (rc = mg_file_write_atomic(path, tar.ptr, tar.len, 0644)) < 0)
        goto done;
    if (summary) {
        *summary = json_deep_copy(a.manifest);
        json_object_set_new(*summary, "bytes", json_integer((json_int_t)tar.len));
        json_object_set_new(*summary, "path", json_string(path));
    }
done:
    json_decref(a.manifest);
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

/* One entry: canonical, signed by the key in force, its leaf included in the signed tree head. */
static int check_entry(bundle *b, uint64_t idx, uint64_t size, const unsigned char root[MG_SHA256_LEN],
                       const char *prev, json_t **entry_out)
{
    unsigned char leaf[MG_SHA256_LEN], want[MG_SHA256_LEN], sig[MG_ED25519_SIG_LEN];
    char name[64], why[400];
    json_t *se = NULL, *e = NULL;
    mg_buf bytes = MG_BUF_INIT;
    mg_merkle_proof proof;
    const mg_key *key;
    const char *action;
    int rc;

    *entry_out = NULL;
    snprintf(name, sizeof name, "log/%llu.json", (unsigned long long)idx);
    if ((rc = canonical_member(&se, b, name)) < 0)
        return rc;
    rc = MG_EVERIFY;
    if (json_object_size(se) != 5 || !json_is_object(json_object_get(se, "entry")) ||
        mg_jcs_append(&bytes, json_object_get(se, "entry")) < 0) {
        mg_error_set(rc, "%s: %s: expected {entry, leaf_hash, key_id, signature, proof}", b->path,
                     name);
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
    json_decref(se);
    json_decref(e);
    mg_buf_free(&bytes);
    return rc;
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

static int by_string(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Sort an array of strings in place (the exporter lists report hashes in that order). */
static void sort_strings(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **items = n ? malloc(n * sizeof *items) : NULL;

    if (!items)
        return;
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(arr, i));
    qsort(items, n, sizeof *items, by_string);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, items[i]);
    free(items);
}

static int number_eq(const json_t *v, double x)
{
    return json_is_number(v) && json_number_value(v) == x;
}

/* Entries, in index order, with the key chain followed; the version's own facts gathered. */
static int check_story(bundle *b, const json_t *manifest, json_t *summary)
{
    const json_t *list = json_object_get(manifest, "entries"), *model = json_object_get(manifest, "model");
    uint64_t number = 0;
    unsigned char root[MG_SHA256_LEN];
    char prev[MG_SHA256_HEX] = "";
    json_t *reports = json_array();
    const char *stage = "registered", *artifact = NULL;
    int64_t last = -1;
    uint64_t size = 0;
    size_t i;
    json_t *idxv, *head = json_object_get(manifest, "tree_head");
    int rc = MG_OK, registered = 0;

    if ((rc = whole(&number, b, "bundle.json: version", json_object_get(manifest, "version"),
                    1)) < 0) {
        json_decref(reports);
        return rc;
    }
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        !number_eq(json_array_get(list, 0), 0)) {
        json_decref(reports);
        return mg_error_set(MG_EVERIFY, "%s: bundle.json lists no entries starting at 0", b->path);
    }
    /* the head's size first, for the proofs; its signature once the key chain is known */
    if (!json_is_object(head) || !json_object_get(head, "size") ||
        mg_hash_from_hex(root, json_string_value(json_object_get(head, "root"))
                                   ? json_string_value(json_object_get(head, "root"))
                                   : "") < 0) {
        mg_error_clear();
        json_decref(reports);
        return check_tree_head(b, head, size, root);
    }
    if ((rc = whole(&size, b, "bundle.json: tree_head.size", json_object_get(head, "size"), 0)) <
        0) {
        json_decref(reports);
        return rc;
    }
    json_array_foreach(list, i, idxv)
    {
        uint64_t idx;
        json_t *e = NULL;
        const json_t *s;
        const char *action;
        if ((rc = whole(&idx, b, "bundle.json: an entry index", idxv, 0)) < 0)
            break;
        if ((int64_t)idx <= last) {
            rc = mg_error_set(MG_EVERIFY, "%s: bundle.json: entries must be increasing indices",
                              b->path);
            break;
        }
        if ((rc = check_entry(b, idx, size, root, (int64_t)idx == last + 1 && prev[0] ? prev : NULL,
                              &e)) < 0)
            break;
        {
            mg_buf bytes = MG_BUF_INIT;
            unsigned char d[MG_SHA256_LEN];
            mg_jcs_append(&bytes, e);
            mg_sha256_digest(d, bytes.ptr, bytes.len);
            mg_sha256_hex(prev, d);
            mg_buf_free(&bytes);
        }
        last = (int64_t)idx;
        action = json_string_value(json_object_get(e, "action"));
        s = json_object_get(e, "subject");
        if (json_equal(json_object_get(s, "model"), (json_t *)model) &&
            number_eq(json_object_get(s, "version"), (double)number)) {
            if (strcmp(action, "version.register") == 0) {
                registered = 1;
                artifact = json_string_value(json_object_get(s, "artifact_sha256"));
                json_object_set(summary, "artifact_sha256", json_object_get(s, "artifact_sha256"));
                json_object_set(summary, "submitter", json_object_get(e, "actor"));
            } else if (strcmp(action, "version.transition") == 0) {
                stage = json_string_value(json_object_get(s, "to"));
                json_object_set(summary, "stage", json_object_get(s, "to"));
            } else if (strcmp(action, "report.write") == 0) {
                const gov_tar_file *f = NULL;
                json_t *doc = NULL;
                const char *sha = json_string_value(json_object_get(s, "sha256"));
                if ((rc = hashed_member(&f, b, "reports", sha)) == MG_OK &&
                    !(doc = json_loadb(f->data, f->len, 0, NULL)))
                    rc = mg_error_set(MG_EVERIFY, "%s: reports/%s is not JSON", b->path, sha);
                json_decref(doc);
                json_array_append_new(reports, json_pack("{s:O,s:O,s:O}", "report_id",
                                                         json_object_get(s, "report_id"), "kind",
                                                         json_object_get(s, "kind"), "sha256",
                                                         json_object_get(s, "sha256")));
            }
        }
        json_decref(e);
        if (rc < 0)
            break;
    }
    if (rc == MG_OK)
        rc = check_tree_head(b, head, size, root);
    if (rc == MG_OK && !registered)
        rc = mg_error_set(MG_EVERIFY, "%s: no version.register entry for %s version %llu", b->path,
                          json_string_value(model) ? json_string_value(model) : "?",
                          (unsigned long long)number);
    if (rc == MG_OK)
        rc = hashed_member(NULL, b, "artifacts", artifact);
    if (rc == MG_OK) {
        /* the manifest's lists say exactly what the signed entries say */
        json_t *want_art = json_pack("[s]", artifact), *want_rep = json_array(), *r;
        size_t k;
        json_array_foreach(reports, k, r)
        {
            size_t j;
            json_t *have;
            int dup = 0;
            json_array_foreach(want_rep, j, have)
                dup |= json_equal(have, json_object_get(r, "sha256"));
            if (!dup)
                json_array_append(want_rep, json_object_get(r, "sha256"));
        }
        sort_strings(want_rep);
        if (!json_equal(want_art, json_object_get(manifest, "artifacts")) ||
            !json_equal(want_rep, json_object_get(manifest, "reports")))
            rc = mg_error_set(MG_EVERIFY, "%s: bundle.json's artifact and report lists are not "
                                          "the ones the log entries name",
                              b->path);
        json_decref(want_art);
        json_decref(want_rep);
    }
    if (rc == MG_OK) {
        json_object_set_new(summary, "stage", json_string(stage));
        json_object_set_new(summary, "entries", json_integer((json_int_t)json_array_size(list)));
        json_object_set_new(summary, "reports", reports);
        reports = NULL;
    }
    json_decref(reports);
    return rc;
}

int mg_gov_verify_bundle(json_t **summary, const char *path, const char *trusted_key)
{
    bundle b;
    mg_buf data = MG_BUF_INIT;
    json_t *manifest = NULL, *sum = NULL, *keys;
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
    if (!json_is_string(json_object_get(manifest, "format")) ||
        strcmp(json_string_value(json_object_get(manifest, "format")), FORMAT) != 0) {
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
    sum = json_pack("{s:s,s:O,s:O,s:O}", "bundle", path, "model", json_object_get(manifest, "model"),
                    "version", json_object_get(manifest, "version"), "tree_head",
                    json_object_get(manifest, "tree_head"));
    if ((rc = check_story(&b, manifest, sum)) < 0)
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
