/* ttgrid info: the arch, the grid, which rank is which core and where it runs, the
 * memory sizes with the L1 map, and the matrix kernel in use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conv2d_ttnn.h"
#include "gemm_select.h"
#include "noc.h"

/* Where each arch's L1 figures come from (src/rank/arch.c and
 * src/ops/impl/conv2d_ttnn_impl.h cite them beside the constants; tests/ttnn/NOTES.md
 * section 3 works them out). */
static const struct {
    const char *arch, *size, *base;
} l1_sources[] = {
    {"grayskull", "1 MB per Tensix: the paper, \"Single Tensix Core\"",
     "MEM_MAP_END of tt_metal/hw/inc/grayskull/dev_mem_map.h @ 03455762; grayskull is gone\n"
     "              from current tt-metal, so no kernel configuration is known to be reserved"},
    {"wormhole_b0",
     "MEM_L1_SIZE, tt_metal/hw/inc/internal/tt-1xx/wormhole/dev_mem_map.h @ 42bfdec0",
     "DEFAULT_UNRESERVED = ((MEM_MAP_END + kernel config - 1) | 31) + 1: wormhole\n"
     "              dev_mem_map.h and tt_metal/llrt/hal/tt-1xx/wormhole/wh_hal_tensix.cpp\n"
     "              (create_tensix_mem_map) @ 42bfdec0"},
    {"blackhole", "MEM_L1_SIZE, tt_metal/hw/inc/internal/tt-1xx/blackhole/dev_mem_map.h @ 0079e942",
     "DEFAULT_UNRESERVED = ((MEM_MAP_END + kernel config - 1) | 63) + 1: blackhole\n"
     "              dev_mem_map.h @ 0079e942, "
     "tt_metal/llrt/hal/tt-1xx/blackhole/bh_hal_tensix.cpp\n"
     "              @ 0266e6f1; tt-mlir's Blackhole system descriptors agree (111360)"},
};

/* The L1 map of this machine (DESIGN.md section 1; issue 10): what is reserved, where
 * circular buffers and L1 buffers go, the L1_SMALL region, the alignments, with the
 * source of each figure. */
static void print_l1_map(const tg_cli *g, const tg_core *c) {
    const tg_arch *a = c->arch;
    const tg_l1 *l1 = &c->l1;
    const char *size_src = "?", *base_src = "?";
    for (size_t i = 0; i < sizeof l1_sources / sizeof l1_sources[0]; i++)
        if (!strcmp(l1_sources[i].arch, a->name))
            size_src = l1_sources[i].size, base_src = l1_sources[i].base;
    if (l1->size == a->l1_size)
        tg_cli_out(g, "L1 per core   %zu B (%s)\n", l1->size, size_src);
    else
        tg_cli_out(g, "L1 per core   %zu B (--l1-size; the device's is %zu B: %s)\n", l1->size,
                   a->l1_size, size_src);
    tg_ttnn_l1_figures f;
    bool known = tg_ttnn_l1_figures_of(a, &f) == TG_OK && f.base == l1->lo;
    tg_err_clear(); /* grayskull: no TTNN figures, said below */
    tg_cli_out(g, "L1 map        [0, %zu) reserved: ", l1->lo);
    if (known)
        tg_cli_out(g,
                   "firmware, mailboxes and fabric tables in [0, %zu) (MEM_MAP_END),\n"
                   "              then the kernel configuration (%zu B, default_l1_kernel_config_"
                   "size) up to\n"
                   "              the unreserved base, aligned to %zu B\n",
                   f.mem_map_end, f.kernel_config_size,
                   a->dram_align > a->l1_align ? a->dram_align : a->l1_align);
    else
        tg_cli_out(g, "firmware and local memory images\n");
    tg_cli_out(g, "              (%s)\n", base_src);
    tg_cli_out(g,
               "              [%zu, ...) circular buffers: each program's grow up from the "
               "unreserved\n"
               "              base, each at a multiple of %zu B (the DRAM alignment;\n"
               "              tt_metal/impl/program/program.cpp allocate_circular_buffers)\n",
               l1->lo, l1->cb_align);
    tg_cli_out(
        g,
        "              [..., %zu) L1 buffers (shards, halo output): top-down in [%zu, "
        "%zu),\n"
        "              each in the highest free block that fits, at its top, sized in\n"
        "              multiples of %zu B (tt_metal/impl/allocator/l1_banking_allocator.cpp,\n"
        "              bank_manager.cpp); a program fails when its circular buffers pass\n"
        "              the lowest L1 buffer or the end of L1 (program.cpp\n"
        "              validate_circular_buffer_region). %zu B for both together\n",
        l1->hi, l1->lo, l1->hi, l1->align, l1->hi - l1->lo);
    tg_cli_out(
        g,
        "              [%zu, %zu) L1_SMALL: %zu B (--l1-small-size; TTNN's default is 0,\n"
        "              DEFAULT_L1_SMALL_SIZE in tt_metal/hostdevcommon/.../common_values.hpp).\n"
        "              conv2d keeps its reader indices (config tensor) there unless\n"
        "              config_tensors_in_dram, so with 0 B every sharded conv2d that is\n"
        "              not a 1x1 matmul fails with TTNN's L1_SMALL out of memory; TTNN's\n"
        "              ResNet-50 tests open the device with 24576 B\n",
        l1->hi, l1->size, l1->size - l1->hi);
    tg_cli_out(
        g, "alignment     L1 buffers %zu B, circular buffers and DRAM pages %zu B (tt-metal HAL)\n",
        l1->align, a->dram_align);
}

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
    print_l1_map(g, c);
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
    .summary = "arch, grid, rank -> core map, L1 map and DRAM sizes, matrix kernel",
    .help = "usage: mpirun -np P ttgrid [global options] info\n\n"
            "Prints the arch preset, the core grid, which rank is which core (x, y) and on\n"
            "which host it runs, which DRAM banks each rank hosts, the L1 and DRAM sizes,\n"
            "the L1 map (the reserved bottom up to the unreserved base, where circular\n"
            "buffers and L1 buffers go, the L1_SMALL region of --l1-small-size, the\n"
            "alignments, and the source of each figure) and the matrix kernel in use\n"
            "(avx512, avx2 or portable: the widest this\n"
            "processor runs, or the one the TTGRID_KERNEL environment variable names).\n"
            "Takes no options of its own.\n",
};
