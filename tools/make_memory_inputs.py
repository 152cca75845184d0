#!/usr/bin/python3
"""Inputs for the memory measurements of README "Memory" (fit-kernels, convert, predict, large PNGs); not committed.

    /usr/bin/python3 tools/make_memory_inputs.py [OUT]      (default /tmp/ghostkit-memory)

Needs Debian's python3-torch / python3-torchvision / python3-pil and opencv-doc's example photos. Writes:
  photos/NNN.jpg      N (default 64, GHOSTKIT_PHOTOS) JPEGs (quality 90), 320-640 px crops of the opencv-doc photos
  resnet50.pth        a randomly initialised torchvision ResNet-50 state_dict (torch.save zip; seed 0)
  wide.png            16384x256 RGB PNG (a smooth gradient): must be resized before anything model-sized exists
  huge.png            16384x16384 gray PNG (zeros, ~800 KB): must be refused from its header
"""
import glob
import os
import sys

import numpy as np
import torch
from PIL import Image
from torchvision.models import resnet50

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ghostkit-memory"
N = int(os.environ.get("GHOSTKIT_PHOTOS", "64"))


def main():
    os.makedirs(os.path.join(OUT, "photos"), exist_ok=True)
    sources = sorted(p for p in glob.glob("/usr/share/doc/opencv-doc/examples/**/*.jpg", recursive=True)
                     if os.path.getsize(p) > 50_000)
    assert sources, "install opencv-doc (its example photos)"
    rng = np.random.default_rng(0)
    for i in range(N):
        img = Image.open(sources[i % len(sources)]).convert("RGB")
        side = int(rng.integers(min(320, *img.size), min(640, *img.size) + 1))
        x, y = int(rng.integers(0, img.width - side + 1)), int(rng.integers(0, img.height - side + 1))
        crop = img.crop((x, y, x + side, y + side))
        if crop.width < 320:
            crop = crop.resize((320, 320), Image.BILINEAR)
        crop.save(os.path.join(OUT, "photos", f"{i:03d}.jpg"), quality=90)
    torch.manual_seed(0)
    torch.save(resnet50().state_dict(), os.path.join(OUT, "resnet50.pth"))
    ramp = np.linspace(0, 255, 16384, dtype=np.float32)
    wide = np.stack([np.tile(ramp, (256, 1)), np.tile(ramp[::-1], (256, 1)), np.full((256, 16384), 128.0)], axis=2)
    Image.fromarray(wide.astype(np.uint8), "RGB").save(os.path.join(OUT, "wide.png"))
    Image.fromarray(np.zeros((16384, 16384), np.uint8), "L").save(os.path.join(OUT, "huge.png"), optimize=False)
    print(f"wrote {N} photos, resnet50.pth, wide.png, huge.png to {OUT}")


if __name__ == "__main__":
    main()
