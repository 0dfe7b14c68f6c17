/* predicate.h - "sex=Female", "race=Black,Other", "age>=40": which rows a facet or label selects. */
#ifndef BIAS_PREDICATE_H
#define BIAS_PREDICATE_H

#include <stddef.h>

#include "mg_csv.h"

typedef enum pred_kind { PRED_VALUES, PRED_GE, PRED_GT, PRED_LE, PRED_LT } pred_kind;

/*
 * A set of values of one column, or a numeric threshold on it. A value that
 * is itself a number also matches a field holding the same number written
 * differently ("40" matches "40.0"), as smclarify converts values to the
 * column's type.
 */
typedef struct predicate {
    char *column;
    char *text;       /* as the user wrote it, for reports */
    pred_kind kind;
    size_t nvalues;
    char **values;
    size_t *lens;
    double *numbers;  /* numeric form of values[i] when is_number[i] */
    unsigned char *is_number;
    double threshold;
} predicate;

/* Outcome of matching one field. */
enum { PRED_NO = 0, PRED_YES = 1, PRED_MISSING = 2, PRED_BAD_NUMBER = 3 };

/*
 * Parse a facet "COL=V1,V2", "COL>=N", "COL>N", "COL<=N" or "COL<N".
 * `flag` names the option in messages. Errors: MG_EINVAL, MG_ENOMEM.
 */
int predicate_parse_facet(predicate *p, const char *spec, const char *flag);

/*
 * Parse the positive outcome of `column`: "V1,V2,..." or a comparison with a
 * number (">=N", ">N", "<=N", "<N"). Errors: MG_EINVAL, MG_ENOMEM.
 */
int predicate_parse_outcome(predicate *p, const char *column, const char *spec, const char *flag);

/*
 * PRED_YES / PRED_NO, PRED_MISSING for a missing token (the empty field,
 * "?", "NA", "NaN", "null", case-insensitively) that is not itself one of
 * the values, PRED_BAD_NUMBER for a threshold on a field that is no number.
 * On PRED_YES for a value list, *which (when not NULL) is the value's index.
 */
int predicate_match(const predicate *p, const mg_csv_field *f, size_t *which);

/* 1 when the field is one of the missing tokens. */
int field_is_missing(const mg_csv_field *f);

/* 1 for a threshold predicate. */
int predicate_is_threshold(const predicate *p);

/* The operator of a threshold predicate: ">=", ">", "<=", "<"; "=" for values. */
const char *predicate_op(const predicate *p);

void predicate_free(predicate *p); /* NULL-safe; leaves it zeroed */

#endif
