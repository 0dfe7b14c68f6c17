/* mg_credit.h - the synthetic credit-approval data set (demo, tests, benchmarks). */
#ifndef MG_CREDIT_H
#define MG_CREDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Columns, in order (README "The synthetic credit data" documents them):
 *   age, gender, marital_status, education, employment, income, loan_amount,
 *   debt_ratio, credit_history_years, late_payments, home, approved
 * The label `approved` (yes/no) is drawn first, with probability
 * `base_rate` for men and `base_rate - gap` for women; the other columns are
 * drawn given the label, so a model can learn it. age and gender are drawn
 * independently of the label. income and employment have about 2% and 1%
 * missing values (empty fields). Same (rows, seed, gap) -> same bytes.
 */
typedef struct mg_credit_options {
    size_t rows;
    uint64_t seed;
    double base_rate;     /* approval rate of men, default 0.60 */
    double gap;           /* men's rate minus women's rate, default 0.15 */
    double female_share;  /* default 0.45 */
} mg_credit_options;

#define MG_CREDIT_OPTIONS_INIT {10000, 1, 0.60, 0.15, 0.45}

/*
 * Write the data set with a header row to `f`. `name` is used in messages.
 * Errors: MG_EINVAL (a rate outside [0, 1]), MG_EIO (write failed).
 */
int mg_credit_write(FILE *f, const char *name, const mg_credit_options *opts);

#endif
