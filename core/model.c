/* model.c - the model object: layer shapes, parameters, labels, metadata, init. */
#include "network.h"
#include "mg_error.h"
#include "mg_rng.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {"linear", "logistic", "softmax", "mlp"};

const char *mg_model_type_name(mg_model_type t)
{
    return (unsigned)t < 4 ? type_names[t] : "unknown";
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

/* The head and the number of outputs a spec asks for, or MG_EINVAL. */
static int spec_head(model_head *head, size_t *outputs, const mg_model_spec *sp)
{
    const char *t = mg_model_type_name(sp->type);

    switch (sp->type) {
    case MG_MODEL_LINEAR:
        if (sp->classes != 0)
            return mg_error_set(MG_EINVAL, "model: linear regression takes no classes");
        *head = HEAD_IDENTITY;
        *outputs = 1;
        return MG_OK;
    case MG_MODEL_LOGISTIC:
        if (sp->classes != 2)
            return mg_error_set(MG_EINVAL, "model: logistic regression needs exactly 2 classes"
                                           " (got %zu)", sp->classes);
        *head = HEAD_SIGMOID;
        *outputs = 1;
        return MG_OK;
    case MG_MODEL_SOFTMAX:
        if (sp->classes < 2)
            return mg_error_set(MG_EINVAL, "model: softmax needs at least 2 classes (got %zu)",
                                sp->classes);
        *head = HEAD_SOFTMAX;
        *outputs = sp->classes;
        return MG_OK;
    case MG_MODEL_MLP:
        if (sp->classes == 1)
            return mg_error_set(MG_EINVAL, "model: an MLP classifier needs at least 2 classes");
        *head = sp->classes == 0 ? HEAD_IDENTITY : sp->classes == 2 ? HEAD_SIGMOID : HEAD_SOFTMAX;
        *outputs = sp->classes <= 2 ? 1 : sp->classes;
        return MG_OK;
    }
    return mg_error_set(MG_EINVAL, "model: unknown model type %d (%s)", (int)sp->type, t);
}

static int set_classes(mg_model *m, size_t classes, const char *const *names)
{
    if (classes == 0)
        return MG_OK;
    if (!(m->class_names = calloc(classes, sizeof *m->class_names)))
        return mg_error_set(MG_ENOMEM, "model: no memory for class names");
    m->classes = classes;
    for (size_t k = 0; k < classes; k++) {
        char num[32];
        snprintf(num, sizeof num, "%zu", k);
        if (!(m->class_names[k] = dup_str(names ? names[k] : num)))
            return mg_error_set(MG_ENOMEM, "model: no memory for class names");
    }
    return MG_OK;
}

static int set_layers(mg_model *m, const mg_model_spec *sp, size_t outputs)
{
    size_t L = (sp->type == MG_MODEL_MLP ? sp->nhidden : 0) + 1;

    m->nlayers = L;
    m->sizes = calloc(L + 1, sizeof *m->sizes);
    m->offsets = calloc(L, sizeof *m->offsets);
    if (!m->sizes || !m->offsets)
        return mg_error_set(MG_ENOMEM, "model: no memory for layers");
    m->sizes[0] = m->inputs;
    for (size_t l = 1; l < L; l++) {
        if (sp->hidden[l - 1] == 0)
            return mg_error_set(MG_EINVAL, "model: hidden layer %zu has size 0", l);
        m->sizes[l] = sp->hidden[l - 1];
    }
    m->sizes[L] = outputs;
    m->nparams = 0;
    for (size_t l = 0; l < L; l++) {
        m->offsets[l] = m->nparams;
        m->nparams += m->sizes[l + 1] * (m->sizes[l] + 1);
    }
    if (!(m->params = calloc(m->nparams, sizeof *m->params)))
        return mg_error_set(MG_ENOMEM, "model: no memory for %zu parameters", m->nparams);
    return MG_OK;
}

int mg_model_create(mg_model **out, const mg_model_spec *sp, mg_pipeline *pipeline)
{
    mg_model *m = NULL;
    size_t outputs = 0;
    int rc;

    *out = NULL;
    if (!(m = calloc(1, sizeof *m))) {
        mg_pipeline_free(pipeline);
        return mg_error_set(MG_ENOMEM, "model: no memory");
    }
    m->pipeline = pipeline;
    m->type = sp->type;
    m->inputs = pipeline ? mg_pipeline_width(pipeline) : sp->inputs;
    m->activation = sp->activation;
    m->loss = sp->loss;
    if ((rc = spec_head(&m->head, &outputs, sp)) < 0)
        goto done;
    if (m->inputs == 0) {
        rc = mg_error_set(MG_EINVAL, "model: no input features");
        goto done;
    }
    if ((unsigned)sp->activation > MG_ACT_TANH || (unsigned)sp->loss > MG_LOSS_MAE) {
        rc = mg_error_set(MG_EINVAL, "model: unknown activation or loss");
        goto done;
    }
    if (!(m->label = dup_str(sp->label ? sp->label : "label")) ||
        !(m->training = json_object()) || !(m->metrics = json_object()) ||
        !(m->curves = json_object())) {
        rc = mg_error_set(MG_ENOMEM, "model: no memory");
        goto done;
    }
    if ((rc = set_classes(m, sp->classes, sp->class_names)) < 0 ||
        (rc = set_layers(m, sp, outputs)) < 0)
        goto done;
    *out = m;
    m = NULL;
done:
    mg_model_free(m);
    return rc;
}

void mg_model_free(mg_model *m)
{
    if (!m)
        return;
    mg_pipeline_free(m->pipeline);
    free(m->label);
    for (size_t k = 0; k < m->classes; k++)
        free(m->class_names[k]);
    free(m->class_names);
    free(m->sizes);
    free(m->offsets);
    free(m->params);
    json_decref(m->training);
    json_decref(m->metrics);
    json_decref(m->curves);
    free(m);
}

void mg_model_init_params(mg_model *m, uint64_t seed)
{
    mg_rng r;

    mg_rng_seed_stream(&r, seed, 0x1417);
    for (size_t l = 0; l < m->nlayers; l++) {
        size_t in = m->sizes[l], out = m->sizes[l + 1];
        double *W = m->params + m->offsets[l];
        int relu_after = l + 1 < m->nlayers && m->activation == MG_ACT_RELU;

        if (relu_after) {
            /* He et al. 2015, "Delving deep into rectifiers", section 2.2. */
            double sd = sqrt(2.0 / (double)in);
            for (size_t i = 0; i < out * in; i++)
                W[i] = sd * mg_rng_normal(&r);
        } else {
            /* Glorot & Bengio 2010, equation 16. */
            double a = sqrt(6.0 / (double)(in + out));
            for (size_t i = 0; i < out * in; i++)
                W[i] = a * (2.0 * mg_rng_uniform(&r) - 1.0);
        }
        memset(W + out * in, 0, out * sizeof *W);
    }
}

int mg_model_copy(mg_model **out, const mg_model *m)
{
    json_t *doc;
    mg_model *c = NULL;
    mg_model_spec sp = MG_MODEL_SPEC_INIT;
    int rc;

    *out = NULL;
    if (m->pipeline) {
        /* The artifact is the model's one complete description; going through it
         * keeps the copy exact (17 digits round-trip) and the code single. */
        if (!(doc = mg_model_to_json(m)))
            return mg_error_code() ? mg_error_code() : MG_ENOMEM;
        rc = mg_model_from_json(out, doc, "copy");
        json_decref(doc);
        return rc;
    }
    sp.type = m->type;
    sp.inputs = m->inputs;
    sp.label = m->label;
    sp.classes = m->classes;
    sp.class_names = (const char *const *)m->class_names;
    sp.nhidden = m->nlayers - 1;
    sp.hidden = m->sizes + 1;
    sp.activation = m->activation;
    sp.loss = m->loss;
    if ((rc = mg_model_create(&c, &sp, NULL)) < 0)
        return rc;
    memcpy(c->params, m->params, m->nparams * sizeof *c->params);
    json_object_update(c->training, m->training);
    json_object_update(c->metrics, m->metrics);
    json_object_update(c->curves, m->curves);
    memcpy(c->data_sha256, m->data_sha256, sizeof c->data_sha256);
    *out = c;
    return MG_OK;
}

mg_model_type mg_model_kind(const mg_model *m)
{
    return m->type;
}

const mg_pipeline *mg_model_pipeline(const mg_model *m)
{
    return m->pipeline;
}

const char *mg_model_label(const mg_model *m)
{
    return m->label;
}

size_t mg_model_classes(const mg_model *m)
{
    return m->classes;
}

const char *mg_model_class_name(const mg_model *m, size_t k)
{
    return k < m->classes ? m->class_names[k] : "";
}

size_t mg_model_outputs(const mg_model *m)
{
    return m->sizes[m->nlayers];
}

size_t mg_model_params(const mg_model *m)
{
    return m->nparams;
}

const double *mg_model_param_data(const mg_model *m)
{
    return m->params;
}

double *mg_model_param_data_mut(mg_model *m)
{
    return m->params;
}

size_t mg_model_inputs(const mg_model *m)
{
    return m->inputs;
}

size_t mg_model_layers(const mg_model *m)
{
    return m->nlayers;
}

void mg_model_layer_shape(const mg_model *m, size_t layer, size_t *inputs, size_t *outputs)
{
    *inputs = layer < m->nlayers ? m->sizes[layer] : 0;
    *outputs = layer < m->nlayers ? m->sizes[layer + 1] : 0;
}

mg_activation mg_model_activation(const mg_model *m)
{
    return m->activation;
}

mg_regression_loss mg_model_regression_loss(const mg_model *m)
{
    return m->loss;
}

int mg_model_param_is_weight(const mg_model *m, size_t i)
{
    for (size_t l = m->nlayers; l-- > 0;)
        if (i >= m->offsets[l])
            return i < m->offsets[l] + m->sizes[l] * m->sizes[l + 1];
    return 0;
}

int mg_model_linear_weights(const double **w, double *bias, const mg_model *m)
{
    if (m->nlayers != 1 || m->sizes[1] != 1)
        return mg_error_set(MG_EINVAL, "model: %s has no single weight vector",
                            mg_model_type_name(m->type));
    *w = m->params;
    *bias = m->params[m->inputs];
    return MG_OK;
}

size_t mg_model_decide(const mg_model *m, const double *pred)
{
    size_t K = mg_model_outputs(m), best = 0;

    if (m->head == HEAD_IDENTITY)
        return 0;
    if (m->head == HEAD_SIGMOID)
        return pred[0] > 0.5;
    for (size_t k = 1; k < K; k++)
        if (pred[k] > pred[best])
            best = k;
    return best;
}

json_t *mg_model_training(mg_model *m)
{
    return m->training;
}

json_t *mg_model_metrics(mg_model *m)
{
    return m->metrics;
}

json_t *mg_model_curves(mg_model *m)
{
    return m->curves;
}

const json_t *mg_model_training_const(const mg_model *m)
{
    return m->training;
}

const json_t *mg_model_metrics_const(const mg_model *m)
{
    return m->metrics;
}

const json_t *mg_model_curves_const(const mg_model *m)
{
    return m->curves;
}

const char *mg_model_data_sha256(const mg_model *m)
{
    return m->data_sha256;
}

int mg_model_set_data_sha256(mg_model *m, const char *hex)
{
    size_t n = hex ? strlen(hex) : 0;

    if (n != 64 || strspn(hex, "0123456789abcdef") != 64)
        return mg_error_set(MG_EINVAL, "model: data sha256 must be 64 lower-case hex digits");
    memcpy(m->data_sha256, hex, 65);
    return MG_OK;
}
