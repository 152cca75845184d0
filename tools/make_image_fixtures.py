#!/usr/bin/python3
"""JPEG/PNG fixtures and torchvision's eval-transform results for GhostKit's image reading and preprocessing.

Run by hand (never in CI), from anywhere:

    /usr/bin/python3 tools/make_image_fixtures.py

Needs Debian's python3-torch / python3-torchvision / python3-pil (torch 1.13, torchvision 0.14, PIL 9.4 with
Debian's libjpeg-turbo were used). Fixed seeds.

Writes into Tests/Fixtures/images/ (~150 KB):
  photos/*.jpg, photos/*.png  JPEGs of several sizes, both colour modes (RGB, gray "L"), baseline/progressive,
                              4:2:0 and 4:4:4 chroma, one smaller than 224 (upscaled by Resize(256)), one PNG
  r18_w16.pth                 a torchvision ResNet-18 (ImageNet stem) at width 1/16 (4/8/16/32 channels), 3→10,
                              random init and BN statistics (seed 18), fc scaled ×40, zip format
  bad/cmyk.jpg                a CMYK JPEG (must be refused); bad/truncated.jpg (cut in half)
  alpha/*.png, alpha.json     PNGs with transparency: RGBA, LA, palette + tRNS (8-bit), RGBA and LA at 16 bits
                              (written here, PIL cannot), transparent pixels with colour; per file PIL's opened mode,
                              size, SHA-256 of convert("RGB") and convert("L") pixels (PIL drops alpha, it does not
                              composite) and the probabilities ("p224") as above
  expected.json               per image: SHA-256 of PIL's decoded pixels ("decoded", interleaved bytes in PIL's own
                              mode L/RGB), of PIL's Image.resize(BILINEAR) to the Resize(256) size ("resized"), its
                              size, and the softmax probabilities of r18_w16.pth after
                              convert("RGB") + Resize(256) + CenterCrop(224) + ToTensor + Normalize(ImageNet) ("p224"),
                              and after Resize(32) + CenterCrop(32) ("p32")
"""
import hashlib
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T
from torchvision.models import resnet as tvr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_fixtures import narrow_resnet, randomise_bn  # noqa: E402

OUT = os.path.normpath(os.path.join(HERE, "..", "Tests", "Fixtures", "images"))
MODEL = os.path.join(OUT, "r18_w16.pth")
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def picture(rng, w, h, gray=False):
    """A smooth scene with edges and noise (something JPEG compresses like a photo)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    chans = []
    for c in range(1 if gray else 3):
        fx, fy, ph = rng.uniform(2, 9, size=3)
        v = rng.uniform(60, 190) + 60 * np.sin(fx * x / w * np.pi + ph) * np.cos(fy * y / h * np.pi)
        v += 40 * ((x - w * rng.uniform(0.2, 0.8)) ** 2 + (y - h * rng.uniform(0.2, 0.8)) ** 2 < (min(w, h) / 4) ** 2)
        v += rng.normal(0, 6, size=(h, w))
        chans.append(np.clip(v, 0, 255).astype(np.uint8))
    a = chans[0] if gray else np.stack(chans, axis=2)
    return Image.fromarray(a, "L" if gray else "RGB")


def png16(path, samples, color_type):
    """A 16-bit PNG (color type 4: gray + alpha, 6: RGBA) of [h, w, c] uint16 samples, filter 0, one IDAT."""
    h, w = samples.shape[:2]
    raw = b"".join(b"\x00" + samples[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def alpha_fixtures(rng, model, t224):
    """PNGs with alpha or tRNS; what torchvision's loader makes of them (convert("RGB") drops the alpha)."""
    os.makedirs(os.path.join(OUT, "alpha"), exist_ok=True)

    def alpha(w, h):  # a ramp with a fully transparent band (its colours must survive) and an opaque one
        a = np.tile(np.linspace(0, 255, w), (h, 1))
        a[: h // 4] = 0
        a[-h // 4:] = 255
        return a.astype(np.uint8)

    def sixteen(img8):  # high byte the 8-bit picture, low byte noise: PIL keeps the high byte
        low = rng.integers(0, 256, size=img8.shape)
        return img8.astype(np.uint16) * 256 + low.astype(np.uint16)

    out = os.path.join(OUT, "alpha")
    rgb = np.asarray(picture(rng, 160, 120))
    Image.fromarray(np.dstack([rgb, alpha(160, 120)]), "RGBA").save(os.path.join(out, "g_rgba_160x120.png"))
    gray = np.asarray(picture(rng, 120, 90, gray=True))
    Image.fromarray(np.dstack([gray, alpha(120, 90)]), "LA").save(os.path.join(out, "h_la_120x90.png"))
    pal = picture(rng, 160, 120).quantize(16)
    pal.save(os.path.join(out, "i_palette_trns_160x120.png"), transparency=bytes([0, 64, 128] + [255] * 13))
    rgb16 = sixteen(np.asarray(picture(rng, 96, 72)))
    png16(os.path.join(out, "j_rgba16_96x72.png"), np.dstack([rgb16, sixteen(alpha(96, 72))]), 6)
    gray16 = sixteen(np.asarray(picture(rng, 64, 80, gray=True)))
    png16(os.path.join(out, "k_la16_64x80.png"), np.dstack([gray16, sixteen(alpha(64, 80))]), 4)
    expected = {}
    for name in sorted(os.listdir(out)):
        img = Image.open(os.path.join(out, name))
        img.load()
        rgb = img.convert("RGB")
        with torch.no_grad():
            p224 = torch.softmax(model(t224(rgb)[None]), dim=1)[0]
        expected[name] = {"mode": img.mode, "size": list(img.size), "rgb": sha(rgb), "l": sha(img.convert("L")),
                          "p224": [float(v) for v in p224]}
        print(f"{name:32s} {img.mode:4s} {img.size}  top-1 {int(p224.argmax())} p={float(p224.max()):.3f}")
    with open(os.path.join(OUT, "alpha.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


def sha(img):
    return hashlib.sha256(np.asarray(img).tobytes()).hexdigest()


def main():
    os.makedirs(os.path.join(OUT, "photos"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "bad"), exist_ok=True)
    rng = np.random.default_rng(18)
    specs = [  # name, w, h, gray, save options
        ("a_rgb_300x200.jpg", 300, 200, False, dict(quality=90)),
        ("b_gray_180x260.jpg", 180, 260, True, dict(quality=85)),
        ("c_rgb_444_257x256.jpg", 257, 256, False, dict(quality=95, subsampling=0)),
        ("d_rgb_progressive_320x240.jpg", 320, 240, False, dict(quality=80, progressive=True)),
        ("e_rgb_small_60x45.jpg", 60, 45, False, dict(quality=90)),
        ("f_rgb_200x150.png", 200, 150, False, dict()),
    ]
    torch.manual_seed(18)
    model = narrow_resnet(tvr.BasicBlock, [2, 2, 2, 2], 4, [4, 8, 16, 32], in_channels=3, num_classes=10, cifar_stem=False)
    randomise_bn(model, torch.Generator().manual_seed(18))
    model.fc.weight.data *= 40.0
    model.eval()
    torch.save(model.state_dict(), MODEL)
    t224 = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(MEAN, STD)])
    t32 = T.Compose([T.Resize(32), T.CenterCrop(32), T.ToTensor(), T.Normalize(MEAN, STD)])
    expected = {}
    for name, w, h, gray, opts in specs:
        path = os.path.join(OUT, "photos", name)
        picture(rng, w, h, gray).save(path, **opts)
        img = Image.open(path)
        img.load()
        short, long = min(img.size), max(img.size)
        size = (256, int(256 * long / short)) if img.size[0] == short else (int(256 * long / short), 256)
        resized = img.resize(size, Image.BILINEAR)
        rgb = img.convert("RGB")
        with torch.no_grad():
            p224 = torch.softmax(model(t224(rgb)[None]), dim=1)[0]
            p32 = torch.softmax(model(t32(rgb)[None]), dim=1)[0]
        assert T.Resize(256)(img).size == size
        expected[name] = {"mode": img.mode, "size": list(img.size), "decoded": sha(img), "resized_size": list(size),
                          "resized": sha(resized), "p224": [float(v) for v in p224], "p32": [float(v) for v in p32]}
        print(f"{name:32s} {img.mode:3s} {img.size} -> {size}  top-1 {int(p224.argmax())} p={float(p224.max()):.3f}")
    cmyk = picture(rng, 64, 48).convert("CMYK")
    cmyk.save(os.path.join(OUT, "bad", "cmyk.jpg"), quality=90)
    buf = io.BytesIO()
    picture(rng, 128, 96).save(buf, "JPEG", quality=90)
    with open(os.path.join(OUT, "bad", "truncated.jpg"), "wb") as f:
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    alpha_fixtures(rng, model, t224)
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(OUT) for n in ns)
    print(f"wrote {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
