import Foundation
import GhostCheckpoint
import GhostIO
import GhostModels
import GhostTensor

/// Writes a model as a self-contained PyTorch module file (Ghost module with the official names, ResNet and
/// Ghost blocks, GhostNet, a safetensors reader) plus its weights as safetensors beside it, so that
/// `load_state_dict(strict=True)` loads them. tools/check_pytorch_export.py checks the pair against GhostKit.
public enum PyTorchExporter {
    /// The weights file written beside `OUT.py`: `OUT.safetensors`.
    public static func weightsPath(for path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().path + ".safetensors"
    }

    /// The module source for `metadata` whose weights file is named `weights` (a file name, beside the .py).
    public static func source(metadata: ExportMetadata, weights: String) -> String {
        template
            .replacingOccurrences(of: "@DISPLAY@", with: metadata.architecture.displayName)
            .replacingOccurrences(of: "@ARCH@", with: metadata.architecture.json)
            .replacingOccurrences(of: "@NORMALIZATION@", with: metadata.normalization.map { $0.json } ?? "null")
            .replacingOccurrences(of: "@CLASSES@", with: ExportMetadata.json(metadata.classNames))
            .replacingOccurrences(of: "@WEIGHTS@", with: weights)
    }

    /// Writes `path` (.py) and its weights (float32 safetensors with the checkpoint's metadata), each atomically;
    /// the weights go first, so a failure never leaves a module file without them.
    public static func write(_ model: Module, metadata: ExportMetadata, to path: String) throws {
        try metadata.checkSupported()
        let weights = weightsPath(for: path)
        try Checkpoint.save(model, architecture: metadata.architecture, to: weights,
                            normalization: metadata.normalization)
        let name = URL(fileURLWithPath: weights).lastPathComponent
        try AtomicFile.write(Data(source(metadata: metadata, weights: name).utf8), to: path)
    }

    /// The Python source, with @DISPLAY@, @ARCH@, @NORMALIZATION@, @CLASSES@, @WEIGHTS@ to fill in.
    static let template = #"""
"""A GhostKit model as a self-contained PyTorch module (written by `ghostkit export --format pytorch`).

Model: @DISPLAY@
Weights: the .safetensors file beside this one (state-dict names as in GhostKit, torchvision and the official
GhostNet code), loaded with strict=True by `load_model()`. Only torch is needed; the safetensors reader is below.

    import importlib.util, torch
    spec = importlib.util.spec_from_file_location("m", "model.py"); m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    model = m.load_model()          # eval mode; model.train() to fine-tune (e.g. model.cuda())
    logits = model(m.normalize(images))   # images: float [N, C, H, W] in [0, 1]
"""
import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCH = json.loads(r'''@ARCH@''')
NORMALIZATION = json.loads(r'''@NORMALIZATION@''')  # {"mean": [...], "std": [...]} or None
CLASS_NAMES = json.loads(r'''@CLASSES@''')
WEIGHTS = "@WEIGHTS@"


def make_divisible(v, divisor, min_value=None):
    """The official GhostNet rounding of channel counts."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def make_activation(name):
    return {"relu": lambda: nn.ReLU(inplace=True), "leaky-relu": lambda: nn.LeakyReLU(0.01), "gelu": nn.GELU,
            "sigmoid": nn.Sigmoid, "hard-sigmoid": nn.Hardsigmoid, "h-swish": nn.Hardswish}[name]()


class GhostModule(nn.Module):
    """The official Ghost module: primary conv + BN (+ReLU), depthwise cheap operation + BN (+ReLU), concat, then
    channel c of the output = channel output_index[c] of the concat (GhostKit's Ghost-ResNets store that
    buffer; GhostNet's modules take the plain slice [:oup]). ratio 1 (a conv left plain by a guided
    conversion) has no cheap operation."""

    def __init__(self, inp, oup, kernel_size=1, ratio=2, dw_size=3, stride=1, relu=True, output_index=False):
        super().__init__()
        self.oup = oup
        init_channels = math.ceil(oup / ratio)
        new_channels = init_channels * (ratio - 1)
        self.primary_conv = nn.Sequential(
            nn.Conv2d(inp, init_channels, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(init_channels), nn.ReLU(inplace=True) if relu else nn.Sequential())
        self.cheap_operation = None
        if new_channels:
            self.cheap_operation = nn.Sequential(
                nn.Conv2d(init_channels, new_channels, dw_size, 1, dw_size // 2, groups=init_channels, bias=False),
                nn.BatchNorm2d(new_channels), nn.ReLU(inplace=True) if relu else nn.Sequential())
        if output_index:
            self.register_buffer("output_index", torch.arange(oup, dtype=torch.long))
        else:
            self.output_index = None

    def forward(self, x):
        x1 = self.primary_conv(x)
        out = torch.cat([x1, self.cheap_operation(x1)], dim=1) if self.cheap_operation is not None else x1
        if self.output_index is not None:
            return out.index_select(1, self.output_index)
        return out[:, :self.oup]


class ZeroPadShortcut(nn.Module):
    """Option A (He et al. 2016): x[:, :, ::stride, ::stride] with zero channels, half before, the rest after."""

    def __init__(self, stride, pad):
        super().__init__()
        self.stride, self.pad = stride, pad

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))


def conv_ratio(ghost, name):
    """(s, d) of the Ghost module replacing conv `name` ("layer2.0.conv1"): its entry in ghost["convs"] (a guided
    conversion's per-conv ratios), else the model's s and d."""
    r = (ghost.get("convs") or {}).get(name) or ghost
    return r["s"], r["d"]


def shortcut(inp, out, stride, option, ghost, name):
    """The block's identity path: None (identity), option A, or downsample = 1x1 conv + BN (or one Ghost module)."""
    if stride == 1 and inp == out:
        return None, None
    if option == "A":
        return None, ZeroPadShortcut(stride, out - inp)
    if ghost:
        return nn.Sequential(GhostModule(inp, out, 1, *conv_ratio(ghost, name + ".downsample"), stride, relu=False,
                                         output_index=True)), None
    return nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out)), None


def shortcut_output(block, x):
    """What a block adds to its residual: x itself, option A's padded x, or the downsample's output."""
    if block.downsample is not None:
        return block.downsample(x)
    if block.option_a is not None:
        return block.option_a(x)
    return x


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inp, planes, stride, option, ghost=None, name=""):
        super().__init__()
        if ghost:
            self.conv1 = GhostModule(inp, planes, 3, *conv_ratio(ghost, name + ".conv1"), stride, True, True)
            self.conv2 = GhostModule(planes, planes, 3, *conv_ratio(ghost, name + ".conv2"), 1, False, True)
        else:
            self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
        self.ghost = ghost is not None
        self.downsample, self.option_a = shortcut(inp, planes, stride, option, ghost, name)

    def forward(self, x):
        identity = shortcut_output(self, x)
        if self.ghost:
            y = self.conv2(self.conv1(x))
        else:
            y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inp, planes, stride, option, ghost=None, name=""):
        super().__init__()
        out = planes * 4
        if ghost:
            self.conv1 = GhostModule(inp, planes, 1, *conv_ratio(ghost, name + ".conv1"), 1, True, True)
            self.conv2 = GhostModule(planes, planes, 3, *conv_ratio(ghost, name + ".conv2"), stride, True, True)
            self.conv3 = GhostModule(planes, out, 1, *conv_ratio(ghost, name + ".conv3"), 1, False, True)
        else:
            self.conv1 = nn.Conv2d(inp, planes, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(out)
        self.ghost = ghost is not None
        self.downsample, self.option_a = shortcut(inp, out, stride, option, ghost, name)

    def forward(self, x):
        identity = shortcut_output(self, x)
        if self.ghost:
            y = self.conv3(self.conv2(self.conv1(x)))
        else:
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn3(self.conv3(F.relu(self.bn2(self.conv2(y)))))
        return F.relu(y + identity)


IMAGENET_DEPTHS = {18: (False, [2, 2, 2, 2]), 34: (False, [3, 4, 6, 3]), 50: (True, [3, 4, 6, 3]),
                   101: (True, [3, 4, 23, 3]), 152: (True, [3, 8, 36, 3])}


class ResNet(nn.Module):
    """torchvision's ResNet names (conv1, bn1, layer1..4, fc); CIFAR ResNet-6n+2 with three stages of 16/32/64;
    Ghost blocks where ARCH["ghost"] lists them (all when "blocks" is absent)."""

    def __init__(self, arch):
        super().__init__()
        ghost = arch.get("ghost")
        if arch["family"] == "cifar-resnet":
            n = (arch["depth"] - 2) // 6
            bottleneck, counts, widths, stem_w, k, stride, pool = False, [n] * 3, [16, 32, 64], 16, 3, 1, False
            option = arch.get("shortcut") or "A"
        else:
            bottleneck, counts = IMAGENET_DEPTHS[arch["depth"]]
            w = arch.get("width") or 1.0
            widths = [max(1, int(round(c * w))) for c in (64, 128, 256, 512)]
            stem_w = max(1, int(round(64 * w)))
            cifar = arch.get("stem") == "cifar"
            k, stride, pool, option = (3, 1, False, "B") if cifar else (7, 2, True, "B")
        self.conv1 = nn.Conv2d(arch["in_channels"], stem_w, k, stride, k // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_w)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1) if pool else nn.Identity()
        block = Bottleneck if bottleneck else BasicBlock
        inp = stem_w
        for i, (count, planes) in enumerate(zip(counts, widths)):
            layer = []
            for b in range(count):
                name = "layer%d.%d" % (i + 1, b)
                g = ghost if ghost and (ghost.get("blocks") is None or name in ghost["blocks"]) else None
                layer.append(block(inp, planes, 2 if (b == 0 and i > 0) else 1, option, g, name))
                inp = planes * block.expansion
            self.add_module("layer%d" % (i + 1), nn.Sequential(*layer))
        self.stages = len(counts)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(inp, arch["num_classes"])

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.stages):
            x = getattr(self, "layer%d" % (i + 1))(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


class SqueezeExcite(nn.Module):
    def __init__(self, chs, ratio, gate):
        super().__init__()
        reduced = make_divisible(chs * ratio, 4)
        self.conv_reduce = nn.Conv2d(chs, reduced, 1, bias=True)
        self.act1 = nn.ReLU(inplace=True)
        self.conv_expand = nn.Conv2d(reduced, chs, 1, bias=True)
        self.gate = make_activation(gate)

    def forward(self, x):
        s = self.conv_expand(self.act1(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return x * self.gate(s)


class ECA(nn.Module):
    """Efficient channel attention: pool, Conv1d(1, 1, k) across channels, sigmoid, x * gate."""

    def __init__(self, chs):
        super().__init__()
        t = int(abs((math.log2(max(chs, 1)) + 1) / 2))
        k = t if t % 2 == 1 else t + 1
        self.conv = nn.Conv1d(1, 1, k, padding=k // 2, bias=False)

    def forward(self, x):
        n, c = x.shape[:2]
        z = self.conv(x.mean((2, 3)).view(n, 1, c))
        return x * torch.sigmoid(z).view(n, c, 1, 1)


class GhostBottleneck(nn.Module):
    """The official G-bneck: ghost1 (ReLU), conv_dw + bn_dw when stride > 1, se or eca, ghost2, shortcut."""

    def __init__(self, in_chs, mid_chs, out_chs, k, stride, attention):
        super().__init__()
        self.stride = stride
        self.ghost1 = GhostModule(in_chs, mid_chs, relu=True)
        if stride > 1:
            self.conv_dw = nn.Conv2d(mid_chs, mid_chs, k, stride, (k - 1) // 2, groups=mid_chs, bias=False)
            self.bn_dw = nn.BatchNorm2d(mid_chs)
        self.se = self.eca = None
        if attention == "eca":
            self.eca = ECA(mid_chs)
        elif attention is not None:
            self.se = SqueezeExcite(mid_chs, attention[0], attention[1])
        self.ghost2 = GhostModule(mid_chs, out_chs, relu=False)
        if in_chs == out_chs and stride == 1:
            self.shortcut = nn.Sequential()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_chs, in_chs, k, stride, (k - 1) // 2, groups=in_chs, bias=False), nn.BatchNorm2d(in_chs),
                nn.Conv2d(in_chs, out_chs, 1, 1, 0, bias=False), nn.BatchNorm2d(out_chs))

    def forward(self, x):
        y = self.ghost1(x)
        if self.stride > 1:
            y = self.bn_dw(self.conv_dw(y))
        if self.se is not None:
            y = self.se(y)
        if self.eca is not None:
            y = self.eca(y)
        return self.ghost2(y) + self.shortcut(x)


class ConvBnAct(nn.Module):
    def __init__(self, in_chs, out_chs, kernel_size, act):
        super().__init__()
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, 1, kernel_size // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(out_chs)
        self.act1 = make_activation(act)

    def forward(self, x):
        return self.act1(self.bn1(self.conv(x)))


GHOSTNET_CFGS = [  # k, exp, out, se, stride (the paper's Table 1)
    [[3, 16, 16, 0, 1]], [[3, 48, 24, 0, 2]], [[3, 72, 24, 0, 1]], [[5, 72, 40, 1, 2]], [[5, 120, 40, 1, 1]],
    [[3, 240, 80, 0, 2]],
    [[3, 200, 80, 0, 1], [3, 184, 80, 0, 1], [3, 184, 80, 0, 1], [3, 480, 112, 1, 1], [3, 672, 112, 1, 1]],
    [[5, 672, 160, 1, 2]],
    [[5, 960, 160, 0, 1], [5, 960, 160, 1, 1], [5, 960, 160, 0, 1], [5, 960, 160, 1, 1]],
]


class GhostNet(nn.Module):
    """The official GhostNet names (conv_stem, bn1, blocks.0-9, conv_head, classifier); dropout omitted."""

    def __init__(self, arch):
        super().__init__()
        width = arch.get("width") or 1.0
        act = arch.get("activation") or "relu"
        if arch.get("attention") == "eca":
            attention = "eca"
        else:
            attention = (arch.get("se_ratio") or 0.25, arch.get("se_gate") or "hard-sigmoid")
        c = make_divisible(16 * width, 4)
        self.conv_stem = nn.Conv2d(arch["in_channels"], c, 3, 1 if arch.get("stem") == "cifar" else 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.act1 = make_activation(act)
        stages = []
        for cfg in GHOSTNET_CFGS:
            layers = []
            for k, exp, out, se, s in cfg:
                out_c = make_divisible(out * width, 4)
                layers.append(GhostBottleneck(c, make_divisible(exp * width, 4), out_c, k, s,
                                              attention if se else None))
                c = out_c
            stages.append(nn.Sequential(*layers))
        last = make_divisible(960 * width, 4)
        stages.append(nn.Sequential(ConvBnAct(c, last, 1, act)))
        self.blocks = nn.Sequential(*stages)
        self.global_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_head = nn.Conv2d(last, 1280, 1, 1, 0, bias=True)
        self.act2 = make_activation(act)
        self.classifier = nn.Linear(1280, arch["num_classes"])

    def forward(self, x):
        x = self.blocks(self.act1(self.bn1(self.conv_stem(x))))
        x = self.act2(self.conv_head(self.global_pool(x)))
        return self.classifier(torch.flatten(x, 1))


def build_model(arch=None):
    """The architecture of ARCH (or `arch`), freshly initialised."""
    arch = arch or ARCH
    return GhostNet(arch) if arch["family"] == "ghostnet" else ResNet(arch)


def read_safetensors(path):
    """A safetensors file as {name: tensor} (F32, F16, BF16 as float32; I64 as int64)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = dtypes[entry["dtype"]]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype) if end > begin else torch.zeros(0, dtype=dtype)
        t = t.reshape(entry["shape"])
        out[name] = t.float() if dtype in (torch.float16, torch.bfloat16) else t
    return out


def load_model(path=None):
    """build_model() with the weights beside this file (or at `path`), strict=True, in eval mode."""
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), WEIGHTS)
    model = build_model()
    model.load_state_dict(read_safetensors(path), strict=True)
    return model.eval()


def normalize(images):
    """(images - mean) / std per channel, with the checkpoint's normalisation (identity if none was stored)."""
    if NORMALIZATION is None:
        return images
    mean = torch.tensor(NORMALIZATION["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(NORMALIZATION["std"]).view(1, -1, 1, 1)
    return (images - mean) / std


if __name__ == "__main__":
    m = load_model()
    print("%s: %d parameters, %d classes" % (ARCH["family"], sum(p.numel() for p in m.parameters()),
                                            len(CLASS_NAMES)))
"""#
}
