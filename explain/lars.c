/* lars.c - the order in which columns enter the least-angle regression path. */
#include "wls.h"

#include "mg_error.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* c = Xᵀ v */
static void correlations(double *c, const double *X, const double *v, size_t n, size_t p)
{
    for (size_t j = 0; j < p; j++) {
        double s = 0;
        for (size_t k = 0; k < n; k++)
            s += X[j * n + k] * v[k];
        c[j] = s;
    }
}

/*
 * Efron, Hastie, Johnstone & Tibshirani (2004), "Least angle regression", §2:
 * move along the equiangular direction of the active set until another
 * column's correlation with the residual ties; that column enters next.
 */
int lars_select(size_t *active, size_t r, const double *X, const double *y, size_t n, size_t p)
{
    double *res = malloc(n * sizeof(double)), *c = malloc(p * sizeof(double));
    double *u = malloc(n * sizeof(double)), *a = malloc(p * sizeof(double));
    double *G = malloc(r * r * sizeof(double) + 1), *g = malloc(r * sizeof(double) + 1);
    double sign[64];
    unsigned char *in = calloc(p, 1);
    size_t na = 0;
    int rc = MG_OK;

    if (!res || !c || !u || !a || !G || !g || !in) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if (r > p)
        r = p;
    memcpy(res, y, n * sizeof(double));
    while (na < r) {
        double C = 0, Aa, gamma = INFINITY;
        size_t best = p;
        correlations(c, X, res, n, p);
        if (na == 0) {
            for (size_t j = 0; j < p; j++)
                if (fabs(c[j]) > C) {
                    C = fabs(c[j]);
                    best = j;
                }
            if (best == p)
                break; /* y is orthogonal to every column */
            active[na++] = best;
            in[best] = 1;
            continue;
        }
        C = fabs(c[active[0]]);
        for (size_t q = 0; q < na; q++)
            sign[q] = c[active[q]] >= 0 ? 1.0 : -1.0;
        /* G = X_Aᵀ X_A with signs; solve G g = 1 */
        for (size_t q = 0; q < na; q++)
            for (size_t t = 0; t < na; t++) {
                double s = 0;
                for (size_t k = 0; k < n; k++)
                    s += X[active[q] * n + k] * X[active[t] * n + k];
                G[t * na + q] = s * sign[q] * sign[t];
            }
        for (size_t q = 0; q < na; q++)
            g[q] = 1.0;
        if (LAPACKE_dposv(LAPACK_COL_MAJOR, 'U', (lapack_int)na, 1, G, (lapack_int)na, g,
                          (lapack_int)na) != 0)
            break; /* the active columns are collinear: the path ends */
        Aa = 0;
        for (size_t q = 0; q < na; q++)
            Aa += g[q];
        Aa = 1.0 / sqrt(Aa);
        for (size_t k = 0; k < n; k++) {
            double s = 0;
            for (size_t q = 0; q < na; q++)
                s += X[active[q] * n + k] * sign[q] * Aa * g[q];
            u[k] = s;
        }
        correlations(a, X, u, n, p);
        for (size_t j = 0; j < p; j++) {
            double g1, g2;
            if (in[j])
                continue;
            g1 = (C - c[j]) / (Aa - a[j]);
            g2 = (C + c[j]) / (Aa + a[j]);
            if (g1 > 1e-12 && g1 < gamma) {
                gamma = g1;
                best = j;
            }
            if (g2 > 1e-12 && g2 < gamma) {
                gamma = g2;
                best = j;
            }
        }
        if (best == p)
            break;
        for (size_t k = 0; k < n; k++)
            res[k] -= gamma * u[k];
        active[na++] = best;
        in[best] = 1;
    }
    rc = (int)na;
done:
    free(res);
    free(c);
    free(u);
    free(a);
    free(G);
    free(g);
    free(in);
    return rc;
}
