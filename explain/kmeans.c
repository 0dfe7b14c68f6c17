/* kmeans.c - a weighted k-means summary of mixed-type background rows (k-prototypes). */
#include "model.h"

#include "mg_error.h"
#include "mg_rng.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KMEANS_MAX_ITER 50

typedef struct kp {
    const mg_explain_model *m;
    size_t n, in, k;
    double *y; /* n x in: numeric standardised (missing -> 0), categorical raw */
    double *mean, *sd;
    double *c;      /* k x in centres in the same space */
    size_t *assign; /* n */
    size_t *size;   /* k */
    double *sum;    /* k x in: numeric sums of the members */
    /* categorical columns: distinct values vals[voff[j] .. + nv[j]), row i's at vidx */
    double *vals;
    size_t *voff, *nv, *vidx, ncount;
    size_t *count; /* k x ncount: members per value */
} kp;

/* Squared numeric distance plus one per categorical mismatch (Huang 1998, gamma = 1). */
static double dist(const kp *s, const double *a, const double *b)
{
    double d = 0;
    for (size_t j = 0; j < s->in; j++) {
        if (s->m->types[j] == MG_COL_CATEGORICAL)
            d += raw_same(a[j], b[j]) ? 0.0 : 1.0;
        else
            d += (a[j] - b[j]) * (a[j] - b[j]);
    }
    return d;
}

static void standardise(kp *s, const double *raw)
{
    for (size_t j = 0; j < s->in; j++) {
        double sum = 0, sum2 = 0;
        size_t cnt = 0;
        for (size_t i = 0; i < s->n; i++) {
            double v = raw[i * s->in + j];
            if (!isnan(v)) {
                sum += v;
                cnt++;
            }
        }
        s->mean[j] = cnt ? sum / (double)cnt : 0.0;
        for (size_t i = 0; i < s->n; i++) {
            double v = raw[i * s->in + j];
            if (!isnan(v))
                sum2 += (v - s->mean[j]) * (v - s->mean[j]);
        }
        s->sd[j] = cnt ? sqrt(sum2 / (double)cnt) : 0.0;
        if (!(s->sd[j] > 0))
            s->sd[j] = 1.0;
        for (size_t i = 0; i < s->n; i++) {
            double v = raw[i * s->in + j];
            if (s->m->types[j] == MG_COL_CATEGORICAL)
                s->y[i * s->in + j] = v;
            else
                s->y[i * s->in + j] = isnan(v) ? 0.0 : (v - s->mean[j]) / s->sd[j];
        }
    }
}

/* k-means++ (Arthur & Vassilvitskii 2007): each next centre drawn with probability ∝ D². */
static void seed_centres(kp *s, mg_rng *rng, double *d2)
{
    size_t first = (size_t)mg_rng_below(rng, s->n);
    memcpy(s->c, s->y + first * s->in, s->in * sizeof(double));
    for (size_t i = 0; i < s->n; i++)
        d2[i] = dist(s, s->y + i * s->in, s->c);
    for (size_t c = 1; c < s->k; c++) {
        double total = 0, u, acc = 0;
        size_t pick = s->n - 1;
        for (size_t i = 0; i < s->n; i++)
            total += d2[i];
        u = mg_rng_uniform(rng) * total;
        if (!(total > 0))
            pick = (size_t)mg_rng_below(rng, s->n); /* every row sits on a centre */
        for (size_t i = 0; total > 0 && i < s->n; i++) {
            acc += d2[i];
            if (acc > u) {
                pick = i;
                break;
            }
        }
        memcpy(s->c + c * s->in, s->y + pick * s->in, s->in * sizeof(double));
        for (size_t i = 0; i < s->n; i++) {
            double d = dist(s, s->y + i * s->in, s->c + c * s->in);
            if (d < d2[i])
                d2[i] = d;
        }
    }
}

/* dist(), giving up (returning bound) once the partial sum reaches `bound`. */
static double dist_below(const kp *s, const double *a, const double *b, double bound)
{
    double d = 0;
    for (size_t j = 0; j < s->in && d < bound; j++) {
        if (s->m->types[j] == MG_COL_CATEGORICAL)
            d += raw_same(a[j], b[j]) ? 0.0 : 1.0;
        else
            d += (a[j] - b[j]) * (a[j] - b[j]);
    }
    return d < bound ? d : bound;
}

/* Assign every row to its nearest centre; returns how many rows moved. */
static size_t assign_rows(kp *s)
{
    size_t moved = 0;
    for (size_t i = 0; i < s->n; i++) {
        double best = DBL_MAX;
        size_t arg = 0;
        for (size_t c = 0; c < s->k; c++) {
            double d = dist_below(s, s->y + i * s->in, s->c + c * s->in, best);
            if (d < best) {
                best = d;
                arg = c;
            }
        }
        if (s->assign[i] != arg)
            moved++;
        s->assign[i] = arg;
    }
    return moved;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

/*
 * Numeric centres are member means; categorical centres the most frequent
 * member value (ties to the smaller value). One pass over the rows.
 */
static void update_centres(kp *s)
{
    memset(s->size, 0, s->k * sizeof(size_t));
    memset(s->sum, 0, s->k * s->in * sizeof(double));
    memset(s->count, 0, s->k * s->ncount * sizeof(size_t));
    for (size_t i = 0; i < s->n; i++) {
        size_t c = s->assign[i];
        s->size[c]++;
        for (size_t j = 0; j < s->in; j++) {
            if (s->m->types[j] == MG_COL_CATEGORICAL)
                s->count[c * s->ncount + s->voff[j] + s->vidx[i * s->in + j]]++;
            else
                s->sum[c * s->in + j] += s->y[i * s->in + j];
        }
    }
    for (size_t c = 0; c < s->k; c++) {
        if (s->size[c] == 0)
            continue; /* keeps its old centre; dropped at the end if still empty */
        for (size_t j = 0; j < s->in; j++) {
            const size_t *cnt = s->count + c * s->ncount + s->voff[j];
            size_t best = 0;
            if (s->m->types[j] != MG_COL_CATEGORICAL) {
                s->c[c * s->in + j] = s->sum[c * s->in + j] / (double)s->size[c];
                continue;
            }
            for (size_t v = 1; v < s->nv[j]; v++)
                if (cnt[v] > cnt[best])
                    best = v;
            s->c[c * s->in + j] = s->vals[s->voff[j] + best];
        }
    }
}

/*
 * The distinct values of each categorical column (sorted, NaN last) and each
 * row's index among them, so that modes are counted, not sorted.
 */
static int index_values(kp *s, double *scratch)
{
    size_t total = 0, ncat = 0;

    for (size_t j = 0; j < s->in; j++)
        ncat += s->m->types[j] == MG_COL_CATEGORICAL;
    if (!(s->vals = malloc((s->n * ncat + 1) * sizeof(double))))
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (size_t j = 0; j < s->in; j++) {
        size_t cnt = 0;
        s->voff[j] = total;
        s->nv[j] = 0;
        if (s->m->types[j] != MG_COL_CATEGORICAL)
            continue;
        for (size_t i = 0; i < s->n; i++)
            scratch[i] = s->y[i * s->in + j];
        qsort(scratch, s->n, sizeof(double), cmp_double);
        for (size_t i = 0; i < s->n; i++)
            if (i == 0 || !raw_same(scratch[i], scratch[i - 1]))
                scratch[cnt++] = scratch[i];
        memcpy(s->vals + total, scratch, cnt * sizeof(double));
        s->nv[j] = cnt;
        total += cnt;
        for (size_t i = 0; i < s->n; i++) {
            size_t lo = 0, hi = cnt - 1;
            double v = s->y[i * s->in + j];
            while (lo < hi) { /* first distinct value not below v */
                size_t mid = lo + (hi - lo) / 2;
                if (cmp_double(&s->vals[s->voff[j] + mid], &v) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            s->vidx[i * s->in + j] = lo;
        }
    }
    s->ncount = total;
    if (!(s->count = malloc((s->k * total + 1) * sizeof(size_t))))
        return mg_error_set(MG_ENOMEM, "out of memory");
    return MG_OK;
}

/* The value of sorted[0..n) nearest to v (shap.kmeans rounds centres to data values). */
static double nearest(const double *sorted, size_t n, double v)
{
    size_t lo = 0, hi = n;
    if (n == 0)
        return NAN;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n)
        return sorted[n - 1];
    if (lo > 0 && v - sorted[lo - 1] <= sorted[lo] - v)
        return sorted[lo - 1];
    return sorted[lo];
}

static int summarise(mg_explain_background **out, kp *s, const double *raw, double *scratch)
{
    size_t kept = 0;
    double *rows, *w;
    int rc;

    for (size_t c = 0; c < s->k; c++)
        kept += s->size[c] > 0;
    rows = malloc(kept * s->in * sizeof(double));
    w = malloc(kept * sizeof(double));
    if (!rows || !w) {
        free(rows);
        free(w);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < s->in; j++) {
        size_t cnt = 0, o = 0;
        int num = s->m->types[j] != MG_COL_CATEGORICAL;
        for (size_t i = 0; num && i < s->n; i++)
            if (!isnan(raw[i * s->in + j]))
                scratch[cnt++] = raw[i * s->in + j];
        if (num)
            qsort(scratch, cnt, sizeof(double), cmp_double);
        for (size_t c = 0; c < s->k; c++) {
            double v = s->c[c * s->in + j];
            if (s->size[c] == 0)
                continue;
            rows[o * s->in + j] = num ? nearest(scratch, cnt, v * s->sd[j] + s->mean[j]) : v;
            w[o++] = (double)s->size[c];
        }
    }
    rc = mg_explain_background_create(out, rows, w, kept, s->in);
    free(rows);
    free(w);
    return rc;
}

int mg_explain_background_kmeans(mg_explain_background **out, const mg_explain_model *m,
                                 const double *raw, size_t n, size_t k, uint64_t seed)
{
    kp s;
    double *scratch = NULL;
    mg_rng rng;
    int rc = MG_OK;

    *out = NULL;
    if (n == 0 || k == 0 || !raw)
        return mg_error_set(MG_EINVAL, "background: need rows and a size above 0");
    if (k >= n)
        return mg_explain_background_create(out, raw, NULL, n, m->inputs);
    memset(&s, 0, sizeof(s));
    s.m = m;
    s.n = n;
    s.in = m->inputs;
    s.k = k;
    s.y = malloc(n * s.in * sizeof(double));
    s.mean = malloc(s.in * sizeof(double));
    s.sd = malloc(s.in * sizeof(double));
    s.c = malloc(k * s.in * sizeof(double));
    s.assign = malloc(n * sizeof(size_t));
    s.size = calloc(k, sizeof(size_t));
    s.sum = malloc(k * s.in * sizeof(double));
    s.voff = malloc(s.in * sizeof(size_t));
    s.nv = malloc(s.in * sizeof(size_t));
    s.vidx = malloc(n * s.in * sizeof(size_t));
    scratch = malloc(n * sizeof(double));
    if (!s.y || !s.mean || !s.sd || !s.c || !s.assign || !s.size || !s.sum || !s.voff || !s.nv ||
        !s.vidx || !scratch) {
        rc = mg_error_set(MG_ENOMEM, "out of memory");
        goto done;
    }
    standardise(&s, raw);
    if ((rc = index_values(&s, scratch)) < 0)
        goto done;
    mg_rng_seed(&rng, seed);
    seed_centres(&s, &rng, scratch);
    for (size_t i = 0; i < n; i++)
        s.assign[i] = (size_t)-1;
    for (int it = 0; it < KMEANS_MAX_ITER; it++) {
        size_t moved = assign_rows(&s);
        if (it > 0 && moved <= n / 1000) /* Lloyd has settled: under 0.1% of rows move */
            break;
        update_centres(&s);
    }
    rc = summarise(out, &s, raw, scratch);
done:
    free(s.y);
    free(s.mean);
    free(s.sd);
    free(s.c);
    free(s.assign);
    free(s.size);
    free(s.sum);
    free(s.vals);
    free(s.voff);
    free(s.nv);
    free(s.vidx);
    free(s.count);
    free(scratch);
    return rc;
}
