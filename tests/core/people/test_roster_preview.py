"""A roster's row-by-row preview: messy cells cleaned the way a person means them, each row's
新建 / 更新 / 不变 / 错误 with the reason, errors first, and the sheet handed back marked."""

from __future__ import annotations

import io

import openpyxl
import pytest

from core.people import roster, roster_preview
from core.people.roster_file import RosterError
from models import Area, Steward
from tests.core.people.test_roster import GOOD_ROWS, HEADER


def _table(rows):
    return list(enumerate(rows, start=1))


MESSY = [
    ["城关街道小巷管家名单", None, None, None, None, None],  # a merged title
    ["街道", "社区", "网格", "小巷", "姓名", "联系电话"],
    [],
    ["城关街道", "槐树社区", "第１网格", "南门巷", "周  强", "138 0000 0001"],
    ["城关街道", "槐树社区", "第１网格", "北门巷", " 王 秀 英 ", "138-0000-0002"],
    ["城关街道", "槐树社区", "第１网格", "北门巷", "李四", "12345"],
]


def test_messy_sheet_is_cleaned_and_bad_row_comes_first(app):
    preview = roster_preview.preview_table(_table(MESSY))
    assert [(r.line, r.action) for r in preview.rows] == [(6, "错误"), (4, "新建"), (5, "新建")]
    bad, zhou, wang = preview.rows
    assert bad.reasons == ["手机号：“12345”不是有效的手机号（应为 1 开头的 11 位数字）"]
    assert zhou.values["管家姓名"] == "周强" and zhou.values["网格"] == "第1网格"
    assert zhou.values["手机号"] == "13800000001" and zhou.values["街巷"] == "南门巷"
    assert wang.values["管家姓名"] == "王秀英" and wang.values["手机号"] == "13800000002"
    assert zhou.reasons == ["新管家", "新建街道“城关街道”"]
    assert not preview.ok and preview.counts()["错误"] == 1
    assert Steward.select().count() == 0  # a preview writes nothing


def test_known_rows_say_what_changes(app):
    roster.import_table([HEADER, *GOOD_ROWS], label="测试")
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][4] = "王秀 英"  # padding only: unchanged
    rows[1][8] = "40"  # 李建国's households 38 → 40
    rows[3][3] = "新开巷"  # 张桂兰 takes on a new alley
    rows.append(["城关街道", "槐树社区", "第一网格", "槐荫里", "王秀英", "13800000001", "", "", ""])
    preview = roster_preview.preview_table(_table([HEADER, *rows]))
    by_line = {r.line: r for r in preview.rows}
    assert preview.ok
    assert by_line[2].action == "不变" and by_line[2].reasons == []
    assert by_line[3].action == "更新" and by_line[3].reasons == ["包联户数：38 → 40"]
    assert by_line[4].action == "不变"  # the same steward's change is told once
    assert by_line[5].reasons == ["新建街巷“新开巷”"] and by_line[5].action == "更新"
    assert by_line[7].reasons == ["新增负责街巷“槐荫里”"]
    assert preview.result.stewards_updated == 1 and preview.result.links_created == 2


def test_a_dismissed_steward_is_flagged(app):
    roster.import_table([HEADER, *GOOD_ROWS], label="测试")
    Steward.update(active=False).where(Steward.phone == "13800000003").execute()
    preview = roster_preview.preview_table(_table([HEADER, GOOD_ROWS[3]]))
    assert preview.rows[0].reasons == ["此前已离任，导入不会恢复在任"]


def test_database_problems_land_on_their_rows(app):
    roster.import_table([HEADER, *GOOD_ROWS], label="测试")
    street = Area.get(Area.name == "城关街道")
    rows = [["城关街道", "槐树社区", "第一网格", "新巷", "冒名", "13800000009", "", "wxy", ""]]
    preview = roster_preview.preview_table(_table([HEADER, *rows]), within=[street])
    assert preview.rows[0].action == "错误"
    assert "企业微信账号：“wxy”已属于管家王秀英" in preview.rows[0].reasons[0]


def test_missing_column_is_refused_as_a_whole(app):
    with pytest.raises(RosterError) as caught:
        roster_preview.preview_table(_table([["街道", "社区"], ["a", "b"]]))
    assert "缺少必填列" in caught.value.problems[0]


def test_marked_sheet_keeps_every_row_and_marks_the_bad_one(app):
    table = _table(MESSY)
    preview = roster_preview.preview_table(table)
    sheet = openpyxl.load_workbook(io.BytesIO(roster_preview.marked_xlsx(table, preview))).active
    assert sheet.max_row == 6
    assert sheet.cell(2, 7).value == "错误说明"
    assert sheet.cell(6, 5).value == "李四"  # the row where it was, as typed
    assert "12345" in sheet.cell(6, 7).value and sheet.cell(6, 7).fill.fgColor.rgb.endswith(
        "FFE1E1"
    )
    assert sheet.cell(4, 7).value is None and sheet.cell(4, 5).value == "周  强"


def test_a_grid_stored_full_width_is_matched_not_doubled(app):
    rows = [["城关街道", "槐树社区", "第１网格", "南门巷", "周强", "13800000001"]]
    roster.import_table([HEADER[:6], *rows], label="测试")
    Area.update(name="第１网格").where(Area.name == "第1网格").execute()  # an old import's
    roster.import_table([HEADER[:6], *rows], label="测试")
    assert Area.select().where(Area.kind == "grid").count() == 1
