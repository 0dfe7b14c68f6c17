/* route_review.c - what a reviewer reads beside a version: gates now, its run, the log's keys. */
#include "app.h"
#include "routes_all.h"

#include "mg_error.h"

/* The gates as the caller would meet them if they approved now: nothing changes. */
int web_get_gates(web_reply *rep, web_request *req)
{
    int64_t v;
    json_t *gates;
    int rc;

    if ((rc = web_param_id(&v, req, "v")) < 0 ||
        (rc = mg_gov_version_gates(&gates, req->srv->app->store, &req->who.actor,
                                   web_param(req, "name"), v)) < 0)
        return rc;
    return web_reply_json(rep, 200, gates);
}

int web_get_run(web_reply *rep, web_request *req)
{
    int64_t id;
    json_t *run;
    int rc;

    if ((rc = web_param_id(&id, req, "id")) < 0 ||
        (rc = mg_gov_run_get(&run, req->srv->app->store, id)) < 0)
        return rc;
    return web_reply_json(rep, 200, run);
}

int web_get_log_keys(web_reply *rep, web_request *req)
{
    json_t *keys;
    int rc;

    if ((rc = mg_gov_keys_list(&keys, req->srv->app->store)) < 0)
        return rc;
    return web_reply_list(rep, "keys", keys);
}
