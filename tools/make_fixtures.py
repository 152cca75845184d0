#!/usr/bin/python3
"""Golden fixtures for GhostKit's parity tests, computed by PyTorch.

Run by hand (never in CI), from anywhere:

    /usr/bin/python3 tools/make_fixtures.py

Needs Debian's python3-torch and python3-torchvision (torch 1.13 / torchvision 0.14 were used) and numpy; use
/usr/bin/python3, not a pyenv python. Nothing is downloaded. The output is deterministic (fixed seeds, one thread).

Writes into Tests/Fixtures/:
  <model>.weights.safetensors  the model's state_dict under PyTorch's own names (num_batches_tracked as I64),
                               metadata "ghostkit.arch" (architecture JSON) and "ghostkit.source"
  <model>.io.safetensors       F32 "input", "output" (logits) and the stage outputs "stem", "layer1".."layer4"
      resnet18_w16        torchvision ResNet-18 blocks, ImageNet stem, width 16/16/32/64/128, F32 weights
      resnet50_w8         torchvision ResNet-50 blocks, ImageNet stem, width 8/8/16/32/64, F16 weights
      resnet18_cifar_w16  ResNet-18, CIFAR stem (3x3/1, no max-pool), 1 input channel, BF16 weights
      cifar_resnet20_A/B  CIFAR ResNet-20 (He et al. 2016) with option A (zero-pad) / B (1x1 conv) shortcuts
      bottleneck_s2       one torchvision Bottleneck, stride 2, odd 9x9 input ("input", "output" only)
  ops.safetensors              single-op cases "<case>.<tensor>", described by the JSON list in metadata "cases"
  torchvision_counts.json      params and Conv2d+Linear MACs of torchvision ResNet-18..152 (224x224) and CIFAR
                               ResNet-20..110 A/B (32x32), total and per stage

Models are random (no pretrained weights) but every BatchNorm has random affine parameters and running
statistics, so BN matters; the fc weights are scaled up so the logits are not tiny. For F16/BF16 weight files the
model is first rounded to that precision, and the reference outputs are computed in float32 with those weights.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet as tvr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_write  # noqa: E402

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures"))
SOURCE = "tools/make_fixtures.py"
FC_SCALE = 10.0  # default fc init gives max|logits| ~ 0.3 on these narrow nets; x10 makes them O(1)
WRITTEN = []  # file names written by this run, for the summary


# ---------------------------------------------------------------------------------------------------------------
# Models


def randomise_bn(model, gen):
    """Every BatchNorm2d: weight ~ U(0.5, 1.5), bias ~ N(0, 0.1), running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean.data = torch.randn(n, generator=gen) * 0.1
            m.running_var.data = torch.rand(n, generator=gen) + 0.5
            m.num_batches_tracked.fill_(7)


def narrow_resnet(block, layers, stem_width, planes, in_channels, num_classes, cifar_stem):
    """torchvision's ResNet with its own blocks at a reduced width (same module names as torchvision).

    The rebuilt stem, stages and fc keep PyTorch's default initialisation (also used by make_train_fixture.py).
    """
    m = tvr.ResNet(block, layers, num_classes=num_classes)
    k, s, p = (3, 1, 1) if cifar_stem else (7, 2, 3)
    m.conv1 = nn.Conv2d(in_channels, stem_width, kernel_size=k, stride=s, padding=p, bias=False)
    m.bn1 = nn.BatchNorm2d(stem_width)
    if cifar_stem:
        m.maxpool = nn.Identity()
    m.inplanes = stem_width
    m.layer1 = m._make_layer(block, planes[0], layers[0])
    m.layer2 = m._make_layer(block, planes[1], layers[1], stride=2)
    m.layer3 = m._make_layer(block, planes[2], layers[2], stride=2)
    m.layer4 = m._make_layer(block, planes[3], layers[3], stride=2)
    m.fc = nn.Linear(planes[3] * block.expansion, num_classes)
    return m


class ZeroPadShortcut(nn.Module):
    """Option A shortcut (He et al. 2016): subsample by 2, zero-pad planes//4 channels on each side. No parameters."""

    def __init__(self, planes):
        super().__init__()
        self.pad = planes // 4

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))


class CifarResNet(nn.Module):
    """CIFAR ResNet-(6n+2) from torchvision's BasicBlock: conv1/bn1/relu, layer1-3 (16/32/64 channels), avgpool, fc.

    option "A": parameter-free zero-pad shortcut; option "B": downsample = Sequential(conv1x1 stride 2, BatchNorm2d).
    """

    def __init__(self, depth, option, in_channels=3, num_classes=10):
        super().__init__()
        assert (depth - 2) % 6 == 0 and option in ("A", "B")
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        inplanes = 16
        stages = []
        for i, planes in enumerate([16, 32, 64]):
            blocks = []
            for b in range(n):
                stride = 2 if (b == 0 and i > 0) else 1
                down = None
                if stride != 1 or inplanes != planes:
                    if option == "A":
                        down = ZeroPadShortcut(planes)
                    else:
                        down = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
                blocks.append(tvr.BasicBlock(inplanes, planes, stride, down))
                inplanes = planes
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---------------------------------------------------------------------------------------------------------------
# Writing model fixtures


def run_with_stages(model, x):
    """{"stem", "layer1".."layer4" (those that exist), "output"} for input x; the model must be in eval mode."""
    out = {}
    stem = model.relu(model.bn1(model.conv1(x)))
    if hasattr(model, "maxpool"):
        stem = model.maxpool(stem)
    out["stem"] = stem
    hooks = []
    for name in ["layer1", "layer2", "layer3", "layer4"]:
        if hasattr(model, name):
            hooks.append(getattr(model, name).register_forward_hook(lambda m, i, o, n=name: out.__setitem__(n, o)))
    out["output"] = model(x)
    for h in hooks:
        h.remove()
    return out


def round_weights(model, dtype):
    """Round floating parameters and buffers to F16/BF16 and back to float32, in place."""
    if dtype == "F32":
        return
    half = safetensors_write.TORCH_DTYPES[dtype]
    for t in list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]:
        t.data = t.data.to(half).float()


def write(name, tensors, dtypes=None, metadata=None):
    path = os.path.join(OUT, name)
    safetensors_write.save(path, tensors, dtypes, metadata)
    WRITTEN.append(name)
    # Read back with the independent reader and check every tensor bit for bit.
    back, back_dtypes, back_meta = safetensors_write.load(path)
    assert list(back) == list(tensors) and back_meta == (metadata or {}), name
    for k, t in tensors.items():
        assert torch.equal(back[k], t.detach().float() if t.is_floating_point() else t), f"{name}: {k} changed"


def save_model(name, model, x, arch, dtype="F32"):
    """Scale fc up, round to `dtype`, then write <name>.weights/.io.safetensors from an eval-mode forward of x."""
    model.fc.weight.data *= FC_SCALE
    round_weights(model, dtype)
    model.eval()
    with torch.no_grad():
        res = run_with_stages(model, x)
    sd = model.state_dict()
    dtypes = {k: ("I64" if v.dtype == torch.int64 else dtype) for k, v in sd.items()}
    meta = {"ghostkit.arch": json.dumps(arch, separators=(",", ":")), "ghostkit.source": SOURCE}
    write(f"{name}.weights.safetensors", sd, dtypes, meta)
    io = {"input": x, "output": res["output"]}
    io.update({k: v for k, v in res.items() if k != "output"})
    write(f"{name}.io.safetensors", io, None, {"ghostkit.source": SOURCE})

    # The weights file alone (as the Swift side reads it) must reproduce the reference outputs exactly.
    reloaded, _, _ = safetensors_write.load(os.path.join(OUT, f"{name}.weights.safetensors"))
    model.load_state_dict(reloaded)
    with torch.no_grad():
        assert torch.equal(model(x), res["output"]), f"{name}: reloaded {dtype} weights give other logits"
    stages = "  ".join(f"{k} {tuple(v.shape)} max {v.abs().max():.2f}" for k, v in res.items() if k != "output")
    print(f"{name:20s} {dtype:4s} max|output| = {res['output'].abs().max():.3f}   {stages}")


def randomise_and_save(name, model, input_shape, arch, dtype, gen):
    """Random BN statistics, then an N(0, 1) input, both from `gen`; then save_model."""
    randomise_bn(model, gen)
    x = torch.randn(*input_shape, generator=gen)
    save_model(name, model, x, arch, dtype)


def fixture_resnet18_w16(gen):
    m = narrow_resnet(tvr.BasicBlock, [2, 2, 2, 2], 16, [16, 32, 64, 128], in_channels=3, num_classes=10, cifar_stem=False)
    arch = {"family": "resnet", "depth": 18, "stem": "imagenet", "width": 0.25, "in_channels": 3, "num_classes": 10}
    randomise_and_save("resnet18_w16", m, (2, 3, 64, 64), arch, "F32", gen)


def fixture_resnet50_w8(gen):
    m = narrow_resnet(tvr.Bottleneck, [3, 4, 6, 3], 8, [8, 16, 32, 64], in_channels=3, num_classes=10, cifar_stem=False)
    arch = {"family": "resnet", "depth": 50, "stem": "imagenet", "width": 0.125, "in_channels": 3, "num_classes": 10}
    randomise_and_save("resnet50_w8", m, (2, 3, 64, 64), arch, "F16", gen)


def fixture_resnet18_cifar_w16(gen):
    m = narrow_resnet(tvr.BasicBlock, [2, 2, 2, 2], 16, [16, 32, 64, 128], in_channels=1, num_classes=10, cifar_stem=True)
    arch = {"family": "resnet", "depth": 18, "stem": "cifar", "width": 0.25, "in_channels": 1, "num_classes": 10}
    randomise_and_save("resnet18_cifar_w16", m, (3, 1, 28, 28), arch, "BF16", gen)


def fixture_cifar_resnet20(gen, option):
    m = CifarResNet(20, option)
    arch = {"family": "cifar-resnet", "depth": 20, "shortcut": option, "in_channels": 3, "num_classes": 10}
    randomise_and_save(f"cifar_resnet20_{option}", m, (2, 3, 32, 32), arch, "F32", gen)


def fixture_bottleneck_s2(gen):
    block = tvr.Bottleneck(32, 16, stride=2, downsample=nn.Sequential(tvr.conv1x1(32, 64, 2), nn.BatchNorm2d(64)))
    randomise_bn(block, gen)
    block.eval()
    x = torch.randn(2, 32, 9, 9, generator=gen)
    with torch.no_grad():
        y = block(x)
    arch = {"family": "bottleneck", "inplanes": 32, "planes": 16, "stride": 2}
    write("bottleneck_s2.weights.safetensors", block.state_dict(), None,
          {"ghostkit.arch": json.dumps(arch, separators=(",", ":")), "ghostkit.source": SOURCE})
    write("bottleneck_s2.io.safetensors", {"input": x, "output": y}, None, {"ghostkit.source": SOURCE})
    print(f"{'bottleneck_s2':20s} F32  max|output| = {y.abs().max():.3f}   output {tuple(y.shape)}")


# ---------------------------------------------------------------------------------------------------------------
# Single ops


def fixture_ops(gen):
    tensors, cases = {}, []

    def rnd(*shape):
        return torch.randn(*shape, generator=gen)

    def conv(name, op, x, w, b, stride=1, padding=0, groups=1):
        tensors.update({f"{name}.x": x, f"{name}.w": w})
        if b is not None:
            tensors[f"{name}.b"] = b
        tensors[f"{name}.y"] = F.conv2d(x, w, b, stride, padding, 1, groups)
        cases.append({"name": name, "op": op, "stride": stride, "padding": padding, "groups": groups, "bias": b is not None})

    conv("conv_3x3_s2", "conv2d", rnd(2, 5, 11, 9), rnd(7, 5, 3, 3), rnd(7), stride=2, padding=1)
    conv("conv_1x1", "conv2d", rnd(2, 16, 7, 7), rnd(8, 16, 1, 1), None)
    conv("conv_1x1_s2", "conv2d", rnd(2, 16, 9, 9), rnd(8, 16, 1, 1), None, stride=2)
    conv("conv_5x5", "conv2d", rnd(1, 4, 12, 12), rnd(6, 4, 5, 5), rnd(6), padding=2)
    conv("conv_7x7_s2", "conv2d", rnd(1, 3, 20, 20), rnd(8, 3, 7, 7), None, stride=2, padding=3)
    conv("conv_grouped", "conv2d", rnd(2, 8, 10, 10), rnd(12, 2, 3, 3), rnd(12), padding=1, groups=4)
    conv("conv_nopad", "conv2d", rnd(2, 3, 8, 8), rnd(4, 3, 3, 3), None)
    conv("conv_bigbatch", "conv2d", rnd(9, 8, 5, 5), rnd(16, 8, 3, 3), None, padding=1)
    conv("conv_wide", "conv2d", rnd(1, 8, 30, 30), rnd(16, 8, 3, 3), rnd(16), padding=1)  # extra: a larger map
    conv("dw_3x3", "depthwise", rnd(2, 6, 13, 13), rnd(6, 1, 3, 3), None, padding=1, groups=6)
    conv("dw_5x5_s2", "depthwise", rnd(2, 6, 13, 13), rnd(6, 1, 5, 5), rnd(6), stride=2, padding=2, groups=6)
    conv("dw_mult2", "depthwise", rnd(2, 6, 8, 8), rnd(12, 1, 3, 3), None, padding=1, groups=6)
    conv("dw_7x7", "depthwise", rnd(1, 4, 10, 10), rnd(4, 1, 7, 7), None, padding=3, groups=4)
    conv("dw_1x1", "depthwise", rnd(2, 5, 6, 6), rnd(5, 1, 1, 1), rnd(5), groups=5)

    x, w, b = rnd(3, 6, 5, 5), torch.rand(6, generator=gen) + 0.5, rnd(6)
    rm, rv = rnd(6) * 0.2, torch.rand(6, generator=gen) + 0.5
    tensors.update({"bn.x": x, "bn.weight": w, "bn.bias": b, "bn.running_mean": rm, "bn.running_var": rv,
                    "bn.y": F.batch_norm(x, rm, rv, w, b, training=False, momentum=0.1, eps=1e-5)})
    cases.append({"name": "bn", "op": "batchnorm_eval", "eps": 1e-5})

    for name, op, x, k, s, p in [("maxpool_3s2p1", "maxpool", rnd(2, 3, 11, 11), 3, 2, 1),
                                 ("maxpool_2s2", "maxpool", rnd(1, 2, 8, 8), 2, 2, 0),
                                 ("avgpool_2s2", "avgpool", rnd(2, 3, 8, 8), 2, 2, 0),
                                 ("avgpool_3s1p1", "avgpool", rnd(1, 2, 6, 6), 3, 1, 1)]:
        case = {"name": name, "op": op, "kernel_size": k, "stride": s, "padding": p}
        if op == "maxpool":
            y = F.max_pool2d(x, k, s, p)
        else:
            y = F.avg_pool2d(x, k, s, p, count_include_pad=True)
            case["count_include_pad"] = True
        tensors.update({f"{name}.x": x, f"{name}.y": y})
        cases.append(case)

    for name, x, size in [("aap_1", rnd(2, 4, 7, 7), (1, 1)), ("aap_3", rnd(1, 3, 5, 7), (3, 3))]:
        tensors.update({f"{name}.x": x, f"{name}.y": F.adaptive_avg_pool2d(x, size)})
        cases.append({"name": name, "op": "adaptive_avgpool", "output_size": list(size)})

    x, w, b = rnd(4, 20), rnd(7, 20), rnd(7)
    tensors.update({"linear.x": x, "linear.w": w, "linear.b": b, "linear.y": F.linear(x, w, b)})
    cases.append({"name": "linear", "op": "linear"})

    for name, ls in [("ce", 0.0), ("ce_ls", 0.1)]:
        logits = (rnd(5, 10) * 3).requires_grad_(True)
        target = torch.randint(0, 10, (5,), generator=gen)
        loss = F.cross_entropy(logits, target, reduction="mean", label_smoothing=ls)
        loss.backward()
        tensors.update({f"{name}.logits": logits.detach(), f"{name}.target": target,
                        f"{name}.loss": loss.detach().reshape(1), f"{name}.grad": logits.grad})
        cases.append({"name": name, "op": "cross_entropy", "label_smoothing": ls, "reduction": "mean"})

    x = rnd(2, 3, 4, 4)
    tensors.update({"relu.x": x, "relu.y": F.relu(x)})
    cases.append({"name": "relu", "op": "relu"})

    write("ops.safetensors", tensors, None, {"cases": json.dumps(cases), "ghostkit.source": SOURCE})
    print(f"ops.safetensors: {len(cases)} cases, {len(tensors)} tensors")


# ---------------------------------------------------------------------------------------------------------------
# Parameter and MAC counts

STAGES = ["stem", "layer1", "layer2", "layer3", "layer4", "fc"]


def count(model, side, in_channels=3):
    """Params (parameters only, no BN buffers) and Conv2d+Linear MACs of one image, total and per top-level stage.

    conv MACs = output elements x (in_channels / groups) x kh x kw; linear MACs = in x out (per row).
    """
    macs, per_stage = [0], {}

    def stage(qualified_name):
        head = qualified_name.split(".")[0]
        return "stem" if head in ("conv1", "bn1") else head

    def hook(name):
        def f(m, inputs, o):
            if isinstance(m, nn.Conv2d):
                n = o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
            else:
                n = o.numel() // o.shape[-1] * m.in_features * m.out_features
            macs[0] += n
            per_stage.setdefault(stage(name), [0, 0])[1] += n
        return f

    hooks = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for n, p in model.named_parameters():
        per_stage.setdefault(stage(n), [0, 0])[0] += p.numel()
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, in_channels, side, side))
    for h in hooks:
        h.remove()
    assert set(per_stage) <= set(STAGES), per_stage.keys()
    return {"params": sum(p.numel() for p in model.parameters()), "macs": macs[0],
            "stages": {k: {"params": v[0], "macs": v[1]} for k, v in per_stage.items()}}


def fixture_counts():
    out = {}
    for depth in [18, 34, 50, 101, 152]:
        out[f"resnet{depth}"] = count(getattr(tvr, f"resnet{depth}")(weights=None), 224)
    for depth in [20, 32, 44, 56, 110]:
        for option in "AB":
            out[f"cifar_resnet{depth}_{option}"] = count(CifarResNet(depth, option), 32)
    with open(os.path.join(OUT, "torchvision_counts.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    WRITTEN.append("torchvision_counts.json")

    print("\nParams (parameters only) and Conv2d+Linear MACs, batch 1 (torchvision: 3x224x224, 1000 classes; "
          "CIFAR: 3x32x32, 10 classes)")
    print(f"| {'model':18s} | {'params':>12s} | {'MACs':>14s} | " + " | ".join(f"{s + ' params/MACs':>24s}" for s in STAGES) + " |")
    print("|" + "---|" * (3 + len(STAGES)))
    for k, v in out.items():
        cells = []
        for s in STAGES:
            st = v["stages"].get(s)
            cells.append(f"{st['params'] / 1e6:9.4f} M/{st['macs'] / 1e6:10.2f} M" if st else f"{'-':>24s}")
        print(f"| {k:18s} | {v['params'] / 1e6:10.3f} M | {v['macs'] / 1e6:12.2f} M | " + " | ".join(cells) + " |")


# ---------------------------------------------------------------------------------------------------------------


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)  # same reduction order on every machine
    torch.manual_seed(0)  # module initialisation (narrow ResNets, CIFAR ResNets, bottleneck)
    gen = torch.Generator().manual_seed(0)  # BN statistics, inputs, op tensors
    fixture_resnet18_w16(gen)
    fixture_resnet50_w8(gen)
    fixture_resnet18_cifar_w16(gen)
    fixture_cifar_resnet20(gen, "A")
    fixture_cifar_resnet20(gen, "B")
    fixture_bottleneck_s2(gen)
    fixture_ops(gen)
    fixture_counts()

    print(f"\nFiles written to {OUT}:")
    total = 0
    for name in WRITTEN:
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f"{size:10d} B  {size / 1024:8.1f} KiB  {name}")
    print(f"{total:10d} B  {total / 2**20:8.2f} MiB  total written by this script")
    others = [n for n in sorted(os.listdir(OUT)) if n not in WRITTEN]
    if others:
        extra = sum(os.path.getsize(os.path.join(OUT, n)) for n in others)
        print(f"(also in the directory, from other scripts: {', '.join(others)}; {extra / 2**20:.2f} MiB)")


if __name__ == "__main__":
    main()
