/* store_stamp.c - the log's size, re-read only when the WAL file has changed. */
#include "store_stamp.h"

#include "mg_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int web_store_stamp_init(web_store_stamp *st, const char *store_dir)
{
    size_t n = strlen(store_dir) + sizeof "/" MG_STORE_DB "-wal";

    memset(st, 0, sizeof *st);
    if (!(st->wal_path = malloc(n)))
        return mg_error_set(MG_ENOMEM, "out of memory");
    snprintf(st->wal_path, n, "%s/%s-wal", store_dir, MG_STORE_DB);
    pthread_mutex_init(&st->lock, NULL);
    return MG_OK;
}

/*
 * File times come from a coarse clock (a few ms): two commits in one tick
 * could leave the same time and, after a checkpoint, the same size. So the
 * file vouches for the stamp only once its time is well in the past; any
 * later commit then moves it.
 */
#define SETTLED_NS 50000000L

static int settled(const struct timespec *mtime)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (now.tv_sec - mtime->tv_sec) * 1000000000L + (now.tv_nsec - mtime->tv_nsec) >
           SETTLED_NS;
}

static int same_file(const web_store_stamp *st, const struct stat *sb)
{
    return st->valid && settled(&sb->st_mtim) && st->dev == sb->st_dev && st->ino == sb->st_ino &&
           st->size == sb->st_size && st->mtime.tv_sec == sb->st_mtim.tv_sec &&
           st->mtime.tv_nsec == sb->st_mtim.tv_nsec;
}

int web_store_stamp_get(uint64_t *out, web_store_stamp *st, mg_store *s)
{
    struct stat sb;
    int seen = stat(st->wal_path, &sb) == 0, rc;

    pthread_mutex_lock(&st->lock);
    if (seen && same_file(st, &sb)) {
        *out = st->log_size;
        pthread_mutex_unlock(&st->lock);
        return MG_OK;
    }
    pthread_mutex_unlock(&st->lock);
    if ((rc = mg_gov_log_size(out, s)) < 0)
        return rc;
    pthread_mutex_lock(&st->lock);
    st->valid = seen;
    if (seen) {
        st->dev = sb.st_dev;
        st->ino = sb.st_ino;
        st->size = sb.st_size;
        st->mtime = sb.st_mtim;
        st->log_size = *out;
    }
    pthread_mutex_unlock(&st->lock);
    return MG_OK;
}

void web_store_stamp_free(web_store_stamp *st)
{
    free(st->wal_path);
    st->wal_path = NULL;
    pthread_mutex_destroy(&st->lock);
}
