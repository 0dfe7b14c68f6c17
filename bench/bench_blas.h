/* bench_blas.h - run a bench with OpenBLAS's worker pool sized before it starts (benches only). */
#ifndef BENCH_BLAS_H
#define BENCH_BLAS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * OpenBLAS starts its worker pool (one thread per core) when it loads, and
 * openblas_set_num_threads(1) leaves the workers alive: perf showed one
 * spinning on sched_yield for ~15% of a bench's samples, CPU time the clocks
 * count but no work needs, and a core taken from any thread of our own. The
 * peers get OPENBLAS_NUM_THREADS before they start; so does the bench, by
 * running itself again with it set to `threads`. `name` is the bench's, for
 * the message when that fails (the bench then goes on as it is).
 */
static inline void bench_pin_blas_pool(const char *name, char **argv, int threads)
{
    const char *have = getenv("OPENBLAS_NUM_THREADS");
    char want[16];

    snprintf(want, sizeof want, "%d", threads < 1 ? 1 : threads);
    if (have && strcmp(have, want) == 0)
        return;
    if (setenv("OPENBLAS_NUM_THREADS", want, 1) == 0)
        execv("/proc/self/exe", argv);
    fprintf(stderr,
            "%s: could not restart with OPENBLAS_NUM_THREADS=%s; the idle BLAS workers' CPU time"
            " counts\n",
            name, want);
}

#endif
