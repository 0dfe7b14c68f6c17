/* split.c - seeded train / validation / test splits, optionally stratified. */
#include "mg_dataset.h"
#include "mg_error.h"
#include "mg_rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { PART_TRAIN = 0, PART_VALID = 1, PART_TEST = 2 };

void mg_split_free(mg_split *s)
{
    if (!s)
        return;
    free(s->train);
    free(s->valid);
    free(s->test);
    memset(s, 0, sizeof *s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Order rows by stratum (every negative value is one group, "none"), rows
 * ascending within a group; start[g] .. start[g+1] delimit group g.
 * Small codes (the usual class indices) take a counting sort; any other
 * int32 values sort (stratum, row) keys.
 */
static int group_rows(size_t *order, size_t **start_out, size_t *ngroups, const int32_t *strata,
                      size_t n)
{
    int64_t hi = -1;
    size_t *start = NULL, ng = 0;
    uint64_t *keys = NULL;

    for (size_t i = 0; i < n; i++)
        if (strata[i] > hi)
            hi = strata[i];
    if ((uint64_t)hi + 2 <= (uint64_t)n + 1024) {
        size_t range = (size_t)(hi + 2), *fill;
        if (!(start = calloc(range + 1, sizeof *start)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            start[(strata[i] < 0 ? 0 : (size_t)strata[i] + 1) + 1]++;
        for (size_t g = 0; g < range; g++)
            start[g + 1] += start[g];
        if (!(fill = malloc(range * sizeof *fill)))
            goto oom;
        memcpy(fill, start, range * sizeof *fill);
        for (size_t i = 0; i < n; i++)
            order[fill[strata[i] < 0 ? 0 : (size_t)strata[i] + 1]++] = i;
        free(fill);
        ng = range;
    } else {
        if (n > UINT32_MAX)
            return mg_error_set(MG_EINVAL, "stratified split: more than 2^32 rows");
        if (!(keys = malloc(n * sizeof *keys)) || !(start = malloc((n + 1) * sizeof *start)))
            goto oom;
        for (size_t i = 0; i < n; i++)
            keys[i] = (uint64_t)(strata[i] < 0 ? 0 : (uint32_t)strata[i] + 1) << 32 | i;
        qsort(keys, n, sizeof *keys, cmp_u64);
        for (size_t i = 0; i < n; i++) {
            if (i == 0 || keys[i] >> 32 != keys[i - 1] >> 32)
                start[ng++] = i;
            order[i] = (size_t)(keys[i] & 0xFFFFFFFFu);
        }
        start[ng] = n;
        free(keys);
    }
    *start_out = start;
    *ngroups = ng;
    return MG_OK;
oom:
    free(keys);
    free(start);
    return mg_error_set(MG_ENOMEM, "out of memory (split of %zu rows)", n);
}

static size_t share(size_t count, double fraction)
{
    return (size_t)floor((double)count * fraction + 0.5);
}

/* The rows of each part, ascending, so a part reads the data set in order. */
static int collect(mg_split *out, const unsigned char *part, size_t n)
{
    size_t count[3] = {0, 0, 0}, k[3] = {0, 0, 0};
    size_t **dst[3] = {&out->train, &out->valid, &out->test};

    for (size_t i = 0; i < n; i++)
        count[part[i]]++;
    for (int p = 0; p < 3; p++)
        if (!(*dst[p] = malloc((count[p] ? count[p] : 1) * sizeof **dst[p])))
            return mg_error_set(MG_ENOMEM, "out of memory (split of %zu rows)", n);
    for (size_t i = 0; i < n; i++)
        (*dst[part[i]])[k[part[i]]++] = i;
    out->ntrain = count[PART_TRAIN];
    out->nvalid = count[PART_VALID];
    out->ntest = count[PART_TEST];
    return MG_OK;
}

int mg_split_make(mg_split *out, size_t n, double valid_fraction, double test_fraction,
                  uint64_t seed, const int32_t *strata)
{
    size_t *order = NULL, *start = NULL, ngroups = 1, whole[2] = {0, n};
    unsigned char *part = NULL;
    mg_rng rng;
    int rc;

    memset(out, 0, sizeof *out);
    if (!(valid_fraction >= 0 && valid_fraction < 1) ||
        !(test_fraction >= 0 && test_fraction < 1) || !(valid_fraction + test_fraction < 1))
        return mg_error_set(
            MG_EINVAL, "split fractions valid %g and test %g must be in [0, 1) and sum below 1",
            valid_fraction, test_fraction);
    if (!(order = malloc((n ? n : 1) * sizeof *order)) || !(part = malloc(n ? n : 1))) {
        rc = mg_error_set(MG_ENOMEM, "out of memory (split of %zu rows)", n);
        goto done;
    }
    if (strata) {
        if ((rc = group_rows(order, &start, &ngroups, strata, n)) < 0)
            goto done;
    } else {
        for (size_t i = 0; i < n; i++)
            order[i] = i;
    }
    mg_rng_seed(&rng, seed);
    for (size_t g = 0; g < ngroups; g++) {
        const size_t *s = start ? start : whole;
        size_t *rows = order + s[g], count = s[g + 1] - s[g];
        size_t ntest = share(count, test_fraction), nvalid = share(count, valid_fraction);
        if (nvalid > count - ntest)
            nvalid = count - ntest;
        mg_rng_shuffle(&rng, rows, count);
        for (size_t k = 0; k < count; k++)
            part[rows[k]] = k < ntest ? PART_TEST : k < ntest + nvalid ? PART_VALID : PART_TRAIN;
    }
    if ((rc = collect(out, part, n)) < 0)
        mg_split_free(out);
done:
    free(order);
    free(start);
    free(part);
    return rc;
}
