/* router.c - match a method and path against the routing table, binding {params}. */
#include "route.h"
#include "router.h"

#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

/* Compare one pattern with `path`; on a match bind params into req (copies). */
static int match_one(const web_route *r, const char *path, web_request *req, int bind)
{
    const char *p = r->pattern, *s = path;
    size_t n = 0;

    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        const char *pe = strchr(p, '/'), *se = strchr(s, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        if (plen > 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || n >= WEB_MAX_PARAMS)
                return 0;
            if (bind) {
                size_t k = plen - 2 < 31 ? plen - 2 : 31;
                memcpy(req->param_names[n], p + 1, k);
                req->param_names[n][k] = '\0';
                req->params[n] = strndup(s, slen);
                if (!req->params[n])
                    return -1;
            }
            n++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    if (*p || *s)
        return 0;
    if (bind)
        req->nparams = n;
    return 1;
}

int web_route_match(long *index, web_request *req, const char *method, const char *path,
                    char *allow, size_t allow_size)
{
    size_t n;
    const web_route *t = web_routes(&n);
    int path_seen = 0;

    *index = -1;
    allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (match_one(&t[i], path, req, 0) != 1)
            continue;
        path_seen = 1;
        if (strcmp(t[i].method, method) == 0) {
            if (match_one(&t[i], path, req, 1) < 0)
                return mg_error_set(MG_ENOMEM, "out of memory");
            *index = (long)i;
            req->route = &t[i];
            return MG_OK;
        }
        if (strlen(allow) + strlen(t[i].method) + 3 < allow_size) {
            if (allow[0])
                strcat(allow, ", ");
            strcat(allow, t[i].method);
        }
    }
    if (path_seen)
        return WEB_ROUTE_BAD_METHOD;
    return mg_error_set(MG_ENOTFOUND, "no such resource: %s", path);
}

void web_request_params_free(web_request *req)
{
    for (size_t i = 0; i < req->nparams; i++)
        free(req->params[i]);
    req->nparams = 0;
}
