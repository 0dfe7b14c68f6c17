/* router.h - path matching over the routing table (not public). */
#ifndef WEB_ROUTER_H
#define WEB_ROUTER_H

#include <stddef.h>

#include "route.h"

/* Returned by web_route_match when the path exists but not with this method. */
#define WEB_ROUTE_BAD_METHOD 1

/*
 * Find the route for `method` and `path`, binding its {params} into `req`
 * (freed by web_request_params_free) and setting req->route and *index.
 * Returns MG_OK; WEB_ROUTE_BAD_METHOD with the allowed methods in `allow`;
 * MG_ENOTFOUND (no route has this path); MG_ENOMEM.
 */
int web_route_match(long *index, web_request *req, const char *method, const char *path,
                    char *allow, size_t allow_size);

void web_request_params_free(web_request *req);

#endif
