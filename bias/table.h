/* table.h - the sufficient statistics of a bias report: counts per group x class x facet x prediction. */
#ifndef BIAS_TABLE_H
#define BIAS_TABLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every metric but FT is a function of these counts, so one pass fills them
 * and a bootstrap sample is a multinomial draw over them. A class is the
 * binary outcome (0 = negative, 1 = positive) or, with label_values, one
 * distinct label value, positive[c] telling its outcome. Without a group
 * column there is one group; without predictions every row has p = 0.
 * The cells of (g, c) are cells[(g * cap_classes + c) * 4 + f * 2 + p], f = 1
 * in facet d, p = 1 for a positive prediction. Growth keeps the layout.
 */
typedef struct table {
    size_t ngroups, nclasses;
    size_t cap_groups, cap_classes;
    uint64_t *cells;
    const unsigned char *positive; /* nclasses flags, borrowed */
    const size_t *group_order;     /* groups sorted by value (np.unique order), borrowed */
    /* Flip test: rows of facet d counted, and those whose counterfactual flips + / -. */
    uint64_t ft_rows, ft_pos, ft_neg;
} table;

/* Make room for `groups` x `classes` (zeroed). Errors: MG_ENOMEM. */
int table_reserve(table *t, size_t groups, size_t classes);

/* The 4 counts of (g, c). */
static inline uint64_t *table_cell(const table *t, size_t g, size_t c)
{
    return t->cells + (g * t->cap_classes + c) * 4;
}

/* A table of the same shape with every count 0. Errors: MG_ENOMEM. */
int table_init_like(table *out, const table *t);

void table_free(table *t); /* frees the cells only */

#endif
