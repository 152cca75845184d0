"""Minimal safetensors writer (and a reader for self-checks); the pip `safetensors` package is not available here.

File layout:
    8 bytes   N, the header length, unsigned 64-bit little-endian
    N bytes   UTF-8 JSON header {"<name>": {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
              "__metadata__": {"<key>": "<string value>"}}, padded with spaces to a multiple of 8 bytes
    data      the tensors' raw little-endian bytes, back to back in header order; data_offsets are relative
              to the start of this section
Supported dtypes: F32, F16, BF16, I64.
"""
import json
import struct

import numpy as np
import torch

TORCH_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
# Little-endian numpy view of each dtype's bytes (BF16 goes through its 16-bit pattern).
_NUMPY = {"F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8"}


def _default_dtype(t):
    return "I64" if t.dtype == torch.int64 else "F32"


def _raw_bytes(t, dtype):
    """Little-endian bytes of `t` converted to `dtype` (round-to-nearest-even for F16/BF16)."""
    t = t.detach().cpu().to(TORCH_DTYPES[dtype]).contiguous()
    if dtype == "BF16":
        a = t.view(torch.int16).numpy().view(np.uint16)
    else:
        a = t.numpy()
    return a.astype(_NUMPY[dtype], copy=False).tobytes()


def save(path, tensors, dtypes=None, metadata=None):
    """Write `tensors` (name -> torch.Tensor) to `path`, in the dict's order.

    dtypes:   optional name -> "F32" | "F16" | "BF16" | "I64"; unlisted tensors are I64 if int64, else F32.
    metadata: optional str -> str, stored under "__metadata__".
    """
    dtypes = dtypes or {}
    unknown = set(dtypes) - set(tensors)
    if unknown:
        raise KeyError(f"dtypes for tensors not given: {sorted(unknown)}")
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"bad tensor name {name!r}")
        dtype = dtypes.get(name, _default_dtype(t))
        if dtype not in TORCH_DTYPES:
            raise ValueError(f"{name}: unsupported dtype {dtype!r}")
        raw = _raw_bytes(t, dtype)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata must map strings to strings, got {k!r}: {v!r}")
        header["__metadata__"] = dict(metadata)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def load(path):
    """Read a file written by `save`: (dict name -> float32/int64 torch.Tensor, dtypes, metadata), in file order."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    body = memoryview(data)[8 + n:]
    tensors, dtypes, expected = {}, {}, 0
    for name, info in header.items():
        begin, end = info["data_offsets"]
        if begin != expected:
            raise ValueError(f"{path}: {name} is not packed back to back")
        expected = end
        a = np.frombuffer(body[begin:end], dtype=_NUMPY[info["dtype"]]).reshape(info["shape"])
        if info["dtype"] == "BF16":
            t = torch.from_numpy((a.astype(np.uint32) << 16).view(np.float32).copy())
        elif info["dtype"] == "I64":
            t = torch.from_numpy(a.astype(np.int64))
        else:
            t = torch.from_numpy(a.astype(np.float32))
        tensors[name], dtypes[name] = t, info["dtype"]
    if expected != len(body):
        raise ValueError(f"{path}: {len(body) - expected} trailing bytes")
    return tensors, dtypes, metadata
