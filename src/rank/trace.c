/* The device-time trace kept in this process; see trace.h. */
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct trace_op {
    char name[64];
    double start, end;
} trace_op;

static bool enabled, lost;
static trace_op *ops;
static int nops, capops;
static tg_trace_span *spans;
static int64_t nspans, capspans;

void tg_trace_enable(bool on) {
    enabled = on;
}

bool tg_trace_on(void) {
    return enabled;
}

void tg_trace_op(const char *name, double cycles, const tg_trace_span *in, int64_t n) {
    if (!enabled) return;
    if (n < 0) { /* the caller ran out of memory for its spans */
        lost = true;
        return;
    }
    if (nops == capops) {
        int cap = capops ? 2 * capops : 64;
        trace_op *o = realloc(ops, (size_t)cap * sizeof *o);
        if (!o) {
            lost = true;
            return;
        }
        ops = o, capops = cap;
    }
    if (nspans + n > capspans) {
        int64_t cap = capspans ? 2 * capspans : 4096;
        while (cap < nspans + n) cap *= 2;
        tg_trace_span *s = realloc(spans, (size_t)cap * sizeof *s);
        if (!s) {
            lost = true;
            return;
        }
        spans = s, capspans = cap;
    }
    double t0 = nops ? ops[nops - 1].end : 0.0;
    trace_op *o = &ops[nops];
    snprintf(o->name, sizeof o->name, "%s", name);
    o->start = t0;
    o->end = t0 + cycles;
    for (int64_t i = 0; i < n; i++) {
        tg_trace_span s = in[i];
        s.op = nops;
        s.start += t0, s.end += t0;
        spans[nspans++] = s;
    }
    nops++;
}

int tg_trace_nops(void) {
    return nops;
}

const char *tg_trace_op_name(int i) {
    return ops[i].name;
}

double tg_trace_op_start(int i) {
    return ops[i].start;
}

double tg_trace_op_end(int i) {
    return ops[i].end;
}

int64_t tg_trace_nspans(void) {
    return nspans;
}

const tg_trace_span *tg_trace_spans(void) {
    return spans;
}

bool tg_trace_lost(void) {
    return lost;
}

void tg_trace_reset(void) {
    free(ops);
    free(spans);
    ops = NULL, spans = NULL;
    nops = capops = 0;
    nspans = capspans = 0;
    lost = false;
}
