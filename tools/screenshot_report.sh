#!/usr/bin/env bash
# Renders outputs/index.html (written by `ghostkit report`) in headless Chromium and saves a full-page
# screenshot, to check that the page and every figure display in a real browser.
# Usage: tools/screenshot_report.sh [outputs/index.html] [screenshot.png]   (needs Debian's chromium)
set -euo pipefail
page="$(realpath "${1:-outputs/index.html}")"
shot="${2:-outputs/report-screenshot.png}"
command -v chromium > /dev/null || { echo "tools/screenshot_report.sh: needs chromium (apt-get install chromium)" >&2; exit 1; }
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,${SHOT_HEIGHT:-3000} \
  --screenshot="$(realpath -m "$shot")" "file://$page" 2> /dev/null
echo "wrote $shot"
