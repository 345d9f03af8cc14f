"""Photograph the mini program pages that pages.shots.js wrote as HTML.

Reads <out>/manifest.json, opens each HTML page in Debian's Chromium (Playwright's Python
package driving /usr/bin/chromium; Playwright's own browser download is never used) at the
shot's screen size with device scale 2, saves the whole page as <out>/<page>-<state>-<width>.png
and writes <out>/index.html, a contact sheet of every picture by page and state.

Usage: .venv/bin/python scripts/miniprogram/shots/shoot.py [out_dir]
"""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def shoot(out: Path) -> list[dict]:
    shots = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for size in sorted({(s["width"], s["height"]) for s in shots}):
                context = browser.new_context(
                    viewport={"width": size[0], "height": size[1]},
                    device_scale_factor=2,
                    is_mobile=True,
                    has_touch=True,
                    locale="zh-CN",
                )
                page = context.new_page()
                for s in shots:
                    if (s["width"], s["height"]) != size:
                        continue
                    page.goto((out / s["html"]).resolve().as_uri())
                    # The whole scrolled page, except under a toast or modal: the screen as shown.
                    page.screenshot(path=str(out / s["png"]), full_page=not s.get("overlay"))
                context.close()
        finally:
            browser.close()
    return shots


def contact_sheet(out: Path, shots: list[dict]) -> None:
    """index.html: one row per page and state, the widths side by side."""
    rows: dict[tuple[str, str], list[dict]] = {}
    for s in shots:
        rows.setdefault((s["page"], s["state"]), []).append(s)
    parts = [
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
        "<title>小巷管家 mini program screenshots</title><style>",
        "body{font-family:sans-serif;margin:16px;background:#eee}",
        "section{margin:0 0 24px}h2{font-size:16px;margin:0 0 6px}",
        "figure{display:inline-block;vertical-align:top;margin:0 12px 0 0}",
        "img{width:auto;max-height:900px;border:1px solid #bbb;background:#fff}",
        "figcaption{font-size:12px;color:#555}</style></head><body>",
        f"<h1>Mini program: {len(rows)} page states</h1>",
    ]
    for (page, state), group in sorted(rows.items()):
        parts.append(f"<section><h2>{html.escape(page)} · {html.escape(state)}</h2>")
        for s in sorted(group, key=lambda s: -s["width"]):
            png = html.escape(s["png"])
            parts.append(
                f'<figure><a href="{png}"><img src="{png}" width="{s["width"]}" alt=""></a>'
                f'<figcaption>{s["width"]}×{s["height"]} · <a href="{html.escape(s["html"])}">html</a>'
                "</figcaption></figure>"
            )
        parts.append("</section>")
    parts.append("</body></html>")
    (out / "index.html").write_text("\n".join(parts), encoding="utf-8")


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "instance/screenshots/mp")
    shots = shoot(out)
    contact_sheet(out, shots)
    print(f"screenshots: {len(shots)} pictures in {out}/ (contact sheet: {out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
