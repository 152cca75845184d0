#!/usr/bin/env bash
# 02 — the paper's Table 2 analogue: how well a d×d depthwise filter regenerates a ghost from its partner.
#
# Shows: MSE (×10⁻³, maps min-max scaled to [0, 1]) of exact least-squares d = 1/3/5/7 fits for the three
# Figure-1 pairs, with the paper's numbers beside ours; the same over the top-16 pairs of every block output,
# against random channel pairs (the control); raw-activation and standardised MSE for the three pairs.
# Time on a 2-core machine: 8 s for both models, scans included (measured 2026-11-25, full mode; --quick: seconds).
# Look at: outputs/fit-kernels-*/report.md (the table), mse-vs-d.png, triplet-red.png (source, target, fit).
source "$(dirname "$0")/_common.sh"

images=64; [ "$QUICK" = 1 ] && images=8
for ckpt in "${MODELS[@]}"; do
  s="outputs/scan-$(stem "$ckpt")$Q"
  step "scan $(stem "$ckpt") (pairs and activations)"
  "$GK" scan --checkpoint "$ckpt" --images "$images" --overwrite --out "$s" > /dev/null
  step "fit-kernels $(stem "$ckpt")"
  "$GK" fit-kernels --scan "$s" --out "outputs/fit-kernels-$(stem "$ckpt")$Q" "${W[@]}"
done
