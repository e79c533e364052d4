/* Private to conv2d_ttnn's files: the configuration they share, and the sources.
 *
 *   conv2d_ttnn.c     the configuration: arch figures, defaults, parallel and block
 *                     configuration, shard shapes, weight matrix, automatic layout
 *   conv2d_ttnn_cb.c  the circular buffers of the conv program and of the matmul path
 *   conv2d_ttnn_l1.c  the sliding window, the buffers and L1 events in conv2d_L1's
 *                     order, TTNN's error texts
 *
 * Each rule carries its source as [SHORT function]; SHORT names a file of
 * tenstorrent/tt-metal at the commit below: the same sources, commits and choices as
 * the independent Python transcription tests/ttnn/conv2d_l1.py (tests/ttnn/NOTES.md
 * says how the commits were chosen and what could not be determined).
 *
 *   CBI   ttnn/cpp/ttnn/operations/conv/conv2d/conv2d_op_program_factory_common.cpp
 *         @ f3c1ee7ec100a0a965df79edf9936c95734743ea (get_cb_info, is_split_reader_*,
 *         calculate_act_cb_size_with_reuse, the NoC rate and tilize tables)
 *   CU    ttnn/cpp/ttnn/operations/conv/conv2d/conv2d_utils.cpp
 *         @ 71ff3c1d7daa9b533f90160fdb6b853f625bc7f2 (the same for groups == 1 as
 *         @ 002a3f412aeb6ef4694a16b4a0b4cea32d60281e): parallel and block configuration,
 *         channel alignment, shard shapes, auto shard, calculate_L1_usage*
 *   C2D   ttnn/cpp/ttnn/operations/conv/conv2d/conv2d.cpp
 *         @ 645aa768b452a27ebbde3638065135876dd8a627 (conv2d_L1: defaults, halo, matmul path)
 *   SD    ttnn/cpp/ttnn/operations/conv/conv2d/device/factory/conv2d_sharded_descriptor.cpp
 *         @ 4eb69c73a6fbf56c080f8851ec42202b2429c72c (height/block program: CB order)
 *   WSD   ttnn/cpp/ttnn/operations/conv/conv2d/device/factory/conv2d_width_sharded_descriptor.cpp
 *         @ 2cd8410395ff0174ac5b2b3e6fb0900f66c0dee2 (width program)
 *   DEV   ttnn/cpp/ttnn/operations/conv/conv2d/device/conv2d_device_operation.cpp
 *         @ 71d11c2bc0f8860377397a1aa06f8886865659b4 (compute_output_specs)
 *   CFG   ttnn/cpp/ttnn/operations/conv/conv2d/device/conv2d_device_operation_types.hpp
 *         @ 1d3ac3f8d868cb713990cd3e18147559bad6cfda (Conv2dConfig defaults)
 *   PW    ttnn/cpp/ttnn/operations/conv/conv2d/prepare_conv2d_weights.cpp
 *         @ 002a3f412aeb6ef4694a16b4a0b4cea32d60281e (weight matrix padding)
 *   SW    ttnn/cpp/ttnn/operations/sliding_window/sliding_window.cpp (the stored text with
 *         calculate_precise_halo_output_elems, index id 7186334245; the config-tensor
 *         functions also @ 00002df221d980138d62a328a9b8fa6b8e788ee4)
 *   SWH   ttnn/cpp/ttnn/operations/sliding_window/sliding_window.hpp (same stored version;
 *         should_halo_be_in_place: only pooling opts in)
 *   HALO  ttnn/cpp/ttnn/operations/sliding_window/halo/device/halo_device_operation.cpp
 *         @ bc2f139826cc541283d99145248dcb6e0a392517 (halo output shard)
 *   UWH ttnn/cpp/ttnn/operations/sliding_window/halo/device/untilize_with_halo_program_factory.cpp
 *         @ b844a98d7f6f045dbe872df83cfa37cbd29be3a2 (halo program CBs)
 *   MM1D
 * ttnn/cpp/ttnn/operations/matmul/device/factory/matmul_multicore_reuse_mcast_1d_program_factory.cpp
 *         @ 86aa094974e2a818d83a1588fe1ad61457e85693
 *   MM2D
 * ttnn/cpp/ttnn/operations/matmul/device/factory/matmul_multicore_reuse_mcast_2d_program_factory.cpp
 *         @ 043b5ac261d74cd5543a2d73edd684ac5446bdc1
 *   MMU   the matmul utilities header: MCAST_INPUT_BUFFERING_DEPTH = 2 (index text)
 *   WS    tt_metal/common/work_split.cpp @ 0c55449866fe9c9e73861aeb41874b2c1ddaeae5
 *         (num_cores_to_corerangeset)
 *   PRG   tt_metal/impl/program/program.cpp @ 5cd3a453f15f34d99747f21b395fe84e6551ab71
 *         (ProgramImpl::allocate_circular_buffers, validate_circular_buffer_region)
 *   BM    tt_metal/impl/allocator/bank_manager.cpp (BankManager::allocate_buffer; index
 *         text id 6980488341)
 *   L1A   tt_metal/impl/allocator/l1_banking_allocator.cpp
 *         @ a9ff3f6068168f2c52935fb389fa791dc2a34dc5 (L1 and L1_SMALL banks)
 *   DEVI  tt_metal/impl/device/device.cpp (Device::initialize; index text id 53195424880)
 *   CV    tt_metal/hostdevcommon/api/hostdevcommon/common_values.hpp (DEFAULT_L1_SMALL_SIZE 0)
 *   WHMM  tt_metal/hw/inc/internal/tt-1xx/wormhole/dev_mem_map.h, with
 *   WHHAL tt_metal/llrt/hal/tt-1xx/wormhole/wh_hal_tensix.cpp, both
 *         @ 42bfdec046d219c23a9291f0113185bfc4a4f5b9
 *   BHMM  tt_metal/hw/inc/internal/tt-1xx/blackhole/dev_mem_map.h
 *         @ 0079e942208586ff1e7ab8e3349ed91b3d93e8f5
 *   BHHAL tt_metal/llrt/hal/tt-1xx/blackhole/bh_hal_tensix.cpp
 *         @ 0266e6f1f3b025345ea752018469941cada53034
 *
 * conv2d_L1 [C2D] applies the rules in this order, and the files follow it: defaults;
 * the automatic layout (an L1 estimate per layout); the matmul path's test; the
 * parallel configuration and shard shapes; the block configuration; the prepared
 * weight matrix; then the L1 events: the input shard, the halo output and the halo
 * program, the conv output, the conv's config tensor (L1_SMALL) and the conv program
 * with its CBs (or the matmul path's program). Nothing here places a buffer: the
 * events are for an L1 model to replay. A rule that looks odd is TTNN's; the Python
 * transcription makes the same call. */
#ifndef TG_CONV2D_TTNN_IMPL_H
#define TG_CONV2D_TTNN_IMPL_H

#include "conv2d_ttnn.h"

#define TTNN_TILE 32

static inline int64_t ttnn_div_up(int64_t a, int64_t b) {
    return (a + b - 1) / b;
}

static inline int64_t ttnn_round_up(int64_t a, int64_t b) {
    return ttnn_div_up(a, b) * b;
}

/* tt::tile_size(DataFormat) of a 32x32 tile. */
static inline size_t ttnn_tile_bytes(tg_fmt f) {
    switch (f) {
    case TG_FLOAT32:
        return 4096;
    case TG_BFLOAT16:
        return 2048;
    case TG_BFLOAT8_B:
        return 1088; /* 64 exponent bytes + 1024 mantissa bytes */
    }
    return 0;
}

/* The conv op reads the halo output, which is row-major bfloat16, or float32 for a
 * float32 input [HALO compute_output_specs]: the conv op's "input" format. */
static inline tg_fmt ttnn_halo_fmt(tg_fmt input) {
    return input == TG_FLOAT32 ? TG_FLOAT32 : TG_BFLOAT16;
}

/* The config with TTNN's defaults applied: what conv2d_L1 works with. */
typedef struct ttnn_conv {
    const tg_ttnn_conv2d_config *cfg;
    tg_ttnn_l1_figures l1;
    tg_grid grid;
    tg_fmt w_fmt, out_fmt;
    bool fp32_acc, act_dbuf, w_dbuf;
    int64_t out_h, out_w;
} ttnn_conv;

/* A parallel configuration [CU ParallelConfig]. */
typedef struct ttnn_pconf {
    int nhw, c; /* cores along N*H*W and along the channels */
    tg_grid box;
    int ncores;
} ttnn_pconf;

/* [CU Conv2dBlockConfig] */
typedef struct ttnn_block {
    int64_t abh, abw; /* act_block_h_ntiles, act_block_w_ntiles */
    int sub_h, sub_w; /* out_subblock_{h,w}_ntiles */
} ttnn_block;

/* One layout's configuration: parallel configs, shards, blocks. */
typedef struct ttnn_sizing {
    int layout;
    ttnn_pconf in, out;
    int align; /* input channel alignment */
    int64_t in_c_padded, in_shard_h, in_shard_w;
    int64_t out_c_padded, out_shard_h, out_shard_w;
    int64_t per_core_h, per_core_w; /* per_core_out_matrix_{height,width}_ntile */
    ttnn_block blk;
} ttnn_sizing;

/* One CB as get_cb_info describes it. */
typedef struct ttnn_cb {
    const char *name;
    int64_t pages; /* 0: not created (or overlapped by another CB): no space */
    size_t page_size;
    bool global; /* globally allocated on an L1 buffer: no CB space */
} ttnn_cb;

typedef struct ttnn_cb_list {
    ttnn_cb cbs[16]; /* a program has at most 12 */
    int n;
} ttnn_cb_list;

typedef struct ttnn_cb_info {
    bool split_reader, split_viable, packer_l1_acc_en;
    int64_t num_blocks_act_h, num_blocks_act_w, in0_num_blocks_w;
    tg_fmt partials;
} ttnn_cb_info;

typedef struct ttnn_mm_info {
    int64_t num_blocks;
    bool packer_l1_acc_en, interm0_shares_out;
    tg_fmt interm0;
} ttnn_mm_info;

/* ---- conv2d_ttnn_cb.c ---- */

void ttnn_cb_add(ttnn_cb_list *l, const char *name, int64_t pages, size_t page_size, bool global);
ttnn_cb *ttnn_cb_find(ttnn_cb_list *l, const char *name);
/* [CBI get_cb_info]: the conv op's CBs in creation order. w_rows x w_cols: the weight
 * matrix; input: the conv op's input format; in_c_split: the channels the split-reader
 * model reads; skip_act_mcast: [CU conv_skip_mcast]. TT_FATAL: TG_ERR_USAGE. */
tg_status ttnn_get_cb_info(const ttnn_conv *v, const ttnn_sizing *k, int64_t w_rows, int64_t w_cols,
                           tg_fmt input, int64_t in_c_split, bool skip_act_mcast, ttnn_cb_list *l,
                           ttnn_cb_info *info);
/* [CU conv_skip_mcast]: the activation multicast is skipped. */
bool ttnn_conv_skip_act_mcast(const ttnn_sizing *k);
/* The matmul path's CBs [MM1D, MM2D]. */
void ttnn_matmul_cbs(const ttnn_conv *v, const ttnn_sizing *k, int64_t w_rows, ttnn_cb_list *l,
                     ttnn_mm_info *info);

/* ---- conv2d_ttnn_l1.c ---- */

/* [SW generate_max_out_nsticks_per_core]: the halo output's shard height. */
int64_t ttnn_max_out_nsticks_per_core(const ttnn_conv *v, int nhw);
/* The buffers and L1 events from the input shard on, into p (whose configuration is
 * filled). TT_FATAL: TG_ERR_USAGE. */
tg_status ttnn_plan_l1(const ttnn_conv *v, const ttnn_sizing *k, tg_ttnn_conv2d_plan *p);

#endif
