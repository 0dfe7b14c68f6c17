/* mg_buf.h - a growable, capped, always NUL-terminated byte buffer. */
#ifndef MG_BUF_H
#define MG_BUF_H

#include <stddef.h>

/*
 * A buffer starts as MG_BUF_INIT on the stack and is freed with mg_buf_free().
 * `ptr` is NULL until the first append, then always NUL-terminated.
 * `max` caps `len` (0 = no cap); an append past it fails with MG_ETOOBIG and
 * leaves the buffer as it was. A failed allocation returns MG_ENOMEM and
 * leaves the buffer as it was.
 */
typedef struct mg_buf {
    char *ptr;
    size_t len;
    size_t cap;
    size_t max;
} mg_buf;

#define MG_BUF_INIT {NULL, 0, 0, 0}

/* Make room for `extra` more bytes (plus the NUL). Errors: MG_ENOMEM, MG_ETOOBIG. */
int mg_buf_grow(mg_buf *b, size_t extra);

/* Append `len` bytes. Errors: MG_ENOMEM, MG_ETOOBIG. */
int mg_buf_put(mg_buf *b, const void *data, size_t len);

/* Append a NUL-terminated string. Errors: MG_ENOMEM, MG_ETOOBIG. */
int mg_buf_puts(mg_buf *b, const char *s);

/* Append one byte. Errors: MG_ENOMEM, MG_ETOOBIG. */
int mg_buf_putc(mg_buf *b, char c);

/* Append printf-formatted text. Errors: MG_ENOMEM, MG_ETOOBIG. */
int mg_buf_printf(mg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drop the contents, keep the memory. */
void mg_buf_clear(mg_buf *b);

/*
 * Hand the bytes to the caller (free() them) and reset the buffer.
 * Returns a NUL-terminated string, "" allocated when empty; NULL on ENOMEM.
 */
char *mg_buf_detach(mg_buf *b);

/* Release the memory and reset to MG_BUF_INIT (keeping `max`). NULL-safe. */
void mg_buf_free(mg_buf *b);

/*
 * Append the whole file at `path`. Errors: MG_ENOTFOUND (no such file),
 * MG_EIO (read error), MG_ETOOBIG (past b->max), MG_ENOMEM.
 */
int mg_buf_read_file(mg_buf *b, const char *path);

/*
 * Write `len` bytes to `path` atomically: a temporary file beside it, fsync,
 * rename, fsync of the folder. `mode` is the new file's permission bits.
 * Errors: MG_EIO.
 */
int mg_file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

#endif
