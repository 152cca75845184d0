#!/usr/bin/python3
"""Checkpoints in the state-dict layouts of popular public code bases, for GhostKit's lenient loading.

Run by hand (never in CI), from anywhere:

    /usr/bin/python3 tools/make_layout_fixtures.py

Needs Debian's python3-torch / python3-torchvision (torch 1.13 was used). Fixed seeds. Every file is checked here
to load back into its own PyTorch module with load_state_dict(strict=True) (after stripping "module." and the
wrapper dict, as PyTorch users do) and to give the stored logits.

Writes into Tests/Fixtures/layouts/ (tiny widths; ~1.7 MB in total):
  akamaster_resnet8_A.th   the layout of akamaster/pytorch_resnet_cifar10's released models: legacy torch.save,
                            {"state_dict": {"module." + k: v}, "best_prec1": …}, head named "linear", option-A
                            (parameter-free zero-pad) shortcuts, no BatchNorm num_batches_tracked (pre-0.4 files)
  akamaster_resnet8_B.pth  the same code base with option B: "shortcut.0/.1" 1x1 conv + BN, zip format, plain dict
  tv_cifar100_resnet8_B.pth  torchvision-style CIFAR ResNet (BasicBlock, "downsample.0/.1", "fc"), 100 classes,
                            stem conv with a bias, zip format, {"model": …, "epoch": 3}
  kuangliu_resnet18.pth     kuangliu/pytorch-cifar's ResNet18 layout (3x3 stem, no max-pool, "shortcut.0/.1",
                            "linear") at width 1/16 (4/8/16/32 channels), zip format
  tv_resnet50_w16_bias.pth  torchvision ResNet-50 (ImageNet stem) at width 1/16, stem conv with a bias,
                            DataParallel "module." keys, no num_batches_tracked, legacy format
  layouts.io.safetensors    "<file stem>.input" and PyTorch's logits "<file stem>.output" for every file above
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models import resnet as tvr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_write  # noqa: E402
from make_fixtures import CifarResNet, narrow_resnet, randomise_bn  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "Tests", "Fixtures", "layouts"))


class AkamasterBlock(nn.Module):
    """akamaster's BasicBlock: conv1/bn1/conv2/bn2 and `shortcut` (empty, option-A lambda or option-B conv + BN)."""

    def __init__(self, inplanes, planes, stride, option):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        self.pad = None
        if stride != 1 or inplanes != planes:
            if option == "A":
                self.pad = planes // 4
            else:
                self.shortcut = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        s = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad)) if self.pad is not None else self.shortcut(x)
        return F.relu(out + s)


class AkamasterResNet(nn.Module):
    """akamaster's resnet(6n+2): conv1 (3x3, 16, no bias), bn1, layer1-3, global average pool, `linear`."""

    def __init__(self, depth, option, num_classes=10, widths=(16, 32, 64)):
        super().__init__()
        n = (depth - 2) // 6 if len(widths) == 3 else None
        counts = [n] * 3 if n else [2, 2, 2, 2]
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        inplanes = widths[0]
        for i, (planes, count) in enumerate(zip(widths, counts)):
            blocks = []
            for b in range(count):
                blocks.append(AkamasterBlock(inplanes, planes, 2 if (b == 0 and i > 0) else 1, option))
                inplanes = planes
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.stages = len(widths)
        self.linear = nn.Linear(inplanes, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def plain(sd, drop_nbt=False, prefix=""):
    """A plain dict copy (no _metadata: PyTorch then treats BN as old and fills num_batches_tracked in)."""
    return {prefix + k: v for k, v in sd.items() if not (drop_nbt and k.endswith("num_batches_tracked"))}


def unwrap(obj):
    for key in ["state_dict", "model"]:
        if isinstance(obj, dict) and key in obj and isinstance(obj[key], dict):
            obj = obj[key]
    return {(k[7:] if k.startswith("module.") else k): v for k, v in obj.items()}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(2026)
    io = {}

    def emit(name, model, side, obj, legacy):
        randomise_bn(model, gen)
        for m in model.modules():
            if isinstance(m, nn.Linear):
                m.weight.data *= 8.0
        model.eval()
        x = torch.randn(2, 3, side, side, generator=gen)
        with torch.no_grad():
            y = model(x)
        path = os.path.join(OUT, name)
        torch.save(obj(model.state_dict()), path, _use_new_zipfile_serialization=not legacy)
        stem = name.rsplit(".", 1)[0]
        io[stem + ".input"], io[stem + ".output"] = x, y
        # PyTorch's own strict load of the file must work and give the same logits.
        fresh = builders[stem]()
        fresh.load_state_dict(unwrap(torch.load(path)), strict=True)
        with torch.no_grad():
            assert torch.allclose(fresh.eval()(x), y, rtol=0, atol=1e-6), name
        print(f"{name:28s} {os.path.getsize(path) / 1024:6.0f} KiB  max|logits| {y.abs().max():.2f}")

    def tv_cifar_bias():
        m = CifarResNet(8, "B", num_classes=100)
        m.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=True)
        return m

    def tv_r50_bias():
        m = narrow_resnet(tvr.Bottleneck, [3, 4, 6, 3], 4, [4, 8, 16, 32], 3, 10, cifar_stem=False)
        m.conv1 = nn.Conv2d(3, 4, 7, 2, 3, bias=True)
        return m

    builders = {
        "akamaster_resnet8_A": lambda: AkamasterResNet(8, "A"),
        "akamaster_resnet8_B": lambda: AkamasterResNet(8, "B"),
        "tv_cifar100_resnet8_B": tv_cifar_bias,
        "kuangliu_resnet18": lambda: AkamasterResNet(18, "B", widths=(4, 8, 16, 32)),
        "tv_resnet50_w16_bias": tv_r50_bias,
    }
    emit("akamaster_resnet8_A.th", builders["akamaster_resnet8_A"](), 32,
         lambda sd: {"state_dict": plain(sd, drop_nbt=True, prefix="module."), "best_prec1": 91.73}, legacy=True)
    emit("akamaster_resnet8_B.pth", builders["akamaster_resnet8_B"](), 32, plain, legacy=False)
    emit("tv_cifar100_resnet8_B.pth", builders["tv_cifar100_resnet8_B"](), 32,
         lambda sd: {"model": plain(sd), "epoch": 3}, legacy=False)
    emit("kuangliu_resnet18.pth", builders["kuangliu_resnet18"](), 32, plain, legacy=False)
    emit("tv_resnet50_w16_bias.pth", builders["tv_resnet50_w16_bias"](), 32,
         lambda sd: plain(sd, drop_nbt=True, prefix="module."), legacy=True)
    safetensors_write.save(os.path.join(OUT, "layouts.io.safetensors"), io, None,
                           {"ghostkit.source": "tools/make_layout_fixtures.py"})


if __name__ == "__main__":
    main()
