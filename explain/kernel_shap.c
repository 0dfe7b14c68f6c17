/* kernel_shap.c - Kernel SHAP (Lundberg & Lee 2017) with shap's KernelExplainer sampling. */
#include "maskset.h"
#include "result.h"
#include "runner.h"
#include "wls.h"

#include "mg_error.h"
#include "mg_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_MAX_PLAYERS 63
#define CHUNK_CELLS ((size_t)1 << 20) /* coalition x background cells evaluated at a time */

typedef row_job job;

typedef struct ws {
    evaluator ev;
    size_t *player;
    size_t kcap, ccap;
    uint64_t *masks; /* K coalitions over the players */
    double *kw;      /* their kernel weights */
    double *v;       /* E f(x_S, z) */
    maskset seen, uniq;
    uint32_t *map; /* chunk x K: synthetic row of (z, S) */
    mix_item *items;
    double *vals;
    double *X, *y, *wk, *beta; /* the regression */
} ws;

static void ws_free(void *p)
{
    ws *w = p;
    if (!w)
        return;
    evaluator_free(&w->ev);
    maskset_free(&w->seen);
    maskset_free(&w->uniq);
    free(w->player);
    free(w->masks);
    free(w->kw);
    free(w->v);
    free(w->map);
    free(w->items);
    free(w->vals);
    free(w->X);
    free(w->y);
    free(w->wk);
    free(w->beta);
    free(w);
}

static int ws_create(void **out, void *jp)
{
    job *j = jp;
    ws *w = calloc(1, sizeof(*w));
    int rc;

    *out = NULL;
    if (!w)
        return mg_error_set(MG_ENOMEM, "out of memory");
    if ((rc = evaluator_init(&w->ev, j->m, j->o->batch)) < 0) {
        ws_free(w);
        return rc;
    }
    if (!(w->player = malloc(j->m->inputs * sizeof(size_t)))) {
        ws_free(w);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    *out = w;
    return MG_OK;
}

static void *renew(void *p, size_t bytes)
{
    free(p);
    return malloc(bytes ? bytes : 1);
}

/* Buffers for K coalitions against nbg background rows. */
static int ws_reserve(ws *w, size_t K, size_t nbg)
{
    size_t chunk = CHUNK_CELLS / K, cells, aug = 2 * K;
    int rc;

    if (chunk == 0)
        chunk = 1;
    if (chunk > nbg)
        chunk = nbg;
    cells = chunk * K;
    if (K > w->kcap) {
        w->kcap = 0;
        w->masks = renew(w->masks, K * sizeof(uint64_t));
        w->kw = renew(w->kw, K * sizeof(double));
        w->v = renew(w->v, K * sizeof(double));
        w->X = renew(w->X, aug * (KERNEL_MAX_PLAYERS + 1) * sizeof(double));
        w->y = renew(w->y, aug * sizeof(double));
        w->wk = renew(w->wk, aug * sizeof(double));
        w->beta = renew(w->beta, (KERNEL_MAX_PLAYERS + 1) * sizeof(double));
        if (!w->masks || !w->kw || !w->v || !w->X || !w->y || !w->wk || !w->beta)
            return mg_error_set(MG_ENOMEM, "out of memory");
        w->kcap = K;
    }
    if (cells > w->ccap) {
        w->ccap = 0;
        w->map = renew(w->map, cells * sizeof(uint32_t));
        w->items = renew(w->items, cells * sizeof(mix_item));
        w->vals = renew(w->vals, cells * sizeof(double));
        if (!w->map || !w->items || !w->vals)
            return mg_error_set(MG_ENOMEM, "out of memory");
        w->ccap = cells;
    }
    if ((rc = maskset_reserve(&w->seen, K)) < 0 || (rc = maskset_reserve(&w->uniq, K)) < 0)
        return rc;
    return MG_OK;
}

/* ---- coalitions --------------------------------------------------------- */

typedef struct sampler {
    ws *w;
    size_t K;
    uint64_t full;
} sampler;

static void add(sampler *s, uint64_t mask, double weight)
{
    s->w->masks[s->K] = mask;
    s->w->kw[s->K++] = weight;
}

static double binom(size_t n, size_t k)
{
    double c = 1;
    for (size_t t = 0; t < k; t++)
        c = c * (double)(n - t) / (double)(t + 1);
    return c;
}

/*
 * shap's KernelExplainer.explain: subset sizes s and M - s share the Shapley
 * kernel weight (M-1)/(s(M-s)) per size; a size is enumerated whole (with its
 * complements) when the samples left cover it, smallest sizes first; the
 * remaining sizes are drawn in complementary pairs, a repeated draw adding 1
 * to its weight, and the drawn weights are scaled to the kernel mass left.
 */
static size_t build_coalitions(ws *w, size_t M, size_t nsamples, mg_rng *rng)
{
    sampler s = {w, 0, ((uint64_t)1 << M) - 1};
    size_t nss = M / 2, paired = (M - 1) / 2, nfull = 0, nfixed, left;
    double wv[KERNEL_MAX_PLAYERS], rem[KERNEL_MAX_PLAYERS], total = 0, samples = (double)nsamples;
    size_t perm[KERNEL_MAX_PLAYERS];

    for (size_t i = 1; i <= nss; i++) {
        wv[i - 1] = (double)(M - 1) / (double)(i * (M - i));
        if (i <= paired)
            wv[i - 1] *= 2;
        total += wv[i - 1];
    }
    for (size_t i = 0; i < nss; i++)
        rem[i] = wv[i] /= total;
    for (size_t size = 1; size <= nss; size++) {
        double nsub = binom(M, size) * (size <= paired ? 2 : 1), wgt;
        uint64_t c, last;
        if (!(samples * rem[size - 1] / nsub >= 1.0 - 1e-8))
            break;
        nfull++;
        samples -= nsub;
        if (rem[size - 1] < 1.0) {
            double d = 1 - rem[size - 1];
            for (size_t i = 0; i < nss; i++)
                rem[i] /= d;
        }
        wgt = wv[size - 1] / binom(M, size) / (size <= paired ? 2 : 1);
        /* every subset of this size, in increasing bit order (Gosper's hack) */
        last = (((uint64_t)1 << size) - 1) << (M - size);
        for (c = ((uint64_t)1 << size) - 1;;) {
            uint64_t u = c & (~c + 1), v = c + u;
            add(&s, c, wgt);
            if (size <= paired)
                add(&s, ~c & s.full, wgt);
            if (c == last)
                break;
            c = v + (((v ^ c) / u) >> 2);
        }
    }
    nfixed = s.K;
    left = nsamples > nfixed ? nsamples - nfixed : 0;
    if (nfull != nss && left > 0) {
        double cum[KERNEL_MAX_PLAYERS], acc = 0, drawn = 0, wleft = 0;
        size_t nr = nss - nfull, draws = 4 * left;
        for (size_t i = 0; i < nr; i++) {
            double r = wv[nfull + i] / (nfull + i + 1 <= paired ? 2 : 1);
            cum[i] = (acc += r);
        }
        for (size_t i = 0; i < M; i++)
            perm[i] = i;
        while (left > 0 && draws-- > 0) {
            double u = mg_rng_uniform(rng) * acc;
            size_t ind = 0, size;
            uint64_t mask = 0;
            int added;
            uint32_t at;
            while (ind + 1 < nr && cum[ind] <= u)
                ind++;
            size = ind + nfull + 1;
            for (size_t i = 0; i < size; i++) {
                size_t jx = i + (size_t)mg_rng_below(rng, M - i), t = perm[i];
                perm[i] = perm[jx];
                perm[jx] = t;
                mask |= (uint64_t)1 << perm[i];
            }
            at = maskset_get_or_add(&w->seen, mask, (uint32_t)s.K, &added);
            if (added) {
                add(&s, mask, 1.0);
                left--;
            } else {
                w->kw[at] += 1.0;
            }
            if (left > 0 && size <= paired) {
                if (added) {
                    add(&s, ~mask & s.full, 1.0);
                    left--;
                } else {
                    w->kw[at + 1] += 1.0; /* its complement was added right after it */
                }
            }
        }
        for (size_t i = nfull; i < nss; i++)
            wleft += wv[i];
        for (size_t k = nfixed; k < s.K; k++)
            drawn += w->kw[k];
        for (size_t k = nfixed; k < s.K; k++)
            w->kw[k] *= wleft / drawn;
    }
    return s.K;
}

/* ---- values of the coalitions ------------------------------------------- */

/*
 * v[k] = Σ_z w_z f(x_{S_k}, z) / Σ_z w_z. The synthetic row of (S, z) depends
 * only on S ∩ D_z, D_z the players where z differs from x, so each distinct
 * S ∩ D_z is predicted once per z.
 */
static int coalition_values(job *j, ws *w, const double *x, size_t M, size_t K)
{
    const mg_explain_background *bg = j->bg;
    size_t chunk = CHUNK_CELLS / K;
    uint64_t full = ((uint64_t)1 << M) - 1;
    int rc;

    if (chunk == 0)
        chunk = 1;
    memset(w->v, 0, K * sizeof(double));
    for (size_t z0 = 0; z0 < bg->n; z0 += chunk) {
        size_t zn = bg->n - z0 < chunk ? bg->n - z0 : chunk, nitems = 0;
        for (size_t zi = 0; zi < zn; zi++) {
            size_t z = z0 + zi;
            uint64_t D = differing_players(x, bg->raw + z * j->m->inputs, w->player, M);
            uint32_t *map = w->map + zi * K;
            if (D == full) { /* z differs everywhere: the K coalitions are K distinct rows */
                for (size_t k = 0; k < K; k++) {
                    map[k] = (uint32_t)nitems;
                    w->items[nitems].key = w->masks[k];
                    w->items[nitems++].z = (uint32_t)z;
                }
                continue;
            }
            maskset_clear(&w->uniq);
            for (size_t k = 0; k < K; k++) {
                uint64_t key = w->masks[k] & D;
                int added;
                map[k] = maskset_get_or_add(&w->uniq, key, (uint32_t)nitems, &added);
                if (added) {
                    w->items[nitems].key = key;
                    w->items[nitems++].z = (uint32_t)z;
                }
            }
        }
        if ((rc = evaluator_mix(&w->ev, x, bg, w->player, w->items, nitems, w->vals)) < 0)
            return rc;
        for (size_t zi = 0; zi < zn; zi++) {
            const uint32_t *map = w->map + zi * K;
            double wz = bg->weight[z0 + zi];
            for (size_t k = 0; k < K; k++)
                w->v[k] += wz * w->vals[map[k]];
        }
    }
    for (size_t k = 0; k < K; k++)
        w->v[k] /= j->wsum;
    return MG_OK;
}

/* ---- the constrained regression ----------------------------------------- */

#define BIT(mask, p) ((double)(((mask) >> (p)) & 1))

/*
 * shap's l1_reg="num_features(r)": the LARS path of the regression augmented
 * so that the efficiency constraint is soft, picking r players.
 */
static int l1_select(ws *w, size_t *nz, size_t r, const double *ey, double delta, size_t M,
                     size_t K)
{
    size_t n2 = 2 * K;
    for (size_t k = 0; k < K; k++) {
        double s = (double)__builtin_popcountll(w->masks[k]);
        double a = sqrt(w->kw[k] * ((double)M - s)), b = sqrt(w->kw[k] * s);
        w->y[k] = a * ey[k];
        w->y[K + k] = b * (ey[k] - delta);
        for (size_t p = 0; p < M; p++) {
            w->X[p * n2 + k] = a * BIT(w->masks[k], p);
            w->X[p * n2 + K + k] = b * (BIT(w->masks[k], p) - 1.0);
        }
    }
    return lars_select(nz, r, w->X, w->y, n2, M);
}

/*
 * Eliminate the last selected player with Σφ = link(f(x)) - link(E f) and
 * solve the weighted least squares for the others (shap's KernelExplainer.solve).
 */
static int solve(job *j, ws *w, double *phis, double fx, size_t M, size_t K)
{
    mg_explain_link link = j->o->link;
    double lnull = link_apply(link, j->fnull), delta = link_apply(link, fx) - lnull, sum = 0;
    double *ey = w->v;
    size_t nz[KERNEL_MAX_PLAYERS], q = M, last;
    int rc;

    for (size_t k = 0; k < K; k++)
        ey[k] = link_apply(link, w->v[k]) - lnull;
    for (size_t p = 0; p < M; p++)
        nz[p] = p;
    if (j->o->l1_features > 0 && j->o->l1_features < M) {
        if ((rc = l1_select(w, nz, j->o->l1_features, ey, delta, M, K)) < 0)
            return rc;
        q = (size_t)rc;
    }
    memset(phis, 0, M * sizeof(double));
    if (q == 0)
        return MG_OK;
    last = nz[q - 1];
    for (size_t k = 0; k < K; k++) {
        double ml = BIT(w->masks[k], last);
        w->y[k] = ey[k] - ml * delta;
        w->wk[k] = w->kw[k];
        for (size_t c = 0; c + 1 < q; c++)
            w->X[c * K + k] = BIT(w->masks[k], nz[c]) - ml;
    }
    if (q > 1 && (rc = wls_solve(w->beta, w->X, w->y, w->wk, K, q - 1)) < 0)
        return rc;
    for (size_t c = 0; c + 1 < q; c++) {
        phis[nz[c]] = w->beta[c];
        sum += w->beta[c];
    }
    phis[last] = delta - sum;
    return MG_OK;
}

/* ---- one row ------------------------------------------------------------ */

static int run_row(void *jp, void *wp, size_t r)
{
    job *j = jp;
    ws *w = wp;
    const mg_explain_model *m = j->m;
    const double *x = j->raw + r * m->inputs;
    double *phi = j->res->phi + r * m->inputs, fx, phis[KERNEL_MAX_PLAYERS];
    size_t M, K, nsamples, before = w->ev.evaluations;
    mg_rng rng;
    int rc;

    if ((rc = evaluator_predict(&w->ev, x, 1, &fx)) < 0)
        return rc;
    j->res->prediction[r] = link_apply(j->o->link, fx);
    j->nominal[r] = 1;
    M = varying_players(w->player, m, j->bg, x);
    if (M > KERNEL_MAX_PLAYERS)
        return mg_error_set(MG_EINVAL,
                            "Kernel SHAP: row %zu varies in %zu columns, past the "
                            "limit of %d",
                            j->res->ids[r], M, KERNEL_MAX_PLAYERS);
    if (M == 1)
        phi[w->player[0]] = j->res->prediction[r] - j->res->base_value;
    if (M <= 1) {
        j->evals[r] = 1;
        return MG_OK;
    }
    nsamples = j->o->nsamples ? j->o->nsamples : 2 * M + 2048;
    if (M <= 30 && nsamples > ((size_t)1 << M) - 2)
        nsamples = ((size_t)1 << M) - 2;
    if ((rc = ws_reserve(w, nsamples, j->bg->n)) < 0)
        return rc;
    mg_rng_seed_stream(&rng, j->o->seed, j->res->ids[r]);
    K = build_coalitions(w, M, nsamples, &rng);
    if ((rc = coalition_values(j, w, x, M, K)) < 0)
        return rc;
    if ((rc = solve(j, w, phis, fx, M, K)) < 0)
        return rc;
    for (size_t p = 0; p < M; p++)
        phi[w->player[p]] = phis[p];
    j->evals[r] = w->ev.evaluations - before;
    j->nominal[r] = 1 + K * j->bg->n;
    return MG_OK;
}

int mg_explain_kernel_compute(mg_explain_result **out, const mg_explain_model *m,
                              const mg_explain_background *bg, const double *raw, const size_t *ids,
                              size_t n, const mg_explain_options *opts)
{
    static const row_method kernel = {MG_EXPLAIN_KERNEL_SHAP, "Kernel SHAP", ws_create, ws_free,
                                      run_row};
    *out = NULL;
    if (m && opts && opts->nsamples != 0 && opts->nsamples < m->inputs + 2)
        return mg_error_set(MG_EINVAL,
                            "Kernel SHAP: nsamples %zu is below the number of columns + 2 = %zu",
                            opts->nsamples, m->inputs + 2);
    return explain_rows(out, &kernel, m, bg, NULL, raw, ids, n, opts);
}
