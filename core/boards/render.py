"""Rendering signboards (公示牌) as print-ready images and PDFs.

A board is drawn at 300 dpi on A4 (2480×3508 px) or A3 (3508×4961 px), portrait. The design
is laid out in millimetres of an A4 sheet and scaled, so A3 is the same board √2 larger
(its QR code too, which helps from further away).

The work is split in two so that bulk printing can use every core:

* `collect()` reads the database (a few batched queries for any number of boards) into
  plain, picklable `BoardData` records;
* `compose()` turns one record into an image plus a `Layout` report; it touches neither the
  database nor Flask, so process-pool workers run it.

Every text sits in a box. `fit_text` wraps it by character width (CJK text breaks between any
two characters, Latin words and numbers stay whole, closing punctuation never starts a line),
shrinks the font step by step until it fits, and only at the smallest readable size cuts it
with an ellipsis. The `Layout` lists every box with the ink it really drew, so tests (and the
CLI's warnings) can check that nothing overflowed, left the page, overlapped or lacked a glyph.

Fonts: the subsets of Noto Sans CJK SC shipped in `assets/fonts/` (see `assets/README.md`),
else whatever fontconfig offers for `:lang=zh`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import functools
import io
import math
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import qrcode
from flask import current_app
from PIL import Image, ImageDraw, ImageFont, ImageOps

from core.config import ASSETS_DIR
from core.media import media_path
from core.timeutil import to_local, utcnow
from models import Area, Media, Steward, StewardAlley

try:  # ISA-L's deflate: the same zlib stream, about ten times faster than zlib's level 1
    from isal import isal_zlib as deflate
except ImportError:  # pragma: no cover - a slower but identical fallback
    deflate = zlib

DPI = 300
PAGE_SIZES = {"A4": (2480, 3508), "A3": (3508, 4961)}  # 210×297 mm and 297×420 mm at 300 dpi
DESIGN_WIDTH_MM = 210.0  # everything below is in millimetres of an A4 sheet
MAX_STEWARDS = 4
QR_CAPTION = "扫码反映问题 · 提交微心愿"
TITLE = "小巷管家公示牌"
MOTTO = "职责上墙 · 姓名上墙 · 电话上墙"
PNG_ZLIB_LEVEL = 1  # flat artwork compresses nearly as well at 1 as at 9, many times faster

FONT_DIR = ASSETS_DIR / "fonts"
FONT_FILES = {
    "regular": FONT_DIR / "NotoSansCJKsc-Regular-subset.otf",
    "bold": FONT_DIR / "NotoSansCJKsc-Bold-subset.otf",
}

RED = (192, 22, 29)
DARK_RED = (150, 20, 26)
GOLD = (255, 226, 160)
INK = (34, 34, 34)
GREY = (96, 96, 96)
LIGHT_GREY = (150, 150, 150)
TINT = (253, 241, 238)
CARD = (255, 250, 247)
LINE = (232, 196, 190)
WHITE = (255, 255, 255)
PLACEHOLDER = (226, 132, 124)

# Surnames of two characters: the placeholder shows the whole surname, not half of it.
COMPOUND_SURNAMES = (
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 "
    "端木 独孤 南宫 呼延 澹台 公冶 太史 申屠 闻人 万俟 赫连 第五"
).split()

NO_LINE_START = set("，。、；：！？）】》」』”’…·,.;:!?)]}%")
NO_LINE_END = set("（【《「『“‘([{")


class FontMissing(RuntimeError):
    """No usable Chinese font: neither the shipped subsets nor a fontconfig CJK font."""


# --- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StewardData:
    name: str
    phone: str
    posts: tuple[str, ...] = ()
    duties: str = ""
    households: int = 0
    is_leader: bool = False
    photo_path: str | None = None


@dataclass(frozen=True)
class BoardData:
    """Everything printed on one board; plain values so it crosses process boundaries."""

    code: str
    version: int
    url: str
    alley_name: str
    area_path: str  # street · community · grid
    community_name: str
    supervision_phone: str
    stewards: tuple[StewardData, ...] = ()
    printed_on: str = ""  # YYYY-MM-DD, shown in small print for whoever replaces boards

    @property
    def file_stem(self) -> str:
        return f"{self.code}-v{self.version}"


def board_url(base: str, code: str) -> str:
    """What the QR carries (the contract): `{PUBLIC_BASE_URL}/b/{code}`."""
    return f"{base.rstrip('/')}/b/{code}"


def collect(boards: Iterable, *, base_url: str | None = None) -> list[BoardData]:
    """Read boards (model rows) into `BoardData`, with a fixed number of queries in all."""

    boards = list(boards)
    if not boards:
        return []
    base = base_url or current_app.config["PUBLIC_BASE_URL"]
    alleys = {a.id: a for a in Area.select().where(Area.id.in_({b.alley_id for b in boards}))}
    wanted = {i for a in alleys.values() for i in a.ancestor_ids()}
    areas = {a.id: a for a in Area.select().where(Area.id.in_(wanted))}
    links = (
        StewardAlley.select(StewardAlley, Steward)
        .join(Steward)
        .where(StewardAlley.alley.in_(list(alleys)) & Steward.active)
        .order_by(StewardAlley.is_leader.desc(), StewardAlley.id)
    )
    by_alley: dict[int, list] = {}
    for link in links:
        by_alley.setdefault(link.alley_id, []).append(link)
    photo_ids = {link.steward.photo_id for ls in by_alley.values() for link in ls}
    photo_ids.discard(None)
    photos = {m.id: m for m in Media.select().where(Media.id.in_(photo_ids))} if photo_ids else {}
    today = to_local(utcnow()).date().isoformat()

    out = []
    for board in boards:
        alley = alleys[board.alley_id]
        chain = [areas[i] for i in alley.ancestor_ids() if i in areas]
        community = next((a for a in chain if a.kind == "community"), None)
        # The community's supervision phone; a street's office number is the fallback.
        phone = next(
            (a.phone for a in (community, *reversed(chain)) if a is not None and a.phone), ""
        )
        stewards = []
        for link in by_alley.get(alley.id, []):
            s = link.steward
            media = photos.get(s.photo_id)
            path = media_path(media) if media else None
            stewards.append(
                StewardData(
                    name=s.name,
                    phone=s.phone,
                    posts=tuple(s.posts or ()),
                    duties=s.duties or "",
                    households=s.households or 0,
                    is_leader=link.is_leader,
                    photo_path=str(path) if path and path.exists() else None,
                )
            )
        out.append(
            BoardData(
                code=board.code,
                version=board.version,
                url=board_url(base, board.code),
                alley_name=alley.name,
                area_path=" · ".join(a.name for a in chain[:-1]),
                community_name=community.name if community else "",
                supervision_phone=phone,
                stewards=tuple(stewards),
                printed_on=today,
            )
        )
    return out


# --- fonts ----------------------------------------------------------------------------------


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
def _v_extent(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """How far below the ascender line ink of a line can start and end (tallest glyphs)."""
    _, top, _, bottom = font.getbbox("国丨（）【】gjyÅ|", anchor="la")
    return top, bottom


def _width(font: ImageFont.FreeTypeFont, text: str) -> float:
    cache = _advances(font)
    total = 0.0
    for ch in text:
        w = cache.get(ch)
        if w is None:
            w = cache[ch] = font.getlength(ch)
        total += w
    return total


# --- text fitting ---------------------------------------------------------------------------

Rect = tuple[int, int, int, int]  # x0, y0, x1, y1 (x1, y1 exclusive)


@dataclass
class Box:
    """One placed element of the layout, with what was actually drawn in it."""

    name: str
    kind: str  # text | photo | qr | badge
    rect: Rect
    text: str = ""
    font_px: int = 0
    lines: list[str] = field(default_factory=list)
    ink: Rect | None = None  # the union of the drawn lines' ink
    fits: bool = True  # every drawn line lies inside `rect`
    truncated: bool = False  # an ellipsis had to cut the text
    missing: list[str] = field(default_factory=list)  # characters without a glyph


@dataclass
class Layout:
    size: str
    page: tuple[int, int]
    boxes: list[Box] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. more stewards than fit

    def box(self, name: str) -> Box:
        return next(b for b in self.boxes if b.name == name)

    def problems(self) -> list[str]:
        """Human-readable (Chinese) descriptions of everything wrong with the layout."""
        w, h = self.page
        out = list(self.notes)
        for b in self.boxes:
            x0, y0, x1, y1 = b.rect
            if x0 < 0 or y0 < 0 or x1 > w or y1 > h or x0 >= x1 or y0 >= y1:
                out.append(f"{b.name} 超出版面")
            if not b.fits:
                out.append(f"{b.name} 文字溢出：{b.text}")
            if b.truncated:
                out.append(f"{b.name} 文字过长，已截断：{b.text}")
            if b.missing:
                out.append(f"{b.name} 字体缺字：{''.join(b.missing)}")
        for i, a in enumerate(self.boxes):
            for b in self.boxes[i + 1 :]:
                if _overlap(a.rect, b.rect):
                    out.append(f"{a.name} 与 {b.name} 重叠")
        return out


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _tokens(text: str) -> list[str]:
    """Break opportunities: each CJK character alone; runs of ASCII letters/digits together."""
    out: list[str] = []
    word = ""
    for ch in text:
        if ch.isascii() and (ch.isalnum() or ch in "-_./@+"):
            word += ch
            continue
        if word:
            out.append(word)
            word = ""
        out.append(ch)
    if word:
        out.append(word)
    return out


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy line breaking by measured width; explicit newlines are kept.

    A word wider than the whole line is broken by characters. Closing punctuation never
    starts a line and opening punctuation never ends one: the neighbouring character moves
    down with it, as Chinese typesetting does.
    """
    lines: list[str] = []
    for para in text.split("\n"):
        line: list[str] = []
        line_w = 0.0
        for token in _tokens(para):
            tw = measure(token)
            if tw > width and len(token) > 1:  # an over-long word or number: break it up
                for ch in token:
                    cw = measure(ch)
                    if line and line_w + cw > width:
                        lines.append("".join(line))
                        line, line_w = [], 0.0
                    line.append(ch)
                    line_w += cw
                continue
            if line and line_w + tw > width:
                carry: list[str] = []
                if token in NO_LINE_START and len(line) > 1:
                    carry.append(line.pop())
                while len(line) > 1 and line[-1] in NO_LINE_END:
                    carry.insert(0, line.pop())
                lines.append("".join(line).rstrip())
                line = carry
                line_w = sum(measure(t) for t in line)
                if token.isspace() and not line:
                    continue  # no space at the start of a line
            line.append(token)
            line_w += tw
        lines.append("".join(line).rstrip())
    return lines


@dataclass
class TextStyle:
    weight: str = "regular"
    max_mm: float = 5.0  # the largest font size (em height) to try
    min_mm: float = 2.2  # the smallest readable size; below it, an ellipsis
    color: tuple = INK
    align: str = "left"  # left | center | right
    valign: str = "top"  # top | middle | bottom
    max_lines: int | None = None
    spacing: float = 1.3  # line height as a multiple of the font size


SHRINK_STEP = 0.93


class Canvas:
    """A page being drawn, with its scale and the layout report being built."""

    def __init__(self, image: Image.Image, size: str, layout: Layout | None = None):
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.size = size
        self.scale = image.width / DESIGN_WIDTH_MM  # px per design millimetre
        self.layout = layout or Layout(size, image.size)

    def px(self, mm: float) -> int:
        return int(round(mm * self.scale))

    def rect(self, x0: float, y0: float, x1: float, y1: float) -> Rect:
        return (self.px(x0), self.px(y0), self.px(x1), self.px(y1))

    def text(self, name: str, text: str, rect: Rect, style: TextStyle) -> Box:
        """Fit `text` into `rect` (shrinking, then ellipsis), draw it, record it."""
        box = Box(name=name, kind="text", rect=rect, text=text)
        self.layout.boxes.append(box)
        # Roster cells bring Windows line ends and tabs; a line break the author typed is kept.
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").strip()
        if not text:
            return box
        x0, y0, x1, y1 = rect
        width, height = x1 - x0, y1 - y0
        px = max(self.px(style.max_mm), 1)
        min_px = max(self.px(style.min_mm), 1)
        while True:
            font = get_font(style.weight, px)
            top, bottom = _v_extent(font)
            line_h = round(px * style.spacing)
            lines = wrap(text, width, functools.partial(_width, font))
            room = (height - (bottom - top)) // line_h + 1 if height >= bottom - top else 0
            limit = min(room, style.max_lines or room)
            if len(lines) <= limit and all(_width(font, ln) <= width for ln in lines):
                break
            if px <= min_px:
                lines = _ellipsize(lines, max(limit, 1), width, font)
                box.truncated = True
                break
            px = max(min_px, min(px - 1, int(px * SHRINK_STEP)))
        box.font_px = px
        box.lines = lines
        box.missing = missing_glyphs(font, text)
        block_h = (len(lines) - 1) * line_h + bottom - top
        first = y0  # where the first line's ink starts
        if style.valign == "middle":
            first = y0 + (height - block_h) // 2
        elif style.valign == "bottom":
            first = y1 - block_h
        top_of_text = first - top  # the anchor ("la": the ascender line) of the first line
        ink: list[Rect] = []
        for i, line in enumerate(lines):
            lw = _width(font, line)
            if style.align == "center":
                x = x0 + (width - lw) / 2
            elif style.align == "right":
                x = x1 - lw
            else:
                x = x0
            y = top_of_text + i * line_h
            self.draw.text((x, y), line, font=font, fill=style.color, anchor="la")
            bbox = self.draw.textbbox((x, y), line, font=font, anchor="la")
            ink.append(tuple(int(v) for v in bbox))
        box.ink = (
            min(b[0] for b in ink),
            min(b[1] for b in ink),
            max(b[2] for b in ink),
            max(b[3] for b in ink),
        )
        box.fits = box.ink[0] >= x0 and box.ink[1] >= y0 and box.ink[2] <= x1 and box.ink[3] <= y1
        return box

    def place(self, name: str, kind: str, rect: Rect) -> Box:
        box = Box(name=name, kind=kind, rect=rect)
        self.layout.boxes.append(box)
        return box


def _ellipsize(lines: list[str], limit: int, width: float, font) -> list[str]:
    kept = lines[:limit]
    last = kept[-1] if kept else ""
    while last and _width(font, last + "…") > width:
        last = last[:-1]
    kept[-1:] = [last.rstrip("，。、；： ") + "…"]
    return kept


# --- QR code --------------------------------------------------------------------------------

QR_BORDER = 4  # modules of quiet zone, as ISO/IEC 18004 asks


def qr_image(url: str, box_px: int) -> Image.Image:
    """The QR code for `url`, level H (30 % of it may be lost to weather or a sticker), with a
    4-module quiet zone, at a whole number of pixels per module and at most `box_px` square."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_H, border=QR_BORDER, box_size=1
    )
    qr.add_data(url)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    n = len(matrix)
    raw = bytes(0 if dark else 255 for row in matrix for dark in row)
    module = max(1, box_px // n)
    return Image.frombytes("L", (n, n), raw).resize((n * module, n * module), Image.NEAREST)


# --- the board ------------------------------------------------------------------------------

# The page in design millimetres (A4, 210 × 297).
MARGIN = 12.0
HEADER = (5.0, 5.0, 205.0, 44.0)
ALLEY_NAME = (MARGIN, 50.0, 210 - MARGIN, 67.0)
AREA_PATH = (MARGIN, 69.0, 210 - MARGIN, 77.0)
SECTION = (MARGIN, 81.0, 210 - MARGIN, 88.0)
STEWARDS = (MARGIN, 90.0, 210 - MARGIN, 207.0)
FOOTER_TOP = 211.0
QR_BOX = (132.0, 211.0, 198.0, 277.0)  # 66 mm with its quiet zone: readable from 2 m
CAPTION = (130.0, 278.0, 200.0, 287.0)
PANEL = (MARGIN, 211.0, 127.0, 287.0)

# Per number of stewards: heights (mm) of the name, phone and posts lines, the duties' largest
# font size, and whether name and phone share one line (short cards).
CARD_SPECS = {
    1: {"name": 15.0, "phone": 11.0, "meta": 7.5, "duties": 5.5, "compact": False, "pad": 3.0},
    2: {"name": 10.5, "phone": 8.5, "meta": 6.0, "duties": 4.5, "compact": False, "pad": 2.5},
    3: {"name": 8.0, "phone": 8.0, "meta": 5.5, "duties": 4.0, "compact": True, "pad": 2.5},
    4: {"name": 7.0, "phone": 7.0, "meta": 5.0, "duties": 3.6, "compact": True, "pad": 2.0},
}
CARD_GAP = 2.5


@functools.lru_cache(maxsize=4)
def _background(size: str) -> tuple[Image.Image, tuple[Box, ...]]:
    """The static artwork of a page size and its text boxes, drawn once per process and
    copied for every board."""
    image = Image.new("RGB", PAGE_SIZES[size], WHITE)
    c = Canvas(image, size)
    d = c.draw
    d.rectangle(c.rect(3, 3, 207, 294), outline=RED, width=c.px(1.2))
    d.rectangle(c.rect(5, 5, 205, 292), outline=GOLD, width=max(1, c.px(0.4)))
    d.rectangle(c.rect(*HEADER), fill=RED)
    # A lattice band under the title, like the window grilles of old alleys.
    y0, y1 = c.px(41.0), c.px(44.0)
    step = c.px(4.0)
    for x in range(c.px(5.0), c.px(205.0), step):
        d.rectangle((x + step // 4, y0, x + step * 3 // 4, y1 - 1), fill=DARK_RED)
    for corner_x, corner_y, sx, sy in (
        (8, 8, 1, 1),
        (202, 8, -1, 1),
        (8, 38, 1, -1),
        (202, 38, -1, -1),
    ):
        _corner(c, corner_x, corner_y, sx, sy)
    c.text(
        "title", TITLE, c.rect(16, 9, 194, 31), TextStyle("bold", 17, 10, WHITE, "center", "middle")
    )
    c.text("motto", MOTTO, c.rect(16, 31.5, 194, 39), TextStyle("regular", 5, 3, GOLD, "center"))
    d.rectangle(c.rect(MARGIN, 82.2, MARGIN + 1.2, 87.2), fill=RED)
    c.text(
        "section",
        "本巷管家",
        c.rect(MARGIN + 3, 81, 46, 88.5),
        TextStyle("bold", 5.2, 4, RED, "left", "middle"),
    )
    d.line(c.rect(48, 84.7, 210 - MARGIN, 84.7), fill=LINE, width=max(1, c.px(0.35)))
    d.rounded_rectangle(c.rect(*PANEL), radius=c.px(3), fill=TINT)
    d.line(c.rect(MARGIN, FOOTER_TOP - 2.5, 210 - MARGIN, FOOTER_TOP - 2.5), fill=LINE, width=2)
    return image, tuple(c.layout.boxes)


def _corner(c: Canvas, x: float, y: float, sx: int, sy: int) -> None:
    """A small 回-pattern corner ornament in gold."""
    length, t = 5.0, 0.6
    for inset in (0.0, 1.6):
        ax, ay = x + sx * inset, y + sy * inset
        c.draw.line(
            [
                (c.px(ax), c.px(ay + sy * (length - inset))),
                (c.px(ax), c.px(ay)),
                (c.px(ax + sx * (length - inset)), c.px(ay)),
            ],
            fill=GOLD,
            width=max(1, c.px(t)),
        )


def compose(data: BoardData, size: str = "A4") -> tuple[Image.Image, Layout]:
    """Draw one board; the image (300 dpi) and the layout report of what went where."""
    if size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {size!r}")
    background, static_boxes = _background(size)
    image = background.copy()
    image.info["dpi"] = (DPI, DPI)
    c = Canvas(image, size)
    # The static texts are drawn on the cached background; their boxes still count.
    c.layout.boxes.extend(dataclasses.replace(b) for b in static_boxes)

    c.text(
        "alley", data.alley_name, c.rect(*ALLEY_NAME), TextStyle("bold", 14, 5, DARK_RED, "center")
    )
    c.text(
        "area_path",
        data.area_path,
        c.rect(*AREA_PATH),
        TextStyle("regular", 5.5, 3, GREY, "center", max_lines=1),
    )
    _stewards(c, data.stewards)
    _footer(c, data)
    return image, c.layout


def _stewards(c: Canvas, stewards: Sequence[StewardData]) -> None:
    x0, y0, x1, y1 = STEWARDS
    if not stewards:
        c.text(
            "stewards.none",
            "本巷管家正在选聘中，有事请联系社区",
            c.rect(x0, y0 + 20, x1, y0 + 40),
            TextStyle("regular", 7, 4, GREY, "center", "middle"),
        )
        return
    if len(stewards) > MAX_STEWARDS:
        c.layout.notes.append(
            f"本巷有 {len(stewards)} 位管家，公示牌只能放 {MAX_STEWARDS} 位，"
            f"未印：{'、'.join(s.name for s in stewards[MAX_STEWARDS:])}"
        )
        stewards = stewards[:MAX_STEWARDS]
    n = len(stewards)
    card_h = (y1 - y0 - CARD_GAP * (n - 1)) / n
    for i, steward in enumerate(stewards):
        top = y0 + i * (card_h + CARD_GAP)
        _card(c, f"steward[{i}]", steward, (x0, top, x1, top + card_h), CARD_SPECS[n])


def _card(c: Canvas, name: str, s: StewardData, rect, spec: dict) -> None:
    x0, y0, x1, y1 = rect
    c.draw.rounded_rectangle(c.rect(x0, y0, x1, y1), radius=c.px(2.5), fill=CARD, outline=LINE)
    pad = spec["pad"]
    photo_h = min(y1 - y0 - 2 * pad, 80.0)
    photo_w = photo_h * 0.75
    py = y0 + (y1 - y0 - photo_h) / 2
    photo_rect = c.rect(x0 + pad, py, x0 + pad + photo_w, py + photo_h)
    _photo(c, f"{name}.photo", s, photo_rect)

    tx0, tx1 = x0 + pad + photo_w + 4.0, x1 - pad
    y = y0 + pad
    meta = _meta_text(s)
    duties = ("职责：" + s.duties.strip()) if s.duties.strip() else ""
    if spec["compact"]:
        # Short cards: name, posts and phone share the first line, so the duties get the rest.
        line = (y, y + spec["name"])
        phone = c.text(
            f"{name}.phone",
            _phone_text(s.phone),
            c.rect(tx0 + (tx1 - tx0) * 0.6, line[0], tx1, line[1]),
            TextStyle("bold", spec["name"] * 0.78, 2.4, RED, "right", "middle", 1),
        )
        _shrink_to_ink(phone)
        right = _name(c, name, s, (tx0, line[0], tx0 + (tx1 - tx0) * 0.42, line[1]), spec)
        meta_rect = (right + c.px(3.0), c.px(line[0]), phone.rect[0] - c.px(3.0), c.px(line[1]))
        if meta and meta_rect[2] - meta_rect[0] >= c.px(30.0):
            meta_style = TextStyle("regular", spec["meta"] * 0.75, 2.2, GREY, "left", "middle", 1)
            c.text(f"{name}.meta", meta, meta_rect, meta_style)
        elif meta:
            duties = f"{meta}\n{duties}" if duties else meta
        y += spec["name"] + 0.8
    else:
        _name(c, name, s, (tx0, y, tx1, y + spec["name"]), spec)
        y += spec["name"] + 0.8
        c.text(
            f"{name}.phone",
            _phone_text(s.phone),
            c.rect(tx0, y, tx1, y + spec["phone"]),
            TextStyle("bold", spec["phone"] * 0.8, 3, RED, "left", "middle", 1),
        )
        y += spec["phone"] + 0.8
        if meta:
            c.text(
                f"{name}.meta",
                meta,
                c.rect(tx0, y, tx1, y + spec["meta"]),
                TextStyle("regular", spec["meta"] * 0.75, 2.2, GREY, "left", "middle", 1),
            )
            y += spec["meta"] + 0.6
    if duties:
        c.text(
            f"{name}.duties",
            duties,
            c.rect(tx0, y, tx1, y1 - pad),
            TextStyle("regular", spec["duties"], 2.2, INK, spacing=1.3),
        )


def _shrink_to_ink(box: Box) -> None:
    """Let a one-line box claim only the width its text took, freeing the rest of the line."""
    if box.ink:
        x0, y0, x1, y1 = box.rect
        box.rect = (max(x0, box.ink[0] - 1), y0, min(x1, box.ink[2] + 1), y1)


def _name(c: Canvas, name: str, s: StewardData, rect, spec: dict) -> int:
    """Draw the name (and the 队长 badge); the pixel x where what was drawn ends."""
    x0, y0, x1, y1 = rect
    badge_w = spec["name"] * 1.6 if s.is_leader else 0.0
    style = TextStyle("bold", spec["name"] * 0.8, 2.5, INK, "left", "middle", 1)
    box = c.text(f"{name}.name", s.name, c.rect(x0, y0, x1 - badge_w, y1), style)
    _shrink_to_ink(box)
    right = box.rect[2]
    if s.is_leader:
        # The badge sits right after the name as drawn, not at the end of the box.
        bw, bh = c.px(badge_w - 1.5), c.px(min(spec["name"] * 0.62, 6.0))
        bx = right + c.px(1.5)
        by = (box.rect[1] + box.rect[3] - bh) // 2
        rect_px = (bx, by, bx + bw, by + bh)
        c.draw.rounded_rectangle(rect_px, radius=bh // 4, fill=RED)
        c.text(
            f"{name}.leader",
            "队长",
            rect_px,
            TextStyle("bold", spec["name"] * 0.42, 1.5, WHITE, "center", "middle", 1),
        )
        c.layout.box(f"{name}.leader").kind = "badge"
        right = bx + bw
    return right


def format_phone(phone: str) -> str:
    """A mobile number as 3-4-4 digits (how it is read aloud); anything else as given."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    return phone.strip()


def _phone_text(phone: str) -> str:
    return f"电话 {format_phone(phone)}"


def _meta_text(s: StewardData) -> str:
    parts = []
    if s.posts:
        parts.append("岗位：" + "、".join(s.posts))
    if s.households:
        parts.append(f"包联 {s.households} 户")
    return "　".join(parts)


def surname(name: str) -> str:
    name = name.strip()
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1] or "管"


def _photo(c: Canvas, name: str, s: StewardData, rect: Rect) -> None:
    c.place(name, "photo", rect)
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    photo = _load_photo(s.photo_path, (w, h)) if s.photo_path else None
    if photo is not None:
        c.image.paste(photo, (x0, y0))
        c.draw.rectangle((x0, y0, x1 - 1, y1 - 1), outline=LINE, width=max(1, c.px(0.3)))
        return
    # A placeholder: the surname in a circle, so the board does not look unfinished.
    c.draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=TINT, outline=LINE, width=max(1, c.px(0.3)))
    r = int(min(w, h) * 0.36)
    cx, cy = x0 + w // 2, y0 + int(h * 0.45)
    c.draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=PLACEHOLDER)
    initial = surname(s.name)
    font = get_font("bold", max(1, int(r * (1.0 if len(initial) == 1 else 0.62))))
    c.draw.text((cx, cy), initial, font=font, fill=WHITE, anchor="mm")
    label_font = get_font("regular", max(1, int(h * 0.075)))
    c.draw.text((cx, cy + r + int(h * 0.1)), "管家", font=label_font, fill=GREY, anchor="mm")


def _load_photo(path: str, size: tuple[int, int]) -> Image.Image | None:
    try:
        with Image.open(path) as img:
            img.draft("RGB", size)  # JPEG: decode at a reduced scale when far too big
            img = ImageOps.exif_transpose(img).convert("RGB")
            # Faces sit in the upper part of a portrait: crop towards the top.
            return ImageOps.fit(img, size, Image.LANCZOS, centering=(0.5, 0.35))
    except (OSError, ValueError):
        return None  # a missing or broken file must not stop a print run of a thousand


def _footer(c: Canvas, data: BoardData) -> None:
    x0, y0, x1, y1 = PANEL
    ix0, ix1 = x0 + 6, x1 - 6
    c.text(
        "supervision.label",
        "社区监督电话",
        c.rect(ix0, y0 + 5, ix1, y0 + 13),
        TextStyle("bold", 6, 4, INK, max_lines=1),
    )
    c.text(
        "supervision.phone",
        format_phone(data.supervision_phone) or "请联系所在社区",
        c.rect(ix0, y0 + 14, ix1, y0 + 30),
        TextStyle("bold", 13, 5, RED, "left", "middle", 1),
    )
    c.text(
        "community",
        data.community_name,
        c.rect(ix0, y0 + 31, ix1, y0 + 38),
        TextStyle("regular", 5, 3, GREY, max_lines=1),
    )
    c.text(
        "help",
        "小事找管家，难事找社区。发现问题、需要帮助，请拨打管家电话，或扫描右侧二维码。",
        c.rect(ix0, y0 + 41, ix1, y0 + 60),
        TextStyle("regular", 4.6, 3, INK, spacing=1.45),
    )
    c.text(
        "code",
        f"编号 {data.code} · 第 {data.version} 版"
        + (f" · {data.printed_on}" if data.printed_on else ""),
        c.rect(ix0, y1 - 11, ix1, y1 - 4),
        TextStyle("regular", 3.6, 2.4, LIGHT_GREY, max_lines=1),
    )
    qx0, qy0, qx1, qy1 = c.rect(*QR_BOX)
    qr = qr_image(data.url, qx1 - qx0)
    ox = qx0 + (qx1 - qx0 - qr.width) // 2
    oy = qy0 + (qy1 - qy0 - qr.height) // 2
    c.image.paste(qr, (ox, oy))
    c.place("qr", "qr", (ox, oy, ox + qr.width, oy + qr.height))
    c.text(
        "qr.caption",
        QR_CAPTION,
        c.rect(*CAPTION),
        TextStyle("bold", 5.6, 3, RED, "center", max_lines=1),
    )


def render_board(board, size: str = "A4") -> Image.Image:
    """The board image (PIL, RGB, 300 dpi) of a `Board` row; needs an app context."""
    (data,) = collect([board])
    return compose(data, size)[0]


# --- PNG and PDF ----------------------------------------------------------------------------


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def encode_png(image: Image.Image, dpi: int = DPI) -> bytes:
    """An RGB PNG with its resolution recorded, written for speed.

    Pillow's encoder tries five row filters on every row and then runs zlib; on a page that
    is mostly flat colour "no filter" plus ISA-L's deflate is about as small and over ten
    times quicker, which is what lets a thousand boards render within budget. The single IDAT stream is reused, unchanged, as
    the page image of the PDF.
    """
    image = image.convert("RGB") if image.mode != "RGB" else image
    w, h = image.size
    # Pillow writes each row `stride` bytes apart and zero-fills the byte after it; shifted by
    # one, that byte is the next row's filter byte ("none"), so no row is copied in Python.
    rows = image.tobytes("raw", "RGB", w * 3 + 1)
    compressor = deflate.compressobj(PNG_ZLIB_LEVEL)
    idat = compressor.compress(b"\0") + compressor.compress(memoryview(rows)[:-1])
    idat += compressor.flush()
    ppm = int(round(dpi / 0.0254))
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)),
            _chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
            _chunk(b"IDAT", idat),
            _chunk(b"IEND", b""),
        )
    )


def _png_parts(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and the zlib stream of an 8-bit RGB, non-interlaced PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        body = png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    if header is None or header[2:4] != (8, 2) or header[6] != 0:
        raise ValueError("PNG is not 8-bit RGB without interlacing")
    return header[0], header[1], b"".join(idat)


def _pdf_text(text: str) -> bytes:
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


class PdfWriter:
    """A streaming, multi-page PDF of full-page images: one page per board, at 300 dpi.

    Pages are written as they come, so a thousand boards never sit in memory together. Each
    page's image is the PNG's own deflate stream with the PNG predictor, so nothing is
    compressed twice and nothing is lost (no JPEG artefacts around the QR code).
    """

    def __init__(self, path: str | os.PathLike, title: str = TITLE):
        self.path = Path(path)
        self._fh = open(self.path, "wb")  # noqa: SIM115 — closed in close()
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._next = 4  # 1 catalog, 2 pages, 3 info
        self._title = title
        self._fh.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _obj(self, num: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[num] = self._fh.tell()
        self._fh.write(b"%d 0 obj\n" % num + body)
        if stream is not None:
            self._fh.write(b"\nstream\n" + stream + b"\nendstream")
        self._fh.write(b"\nendobj\n")

    def _alloc(self) -> int:
        self._next += 1
        return self._next - 1

    def add_png(self, png: bytes, dpi: int = DPI) -> None:
        try:
            w, h, data = _png_parts(png)
        except ValueError:
            with Image.open(io.BytesIO(png)) as img:
                w, h, data = _png_parts(encode_png(img.convert("RGB"), dpi))
        image_num, content_num, page_num = self._alloc(), self._alloc(), self._alloc()
        self._obj(
            image_num,
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /FlateDecode /DecodeParms << /Predictor 15 "
            b"/Colors 3 /BitsPerComponent 8 /Columns %d >> /Length %d >>" % (w, h, w, len(data)),
            data,
        )
        pw, ph = w * 72 / dpi, h * 72 / dpi
        content = b"q %.3f 0 0 %.3f 0 0 cm /Im0 Do Q" % (pw, ph)
        self._obj(content_num, b"<< /Length %d >>" % len(content), content)
        self._obj(
            page_num,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (pw, ph, image_num, content_num),
        )
        self._pages.append(page_num)

    def add_image(self, image: Image.Image) -> None:
        self.add_png(encode_png(image))

    @property
    def page_count(self) -> int:
        return len(self._pages)

    def close(self) -> None:
        kids = b" ".join(b"%d 0 R" % n for n in self._pages)
        self._obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._obj(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._pages)))
        self._obj(3, b"<< /Title %s /Producer (xiaoxiang) >>" % _pdf_text(self._title))
        xref = self._fh.tell()
        size = self._next
        self._fh.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for num in range(1, size):
            self._fh.write(b"%010d 00000 n \n" % self._offsets[num])
        self._fh.write(
            b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, xref)
        )
        self._fh.close()

    def abort(self) -> None:
        """Close and delete the file: half a PDF must never reach a printer."""
        self._fh.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def render_pdf(images: Iterable[Image.Image | bytes], path: str | os.PathLike) -> int:
    """Write board images (PIL images or PNG bytes) as one multi-page PDF; the page count."""
    with PdfWriter(path) as pdf:
        for image in images:
            if isinstance(image, bytes | bytearray):
                pdf.add_png(bytes(image))
            else:
                pdf.add_image(image)
    return pdf.page_count


# --- bulk rendering -------------------------------------------------------------------------


@dataclass
class Rendered:
    code: str
    path: Path
    problems: list[str]


def _render_one(job: tuple[BoardData, str, str]) -> Rendered:
    data, size, out_dir = job
    image, layout = compose(data, size)
    path = Path(out_dir) / f"{data.file_stem}.png"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_bytes(encode_png(image))
    os.replace(tmp, path)
    return Rendered(data.code, path, layout.problems())


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc mallopt() parameters


def _keep_memory() -> None:
    """Stop glibc from handing each board's big buffers (the 26 MB page bytes, the PNG) back
    to the kernel only to fault them in again for the next board: left alone, that page
    faulting costs as much system time as the drawing itself. A no-op off glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)  # glibc's maximum
        libc.mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024)
    except (OSError, AttributeError):
        pass


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def render_many(
    boards: Sequence[BoardData], out_dir: str | os.PathLike, size: str = "A4", jobs: int = 0
) -> Iterator[Rendered]:
    """Render boards to `out_dir/{code}-v{version}.png`, yielding results in input order.

    With more than one job the rendering runs in a process pool (Pillow's drawing holds the
    GIL); fonts and the static artwork are cached in each worker, so only the first board of
    each pays for them.
    """
    if size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {size!r}")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    work = [(data, size, str(out_dir)) for data in boards]
    jobs = min(jobs or default_jobs(), len(work))
    font_source("regular"), font_source("bold")  # fail before forking, with a clear message
    if jobs <= 1:
        _keep_memory()
        yield from map(_render_one, work)
        return
    import multiprocessing

    # fork: workers inherit the loaded fonts and need no re-import; they never use the
    # database connection they inherit.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    ctx = multiprocessing.get_context(method)
    chunk = max(1, min(8, math.ceil(len(work) / (jobs * 8))))
    with ctx.Pool(jobs, initializer=_keep_memory) as pool:
        yield from pool.imap(_render_one, work, chunksize=chunk)


def pdf_name(area_id: int, day: date) -> str:
    return f"boards-{area_id}-{day.isoformat()}.pdf"
