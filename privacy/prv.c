/* prv.c - PRV accountant: epsilon by FFT composition of privacy random variables. */
#include "mg_privacy.h"
#include "mg_error.h"
#include "quad.h"

#include <complex.h> /* before fftw3.h: fftw_complex is then C99's complex double */
#include <fftw3.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * Gopi, Lee, Wutschitz 2021 (arXiv 2106.02848), in the form Opacus ships
 * (opacus/accountants/prv.py and analysis/prv/): the privacy loss of one step
 * of the Poisson-subsampled Gaussian mechanism is a random variable Y; the
 * loss of T steps is the sum of T copies, whose distribution we get by
 * discretising Y on a regular grid and raising its Fourier transform to the
 * T-th power. delta(eps) = E[(1 - e^(eps - Y))^+] is then read off the grid.
 */

/* Largest grid we accept: 2^27 points is 1 GiB of doubles and complex scratch. */
#define MAX_DOMAIN ((size_t)1 << 27)

/* FFTW's planner is not re-entrant; plans are made and destroyed under this lock. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

/* A regular grid t_min + i dt, i < size (size even), and the shift applied to it so far. */
typedef struct grid {
    double t_min, t_max;
    size_t size;
    double shifts;
} grid;

/* A discrete PRV: pmf[i] is the mass at grid point i. */
typedef struct dprv {
    double *pmf;
    grid g;
} dprv;

static double grid_dt(const grid *g)
{
    return (g->t_max - g->t_min) / (double)(g->size - 1);
}

static grid grid_shift(grid g, double by)
{
    g.t_min += by;
    g.t_max += by;
    g.shifts += by;
    return g;
}

/* The grid points as numpy.linspace makes them (start + i * step, the last one exactly t_max). */
static void grid_points(double *ts, const grid *g)
{
    double step = (g->t_max - g->t_min) / (double)(g->size - 1);
    for (size_t i = 0; i < g->size; i++)
        ts[i] = (double)i * step + g->t_min;
    ts[g->size - 1] = g->t_max;
}

/* ---- the PRV of one step (Gopi et al., Propositions B1 and B4) ---- */

typedef struct prv {
    double q, sigma;
    double t_min, t_max; /* truncation */
    double cdf_min, mass;
} prv;

static double prv_cdf(const prv *p, double t)
{
    double q = p->q, s = p->sigma, u;
    if (!(t > log(1 - q)))
        return 0.0;
    u = (exp(t) + q - 1) / q;
    if (!(u > 0))
        return 0.0;
    double z = log(u);
    return -q * erfc((2 * z * s * s - 1) / (2 * M_SQRT2 * s)) / 2 -
           (1 - q) * erfc((2 * z * s * s + 1) / (2 * M_SQRT2 * s)) / 2 + 1.0;
}

/* The CDF of Y conditioned on [t_min, t_max). */
static double tprv_cdf(const prv *p, double t)
{
    if (t < p->t_min)
        return 0.0;
    if (t < p->t_max)
        return (prv_cdf(p, t) - p->cdf_min) / p->mass;
    return 1.0;
}

static double tprv_cdf_cb(double t, const void *ctx)
{
    return tprv_cdf(ctx, t);
}

/*
 * Mean of the truncated PRV, E[Y] = sum over pieces of [t F(t)] - integral F,
 * on Opacus's pieces (finer near 0, where the mass of a small-q PRV sits).
 */
static double tprv_mean(const prv *p)
{
    double pts[12] = {p->t_min, -1e-1, -1e-2, -1e-3, -1e-4, -1e-5,
                      1e-5,     1e-4,  1e-3,  1e-2,  1e-1,  p->t_max};
    double mean = 0;
    for (int k = 0; k < 11; k++) {
        double l = pts[k], r = pts[k + 1];
        double integral = mg_privacy_quad(tprv_cdf_cb, p, l, r, 1e-15, 1e-13);
        mean += r * tprv_cdf(p, r) - l * tprv_cdf(p, l) - integral;
    }
    return mean;
}

/*
 * Discretise the truncated PRV on `g`: the mass of each cell around a grid
 * point, then the grid shifted so the discrete mean equals the continuous
 * one (which keeps the composed estimate unbiased).
 */
static int discretize(dprv *out, const prv *p, const grid *g)
{
    size_t n = g->size;
    double dt = grid_dt(g), mean_d = 0, shift;
    double *ts = malloc(n * sizeof *ts), *pmf = fftw_alloc_real(n);
    int rc = MG_OK;

    out->pmf = NULL;
    if (!ts || !pmf) {
        rc = mg_error_set(MG_ENOMEM, "PRV accountant: out of memory for %zu grid points", n);
        goto done;
    }
    grid_points(ts, g);
    for (size_t i = 0; i < n; i++) {
        pmf[i] = tprv_cdf(p, ts[i] + dt / 2) - tprv_cdf(p, ts[i] - dt / 2);
        mean_d += ts[i] * pmf[i];
    }
    shift = tprv_mean(p) - mean_d;
    if (!(fabs(shift) < dt / 2)) {
        rc = mg_error_set(MG_ERROR,
                          "PRV accountant: discrete mean differs from the continuous mean by "
                          "%g (grid step %g) at q=%g sigma=%g",
                          shift, dt, p->q, p->sigma);
        goto done;
    }
    out->pmf = pmf;
    out->g = grid_shift(*g, shift);
    pmf = NULL;
done:
    fftw_free(pmf);
    free(ts);
    return rc;
}

/* ---- composition ---- */

static complex double cpow_int(complex double z, uint64_t k)
{
    /* numpy's complex power: repeated squaring below 100, the library's cpow above */
    complex double r = 1;
    if (k >= 100)
        return cpow(z, (double)k);
    while (k) {
        if (k & 1)
            r *= z;
        z *= z;
        k >>= 1;
    }
    return r;
}

static int fft_plans(fftw_plan *fwd, fftw_plan *inv, size_t n, double *re, fftw_complex *co)
{
    pthread_mutex_lock(&planner_lock);
    *fwd = fftw_plan_dft_r2c_1d((int)n, re, co, FFTW_ESTIMATE);
    *inv = fftw_plan_dft_c2r_1d((int)n, co, re, FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner_lock);
    if (!*fwd || !*inv)
        return mg_error_set(MG_ERROR, "PRV accountant: FFTW could not plan a size-%zu transform",
                            n);
    return MG_OK;
}

static void fft_plans_free(fftw_plan fwd, fftw_plan inv)
{
    pthread_mutex_lock(&planner_lock);
    if (fwd)
        fftw_destroy_plan(fwd);
    if (inv)
        fftw_destroy_plan(inv);
    pthread_mutex_unlock(&planner_lock);
}

/*
 * The sum of k independent copies: circular convolution by FFT, rotated so
 * that grid point i again stands for t_min + i dt (the grid is symmetric
 * about 0 with the origin at size/2 - 1), and the grid shifted k times.
 */
static int compose_self(dprv *d, uint64_t k)
{
    size_t n = d->g.size, m = n / 2 + 1, roll;
    fftw_complex *co = fftw_alloc_complex(m);
    double *tmp = fftw_alloc_real(n);
    fftw_plan fwd = NULL, inv = NULL;
    int rc;

    if (!co || !tmp) {
        rc = mg_error_set(MG_ENOMEM, "PRV accountant: out of memory for %zu grid points", n);
        goto done;
    }
    if ((rc = fft_plans(&fwd, &inv, n, tmp, co)) < 0)
        goto done;
    memcpy(tmp, d->pmf, n * sizeof *tmp);
    fftw_execute(fwd);
    for (size_t i = 0; i < m; i++)
        co[i] = cpow_int(co[i], k);
    fftw_execute(inv);
    roll = (size_t)((k - 1) % n);
    if (k % 2 == 0)
        roll = (roll + n / 2) % n;
    for (size_t i = 0; i < n; i++) /* numpy.roll(pmf, roll) */
        d->pmf[(i + roll) % n] = tmp[i] / (double)n;
    d->g = grid_shift(d->g, d->g.shifts * (double)(k - 1));
done:
    fft_plans_free(fwd, inv);
    fftw_free(tmp);
    fftw_free(co);
    return rc;
}

/*
 * Linear convolution of two PRVs on the same grid, keeping the centre
 * `size` points (scipy.signal.convolve mode "same"), grids' shifts added.
 */
static int compose_two(dprv *left, const dprv *right)
{
    size_t n = left->g.size, len = 2 * n, m = len / 2 + 1, start = (n - 1) / 2;
    fftw_complex *a = fftw_alloc_complex(m), *b = fftw_alloc_complex(m);
    double *re = fftw_alloc_real(len);
    fftw_plan fwd = NULL, inv = NULL;
    int rc;

    if (!a || !b || !re) {
        rc = mg_error_set(MG_ENOMEM, "PRV accountant: out of memory for %zu grid points", len);
        goto done;
    }
    if ((rc = fft_plans(&fwd, &inv, len, re, a)) < 0)
        goto done;
    memset(re, 0, len * sizeof *re);
    memcpy(re, right->pmf, n * sizeof *re);
    fftw_execute(fwd);
    memcpy(b, a, m * sizeof *a);
    memset(re, 0, len * sizeof *re);
    memcpy(re, left->pmf, n * sizeof *re);
    fftw_execute(fwd);
    for (size_t i = 0; i < m; i++)
        a[i] *= b[i];
    fftw_execute(inv);
    for (size_t i = 0; i < n; i++)
        left->pmf[i] = re[start + i] / (double)len;
    left->g = grid_shift(left->g, right->g.shifts);
done:
    fft_plans_free(fwd, inv);
    fftw_free(re);
    fftw_free(b);
    fftw_free(a);
    return rc;
}

/*
 * Pairwise convolution tree over d[0..n), as Opacus: when the count is odd
 * the last PRV is set aside to lead the next round. The result ends in d[0];
 * the other entries' pmfs are freed.
 */
static int compose_tree(dprv *d, size_t n)
{
    dprv *next = malloc(n * sizeof *next);
    int rc = MG_OK;

    if (!next)
        return mg_error_set(MG_ENOMEM, "PRV accountant: out of memory");
    while (n > 1) {
        size_t k = 0, was = n;
        if (n % 2 == 1)
            next[k++] = d[--n];
        for (size_t i = 0; i < n; i += 2) {
            if ((rc = compose_two(&d[i], &d[i + 1])) < 0)
                goto done;
            fftw_free(d[i + 1].pmf);
            d[i + 1].pmf = NULL;
            next[k++] = d[i];
        }
        memcpy(d, next, k * sizeof *d);
        for (size_t i = k; i < was; i++) /* moved or freed: d[0..k) owns every pmf left */
            d[i].pmf = NULL;
        n = k;
    }
done:
    free(next);
    return rc;
}

/* ---- the domain and the answer ---- */

/*
 * Half-width of a domain outside which the composed loss has negligible mass
 * (Gopi et al., Remark 5.6, as Opacus's compute_safe_domain_size): the RDP
 * epsilon of the whole history at delta_error / 4 and of each single step at
 * delta_error / (8 T), plus 3.
 */
static int safe_domain(double *L, const mg_privacy_event *ev, size_t n, uint64_t total,
                       double eps_error, double delta_error)
{
    double e, order;
    int rc;

    if ((rc = mg_privacy_rdp_epsilon(L, &order, ev, n, delta_error / 4)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        mg_privacy_event one = ev[i];
        one.steps = 1;
        if ((rc = mg_privacy_rdp_epsilon(&e, &order, &one, 1, delta_error / (8 * (double)total))) <
            0)
            return rc;
        *L = fmax(*L, e);
    }
    *L = fmax(*L, eps_error) + 3;
    return MG_OK;
}

/* Opacus's Domain.create_aligned(-L, L, dt): ends on multiples of dt, an even number of points. */
static int grid_aligned(grid *g, double L, double dt)
{
    double t_min = floor(-L / dt) * dt, t_max = ceil(L / dt) * dt;
    double points = round((t_max - t_min) / dt) + 1;

    if (!(points <= (double)MAX_DOMAIN))
        return mg_error_set(MG_ETOOBIG,
                            "PRV accountant: the domain would need %.0f points (limit %zu); "
                            "raise eps_error or use the RDP accountant",
                            points, MAX_DOMAIN);
    g->size = (size_t)points;
    if (g->size % 2 == 1) {
        g->size++;
        t_max += dt;
    }
    g->t_min = t_min;
    g->t_max = t_max;
    g->shifts = 0;
    if (!(fabs(grid_dt(g) - dt) / dt < 1e-8))
        return mg_error_set(MG_ERROR, "PRV accountant: grid step %g drifted from %g", grid_dt(g),
                            dt);
    return MG_OK;
}

/*
 * Read epsilon off the composed PRV at three deltas (Opacus's
 * DiscretePRV.compute_epsilon): delta(eps) = sum_{t_i >= eps} p_i (1 - e^(eps - t_i)),
 * inverted on the grid by binary search and solved exactly within the cell.
 */
static int read_epsilon(double out[3], const dprv *d, double delta, double delta_error,
                        double eps_error)
{
    size_t n = d->g.size;
    double *t = malloc(n * sizeof *t), *d1 = malloc(n * sizeof *d1);
    double *d2 = malloc(n * sizeof *d2), *nd = malloc(n * sizeof *nd);
    const double targets[3] = {delta + delta_error, delta, delta - delta_error};
    const double offsets[3] = {-eps_error, 0, eps_error};
    int rc = MG_OK;

    if (!t || !d1 || !d2 || !nd) {
        rc = mg_error_set(MG_ENOMEM, "PRV accountant: out of memory");
        goto done;
    }
    if ((long double)LDBL_EPSILON * (long double)n > (long double)(delta - delta_error)) {
        rc = mg_error_set(MG_EINVAL,
                          "PRV accountant: delta %g is too small for a %zu-point domain "
                          "(rounding would dominate); raise delta or eps_error",
                          delta, n);
        goto done;
    }
    grid_points(t, &d->g);
    for (size_t i = n; i-- > 0;) {
        d1[i] = d->pmf[i] + (i + 1 < n ? d1[i + 1] : 0);
        d2[i] = d->pmf[i] * exp(-t[i]) + (i + 1 < n ? d2[i + 1] : 0);
    }
    for (size_t i = 0; i < n; i++)
        nd[i] = exp(t[i]) * d2[i] - d1[i];
    for (int k = 0; k < 3; k++) {
        size_t lo = 0, hi = n; /* numpy.searchsorted(nd, -target, side="left") */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (nd[mid] < -targets[k])
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == 0 || lo == n) {
            rc = mg_error_set(MG_ERROR,
                              "PRV accountant: cannot compute epsilon at delta %g "
                              "(outside the domain)",
                              targets[k]);
            goto done;
        }
        out[k] = log((d1[lo] - targets[k]) / d2[lo]) + offsets[k];
    }
done:
    free(nd);
    free(d2);
    free(d1);
    free(t);
    return rc;
}

static int check_options(const mg_privacy_prv_options *o, double delta)
{
    if (!(delta > 0 && delta < 1))
        return mg_error_set(MG_EINVAL, "delta %g: must be in (0, 1)", delta);
    if (!(o->eps_error > 0 && isfinite(o->eps_error)))
        return mg_error_set(MG_EINVAL, "PRV eps_error %g: must be finite and > 0", o->eps_error);
    if (!(o->delta_error > 0 && o->delta_error < delta))
        return mg_error_set(MG_EINVAL, "PRV delta_error %g: must be in (0, delta)", o->delta_error);
    return MG_OK;
}

int mg_privacy_prv_epsilon(double *eps, double *lower, double *estimate,
                           const mg_privacy_event *events, size_t n, double delta,
                           const mg_privacy_prv_options *opts)
{
    mg_privacy_prv_options o = MG_PRIVACY_PRV_OPTIONS_INIT;
    mg_privacy_event *live = NULL;
    dprv *d = NULL;
    double L, res[3] = {0, 0, 0};
    uint64_t total = 0;
    size_t nlive = 0;
    grid g;
    int rc;

    *eps = NAN;
    if (opts)
        o = *opts;
    if (o.delta_error == 0)
        o.delta_error = delta / 1000;
    if ((rc = check_options(&o, delta)) < 0)
        goto done;
    if (!(live = malloc((n ? n : 1) * sizeof *live)) || !(d = calloc(n ? n : 1, sizeof *d))) {
        rc = mg_error_set(MG_ENOMEM, "PRV accountant: out of memory");
        goto done;
    }
    /* Steps that sample nobody or never run spend nothing; no noise spends everything. */
    for (size_t i = 0; i < n; i++) {
        if ((rc = mg_privacy_event_check(&events[i])) < 0)
            goto done;
        if (events[i].steps == 0 || events[i].sample_rate == 0)
            continue;
        if (events[i].noise_multiplier == 0) {
            res[0] = res[1] = res[2] = INFINITY;
            goto answer;
        }
        live[nlive++] = events[i];
        total += events[i].steps;
    }
    if (nlive == 0)
        goto answer;

    if ((rc = safe_domain(&L, live, nlive, total, o.eps_error, o.delta_error)) < 0)
        goto done;
    if ((rc = grid_aligned(&g, L,
                           o.eps_error / sqrt((double)total * log(12 / o.delta_error) / 2))) < 0)
        goto done;
    for (size_t i = 0; i < nlive; i++) {
        prv p = {live[i].sample_rate, live[i].noise_multiplier, g.t_min, g.t_max, 0, 1};
        p.cdf_min = prv_cdf(&p, g.t_min);
        p.mass = prv_cdf(&p, g.t_max) - p.cdf_min;
        if ((rc = discretize(&d[i], &p, &g)) < 0 || (rc = compose_self(&d[i], live[i].steps)) < 0)
            goto done;
    }
    if ((rc = compose_tree(d, nlive)) < 0 ||
        (rc = read_epsilon(res, &d[0], delta, o.delta_error, o.eps_error)) < 0)
        goto done;
answer:
    *eps = res[2];
    if (lower)
        *lower = res[0];
    if (estimate)
        *estimate = res[1];
    rc = MG_OK;
done:
    for (size_t i = 0; d && i < n; i++)
        fftw_free(d[i].pmf);
    free(d);
    free(live);
    return rc;
}
