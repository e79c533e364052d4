/* libFuzzer target: the command line's option parsers (issue 12, "What to build" 7).
 *
 * The input is an argument vector, arguments separated by NUL bytes. It goes through
 * the global options (tg_cli_parse_globals) and then, from the command's name on,
 * through the op commands' parser (tg_opargs_parse, every option group allowed), and
 * a parse that succeeds through the checks a command makes before planning: the
 * window's sizes against a small machine's L1 and DRAM (tg_opargs_check_conv,
 * tg_opargs_check_pool). Every outcome must be TG_OK or a usage error with one
 * message; the sanitizers catch the rest. No MPI: the core is made in the process. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opargs.h"

#define MAX_ARGS 40
#define MAX_ARG 300

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    /* a Wormhole core of a 2x2 grid with a small emulated DRAM, as the checks see it */
    tg_core_opts o = {.arch = "wormhole_b0", .grid = {2, 2}, .dram_bank_size = 1 << 20};
    if (tg_core_init(&o, 0, 4, false) != TG_OK) abort();
    return 0;
}

/* A usage error must have said why. */
static void check(tg_status st) {
    if (st != TG_OK && (st != TG_ERR_USAGE || !*tg_err_msg())) abort();
    tg_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char store[MAX_ARGS][MAX_ARG];
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = "ttgrid";
    size_t at = 0;
    while (at < size && argc <= MAX_ARGS) {
        size_t n = 0;
        while (at + n < size && data[at + n] != 0) n++;
        size_t keep = n < MAX_ARG - 1 ? n : MAX_ARG - 1;
        memcpy(store[argc - 1], data + at, keep);
        store[argc - 1][keep] = '\0';
        argv[argc] = store[argc - 1];
        argc++;
        at += n + 1;
    }
    argv[argc] = NULL;

    tg_cli g;
    memset(&g, 0, sizeof g);
    int cmd_at = argc;
    bool help = false, version = false;
    tg_status st = tg_cli_parse_globals(argc, argv, &g, &cmd_at, &help, &version);
    check(st);
    if (st != TG_OK || cmd_at >= argc) return 0;

    tg_opargs o;
    st = tg_opargs_parse(argc - cmd_at, argv + cmd_at, argv[cmd_at],
                         OPT_IO | OPT_SHAPE | OPT_CONV | OPT_POOL | OPT_FORMAT, &o);
    check(st);
    if (st != TG_OK) return 0;
    if (o.have_output) check(tg_io_check_output_dset("--output", &o.output));
    int64_t shape[4] = {1, 16, 16, 16};
    if (o.have_shape) memcpy(shape, o.shape, sizeof shape);
    tg_conv2d_params p = o.conv;
    p.n = shape[0], p.h = shape[1], p.w = shape[2], p.cin = shape[3];
    if (p.cout <= 0) p.cout = p.cin;
    check(tg_opargs_check_conv(&p));
    tg_maxpool2d_params q = tg_opargs_pool(&o, shape);
    check(tg_opargs_check_pool(&q));
    return 0;
}
