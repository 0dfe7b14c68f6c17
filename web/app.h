/* app.h - the application state behind the routes (not public). */
#ifndef WEB_APP_H
#define WEB_APP_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "events.h"
#include "jobs.h"
#include "mg_buf.h"
#include "mg_governance.h"
#include "server.h"
#include "store_stamp.h"

struct web_app {
    time_t started;
    char *openapi; /* the document, built once at start */
    web_jobs *jobs;
    web_events *events;
    mg_store *store; /* governance: inventory, log, tokens (thread-safe) */
    struct web_model_cache *models; /* loaded artifacts for predict */
    struct web_reply_cache *replies; /* GET replies, valid while the log keeps its size */
    struct web_token_cache *tokens;  /* token checks, likewise */
    web_store_stamp stamp;           /* the log's size, cheaply */
    int stamp_ready;
    char *hooks_file; /* DIR/webhooks.json */
};

/* Append the application's series (jobs by state, events, log size) to /metrics. */
int web_app_metrics_write(mg_buf *b, mg_server *s);

/* Publish a governance event; `data` is stolen (NULL: dropped). Thread-safe. */
void web_publish(mg_server *s, const char *type, json_t *data);

/* Job `id` as GET /jobs/{id} shows it, from memory or the store. Errors: MG_ENOTFOUND. */
int web_app_job_get(json_t **out, mg_server *s, int64_t id);

#endif
