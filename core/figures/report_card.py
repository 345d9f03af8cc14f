"""The daily 通报 as a JPEG card for the group: the key figures, a bar chart of the day and
the month, and the stewards' table. The figures come from `core.figures.reports.build`; the
table's 超期 column adds up to the bar's (its rows include 未派单 and the like)."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Sequence

from core import pools
from core.boards import fonts
from core.figures.reports import Report, pct, row_name
from infra.text import shorten

INK = (34, 34, 34)
MUTED = (120, 120, 120)
ACCENT = (196, 43, 28)  # 中国红 for titles
GOOD = (46, 125, 50)
WARN = (230, 81, 0)
GRID = (225, 225, 225)
BARS = {"新增": (66, 133, 244), "接单": (3, 155, 229), "办结": GOOD, "超期": WARN, "在办": MUTED}


@functools.lru_cache(maxsize=4096)
def _glyphs(text: str, font) -> tuple:
    """A text's rendered coverage mask and offset: labels, digits and names repeat across the
    hundreds of cards of a morning, and rasterising CJK glyphs is the costly part."""
    mask, offset = font.getmask2(text, mode="L")
    from PIL import Image

    return Image.frombytes("L", mask.size, bytes(mask)), offset


def stamp(img, xy: tuple[int, int], text: str, font, fill) -> None:
    mask, (dx, dy) = _glyphs(text, font)
    img.paste(fill, (xy[0] + dx, xy[1] + dy), mask)


def image(report: Report, width: int = 1080) -> bytes:
    """A JPEG card: title, the key figures, a small bar chart and the stewards' table."""
    from PIL import Image, ImageDraw

    rows = max(len(report.stewards), 1)
    height = 660 + 64 * rows
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    pad = 48
    d.rectangle([0, 0, width, 12], fill=ACCENT)
    stamp(img, (pad, 40), report.title, fonts.font(44, bold=True), ACCENT)

    c, r = report.counts, report.rates
    tiles = [
        ("响应率", "response"),
        ("解决率", "resolution"),
        ("满意率", "satisfaction"),
        ("整改率", "rectification"),
    ]
    tile_w = (width - 2 * pad) // len(tiles)
    for i, (label, name) in enumerate(tiles):
        x = pad + i * tile_w
        part, whole = report.rate_counts.get(name, (0, 0))
        # every rate with the count behind it: "50.0%" alone hides that it is 1 of 2
        stamp(img, (x, 120), pct(r[name]), fonts.font(48, bold=True), INK)
        stamp(img, (x, 180), f"{label}（{part}/{whole}）", fonts.font(26), MUTED)

    # bar chart of the day's counts
    chart_top, chart_bottom = 300, 480
    values = {
        "新增": c["new"],
        "接单": c["accepted"],
        "办结": c["resolved"],
        "超期": c["overdue"],
        "在办": c["open"],
    }
    peak = max(values.values()) or 1
    bar_w = (width - 2 * pad) // len(values)
    d.line([pad, chart_bottom, width - pad, chart_bottom], fill=GRID, width=2)
    small = fonts.font(26)
    for i, (label, value) in enumerate(values.items()):
        x = pad + i * bar_w + bar_w // 4
        top = chart_bottom - int((chart_bottom - chart_top) * value / peak)
        d.rectangle([x, top, x + bar_w // 2, chart_bottom], fill=BARS[label])
        stamp(img, (x, top - 34), str(value), small, INK)
        stamp(img, (x, chart_bottom + 8), label, small, MUTED)

    # stewards' table
    top = 560
    columns = [("管家", 0), ("接单", 360), ("办结", 520), ("超期", 680), ("巡查", 840)]
    header = fonts.font(28, bold=True)
    for label, x in columns:
        stamp(img, (pad + x, top), label, header, MUTED)
    d.line([pad, top + 44, width - pad, top + 44], fill=GRID, width=2)
    body = fonts.font(30)
    if not report.stewards:
        stamp(img, (pad, top + 60), "本区域暂无管家", body, MUTED)
    for i, s in enumerate(report.stewards):
        y = top + 60 + i * 64
        stamp(img, (pad + 680, y), str(s.overdue), body, WARN if s.overdue else INK)
        if not s.is_steward:
            # a row only overdue items are counted in (未派单, 吹哨部门 …): no work, no patrol
            stamp(img, (pad, y), shorten(row_name(s), 10), body, MUTED)
            for x in (360, 520, 840):
                stamp(img, (pad + x, y), "—", body, MUTED)
            continue
        stamp(img, (pad, y), shorten(s.name, 10), body, INK)
        stamp(img, (pad + 360, y), str(s.taken), body, INK)
        stamp(img, (pad + 520, y), str(s.resolved), body, INK)
        stamp(
            img,
            (pad + 840, y),
            "已巡查" if s.patrolled else "未巡查",
            body,
            GOOD if s.patrolled else MUTED,
        )
    buf = io.BytesIO()
    # JPEG at high quality without chroma subsampling: crisp enough for coloured text, and a
    # third of PNG's encoding time — the card is sent to hundreds of groups every morning.
    img.save(buf, "JPEG", quality=90, subsampling=0)
    return buf.getvalue()


# Below this many cards a pool costs more (starting workers, pickling) than it saves.
POOL_MIN_CARDS = 16


def _card_or_none(report: Report) -> bytes | None:
    return None if report.quiet else image(report)


def _load_fonts() -> None:
    """A worker's initializer: the faces every card uses, loaded before the first card."""
    for bold in (False, True):
        fonts.font(26, bold=bold)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def images(
    reports: Sequence[Report], jobs: int = 0, timeout: float | None = None
) -> list[bytes | None]:
    """The cards of many reports (None for a quiet one), in order. A morning's 500 cards are
    drawn in a process pool, one process per core: Pillow's drawing holds the GIL.

    The pool's workers come from a fork server, never forked from this process, which in the
    scheduler runs threads (`core.pools`); a pool that stalls for `timeout` seconds or loses a
    worker raises `pools.PoolFailed` and the caller's job fails, to be retried."""
    jobs = min(jobs or _cores(), len(reports))
    if jobs <= 1 or len(reports) < POOL_MIN_CARDS:
        return [_card_or_none(r) for r in reports]
    fonts.font_source("regular"), fonts.font_source("bold")  # a missing font: a clear error here
    return list(
        pools.imap(
            _card_or_none,
            reports,
            jobs=jobs,
            what="通报图片卡",
            chunksize=8,
            initializer=_load_fonts,
            timeout=timeout,
            preload=(__name__,),
        )
    )
