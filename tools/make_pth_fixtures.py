#!/usr/bin/python3
"""PyTorch checkpoint fixtures (.pth) for GhostKit's torch.save reader, safe unpickler and `predict`.

Run by hand (never in CI), from anywhere:

    /usr/bin/python3 tools/make_pth_fixtures.py

Needs Debian's python3-torch / python3-torchvision / python3-pil (torch 1.13 was used) and numpy. Fixed seeds: the
tensors are always the same, but legacy-format files name their storages by memory address, so their bytes differ per run.

Writes into Tests/Fixtures/pth/ (all small, ~0.3 MB in total):
  r18.zip.pth          state_dict of a torchvision ResNet-18 at width 1/32 (2/4/8/16 channels, ImageNet stem, 3→10),
                       torch.save zip format (torch >= 1.6 default)
  r18.legacy.pth       the same state_dict, legacy format (_use_new_zipfile_serialization=False)
  r18.wrapped.pth      {"state_dict": {"module." + k: v}, "best_prec1": 91.5, "epoch": 7, "arch": "resnet18"} as the
                       CIFAR paper repositories save it (DataParallel prefixes), legacy format, and with "fc." named
                       "linear." (as those repositories name it): loads with --rename linear=fc
  r18.noncontig.pth    zip format; fc.weight is a transposed view (stride (1, 16)), conv1.weight is channels-last,
                       bn1.weight/bn1.bias are two views into one shared storage (offset 0 and 2)
  r18.f16.pth          the model rounded to float16, stored as float16 (num_batches_tracked stays int64)
  r18.bf16.pth         the model rounded to bfloat16, stored as bfloat16
  r18.deflated.pth     r18.zip.pth re-zipped with DEFLATE (as another zip tool would)
  zip64.zip            two small stored entries written with zip64 sizes, offsets and end records (as torch writes
                       files over 4 GB), built by hand
  r18.io.safetensors   "input" [2, 3, 32, 32] and PyTorch's logits "output" (F32 weights), "output_f16", "output_bf16"
  images/*             predict inputs: 32x32 RGB (8-bit), 48x40 RGBA 16-bit, 32x32 gray 8-bit, 32x32 palette PNGs,
                       a 120x90 JPEG (PIL, quality 90)
  predict.json         PyTorch's softmax probabilities for each image after torchvision's transform of the PIL image:
                       Resize(32) (antialiased bilinear), CenterCrop(32), ToTensor, ImageNet Normalize
  evil/*.pkl, evil/*.pth   hostile or broken inputs that must be refused (see EVIL below); nothing in them may run.
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms as T
from torchvision.models import resnet as tvr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_write  # noqa: E402
from make_fixtures import narrow_resnet, randomise_bn  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "Tests", "Fixtures", "pth"))
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def make_model(gen):
    m = narrow_resnet(tvr.BasicBlock, [2, 2, 2, 2], 2, [2, 4, 8, 16], in_channels=3, num_classes=10, cifar_stem=False)
    randomise_bn(m, gen)
    m.fc.weight.data *= 10.0
    return m.eval()


def rounded(model, dtype):
    """A copy of the float32 model whose floating tensors are rounded to `dtype` (computes in float32)."""
    m = make_model(torch.Generator().manual_seed(0))
    m.load_state_dict(model.state_dict())
    for t in list(m.parameters()) + [b for b in m.buffers() if b.is_floating_point()]:
        t.data = t.data.to(dtype).float()
    return m.eval()


def stored(model, dtype):
    """state_dict with floating tensors stored as `dtype`."""
    return {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in model.state_dict().items()}


def save(obj, name, legacy=False):
    path = os.path.join(OUT, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


def noncontig_state_dict(model):
    sd = {k: v.clone() for k, v in model.state_dict().items()}
    sd["fc.weight"] = sd["fc.weight"].t().contiguous().t()
    assert not sd["fc.weight"].is_contiguous()
    sd["conv1.weight"] = sd["conv1.weight"].contiguous(memory_format=torch.channels_last)
    assert not sd["conv1.weight"].is_contiguous()
    both = torch.cat([sd["bn1.weight"], sd["bn1.bias"]])
    n = sd["bn1.weight"].numel()
    sd["bn1.weight"], sd["bn1.bias"] = both[:n], both[n:]
    assert sd["bn1.bias"].storage_offset() == n
    return sd


# ---------------------------------------------------------------------------------------------------------------
# PNG writer (all colour types and bit depths the test needs; PIL cannot write 16-bit RGBA)


def png_bytes(pixels, color_type, bit_depth, palette=None):
    """pixels: uint8/uint16 array [H, W, C] (or [H, W] indices for palette)."""
    h, w = pixels.shape[:2]
    dt = ">u2" if bit_depth == 16 else "u1"
    rows = b"".join(b"\x00" + pixels[y].astype(dt).tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", palette.astype("u1").tobytes())
    return out + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def torchvision_probabilities(model, path, size=32):
    """PyTorch's softmax after torchvision's evaluation transform of the file as torchvision's ImageFolder loads it
    (PIL, convert("RGB")): Resize(size) (PIL's antialiased bilinear), CenterCrop(size), ToTensor, ImageNet Normalize.
    GhostKit's EvalTransform at input size 32 is this transform."""
    tf = T.Compose([T.Resize(size), T.CenterCrop(size), T.ToTensor(), T.Normalize(MEAN, STD)])
    with open(path, "rb") as f:
        img = Image.open(f).convert("RGB")
    with torch.no_grad():
        return [float(v) for v in F.softmax(model(tf(img)[None]), dim=1)[0]]


def make_images(model, rng):
    os.makedirs(os.path.join(OUT, "images"), exist_ok=True)
    results = {}

    def emit(name, data, _rgb01=None):
        path = os.path.join(OUT, "images", name)
        with open(path, "wb") as f:
            f.write(data)
        results[name] = torchvision_probabilities(model, path)

    rgb = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
    emit("a_rgb8.png", png_bytes(rgb, 2, 8), rgb.transpose(2, 0, 1) / 255.0)

    # 16-bit RGBA, opaque, not square: resized and cropped. GhostKit reads 16-bit files at 16-bit precision.
    rgba = rng.integers(0, 65536, size=(40, 48, 4), dtype=np.uint16)
    rgba[:, :, 3] = 65535
    emit("b_rgba16.png", png_bytes(rgba, 6, 16), rgba[:, :, :3].transpose(2, 0, 1) / 65535.0)

    gray = rng.integers(0, 256, size=(32, 32, 1), dtype=np.uint8)
    emit("c_gray8.png", png_bytes(gray, 0, 8), np.repeat(gray.transpose(2, 0, 1), 3, axis=0) / 255.0)

    palette = rng.integers(0, 256, size=(16, 3), dtype=np.uint8)
    idx = rng.integers(0, 16, size=(32, 32), dtype=np.uint8)
    emit("d_palette.png", png_bytes(idx, 3, 8, palette), palette[idx].transpose(2, 0, 1) / 255.0)

    # A smooth 120x90 photo-like JPEG: Resize(32) shrinks it 2.8x (antialiasing matters), CenterCrop cuts 42 -> 32.
    yy, xx = np.mgrid[0:90, 0:120]
    photo = np.stack([128 + 100 * np.sin(xx / 7.0 + c) * np.cos(yy / 5.0 - c) for c in range(3)], axis=2)
    photo += rng.normal(0, 12, size=photo.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(photo, 0, 255).astype(np.uint8), "RGB").save(buf, "JPEG", quality=90)
    emit("e_photo.jpg", buf.getvalue())
    return results


# ---------------------------------------------------------------------------------------------------------------
# Hostile inputs: raw pickle bytes, assembled by hand so nothing is executed here either.

P2 = b"\x80\x02"


def binunicode(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


EVIL = {
    # GLOBAL os.system, then REDUCE with ("echo pwned",)
    "os_system.pkl": P2 + b"cos\nsystem\n" + binunicode("touch /tmp/ghostkit-pwned") + b"\x85R.",
    # GLOBAL builtins.eval + REDUCE
    "builtins_eval.pkl": P2 + b"cbuiltins\neval\n" + binunicode("__import__('os').system('true')") + b"\x85R.",
    # STACK_GLOBAL posix.system (protocol 4 style)
    "posix_stack_global.pkl": b"\x80\x04" + b"\x8c\x05posix\x8c\x06system\x93" + binunicode("true") + b"\x85R.",
    # torch.storage._load_from_bytes runs torch.load on embedded bytes: refused too
    "load_from_bytes.pkl": P2 + b"ctorch.storage\n_load_from_bytes\n" + b"C\x01x" + b"\x85R.",
    # a memo index far beyond anything defined
    "huge_memo.pkl": P2 + b"j\xff\xff\xff\xff.",
    # 5000 nested 1-tuples (None,),((None,),),… : a recursion bomb for a naive recursive reader
    "deep_nesting.pkl": P2 + b"N" + b"\x85" * 5000 + b".",
    # a BINUNICODE claiming 4 GB of text in a 20-byte file
    "huge_string.pkl": P2 + b"X\xff\xff\xff\xffabc.",
    # a BINBYTES8 claiming 2^62 bytes
    "huge_bytes8.pkl": b"\x80\x04" + b"\x8e" + struct.pack("<Q", 1 << 62) + b"abc.",
    # ends in the middle
    "truncated.pkl": P2 + b"}q\x00(X\x05\x00\x00\x00ab",
    # an opcode that does not exist
    "bad_opcode.pkl": P2 + b"\xfe.",
    # EXT1 (copyreg extension registry): not allowed
    "ext1.pkl": P2 + b"\x82\x01.",
}


def evil_zip(name, pickle_bytes, extra=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for k, v in [("archive/data.pkl", pickle_bytes), ("archive/version", b"3\n")] + list((extra or {}).items()):
            z.writestr(zipfile.ZipInfo(k, date_time=(1980, 1, 1, 0, 0, 0)), v)
    with open(os.path.join(OUT, "evil", name), "wb") as f:
        f.write(buf.getvalue())


def zip64_archive(files):
    """A stored zip whose sizes and offsets all live in zip64 extra fields and zip64 end records."""
    out, central = b"", b""
    for name, data in files:
        n, crc, offset = name.encode(), zlib.crc32(data) & 0xFFFFFFFF, len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n), 20) + n \
            + struct.pack("<HHQQ", 1, 16, len(data), len(data)) + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n),
                               28, 0, 0, 0, 0, 0xFFFFFFFF) + n + struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
    cd_offset = len(out)
    out += central
    record = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(files), len(files), len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, record, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return out


def huge_claim_pickle(numel, size, stride):
    """data.pkl of {"w": tensor} whose storage "0" claims `numel` float elements viewed as size/stride."""
    def tup(xs):
        return b"(" + b"".join(b"\x8a\x08" + struct.pack("<q", v) for v in xs) + b"t"
    pid = b"(" + binunicode("storage") + b"ctorch\nFloatStorage\n" + binunicode("0") + binunicode("cpu") \
        + b"\x8a\x08" + struct.pack("<q", numel) + b"tQ"
    return (P2 + b"}" + binunicode("w") + b"ctorch._utils\n_rebuild_tensor_v2\n" + b"(" + pid + b"K\x00"
            + tup(size) + tup(stride) + b"\x89" + b"ccollections\nOrderedDict\n)R" + b"tR" + b"s.")


def main():
    os.makedirs(os.path.join(OUT, "evil"), exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1234)
    model = make_model(gen)
    x = torch.randn(2, 3, 32, 32, generator=gen)
    with torch.no_grad():
        out = model(x)
        m16, mb16 = rounded(model, torch.float16), rounded(model, torch.bfloat16)
        out16, outb16 = m16(x), mb16(x)
    sd = model.state_dict()

    save(sd, "r18.zip.pth")
    save(sd, "r18.legacy.pth", legacy=True)
    wrapped = {"module." + ("linear." + k[3:] if k.startswith("fc.") else k): v for k, v in sd.items()}
    save({"state_dict": wrapped, "best_prec1": 91.5, "epoch": 7, "arch": "resnet18"}, "r18.wrapped.pth", legacy=True)
    save(noncontig_state_dict(model), "r18.noncontig.pth")
    save(stored(m16, torch.float16), "r18.f16.pth")
    save(stored(mb16, torch.bfloat16), "r18.bf16.pth")
    safetensors_write.save(os.path.join(OUT, "r18.io.safetensors"),
                           {"input": x, "output": out, "output_f16": out16, "output_bf16": outb16},
                           None, {"ghostkit.source": "tools/make_pth_fixtures.py"})

    # Every benign file must give PyTorch's logits when loaded back by PyTorch itself.
    for name, ref, mm in [("r18.zip.pth", out, model), ("r18.legacy.pth", out, model), ("r18.noncontig.pth", out, model),
                          ("r18.f16.pth", out16, m16), ("r18.bf16.pth", outb16, mb16)]:
        check = make_model(torch.Generator().manual_seed(0))
        check.load_state_dict({k: v.float() if v.is_floating_point() else v
                               for k, v in torch.load(os.path.join(OUT, name)).items()})
        with torch.no_grad():
            assert torch.allclose(check.eval()(x), ref, rtol=0, atol=1e-5), name

    with zipfile.ZipFile(os.path.join(OUT, "r18.zip.pth")) as src, \
            zipfile.ZipFile(os.path.join(OUT, "r18.deflated.pth"), "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), src.read(info.filename),
                         compress_type=zipfile.ZIP_DEFLATED)
    z64 = zip64_archive([("a.txt", b"first\n"), ("b.txt", b"second entry\n")])
    with open(os.path.join(OUT, "zip64.zip"), "wb") as f:
        f.write(z64)
    with zipfile.ZipFile(io.BytesIO(z64)) as z:
        assert z.read("b.txt") == b"second entry\n" and z.testzip() is None

    probs = make_images(model, np.random.default_rng(7))
    with open(os.path.join(OUT, "predict.json"), "w") as f:
        json.dump(probs, f, indent=1, sort_keys=True)
        f.write("\n")

    for name, data in EVIL.items():
        with open(os.path.join(OUT, "evil", name), "wb") as f:
            f.write(data)
    evil_zip("os_system_in_zip.pth", EVIL["os_system.pkl"])
    # a tensor of 10^12 elements claimed by a storage of 8 bytes
    evil_zip("huge_tensor_claim.pth", huge_claim_pickle(10**12, [10**6, 10**6], [10**6, 1]), {"archive/data/0": b"\0" * 8})
    # a view reaching past the end of its (honest) 2-element storage
    evil_zip("view_out_of_range.pth", huge_claim_pickle(2, [3], [1]), {"archive/data/0": b"\0" * 8})
    # a zip truncated in the middle of its central directory
    with open(os.path.join(OUT, "r18.zip.pth"), "rb") as f:
        z = f.read()
    with open(os.path.join(OUT, "evil", "truncated_zip.pth"), "wb") as f:
        f.write(z[:len(z) - 300])
    with open(os.path.join(OUT, "r18.legacy.pth"), "rb") as f:
        legacy = f.read()
    with open(os.path.join(OUT, "evil", "truncated_legacy.pth"), "wb") as f:
        f.write(legacy[:len(legacy) // 2])

    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"max|logits| {out.abs().max():.3f}; wrote {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
