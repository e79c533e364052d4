/* The global options (DESIGN.md section 11), before the command's name. */
#include <getopt.h>

#include "cli.h"

tg_status tg_cli_parse_globals(int argc, char **argv, tg_cli *g, int *cmd_index, bool *help,
                               bool *version) {
    static const struct option opts[] = {
        {"arch", required_argument, 0, 'a'},     {"grid", required_argument, 0, 'g'},
        {"l1-size", required_argument, 0, 'l'},  {"dram-size", required_argument, 0, 'd'},
        {"stats", required_argument, 0, 's'},    {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},           {"version", no_argument, 0, 'V'},
        {"noc-mode", required_argument, 0, 'm'}, {"l1-small-size", required_argument, 0, 'S'},
        {"trace", required_argument, 0, 'T'},    {0, 0, 0, 0},
    };
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            if (!tg_arch_find(optarg))
                return tg_err(TG_ERR_USAGE, "unknown arch '%s' (grayskull, wormhole_b0, blackhole)",
                              optarg);
            g->arch = optarg;
            break;
        case 'g':
            TG_CHECK(tg_grid_parse(optarg, &g->grid));
            break;
        case 'l':
            TG_CHECK(tg_cli_size("--l1-size", optarg, &g->l1_size));
            if (g->l1_size < 4096)
                return tg_err(TG_ERR_USAGE, "--l1-size %zu B is below 4096 B", g->l1_size);
            break;
        case 'd':
            TG_CHECK(tg_cli_size("--dram-size", optarg, &g->dram_size));
            break;
        case 'S':
            TG_CHECK(tg_cli_size("--l1-small-size", optarg, &g->l1_small_size));
            break;
        case 's':
            g->stats_csv = optarg;
            break;
        case 'T':
            g->trace = optarg;
            break;
        case 'q':
            g->quiet = true;
            break;
        case 'm': {
            tg_noc_mode m;
            TG_CHECK(tg_noc_mode_parse(optarg, &m));
            g->noc_mode = (int)m;
            break;
        }
        case 'h':
            *help = true;
            break;
        case 'V':
            *version = true;
            break;
        default:
            return tg_cli_bad_option("ttgrid", argv, optind);
        }
    }
    *cmd_index = optind;
    return TG_OK;
}
