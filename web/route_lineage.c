/* route_lineage.c - /lineage/{kind}/{id}: governance's W3C PROV graph of one thing. */
#include "app.h"
#include "routes_all.h"

int web_get_lineage(web_reply *rep, web_request *req)
{
    json_t *g;
    int rc = mg_gov_lineage(&g, req->srv->app->store, web_param(req, "kind"),
                            web_param(req, "id"));

    return rc < 0 ? rc : web_reply_json(rep, 200, g);
}
