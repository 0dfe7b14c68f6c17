/* mg_web.h - the HTTP API server (DESIGN §4): routing, auth, jobs, events. */
#ifndef MG_WEB_H
#define MG_WEB_H

#include <stddef.h>
#include <stdint.h>

/* Roles in increasing power (DESIGN §4); a route names the least it needs. */
typedef enum mg_web_role {
    MG_WEB_ROLE_NONE = 0, /* no token needed (/health, the UI page: /, /ui/{file}) */
    MG_WEB_ROLE_VIEWER = 1,
    MG_WEB_ROLE_SUBMITTER = 2,
    MG_WEB_ROLE_REVIEWER = 3,
    MG_WEB_ROLE_ADMIN = 4
} mg_web_role;

/* "viewer", ... ("none" for MG_WEB_ROLE_NONE). Never NULL. */
const char *mg_web_role_name(mg_web_role r);

typedef struct mg_server mg_server;

/*
 * Server settings. Start from MG_SERVER_OPTIONS_INIT and set what differs.
 * Sizes are bytes; 0 keeps the default.
 */
typedef struct mg_server_options {
    const char *store_dir; /* the governance store (required) */
    const char *listen;    /* "HOST:PORT"; port 0 picks a free one; default 127.0.0.1:8080 */
    unsigned http_threads; /* libmicrohttpd's thread pool (default 4) */
    unsigned job_workers;  /* background jobs run at once (default 2) */
    unsigned job_queue;    /* jobs waiting at most (default 64); past it: 409 */
    size_t max_json;       /* largest JSON body (default 1 MiB); past it: 413 */
    size_t max_upload;     /* largest streamed upload (default 1 GiB); past it: 413 */
    const char *tls_cert;  /* PEM files: both set turns HTTPS on */
    const char *tls_key;
    unsigned timeout_s;    /* idle connection timeout (default 30) */
    unsigned drain_s;      /* at shutdown, wait this long for in-flight requests (default 30) */
    int webhook_allow_any; /* 0: webhook URLs must be loopback (default); 1: any host */
    unsigned webhook_retry_ms; /* first retry back-off, doubling (default 1000) */
} mg_server_options;

#define MG_SERVER_OPTIONS_INIT {NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0}

/*
 * Lock the store (DIR/serve.lock, held until mg_server_shutdown()), open it,
 * mark jobs a previous run left unfinished as failed, and start listening.
 * On success *out serves requests on its own threads until
 * mg_server_shutdown(). Errors: MG_EINVAL (bad listen address, only one of
 * cert/key), MG_ENOTFOUND (no store, no cert file), MG_ECONFLICT (another
 * server holds the store's lock; nothing was touched), MG_EIO (cannot bind),
 * MG_ENOMEM.
 */
int mg_server_start(mg_server **out, const mg_server_options *opts);

/* The port listened on (useful after asking for port 0). */
unsigned mg_server_port(const mg_server *s);

/* "http://127.0.0.1:8080": scheme, host and port listened on. Borrowed. */
const char *mg_server_url(const mg_server *s);

/* 1 when serving HTTPS. */
int mg_server_is_tls(const mg_server *s);

/*
 * Graceful stop: refuse new connections, let in-flight requests finish (up
 * to drain_s), end event streams, stop the job workers (a job still running
 * is cancelled and recorded as failed, "server shut down"), close the store.
 * Then free everything. NULL is a no-op.
 */
void mg_server_shutdown(mg_server *s);

/*
 * The OpenAPI 3.1 document of every route, as JSON text (malloc'd; free()).
 * Returns NULL on ENOMEM.
 */
char *mg_web_openapi_text(void);

/* Routes of the table, for tests: method and pattern of route i < count. */
size_t mg_web_route_count(void);
const char *mg_web_route_method(size_t i);
const char *mg_web_route_pattern(size_t i);
mg_web_role mg_web_route_role(size_t i);

#endif
