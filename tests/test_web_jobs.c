/* test_web_jobs.c - the job pool: order, progress, cancel, failure, queue bound, shutdown. */
#define _POSIX_C_SOURCE 200809L
#include "mg_core.h"
#include "job_store.h"
#include "jobs.h"
#include "testutil.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A job that waits for `go` (or cancellation), reporting progress in quarters. */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int go;
    int started;
} gate;

static gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

static int gated(web_job *job, void *ud, json_t **result, char **link)
{
    (void)ud;
    pthread_mutex_lock(&g.lock);
    g.started++;
    pthread_cond_broadcast(&g.cond);
    while (!g.go && !web_job_cancelled(job)) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 10000000;
        if (t.tv_nsec >= 1000000000) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&g.cond, &g.lock, &t);
    }
    pthread_mutex_unlock(&g.lock);
    if (web_job_cancelled(job))
        return mg_error_set(MG_ECANCELED, "stopped");
    for (int i = 1; i <= 4; i++)
        web_job_progress(job, i / 4.0);
    *result = json_pack("{s:i}", "answer", 42);
    *link = strdup("/api/v1/models/m/versions/1");
    return MG_OK;
}

static int failing(web_job *job, void *ud, json_t **result, char **link)
{
    (void)job;
    (void)ud;
    (void)result;
    (void)link;
    return mg_error_set(MG_EINVAL, "column 'x' not in the data set");
}

static void wait_started(int n)
{
    pthread_mutex_lock(&g.lock);
    while (g.started < n)
        pthread_cond_wait(&g.cond, &g.lock);
    pthread_mutex_unlock(&g.lock);
}

static void release(void)
{
    pthread_mutex_lock(&g.lock);
    g.go = 1;
    pthread_cond_broadcast(&g.cond);
    pthread_mutex_unlock(&g.lock);
}

static const char *state_of(web_jobs *p, int64_t id)
{
    static char state[32];
    json_t *j;
    ck_assert_int_eq(web_jobs_get(&j, p, id), MG_OK);
    snprintf(state, sizeof state, "%s", json_string_value(json_object_get(j, "state")));
    json_decref(j);
    return state;
}

static void wait_state(web_jobs *p, int64_t id, const char *want)
{
    for (int i = 0; i < 500 && strcmp(state_of(p, id), want) != 0; i++)
        usleep(10000);
    ck_assert_str_eq(state_of(p, id), want);
}

/* Persisted snapshots, to check that shutdown records what it interrupted. */
static json_t *persisted;
static pthread_mutex_t persisted_lock = PTHREAD_MUTEX_INITIALIZER;

static void persist(void *ud, const json_t *snap)
{
    (void)ud;
    pthread_mutex_lock(&persisted_lock);
    json_array_append_new(persisted, json_deep_copy(snap));
    pthread_mutex_unlock(&persisted_lock);
}

START_TEST(test_web_jobs_run_progress_result)
{
    web_jobs *p;
    int64_t id;
    json_t *j;

    g.go = 0;
    g.started = 0;
    ck_assert_int_eq(web_jobs_create(&p, 1, 4, 7, NULL, NULL), MG_OK);
    ck_assert_int_eq(web_jobs_submit(&id, p, "train", "alice", NULL, gated, NULL, NULL), MG_OK);
    ck_assert_int_eq(id, 7); /* ids continue from first_id */
    wait_started(1);
    ck_assert_str_eq(state_of(p, id), "running");
    release();
    wait_state(p, id, "succeeded");
    ck_assert_int_eq(web_jobs_get(&j, p, id), MG_OK);
    ck_assert_double_eq(json_real_value(json_object_get(j, "progress")), 1.0);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "result"), "answer")),
                     42);
    ck_assert_str_eq(json_string_value(json_object_get(j, "result_link")),
                     "/api/v1/models/m/versions/1");
    ck_assert_str_eq(json_string_value(json_object_get(j, "actor")), "alice");
    json_decref(j);
    ck_assert_int_eq(web_jobs_cancel(p, id), MG_ECONFLICT);
    ck_assert_ptr_nonnull(strstr(mg_error_last(), "already succeeded"));
    web_jobs_free(p, "test over");
}
END_TEST

START_TEST(test_web_jobs_cancel_queued_and_running)
{
    web_jobs *p;
    int64_t a, b;
    unsigned long counts[WEB_JOB_NSTATES];

    g.go = 0;
    g.started = 0;
    ck_assert_int_eq(web_jobs_create(&p, 1, 4, 1, NULL, NULL), MG_OK);
    ck_assert_int_eq(web_jobs_submit(&a, p, "train", "bob", NULL, gated, NULL, NULL), MG_OK);
    ck_assert_int_eq(web_jobs_submit(&b, p, "report", "bob", NULL, gated, NULL, NULL), MG_OK);
    wait_started(1);
    ck_assert_str_eq(state_of(p, b), "queued");
    web_jobs_counts(p, counts);
    ck_assert_uint_eq(counts[WEB_JOB_RUNNING], 1);
    ck_assert_uint_eq(counts[WEB_JOB_QUEUED], 1);
    ck_assert_int_eq(web_jobs_cancel(p, b), MG_OK);
    ck_assert_str_eq(state_of(p, b), "cancelled");
    ck_assert_int_eq(web_jobs_cancel(p, a), MG_OK);
    wait_state(p, a, "cancelled");
    ck_assert_int_eq(web_jobs_cancel(p, 99), MG_ENOTFOUND);
    web_jobs_free(p, "test over");
}
END_TEST

START_TEST(test_web_jobs_failure_message_and_bound)
{
    web_jobs *p;
    int64_t a, b, c;
    json_t *j;

    g.go = 0;
    g.started = 0;
    ck_assert_int_eq(web_jobs_create(&p, 1, 1, 1, NULL, NULL), MG_OK);
    ck_assert_int_eq(web_jobs_submit(&a, p, "train", "c", NULL, gated, NULL, NULL), MG_OK);
    wait_started(1);
    ck_assert_int_eq(web_jobs_submit(&b, p, "train", "c", NULL, failing, NULL, NULL), MG_OK);
    /* one waits already: the queue of 1 is full */
    ck_assert_int_eq(web_jobs_submit(&c, p, "train", "c", NULL, failing, NULL, NULL),
                     MG_ECONFLICT);
    release();
    wait_state(p, b, "failed");
    ck_assert_int_eq(web_jobs_get(&j, p, b), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")),
                     "column 'x' not in the data set");
    json_decref(j);
    web_jobs_free(p, "test over");
}
END_TEST

/* Shutdown with one job running and one waiting: both end up failed, with the reason. */
START_TEST(test_web_jobs_shutdown_records_interrupted)
{
    web_jobs *p;
    int64_t a, b;
    size_t i;
    json_t *s;
    int failed_a = 0, failed_b = 0;

    g.go = 0;
    g.started = 0;
    persisted = json_array();
    ck_assert_int_eq(web_jobs_create(&p, 1, 4, 1, persist, NULL), MG_OK);
    ck_assert_int_eq(web_jobs_submit(&a, p, "train", "d", NULL, gated, NULL, NULL), MG_OK);
    ck_assert_int_eq(web_jobs_submit(&b, p, "train", "d", NULL, gated, NULL, NULL), MG_OK);
    wait_started(1);
    web_jobs_free(p, "server shut down");
    json_array_foreach(persisted, i, s)
    {
        const char *state = json_string_value(json_object_get(s, "state"));
        const char *err = json_string_value(json_object_get(s, "error"));
        json_int_t id = json_integer_value(json_object_get(s, "id"));
        if (strcmp(state, "failed") != 0)
            continue;
        ck_assert_ptr_nonnull(strstr(err, "server shut down"));
        failed_a += id == a;
        failed_b += id == b;
    }
    ck_assert_int_eq(failed_a, 1);
    ck_assert_int_eq(failed_b, 1);
    json_decref(persisted);
}
END_TEST

/* A job file left "running" by a killed server is failed at the next start, with the reason. */
START_TEST(test_web_jobs_store_recovers_interrupted)
{
    const char *dir = tu_tmpdir();
    char *jobs = tu_path("jobs"), *f3, *f9;
    int64_t last;
    unsigned n;
    json_t *j;

    mkdir(jobs, 0700);
    f3 = tu_path("jobs/3.json");
    f9 = tu_path("jobs/9.json");
    tu_write(f3, "{\"id\":3,\"kind\":\"train\",\"state\":\"running\",\"progress\":0.4}");
    tu_write(f9, "{\"id\":9,\"kind\":\"report\",\"state\":\"succeeded\",\"progress\":1}");
    ck_assert_int_eq(web_job_store_recover(&last, &n, dir, NULL, NULL), MG_OK);
    ck_assert_int_eq(last, 9);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(web_job_store_get(&j, dir, 3), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "failed");
    ck_assert_str_eq(json_string_value(json_object_get(j, "error")),
                     "interrupted: the server stopped before the job finished");
    json_decref(j);
    ck_assert_int_eq(web_job_store_get(&j, dir, 9), MG_OK);
    ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "succeeded");
    json_decref(j);
    ck_assert_int_eq(web_job_store_get(&j, dir, 4), MG_ENOTFOUND);
    free(jobs);
    free(f3);
    free(f9);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("web_jobs");
    TCase *tc = tcase_create("jobs");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_web_jobs_run_progress_result);
    tcase_add_test(tc, test_web_jobs_cancel_queued_and_running);
    tcase_add_test(tc, test_web_jobs_failure_message_and_bound);
    tcase_add_test(tc, test_web_jobs_shutdown_records_interrupted);
    tcase_add_test(tc, test_web_jobs_store_recovers_interrupted);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
