/* mg_rng.h - a small seeded generator, identical on every platform. */
#ifndef MG_RNG_H
#define MG_RNG_H

#include <stddef.h>
#include <stdint.h>

/*
 * xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64. Every
 * seeded computation (splits, sampling, data generation, SHAP coalitions)
 * uses it, so that the same seed gives the same bits on any machine.
 * A value type: copy it to fork a stream. Not for secrets (see privacy/).
 */
typedef struct mg_rng {
    uint64_t s[4];
} mg_rng;

/* Seed from a 64-bit value. Cannot fail. */
void mg_rng_seed(mg_rng *r, uint64_t seed);

/* An independent stream for worker `stream` of a seeded job. Cannot fail. */
void mg_rng_seed_stream(mg_rng *r, uint64_t seed, uint64_t stream);

/* Next 64 random bits. */
uint64_t mg_rng_next(mg_rng *r);

/* Uniform double in [0, 1) with 53 random bits. */
double mg_rng_uniform(mg_rng *r);

/* Uniform integer in [0, n), unbiased; n must be > 0. */
uint64_t mg_rng_below(mg_rng *r, uint64_t n);

/* Standard normal (Marsaglia polar method). */
double mg_rng_normal(mg_rng *r);

/* Fisher-Yates shuffle of `n` size_t values. */
void mg_rng_shuffle(mg_rng *r, size_t *v, size_t n);

#endif
