/*
 * binomial.c - Binomial(n, p) by inversion for small n p and by Hormann's
 * BTRD otherwise (W. Hormann, "The generation of binomial random variates",
 * J. Statist. Comput. Simul. 46, 1993), so that a bootstrap of a 10-million-row
 * table costs a few draws per cell, not ten million.
 */
#include "binomial.h"

#include <math.h>

/* fc(k) = ln k! - ((k + 1/2) ln(k + 1) - (k + 1) + ln(2 pi) / 2), Stirling's correction. */
static double stirling_tail(double k)
{
    if (k < 10)
        return lgamma(k + 1) - ((k + 0.5) * log(k + 1) - (k + 1) + 0.5 * log(2 * M_PI));
    double k1 = k + 1, k2 = k1 * k1;
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / k2) / k2) / k1;
}

/* Sequential search from 0; n p < 10 keeps it short. */
static uint64_t inversion(mg_rng *r, uint64_t n, double p)
{
    double q = 1 - p, s = p / q, a = ((double)n + 1) * s;
    double r0 = exp((double)n * log1p(-p));

    for (;;) {
        double u = mg_rng_uniform(r), f = r0;
        uint64_t x = 0;
        while (u > f) {
            u -= f;
            if (++x > n)
                break;
            f *= a / (double)x - s;
        }
        if (x <= n)
            return x;
    }
}

/* BTRD for n p >= 10 and p <= 1/2: transformed rejection with a squeeze. */
static uint64_t btrd(mg_rng *rng, uint64_t n_, double p)
{
    double n = (double)n_;
    double m = floor((n + 1) * p), r = p / (1 - p), nr = (n + 1) * r, npq = n * p * (1 - p);
    double spq = sqrt(npq), b = 1.15 + 2.53 * spq, a = -0.0873 + 0.0248 * b + 0.01 * p;
    double c = n * p + 0.5, alpha = (2.83 + 5.1 / b) * spq, vr = 0.92 - 4.2 / b;
    double urvr = 0.86 * vr;

    for (;;) {
        double u, v = mg_rng_uniform(rng), us, k, km;
        if (v <= urvr) {
            u = v / vr - 0.43;
            return (uint64_t)floor((2 * a / (0.5 - fabs(u)) + b) * u + c);
        }
        if (v >= vr) {
            u = mg_rng_uniform(rng) - 0.5;
        } else {
            u = v / vr - 0.93;
            u = copysign(0.5, u) - u;
            v = mg_rng_uniform(rng) * vr;
        }
        us = 0.5 - fabs(u);
        k = floor((2 * a / us + b) * u + c);
        if (k < 0 || k > n)
            continue;
        v = v * alpha / (a / (us * us) + b);
        km = fabs(k - m);
        if (km <= 15) {
            double f = 1;
            if (m < k)
                for (double i = m + 1; i <= k; i++)
                    f *= nr / i - r;
            else
                for (double i = k + 1; i <= m; i++)
                    v *= nr / i - r;
            if (v <= f)
                return (uint64_t)k;
            continue;
        }
        v = log(v);
        double rho = (km / npq) * (((km / 3 + 0.625) * km + 1.0 / 6) / npq + 0.5);
        double t = -km * km / (2 * npq);
        if (v < t - rho)
            return (uint64_t)k;
        if (v > t + rho)
            continue;
        double nm = n - m + 1, nk = n - k + 1;
        double h = (m + 0.5) * log((m + 1) / (r * nm)) + stirling_tail(m) + stirling_tail(n - m);
        if (v <= h + (n + 1) * log(nm / nk) + (k + 0.5) * log(nk * r / (k + 1)) -
                      stirling_tail(k) - stirling_tail(n - k))
            return (uint64_t)k;
    }
}

uint64_t binomial_draw(mg_rng *r, uint64_t n, double p)
{
    if (n == 0 || p <= 0)
        return 0;
    if (p >= 1)
        return n;
    if (p > 0.5)
        return n - binomial_draw(r, n, 1 - p);
    return (double)n * p < 10 ? inversion(r, n, p) : btrd(r, n, p);
}

void multinomial_draw(mg_rng *r, uint64_t n, const uint64_t *counts, size_t k, uint64_t total,
                      uint64_t *out)
{
    for (size_t i = 0; i < k; i++) {
        uint64_t x = 0;
        if (n && counts[i])
            x = counts[i] >= total ? n : binomial_draw(r, n, (double)counts[i] / (double)total);
        out[i] = x;
        n -= x;
        total -= counts[i];
    }
}
