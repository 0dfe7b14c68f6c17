/* noise.c - uniforms and Gaussians for DP-SGD, from OpenSSL's CSPRNG by default. */
#define _POSIX_C_SOURCE 200809L
#include "noise.h"
#include "mg_error.h"

#include <math.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

/*
 * The ziggurat of Doornik (2005), "An improved ziggurat method to generate
 * normal random samples": 256 layers of equal area V under exp(-x^2 / 2),
 * the base layer holding the tail beyond R (Marsaglia & Tsang's constants
 * for 256 layers).
 */
#define ZIG_R 3.6541528853610088
#define ZIG_V 0.00492867323399

static void zig_init(noise_source *s)
{
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    s->zig_x[0] = ZIG_V / f;
    s->zig_x[1] = ZIG_R;
    s->zig_x[NOISE_ZIG_LAYERS] = 0;
    for (int i = 2; i < NOISE_ZIG_LAYERS; i++) {
        s->zig_x[i] = sqrt(-2 * log(ZIG_V / s->zig_x[i - 1] + f));
        f = exp(-0.5 * s->zig_x[i] * s->zig_x[i]);
    }
    for (int i = 0; i < NOISE_ZIG_LAYERS; i++)
        s->zig_r[i] = s->zig_x[i + 1] / s->zig_x[i];
    for (int i = 0; i <= NOISE_ZIG_LAYERS; i++)
        s->zig_f[i] = exp(-0.5 * s->zig_x[i] * s->zig_x[i]);
}

/*
 * Forks of this process, counted in the child (pthread_atfork): a source
 * keyed in another generation holds its parent's keystream and unused
 * words. Process-wide by nature, like OpenSSL's own fork detection, and
 * cheaper to compare on every draw than getpid(), a system call. Only a
 * child writes it, while it has one thread.
 */
static unsigned long fork_generation;
static pthread_once_t fork_hook_once = PTHREAD_ONCE_INIT;

static void count_fork(void)
{
    fork_generation++;
}

static void install_fork_hook(void)
{
    pthread_atfork(NULL, NULL, count_fork);
}

unsigned long noise_fork_generation(void)
{
    pthread_once(&fork_hook_once, install_fork_hook);
    return fork_generation;
}

void noise_source_init(noise_source *s, int secure, uint64_t seed, uint64_t stream)
{
    s->secure = secure;
    s->ctx = NULL;
    s->forks = 0;
    pthread_once(&fork_hook_once, install_fork_hook);
    s->keyed = 0;
    memset(s->block, 0, sizeof s->block);
    memset(s->spare, 0, sizeof s->spare);
    s->pos = NOISE_BLOCK_WORDS; /* empty: refill on first draw */
    s->spare_pos = NOISE_SPARE_WORDS;
    zig_init(s);
    mg_rng_seed_stream(&s->rng, secure ? 0 : seed, stream);
}

void noise_source_free(noise_source *s)
{
    if (!s)
        return;
    EVP_CIPHER_CTX_free(s->ctx); /* wipes the key schedule */
    s->ctx = NULL;
    OPENSSL_cleanse(s->block, sizeof s->block);
    OPENSSL_cleanse(s->spare, sizeof s->spare);
    s->pos = NOISE_BLOCK_WORDS;
    s->spare_pos = NOISE_SPARE_WORDS;
}

/* A fresh 256-bit key and 128-bit IV from RAND_bytes for the keystream. */
static int rekey(noise_source *s)
{
    unsigned char key[32 + 16];
    int ok;

    if (!s->ctx && !(s->ctx = EVP_CIPHER_CTX_new()))
        return mg_error_set(MG_ERROR, "DP-SGD: OpenSSL could not make a cipher context");
    ok = RAND_bytes(key, (int)sizeof key) == 1 &&
         EVP_EncryptInit_ex(s->ctx, EVP_aes_256_ctr(), NULL, key, key + 32) == 1;
    OPENSSL_cleanse(key, sizeof key);
    if (!ok)
        return mg_error_set(MG_ERROR, "DP-SGD: OpenSSL RAND_bytes or AES-256-CTR failed");
    s->forks = fork_generation;
    s->keyed = 0;
    return MG_OK;
}

/*
 * XOR keystream into words[0..n), rekeyed as noise.h says. The words hold
 * zeros or spent output: either way the result is as unpredictable as the
 * keystream (XOR with a fixed content is a bijection), and no pass to
 * clear them first.
 */
static int keystream(uint64_t *words, size_t n, noise_source *s)
{
    int len = 0, rc;

    if ((!s->ctx || s->keyed >= NOISE_REKEY_BYTES || s->forks != fork_generation) &&
        (rc = rekey(s)) < 0)
        return rc;
    if (EVP_EncryptUpdate(s->ctx, (unsigned char *)words, &len, (unsigned char *)words,
                          (int)(n * sizeof *words)) != 1 ||
        len != (int)(n * sizeof *words))
        return mg_error_set(MG_ERROR, "DP-SGD: OpenSSL AES-256-CTR failed");
    s->keyed += n * sizeof *words;
    return MG_OK;
}

/*
 * In a forked child, drop the words the parent made and has not used (the
 * parent draws them too): the next draw makes a block under a fresh key.
 */
static void forget_if_forked(noise_source *s)
{
    if (s->secure && s->ctx && s->forks != fork_generation) {
        OPENSSL_cleanse(s->block, sizeof s->block);
        OPENSSL_cleanse(s->spare, sizeof s->spare);
        s->pos = NOISE_BLOCK_WORDS;
        s->spare_pos = NOISE_SPARE_WORDS;
    }
}

/* The next block of keystream into s->block. */
static int refill(noise_source *s)
{
    int rc = keystream(s->block, NOISE_BLOCK_WORDS, s);
    s->pos = rc < 0 ? NOISE_BLOCK_WORDS : 0;
    return rc;
}

int noise_bits(uint64_t *out, noise_source *s)
{
    int rc;

    if (!s->secure) {
        *out = mg_rng_next(&s->rng);
        return MG_OK;
    }
    forget_if_forked(s);
    if (s->pos == NOISE_BLOCK_WORDS && (rc = refill(s)) < 0)
        return rc;
    *out = s->block[s->pos++];
    return MG_OK;
}

int noise_uniform(double *out, noise_source *s)
{
    uint64_t b = 0;
    int rc;
    do {
        if ((rc = noise_bits(&b, s)) < 0)
            return rc;
        *out = (double)(b >> 11) * 0x1.0p-53;
    } while (*out == 0.0);
    return MG_OK;
}

/*
 * 64 secure bits from the spare block, which the ziggurat's slow path uses
 * so that the main block stays put while a chunk of it is being read.
 */
static int spare_bits(uint64_t *out, noise_source *s)
{
    int rc;

    forget_if_forked(s);
    if (s->spare_pos == NOISE_SPARE_WORDS) {
        if ((rc = keystream(s->spare, NOISE_SPARE_WORDS, s)) < 0)
            return rc;
        s->spare_pos = 0;
    }
    *out = s->spare[s->spare_pos++];
    return MG_OK;
}

/* Uniform in (0, 1), 53 bits, from the spare block (`spare`) or as noise_uniform. */
static int draw_uniform(double *out, noise_source *s, int spare)
{
    uint64_t b = 0;
    int rc;

    if (!spare)
        return noise_uniform(out, s);
    do {
        if ((rc = spare_bits(&b, s)) < 0)
            return rc;
        *out = (double)(b >> 11) * 0x1.0p-53;
    } while (*out == 0.0);
    return MG_OK;
}

/* The tail beyond R (Marsaglia 1964), on the side `negative` says; `spare` as draw_uniform. */
static int zig_tail(double *z, noise_source *s, int negative, int spare)
{
    double x, y, u1, u2;
    int rc;
    do {
        if ((rc = draw_uniform(&u1, s, spare)) < 0 || (rc = draw_uniform(&u2, s, spare)) < 0)
            return rc;
        x = log(u1) / ZIG_R;
        y = log(u2);
    } while (-2 * y < x * x);
    *z = negative ? x - ZIG_R : ZIG_R - x;
    return MG_OK;
}

/* The ziggurat's slow path for word b: a wedge or the tail, with fresh draws on rejection. */
static int gaussian_slow(double *z, noise_source *s, uint64_t b)
{
    double u, x, f0, f1, v;
    int rc;

    for (;;) {
        unsigned i = (unsigned)(b & (NOISE_ZIG_LAYERS - 1)); /* low 8 bits: the layer */
        u = 2 * ((double)(b >> 11) * 0x1.0p-53) - 1;         /* high 53 bits: [-1, 1) */
        if (fabs(u) < s->zig_r[i]) {
            *z = u * s->zig_x[i];
            return MG_OK;
        }
        if (i == 0)
            return zig_tail(z, s, u < 0, 0);
        x = u * s->zig_x[i];
        f0 = exp(-0.5 * (s->zig_x[i] * s->zig_x[i] - x * x));
        f1 = exp(-0.5 * (s->zig_x[i + 1] * s->zig_x[i + 1] - x * x));
        if ((rc = noise_uniform(&v, s)) < 0)
            return rc;
        if (f1 + v * (f0 - f1) < 1.0) {
            *z = x;
            return MG_OK;
        }
        if ((rc = noise_bits(&b, s)) < 0)
            return rc;
    }
}

/*
 * One standard normal: the ziggurat's rectangle test inline (98.8% of draws
 * end there, one 64-bit word each), the rest in gaussian_slow.
 */
static inline int gaussian(double *z, noise_source *s)
{
    uint64_t b;
    int rc;

    if ((rc = noise_bits(&b, s)) < 0)
        return rc;
    unsigned i = (unsigned)(b & (NOISE_ZIG_LAYERS - 1));
    double u = 2 * ((double)(b >> 11) * 0x1.0p-53) - 1;
    if (fabs(u) < s->zig_r[i]) {
        *z = u * s->zig_x[i];
        return MG_OK;
    }
    return gaussian_slow(z, s, b);
}

/* ---- the secure path: a block of words at a time ---- */

/* Coordinates per pass of the block kernel (4 words each). */
#define CHUNK 256

static inline double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static inline uint64_t to_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return b;
}

/*
 * Word b in the secure layout: bits 0-7 the layer i, bit 8 the sign, bits
 * 12-63 the uniform u on [0, 1) (as the mantissa of a double in [1, 2),
 * less 1). On the fast path (u < r_i) the draw is ±u x_i.
 */
static inline double secure_u(uint64_t b)
{
    return from_bits((b >> 12) | UINT64_C(0x3FF0000000000000)) - 1.0;
}

/* The ziggurat's slow path for word b in the secure layout, spare words on rejection. */
static int secure_slow(double *z, noise_source *s, uint64_t b)
{
    double u, x, f0, f1, v;
    int rc;

    for (;;) {
        unsigned i = (unsigned)(b & (NOISE_ZIG_LAYERS - 1));
        int negative = (int)((b >> 8) & 1);
        u = secure_u(b);
        x = u * s->zig_x[i];
        if (u < s->zig_r[i]) {
            *z = negative ? -x : x;
            return MG_OK;
        }
        if (i == 0)
            return zig_tail(z, s, negative, 1);
        /*
         * The wedge: (x, y) uniform in the box [x_{i+1}, x_i] x [f0, f1],
         * kept when y < f(x) (gaussian_slow's test times f(x)). f is convex
         * beyond 1 and concave below, so there it lies between the box's
         * diagonal, from (x_{i+1}, f1) to (x_i, f0), and its tangents at
         * the two ends (slope -x f): points on the far side of either bound
         * are decided without exp.
         */
        f0 = s->zig_f[i];
        f1 = s->zig_f[i + 1];
        if ((rc = draw_uniform(&v, s, 1)) < 0)
            return rc;
        double x0 = s->zig_x[i], x1 = s->zig_x[i + 1], y = f1 + v * (f0 - f1);
        double diag = f1 + (x - x1) / (x0 - x1) * (f0 - f1);
        double t0 = f0 - x0 * f0 * (x - x0), t1 = f1 - x1 * f1 * (x - x1);
        int keep;
        if (x1 >= 1 && y > diag)
            keep = 0; /* convex: f below the diagonal */
        else if (x1 >= 1 && y < fmax(t0, t1))
            keep = 1; /* convex: f above its tangents */
        else if (x0 <= 1 && y < diag)
            keep = 1; /* concave: f above the diagonal */
        else if (x0 <= 1 && y > fmin(t0, t1))
            keep = 0; /* concave: f below its tangents */
        else
            keep = y < exp(-0.5 * x * x);
        if (keep) {
            *z = negative ? -x : x;
            return MG_OK;
        }
        if ((rc = spare_bits(&b, s)) < 0)
            return rc;
    }
}

/*
 * The fast path for words w[0..m) into z[0..m), branch-free so that it
 * vectorises (with AVX-512 or AVX2 table gathers where the CPU has them);
 * a word that leaves the fast path gives NaN.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx512f", "avx2", "default"), optimize("O3")))
#endif
static void
secure_fast(double *restrict z, const uint64_t *restrict w, size_t m, const double *restrict zx,
            const double *restrict zr)
{
    for (size_t k = 0; k < m; k++) {
        uint64_t b = w[k];
        unsigned i = (unsigned)(b & (NOISE_ZIG_LAYERS - 1));
        double u = secure_u(b);
        uint64_t v = to_bits(u * zx[i]) ^ ((b << 55) & UINT64_C(0x8000000000000000));
        z[k] = u < zr[i] ? from_bits(v) : NAN;
    }
}

/* sum[c] = (z[c] + z[cn + c]) + (z[2 cn + c] + z[3 cn + c]) for c < cn: the four planes summed. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("avx512f", "avx2", "default"), optimize("O3")))
#endif
static void
plane_sums(double *restrict sum, const double *restrict z, size_t cn)
{
    const double *z0 = z, *z1 = z + cn, *z2 = z + 2 * cn, *z3 = z + 3 * cn;
    for (size_t c = 0; c < cn; c++)
        sum[c] = (z0[c] + z1[c]) + (z2[c] + z3[c]);
}

/*
 * x[i] += std (z0 + z1 + z2 + z3) / 2 for n values: secure sources' noise.
 * A chunk of cn values takes 4 cn words of the block, in four planes: value
 * c sums the draws of words c, cn + c, 2 cn + c and 3 cn + c (the words are
 * independent, so any fixed assignment gives the same distribution), which
 * keeps the sums and the update contiguous, so they vectorise. The fast
 * path runs over the whole chunk at once; the few rejected words (their
 * sums are NaN) are then redone one by one from spare words.
 */
static int secure_add(double *x, size_t n, double std, noise_source *s)
{
    double z[4 * CHUNK], sum[CHUNK], half = 0.5 * std;
    int rc = MG_OK;

    forget_if_forked(s);
    for (size_t j = 0; j < n;) {
        size_t cn = (NOISE_BLOCK_WORDS - s->pos) / 4;
        if (cn == 0) {
            if ((rc = refill(s)) < 0)
                goto done;
            continue;
        }
        if (cn > CHUNK)
            cn = CHUNK;
        if (cn > n - j)
            cn = n - j;
        const uint64_t *w = s->block + s->pos;
        const double *z0 = z, *z1 = z + cn, *z2 = z + 2 * cn, *z3 = z + 3 * cn;
        secure_fast(z, w, 4 * cn, s->zig_x, s->zig_r);
        plane_sums(sum, z, cn);
        for (size_t c = 0; c < cn; c++) {
            if (!isnan(sum[c]))
                continue;
            for (size_t k = 0; k < 4; k++) {
                double *zk = &z[k * cn + c];
                if (isnan(*zk) && (rc = secure_slow(zk, s, w[k * cn + c])) < 0)
                    goto done;
            }
            sum[c] = (z0[c] + z1[c]) + (z2[c] + z3[c]);
        }
        cblas_daxpy((int)cn, half, sum, 1, x + j, 1);
        s->pos += 4 * cn;
        j += cn;
    }
done:
    /* the last chunk's noise and its parts stay secret: nothing of them is left on the stack */
    OPENSSL_cleanse(z, sizeof z);
    OPENSSL_cleanse(sum, sizeof sum);
    return rc;
}

int noise_gaussians(double *z, size_t n, noise_source *s)
{
    int rc;

    if (!s->secure) {
        for (size_t k = 0; k < n; k++)
            if ((rc = gaussian(&z[k], s)) < 0)
                return rc;
        return MG_OK;
    }
    forget_if_forked(s);
    for (size_t j = 0; j < n;) {
        size_t m = NOISE_BLOCK_WORDS - s->pos;
        if (m == 0) {
            if ((rc = refill(s)) < 0)
                return rc;
            continue;
        }
        if (m > n - j)
            m = n - j;
        const uint64_t *w = s->block + s->pos;
        secure_fast(z + j, w, m, s->zig_x, s->zig_r);
        for (size_t k = 0; k < m; k++)
            if (isnan(z[j + k]) && (rc = secure_slow(&z[j + k], s, w[k])) < 0)
                return rc;
        s->pos += m;
        j += m;
    }
    return MG_OK;
}

int noise_add_gaussian(double *x, size_t n, double std, noise_source *s)
{
    double z0;
    int rc;

    if (std == 0)
        return MG_OK;
    if (s->secure)
        return secure_add(x, n, std, s);
    for (size_t i = 0; i < n; i++) {
        if ((rc = gaussian(&z0, s)) < 0)
            return rc;
        x[i] += std * z0;
    }
    return MG_OK;
}
