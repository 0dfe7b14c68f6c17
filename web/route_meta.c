/* route_meta.c - /health, /metrics and /openapi.json. */
#include "app.h"
#include "route.h"
#include "routes_all.h"

#include "mg_buf.h"
#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

#ifndef MG_VERSION
#define MG_VERSION "0.0.0"
#endif

int web_get_health(web_reply *rep, web_request *req)
{
    return web_reply_json(rep, 200,
                          json_pack("{s:s, s:s, s:I}", "status", "ok", "version", MG_VERSION,
                                    "uptime_s", (json_int_t)(time(NULL) - req->srv->app->started)));
}

int web_get_metrics(web_reply *rep, web_request *req)
{
    mg_buf b = MG_BUF_INIT;
    int rc;

    if ((rc = web_metrics_write(&b, &req->srv->metrics)) < 0 ||
        (rc = web_app_metrics_write(&b, req->srv)) < 0) {
        mg_buf_free(&b);
        return rc;
    }
    rep->text_len = b.len;
    if (!(rep->text = mg_buf_detach(&b)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    rep->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return MG_OK;
}

int web_get_openapi(web_reply *rep, web_request *req)
{
    const char *doc = req->srv->app->openapi;

    rep->text_len = strlen(doc);
    if (!(rep->text = malloc(rep->text_len + 1)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    memcpy(rep->text, doc, rep->text_len + 1);
    rep->content_type = "application/json";
    return MG_OK;
}
