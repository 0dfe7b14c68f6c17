/* error.c - the per-thread error slot behind mg_error_set()/mg_error_last(). */
#include "mg_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A fixed buffer, so that reporting MG_ENOMEM never allocates. */
static _Thread_local char slot[1024];
static _Thread_local int slot_code;

/*
 * Format into a scratch buffer first: callers may pass mg_error_last() as an
 * argument ("%s: ...", mg_error_last()) to add context, and vsnprintf must
 * never read the buffer it is writing.
 */
int mg_error_set(int code, const char *fmt, ...)
{
    char tmp[sizeof slot];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(slot, tmp, sizeof slot);
    slot_code = code;
    return code;
}

int mg_error_set_errno(int code, int errno_value, const char *fmt, ...)
{
    char tmp[sizeof slot];
    va_list ap;
    size_t len;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    len = strlen(tmp);
    if (len < sizeof tmp)
        snprintf(tmp + len, sizeof tmp - len, ": %s", strerror(errno_value));
    memcpy(slot, tmp, sizeof slot);
    slot_code = code;
    return code;
}

const char *mg_error_last(void)
{
    return slot;
}

int mg_error_code(void)
{
    return slot_code;
}

void mg_error_clear(void)
{
    slot[0] = '\0';
    slot_code = MG_OK;
}

const char *mg_strerror(int code)
{
    switch (code) {
    case MG_OK:
        return "success";
    case MG_ENOMEM:
        return "out of memory";
    case MG_EINVAL:
        return "invalid argument";
    case MG_EPARSE:
        return "parse error";
    case MG_ENOTFOUND:
        return "not found";
    case MG_EEXISTS:
        return "already exists";
    case MG_ECONFLICT:
        return "conflict";
    case MG_ETOOBIG:
        return "too big";
    case MG_EIO:
        return "input/output error";
    case MG_EAUTH:
        return "authentication required";
    case MG_EPERM:
        return "permission denied";
    case MG_EVERIFY:
        return "verification failed";
    case MG_ECANCELED:
        return "canceled";
    default:
        return "internal error";
    }
}

int mg_error_is_user(int code)
{
    switch (code) {
    case MG_EINVAL:
    case MG_EPARSE:
    case MG_ENOTFOUND:
    case MG_EEXISTS:
    case MG_ECONFLICT:
    case MG_ETOOBIG:
    case MG_EAUTH:
    case MG_EPERM:
    case MG_EVERIFY:
        return 1;
    default:
        return 0;
    }
}
