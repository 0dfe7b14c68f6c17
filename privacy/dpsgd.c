/* dpsgd.c - DP-SGD on the core's training loop: Poisson batches, clipping, Gaussian noise. */
#include "mg_privacy.h"
#include "mg_error.h"
#include "noise.h"

#include <cblas.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Opacus's guard in the clipping factor C / (norm + 1e-6). */
#define CLIP_EPS 1e-6

struct mg_dpsgd {
    mg_dpsgd_options o; /* noise_multiplier resolved */
    size_t rows;
    uint64_t planned, allowed, steps;
    int capped, has_prior;
    double rdp_step[MG_PRIVACY_ORDERS]; /* RDP of one step */
    double prior[MG_PRIVACY_ORDERS];
    noise_source src;    /* Poisson sampling */
    noise_stream *noise; /* Gaussian noise, a step ahead on its own thread */
    size_t *batch;       /* rows of the current Poisson batch */
    double *factors;     /* per-example clipping factors */
};

static int check_options(const mg_dpsgd_options *o, size_t rows, size_t epochs)
{
    if (!(o->sample_rate > 0 && o->sample_rate <= 1))
        return mg_error_set(MG_EINVAL, "DP-SGD: sample rate %g: must be in (0, 1]", o->sample_rate);
    if (!(o->max_grad_norm > 0 && isfinite(o->max_grad_norm)))
        return mg_error_set(MG_EINVAL, "DP-SGD: --max-grad-norm %g: must be finite and > 0",
                            o->max_grad_norm);
    if (!(o->delta > 0 && o->delta < 1))
        return mg_error_set(MG_EINVAL, "DP-SGD: --delta %g: must be in (0, 1)", o->delta);
    if (!(o->target_epsilon >= 0 && isfinite(o->target_epsilon)))
        return mg_error_set(MG_EINVAL, "DP-SGD: --target-epsilon %g: must be finite and > 0",
                            o->target_epsilon);
    if (o->target_epsilon == 0 && !(o->noise_multiplier >= 0 && isfinite(o->noise_multiplier)))
        return mg_error_set(MG_EINVAL, "DP-SGD: --noise-multiplier %g: must be finite and >= 0",
                            o->noise_multiplier);
    if (!(o->max_epsilon >= 0 && isfinite(o->max_epsilon)))
        return mg_error_set(MG_EINVAL, "DP-SGD: --max-epsilon %g: must be finite and > 0",
                            o->max_epsilon);
    if (rows == 0)
        return mg_error_set(MG_EINVAL, "DP-SGD: no training rows");
    if (epochs == 0)
        return mg_error_set(MG_EINVAL, "DP-SGD: --epochs: must be at least 1");
    return MG_OK;
}

/* Epsilon after `steps` steps of this run on top of the prior spend, by the chosen accountant. */
static int epsilon_after(double *eps, const mg_dpsgd *d, uint64_t steps)
{
    mg_privacy_event ev = {d->o.sample_rate, d->o.noise_multiplier, steps};
    double curve[MG_PRIVACY_ORDERS], order;

    if (d->o.accountant == MG_PRIVACY_PRV)
        return mg_privacy_prv_epsilon(eps, NULL, NULL, &ev, 1, d->o.delta, NULL);
    for (size_t k = 0; k < MG_PRIVACY_ORDERS; k++)
        curve[k] = d->prior[k] + d->rdp_step[k] * (double)steps;
    return mg_privacy_rdp_epsilon_from_curve(eps, &order, mg_privacy_orders(), curve,
                                             MG_PRIVACY_ORDERS, d->o.delta);
}

/* The most steps (<= planned) whose epsilon stays <= max_epsilon: epsilon grows with steps. */
static int allowed_steps(mg_dpsgd *d)
{
    uint64_t lo = 0, hi = d->planned;
    double eps;
    int rc;

    if ((rc = epsilon_after(&eps, d, hi)) < 0)
        return rc;
    if (eps <= d->o.max_epsilon) {
        d->allowed = hi;
        return MG_OK;
    }
    while (lo < hi) { /* invariant: lo fits, everything above hi does not */
        uint64_t mid = lo + (hi - lo + 1) / 2;
        if ((rc = epsilon_after(&eps, d, mid)) < 0)
            return rc;
        if (eps <= d->o.max_epsilon)
            lo = mid;
        else
            hi = mid - 1;
    }
    d->allowed = lo;
    if (lo == 0) {
        if ((rc = epsilon_after(&eps, d, 1)) < 0)
            return rc;
        return mg_error_set(MG_ECONFLICT,
                            "DP-SGD: --max-epsilon %g: one step would already spend epsilon "
                            "%.6g (%s%s)",
                            d->o.max_epsilon, eps, mg_privacy_accountant_name(d->o.accountant),
                            d->has_prior ? ", with what the data set spent before" : "");
    }
    return MG_OK;
}

int mg_dpsgd_create(mg_dpsgd **out, const mg_dpsgd_options *o, size_t rows, size_t epochs,
                    const double *prior)
{
    mg_dpsgd *d = NULL;
    mg_privacy_event ev;
    int rc;

    *out = NULL;
    if ((rc = check_options(o, rows, epochs)) < 0)
        return rc;
    if (prior && o->accountant == MG_PRIVACY_PRV)
        return mg_error_set(MG_EINVAL, "DP-SGD: a prior spend needs the RDP accountant");
    if (!(d = calloc(1, sizeof *d)) || !(d->batch = malloc(rows * sizeof *d->batch))) {
        rc = mg_error_set(MG_ENOMEM, "DP-SGD: out of memory for %zu rows", rows);
        goto done;
    }
    d->o = *o;
    d->rows = rows;
    d->planned = (uint64_t)epochs * (uint64_t)fmax(1, floor(1 / o->sample_rate));
    if ((d->has_prior = prior != NULL))
        memcpy(d->prior, prior, sizeof d->prior);
    if (o->target_epsilon > 0 &&
        (rc = mg_privacy_noise_calibrate(&d->o.noise_multiplier, NULL, o->target_epsilon, o->delta,
                                         o->sample_rate, d->planned, o->accountant,
                                         MG_PRIVACY_EPSILON_TOLERANCE)) < 0)
        goto done;
    ev = (mg_privacy_event){o->sample_rate, d->o.noise_multiplier, 1};
    if ((rc = mg_privacy_rdp_add(d->rdp_step, &ev, mg_privacy_orders(), MG_PRIVACY_ORDERS)) < 0)
        goto done;
    d->allowed = d->planned;
    d->capped = o->max_epsilon > 0;
    if (d->capped && (rc = allowed_steps(d)) < 0)
        goto done;
    noise_source_init(&d->src, !o->insecure, o->insecure_seed, 0);
    *out = d;
    d = NULL;
    rc = MG_OK;
done:
    mg_dpsgd_free(d);
    return rc;
}

void mg_dpsgd_free(mg_dpsgd *d)
{
    if (!d)
        return;
    noise_stream_stop(d->noise);
    noise_source_free(&d->src);
    free(d->factors);
    free(d->batch);
    free(d);
}

/* ---- the sampler: every row independently with probability q ---- */

static int sampler_begin(void *ud, size_t n)
{
    const mg_dpsgd *d = ud;
    if (n != d->rows)
        return mg_error_set(MG_EINVAL,
                            "DP-SGD: set up for %zu training rows, the estimator has %zu (the "
                            "sample rate depends on it)",
                            d->rows, n);
    return MG_OK;
}

/*
 * A Poisson batch by geometric gaps: the distance to the next chosen row is
 * Geometric(q), floor(ln U / ln(1 - q)), so a step costs O(q N) draws, not N.
 */
static int sampler_next(void *ud, const size_t **rows, size_t *count)
{
    mg_dpsgd *d = ud;
    double q = d->o.sample_rate, log1mq = log1p(-q), next = -1, u;
    size_t n = 0;
    int rc;

    if (q >= 1) {
        for (size_t i = 0; i < d->rows; i++)
            d->batch[i] = i;
        n = d->rows;
    } else {
        for (;;) {
            if ((rc = noise_uniform(&u, &d->src)) < 0)
                return rc;
            next += floor(log(u) / log1mq) + 1;
            if (next >= (double)d->rows)
                break;
            d->batch[n++] = (size_t)next;
        }
    }
    *rows = d->batch;
    *count = n;
    return MG_OK;
}

mg_batch_sampler mg_dpsgd_sampler(mg_dpsgd *d)
{
    mg_batch_sampler s;
    s.ud = d;
    s.begin = sampler_begin;
    s.next = sampler_next;
    s.steps_per_epoch = (size_t)fmax(1, floor(1 / d->o.sample_rate));
    return s;
}

/* ---- clipping, noise, scaling ---- */

/* Opacus's clipping factor min(1, C / (norm + 1e-6)) for each example. */
static int weigh(void *ud, double *w, const double *norms, size_t count)
{
    const mg_dpsgd *d = ud;
    for (size_t b = 0; b < count; b++)
        w[b] = fmin(1.0, d->o.max_grad_norm / (norms[b] + CLIP_EPS));
    return MG_OK;
}

/* The clipped sum in grad becomes (sum + N(0, sigma^2 C^2)) / (q N); refuses past the budget. */
static int finish(void *ud, double *grad, size_t count, size_t P, size_t step)
{
    mg_dpsgd *d = ud;
    int rc;

    (void)count;
    (void)step;
    if (d->steps >= d->allowed)
        return mg_error_set(MG_ECONFLICT,
                            "DP-SGD: the privacy budget allows %llu steps; refusing step %llu",
                            (unsigned long long)d->allowed, (unsigned long long)d->steps + 1);
    if (d->o.noise_multiplier > 0) {
        if (d->noise && noise_stream_length(d->noise) != P) {
            noise_stream_stop(d->noise);
            d->noise = NULL;
        }
        if (!d->noise && (rc = noise_stream_start(&d->noise, !d->o.insecure, d->o.insecure_seed, 1,
                                                  P, d->o.noise_multiplier * d->o.max_grad_norm,
                                                  NOISE_THREAD_AUTO)) < 0)
            return rc;
        if ((rc = noise_stream_add(d->noise, grad)) < 0)
            return rc;
    }
    cblas_dscal((int)P, 1.0 / (d->o.sample_rate * (double)d->rows), grad, 1);
    d->steps++;
    return MG_OK;
}

/* The same on a materialised G (count x P): row norms, factors, G^T f, then finish. */
static int aggregate(void *ud, double *grad, double *G, size_t count, size_t P, size_t step)
{
    mg_dpsgd *d = ud;
    int rc;

    if (d->steps >= d->allowed)
        return finish(d, grad, count, P, step); /* refuses, naming the budget */
    if (count > 0) {
        double *f = realloc(d->factors, count * sizeof *f);
        if (!f)
            return mg_error_set(MG_ENOMEM, "DP-SGD: out of memory for a batch of %zu", count);
        d->factors = f;
        for (size_t b = 0; b < count; b++) {
            const double *g = G + b * P;
            f[b] = sqrt(cblas_ddot((int)P, g, 1, g, 1));
        }
        if ((rc = weigh(d, f, f, count)) < 0)
            return rc;
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)count, (int)P, 1.0, G, (int)P, f, 1, 0.0, grad,
                    1);
    } else {
        memset(grad, 0, P * sizeof *grad);
    }
    return finish(d, grad, count, P, step);
}

mg_grad_aggregator mg_dpsgd_aggregator(mg_dpsgd *d)
{
    mg_grad_aggregator g;
    g.ud = d;
    g.aggregate = aggregate;
    return g;
}

mg_grad_clipper mg_dpsgd_clipper(mg_dpsgd *d)
{
    mg_grad_clipper c;
    c.ud = d;
    c.weigh = weigh;
    c.finish = finish;
    return c;
}

static int budget_after_step(void *ud, mg_estimator *e, const mg_train_state *s)
{
    const mg_dpsgd *d = ud;
    (void)e;
    return d->capped && d->steps >= d->allowed && s->step < s->total_steps ? 1 : MG_OK;
}

mg_hook mg_dpsgd_hook(mg_dpsgd *d)
{
    mg_hook h;
    memset(&h, 0, sizeof h);
    h.ud = d;
    h.after_step = budget_after_step;
    return h;
}

void mg_dpsgd_attach(mg_dpsgd *d, mg_estimator *e)
{
    mg_batch_sampler s = mg_dpsgd_sampler(d);
    mg_grad_clipper c = mg_dpsgd_clipper(d);
    mg_estimator_set_batch_sampler(e, &s);
    mg_estimator_set_grad_clipper(e, &c);
}

/* ---- what was spent ---- */

mg_privacy_event mg_dpsgd_event(const mg_dpsgd *d)
{
    mg_privacy_event ev = {d->o.sample_rate, d->o.noise_multiplier, d->steps};
    return ev;
}

int mg_dpsgd_report_get(mg_dpsgd_report *out, const mg_dpsgd *d, int with_prv)
{
    mg_privacy_event ev = mg_dpsgd_event(d);
    int rc;

    memset(out, 0, sizeof *out);
    out->sample_rate = d->o.sample_rate;
    out->noise_multiplier = d->o.noise_multiplier;
    out->max_grad_norm = d->o.max_grad_norm;
    out->delta = d->o.delta;
    out->expected_batch = d->o.sample_rate * (double)d->rows;
    out->steps = d->steps;
    out->planned_steps = d->planned;
    out->allowed_steps = d->allowed;
    out->max_epsilon = d->o.max_epsilon;
    out->target_epsilon = d->o.target_epsilon;
    out->stopped_by_budget = d->capped && d->steps >= d->allowed && d->allowed < d->planned;
    out->insecure = d->o.insecure;
    out->insecure_seed = d->o.insecure_seed;
    out->epsilon_prv = NAN;
    if ((rc = mg_privacy_rdp_epsilon(&out->epsilon_rdp, &out->best_order, &ev, 1, d->o.delta)) < 0)
        return rc;
    if (with_prv &&
        (rc = mg_privacy_prv_epsilon(&out->epsilon_prv, NULL, NULL, &ev, 1, d->o.delta, NULL)) < 0)
        return rc;
    return MG_OK;
}

static json_t *real_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

int mg_dpsgd_report_record(const mg_dpsgd_report *r, mg_model *m)
{
    json_t *dp =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:s, s:s}", "sample_rate",
                  json_real(r->sample_rate), "noise_multiplier", json_real(r->noise_multiplier),
                  "max_grad_norm", json_real(r->max_grad_norm), "delta", json_real(r->delta),
                  "expected_batch", json_real(r->expected_batch), "steps", (json_int_t)r->steps,
                  "epsilon", real_or_null(r->epsilon_rdp), "best_alpha",
                  real_or_null(r->best_order), "epsilon_prv", real_or_null(r->epsilon_prv),
                  "accountant", "rdp", "noise", r->insecure ? "insecure-seed" : "secure");

    if (!dp)
        return mg_error_set(MG_ENOMEM, "DP-SGD: out of memory recording the run");
    if ((r->insecure && json_object_set_new(dp, "insecure_seed",
                                            json_integer((json_int_t)r->insecure_seed)) < 0) ||
        (r->target_epsilon > 0 &&
         json_object_set_new(dp, "target_epsilon", json_real(r->target_epsilon)) < 0) ||
        (r->max_epsilon > 0 &&
         (json_object_set_new(dp, "max_epsilon", json_real(r->max_epsilon)) < 0 ||
          json_object_set_new(dp, "stopped_by_budget", json_boolean(r->stopped_by_budget)) < 0)) ||
        0) {
        json_decref(dp);
        return mg_error_set(MG_ENOMEM, "DP-SGD: out of memory recording the run");
    }
    if (json_object_set_new(mg_model_training(m), "dp", dp) < 0) /* dp is released either way */
        return mg_error_set(MG_ENOMEM, "DP-SGD: out of memory recording the run");
    return MG_OK;
}
