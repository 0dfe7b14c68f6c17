/* verify.c - `modelgov verify --store`: recompute and check everything the store claims. */
#include "hash.h"
#include "inventory.h"
#include "story.h"
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RANK_KEYS (GOV_RANK_AFTER_LOG - 2)
#define RANK_ARTIFACTS (GOV_RANK_AFTER_LOG - 1)

typedef struct vstate {
    const char *dir;
    gov_conn *c;
    gov_failure f;
    gov_checker *checker;
    mg_key **keys; /* every key the log announced, in order; the last is in force */
    size_t nkeys;
    mg_key *pending; /* announced by the entry just read; in force after it */
    const char *trusted; /* a key id, or NULL */
    char trusted_id[MG_SHA256_HEX];
    mg_gov_verify_summary *sum;
} vstate;

static const mg_key *current_key(const vstate *v)
{
    return v->nkeys ? v->keys[v->nkeys - 1] : NULL;
}

static int key_push(vstate *v, mg_key *k)
{
    mg_key **grown = realloc(v->keys, (v->nkeys + 1) * sizeof *grown);
    if (!grown) {
        mg_key_free(k);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    v->keys = grown;
    v->keys[v->nkeys++] = k;
    return MG_OK;
}

int gov_announced_key(mg_key **out, const json_t *subject, char *why, size_t n)
{
    const char *pem = json_string_value(json_object_get(subject, "public_key"));
    const char *id = json_string_value(json_object_get(subject, "key_id"));

    *out = NULL;
    if (!pem || !id || mg_key_from_public_pem(out, pem, strlen(pem)) < 0) {
        mg_error_clear();
        snprintf(why, n, "announces no readable public key");
        return MG_EVERIFY;
    }
    if (strcmp(mg_key_id(*out), id) != 0) {
        snprintf(why, n, "announces key_id %.16s... but its public key has id %.16s...", id,
                 mg_key_id(*out));
        mg_key_free(*out);
        *out = NULL;
        return MG_EVERIFY;
    }
    return MG_OK;
}

int gov_trusted_key_id(char out[MG_SHA256_HEX], const char *arg)
{
    mg_buf pem = MG_BUF_INIT;
    mg_key *k = NULL;
    char why[300];
    int rc;

    out[0] = '\0';
    if (!arg || !*arg)
        return MG_OK;
    if (mg_hex_is_sha256(arg)) {
        snprintf(out, MG_SHA256_HEX, "%s", arg);
        return MG_OK;
    }
    pem.max = 1 << 16; /* a public key PEM is a few hundred bytes */
    if ((rc = mg_buf_read_file(&pem, arg)) == MG_OK)
        rc = mg_key_from_public_pem(&k, pem.ptr ? pem.ptr : "", pem.len);
    if (rc == MG_OK)
        snprintf(out, MG_SHA256_HEX, "%s", mg_key_id(k));
    else {
        snprintf(why, sizeof why, "%s", mg_error_last());
        rc = mg_error_set(MG_EINVAL, "trusted key '%.200s': neither a key id (64 lower-case hex "
                                     "digits) nor a public key PEM file (%s)",
                          arg, why);
    }
    mg_key_free(k);
    mg_buf_free(&pem);
    return rc;
}

/*
 * Entry 0 founds the key chain ("store.init" announcing a key it is signed
 * with); a "key.rotate" entry, signed by the key in force, names the next.
 * Only entries that can be such are parsed here; the workers check the rest.
 */
static int follow_keys(vstate *v, uint64_t i, const char *body, size_t len)
{
    const char *action, *previous;
    const json_t *subject;
    json_t *e = NULL;
    mg_key *k = NULL;
    char why[400];

    if (i != 0 && !strstr(body, "\"action\":\"key.rotate\""))
        return MG_OK;
    if (gov_entry_check(&e, body, len, i, NULL, why, sizeof why) < 0) {
        gov_fail(&v->f, 4 * i, "log entry %llu: %s", (unsigned long long)i, why);
        return MG_EVERIFY;
    }
    action = json_string_value(json_object_get(e, "action"));
    subject = json_object_get(e, "subject");
    previous = json_string_value(json_object_get(subject, "previous_key_id"));
    if (i == 0 && strcmp(action, "store.init") != 0) {
        gov_fail(&v->f, 0, "log entry 0: is \"%s\", not the \"store.init\" that announces the "
                           "first key",
                 action);
    } else if (i != 0 && strcmp(action, "key.rotate") != 0) {
        json_decref(e);
        return MG_OK; /* only mentions key.rotate somewhere in its subject */
    } else if (gov_announced_key(&k, subject, why, sizeof why) < 0) {
        gov_fail(&v->f, 4 * i, "log entry %llu: %s", (unsigned long long)i, why);
    } else if (i == 0 && v->trusted && strcmp(mg_key_id(k), v->trusted) != 0) {
        gov_fail(&v->f, 0, "log entry 0: founds the log with key %.16s..., not the trusted key "
                           "%.16s...",
                 mg_key_id(k), v->trusted);
    } else if (i != 0 && (!previous || strcmp(previous, mg_key_id(current_key(v))) != 0)) {
        gov_fail(&v->f, 4 * i, "log entry %llu: rotates from key %.16s..., but key %.16s... is in "
                               "force",
                 (unsigned long long)i, previous ? previous : "(none)", mg_key_id(current_key(v)));
    } else {
        json_decref(e);
        if (i == 0)
            return key_push(v, k);
        v->pending = k;
        return MG_OK;
    }
    json_decref(e);
    mg_key_free(k);
    return MG_EVERIFY;
}

/* ---- the Merkle tree: recomputed from the entries, and the stored nodes checked on the way ---- */

typedef struct range {
    unsigned char stack[64][MG_SHA256_LEN];
    size_t depth;
    uint64_t size;
} range;

static int range_push(vstate *v, range *r, const unsigned char leaf[MG_SHA256_LEN])
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?");
    unsigned char h[MG_SHA256_LEN];
    uint64_t i = r->size;
    unsigned level = 0;
    int rc;

    if (!q)
        return MG_ERROR;
    memcpy(h, leaf, MG_SHA256_LEN);
    for (uint64_t n = i; n & 1; n >>= 1) {
        if ((rc = mg_merkle_node_hash(h, r->stack[--r->depth], h)) < 0)
            return rc;
        level++;
        sqlite3_bind_int(q, 1, (int)level);
        sqlite3_bind_int64(q, 2, (sqlite3_int64)(i >> level));
        rc = sqlite3_step(q);
        if (rc != SQLITE_ROW || sqlite3_column_bytes(q, 0) != MG_SHA256_LEN ||
            memcmp(sqlite3_column_blob(q, 0), h, MG_SHA256_LEN) != 0)
            gov_fail(&v->f, 4 * i + 1, "Merkle node (level %u, index %llu), completed by log entry "
                                   "%llu, is %s",
                     level, (unsigned long long)(i >> level), (unsigned long long)i,
                     rc == SQLITE_ROW ? "not the hash of its children" : "missing");
        sqlite3_reset(q);
    }
    memcpy(r->stack[r->depth++], h, MG_SHA256_LEN);
    r->size++;
    return MG_OK;
}

static int range_root(unsigned char root[MG_SHA256_LEN], const range *r)
{
    return gov_stack_root(root, (const unsigned char(*)[MG_SHA256_LEN])r->stack, r->depth);
}

/* The tree head row `th` (size, root, time, body, key_id, sig) against the recomputed tree. */
static int check_tree_head(vstate *v, sqlite3_stmt *th, const range *r)
{
    uint64_t size = (uint64_t)sqlite3_column_int64(th, 0), rank = 4 * size - 1;
    unsigned char root[MG_SHA256_LEN];
    char hex[MG_SHA256_HEX];
    const char *time = (const char *)sqlite3_column_text(th, 2);
    const char *key_id = (const char *)sqlite3_column_text(th, 4);
    mg_buf want = MG_BUF_INIT;
    gov_check chk;
    int rc;

    if ((rc = range_root(root, r)) < 0)
        return rc;
    mg_sha256_hex(hex, root);
    v->sum->tree_heads++;
    snprintf(v->sum->root, sizeof v->sum->root, "%s", hex);
    if (sqlite3_column_bytes(th, 1) != MG_SHA256_LEN ||
        memcmp(sqlite3_column_blob(th, 1), root, MG_SHA256_LEN) != 0) {
        gov_fail(&v->f, rank, "tree head of size %llu: its root is not the root of the first "
                              "%llu entries (%.16s...)",
                 (unsigned long long)size, (unsigned long long)size, hex);
        return MG_OK;
    }
    if ((rc = mg_gov_tree_head_bytes(&want, size, hex, time ? time : "")) < 0)
        return rc;
    if ((size_t)sqlite3_column_bytes(th, 3) != want.len ||
        memcmp(sqlite3_column_blob(th, 3), want.ptr, want.len) != 0) {
        gov_fail(&v->f, rank, "tree head of size %llu: its signed bytes do not say size %llu, "
                              "root %.16s..., time %s",
                 (unsigned long long)size, (unsigned long long)size, hex, time ? time : "");
        mg_buf_free(&want);
        return MG_OK;
    }
    if (!key_id || strcmp(key_id, mg_key_id(current_key(v))) != 0 ||
        sqlite3_column_bytes(th, 5) != MG_ED25519_SIG_LEN) {
        gov_fail(&v->f, rank, "tree head of size %llu: signed by key %.16s..., but key %.16s... "
                              "is in force",
                 (unsigned long long)size, key_id ? key_id : "(none)", mg_key_id(current_key(v)));
        mg_buf_free(&want);
        return MG_OK;
    }
    memset(&chk, 0, sizeof chk);
    chk.rank = rank;
    chk.bytes = want.ptr; /* the checker takes the bytes */
    chk.len = want.len;
    memcpy(chk.sig, sqlite3_column_blob(th, 5), MG_ED25519_SIG_LEN);
    chk.key = current_key(v);
    snprintf(chk.what, sizeof chk.what, "tree head of size %llu", (unsigned long long)size);
    return gov_checker_add(v->checker, &chk);
}

/* Entries in order: position, leaf, prev chain, key chain, Merkle nodes; signatures in parallel. */
static int check_log(vstate *v)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT idx, body, leaf, key_id, sig, action FROM log_entries "
                                     "ORDER BY idx");
    sqlite3_stmt *th = gov_stmt(v->c, "SELECT size, root, time, body, key_id, sig FROM tree_heads "
                                      "ORDER BY size");
    unsigned char prev[MG_SHA256_LEN] = {0}, leaf[MG_SHA256_LEN];
    uint64_t i = 0, last_head = 0;
    int rc = MG_OK, step, th_rc;
    range r;

    if (!q || !th)
        return MG_ERROR;
    memset(&r, 0, sizeof r);
    th_rc = sqlite3_step(th);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_blob(q, 1);
        size_t len = (size_t)sqlite3_column_bytes(q, 1);
        const char *key_id = (const char *)sqlite3_column_text(q, 3);
        const char *action = (const char *)sqlite3_column_text(q, 5);
        gov_check chk;

        if ((uint64_t)sqlite3_column_int64(q, 0) != i) {
            gov_fail(&v->f, 4 * i, "log entry %llu is missing (the next stored entry is %lld)",
                     (unsigned long long)i, (long long)sqlite3_column_int64(q, 0));
            break;
        }
        if (!body)
            body = "";
        if ((rc = mg_merkle_leaf_hash(leaf, body, len)) < 0)
            goto done;
        if (sqlite3_column_bytes(q, 2) != MG_SHA256_LEN ||
            memcmp(sqlite3_column_blob(q, 2), leaf, MG_SHA256_LEN) != 0)
            gov_fail(&v->f, 4 * i, "log entry %llu: its stored leaf hash is not SHA-256(0x00 || "
                                   "entry)",
                     (unsigned long long)i);
        /* the column must say what the signed bytes say */
        if (!gov_entry_action_is(body, len, action))
            gov_fail(&v->f, 4 * i, "log entry %llu: its action column \"%.64s\" is not the "
                                   "entry's action",
                     (unsigned long long)i, action ? action : "(null)");
        if (follow_keys(v, i, body, len) < 0 || !current_key(v))
            break; /* without the key chain nothing after can be checked */
        if (!key_id || strcmp(key_id, mg_key_id(current_key(v))) != 0)
            gov_fail(&v->f, 4 * i, "log entry %llu: marked as signed by key %.16s..., but key "
                                   "%.16s... is in force",
                     (unsigned long long)i, key_id ? key_id : "(none)", mg_key_id(current_key(v)));
        memset(&chk, 0, sizeof chk);
        chk.rank = 4 * i;
        chk.is_entry = 1;
        chk.index = i;
        mg_sha256_hex(chk.prev, prev);
        if (sqlite3_column_bytes(q, 4) == MG_ED25519_SIG_LEN)
            memcpy(chk.sig, sqlite3_column_blob(q, 4), MG_ED25519_SIG_LEN);
        chk.key = current_key(v);
        snprintf(chk.what, sizeof chk.what, "log entry %llu", (unsigned long long)i);
        if (!(chk.bytes = malloc(len ? len : 1))) {
            rc = mg_error_set(MG_ENOMEM, "out of memory");
            goto done;
        }
        memcpy(chk.bytes, body, len);
        chk.len = len;
        if ((rc = gov_checker_add(v->checker, &chk)) < 0 ||
            (rc = gov_sha256(prev, body, len, NULL, 0, NULL, 0)) < 0 ||
            (rc = range_push(v, &r, leaf)) < 0)
            goto done;
        if (v->pending) { /* the rotation entry is signed; its key signs from here on */
            if ((rc = key_push(v, v->pending)) < 0) {
                v->pending = NULL;
                goto done;
            }
            v->pending = NULL;
        }
        i++;
        while (th_rc == SQLITE_ROW && (uint64_t)sqlite3_column_int64(th, 0) <= i) {
            if ((uint64_t)sqlite3_column_int64(th, 0) == i) {
                if ((rc = check_tree_head(v, th, &r)) < 0)
                    goto done;
                last_head = i;
            } else {
                gov_fail(&v->f, 4 * (uint64_t)sqlite3_column_int64(th, 0) - 1,
                         "tree head of size %lld: not a size the log has been",
                         (long long)sqlite3_column_int64(th, 0));
            }
            th_rc = sqlite3_step(th);
        }
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = gov_db_error(v->c, "log_entries");
        goto done;
    }
    v->sum->entries = i;
    if (i == 0)
        gov_fail(&v->f, 0, "the log is empty: log entry 0 is missing");
    else if (th_rc == SQLITE_ROW)
        gov_fail(&v->f, 4 * i, "log entry %llu is missing: the tree head of size %lld covers it",
                 (unsigned long long)i, (long long)sqlite3_column_int64(th, 0));
    else if (last_head < i)
        gov_fail(&v->f, 4 * last_head, "log entries %llu to %llu are covered by no signed tree "
                                       "head",
                 (unsigned long long)last_head, (unsigned long long)i - 1);
    rc = MG_OK;
done:
    sqlite3_reset(q);
    sqlite3_reset(th);
    return rc;
}

/* ---- files: key files and artifacts ---- */

static int has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void check_key_files(vstate *v)
{
    char path[4096];
    struct dirent **names = NULL;
    int n;

    snprintf(path, sizeof path, "%s/keys", v->dir);
    if ((n = scandir(path, &names, NULL, alphasort)) < 0)
        return; /* a copy of a store without its private keys still verifies */
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char stem[MG_SHA256_HEX + 8];
        mg_key *k = NULL;

        if (has_suffix(name, ".pem") && name[0] != '.') {
            snprintf(path, sizeof path, "%s/keys/%s", v->dir, name);
            snprintf(stem, sizeof stem, "%.*s", (int)(strlen(name) - 4), name);
            if (mg_key_load(&k, path) < 0) {
                gov_fail(&v->f, RANK_KEYS, "%s: %s", path, mg_error_last());
                mg_error_clear();
            } else if (strcmp(mg_key_id(k), stem) != 0) {
                gov_fail(&v->f, RANK_KEYS, "%s: holds key %.16s..., not the key its name says",
                         path, mg_key_id(k));
            }
            v->sum->keys++;
            mg_key_free(k);
        }
        free(names[i]);
    }
    free(names);
}

static int check_artifacts(vstate *v)
{
    sqlite3_stmt *q = gov_stmt(v->c, "SELECT sha256, 'data set ' || id FROM datasets UNION ALL "
                                     "SELECT artifact_sha256, 'version row ' || id FROM versions "
                                     "UNION ALL SELECT sha256, 'report ' || id FROM reports UNION "
                                     "ALL SELECT artifact_sha256, 'run ' || id FROM runs WHERE "
                                     "artifact_sha256 IS NOT NULL");
    char path[4096], hex[MG_SHA256_HEX];
    struct dirent **names = NULL;
    struct stat st;
    int n, rc;

    if (!q)
        return MG_ERROR;
    snprintf(path, sizeof path, "%s/artifacts", v->dir);
    if ((n = scandir(path, &names, NULL, alphasort)) < 0) {
        gov_fail(&v->f, RANK_ARTIFACTS, "%s: %s", path, strerror(errno));
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (name[0] != '.') {
            snprintf(path, sizeof path, "%s/artifacts/%s", v->dir, name);
            if (!mg_hex_is_sha256(name))
                gov_fail(&v->f, RANK_ARTIFACTS, "%s: not named by a sha256", path);
            else if (mg_sha256_file(hex, path) < 0)
                gov_fail(&v->f, RANK_ARTIFACTS, "%s: %s", path, mg_error_last());
            else if (strcmp(hex, name) != 0)
                gov_fail(&v->f, RANK_ARTIFACTS, "%s: its bytes hash to %.16s..., not to its name "
                                                "(altered)",
                         path, hex);
            v->sum->artifacts++;
        }
        free(names[i]);
    }
    free(names);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *sha = (const char *)sqlite3_column_text(q, 0);
        snprintf(path, sizeof path, "%s/artifacts/%s", v->dir, sha ? sha : "");
        if (!sha || stat(path, &st) < 0)
            gov_fail(&v->f, RANK_ARTIFACTS, "%s: missing (%s refers to it)", path,
                     (const char *)sqlite3_column_text(q, 1));
    }
    rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(v->c, "artifacts");
    sqlite3_reset(q);
    return rc;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int mg_gov_verify_store(mg_gov_verify_summary *out, const char *dir, unsigned threads,
                        const char *trusted_key)
{
    char db[4096];
    double t0 = now_seconds();
    sqlite3_stmt *st;
    vstate v;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&v, 0, sizeof v);
    v.dir = dir;
    v.sum = out;
    if ((rc = gov_trusted_key_id(v.trusted_id, trusted_key)) < 0)
        return rc;
    v.trusted = v.trusted_id[0] ? v.trusted_id : NULL;
    snprintf(db, sizeof db, "%s/%s", dir, MG_STORE_DB);
    if ((rc = gov_conn_open(&v.c, db, 1)) < 0)
        return rc == MG_ENOTFOUND ? mg_error_set(rc, "%s is not a modelgov store (no %s)", dir,
                                                 MG_STORE_DB)
                                  : rc;
    gov_failure_init(&v.f);
    if (!(st = gov_stmt(v.c, "BEGIN")) || (rc = gov_step_done(v.c, st, "BEGIN")) < 0 ||
        (rc = gov_checker_start(&v.checker, threads, &v.f)) < 0) {
        rc = st ? rc : MG_ERROR;
        goto done;
    }
    rc = check_log(&v);
    out->threads = gov_checker_finish(v.checker);
    v.checker = NULL;
    if (rc < 0)
        goto done;
    if ((rc = gov_verify_records(&out->records, v.c, &v.f)) < 0)
        goto done;
    check_key_files(&v);
    rc = check_artifacts(&v);
done:
    gov_checker_finish(v.checker);
    if ((st = gov_stmt(v.c, "COMMIT")))
        gov_step_done(v.c, st, "COMMIT");
    gov_conn_close(v.c);
    for (size_t i = 0; i < v.nkeys; i++)
        mg_key_free(v.keys[i]);
    free(v.keys);
    mg_key_free(v.pending);
    out->seconds = now_seconds() - t0;
    if (rc == MG_OK && v.f.failed)
        rc = mg_error_set(MG_EVERIFY, "%s", v.f.msg);
    gov_failure_destroy(&v.f);
    return rc;
}
