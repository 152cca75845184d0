#!/usr/bin/env python3
"""Compares what a K-rank run wrote with what one process wrote (used by tools/mpi_checks.sh).

  mpi_compare.py h5 ONE.h5 MASTER.h5          every dataset of ONE equals the master's virtual dataset, bit for bit
  mpi_compare.py pairs ONE/pairs.json TWO/pairs.json TOL
                                               same layers, pairs and counts; every number within TOL
  mpi_compare.py weights A.safetensors B.safetensors TOL
                                               same tensors; max |a - b| <= TOL (relative to max(1, |a|))
  mpi_compare.py report ONE/report.json TWO/report.json TOL [KEY ...]
                                               same structure; every number within TOL relative to max(1, |a|),
                                               every string equal; keys KEY (e.g. seconds, output) skipped
  mpi_compare.py csv ONE/report.csv TWO/report.csv TOL
                                               same rows and columns; numeric cells within TOL relative to
                                               max(1, |a|), the others equal
Prints one line and exits 1 on the first difference.
"""
import json
import struct
import sys

import numpy as np


def fail(msg):
    print("mpi_compare: " + msg)
    sys.exit(1)


def compare_h5(one, master):
    import h5py
    with h5py.File(one, "r") as a, h5py.File(master, "r") as b:
        names = []
        a.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        for n in names:
            if n not in b:
                fail(f"{master} has no /{n}")
            if not b[n].is_virtual:
                fail(f"{master}: /{n} is not a virtual dataset")
            x, y = a[n][()], b[n][()]
            if x.shape != y.shape or not np.array_equal(x, y):
                fail(f"/{n} differs: {x.shape} vs {y.shape}")
        for k in ("kind", "shape"):
            for n in names:
                if a[n].attrs.get(k) is not None and a[n].attrs.get(k) != b[n].attrs.get(k):
                    fail(f"/{n} attribute {k} differs")
    print(f"h5: {len(names)} datasets of {master} equal {one}")


def numbers(v, path, out):
    if isinstance(v, dict):
        for k in sorted(v):
            numbers(v[k], path + "." + k, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            numbers(x, f"{path}[{i}]", out)
    else:
        out.append((path, v))


def compare_json(one, two, tol):
    a, b = [], []
    numbers(json.load(open(one)), "", a)
    numbers(json.load(open(two)), "", b)
    if [p for p, _ in a] != [p for p, _ in b]:
        fail(f"{two} has a different structure from {one}")
    worst = 0.0
    for (p, x), (_, y) in zip(a, b):
        if isinstance(x, (int, float)) and not isinstance(x, bool) and isinstance(y, (int, float)):
            d = abs(x - y)
            worst = max(worst, d)
            if d > tol:
                fail(f"{p}: {x} vs {y} (|diff| {d:.3g} > {tol})")
        elif x != y:
            fail(f"{p}: {x!r} vs {y!r}")
    print(f"pairs: {len(a)} values equal, largest |diff| {worst:.3g} (tolerance {tol})")


def safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        lo, hi = v["data_offsets"]
        dtype = {"F32": np.float32, "F16": np.float16, "I64": np.int64}[v["dtype"]]
        out[k] = np.frombuffer(data[lo:hi], dtype=dtype).astype(np.float64)
    return out


def compare_weights(one, two, tol):
    a, b = safetensors(one), safetensors(two)
    if sorted(a) != sorted(b):
        fail(f"{two} holds other tensors than {one}")
    worst, where = 0.0, ""
    for k in sorted(a):
        if k.startswith("optimizer."):
            continue
        d = float(np.max(np.abs(a[k] - b[k]) / np.maximum(1, np.abs(a[k])))) if a[k].size else 0.0
        if d > worst:
            worst, where = d, k
    if worst > tol:
        fail(f"{where}: max relative |diff| {worst:.3g} > {tol}")
    print(f"weights: {len(a)} tensors equal to {tol} (largest relative |diff| {worst:.3g}, {where or '-'})")


def strip(v, skip):
    if isinstance(v, dict):
        return {k: strip(x, skip) for k, x in v.items() if k not in skip}
    if isinstance(v, list):
        return [strip(x, skip) for x in v]
    return v


def close(x, y, tol):
    return abs(x - y) <= tol * max(1.0, abs(x))


def compare_report(one, two, tol, skip):
    a, b = [], []
    numbers(strip(json.load(open(one)), skip), "", a)
    numbers(strip(json.load(open(two)), skip), "", b)
    if [p for p, _ in a] != [p for p, _ in b]:
        fail(f"{two} has a different structure from {one}")
    worst = 0.0
    for (p, x), (_, y) in zip(a, b):
        if isinstance(x, (int, float)) and not isinstance(x, bool) and isinstance(y, (int, float)):
            worst = max(worst, abs(x - y) / max(1.0, abs(x)))
            if not close(x, y, tol):
                fail(f"{p}: {x} vs {y} (tolerance {tol} relative)")
        elif x != y:
            fail(f"{p}: {x!r} vs {y!r}")
    print(f"report: {len(a)} values equal, largest relative |diff| {worst:.3g} (tolerance {tol})")


def compare_csv(one, two, tol):
    import csv
    a, b = list(csv.reader(open(one))), list(csv.reader(open(two)))
    if len(a) != len(b) or any(len(r) != len(q) for r, q in zip(a, b)):
        fail(f"{two} has other rows or columns than {one}")
    worst = 0.0
    for i, (r, q) in enumerate(zip(a, b)):
        for j, (x, y) in enumerate(zip(r, q)):
            try:
                fx, fy = float(x), float(y)
            except ValueError:
                if x != y:
                    fail(f"{two} row {i} column {j}: {y!r}, {one} has {x!r}")
                continue
            worst = max(worst, abs(fx - fy) / max(1.0, abs(fx)))
            if not close(fx, fy, tol):
                fail(f"{two} row {i} column {j}: {fy} vs {fx} (tolerance {tol} relative)")
    print(f"csv: {len(a)} rows equal, largest relative |diff| {worst:.3g} (tolerance {tol})")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "h5":
        compare_h5(sys.argv[2], sys.argv[3])
    elif mode == "pairs":
        compare_json(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif mode == "weights":
        compare_weights(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif mode == "report":
        compare_report(sys.argv[2], sys.argv[3], float(sys.argv[4]), set(sys.argv[5:]))
    elif mode == "csv":
        compare_csv(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        fail("unknown mode " + mode)
