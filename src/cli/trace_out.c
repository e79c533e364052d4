/* --trace FILE.json: the modelled device timeline of the command's ops as Chrome
 * trace events (the "Trace Event Format": complete events "ph":"X" with ts and dur in
 * microseconds, pid/tid tracks named by "M" metadata events), which Perfetto and
 * chrome://tracing open. Process 1 is the device (modelled): one track per core and
 * kernel (reader, compute, writer). Process 2 is the emulator (measured): one track per
 * rank, each op of the statistics table for its measured seconds, one after another. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stats.h"
#include "trace.h"

static const char *const kernel_names[3] = {"reader", "compute", "writer"};

static cJSON *meta(int pid, int tid, const char *what, const char *name) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", what);
    cJSON_AddStringToObject(e, "ph", "M");
    cJSON_AddNumberToObject(e, "pid", pid);
    cJSON_AddNumberToObject(e, "tid", tid);
    cJSON *a = cJSON_AddObjectToObject(e, "args");
    cJSON_AddStringToObject(a, "name", name);
    return e;
}

static cJSON *span(int pid, int tid, const char *name, const char *cat, double ts, double dur) {
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "cat", cat);
    cJSON_AddStringToObject(e, "ph", "X");
    cJSON_AddNumberToObject(e, "ts", ts);
    cJSON_AddNumberToObject(e, "dur", dur);
    cJSON_AddNumberToObject(e, "pid", pid);
    cJSON_AddNumberToObject(e, "tid", tid);
    return e;
}

static int column(const tg_stats_table *t, const char *name) {
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->names[c], name)) return c;
    return -1;
}

tg_status tg_cli_trace_write(const char *path, const tg_machine *m, const tg_stats_table *t) {
    if (tg_trace_lost())
        return tg_err(TG_ERR_RUNTIME, "--trace: out of host memory while keeping the trace");
    double us_per_cycle = 1e-3 / m->arch->clock_ghz;
    cJSON *root = cJSON_CreateObject(), *ev = cJSON_AddArrayToObject(root, "traceEvents");
    cJSON_AddStringToObject(root, "displayTimeUnit", "ns");
    char name[96];
    snprintf(name, sizeof name, "device %s %dx%d (modelled)", m->arch->name, m->grid.w, m->grid.h);
    cJSON_AddItemToArray(ev, meta(1, 0, "process_name", name));
    cJSON_AddItemToArray(ev, meta(2, 0, "process_name", "emulator ranks (measured wall time)"));
    int ncores = tg_machine_cores(m);
    for (int c = 0; c < ncores; c++)
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "core %d (%d,%d) %s", c, tg_core_x(m->grid, c),
                     tg_core_y(m->grid, c), kernel_names[k]);
            cJSON_AddItemToArray(ev, meta(1, c * 3 + k, "thread_name", name));
        }
    const tg_trace_span *s = tg_trace_spans();
    for (int64_t i = 0; i < tg_trace_nspans(); i++) {
        if (s[i].end <= s[i].start) continue;
        cJSON *e = span(1, s[i].core * 3 + s[i].kernel, s[i].what, tg_trace_op_name(s[i].op),
                        s[i].start * us_per_cycle, (s[i].end - s[i].start) * us_per_cycle);
        cJSON_AddItemToObject(e, "args", cJSON_CreateObject());
        cJSON_AddStringToObject(cJSON_GetObjectItem(e, "args"), "op", tg_trace_op_name(s[i].op));
        cJSON_AddItemToArray(ev, e);
    }
    /* the measured side: each rank's ops in the order they ran */
    int c_op = column(t, "op_index"), c_core = column(t, "core"), c_s = column(t, "seconds");
    double *clock = calloc((size_t)ncores + 1, sizeof *clock);
    if (!clock) {
        cJSON_Delete(root);
        return tg_err(TG_ERR_RUNTIME, "--trace: out of host memory");
    }
    for (int c = 0; c < ncores; c++) {
        snprintf(name, sizeof name, "rank %d", c);
        cJSON_AddItemToArray(ev, meta(2, c, "thread_name", name));
    }
    for (int64_t r = 0; t && r < t->nrows; r++) {
        const double *row = t->data + r * t->ncols;
        int core = (int)row[c_core];
        if (core < 0 || core >= ncores || row[c_s] <= 0) continue;
        (void)c_op;
        cJSON_AddItemToArray(
            ev, span(2, core, t->labels[r], "measured", clock[core] * 1e6, row[c_s] * 1e6));
        clock[core] += row[c_s];
    }
    free(clock);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!text) return tg_err(TG_ERR_RUNTIME, "--trace: out of host memory");
    /* `path` is the output's temporary file, committed with the command's others */
    FILE *f = fopen(path, "w");
    tg_status st = TG_OK;
    if (!f || fputs(text, f) == EOF || fputc('\n', f) == EOF)
        st = tg_err(TG_ERR_RUNTIME, "--trace: cannot write '%s'", path);
    if (f && fclose(f) != 0 && st == TG_OK)
        st = tg_err(TG_ERR_RUNTIME, "--trace: cannot write '%s'", path);
    free(text);
    return st;
}
