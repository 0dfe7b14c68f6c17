/* cmd_train.c - `modelgov train`: read a CSV, fit the pipeline, train, evaluate, write the .mgm. */
#include "cli.h"
#include "mg_core.h"
#include "mg_governance.h"
#include "model_data.h"
#include "results.h"
#include "train_dp.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HIDDEN 16

typedef struct train_job {
    cli_args a;
    const char *data, *out;
    mg_train_spec spec;
    size_t hidden[MAX_HIDDEN];
    char **ignore; /* --ignore split at commas */
    mg_dataset *ds;
    mg_train_result *run;
    train_result res;
} train_job;

static int parse_model(train_job *j, const char *name)
{
    static const char *const names[] = {"linear", "logistic", "softmax", "mlp"};

    for (int k = 0; k < 4; k++)
        if (strcmp(name, names[k]) == 0) {
            j->spec.model = (mg_model_type)k;
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
    mg_train_spec *o = &j->spec;
    int k, rc;

    if ((rc = parse_choice(&k, &j->a, "optimizer", opts, 2)) < 0)
        return rc;
    o->optimizer = k == 0 ? MG_OPTIM_ADAM : MG_OPTIM_SGD;
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

/* --ignore a,b: its names, each checked against the data by mg_train_run. */
static int parse_ignore(train_job *j)
{
    const char *s = cli_get(&j->a, "ignore");
    size_t n = 0;

    if (!s || !*s)
        return MG_OK;
    for (const char *p = s; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
        n++;
    if (!(j->ignore = calloc(n, sizeof *j->ignore)))
        return mg_error_set(MG_ENOMEM, "no memory");
    while (*s) {
        size_t len = strcspn(s, ",");
        if (!(j->ignore[j->spec.nignore++] = strndup(s, len)))
            return mg_error_set(MG_ENOMEM, "no memory");
        s += len + (s[len] == ',');
    }
    j->spec.ignore = (const char *const *)j->ignore;
    return MG_OK;
}

static int parse_flags(train_job *j)
{
    unsigned long long seed;
    const char *model;
    int rc;

    if ((rc = train_dp_parse(&j->spec.dp, &j->a)) < 0 ||
        (rc = cli_require(&j->a, "data", &j->data)) < 0 ||
        (rc = cli_require(&j->a, "label", &j->spec.label)) < 0 ||
        (rc = cli_require(&j->a, "model", &model)) < 0 || (rc = parse_model(j, model)) < 0 ||
        (rc = parse_hidden(j)) < 0 || (rc = parse_optim(j)) < 0 ||
        (rc = cli_get_size(&j->a, "epochs", 10, &j->spec.epochs)) < 0 ||
        (rc = cli_get_size(&j->a, "batch", 64, &j->spec.batch)) < 0 ||
        (rc = cli_get_u64(&j->a, "seed", 1, &seed)) < 0 ||
        (rc = cli_get_double(&j->a, "test-fraction", 0.2, &j->spec.test_fraction)) < 0 ||
        (rc = cli_get_size(&j->a, "early-stopping", 0, &j->spec.early_stopping)) < 0 ||
        (rc = cli_get_size(&j->a, "checkpoint-every", 0, &j->spec.checkpoint_every)) < 0 ||
        (rc = cli_get_size(&j->a, "keep-checkpoints", 3, &j->spec.keep_checkpoints)) < 0)
        return rc;
    if (j->spec.model != MG_MODEL_MLP && (cli_has(&j->a, "hidden") || cli_has(&j->a, "activation")))
        return mg_error_set(MG_EINVAL, "--%s applies to --model mlp only",
                            cli_has(&j->a, "hidden") ? "hidden" : "activation");
    if (j->spec.epochs == 0 || j->spec.batch == 0)
        return mg_error_set(MG_EINVAL, "--%s must be at least 1",
                            j->spec.epochs == 0 ? "epochs" : "batch");
    if (!(j->spec.test_fraction >= 0 && j->spec.test_fraction < 1))
        return mg_error_set(MG_EINVAL, "--test-fraction: expected a share in [0, 1)");
    if (j->spec.checkpoint_every && !cli_get(&j->a, "model-dir"))
        return mg_error_set(MG_EINVAL, "--checkpoint-every needs --model-dir");
    j->spec.seed = seed;
    j->spec.model_dir = cli_get(&j->a, "model-dir");
    j->out = cli_get(&j->a, "out");
    j->spec.positive = cli_get(&j->a, "positive");
    j->spec.test_path = cli_get(&j->a, "test-data");
    j->spec.stratify = cli_has(&j->a, "stratify");
    if (mg_log_enabled(MG_LOG_INFO))
        j->spec.log_every = 100;
    return parse_ignore(j);
}

/* Train through the library, with the progress bar when stderr is a terminal. */
static int run(train_job *j)
{
    mg_dataset_options o = MG_DATASET_OPTIONS_INIT;
    cli_progress bar = {"training", -1};
    int bar_on = isatty(STDERR_FILENO) && !mg_log_enabled(MG_LOG_INFO);
    int rc;

    o.schema = cli_get(&j->a, "schema");
    if ((rc = mg_dataset_open(&j->ds, j->data, &o)) < 0)
        return rc;
    rc = mg_train_run(&j->run, j->ds, &j->spec, bar_on ? cli_progress_bar : NULL, &bar);
    cli_progress_done(&bar);
    if (rc < 0)
        return rc;
    j->res.ntrain = j->run->ntrain;
    j->res.ntest = j->run->ntest;
    j->res.dropped = j->run->dropped;
    j->res.test_dropped = j->run->test_dropped;
    j->res.seconds = j->run->seconds;
    j->res.metrics = j->run->metrics;
    j->res.have_metrics = j->run->have_metrics;
    return MG_OK;
}

/* Record where the data came from in the model and write it. */
static int save(train_job *j)
{
    json_t *t = mg_model_training(mg_estimator_model_mut(j->run->est));
    int rc;

    json_object_set_new(t, "data", json_string(j->data));
    json_object_set_new(t, "rows", json_integer((json_int_t)j->res.ntrain));
    if (j->spec.test_path)
        json_object_set_new(t, "test_data", json_string(j->spec.test_path));
    else
        json_object_set_new(t, "test_fraction", json_real(j->spec.test_fraction));
    if (!j->out)
        return MG_OK;
    if ((rc = mg_estimator_export(j->run->est, j->out)) < 0)
        return rc;
    return mg_sha256_file(j->res.sha256, j->out);
}

static void job_free(train_job *j)
{
    mg_train_result_free(j->run);
    for (size_t i = 0; i < j->spec.nignore; i++)
        free(j->ignore[i]);
    free(j->ignore);
    mg_dataset_close(j->ds);
}

int cmd_train(int argc, char **argv)
{
    train_job j;
    int rc;

    memset(&j, 0, sizeof j);
    j.spec = (mg_train_spec)MG_TRAIN_SPEC_INIT;
    if ((rc = cli_parse(&j.a, cli_find("train"), argc, argv, 1)) != 0)
        return rc > 0 ? CLI_EXIT_OK : cli_fail(rc);
    if ((rc = parse_flags(&j)) < 0 || (rc = run(&j)) < 0 || (rc = save(&j)) < 0) {
        job_free(&j);
        return cli_fail(rc);
    }
    j.res.out = j.out;
    rc = results_print_train(&j.res, j.run->est, j.a.json);
    job_free(&j);
    return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}
