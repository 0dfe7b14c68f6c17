/* quad.h - adaptive Gauss-Kronrod quadrature for the PRV accountant (internal). */
#ifndef QUAD_H
#define QUAD_H

/*
 * Integral of f over [a, b] by adaptive Gauss-Kronrod (G7/K15, the QUADPACK
 * pair), globally adaptive like QUADPACK's qag: the piece with the largest error
 * estimate is bisected until the summed estimate <= max(abs_tol, rel_tol |I|),
 * or 2000 pieces. Cannot fail; f must be finite on [a, b].
 */
double mg_privacy_quad(double (*f)(double t, const void *ctx), const void *ctx, double a, double b,
                       double abs_tol, double rel_tol);

#endif
