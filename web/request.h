/* request.h - libmicrohttpd callbacks and the application's lifecycle hooks (not public). */
#ifndef WEB_REQUEST_H
#define WEB_REQUEST_H

#include <microhttpd.h>

#include "server.h"

/* libmicrohttpd's access handler: routing, auth, body, handler, reply. */
enum MHD_Result web_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls);

/* Called when a request is done: metrics, cleanup, in-flight count. */
void web_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe);

/*
 * 1 when the handler's last MHD_NO on this thread closed a connection on
 * purpose, after answering it; reading clears it. server.c's libmicrohttpd
 * logger asks, to leave out the "internal error" line that follows.
 */
int web_request_closing_on_purpose(void);

/* The application behind the routes (app.c): open at start, quiesce and close at shutdown. */
int web_app_open(mg_server *s);
void web_app_quiesce(mg_server *s);
void web_app_close(mg_server *s);

#endif
