/*
 * fliptest.c - FT as smclarify approximates the FlipTest (Black, Yeom and
 * Fredrikson, FAT* 2020): a k-nearest-neighbour classifier fitted on facet a
 * with the model's predictions as labels stands in for "the same person in
 * facet a"; FT = (n(model +, neighbours -) - n(model -, neighbours +)) / nd,
 * the sign smclarify's FlipSet_pos / FlipSet_neg give it.
 */
#include "fliptest.h"
#include "mg_dataset.h"
#include "mg_error.h"
#include "mg_model.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 256    /* facet d rows per distance block */
#define MAX_K 5

/* The model's features without the facet column's: encoded column indices. */
typedef struct features {
    size_t *cols;
    size_t n;
} features;

static int features_without(features *ft, const mg_pipeline *p, const char *facet_column)
{
    size_t width = mg_pipeline_width(p);

    ft->n = 0;
    if (!(ft->cols = malloc((width ? width : 1) * sizeof *ft->cols)))
        return mg_error_set(MG_ENOMEM, "out of memory (flip test)");
    for (size_t i = 0; i < mg_pipeline_inputs(p); i++) {
        if (strcmp(mg_pipeline_input_name(p, i), facet_column) == 0)
            continue;
        for (size_t k = 0; k < mg_pipeline_input_span(p, i); k++)
            ft->cols[ft->n++] = mg_pipeline_input_offset(p, i) + k;
    }
    if (!ft->n)
        return mg_error_set(MG_EINVAL, "FT: the model has no input besides '%s' to find "
                                       "neighbours with", facet_column);
    return MG_OK;
}

/* 1 when the model's output for one row is a positive outcome under the label spec. */
static int positive_prediction(const mg_model *m, const predicate *label, const double *out,
                               double threshold)
{
    size_t k = 0, outputs = mg_model_outputs(m);
    char text[32];

    if (mg_model_classes(m) == 0) {
        mg_csv_field f = {text, 0};
        f.len = (size_t)snprintf(text, sizeof text, "%.17g", out[0]);
        return predicate_match(label, &f, NULL) == PRED_YES;
    }
    if (outputs == 1)
        k = out[0] > threshold;
    else
        for (size_t j = 1; j < outputs; j++)
            if (out[j] > out[k])
                k = j;
    const char *name = mg_model_class_name(m, k);
    mg_csv_field f = {name, strlen(name)};
    return predicate_match(label, &f, NULL) == PRED_YES;
}

/* The model's positive predictions and encoded rows of the whole data set. */
typedef struct model_view {
    unsigned char *pos; /* n */
    double *X;          /* n x width */
    size_t n, width;
} model_view;

static int model_view_make(model_view *v, const mg_model *m, const mg_dataset *ds,
                           const predicate *label, double threshold)
{
    const mg_pipeline *p = mg_model_pipeline(m);
    size_t n = mg_dataset_rows(ds), inputs = mg_pipeline_inputs(p), outputs = mg_model_outputs(m);
    double *raw = malloc((n ? n : 1) * inputs * sizeof *raw);
    double *out = malloc((n ? n : 1) * outputs * sizeof *out);
    int rc;

    v->n = n;
    v->width = mg_pipeline_width(p);
    v->pos = malloc(n ? n : 1);
    v->X = malloc((n ? n : 1) * v->width * sizeof *v->X);
    if (!raw || !out || !v->pos || !v->X) {
        rc = mg_error_set(MG_ENOMEM, "out of memory (flip test on %zu rows)", n);
        goto done;
    }
    if ((rc = mg_pipeline_raw_from_dataset(raw, NULL, p, ds, NULL, n)) < 0 ||
        (rc = mg_model_predict_raw(m, raw, n, out)) < 0)
        goto done;
    for (size_t i = 0; i < n; i++)
        v->pos[i] = (unsigned char)positive_prediction(m, label, out + i * outputs, threshold);
    mg_pipeline_transform(p, raw, n, v->X);
done:
    free(raw);
    free(out);
    return rc;
}

/* Rows `idx` of X restricted to the feature columns, packed, and their squared norms. */
static void gather(double *dst, double *norms, const model_view *v, const features *ft,
                   const size_t *idx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const double *x = v->X + idx[i] * v->width;
        double s = 0;
        for (size_t j = 0; j < ft->n; j++) {
            dst[i * ft->n + j] = x[ft->cols[j]];
            s += x[ft->cols[j]] * x[ft->cols[j]];
        }
        norms[i] = s;
    }
}

/* Majority of the k nearest (ties in distance go to the earlier row, as a stable sort would). */
static int vote(const double *d2, size_t na, size_t k, const unsigned char *apos, const size_t *aidx)
{
    double best[MAX_K];
    size_t who[MAX_K], have = 0, yes = 0;

    for (size_t j = 0; j < na; j++) {
        double x = d2[j];
        if (have == k && !(x < best[k - 1]))
            continue;
        size_t at = have < k ? have++ : k - 1;
        while (at > 0 && x < best[at - 1]) {
            best[at] = best[at - 1];
            who[at] = who[at - 1];
            at--;
        }
        best[at] = x;
        who[at] = j;
    }
    for (size_t i = 0; i < have; i++)
        yes += apos[aidx[who[i]]];
    return 2 * yes > have;
}

static int flip_one_facet(table *t, const model_view *v, const features *ft, const char *rows)
{
    size_t na = 0, nd = 0, w = ft->n, k;
    size_t *aidx = malloc(v->n * sizeof *aidx), *didx = malloc(v->n * sizeof *didx);
    double *A = NULL, *an = NULL, *D = NULL, *dn = NULL, *G = NULL;
    int rc = MG_OK;

    if (!aidx || !didx) {
        rc = mg_error_set(MG_ENOMEM, "out of memory (flip test)");
        goto done;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (rows[i] == ROW_A)
            aidx[na++] = i;
        else if (rows[i] == ROW_D)
            didx[nd++] = i;
    }
    t->ft_rows = t->ft_pos = t->ft_neg = 0;
    if (!na || !nd)
        goto done; /* FT reports the empty facet */
    k = na > 9 ? MAX_K : 1;
    A = malloc(na * w * sizeof *A);
    an = malloc(na * sizeof *an);
    D = malloc(BLOCK * w * sizeof *D);
    dn = malloc(BLOCK * sizeof *dn);
    G = malloc(BLOCK * na * sizeof *G);
    if (!A || !an || !D || !dn || !G) {
        rc = mg_error_set(MG_ENOMEM, "out of memory (flip test: %zu x %zu distances)", nd, na);
        goto done;
    }
    gather(A, an, v, ft, aidx, na);
    for (size_t b0 = 0; b0 < nd; b0 += BLOCK) {
        size_t nb = nd - b0 < BLOCK ? nd - b0 : BLOCK;
        gather(D, dn, v, ft, didx + b0, nb);
        /* |d - a|^2 = |d|^2 + |a|^2 - 2 d.a, the products by one GEMM per block */
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)na, (int)w, -2.0, D,
                    (int)w, A, (int)w, 0.0, G, (int)na);
        for (size_t i = 0; i < nb; i++) {
            double *row = G + i * na;
            for (size_t j = 0; j < na; j++)
                row[j] += dn[i] + an[j];
            int model = v->pos[didx[b0 + i]], neighbours = vote(row, na, k, v->pos, aidx);
            t->ft_pos += model > neighbours;
            t->ft_neg += model < neighbours;
        }
    }
    t->ft_rows = nd;
done:
    free(aidx);
    free(didx);
    free(A);
    free(an);
    free(D);
    free(dn);
    free(G);
    return rc;
}

static int open_data(mg_dataset **ds, const mg_bias_options *o)
{
    mg_dataset_options dopts = MG_DATASET_OPTIONS_INIT;

    dopts.csv = o->csv;
    dopts.csv.no_hash = 1;
    if (o->data.text)
        return mg_dataset_open_buffer(ds, o->data.path ? o->data.path : "data", o->data.text,
                                      o->data.len, &dopts);
    return mg_dataset_open(ds, o->data.path, &dopts);
}

int fliptest_run(scan *s, const mg_bias_options *o)
{
    mg_model *m = NULL;
    mg_dataset *ds = NULL;
    model_view v = {NULL, NULL, 0, 0};
    features ft = {NULL, 0};
    int rc;

    if ((rc = mg_model_load(&m, o->model)) < 0 || (rc = open_data(&ds, o)) < 0)
        goto done;
    if (mg_dataset_rows(ds) != s->rows) {
        rc = mg_error_set(MG_ERROR, "FT: %zu rows in the data set but %llu in the scan",
                          mg_dataset_rows(ds), (unsigned long long)s->rows);
        goto done;
    }
    if ((rc = model_view_make(&v, m, ds, &s->label, o->probability_threshold)) < 0)
        goto done;
    for (size_t f = 0; f < s->nfacets; f++) {
        free(ft.cols);
        if ((rc = features_without(&ft, mg_model_pipeline(m), s->facets[f].pred.column)) < 0 ||
            (rc = flip_one_facet(&s->facets[f].t, &v, &ft, s->facets[f].rows.ptr)) < 0)
            goto done;
    }
done:
    free(ft.cols);
    free(v.pos);
    free(v.X);
    mg_dataset_close(ds);
    mg_model_free(m);
    return rc;
}
