/* scan.c - read the data once, predictions in step, into one count table per facet. */
#define _POSIX_C_SOURCE 200809L
#include "scan.h"
#include "mg_error.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_GROUPS 100000
#define MAX_CLASSES 100000
#define MAX_CELLS ((size_t)1 << 22)
#define PROGRESS_EVERY 65536

static const char *source_name(const mg_bias_source *src, const char *fallback)
{
    return src->path ? src->path : fallback;
}

static int open_source(mg_csv_reader **r, const mg_bias_source *src, const mg_csv_options *csv,
                       const char *fallback)
{
    if (src->text)
        return mg_csv_reader_open_buffer(r, source_name(src, fallback), src->text, src->len, csv);
    return mg_csv_reader_open(r, src->path, csv);
}

/* Read the header row. Errors: MG_EPARSE for an empty input. */
static int read_header(mg_csv_reader *r, const mg_csv_field **h, size_t *n)
{
    int rc = mg_csv_reader_next(r, h, n);
    if (rc == 0)
        return mg_error_set(MG_EPARSE, "%s: empty file, expected a header row",
                            mg_csv_reader_name(r));
    return rc < 0 ? rc : MG_OK;
}

static int find_column(size_t *col, const mg_csv_field *h, size_t nh, const char *name,
                       const char *flag, const char *file)
{
    mg_buf list = MG_BUF_INIT;
    size_t len = strlen(name);
    int rc;

    for (size_t i = 0; i < nh; i++)
        if (h[i].len == len && memcmp(h[i].ptr, name, len) == 0) {
            *col = i;
            return MG_OK;
        }
    for (size_t i = 0; i < nh && list.len < 400; i++)
        if (mg_buf_printf(&list, "%s%s", i ? ", " : "", h[i].ptr) < 0)
            break;
    rc = mg_error_set(MG_ENOTFOUND, "%s: column '%s' not in %s (columns: %s)", flag, name, file,
                      list.ptr ? list.ptr : "");
    mg_buf_free(&list);
    return rc;
}

/* Split "a=1;b>=2" into facets. */
static int parse_facets(scan *s, const char *spec)
{
    const char *p = spec;
    int rc;

    if (!spec || !*spec)
        return mg_error_set(MG_EINVAL, "missing --facet (COL=VALUE or COL>=NUMBER)");
    while (*p) {
        size_t len = strcspn(p, ";");
        const char *b = p, *e = p + len;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b) {
            char *one = strndup(b, (size_t)(e - b));
            scan_facet *f = realloc(s->facets, (s->nfacets + 1) * sizeof *f);
            if (!one || !f) {
                free(one);
                return mg_error_set(MG_ENOMEM, "out of memory (facets)");
            }
            s->facets = f;
            f = &s->facets[s->nfacets++];
            memset(f, 0, sizeof *f);
            rc = predicate_parse_facet(&f->pred, one, "--facet");
            free(one);
            if (rc < 0)
                return rc;
            if (f->pred.nvalues && !(f->seen = calloc(f->pred.nvalues, 1)))
                return mg_error_set(MG_ENOMEM, "out of memory (facets)");
        }
        p += len + (p[len] == ';');
    }
    if (!s->nfacets)
        return mg_error_set(MG_EINVAL, "--facet: no facet in '%s'", spec);
    return MG_OK;
}

/* Grow every facet's table to the current groups x classes. */
static int grow_tables(scan *s, size_t groups, size_t classes)
{
    int rc;

    if (groups * classes > MAX_CELLS)
        return mg_error_set(MG_ETOOBIG,
                            "%zu groups x %zu label values is too many cells for a bias report",
                            groups, classes);
    for (size_t i = 0; i < s->nfacets; i++) {
        if ((rc = table_reserve(&s->facets[i].t, groups, classes)) < 0)
            return rc;
        s->facets[i].t.ngroups = groups;
        s->facets[i].t.nclasses = classes;
    }
    return MG_OK;
}

static int bad_number(mg_csv_reader *r, size_t col, const mg_csv_field *f, const char *what)
{
    return mg_error_set(MG_EPARSE, "%s:%zu:%zu: '%s' is not a number (%s)", mg_csv_reader_name(r),
                        mg_csv_reader_line(r), mg_csv_reader_column(r, col), f->ptr, what);
}

static int too_many(const char *flag, const char *column, size_t max)
{
    return mg_error_set(MG_ETOOBIG, "%s: column '%s' has more than %zu distinct values", flag,
                        column, max);
}

/* The class of a row: its outcome, or with label_values the index of its label value. */
static int row_class(scan *s, size_t *c, const mg_csv_field *lf, int y, int label_values)
{
    size_t before = s->classes.n;
    int rc;

    if (!label_values) {
        *c = (size_t)y;
        return MG_OK;
    }
    if ((rc = dict_intern(&s->classes, c, lf->ptr, lf->len)) < 0)
        return rc == MG_ETOOBIG ? too_many("--label", s->label.column, MAX_CLASSES) : rc;
    if (s->classes.n == before)
        return MG_OK;
    unsigned char flag = (unsigned char)y;
    if ((rc = mg_buf_put(&s->positive, &flag, 1)) < 0)
        return rc;
    return grow_tables(s, s->group_col < 0 ? 1 : s->groups.n, s->classes.n);
}

static int row_group(scan *s, size_t *g, const mg_csv_field *gf, size_t nclasses,
                     const char *column)
{
    size_t before = s->groups.n;
    int rc;

    if ((rc = dict_intern(&s->groups, g, gf->ptr, gf->len)) < 0)
        return rc == MG_ETOOBIG ? too_many("--group", column, MAX_GROUPS) : rc;
    return s->groups.n == before ? MG_OK : grow_tables(s, s->groups.n, nclasses);
}

/* 1 for a positive prediction, 0 otherwise, PRED_MISSING, or an error. */
static int row_prediction(scan *s, mg_csv_reader *pr, const mg_csv_field *pf, double threshold)
{
    const mg_csv_field *f = &pf[s->pred_col];
    double x;
    int m;

    if (s->pred_is_score) {
        if (mg_csv_parse_double(f, &x))
            return x > threshold;
        if (field_is_missing(f))
            return PRED_MISSING;
        return bad_number(pr, s->pred_col, f, "--score-column");
    }
    m = predicate_match(&s->label, f, NULL);
    if (m == PRED_BAD_NUMBER)
        return bad_number(pr, s->pred_col, f, "--positive threshold on the predicted column");
    return m;
}

/* Count one row of the data into every facet's table. */
static int scan_row(scan *s, const mg_bias_options *o, mg_csv_reader *r, const mg_csv_field *f,
                    mg_csv_reader *pr, const mg_csv_field *pf, int *fm)
{
    const mg_csv_field *lf = &f[s->label_col];
    size_t c, g = 0;
    int y, p = 0, drop = 0, rc;

    y = predicate_match(&s->label, lf, NULL);
    if (y == PRED_BAD_NUMBER)
        return bad_number(r, s->label_col, lf, "--positive threshold");
    if (y == PRED_MISSING) {
        s->missing_label++;
        drop = o->drop_missing;
        y = 0;
    }
    s->label_seen |= y;
    if ((rc = row_class(s, &c, lf, y, o->label_values)) < 0)
        return rc;
    if (s->group_col >= 0) {
        const mg_csv_field *gf = &f[s->group_col];
        if (field_is_missing(gf)) {
            s->missing_group++;
            drop |= o->drop_missing;
        }
        if ((rc = row_group(s, &g, gf, o->label_values ? s->classes.n : 2, o->group)) < 0)
            return rc;
    }
    if (pr) {
        if ((p = row_prediction(s, pr, pf, o->probability_threshold)) < 0)
            return p;
        if (p == PRED_MISSING) {
            s->missing_prediction++;
            drop |= o->drop_missing;
            p = 0;
        }
    }
    for (size_t i = 0; i < s->nfacets; i++) {
        scan_facet *fa = &s->facets[i];
        size_t which = 0;
        fm[i] = predicate_match(&fa->pred, &f[fa->col], &which);
        if (fm[i] == PRED_BAD_NUMBER)
            return bad_number(r, fa->col, &f[fa->col], fa->pred.text);
        if (fm[i] == PRED_YES && fa->seen)
            fa->seen[which] = 1;
    }
    if (drop) {
        s->dropped++;
        for (size_t i = 0; s->record_rows && i < s->nfacets; i++)
            if ((rc = mg_buf_putc(&s->facets[i].rows, ROW_DROPPED)) < 0)
                return rc;
        return MG_OK;
    }
    s->used++;
    s->positives += (uint64_t)y;
    s->predicted_positives += (uint64_t)p;
    for (size_t i = 0; i < s->nfacets; i++) {
        scan_facet *fa = &s->facets[i];
        int m = fm[i];
        if (m == PRED_MISSING) {
            fa->missing++;
            m = o->drop_missing ? ROW_DROPPED : 0;
            fa->dropped += o->drop_missing;
        }
        if (s->record_rows && (rc = mg_buf_putc(&fa->rows, (char)m)) < 0)
            return rc;
        if (m != ROW_DROPPED)
            table_cell(&fa->t, g, c)[m * 2 + p]++;
    }
    return MG_OK;
}

static int count_rest(mg_csv_reader *r, uint64_t *n)
{
    const mg_csv_field *f;
    size_t nf;
    int rc;

    while ((rc = mg_csv_reader_next(r, &f, &nf)) > 0)
        (*n)++;
    return rc;
}

/* The data and prediction files ended at different rows: say how many each has. */
static int row_count_mismatch(scan *s, mg_csv_reader *r, mg_csv_reader *pr, int data_ended)
{
    uint64_t nd = s->rows, np = s->rows;
    int rc = count_rest(data_ended ? pr : r, data_ended ? &np : &nd);

    if (rc < 0)
        return rc;
    if (!data_ended)
        nd++; /* the row just read */
    else
        np++;
    return mg_error_set(MG_EINVAL,
                        "--predictions: %s has %llu rows but the data %s has %llu; they must match "
                        "row for row",
                        mg_csv_reader_name(pr), (unsigned long long)np, mg_csv_reader_name(r),
                        (unsigned long long)nd);
}

static int check_width(mg_csv_reader *r, size_t nf, size_t ncols)
{
    if (nf == ncols)
        return MG_OK;
    return mg_error_set(MG_EPARSE, "%s:%zu: %zu fields, but the header has %zu",
                        mg_csv_reader_name(r), mg_csv_reader_line(r), nf, ncols);
}

static double source_size(const mg_bias_source *src)
{
    struct stat st;
    if (src->text)
        return (double)src->len;
    return stat(src->path, &st) == 0 && st.st_size > 0 ? (double)st.st_size : 0;
}

static int read_rows(scan *s, const mg_bias_options *o, mg_csv_reader *r, size_t ncols,
                     mg_csv_reader *pr, size_t npcols)
{
    const mg_csv_field *f, *pf = NULL;
    size_t nf, npf = 0;
    double size = o->progress ? source_size(&o->data) : 0;
    int *fm = calloc(s->nfacets, sizeof *fm);
    int rc, prc;

    if (!fm)
        return mg_error_set(MG_ENOMEM, "out of memory");
    for (;;) {
        if ((rc = mg_csv_reader_next(r, &f, &nf)) < 0)
            break;
        if (pr) {
            if ((prc = mg_csv_reader_next(pr, &pf, &npf)) < 0) {
                rc = prc;
                break;
            }
            if (prc != rc) {
                rc = row_count_mismatch(s, r, pr, rc == 0);
                break;
            }
        }
        if (rc == 0)
            break;
        s->rows++;
        if ((rc = check_width(r, nf, ncols)) < 0 || (pr && (rc = check_width(pr, npf, npcols)) < 0))
            break;
        if ((rc = scan_row(s, o, r, f, pr, pf, fm)) < 0)
            break;
        if (size > 0 && s->rows % PROGRESS_EVERY == 0)
            o->progress(o->progress_ud, (double)mg_csv_reader_bytes(r) / size);
    }
    free(fm);
    return rc;
}

/* Resolve the label, facet and group columns against the data's header. */
static int resolve_data_columns(scan *s, const mg_bias_options *o, const mg_csv_field *h,
                                size_t nh, const char *name)
{
    size_t col;
    int rc;

    if ((rc = find_column(&s->label_col, h, nh, o->label, "--label", name)) < 0)
        return rc;
    for (size_t i = 0; i < s->nfacets; i++)
        if ((rc = find_column(&s->facets[i].col, h, nh, s->facets[i].pred.column, "--facet",
                              name)) < 0)
            return rc;
    if (o->group) {
        if ((rc = find_column(&col, h, nh, o->group, "--group", name)) < 0)
            return rc;
        s->group_col = (long)col;
    }
    return MG_OK;
}

static int resolve_prediction_column(scan *s, const mg_bias_options *o, const mg_csv_field *h,
                                     size_t nh, const char *name)
{
    const char *want = o->predicted_column;
    const char *flag = "--predicted-column";

    if (!want && o->score_column) {
        want = o->score_column;
        flag = "--score-column";
        s->pred_is_score = 1;
    }
    if (!want) {
        s->pred_col = 0;
        s->pred_column = strdup(h[0].ptr);
    } else {
        int rc = find_column(&s->pred_col, h, nh, want, flag, name);
        if (rc < 0)
            return rc;
        s->pred_column = strdup(want);
    }
    return s->pred_column ? MG_OK : mg_error_set(MG_ENOMEM, "out of memory");
}

/* A listed facet or label value that no row has is most likely a typo: say so. */
static int check_values_seen(const scan *s, const char *data_name)
{
    for (size_t i = 0; i < s->nfacets; i++) {
        const scan_facet *fa = &s->facets[i];
        for (size_t k = 0; k < fa->pred.nvalues; k++)
            if (!fa->seen[k])
                return mg_error_set(MG_EINVAL,
                                    "--facet '%s': value '%s' never occurs in column '%s' of %s",
                                    fa->pred.text, fa->pred.values[k], fa->pred.column,
                                    data_name);
    }
    if (!predicate_is_threshold(&s->label) && !s->label_seen)
        return mg_error_set(MG_EINVAL, "--positive '%s': no row of column '%s' in %s has %s",
                            s->label.text, s->label.column, data_name,
                            s->label.nvalues > 1 ? "any of these values" : "this value");
    return MG_OK;
}

typedef struct keyed {
    const char *key;
    size_t index;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

/* Groups in the sorted order of their values, as np.unique gives them. */
static int sort_groups(scan *s)
{
    size_t n = s->groups.n;
    keyed *k;

    if (!n)
        return MG_OK;
    k = malloc(n * sizeof *k);
    s->group_order = malloc(n * sizeof *s->group_order);
    if (!k || !s->group_order) {
        free(k);
        return mg_error_set(MG_ENOMEM, "out of memory (groups)");
    }
    for (size_t i = 0; i < n; i++) {
        k[i].key = dict_key(&s->groups, i);
        k[i].index = i;
    }
    qsort(k, n, sizeof *k, keyed_cmp);
    for (size_t i = 0; i < n; i++)
        s->group_order[i] = k[i].index;
    free(k);
    return MG_OK;
}

static int prepare(scan *s, const mg_bias_options *o)
{
    static const unsigned char binary[2] = {0, 1};
    int rc;

    s->group_col = -1;
    s->groups.max = MAX_GROUPS;
    s->classes.max = MAX_CLASSES;
    if (!o->data.path && !o->data.text)
        return mg_error_set(MG_EINVAL, "missing --data");
    if (!o->label || !*o->label)
        return mg_error_set(MG_EINVAL, "missing --label");
    if (!o->positive)
        return mg_error_set(MG_EINVAL, "missing --positive (the positive label value)");
    if ((rc = predicate_parse_outcome(&s->label, o->label, o->positive, "--positive")) < 0 ||
        (rc = parse_facets(s, o->facets)) < 0)
        return rc;
    if (!o->label_values && (rc = mg_buf_put(&s->positive, binary, 2)) < 0)
        return rc;
    return grow_tables(s, o->group ? 0 : 1, o->label_values ? 0 : 2);
}

int scan_run(scan *s, const mg_bias_options *o, int record_rows)
{
    mg_csv_options popts = o->csv;
    mg_csv_reader *r = NULL, *pr = NULL;
    const mg_csv_field *h;
    size_t ncols = 0, npcols = 0;
    const char *name = source_name(&o->data, "data");
    int rc;

    memset(s, 0, sizeof *s);
    s->record_rows = record_rows;
    if ((rc = prepare(s, o)) < 0)
        goto done;
    if ((rc = open_source(&r, &o->data, &o->csv, "data")) < 0 ||
        (rc = read_header(r, &h, &ncols)) < 0 ||
        (rc = resolve_data_columns(s, o, h, ncols, name)) < 0)
        goto done;
    if (o->predictions.path || o->predictions.text) {
        s->has_predictions = 1;
        popts.no_hash = 1;
        if ((rc = open_source(&pr, &o->predictions, &popts, "predictions")) < 0 ||
            (rc = read_header(pr, &h, &npcols)) < 0 ||
            (rc = resolve_prediction_column(s, o, h, npcols,
                                            source_name(&o->predictions, "predictions"))) < 0)
            goto done;
    }
    if ((rc = read_rows(s, o, r, ncols, pr, npcols)) < 0 || (rc = check_values_seen(s, name)) < 0 ||
        (rc = sort_groups(s)) < 0)
        goto done;
    if (!o->csv.no_hash && (rc = mg_csv_reader_sha256(r, s->sha256)) < 0)
        goto done;
    for (size_t i = 0; i < s->nfacets; i++) {
        s->facets[i].t.positive = (const unsigned char *)s->positive.ptr;
        s->facets[i].t.group_order = s->group_order;
    }
done:
    mg_csv_reader_close(pr);
    mg_csv_reader_close(r);
    return rc;
}

void scan_free(scan *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nfacets; i++) {
        predicate_free(&s->facets[i].pred);
        table_free(&s->facets[i].t);
        free(s->facets[i].seen);
        mg_buf_free(&s->facets[i].rows);
    }
    free(s->facets);
    predicate_free(&s->label);
    free(s->pred_column);
    dict_free(&s->groups);
    dict_free(&s->classes);
    mg_buf_free(&s->positive);
    free(s->group_order);
    memset(s, 0, sizeof *s);
}
