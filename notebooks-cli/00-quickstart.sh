#!/usr/bin/env bash
# 00 — quickstart: what the embedded checkpoint is, then the main job (redundancy scan) on it.
#
# Shows: `ghostkit info` (architecture, params, MACs, provenance) and `ghostkit scan` with no arguments —
# activations of every residual block over 64 Fashion-MNIST test images, similar channel pairs per layer,
# and the Figure-1 analogue.
# Time on a 2-core machine: 5 s (measured 2026-11-25, full mode; --quick: a few seconds).
# Look at: outputs/scan-<model>/figure1.png (three coloured pairs of near-identical maps) and report.md.
source "$(dirname "$0")/_common.sh"

step "the embedded checkpoint"
"$GK" info "${MODELS[-1]}"
step "redundancy scan (the main job)"
if [ "$QUICK" = 1 ]; then "$GK" scan --images 8 --overwrite --out "outputs/scan-$(stem "${MODELS[-1]}")$Q"; else "$GK" scan --overwrite; fi
