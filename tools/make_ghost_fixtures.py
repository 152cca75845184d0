"""Golden fixtures for GhostKit's Ghost modules and Ghost-ResNets, computed by PyTorch.

The Ghost module follows the semantics in shared/docs/paper.md (the official GhostNet module): a primary
conv with the replaced conv's kernel/stride/padding giving m = ceil(n/s) channels + BN (+ ReLU), a depthwise
d x d "cheap operation" with channel multiplier s-1 + BN (+ ReLU), concat, slice to n. A Ghost-ResNet replaces
every conv but the stem (1x1 projections included); BN and ReLU placement follow the ResNet block it replaces.

Writes into Tests/Fixtures (with tools/safetensors_write.py; same conventions as tools/make_fixtures.py):
  ghost_resnet20_A.{weights,io}.safetensors   CIFAR ResNet-20, option A, s=2, d=3, 1 input channel, 20x20 input
  ghost_resnet50_w8.{weights,io}.safetensors  ResNet-50 bottlenecks at width 1/8, CIFAR stem, s=3, d=5 (m = ceil(n/3)
                                              does not divide n: the slice matters), 3 channels, 16x16 input
Run: /usr/bin/python3 tools/make_ghost_fixtures.py
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import make_fixtures as mf


class GhostModule(nn.Module):
    def __init__(self, inp, oup, kernel, stride, padding, s, d, relu):
        super().__init__()
        self.oup, self.relu = oup, relu
        m = math.ceil(oup / s)
        self.primary_conv = nn.Sequential(nn.Conv2d(inp, m, kernel, stride, padding, bias=False), nn.BatchNorm2d(m))
        self.cheap_operation = nn.Sequential(nn.Conv2d(m, m * (s - 1), d, 1, d // 2, groups=m, bias=False),
                                             nn.BatchNorm2d(m * (s - 1)))
        # GhostKit's buffer: output channel c = concat(intrinsic, ghost)[output_index[c]] (a conversion stores a
        # permutation here; the fixtures use a random one, so gather and slice are both tested).
        self.register_buffer("output_index", torch.randperm(m * s)[:oup])

    def forward(self, x):
        x1 = self.primary_conv(x)
        if self.relu:
            x1 = F.relu(x1)
        x2 = self.cheap_operation(x1)
        if self.relu:
            x2 = F.relu(x2)
        return torch.cat([x1, x2], 1).index_select(1, self.output_index)


class GhostResNetBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inp, planes, stride, downsample, s, d):
        super().__init__()
        self.conv1 = GhostModule(inp, planes, 3, stride, 1, s, d, relu=True)
        self.conv2 = GhostModule(planes, planes, 3, 1, 1, s, d, relu=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv2(self.conv1(x)) + identity)


class GhostBottleneck(nn.Module):
    expansion = 4

    def __init__(self, inp, planes, stride, downsample, s, d):
        super().__init__()
        self.conv1 = GhostModule(inp, planes, 1, 1, 0, s, d, relu=True)
        self.conv2 = GhostModule(planes, planes, 3, stride, 1, s, d, relu=True)
        self.conv3 = GhostModule(planes, planes * 4, 1, 1, 0, s, d, relu=False)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(self.conv3(self.conv2(self.conv1(x))) + identity)


class GhostResNet(nn.Module):
    """Stem conv1/bn1/relu (3x3/1, CIFAR style), stages of Ghost blocks, global average pool, fc."""

    def __init__(self, block, layers, widths, stem, in_channels, num_classes, option, s, d):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, stem, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        inp = stem
        for i, (n, planes) in enumerate(zip(layers, widths)):
            blocks = []
            for b in range(n):
                stride = 2 if (b == 0 and i > 0) else 1
                out = planes * block.expansion
                down = None
                if stride != 1 or inp != out:
                    down = mf.ZeroPadShortcut(out) if option == "A" else nn.Sequential(GhostModule(inp, out, 1, stride, 0, s, d, relu=False))
                blocks.append(block(inp, planes, stride, down, s, d))
                inp = out
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.stages = len(layers)
        self.fc = nn.Linear(inp, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for i in range(self.stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def save(name, model, x, arch):
    """Like make_fixtures.save_model, but logits only (stage outputs are checked through the logits)."""
    model.fc.weight.data *= mf.FC_SCALE
    model.eval()
    with torch.no_grad():
        y = model(x)
    sd = model.state_dict()
    import json
    meta = {"ghostkit.arch": json.dumps(arch, separators=(",", ":")), "ghostkit.source": "tools/make_ghost_fixtures.py"}
    mf.write(f"{name}.weights.safetensors", sd, None, meta)
    mf.write(f"{name}.io.safetensors", {"input": x, "output": y}, None, {"ghostkit.source": "tools/make_ghost_fixtures.py"})
    params = sum(p.numel() for p in model.parameters())
    print(f"{name:20s} params {params}  max|output| = {y.abs().max():.3f}")


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    m = GhostResNet(GhostResNetBasicBlock, [3, 3, 3], [16, 32, 64], 16, 1, 10, "A", 2, 3)
    mf.randomise_bn(m, gen)
    save("ghost_resnet20_A", m, torch.randn(2, 1, 20, 20, generator=gen),
         {"family": "cifar-resnet", "depth": 20, "shortcut": "A", "in_channels": 1, "num_classes": 10, "ghost": {"s": 2, "d": 3}})
    m = GhostResNet(GhostBottleneck, [3, 4, 6, 3], [8, 16, 32, 64], 8, 3, 10, "B", 3, 5)
    mf.randomise_bn(m, gen)
    save("ghost_resnet50_w8", m, torch.randn(2, 3, 16, 16, generator=gen),
         {"family": "resnet", "depth": 50, "stem": "cifar", "width": 0.125, "in_channels": 3, "num_classes": 10,
          "ghost": {"s": 3, "d": 5}})


if __name__ == "__main__":
    main()
