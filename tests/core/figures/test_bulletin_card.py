"""The monthly bulletin's image card for the street leaders' group (`core.figures.bulletin_card`):
a JPEG of the group's width, as tall as its two boards need (as many rows as the configured
红榜 / 待改进 size, never cut off), the headline turning to the warning colour when anything
is overdue, 红榜 in green and 待改进 in orange. What is written where is read from the card's
layout (`bulletin_card.layout`); a few pixel checks show the painting follows it."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from PIL import Image, ImageChops, ImageStat, JpegImagePlugin

from core.boards import fonts
from core.figures import bulletin, bulletin_card
from core.figures.bulletin import Bulletin, Line, Month
from core.figures.bulletin_card import Bar, Layout, Rule, Text
from core.figures.league import Row
from core.figures.report_card import ACCENT, GOOD, GRID, INK, MUTED, WARN
from models import Area
from tests.factories import make_district

SH = ZoneInfo("Asia/Shanghai")
RATES = ("response", "on_time", "resolution", "satisfaction")


def _lines(n: int, kind: str = "community", name: str = "第{}社区") -> list[Line]:
    """`n` lines of 9 items each, scoring 90, 85, 80, … (ranked: the minimum is 5), named
    `name` with their number."""
    lines = []
    for i in range(n):
        row = Row(id=i + 1, name=name.format(i + 1), kind=kind, volume=9)
        row.counts = {k: (90 - 5 * i, 100) for k in RATES}
        lines.append(Line(row))
    return bulletin.ranked_lines(lines, {"response": 1}, min_volume=5)


def _bulletin(
    communities: int,
    units: int,
    honour_size: int = 3,
    overdue: int = 0,
    street: str = "示范街道",
    names: str = "第{}社区",
    levels: tuple[int, int, int] = (0, 0, 0),
) -> Bulletin:
    total = Line(Row(id=1, name=street, kind="street", volume=9, overdue=overdue))
    total.row.counts = {"response": (7, 9), "on_time": (3, 4)}
    return Bulletin(
        street=Area(id=1, name=street, kind="street"),
        month=Month(2026, 11),
        made_at=datetime(2026, 12, 1, 1, 30),
        as_of=datetime(2026, 11, 30, 16),
        weights={"response": 1},
        min_volume=5,
        total=total,
        communities=_lines(communities, name=names),
        units=_lines(units, "department", name="第{}部门"),
        levels=dict(zip(("现场解决", "上报社区", "吹哨联合"), levels, strict=True)),
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


# --- what the card shows, read from its layout ------------------------------------------------


def _texts(card: Layout) -> list[tuple]:
    """The card's words in drawing order: (x, y, words, size, bold, colour)."""
    return [
        (m.x, m.y, m.words, m.size, m.bold, m.colour) for m in card.marks if isinstance(m, Text)
    ]


def test_the_card_heads_with_the_title_the_period_each_rate_over_its_counts_and_the_month():
    card = bulletin_card.layout(_bulletin(2, 2, overdue=2, levels=(3, 2, 1)))
    assert card.width == 1080
    assert card.marks[0] == Bar((0, 0, 1080, 12), ACCENT)
    # four tiles of a quarter of the width inside the margins: (1080 - 2 × 48) / 4 = 246
    assert _texts(card)[:12] == [
        (48, 40, "示范街道小巷管家工作2026年11月通报", 42, True, ACCENT),
        (48, 104, "2026年11月01日 至 2026年11月30日", 24, False, MUTED),
        (48, 160, "77.8%", 46, True, INK),
        (48, 222, "响应率（7/9）", 22, False, MUTED),
        (294, 160, "75.0%", 46, True, INK),
        (294, 222, "按期办结率（3/4）", 22, False, MUTED),
        (540, 160, "—", 46, True, INK),
        (540, 222, "解决率（0/0）", 22, False, MUTED),
        (786, 160, "—", 46, True, INK),
        (786, 222, "满意率（0/0）", 22, False, MUTED),
        (48, 290, "诉求 9 件 · 办结 6 件 · 超期 2 件", 30, False, WARN),
        (48, 340, "办结方式：现场解决 3 · 上报社区 2 · 吹哨联合 1", 28, False, INK),
    ]


def test_a_long_streets_title_is_cut_to_fit_the_cards_width():
    card = bulletin_card.layout(_bulletin(0, 0, street="示范街道新村第一街道"))
    # 26 characters in all: the first 21 and an ellipsis
    assert _texts(card)[0][2] == "示范街道新村第一街道小巷管家工作2026年…"
    assert len(_texts(card)[0][2]) == 22


def test_each_board_lists_its_honour_on_the_left_and_those_to_improve_on_the_right():
    # six ranked communities: three on each column, the last three worst first; two units: one
    card = bulletin_card.layout(_bulletin(6, 2))
    texts = _texts(card)
    communities = texts[12 : 12 + 3 + 2 * 3 * 2]  # title, labels, 2 columns of 3 rows
    assert communities == [
        (48, 410, "社区", 32, True, INK),
        (48, 476, "红榜", 28, True, GOOD),
        (48, 522, "1. 第1社区", 28, False, INK),
        (348, 526, "90.0 分", 24, False, MUTED),
        (48, 566, "2. 第2社区", 28, False, INK),
        (348, 570, "85.0 分", 24, False, MUTED),
        (48, 610, "3. 第3社区", 28, False, INK),
        (348, 614, "80.0 分", 24, False, MUTED),
        # the second column starts half-way across the margins: 48 + (1080 - 96) / 2
        (540, 476, "待改进", 28, True, WARN),
        (540, 522, "6. 第6社区", 28, False, INK),
        (840, 526, "65.0 分", 24, False, MUTED),
        (540, 566, "5. 第5社区", 28, False, INK),
        (840, 570, "70.0 分", 24, False, MUTED),
        (540, 610, "4. 第4社区", 28, False, INK),
        (840, 614, "75.0 分", 24, False, MUTED),
    ]
    # the units' board starts 20 below the communities' last row (610 + 44)
    units = texts[12 + len(communities) :]
    assert units == [
        (48, 674, "部门与物业", 32, True, INK),
        (48, 740, "红榜", 28, True, GOOD),
        (48, 786, "1. 第1部门", 28, False, INK),
        (348, 790, "90.0 分", 24, False, MUTED),
        (540, 740, "待改进", 28, True, WARN),
        (540, 786, "2. 第2部门", 28, False, INK),
        (840, 790, "85.0 分", 24, False, MUTED),
        # the footer 20 below the last row, and 60 of white under it
        (48, 850, "完整排名与重点事项见通报 PDF", 24, False, MUTED),
    ]
    assert card.height == 910
    # a thin grey rule across the card under each board's title
    rules = [m for m in card.marks if isinstance(m, Rule)]
    assert rules == [Rule((48, 462, 1032, 462), GRID, 2), Rule((48, 726, 1032, 726), GRID, 2)]


def test_a_board_of_fewer_than_two_ranked_says_so_in_both_its_columns():
    card = bulletin_card.layout(_bulletin(1, 0))
    assert _texts(card)[12:] == [
        (48, 410, "社区", 32, True, INK),
        (48, 476, "红榜", 28, True, GOOD),
        (48, 522, "参与排名的不足两个", 24, False, MUTED),
        (540, 476, "待改进", 28, True, WARN),
        (540, 522, "参与排名的不足两个", 24, False, MUTED),
        (48, 586, "部门与物业", 32, True, INK),
        (48, 652, "红榜", 28, True, GOOD),
        (48, 698, "参与排名的不足两个", 24, False, MUTED),
        (540, 652, "待改进", 28, True, WARN),
        (540, 698, "参与排名的不足两个", 24, False, MUTED),
        (48, 762, "完整排名与重点事项见通报 PDF", 24, False, MUTED),
    ]
    assert card.height == 822


def test_a_name_longer_than_nine_characters_is_cut_with_an_ellipsis_before_its_score():
    # 第1社区居民委员会 is 9 characters, kept whole; 第1社区居民委员会东片's 11 are cut to 9
    card = bulletin_card.layout(_bulletin(4, 0, names="第{}社区居民委员会", honour_size=2))
    rows = [t[2] for t in _texts(card) if t[2].startswith(("1.", "2.", "3.", "4."))]
    assert rows == [
        "1. 第1社区居民委员会",
        "2. 第2社区居民委员会",
        "4. 第4社区居民委员会",
        "3. 第3社区居民委员会",
    ]
    card = bulletin_card.layout(_bulletin(2, 0, names="第{}社区居民委员会东片"))
    rows = [t[2] for t in _texts(card) if t[2].startswith(("1.", "2."))]
    assert rows == ["1. 第1社区居民委员…", "2. 第2社区居民委员…"]
    assert len(rows[0].removeprefix("1. ")) == 9


# --- the painting follows the layout ------------------------------------------------------------


def _ink(img: Image.Image, colour) -> list[tuple[int, int]]:
    """The pixels painted exactly `colour` (a glyph's solid middle, not its blended edge)."""
    px = img.load()
    return [(x, y) for x in range(img.size[0]) for y in range(img.size[1]) if px[x, y] == colour]


def test_a_text_is_painted_at_its_corner_in_its_colour_size_and_weight():
    def painted(size: int, bold: bool) -> Image.Image:
        return bulletin_card.paint(Layout(120, 60, [Text(20, 10, "红榜", size, GOOD, bold)]))

    big = painted(28, True)
    assert big.size == (120, 60)
    # where the font draws the glyphs' ink, from the corner (20, 10)
    mask, (dx, dy) = fonts.font(28, bold=True).getmask2("红榜", mode="L")
    left, top, right, bottom = Image.frombytes("L", mask.size, bytes(mask)).getbbox()
    box = _box(big)
    assert box == (20 + dx + left, 10 + dy + top, 20 + dx + right, 10 + dy + bottom)
    assert _ink(big, GOOD) and not _ink(big, WARN)
    # a smaller size is shorter; regular is lighter than bold
    assert _box(painted(24, True))[3] - _box(painted(24, True))[1] < box[3] - box[1]
    assert len(_ink(painted(28, False), GOOD)) < len(_ink(big, GOOD)) * 3 // 4


def _painted(img: Image.Image) -> list[tuple[int, int]]:
    px = img.load()
    w, h = img.size
    return [(x, y) for x in range(w) for y in range(h) if px[x, y] != (255, 255, 255)]


def _box(img: Image.Image) -> tuple[int, int, int, int]:
    """The smallest box (right and bottom exclusive) holding everything not white."""
    xs, ys = zip(*_painted(img), strict=True)
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def test_a_rule_is_a_line_of_its_width_and_a_bar_a_filled_box_corners_included():
    img = bulletin_card.paint(Layout(100, 30, [Rule((10, 10, 90, 10), GRID, 2)]))
    assert _box(img) == (10, 10, 91, 12)
    assert len(_ink(img, GRID)) == 81 * 2
    img = bulletin_card.paint(Layout(100, 30, [Bar((0, 0, 100, 12), ACCENT)]))
    assert len(_ink(img, ACCENT)) == 100 * 13


def test_the_painted_card_puts_each_column_and_score_where_its_layout_says():
    b = _bulletin(6, 2)
    card = bulletin_card.layout(b)
    img = bulletin_card.paint(card)
    assert img.size == (card.width, card.height) and img.mode == "RGB"
    labels = img.crop((0, 476, 1080, 516))  # the communities' 红榜 / 待改进
    assert min(x for x, _ in _ink(labels, GOOD)) in range(48, 52)
    assert min(x for x, _ in _ink(labels, WARN)) in range(540, 544)
    # the first row's scores: 90.0 分 at 348, 65.0 分 at 840 (a digit's bearing to its left)
    row = img.crop((0, 526, 1080, 566))
    assert sorted({x for x, _ in _ink(row, MUTED) if x < 540})[0] in range(348, 354)
    assert sorted({x for x, _ in _ink(row, MUTED) if x >= 540})[0] in range(840, 846)
    # the JPEG sent is that picture, its colours kept at full resolution for the thin words and
    # little lost: under 0.6 of 255 off on average in each channel (Pillow's default, 75, is 0.8)
    jpeg = Image.open(io.BytesIO(bulletin_card.image(b)))
    assert jpeg.size == img.size
    assert JpegImagePlugin.get_sampling(jpeg) == 0
    error = ImageStat.Stat(ImageChops.difference(img, jpeg.convert("RGB"))).mean
    assert max(error) < 0.6
