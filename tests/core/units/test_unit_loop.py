"""The whistle loop through a handling unit, end to end: a resident reports, the steward
escalates, staff whistle to a unit with a tier, a unit member checks in, reports progress,
asks for more time, staff urge and approve, the member closes it — each hand-off read back
from the outbox, each step on the trail naming the person and the unit. And the refusals:
another unit's member, 报到 twice, two members closing at once, too long an extension."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.delivery import groups
from core.units import members, units
from models import ChatGroup, Event, Issue, OutboxMessage, StaffAccount
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
PHONE = "13912345678"


@pytest.fixture
def world(client):
    d = make_district()
    unit = units.create(d.street, "住建办", phone="0531-8888")
    other = units.create(d.street, "城管")
    li = members.create_member(unit, "zjb-li", "password123", "李工", "wecom-li")
    wang = members.create_member(unit, "zjb-wang", "password123", "王工", "wecom-wang")
    stranger = members.create_member(other, "cg-zhao", "password123", "赵队")
    ChatGroup.create(area=d.street, name="住建办群", webhook_key="key-unit", unit=unit)
    groups.create(d.communities[0], "key-staff", audience="staff", name="社区工作群")
    groups.create(d.communities[0], "key-stewards", name="管家群")
    return {
        "d": d,
        "unit": unit,
        "resident": login(client, "居民甲"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login_staff(client, make_staff(d.communities[0], username="zhangsan")),
        "li": login_staff(client, li.account),
        "wang": login_staff(client, wang.account),
        "stranger": login_staff(client, stranger.account),
    }


def post(client, headers, path, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, (path, res.get_json())
    return res.get_json()


def robot_rows(key: str) -> list[OutboxMessage]:
    return list(
        OutboxMessage.select()
        .where((OutboxMessage.kind == "robot") & (OutboxMessage.target == key))
        .order_by(OutboxMessage.id)
    )


def _report_and_whistle(client, w, tier="major") -> int:
    body = {
        "board_code": w["d"].boards[0].code,
        "category": "设施损坏",
        "content": "3号楼外墙脱落",
        "contact_phone": PHONE,
    }
    issue_id = post(client, w["resident"], "/issues", body, status=201)["id"]
    post(client, w["steward"], f"/issues/{issue_id}/escalate", {"note": "需要专业维修"})
    whistle = {"unit_id": w["unit"].id, "tier": tier, "note": "请住建办鉴定维修"}
    post(client, w["staff"], f"/issues/{issue_id}/whistle", whistle)
    return issue_id


def test_a_whistled_item_followed_by_resident_steward_staff_and_unit_member(client, world):
    w = world
    for _ in range(4):  # the resident allows status messages (one each)
        post(client, w["resident"], "/subscriptions", {"template_id": "tpl_dev_status"}, 201)
    with time_machine.travel(T0, tick=False) as clock:
        issue_id = _report_and_whistle(client, w)

        # the unit's group hears it, @ its members, without the resident's phone
        (pushed,) = robot_rows("key-unit")
        text = pushed.payload["text"]
        assert text["mentioned_list"] == ["wecom-li", "wecom-wang"]
        assert f"#{issue_id}" in text["content"] and "重大" in text["content"]
        assert "12月3日 09:00" in text["content"] and "报到 " in text["content"]
        assert PHONE not in text["content"]
        # the resident hears the status by subscribe message and reads it in plain words
        seen = client.get(f"{API}/issues/{issue_id}", headers=w["resident"]).get_json()
        assert any(t["data"].get("summary") == "已转交 住建办 处理" for t in seen["timeline"])

        # the unit member sees it in 本单位待办, with the photos and the resident's phone
        mine = client.get(f"{API}/issues?scope=unit", headers=w["li"]).get_json()
        assert [i["id"] for i in mine["items"]] == [issue_id]
        assert client.get(f"{API}/issues", headers=w["li"]).get_json()["total"] == 1
        detail = client.get(f"{API}/issues/{issue_id}", headers=w["li"]).get_json()
        assert detail["contact_phone"] == PHONE
        assert {"check-in", "progress", "extension", "return", "resolve"} <= set(detail["actions"])
        # another unit's member does not even see it
        assert client.get(f"{API}/issues/{issue_id}", headers=w["stranger"]).status_code == 404
        assert (
            client.get(f"{API}/issues?scope=unit", headers=w["stranger"]).get_json()["total"] == 0
        )
        post(client, w["stranger"], f"/issues/{issue_id}/check-in", status=404)

        clock.shift(timedelta(hours=2))
        post(client, w["li"], f"/issues/{issue_id}/check-in")
        again = post(client, w["wang"], f"/issues/{issue_id}/check-in", status=409)["error"]
        assert (
            again["code"] == "already_checked_in" and "已于 11月23日 11:00 报到" in again["message"]
        )
        post(client, w["li"], f"/issues/{issue_id}/progress", {"note": "已到现场勘察"})

        too_long = {"days": 30, "reason": "需招标"}
        err = post(client, w["li"], f"/issues/{issue_id}/extension", too_long, 400)["error"]
        assert "days" in err["fields"]
        post(client, w["li"], f"/issues/{issue_id}/extension", {"days": 5, "reason": "需招标"})
        second = {"days": 2, "reason": "再等等"}
        pending = post(client, w["wang"], f"/issues/{issue_id}/extension", second, 409)
        assert pending["error"]["code"] == "extension_pending"

        post(client, w["staff"], f"/issues/{issue_id}/urge", {"note": "居民反映多次，请尽快"})
        urged = robot_rows("key-unit")[-1].payload["text"]
        assert "【催办】" in urged["content"] and "居民反映多次" in urged["content"]
        assert urged["mentioned_list"] == ["wecom-li", "wecom-wang"]

        post(client, w["staff"], f"/issues/{issue_id}/extension/decide", {"approve": True})
        assert Issue.get_by_id(issue_id).deadline.replace(tzinfo=UTC) == datetime(
            2026, 12, 8, 1, 0, tzinfo=UTC
        )

        clock.shift(timedelta(days=1))
        post(client, w["wang"], f"/issues/{issue_id}/resolve", {"note": "外墙已修复"})

    issue = Issue.get_by_id(issue_id)
    assert (issue.status, issue.resolution_level) == ("resolved", "联合处置")
    trail = {(e.action, e.actor_label) for e in Event.for_subject("issue", issue_id)}
    assert {
        ("issue.check_in", "住建办 李工"),
        ("issue.progress", "住建办 李工"),
        ("issue.extension", "住建办 李工"),
        ("issue.urge", "zhangsan"),
        ("issue.extension_decide", "zhangsan"),
        ("issue.resolve", "住建办 王工"),
    } <= trail
    tier_lines = [
        e.data["note"] for e in Event.for_subject("issue", issue_id) if e.action == "issue.tier"
    ]
    assert tier_lines[-1] == "办理期限 12月3日 09:00→12月8日 09:00（同意延期 5 天）"
    # the resident was told of the whistle and the resolution by subscribe message rows
    notices = OutboxMessage.select().where(OutboxMessage.kind == "subscribe")
    assert {"whistle", "resolve"} <= {m.idempotency_key.split(":")[-2] for m in notices}


def test_a_unit_returns_an_item_to_the_community_and_the_staff_group_is_told(client, world):
    w = world
    issue_id = _report_and_whistle(client, w, tier="ordinary")
    post(client, w["li"], f"/issues/{issue_id}/return", {"reason": "属于物业维修范围"})
    issue = Issue.get_by_id(issue_id)
    assert (issue.status, issue.department_id) == ("escalated", None)  # open, the community's
    (told,) = robot_rows("key-staff")
    assert "住建办 退回" in told.payload["text"]["content"]
    assert "属于物业维修范围" in told.payload["text"]["content"]
    assert PHONE not in told.payload["text"]["content"]
    # the unit no longer holds it
    assert client.get(f"{API}/issues?scope=unit", headers=w["li"]).get_json()["total"] == 0
    post(client, w["li"], f"/issues/{issue_id}/progress", {"note": "x"}, status=404)


def test_two_members_closing_at_once_one_wins(app, world):
    w = world
    client = app.test_client()
    issue_id = _report_and_whistle(client, w)
    results = []

    def close(headers):
        with app.test_client() as own:
            res = own.post(
                f"{API}/issues/{issue_id}/resolve", json={"note": "修好了"}, headers=headers
            )
            results.append(res.status_code)

    threads = [threading.Thread(target=close, args=(w[n],)) for n in ("li", "wang")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    resolves = [e for e in Event.for_subject("issue", issue_id) if e.action == "issue.resolve"]
    assert len(resolves) == 1


def test_a_unit_member_never_sees_households_points_or_unwhistled_items(client, world):
    w = world
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    other = post(client, w["resident"], "/issues", body, status=201)["id"]
    assert client.get(f"{API}/issues/{other}", headers=w["li"]).status_code == 404
    assert client.get(f"{API}/issues?scope=area", headers=w["li"]).get_json()["total"] == 0
    for path in ("/households", "/points?person=x", "/stats", "/areas"):
        assert client.get(f"{API}{path}", headers=w["li"]).status_code == 403, path


def test_a_unit_that_does_not_check_in_or_is_late_is_reminded_then_the_street_told(client, world):
    from jobs import reminders

    w = world
    groups_street = ChatGroup.create(
        area=w["d"].street, name="街道工作群", webhook_key="key-street", audience="staff"
    )
    with time_machine.travel(T0, tick=False):
        issue_id = _report_and_whistle(client, w, tier="ordinary")  # due 11月25日 09:00
    whistled = len(robot_rows("key-unit"))

    def scan(at):
        with time_machine.travel(at, tick=False):
            return reminders.scan()

    assert scan(T0 + timedelta(hours=23))["unit_checkin"] == 0
    assert scan(T0 + timedelta(hours=25))["unit_checkin"] == 1
    (reminded,) = robot_rows("key-unit")[whistled:]
    assert "【请报到】" in reminded.payload["text"]["content"]
    assert reminded.payload["text"]["mentioned_list"] == ["wecom-li", "wecom-wang"]
    assert PHONE not in reminded.payload["text"]["content"]
    # once per step, however often the scheduler runs (or restarts)
    assert scan(T0 + timedelta(hours=26))["unit_checkin"] == 0
    assert robot_rows(groups_street.webhook_key) == []
    # 49 hours: the street hears of the missing 报到; the deadline (11月25日 09:00) has passed
    at49 = scan(T0 + timedelta(hours=49))
    assert (at49["unit_checkin_street"], at49["unit_overdue"]) == (1, 1)
    (street,) = robot_rows("key-street")
    assert "住建办 未报到" in street.payload["text"]["content"]
    assert "【已超期】" in robot_rows("key-unit")[-1].payload["text"]["content"]
    again = scan(T0 + timedelta(hours=50))
    assert (again["unit_checkin_street"], again["unit_overdue"]) == (0, 0)

    with time_machine.travel(T0 + timedelta(hours=51), tick=False):
        post(client, w["li"], f"/issues/{issue_id}/check-in")
    # checked in but still late: a day after the deadline the street is told, once
    assert scan(T0 + timedelta(hours=60))["unit_overdue_street"] == 0
    assert scan(T0 + timedelta(hours=73))["unit_overdue_street"] == 1
    assert "超期未办结" in robot_rows("key-street")[-1].payload["text"]["content"]
    assert scan(T0 + timedelta(hours=80))["unit_overdue_street"] == 0
    assert len(robot_rows("key-street")) == 2


def test_without_a_street_group_the_street_admins_hear_it_in_the_community_staff_group(
    client, world
):
    from jobs import reminders
    from models import StaffAccount

    w = world
    admin = make_staff(w["d"].street, role="admin", username="street-admin")
    StaffAccount.update(phone="13800000001").where(StaffAccount.id == admin.id).execute()
    with time_machine.travel(T0, tick=False):
        _report_and_whistle(client, w, tier="major")
    with time_machine.travel(T0 + timedelta(hours=49), tick=False):
        assert reminders.scan()["unit_checkin_street"] == 1
    told = robot_rows("key-staff")[-1].payload["text"]
    assert "住建办 未报到" in told["content"]
    assert told["mentioned_mobile_list"] == ["13800000001"]


def test_a_units_group_never_gets_the_stewards_pushes(client, world):
    """The unit's group sits on the street: the most specific steward group above an alley
    must never be it, even where the community has no group of its own."""
    w = world
    ChatGroup.delete().where(ChatGroup.webhook_key == "key-stewards").execute()
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    issue_id = post(client, w["resident"], "/issues", body, status=201)["id"]
    post(client, w["steward"], f"/issues/{issue_id}/escalate", {"note": "需社区协调"})
    assert robot_rows("key-unit") == []


def test_progress_takes_only_the_members_own_photos(client, world):
    import io

    from PIL import Image

    w = world
    issue_id = _report_and_whistle(client, w)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "JPEG")
    upload = client.post(
        f"{API}/media",
        data={"file": (io.BytesIO(buf.getvalue()), "a.jpg")},
        content_type="multipart/form-data",
        headers=w["resident"],
    ).get_json()
    theirs = {"note": "现场照片", "photo_ids": [upload["id"]]}
    refused = post(client, w["li"], f"/issues/{issue_id}/progress", theirs, status=400)
    assert "photo_ids" in refused["error"]["fields"]
    assert not [e for e in Event.for_subject("issue", issue_id) if e.action == "issue.progress"]


def test_the_units_group_never_reads_a_private_categorys_words(client, world):
    # a neighbours' dispute is private (PRIVATE_CATEGORIES): the unit's group learns the number,
    # the alley and the category, and its members read the words in the mini program
    body = {
        "board_code": world["d"].boards[0].code,
        "category": "邻里纠纷",
        "content": "楼上张家漏水泡了我家天花板",
        "contact_phone": PHONE,
    }
    issue_id = post(client, world["resident"], "/issues", body, status=201)["id"]
    whistle = {"unit_id": world["unit"].id, "tier": "important", "note": "请协调"}
    post(client, world["staff"], f"/issues/{issue_id}/whistle", whistle)
    post(client, world["staff"], f"/issues/{issue_id}/urge", {"note": "居民又来问了"})
    rows = robot_rows("key-unit")
    assert len(rows) == 2
    for row in rows:
        text = json.dumps(row.payload, ensure_ascii=False)
        assert f"#{issue_id}" in text and "邻里纠纷" in text
        assert "张家漏水" not in text and PHONE not in text


def test_urge_is_offered_to_staff_while_the_unit_holds_the_item(client, world):
    """Clients draw the 催办 button from `actions`: staff who manage the item see `urge` while
    a unit holds it, not before the whistle nor after it closes; the unit's member never."""
    w = world

    def actions(who, issue_id):
        return client.get(f"{API}/issues/{issue_id}", headers=w[who]).get_json()["actions"]

    body = {"board_code": w["d"].boards[0].code, "category": "设施损坏", "content": "路灯不亮"}
    issue_id = post(client, w["resident"], "/issues", body, status=201)["id"]
    assert "urge" not in actions("staff", issue_id)
    whistle = {"unit_id": w["unit"].id, "tier": "ordinary", "note": "请维修"}
    post(client, w["staff"], f"/issues/{issue_id}/whistle", whistle)
    assert "urge" in actions("staff", issue_id)
    assert "urge" not in actions("li", issue_id)
    post(client, w["li"], f"/issues/{issue_id}/resolve", {"note": "已修好"})
    assert "urge" not in actions("staff", issue_id)


def test_staff_supervise_through_the_api_the_street_leader_is_told_once(client, world):
    """督办 (mini program staff page, `POST /issues/{id}/supervise`): the street leaders' group
    hears it, naming the unit, whether it has checked in and who asked — never the resident's
    phone; offered while the unit holds the item and not yet supervised; a second is 409 and
    writes nothing; the unit's member may not."""
    w = world
    ChatGroup.create(
        area=w["d"].street, name="街道工作群", webhook_key="key-street", audience="staff"
    )
    with time_machine.travel(T0, tick=False):
        issue_id = _report_and_whistle(client, w)
    detail = client.get(f"{API}/issues/{issue_id}", headers=w["staff"]).get_json()
    assert "supervise" in detail["actions"]
    assert (
        "supervise"
        not in client.get(f"{API}/issues/{issue_id}", headers=w["li"]).get_json()["actions"]
    )
    post(client, w["li"], f"/issues/{issue_id}/supervise", {"note": "x"}, status=403)

    out = post(client, w["staff"], f"/issues/{issue_id}/supervise", {"note": "两天未报到"})
    assert "supervise" not in out["actions"]
    (told,) = robot_rows("key-street")
    text = told.payload["text"]["content"]
    assert text.startswith(f"【督办】#{issue_id} ")
    assert "承办单位：住建办（未报到）" in text and "zhangsan 提请街道督办：两天未报到" in text
    assert PHONE not in text
    trail = [e for e in Event.for_subject("issue", issue_id) if e.action == "issue.supervise"]
    assert [(e.actor_label, e.data["note"]) for e in trail] == [("zhangsan", "两天未报到")]

    again = post(client, w["staff"], f"/issues/{issue_id}/supervise", {}, status=409)["error"]
    assert again["code"] == "already_supervised" and "已于" in again["message"]
    long = post(client, w["staff"], f"/issues/{issue_id}/supervise", {"note": "长" * 501}, 400)
    assert "note" in long["error"]["fields"]
    assert len(robot_rows("key-street")) == 1
    assert (
        len([e for e in Event.for_subject("issue", issue_id) if e.action == "issue.supervise"]) == 1
    )


def test_an_extension_beyond_the_maximum_is_refused_naming_days_and_writes_nothing(
    client, world, app
):
    w = world
    issue_id = _report_and_whistle(client, w)
    most = app.config["UNIT_EXTENSION_MAX_DAYS"]
    before = len(list(Event.for_subject("issue", issue_id)))
    for days in (most + 1, 0):
        err = post(
            client, w["li"], f"/issues/{issue_id}/extension", {"days": days, "reason": "等"}, 400
        )
        assert err["error"]["fields"] == {"days": f"1 到 {most} 天"}
        assert err["error"]["message"] == f"延期天数须为 1 到 {most} 天"
    assert len(list(Event.for_subject("issue", issue_id))) == before
    # the maximum itself is fine
    post(client, w["li"], f"/issues/{issue_id}/extension", {"days": most, "reason": "等"})


def test_an_extension_request_reaches_the_community_and_its_answer_reaches_the_unit(client, world):
    w = world
    StaffAccount.update(display_name="张敏").where(StaffAccount.username == "zhangsan").execute()
    with time_machine.travel(T0, tick=False):
        issue_id = _report_and_whistle(client, w)  # major: due 12月3日 09:00
        asked = {"days": 5, "reason": "需招标采购材料"}
        post(client, w["li"], f"/issues/{issue_id}/extension", asked)
        (request,) = robot_rows("key-staff")
        content = request.payload["text"]["content"]
        assert content.startswith(f"【延期申请】住建办 申请 #{issue_id} ")
        assert "延期 5 天" in content and "原因：需招标采购材料" in content
        assert "现办理期限 12月3日 09:00" in content and PHONE not in content
        assert (
            len(robot_rows("key-unit")) == 1
        )  # the whistle only: the unit is not told its own ask

        decide = {"approve": True, "note": "请按时完成招标"}
        post(client, w["staff"], f"/issues/{issue_id}/extension/decide", decide)
        answer = robot_rows("key-unit")[-1].payload["text"]
        assert answer["mentioned_list"] == ["wecom-li", "wecom-wang"]
        assert answer["content"].startswith(f"【延期审批】#{issue_id} ")
        assert "张敏 同意延期 5 天，办理期限改为 12月8日 09:00" in answer["content"]  # a name
        assert "说明：请按时完成招标" in answer["content"] and "zhangsan" not in answer["content"]
        assert len(robot_rows("key-staff")) == 1  # the community is not told its own answer

        post(client, w["wang"], f"/issues/{issue_id}/extension", {"days": 2, "reason": "雨天"})
        assert len(robot_rows("key-staff")) == 2
        post(client, w["staff"], f"/issues/{issue_id}/extension/decide", {"approve": False})
        refused = robot_rows("key-unit")[-1].payload["text"]["content"]
        assert "未同意延期，办理期限仍为 12月8日 09:00" in refused and "说明" not in refused
    keys = [m.idempotency_key for m in robot_rows("key-unit") + robot_rows("key-staff")]
    assert len(keys) == len(set(keys))
