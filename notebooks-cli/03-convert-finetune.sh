#!/usr/bin/env bash
# 03 — convert the embedded ResNet-18 into a Ghost-ResNet-18 (s=2, d=3) and fine-tune it: the headline.
#
# Shows: params and MACs halve; accuracy right after the data-driven conversion (and after AdaBN
# recalibration of the Ghost modules' BatchNorms); accuracy after one epoch of fine-tune distilled from the
# ResNet-18 (the recipe of checkpoints/ghost-resnet18-fmnist); a Table-5 style side-by-side of ResNet-18 and its
# Ghost version (params, MACs, accuracy, measured img/s); the intrinsic-vs-ghost maps of layer1.0.conv1.
# Time on a 2-core machine: 21 min measured on 2026-11-25 (1246 s: conversion + 3 evaluations ≈ 2 min, the distilled
# fine-tune epoch ≈ 15 min alone, here slowed by a CI run beside it; it reached 92.70 %). --quick: under a minute, on
# 256 training images (the accuracies are then meaningless).
# Look at: outputs/convert-resnet18-fmnist/report.md (with grid-layer1.0.conv1-{resnet,ghost}.png), the fine-tune curve outputs/convert-resnet18-fmnist/*-ft-curve.png,
# outputs/convert-resnet18-fmnist/table5.md and curves-resnet-vs-ghost.png (ResNet-18's training vs the fine-tune).
source "$(dirname "$0")/_common.sh"

dir=outputs/convert-resnet18-fmnist$Q
ghost="$dir/resnet18-fmnist-ghost-s2-d3.safetensors"
if [ "$QUICK" = 1 ]; then
  calib=(--calibration-images 64 --eval-images 200); ft=(--epochs 1 --limit-train 256 --limit-test 200); ev=(--limit-test 200)
else
  calib=(--calibration-images 512); ft=(--epochs 1 --distill); ev=()
fi
step "convert (data-driven, s=2, d=3)"
"$GK" convert "$R18" --s 2 --d 3 "${calib[@]}" --out "$ghost" "${W[@]}"
step "fine-tune"
"$GK" finetune "$ghost" "${ft[@]}" "${W[@]}"
step "side by side"
tuned="${ghost%.safetensors}-ft.safetensors"
"$GK" compare "$R18" "$tuned" --names "ResNet-18" "Ghost-ResNet-18 (s=2, d=3, fine-tuned)" "${ev[@]}" --out "$dir/table5" "${W[@]}" \
  --title "ResNet-18 vs its Ghost version" | grep -v '^wrote'
step "training curves: the ResNet-18 from scratch vs its Ghost version's fine-tune"
"$GK" plot curves "${R18%.safetensors}-metrics.json" "${tuned%.safetensors}-metrics.json" \
  --names "ResNet-18 (trained from scratch)" "Ghost-ResNet-18 (converted, fine-tuned)" \
  --title "ResNet-18 vs Ghost-ResNet-18" --out "$dir/curves-resnet-vs-ghost.png" "${W[@]}" > /dev/null
echo "wrote $dir/report.md, $dir/table5.{md,csv,json}, $dir/table5-accuracy-vs-macs.png, ${tuned%.safetensors}-curve.png, $dir/curves-resnet-vs-ghost.png"
