# Shared by the walkthroughs: strict mode, repo root, the ghostkit binary (built if needed), --quick.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
QUICK=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    -h|--help) sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown argument '$arg' (only --quick)" >&2; exit 2 ;;
  esac
done
# GK=/path/to/ghostkit runs another binary (e.g. a copy, so rebuilding during a long run cannot disturb it).
GK="${GK:-.build/release/ghostkit}"
if [ ! -x "$GK" ]; then
  echo "building ghostkit (release)…" >&2
  swift build -c release >&2
fi
R18=checkpoints/resnet18-fmnist.safetensors
R50=checkpoints/resnet50-fmnist.safetensors
# The embedded checkpoints this run uses (ResNet-50 only once it is committed).
MODELS=("$R18")
[ -f "$R50" ] && MODELS+=("$R50")
stem() { basename "$1" .safetensors; }
# --quick runs write beside a full run, never over it: every walkthrough output directory ends in $Q.
Q=""; [ "$QUICK" = 1 ] && Q=-quick
# Walkthroughs are meant to be rerun: every command that writes replaces its own earlier outputs.
W=(--overwrite)
step() { printf '\n== %s\n' "$*" >&2; }
