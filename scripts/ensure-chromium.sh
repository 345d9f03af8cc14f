#!/usr/bin/env bash
# Usage: scripts/ensure-chromium.sh  (also installs a Chinese font for screenshots and
# poppler's pdftoppm, which the boards' PDF tests draw pages with)
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

# The mini program's pages use emoji on buttons (📞, 📷, 📍); without a colour emoji font
# the screenshots (make screenshots) show boxes where the phone shows pictures.
if command -v fc-list >/dev/null && ! fc-list | grep -qi emoji; then
    log "no emoji font; installing Debian package 'fonts-noto-color-emoji'"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji \
        </dev/null >&2 || log "warning: apt-get install fonts-noto-color-emoji failed (emoji show as boxes)"
fi

# The boards' PDF tests (tests/core/boards/test_board_pdf.py) draw each page with poppler's
# pdftoppm and compare its ink with the PNG's: without it they fail (never skip).
if ! command -v pdftoppm >/dev/null; then
    log "no pdftoppm; installing Debian package 'poppler-utils'"
    "${SUDO[@]}" apt-get update -qq || log "warning: apt-get update failed; trying install anyway"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils \
        </dev/null >&2 || log "warning: apt-get install poppler-utils failed (the board PDF tests will fail)"
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
