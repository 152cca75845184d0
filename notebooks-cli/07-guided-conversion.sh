#!/usr/bin/env bash
# 07 — redundancy-guided conversion against uniform s at the same MACs, on the embedded ResNet-18 and ResNet-50:
#   for s = 2 (≈ 0.5 of the MACs) and s = 3 (≈ 0.35), the uniform conversion (d = 3) first, then
#   `ghostkit convert --macs-budget F` with F = that model's MACs fraction (so the two agree within 1 %): per conv
#   s ∈ {1 (plain), 2, 3, 4} and d, chosen by the measured per-layer damage (KL to the original with that conv
#   converted; GUIDED_DAMAGE=measured|stage-context picks the damage model). ResNet-18 tries d ∈ {1, 3} on 256
#   probe images, ResNet-50 (52 convs) s ∈ {1, 2, 3, 4}, d = 3 on 16. The damages do not depend on F: the
#   s = 3 budget reuses the s = 2 run's (--damage-from) and only solves the knapsack again. The knapsack's plan is
#   then refined on the measured joint KL of the whole plan (start: the better of the knapsack's plan and the
#   uniform plans within the budget; GUIDED_REFINE_ROUNDS × GUIDED_REFINE_CANDIDATES probe passes at most,
#   default 6 × 4, 0 rounds = the knapsack's plan). Both conversions are AdaBN-recalibrated; then both get the same
#   short distilled fine-tune.
#
# Shows: whether spending the MACs where converting hurts least beats spending them evenly, right after AdaBN
# and after an equal fine-tune budget; the convert reports add the per-conv plan plot and CKA per block.
# Time on a 2-core machine: hours for both models (per model and s: two conversions with 512 calibration
# images, the first guided one also measuring the damages — ResNet-50: 1137 s of 2598 s at load ≈ 20;
# two distilled fine-tunes on 5000 training images; four evaluations of the 10 000 test images).
# ONLY_R18=1 runs only the ResNet-18.
# --quick: ResNet-18, s = 2 and 3, 64 calibration images (32 probe images, d = 3), 200 test images, fine-tune on
# 128 (accuracies meaningless; 1332 s measured at load ≈ 20, expect a few minutes on a quiet machine).
# Look at: outputs/guided-fmnist/summary.md; <model>-s<s>/{uniform,guided}/report.md (the plan plot
# guided-plan.png, CKA per block), comparison-*.md.
source "$(dirname "$0")/_common.sh"

dir=outputs/guided-fmnist$Q
mkdir -p "$dir"
calib=(--calibration-images 512 --eval-images 0); evalargs=(); ft=(--epochs 1 --limit-train 5000)
ratios=(2 3); models=("${MODELS[@]}")
[ "${ONLY_R18:-0}" = 1 ] && models=("$R18")
damage=(--guided-damage "${GUIDED_DAMAGE:-measured}")
refine=(--guided-refine-rounds "${GUIDED_REFINE_ROUNDS:-6}"
        --guided-refine-candidates "${GUIDED_REFINE_CANDIDATES:-4}")
# The guided search per model: ResNet-50's damage pass is budgeted (fewer options, fewer probe images).
search() {
  case "$(stem "$1")" in
    resnet50*) echo "--guided-ratios 2 3 4 --guided-kernels 3 --probe-images 16" ;;
    *) echo "" ;;
  esac
}
if [ "$QUICK" = 1 ]; then
  calib=(--calibration-images 64 --eval-images 0); evalargs=(--limit-test 200)
  ft=(--epochs 1 --limit-train 128 --limit-test 200); models=("$R18")
  refine=(--guided-refine-rounds "${GUIDED_REFINE_ROUNDS:-2}"
          --guided-refine-candidates "${GUIDED_REFINE_CANDIDATES:-2}")
  search() { echo "--guided-kernels 3 --probe-images 32"; }
fi
# The MACs fraction of a convert report; a summary row from two reports and two comparisons.
frac() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); a,b=r["size_after"],r["size_before"]
print(a["macs"]/b["macs"])' "$1"; }
row() { python3 - "$@" <<'PY'
import json, sys
name, s, out = sys.argv[1:]
f = [json.load(open(f"{out}/{v}/report.json")) for v in ("uniform", "guided")]
macs = [r["size_after"]["macs"] / r["size_before"]["macs"] for r in f]
params = [r["size_after"]["params"] / r["size_before"]["params"] for r in f]
acc = [[100 * m["accuracy"] for m in json.load(open(f"{out}/comparison-{k}.json"))["models"]] for k in ("adabn", "ft")]
(a, b), (c, e) = acc
g = f[1]["guided"]
t = f"{g['damage_seconds']:.0f} s" + (" (reused)" if g.get("damage_reused_from") else "")
r = g.get("refinement")
t += f"; refined from {r['start']}, joint KL {r['start_kl']:.3g} → {r['kl']:.3g} ({len(r['moves'])} moves, " \
     f"{r['passes']} passes, {r['seconds']:.0f} s)" if r else "; not refined"
print(f"| {name} | {s} | {100*macs[0]:.1f} % / {100*macs[1]:.1f} % | {100*params[0]:.1f} % / {100*params[1]:.1f} % "
      f"| {a:.2f} % | {b:.2f} % | {b-a:+.2f} pp | {c:.2f} % | {e:.2f} % | {e-c:+.2f} pp | {t} |")
PY
}

summary="| model | uniform s | MACs uniform / guided | params uniform / guided | uniform AdaBN | guided AdaBN | Δ "
summary+="| uniform FT | guided FT | Δ | damage pass; refinement |"
summary+=$'\n|---|---|---|---|---|---|---|---|---|---|---|'
for m in "${models[@]}"; do
  name=$(stem "$m")
  for s in "${ratios[@]}"; do
    out="$dir/$name-s$s"
    step "$name: uniform convert --s $s --d 3"
    "$GK" convert "$m" --s "$s" --d 3 "${calib[@]}" --out "$out/uniform/uniform.safetensors" "${W[@]}" > /dev/null
    f=$(frac "$out/uniform/report.json")
    # shellcheck disable=SC2046  # the search is a list of flags
    guided=("${damage[@]}" "${refine[@]}" $(search "$m"))
    first="$dir/$name-s${ratios[0]}/guided/report.json"
    [ "$s" != "${ratios[0]}" ] && guided+=(--damage-from "$first")
    step "$name: guided convert --macs-budget $f ${guided[*]}"
    "$GK" convert "$m" --macs-budget "$f" "${guided[@]}" "${calib[@]}" --out "$out/guided/guided.safetensors" \
      "${W[@]}" > /dev/null
    step "$name: accuracy after conversion + AdaBN"
    "$GK" compare "$out/uniform/uniform.safetensors" "$out/guided/guided.safetensors" \
      --names "uniform s=$s" "guided F=$(printf '%.3f' "$f")" "${evalargs[@]}" --out "$out/comparison-adabn" "${W[@]}" \
      --title "$name: guided vs uniform s=$s (AdaBN, no fine-tune)" | grep -v '^wrote'
    for v in uniform guided; do
      step "$name: distilled fine-tune of $v (${ft[*]})"
      "$GK" finetune "$out/$v/$v.safetensors" --distill "${ft[@]}" --out "$out/$v/$v-ft.safetensors" "${W[@]}" > /dev/null
    done
    "$GK" compare "$out/uniform/uniform-ft.safetensors" "$out/guided/guided-ft.safetensors" \
      --names "uniform s=$s + FT" "guided + FT" "${evalargs[@]}" --out "$out/comparison-ft" "${W[@]}" \
      --title "$name: guided vs uniform s=$s after the same distilled fine-tune" | grep -v '^wrote'
    summary+=$'\n'"$(row "$name" "$s" "$out")"
  done
done
printf '%s\n' "$summary" | tee "$dir/summary.md"
echo "wrote $dir/summary.md, $dir/<model>-s<s>/{uniform,guided}/report.md (guided-plan.png), comparison-{adabn,ft}.md"
