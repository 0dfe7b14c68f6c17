/* exact.c - exact interventional Shapley values by enumerating every coalition. */
#include "result.h"
#include "runner.h"

#include "mg_error.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXACT_MAX_PLAYERS 20
#define SPLIT_BITS 10

typedef row_job job;

typedef struct ws {
    evaluator ev;
    size_t *player;
    double *v;       /* 2^M coalition values */
    mix_item *items; /* pending synthetic rows */
    double *vals;
    size_t cap;   /* items capacity */
    uint32_t *pz; /* pending background rows */
    size_t *poff;
    uint64_t *pmask;
    size_t lo[1 << SPLIT_BITS], hi[1 << SPLIT_BITS];
} ws;

static void ws_free(void *p)
{
    ws *w = p;
    if (!w)
        return;
    evaluator_free(&w->ev);
    free(w->player);
    free(w->v);
    free(w->items);
    free(w->vals);
    free(w->pz);
    free(w->poff);
    free(w->pmask);
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
    w->cap = (j->o->batch ? j->o->batch : 2048);
    if ((rc = evaluator_init(&w->ev, j->m, w->cap)) < 0) {
        ws_free(w);
        return rc;
    }
    w->player = malloc(j->m->inputs * sizeof(size_t));
    w->pz = malloc(j->bg->n * sizeof(uint32_t));
    w->poff = malloc(j->bg->n * sizeof(size_t));
    w->pmask = malloc(j->bg->n * sizeof(uint64_t));
    if (!w->player || !w->pz || !w->poff || !w->pmask) {
        ws_free(w);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    *out = w;
    return MG_OK;
}

/* Room for 2^M coalition values and batch + 2^M pending rows. */
static int ws_reserve(ws *w, size_t M)
{
    size_t n = (size_t)1 << M, cap = w->ev.batch + n;
    if (cap <= w->cap && w->v && w->items && w->vals)
        return MG_OK;
    free(w->v);
    free(w->items);
    free(w->vals);
    w->v = malloc(n * sizeof(double));
    w->items = malloc(cap * sizeof(mix_item));
    w->vals = malloc(cap * sizeof(double));
    w->cap = cap;
    if (!w->v || !w->items || !w->vals)
        return mg_error_set(MG_ENOMEM, "out of memory");
    return MG_OK;
}

/*
 * v(S) += w_z f(x_{S ∩ D}, z) for every S ⊆ players, reading background row z's
 * 2^|D| values at vals (indexed by the subset of D, its bits packed). The index
 * of S is split in two halves looked up in tables, so the scatter is two loads.
 */
static void scatter(ws *w, size_t M, uint64_t D, const double *vals, double wz)
{
    size_t lob = M < SPLIT_BITS ? M : SPLIT_BITS, hib = M - lob, rank = 0;
    size_t nlo = (size_t)1 << lob, nhi = (size_t)1 << hib;
    size_t bitval[64];

    for (size_t p = 0; p < M; p++)
        bitval[p] = (D >> p) & 1 ? (size_t)1 << rank++ : 0;
    for (size_t s = 0; s < nlo; s++) {
        size_t v = 0;
        for (size_t p = 0; p < lob; p++)
            if ((s >> p) & 1)
                v += bitval[p];
        w->lo[s] = v;
    }
    for (size_t s = 0; s < nhi; s++) {
        size_t v = 0;
        for (size_t p = 0; p < hib; p++)
            if ((s >> p) & 1)
                v += bitval[lob + p];
        w->hi[s] = v;
    }
    for (size_t h = 0; h < nhi; h++) {
        double *vv = w->v + (h << lob);
        const double *src = vals + w->hi[h];
        for (size_t l = 0; l < nlo; l++)
            vv[l] += wz * src[w->lo[l]];
    }
}

/* Evaluate the pending rows and fold each pending background row into v. */
static int flush(job *j, ws *w, const double *x, size_t M, size_t nitems, size_t npend)
{
    int rc = evaluator_mix(&w->ev, x, j->bg, w->player, w->items, nitems, w->vals);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < npend; k++)
        scatter(w, M, w->pmask[k], w->vals + w->poff[k], j->bg->weight[w->pz[k]]);
    return MG_OK;
}

/* phi_i = Σ_{S ∌ i} |S|!(M-|S|-1)!/M! (v(S ∪ i) - v(S)) */
static void shapley_from_values(double *phi, const double *v, size_t M)
{
    double wt[65];
    size_t n = (size_t)1 << M;

    for (size_t s = 0; s < M; s++) {
        double c = 1; /* C(M-1, s) */
        for (size_t t = 0; t < s; t++)
            c = c * (double)(M - 1 - t) / (double)(t + 1);
        wt[s] = 1.0 / ((double)M * c);
    }
    for (size_t p = 0; p < M; p++)
        phi[p] = 0;
    for (size_t S = 0; S < n; S++) {
        size_t size = (size_t)__builtin_popcountll(S);
        for (size_t p = 0; p < M; p++)
            if (!((S >> p) & 1))
                phi[p] += wt[size] * (v[S | ((size_t)1 << p)] - v[S]);
    }
}

static int run_row(void *jp, void *wp, size_t r)
{
    job *j = jp;
    ws *w = wp;
    const mg_explain_model *m = j->m;
    const double *x = j->raw + r * m->inputs;
    double *phi = j->res->phi + r * m->inputs, fx, phis[EXACT_MAX_PLAYERS];
    size_t M, nitems = 0, npend = 0, n;
    int rc;

    size_t before = w->ev.evaluations;

    if ((rc = evaluator_predict(&w->ev, x, 1, &fx)) < 0)
        return rc;
    j->res->prediction[r] = link_apply(j->o->link, fx);
    M = varying_players(w->player, m, j->bg, x);
    if (M > EXACT_MAX_PLAYERS)
        return mg_error_set(MG_EINVAL,
                            "exact Shapley enumerates 2^M coalitions: row %zu varies in %zu "
                            "columns, past the limit of %d (use kernel-shap)",
                            j->res->ids[r], M, EXACT_MAX_PLAYERS);
    if (M == 0) {
        j->evals[r] = j->nominal[r] = 1;
        return MG_OK;
    }
    if ((rc = ws_reserve(w, M)) < 0)
        return rc;
    n = (size_t)1 << M;
    memset(w->v, 0, n * sizeof(double));
    for (size_t z = 0; z < j->bg->n; z++) {
        uint64_t D = differing_players(x, j->bg->raw + z * m->inputs, w->player, M);
        size_t md = (size_t)__builtin_popcountll(D), nz = (size_t)1 << md;
        size_t pos[64], np = 0;
        for (size_t p = 0; p < M; p++)
            if ((D >> p) & 1)
                pos[np++] = p;
        w->pz[npend] = (uint32_t)z;
        w->poff[npend] = nitems;
        w->pmask[npend++] = D;
        for (size_t t = 0; t < nz; t++) {
            uint64_t key = 0;
            for (size_t b = 0; b < md; b++)
                if ((t >> b) & 1)
                    key |= (uint64_t)1 << pos[b];
            w->items[nitems].z = (uint32_t)z;
            w->items[nitems++].key = key;
        }
        if (nitems >= w->ev.batch || z + 1 == j->bg->n) {
            if ((rc = flush(j, w, x, M, nitems, npend)) < 0)
                return rc;
            nitems = npend = 0;
        }
    }
    j->evals[r] = w->ev.evaluations - before;
    j->nominal[r] = 1 + j->bg->n * n;
    for (size_t S = 0; S < n; S++)
        w->v[S] = link_apply(j->o->link, w->v[S] / j->wsum);
    shapley_from_values(phis, w->v, M);
    for (size_t p = 0; p < M; p++)
        phi[w->player[p]] = phis[p];
    return MG_OK;
}

int mg_explain_exact_compute(mg_explain_result **out, const mg_explain_model *m,
                             const mg_explain_background *bg, const double *raw, const size_t *ids,
                             size_t n, const mg_explain_options *opts)
{
    static const row_method exact = {MG_EXPLAIN_EXACT, "exact Shapley", ws_create, ws_free,
                                     run_row};
    return explain_rows(out, &exact, m, bg, NULL, raw, ids, n, opts);
}
