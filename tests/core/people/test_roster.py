"""Roster import: file formats, re-import semantics, validation that writes nothing, the CLI."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from core.people import areas, roster
from models import (
    ALL_MODELS,
    Area,
    Board,
    Event,
    Steward,
    StewardAlley,
)

HEADER = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号", "职责", "企业微信账号", "包联户数"]

GOOD_ROWS = [
    [
        "城关街道",
        "槐树社区",
        "第一网格",
        "南门巷",
        "王秀英",
        "13800000001",
        "信息员、调解员",
        "wxy",
        "46",
    ],
    ["城关街道", "槐树社区", "第一网格", "南门巷", "李建国", "13800000002", "劝导员", "", "38"],
    ["城关街道", "槐树社区", "第一网格", "槐荫里", "李建国", "13800000002", "劝导员", "", "38"],
    ["城关街道", "槐树社区", "第二网格", "打铁巷", "张桂兰", "13800000003", "守护员", "", ""],
    ["城关街道", "清河社区", "清河一网格", "石板巷", "周国平", "13800000004", "", "zgp", "20"],
]


def write_csv(path, rows, encoding="utf-8-sig", header=HEADER):
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, rows, header=HEADER):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def table_counts() -> dict[str, int]:
    return {model.__name__: model.select().count() for model in ALL_MODELS}


def alley(name: str) -> Area:
    return Area.get((Area.kind == "alley") & (Area.name == name))


def board_versions() -> dict[str, int]:
    return {b.alley.name: b.version for b in Board.select().join(Area)}


def assert_good_import():
    street = Area.get(Area.parent.is_null() & (Area.name == "城关街道"))
    assert street.kind == "street" and street.path == f"/{street.id}/"
    assert Area.select().where(Area.kind == "community").count() == 2
    assert Area.select().where(Area.kind == "grid").count() == 3
    assert Area.select().where(Area.kind == "alley").count() == 4
    for area in Area.select():
        # Every path is the parent's path plus the node's own id.
        parent_path = area.parent.path if area.parent_id else "/"
        assert area.path == f"{parent_path}{area.id}/"
    assert [a.name for a in alley("南门巷").ancestors()] == [
        "城关街道",
        "槐树社区",
        "第一网格",
        "南门巷",
    ]

    assert Steward.select().count() == 4
    wang = Steward.get(Steward.phone == "13800000001")
    assert (wang.name, wang.duties, wang.wecom_userid, wang.households) == (
        "王秀英",
        "信息员、调解员",
        "wxy",
        46,
    )
    assert wang.posts == ["信息员", "调解员"]
    li = Steward.get(Steward.phone == "13800000002")
    assert sorted(a.name for a in li.alleys()) == ["南门巷", "槐荫里"]
    assert li.wecom_userid is None
    assert Steward.get(Steward.phone == "13800000003").households == 0
    assert StewardAlley.select().count() == 5
    assert Board.select().count() == 4
    for a in Area.select().where(Area.kind == "alley"):
        assert a.boards.count() == 1


def test_csv_utf8_through_cli(runner, tmp_path):
    path = write_csv(tmp_path / "名单.csv", GOOD_ROWS)
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 0, result.output
    assert "导入完成" in result.output and "新建公示牌 4 块" in result.output
    assert_good_import()

    event = Event.get(Event.action == "roster.import")
    assert event.actor_label == "命令行"
    assert event.area_id == Area.get(Area.name == "城关街道").id
    assert event.data["rows"] == 5
    assert event.data["areas_created"] == 10
    assert event.data["stewards_created"] == 4
    assert event.data["links_created"] == 5
    assert event.data["boards_created"] == 4


def test_csv_without_bom(app, tmp_path):
    path = write_csv(tmp_path / "r.csv", GOOD_ROWS, encoding="utf-8")
    roster.import_file(path, label="测试")
    assert_good_import()


def test_csv_gbk_as_excel_saves_it(runner, tmp_path):
    path = write_csv(tmp_path / "r.csv", GOOD_ROWS, encoding="gbk")
    assert b"\xef\xbb\xbf" not in path.read_bytes()[:3]
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 0, result.output
    assert_good_import()


def test_xlsx_with_numeric_phones_and_blank_rows(runner, tmp_path):
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][5] = 13800000001  # a phone typed as a number
    rows[1][5] = 13800000002.0  # …or read back as a float
    rows[1][8] = 38
    rows.insert(2, [None] * len(HEADER))  # a blank separator row
    path = write_xlsx(tmp_path / "r.xlsx", rows)
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code == 0, result.output
    assert_good_import()


def test_xlsx_row_numbers_count_blank_rows(app, tmp_path):
    rows = [list(GOOD_ROWS[0]), [None] * len(HEADER), [None] * len(HEADER), list(GOOD_ROWS[1])]
    rows[3][5] = "12345"
    with pytest.raises(roster.RosterError) as exc:
        roster.import_file(write_xlsx(tmp_path / "r.xlsx", rows), label="测试")
    assert exc.value.problems == [
        "第5行 手机号：“12345”不是有效的手机号（应为 1 开头的 11 位数字）"
    ]


def test_reimport_same_file_changes_nothing(runner, tmp_path):
    path = write_csv(tmp_path / "r.csv", GOOD_ROWS)
    assert runner.invoke(args=["import-roster", str(path)]).exit_code == 0
    before = table_counts()
    versions = board_versions()
    codes = {b.code for b in Board.select()}

    result = roster.import_file(path, label="测试")
    assert result.areas_created_total == 0
    assert (result.stewards_created, result.stewards_updated) == (0, 0)
    assert result.stewards_unchanged == 4
    assert (result.links_created, result.boards_created, result.boards_bumped) == (0, 0, 0)
    after = table_counts()
    assert after.pop("Event") == before.pop("Event") + 1  # the import is still audited
    assert after == before
    assert board_versions() == versions
    assert {b.code for b in Board.select()} == codes


def test_reimport_with_changes_updates_and_bumps_only_that_alley(app, tmp_path):
    roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][4] = "王秀云"  # renamed (a typo fixed)
    rows[4][6] = "调解员、守护员"  # new duties
    result = roster.import_file(write_csv(tmp_path / "r2.csv", rows), label="测试")

    assert result.stewards_updated == 2 and result.stewards_created == 0
    assert result.boards_bumped == 2
    assert Steward.select().count() == 4
    wang = Steward.get(Steward.phone == "13800000001")
    assert wang.name == "王秀云"
    zhou = Steward.get(Steward.phone == "13800000004")
    assert zhou.duties == "调解员、守护员" and zhou.posts == ["调解员", "守护员"]
    assert board_versions() == {"南门巷": 2, "槐荫里": 1, "打铁巷": 1, "石板巷": 2}


def test_new_steward_on_alley_bumps_its_board(app, tmp_path):
    roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    rows = GOOD_ROWS + [
        ["城关街道", "槐树社区", "第二网格", "打铁巷", "陈淑芬", "13800000005", "", "", ""]
    ]
    result = roster.import_file(write_csv(tmp_path / "r2.csv", rows), label="测试")
    assert (result.stewards_created, result.links_created, result.boards_bumped) == (1, 1, 1)
    assert board_versions() == {"南门巷": 1, "槐荫里": 1, "打铁巷": 2, "石板巷": 1}


def test_blank_optional_cells_keep_stored_values(app, tmp_path):
    roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    short_header = HEADER[:6]
    rows = [r[:6] for r in GOOD_ROWS]
    result = roster.import_file(
        write_csv(tmp_path / "r2.csv", rows, header=short_header), label="测试"
    )
    assert result.stewards_updated == 0
    wang = Steward.get(Steward.phone == "13800000001")
    assert (wang.duties, wang.wecom_userid, wang.households) == ("信息员、调解员", "wxy", 46)


def test_partial_roster_leaves_other_stewards_alone(app, tmp_path):
    roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    before = table_counts()
    roster.import_file(write_csv(tmp_path / "r2.csv", GOOD_ROWS[4:]), label="测试")
    after = table_counts()
    assert after.pop("Event") == before.pop("Event") + 1
    assert after == before
    assert Steward.select().where(Steward.active).count() == 4


def test_three_bad_rows_reported_and_nothing_written(runner, tmp_path):
    roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    before = table_counts()
    rows = [
        ["城关街道", "槐树社区", "第三网格", "新巷", "甲", "13800000011", "", "", ""],  # fine
        ["城关街道", "槐树社区", "第三网格", "新巷", "乙", "1380000", "", "", ""],  # row 3
        ["城关街道", "槐树社区", "第三网格", "", "丙", "13800000013", "", "", ""],  # row 4
        ["城关街道", "新社区", "网格一", "后街", "丁", "13800000014", "", "", "abc"],  # row 5
        ["城关街道", "槐树社区", "第一网格", "南门巷", "王秀英", "13800000001", "", "", ""],
    ]
    path = write_csv(tmp_path / "bad.csv", rows)
    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code != 0
    output = result.output
    assert "导入失败，数据库未做任何修改。共 3 处问题" in output
    assert "第3行 手机号：" in output and "1380000" in output
    assert "第4行 街巷：不能为空" in output
    assert "第5行 包联户数：“abc”不是非负整数" in output
    assert table_counts() == before
    assert not Area.select().where(Area.name.in_(["新巷", "新社区", "后街"])).exists()


def test_all_problems_are_collected(app, tmp_path):
    rows = [
        ["城关街道", "槐树社区", "第一网格", "南门巷", "王秀英", "13800000001", "", "w1", ""],
        ["城关街道", "槐树社区", "第一网格", "槐荫里", "王秀云", "13800000001", "", "", ""],
        ["城关街道", "槐树社区", "第一网格", "槐荫里", "李建国", "13800000002", "", "w1", ""],
        ["城关街道", "", "", "打铁巷", "", "", "", "", "-3"],
    ]
    with pytest.raises(roster.RosterError) as exc:
        roster.import_file(write_csv(tmp_path / "r.csv", rows), label="测试")
    problems = exc.value.problems
    assert problems[0].startswith("第3行 管家姓名：手机号 13800000001 在第2行登记的姓名是“王秀英”")
    assert problems[1].startswith("第4行 企业微信账号：“w1”在第2行已用于手机号 13800000001")
    assert problems[2:] == [
        "第5行 社区：不能为空",
        "第5行 网格：不能为空",
        "第5行 管家姓名：不能为空",
        "第5行 手机号：不能为空",
        "第5行 包联户数：“-3”不是非负整数",
    ]
    assert Area.select().count() == 0


def test_duplicate_rows_are_harmless(app, tmp_path):
    rows = GOOD_ROWS + [GOOD_ROWS[0], GOOD_ROWS[2]]
    result = roster.import_file(write_csv(tmp_path / "r.csv", rows), label="测试")
    assert result.rows == 7 and result.links_created == 5
    assert_good_import()


def test_missing_required_header_is_one_clear_error(runner, tmp_path):
    header = [h for h in HEADER if h != "手机号"]
    rows = [[c for i, c in enumerate(r) if i != 5] for r in GOOD_ROWS]
    path = write_csv(tmp_path / "r.csv", rows, header=header)
    with pytest.raises(roster.RosterError) as exc:
        roster.import_file(path, label="测试")
    assert len(exc.value.problems) == 1
    assert exc.value.problems[0].startswith("第1行 表头：缺少必填列“手机号”")

    result = runner.invoke(args=["import-roster", str(path)])
    assert result.exit_code != 0
    assert "共 1 处问题" in result.output and "缺少必填列“手机号”" in result.output
    assert Area.select().count() == 0


def test_phone_formats_are_normalised(app, tmp_path):
    variants = [
        "１３８００００００２１",  # full-width digits
        "138-0000-0022",
        "+86 138 0000 0023",
        "8613800000024",
        "\u300013800000025\u3000",
    ]
    rows = [
        ["城关街道", "槐树社区", "第一网格", "南门巷", f"管家{i}", phone, "", "", ""]
        for i, phone in enumerate(variants)
    ]
    rows[0][4] = "王\u3000秀英"  # aligned with a full-width space in a hand-made sheet
    roster.import_file(write_csv(tmp_path / "r.csv", rows), label="测试")
    phones = sorted(s.phone for s in Steward.select())
    assert phones == [f"138000000{n}" for n in range(21, 26)]
    assert Steward.get(Steward.phone == "13800000021").name == "王秀英"


def test_households_forms(app, tmp_path):
    rows = [
        ["城关街道", "槐树社区", "第一网格", "南门巷", "甲", "13800000031", "", "", "35户"],
        ["城关街道", "槐树社区", "第一网格", "南门巷", "乙", "13800000032", "", "", "３６"],
    ]
    roster.import_file(write_csv(tmp_path / "r.csv", rows), label="测试")
    assert sorted(s.households for s in Steward.select()) == [35, 36]


def test_name_used_as_another_kind_is_reported(app, tmp_path):
    street, _ = areas.child(None, "street", "城关街道")
    community, _ = areas.child(street, "community", "槐树社区")
    areas.child(community, "alley", "第一网格")  # hand-made: an alley right under a community
    before = table_counts()
    with pytest.raises(roster.RosterError) as exc:
        roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    assert exc.value.problems == [
        "第2行 网格：“第一网格”在“城关街道 / 槐树社区”下已作为街巷存在，不能再作为网格（共 3 行）"
    ]
    assert table_counts() == before


def test_wecom_id_held_by_another_steward_in_database(app, tmp_path):
    Steward.create(name="赵六", phone="13900000009", wecom_userid="wxy")
    with pytest.raises(roster.RosterError) as exc:
        roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    assert exc.value.problems == [
        "第2行 企业微信账号：“wxy”已属于管家赵六（手机号 13900000009），一个企业微信账号只能对应一位管家"
    ]


def test_wecom_ids_can_swap_between_listed_stewards(app, tmp_path):
    roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][7], rows[4][7] = "zgp", "wxy"
    roster.import_file(write_csv(tmp_path / "r2.csv", rows), label="测试")
    assert Steward.get(Steward.phone == "13800000001").wecom_userid == "zgp"
    assert Steward.get(Steward.phone == "13800000004").wecom_userid == "wxy"


def test_failure_midway_leaves_nothing(app, tmp_path, monkeypatch):
    def boom(count):
        raise RuntimeError("disk full")

    monkeypatch.setattr(roster, "_draw_board_codes", boom)
    before = table_counts()
    with pytest.raises(RuntimeError):
        roster.import_file(write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试")
    assert table_counts() == before


def test_title_row_above_header_is_skipped(app, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["城关街道小巷管家名单"])
    ws.append(HEADER)
    for row in GOOD_ROWS:
        ws.append(row)
    wb.save(tmp_path / "r.xlsx")
    result = roster.import_file(tmp_path / "r.xlsx", label="测试")
    assert result.rows == 5
    assert_good_import()


def test_unsupported_file_type(app, tmp_path):
    path = tmp_path / "r.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(roster.RosterError) as exc:
        roster.import_file(path, label="测试")
    assert "另存为" in exc.value.problems[0]


def test_dry_run_writes_nothing(app, tmp_path):
    before = table_counts()
    result = roster.import_file(
        write_csv(tmp_path / "r.csv", GOOD_ROWS), label="测试", dry_run=True
    )
    assert (result.areas_created_total, result.stewards_created, result.links_created) == (10, 4, 5)
    assert result.boards_created == 4
    assert table_counts() == before
