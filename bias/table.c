/* table.c - growing the count table of a bias report. */
#include "table.h"
#include "mg_error.h"

#include <stdlib.h>
#include <string.h>

int table_reserve(table *t, size_t groups, size_t classes)
{
    size_t cg = t->cap_groups ? t->cap_groups : 4, cc = t->cap_classes ? t->cap_classes : 2;
    uint64_t *cells;

    if (groups <= t->cap_groups && classes <= t->cap_classes)
        return MG_OK;
    while (cg < groups)
        cg *= 2;
    while (cc < classes)
        cc *= 2;
    if (cg > SIZE_MAX / cc / 4 / sizeof *cells || !(cells = calloc(cg * cc * 4, sizeof *cells)))
        return mg_error_set(MG_ENOMEM, "out of memory (%zu groups x %zu classes)", cg, cc);
    for (size_t g = 0; g < t->ngroups; g++)
        for (size_t c = 0; c < t->nclasses; c++)
            memcpy(cells + (g * cc + c) * 4, table_cell(t, g, c), 4 * sizeof *cells);
    free(t->cells);
    t->cells = cells;
    t->cap_groups = cg;
    t->cap_classes = cc;
    return MG_OK;
}

int table_init_like(table *out, const table *t)
{
    int rc;

    *out = *t;
    out->cells = NULL;
    out->ngroups = out->nclasses = out->cap_groups = out->cap_classes = 0;
    out->ft_rows = out->ft_pos = out->ft_neg = 0;
    if ((rc = table_reserve(out, t->ngroups ? t->ngroups : 1, t->nclasses ? t->nclasses : 2)) < 0)
        return rc;
    out->ngroups = t->ngroups;
    out->nclasses = t->nclasses;
    return MG_OK;
}

void table_free(table *t)
{
    if (!t)
        return;
    free(t->cells);
    t->cells = NULL;
    t->cap_groups = t->cap_classes = 0;
}
