/* route_reports.c - /models/{name}/versions/{v}/reports: bias / explain specs run as jobs. */
#include "app.h"
#include "report.h"
#include "routes_all.h"

#include "mg_error.h"
#include "mg_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int web_get_reports(web_reply *rep, web_request *req)
{
    int64_t v;
    json_t *list;
    int rc;

    if ((rc = web_param_id(&v, req, "v")) < 0 ||
        (rc = mg_gov_reports_list(&list, req->srv->app->store, web_param(req, "name"), v)) < 0)
        return rc;
    return web_reply_list(rep, "reports", list);
}

int web_get_report(web_reply *rep, web_request *req)
{
    int64_t id;
    json_t *out;
    int rc;

    if ((rc = web_param_id(&id, req, "id")) < 0 ||
        (rc = mg_gov_report_get(&out, req->srv->app->store, id)) < 0)
        return rc;
    return web_reply_json(rep, 200, out);
}

typedef struct report_ctx {
    mg_server *srv;
    mg_actor actor;
    char model[MG_ACTOR_NAME_MAX];
    int64_t version;
    json_t *spec;
} report_ctx;

static void report_ctx_free(void *ud)
{
    report_ctx *r = ud;
    json_decref(r->spec);
    free(r);
}

/* The version's current artifact and the data set: compute, then store the report. */
static int report_job(web_job *job, void *ud, json_t **result, char **link)
{
    report_ctx *r = ud;
    mg_store *st = r->srv->app->store;
    json_t *ver = NULL, *ds = NULL, *doc = NULL;
    char *model_path = NULL, *data_path = NULL;
    const char *artifact;
    mg_model *m = NULL;
    mg_gov_report rep = {0};
    mg_gov_result res;
    int rc;

    if ((rc = mg_gov_version_get(&ver, st, r->model, r->version)) < 0 ||
        (rc = mg_gov_dataset_get(&ds, st, json_string_value(json_object_get(r->spec,
                                                                             "dataset")))) < 0)
        goto done;
    artifact = json_string_value(json_object_get(ver, "artifact_sha256"));
    if ((rc = mg_gov_artifact_path(&model_path, st, artifact)) < 0 ||
        (rc = mg_gov_artifact_path(&data_path, st,
                                   json_string_value(json_object_get(ds, "sha256")))) < 0 ||
        (rc = mg_model_load(&m, model_path)) < 0 ||
        (rc = web_report_run(&doc, r->spec, m, model_path, data_path, job)) < 0)
        goto done;
    rep.kind = json_string_value(json_object_get(r->spec, "kind"));
    rep.config = r->spec;
    rep.document = doc;
    rep.artifact_sha256 = artifact;
    rep.dataset_id = (int64_t)json_integer_value(json_object_get(ds, "id"));
    if ((rc = mg_gov_report_write(&res, st, &r->actor, r->model, r->version, &rep)) < 0)
        goto done;
    *result = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I}", "report_id", (json_int_t)res.id, "kind",
                        rep.kind, "sha256", res.sha256, "artifact_sha256", artifact, "version",
                        (json_int_t)r->version, "log_index", (json_int_t)res.log_index);
    web_publish(r->srv, "report.ready",
                json_pack("{s:s, s:I, s:I, s:s, s:s}", "model", r->model, "version",
                          (json_int_t)r->version, "report_id", (json_int_t)res.id, "kind",
                          rep.kind, "sha256", res.sha256));
    *link = web_strdupf("/api/v1/reports/%lld", (long long)res.id);
done:
    mg_model_free(m);
    free(model_path);
    free(data_path);
    json_decref(doc);
    json_decref(ds);
    json_decref(ver);
    return rc;
}

int web_post_report(web_reply *rep, web_request *req)
{
    const char *name = web_param(req, "name");
    json_t *ver, *job, *subject;
    report_ctx *r;
    int64_t v, id;
    int rc;

    if ((rc = web_param_id(&v, req, "v")) < 0 || (rc = web_report_check(req->body)) < 0 ||
        (rc = mg_gov_version_get(&ver, req->srv->app->store, name, v)) < 0)
        return rc;
    json_decref(ver);
    if (!(r = calloc(1, sizeof *r)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    r->srv = req->srv;
    r->actor = req->who.actor;
    snprintf(r->model, sizeof r->model, "%s", name);
    r->version = v;
    r->spec = json_incref(req->body);
    subject = json_pack("{s:s, s:I, s:O}", "model", name, "version", (json_int_t)v, "kind",
                        json_object_get(req->body, "kind"));
    rc = web_jobs_submit(&id, req->srv->app->jobs, "report", req->who.name, subject, report_job,
                         r, report_ctx_free);
    json_decref(subject);
    if (rc < 0 || (rc = web_app_job_get(&job, req->srv, id)) < 0)
        return rc;
    snprintf(rep->location, sizeof rep->location, "/api/v1/jobs/%lld", (long long)id);
    return web_reply_json(rep, 202, job);
}
