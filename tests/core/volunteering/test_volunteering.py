"""Volunteers, activities and service records through the HTTP API: registration and 双报到,
sign-up with a last place raced for, attendance hours, records from wishes and patrols,
certification into the time bank, corrections, immutability, scoping and bad input."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from core.timebank import postings
from core.timebank.postings import Holder
from models import (
    Activity,
    ActivitySignup,
    Event,
    PointEntry,
    ServiceRecord,
    User,
)
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
# 2026-12-05 09:00–11:00 in Beijing time
START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def world(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    return {
        "d": d,
        "c1": d.communities[0],
        "c2": d.communities[1],
        "staff": login_staff(client, staff),
        "other_staff": login_staff(client, make_staff(d.communities[1])),
        "admin": login_staff(client, make_staff(d.street, role="admin")),
        "vol": login(client, "志愿者小陈"),
        "vol2": login(client, "志愿者小李"),
        "stranger": login(client, "路人"),
        "steward": login_steward(client, d.stewards[0]),
    }


def register(client, headers, community, status=201, **extra):
    body = {"community_id": community.id, "name": "陈晓", "phone": "13800001111"}
    body.update(extra)
    res = client.post(f"{API}/volunteers", json=body, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


def publish(client, w, capacity=5, start=START, end=END, headers=None):
    body = {
        "title": "敬老院义务理发",
        "place": "社区敬老院",
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "capacity": capacity,
        "description": "带上工具",
    }
    res = client.post(f"{API}/activities", json=body, headers=headers or w["staff"])
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def post(client, url, headers, body=None, status=200):
    res = client.post(f"{API}{url}", json=body or {}, headers=headers)
    assert res.status_code == status, (url, res.get_json())
    return res.get_json()


def attend(client, w, activity_id, headers, check_in, check_out):
    with at(check_in):
        post(client, f"/activities/{activity_id}/check-in", headers)
    with at(check_out):
        return post(client, f"/activities/{activity_id}/check-out", headers)


# --- volunteers --------------------------------------------------------------------------------


def test_register_and_party_member_confirmation(client, world):
    w = world
    unit = post(
        client, "/service-units", w["staff"], {"name": "区税务局", "phone": "0539-1234567"}, 201
    )
    team = post(
        client, "/volunteer-teams", w["staff"], {"name": "党员先锋队", "leader_name": "王"}, 201
    )
    me = register(
        client,
        w["vol"],
        w["c1"],
        skills=["理发", "理发", "维修"],
        team_id=team["id"],
        party_member=True,
        unit_id=unit["id"],
    )
    assert me["skills"] == ["理发", "维修"] and me["team_name"] == "党员先锋队"
    assert me["party_status"] == "pending" and me["unit_name"] == "区税务局"
    # registering again updates the same row
    again = register(
        client, w["vol"], w["c1"], name="陈晓明", party_member=True, unit_id=unit["id"]
    )
    assert again["id"] == me["id"] and again["name"] == "陈晓明"
    # the other community's staff cannot see or confirm them
    post(client, f"/volunteers/{me['id']}/party-review", w["other_staff"], {"approve": True}, 404)
    # a refusal needs a reason
    bad = post(client, f"/volunteers/{me['id']}/party-review", w["staff"], {"approve": False}, 400)
    assert bad["error"]["fields"] == {"note": "不通过时请写明原因"}
    ok = post(client, f"/volunteers/{me['id']}/party-review", w["staff"], {"approve": True})
    assert ok["party_status"] == "confirmed"
    post(client, f"/volunteers/{me['id']}/party-review", w["staff"], {"approve": True}, 409)
    actions = [e.action for e in Event.for_subject("volunteer", me["id"])]
    assert actions == ["volunteer.register", "volunteer.update", "volunteer.party_confirm"]
    # a party member must name a unit of this community
    res = register(client, w["vol2"], w["c1"], 400, party_member=True)
    assert res["error"]["fields"] == {"unit_id": "在职党员请选择所在单位"}
    other_unit = post(client, "/service-units", w["other_staff"], {"name": "外单位"}, 201)
    res = register(client, w["vol2"], w["c1"], 400, party_member=True, unit_id=other_unit["id"])
    assert "unit_id" in res["error"]["fields"]


def test_directory_is_staff_only_scoped_and_filtered(client, world):
    w = world
    register(client, w["vol"], w["c1"], name="甲", phone="13800000001")
    register(client, w["vol2"], w["c2"], name="乙", phone="13800000002")
    mine = client.get(f"{API}/volunteers", headers=w["staff"]).get_json()
    assert [v["name"] for v in mine["items"]] == ["甲"] and mine["items"][0][
        "phone"
    ] == "13800000001"
    theirs = client.get(f"{API}/volunteers", headers=w["other_staff"]).get_json()
    assert [v["name"] for v in theirs["items"]] == ["乙"]
    street = client.get(f"{API}/volunteers", headers=w["admin"]).get_json()
    assert sorted(v["name"] for v in street["items"]) == ["乙", "甲"]
    found = client.get(f"{API}/volunteers?keyword=乙", headers=w["admin"]).get_json()
    assert [v["name"] for v in found["items"]] == ["乙"]
    assert client.get(f"{API}/volunteers", headers=w["vol"]).status_code == 403
    assert client.get(f"{API}/volunteers").status_code == 401
    # a volunteer reads only their own registration
    own = client.get(f"{API}/volunteers/me", headers=w["vol"]).get_json()["items"]
    assert [v["name"] for v in own] == ["甲"]
    # the registration form's community choice: every community, names only
    got = client.get(f"{API}/volunteers/communities", headers=w["vol"]).get_json()["items"]
    assert [(c["name"], c["street_name"]) for c in got] == [
        ("第1社区", "示范街道"),
        ("第2社区", "示范街道"),
    ]
    assert client.get(f"{API}/volunteers/communities").status_code == 401
    # units are listed to the registration form without contact details
    post(client, "/service-units", w["staff"], {"name": "区财政局", "phone": "13900000000"}, 201)
    units = client.get(f"{API}/service-units?community_id={w['c1'].id}", headers=w["vol"])
    assert units.get_json()["items"][0].get("phone") is None
    staff_units = client.get(f"{API}/service-units?community_id={w['c1'].id}", headers=w["staff"])
    assert staff_units.get_json()["items"][0]["phone"] == "13900000000"
    # a unit no longer used leaves the form; another community's staff cannot touch it
    unit_id = staff_units.get_json()["items"][0]["id"]
    post(client, f"/service-units/{unit_id}/active", w["other_staff"], {"active": False}, 404)
    post(client, f"/service-units/{unit_id}/active", w["staff"], {"active": False})
    units = client.get(f"{API}/service-units?community_id={w['c1'].id}", headers=w["vol"])
    assert units.get_json()["items"] == []
    res = register(client, w["vol2"], w["c1"], 400, party_member=True, unit_id=unit_id)
    assert res["error"]["fields"] == {"unit_id": "本社区没有这个单位"}
    assert Event.select().where(Event.action == "service_unit.disable").count() == 1


def test_bad_registration_names_the_field_in_chinese(client, world):
    w = world
    res = register(client, w["vol"], w["c1"], 400, phone="12345")
    assert res["error"]["fields"] == {"phone": "请填写正确的手机号（11 位）"}
    assert "手机号" in res["error"]["message"]
    res = register(client, w["vol"], w["c1"], 400, name="   ")
    assert res["error"]["fields"]["name"] == "不能为空"
    res = register(client, w["vol"], w["c1"], 400, community_id="x")
    assert res["error"]["message"].startswith("社区")
    res = register(client, w["vol"], w["d"].grids[0], 400)
    assert res["error"]["fields"] == {"community_id": "须为社区"}
    res = register(client, w["vol"], w["c1"], 400, skills=["很长" * 11])
    assert res["error"]["fields"] == {"skills": "每项最多 20 个字"}


# --- activities --------------------------------------------------------------------------------


def test_signup_cancel_and_full(client, world):
    w = world
    register(client, w["vol"], w["c1"])
    register(client, w["vol2"], w["c1"], name="李", phone="13800002222")
    with at(START - timedelta(days=1)):
        act = publish(client, w, capacity=1)
        post(client, f"/activities/{act['id']}/signup", w["stranger"], status=403)
        got = post(client, f"/activities/{act['id']}/signup", w["vol"])
        assert got["places_left"] == 0 and got["my_signup"]["status"] == "signed_up"
        post(client, f"/activities/{act['id']}/signup", w["vol"], status=409)
        full = post(client, f"/activities/{act['id']}/signup", w["vol2"], status=409)
        assert full["error"]["code"] == "activity_full" and full["error"]["message"] == "名额已满"
        post(client, f"/activities/{act['id']}/signup/cancel", w["vol"])
        got = post(client, f"/activities/{act['id']}/signup", w["vol2"])
        assert got["signed_up"] == 1
        # the volunteer of another community does not see it
        assert client.get(f"{API}/activities/{act['id']}", headers=w["stranger"]).status_code == 404
        listing = client.get(f"{API}/activities?mine=true", headers=w["vol2"]).get_json()
        assert [a["id"] for a in listing["items"]] == [act["id"]]
        # another volunteer's phone is in nothing a volunteer reads
        seen = client.get(f"{API}/activities/{act['id']}", headers=w["vol2"]).get_data(as_text=True)
        assert "13800001111" not in seen and "13800001111" not in str(listing)
        names = client.get(f"{API}/activities/{act['id']}/signups", headers=w["staff"]).get_json()
        assert [(s["name"], s["status"]) for s in names["items"]] == [
            ("陈晓", "cancelled"),
            ("李", "signed_up"),
        ]
        assert (
            client.get(
                f"{API}/activities/{act['id']}/signups", headers=w["other_staff"]
            ).status_code
            == 403
        )


def test_twenty_volunteers_race_for_the_last_place(app, client, world):
    w = world
    with at(START - timedelta(days=1)):
        act = publish(client, w, capacity=3)
    heads = []
    for i in range(20):
        h = login(client, f"抢名额{i}")
        register(client, h, w["c1"], name=f"志愿者{i}", phone=f"139000000{i:02d}")
        heads.append(h)
    with at(START - timedelta(days=1)):
        for h in heads[:2]:
            post(client, f"/activities/{act['id']}/signup", h)
    barrier = threading.Barrier(18)
    results = []

    def take(headers):
        c = app.test_client()
        barrier.wait()
        res = c.post(f"{API}/activities/{act['id']}/signup", json={}, headers=headers)
        results.append((res.status_code, (res.get_json().get("error") or {}).get("code")))

    threads = [threading.Thread(target=take, args=(h,)) for h in heads[2:]]
    # Before the activity, whatever today's date (the clock ticks: the threads wait on locks).
    with time_machine.travel(START - timedelta(days=1)):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert sorted(results) == [(200, None)] + [(409, "activity_full")] * 17
    assert Activity.get_by_id(act["id"]).signed_up == 3
    assert ActivitySignup.select().where(ActivitySignup.status == "signed_up").count() == 3


def test_attendance_makes_a_record_with_rounded_capped_hours(client, world):
    w = world
    register(client, w["vol"], w["c1"])
    register(client, w["vol2"], w["c1"], name="李", phone="13800002222")
    with at(START - timedelta(days=1)):
        act = publish(client, w)
        aid = act["id"]
        post(client, f"/activities/{aid}/signup", w["vol"])
        post(client, f"/activities/{aid}/signup", w["vol2"])
        # not yet the day
        res = post(client, f"/activities/{aid}/check-in", w["vol"], status=409)
        assert res["error"]["code"] == "outside_window"
    # 1 h 14 min → 1.0 h
    out = attend(
        client, w, aid, w["vol"], START + timedelta(minutes=5), START + timedelta(minutes=79)
    )
    assert out["hours"] == 1.0
    record = ServiceRecord.get_by_id(out["record_id"])
    assert record.status == "pending" and record.person_name == "陈晓"
    assert record.served_on.isoformat() == "2026-12-05"
    # arrived early, stayed late: capped at the activity's two hours
    out2 = attend(
        client, w, aid, w["vol2"], START - timedelta(minutes=25), END + timedelta(minutes=100)
    )
    assert out2["hours"] == 2.0
    with at(END):
        post(client, f"/activities/{aid}/check-out", w["vol"], status=409)


def test_staff_check_people_in_and_out(client, world):
    w = world
    me = register(client, w["vol"], w["c1"])
    with at(START - timedelta(days=1)):
        act = publish(client, w)
        post(client, f"/activities/{act['id']}/signup", w["vol"])
    with at(END + timedelta(days=1)):
        url = f"/activities/{act['id']}"
        body_in = {"volunteer_id": me["id"], "at": "2026-12-05T09:10:00"}  # local time
        post(client, f"{url}/check-in", w["other_staff"], body_in, status=403)
        post(client, f"{url}/check-in", w["staff"], body_in)
        bad = post(
            client,
            f"{url}/check-out",
            w["staff"],
            {"volunteer_id": me["id"], "at": "2026-12-06T09:00:00"},
            status=400,
        )
        assert bad["error"]["fields"] == {"at": "须在活动时间前后"}
        out = post(
            client,
            f"{url}/check-out",
            w["staff"],
            {"volunteer_id": me["id"], "at": "2026-12-05T10:50:00+08:00"},
        )
        assert out["hours"] == 1.5  # 1 h 40 min → 1.5 h (the nearest half hour)
        # a volunteer cannot set their own time
        post(client, f"{url}/check-in", w["vol"], {"at": "2026-12-05T09:10:00"}, status=403)


def test_publish_validation(client, world):
    w = world
    body = {
        "title": "活动",
        "place": "广场",
        "starts_at": "2026-12-05T09:00:00",
        "ends_at": "2026-12-05T08:00:00",
        "capacity": 3,
    }
    res = client.post(f"{API}/activities", json=body, headers=w["staff"]).get_json()
    assert res["error"]["fields"] == {"ends_at": "须晚于开始时间"}
    res = client.post(f"{API}/activities", json={**body, "capacity": 0}, headers=w["staff"])
    assert res.status_code == 400 and res.get_json()["error"]["message"].startswith("名额")
    res = client.post(f"{API}/activities", json={**body, "starts_at": "明天"}, headers=w["staff"])
    assert res.get_json()["error"]["message"].startswith("开始时间")
    res = client.post(
        f"{API}/activities", json={**body, "community_id": w["c2"].id}, headers=w["staff"]
    )
    assert res.status_code == 403
    assert client.post(f"{API}/activities", json=body, headers=w["vol"]).status_code == 403


# --- records from wishes and patrols -------------------------------------------------------------


def _fulfilled_wish(client, w, claimer):
    body = {
        "board_code": w["d"].boards[0].code,
        "beneficiary_type": "elderly",
        "display_name": "王奶奶",
        "title": "想要一台收音机",
        "content": "家里的收音机坏了",
        "contact_phone": "13800001111",
    }
    wish = post(client, "/wishes", w["stranger"], body, 201)
    post(client, f"/wishes/{wish['id']}/approve", w["staff"])
    post(client, f"/wishes/{wish['id']}/claim", claimer)
    post(client, f"/wishes/{wish['id']}/fulfil", claimer, {"note": "送到了"})
    return wish


def test_a_fulfilled_wish_creates_one_record_for_its_claimer(client, world):
    w = world
    register(client, w["vol"], w["c1"], name="陈晓")
    wish = _fulfilled_wish(client, w, w["vol"])
    rows = list(ServiceRecord.select().where(ServiceRecord.source_type == "wish"))
    assert len(rows) == 1
    record = rows[0]
    vol_user = User.get(User.openid == "dev:志愿者小陈")
    assert record.user_id == vol_user.id and record.steward_id is None
    assert record.source_id == wish["id"] and record.hours == Decimal("1.0")
    assert record.person_name == "陈晓" and record.community_id == w["c1"].id
    # The trail names who fulfilled it as the one who made the record, not "系统".
    made = Event.get((Event.action == "service_record.create") & (Event.subject_id == record.id))
    assert (made.actor_id, made.area_id) == (vol_user.id, w["c1"].id)
    assert made.data == {"source": f"wish:{wish['id']}", "hours": "1.0"}


def test_a_steward_fulfilling_gets_the_record_on_their_steward_passbook(client, world):
    w = world
    _fulfilled_wish(client, w, w["steward"])
    record = ServiceRecord.get(ServiceRecord.source_type == "wish")
    assert record.steward_id == w["d"].stewards[0].id and record.user_id is None


def test_one_patrol_record_per_steward_per_day(client, world, app):
    w = world
    app.config["SERVICE_HOURS"] = {"wish": 1, "patrol": 1.5}
    with at(datetime(2026, 12, 5, 1, tzinfo=UTC)):
        post(client, "/patrols", w["steward"], {"note": "上午巡查"}, 201)
    with at(datetime(2026, 12, 5, 8, tzinfo=UTC)):
        post(client, "/patrols", w["steward"], {"note": "下午巡查"}, 201)
    with at(datetime(2026, 12, 5, 17, tzinfo=UTC)):  # 01:00 the next local day
        post(client, "/patrols", w["steward"], {"note": "夜巡"}, 201)
    rows = list(ServiceRecord.select().order_by(ServiceRecord.served_on))
    assert [(r.served_on.isoformat(), r.hours) for r in rows] == [
        ("2026-12-05", Decimal("1.5")),
        ("2026-12-06", Decimal("1.5")),
    ]
    assert all(r.steward_id == w["d"].stewards[0].id for r in rows)


# --- certification, corrections, immutability ---------------------------------------------------


def _record(client, w, hours_in=START, minutes=120):
    register(client, w["vol"], w["c1"])
    with at(START - timedelta(days=1)):
        act = publish(client, w)
        post(client, f"/activities/{act['id']}/signup", w["vol"])
    out = attend(client, w, act["id"], w["vol"], hours_in, hours_in + timedelta(minutes=minutes))
    return out["record_id"]


def test_certify_posts_points_once_and_freezes_the_record(client, world):
    w = world
    rid = _record(client, w)
    post(client, f"/service-records/{rid}/certify", w["vol"], status=403)
    post(client, f"/service-records/{rid}/certify", w["other_staff"], status=404)
    # staff may fix a pending record
    res = client.patch(f"{API}/service-records/{rid}", json={"hours": 2.5}, headers=w["staff"])
    assert res.status_code == 200 and res.get_json()["hours"] == 2.5
    done = post(client, f"/service-records/{rid}/certify", w["staff"])
    assert done["status"] == "certified" and done["certified_by"]
    entry = PointEntry.get(PointEntry.key == f"service_record:{rid}")
    assert entry.points == 3 and entry.rule == "service_hour" and entry.source_type == "activity"
    vol_user = User.get(User.openid == "dev:志愿者小陈")
    account = postings.account_for(w["c1"], Holder(user_id=vol_user.id))
    assert postings.balance_of(account) == 3 == account.balance
    # certified: never again, never changed
    again = post(client, f"/service-records/{rid}/certify", w["staff"], status=409)
    assert again["error"]["code"] == "already_certified"
    res = client.patch(f"{API}/service-records/{rid}", json={"hours": 9}, headers=w["staff"])
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "record_certified"
    bulk = post(client, "/service-records/certify", w["staff"], {"ids": [rid]})
    assert bulk == {"certified": [], "skipped": [rid]}
    assert ServiceRecord.get_by_id(rid).hours == Decimal("2.5")
    # one service-hour entry (issues handled in the world earn duty points of their own)
    assert PointEntry.select().where(PointEntry.rule == "service_hour").count() == 1


def test_correction_reverses_hours_and_points(client, world):
    w = world
    rid = _record(client, w)
    post(client, f"/service-records/{rid}/certify", w["staff"])
    res = post(client, f"/service-records/{rid}/corrections", w["staff"], {"reason": " "}, 400)
    assert res["error"]["fields"] == {"reason": "不能为空"}
    post(client, f"/service-records/{rid}/corrections", w["other_staff"], {"reason": "x"}, 404)
    out = post(
        client,
        f"/service-records/{rid}/corrections",
        w["staff"],
        {"reason": "签退时间记错", "hours": 1.5},
        201,
    )
    reversal, replacement = out["reversal"], out["replacement"]
    assert reversal["hours"] == -2.0 and reversal["reverses_id"] == rid
    assert reversal["status"] == "certified" and reversal["reason"] == "签退时间记错"
    assert replacement["hours"] == 1.5 and replacement["status"] == "pending"
    original = PointEntry.get(PointEntry.key == f"service_record:{rid}")
    reversed_by = PointEntry.get(PointEntry.reverses == original.id)
    assert reversed_by.points == -2 and reversal["entry_id"] == reversed_by.id
    post(client, f"/service-records/{replacement['id']}/certify", w["staff"])
    vol_user = User.get(User.openid == "dev:志愿者小陈")
    account = postings.account_for(w["c1"], Holder(user_id=vol_user.id))
    assert postings.balance_of(account) == 2 == account.balance  # 2 - 2 + round(1.5) = 2
    assert postings.audit_balances() == []
    # once only; a reversal itself is not corrected or edited
    post(client, f"/service-records/{rid}/corrections", w["staff"], {"reason": "再来"}, 409)
    post(client, f"/service-records/{reversal['id']}/corrections", w["staff"], {"reason": "x"}, 409)
    res = client.patch(
        f"{API}/service-records/{reversal['id']}", json={"hours": 1}, headers=w["staff"]
    )
    assert res.status_code == 409
    # the volunteer's list: net hours = 1.5
    mine = client.get(f"{API}/service-records?status=certified", headers=w["vol"]).get_json()
    assert mine["total"] == 3 and mine["total_hours"] == 1.5


def test_bulk_certify_is_all_or_nothing_on_scope(client, world):
    w = world
    _record(client, w)
    with at(datetime(2026, 12, 5, 1, tzinfo=UTC)):
        post(client, "/patrols", w["steward"], {"note": "巡查"}, 201)
    other = login_steward(client, w["d"].stewards[2])  # community 2
    with at(datetime(2026, 12, 5, 1, tzinfo=UTC)):
        post(client, "/patrols", other, {"note": "巡查"}, 201)
    ids = [r.id for r in ServiceRecord.select().order_by(ServiceRecord.id)]
    post(client, "/service-records/certify", w["staff"], {"ids": ids}, 404)
    assert ServiceRecord.select().where(ServiceRecord.status == "certified").count() == 0
    out = post(client, "/service-records/certify", w["staff"], {"ids": ids[:2]})
    assert [r["id"] for r in out["certified"]] == ids[:2] and out["skipped"] == []
    steward_entry = PointEntry.get(PointEntry.key == f"service_record:{ids[1]}")
    assert steward_entry.account.steward_id == w["d"].stewards[0].id
    res = post(client, "/service-records/certify", w["staff"], {"ids": []}, 400)
    assert res["error"]["message"].startswith("服务记录")


def test_records_by_role(client, world):
    w = world
    rid = _record(client, w)
    with at(datetime(2026, 12, 5, 1, tzinfo=UTC)):
        post(client, "/patrols", w["steward"], {"note": "巡查"}, 201)

    def ids(headers, query=""):
        res = client.get(f"{API}/service-records{query}", headers=headers)
        assert res.status_code == 200, res.get_json()
        return sorted(r["id"] for r in res.get_json()["items"])

    patrol_id = ServiceRecord.get(ServiceRecord.source_type == "patrol").id
    assert ids(w["vol"]) == [rid]
    assert ids(w["steward"]) == [patrol_id]
    assert ids(w["staff"]) == sorted([rid, patrol_id])
    assert ids(w["staff"], "?source_type=patrol") == [patrol_id]
    assert ids(w["other_staff"]) == []
    assert ids(w["vol2"]) == []
    assert client.get(f"{API}/service-records/{rid}", headers=w["vol2"]).status_code == 404
    assert client.get(f"{API}/service-records").status_code == 401
    bad = client.get(f"{API}/service-records?status=done", headers=w["staff"]).get_json()
    assert bad["error"]["message"].startswith("状态")


def test_two_staff_certifying_at_once_post_the_points_once(app, client, world):
    w = world
    rid = _record(client, w)
    second = login_staff(client, make_staff(w["c1"]))
    barrier = threading.Barrier(6)
    results = []

    def certify(headers):
        c = app.test_client()
        barrier.wait()
        res = c.post(f"{API}/service-records/{rid}/certify", json={}, headers=headers)
        results.append((res.status_code, (res.get_json().get("error") or {}).get("code")))

    threads = [
        threading.Thread(target=certify, args=(w["staff"] if i % 2 else second,)) for i in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == [(200, None)] + [(409, "already_certified")] * 5
    assert PointEntry.select().where(PointEntry.key == f"service_record:{rid}").count() == 1
    assert postings.audit_balances() == []
