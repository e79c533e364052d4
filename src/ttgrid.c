/* ttgrid: the command line (DESIGN.md section 11).
 *
 * Parses the global options, starts MPI and this core, runs one command and turns
 * its status into the exit code: 0 success, 1 run-time failure, 2 bad usage or bad
 * input. Every rank runs the same command (SPMD); before exiting, the ranks agree
 * on the outcome so that rank 0 prints exactly one error line and every rank exits
 * with the same code. It never moves data itself. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "trace.h"
#include "gemm_select.h"
#include "noc.h"
#include "rank.h"

static const tg_cmd *const commands[] = {&tg_cmd_info,   &tg_cmd_copy,      &tg_cmd_plan,
                                         &tg_cmd_conv2d, &tg_cmd_maxpool2d, &tg_cmd_resnet50};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void usage(FILE *out) {
    fprintf(out, "usage: mpirun -np P ttgrid [global options] COMMAND [options]\n\n"
                 "Emulates a Tenstorrent Tensix core grid on MPI: one rank per core.\n\n"
                 "global options:\n"
                 "  --arch NAME       grayskull | wormhole_b0 (default) | blackhole\n"
                 "  --grid WxH        core grid; W*H must equal the rank count\n"
                 "                    (default: the arch's grid if it matches, else the\n"
                 "                    most square factorisation); `plan` takes any grid\n"
                 "                    at any rank count\n"
                 "  --l1-size BYTES   L1 per core (default: the arch's; K, M suffixes)\n"
                 "  --l1-small-size BYTES  TTNN's L1_SMALL region at the top of L1, where\n"
                 "                    conv2d keeps its config tensors (default: TTNN's 0;\n"
                 "                    resnet50: 24576, as TTNN's ResNet-50 tests open the\n"
                 "                    device)\n"
                 "  --dram-size BYTES emulated bytes per DRAM bank (default 96M)\n"
                 "  --stats FILE.csv  per-op, per-core statistics as CSV\n"
                 "  --trace FILE.json the device's modelled timeline (every core's reader,\n"
                 "                    compute and writer) and each rank's measured time, as\n"
                 "                    Chrome trace events (Perfetto, chrome://tracing)\n"
                 "  --noc-mode MODE   one-sided (MPI RMA, default) or two-sided (messages)\n"
                 "  --quiet           no progress output\n"
                 "  --help            this text; COMMAND --help for a command's\n"
                 "  --version         print the version\n\n"
                 "commands:\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
}

void tg_cli_out(const tg_cli *g, const char *fmt, ...) {
    if (g->rank != 0) return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

/* Open MPI settings this tool needs, unless the user set them: the romio I/O
 * component (collective HDF5 with oversubscribed ranks is about 12x slower on the
 * default ompio here). ttgrid multiplies with its own kernel, not BLAS. */
static void default_env(void) {
    setenv("OMPI_MCA_io", "romio321", 0);
}

int main(int argc, char **argv) {
    default_env();
    tg_noc_start(&argc, &argv);
    tg_cli g;
    memset(&g, 0, sizeof g);
    g.rank = tg_noc_world_rank();
    g.l1_small_size = TG_CLI_UNSET;

    int cmd_at = 0;
    bool help = false, version = false;
    tg_status st = tg_cli_parse_globals(argc, argv, &g, &cmd_at, &help, &version);
    const tg_cmd *cmd = NULL;
    if (st == TG_OK && !help && !version) {
        if (cmd_at >= argc) {
            st = tg_err(TG_ERR_USAGE, "no command given (try ttgrid --help)");
        } else {
            for (int i = 0; i < NCOMMANDS; i++)
                if (!strcmp(argv[cmd_at], commands[i]->name)) cmd = commands[i];
            if (!cmd)
                st = tg_err(TG_ERR_USAGE, "unknown command '%s' (try ttgrid --help)", argv[cmd_at]);
        }
    }
    /* COMMAND --help needs no grid, so it works at any rank count. */
    for (int i = cmd_at + 1; cmd && i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            if (g.rank == 0) fputs(cmd->help, stdout);
            tg_noc_stop();
            return 0;
        }
    if (st == TG_OK && (help || version)) {
        if (g.rank == 0) {
            if (version)
                printf("ttgrid %s\n", TTGRID_VERSION);
            else
                usage(stdout);
        }
        tg_noc_stop();
        return 0;
    }
    /* A command that only plans starts on the grid the rank count gives and plans for
     * --grid (tg_cli_machine): planning is pure, so one process answers for any grid. */
    bool plans_only = cmd && cmd->plans_only;
    if (st == TG_OK && plans_only && tg_grid_size(g.grid) > TG_CLI_PLAN_MAX_CORES)
        st = tg_err(TG_ERR_USAGE, "%s: grid %dx%d has %d cores; plans go up to %d cores", cmd->name,
                    g.grid.w, g.grid.h, tg_grid_size(g.grid), TG_CLI_PLAN_MAX_CORES);
    g.l1_small_given = g.l1_small_size != TG_CLI_UNSET;
    if (cmd && !g.l1_small_given) g.l1_small_size = cmd->l1_small_default;
    if (st == TG_OK) {
        tg_core_opts co = {.arch = g.arch,
                           .grid = plans_only ? (tg_grid){0, 0} : g.grid,
                           .l1_size = g.l1_size,
                           .l1_small_size = g.l1_small_size,
                           .dram_bank_size = g.dram_size};
        st = tg_noc_init(&co, (tg_noc_mode)g.noc_mode);
        /* rank 0 keeps the modelled intervals of every op for --trace */
        tg_trace_enable(g.trace && g.rank == 0);
        if (st == TG_OK) {
            /* the matrix kernel: the one TTGRID_KERNEL names, else the widest this
             * processor runs; the ranks agree, as they may run on different nodes */
            st = tg_noc_agree(tg_gemm_select(getenv("TTGRID_KERNEL")));
            /* io's fault injection, for tests (README, "Files") */
            if (st == TG_OK) st = tg_noc_agree(tg_io_fault_setup(getenv("TTGRID_IO_FAULT")));
            if (st == TG_OK) st = cmd->run(argc - cmd_at, argv + cmd_at, &g);
            st = tg_noc_agree(st);
            tg_noc_finalize();
        }
    }
    if (st != TG_OK && g.rank == 0) fprintf(stderr, "ttgrid: error: %s\n", tg_err_msg());
    fflush(stdout);
    tg_noc_stop();
    return (int)st;
}
