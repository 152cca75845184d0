#!/usr/bin/env python3
"""The on-paper scale-out model of docs/scale-out.md: per step, ring all-reduce of the gradients
(2(K-1)/K * bytes / bandwidth) plus the synchronised BatchNorm's small all-reduces (3 per BN layer, latency-bound:
ceil(log2 K) * alpha each), against the compute time of one node's share of the batch. Prints the Markdown tables.
  python3 tools/mpi_scaling_model.py
"""
import math

# name: (trainable params, BN layers, seconds of compute per step on one node)
# Compute per step: 64 images per node (32 for ResNet-50 at 224^2) / training img/s of one node (2 cores). ResNet-18's
# and Ghost-ResNet-18's rates are the README's forward img/s (batch 64, 2 threads, 28^2, quiet machine) divided by 3
# (backward ~ 2x forward); the others are scaled from ResNet-18 by MACs per image (`ghostkit info`, 28^2 = 455.8 M for
# ResNet-18), a lower bound on their compute for depthwise-heavy GhostNet (its convs do few MACs per byte moved).
R18 = 64 / (278 / 3)
MODELS = {
    "resnet18-fmnist": (11172810, 20, R18),
    "resnet50-fmnist (width 0.5)": (5898474, 53, R18 * 324.3 / 554.2),
    "ghost-resnet18-fmnist": (5615370, 40, 64 / (378 / 3)),
    "ghost-resnet50-fmnist": (3027402, 106, R18 * 169.9 / 554.2),
    "ghostnet-fmnist": (3914030, 81, R18 * 13.6 / 554.2),
    "resnet50 (ImageNet, 224^2)": (25557032, 53, R18 / 64 * 32 * 4089.2 / 455.8),
}
LINKS = {"10 GbE": 1.25e9, "25 GbE": 3.125e9}
ALPHA = 30e-6  # seconds per small-message hop over TCP on Ethernet (typical; measured 24 us over loopback TCP here)


def comm_seconds(params, bn, k, bandwidth):
    ring = 2 * (k - 1) / k * 4 * params / bandwidth
    latency = 3 * bn * math.ceil(math.log2(k)) * ALPHA
    return ring, latency


def main():
    print("K = 2 check, ResNet-18 gradient (44.7 MB) on one machine: the model's bytes 2(K-1)/K * S = S; "
          "measured seconds / S gives the effective bandwidth of the transport (bench/mpi_allreduce.c)")
    print("| model | gradient MB/step | K | link | ring all-reduce ms | BN sync ms | compute ms | efficiency |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (params, bn, compute) in MODELS.items():
        for k in (8, 32, 64):
            for link, bw in LINKS.items():
                ring, lat = comm_seconds(params, bn, k, bw)
                c = f"{1e3 * compute:.0f}" if compute else "-"
                eff = f"{100 * compute / (compute + ring + lat):.0f} %" if compute else "-"
                print(f"| {name} | {4e-6 * params:.1f} | {k} | {link} | {1e3 * ring:.1f} | {1e3 * lat:.1f} | {c} | {eff} |")


if __name__ == "__main__":
    main()
