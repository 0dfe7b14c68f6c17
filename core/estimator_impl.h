/* estimator_impl.h - inside of mg_estimator, shared by the loop, checkpoints and hooks. */
#ifndef ESTIMATOR_IMPL_H
#define ESTIMATOR_IMPL_H

#include "mg_estimator.h"
#include "mg_rng.h"
#include "network.h"

struct mg_estimator {
    mg_model *model;
    mg_run_config config;
    char *model_dir;
    mg_train_options opts;
    mg_optimizer *opt;
    mg_batch_sampler sampler;
    int custom_sampler;
    mg_grad_aggregator agg;
    mg_grad_clipper clip;
    model_scratch scratch;
    double *grad;           /* P */
    double *G, *losses;     /* batch_cap x P, batch_cap (custom aggregator only) */
    double *norms, *weights; /* batch_cap each (clipper only) */
    double *Xb, *yb;        /* the gathered batch */
    size_t batch_cap;
    int sparse;             /* this run's batches go through model_csr_gather */
    /* the default sampler */
    mg_rng order, epoch_start;
    size_t *perm, perm_n;
    int perm_ok;
    /* progress */
    size_t step, epoch, epoch_step, epoch_rows;
    double epoch_loss_sum, lr_last;
    double *train_curve, *eval_curve;
    size_t ncurve;
    double train_loss_last, eval_loss_last;
    mg_metrics last_eval;
    int have_eval;
    size_t ckpt_step; /* step of the last checkpoint written, when have_ckpt */
    int have_ckpt;
};

/*
 * Save a checkpoint "ckpt-<step>.mgm" into dir and delete all but the newest
 * `keep` (0 = keep all). Errors: MG_EIO, MG_ENOMEM.
 */
int estimator_checkpoint_rotate(mg_estimator *e, const char *dir, size_t keep);

#endif
