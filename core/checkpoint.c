/* checkpoint.c - estimator export, checkpoints (save, keep newest K, restore). */
#include "estimator_impl.h"
#include "mg_buf.h"
#include "mg_error.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static json_t *curve_json(const double *v, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, isfinite(v[i]) ? json_real(v[i]) : json_null());
    return a;
}

static int set(json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new(obj, key, v) < 0)
        return mg_error_set(MG_ENOMEM, "estimator: no memory for the artifact");
    return MG_OK;
}

/* The run's settings into the model's "training" object (keeps keys others added, e.g. "dp"). */
static int fill_training(mg_estimator *e)
{
    json_t *t = mg_model_training(e->model), *c = mg_model_curves(e->model);
    const mg_optim_options *o = &e->opts.optim;
    char seed[32];
    int rc;

    snprintf(seed, sizeof seed, "%" PRIu64, e->config.seed);
    /* A seed past JSON's safe integers is written as a decimal string. */
    if ((rc = set(t, "seed", e->config.seed > INT64_MAX ? json_string(seed)
                                                        : json_integer((json_int_t)e->config.seed))) < 0 ||
        (rc = set(t, "optimizer", json_string(mg_optim_kind_name(o->kind)))) < 0 ||
        (rc = set(t, "lr", json_real(o->lr))) < 0 ||
        (rc = set(t, "schedule", json_string(mg_schedule_name(o->schedule)))) < 0 ||
        (rc = set(t, "l2", json_real(o->l2))) < 0 ||
        (rc = set(t, "batch_size", json_integer((json_int_t)e->opts.batch_size))) < 0 ||
        (rc = set(t, "epochs", json_integer((json_int_t)e->epoch))) < 0 ||
        (rc = set(t, "steps", json_integer((json_int_t)e->step))) < 0)
        return rc;
    if (o->kind == MG_OPTIM_SGD && (rc = set(t, "momentum", json_real(o->momentum))) < 0)
        return rc;
    if (o->kind == MG_OPTIM_ADAM &&
        ((rc = set(t, "beta1", json_real(o->beta1))) < 0 ||
         (rc = set(t, "beta2", json_real(o->beta2))) < 0 ||
         (rc = set(t, "eps", json_real(o->eps))) < 0))
        return rc;
    if (o->schedule == MG_SCHEDULE_STEP &&
        ((rc = set(t, "step_size", json_integer((json_int_t)o->step_size))) < 0 ||
         (rc = set(t, "gamma", json_real(o->gamma))) < 0))
        return rc;
    if (o->schedule == MG_SCHEDULE_COSINE &&
        ((rc = set(t, "total_steps", json_integer((json_int_t)o->total_steps))) < 0 ||
         (rc = set(t, "min_lr", json_real(o->min_lr))) < 0))
        return rc;
    if ((rc = set(c, "train_loss", curve_json(e->train_curve, e->ncurve))) < 0 ||
        (rc = set(c, "eval_loss", curve_json(e->eval_curve, e->ncurve))) < 0)
        return rc;
    return MG_OK;
}

int mg_estimator_export(mg_estimator *e, const char *path)
{
    int rc;

    if ((rc = fill_training(e)) < 0)
        return rc;
    return mg_model_save(e->model, path);
}

/* ---- checkpoints ---- */

static json_t *rng_json(const mg_rng *r)
{
    json_t *a = json_array();
    char hex[17];

    for (int i = 0; a && i < 4; i++) {
        snprintf(hex, sizeof hex, "%016" PRIx64, r->s[i]);
        json_array_append_new(a, json_string(hex));
    }
    return a;
}

static json_t *checkpoint_json(const mg_estimator *e)
{
    json_t *c = json_object(), *opt = json_object();
    size_t n;
    const double *st = mg_optimizer_state(e->opt, &n);

    if (!c || !opt)
        goto fail;
    if (set(opt, "kind", json_string(mg_optim_kind_name(e->opts.optim.kind))) < 0 ||
        set(opt, "steps", json_integer((json_int_t)mg_optimizer_steps(e->opt))) < 0 ||
        set(opt, "state", curve_json(st, n)) < 0)
        goto fail;
    if (set(c, "step", json_integer((json_int_t)e->step)) < 0 ||
        set(c, "epoch", json_integer((json_int_t)e->epoch)) < 0 ||
        set(c, "epoch_step", json_integer((json_int_t)e->epoch_step)) < 0 ||
        set(c, "epoch_rows", json_integer((json_int_t)e->epoch_rows)) < 0 ||
        set(c, "epoch_loss_sum", json_real(e->epoch_loss_sum)) < 0 ||
        set(c, "batch_order", rng_json(&e->epoch_start)) < 0 ||
        set(c, "optimizer", opt) < 0)
        goto fail_c;
    return c;
fail:
    json_decref(opt);
fail_c:
    json_decref(c);
    mg_error_set(MG_ENOMEM, "estimator: no memory for a checkpoint");
    return NULL;
}

int mg_estimator_checkpoint(mg_estimator *e, const char *path)
{
    json_t *doc = NULL, *ck;
    int rc;

    if ((rc = fill_training(e)) < 0)
        return rc;
    if (!(doc = mg_model_to_json(e->model)))
        return mg_error_code();
    if (!(ck = checkpoint_json(e)) || json_object_set_new(doc, "checkpoint", ck) < 0) {
        rc = mg_error_code() ? mg_error_code() : MG_ENOMEM;
        goto done;
    }
    rc = model_write_json(doc, path);
done:
    json_decref(doc);
    return rc;
}

/* Steps of the ckpt-<step>.mgm files in dir, newest first. */
static int list_checkpoints(size_t **steps, size_t *n, const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0, *v = NULL, *t;

    *steps = NULL;
    *n = 0;
    if (!d)
        return errno == ENOENT ? MG_OK : mg_error_set_errno(MG_EIO, errno, "model dir %s", dir);
    while ((de = readdir(d))) {
        unsigned long long s;
        int used = 0;
        if (sscanf(de->d_name, "ckpt-%llu.mgm%n", &s, &used) != 1 || de->d_name[used] != '\0')
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            if (!(t = realloc(v, cap * sizeof *v))) {
                free(v);
                closedir(d);
                return mg_error_set(MG_ENOMEM, "estimator: no memory");
            }
            v = t;
        }
        v[(*n)++] = (size_t)s;
    }
    closedir(d);
    for (size_t i = 1; i < *n; i++) /* insertion sort, newest first; dirs hold few */
        for (size_t j = i; j > 0 && v[j] > v[j - 1]; j--) {
            size_t x = v[j];
            v[j] = v[j - 1];
            v[j - 1] = x;
        }
    *steps = v;
    return MG_OK;
}

static int checkpoint_path(mg_buf *b, const char *dir, size_t step)
{
    mg_buf_clear(b);
    return mg_buf_printf(b, "%s/ckpt-%zu.mgm", dir, step);
}

int estimator_checkpoint_rotate(mg_estimator *e, const char *dir, size_t keep)
{
    mg_buf path = MG_BUF_INIT;
    size_t *steps = NULL, n;
    int rc;

    if (e->have_ckpt && e->ckpt_step == e->step && dir == e->config.model_dir)
        return MG_OK;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return mg_error_set_errno(MG_EIO, errno, "checkpoint dir %s", dir);
    if ((rc = checkpoint_path(&path, dir, e->step)) < 0 ||
        (rc = mg_estimator_checkpoint(e, path.ptr)) < 0)
        goto done;
    if (dir == e->config.model_dir) {
        e->have_ckpt = 1;
        e->ckpt_step = e->step;
    }
    if (keep == 0 || (rc = list_checkpoints(&steps, &n, dir)) < 0)
        goto done;
    for (size_t i = keep; i < n; i++) {
        if ((rc = checkpoint_path(&path, dir, steps[i])) < 0)
            goto done;
        if (remove(path.ptr) != 0 && errno != ENOENT) {
            rc = mg_error_set_errno(MG_EIO, errno, "%s", path.ptr);
            goto done;
        }
    }
done:
    free(steps);
    mg_buf_free(&path);
    return rc;
}

/* ---- restore ---- */

static int bad(const char *where, const char *field)
{
    return mg_error_set(MG_EPARSE, "%s: field 'checkpoint.%s': missing or malformed", where,
                        field);
}

static int get_count(size_t *out, const json_t *c, const char *key, const char *where)
{
    const json_t *v = json_object_get(c, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(where, key);
    *out = (size_t)json_integer_value(v);
    return MG_OK;
}

static int same_shape(const mg_model *a, const mg_model *b)
{
    if (a->nlayers != b->nlayers || a->head != b->head || a->nparams != b->nparams)
        return 0;
    for (size_t l = 0; l <= a->nlayers; l++)
        if (a->sizes[l] != b->sizes[l])
            return 0;
    return 1;
}

static int restore_rng(mg_rng *r, const json_t *a, const char *where)
{
    if (!json_is_array(a) || json_array_size(a) != 4)
        return bad(where, "batch_order");
    for (size_t i = 0; i < 4; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        char *end;
        if (!s || strlen(s) != 16)
            return bad(where, "batch_order");
        r->s[i] = strtoull(s, &end, 16);
        if (*end)
            return bad(where, "batch_order");
    }
    return MG_OK;
}

/* Curves from the model's "curves" object (null = NaN). */
static int restore_curves(mg_estimator *e, const mg_model *m, const char *where)
{
    const json_t *c = mg_model_curves_const(m);
    const json_t *tr = json_object_get(c, "train_loss"), *ev = json_object_get(c, "eval_loss");
    size_t n = json_array_size(tr);

    if (!json_is_array(tr) || !json_is_array(ev) || json_array_size(ev) != n)
        return mg_error_set(MG_EPARSE, "%s: field 'curves': expected train_loss and eval_loss"
                                       " of equal length", where);
    free(e->train_curve);
    free(e->eval_curve);
    e->train_curve = malloc((n + 1) * sizeof *e->train_curve);
    e->eval_curve = malloc((n + 1) * sizeof *e->eval_curve);
    if (!e->train_curve || !e->eval_curve)
        return mg_error_set(MG_ENOMEM, "estimator: no memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *a = json_array_get(tr, i), *b = json_array_get(ev, i);
        e->train_curve[i] = json_is_number(a) ? json_number_value(a) : NAN;
        e->eval_curve[i] = json_is_number(b) ? json_number_value(b) : NAN;
    }
    e->ncurve = n;
    e->train_loss_last = n ? e->train_curve[n - 1] : NAN;
    e->eval_loss_last = n ? e->eval_curve[n - 1] : NAN;
    return MG_OK;
}

static int restore_optimizer(mg_estimator *e, const json_t *o, const char *where)
{
    const json_t *st = json_object_get(o, "state");
    const char *kind = json_string_value(json_object_get(o, "kind"));
    size_t steps, n = json_array_size(st);
    double *v;
    int rc;

    if (!kind || strcmp(kind, mg_optim_kind_name(e->opts.optim.kind)) != 0)
        return mg_error_set(MG_EPARSE, "%s: field 'checkpoint.optimizer.kind': the checkpoint"
                                       " is for another optimizer", where);
    if ((rc = get_count(&steps, o, "steps", where)) < 0)
        return rc;
    if (!json_is_array(st) || !(v = malloc((n + 1) * sizeof *v)))
        return json_is_array(st) ? mg_error_set(MG_ENOMEM, "estimator: no memory")
                                 : bad(where, "optimizer.state");
    for (size_t i = 0; i < n; i++) {
        const json_t *x = json_array_get(st, i);
        if (!json_is_number(x)) {
            free(v);
            return bad(where, "optimizer.state");
        }
        v[i] = json_number_value(x);
    }
    rc = mg_optimizer_restore(e->opt, steps, v, n);
    free(v);
    return rc < 0 ? mg_error_set(MG_EPARSE, "%s: field 'checkpoint.optimizer.state': %s", where,
                                 mg_error_last())
                  : MG_OK;
}

static int restore_doc(mg_estimator *e, const json_t *doc, const char *where)
{
    const json_t *c = json_object_get(doc, "checkpoint"), *els;
    mg_model *m = NULL;
    int rc;

    if (!json_is_object(c))
        return mg_error_set(MG_EPARSE, "%s: field 'checkpoint': not a checkpoint", where);
    if ((rc = mg_model_from_json(&m, doc, where)) < 0)
        return rc;
    if (!same_shape(m, e->model)) {
        rc = mg_error_set(MG_EPARSE, "%s: the checkpoint's model has another shape", where);
        goto done;
    }
    els = json_object_get(c, "epoch_loss_sum");
    if ((rc = get_count(&e->step, c, "step", where)) < 0 ||
        (rc = get_count(&e->epoch, c, "epoch", where)) < 0 ||
        (rc = get_count(&e->epoch_step, c, "epoch_step", where)) < 0 ||
        (rc = get_count(&e->epoch_rows, c, "epoch_rows", where)) < 0 ||
        (rc = restore_rng(&e->epoch_start, json_object_get(c, "batch_order"), where)) < 0 ||
        (rc = restore_optimizer(e, json_object_get(c, "optimizer"), where)) < 0 ||
        (rc = restore_curves(e, m, where)) < 0)
        goto done;
    if (!json_is_number(els)) {
        rc = bad(where, "epoch_loss_sum");
        goto done;
    }
    e->epoch_loss_sum = json_number_value(els);
    memcpy(e->model->params, m->params, m->nparams * sizeof *m->params);
    e->order = e->epoch_start;
    e->perm_ok = 0;
    e->have_ckpt = 1;
    e->ckpt_step = e->step;
done:
    mg_model_free(m);
    return rc;
}

int mg_estimator_restore(mg_estimator *e, const char *path)
{
    json_t *doc;
    int rc;

    if ((rc = model_read_json(&doc, path)) == MG_OK)
        rc = restore_doc(e, doc, path);
    json_decref(doc);
    return rc;
}

int mg_estimator_restore_latest(mg_estimator *e)
{
    mg_buf path = MG_BUF_INIT;
    size_t *steps = NULL, n = 0;
    int rc;

    if (!e->config.model_dir)
        return 0;
    if ((rc = list_checkpoints(&steps, &n, e->config.model_dir)) < 0 || n == 0)
        goto done;
    if ((rc = checkpoint_path(&path, e->config.model_dir, steps[0])) < 0 ||
        (rc = mg_estimator_restore(e, path.ptr)) < 0)
        goto done;
    rc = 1;
done:
    free(steps);
    mg_buf_free(&path);
    return rc;
}
