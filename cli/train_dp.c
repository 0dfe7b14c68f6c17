/* train_dp.c - the --dp part of `modelgov train`: DP-SGD flags, setup, record and report. */
#include "train_dp.h"
#include "mg_error.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const dp_only[] = {"max-grad-norm", "noise-multiplier", "target-epsilon",
                                      "delta",         "max-epsilon",      "insecure-seed"};

static int get_required(const cli_args *a, const char *flag, double *out)
{
    const char *v;
    int rc;
    if ((rc = cli_require(a, flag, &v)) < 0)
        return mg_error_set(MG_EINVAL, "--dp needs --%s", flag);
    return cli_get_double(a, flag, 0, out);
}

int train_dp_parse(train_dp *t, const cli_args *a)
{
    mg_dpsgd_options *o = &t->o;
    unsigned long long seed;
    int rc;

    memset(t, 0, sizeof *t);
    *o = (mg_dpsgd_options)MG_DPSGD_OPTIONS_INIT;
    t->on = cli_has(a, "dp");
    for (size_t i = 0; !t->on && i < sizeof dp_only / sizeof *dp_only; i++)
        if (cli_has(a, dp_only[i]))
            return mg_error_set(MG_EINVAL, "--%s is a DP-SGD setting: add --dp", dp_only[i]);
    if (!t->on)
        return MG_OK;
    if (cli_has(a, "noise-multiplier") == cli_has(a, "target-epsilon"))
        return mg_error_set(MG_EINVAL, "--dp needs exactly one of --noise-multiplier and "
                                       "--target-epsilon");
    if ((rc = get_required(a, "max-grad-norm", &o->max_grad_norm)) < 0 ||
        (rc = get_required(a, "delta", &o->delta)) < 0 ||
        (rc = cli_get_double(a, "noise-multiplier", 0, &o->noise_multiplier)) < 0 ||
        (rc = cli_get_double(a, "target-epsilon", 0, &o->target_epsilon)) < 0 ||
        (rc = cli_get_double(a, "max-epsilon", 0, &o->max_epsilon)) < 0 ||
        (rc = cli_get_u64(a, "insecure-seed", 0, &seed)) < 0)
        return rc;
    if (!(o->max_grad_norm > 0))
        return mg_error_set(MG_EINVAL, "--max-grad-norm %g: must be > 0", o->max_grad_norm);
    if (!(o->delta > 0 && o->delta < 1))
        return mg_error_set(MG_EINVAL, "--delta %g: must be in (0, 1)", o->delta);
    if (cli_has(a, "noise-multiplier") && !(o->noise_multiplier > 0))
        return mg_error_set(MG_EINVAL, "--noise-multiplier %g: must be > 0", o->noise_multiplier);
    if (cli_has(a, "target-epsilon") && !(o->target_epsilon > 0))
        return mg_error_set(MG_EINVAL, "--target-epsilon %g: must be > 0", o->target_epsilon);
    if (cli_has(a, "max-epsilon") && !(o->max_epsilon > 0))
        return mg_error_set(MG_EINVAL, "--max-epsilon %g: must be > 0", o->max_epsilon);
    o->insecure = cli_has(a, "insecure-seed");
    o->insecure_seed = seed;
    return MG_OK;
}

int train_dp_attach(train_dp *t, mg_estimator *e, mg_hook *hook, size_t rows, size_t batch,
                    size_t epochs)
{
    int rc;

    memset(hook, 0, sizeof *hook);
    if (!t->on)
        return MG_OK;
    if (batch > rows)
        return mg_error_set(MG_EINVAL,
                            "--batch %zu: DP-SGD's expected batch must not exceed the "
                            "%zu training rows",
                            batch, rows);
    t->o.sample_rate = (double)batch / (double)rows;
    if ((rc = mg_dpsgd_create(&t->d, &t->o, rows, epochs, NULL)) < 0)
        return rc;
    mg_dpsgd_attach(t->d, e);
    *hook = mg_dpsgd_hook(t->d);
    return MG_OK;
}

int train_dp_record(train_dp *t, mg_model *m)
{
    mg_dpsgd_report r;
    int rc;

    if (!t->on)
        return MG_OK;
    if ((rc = mg_dpsgd_report_get(&r, t->d, 1)) < 0)
        return rc;
    return mg_dpsgd_report_record(&r, m);
}

struct json_t *train_dp_json(const mg_model *m)
{
    json_t *dp = json_object_get(mg_model_training_const(m), "dp");
    return dp ? json_deep_copy(dp) : NULL;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

void train_dp_table(const mg_model *m)
{
    const json_t *dp = json_object_get(mg_model_training_const(m), "dp");
    const char *noise;

    if (!dp)
        return;
    noise = json_string_value(json_object_get(dp, "noise"));
    printf("\ndifferential privacy (DP-SGD, Poisson sampling)\n");
    printf("%-18s %.10g (expected batch %.6g)\n", "sample rate q", num(dp, "sample_rate"),
           num(dp, "expected_batch"));
    printf("%-18s %.10g\n", "noise multiplier", num(dp, "noise_multiplier"));
    printf("%-18s %.10g\n", "max grad norm C", num(dp, "max_grad_norm"));
    printf("%-18s %.10g\n", "delta", num(dp, "delta"));
    printf("%-18s %.0f\n", "steps", num(dp, "steps"));
    printf("%-18s %.6g (RDP, best order %g)\n", "epsilon", num(dp, "epsilon"),
           num(dp, "best_alpha"));
    printf("%-18s %.6g (PRV, eps_error 0.01)\n", "", num(dp, "epsilon_prv"));
    if (json_is_true(json_object_get(dp, "stopped_by_budget")))
        printf("%-18s stopped early: --max-epsilon %g reached\n", "", num(dp, "max_epsilon"));
    printf("%-18s %s\n", "noise", noise ? noise : "?");
    if (noise && strcmp(noise, "secure") != 0)
        printf("%-18s NOT SECURE: --insecure-seed %lld makes the noise predictable\n", "",
               (long long)json_integer_value(json_object_get(dp, "insecure_seed")));
}

void train_dp_free(train_dp *t)
{
    mg_dpsgd_free(t->d);
    t->d = NULL;
}
