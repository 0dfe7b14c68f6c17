/* quad.c - adaptive Gauss-Kronrod (G7/K15) quadrature. */
#include "quad.h"

#include <math.h>
#include <stddef.h>

/* Kronrod nodes (descending; the odd ones are the Gauss nodes) and weights, as QUADPACK's qk15. */
static const double xgk[8] = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000};
static const double wgk[8] = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double wg[4] = {
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

/* Pieces kept at most (QUADPACK's `limit`); past it the best estimate so far is returned. */
#define MAX_PIECES 2000

/* K15 on [a, b]; *err gets |K15 - G7|. */
static double kronrod(double (*f)(double, const void *), const void *ctx, double a, double b,
                      double *err)
{
    double c = (a + b) / 2, h = (b - a) / 2;
    double fc = f(c, ctx);
    double k = wgk[7] * fc, g = wg[3] * fc;

    for (int j = 0; j < 7; j++) {
        double s = f(c - h * xgk[j], ctx) + f(c + h * xgk[j], ctx);
        k += wgk[j] * s;
        if (j % 2 == 1)
            g += wg[j / 2] * s;
    }
    *err = fabs((k - g) * h);
    return k * h;
}

/*
 * Globally adaptive, as QUADPACK's qag: bisect the piece with the largest
 * error estimate until the summed estimate meets the tolerance. Bounded work,
 * so rounding noise in f cannot make it run away.
 */
double mg_privacy_quad(double (*f)(double t, const void *ctx), const void *ctx, double a, double b,
                       double abs_tol, double rel_tol)
{
    double lo[MAX_PIECES], hi[MAX_PIECES], val[MAX_PIECES], err[MAX_PIECES];
    double total, total_err;
    size_t n = 1;

    lo[0] = a;
    hi[0] = b;
    val[0] = kronrod(f, ctx, a, b, &err[0]);
    for (;;) {
        size_t worst = 0;
        total = 0;
        total_err = 0;
        for (size_t i = 0; i < n; i++) {
            total += val[i];
            total_err += err[i];
            if (err[i] > err[worst])
                worst = i;
        }
        if (total_err <= fmax(abs_tol, rel_tol * fabs(total)) || n == MAX_PIECES)
            break;
        double m = (lo[worst] + hi[worst]) / 2;
        if (m <= lo[worst] || m >= hi[worst])
            break;
        lo[n] = m;
        hi[n] = hi[worst];
        hi[worst] = m;
        val[worst] = kronrod(f, ctx, lo[worst], m, &err[worst]);
        val[n] = kronrod(f, ctx, m, hi[n], &err[n]);
        n++;
    }
    return total;
}
