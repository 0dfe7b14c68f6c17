/* json.c - a bias report as DESIGN §3's JSON document. */
#include "mg_error.h"
#include "report.h"

#include <jansson.h>
#include <math.h>

/* A number, or Clarify's "Infinity" / "-Infinity" strings for an infinite one. */
static json_t *number(double v)
{
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

static json_t *count(uint64_t n)
{
    return json_integer((json_int_t)n);
}

/* Add every key/value pair (NULL value: skipped); 0, or -1 when one could not be made. */
static int put(json_t *obj, const char *key, json_t *value)
{
    return value ? json_object_set_new(obj, key, value) : -1;
}

static json_t *values_array(const predicate *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->nvalues; i++)
        if (json_array_append_new(a, json_string(p->values[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* {"column": ..., "values": [...]} or {"column": ..., "op": ">=", "threshold": N}. */
static json_t *predicate_json(const predicate *p)
{
    json_t *o = json_object();
    int bad = !o || put(o, "column", json_string(p->column));

    if (!bad && predicate_is_threshold(p))
        bad = put(o, "op", json_string(predicate_op(p))) ||
              put(o, "threshold", json_real(p->threshold));
    else if (!bad)
        bad = put(o, "values", values_array(p));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *label_json(const mg_bias_report *r)
{
    const scan *s = &r->s;
    json_t *o = predicate_json(&s->label);

    if (!o || put(o, "positives", count(s->positives)) ||
        put(o, "missing", count(s->missing_label)) ||
        put(o, "distribution", json_string(r->label_values ? "values" : "binary"))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *facet_json(const scan_facet *f)
{
    summary sum;
    json_t *o = predicate_json(&f->pred);

    summary_of(&sum, &f->t);
    if (!o || put(o, "spec", json_string(f->pred.text)) ||
        put(o, "nd", count(summary_facet_rows(&sum, 1))) ||
        put(o, "na", count(summary_facet_rows(&sum, 0))) || put(o, "missing", count(f->missing))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *result_json(const metric_def *d, const mg_bias_result *res)
{
    json_t *o = json_object();
    int bad = !o;

    if (!bad && res->v.status == MG_BIAS_UNDEFINED)
        bad = put(o, "value", json_null());
    else if (!bad)
        bad = put(o, "value", number(res->v.value));
    if (!bad && res->v.reason)
        bad = put(o, "reason", json_string(res->v.reason));
    if (!bad && res->has_ci)
        bad = put(o, "ci95", json_pack("[oo]", number(res->ci[0]), number(res->ci[1])));
    if (!bad && res->ci_undefined)
        bad = put(o, "ci_undefined", count(res->ci_undefined));
    if (!bad)
        bad = put(o, "description", json_string(d->description));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *metrics_json(const mg_bias_report *r, size_t facet)
{
    json_t *o = json_object();

    for (size_t m = 0; o && m < r->nmetrics; m++)
        if (put(o, r->metrics[m]->name,
                result_json(r->metrics[m], &r->results[facet * r->nmetrics + m]))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *context_json(const mg_bias_report *r)
{
    const scan *s = &r->s;
    json_t *o = json_object();
    int bad = !o;

    if (!bad && s->has_predictions) {
        json_t *p = json_pack("{s:s,s:s,s:s,s:o,s:o}", "path", r->predictions_path, "column",
                              s->pred_column, "kind", s->pred_is_score ? "score" : "label",
                              "positives", count(s->predicted_positives), "missing",
                              count(s->missing_prediction));
        if (p && s->pred_is_score && put(p, "threshold", json_real(r->threshold)))
            p = NULL;
        bad = put(o, "predictions", p);
    }
    if (!bad && r->group)
        bad = put(o, "group", json_pack("{s:s,s:o,s:o}", "column", r->group, "values",
                                        count(s->groups.n), "missing", count(s->missing_group)));
    if (!bad && r->drop_missing)
        bad = put(o, "dropped", count(s->dropped));
    if (!bad && r->bootstrap)
        bad = put(o, "bootstrap", json_pack("{s:o,s:o,s:f,s:s}", "samples", count(r->bootstrap),
                                             "seed", json_integer((json_int_t)r->seed), "level",
                                             0.95, "method", "percentile"));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *mg_bias_report_to_json(const mg_bias_report *r)
{
    const scan *s = &r->s;
    json_t *doc = json_object(), *data, *ctx = NULL;
    int bad = !doc;

    data = json_pack("{s:s}", "path", r->data_path);
    if (data && s->sha256[0] && put(data, "sha256", json_string(s->sha256)))
        data = NULL;
    bad = bad || put(doc, "n", count(s->rows)) || put(doc, "data", data) ||
          put(doc, "label", label_json(r)) || put(doc, "facet", facet_json(&s->facets[0])) ||
          put(doc, "metrics", metrics_json(r, 0)) || !(ctx = context_json(r)) ||
          json_object_update(doc, ctx);
    if (!bad && s->nfacets > 1) {
        json_t *all = json_array();
        bad = !all || put(doc, "facets", all);
        for (size_t f = 0; !bad && f < s->nfacets; f++)
            bad = json_array_append_new(all, json_pack("{s:o,s:o}", "facet",
                                                       facet_json(&s->facets[f]), "metrics",
                                                       metrics_json(r, f))) < 0;
    }
    json_decref(ctx);
    if (bad) {
        json_decref(doc);
        mg_error_set(MG_ENOMEM, "out of memory (bias report JSON)");
        return NULL;
    }
    return doc;
}
