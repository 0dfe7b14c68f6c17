/* server.h - the server handle shared by the files of web/ (not public). */
#ifndef WEB_SERVER_H
#define WEB_SERVER_H

#include <pthread.h>
#include <stdatomic.h>

#include "mg_web.h"
#include "metrics.h"

struct MHD_Daemon;
struct web_app;

struct mg_server {
    mg_server_options opt;
    char *store_dir;
    char *tmp_dir; /* store_dir/tmp: streamed uploads land here first */
    int lock_fd;   /* store_dir/serve.lock, flock()ed while this server lives; -1 before */
    char *tls_cert_pem;
    char *tls_key_pem;
    struct MHD_Daemon *daemon;
    unsigned port;
    char url[160];
    web_metrics metrics;
    struct web_app *app; /* store, jobs, events (app.c) */

    /* Requests between their first callback and their completion. */
    pthread_mutex_t lock;
    pthread_cond_t idle;
    unsigned inflight;
    atomic_int draining; /* shutting down: new requests get 503 */
};

#endif
