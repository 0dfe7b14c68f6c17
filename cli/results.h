/* results.h - printing what train and evaluate found: a table, or DESIGN §3's JSON. */
#ifndef RESULTS_H
#define RESULTS_H

#include <stddef.h>

#include "mg_estimator.h"
#include "mg_metrics.h"
#include "mg_sha256.h"

typedef struct train_result {
    size_t ntrain, ntest, dropped, test_dropped;
    double seconds;
    mg_metrics metrics;
    int have_metrics;
    const char *out;
    char sha256[MG_SHA256_HEX]; /* of the written model, "" when not written */
} train_result;

/* Print a training run on stdout. Errors: MG_ENOMEM. */
int results_print_train(const train_result *r, const mg_estimator *e, int json);

/*
 * Print an evaluation on stdout: {"model":…, "n":…, "dropped":…,
 * "unknown_categories":…, "metrics":{…}} or a table. Errors: MG_ENOMEM.
 */
int results_print_eval(const mg_metrics *m, const mg_model *model, const char *model_path,
                       size_t dropped, size_t unknown, int json);

#endif
