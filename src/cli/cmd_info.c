/* ttgrid info: the arch, the grid, which rank is which core and where it runs, the
 * memory sizes and the matrix kernel in use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gemm_select.h"
#include "noc.h"

static tg_status info_run(int argc, char **argv, const tg_cli *g) {
    if (argc > 1) return tg_err(TG_ERR_USAGE, "info: unexpected argument '%s'", argv[1]);
    tg_core *c = tg_core_self();
    const tg_arch *a = c->arch;
    char *hosts = tg_noc_host_names(); /* rank 0 only */
    int banks = a->dram_banks;
    tg_cli_out(g, "arch          %s\n", a->name);
    tg_cli_out(g, "grid          %dx%d (%d cores = %d ranks)%s\n", c->grid.w, c->grid.h,
               tg_grid_size(c->grid), c->nranks,
               (c->grid.w > a->grid_w || c->grid.h > a->grid_h) ? "; larger than the device's"
                                                                : "");
    tg_cli_out(g, "device grid   %dx%d\n", a->grid_w, a->grid_h);
    tg_cli_out(g, "L1 per core   %zu B\n", c->l1.size);
    tg_cli_out(g, "DRAM          %d banks, %zu B per bank emulated (device: %zu B), %.1f GB/s\n",
               banks, c->dram_bank_bytes, a->dram_bank_size, a->dram_gbps);
    tg_cli_out(g, "clock         %.2f GHz, NoC %d B/cycle, %d cycles/hop, matmul %d FLOP/cycle\n",
               a->clock_ghz, a->noc_bytes_per_cycle, a->noc_hop_cycles, a->matmul_flop_per_cycle);
    const char *forced = getenv("TTGRID_KERNEL");
    char kernels[64] = "";
    for (int v = TG_GEMM_VARIANTS - 1; v >= 0; v--)
        if (tg_gemm_variant_supported((tg_gemm_variant)v))
            snprintf(kernels + strlen(kernels), sizeof kernels - strlen(kernels), "%s%s",
                     kernels[0] ? ", " : "", tg_gemm_variant_name((tg_gemm_variant)v));
    tg_cli_out(g, "matrix kernel %s (%s; rank 0's processor runs: %s)\n",
               tg_gemm_variant_name(tg_gemm_variant_in_use()),
               forced && forced[0] ? "TTGRID_KERNEL" : "widest supported", kernels);
    tg_cli_out(g, "waiting       %s\n",
               c->oversubscribed ? "polite (oversubscribed: back-off sleep)" : "MPI blocking");
    tg_cli_out(g, "rank  core   host             DRAM banks hosted\n");
    for (int r = 0; r < c->nranks && c->rank == 0; r++) {
        char bl[256] = "";
        size_t len = 0;
        for (int b = r; b < banks && len + 8 < sizeof bl; b += c->nranks)
            len += (size_t)snprintf(bl + len, sizeof bl - len, "%s%d", len ? "," : "", b);
        printf("%4d  (%d,%d)%*s %-16s %s\n", r, tg_core_x(c->grid, r), tg_core_y(c->grid, r),
               r < 100 ? 1 : 0, "", hosts ? hosts + (size_t)r * TG_NOC_HOST_MAX : "?",
               len ? bl : "-");
    }
    free(hosts);
    return TG_OK;
}

const tg_cmd tg_cmd_info = {
    .name = "info",
    .run = info_run,
    .summary = "arch, grid, rank -> core map, L1 and DRAM sizes, matrix kernel",
    .help = "usage: mpirun -np P ttgrid [global options] info\n\n"
            "Prints the arch preset, the core grid, which rank is which core (x, y) and on\n"
            "which host it runs, which DRAM banks each rank hosts, the L1 and DRAM sizes,\n"
            "and the matrix kernel in use (avx512, avx2 or portable: the widest this\n"
            "processor runs, or the one the TTGRID_KERNEL environment variable names).\n"
            "Takes no options of its own.\n",
};
