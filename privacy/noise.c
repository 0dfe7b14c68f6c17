/* noise.c - uniforms and Gaussians for DP-SGD, from OpenSSL's CSPRNG by default. */
#include "noise.h"
#include "mg_error.h"

#include <math.h>
#include <openssl/rand.h>

void noise_source_init(noise_source *s, int secure, uint64_t seed)
{
    s->secure = secure;
    s->pos = sizeof s->block / sizeof s->block[0]; /* empty: refill on first draw */
    s->have_spare = 0;
    s->spare = 0;
    mg_rng_seed(&s->rng, secure ? 0 : seed);
}

int noise_bits(uint64_t *out, noise_source *s)
{
    const size_t n = sizeof s->block / sizeof s->block[0];
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

/* One standard normal: Marsaglia's polar method, the pair's second value kept for the next call. */
static int gaussian(double *z, noise_source *s)
{
    double u, v, r2;
    int rc;

    if (s->have_spare) {
        s->have_spare = 0;
        *z = s->spare;
        return MG_OK;
    }
    do {
        if ((rc = noise_uniform(&u, s)) < 0 || (rc = noise_uniform(&v, s)) < 0)
            return rc;
        u = 2 * u - 1;
        v = 2 * v - 1;
        r2 = u * u + v * v;
    } while (r2 >= 1 || r2 == 0);
    r2 = sqrt(-2 * log(r2) / r2);
    *z = u * r2;
    s->spare = v * r2;
    s->have_spare = 1;
    return MG_OK;
}

int noise_add_gaussian(double *x, size_t n, double std, noise_source *s)
{
    int draws = s->secure ? 4 : 1;
    double z, sum;
    int rc;

    if (std == 0)
        return MG_OK;
    for (size_t i = 0; i < n; i++) {
        sum = 0;
        for (int k = 0; k < draws; k++) {
            if ((rc = gaussian(&z, s)) < 0)
                return rc;
            sum += z;
        }
        x[i] += std * (s->secure ? sum / 2 : sum);
    }
    return MG_OK;
}
