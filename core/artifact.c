/* artifact.c - the .mgm model artifact (docs/model-format.md): one JSON document. */
#include "network.h"
#include "mg_buf.h"
#include "mg_error.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_NAME "modelgov-model"
#define FORMAT_VERSION 1
/* A model file larger than this is not a model (foreign or damaged). */
#define MAX_ARTIFACT_BYTES ((size_t)1 << 31)

static const char *head_name(model_head h)
{
    return h == HEAD_IDENTITY ? "identity" : h == HEAD_SIGMOID ? "sigmoid" : "softmax";
}

static const char *loss_name(const mg_model *m)
{
    if (m->head == HEAD_SIGMOID)
        return "log_loss";
    if (m->head == HEAD_SOFTMAX)
        return "cross_entropy";
    return m->loss == MG_LOSS_MAE ? "mae" : "mse";
}

/* ---- writing ---- */

static json_t *numbers_json(const double *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++) {
        if (!isfinite(v[i])) {
            mg_error_set(MG_EINVAL, "model: a weight is %g; training diverged (lower --lr)", v[i]);
            json_decref(a);
            return NULL;
        }
        if (json_array_append_new(a, json_real(v[i])) < 0) {
            mg_error_set(MG_ENOMEM, "model: no memory for the artifact");
            json_decref(a);
            return NULL;
        }
    }
    if (!a)
        mg_error_set(MG_ENOMEM, "model: no memory for the artifact");
    return a;
}

static json_t *layer_json(const mg_model *m, size_t l)
{
    size_t in = m->sizes[l], out = m->sizes[l + 1];
    const double *W = m->params + m->offsets[l];
    json_t *j = json_object(), *rows = json_array(), *bias;

    if (!j || !rows)
        goto fail;
    json_object_set_new(j, "inputs", json_integer((json_int_t)in));
    json_object_set_new(j, "outputs", json_integer((json_int_t)out));
    for (size_t o = 0; o < out; o++) {
        json_t *row = numbers_json(W + o * in, in);
        if (!row || json_array_append_new(rows, row) < 0)
            goto fail;
    }
    if (!(bias = numbers_json(W + out * in, out)))
        goto fail;
    json_object_set_new(j, "weights", rows);
    json_object_set_new(j, "bias", bias);
    return j;
fail:
    if (!mg_error_code())
        mg_error_set(MG_ENOMEM, "model: no memory for the artifact");
    json_decref(rows);
    json_decref(j);
    return NULL;
}

static json_t *label_json(const mg_model *m)
{
    json_t *j = json_object(), *classes = json_array();

    if (!j || !classes) {
        json_decref(j);
        json_decref(classes);
        return NULL;
    }
    json_object_set_new(j, "column", json_string(m->label));
    for (size_t k = 0; k < m->classes; k++)
        json_array_append_new(classes, json_string(m->class_names[k]));
    json_object_set_new(j, "classes", classes);
    if (m->classes == 2)
        json_object_set_new(j, "positive", json_string(m->class_names[1]));
    return j;
}

static json_t *network_json(const mg_model *m)
{
    json_t *j = json_object(), *layers = json_array();

    if (!j || !layers)
        goto fail;
    json_object_set_new(j, "inputs", json_integer((json_int_t)m->inputs));
    if (m->type == MG_MODEL_MLP)
        json_object_set_new(j, "activation",
                            json_string(m->activation == MG_ACT_RELU ? "relu" : "tanh"));
    json_object_set_new(j, "head", json_string(head_name(m->head)));
    json_object_set_new(j, "loss", json_string(loss_name(m)));
    for (size_t l = 0; l < m->nlayers; l++) {
        json_t *lj = layer_json(m, l);
        if (!lj || json_array_append_new(layers, lj) < 0)
            goto fail;
    }
    json_object_set_new(j, "layers", layers);
    return j;
fail:
    json_decref(layers);
    json_decref(j);
    return NULL;
}

json_t *mg_model_to_json(const mg_model *m)
{
    json_t *doc = NULL, *part;

    mg_error_clear();
    if (!m->pipeline) {
        mg_error_set(MG_EINVAL, "model: no pipeline; only a model with one can be saved");
        return NULL;
    }
    if (!(doc = json_object()))
        goto fail;
    json_object_set_new(doc, "format", json_string(FORMAT_NAME));
    json_object_set_new(doc, "format_version", json_integer(FORMAT_VERSION));
    json_object_set_new(doc, "type", json_string(mg_model_type_name(m->type)));
    if (!(part = label_json(m)) || json_object_set_new(doc, "label", part) < 0)
        goto fail;
    if (!(part = mg_pipeline_to_json(m->pipeline)) || json_object_set_new(doc, "pipeline", part) < 0)
        goto fail;
    if (!(part = network_json(m)) || json_object_set_new(doc, "network", part) < 0)
        goto fail;
    if (json_object_set_new(doc, "training", json_deep_copy(m->training)) < 0 ||
        json_object_set_new(doc, "metrics", json_deep_copy(m->metrics)) < 0 ||
        json_object_set_new(doc, "curves", json_deep_copy(m->curves)) < 0 ||
        json_object_set_new(doc, "data_sha256", json_string(m->data_sha256)) < 0)
        goto fail;
    return doc;
fail:
    if (!mg_error_code())
        mg_error_set(MG_ENOMEM, "model: no memory for the artifact");
    json_decref(doc);
    return NULL;
}

int model_write_json(const json_t *doc, const char *path)
{
    char *text = NULL;
    mg_buf b = MG_BUF_INIT;
    int rc;

    /* 17 significant digits: every double prints to the text that parses back to it. */
    if (!(text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17)))) {
        rc = mg_error_set(MG_ENOMEM, "model: no memory to write %s", path);
        goto done;
    }
    if ((rc = mg_buf_puts(&b, text)) < 0 || (rc = mg_buf_putc(&b, '\n')) < 0)
        goto done;
    rc = mg_file_write_atomic(path, b.ptr, b.len, 0644);
done:
    mg_buf_free(&b);
    free(text);
    return rc;
}

int mg_model_save(const mg_model *m, const char *path)
{
    json_t *doc = mg_model_to_json(m);
    int rc;

    if (!doc)
        return mg_error_code();
    rc = model_write_json(doc, path);
    json_decref(doc);
    return rc;
}

/* ---- reading ---- */

/* MG_EPARSE "WHERE: field 'FIELD': DETAIL". */
static int bad(const char *where, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(const char *where, const char *field, const char *fmt, ...)
{
    char detail[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return mg_error_set(MG_EPARSE, "%s: field '%s': %s", where, field, detail);
}

static int get_size(size_t *out, const json_t *obj, const char *key, const char *where,
                    const char *field)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(where, field, "expected a non-negative integer");
    *out = (size_t)json_integer_value(v);
    return MG_OK;
}

/* Fill v[0..n) from a JSON array of exactly n numbers. */
static int get_numbers(double *v, size_t n, const json_t *a, const char *where, const char *field)
{
    if (!json_is_array(a))
        return bad(where, field, "expected an array of %zu numbers", n);
    if (json_array_size(a) != n)
        return bad(where, field, "expected %zu numbers, found %zu", n, json_array_size(a));
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(a, i);
        if (!json_is_number(x))
            return bad(where, field, "element %zu is not a number", i);
        v[i] = json_number_value(x);
    }
    return MG_OK;
}

static int parse_type(mg_model_type *t, const json_t *doc, const char *where)
{
    const char *s = json_string_value(json_object_get(doc, "type"));

    for (int k = 0; s && k < 4; k++)
        if (strcmp(s, mg_model_type_name((mg_model_type)k)) == 0) {
            *t = (mg_model_type)k;
            return MG_OK;
        }
    return bad(where, "type", "expected \"linear\", \"logistic\", \"softmax\" or \"mlp\"");
}

static int parse_header(const json_t *doc, const char *where)
{
    const char *fmt;
    const json_t *ver;

    if (!json_is_object(doc))
        return mg_error_set(MG_EPARSE, "%s: not a modelgov model (expected a JSON object)", where);
    fmt = json_string_value(json_object_get(doc, "format"));
    if (!fmt || strcmp(fmt, FORMAT_NAME) != 0)
        return bad(where, "format", "expected \"%s\" (not a modelgov model)", FORMAT_NAME);
    ver = json_object_get(doc, "format_version");
    if (!json_is_integer(ver))
        return bad(where, "format_version", "expected an integer");
    if (json_integer_value(ver) != FORMAT_VERSION)
        return bad(where, "format_version", "version %lld is not supported (this build reads %d)",
                   (long long)json_integer_value(ver), FORMAT_VERSION);
    return MG_OK;
}

/* Label column and class names (borrowed from doc) into the spec. */
static int parse_label(mg_model_spec *sp, const char **names, const json_t *doc,
                       const char *where)
{
    const json_t *lab = json_object_get(doc, "label"), *cls, *pos;

    if (!json_is_object(lab))
        return bad(where, "label", "expected an object with \"column\"");
    if (!(sp->label = json_string_value(json_object_get(lab, "column"))) || !*sp->label)
        return bad(where, "label.column", "expected a non-empty string");
    cls = json_object_get(lab, "classes");
    if (cls && !json_is_array(cls))
        return bad(where, "label.classes", "expected an array of strings");
    sp->classes = cls ? json_array_size(cls) : 0;
    if (sp->classes > 65536)
        return bad(where, "label.classes", "too many classes (%zu)", sp->classes);
    for (size_t k = 0; k < sp->classes; k++)
        if (!(names[k] = json_string_value(json_array_get(cls, k))))
            return bad(where, "label.classes", "element %zu is not a string", k);
    sp->class_names = sp->classes ? names : NULL;
    pos = json_object_get(lab, "positive");
    if (pos && (sp->classes != 2 || !json_is_string(pos) ||
                strcmp(json_string_value(pos), names[1]) != 0))
        return bad(where, "label.positive", "must be the second of two classes");
    return MG_OK;
}

/* One layer's shape, checked against the arrays it carries. */
static int parse_layer_shape(size_t *in, size_t *out, const json_t *lj, size_t l,
                             const char *where)
{
    char field[64];
    const json_t *w;

    snprintf(field, sizeof field, "network.layers[%zu]", l);
    if (!json_is_object(lj))
        return bad(where, field, "expected an object");
    snprintf(field, sizeof field, "network.layers[%zu].inputs", l);
    if (get_size(in, lj, "inputs", where, field) < 0)
        return MG_EPARSE;
    snprintf(field, sizeof field, "network.layers[%zu].outputs", l);
    if (get_size(out, lj, "outputs", where, field) < 0)
        return MG_EPARSE;
    w = json_object_get(lj, "weights");
    snprintf(field, sizeof field, "network.layers[%zu].weights", l);
    if (!json_is_array(w) || json_array_size(w) != *out || *out == 0 || *in == 0)
        return bad(where, field, "expected %zu rows of %zu numbers", *out, *in);
    return MG_OK;
}

static int parse_network(mg_model_spec *sp, size_t *hidden, const json_t *net, size_t *outputs,
                         const char *where)
{
    const json_t *layers = json_object_get(net, "layers");
    const char *act = json_string_value(json_object_get(net, "activation"));
    const char *loss = json_string_value(json_object_get(net, "loss"));
    size_t L, in, out, prev = 0;

    if (!json_is_object(net))
        return bad(where, "network", "expected an object");
    if (!json_is_array(layers) || (L = json_array_size(layers)) == 0)
        return bad(where, "network.layers", "expected a non-empty array");
    if (L > 1 && sp->type != MG_MODEL_MLP)
        return bad(where, "network.layers", "a %s model has exactly one layer",
                   mg_model_type_name(sp->type));
    if (L > 64)
        return bad(where, "network.layers", "too many layers (%zu)", L);
    for (size_t l = 0; l < L; l++) {
        if (parse_layer_shape(&in, &out, json_array_get(layers, l), l, where) < 0)
            return MG_EPARSE;
        if (l == 0)
            sp->inputs = in;
        else if (in != prev)
            return bad(where, "network.layers", "layer %zu has %zu inputs but layer %zu has %zu"
                                                " outputs", l, in, l - 1, prev);
        if (l + 1 < L)
            hidden[l] = out;
        prev = out;
    }
    sp->hidden = hidden;
    sp->nhidden = L - 1;
    *outputs = prev;
    if (sp->type == MG_MODEL_MLP && L > 1) {
        if (!act || (strcmp(act, "relu") != 0 && strcmp(act, "tanh") != 0))
            return bad(where, "network.activation", "expected \"relu\" or \"tanh\"");
        sp->activation = strcmp(act, "relu") == 0 ? MG_ACT_RELU : MG_ACT_TANH;
    }
    if (loss && strcmp(loss, "mae") == 0)
        sp->loss = MG_LOSS_MAE;
    else if (loss && strcmp(loss, "mse") != 0 && strcmp(loss, "log_loss") != 0 &&
             strcmp(loss, "cross_entropy") != 0)
        return bad(where, "network.loss", "expected \"mse\", \"mae\", \"log_loss\" or"
                                          " \"cross_entropy\"");
    return MG_OK;
}

static int parse_weights(mg_model *m, const json_t *net, const char *where)
{
    const json_t *layers = json_object_get(net, "layers");
    char field[80];

    for (size_t l = 0; l < m->nlayers; l++) {
        const json_t *lj = json_array_get(layers, l), *rows = json_object_get(lj, "weights");
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        double *W = m->params + m->offsets[l];

        for (size_t o = 0; o < out; o++) {
            snprintf(field, sizeof field, "network.layers[%zu].weights[%zu]", l, o);
            if (get_numbers(W + o * in, in, json_array_get(rows, o), where, field) < 0)
                return MG_EPARSE;
        }
        snprintf(field, sizeof field, "network.layers[%zu].bias", l);
        if (get_numbers(W + out * in, out, json_object_get(lj, "bias"), where, field) < 0)
            return MG_EPARSE;
    }
    return MG_OK;
}

/* training, metrics, curves: optional objects, copied; data_sha256 optional. */
static int parse_metadata(mg_model *m, const json_t *doc, const char *where)
{
    static const char *const keys[] = {"training", "metrics", "curves"};
    json_t *dst[] = {m->training, m->metrics, m->curves};
    const json_t *sha = json_object_get(doc, "data_sha256");

    for (size_t i = 0; i < 3; i++) {
        const json_t *v = json_object_get(doc, keys[i]);
        json_t *c;
        if (!v || json_is_null(v))
            continue;
        if (!json_is_object(v))
            return bad(where, keys[i], "expected an object");
        if (!(c = json_deep_copy(v)) || json_object_update(dst[i], c) < 0) {
            json_decref(c);
            return mg_error_set(MG_ENOMEM, "%s: no memory", where);
        }
        json_decref(c);
    }
    if (sha && !json_is_string(sha))
        return bad(where, "data_sha256", "expected a string");
    if (sha && json_string_length(sha) > 0 && mg_model_set_data_sha256(m, json_string_value(sha)) < 0)
        return bad(where, "data_sha256", "expected 64 lower-case hex digits");
    return MG_OK;
}

int mg_model_from_json(mg_model **out, const json_t *doc, const char *where)
{
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    const char **names = NULL;
    size_t hidden[64], outputs = 0, want;
    mg_pipeline *p = NULL;
    mg_model *m = NULL;
    const json_t *net;
    int rc;

    *out = NULL;
    if ((rc = parse_header(doc, where)) < 0 || (rc = parse_type(&sp.type, doc, where)) < 0)
        return rc;
    if (!(names = calloc(json_array_size(json_object_get(json_object_get(doc, "label"),
                                                         "classes")) + 1, sizeof *names)))
        return mg_error_set(MG_ENOMEM, "%s: no memory", where);
    net = json_object_get(doc, "network");
    if ((rc = parse_label(&sp, names, doc, where)) < 0 ||
        (rc = parse_network(&sp, hidden, net, &outputs, where)) < 0)
        goto done;
    if (!json_is_object(json_object_get(doc, "pipeline"))) {
        rc = bad(where, "pipeline", "expected an object");
        goto done;
    }
    if ((rc = mg_pipeline_from_json(&p, json_object_get(doc, "pipeline"), where)) < 0)
        goto done;
    if (mg_pipeline_width(p) != sp.inputs) {
        rc = bad(where, "network.layers[0].inputs", "%zu, but the pipeline encodes %zu features",
                 sp.inputs, mg_pipeline_width(p));
        goto done;
    }
    rc = mg_model_create(&m, &sp, p);
    p = NULL; /* taken by the model, also on failure */
    if (rc < 0) {
        if (rc != MG_ENOMEM)
            rc = bad(where, "label.classes", "%s", mg_error_last());
        goto done;
    }
    want = mg_model_outputs(m);
    if (outputs != want) {
        rc = bad(where, "network.layers", "the last layer has %zu outputs; a %s model with %zu"
                                          " classes needs %zu", outputs,
                 mg_model_type_name(sp.type), sp.classes, want);
        goto done;
    }
    if ((rc = parse_weights(m, net, where)) < 0 || (rc = parse_metadata(m, doc, where)) < 0)
        goto done;
    *out = m;
    m = NULL;
done:
    mg_model_free(m);
    mg_pipeline_free(p);
    free(names);
    return rc;
}

int model_read_json(json_t **doc, const char *path)
{
    mg_buf text = MG_BUF_INIT;
    json_error_t jerr;
    int rc;

    *doc = NULL;
    text.max = MAX_ARTIFACT_BYTES;
    if ((rc = mg_buf_read_file(&text, path)) == MG_OK &&
        !(*doc = json_loadb(text.ptr ? text.ptr : "", text.len, JSON_REJECT_DUPLICATES, &jerr)))
        rc = mg_error_set(MG_EPARSE, "%s:%d:%d: not a modelgov model: %s", path, jerr.line,
                          jerr.column, jerr.text);
    mg_buf_free(&text);
    return rc;
}

int mg_model_load(mg_model **out, const char *path)
{
    json_t *doc;
    int rc;

    *out = NULL;
    if ((rc = model_read_json(&doc, path)) == MG_OK)
        rc = mg_model_from_json(out, doc, path);
    json_decref(doc);
    return rc;
}
