/* reply.c - request accessors, JSON replies and the MG_E* -> HTTP status mapping. */
#include "route.h"

#include "mg_error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

const char *web_param(const web_request *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->param_names[i], name) == 0)
            return req->params[i];
    return NULL;
}

const char *web_query_get(const web_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn,
                                       MHD_GET_ARGUMENT_KIND, name);
}

int web_query_u64(const web_request *req, const char *name, uint64_t def, uint64_t *out)
{
    const char *v = web_query_get(req, name);
    char *end;
    unsigned long long x;

    *out = def;
    if (!v)
        return MG_OK;
    errno = 0;
    x = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || v[0] == '+' || v[0] == ' ')
        return mg_error_set(MG_EPARSE, "query parameter '%s': expected a non-negative integer",
                            name);
    *out = x;
    return MG_OK;
}

char *web_strdupf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *s;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(s = malloc((size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int web_reply_json(web_reply *rep, unsigned status, json_t *j)
{
    if (!j)
        return mg_error_set(MG_ENOMEM, "out of memory building the reply");
    json_decref(rep->json);
    rep->json = j;
    rep->status = status;
    return MG_OK;
}

unsigned web_status_of(int code)
{
    switch (code) {
    case MG_EPARSE:
        return 400;
    case MG_EAUTH:
        return 401;
    case MG_EPERM:
        return 403;
    case MG_ENOTFOUND:
        return 404;
    case MG_EEXISTS:
    case MG_ECONFLICT:
    case MG_ECANCELED:
        return 409;
    case MG_ETOOBIG:
        return 413;
    case MG_EINVAL:
    case MG_EVERIFY:
        return 422;
    default:
        return 500;
    }
}

const char *web_error_code_of(unsigned status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 409:
        return "conflict";
    case 413:
        return "payload_too_large";
    case 415:
        return "unsupported_media_type";
    case 422:
        return "unprocessable";
    case 503:
        return "unavailable";
    default:
        return "internal";
    }
}
