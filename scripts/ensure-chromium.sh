#!/usr/bin/env bash
# Usage: scripts/ensure-chromium.sh  (also installs a Chinese font for screenshots)
#
# The browser tests (tests/browser/test_scan_browser.py) drive Debian's Chromium through Playwright's
# Python package; Playwright's own browser download is never used. If /usr/bin/chromium is
# missing, install Debian's `chromium` package with apt-get. Exits non-zero if it still is
# missing afterwards (the browser tests then fail; they are never skipped).
set -euo pipefail

CHROMIUM=/usr/bin/chromium
log() { echo "ensure-chromium: $*" >&2; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi

# Screenshots are looked at by people: without a CJK font every Chinese character is a box.
if command -v fc-list >/dev/null && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
    log "no Chinese font; installing Debian package 'fonts-noto-cjk'"
    "${SUDO[@]}" apt-get update -qq || log "warning: apt-get update failed; trying install anyway"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk \
        </dev/null >&2 || log "warning: apt-get install fonts-noto-cjk failed (screenshots show boxes)"
fi

if [ -x "$CHROMIUM" ]; then
    exit 0
fi

log "$CHROMIUM not found; installing Debian package 'chromium'"
"${SUDO[@]}" apt-get update -qq || log "warning: apt-get update failed; trying install anyway"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    chromium </dev/null >&2 || log "warning: apt-get install chromium failed"

if [ ! -x "$CHROMIUM" ]; then
    log "ERROR: $CHROMIUM still missing; the browser tests will fail"
    exit 1
fi
log "installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
