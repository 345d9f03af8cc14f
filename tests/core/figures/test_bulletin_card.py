"""The monthly bulletin's image card for the street leaders' group (`core.figures.bulletin_card`):
a JPEG of the group's width, as tall as its two boards need (as many rows as the configured
红榜 / 待改进 size, never cut off), the headline turning to the warning colour when anything
is overdue, 红榜 in green and 待改进 in orange."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from PIL import Image

from core.figures import bulletin, bulletin_card
from core.figures.bulletin import Bulletin, Line, Month
from core.figures.league import Row
from core.figures.report_card import ACCENT, GOOD, INK, WARN
from models import Area
from tests.factories import make_district

SH = ZoneInfo("Asia/Shanghai")
RATES = ("response", "on_time", "resolution", "satisfaction")


def _lines(n: int, kind: str = "community") -> list[Line]:
    """`n` lines of 9 items each, scoring 90, 85, 80, … (ranked: the minimum is 5)."""
    lines = []
    for i in range(n):
        row = Row(id=i + 1, name=f"第{i + 1}社区", kind=kind, volume=9)
        row.counts = {k: (90 - 5 * i, 100) for k in RATES}
        lines.append(Line(row))
    return bulletin.ranked_lines(lines, {"response": 1}, min_volume=5)


def _bulletin(communities: int, units: int, honour_size: int = 3, overdue: int = 0) -> Bulletin:
    total = Line(Row(id=1, name="示范街道", kind="street", volume=9, overdue=overdue))
    return Bulletin(
        street=Area(id=1, name="示范街道", kind="street"),
        month=Month(2026, 11),
        made_at=datetime(2026, 12, 1, 1, 30),
        as_of=datetime(2026, 11, 30, 16),
        weights={"response": 1},
        min_volume=5,
        total=total,
        communities=_lines(communities),
        units=_lines(units, "department"),
        levels={"现场解决": 0, "上报社区": 0, "吹哨联合": 0},
        longest_overdue=[],
        most_followed=[],
        honour_size=honour_size,
    )


def _image(b: Bulletin) -> Image.Image:
    img = Image.open(io.BytesIO(bulletin_card.image(b)))
    assert img.format == "JPEG"
    return img.convert("RGB")


def test_a_quiet_months_card_is_a_jpeg_of_the_groups_width_without_boards_to_fill(app):
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=SH), tick=False):
        d = make_district(communities=2, alleys_per_community=1)
    with time_machine.travel(datetime(2026, 12, 1, 9, 30, tzinfo=SH), tick=False):
        b = bulletin.build(d.street, Month(2026, 11))
        img = _image(b)
    # title, tiles, headline, two boards of one "none" line each, the footer
    assert img.size == (1080, 822)


def test_the_card_is_as_tall_as_its_longer_boards_rows():
    # no board: one "none" line each; six ranked communities: three rows; two units: one
    assert _image(_bulletin(0, 0)).size == (1080, 822)
    assert _image(_bulletin(6, 2)).size == (1080, 822 + 2 * 44)
    assert _image(_bulletin(2, 6)).size == (1080, 822 + 2 * 44)
    assert _image(_bulletin(5, 7)).size == (1080, 822 + 1 * 44 + 2 * 44)


def test_a_larger_configured_board_is_drawn_whole_not_cut_off():
    # five on each board of both rankings: 4 more rows each than a "none" line
    img = _image(_bulletin(10, 10, honour_size=5))
    assert img.size == (1080, 822 + 8 * 44)
    # the footer (完整排名与重点事项见通报 PDF) is on the card, below the last unit's row
    footer = img.crop((48, img.size[1] - 60, 600, img.size[1] - 20))
    assert _pixels_near(footer, (120, 120, 120)) > 100


def _pixels_near(img: Image.Image, colour, tolerance: int = 40) -> int:
    px = img.load()
    return sum(
        1
        for x in range(img.size[0])
        for y in range(img.size[1])
        if all(abs(a - b) <= tolerance for a, b in zip(px[x, y], colour, strict=True))
    )


def test_the_headline_turns_to_the_warning_colour_when_anything_is_overdue():
    band = (48, 290, 1032, 330)  # 诉求 … 件 · 办结 … 件 · 超期 … 件
    calm = _image(_bulletin(2, 2)).crop(band)
    late = _image(_bulletin(2, 2, overdue=1)).crop(band)
    assert _pixels_near(calm, WARN) == 0 and _pixels_near(calm, INK) > 200
    assert _pixels_near(late, WARN) > 200 and _pixels_near(late, INK) == 0


def test_the_honour_board_is_green_the_one_to_improve_orange_under_a_red_title_bar():
    img = _image(_bulletin(2, 0))
    assert _pixels_near(img.crop((0, 0, 1080, 10)), ACCENT, 10) == 1080 * 10
    labels = (476, 516)  # the boards' 红榜 / 待改进 labels, below the 社区 title
    honour = img.crop((48, labels[0], 540, labels[1]))
    improve = img.crop((540, labels[0], 1032, labels[1]))
    assert _pixels_near(honour, GOOD) > 100 and _pixels_near(honour, WARN) == 0
    assert _pixels_near(improve, WARN) > 100 and _pixels_near(improve, GOOD) == 0
