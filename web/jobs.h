/* jobs.h - a bounded pool of worker threads for training runs and reports (not public). */
#ifndef WEB_JOBS_H
#define WEB_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef enum web_job_state {
    WEB_JOB_QUEUED = 0,
    WEB_JOB_RUNNING,
    WEB_JOB_SUCCEEDED,
    WEB_JOB_FAILED,
    WEB_JOB_CANCELLED,
    WEB_JOB_NSTATES
} web_job_state;

/* "queued", "running", ... */
const char *web_job_state_name(web_job_state s);

typedef struct web_job web_job;
typedef struct web_jobs web_jobs;

/*
 * The work of a job, run on a worker thread (never an HTTP thread). Returns
 * MG_OK with *result (a JSON object, owned by the pool) and *link (a URL of
 * what it made, malloc'd, may stay NULL), or a negative MG_E* with the
 * message in the error slot; MG_ECANCELED when it stopped because
 * web_job_cancelled() said so. `ud` was given to web_jobs_submit().
 */
typedef int (*web_job_fn)(web_job *job, void *ud, json_t **result, char **link);

/*
 * Called (under no lock) after every state change, so the store can keep a
 * durable copy: `snapshot` is the job as GET /jobs/{id} shows it.
 */
typedef void (*web_job_persist_fn)(void *ud, const json_t *snapshot);

/*
 * Start `workers` threads; at most `max_queued` jobs may wait. `first_id` is
 * the id of the first job submitted (ids grow by one; a restart continues
 * after the store's last). Errors: MG_ENOMEM, MG_ERROR (thread creation).
 */
int web_jobs_create(web_jobs **out, unsigned workers, unsigned max_queued, int64_t first_id,
                    web_job_persist_fn persist, void *persist_ud);

/*
 * Queue a job of `kind` ("train", "report", ...) about `subject` (borrowed;
 * copied). `free_ud` (may be NULL) releases `ud` once the job is over.
 * On success *id is its id. Errors: MG_ECONFLICT (queue full: retry later),
 * MG_ECANCELED (shutting down), MG_ENOMEM. On error `ud` is freed.
 */
int web_jobs_submit(int64_t *id, web_jobs *jobs, const char *kind, const char *actor,
                    const json_t *subject, web_job_fn fn, void *ud, void (*free_ud)(void *));

/* Snapshot of job `id` (new reference). Errors: MG_ENOTFOUND. */
int web_jobs_get(json_t **out, web_jobs *jobs, int64_t id);

/*
 * Ask job `id` to stop: a queued job is cancelled at once, a running one at
 * its next web_job_cancelled() check. Errors: MG_ENOTFOUND, MG_ECONFLICT
 * (already finished, naming its state).
 */
int web_jobs_cancel(web_jobs *jobs, int64_t id);

/* Count of jobs in each state (for /metrics). */
void web_jobs_counts(web_jobs *jobs, unsigned long counts[WEB_JOB_NSTATES]);

/*
 * Stop: queued jobs and running ones are cancelled and recorded as failed
 * with `reason`; waits for the workers, then frees. NULL is a no-op.
 */
void web_jobs_free(web_jobs *jobs, const char *reason);

/* For job functions: report progress in [0, 1] (clamped; never goes back). */
void web_job_progress(web_job *job, double fraction);

/* For job functions: 1 when cancellation was asked for. */
int web_job_cancelled(const web_job *job);

/*
 * For job functions: record `value` (stolen) as detail[key] of the job, kept
 * durably at once (e.g. the governance run a training job opened, so that a
 * restart can close it). Errors: MG_ENOMEM.
 */
int web_job_set_detail(web_job *job, const char *key, json_t *value);

/* For job functions: the job's id and its submitter's name. */
int64_t web_job_id(const web_job *job);
const char *web_job_actor(const web_job *job);

#endif
