/* routes_all.h - every route handler, one file per resource (not public). */
#ifndef WEB_ROUTES_ALL_H
#define WEB_ROUTES_ALL_H

#include "route.h"

/* route_meta.c */
int web_get_health(web_reply *rep, web_request *req);
int web_get_metrics(web_reply *rep, web_request *req);
int web_get_openapi(web_reply *rep, web_request *req);

#endif
