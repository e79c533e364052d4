/* Errors for the whole of ttgrid.
 *
 * A function that can fail returns a tg_status. The failure is described once,
 * where it is found, with tg_err(): one line that names what failed and carries the
 * numbers (file and dataset, shapes, bytes, core). Callers pass the status up with
 * TG_CHECK and may add context in front with tg_err_prefix(). Library code never
 * exits; only the command line decides the exit code, which is the status itself
 * (DESIGN.md section 11: 1 run-time failure, 2 bad usage or bad input). */
#ifndef TG_ERROR_H
#define TG_ERROR_H

typedef enum {
    TG_OK = 0,
    TG_ERR_RUNTIME = 1, /* L1 or DRAM out of memory, I/O failure, MPI failure */
    TG_ERR_USAGE = 2,   /* bad arguments, bad input file, impossible parameters */
} tg_status;

#define TG_ERR_MSG_MAX 1024

/* Records the message (printf-style) and returns code, so that
 * `return tg_err(TG_ERR_USAGE, "...", ...);` is the whole error path. */
tg_status tg_err(tg_status code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Puts context in front of the recorded message ("layer layer1.0.conv2: ") and
 * returns code unchanged. */
tg_status tg_err_prefix(tg_status code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *tg_err_msg(void);
void tg_err_clear(void);

#define TG_CHECK(expr)                                                                             \
    do {                                                                                           \
        tg_status tg_check_s_ = (expr);                                                            \
        if (tg_check_s_ != TG_OK) return tg_check_s_;                                              \
    } while (0)

/* Like TG_CHECK, but jumps to a cleanup label with the status kept in `st`. */
#define TG_TRY(st, expr, label)                                                                    \
    do {                                                                                           \
        (st) = (expr);                                                                             \
        if ((st) != TG_OK) goto label;                                                             \
    } while (0)

#endif
