/* Statistics output of a command: /stats in its HDF5 output, the --stats CSV and a
 * summary line per op. The files are committed by tg_cli_finish (outputs.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "stats.h"

static int column(const tg_stats_table *t, const char *name) {
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->names[c], name)) return c;
    return -1;
}

/* Prints, per op, the slowest core's time and the traffic summed over cores; for
 * runs of many ops (a network: its layers have their own lines) one line of totals. */
static void print_summary(const tg_stats_table *t) {
    int c_op = column(t, "op_index"), c_s = column(t, "seconds");
    const char *sums[] = {"noc_read_bytes",
                          "noc_write_bytes",
                          "noc_mcast_bytes",
                          "dram_read_bytes",
                          "dram_write_bytes",
                          "noc_transactions",
                          "hops",
                          "halo_remote_bytes"};
    const char *labels[] = {"NoC read",   "NoC write",    "mcast", "DRAM read",
                            "DRAM write", "transactions", "hops",  "halo remote"};
    int nsum = (int)(sizeof sums / sizeof sums[0]);
    int c_l1 = column(t, "l1_high_water");
    int64_t nops = t->nrows ? (int64_t)t->data[(t->nrows - 1) * t->ncols + c_op] + 1 : 0;
    if (nops > 16) {
        double tot[16] = {0}, l1 = 0;
        for (int64_t r = 0; r < t->nrows; r++) {
            const double *row = t->data + r * t->ncols;
            if (row[c_l1] > l1) l1 = row[c_l1];
            for (int k = 0; k < nsum; k++) tot[k] += row[column(t, sums[k])];
        }
        printf("stats: %lld ops", (long long)nops);
        for (int k = 0; k < nsum; k++)
            if (tot[k] != 0) printf(", %s %.0f", labels[k], tot[k]);
        printf(", L1 peak %.0f B (per op and core: --stats FILE.csv, /stats)\n", l1);
        return;
    }
    for (int64_t r = 0; r < t->nrows;) {
        double op = t->data[r * t->ncols + c_op], secs = 0, l1 = 0, tot[16] = {0};
        int64_t r0 = r;
        for (; r < t->nrows && t->data[r * t->ncols + c_op] == op; r++) {
            const double *row = t->data + r * t->ncols;
            if (row[c_s] > secs) secs = row[c_s];
            if (row[c_l1] > l1) l1 = row[c_l1];
            for (int k = 0; k < nsum; k++) tot[k] += row[column(t, sums[k])];
        }
        printf("stats %-16s %8.4f s", t->labels[r0], secs);
        for (int k = 0; k < nsum; k++)
            if (tot[k] != 0) printf(", %s %.0f", labels[k], tot[k]);
        printf(", L1 peak %.0f B\n", l1);
    }
}

tg_status tg_cli_stats(const tg_cli *g, tg_io_file *out, tg_io_file *csv, tg_io_file *trace) {
    tg_stats_table t;
    TG_CHECK(tg_noc_agree(tg_noc_stats_gather(&t)));
    tg_status st = TG_OK;
    if (out) {
        tg_io_table table = {.ncols = t.ncols,
                             .nrows = t.nrows,
                             .names = (const char **)t.names,
                             .data = t.data,
                             .row_labels = (const char **)t.labels,
                             .has_labels = true};
        st = tg_io_write_table(out, "/stats", &table);
    }
    if (st == TG_OK && g->rank == 0) {
        if (csv) st = tg_stats_write_csv(&t, tg_io_temp_path(csv));
        if (st == TG_OK && trace) {
            tg_machine m = tg_machine_self();
            st = tg_cli_trace_write(tg_io_temp_path(trace), &m, &t);
        }
        if (st == TG_OK && !g->quiet) print_summary(&t);
    }
    tg_stats_table_free(&t);
    return tg_noc_agree(st);
}
