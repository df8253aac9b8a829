#!/usr/bin/env bash
# Live check of dash's report page in a real browser: every DIR/*.report.html loads in headless
# Chromium with no console error, no exception, no failed resource load and every image
# decoded (read through the DevTools protocol, not from the screenshot).
#
# Usage: scripts/check_report_browser.sh DIR [SCREENSHOT.png [ELEMENT_ID]]
# (ELEMENT_ID: start the screenshot at that element, e.g. `parties` for the per-party check)
# Installs nothing. Needs the Debian packages chromium and python3-websocket (or
# `pip install websocket-client`).
set -euo pipefail
if [ $# -lt 1 ]; then
    echo "usage: $0 DIR [SCREENSHOT.png [ELEMENT_ID]]" >&2
    exit 2
fi
exec python3 "$(dirname "$0")/check_report_browser.py" "$@"
