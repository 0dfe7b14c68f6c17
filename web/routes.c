/* routes.c - THE routing table: dispatch, auth (minimum role) and the OpenAPI document. */
#include "route.h"
#include "events.h"
#include "routes_all.h"

#define V1 "/api/v1"

static const web_field webhook_fields[] = {
    {"url", WEB_STRING, 1, "where deliveries are POSTed (loopback only unless allowed)", NULL,
     WEB_ANY, NULL},
    {"events", WEB_ARRAY, 0, "event types to deliver (default: all)", NULL, WEB_STRING,
     web_event_types},
    {"secret", WEB_STRING, 0, "HMAC-SHA256 key (default: generated and returned once)", NULL,
     WEB_ANY, NULL},
    {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};

static const web_query inclusion_query[] = {
    {"index", WEB_INTEGER, 1, "the entry's index"},
    {"size", WEB_INTEGER, 0, "tree size (default: the latest signed tree head's)"},
    {NULL, WEB_ANY, 0, NULL}};

static const web_query consistency_query[] = {
    {"first", WEB_INTEGER, 1, "the older tree size"},
    {"second", WEB_INTEGER, 1, "the newer tree size"},
    {NULL, WEB_ANY, 0, NULL}};

static const web_query events_query[] = {
    {"types", WEB_STRING, 0, "comma-separated event types to receive (default: all)"},
    {"after", WEB_INTEGER, 0, "replay the recent events after this id (or Last-Event-ID)"},
    {NULL, WEB_ANY, 0, NULL}};

static const web_route routes[] = {
    {"GET", "/health", web_get_health, MG_WEB_ROLE_NONE, "Liveness: status and version",
     WEB_BODY_NONE, NULL, NULL, "meta", 200, NULL},
    {"GET", "/metrics", web_get_metrics, MG_WEB_ROLE_VIEWER,
     "Prometheus metrics: requests by route and status, latency, jobs, log size", WEB_BODY_NONE,
     NULL, NULL, "meta", 200, "text/plain"},
    {"GET", "/openapi.json", web_get_openapi, MG_WEB_ROLE_NONE,
     "This OpenAPI 3.1 document", WEB_BODY_NONE, NULL, NULL, "meta", 200, NULL},
    {"GET", V1 "/jobs/{id}", web_get_job, MG_WEB_ROLE_VIEWER,
     "A job: state, progress 0..1, result and result link", WEB_BODY_NONE, NULL, NULL, "jobs",
     200, NULL},
    {"DELETE", V1 "/jobs/{id}", web_delete_job, MG_WEB_ROLE_SUBMITTER,
     "Cancel a job (its submitter or an admin)", WEB_BODY_NONE, NULL, NULL, "jobs", 202, NULL},
    {"GET", V1 "/events", web_get_events, MG_WEB_ROLE_VIEWER,
     "Server-Sent Events stream of governance events", WEB_BODY_NONE, NULL, events_query,
     "events", 200, "text/event-stream"},
    {"GET", V1 "/webhooks", web_get_webhooks, MG_WEB_ROLE_ADMIN,
     "Registered webhooks and their delivery counts", WEB_BODY_NONE, NULL, NULL, "events", 200,
     NULL},
    {"POST", V1 "/webhooks", web_post_webhook, MG_WEB_ROLE_ADMIN,
     "Register a webhook: URL and event filter; deliveries signed with HMAC-SHA256",
     WEB_BODY_JSON, webhook_fields, NULL, "events", 201, NULL},
    {"DELETE", V1 "/webhooks/{id}", web_delete_webhook, MG_WEB_ROLE_ADMIN, "Remove a webhook",
     WEB_BODY_NONE, NULL, NULL, "events", 204, NULL},
    {"GET", V1 "/log/entries/{index}", web_get_log_entry, MG_WEB_ROLE_VIEWER,
     "A signed log entry: entry, leaf hash, key id, Ed25519 signature", WEB_BODY_NONE, NULL,
     NULL, "log", 200, NULL},
    {"GET", V1 "/log/tree-head", web_get_tree_head, MG_WEB_ROLE_VIEWER,
     "The latest signed tree head: size, root, time, signature", WEB_BODY_NONE, NULL, NULL,
     "log", 200, NULL},
    {"GET", V1 "/log/proof/inclusion", web_get_inclusion_proof, MG_WEB_ROLE_VIEWER,
     "RFC 6962 inclusion proof of an entry in a tree", WEB_BODY_NONE, NULL, inclusion_query,
     "log", 200, NULL},
    {"GET", V1 "/log/proof/consistency", web_get_consistency_proof, MG_WEB_ROLE_VIEWER,
     "RFC 6962 consistency proof between two tree sizes", WEB_BODY_NONE, NULL,
     consistency_query, "log", 200, NULL},
    {"GET", "/", web_get_ui_index, MG_WEB_ROLE_NONE, "The reviewer UI (embedded page)",
     WEB_BODY_NONE, NULL, NULL, "ui", 200, "text/html"},
    {"GET", "/ui/{file}", web_get_ui_file, MG_WEB_ROLE_NONE, "A file of the reviewer UI",
     WEB_BODY_NONE, NULL, NULL, "ui", 200, "application/octet-stream"},
};

const web_route *web_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
