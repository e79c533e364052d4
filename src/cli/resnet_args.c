/* The options of `resnet50` and `plan resnet50`; see resnet_args.h. */
#include "resnet_args.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

tg_status tg_cli_resnet_parse(int argc, char **argv, bool plan, rn_opts *o) {
    static const struct option opts[] = {
        {"weights", required_argument, 0, 'w'},
        {"input", required_argument, 0, 'i'},
        {"output", required_argument, 0, 'o'},
        {"batch", required_argument, 0, 'b'},
        {"image-size", required_argument, 0, 's'},
        {"dtype", required_argument, 0, 'd'},
        {"weights-dtype", required_argument, 0, 'W'},
        {"math-fidelity", required_argument, 0, 'f'},
        {"fp32-acc", no_argument, 0, 'a'},
        {"shard", required_argument, 0, 'l'},
        {"act-block-h", required_argument, 0, 'h'},
        {"layer", required_argument, 0, 'L'},
        {"dump-layers", required_argument, 0, 'D'},
        {"seed", required_argument, 0, 'S'},
        {"repeat", required_argument, 0, 'r'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->net.batch = 1, o->net.image = 224;
    o->net.act_fmt = o->net.w_fmt = TG_BFLOAT16;
    o->net.fidelity = TG_HIFI4;
    o->net.layout = TG_CONV_AUTO;
    o->repeat = 1;
    long v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            o->weights = optarg;
            break;
        case 'i':
            TG_CHECK(tg_io_ref_parse(optarg, &o->input));
            o->have_input = true;
            break;
        case 'o':
            if (strchr(optarg, ':'))
                TG_CHECK(tg_io_ref_parse(optarg, &o->output));
            else
                snprintf(o->output.file, sizeof o->output.file, "%s", optarg),
                    snprintf(o->output.dset, sizeof o->output.dset, "/logits");
            o->have_output = true;
            break;
        case 'b':
            TG_CHECK(tg_cli_int("--batch", optarg, 1, 4096, &v));
            o->net.batch = v, o->batch_set = true;
            break;
        case 's':
            TG_CHECK(tg_cli_int("--image-size", optarg, 1, 8192, &v));
            o->net.image = v, o->image_set = true;
            break;
        case 'd':
            TG_CHECK(tg_fmt_parse(optarg, &o->net.act_fmt));
            break;
        case 'W':
            TG_CHECK(tg_fmt_parse(optarg, &o->net.w_fmt));
            o->wdtype_set = true;
            break;
        case 'f':
            TG_CHECK(tg_fidelity_parse(optarg, &o->net.fidelity));
            break;
        case 'a':
            o->net.fp32_acc = true;
            break;
        case 'l':
            TG_CHECK(tg_conv_layout_parse(optarg, &o->net.layout));
            break;
        case 'h':
            TG_CHECK(tg_cli_int("--act-block-h", optarg, 32, 1 << 20, &v));
            if (v % 32) return tg_err(TG_ERR_USAGE, "--act-block-h %ld is not a multiple of 32", v);
            o->net.act_block_h = (int)v;
            break;
        case 'L':
            if (o->noverrides == MAX_OVERRIDES)
                return tg_err(TG_ERR_USAGE, "too many --layer options");
            o->overrides[o->noverrides++] = optarg;
            break;
        case 'D':
            o->dump = optarg;
            break;
        case 'S':
            TG_CHECK(tg_cli_int("--seed", optarg, 0, 1L << 40, &v));
            o->seed = (unsigned long long)v;
            break;
        case 'r':
            TG_CHECK(tg_cli_int("--repeat", optarg, 1, 1000, &v));
            o->repeat = (int)v;
            break;
        default:
            return tg_cli_bad_option(plan ? "plan resnet50" : "resnet50", argv, optind);
        }
        if (plan && (c == 'w' || c == 'i' || c == 'o' || c == 'D' || c == 'S' || c == 'r')) {
            const char *name = "?";
            for (int k = 0; opts[k].name; k++)
                if (opts[k].val == c) name = opts[k].name;
            return tg_err(TG_ERR_USAGE,
                          "plan resnet50: option --%s does not apply (the network is planned, "
                          "not run)",
                          name);
        }
    }
    if (optind < argc)
        return tg_err(TG_ERR_USAGE, "%s: unexpected argument '%s'",
                      plan ? "plan resnet50" : "resnet50", argv[optind]);
    if (!o->have_output && !plan)
        return tg_err(TG_ERR_USAGE, "resnet50: --output F.h5[:/logits] is required");
    const char *leaf = strrchr(o->output.dset, '/');
    if (!plan && leaf && !strcmp(leaf + 1, "top5"))
        return tg_err(TG_ERR_USAGE,
                      "resnet50: --output dataset '%s' is where the top-5 classes go; name the "
                      "logits otherwise",
                      o->output.dset);
    if (!o->wdtype_set) o->net.w_fmt = o->net.act_fmt;
    return TG_OK;
}
