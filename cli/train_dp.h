/* train_dp.h - the --dp part of `modelgov train`: DP-SGD flags, setup, record and report. */
#ifndef TRAIN_DP_H
#define TRAIN_DP_H

#include <stdint.h>

#include "cli.h"
#include "mg_privacy.h"

typedef struct train_dp {
    int on;
    mg_dpsgd_options o;
    mg_dpsgd *d;
} train_dp;

/*
 * Read the DP flags: --dp needs --max-grad-norm, --delta and one of
 * --noise-multiplier / --target-epsilon; every other DP flag needs --dp.
 * Errors: MG_EINVAL naming the flag.
 */
int train_dp_parse(train_dp *t, const cli_args *a);

/*
 * With --dp: DP-SGD for `rows` training rows with expected batch `batch`
 * (q = batch / rows) over `epochs` epochs, installed in `e`, and its hook in
 * *hook (left zeroed without --dp). Errors: those of mg_dpsgd_create.
 */
int train_dp_attach(train_dp *t, mg_estimator *e, mg_hook *hook, size_t rows, size_t batch,
                    size_t epochs);

/* With --dp: record what the run spent in the model's training "dp" object. Errors: MG_ENOMEM. */
int train_dp_record(train_dp *t, mg_model *m);

/*
 * The model's "dp" training record as the train output's "privacy" object
 * (a new reference, NULL for a non-private model), or printed as a table.
 */
struct json_t *train_dp_json(const mg_model *m);
void train_dp_table(const mg_model *m);

void train_dp_free(train_dp *t);

#endif
