"""包联户 (民情联系卡) and 一人一策 through the API: the full permission matrix for every route
(counts and ids asserted), bad input naming the field, plans, visits (directly and named on a
patrol), the audit of every read, and overdue visits in the group reminder digest."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image

from jobs import reminders
from models import ChatGroup, Event, Household, OutboxMessage, Steward, StewardAlley, Visit
from tests.factories import (
    District,
    login,
    login_staff,
    login_steward,
    make_district,
    make_staff,
    next_phone,
)

API = "/api/v1"
SH = ZoneInfo("Asia/Shanghai")
WHO = (
    "anonymous",
    "resident",
    "steward",  # the household's own steward (管家11)
    "alley_mate",  # another steward of the same alley
    "other_community_steward",
    "staff",
    "other_staff",
    "admin",
)


@dataclass
class World:
    d: District
    headers: dict[str, dict]
    h: dict[str, int]  # household ids by name
    alley_mate: Steward


def card(alley_id, address, head, phone="13811112222", **extra):
    body = {
        "alley_id": alley_id,
        "address": address,
        "head_name": head,
        "head_phone": phone,
        "members": [
            {"name": f"{head}的老伴", "relation": "配偶", "birth_year": 1948},
        ],
        "tags": ["独居老人"],
        "notes": "腿脚不便",
    }
    body.update(extra)
    return body


def _post(client, path, body, headers, status=201):
    res = client.post(f"{API}{path}", json=body, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


@pytest.fixture
def world(app, client) -> World:
    d = make_district()
    mate = Steward.create(name="同巷管家", phone=next_phone())
    StewardAlley.create(steward=mate, alley=d.alleys[0])
    staff = login_staff(client, make_staff(d.communities[0]))
    headers = {
        "anonymous": {},
        "resident": login(client, "居民甲"),
        "steward": login_steward(client, d.stewards[0]),
        "alley_mate": login_steward(client, mate),
        "other_community_steward": login_steward(client, d.stewards[2]),
        "staff": staff,
        "other_staff": login_staff(client, make_staff(d.communities[1])),
        "admin": login_staff(client, make_staff(d.street, role="admin")),
    }
    s11, s21 = d.stewards[0], d.stewards[2]
    h = {
        "h1": _post(
            client,
            "/households",
            card(d.alleys[0].id, "1区1巷3号", "王大爷", steward_id=s11.id),
            staff,
        )["id"],
        "h2": _post(
            client,
            "/households",
            card(d.alleys[0].id, "1区1巷5号", "李奶奶", "13811113333"),
            headers["steward"],
        )["id"],
        "h3": _post(
            client,
            "/households",
            card(d.alleys[0].id, "1区1巷7号", "赵叔", "13811114444", steward_id=mate.id),
            staff,
        )["id"],
        "h4": _post(
            client,
            "/households",
            card(d.alleys[2].id, "2区1巷1号", "孙婆婆", "13811115555", steward_id=s21.id),
            headers["admin"],
        )["id"],
    }
    return World(d=d, headers=headers, h=h, alley_mate=mate)


def _jpeg() -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (64, 48), os.urandom(64 * 48 * 3)).save(buf, "JPEG")
    return buf.getvalue()


# who sees which households in the list
LIST_EXPECTED = {
    "anonymous": 401,
    "resident": 403,
    "steward": {"h1", "h2"},
    "alley_mate": {"h3"},
    "other_community_steward": {"h4"},
    "staff": {"h1", "h2", "h3"},
    "other_staff": {"h4"},
    "admin": {"h1", "h2", "h3", "h4"},
}
# who may read / change household h1
ONE_EXPECTED = {
    "anonymous": 401,
    "resident": 403,
    "steward": 200,
    "alley_mate": 404,
    "other_community_steward": 404,
    "staff": 200,
    "other_staff": 404,
    "admin": 200,
}


@pytest.mark.parametrize("who", WHO)
def test_list_matrix(client, world, who):
    res = client.get(f"{API}/households", headers=world.headers[who])
    expected = LIST_EXPECTED[who]
    if isinstance(expected, int):
        assert res.status_code == expected
        assert "王大爷" not in res.get_data(as_text=True)
        return
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    ids = {i["id"] for i in body["items"]}
    assert ids == {world.h[name] for name in expected}
    assert body["total"] == len(expected)
    event = Event.select().where(Event.action == "household.list").order_by(Event.id.desc()).first()
    assert sorted(event.data["ids"]) == sorted(ids)


def _routes(world):
    h1 = world.h["h1"]
    return {
        "read": ("GET", f"/households/{h1}", None, 200),
        "update": ("POST", f"/households/{h1}/update", {"notes": "已装扶手"}, 200),
        "plan": (
            "POST",
            f"/households/{h1}/plans",
            {"group": "鳏寡孤独", "plan": "每周电话问候，每月上门", "interval_days": 7},
            201,
        ),
        "visit": ("POST", f"/households/{h1}/visits", {"note": "身体还好"}, 201),
        "visits": ("GET", f"/households/{h1}/visits", None, 200),
    }


@pytest.mark.parametrize("route", ["read", "update", "plan", "visit", "visits"])
@pytest.mark.parametrize("who", WHO)
def test_one_household_matrix(client, world, who, route):
    method, path, body, ok = _routes(world)[route]
    before = Event.select().where(Event.subject_type == "household").count()
    if method == "GET":
        res = client.get(f"{API}{path}", headers=world.headers[who])
    else:
        res = client.post(f"{API}{path}", json=body, headers=world.headers[who])
    expected = ONE_EXPECTED[who]
    if expected != 200:
        assert res.status_code == expected, res.get_json()
        text = res.get_data(as_text=True)
        assert "王大爷" not in text and "13811112222" not in text and "1区1巷3号" not in text
        assert Event.select().where(Event.subject_type == "household").count() == before
        return
    assert res.status_code == ok, res.get_json()
    after = (
        Event.select()
        .where((Event.subject_type == "household") & (Event.subject_id == world.h["h1"]))
        .order_by(Event.id.desc())
    )
    assert after.count() > 0 and after.first().actor_id is not None
    if route == "read":
        got = res.get_json()
        assert got["head_name"] == "王大爷" and got["head_phone"] == "13811112222"
        assert got["members"][0]["relation"] == "配偶"
        assert after.first().action == "household.read"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("steward", 201),
        ("alley_mate", 403),  # filing it under another steward's name
        ("other_community_steward", 403),
        ("staff", 201),
        ("other_staff", 403),
        ("admin", 201),
    ],
)
def test_create_matrix(client, world, who, status):
    body = card(
        world.d.alleys[0].id, f"1区1巷{len(who)}0号", "新户", steward_id=world.d.stewards[0].id
    )
    res = client.post(f"{API}/households", json=body, headers=world.headers[who])
    assert res.status_code == status, res.get_json()
    count = Household.select().where(Household.head_name == "新户").count()
    assert count == (1 if status == 201 else 0)
    if status == 201:
        assert res.get_json()["steward"]["id"] == world.d.stewards[0].id


def test_filters_and_overdue_first(client, world):
    staff = world.headers["staff"]
    _post(
        client,
        f"/households/{world.h['h1']}/update",
        {"tags": ["残疾", "低保"]},
        staff,
        status=200,
    )
    got = client.get(f"{API}/households?tag=低保", headers=staff).get_json()
    assert [i["id"] for i in got["items"]] == [world.h["h1"]]
    got = client.get(f"{API}/households?steward_id={world.alley_mate.id}", headers=staff).get_json()
    assert [i["id"] for i in got["items"]] == [world.h["h3"]]
    got = client.get(f"{API}/households?alley_id={world.d.alleys[2].id}", headers=staff).get_json()
    assert got["total"] == 0  # not theirs, even when asked for by id
    # a plan due in 3 days on h2; after 4 days it is overdue and listed first
    start = datetime(2026, 11, 22, 9, tzinfo=SH)
    with time_machine.travel(start, tick=False) as clock:
        _post(
            client,
            f"/households/{world.h['h2']}/plans",
            {"group": "鳏寡孤独", "plan": "每三天上门一次", "interval_days": 3},
            world.headers["steward"],
        )
        mine = client.get(f"{API}/households", headers=world.headers["steward"]).get_json()
        assert [i["overdue"] for i in mine["items"]] == [False, False]
        clock.shift(timedelta(days=4))
        mine = client.get(f"{API}/households", headers=world.headers["steward"]).get_json()
        assert [i["id"] for i in mine["items"]] == [world.h["h2"], world.h["h1"]]
        assert [i["overdue"] for i in mine["items"]] == [True, False]
        only = client.get(f"{API}/households?overdue=true", headers=staff).get_json()
        assert [i["id"] for i in only["items"]] == [world.h["h2"]]
        # a visit puts it back on schedule
        _post(
            client,
            f"/households/{world.h['h2']}/visits",
            {"note": "送了米面"},
            world.headers["steward"],
        )
        only = client.get(f"{API}/households?overdue=true", headers=staff).get_json()
        assert only["total"] == 0
        got = client.get(f"{API}/households/{world.h['h2']}", headers=staff).get_json()
        assert got["plans"][0]["overdue"] is False
        assert got["visits"][0]["note"] == "送了米面"
        assert got["visits"][0]["visitor"] == "管家 管家11"


@pytest.mark.parametrize(
    ("body", "field", "word"),
    [
        ({"address": ""}, "address", "地址"),
        ({"head_name": "  "}, "head_name", "户主"),
        ({"head_phone": "12345"}, "head_phone", "户主电话"),
        ({"tags": ["富豪"]}, "tags", "标签"),
        ({"members": [{"name": "", "relation": "子"}]}, "members.0.name", "成员"),
        ({"members": [{"name": "小明", "birth_year": 1800}]}, "members.0.birth_year", "出生年份"),
        ({"alley_id": "x"}, "alley_id", "街巷"),
    ],
)
def test_bad_card_names_the_field(client, world, body, field, word):
    full = card(world.d.alleys[0].id, "1区1巷99号", "钱某", steward_id=world.d.stewards[0].id)
    full.update(body)
    res = client.post(f"{API}/households", json=full, headers=world.headers["staff"])
    assert res.status_code == 400, res.get_json()
    err = res.get_json()["error"]
    assert field in err["fields"], err
    assert word in err["message"], err


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group": "富裕户", "plan": "x", "interval_days": 7}, "group"),
        ({"group": "留守儿童", "plan": "", "interval_days": 7}, "plan"),
        ({"group": "留守儿童", "plan": "陪读", "interval_days": 0}, "interval_days"),
        (
            {"group": "留守儿童", "plan": "陪读", "interval_days": 7, "member_name": "路人"},
            "member_name",
        ),
        (
            {"group": "留守儿童", "plan": "陪读", "interval_days": 7, "volunteer_user_id": 99999},
            "volunteer_user_id",
        ),
    ],
)
def test_bad_plan_names_the_field(client, world, body, field):
    res = client.post(
        f"{API}/households/{world.h['h1']}/plans", json=body, headers=world.headers["staff"]
    )
    assert res.status_code == 400, res.get_json()
    assert field in res.get_json()["error"]["fields"]


def test_duplicate_address_is_409_and_steward_cannot_reassign(client, world):
    body = card(world.d.alleys[0].id, "1区1巷3号", "王大爷", steward_id=world.d.stewards[0].id)
    res = client.post(f"{API}/households", json=body, headers=world.headers["staff"])
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "household_exists"
    res = client.post(
        f"{API}/households/{world.h['h1']}/update",
        json={"steward_id": world.alley_mate.id},
        headers=world.headers["steward"],
    )
    assert res.status_code == 403
    res = client.post(
        f"{API}/households/{world.h['h1']}/update",
        json={"steward_id": world.alley_mate.id},
        headers=world.headers["staff"],
    )
    assert res.status_code == 200 and res.get_json()["steward"]["id"] == world.alley_mate.id
    # now it is the mate's, and no longer the first steward's
    assert (
        client.get(
            f"{API}/households/{world.h['h1']}", headers=world.headers["steward"]
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"{API}/households/{world.h['h1']}", headers=world.headers["alley_mate"]
        ).status_code
        == 200
    )


def test_plan_with_volunteer_and_update(client, world):
    vol_headers = login(client, "志愿者小刘")
    vol_id = client.get(f"{API}/me", headers=vol_headers).get_json()["user"]["id"]
    plan = _post(
        client,
        f"/households/{world.h['h1']}/plans",
        {
            "group": "重症残疾人",
            "plan": "每周两次康复陪护",
            "member_name": "王大爷的老伴",
            "volunteer_user_id": vol_id,
            "volunteer_name": "刘志愿",
            "volunteer_phone": "13700001111",
            "interval_days": 14,
        },
        world.headers["staff"],
    )
    assert plan["volunteer"] == {"user_id": vol_id, "name": "刘志愿", "phone": "13700001111"}
    assert plan["member_name"] == "王大爷的老伴"
    updated = _post(
        client,
        f"/household-plans/{plan['id']}/update",
        {"interval_days": 30, "active": False},
        world.headers["steward"],
        status=200,
    )
    assert updated["interval_days"] == 30 and updated["active"] is False
    assert (
        client.post(
            f"{API}/household-plans/{plan['id']}/update",
            json={"interval_days": 3},
            headers=world.headers["other_staff"],
        ).status_code
        == 404
    )
    h1 = Household.get_by_id(world.h["h1"])
    assert h1.visit_due_at is None  # its only plan stopped: nothing falls due


def test_visit_photos_must_be_the_visitors_own(client, world, app):
    other = login(client, "别人")
    res = client.post(
        f"{API}/media",
        data={"file": (io.BytesIO(_jpeg()), "a.jpg")},
        headers=other,
        content_type="multipart/form-data",
    )
    assert res.status_code == 201, res.get_json()
    theirs = res.get_json()["id"]
    res = client.post(
        f"{API}/households/{world.h['h1']}/visits",
        json={"note": "走访", "photo_ids": [theirs]},
        headers=world.headers["steward"],
    )
    assert res.status_code == 400 and "photo_ids" in res.get_json()["error"]["fields"]
    res = client.post(
        f"{API}/media",
        data={"file": (io.BytesIO(_jpeg()), "b.jpg")},
        headers=world.headers["steward"],
        content_type="multipart/form-data",
    )
    mine = res.get_json()["id"]
    visit = _post(
        client,
        f"/households/{world.h['h1']}/visits",
        {"note": "走访", "photo_ids": [mine]},
        world.headers["steward"],
    )
    assert [p["id"] for p in visit["photos"]] == [mine]


def test_a_patrol_records_visits_for_the_stewards_own_households(client, world):
    steward = world.headers["steward"]
    res = client.post(
        f"{API}/patrols",
        json={"note": "巡查并走访", "household_ids": [world.h["h1"], world.h["h3"]]},
        headers=steward,
    )
    assert res.status_code == 403  # h3 is the alley mate's: nothing is recorded
    assert Visit.select().count() == 0
    assert client.get(f"{API}/patrols", headers=steward).get_json()["total"] == 0
    res = client.post(
        f"{API}/patrols",
        json={"note": "巡查并走访", "household_ids": [world.h["h1"], world.h["h2"]]},
        headers=steward,
    )
    assert res.status_code == 201, res.get_json()
    patrol_id = res.get_json()["id"]
    visits = list(Visit.select().order_by(Visit.household))
    assert [(v.household_id, v.patrol_id, v.note) for v in visits] == [
        (world.h["h1"], patrol_id, "巡查并走访"),
        (world.h["h2"], patrol_id, "巡查并走访"),
    ]
    assert Household.get_by_id(world.h["h1"]).last_visit_at is not None
    # a patrol naming none records none; the patrol view carries no household
    res = client.post(f"{API}/patrols", json={"note": "日常巡查"}, headers=steward)
    assert res.status_code == 201 and Visit.select().count() == 2
    assert "王大爷" not in client.get(f"{API}/patrols", headers=world.headers["staff"]).get_data(
        as_text=True
    )


def test_overdue_visits_in_the_group_digest(app, client, world):
    group = ChatGroup.create(area=world.d.communities[0], name="管家群", webhook_key="key-hh")
    start = datetime(2026, 11, 22, 9, tzinfo=SH)
    with time_machine.travel(start, tick=False) as clock:
        for hid in (world.h["h1"], world.h["h2"]):
            _post(
                client,
                f"/households/{hid}/plans",
                {"group": "鳏寡孤独", "plan": "每周上门", "interval_days": 7},
                world.headers["staff"],
            )
        assert reminders.scan()["visit_overdue"] == 0
        clock.shift(timedelta(days=7, hours=1))
        _post(
            client,
            f"/households/{world.h['h1']}/visits",
            {"note": "看过了"},
            world.headers["steward"],
        )
        clock.shift(timedelta(days=2))  # h2: 2 days late; h1 visited 2 days ago
        counts = reminders.scan()
        assert counts["visit_overdue"] == 1
        assert reminders.scan()["visit_overdue"] == 0  # once a day
        clock.shift(timedelta(days=1))
        assert reminders.scan()["visit_overdue"] == 1  # and again the next day
    digests = list(
        OutboxMessage.select()
        .where(OutboxMessage.idempotency_key.startswith(f"remind:digest:group:{group.id}:"))
        .order_by(OutboxMessage.id)
    )
    assert len(digests) == 2
    text = digests[0].payload["text"]["content"]
    assert text.split("\n")[0] == "【走访提醒】"
    assert "管家11：包联户中有 1 户超过走访周期未走访（最久超期 2 天）" in text
    assert digests[0].payload["text"]["mentioned_mobile_list"] == [world.d.stewards[0].phone]
    # the group is shared by every steward: no household is named
    for private in ("李奶奶", "1区1巷5号", "13811113333", "王大爷"):
        assert private not in text
    assert "最久超期 3 天" in digests[1].payload["text"]["content"]


def test_options(client, world):
    got = client.get(f"{API}/household-options", headers=world.headers["steward"]).get_json()
    assert "独居老人" in got["tags"] and got["plan_groups"] == [
        "鳏寡孤独",
        "重症残疾人",
        "留守儿童",
        "困境儿童",
    ]
    assert (
        client.get(f"{API}/household-options", headers=world.headers["resident"]).status_code == 403
    )


def test_an_unknown_tag_filter_is_a_400_naming_it(client, world):
    res = client.get(f"{API}/households?tag=富豪", headers=world.headers["staff"])
    assert res.status_code == 400
    err = res.get_json()["error"]
    assert err["fields"] == {"tag": "“富豪”不是可选的标签"} and err["message"].startswith("标签：")
    got = client.get(f"{API}/households?q=1区1巷3", headers=world.headers["staff"]).get_json()
    assert [i["id"] for i in got["items"]] == [world.h["h1"]]
    got = client.get(f"{API}/households?q=李奶", headers=world.headers["staff"]).get_json()
    assert [i["id"] for i in got["items"]] == [world.h["h2"]]


def test_staff_take_a_household_off_the_register_even_after_its_steward_left(client, world):
    from core.people import auth

    auth.dismiss_steward(world.alley_mate, actor=None, reason="搬家")
    res = client.post(
        f"{API}/households/{world.h['h3']}/update",
        json={"active": False},
        headers=world.headers["staff"],
    )
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["active"] is False
    listed = client.get(f"{API}/households", headers=world.headers["staff"]).get_json()
    assert world.h["h3"] not in [i["id"] for i in listed["items"]]
    listed = client.get(
        f"{API}/households?include_inactive=true", headers=world.headers["staff"]
    ).get_json()
    assert world.h["h3"] in [i["id"] for i in listed["items"]]
    # moving it to a steward who does not serve that alley is refused, naming the field
    res = client.post(
        f"{API}/households/{world.h['h3']}/update",
        json={"steward_id": world.d.stewards[1].id},
        headers=world.headers["staff"],
    )
    assert res.status_code == 400 and "steward_id" in res.get_json()["error"]["fields"]
