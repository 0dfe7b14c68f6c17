/* artifact.c - content-addressed, read-only files: DIR/artifacts/<sha256>, written atomically. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *gov_artifact_path(const mg_store *s, const char *hex)
{
    size_t n = strlen(s->artifacts) + strlen(hex) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", s->artifacts, hex);
    return p;
}

static int write_all(int fd, const void *data, size_t len, const char *what)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return mg_error_set_errno(MG_EIO, errno, "%s: write", what);
        p += w;
        len -= (size_t)w;
    }
    return MG_OK;
}

/* fsync a directory so that a rename in it survives a power cut. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = MG_OK;

    if (fd < 0)
        return mg_error_set_errno(MG_EIO, errno, "%s", dir);
    if (fsync(fd) < 0)
        rc = mg_error_set_errno(MG_EIO, errno, "%s: fsync", dir);
    close(fd);
    return rc;
}

/*
 * A temporary file in the artifact folder filled by `fill`, hashed on the
 * way, then renamed to its hash. An existing file of that name is kept when
 * its bytes hash right, and replaced otherwise.
 */
typedef int (*fill_fn)(int fd, mg_sha256 *h, void *ctx, const char *what);

static int put(char hex[MG_SHA256_HEX], mg_store *s, fill_fn fill, void *ctx, const char *what)
{
    unsigned char d[MG_SHA256_LEN];
    char *tmp = NULL, *final = NULL, have[MG_SHA256_HEX];
    mg_sha256 *h = NULL;
    int fd = -1, rc;

    hex[0] = '\0';
    if (!(tmp = malloc(strlen(s->artifacts) + 16))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    sprintf(tmp, "%s/.tmp.XXXXXX", s->artifacts);
    if ((fd = mkstemp(tmp)) < 0) {
        rc = mg_error_set_errno(MG_EIO, errno, "%s", s->artifacts);
        free(tmp);
        tmp = NULL;
        goto done;
    }
    if ((rc = mg_sha256_create(&h)) < 0 || (rc = fill(fd, h, ctx, what)) < 0 ||
        (rc = mg_sha256_final(h, d)) < 0)
        goto done;
    if (fchmod(fd, 0444) < 0 || fsync(fd) < 0) {
        rc = mg_error_set_errno(MG_EIO, errno, "%s: fsync", tmp);
        goto done;
    }
    close(fd);
    fd = -1;
    mg_sha256_hex(hex, d);
    if (!(final = gov_artifact_path(s, hex))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if (mg_sha256_file(have, final) == MG_OK && strcmp(have, hex) == 0) {
        rc = MG_OK; /* already stored */
        goto done;
    }
    mg_error_clear();
    if (rename(tmp, final) < 0) {
        rc = mg_error_set_errno(MG_EIO, errno, "%s", final);
        goto done;
    }
    free(tmp);
    tmp = NULL;
    rc = sync_dir(s->artifacts);
done:
    if (fd >= 0)
        close(fd);
    if (tmp)
        unlink(tmp);
    if (rc < 0)
        hex[0] = '\0';
    free(tmp);
    free(final);
    mg_sha256_free(h);
    return rc;
}

typedef struct mem_src {
    const void *data;
    size_t len;
} mem_src;

static int fill_mem(int fd, mg_sha256 *h, void *ctx, const char *what)
{
    mem_src *m = ctx;
    int rc = mg_sha256_update(h, m->data, m->len);
    return rc < 0 ? rc : write_all(fd, m->data, m->len, what);
}

static int fill_file(int fd, mg_sha256 *h, void *ctx, const char *what)
{
    unsigned char chunk[65536];
    FILE *f = ctx;
    size_t n;
    int rc;

    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = mg_sha256_update(h, chunk, n)) < 0 || (rc = write_all(fd, chunk, n, what)) < 0)
            return rc;
    return ferror(f) ? mg_error_set(MG_EIO, "%s: read error", what) : MG_OK;
}

int mg_gov_artifact_put(char hex[MG_SHA256_HEX], mg_store *s, const void *data, size_t len)
{
    mem_src m = {data ? data : "", len};
    return put(hex, s, fill_mem, &m, "artifact");
}

int mg_gov_artifact_put_file(char hex[MG_SHA256_HEX], mg_store *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    int rc;

    hex[0] = '\0';
    if (!f)
        return mg_error_set_errno(errno == ENOENT ? MG_ENOTFOUND : MG_EIO, errno, "%s", path);
    rc = put(hex, s, fill_file, f, path);
    fclose(f);
    return rc;
}

int mg_gov_artifact_path(char **out, mg_store *s, const char *hex)
{
    struct stat st;

    *out = NULL;
    if (!mg_hex_is_sha256(hex))
        return mg_error_set(MG_EINVAL, "'%.80s' is not a sha256 (64 lower-case hex digits)", hex);
    if (!(*out = gov_artifact_path(s, hex)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    if (stat(*out, &st) < 0) {
        int rc = mg_error_set(MG_ENOTFOUND, "no artifact %s in the store", hex);
        free(*out);
        *out = NULL;
        return rc;
    }
    return MG_OK;
}

int mg_gov_artifact_read(mg_buf *out, mg_store *s, const char *hex)
{
    unsigned char d[MG_SHA256_LEN];
    char got[MG_SHA256_HEX], *path = NULL;
    size_t mark = out->len;
    int rc;

    if ((rc = mg_gov_artifact_path(&path, s, hex)) < 0)
        return rc;
    if ((rc = mg_buf_read_file(out, path)) < 0)
        goto done;
    if ((rc = mg_sha256_digest(d, out->ptr + mark, out->len - mark)) < 0)
        goto done;
    mg_sha256_hex(got, d);
    if (strcmp(got, hex) != 0)
        rc = mg_error_set(MG_EVERIFY, "artifact %s: its bytes hash to %s (altered)", hex, got);
done:
    if (rc < 0) {
        out->len = mark;
        if (out->ptr)
            out->ptr[mark] = '\0';
    }
    free(path);
    return rc;
}
