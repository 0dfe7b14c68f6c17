/* mg_csv.h - streaming RFC 4180 CSV reader with file:line:column errors. */
#ifndef MG_CSV_H
#define MG_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "mg_sha256.h"

/*
 * Reads records one at a time from a file or a memory buffer, so a file of
 * any size is read in constant memory (one record plus a 256 KiB buffer).
 * Handles quoted fields with embedded delimiters, quotes ("") and line
 * breaks, LF and CRLF line ends, and a UTF-8 byte-order mark. Blank lines
 * are skipped. The SHA-256 of the exact bytes read (BOM included) is kept,
 * because lineage names a data set by the hash of its bytes.
 */
typedef struct mg_csv_options {
    char delimiter;    /* ',' by default */
    size_t max_record; /* bytes in one record; 0 means 64 MiB */
    int no_hash;       /* 1 skips the SHA-256 (when the caller hashes elsewhere) */
} mg_csv_options;

#define MG_CSV_OPTIONS_INIT {',', 0, 0}

/* One field of the current record: NUL-terminated, quotes removed. Borrowed. */
typedef struct mg_csv_field {
    const char *ptr;
    size_t len;
} mg_csv_field;

typedef struct mg_csv_reader mg_csv_reader;

/*
 * Open `path` for reading. `opts` may be NULL for the defaults.
 * Errors: MG_ENOTFOUND (no such file), MG_EIO, MG_ENOMEM.
 */
int mg_csv_reader_open(mg_csv_reader **out, const char *path, const mg_csv_options *opts);

/*
 * Read from `len` bytes at `data` (not copied: keep them alive while the
 * reader lives). `name` is used in messages. Errors: MG_ENOMEM.
 */
int mg_csv_reader_open_buffer(mg_csv_reader **out, const char *name, const void *data, size_t len,
                              const mg_csv_options *opts);

/*
 * Read the next record. Returns 1 with *fields / *nfields set (borrowed,
 * valid until the next call), 0 at the end of the input, or an error:
 * MG_EPARSE ("FILE:LINE:COL: unterminated quoted field", ...), MG_ETOOBIG
 * (record past max_record), MG_EIO, MG_ENOMEM.
 */
int mg_csv_reader_next(mg_csv_reader *r, const mg_csv_field **fields, size_t *nfields);

/* The name given at open (the path). Borrowed. */
const char *mg_csv_reader_name(const mg_csv_reader *r);

/* 1-based line on which the last record returned began. */
size_t mg_csv_reader_line(const mg_csv_reader *r);

/* 1-based column (byte in its line) where field `i` of the last record began. */
size_t mg_csv_reader_column(const mg_csv_reader *r, size_t i);

/* Bytes consumed so far. */
uint64_t mg_csv_reader_bytes(const mg_csv_reader *r);

/*
 * After the end of the input: the hex SHA-256 of every byte read.
 * Errors: MG_EINVAL (not at the end yet, or hashing was turned off).
 */
int mg_csv_reader_sha256(const mg_csv_reader *r, char hex[MG_SHA256_HEX]);

void mg_csv_reader_close(mg_csv_reader *r); /* NULL is a no-op */

/*
 * Parse a whole field as a finite double (leading/trailing spaces allowed).
 * Returns 1 and sets *out, or 0 when the field is not a number. Cannot fail.
 */
int mg_csv_parse_double(const mg_csv_field *f, double *out);

/*
 * Parse `len` bytes at `s` as a finite decimal number (leading/trailing
 * spaces allowed; no hex, inf or nan; at most 127 characters). Returns 1 and
 * sets *out (correctly rounded, as strtod), or 0 when it is not a number.
 * *decimals is the number of fraction digits when the text is the plain
 * spelling that printf("%.*f", *decimals, *out) gives back byte for byte
 * (optional '-', no leading zero, at most 15 digits), else -1.
 * Cannot fail.
 */
int mg_csv_parse_number(const char *s, size_t len, double *out, int *decimals);

/*
 * Write `s` as one CSV field into `b` (quoted only when it must be).
 * Errors: MG_ENOMEM, MG_ETOOBIG.
 */
struct mg_buf;
int mg_csv_write_field(struct mg_buf *b, const char *s, size_t len, char delimiter);

#endif
