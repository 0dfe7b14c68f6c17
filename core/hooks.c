/* hooks.c - the estimator's stock hooks: logging, early stopping, checkpoints, best export, progress. */
#include "estimator_impl.h"
#include "mg_error.h"
#include "mg_log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mg_hook_free(mg_hook *h)
{
    if (!h)
        return;
    if (h->free)
        h->free(h->ud);
    memset(h, 0, sizeof *h);
}

static int new_state(mg_hook *out, size_t size, void **state)
{
    memset(out, 0, sizeof *out);
    if (!(*state = calloc(1, size)))
        return mg_error_set(MG_ENOMEM, "hook: no memory");
    out->ud = *state;
    out->free = free;
    return MG_OK;
}

/* ---- logging ---- */

typedef struct logging {
    size_t every;
} logging;

static int logging_step(void *ud, mg_estimator *e, const mg_train_state *s)
{
    const logging *l = ud;
    (void)e;
    if (s->step % l->every == 0)
        mg_log_info("step %zu (epoch %zu): batch loss %.6g, lr %.6g", s->step, s->epoch + 1,
                    s->loss, s->lr);
    return MG_OK;
}

static int logging_eval(void *ud, mg_estimator *e, const mg_train_state *s)
{
    (void)ud;
    (void)e;
    mg_log_info("epoch %zu: train loss %.6g, eval loss %.6g", s->epoch, s->train_loss,
                s->eval_loss);
    return MG_OK;
}

int mg_hook_logging(mg_hook *out, size_t every)
{
    logging *l;
    int rc;

    if ((rc = new_state(out, sizeof *l, (void **)&l)) < 0)
        return rc;
    l->every = every ? every : 100;
    out->after_step = logging_step;
    out->after_eval = logging_eval;
    return MG_OK;
}

/* ---- metric watching (early stopping, best exporter) ---- */

typedef struct watch {
    char metric[32];
    int higher;
    double best;
    size_t since; /* evaluations since the best */
    size_t patience;
    size_t best_step, patience_steps; /* mg_hook_early_stopping_steps */
    char *path; /* best exporter */
} watch;

static void watch_free(void *ud)
{
    watch *w = ud;
    if (w)
        free(w->path);
    free(w);
}

/* The watched value at this evaluation, or NaN when there is none yet. */
static double watched(const watch *w, const mg_train_state *s)
{
    double v;

    if (strcmp(w->metric, "loss") == 0)
        return s->eval ? s->eval_loss : s->train_loss;
    if (s->eval && mg_metrics_get(&v, s->eval, w->metric) == MG_OK)
        return v;
    mg_error_clear();
    return NAN;
}

/* 1 when this evaluation is a new best. */
static int watch_update(watch *w, const mg_train_state *s)
{
    double v = watched(w, s);

    if (isnan(v))
        return 0;
    if (isnan(w->best) || (w->higher ? v > w->best : v < w->best)) {
        w->best = v;
        w->since = 0;
        w->best_step = s->step;
        return 1;
    }
    w->since++;
    return 0;
}

static int watch_new(mg_hook *out, watch **w, const char *metric)
{
    int rc;

    if (!metric || !*metric || strlen(metric) >= sizeof((watch *)0)->metric)
        return mg_error_set(MG_EINVAL, "hook: a metric name is needed");
    if ((rc = new_state(out, sizeof **w, (void **)w)) < 0)
        return rc;
    strcpy((*w)->metric, metric);
    (*w)->higher = mg_metrics_higher_is_better(metric);
    (*w)->best = NAN;
    out->free = watch_free;
    return MG_OK;
}

static int early_eval(void *ud, mg_estimator *e, const mg_train_state *s)
{
    watch *w = ud;
    (void)e;
    watch_update(w, s);
    if (w->since >= w->patience) {
        mg_log_info("early stopping at epoch %zu: %s has not improved on %.6g for %zu epochs",
                    s->epoch, w->metric, w->best, w->since);
        return 1;
    }
    return MG_OK;
}

int mg_hook_early_stopping(mg_hook *out, const char *metric, size_t patience)
{
    watch *w;
    int rc;

    if (patience == 0)
        return mg_error_set(MG_EINVAL, "early stopping: patience must be at least 1");
    if ((rc = watch_new(out, &w, metric)) < 0)
        return rc;
    w->patience = patience;
    out->after_eval = early_eval;
    return MG_OK;
}

static int early_steps_eval(void *ud, mg_estimator *e, const mg_train_state *s)
{
    watch *w = ud;
    (void)e;
    watch_update(w, s);
    if (!isnan(w->best) && s->step - w->best_step >= w->patience_steps) {
        mg_log_info("early stopping at step %zu: %s has not improved on %.6g since step %zu",
                    s->step, w->metric, w->best, w->best_step);
        return 1;
    }
    return MG_OK;
}

int mg_hook_early_stopping_steps(mg_hook *out, const char *metric, size_t steps)
{
    watch *w;
    int rc;

    if (steps == 0)
        return mg_error_set(MG_EINVAL, "early stopping: steps must be at least 1");
    if ((rc = watch_new(out, &w, metric)) < 0)
        return rc;
    w->patience_steps = steps;
    out->after_eval = early_steps_eval;
    return MG_OK;
}

static int best_eval(void *ud, mg_estimator *e, const mg_train_state *s)
{
    watch *w = ud;
    if (watch_update(w, s))
        return mg_estimator_export(e, w->path);
    return MG_OK;
}

int mg_hook_best_exporter(mg_hook *out, const char *path, const char *metric)
{
    watch *w;
    int rc;

    if ((rc = watch_new(out, &w, metric)) < 0)
        return rc;
    if (!(w->path = strdup(path))) {
        mg_hook_free(out);
        return mg_error_set(MG_ENOMEM, "hook: no memory");
    }
    out->after_eval = best_eval;
    return MG_OK;
}

/* ---- checkpoint saver ---- */

typedef struct saver {
    size_t every, keep;
    char *dir;
} saver;

static void saver_free(void *ud)
{
    saver *s = ud;
    if (s)
        free(s->dir);
    free(s);
}

static int saver_step(void *ud, mg_estimator *e, const mg_train_state *s)
{
    saver *sv = ud;
    if (s->step % sv->every == 0)
        return estimator_checkpoint_rotate(e, sv->dir, sv->keep);
    return MG_OK;
}

static int saver_end(void *ud, mg_estimator *e, const mg_train_state *s)
{
    saver *sv = ud;
    (void)s;
    return estimator_checkpoint_rotate(e, sv->dir, sv->keep);
}

int mg_hook_checkpoint_saver(mg_hook *out, const char *dir, size_t every, size_t keep)
{
    saver *s;
    int rc;

    if (every == 0)
        return mg_error_set(MG_EINVAL, "checkpoint saver: every must be at least 1 step");
    if ((rc = new_state(out, sizeof *s, (void **)&s)) < 0)
        return rc;
    out->free = saver_free;
    if (!(s->dir = strdup(dir))) {
        mg_hook_free(out);
        return mg_error_set(MG_ENOMEM, "hook: no memory");
    }
    s->every = every;
    s->keep = keep;
    out->after_step = saver_step;
    out->end = saver_end;
    return MG_OK;
}

/* ---- progress ---- */

typedef struct progress {
    mg_progress_fn fn;
    void *ud;
} progress;

static int progress_step(void *ud, mg_estimator *e, const mg_train_state *s)
{
    progress *p = ud;
    int cancel = 0;
    double f = s->total_steps ? (double)s->step / (double)s->total_steps : 1.0;

    (void)e;
    p->fn(p->ud, f > 1.0 ? 1.0 : f, &cancel);
    if (cancel)
        return mg_error_set(MG_ECANCELED, "training canceled at step %zu", s->step);
    return MG_OK;
}

int mg_hook_progress(mg_hook *out, mg_progress_fn fn, void *ud)
{
    progress *p;
    int rc;

    if (!fn)
        return mg_error_set(MG_EINVAL, "progress hook: no callback");
    if ((rc = new_state(out, sizeof *p, (void **)&p)) < 0)
        return rc;
    p->fn = fn;
    p->ud = ud;
    out->after_step = progress_step;
    return MG_OK;
}
