/* token.c - API tokens: random secrets shown once, stored as SHA-256, compared in constant time. */
#include "store.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define SECRET_BYTES 32
#define SECRET_PREFIX "mgt_"

int gov_check_name(const char *name, const char *what)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > 64)
        return mg_error_set(MG_EINVAL, "%s: expected 1 to 64 characters, got %zu", what, n);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@'))
            return mg_error_set(MG_EINVAL, "%s '%s': character %zu ('%c') is not one of "
                                           "A-Z a-z 0-9 . _ - @",
                                what, name, i + 1, c);
    }
    return MG_OK;
}

/* base64url without padding (RFC 4648 §5): the secret is safe in headers and shells. */
static void base64url(char *out, const unsigned char *p, size_t len)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, bits = 0;
    unsigned acc = 0;

    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | p[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = a[(acc >> bits) & 63];
        }
    }
    if (bits)
        out[o++] = a[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

typedef struct token_arg {
    mg_gov_result *res;
    const char *name;
    mg_role role;
    unsigned char hash[MG_SHA256_LEN];
} token_arg;

static int token_create_change(gov_tx *tx, void *arg)
{
    token_arg *a = arg;
    unsigned char d[MG_SHA256_LEN];
    char now[32], hex[MG_SHA256_HEX];
    sqlite3_stmt *st;
    json_t *subject;
    int rc;

    if (!(st = gov_stmt(tx->c, "INSERT INTO tokens (name, role, secret_sha256, created, "
                               "created_by, log_index) VALUES (?, ?, ?, ?, ?, ?)")))
        return MG_ERROR;
    gov_now(now);
    gov_bind_text(st, 1, a->name);
    gov_bind_text(st, 2, mg_role_name(a->role));
    sqlite3_bind_blob(st, 3, a->hash, MG_SHA256_LEN, SQLITE_STATIC);
    gov_bind_text(st, 4, now);
    gov_bind_text(st, 5, tx->actor->name);
    sqlite3_bind_int64(st, 6, tx->log.size);
    if ((rc = gov_step_done(tx->c, st, "tokens")) < 0)
        return rc == MG_EEXISTS ? mg_error_set(MG_EEXISTS, "a token named '%s' exists", a->name)
                                : rc;
    a->res->id = sqlite3_last_insert_rowid(tx->c->db);
    /* the row's secret_sha256, hashed again so the log pins it and reveals nothing usable */
    if ((rc = mg_sha256_digest(d, a->hash, MG_SHA256_LEN)) < 0)
        return rc;
    mg_sha256_hex(hex, d);
    subject = json_pack("{s:I,s:s,s:s,s:s}", "token_id", (json_int_t)a->res->id, "name", a->name,
                        "role", mg_role_name(a->role), "secret_sha256_sha256", hex);
    rc = gov_log_append(&a->res->log_index, tx, "token.create", subject);
    json_decref(subject);
    return rc;
}

int mg_gov_token_create(mg_gov_result *res, char secret[MG_TOKEN_SECRET_MAX], mg_store *s,
                        const mg_actor *by, const char *name, mg_role role)
{
    unsigned char raw[SECRET_BYTES];
    token_arg a;
    int rc;

    memset(res, 0, sizeof *res);
    secret[0] = '\0';
    if ((rc = gov_require_role(by, MG_ROLE_ADMIN, "creating a token")) < 0 ||
        (rc = gov_check_name(name, "token name")) < 0)
        return rc;
    if (strcmp(name, MG_ACTOR_LOCAL) == 0)
        return mg_error_set(MG_EINVAL, "token name '%s' is reserved for the command line",
                            MG_ACTOR_LOCAL);
    if (role < MG_ROLE_VIEWER || role > MG_ROLE_ADMIN)
        return mg_error_set(MG_EINVAL, "token role %d is not a role", (int)role);
    if (RAND_bytes(raw, sizeof raw) != 1)
        return mg_error_set(MG_ERROR, "no randomness for the token secret");
    memcpy(secret, SECRET_PREFIX, sizeof SECRET_PREFIX);
    base64url(secret + strlen(SECRET_PREFIX), raw, sizeof raw);
    OPENSSL_cleanse(raw, sizeof raw);
    a.res = res;
    a.name = name;
    a.role = role;
    if ((rc = mg_sha256_digest(a.hash, secret, strlen(secret))) < 0 ||
        (rc = gov_write(s, by, token_create_change, &a)) < 0) {
        OPENSSL_cleanse(secret, MG_TOKEN_SECRET_MAX);
        secret[0] = '\0';
        return rc;
    }
    return MG_OK;
}

static int token_revoke_change(gov_tx *tx, void *arg)
{
    token_arg *a = arg;
    sqlite3_stmt *st;
    json_t *subject;
    char now[32];
    int rc;

    if (!(st = gov_stmt(tx->c, "UPDATE tokens SET revoked = ? WHERE name = ? AND revoked IS "
                               "NULL RETURNING id")))
        return MG_ERROR;
    gov_now(now);
    gov_bind_text(st, 1, now);
    gov_bind_text(st, 2, a->name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        a->res->id = sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW    ? MG_OK
         : rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no active token named '%s'", a->name)
                             : gov_db_error(tx->c, "tokens");
    sqlite3_reset(st);
    if (rc < 0)
        return rc;
    subject = json_pack("{s:I,s:s}", "token_id", (json_int_t)a->res->id, "name", a->name);
    rc = gov_log_append(&a->res->log_index, tx, "token.revoke", subject);
    json_decref(subject);
    return rc;
}

int mg_gov_token_revoke(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *name)
{
    token_arg a;
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, MG_ROLE_ADMIN, "revoking a token")) < 0)
        return rc;
    memset(&a, 0, sizeof a);
    a.res = res;
    a.name = name ? name : "";
    return gov_write(s, by, token_revoke_change, &a);
}

int mg_gov_token_authenticate(mg_actor *out, mg_store *s, const char *secret)
{
    unsigned char want[MG_SHA256_LEN];
    gov_conn *c = NULL;
    sqlite3_stmt *q;
    int rc;

    memset(out, 0, sizeof *out);
    if (!secret || strncmp(secret, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0 ||
        strlen(secret) >= MG_TOKEN_SECRET_MAX)
        return mg_error_set(MG_EAUTH, "unknown token");
    if ((rc = mg_sha256_digest(want, secret, strlen(secret))) < 0 ||
        (rc = gov_conn_get(&c, s)) < 0)
        return rc;
    /* found by its hash (which says nothing about the secret), then compared in constant time */
    if (!(q = gov_stmt(c, "SELECT name, role, secret_sha256, revoked FROM tokens WHERE "
                          "secret_sha256 = ?"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_blob(q, 1, want, MG_SHA256_LEN, SQLITE_STATIC);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW && sqlite3_column_bytes(q, 2) == MG_SHA256_LEN &&
        CRYPTO_memcmp(sqlite3_column_blob(q, 2), want, MG_SHA256_LEN) == 0) {
        snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(q, 0));
        rc = mg_role_parse(&out->role, (const char *)sqlite3_column_text(q, 1));
        if (rc == MG_OK && sqlite3_column_type(q, 3) != SQLITE_NULL)
            rc = mg_error_set(MG_EAUTH, "token '%s' was revoked", out->name);
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        rc = mg_error_set(MG_EAUTH, "unknown token");
    } else {
        rc = gov_db_error(c, "tokens");
    }
    sqlite3_reset(q);
    if (rc < 0)
        memset(out, 0, sizeof *out);
done:
    gov_conn_put(s, c);
    return rc;
}

int mg_gov_tokens_list(json_t **out, mg_store *s)
{
    gov_conn *c = NULL;
    sqlite3_stmt *q;
    json_t *arr = json_array();
    int rc;

    *out = NULL;
    if (!arr)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = gov_conn_get(&c, s)) < 0)
        goto done;
    if (!(q = gov_stmt(c, "SELECT id, name, role, created, created_by, revoked, log_index FROM "
                          "tokens ORDER BY id"))) {
        rc = MG_ERROR;
        goto done;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        json_array_append_new(
            arr, json_pack("{s:I,s:s,s:s,s:s,s:s,s:o,s:I}", "id",
                           (json_int_t)sqlite3_column_int64(q, 0), "name",
                           (const char *)sqlite3_column_text(q, 1), "role",
                           (const char *)sqlite3_column_text(q, 2), "created",
                           (const char *)sqlite3_column_text(q, 3), "created_by",
                           (const char *)sqlite3_column_text(q, 4), "revoked",
                           gov_col_text_json(q, 5), "log_index",
                           (json_int_t)sqlite3_column_int64(q, 6)));
    rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(c, "tokens");
    sqlite3_reset(q);
    if (rc == MG_OK) {
        *out = arr;
        arr = NULL;
    }
done:
    json_decref(arr);
    gov_conn_put(s, c);
    return rc;
}
