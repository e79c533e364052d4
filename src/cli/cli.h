/* The command line's own parts (DESIGN.md section 11): global options and one
 * function per command. Commands return a tg_status; main turns it into the exit
 * code after every rank agreed on it. */
#ifndef TG_CLI_H
#define TG_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "io.h"
#include "noc.h"
#include "plan.h"
#include "rank.h"
#include "tensor.h"

typedef struct tg_cli {
    const char *arch;
    tg_grid grid; /* --grid (0x0: not given) */
    size_t l1_size;
    size_t l1_small_size;
    bool l1_small_given; /* --l1-small-size was on the command line */
    size_t dram_size;
    const char *stats_csv; /* --stats FILE.csv, or NULL */
    const char *trace;     /* --trace FILE.json, or NULL */
    int noc_mode;          /* tg_noc_mode */
    bool quiet;
    int rank; /* this rank, for printing on rank 0 only */
} tg_cli;

/* Parses the global options of argv into g (which the caller zeroed); *cmd_index is
 * where the command's name is (argc when there is none); --help and --version set
 * their flags. A bad option or value is TG_ERR_USAGE naming it. Pure. */
tg_status tg_cli_parse_globals(int argc, char **argv, tg_cli *g, int *cmd_index, bool *help,
                               bool *version);

typedef tg_status (*tg_cmd_fn)(int argc, char **argv, const tg_cli *g);

typedef struct tg_cmd {
    const char *name;
    tg_cmd_fn run;
    const char *summary;
    const char *help; /* full --help text */
    /* The command only plans (planning is pure): the processes start on the grid their
     * count gives, whatever --grid says, and the command plans for the machine of
     * tg_cli_machine, so one rank answers for any grid. Other commands need --grid to
     * match the rank count. */
    bool plans_only;
    /* The L1_SMALL the device is opened with unless --l1-small-size says (0: TTNN's
     * default; resnet50: TTNN's ResNet-50 tests' 24576). */
    size_t l1_small_default;
} tg_cmd;

/* --l1-small-size not given */
#define TG_CLI_UNSET ((size_t)-1)

/* A plan-only command's grid may have at most this many cores (a 128x128 grid: the
 * plan holds a few records per core). */
#define TG_CLI_PLAN_MAX_CORES 16384

extern const tg_cmd tg_cmd_info;
extern const tg_cmd tg_cmd_copy;
extern const tg_cmd tg_cmd_plan;
extern const tg_cmd tg_cmd_conv2d;
extern const tg_cmd tg_cmd_maxpool2d;
extern const tg_cmd tg_cmd_resnet50;

/* Checks before any computation every file a command will write (issue 12): the
 * HDF5 output `out` (its dataset not under /stats), a side output `side` (NULL: none;
 * `side_opt` is its option, e.g. "--dump-layers") and the --stats CSV: each folder
 * exists on every rank and is writable, no path is a folder or an existing file
 * ttgrid would not replace, and no two of them are one file. TG_ERR_USAGE naming the
 * option. Collective. */
tg_status tg_cli_check_outputs(const tg_cli *g, const tg_io_ref *out, const char *side,
                               const char *side_opt);

/* Gathers a command's statistics, writes them under /stats in `out` (when not NULL)
 * and to the temporary file of the --stats CSV `csv` (when not NULL), and prints one
 * summary line per op unless --quiet. Collective. */
tg_status tg_cli_stats(const tg_cli *g, tg_io_file *out, tg_io_file *csv, tg_io_file *trace);

/* The end of a command that writes `*out` (and `*side` when side is not NULL and
 * *side is open: --dump-layers): its statistics (tg_cli_stats, with the --stats CSV),
 * then every file committed together (tg_io_commit_all: side output, CSV, output),
 * only once all are complete. *out and *side are NULL afterwards unless the
 * statistics failed, when the caller still aborts them. Collective. */
tg_status tg_cli_finish(const tg_cli *g, tg_io_file **out, tg_io_file **side);

/* The machine a command plans for: this process's arch, L1 size and L1_SMALL region
 * (--arch, --l1-size, --l1-small-size) on the --grid asked for, or on the grid the
 * processes make when --grid is not given. */
tg_machine tg_cli_machine(const tg_cli *g);

/* Writes the modelled device timeline kept by src/rank/trace.c and the measured time
 * per rank from the statistics table as Chrome trace events (rank 0; trace_out.c). */
tg_status tg_cli_trace_write(const char *path, const tg_machine *m, const tg_stats_table *t);

/* Prints on rank 0 only (stdout). */
void tg_cli_out(const tg_cli *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Option parsers shared by commands: each records a usage error naming the option. */
tg_status tg_cli_size(const char *opt, const char *s, size_t *out);
tg_status tg_cli_int(const char *opt, const char *s, long lo, long hi, long *out);
/* "AxB" or "A,B" or a single "A" (both the same). */
tg_status tg_cli_pair(const char *opt, const char *s, long lo, long hi, long out[2]);
/* A comma list of exactly `n` integers (n = 2 or 4 for padding). */
tg_status tg_cli_list(const char *opt, const char *s, long lo, long hi, int *n, long *out, int max);
/* Unknown option or missing argument, as getopt reported it. */
tg_status tg_cli_bad_option(const char *cmd, char **argv, int optind_before);

#endif
