/* src/model — ResNet-50 on the grid (DESIGN.md section 7; the paper, "CNN Models:
 * ResNet-50 Benchmark").
 *
 * torchvision's ResNet-50 v1.5 for inference: conv1 7x7/2 -> BN -> ReLU -> max pool
 * 3x3/2 -> 3+4+6+3 bottlenecks (1x1 -> 3x3 (stride 2 in the first block of stages
 * 2-4) -> 1x1, BN and ReLU after each, a projection shortcut on each stage's first
 * block, add then ReLU) -> global average pool -> fc 1000. BatchNorm is folded into
 * the preceding conv at load: W' = W*g/sqrt(v+eps), b' = beta - mean*g/sqrt(v+eps).
 *
 * Each conv's layout and act_block_h come from a per-layer table modelled on TTNN's
 * Wormhole ResNet-50 config (height sharding for conv1 and stages 1-2, block for
 * stages 3-4 and fc), overridable. This folder holds only the graph, the weights and
 * those overrides: where each op runs is the ops' placement (tg_conv2d_plan_fit and
 * the like, with their fallbacks when L1 is short), planned from the live L1 on the
 * first forward pass and kept, with the weights loaded into DRAM, for the next ones
 * (as TTNN caches prepared weights). */
#ifndef TG_RESNET50_H
#define TG_RESNET50_H

#include "add.h"
#include "avgpool.h"
#include "conv2d.h"
#include "maxpool2d.h"

#define TG_RESNET_CONVS 54 /* 53 convs + fc */

typedef struct tg_resnet_opts {
    int64_t batch, image;
    tg_fmt act_fmt, w_fmt;
    tg_fidelity fidelity;
    bool fp32_acc;
    tg_conv_layout layout; /* TG_CONV_AUTO: the per-layer table */
    int act_block_h;       /* 0: the table's */
    bool progress;         /* one line per layer on rank 0 */
    bool plan_only;        /* no weights: the network is planned, not run */
} tg_resnet_opts;

/* Where the weights come from: an HDF5 file with one dataset per torchvision
 * state_dict key, or deterministic generated ones (seed). */
typedef struct tg_resnet_source {
    const char *file; /* NULL: generated */
    unsigned long long seed;
} tg_resnet_source;

typedef struct tg_resnet_conv {
    char name[48];
    char key[64]; /* state_dict prefix of the conv ("layer1.0.conv1", "fc") */
    char bn[64];  /* of its BN ("layer1.0.bn1"), "" for fc */
    int64_t cin, cout, in_h, in_w;
    int k, stride, pad;
    bool relu;
    tg_conv_layout layout; /* configured */
    int act_block_h;
    /* this rank's columns of the folded weights and bias, until loaded */
    float *w_cols, *b_cols;
    /* planned on the first forward pass */
    bool planned;
    tg_conv2d_plan plan;
    tg_conv2d_weights weights;
    bool weights_loaded;
    bool fold; /* conv1 as TTNN's ResNet-50 runs it: on the folded input (resnet50.c) */
} tg_resnet_conv;

typedef struct tg_resnet50 {
    tg_resnet_opts opts;
    tg_resnet_conv convs[TG_RESNET_CONVS];
    int nconvs;
    bool pool_planned, avg_planned;
    tg_maxpool2d_plan pool;
    tg_avgpool_plan avg;
    bool add_planned[16];
    tg_add_plan adds[16];  /* the residual of each bottleneck */
    tg_timeline fold_time; /* the stem's fold on the device */
    double device_cycles;  /* the last forward pass's modelled device time: its ops' sum */
} tg_resnet50;

/* Called after every layer with its output (for --dump-layers); may be NULL. */
typedef tg_status (*tg_resnet_layer_fn)(void *ctx, const char *name, const tg_tensor *t);

/* Builds the layer list for the options, applies per-layer overrides
 * ("name=layout[:act_block_h]", may be NULL) and reads and folds this rank's share
 * of the weights. Collective. */
tg_status tg_resnet50_init(tg_resnet50 *net, const tg_resnet_opts *opts,
                           const tg_resnet_source *src, const char *const *overrides,
                           int noverrides);
void tg_resnet50_free(tg_resnet50 *net);
/* Runs the network on `input` ([N, S, S, 3], any placement) into `logits` ([N, 1, 1,
 * 1000] in DRAM, allocated here). Collective. */
tg_status tg_resnet50_forward(tg_resnet50 *net, tg_tensor *input, tg_tensor *logits,
                              tg_resnet_layer_fn on_layer, void *ctx);
/* The plan of layer `name` (a conv's name, "maxpool", a bottleneck's "layerS.B" for its
 * residual add, "avgpool") once a forward pass made it: its traffic and L1 high-water
 * mark. False for other names or before the first pass. */
bool tg_resnet50_layer_plan(const tg_resnet50 *net, const char *name, const tg_traffic **traffic,
                            size_t *l1_high_water);
/* Plans every layer on machine m without running it (init with opts.plan_only): each
 * layer placed on a simulated L1 on which the layers before it replayed their L1 maps,
 * with the same fallbacks as the forward pass. Pure. */
tg_status tg_resnet50_plan_only(tg_resnet50 *net, const tg_machine *m);
/* A planned layer, for the per-layer table. */
typedef struct tg_resnet_layer_info {
    const char *name;
    int64_t shape[4]; /* its output */
    char how[48];     /* layout and act_block_h, or where it runs */
    const tg_traffic *traffic;
    size_t l1_high_water;
    const tg_timeline *time; /* the device's time */
} tg_resnet_layer_info;
typedef void (*tg_resnet_layer_info_fn)(void *ctx, const tg_resnet_layer_info *l);
/* Calls fn for every planned layer in the order the network runs them. */
void tg_resnet50_each_layer(const tg_resnet50 *net, tg_resnet_layer_info_fn fn, void *ctx);
/* Deterministic generated input [N, S, S, 3]: this rank's host rows r0..r1. */
void tg_resnet50_input_rows(unsigned long long seed, int64_t r0, int64_t r1, float *rows);

#endif
