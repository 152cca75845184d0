#!/usr/bin/env bash
# 04 — one HTML page with everything the other walkthroughs wrote.
#
# Shows: outputs/index.html — every run under outputs/ (its report tables and figures, a gallery of the
# other PNGs, links to the CSV/JSON/HDF5 files) and the provenance of each embedded checkpoint (sha256,
# test accuracy, the exact training command). Static: no JavaScript, no external assets.
# Time: 1 s with the chromium screenshot (measured 2026-11-25). With Debian's chromium installed it also saves a
# screenshot of the page.
# Look at: outputs/index.html in a browser (or outputs/report-screenshot.png).
source "$(dirname "$0")/_common.sh"

step "HTML report"
"$GK" report --overwrite
if command -v chromium > /dev/null && [ "$QUICK" = 0 ]; then
  tools/screenshot_report.sh outputs/index.html outputs/report-screenshot.png
fi
