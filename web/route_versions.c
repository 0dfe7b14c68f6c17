/* route_versions.c - /models/{name}/versions: upload an artifact, or train one as a job. */
#include "app.h"
#include "routes_all.h"
#include "train.h"

#include "mg_buf.h"
#include "mg_error.h"
#include "mg_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef MG_VERSION
#define MG_VERSION "0.0.0"
#endif

/* A message that named a server-side temporary file names "the artifact" instead. */
static int hide_path(int rc, const char *path)
{
    char msg[1024];
    const char *m = mg_error_last(), *p = strstr(m, path);

    if (!p)
        return rc;
    snprintf(msg, sizeof msg, "%.*sthe uploaded artifact%s", (int)(p - m), m, p + strlen(path));
    return mg_error_set(rc, "%s", msg);
}

int web_get_versions(web_reply *rep, web_request *req)
{
    json_t *list;
    int rc = mg_gov_versions_list(&list, req->srv->app->store, web_param(req, "name"));

    return rc < 0 ? rc : web_reply_list(rep, "versions", list);
}

/* Version detail (DESIGN §4): governance's record with its model card and lineage graph. */
int web_get_version(web_reply *rep, web_request *req)
{
    const char *name = web_param(req, "name");
    char id[160];
    int64_t v;
    json_t *out, *card = NULL, *lineage = NULL;
    int rc;

    if ((rc = web_param_id(&v, req, "v")) < 0 ||
        (rc = mg_gov_version_get(&out, req->srv->app->store, name, v)) < 0)
        return rc;
    snprintf(id, sizeof id, "%s:%lld", name, (long long)v);
    if ((rc = mg_gov_card(&card, req->srv->app->store, name, v)) < 0 ||
        (rc = mg_gov_lineage(&lineage, req->srv->app->store, "version", id)) < 0) {
        json_decref(card);
        json_decref(out);
        return rc;
    }
    json_object_set_new(out, "card", card);
    json_object_set_new(out, "lineage", lineage);
    return web_reply_json(rep, 200, out);
}

/* The model card rendered as Markdown, for people and for attaching to a review. */
int web_get_card(web_reply *rep, web_request *req)
{
    mg_buf md = MG_BUF_INIT;
    int64_t v;
    json_t *card;
    int rc;

    if ((rc = web_param_id(&v, req, "v")) < 0 ||
        (rc = mg_gov_card(&card, req->srv->app->store, web_param(req, "name"), v)) < 0)
        return rc;
    rc = mg_gov_card_markdown(&md, card);
    json_decref(card);
    if (rc < 0) {
        mg_buf_free(&md);
        return rc;
    }
    rep->text_len = md.len;
    if (!(rep->text = mg_buf_detach(&md)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    rep->content_type = "text/markdown; charset=utf-8";
    return MG_OK;
}

static void version_event(mg_server *s, const char *model, const mg_gov_result *res,
                          const char *actor)
{
    web_publish(s, "version.registered",
                json_pack("{s:s, s:I, s:s, s:s, s:I}", "model", model, "version",
                          (json_int_t)res->number, "artifact_sha256", res->sha256, "submitter",
                          actor, "log_index", (json_int_t)res->log_index));
}

/* An uploaded .mgm: it must load as a model before it is registered. */
static int register_upload(web_reply *rep, web_request *req)
{
    const char *name = web_param(req, "name");
    mg_gov_version v = {0};
    mg_gov_result res;
    mg_model *m = NULL;
    json_t *out;
    int rc;

    if ((rc = mg_model_load(&m, req->upload_path)) < 0)
        return hide_path(rc == MG_EPARSE ? MG_EINVAL : rc, req->upload_path);
    mg_model_free(m);
    v.artifact_path = req->upload_path;
    v.description = web_query_get(req, "description");
    if ((rc = mg_gov_version_register(&res, req->srv->app->store, &req->who.actor, name, &v)) < 0 ||
        (rc = mg_gov_version_get(&out, req->srv->app->store, name, res.number)) < 0)
        return rc;
    snprintf(rep->location, sizeof rep->location, "/api/v1/models/%s/versions/%lld", name,
             (long long)res.number);
    version_event(req->srv, name, &res, req->who.name);
    return web_reply_json(rep, 201, out);
}

/* What a training job needs after the request is gone. */
typedef struct train_ctx {
    mg_server *srv;
    mg_actor actor;
    char model[MG_ACTOR_NAME_MAX];
    json_t *spec;
} train_ctx;

static void train_ctx_free(void *ud)
{
    train_ctx *t = ud;
    json_decref(t->spec);
    free(t);
}

/* The privacy the ledger composes: the run's DP-SGD event and delta (NULL without DP). */
static json_t *privacy_of(const json_t *summary)
{
    const json_t *dp = json_object_get(summary, "dp");

    if (!dp)
        return NULL;
    return json_pack("{s:O, s:[{s:O, s:O, s:O}], s:O}", "delta", json_object_get(dp, "delta"),
                     "events", "sample_rate", json_object_get(dp, "sample_rate"),
                     "noise_multiplier", json_object_get(dp, "noise_multiplier"), "steps",
                     json_object_get(dp, "steps"), "epsilon", json_object_get(dp, "epsilon"));
}

/* Find the data set, record the run, train, record its end, register the version. */
static int train_job(web_job *job, void *ud, json_t **result, char **link)
{
    train_ctx *t = ud;
    mg_store *st = t->srv->app->store;
    json_t *ds = NULL, *summary = NULL, *privacy = NULL;
    char *data_path = NULL, out[4096], msg[1024];
    mg_gov_run run = {0};
    mg_gov_run_result fin = {0};
    mg_gov_version ver = {0};
    mg_gov_result rres, fres, vres;
    const char *sha;
    int rc;

    snprintf(out, sizeof out, "%s/train-%lld.mgm", t->srv->tmp_dir, (long long)web_job_id(job));
    if ((rc = mg_gov_dataset_get(&ds, st, json_string_value(json_object_get(t->spec,
                                                                             "dataset")))) < 0)
        goto done;
    sha = json_string_value(json_object_get(ds, "sha256"));
    if ((rc = mg_gov_artifact_path(&data_path, st, sha)) < 0)
        goto done;
    run.dataset_id = (int64_t)json_integer_value(json_object_get(ds, "id"));
    run.config = t->spec;
    run.seed = json_integer_value(json_object_get(t->spec, "seed"));
    run.has_seed = json_object_get(t->spec, "seed") != NULL;
    run.code_version = "modelgov " MG_VERSION;
    if ((rc = mg_gov_run_start(&rres, st, &t->actor, &run)) < 0 ||
        (rc = web_job_set_detail(job, "run_id", json_integer((json_int_t)rres.id))) < 0)
        goto done;
    if ((rc = web_train_run(&summary, t->spec, data_path, sha, out, job, NULL)) < 0) {
        snprintf(msg, sizeof msg, "%s", mg_error_last());
        fin.failed = 1;
        if (mg_gov_run_finish(&fres, st, &t->actor, rres.id, &fin) < 0)
            mg_error_clear();
        rc = mg_error_set(rc, "%s", msg); /* the training error, not the bookkeeping's */
        goto done;
    }
    privacy = privacy_of(summary);
    fin.metrics = json_object_get(summary, "metrics");
    fin.loss_curves = json_object_get(summary, "loss_curves");
    fin.privacy = privacy;
    fin.artifact_path = out;
    ver.run_id = rres.id;
    ver.description = json_string_value(json_object_get(t->spec, "description"));
    ver.artifact_path = out;
    if ((rc = mg_gov_run_finish(&fres, st, &t->actor, rres.id, &fin)) < 0 ||
        (rc = mg_gov_version_register(&vres, st, &t->actor, t->model, &ver)) < 0)
        goto done;
    version_event(t->srv, t->model, &vres, t->actor.name);
    json_object_set_new(summary, "model", json_string(t->model));
    json_object_set_new(summary, "version", json_integer((json_int_t)vres.number));
    json_object_set_new(summary, "run_id", json_integer((json_int_t)rres.id));
    json_object_set_new(summary, "artifact_sha256", json_string(vres.sha256));
    *link = web_strdupf("/api/v1/models/%s/versions/%lld", t->model, (long long)vres.number);
    *result = summary;
    summary = NULL;
done:
    unlink(out);
    json_decref(privacy);
    json_decref(summary);
    json_decref(ds);
    free(data_path);
    return rc;
}

/* A training spec: checked now, trained by a worker. 202 with the job. */
static int start_training(web_reply *rep, web_request *req)
{
    const char *name = web_param(req, "name");
    json_t *model, *job, *subject;
    train_ctx *t;
    int64_t id;
    int rc;

    if ((rc = web_train_check(req->body)) < 0 ||
        (rc = mg_gov_model_get(&model, req->srv->app->store, name)) < 0)
        return rc;
    json_decref(model);
    if (!(t = calloc(1, sizeof *t)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    t->srv = req->srv;
    t->actor = req->who.actor;
    snprintf(t->model, sizeof t->model, "%s", name);
    t->spec = json_incref(req->body);
    subject = json_pack("{s:s, s:O}", "model", name, "dataset",
                        json_object_get(req->body, "dataset"));
    rc = web_jobs_submit(&id, req->srv->app->jobs, "train", req->who.name, subject, train_job, t,
                         train_ctx_free);
    json_decref(subject);
    if (rc < 0 || (rc = web_app_job_get(&job, req->srv, id)) < 0)
        return rc;
    snprintf(rep->location, sizeof rep->location, "/api/v1/jobs/%lld", (long long)id);
    return web_reply_json(rep, 202, job);
}

int web_post_version(web_reply *rep, web_request *req)
{
    if (req->upload_path)
        return register_upload(rep, req);
    return start_training(rep, req);
}
