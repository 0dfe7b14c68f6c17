/* csv.c - streaming RFC 4180 reader: one record at a time, constant memory. */
#define _POSIX_C_SOURCE 200809L
#include "mg_csv.h"
#include "mg_buf.h"
#include "mg_error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (1u << 20)
#define DEFAULT_MAX_RECORD ((size_t)64 << 20)

struct mg_csv_reader {
    char *name;
    FILE *f;
    const unsigned char *mem; /* buffer input, or NULL */
    size_t mem_len;
    unsigned char *chunk; /* file input's read buffer */
    const unsigned char *buf;
    size_t pos, end;
    uint64_t consumed; /* bytes before buf[0] */
    int eof;
    int started;

    char delim;
    size_t max_record;
    mg_sha256 *hash;
    unsigned char digest[MG_SHA256_LEN];
    int hashed;

    size_t line;             /* current line, 1-based */
    uint64_t line_start;     /* absolute offset of the current line's first byte */
    size_t rec_line;         /* line on which the last record began */
    mg_buf rec;              /* field bytes, each NUL-terminated */
    size_t *offs;            /* offset of each field in rec */
    size_t *cols;            /* 1-based column of each field */
    mg_csv_field *fields;
    size_t nfields, cap_fields;
};

static int reader_new(mg_csv_reader **out, const char *name, const mg_csv_options *opts)
{
    mg_csv_options defaults = MG_CSV_OPTIONS_INIT;
    mg_csv_reader *r;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!(r = calloc(1, sizeof *r)) || !(r->name = strdup(name))) {
        free(r);
        return mg_error_set(MG_ENOMEM, "out of memory (csv reader)");
    }
    r->delim = opts->delimiter ? opts->delimiter : ',';
    r->max_record = opts->max_record ? opts->max_record : DEFAULT_MAX_RECORD;
    r->line = 1;
    if (!opts->no_hash && mg_sha256_create(&r->hash) < 0) {
        mg_csv_reader_close(r);
        return MG_ENOMEM;
    }
    *out = r;
    return MG_OK;
}

int mg_csv_reader_open(mg_csv_reader **out, const char *path, const mg_csv_options *opts)
{
    mg_csv_reader *r;
    int rc;

    if ((rc = reader_new(&r, path, opts)) < 0)
        return rc;
    if (!(r->f = fopen(path, "rb"))) {
        rc = mg_error_set_errno(errno == ENOENT ? MG_ENOTFOUND : MG_EIO, errno, "%s", path);
        mg_csv_reader_close(r);
        return rc;
    }
    if (!(r->chunk = malloc(CHUNK))) {
        mg_csv_reader_close(r);
        return mg_error_set(MG_ENOMEM, "out of memory (csv buffer)");
    }
    *out = r;
    return MG_OK;
}

int mg_csv_reader_open_buffer(mg_csv_reader **out, const char *name, const void *data, size_t len,
                              const mg_csv_options *opts)
{
    mg_csv_reader *r;
    int rc;

    if ((rc = reader_new(&r, name, opts)) < 0)
        return rc;
    r->mem = data;
    r->mem_len = len;
    *out = r;
    return MG_OK;
}

/* Load the next chunk. Returns 1 when bytes are available, 0 at the end, <0 on error. */
static int refill(mg_csv_reader *r)
{
    if (r->pos < r->end)
        return 1;
    if (r->eof)
        return 0;
    r->consumed += r->end;
    r->pos = r->end = 0;
    if (r->mem) {
        r->buf = r->mem;
        r->end = r->mem_len;
        r->eof = 1;
    } else {
        size_t n = fread(r->chunk, 1, CHUNK, r->f);
        if (n < CHUNK) {
            if (ferror(r->f))
                return mg_error_set(MG_EIO, "%s: read error", r->name);
            r->eof = 1;
        }
        r->buf = r->chunk;
        r->end = n;
    }
    if (r->hash && mg_sha256_update(r->hash, r->buf, r->end) < 0)
        return MG_ERROR;
    if (!r->started) {
        r->started = 1;
        if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
            r->pos = 3;
            r->line_start = 3;
        }
    }
    return r->pos < r->end;
}

static int finish_hash(mg_csv_reader *r)
{
    if (r->hash && !r->hashed) {
        if (mg_sha256_final(r->hash, r->digest) < 0)
            return MG_ERROR;
        r->hashed = 1;
    }
    return MG_OK;
}

static uint64_t abs_pos(const mg_csv_reader *r)
{
    return r->consumed + r->pos;
}

static int append(mg_csv_reader *r, const void *p, size_t n)
{
    if (r->rec.len + n > r->max_record)
        return mg_error_set(MG_ETOOBIG, "%s:%zu: record longer than %zu bytes", r->name,
                            r->rec_line, r->max_record);
    return mg_buf_put(&r->rec, p, n);
}

static int push_field(mg_csv_reader *r, size_t off, size_t col)
{
    int rc;

    if (r->nfields == r->cap_fields) {
        size_t cap = r->cap_fields ? r->cap_fields * 2 : 32;
        size_t *offs = realloc(r->offs, cap * sizeof *offs);
        if (offs)
            r->offs = offs;
        size_t *cols = offs ? realloc(r->cols, cap * sizeof *cols) : NULL;
        if (cols)
            r->cols = cols;
        mg_csv_field *f = cols ? realloc(r->fields, cap * sizeof *f) : NULL;
        if (!f)
            return mg_error_set(MG_ENOMEM, "out of memory (csv fields)");
        r->fields = f;
        r->cap_fields = cap;
    }
    if ((rc = append(r, "", 1)) < 0) /* the field's NUL */
        return rc;
    r->offs[r->nfields] = off;
    r->cols[r->nfields] = col;
    r->nfields++;
    return MG_OK;
}

/* Copy bytes of an unquoted field up to a delimiter, CR, LF or the end. */
static int scan_unquoted(mg_csv_reader *r)
{
    int rc;

    for (;;) {
        const unsigned char *p = r->buf + r->pos, *e = r->buf + r->end, *q = p;
        while (q < e && *q != (unsigned char)r->delim && *q != '\n' && *q != '\r')
            q++;
        if (q > p && (rc = append(r, p, (size_t)(q - p))) < 0)
            return rc;
        r->pos += (size_t)(q - p);
        if (q < e)
            return MG_OK;
        if ((rc = refill(r)) <= 0)
            return rc;
    }
}

/* Copy a quoted field's contents; the opening quote is already consumed. */
static int scan_quoted(mg_csv_reader *r, size_t line0, size_t col0)
{
    int rc;

    for (;;) {
        if ((rc = refill(r)) < 0)
            return rc;
        if (rc == 0)
            return mg_error_set(MG_EPARSE, "%s:%zu:%zu: unterminated quoted field", r->name,
                                line0, col0);
        const unsigned char *p = r->buf + r->pos, *e = r->buf + r->end, *q = p;
        while (q < e && *q != '"' && *q != '\n')
            q++;
        if (q > p && (rc = append(r, p, (size_t)(q - p))) < 0)
            return rc;
        r->pos += (size_t)(q - p);
        if (q == e)
            continue;
        r->pos++;
        if (*q == '\n') {
            if ((rc = append(r, "\n", 1)) < 0)
                return rc;
            r->line++;
            r->line_start = abs_pos(r);
            continue;
        }
        /* a quote: either "" (a literal quote) or the end of the field */
        if ((rc = refill(r)) < 0)
            return rc;
        if (rc > 0 && r->buf[r->pos] == '"') {
            r->pos++;
            if ((rc = append(r, "\"", 1)) < 0)
                return rc;
            continue;
        }
        if (rc > 0) {
            unsigned char c = r->buf[r->pos];
            if (c != (unsigned char)r->delim && c != '\n' && c != '\r')
                return mg_error_set(MG_EPARSE,
                                    "%s:%zu:%zu: unexpected '%c' after a closing quote", r->name,
                                    r->line, (size_t)(abs_pos(r) - r->line_start + 1),
                                    c >= 32 && c < 127 ? c : '?');
        }
        return MG_OK;
    }
}

/* Read one field; leaves the reader on its terminator. */
static int read_field(mg_csv_reader *r)
{
    size_t off = r->rec.len;
    size_t col = (size_t)(abs_pos(r) - r->line_start + 1);
    int rc;

    if ((rc = refill(r)) < 0)
        return rc;
    if (rc > 0 && r->buf[r->pos] == '"') {
        r->pos++;
        rc = scan_quoted(r, r->line, col);
    } else {
        rc = scan_unquoted(r);
    }
    if (rc < 0)
        return rc;
    return push_field(r, off, col);
}

/* Consume the record's terminator. Returns 1 after a delimiter, 0 at end of record. */
static int read_terminator(mg_csv_reader *r)
{
    int rc;
    unsigned char c;

    if ((rc = refill(r)) <= 0)
        return rc;
    c = r->buf[r->pos++];
    if (c == (unsigned char)r->delim)
        return 1;
    if (c == '\r') {
        if ((rc = refill(r)) < 0)
            return rc;
        if (rc > 0 && r->buf[r->pos] == '\n')
            r->pos++;
    }
    r->line++;
    r->line_start = abs_pos(r);
    return 0;
}

int mg_csv_reader_next(mg_csv_reader *r, const mg_csv_field **fields, size_t *nfields)
{
    int rc;

    *fields = NULL;
    *nfields = 0;
    for (;;) {
        if ((rc = refill(r)) < 0)
            return rc;
        if (rc == 0) {
            if ((rc = finish_hash(r)) < 0)
                return rc;
            return 0;
        }
        unsigned char c = r->buf[r->pos];
        if (c != '\n' && c != '\r')
            break;
        if ((rc = read_terminator(r)) < 0) /* a blank line */
            return rc;
    }
    mg_buf_clear(&r->rec);
    r->nfields = 0;
    r->rec_line = r->line;
    do {
        if ((rc = read_field(r)) < 0)
            return rc;
    } while ((rc = read_terminator(r)) == 1);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < r->nfields; i++) {
        size_t next = i + 1 < r->nfields ? r->offs[i + 1] : r->rec.len;
        r->fields[i].ptr = r->rec.ptr + r->offs[i];
        r->fields[i].len = next - r->offs[i] - 1;
    }
    *fields = r->fields;
    *nfields = r->nfields;
    return 1;
}

const char *mg_csv_reader_name(const mg_csv_reader *r)
{
    return r->name;
}

size_t mg_csv_reader_line(const mg_csv_reader *r)
{
    return r->rec_line;
}

size_t mg_csv_reader_column(const mg_csv_reader *r, size_t i)
{
    return i < r->nfields ? r->cols[i] : 0;
}

uint64_t mg_csv_reader_bytes(const mg_csv_reader *r)
{
    return abs_pos(r);
}

int mg_csv_reader_sha256(const mg_csv_reader *r, char hex[MG_SHA256_HEX])
{
    if (!r->hashed)
        return mg_error_set(MG_EINVAL, "%s: sha256 is known only after the whole file is read",
                            r->name);
    mg_sha256_hex(hex, r->digest);
    return MG_OK;
}

void mg_csv_reader_close(mg_csv_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    mg_sha256_free(r->hash);
    mg_buf_free(&r->rec);
    free(r->chunk);
    free(r->offs);
    free(r->cols);
    free(r->fields);
    free(r->name);
    free(r);
}

/* Exact powers of ten: every one up to 1e22 is a double without rounding. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* strtod on a bounded copy, accepting only decimal spellings (no hex, inf, nan). */
static int parse_slow(const char *s, size_t len, double *out)
{
    char tmp[128], *end;
    const char *e = s + len;
    double v;

    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (s == e || (size_t)(e - s) >= sizeof tmp)
        return 0;
    for (const char *p = s; p < e; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '+' || *p == 'e' ||
              *p == 'E'))
            return 0;
    memcpy(tmp, s, (size_t)(e - s));
    tmp[e - s] = '\0';
    errno = 0;
    v = strtod(tmp, &end);
    if (end != tmp + (e - s) || errno == ERANGE || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int mg_csv_parse_number(const char *s, size_t len, double *out, int *decimals)
{
    const char *p = s, *e = s + len;
    uint64_t m = 0;
    int neg = 0, sig = 0, frac = 0;

    *decimals = -1;
    /* Clinger's fast path: at most 15 significant digits and 22 decimals make
     * m and 10^frac exact doubles, so one division rounds correctly. */
    if (p < e && *p == '-')
        neg = *p++ == '-';
    if (p == e || *p < '0' || *p > '9' || (*p == '0' && p + 1 < e && p[1] >= '0' && p[1] <= '9'))
        goto slow;
    for (; p < e && *p >= '0' && *p <= '9'; p++) {
        m = m * 10 + (uint64_t)(*p - '0');
        sig += m != 0;
        if (sig > 15)
            goto slow;
    }
    if (p < e && *p == '.') {
        if (++p == e)
            goto slow;
        for (; p < e && *p >= '0' && *p <= '9'; p++, frac++) {
            m = m * 10 + (uint64_t)(*p - '0');
            sig += m != 0;
            if (sig > 15 || frac >= 22)
                goto slow;
        }
        if (frac == 0)
            goto slow;
    }
    if (p != e)
        goto slow;
    *out = frac ? (double)m / pow10_exact[frac] : (double)m;
    if (neg)
        *out = -*out;
    *decimals = frac;
    return 1;
slow:
    return parse_slow(s, len, out);
}

int mg_csv_parse_double(const mg_csv_field *f, double *out)
{
    int decimals;
    return mg_csv_parse_number(f->ptr, f->len, out, &decimals);
}

int mg_csv_write_field(mg_buf *b, const char *s, size_t len, char delimiter)
{
    int need = 0, rc;

    for (size_t i = 0; i < len; i++)
        if (s[i] == delimiter || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
            need = 1;
    if (!need || len == 0)
        return mg_buf_put(b, s, len);
    if ((rc = mg_buf_putc(b, '"')) < 0)
        return rc;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' && (rc = mg_buf_putc(b, '"')) < 0)
            return rc;
        if ((rc = mg_buf_putc(b, s[i])) < 0)
            return rc;
    }
    return mg_buf_putc(b, '"');
}
