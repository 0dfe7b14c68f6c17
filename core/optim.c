/* optim.c - SGD with momentum and Adam, with L2 and learning-rate schedules. */
#include "mg_optim.h"
#include "mg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct mg_optimizer {
    mg_optim_options o;
    size_t n, t;
    double *state; /* SGD: velocity (n); Adam: m (n) then v (n) */
    unsigned char *is_weight;
};

const char *mg_optim_kind_name(mg_optim_kind k)
{
    return k == MG_OPTIM_SGD ? "sgd" : k == MG_OPTIM_ADAM ? "adam" : "unknown";
}

const char *mg_schedule_name(mg_schedule s)
{
    return s == MG_SCHEDULE_CONSTANT ? "constant"
           : s == MG_SCHEDULE_STEP   ? "step"
           : s == MG_SCHEDULE_COSINE ? "cosine"
                                     : "unknown";
}

static int check_options(const mg_optim_options *o)
{
    if (!(o->lr > 0) || !isfinite(o->lr))
        return mg_error_set(MG_EINVAL, "optimizer: learning rate must be > 0 (got %g)", o->lr);
    if (!(o->l2 >= 0) || !isfinite(o->l2))
        return mg_error_set(MG_EINVAL, "optimizer: l2 must be >= 0 (got %g)", o->l2);
    if (o->kind == MG_OPTIM_SGD && !(o->momentum >= 0 && o->momentum < 1))
        return mg_error_set(MG_EINVAL, "optimizer: momentum must be in [0, 1) (got %g)",
                            o->momentum);
    if (o->kind == MG_OPTIM_ADAM &&
        !(o->beta1 >= 0 && o->beta1 < 1 && o->beta2 >= 0 && o->beta2 < 1 && o->eps > 0))
        return mg_error_set(MG_EINVAL, "optimizer: Adam needs beta1, beta2 in [0, 1), eps > 0");
    if (o->kind != MG_OPTIM_SGD && o->kind != MG_OPTIM_ADAM)
        return mg_error_set(MG_EINVAL, "optimizer: unknown kind %d", (int)o->kind);
    if (o->schedule == MG_SCHEDULE_STEP && (o->step_size == 0 || !(o->gamma > 0 && o->gamma <= 1)))
        return mg_error_set(MG_EINVAL, "optimizer: step schedule needs step_size > 0 and gamma"
                                       " in (0, 1]");
    if (o->schedule == MG_SCHEDULE_COSINE && !(o->min_lr >= 0 && o->min_lr <= o->lr))
        return mg_error_set(MG_EINVAL, "optimizer: cosine schedule needs 0 <= min_lr <= lr");
    if ((unsigned)o->schedule > MG_SCHEDULE_COSINE)
        return mg_error_set(MG_EINVAL, "optimizer: unknown schedule %d", (int)o->schedule);
    return MG_OK;
}

int mg_optimizer_create(mg_optimizer **out, const mg_optim_options *o, size_t nparams,
                        const unsigned char *is_weight)
{
    mg_optimizer *p;
    size_t slots = o->kind == MG_OPTIM_ADAM ? 2 : 1;
    int rc;

    *out = NULL;
    if ((rc = check_options(o)) < 0)
        return rc;
    if (!(p = calloc(1, sizeof *p)))
        return mg_error_set(MG_ENOMEM, "optimizer: no memory");
    p->o = *o;
    p->n = nparams;
    p->state = calloc(slots * nparams + 1, sizeof *p->state);
    p->is_weight = malloc(nparams + 1);
    if (!p->state || !p->is_weight) {
        mg_optimizer_free(p);
        return mg_error_set(MG_ENOMEM, "optimizer: no memory for %zu parameters", nparams);
    }
    if (is_weight)
        memcpy(p->is_weight, is_weight, nparams);
    else
        memset(p->is_weight, 1, nparams);
    *out = p;
    return MG_OK;
}

void mg_optimizer_free(mg_optimizer *o)
{
    if (!o)
        return;
    free(o->state);
    free(o->is_weight);
    free(o);
}

double mg_optimizer_lr(const mg_optimizer *p)
{
    const mg_optim_options *o = &p->o;

    switch (o->schedule) {
    case MG_SCHEDULE_STEP:
        return o->lr * pow(o->gamma, (double)(p->t / o->step_size));
    case MG_SCHEDULE_COSINE: {
        /* Loshchilov & Hutter 2017 (SGDR), one cycle without restarts. */
        double T = o->total_steps ? (double)o->total_steps : 1.0;
        double t = (double)p->t < T ? (double)p->t : T;
        return o->min_lr + (o->lr - o->min_lr) * 0.5 * (1.0 + cos(M_PI * t / T));
    }
    default:
        return o->lr;
    }
}

size_t mg_optimizer_steps(const mg_optimizer *o)
{
    return o->t;
}

void mg_optimizer_step(mg_optimizer *p, double *w, double *g)
{
    const mg_optim_options *o = &p->o;
    double lr = mg_optimizer_lr(p);
    size_t n = p->n;

    if (o->l2 > 0)
        for (size_t i = 0; i < n; i++)
            g[i] += p->is_weight[i] ? o->l2 * w[i] : 0.0;
    p->t++;
    if (o->kind == MG_OPTIM_SGD) {
        double *v = p->state, mu = o->momentum;
        for (size_t i = 0; i < n; i++) {
            v[i] = mu * v[i] + g[i];
            w[i] -= lr * v[i];
        }
    } else {
        double *m = p->state, *v = p->state + n, b1 = o->beta1, b2 = o->beta2;
        double c1 = 1.0 - pow(b1, (double)p->t), c2 = 1.0 - pow(b2, (double)p->t);
        double step = lr / c1, inv_sc2 = 1.0 / sqrt(c2), eps = o->eps;
        for (size_t i = 0; i < n; i++) {
            m[i] = b1 * m[i] + (1.0 - b1) * g[i];
            v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
            w[i] -= step * m[i] / (sqrt(v[i]) * inv_sc2 + eps);
        }
    }
}

const double *mg_optimizer_state(const mg_optimizer *o, size_t *n)
{
    *n = (o->o.kind == MG_OPTIM_ADAM ? 2 : 1) * o->n;
    return o->state;
}

int mg_optimizer_restore(mg_optimizer *o, size_t steps, const double *state, size_t n)
{
    size_t want = (o->o.kind == MG_OPTIM_ADAM ? 2 : 1) * o->n;

    if (n != want)
        return mg_error_set(MG_EINVAL, "optimizer: state has %zu values, expected %zu", n, want);
    memcpy(o->state, state, n * sizeof *state);
    o->t = steps;
    return MG_OK;
}

const mg_optim_options *mg_optimizer_options(const mg_optimizer *o)
{
    return &o->o;
}
