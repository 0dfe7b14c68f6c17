/* binomial.h - exact binomial and multinomial draws, for bootstrapping counts. */
#ifndef BIAS_BINOMIAL_H
#define BIAS_BINOMIAL_H

#include <stddef.h>
#include <stdint.h>

#include "mg_rng.h"

/* A Binomial(n, p) draw, 0 <= p <= 1. Cannot fail. */
uint64_t binomial_draw(mg_rng *r, uint64_t n, double p);

/*
 * A Multinomial(n, counts / total) draw into out[0..k): resampling n rows with
 * replacement from rows whose categories have these counts (total = their sum).
 * Cannot fail.
 */
void multinomial_draw(mg_rng *r, uint64_t n, const uint64_t *counts, size_t k, uint64_t total,
                      uint64_t *out);

#endif
