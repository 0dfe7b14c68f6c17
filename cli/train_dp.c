/* train_dp.c - the --dp part of `modelgov train`: DP-SGD flags and the report. */
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

int train_dp_parse(mg_train_dp_spec *t, const cli_args *a)
{
    unsigned long long seed;
    int rc;

    memset(t, 0, sizeof *t);
    t->with_prv = 1;
    t->on = cli_has(a, "dp");
    for (size_t i = 0; !t->on && i < sizeof dp_only / sizeof *dp_only; i++)
        if (cli_has(a, dp_only[i]))
            return mg_error_set(MG_EINVAL, "--%s is a DP-SGD setting: add --dp", dp_only[i]);
    if (!t->on)
        return MG_OK;
    if (cli_has(a, "noise-multiplier") == cli_has(a, "target-epsilon"))
        return mg_error_set(MG_EINVAL, "--dp needs exactly one of --noise-multiplier and "
                                       "--target-epsilon");
    if ((rc = get_required(a, "max-grad-norm", &t->max_grad_norm)) < 0 ||
        (rc = get_required(a, "delta", &t->delta)) < 0 ||
        (rc = cli_get_double(a, "noise-multiplier", 0, &t->noise_multiplier)) < 0 ||
        (rc = cli_get_double(a, "target-epsilon", 0, &t->target_epsilon)) < 0 ||
        (rc = cli_get_double(a, "max-epsilon", 0, &t->max_epsilon)) < 0 ||
        (rc = cli_get_u64(a, "insecure-seed", 0, &seed)) < 0)
        return rc;
    if (!(t->max_grad_norm > 0))
        return mg_error_set(MG_EINVAL, "--max-grad-norm %g: must be > 0", t->max_grad_norm);
    if (!(t->delta > 0 && t->delta < 1))
        return mg_error_set(MG_EINVAL, "--delta %g: must be in (0, 1)", t->delta);
    if (cli_has(a, "noise-multiplier") && !(t->noise_multiplier > 0))
        return mg_error_set(MG_EINVAL, "--noise-multiplier %g: must be > 0", t->noise_multiplier);
    if (cli_has(a, "target-epsilon") && !(t->target_epsilon > 0))
        return mg_error_set(MG_EINVAL, "--target-epsilon %g: must be > 0", t->target_epsilon);
    if (cli_has(a, "max-epsilon") && !(t->max_epsilon > 0))
        return mg_error_set(MG_EINVAL, "--max-epsilon %g: must be > 0", t->max_epsilon);
    t->insecure = cli_has(a, "insecure-seed");
    t->insecure_seed = seed;
    return MG_OK;
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
