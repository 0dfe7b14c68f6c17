/* noise.h - randomness for DP-SGD: OpenSSL's CSPRNG, or a seeded generator for tests (internal). */
#ifndef NOISE_H
#define NOISE_H

#include <stddef.h>
#include <stdint.h>

#include "mg_rng.h"

/*
 * Layers of the ziggurat; 64-bit words per block of secure output (64 KiB)
 * and per spare block (4 KiB, the ziggurat's slow path); bytes of keystream
 * between two keys from RAND_bytes (16 MiB).
 */
#define NOISE_ZIG_LAYERS 256
#define NOISE_BLOCK_WORDS 8192
#define NOISE_SPARE_WORDS 512
#define NOISE_REKEY_BYTES (16u << 20)

struct evp_cipher_ctx_st;

/*
 * Uniforms and Gaussians from a CSPRNG (secure) or from mg_rng seeded with
 * `seed` (insecure, reproducible). Secure bits are the AES-256-CTR keystream
 * (OpenSSL EVP, AES-NI) under a 256-bit key and a 128-bit IV from RAND_bytes,
 * made in blocks; a fresh key and IV from RAND_bytes replace them every
 * NOISE_REKEY_BYTES, and the old schedule is wiped (OpenSSL's own DRBG is
 * CTR-DRBG on the same cipher). A forked child discards every unused word
 * the parent made and rekeys before its first draw, so the two never share
 * noise or sampling bits.
 */
typedef struct noise_source {
    int secure;
    mg_rng rng;
    double zig_x[NOISE_ZIG_LAYERS + 1], zig_r[NOISE_ZIG_LAYERS], zig_f[NOISE_ZIG_LAYERS + 1];
    struct evp_cipher_ctx_st *ctx; /* the keystream, NULL until the first block */
    unsigned long forks;           /* the fork generation that keyed ctx */
    size_t keyed;                  /* bytes made under the current key */
    size_t pos, spare_pos;
    uint64_t block[NOISE_BLOCK_WORDS];
    uint64_t spare[NOISE_SPARE_WORDS];
} noise_source;

/*
 * Set up. Cannot fail (the CSPRNG is first used on draw); free with
 * noise_source_free. Insecure sources draw stream `stream` of `seed`
 * (mg_rng_seed_stream), so that sampling and noise are independent
 * reproducible streams.
 */
void noise_source_init(noise_source *s, int secure, uint64_t seed, uint64_t stream);

/* Wipe and free the keystream and the unused bits. NULL is a no-op. */
void noise_source_free(noise_source *s);

/* 64 random bits. Errors: MG_ERROR (RAND_bytes or the cipher failed). */
int noise_bits(uint64_t *out, noise_source *s);

/* Uniform in (0, 1), 53 random bits. Errors: MG_ERROR. */
int noise_uniform(double *out, noise_source *s);

/*
 * Add N(0, std^2) noise to each of x[0..n). Secure sources add the sum of
 * four standard Gaussians halved (Opacus's secure mode, against the
 * floating-point attacks on sampled noise); insecure ones a single draw.
 * Gaussians by the ziggurat method (Marsaglia & Tsang 2000, in Doornik's
 * 2005 form, layer from bits independent of the uniform): one 64-bit word
 * per draw on the fast path. Insecure: a 53-bit uniform on [-1, 1). Secure:
 * the layer, a sign bit and a 52-bit uniform on [0, 1) from one word, the
 * fast path done for a block of words at once, the rare rejections then
 * redone one by one with fresh words; same distribution. Errors: MG_ERROR.
 */
int noise_add_gaussian(double *x, size_t n, double std, noise_source *s);

/*
 * n standard normals into z, one ziggurat draw each, as noise_add_gaussian
 * draws them (secure or seeded layout): the components of its noise, for
 * tests of the sampler. Errors: MG_ERROR.
 */
int noise_gaussians(double *z, size_t n, noise_source *s);

/*
 * A worker thread that draws the next vector of noise while the caller
 * computes gradients: noise does not depend on the data, so it overlaps
 * with the step. Vectors come out in the order a single source would make
 * them, so seeded runs repeat exactly. Short vectors (under 32768 draws)
 * are drawn in the caller's thread instead, where the hand-over would cost
 * more than the work, and so is all noise when no core is free at the start
 * (the one-minute load average, the caller included, is not below the
 * usable CPUs less one half): then a worker would only add CPU time.
 */
typedef struct noise_stream noise_stream;

/*
 * Forks of this process so far, as seen from this process: a child sees one
 * more than its parent did when it forked. A stream started in an earlier
 * generation has no worker here (fork copies only the calling thread).
 */
unsigned long noise_fork_generation(void);

/* Whether a stream draws on a worker: as the rule above says, or always, or never (tests). */
typedef enum noise_thread {
    NOISE_THREAD_AUTO,
    NOISE_THREAD_ALWAYS,
    NOISE_THREAD_NEVER
} noise_thread;

/*
 * Start a stream of vectors of n values of N(0, std^2) noise (as
 * noise_add_gaussian) from a source set up as noise_source_init says, on a
 * worker thread as `thread` says. Errors: MG_ENOMEM, MG_ERROR (the thread
 * could not start).
 */
int noise_stream_start(noise_stream **out, int secure, uint64_t seed, uint64_t stream, size_t n,
                       double std, noise_thread thread);

/* Whether the stream draws on a worker thread. */
int noise_stream_threaded(const noise_stream *st);

/*
 * Add the next vector to x[0..n), waiting for it if needed. In a forked child
 * a threaded stream has lost its worker: it drops the vector the parent drew
 * (the parent adds it too), never touches the worker's lock (a thread that is
 * gone may hold it), and draws in the caller's thread from then on.
 * Errors: MG_ERROR (the CSPRNG failed).
 */
int noise_stream_add(noise_stream *st, double *x);

/* The vector length. */
size_t noise_stream_length(const noise_stream *st);

/* Stop and free the worker (in a forked child, only the memory). NULL is a no-op. */
void noise_stream_stop(noise_stream *st);

#endif
