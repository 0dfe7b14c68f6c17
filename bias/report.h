/* report.h - the bias report object, shared by its computation and its JSON. */
#ifndef BIAS_REPORT_H
#define BIAS_REPORT_H

#include "metrics.h"
#include "mg_bias.h"
#include "scan.h"

struct mg_bias_report {
    scan s;
    const metric_def **metrics;
    size_t nmetrics;
    mg_bias_result *results; /* [facet][metric] */
    size_t bootstrap;
    uint64_t seed;
    char *data_path, *predictions_path, *group, *model;
    double threshold;
    int drop_missing, label_values;
};

#endif
