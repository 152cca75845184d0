"""Minimal safetensors writer (the pip `safetensors` package is not available here).

Layout: u64 little-endian header length, JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}},
then the raw little-endian tensor bytes in header order. The header is padded with spaces to a multiple of 8.
"""
import json
import struct

import torch

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}


def save(path, tensors, dtypes=None, metadata=None):
    """Write `tensors` (name -> torch.Tensor, order preserved); `dtypes` maps names to F32/F16/BF16/I64."""
    dtypes = dtypes or {}
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        dt = dtypes.get(name, "I64" if t.dtype == torch.int64 else "F32")
        t = t.detach().to(_DTYPES[dt]).contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if dt == "BF16" else t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
