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

#include "conv2d_ttnn.h"
#include "halo.h"
#include "tensor.h"
#include "timeline.h"
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
    int act_block_h;               /* act_block_h_override, rows (0: TTNN's default) */
    int act_block_w_div;           /* width sharding: divides act_block_w */
    tg_fmt in_fmt, w_fmt, out_fmt; /* w_fmt: the weights tensor's, unless --weights-dtype */
    tg_fidelity fidelity;
    int fp32_acc; /* 1, 0, or -1: TTNN's default (on when input and weights are float32) */
    bool act_double_buffer, weights_double_buffer;
    bool deallocate_activation;
    /* Conv2dConfig fields that change TTNN's buffers (conv2d_ttnn.h) */
    bool full_inner_dim;         /* block: K blocks span every kernel row */
    bool activation_reuse;       /* height: enable_activation_reuse */
    bool config_tensors_in_dram; /* the reader indices in DRAM, not L1_SMALL */
    bool reallocate_halo_output; /* move the halo output up after freeing the input */
    int force_split_reader;      /* 1, 0, or -1: TTNN's heuristic */
    bool packer_l1_acc;          /* compute config: accumulate partials in L1 */
    bool out_row_major;          /* output_layout ROW_MAJOR (TTNN's default: TILE) */
    bool in_tile;                /* the input is in TILE layout (a conv's output; bfloat8_b) */
    bool snap;                   /* shard heights in multiples of 32 (TTNN); off: even split */
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

/* One core's part in the conv: which rows and channels it computes, whom it reads the
 * weights from, and with whom it exchanges activation blocks. */
typedef struct tg_conv2d_role {
    bool in_grid;           /* inside the conv's core rectangle */
    bool row_busy;          /* its row part holds output rows (trailing ones may not) */
    bool busy;              /* ... and it computes some: an output channel part */
    bool sends;             /* block, width: ... and it holds an input channel part */
    int rp, cp;             /* row part and channel part */
    int64_t o_begin, o_end; /* output rows [o_begin, o_end) */
    int64_t c_base;         /* DRAM layout split by channels: first output channel */
    /* weights (sharded layouts): read from DRAM by one core of each sharing group and
     * multicast to the group; width sharding: every core reads its own */
    bool reads_weights;
    int w_root;        /* the core that multicasts to my group (me when I send) */
    tg_rect w_rect;    /* the cores that receive it */
    tg_core_set w_set; /* the set that takes part in the multicast */
    uint64_t w_bytes;  /* bytes multicast by the root (0: nothing) */
    /* activations (block, width): my row of cores takes turns multicasting */
    tg_core_set a_set;
    tg_rect a_rect; /* the cores of my rows */
    bool idle_set;  /* my whole row set holds no outputs: it skips the turns */
} tg_conv2d_role;

typedef struct tg_conv2d_plan {
    tg_conv2d_params p; /* layout resolved */
    tg_machine m;
    tg_window win;
    /* sharded layouts: TTNN's configuration and buffers (conv2d_ttnn.h), from which
     * everything below is taken; the DRAM layout is ttgrid's own */
    bool ttnn;
    tg_ttnn_conv2d_plan tt;
    bool in_place;                 /* the input is already sharded as TTNN keeps it */
    bool matmul_path;              /* TTNN's 1x1 matmul path: no halo, no im2col */
    tg_grid cores;                 /* the conv's cores: the bounding box of TTNN's range */
    int row_parts;                 /* pieces of the N*H*W rows (TTNN's num_cores_nhw) */
    int col_parts;                 /* pieces of the input channels: the turns (block: grid
                                    * columns; width: cores) */
    int out_parts;                 /* pieces of the output channels */
    int64_t cin_g, cout_g;         /* channels per group */
    int64_t cin_p, cout_p;         /* channels padded (TTNN's in/out_channels_padded) */
    int64_t cin_slice, cout_slice; /* per channel part: the shard widths */
    int64_t k_rows;                /* rows of the weight matrix (padded) */
    int64_t k_turn;                /* K of one turn: taps x cin_slice (height: all K) */
    tg_split in_split, out_split;  /* rows per part */
    int64_t out_rows;
    int busy_parts; /* row parts that hold output rows */
    /* blocks */
    int64_t act_block_h;      /* output rows per block */
    int64_t act_block_w;      /* K columns per K block (TTNN's act_block_w holds it, padded) */
    int64_t kblocks_per_turn; /* K blocks per turn */
    int64_t weights_block_w;  /* output channels per weight block */
    int64_t nblocks_w;        /* weight blocks across this core's output channels */
    bool weights_resident;    /* the whole K of a weight block stays in L1; else the weights
                               * CB takes one K block at a time, in w_slots slots */
    int w_slots;
    tg_fmt act_fmt;    /* block/width: the multicast activation block's format
                        * (TTNN's tilized act CB: the output's) */
    int64_t act_cols;  /* ... and its width: TTNN's act_block_w in values */
    bool dram_cols;    /* DRAM layout: cores split the output channels, not rows */
    int64_t cout_part; /* DRAM layout: output channels per core */
    int sub_h, sub_w;  /* output sub-block, tiles */
    int64_t halo_cap;  /* haloed sticks (or DRAM window sticks) */
    /* per-core L1 budget by the paper's rule */
    tg_l1_item items[TG_CONV_MAX_ITEMS];
    int nitems;
    size_t l1_total, l1_limit;
    int largest; /* index of the largest item */

    /* ---- materialised by tg_conv2d_plan_fit (freed by tg_conv2d_plan_free) ---- */
    tg_tensor in;                           /* the input as the run finds it (a description) */
    bool evict_shortcut;                    /* the run first moves the shortcut tensor to DRAM */
    bool evict_input;                       /* ... and the input itself (DRAM layout) */
    bool staged;                            /* the input moves into the conv's layout first */
    tg_tensor stage;                        /* ... as this tensor */
    tg_halo_plan halo;                      /* sharded layouts but the matmul path */
    tg_l1_map l1;                           /* every L1 allocation and free of the run, in order */
    int ev_stage, ev_out, ev_halo, ev_prog; /* their events (-1: none) */
    int ev_halo_prog, ev_halo_move;         /* the halo program; the halo moved up */
    int ev_tilized, ev_small;               /* the tilized input; the reader indices */
    bool free_input_early;                  /* deallocate_activation: the input goes
                                             * after the halo (or the tilize) */
    int cb[8];                              /* each circular buffer's index in l1.cbs, or -1 */
    tg_traffic traffic;                     /* what each core moves */
    tg_conv2d_role *roles;                  /* [cores of the machine] */
    tg_timeline time;                       /* the device's time (conv2d_timeline.c) */
    bool materialised;
} tg_conv2d_plan;

/* What the run keeps in which circular buffer (the DRAM layout's own CBs, or TTNN's):
 * the index of each in l1.cbs is cb[role], -1 when the plan has none. */
enum {
    TG_CONV_CB_WINDOW,   /* DRAM layout: the input window of one block */
    TG_CONV_CB_ACT,      /* the gathered block: height's ACT (float32 input), block and
                          * width's ACT_TILIZED (the sender's), matmul's MM_IN0 */
    TG_CONV_CB_MCAST,    /* the received block: ACT, or MM_IN0 */
    TG_CONV_CB_WEIGHTS,  /* WEIGHTS, MM_IN1 */
    TG_CONV_CB_BIAS,     /* BIAS, MM_BIAS */
    TG_CONV_CB_PARTIALS, /* DRAM layout: partial sums (TTNN's stay in DST here) */
    TG_CONV_CB_OUTBLOCK, /* DRAM layout: one output block */
    TG_CONV_NCB
};
extern const char *const tg_conv_cb_names[TG_CONV_NCB];
void tg_conv2d_cb_sizes(const tg_conv2d_plan *pl, size_t sizes[TG_CONV_NCB]);
/* A sharded plan's input and output specs, as TTNN shards them (tg_shard_spec_make_shape). */
tg_status tg_conv2d_input_spec(const tg_conv2d_plan *pl, tg_shard_spec *s);
tg_status tg_conv2d_output_spec(const tg_conv2d_plan *pl, tg_shard_spec *s);
/* The DRAM layout's budget: bytes per core of the input shard, the output shard and the
 * haloed shard (0 there). */
size_t tg_conv2d_input_bytes(const tg_conv2d_plan *pl);
size_t tg_conv2d_output_bytes(const tg_conv2d_plan *pl);
size_t tg_conv2d_haloed_bytes(const tg_conv2d_plan *pl);

/* Why each candidate a planner tried was taken or rejected. */
#define TG_EXPLAIN_MAX 64
typedef struct tg_explain {
    int n;
    struct {
        char what[112];
        char why[400];
        bool chosen;
    } c[TG_EXPLAIN_MAX];
} tg_explain;

/* Where a conv runs: the input as it is, and another live L1 tensor the planner may
 * move to DRAM to make room (the residual shortcut), or NULL. */
typedef struct tg_conv2d_site {
    const tg_tensor *in;
    const tg_tensor *shortcut;
    bool fallbacks; /* on no fit: smaller act blocks, other layouts, moving the shortcut and
                     * the input to DRAM, the DRAM layout (ResNet-50's placement); else the
                     * configured conv or TTNN's error */
} tg_conv2d_site;

/* Plans the conv on machine m from a snapshot of the L1 allocator (pure: no MPI, no
 * data): resolves the layout (TTNN's automatic rule for TG_CONV_AUTO), sizes the
 * blocks, replays every L1 allocation of the run on the snapshot, and materialises
 * the roles, halo and traffic of every core. Candidates are tried in TTNN's order of
 * preference; `why` (may be NULL) receives each with the reason it was taken or not.
 * Bad parameters are TG_ERR_USAGE; no candidate fitting is TG_ERR_RUNTIME with
 * TTNN-style numbers and a hint, and *out then holds the last candidate (for reports,
 * freed by the caller as always). */
tg_status tg_conv2d_plan_fit(const tg_conv2d_params *p, const tg_machine *m, const tg_l1 *snapshot,
                             const tg_conv2d_site *site, tg_conv2d_plan *out, tg_explain *why);
void tg_conv2d_plan_free(tg_conv2d_plan *pl);
/* The device's time of a materialised plan at `site` (timeline.h): the moves to DRAM,
 * the input resharded, the halo and the conv. With `spans`, every busy interval. The
 * plan keeps one without spans in pl->time. */
tg_status tg_conv2d_timeline(const tg_conv2d_plan *pl, const tg_conv2d_site *site, bool spans,
                             tg_timeline *out);
/* The plan on the machine's empty L1 with the input in interleaved DRAM, as the conv2d
 * command and `ttgrid plan conv2d` see it. */
tg_status tg_conv2d_plan_standalone(const tg_conv2d_params *p, const tg_machine *m,
                                    tg_conv2d_plan *out, tg_explain *why);

/* ---- the schedule: what one core does, step by step ---- */

typedef enum {
    TG_CONV_STEP_XFER,        /* a transfer or synchronisation (plan.h); DRAM buffers: */
    TG_CONV_STEP_ZERO,        /* zero bytes of L1 at off */
    TG_CONV_STEP_W_UNPACK,    /* the weights CB [rows x cols] to the matrix engine */
    TG_CONV_STEP_BIAS_UNPACK, /* the bias CB's first cols values */
    TG_CONV_STEP_ACC_ZERO,    /* clear the accumulator [act_block_h x cols] */
    TG_CONV_STEP_GATHER,      /* im2col of outputs [o0, o0+m), K [k0, k1) from the source
                               * into the act CB, packed in the input format */
    TG_CONV_STEP_MATMUL,      /* acc += A x W[kw + .., c..]: A gathered from the source
                               * (or, from_cb, the received block at off) */
    TG_CONV_STEP_EPILOGUE,    /* bias, ReLU, rounding: acc rows to the output (shard row
                               * o0 - o_begin, or the output block CB) */
} tg_conv2d_step_kind;

enum { TG_CONV_BUF_INPUT = 0, TG_CONV_BUF_WEIGHTS, TG_CONV_BUF_BIAS, TG_CONV_BUF_OUTPUT };

typedef struct tg_conv2d_step {
    tg_conv2d_step_kind kind;
    tg_xfer x;
    size_t off, bytes;  /* ZERO; MATMUL from_cb: the block's offset */
    int64_t o0, m;      /* output rows */
    int64_t k0, k1;     /* K columns of the block */
    int64_t kw;         /* MATMUL: first weight row in the unpacked weights */
    int64_t rows, cols; /* W_UNPACK, BIAS_UNPACK, ACC_ZERO, MATMUL: output channels */
    int64_t c0;         /* W_UNPACK: the CB holds weight rows [k0, k1) of channels c0.. */
    int64_t origin;     /* GATHER, MATMUL: padded index of the source's first stick */
    int src;            /* GATHER, MATMUL: 0 the haloed shard (or the input shard on the
                         * matmul path), 1 the DRAM window CB */
    bool from_cb, last; /* MATMUL: A is a received block; the last K block */
    bool to_block;      /* EPILOGUE: into the output block CB, not the shard */
    bool weights;       /* XFER: bringing weights or bias in (TTNN's conv writer kernel) */
} tg_conv2d_step;

typedef void (*tg_conv2d_step_fn)(void *ctx, const tg_conv2d_step *s);
/* Emits core `core`'s steps after the input is staged and haloed and the buffers are
 * allocated (at the offsets of the plan's L1 map): weights, activation blocks,
 * multiplies, outputs, and the final sync. The plan must be materialised. */
void tg_conv2d_schedule(const tg_conv2d_plan *pl, int core, tg_conv2d_step_fn fn, void *ctx);

/* Weights and bias prepared as the paper says, held in DRAM. The weight matrix
 * [k_rows, cout_p] (in the layout's K order) is tiled as TTNN keeps it: one page per
 * 32x32 tile (rows of 32 values of the format, the weights CB's panel rows; rows and
 * columns past the matrix zero). Tiles go column by column, tile (kt, ct) at page
 * ct * tg_conv2d_weight_ktiles(plan) + kt, so that the K tiles of a panel are
 * consecutive pages (TTNN orders a tiled tensor's pages row by row: a difference in
 * which bank holds a tile, README "Where ttgrid still differs from TTNN"). */
static inline int64_t tg_conv2d_weight_ktiles(int64_t k_rows) {
    return (k_rows + TG_TILE - 1) / TG_TILE;
}
typedef struct tg_conv2d_weights {
    tg_dram_buf w;    /* tiles of the weight matrix (above) */
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

/* Runs the plan: `in` is the input the plan was made for (L1 in any layout, or DRAM;
 * moved to DRAM first when the plan says so, as is `shortcut`); `out` receives the
 * output, allocated here (L1 sharded by the plan's layout, or DRAM for "none"). With
 * deallocate_activation the input is freed. Every allocation lands where the plan's L1
 * map put it. Collective. */
tg_status tg_conv2d_run(const tg_conv2d_plan *plan, tg_tensor *in, tg_tensor *shortcut,
                        const tg_conv2d_weights *w, tg_tensor *out);

#endif
