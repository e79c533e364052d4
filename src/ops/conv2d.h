/* conv2d on the grid (DESIGN.md section 5; the paper, "Convolution Operation on
 * Tenstorrent Architecture", "Sharding", "Sharded Input Data Movement Across Cores").
 *
 * Convolution as matrix multiply: the activation matrix [N*Ho*Wo, Kh*Kw*Cin], built
 * block by block from the haloed shard (never whole), times the weights
 * [Kh*Kw*Cin, Cout] (permuted to [Kh, Kw, Cin, Cout], flattened, padded to tiles),
 * plus bias, then ReLU, then rounding to the output format. Output [1, 1, N*Ho*Wo,
 * Cout] (NHWC after a reshape).
 *
 * Planning (tg_conv2d_plan_make) is pure: layout, shard specs, halo, blocks and the
 * per-core L1 budget. Running (tg_conv2d_run) executes a plan: every circular
 * buffer is a real L1 allocation, weights come from DRAM through the NoC, and
 * block/width sharding multicast activation blocks along grid rows. */
#ifndef TG_CONV2D_H
#define TG_CONV2D_H

#include "halo.h"
#include "tensor.h"
#include "window.h"

typedef enum {
    TG_CONV_HEIGHT = 0,
    TG_CONV_WIDTH = 1,
    TG_CONV_BLOCK = 2,
    TG_CONV_DRAM = 3, /* "none": interleaved DRAM in and out, cores stream blocks */
    TG_CONV_AUTO = 4,
} tg_conv_layout;

/* Math fidelity: the number of multiplier phases (tt-metal tech report "Matrix
 * Engine": Wormhole multipliers are 5b x 7b, SrcA takes 1 hidden + 4 mantissa bits
 * per phase, SrcB 1 hidden + 6). */
typedef enum { TG_LOFI = 1, TG_HIFI2 = 2, TG_HIFI3 = 3, TG_HIFI4 = 4 } tg_fidelity;

tg_status tg_conv_layout_parse(const char *s, tg_conv_layout *out);
const char *tg_conv_layout_name(tg_conv_layout l);
tg_status tg_fidelity_parse(const char *s, tg_fidelity *out);
const char *tg_fidelity_name(tg_fidelity f);

/* Every parameter of ttnn.conv2d that changes results or memory (the paper,
 * "conv2d", "Conv2dConfig", "Compute Config"). */
typedef struct tg_conv2d_params {
    int64_t n, h, w, cin, cout; /* input NHWC and output channels */
    int kh, kw, sh, sw, dh, dw;
    int pad_t, pad_b, pad_l, pad_r;
    int groups;
    bool has_bias, relu;
    tg_conv_layout layout;
    tg_grid cores; /* core grid (0x0: the whole machine grid) */
    bool transpose_shards;
    int act_block_h;     /* act_block_h_override, rows (0: TTNN's default) */
    int act_block_w_div; /* width sharding: divides act_block_w */
    tg_fmt in_fmt, w_fmt, out_fmt;
    tg_fidelity fidelity;
    bool fp32_acc;
    bool act_double_buffer, weights_double_buffer;
    bool deallocate_activation;
    bool snap; /* shard heights in multiples of 32 (TTNN); off: even split */
    tg_halo_mode halo_mode;
} tg_conv2d_params;

/* Defaults of ttnn.conv2d: bfloat16, HiFi4 (the paper's compute config), no fp32
 * accumulation, automatic layout, tile-snapped shards, pull halo. */
void tg_conv2d_params_default(tg_conv2d_params *p);

/* One buffer of the per-core L1 budget. */
typedef struct tg_l1_item {
    char name[40];
    size_t bytes;
} tg_l1_item;

#define TG_CONV_MAX_ITEMS 16

typedef struct tg_conv2d_plan {
    tg_conv2d_params p; /* layout resolved */
    tg_window win;
    bool matmul_path;              /* 1x1, stride 1, no padding: no halo, no im2col */
    tg_grid cores;                 /* the conv's core rectangle */
    int row_parts;                 /* pieces of the N*H*W rows */
    int col_parts;                 /* pieces of the channels (block: grid columns; width: cores) */
    int64_t cin_g, cout_g;         /* channels per group */
    int64_t cin_p, cout_p;         /* channels padded to 16 (below 32) or 32 */
    int64_t cin_slice, cout_slice; /* per column part */
    int64_t k_rows;                /* rows of the weight matrix (padded) */
    int64_t k_turn;                /* rows per column part (block/width) */
    tg_split in_split, out_split;  /* rows per part */
    int64_t out_rows;
    /* blocks */
    int64_t act_block_h;      /* output rows per block */
    int64_t act_block_w;      /* K rows per block */
    int64_t kblocks_per_turn; /* K blocks per column part */
    int64_t weights_block_w;  /* output channels per weight block */
    int64_t nblocks_w;        /* weight blocks across this core's output channels */
    bool weights_resident;    /* the whole K of a weight block stays in L1 */
    bool dram_cols;           /* DRAM layout: cores split the output channels, not rows */
    int64_t cout_part;        /* DRAM layout: output channels per core */
    int sub_h, sub_w;         /* output sub-block, tiles */
    int64_t halo_cap;         /* haloed sticks (or DRAM window sticks) */
    /* per-core L1 budget */
    tg_l1_item items[TG_CONV_MAX_ITEMS];
    int nitems;
    size_t l1_total, l1_limit;
    int largest; /* index of the largest item */
} tg_conv2d_plan;

/* The conv's circular buffers, in the order tg_conv2d_run allocates them (after the
 * output and haloed shards); a size of 0 means the run has no such buffer. */
enum {
    TG_CONV_CB_WINDOW, /* DRAM layout: the input window of one block */
    TG_CONV_CB_ACT,
    TG_CONV_CB_MCAST,
    TG_CONV_CB_WEIGHTS,
    TG_CONV_CB_BIAS,
    TG_CONV_CB_PARTIALS,
    TG_CONV_CB_OUTBLOCK, /* DRAM layout: one output block */
    TG_CONV_NCB
};
extern const char *const tg_conv_cb_names[TG_CONV_NCB];
void tg_conv2d_cb_sizes(const tg_conv2d_plan *pl, size_t sizes[TG_CONV_NCB]);
/* Bytes per core of the input shard (in the plan's spec), the output shard and the
 * haloed shard (0 on the matmul path and for the DRAM layout). */
size_t tg_conv2d_input_bytes(const tg_conv2d_plan *pl);
size_t tg_conv2d_output_bytes(const tg_conv2d_plan *pl);
size_t tg_conv2d_haloed_bytes(const tg_conv2d_plan *pl);

/* Plans the conv on a machine grid with `l1_size` bytes per core of which
 * `l1_other` are held by other live buffers. Bad parameters are TG_ERR_USAGE; a
 * plan whose L1 budget exceeds the limit is TG_ERR_RUNTIME with TTNN-style numbers
 * and a hint. */
tg_status tg_conv2d_plan_make(const tg_conv2d_params *p, tg_grid machine, size_t l1_size,
                              size_t l1_other, tg_conv2d_plan *out);
/* Like tg_conv2d_plan_make but keeps the plan when it does not fit (for reports). */
tg_status tg_conv2d_plan_try(const tg_conv2d_params *p, tg_grid machine, size_t l1_size,
                             size_t l1_other, tg_conv2d_plan *out, bool *fits);

/* Weights and bias prepared as the paper says, held in DRAM. */
typedef struct tg_conv2d_weights {
    tg_dram_buf w;    /* [k_rows pages of cout_p values], in the layout's K order */
    tg_dram_buf bias; /* one page of cout_p values (the [32, Cout] tile's first row) */
    bool has_bias;
    tg_fmt fmt;
} tg_conv2d_weights;

/* The output channels [*co0, *co1) of a conv with `cout` of them whose weights this
 * rank prepares (an even split in whole tiles; possibly empty). */
void tg_conv2d_weight_cols(int64_t cout, int64_t *co0, int64_t *co1);
/* Prepares this rank's output channels of the weights, host [co1 - co0, Cin/groups,
 * Kh, Kw] with their bias [co1 - co0] (NULL: no bias) as the paper says (permuted to
 * [Kh, Kw, Cin, Cout], grouped block-diagonal, padded) and writes them into the
 * interleaved DRAM weight matrix: every rank plays the host for its columns.
 * Collective. */
tg_status tg_conv2d_weights_load(const tg_conv2d_plan *plan, const float *weight_cols,
                                 const float *bias_cols, tg_conv2d_weights *out);
void tg_conv2d_weights_free(tg_conv2d_weights *w);

/* Whether running the plan on `in` fits this core's L1 as it is now, fragmentation
 * included: replays the run's allocations and frees on a copy of the allocator. */
bool tg_conv2d_fits_now(const tg_conv2d_plan *pl, const tg_tensor *in);

/* Runs the conv: `in` is the input (L1 in any layout, or DRAM); `out` receives the
 * output, allocated here (L1 sharded by the plan's layout, or DRAM for "none").
 * With deallocate_activation the input is freed. Collective. */
tg_status tg_conv2d_run(const tg_conv2d_plan *plan, tg_tensor *in, const tg_conv2d_weights *w,
                        tg_tensor *out);

#endif
