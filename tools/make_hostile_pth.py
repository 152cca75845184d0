#!/usr/bin/python3
"""Decompression-bomb torch.save files for GhostKit's TorchCheckpoint reader (Debian's python3-torch; 1.13 used).

Run by hand (never in CI), from anywhere:

    /usr/bin/python3 tools/make_hostile_pth.py

Writes into Tests/Fixtures/hostile/ (each about 16 KB):
  bomb_claim.pth   torch.save({"w": zeros(4)}) whose storage entry data/0 is replaced by 16 MiB of zeros, deflated:
                   the pickle claims 4 float32 (16 bytes), the zip header 16 MiB. Must be refused from the headers,
                   before the entry is inflated.
  bomb_view.pth    the same archive with an honest 16 MiB storage, but a tensor view [1000, 1000, 1000] on it
                   (more elements than the storage holds): refused from the pickle alone.
"""
import io
import os
import zipfile

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "hostile")
BIG = 16 << 20


def rezip(src, replace, name):
    """Copies the zip `src` (bytes), giving entries in `replace` new contents, every entry deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in zin.infolist():
            data = zin.read(info.filename)
            for suffix, new in replace.items():
                if info.filename.endswith(suffix):
                    data = new
            z.writestr(info.filename, data)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(out.getvalue())


def main():
    os.makedirs(OUT, exist_ok=True)
    buf = io.BytesIO()
    torch.save({"w": torch.zeros(4)}, buf)
    rezip(buf.getvalue(), {"/data/0": bytes(BIG)}, "bomb_claim.pth")
    big = torch.zeros(BIG // 4)
    view = torch.as_strided(big, (1000, 1000, 1000), (1, 1, 1))
    buf = io.BytesIO()
    torch.save({"w": view}, buf)
    rezip(buf.getvalue(), {}, "bomb_view.pth")
    for n in ["bomb_claim.pth", "bomb_view.pth"]:
        print(n, os.path.getsize(os.path.join(OUT, n)), "bytes")


if __name__ == "__main__":
    main()
