/* main.c - the modelgov binary: everything happens in cli_main(). */
#include "cli.h"

#include <stdlib.h>

#include <cblas.h>

int main(int argc, char **argv)
{
    /*
     * OpenBLAS on one thread unless the user sized its pool. Our matrices
     * are mini-batches (256 x 105 x 64 for an MLP on Adult): a threaded
     * dgemm there costs more in hand-over than it saves, and the idle
     * workers then spin on sched_yield. Measured on Adult, MLP 64,32, 20
     * epochs: 1.00 s wall and 1.98 s CPU with the default pool, 0.65 s and
     * 0.74 s on one thread; predicting 1M rows takes the same either way.
     * The parallel work (explainer rows, DP noise, server jobs) has its own
     * threads.
     */
    if (!getenv("OPENBLAS_NUM_THREADS"))
        openblas_set_num_threads(1);
    return cli_main(argc, argv);
}
