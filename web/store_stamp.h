/* store_stamp.h - the log's size as a cheap version stamp of the store (not public). */
#ifndef WEB_STORE_STAMP_H
#define WEB_STORE_STAMP_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "mg_governance.h"

/*
 * Every change appends a log entry in the same transaction, so the log's size
 * versions the whole store. Asking SQLite for it on every request costs a
 * pooled connection and a query; but in WAL mode every commit, by this
 * process or another (the CLI revoking a token), writes the -wal file, so
 * while that file's identity, size and modification time stay the same the
 * size read last is still the size. The file is looked at before the query,
 * never after, so a stamp is never newer than the data it vouches for.
 */
typedef struct web_store_stamp {
    pthread_mutex_t lock;
    char *wal_path;
    int valid;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    uint64_t log_size;
} web_store_stamp;

/* Errors: MG_ENOMEM. */
int web_store_stamp_init(web_store_stamp *st, const char *store_dir);

/* The log's size now. Errors: those of mg_gov_log_size(). */
int web_store_stamp_get(uint64_t *out, web_store_stamp *st, mg_store *s);

void web_store_stamp_free(web_store_stamp *st);

#endif
