/* evaluator.c - synthetic rows (x on a coalition, background elsewhere) predicted in batches. */
#include "runner.h"

#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

size_t varying_players(size_t *player, const mg_explain_model *m, const mg_explain_background *bg,
                       const double *x)
{
    size_t M = 0;
    for (size_t j = 0; j < m->inputs; j++)
        for (size_t z = 0; z < bg->n; z++)
            if (!raw_same(x[j], bg->raw[z * m->inputs + j])) {
                player[M++] = j;
                break;
            }
    return M;
}

uint64_t differing_players(const double *x, const double *z, const size_t *player, size_t M)
{
    uint64_t d = 0;
    for (size_t p = 0; p < M; p++)
        if (!raw_same(x[player[p]], z[player[p]]))
            d |= (uint64_t)1 << p;
    return d;
}

int evaluator_init(evaluator *ev, const mg_explain_model *m, size_t batch)
{
    memset(ev, 0, sizeof(*ev));
    ev->m = m;
    ev->batch = batch ? batch : 2048;
    ev->rows = malloc(ev->batch * m->inputs * sizeof(double));
    ev->out = malloc(ev->batch * m->outputs * sizeof(double));
    if (!ev->rows || !ev->out) {
        evaluator_free(ev);
        return mg_error_set(MG_ENOMEM, "out of memory");
    }
    return MG_OK;
}

void evaluator_free(evaluator *ev)
{
    if (!ev)
        return;
    free(ev->rows);
    free(ev->out);
    ev->rows = ev->out = NULL;
}

static int predict_chunk(evaluator *ev, const double *rows, size_t n, double *vals)
{
    const mg_explain_model *m = ev->m;
    int rc = m->predict(m->ctx, rows, n, ev->out);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        vals[i] = ev->out[i * m->outputs + m->output];
    ev->evaluations += n;
    return MG_OK;
}

int evaluator_predict(evaluator *ev, const double *rows, size_t n, double *vals)
{
    size_t in = ev->m->inputs;
    for (size_t i = 0; i < n; i += ev->batch) {
        size_t c = n - i < ev->batch ? n - i : ev->batch;
        int rc = predict_chunk(ev, rows + i * in, c, vals + i);
        if (rc < 0)
            return rc;
    }
    return MG_OK;
}

int evaluator_mix(evaluator *ev, const double *x, const mg_explain_background *bg,
                  const size_t *player, const mix_item *items, size_t n, double *vals)
{
    size_t in = ev->m->inputs;
    for (size_t i = 0; i < n; i += ev->batch) {
        size_t c = n - i < ev->batch ? n - i : ev->batch;
        int rc;
        for (size_t k = 0; k < c; k++) {
            double *row = ev->rows + k * in;
            uint64_t key = items[i + k].key;
            memcpy(row, bg->raw + (size_t)items[i + k].z * in, in * sizeof(double));
            while (key) {
                size_t p = (size_t)__builtin_ctzll(key);
                row[player[p]] = x[player[p]];
                key &= key - 1;
            }
        }
        if ((rc = predict_chunk(ev, ev->rows, c, vals + i)) < 0)
            return rc;
    }
    return MG_OK;
}
