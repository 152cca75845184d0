#!/usr/bin/env bash
# End-to-end timing and peak memory of the analysis commands on a ResNet-50 checkpoint:
#   scan of every block output over 64 and 512 Fashion-MNIST test images (wall time, peak RSS),
#   fit-kernels (d = 1,3,5,7, top-16 pairs of every block output + 16 random pairs per layer, 64 images).
# Usage: bench/analysis.sh [CHECKPOINT] [THREADS]   (default: the embedded checkpoints/resnet50-fmnist.safetensors, 2)
# Needs GNU time (/usr/bin/time, Debian package "time"). Writes into a temporary directory it removes.
set -euo pipefail
cd "$(dirname "$0")/.."
ckpt="${1:-checkpoints/resnet50-fmnist.safetensors}"
threads="${2:-2}"
gk=.build/release/ghostkit
[ -x "$gk" ] || swift build -c release
[ -x /usr/bin/time ] || { echo "bench/analysis.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

measure() {  # label, command…: prints "label  seconds  peak RSS MB"
  local label="$1"; shift
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  read -r secs kb < "$tmp/time"
  printf "| %s | %.1f s | %.0f MB |\n" "$label" "$secs" "$(echo "$kb / 1024" | bc -l)"
}

echo "checkpoint: $ckpt, threads: $threads"
echo "| run | wall time | peak RSS |"
echo "|---|---|---|"
measure "scan, 64 images" "$gk" scan --checkpoint "$ckpt" --images 64 --threads "$threads" --out "$tmp/scan64"
grep "pair search" "$tmp/err" | sed 's/^/  /' >&2
measure "scan, 512 images" "$gk" scan --checkpoint "$ckpt" --images 512 --threads "$threads" --out "$tmp/scan512"
measure "fit-kernels, 64 images" "$gk" fit-kernels --scan "$tmp/scan64" --threads "$threads" --out "$tmp/fit"
grep "fitted" "$tmp/err" | sed 's/^/  /' >&2
