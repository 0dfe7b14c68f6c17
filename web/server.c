/* server.c - libmicrohttpd daemon: lifecycle, graceful shutdown, options, listen address. */
#define _POSIX_C_SOURCE 200809L
#include "server.h"
#include "request.h"

#include "mg_buf.h"
#include "mg_error.h"
#include "mg_governance.h"
#include "mg_log.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *mg_web_role_name(mg_web_role r)
{
    switch (r) {
    case MG_WEB_ROLE_VIEWER:
        return "viewer";
    case MG_WEB_ROLE_SUBMITTER:
        return "submitter";
    case MG_WEB_ROLE_REVIEWER:
        return "reviewer";
    case MG_WEB_ROLE_ADMIN:
        return "admin";
    default:
        return "none";
    }
}

/* "HOST:PORT", "[V6]:PORT" or ":PORT" into a socket address. */
static int parse_listen(struct sockaddr_storage *ss, const char *listen)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    char *end;
    long port;
    size_t hlen;

    memset(ss, 0, sizeof *ss);
    if (!colon)
        return mg_error_set(MG_EINVAL, "--listen '%s': expected HOST:PORT", listen);
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 0 || port > 65535)
        return mg_error_set(MG_EINVAL, "--listen '%s': port must be 0..65535", listen);
    hlen = (size_t)(colon - listen);
    if (hlen >= sizeof host)
        return mg_error_set(MG_EINVAL, "--listen '%s': host too long", listen);
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        host[hlen - 1] = '\0';
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return mg_error_set(MG_EINVAL, "--listen '%s': bad IPv6 address", listen);
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        return MG_OK;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (hlen == 0)
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
    else if (strcmp(host, "localhost") == 0)
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
        return mg_error_set(MG_EINVAL, "--listen '%s': '%s' is not an IPv4 address", listen,
                            host);
    return MG_OK;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static const char internal_error[] = "Application reported internal error";
    char line[512];
    int on_purpose = web_request_closing_on_purpose();

    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    /* The handler closed a connection it had answered: no internal error (request.c). */
    if (on_purpose && strncmp(line, internal_error, sizeof internal_error - 1) == 0)
        return;
    mg_log_warn("http: %s", line);
}

static int read_pem(char **out, const char *path, const char *flag)
{
    mg_buf b = MG_BUF_INIT;
    int rc;

    b.max = 1 << 20;
    if ((rc = mg_buf_read_file(&b, path)) < 0) {
        mg_buf_free(&b);
        return mg_error_set(rc, "%s %s: %s", flag, path, rc == MG_ENOTFOUND ? "no such file"
                                                                           : "cannot read");
    }
    if (!strstr(b.ptr, "-----BEGIN ")) {
        mg_buf_free(&b);
        return mg_error_set(MG_EINVAL, "%s %s: not a PEM file", flag, path);
    }
    *out = mg_buf_detach(&b);
    return *out ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
}

static void apply_defaults(mg_server_options *o)
{
    if (!o->listen)
        o->listen = "127.0.0.1:8080";
    if (!o->http_threads)
        o->http_threads = 4;
    if (!o->job_workers)
        o->job_workers = 2;
    if (!o->job_queue)
        o->job_queue = 64;
    if (!o->max_json)
        o->max_json = (size_t)1 << 20;
    if (!o->max_upload)
        o->max_upload = (size_t)1 << 30;
    if (!o->timeout_s)
        o->timeout_s = 30;
    if (!o->drain_s)
        o->drain_s = 30;
}

/* Skip 1 or more decimal digits at *p; 0 when there is none. */
static int skip_digits(const char **p)
{
    const char *q = *p;
    while (**p >= '0' && **p <= '9')
        ++*p;
    return *p > q;
}

/*
 * What a crash can leave in tmp/, by the exact shapes of the names: a
 * streamed upload (request.c, mkstemp's "upload." and six letters or
 * digits), a trained model not yet registered (route_versions.c,
 * "train-<job>.mgm") and a half-written copy of one (mg_file_write_atomic's
 * "train-<job>.mgm.tmp.<pid>"). Nothing else is ours to remove.
 */
static int is_stale(const char *name)
{
    const char *p;

    if (strncmp(name, "upload.", 7) == 0) {
        p = name + 7;
        for (int i = 0; i < 6; i++)
            if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                  (p[i] >= '0' && p[i] <= '9')))
                return 0;
        return p[6] == '\0';
    }
    if (strncmp(name, "train-", 6) != 0)
        return 0;
    p = name + 6;
    if (!skip_digits(&p) || strncmp(p, ".mgm", 4) != 0)
        return 0;
    p += 4;
    if (*p == '\0')
        return 1;
    if (strncmp(p, ".tmp.", 5) != 0)
        return 0;
    p += 5;
    return skip_digits(&p) && *p == '\0';
}

/*
 * Remove the regular files of tmp/ a crash left behind. No request or job
 * runs yet, so none of them is in use. Best effort: a file that cannot be
 * removed is logged and the start goes on. A tmp/ that is not a real
 * folder (a symbolic link to one) is left alone: what it leads to is not
 * the store's.
 */
static void sweep_tmp(const char *tmp_dir)
{
    struct stat st;
    DIR *d = NULL;
    struct dirent *e;
    unsigned removed = 0;
    int fd;

    if (lstat(tmp_dir, &st) != 0) {
        mg_log_warn("%s: cannot look at it to remove stale files: %s", tmp_dir, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        mg_log_warn("%s: not a directory but %s: stale files are not removed", tmp_dir,
                    S_ISLNK(st.st_mode) ? "a symbolic link" : "another kind of file");
        return;
    }
    /* O_NOFOLLOW: tmp/ replaced by a link since the lstat() is refused too. */
    if ((fd = open(tmp_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
        !(d = fdopendir(fd))) {
        mg_log_warn("%s: cannot list it to remove stale files: %s", tmp_dir, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d))) {
        if (!is_stale(e->d_name) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
        else
            mg_log_warn("%s/%s: cannot remove a stale file: %s", tmp_dir, e->d_name,
                        strerror(errno));
    }
    closedir(d);
    if (removed)
        mg_log_info("%s: removed %u file(s) left by an earlier run", tmp_dir, removed);
}

/*
 * One server per store: a second one would sweep the first one's uploads
 * from tmp/ and fail its running jobs as a crash's leftovers. The lock is
 * an flock() on DIR/serve.lock, held until mg_server_shutdown() (or the
 * process's end, even a crash: the kernel drops it with the descriptor).
 */
static int lock_store(mg_server *s)
{
    char path[4096];
    struct stat st;

    if (stat(s->store_dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return mg_error_set(MG_ENOTFOUND, "--store %s: no such directory (run 'modelgov init')",
                            s->store_dir);
    /* A folder that is no store gets no lock file: mg_store_open() refuses it the same way. */
    if ((size_t)snprintf(path, sizeof path, "%s/%s", s->store_dir, MG_STORE_DB) >= sizeof path)
        return mg_error_set(MG_EINVAL, "--store %s: path too long", s->store_dir);
    if (stat(path, &st) != 0)
        return mg_error_set(MG_ENOTFOUND, "%s is not a modelgov store (no %s); run 'modelgov init "
                                          "--store %s'",
                            s->store_dir, MG_STORE_DB, s->store_dir);
    snprintf(path, sizeof path, "%s/serve.lock", s->store_dir);
    if ((s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
        return mg_error_set_errno(MG_EIO, errno, "%s", path);
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return mg_error_set(MG_ECONFLICT,
                                "store %s is served by another process (%s is locked)",
                                s->store_dir, path);
        return mg_error_set_errno(MG_EIO, errno, "%s: cannot lock it", path);
    }
    return MG_OK;
}

static int prepare_dirs(mg_server *s)
{
    size_t n = strlen(s->store_dir) + 8;

    if (!(s->tmp_dir = malloc(n)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    snprintf(s->tmp_dir, n, "%s/tmp", s->store_dir);
    if (mkdir(s->tmp_dir, 0700) != 0 && errno != EEXIST)
        return mg_error_set_errno(MG_EIO, errno, "%s", s->tmp_dir);
    sweep_tmp(s->tmp_dir);
    return MG_OK;
}

static int start_daemon(mg_server *s, const struct sockaddr_storage *ss)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem opts[12];
    size_t k = 0;
    const union MHD_DaemonInfo *info;
    uint16_t port = ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
                                               : ntohs(((const struct sockaddr_in *)ss)->sin_port);

    if (MHD_is_feature_supported(MHD_FEATURE_EPOLL))
        flags |= MHD_USE_EPOLL;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (s->tls_cert_pem) {
        if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
            return mg_error_set(MG_EINVAL, "--tls-cert: this libmicrohttpd was built without TLS");
        flags |= MHD_USE_TLS;
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert_pem};
        opts[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key_pem};
    }
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, (void *)ss};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, s->opt.http_threads, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, s->opt.timeout_s, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 16 * 1024, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    opts[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};

    s->daemon = MHD_start_daemon(flags, port, NULL, NULL, web_on_request, s,
                                 MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                                 MHD_OPTION_NOTIFY_COMPLETED, web_on_completed, s,
                                 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!s->daemon)
        return mg_error_set(MG_EIO, "--listen %s: cannot listen (address in use, or TLS "
                                    "certificate and key do not match)",
                            s->opt.listen);
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    {
        const char *colon = strrchr(s->opt.listen, ':');
        int hlen = (int)(colon - s->opt.listen);
        snprintf(s->url, sizeof s->url, "%s://%.*s:%u", s->tls_cert_pem ? "https" : "http",
                 hlen ? hlen : 7, hlen ? s->opt.listen : "0.0.0.0", s->port);
    }
    return MG_OK;
}

int mg_server_start(mg_server **out, const mg_server_options *opts)
{
    mg_server *s = NULL;
    struct sockaddr_storage ss;
    int rc;

    *out = NULL;
    if (!opts || !opts->store_dir)
        return mg_error_set(MG_EINVAL, "missing required flag --store");
    if (!!opts->tls_cert != !!opts->tls_key)
        return mg_error_set(MG_EINVAL, "--tls-cert and --tls-key go together");
    if (!(s = calloc(1, sizeof *s)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    s->opt = *opts;
    s->lock_fd = -1;
    apply_defaults(&s->opt);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->idle, NULL);
    if (!(s->store_dir = strdup(opts->store_dir))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto fail;
    }
    s->opt.store_dir = s->store_dir;
    /* Before anything touches the store: it may be another server's. */
    if ((rc = parse_listen(&ss, s->opt.listen)) < 0 || (rc = lock_store(s)) < 0 ||
        (rc = prepare_dirs(s)) < 0)
        goto fail;
    if (opts->tls_cert && ((rc = read_pem(&s->tls_cert_pem, opts->tls_cert, "--tls-cert")) < 0 ||
                           (rc = read_pem(&s->tls_key_pem, opts->tls_key, "--tls-key")) < 0))
        goto fail;
    if ((rc = web_app_open(s)) < 0)
        goto fail;
    if ((rc = start_daemon(s, &ss)) < 0)
        goto fail;
    *out = s;
    return MG_OK;
fail:
    mg_server_shutdown(s);
    return rc;
}

unsigned mg_server_port(const mg_server *s)
{
    return s->port;
}

const char *mg_server_url(const mg_server *s)
{
    return s->url;
}

int mg_server_is_tls(const mg_server *s)
{
    return s->tls_cert_pem != NULL;
}

/* Wait until no request is in flight, or `seconds` pass. */
static void drain(mg_server *s, unsigned seconds)
{
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += seconds;
    pthread_mutex_lock(&s->lock);
    while (s->inflight > 0)
        if (pthread_cond_timedwait(&s->idle, &s->lock, &until) == ETIMEDOUT)
            break;
    if (s->inflight > 0)
        mg_log_warn("shutdown: %u request(s) still running after %u s", s->inflight, seconds);
    pthread_mutex_unlock(&s->lock);
}

void mg_server_shutdown(mg_server *s)
{
    MHD_socket fd = MHD_INVALID_SOCKET;

    if (!s)
        return;
    atomic_store(&s->draining, 1);
    if (s->daemon) {
        fd = MHD_quiesce_daemon(s->daemon);
        web_app_quiesce(s); /* end event streams: they never finish by themselves */
        drain(s, s->opt.drain_s);
    }
    if (s->daemon)
        MHD_stop_daemon(s->daemon); /* no handler runs past this point */
    web_app_close(s);               /* then job workers stop and the store closes */
    /* libmicrohttpd hands the quiesced socket back; close it only after the stop */
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* last: the store is closed, another server may take it */
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->lock);
    free(s->tls_cert_pem);
    free(s->tls_key_pem);
    free(s->tmp_dir);
    free(s->store_dir);
    free(s);
}
