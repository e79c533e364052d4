/* The one recorded error message of this process (one process is one core, and
 * ttgrid is single-threaded per rank, so one buffer is enough). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static char err_msg[TG_ERR_MSG_MAX];

tg_status tg_err(tg_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_msg, sizeof err_msg, fmt, ap);
    va_end(ap);
    return code;
}

tg_status tg_err_prefix(tg_status code, const char *fmt, ...) {
    char prefix[TG_ERR_MSG_MAX];
    char old[TG_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err_msg, sizeof old);
    size_t n = strlen(prefix);
    memcpy(err_msg, prefix, n);
    size_t m = strlen(old);
    if (n + m >= sizeof err_msg) m = sizeof err_msg - 1 - n;
    memcpy(err_msg + n, old, m);
    err_msg[n + m] = '\0';
    return code;
}

const char *tg_err_msg(void) {
    return err_msg[0] ? err_msg : "unknown error";
}

void tg_err_clear(void) {
    err_msg[0] = '\0';
}
