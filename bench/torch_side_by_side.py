#!/usr/bin/python3
"""PyTorch side of `ghostkit bench`, run in the same session so the ratio is fair on a noisy machine.

    /usr/bin/python3 bench/torch_side_by_side.py --ghostkit .build/release/ghostkit [--iters 5] [--train]

Needs Debian's python3-torch + python3-torchvision. Prints a Markdown table:
workload | threads | GhostKit img/s | PyTorch img/s | ratio (GhostKit / PyTorch), best of --iters runs.
"""
import argparse
import json
import subprocess
import time

import torch
import torch.nn as nn
from torchvision.models import resnet18, resnet50


def best_img_per_s(fn, images, iters):
    fn()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return images / min(times)


def forward_workload(depth, batch):
    model = (resnet18 if depth == 18 else resnet50)(weights=None).eval()
    x = torch.randn(batch, 3, 224, 224)

    def run():
        with torch.no_grad():
            model(x)
    return run


def train_workload(depth, batch):
    model = (resnet18 if depth == 18 else resnet50)(weights=None, num_classes=10)
    model.conv1 = nn.Conv2d(1, 64, 3, 1, 1, bias=False)
    model.maxpool = nn.Identity()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(batch, 1, 28, 28), torch.randint(0, 10, (batch,))

    def run():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return run


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ghostkit", help="path to the ghostkit binary")
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--train", action="store_true", help="also the CIFAR-stem train-step workloads")
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]

    ours = {}
    if args.ghostkit:
        cmd = [args.ghostkit, "bench", "--json", "--iters", str(args.iters), "--threads", args.threads]
        if args.train:
            cmd.append("--train")
        if args.only:
            cmd += ["--only", args.only]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        for r in json.loads(out)["results"]:
            ours[(r["workload"], r["threads"])] = r["img_per_s"]

    workloads = [(f"resnet{d}-forward-224-b8", lambda d=d: forward_workload(d, 8), 8) for d in (18, 50)]
    if args.train:
        workloads += [(f"resnet{d}-cifar-train-28-b64", lambda d=d: train_workload(d, 64), 64) for d in (18, 50)]
    rows = []
    for name, make, images in workloads:
        if args.only and args.only not in name:
            continue
        fn = make()
        for t in threads:
            torch.set_num_threads(t)
            theirs = best_img_per_s(fn, images, args.iters)
            mine = ours.get((name, t))
            rows.append((name, t, mine, theirs))
    print(f"PyTorch {torch.__version__}")
    print("| workload | threads | GhostKit img/s | PyTorch img/s | ratio |")
    print("|---|---|---|---|---|")
    for name, t, mine, theirs in rows:
        ratio = f"{mine / theirs:.2f}×" if mine else "–"
        mine_s = f"{mine:.2f}" if mine else "–"
        print(f"| {name} | {t} | {mine_s} | {theirs:.2f} | {ratio} |")


if __name__ == "__main__":
    main()
