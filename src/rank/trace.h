/* The device-time trace (issue 11): the modelled busy intervals of every op on every
 * core and kernel, one op after the other on the device's time axis, kept in this
 * process for `--trace FILE.json` (src/cli writes it as Chrome trace events). Pure:
 * ops add their timeline's intervals when tracing is on; nothing here talks to
 * another rank. */
#ifndef TG_TRACE_H
#define TG_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct tg_trace_span {
    int op;            /* index into the ops */
    int core;          /* machine core */
    int kernel;        /* 0 reader, 1 compute, 2 writer */
    double start, end; /* cycles from the first op's start */
    const char *what;  /* a static string */
} tg_trace_span;

void tg_trace_enable(bool on);
bool tg_trace_on(void);
/* Appends an op of `cycles` whose spans start at its own 0; it begins where the last
 * op ended. Spans are copied. Out of host memory drops the op (reported by
 * tg_trace_lost). */
void tg_trace_op(const char *name, double cycles, const tg_trace_span *spans, int64_t n);
/* What was kept: ops (names, start and end cycles) and spans. */
int tg_trace_nops(void);
const char *tg_trace_op_name(int i);
double tg_trace_op_start(int i), tg_trace_op_end(int i);
int64_t tg_trace_nspans(void);
const tg_trace_span *tg_trace_spans(void);
bool tg_trace_lost(void);
void tg_trace_reset(void);

#endif
