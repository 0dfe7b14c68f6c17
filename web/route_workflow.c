/* route_workflow.c - /transitions: governance's approval workflow; 409 lists failing gates. */
#include "app.h"
#include "routes_all.h"

#include "mg_error.h"

#include <stdio.h>
#include <string.h>

int web_get_transitions(web_reply *rep, web_request *req)
{
    int64_t v;
    json_t *list;
    int rc;

    if ((rc = web_param_id(&v, req, "v")) < 0 ||
        (rc = mg_gov_transitions_list(&list, req->srv->app->store, web_param(req, "name"), v)) <
            0)
        return rc;
    return web_reply_list(rep, "transitions", list);
}

int web_post_transition(web_reply *rep, web_request *req)
{
    const char *name = web_param(req, "name");
    const char *to = json_string_value(json_object_get(req->body, "to"));
    const char *comment = json_string_value(json_object_get(req->body, "comment"));
    json_t *gates = NULL, *out;
    mg_gov_result res;
    int64_t v;
    int rc;

    if ((rc = web_param_id(&v, req, "v")) < 0)
        return rc;
    rc = mg_gov_version_transition(&res, &gates, req->srv->app->store, &req->who.actor, name, v,
                                   to, comment ? comment : "");
    if (rc < 0) {
        json_decref(gates);
        return rc; /* governance's message names each failing gate */
    }
    out = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:I, s:o}", "id", (json_int_t)res.id, "model",
                    name, "version", (json_int_t)v, "to", to, "actor", req->who.name,
                    "artifact_sha256", res.sha256, "log_index", (json_int_t)res.log_index, "gates",
                    gates ? gates : json_array());
    web_publish(req->srv, "version.transition",
                json_pack("{s:s, s:I, s:s, s:s, s:I}", "model", name, "version", (json_int_t)v,
                          "to", to, "actor", req->who.name, "log_index",
                          (json_int_t)res.log_index));
    if (strcmp(to, "pending_review") == 0)
        web_publish(req->srv, "version.submitted",
                    json_pack("{s:s, s:I, s:s}", "model", name, "version", (json_int_t)v,
                              "submitter", req->who.name));
    snprintf(rep->location, sizeof rep->location, "/api/v1/log/entries/%lld",
             (long long)res.log_index);
    return web_reply_json(rep, 201, out);
}
