/* app.c - the application behind the routes: opened at start, closed at shutdown. */
#include "app.h"
#include "auth.h"
#include "request.h"

#include "mg_error.h"

#include <stdlib.h>

int web_app_open(mg_server *s)
{
    if (!(s->app = calloc(1, sizeof *s->app)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    s->app->started = time(NULL);
    if (!(s->app->openapi = mg_web_openapi_text()))
        return MG_ENOMEM;
    return MG_OK;
}

void web_app_quiesce(mg_server *s)
{
    (void)s;
}

void web_app_close(mg_server *s)
{
    if (!s)
        return;
    if (!s->app)
        return;
    free(s->app->openapi);
    free(s->app);
    s->app = NULL;
}

int web_app_token_lookup(web_principal *who, mg_server *s, const char *token)
{
    (void)who;
    (void)s;
    (void)token;
    return mg_error_set(MG_EAUTH, "unknown token");
}

int web_app_metrics_write(mg_buf *b, mg_server *s)
{
    return mg_buf_printf(b,
                         "# HELP modelgov_uptime_seconds Seconds since the server started.\n"
                         "# TYPE modelgov_uptime_seconds gauge\nmodelgov_uptime_seconds %ld\n",
                         (long)(time(NULL) - s->app->started));
}
