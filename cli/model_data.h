/* model_data.h - the training progress bar on stderr. */
#ifndef MODEL_DATA_H
#define MODEL_DATA_H

#include <stddef.h>

#include "mg_train.h" /* mg_train_open_for_model, mg_train_encode_for_model */

/* A progress bar on stderr (only when stderr is a terminal): an mg_progress_fn whose ud is a
 * cli_progress. */
typedef struct cli_progress {
    const char *what;
    int shown; /* percent drawn, -1 before the first */
} cli_progress;

void cli_progress_bar(void *ud, double fraction, int *cancel);
void cli_progress_done(cli_progress *p); /* ends the bar's line */

#endif
