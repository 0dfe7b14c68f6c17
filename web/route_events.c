/* route_events.c - GET /events (Server-Sent Events) and the webhooks resource. */
#include "app.h"
#include "events.h"
#include "routes_all.h"

#include "mg_error.h"

#include <microhttpd.h>
#include <stdlib.h>

int web_get_events(web_reply *rep, web_request *req)
{
    const char *last = MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
                                                   MHD_HEADER_KIND, "Last-Event-ID");
    uint64_t after = 0;
    int rc;

    if (last)
        after = strtoull(last, NULL, 10);
    else if ((rc = web_query_u64(req, "after", 0, &after)) < 0)
        return rc;
    return web_events_subscribe(rep, req->srv->app->events, req,
                                last || web_query_get(req, "after") ? (int64_t)after : -1,
                                web_query_get(req, "types"));
}

int web_get_webhooks(web_reply *rep, web_request *req)
{
    return web_reply_json(rep, 200,
                          json_pack("{s:o}", "webhooks",
                                    web_events_webhook_list(req->srv->app->events)));
}

int web_post_webhook(web_reply *rep, web_request *req)
{
    json_t *out;
    int rc = web_events_webhook_add(
        &out, req->srv->app->events, json_string_value(json_object_get(req->body, "url")),
        json_object_get(req->body, "events"),
        json_string_value(json_object_get(req->body, "secret")), req->who.name);

    if (rc < 0)
        return rc;
    snprintf(rep->location, sizeof rep->location, "/api/v1/webhooks/%lld",
             (long long)json_integer_value(json_object_get(out, "id")));
    return web_reply_json(rep, 201, out);
}

int web_delete_webhook(web_reply *rep, web_request *req)
{
    int64_t id;
    int rc;

    (void)rep;
    if ((rc = web_param_id(&id, req, "id")) < 0)
        return rc;
    return web_events_webhook_remove(req->srv->app->events, id);
}
