/* wls.c - weighted least squares and ridge regression through LAPACKE's dgelsd. */
#include "wls.h"

#include "mg_error.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Solve min ||A b - y|| for A (rows x p, column-major, overwritten) and y (overwritten). */
static int lstsq(double *beta, double *A, double *y, size_t rows, size_t p)
{
    double *sv = malloc((p ? p : 1) * sizeof(double));
    lapack_int rank, info;

    if (!sv)
        return mg_error_set(MG_ENOMEM, "out of memory");
    info = LAPACKE_dgelsd(LAPACK_COL_MAJOR, (lapack_int)rows, (lapack_int)p, 1, A, (lapack_int)rows,
                          y, (lapack_int)(rows > p ? rows : p), sv, -1.0, &rank);
    free(sv);
    if (info != 0)
        return mg_error_set(info < 0 ? MG_ENOMEM : MG_ERROR,
                            "explain: least squares failed (LAPACK dgelsd info %d)", (int)info);
    memcpy(beta, y, p * sizeof(double));
    return MG_OK;
}

int wls_solve(double *beta, const double *X, const double *y, const double *w, size_t n, size_t p)
{
    size_t rows = n > p ? n : p;
    double *A = calloc(rows * p + 1, sizeof(double)), *b = calloc(rows + 1, sizeof(double));
    int rc;

    if (!A || !b) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        double s = sqrt(w[k]);
        b[k] = s * y[k];
        for (size_t c = 0; c < p; c++)
            A[c * rows + k] = s * X[c * n + k];
    }
    rc = lstsq(beta, A, b, rows, p);
done:
    free(A);
    free(b);
    return rc;
}

int ridge_fit(double *beta, double *intercept, const double *X, const double *y, const double *w,
              size_t n, size_t p, double alpha)
{
    size_t rows = n + p;
    double *A = calloc(rows * p + 1, sizeof(double)), *b = calloc(rows + 1, sizeof(double));
    double *xm = calloc(p + 1, sizeof(double)), ym = 0, wsum = 0;
    int rc = MG_OK;

    if (!A || !b || !xm) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        wsum += w[k];
        ym += w[k] * y[k];
        for (size_t c = 0; c < p; c++)
            xm[c] += w[k] * X[c * n + k];
    }
    ym /= wsum;
    for (size_t c = 0; c < p; c++)
        xm[c] /= wsum;
    /* ridge as least squares on [sqrt(W) Xc; sqrt(alpha) I] against [sqrt(W) yc; 0] */
    for (size_t k = 0; k < n; k++) {
        double s = sqrt(w[k]);
        b[k] = s * (y[k] - ym);
        for (size_t c = 0; c < p; c++)
            A[c * rows + k] = s * (X[c * n + k] - xm[c]);
    }
    for (size_t c = 0; c < p; c++)
        A[c * rows + n + c] = sqrt(alpha);
    if (p > 0 && (rc = lstsq(beta, A, b, rows, p)) < 0)
        goto done;
    *intercept = ym;
    for (size_t c = 0; c < p; c++)
        *intercept -= xm[c] * beta[c];
done:
    free(A);
    free(b);
    free(xm);
    return rc;
}

double weighted_r2(const double *y, const double *yhat, const double *w, size_t n)
{
    double wsum = 0, ym = 0, num = 0, den = 0;
    for (size_t k = 0; k < n; k++) {
        wsum += w[k];
        ym += w[k] * y[k];
    }
    ym /= wsum;
    for (size_t k = 0; k < n; k++) {
        num += w[k] * (y[k] - yhat[k]) * (y[k] - yhat[k]);
        den += w[k] * (y[k] - ym) * (y[k] - ym);
    }
    if (den == 0)
        return num == 0 ? 1.0 : 0.0; /* scikit-learn's force_finite */
    return 1.0 - num / den;
}
