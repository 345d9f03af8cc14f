"""The monthly bulletin as a spreadsheet (`core.figures.bulletin_xlsx`), read back with openpyxl
from a month made by hand (`tests/core/figures/bulletin_month.py`): the four sheets in order,
each sheet's title line, header and every row a secretary reads — the month at a glance, the
rankings with the counts behind every rate and the board each line is on, the notable items —
and which cells show as percentages."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from core.figures import bulletin_xlsx
from core.figures.bulletin import Line
from core.figures.league import Row
from tests.core.figures import bulletin_month

PERIOD = "2026年11月01日 至 2026年11月30日"
PERCENT = "0.0%"


def _book(b=None):
    return load_workbook(io.BytesIO(bulletin_xlsx.render(b or bulletin_month.month())))


def _values(ws, first: int = 3) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=first)]


def _formats(ws, first: int = 3) -> list[list[str]]:
    return [[c.number_format for c in row] for row in ws.iter_rows(min_row=first)]


def test_the_workbook_has_its_four_sheets_each_titled_with_the_month_and_when_it_was_made(app):
    wb = _book()
    assert wb.sheetnames == ["汇总", "社区排名", "部门与物业排名", "重点事项"]
    for ws in wb:
        assert ws["A1"].value == (
            f"示范街道小巷管家工作2026年11月通报·{ws.title}　统计期间：{PERIOD}"
            "　生成时间：2026-12-02 10:30"  # made at 02:30 UTC: Shanghai's time
        )


def test_the_summary_reads_the_month_its_rates_how_items_were_solved_and_the_definitions(app):
    ws = _book()["汇总"]
    assert [c.value for c in ws[2]] == ["项目", "数值", "分子", "分母"]
    rows = _values(ws)
    assert rows[:22] == [
        ["街道", "示范街道", None, None],
        ["月份", "2026年11月", None, None],
        ["统计期间", PERIOD, None, None],
        ["社区数", 4, None, None],
        ["诉求件数", 26, None, None],
        ["当月办结", 17, None, None],
        ["超期（生成时）", 3, None, None],
        ["吹哨交办部门与物业", 11, None, None],  # 6 + 5 + 0
        ["响应率", 0.8462, 22, 26],
        ["按期办结率", 0.7692, 20, 26],
        ["解决率", 0.8824, 15, 17],
        ["满意率", 0.8667, 13, 15],
        [None, None, None, None],
        ["办结方式", "件数", None, None],
        ["现场解决", 11, None, None],
        ["上报社区", 4, None, None],
        ["吹哨联合", 2, None, None],
        [None, None, None, None],
        ["得分权重", "权重", None, None],
        ["响应率", 0.1, None, None],
        ["按期办结率", 0.2, None, None],
        ["解决率", 0.35, None, None],
    ]
    assert rows[22:26] == [
        ["满意率", 0.35, None, None],
        ["参与排名的最少件数", 5, None, None],
        [None, None, None, None],
        ["统计口径", None, None, None],
    ]
    definitions = [r[0] for r in rows[26:]]
    assert definitions[0] == "各项指标与街道总览同一口径。" and len(definitions) == 7
    assert definitions[-1].startswith("排名按综合得分（不按单项）：综合得分 = 响应率 10%")
    # only the four rates are percentages; the counts and the weights are plain numbers
    formats = _formats(ws)
    assert [r[1] for r in formats[8:12]] == [PERCENT] * 4
    assert {f for r in formats[:8] + formats[12:] for f in r} == {"General"}
    assert {f for r in formats[8:12] for f in (r[0], r[2], r[3])} == {"General"}


def test_a_summary_rate_with_nothing_to_count_is_a_dash_with_its_zero_counts(app):
    # a street with nothing this month: no community, no unit, a total without any counts
    b = bulletin_month.month(
        total=Line(Row(id=1, name="示范街道", kind="street")),
        communities=[],
        units=[],
        levels={"现场解决": 0, "上报社区": 0, "吹哨联合": 0},
        longest_overdue=[],
        most_followed=[],
    )
    wb = _book(b)
    rows = _values(wb["汇总"])
    assert rows[3:12] == [
        ["社区数", 0, None, None],
        ["诉求件数", 0, None, None],
        ["当月办结", 0, None, None],
        ["超期（生成时）", 0, None, None],
        ["吹哨交办部门与物业", 0, None, None],
        ["响应率", "—", 0, 0],
        ["按期办结率", "—", 0, 0],
        ["解决率", "—", 0, 0],
        ["满意率", "—", 0, 0],
    ]
    assert {f for r in _formats(wb["汇总"]) for f in r} == {"General"}
    # the other sheets: their header and nothing under it, the filter over the header alone
    for title, last in (("社区排名", "U"), ("部门与物业排名", "W"), ("重点事项", "J")):
        ws = wb[title]
        assert ws.max_row == 2 and ws.auto_filter.ref == f"A2:{last}2"


COMMUNITY_HEADER = [
    "排名",
    "社区",
    "件数",
    "响应率",
    "按时响应",
    "应响应",
    "按期办结率",
    "按期办结",
    "期限已定",
    "解决率",
    "已解决",
    "应解决",
    "满意率",
    "满意",
    "评价",
    "超期",
    "现场解决",
    "上报社区",
    "吹哨联合",
    "得分",
    "榜单",
]


def test_the_communities_ranking_reads_each_rate_with_its_counts_the_score_and_the_board(app):
    ws = _book()["社区排名"]
    assert [c.value for c in ws[2]] == COMMUNITY_HEADER
    # a rate of 1.0 is stored as the number 1 (shown 100.0%); no rating: a dash
    # fmt: off
    assert _values(ws) == [
        [1, "第1社区", 8, 1, 8, 8, 1, 8, 8, 1, 6, 6, 1, 6, 6, 0, 6, 0, 1, 100, "红榜"],
        [2, "第2社区", 10, 0.9, 9, 10, 0.8, 8, 10, 0.875, 7, 8, 0.75, 6, 8, 2, 5, 3, 0, 81.9,
         None],
        [3, "第3社区", 6, 0.5, 3, 6, 0.3333, 2, 6, 0.5, 1, 2, "—", 0, 0, 1, 0, 1, 0, 44.9,
         "待改进"],
        ["—", "第4社区", 2, 1, 2, 2, 1, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 100,
         "不参与排名（少于 5 件）"],
    ]
    # fmt: on
    # the rates are percentages, a dash is not; the counts and the score are plain numbers
    rates = {COMMUNITY_HEADER.index(n) for n in ("响应率", "按期办结率", "解决率", "满意率")}
    for values, formats in zip(_values(ws), _formats(ws), strict=True):
        for i, (value, number_format) in enumerate(zip(values, formats, strict=True)):
            wanted = PERCENT if i in rates and value != "—" else "General"
            assert number_format == wanted, (values[1], COMMUNITY_HEADER[i])
    assert ws.auto_filter.ref == "A2:U6"


def test_the_units_ranking_names_each_units_kind_and_its_community(app):
    ws = _book()["部门与物业排名"]
    header = [c.value for c in ws[2]]
    assert header == ["排名", "单位", "类型", "所属社区", *COMMUNITY_HEADER[2:]]
    # fmt: off
    assert _values(ws) == [
        [1, "幸福物业", "物业", "第2社区", 5, 1, 5, 5, 0.8, 4, 5, 1, 3, 3, 1, 3, 3, 0, 0, 0, 1,
         96, "红榜"],
        [2, "住建办", "部门", None, 6, 0.5, 3, 6, 0.5, 3, 6, 0.5, 2, 4, 0.25, 1, 4, 1, 0, 0, 1,
         41.2, "待改进"],
        # nothing this month: every rate a dash over 0/0, no score, not ranked
        ["—", "城管办", "部门", None, 0, "—", 0, 0, "—", 0, 0, "—", 0, 0, "—", 0, 0, 0, 0, 0, 0,
         "—", "不参与排名（少于 5 件）"],
    ]
    # fmt: on
    rates = {header.index(n) for n in ("响应率", "按期办结率", "解决率", "满意率")}
    formats = _formats(ws)
    assert [i for i, f in enumerate(formats[0]) if f == PERCENT] == sorted(rates)
    assert [i for i, f in enumerate(formats[1]) if f == PERCENT] == sorted(rates)
    assert set(formats[2]) == {"General"}
    assert ws.auto_filter.ref == "A2:W5"


def test_the_notable_items_list_the_longest_overdue_then_the_most_followed(app):
    ws = _book()["重点事项"]
    assert [c.value for c in ws[2]] == [
        "事项",
        "编号",
        "社区",
        "街巷",
        "类别",
        "内容",
        "办理期限",
        "超期天数",
        "关注人数",
        "办理单位",
    ]
    # the deadline is Shanghai's wall-clock time, a real date; no unit: an empty cell
    assert _values(ws) == [
        [
            "超期最久",
            "W20261105001",
            "第2社区",
            "2巷",
            "设施损坏",
            "路灯坏了没人修",
            datetime(2026, 11, 7, 9, 0),
            23,
            None,
            "住建办",
        ],
        [
            "超期最久",
            "W20261120002",
            "第3社区",
            "3巷",
            "安全隐患",
            "楼道堆物",
            datetime(2026, 11, 22, 17, 15),
            7,
            None,
            None,
        ],
        [
            "关注最多",
            "W20261112003",
            "第2社区",
            "2巷",
            "设施损坏",
            "井盖松动",
            datetime(2026, 11, 14, 11, 0),
            None,
            4,
            None,
        ],
    ]
    # the words wrap in their cell (read whole when long); the others stay on one line
    for row in ws.iter_rows(min_row=3):
        assert [c.column for c in row if c.alignment.wrap_text] == [6]
    assert ws.auto_filter.ref == "A2:J5"
