"""Finding a CJK font for rendered images (boards and report cards): the subsets of Noto Sans
CJK SC shipped in `assets/fonts/` (see `assets/README.md`), else whatever fontconfig offers for
`:lang=zh` — accepted only if it really draws Chinese. Also the font metrics the typesetter
needs (glyph coverage, cached advances, ink extent)."""

from __future__ import annotations

import functools
import shutil
import subprocess

from PIL import ImageFont

from infra.config import ASSETS_DIR

FONT_DIR = ASSETS_DIR / "fonts"
FONT_FILES = {
    "regular": FONT_DIR / "NotoSansCJKsc-Regular-subset.otf",
    "bold": FONT_DIR / "NotoSansCJKsc-Bold-subset.otf",
}


class FontMissing(RuntimeError):
    """No usable Chinese font: neither the shipped subsets nor a fontconfig CJK font."""


def _fontconfig(weight: str) -> tuple[str, int] | None:
    """The file and face index fontconfig picks for Chinese text, if fontconfig is there."""
    if not shutil.which("fc-match"):
        return None
    pattern = ":lang=zh" + (":weight=bold" if weight == "bold" else "")
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\n%{index}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split("\n")
        return out[0], int(out[1] or 0)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


@functools.cache
def font_source(weight: str) -> tuple[str, int]:
    """(file, face index) for "regular" or "bold": the shipped subset, else fontconfig's pick.

    fontconfig always answers something, often a Latin-only font; a candidate is accepted
    only if it really draws Chinese.
    """
    shipped = FONT_FILES[weight]
    candidates = [(str(shipped), 0)] if shipped.exists() else []
    found = _fontconfig(weight)
    if found:
        candidates.append(found)
    for path, index in candidates:
        try:
            font = ImageFont.truetype(path, 48, index=index, layout_engine=ImageFont.Layout.BASIC)
        except OSError:
            continue
        if not missing_glyphs(font, "管家公示牌"):
            return path, index
    raise FontMissing(
        "找不到中文字体：assets/fonts/ 中的思源黑体（Noto Sans CJK SC）子集不见了，"
        "系统里也没有中文字体（可安装 fonts-noto-cjk）"
    )


@functools.lru_cache(maxsize=512)
def get_font(weight: str, px: int) -> ImageFont.FreeTypeFont:
    path, index = font_source(weight)
    # The basic layout engine: CJK needs no shaping, and it is several times faster than raqm.
    return ImageFont.truetype(path, px, index=index, layout_engine=ImageFont.Layout.BASIC)


@functools.lru_cache(maxsize=64)
def _notdef_mask(font: ImageFont.FreeTypeFont) -> tuple:
    mask = font.getmask("\U0010fffd")  # a private-use plane point no font maps
    return mask.size, bytes(mask)


@functools.lru_cache(maxsize=65536)
def _has_glyph(font: ImageFont.FreeTypeFont, ch: str) -> bool:
    if ch.isspace():
        return True
    mask = font.getmask(ch)
    return (mask.size, bytes(mask)) != _notdef_mask(font)


def missing_glyphs(font: ImageFont.FreeTypeFont, text: str) -> list[str]:
    """Characters of `text` the font would draw as its .notdef box (tofu)."""
    return sorted({ch for ch in text if not _has_glyph(font, ch)})


@functools.lru_cache(maxsize=512)
def _advances(font: ImageFont.FreeTypeFont) -> dict[str, float]:
    return {}


@functools.lru_cache(maxsize=512)
def v_extent(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """How far below the ascender line ink of a line can start and end (tallest glyphs)."""
    _, top, _, bottom = font.getbbox("国丨（）【】gjyÅ|", anchor="la")
    return top, bottom


def text_width(font: ImageFont.FreeTypeFont, text: str) -> float:
    cache = _advances(font)
    total = 0.0
    for ch in text:
        w = cache.get(ch)
        if w is None:
            w = cache[ch] = font.getlength(ch)
        total += w
    return total


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The report card's font: the same faces as the boards."""
    return get_font("bold" if bold else "regular", size)
