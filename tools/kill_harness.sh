#!/usr/bin/env bash
# SIGKILL harness for GhostKit's atomic outputs (issue 9.3).
#
# Starts `ghostkit dump` and a tiny `ghostkit train` again and again, kills each with SIGKILL at a random
# moment (every other train run: the moment its checkpoint temp file appears, i.e. mid-write), and checks
# after every kill that
#   - each output path holds either the previous complete file or the new complete file, never a partial one
#     (activations.h5 read back in full with h5py; the checkpoint read back with `ghostkit info`; the metrics
#     CSV/JSON, provenance JSON and curve PNG parsed), and
#   - no temp file (.<name>.tmp-<pid>-…) of an earlier run is left: each run first removes those of the runs
#     before it, so only the run just killed (or, if that one was killed before it got going, the run before
#     it) may have left some; a final unkilled run must leave none.
#
# usage: tools/kill_harness.sh [--quick] [--iterations N] [--ghostkit PATH]
#   default 30 iterations per command (60 kills); --quick: 4 per command (for CI).
# Exit status 0 when every check passed. Needs Fashion-MNIST (Debian's dataset-fashion-mnist) and python3-h5py
# ($PYTHON, default /usr/bin/python3).
set -uo pipefail
cd "$(dirname "$0")/.."

iterations=30
G=.build/release/ghostkit
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) iterations=4 ;;
    --iterations) iterations=$2; shift ;;
    --ghostkit) G=$2; shift ;;
    *) echo "usage: $0 [--quick] [--iterations N] [--ghostkit PATH]" >&2; exit 2 ;;
  esac
  shift
done
G=$(realpath "$G")
PY=${PYTHON:-/usr/bin/python3}
"$PY" -c "import h5py" 2>/dev/null || { echo "kill_harness: $PY cannot import h5py (apt-get install python3-h5py)" >&2; exit 2; }
[ -x "$G" ] || { echo "kill_harness: $G is not built (swift build -c release)" >&2; exit 2; }

W=$(mktemp -d /tmp/ghostkit-kill-harness.XXXXXX)
trap 'rm -rf "$W"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ms() { date +%s%3N; }

# Temp files in $1 whose writer pid is neither $2 nor $3 (the runs just killed).
stale_temps() {
  local dir=$1 f pid
  for f in "$dir"/.*.tmp-*; do
    [ -e "$f" ] || continue
    pid=${f##*.tmp-}; pid=${pid%%-*}
    [ "$pid" = "${2:-}" ] || [ "$pid" = "${3:-}" ] || echo "$f"
  done
}
# 1 if the directory holds any temp file.
has_temps() { compgen -G "$1/.*.tmp-*" > /dev/null && echo 1 || echo 0; }

# Rows of a complete GhostKit activation file (every dataset read in full), or nothing if it is not one.
h5_rows() {
  "$PY" - "$1" <<'EOF' 2>/dev/null
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    fmt = f.attrs["format"]
    assert (fmt.decode() if isinstance(fmt, bytes) else fmt) == "ghostkit-activations"
    n = f["inputs"].shape[0]
    for name in ["inputs", "labels"] + ["layers/" + k for k in f["layers"]]:
        d = f[name][...]
        assert d.shape[0] == n, name
print(n)
EOF
}

# Side files of a training run are complete: JSON parses, CSV rows have 6 fields, PNG ends with IEND.
check_train_side_files() {
  local stem=$1
  "$PY" - "$stem" <<'EOF'
import json, os, sys
stem = sys.argv[1]
for p in [stem + ".json", stem + "-metrics.json"]:
    if os.path.exists(p):
        json.load(open(p))
p = stem + "-metrics.csv"
if os.path.exists(p):
    lines = open(p).read().split("\n")
    assert lines[-1] == "" and all(len(l.split(",")) == 6 for l in lines[:-1]), p
p = stem + "-curve.png"
if os.path.exists(p):
    b = open(p, "rb").read()
    assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[-12:-4] == b"\x00\x00\x00\x00IEND", p
EOF
}

echo "== setup: a tiny checkpoint to dump from"
"$G" train --arch resnet20 --in-channels 1 --epochs 1 --limit-train 64 --limit-test 32 --batch-size 32 --threads 1 \
  --out "$W/src/tiny.safetensors" > /dev/null 2>&1 || { echo "kill_harness: setup training failed" >&2; exit 1; }

# ---------------------------------------------------------------- dump
D=$W/dump; mkdir -p "$D"; H5=$D/activations.h5
# exec: run in the background, $! is ghostkit itself (not a subshell); in the foreground, call it in ( ).
dump() { exec "$G" dump --checkpoint "$W/src/tiny.safetensors" --images "$1" --layers 'layer1.*,layer2.*' --threads 1 --out "$H5" --overwrite; }
t0=$(ms); (dump 64) > /dev/null 2>&1 || { echo "kill_harness: unkilled dump failed" >&2; exit 1; }
span=$(( $(ms) - t0 + 50 ))
prev=$(sha256sum "$H5" | cut -d' ' -f1)
echo "== dump: $iterations kills at random times in [0, ${span}] ms"
d_old=0; d_new=0; d_finished=0; d_temps=0; last=""
for i in $(seq 1 "$iterations"); do
  n=$(( (RANDOM % 4 + 1) * 16 ))
  dump "$n" > /dev/null 2>&1 &
  pid=$!
  sleep "$(awk -v r=$RANDOM -v s="$span" 'BEGIN { printf "%.3f", r / 32768 * s / 1000 }')"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null; rc=$?
  [ $rc -eq 137 ] || d_finished=$((d_finished + 1))
  rows=$(h5_rows "$H5")
  now=$(sha256sum "$H5" | cut -d' ' -f1)
  if [ -z "$rows" ]; then fail "dump $i: $H5 is not a complete activation file after SIGKILL"
  elif [ "$now" = "$prev" ]; then d_old=$((d_old + 1))
  elif [ "$rows" = "$n" ]; then d_new=$((d_new + 1))
  else fail "dump $i: $H5 changed but has $rows rows, not the $n of the new dump"; fi
  prev=$now
  d_temps=$((d_temps + $(has_temps "$D")))
  left=$(stale_temps "$D" "$pid" "$last"); [ -z "$left" ] || fail "dump $i: temp files of earlier runs remain: $left"
  last=$pid
done
(dump 16) > /dev/null 2>&1 || fail "final dump failed"
left=$(stale_temps "$D"); [ -z "$left" ] || fail "temp files remain after the final dump: $left"
echo "dump: $iterations kills: previous file kept $d_old, new complete file $d_new, finished before the kill $d_finished;" \
     "the killed run left a temp file $d_temps times (all removed by later runs)"

# ---------------------------------------------------------------- train
T=$W/train; mkdir -p "$T"; CK=$T/model.safetensors
train() { exec "$G" train --arch resnet20 --in-channels 1 --epochs "$1" --limit-train 64 --limit-test 32 --batch-size 32 --threads 1 --seed "$2" --out "$CK" --overwrite; }
t0=$(ms); (train 3 0) > /dev/null 2>&1 || { echo "kill_harness: unkilled train failed" >&2; exit 1; }
span=$(( $(ms) - t0 + 50 ))
prev=$(sha256sum "$CK" | cut -d' ' -f1)
echo "== train: $iterations kills, odd ones at random times in [0, ${span}] ms, even ones as the checkpoint is being written"
t_old=0; t_new=0; t_finished=0; t_temps=0; t_mid=0; last=""
for i in $(seq 1 "$iterations"); do
  train 3 "$i" > /dev/null 2>&1 &
  pid=$!
  if [ $((i % 2)) -eq 0 ]; then
    # Even iterations: kill the moment the checkpoint's temp file appears, i.e. in the middle of writing it.
    deadline=$(( $(ms) + span ))
    until compgen -G "$T/.model.safetensors.tmp-$pid-*" > /dev/null || ! kill -0 "$pid" 2>/dev/null || [ "$(ms)" -gt $deadline ]; do :; done
    compgen -G "$T/.model.safetensors.tmp-$pid-*" > /dev/null && t_mid=$((t_mid + 1))
  else
    sleep "$(awk -v r=$RANDOM -v s="$span" 'BEGIN { printf "%.3f", r / 32768 * s / 1000 }')"
  fi
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null; rc=$?
  [ $rc -eq 137 ] || t_finished=$((t_finished + 1))
  now=$(sha256sum "$CK" | cut -d' ' -f1)
  if ! "$G" info "$CK" > /dev/null 2>&1; then fail "train $i: $CK is not a readable checkpoint after SIGKILL"
  elif [ "$now" = "$prev" ]; then t_old=$((t_old + 1))
  else t_new=$((t_new + 1)); fi
  prev=$now
  check_train_side_files "${CK%.safetensors}" || fail "train $i: a metrics, provenance or curve file is partial"
  t_temps=$((t_temps + $(has_temps "$T")))
  left=$(stale_temps "$T" "$pid" "$last"); [ -z "$left" ] || fail "train $i: temp files of earlier runs remain: $left"
  last=$pid
done
(train 1 0) > /dev/null 2>&1 || fail "final train failed"
left=$(stale_temps "$T"); [ -z "$left" ] || fail "temp files remain after the final train: $left"
echo "train: $iterations kills ($t_mid while the checkpoint temp file was being written): previous checkpoint kept $t_old," \
     "new complete checkpoint $t_new, finished before the kill $t_finished;" \
     "the killed run left a temp file $t_temps times (all removed by later runs)"

if [ $failures -eq 0 ]; then echo "kill harness: all checks passed"; else echo "kill harness: $failures failures" >&2; exit 1; fi
