/* log.c - the signed append-only log: entries, Merkle nodes, tree heads, proofs (DESIGN §6). */
#include "store.h"

#include <stdlib.h>
#include <string.h>

int gov_log_state_load(gov_log_state *st, gov_conn *c)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT idx, body FROM log_entries ORDER BY idx DESC LIMIT 1");
    int rc;

    memset(st, 0, sizeof *st);
    if (!q)
        return MG_ERROR;
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        st->size = sqlite3_column_int64(q, 0) + 1;
        rc = mg_sha256_digest(st->prev, sqlite3_column_blob(q, 1),
                              (size_t)sqlite3_column_bytes(q, 1));
    } else {
        rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(c, "log");
    }
    sqlite3_reset(q);
    return rc;
}

int gov_merkle_node(void *ctx, unsigned level, uint64_t index, unsigned char out[MG_SHA256_LEN])
{
    gov_conn *c = ctx;
    sqlite3_stmt *q = level == 0
                          ? gov_stmt(c, "SELECT leaf FROM log_entries WHERE idx = ?")
                          : gov_stmt(c, "SELECT hash FROM merkle_nodes WHERE idx = ? AND level = ?");
    int rc;

    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)index);
    if (level)
        sqlite3_bind_int(q, 2, (int)level);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 0) == MG_SHA256_LEN) {
        memcpy(out, sqlite3_column_blob(q, 0), MG_SHA256_LEN);
        rc = MG_OK;
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        rc = mg_error_set(MG_EPARSE, "Merkle node (level %u, index %llu) is missing or damaged",
                          level, (unsigned long long)index);
    } else {
        rc = gov_db_error(c, "merkle_nodes");
    }
    sqlite3_reset(q);
    return rc;
}

/* Leaf `idx` is new: store the perfect subtrees it completes (one per trailing 1 bit). */
static int merkle_extend(gov_conn *c, uint64_t idx, const unsigned char leaf[MG_SHA256_LEN])
{
    unsigned char h[MG_SHA256_LEN], left[MG_SHA256_LEN];
    uint64_t n = idx;
    int rc;

    memcpy(h, leaf, MG_SHA256_LEN);
    for (unsigned level = 1; n & 1; level++, n >>= 1) {
        sqlite3_stmt *ins;
        if ((rc = gov_merkle_node(c, level - 1, n - 1, left)) < 0 ||
            (rc = mg_merkle_node_hash(h, left, h)) < 0)
            return rc;
        if (!(ins = gov_stmt(c, "INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)")))
            return MG_ERROR;
        sqlite3_bind_int(ins, 1, (int)level);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)(n >> 1));
        sqlite3_bind_blob(ins, 3, h, MG_SHA256_LEN, SQLITE_TRANSIENT);
        if ((rc = gov_step_done(c, ins, "merkle_nodes")) < 0)
            return rc;
    }
    return MG_OK;
}

int gov_log_append(int64_t *index_out, gov_tx *tx, const char *action, const json_t *subject)
{
    unsigned char leaf[MG_SHA256_LEN], sig[MG_ED25519_SIG_LEN];
    char now[32], prev[MG_SHA256_HEX];
    mg_buf body = MG_BUF_INIT;
    json_t *entry = NULL;
    sqlite3_stmt *ins;
    int rc;

    if (!tx->s->signer)
        return mg_error_set(MG_EPARSE, "the store has no active signing key");
    gov_now(now);
    mg_sha256_hex(prev, tx->log.prev);
    entry = json_pack("{s:I,s:s,s:s,s:s,s:O,s:s}", "index", (json_int_t)tx->log.size, "time", now,
                      "actor", tx->actor ? tx->actor->name : MG_ACTOR_LOCAL, "action", action,
                      "subject", subject, "prev", prev);
    if (!entry) {
        rc = mg_error_set(MG_EINVAL, "log entry for %s: subject is not a JSON object", action);
        goto done;
    }
    if ((rc = mg_jcs_append(&body, entry)) < 0 ||
        (rc = mg_merkle_leaf_hash(leaf, body.ptr, body.len)) < 0 ||
        (rc = mg_key_sign(sig, tx->s->signer, body.ptr, body.len)) < 0)
        goto done;
    if (!(ins = gov_stmt(tx->c, "INSERT INTO log_entries (idx, body, leaf, key_id, sig, action) "
                                "VALUES (?, ?, ?, ?, ?, ?)"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_int64(ins, 1, tx->log.size);
    sqlite3_bind_text(ins, 2, body.ptr, (int)body.len, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 3, leaf, MG_SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_text(ins, 4, mg_key_id(tx->s->signer), -1, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 5, sig, MG_ED25519_SIG_LEN, SQLITE_STATIC);
    sqlite3_bind_text(ins, 6, action, -1, SQLITE_STATIC);
    if ((rc = gov_step_done(tx->c, ins, "log_entries")) < 0 ||
        (rc = merkle_extend(tx->c, (uint64_t)tx->log.size, leaf)) < 0 ||
        (rc = mg_sha256_digest(tx->log.prev, body.ptr, body.len)) < 0)
        goto done;
    if (index_out)
        *index_out = tx->log.size;
    tx->log.size++;
    tx->appended++;
done:
    json_decref(entry);
    mg_buf_free(&body);
    return rc;
}

/* The bytes a tree head's signature covers: JCS of {"root","size","time"}. */
int mg_gov_tree_head_bytes(mg_buf *out, uint64_t size, const char *root_hex, const char *time)
{
    json_t *th = json_pack("{s:I,s:s,s:s}", "size", (json_int_t)size, "root", root_hex, "time", time);
    int rc = th ? mg_jcs_append(out, th) : mg_error_set(MG_ENOMEM, "out of memory");

    json_decref(th);
    return rc;
}

int gov_tree_head_sign(gov_tx *tx)
{
    unsigned char root[MG_SHA256_LEN], sig[MG_ED25519_SIG_LEN];
    char now[32], hex[MG_SHA256_HEX];
    mg_buf body = MG_BUF_INIT;
    sqlite3_stmt *ins;
    int rc;

    gov_now(now);
    if ((rc = mg_merkle_root(root, (uint64_t)tx->log.size, gov_merkle_node, tx->c)) < 0)
        return rc;
    mg_sha256_hex(hex, root);
    if ((rc = mg_gov_tree_head_bytes(&body, (uint64_t)tx->log.size, hex, now)) < 0 ||
        (rc = mg_key_sign(sig, tx->s->signer, body.ptr, body.len)) < 0)
        goto done;
    if (!(ins = gov_stmt(tx->c, "INSERT INTO tree_heads (size, root, time, body, key_id, sig) "
                                "VALUES (?, ?, ?, ?, ?, ?)"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_int64(ins, 1, tx->log.size);
    sqlite3_bind_blob(ins, 2, root, MG_SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 4, body.ptr, (int)body.len, SQLITE_STATIC);
    sqlite3_bind_text(ins, 5, mg_key_id(tx->s->signer), -1, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 6, sig, MG_ED25519_SIG_LEN, SQLITE_STATIC);
    rc = gov_step_done(tx->c, ins, "tree_heads");
done:
    mg_buf_free(&body);
    return rc;
}

/* ---- reading ---- */

static int read_begin(gov_conn *c)
{
    sqlite3_stmt *st = gov_stmt(c, "BEGIN");
    return st ? gov_step_done(c, st, "BEGIN") : MG_ERROR;
}

static void read_end(gov_conn *c)
{
    sqlite3_stmt *st = gov_stmt(c, "COMMIT");
    if (st)
        gov_step_done(c, st, "COMMIT");
}

static int log_size(uint64_t *out, gov_conn *c)
{
    gov_log_state st;
    int rc = gov_log_state_load(&st, c);
    *out = (uint64_t)st.size;
    return rc;
}

int mg_gov_log_size(uint64_t *out, mg_store *s)
{
    gov_conn *c = NULL;
    int rc;

    *out = 0;
    if ((rc = gov_conn_get(&c, s)) < 0)
        return rc;
    rc = log_size(out, c);
    gov_conn_put(s, c);
    return rc;
}

static json_t *hex_json(const void *blob, int len)
{
    char hex[MG_SHA256_HEX];
    if (len != MG_SHA256_LEN)
        return json_null();
    mg_sha256_hex(hex, blob);
    return json_string(hex);
}

static json_t *b64_json(const void *blob, int len)
{
    mg_buf b = MG_BUF_INIT;
    json_t *v = mg_base64_encode(&b, blob, (size_t)len) == MG_OK ? json_string(b.ptr ? b.ptr : "")
                                                                  : NULL;
    mg_buf_free(&b);
    return v;
}

/* {"entry":{...},"leaf_hash","key_id","signature"} of the row `q` points at (body, leaf, key, sig). */
static int signed_entry_json(json_t **out, sqlite3_stmt *q, const char *where)
{
    json_t *entry = json_loadb((const char *)sqlite3_column_blob(q, 0),
                               (size_t)sqlite3_column_bytes(q, 0), 0, NULL);

    *out = NULL;
    if (!entry)
        return mg_error_set(MG_EPARSE, "%s: stored entry is not JSON", where);
    *out = json_pack("{s:o,s:o,s:s,s:o}", "entry", entry, "leaf_hash",
                     hex_json(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1)), "key_id",
                     (const char *)sqlite3_column_text(q, 2), "signature",
                     b64_json(sqlite3_column_blob(q, 3), sqlite3_column_bytes(q, 3)));
    return *out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
}

int gov_log_entry_json(json_t **out, gov_conn *c, uint64_t index)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT body, leaf, key_id, sig FROM log_entries WHERE idx = ?");
    char where[64];
    int rc;

    *out = NULL;
    if (!q)
        return MG_ERROR;
    snprintf(where, sizeof where, "log entry %llu", (unsigned long long)index);
    sqlite3_bind_int64(q, 1, (sqlite3_int64)index);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        rc = signed_entry_json(out, q, where);
    else if (rc == SQLITE_DONE)
        rc = mg_error_set(MG_ENOTFOUND, "no log entry %llu", (unsigned long long)index);
    else
        rc = gov_db_error(c, "log_entries");
    sqlite3_reset(q);
    return rc;
}

int mg_gov_log_entry(json_t **out, mg_store *s, uint64_t index)
{
    gov_conn *c = NULL;
    int rc;

    *out = NULL;
    if ((rc = gov_conn_get(&c, s)) < 0)
        return rc;
    rc = gov_log_entry_json(out, c, index);
    gov_conn_put(s, c);
    return rc;
}

/* The signed tree head of `size`, or the latest one when size is 0. */
int gov_tree_head_json(json_t **out, gov_conn *c, uint64_t size)
{
    sqlite3_stmt *q = size ? gov_stmt(c, "SELECT size, root, time, key_id, sig FROM tree_heads "
                                         "WHERE size = ?")
                           : gov_stmt(c, "SELECT size, root, time, key_id, sig FROM tree_heads "
                                         "ORDER BY size DESC LIMIT 1");
    int rc;

    *out = NULL;
    if (!q)
        return MG_ERROR;
    if (size)
        sqlite3_bind_int64(q, 1, (sqlite3_int64)size);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        *out = json_pack("{s:I,s:o,s:s,s:s,s:o}", "size", (json_int_t)sqlite3_column_int64(q, 0),
                         "root", hex_json(sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1)),
                         "time", (const char *)sqlite3_column_text(q, 2), "key_id",
                         (const char *)sqlite3_column_text(q, 3), "signature",
                         b64_json(sqlite3_column_blob(q, 4), sqlite3_column_bytes(q, 4)));
        rc = *out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        rc = size ? mg_error_set(MG_ENOTFOUND, "no signed tree head of size %llu",
                                 (unsigned long long)size)
                  : mg_error_set(MG_ENOTFOUND, "the log has no signed tree head");
    } else {
        rc = gov_db_error(c, "tree_heads");
    }
    sqlite3_reset(q);
    return rc;
}

int mg_gov_tree_head(json_t **out, mg_store *s)
{
    gov_conn *c = NULL;
    int rc;

    *out = NULL;
    if ((rc = gov_conn_get(&c, s)) < 0)
        return rc;
    rc = gov_tree_head_json(out, c, 0);
    gov_conn_put(s, c);
    return rc;
}

static json_t *proof_json(const mg_merkle_proof *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->n; i++)
        json_array_append_new(a, hex_json(p->hash[i], MG_SHA256_LEN));
    return a;
}

int gov_inclusion_json(json_t **out, gov_conn *c, uint64_t index, uint64_t size)
{
    unsigned char leaf[MG_SHA256_LEN], root[MG_SHA256_LEN];
    mg_merkle_proof p;
    uint64_t have;
    int rc;

    *out = NULL;
    if ((rc = log_size(&have, c)) < 0)
        return rc;
    if (size > have)
        return mg_error_set(MG_EINVAL, "tree size %llu: the log holds only %llu entries",
                            (unsigned long long)size, (unsigned long long)have);
    if ((rc = mg_merkle_inclusion_proof(&p, index, size, gov_merkle_node, c)) < 0 ||
        (rc = gov_merkle_node(c, 0, index, leaf)) < 0 ||
        (rc = mg_merkle_root(root, size, gov_merkle_node, c)) < 0)
        return rc;
    *out = json_pack("{s:I,s:I,s:o,s:o,s:o}", "index", (json_int_t)index, "size",
                     (json_int_t)size, "leaf_hash", hex_json(leaf, MG_SHA256_LEN), "root",
                     hex_json(root, MG_SHA256_LEN), "proof", proof_json(&p));
    return *out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
}

/* size 0 means the latest signed tree head's size. */
int mg_gov_inclusion_proof(json_t **out, mg_store *s, uint64_t index, uint64_t size)
{
    gov_conn *c = NULL;
    json_t *th = NULL;
    int rc;

    *out = NULL;
    if ((rc = gov_conn_get(&c, s)) < 0)
        return rc;
    if ((rc = read_begin(c)) < 0)
        goto done;
    if (size == 0) {
        if ((rc = gov_tree_head_json(&th, c, 0)) < 0)
            goto end;
        size = (uint64_t)json_integer_value(json_object_get(th, "size"));
    }
    rc = gov_inclusion_json(out, c, index, size);
    if (rc == MG_OK && !th && gov_tree_head_json(&th, c, size) < 0)
        mg_error_clear(); /* no signed head of exactly this size: the proof stands alone */
    if (rc == MG_OK && th)
        json_object_set(*out, "tree_head", th);
end:
    read_end(c);
done:
    json_decref(th);
    gov_conn_put(s, c);
    return rc;
}

int mg_gov_consistency_proof(json_t **out, mg_store *s, uint64_t first, uint64_t second)
{
    unsigned char r1[MG_SHA256_LEN], r2[MG_SHA256_LEN];
    mg_merkle_proof p;
    gov_conn *c = NULL;
    uint64_t have;
    int rc;

    *out = NULL;
    if ((rc = gov_conn_get(&c, s)) < 0)
        return rc;
    if ((rc = read_begin(c)) < 0)
        goto done;
    if ((rc = log_size(&have, c)) < 0)
        goto end;
    if (second > have || first > second) {
        rc = mg_error_set(MG_EINVAL, "consistency %llu -> %llu: need first <= second <= %llu "
                                     "(the log's size)",
                          (unsigned long long)first, (unsigned long long)second,
                          (unsigned long long)have);
        goto end;
    }
    if ((rc = mg_merkle_consistency_proof(&p, first, second, gov_merkle_node, c)) < 0 ||
        (rc = mg_merkle_root(r1, first, gov_merkle_node, c)) < 0 ||
        (rc = mg_merkle_root(r2, second, gov_merkle_node, c)) < 0)
        goto end;
    *out = json_pack("{s:I,s:I,s:o,s:o,s:o}", "first", (json_int_t)first, "second",
                     (json_int_t)second, "first_root", hex_json(r1, MG_SHA256_LEN), "second_root",
                     hex_json(r2, MG_SHA256_LEN), "proof", proof_json(&p));
    if (!*out)
        rc = mg_error_set(MG_ENOMEM, "out of memory");
end:
    read_end(c);
done:
    gov_conn_put(s, c);
    return rc;
}
