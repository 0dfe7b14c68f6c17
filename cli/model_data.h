/* model_data.h - reading a CSV for a saved model: types from its pipeline, targets from a label. */
#ifndef MODEL_DATA_H
#define MODEL_DATA_H

#include <stddef.h>

#include "mg_model.h"

/*
 * Open `path` with the model's input columns typed as its pipeline says
 * (so a non-number in a numeric input fails with file:line:column).
 * Errors: as mg_dataset_open.
 */
int cli_open_for_model(mg_dataset **out, const char *path, const mg_model *m);

/*
 * Encode every row of ds into X (malloc'd n x width) and, with `label`,
 * targets into *y (malloc'd; rows with a missing label are left out, their
 * count in *dropped). *n gets the rows kept, *unknown the unseen categories.
 * Errors: MG_ENOTFOUND (a column), MG_EINVAL (a label value), MG_ENOMEM.
 */
int cli_encode_for_model(double **X, double **y, size_t *n, size_t *dropped, size_t *unknown,
                         const mg_model *m, const mg_dataset *ds, const char *label);

/* A progress bar on stderr (only when stderr is a terminal): an mg_progress_fn whose ud is a
 * cli_progress. */
typedef struct cli_progress {
    const char *what;
    int shown; /* percent drawn, -1 before the first */
} cli_progress;

void cli_progress_bar(void *ud, double fraction, int *cancel);
void cli_progress_done(cli_progress *p); /* ends the bar's line */

#endif
