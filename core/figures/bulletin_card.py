"""The monthly bulletin as a JPEG card for the street leaders' group: the month's 三率 and
按期办结率 with their counts, how items were solved, the communities' 红榜 and 待改进, and the
units'. The full tables are in the PDF the card's message links to.

Drawn in two steps: `layout` says what goes where (each text with its corner, size, weight and
colour; the title bar; the rules under the boards' titles) and how tall the card is, and
`paint` draws that list with Pillow."""

from __future__ import annotations

import io
from dataclasses import dataclass

from core.boards import fonts
from core.figures import bulletin as figures
from core.figures.bulletin import Bulletin
from core.figures.report_card import ACCENT, GOOD, GRID, INK, MUTED, WARN, stamp
from infra.text import shorten

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Text:
    """Words stamped with their top-left corner at (x, y), as `report_card.stamp` places them."""

    x: int
    y: int
    words: str
    size: int
    colour: Colour
    bold: bool = False


@dataclass(frozen=True)
class Bar:
    """A filled box, corners included: the title bar."""

    box: tuple[int, int, int, int]
    colour: Colour


@dataclass(frozen=True)
class Rule:
    """A line `width` pixels thick from (x0, y0) to (x1, y1): under a board's title."""

    box: tuple[int, int, int, int]
    colour: Colour
    width: int


@dataclass(frozen=True)
class Layout:
    """What the card shows, in drawing order, on a white card of `width` by `height`."""

    width: int
    height: int
    marks: list[Text | Bar | Rule]


def _board(marks: list, top: int, pad: int, width: int, title: str, b: Bulletin, lines) -> int:
    """Two columns, 红榜 and 待改进, of one ranking; returns the y below them."""
    marks.append(Text(pad, top, title, 32, INK, bold=True))
    top += 52
    marks.append(Rule((pad, top, width - pad, top), GRID, 2))
    top += 14
    half = (width - 2 * pad) // 2
    groups = (("红榜", b.honour(lines), GOOD), ("待改进", b.to_improve(lines), WARN))
    bottom = top
    for col, (label, group, colour) in enumerate(groups):
        x = pad + col * half
        marks.append(Text(x, top, label, 28, colour, bold=True))
        y = top + 46
        if not group:
            marks.append(Text(x, y, "参与排名的不足两个", 24, MUTED))
            y += 44
        for line in group:
            marks.append(Text(x, y, f"{line.rank}. {shorten(line.name, 9)}", 28, INK))
            marks.append(Text(x + 300, y + 4, f"{line.score:.1f} 分", 24, MUTED))
            y += 44
        bottom = max(bottom, y)
    return bottom + 20


def layout(b: Bulletin) -> Layout:
    """The card of a bulletin: as tall as its two boards need, the footer's line below them."""
    width, pad = 1080, 48  # a picture of the group's width; its margins
    marks: list[Text | Bar | Rule] = [
        Bar((0, 0, width, 12), ACCENT),
        Text(pad, 40, shorten(b.title, 22), 42, ACCENT, bold=True),
        Text(pad, 104, b.period_text, 24, MUTED),
    ]
    t = b.total
    tile_w = (width - 2 * pad) // 4
    for i, name in enumerate(figures.RATE_NAMES):
        x = pad + i * tile_w
        part, whole = t.row.counts.get(name, (0, 0))
        marks.append(Text(x, 160, figures.pct(t.row.rate(name)), 46, INK, bold=True))
        marks.append(Text(x, 222, f"{figures.RATE_LABELS[name]}（{part}/{whole}）", 22, MUTED))
    line = f"诉求 {t.volume} 件 · 办结 {b.resolved} 件 · 超期 {t.overdue} 件"
    marks.append(Text(pad, 290, line, 30, WARN if t.overdue else INK))
    levels = " · ".join(f"{k} {v}" for k, v in b.levels.items())
    marks.append(Text(pad, 340, f"办结方式：{levels}", 28, INK))
    top = _board(marks, 410, pad, width, "社区", b, b.communities)
    top = _board(marks, top, pad, width, "部门与物业", b, b.units)
    marks.append(Text(pad, top, "完整排名与重点事项见通报 PDF", 24, MUTED))
    return Layout(width, top + 60, marks)


def paint(card: Layout):
    """The layout drawn on a white RGB image of its size (a `PIL.Image.Image`)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (card.width, card.height), "white")
    d = ImageDraw.Draw(img)
    for m in card.marks:
        if isinstance(m, Text):
            stamp(img, (m.x, m.y), m.words, fonts.font(m.size, bold=m.bold), m.colour)
        elif isinstance(m, Rule):
            d.line(list(m.box), fill=m.colour, width=m.width)
        else:
            d.rectangle(list(m.box), fill=m.colour)
    return img


def image(b: Bulletin) -> bytes:
    buf = io.BytesIO()
    paint(layout(b)).save(buf, "JPEG", quality=90, subsampling=0)
    return buf.getvalue()
