/* report.c - bias, explain, privacy and evaluation reports: canonical JSON stored by sha256. */
#include "inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"bias", "explain", "privacy", "evaluation"};

static int check_report(const mg_gov_report *r)
{
    size_t k;
    int rc;

    for (k = 0; k < sizeof kinds / sizeof *kinds; k++)
        if (r->kind && strcmp(r->kind, kinds[k]) == 0)
            break;
    if (k == sizeof kinds / sizeof *kinds)
        return mg_error_set(MG_EINVAL, "report kind '%s': expected bias, explain, privacy or "
                                       "evaluation",
                            r->kind ? r->kind : "");
    if ((rc = gov_check_object(r->document, 1, "report document")) < 0 ||
        (rc = gov_check_object(r->config, 0, "report config")) < 0)
        return rc;
    /* the shapes of DESIGN §3 that the gates and cards read */
    if (strcmp(r->kind, "bias") == 0 && !json_is_object(json_object_get(r->document, "metrics")))
        return mg_error_set(MG_EINVAL, "bias report: expected a \"metrics\" object (DESIGN §3)");
    if (strcmp(r->kind, "explain") == 0 && !json_is_object(json_object_get(r->document, "global")))
        return mg_error_set(MG_EINVAL, "explain report: expected a \"global\" object (DESIGN §3)");
    if (r->artifact_sha256 && !mg_hex_is_sha256(r->artifact_sha256))
        return mg_error_set(MG_EINVAL, "report artifact_sha256 '%.80s' is not a sha256",
                            r->artifact_sha256);
    return MG_OK;
}

typedef struct report_arg {
    mg_gov_result *res;
    const char *model;
    int64_t number;
    const mg_gov_report *r;
} report_arg;

static int report_change(gov_tx *tx, void *arg)
{
    report_arg *a = arg;
    const mg_gov_report *r = a->r;
    char now[32], config_sha[MG_SHA256_HEX];
    json_t *empty = json_object(), *subject;
    const json_t *config = r->config ? r->config : empty;
    sqlite3_stmt *st;
    gov_version v;
    int rc;

    if (!empty)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = gov_version_find(&v, tx->c, a->model, a->number)) < 0)
        goto done;
    if (r->dataset_id) {
        if (!(st = gov_stmt(tx->c, "SELECT 1 FROM datasets WHERE id = ?"))) {
            rc = MG_ERROR;
            goto done;
        }
        sqlite3_bind_int64(st, 1, r->dataset_id);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW) {
            rc = rc == SQLITE_DONE ? mg_error_set(MG_ENOTFOUND, "no data set %lld",
                                                  (long long)r->dataset_id)
                                   : gov_db_error(tx->c, "datasets");
            goto done;
        }
    }
    if ((rc = gov_json_sha256(config_sha, config)) < 0)
        goto done;
    if (!(st = gov_stmt(tx->c, "INSERT INTO reports (version_id, kind, config_json, sha256, "
                               "artifact_sha256, dataset_id, created, created_by, log_index) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"))) {
        rc = MG_ERROR;
        goto done;
    }
    gov_now(now);
    sqlite3_bind_int64(st, 1, v.id);
    gov_bind_text(st, 2, r->kind);
    if ((rc = gov_bind_json(st, 3, config)) < 0)
        goto done;
    gov_bind_text(st, 4, a->res->sha256);
    gov_bind_text(st, 5, r->artifact_sha256 ? r->artifact_sha256 : v.artifact);
    if (r->dataset_id)
        sqlite3_bind_int64(st, 6, r->dataset_id);
    gov_bind_text(st, 7, now);
    gov_bind_text(st, 8, tx->actor->name);
    sqlite3_bind_int64(st, 9, tx->log.size);
    if ((rc = gov_step_done(tx->c, st, "reports")) < 0)
        goto done;
    a->res->id = sqlite3_last_insert_rowid(tx->c->db);
    a->res->number = v.number;
    subject = json_pack("{s:I,s:s,s:I,s:I,s:s,s:s,s:s,s:s}", "report_id", (json_int_t)a->res->id,
                        "model", a->model, "version", (json_int_t)v.number, "version_id",
                        (json_int_t)v.id, "kind", r->kind, "sha256", a->res->sha256,
                        "artifact_sha256", r->artifact_sha256 ? r->artifact_sha256 : v.artifact,
                        "config_sha256", config_sha);
    if (subject)
        json_object_set_new(subject, "dataset_id",
                            r->dataset_id ? json_integer(r->dataset_id) : json_null());
    rc = gov_append(&a->res->log_index, tx, "report.write", subject);
done:
    json_decref(empty);
    return rc;
}

int mg_gov_report_write(mg_gov_result *res, mg_store *s, const mg_actor *by, const char *model,
                        int64_t number, const mg_gov_report *r)
{
    report_arg a = {res, model, number, r};
    mg_buf bytes = MG_BUF_INIT;
    int rc;

    memset(res, 0, sizeof *res);
    if ((rc = gov_require_role(by, MG_ROLE_SUBMITTER, "writing a report")) < 0 ||
        (rc = check_report(r)) < 0)
        return rc;
    /* stored canonically, so its sha256 names its content, not its formatting */
    if ((rc = mg_jcs_append(&bytes, r->document)) < 0 ||
        (rc = mg_gov_artifact_put(res->sha256, s, bytes.ptr, bytes.len)) < 0)
        goto done;
    rc = gov_write(s, by, report_change, &a);
done:
    mg_buf_free(&bytes);
    return rc;
}

typedef struct read_arg {
    json_t **out;
    const char *model;
    int64_t number, id;
    mg_store *s;
} read_arg;

static int reports_list_read(gov_conn *c, void *arg)
{
    read_arg *a = arg;
    sqlite3_stmt *q;
    gov_version v;
    int rc;

    if ((rc = gov_version_find(&v, c, a->model, a->number)) < 0)
        return rc;
    if (!(q = gov_stmt(c, "SELECT id, kind, config_json, sha256, artifact_sha256, dataset_id, "
                          "created, created_by, log_index FROM reports WHERE version_id = ? "
                          "ORDER BY id")))
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, v.id);
    if ((rc = gov_rows_json(a->out, c, q, "reports")) < 0)
        return rc;
    gov_mark_fresh(*a->out, v.artifact);
    return MG_OK;
}

int mg_gov_reports_list(json_t **out, mg_store *s, const char *model, int64_t number)
{
    read_arg a = {out, model, number, 0, s};
    *out = NULL;
    return gov_read(s, reports_list_read, &a);
}

static int report_get_read(gov_conn *c, void *arg)
{
    read_arg *a = arg;
    sqlite3_stmt *q = gov_stmt(c, "SELECT r.id, m.name AS model, v.number AS version, r.kind, "
                                  "r.config_json, r.sha256, r.artifact_sha256, r.dataset_id, "
                                  "r.created, r.created_by, r.log_index FROM reports r JOIN "
                                  "versions v ON v.id = r.version_id JOIN models m ON m.id = "
                                  "v.model_id WHERE r.id = ?");
    char missing[64];

    if (!q)
        return MG_ERROR;
    sqlite3_bind_int64(q, 1, a->id);
    snprintf(missing, sizeof missing, "no report %lld", (long long)a->id);
    return gov_row1_json(a->out, c, q, missing);
}

int mg_gov_report_get(json_t **out, mg_store *s, int64_t id)
{
    read_arg a = {out, NULL, 0, id, s};
    mg_buf bytes = MG_BUF_INIT;
    json_t *doc;
    int rc;

    *out = NULL;
    if ((rc = gov_read(s, report_get_read, &a)) < 0)
        return rc;
    if ((rc = mg_gov_artifact_read(&bytes, s,
                                   json_string_value(json_object_get(*out, "sha256")))) < 0)
        goto fail;
    if (!(doc = json_loadb(bytes.ptr, bytes.len, 0, NULL))) {
        rc = mg_error_set(MG_EPARSE, "report %lld: stored document is not JSON", (long long)id);
        goto fail;
    }
    json_object_set_new(*out, "document", doc);
    mg_buf_free(&bytes);
    return MG_OK;
fail:
    mg_buf_free(&bytes);
    json_decref(*out);
    *out = NULL;
    return rc;
}
