/* cmd_train.c - `modelgov train`: read a CSV, fit the pipeline, train, evaluate, write the .mgm. */
#include "cli.h"
#include "mg_core.h"
#include "mg_estimator.h"
#include "mg_model.h"
#include "model_data.h"
#include "results.h"
#include "train_dp.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_HIDDEN 16

typedef struct train_job {
    cli_args a;
    const char *data, *label, *out, *positive, *test_data;
    mg_model_spec spec;
    size_t hidden[MAX_HIDDEN];
    mg_train_options to;
    mg_run_config rc;
    size_t early;
    double test_fraction;
    mg_dataset *ds, *test_ds;
    long label_col;
    char **classes;
    size_t nclasses;
    const char **features;
    size_t nfeatures;
    mg_split split;
    size_t *valid, nvalid;
    train_result res;
    double *Xtr, *ytr, *Xte, *yte;
    mg_estimator *est;
    train_dp dp;
    mg_hook dp_hook;
} train_job;

static int parse_model(train_job *j, const char *name)
{
    static const char *const names[] = {"linear", "logistic", "softmax", "mlp"};

    for (int k = 0; k < 4; k++)
        if (strcmp(name, names[k]) == 0) {
            j->spec.type = (mg_model_type)k;
            return MG_OK;
        }
    return mg_error_set(MG_EINVAL, "--model: '%s' is not one of linear, logistic, softmax, mlp",
                        name);
}

static int parse_hidden(train_job *j)
{
    const char *s = cli_get(&j->a, "hidden");
    char *end;

    if (!s)
        s = "32,16";
    j->spec.nhidden = 0;
    for (;;) {
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v == 0 || v > 100000 || j->spec.nhidden == MAX_HIDDEN)
            return mg_error_set(MG_EINVAL, "--hidden: expected up to %d positive sizes like 64,32",
                                MAX_HIDDEN);
        j->hidden[j->spec.nhidden++] = v;
        if (*end == '\0')
            break;
        if (*end != ',')
            return mg_error_set(MG_EINVAL, "--hidden: expected sizes like 64,32");
        s = end + 1;
    }
    j->spec.hidden = j->hidden;
    return MG_OK;
}

/* Pick one of `names` for flag `flag` (default names[0]); *out gets the index. */
static int parse_choice(int *out, const cli_args *a, const char *flag, const char *const *names,
                        int n)
{
    const char *v = cli_get(a, flag);

    *out = 0;
    if (!v)
        return MG_OK;
    for (int k = 0; k < n; k++)
        if (strcmp(v, names[k]) == 0) {
            *out = k;
            return MG_OK;
        }
    return mg_error_set(MG_EINVAL, "--%s: '%s' is not one of %s, %s%s%s", flag, v, names[0],
                        names[1], n > 2 ? ", " : "", n > 2 ? names[2] : "");
}

static int parse_optim(train_job *j)
{
    static const char *const opts[] = {"adam", "sgd"}, *const sched[] = {"constant", "step",
                                                                         "cosine"};
    static const char *const acts[] = {"relu", "tanh"}, *const losses[] = {"mse", "mae"};
    mg_optim_options *o = &j->to.optim;
    int k, rc;

    if ((rc = parse_choice(&k, &j->a, "optimizer", opts, 2)) < 0)
        return rc;
    o->kind = k == 0 ? MG_OPTIM_ADAM : MG_OPTIM_SGD;
    if ((rc = cli_get_double(&j->a, "lr", k == 0 ? 0.01 : 0.1, &o->lr)) < 0 ||
        (rc = cli_get_double(&j->a, "momentum", 0.9, &o->momentum)) < 0 ||
        (rc = cli_get_double(&j->a, "l2", 0.0, &o->l2)) < 0)
        return rc;
    if ((rc = parse_choice(&k, &j->a, "schedule", sched, 3)) < 0)
        return rc;
    o->schedule = (mg_schedule)k;
    if ((rc = parse_choice(&k, &j->a, "activation", acts, 2)) < 0)
        return rc;
    j->spec.activation = (mg_activation)k;
    if ((rc = parse_choice(&k, &j->a, "loss", losses, 2)) < 0)
        return rc;
    j->spec.loss = (mg_regression_loss)k;
    return MG_OK;
}

static int parse_flags(train_job *j)
{
    unsigned long long seed;
    const char *model;
    int rc;

    if ((rc = train_dp_parse(&j->dp, &j->a)) < 0 ||
        (rc = cli_require(&j->a, "data", &j->data)) < 0 ||
        (rc = cli_require(&j->a, "label", &j->label)) < 0 ||
        (rc = cli_require(&j->a, "model", &model)) < 0 || (rc = parse_model(j, model)) < 0 ||
        (rc = parse_hidden(j)) < 0 || (rc = parse_optim(j)) < 0 ||
        (rc = cli_get_size(&j->a, "epochs", 10, &j->to.epochs)) < 0 ||
        (rc = cli_get_size(&j->a, "batch", 64, &j->to.batch_size)) < 0 ||
        (rc = cli_get_u64(&j->a, "seed", 1, &seed)) < 0 ||
        (rc = cli_get_double(&j->a, "test-fraction", 0.2, &j->test_fraction)) < 0 ||
        (rc = cli_get_size(&j->a, "early-stopping", 0, &j->early)) < 0 ||
        (rc = cli_get_size(&j->a, "checkpoint-every", 0, &j->rc.checkpoint_every)) < 0 ||
        (rc = cli_get_size(&j->a, "keep-checkpoints", 3, &j->rc.keep_checkpoints)) < 0)
        return rc;
    if (j->spec.type != MG_MODEL_MLP && (cli_has(&j->a, "hidden") || cli_has(&j->a, "activation")))
        return mg_error_set(MG_EINVAL, "--%s applies to --model mlp only",
                            cli_has(&j->a, "hidden") ? "hidden" : "activation");
    if (j->to.epochs == 0 || j->to.batch_size == 0)
        return mg_error_set(MG_EINVAL, "--%s must be at least 1",
                            j->to.epochs == 0 ? "epochs" : "batch");
    if (!(j->test_fraction >= 0 && j->test_fraction < 1))
        return mg_error_set(MG_EINVAL, "--test-fraction: expected a share in [0, 1)");
    if (j->rc.checkpoint_every && !cli_get(&j->a, "model-dir"))
        return mg_error_set(MG_EINVAL, "--checkpoint-every needs --model-dir");
    j->rc.seed = seed;
    j->rc.model_dir = cli_get(&j->a, "model-dir");
    j->out = cli_get(&j->a, "out");
    j->positive = cli_get(&j->a, "positive");
    j->test_data = cli_get(&j->a, "test-data");
    j->spec.label = j->label;
    return MG_OK;
}

/* Feature columns: all but the label and --ignore. */
static int pick_features(train_job *j)
{
    const char *ignore = cli_get(&j->a, "ignore");
    size_t cols = mg_dataset_cols(j->ds);

    if (!(j->features = calloc(cols + 1, sizeof *j->features)))
        return mg_error_set(MG_ENOMEM, "no memory");
    for (const char *s = ignore; s && *s;) {
        size_t len = strcspn(s, ",");
        int found = 0;
        for (size_t c = 0; c < cols; c++)
            found |= strlen(mg_dataset_col_name(j->ds, c)) == len &&
                     strncmp(mg_dataset_col_name(j->ds, c), s, len) == 0;
        if (!found)
            return mg_error_set(MG_ENOTFOUND, "--ignore: no column '%.*s' in %s", (int)len, s,
                                j->data);
        s += len + (s[len] == ',');
    }
    for (size_t c = 0; c < cols; c++) {
        const char *name = mg_dataset_col_name(j->ds, c), *s = ignore;
        int skip = (long)c == j->label_col;
        while (!skip && s && *s) {
            size_t len = strcspn(s, ",");
            skip = strlen(name) == len && strncmp(name, s, len) == 0;
            s += len + (s[len] == ',');
        }
        if (!skip)
            j->features[j->nfeatures++] = name;
    }
    if (j->nfeatures == 0)
        return mg_error_set(MG_EINVAL, "%s: no feature columns left besides the label", j->data);
    return MG_OK;
}

/* The label's classes, and which kind of head the model gets. */
static int pick_classes(train_job *j)
{
    mg_model_type t = j->spec.type;
    int numeric = mg_dataset_col_numeric(j->ds, (size_t)j->label_col) != NULL;
    int regression = t == MG_MODEL_LINEAR || (t == MG_MODEL_MLP && numeric && !j->positive);
    int rc;

    if (regression) {
        if (!numeric)
            return mg_error_set(MG_EINVAL, "--label: '%s' holds text in %s; %s regression needs"
                                           " numbers", j->label, j->data,
                                t == MG_MODEL_LINEAR ? "linear" : "MLP");
        if (j->positive)
            return mg_error_set(MG_EINVAL, "--positive: a linear regression has no classes");
        return MG_OK;
    }
    if ((rc = mg_label_classes(&j->classes, &j->nclasses, j->ds, (size_t)j->label_col, NULL, 0,
                               j->positive)) < 0)
        return rc;
    if (t == MG_MODEL_LOGISTIC && j->nclasses != 2)
        return mg_error_set(MG_EINVAL, "--label: '%s' has %zu values in %s; logistic regression"
                                       " needs exactly 2 (use --model softmax or mlp)", j->label,
                            j->nclasses, j->data);
    j->spec.classes = j->nclasses;
    j->spec.class_names = (const char *const *)j->classes;
    return MG_OK;
}

static int read_data(train_job *j)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    int rc;

    o.schema = cli_get(&j->a, "schema");
    if ((rc = mg_dataset_open(&j->ds, j->data, &o)) < 0)
        return rc;
    if (mg_dataset_rows(j->ds) == 0)
        return mg_error_set(MG_EINVAL, "%s: no data rows", j->data);
    if ((j->label_col = mg_dataset_col_find(j->ds, j->label)) < 0)
        return mg_error_set(MG_ENOTFOUND, "--label: no column '%s' in %s", j->label, j->data);
    if ((rc = pick_features(j)) < 0 || (rc = pick_classes(j)) < 0)
        return rc;
    return MG_OK;
}

/* Rows with a label, then the train / test split over them. */
static int split_rows(train_job *j)
{
    size_t rows = mg_dataset_rows(j->ds);
    double *y = NULL;
    int32_t *strata = NULL;
    mg_model *probe = NULL;
    int rc;

    /* A model without a pipeline maps label values to targets for the split. */
    j->spec.inputs = 1;
    if ((rc = mg_model_create(&probe, &j->spec, NULL)) < 0)
        return rc;
    if (!(y = malloc(rows * sizeof *y)) || !(j->valid = malloc(rows * sizeof *j->valid)) ||
        !(strata = malloc(rows * sizeof *strata))) {
        rc = mg_error_set(MG_ENOMEM, "no memory for %zu rows", rows);
        goto done;
    }
    if ((rc = mg_model_targets(y, probe, j->ds, (size_t)j->label_col, NULL, rows)) < 0)
        goto done;
    for (size_t r = 0; r < rows; r++)
        if (!isnan(y[r])) {
            strata[j->nvalid] = j->nclasses ? (int32_t)y[r] : -1;
            j->valid[j->nvalid++] = r;
        }
    j->res.dropped = rows - j->nvalid;
    if (j->nvalid == 0) {
        rc = mg_error_set(MG_EINVAL, "--label: every value of '%s' in %s is missing", j->label,
                          j->data);
        goto done;
    }
    rc = mg_split_make(&j->split, j->nvalid, 0.0, j->test_data ? 0.0 : j->test_fraction, j->rc.seed,
                       cli_has(&j->a, "stratify") && j->nclasses ? strata : NULL);
    for (size_t i = 0; rc == MG_OK && i < j->split.ntrain; i++)
        j->split.train[i] = j->valid[j->split.train[i]];
    for (size_t i = 0; rc == MG_OK && i < j->split.ntest; i++)
        j->split.test[i] = j->valid[j->split.test[i]];
done:
    mg_model_free(probe);
    free(strata);
    free(y);
    return rc;
}

/* --schedule step: x0.1 after each third of the run; cosine: down to 0 over the run. */
static void set_schedule(train_job *j)
{
    size_t spe = (j->split.ntrain + j->to.batch_size - 1) / j->to.batch_size;
    size_t total = spe * j->to.epochs;

    j->to.optim.step_size = total / 3 ? total / 3 : 1;
    j->to.optim.gamma = 0.1;
    j->to.optim.total_steps = total;
    j->to.optim.min_lr = 0.0;
}

static int build(train_job *j)
{
    mg_pipeline *p = NULL;
    mg_model *m = NULL;
    int rc;

    if (j->split.ntrain == 0)
        return mg_error_set(MG_EINVAL, "%s: no training rows left after the split", j->data);
    if ((rc = mg_pipeline_fit(&p, j->ds, j->split.train, j->split.ntrain, j->features,
                              j->nfeatures)) < 0)
        return rc;
    if ((rc = mg_model_create(&m, &j->spec, p)) < 0)
        return rc;
    set_schedule(j);
    if ((rc = mg_estimator_create(&j->est, m, &j->rc, &j->to)) < 0)
        return rc;
    m = mg_estimator_model_mut(j->est);
    j->res.ntrain = j->split.ntrain;
    if ((rc = mg_model_encode(&j->Xtr, &j->ytr, NULL, m, j->ds, j->label_col, j->split.train,
                              j->split.ntrain)) < 0 ||
        (rc = train_dp_attach(&j->dp, j->est, &j->dp_hook, j->split.ntrain, j->to.batch_size,
                              j->to.epochs)) < 0)
        return rc;
    if (j->test_data) {
        size_t unknown;
        if ((rc = cli_open_for_model(&j->test_ds, j->test_data, m)) < 0 ||
            (rc = cli_encode_for_model(&j->Xte, &j->yte, &j->res.ntest, &j->res.test_dropped,
                                       &unknown, m, j->test_ds, j->label)) < 0)
            return rc;
        return MG_OK;
    }
    j->res.ntest = j->split.ntest;
    return mg_model_encode(&j->Xte, &j->yte, NULL, m, j->ds, j->label_col, j->split.test,
                           j->split.ntest);
}

static int run(train_job *j)
{
    mg_input tr = {j->Xtr, j->ytr, j->res.ntrain}, te = {j->Xte, j->yte, j->res.ntest};
    mg_hook hooks[4];
    cli_progress bar = {"training", -1};
    size_t nh = 0;
    struct timespec t0, t1;
    int rc = MG_OK;

    memset(hooks, 0, sizeof hooks);
    if (isatty(STDERR_FILENO) && !mg_log_enabled(MG_LOG_INFO))
        rc = mg_hook_progress(&hooks[nh++], cli_progress_bar, &bar);
    if (rc == MG_OK && mg_log_enabled(MG_LOG_INFO))
        rc = mg_hook_logging(&hooks[nh++], 100);
    if (rc == MG_OK && j->early)
        rc = mg_hook_early_stopping(&hooks[nh++], "loss", j->early);
    if (rc == MG_OK && j->dp.on)
        hooks[nh++] = j->dp_hook; /* borrowed: its ud is j->dp's, mg_hook_free does nothing */
    if (rc == MG_OK) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = mg_estimator_train(j->est, &tr, te.n ? &te : NULL, hooks, nh, 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        j->res.seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    cli_progress_done(&bar);
    for (size_t h = 0; h < nh; h++)
        mg_hook_free(&hooks[h]);
    if (rc == MG_OK && te.n) {
        rc = mg_estimator_evaluate(&j->res.metrics, j->est, &te);
        j->res.have_metrics = rc == MG_OK;
    }
    return rc;
}

/* Record the run in the model and write it. */
static int save(train_job *j)
{
    mg_model *m = mg_estimator_model_mut(j->est);
    json_t *t = mg_model_training(m), *mj;
    int rc;

    if ((rc = mg_model_set_data_sha256(m, mg_dataset_sha256(j->ds))) < 0 ||
        (rc = train_dp_record(&j->dp, m)) < 0)
        return rc;
    json_object_set_new(t, "data", json_string(j->data));
    json_object_set_new(t, "rows", json_integer((json_int_t)j->res.ntrain));
    if (j->test_data)
        json_object_set_new(t, "test_data", json_string(j->test_data));
    else
        json_object_set_new(t, "test_fraction", json_real(j->test_fraction));
    if (j->res.have_metrics && (mj = mg_metrics_to_json(&j->res.metrics)))
        json_object_update_new(mg_model_metrics(m), mj);
    if (!j->out)
        return MG_OK;
    if ((rc = mg_estimator_export(j->est, j->out)) < 0)
        return rc;
    return mg_sha256_file(j->res.sha256, j->out);
}

static void job_free(train_job *j)
{
    mg_estimator_free(j->est);
    train_dp_free(&j->dp);
    free(j->Xtr);
    free(j->ytr);
    free(j->Xte);
    free(j->yte);
    mg_metrics_free(&j->res.metrics);
    mg_split_free(&j->split);
    free(j->valid);
    free(j->features);
    mg_label_classes_free(j->classes, j->nclasses);
    mg_dataset_close(j->test_ds);
    mg_dataset_close(j->ds);
}

int cmd_train(int argc, char **argv)
{
    train_job j;
    int rc;

    memset(&j, 0, sizeof j);
    j.spec = (mg_model_spec)MG_MODEL_SPEC_INIT;
    j.to = (mg_train_options)MG_TRAIN_OPTIONS_INIT;
    j.rc = (mg_run_config)MG_RUN_CONFIG_INIT;
    if ((rc = cli_parse(&j.a, cli_find("train"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    if ((rc = parse_flags(&j)) < 0 || (rc = read_data(&j)) < 0 || (rc = split_rows(&j)) < 0 ||
        (rc = build(&j)) < 0 || (rc = run(&j)) < 0 || (rc = save(&j)) < 0) {
        job_free(&j);
        return cli_fail(rc);
    }
    j.res.out = j.out;
    rc = results_print_train(&j.res, j.est, j.a.json);
    job_free(&j);
    return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
