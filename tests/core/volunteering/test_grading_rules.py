"""Year-end grading's rules at the core (core.volunteering.grading): the proposal exactly at
and just under each threshold, which hours count (certified, served in the year's first and
last day, the person's own), who is graded (confirmed, active party members of the community
only), who may confirm (not another community's staff, not the member themselves), the reason
a changed grade needs, and what the workbook and the audit hold."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook

from core.people.permissions import Principal
from core.volunteering import grading, records, volunteers
from infra.errors import ApiError
from models import Event, PartyGrading, ServiceRecord, User, Volunteer
from tests.factories import login, make_district, make_staff

YEAR = 2026


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    return err.value


def _record(volunteer, hours: str, day=date(YEAR, 5, 1), certify_as=None, community=None):
    row = ServiceRecord.create(
        community=community or volunteer.community_id,
        user=volunteer.user_id,
        volunteer=volunteer,
        person_name=volunteer.name,
        source_type="activity",
        source_key=f"test:{ServiceRecord.select().count()}",
        title="志愿活动",
        served_on=day,
        hours=hours,
        organiser="第1社区",
    )
    if certify_as is not None:
        records.certify(certify_as, row.id)
    return row


def _member(client, sp, community, name, unit=None, confirm=True, party=True):
    login(client, name)
    user = User.get(User.openid == f"dev:{name}")
    v = volunteers.register(
        Principal.for_user(user),
        community.id,
        name,
        "13800000000",
        party_member=party,
        unit_id=unit.id if unit else None,
    )
    if confirm and party:
        volunteers.review_party_member(sp, v.id, True)
    return Volunteer.get_by_id(v.id)


@pytest.fixture
def w(client):
    d = make_district()
    c1, c2 = d.communities
    staff, other = make_staff(c1), make_staff(c2)
    sp, op = Principal.for_user(staff.user), Principal.for_user(other.user)
    tax = volunteers.add_unit(sp, c1.id, "区税务局")
    return {"d": d, "c1": c1, "c2": c2, "sp": sp, "op": op, "staff": staff, "tax": tax}


def test_a_proposal_reaches_a_grade_exactly_at_its_threshold(client, w, app):
    assert [grading.propose_grade(Decimal(h)) for h in ("40", "39.9", "20", "19.9")] == [
        "好",
        "较好",
        "较好",
        "一般",
    ]
    assert [grading.propose_grade(Decimal(h)) for h in ("10", "9.9", "0")] == ["一般", "差", "差"]
    # a threshold left out of the configuration is skipped, not defaulted
    app.config["SERVICE_GRADE_THRESHOLDS"] = {"好": 30, "一般": 5}
    assert grading.thresholds() == [("好", Decimal(30)), ("一般", Decimal(5))]
    assert grading.propose_grade(Decimal("29.5")) == "一般"
    # thresholds with decimals are read exactly
    app.config["SERVICE_GRADE_THRESHOLDS"] = {"好": 12.5, "较好": 10, "一般": 0.5}
    assert grading.propose_grade(Decimal("12.5")) == "好"
    assert grading.propose_grade(Decimal("12.4")) == "较好"
    assert grading.propose_grade(Decimal("0.5")) == "一般"
    # none configured: the defaults
    app.config["SERVICE_GRADE_THRESHOLDS"] = None
    assert grading.thresholds() == [("好", 40), ("较好", 20), ("一般", 10)]


def test_the_year_runs_from_2000_to_2100(client, w):
    assert grading.listing(w["sp"], w["c1"].id, 2000) == []
    assert grading.listing(w["sp"], w["c1"].id, 2100) == []
    for year in (1999, 2101):
        err = refused(grading.listing, w["sp"], w["c1"].id, year)
        assert (err.status, err.message, err.fields) == (
            400,
            "年度：须在 2000 至 2100 之间",
            {"year": "须在 2000 至 2100 之间"},
        )


def test_hours_count_certified_records_of_the_person_served_within_the_year(client, w):
    v = _member(client, w["sp"], w["c1"], "赵", w["tax"])
    other = _member(client, w["sp"], w["c1"], "钱", w["tax"])
    sp = w["sp"]
    _record(v, "1", day=date(YEAR, 1, 1), certify_as=sp)
    _record(v, "2", day=date(YEAR, 12, 31), certify_as=sp)
    _record(v, "4", day=date(YEAR - 1, 12, 31), certify_as=sp)
    _record(v, "8", day=date(YEAR + 1, 1, 1), certify_as=sp)
    _record(v, "16")  # pending
    _record(other, "32", certify_as=sp)
    assert grading.certified_hours(v, YEAR) == Decimal("3")
    # served for another community counts as well: it is the person's hours
    _record(v, "0.5", certify_as=w["op"], community=w["c2"])
    assert grading.certified_hours(v, YEAR) == Decimal("3.5")


def test_only_confirmed_active_party_members_of_the_community_are_graded(client, w):
    sp = w["sp"]
    graded = _member(client, sp, w["c1"], "赵", w["tax"])
    _member(client, sp, w["c1"], "钱", w["tax"], confirm=False)  # pending
    _member(client, sp, w["c1"], "孙", party=False)
    gone = _member(client, sp, w["c1"], "李", w["tax"])
    Volunteer.update(active=False).where(Volunteer.id == gone.id).execute()
    c2_unit = volunteers.add_unit(w["op"], w["c2"].id, "农商银行")
    _member(client, w["op"], w["c2"], "周", c2_unit)
    rows = grading.propose(sp, w["c1"].id, YEAR)
    assert [r.volunteer_id for r in rows] == [graded.id]
    event = Event.get(Event.action == "party_grading.propose")
    assert (event.subject_type, event.subject_id, event.area_id, event.actor_id) == (
        "area",
        w["c1"].id,
        w["c1"].id,
        w["staff"].user_id,
    )
    assert event.data == {"year": YEAR, "members": 1}


def test_proposing_again_updates_hours_and_proposal_and_keeps_the_confirmed_grade(client, w):
    sp = w["sp"]
    v = _member(client, sp, w["c1"], "赵", w["tax"])
    _record(v, "12", certify_as=sp)
    (row,) = grading.propose(sp, w["c1"].id, YEAR)
    assert (row.hours, row.proposed) == (Decimal("12"), "一般")
    grading.confirm(sp, row.id, "一般")
    _record(v, "30", certify_as=sp)
    (again,) = grading.propose(sp, w["c1"].id, YEAR)
    stored = PartyGrading.get_by_id(row.id)
    assert again.id == row.id and PartyGrading.select().count() == 1
    assert (stored.hours, stored.proposed, stored.grade) == (Decimal("42"), "好", "一般")


def test_staff_of_another_community_cannot_propose_list_or_confirm_here(client, w):
    sp = w["sp"]
    v = _member(client, sp, w["c1"], "赵", w["tax"])
    (row,) = grading.propose(sp, w["c1"].id, YEAR)
    assert refused(grading.propose, w["op"], w["c1"].id, YEAR).code == "out_of_scope"
    assert refused(grading.listing, w["op"], w["c1"].id, YEAR).code == "out_of_scope"
    assert refused(grading.export, w["op"], w["c1"].id, YEAR).code == "out_of_scope"
    err = refused(grading.confirm, w["op"], row.id, "差", "不认")
    assert (err.status, err.code, err.message) == (404, "grading_not_found", "找不到该评定")
    assert PartyGrading.get_by_id(row.id).grade is None
    assert refused(grading.confirm, sp, 9999, "好").code == "grading_not_found"
    assert v.id == row.volunteer_id


def test_a_member_cannot_confirm_their_own_grade(client, w):
    sp = w["sp"]
    # the staff member is themselves a party member of their community
    v = volunteers.register(
        sp, w["c1"].id, "工作人员", "13800000000", party_member=True, unit_id=w["tax"].id
    )
    volunteers.review_party_member(Principal.for_user(make_staff(w["c1"]).user), v.id, True, "核实")
    (row,) = grading.propose(sp, w["c1"].id, YEAR)
    err = refused(grading.confirm, sp, row.id, row.proposed)
    assert (err.status, err.code) == (403, "own_grading")
    assert err.message == "不能评定自己的等次，须由其他工作人员确认"
    assert PartyGrading.get_by_id(row.id).grade is None


def test_confirming_a_changed_grade_needs_a_reason_and_is_audited_with_the_previous(client, w):
    sp = w["sp"]
    _member(client, sp, w["c1"], "赵", w["tax"])
    (row,) = grading.propose(sp, w["c1"].id, YEAR)
    assert row.proposed == "差"
    err = refused(grading.confirm, sp, row.id, "优")
    assert (err.message, err.fields) == (
        "评定等次：须为 好、较好、一般、差 之一",
        {"grade": "须为 好、较好、一般、差 之一"},
    )
    err = refused(grading.confirm, sp, row.id, "一般", "  ")
    assert (err.status, err.message, err.fields) == (
        400,
        "原因：评定等次与建议不同，请写明原因",
        {"reason": "评定等次与建议不同，请写明原因"},
    )
    err = refused(grading.confirm, sp, row.id, "一般", None)
    assert err.fields == {"reason": "评定等次与建议不同，请写明原因"}
    with time_machine.travel(datetime(2027, 1, 5, 2, 30, tzinfo=UTC), tick=False):
        first = grading.confirm(sp, row.id, "差", None)
        assert (first.grade, first.reason) == ("差", "")
        changed = grading.confirm(sp, row.id, "一般", "  照护独居老人 " + "多" * 300)
    stored = PartyGrading.get_by_id(row.id)
    assert stored.grade == "一般" and stored.reason == ("照护独居老人 " + "多" * 300)[:200]
    assert stored.confirmed_by_id == w["staff"].user_id
    assert stored.confirmed_at == datetime(2027, 1, 5, 2, 30)
    assert changed.id == row.id
    events = list(Event.select().where(Event.action == "party_grading.confirm").order_by(Event.id))
    last = events[-1]
    assert (last.subject_type, last.subject_id, last.area_id, last.actor_id) == (
        "party_grading",
        row.id,
        w["c1"].id,
        w["staff"].user_id,
    )
    assert last.data == {
        "year": YEAR,
        "proposed": "差",
        "grade": "一般",
        "previous": "差",
        "reason": "照护独居老人 " + "多" * 300,
        "hours": last.data["hours"],
    }
    assert Decimal(last.data["hours"]) == 0  # "0" on SQLite, "0.0" on PostgreSQL
    assert events[0].data["previous"] is None
    got = grading.as_dict(stored)
    assert got["confirmed_by"] == audit_label(w["staff"].user)
    assert got["confirmed_at"] == "2027-01-05T10:30:00+08:00"


def audit_label(user):
    from core import audit

    return audit.actor_label(user)


def test_a_grading_as_read(client, w):
    sp = w["sp"]
    team = volunteers.add_team(sp, w["c1"].id, "党员先锋队")
    v = _member(client, sp, w["c1"], "赵", w["tax"])
    Volunteer.update(team=team).where(Volunteer.id == v.id).execute()
    _record(v, "12.5", certify_as=sp)
    (row,) = grading.propose(sp, w["c1"].id, YEAR)
    assert grading.as_dict(PartyGrading.get_by_id(row.id)) == {
        "id": row.id,
        "year": YEAR,
        "volunteer_id": v.id,
        "name": "赵",
        "unit_id": w["tax"].id,
        "unit_name": "区税务局",
        "team_name": "党员先锋队",
        "hours": 12.5,
        "proposed": "一般",
        "grade": None,
        "reason": "",
        "confirmed_by": None,
        "confirmed_at": None,
    }
    Volunteer.update(team=None, unit=None).where(Volunteer.id == v.id).execute()
    got = grading.as_dict(PartyGrading.get_by_id(row.id))
    assert (got["unit_id"], got["unit_name"], got["team_name"]) == (None, None, None)


def test_the_list_runs_by_unit_then_name_and_filters_by_unit(client, w):
    sp = w["sp"]
    bank = volunteers.add_unit(sp, w["c1"].id, "农商银行")
    for name, unit in (("钱", w["tax"]), ("赵", w["tax"]), ("孙", bank)):
        _member(client, sp, w["c1"], name, unit)
    grading.propose(sp, w["c1"].id, YEAR)
    got = [(r.volunteer.unit_id, r.volunteer.name) for r in grading.listing(sp, None, YEAR)]
    assert got == sorted(got)
    assert [r.volunteer.name for r in grading.listing(sp, None, YEAR, bank.id)] == ["孙"]
    assert grading.listing(sp, None, YEAR + 1) == []


def test_the_workbook_has_a_sheet_per_unit_with_its_title_and_header(client, w):
    sp = w["sp"]
    slash = volunteers.add_unit(sp, w["c1"].id, "区/市[联合]:工作*组?" + "长" * 30)
    _member(client, sp, w["c1"], "赵", w["tax"])
    _member(client, sp, w["c1"], "钱", slash)
    (first, _) = grading.propose(sp, w["c1"].id, YEAR)
    with time_machine.travel(datetime(2027, 1, 5, 2, 30, tzinfo=UTC), tick=False):
        grading.confirm(sp, first.id, "差")
        data, filename = grading.export(sp, None, YEAR)
    assert filename == f"在职党员年度评定-第1社区-{YEAR}.xlsx"
    book = load_workbook(io.BytesIO(data))
    clean = ("区市联合工作组" + "长" * 30)[:28]
    assert sorted(book.sheetnames) == sorted(["区税务局", clean])
    tax = book["区税务局"]
    assert tax["A1"].value == (
        f"第1社区 {YEAR} 年度在职党员志愿服务评定 · 区税务局 · 导出时间 2027-01-05 10:30"
    )
    assert tax["A1"].font.bold and tax["A1"].font.size == 13
    assert [c.value for c in tax[2]] == [name for name, _ in grading.COLUMNS]
    assert tax["A2"].font.bold and tax["I2"].fill.fgColor.rgb.endswith("C42B1C")
    assert tax.column_dimensions["B"].width == 24 and tax.column_dimensions["I"].width == 18
    row = [c.value for c in tax[3]]
    assert row[:8] == ["赵", "区税务局", None, 0, "差", "差", None, audit_label(w["staff"].user)]
    assert row[8] == datetime(2027, 1, 5, 10, 30)
    assert tax["I3"].number_format == "yyyy-mm-dd hh:mm"
    assert tax["G3"].alignment.wrap_text
    assert tax.freeze_panes == "A3" and tax.auto_filter.ref == "A2:I3"
    assert tax.print_title_rows == "$2:$2"
    pending = [c.value for c in book[clean][3]]
    assert pending[5] == "（待确认）" and pending[7] is None and pending[8] is None
    event = Event.get(Event.action == "party_grading.export")
    assert (event.subject_type, event.subject_id, event.area_id, event.actor_id) == (
        "area",
        w["c1"].id,
        w["c1"].id,
        w["staff"].user_id,
    )
    assert event.data == {"year": YEAR, "unit_id": None, "rows": 2}


def test_units_with_the_same_cleaned_name_get_numbered_sheets(client, w):
    used: set[str] = set()
    assert grading._sheet_title("区税务局", used) == "区税务局"
    assert grading._sheet_title("区税务局", used) == "区税务局(2)"
    assert grading._sheet_title("区税务局", used) == "区税务局(3)"
    assert grading._sheet_title("[]:*?/\\", used) == "单位"
    long = "长" * 40
    assert grading._sheet_title(long, used) == "长" * 28
    assert grading._sheet_title(long, used) == "长" * 26 + "(2)"


def test_a_workbook_of_nobody_has_one_empty_sheet_and_a_member_without_a_unit_is_kept(client, w):
    sp = w["sp"]
    data, _ = grading.export(sp, None, YEAR)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["（无）"]
    sheet = book["（无）"]
    assert sheet.max_row == 2 and sheet.auto_filter.ref == "A2:I2"
    v = _member(client, sp, w["c1"], "赵", w["tax"])
    grading.propose(sp, None, YEAR)
    Volunteer.update(unit=None).where(Volunteer.id == v.id).execute()
    book = load_workbook(io.BytesIO(grading.export(sp, None, YEAR)[0]))
    assert book.sheetnames == ["未填单位"]
    assert [c.value for c in book["未填单位"][3]][:2] == ["赵", None]


def test_a_workbook_of_one_unit_must_name_a_unit_of_this_community(client, w):
    sp = w["sp"]
    c2_unit = volunteers.add_unit(w["op"], w["c2"].id, "外社区单位")
    err = refused(grading.export, sp, None, YEAR, c2_unit.id)
    assert (err.status, err.message, err.fields) == (
        400,
        "双报到单位：本社区没有这个单位",
        {"unit_id": "本社区没有这个单位"},
    )
    _member(client, sp, w["c1"], "赵", w["tax"])
    grading.propose(sp, None, YEAR)
    data, _ = grading.export(sp, None, YEAR, w["tax"].id)
    assert load_workbook(io.BytesIO(data)).sheetnames == ["区税务局"]
    event = Event.select().where(Event.action == "party_grading.export").get()
    assert event.data == {"year": YEAR, "unit_id": w["tax"].id, "rows": 1}


def test_a_units_sheet_keeps_every_letter_of_its_name_but_those_excel_forbids(client, w):
    used: set[str] = set()
    assert grading._sheet_title("XX科技有限公司", used) == "XX科技有限公司"
    assert grading._sheet_title("X/X", used) == "XX"


def test_the_street_admin_exports_the_workbook_of_a_community_they_name(client, w):
    sp = w["sp"]
    _member(client, sp, w["c1"], "赵", w["tax"])
    grading.propose(sp, None, YEAR)
    street = Principal.for_user(make_staff(w["d"].street, role="admin").user)
    data, filename = grading.export(street, w["c1"].id, YEAR)
    assert filename == f"在职党员年度评定-第1社区-{YEAR}.xlsx"
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["区税务局"]
    assert book["区税务局"]["A3"].value == "赵"


def test_the_workbook_names_each_members_team(client, w):
    sp = w["sp"]
    team = volunteers.add_team(sp, w["c1"].id, "党员先锋队")
    v = _member(client, sp, w["c1"], "赵", w["tax"])
    Volunteer.update(team=team).where(Volunteer.id == v.id).execute()
    grading.propose(sp, None, YEAR)
    book = load_workbook(io.BytesIO(grading.export(sp, None, YEAR)[0]))
    assert [c.value for c in book["区税务局"][3]][:3] == ["赵", "区税务局", "党员先锋队"]
