#!/usr/bin/env bash
# 06 — GhostNet beside the converted ResNets, and the ghosts still inside GhostNet.
#   1. `ghostkit info --arch ghostnet`: the paper's GhostNet-1.0× at 224² (paper: 5.2 M params, 141 M MACs).
#   2. One comparison table of the embedded models: ResNet-18, ResNet-50, their Ghost conversions (s=2, d=3)
#      and GhostNet-1.0× (small-image stem, trained from scratch): params, MACs, test accuracy, img/s here.
#   3. The redundancy scan and the kernel fits on GhostNet with the same threshold (r ≥ 0.70) and the same
#      tables as the ResNets get in walkthroughs 01/02, summarised side by side, and a Figure-1 grid of
#      GhostNet's most redundant layer.
#
# Shows: whether a network designed around cheap operations still has ghost pairs, and where.
# Time on a 2-core machine: 2 minutes (118 s measured on 2026-11-25: five 10k-image evaluations, three 64-image
# scans and fits).
# --quick: 200 test images, 8 scan images (seconds).
# Look at: outputs/ghostnet-fmnist/comparison.md and comparison-accuracy-vs-macs.png, outputs/ghostnet-fmnist/redundancy.md,
#          outputs/scan-ghostnet-fmnist/figure1.png (the most redundant layer) and report.md.
source "$(dirname "$0")/_common.sh"

dir=outputs/ghostnet-fmnist$Q
mkdir -p "$dir"
GN=checkpoints/ghostnet-fmnist.safetensors
G18=checkpoints/ghost-resnet18-fmnist.safetensors
G50=checkpoints/ghost-resnet50-fmnist.safetensors
images=64; ev=()
if [ "$QUICK" = 1 ]; then images=8; ev=(--limit-test 200); fi

step "GhostNet-1.0× at 224², RGB, 1000 classes (the paper's model)"
"$GK" info --arch ghostnet | tail -2

step "comparison of the embedded models (Fashion-MNIST test set)"
"$GK" compare "$R18" "$R50" "$G18" "$G50" "$GN" "${ev[@]}" --out "$dir/comparison" "${W[@]}" \
  --names "ResNet-18" "ResNet-50 (width 0.5)" "Ghost-ResNet-18 (s=2, d=3)" "Ghost-ResNet-50 (s=2, d=3)" "GhostNet-1.0x" \
  --title "Fashion-MNIST: accuracy vs MACs" | grep -v '^wrote'

step "redundancy scans and kernel fits (threshold r >= 0.70, $images test images)"
for ckpt in "$R18" "$R50" "$GN"; do
  "$GK" scan --checkpoint "$ckpt" --images "$images" --overwrite --out "outputs/scan-$(stem "$ckpt")$Q" > /dev/null
  "$GK" fit-kernels --scan "outputs/scan-$(stem "$ckpt")$Q" --out "outputs/fit-kernels-$(stem "$ckpt")$Q" "${W[@]}" > /dev/null
done
# GhostNet's most redundant layer (largest share of channels with a partner); scan again to draw its Figure 1.
layer=$(awk -F, 'NR > 1 && $3 > best { best = $3; name = $1 } END { print name }' outputs/scan-ghostnet-fmnist$Q/report.csv)
"$GK" scan --checkpoint "$GN" --images "$images" --overwrite --out "outputs/scan-ghostnet-fmnist$Q" --grid-layer "$layer" > /dev/null

step "redundancy side by side"
{
  echo "Channels with a ghost partner (another channel of the same layer at Pearson r ≥ 0.70), over the scanned"
  echo "block outputs; intrinsic estimate = channels a greedy cover keeps. Kernel fits: median MSE × 10⁻³ of the"
  echo "scan's top pairs (ghost) and of random pairs of the same layers, d = 1 / 3 / 5 / 7 (walkthrough 02's tables)."
  echo
  echo "| model | layers | channels | with a partner | intrinsic estimate | most redundant layer | ghost pairs: median MSE | random pairs: median MSE |"
  echo "|---|---|---|---|---|---|---|---|"
  for ckpt in "$R18" "$R50" "$GN"; do
    s=$(stem "$ckpt")
    row=$(awk -F, 'NR > 1 { n++; c += $2; p += $2 * $3; i += $4; if ($3 > best) { best = $3; l = $1 } }
      END { printf "%d | %d | %.1f %% | %d (%.1f %%) | %s (%.0f %%)", n, c, 100 * p / c, i, 100 * i / c, l, 100 * best }' \
      "outputs/scan-$s$Q/report.csv")
    medians() { grep "^| $1 |" "outputs/fit-kernels-$s$Q/report.md" | grep -o '\*\*[0-9.]*\*\*' | tr -d '*' | paste -sd/ | sed 's|/| / |g'; }
    echo "| $s | $row | $(medians ghost) | $(medians random) |"
  done
} | tee "$dir/redundancy.md"
echo
echo "wrote $dir/comparison.{md,csv,json}, $dir/comparison-accuracy-vs-macs.png, $dir/redundancy.md,"
echo "      outputs/scan-ghostnet-fmnist$Q/ (report.md, figure1.png of $layer), outputs/fit-kernels-ghostnet-fmnist$Q/"
