"""How the monthly bulletin is laid out on paper (`core.figures.bulletin_pdf.render`): the title
block centred over a red rule, the headings bold and kept off a page's foot, 红榜 in green and
待改进 in red with their figures indented in grey, the rankings' grids (a red header in white,
the columns' widths and alignments, rows of two lines, the boards' rows shaded green and red,
the header repeated on a new page), the notable items' tables, the grey notes, the lines to
sign and the footer. Read back from the PDF: the text's positions (millimetres from the page's
top left, rounded to a tenth) and sizes in points with `tests.pdf_layout`, its colours and
boldness (fill and stroke, `2 Tr`) and the grids' boxes from the page's content stream. The
month is `tests/core/figures/bulletin_month.py`'s, made by hand: no database, only the app's
default settings (the definitions name its hours)."""

from __future__ import annotations

import io
import re
from datetime import datetime

import pytest
from flask import Flask
from pypdf import PdfReader

from core.figures import bulletin, bulletin_pdf
from core.figures.bulletin import Line
from core.figures.league import Row
from infra.config import DEFAULTS
from tests.core.figures import bulletin_month
from tests.pdf_layout import A4, PT, at, runs

BLACK, WHITE, GREY = (0, 0, 0), (255, 255, 255), (90, 90, 90)
RED = (196, 43, 28)  # the headers' fill and the rule under the title
GREEN_TEXT, RED_TEXT = (20, 110, 50), (176, 40, 30)  # 红榜's and 待改进's labels
GOOD, BAD = (230, 244, 234), (253, 236, 234)  # the boards' rows in a ranking
# the ranking's columns, from the left margin: 排名 11 mm, 名称 37, 件数 12, four rates of 24,
# 超期 11, 得分 13: 180 mm in all
RANK_COLUMNS = [(15.0, 11.0), (26.0, 37.0), (63.0, 12.0), (75.0, 24.0), (99.0, 24.0)]
RANK_COLUMNS += [(123.0, 24.0), (147.0, 24.0), (171.0, 11.0), (182.0, 13.0)]


@pytest.fixture(autouse=True)
def settings():
    """The app's default settings (the definitions quote RESPONSE_HOURS), without a database."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    with app.app_context():
        yield


def _pdf(b=None) -> PdfReader:
    """Rendered in each test (not once per module) so that mutmut, which maps each test to the
    functions it calls, sees every test call `render`."""
    return PdfReader(io.BytesIO(bulletin_pdf.render(b or bulletin_month.month())))


def _stream(page) -> str:
    return page.get_contents().get_data().decode("latin-1")


def _colour(operands: str) -> tuple[int, ...]:
    values = [round(float(v) * 255) for v in operands.split()]
    return tuple(values * 3 if len(values) == 1 else values)


def _looks(page) -> dict[tuple[float, float], tuple[tuple[int, ...], float | None]]:
    """Each piece of text's look by its place (x, baseline, as `runs` gives them): its colour,
    and the width of its outline in points when it is bold (filled and stroked), else None."""
    state = {"fill": BLACK, "mode": 0, "width": 0.0}
    saved, looks, place = [], {}, None
    token = (
        r"\bq\b|\bQ\b|(?P<rgb>[\d.]+ [\d.]+ [\d.]+) rg|(?P<grey>[\d.]+) g\b|(?P<mode>\d) Tr"
        r"|(?P<width>[\d.]+) w\b|(?P<x>[\d.]+) (?P<y>[\d.]+) Td|\((?:\\.|[^\\)])*\) Tj"
    )
    for m in re.finditer(token, _stream(page)):
        found = m.group(0)
        if found == "q":
            saved.append(dict(state))
        elif found == "Q":
            state = saved.pop()
        elif m.group("rgb") or m.group("grey"):
            state["fill"] = _colour(m.group("rgb") or m.group("grey"))
        elif m.group("mode"):
            state["mode"] = int(m.group("mode"))
        elif m.group("width"):
            state["width"] = float(m.group("width"))
        elif m.group("x"):
            place = (round(float(m.group("x")) * PT, 1), round(A4[1] - float(m.group("y")) * PT, 1))
        else:
            looks[place] = (state["fill"], state["width"] if state["mode"] == 2 else None)
    return looks


def _look(page, text: str) -> tuple[tuple[int, ...], float | None]:
    x, y, _ = at(runs(page), text)
    return _looks(page)[(x, y)]


def _boxes(page) -> list[tuple[float, float, float, float, str, tuple[int, ...]]]:
    """Each rectangle drawn: (left, top, width, height) in mm, "B" filled and outlined or "S"
    outlined only, and the colour it was filled with (None for "S")."""
    fill, saved, boxes = WHITE, [], []
    token = r"\bq\b|\bQ\b|(?P<rgb>[\d.]+ [\d.]+ [\d.]+) rg|(?P<grey>[\d.]+) g\b"
    token += r"|(?P<box>[\d.-]+ [\d.-]+ [\d.-]+ [\d.-]+) re (?P<style>[BS])"
    token += r"|(?P<text>\((?:\\.|[^\\)])*\) Tj)"
    for m in re.finditer(token, _stream(page)):
        if m.group("text"):
            continue
        if m.group(0) == "q":
            saved.append(fill)
        elif m.group(0) == "Q":
            fill = saved.pop()
        elif m.group("box"):
            x, y, w, h = (float(v) * PT for v in m.group("box").split())
            top = A4[1] - max(y, y + h)
            box = (round(x, 1), round(top, 1), round(w, 1), round(abs(h), 1))
            style = m.group("style")
            boxes.append((*box, style, fill if style == "B" else None))
        else:
            fill = _colour(m.group("rgb") or m.group("grey"))
    return boxes


def _row_of(boxes, top: float):
    return [b for b in boxes if b[1] == top]


def test_the_title_block_is_centred_under_the_top_margin_over_a_red_rule():
    page = _pdf().pages[0]
    text = runs(page)
    # the title bold in 18 pt on a 10 mm line under the 15 mm margin; the street, the period and
    # the date it was made in 10 pt on 6 mm lines, each centred on the page
    assert at(text, "示范街道小巷管家工作2026年11月通报") == (50.0, 21.9, 18)
    assert _look(page, "示范街道小巷管家工作2026年11月通报") == (BLACK, 0.3)
    assert at(text, "示范街道\u30002026年11月") == (86.8, 29.1, 10)
    assert at(text, "统计期间：") == (67.4, 35.1, 10)
    assert at(text, "生成日期：") == (78.3, 41.1, 10)
    for words in ("示范街道\u30002026年11月", "统计期间：", "生成日期："):
        assert _look(page, words) == (BLACK, None)
    # a red rule 0.6 mm thick (1.7 pt) from margin to margin, 2 mm under the date's line; the
    # pen black and 0.2 mm again after it
    rule = re.search(
        r"(?P<colour>[\d.]+ [\d.]+ [\d.]+) RG\n(?P<width>[\d.]+) w\n"
        r"(?P<x1>[\d.]+) (?P<y1>[\d.]+) m (?P<x2>[\d.]+) (?P<y2>[\d.]+) l S\n"
        r"(?P<after>[\d.]+) w\n0 G\n",
        _stream(page),
    )
    assert _colour(rule["colour"]) == RED and rule["width"] == "1.70"
    assert round(float(rule["x1"]) * PT, 1) == 15.0 and round(float(rule["x2"]) * PT, 1) == 195.0
    assert rule["y1"] == rule["y2"] and round(A4[1] - float(rule["y1"]) * PT, 1) == 45.0
    assert rule["after"] == "0.57"


def test_the_month_at_a_glance_is_a_red_headed_table_of_four_equal_centred_columns():
    page = _pdf().pages[0]
    text = runs(page)
    # the heading bold in 12 pt, 3 mm under the rule's 4 mm gap
    assert at(text, "一、总体情况") == (16.0, 55.3, 12)
    assert _look(page, "一、总体情况") == (BLACK, 0.2)
    # the paragraph in 10 pt on 5.5 mm lines, 1 mm inside the left margin
    assert at(text, "本月全街道 4 个社区") == (16.0, 61.8, 10)
    # four columns of 45 mm, the labels white on red, the rates under them, centred in 10 pt
    boxes = [b for b in _boxes(page) if b[3] == 7.5]
    assert boxes == [(x, 64.5, 45.0, 7.5, "B", RED) for x in (15.0, 60.0, 105.0, 150.0)] + [
        (x, 72.0, 45.0, 7.5, "S", None) for x in (15.0, 60.0, 105.0, 150.0)
    ]
    assert [at(text, w) for w in ("响应率", "按期办结率", "解决率", "满意率")] == [
        (32.2, 69.3, 10),
        (73.7, 69.3, 10),
        (122.2, 69.3, 10),
        (167.2, 69.3, 10),
    ]
    assert _look(page, "按期办结率") == (WHITE, None)
    assert at(text, "84.6%（22/26）") == (24.3, 76.8, 10)
    assert at(text, "86.7%（13/15）") == (159.3, 76.8, 10)
    assert _look(page, "86.7%（13/15）") == (BLACK, None)
    # how the items were solved, 2 mm under the table
    assert at(text, "本月办结的 17 件中") == (16.0, 85.3, 10)


def test_the_boards_name_each_place_under_a_green_or_red_label_with_its_figures_indented():
    page = _pdf().pages[0]
    text = runs(page)
    assert at(text, "二、红榜与待改进") == (16.0, 95.3, 12)
    # each label bold in 10 pt on a 6 mm line, 红榜 green and 待改进 red
    assert at(text, "红榜（社区）") == (16.0, 102.1, 10)
    assert _look(page, "红榜（社区）") == (GREEN_TEXT, 0.17)
    assert at(text, "待改进（社区）") == (16.0, 117.7, 10)
    assert _look(page, "待改进（社区）") == (RED_TEXT, 0.17)
    # each place on a 5 mm line in black 10 pt, its figures under it 4 mm further in, grey
    # 8.5 pt on 4.6 mm lines
    assert at(text, "第 1 名\u3000第1社区") == (16.0, 107.6, 10)
    assert _look(page, "第 1 名\u3000第1社区") == (BLACK, None)
    assert at(text, "件数 8 \u3000 响应率 100.0%") == (20.0, 112.2, 8.5)
    assert _look(page, "件数 8 \u3000 响应率 100.0%") == (GREY, None)
    assert at(text, "第 3 名\u3000第3社区") == (16.0, 123.2, 10)
    # the units' boards 1 mm under the communities'
    assert at(text, "红榜（部门与物业）") == (16.0, 134.3, 10)
    assert _look(page, "红榜（部门与物业）") == (GREEN_TEXT, 0.17)
    assert at(text, "第 1 名\u3000幸福物业") == (16.0, 139.8, 10)
    assert at(text, "待改进（部门与物业）") == (16.0, 149.9, 10)
    assert _look(page, "待改进（部门与物业）") == (RED_TEXT, 0.17)
    assert at(text, "件数 6 \u3000 响应率 50.0%（3/6） \u3000 按期办结率 50.0%") == (
        20.0,
        160.0,
        8.5,
    )


def test_a_boards_figures_too_long_for_a_line_wrap_between_figures_on_4_6_mm_lines():
    lines = bulletin_month.communities()
    lines[0].row.counts = {k: (88888, 88888) for k in bulletin_month.RATES}
    page = _pdf(bulletin_month.month(communities=lines)).pages[0]
    figures = [r for r in runs(page) if r[2] == 8.5 and 110 < r[1] < 125]
    assert [(x, y) for x, y, _, _ in figures] == [(20.0, 112.2), (20.0, 116.8)]
    assert figures[1][3].startswith("满意率")
    # set as written, not stretched to the line's end (justified text is a TJ array of words
    # with the gaps between them widened)
    assert "TJ" not in _stream(page)


def test_a_ranking_is_a_grid_under_a_white_on_red_header_in_its_columns_widths():
    page = _pdf().pages[0]
    text = runs(page)
    assert at(text, "三、社区排名") == (16.0, 169.7, 12)
    boxes = _boxes(page)
    # the header: 6.2 mm high, red, each heading white, 8.5 pt, centred in its column
    header = _row_of(boxes, 172.4)
    assert [(b[0], b[2]) for b in header] == RANK_COLUMNS
    assert {b[3:] for b in header} == {(6.2, "B", RED)}
    headings = [r for r in text if r[1] == 176.4]
    assert [(x, s, t) for x, _, s, t in headings] == [
        (17.5, 8.5, "排名"),
        (41.5, 8.5, "名称"),
        (66.0, 8.5, "件数"),
        (82.5, 8.5, "响应率"),
        (103.5, 8.5, "按期办结率"),
        (130.5, 8.5, "解决率"),
        (154.5, 8.5, "满意率"),
        (173.5, 8.5, "超期"),
        (185.5, 8.5, "得分"),
    ]
    assert {_looks(page)[(x, y)] for x, y, _, _ in headings} == {(WHITE, None)}
    # the rows 10.4 mm high (a rate over its counts, 4.2 mm lines and 1 mm above and below),
    # 红榜's row green, 待改进's red, the others unshaded, each cell outlined
    tops = (178.6, 189.0, 199.4, 209.8)
    shades = [("B", GOOD), ("S", None), ("B", BAD), ("S", None)]
    for top, (style, fill) in zip(tops, shades, strict=True):
        row = _row_of(boxes, top)
        assert [(b[0], b[2]) for b in row] == RANK_COLUMNS
        assert {b[3:] for b in row} == {(10.4, style, fill)}
    # the outlines grey (160) and 0.15 mm; black and 0.2 mm again after the grid
    grid = _stream(page).split("0.6275 0.6275 0.6275 RG\n0.43 w\n")
    assert len(grid) == 3  # the two rankings
    assert grid[1].count(" re ") == 9 * 5 and grid[2].count(" re ") == 9 * 3
    assert "\n0 G\n1 1 1 rg\n0.57 w\n" in grid[1]


def test_a_rankings_cells_are_aligned_by_column_and_their_lines_centred_in_the_row():
    page = _pdf().pages[0]
    text = runs(page)
    row = [r for r in text if 182 <= r[1] <= 187]
    # a one-line cell halfway down the row; a rate's two lines 4.2 mm apart around it
    assert [(x, y, t) for x, y, _, t in row] == [
        (19.7, 184.7, "1"),  # 排名 centred
        (28.0, 184.7, "第1社区"),  # the name left, 2 mm inside its column
        (71.3, 184.7, "8"),  # the numbers right-aligned
        (86.7, 182.6, "100.0%"),
        (92.5, 186.8, "8/8"),
        (110.7, 182.6, "100.0%"),
        (116.5, 186.8, "8/8"),
        (134.7, 182.6, "100.0%"),
        (140.5, 186.8, "6/6"),
        (158.7, 182.6, "100.0%"),
        (164.5, 186.8, "6/6"),
        (178.3, 184.7, "0"),
        (185.5, 184.7, "100.0"),
    ]
    assert {s for _, _, s, _ in row} == {8.5}
    assert {_looks(page)[(x, y)] for x, y, _, _ in row} == {(BLACK, None)}
    # right-aligned: a longer figure starts further left and ends where the shorter one ends
    second = {t: x for x, y, _, t in text if 192 < y < 198}
    assert second["10"] == 69.7  # the row above's "8" starts at 71.3
    assert second["90.0%"] == 88.4 and second["9/10"] == 90.8 and second["81.9"] == 187.2
    # an unranked row's dash centred like a place
    assert at(text, "第4社区") == (28.0, 215.9, 8.5)
    assert (19.2, 215.9, 8.5, "—") in text


def test_a_units_ranking_names_each_unit_over_its_kind_and_the_notes_under_it_are_grey():
    page = _pdf().pages[0]
    text = runs(page)
    assert at(text, "四、部门与物业排名") == (16.0, 233.5, 12)
    assert _look(page, "四、部门与物业排名") == (BLACK, 0.2)
    assert at(text, "单位") == (41.5, 240.2, 8.5)
    # the name over its kind (and community), two lines left in the name's column
    assert at(text, "幸福物业") == (28.0, 246.4, 8.5)
    assert at(text, "物业·第2社区") == (28.0, 250.6, 8.5)
    assert at(text, "住建办") == (28.0, 256.8, 8.5)
    boxes = _boxes(page)
    assert {b[3:] for b in _row_of(boxes, 242.4)} == {(10.4, "B", GOOD)}
    assert {b[3:] for b in _row_of(boxes, 252.8)} == {(10.4, "B", BAD)}
    # the notes under a grid: grey 8.5 pt on 5 mm lines, 1 mm inside the margin
    for note, place in (
        ("“—”为当月件数少于 5 件", (16.0, 223.6, 8.5)),
        ("本月没有交办事项的：城管办。", (16.0, 266.6, 8.5)),
        ("绿色为红榜，红色为待改进。", (16.0, 271.6, 8.5)),
    ):
        assert at(text, note) == place
        assert _look(page, note) == (GREY, None)


def test_the_notable_items_are_tables_in_their_columns_under_bold_subheadings():
    page = _pdf().pages[1]
    text = runs(page)
    # a heading that would fall in the last 45 mm of a page starts the next one
    assert at(text, "五、本月重点事项") == (16.0, 23.3, 12)
    assert at(text, "超期最久（月末仍未办结）") == (16.0, 30.1, 10)
    assert _look(page, "超期最久（月末仍未办结）") == (BLACK, 0.17)
    # columns of 24, 34, 22, 72 and 28 mm; the last right-aligned; headings white on red
    headings = [r for r in text if r[1] == 36.2]
    assert [(x, s, t) for x, _, s, t in headings] == [
        (16.0, 8.5, "编号"),
        (40.0, 8.5, "社区 / 街巷"),
        (74.0, 8.5, "类别"),
        (96.0, 8.5, "内容"),
        (182.0, 8.5, "超期天数"),
    ]
    assert {_looks(page)[(x, y)] for x, y, _, _ in headings} == {(WHITE, None)}
    widths = [(15.0, 24.0), (39.0, 34.0), (73.0, 22.0), (95.0, 72.0), (167.0, 28.0)]
    boxes = _boxes(page)
    assert [(b[0], b[2]) for b in _row_of(boxes, 32.0)] == widths
    assert {b[3:] for b in _row_of(boxes, 32.0)} == {(6.6, "B", RED)}
    # rows of two 4.6 mm lines and 1 mm padding, unshaded: the community over its alley, the
    # days over the unit, right-aligned
    assert {b[3:] for b in _row_of(boxes, 38.6)} == {(11.2, "B", WHITE)}
    assert at(text, "W20261105001") == (16.0, 45.1, 8.5)
    assert [r[:2] for r in text if r[3] in ("第2社区", "2巷")][:2] == [(40.0, 42.8), (40.0, 47.4)]
    assert at(text, "23 天") == (187.0, 42.8, 8.5)
    assert at(text, "住建办") == (185.0, 47.4, 8.5)
    assert at(text, "7 天") == (188.7, 56.3, 8.5)
    assert _look(page, "路灯坏了没人修") == (BLACK, None)
    # the second table 2 mm under the first, under its own subheading
    assert at(text, "关注最多（本月反映）") == (16.0, 67.1, 10)
    assert at(text, "关注人数") == (182.0, 73.2, 8.5)
    assert at(text, "4 人") == (188.7, 82.1, 8.5)


def test_the_definitions_are_grey_notes_and_the_lines_to_sign_close_the_last_page():
    page = _pdf().pages[1]
    text = runs(page)
    assert at(text, "六、统计口径") == (16.0, 95.1, 12)
    # each definition grey 8.5 pt from 1 mm inside the margin, wrapped on 5 mm lines
    definitions = [r for r in text if 100 < r[1] < 160]
    assert [(x, y, s) for x, y, s, _ in definitions] == [
        (16.0, round(101.2 + 5 * k, 1), 8.5) for k in range(12)
    ]
    assert {_looks(page)[(x, y)] for x, y, _, _ in definitions} == {(GREY, None)}
    # 制表, 审核 and the date on one line in black 11 pt, a third of the width apart, 10 mm
    # under the last definition's line
    assert at(text, "制表：") == (16.0, 173.0, 11)
    assert at(text, "审核：") == (76.0, 173.0, 11)
    assert at(text, "日期：") == (136.0, 173.0, 11)
    assert _look(page, "制表：") == (BLACK, None)


def test_every_page_has_its_footer_in_grey_8_point_12_mm_above_the_bottom():
    for page in _pdf().pages:
        assert at(runs(page), "示范街道小巷管家工作2026年11月通报\u3000第") == (67.9, 288.8, 8)
        assert _look(page, "示范街道小巷管家工作2026年11月通报\u3000第") == ((110,) * 3, None)


def _crowded(n: int = 60) -> list[Line]:
    rows = []
    for i in range(n):
        row = Row(id=500 + i, name=f"第{i + 1}社区", kind="community", volume=9)
        row.counts = {k: (9 - i % 5, 9) for k in bulletin_month.RATES}
        rows.append(Line(row))
    return bulletin.ranked_lines(rows, bulletin_month.WEIGHTS, min_volume=5)


def test_a_ranking_running_onto_new_pages_repeats_its_header_at_the_top_of_each():
    reader = _pdf(bulletin_month.month(communities=_crowded()))
    first, second = reader.pages[0], reader.pages[1]
    # the rows stop above the 18 mm bottom margin (279 mm), where another would not fit
    last = max(b[1] + b[3] for b in _boxes(first))
    assert last <= 279 < last + 10.4
    assert at(runs(first), "第26社区")[1] == 264.7
    # the next page: the header again at the 15 mm margin, the rows under it, 24 to a page
    boxes = _boxes(second)
    assert [(b[0], b[2]) for b in _row_of(boxes, 15.0)] == RANK_COLUMNS
    assert {b[3:] for b in _row_of(boxes, 15.0)} == {(6.2, "B", RED)}
    assert at(runs(second), "排名") == (17.5, 19.0, 8.5)
    assert _look(second, "排名") == (WHITE, None)
    assert at(runs(second), "第31社区") == (28.0, 27.3, 8.5)
    tops = sorted({b[1] for b in boxes if b[3] == 10.4})
    assert tops == [round(21.2 + 10.4 * k, 1) for k in range(24)]
    # the grey outline and the row's shade carry over the page break
    assert "0.6275 0.6275 0.6275 RG" in _stream(second)


def test_each_part_with_nothing_to_show_says_so_in_a_grey_9_point_line():
    page = _pdf(bulletin_month.quiet()).pages[0]
    text = runs(page)
    for words in (
        "参与排名的社区不足两个",
        "参与排名的部门与物业不足两个",
        "本街道还没有社区。",
        "本街道还没有登记部门或物业。",
        "月末没有超期未办结的诉求。",
        "本月反映的诉求没有人关注。",
    ):
        x, _, size = at(text, words)
        assert (x, size) == (16.0, 9)
        assert _look(page, words) == (GREY, None)
    # the headings between them stay black
    assert _look(page, "四、部门与物业排名") == (BLACK, 0.2)
    idle = [x for x in bulletin_month.units() if not x.volume]
    page = _pdf(bulletin_month.quiet(units=idle)).pages[0]
    assert at(runs(page), "本月没有交办给部门或物业的诉求。")[::2] == (16.0, 9)
    assert _look(page, "本月没有交办给部门或物业的诉求。") == (GREY, None)


def test_the_units_board_keeps_its_sizes_under_a_line_saying_the_communities_have_none():
    # one community ranked: no board for communities, one line saying so; the units' board
    # under it reads as it does under a communities' board, its places in black 10 pt
    ranked = [x for x in bulletin_month.communities() if x.ranked][:1]
    page = _pdf(bulletin_month.month(communities=ranked)).pages[0]
    text = runs(page)
    assert at(text, "参与排名的社区不足两个")[::2] == (16.0, 9)
    assert at(text, "红榜（部门与物业）")[::2] == (16.0, 10)
    assert at(text, "第 1 名\u3000幸福物业")[::2] == (16.0, 10)
    assert _look(page, "第 1 名\u3000幸福物业") == (BLACK, None)
    assert at(text, "件数 5 \u3000 响应率 100.0%")[::2] == (20.0, 8.5)
    assert at(text, "第 2 名\u3000住建办")[::2] == (16.0, 10)


def test_a_subheading_that_would_fall_in_the_last_40_mm_of_a_page_starts_the_next_with_its_table():
    # 18 communities push 关注最多 to 257.4 mm, into the 40 mm above the foot of the page
    reader = _pdf(bulletin_month.month(communities=_crowded(18)))
    second, third = (runs(p) for p in reader.pages[1:3])
    assert at(second, "超期最久（月末仍未办结）")[1] == 224.5
    assert at(second, "W20261120002")[1] == 250.7
    assert not any(t.startswith("关注最多") for _, _, _, t in second)
    # on the next page at the 15 mm margin, in bold 10 pt, its table's heading right under it
    assert at(third, "关注最多（本月反映）") == (16.0, 19.1, 10)
    assert at(third, "关注人数")[1] == 25.2


def test_the_notes_under_a_ranking_name_every_unranked_community_and_idle_unit_in_a_list():
    communities = [
        *bulletin_month.communities(),
        bulletin_month.line(105, "第5社区", "community", 1, ((1, 1), (1, 1), (1, 1), (1, 1))),
    ]
    units = [*bulletin_month.units(), bulletin_month.line(204, "综治办", "department", 0, ())]
    b = bulletin_month.month(
        communities=bulletin.ranked_lines(communities, bulletin_month.WEIGHTS, min_volume=5),
        units=bulletin.ranked_lines(units, bulletin_month.WEIGHTS, min_volume=5),
    )
    text = [t for page in _pdf(b).pages for _, _, _, t in runs(page)]
    assert (
        "“—”为当月件数少于 5 件、只列出不参与排名的：第4社区、第5社区。绿色为红榜，红色为待改进。"
        in [t.replace("\u00a0", " ") for t in text]
    )
    assert "本月没有交办事项的：城管办、综治办。" in text


def test_a_name_that_fits_its_cell_is_printed_whole_on_one_line_spaces_and_all():
    lines = bulletin_month.communities()
    lines[0].row.name = "幸福里第一居民委员会暨1"  # 34.6 mm at 8.5 pt: the cell's 35 mm less 0.4
    lines[1].row.name = "和平里 二社区"
    page = _pdf(bulletin_month.month(communities=lines)).pages[0]
    names = [(y, t) for x, y, _, t in runs(page) if x == 28.0]
    assert names[:2] == [(184.7, "幸福里第一居民委员会暨1"), (195.1, "和平里 二社区")]


def _pages_of(reader, text: str) -> list[int]:
    return [n for n, p in enumerate(reader.pages) if any(r[3].startswith(text) for r in runs(p))]


def test_a_heading_with_45_mm_left_under_it_stays_at_the_foot_of_the_page():
    # two communities, the first with figures long enough to wrap on the board, and no idle
    # unit: the units' ranking ends 45 mm above the foot of the first page (252 mm)
    communities = _crowded(2)
    communities[0].row.counts = {k: (88888, 88888) for k in bulletin_month.RATES}
    communities = bulletin.ranked_lines(
        [Line(x.row) for x in communities], bulletin_month.WEIGHTS, min_volume=5
    )
    units = [x for x in bulletin_month.units() if x.volume]
    reader = _pdf(bulletin_month.month(communities=communities, units=units))
    assert _pages_of(reader, "四、部门与物业排名") == _pages_of(reader, "五、本月重点事项") == [0]
    assert at(runs(reader.pages[0]), "五、本月重点事项") == (16.0, 260.3, 12)


def test_a_subheading_with_40_mm_left_under_it_stays_at_the_foot_of_the_page():
    # 20 communities, a long list of how items were solved and no idle unit: the first
    # notable table's subheading comes 40 mm above the foot of a page (257 mm)
    levels = {f"很长的办结方式名称第{i}种": i for i in range(12)}
    units = [x for x in bulletin_month.units() if x.volume]
    reader = _pdf(bulletin_month.month(communities=_crowded(20), units=units, levels=levels))
    (page,) = _pages_of(reader, "超期最久（月末仍未办结）")
    assert _pages_of(reader, "五、本月重点事项") == [page]
    assert at(runs(reader.pages[page]), "超期最久（月末仍未办结）") == (16.0, 261.1, 10)


def test_a_notable_table_running_onto_a_new_page_repeats_its_heading_there():
    items = [
        bulletin_month.notable(
            100 + i,
            f"W202611050{i:02d}",
            f"第{i}件诉求",
            datetime(2026, 11, 7, 1, 0),
            overdue_days=30 - i % 20,
            unit="住建办",
        )
        for i in range(40)
    ]
    reader = _pdf(bulletin_month.month(longest_overdue=items))
    second, third = (runs(p) for p in reader.pages[1:3])
    # 21 rows of 11.2 mm on the page the table starts on, the last above the bottom margin
    numbers = [(y, t) for x, y, _, t in second if t.startswith("W2026")]
    assert numbers[0] == (45.1, "W20261105000") and numbers[-1] == (269.1, "W20261105020")
    assert max(y for _, y, _, _ in second if y < 285) < 279
    # the rest on the next page under the table's heading again, at the 15 mm margin
    assert at(third, "编号") == (16.0, 19.2, 8.5)
    assert at(third, "超期天数") == (182.0, 19.2, 8.5)
    assert at(third, "W20261105021") == (16.0, 28.1, 8.5)


def test_the_file_is_titled_with_the_bulletins_title_and_made_by_xiaoxiang_guanjia():
    # what a PDF viewer shows in its title bar and document properties
    metadata = _pdf().metadata
    assert metadata.title == "示范街道小巷管家工作2026年11月通报"
    assert metadata.creator == "小巷管家"
