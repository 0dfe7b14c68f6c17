/* noise.h - randomness for DP-SGD: OpenSSL's CSPRNG, or a seeded generator for tests (internal). */
#ifndef NOISE_H
#define NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "mg_rng.h"

/* Layers of the ziggurat; 64-bit words per block of CSPRNG output (64 KiB). */
#define NOISE_ZIG_LAYERS 256
#define NOISE_BLOCK_WORDS 8192

/*
 * Uniforms and Gaussians from RAND_bytes (secure) or from mg_rng seeded with
 * `seed` (insecure, reproducible). Secure bytes are drawn in 64 KiB blocks
 * (OpenSSL's largest request), where its DRBG runs at several GB/s.
 */
typedef struct noise_source {
    int secure;
    mg_rng rng;
    double zig_x[NOISE_ZIG_LAYERS + 1], zig_r[NOISE_ZIG_LAYERS];
    size_t pos;
    uint64_t block[NOISE_BLOCK_WORDS];
} noise_source;

/*
 * Set up; nothing to free. Cannot fail (the CSPRNG is first used on draw).
 * Insecure sources draw stream `stream` of `seed` (mg_rng_seed_stream), so
 * that sampling and noise are independent reproducible streams.
 */
void noise_source_init(noise_source *s, int secure, uint64_t seed, uint64_t stream);

/* 64 random bits. Errors: MG_ERROR (RAND_bytes failed). */
int noise_bits(uint64_t *out, noise_source *s);

/* Uniform in (0, 1), 53 random bits. Errors: MG_ERROR. */
int noise_uniform(double *out, noise_source *s);

/*
 * Add N(0, std^2) noise to each of x[0..n). Secure sources add the sum of
 * four standard Gaussians halved (Opacus's secure mode, against the
 * floating-point attacks on sampled noise); insecure ones a single draw.
 * Gaussians by the ziggurat method (Marsaglia & Tsang 2000, in Doornik's
 * 2005 form: 53-bit uniforms, layer from independent bits). Errors: MG_ERROR.
 */
int noise_add_gaussian(double *x, size_t n, double std, noise_source *s);

/*
 * A worker thread that draws the next vector of noise while the caller
 * computes gradients: noise does not depend on the data, so it overlaps
 * with the step. Vectors come out in the order a single source would make
 * them, so seeded runs repeat exactly. Short vectors (under 32768 draws)
 * are drawn in the caller's thread instead, where the hand-over would cost
 * more than the work.
 */
typedef struct noise_stream noise_stream;

/*
 * Start a worker making vectors of n values of N(0, std^2) noise (as
 * noise_add_gaussian) from a source set up as noise_source_init says.
 * Errors: MG_ENOMEM, MG_ERROR (the thread could not start).
 */
int noise_stream_start(noise_stream **out, int secure, uint64_t seed, uint64_t stream, size_t n,
                       double std);

/* Add the next vector to x[0..n), waiting for it if needed. Errors: MG_ERROR (the CSPRNG failed).
 */
int noise_stream_add(noise_stream *st, double *x);

/* The vector length. */
size_t noise_stream_length(const noise_stream *st);

/* Stop and free the worker. NULL is a no-op. */
void noise_stream_stop(noise_stream *st);

#endif
