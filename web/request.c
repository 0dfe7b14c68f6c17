/* request.c - one HTTP request: route, auth, body (JSON in memory, uploads to disk), reply. */
#define _POSIX_C_SOURCE 200809L
#include "request.h"
#include "app.h"
#include "mg_json.h"
#include "auth.h"
#include "reply_cache.h"
#include "route.h"
#include "router.h"

#include "mg_buf.h"
#include "mg_error.h"
#include "mg_log.h"
#include "mg_sha256.h"
#include "mg_utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef enum { BODY_DISCARD = 0, BODY_JSON, BODY_FILE } body_mode;

/*
 * After an error answered in the middle of a body, read and drop at most this
 * much more before closing: a close with unread input resets the connection,
 * and a reset can destroy the answer before the client has read it.
 */
#define LINGER_MAX ((uint64_t)1 << 20)

typedef struct conn_state {
    web_request req;
    web_reply rep;
    long route;
    struct timespec t0;
    unsigned status;     /* status queued */
    unsigned err_status; /* an error found before the body ended: reply with it at the end */
    int raw_tried;       /* answer_now() ran: it is tried once */
    int answered_raw;    /* err_status went straight to the socket mid-body (answer_now) */
    char err_msg[1024];
    char allow[64];
    body_mode mode;
    mg_buf body;
    int fd;
    mg_sha256 *hash;
    uint64_t received;
    uint64_t limit;
    int cacheable;
    uint64_t stamp; /* log size when the reply was computed */
} conn_state;

/*
 * Set on this thread right before the handler returns MHD_NO to close a
 * connection whose answer it wrote itself (answer_now()). libmicrohttpd
 * takes MHD_NO for a failure and logs "Application reported internal error,
 * closing connection." next, on the same thread; mhd_log() drops that line
 * while the flag is set. Each callback starts with the flag down.
 */
static _Thread_local int closing_on_purpose;

int web_request_closing_on_purpose(void)
{
    int was = closing_on_purpose;
    closing_on_purpose = 0;
    return was;
}

typedef struct stream_state {
    web_stream st;
    struct MHD_Connection *conn;
} stream_state;

/* Remember an error (the message slot's text) to answer with `status`. */
static void stash(conn_state *cs, unsigned status)
{
    if (cs->err_status)
        return;
    cs->err_status = status;
    snprintf(cs->err_msg, sizeof cs->err_msg, "%s",
             *mg_error_last() ? mg_error_last() : mg_strerror(mg_error_code()));
}

/* A header line of an answer. */
typedef struct header {
    const char *name;
    const char *value;
} header;

#define HEADERS_MAX 5

/*
 * The headers of an answer besides the transport's own (Date,
 * Content-Length, Connection), in one list: queue() hands them to
 * libmicrohttpd and answer_now() writes them itself, and neither can
 * drift from the other. Returns how many of out[] it filled.
 */
static size_t reply_headers(header out[HEADERS_MAX], const conn_state *cs, unsigned status,
                            const char *ctype)
{
    size_t n = 0;

    out[n++] = (header){MHD_HTTP_HEADER_CONTENT_TYPE, ctype};
    out[n++] = (header){MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"};
    if (status == 401)
        out[n++] = (header){MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"modelgov\""};
    if (status == 405 && cs->allow[0])
        out[n++] = (header){MHD_HTTP_HEADER_ALLOW, cs->allow};
    if (cs->rep.location[0])
        out[n++] = (header){MHD_HTTP_HEADER_LOCATION, cs->rep.location};
    return n;
}

static enum MHD_Result queue(conn_state *cs, struct MHD_Connection *conn, unsigned status,
                             struct MHD_Response *r, const char *ctype)
{
    header h[HEADERS_MAX];
    size_t n = reply_headers(h, cs, status, ctype);
    enum MHD_Result ok;

    if (!r)
        return MHD_NO;
    for (size_t i = 0; i < n; i++)
        MHD_add_response_header(r, h[i].name, h[i].value);
    ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    cs->status = status;
    return ok;
}

/*
 * msg with each byte that is not part of well-formed UTF-8 written as \xNN.
 * JSON text must be UTF-8, and a message may quote a path that decodes to
 * any bytes (GET /nosuch%FF), or be cut inside a character by its buffer.
 */
static int put_utf8(mg_buf *b, const char *msg)
{
    size_t len = strlen(msg), i = 0;
    int rc = MG_OK;

    while (rc == MG_OK && i < len) {
        size_t good = mg_utf8_invalid(msg + i, len - i);
        rc = mg_buf_put(b, msg + i, good);
        i += good;
        if (rc == MG_OK && i < len)
            rc = mg_buf_printf(b, "\\x%02x", (unsigned char)msg[i++]);
    }
    return rc;
}

/* DESIGN §4's error body, malloc'd, or NULL when out of memory. */
static char *error_text(unsigned status, const char *msg)
{
    mg_buf clean = MG_BUF_INIT;
    json_t *j = NULL;
    char *text = NULL;

    if (put_utf8(&clean, msg) == MG_OK)
        j = json_pack("{s:{s:s,s:s}}", "error", "code", web_error_code_of(status), "message",
                      clean.ptr ? clean.ptr : "");
    if (j)
        text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    mg_buf_free(&clean);
    if (!text)
        mg_error_clear();
    return text;
}

static enum MHD_Result reply_error(conn_state *cs, struct MHD_Connection *conn, unsigned status,
                                   const char *msg)
{
    char *text = error_text(status, msg);
    char fixed[128];
    struct MHD_Response *r;

    if (!text) {
        /* Still an error body the client can read, only without the message's details. */
        snprintf(fixed, sizeof fixed,
                 "{\"error\":{\"code\":\"%s\",\"message\":\"the error message could not be "
                 "written\"}}",
                 web_error_code_of(status));
        r = MHD_create_response_from_buffer(strlen(fixed), fixed, MHD_RESPMEM_MUST_COPY);
        return queue(cs, conn, status, r, "application/json");
    }
    r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    return queue(cs, conn, status, r, "application/json");
}

/*
 * One non-blocking write of buf to the socket: this runs on a libmicrohttpd
 * worker, which must not wait for the client to make room. Returns how much
 * the kernel took (0 when none, or on an error).
 */
static size_t send_once(int fd, const char *buf, size_t len)
{
    ssize_t n;

    do
        n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    return n > 0 ? (size_t)n : 0;
}

/*
 * Answer the stashed error now, in the middle of the body. libmicrohttpd 0.9
 * queues a response only before the body is read or once it has ended, so a
 * chunked body past the limit would otherwise be read to its very end first.
 * The answer goes straight to the socket with "Connection: close", then the
 * write side is shut so the client sees where the answer ends. Plain HTTP
 * only: under TLS the bytes must go through libmicrohttpd's session, and the
 * answer waits for the end of the body as before.
 * The answer goes in one non-blocking write (send_once): nothing was sent on
 * this connection yet, so its few hundred bytes normally all fit at once.
 * Returns 1 when the whole answer went out, 0 when nothing did (answer at
 * the end instead), -1 when only part of it did (close the connection).
 */
static int answer_now(conn_state *cs, struct MHD_Connection *conn, const mg_server *s)
{
    const union MHD_ConnectionInfo *ci;
    const char *reason = MHD_get_reason_phrase_for(cs->err_status);
    mg_buf out = MG_BUF_INIT;
    char *text, date[64];
    struct tm tm;
    time_t now = time(NULL);
    header h[HEADERS_MAX];
    size_t sent, n;
    int rc, whole;

    if (s->tls_cert_pem || !(ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)))
        return 0;
    if (!(text = error_text(cs->err_status, cs->err_msg)))
        return 0;
    /* The request has failed: its upload goes now, before the client hears of it. */
    if (cs->fd >= 0)
        close(cs->fd);
    cs->fd = -1;
    if (cs->req.upload_path) {
        unlink(cs->req.upload_path);
        free(cs->req.upload_path);
        cs->req.upload_path = NULL;
    }
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    n = reply_headers(h, cs, cs->err_status, "application/json");
    rc = mg_buf_printf(&out, "HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Length: %zu\r\n"
                             "Date: %s\r\n",
                       cs->err_status, reason && *reason ? reason : "Error", strlen(text), date);
    for (size_t i = 0; rc == MG_OK && i < n; i++)
        rc = mg_buf_printf(&out, "%s: %s\r\n", h[i].name, h[i].value);
    if (rc == MG_OK)
        rc = mg_buf_printf(&out, "\r\n%s", text);
    free(text);
    if (rc < 0) {
        mg_buf_free(&out);
        mg_error_clear();
        return 0;
    }
    sent = send_once(ci->connect_fd, out.ptr, out.len);
    whole = sent == out.len; /* before mg_buf_free() zeroes out.len */
    if (whole)
        shutdown(ci->connect_fd, SHUT_WR);
    mg_buf_free(&out);
    if (sent == 0)
        return 0;
    cs->status = cs->err_status; /* for the metrics */
    cs->answered_raw = 1;
    return whole ? 1 : -1;
}

/* Close a connection answered by answer_now(): deliberate, so not logged as an error. */
static enum MHD_Result close_answered(const conn_state *cs)
{
    mg_log_info("http: answered %u before the request body ended; closing the connection",
                cs->status);
    closing_on_purpose = 1;
    return MHD_NO;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_state *ss = cls;
    long n = ss->st.read(ss->st.ud, buf, max);

    (void)pos;
    if (n < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n == 0)
        MHD_suspend_connection(ss->conn); /* events.c resumes it when there is more */
    return n;
}

static void stream_free(void *cls)
{
    stream_state *ss = cls;
    if (ss->st.free)
        ss->st.free(ss->st.ud);
    free(ss);
}

static enum MHD_Result reply_ok(conn_state *cs, struct MHD_Connection *conn)
{
    web_reply *rep = &cs->rep;
    unsigned status = rep->status ? rep->status : cs->req.route->ok_status;
    struct MHD_Response *r = NULL;
    const char *ctype = rep->content_type ? rep->content_type : "application/json";

    if (rep->stream.read) {
        stream_state *ss = calloc(1, sizeof *ss);
        if (!ss)
            return MHD_NO;
        ss->st = rep->stream;
        ss->conn = conn;
        memset(&rep->stream, 0, sizeof rep->stream); /* the response owns it now */
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, ss,
                                              stream_free);
        if (!r) {
            stream_free(ss);
            return MHD_NO;
        }
        return queue(cs, conn, status, r, ctype);
    }
    if (rep->json) {
        char *text = mg_json_dumps(rep->json, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!text)
            return reply_error(cs, conn, 500, "out of memory serialising the reply");
        r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        if (!r)
            free(text);
        return queue(cs, conn, status, r, "application/json");
    }
    if (rep->text) {
        r = MHD_create_response_from_buffer(rep->text_len, rep->text, MHD_RESPMEM_MUST_FREE);
        if (r)
            rep->text = NULL;
        return queue(cs, conn, status, r, ctype);
    }
    r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    return queue(cs, conn, status, r, ctype);
}

/* application/json, with or without parameters; absent counts as JSON too. */
static int is_json_type(const char *ct)
{
    size_t n = strlen("application/json");
    return !ct || (strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';'));
}

static int open_upload(conn_state *cs, mg_server *s)
{
    size_t n = strlen(s->tmp_dir) + 32;
    int rc;

    if (!(cs->req.upload_path = malloc(n)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    snprintf(cs->req.upload_path, n, "%s/upload.XXXXXX", s->tmp_dir);
    if ((cs->fd = mkstemp(cs->req.upload_path)) < 0) {
        free(cs->req.upload_path);
        cs->req.upload_path = NULL;
        return mg_error_set_errno(MG_EIO, errno, "cannot create a temporary upload file");
    }
    if ((rc = mg_sha256_create(&cs->hash)) < 0)
        return rc;
    return MG_OK;
}

/* Pick how the body is read and refuse what cannot be accepted before reading it. */
static void plan_body(conn_state *cs, struct MHD_Connection *conn, mg_server *s)
{
    const web_route *rt = cs->req.route;
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
    int json = is_json_type(ct);

    cs->req.content_type = ct;
    cs->mode = BODY_DISCARD;
    cs->limit = s->opt.max_json;
    if (rt->body == WEB_BODY_JSON || (rt->body == WEB_BODY_JSON_OR_FILE && json)) {
        if (!json) {
            mg_error_set(MG_EPARSE, "Content-Type '%s' not accepted: send application/json", ct);
            stash(cs, 415);
            return;
        }
        cs->mode = BODY_JSON;
        cs->body.max = s->opt.max_json;
    } else if (rt->body == WEB_BODY_FILE || rt->body == WEB_BODY_JSON_OR_FILE) {
        cs->limit = s->opt.max_upload;
        if (len <= cs->limit && open_upload(cs, s) < 0) {
            stash(cs, 500);
            return;
        }
        cs->mode = BODY_FILE;
    }
    if (len > cs->limit) {
        mg_error_set(MG_ETOOBIG, "request body of %llu bytes is past the limit of %llu bytes",
                     len, (unsigned long long)cs->limit);
        stash(cs, 413);
    }
}

/* First callback of a request: route, names, auth, body plan. */
static void begin(conn_state *cs, struct MHD_Connection *conn, mg_server *s, const char *url,
                  const char *method)
{
    int rc;

    cs->req.srv = s;
    cs->req.conn = conn;
    cs->req.method = method;
    cs->req.path = url;
    cs->fd = -1;
    if (atomic_load(&s->draining)) {
        mg_error_set(MG_ERROR, "the server is shutting down");
        stash(cs, 503);
        return;
    }
    rc = web_route_match(&cs->route, &cs->req, method, url, cs->allow, sizeof cs->allow);
    if (rc == WEB_ROUTE_BAD_METHOD) {
        mg_error_set(MG_ERROR, "method %s not allowed on %s (allowed: %s)", method, url,
                     cs->allow);
        stash(cs, 405);
        return;
    }
    if (rc < 0) {
        stash(cs, web_status_of(rc));
        return;
    }
    /* One look at the log's size stamps the token and reply caches for this request. */
    if (cs->req.route->min_role != MG_WEB_ROLE_NONE || cs->req.route->cache) {
        if (web_store_stamp_get(&cs->req.stamp, &s->app->stamp, s->app->store) == MG_OK)
            cs->req.have_stamp = 1;
        else
            mg_error_clear(); /* the caches are skipped; the store's own error comes later */
    }
    if ((rc = web_auth_check(&cs->req, s, conn, cs->req.route)) < 0) {
        stash(cs, web_status_of(rc));
        return;
    }
    for (size_t i = 0; i < cs->req.nparams; i++) {
        char what[64];
        snprintf(what, sizeof what, "path parameter {%s}", cs->req.param_names[i]);
        if ((rc = web_name_check(cs->req.params[i], what)) < 0) {
            stash(cs, web_status_of(rc));
            return;
        }
    }
    plan_body(cs, conn, s);
}

static void consume(conn_state *cs, const char *data, size_t len)
{
    cs->received += len;
    if (cs->err_status)
        return;
    if (cs->received > cs->limit) {
        mg_error_set(MG_ETOOBIG, "request body is past the limit of %llu bytes",
                     (unsigned long long)cs->limit);
        stash(cs, 413);
        return;
    }
    if (cs->mode == BODY_JSON) {
        if (mg_buf_put(&cs->body, data, len) < 0)
            stash(cs, web_status_of(mg_error_code()));
    } else if (cs->mode == BODY_FILE) {
        size_t off = 0;
        if (mg_sha256_update(cs->hash, data, len) < 0) {
            stash(cs, 500);
            return;
        }
        while (off < len) {
            ssize_t w = write(cs->fd, data + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                mg_error_set_errno(MG_EIO, errno, "writing the upload");
                stash(cs, errno == ENOSPC ? 507 : 500);
                return;
            }
            off += (size_t)w;
        }
    }
}

/* The whole body is in: parse and check it. */
static int finish_body(conn_state *cs)
{
    json_error_t jerr;
    unsigned char digest[MG_SHA256_LEN];

    if (cs->mode == BODY_FILE) {
        if (fsync(cs->fd) != 0 || close(cs->fd) != 0) {
            cs->fd = -1;
            return mg_error_set_errno(MG_EIO, errno, "finishing the upload");
        }
        cs->fd = -1;
        if (mg_sha256_final(cs->hash, digest) < 0)
            return MG_ERROR;
        mg_sha256_hex(cs->req.upload_sha256, digest);
        cs->req.upload_size = cs->received;
        return MG_OK;
    }
    if (cs->mode != BODY_JSON)
        return MG_OK;
    if (cs->body.len == 0)
        cs->req.body = json_object();
    else
        cs->req.body = json_loadb(cs->body.ptr, cs->body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!cs->req.body)
        return mg_error_set(MG_EPARSE, "request body: line %d, column %d: %s%s", jerr.line,
                            jerr.column,
                            strstr(jerr.text, "decode byte") ? "not valid UTF-8: " : "",
                            jerr.text);
    if (cs->req.route->fields)
        return web_json_check(cs->req.body, cs->req.route->fields);
    return MG_OK;
}

/* A reply cached at the request's log size: 1 and rep filled. */
static int cached(conn_state *cs, mg_server *s, const char *url)
{
    if (!cs->req.have_stamp)
        return 0;
    cs->stamp = cs->req.stamp;
    cs->cacheable = 1;
    if (!(cs->rep.text = web_reply_cache_get(s->app->replies, url, cs->stamp, &cs->rep.text_len)))
        return 0;
    cs->rep.content_type = "application/json";
    return 1;
}

/* Keep a JSON reply for the next GET of `url` while the log stays at cs->stamp. */
static void remember(conn_state *cs, mg_server *s, const char *url)
{
    web_reply *rep = &cs->rep;
    char *text;

    if (!rep->json || (rep->status && rep->status != 200) || rep->stream.read)
        return;
    if (!(text = mg_json_dumps(rep->json, JSON_COMPACT | JSON_ENSURE_ASCII)))
        return;
    rep->text_len = strlen(text);
    web_reply_cache_put(s->app->replies, url, cs->stamp, text, rep->text_len);
    json_decref(rep->json);
    rep->json = NULL;
    rep->text = text;
    rep->content_type = "application/json";
}

static int has_body(struct MHD_Connection *conn)
{
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
    return te || (cl && strtoull(cl, NULL, 10) > 0);
}

enum MHD_Result web_on_request(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    mg_server *s = cls;
    conn_state *cs = *con_cls;
    int rc;

    (void)version;
    closing_on_purpose = 0;
    if (!cs) {
        if (!(cs = calloc(1, sizeof *cs)))
            return MHD_NO;
        clock_gettime(CLOCK_MONOTONIC, &cs->t0);
        cs->route = -1;
        cs->fd = -1;
        *con_cls = cs;
        pthread_mutex_lock(&s->lock);
        s->inflight++;
        pthread_mutex_unlock(&s->lock);
        begin(cs, conn, s, url, method);
        /* Refuse a request with a body at once: the client need not send it. */
        if (cs->err_status && has_body(conn))
            return reply_error(cs, conn, cs->err_status, cs->err_msg);
        return MHD_YES;
    }
    if (cs->status) {
        /* Answered on the socket: close at the body's end, or once enough was dropped. */
        if (cs->answered_raw && (!*upload_data_size || cs->received > cs->limit + LINGER_MAX))
            return close_answered(cs);
        cs->received += *upload_data_size;
        *upload_data_size = 0; /* already answered: the rest of the body is dropped */
        return MHD_YES;
    }
    if (*upload_data_size) {
        consume(cs, upload_data, *upload_data_size);
        *upload_data_size = 0;
        /* An error mid-body (past the limit of a chunked body): answer it now. */
        if (cs->err_status && !cs->raw_tried) {
            cs->raw_tried = 1;
            if (answer_now(cs, conn, s) < 0)
                return close_answered(cs);
        }
        return MHD_YES;
    }
    if (cs->err_status)
        return reply_error(cs, conn, cs->err_status, cs->err_msg);
    mg_error_clear();
    if (cs->req.route->cache && cached(cs, s, url))
        return reply_ok(cs, conn);
    if ((rc = finish_body(cs)) < 0 || (rc = cs->req.route->handler(&cs->rep, &cs->req)) < 0) {
        const char *msg = *mg_error_last() ? mg_error_last() : mg_strerror(rc);
        return reply_error(cs, conn, web_status_of(rc), msg);
    }
    if (cs->cacheable)
        remember(cs, s, url);
    return reply_ok(cs, conn);
}

void web_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    mg_server *s = cls;
    conn_state *cs = *con_cls;
    struct timespec t1;
    unsigned long us;

    (void)conn;
    (void)toe;
    if (!cs)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    us = (unsigned long)((t1.tv_sec - cs->t0.tv_sec) * 1000000L +
                         (t1.tv_nsec - cs->t0.tv_nsec) / 1000L);
    web_metrics_observe(&s->metrics, cs->route, cs->status, us);
    if (cs->fd >= 0)
        close(cs->fd);
    if (cs->req.upload_path) {
        unlink(cs->req.upload_path); /* a handler that kept it renamed it away */
        free(cs->req.upload_path);
    }
    mg_sha256_free(cs->hash);
    mg_buf_free(&cs->body);
    json_decref(cs->req.body);
    json_decref(cs->rep.json);
    free(cs->rep.text);
    if (cs->rep.stream.free)
        cs->rep.stream.free(cs->rep.stream.ud);
    web_request_params_free(&cs->req);
    free(cs);
    *con_cls = NULL;
    pthread_mutex_lock(&s->lock);
    if (--s->inflight == 0)
        pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
}
