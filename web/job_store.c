/* job_store.c - one JSON file per job under DIR/jobs, written atomically; restart recovery. */
#define _POSIX_C_SOURCE 200809L
#include "job_store.h"

#include "mg_buf.h"
#include "mg_error.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static void job_path(char *out, size_t size, const char *dir, int64_t id)
{
    snprintf(out, size, "%s/jobs/%lld.json", dir, (long long)id);
}

int web_job_store_put(const char *dir, const json_t *snap)
{
    char path[4096];
    char *text = json_dumps(snap, JSON_COMPACT | JSON_SORT_KEYS);
    int rc;

    if (!text)
        return mg_error_set(MG_ENOMEM, "out of memory");
    job_path(path, sizeof path, dir, (int64_t)json_integer_value(json_object_get(snap, "id")));
    rc = mg_file_write_atomic(path, text, strlen(text), 0600);
    free(text);
    return rc;
}

int web_job_store_get(json_t **out, const char *dir, int64_t id)
{
    char path[4096];
    json_error_t jerr;

    *out = NULL;
    job_path(path, sizeof path, dir, id);
    if (!(*out = json_load_file(path, 0, &jerr))) {
        struct stat st;
        if (stat(path, &st) != 0)
            return mg_error_set(MG_ENOTFOUND, "no job %lld", (long long)id);
        return mg_error_set(MG_EPARSE, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    }
    return MG_OK;
}

/* Mark one unfinished job failed. */
static int interrupt(const char *dir, json_t *job)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(job, "state", json_string("failed"));
    json_object_set_new(job, "finished", json_string(now));
    json_object_set_new(job, "error",
                        json_string("interrupted: the server stopped before the job finished"));
    return web_job_store_put(dir, job);
}

int web_job_store_recover(int64_t *last_id, unsigned *interrupted, const char *dir,
                          void (*on_interrupted)(void *ud, const json_t *job), void *ud)
{
    char path[4096];
    DIR *d;
    struct dirent *e;
    int rc = MG_OK;

    *last_id = 0;
    *interrupted = 0;
    snprintf(path, sizeof path, "%s/jobs", dir);
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return mg_error_set_errno(MG_EIO, errno, "%s", path);
    if (!(d = opendir(path)))
        return mg_error_set_errno(MG_EIO, errno, "%s", path);
    while (rc == MG_OK && (e = readdir(d))) {
        char *end;
        long long id = strtoll(e->d_name, &end, 10);
        json_t *job;
        const char *state;

        if (id <= 0 || strcmp(end, ".json") != 0)
            continue;
        if (id > *last_id)
            *last_id = id;
        if (web_job_store_get(&job, dir, id) < 0) {
            mg_error_clear(); /* a damaged file stays as it is; GET names it */
            continue;
        }
        state = json_string_value(json_object_get(job, "state"));
        if (state && (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0)) {
            rc = interrupt(dir, job);
            ++*interrupted;
            if (rc == MG_OK && on_interrupted)
                on_interrupted(ud, job);
        }
        json_decref(job);
    }
    closedir(d);
    return rc;
}
