"""Measure the text of mini program pages rendered as HTML (scripts/miniprogram/shots/serialise.js).

For every element that holds text of its own, in Debian's Chromium at the given width: the
computed font size in px, the text colour, the background it sits on (the ancestors' colours
blended over white, as the eye sees them) and the contrast ratio between the two (WCAG 2.x).
The nav bar, toasts and modals the serialiser draws are WeChat's, not ours, and are left out,
as is text that is not shown. Used by the 适老化 test (tests/miniprogram/unit/legibility.test.js).

Usage: .venv/bin/python scripts/miniprogram/shots/measure.py WIDTH FILE.html...  → JSON on stdout:
{"FILE.html": [{"text", "px", "color", "background", "contrast", "cls"}, ...], ...}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Runs in the page: every shown element with a text node of its own.
PROBE = """() => {
  const rgba = (s) => {
    const m = s.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const backdrop = (el) => {
    const layers = [];
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
      const c = rgba(getComputedStyle(n).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.mp-nav, .mp-toast, .mp-modal, .mp-mask, style, script')) continue;
    const own = Array.from(el.childNodes).filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own.length) continue;
    const st = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (st.display === 'none' || st.visibility === 'hidden' || box.width === 0 || box.height === 0) continue;
    let opacity = 1;
    for (let n = el; n && n.nodeType === 1; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
    const bg = backdrop(el);
    const fg = over(rgba(st.color), bg);
    const faded = over([...fg.slice(0, 3), opacity], bg);
    const [hi, lo] = [lum(faded), lum(bg)].sort((a, b) => b - a);
    out.push({
      text: own.map((n) => n.textContent.trim()).join(' ').slice(0, 40),
      px: parseFloat(st.fontSize),
      weight: Number(st.fontWeight) || 400,
      color: st.color,
      background: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`,
      contrast: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100,
      disabled: opacity < 1,
      cls: String(el.className || '').slice(0, 60),
    });
  }
  return out;
}"""


def measure(width: int, files: list[str]) -> dict:
    found = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 812}, device_scale_factor=1)
            for f in files:
                page.goto(Path(f).resolve().as_uri())
                found[f] = page.evaluate(PROBE)
        finally:
            browser.close()
    return found


if __name__ == "__main__":
    json.dump(measure(int(sys.argv[1]), sys.argv[2:]), sys.stdout, ensure_ascii=False)
