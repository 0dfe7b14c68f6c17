/* mg_optim.h - optimizers (SGD with momentum, Adam), L2 and learning-rate schedules. */
#ifndef MG_OPTIM_H
#define MG_OPTIM_H

#include <stddef.h>

typedef enum mg_optim_kind { MG_OPTIM_SGD = 0, MG_OPTIM_ADAM = 1 } mg_optim_kind;

typedef enum mg_schedule {
    MG_SCHEDULE_CONSTANT = 0, /* lr */
    MG_SCHEDULE_STEP = 1,     /* lr * gamma^floor(t / step_size) */
    MG_SCHEDULE_COSINE = 2    /* min_lr + (lr - min_lr) (1 + cos(pi t / total_steps)) / 2 */
} mg_schedule;

/*
 * The update rules are PyTorch's (torch.optim.SGD with momentum, dampening 0;
 * torch.optim.Adam, Kingma & Ba 2015 with bias correction), so settings carry
 * over. L2 adds l2 * w to the gradient of every weight (not the biases)
 * before the update, as torch's weight_decay does.
 */
typedef struct mg_optim_options {
    mg_optim_kind kind;
    double lr;
    double momentum; /* SGD */
    double beta1, beta2, eps; /* Adam */
    double l2;
    mg_schedule schedule;
    size_t step_size;   /* STEP: steps between decays */
    double gamma;       /* STEP: decay factor */
    size_t total_steps; /* COSINE: steps of the whole run */
    double min_lr;      /* COSINE: final rate */
} mg_optim_options;

#define MG_OPTIM_OPTIONS_INIT                                                                     \
    {MG_OPTIM_ADAM, 0.01, 0.9, 0.9, 0.999, 1e-8, 0.0, MG_SCHEDULE_CONSTANT, 1000, 0.1, 0, 0.0}

typedef struct mg_optimizer mg_optimizer;

/*
 * A new optimizer for `nparams` parameters. `is_weight` (nparams flags, may
 * be NULL = all weights) says where L2 applies; it is copied.
 * Errors: MG_EINVAL (a rate or factor out of range, naming it), MG_ENOMEM.
 */
int mg_optimizer_create(mg_optimizer **out, const mg_optim_options *o, size_t nparams,
                        const unsigned char *is_weight);
void mg_optimizer_free(mg_optimizer *o); /* NULL is a no-op */

/* The learning rate the next step will use. Cannot fail. */
double mg_optimizer_lr(const mg_optimizer *o);

/* Steps taken so far. */
size_t mg_optimizer_steps(const mg_optimizer *o);

/*
 * One update of params from grad (the gradient of the mean loss; grad is
 * used as scratch and left modified). Cannot fail.
 */
void mg_optimizer_step(mg_optimizer *o, double *params, double *grad);

/*
 * The state (step count and the moment vectors: SGD velocity, or Adam m then
 * v), for checkpoints: *n gets the number of doubles; the array is borrowed.
 * mg_optimizer_restore puts them back. Errors: MG_EINVAL (wrong length).
 */
const double *mg_optimizer_state(const mg_optimizer *o, size_t *n);
int mg_optimizer_restore(mg_optimizer *o, size_t steps, const double *state, size_t n);

const mg_optim_options *mg_optimizer_options(const mg_optimizer *o);
const char *mg_optim_kind_name(mg_optim_kind k);    /* "sgd", "adam" */
const char *mg_schedule_name(mg_schedule s);        /* "constant", "step", "cosine" */

#endif
