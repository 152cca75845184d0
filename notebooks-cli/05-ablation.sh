#!/usr/bin/env bash
# 05 — the conversion ablation on the embedded ResNet-18, all with the same fine-tune budget:
#   (a) data-driven conversion (s=2, d=3) + fine-tune, (b) naive conversion (first m filters, identity cheap
#   kernels) + fine-tune, (c) the same Ghost-ResNet-18 trained from scratch for the same number of epochs;
#   then (a) for s = 3, 4 (d = 3) and d = 1, 5 (s = 2), like the paper's ablations.
#
# Shows: whether starting from the trained ResNet's own filters and fitted cheap kernels beats both the
# naive start and training from scratch, and what s and d cost in accuracy.
# Budget (the same for every run): EPOCHS (default 1) epochs over the first LIMIT (default 20000; 0 = all 60 000)
# training images. Time on a 2-core machine with the defaults: 44 min for the seven runs (2643 s measured on
# 2026-11-25, the first 20 min beside another fine-tune). EPOCHS=2 LIMIT=0 (a fine-tune epoch over all images is
# ≈ 15 min) takes about 3.5 hours.
# --quick: (a), (b), (c) only, on 256 images (about a minute; accuracies meaningless).
# Look at: outputs/ablation-resnet18-fmnist/ablation.md (also .csv, .json) and ablation-accuracy-vs-macs.png
# (the paper's Fig. 6 style).
source "$(dirname "$0")/_common.sh"

dir=outputs/ablation-resnet18-fmnist$Q
mkdir -p "$dir"
epochs="${EPOCHS:-1}"; limit="${LIMIT:-20000}"; evalargs=()
calib=(--calibration-images 512 --eval-images 2000)
if [ "$QUICK" = 1 ]; then
  epochs=1; limit=256; evalargs=(--limit-test 200); calib=(--calibration-images 64 --eval-images 0)
fi
budget=(--epochs "$epochs" --limit-train "$limit" "${evalargs[@]}")

rows=()
run_converted() {  # label, convert options…
  local label="$1"; shift
  local out="$dir/$label/$label.safetensors"   # its own directory: each conversion writes report.md and grids
  step "$label: convert $*"
  "$GK" convert "$R18" "$@" "${calib[@]}" --out "$out" "${W[@]}" > /dev/null
  step "$label: fine-tune"
  "$GK" finetune "$out" "${budget[@]}" "${W[@]}" > /dev/null
  rows+=("$label|${out%.safetensors}-ft.safetensors")
}
run_converted a-data-driven-s2-d3 --s 2 --d 3
run_converted b-naive-s2-d3 --s 2 --d 3 --naive
step "c-scratch-s2-d3: train from random initialisation"
"$GK" train --arch ghost-resnet18 --stem cifar --in-channels 1 --num-classes 10 --s 2 --d 3 --lr 0.1 --nesterov \
  --warmup-epochs 0.3 --label-smoothing 0.1 --epochs "$epochs" --limit-train "$limit" "${evalargs[@]}" \
  --out "$dir/c-scratch-s2-d3/c-scratch-s2-d3.safetensors" "${W[@]}" > /dev/null
rows+=("c-scratch-s2-d3|$dir/c-scratch-s2-d3/c-scratch-s2-d3.safetensors")
if [ "$QUICK" = 0 ]; then  # the s and d sweeps (skipped by --quick)
  run_converted a-data-driven-s3-d3 --s 3 --d 3
  run_converted a-data-driven-s4-d3 --s 4 --d 3
  run_converted a-data-driven-s2-d1 --s 2 --d 1
  run_converted a-data-driven-s2-d5 --s 2 --d 5
fi

step "table"
names=(original); ckpts=("$R18")
for r in "${rows[@]}"; do names+=("${r%%|*}"); ckpts+=("${r#*|}"); done
budget_text="fine-tune budget $epochs epoch(s)$([ "$limit" != 0 ] && echo " on the first $limit training images"), same for every row"
"$GK" compare "${ckpts[@]}" --names "${names[@]}" "${evalargs[@]}" --out "$dir/ablation" "${W[@]}" \
  --title "Ghost-ResNet-18 conversions: accuracy vs MACs" | grep -v '^wrote'
echo "$budget_text" | tee "$dir/budget.txt"
echo "wrote $dir/ablation.md, $dir/ablation.csv, $dir/ablation.json, $dir/ablation-accuracy-vs-macs.png, $dir/budget.txt"
