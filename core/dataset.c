/* dataset.c - a CSV file read once into typed columns, with its schema and sha256. */
#define _POSIX_C_SOURCE 200809L
#include "mg_dataset.h"
#include "mg_buf.h"
#include "mg_error.h"
#include "mg_utf8.h"
#include "strtab.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* dec[] marks a numeric value whose text is not its plain printf spelling */
#define DEC_TEXT 255

enum { FORCE_NONE = 0, FORCE_NUMERIC = 1, FORCE_CATEGORICAL = 2 };

/*
 * One column. While a column is numeric, each value is kept as a double plus
 * what is needed to get its exact text back should a later value turn the
 * column categorical: the count of decimals when printf("%.*f") reproduces
 * the text (nearly always), else the text itself, interned in `levels` with
 * its code in `alt`. At the end a numeric column drops dec/alt/levels.
 */
typedef struct column {
    char *name;
    mg_coltype type;
    int force;
    double *num;    /* numeric: values, NaN = missing */
    uint8_t *dec;   /* inferred numeric, while reading: decimals or DEC_TEXT */
    int32_t *alt;   /* inferred numeric, while reading: code of a DEC_TEXT value */
    int32_t *codes; /* categorical: level codes, -1 = missing */
    strtab levels;  /* categorical: levels; numeric while reading: odd spellings */
    int32_t last;   /* categorical, while reading: the code of the last value, or -1 */
    size_t missing;
} column;

struct mg_dataset {
    char *name;
    char sha256[MG_SHA256_HEX];
    size_t rows, cap, ncols;
    column *cols;
    strtab names; /* column name -> index */
};

/* Extra missing tokens from the options, split once. */
typedef struct missing_set {
    char *copy;
    const char **tok;
    size_t *len;
    size_t n;
} missing_set;

/* The default tokens, inline: this runs once per field read. */
static inline int default_missing(const char *s, size_t len)
{
    switch (len) {
    case 0:
        return 1;
    case 1:
        return s[0] == '?';
    case 2:
        return s[0] == 'N' && s[1] == 'A';
    case 3:
        return (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'a' && (s[2] | 0x20) == 'n';
    case 4:
        return (s[0] | 0x20) == 'n' && (s[1] | 0x20) == 'u' && (s[2] | 0x20) == 'l' &&
               (s[3] | 0x20) == 'l';
    default:
        return 0;
    }
}

int mg_dataset_missing_token(const char *s, size_t len)
{
    return default_missing(s, len);
}

static inline int is_missing(const missing_set *ms, const char *s, size_t len)
{
    if (default_missing(s, len))
        return 1;
    for (size_t i = 0; i < ms->n; i++)
        if (ms->len[i] == len && memcmp(ms->tok[i], s, len) == 0)
            return 1;
    return 0;
}

static void missing_free(missing_set *ms)
{
    free(ms->copy);
    free(ms->tok);
    free(ms->len);
}

static int missing_parse(missing_set *ms, const char *spec)
{
    size_t n = 1;
    char *save = NULL, *t;

    memset(ms, 0, sizeof *ms);
    if (!spec || !*spec)
        return MG_OK;
    for (const char *p = spec; *p; p++)
        n += *p == ',';
    if (!(ms->copy = strdup(spec)) || !(ms->tok = calloc(n, sizeof *ms->tok)) ||
        !(ms->len = calloc(n, sizeof *ms->len)))
        return mg_error_set(MG_ENOMEM, "out of memory (missing tokens)");
    for (t = strtok_r(ms->copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        ms->tok[ms->n] = t;
        ms->len[ms->n++] = strlen(t);
    }
    return MG_OK;
}

static void column_free(column *c)
{
    free(c->name);
    free(c->num);
    free(c->dec);
    free(c->alt);
    free(c->codes);
    strtab_free(&c->levels);
}

void mg_dataset_close(mg_dataset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->ncols; i++)
        column_free(&ds->cols[i]);
    free(ds->cols);
    strtab_free(&ds->names);
    free(ds->name);
    free(ds);
}

static int resize(void **p, size_t n, size_t size)
{
    void *q = realloc(*p, n ? n * size : 1);
    if (!q)
        return mg_error_set(MG_ENOMEM, "out of memory (%zu values)", n);
    *p = q;
    return MG_OK;
}

/* Give every column's arrays room for `cap` rows. */
static int reserve(mg_dataset *ds, size_t cap)
{
    int rc = MG_OK;

    for (size_t i = 0; i < ds->ncols && rc == MG_OK; i++) {
        column *c = &ds->cols[i];
        if (c->type == MG_COL_NUMERIC)
            rc = resize((void **)&c->num, cap, sizeof *c->num);
        else
            rc = resize((void **)&c->codes, cap, sizeof *c->codes);
        if (rc == MG_OK && c->dec)
            rc = resize((void **)&c->dec, cap, sizeof *c->dec);
        if (rc == MG_OK && c->alt)
            rc = resize((void **)&c->alt, cap, sizeof *c->alt);
    }
    if (rc == MG_OK)
        ds->cap = cap;
    return rc;
}

static int new_dataset(mg_dataset **out, const char *name, size_t ncols)
{
    mg_dataset *ds = calloc(1, sizeof *ds);

    *out = NULL;
    if (!ds || !(ds->name = strdup(name)) ||
        !(ds->cols = calloc(ncols ? ncols : 1, sizeof *ds->cols))) {
        mg_dataset_close(ds);
        return mg_error_set(MG_ENOMEM, "out of memory (data set)");
    }
    ds->ncols = ncols;
    *out = ds;
    return MG_OK;
}

/* Text that becomes a column name or a level ends up in JSON, which must be UTF-8: a
 * Latin-1 file is refused where its first such byte stands, not later as a broken report. */
static int check_utf8(const char *file, const mg_csv_reader *r, size_t i, const mg_csv_field *f)
{
    size_t bad = mg_utf8_invalid(f->ptr, f->len);

    if (bad == f->len)
        return MG_OK;
    return mg_error_set(MG_EPARSE,
                        "%s:%zu:%zu: byte 0x%02X at offset %zu of the field is not UTF-8"
                        " (convert the file, e.g. iconv -f latin1 -t utf-8)",
                        file, mg_csv_reader_line(r), mg_csv_reader_column(r, i),
                        (unsigned char)f->ptr[bad], bad);
}

/* Column names from the header row: non-empty, UTF-8 and distinct. */
static int read_header(mg_dataset **out, mg_csv_reader *r)
{
    const mg_csv_field *f;
    size_t n;
    mg_dataset *ds = NULL;
    const char *file = mg_csv_reader_name(r);
    int rc;

    if ((rc = mg_csv_reader_next(r, &f, &n)) < 0)
        return rc;
    if (rc == 0)
        return mg_error_set(MG_EPARSE, "%s:1:1: empty file (expected a header row)", file);
    if ((rc = new_dataset(&ds, file, n)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        int32_t code;
        if (f[i].len == 0) {
            rc = mg_error_set(MG_EPARSE, "%s:%zu:%zu: empty column name in the header", file,
                              mg_csv_reader_line(r), mg_csv_reader_column(r, i));
            goto done;
        }
        if ((rc = check_utf8(file, r, i, &f[i])) < 0 ||
            (rc = strtab_intern(&ds->names, &code, f[i].ptr, f[i].len)) < 0)
            goto done;
        if ((size_t)code != i) {
            rc = mg_error_set(MG_EPARSE, "%s:%zu:%zu: duplicate column name '%s' (also column %d)",
                              file, mg_csv_reader_line(r), mg_csv_reader_column(r, i), f[i].ptr,
                              code + 1);
            goto done;
        }
        if (!(ds->cols[i].name = strdup(f[i].ptr))) {
            rc = mg_error_set(MG_ENOMEM, "out of memory (column names)");
            goto done;
        }
    }
    *out = ds;
    ds = NULL;
done:
    mg_dataset_close(ds);
    return rc;
}

/* `s` without leading and trailing spaces (cut in place). */
static char *trim(char *s)
{
    char *e = s + strlen(s);
    while (*s == ' ' || *s == '\t')
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* Apply "col:numeric,other:categorical" to the columns. */
static int apply_schema(mg_dataset *ds, const char *spec)
{
    char *copy, *save = NULL, *item;
    int rc = MG_OK;

    if (!(copy = strdup(spec ? spec : "")))
        return mg_error_set(MG_ENOMEM, "out of memory (schema)");
    for (item = strtok_r(copy, ",", &save); item && rc == MG_OK;
         item = strtok_r(NULL, ",", &save)) {
        char *colon, *type;
        int32_t idx;
        item = trim(item);
        if (!(colon = strrchr(item, ':')) || colon == item) {
            rc = mg_error_set(MG_EINVAL, "schema: '%s' is not COLUMN:TYPE", item);
            break;
        }
        *colon = '\0';
        item = trim(item);
        type = trim(colon + 1);
        if ((idx = strtab_find(&ds->names, item, strlen(item))) < 0) {
            rc = mg_error_set(MG_EINVAL, "schema: no column '%s' in %s", item, ds->name);
            break;
        }
        if (strcmp(type, "numeric") == 0)
            ds->cols[idx].force = FORCE_NUMERIC;
        else if (strcmp(type, "categorical") == 0)
            ds->cols[idx].force = FORCE_CATEGORICAL;
        else
            rc = mg_error_set(MG_EINVAL,
                              "schema: column '%s': unknown type '%s' (numeric or categorical)",
                              item, type);
    }
    free(copy);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < ds->ncols; i++) {
        column *c = &ds->cols[i];
        c->type = c->force == FORCE_CATEGORICAL ? MG_COL_CATEGORICAL : MG_COL_NUMERIC;
        c->last = -1;
        if (c->force == FORCE_NONE && !(c->dec = malloc(1)))
            return mg_error_set(MG_ENOMEM, "out of memory (data set)");
    }
    return MG_OK;
}

/* The exact text of inferred-numeric value `row`, into tmp when formatted. */
static const char *numeric_text(const column *c, size_t row, char *tmp, size_t size, size_t *len)
{
    if (c->dec[row] == DEC_TEXT) {
        int32_t code = c->alt[row];
        *len = strtab_len(&c->levels, code);
        return strtab_str(&c->levels, code);
    }
    *len = (size_t)snprintf(tmp, size, "%.*f", (int)c->dec[row], c->num[row]);
    return tmp;
}

/* A non-number met in inferred column `c` at row `rows`: re-code rows [0, rows) as text. */
static int to_categorical(column *c, size_t rows, size_t cap)
{
    strtab levels = STRTAB_INIT;
    int32_t *codes = malloc((cap ? cap : 1) * sizeof *codes);
    char tmp[400];
    int rc = MG_OK;

    if (!codes)
        return mg_error_set(MG_ENOMEM, "out of memory (data set)");
    for (size_t i = 0; i < rows && rc == MG_OK; i++) {
        size_t len;
        const char *s;
        if (isnan(c->num[i])) {
            codes[i] = -1;
            continue;
        }
        s = numeric_text(c, i, tmp, sizeof tmp, &len);
        rc = strtab_intern(&levels, &codes[i], s, len);
    }
    if (rc < 0) {
        free(codes);
        strtab_free(&levels);
        return rc;
    }
    strtab_free(&c->levels);
    c->levels = levels;
    free(c->num);
    free(c->dec);
    free(c->alt);
    c->num = NULL;
    c->dec = NULL;
    c->alt = NULL;
    c->codes = codes;
    c->type = MG_COL_CATEGORICAL;
    return MG_OK;
}

/* A number whose text printf will not give back: keep the text itself. */
static int put_spelling(column *c, size_t row, size_t cap, const mg_csv_field *f)
{
    c->dec[row] = DEC_TEXT;
    if (!c->alt && !(c->alt = malloc((cap ? cap : 1) * sizeof *c->alt)))
        return mg_error_set(MG_ENOMEM, "out of memory (data set)");
    return strtab_intern(&c->levels, &c->alt[row], f->ptr, f->len);
}

/* Not a number in numeric column `c`: an error if the schema says so, else it turns categorical. */
static int not_a_number(mg_dataset *ds, column *c, size_t row, const mg_csv_field *f,
                        const mg_csv_reader *r, size_t i)
{
    if (c->force == FORCE_NUMERIC)
        return mg_error_set(MG_EPARSE,
                            "%s:%zu:%zu: column '%s' is numeric but '%.*s' is not a number",
                            ds->name, mg_csv_reader_line(r), mg_csv_reader_column(r, i), c->name,
                            f->len > 40 ? 40 : (int)f->len, f->ptr);
    return to_categorical(c, row, ds->cap);
}

/* Store the fields of one row. The hot loop of reading: keep it lean. */
static int put_row(mg_dataset *ds, const mg_csv_field *f, const missing_set *ms,
                   const mg_csv_reader *r)
{
    size_t row = ds->rows, n = ds->ncols;
    int rc;

    for (size_t i = 0; i < n; i++) {
        column *c = &ds->cols[i];
        const char *s = f[i].ptr;
        size_t len = f[i].len;
        double v;
        int decimals;

        if (ms->n ? is_missing(ms, s, len) : default_missing(s, len)) {
            c->missing++;
            if (c->type == MG_COL_NUMERIC)
                c->num[row] = NAN;
            else
                c->codes[row] = -1;
            continue;
        }
        if (c->type == MG_COL_NUMERIC) {
            if (mg_csv_parse_number(s, len, &v, &decimals)) {
                c->num[row] = v;
                if (!c->dec)
                    continue;
                if (decimals >= 0 && decimals < DEC_TEXT)
                    c->dec[row] = (uint8_t)decimals;
                else if ((rc = put_spelling(c, row, ds->cap, &f[i])) < 0)
                    return rc;
                continue;
            }
            if ((rc = not_a_number(ds, c, row, &f[i], r, i)) < 0)
                return rc;
        }
        /* runs of one value are common (a majority level): try the last one first */
        if (c->last >= 0 && strtab_is(&c->levels, (size_t)c->last, s, len)) {
            c->codes[row] = c->last;
            continue;
        }
        if ((rc = strtab_intern(&c->levels, &c->codes[row], s, len)) < 0)
            return rc;
        /* a new level (the table grew) is checked once; repeats are known good */
        if ((size_t)c->codes[row] + 1 == c->levels.n && (rc = check_utf8(ds->name, r, i, &f[i])) < 0)
            return rc;
        c->last = c->codes[row];
    }
    ds->rows++;
    return MG_OK;
}

/* Once every row is in: numeric columns forget their spellings; arrays shrink to fit. */
static int finish(mg_dataset *ds)
{
    for (size_t i = 0; i < ds->ncols; i++) {
        column *c = &ds->cols[i];
        free(c->dec);
        free(c->alt);
        c->dec = NULL;
        c->alt = NULL;
        if (c->type == MG_COL_NUMERIC)
            strtab_free(&c->levels);
    }
    if (ds->cap > ds->rows + ds->rows / 8 + 64)
        return reserve(ds, ds->rows);
    return MG_OK;
}

/*
 * Rows the input probably holds, from its size and the bytes the first
 * `rows` rows took, with a little slack: sizing the columns once saves the
 * copies and page faults of repeated doubling on large files.
 */
static size_t estimate_rows(uint64_t total, uint64_t start, uint64_t now, size_t rows)
{
    double per_row = (double)(now - start) / (double)rows;
    double est = per_row > 0 ? (double)(total - start) / per_row : 0;
    return est < 1e12 ? (size_t)(est * 1.03) + 1024 : 0;
}

#define SAMPLE_ROWS 512

/* `total` is the input's size in bytes, 0 when unknown. */
static int load(mg_dataset **out, mg_csv_reader *r, const mg_dataset_options *opts, uint64_t total)
{
    uint64_t start;
    mg_dataset *ds = NULL;
    missing_set ms;
    const mg_csv_field *f;
    size_t n;
    int rc;

    *out = NULL;
    if ((rc = missing_parse(&ms, opts->missing)) < 0)
        goto done;
    if ((rc = read_header(&ds, r)) < 0 || (rc = apply_schema(ds, opts->schema)) < 0 ||
        (rc = reserve(ds, 1024)) < 0)
        goto done;
    start = mg_csv_reader_bytes(r);
    while ((rc = mg_csv_reader_next(r, &f, &n)) == 1) {
        if (n != ds->ncols) {
            size_t col = n > ds->ncols ? mg_csv_reader_column(r, ds->ncols) : 1;
            rc = mg_error_set(MG_EPARSE, "%s:%zu:%zu: expected %zu fields, found %zu", ds->name,
                              mg_csv_reader_line(r), col, ds->ncols, n);
            goto done;
        }
        if (opts->max_rows && ds->rows == opts->max_rows) {
            rc = mg_error_set(MG_ETOOBIG, "%s:%zu: more than %zu rows", ds->name,
                              mg_csv_reader_line(r), opts->max_rows);
            goto done;
        }
        if (ds->rows == SAMPLE_ROWS && total > 0) {
            size_t est = estimate_rows(total, start, mg_csv_reader_bytes(r), ds->rows);
            if (est > ds->cap && (rc = reserve(ds, est)) < 0)
                goto done;
        }
        if (ds->rows == ds->cap && (rc = reserve(ds, ds->cap + ds->cap / 2)) < 0)
            goto done;
        if ((rc = put_row(ds, f, &ms, r)) < 0)
            goto done;
    }
    if (rc < 0 || (rc = finish(ds)) < 0)
        goto done;
    if (!opts->csv.no_hash && (rc = mg_csv_reader_sha256(r, ds->sha256)) < 0)
        goto done;
    *out = ds;
    ds = NULL;
done:
    missing_free(&ms);
    mg_dataset_close(ds);
    return rc;
}

int mg_dataset_open(mg_dataset **out, const char *path, const mg_dataset_options *opts)
{
    mg_dataset_options defaults = MG_DATASET_OPTIONS_INIT;
    mg_csv_reader *r = NULL;
    struct stat st;
    int rc;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if ((rc = mg_csv_reader_open(&r, path, &opts->csv)) < 0)
        return rc;
    rc = load(out, r, opts, stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
    mg_csv_reader_close(r);
    return rc;
}

int mg_dataset_open_buffer(mg_dataset **out, const char *name, const void *data, size_t len,
                           const mg_dataset_options *opts)
{
    mg_dataset_options defaults = MG_DATASET_OPTIONS_INIT;
    mg_csv_reader *r = NULL;
    int rc;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if ((rc = mg_csv_reader_open_buffer(&r, name, data, len, &opts->csv)) < 0)
        return rc;
    rc = load(out, r, opts, len);
    mg_csv_reader_close(r);
    return rc;
}

size_t mg_dataset_rows(const mg_dataset *ds)
{
    return ds->rows;
}

size_t mg_dataset_cols(const mg_dataset *ds)
{
    return ds->ncols;
}

const char *mg_dataset_name(const mg_dataset *ds)
{
    return ds->name;
}

const char *mg_dataset_sha256(const mg_dataset *ds)
{
    return ds->sha256;
}

const char *mg_dataset_col_name(const mg_dataset *ds, size_t col)
{
    return col < ds->ncols ? ds->cols[col].name : NULL;
}

mg_coltype mg_dataset_col_type(const mg_dataset *ds, size_t col)
{
    return col < ds->ncols ? ds->cols[col].type : MG_COL_NUMERIC;
}

size_t mg_dataset_col_missing(const mg_dataset *ds, size_t col)
{
    return col < ds->ncols ? ds->cols[col].missing : 0;
}

long mg_dataset_col_find(const mg_dataset *ds, const char *name)
{
    return strtab_find(&ds->names, name, strlen(name));
}

const double *mg_dataset_col_numeric(const mg_dataset *ds, size_t col)
{
    return col < ds->ncols && ds->cols[col].type == MG_COL_NUMERIC ? ds->cols[col].num : NULL;
}

const int32_t *mg_dataset_col_codes(const mg_dataset *ds, size_t col)
{
    return col < ds->ncols && ds->cols[col].type == MG_COL_CATEGORICAL ? ds->cols[col].codes : NULL;
}

size_t mg_dataset_col_levels(const mg_dataset *ds, size_t col)
{
    return col < ds->ncols && ds->cols[col].type == MG_COL_CATEGORICAL ? ds->cols[col].levels.n : 0;
}

const char *mg_dataset_col_level(const mg_dataset *ds, size_t col, size_t level)
{
    if (col >= ds->ncols || ds->cols[col].type != MG_COL_CATEGORICAL ||
        level >= ds->cols[col].levels.n)
        return NULL;
    return strtab_str(&ds->cols[col].levels, level);
}

long mg_dataset_col_level_find(const mg_dataset *ds, size_t col, const char *value)
{
    if (col >= ds->ncols || ds->cols[col].type != MG_COL_CATEGORICAL)
        return -1;
    return strtab_find(&ds->cols[col].levels, value, strlen(value));
}

int mg_dataset_subset(mg_dataset **out, const mg_dataset *ds, const size_t *rows, size_t n)
{
    mg_dataset *sub = NULL;
    int rc;

    *out = NULL;
    for (size_t k = 0; k < n; k++)
        if (rows[k] >= ds->rows)
            return mg_error_set(MG_EINVAL, "%s: row %zu out of range (%zu rows)", ds->name, rows[k],
                                ds->rows);
    if ((rc = new_dataset(&sub, ds->name, ds->ncols)) < 0)
        return rc;
    memcpy(sub->sha256, ds->sha256, sizeof sub->sha256);
    if ((rc = strtab_copy(&sub->names, &ds->names)) < 0)
        goto done;
    for (size_t i = 0; i < ds->ncols; i++) {
        const column *c = &ds->cols[i];
        column *s = &sub->cols[i];
        s->type = c->type;
        if (!(s->name = strdup(c->name))) {
            rc = mg_error_set(MG_ENOMEM, "out of memory (data set)");
            goto done;
        }
        if ((rc = strtab_copy(&s->levels, &c->levels)) < 0)
            goto done;
    }
    if ((rc = reserve(sub, n)) < 0)
        goto done;
    for (size_t i = 0; i < ds->ncols; i++) {
        const column *c = &ds->cols[i];
        column *s = &sub->cols[i];
        if (c->type == MG_COL_NUMERIC) {
            for (size_t k = 0; k < n; k++)
                s->missing += isnan(s->num[k] = c->num[rows[k]]);
        } else {
            for (size_t k = 0; k < n; k++)
                s->missing += (s->codes[k] = c->codes[rows[k]]) < 0;
        }
    }
    sub->rows = n;
    *out = sub;
    sub = NULL;
done:
    mg_dataset_close(sub);
    return rc;
}
