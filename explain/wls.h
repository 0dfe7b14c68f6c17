/* wls.h - weighted least squares, ridge and LARS selection on LAPACKE (internal). */
#ifndef EXPLAIN_WLS_H
#define EXPLAIN_WLS_H

#include <stddef.h>

/*
 * beta (p) minimising Σ_k w_k (y_k - X_k beta)², X column-major n x p.
 * Rank-deficient systems get the minimum-norm solution (LAPACK dgelsd).
 * Errors: MG_ENOMEM, MG_ERROR (LAPACK failed to converge).
 */
int wls_solve(double *beta, const double *X, const double *y, const double *w, size_t n, size_t p);

/*
 * scikit-learn's Ridge(alpha, fit_intercept=True) with sample weights: X and y
 * centred on their weighted means, rows scaled by sqrt(w), then
 * (XᵀWX + alpha I) beta = XᵀWy, intercept = ȳ - x̄·beta. X column-major n x p.
 * p may be 0 (intercept only). Errors: as wls_solve.
 */
int ridge_fit(double *beta, double *intercept, const double *X, const double *y, const double *w,
              size_t n, size_t p, double alpha);

/* Weighted R² of predictions yhat (scikit-learn's r2_score with sample_weight). */
double weighted_r2(const double *y, const double *yhat, const double *w, size_t n);

/*
 * The first r columns to enter the least-angle regression path (Efron et al.
 * 2004, the "lar" method, no intercept) of y on X (column-major n x p), in
 * order of entry, written to active. Returns how many (fewer than r when the
 * path ends early). Errors: MG_ENOMEM.
 */
int lars_select(size_t *active, size_t r, const double *X, const double *y, size_t n, size_t p);

#endif
