/* tar.h - a strict ustar writer and reader for audit bundles (POSIX.1-2001 ustar). */
#ifndef GOV_TAR_H
#define GOV_TAR_H

#include <stddef.h>

#include "mg_buf.h"

/* Append one regular file (mode 0644, mtime 0) to an archive being built. Errors: MG_EINVAL (name > 99 bytes), MG_ENOMEM. */
int gov_tar_add(mg_buf *out, const char *name, const void *data, size_t len);

/* End the archive: two zero blocks, padded to a 10240-byte record as tar(1) does. Errors: MG_ENOMEM. */
int gov_tar_finish(mg_buf *out);

typedef struct gov_tar_file {
    char name[100];
    const char *data; /* borrowed from the archive's bytes */
    size_t len;
} gov_tar_file;

/*
 * Read an archive strictly, so that any changed byte is caught: every
 * header's checksum (field exactly "%06o\0 "), ustar magic, regular files
 * only, safe unique names, zero padding, zero end blocks and nothing after.
 * *files is malloc'd (free() it); names point into it, data into `data`.
 * Errors: MG_EPARSE naming `what` and the byte offset.
 */
int gov_tar_read(gov_tar_file **files, size_t *n, const char *data, size_t len, const char *what);

#endif
