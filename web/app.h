/* app.h - the application state behind the routes (not public). */
#ifndef WEB_APP_H
#define WEB_APP_H

#include <time.h>

#include "mg_buf.h"
#include "server.h"

struct web_app {
    time_t started;
    char *openapi; /* the document, built once at start */
};

/* Append the application's series (jobs by state, log size) to /metrics. Errors: MG_ENOMEM. */
int web_app_metrics_write(mg_buf *b, mg_server *s);

#endif
