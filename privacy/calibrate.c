/* calibrate.c - noise multiplier for a target epsilon, as Opacus's get_noise_multiplier. */
#include "mg_privacy.h"
#include "mg_error.h"

#include <math.h>

/* Opacus's MAX_SIGMA: past it the budget is declared too low. */
#define MAX_SIGMA 1e6

int mg_privacy_epsilon(double *eps, double *best_order, const mg_privacy_event *events, size_t n,
                       double delta, mg_privacy_accountant acc)
{
    double order = 0;
    int rc;

    if (acc == MG_PRIVACY_PRV)
        rc = mg_privacy_prv_epsilon(eps, NULL, NULL, events, n, delta, NULL);
    else
        rc = mg_privacy_rdp_epsilon(eps, &order, events, n, delta);
    if (best_order)
        *best_order = order;
    return rc;
}

static int epsilon_at(double *eps, double sigma, double q, uint64_t steps, double delta,
                      mg_privacy_accountant acc)
{
    mg_privacy_event ev = {q, sigma, steps};
    return mg_privacy_epsilon(eps, NULL, &ev, 1, delta, acc);
}

int mg_privacy_noise_calibrate(double *sigma, double *eps, double target_eps, double delta,
                               double sample_rate, uint64_t steps, mg_privacy_accountant acc,
                               double tolerance)
{
    mg_privacy_event probe = {sample_rate, 1.0, steps};
    double sigma_low = 0, sigma_high = 10, eps_high = INFINITY, e;
    int rc;

    *sigma = NAN;
    if (eps)
        *eps = NAN;
    if ((rc = mg_privacy_event_check(&probe)) < 0)
        return rc;
    if (steps == 0)
        return mg_error_set(MG_EINVAL, "steps: must be at least 1");
    if (!(target_eps > 0 && isfinite(target_eps)))
        return mg_error_set(MG_EINVAL, "target epsilon %g: must be finite and > 0", target_eps);
    if (!(tolerance > 0 && isfinite(tolerance)))
        return mg_error_set(MG_EINVAL, "epsilon tolerance %g: must be finite and > 0", tolerance);

    /* Bracket: double sigma until the run spends at most the target. */
    while (eps_high > target_eps) {
        sigma_high *= 2;
        if ((rc = epsilon_at(&eps_high, sigma_high, sample_rate, steps, delta, acc)) < 0)
            return rc;
        if (sigma_high > MAX_SIGMA)
            return mg_error_set(MG_EINVAL,
                                "privacy budget too low: target epsilon %g at delta %g is not "
                                "reached with noise multiplier up to %g",
                                target_eps, delta, MAX_SIGMA);
    }
    /*
     * Bisect, keeping sigma_high's epsilon <= target, until within the tolerance
     * of it. Opacus would loop for ever if epsilon jumped across the tolerance
     * band; we stop when the bracket can shrink no more and keep the safe end.
     */
    while (target_eps - eps_high > tolerance && sigma_high - sigma_low > 1e-12 * sigma_high) {
        double mid = (sigma_low + sigma_high) / 2;
        if ((rc = epsilon_at(&e, mid, sample_rate, steps, delta, acc)) < 0)
            return rc;
        if (e < target_eps) {
            sigma_high = mid;
            eps_high = e;
        } else {
            sigma_low = mid;
        }
    }
    *sigma = sigma_high;
    if (eps)
        *eps = eps_high;
    return MG_OK;
}
