/* scan.h - one streaming pass over the data (and predictions) into count tables. */
#ifndef BIAS_SCAN_H
#define BIAS_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "dict.h"
#include "mg_bias.h"
#include "mg_buf.h"
#include "predicate.h"
#include "table.h"

typedef struct scan_facet {
    predicate pred;
    size_t col;
    table t;
    uint64_t missing;    /* rows whose facet value is missing */
    uint64_t dropped;    /* of those, left out (drop_missing) */
    unsigned char *seen; /* per listed value: 1 once a row had it */
    mg_buf rows;         /* with record_rows: per data row ROW_A, ROW_D or ROW_DROPPED */
} scan_facet;

enum { ROW_A = 0, ROW_D = 1, ROW_DROPPED = 2 };

typedef struct scan {
    predicate label;
    size_t label_col;
    long group_col; /* -1: no group */
    int has_predictions;
    int pred_is_score;
    char *pred_column;
    size_t pred_col;
    scan_facet *facets;
    size_t nfacets;
    dict groups;
    dict classes;      /* label_values: distinct label values */
    mg_buf positive;   /* one flag per class */
    size_t *group_order;
    uint64_t rows;     /* data rows read */
    uint64_t used;     /* rows counted (rows - dropped) */
    uint64_t positives, predicted_positives;
    uint64_t missing_label, missing_group, missing_prediction, dropped;
    int label_seen;    /* some row had a listed positive value */
    char sha256[65];   /* of the data file's bytes, "" if not hashed */
    int record_rows;   /* keep each facet's per-row membership (the flip test needs it) */
} scan;

/*
 * Parse the options' facets and label, read the data once (with the
 * predictions in step) and fill one table per facet; with `record_rows`
 * also each facet's rows (one byte per row). Errors as
 * mg_bias_report_compute(). On failure `s` still needs scan_free().
 */
int scan_run(scan *s, const mg_bias_options *o, int record_rows);

void scan_free(scan *s); /* NULL-safe */

#endif
