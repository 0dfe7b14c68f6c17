/* train.c - one training run from a JSON spec, through mg_train_run, and its artifact. */
#define _POSIX_C_SOURCE 200809L
#include "train.h"
#include "jobs.h"

#include "mg_dataset.h"
#include "mg_error.h"
#include "mg_governance.h"

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

/* The library's spec from a JSON spec that passed web_train_check; hidden and ignore borrow
 * `hidden` and `ignore` (8 and nignore entries). */
static void spec_from_json(mg_train_spec *s, size_t *hidden, const char **ignore,
                           const json_t *spec, const double *prior_rdp)
{
    const char *type = web_json_str(spec, "model", "logistic");
    const json_t *h = json_object_get(spec, "hidden"), *ig = json_object_get(spec, "ignore");
    const json_t *dp = json_object_get(spec, "dp");
    size_t i;
    json_t *v;

    *s = (mg_train_spec)MG_TRAIN_SPEC_INIT;
    s->names = MG_TRAIN_FIELDS;
    for (i = 0; model_types[i] && strcmp(model_types[i], type) != 0; i++)
        ;
    s->model = (mg_model_type)i;
    s->label = web_json_str(spec, "label", "");
    s->positive = web_json_str(spec, "positive", NULL);
    s->activation = strcmp(web_json_str(spec, "activation", "relu"), "tanh") == 0 ? MG_ACT_TANH
                                                                                 : MG_ACT_RELU;
    if (s->model == MG_MODEL_MLP && h) {
        json_array_foreach(h, i, v) hidden[i] = (size_t)json_integer_value(v);
        s->hidden = hidden;
        s->nhidden = json_array_size(h);
    }
    s->epochs = (size_t)web_json_int(spec, "epochs", 10);
    s->batch = (size_t)web_json_int(spec, "batch", 64);
    s->optimizer = strcmp(web_json_str(spec, "optimizer", "adam"), "sgd") == 0 ? MG_OPTIM_SGD
                                                                               : MG_OPTIM_ADAM;
    s->lr = web_json_num(spec, "lr", s->optimizer == MG_OPTIM_SGD ? 0.1 : 0.01);
    s->l2 = web_json_num(spec, "l2", 0.0);
    s->seed = (uint64_t)web_json_int(spec, "seed", 1);
    s->test_fraction = web_json_num(spec, "test_fraction", 0.2);
    json_array_foreach(ig, i, v) ignore[i] = json_string_value(v);
    s->ignore = ignore;
    s->nignore = json_array_size(ig);
    if (!dp)
        return;
    s->dp.on = 1;
    s->dp.clamp_rate = 1; /* Opacus's convention: q = min(1, batch / rows) unless given */
    s->dp.sample_rate = web_json_num(dp, "sample_rate", 0);
    s->dp.max_grad_norm = web_json_num(dp, "max_grad_norm", 0);
    s->dp.noise_multiplier = web_json_num(dp, "noise_multiplier", 0);
    s->dp.target_epsilon = web_json_num(dp, "target_epsilon", 0);
    s->dp.delta = web_json_num(dp, "delta", 0);
    s->dp.max_epsilon = web_json_num(dp, "max_epsilon", 0);
    s->dp.prior_rdp = prior_rdp;
}

/* What DP-SGD spent, as the summary's "dp" object. */
static json_t *dp_json(const mg_dpsgd_report *r)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:I, s:f, s:f, s:b}", "sample_rate", r->sample_rate,
                     "noise_multiplier", r->noise_multiplier, "max_grad_norm", r->max_grad_norm,
                     "delta", r->delta, "steps", (json_int_t)r->steps, "epsilon", r->epsilon_rdp,
                     "best_alpha", r->best_order, "stopped_by_budget", r->stopped_by_budget);
}

int web_train_run(json_t **summary, const json_t *spec, const char *data_path,
                  const char *data_sha256, const char *out_path, web_job *job,
                  const double *prior_rdp)
{
    mg_train_spec s;
    size_t hidden[8];
    const char **ignore = calloc(json_array_size(json_object_get(spec, "ignore")) + 1,
                                 sizeof *ignore);
    mg_dataset *ds = NULL;
    mg_train_result *res = NULL;
    json_t *sum = json_object();
    mg_model *m;
    int rc;

    *summary = NULL;
    if (!sum || !ignore) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    spec_from_json(&s, hidden, ignore, spec, prior_rdp);
    if ((rc = mg_dataset_open(&ds, data_path, NULL)) < 0 ||
        (rc = mg_train_run(&res, ds, &s, on_progress, job)) < 0)
        goto done;
    m = mg_estimator_model_mut(res->est);
    if (res->have_dp && json_object_set_new(sum, "dp", dp_json(&res->dp)) < 0) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    if (res->metrics_json)
        json_object_set(sum, "metrics", res->metrics_json);
    json_object_set_new(sum, "steps", json_integer((json_int_t)mg_estimator_global_step(res->est)));
    json_object_set(sum, "loss_curves", res->loss_curves);
    if ((rc = mg_model_set_data_sha256(m, data_sha256)) < 0 ||
        (rc = mg_estimator_export(res->est, out_path)) < 0)
        goto done;
    json_object_set_new(sum, "train_rows", json_integer((json_int_t)res->ntrain));
    json_object_set_new(sum, "test_rows", json_integer((json_int_t)res->ntest));
    if (job)
        web_job_progress(job, 1.0);
    *summary = sum;
    sum = NULL;
done:
    json_decref(sum);
    mg_train_result_free(res);
    mg_dataset_close(ds);
    free(ignore);
    return rc;
}
