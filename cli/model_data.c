/* model_data.c - the training progress bar. */
#include "model_data.h"

#include <stdio.h>

void cli_progress_bar(void *ud, double fraction, int *cancel)
{
    cli_progress *p = ud;
    int pct = (int)(fraction * 100.0 + 0.5), width = 40, fill = (int)(fraction * width + 0.5);

    (void)cancel;
    if (pct == p->shown)
        return;
    p->shown = pct;
    fprintf(stderr, "\r%s [%.*s%*s] %3d%%", p->what, fill,
            "########################################", width - fill, "", pct);
    fflush(stderr);
}

void cli_progress_done(cli_progress *p)
{
    if (p->shown >= 0)
        fputc('\n', stderr);
    p->shown = -1;
}
