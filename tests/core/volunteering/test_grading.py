"""Year-end grading of in-service party members: proposed from certified hours (thresholds
configurable), confirmed or changed with a reason (audited), exported per unit as xlsx."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from core.people.permissions import Principal
from core.volunteering import records, volunteers
from models import Event, ServiceRecord, User
from tests.factories import login, login_staff, make_district, make_staff

API = "/api/v1"


def _certified(volunteer, hours: str, day=date(2026, 5, 1), key=None):
    ServiceRecord.create(
        community=volunteer.community_id,
        user=volunteer.user_id,
        volunteer=volunteer,
        person_name=volunteer.name,
        source_type="activity",
        source_key=key or f"test:{volunteer.id}:{day}:{hours}",
        title="志愿活动",
        served_on=day,
        hours=hours,
        organiser="第1社区",
    )


@pytest.fixture
def world(client, app):
    d = make_district()
    c1 = d.communities[0]
    staff = make_staff(c1)
    sp = Principal.for_user(staff.user)
    tax = volunteers.add_unit(sp, c1.id, "区税务局")
    bank = volunteers.add_unit(sp, c1.id, "农商银行")
    members = {}
    for name, unit in (("赵", tax), ("钱", tax), ("孙", bank)):
        login(client, name)
        user = User.get(User.openid == f"dev:{name}")
        v = volunteers.register(
            Principal.for_user(user), c1.id, name, "13800000000", party_member=True, unit_id=unit.id
        )
        volunteers.review_party_member(sp, v.id, True)
        members[name] = v
    # hours: certified in 2026 count; pending ones and other years do not
    for name, hours in (("赵", "45"), ("钱", "12.5"), ("孙", "9.5")):
        _certified(members[name], hours)
    for row in ServiceRecord.select():
        records.certify(sp, row.id)
    _certified(members["孙"], "5", key="pending")  # pending: not counted
    _certified(members["孙"], "30", day=date(2025, 12, 31), key="lastyear")
    records.certify(sp, ServiceRecord.get(ServiceRecord.source_key == "lastyear").id)
    return {
        "d": d,
        "staff": login_staff(client, staff),
        "other_staff": login_staff(client, make_staff(d.communities[1])),
        "members": members,
        "units": (tax, bank),
    }


def test_proposal_confirmation_and_export(client, world, app):
    w = world
    res = client.post(f"{API}/party-gradings/propose", json={"year": 2026}, headers=w["staff"])
    assert res.status_code == 200, res.get_json()
    got = {r["name"]: (r["hours"], r["proposed"]) for r in res.get_json()["items"]}
    assert got == {"赵": (45.0, "好"), "钱": (12.5, "一般"), "孙": (9.5, "差")}
    # thresholds are configuration
    app.config["SERVICE_GRADE_THRESHOLDS"] = {"好": 12, "较好": 10, "一般": 5}
    res = client.post(f"{API}/party-gradings/propose", json={"year": 2026}, headers=w["staff"])
    got = {r["name"]: r["proposed"] for r in res.get_json()["items"]}
    assert got == {"赵": "好", "钱": "好", "孙": "一般"}
    rows = {r["name"]: r for r in res.get_json()["items"]}
    # confirming the proposal needs no reason; changing it does
    ok = client.post(
        f"{API}/party-gradings/{rows['赵']['id']}/confirm", json={"grade": "好"}, headers=w["staff"]
    )
    assert ok.status_code == 200 and ok.get_json()["grade"] == "好"
    bad = client.post(
        f"{API}/party-gradings/{rows['孙']['id']}/confirm",
        json={"grade": "较好"},
        headers=w["staff"],
    ).get_json()
    assert bad["error"]["fields"] == {"reason": "评定等次与建议不同，请写明原因"}
    bad = client.post(
        f"{API}/party-gradings/{rows['孙']['id']}/confirm", json={"grade": "优"}, headers=w["staff"]
    ).get_json()
    assert bad["error"]["message"].startswith("评定等次")
    changed = client.post(
        f"{API}/party-gradings/{rows['孙']['id']}/confirm",
        json={"grade": "较好", "reason": "长期照护独居老人，未全部登记"},
        headers=w["staff"],
    ).get_json()
    assert changed["grade"] == "较好" and changed["confirmed_by"]
    event = Event.for_subject("party_grading", rows["孙"]["id"]).first()
    assert event.data["proposed"] == "一般" and event.data["grade"] == "较好"
    assert event.data["reason"] == "长期照护独居老人，未全部登记"
    # another community's staff neither see nor change them
    res = client.post(
        f"{API}/party-gradings/{rows['孙']['id']}/confirm",
        json={"grade": "差", "reason": "x"},
        headers=w["other_staff"],
    )
    assert res.status_code == 404
    c1 = w["d"].communities[0].id
    res = client.get(f"{API}/party-gradings?year=2026&community_id={c1}", headers=w["other_staff"])
    assert res.status_code == 403
    # the workbook: one sheet per unit, read back
    res = client.get(f"{API}/party-gradings.xlsx?year=2026", headers=w["staff"])
    assert res.status_code == 200
    book = load_workbook(io.BytesIO(res.data))
    assert sorted(book.sheetnames) == ["农商银行", "区税务局"]
    tax = book["区税务局"]
    assert [c.value for c in tax[2]][:6] == [
        "姓名",
        "双报到单位",
        "志愿服务队",
        "已认证服务时长（小时）",
        "建议等次",
        "评定等次",
    ]
    body = {row[0]: row for row in tax.iter_rows(min_row=3, values_only=True)}
    assert body["赵"][3] == 45 and body["赵"][5] == "好"
    assert body["钱"][5] == "（待确认）"
    bank = list(book["农商银行"].iter_rows(min_row=3, values_only=True))
    assert bank[0][0] == "孙" and bank[0][5] == "较好" and bank[0][6].startswith("长期照护")
    # one unit only
    unit = w["units"][1].id
    res = client.get(f"{API}/party-gradings.xlsx?year=2026&unit_id={unit}", headers=w["staff"])
    assert load_workbook(io.BytesIO(res.data)).sheetnames == ["农商银行"]
    res = client.get(f"{API}/party-gradings.xlsx?year=1999", headers=w["staff"])
    assert res.get_json()["error"]["message"].startswith("年度")
