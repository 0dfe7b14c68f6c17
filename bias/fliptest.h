/* fliptest.h - FT: the model's outcome for facet d against its nearest neighbours in facet a. */
#ifndef BIAS_FLIPTEST_H
#define BIAS_FLIPTEST_H

#include "mg_bias.h"
#include "scan.h"

/*
 * For each facet of `s` (scanned with record_rows), fill its table's ft_rows,
 * ft_pos and ft_neg from the model o->model: predict every row, then for
 * each row of facet d take the majority prediction of its k nearest rows of
 * facet a (k = 5, or 1 when facet a has at most 9 rows, as smclarify) in the
 * model's encoded feature space without the facet's own columns.
 * Errors: MG_ENOTFOUND / MG_EPARSE (model or data), MG_EINVAL (the data does
 * not fit the model, naming the column), MG_ENOMEM.
 */
int fliptest_run(scan *s, const mg_bias_options *o);

#endif
