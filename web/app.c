/* app.c - the application behind the routes: opened at start, closed at shutdown. */
#include "app.h"
#include "auth.h"
#include "job_store.h"
#include "model_cache.h"
#include "reply_cache.h"
#include "token_cache.h"
#include "request.h"

#include "mg_error.h"
#include "mg_log.h"
#include "mg_sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every job state change is written to DIR/jobs, so a restart knows what it interrupted. */
static void persist_job(void *ud, const json_t *snapshot)
{
    mg_server *s = ud;
    const char *state = json_string_value(json_object_get(snapshot, "state"));

    if (web_job_store_put(s->store_dir, snapshot) < 0)
        mg_log_error("jobs: %s", mg_error_last());
    if (state && strcmp(state, "queued") == 0)
        web_events_publish(s->app->events, "job.queued", snapshot);
    else if (state && strcmp(state, "running") != 0)
        web_events_publish(s->app->events, "job.finished", snapshot);
}

/*
 * A training job cut off by a crash left its governance run "running":
 * close it as failed, in the name of the job's submitter.
 */
static void close_run(void *ud, const json_t *job)
{
    mg_server *s = ud;
    json_t *run = json_object_get(json_object_get(job, "detail"), "run_id");
    mg_gov_run_result fin = {0};
    mg_gov_result res;
    mg_actor by;

    if (!json_is_integer(run))
        return;
    memset(&by, 0, sizeof by);
    snprintf(by.name, sizeof by.name, "%s", web_json_str(job, "actor", MG_ACTOR_LOCAL));
    by.role = MG_ROLE_SUBMITTER;
    fin.failed = 1;
    if (mg_gov_run_finish(&res, s->app->store, &by, (int64_t)json_integer_value(run), &fin) < 0) {
        mg_log_warn("job %lld: closing run %lld: %s",
                    (long long)json_integer_value(json_object_get(job, "id")),
                    (long long)json_integer_value(run), mg_error_last());
        mg_error_clear();
    }
}

int web_app_open(mg_server *s)
{
    web_events_options eo = {0};
    int64_t last_job;
    unsigned interrupted;
    int rc;

    if (!(s->app = calloc(1, sizeof *s->app)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    s->app->started = time(NULL);
    if ((rc = web_store_stamp_init(&s->app->stamp, s->store_dir)) < 0)
        return rc;
    s->app->stamp_ready = 1;
    if ((rc = mg_store_open(&s->app->store, s->store_dir)) < 0 ||
        (rc = web_model_cache_create(&s->app->models, 16)) < 0 ||
        (rc = web_reply_cache_create(&s->app->replies, 1024)) < 0 ||
        (rc = web_token_cache_create(&s->app->tokens, 256)) < 0)
        return rc;
    if (!(s->app->openapi = mg_web_openapi_text()))
        return MG_ENOMEM;
    eo.allow_any_host = s->opt.webhook_allow_any;
    if (!(s->app->hooks_file = web_strdupf("%s/webhooks.json", s->store_dir)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    eo.hooks_file = s->app->hooks_file;
    eo.retry_base_ms = s->opt.webhook_retry_ms;
    if ((rc = web_events_create(&s->app->events, &eo)) < 0)
        return rc;
    if ((rc = web_job_store_recover(&last_job, &interrupted, s->store_dir, close_run, s)) < 0)
        return rc;
    if (interrupted)
        mg_log_warn("%u job(s) interrupted by the last stop are now marked failed", interrupted);
    if ((rc = web_jobs_create(&s->app->jobs, s->opt.job_workers, s->opt.job_queue, last_job + 1,
                              persist_job, s)) < 0)
        return rc;
    return MG_OK;
}

void web_app_quiesce(mg_server *s)
{
    if (s && s->app)
        web_events_close_streams(s->app->events);
}

void web_app_close(mg_server *s)
{
    if (!s || !s->app)
        return;
    web_jobs_free(s->app->jobs, "server shut down");
    web_events_free(s->app->events);
    mg_store_close(s->app->store);
    web_model_cache_free(s->app->models);
    web_reply_cache_free(s->app->replies);
    web_token_cache_free(s->app->tokens);
    if (s->app->stamp_ready)
        web_store_stamp_free(&s->app->stamp);
    free(s->app->openapi);
    free(s->app->hooks_file);
    free(s->app);
    s->app = NULL;
}

int web_app_token_lookup(web_principal *who, mg_server *s, const char *token, int have_stamp,
                         uint64_t stamp)
{
    unsigned char digest[MG_SHA256_LEN];
    int rc, cached = 0;

    if (have_stamp && mg_sha256_digest(digest, token, strlen(token)) == MG_OK)
        cached = web_token_cache_get(&who->actor, s->app->tokens, digest, stamp);
    if (!cached) {
        if ((rc = mg_gov_token_authenticate(&who->actor, s->app->store, token)) < 0)
            return rc == MG_EAUTH ? rc
                                  : mg_error_set(rc, "checking the token: %s", mg_error_last());
        if (have_stamp)
            web_token_cache_put(s->app->tokens, digest, stamp, &who->actor);
    }
    who->name = who->actor.name;
    who->role = (mg_web_role)who->actor.role; /* the same numbers by design */
    return MG_OK;
}

void web_publish(mg_server *s, const char *type, json_t *data)
{
    if (data)
        web_events_publish(s->app->events, type, data);
    json_decref(data);
}

int web_app_job_get(json_t **out, mg_server *s, int64_t id)
{
    if (web_jobs_get(out, s->app->jobs, id) == MG_OK)
        return MG_OK;
    return web_job_store_get(out, s->store_dir, id); /* older, or from before a restart */
}

int web_app_metrics_write(mg_buf *b, mg_server *s)
{
    unsigned long counts[WEB_JOB_NSTATES], pub, ok, bad, subs;
    uint64_t log_size = 0;
    int rc;

    web_jobs_counts(s->app->jobs, counts);
    rc = mg_buf_puts(b, "# HELP modelgov_jobs Background jobs in memory by state.\n"
                        "# TYPE modelgov_jobs gauge\n");
    for (int i = 0; rc == 0 && i < WEB_JOB_NSTATES; i++)
        rc = mg_buf_printf(b, "modelgov_jobs{state=\"%s\"} %lu\n",
                           web_job_state_name((web_job_state)i), counts[i]);
    web_events_stats(s->app->events, &pub, &ok, &bad, &subs);
    if (rc == 0 && mg_gov_log_size(&log_size, s->app->store) == MG_OK)
        rc = mg_buf_printf(b,
                           "# HELP modelgov_log_entries Entries in the signed log.\n"
                           "# TYPE modelgov_log_entries gauge\nmodelgov_log_entries %llu\n",
                           (unsigned long long)log_size);
    if (rc == 0)
        rc = mg_buf_printf(
            b,
            "# HELP modelgov_events_published_total Governance events published.\n"
            "# TYPE modelgov_events_published_total counter\n"
            "modelgov_events_published_total %lu\n"
            "# HELP modelgov_webhook_deliveries_total Webhook deliveries by outcome.\n"
            "# TYPE modelgov_webhook_deliveries_total counter\n"
            "modelgov_webhook_deliveries_total{outcome=\"succeeded\"} %lu\n"
            "modelgov_webhook_deliveries_total{outcome=\"failed\"} %lu\n"
            "# HELP modelgov_event_streams Open Server-Sent Events streams.\n"
            "# TYPE modelgov_event_streams gauge\nmodelgov_event_streams %lu\n"
            "# HELP modelgov_uptime_seconds Seconds since the server started.\n"
            "# TYPE modelgov_uptime_seconds gauge\nmodelgov_uptime_seconds %ld\n",
            pub, ok, bad, subs, (long)(time(NULL) - s->app->started));
    return rc;
}
