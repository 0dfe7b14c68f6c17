/* route_log.c - the signed log: entries, the tree head, inclusion and consistency proofs. */
#include "app.h"
#include "routes_all.h"

#include "mg_error.h"
#include "mg_governance.h"

#include <errno.h>
#include <stdlib.h>

/* {index} as a non-negative integer. Errors: MG_EPARSE. */
static int param_index(uint64_t *out, const web_request *req)
{
    const char *v = web_param(req, "index");
    char *end;
    unsigned long long x;

    errno = 0;
    x = v ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || *v == '-' || *v == '+')
        return mg_error_set(MG_EPARSE, "path parameter {index}: expected an integer >= 0");
    *out = x;
    return MG_OK;
}

int web_get_log_entry(web_reply *rep, web_request *req)
{
    uint64_t index = 0;
    json_t *j;
    int rc;

    if ((rc = param_index(&index, req)) < 0 ||
        (rc = mg_gov_log_entry(&j, req->srv->app->store, index)) < 0)
        return rc;
    return web_reply_json(rep, 200, j);
}

int web_get_tree_head(web_reply *rep, web_request *req)
{
    json_t *j;
    int rc;

    if ((rc = mg_gov_tree_head(&j, req->srv->app->store)) < 0)
        return rc;
    return web_reply_json(rep, 200, j);
}

/* A required query integer. Errors: MG_EPARSE naming it. */
static int query_required(uint64_t *out, const web_request *req, const char *name)
{
    int rc;

    if (!web_query_get(req, name))
        return mg_error_set(MG_EPARSE, "missing query parameter '%s'", name);
    if ((rc = web_query_u64(req, name, 0, out)) < 0)
        return rc;
    return MG_OK;
}

int web_get_inclusion_proof(web_reply *rep, web_request *req)
{
    uint64_t index = 0, size = 0;
    json_t *j;
    int rc;

    if ((rc = query_required(&index, req, "index")) < 0 ||
        (rc = web_query_u64(req, "size", 0, &size)) < 0 ||
        (rc = mg_gov_inclusion_proof(&j, req->srv->app->store, index, size)) < 0)
        return rc;
    return web_reply_json(rep, 200, j);
}

int web_get_consistency_proof(web_reply *rep, web_request *req)
{
    uint64_t first = 0, second = 0;
    json_t *j;
    int rc;

    if ((rc = query_required(&first, req, "first")) < 0 ||
        (rc = query_required(&second, req, "second")) < 0 ||
        (rc = mg_gov_consistency_proof(&j, req->srv->app->store, first, second)) < 0)
        return rc;
    return web_reply_json(rep, 200, j);
}
