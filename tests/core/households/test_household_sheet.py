"""The households' spreadsheet (core.households.sheet) where the command-line and console tests
do not look: the header's aliases and decorations, each column's bound exactly at the limit,
every row problem's wording and the order they are reported in, the members and tags cells,
which community, alley and steward a row names, what an import creates, updates and leaves
alone, its summary and audit, and the blank template."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine

from core.households import access, cards, plans, sheet
from core.people import areas, phones
from models import Event, Household, Steward, StewardAlley, User
from tests.core.households.world import staff as _staff
from tests.factories import make_district, next_phone

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 9, 0, tzinfo=SH)
START_UTC = datetime(2026, 12, 1, 1, 0)
HEADER = ["社区", "街巷", "管家手机号", "地址", "户主", "户主电话", "成员", "标签", "备注"]


@pytest.fixture
def d(app):
    return make_district()


def _row(d, address="1区1巷3号", head="王大爷", alley=0, **cells) -> list:
    """A data row under HEADER for the first community's alley `alley` and its steward."""
    values = {
        "社区": "第1社区",
        "街巷": d.alleys[alley].name,
        "管家手机号": d.stewards[alley].phone,
        "地址": address,
        "户主": head,
        **cells,
    }
    return [values.get(name, "") for name in HEADER]


def _problems(table, **kw) -> list[str]:
    with pytest.raises(sheet.SheetError) as err:
        sheet.import_table(table, label="测试", **kw)
    assert Household.select().count() == 0
    return err.value.problems


# --- the header -----------------------------------------------------------------------------


def test_the_header_reads_aliases_full_width_letters_and_marks_of_required_columns(d):
    header = [
        "社区/村",
        "巷道",
        "管家手机 *",
        "家庭住址(必填)",
        "户主姓名",
        "联系电话",
        "家庭成员",
        "人员标签",
    ]
    row = [
        "第1社区",
        "1区1巷",
        d.stewards[0].phone,
        "1区1巷3号",
        "王大爷",
        "13811112222",
        "李秀兰",
        "低保",
    ]
    assert sheet.import_table([header, row], label="测试").created == 1
    h = Household.get()
    assert (h.address, h.head_name, h.head_phone, h.tags) == (
        "1区1巷3号",
        "王大爷",
        "13811112222",
        ["低保"],
    )
    assert [m["name"] for m in h.members] == ["李秀兰"]
    assert [sheet._header_name(c) for c in ("街道/镇", "ＡＢ", " 地址 (门牌) ", "门牌号")] == [
        "街道",
        "AB",
        "地址",
        "地址",
    ]


def test_a_note_above_the_header_naming_two_columns_is_not_the_header(d):
    table = [["请按社区、街巷填写", "社区", "街巷"], HEADER, _row(d)]
    result = sheet.import_table(table, label="测试")
    assert (result.rows, result.created) == (1, 1)


def test_a_blank_row_between_households_does_not_end_the_sheet(d):
    table = [HEADER, _row(d), [""] * len(HEADER), _row(d, address="2号")]
    result = sheet.import_table(table, label="测试")
    assert (result.rows, result.created) == (2, 2)


def test_an_empty_sheet_or_one_missing_columns_says_so(d):
    assert _problems([]) == ["文件内容：文件是空的，没有表头和数据"]
    assert _problems([["", None]]) == ["文件内容：文件是空的，没有表头和数据"]
    assert _problems([["社区", "地址", "户主", "备注"], ["第1社区", "1号", "王", ""]]) == [
        "第1行 表头：缺少必填列“街巷”、“管家手机号”（表头须包含：社区、街巷、管家手机号、地址、户主）"
    ]
    # under a title row, a header naming three of the columns is the header (named by its row)
    titled = [["2026年包联户名单"], ["社区", "地址", "户主"], ["第1社区", "1号", "王"]]
    assert _problems(titled) == [
        "第2行 表头：缺少必填列“街巷”、“管家手机号”（表头须包含：社区、街巷、管家手机号、地址、户主）"
    ]


def test_a_column_named_twice_is_a_problem_but_an_unknown_one_is_ignored(d):
    assert _problems([[*HEADER, "地址", "其他", "其他"], _row(d)]) == [
        "第1行 表头：列“地址”出现了不止一次"
    ]
    result = sheet.import_table([[*HEADER, "其他", "其他"], [*_row(d), "x", "y"]], label="测试")
    assert result.created == 1


def test_a_header_with_nothing_under_it_says_so_by_the_next_row(d):
    assert _problems([["标题"], HEADER, ["", "  "]]) == ["第3行 文件内容：表头下面没有任何数据行"]


# --- the rows ---------------------------------------------------------------------------------


def test_each_column_at_its_limit_is_kept_and_one_more_is_too_long(d):
    at_limit = _row(d, address="址" * 200, head="王" * 50, 备注="注" * 1000)
    assert sheet.import_table([HEADER, at_limit], label="测试").created == 1
    Household.delete().execute()
    long = _row(d, address="址" * 201, head="王" * 51, 备注="注" * 1001)
    assert _problems([HEADER, long]) == [
        "第2行 地址：内容过长（最多 200 个字）",
        "第2行 户主：内容过长（最多 50 个字）",
        "第2行 备注：内容过长（最多 1000 个字）",
    ]


def test_every_required_cell_and_each_phone_is_checked_with_its_own_words(d):
    blank = ["第1社区", "", "", "", "", "123", "", "", ""]
    bad_phone = _row(d, address="5号", 管家手机号="1380013800")
    assert _problems([HEADER, blank, bad_phone]) == [
        "第2行 街巷：不能为空",
        "第2行 管家手机号：不能为空",
        "第2行 地址：不能为空",
        "第2行 户主：不能为空",
        f"第2行 户主电话：“123”不正确：{phones.CONTACT_ERROR}",
        "第3行 管家手机号：“1380013800”不是有效的手机号",
    ]


def test_a_bad_member_or_tag_is_reported_in_the_cards_own_words(d):
    table = [
        HEADER,
        _row(d, address="1号", 成员="小明/儿子/1700"),
        _row(d, address="2号", 标签="低保、富豪"),
        _row(d, address="3号", 成员="/儿子"),
    ]
    with time_machine.travel(START, tick=False):
        problems = _problems(table)
    assert problems == [
        "第2行 成员：第1位成员的出生年份须在 1900 到 2026 之间",
        f"第3行 标签：“富豪”不是可选的标签（可选：{'、'.join(access.tags())}）",
        "第4行 成员：第1位成员的姓名不能为空",
    ]


def test_members_are_split_by_semicolons_or_lines_and_fields_by_slashes(app):
    got = sheet.parse_members("李秀兰/配偶/1950；王小明／孙子/2015/13900001111/在外读书;\n；张三\n")
    assert got == [
        {"name": "李秀兰", "relation": "配偶", "birth_year": "1950", "phone": None, "notes": ""},
        {
            "name": "王小明",
            "relation": "孙子",
            "birth_year": "2015",
            "phone": "13900001111",
            "notes": "在外读书",
        },
        {"name": "张三", "relation": "", "birth_year": None, "phone": None, "notes": ""},
    ]
    assert sheet.parse_members(" ；\n") == []
    # a note may hold a slash: everything after the fourth is the note, kept whole
    assert sheet.parse_members("张奶奶/母亲/1940//腿脚不便/需轮椅") == [
        {
            "name": "张奶奶",
            "relation": "母亲",
            "birth_year": "1940",
            "phone": None,
            "notes": "腿脚不便/需轮椅",
        }
    ]
    # a blank member between two (a stray space between separators) is skipped, not the end
    assert [m["name"] for m in sheet.parse_members(" ；甲/父； ；乙/母")] == ["甲", "乙"]


def test_tags_are_split_by_any_common_separator(d):
    row = _row(d, 标签="低保，残疾 独居老人;特困、低保")
    sheet.import_table([HEADER, row], label="测试")
    assert Household.get().tags == ["低保", "残疾", "独居老人", "特困"]


# --- which community, alley and steward -------------------------------------------------------


def test_a_community_alley_and_steward_are_found_by_name_and_phone_or_named_as_problems(d):
    gone = Steward.create(name="离任", phone=next_phone(), active=False)
    StewardAlley.create(steward=gone, alley=d.alleys[0])
    table = [
        HEADER,
        _row(d, address="1号", 社区="第9社区"),
        _row(d, address="2号", 街巷="不存在巷"),
        _row(d, address="3号", 管家手机号=gone.phone),
        _row(d, address="4号", 管家手机号=d.stewards[1].phone),
        _row(d, address="5号", 街巷=d.alleys[2].name, 管家手机号=d.stewards[2].phone),
        _row(d, address="6号"),
        _row(d, address="6号"),
        _row(d, address="7号", 社区="第8社区"),  # still checked after a repeated address
    ]
    assert _problems(table) == [
        "第2行 社区：找不到“第9社区”，请先导入花名册",
        "第3行 街巷：“不存在巷”找不到该街巷",
        f"第4行 管家手机号：{gone.phone} 不是“1区1巷”在任的管家",
        f"第5行 管家手机号：{d.stewards[1].phone} 不是“1区1巷”在任的管家",
        "第6行 街巷：“2区1巷”找不到该街巷",  # the other community's alley
        "第8行 地址：与第7行是同一社区的同一地址，请合并",
        "第9行 社区：找不到“第8社区”，请先导入花名册",
    ]


def test_two_communities_of_one_name_are_told_apart_by_the_street(d):
    other = make_district(street_name="第二街道", communities=1, alleys_per_community=1)
    assert other.communities[0].name == "第1社区"
    table = [HEADER, _row(d), _row(d, address="2号", 社区="第9社区")]
    assert _problems(table) == [
        "第2行 社区：有多个名为“第1社区”的社区，请填写“街道”列",
        "第3行 社区：找不到“第9社区”，请先导入花名册",  # the next row still checked
    ]
    with_street = [
        ["街道", *HEADER],
        ["第二街道", *_row(d, 街巷=other.alleys[0].name, 管家手机号=other.stewards[0].phone)],
    ]
    assert sheet.import_table(with_street, label="测试").created == 1
    assert Household.get().community_id == other.communities[0].id
    Household.delete().execute()
    wrong = [["街道", *HEADER], ["无此街道", *_row(d)]]
    assert _problems(wrong) == ["第2行 社区：找不到“第1社区”，请先导入花名册"]


def test_an_alley_named_twice_in_a_community_must_be_told_apart_first(d):
    grid2, _ = areas.child(d.communities[0], "grid", "第1社区第二网格")
    twin, _ = areas.child(grid2, "alley", d.alleys[0].name)
    StewardAlley.create(steward=d.stewards[0], alley=twin)
    assert _problems([HEADER, _row(d)]) == [
        "第2行 街巷：“1区1巷”本社区有多条同名街巷，请先在花名册中区分"
    ]


def test_rows_outside_the_importers_scope_are_refused_and_their_community_is_the_scope(d):
    table = [HEADER, _row(d), _row(d, address="2区1巷1号", alley=2, 社区="第2社区")]
    assert _problems(table, within=[d.communities[1]]) == ["第2行 社区：不在您的管辖范围内"]
    # every row outside is named, not only the first
    assert _problems([*table, _row(d, address="9号")], within=[d.communities[1]]) == [
        "第2行 社区：不在您的管辖范围内",
        "第4行 社区：不在您的管辖范围内",
    ]
    assert (
        sheet.import_table(table, label="测试", within=[d.communities[0], d.communities[1]]).created
        == 2
    )


def test_problems_are_reported_by_row_then_in_the_order_found(d):
    table = [
        [*HEADER, "备注"],
        _row(d, address="1号", 社区="第9社区"),
        _row(d, address="", head=""),
    ]
    assert _problems(table) == [
        "第1行 表头：列“备注”出现了不止一次",
        "第2行 社区：找不到“第9社区”，请先导入花名册",
        "第3行 地址：不能为空",
        "第3行 户主：不能为空",
    ]
    assert sheet._sorted(["第10行 b", "x", "第9行 a", "第10行 a"]) == [
        "x",
        "第9行 a",
        "第10行 b",
        "第10行 a",
    ]


# --- writing -----------------------------------------------------------------------------------


def test_an_import_creates_with_the_rows_cells_and_defaults_and_is_audited(d):
    actor = User.create(nickname="导入人")
    table = [
        HEADER,
        _row(d, 户主电话="13811112222", 成员="李秀兰/配偶/1950", 标签="低保", 备注="腿脚不便"),
        _row(d, address="5号", head="赵奶奶", alley=1),
    ]
    with time_machine.travel(START, tick=False):
        result = sheet.import_table(
            table, label="工作台", source="hh.csv", within=[d.communities[0]], actor=actor
        )
    assert result.counts() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    wang, zhao = Household.select().order_by(Household.id)
    assert (wang.community_id, wang.alley_id, wang.steward_id) == (
        d.communities[0].id,
        d.alleys[0].id,
        d.stewards[0].id,
    )
    assert (wang.head_phone, wang.tags, wang.notes) == ("13811112222", ["低保"], "腿脚不便")
    assert wang.members == [
        {"name": "李秀兰", "relation": "配偶", "notes": "", "birth_year": 1950, "phone": ""}
    ]
    assert (
        zhao.alley_id,
        zhao.steward_id,
        zhao.head_phone,
        zhao.members,
        zhao.tags,
        zhao.notes,
    ) == (
        d.alleys[1].id,
        d.stewards[1].id,
        None,
        [],
        [],
        "",
    )
    assert (wang.created_at, wang.updated_at, wang.active) == (START_UTC, START_UTC, True)
    event = Event.get(Event.action == "households.import")
    assert (
        event.subject_type,
        event.subject_id,
        event.actor_id,
        event.actor_label,
        event.area_id,
    ) == (
        "household",
        None,
        actor.id,
        "工作台",
        d.communities[0].id,
    )
    assert event.data == {"source": "hh.csv", "rows": 2, "created": 2, "updated": 0, "unchanged": 0}
    assert result.changes == ["第2行 新增：1区1巷3号", "第3行 新增：5号"]


def test_a_file_imported_by_staff_keeps_to_their_scope_and_is_audited_with_its_name_and_them(
    d, tmp_path
):
    actor = User.create(nickname="导入人")
    path = tmp_path / "包联户.csv"
    rows = [HEADER, _row(d), _row(d, address="2区1巷1号", alley=2, 社区="第2社区")]
    path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    with pytest.raises(sheet.SheetError) as err:
        sheet.import_file(path, label="工作台", within=[d.communities[1]], actor=actor)
    assert err.value.problems == ["第2行 社区：不在您的管辖范围内"]
    path.write_text("\n".join(",".join(r) for r in rows[:2]), encoding="utf-8")
    result = sheet.import_file(path, label="工作台", within=[d.communities[0]], actor=actor)
    assert result.created == 1
    event = Event.get(Event.action == "households.import")
    assert (event.actor_id, event.actor_label, event.area_id) == (
        actor.id,
        "工作台",
        d.communities[0].id,
    )
    assert event.data == {
        "source": "包联户.csv",
        "rows": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }


def test_one_imports_households_are_all_made_and_changed_at_one_moment(d):
    # the clock running (not frozen): every household of the import gets the import's moment
    table = [HEADER, _row(d), _row(d, address="5号", alley=1)]
    with time_machine.travel(START, tick=True):
        sheet.import_table(table, label="测试")
    stamps = {(h.created_at, h.updated_at) for h in Household.select()}
    assert len(stamps) == 1
    made, changed = stamps.pop()
    assert made == changed and START_UTC <= made < START_UTC + timedelta(minutes=1)


def test_rows_after_an_unchanged_household_are_still_written_and_every_update_counted(d):
    sheet.import_table(
        [HEADER, _row(d), _row(d, address="6号"), _row(d, address="7号")], label="测试"
    )
    table = [
        HEADER,
        _row(d),
        _row(d, address="5号"),
        _row(d, address="6号", head="王大妈"),
        _row(d, address="7号", head="王小妹"),
    ]
    result = sheet.import_table(table, label="测试")
    assert result.counts() == {"rows": 4, "created": 1, "updated": 2, "unchanged": 1}
    assert sorted((h.address, h.head_name) for h in Household.select()) == [
        ("1区1巷3号", "王大爷"),
        ("5号", "王大爷"),
        ("6号", "王大妈"),
        ("7号", "王小妹"),
    ]


def test_a_reimport_updates_what_changed_brings_it_back_on_the_register_and_keeps_blank_cells(d):
    admin = _staff(d.street, role="admin")
    with time_machine.travel(START, tick=False):
        h = cards.create(
            admin,
            {
                "alley_id": d.alleys[0].id,
                "steward_id": d.stewards[0].id,
                "address": "1区1巷3号",
                "head_name": "王大爷",
                "head_phone": "13811112222",
                "tags": ["低保"],
                "notes": "腿脚不便",
            },
        )
        plans.create(admin, h.id, {"group": "鳏寡孤独", "plan": "每周上门", "interval_days": 7})
    cards.update(admin, Household.get_by_id(h.id), {"active": False})
    mate = Steward.create(name="同巷管家", phone=next_phone())
    StewardAlley.create(steward=mate, alley=d.alleys[0])
    same = _row(d, address="1区1巷3号", head="王大爷")
    later = datetime(2026, 12, 3, 9, 0, tzinfo=SH)
    with time_machine.travel(later, tick=False):
        dry = sheet.import_table([HEADER, same], label="测试", dry_run=True)
        assert (dry.updated, dry.changes) == (1, ["第2行 更新：1区1巷3号"])
        assert Household.get_by_id(h.id).active is False
        sheet.import_table(
            [HEADER, _row(d, address="1区1巷3号", head="王大爷", 管家手机号=mate.phone)],
            label="测试",
        )
    got = Household.get_by_id(h.id)
    assert (got.active, got.steward_id, got.head_phone, got.tags, got.notes) == (
        True,
        mate.id,
        "13811112222",
        ["低保"],
        "腿脚不便",
    )
    assert got.updated_at == datetime(2026, 12, 3, 1, 0)
    assert got.visit_due_at == START_UTC + timedelta(days=7)
    again = sheet.import_table(
        [HEADER, _row(d, address="1区1巷3号", head="王大爷", 管家手机号=mate.phone)], label="测试"
    )
    assert again.counts() == {"rows": 1, "created": 0, "updated": 0, "unchanged": 1}
    assert again.changes == []
    # each import (not the dry run) audited; a table that came from no file names no source
    events = Event.select().where(Event.action == "households.import").order_by(Event.id)
    assert [e.data for e in events] == [
        {"source": "", "rows": 1, "created": 0, "updated": 1, "unchanged": 0},
        {"source": "", "rows": 1, "created": 0, "updated": 0, "unchanged": 1},
    ]


def test_a_reimport_that_changes_the_alley_or_head_counts_as_an_update(d):
    sheet.import_table([HEADER, _row(d)], label="测试")
    first = Household.get()
    result = sheet.import_table([HEADER, _row(d, head="王二")], label="测试")
    assert (result.updated, Household.get_by_id(first.id).head_name) == (1, "王二")
    moved = _row(d, head="王二", alley=1)
    result = sheet.import_table([HEADER, moved], label="测试")
    assert (result.updated, Household.get_by_id(first.id).alley_id) == (1, d.alleys[1].id)


def test_a_dry_run_writes_nothing_and_says_so(d):
    result = sheet.import_table([HEADER, _row(d)], label="测试", dry_run=True)
    assert Household.select().count() == 0
    assert not Event.select().where(Event.action == "households.import").exists()
    assert result.summary().splitlines() == [
        "检查通过（未写入）：共 1 户。",
        "  新增 1 户，更新 0 户，无变化 0 户",
        "  第2行 新增：1区1巷3号",
        "  表中没有出现的住户保持不变，不会被删除。",
    ]
    done = sheet.import_table([HEADER, _row(d)], label="测试")
    assert done.summary().splitlines()[0] == "导入完成：共 1 户。"
    assert Event.get(Event.action == "households.import").area_id is None


def test_the_template_is_the_header_and_one_example_row_as_text(app):
    wb = openpyxl.load_workbook(io.BytesIO(sheet.template_xlsx()))
    ws = wb.active
    assert ws.title == "包联户"
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == list(sheet.REQUIRED + sheet.OPTIONAL)
    assert rows[1] == [
        "幸福社区",
        "光明巷",
        "13800000000",
        "光明巷3号",
        "王大爷",
        "示范街道",
        "13900000000",
        "李秀兰/配偶/1950；王小明/孙子/2015",
        "独居老人、低保",
        "腿脚不便",
    ]
    assert all(c.number_format == "@" for c in ws[2])
    # each column as wide as its example: the members' cell the widest
    widths = [ws.column_dimensions[x].width for x in "ABCDEFGHIJ"]
    assert widths == [12, 12, 14, 20, 10, 12, 14, 36, 18, 20]
