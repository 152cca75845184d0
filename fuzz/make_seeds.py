#!/usr/bin/env python3
"""Writes the small seed corpora of the fuzz targets into fuzz/corpus/<target>/ (standard library only).
corpus/PairsJSON/scan-resnet20-2layers.json is a real pairs.json (ghostkit scan of a tiny ResNet-20)."""
import gzip, json, os, struct

HERE = os.path.dirname(os.path.abspath(__file__))

def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

def safetensors(tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)

arch = json.dumps({"family": "cifar-resnet", "depth": 20, "shortcut": "A", "in_channels": 1, "num_classes": 10})
put("Safetensors", "f32-two-tensors", safetensors(
    [("conv.weight", "F32", [2, 1, 1, 2], struct.pack("<4f", 1, -2, 3.5, 0)), ("fc.bias", "F32", [2], struct.pack("<2f", 0.5, -0.5))],
    {"ghostkit.arch": arch, "note": "seed"}))
put("Safetensors", "every-dtype", safetensors([
    ("f64", "F64", [2], struct.pack("<2d", 1e300, -0.0)), ("f16", "F16", [2], struct.pack("<2H", 0x3C00, 0x7C00)),
    ("bf16", "BF16", [1, 2], struct.pack("<2H", 0x3F80, 0xFFC0)), ("i64", "I64", [1], struct.pack("<q", -7)),
    ("i32", "I32", [1], struct.pack("<i", 9)), ("i16", "I16", [1], struct.pack("<h", -3)), ("i8", "I8", [2], b"\x80\x7f"),
    ("u8", "U8", [2], b"\x00\xff"), ("b", "BOOL", [2], b"\x00\x01"), ("empty", "F32", [0, 3], b"")]))
put("Safetensors", "escapes-and-nesting", safetensors([("a\\u00e9\"\n", "F32", [], struct.pack("<f", 2))],
                                                      {"k": "v\\u0000 \\ud83d\\ude00", "ghostkit.arch": "{\"family\":\"resnet\",\"depth\":18,\"stem\":\"cifar\",\"width\":0.25,\"in_channels\":1,\"num_classes\":10,\"ghost\":{\"s\":2,\"d\":3}}"}))
put("Safetensors", "16-bytes-claiming-1e12-byte-header", struct.pack("<Q", 10**12) + b'{"a":{}}')
put("Safetensors", "huge-shape", safetensors([]).replace(b"{}", b'{"t":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}'))

def idx(shape, payload):
    return bytes([0, 0, 8, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + payload

images = idx([2, 3, 3], bytes(range(18)))
labels = idx([4], bytes([0, 9, 3, 1]))
put("IDX", "images-2x3x3", images)
put("IDX", "labels-4", labels)
put("IDX", "images-2x3x3.gz", gzip.compress(images, mtime=0))
put("IDX", "labels-4.gz", gzip.compress(labels, mtime=0))
put("IDX", "two-members.gz", gzip.compress(images[:10], mtime=0) + gzip.compress(images[10:], mtime=0))
put("IDX", "claims-1e12.gz", gzip.compress(idx([10000, 10000, 10000], b""), mtime=0))
put("IDX", "4d-empty", idx([1, 0, 5, 5], b""))

with open(os.path.join(HERE, "corpus", "PairsJSON", "scan-resnet20-2layers.json")) as f:
    scan = json.load(f)
scan["layers"] = scan["layers"][:1]
scan["layers"][0]["top_pairs"] = scan["layers"][0]["top_pairs"][:1]
put("PairsJSON", "one-layer-one-pair.json", json.dumps(scan, separators=(",", ":")).encode())
scan["layers"] = []
scan["architecture"] = {"family": "resnet", "depth": 50, "stem": "imagenet", "width": 0.5, "in_channels": 3, "num_classes": 1000,
                        "ghost": {"s": 2, "d": 3}}
put("PairsJSON", "no-layers.json", json.dumps(scan).encode())

import zlib

def png(w, h, bit_depth, color_type, rows, extra=b""):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")

def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

put("PNG", "gray8-3x2.png", png(3, 2, 8, 0, [b"\x00\x80\xff", b"\x10\x20\x30"]))
put("PNG", "rgb8-2x2.png", png(2, 2, 8, 2, [b"\xff\x00\x00\x00\xff\x00", b"\x00\x00\xff\xff\xff\xff"]))
put("PNG", "rgba16-1x1.png", png(1, 1, 16, 6, [b"\x12\x34\x56\x78\x9a\xbc\xde\xf0"]))
put("PNG", "gray1-8x1.png", png(8, 1, 1, 0, [b"\xa5"]))
put("PNG", "palette-2x2.png", png(2, 2, 8, 3, [b"\x00\x01", b"\x01\x00"], chunk(b"PLTE", b"\x00\x00\x00\xff\x80\x00")))
