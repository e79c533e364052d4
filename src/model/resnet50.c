/* ResNet-50 on the grid; see resnet50.h. */
#include "resnet50.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "linear.h"
#include "reshard.h"
#include "stats.h"
#include "trace.h"

#define BN_EPS 1e-5 /* torchvision BatchNorm2d default */

/* ---- the layer list and its config table ---- */

static void add_conv(tg_resnet50 *net, const char *name, const char *key, const char *bn,
                     int64_t cin, int64_t cout, int64_t h, int64_t w, int k, int stride, bool relu,
                     tg_conv_layout layout) {
    tg_resnet_conv *c = &net->convs[net->nconvs++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->key, sizeof c->key, "%s", key);
    snprintf(c->bn, sizeof c->bn, "%s", bn);
    c->cin = cin, c->cout = cout, c->in_h = h, c->in_w = w;
    c->k = k, c->stride = stride, c->pad = k / 2, c->relu = relu;
    c->layout = layout;
}

/* TTNN's Wormhole ResNet-50 uses height sharding for conv1 and stages 1-2 and block
 * sharding for stages 3-4 (tt-metal models/demos/resnet50 model config). */
static void build(tg_resnet50 *net) {
    int64_t s = net->opts.image;
    int64_t h = (s + 2 * 3 - 7) / 2 + 1; /* conv1 output */
    add_conv(net, "conv1", "conv1", "bn1", 3, 64, s, s, 7, 2, true, TG_CONV_HEIGHT);
    /* TTNN's ResNet-50 stem [models/demos ResNet-50 resnet50.__init__/run; tests/ttnn/
     * NOTES.md section 7]: the image padded by 3 and its channels to 4, folded 2x2 (each
     * pixel of [N, S/2 + 3, S/2 + 3, 16] holds a 2x2 patch), then a 4x4 stride-1 conv:
     * the 7x7 stride-2 conv, exactly, with the weights rearranged (fold_weights) */
    net->convs[0].fold = s % 2 == 0;
    h = (h + 2 - 3) / 2 + 1; /* max pool */
    const int blocks[4] = {3, 4, 6, 3};
    int64_t cin = 64;
    char name[48], key[64], bn[64];
    for (int st = 0; st < 4; st++) {
        int64_t mid = 64 << st, out = mid * 4;
        tg_conv_layout l = st < 2 ? TG_CONV_HEIGHT : TG_CONV_BLOCK;
        for (int b = 0; b < blocks[st]; b++) {
            int stride = (b == 0 && st > 0) ? 2 : 1;
            int64_t ho = (h + 2 - 3) / stride + 1;
            const char *part[3] = {"conv1", "conv2", "conv3"};
            for (int j = 0; j < 3; j++) {
                snprintf(name, sizeof name, "layer%d.%d.%s", st + 1, b, part[j]);
                snprintf(bn, sizeof bn, "layer%d.%d.bn%d", st + 1, b, j + 1);
                int64_t ci = j == 0 ? cin : mid, co = j == 2 ? out : mid;
                int64_t hi = j == 2 ? ho : h;
                add_conv(net, name, name, bn, ci, co, hi, hi, j == 1 ? 3 : 1, j == 1 ? stride : 1,
                         j < 2, l);
            }
            if (b == 0) {
                snprintf(name, sizeof name, "layer%d.%d.downsample", st + 1, b);
                snprintf(key, sizeof key, "layer%d.%d.downsample.0", st + 1, b);
                snprintf(bn, sizeof bn, "layer%d.%d.downsample.1", st + 1, b);
                add_conv(net, name, key, bn, cin, out, h, h, 1, stride, false, l);
            }
            h = ho;
            cin = out;
        }
    }
    add_conv(net, "fc", "fc", "", 2048, 1000, 1, 1, 1, 1, false, TG_CONV_BLOCK);
}

/* The folded stem's shape: 16 channels of 2x2 patches, a 4x4 kernel of stride 1. */
static void fold_shape(tg_resnet_conv *c) {
    c->cin = 16, c->k = 4, c->stride = 1, c->pad = 0;
    c->in_h = c->in_h / 2 + 3, c->in_w = c->in_w / 2 + 3;
}

/* The 7x7 stride-2 weights [nco][3][7][7] as the folded stem's [nco][16][4][4]: input
 * channel (dy * 2 + dx) * 4 + c of tap (ky, kx) is tap (2 ky + dy, 2 kx + dx) of channel
 * c (zero past 7 and for the fourth channel). */
static tg_status fold_weights(tg_resnet_conv *c, int64_t nco) {
    float *w = calloc((size_t)(nco * 16 * 16 + 1), sizeof *w);
    if (!w) return tg_err(TG_ERR_RUNTIME, "resnet50: out of host memory for the stem");
    for (int64_t o = 0; o < nco; o++)
        for (int ky = 0; ky < 4; ky++)
            for (int kx = 0; kx < 4; kx++)
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        for (int ch = 0; ch < 3; ch++) {
                            int i = 2 * ky + dy, j = 2 * kx + dx;
                            if (i >= 7 || j >= 7) continue;
                            int ci = (dy * 2 + dx) * 4 + ch;
                            w[((o * 16 + ci) * 4 + ky) * 4 + kx] =
                                c->w_cols[((o * 3 + ch) * 7 + i) * 7 + j];
                        }
    free(c->w_cols);
    c->w_cols = w;
    fold_shape(c);
    return TG_OK;
}

static tg_resnet_conv *find(tg_resnet50 *net, const char *name) {
    for (int i = 0; i < net->nconvs; i++)
        if (!strcmp(net->convs[i].name, name)) return &net->convs[i];
    return NULL;
}

/* "name=layout[:act_block_h]" */
static tg_status apply_override(tg_resnet50 *net, const char *s) {
    char name[64];
    const char *eq = strchr(s, '=');
    if (!eq || (size_t)(eq - s) >= sizeof name)
        return tg_err(TG_ERR_USAGE, "--layer '%s': expected NAME=LAYOUT[:ACT_BLOCK_H]", s);
    memcpy(name, s, (size_t)(eq - s));
    name[eq - s] = '\0';
    tg_resnet_conv *c = find(net, name);
    if (!c)
        return tg_err(TG_ERR_USAGE, "--layer '%s': no conv layer '%s' (e.g. layer3.1.conv2)", s,
                      name);
    char layout[16];
    const char *colon = strchr(eq + 1, ':');
    size_t n = colon ? (size_t)(colon - eq - 1) : strlen(eq + 1);
    if (n >= sizeof layout) return tg_err(TG_ERR_USAGE, "--layer '%s': bad layout", s);
    memcpy(layout, eq + 1, n);
    layout[n] = '\0';
    TG_CHECK(tg_conv_layout_parse(layout, &c->layout));
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || v < 0 || v % 32)
            return tg_err(TG_ERR_USAGE, "--layer '%s': act_block_h must be a multiple of 32", s);
        c->act_block_h = (int)v;
    }
    return TG_OK;
}

/* ---- weights ---- */

/* A value in [-1, 1) from (seed, layer, index) alone, so every rank generates its
 * own share of a layer without generating the rest (splitmix64). */
static float hash_uniform(unsigned long long seed, unsigned long long layer, unsigned long long i) {
    unsigned long long z = seed * 0x9E3779B97F4A7C15ULL + layer * 0xBF58476D1CE4E5B9ULL + i + 1;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (float)((double)(z >> 40) / (double)(1ULL << 24) * 2.0 - 1.0);
}

void tg_resnet50_input_rows(unsigned long long seed, int64_t r0, int64_t r1, float *rows) {
    for (int64_t i = r0 * 3; i < r1 * 3; i++)
        rows[i - r0 * 3] = hash_uniform(seed, 1000, (unsigned long long)i);
}

/* Reads a dataset of exactly `count` values with the expected dims, naming the key
 * and both shapes when it differs. */
static tg_status read_param(tg_io_file *f, const char *file, const char *key, int nd,
                            const int64_t *dims, float *buf) {
    char path[128];
    snprintf(path, sizeof path, "/%s", key);
    if (!tg_io_exists(f, path))
        return tg_err(TG_ERR_USAGE, "weights '%s' have no dataset '%s'", file, path);
    tg_io_info info;
    TG_CHECK(tg_io_info_get(f, path, &info));
    bool same = info.ndims == nd;
    for (int i = 0; same && i < nd; i++) same = info.dims[i] == dims[i];
    if (!same) {
        char want[96] = "", got[96] = "";
        for (int i = 0; i < nd; i++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", i ? ", " : "",
                     (long long)dims[i]);
        for (int i = 0; i < info.ndims; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", i ? ", " : "",
                     (long long)info.dims[i]);
        return tg_err(TG_ERR_USAGE, "weights '%s': dataset '%s' is [%s], expected [%s]", file, path,
                      got, want);
    }
    int64_t n = 1;
    for (int i = 0; i < nd; i++) n *= dims[i];
    return buf ? tg_io_read_all(f, path, buf, n) : TG_OK;
}

/* Reads this rank's output channels of a conv and its BN from the file, folded. */
static tg_status load_file(tg_io_file *f, const char *file, tg_resnet_conv *c, int64_t co0,
                           int64_t co1) {
    int64_t per = c->cin * c->k * c->k, nco = co1 - co0;
    bool fc = c->bn[0] == '\0';
    char key[96];
    snprintf(key, sizeof key, "%s.weight", c->key);
    int64_t wd[4] = {c->cout, c->cin, c->k, c->k};
    TG_CHECK(read_param(f, file, key, fc ? 2 : 4, wd, NULL));
    int64_t start[4] = {co0, 0, 0, 0}, count[4] = {nco, c->cin, c->k, c->k};
    char path[128];
    snprintf(path, sizeof path, "/%s", key);
    TG_CHECK(tg_io_read_slab(f, path, fc ? 2 : 4, start, count, c->w_cols));
    float *v = malloc((size_t)c->cout * 4 * sizeof *v);
    if (!v) return tg_err(TG_ERR_RUNTIME, "resnet50: out of host memory");
    tg_status st = TG_OK;
    int64_t d1[1] = {c->cout};
    if (fc) {
        snprintf(key, sizeof key, "%s.bias", c->key);
        st = read_param(f, file, key, 1, d1, v);
        for (int64_t o = 0; st == TG_OK && o < nco; o++) c->b_cols[o] = v[co0 + o];
    } else {
        const char *names[4] = {"weight", "bias", "running_mean", "running_var"};
        for (int j = 0; j < 4 && st == TG_OK; j++) {
            snprintf(key, sizeof key, "%s.%s", c->bn, names[j]);
            st = read_param(f, file, key, 1, d1, v + j * c->cout);
        }
        for (int64_t o = 0; st == TG_OK && o < nco; o++) {
            double g = v[co0 + o], beta = v[c->cout + co0 + o], mean = v[2 * c->cout + co0 + o];
            double var = v[3 * c->cout + co0 + o], scale = g / sqrt(var + BN_EPS);
            for (int64_t i = 0; i < per; i++)
                c->w_cols[o * per + i] = (float)(c->w_cols[o * per + i] * scale);
            c->b_cols[o] = (float)(beta - mean * scale);
        }
    }
    free(v);
    return st;
}

/* Generated weights, already folded: He-uniform convs, the last conv of each block
 * scaled down (so the residual sum stays near unit scale over 16 blocks), fc as
 * torchvision initialises it. */
static void load_generated(unsigned long long seed, int layer, tg_resnet_conv *c, int64_t co0,
                           int64_t co1) {
    int64_t per = c->cin * c->k * c->k;
    bool fc = c->bn[0] == '\0', last = strstr(c->name, "conv3") != NULL;
    float a = fc ? 1.0f / sqrtf((float)per) : sqrtf(6.0f / (float)per) * (last ? 0.2f : 1.0f);
    for (int64_t o = co0; o < co1; o++) {
        for (int64_t i = 0; i < per; i++)
            c->w_cols[(o - co0) * per + i] = a * hash_uniform(seed, (unsigned long long)layer,
                                                              (unsigned long long)(o * per + i));
        c->b_cols[o - co0] =
            fc ? a * hash_uniform(seed, 500 + (unsigned long long)layer, (unsigned long long)o)
               : 0.0f;
    }
}

tg_status tg_resnet50_init(tg_resnet50 *net, const tg_resnet_opts *opts,
                           const tg_resnet_source *src, const char *const *overrides,
                           int noverrides) {
    memset(net, 0, sizeof *net);
    net->opts = *opts;
    if (opts->batch < 1)
        return tg_err(TG_ERR_USAGE, "resnet50: batch %lld must be at least 1",
                      (long long)opts->batch);
    if (opts->image < 32)
        return tg_err(TG_ERR_USAGE,
                      "resnet50: image size %lld does not survive the five stride-2 stages (at "
                      "least 32)",
                      (long long)opts->image);
    build(net);
    for (int i = 0; i < net->nconvs; i++) {
        if (opts->layout != TG_CONV_AUTO) net->convs[i].layout = opts->layout;
        if (opts->act_block_h) net->convs[i].act_block_h = opts->act_block_h;
    }
    for (int i = 0; i < noverrides; i++) TG_CHECK(apply_override(net, overrides[i]));
    if (opts->plan_only) { /* no weights: the network is only planned */
        if (net->convs[0].fold) fold_shape(&net->convs[0]);
        return TG_OK;
    }
    tg_io_file *f = NULL;
    if (src->file) TG_CHECK(tg_io_open(src->file, &f));
    tg_status st = TG_OK;
    for (int i = 0; i < net->nconvs && st == TG_OK; i++) {
        tg_resnet_conv *c = &net->convs[i];
        int64_t co0, co1;
        tg_conv2d_weight_cols(c->cout, &co0, &co1);
        int64_t nco = co1 - co0, per = c->cin * c->k * c->k;
        c->w_cols = malloc((size_t)(nco * per + 1) * sizeof *c->w_cols);
        c->b_cols = malloc((size_t)(nco + 1) * sizeof *c->b_cols);
        if (!c->w_cols || !c->b_cols)
            st = tg_err(TG_ERR_RUNTIME, "resnet50: out of host memory for weights");
        else if (f)
            st = load_file(f, src->file, c, co0, co1);
        else
            load_generated(src->seed, i, c, co0, co1);
        if (st == TG_OK && c->fold) st = fold_weights(c, nco);
    }
    tg_io_close(f);
    return tg_noc_agree(st);
}

void tg_resnet50_free(tg_resnet50 *net) {
    for (int i = 0; i < net->nconvs; i++) {
        tg_resnet_conv *c = &net->convs[i];
        free(c->w_cols), free(c->b_cols);
        c->w_cols = c->b_cols = NULL;
        if (c->weights_loaded) tg_conv2d_weights_free(&c->weights);
        c->weights_loaded = false;
        tg_conv2d_plan_free(&c->plan);
        c->planned = false;
    }
    if (net->pool_planned) tg_maxpool2d_plan_free(&net->pool);
    if (net->avg_planned) tg_avgpool_plan_free(&net->avg);
    for (int i = 0; i < 16; i++)
        if (net->add_planned[i]) tg_add_plan_free(&net->adds[i]);
    net->pool_planned = net->avg_planned = false;
    memset(net->add_planned, 0, sizeof net->add_planned);
    tg_timeline_free(&net->fold_time);
}

bool tg_resnet50_layer_plan(const tg_resnet50 *net, const char *name, const tg_traffic **traffic,
                            size_t *l1_high_water) {
    for (int i = 0; i < net->nconvs; i++)
        if (net->convs[i].planned && !strcmp(net->convs[i].name, name)) {
            *traffic = &net->convs[i].plan.traffic;
            *l1_high_water = net->convs[i].plan.l1.high_water;
            return true;
        }
    if (net->pool_planned && !strcmp(name, "maxpool")) {
        *traffic = &net->pool.traffic, *l1_high_water = net->pool.l1.high_water;
        return true;
    }
    if (net->avg_planned && !strcmp(name, "avgpool")) {
        *traffic = &net->avg.traffic, *l1_high_water = net->avg.l1.high_water;
        return true;
    }
    const int blocks[4] = {3, 4, 6, 3};
    char base[32];
    for (int s = 0, i = 0; s < 4; s++)
        for (int b = 0; b < blocks[s]; b++, i++) {
            snprintf(base, sizeof base, "layer%d.%d", s + 1, b);
            if (net->add_planned[i] && !strcmp(name, base)) {
                *traffic = &net->adds[i].traffic, *l1_high_water = net->adds[i].l1.high_water;
                return true;
            }
        }
    return false;
}

/* ---- the forward pass ---- */

/* Progress lines wait here until a block of layers is done: one reduction per block
 * instead of one per layer (each costs every core a barrier, which at 64 ranks on a
 * few processors is most of a small layer's time). */
enum { PENDING_VALUES = 5, PENDING_MAX = TG_REDUCE_MAX / PENDING_VALUES };

typedef struct pending_line {
    char name[32], how[32];
    int64_t shape[4];
    double v[PENDING_VALUES]; /* seconds, NoC + DRAM bytes, L1 high-water mark, modelled
                               * device cycles of the op and its bound */
} pending_line;

typedef struct fwd {
    tg_resnet50 *net;
    double clock_ghz; /* the arch's, for the modelled times */
    tg_resnet_layer_fn on_layer;
    void *ctx;
    pending_line pending[PENDING_MAX];
    int npending;
    int nadds; /* bottlenecks done: the index of the next residual add */
} fwd;

/* Prints the pending lines: the slowest core's time, the bytes of all cores, the
 * largest L1 peak. Collective (every core holds the same layers). */
static void progress_flush(fwd *f) {
    if (f->npending == 0) return;
    double in[TG_REDUCE_MAX], out[TG_REDUCE_MAX];
    char ops[TG_REDUCE_MAX + 1] = "";
    int n = PENDING_VALUES * f->npending;
    for (int i = 0; i < f->npending; i++) {
        memcpy(in + PENDING_VALUES * i, f->pending[i].v, sizeof f->pending[i].v);
        memcpy(ops + PENDING_VALUES * i, "msmmm", PENDING_VALUES);
    }
    tg_noc_reduce(in, out, n, ops);
    if (tg_core_self()->rank == 0) {
        for (int i = 0; i < f->npending; i++) {
            const pending_line *l = &f->pending[i];
            const double *o = out + PENDING_VALUES * i;
            printf("%-22s [%lld, %lld, %lld, %lld] %-22s %8.4f s  device %9.1f us %-8s NoC %10.0f "
                   "B  L1 peak %8.0f B\n",
                   l->name, (long long)l->shape[0], (long long)l->shape[1], (long long)l->shape[2],
                   (long long)l->shape[3], l->how, o[0], o[3] / f->clock_ghz / 1e3,
                   o[4] >= 0 ? tg_tl_bound_name((tg_tl_bound)o[4]) : "-", o[1], o[2]);
        }
        fflush(stdout);
    }
    f->npending = 0;
}

static void progress(fwd *f, const char *name, const tg_tensor *t, const char *how) {
    if (!f->net->opts.progress) return;
    const tg_counters *k = tg_stats_last();
    pending_line *l = &f->pending[f->npending++];
    snprintf(l->name, sizeof l->name, "%s", name);
    snprintf(l->how, sizeof l->how, "%s", how);
    l->shape[0] = t->n, l->shape[1] = t->h, l->shape[2] = t->w, l->shape[3] = t->c;
    l->v[0] = k->seconds;
    l->v[1] = (double)(k->noc_read_bytes + k->noc_write_bytes + k->noc_mcast_bytes +
                       k->dram_read_bytes + k->dram_write_bytes);
    l->v[2] = (double)k->l1_high_water;
    l->v[3] = k->model_op_cycles;
    l->v[4] = k->model_set ? (double)k->model_op_bound : -1;
    if (f->npending == PENDING_MAX) progress_flush(f);
}

/* Closes the layer's statistics scope, queues its line and hands its output out. */
static tg_status layer_done(fwd *f, const char *name, const tg_tensor *t, const char *how) {
    tg_stats_end();
    f->net->device_cycles += tg_stats_last()->model_op_cycles;
    progress(f, name, t, how);
    return f->on_layer ? f->on_layer(f->ctx, name, t) : TG_OK;
}

/* Moves the logits to DRAM (freeing their L1), where the command reads them. */
static tg_status to_dram(tg_tensor *t) {
    int64_t shape[4] = {t->n, t->h, t->w, t->c};
    tg_tensor d;
    TG_CHECK(tg_tensor_alloc_dram(&d, "resnet50:logits", shape, t->fmt));
    tg_status st = tg_tensor_reshard(t, &d);
    if (st != TG_OK) {
        tg_tensor_free(&d);
        return st;
    }
    tg_tensor_free(t);
    *t = d;
    return TG_OK;
}

/* ---- the stem's fold (TTNN's ttnn.fold on the padded image) ---- */

/* Output image rows [*y0, *y1) of the N * (S/2 + 3) that core `core` of `ncores` folds. */
static void fold_rows(int64_t rows, int ncores, int core, int64_t *y0, int64_t *y1) {
    int64_t per = (rows + ncores - 1) / ncores;
    *y0 = per * core < rows ? per * core : rows;
    *y1 = *y0 + per < rows ? *y0 + per : rows;
}

typedef struct fold_tl {
    int64_t n, s, s2;
    size_t in_row, out_row;
    int ncores;
} fold_tl;

/* The fold on the device: each core reads the two image rows of every output row it
 * makes (sticks from DRAM) and writes the folded rows back. */
static void fold_gen(void *ctx, int core, tg_tl_emit_fn emit, void *ectx) {
    const fold_tl *t = ctx;
    int64_t y0, y1;
    fold_rows(t->n * t->s2, t->ncores, core, &y0, &y1);
    for (int64_t r = y0; r < y1; r++) {
        int64_t n = r / t->s2, y = r % t->s2;
        for (int64_t d = 0; d < 2; d++) {
            int64_t iy = 2 * y + d - 3;
            if (iy < 0 || iy >= t->s) continue;
            tg_tl_step st = {.kind = TG_TL_XFER,
                             .x = {.kind = TG_XF_DRAM_READ,
                                   .first = (n * t->s + iy) * t->s,
                                   .count = t->s,
                                   .blen = t->in_row}};
            emit(ectx, &st);
        }
        tg_tl_step w = {.kind = TG_TL_WORK, .kernel = TG_TL_COMPUTE, .what = "fold"};
        emit(ectx, &w);
        tg_tl_step st = {.kind = TG_TL_XFER,
                         .x = {.kind = TG_XF_DRAM_WRITE,
                               .buf = 1,
                               .first = r * t->s2,
                               .count = t->s2,
                               .blen = t->out_row}};
        emit(ectx, &st);
    }
    tg_tl_step sync = {.kind = TG_TL_XFER, .x = {.kind = TG_XF_SYNC, .set = TG_SET_ALL}};
    emit(ectx, &sync);
}

static tg_status fold_model(const tg_machine *m, const tg_tensor *in, const tg_tensor *out,
                            bool spans, tg_timeline *tl) {
    fold_tl t = {in->n, in->h, out->h, in->row_bytes, out->row_bytes, tg_machine_cores(m)};
    tg_tl_costs c = tg_tl_costs_of(m->arch);
    return tg_timeline_model(m, &c, 2, spans, fold_gen, &t, tl);
}

/* Models the fold into net->fold_time on the net's first pass only, as the ops' plans
 * are made once (the image and the machine are the net's; tg_resnet50_free forgets
 * it): every rank modelled every core's fold again on each pass, most of the fold's
 * 21-33 ms a pass at 64 ranks. *modelled says whether it did (a step that can fail,
 * to be agreed on). Traced on every pass. */
static tg_status fold_timeline(tg_resnet50 *net, const tg_machine *m, const tg_tensor *in,
                               const tg_tensor *out, bool *modelled) {
    *modelled = !net->fold_time.ncores;
    if (*modelled) TG_CHECK(fold_model(m, in, out, false, &net->fold_time));
    if (tg_trace_on() && tg_core_self() && tg_core_self()->rank == 0 && !net->opts.plan_only) {
        tg_timeline t;
        if (fold_model(m, in, out, true, &t) == TG_OK) tg_timeline_trace("fold", &t);
        tg_err_clear();
        tg_timeline_free(&t);
    }
    return TG_OK;
}

/* Folds the image [N, S, S, 3] (DRAM) into [N, S/2 + 3, S/2 + 3, 16] in DRAM: output
 * pixel (y, x) holds input pixels (2y + dy - 3, 2x + dx - 3) at channels (dy * 2 + dx) *
 * 4 + c, zero outside the image and at c = 3. Every rank folds its share of the rows.
 * Collective. */
static tg_status fold_input(tg_resnet50 *net, const tg_tensor *in, tg_tensor *out) {
    int64_t s = in->h, s2 = s / 2 + 3, shape[4] = {in->n, s2, s2, 16};
    TG_CHECK(tg_tensor_alloc_dram(out, "resnet50:folded", shape, in->fmt));
    tg_core *core = tg_core_self();
    int64_t y0, y1;
    fold_rows(in->n * s2, core->nranks, core->rank, &y0, &y1);
    float *src = malloc((size_t)(2 * s * 3 + 1) * sizeof *src);
    float *dst = malloc((size_t)(s2 * 16 + 1) * sizeof *dst);
    tg_status st = src && dst ? TG_OK : tg_err(TG_ERR_RUNTIME, "resnet50: out of host memory");
    for (int64_t r = y0; st == TG_OK && r < y1; r++) {
        int64_t n = r / s2, y = r % s2;
        memset(dst, 0, (size_t)(s2 * 16) * sizeof *dst);
        for (int64_t d = 0; d < 2 && st == TG_OK; d++) {
            int64_t iy = 2 * y + d - 3;
            if (iy < 0 || iy >= s) continue;
            st = tg_tensor_read_host_rows(in, (n * s + iy) * s, (n * s + iy + 1) * s, src);
            for (int64_t x = 0; st == TG_OK && x < s2; x++)
                for (int dx = 0; dx < 2; dx++) {
                    int64_t ix = 2 * x + dx - 3;
                    if (ix < 0 || ix >= s) continue;
                    for (int ch = 0; ch < 3; ch++)
                        dst[x * 16 + (d * 2 + dx) * 4 + ch] = src[ix * 3 + ch];
                }
        }
        if (st == TG_OK) st = tg_tensor_write_host_rows(out, r * s2, (r + 1) * s2, dst);
    }
    free(src);
    free(dst);
    st = tg_noc_sync(st);
    if (st == TG_OK) {
        tg_machine m = tg_machine_self();
        bool modelled;
        st = fold_timeline(net, &m, in, out, &modelled);
        /* every rank models on the same (first) pass */
        if (modelled) st = tg_noc_agree(st);
    }
    if (st != TG_OK) tg_tensor_free(out);
    return st;
}

static void conv_params(const tg_resnet50 *net, const tg_resnet_conv *c, bool dealloc,
                        tg_conv2d_params *p) {
    const tg_resnet_opts *o = &net->opts;
    tg_conv2d_params_default(p);
    p->n = o->batch, p->h = c->in_h, p->w = c->in_w, p->cin = c->cin, p->cout = c->cout;
    p->kh = p->kw = c->k, p->sh = p->sw = c->stride;
    p->pad_t = p->pad_b = p->pad_l = p->pad_r = c->pad;
    p->has_bias = true, p->relu = c->relu;
    p->in_fmt = p->out_fmt = o->act_fmt, p->w_fmt = o->w_fmt;
    p->fidelity = o->fidelity, p->fp32_acc = o->fp32_acc;
    p->deallocate_activation = dealloc;
    p->layout = c->layout;
    p->act_block_h = c->act_block_h;
}

/* Plans the conv from the live L1 on the first pass (with the fallbacks of
 * tg_conv2d_plan_fit: smaller blocks, other layouts, the shortcut or the input moved to
 * DRAM, the DRAM layout) and loads its weights. */
/* Places conv c on machine m from the L1 snapshot `l1` (the fallbacks of
 * tg_conv2d_plan_fit: smaller blocks, other layouts, the shortcut or the input moved to
 * DRAM, the DRAM layout). */
static tg_status fit_conv(tg_resnet50 *net, tg_resnet_conv *c, const tg_machine *mach,
                          const tg_l1 *l1, const tg_tensor *x, const tg_tensor *shortcut,
                          bool dealloc) {
    tg_conv2d_params p;
    conv_params(net, c, dealloc, &p);
    tg_machine m = *mach;
    tg_conv2d_site site = {x, shortcut, true};
    tg_status st;
    if (c->bn[0] == '\0') {
        /* fc: a linear layer over the pooled [N, 1, 1, 2048] */
        tg_linear_params lp = {.n = p.n,
                               .in_features = c->cin,
                               .out_features = c->cout,
                               .has_bias = true,
                               .layout = c->layout,
                               .in_fmt = p.in_fmt,
                               .w_fmt = p.w_fmt,
                               .out_fmt = p.out_fmt,
                               .fidelity = p.fidelity,
                               .fp32_acc = p.fp32_acc,
                               .deallocate_activation = dealloc};
        lp.cores = p.cores, lp.act_block_h = p.act_block_h;
        st = tg_linear_plan_fit(&lp, &m, l1, &site, &c->plan, NULL);
    } else {
        st = tg_conv2d_plan_fit(&p, &m, l1, &site, &c->plan, NULL);
    }
    if (st != TG_OK) {
        tg_conv2d_plan_free(&c->plan);
        return tg_err_prefix(st, "layer %s: ", c->name);
    }
    c->planned = true;
    return TG_OK;
}

/* Plans the conv from the live L1 on the first pass and loads its weights. */
static tg_status plan_conv(tg_resnet50 *net, tg_resnet_conv *c, const tg_tensor *x,
                           const tg_tensor *shortcut, bool dealloc) {
    tg_machine m = tg_machine_self();
    TG_CHECK(fit_conv(net, c, &m, tg_core_l1(), x, shortcut, dealloc));
    c->planned = false;
    tg_status st;
    char scope[96];
    snprintf(scope, sizeof scope, "%s:weights", c->name);
    tg_stats_begin(scope);
    st = tg_conv2d_weights_load(&c->plan, c->w_cols, c->b_cols, &c->weights);
    tg_stats_end();
    if (st != TG_OK) {
        tg_conv2d_plan_free(&c->plan);
        return st;
    }
    free(c->w_cols), free(c->b_cols);
    c->w_cols = c->b_cols = NULL;
    c->planned = c->weights_loaded = true;
    return TG_OK;
}

/* Runs conv `name` on x into y (x freed afterwards when `dealloc`); the plan may move
 * the shortcut or x to DRAM first. */
static tg_status run_conv(fwd *f, const char *name, tg_tensor *x, tg_tensor *shortcut, bool dealloc,
                          tg_tensor *y) {
    tg_resnet_conv *c = find(f->net, name);
    if (!c->planned) TG_CHECK(plan_conv(f->net, c, x, shortcut, dealloc));
    tg_stats_begin(c->name);
    tg_status st =
        tg_err_prefix(tg_conv2d_run(&c->plan, x, shortcut, &c->weights, y), "layer %s: ", c->name);
    if (st != TG_OK) {
        tg_stats_end();
        return st;
    }
    if (dealloc) tg_tensor_free(x);
    char how[48];
    if (c->plan.p.layout == TG_CONV_DRAM)
        snprintf(how, sizeof how, "none (DRAM)");
    else
        snprintf(how, sizeof how, "%s abh %lld", tg_conv_layout_name(c->plan.p.layout),
                 (long long)c->plan.act_block_h);
    return layer_done(f, c->name, y, how);
}

/* The stem's max pool (3x3, stride 2, padding 1, height sharded) over x: the same
 * parameters for the run and for the plan of the whole network. */
static tg_maxpool2d_params stem_pool_params(const tg_tensor *x) {
    return (tg_maxpool2d_params){.n = x->n,
                                 .h = x->h,
                                 .w = x->w,
                                 .c = x->c,
                                 .kh = 3,
                                 .kw = 3,
                                 .sh = 2,
                                 .sw = 2,
                                 .dh = 1,
                                 .dw = 1,
                                 .pad_t = 1,
                                 .pad_b = 1,
                                 .pad_l = 1,
                                 .pad_r = 1,
                                 .layout = TG_SHARD_HEIGHT,
                                 .snap = true,
                                 .fmt = x->fmt};
}

static tg_status run_maxpool(fwd *f, tg_tensor *x, tg_tensor *y) {
    tg_resnet50 *net = f->net;
    if (!net->pool_planned) {
        tg_maxpool2d_params p = stem_pool_params(x);
        tg_machine m = tg_machine_self();
        tg_status st = tg_maxpool2d_plan_fit(&p, &m, tg_core_l1(), x, true, &net->pool);
        if (st != TG_OK) {
            tg_maxpool2d_plan_free(&net->pool);
            return tg_err_prefix(st, "layer maxpool: ");
        }
        net->pool_planned = true;
    }
    tg_stats_begin("maxpool");
    tg_status st = tg_err_prefix(tg_maxpool2d_run(&net->pool, x, y), "layer maxpool: ");
    if (st != TG_OK) {
        tg_stats_end();
        return st;
    }
    tg_tensor_free(x);
    return layer_done(f, "maxpool", y, net->pool.p.dram ? "none (DRAM)" : "height");
}

/* One bottleneck: x is consumed, y is the block's output. */
static tg_status bottleneck(fwd *f, int stage, int block, tg_tensor *x, tg_tensor *y) {
    char name[48], base[32];
    snprintf(base, sizeof base, "layer%d.%d", stage, block);
    tg_tensor ds = {0}, y1 = {0}, y2 = {0};
    tg_tensor *shortcut = x;
    tg_status st = TG_OK;
    if (block == 0) {
        snprintf(name, sizeof name, "%s.downsample", base);
        TG_TRY(st, run_conv(f, name, x, NULL, false, &ds), fail);
        shortcut = &ds;
    }
    snprintf(name, sizeof name, "%s.conv1", base);
    TG_TRY(st, run_conv(f, name, x, NULL, block == 0, &y1), fail);
    snprintf(name, sizeof name, "%s.conv2", base);
    TG_TRY(st, run_conv(f, name, &y1, shortcut, true, &y2), fail);
    snprintf(name, sizeof name, "%s.conv3", base);
    TG_TRY(st, run_conv(f, name, &y2, shortcut, true, y), fail);
    /* The residual: y += shortcut, ReLU (in DRAM when the shortcut lives there and y's
     * shard has no room for a copy of it: the add's placement). */
    tg_resnet50 *net = f->net;
    int ai = f->nadds++;
    if (!net->add_planned[ai]) {
        tg_machine m = tg_machine_self();
        st = tg_add_plan_fit(y, shortcut, true, &m, tg_core_l1(), true, &net->adds[ai]);
        if (st != TG_OK) {
            tg_add_plan_free(&net->adds[ai]);
            TG_TRY(st, tg_err_prefix(st, "layer %s: ", base), fail);
        }
        net->add_planned[ai] = true;
    }
    tg_stats_begin(base);
    TG_TRY(st, tg_err_prefix(tg_add_run(&net->adds[ai], y, shortcut), "layer %s: ", base),
           fail_scope);
    tg_tensor_free(&ds);
    tg_tensor_free(x);
    return layer_done(f, base, y, y->place == TG_PLACE_DRAM ? "add+relu (DRAM)" : "add+relu");
fail_scope:
    tg_stats_end();
fail:
    tg_tensor_free(&ds), tg_tensor_free(&y1), tg_tensor_free(&y2), tg_tensor_free(y);
    return st;
}

tg_status tg_resnet50_forward(tg_resnet50 *net, tg_tensor *input, tg_tensor *logits,
                              tg_resnet_layer_fn on_layer, void *ctx) {
    fwd f = {.net = net, .on_layer = on_layer, .ctx = ctx};
    f.clock_ghz = tg_tl_costs_of(tg_core_self()->arch).clock_ghz;
    net->device_cycles = 0;
    const tg_resnet_opts *o = &net->opts;
    memset(logits, 0, sizeof *logits);
    if (input->n != o->batch || input->h != o->image || input->w != o->image || input->c != 3)
        return tg_err(TG_ERR_USAGE,
                      "resnet50: input is [%lld, %lld, %lld, %lld], expected [%lld, %lld, %lld, 3] "
                      "(NHWC)",
                      (long long)input->n, (long long)input->h, (long long)input->w,
                      (long long)input->c, (long long)o->batch, (long long)o->image,
                      (long long)o->image);
    tg_tensor x = {0}, y = {0}, pooled = {0}, folded = {0};
    tg_status st = TG_OK;
    tg_tensor *stem_in = input;
    if (net->convs[0].fold) {
        if (input->place != TG_PLACE_DRAM)
            return tg_err(TG_ERR_USAGE, "resnet50: the image must be in DRAM to be folded");
        tg_stats_begin("fold");
        st = fold_input(net, input, &folded);
        if (st == TG_OK) tg_timeline_record(&net->fold_time, tg_core_self()->rank);
        if (st != TG_OK) {
            tg_stats_end();
            return st;
        }
        TG_TRY(st, layer_done(&f, "fold", &folded, "DRAM"), done);
        stem_in = &folded;
    }
    TG_TRY(st, run_conv(&f, "conv1", stem_in, NULL, false, &x), done);
    tg_tensor_free(&folded);
    TG_TRY(st, run_maxpool(&f, &x, &y), done);
    x = y;
    memset(&y, 0, sizeof y);
    const int blocks[4] = {3, 4, 6, 3};
    for (int s = 0; s < 4; s++)
        for (int b = 0; b < blocks[s]; b++) {
            TG_TRY(st, bottleneck(&f, s + 1, b, &x, &y), done);
            progress_flush(&f);
            x = y;
            memset(&y, 0, sizeof y);
        }
    if (!net->avg_planned) {
        tg_machine m = tg_machine_self();
        st = tg_avgpool_plan_fit(&x, &m, tg_core_l1(), &net->avg);
        if (st != TG_OK) {
            tg_avgpool_plan_free(&net->avg);
            st = tg_err_prefix(st, "layer avgpool: ");
            goto done;
        }
        net->avg_planned = true;
    }
    tg_stats_begin("avgpool");
    st = tg_err_prefix(tg_avgpool_run(&net->avg, &x, &pooled), "layer avgpool: ");
    if (st != TG_OK) {
        tg_stats_end();
        goto done;
    }
    tg_tensor_free(&x);
    TG_TRY(st, layer_done(&f, "avgpool", &pooled, "channels (DRAM)"), done);
    TG_TRY(st, run_conv(&f, "fc", &pooled, NULL, true, logits), done);
    if (logits->place == TG_PLACE_L1) st = to_dram(logits);
done:
    progress_flush(&f);
    tg_tensor_free(&folded);
    tg_tensor_free(&x);
    tg_tensor_free(&y);
    tg_tensor_free(&pooled);
    if (st != TG_OK) tg_tensor_free(logits);
    return st;
}

/* ---- the network planned without running it ---- */

/* The walk of tg_resnet50_plan_only: a simulated L1 on which every layer's L1 map is
 * replayed in turn, and the tensors as descriptions (offsets from the maps). */
typedef struct dry {
    tg_resnet50 *net;
    tg_machine m;
    tg_l1 l1;
} dry;

/* Whether a plan's L1 map frees the block at `off` that was there before the op. */
static bool map_frees(const tg_l1_map *map, size_t off) {
    for (int i = 0; i < map->n; i++)
        if (map->ev[i].kind == TG_L1_FREE_OLD && map->ev[i].off == off) return true;
    return false;
}

/* Frees a tensor's block in the simulated L1 unless the op's map already did. */
static void dry_free(dry *d, tg_tensor *t, const tg_l1_map *map) {
    if (t->allocated && t->place == TG_PLACE_L1 && !(map && map_frees(map, t->l1_off)))
        tg_l1_free(&d->l1, t->l1_off);
    memset(t, 0, sizeof *t);
}

static tg_status dry_dram(tg_tensor *t, const char *name) {
    int64_t shape[4] = {t->n, t->h, t->w, t->c};
    tg_fmt fmt = t->fmt;
    return tg_tensor_describe_dram(t, name, shape, fmt);
}

static tg_status dry_conv(dry *d, const char *name, tg_tensor *x, tg_tensor *shortcut, bool dealloc,
                          tg_tensor *y) {
    tg_resnet_conv *c = find(d->net, name);
    TG_CHECK(fit_conv(d->net, c, &d->m, &d->l1, x, shortcut, dealloc));
    const tg_conv2d_plan *pl = &c->plan;
    TG_CHECK(tg_l1_map_apply(&pl->l1, &d->l1));
    if (pl->evict_shortcut) TG_CHECK(dry_dram(shortcut, "shortcut (DRAM)"));
    if (pl->evict_input) TG_CHECK(dry_dram(x, "input (DRAM)"));
    int64_t shape[4] = {pl->p.n, pl->win.out_h, pl->win.out_w, pl->p.cout};
    if (pl->p.layout == TG_CONV_DRAM) {
        TG_CHECK(tg_tensor_describe_dram(y, c->name, shape, pl->p.out_fmt));
    } else {
        tg_shard_spec spec;
        TG_CHECK(tg_conv2d_output_spec(pl, &spec));
        TG_CHECK(tg_tensor_describe_spec(y, c->name, shape, pl->p.out_fmt, &spec));
        y->tile = !pl->p.out_row_major;
        y->l1_off = pl->l1.ev[pl->ev_out].off;
    }
    y->allocated = true;
    if (dealloc) dry_free(d, x, &pl->l1);
    return TG_OK;
}

static tg_status dry_bottleneck(dry *d, int stage, int block, tg_tensor *x, tg_tensor *y) {
    char name[48], base[32];
    snprintf(base, sizeof base, "layer%d.%d", stage, block);
    tg_tensor ds = {0}, y1 = {0}, y2 = {0};
    tg_tensor *shortcut = x;
    if (block == 0) {
        snprintf(name, sizeof name, "%s.downsample", base);
        TG_CHECK(dry_conv(d, name, x, NULL, false, &ds));
        shortcut = &ds;
    }
    snprintf(name, sizeof name, "%s.conv1", base);
    TG_CHECK(dry_conv(d, name, x, NULL, block == 0, &y1));
    snprintf(name, sizeof name, "%s.conv2", base);
    TG_CHECK(dry_conv(d, name, &y1, shortcut, true, &y2));
    snprintf(name, sizeof name, "%s.conv3", base);
    TG_CHECK(dry_conv(d, name, &y2, shortcut, true, y));
    tg_resnet50 *net = d->net;
    int ai = 0;
    for (int s = 1; s < stage; s++) ai += (int[]){3, 4, 6, 3}[s - 1];
    ai += block;
    tg_status st = tg_add_plan_fit(y, shortcut, true, &d->m, &d->l1, true, &net->adds[ai]);
    if (st != TG_OK) {
        tg_add_plan_free(&net->adds[ai]);
        return tg_err_prefix(st, "layer %s: ", base);
    }
    net->add_planned[ai] = true;
    const tg_l1_map *map = &net->adds[ai].l1;
    TG_CHECK(tg_l1_map_apply(map, &d->l1));
    if (net->adds[ai].evict_a) *y = net->adds[ai].a, y->allocated = true;
    dry_free(d, &ds, map);
    if (block != 0) dry_free(d, x, map);
    return TG_OK;
}

tg_status tg_resnet50_plan_only(tg_resnet50 *net, const tg_machine *m) {
    dry d = {net, *m, {0}};
    tg_machine_empty_l1(m, &d.l1);
    const tg_resnet_opts *o = &net->opts;
    tg_tensor in, x = {0}, y = {0};
    int64_t shape[4] = {o->batch, o->image, o->image, 3};
    tg_status st = tg_tensor_describe_dram(&in, "image", shape, o->act_fmt);
    in.allocated = true;
    TG_TRY(st, st, done);
    if (net->convs[0].fold) {
        tg_tensor folded;
        int64_t s2 = o->image / 2 + 3, fshape[4] = {o->batch, s2, s2, 16};
        TG_TRY(st, tg_tensor_describe_dram(&folded, "folded", fshape, o->act_fmt), done);
        bool modelled;
        TG_TRY(st, fold_timeline(net, m, &in, &folded, &modelled), done);
        in = folded;
        in.allocated = true;
    }
    TG_TRY(st, dry_conv(&d, "conv1", &in, NULL, false, &x), done);
    tg_maxpool2d_params p = stem_pool_params(&x);
    TG_TRY(
        st,
        tg_err_prefix(tg_maxpool2d_plan_fit(&p, m, &d.l1, &x, true, &net->pool), "layer maxpool: "),
        done);
    net->pool_planned = true;
    TG_TRY(st, tg_l1_map_apply(&net->pool.l1, &d.l1), done);
    y = net->pool.out;
    if (y.place == TG_PLACE_L1) y.l1_off = net->pool.l1.ev[net->pool.ev_out].off;
    y.allocated = true;
    dry_free(&d, &x, &net->pool.l1);
    x = y;
    memset(&y, 0, sizeof y);
    const int blocks[4] = {3, 4, 6, 3};
    for (int s = 0; s < 4; s++)
        for (int b = 0; b < blocks[s]; b++) {
            TG_TRY(st, dry_bottleneck(&d, s + 1, b, &x, &y), done);
            x = y;
            memset(&y, 0, sizeof y);
        }
    TG_TRY(st, tg_err_prefix(tg_avgpool_plan_fit(&x, m, &d.l1, &net->avg), "layer avgpool: "),
           done);
    net->avg_planned = true;
    TG_TRY(st, tg_l1_map_apply(&net->avg.l1, &d.l1), done);
    tg_tensor pooled = net->avg.out;
    pooled.allocated = true;
    dry_free(&d, &x, &net->avg.l1);
    TG_TRY(st, dry_conv(&d, "fc", &pooled, NULL, true, &y), done);
done:
    tg_l1_destroy(&d.l1);
    return st;
}

/* ---- the layers in order, with their plans ---- */

static void conv_info(const tg_resnet_conv *c, tg_resnet_layer_info *l) {
    const tg_conv2d_plan *pl = &c->plan;
    l->name = c->name;
    l->shape[0] = pl->p.n, l->shape[1] = pl->win.out_h, l->shape[2] = pl->win.out_w;
    l->shape[3] = pl->p.cout;
    if (pl->p.layout == TG_CONV_DRAM)
        snprintf(l->how, sizeof l->how, "none (DRAM)");
    else
        snprintf(l->how, sizeof l->how, "%s abh %lld", tg_conv_layout_name(pl->p.layout),
                 (long long)pl->act_block_h);
    l->traffic = &pl->traffic;
    l->l1_high_water = pl->l1.high_water;
    l->time = &pl->time;
}

void tg_resnet50_each_layer(const tg_resnet50 *net, tg_resnet_layer_info_fn fn, void *ctx) {
    tg_resnet_layer_info l;
    const tg_resnet_conv *c = &net->convs[0];
    static const tg_traffic none;
    if (c->fold && net->fold_time.ncores) {
        memset(&l, 0, sizeof l);
        l.name = "fold";
        l.shape[0] = net->opts.batch, l.shape[1] = l.shape[2] = c->in_h, l.shape[3] = 16;
        snprintf(l.how, sizeof l.how, "DRAM");
        l.traffic = &none;
        l.time = &net->fold_time;
        fn(ctx, &l);
    }
    memset(&l, 0, sizeof l);
    if (c->planned) conv_info(c, &l), fn(ctx, &l);
    if (net->pool_planned) {
        memset(&l, 0, sizeof l);
        l.name = "maxpool";
        const tg_tensor *o = &net->pool.out;
        l.shape[0] = o->n, l.shape[1] = o->h, l.shape[2] = o->w, l.shape[3] = o->c;
        snprintf(l.how, sizeof l.how, "%s", net->pool.p.dram ? "none (DRAM)" : "height");
        l.traffic = &net->pool.traffic;
        l.l1_high_water = net->pool.l1.high_water;
        l.time = &net->pool.time;
        fn(ctx, &l);
    }
    const int blocks[4] = {3, 4, 6, 3};
    static const char *const parts[4] = {"downsample", "conv1", "conv2", "conv3"};
    int ai = 0;
    for (int s = 0; s < 4; s++)
        for (int b = 0; b < blocks[s]; b++, ai++) {
            for (int k = b == 0 ? 0 : 1; k < 4; k++) {
                char cname[48];
                snprintf(cname, sizeof cname, "layer%d.%d.%s", s + 1, b, parts[k]);
                const tg_resnet_conv *cc = find((tg_resnet50 *)net, cname);
                memset(&l, 0, sizeof l);
                if (cc && cc->planned) conv_info(cc, &l), fn(ctx, &l);
            }
            if (!net->add_planned[ai]) continue;
            memset(&l, 0, sizeof l);
            char name[32];
            snprintf(name, sizeof name, "layer%d.%d", s + 1, b);
            l.name = name;
            const tg_tensor *a = &net->adds[ai].a;
            l.shape[0] = a->n, l.shape[1] = a->h, l.shape[2] = a->w, l.shape[3] = a->c;
            snprintf(l.how, sizeof l.how, "%s",
                     a->place == TG_PLACE_DRAM ? "add+relu (DRAM)" : "add+relu");
            l.traffic = &net->adds[ai].traffic;
            l.l1_high_water = net->adds[ai].l1.high_water;
            l.time = &net->adds[ai].time;
            fn(ctx, &l);
        }
    if (net->avg_planned) {
        memset(&l, 0, sizeof l);
        l.name = "avgpool";
        const tg_tensor *o = &net->avg.out;
        l.shape[0] = o->n, l.shape[1] = o->h, l.shape[2] = o->w, l.shape[3] = o->c;
        snprintf(l.how, sizeof l.how, "channels (DRAM)");
        l.traffic = &net->avg.traffic;
        l.l1_high_water = net->avg.l1.high_water;
        l.time = &net->avg.time;
        fn(ctx, &l);
    }
    memset(&l, 0, sizeof l);
    const tg_resnet_conv *fc = find((tg_resnet50 *)net, "fc");
    if (fc && fc->planned) conv_info(fc, &l), fn(ctx, &l);
}
