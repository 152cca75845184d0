#!/usr/bin/python3
"""Golden fixtures for GhostKit's parity tests, computed by PyTorch (Debian python3-torch + python3-torchvision).

Run by hand, never in CI:   /usr/bin/python3 tools/make_fixtures.py
Writes Tests/Fixtures/: <model>.weights.safetensors + <model>.io.safetensors for random-weight torchvision
ResNets at a reduced width, ops.safetensors (single functional ops, hyperparameters in the "cases" metadata),
and torchvision_counts.json (params and conv+linear MACs of the full-size architectures).
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet as tvr

sys.path.insert(0, os.path.dirname(__file__))
import safetensors_write  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures")


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean.data = torch.randn(n, generator=gen) * 0.1
            m.running_var.data = torch.rand(n, generator=gen) + 0.5
            m.num_batches_tracked.fill_(7)


def narrow_resnet(block, layers, stem_width, planes, in_channels, num_classes, cifar_stem):
    """torchvision's ResNet with its own blocks, at a reduced width (same module names)."""
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
    """Option A shortcut (He et al. 2016): subsample by 2 and zero-pad the new channels."""

    def __init__(self, planes):
        super().__init__()
        self.pad = planes // 4

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))


class CifarResNet(nn.Module):
    """CIFAR ResNet-6n+2 built from torchvision's BasicBlock; names conv1/bn1/layer1-3/fc."""

    def __init__(self, depth, option, in_channels=3, num_classes=10):
        super().__init__()
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
                    down = ZeroPadShortcut(planes) if option == "A" else nn.Sequential(
                        nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
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


def run_with_stages(model, x):
    """Logits plus the stem and each stage output."""
    out = {}
    hooks = []
    for name in ["layer1", "layer2", "layer3", "layer4"]:
        if hasattr(model, name):
            hooks.append(getattr(model, name).register_forward_hook(lambda m, i, o, n=name: out.__setitem__(n, o)))
    stem = model.relu(model.bn1(model.conv1(x)))
    if hasattr(model, "maxpool"):
        stem = model.maxpool(stem)
    out["stem"] = stem
    out["output"] = model(x)
    for h in hooks:
        h.remove()
    return out


def save_model(name, model, x, arch, dtype="F32"):
    model.eval()
    if dtype != "F32":
        half = torch.float16 if dtype == "F16" else torch.bfloat16
        for t in list(model.parameters()) + [b for b in model.buffers() if b.is_floating_point()]:
            t.data = t.data.to(half).float()
    with torch.no_grad():
        res = run_with_stages(model, x)
    sd = model.state_dict()
    dtypes = {k: ("I64" if v.dtype == torch.int64 else dtype) for k, v in sd.items()}
    meta = {"ghostkit.arch": json.dumps(arch, sort_keys=True), "ghostkit.source": "tools/make_fixtures.py"}
    safetensors_write.save(os.path.join(OUT, f"{name}.weights.safetensors"), sd, dtypes, meta)
    io = {"input": x}
    io.update({k: v for k, v in res.items()})
    safetensors_write.save(os.path.join(OUT, f"{name}.io.safetensors"), io, None, {"ghostkit.source": "tools/make_fixtures.py"})
    print(f"{name}: max|logits| = {res['output'].abs().max():.3f}")


def model_fixtures(gen):
    torch.manual_seed(0)
    m = narrow_resnet(tvr.BasicBlock, [2, 2, 2, 2], 16, [16, 32, 64, 128], 3, 10, False)
    randomise_bn(m, gen)
    save_model("resnet18_w16", m, torch.randn(2, 3, 64, 64, generator=gen),
               {"family": "resnet", "depth": 18, "stem": "imagenet", "width": 0.25, "in_channels": 3, "num_classes": 10})
    m = narrow_resnet(tvr.Bottleneck, [3, 4, 6, 3], 8, [8, 16, 32, 64], 3, 10, False)
    randomise_bn(m, gen)
    save_model("resnet50_w8", m, torch.randn(2, 3, 64, 64, generator=gen),
               {"family": "resnet", "depth": 50, "stem": "imagenet", "width": 0.125, "in_channels": 3, "num_classes": 10},
               dtype="F16")
    m = narrow_resnet(tvr.BasicBlock, [2, 2, 2, 2], 16, [16, 32, 64, 128], 1, 10, True)
    randomise_bn(m, gen)
    save_model("resnet18_cifar_w16", m, torch.randn(3, 1, 28, 28, generator=gen),
               {"family": "resnet", "depth": 18, "stem": "cifar", "width": 0.25, "in_channels": 1, "num_classes": 10},
               dtype="BF16")
    for option in ["A", "B"]:
        m = CifarResNet(20, option)
        randomise_bn(m, gen)
        save_model(f"cifar_resnet20_{option}", m, torch.randn(2, 3, 32, 32, generator=gen),
                   {"family": "cifar-resnet", "depth": 20, "shortcut": option, "in_channels": 3, "num_classes": 10})
    block = tvr.Bottleneck(32, 16, stride=2, downsample=nn.Sequential(tvr.conv1x1(32, 64, 2), nn.BatchNorm2d(64)))
    randomise_bn(block, gen)
    block.eval()
    x = torch.randn(2, 32, 9, 9, generator=gen)
    with torch.no_grad():
        y = block(x)
    safetensors_write.save(os.path.join(OUT, "bottleneck_s2.weights.safetensors"), block.state_dict(), None,
                           {"ghostkit.arch": json.dumps({"family": "bottleneck", "inplanes": 32, "planes": 16, "stride": 2})})
    safetensors_write.save(os.path.join(OUT, "bottleneck_s2.io.safetensors"), {"input": x, "output": y})


def ops_fixture(gen):
    tensors, cases = {}, []

    def rnd(*shape):
        return torch.randn(*shape, generator=gen)

    def conv(name, op, x, w, b, stride=1, padding=0, groups=1):
        tensors.update({f"{name}.x": x, f"{name}.w": w, f"{name}.y": F.conv2d(x, w, b, stride, padding, 1, groups)})
        if b is not None:
            tensors[f"{name}.b"] = b
        cases.append({"name": name, "op": op, "stride": stride, "padding": padding, "groups": groups})

    conv("conv_3x3_s2", "conv2d", rnd(2, 5, 11, 9), rnd(7, 5, 3, 3), rnd(7), 2, 1)
    conv("conv_1x1", "conv2d", rnd(2, 16, 7, 7), rnd(8, 16, 1, 1), None)
    conv("conv_1x1_s2", "conv2d", rnd(2, 16, 9, 9), rnd(8, 16, 1, 1), None, 2, 0)
    conv("conv_5x5", "conv2d", rnd(1, 4, 12, 12), rnd(6, 4, 5, 5), rnd(6), 1, 2)
    conv("conv_7x7_s2", "conv2d", rnd(1, 3, 20, 20), rnd(8, 3, 7, 7), None, 2, 3)
    conv("conv_grouped", "conv2d", rnd(2, 8, 10, 10), rnd(12, 2, 3, 3), rnd(12), 1, 1, 4)
    conv("conv_nopad", "conv2d", rnd(2, 3, 8, 8), rnd(4, 3, 3, 3), None)
    conv("conv_bigbatch", "conv2d", rnd(9, 8, 5, 5), rnd(16, 8, 3, 3), None, 1, 1)
    conv("conv_wide", "conv2d", rnd(1, 8, 30, 30), rnd(16, 8, 3, 3), rnd(16), 1, 1)
    conv("dw_3x3", "depthwise", rnd(2, 6, 13, 13), rnd(6, 1, 3, 3), None, 1, 1, 6)
    conv("dw_5x5_s2", "depthwise", rnd(2, 6, 13, 13), rnd(6, 1, 5, 5), rnd(6), 2, 2, 6)
    conv("dw_mult2", "depthwise", rnd(2, 6, 8, 8), rnd(12, 1, 3, 3), None, 1, 1, 6)
    conv("dw_7x7", "depthwise", rnd(1, 4, 10, 10), rnd(4, 1, 7, 7), None, 1, 3, 4)
    conv("dw_1x1", "depthwise", rnd(2, 5, 6, 6), rnd(5, 1, 1, 1), rnd(5), 1, 0, 5)

    x, w, b, rm, rv = rnd(3, 6, 5, 5), torch.rand(6, generator=gen) + 0.5, rnd(6), rnd(6) * 0.2, torch.rand(6, generator=gen) + 0.5
    tensors.update({"bn.x": x, "bn.weight": w, "bn.bias": b, "bn.running_mean": rm, "bn.running_var": rv,
                    "bn.y": F.batch_norm(x, rm, rv, w, b, False, 0.1, 1e-5)})
    cases.append({"name": "bn", "op": "batchnorm_eval", "eps": 1e-5})

    for name, op, x, k, s, p in [("maxpool_3s2p1", "maxpool", rnd(2, 3, 11, 11), 3, 2, 1),
                                 ("maxpool_2s2", "maxpool", rnd(1, 2, 8, 8), 2, 2, 0),
                                 ("avgpool_2s2", "avgpool", rnd(2, 3, 8, 8), 2, 2, 0),
                                 ("avgpool_3s1p1", "avgpool", rnd(1, 2, 6, 6), 3, 1, 1)]:
        y = F.max_pool2d(x, k, s, p) if op == "maxpool" else F.avg_pool2d(x, k, s, p, count_include_pad=True)
        tensors.update({f"{name}.x": x, f"{name}.y": y})
        cases.append({"name": name, "op": op, "kernel_size": k, "stride": s, "padding": p, "count_include_pad": True})

    for name, x, size in [("aap_1", rnd(2, 4, 7, 7), (1, 1)), ("aap_3", rnd(1, 3, 5, 7), (3, 3))]:
        tensors.update({f"{name}.x": x, f"{name}.y": F.adaptive_avg_pool2d(x, size)})
        cases.append({"name": name, "op": "adaptive_avgpool", "output_size": list(size)})

    x, w, b = rnd(4, 20), rnd(7, 20), rnd(7)
    tensors.update({"linear.x": x, "linear.w": w, "linear.b": b, "linear.y": F.linear(x, w, b)})
    cases.append({"name": "linear", "op": "linear"})

    for name, ls in [("ce", 0.0), ("ce_ls", 0.1)]:
        logits = (rnd(5, 10) * 3).requires_grad_(True)
        target = torch.randint(0, 10, (5,), generator=gen)
        loss = F.cross_entropy(logits, target, label_smoothing=ls)
        loss.backward()
        tensors.update({f"{name}.logits": logits.detach(), f"{name}.target": target, f"{name}.loss": loss.detach().reshape(1),
                        f"{name}.grad": logits.grad})
        cases.append({"name": name, "op": "cross_entropy", "label_smoothing": ls})

    x = rnd(2, 3, 4, 4)
    tensors.update({"relu.x": x, "relu.y": F.relu(x)})
    cases.append({"name": "relu", "op": "relu"})
    safetensors_write.save(os.path.join(OUT, "ops.safetensors"), tensors, None,
                           {"cases": json.dumps(cases), "ghostkit.source": "tools/make_fixtures.py"})


def count(model, side, in_channels=3):
    """Params (parameters only) and conv+linear MACs, total and per top-level module."""
    macs, per_stage = [0], {}

    def top(name):
        head = name.split(".")[0]
        return "stem" if head in ("conv1", "bn1") else head

    def hook(name):
        def f(m, i, o):
            if isinstance(m, nn.Conv2d):
                n = o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
            else:
                n = o.numel() // o.shape[-1] * m.in_features * m.out_features
            macs[0] += n
            per_stage.setdefault(top(name), [0, 0])[1] += n
        return f

    hooks = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    for n, p in model.named_parameters():
        per_stage.setdefault(top(n), [0, 0])[0] += p.numel()
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, in_channels, side, side))
    for h in hooks:
        h.remove()
    return {"params": sum(p.numel() for p in model.parameters()), "macs": macs[0],
            "stages": {k: {"params": v[0], "macs": v[1]} for k, v in per_stage.items()}}


def counts_fixture():
    out = {}
    for depth in [18, 34, 50, 101, 152]:
        out[f"resnet{depth}"] = count(getattr(tvr, f"resnet{depth}")(weights=None), 224)
    for depth in [20, 32, 44, 56, 110]:
        for option in "AB":
            out[f"cifar_resnet{depth}_{option}"] = count(CifarResNet(depth, option), 32)
    with open(os.path.join(OUT, "torchvision_counts.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    for k, v in out.items():
        print(f"{k:22s} params {v['params'] / 1e6:8.3f} M   MACs {v['macs'] / 1e6:10.2f} M")


def main():
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(0)
    model_fixtures(gen)
    ops_fixture(gen)
    counts_fixture()
    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f"{size / 1024:9.1f} KiB  {name}")
    print(f"{total / 1024 / 1024:9.2f} MiB  total")


if __name__ == "__main__":
    main()
