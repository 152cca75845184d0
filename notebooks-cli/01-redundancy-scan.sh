#!/usr/bin/env bash
# 01 — redundancy scan and the Figure-1 analogue, for every embedded ResNet.
#
# Shows: per layer, how many channels have a near copy (Pearson r ≥ 0.7 over 64 test images), how many are
# "intrinsic" (greedy cover), the top pairs; the Figure-1 grid of layer1's output with the three best pairs
# boxed red/green/blue and their close-ups; one HDF5 file of activations per model (readable with h5py).
# Time on a 2-core machine: 6 s for both models (measured 2026-11-25, full mode, 64 images; --quick: seconds).
# Look at: outputs/scan-*/figure1.png, redundancy.png (bar per layer), report.md.
source "$(dirname "$0")/_common.sh"

images=64; [ "$QUICK" = 1 ] && images=8
for ckpt in "${MODELS[@]}"; do
  step "scan $(stem "$ckpt")"
  "$GK" scan --checkpoint "$ckpt" --images "$images" --overwrite --out "outputs/scan-$(stem "$ckpt")$Q"
  echo "Figure 1: outputs/scan-$(stem "$ckpt")$Q/figure1.png"
done
