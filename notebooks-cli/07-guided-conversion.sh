#!/usr/bin/env bash
# 07 — redundancy-guided conversion of the embedded ResNet-18: a ratio s ∈ {1 (plain), 2, 3, 4} and cheap kernel
#   d ∈ {1, 3} per conv, chosen under a MACs budget (`ghostkit convert --macs-budget F`), against the uniform
#   s = 2, d = 3 conversion at the same MACs (the guided budget is set to the uniform model's MACs fraction, so the
#   two agree within 1 %); both after AdaBN, no fine-tune. Then linear CKA of each against the original, per block.
#
# Shows: whether spending the MACs where the calibration statistics say the ghosts regenerate well (and the
# output is insensitive) beats spending them evenly.
# Time on a 2-core machine: about 15 min (two conversions with 512 calibration images, three evaluations of the
# 10 000 test images each, two CKA runs on 1024 images).
# --quick: 64 calibration images, 200 test images, 64 CKA images (about a minute; accuracies meaningless).
# Look at: outputs/guided-resnet18-fmnist/comparison.md, guided/report.md (the chosen s and d per conv, predicted
# and measured MACs), similarity-*/report.md and cka-per-layer.png.
source "$(dirname "$0")/_common.sh"

dir=outputs/guided-resnet18-fmnist$Q
mkdir -p "$dir"
calib=(--calibration-images 512 --eval-images 0); evalargs=(); cka=(--images 1024)
if [ "$QUICK" = 1 ]; then calib=(--calibration-images 64 --eval-images 0); evalargs=(--limit-test 200); cka=(--images 64); fi

step "uniform: convert --s 2 --d 3"
"$GK" convert "$R18" --s 2 --d 3 "${calib[@]}" --out "$dir/uniform/uniform.safetensors" "${W[@]}" > /dev/null
# The uniform model's MACs as a fraction of the original's: the guided conversion's budget.
fraction=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["size_after"]["macs"]/r["size_before"]["macs"])' \
  "$dir/uniform/report.json")
step "guided: convert --macs-budget $fraction"
"$GK" convert "$R18" --macs-budget "$fraction" "${calib[@]}" --out "$dir/guided/guided.safetensors" "${W[@]}" > /dev/null

step "accuracy after conversion + AdaBN (the saved checkpoints are recalibrated)"
"$GK" compare "$R18" "$dir/uniform/uniform.safetensors" "$dir/guided/guided.safetensors" \
  --names original "uniform s=2 d=3" "guided F=$(printf '%.3f' "$fraction")" "${evalargs[@]}" --out "$dir/comparison" "${W[@]}" \
  --title "guided vs uniform Ghost-ResNet-18 (AdaBN, no fine-tune)" | grep -v '^wrote'

for variant in uniform guided; do
  step "linear CKA: original vs $variant"
  "$GK" similarity "$R18" "$dir/$variant/$variant.safetensors" "${cka[@]}" --out "$dir/similarity-$variant" "${W[@]}" | grep -v '^wrote'
done
echo "wrote $dir/comparison.md, $dir/comparison.csv, $dir/comparison.json, $dir/comparison-accuracy-vs-macs.png,"
echo "      $dir/{uniform,guided}/report.md, $dir/similarity-{uniform,guided}/report.md and cka-per-layer.png"
