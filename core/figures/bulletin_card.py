"""The monthly bulletin as a JPEG card for the street leaders' group: the month's 三率 and
按期办结率 with their counts, how items were solved, the communities' 红榜 and 待改进, and the
units'. The full tables are in the PDF the card's message links to."""

from __future__ import annotations

import io

from core.boards import fonts
from core.figures import bulletin as figures
from core.figures.bulletin import Bulletin, Line
from core.figures.report_card import ACCENT, GOOD, GRID, INK, MUTED, WARN, stamp
from infra.text import shorten


def _board(img, d, top: int, pad: int, width: int, title: str, b: Bulletin, lines) -> int:
    """Two columns, 红榜 and 待改进, of one ranking; returns the y below them."""
    stamp(img, (pad, top), title, fonts.font(32, bold=True), INK)
    top += 52
    d.line([pad, top, width - pad, top], fill=GRID, width=2)
    top += 14
    half = (width - 2 * pad) // 2
    groups = (("红榜", b.honour(lines), GOOD), ("待改进", b.to_improve(lines), WARN))
    body, small = fonts.font(28), fonts.font(24)
    bottom = top
    for col, (label, group, colour) in enumerate(groups):
        x = pad + col * half
        stamp(img, (x, top), label, fonts.font(28, bold=True), colour)
        y = top + 46
        if not group:
            stamp(img, (x, y), "参与排名的不足两个", small, MUTED)
            y += 44
        for line in group:
            stamp(img, (x, y), f"{line.rank}. {shorten(line.name, 9)}", body, INK)
            stamp(img, (x + 300, y + 4), f"{line.score:.1f} 分", small, MUTED)
            y += 44
        bottom = max(bottom, y)
    return bottom + 20


def _rows(b: Bulletin, lines: list[Line]) -> int:
    """The rows of a board's longer column: as many as `Bulletin.honour` lists (the configured
    `BULLETIN_HONOUR_SIZE`, at most half the ranked lines), or one for its "none" line."""
    ranked = sum(1 for x in lines if x.ranked)
    return max(1, min(b.honour_size, ranked // 2))


def image(b: Bulletin, width: int = 1080) -> bytes:
    from PIL import Image, ImageDraw

    # tall enough for both boards; cropped below the footer once drawn
    height = 560 + 2 * (150 + 44 * max(_rows(b, b.communities), _rows(b, b.units)))
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    pad = 48
    d.rectangle([0, 0, width, 12], fill=ACCENT)
    stamp(img, (pad, 40), shorten(b.title, 22), fonts.font(42, bold=True), ACCENT)
    stamp(img, (pad, 104), b.period_text, fonts.font(24), MUTED)

    t = b.total
    tile_w = (width - 2 * pad) // 4
    for i, name in enumerate(figures.RATE_NAMES):
        x = pad + i * tile_w
        part, whole = t.row.counts.get(name, (0, 0))
        stamp(img, (x, 160), figures.pct(t.row.rate(name)), fonts.font(46, bold=True), INK)
        stamp(
            img, (x, 222), f"{figures.RATE_LABELS[name]}（{part}/{whole}）", fonts.font(22), MUTED
        )
    line = f"诉求 {t.volume} 件 · 办结 {b.resolved} 件 · 超期 {t.overdue} 件"
    stamp(img, (pad, 290), line, fonts.font(30), WARN if t.overdue else INK)
    levels = " · ".join(f"{k} {v}" for k, v in b.levels.items())
    stamp(img, (pad, 340), f"办结方式：{levels}", fonts.font(28), INK)
    top = _board(img, d, 410, pad, width, "社区", b, b.communities)
    top = _board(img, d, top, pad, width, "部门与物业", b, b.units)
    stamp(img, (pad, top), "完整排名与重点事项见通报 PDF", fonts.font(24), MUTED)
    buf = io.BytesIO()
    img.crop((0, 0, width, min(height, top + 60))).save(buf, "JPEG", quality=90, subsampling=0)
    return buf.getvalue()
