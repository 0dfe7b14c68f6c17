/* noise.h - randomness for DP-SGD: OpenSSL's CSPRNG, or a seeded generator for tests (internal). */
#ifndef NOISE_H
#define NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "mg_rng.h"

/*
 * Uniforms and Gaussians from RAND_bytes (secure) or from mg_rng seeded with
 * `seed` (insecure, reproducible). Secure bytes are drawn in blocks.
 */
typedef struct noise_source {
    int secure;
    int have_spare;
    double spare;
    mg_rng rng;
    size_t pos;
    uint64_t block[512];
} noise_source;

/* Set up; nothing to free. Cannot fail (the CSPRNG is first used on draw). */
void noise_source_init(noise_source *s, int secure, uint64_t seed);

/* 64 random bits. Errors: MG_ERROR (RAND_bytes failed). */
int noise_bits(uint64_t *out, noise_source *s);

/* Uniform in (0, 1), 53 random bits. Errors: MG_ERROR. */
int noise_uniform(double *out, noise_source *s);

/*
 * Add N(0, std^2) noise to each of x[0..n). Secure sources add the sum of
 * four standard Gaussians halved (Opacus's secure mode, against the
 * floating-point attacks on sampled noise); insecure ones a single draw.
 * Gaussians by Marsaglia's polar method. Errors: MG_ERROR.
 */
int noise_add_gaussian(double *x, size_t n, double std, noise_source *s);

#endif
