/* test_governance_crash.c - SIGKILL in the middle of appends: every acknowledged entry survives. */
#include "mg_governance.h"
#include "testutil.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define KILL_AFTER 300 /* acknowledged appends before the kill */

/* What a writer tells the parent once an append has returned success. */
typedef struct ack {
    int32_t thread, seq;
    int64_t index;
} ack;

typedef struct writer {
    mg_store *s;
    int fd, thread;
} writer;

static void *append_forever(void *p)
{
    writer *w = p;
    mg_actor local;

    mg_actor_local(&local);
    for (int32_t seq = 0;; seq++) {
        char name[32], secret[MG_TOKEN_SECRET_MAX];
        mg_gov_result r;
        ack a;
        snprintf(name, sizeof name, "c%d-%d", w->thread, (int)seq);
        if (mg_gov_token_create(&r, secret, w->s, &local, name, MG_ROLE_VIEWER) != MG_OK)
            _exit(3);
        a.thread = w->thread;
        a.seq = seq;
        a.index = r.log_index;
        /* one write of less than PIPE_BUF bytes is atomic among the threads */
        if (write(w->fd, &a, sizeof a) != (ssize_t)sizeof a)
            _exit(4);
    }
    return NULL;
}

/* The child: THREADS writers appending to the store until killed. */
static void child(const char *dir, int fd)
{
    pthread_t th[THREADS];
    writer w[THREADS];
    mg_store *s = NULL;

    if (mg_store_open(&s, dir) != MG_OK)
        _exit(2);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (writer){s, fd, i};
        pthread_create(&th[i], NULL, append_forever, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    _exit(0);
}

START_TEST(test_governance_crash_sigkill_keeps_acknowledged)
{
    char *dir = tu_path("crash");
    ack *acks = NULL;
    size_t n = 0, cap = 0;
    mg_store *s = NULL;
    mg_gov_verify_summary sum;
    int fds[2], status;
    uint64_t size = 0;
    int64_t max_index = 0;
    pid_t pid;

    ck_assert_int_eq(mg_store_init(&s, dir), MG_OK);
    mg_store_close(s);
    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        child(dir, fds[1]);
    }
    close(fds[1]);
    for (;;) {
        ack a;
        ssize_t got = read(fds[0], &a, sizeof a);
        if (got == 0)
            break; /* every writer end closed: the child is gone */
        if (got < 0 && errno == EINTR)
            continue;
        ck_assert_int_eq(got, (ssize_t)sizeof a);
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            acks = realloc(acks, cap * sizeof *acks);
            ck_assert_ptr_nonnull(acks);
        }
        acks[n++] = a;
        if (n == KILL_AFTER)
            kill(pid, SIGKILL); /* mid-stream: other appends are in flight */
    }
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "the writer ended on its own (status %d) before the kill", status);
    ck_assert_uint_ge(n, KILL_AFTER);

    /* reopened (recovering the WAL), the whole log verifies ... */
    ck_assert_int_eq(mg_store_open(&s, dir), MG_OK);
    ck_assert_msg(mg_gov_verify_store(&sum, dir, 2, NULL) == MG_OK, "%s", mg_error_last());
    ck_assert_int_eq(mg_gov_log_size(&size, s), MG_OK);
    ck_assert_uint_eq(sum.entries, size);
    /* ... and holds every entry whose append returned success, with the right content */
    for (size_t i = 0; i < n; i++) {
        json_t *e = NULL, *subject;
        char want[32];
        ck_assert_msg(mg_gov_log_entry(&e, s, (uint64_t)acks[i].index) == MG_OK,
                      "acknowledged entry %lld is gone", (long long)acks[i].index);
        subject = json_object_get(json_object_get(e, "entry"), "subject");
        snprintf(want, sizeof want, "c%d-%d", (int)acks[i].thread, (int)acks[i].seq);
        ck_assert_str_eq(json_string_value(json_object_get(subject, "name")), want);
        if (acks[i].index > max_index)
            max_index = acks[i].index;
        json_decref(e);
    }
    ck_assert_uint_gt(size, (uint64_t)max_index);
    fprintf(stderr, "crash: %zu acknowledged appends, log of %llu entries after SIGKILL\n", n,
            (unsigned long long)size);
    /* and the store takes new changes */
    {
        char secret[MG_TOKEN_SECRET_MAX];
        mg_gov_result r;
        mg_actor local;
        mg_actor_local(&local);
        ck_assert_int_eq(mg_gov_token_create(&r, secret, s, &local, "after", MG_ROLE_VIEWER),
                         MG_OK);
        ck_assert_int_eq(r.log_index, (int64_t)size);
    }
    mg_store_close(s);
    ck_assert_int_eq(mg_gov_verify_store(&sum, dir, 2, NULL), MG_OK);
    free(acks);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("governance_crash");
    TCase *tc = tcase_create("crash");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_governance_crash_sigkill_keeps_acknowledged);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
