/* route_predict.c - POST .../predict in TF Serving's shape, on the version's own pipeline. */
#include "app.h"
#include "model_cache.h"
#include "predict.h"
#include "routes_all.h"

#include "mg_error.h"

int web_post_predict(web_reply *rep, web_request *req)
{
    const mg_model *m = NULL;
    json_t *ver, *out;
    int64_t v;
    int rc;

    if ((rc = web_param_id(&v, req, "v")) < 0 ||
        (rc = mg_gov_version_get(&ver, req->srv->app->store, web_param(req, "name"), v)) < 0)
        return rc;
    rc = web_model_cache_get(&m, req->srv->app->models, req->srv->app->store,
                             json_string_value(json_object_get(ver, "artifact_sha256")));
    json_decref(ver);
    if (rc < 0)
        return rc;
    rc = web_predict(&out, m, req->body);
    web_model_cache_put(req->srv->app->models, m);
    return rc < 0 ? rc : web_reply_json(rep, 200, out);
}
