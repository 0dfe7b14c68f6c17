/* testutil.c - shared test helpers: reference data, temp files, running the binary. */
#define _POSIX_C_SOURCE 200809L
#include "testutil.h"

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[256];          /* made in the parent, removed by it at exit */
static pid_t root_owner;
static char tmpdir[300];        /* this process's own folder under root */
static pid_t tmpdir_owner;

static void remove_root(void)
{
    char cmd[300];
    if (root[0] && getpid() == root_owner) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", root);
    }
}

/*
 * The root is made before main() runs, in the parent process. Check forks a
 * child per test; each child makes its own fresh folder under the root on
 * first use, and the parent removes the whole root when it exits, so no
 * test's folder is left behind.
 */
__attribute__((constructor)) static void make_root(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/mgtest.XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        root[0] = '\0';
        return;
    }
    root_owner = getpid();
    atexit(remove_root);
}

const char *tu_shared(const char *rel)
{
    static _Thread_local char path[1024];
    const char *dir = getenv("MG_SHARED_DIR");
    struct stat st;

    if (!dir)
        dir = "../shared";
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return stat(path, &st) == 0 ? path : NULL;
}

const char *tu_tmpdir(void)
{
    if (!tmpdir[0] || tmpdir_owner != getpid()) {
        ck_assert_msg(root[0], "no temporary root folder");
        snprintf(tmpdir, sizeof tmpdir, "%s/t.XXXXXX", root);
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
        tmpdir_owner = getpid();
    }
    return tmpdir;
}

char *tu_path(const char *name)
{
    size_t n = strlen(tu_tmpdir()) + strlen(name) + 2;
    char *p = malloc(n);
    ck_assert_ptr_nonnull(p);
    snprintf(p, n, "%s/%s", tu_tmpdir(), name);
    return p;
}

void tu_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
    ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    s = malloc((size_t)n + 1);
    if (s) {
        s[fread(s, 1, (size_t)n, f)] = '\0';
    }
    fclose(f);
    return s;
}

int tu_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int tu_run(char **out, char **err, const char *fmt, ...)
{
    char args[4096], cmd[8192];
    char *o = tu_path("run.out"), *e = tu_path("run.err");
    const char *bin = getenv("MG_BINARY");
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", bin ? bin : "modelgov", args, o, e);
    st = system(cmd);
    if (out)
        *out = slurp(o);
    if (err)
        *err = slurp(e);
    free(o);
    free(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
