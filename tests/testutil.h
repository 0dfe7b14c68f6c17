/* testutil.h - helpers the Check suites share: reference data, temp files, the binary. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>

/*
 * Path of a file under the shared reference folder (MG_SHARED_DIR), in a
 * static buffer, or NULL when the folder is absent. Tests that need it call
 * TU_REQUIRE_SHARED(), which prints a clear "skipped" line and returns.
 */
const char *tu_shared(const char *rel);

#define TU_REQUIRE_SHARED(var, rel)                                                             \
    const char *var = tu_shared(rel);                                                           \
    if (!var) {                                                                                 \
        fprintf(stderr, "SKIP %s: shared reference data absent (%s)\n", __func__, rel);         \
        return;                                                                                 \
    }

/* A fresh private temporary directory (freed at exit). Never NULL. */
const char *tu_tmpdir(void);

/* tu_tmpdir()/name in a new malloc'd string. */
char *tu_path(const char *name);

/* Write `text` to `path`; aborts the test on failure. */
void tu_write(const char *path, const char *text);

/* Run a shell command line made like printf; its exit status, or -1 when it did not exit. */
int tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Run the modelgov binary with a shell command line after "modelgov",
 * capturing stdout and stderr (malloc'd, may be NULL). Returns the exit code.
 */
int tu_run(char **out, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
