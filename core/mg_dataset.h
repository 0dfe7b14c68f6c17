/* mg_dataset.h - a CSV data set in memory, column by column, with its schema and sha256. */
#ifndef MG_DATASET_H
#define MG_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "mg_csv.h"

typedef enum mg_coltype { MG_COL_NUMERIC = 0, MG_COL_CATEGORICAL = 1 } mg_coltype;

typedef struct mg_dataset mg_dataset;

/*
 * Reading options. Missing values are always the empty field, "?", "NA"
 * (and "NaN", "null" case-insensitively); `missing` adds more, comma separated.
 * `schema` overrides inference: "col:numeric,other:categorical".
 * A column is numeric when every non-missing value parses as a number.
 */
typedef struct mg_dataset_options {
    mg_csv_options csv;
    const char *schema;  /* NULL: infer every column */
    const char *missing; /* NULL: only the defaults */
    size_t max_rows;     /* 0: no limit; more rows -> MG_ETOOBIG */
} mg_dataset_options;

#define MG_DATASET_OPTIONS_INIT {MG_CSV_OPTIONS_INIT, NULL, NULL, 0}

/*
 * Read a CSV file with a header row. On success *out is a new data set; free
 * it with mg_dataset_close(). Errors: MG_ENOTFOUND (no file), MG_EPARSE
 * ("FILE:LINE:COL: ..." for a ragged row, a non-number in a column the schema
 * says is numeric, an empty file, a duplicate header), MG_EINVAL (schema names
 * an unknown column or type), MG_ETOOBIG, MG_EIO, MG_ENOMEM.
 */
int mg_dataset_open(mg_dataset **out, const char *path, const mg_dataset_options *opts);

/* The same from memory (`name` appears in messages). Same errors. */
int mg_dataset_open_buffer(mg_dataset **out, const char *name, const void *data, size_t len,
                           const mg_dataset_options *opts);

void mg_dataset_close(mg_dataset *ds); /* NULL is a no-op */

/* Getters: cannot fail; strings and arrays are borrowed, valid while `ds` lives. */
size_t mg_dataset_rows(const mg_dataset *ds);
size_t mg_dataset_cols(const mg_dataset *ds);
const char *mg_dataset_name(const mg_dataset *ds);   /* path or buffer name */
const char *mg_dataset_sha256(const mg_dataset *ds); /* hex sha256 of the bytes read */
const char *mg_dataset_col_name(const mg_dataset *ds, size_t col);
mg_coltype mg_dataset_col_type(const mg_dataset *ds, size_t col);
size_t mg_dataset_col_missing(const mg_dataset *ds, size_t col);

/* Index of the column named `name`, or -1. */
long mg_dataset_col_find(const mg_dataset *ds, const char *name);

/* Numeric column values (NaN = missing), or NULL for a categorical column. */
const double *mg_dataset_col_numeric(const mg_dataset *ds, size_t col);

/* Categorical column codes (-1 = missing), or NULL for a numeric column. */
const int32_t *mg_dataset_col_codes(const mg_dataset *ds, size_t col);

/* Distinct values of a categorical column, in order of first appearance. */
size_t mg_dataset_col_levels(const mg_dataset *ds, size_t col);
const char *mg_dataset_col_level(const mg_dataset *ds, size_t col, size_t level);

/* Code of `value` in a categorical column, or -1 when it never occurs. */
long mg_dataset_col_level_find(const mg_dataset *ds, size_t col, const char *value);

/*
 * True when `len` bytes at `s` are one of the default missing tokens: the
 * empty field, "?", "NA", and "NaN" or "null" in any case. Cannot fail.
 */
int mg_dataset_missing_token(const char *s, size_t len);

/*
 * A new data set of rows[0..n) of `ds` (same columns, levels and sha256).
 * Errors: MG_EINVAL (a row index out of range), MG_ENOMEM.
 */
int mg_dataset_subset(mg_dataset **out, const mg_dataset *ds, const size_t *rows, size_t n);

/*
 * Seeded train / validation / test split of n rows. With `strata` (a class
 * per row, -1 = none) each class is split in the same shares. Every row lands
 * in exactly one part; the same arguments give the same parts.
 * Errors: MG_EINVAL (fractions outside [0, 1) or summing to >= 1), MG_ENOMEM.
 */
typedef struct mg_split {
    size_t *train, *valid, *test;
    size_t ntrain, nvalid, ntest;
} mg_split;

int mg_split_make(mg_split *out, size_t n, double valid_fraction, double test_fraction,
                  uint64_t seed, const int32_t *strata);
void mg_split_free(mg_split *s); /* frees the arrays; NULL-safe */

#endif
