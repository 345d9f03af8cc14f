"""The service certificate (core.volunteering.certificate): which records it lists (certified,
the person's own, both ends of the period, corrections left off, oldest first), its default
period, whose name and which issuer it carries, what its pages say, its audit, and how its
font is chosen."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from PIL import ImageFont
from pypdf import PdfReader

from core import audit
from core.boards import fonts
from core.people.permissions import Principal
from core.volunteering import certificate, records, volunteers
from infra.errors import ApiError
from models import Event, ServiceRecord, User
from tests.factories import login, make_district, make_staff

DAY = date(2026, 3, 5)


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    return err.value


def pdf_text(data: bytes) -> str:
    """The whole text, pages joined, runs of white space as one space (see test_certificate)."""
    reader = PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", "".join(p.extract_text().replace("\x00", "") for p in reader.pages))


@pytest.fixture
def w(client):
    d = make_district()
    c1, c2 = d.communities
    staff, other = make_staff(c1), make_staff(c2)
    login(client, "赵")
    login(client, "钱")
    zhao = User.get(User.openid == "dev:赵")
    qian = User.get(User.openid == "dev:钱")
    return {
        "c1": c1,
        "c2": c2,
        "staff": staff,
        "sp": Principal.for_user(staff.user),
        "op": Principal.for_user(other.user),
        "zhao": zhao,
        "zp": Principal.for_user(zhao),
        "qp": Principal.for_user(qian),
        "qian": qian,
    }


def _record(w, hours="1.5", day=DAY, who="zhao", certify=True, community="c1", **extra):
    community = w[community]
    row = ServiceRecord.create(
        community=community,
        user=w[who],
        person_name=extra.pop("person_name", "赵"),
        source_type="activity",
        source_key=f"test:{ServiceRecord.select().count()}",
        title=extra.pop("title", "环境整治"),
        served_on=day,
        hours=hours,
        organiser=extra.pop("organiser", community.name),
        **extra,
    )
    if certify:
        records.certify(w["sp"] if community == w["c1"] else w["op"], row.id)
    return ServiceRecord.get_by_id(row.id)


def ids(rows) -> list[int]:
    return [r.id for r in rows]


def test_the_certificate_lists_the_persons_certified_records_of_the_period_both_ends_included(
    client, w
):
    later = _record(w, day=date(2026, 3, 31))
    first = _record(w, day=date(2026, 3, 1))
    same_day = _record(w, day=date(2026, 3, 31))
    _record(w, day=date(2026, 2, 28))
    _record(w, day=date(2026, 4, 1))
    _record(w, certify=False)  # pending
    _record(w, who="qian", person_name="钱")  # another person's
    got = certificate.certified_rows(w["zp"], date(2026, 3, 1), date(2026, 3, 31), None)
    assert ids(got) == [first.id, later.id, same_day.id]


def test_a_corrected_record_and_its_reversal_are_both_left_off(client, w):
    kept = _record(w)
    wrong = _record(w, hours="3")
    out = records.correct(w["sp"], wrong.id, "重复登记", hours="2")
    period = (date(2026, 1, 1), date(2026, 12, 31))
    assert ids(certificate.certified_rows(w["zp"], *period, None)) == [kept.id]
    # the replacement counts once certified
    records.certify(w["sp"], out["replacement"].id)
    assert len(certificate.certified_rows(w["zp"], *period, None)) == 2


def test_a_certificate_of_one_community_lists_what_it_organised_and_is_issued_by_it(client, w):
    here = _record(w, title="社区环境整治")
    _record(w, community="c2", title="外社区义诊")
    with time_machine.travel(datetime(2026, 6, 1, 2, tzinfo=UTC), tick=False):
        data, _ = certificate.for_person(w["zp"], date(2026, 1, 1), None, w["c2"].id)
        text = pdf_text(data)
        assert "外社区义诊" in text and "社区环境整治" not in text
        assert "出具单位（盖章）：第2社区" in text
        rows = certificate.certified_rows(w["zp"], date(2026, 1, 1), date(2026, 6, 1), w["c1"].id)
    assert ids(rows) == [here.id]


def test_without_a_community_every_organiser_issues_it_once_in_the_order_served(client, w):
    _record(w, day=date(2026, 3, 1), community="c2")
    _record(w, day=date(2026, 3, 2))
    _record(w, day=date(2026, 3, 3), community="c2")
    data, _ = certificate.for_person(w["zp"], date(2026, 3, 1), date(2026, 3, 31))
    assert "出具单位（盖章）：第2社区、第1社区 " in pdf_text(data) + " "


def test_the_period_defaults_to_this_year_so_far_in_beijing_time(client, w):
    _record(w, day=date(2026, 12, 31))
    # 16:30 UTC on 31 December is 00:30 on 1 January in Beijing: a new year, nothing in it yet
    with time_machine.travel(datetime(2026, 12, 31, 16, 30, tzinfo=UTC), tick=False):
        err = refused(certificate.for_person, w["zp"])
        assert (err.status, err.code, err.message) == (
            404,
            "no_certified_records",
            "该期间没有已认证的服务记录",
        )
        _record(w, day=date(2027, 1, 1))
        data, name = certificate.for_person(w["zp"])
    assert name == "志愿服务记录证明-赵-20270101-20270101.pdf"
    assert "于2027年1月1日至2027年1月1日期间" in pdf_text(data)
    with time_machine.travel(datetime(2026, 12, 31, 15, 30, tzinfo=UTC), tick=False):
        _, name = certificate.for_person(w["zp"], date_to=date(2026, 12, 31))
    assert name == "志愿服务记录证明-赵-20260101-20261231.pdf"


def test_a_period_of_one_day_is_allowed_and_one_that_ends_before_it_starts_is_refused(client, w):
    _record(w)
    _, name = certificate.for_person(w["zp"], DAY, DAY)
    assert name == "志愿服务记录证明-赵-20260305-20260305.pdf"
    err = refused(certificate.for_person, w["zp"], date(2026, 3, 6), DAY)
    assert (err.status, err.message, err.fields) == (
        400,
        "起始日期：不能晚于结束日期",
        {"date_from": "不能晚于结束日期"},
    )


def test_the_certificate_carries_the_registered_name_else_the_records_name(client, w):
    _record(w, person_name="赵某")
    _, name = certificate.for_person(w["zp"], DAY, DAY)
    assert name == "志愿服务记录证明-赵某-20260305-20260305.pdf"
    v = volunteers.register(w["zp"], w["c1"].id, "赵大明", "13800001111")
    ServiceRecord.update(volunteer=v).execute()
    data, name = certificate.for_person(w["zp"], DAY, DAY)
    assert name == "志愿服务记录证明-赵大明-20260305-20260305.pdf"
    assert "兹证明赵大明于2026年3月5日至2026年3月5日期间" in pdf_text(data)


def test_the_pages_state_count_hours_to_a_tenth_each_line_and_the_issue(client, w):
    _record(w, hours="2", title="清理楼道")
    _record(w, hours="0.5", day=date(2026, 3, 9), title="陪护老人")
    with time_machine.travel(datetime(2026, 4, 1, 2, tzinfo=UTC), tick=False):
        data, _ = certificate.for_person(w["zp"], date(2026, 3, 1), date(2026, 3, 31))
    text = pdf_text(data)
    label = audit.actor_label(w["staff"].user)
    assert "志愿服务记录证明" in text
    assert "经组织单位认证的服务记录共 2 条，合计 2.5 小时，明细如下" in text
    for heading in certificate.HEADERS:
        assert heading in text
    compact = text.replace(" ", "")  # cells run together where the table draws no space
    assert f"12026-03-05清理楼道2.0第1社区{label}" in compact
    assert f"22026-03-09陪护老人0.5第1社区{label}" in compact
    assert "合计：2.5 小时" in text and "民政部令第67号" in text
    assert "出具日期：2026年4月1日" in text
    assert "志愿服务记录证明 · 赵 · 第 1 页 / 共 1 页" in text
    meta = PdfReader(io.BytesIO(data)).metadata
    assert (meta.title, meta.creator) == ("志愿服务记录证明 - 赵", "小巷管家")


def test_issuing_a_certificate_is_audited_for_the_person(client, w):
    _record(w)
    _record(w, day=date(2026, 3, 6))
    certificate.for_person(w["zp"], date(2026, 3, 1), date(2026, 3, 31))
    event = Event.get(Event.action == "service_certificate.issue")
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "user",
        w["zhao"].id,
        w["zhao"].id,
        None,
    )
    assert event.data == {"date_from": "2026-03-01", "date_to": "2026-03-31", "records": 2}


def test_a_missing_font_is_a_503_naming_the_package(tmp_path):
    err = refused(certificate.pick_font, "志愿", [(str(tmp_path / "none.otf"), 0)])
    assert (err.status, err.code, err.message) == (
        503,
        "font_missing",
        "无法生成证明：找不到中文字体（assets/fonts 中的字体子集缺字，系统也未安装 "
        "fonts-noto-cjk；请运行 scripts/ensure-chromium.sh 或 apt-get install fonts-noto-cjk）",
    )


def test_the_first_font_that_draws_every_character_is_chosen(tmp_path):
    subset = (str(fonts.FONT_FILES["regular"]), 0)
    system = certificate.system_cjk_fonts()[0]
    assert certificate.pick_font("志愿", [(str(tmp_path / "none.otf"), 0), subset]) == subset
    assert certificate.pick_font("志愿", [subset, system]) == subset
    assert certificate.pick_font("龘", [subset, system]) == system
    # by default the shipped subset first, when it has every character
    assert certificate.pick_font("志愿服务记录证明") == subset


def test_system_fonts_come_simplified_chinese_sans_regular_first(monkeypatch):
    found = certificate.system_cjk_fonts()
    assert found and all(isinstance(index, int) for _, index in found)
    path, index = found[0]
    assert ImageFont.truetype(path, 12, index=index).getname() == ("Noto Sans CJK SC", "Regular")
    families = [
        "Noto Sans Mono CJK SC",
        "Noto Serif CJK SC",
        "Noto Sans CJK TC",
        "Noto Sans CJK SC",
    ]
    ranked = sorted(
        [(f, s) for f in families for s in ("Bold", "Regular")],
        key=lambda fs: certificate._rank(*fs),
    )
    assert ranked[:4] == [
        ("Noto Sans CJK SC", "Regular"),
        ("Noto Sans CJK SC", "Bold"),
        ("Noto Sans Mono CJK SC", "Regular"),
        ("Noto Sans Mono CJK SC", "Bold"),
    ]
    assert ranked[4:6] == [("Noto Serif CJK SC", "Regular"), ("Noto Serif CJK SC", "Bold")]
    assert ranked[-2:] == [("Noto Sans CJK TC", "Regular"), ("Noto Sans CJK TC", "Bold")]
    # without fontconfig there is nothing to list
    monkeypatch.setenv("PATH", "")
    assert certificate.system_cjk_fonts() == []


def test_a_font_listing_from_an_fc_list_that_failed_is_not_used(tmp_path, monkeypatch):
    """fc-list prints a line for each font it finds; one that then fails may have printed a
    partial or broken listing, so none of it is used (an fc-list of its own on the PATH, which
    prints one font and exits with the status given)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    fc_list = tmp_path / "fc-list"
    line = "/usr/share/fonts/cjk.ttc|2|Noto Sans CJK SC|Regular"
    for status, found in ((0, [("/usr/share/fonts/cjk.ttc", 2)]), (1, [])):
        fc_list.write_text(f"#!/bin/sh\necho '{line}'\nexit {status}\n")
        fc_list.chmod(0o755)
        assert certificate.system_cjk_fonts() == found


def test_a_staff_members_own_certificate_lists_their_own_records_only(client, w):
    """Staff read their community's records; their certificate is still only their own."""
    zhao_as_staff = make_staff(w["c1"])
    staff_p = Principal.for_user(zhao_as_staff.user)
    mine = _record(w, person_name="工作人员")
    ServiceRecord.update(user=zhao_as_staff.user).where(ServiceRecord.id == mine.id).execute()
    _record(w)  # a volunteer's record of the community the staff member serves
    got = certificate.certified_rows(staff_p, date(2026, 1, 1), date(2026, 12, 31), w["c1"].id)
    assert ids(got) == [mine.id]


def test_records_of_the_same_day_run_in_the_order_made(client, w):
    first = _record(w, certify=False)
    second = _record(w, certify=False)
    # certified in the other order: the rows move on disk (PostgreSQL), the list must not
    records.certify(w["sp"], second.id)
    records.certify(w["sp"], first.id)
    assert ids(certificate.certified_rows(w["zp"], DAY, DAY, None)) == [first.id, second.id]
