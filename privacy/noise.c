/* noise.c - uniforms and Gaussians for DP-SGD, from OpenSSL's CSPRNG by default. */
#include "noise.h"
#include "mg_error.h"

#include <math.h>
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
}

void noise_source_init(noise_source *s, int secure, uint64_t seed, uint64_t stream)
{
    s->secure = secure;
    s->pos = NOISE_BLOCK_WORDS; /* empty: refill on first draw */
    zig_init(s);
    mg_rng_seed_stream(&s->rng, secure ? 0 : seed, stream);
}

int noise_bits(uint64_t *out, noise_source *s)
{
    const size_t n = NOISE_BLOCK_WORDS;
    if (!s->secure) {
        *out = mg_rng_next(&s->rng);
        return MG_OK;
    }
    if (s->pos == n) {
        if (RAND_bytes((unsigned char *)s->block, (int)sizeof s->block) != 1)
            return mg_error_set(MG_ERROR, "DP-SGD: OpenSSL RAND_bytes failed");
        s->pos = 0;
    }
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

/* The tail beyond R (Marsaglia 1964), on the side `negative` says. */
static int zig_tail(double *z, noise_source *s, int negative)
{
    double x, y, u1, u2;
    int rc;
    do {
        if ((rc = noise_uniform(&u1, s)) < 0 || (rc = noise_uniform(&u2, s)) < 0)
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
            return zig_tail(z, s, u < 0);
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

    if (s->secure && s->pos < NOISE_BLOCK_WORDS)
        b = s->block[s->pos++];
    else if ((rc = noise_bits(&b, s)) < 0)
        return rc;
    unsigned i = (unsigned)(b & (NOISE_ZIG_LAYERS - 1));
    double u = 2 * ((double)(b >> 11) * 0x1.0p-53) - 1;
    if (fabs(u) < s->zig_r[i]) {
        *z = u * s->zig_x[i];
        return MG_OK;
    }
    return gaussian_slow(z, s, b);
}

int noise_add_gaussian(double *x, size_t n, double std, noise_source *s)
{
    double z0, z1, z2, z3;
    int rc;

    if (std == 0)
        return MG_OK;
    if (!s->secure) {
        for (size_t i = 0; i < n; i++) {
            if ((rc = gaussian(&z0, s)) < 0)
                return rc;
            x[i] += std * z0;
        }
        return MG_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if ((rc = gaussian(&z0, s)) < 0 || (rc = gaussian(&z1, s)) < 0 ||
            (rc = gaussian(&z2, s)) < 0 || (rc = gaussian(&z3, s)) < 0)
            return rc;
        x[i] += std * ((z0 + z1 + z2 + z3) / 2);
    }
    return MG_OK;
}
