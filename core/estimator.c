/* estimator.c - the training loop: sampling, gradients, optimizer, evaluation, hooks. */
#include "estimator_impl.h"
#include "mg_error.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

mg_task mg_model_task(const mg_model *m)
{
    return m->head == HEAD_IDENTITY  ? MG_TASK_REGRESSION
           : m->head == HEAD_SIGMOID ? MG_TASK_BINARY
                                     : MG_TASK_MULTICLASS;
}

/* ---- the default sampler: seeded shuffled mini-batches, last one partial ---- */

/* The epoch's order is a function of the generator state at its start only,
 * so a checkpoint can rebuild it mid-epoch. */
static void regen_order(mg_estimator *e)
{
    mg_rng r = e->epoch_start;

    for (size_t i = 0; i < e->perm_n; i++)
        e->perm[i] = i;
    mg_rng_shuffle(&r, e->perm, e->perm_n);
    e->order = r;
    e->perm_ok = 1;
}

static int default_begin(void *ud, size_t n)
{
    mg_estimator *e = ud;
    size_t *p;

    if (n != e->perm_n) {
        if (!(p = realloc(e->perm, n * sizeof *p)))
            return mg_error_set(MG_ENOMEM, "estimator: no memory for %zu row indices", n);
        e->perm = p;
        e->perm_n = n;
        e->perm_ok = 0;
    }
    /* ceil(n / B) without n + B - 1, which wraps for a batch size near SIZE_MAX */
    e->sampler.steps_per_epoch = n / e->opts.batch_size + (n % e->opts.batch_size != 0);
    return MG_OK;
}

static int default_next(void *ud, const size_t **rows, size_t *count)
{
    mg_estimator *e = ud;
    size_t B = e->opts.batch_size, pos = e->epoch_step * B;

    if (!e->perm_ok)
        regen_order(e);
    *rows = e->perm + (pos < e->perm_n ? pos : e->perm_n);
    *count = pos < e->perm_n ? (e->perm_n - pos < B ? e->perm_n - pos : B) : 0;
    return MG_OK;
}

static void use_default_sampler(mg_estimator *e)
{
    e->sampler.ud = e;
    e->sampler.begin = default_begin;
    e->sampler.next = default_next;
    e->sampler.steps_per_epoch = 0;
    e->custom_sampler = 0;
}

/* ---- create / free ---- */

static int make_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return MG_OK;
    return mg_error_set_errno(MG_EIO, errno, "model dir %s", dir);
}

static int check_options(const mg_train_options *o, const mg_run_config *c)
{
    if (o->batch_size == 0)
        return mg_error_set(MG_EINVAL, "estimator: batch size must be at least 1");
    if (c->checkpoint_every && !c->model_dir)
        return mg_error_set(MG_EINVAL, "estimator: checkpoints need a model dir");
    return MG_OK;
}

int mg_estimator_create(mg_estimator **out, mg_model *model, const mg_run_config *config,
                        const mg_train_options *opts)
{
    mg_estimator *e = NULL;
    unsigned char *is_weight = NULL;
    size_t P = mg_model_params(model);
    int rc;

    *out = NULL;
    if ((rc = check_options(opts, config)) < 0) {
        mg_model_free(model);
        return rc;
    }
    if (!(e = calloc(1, sizeof *e))) {
        mg_model_free(model);
        return mg_error_set(MG_ENOMEM, "estimator: no memory");
    }
    e->model = model;
    e->config = *config;
    e->opts = *opts;
    e->eval_loss_last = e->train_loss_last = NAN;
    if (config->model_dir && (!(e->model_dir = strdup(config->model_dir)) ||
                              (rc = make_dir(config->model_dir)) < 0)) {
        if (!e->model_dir)
            rc = mg_error_set(MG_ENOMEM, "estimator: no memory");
        goto done;
    }
    e->config.model_dir = e->model_dir;
    if (!(is_weight = malloc(P + 1)) || !(e->grad = malloc((P + 1) * sizeof *e->grad))) {
        rc = mg_error_set(MG_ENOMEM, "estimator: no memory for %zu parameters", P);
        goto done;
    }
    for (size_t i = 0; i < P; i++)
        is_weight[i] = (unsigned char)mg_model_param_is_weight(model, i);
    if ((rc = mg_optimizer_create(&e->opt, &opts->optim, P, is_weight)) < 0)
        goto done;
    if (opts->init_params)
        mg_model_init_params(model, config->seed);
    mg_rng_seed_stream(&e->order, config->seed, 0xba7c);
    e->epoch_start = e->order;
    use_default_sampler(e);
    *out = e;
    e = NULL;
done:
    free(is_weight);
    mg_estimator_free(e);
    return rc;
}

/* Everything but the model; returns the struct itself for the caller to free. */
static mg_estimator *release_buffers(mg_estimator *e)
{
    mg_optimizer_free(e->opt);
    model_scratch_free(&e->scratch);
    free(e->grad);
    free(e->G);
    free(e->losses);
    free(e->norms);
    free(e->weights);
    free(e->Xb);
    free(e->yb);
    free(e->perm);
    free(e->train_curve);
    free(e->eval_curve);
    free(e->model_dir);
    mg_metrics_free(&e->last_eval);
    return e;
}

void mg_estimator_free(mg_estimator *e)
{
    if (!e)
        return;
    mg_model_free(e->model);
    free(release_buffers(e));
}

mg_model *mg_estimator_release(mg_estimator *e)
{
    mg_model *m;

    if (!e)
        return NULL;
    m = e->model;
    free(release_buffers(e));
    return m;
}

void mg_estimator_set_batch_sampler(mg_estimator *e, const mg_batch_sampler *s)
{
    if (!s) {
        use_default_sampler(e);
        return;
    }
    e->sampler = *s;
    e->custom_sampler = 1;
}

void mg_estimator_set_grad_aggregator(mg_estimator *e, const mg_grad_aggregator *g)
{
    if (g)
        e->agg = *g;
    else
        memset(&e->agg, 0, sizeof e->agg);
}

void mg_estimator_set_grad_clipper(mg_estimator *e, const mg_grad_clipper *c)
{
    if (c)
        e->clip = *c;
    else
        memset(&e->clip, 0, sizeof e->clip);
}

/* ---- the loop ---- */

static int reserve_batch(mg_estimator *e, size_t rows)
{
    size_t width = mg_model_inputs(e->model), P = mg_model_params(e->model);
    int clipping = e->clip.weigh != NULL;
    int per_example = e->agg.aggregate != NULL && !clipping;
    double *Xb, *yb, *G = NULL, *losses = NULL;
    int rc;

    if (rows > e->batch_cap || (per_example && !e->G) || (clipping && !e->norms)) {
        size_t cap = rows > e->batch_cap ? rows : e->batch_cap;
        if (cap == 0)
            cap = 1; /* an empty first batch (Poisson sampling) still gets buffers */
        if (!(Xb = realloc(e->Xb, cap * width * sizeof *Xb)))
            return mg_error_set(MG_ENOMEM, "estimator: no memory for a batch of %zu", cap);
        e->Xb = Xb;
        if (!(yb = realloc(e->yb, cap * sizeof *yb)))
            return mg_error_set(MG_ENOMEM, "estimator: no memory for a batch of %zu", cap);
        e->yb = yb;
        if (per_example) {
            if (!(G = realloc(e->G, cap * P * sizeof *G)))
                return mg_error_set(MG_ENOMEM, "estimator: no memory for %zu x %zu per-example"
                                               " gradients", cap, P);
            e->G = G;
            if (!(losses = realloc(e->losses, cap * sizeof *losses)))
                return mg_error_set(MG_ENOMEM, "estimator: no memory");
            e->losses = losses;
        }
        if (clipping) {
            double *nrm = realloc(e->norms, cap * sizeof *nrm), *w;
            if (nrm)
                e->norms = nrm;
            if (!nrm || !(w = realloc(e->weights, cap * sizeof *w)))
                return mg_error_set(MG_ENOMEM, "estimator: no memory for %zu norms", cap);
            e->weights = w;
        }
        e->batch_cap = cap;
    }
    if ((rc = model_scratch_reserve(&e->scratch, e->model, rows)) < 0)
        return rc;
    return MG_OK;
}

/*
 * Copy the batch's rows together. Rows are scattered over the whole data
 * set, so each copy waits on memory; fetching the rows a few ahead keeps
 * several misses in flight.
 */
static void gather(double *Xb, double *yb, const mg_input *in, const size_t *rows, size_t n,
                   size_t width)
{
    enum { AHEAD = 4, LINE = 64 / sizeof(double) };

    for (size_t b = 0; b < n; b++) {
        if (b + AHEAD < n) {
            const double *next = in->X + rows[b + AHEAD] * width;
            for (size_t k = 0; k < width; k += LINE)
                __builtin_prefetch(next + k);
        }
        memcpy(Xb + b * width, in->X + rows[b] * width, width * sizeof *Xb);
        yb[b] = in->y[rows[b]];
    }
}

/* One optimizer step on the rows the sampler picks; *loss_sum, *count for the curves. */
static int take_step(mg_estimator *e, const mg_input *in, double *loss_sum, size_t *count)
{
    size_t width = mg_model_inputs(e->model), P = mg_model_params(e->model), n;
    const size_t *rows;
    int rc;

    if ((rc = e->sampler.next(e->sampler.ud, &rows, &n)) < 0)
        return rc;
    if ((rc = reserve_batch(e, n)) < 0)
        return rc;
    for (size_t b = 0; b < n; b++)
        if (rows[b] >= in->n)
            return mg_error_set(MG_EINVAL, "estimator: sampler gave row %zu of %zu", rows[b],
                                in->n);
    if (e->sparse) {
        for (size_t b = 0; b < n; b++)
            e->yb[b] = in->y[rows[b]];
        if ((rc = model_csr_gather(&e->scratch, e->model, in->X, rows, n)) < 0)
            return rc;
        if (e->clip.weigh) {
            if ((rc = model_backprop_weighted_csr(&e->scratch, e->model, e->yb, n, e->norms,
                                                  e->weights, e->clip.weigh, e->clip.ud,
                                                  e->grad, loss_sum)) < 0 ||
                (rc = e->clip.finish(e->clip.ud, e->grad, n, P, e->step)) < 0)
                return rc;
        } else {
            if ((rc = model_backprop_csr(&e->scratch, e->model, e->yb, n, e->grad,
                                         loss_sum)) < 0)
                return rc;
            for (size_t i = 0; n && i < P; i++)
                e->grad[i] /= (double)n;
        }
    } else if (gather(e->Xb, e->yb, in, rows, n, width), e->clip.weigh) {
        if ((rc = model_backprop_weighted(&e->scratch, e->model, e->Xb, e->yb, n, e->norms,
                                          e->weights, e->clip.weigh, e->clip.ud, e->grad,
                                          loss_sum)) < 0 ||
            (rc = e->clip.finish(e->clip.ud, e->grad, n, P, e->step)) < 0)
            return rc;
    } else if (e->agg.aggregate) {
        if ((rc = model_backprop(&e->scratch, e->model, e->Xb, e->yb, n, NULL, n ? e->G : NULL,
                                 e->losses, loss_sum)) < 0 ||
            (rc = e->agg.aggregate(e->agg.ud, e->grad, n ? e->G : NULL, n, P, e->step)) < 0)
            return rc;
    } else {
        if ((rc = model_backprop(&e->scratch, e->model, e->Xb, e->yb, n, e->grad, NULL, NULL,
                                 loss_sum)) < 0)
            return rc;
        for (size_t i = 0; n && i < P; i++)
            e->grad[i] /= (double)n;
    }
    e->lr_last = mg_optimizer_lr(e->opt);
    mg_optimizer_step(e->opt, mg_model_param_data_mut(e->model), e->grad);
    *count = n;
    return MG_OK;
}

static int push_curve(double **curve, size_t n, double v)
{
    double *c = realloc(*curve, (n + 1) * sizeof *c);
    if (!c)
        return mg_error_set(MG_ENOMEM, "estimator: no memory for the loss curve");
    c[n] = v;
    *curve = c;
    return MG_OK;
}

/* Evaluate on `eval` (when given) and run the hooks' after_eval; 1 when one asks to stop. */
static int evaluate_hooks(mg_estimator *e, const mg_input *eval, const mg_hook *hooks,
                          size_t nhooks, mg_train_state *s)
{
    int rc, stop = 0;

    if (eval && eval->n) {
        mg_metrics_free(&e->last_eval);
        if ((rc = mg_estimator_evaluate(&e->last_eval, e, eval)) < 0)
            return rc;
        e->have_eval = 1;
        e->eval_loss_last = e->last_eval.loss;
    }
    s->eval_loss = e->eval_loss_last;
    s->eval = e->have_eval ? &e->last_eval : NULL;
    for (size_t h = 0; h < nhooks; h++) {
        if (!hooks[h].after_eval)
            continue;
        if ((rc = hooks[h].after_eval(hooks[h].ud, e, s)) < 0)
            return rc;
        stop |= rc > 0;
    }
    return stop;
}

/* Close an epoch: record the train loss, evaluate, record the eval loss. */
static int end_epoch(mg_estimator *e, const mg_input *eval, const mg_hook *hooks, size_t nhooks,
                     mg_train_state *s)
{
    int rc, stop;

    e->train_loss_last = e->epoch_rows ? e->epoch_loss_sum / (double)e->epoch_rows : NAN;
    e->epoch++;
    e->epoch_step = 0;
    e->epoch_loss_sum = 0;
    e->epoch_rows = 0;
    e->epoch_start = e->order;
    e->perm_ok = 0;
    s->epoch = e->epoch;
    s->train_loss = e->train_loss_last;
    if ((stop = evaluate_hooks(e, eval, hooks, nhooks, s)) < 0)
        return stop;
    if ((rc = push_curve(&e->train_curve, e->ncurve, e->train_loss_last)) < 0 ||
        (rc = push_curve(&e->eval_curve, e->ncurve, e->eval_loss_last)) < 0)
        return rc;
    e->ncurve++;
    return stop;
}

static int run_after_step(mg_estimator *e, const mg_hook *hooks, size_t nhooks,
                          const mg_train_state *s)
{
    int rc, stop = 0;

    for (size_t h = 0; h < nhooks; h++) {
        if (!hooks[h].after_step)
            continue;
        if ((rc = hooks[h].after_step(hooks[h].ud, e, s)) < 0)
            return rc;
        stop |= rc > 0;
    }
    if (e->config.checkpoint_every && e->step % e->config.checkpoint_every == 0 &&
        (rc = estimator_checkpoint_rotate(e, e->config.model_dir, e->config.keep_checkpoints)) < 0)
        return rc;
    return stop;
}

static int check_input(const mg_estimator *e, const mg_input *in, const char *what)
{
    if (!in || in->n == 0 || !in->X || !in->y)
        return mg_error_set(MG_EINVAL, "estimator: no %s rows", what);
    (void)e;
    return MG_OK;
}

static int train_loop(mg_estimator *e, const mg_input *train, const mg_input *eval,
                      const mg_hook *hooks, size_t nhooks, mg_train_state *s)
{
    int rc = MG_OK;

    /* Mostly-zero inputs (one-hot blocks) take the sparse first layer, the clipper's
     * too (norms from deltas and |x|^2), unless an aggregator needs the dense rows. */
    e->sparse = (e->clip.weigh || !e->agg.aggregate) &&
                model_sparse_pays(e->model, train->X, train->n);
    while (e->step < s->total_steps) {
        double loss_sum = 0;
        size_t count = 0;

        if ((rc = take_step(e, train, &loss_sum, &count)) < 0)
            return rc;
        e->step++;
        e->epoch_step++;
        e->epoch_loss_sum += loss_sum;
        e->epoch_rows += count;
        s->step = e->step;
        s->batch = count;
        s->loss = count ? loss_sum / (double)count : NAN;
        s->lr = e->lr_last;
        if ((rc = run_after_step(e, hooks, nhooks, s)) != 0)
            return rc;
        if (e->epoch_step >= e->sampler.steps_per_epoch)
            rc = end_epoch(e, eval, hooks, nhooks, s);
        else if (e->config.eval_every && e->step % e->config.eval_every == 0)
            rc = evaluate_hooks(e, eval, hooks, nhooks, s);
        if (rc != 0)
            return rc;
    }
    return MG_OK;
}

int mg_estimator_train(mg_estimator *e, const mg_input *train, const mg_input *eval,
                       const mg_hook *hooks, size_t nhooks, size_t max_steps)
{
    mg_train_state s;
    int rc;

    if ((rc = check_input(e, train, "training")) < 0)
        return rc;
    if (e->sampler.begin && (rc = e->sampler.begin(e->sampler.ud, train->n)) < 0)
        return rc;
    if (e->sampler.steps_per_epoch == 0)
        return mg_error_set(MG_EINVAL, "estimator: the batch sampler has 0 steps per epoch");
    memset(&s, 0, sizeof s);
    s.step = e->step;
    s.epoch = e->epoch;
    /* a total beyond size_t (absurd epochs) saturates; hooks only show it */
    if (max_steps)
        s.total_steps = max_steps;
    else if (e->opts.epochs > SIZE_MAX / e->sampler.steps_per_epoch)
        s.total_steps = SIZE_MAX;
    else
        s.total_steps = e->opts.epochs * e->sampler.steps_per_epoch;
    s.loss = s.lr = NAN;
    s.train_loss = e->train_loss_last;
    s.eval_loss = e->eval_loss_last;
    s.eval = e->have_eval ? &e->last_eval : NULL;
    for (size_t h = 0; h < nhooks; h++)
        if (hooks[h].begin && (rc = hooks[h].begin(hooks[h].ud, e)) < 0)
            return rc;
    if ((rc = train_loop(e, train, eval, hooks, nhooks, &s)) < 0)
        return rc;
    if (e->config.model_dir &&
        (rc = estimator_checkpoint_rotate(e, e->config.model_dir, e->config.keep_checkpoints)) < 0)
        return rc;
    for (size_t h = 0; h < nhooks; h++)
        if (hooks[h].end && (rc = hooks[h].end(hooks[h].ud, e, &s)) < 0)
            return rc;
    return MG_OK;
}

int mg_estimator_evaluate(mg_metrics *out, const mg_estimator *e, const mg_input *in)
{
    const mg_model *m = e->model;
    size_t K = mg_model_outputs(m);
    double *pred;
    int rc;

    *out = (mg_metrics)MG_METRICS_INIT;
    if ((rc = check_input(e, in, "evaluation")) < 0)
        return rc;
    if (!(pred = malloc(in->n * K * sizeof *pred)))
        return mg_error_set(MG_ENOMEM, "estimator: no memory for %zu predictions", in->n);
    if ((rc = mg_model_predict_encoded(m, in->X, in->n, pred)) == MG_OK)
        rc = mg_metrics_compute(out, mg_model_task(m), in->y, pred, in->n, mg_model_classes(m),
                                mg_model_regression_loss(m) == MG_LOSS_MAE);
    free(pred);
    return rc;
}

int mg_estimator_predict(double *out, const mg_estimator *e, const double *X, size_t n)
{
    return mg_model_predict_encoded(e->model, X, n, out);
}

const mg_model *mg_estimator_model(const mg_estimator *e)
{
    return e->model;
}

mg_model *mg_estimator_model_mut(mg_estimator *e)
{
    return e->model;
}

size_t mg_estimator_global_step(const mg_estimator *e)
{
    return e->step;
}

size_t mg_estimator_epoch(const mg_estimator *e)
{
    return e->epoch;
}

double mg_estimator_lr(const mg_estimator *e)
{
    return mg_optimizer_lr(e->opt);
}

const mg_run_config *mg_estimator_config(const mg_estimator *e)
{
    return &e->config;
}

const mg_train_options *mg_estimator_options(const mg_estimator *e)
{
    return &e->opts;
}

const double *mg_estimator_train_loss(const mg_estimator *e, size_t *n)
{
    *n = e->ncurve;
    return e->train_curve;
}

const double *mg_estimator_eval_loss(const mg_estimator *e, size_t *n)
{
    *n = e->ncurve;
    return e->eval_curve;
}
