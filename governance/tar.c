/* tar.c - ustar archives, written and read strictly: audit bundles must show any changed byte. */
#include "tar.h"

#include "mg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 512
#define RECORD 10240

/* ustar header field offsets (POSIX.1-2001, pax "ustar Interchange Format") */
enum { NAME = 0, MODE = 100, UID = 108, GID = 116, SIZE = 124, MTIME = 136, CHKSUM = 148,
       TYPEFLAG = 156, MAGIC = 257, VERSION = 263, UNAME = 265, GNAME = 297, PREFIX = 345 };

static unsigned checksum(const unsigned char *h)
{
    unsigned sum = 0;
    for (int i = 0; i < BLOCK; i++)
        sum += (i >= CHKSUM && i < CHKSUM + 8) ? ' ' : h[i];
    return sum;
}

int gov_tar_add(mg_buf *out, const char *name, const void *data, size_t len)
{
    unsigned char h[BLOCK];
    static const char zero[BLOCK];
    size_t pad = (BLOCK - len % BLOCK) % BLOCK;
    int rc;

    if (strlen(name) >= 100)
        return mg_error_set(MG_EINVAL, "tar: name '%s' is longer than 99 bytes", name);
    memset(h, 0, sizeof h);
    memcpy(h + NAME, name, strlen(name));
    memcpy(h + MODE, "0000644", 8);
    memcpy(h + UID, "0000000", 8);
    memcpy(h + GID, "0000000", 8);
    snprintf((char *)h + SIZE, 12, "%011llo", (unsigned long long)len);
    memcpy(h + MTIME, "00000000000", 12);
    h[TYPEFLAG] = '0';
    memcpy(h + MAGIC, "ustar", 6);
    memcpy(h + VERSION, "00", 2);
    memcpy(h + UNAME, "modelgov", 8);
    memcpy(h + GNAME, "modelgov", 8);
    snprintf((char *)h + CHKSUM, 8, "%06o", checksum(h));
    h[CHKSUM + 7] = ' ';
    if ((rc = mg_buf_put(out, h, sizeof h)) < 0 || (rc = mg_buf_put(out, data, len)) < 0 ||
        (rc = mg_buf_put(out, zero, pad)) < 0)
        return rc;
    return MG_OK;
}

int gov_tar_finish(mg_buf *out)
{
    static const char zero[BLOCK];
    size_t end = out->len + 2 * BLOCK;
    int rc;

    end += (RECORD - end % RECORD) % RECORD;
    while (out->len < end)
        if ((rc = mg_buf_put(out, zero, BLOCK)) < 0)
            return rc;
    return MG_OK;
}

static int all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* No absolute paths, no "..", no empty parts: names stay inside the bundle. */
static int safe_name(const char *name)
{
    if (!*name || name[0] == '/')
        return 0;
    for (const char *p = name; *p; p++)
        if ((p == name || p[-1] == '/') && (*p == '/' || (p[0] == '.' && (p[1] == '.' || p[1] == '/' || !p[1]))))
            return 0;
    return 1;
}

int gov_tar_read(gov_tar_file **files, size_t *n, const char *data, size_t len, const char *what)
{
    gov_tar_file *f = NULL;
    size_t off = 0, count = 0;
    int rc = MG_OK;

    *files = NULL;
    *n = 0;
    if (len % BLOCK != 0 || len < 2 * BLOCK)
        return mg_error_set(MG_EPARSE, "%s: not a tar archive (%zu bytes is not a whole number "
                                       "of 512-byte blocks)",
                            what, len);
    for (;;) {
        const unsigned char *h = (const unsigned char *)data + off;
        char sum[8], *end;
        unsigned long long size;
        gov_tar_file *grown;

        if (off + BLOCK > len) {
            rc = mg_error_set(MG_EPARSE, "%s: ends without the two zero blocks of a tar archive",
                              what);
            goto fail;
        }
        if (all_zero((const char *)h, BLOCK)) {
            /* the end: a second zero block, and nothing but zeros after it */
            if (off + 2 * BLOCK > len || !all_zero(data + off, len - off)) {
                rc = mg_error_set(MG_EPARSE, "%s: bytes after the end of the archive (offset "
                                             "%zu)",
                                  what, off);
                goto fail;
            }
            break;
        }
        snprintf(sum, sizeof sum, "%06o", checksum(h));
        if (memcmp(h + CHKSUM, sum, 6) != 0 || h[CHKSUM + 6] != 0 || h[CHKSUM + 7] != ' ') {
            rc = mg_error_set(MG_EPARSE, "%s: tar header at offset %zu fails its checksum", what,
                              off);
            goto fail;
        }
        if (memcmp(h + MAGIC, "ustar", 6) != 0 || memcmp(h + VERSION, "00", 2) != 0 ||
            h[TYPEFLAG] != '0' || h[PREFIX] != 0 || h[NAME + 99] != 0) {
            rc = mg_error_set(MG_EPARSE, "%s: tar header at offset %zu is not a plain ustar "
                                         "file",
                              what, off);
            goto fail;
        }
        size = strtoull((const char *)h + SIZE, &end, 8);
        if (end != (const char *)h + SIZE + 11 || *end != 0 || size > len - off - BLOCK) {
            rc = mg_error_set(MG_EPARSE, "%s: tar header at offset %zu has a bad size", what, off);
            goto fail;
        }
        if (!(grown = realloc(f, (count + 1) * sizeof *f))) {
            rc = mg_error_set(MG_ENOMEM, "out of memory");
            goto fail;
        }
        f = grown;
        memcpy(f[count].name, h + NAME, 100);
        if (!safe_name(f[count].name)) {
            rc = mg_error_set(MG_EPARSE, "%s: unsafe file name '%s' at offset %zu", what,
                              f[count].name, off);
            goto fail;
        }
        for (size_t k = 0; k < count; k++)
            if (strcmp(f[k].name, f[count].name) == 0) {
                rc = mg_error_set(MG_EPARSE, "%s: '%s' appears twice", what, f[count].name);
                goto fail;
            }
        f[count].data = data + off + BLOCK;
        f[count].len = (size_t)size;
        off += BLOCK + (size_t)size;
        if (size % BLOCK) {
            size_t pad = BLOCK - size % BLOCK;
            if (off + pad > len || !all_zero(data + off, pad)) {
                rc = mg_error_set(MG_EPARSE, "%s: non-zero padding after '%s' (offset %zu)", what,
                                  f[count].name, off);
                goto fail;
            }
            off += pad;
        }
        count++;
    }
    *files = f;
    *n = count;
    return MG_OK;
fail:
    free(f);
    return rc;
}
