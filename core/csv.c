/* csv.c - streaming RFC 4180 reader: one record at a time, constant memory. */
#define _POSIX_C_SOURCE 200809L
#include "mg_csv.h"
#include "mg_buf.h"
#include "mg_error.h"
#include "hasher.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define CHUNK ((size_t)256 << 10) /* small blocks: fewer fresh pages to fault in per file */
#define DEFAULT_MAX_RECORD ((size_t)64 << 20)

/*
 * Records are parsed in place: bytes are read into `buf` (hashed as read),
 * the fields of a record are found there and NUL-terminated over their
 * terminators, and doubled quotes are collapsed once the record is whole. A
 * record cut by the end of the buffer gets its terminators back, moves to
 * the front, and is scanned again after the next read, so nothing is copied
 * per field. buf[end] always holds a '\n' sentinel, so the scanning loops
 * need no bounds checks. Inputs of BACKGROUND_HASH bytes or more are hashed
 * on a second thread while the first parses.
 */
#define BACKGROUND_HASH ((size_t)2 << 20)
#define SLACK 16 /* defined bytes after the sentinel: 16-byte loads stay inside buf */
struct mg_csv_reader {
    char *name;
    FILE *f;
    const unsigned char *mem; /* buffer input, or NULL */
    size_t mem_len, mem_pos;
    unsigned char *buf; /* cap + 1 + SLACK bytes (the sentinel, the slack) */
    size_t cap, pos, end;
    uint64_t consumed; /* absolute offset of buf[0] */
    int eof;
    int started;

    unsigned char delim;
    size_t max_record;
    mg_sha256 *hash;
    hasher *bg;            /* large inputs hash on another thread, */
    unsigned char *raw[2]; /* from these read blocks (file input) */
    int raw_cur;
    unsigned char digest[MG_SHA256_LEN];
    int hashed;

    size_t line;             /* current line, 1-based */
    uint64_t line_start;     /* absolute offset of the current line's first byte */
    size_t rec_line;         /* line on which the last record began */
    unsigned char stop[256]; /* 1 for the bytes that end an unquoted field */
    mg_csv_field *fields;
    size_t *cols;       /* 1-based column of each field */
    unsigned char *esc; /* FIELD_QUOTED, FIELD_ESCAPED ("" inside) per field */
    size_t nfields, cap_fields;
};

static int reader_new(mg_csv_reader **out, const char *name, const mg_csv_options *opts)
{
    mg_csv_options defaults = MG_CSV_OPTIONS_INIT;
    mg_csv_reader *r;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!(r = calloc(1, sizeof *r)) || !(r->name = strdup(name)) ||
        !(r->buf = calloc(1, CHUNK + 1 + SLACK))) {
        if (r)
            free(r->name);
        free(r);
        return mg_error_set(MG_ENOMEM, "out of memory (csv reader)");
    }
    r->cap = CHUNK;
    r->buf[0] = '\n';
    r->delim = (unsigned char)(opts->delimiter ? opts->delimiter : ',');
    r->max_record = opts->max_record ? opts->max_record : DEFAULT_MAX_RECORD;
    r->line = 1;
    r->stop[r->delim] = r->stop['\n'] = r->stop['\r'] = 1;
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
    setvbuf(r->f, NULL, _IONBF, 0); /* reads go straight into buf */
    {
        struct stat st;
        if (r->hash && fstat(fileno(r->f), &st) == 0 && st.st_size >= (off_t)BACKGROUND_HASH &&
            hasher_start(&r->bg) == MG_OK &&
            (!(r->raw[0] = malloc(CHUNK)) || !(r->raw[1] = malloc(CHUNK)))) {
            mg_csv_reader_close(r);
            return mg_error_set(MG_ENOMEM, "out of memory (csv buffer)");
        }
    }
    mg_error_clear(); /* no thread: hash on this one */
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
    if (r->hash && len >= BACKGROUND_HASH && hasher_start(&r->bg) < 0)
        mg_error_clear(); /* no thread: hash on this one */
    *out = r;
    return MG_OK;
}

/*
 * Keep buf[keep, end), moved to the front, and read more after it. Returns
 * 1 when new bytes arrived, 0 at the end of the input, or an error.
 */
static int refill(mg_csv_reader *r, size_t keep)
{
    size_t n, room;

    if (r->eof)
        return 0;
    if (keep > 0) {
        memmove(r->buf, r->buf + keep, r->end - keep);
        r->consumed += keep;
        r->end -= keep;
        r->pos -= keep;
    }
    if (r->end - r->pos > r->max_record)
        return mg_error_set(MG_ETOOBIG, "%s:%zu: record longer than %zu bytes", r->name, r->line,
                            r->max_record);
    if (r->end == r->cap) { /* one record fills the buffer: grow it */
        size_t cap = r->cap * 2;
        unsigned char *b;
        if (!(b = realloc(r->buf, cap + 1 + SLACK)))
            return mg_error_set(MG_ENOMEM, "out of memory (csv buffer)");
        r->buf = b;
        r->cap = cap;
    }
    room = r->cap - r->end;
    if (r->mem) {
        const unsigned char *src = r->mem + r->mem_pos;
        n = r->mem_len - r->mem_pos < room ? r->mem_len - r->mem_pos : room;
        if (r->bg && hasher_feed(r->bg, src, n) < 0)
            return MG_ERROR;
        memcpy(r->buf + r->end, src, n);
        r->mem_pos += n;
        r->eof = r->mem_pos == r->mem_len;
    } else if (r->bg) {
        /* this block was queued two reads ago; the last feed waited for it */
        unsigned char *raw = r->raw[r->raw_cur];
        size_t want = room < CHUNK ? room : CHUNK;
        r->raw_cur ^= 1;
        n = fread(raw, 1, want, r->f);
        if (n < want) {
            if (ferror(r->f))
                return mg_error_set(MG_EIO, "%s: read error", r->name);
            r->eof = 1;
        }
        if (hasher_feed(r->bg, raw, n) < 0)
            return MG_ERROR;
        memcpy(r->buf + r->end, raw, n);
    } else {
        n = fread(r->buf + r->end, 1, room, r->f);
        if (n < room) {
            if (ferror(r->f))
                return mg_error_set(MG_EIO, "%s: read error", r->name);
            r->eof = 1;
        }
    }
    if (r->hash && !r->bg && n && mg_sha256_update(r->hash, r->buf + r->end, n) < 0)
        return MG_ERROR;
    r->end += n;
    r->buf[r->end] = '\n';
    memset(r->buf + r->end + 1, 0, SLACK);
    if (!r->started && (r->end >= 3 || r->eof)) {
        r->started = 1;
        if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
            r->pos = 3;
            r->line_start = r->consumed + 3;
        }
    }
    return n > 0 || r->eof ? 1 : 0;
}

static int finish_hash(mg_csv_reader *r)
{
    if (r->hash && !r->hashed) {
        if ((r->bg ? hasher_finish(r->bg, r->digest) : mg_sha256_final(r->hash, r->digest)) < 0)
            return MG_ERROR;
        r->hashed = 1;
    }
    return MG_OK;
}

static int grow_fields(mg_csv_reader *r)
{
    size_t cap = r->cap_fields ? r->cap_fields * 2 : 32;
    mg_csv_field *f = realloc(r->fields, cap * sizeof *f);
    if (f)
        r->fields = f;
    size_t *cols = f ? realloc(r->cols, cap * sizeof *cols) : NULL;
    if (cols)
        r->cols = cols;
    unsigned char *esc = cols ? realloc(r->esc, cap) : NULL;
    if (!esc)
        return mg_error_set(MG_ENOMEM, "out of memory (csv fields)");
    r->esc = esc;
    r->cap_fields = cap;
    return MG_OK;
}

/* Scan a quoted field from just after its opening quote. */
enum { SCAN_ESCAPED = 2, SCAN_DONE = 1, SCAN_MORE = 0 };
static int scan_quoted(mg_csv_reader *r, const unsigned char **pp, size_t col0, int *escaped)
{
    size_t line0 = r->line;
    const unsigned char *p = *pp, *e = r->buf + r->end;

    for (;;) {
        while (*p != '"' && *p != '\n')
            p++;
        if (p == e) {
            if (!r->eof)
                return SCAN_MORE;
            return mg_error_set(MG_EPARSE, "%s:%zu:%zu: unterminated quoted field", r->name, line0,
                                col0);
        }
        if (*p == '\n') {
            p++;
            r->line++;
            r->line_start = r->consumed + (size_t)(p - r->buf);
            continue;
        }
        if (p + 1 == e && !r->eof)
            return SCAN_MORE; /* "" or the end of the field: the next byte decides */
        if (p[1] == '"' && p + 1 < e) {
            *escaped = 1;
            p += 2;
            continue;
        }
        *pp = p; /* on the closing quote */
        return SCAN_DONE;
    }
}

/* The first delimiter, CR or LF at or after p; the sentinel guarantees one. */
#if defined(__SSE2__)
typedef struct stops {
    __m128i d, n, r;
} stops;
#define STOPS_INIT(delim)                                                                          \
    {                                                                                              \
        _mm_set1_epi8((char)(delim)), _mm_set1_epi8('\n'), _mm_set1_epi8('\r')                     \
    }
#else
typedef struct stops {
    int unused;
} stops;
#define STOPS_INIT(delim)                                                                          \
    {                                                                                              \
        0                                                                                          \
    }
#endif

static inline const unsigned char *scan_plain(const unsigned char *p, const unsigned char *stop,
                                              const stops *v)
{
#if defined(__SSE2__)
    /* 16 bytes per step: most fields end within the first load */
    const __m128i vd = v->d, vn = v->n, vr = v->r;
    (void)stop;
    for (;;) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vd), _mm_cmpeq_epi8(x, vn)),
                                   _mm_cmpeq_epi8(x, vr));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#else
    (void)v;
    while (!stop[*p])
        p++;
    return p;
#endif
}

enum { FIELD_QUOTED = 1, FIELD_ESCAPED = 2 };

/* A record cut short: put back the terminators that NULs replaced. */
static void unseal(mg_csv_field *fields, const unsigned char *flags, size_t nf, unsigned char delim)
{
    for (size_t i = 0; i < nf; i++)
        ((char *)fields[i].ptr)[fields[i].len] = (char)(flags[i] & FIELD_QUOTED ? '"' : delim);
}

/*
 * Find the fields of the record at r->pos, NUL-terminating each as it goes.
 * Returns SCAN_DONE with the fields set and r->pos past the record,
 * SCAN_MORE when the buffer ends first (the bytes put back as they were),
 * or an error. Hot: reader fields live in locals, so stores to the field
 * arrays do not force reloads of the reader.
 */
static int scan_record(mg_csv_reader *r)
{
    unsigned char *base = r->buf;
    const unsigned char *p = base + r->pos, *e = base + r->end;
    const unsigned char delim = r->delim, *stop = r->stop;
    const stops vec = STOPS_INIT(delim);
    const int eof = r->eof;
    mg_csv_field *fields = r->fields;
    size_t *cols = r->cols, nf = 0, cap = r->cap_fields;
    unsigned char *flags = r->esc, any_escaped = 0;
    size_t lo = (size_t)(r->line_start - r->consumed); /* line start, as an offset in buf */
    int rc;

    for (;;) {
        const unsigned char *s = p, *fend;
        size_t col = (size_t)(p - base) - lo + 1;
        int escaped = 0;
        unsigned char t, flag = 0;

        if (nf == cap) {
            r->nfields = nf;
            if ((rc = grow_fields(r)) < 0)
                return rc;
            fields = r->fields;
            cols = r->cols;
            flags = r->esc;
            cap = r->cap_fields;
        }
        if (*p == '"') { /* the sentinel is '\n', so p < e here */
            p++;
            if ((rc = scan_quoted(r, &p, col, &escaped)) != SCAN_DONE) {
                if (rc == SCAN_MORE)
                    unseal(fields, flags, nf, delim);
                return rc;
            }
            lo = (size_t)(r->line_start - r->consumed);
            s++;
            fend = p++;
            flag = (unsigned char)(FIELD_QUOTED | (escaped ? FIELD_ESCAPED : 0));
            any_escaped |= flag;
            if (!stop[*p] && p < e)
                return mg_error_set(MG_EPARSE, "%s:%zu:%zu: unexpected '%c' after a closing quote",
                                    r->name, r->line, (size_t)(p - base) - lo + 1,
                                    *p >= 32 && *p < 127 ? *p : '?');
        } else {
            p = scan_plain(p, stop, &vec);
            fend = p;
        }
        t = *p; /* the terminator; the sentinel '\n' at the end */
        if ((p == e || (t == '\r' && p + 1 == e)) && !eof) {
            unseal(fields, flags, nf, delim);
            return SCAN_MORE;
        }
        fields[nf].ptr = (const char *)s;
        fields[nf].len = (size_t)(fend - s);
        cols[nf] = col;
        flags[nf++] = flag;
        base[fend - base] = '\0';
        if (t == delim && p < e) {
            p++;
            continue;
        }
        if (t == '\r' && p < e && p[1] == '\n' && p + 1 < e)
            p++;
        if (p < e)
            p++;
        r->nfields = nf;
        r->pos = (size_t)(p - base);
        r->line++;
        r->line_start = r->consumed + r->pos;
        return any_escaped & FIELD_ESCAPED ? SCAN_ESCAPED : SCAN_DONE;
    }
}

/* Collapse "" to " in the quoted fields that hold them. */
static void unescape_fields(mg_csv_reader *r)
{
    for (size_t i = 0; i < r->nfields; i++) {
        char *s = (char *)r->fields[i].ptr;
        size_t len = r->fields[i].len, w = 0;
        if (!(r->esc[i] & FIELD_ESCAPED))
            continue;
        for (size_t k = 0; k < len; k++) {
            s[w++] = s[k];
            if (s[k] == '"')
                k++;
        }
        s[w] = '\0';
        r->fields[i].len = w;
    }
}

int mg_csv_reader_next(mg_csv_reader *r, const mg_csv_field **fields, size_t *nfields)
{
    int rc;

    *fields = NULL;
    *nfields = 0;
    for (;;) {
        size_t line, start;
        uint64_t line_start;
        /* skip blank lines */
        while (r->pos < r->end && (r->buf[r->pos] == '\n' || r->buf[r->pos] == '\r')) {
            if (r->buf[r->pos] == '\r' && r->pos + 1 == r->end && !r->eof)
                break;
            if (r->buf[r->pos] == '\r' && r->buf[r->pos + 1] == '\n' && r->pos + 1 < r->end)
                r->pos++;
            r->pos++;
            r->line++;
            r->line_start = r->consumed + r->pos;
        }
        if (r->pos == r->end || r->buf[r->pos] == '\r') {
            if ((rc = refill(r, r->pos)) < 0)
                return rc;
            if (rc == 0 || (r->pos == r->end && r->eof)) {
                if ((rc = finish_hash(r)) < 0)
                    return rc;
                return 0;
            }
            continue;
        }
        r->rec_line = r->line;
        line = r->line;
        line_start = r->line_start;
        start = r->pos;
        if ((rc = scan_record(r)) < 0)
            return rc;
        if (rc != SCAN_MORE && r->pos - start > r->max_record)
            return mg_error_set(MG_ETOOBIG, "%s:%zu: record longer than %zu bytes", r->name,
                                r->rec_line, r->max_record);
        if (rc == SCAN_ESCAPED)
            unescape_fields(r);
        if (rc != SCAN_MORE)
            break;
        r->line = line; /* scan again once more bytes are in */
        r->line_start = line_start;
        if ((rc = refill(r, r->pos)) < 0)
            return rc;
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
    return r->consumed + r->pos;
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
    hasher_free(r->bg); /* first: it may still read a block */
    if (r->f)
        fclose(r->f);
    mg_sha256_free(r->hash);
    free(r->raw[0]);
    free(r->raw[1]);
    free(r->buf);
    free(r->fields);
    free(r->cols);
    free(r->esc);
    free(r->name);
    free(r);
}

/* Exact powers of ten: every one up to 1e22 is a double without rounding. */
static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* strtod on a bounded copy, accepting only decimal spellings (no hex, inf, nan). */
__attribute__((cold, noinline)) static int parse_slow(const char *s, size_t len, double *out)
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
    /* ERANGE also flags underflow: a subnormal or a value rounding to 0 is still the
     * correctly rounded number (as in pandas); only overflow to infinity is refused */
    v = strtod(tmp, &end);
    if (end != tmp + (e - s) || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int mg_csv_parse_number(const char *s, size_t len, double *out, int *decimals)
{
    const char *p = s, *e = s + len, *dot = NULL;
    uint64_t m = 0;
    size_t digits, frac;
    int neg;

    *decimals = -1;
    /* Clinger's fast path: at most 15 digits make m exact, and 10^frac is
     * exact, so one division gives the correctly rounded double. Any other
     * spelling (sign '+', exponent, spaces, leading zeros, more digits) goes
     * to strtod. */
    if (len == 0 || len > 17)
        goto slow;
    neg = *p == '-';
    p += neg;
    for (; p < e; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d < 10)
            m = m * 10 + d;
        else if (*p == '.' && !dot)
            dot = p;
        else
            goto slow;
    }
    digits = len - (size_t)neg - (dot != NULL);
    frac = dot ? (size_t)(e - dot - 1) : 0;
    if (digits == 0 || digits > 15 || (dot && (frac == 0 || dot == s + neg)) ||
        (s[neg] == '0' && digits > 1 + frac))
        goto slow;
    *out = frac ? (double)m / pow10_exact[frac] : (double)m;
    if (neg)
        *out = -*out;
    *decimals = (int)frac;
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
