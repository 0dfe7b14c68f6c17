/* train.c - one training run from a JSON spec: data, split, pipeline, estimator, artifact. */
#define _POSIX_C_SOURCE 200809L
#include "train.h"
#include "jobs.h"

#include "mg_dataset.h"
#include "mg_error.h"
#include "mg_estimator.h"
#include "mg_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const model_types[] = {"linear", "logistic", "softmax", "mlp", NULL};
static const char *const optimizers[] = {"adam", "sgd", NULL};
static const char *const activations[] = {"relu", "tanh", NULL};

static const web_field dp_fields[] = {
    {"max_grad_norm", WEB_NUMBER, 1, "per-example clipping norm C", NULL, WEB_ANY, NULL},
    {"noise_multiplier", WEB_NUMBER, 0, "noise multiplier sigma", NULL, WEB_ANY, NULL},
    {"target_epsilon", WEB_NUMBER, 0, "calibrate sigma to spend at most this epsilon", NULL,
     WEB_ANY, NULL},
    {"delta", WEB_NUMBER, 1, "target delta", NULL, WEB_ANY, NULL},
    {"sample_rate", WEB_NUMBER, 0, "Poisson sampling rate q (default batch / rows)", NULL,
     WEB_ANY, NULL},
    {"max_epsilon", WEB_NUMBER, 0, "refuse to spend past this epsilon (prior runs included)",
     NULL, WEB_ANY, NULL},
    {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};

const web_field web_train_fields[] = {
    {"dataset", WEB_STRING, 1, "training data set: its id or sha256", NULL, WEB_ANY, NULL},
    {"label", WEB_STRING, 1, "label column", NULL, WEB_ANY, NULL},
    {"positive", WEB_STRING, 0, "label value of the positive class (binary models)", NULL,
     WEB_ANY, NULL},
    {"model", WEB_STRING, 1, "model type", NULL, WEB_ANY, model_types},
    {"hidden", WEB_ARRAY, 0, "MLP hidden layer sizes (default [32, 16])", NULL, WEB_INTEGER,
     NULL},
    {"activation", WEB_STRING, 0, "MLP activation (default relu)", NULL, WEB_ANY, activations},
    {"epochs", WEB_INTEGER, 0, "passes over the data (default 10)", NULL, WEB_ANY, NULL},
    {"batch", WEB_INTEGER, 0, "mini-batch size (default 64)", NULL, WEB_ANY, NULL},
    {"lr", WEB_NUMBER, 0, "learning rate (default 0.01 adam, 0.1 sgd)", NULL, WEB_ANY, NULL},
    {"optimizer", WEB_STRING, 0, "optimizer (default adam)", NULL, WEB_ANY, optimizers},
    {"l2", WEB_NUMBER, 0, "L2 regularisation (default 0)", NULL, WEB_ANY, NULL},
    {"seed", WEB_INTEGER, 0, "seed of split, initialisation and batches (default 1)", NULL,
     WEB_ANY, NULL},
    {"test_fraction", WEB_NUMBER, 0, "share held out for evaluation (default 0.2)", NULL, WEB_ANY,
     NULL},
    {"ignore", WEB_ARRAY, 0, "columns not used as features", NULL, WEB_STRING, NULL},
    {"description", WEB_STRING, 0, "what this version is", NULL, WEB_ANY, NULL},
    {"dp", WEB_OBJECT, 0, "train with DP-SGD", dp_fields, WEB_ANY, NULL},
    {NULL, WEB_ANY, 0, NULL, NULL, WEB_ANY, NULL}};

int web_train_check(const json_t *spec)
{
    const json_t *dp = json_object_get(spec, "dp"), *hidden = json_object_get(spec, "hidden");
    double tf = web_json_num(spec, "test_fraction", 0.2);
    size_t i;
    json_t *h;

    if (web_json_int(spec, "epochs", 10) < 1 || web_json_int(spec, "epochs", 10) > 100000)
        return mg_error_set(MG_EINVAL, "field 'epochs': expected 1..100000");
    if (web_json_int(spec, "batch", 64) < 1 || web_json_int(spec, "batch", 64) > 1000000)
        return mg_error_set(MG_EINVAL, "field 'batch': expected 1..1000000");
    if (!(tf >= 0 && tf < 1))
        return mg_error_set(MG_EINVAL, "field 'test_fraction': expected a share in [0, 1)");
    if (!(web_json_num(spec, "lr", 0.01) > 0))
        return mg_error_set(MG_EINVAL, "field 'lr': expected a positive rate");
    if (!(web_json_num(spec, "l2", 0) >= 0))
        return mg_error_set(MG_EINVAL, "field 'l2': expected 0 or more");
    if (web_json_int(spec, "seed", 1) < 0)
        return mg_error_set(MG_EINVAL, "field 'seed': expected 0 or more");
    if (json_array_size(hidden) > 8)
        return mg_error_set(MG_EINVAL, "field 'hidden': at most 8 layers");
    json_array_foreach(hidden, i, h) if (json_integer_value(h) < 1 || json_integer_value(h) > 4096)
        return mg_error_set(MG_EINVAL, "field 'hidden[%zu]': expected 1..4096", i);
    if (dp && !json_object_get(dp, "noise_multiplier") == !json_object_get(dp, "target_epsilon"))
        return mg_error_set(MG_EINVAL,
                            "field 'dp': give exactly one of noise_multiplier and target_epsilon");
    return MG_OK;
}

/* Everything one run holds. */
typedef struct run {
    const json_t *spec;
    const char *data;
    mg_dataset *ds;
    long label_col;
    const char **features;
    size_t nfeatures;
    char **classes;
    size_t nclasses;
    size_t hidden[8];
    mg_model_spec mspec;
    mg_train_options to;
    mg_run_config rc;
    size_t *valid, nvalid;
    mg_split split;
    mg_estimator *est;
    double *Xtr, *ytr, *Xte, *yte;
    web_job *job;
} run;

static int column_listed(const json_t *list, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (strcmp(json_string_value(v), name) == 0) return 1;
    return 0;
}

static int pick_features(run *r)
{
    const json_t *ignore = json_object_get(r->spec, "ignore");
    size_t cols = mg_dataset_cols(r->ds), i;
    json_t *v;

    json_array_foreach(ignore, i, v) if (mg_dataset_col_find(r->ds, json_string_value(v)) < 0)
        return mg_error_set(MG_ENOTFOUND, "field 'ignore[%zu]': no column '%s' in the data set",
                            i, json_string_value(v));
    if (!(r->features = calloc(cols + 1, sizeof *r->features)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (size_t c = 0; c < cols; c++) {
        const char *name = mg_dataset_col_name(r->ds, c);
        if ((long)c != r->label_col && !column_listed(ignore, name))
            r->features[r->nfeatures++] = name;
    }
    if (!r->nfeatures)
        return mg_error_set(MG_EINVAL, "no feature columns left besides the label");
    return MG_OK;
}

static int pick_model(run *r)
{
    const char *type = web_json_str(r->spec, "model", "logistic"), *positive = web_json_str(r->spec, "positive", NULL);
    const json_t *hidden = json_object_get(r->spec, "hidden");
    int numeric = mg_dataset_col_numeric(r->ds, (size_t)r->label_col) != NULL, regression;
    size_t i;
    json_t *h;
    int rc;

    r->mspec = (mg_model_spec)MG_MODEL_SPEC_INIT;
    for (i = 0; model_types[i] && strcmp(model_types[i], type) != 0; i++)
        ;
    r->mspec.type = (mg_model_type)i;
    r->mspec.label = web_json_str(r->spec, "label", NULL);
    r->mspec.activation = strcmp(web_json_str(r->spec, "activation", "relu"), "tanh") == 0 ? MG_ACT_TANH
                                                                                 : MG_ACT_RELU;
    if (r->mspec.type == MG_MODEL_MLP) {
        if (hidden) {
            json_array_foreach(hidden, i, h) r->hidden[i] = (size_t)json_integer_value(h);
            r->mspec.nhidden = json_array_size(hidden);
        } else {
            r->hidden[0] = 32;
            r->hidden[1] = 16;
            r->mspec.nhidden = 2;
        }
        r->mspec.hidden = r->hidden;
    }
    regression = r->mspec.type == MG_MODEL_LINEAR ||
                 (r->mspec.type == MG_MODEL_MLP && numeric && !positive);
    if (regression) {
        if (!numeric)
            return mg_error_set(MG_EINVAL, "field 'label': '%s' holds text; a regression needs "
                                           "numbers",
                                r->mspec.label);
        return positive ? mg_error_set(MG_EINVAL, "field 'positive': a regression has no classes")
                        : MG_OK;
    }
    if ((rc = mg_label_classes(&r->classes, &r->nclasses, r->ds, (size_t)r->label_col, NULL, 0,
                               positive)) < 0)
        return rc;
    if (r->mspec.type == MG_MODEL_LOGISTIC && r->nclasses != 2)
        return mg_error_set(MG_EINVAL, "field 'label': '%s' has %zu values; logistic regression "
                                       "needs 2 (use softmax or mlp)",
                            r->mspec.label, r->nclasses);
    r->mspec.classes = r->nclasses;
    r->mspec.class_names = (const char *const *)r->classes;
    return MG_OK;
}

/* Rows with a label, split into train and test. */
static int split_rows(run *r)
{
    size_t rows = mg_dataset_rows(r->ds);
    double *y = malloc((rows ? rows : 1) * sizeof *y);
    mg_model *probe = NULL;
    int rc;

    r->mspec.inputs = 1;
    if (!y || !(r->valid = malloc((rows ? rows : 1) * sizeof *r->valid))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory for %zu rows", rows);
        goto done;
    }
    if ((rc = mg_model_create(&probe, &r->mspec, NULL)) < 0 ||
        (rc = mg_model_targets(y, probe, r->ds, (size_t)r->label_col, NULL, rows)) < 0)
        goto done;
    for (size_t i = 0; i < rows; i++)
        if (!isnan(y[i]))
            r->valid[r->nvalid++] = i;
    if (!r->nvalid) {
        rc = mg_error_set(MG_EINVAL, "field 'label': every value of '%s' is missing",
                          r->mspec.label);
        goto done;
    }
    rc = mg_split_make(&r->split, r->nvalid, 0.0, web_json_num(r->spec, "test_fraction", 0.2), r->rc.seed,
                       NULL);
    for (size_t i = 0; rc == MG_OK && i < r->split.ntrain; i++)
        r->split.train[i] = r->valid[r->split.train[i]];
    for (size_t i = 0; rc == MG_OK && i < r->split.ntest; i++)
        r->split.test[i] = r->valid[r->split.test[i]];
    if (rc == MG_OK && !r->split.ntrain)
        rc = mg_error_set(MG_EINVAL, "no training rows left after the split");
done:
    mg_model_free(probe);
    free(y);
    return rc;
}

static int encode(double **X, double **y, const run *r, const size_t *rows, size_t n)
{
    const mg_model *m = mg_estimator_model(r->est);
    const mg_pipeline *p = mg_model_pipeline(m);
    double *raw = malloc((n ? n : 1) * mg_pipeline_inputs(p) * sizeof *raw);
    int rc;

    *X = malloc((n ? n : 1) * mg_pipeline_width(p) * sizeof **X);
    *y = malloc((n ? n : 1) * sizeof **y);
    if (!raw || !*X || !*y)
        rc = mg_error_set(MG_ENOMEM, "out of memory encoding %zu rows", n);
    else if ((rc = mg_pipeline_raw_from_dataset(raw, NULL, p, r->ds, rows, n)) == MG_OK &&
             (rc = mg_model_targets(*y, m, r->ds, (size_t)r->label_col, rows, n)) == MG_OK)
        mg_pipeline_transform(p, raw, n, *X);
    free(raw);
    return rc;
}

static int build(run *r)
{
    mg_pipeline *p = NULL;
    mg_model *m = NULL;
    const char *opt = web_json_str(r->spec, "optimizer", "adam");
    int rc;

    r->to = (mg_train_options)MG_TRAIN_OPTIONS_INIT;
    r->to.epochs = (size_t)web_json_int(r->spec, "epochs", 10);
    r->to.batch_size = (size_t)web_json_int(r->spec, "batch", 64);
    r->to.optim.kind = strcmp(opt, "sgd") == 0 ? MG_OPTIM_SGD : MG_OPTIM_ADAM;
    r->to.optim.lr = web_json_num(r->spec, "lr", r->to.optim.kind == MG_OPTIM_SGD ? 0.1 : 0.01);
    r->to.optim.l2 = web_json_num(r->spec, "l2", 0.0);
    if ((rc = mg_pipeline_fit(&p, r->ds, r->split.train, r->split.ntrain, r->features,
                              r->nfeatures)) < 0 ||
        (rc = mg_model_create(&m, &r->mspec, p)) < 0 ||
        (rc = mg_estimator_create(&r->est, m, &r->rc, &r->to)) < 0)
        return rc;
    if ((rc = encode(&r->Xtr, &r->ytr, r, r->split.train, r->split.ntrain)) < 0)
        return rc;
    return encode(&r->Xte, &r->yte, r, r->split.test, r->split.ntest);
}

/* The Estimator's progress hook, feeding the job's progress and its cancel flag. */
static void on_progress(void *ud, double fraction, int *cancel)
{
    web_job *job = ud;
    if (!job)
        return;
    web_job_progress(job, 0.95 * fraction); /* the rest: evaluation and export */
    if (web_job_cancelled(job))
        *cancel = 1;
}

/* Per-epoch losses for the run record: {"train":[...],"eval":[...]}, NaN as null. */
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

static int fit(run *r, json_t *summary, const double *prior_rdp)
{
    web_train_dp *dp = NULL;
    mg_input tr = {r->Xtr, r->ytr, r->split.ntrain}, te = {r->Xte, r->yte, r->split.ntest};
    mg_hook hooks[2];
    size_t nh = 0;
    mg_metrics met;
    json_t *mj;
    int rc;

    memset(hooks, 0, sizeof hooks);
    memset(&met, 0, sizeof met);
    if ((rc = mg_hook_progress(&hooks[nh++], on_progress, r->job)) < 0)
        goto done;
    if ((rc = web_train_dp_attach(&dp, r->est, hooks, &nh, json_object_get(r->spec, "dp"),
                                  r->split.ntrain, r->to.epochs, prior_rdp)) < 0)
        goto done;
    rc = mg_estimator_train(r->est, &tr, te.n ? &te : NULL, hooks, nh, 0);
    if (web_train_dp_finish(dp, r->est, summary, rc == MG_OK) < 0 && rc == MG_OK)
        rc = mg_error_code();
    dp = NULL;
    if (rc < 0)
        goto done;
    if (te.n) {
        if ((rc = mg_estimator_evaluate(&met, r->est, &te)) < 0)
            goto done;
        if ((mj = mg_metrics_to_json(&met))) {
            json_object_update(mg_model_metrics(mg_estimator_model_mut(r->est)), mj);
            json_object_set_new(summary, "metrics", mj);
        }
    }
    json_object_set_new(summary, "steps", json_integer((json_int_t)mg_estimator_global_step(r->est)));
    json_object_set_new(summary, "loss_curves", loss_curves(r->est));
done:
    web_train_dp_finish(dp, r->est, summary, 0);
    for (size_t h = 0; h < nh; h++)
        mg_hook_free(&hooks[h]);
    mg_metrics_free(&met);
    return rc;
}

int web_train_run(json_t **summary, const json_t *spec, const char *data_path,
                  const char *data_sha256, const char *out_path, web_job *job,
                  const double *prior_rdp)
{
    run r;
    json_t *sum = json_object();
    int rc;

    memset(&r, 0, sizeof r);
    *summary = NULL;
    r.spec = spec;
    r.data = data_path;
    r.job = job;
    r.rc = (mg_run_config)MG_RUN_CONFIG_INIT;
    r.rc.seed = (uint64_t)web_json_int(spec, "seed", 1);
    if (!sum) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = mg_dataset_open(&r.ds, data_path, NULL)) < 0)
        goto done;
    if ((r.label_col = mg_dataset_col_find(r.ds, web_json_str(spec, "label", ""))) < 0) {
        rc = mg_error_set(MG_ENOTFOUND, "field 'label': no column '%s' in the data set",
                          web_json_str(spec, "label", ""));
        goto done;
    }
    if ((rc = pick_features(&r)) < 0 || (rc = pick_model(&r)) < 0 || (rc = split_rows(&r)) < 0 ||
        (rc = build(&r)) < 0 || (rc = fit(&r, sum, prior_rdp)) < 0)
        goto done;
    if ((rc = mg_model_set_data_sha256(mg_estimator_model_mut(r.est), data_sha256)) < 0 ||
        (rc = mg_estimator_export(r.est, out_path)) < 0)
        goto done;
    json_object_set_new(sum, "train_rows", json_integer((json_int_t)r.split.ntrain));
    json_object_set_new(sum, "test_rows", json_integer((json_int_t)r.split.ntest));
    if (job)
        web_job_progress(job, 1.0);
    *summary = sum;
    sum = NULL;
done:
    json_decref(sum);
    mg_estimator_free(r.est);
    free(r.Xtr);
    free(r.ytr);
    free(r.Xte);
    free(r.yte);
    mg_split_free(&r.split);
    free(r.valid);
    free(r.features);
    if (r.classes)
        mg_label_classes_free(r.classes, r.nclasses);
    mg_dataset_close(r.ds);
    return rc;
}
