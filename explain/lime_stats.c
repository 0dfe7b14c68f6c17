/* lime_stats.c - lime's quartile discretiser and value frequencies, and sampling from them. */
#include "lime_stats.h"

#include "mg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

/* numpy.percentile(v, p) with its default linear method, v sorted (numpy's _lerp). */
static double percentile(const double *v, size_t n, double p)
{
    double pos = p / 100.0 * (double)(n - 1), t, a, b;
    size_t lo = (size_t)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
    t = pos - (double)lo;
    a = v[lo];
    b = v[hi];
    return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

double lime_discretize(const lime_column *c, double v)
{
    size_t i = 0;
    if (!c->numeric)
        return v;
    if (isnan(v))
        return (double)(c->nq + 1);
    while (i < c->nq && c->q[i] < v) /* numpy.searchsorted(q, v), side "left" */
        i++;
    return (double)i;
}

static double norm_cdf(double x)
{
    return 0.5 * erfc(-x / M_SQRT2);
}

/*
 * The bin's value law, scipy.stats.truncnorm((lo - mean) / sd, (hi - mean) / sd,
 * loc=mean, scale=sd) as lime draws it, sampled by inversion: an upper-tail
 * interval is mirrored so that its CDF values keep their precision.
 */
static void truncnorm_prepare(lime_column *c, size_t b)
{
    double a = (c->lo[b] - c->mean[b]) / c->sd[b], z = (c->hi[b] - c->mean[b]) / c->sd[b];
    c->flip[b] = a > 0;
    c->za[b] = c->flip[b] ? -z : a;
    c->zb[b] = c->flip[b] ? -a : z;
    c->pa[b] = norm_cdf(c->za[b]);
    c->pb[b] = norm_cdf(c->zb[b]);
}

/* Quartile boundaries and per-bin statistics of a numeric column (lime's QuartileDiscretizer). */
static void fit_bins(lime_column *c, double *sorted, size_t n)
{
    double q[3];
    if (n == 0)
        return;
    q[0] = percentile(sorted, n, 25);
    q[1] = percentile(sorted, n, 50);
    q[2] = percentile(sorted, n, 75);
    for (size_t i = 0; i < 3; i++)
        if (c->nq == 0 || q[i] != c->q[c->nq - 1])
            c->q[c->nq++] = q[i];
    for (size_t b = 0; b <= c->nq; b++) {
        double sum = 0, sum2 = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            if ((size_t)lime_discretize(c, sorted[i]) == b) {
                sum += sorted[i];
                cnt++;
            }
        c->mean[b] = cnt ? sum / (double)cnt : 0.0;
        for (size_t i = 0; i < n; i++)
            if ((size_t)lime_discretize(c, sorted[i]) == b)
                sum2 += (sorted[i] - c->mean[b]) * (sorted[i] - c->mean[b]);
        c->sd[b] = (cnt ? sqrt(sum2 / (double)cnt) : 0.0) + 1e-11;
        c->lo[b] = b == 0 ? sorted[0] : c->q[b - 1];
        c->hi[b] = b == c->nq ? sorted[n - 1] : c->q[b];
        truncnorm_prepare(c, b);
    }
}

/* Distinct discretised values (sorted, NaN last) and their cumulative frequencies. */
static int fit_values(lime_column *c, double *d, size_t n)
{
    size_t k = 0;
    qsort(d, n, sizeof(double), cmp_double);
    c->value = malloc(n * sizeof(double));
    c->cum = malloc(n * sizeof(double));
    if (!c->value || !c->cum)
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && (d[e] == d[i] || (isnan(d[e]) && isnan(d[i]))))
            e++;
        c->value[k] = d[i];
        c->cum[k] = (double)e / (double)n;
        k++;
        i = e;
    }
    c->nvals = k;
    return MG_OK;
}

int mg_explain_lime_stats_fit(mg_explain_lime_stats **out, const mg_explain_model *m,
                              const double *raw, size_t n)
{
    mg_explain_lime_stats *s = NULL;
    double *buf = NULL, *d = NULL;
    int rc = MG_OK;

    *out = NULL;
    if (n == 0 || !raw)
        return mg_error_set(MG_EINVAL, "LIME: no training rows");
    s = calloc(1, sizeof(*s));
    buf = malloc(n * sizeof(double));
    d = malloc(n * sizeof(double));
    if (!s || !buf || !d || !(s->col = calloc(m->inputs, sizeof(lime_column)))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    s->inputs = m->inputs;
    for (size_t j = 0; j < m->inputs; j++) {
        lime_column *c = &s->col[j];
        size_t cnt = 0;
        c->numeric = m->types[j] != MG_COL_CATEGORICAL;
        if (c->numeric) {
            for (size_t i = 0; i < n; i++)
                if (!isnan(raw[i * m->inputs + j]))
                    buf[cnt++] = raw[i * m->inputs + j];
            qsort(buf, cnt, sizeof(double), cmp_double);
            fit_bins(c, buf, cnt);
        }
        for (size_t i = 0; i < n; i++)
            d[i] = lime_discretize(c, raw[i * m->inputs + j]);
        if ((rc = fit_values(c, d, n)) < 0)
            goto done;
    }
    *out = s;
    s = NULL;
done:
    mg_explain_lime_stats_free(s);
    free(buf);
    free(d);
    return rc;
}

void mg_explain_lime_stats_free(mg_explain_lime_stats *s)
{
    if (!s)
        return;
    for (size_t j = 0; s->col && j < s->inputs; j++) {
        free(s->col[j].value);
        free(s->col[j].cum);
    }
    free(s->col);
    free(s);
}

double lime_draw(const lime_column *c, mg_rng *rng)
{
    double u = mg_rng_uniform(rng);
    size_t lo = 0, hi = c->nvals - 1;
    while (lo < hi) { /* first value whose cumulative frequency passes u */
        size_t mid = lo + (hi - lo) / 2;
        if (c->cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return c->value[lo];
}

/*
 * Inverse standard normal CDF: Acklam's rational approximation (relative
 * error 1.15e-9, ample for drawing samples).
 */
static double norm_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double q, r;

    if (p <= 0)
        return -INFINITY;
    if (p >= 1)
        return INFINITY;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    q = p - 0.5;
    r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double lime_undiscretize(const lime_column *c, double b, mg_rng *rng)
{
    size_t k = (size_t)b;
    double x;
    if (k > c->nq)
        return NAN;
    if (!(c->pb[k] > c->pa[k])) /* a point bin (or one far out in a tail) */
        return c->lo[k] == c->hi[k] ? c->lo[k] : c->mean[k];
    x = norm_quantile(c->pa[k] + mg_rng_uniform(rng) * (c->pb[k] - c->pa[k]));
    x = x < c->za[k] ? c->za[k] : x > c->zb[k] ? c->zb[k] : x;
    return c->mean[k] + c->sd[k] * (c->flip[k] ? -x : x);
}
