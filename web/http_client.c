/* http_client.c - blocking HTTP/1.1 over TCP or TLS (OpenSSL) with timeouts. */
#define _POSIX_C_SOURCE 200809L
#include "http_client.h"

#include "mg_error.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct url_parts {
    int tls;
    char host[256];
    char port[8];
    const char *path; /* into the URL */
} url_parts;

typedef struct conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    unsigned timeout_ms;
} conn;

static int parse_url(url_parts *u, const char *url)
{
    const char *p, *hend, *pstart;
    size_t hlen;

    memset(u, 0, sizeof *u);
    if (strncmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else if (strncmp(url, "https://", 8) == 0) {
        p = url + 8;
        u->tls = 1;
    } else {
        return mg_error_set(MG_EINVAL, "URL '%s': expected http:// or https://", url);
    }
    pstart = p + strcspn(p, "/?#");
    u->path = *pstart == '/' ? pstart : "/";
    if (*p == '[') {
        hend = memchr(p, ']', (size_t)(pstart - p));
        if (!hend)
            return mg_error_set(MG_EINVAL, "URL '%s': unterminated IPv6 address", url);
        hlen = (size_t)(hend - p - 1);
        p++;
        hend++;
    } else {
        hend = memchr(p, ':', (size_t)(pstart - p));
        if (!hend)
            hend = pstart;
        hlen = (size_t)(hend - p);
    }
    if (hlen == 0 || hlen >= sizeof u->host)
        return mg_error_set(MG_EINVAL, "URL '%s': bad host", url);
    memcpy(u->host, p, hlen);
    u->host[hlen] = '\0';
    if (hend < pstart && *hend == ':') {
        size_t plen = (size_t)(pstart - hend - 1);
        if (plen == 0 || plen >= sizeof u->port)
            return mg_error_set(MG_EINVAL, "URL '%s': bad port", url);
        memcpy(u->port, hend + 1, plen);
        u->port[plen] = '\0';
    } else {
        strcpy(u->port, u->tls ? "443" : "80");
    }
    return MG_OK;
}

/* The first byte of s[0..len) that may not stand in a request or header line, or NULL. */
static const char *unsafe_byte(const char *s, size_t len, int space_ok)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || (c == ' ' && !space_ok))
            return s + i;
    }
    return NULL;
}

/* Name byte *p of s: "control byte 0x0d at offset 20". */
static int unsafe_error(const char *what, const char *s, const char *p)
{
    unsigned char c = (unsigned char)*p;
    size_t at = (size_t)(p - s);

    if (c == ' ')
        return mg_error_set(MG_EINVAL, "%s: space at offset %zu", what, at);
    if (c >= 0x80)
        return mg_error_set(MG_EINVAL, "%s: non-ASCII byte 0x%02x at offset %zu", what, c, at);
    return mg_error_set(MG_EINVAL, "%s: control byte 0x%02x at offset %zu", what, c, at);
}

int web_http_url_check(const char *url)
{
    const char *bad = unsafe_byte(url, strlen(url), 0), *host = strstr(url, "://");

    if (bad)
        return unsafe_error("URL", url, bad);
    /* RFC 3986 §3.2.1: userinfo ends at '@' inside the authority; it would hide the real host */
    if (host && memchr(host + 3, '@', strcspn(host + 3, "/?#")))
        return mg_error_set(MG_EINVAL,
                            "URL: user information ('...@') before the host is not allowed");
    return MG_OK;
}

int web_http_url_is_loopback(const char *url)
{
    url_parts u;
    struct in_addr a4;
    struct in6_addr a6;

    if (parse_url(&u, url) < 0) {
        mg_error_clear();
        return 0;
    }
    if (strcasecmp(u.host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, u.host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, u.host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

static int wait_fd(const conn *c, short events)
{
    struct pollfd p = {c->fd, events, 0};
    int n;

    do
        n = poll(&p, 1, (int)c->timeout_ms);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return mg_error_set(MG_EIO, "timed out after %u ms", c->timeout_ms);
    return n < 0 ? mg_error_set_errno(MG_EIO, errno, "poll") : MG_OK;
}

static int connect_to(conn *c, const url_parts *u)
{
    struct addrinfo hints, *res = NULL, *ai;
    int rc, err = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(u->host, u->port, &hints, &res)) != 0)
        return mg_error_set(MG_EIO, "%s: %s", u->host, gai_strerror(rc));
    for (ai = res; ai; ai = ai->ai_next) {
        c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
            continue;
        if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
            (errno == EINPROGRESS && wait_fd(c, POLLOUT) == 0)) {
            socklen_t len = sizeof err;
            getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err == 0)
                break;
        } else {
            err = errno ? errno : ETIMEDOUT;
        }
        close(c->fd);
        c->fd = -1;
    }
    freeaddrinfo(res);
    if (c->fd < 0)
        return mg_error_set_errno(MG_EIO, err ? err : ECONNREFUSED, "connect %s:%s", u->host,
                                  u->port);
    return MG_OK;
}

static int tls_start(conn *c, const url_parts *u, const char *ca_file)
{
    int r;

    if (!(c->ctx = SSL_CTX_new(TLS_client_method())) || !(c->ssl = SSL_new(c->ctx)))
        return mg_error_set(MG_ENOMEM, "TLS: out of memory");
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    if (ca_file ? SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1
                : SSL_CTX_set_default_verify_paths(c->ctx) != 1)
        return mg_error_set(MG_EIO, "TLS: cannot load trusted certificates%s%s",
                            ca_file ? " from " : "", ca_file ? ca_file : "");
    SSL_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
    SSL_set_tlsext_host_name(c->ssl, u->host);
    SSL_set1_host(c->ssl, u->host);
    SSL_set_fd(c->ssl, c->fd);
    while ((r = SSL_connect(c->ssl)) != 1) {
        int e = SSL_get_error(c->ssl, r), rc;
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
            char msg[256];
            ERR_error_string_n(ERR_get_error(), msg, sizeof msg);
            return mg_error_set(MG_EIO, "TLS handshake with %s failed: %s", u->host, msg);
        }
        if ((rc = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) < 0)
            return rc;
    }
    return MG_OK;
}

/* Write all of buf. */
static int send_all(conn *c, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n;
        int rc;
        if (c->ssl) {
            int r = SSL_write(c->ssl, buf, (int)(len > 1 << 20 ? 1 << 20 : len));
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                    return mg_error_set(MG_EIO, "TLS write failed");
                if ((rc = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) < 0)
                    return rc;
                continue;
            }
            n = r;
        } else {
            n = send(c->fd, buf, len, MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                if ((rc = wait_fd(c, POLLOUT)) < 0)
                    return rc;
                continue;
            }
            if (n < 0)
                return mg_error_set_errno(MG_EIO, errno, "send");
        }
        buf += n;
        len -= (size_t)n;
    }
    return MG_OK;
}

/* Read until the peer closes, into b. */
static int recv_all(conn *c, mg_buf *b)
{
    char tmp[16384];
    int rc;

    for (;;) {
        ssize_t n;
        if (c->ssl) {
            int r = SSL_read(c->ssl, tmp, sizeof tmp);
            if (r <= 0) {
                int e = SSL_get_error(c->ssl, r);
                if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)
                    return MG_OK;
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                    return mg_error_set(MG_EIO, "TLS read failed");
                if ((rc = wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) < 0)
                    return rc;
                continue;
            }
            n = r;
        } else {
            n = recv(c->fd, tmp, sizeof tmp, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                if ((rc = wait_fd(c, POLLIN)) < 0)
                    return rc;
                continue;
            }
            if (n < 0)
                return errno == ECONNRESET && b->len ? MG_OK : mg_error_set_errno(MG_EIO, errno, "recv");
            if (n == 0)
                return MG_OK;
        }
        if ((rc = mg_buf_put(b, tmp, (size_t)n)) < 0)
            return rc;
    }
}

int web_http_header(const web_http_response *r, const char *name, char *out, size_t size)
{
    const char *p = r->headers.ptr;
    size_t n = strlen(name);

    while (p && *p) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            snprintf(out, size, "%.*s", (int)(len - (size_t)(v - p)), v);
            return 1;
        }
        p = eol ? eol + 2 : p + len;
    }
    return 0;
}

static int dechunk(mg_buf *body, const char *p, const char *end)
{
    while (p < end) {
        char *e;
        unsigned long n = strtoul(p, &e, 16);
        const char *data = strstr(e, "\r\n");
        if (!data || e == p)
            return mg_error_set(MG_EPARSE, "bad chunk header in the answer");
        data += 2;
        if (n == 0)
            return MG_OK;
        if ((size_t)(end - data) < n)
            return mg_error_set(MG_EPARSE, "truncated chunk in the answer");
        if (mg_buf_put(body, data, n) < 0)
            return mg_error_code();
        p = data + n + 2;
    }
    return MG_OK;
}

static int parse_answer(web_http_response *out, const mg_buf *raw, const char *url)
{
    const char *p = raw->ptr, *hdr_end;
    char te[64];

    if (!p || strncmp(p, "HTTP/1.", 7) != 0 || strlen(p) < 12)
        return mg_error_set(MG_EPARSE, "%s: not an HTTP answer", url);
    out->status = (unsigned)atoi(p + 9);
    if (!(hdr_end = strstr(p, "\r\n\r\n")))
        return mg_error_set(MG_EPARSE, "%s: answer ends inside its headers", url);
    p = strstr(p, "\r\n") + 2;
    if (mg_buf_put(&out->headers, p, (size_t)(hdr_end + 2 - p)) < 0)
        return mg_error_code();
    hdr_end += 4;
    if (web_http_header(out, "Transfer-Encoding", te, sizeof te) && strcasecmp(te, "chunked") == 0)
        return dechunk(&out->body, hdr_end, raw->ptr + raw->len);
    return mg_buf_put(&out->body, hdr_end, (size_t)(raw->ptr + raw->len - hdr_end));
}

/* No header line may end early or smuggle another: tab is the only control byte allowed. */
static int check_headers(const char *const *headers)
{
    for (size_t i = 0; headers && headers[i]; i++) {
        const char *h = headers[i], *p = h;
        char what[32];
        while ((p = unsafe_byte(p, strlen(p), 1)) && *p == '\t')
            p++;
        if (p) {
            snprintf(what, sizeof what, "header line %zu", i + 1);
            return unsafe_error(what, h, p);
        }
    }
    return MG_OK;
}

int web_http_request(web_http_response *out, const char *method, const char *url,
                     const web_http_options *opt)
{
    static const web_http_options none = {0};
    url_parts u;
    conn c = {-1, NULL, NULL, 10000};
    mg_buf req = MG_BUF_INIT, raw = MG_BUF_INIT;
    int rc;

    if (!opt)
        opt = &none;
    if (opt->timeout_ms)
        c.timeout_ms = opt->timeout_ms;
    raw.max = (opt->max_body ? opt->max_body : (size_t)64 << 20) + 65536;
    if ((rc = web_http_url_check(url)) < 0 || (rc = check_headers(opt->headers)) < 0 ||
        (rc = parse_url(&u, url)) < 0 || (rc = connect_to(&c, &u)) < 0)
        goto done;
    if (u.tls && (rc = tls_start(&c, &u, opt->ca_file)) < 0)
        goto done;
    rc = mg_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n", method,
                       u.path, u.host, u.port);
    for (const char *const *h = opt->headers; rc == 0 && h && *h; h++)
        rc = mg_buf_printf(&req, "%s\r\n", *h);
    if (rc == 0 && (opt->body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
                    strcmp(method, "PATCH") == 0))
        rc = mg_buf_printf(&req, "Content-Length: %zu\r\n", opt->body_len);
    if (rc == 0)
        rc = mg_buf_puts(&req, "\r\n");
    if (rc < 0 || (rc = send_all(&c, req.ptr, req.len)) < 0 ||
        (opt->body_len && (rc = send_all(&c, opt->body, opt->body_len)) < 0) ||
        (rc = recv_all(&c, &raw)) < 0)
        goto done;
    rc = parse_answer(out, &raw, url);
done:
    if (rc < 0 && rc != MG_ENOMEM && rc != MG_ETOOBIG && rc != MG_EINVAL) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", mg_error_last());
        mg_error_set(rc, "%s %s: %s", method, url, msg);
    }
    if (c.ssl)
        SSL_free(c.ssl);
    SSL_CTX_free(c.ctx);
    if (c.fd >= 0)
        close(c.fd);
    mg_buf_free(&req);
    mg_buf_free(&raw);
    return rc;
}

void web_http_response_free(web_http_response *r)
{
    if (!r)
        return;
    mg_buf_free(&r->headers);
    mg_buf_free(&r->body);
    r->status = 0;
}
