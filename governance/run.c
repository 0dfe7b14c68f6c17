/* run.c - training runs: what data, config, seed and code produced which artifact, and its privacy spend. */
#include "inventory.h"

#include <stdio.h>
#include <string.h>

typedef struct run_arg {
    mg_gov_result *res;
    const mg_gov_run *r;
    const mg_gov_run_result *out;
    int64_t run_id;
} run_arg;

static int run_start_change(gov_tx *tx, void *arg)
{
    run_arg *a = arg;
    sqlite3_stmt *st = gov_stmt(tx->c, "SELECT sha256 FROM datasets WHERE id = ?");
    char sha[MG_SHA256_HEX], config_sha[MG_SHA256_HEX], now[32];
    json_t *subject;
    int rc;

    if (!st)
        return MG_ERROR;
    sqlite3_bind_int64(st, 1, a->r->dataset_id);
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
        rc = rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no data set %lld",
                                              (long long)a->r->dataset_id)
                               : gov_db_error(tx->c, "datasets");
        sqlite3_reset(st);
        return rc;
    }
    snprintf(sha, sizeof sha, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if ((rc = gov_json_sha256(config_sha, a->r->config)) < 0)
        return rc;
    if (!(st = gov_stmt(tx->c, "INSERT INTO runs (dataset_id, config_json, seed, code_version, "
                               "status, started, started_by, start_index) VALUES (?, ?, ?, ?, "
                               "'running', ?, ?, ?)")))
        return MG_ERROR;
    gov_now(now);
    sqlite3_bind_int64(st, 1, a->r->dataset_id);
    if ((rc = gov_bind_json(st, 2, a->r->config)) < 0)
        return rc;
    if (a->r->has_seed)
        sqlite3_bind_int64(st, 3, a->r->seed);
    gov_bind_text(st, 4, a->r->code_version);
    gov_bind_text(st, 5, now);
    gov_bind_text(st, 6, tx->actor->name);
    sqlite3_bind_int64(st, 7, tx->log.size);
    if ((rc = gov_step_done(tx->c, st, "runs")) < 0)
        return rc;
    a->res->id = sqlite3_last_insert_rowid(tx->c->db);
    subject = json_pack("{s:I,s:I,s:s,s:s,s:s}", "run_id", (json_int_t)a->res->id, "dataset_id",
                        (json_int_t)a->r->dataset_id, "dataset_sha256", sha, "config_sha256",
                        config_sha, "code_version", a->r->code_version);
    if (subject)
        json_object_set_new(subject, "seed",
                            a->r->has_seed ? json_integer(a->r->seed) : json_null());
    return gov_append(&a->res->log_index, tx, "run.start", subject);
}

int mg_gov_run_start(mg_gov_result *res, mg_store *s, const mg_actor *by, const mg_gov_run *r)
{
    run_arg a = {res, r, NULL, 0};
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, MG_ROLE_SUBMITTER, "starting a training run")) < 0 ||
        (rc = gov_check_object(r->config, 1, "run config")) < 0 ||
        (rc = gov_check_text(r->code_version, 200, 1, "run code_version")) < 0)
        return rc;
    return gov_write(s, by, run_start_change, &a);
}

static int run_finish_change(gov_tx *tx, void *arg)
{
    run_arg *a = arg;
    const mg_gov_run_result *o = a->out;
    sqlite3_stmt *st = gov_stmt(tx->c, "SELECT r.status, d.sha256 FROM runs r JOIN datasets d ON "
                                       "d.id = r.dataset_id WHERE r.id = ?");
    char sha[MG_SHA256_HEX], results_sha[MG_SHA256_HEX], now[32];
    json_t *results = NULL, *privacy = NULL, *subject;
    int rc;

    if (!st)
        return MG_ERROR;
    sqlite3_bind_int64(st, 1, a->run_id);
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
        rc = rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no run %lld", (long long)a->run_id)
                               : gov_db_error(tx->c, "runs");
        sqlite3_reset(st);
        return rc;
    }
    if (strcmp((const char *)sqlite3_column_text(st, 0), "running") != 0) {
        rc = mg_error_set(MG_ECONFLICT, "run %lld is already %s", (long long)a->run_id,
                          (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        return rc;
    }
    snprintf(sha, sizeof sha, "%s", (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    /* a failed run released nothing, so it spends privacy only when it says what it spent */
    if ((!o->failed || o->privacy) &&
        (rc = gov_ledger_add(&privacy, tx, sha, a->run_id, o->privacy)) < 0)
        return rc;
    results = json_pack("{s:O?,s:O?,s:O?}", "metrics", o->metrics, "loss_curves",
                        o->loss_curves, "privacy", o->privacy);
    if (!results || (rc = gov_json_sha256(results_sha, results)) < 0) {
        rc = results ? rc : mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if (!(st = gov_stmt(tx->c, "UPDATE runs SET status = ?, metrics_json = ?, loss_curves_json = "
                               "?, privacy_json = ?, artifact_sha256 = ?, finished = ?, "
                               "finish_index = ? WHERE id = ?"))) {
        rc = MG_ERROR;
        goto done;
    }
    gov_now(now);
    gov_bind_text(st, 1, o->failed ? "failed" : "finished");
    if ((rc = gov_bind_json(st, 2, o->metrics)) < 0 ||
        (rc = gov_bind_json(st, 3, o->loss_curves)) < 0 ||
        (rc = gov_bind_json(st, 4, o->privacy)) < 0)
        goto done;
    gov_bind_text(st, 5, a->res->sha256[0] ? a->res->sha256 : NULL);
    gov_bind_text(st, 6, now);
    sqlite3_bind_int64(st, 7, tx->log.size);
    sqlite3_bind_int64(st, 8, a->run_id);
    if ((rc = gov_step_done(tx->c, st, "runs")) < 0)
        goto done;
    subject = json_pack("{s:I,s:s,s:s,s:s,s:o?}", "run_id", (json_int_t)a->run_id, "status",
                        o->failed ? "failed" : "finished", "dataset_sha256", sha, "results_sha256",
                        results_sha, "privacy", privacy);
    privacy = NULL; /* the subject holds it */
    if (subject)
        json_object_set_new(subject, "artifact_sha256",
                            a->res->sha256[0] ? json_string(a->res->sha256) : json_null());
    a->res->id = a->run_id;
    rc = gov_append(&a->res->log_index, tx, "run.finish", subject);
done:
    json_decref(privacy);
    json_decref(results);
    return rc;
}

int mg_gov_run_finish(mg_gov_result *res, mg_store *s, const mg_actor *by, int64_t run_id,
                      const mg_gov_run_result *r)
{
    run_arg a = {res, NULL, r, run_id};
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, MG_ROLE_SUBMITTER, "finishing a training run")) < 0 ||
        (rc = gov_check_object(r->metrics, 0, "run metrics")) < 0 ||
        (rc = gov_check_object(r->loss_curves, 0, "run loss_curves")) < 0 ||
        (rc = gov_check_object(r->privacy, 0, "run privacy")) < 0)
        return rc;
    if ((r->artifact_path || r->artifact) &&
        (rc = gov_put_bytes_or_file(res->sha256, s, r->artifact_path, r->artifact,
                                    r->artifact_len, "run artifact")) < 0)
        return rc;
    return gov_write(s, by, run_finish_change, &a);
}

typedef struct get_arg {
    json_t **out;
    int64_t id;
} get_arg;

static int run_get_read(gov_conn *c, void *arg)
{
    get_arg *a = arg;
    sqlite3_stmt *q = gov_stmt(c, "SELECT r.*, d.sha256 AS dataset_sha256, d.name AS "
                                  "dataset_name FROM runs r JOIN datasets d ON d.id = "
                                  "r.dataset_id WHERE r.id = ?");
    json_t *ledger = NULL;
    char missing[64];
    int rc;

    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, a->id);
    snprintf(missing, sizeof missing, "no run %lld", (long long)a->id);
    if ((rc = gov_row1_json(a->out, c, q, missing)) < 0)
        return rc;
    if ((rc = gov_ledger_of_run(&ledger, c, a->id)) < 0) {
        json_decref(*a->out);
        *a->out = NULL;
        return rc;
    }
    json_object_set_new(*a->out, "privacy_ledger", ledger ? ledger : json_null());
    return MG_OK;
}

int mg_gov_run_get(json_t **out, mg_store *s, int64_t run_id)
{
    get_arg a = {out, run_id};
    *out = NULL;
    return gov_read(s, run_get_read, &a);
}
