/* train.c - one training run: label, split, pipeline, model, Estimator, DP-SGD, metrics. */
#include "mg_train.h"

#include "mg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A message in the caller's words: flag_fmt for the CLI, field_fmt for the API. Both take the
 * same arguments; a field message swallows the data set's name with "%.0s". */
#define WORDS(s, flag_fmt, field_fmt) ((s)->names == MG_TRAIN_FIELDS ? (field_fmt) : (flag_fmt))

/* Everything one run holds while it is made. */
typedef struct run {
    const mg_train_spec *s;
    const mg_dataset *ds;
    const char *name; /* the data set's name, for messages */
    long label_col;
    const char **features;
    size_t nfeatures;
    char **classes;
    size_t nclasses;
    size_t default_hidden[2];
    mg_model_spec mspec;
    mg_train_options to;
    mg_run_config rc;
    size_t *valid, nvalid;
    mg_split split;
    mg_dataset *test_ds;
    double *Xtr, *ytr, *Xte, *yte;
    mg_dpsgd *dp;
    mg_train_result *res;
} run;

static int check_spec(const mg_train_spec *s)
{
    if (!s->label)
        return mg_error_set(MG_EINVAL, WORDS(s, "--label: required", "field 'label': required"));
    if ((unsigned)s->model > MG_MODEL_MLP)
        return mg_error_set(MG_EINVAL, WORDS(s, "--model: unknown model type %d",
                                             "field 'model': unknown model type %d"),
                            (int)s->model);
    if (s->epochs == 0)
        return mg_error_set(MG_EINVAL, WORDS(s, "--epochs must be at least 1",
                                             "field 'epochs': must be at least 1"));
    if (s->batch == 0)
        return mg_error_set(MG_EINVAL, WORDS(s, "--batch must be at least 1",
                                             "field 'batch': must be at least 1"));
    if (!(s->test_fraction >= 0 && s->test_fraction < 1))
        return mg_error_set(MG_EINVAL, WORDS(s, "--test-fraction: expected a share in [0, 1)",
                                             "field 'test_fraction': expected a share in [0, 1)"));
    for (size_t i = 0; i < s->nhidden; i++)
        if (s->hidden[i] == 0)
            return mg_error_set(MG_EINVAL, WORDS(s, "--hidden: sizes must be positive",
                                                 "field 'hidden[%zu]': must be positive"),
                                i);
    if (s->checkpoint_every && !s->model_dir)
        return mg_error_set(MG_EINVAL, WORDS(s, "--checkpoint-every needs --model-dir",
                                             "field 'checkpoint_every': needs a model_dir"));
    return MG_OK;
}

/* Feature columns: all but the label and spec.ignore. */
static int pick_features(run *r)
{
    const mg_train_spec *s = r->s;
    size_t cols = mg_dataset_cols(r->ds);

    for (size_t i = 0; i < s->nignore; i++)
        if (mg_dataset_col_find(r->ds, s->ignore[i]) < 0)
            return s->names == MG_TRAIN_FIELDS
                       ? mg_error_set(MG_ENOTFOUND,
                                      "field 'ignore[%zu]': no column '%s' in the data set", i,
                                      s->ignore[i])
                       : mg_error_set(MG_ENOTFOUND, "--ignore: no column '%s' in %s",
                                      s->ignore[i], r->name);
    if (!(r->features = calloc(cols + 1, sizeof *r->features)))
        return mg_error_set(MG_ENOMEM, "no memory");
    for (size_t c = 0; c < cols; c++) {
        const char *name = mg_dataset_col_name(r->ds, c);
        int skip = (long)c == r->label_col;
        for (size_t i = 0; !skip && i < s->nignore; i++)
            skip = strcmp(name, s->ignore[i]) == 0;
        if (!skip)
            r->features[r->nfeatures++] = name;
    }
    if (r->nfeatures == 0)
        return mg_error_set(MG_EINVAL, WORDS(s, "%s: no feature columns left besides the label",
                                             "%.0sno feature columns left besides the label"),
                            r->name);
    return MG_OK;
}

/* The model spec, the label's classes, and which kind of head the model gets. */
static int pick_model(run *r)
{
    const mg_train_spec *s = r->s;
    mg_model_type t = s->model;
    int numeric = mg_dataset_col_numeric(r->ds, (size_t)r->label_col) != NULL;
    int regression = t == MG_MODEL_LINEAR || (t == MG_MODEL_MLP && numeric && !s->positive);
    int rc;

    r->mspec = (mg_model_spec)MG_MODEL_SPEC_INIT;
    r->mspec.type = t;
    r->mspec.label = s->label;
    r->mspec.activation = s->activation;
    r->mspec.loss = s->loss;
    r->mspec.hidden = s->hidden;
    r->mspec.nhidden = s->nhidden;
    if (t == MG_MODEL_MLP && s->nhidden == 0) {
        r->default_hidden[0] = 32;
        r->default_hidden[1] = 16;
        r->mspec.hidden = r->default_hidden;
        r->mspec.nhidden = 2;
    }
    if (regression) {
        if (!numeric)
            return mg_error_set(MG_EINVAL,
                                WORDS(s, "--label: '%s' holds text in %s; %s regression needs"
                                         " numbers",
                                      "field 'label': '%s' holds text%.0s; a%.0s regression needs"
                                      " numbers"),
                                s->label, r->name, t == MG_MODEL_LINEAR ? "linear" : "MLP");
        if (s->positive)
            return mg_error_set(MG_EINVAL,
                                WORDS(s, "--positive: a linear regression has no classes",
                                      "field 'positive': a regression has no classes"));
        return MG_OK;
    }
    if ((rc = mg_label_classes(&r->classes, &r->nclasses, r->ds, (size_t)r->label_col, NULL, 0,
                               s->positive)) < 0)
        return rc;
    if (t == MG_MODEL_LOGISTIC && r->nclasses != 2)
        return mg_error_set(MG_EINVAL,
                            WORDS(s, "--label: '%s' has %zu values in %s; logistic regression"
                                     " needs exactly 2 (use --model softmax or mlp)",
                                  "field 'label': '%s' has %zu values%.0s; logistic regression "
                                  "needs 2 (use softmax or mlp)"),
                            s->label, r->nclasses, r->name);
    r->mspec.classes = r->nclasses;
    r->mspec.class_names = (const char *const *)r->classes;
    return MG_OK;
}

/* Rows with a label, then the train / test split over them. */
static int split_rows(run *r)
{
    const mg_train_spec *s = r->s;
    size_t rows = mg_dataset_rows(r->ds);
    double *y = NULL;
    int32_t *strata = NULL;
    mg_model *probe = NULL;
    int rc;

    /* A model without a pipeline maps label values to targets for the split. */
    r->mspec.inputs = 1;
    if ((rc = mg_model_create(&probe, &r->mspec, NULL)) < 0)
        return rc;
    if (!(y = malloc((rows ? rows : 1) * sizeof *y)) ||
        !(r->valid = malloc((rows ? rows : 1) * sizeof *r->valid)) ||
        !(strata = malloc((rows ? rows : 1) * sizeof *strata))) {
        rc = mg_error_set(MG_ENOMEM, "no memory for %zu rows", rows);
        goto done;
    }
    if ((rc = mg_model_targets(y, probe, r->ds, (size_t)r->label_col, NULL, rows)) < 0)
        goto done;
    for (size_t i = 0; i < rows; i++)
        if (!isnan(y[i])) {
            strata[r->nvalid] = r->nclasses ? (int32_t)y[i] : -1;
            r->valid[r->nvalid++] = i;
        }
    r->res->dropped = rows - r->nvalid;
    if (r->nvalid == 0) {
        rc = mg_error_set(MG_EINVAL, WORDS(s, "--label: every value of '%s' in %s is missing",
                                           "field 'label': every value of '%s'%.0s is missing"),
                          s->label, r->name);
        goto done;
    }
    rc = mg_split_make(&r->split, r->nvalid, 0.0, s->test_path ? 0.0 : s->test_fraction, s->seed,
                       s->stratify && r->nclasses ? strata : NULL);
    for (size_t i = 0; rc == MG_OK && i < r->split.ntrain; i++)
        r->split.train[i] = r->valid[r->split.train[i]];
    for (size_t i = 0; rc == MG_OK && i < r->split.ntest; i++)
        r->split.test[i] = r->valid[r->split.test[i]];
    if (rc == MG_OK && r->split.ntrain == 0)
        rc = mg_error_set(MG_EINVAL, WORDS(s, "%s: no training rows left after the split",
                                           "%.0sno training rows left after the split"),
                          r->name);
done:
    mg_model_free(probe);
    free(strata);
    free(y);
    return rc;
}

/* Optimizer and schedule: step decays x0.1 after each third of the run; cosine goes to 0. */
static void set_options(run *r)
{
    const mg_train_spec *s = r->s;
    mg_optim_options *o = &r->to.optim;
    size_t spe = (r->split.ntrain + s->batch - 1) / s->batch, total = spe * s->epochs;

    r->to = (mg_train_options)MG_TRAIN_OPTIONS_INIT;
    r->to.epochs = s->epochs;
    r->to.batch_size = s->batch;
    o->kind = s->optimizer;
    o->lr = !isnan(s->lr) ? s->lr : s->optimizer == MG_OPTIM_SGD ? 0.1 : 0.01;
    o->momentum = s->momentum;
    o->l2 = s->l2;
    o->schedule = s->schedule;
    o->step_size = total / 3 ? total / 3 : 1;
    o->gamma = 0.1;
    o->total_steps = total;
    o->min_lr = 0.0;
    r->rc = (mg_run_config)MG_RUN_CONFIG_INIT;
    r->rc.seed = s->seed;
    r->rc.model_dir = s->model_dir;
    r->rc.checkpoint_every = s->checkpoint_every;
    r->rc.keep_checkpoints = s->keep_checkpoints;
}

/* DP-SGD for the training rows: q = batch / rows unless given, installed on the estimator. */
static int attach_dp(run *r)
{
    const mg_train_dp_spec *d = &r->s->dp;
    mg_dpsgd_options o = MG_DPSGD_OPTIONS_INIT;
    size_t rows = r->split.ntrain;
    int rc;

    if (!d->on)
        return MG_OK;
    o.sample_rate = d->sample_rate;
    if (!(o.sample_rate > 0)) {
        if (r->s->batch > rows && !d->clamp_rate)
            return mg_error_set(MG_EINVAL,
                                WORDS(r->s, "--batch %zu: DP-SGD's expected batch must not exceed"
                                            " the %zu training rows",
                                      "field 'batch': DP-SGD's expected batch %zu must not "
                                      "exceed the %zu training rows"),
                                r->s->batch, rows);
        o.sample_rate = fmin(1.0, (double)r->s->batch / (double)rows);
    }
    o.max_grad_norm = d->max_grad_norm;
    o.noise_multiplier = d->noise_multiplier;
    o.target_epsilon = d->target_epsilon;
    o.delta = d->delta;
    o.max_epsilon = d->max_epsilon;
    o.insecure = d->insecure;
    o.insecure_seed = d->insecure_seed;
    if ((rc = mg_dpsgd_create(&r->dp, &o, rows, r->s->epochs, d->prior_rdp)) < 0)
        return rc;
    mg_dpsgd_attach(r->dp, r->res->est);
    return MG_OK;
}

static int build(run *r)
{
    const mg_train_spec *s = r->s;
    mg_train_result *res = r->res;
    mg_pipeline *p = NULL;
    mg_model *m = NULL;
    int rc;

    if ((rc = mg_pipeline_fit(&p, r->ds, r->split.train, r->split.ntrain, r->features,
                              r->nfeatures)) < 0 ||
        (rc = mg_model_create(&m, &r->mspec, p)) < 0)
        return rc;
    set_options(r);
    if ((rc = mg_estimator_create(&res->est, m, &r->rc, &r->to)) < 0)
        return rc;
    m = mg_estimator_model_mut(res->est);
    res->ntrain = r->split.ntrain;
    if ((rc = mg_model_encode(&r->Xtr, &r->ytr, NULL, m, r->ds, r->label_col, r->split.train,
                              r->split.ntrain)) < 0 ||
        (rc = attach_dp(r)) < 0)
        return rc;
    if (s->test_path) {
        size_t unknown;
        if ((rc = mg_train_open_for_model(&r->test_ds, s->test_path, m)) < 0)
            return rc;
        return mg_train_encode_for_model(&r->Xte, &r->yte, &res->ntest, &res->test_dropped,
                                         &unknown, m, r->test_ds, s->label);
    }
    res->ntest = r->split.ntest;
    if (!res->ntest)
        return MG_OK;
    return mg_model_encode(&r->Xte, &r->yte, NULL, m, r->ds, r->label_col, r->split.test,
                           r->split.ntest);
}

/* Per-epoch losses: {"train":[...],"eval":[...]}, NaN as null. */
static json_t *loss_curves(const mg_estimator *e)
{
    size_t n[2];
    const double *c[2] = {mg_estimator_train_loss(e, &n[0]), mg_estimator_eval_loss(e, &n[1])};
    json_t *out = json_pack("{s:[], s:[]}", "train", "eval");

    for (int k = 0; out && k < 2; k++) {
        json_t *a = json_object_get(out, k ? "eval" : "train");
        for (size_t i = 0; i < n[k]; i++)
            json_array_append_new(a, isfinite(c[k][i]) ? json_real(c[k][i]) : json_null());
    }
    return out;
}

static int fit(run *r, mg_progress_fn progress, void *ud)
{
    const mg_train_spec *s = r->s;
    mg_train_result *res = r->res;
    mg_input tr = {r->Xtr, r->ytr, res->ntrain}, te = {r->Xte, r->yte, res->ntest};
    mg_hook hooks[4];
    size_t nh = 0;
    struct timespec t0, t1;
    int rc = MG_OK;

    memset(hooks, 0, sizeof hooks);
    if (progress)
        rc = mg_hook_progress(&hooks[nh++], progress, ud);
    if (rc == MG_OK && s->log_every)
        rc = mg_hook_logging(&hooks[nh++], s->log_every);
    if (rc == MG_OK && s->early_stopping)
        rc = mg_hook_early_stopping(&hooks[nh++], "loss", s->early_stopping);
    if (rc == MG_OK && r->dp)
        hooks[nh++] = mg_dpsgd_hook(r->dp); /* borrowed: mg_hook_free does nothing to it */
    if (rc == MG_OK) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = mg_estimator_train(res->est, &tr, te.n ? &te : NULL, hooks, nh, 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        res->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    for (size_t h = 0; h < nh; h++)
        mg_hook_free(&hooks[h]);
    if (rc == MG_OK && te.n) {
        rc = mg_estimator_evaluate(&res->metrics, res->est, &te);
        res->have_metrics = rc == MG_OK;
    }
    return rc;
}

/* What the run leaves in the model: data sha256, metrics, the DP record; the curves. */
static int record(run *r)
{
    mg_train_result *res = r->res;
    mg_model *m = mg_estimator_model_mut(res->est);
    int rc;

    if ((rc = mg_model_set_data_sha256(m, mg_dataset_sha256(r->ds))) < 0)
        return rc;
    if (r->dp) {
        if ((rc = mg_dpsgd_report_get(&res->dp, r->dp, r->s->dp.with_prv)) < 0 ||
            (rc = mg_dpsgd_report_record(&res->dp, m)) < 0)
            return rc;
        res->have_dp = 1;
    }
    if (res->have_metrics) {
        if (!(res->metrics_json = mg_metrics_to_json(&res->metrics)))
            return mg_error_set(MG_ENOMEM, "no memory");
        json_object_update(mg_model_metrics(m), res->metrics_json);
    }
    if (!(res->loss_curves = loss_curves(res->est)))
        return mg_error_set(MG_ENOMEM, "no memory");
    return MG_OK;
}

int mg_train_run(mg_train_result **out, const mg_dataset *train, const mg_train_spec *spec,
                 mg_progress_fn progress, void *ud)
{
    run r;
    int rc;

    *out = NULL;
    memset(&r, 0, sizeof r);
    r.s = spec;
    r.ds = train;
    r.name = mg_dataset_name(train);
    if ((rc = check_spec(spec)) < 0)
        return rc;
    if (!(r.res = calloc(1, sizeof *r.res)))
        return mg_error_set(MG_ENOMEM, "no memory");
    if (mg_dataset_rows(train) == 0) {
        rc = mg_error_set(MG_EINVAL, WORDS(spec, "%s: no data rows", "%.0sno data rows"), r.name);
        goto done;
    }
    if ((r.label_col = mg_dataset_col_find(train, spec->label)) < 0) {
        rc = mg_error_set(MG_ENOTFOUND, WORDS(spec, "--label: no column '%s' in %s",
                                              "field 'label': no column '%s' in the data set%.0s"),
                          spec->label, r.name);
        goto done;
    }
    if ((rc = pick_features(&r)) < 0 || (rc = pick_model(&r)) < 0 || (rc = split_rows(&r)) < 0 ||
        (rc = build(&r)) < 0 || (rc = fit(&r, progress, ud)) < 0 || (rc = record(&r)) < 0)
        goto done;
    *out = r.res;
    r.res = NULL;
done:
    mg_train_result_free(r.res);
    mg_dpsgd_free(r.dp);
    free(r.Xtr);
    free(r.ytr);
    free(r.Xte);
    free(r.yte);
    mg_dataset_close(r.test_ds);
    mg_split_free(&r.split);
    free(r.valid);
    free(r.features);
    if (r.classes)
        mg_label_classes_free(r.classes, r.nclasses);
    return rc;
}

void mg_train_result_free(mg_train_result *r)
{
    if (!r)
        return;
    mg_estimator_free(r->est);
    mg_metrics_free(&r->metrics);
    json_decref(r->metrics_json);
    json_decref(r->loss_curves);
    free(r);
}
