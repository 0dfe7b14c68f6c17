/* buf.c - mg_buf: appending made dull and safe, with a size cap. */
#define _POSIX_C_SOURCE 200809L
#include "mg_buf.h"
#include "mg_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mg_buf_grow(mg_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->len - 1)
        return mg_error_set(MG_ETOOBIG, "buffer size overflow");
    need = b->len + extra + 1;
    if (b->max && b->len + extra > b->max)
        return mg_error_set(MG_ETOOBIG, "more than %zu bytes", b->max);
    if (need <= b->cap)
        return MG_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (!(p = realloc(b->ptr, cap)))
        return mg_error_set(MG_ENOMEM, "out of memory (%zu bytes)", cap);
    b->ptr = p;
    b->ptr[b->len] = '\0'; /* NUL-terminated even before the first append */
    b->cap = cap;
    return MG_OK;
}

int mg_buf_put(mg_buf *b, const void *data, size_t len)
{
    int rc;

    if ((rc = mg_buf_grow(b, len)) < 0)
        return rc;
    if (len)
        memcpy(b->ptr + b->len, data, len);
    b->len += len;
    b->ptr[b->len] = '\0';
    return MG_OK;
}

int mg_buf_puts(mg_buf *b, const char *s)
{
    return mg_buf_put(b, s, strlen(s));
}

int mg_buf_putc(mg_buf *b, char c)
{
    return mg_buf_put(b, &c, 1);
}

int mg_buf_printf(mg_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return mg_error_set(MG_ERROR, "bad format string");
    if ((rc = mg_buf_grow(b, (size_t)n)) < 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MG_OK;
}

void mg_buf_clear(mg_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

char *mg_buf_detach(mg_buf *b)
{
    char *p;

    if (!b->ptr && mg_buf_grow(b, 0) < 0)
        return NULL;
    p = b->ptr;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

void mg_buf_free(mg_buf *b)
{
    if (!b)
        return;
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

int mg_buf_read_file(mg_buf *b, const char *path)
{
    char chunk[65536];
    FILE *f;
    size_t n;
    int rc = MG_OK;

    if (!(f = fopen(path, "rb")))
        return mg_error_set_errno(errno == ENOENT ? MG_ENOTFOUND : MG_EIO, errno, "%s", path);
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if ((rc = mg_buf_put(b, chunk, n)) < 0) {
            if (rc == MG_ETOOBIG)
                mg_error_set(rc, "%s: larger than %zu bytes", path, b->max);
            goto done;
        }
    }
    if (ferror(f))
        rc = mg_error_set(MG_EIO, "%s: read error", path);
    else if (!b->ptr)
        rc = mg_buf_grow(b, 0);
done:
    fclose(f);
    return rc;
}

/* Make a rename durable: fsync the folder that holds `path`. */
static int fsync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    int fd, rc = MG_OK;

    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return mg_error_set_errno(MG_EIO, errno, "%s: open folder", dir);
    if (fsync(fd) < 0)
        rc = mg_error_set_errno(MG_EIO, errno, "%s: fsync folder", dir);
    close(fd);
    return rc;
}

int mg_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
    mg_buf tmp = MG_BUF_INIT;
    const char *p = data;
    int fd = -1, rc;

    if ((rc = mg_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid())) < 0)
        return rc;
    if ((fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode)) < 0) {
        rc = mg_error_set_errno(MG_EIO, errno, "%s", path);
        goto done;
    }
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            rc = mg_error_set_errno(MG_EIO, errno, "%s: write", path);
            goto done;
        }
        p += w;
        len -= (size_t)w;
    }
    if (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0) {
        rc = mg_error_set_errno(MG_EIO, errno, "%s: fsync", path);
        goto done;
    }
    if (close(fd) < 0) {
        fd = -1;
        rc = mg_error_set_errno(MG_EIO, errno, "%s: close", path);
        goto done;
    }
    fd = -1;
    if (rename(tmp.ptr, path) < 0) {
        rc = mg_error_set_errno(MG_EIO, errno, "%s: rename", path);
        goto done;
    }
    if ((rc = fsync_parent(path)) < 0)
        goto done;
done:
    if (fd >= 0)
        close(fd);
    if (rc < 0 && tmp.ptr)
        unlink(tmp.ptr);
    mg_buf_free(&tmp);
    return rc;
}
