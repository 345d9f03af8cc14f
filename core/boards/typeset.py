"""Fitting text into boxes on a board: every text sits in a box; `Canvas.fit_text` wraps it
by character width (CJK text breaks between any two characters, Latin words and numbers stay
whole, closing punctuation never starts a line), shrinks the font step by step until it fits,
and only at the smallest readable size cuts it with an ellipsis. The `Layout` lists every box
with the ink it really drew, so tests (and the CLI's warnings) can check that nothing
overflowed, left the page, overlapped or lacked a glyph."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

from core.boards.fonts import font_source, get_font, missing_glyphs, text_width, v_extent

DESIGN_WIDTH_MM = 210.0  # boxes are in millimetres of an A4 sheet, scaled to the page
INK = (34, 34, 34)  # the default text colour

NO_LINE_START = set("，。、；：！？）】》」』”’…·,.;:!?)]}%")
NO_LINE_END = set("（【《「『“‘([{")


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
    # What was drawn, in page pixels, when recorded (`Canvas(record=True)`): the vector PDF
    # (core/boards/vector.py) draws the same page from it. Plain tuples: it crosses processes.
    ops: list[tuple] | None = None

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


RECORDED = ("rectangle", "rounded_rectangle", "line", "ellipse", "text")


class _RecordingDraw:
    """ImageDraw that also writes down each shape and text it draws (`Layout.ops`), so a
    vector page can be drawn from exactly the same geometry as the pixels."""

    def __init__(self, draw: ImageDraw.ImageDraw, ops: list, pixels: bool = True):
        self._draw, self._ops, self._pixels = draw, ops, pixels

    def __getattr__(self, name):
        fn = getattr(self._draw, name)
        if name not in RECORDED:
            return fn

        def drawn(*args, **kwargs):
            if name == "text":
                font = kwargs["font"]
                xy, text = args[0], args[1]
                self._ops.append(
                    (
                        "text",
                        float(xy[0]),
                        float(xy[1]),
                        text,
                        weight_of(font),
                        font.size,
                        kwargs.get("fill"),
                        kwargs.get("anchor", "la"),
                    )
                )
            else:
                self._ops.append((name, args[0], {k: v for k, v in kwargs.items()}))
            # the vector PDF needs only the record: drawing the pixels too would be wasted
            return fn(*args, **kwargs) if self._pixels else None

        return drawn


def weight_of(font) -> str:
    """ "bold" or "regular": which of the two faces a font object was loaded from."""
    return "bold" if str(font.path) == str(font_source("bold")[0]) else "regular"


class Canvas:
    """A page being drawn, with its scale and the layout report being built. With `record`
    every shape, text and pasted element is also written down in `layout.ops`."""

    def __init__(
        self,
        image: Image.Image,
        size: str,
        layout: Layout | None = None,
        record: bool = False,
        page: tuple[int, int] | None = None,
    ):
        """`page`: the page's pixel size when `image` is only a stand-in (a record without
        pixels: nothing is drawn, every measurement is still made at the page's scale)."""
        self.image = image
        self.size = size
        page = page or image.size
        self.pixels = page == image.size
        self.scale = page[0] / DESIGN_WIDTH_MM  # px per design millimetre
        self.layout = layout or Layout(size, page)
        draw = ImageDraw.Draw(image)
        if record or not self.pixels:
            if self.layout.ops is None:
                self.layout.ops = []
            draw = _RecordingDraw(draw, self.layout.ops, self.pixels)
        self.draw = draw

    def note(self, op: tuple) -> None:
        """Write down an element drawn other than through `draw` (a photo, the QR code)."""
        if self.layout.ops is not None:
            self.layout.ops.append(op)

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
            top, bottom = v_extent(font)
            line_h = round(px * style.spacing)
            lines = wrap(text, width, functools.partial(text_width, font))
            room = (height - (bottom - top)) // line_h + 1 if height >= bottom - top else 0
            limit = min(room, style.max_lines or room)
            if len(lines) <= limit and all(text_width(font, ln) <= width for ln in lines):
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
            lw = text_width(font, line)
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
    while last and text_width(font, last + "…") > width:
        last = last[:-1]
    kept[-1:] = [last.rstrip("，。、；： ") + "…"]
    return kept
