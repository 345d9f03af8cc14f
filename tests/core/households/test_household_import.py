"""`import-households FILE [--dry-run]`: .csv (UTF-8, GBK) and .xlsx sheets read like the
roster, checked whole (every bad row named by its row number, nothing half-imported),
re-imports updating and never duplicating, a dry run writing nothing."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from core.households import sheet
from models import Event, Household
from tests.factories import make_district

HEADER = ["社区", "街巷", "管家手机号", "地址", "户主", "户主电话", "成员", "标签", "备注"]


@pytest.fixture
def d(app):
    return make_district()


def rows(d):
    s11, s12 = d.stewards[0].phone, d.stewards[1].phone
    return [
        [
            "第1社区",
            "1区1巷",
            s11,
            "1区1巷3号",
            "王大爷",
            "13811112222",
            "李秀兰/配偶/1950；王小明/孙子/2015/13900001111",
            "独居老人、低保",
            "腿脚不便",
        ],
        ["第1社区", "1区2巷", s12, "1区2巷8号", "赵奶奶", "", "", "残疾", ""],
    ]


def write_csv(path, table, encoding="utf-8-sig"):
    buf = io.StringIO()
    csv.writer(buf).writerows(table)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_dry_run_then_import_then_reimport_updates(app, d, tmp_path):
    runner = app.test_cli_runner()
    path = write_csv(tmp_path / "hh.csv", [HEADER, *rows(d)])
    result = runner.invoke(args=["import-households", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "新增 2 户，更新 0 户" in result.output and "第2行 新增：1区1巷3号" in result.output
    assert Household.select().count() == 0

    result = runner.invoke(args=["import-households", str(path)])
    assert result.exit_code == 0, result.output
    wang = Household.get(Household.address == "1区1巷3号")
    assert wang.steward_id == d.stewards[0].id and wang.alley_id == d.alleys[0].id
    assert wang.community_id == d.communities[0].id
    assert wang.members == [
        {"name": "李秀兰", "relation": "配偶", "birth_year": 1950, "phone": "", "notes": ""},
        {
            "name": "王小明",
            "relation": "孙子",
            "birth_year": 2015,
            "phone": "13900001111",
            "notes": "",
        },
    ]
    assert wang.tags == ["独居老人", "低保"] and wang.head_phone == "13811112222"
    event = Event.get(Event.action == "households.import")
    assert event.data["created"] == 2 and event.actor_label == "命令行"

    # the same file again: nothing changes
    result = runner.invoke(args=["import-households", str(path)])
    assert "新增 0 户，更新 0 户，无变化 2 户" in result.output
    # a changed phone, blank members/tags: updated, the blanks keep what is stored
    changed = rows(d)
    changed[0][5] = "13811119999"
    changed[0][6] = ""
    changed[0][7] = ""
    write_csv(path, [HEADER, *changed])
    dry = runner.invoke(args=["import-households", str(path), "--dry-run"])
    assert "更新 1 户" in dry.output and "第2行 更新：1区1巷3号" in dry.output
    assert Household.get_by_id(wang.id).head_phone == "13811112222"  # dry run wrote nothing
    runner.invoke(args=["import-households", str(path)])
    assert Household.select().count() == 2
    wang = Household.get_by_id(wang.id)
    assert wang.head_phone == "13811119999" and len(wang.members) == 2 and wang.tags


def test_every_bad_row_is_named_and_nothing_is_written(app, d, tmp_path):
    good = rows(d)
    table = [
        HEADER,
        good[0],
        ["第9社区", "1区1巷", d.stewards[0].phone, "x号", "甲", "", "", "", ""],  # row 3
        ["第1社区", "1区1巷", d.stewards[2].phone, "y号", "乙", "", "", "", ""],  # row 4
        ["第1社区", "1区1巷", d.stewards[0].phone, "z号", "丙", "123", "", "富豪", ""],  # 5
        ["第1社区", "1区1巷", d.stewards[0].phone, "1区1巷3号", "丁", "", "", "", ""],  # 6
        ["第1社区", "1区1巷", d.stewards[0].phone, "w号", "", "", "小明/儿子/1700", "", ""],  # 7
    ]
    path = write_csv(tmp_path / "bad.csv", table)
    result = app.test_cli_runner().invoke(args=["import-households", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "第3行 社区：找不到“第9社区”" in out
    assert "第4行 管家手机号：" in out and "不是“1区1巷”在任的管家" in out
    assert "第5行 户主电话：" in out and "第5行 标签：“富豪”不是可选的标签" in out
    assert "第6行 地址：与第2行是同一社区的同一地址" in out
    assert "第7行 户主：不能为空" in out and "第7行 成员：第1位成员的出生年份" in out
    assert Household.select().count() == 0
    assert not Event.select().where(Event.action == "households.import").exists()


def test_gbk_csv_and_xlsx(app, d, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", [HEADER, *rows(d)], encoding="gbk")
    result = sheet.import_file(path, label="t")
    assert result.created == 2
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2026年包联户名单"])  # a title row above the header
    ws.append(["街道", *HEADER])
    ws.append(
        [
            "示范街道",
            "第1社区",
            "1区1巷",
            int(d.stewards[0].phone),
            "1区1巷4号",
            "钱叔",
            13811116666,
            "",
            "留守儿童",
            "",
        ]
    )
    xlsx = tmp_path / "hh.xlsx"
    wb.save(xlsx)
    result = sheet.import_file(xlsx, label="t")
    assert (result.created, result.unchanged) == (1, 0)
    assert Household.get(Household.address == "1区1巷4号").head_phone == "13811116666"


def test_scope_refuses_other_communities(app, d, tmp_path):
    table = [HEADER, ["第2社区", "2区1巷", d.stewards[2].phone, "2区1巷1号", "孙", "", "", "", ""]]
    with pytest.raises(sheet.SheetError) as exc:
        sheet.import_table(table, label="t", within=[d.communities[0]])
    assert exc.value.problems == ["第2行 社区：不在您的管辖范围内"]


def test_missing_header(app, d, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["社区", "地址", "户主"], ["第1社区", "a", "b"]])
    with pytest.raises(sheet.SheetError) as exc:
        sheet.import_file(path, label="t")
    assert "缺少必填列“街巷”、“管家手机号”" in exc.value.problems[0]
