"""ResNet vs its Ghost version, in GhostKit and in ONNX Runtime, run in one session so the ratios are fair.

    .venv-ci/bin/python bench/onnx_side_by_side.py --ghostkit .build/release/ghostkit [--iters 5]

Workloads: 224² with the ImageNet stem (fresh ResNet-18/50 and Ghost-ResNet-18/50, s=2, d=3, 3 -> 1000 classes,
as `ghostkit bench --ghost`) and 28² with the embedded Fashion-MNIST checkpoints (checkpoints/*-fmnist); batch 1
and 8; 1 and 2 threads. GhostKit's numbers come from `ghostkit bench --json` (--ghost for 224², --checkpoints
for 28²); ONNX Runtime runs the files `ghostkit export` writes (intra_op_num_threads = threads, one inter-op
thread, all graph optimisations), best of --iters runs after one warm-up. MACs from `ghostkit info`.
Prints a Markdown table: img/s per engine, and the Ghost speed-up beside the MACs ratio.
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time

import numpy as np
import onnxruntime as ort


def sh(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def macs(ghostkit, args):
    out = sh([ghostkit, "info"] + args)
    return int(re.search(r"MACs \((\d+)\)", out).group(1))


def ort_img_per_s(path, batch, side, channels, threads, iters):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    s = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(7).standard_normal((batch, channels, side, side), dtype=np.float32)
    s.run(None, {"input": x})
    best = min(timed(lambda: s.run(None, {"input": x})) for _ in range(iters))
    return batch / best


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ghostkit", default=".build/release/ghostkit")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--depths", default="18,50")
    args = ap.parse_args()
    gk, root = args.ghostkit, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    threads = [int(t) for t in args.threads.split(",")]
    depths = [int(d) for d in args.depths.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        models = {}  # (depth, ghost, side) -> (onnx path, channels, MACs, ghostkit workload name for batch b)
        for d in depths:
            for ghost in (False, True):
                name = ("ghost-" if ghost else "") + "resnet%d" % d
                path = os.path.join(tmp, name + "-224.onnx")
                sh([gk, "export", "--arch", name, path])
                models[(d, ghost, 224)] = (path, 3, macs(gk, ["--arch", name]), name + "-forward-224-b%d")
                ckpt = os.path.join(root, "checkpoints", name + "-fmnist.safetensors")
                path = os.path.join(tmp, name + "-28.onnx")
                sh([gk, "export", ckpt, path])
                models[(d, ghost, 28)] = (path, 1, macs(gk, [ckpt, "--input-size", "28"]),
                                          name + "-fmnist-forward-28-b%d")
        ckpts = ",".join(os.path.join(root, "checkpoints", ("ghost-" if g else "") + "resnet%d-fmnist.safetensors" % d)
                         for d in depths for g in (False, True))
        for batch in [int(b) for b in args.batches.split(",")]:
            ours = {}
            for extra in (["--ghost"], ["--only", "forward-28", "--checkpoints", ckpts]):
                out = sh([gk, "bench", "--json", "--iters", str(args.iters), "--threads", args.threads,
                          "--batch", str(batch)] + extra)
                for r in json.loads(out)["results"]:
                    ours[(r["workload"], r["threads"])] = r["img_per_s"]
            for side in (224, 28):
                for d in depths:
                    for t in threads:
                        plain, ghost = models[(d, False, side)], models[(d, True, side)]
                        gk_plain, gk_ghost = (ours[(m[3] % batch, t)] for m in (plain, ghost))
                        ort_plain, ort_ghost = (ort_img_per_s(m[0], batch, side, m[1], t, args.iters)
                                                for m in (plain, ghost))
                        rows.append((side, d, batch, t, plain[2] / ghost[2], gk_plain, gk_ghost, ort_plain, ort_ghost))
    print("| input | ResNet depth (vs Ghost, s=2, d=3) | batch | threads | MACs ratio |"
          " GhostKit img/s (ResNet → Ghost) | speed-up | ORT img/s (ResNet → Ghost) | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|")
    for side, d, batch, t, ratio, gp, gg, op, og in rows:
        stem = "224² ImageNet stem" if side == 224 else "28² embedded (fmnist)"
        print("| %s | %d | %d | %d | %.2f× | %.1f → %.1f | %.2f× | %.1f → %.1f | %.2f× |" % (
            stem, d, batch, t, ratio, gp, gg, gg / gp, op, og, og / op))


if __name__ == "__main__":
    main()
