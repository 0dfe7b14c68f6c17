/* test_web_input.c - bad input gets a clear 4xx and the server stays up. */
#define _POSIX_C_SOURCE 200809L
#include "mg_core.h"
#include "mg_governance.h"
#include "mg_web.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static mg_server *srv;
static char admin[MG_TOKEN_SECRET_MAX];
static char store_dir[512];

/* Every log line the server writes, "<level> <message>\n", for the tests that read them. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static mg_buf log_text = MG_BUF_INIT;

static void capture_log(void *ud, mg_log_level level, const char *msg)
{
    (void)ud;
    pthread_mutex_lock(&log_lock);
    mg_buf_printf(&log_text, "%d %s\n", (int)level, msg);
    pthread_mutex_unlock(&log_lock);
}

/* Stop the server (every request completes first) and return what it logged. */
static char *stop_and_read_log(void)
{
    char *text;
    mg_server_shutdown(srv);
    srv = NULL;
    pthread_mutex_lock(&log_lock);
    text = strdup(log_text.ptr ? log_text.ptr : "");
    pthread_mutex_unlock(&log_lock);
    return text;
}

static void setup(void)
{
    static int runs;
    mg_server_options o = MG_SERVER_OPTIONS_INIT;
    char name[32], *dir;
    mg_store *st;
    mg_actor local;
    mg_gov_result res;

    snprintf(name, sizeof name, "store%d", runs++);
    dir = tu_path(name);
    ck_assert_msg(mg_store_init(&st, dir) == MG_OK, "%s", mg_error_last());
    mg_actor_local(&local);
    ck_assert_int_eq(mg_gov_token_create(&res, admin, st, &local, "root", MG_ROLE_ADMIN), MG_OK);
    mg_store_close(st);
    o.store_dir = dir;
    o.listen = "127.0.0.1:0";
    o.http_threads = 2;
    o.max_json = 4096;
    o.max_upload = 8192;
    ck_assert_msg(mg_server_start(&srv, &o) == MG_OK, "%s", mg_error_last());
    snprintf(store_dir, sizeof store_dir, "%s", dir);
    free(dir);
}

static void teardown(void)
{
    mg_server_shutdown(srv);
}

/* The status line and headers of the last answer raw() read. */
static char seen_head[4096];

/* A connection to the server, reads timing out after 10 s. */
static int dial(void)
{
    struct sockaddr_in a;
    struct timeval tv = {10, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    ck_assert_int_ge(fd, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)mg_server_port(srv));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Send raw bytes (a whole request) and read the answer; returns the status, body in *body. */
static unsigned raw(char **body, const char *head, const void *data, size_t len)
{
    mg_buf in = MG_BUF_INIT;
    char buf[4096];
    const char *b;
    int fd = dial();
    unsigned status;

    ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    if (len)
        send(fd, data, len, MSG_NOSIGNAL); /* may be cut short by an early 413 */
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        mg_buf_put(&in, buf, (size_t)r);
    }
    close(fd);
    ck_assert_msg(in.len > 12, "no answer to: %.60s", head);
    status = (unsigned)atoi(in.ptr + 9);
    b = strstr(in.ptr, "\r\n\r\n");
    snprintf(seen_head, sizeof seen_head, "%.*s", (int)(b ? b - in.ptr + 2 : 0), in.ptr);
    *body = strdup(b ? b + 4 : "");
    mg_buf_free(&in);
    return status;
}

/* POST `body` as JSON to the webhooks route (admin). */
static unsigned post_json(char **out, const void *body, size_t len)
{
    char head[512];
    snprintf(head, sizeof head,
             "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n",
             admin, len);
    return raw(out, head, body, len);
}

/* The error body's message, checked to have exactly the documented shape. */
static const char *message(const char *body, const char *code)
{
    static char msg[1024];
    json_t *j = json_loads(body, 0, NULL), *e;
    ck_assert_msg(j != NULL, "not JSON: %s", body);
    e = json_object_get(j, "error");
    ck_assert_uint_eq(json_object_size(j), 1);
    ck_assert_uint_eq(json_object_size(e), 2);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")), code);
    snprintf(msg, sizeof msg, "%s", json_string_value(json_object_get(e, "message")));
    json_decref(j);
    return msg;
}

static void still_up(void)
{
    char *body;
    ck_assert_uint_eq(raw(&body, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                          NULL, 0),
                      200);
    free(body);
}

static void expect(const char *json, unsigned status, const char *code, const char *want)
{
    char *body;
    ck_assert_uint_eq(post_json(&body, json, strlen(json)), status);
    ck_assert_msg(strstr(message(body, code), want), "%s -> %s", json, body);
    free(body);
    still_up();
}

START_TEST(test_web_input_malformed_json)
{
    expect("{\"url\": ", 400, "bad_request", "request body: line 1");
    expect("[1,2]", 400, "bad_request", "expected a JSON object, got an array");
    expect("{\"url\":\"http://127.0.0.1:1/\",\"url\":\"x\"}", 400, "bad_request", "duplicate");
    expect("{\"url\":\"http://127.0.0.1:1/\"} trailing", 400, "bad_request", "end of file");
}
END_TEST

START_TEST(test_web_input_types_and_unknown_fields)
{
    expect("{\"url\":42}", 400, "bad_request", "field 'url': expected string, got an integer");
    expect("{\"url\":\"http://127.0.0.1:1/\",\"events\":\"report.ready\"}", 400, "bad_request",
           "field 'events': expected array, got a string");
    expect("{\"url\":\"http://127.0.0.1:1/\",\"events\":[7]}", 400, "bad_request",
           "field 'events[0]': expected string, got an integer");
    expect("{\"url\":\"http://127.0.0.1:1/\",\"event\":[]}", 400, "bad_request",
           "unknown field 'event'");
    expect("{}", 400, "bad_request", "missing required field 'url'");
    expect("{\"url\":\"http://127.0.0.1:1/\",\"events\":[\"nope\"]}", 400, "bad_request",
           "field 'events[0]': 'nope' is not one of");
    expect("{\"url\":\"file:///etc/passwd\"}", 422, "unprocessable", "http:// or https://");
}
END_TEST

/*
 * A webhook URL goes on a request line as it is: bytes that could split the
 * request (CR, LF, other controls, space, non-ASCII) and user information
 * before the host are refused, naming the field, and nothing is registered.
 */
START_TEST(test_web_input_webhook_url_bytes)
{
    char head[512], *body;

    /* "http://127.0.0.1:1/a" is 20 bytes: offsets 0..19 */
    expect("{\"url\":\"http://127.0.0.1:1/a\\r\\nX-Evil: 1\"}", 422, "unprocessable",
           "field 'url': control byte 0x0d at offset 20");
    expect("{\"url\":\"http://127.0.0.1:1/a\\nHost: evil\"}", 422, "unprocessable",
           "field 'url': control byte 0x0a at offset 20");
    expect("{\"url\":\"http://127.0.0.1:1/a\\u0001\"}", 422, "unprocessable",
           "field 'url': control byte 0x01 at offset 20");
    expect("{\"url\":\"http://127.0.0.1:1/a\\t\"}", 422, "unprocessable",
           "field 'url': control byte 0x09 at offset 20");
    expect("{\"url\":\"http://127.0.0.1:1/a\\u007f\"}", 422, "unprocessable",
           "field 'url': control byte 0x7f at offset 20");
    expect("{\"url\":\"http://127.0.0.1:1/a b\"}", 422, "unprocessable",
           "field 'url': space at offset 20");
    expect("{\"url\":\"http://127.0.0.1:1/\xc3\xa9\"}", 422, "unprocessable",
           "field 'url': non-ASCII byte 0xc3 at offset 19");
    expect("{\"url\":\"http://127.0.0.1\xef\xbc\x8e"
           "1:1/\"}",
           422, "unprocessable",
           "field 'url': non-ASCII byte 0xef at offset 16");
    expect("{\"url\":\"http://user:pw@127.0.0.1:1/\"}", 422, "unprocessable",
           "field 'url': user information ('...@') before the host is not allowed");
    /* the host is example.com, not the loopback address its port field seems to name */
    expect("{\"url\":\"http://127.0.0.1:80@example.com/\"}", 422, "unprocessable",
           "field 'url': user information ('...@') before the host is not allowed");
    snprintf(head, sizeof head,
             "GET /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\n\r\n",
             admin);
    ck_assert_uint_eq(raw(&body, head, NULL, 0), 200);
    ck_assert_str_eq(body, "{\"webhooks\":[]}");
    free(body);
    /* '@' and percent escapes in the path are fine */
    {
        const char *ok = "{\"url\":\"http://127.0.0.1:1/a@b%0d%0a\"}";
        ck_assert_uint_eq(post_json(&body, ok, strlen(ok)), 201);
        free(body);
    }
}
END_TEST

/* Invalid UTF-8 inside a JSON string: jansson refuses it, naming the place. */
START_TEST(test_web_input_non_utf8)
{
    const char bad[] = "{\"url\":\"http://127.0.0.1:1/\xff\xfe\"}";
    char *body;

    ck_assert_uint_eq(post_json(&body, bad, sizeof bad - 1), 400);
    ck_assert_ptr_nonnull(strstr(message(body, "bad_request"),
                                 "column 27: not valid UTF-8: unable to decode byte 0xff"));
    free(body);
    still_up();
}
END_TEST

/* Past max_json (4096 here): 413 from Content-Length at once, and from a chunked body too. */
START_TEST(test_web_input_huge_bodies)
{
    size_t n = 1 << 20;
    char *big = malloc(n), *body, head[512];

    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    ck_assert_uint_eq(post_json(&body, big, n), 413);
    ck_assert_ptr_nonnull(strstr(message(body, "payload_too_large"), "limit of 4096 bytes"));
    free(body);
    still_up();
    snprintf(head, sizeof head,
             "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Transfer-Encoding: chunked\r\n\r\n",
             admin);
    {
        mg_buf chunks = MG_BUF_INIT;
        for (int i = 0; i < 10; i++) {
            mg_buf_printf(&chunks, "%x\r\n", 1000);
            mg_buf_put(&chunks, big, 1000);
            mg_buf_puts(&chunks, "\r\n");
        }
        mg_buf_puts(&chunks, "0\r\n\r\n");
        ck_assert_uint_eq(raw(&body, head, chunks.ptr, chunks.len), 413);
        ck_assert_ptr_nonnull(strstr(message(body, "payload_too_large"), "4096"));
        free(body);
        mg_buf_free(&chunks);
    }
    still_up();
    free(big);
}
END_TEST

/* `n` chunks of `size` bytes of `fill`, with no last chunk: the body never ends. */
static void open_chunks(mg_buf *b, int n, size_t size, char fill)
{
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(mg_buf_printf(b, "%zx\r\n", size), MG_OK);
        for (size_t k = 0; k < size; k++)
            ck_assert_int_eq(mg_buf_putc(b, fill), MG_OK);
        ck_assert_int_eq(mg_buf_puts(b, "\r\n"), MG_OK);
    }
}

/*
 * A chunked JSON body that passes max_json (4096) and then stalls: the 413
 * comes as soon as the limit is passed, not when the body ends (it never
 * does here, so a server waiting for the end would not answer before the
 * client's 10 s read timeout).
 */
START_TEST(test_web_input_chunked_413_at_the_limit)
{
    mg_buf chunks = MG_BUF_INIT;
    char head[512], *body;

    snprintf(head, sizeof head,
             "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
             admin);
    open_chunks(&chunks, 5, 1000, ' '); /* 5000 bytes > 4096 */
    ck_assert_uint_eq(raw(&body, head, chunks.ptr, chunks.len), 413);
    ck_assert_str_eq(message(body, "payload_too_large"),
                     "request body is past the limit of 4096 bytes");
    free(body);
    mg_buf_free(&chunks);
    still_up();
}
END_TEST

/* The same for a streamed upload past max_upload (8192): 413 at once, no file left behind. */
START_TEST(test_web_input_chunked_upload_413_at_the_limit)
{
    mg_buf chunks = MG_BUF_INIT;
    char head[512], tmp[600], *body;
    DIR *d;
    struct dirent *e;

    snprintf(head, sizeof head,
             "POST /api/v1/datasets?name=big HTTP/1.1\r\nHost: x\r\n"
             "Authorization: Bearer %s\r\nContent-Type: text/csv\r\n"
             "Transfer-Encoding: chunked\r\n\r\n",
             admin);
    open_chunks(&chunks, 3, 4000, 'a'); /* 12000 bytes > 8192 */
    ck_assert_uint_eq(raw(&body, head, chunks.ptr, chunks.len), 413);
    ck_assert_str_eq(message(body, "payload_too_large"),
                     "request body is past the limit of 8192 bytes");
    free(body);
    mg_buf_free(&chunks);
    still_up();
    snprintf(tmp, sizeof tmp, "%s/tmp", store_dir);
    ck_assert_ptr_nonnull(d = opendir(tmp));
    while ((e = readdir(d)))
        ck_assert_msg(e->d_name[0] == '.', "left in tmp/: %s", e->d_name);
    closedir(d);
}
END_TEST

/*
 * A path that decodes to bytes that are not UTF-8 still gets its JSON error,
 * the path named with each such byte written as \xNN (JSON text must be
 * UTF-8): a 404 for no route, a 405 for a method the route lacks.
 */
START_TEST(test_web_input_non_utf8_path_named)
{
    char head[512], *body;

    ck_assert_uint_eq(raw(&body, "GET /nosuch%FF HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                          NULL, 0),
                      404);
    ck_assert_str_eq(message(body, "not_found"), "no such resource: /nosuch\\xff");
    free(body);
    snprintf(head, sizeof head,
             "PUT /api/v1/models/%%FFx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\n\r\n",
             admin);
    ck_assert_uint_eq(raw(&body, head, NULL, 0), 405);
    ck_assert_str_eq(message(body, "method_not_allowed"),
                     "method PUT not allowed on /api/v1/models/\\xffx (allowed: GET, PATCH)");
    free(body);
    /* a sequence cut short, an overlong form and a surrogate, each byte named */
    ck_assert_uint_eq(raw(&body,
                          "GET /a%C3%E2%82%C0%AF%ED%A0%80\xc3\xa9 HTTP/1.1\r\nHost: x\r\n"
                          "Connection: close\r\n\r\n",
                          NULL, 0),
                      404);
    ck_assert_str_eq(message(body, "not_found"),
                     "no such resource: /a\\xc3\\xe2\\x82\\xc0\\xaf\\xed\\xa0\\x80\xc3\xa9");
    free(body);
    still_up();
}
END_TEST

/*
 * After the early 413 the server goes on reading the body (and drops it)
 * until its end, then closes: a client that goes on sending is not cut off
 * with a reset, which could destroy the 413 before the client reads it.
 */
START_TEST(test_web_input_early_413_reads_to_the_end)
{
    mg_buf chunks = MG_BUF_INIT, more = MG_BUF_INIT, in = MG_BUF_INIT;
    char head[512], buf[4096];
    struct timespec pause = {0, 200 * 1000 * 1000};
    int fd = dial();
    ssize_t r;

    snprintf(head, sizeof head,
             "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
             admin);
    open_chunks(&chunks, 5, 1000, ' '); /* 5000 bytes > 4096 */
    ck_assert_int_eq(send(fd, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    ck_assert_int_eq(send(fd, chunks.ptr, chunks.len, MSG_NOSIGNAL), (ssize_t)chunks.len);
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0) /* the 413, then the server's FIN */
        ck_assert_int_eq(mg_buf_put(&in, buf, (size_t)r), MG_OK);
    ck_assert_int_eq(r, 0);
    ck_assert_msg(strncmp(in.ptr, "HTTP/1.1 413 ", 13) == 0, "%s", in.ptr);
    /* the body goes on: with the connection closed, the second send would fail (EPIPE) */
    open_chunks(&more, 2, 1000, ' ');
    for (int i = 0; i < 2; i++) {
        nanosleep(&pause, NULL);
        ck_assert_msg(send(fd, more.ptr, more.len, MSG_NOSIGNAL) == (ssize_t)more.len,
                      "send %d after the 413: %s", i + 1, strerror(errno));
    }
    nanosleep(&pause, NULL);
    ck_assert_int_eq(send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL), 5);
    /* the body has ended: the server closes, cleanly */
    shutdown(fd, SHUT_WR);
    errno = 0;
    r = recv(fd, buf, sizeof buf, 0);
    ck_assert_msg(r == 0, "recv after the body's end: %zd (%s)", r, strerror(errno));
    close(fd);
    mg_buf_free(&in);
    mg_buf_free(&chunks);
    mg_buf_free(&more);
    still_up();
}
END_TEST

/* Header `line` ("Name: value") appears in `head` exactly once. */
static void one_header(const char *head, const char *line)
{
    char want[256];
    const char *at;

    snprintf(want, sizeof want, "\r\n%s\r\n", line);
    ck_assert_msg((at = strstr(head, want)) != NULL, "no '%s' in:\n%s", line, head);
    ck_assert_msg(!strstr(at + 1, want), "'%s' twice in:\n%s", line, head);
}

/*
 * The 413 written straight to the socket mid-body carries the headers of
 * the one libmicrohttpd sends when Content-Length is past the limit.
 */
START_TEST(test_web_input_early_413_headers)
{
    mg_buf chunks = MG_BUF_INIT;
    char head[512], queued[4096], *body;
    static const char *const lines[] = {"Content-Type: application/json",
                                        "Cache-Control: no-store", "Connection: close"};

    snprintf(head, sizeof head,
             "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
             "Content-Length: 5000\r\n\r\n",
             admin);
    ck_assert_uint_eq(raw(&body, head, NULL, 0), 413);
    free(body);
    snprintf(queued, sizeof queued, "%s", seen_head);
    snprintf(head, sizeof head,
             "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
             admin);
    open_chunks(&chunks, 5, 1000, ' ');
    ck_assert_uint_eq(raw(&body, head, chunks.ptr, chunks.len), 413);
    free(body);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        one_header(queued, lines[i]);
        one_header(seen_head, lines[i]);
    }
    ck_assert_ptr_nonnull(strstr(seen_head, "\r\nDate: "));
    mg_buf_free(&chunks);
}
END_TEST

/*
 * Closing the connection after a 413 answered mid-body is deliberate, not
 * an internal error: libmicrohttpd's "Application reported internal error,
 * closing connection." warning is not logged for it; an info line says
 * what happened instead. One body ends after the limit, one never does.
 */
START_TEST(test_web_input_chunked_413_logs_no_internal_error)
{
    mg_buf ended = MG_BUF_INIT, stalled = MG_BUF_INIT;
    char head[512], *body, *log;

    snprintf(head, sizeof head,
             "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
             admin);
    open_chunks(&ended, 6, 1000, ' '); /* 6000 bytes > 4096, then the last chunk */
    ck_assert_int_eq(mg_buf_puts(&ended, "0\r\n\r\n"), MG_OK);
    ck_assert_uint_eq(raw(&body, head, ended.ptr, ended.len), 413);
    free(body);
    open_chunks(&stalled, 5, 1000, ' ');
    ck_assert_uint_eq(raw(&body, head, stalled.ptr, stalled.len), 413);
    free(body);
    still_up();
    log = stop_and_read_log();
    ck_assert_msg(!strstr(log, "internal error"), "logged: %s", log);
    ck_assert_msg(strstr(log, "2 http: answered 413 before the request body ended; closing the "
                              "connection"),
                  "logged: %s", log);
    free(log);
    mg_buf_free(&ended);
    mg_buf_free(&stalled);
}
END_TEST

START_TEST(test_web_input_wrong_content_type_and_names)
{
    char head[512], *body;

    snprintf(head, sizeof head,
             "POST /api/v1/webhooks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\nContent-Type: text/xml\r\nContent-Length: 2\r\n\r\n",
             admin);
    ck_assert_uint_eq(raw(&body, head, "<>", 2), 415);
    ck_assert_ptr_nonnull(strstr(message(body, "unsupported_media_type"), "application/json"));
    free(body);
    snprintf(head, sizeof head,
             "DELETE /api/v1/webhooks/..%%2f1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\n\r\n",
             admin);
    ck_assert_uint_eq(raw(&body, head, NULL, 0), 404); /* "../1" is two segments: no route */
    free(body);
    snprintf(head, sizeof head,
             "DELETE /api/v1/webhooks/.. HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\n\r\n",
             admin);
    ck_assert_uint_eq(raw(&body, head, NULL, 0), 400);
    ck_assert_ptr_nonnull(strstr(message(body, "bad_request"), "{id}"));
    free(body);
    snprintf(head, sizeof head,
             "GET /api/v1/jobs/%%00%%ff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
             "Authorization: Bearer %s\r\n\r\n",
             admin);
    ck_assert_uint_lt(raw(&body, head, NULL, 0), 500);
    free(body);
    still_up();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("web_input");
    TCase *tc = tcase_create("bad input");
    SRunner *sr;
    int failed;

    mg_log_set_sink(capture_log, NULL, MG_LOG_DEBUG);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_web_input_malformed_json);
    tcase_add_test(tc, test_web_input_types_and_unknown_fields);
    tcase_add_test(tc, test_web_input_non_utf8);
    tcase_add_test(tc, test_web_input_webhook_url_bytes);
    tcase_add_test(tc, test_web_input_huge_bodies);
    tcase_add_test(tc, test_web_input_chunked_413_at_the_limit);
    tcase_add_test(tc, test_web_input_chunked_upload_413_at_the_limit);
    tcase_add_test(tc, test_web_input_chunked_413_logs_no_internal_error);
    tcase_add_test(tc, test_web_input_non_utf8_path_named);
    tcase_add_test(tc, test_web_input_early_413_headers);
    tcase_add_test(tc, test_web_input_early_413_reads_to_the_end);
    tcase_add_test(tc, test_web_input_wrong_content_type_and_names);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
