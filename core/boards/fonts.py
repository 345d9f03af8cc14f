"""Finding a CJK font for rendered images: the one shipped in `assets/fonts/`, else fontconfig."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from PIL import ImageFont

from core.config import ASSETS_DIR

ASSET_FONTS = ASSETS_DIR / "fonts"
FONT_SUFFIXES = (".otf", ".ttf", ".ttc")


class FontMissing(RuntimeError):
    """No font with Chinese glyphs: rendering would draw boxes instead of characters."""


def _shipped(bold: bool) -> Path | None:
    if not ASSET_FONTS.is_dir():
        return None
    files = sorted(p for p in ASSET_FONTS.iterdir() if p.suffix.lower() in FONT_SUFFIXES)
    if not files:
        return None
    weighted = [p for p in files if ("bold" in p.name.lower()) == bold]
    return (weighted or files)[0]


def _fontconfig(bold: bool) -> Path | None:
    pattern = ":lang=zh" + (":weight=bold" if bold else "")
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    if not out:
        return None
    langs = subprocess.run(
        ["fc-query", "-f", "%{lang}", out], capture_output=True, text=True, timeout=10
    ).stdout
    return Path(out) if "zh" in langs else None


@functools.cache
def font_path(bold: bool = False) -> Path:
    path = _shipped(bold) or _fontconfig(bold)
    if path is None:
        raise FontMissing(
            "找不到中文字体：请保留 assets/fonts/ 中的字体文件，或安装 fonts-noto-cjk"
        )
    return path


@functools.cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    # Chinese needs no complex shaping; the basic layout is several times faster than raqm.
    return ImageFont.truetype(str(font_path(bold)), size, layout_engine=ImageFont.Layout.BASIC)
