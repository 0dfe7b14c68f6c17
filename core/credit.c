/* credit.c - synthetic credit-approval data with a known, seeded gender gap. */
#include "mg_credit.h"
#include "mg_error.h"
#include "mg_rng.h"

#include <math.h>
#include <string.h>

/* A line is at most ~150 bytes; flush the block when less than this is left. */
#define BLOCK (1u << 18)
#define LINE_MAX_BYTES 512

static const char *const marital[] = {"single", "married", "divorced", "widowed"};
static const char *const education[] = {"high-school", "bachelor", "master", "doctorate"};
static const char *const employment[] = {"salaried", "self-employed", "unemployed", "retired"};
static const char *const home[] = {"rent", "mortgage", "own"};

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_uint(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* A non-negative value with `digits` decimals, rounded half up. */
static char *put_fixed(char *p, double v, int digits)
{
    uint64_t scale = digits == 2 ? 100 : 1000;
    uint64_t x = (uint64_t)llround(v * (double)scale);
    uint64_t frac = x % scale;

    p = put_uint(p, x / scale);
    *p++ = '.';
    if (digits == 3)
        *p++ = (char)('0' + frac / 100 % 10);
    *p++ = (char)('0' + frac / 10 % 10);
    *p++ = (char)('0' + frac % 10);
    return p;
}

/* Pick index i with probability w[i] (weights sum to 1). */
static size_t pick(mg_rng *r, const double *w, size_t n)
{
    double u = mg_rng_uniform(r), acc = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        acc += w[i];
        if (u < acc)
            return i;
    }
    return n - 1;
}

static uint64_t poisson(mg_rng *r, double lambda)
{
    double l = exp(-lambda), p = 1.0;
    uint64_t k = 0;

    do {
        k++;
        p *= mg_rng_uniform(r);
    } while (p > l);
    return k - 1;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One row; `yes` is the label. Features depend on the label, not on gender. */
static char *write_row(char *p, mg_rng *r, int female, int yes)
{
    static const double edu_w[2][4] = {{0.45, 0.35, 0.15, 0.05}, {0.25, 0.40, 0.25, 0.10}};
    static const double emp_w[2][4] = {{0.55, 0.15, 0.20, 0.10}, {0.72, 0.18, 0.03, 0.07}};
    static const double mar_w[4] = {0.38, 0.45, 0.12, 0.05};
    static const double home_w[2][3] = {{0.50, 0.35, 0.15}, {0.30, 0.45, 0.25}};
    double u = mg_rng_uniform(r);
    uint64_t age = 18 + (uint64_t)(62.0 * u * u * (3.0 - 2.0 * u));
    double income = exp(log(38.0) + 0.35 * yes + 0.45 * mg_rng_normal(r));
    double loan = exp(log(12.0) + 0.6 * mg_rng_normal(r));
    double debt = clamp(0.42 - 0.12 * yes + 0.12 * mg_rng_normal(r), 0.0, 1.0);
    uint64_t history = (uint64_t)clamp((double)(age - 18) * mg_rng_uniform(r) * (0.7 + 0.3 * yes),
                                       0, 60);
    uint64_t late = poisson(r, yes ? 0.4 : 1.6);
    size_t emp = pick(r, emp_w[yes], 4);

    p = put_uint(p, age);
    *p++ = ',';
    p = put_str(p, female ? "Female" : "Male");
    *p++ = ',';
    p = put_str(p, marital[pick(r, mar_w, 4)]);
    *p++ = ',';
    p = put_str(p, education[pick(r, edu_w[yes], 4)]);
    *p++ = ',';
    if (mg_rng_uniform(r) >= 0.01)
        p = put_str(p, employment[emp]);
    *p++ = ',';
    if (mg_rng_uniform(r) >= 0.02)
        p = put_fixed(p, income, 2);
    *p++ = ',';
    p = put_fixed(p, loan, 2);
    *p++ = ',';
    p = put_fixed(p, debt, 3);
    *p++ = ',';
    p = put_uint(p, history);
    *p++ = ',';
    p = put_uint(p, late);
    *p++ = ',';
    p = put_str(p, home[pick(r, home_w[yes], 3)]);
    *p++ = ',';
    p = put_str(p, yes ? "yes" : "no");
    *p++ = '\n';
    return p;
}

int mg_credit_write(FILE *f, const char *name, const mg_credit_options *opts)
{
    static const char header[] = "age,gender,marital_status,education,employment,income,"
                                 "loan_amount,debt_ratio,credit_history_years,late_payments,"
                                 "home,approved\n";
    char block[BLOCK];
    char *p = block;
    mg_rng r;

    if (!(opts->base_rate >= 0 && opts->base_rate <= 1) ||
        !(opts->base_rate - opts->gap >= 0 && opts->base_rate - opts->gap <= 1))
        return mg_error_set(MG_EINVAL, "--gap: the women's approval rate %g is outside [0, 1]",
                            opts->base_rate - opts->gap);
    if (!(opts->female_share >= 0 && opts->female_share <= 1))
        return mg_error_set(MG_EINVAL, "female share %g is outside [0, 1]", opts->female_share);
    mg_rng_seed(&r, opts->seed);
    p = put_str(p, header);
    for (size_t i = 0; i < opts->rows; i++) {
        int female = mg_rng_uniform(&r) < opts->female_share;
        double rate = female ? opts->base_rate - opts->gap : opts->base_rate;
        int yes = mg_rng_uniform(&r) < rate;

        p = write_row(p, &r, female, yes);
        if ((size_t)(block + BLOCK - p) < LINE_MAX_BYTES) {
            if (fwrite(block, 1, (size_t)(p - block), f) != (size_t)(p - block))
                return mg_error_set(MG_EIO, "%s: write failed", name);
            p = block;
        }
    }
    if (fwrite(block, 1, (size_t)(p - block), f) != (size_t)(p - block) || fflush(f) != 0)
        return mg_error_set(MG_EIO, "%s: write failed", name);
    return MG_OK;
}
