/* train_dp.h - the --dp part of `modelgov train`: DP-SGD flags and the report. */
#ifndef TRAIN_DP_H
#define TRAIN_DP_H

#include <stdint.h>

#include "cli.h"
#include "mg_train.h"

/*
 * Read the DP flags into *t: --dp needs --max-grad-norm, --delta and one of
 * --noise-multiplier / --target-epsilon; every other DP flag needs --dp.
 * Errors: MG_EINVAL naming the flag.
 */
int train_dp_parse(mg_train_dp_spec *t, const cli_args *a);

/*
 * The model's "dp" training record as the train output's "privacy" object
 * (a new reference, NULL for a non-private model), or printed as a table.
 */
struct json_t *train_dp_json(const mg_model *m);
void train_dp_table(const mg_model *m);

#endif
