#!/usr/bin/env bash
# Runs one fuzz target (built by build.sh) on its seed corpus: fuzz/run.sh <Name> [libFuzzer options…]
# e.g. fuzz/run.sh IDX -runs=1000000. One process (no -jobs), at idle CPU priority (chrt -i 0) when
# available, so a training run on the same machine keeps the CPU (FUZZ_NICE=1: nice -n 19 instead). Seeds: corpus/<Name>/ (committed); new
# inputs go to .work/corpus/<Name>/ (not committed); dict/<Name>.dict is used when present. A crash is
# saved as .work/artifacts/<Name>-crash-… and the exit status is non-zero.
set -euo pipefail
cd "$(dirname "$0")"
t=$1; shift
bin=.build/release/Fuzz$t
[ -x "$bin" ] || { echo "fuzz/run.sh: $bin is not built (run fuzz/build.sh $t)" >&2; exit 2; }
mkdir -p ".work/corpus/$t" .work/artifacts
dict=(); [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict")
# FUZZ_NICE=1: nice -n 19 instead (SCHED_IDLE gets no CPU at all while others build: 5 exec/s at load 16).
idle=(); if command -v chrt >/dev/null && chrt -i 0 true 2>/dev/null; then idle=(chrt -i 0); fi
[ "${FUZZ_NICE:-0}" = 1 ] && idle=(nice -n 19)
exec "${idle[@]}" "$bin" "${dict[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix=".work/artifacts/$t-" "$@" ".work/corpus/$t" "corpus/$t"
