/* version.c - model versions: an artifact, its stage, its submitter, the run that made it; comments. */
#include "inventory.h"

#include <stdio.h>
#include <string.h>

int gov_version_find(gov_version *v, gov_conn *c, const char *model, int64_t number)
{
    sqlite3_stmt *q = gov_stmt(c, "SELECT v.id, v.model_id, v.number, coalesce(v.run_id, 0), "
                                  "v.log_index, v.stage, v.artifact_sha256, v.submitter FROM "
                                  "versions v JOIN models m ON m.id = v.model_id WHERE m.name = ? "
                                  "AND v.number = ?");
    int64_t model_id;
    int rc;

    memset(v, 0, sizeof *v);
    if (!q)
        return MG_ERROR;
    gov_bind_text(q, 1, model);
    sqlite3_bind_int64(q, 2, number);
    if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        v->id = sqlite3_column_int64(q, 0);
        v->model_id = sqlite3_column_int64(q, 1);
        v->number = sqlite3_column_int64(q, 2);
        v->run_id = sqlite3_column_int64(q, 3);
        v->log_index = sqlite3_column_int64(q, 4);
        snprintf(v->model, sizeof v->model, "%s", model);
        snprintf(v->stage, sizeof v->stage, "%s", (const char *)sqlite3_column_text(q, 5));
        snprintf(v->artifact, sizeof v->artifact, "%s", (const char *)sqlite3_column_text(q, 6));
        snprintf(v->submitter, sizeof v->submitter, "%s", (const char *)sqlite3_column_text(q, 7));
        rc = MG_OK;
    } else if (rc != SQLITE_DONE) {
        rc = gov_db_error(c, "versions");
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE)
        return rc;
    if ((rc = gov_model_find(&model_id, NULL, c, model)) < 0)
        return rc;
    return mg_error_set(MG_ENOTFOUND, "model '%s' has no version %lld", model, (long long)number);
}

void gov_mark_fresh(json_t *reports, const char *artifact)
{
    size_t i;
    json_t *r;

    json_array_foreach(reports, i, r)
    {
        const char *on = json_string_value(json_object_get(r, "artifact_sha256"));
        json_object_set_new(r, "fresh", json_boolean(on && strcmp(on, artifact) == 0));
    }
}

typedef struct version_arg {
    mg_gov_result *res;
    const char *model;
    const mg_gov_version *v;
} version_arg;

static int version_register_change(gov_tx *tx, void *arg)
{
    version_arg *a = arg;
    json_t *run_metrics = NULL, *subject;
    const json_t *metrics;
    sqlite3_stmt *st;
    int64_t model_id;
    char now[32], metrics_sha[MG_SHA256_HEX];
    int rc;

    if ((rc = gov_model_find(&model_id, NULL, tx->c, a->model)) < 0)
        return rc;
    if (a->v->run_id) {
        const char *made;
        if (!(st = gov_stmt(tx->c, "SELECT status, metrics_json, artifact_sha256 FROM runs WHERE "
                                   "id = ?")))
            return MG_ERROR;
        sqlite3_bind_int64(st, 1, a->v->run_id);
        if ((rc = sqlite3_step(st)) != SQLITE_ROW)
            rc = rc == SQLITE_DONE
                     ? mg_error_set(MG_ENOTFOUND, "no run %lld", (long long)a->v->run_id)
                     : gov_db_error(tx->c, "runs");
        else if (strcmp((const char *)sqlite3_column_text(st, 0), "finished") != 0)
            rc = mg_error_set(MG_ECONFLICT, "run %lld is %s; only a finished run makes a version",
                              (long long)a->v->run_id, (const char *)sqlite3_column_text(st, 0));
        /* the lineage says the run made this artifact: it must be the one the run recorded */
        else if ((made = (const char *)sqlite3_column_text(st, 2)) &&
                 strcmp(made, a->res->sha256) != 0)
            rc = mg_error_set(MG_ECONFLICT, "model '%s': artifact sha256 %s is not the artifact "
                                            "run %lld made (sha256 %s)",
                              a->model, a->res->sha256, (long long)a->v->run_id, made);
        else
            rc = (run_metrics = gov_col_json(st, 1), MG_OK);
        sqlite3_reset(st);
        if (rc < 0)
            return rc;
    }
    /* the gates read these metrics, so the entry pins them (verify compares) */
    metrics = a->v->metrics ? a->v->metrics : run_metrics;
    if ((rc = gov_json_sha256(metrics_sha, metrics)) < 0)
        goto done;
    if (!(st = gov_stmt(tx->c, "SELECT coalesce(max(number), 0) + 1 FROM versions WHERE "
                               "model_id = ?"))) {
        rc = MG_ERROR;
        goto done;
    }
    sqlite3_bind_int64(st, 1, model_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = gov_db_error(tx->c, "versions");
        sqlite3_reset(st);
        goto done;
    }
    a->res->number = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (!(st = gov_stmt(tx->c, "INSERT INTO versions (model_id, number, artifact_sha256, stage, "
                               "submitter, run_id, metrics_json, description, created, updated, "
                               "log_index) VALUES (?, ?, ?, 'registered', ?, ?, ?, ?, ?, ?, ?)"))) {
        rc = MG_ERROR;
        goto done;
    }
    gov_now(now);
    sqlite3_bind_int64(st, 1, model_id);
    sqlite3_bind_int64(st, 2, a->res->number);
    gov_bind_text(st, 3, a->res->sha256);
    gov_bind_text(st, 4, tx->actor->name);
    if (a->v->run_id)
        sqlite3_bind_int64(st, 5, a->v->run_id);
    if ((rc = gov_bind_json(st, 6, metrics)) < 0)
        goto done;
    gov_bind_text(st, 7, a->v->description ? a->v->description : "");
    gov_bind_text(st, 8, now);
    gov_bind_text(st, 9, now);
    sqlite3_bind_int64(st, 10, tx->log.size);
    if ((rc = gov_step_done(tx->c, st, "versions")) < 0)
        goto done;
    a->res->id = sqlite3_last_insert_rowid(tx->c->db);
    subject = json_pack("{s:s,s:I,s:I,s:I,s:s}", "model", a->model, "model_id",
                        (json_int_t)model_id, "version", (json_int_t)a->res->number, "version_id",
                        (json_int_t)a->res->id, "artifact_sha256", a->res->sha256);
    if (subject) {
        json_object_set_new(subject, "run_id",
                            a->v->run_id ? json_integer(a->v->run_id) : json_null());
        json_object_set_new(subject, "metrics_sha256",
                            metrics ? json_string(metrics_sha) : json_null());
    }
    rc = gov_append(&a->res->log_index, tx, "version.register", subject);
done:
    json_decref(run_metrics);
    return rc;
}

int mg_gov_version_register(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *model,
                            const mg_gov_version *v)
{
    version_arg a = {res, model, v};
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, MG_ROLE_SUBMITTER, "registering a model version")) < 0 ||
        (rc = gov_check_object(v->metrics, 0, "version metrics")) < 0 ||
        (rc = gov_check_text(v->description, 4000, 0, "version description")) < 0)
        return rc;
    if ((rc = gov_put_bytes_or_file(res->sha256, s, v->artifact_path, v->artifact,
                                    v->artifact_len, "model artifact")) < 0)
        return rc;
    return gov_write(s, by, version_register_change, &a);
}

typedef struct comment_arg {
    mg_gov_result *res;
    const char *model;
    int64_t number;
    const char *text;
} comment_arg;

static int comment_change(gov_tx *tx, void *arg)
{
    comment_arg *a = arg;
    sqlite3_stmt *st;
    gov_version v;
    char now[32];
    int rc;

    if ((rc = gov_version_find(&v, tx->c, a->model, a->number)) < 0)
        return rc;
    if (!(st = gov_stmt(tx->c, "INSERT INTO comments (version_id, actor, text, created, "
                               "log_index) VALUES (?, ?, ?, ?, ?)")))
        return MG_ERROR;
    gov_now(now);
    sqlite3_bind_int64(st, 1, v.id);
    gov_bind_text(st, 2, tx->actor->name);
    gov_bind_text(st, 3, a->text);
    gov_bind_text(st, 4, now);
    sqlite3_bind_int64(st, 5, tx->log.size);
    if ((rc = gov_step_done(tx->c, st, "comments")) < 0)
        return rc;
    a->res->id = sqlite3_last_insert_rowid(tx->c->db);
    a->res->number = v.number;
    return gov_append(&a->res->log_index, tx, "version.comment",
                      json_pack("{s:I,s:s,s:I,s:I,s:s}", "comment_id", (json_int_t)a->res->id,
                                "model", a->model, "version", (json_int_t)v.number, "version_id",
                                (json_int_t)v.id, "text", a->text));
}

int mg_gov_version_comment(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *model,
                           int64_t number, const char *text)
{
    comment_arg a = {res, model, number, text};
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, MG_ROLE_SUBMITTER, "commenting on a version")) < 0 ||
        (rc = gov_check_text(text, 4000, 1, "comment")) < 0)
        return rc;
    return gov_write(s, by, comment_change, &a);
}

typedef struct read_arg {
    json_t **out;
    const char *model;
    int64_t number;
} read_arg;

/* Attach the rows of `sql` (bound to the version id) as `key`. */
static int attach_rows(json_t *obj, const char *key, gov_conn *c, const char *sql, int64_t id)
{
    sqlite3_stmt *q = gov_stmt(c, sql);
    json_t *rows = NULL;
    int rc;

    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, id);
    if ((rc = gov_rows_json(&rows, c, q, key)) < 0)
        return rc;
    json_object_set_new(obj, key, rows);
    return MG_OK;
}

static int version_get_read(gov_conn *c, void *arg)
{
    read_arg *a = arg;
    sqlite3_stmt *q;
    json_t *ledger = NULL;
    gov_version v;
    int rc;

    if ((rc = gov_version_find(&v, c, a->model, a->number)) < 0)
        return rc;
    if (!(q = gov_stmt(c, "SELECT v.id, m.name AS model, v.number AS version, v.stage, "
                          "v.artifact_sha256, v.submitter, v.run_id, v.metrics_json, "
                          "v.description, v.created, v.updated, v.log_index FROM versions v JOIN "
                          "models m ON m.id = v.model_id WHERE v.id = ?")))
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, v.id);
    if ((rc = gov_row1_json(a->out, c, q, "version")) < 0)
        return rc;
    if ((rc = attach_rows(*a->out, "reports", c,
                          "SELECT id, kind, sha256, artifact_sha256, dataset_id, created, "
                          "created_by, log_index FROM reports WHERE version_id = ? ORDER BY id",
                          v.id)) < 0 ||
        (rc = attach_rows(*a->out, "transitions", c,
                          "SELECT id, from_stage, to_stage, actor, role, comment, gates_json, "
                          "created, log_index FROM transitions WHERE version_id = ? ORDER BY id",
                          v.id)) < 0 ||
        (rc = attach_rows(*a->out, "comments", c,
                          "SELECT id, actor, text, created, log_index FROM comments WHERE "
                          "version_id = ? ORDER BY id",
                          v.id)) < 0 ||
        (v.run_id && (rc = gov_ledger_of_run(&ledger, c, v.run_id)) < 0))
        goto fail;
    gov_mark_fresh(json_object_get(*a->out, "reports"), v.artifact);
    json_object_set_new(*a->out, "privacy", ledger ? ledger : json_null());
    return MG_OK;
fail:
    json_decref(*a->out);
    *a->out = NULL;
    return rc;
}

int mg_gov_version_get(json_t **out, mg_store *s, const char *model, int64_t number)
{
    read_arg a = {out, model, number};
    *out = NULL;
    return gov_read(s, version_get_read, &a);
}

static int versions_list_read(gov_conn *c, void *arg)
{
    read_arg *a = arg;
    sqlite3_stmt *q;
    int64_t model_id;
    int rc;

    if ((rc = gov_model_find(&model_id, NULL, c, a->model)) < 0)
        return rc;
    if (!(q = gov_stmt(c, "SELECT id, number AS version, stage, artifact_sha256, submitter, "
                          "run_id, created, updated, log_index FROM versions WHERE model_id = ? "
                          "ORDER BY number")))
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, model_id);
    return gov_rows_json(a->out, c, q, "versions");
}

int mg_gov_versions_list(json_t **out, mg_store *s, const char *model)
{
    read_arg a = {out, model, 0};
    *out = NULL;
    return gov_read(s, versions_list_read, &a);
}
