/* route_jobs.c - GET /jobs/{id} (status, progress, result link) and DELETE (cancel). */
#include "app.h"
#include "routes_all.h"

#include "mg_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* {id} as a positive integer. Errors: MG_EPARSE. */
int web_param_id(int64_t *id, const web_request *req, const char *name)
{
    const char *v = web_param(req, name);
    char *end;
    long long x;

    errno = 0;
    x = v ? strtoll(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || x <= 0)
        return mg_error_set(MG_EPARSE, "path parameter {%s}: expected a positive integer", name);
    *id = x;
    return MG_OK;
}

int web_get_job(web_reply *rep, web_request *req)
{
    int64_t id;
    json_t *j;
    int rc;

    if ((rc = web_param_id(&id, req, "id")) < 0)
        return rc;
    if ((rc = web_app_job_get(&j, req->srv, id)) < 0)
        return rc;
    return web_reply_json(rep, 200, j);
}

int web_delete_job(web_reply *rep, web_request *req)
{
    int64_t id;
    json_t *j;
    int rc;
    const char *actor, *state;

    if ((rc = web_param_id(&id, req, "id")) < 0 || (rc = web_app_job_get(&j, req->srv, id)) < 0)
        return rc;
    actor = json_string_value(json_object_get(j, "actor"));
    if (req->who.role < MG_WEB_ROLE_ADMIN && actor && strcmp(actor, req->who.name) != 0) {
        rc = mg_error_set(MG_EPERM, "job %lld belongs to '%s'; only they or an admin may cancel it",
                          (long long)id, actor);
        json_decref(j); /* `actor` lived in it */
        return rc;
    }
    state = json_string_value(json_object_get(j, "state"));
    if (state && strcmp(state, "queued") != 0 && strcmp(state, "running") != 0) {
        rc = mg_error_set(MG_ECONFLICT, "job %lld already %s", (long long)id, state);
        json_decref(j);
        return rc;
    }
    json_decref(j);
    if ((rc = web_jobs_cancel(req->srv->app->jobs, id)) < 0)
        return rc;
    if ((rc = web_app_job_get(&j, req->srv, id)) < 0)
        return rc;
    return web_reply_json(rep, 202, j);
}
