/* mg_bias.h - SageMaker Clarify's bias metrics: facets, groups, bootstrap intervals. */
#ifndef MG_BIAS_H
#define MG_BIAS_H

#include <stddef.h>
#include <stdint.h>

#include "mg_csv.h"

/*
 * A bias report compares facet d (the rows a facet selects, Clarify's
 * "disadvantaged" or sensitive group) with facet a (every other row) on a
 * binary outcome. Names, definitions and signs follow smclarify exactly
 * (docs/bias.md lists each formula):
 *   pre-training  CI DPL KL JS LP TVD KS CDDL
 *   post-training DPPL DI DCA DCR RD SD DAR DRR AD CDDPL TE FT GE
 * The data are read once, streaming: memory grows with the number of
 * distinct group (and, with label_values, label) values, never with rows.
 */

/* Where the metrics may read their data: a file, or bytes in memory. */
typedef struct mg_bias_source {
    const char *path; /* the file, or the name used in messages for `text` */
    const char *text; /* when not NULL: read `len` bytes from here instead */
    size_t len;
} mg_bias_source;

typedef struct mg_bias_options {
    mg_bias_source data;        /* CSV with a header row */
    const char *label;          /* label column */
    const char *positive;       /* "V1,V2" or ">=N", ">N", "<=N", "<N" */
    const char *facets;         /* "COL=V1,V2" or "COL>=N"; several joined by ';' */
    const char *group;          /* group column for CDDL / CDDPL, or NULL */
    mg_bias_source predictions; /* path NULL: no post-training metrics */
    const char *predicted_column; /* NULL: the first column (unless score_column) */
    const char *score_column;   /* used when predicted_column is NULL */
    double probability_threshold; /* score > threshold is a positive prediction (0.5) */
    const char *model;          /* model artifact (.mgm) for FT, or NULL */
    const char *metrics;        /* "CI,DPL,..." (DCAcc = DCA), NULL: all that apply */
    size_t bootstrap;           /* 0: no intervals */
    uint64_t seed;              /* bootstrap seed */
    int drop_missing;           /* 1: drop rows whose facet/label/group/prediction is missing */
    int label_values;           /* 1: KL..KS over the label's values, not the binary outcome */
    mg_csv_options csv;
    /* Called now and then with the share of the data read (0..1); may be NULL. */
    void (*progress)(void *ud, double done);
    void *progress_ud;
} mg_bias_options;

#define MG_BIAS_OPTIONS_INIT                                                                      \
    {{NULL, NULL, 0}, NULL, NULL, NULL, NULL, {NULL, NULL, 0}, NULL, NULL, 0.5, NULL, NULL, 0, 1,   \
     0, 0, MG_CSV_OPTIONS_INIT, NULL, NULL}

typedef enum mg_bias_status {
    MG_BIAS_OK = 0,        /* a finite number */
    MG_BIAS_INFINITE = 1,  /* smclarify's divide(x, 0) = +-inf; see reason */
    MG_BIAS_UNDEFINED = 2  /* smclarify raises (an empty facet, no positives); see reason */
} mg_bias_status;

typedef struct mg_bias_value {
    mg_bias_status status;
    double value;       /* the number; +-INFINITY when INFINITE; NAN when UNDEFINED */
    const char *reason; /* static text; NULL when OK */
} mg_bias_value;

/* One metric of one facet, with its bootstrap interval when asked for. */
typedef struct mg_bias_result {
    mg_bias_value v;
    int has_ci;          /* 1 when ci[] holds an interval */
    double ci[2];        /* 2.5th and 97.5th percentiles (may be +-INFINITY) */
    size_t ci_undefined; /* bootstrap samples where the metric was undefined */
} mg_bias_result;

typedef struct mg_bias_report mg_bias_report;

/*
 * Compute the report `o` describes. On success *out is a new report; free it
 * with mg_bias_report_free(). Errors: MG_EINVAL (a bad option, naming it, e.g.
 * a facet value that never occurs, a metric that needs --group), MG_ENOTFOUND
 * (a missing file or column, naming it), MG_EPARSE ("FILE:LINE:COL: ..."; a
 * ragged row; a prediction file whose row count differs), MG_ETOOBIG (too many
 * distinct group values), MG_EIO, MG_ENOMEM.
 * Thread safety: reentrant.
 */
int mg_bias_report_compute(mg_bias_report **out, const mg_bias_options *o);

void mg_bias_report_free(mg_bias_report *r); /* NULL is a no-op */

/* Getters: cannot fail; strings borrowed while `r` lives. */
uint64_t mg_bias_report_rows(const mg_bias_report *r); /* data rows read */
size_t mg_bias_report_facets(const mg_bias_report *r);
const char *mg_bias_report_facet_spec(const mg_bias_report *r, size_t facet);
size_t mg_bias_report_metrics(const mg_bias_report *r); /* metrics computed */
const char *mg_bias_report_metric_name(const mg_bias_report *r, size_t i);

/*
 * The result of `metric` ("DI"; the alias "DCAcc" works) for facet `facet`.
 * Errors: MG_ENOTFOUND (a metric not in the report, or facet out of range).
 */
int mg_bias_report_get(mg_bias_result *out, const mg_bias_report *r, size_t facet,
                       const char *metric);

/*
 * The report as DESIGN §3's JSON: {"n", "data", "label", "facet", "metrics":
 * {"CI": {"value": ...}, ...}} (first facet), plus "facets": [{"facet",
 * "metrics"}, ...] when there are several. An undefined value is null with a
 * "reason"; an infinite one is the string "Infinity" / "-Infinity", as in
 * Clarify's own report. Returns a new reference, or NULL on ENOMEM (error set).
 */
struct json_t;
struct json_t *mg_bias_report_to_json(const mg_bias_report *r);

/* Clarify's short description of a metric ("Class Imbalance"), or NULL. */
const char *mg_bias_metric_description(const char *metric);

#endif
