/* job_store.h - jobs kept durably as DIR/jobs/<id>.json beside the store (not public). */
#ifndef WEB_JOB_STORE_H
#define WEB_JOB_STORE_H

#include <stdint.h>

#include <jansson.h>

/*
 * Make DIR/jobs, and mark every job a previous run left queued or running as
 * failed, "interrupted: the server stopped before the job finished" (nothing
 * silently lost). *last_id gets the largest id seen (0 for none), so new ids
 * continue after it; *interrupted how many were marked. `on_interrupted`
 * (may be NULL) sees each one, to undo what the job had begun.
 * Errors: MG_EIO naming the folder or file.
 */
int web_job_store_recover(int64_t *last_id, unsigned *interrupted, const char *store_dir,
                          void (*on_interrupted)(void *ud, const json_t *job), void *ud);

/* Write a job snapshot (its "id" names the file), atomically. Errors: MG_EIO, MG_ENOMEM. */
int web_job_store_put(const char *store_dir, const json_t *snapshot);

/* Read job `id`. Errors: MG_ENOTFOUND ("no job N"), MG_EPARSE (damaged file), MG_EIO. */
int web_job_store_get(json_t **out, const char *store_dir, int64_t id);

#endif
