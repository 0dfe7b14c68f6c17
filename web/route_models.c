/* route_models.c - /models: the inventory entries (name, owner, description, risk tier, policy). */
#include "app.h"
#include "routes_all.h"

#include "mg_error.h"

#include <stdio.h>

static const char *text(const json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

/* The body's fields as governance's model entry. */
static void model_of(mg_gov_model *m, const json_t *body)
{
    m->name = text(body, "name");
    m->owner = text(body, "owner");
    m->description = text(body, "description");
    m->intended_use = text(body, "intended_use");
    m->risk_tier = text(body, "risk_tier");
    m->policy = json_object_get(body, "policy");
}

int web_get_models(web_reply *rep, web_request *req)
{
    json_t *list;
    int rc = mg_gov_models_list(&list, req->srv->app->store);

    return rc < 0 ? rc : web_reply_list(rep, "models", list);
}

int web_get_model(web_reply *rep, web_request *req)
{
    json_t *m;
    int rc = mg_gov_model_get(&m, req->srv->app->store, web_param(req, "name"));

    return rc < 0 ? rc : web_reply_json(rep, 200, m);
}

int web_post_model(web_reply *rep, web_request *req)
{
    mg_gov_model m = {0};
    mg_gov_result res;
    json_t *out;
    int rc;

    model_of(&m, req->body);
    if (!m.owner)
        m.owner = req->who.name;
    if ((rc = web_name_check(m.name, "field 'name'")) < 0 ||
        (rc = mg_gov_model_create(&res, req->srv->app->store, &req->who.actor, &m)) < 0 ||
        (rc = mg_gov_model_get(&out, req->srv->app->store, m.name)) < 0)
        return rc;
    snprintf(rep->location, sizeof rep->location, "/api/v1/models/%s", m.name);
    web_publish(req->srv, "model.registered",
                json_pack("{s:s, s:s, s:I}", "model", m.name, "owner", m.owner, "log_index",
                          (json_int_t)res.log_index));
    return web_reply_json(rep, 201, out);
}

int web_patch_model(web_reply *rep, web_request *req)
{
    mg_gov_model m = {0};
    mg_gov_result res;
    const char *name = web_param(req, "name");
    json_t *out;
    int rc;

    model_of(&m, req->body);
    if (json_object_size(req->body) == 0)
        return mg_error_set(MG_EPARSE, "request body: nothing to change");
    if ((rc = mg_gov_model_update(&res, req->srv->app->store, &req->who.actor, name, &m)) < 0 ||
        (rc = mg_gov_model_get(&out, req->srv->app->store, name)) < 0)
        return rc;
    web_publish(req->srv, "model.updated",
                json_pack("{s:s, s:O, s:I}", "model", name, "changed", req->body, "log_index",
                          (json_int_t)res.log_index));
    return web_reply_json(rep, 200, out);
}
