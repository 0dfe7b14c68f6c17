/* log.c - the process's log sink, set once by the program. */
#include "mg_log.h"

#include <stdarg.h>
#include <stdio.h>

/* The one piece of process state besides the error slot: set before threads start. */
static mg_log_sink log_sink;
static void *log_ud;
static mg_log_level log_max = MG_LOG_ERROR;

void mg_log_set_sink(mg_log_sink sink, void *ud, mg_log_level max_level)
{
    log_sink = sink;
    log_ud = ud;
    log_max = max_level;
}

int mg_log_enabled(mg_log_level level)
{
    return log_sink != NULL && level <= log_max;
}

void mg_log(mg_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!mg_log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_sink(log_ud, level, line);
}
