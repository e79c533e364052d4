#!/usr/bin/env python3
"""The conformance table's inputs: conv2d configurations for tests/ttnn/conv2d_l1.py.

CONFIGS is a list of {"name", "group", "cfg"}; cfg is what conv2d_l1.plan() takes (see
conv2d_l1.DEFAULTS for every field and its TTNN default). Groups:
  generic    layouts, kernels 1x1..7x7, strides, dtypes, grids, Conv2dConfig knobs
  resnet50   torchvision ResNet-50 v1.5 at 224x224, 53 convs, batch 1, 8, 16, 8x8 Wormhole,
             the flags of TTNN's ResNet-50 model (see resnet50_convs), bfloat16 activations
  resnet50_model_dtypes  the batch-16 convs again with the model's bfloat8_b activations
"""

import math

WH = "wormhole_b0"
BH = "blackhole"
SMALL = 32768          # an l1_small_size models commonly open the device with


def g(name, **cfg):
    cfg.setdefault("l1_small_size", SMALL)
    return {"name": name, "group": "generic", "cfg": cfg}


GENERIC = [
    # The example (NHWC 1x7x7x512 -> 512, 3x3/2 pad 1, block sharded, 2x2 device grid).
    g("issue_7x7x512_3x3s2_block_2x2", in_h=7, in_w=7, in_c=512, out_c=512, kernel=3, stride=2, padding=1,
      shard_layout="block", grid=(2, 2)),
    g("issue_7x7x512_3x3s2_block_2x2_nobias", in_h=7, in_w=7, in_c=512, out_c=512, kernel=3, stride=2, padding=1,
      shard_layout="block", grid=(2, 2), bias=False),
    # height sharding
    g("h_3x3s1_56x56x64_64", in_h=56, in_w=56, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height"),
    g("h_3x3s1_56x56x64_64_abh64", in_h=56, in_w=56, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height", act_block_h_override=64),
    g("h_3x3s1_56x56x64_64_dbuf", in_h=56, in_w=56, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height", enable_act_double_buffer=True, enable_weights_double_buffer=True),
    g("h_3x3s1_56x56x64_64_abh64_dbuf", in_h=56, in_w=56, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height", act_block_h_override=64, enable_act_double_buffer=True,
      enable_weights_double_buffer=True),
    g("h_3x3s1_56x56x64_64_reuse", batch=2, in_h=56, in_w=56, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height", enable_activation_reuse=True),
    g("h_3x3s1_56x56x64_64_force_split", in_h=56, in_w=56, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height", force_split_reader=True),
    g("h_3x3s2_112x112x64_128_b2_abh128_dbuf_bfp8w", batch=2, in_h=112, in_w=112, in_c=64, out_c=128, kernel=3,
      stride=2, padding=1, shard_layout="height", act_block_h_override=128, enable_act_double_buffer=True,
      enable_weights_double_buffer=True, weights_tensor_dtype="bfloat8_b"),
    g("h_5x5s1_32x32x64_128_fp32_4x4", in_h=32, in_w=32, in_c=64, out_c=128, kernel=5, stride=1, padding=2,
      shard_layout="height", grid=(4, 4), input_dtype="float32", weights_tensor_dtype="float32"),
    g("h_3x3s1_28x28x128_128_fp32w_bf16in", in_h=28, in_w=28, in_c=128, out_c=128, kernel=3, stride=1, padding=1,
      shard_layout="height", weights_tensor_dtype="float32"),
    g("h_7x7s2_224x224x3_64_raw_stem", in_h=224, in_w=224, in_c=3, out_c=64, kernel=7, stride=2, padding=3,
      shard_layout="height"),
    g("h_2x2s2_64x64x32_64", in_h=64, in_w=64, in_c=32, out_c=64, kernel=2, stride=2, padding=0,
      shard_layout="height"),
    g("h_4x4s2p1_64x64x32_64", in_h=64, in_w=64, in_c=32, out_c=64, kernel=4, stride=2, padding=1,
      shard_layout="height"),
    g("h_6x6s1_32x32x32_32", in_h=32, in_w=32, in_c=32, out_c=32, kernel=6, stride=1, padding=0,
      shard_layout="height"),
    g("h_3x3d2_32x32x64_64", in_h=32, in_w=32, in_c=64, out_c=64, kernel=3, stride=1, padding=2, dilation=2,
      shard_layout="height"),
    g("h_3x3s1_16x16x32_32_1x1grid", in_h=16, in_w=16, in_c=32, out_c=32, kernel=3, stride=1, padding=1,
      shard_layout="height", grid=(1, 1)),
    g("h_3x3s1_28x28x64_64_rm_out", in_h=28, in_w=28, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height", output_layout="ROW_MAJOR"),
    g("h_3x3s1_28x28x64_64_cfg_dram", in_h=28, in_w=28, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height", config_tensors_in_dram=True),
    g("h_3x3s1_28x28x64_64_l1small0", in_h=28, in_w=28, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height", l1_small_size=0),
    g("h_1x1s2_56x56x256_512_tile_in", batch=8, in_h=56, in_w=56, in_c=256, out_c=512, kernel=1, stride=2,
      padding=0, shard_layout="height", input_layout="TILE", weights_tensor_dtype="bfloat8_b"),
    g("h_3x3s1_224x224x64_64_b8_2x2_oom", batch=8, in_h=224, in_w=224, in_c=64, out_c=64, kernel=3, stride=1,
      padding=1, shard_layout="height", grid=(2, 2)),
    # 1x1 matmul path
    g("mm_h_1x1_56x56x64_256", in_h=56, in_w=56, in_c=64, out_c=256, kernel=1, stride=1, padding=0,
      shard_layout="height", input_layout="TILE"),
    g("mm_h_1x1_28x28x128_512_fp32acc", in_h=28, in_w=28, in_c=128, out_c=512, kernel=1, stride=1, padding=0,
      shard_layout="height", input_layout="TILE", weights_tensor_dtype="bfloat8_b", fp32_dest_acc_en=True),
    g("mm_b_1x1_28x28x512_128_bfp8w", batch=2, in_h=28, in_w=28, in_c=512, out_c=128, kernel=1, stride=1,
      padding=0, shard_layout="block", input_layout="TILE", weights_tensor_dtype="bfloat8_b"),
    g("mm_b_1x1_14x14x1024_256_pl1acc", batch=4, in_h=14, in_w=14, in_c=1024, out_c=256, kernel=1, stride=1,
      padding=0, shard_layout="block", input_layout="TILE", packer_l1_acc=True),
    g("mm_h_1x1_rm_input_dealloc", in_h=28, in_w=28, in_c=96, out_c=192, kernel=1, stride=1, padding=0,
      shard_layout="height", input_layout="ROW_MAJOR", deallocate_activation=True),
    # block sharding
    g("b_3x3s2_28x28x256_256_bfp8w_fid", in_h=28, in_w=28, in_c=256, out_c=256, kernel=3, stride=2, padding=1,
      shard_layout="block", weights_tensor_dtype="bfloat8_b", full_inner_dim=True, input_layout="TILE"),
    g("b_3x3s2_28x28x256_256_bfp8w", in_h=28, in_w=28, in_c=256, out_c=256, kernel=3, stride=2, padding=1,
      shard_layout="block", weights_tensor_dtype="bfloat8_b", input_layout="TILE"),
    g("b_3x3s1_14x14x256_256_dbuf", batch=4, in_h=14, in_w=14, in_c=256, out_c=256, kernel=3, stride=1, padding=1,
      shard_layout="block", enable_act_double_buffer=True, enable_weights_double_buffer=True, input_layout="TILE"),
    g("b_3x3s1_14x14x256_256_bfp8out_pl1acc", in_h=14, in_w=14, in_c=256, out_c=256, kernel=3, stride=1,
      padding=1, shard_layout="block", output_dtype="bfloat8_b", packer_l1_acc=True, input_layout="TILE"),
    g("b_7x7s1_28x28x128_128", in_h=28, in_w=28, in_c=128, out_c=128, kernel=7, stride=1, padding=3,
      shard_layout="block"),
    g("b_3x3s1_28x28x128_128_2x4grid_dealloc_norealloc", in_h=28, in_w=28, in_c=128, out_c=128, kernel=3,
      stride=1, padding=1, shard_layout="block", grid=(2, 4), deallocate_activation=True,
      reallocate_halo_output=False),
    g("b_3x3s1_14x14x512_512_1x1grid_toobig", in_h=14, in_w=14, in_c=512, out_c=512, kernel=3, stride=1,
      padding=1, shard_layout="block", grid=(1, 1)),
    # width sharding
    g("w_3x3s1_14x14x1024_1024", in_h=14, in_w=14, in_c=1024, out_c=1024, kernel=3, stride=1, padding=1,
      shard_layout="width", input_layout="TILE"),
    g("w_3x3s1_14x14x1024_1024_div2_4x4", in_h=14, in_w=14, in_c=1024, out_c=1024, kernel=3, stride=1, padding=1,
      shard_layout="width", grid=(4, 4), act_block_w_div=2, input_layout="TILE"),
    g("w_3x3s1_14x14x1024_512_abh32", batch=2, in_h=14, in_w=14, in_c=1024, out_c=512, kernel=3, stride=1,
      padding=1, shard_layout="width", act_block_h_override=32, input_layout="TILE"),
    g("w_1x1s1_7x7x2048_512_rm_nohalo", in_h=7, in_w=7, in_c=2048, out_c=512, kernel=1, stride=1, padding=0,
      shard_layout="width", weights_tensor_dtype="bfloat8_b"),
    # automatic shard layout (shard_layout None)
    g("auto_3x3s1_56x56x64_64", in_h=56, in_w=56, in_c=64, out_c=64, kernel=3, stride=1, padding=1),
    g("auto_3x3s1_7x7x2048_512", in_h=7, in_w=7, in_c=2048, out_c=512, kernel=3, stride=1, padding=1),
    g("auto_3x3s1_112x112x32_32_b4", batch=4, in_h=112, in_w=112, in_c=32, out_c=32, kernel=3, stride=1,
      padding=1),
    # Blackhole, 13x10 grid
    g("bh_h_3x3s1_56x56x64_64", arch=BH, in_h=56, in_w=56, in_c=64, out_c=64, kernel=3, stride=1, padding=1,
      shard_layout="height"),
    g("bh_b_3x3s2_28x28x256_256_dbuf", arch=BH, batch=8, in_h=28, in_w=28, in_c=256, out_c=256, kernel=3,
      stride=2, padding=1, shard_layout="block", enable_act_double_buffer=True, enable_weights_double_buffer=True,
      input_layout="TILE", weights_tensor_dtype="bfloat8_b"),
    g("bh_mm_h_1x1_56x56x256_64", arch=BH, batch=4, in_h=56, in_w=56, in_c=256, out_c=64, kernel=1, stride=1,
      padding=0, shard_layout="height", input_layout="TILE"),
    g("bh_w_5x5s1_14x14x1024_512", arch=BH, in_h=14, in_w=14, in_c=1024, out_c=512, kernel=5, stride=1,
      padding=2, shard_layout="width", input_layout="TILE"),
    g("bh_auto_3x3s2_28x28x256_256", arch=BH, in_h=28, in_w=28, in_c=256, out_c=256, kernel=3, stride=2,
      padding=1),
]


def resnet50_convs(batch, model_grids):
    """ResNet-50 v1.5 at 224x224 as TTNN's ResNet-50 model runs it on an 8x8 Wormhole:
    models/demos/vision/classification/resnet50/ttnn_resnet/tt/ttnn_functional_resnet50.py
    @ 265de2c9a2775240e5efcd330cc448819a188567 (resnet50.__init__/run, resnet50Bottleneck).

    Weights bfloat8_b; activations bfloat16 (the brief's choice; the model's own config uses
    bfloat8_b activations); packer_l1_acc on; l1_small_size 24576 (ResNet-50 tests).
    model_grids: pin each conv's input shard grid to what the model's chain gives at batch 16
    (input already sharded, reshard_if_not_optimal false); otherwise TTNN picks the grid itself
    (determine_parallel_config) -- the model only builds batch 16/20/32 (its fold grid)."""
    out = []
    base = dict(arch=WH, batch=batch, weights_tensor_dtype="bfloat8_b", input_dtype="bfloat16",
                packer_l1_acc=True, l1_small_size=24576, input_layout="TILE", bias=True)

    def add(name, pin=None, **cfg):
        c = dict(base)
        c.update(cfg)
        if model_grids and pin is not None:
            c["input_shard"] = pin
        out.append({"name": "rn50_b{}_{}".format(batch, name), "group": "resnet50", "cfg": c})

    # Stem: conv1 7x7/2 pad 3, 3 -> 64. TTNN pads C 3 -> 4 (_nearest_y(c, 4)), pads H/W by 3 on
    # each side (230x230), folds 2x2 (ttnn.fold, stride 2): 115x115x16, and runs a 4x4/1 pad 0
    # conv on it (weights preprocessed to 4x4; conv1_kernel_size = (4, 4), input 115x115).
    add("conv1_stem_4x4_folded", pin={"num_cores_nhw": 64, "shape": (math.ceil(115 * 115 * batch / 64), 16)},
        in_h=115, in_w=115, in_c=16, out_c=64, kernel=4, stride=1, padding=0, shard_layout="height",
        input_layout="ROW_MAJOR", act_block_h_override=49 * 32, enable_act_double_buffer=True,
        enable_activation_reuse=True, deallocate_activation=True)

    # (layer, blocks, planes, stride, height_sharding on Wormhole)
    layers = [(1, 3, 64, 1, True), (2, 4, 128, 2, True), (3, 6, 256, 2, False), (4, 3, 512, 2, False)]
    hw, inplanes = 56, 64
    for li, blocks, planes, stride, hs in layers:
        lay = "height" if hs else "block"
        for m in range(1, blocks + 1):
            s = stride if m == 1 else 1
            if m == 2:
                hw = hw // stride        # modules 2.. run at the first module's output size
            ohw = hw // s
            # the model's chain at batch 16 (see NOTES.md): rows per core of the input shard
            if li in (1, 2):
                g_in = {"num_cores_nhw": 56}
                rows_in = round_up(batch * hw * hw, 56 * 32) // 56
                rows_out = round_up(batch * ohw * ohw, 56 * 32) // 56
                c_div = 1
            else:
                nhw = 8 if li == 3 else 7
                g_in = {"num_cores_nhw": nhw, "num_cores_c": 8}
                if m == 1:
                    rows_in = batch * hw * hw // nhw          # reshard of the previous layer's output
                else:
                    rows_in = round_up(batch * hw * hw, nhw * 32) // nhw
                rows_out = round_up(batch * ohw * ohw, nhw * 32) // nhw
                c_div = 8

            def pin(rows, ch):
                return dict(g_in, shape=(rows, ch // c_div))

            name = "layer{}_{}".format(li, m)
            add(name + "_conv1_1x1", pin=pin(rows_in, inplanes), in_h=hw, in_w=hw, in_c=inplanes, out_c=planes,
                kernel=1, stride=1, padding=0, shard_layout=lay)
            abh = 14 * 32 if (li == 1 and m in (2, 3)) else 0          # is_wormhole_b0 override
            add(name + "_conv2_3x3", pin=pin(rows_in, planes), in_h=hw, in_w=hw, in_c=planes, out_c=planes,
                kernel=3, stride=s, padding=1, shard_layout=lay, deallocate_activation=True,
                reallocate_halo_output=False, act_block_h_override=abh, enable_act_double_buffer=True,
                enable_weights_double_buffer=True, full_inner_dim=True,
                enable_activation_reuse=(hs and s == 1))
            add(name + "_conv3_1x1", pin=pin(rows_out, planes), in_h=ohw, in_w=ohw, in_c=planes, out_c=planes * 4,
                kernel=1, stride=1, padding=0, shard_layout=lay, deallocate_activation=True)
            if m == 1:
                ds_lay = "height" if (hs and hw != 28) else "block"
                add(name + "_downsample_1x1", pin=pin(rows_in, inplanes), in_h=hw, in_w=hw, in_c=inplanes,
                    out_c=planes * 4, kernel=1, stride=s, padding=0, shard_layout=ds_lay,
                    deallocate_activation=True, reallocate_halo_output=False, enable_act_double_buffer=True,
                    enable_weights_double_buffer=hw < 56, full_inner_dim=True,
                    enable_activation_reuse=(hs and s == 1))
            inplanes = planes * 4
        if blocks == 1:
            hw = hw // stride
    assert len(out) == 53, len(out)
    return out


def round_up(a, b):
    return (a + b - 1) // b * b


def resnet50_model_dtypes(batch=16):
    """The same 53 convs at batch 16 with the model's own dtypes (MODEL_CONFIG:
    ACTIVATIONS_DTYPE = WEIGHTS_DTYPE = bfloat8_b, LoFi): the stem reads the bfloat16 fold
    output and writes bfloat8_b; every other conv reads and writes bfloat8_b. TTNN runs this
    network on an 8x8 Wormhole, so every row here should fit."""
    out = []
    for e in resnet50_convs(batch, True):
        c = dict(e["cfg"])
        if c["input_layout"] == "ROW_MAJOR":
            c["output_dtype"] = "bfloat8_b"
        else:
            c["input_dtype"] = "bfloat8_b"
        out.append({"name": e["name"].replace("rn50_b", "rn50bfp8_b"), "group": "resnet50_model_dtypes", "cfg": c})
    return out


RESNET50 = (resnet50_convs(1, False) + resnet50_convs(8, False) + resnet50_convs(16, True)
            + resnet50_model_dtypes(16))

CONFIGS = GENERIC + RESNET50
