/* route_datasets.c - /datasets: upload a CSV (streamed to disk, stored by sha256), list, get. */
#include "app.h"
#include "routes_all.h"

#include "mg_error.h"

#include <stdio.h>

/* A list from governance as {"<key>": [...]}. */
int web_reply_list(web_reply *rep, const char *key, json_t *list)
{
    if (json_is_object(list))
        return web_reply_json(rep, 200, list);
    return web_reply_json(rep, 200, json_pack("{s:o}", key, list));
}

int web_get_datasets(web_reply *rep, web_request *req)
{
    json_t *list;
    int rc = mg_gov_datasets_list(&list, req->srv->app->store, web_query_get(req, "q"));

    return rc < 0 ? rc : web_reply_list(rep, "datasets", list);
}

int web_get_dataset(web_reply *rep, web_request *req)
{
    json_t *d;
    int rc = mg_gov_dataset_get(&d, req->srv->app->store, web_param(req, "id"));

    return rc < 0 ? rc : web_reply_json(rep, 200, d);
}

int web_post_dataset(web_reply *rep, web_request *req)
{
    mg_gov_dataset d = {0};
    mg_gov_result res;
    json_t *out;
    int rc;

    if (!req->upload_path)
        return mg_error_set(MG_EPARSE, "send the CSV as the request body (Content-Type: text/csv)");
    if (!(d.name = web_query_get(req, "name")))
        return mg_error_set(MG_EPARSE, "missing query parameter 'name'");
    if ((rc = web_name_check(d.name, "query parameter 'name'")) < 0)
        return rc;
    d.path = req->upload_path;
    d.owner = web_query_get(req, "owner") ? web_query_get(req, "owner") : req->who.name;
    d.domain = web_query_get(req, "domain");
    d.description = web_query_get(req, "description");
    if ((rc = mg_gov_dataset_register(&res, req->srv->app->store, &req->who.actor, &d)) < 0)
        return rc;
    snprintf(rep->location, sizeof rep->location, "/api/v1/datasets/%lld", (long long)res.id);
    if ((rc = mg_gov_dataset_get(&out, req->srv->app->store, res.sha256)) < 0)
        return rc;
    web_publish(req->srv, "dataset.registered",
                json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)res.id, "name", d.name,
                                 "sha256", res.sha256, "log_index", (json_int_t)res.log_index));
    return web_reply_json(rep, 201, out);
}
