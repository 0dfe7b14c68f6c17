/* predicate.c - parse and match facet and label specifications. */
#define _POSIX_C_SOURCE 200809L
#include "predicate.h"
#include "mg_error.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int parse_number(const char *s, double *out)
{
    mg_csv_field f = {s, strlen(s)};
    return mg_csv_parse_double(&f, out);
}

static int add_value(predicate *p, const char *s, size_t len)
{
    size_t n = p->nvalues + 1;
    char **values = realloc(p->values, n * sizeof *values);
    if (values)
        p->values = values;
    size_t *lens = values ? realloc(p->lens, n * sizeof *lens) : NULL;
    if (lens)
        p->lens = lens;
    double *numbers = lens ? realloc(p->numbers, n * sizeof *numbers) : NULL;
    if (numbers)
        p->numbers = numbers;
    unsigned char *isnum = numbers ? realloc(p->is_number, n) : NULL;
    if (isnum)
        p->is_number = isnum;
    char *copy = isnum ? strndup(s, len) : NULL;
    if (!copy)
        return mg_error_set(MG_ENOMEM, "out of memory (facet values)");
    p->values[p->nvalues] = copy;
    p->lens[p->nvalues] = len;
    p->is_number[p->nvalues] = (unsigned char)parse_number(copy, &p->numbers[p->nvalues]);
    p->nvalues++;
    return MG_OK;
}

/* "V1,V2,..." into p->values; an empty list or an empty value is an error. */
static int parse_values(predicate *p, const char *s, const char *flag)
{
    const char *end;
    int rc;

    p->kind = PRED_VALUES;
    for (;;) {
        end = strchr(s, ',');
        if (!end)
            end = s + strlen(s);
        if (end == s)
            return mg_error_set(MG_EINVAL, "%s '%s': empty value in the list", flag, p->text);
        for (size_t i = 0; i < p->nvalues; i++)
            if (p->lens[i] == (size_t)(end - s) && memcmp(p->values[i], s, p->lens[i]) == 0)
                return mg_error_set(MG_EINVAL, "%s '%s': value '%.*s' listed twice", flag, p->text,
                                    (int)(end - s), s);
        if ((rc = add_value(p, s, (size_t)(end - s))) < 0)
            return rc;
        if (!*end)
            return MG_OK;
        s = end + 1;
    }
}

/* Length of the comparison operator at `s` (0 when none) and its kind. */
static size_t parse_op(const char *s, pred_kind *kind)
{
    if (s[0] == '>' && s[1] == '=')
        return *kind = PRED_GE, 2;
    if (s[0] == '<' && s[1] == '=')
        return *kind = PRED_LE, 2;
    if (s[0] == '>')
        return *kind = PRED_GT, 1;
    if (s[0] == '<')
        return *kind = PRED_LT, 1;
    return 0;
}

int predicate_parse_facet(predicate *p, const char *spec, const char *flag)
{
    size_t col = strcspn(spec, "=<>");
    size_t oplen;
    pred_kind kind = PRED_VALUES;

    memset(p, 0, sizeof *p);
    if (!(p->text = strdup(spec)))
        return mg_error_set(MG_ENOMEM, "out of memory (facet)");
    if (!spec[col] || col == 0)
        return mg_error_set(MG_EINVAL, "%s '%s': expected COL=VALUE[,VALUE...] or COL>=NUMBER",
                            flag, spec);
    if (!(p->column = strndup(spec, col)))
        return mg_error_set(MG_ENOMEM, "out of memory (facet)");
    oplen = parse_op(spec + col, &kind);
    if (oplen) {
        p->kind = kind;
        if (!parse_number(spec + col + oplen, &p->threshold))
            return mg_error_set(MG_EINVAL, "%s '%s': '%s' is not a number", flag, spec,
                                spec + col + oplen);
        return MG_OK;
    }
    if (spec[col] != '=')
        return mg_error_set(MG_EINVAL, "%s '%s': expected COL=VALUE or COL>=NUMBER", flag, spec);
    return parse_values(p, spec + col + 1, flag);
}

int predicate_parse_outcome(predicate *p, const char *column, const char *spec, const char *flag)
{
    pred_kind kind = PRED_VALUES;
    size_t oplen = parse_op(spec, &kind);

    memset(p, 0, sizeof *p);
    if (!(p->text = strdup(spec)) || !(p->column = strdup(column)))
        return mg_error_set(MG_ENOMEM, "out of memory (label)");
    /* ">50K" is a value, ">50" a threshold: only a number after the operator makes one */
    if (oplen && parse_number(spec + oplen, &p->threshold)) {
        p->kind = kind;
        return MG_OK;
    }
    if (!*spec)
        return mg_error_set(MG_EINVAL, "%s: empty value", flag);
    return parse_values(p, spec, flag);
}

/* ASCII case-insensitive equality with a lower-case `lower` of the field's length. */
static int equal_folded(const char *p, const char *lower, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((p[i] | 0x20) != lower[i])
            return 0;
    return 1;
}

int field_is_missing(const mg_csv_field *f)
{
    switch (f->len) {
    case 0:
        return 1;
    case 1:
        return f->ptr[0] == '?';
    case 2:
        return equal_folded(f->ptr, "na", 2);
    case 3:
        return equal_folded(f->ptr, "nan", 3);
    case 4:
        return equal_folded(f->ptr, "null", 4);
    default:
        return 0;
    }
}

/* Equality of short byte strings without a call: facet and label values are a few bytes. */
static inline int bytes_equal(const char *a, const char *b, size_t n)
{
    if (n > 16)
        return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

int predicate_match(const predicate *p, const mg_csv_field *f, size_t *which)
{
    double x;

    if (p->kind == PRED_VALUES) {
        int parsed = -1;
        for (size_t i = 0; i < p->nvalues; i++)
            if (p->lens[i] == f->len && bytes_equal(p->values[i], f->ptr, f->len)) {
                if (which)
                    *which = i;
                return PRED_YES;
            }
        if (field_is_missing(f))
            return PRED_MISSING;
        for (size_t i = 0; i < p->nvalues; i++) {
            if (!p->is_number[i])
                continue;
            if (parsed < 0)
                parsed = mg_csv_parse_double(f, &x);
            if (parsed && x == p->numbers[i]) {
                if (which)
                    *which = i;
                return PRED_YES;
            }
        }
        return PRED_NO;
    }
    if (!mg_csv_parse_double(f, &x))
        return field_is_missing(f) ? PRED_MISSING : PRED_BAD_NUMBER;
    switch (p->kind) {
    case PRED_GE:
        return x >= p->threshold;
    case PRED_GT:
        return x > p->threshold;
    case PRED_LE:
        return x <= p->threshold;
    default:
        return x < p->threshold;
    }
}

int predicate_is_threshold(const predicate *p)
{
    return p->kind != PRED_VALUES;
}

const char *predicate_op(const predicate *p)
{
    static const char *const ops[] = {"=", ">=", ">", "<=", "<"};
    return ops[p->kind];
}

void predicate_free(predicate *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nvalues; i++)
        free(p->values[i]);
    free(p->values);
    free(p->lens);
    free(p->numbers);
    free(p->is_number);
    free(p->column);
    free(p->text);
    memset(p, 0, sizeof *p);
}
