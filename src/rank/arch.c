/* Arch presets (DESIGN.md section 1). The figures come from Tenstorrent's public
 * documentation and tt-metal's sources; each carries its source. The L1 map (size,
 * unreserved base) is the one tests/ttnn/NOTES.md section 3 works out from the dev_mem_map.h
 * and HAL of each arch; the NoC figures are tt-npe's device models. */
#include "rank.h"

#include <string.h>

static const tg_arch presets[] = {
    {
        .name = "grayskull",
        .grid_w = 12, /* 12x9 Tensix compute grid: tt-metal docs, "Grayskull" spec sheet */
        .grid_h = 9,
        .l1_size =
            1048576, /* 1 MB L1 per Tensix: the paper, "Implementation ... Single Tensix Core" */
        /* MEM_MAP_END of tt_metal/hw/inc/grayskull/dev_mem_map.h @ 0345576256321697888cb6895
         * f950a7cf3f35be0 (firmware and local memory images); grayskull is gone from current
         * tt-metal, so its allocator base is not known: nothing more is reserved */
        .l1_unreserved = 91392,
        .l1_align = 16,  /* tt-metal hal: L1 buffers aligned to 16 B */
        .dram_banks = 8, /* 8 GB LPDDR4 in 8 channels: Grayskull e75/e150 spec sheet */
        .dram_bank_size = 1073741824,
        .dram_align = 32,
        .dram_gbps = 118.4,        /* e150 spec sheet: 118.4 GB/s */
        .clock_ghz = 1.2,          /* e150 spec sheet: 1.2 GHz AI clock */
        .noc_bytes_per_cycle = 32, /* tt-metal docs, "NoC": 32 B/cycle per link */
        .noc_hop_cycles = 9,
        /* older TTNN matmul and conv perf models: tensix_mul_adds_per_cycle_lofi =
         * (arch == WORMHOLE_B0) ? 4096 : 2048 (docs/device-model-sources.md, section 5) */
        .matmul_flop_per_cycle = 2048,
    },
    {
        .name = "wormhole_b0",
        .grid_w = 8, /* 8x8 compute grid on n150/n300: tt-metal docs, "Wormhole" */
        .grid_h = 8,
        .l1_size = 1499136, /* 1464 KiB: tt-metal wormhole dev_mem_map.h MEM_L1_SIZE */
        /* DEFAULT_UNRESERVED = ((MEM_MAP_END + 69 KiB kernel config - 1) | 31) + 1 with
         * MEM_MAP_END 32,128: tt_metal/hw/inc/internal/tt-1xx/wormhole/dev_mem_map.h and
         * tt_metal/llrt/hal/tt-1xx/wormhole/wh_hal_tensix.cpp @ 42bfdec046d219c23a9291f0113185
         * bfc4a4f5b9 (create_tensix_mem_map) */
        .l1_unreserved = 102784,
        .l1_align = 16,   /* tt-metal hal: L1 alignment 16 B */
        .dram_banks = 12, /* 12 GB GDDR6 in 12 channels: Wormhole n150 spec sheet */
        .dram_bank_size = 1073741824,
        .dram_align = 32,          /* tt-metal hal: DRAM alignment 32 B on Wormhole */
        .dram_gbps = 288.0,        /* n150 spec sheet: 288 GB/s */
        .clock_ghz = 1.0,          /* n150 spec sheet: 1 GHz AI clock */
        .noc_bytes_per_cycle = 32, /* tt-metal docs, "NoC": 32 B/cycle per link */
        /* tt-npe tt_npe/cpp/include/device_models/wormhole_b0.hpp @ 02dac0bd396c63c38409833e
         * 119242ecc4b1e529: CYCLES_PER_HOP = 10 */
        .noc_hop_cycles = 10,
        .matmul_flop_per_cycle =
            4096, /* tt-metal tech report "matrix engine": 4096 FLOP/cycle LoFi */
    },
    {
        .name = "blackhole",
        .grid_w = 13, /* 13x10 compute grid on p150: tt-metal docs, "Blackhole" */
        .grid_h = 10,
        .l1_size = 1572864, /* 1536 KiB: tt-metal blackhole dev_mem_map.h MEM_L1_SIZE */
        /* DEFAULT_UNRESERVED with MEM_MAP_END 40,704 and 64 B alignment:
         * tt_metal/hw/inc/internal/tt-1xx/blackhole/dev_mem_map.h @ 0079e942208586ff1e7ab8e
         * 3349ed91b3d93e8f5, bh_hal_tensix.cpp @ 0266e6f1f3b025345ea752018469941cada53034;
         * tt-mlir's Blackhole system descriptors carry l1_unreserved_base = 111360 too */
        .l1_unreserved = 111360,
        .l1_align = 16,
        .dram_banks = 8, /* 32 GB GDDR6 in 8 channels: Blackhole p150 spec sheet */
        .dram_bank_size = 4294967296ULL,
        .dram_align = 64,          /* tt-metal hal: DRAM alignment 64 B on Blackhole */
        .dram_gbps = 512.0,        /* p150 spec sheet: 512 GB/s */
        .clock_ghz = 1.35,         /* p150 spec sheet: 1.35 GHz AI clock */
        .noc_bytes_per_cycle = 64, /* tt-metal docs: 64 B/cycle NoC links on Blackhole */
        /* tt-npe tt_npe/cpp/include/device_models/blackhole.hpp @ 02dac0bd396c63c38409833e11
         * 9242ecc4b1e529: CYCLES_PER_HOP = 11 */
        .noc_hop_cycles = 11,
        .matmul_flop_per_cycle = 4096,
    },
};

int tg_arch_count(void) {
    return (int)(sizeof presets / sizeof presets[0]);
}

const tg_arch *tg_arch_at(int i) {
    return (i >= 0 && i < tg_arch_count()) ? &presets[i] : NULL;
}

const tg_arch *tg_arch_find(const char *name) {
    for (int i = 0; i < tg_arch_count(); i++)
        if (strcmp(presets[i].name, name) == 0) return &presets[i];
    return NULL;
}

const tg_arch *tg_arch_default(void) {
    return &presets[1];
}
