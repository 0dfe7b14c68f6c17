/* http_client.h - a small blocking HTTP/1.1 client: webhook deliveries and tests (not public). */
#ifndef WEB_HTTP_CLIENT_H
#define WEB_HTTP_CLIENT_H

#include <stddef.h>

#include "mg_buf.h"

typedef struct web_http_response {
    unsigned status;
    mg_buf headers; /* raw header lines after the status line */
    mg_buf body;    /* de-chunked */
} web_http_response;

#define WEB_HTTP_RESPONSE_INIT {0, MG_BUF_INIT, MG_BUF_INIT}

/* Options of one request; zeroed fields take the defaults. */
typedef struct web_http_options {
    const char *const *headers; /* "Name: value" lines, NULL-terminated, or NULL */
    const void *body;
    size_t body_len;
    unsigned timeout_ms; /* connect + each read/write (default 10000) */
    const char *ca_file; /* https: trust this PEM instead of the system store */
    size_t max_body;     /* cap on the response body (default 64 MiB) */
} web_http_options;

/*
 * Whether `url` may go on a request line as it is: printable ASCII only (no
 * CR, LF or other control byte, no space, no byte past 0x7f) and no user
 * information ("user@host") before the host. Errors: MG_EINVAL "URL: space
 * at offset 20" (the message leaves the URL out, since it holds such bytes).
 */
int web_http_url_check(const char *url);

/*
 * Send one request (with "Connection: close") to an http:// or https:// URL
 * and read the whole answer. A URL web_http_url_check() refuses, or a
 * header line holding a CR, LF or other control byte, is refused before
 * anything connects. Errors: MG_EINVAL (bad URL or header), MG_EIO (connect,
 * TLS, timeout, read or write failure, naming the URL), MG_EPARSE (not an
 * HTTP answer), MG_ETOOBIG, MG_ENOMEM. Free with web_http_response_free().
 */
int web_http_request(web_http_response *out, const char *method, const char *url,
                     const web_http_options *opt);

void web_http_response_free(web_http_response *r);

/* The value of header `name` in r (case-insensitive), copied into `out`; 0 if absent. */
int web_http_header(const web_http_response *r, const char *name, char *out, size_t size);

/* 1 when the URL's host is a loopback address (127.0.0.0/8, ::1, localhost). */
int web_http_url_is_loopback(const char *url);

#endif
