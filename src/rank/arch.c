/* Arch presets (DESIGN.md section 1). The figures come from Tenstorrent's public
 * documentation; each carries its source. */
#include "rank.h"

#include <string.h>

static const tg_arch presets[] = {
    {
        .name = "grayskull",
        .grid_w = 12, /* 12x9 Tensix compute grid: tt-metal docs, "Grayskull" spec sheet */
        .grid_h = 9,
        .l1_size =
            1048576,    /* 1 MB L1 per Tensix: the paper, "Implementation ... Single Tensix Core" */
        .l1_align = 16, /* tt-metal hal: L1 buffers aligned to 16 B */
        .dram_banks = 8, /* 8 GB LPDDR4 in 8 channels: Grayskull e75/e150 spec sheet */
        .dram_bank_size = 1073741824,
        .dram_align = 32,
        .dram_gbps = 118.4,        /* e150 spec sheet: 118.4 GB/s */
        .clock_ghz = 1.2,          /* e150 spec sheet: 1.2 GHz AI clock */
        .noc_bytes_per_cycle = 32, /* tt-metal docs, "NoC": 32 B/cycle per link */
        .noc_hop_cycles = 9,
        .matmul_flop_per_cycle =
            4096, /* tt-metal tech report "matrix engine": 4096 FLOP/cycle LoFi */
    },
    {
        .name = "wormhole_b0",
        .grid_w = 8, /* 8x8 compute grid on n150/n300: tt-metal docs, "Wormhole" */
        .grid_h = 8,
        .l1_size = 1499136, /* 1464 KiB: tt-metal wormhole dev_mem_map.h MEM_L1_SIZE */
        .l1_align = 16,     /* tt-metal hal: L1 alignment 16 B */
        .dram_banks = 12,   /* 12 GB GDDR6 in 12 channels: Wormhole n150 spec sheet */
        .dram_bank_size = 1073741824,
        .dram_align = 32,          /* tt-metal hal: DRAM alignment 32 B on Wormhole */
        .dram_gbps = 288.0,        /* n150 spec sheet: 288 GB/s */
        .clock_ghz = 1.0,          /* n150 spec sheet: 1 GHz AI clock */
        .noc_bytes_per_cycle = 32, /* tt-metal docs, "NoC": 32 B/cycle per link */
        .noc_hop_cycles = 9,       /* tt-metal tech report on NoC latency: ~9 cycles/hop */
        .matmul_flop_per_cycle =
            4096, /* tt-metal tech report "matrix engine": 4096 FLOP/cycle LoFi */
    },
    {
        .name = "blackhole",
        .grid_w = 13, /* 13x10 compute grid on p150: tt-metal docs, "Blackhole" */
        .grid_h = 10,
        .l1_size = 1499136, /* as DESIGN.md section 1 gives it for Blackhole */
        .l1_align = 16,
        .dram_banks = 8, /* 32 GB GDDR6 in 8 channels: Blackhole p150 spec sheet */
        .dram_bank_size = 4294967296ULL,
        .dram_align = 64,          /* tt-metal hal: DRAM alignment 64 B on Blackhole */
        .dram_gbps = 512.0,        /* p150 spec sheet: 512 GB/s */
        .clock_ghz = 1.35,         /* p150 spec sheet: 1.35 GHz AI clock */
        .noc_bytes_per_cycle = 64, /* tt-metal docs: 64 B/cycle NoC links on Blackhole */
        .noc_hop_cycles = 9,
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
