#!/usr/bin/env bash
# Scale-out checks under Open MPI (2 ranks on one machine; CI runs this after the build):
#   scan and dump with 2 ranks equal one process (activations bit for bit through the master file's virtual
#   datasets, pairs.json to 1e-6), fit-kernels reads the 2-rank scan; one SGD step of a small ResNet with BN on 2
#   ranks equal one process with the same global batch (1e-5); fit-kernels and convert (plain and guided) on 2
#   ranks equal one process (reports to 1e-9 / 1e-6, checkpoint tensors to 1e-5); a job killed with SIGKILL
#   resumes and ends equal to an uninterrupted one; a rank killed mid-run ends the job with an error; a NaN loss
#   ends it with one line; convert with fewer calibration batches than ranks ends with one line.
# Usage: bash tools/mpi_checks.sh   (needs .build/release/ghostkit, mpirun, python3 with numpy and h5py)
set -uo pipefail
cd "$(dirname "$0")/.."
GK=$PWD/.build/release/ghostkit
if ! command -v mpirun >/dev/null; then
  echo "mpi_checks: skipped: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)"
  exit 0
fi
MPIRUN=(mpirun -np 2 --oversubscribe --allow-run-as-root --mca btl self,vader,tcp)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
CK=checkpoints/resnet18-fmnist.safetensors
pass=0; failed=0
ok() { echo "ok: $1"; pass=$((pass + 1)); }
bad() { echo "FAILED: $1"; failed=$((failed + 1)); }
cmp_py() { /usr/bin/python3 tools/mpi_compare.py "$@"; }

# 1. scan: 40 images in 5 batches of 8 (rank 0 runs 2, rank 1 runs 3).
SCAN=(scan --checkpoint "$CK" --images 40 --batch-size 8 --threads 1 --overwrite)
"$GK" "${SCAN[@]}" --out "$T/one" >"$T/one.log" 2>&1 || { cat "$T/one.log"; bad "scan, 1 process"; }
if "${MPIRUN[@]}" "$GK" "${SCAN[@]}" --out "$T/two" >"$T/two.log" 2>&1 \
   && [ -f "$T/two/activations.rank0-of-2.h5" ] && [ -f "$T/two/activations.rank1-of-2.h5" ] \
   && cmp_py h5 "$T/one/activations.h5" "$T/two/activations.h5" \
   && cmp_py pairs "$T/one/pairs.json" "$T/two/pairs.json" 1e-6 \
   && cmp -s "$T/one/report.csv" "$T/two/report.csv" && [ -f "$T/two/figure1.png" ]; then
  ok "scan on 2 ranks equals 1 process (shards rank0/rank1-of-2, master VDS, pairs.json, report.csv)"
else
  tail -5 "$T/two.log"; bad "scan on 2 ranks"
fi
# Readers of the master file: fit-kernels --scan and grid.
if "$GK" fit-kernels --scan "$T/one" --sizes 1,3 --threads 2 --out "$T/fk1" >/dev/null 2>&1 \
   && "$GK" fit-kernels --scan "$T/two" --sizes 1,3 --threads 2 --out "$T/fk2" >/dev/null 2>&1 \
   && cmp -s "$T/fk1/report.csv" "$T/fk2/report.csv" \
   && "$GK" grid --dump "$T/two/activations.h5" --layer layer1.1 --index 37 --out "$T/g.png" >/dev/null 2>&1; then
  ok "fit-kernels --scan and grid read the 2-rank master file (same table)"
else
  bad "fit-kernels / grid on the 2-rank master file"
fi

# fit-kernels on 2 ranks (each sums the normal equations of its 20 of the 40 images; all-reduced in Double):
# report.json and report.csv equal one process's to 1e-9 relative; rank 0 alone writes (triplet figures included).
FK=(fit-kernels --scan "$T/one" --sizes 1,3 --random-pairs 4 --threads 1)
if "$GK" "${FK[@]}" --out "$T/fa" >"$T/fa.log" 2>&1 \
   && "${MPIRUN[@]}" "$GK" "${FK[@]}" --out "$T/fb" >"$T/fb.log" 2>&1 \
   && cmp_py report "$T/fa/report.json" "$T/fb/report.json" 1e-9 seconds \
   && cmp_py csv "$T/fa/report.csv" "$T/fb/report.csv" 1e-9 && [ -f "$T/fb/triplet-red.png" ]; then
  ok "fit-kernels on 2 ranks equals 1 process (report.json, report.csv to 1e-9)"
else
  tail -3 "$T/fb.log"; bad "fit-kernels on 2 ranks"
fi

# 2. dump of the head as well (fc: [N, 10]), uneven batches (35 images: 8, 8 | 8, 8, 3).
DUMP=(dump --checkpoint "$CK" --images 35 --batch-size 8 --layers 'layer4.1,fc' --threads 1 --overwrite)
"$GK" "${DUMP[@]}" --out "$T/d1/a.h5" >/dev/null 2>&1
if "${MPIRUN[@]}" "$GK" "${DUMP[@]}" --out "$T/d2/a.h5" >"$T/d2.log" 2>&1 \
   && cmp_py h5 "$T/d1/a.h5" "$T/d2/a.h5"; then
  ok "dump on 2 ranks equals 1 process"
else
  tail -5 "$T/d2.log"; bad "dump on 2 ranks"
fi

# 3. One SGD step of a CIFAR ResNet-20 (BatchNorm everywhere) with global batch 16: 2 ranks × 8 = 1 × 16.
# One step, not two: a second step from a random init at lr 0.05 amplifies rounding ~10⁴-fold (the same binary
# with OpenBLAS's SkylakeX instead of Haswell kernels ends 4.2e-4 apart after two steps), and the conv algorithm is
# picked per local batch (WinogradCostModel: 8 per rank vs 16 in one process, in training too), so two steps would
# compare kernel rounding, not the all-reduce. After one step both agree to ~1e-7 (measured 1.2e-7). Multi-step
# training on 2 ranks is checked by the resume check below (same ranks, bit for bit).
TRAIN=(train --arch resnet20 --in-channels 1 --epochs 1 --batch-size 16 --limit-train 16 --limit-test 16
       --lr 0.05 --warmup-epochs 0 --threads 1)
"$GK" "${TRAIN[@]}" --out "$T/t1.safetensors" >"$T/t1.log" 2>&1 || { tail -3 "$T/t1.log"; }
if "${MPIRUN[@]}" "$GK" "${TRAIN[@]}" --out "$T/t2.safetensors" >"$T/t2.log" 2>&1 \
   && cmp_py weights "$T/t1.safetensors" "$T/t2.safetensors" 1e-5; then
  ok "an SGD step on 2 ranks (sync BN, all-reduced gradients) equals 1 process to 1e-5"
else
  tail -3 "$T/t2.log"; bad "an SGD step on 2 ranks"
fi
# The same with --teacher (distillation from the embedded ResNet-18, the teacher in eval mode): measured 1.2e-7.
if "$GK" "${TRAIN[@]}" --teacher "$CK" --out "$T/k1.safetensors" >/dev/null 2>&1 \
   && "${MPIRUN[@]}" "$GK" "${TRAIN[@]}" --teacher "$CK" --out "$T/k2.safetensors" >/dev/null 2>&1 \
   && cmp_py weights "$T/k1.safetensors" "$T/k2.safetensors" 1e-5; then
  ok "a distilled step on 2 ranks equals 1 process to 1e-5"
else
  bad "a distilled step on 2 ranks"
fi

# 4. SIGKILL of the whole job after its first epoch's checkpoint, then --resume: equal to an uninterrupted run.
LONG=(train --arch resnet20 --in-channels 1 --epochs 3 --batch-size 16 --limit-train 256 --limit-test 16 --lr 0.05
      --threads 1)
"${MPIRUN[@]}" "$GK" "${LONG[@]}" --out "$T/u.safetensors" >/dev/null 2>&1
setsid "${MPIRUN[@]}" "$GK" "${LONG[@]}" --out "$T/r.safetensors" >/dev/null 2>&1 &
job=$!
for _ in $(seq 600); do [ -f "$T/r.safetensors" ] && break; sleep 0.1; done
kill -KILL -- "-$job" 2>/dev/null; wait "$job" 2>/dev/null
sleep 1
if [ -f "$T/r.safetensors" ] \
   && "${MPIRUN[@]}" "$GK" "${LONG[@]}" --resume "$T/r.safetensors" --out "$T/r.safetensors" >"$T/r.log" 2>&1 \
   && grep -q "resuming" "$T/r.log" && cmp_py weights "$T/u.safetensors" "$T/r.safetensors" 0; then
  ok "a job killed with SIGKILL resumes on 2 ranks and ends equal to an uninterrupted one"
else
  tail -3 "$T/r.log" 2>/dev/null; bad "resume after SIGKILL"
fi

# 5. One rank killed mid-run: the job ends (non-zero) and writes no master file.
BIG=(dump --checkpoint "$CK" --images 2000 --batch-size 8 --threads 1 --overwrite --out "$T/k/a.h5")
"${MPIRUN[@]}" "$GK" "${BIG[@]}" >"$T/k.log" 2>&1 &
job=$!
victim=""
for _ in $(seq 300); do  # rank 1 (the last ghostkit child of mpirun), once both ranks are writing
  victim=$(pgrep -P "$job" -f ghostkit | tail -1)
  [ -n "$victim" ] && [ "$(ls -A "$T/k" 2>/dev/null | wc -l)" -ge 2 ] && break
  sleep 0.1
done
sleep 1
[ -n "$victim" ] && kill -KILL "$victim"
ended=1
for _ in $(seq 300); do kill -0 "$job" 2>/dev/null || { ended=0; break; }; sleep 0.1; done
wait "$job"; rc=$?
if [ -n "$victim" ] && [ $ended = 0 ] && [ $rc != 0 ] && [ ! -f "$T/k/a.h5" ]; then
  ok "a rank killed mid-run ends the job (exit $rc) without a master file"
else
  kill -KILL "$job" 2>/dev/null; tail -3 "$T/k.log"; bad "rank killed mid-run (victim '$victim', rc $rc)"
fi

# 6. A NaN loss on the ranks: exit 1, one error line, the last good checkpoint kept.
cp "$T/t2.safetensors" "$T/nan.safetensors"
"${MPIRUN[@]}" "$GK" train --init "$T/nan.safetensors" --epochs 1 --batch-size 16 --limit-train 32 --limit-test 16 \
  --lr 1e30 --warmup-epochs 0 --threads 1 --out "$T/nan.safetensors" --overwrite >"$T/nan.log" 2>&1
rc=$?
if [ $rc != 0 ] && [ "$(grep -c '^error: rank' "$T/nan.log")" = 1 ] && grep -q "NaN\|loss became" "$T/nan.log" \
   && cmp -s "$T/t2.safetensors" "$T/nan.safetensors"; then
  ok "a NaN loss ends the 2-rank job with one line ($(grep '^error: rank' "$T/nan.log" | cut -c1-60)…)"
else
  tail -5 "$T/nan.log"; bad "NaN loss on 2 ranks (exit $rc)"
fi

# 7. convert on 2 ranks of the ResNet-20 of check 3 (seconds, where ResNet-18 takes a minute here): 256 calibration
# images (4 batches of 64, 2 per rank) and 128 test images (1 batch each); correlations, least-squares sums and
# AdaBN statistics all-reduced. The checkpoint's tensors equal one process's to 1e-5 relative, the report's numbers
# to 1e-6 (accuracies exactly: counts), only rank 0 writes.
CV=(convert "$T/t1.safetensors" --calibration-images 256 --eval-images 128 --threads 1)
if "$GK" "${CV[@]}" --out "$T/ca/g.safetensors" >"$T/ca.log" 2>&1 \
   && "${MPIRUN[@]}" "$GK" "${CV[@]}" --out "$T/cb/g.safetensors" >"$T/cb.log" 2>&1 \
   && cmp_py weights "$T/ca/g.safetensors" "$T/cb/g.safetensors" 1e-5 \
   && cmp_py report "$T/ca/report.json" "$T/cb/report.json" 1e-6 seconds output \
   && [ "$(grep -c '^wrote' "$T/cb.log")" = 1 ]; then
  ok "convert on 2 ranks equals 1 process (checkpoint to 1e-5, report to 1e-6)"
else
  tail -3 "$T/cb.log"; bad "convert on 2 ranks"
fi
# The redundancy-guided plan (GuidedRatios' correlation and fitting sums all-reduced) chooses the same s and d.
GV=(convert "$T/t1.safetensors" --macs-budget 0.5 --calibration-images 128 --eval-images 0 --no-recalibrate --threads 1)
if "$GK" "${GV[@]}" --out "$T/ga/g.safetensors" >"$T/ga.log" 2>&1 \
   && "${MPIRUN[@]}" "$GK" "${GV[@]}" --out "$T/gb/g.safetensors" >"$T/gb.log" 2>&1 \
   && cmp_py weights "$T/ga/g.safetensors" "$T/gb/g.safetensors" 1e-5 \
   && cmp_py report "$T/ga/report.json" "$T/gb/report.json" 1e-6 seconds output damage_seconds; then
  ok "guided convert on 2 ranks equals 1 process (same plan, checkpoint to 1e-5)"
else
  tail -3 "$T/gb.log"; bad "guided convert on 2 ranks"
fi
# Too few calibration batches for the ranks: one error line, exit 1, no checkpoint.
"${MPIRUN[@]}" "$GK" convert "$T/t1.safetensors" --calibration-images 32 --eval-images 0 --threads 1 \
  --out "$T/cx/g.safetensors" >"$T/cx.log" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(grep -c '^error: rank' "$T/cx.log")" = 1 ] && [ ! -f "$T/cx/g.safetensors" ]; then
  ok "convert with fewer calibration batches than ranks: one line ($(grep '^error: rank' "$T/cx.log" | cut -c1-50)…)"
else
  tail -3 "$T/cx.log"; bad "convert with too few batches (exit $rc)"
fi

echo "mpi_checks: $pass passed, $failed failed"
[ $failed = 0 ]
