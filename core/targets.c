/* targets.c - label columns: the classes a label has, and the targets a model trains on. */
#include "network.h"
#include "mg_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The shortest %g spelling of v that reads back as v. */
static void number_name(char *buf, size_t size, double v)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void mg_label_classes_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* Distinct values as names, sorted. */
static int distinct(char ***out, size_t *n, const mg_dataset *ds, size_t col, const size_t *rows,
                    size_t nrows)
{
    const double *num = mg_dataset_col_numeric(ds, col);
    const int32_t *codes = mg_dataset_col_codes(ds, col);
    size_t levels = mg_dataset_col_levels(ds, col), k = 0, total = rows ? nrows : mg_dataset_rows(ds);
    unsigned char *seen = NULL;
    double *vals = NULL;
    char **names = NULL, buf[40];
    int rc = MG_ENOMEM;

    *out = NULL;
    *n = 0;
    if (num && !(vals = malloc((total + 1) * sizeof *vals)))
        goto done;
    if (!num && !(seen = calloc(levels + 1, 1)))
        goto done;
    for (size_t i = 0; i < total; i++) {
        size_t r = rows ? rows[i] : i;
        if (num && !isnan(num[r]))
            vals[k++] = num[r];
        else if (!num && codes[r] >= 0)
            seen[codes[r]] = 1;
    }
    if (num) {
        size_t u = 0;
        qsort(vals, k, sizeof *vals, by_double);
        for (size_t i = 0; i < k; i++)
            if (u == 0 || vals[i] != vals[u - 1])
                vals[u++] = vals[i];
        k = u;
    } else {
        k = 0;
        for (size_t l = 0; l < levels; l++)
            k += seen[l];
    }
    if (!(names = calloc(k + 1, sizeof *names)))
        goto done;
    for (size_t i = 0, l = 0; i < k; i++) {
        if (num) {
            number_name(buf, sizeof buf, vals[i]);
            names[i] = strdup(buf);
        } else {
            while (!seen[l])
                l++;
            names[i] = strdup(mg_dataset_col_level(ds, col, l++));
        }
        if (!names[i]) {
            mg_label_classes_free(names, k);
            names = NULL;
            goto done;
        }
    }
    if (!num)
        qsort(names, k, sizeof *names, by_string);
    *out = names;
    *n = k;
    rc = MG_OK;
done:
    free(vals);
    free(seen);
    return rc == MG_OK ? rc : mg_error_set(rc, "label: no memory for the classes");
}

int mg_label_classes(char ***names, size_t *n, const mg_dataset *ds, size_t col,
                     const size_t *rows, size_t nrows, const char *positive)
{
    const char *label = mg_dataset_col_name(ds, col);
    char **v;
    size_t k, pos;
    int rc;

    *names = NULL;
    *n = 0;
    if ((rc = distinct(&v, &k, ds, col, rows, nrows)) < 0)
        return rc;
    if (k < 2) {
        rc = k ? mg_error_set(MG_EINVAL, "label '%s' has only one value '%s' in %s; a classifier"
                                         " needs two classes", label, v[0], mg_dataset_name(ds))
               : mg_error_set(MG_EINVAL, "label '%s' has no values in %s", label,
                              mg_dataset_name(ds));
        goto fail;
    }
    if (positive) {
        for (pos = 0; pos < k && strcmp(v[pos], positive) != 0; pos++)
            ;
        if (pos == k) {
            rc = mg_error_set(MG_EINVAL, "--positive: label '%s' has no value '%s' in %s (values:"
                                         " '%s', '%s'%s)", label, positive, mg_dataset_name(ds),
                              v[0], v[1], k > 2 ? ", ..." : "");
            goto fail;
        }
        if (k != 2) {
            rc = mg_error_set(MG_EINVAL, "--positive: label '%s' has %zu values in %s; a binary"
                                         " model needs exactly 2", label, k, mg_dataset_name(ds));
            goto fail;
        }
        if (pos == 0) {
            char *t = v[0];
            v[0] = v[1];
            v[1] = t;
        }
    }
    *names = v;
    *n = k;
    return MG_OK;
fail:
    mg_label_classes_free(v, k);
    return rc;
}

/* Index of class `name` in the model, or -1. */
static long class_index(const mg_model *m, const char *name)
{
    for (size_t k = 0; k < m->classes; k++)
        if (strcmp(m->class_names[k], name) == 0)
            return (long)k;
    return -1;
}

int mg_model_targets(double *y, const mg_model *m, const mg_dataset *ds, size_t col,
                     const size_t *rows, size_t n)
{
    const double *num = mg_dataset_col_numeric(ds, col);
    const int32_t *codes = mg_dataset_col_codes(ds, col);
    size_t levels = mg_dataset_col_levels(ds, col);
    long *map = NULL;
    char buf[40];

    if (!rows)
        n = mg_dataset_rows(ds);
    if (m->classes == 0) {
        if (!num)
            return mg_error_set(MG_EINVAL, "label '%s' holds text in %s; a regression model needs"
                                           " numbers", mg_dataset_col_name(ds, col),
                                mg_dataset_name(ds));
        for (size_t i = 0; i < n; i++)
            y[i] = num[rows ? rows[i] : i];
        return MG_OK;
    }
    if (!num && !(map = malloc((levels + 1) * sizeof *map)))
        return mg_error_set(MG_ENOMEM, "label: no memory");
    for (size_t l = 0; !num && l < levels; l++)
        map[l] = class_index(m, mg_dataset_col_level(ds, col, l));
    for (size_t i = 0; i < n; i++) {
        size_t r = rows ? rows[i] : i;
        long k;
        if (num ? isnan(num[r]) : codes[r] < 0) {
            y[i] = NAN;
            continue;
        }
        if (num) {
            number_name(buf, sizeof buf, num[r]);
            k = class_index(m, buf);
        } else {
            k = map[codes[r]];
        }
        if (k < 0) {
            int rc = mg_error_set(MG_EINVAL, "%s: row %zu: label '%s' is not a class of the model"
                                             " (classes: '%s', '%s'%s)", mg_dataset_name(ds),
                                  r + 1, num ? buf : mg_dataset_col_level(ds, col, (size_t)codes[r]),
                                  m->class_names[0], m->class_names[1], m->classes > 2 ? ", ..." : "");
            free(map);
            return rc;
        }
        y[i] = (double)k;
    }
    free(map);
    return MG_OK;
}

int mg_model_encode(double **X, double **y, size_t *unknown, const mg_model *m,
                    const mg_dataset *ds, long label_col, const size_t *rows, size_t n)
{
    const mg_pipeline *p = m->pipeline;
    size_t ni, cnt = rows ? n : mg_dataset_rows(ds), unk = 0;
    double *raw = NULL, *x = NULL, *t = NULL;
    int rc;

    *X = NULL;
    if (y)
        *y = NULL;
    if (!p)
        return mg_error_set(MG_EINVAL, "model: no pipeline to encode %s", mg_dataset_name(ds));
    ni = mg_pipeline_inputs(p);
    raw = malloc((cnt ? cnt : 1) * ni * sizeof *raw);
    x = malloc((cnt ? cnt : 1) * m->inputs * sizeof *x);
    t = malloc((cnt ? cnt : 1) * sizeof *t);
    if (!raw || !x || !t) {
        rc = mg_error_set(MG_ENOMEM, "model: no memory to encode %zu rows", cnt);
        goto done;
    }
    if ((rc = mg_pipeline_raw_from_dataset(raw, NULL, p, ds, rows, cnt)) < 0)
        goto done;
    if (y && label_col >= 0 && (rc = mg_model_targets(t, m, ds, (size_t)label_col, rows, cnt)) < 0)
        goto done;
    unk = mg_pipeline_transform(p, raw, cnt, x);
    if (unknown)
        *unknown = unk;
    *X = x;
    x = NULL;
    if (y && label_col >= 0) {
        *y = t;
        t = NULL;
    }
done:
    free(raw);
    free(x);
    free(t);
    return rc;
}
