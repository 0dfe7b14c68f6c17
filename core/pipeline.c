/* pipeline.c - the feature pipeline: impute, one-hot, standardise; raw rows; JSON. */
#define _POSIX_C_SOURCE 200809L
#include "mg_pipeline.h"
#include "mg_error.h"
#include "strtab.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A level that spells a number, for matching a numeric column of another data set. */
typedef struct numeric_level {
    double value;
    size_t level;
} numeric_level;

typedef struct input {
    char *name;
    mg_coltype type;
    double mean, std;       /* numeric */
    strtab levels;          /* categorical */
    int32_t impute;         /* categorical: level for missing values, -1 when no levels */
    numeric_level *numeric; /* categorical: levels that parse as numbers, by value */
    size_t nnumeric;
    size_t offset, span;
} input;

struct mg_pipeline {
    size_t n, width;
    input *in;
    char **feature; /* width names */
};

void mg_pipeline_free(mg_pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->in[i].name);
        strtab_free(&p->in[i].levels);
        free(p->in[i].numeric);
    }
    for (size_t f = 0; f < p->width && p->feature; f++)
        free(p->feature[f]);
    free(p->feature);
    free(p->in);
    free(p);
}

/* A pipeline of n inputs with their names; types and parameters are the caller's. */
static int pipeline_new(mg_pipeline **out, const char *const *names, size_t n)
{
    mg_pipeline *p = calloc(1, sizeof *p);

    *out = NULL;
    if (!p || !(p->in = calloc(n ? n : 1, sizeof *p->in))) {
        free(p);
        return mg_error_set(MG_ENOMEM, "out of memory (pipeline)");
    }
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        p->in[i].std = 1.0;
        p->in[i].impute = -1;
        if (!(p->in[i].name = strdup(names[i]))) {
            mg_pipeline_free(p);
            return mg_error_set(MG_ENOMEM, "out of memory (pipeline)");
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0) {
                mg_pipeline_free(p);
                return mg_error_set(MG_EINVAL, "pipeline: column '%s' given twice", names[i]);
            }
    }
    *out = p;
    return MG_OK;
}

static int cmp_numeric_level(const void *a, const void *b)
{
    const numeric_level *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? -1 : 1;
    return x->level < y->level ? -1 : x->level > y->level;
}

/* Levels of input `in` that spell numbers, sorted by value (first level wins a tie). */
static int index_numeric_levels(input *in)
{
    size_t k = 0;

    if (!in->levels.n)
        return MG_OK;
    if (!(in->numeric = malloc(in->levels.n * sizeof *in->numeric)))
        return mg_error_set(MG_ENOMEM, "out of memory (pipeline)");
    for (size_t l = 0; l < in->levels.n; l++) {
        double v;
        int decimals;
        if (mg_csv_parse_number(strtab_str(&in->levels, l), strtab_len(&in->levels, l), &v,
                                &decimals)) {
            in->numeric[k].value = v;
            in->numeric[k++].level = l;
        }
    }
    in->nnumeric = k;
    qsort(in->numeric, k, sizeof *in->numeric, cmp_numeric_level);
    return MG_OK;
}

/* Offsets, spans, feature names: everything that follows from the inputs. */
static int layout(mg_pipeline *p)
{
    size_t f = 0;
    int rc;

    p->width = 0;
    for (size_t i = 0; i < p->n; i++) {
        input *in = &p->in[i];
        in->offset = p->width;
        in->span = in->type == MG_COL_NUMERIC ? 1 : in->levels.n;
        p->width += in->span;
        if (in->type == MG_COL_CATEGORICAL && (rc = index_numeric_levels(in)) < 0)
            return rc;
    }
    if (!(p->feature = calloc(p->width ? p->width : 1, sizeof *p->feature)))
        return mg_error_set(MG_ENOMEM, "out of memory (pipeline)");
    for (size_t i = 0; i < p->n; i++) {
        const input *in = &p->in[i];
        if (in->type == MG_COL_NUMERIC) {
            if (!(p->feature[f++] = strdup(in->name)))
                return mg_error_set(MG_ENOMEM, "out of memory (pipeline)");
            continue;
        }
        for (size_t l = 0; l < in->levels.n; l++) {
            size_t len = strlen(in->name) + strtab_len(&in->levels, l) + 2;
            if (!(p->feature[f] = malloc(len)))
                return mg_error_set(MG_ENOMEM, "out of memory (pipeline)");
            snprintf(p->feature[f++], len, "%s=%s", in->name, strtab_str(&in->levels, l));
        }
    }
    return MG_OK;
}

/* Mean and sum of squared deviations of the present values times `factor`. With factor 1
 * these are scikit-learn's sums; when they overflow (values near DBL_MAX), the caller runs
 * them again with a power-of-two factor, which scales exactly, and scales the result back. */
static void moments(double *mean, double *ss, const double *x, const size_t *rows, size_t n,
                    double factor)
{
    double sum = 0, m;
    size_t present = 0;

    *ss = 0;
    for (size_t k = 0; k < n; k++) {
        double v = x[rows ? rows[k] : k];
        if (!isnan(v)) {
            sum += v * factor;
            present++;
        }
    }
    m = present ? sum / (double)present : 0.0;
    for (size_t k = 0; k < n; k++) {
        double v = x[rows ? rows[k] : k];
        if (!isnan(v))
            *ss += (v * factor - m) * (v * factor - m);
    }
    *mean = m;
}

/* Mean of the present values; std after mean imputation ((x - mean) / std, std 0 -> 1).
 * Errors: MG_EINVAL (values spanning more than the largest double, naming the column). */
static int fit_numeric(input *in, const char *name, const double *x, const size_t *rows, size_t n)
{
    double mean, ss, lo = INFINITY, hi = -INFINITY;
    int e;

    for (size_t k = 0; k < n; k++) {
        double v = x[rows ? rows[k] : k];
        if (!isnan(v)) {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }
    /* standardising computes x - mean, which overflows when the values span more than the
     * largest double; no model can use such a column as it stands */
    if (lo <= hi && !isfinite(hi - lo))
        return mg_error_set(MG_EINVAL, "pipeline: column '%s' spans %g to %g, too wide to"
                                       " standardise (rescale it)", name, lo, hi);
    moments(&mean, &ss, x, rows, n, 1.0);
    if (!isfinite(mean) || !isfinite(ss)) {
        frexp(fmax(fabs(lo), fabs(hi)), &e);
        moments(&mean, &ss, x, rows, n, ldexp(1.0, -e));
        mean = ldexp(mean, e);
        in->std = ldexp(sqrt(ss / (double)n), e);
    } else {
        in->std = sqrt(ss / (double)n);
    }
    /* imputed rows sit at the mean: they count in n but add nothing to ss,
     * as in scikit-learn's SimpleImputer followed by StandardScaler */
    in->mean = mean;
    if (!(in->std > 0) || !isfinite(in->std))
        in->std = 1.0;
    return MG_OK;
}

/* Levels met in the fitted rows, in first-appearance order; the most frequent imputes. */
static int fit_categorical(input *in, const mg_dataset *ds, size_t col, const size_t *rows,
                           size_t n)
{
    const int32_t *codes = mg_dataset_col_codes(ds, col);
    size_t nds = mg_dataset_col_levels(ds, col), best = 0;
    int32_t *map = malloc((nds ? nds : 1) * sizeof *map);
    size_t *count = calloc(nds ? nds : 1, sizeof *count);
    int rc = MG_OK;

    if (!map || !count) {
        rc = mg_error_set(MG_ENOMEM, "out of memory (pipeline)");
        goto done;
    }
    for (size_t l = 0; l < nds; l++)
        map[l] = -1;
    for (size_t k = 0; k < n; k++) {
        int32_t c = codes[rows ? rows[k] : k];
        if (c < 0)
            continue;
        if (map[c] < 0) {
            const char *s = mg_dataset_col_level(ds, col, (size_t)c);
            if ((rc = strtab_intern(&in->levels, &map[c], s, strlen(s))) < 0)
                goto done;
        }
        count[map[c]]++;
    }
    for (size_t l = 1; l < in->levels.n; l++)
        if (count[l] > count[best])
            best = l;
    in->impute = in->levels.n ? (int32_t)best : -1;
done:
    free(map);
    free(count);
    return rc;
}

int mg_pipeline_fit(mg_pipeline **out, const mg_dataset *ds, const size_t *rows, size_t nrows,
                    const char *const *columns, size_t ncolumns)
{
    mg_pipeline *p = NULL;
    int rc;

    *out = NULL;
    if (!rows)
        nrows = mg_dataset_rows(ds);
    if (ncolumns == 0)
        return mg_error_set(MG_EINVAL, "pipeline: no input columns");
    if (nrows == 0)
        return mg_error_set(MG_EINVAL, "pipeline: no rows to fit on in %s", mg_dataset_name(ds));
    for (size_t i = 0; i < ncolumns; i++)
        if (mg_dataset_col_find(ds, columns[i]) < 0)
            return mg_error_set(MG_ENOTFOUND, "column '%s' not in %s", columns[i],
                                mg_dataset_name(ds));
    for (size_t k = 0; rows && k < nrows; k++)
        if (rows[k] >= mg_dataset_rows(ds))
            return mg_error_set(MG_EINVAL, "pipeline: row %zu out of range in %s", rows[k],
                                mg_dataset_name(ds));
    if ((rc = pipeline_new(&p, columns, ncolumns)) < 0)
        return rc;
    for (size_t i = 0; i < ncolumns; i++) {
        size_t col = (size_t)mg_dataset_col_find(ds, columns[i]);
        input *in = &p->in[i];
        in->type = mg_dataset_col_type(ds, col);
        if (in->type == MG_COL_NUMERIC) {
            if ((rc = fit_numeric(in, columns[i], mg_dataset_col_numeric(ds, col), rows, nrows)) < 0)
                goto done;
        } else if ((rc = fit_categorical(in, ds, col, rows, nrows)) < 0)
            goto done;
    }
    if ((rc = layout(p)) < 0)
        goto done;
    *out = p;
    p = NULL;
done:
    mg_pipeline_free(p);
    return rc;
}

int mg_pipeline_identity(mg_pipeline **out, const char *const *names, size_t n)
{
    mg_pipeline *p = NULL;
    int rc;

    *out = NULL;
    if (n == 0)
        return mg_error_set(MG_EINVAL, "pipeline: no input columns");
    if ((rc = pipeline_new(&p, names, n)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        p->in[i].type = MG_COL_NUMERIC;
        p->in[i].mean = 0.0;
        p->in[i].std = 1.0;
    }
    if ((rc = layout(p)) < 0) {
        mg_pipeline_free(p);
        return rc;
    }
    *out = p;
    return MG_OK;
}

size_t mg_pipeline_inputs(const mg_pipeline *p)
{
    return p->n;
}

size_t mg_pipeline_width(const mg_pipeline *p)
{
    return p->width;
}

const char *mg_pipeline_input_name(const mg_pipeline *p, size_t i)
{
    return i < p->n ? p->in[i].name : NULL;
}

mg_coltype mg_pipeline_input_type(const mg_pipeline *p, size_t i)
{
    return i < p->n ? p->in[i].type : MG_COL_NUMERIC;
}

size_t mg_pipeline_input_levels(const mg_pipeline *p, size_t i)
{
    return i < p->n && p->in[i].type == MG_COL_CATEGORICAL ? p->in[i].levels.n : 0;
}

const char *mg_pipeline_input_level(const mg_pipeline *p, size_t i, size_t level)
{
    if (i >= p->n || p->in[i].type != MG_COL_CATEGORICAL || level >= p->in[i].levels.n)
        return NULL;
    return strtab_str(&p->in[i].levels, level);
}

size_t mg_pipeline_input_offset(const mg_pipeline *p, size_t i)
{
    return i < p->n ? p->in[i].offset : p->width;
}

size_t mg_pipeline_input_span(const mg_pipeline *p, size_t i)
{
    return i < p->n ? p->in[i].span : 0;
}

const char *mg_pipeline_feature_name(const mg_pipeline *p, size_t f)
{
    return f < p->width ? p->feature[f] : NULL;
}

/* Level index of a value spelled as a number, or -1. */
static double numeric_level_find(const input *in, double v)
{
    size_t lo = 0, hi = in->nnumeric;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (in->numeric[mid].value < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < in->nnumeric && in->numeric[lo].value == v ? (double)in->numeric[lo].level : -1.0;
}

/* Raw values of categorical input `in` from column `col` of ds, by level string. */
static int raw_categorical(double *raw, size_t stride, size_t *unknown, const input *in,
                           const mg_dataset *ds, size_t col, const size_t *rows, size_t n)
{
    size_t nds = mg_dataset_col_levels(ds, col);
    const int32_t *codes = mg_dataset_col_codes(ds, col);
    const double *x = mg_dataset_col_numeric(ds, col);
    double *map;

    if (x) { /* the column read as numbers in this file: match levels by value */
        for (size_t k = 0; k < n; k++) {
            double v = x[rows ? rows[k] : k];
            raw[k * stride] = isnan(v) ? NAN : numeric_level_find(in, v);
            *unknown += raw[k * stride] < 0;
        }
        return MG_OK;
    }
    if (!(map = malloc((nds ? nds : 1) * sizeof *map)))
        return mg_error_set(MG_ENOMEM, "out of memory (raw rows)");
    for (size_t l = 0; l < nds; l++) {
        const char *s = mg_dataset_col_level(ds, col, l);
        map[l] = strtab_find(&in->levels, s, strlen(s));
    }
    for (size_t k = 0; k < n; k++) {
        int32_t c = codes[rows ? rows[k] : k];
        raw[k * stride] = c < 0 ? NAN : map[c];
        *unknown += c >= 0 && map[c] < 0;
    }
    free(map);
    return MG_OK;
}

int mg_pipeline_raw_from_dataset(double *raw, size_t *unknown, const mg_pipeline *p,
                                 const mg_dataset *ds, const size_t *rows, size_t n)
{
    size_t unk = 0, nrows = mg_dataset_rows(ds);
    int rc;

    if (unknown)
        *unknown = 0;
    if (!rows)
        n = nrows;
    for (size_t i = 0; i < p->n; i++) {
        long col = mg_dataset_col_find(ds, p->in[i].name);
        if (col < 0)
            return mg_error_set(MG_ENOTFOUND, "column '%s' not in %s", p->in[i].name,
                                mg_dataset_name(ds));
        if (p->in[i].type == MG_COL_NUMERIC && !mg_dataset_col_numeric(ds, (size_t)col))
            return mg_error_set(MG_EINVAL,
                                "column '%s' holds text in %s but the model expects numbers",
                                p->in[i].name, mg_dataset_name(ds));
    }
    for (size_t k = 0; rows && k < n; k++)
        if (rows[k] >= nrows)
            return mg_error_set(MG_EINVAL, "%s: row %zu out of range (%zu rows)",
                                mg_dataset_name(ds), rows[k], nrows);
    for (size_t i = 0; i < p->n; i++) {
        size_t col = (size_t)mg_dataset_col_find(ds, p->in[i].name);
        if (p->in[i].type == MG_COL_NUMERIC) {
            const double *x = mg_dataset_col_numeric(ds, col);
            for (size_t k = 0; k < n; k++)
                raw[k * p->n + i] = x[rows ? rows[k] : k];
        } else if ((rc = raw_categorical(raw + i, p->n, &unk, &p->in[i], ds, col, rows, n)) < 0) {
            return rc;
        }
    }
    if (unknown)
        *unknown = unk;
    return MG_OK;
}

int mg_pipeline_raw_parse(double *value, const mg_pipeline *p, size_t i, const char *text)
{
    const input *in;
    size_t len;
    double v;
    int decimals;

    *value = NAN;
    if (i >= p->n)
        return mg_error_set(MG_EINVAL, "pipeline: input %zu out of range (%zu inputs)", i, p->n);
    in = &p->in[i];
    len = text ? strlen(text) : 0;
    if (!text || mg_dataset_missing_token(text, len))
        return MG_OK;
    if (in->type == MG_COL_NUMERIC) {
        if (!mg_csv_parse_number(text, len, &v, &decimals))
            return mg_error_set(MG_EINVAL, "column '%s': '%.40s' is not a number", in->name, text);
        *value = v;
        return MG_OK;
    }
    *value = strtab_find(&in->levels, text, len);
    if (*value < 0 && mg_csv_parse_number(text, len, &v, &decimals))
        *value = numeric_level_find(in, v);
    return MG_OK;
}

size_t mg_pipeline_transform(const mg_pipeline *p, const double *raw, size_t n, double *X)
{
    size_t unknown = 0, ni = p->n, w = p->width;

    for (size_t r = 0; r < n; r++) {
        const double *x = raw + r * ni;
        double *o = X + r * w;
        for (size_t i = 0; i < ni; i++) {
            const input *in = &p->in[i];
            double v = x[i];
            if (in->type == MG_COL_NUMERIC) {
                o[in->offset] = ((isnan(v) ? in->mean : v) - in->mean) / in->std;
                continue;
            }
            memset(o + in->offset, 0, in->span * sizeof *o);
            if (isnan(v)) {
                if (in->impute >= 0)
                    o[in->offset + (size_t)in->impute] = 1.0;
            } else if (v >= 0 && v < (double)in->span && v == floor(v)) {
                o[in->offset + (size_t)v] = 1.0;
            } else {
                unknown++;
            }
        }
    }
    return unknown;
}

/* ---- JSON: the "pipeline" object of the .mgm format (docs/data.md) ---- */

static int set_new(json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value) < 0)
        return mg_error_set(MG_ENOMEM, "out of memory (pipeline JSON)");
    return MG_OK;
}

static json_t *input_to_json(const input *in)
{
    json_t *o = json_object(), *levels = NULL;
    int rc;

    if (!o)
        return NULL;
    rc = set_new(o, "name", json_string(in->name));
    if (rc == MG_OK && in->type == MG_COL_NUMERIC) {
        rc = set_new(o, "type", json_string("numeric"));
        if (rc == MG_OK)
            rc = set_new(o, "mean", json_real(in->mean));
        if (rc == MG_OK)
            rc = set_new(o, "std", json_real(in->std));
    } else if (rc == MG_OK) {
        rc = set_new(o, "type", json_string("categorical"));
        if (rc == MG_OK)
            rc = set_new(o, "levels", levels = json_array());
        for (size_t l = 0; rc == MG_OK && l < in->levels.n; l++)
            if (json_array_append_new(levels, json_stringn(strtab_str(&in->levels, l),
                                                           strtab_len(&in->levels, l))) < 0)
                rc = MG_ENOMEM;
        if (rc == MG_OK)
            rc = set_new(o, "impute",
                         in->impute >= 0 ? json_string(strtab_str(&in->levels, in->impute))
                                         : json_null());
    }
    if (rc < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *mg_pipeline_to_json(const mg_pipeline *p)
{
    json_t *o = json_object(), *inputs = json_array();

    if (!o || !inputs || json_object_set(o, "inputs", inputs) < 0)
        goto oom;
    for (size_t i = 0; i < p->n; i++)
        if (json_array_append_new(inputs, input_to_json(&p->in[i])) < 0)
            goto oom;
    if (set_new(o, "width", json_integer((json_int_t)p->width)) < 0)
        goto oom;
    json_decref(inputs);
    return o;
oom:
    json_decref(inputs);
    json_decref(o);
    mg_error_set(MG_ENOMEM, "out of memory (pipeline JSON)");
    return NULL;
}

/* A JSON string without embedded NULs, or NULL. */
static const char *plain_string(const json_t *j)
{
    const char *s = json_string_value(j);
    return s && strlen(s) == json_string_length(j) ? s : NULL;
}

static int bad(const char *where, size_t i, const char *field, const char *what)
{
    if (i == (size_t)-1)
        return mg_error_set(MG_EPARSE, "%s: field 'pipeline.%s': %s", where, field, what);
    return mg_error_set(MG_EPARSE, "%s: field 'pipeline.inputs[%zu].%s': %s", where, i, field,
                        what);
}

static int input_from_json(input *in, const json_t *j, const char *where, size_t i)
{
    const char *type = plain_string(json_object_get(j, "type"));
    const json_t *levels, *impute;
    const char *s;
    int32_t code;
    size_t l;
    json_t *v;
    int rc;

    if (!type || (strcmp(type, "numeric") != 0 && strcmp(type, "categorical") != 0))
        return bad(where, i, "type", "expected \"numeric\" or \"categorical\"");
    if (strcmp(type, "numeric") == 0) {
        const json_t *mean = json_object_get(j, "mean"), *std = json_object_get(j, "std");
        in->type = MG_COL_NUMERIC;
        if (!json_is_number(mean) || !isfinite(json_number_value(mean)))
            return bad(where, i, "mean", "expected a finite number");
        if (!json_is_number(std) || !isfinite(json_number_value(std)) ||
            !(json_number_value(std) > 0))
            return bad(where, i, "std", "expected a positive finite number");
        in->mean = json_number_value(mean);
        in->std = json_number_value(std);
        return MG_OK;
    }
    in->type = MG_COL_CATEGORICAL;
    levels = json_object_get(j, "levels");
    if (!json_is_array(levels))
        return bad(where, i, "levels", "expected an array of strings");
    json_array_foreach(levels, l, v)
    {
        char field[64];
        snprintf(field, sizeof field, "levels[%zu]", l);
        if (!(s = plain_string(v)))
            return bad(where, i, field, "expected a string");
        if ((rc = strtab_intern(&in->levels, &code, s, strlen(s))) < 0)
            return rc;
        if ((size_t)code != l)
            return bad(where, i, field, "duplicate level");
    }
    impute = json_object_get(j, "impute");
    if (in->levels.n == 0 && json_is_null(impute))
        return MG_OK;
    if (!(s = plain_string(impute)) || (in->impute = strtab_find(&in->levels, s, strlen(s))) < 0)
        return bad(where, i, "impute", "expected one of the levels");
    return MG_OK;
}

int mg_pipeline_from_json(mg_pipeline **out, const json_t *j, const char *where)
{
    const json_t *inputs = json_object_get(j, "inputs"), *width;
    const char **names = NULL;
    mg_pipeline *p = NULL;
    size_t n, i;
    json_t *v;
    int rc = MG_OK;

    *out = NULL;
    if (!json_is_object(j))
        return mg_error_set(MG_EPARSE, "%s: field 'pipeline': expected an object", where);
    if (!json_is_array(inputs) || (n = json_array_size(inputs)) == 0)
        return bad(where, (size_t)-1, "inputs", "expected a non-empty array");
    if (!(names = calloc(n, sizeof *names)))
        return mg_error_set(MG_ENOMEM, "out of memory (pipeline)");
    json_array_foreach(inputs, i, v)
    {
        if (!json_is_object(v)) {
            char field[64];
            snprintf(field, sizeof field, "inputs[%zu]", i);
            rc = bad(where, (size_t)-1, field, "expected an object");
            goto done;
        }
        if (!(names[i] = plain_string(json_object_get(v, "name"))) || !*names[i]) {
            rc = bad(where, i, "name", "expected a non-empty string");
            goto done;
        }
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0) {
                rc = bad(where, i, "name", "duplicate input name");
                goto done;
            }
    }
    if ((rc = pipeline_new(&p, names, n)) < 0)
        goto done;
    json_array_foreach(inputs, i, v)
    {
        if ((rc = input_from_json(&p->in[i], v, where, i)) < 0)
            goto done;
    }
    if ((rc = layout(p)) < 0)
        goto done;
    width = json_object_get(j, "width");
    if (width && (!json_is_integer(width) || json_integer_value(width) != (json_int_t)p->width)) {
        char what[96];
        snprintf(what, sizeof what, "expected the integer %zu (the encoded features)", p->width);
        rc = bad(where, (size_t)-1, "width", what);
        goto done;
    }
    *out = p;
    p = NULL;
done:
    free(names);
    mg_pipeline_free(p);
    return rc;
}
