/* rdp.c - Renyi DP accountant: epsilon from q, sigma, steps, as Opacus computes it. */
#include "mg_privacy.h"
#include "mg_error.h"

#include <math.h>
#include <string.h>

/* A fractional order's series is stopped here and the order reported +inf. */
#define MAX_SERIES_TERMS (1u << 24)

/* Opacus's RDPAccountant.DEFAULT_ALPHAS: [1 + x / 10.0 for x in range(1, 100)] + range(12, 64). */
static const double default_orders[MG_PRIVACY_ORDERS] = {
    1.1, 1.2, 1.3, 1.4, 1.5,  1.6,  1.7,  1.8,  1.9,  2.0,  2.1,  2.2,  2.3,  2.4,  2.5, 2.6, 2.7,
    2.8, 2.9, 3.0, 3.1, 3.2,  3.3,  3.4,  3.5,  3.6,  3.7,  3.8,  3.9,  4.0,  4.1,  4.2, 4.3, 4.4,
    4.5, 4.6, 4.7, 4.8, 4.9,  5.0,  5.1,  5.2,  5.3,  5.4,  5.5,  5.6,  5.7,  5.8,  5.9, 6.0, 6.1,
    6.2, 6.3, 6.4, 6.5, 6.6,  6.7,  6.8,  6.9,  7.0,  7.1,  7.2,  7.3,  7.4,  7.5,  7.6, 7.7, 7.8,
    7.9, 8.0, 8.1, 8.2, 8.3,  8.4,  8.5,  8.6,  8.7,  8.8,  8.9,  9.0,  9.1,  9.2,  9.3, 9.4, 9.5,
    9.6, 9.7, 9.8, 9.9, 10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6, 10.7, 10.8, 10.9, 12,  13,  14,
    15,  16,  17,  18,  19,   20,   21,   22,   23,   24,   25,   26,   27,   28,   29,  30,  31,
    32,  33,  34,  35,  36,   37,   38,   39,   40,   41,   42,   43,   44,   45,   46,  47,  48,
    49,  50,  51,  52,  53,   54,   55,   56,   57,   58,   59,   60,   61,   62,   63};

const double *mg_privacy_orders(void)
{
    return default_orders;
}

const char *mg_privacy_accountant_name(mg_privacy_accountant a)
{
    return a == MG_PRIVACY_PRV ? "prv" : "rdp";
}

int mg_privacy_accountant_parse(mg_privacy_accountant *out, const char *name)
{
    if (strcmp(name, "rdp") == 0)
        *out = MG_PRIVACY_RDP;
    else if (strcmp(name, "prv") == 0)
        *out = MG_PRIVACY_PRV;
    else
        return mg_error_set(MG_EINVAL, "accountant '%s': expected 'rdp' or 'prv'", name);
    return MG_OK;
}

int mg_privacy_event_check(const mg_privacy_event *ev)
{
    if (!(ev->sample_rate >= 0 && ev->sample_rate <= 1))
        return mg_error_set(MG_EINVAL, "sample rate %g: must be in [0, 1]", ev->sample_rate);
    if (!(ev->noise_multiplier >= 0 && isfinite(ev->noise_multiplier)))
        return mg_error_set(MG_EINVAL, "noise multiplier %g: must be finite and >= 0",
                            ev->noise_multiplier);
    return MG_OK;
}

/* log(exp(x) + exp(y)), -inf standing for 0. */
static double log_add(double x, double y)
{
    double a = fmin(x, y), b = fmax(x, y);
    if (a == -INFINITY)
        return b;
    return log1p(exp(a - b)) + b;
}

/*
 * log(exp(x) - exp(y)) for x >= y; NaN when x < y (the series went negative,
 * which Opacus reports as an error; the caller turns it into +inf).
 */
static double log_sub(double x, double y)
{
    double d;
    if (x < y)
        return NAN;
    if (y == -INFINITY)
        return x;
    if (x == y)
        return -INFINITY;
    d = expm1(x - y);
    if (isinf(d)) /* Python's math.expm1 overflow: Opacus keeps x */
        return x;
    return log(d) + y;
}

/*
 * log of the standard normal CDF, accurate far into the left tail
 * (the form of scipy.special.log_ndtr: a log-erfc below -1, log1p above).
 */
static double log_ndtr(double a)
{
    double t = a * M_SQRT1_2;
    if (a < -1.0) {
        double y = -t;
        if (y < 26.0)
            return log(erfc(y) / 2);
        /* erfc underflows: erfc(y) = exp(-y^2) / (y sqrt(pi)) * sum_k (-1)^k (2k-1)!! / (2y^2)^k */
        double s = 1, term = 1, inv = 1 / (2 * y * y);
        for (int k = 1; k < 12; k++) {
            term *= -(2 * k - 1) * inv;
            s += term;
        }
        return log(s / (y * sqrt(M_PI)) / 2) - y * y;
    }
    return log1p(-erfc(t) / 2);
}

/* log(erfc(x)), as Opacus's _log_erfc: log 2 + log_ndtr(-x sqrt 2). */
static double log_erfc(double x)
{
    return log(2.0) + log_ndtr(-x * sqrt(2.0));
}

/* log A_alpha for an integer order: the binomial sum, every term positive. */
static double log_a_int(double q, double sigma, int alpha)
{
    double log_a = -INFINITY, log_binom = 0;
    for (int i = 0; i <= alpha; i++) {
        if (i > 0) /* log C(alpha, i) from log C(alpha, i - 1) */
            log_binom += log((double)(alpha - i + 1)) - log((double)i);
        double log_coef = log_binom + i * log(q) + (alpha - i) * log(1 - q);
        double s = log_coef + ((double)i * i - i) / (2 * (sigma * sigma)); /* i^2 overflows int */
        log_a = log_add(log_a, s);
    }
    return log_a;
}

/*
 * log A_alpha for a fractional order: the two halves of the integral, split
 * at z0, as signed series in binom(alpha, i); stopped once both terms are
 * below e^-30 (Opacus's rule, kept so that results match it).
 */
static double log_a_frac(double q, double sigma, double alpha)
{
    double log_a0 = -INFINITY, log_a1 = -INFINITY;
    double z0 = sigma * sigma * log(1 / q - 1) + 0.5;
    double log_abs_coef = 0; /* log |binom(alpha, i)| */
    int negative = 0;        /* sign of binom(alpha, i) */

    for (uint32_t i = 0; i < MAX_SERIES_TERMS; i++) {
        if (i > 0) {
            double f = alpha - (double)i + 1;
            log_abs_coef += log(fabs(f)) - log((double)i);
            negative ^= f < 0;
        }
        double di = (double)i, j = alpha - di;
        double log_t0 = log_abs_coef + di * log(q) + j * log(1 - q);
        double log_t1 = log_abs_coef + j * log(q) + di * log(1 - q);
        double log_e0 = log(0.5) + log_erfc((di - z0) / (sqrt(2.0) * sigma));
        double log_e1 = log(0.5) + log_erfc((z0 - j) / (sqrt(2.0) * sigma));
        double log_s0 = log_t0 + (di * di - di) / (2 * (sigma * sigma)) + log_e0;
        double log_s1 = log_t1 + (j * j - j) / (2 * (sigma * sigma)) + log_e1;

        if (!negative) {
            log_a0 = log_add(log_a0, log_s0);
            log_a1 = log_add(log_a1, log_s1);
        } else {
            log_a0 = log_sub(log_a0, log_s0);
            log_a1 = log_sub(log_a1, log_s1);
        }
        if (isnan(log_a0) || isnan(log_a1))
            return INFINITY;
        if (fmax(log_s0, log_s1) < -30)
            return log_add(log_a0, log_a1);
    }
    return INFINITY;
}

/* RDP of one step at order alpha (Opacus's _compute_rdp, with its special cases). */
static double rdp_one_step(double q, double sigma, double alpha)
{
    double log_a;
    if (q == 0)
        return 0;
    if (sigma == 0)
        return INFINITY;
    if (q == 1.0)
        return alpha / (2 * (sigma * sigma));
    if (alpha == floor(alpha) && alpha <= 1 << 20)
        log_a = log_a_int(q, sigma, (int)alpha);
    else
        log_a = log_a_frac(q, sigma, alpha);
    return log_a / (alpha - 1);
}

int mg_privacy_rdp_add(double *rdp, const mg_privacy_event *ev, const double *orders, size_t n)
{
    int rc;
    if ((rc = mg_privacy_event_check(ev)) < 0)
        return rc;
    for (size_t k = 0; k < n; k++)
        if (!(orders[k] > 1 && isfinite(orders[k])))
            return mg_error_set(MG_EINVAL, "RDP order %g: must be finite and > 1", orders[k]);
    for (size_t k = 0; k < n; k++)
        rdp[k] +=
            rdp_one_step(ev->sample_rate, ev->noise_multiplier, orders[k]) * (double)ev->steps;
    return MG_OK;
}

static int check_delta(double delta)
{
    if (!(delta > 0 && delta < 1))
        return mg_error_set(MG_EINVAL, "delta %g: must be in (0, 1)", delta);
    return MG_OK;
}

int mg_privacy_rdp_epsilon_from_curve(double *eps, double *best_order, const double *orders,
                                      const double *rdp, size_t n, double delta)
{
    double best = NAN, best_a = NAN;
    int rc;

    if (n == 0)
        return mg_error_set(MG_EINVAL, "RDP curve: no orders");
    if ((rc = check_delta(delta)) < 0)
        return rc;
    for (size_t k = 0; k < n; k++) {
        double a = orders[k];
        double e = rdp[k] - (log(delta) + log(a)) / (a - 1) + log((a - 1) / a);
        if (!isnan(e) && (isnan(best) || e < best)) {
            best = e;
            best_a = a;
        }
    }
    *eps = isnan(best) ? INFINITY : best;
    *best_order = best_a;
    return MG_OK;
}

int mg_privacy_rdp_epsilon(double *eps, double *best_order, const mg_privacy_event *events,
                           size_t n, double delta)
{
    double rdp[MG_PRIVACY_ORDERS] = {0};
    const double *orders = mg_privacy_orders();
    int rc;

    *eps = 0;
    *best_order = 0;
    if ((rc = check_delta(delta)) < 0)
        return rc;
    if (n == 0)
        return MG_OK;
    for (size_t i = 0; i < n; i++)
        if ((rc = mg_privacy_rdp_add(rdp, &events[i], orders, MG_PRIVACY_ORDERS)) < 0)
            return rc;
    return mg_privacy_rdp_epsilon_from_curve(eps, best_order, orders, rdp, MG_PRIVACY_ORDERS,
                                             delta);
}
