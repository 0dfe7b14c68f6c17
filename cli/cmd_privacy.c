/* cmd_privacy.c - `modelgov privacy epsilon|noise`: DP-SGD accounting from the command line. */
#include "cli.h"
#include "mg_error.h"
#include "mg_privacy.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The flags both subcommands share, checked: q in (0, 1], steps >= 1, delta in (0, 1). */
typedef struct privacy_args {
    double q, delta;
    uint64_t steps;
    mg_privacy_accountant acc;
} privacy_args;

static int get_positive(const cli_args *a, const char *flag, double *out)
{
    const char *v;
    int rc;
    if ((rc = cli_require(a, flag, &v)) < 0 || (rc = cli_get_double(a, flag, 0, out)) < 0)
        return rc;
    if (!(*out > 0))
        return mg_error_set(MG_EINVAL, "--%s %s: must be > 0", flag, v);
    return MG_OK;
}

static int common_args(privacy_args *p, const cli_args *a)
{
    const char *v;
    unsigned long long steps;
    int rc;

    if ((rc = cli_require(a, "sample-rate", &v)) < 0 ||
        (rc = cli_get_double(a, "sample-rate", 0, &p->q)) < 0)
        return rc;
    if (!(p->q > 0 && p->q <= 1))
        return mg_error_set(MG_EINVAL, "--sample-rate %s: must be in (0, 1]", v);
    if ((rc = cli_require(a, "steps", &v)) < 0 || (rc = cli_get_u64(a, "steps", 0, &steps)) < 0)
        return rc;
    if (steps == 0)
        return mg_error_set(MG_EINVAL, "--steps 0: must be at least 1");
    p->steps = steps;
    if ((rc = cli_require(a, "delta", &v)) < 0 ||
        (rc = cli_get_double(a, "delta", 0, &p->delta)) < 0)
        return rc;
    if (!(p->delta > 0 && p->delta < 1))
        return mg_error_set(MG_EINVAL, "--delta %s: must be in (0, 1)", v);
    p->acc = MG_PRIVACY_RDP;
    if ((v = cli_get(a, "accountant")) && mg_privacy_accountant_parse(&p->acc, v) < 0)
        return mg_error_set(MG_EINVAL, "--accountant %s: expected 'rdp' or 'prv'", v);
    return MG_OK;
}

/* A flag that belongs to the other subcommand is a mistake worth naming. */
static int reject_flag(const cli_args *a, const char *flag, const char *owner)
{
    if (cli_has(a, flag))
        return mg_error_set(MG_EINVAL, "--%s belongs to 'modelgov privacy %s'", flag, owner);
    return MG_OK;
}

/* A number for the JSON output: null when not finite (no best order from the PRV accountant). */
static json_t *jnum(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

/* Print and release `doc`. Exit code: OK, or INTERNAL when out of memory. */
static int print_json(json_t *doc)
{
    int rc = cli_print_json(doc);

    json_decref(doc);
    return rc < 0 ? cli_fail(rc) : CLI_EXIT_OK;
}

static void print_inputs(const privacy_args *p)
{
    printf("%-18s %s\n", "accountant", mg_privacy_accountant_name(p->acc));
    printf("%-18s %.10g\n", "sample rate", p->q);
    printf("%-18s %llu\n", "steps", (unsigned long long)p->steps);
    printf("%-18s %.10g\n", "delta", p->delta);
}

static int run_epsilon(const cli_args *a, const privacy_args *p)
{
    mg_privacy_event ev = {p->q, 0, p->steps};
    double eps, lower = NAN, estimate = NAN, order = NAN;
    mg_privacy_prv_options o = MG_PRIVACY_PRV_OPTIONS_INIT;
    int rc;

    if ((rc = reject_flag(a, "target-epsilon", "noise")) < 0 ||
        (rc = get_positive(a, "noise-multiplier", &ev.noise_multiplier)) < 0)
        return cli_fail(rc);
    o.delta_error = p->delta / 1000;
    if (p->acc == MG_PRIVACY_PRV)
        rc = mg_privacy_prv_epsilon(&eps, &lower, &estimate, &ev, 1, p->delta, &o);
    else
        rc = mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, p->delta);
    if (rc < 0)
        return cli_fail(rc);

    if (a->json) {
        json_t *doc = json_pack("{s:o,s:o,s:s,s:f,s:f,s:I,s:f}", "epsilon", jnum(eps), "best_alpha",
                                jnum(order), "accountant", mg_privacy_accountant_name(p->acc),
                                "sample_rate", p->q, "noise_multiplier", ev.noise_multiplier,
                                "steps", (json_int_t)p->steps, "delta", p->delta);
        if (doc && p->acc == MG_PRIVACY_PRV) {
            json_object_set_new(doc, "epsilon_estimate", jnum(estimate));
            json_object_set_new(doc, "epsilon_lower", jnum(lower));
            json_object_set_new(doc, "eps_error", json_real(o.eps_error));
            json_object_set_new(doc, "delta_error", json_real(o.delta_error));
        }
        return print_json(doc);
    }
    print_inputs(p);
    printf("%-18s %.10g\n", "noise multiplier", ev.noise_multiplier);
    printf("%-18s %.10g\n", "epsilon", eps);
    if (p->acc == MG_PRIVACY_PRV) {
        printf("%-18s %.10g\n", "estimate", estimate);
        printf("%-18s %.10g\n", "lower bound", lower);
        printf("%-18s %g\n", "eps_error", o.eps_error);
        printf("%-18s %g\n", "delta_error", o.delta_error);
    } else {
        printf("%-18s %g\n", "best order", order);
    }
    return CLI_EXIT_OK;
}

static int run_noise(const cli_args *a, const privacy_args *p)
{
    double target, sigma, eps, order = NAN;
    int rc;

    if ((rc = reject_flag(a, "noise-multiplier", "epsilon")) < 0 ||
        (rc = get_positive(a, "target-epsilon", &target)) < 0)
        return cli_fail(rc);
    if ((rc = mg_privacy_noise_calibrate(&sigma, &eps, target, p->delta, p->q, p->steps, p->acc,
                                         MG_PRIVACY_EPSILON_TOLERANCE)) < 0)
        return cli_fail(rc);
    if (p->acc == MG_PRIVACY_RDP) {
        mg_privacy_event ev = {p->q, sigma, p->steps};
        if ((rc = mg_privacy_rdp_epsilon(&eps, &order, &ev, 1, p->delta)) < 0)
            return cli_fail(rc);
    }

    if (a->json)
        return print_json(json_pack(
            "{s:f,s:o,s:s,s:o,s:f,s:f,s:f,s:I,s:f}", "noise_multiplier", sigma, "epsilon",
            jnum(eps), "accountant", mg_privacy_accountant_name(p->acc), "best_alpha", jnum(order),
            "target_epsilon", target, "epsilon_tolerance", MG_PRIVACY_EPSILON_TOLERANCE,
            "sample_rate", p->q, "steps", (json_int_t)p->steps, "delta", p->delta));
    print_inputs(p);
    printf("%-18s %.10g\n", "target epsilon", target);
    printf("%-18s %.10g\n", "noise multiplier", sigma);
    printf("%-18s %.10g\n", "epsilon", eps);
    if (p->acc == MG_PRIVACY_RDP)
        printf("%-18s %g\n", "best order", order);
    return CLI_EXIT_OK;
}

int cmd_privacy(int argc, char **argv)
{
    cli_args a;
    privacy_args p;
    const char *sub;
    int rc = cli_parse(&a, cli_find("privacy"), argc, argv, 1);

    if (rc < 0)
        return cli_fail(rc);
    if (rc > 0)
        return CLI_EXIT_OK;
    if (a.npositional != 1)
        return cli_fail(mg_error_set(MG_EINVAL, "privacy: expected one subcommand, 'epsilon' or "
                                                "'noise' (see 'modelgov privacy --help')"));
    sub = a.positional[0];
    if (strcmp(sub, "epsilon") != 0 && strcmp(sub, "noise") != 0)
        return cli_fail(mg_error_set(MG_EINVAL,
                                     "privacy: unknown subcommand '%s': expected 'epsilon' or "
                                     "'noise'",
                                     sub));
    if ((rc = common_args(&p, &a)) < 0)
        return cli_fail(rc);
    return strcmp(sub, "epsilon") == 0 ? run_epsilon(&a, &p) : run_noise(&a, &p);
}
