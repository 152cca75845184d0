#!/usr/bin/env bash
# Builds the libFuzzer targets (all, or the ones named: Safetensors IDX PairsJSON …) with
# -sanitize=fuzzer,address into fuzz/.build/release/Fuzz<Name>. GhostKit's modules are compiled as in a
# release build (-Ounchecked: overflow does not trap, so ASan is what catches a missed check).
# Separate from the main package: `swift build` / `swift test` at the root never build this.
set -euo pipefail
cd "$(dirname "$0")"
if [ $# -eq 0 ]; then set -- $(./targets.sh); fi
for t in "$@"; do
  echo "== building Fuzz$t" >&2
  nice -n 5 swift build -c release --product "Fuzz$t" -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld 2>&1 \
    | grep -E "error|Compiling|Build of product" >&2 || true
  test -x ".build/release/Fuzz$t" || { echo "fuzz/build.sh: Fuzz$t did not build" >&2; exit 1; }
done
