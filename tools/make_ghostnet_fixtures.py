"""Golden fixtures for GhostKit's GhostNet, computed by PyTorch.

The model below is a from-scratch PyTorch GhostNet with the structure and state-dict names of the official
implementation (Han et al., CVPR 2020; ghostnet_pytorch/ghostnet.py): conv_stem/bn1/act1, blocks.0-8 of Ghost
bottlenecks (ghost1, conv_dw/bn_dw when strided, se.conv_reduce/conv_expand with a hard-sigmoid gate, ghost2,
shortcut.0-3), blocks.9.0 (1x1 ConvBnAct to 960*width), global pool, conv_head (1x1 to 1280, bias), act2,
classifier. Channels are _make_divisible(c * width, 4); Ghost modules use ratio 2, a 1x1 primary conv and a 3x3
cheap operation. `small_stem` makes the stem stride 1 (GhostKit's --stem cifar).

Writes into Tests/Fixtures:
  ghostnet_w025.{weights,io}.safetensors  width 0.25, 3 -> 10, 32x32 input, eval mode: logits and the outputs of
                                          the stem and of every block (observer names: stem, blocks.0.0, …, blocks.9)
  ghostnet_train.safetensors              width 0.1, small stem, 1 -> 10, 4 images 32x32, one training-mode
                                          forward/backward: initial weights (init.*), input, labels, logits,
                                          loss, every gradient (grad.*) and the BN running stats after (after.*)
Run: /usr/bin/python3 tools/make_ghostnet_fixtures.py
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import make_fixtures as mf

SOURCE = "tools/make_ghostnet_fixtures.py"

# k, expansion, out, SE ratio, stride (the paper's Table 1)
CFGS = [
    [[3, 16, 16, 0, 1]],
    [[3, 48, 24, 0, 2]],
    [[3, 72, 24, 0, 1]],
    [[5, 72, 40, 0.25, 2]],
    [[5, 120, 40, 0.25, 1]],
    [[3, 240, 80, 0, 2]],
    [[3, 200, 80, 0, 1], [3, 184, 80, 0, 1], [3, 184, 80, 0, 1], [3, 480, 112, 0.25, 1], [3, 672, 112, 0.25, 1]],
    [[5, 672, 160, 0.25, 2]],
    [[5, 960, 160, 0, 1], [5, 960, 160, 0.25, 1], [5, 960, 160, 0, 1], [5, 960, 160, 0.25, 1]],
]


def make_divisible(v, divisor, min_value=None):
    min_value = min_value or divisor
    n = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return n + divisor if n < 0.9 * v else n


def hard_sigmoid(x):
    return F.relu6(x + 3.0) / 6.0


class SqueezeExcite(nn.Module):
    def __init__(self, channels, ratio):
        super().__init__()
        reduced = make_divisible(channels * ratio, 4)
        self.conv_reduce = nn.Conv2d(channels, reduced, 1, bias=True)
        self.conv_expand = nn.Conv2d(reduced, channels, 1, bias=True)

    def forward(self, x):
        s = F.relu(self.conv_reduce(x.mean((2, 3), keepdim=True)))
        return x * hard_sigmoid(self.conv_expand(s))


class GhostModule(nn.Module):
    def __init__(self, inp, oup, relu):
        super().__init__()
        self.oup = oup
        m = math.ceil(oup / 2)
        act = [nn.ReLU()] if relu else []
        self.primary_conv = nn.Sequential(nn.Conv2d(inp, m, 1, 1, 0, bias=False), nn.BatchNorm2d(m), *act)
        self.cheap_operation = nn.Sequential(nn.Conv2d(m, m, 3, 1, 1, groups=m, bias=False), nn.BatchNorm2d(m), *act)

    def forward(self, x):
        x1 = self.primary_conv(x)
        return torch.cat([x1, self.cheap_operation(x1)], 1)[:, :self.oup]


class GhostBottleneck(nn.Module):
    def __init__(self, inp, mid, out, k, stride, se_ratio):
        super().__init__()
        self.stride = stride
        self.ghost1 = GhostModule(inp, mid, relu=True)
        if stride > 1:
            self.conv_dw = nn.Conv2d(mid, mid, k, stride, (k - 1) // 2, groups=mid, bias=False)
            self.bn_dw = nn.BatchNorm2d(mid)
        self.se = SqueezeExcite(mid, se_ratio) if se_ratio > 0 else None
        self.ghost2 = GhostModule(mid, out, relu=False)
        if inp == out and stride == 1:
            self.shortcut = nn.Sequential()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(inp, inp, k, stride, (k - 1) // 2, groups=inp, bias=False), nn.BatchNorm2d(inp),
                nn.Conv2d(inp, out, 1, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = self.ghost1(x)
        if self.stride > 1:
            y = self.bn_dw(self.conv_dw(y))
        if self.se is not None:
            y = self.se(y)
        return self.ghost2(y) + self.shortcut(x)


class ConvBnAct(nn.Module):
    def __init__(self, inp, out):
        super().__init__()
        self.conv = nn.Conv2d(inp, out, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.act1 = nn.ReLU()

    def forward(self, x):
        return self.act1(self.bn1(self.conv(x)))


class GhostNet(nn.Module):
    def __init__(self, width=1.0, small_stem=False, in_channels=3, num_classes=1000):
        super().__init__()
        c = make_divisible(16 * width, 4)
        self.conv_stem = nn.Conv2d(in_channels, c, 3, 1 if small_stem else 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.act1 = nn.ReLU()
        stages = []
        for cfg in CFGS:
            layers = []
            for k, exp, out, se, s in cfg:
                o = make_divisible(out * width, 4)
                layers.append(GhostBottleneck(c, make_divisible(exp * width, 4), o, k, s, se))
                c = o
            stages.append(nn.Sequential(*layers))
        stages.append(nn.Sequential(ConvBnAct(c, make_divisible(960 * width, 4))))
        self.blocks = nn.Sequential(*stages)
        self.conv_head = nn.Conv2d(make_divisible(960 * width, 4), 1280, 1, bias=True)
        self.act2 = nn.ReLU()
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x):
        x = self.blocks(self.act1(self.bn1(self.conv_stem(x))))
        x = self.act2(self.conv_head(F.adaptive_avg_pool2d(x, 1)))
        return self.classifier(torch.flatten(x, 1))   # dropout omitted: identity in eval, off in the training fixture


def arch(width, stem, in_channels, num_classes):
    return json.dumps({"family": "ghostnet", "depth": 0, "stem": stem, "width": width, "in_channels": in_channels,
                       "num_classes": num_classes}, separators=(",", ":"))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    full = GhostNet()
    print("GhostNet-1.0x params", sum(p.numel() for p in full.parameters()))

    # Eval-mode logits.
    m = GhostNet(0.25, False, 3, 10)
    mf.randomise_bn(m, gen)
    m.classifier.weight.data *= mf.FC_SCALE
    m.eval()
    x = torch.randn(2, 3, 32, 32, generator=gen)
    stages = {}
    m.act1.register_forward_hook(lambda mod, i, o: stages.__setitem__("stem", o))
    for i, stage in enumerate(m.blocks):
        for j, block in enumerate(stage):
            block.register_forward_hook(lambda mod, inp, o, n=f"blocks.{i}.{j}" if i < 9 else "blocks.9": stages.__setitem__(n, o))
    with torch.no_grad():
        y = m(x)
    mf.write("ghostnet_w025.weights.safetensors", m.state_dict(), None,
             {"ghostkit.arch": arch(0.25, "imagenet", 3, 10), "ghostkit.source": SOURCE})
    mf.write("ghostnet_w025.io.safetensors", {"input": x, "output": y, **stages}, None, {"ghostkit.source": SOURCE})
    print(f"ghostnet_w025 params {sum(p.numel() for p in m.parameters())} max|output| {y.abs().max():.3f}")

    # One training-mode forward/backward.
    m = GhostNet(0.1, True, 1, 10)
    mf.randomise_bn(m, gen)
    init = {f"init.{k}": v.clone() for k, v in m.state_dict().items()}
    m.train()
    x = torch.randn(4, 1, 32, 32, generator=gen)
    labels = torch.tensor([3, 0, 7, 7])
    logits = m(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    out = dict(init)
    out.update({"input": x, "labels": labels.float(), "logits": logits.detach(), "loss": loss.detach().reshape(1)})
    out.update({f"grad.{k}": p.grad for k, p in m.named_parameters()})
    out.update({f"after.{k}": v for k, v in m.state_dict().items() if "running" in k})
    mf.write("ghostnet_train.safetensors", out, None, {"ghostkit.arch": arch(0.1, "cifar", 1, 10), "ghostkit.source": SOURCE})
    print(f"ghostnet_train params {sum(p.numel() for p in m.parameters())} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
