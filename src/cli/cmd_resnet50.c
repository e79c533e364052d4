/* ttgrid resnet50: ResNet-50 inference on the grid (DESIGN.md section 7). Weights from
 * an HDF5 state_dict file or generated; input from HDF5 or generated; logits and
 * top-5 classes to HDF5, one progress line per layer, top-5 per image. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "io.h"
#include "resnet50.h"
#include "resnet_args.h"
#include "stats.h"

typedef struct dump_ctx {
    tg_io_file *f;
} dump_ctx;

static tg_status dump_layer(void *ctx, const char *name, const tg_tensor *t) {
    dump_ctx *d = ctx;
    char path[128];
    snprintf(path, sizeof path, "/layers/%s", name);
    return tg_io_store_tensor(t, d->f, path, "ttgrid " TTGRID_VERSION " resnet50");
}

/* The input: from the file ([N, 3, S, S] with layout="NCHW", or NHWC) or generated. */
static tg_status load_input(rn_opts *o, tg_tensor *in) {
    int64_t shape[4] = {o->net.batch, o->net.image, o->net.image, 3}, r0, r1;
    tg_io_file *f = NULL;
    if (o->have_input) {
        TG_CHECK(tg_io_open(o->input.file, &f));
        tg_status st = tg_io_tensor_shape(f, o->input.dset, shape);
        if (st == TG_OK && (shape[3] != 3 || shape[1] != shape[2]))
            st = tg_err(TG_ERR_USAGE,
                        "resnet50: input '%s' is [%lld, %lld, %lld, %lld] as NHWC; expected [N, S, "
                        "S, 3] (or [N, 3, S, S] with layout=\"NCHW\")",
                        o->input.dset, (long long)shape[0], (long long)shape[1],
                        (long long)shape[2], (long long)shape[3]);
        if (st == TG_OK && ((o->batch_set && shape[0] != o->net.batch) ||
                            (o->image_set && shape[1] != o->net.image)))
            st = tg_err(TG_ERR_USAGE,
                        "resnet50: input '%s' has batch %lld and image size %lld, but --batch %lld "
                        "--image-size %lld were given",
                        o->input.dset, (long long)shape[0], (long long)shape[1],
                        (long long)o->net.batch, (long long)o->net.image);
        if (st != TG_OK) {
            tg_io_close(f);
            return st;
        }
        o->net.batch = shape[0], o->net.image = shape[1];
    }
    tg_status st = tg_tensor_alloc_dram(in, "resnet50:input", shape, o->net.act_fmt);
    if (f) {
        if (st == TG_OK) st = tg_io_load_tensor(f, o->input.dset, in);
        tg_io_close(f);
        return st;
    }
    if (st != TG_OK) return st;
    /* generated: each rank writes its share of the rows into DRAM, as a load does */
    tg_tensor_host_rows(in, &r0, &r1);
    float *rows = malloc((size_t)((r1 - r0) * 3 + 1) * sizeof *rows);
    st = rows ? TG_OK : tg_err(TG_ERR_RUNTIME, "resnet50: out of host memory");
    if (st == TG_OK) tg_resnet50_input_rows(o->seed, r0, r1, rows);
    st = tg_noc_sync(st == TG_OK ? tg_tensor_write_host_rows(in, r0, r1, rows) : st);
    free(rows);
    return st;
}

/* This process's proportional set size (its share of shared pages), from
 * /proc/self/smaps_rollup; 0 when unavailable. */
static double pss_bytes(void) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Pss: %lf kB", &kb) == 1) break;
    fclose(f);
    return kb * 1024;
}

/* Memory of the whole grid: the sum over ranks of each process's peak resident set
 * (shared pages count in every process that touched them, so an upper bound) and of
 * their proportional set sizes now (shared pages split between their users). */
static void report_memory(const tg_cli *g) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double in[3] = {(double)ru.ru_maxrss * 1024, (double)ru.ru_maxrss * 1024, pss_bytes()}, out[3];
    tg_noc_reduce(in, out, 3, "sms");
    tg_cli_out(g,
               "memory: peak resident %.0f MB summed over %d ranks (largest rank %.0f MB); "
               "proportional set now %.0f MB in all\n",
               out[0] / 1048576, tg_core_self()->nranks, out[1] / 1048576, out[2] / 1048576);
}

/* This process's context switches so far (voluntary: it slept, in a futex or a poll;
 * involuntary: the scheduler took its processor), from getrusage. */
static void switches(double *vol, double *invol) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *vol = (double)ru.ru_nvcsw, *invol = (double)ru.ru_nivcsw;
}

/* The context switches of the passes after the first, per pass, summed over ranks:
 * with more ranks than processors every wait for another core is a switch, and each
 * switch has a price the machine sets (bench_handoff), so this count bounds how fast
 * an oversubscribed pass can be (README, Benchmarks). `from` holds the counts at the
 * start of the second pass. */
static void report_switches(const tg_cli *g, const double from[2], int passes) {
    double in[2], out[2];
    switches(&in[0], &in[1]);
    in[0] = (in[0] - from[0]) / passes, in[1] = (in[1] - from[1]) / passes;
    tg_noc_reduce(in, out, 2, "ss");
    tg_cli_out(g,
               "context switches: %.0f a pass after the first, summed over %d ranks (%.0f "
               "voluntary, %.0f involuntary)\n",
               out[0] + out[1], tg_core_self()->nranks, out[0], out[1]);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void top5(const float *logits, int64_t *idx) {
    for (int k = 0; k < 5; k++) {
        int64_t best = -1;
        for (int64_t j = 0; j < 1000; j++) {
            bool taken = false;
            for (int q = 0; q < k; q++) taken |= idx[q] == j;
            if (!taken && (best < 0 || logits[j] > logits[best])) best = j;
        }
        idx[k] = best;
    }
}

static tg_status resnet50_run(int argc, char **argv, const tg_cli *g) {
    rn_opts o;
    TG_CHECK(tg_cli_resnet_parse(argc, argv, false, &o));
    TG_CHECK(tg_cli_check_outputs(g, &o.output, o.dump, "--dump-layers"));
    o.net.progress = !g->quiet;
    tg_resnet50 net;
    tg_tensor in = {0}, logits = {0};
    tg_io_file *fout = NULL;
    dump_ctx dump = {NULL};
    float *all = NULL;
    int64_t *top = NULL;
    tg_status st;
    tg_stats_begin("load input");
    TG_TRY(st, load_input(&o, &in), early);
    tg_stats_end();
    tg_resnet_source src = {o.weights, o.seed};
    tg_stats_begin("load weights");
    st = tg_resnet50_init(&net, &o.net, &src, o.overrides, o.noverrides);
    tg_stats_end();
    if (st != TG_OK) goto early;
    if (o.dump) TG_TRY(st, tg_io_create(o.dump, &dump.f), done);
    tg_cli_out(g,
               "resnet50: batch %lld, %lldx%lld, %s activations, %s weights, %s%s, %dx%d grid, %s "
               "weights\n",
               (long long)o.net.batch, (long long)o.net.image, (long long)o.net.image,
               tg_fmt_name(o.net.act_fmt), tg_fmt_name(o.net.w_fmt),
               tg_fidelity_name(o.net.fidelity), o.net.fp32_acc ? ", fp32 accumulation" : "",
               tg_core_self()->grid.w, tg_core_self()->grid.h, o.weights ? o.weights : "generated");
    double times[1000], csw[2] = {0, 0};
    for (int r = 0; r < o.repeat; r++) {
        if (r > 0) tg_tensor_free(&logits);
        if (r == 1) switches(&csw[0], &csw[1]);
        double in_t[1] = {tg_stats_clock()}, t0[1];
        tg_noc_reduce(in_t, t0, 1, "m");
        TG_TRY(st,
               tg_resnet50_forward(&net, &in, &logits, dump.f && r == 0 ? dump_layer : NULL, &dump),
               done);
        double el[1] = {tg_stats_clock() - t0[0]}, e[1];
        tg_noc_reduce(el, e, 1, "m");
        times[r] = e[0] / (double)o.net.batch;
        tg_cli_out(g, "forward pass %d: %.3f s (%.4f s per image)%s\n", r + 1, e[0], times[r],
                   r == 0 ? ", including weight preparation" : "");
    }
    if (o.repeat > 1) {
        /* the passes after the first, which prepared the weights */
        int n = o.repeat - 1;
        qsort(times + 1, (size_t)n, sizeof *times, cmp_double);
        tg_cli_out(g, "forward passes after the first: median %.4f s, best %.4f s per image\n",
                   n % 2 ? times[1 + n / 2] : 0.5 * (times[n / 2] + times[1 + n / 2]), times[1]);
    }
    {
        /* the device's modelled time of the last pass: its ops one after another */
        const tg_arch *a = tg_core_self()->arch;
        double sec = net.device_cycles / (tg_tl_costs_of(a).clock_ghz * 1e9);
        tg_cli_out(g, "modelled device time %.3f ms per batch of %lld: %.0f images/s on %s %dx%d\n",
                   sec * 1e3, (long long)o.net.batch, sec > 0 ? (double)o.net.batch / sec : 0.0,
                   a->name, tg_core_self()->grid.w, tg_core_self()->grid.h);
    }
    report_memory(g);
    if (o.repeat > 1) report_switches(g, csw, o.repeat - 1);
    /* logits ([N, 1, 1, 1000] in DRAM) to rank 0, which writes them and the top-5 */
    int64_t N = o.net.batch;
    all = g->rank == 0 ? malloc((size_t)(N * 1000) * sizeof *all) : NULL;
    TG_TRY(st,
           tg_noc_agree(g->rank == 0 && !all
                            ? tg_err(TG_ERR_RUNTIME, "resnet50: out of host memory")
                            : TG_OK),
           done);
    TG_TRY(st, tg_noc_sync(g->rank == 0 ? tg_tensor_read_host_rows(&logits, 0, N, all) : TG_OK),
           done);
    TG_TRY(st, tg_io_create(o.output.file, &fout), done);
    int64_t dims[2] = {N, 1000};
    TG_TRY(st, tg_io_write_root(fout, o.output.dset, 2, dims, all), done);
    top = calloc((size_t)(N * 5), sizeof *top);
    TG_TRY(st, tg_noc_agree(top ? TG_OK : tg_err(TG_ERR_RUNTIME, "resnet50: out of host memory")),
           done);
    for (int64_t n = 0; n < N && g->rank == 0; n++) {
        top5(all + n * 1000, top + n * 5);
        tg_cli_out(g,
                   "image %lld: top-5 classes %lld %lld %lld %lld %lld (logits %.4f %.4f %.4f %.4f "
                   "%.4f)\n",
                   (long long)n, (long long)top[n * 5], (long long)top[n * 5 + 1],
                   (long long)top[n * 5 + 2], (long long)top[n * 5 + 3], (long long)top[n * 5 + 4],
                   all[n * 1000 + top[n * 5]], all[n * 1000 + top[n * 5 + 1]],
                   all[n * 1000 + top[n * 5 + 2]], all[n * 1000 + top[n * 5 + 3]],
                   all[n * 1000 + top[n * 5 + 4]]);
    }
    char tpath[TG_IO_DSET_MAX];
    snprintf(tpath, sizeof tpath, "%s", o.output.dset);
    char *slash = strrchr(tpath, '/');
    snprintf(slash + 1, sizeof tpath - (size_t)(slash + 1 - tpath), "top5");
    TG_TRY(st, tg_io_write_root_i64(fout, tpath, N, 5, top), done);
    st = tg_cli_finish(g, &fout, &dump.f);
done:
    tg_resnet50_free(&net);
early:
    tg_stats_end();
    tg_io_abort(fout);
    tg_io_abort(dump.f);
    free(all), free(top);
    tg_tensor_free(&logits);
    tg_tensor_free(&in);
    return st;
}

const tg_cmd tg_cmd_resnet50 = {
    .name = "resnet50",
    .run = resnet50_run,
    /* tt-metal's ResNet-50 tests open the device with l1_small_size 24576
     * (tests/ttnn/NOTES.md section 7) */
    .l1_small_default = 24576,
    .summary = "ResNet-50 inference on the grid, validated against PyTorch",
    .help =
        "usage: mpirun -np P ttgrid [global options] resnet50 --output F.h5[:/logits] [options]\n\n"
        "torchvision's ResNet-50 v1.5 (inference, BN folded into the convs). Writes the\n"
        "logits [N, 1000] at the output dataset (default /logits) and the top-5 classes\n"
        "[N, 5] as 'top5' beside it, with the per-op, per-core statistics under /stats;\n"
        "prints one line per layer (shape, layout, time of the slowest core, the device's\n"
        "modelled time and its bound, NoC+DRAM\n"
        "bytes over all cores, L1 high-water mark) and the top-5 per image.\n\n"
        "  --weights F.h5         one dataset per torchvision state_dict key (e.g.\n"
        "                         /layer1.0.conv1.weight, /bn1.running_mean, /fc.bias);\n"
        "                         default: deterministic generated weights (--seed)\n"
        "  --input F:/d           [N, 3, S, S] with layout=\"NCHW\", or [N, S, S, 3];\n"
        "                         default: a deterministic generated batch\n"
        "  --batch N              (1; from --input when given)\n"
        "  --image-size S         (224; any size that survives five stride-2 stages)\n"
        "  --dtype F              activations: bfloat16 (default), float32, bfloat8_b\n"
        "  --weights-dtype F      weights (default: --dtype)\n"
        "  --math-fidelity M      LoFi, HiFi2, HiFi3, HiFi4 (default)\n"
        "  --fp32-acc             accumulate in float32\n"
        "  --shard L              every conv: height, width, block or none (default: the\n"
        "                         per-layer table, TTNN's Wormhole config)\n"
        "  --act-block-h N        every conv's act_block_h\n"
        "  --layer NAME=L[:N]     one conv's layout and act_block_h, e.g.\n"
        "                         --layer layer3.0.conv2=height:64 (repeatable)\n"
        "  --dump-layers F.h5     every layer's output under /layers/<name>\n"
        "  --seed S               for generated weights and input (0)\n"
        "  --repeat R             run R forward passes and report the best after the first\n",
};
