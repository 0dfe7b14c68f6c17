/* lime_stats.h - what LIME learns from its training rows, per column (internal). */
#ifndef EXPLAIN_LIME_STATS_H
#define EXPLAIN_LIME_STATS_H

#include "model.h"

#include "mg_rng.h"

/* Bins 0..nq are the quartile bins; bin nq + 1 holds missing values. */
typedef struct lime_column {
    int numeric;
    size_t nq; /* distinct quartile boundaries, 0..3 */
    double q[3];
    double mean[5], sd[5], lo[5], hi[5]; /* per quartile bin, as lime's BaseDiscretizer */
    /* the bin's truncated normal: standard bounds [za, zb] (mirrored when `flip`) and their CDF */
    double za[5], zb[5], pa[5], pb[5];
    int flip[5];
    size_t nvals;  /* distinct discretised values seen in training */
    double *value; /* sorted; bins for numeric columns, raw values for categorical */
    double *cum;   /* cumulative frequencies */
} lime_column;

struct mg_explain_lime_stats {
    size_t inputs;
    lime_column *col;
};

/* The discretised value of raw value v: its bin (numeric) or itself (categorical). */
double lime_discretize(const lime_column *c, double v);

/* A value drawn from the training frequencies of the discretised column. */
double lime_draw(const lime_column *c, mg_rng *rng);

/* A raw value for bin b: a normal truncated to the bin (missing bin: NaN). */
double lime_undiscretize(const lime_column *c, double b, mg_rng *rng);

#endif
