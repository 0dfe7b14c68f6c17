/* routes.c - THE routing table: dispatch, auth (minimum role) and the OpenAPI document. */
#include "route.h"
#include "events.h"
#include "predict.h"
#include "report.h"
#include "routes_all.h"
#include "train.h"

#define V1 "/api/v1"

static const web_field webhook_fields[] = {
    {"url", WEB_STRING, 1, "where deliveries are POSTed (loopback only unless allowed)", NULL,
     WEB_ANY, NULL},
    {"events", WEB_ARRAY, 0, "event types to deliver (default: all)", NULL, WEB_STRING,
     web_event_types},
    {"secret", WEB_STRING, 0, "HMAC-SHA256 key (default: generated and returned once)", NULL,
     WEB_ANY, NULL},
    {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};

static const char *const risk_tiers[] = {"low", "medium", "high", NULL};
static const char *const stages[] = {"pending_review", "approved", "rejected", "production",
                                     "archived", NULL};

#define MODEL_FIELDS(name_required)                                                              \
    {"name", WEB_STRING, name_required, "1-64 of A-Za-z0-9._-@, unique", NULL, WEB_ANY, NULL},   \
        {"owner", WEB_STRING, 0, "owning team (default: the token's name)", NULL, WEB_ANY,       \
         NULL},                                                                                  \
        {"description", WEB_STRING, 0, "what the model does", NULL, WEB_ANY, NULL},              \
        {"intended_use", WEB_STRING, 0, "for the model card", NULL, WEB_ANY, NULL},              \
        {"risk_tier", WEB_STRING, 0, "risk tier (default medium)", NULL, WEB_ANY, risk_tiers},   \
    {                                                                                            \
        "policy", WEB_OBJECT, 0,                                                                 \
            "approval thresholds: bias {M:{min,max}}, metrics {M:{min,max}}, max_epsilon, "      \
            "delta, privacy_scope (admin only)",                                                 \
            NULL, WEB_ANY, NULL                                                                  \
    }

static const web_field model_create_fields[] = {MODEL_FIELDS(1),
                                                {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};
/* PATCH: the same fields but the name, which the path gives. */
static const web_field model_patch_fields[] = {
    {"owner", WEB_STRING, 0, "owning team", NULL, WEB_ANY, NULL},
    {"description", WEB_STRING, 0, "what the model does", NULL, WEB_ANY, NULL},
    {"intended_use", WEB_STRING, 0, "for the model card", NULL, WEB_ANY, NULL},
    {"risk_tier", WEB_STRING, 0, "risk tier", NULL, WEB_ANY, risk_tiers},
    {"policy", WEB_OBJECT, 0, "approval thresholds (admin only)", NULL, WEB_ANY, NULL},
    {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};

static const web_field transition_fields[] = {
    {"to", WEB_STRING, 1, "the stage to move to", NULL, WEB_ANY, stages},
    {"comment", WEB_STRING, 0, "why, for the log", NULL, WEB_ANY, NULL},
    {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};

static const web_query datasets_query[] = {
    {"q", WEB_STRING, 0, "match a substring of name, owner, domain or description"},
    {NULL, WEB_ANY, 0, NULL}};

static const web_query upload_query[] = {
    {"name", WEB_STRING, 1, "the data set's name"},
    {"owner", WEB_STRING, 0, "owning team (default: the token's name)"},
    {"domain", WEB_STRING, 0, "business domain"},
    {"description", WEB_STRING, 0, "what the data are"},
    {NULL, WEB_ANY, 0, NULL}};

static const web_query version_query[] = {
    {"description", WEB_STRING, 0, "what this version is (artifact uploads)"},
    {NULL, WEB_ANY, 0, NULL}};

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
     WEB_BODY_NONE, NULL, NULL, "meta", 200, NULL, 0, 0},
    {"GET", "/metrics", web_get_metrics, MG_WEB_ROLE_VIEWER,
     "Prometheus metrics: requests by route and status, latency, jobs, log size", WEB_BODY_NONE,
     NULL, NULL, "meta", 200, "text/plain", 0, 0},
    {"GET", "/openapi.json", web_get_openapi, MG_WEB_ROLE_VIEWER,
     "This OpenAPI 3.1 document", WEB_BODY_NONE, NULL, NULL, "meta", 200, NULL, 0, 0},
    {"GET", V1 "/datasets", web_get_datasets, MG_WEB_ROLE_VIEWER,
     "The data set catalog", WEB_BODY_NONE, NULL, datasets_query, "datasets", 200, NULL, 0, 0},
    {"POST", V1 "/datasets", web_post_dataset, MG_WEB_ROLE_SUBMITTER,
     "Upload a CSV data set (streamed; stored by sha256, schema inferred)", WEB_BODY_FILE, NULL,
     upload_query, "datasets", 201, NULL, 0, 0},
    {"GET", V1 "/datasets/{id}", web_get_dataset, MG_WEB_ROLE_VIEWER,
     "A data set by id or sha256: schema, runs, privacy spent", WEB_BODY_NONE, NULL, NULL,
     "datasets", 200, NULL, 1, 1},
    {"GET", V1 "/models", web_get_models, MG_WEB_ROLE_VIEWER, "The model inventory",
     WEB_BODY_NONE, NULL, NULL, "models", 200, NULL, 1, 0},
    {"POST", V1 "/models", web_post_model, MG_WEB_ROLE_SUBMITTER,
     "Register a model: name, owner, description, risk tier, policy", WEB_BODY_JSON,
     model_create_fields, NULL, "models", 201, NULL, 0, 0},
    {"GET", V1 "/models/{name}", web_get_model, MG_WEB_ROLE_VIEWER,
     "A model with its versions", WEB_BODY_NONE, NULL, NULL, "models", 200, NULL, 1, 0},
    {"PATCH", V1 "/models/{name}", web_patch_model, MG_WEB_ROLE_SUBMITTER,
     "Change a model's entry (its policy needs admin)", WEB_BODY_JSON, model_patch_fields, NULL,
     "models", 200, NULL, 0, 0},
    {"GET", V1 "/models/{name}/versions", web_get_versions, MG_WEB_ROLE_VIEWER,
     "The versions of a model", WEB_BODY_NONE, NULL, NULL, "versions", 200, NULL, 1, 0},
    {"POST", V1 "/models/{name}/versions", web_post_version, MG_WEB_ROLE_SUBMITTER,
     "Upload a .mgm artifact (201), or send a training spec to train one as a job (202)",
     WEB_BODY_JSON_OR_FILE, web_train_fields, version_query, "versions", 201, NULL, 0, 0},
    {"GET", V1 "/models/{name}/versions/{v}", web_get_version, MG_WEB_ROLE_VIEWER,
     "A version: stage, artifact, metrics, reports, transitions, privacy spend, model card, "
     "lineage", WEB_BODY_NONE,
     NULL, NULL, "versions", 200, NULL, 1, 0},
    {"GET", V1 "/models/{name}/versions/{v}/card", web_get_card, MG_WEB_ROLE_VIEWER,
     "The version's model card as Markdown", WEB_BODY_NONE, NULL, NULL, "versions", 200,
     "text/markdown", 0, 0},
    {"GET", V1 "/lineage/{kind}/{id}", web_get_lineage, MG_WEB_ROLE_VIEWER,
     "W3C PROV lineage of a version (MODEL:N), dataset, run or report: used, "
     "wasGeneratedBy, wasAssociatedWith, wasDerivedFrom",
     WEB_BODY_NONE, NULL, NULL, "lineage", 200, NULL, 1, 1},
    {"GET", V1 "/models/{name}/versions/{v}/reports", web_get_reports, MG_WEB_ROLE_VIEWER,
     "The reports of a version, each marked fresh when on the current artifact", WEB_BODY_NONE,
     NULL, NULL, "reports", 200, NULL, 1, 0},
    {"POST", V1 "/models/{name}/versions/{v}/reports", web_post_report, MG_WEB_ROLE_SUBMITTER,
     "Compute a bias or explainability report as a job (202)", WEB_BODY_JSON, web_report_fields,
     NULL, "reports", 202, NULL, 0, 0},
    {"GET", V1 "/reports/{id}", web_get_report, MG_WEB_ROLE_VIEWER,
     "One report with its document, checked against its sha256", WEB_BODY_NONE, NULL, NULL,
     "reports", 200, NULL, 1, 0},
    {"GET", V1 "/models/{name}/versions/{v}/transitions", web_get_transitions,
     MG_WEB_ROLE_VIEWER, "The stage changes of a version, with the gates evaluated",
     WEB_BODY_NONE, NULL, NULL, "workflow", 200, NULL, 1, 0},
    {"POST", V1 "/models/{name}/versions/{v}/transitions", web_post_transition,
     MG_WEB_ROLE_SUBMITTER,
     "Move a version (submit: submitter; approve, reject, promote, archive: reviewer); 409 "
     "lists each failing gate",
     WEB_BODY_JSON, transition_fields, NULL, "workflow", 201, NULL, 0, 0},
    {"POST", V1 "/models/{name}/versions/{v}/predict", web_post_predict, MG_WEB_ROLE_VIEWER,
     "Predict in TF Serving's REST shape: {\"instances\":[{column: value}]}", WEB_BODY_JSON,
     web_predict_fields, NULL, "predict", 200, NULL, 0, 0},
    {"GET", V1 "/jobs/{id}", web_get_job, MG_WEB_ROLE_VIEWER,
     "A job: state, progress 0..1, result and result link", WEB_BODY_NONE, NULL, NULL, "jobs",
     200, NULL, 0, 0},
    {"DELETE", V1 "/jobs/{id}", web_delete_job, MG_WEB_ROLE_SUBMITTER,
     "Cancel a job (its submitter or an admin)", WEB_BODY_NONE, NULL, NULL, "jobs", 202, NULL, 0,
     0},
    {"GET", V1 "/events", web_get_events, MG_WEB_ROLE_VIEWER,
     "Server-Sent Events stream of governance events", WEB_BODY_NONE, NULL, events_query,
     "events", 200, "text/event-stream", 0, 0},
    {"GET", V1 "/webhooks", web_get_webhooks, MG_WEB_ROLE_ADMIN,
     "Registered webhooks and their delivery counts", WEB_BODY_NONE, NULL, NULL, "events", 200,
     NULL, 0, 0},
    {"POST", V1 "/webhooks", web_post_webhook, MG_WEB_ROLE_ADMIN,
     "Register a webhook: URL and event filter; deliveries signed with HMAC-SHA256",
     WEB_BODY_JSON, webhook_fields, NULL, "events", 201, NULL, 0, 0},
    {"DELETE", V1 "/webhooks/{id}", web_delete_webhook, MG_WEB_ROLE_ADMIN, "Remove a webhook",
     WEB_BODY_NONE, NULL, NULL, "events", 204, NULL, 0, 0},
    {"GET", V1 "/models/{name}/versions/{v}/gates", web_get_gates, MG_WEB_ROLE_VIEWER,
     "The approval gates as the caller would meet them now (nothing changes)", WEB_BODY_NONE,
     NULL, NULL, "workflow", 200, NULL, 0, 0},
    {"GET", V1 "/runs/{id}", web_get_run, MG_WEB_ROLE_VIEWER,
     "A training run: config, metrics, loss curves, privacy spend", WEB_BODY_NONE, NULL, NULL,
     "versions", 200, NULL, 1, 0},
    {"GET", V1 "/log/keys", web_get_log_keys, MG_WEB_ROLE_VIEWER,
     "The log's Ed25519 public keys (PEM) by key id, for verifying signatures",
     WEB_BODY_NONE, NULL, NULL, "log", 200, NULL, 1, 0},
    {"GET", V1 "/log/entries/{index}", web_get_log_entry, MG_WEB_ROLE_VIEWER,
     "A signed log entry: entry, leaf hash, key id, Ed25519 signature", WEB_BODY_NONE, NULL,
     NULL, "log", 200, NULL, 1, 0},
    {"GET", V1 "/log/tree-head", web_get_tree_head, MG_WEB_ROLE_VIEWER,
     "The latest signed tree head: size, root, time, signature", WEB_BODY_NONE, NULL, NULL,
     "log", 200, NULL, 1, 0},
    {"GET", V1 "/log/proof/inclusion", web_get_inclusion_proof, MG_WEB_ROLE_VIEWER,
     "RFC 6962 inclusion proof of an entry in a tree", WEB_BODY_NONE, NULL, inclusion_query,
     "log", 200, NULL, 0, 1},
    {"GET", V1 "/log/proof/consistency", web_get_consistency_proof, MG_WEB_ROLE_VIEWER,
     "RFC 6962 consistency proof between two tree sizes", WEB_BODY_NONE, NULL,
     consistency_query, "log", 200, NULL, 0, 1},
    {"GET", "/", web_get_ui_index, MG_WEB_ROLE_NONE, "The reviewer UI (embedded page)",
     WEB_BODY_NONE, NULL, NULL, "ui", 200, "text/html", 0, 0},
    {"GET", "/ui/{file}", web_get_ui_file, MG_WEB_ROLE_NONE, "A file of the reviewer UI",
     WEB_BODY_NONE, NULL, NULL, "ui", 200, "application/octet-stream", 0, 0},
};

const web_route *web_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}
