/* keyring.c - the store's signing keys: listing and rotation announced in the log. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rotate_arg {
    mg_gov_result *res;
    mg_key *next;
    const char *pem;
} rotate_arg;

/*
 * The new key is announced by an entry signed with the old one, so a
 * verifier who trusts the first key can follow every later one (as a
 * transparency log's witnesses do); only then does the new key sign.
 */
static int rotate_change(gov_tx *tx, void *arg)
{
    rotate_arg *a = arg;
    sqlite3_stmt *st;
    json_t *subject;
    char now[32];
    int rc;

    if (!tx->s->signer)
        return mg_error_set(MG_EPARSE, "the store has no active signing key");
    subject = json_pack("{s:s,s:s,s:s}", "previous_key_id", mg_key_id(tx->s->signer), "key_id",
                        mg_key_id(a->next), "public_key", a->pem);
    rc = subject ? gov_log_append(&a->res->log_index, tx, "key.rotate", subject)
                 : mg_error_set(MG_ENOMEM, "out of memory");
    json_decref(subject);
    if (rc < 0)
        return rc;
    if (!(st = gov_stmt(tx->c, "UPDATE keys SET status = 'retired' WHERE status = 'active'")) ||
        (rc = gov_step_done(tx->c, st, "keys")) < 0)
        return st ? rc : MG_ERROR;
    if (!(st = gov_stmt(tx->c, "INSERT INTO keys (id, public_pem, created, status, "
                               "announced_index) VALUES (?, ?, ?, 'active', ?)")))
        return MG_ERROR;
    gov_now(now);
    gov_bind_text(st, 1, mg_key_id(a->next));
    gov_bind_text(st, 2, a->pem);
    gov_bind_text(st, 3, now);
    sqlite3_bind_int64(st, 4, a->res->log_index);
    if ((rc = gov_step_done(tx->c, st, "keys")) < 0)
        return rc;
    /* Later changes of this batch sign with the new key. Were the batch to roll back, the
       next batch reloads the key the keys table names. */
    mg_key_free(tx->s->signer);
    tx->s->signer = a->next;
    a->next = NULL;
    return MG_OK;
}

int mg_gov_key_rotate(mg_gov_result *res, mg_store *s, const mg_actor *by)
{
    mg_buf pem = MG_BUF_INIT;
    mg_key *next = NULL;
    char *path = NULL;
    rotate_arg a;
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, MG_ROLE_ADMIN, "rotating the signing key")) < 0)
        return rc;
    if ((rc = mg_key_generate(&next)) < 0 || (rc = mg_key_public_pem(&pem, next)) < 0)
        goto done;
    if (!(path = malloc(strlen(s->keys) + MG_SHA256_HEX + 8))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    sprintf(path, "%s/%s.pem", s->keys, mg_key_id(next));
    if ((rc = mg_key_save(next, path)) < 0)
        goto done;
    snprintf(res->sha256, sizeof res->sha256, "%s", mg_key_id(next));
    a.res = res;
    a.next = next;
    a.pem = pem.ptr;
    rc = gov_write(s, by, rotate_change, &a);
    next = a.next; /* NULL when the store took it */
done:
    mg_key_free(next);
    mg_buf_free(&pem);
    free(path);
    return rc;
}

int gov_keys_json(json_t **out, gov_conn *c)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT id, status, created, announced_index, public_pem FROM "
                                  "keys ORDER BY announced_index");
    json_t *arr = json_array();
    int rc;

    *out = NULL;
    if (!q || !arr) {
        json_decref(arr);
        return q ? mg_error_set(MG_ENOMEM, "out of memory") : MG_ERROR;
    }
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:s}", "key_id",
                                             (const char *)sqlite3_column_text(q, 0), "status",
                                             (const char *)sqlite3_column_text(q, 1), "created",
                                             (const char *)sqlite3_column_text(q, 2),
                                             "announced_index",
                                             (json_int_t)sqlite3_column_int64(q, 3), "public_key",
                                             (const char *)sqlite3_column_text(q, 4)));
    rc = rc == SQLITE_DONE ? MG_OK : gov_db_error(c, "keys");
    sqlite3_reset(q);
    if (rc < 0)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

int mg_gov_keys_list(json_t **out, mg_store *s)
{
    gov_conn *c = NULL;
    int rc;

    *out = NULL;
    if ((rc = gov_conn_get(&c, s)) < 0)
        return rc;
    rc = gov_keys_json(out, c);
    gov_conn_put(s, c);
    return rc;
}
