/* routes.c - THE routing table: dispatch, auth (minimum role) and the OpenAPI document. */
#include "route.h"
#include "routes_all.h"

#define V1 "/api/v1"

static const web_route routes[] = {
    {"GET", "/health", web_get_health, MG_WEB_ROLE_NONE, "Liveness: status and version",
     WEB_BODY_NONE, NULL, NULL, "meta", 200, NULL},
    {"GET", "/metrics", web_get_metrics, MG_WEB_ROLE_VIEWER,
     "Prometheus metrics: requests by route and status, latency, jobs, log size", WEB_BODY_NONE,
     NULL, NULL, "meta", 200, "text/plain"},
    {"GET", "/openapi.json", web_get_openapi, MG_WEB_ROLE_NONE,
     "This OpenAPI 3.1 document", WEB_BODY_NONE, NULL, NULL, "meta", 200, NULL},
};

const web_route *web_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
