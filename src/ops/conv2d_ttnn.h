/* conv2d as TTNN sizes it in L1 (issue 10; DESIGN.md section 5).
 *
 * A transcription of the rules by which current TTNN (tenstorrent/tt-metal) configures a
 * sharded conv2d and sizes its circular buffers (CBs) and L1 buffers: the parallel
 * configuration, the block configuration, every CB of the conv program (or of the 1x1
 * matmul path's program), the halo program's CBs, the halo output, the conv's config
 * tensor in L1_SMALL, TTNN's automatic shard layout, and TTNN's error texts. Each rule
 * cites its source beside it ([SHORT function]); the table of sources (file, commit) and
 * the order conv2d_L1 applies the rules are in impl/conv2d_ttnn_impl.h. tests/ttnn/
 * holds an independent Python transcription of the same sources and the conformance
 * table (tests/ttnn/expected.json) this module must equal.
 *
 * Pure: a config in, a plan out; no L1 is touched. Where the buffers land is the job
 * of an L1 model that replays the plan's events: L1 buffers top-down below L1_SMALL,
 * each program's CBs from the arch's unreserved base upward, each CB aligned to the
 * DRAM alignment, checked against the lowest L1 buffer (tg_l1_ttnn_cb_text, rank.h) and the L1
 * size; an allocation that does not fit is TTNN's out-of-memory (tg_l1_ttnn_oom_text).
 *
 * Not transcribed (see tests/ttnn/NOTES.md section 8): groups > 1, conv_transpose2d,
 * DRAM slicing, kernel-stride folding, transposed (COL_MAJOR) shards, an explicit
 * core_grid, the halo's own config tensors, and the interleaved matmul TTNN runs for
 * an automatically sharded 1x1 conv (planned here as sharded; plan.auto_mm_note). */
#ifndef TG_CONV2D_TTNN_H
#define TG_CONV2D_TTNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "rank.h"
#include "shard.h"

typedef enum { TG_TTNN_ROW_MAJOR = 0, TG_TTNN_TILE = 1 } tg_ttnn_layout;

/* One device's L1 as TTNN's allocator sees it, per arch (conv2d_ttnn.c cites each
 * figure; the lead moves them into tg_arch). The L1 allocator's bank is [base, l1_size -
 * l1_small_size); L1_SMALL is the top l1_small_size bytes. */
typedef struct tg_ttnn_l1_figures {
    const char *arch;
    size_t l1_size;            /* MEM_L1_SIZE: the "max L1 size" of the CB error */
    size_t mem_map_end;        /* end of firmware, mailboxes and fabric tables */
    size_t kernel_config_size; /* default_l1_kernel_config_size */
    size_t base;               /* unreserved base: CBs from here up, lowest L1 buffer address */
    size_t l1_align;           /* L1 buffers are rounded up to this per bank */
    size_t dram_align;         /* each CB's address is aligned to this */
    bool is_blackhole;
} tg_ttnn_l1_figures;

/* The figures of arch (by its name); TG_ERR_USAGE for an arch TTNN no longer has
 * (grayskull). */
tg_status tg_ttnn_l1_figures_of(const tg_arch *arch, tg_ttnn_l1_figures *out);

/* A conv2d as ttnn.conv2d is asked for it: the op's arguments, Conv2dConfig and the
 * compute config. -1 in an int field marked so means "unset": TTNN's rule decides. */
typedef struct tg_ttnn_conv2d_config {
    const tg_arch *arch; /* wormhole_b0 or blackhole */
    tg_grid grid;        /* compute grid available (0x0: the arch's) */
    int64_t batch, in_h, in_w, in_c, out_c;
    int kh, kw, sh, sw, dh, dw, pad_t, pad_b, pad_l, pad_r;
    bool bias;
    int layout; /* tg_shard_layout, or -1: TTNN's automatic choice */
    tg_fmt input_dtype;
    tg_fmt weights_tensor_dtype; /* the weights tensor's format */
    int weights_dtype;           /* Conv2dConfig.weights_dtype (tg_fmt), -1: the tensor's */
    int output_dtype;            /* tg_fmt, -1: the input's */
    tg_ttnn_layout input_layout, output_layout;
    int act_block_h_override; /* rows, a multiple of 32; 0: the whole shard */
    int act_block_w_div;
    bool act_double_buffer, weights_double_buffer, full_inner_dim, activation_reuse;
    int force_split_reader; /* 0 or 1; -1: TTNN's heuristic */
    bool config_tensors_in_dram, deallocate_activation, reallocate_halo_output;
    int fp32_dest_acc; /* 0 or 1; -1: on when input and weights are both float32 */
    bool packer_l1_acc;
    size_t l1_small_size; /* the device's L1_SMALL region (TTNN's default 0) */
    /* The input is already sharded in L1 (and TTNN keeps it): its parallel config and
     * shard shape. Otherwise TTNN shards it itself. */
    bool has_input_shard;
    int input_num_cores_nhw, input_num_cores_c; /* c: block's grid columns (0 = 1) */
    int64_t input_shard_h, input_shard_w;
} tg_ttnn_conv2d_config;

/* TTNN's defaults: Conv2dConfig's (automatic layout, TILE output, no double buffers,
 * reallocate_halo_output, act_block_w_div 1, the split-reader heuristic), the compute
 * config's (fp32 accumulation and packer L1 accumulation decided by TTNN), weights and
 * output formats from the tensors, L1_SMALL 0; batch 1, bfloat16 row-major input, a
 * bias, a 1x1 kernel of stride and dilation 1 without padding; wormhole_b0. The shape
 * is the caller's. */
void tg_ttnn_conv2d_defaults(tg_ttnn_conv2d_config *c);

/* One buffer of the conv as TTNN allocates it. */
typedef enum {
    TG_TTNN_CB,        /* a CB with its own space in the program's CB region */
    TG_TTNN_CB_ALIAS,  /* a CB on an L1 buffer (globally allocated): no CB space */
    TG_TTNN_L1_BUFFER, /* a sharded L1 buffer: allocated top-down */
    TG_TTNN_L1_SMALL,  /* a buffer in the L1_SMALL region (the conv's config tensor) */
} tg_ttnn_kind;

typedef struct tg_ttnn_buffer {
    char name[40]; /* TTNN's name: "WEIGHTS", "MM_IN1 weights (c_1)", "halo output" */
    tg_ttnn_kind kind;
    int64_t pages;
    size_t page_size;
    size_t bytes;        /* per core (per bank): pages * page_size, L1 buffers aligned */
    const char *program; /* CBs: "conv", "matmul" or "halo"; NULL for buffers */
} tg_ttnn_buffer;

/* The L1 events of TTNN's conv2d_L1 in order, for an L1 model to replay: allocate or
 * free an L1 buffer (top-down; an L1_SMALL buffer in the L1_SMALL region), or start a
 * program whose CBs (buffers[cb0 .. cb0 + ncbs), in creation order) are placed from the
 * unreserved base upward and checked against the lowest L1 buffer. */
typedef enum { TG_TTNN_EV_ALLOC, TG_TTNN_EV_FREE, TG_TTNN_EV_PROGRAM } tg_ttnn_event_kind;

typedef struct tg_ttnn_event {
    tg_ttnn_event_kind kind;
    int buffer;    /* ALLOC, FREE: index in buffers */
    int cb0, ncbs; /* PROGRAM */
} tg_ttnn_event;

/* One layout's per-core L1 estimate when TTNN chooses the layout itself
 * [CU calculate_L1_usage_for_conv_op]. */
typedef struct tg_ttnn_estimate {
    bool valid; /* false: TTNN would fail configuring it (why says how) */
    char why[200];
    size_t cb_bytes, output_bytes, halo_bytes, total;
    int core_count;
} tg_ttnn_estimate;

#define TG_TTNN_MAX_BUFFERS 32
#define TG_TTNN_MAX_EVENTS 16

typedef struct tg_ttnn_conv2d_plan {
    int layout;        /* tg_shard_layout, resolved */
    bool mm_conv;      /* 1x1 stride 1 without padding: ttnn::linear, not the conv op */
    bool auto_layout;  /* the layout is TTNN's automatic choice (est holds the estimates) */
    bool auto_mm_note; /* TTNN would run this automatically sharded 1x1 conv as an
                        * interleaved matmul, which is not modelled */
    tg_fmt weights_dtype, output_dtype, partials_dtype;
    bool fp32_dest_acc;
    int64_t out_h, out_w;

    /* L1 map */
    tg_ttnn_l1_figures l1;
    size_t l1_small_size;
    int num_banks;       /* cores the L1 buffers are spread over */
    char core_range[48]; /* of the conv program: "[(x=0,y=0) - (x=7,y=7)]" */

    /* parallel configuration [CU determine_parallel_config, ..._output_parallel_config] */
    int num_cores_nhw, num_cores_c_in, num_cores_c_out;
    int num_cores_in, num_cores_out;
    tg_grid grid_in, grid_out, grid; /* bounding boxes; grid: the program's */
    int64_t input_shard_h, input_shard_w;
    int64_t output_shard_h, output_shard_w;
    int64_t per_core_out_h_ntiles, per_core_out_w_ntiles;
    int64_t in_c_padded, out_c_padded;
    int in_c_alignment;

    /* block configuration [CU determine_per_core_conv_block_config; CBI get_cb_info;
     * matmul: C2D determine_matmul_op_config_from_conv_op_config] */
    int64_t act_block_h_ntiles, act_block_w_ntiles; /* matmul: per_core_M, in0_block_w */
    int out_subblock_h_ntiles, out_subblock_w_ntiles;
    int64_t num_blocks_act_h, num_blocks_act_w; /* matmul: 1, num_blocks of K */
    int64_t in0_num_blocks_w;                   /* conv: K blocks the packer accumulates */
    bool split_reader, split_reader_viable, packer_l1_acc_en;
    int64_t weights_rows, weights_cols; /* the prepared weight matrix [1, 1, rows, cols] */
    bool mm_mcast_in0;                  /* matmul: 2D (block) multicasts in0 too */
    bool mm_interm0_shares_out;         /* matmul: partials on the output buffer */

    tg_ttnn_buffer buffers[TG_TTNN_MAX_BUFFERS];
    int nbuffers;
    tg_ttnn_event events[TG_TTNN_MAX_EVENTS];
    int nevents;

    int64_t halo_sticks;    /* halo output shard height: max_out_nsticks_per_core (0: none) */
    int64_t reader_indices; /* entries of the conv's config tensor (0: matmul path) */

    tg_ttnn_estimate est[3]; /* by tg_shard_layout, when auto_layout */
} tg_ttnn_conv2d_plan;

/* TTNN's configuration and buffers of one conv2d. A TT_FATAL TTNN would raise while
 * configuring is TG_ERR_USAGE with TTNN's words ("TT_FATAL: ..."); so are parameters
 * outside what is transcribed. Whether it fits is the L1 model's answer. Pure. */
tg_status tg_ttnn_conv2d_plan_make(const tg_ttnn_conv2d_config *c, tg_ttnn_conv2d_plan *out);

/* The buffer named `name`, or NULL. */
const tg_ttnn_buffer *tg_ttnn_plan_buffer(const tg_ttnn_conv2d_plan *p, const char *name);

const char *tg_ttnn_kind_name(tg_ttnn_kind k);

#endif
