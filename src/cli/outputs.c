/* The files a command writes: checked before any computation, committed together
 * after the run succeeded (issue 12, "Nothing lost, nothing half-written"). */
#include <stdio.h>

#include "cli.h"

/* The rank-local part: no two outputs are one file. */
static tg_status distinct(const tg_cli *g, const tg_io_ref *out, const char *side,
                          const char *side_opt) {
    if (side && tg_io_same_file(side, out->file))
        return tg_err(TG_ERR_USAGE, "%s '%s' and --output '%s' are one file", side_opt, side,
                      out->file);
    if (g->stats_csv && tg_io_same_file(g->stats_csv, out->file))
        return tg_err(TG_ERR_USAGE, "--stats '%s' and --output '%s' are one file", g->stats_csv,
                      out->file);
    if (g->stats_csv && side && tg_io_same_file(g->stats_csv, side))
        return tg_err(TG_ERR_USAGE, "--stats '%s' and %s '%s' are one file", g->stats_csv, side_opt,
                      side);
    const char *others[3] = {out->file, side, g->stats_csv};
    const char *names[3] = {"--output", side_opt, "--stats"};
    for (int i = 0; g->trace && i < 3; i++)
        if (others[i] && tg_io_same_file(g->trace, others[i]))
            return tg_err(TG_ERR_USAGE, "--trace '%s' and %s '%s' are one file", g->trace, names[i],
                          others[i]);
    return TG_OK;
}

tg_status tg_cli_check_outputs(const tg_cli *g, const tg_io_ref *out, const char *side,
                               const char *side_opt) {
    TG_CHECK(tg_noc_agree(tg_io_check_output_dset("--output", out)));
    TG_CHECK(tg_io_check_output("--output", out->file, TG_IO_HDF5));
    if (side) TG_CHECK(tg_io_check_output(side_opt, side, TG_IO_HDF5));
    if (g->stats_csv) TG_CHECK(tg_io_check_output("--stats", g->stats_csv, TG_IO_TEXT));
    if (g->trace) TG_CHECK(tg_io_check_output("--trace", g->trace, TG_IO_TEXT));
    return tg_noc_agree(g->rank == 0 ? distinct(g, out, side, side_opt) : TG_OK);
}

tg_status tg_cli_finish(const tg_cli *g, tg_io_file **out, tg_io_file **side) {
    tg_io_file *csv = NULL, *trace = NULL;
    if (g->stats_csv) TG_CHECK(tg_io_create_text(g->stats_csv, &csv));
    tg_status st = g->trace ? tg_io_create_text(g->trace, &trace) : TG_OK;
    if (st == TG_OK) st = tg_cli_stats(g, *out, csv, trace);
    if (st != TG_OK) {
        tg_io_abort(csv);
        tg_io_abort(trace);
        return st;
    }
    /* side outputs first, the main output last */
    tg_io_file *all[4] = {side ? *side : NULL, csv, trace, *out};
    if (side) *side = NULL;
    *out = NULL;
    return tg_io_commit_all(all, 4);
}
