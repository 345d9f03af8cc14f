"""The 诉求 lifecycle through the HTTP API: every path, every refusal, deadlines by time travel."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.items import issues as flow
from core.people.permissions import Principal
from core.units import handling as unit_handling
from infra.errors import ApiError
from models import (
    Board,
    DailySequence,
    Department,
    Event,
    Issue,
    IssueAssignee,
    Patrol,
    StaffAccount,
    Steward,
    StewardAlley,
    User,
)
from tests.factories import (
    login_steward,
    make_district,
    upload_photo,
)

API = "/api/v1"


@pytest.fixture
def world(client, district_world):
    """The district_world and the steward of the next alley in the same community."""
    district_world["other_steward"] = login_steward(client, district_world["d"].stewards[1])
    return district_world


def report(client, w, **extra):
    body = {"board_code": w["board"], "category": "环境卫生", "content": "南门巷口垃圾堆放三天了"}
    body.update(extra)
    res = client.post(f"{API}/issues", json=body, headers=w["resident"])
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def act(client, headers, issue_id, action, body=None, status=200):
    res = client.post(f"{API}/issues/{issue_id}/{action}", json=body or {}, headers=headers)
    assert res.status_code == status, (action, res.get_json())
    return res.get_json()


def test_a_new_report_in_a_grouped_alley_answers_with_its_photos_and_stewards(client, world):
    """Where the alley has a group, the photos and stewards read for the group's push are
    the ones the answer shows: the same as the detail page shows afterwards."""
    from models import ChatGroup

    d = world["d"]
    ChatGroup.create(area=d.communities[0], name="槐树社区管家群", webhook_key="key-answer")
    photos = [
        upload_photo(client, world["resident"]),
        upload_photo(client, world["resident"], "blue"),
    ]
    created = report(client, world, photo_ids=photos)
    assert [p["id"] for p in created["photos"]] == photos
    assert all(p["url"] and p["thumb_url"] for p in created["photos"])
    detail = client.get(f"{API}/issues/{created['id']}", headers=world["resident"]).get_json()
    assert created["photos"] == detail["photos"]
    assert created["stewards"] == detail["stewards"] and created["stewards"]
    assert created["timeline"] == detail["timeline"]


def test_report_accept_resolve_rate(client, world):
    photo = upload_photo(client, world["resident"])
    created = report(client, world, photo_ids=[photo], contact_phone="13912345678")
    assert re.fullmatch(r"S\d{6}0001", created["number"])
    assert created["status"] == "submitted" and created["priority"] == "ordinary"
    assert created["stewards"][0]["id"] == world["d"].stewards[0].id
    assert created["similar"] == [] and created["photos"][0]["id"] == photo
    deadline = datetime.fromisoformat(created["deadline"])
    made = datetime.fromisoformat(created["created_at"])
    assert deadline - made == timedelta(days=2) and deadline.utcoffset() == timedelta(hours=8)
    issue_id = created["id"]

    seen = client.get(f"{API}/issues/{issue_id}", headers=world["steward"]).get_json()
    assert seen["actions"] == ["accept", "resolve", "escalate", "comment"]
    assert seen["contact_phone"] == "13912345678"

    act(client, world["steward"], issue_id, "accept")
    fix = upload_photo(client, world["steward"])
    done = act(
        client, world["steward"], issue_id, "resolve", {"note": "已清理干净", "photo_ids": [fix]}
    )
    assert done["status"] == "resolved" and done["resolution_level"] == "现场解决"
    assert done["resolution_photos"][0]["id"] == fix
    mine = client.get(f"{API}/issues/{issue_id}", headers=world["resident"]).get_json()
    assert mine["actions"] == ["comment", "rate", "reopen"]
    rated = act(client, world["resident"], issue_id, "rate", {"score": 5, "text": "很及时"})
    assert rated["status"] == "closed" and rated["rating"] == 5
    labels = [t["label"] for t in rated["timeline"]]
    assert labels == ["提交", "接单", "办结", "评价"]
    assert rated["timeline"][2]["note"] == "已清理干净"
    assert rated["timeline"][2]["photos"][0]["id"] == fix
    # rated once only
    act(client, world["resident"], issue_id, "rate", {"score": 1}, status=409)


def test_numbers_count_up_within_a_day(client, world):
    with time_machine.travel(datetime(2026, 11, 23, 15, 59, 59, tzinfo=UTC), tick=False):
        first = report(client, world)["number"]  # 23:59:59 in Shanghai
        second = report(client, world, category="车辆乱停")["number"]
    with time_machine.travel(datetime(2026, 11, 23, 16, 0, tzinfo=UTC), tick=False):
        next_day = report(client, world, category="其他")["number"]  # 00:00 the next day
    assert first == "S2611230001" and next_day == "S2611240001"
    assert int(second[-4:]) == int(first[-4:]) + 1 and first[:7] == second[:7]


def test_numbers_go_on_past_9999_after_those_the_day_already_gave(client, world):
    with time_machine.travel(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=False):
        first = report(client, world)["number"]
        assert first == "S2611230001"
        # A day whose numbers were given before its sequence row existed (the upgrade's day):
        # the sequence starts after the highest, numerically, not as text.
        Issue.update(number="S2611239999").where(Issue.number == first).execute()
        DailySequence.delete().execute()
        assert report(client, world, category="车辆乱停")["number"] == "S26112310000"
        assert report(client, world, category="其他")["number"] == "S26112310001"
        assert [(r.prefix, r.day, r.last) for r in DailySequence.select()] == [
            ("S", "261123", 10001)
        ]
        # A number the sequence never gave (an import, a restored backup) is skipped.
        Issue.update(number="S26112310002").where(Issue.number == "S26112310001").execute()
        assert report(client, world, category="设施损坏")["number"] == "S26112310003"


def test_reports_at_the_same_moment_get_distinct_numbers(app, client, world):
    numbers, failures = [], []

    def reporter(n):
        with app.test_client() as own:
            for i in range(3):
                body = {"board_code": world["board"], "category": "其他", "content": f"{n}-{i}"}
                res = own.post(f"{API}/issues", json=body, headers=world["resident"])
                if res.status_code == 201:
                    numbers.append(res.get_json()["number"])
                else:
                    failures.append(res.get_json())

    with time_machine.travel(datetime(2026, 11, 23, 2, 0, tzinfo=UTC), tick=False):
        threads = [threading.Thread(target=reporter, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert failures == []
    assert sorted(numbers) == [f"S261123{i:04d}" for i in range(1, 19)]


def test_similar_open_issue_is_offered(client, world):
    first = report(client, world)
    again = report(client, world, content="垃圾还没人管")
    assert [s["id"] for s in again["similar"]] == [first["id"]]
    other_category = report(client, world, category="设施损坏", content="路灯坏了")
    assert other_category["similar"] == []
    with time_machine.travel(datetime.now(UTC) + timedelta(days=4), tick=False):
        later = report(client, world, content="又堆起来了")
    assert later["similar"] == []


# Every action from every state: allowed (by the right actor) or 409.
STATE_SETUPS = {
    "submitted": [],
    "accepted": [("steward", "accept", {})],
    "escalated": [("steward", "escalate", {"note": "需要社区协调"})],
    "whistled": [("staff", "whistle", None)],
    "resolved": [("steward", "resolve", {"note": "好了"})],
    "closed": [("steward", "resolve", {"note": "好了"}), ("resident", "rate", {"score": 4})],
    "cancelled": [("resident", "cancel", {})],
}
ACTIONS = {
    "accept": ("steward", {}),
    "resolve": ("steward", {"note": "处理完毕"}),
    "escalate": ("steward", {"note": "上报"}),
    "whistle": ("staff", None),
    "assign": ("staff", {"priority": "important"}),
    "comment": ("resident", {"text": "谢谢"}),
    "rate": ("resident", {"score": 3}),
    "reopen": ("resident", {"note": "又脏了"}),
    "cancel": ("staff", {"reason": "重复反映"}),
}
ALLOWED = {
    "submitted": {"accept", "resolve", "escalate", "whistle", "assign", "comment", "cancel"},
    "accepted": {"resolve", "escalate", "whistle", "assign", "comment", "cancel"},
    "escalated": {"resolve", "whistle", "assign", "comment", "cancel"},
    "whistled": {"resolve", "assign", "comment", "cancel"},
    "resolved": {"comment", "rate", "reopen"},
    "closed": {"comment"},
    "cancelled": set(),
}


# A whistled item is the department's and the community's: staff close it, not a steward
# (who may not accept it either: test_escalate_whistle_and_joint_resolution).
ACTOR_IN_STATE = {("whistled", "resolve"): "staff"}


@pytest.mark.parametrize("state", sorted(STATE_SETUPS))
def test_transition_table(client, world, state):
    whistle = {"department_id": world["dept"].id, "note": "私搭乱建需执法"}
    for action, (who, body) in ACTIONS.items():
        who = ACTOR_IN_STATE.get((state, action), who)
        issue_id = report(client, world)["id"]
        for setup_who, setup_action, setup_body in STATE_SETUPS[state]:
            act(client, world[setup_who], issue_id, setup_action, setup_body or whistle)
        expected = 200 if action in ALLOWED[state] else 409
        res = act(client, world[who], issue_id, action, body or whistle, status=expected)
        if expected == 409:
            assert res["error"]["code"] in ("invalid_transition",)
            message = res["error"]["message"]
            # the reason: not allowed in this state, or already done / already taken
            assert "不能" in message or "无需" in message, message


def test_escalate_whistle_and_joint_resolution(client, world):
    issue_id = report(client, world, category="私拉电线/安全隐患", content="楼道私拉电线充电")["id"]
    created = client.get(f"{API}/issues/{issue_id}", headers=world["staff"]).get_json()
    assert created["priority"] == "important"
    act(client, world["steward"], issue_id, "escalate", {"note": "涉及多户，需社区出面"})
    whistled = act(
        client,
        world["staff"],
        issue_id,
        "whistle",
        {"unit_id": world["dept"].id, "tier": "major", "note": "请城管联合处置"},
    )
    assert whistled["status"] == "whistled" and whistled["priority"] == "major"
    assert whistled["department"]["name"] == "城管执法中队"
    # the unit's 10 days run from the whistle
    whistled_at = Issue.get_by_id(issue_id).whistled_at.replace(tzinfo=UTC, microsecond=0)
    assert datetime.fromisoformat(whistled["deadline"]) - whistled_at == timedelta(days=10)
    # only staff blow the whistle
    other = report(client, world)["id"]
    body = {"department_id": world["dept"].id, "note": "x"}
    act(client, world["steward"], other, "whistle", body, status=403)
    # the steward can neither accept nor close it now, and is told who holds it
    holder = f"该诉求已吹哨给城管执法中队联合处置，现由社区工作人员{world['staff_account'].display_name}跟进"
    taking = act(client, world["steward"], issue_id, "accept", status=409)["error"]
    assert taking["message"] == f"{holder}，不能再接单"
    closing = act(client, world["steward"], issue_id, "resolve", {"note": "已拆除"}, status=403)
    assert closing["error"] == {
        "code": "whistled",
        "message": f"{holder}，请由社区工作人员登记办结",
        "fields": {},
        "request_id": closing["error"]["request_id"],
    }
    assert Issue.get_by_id(issue_id).status == "whistled"
    shown = {
        who: client.get(f"{API}/issues/{issue_id}", headers=world[who]).get_json()["actions"]
        for who in ("steward", "staff")
    }
    assert "resolve" not in shown["steward"] and "resolve" in shown["staff"]  # buttons agree
    done = act(client, world["staff"], issue_id, "resolve", {"note": "已拆除私拉电线"})
    assert done["resolution_level"] == "联合处置"


def test_reopen_within_seven_days_only(client, world):
    issue_id = report(client, world)["id"]
    act(client, world["steward"], issue_id, "resolve", {"note": "已清理"})
    again = act(client, world["resident"], issue_id, "reopen", {"note": "第二天又堆了"})
    assert again["status"] == "submitted" and again["reopen_count"] == 1
    assert again["stewards"][0]["id"] == world["d"].stewards[0].id
    act(client, world["steward"], issue_id, "resolve", {"note": "再次清理"})
    with time_machine.travel(datetime.now(UTC) + timedelta(days=8), tick=False):
        late = act(client, world["resident"], issue_id, "reopen", {"note": "x"}, status=409)
    assert late["error"]["code"] == "reopen_window_passed"
    # only the reporter may reopen
    act(client, world["neighbour"], issue_id, "reopen", {"note": "x"}, status=404)


def test_cancel_rules(client, world):
    issue_id = report(client, world)["id"]
    assert act(client, world["resident"], issue_id, "cancel")["status"] == "cancelled"
    accepted = report(client, world)["id"]
    act(client, world["steward"], accepted, "accept")
    act(client, world["resident"], accepted, "cancel", status=409)
    res = act(client, world["staff"], accepted, "cancel", {}, status=400)
    assert res["error"]["fields"] == {"reason": "请填写撤销原因"}
    assert act(client, world["staff"], accepted, "cancel", {"reason": "重复"})["status"] == (
        "cancelled"
    )


def test_other_people_are_refused(client, world):
    issue_id = report(client, world)["id"]
    # another alley's steward: cannot see it, cannot act on it
    act(client, world["other_steward"], issue_id, "accept", status=404)
    assert client.get(f"{API}/issues/{issue_id}", headers=world["neighbour"]).status_code == 404
    act(client, world["neighbour"], issue_id, "rate", {"score": 5}, status=404)
    assert client.post(f"{API}/issues/{issue_id}/accept").status_code == 401


def test_assign_changes_steward_tier_and_deadline(client, world):
    d = world["d"]
    issue_id = report(client, world)["id"]
    act(client, world["steward"], issue_id, "accept")
    moved = act(
        client,
        world["staff"],
        issue_id,
        "assign",
        {"steward_ids": [d.stewards[1].id], "priority": "important", "note": "改派"},
    )
    assert moved["status"] == "submitted"
    assert [s["id"] for s in moved["stewards"]] == [d.stewards[1].id]
    assert datetime.fromisoformat(moved["deadline"]) - datetime.fromisoformat(
        moved["created_at"]
    ) == timedelta(days=3)
    act(client, world["other_steward"], issue_id, "accept")
    # the old steward is no longer its handler
    act(client, world["steward"], issue_id, "resolve", {"note": "x"}, status=403)
    # stewards of another community cannot be assigned by this staff member
    act(
        client,
        world["staff"],
        issue_id,
        "assign",
        {"steward_ids": [d.stewards[-1].id]},
        status=403,
    )


def test_deadlines_and_overdue_by_time_travel(client, world):
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        issue_id = report(client, world)["id"]
    with time_machine.travel(start + timedelta(hours=47), tick=False):
        item = client.get(f"{API}/issues/{issue_id}", headers=world["steward"]).get_json()
        assert item["overdue"] is False
        late = client.get(f"{API}/issues?overdue=true", headers=world["staff"]).get_json()
        assert late["total"] == 0
    with time_machine.travel(start + timedelta(hours=49), tick=False):
        item = client.get(f"{API}/issues/{issue_id}", headers=world["steward"]).get_json()
        assert item["overdue"] is True
        late = client.get(f"{API}/issues?overdue=true", headers=world["staff"]).get_json()
        assert [i["id"] for i in late["items"]] == [issue_id]
        act(client, world["steward"], issue_id, "resolve", {"note": "迟了但办好了"})
        done = client.get(f"{API}/issues/{issue_id}", headers=world["steward"]).get_json()
        assert done["overdue"] is False


def test_on_the_spot_fix_is_closed_and_logged(client, world):
    res = client.post(
        f"{API}/issues",
        json={
            "board_code": world["board"],
            "category": "设施损坏",
            "content": "井盖松动",
            "fixed_on_spot": {"note": "已垫稳井盖"},
        },
        headers=world["steward"],
    )
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["status"] == "closed" and body["close_reason"] == "on_the_spot"
    assert body["resolution_level"] == "现场解决" and body["source"] == "steward"
    patrol = Patrol.get(Patrol.issue == body["id"])
    assert "已垫稳井盖" in patrol.note
    # a resident cannot record one
    res = client.post(
        f"{API}/issues",
        json={
            "board_code": world["board"],
            "category": "设施损坏",
            "content": "x",
            "fixed_on_spot": {},
        },
        headers=world["resident"],
    )
    assert res.status_code == 403


def test_lists_by_scope(client, world):
    mine = report(client, world)["id"]
    other_alley = client.post(
        f"{API}/issues",
        json={"alley_id": world["d"].alleys[1].id, "category": "其他", "content": "别处"},
        headers=world["neighbour"],
    ).get_json()["id"]

    def ids(h, qs=""):
        return [i["id"] for i in client.get(f"{API}/issues{qs}", headers=h).get_json()["items"]]  # noqa: E731

    assert ids(world["resident"]) == [mine]
    assert ids(world["steward"]) == [mine]
    assert ids(world["other_steward"]) == [other_alley]
    assert set(ids(world["staff"])) == {mine, other_alley}
    assert ids(world["staff"], "?status=open&per_page=1") in ([mine], [other_alley])
    page = client.get(f"{API}/issues?per_page=1&page=2", headers=world["staff"]).get_json()
    assert page["total"] == 2 and page["page"] == 2 and len(page["items"]) == 1


def test_validation_errors_are_clear(client, world):
    cases = [
        ({"category": "环境卫生", "content": ""}, "content"),
        ({"category": "环境卫生", "content": "字" * 1001}, "content"),
        ({"category": "不存在的类别", "content": "x"}, "category"),
        ({"category": "环境卫生", "content": "x", "photo_ids": list(range(1, 11))}, "photo_ids"),
        ({"category": "环境卫生", "content": "x", "contact_phone": "12345"}, "contact_phone"),
        ({"category": "环境卫生", "content": "x", "photo_ids": [999]}, "photo_ids"),
    ]
    for body, field in cases:
        body["board_code"] = world["board"]
        res = client.post(f"{API}/issues", json=body, headers=world["resident"])
        assert res.status_code == 400, (body, res.get_json())
        err = res.get_json()["error"]
        assert field in err["fields"], err
        assert re.search(r"[\u4e00-\u9fff]", err["fields"][field])
    res = client.post(
        f"{API}/issues",
        json={"category": "环境卫生", "content": "x"},
        headers=world["resident"],
    )
    assert res.status_code == 400
    assert Issue.select().count() == 0


def test_every_step_is_in_the_audit_trail(client, world):
    issue_id = report(client, world)["id"]
    act(client, world["steward"], issue_id, "accept")
    act(client, world["resident"], issue_id, "comment", {"text": "辛苦了"})
    actions = [e.action for e in Event.for_subject("issue", issue_id)]
    assert actions == ["issue.create", "issue.accept", "issue.comment"]


# --- what a refusal says: the code, the message and the field it names -------------------------


def _refusal(call) -> tuple:
    with pytest.raises(ApiError) as caught:
        call()
    err = caught.value
    return err.status, err.code, err.message, err.fields


def test_finding_the_alley_refuses_clearly(app):
    d = make_district()
    assert _refusal(lambda: flow.resolve_alley(None, None)) == (
        400,
        "validation_error",
        "请扫描公示牌或选择街巷",
        {"board_code": "请扫描公示牌或选择街巷"},
    )
    assert _refusal(lambda: flow.resolve_alley(d.communities[0].id, None)) == (
        404,
        "alley_not_found",
        "找不到该街巷",
        {},
    )
    assert _refusal(lambda: flow.resolve_alley(None, "NOSUCHBOARD")) == (
        404,
        "board_not_found",
        "找不到该公示牌，请核对二维码",
        {},
    )
    Board.update(active=False).where(Board.id == d.boards[1].id).execute()
    assert _refusal(lambda: flow.resolve_alley(None, d.boards[1].code)) == (
        410,
        "board_retired",
        "该公示牌已停用，请联系社区",
        {},
    )
    # A board wins over an alley id; an alley id alone finds its alley.
    assert flow.resolve_alley(d.alleys[3].id, d.boards[0].code) == (d.alleys[0], d.boards[0])
    assert flow.resolve_alley(d.alleys[3].id, None) == (d.alleys[3], None)


def test_a_new_item_keeps_what_it_was_given_and_one_reading_of_the_clock(app):
    """What `create` assumes when its caller says nothing (the web page, a registration on
    behalf): the name is not hidden, the item came from a resident. The place is kept; the
    item is made, last changed and due from the same moment."""
    d = make_district()
    resident = Principal.for_user(User.create(openid="o-plain", nickname="张大妈"))
    said = {"alley": d.alleys[0], "board": None, "category": "环境卫生", "content": "路灯不亮"}
    plain = flow.create(resident, **said).issue
    place = {"lat": 39.9, "lng": 116.4, "address": "南门巷口"}
    asked = Issue.get_by_id(flow.create(resident, **said, anonymous=True, location=place).issue.id)
    assert (plain.anonymous, plain.source, asked.anonymous) == (False, "resident", True)
    assert asked.location == place
    days = timedelta(days=int(app.config["DEADLINE_DAYS"][asked.priority]))
    assert asked.updated_at == asked.created_at == asked.deadline - days
    made = Event.get((Event.action == "issue.create") & (Event.subject_id == asked.id))
    assert (made.actor_id, made.actor_label, made.area_id) == (
        resident.user.id,
        "张大妈",  # named as themselves, not as a web page's 反映人
        d.alleys[0].id,
    )


def test_staff_refusals_say_what_to_choose(client, world):
    d = world["d"]
    staff = Principal.for_user(StaffAccount.get(StaffAccount.area == d.communities[0]).user)
    issue_id = report(client, world)["id"]
    assert _refusal(lambda: flow.resolve(staff, issue_id, "好了", level="随便")) == (
        400,
        "validation_error",
        "办结方式有误",
        {"level": "可选：现场解决、上报社区、联合处置"},
    )
    assert _refusal(lambda: flow.assign(staff, issue_id, priority="urgent")) == (
        400,
        "validation_error",
        "紧急程度有误",
        {"priority": "可选：ordinary、important、major"},
    )
    assert _refusal(lambda: flow.assign(staff, issue_id)) == (
        400,
        "validation_error",
        "请选择管家或紧急程度",
        {"steward_ids": "请选择管家或紧急程度"},
    )
    gone = Steward.create(name="已离任", phone="17011112222", active=False)
    StewardAlley.create(steward=gone, alley=d.alleys[0])
    for ids in ([gone.id], [], [d.stewards[0].id, 999999]):
        assert _refusal(lambda ids=ids: flow.assign(staff, issue_id, steward_ids=ids)) == (
            400,
            "validation_error",
            "请选择在任的管家",
            {"steward_ids": "管家不存在或已离任"},
        ), ids
    # Naming the same steward twice is one assignment, not an error.
    flow.assign(staff, issue_id, steward_ids=[d.stewards[1].id, d.stewards[1].id])
    assignees = IssueAssignee.select().where(IssueAssignee.issue == issue_id)
    assert [a.steward_id for a in assignees] == [d.stewards[1].id]
    # Nothing was changed by the refusals.
    assert [e.action for e in Event.for_subject("issue", issue_id)] == [
        "issue.create",
        "issue.assign",
    ]


def test_whistle_only_to_an_active_department_of_this_street(client, world):
    d = world["d"]
    staff = Principal.for_user(StaffAccount.get(StaffAccount.area == d.communities[0]).user)
    issue_id = report(client, world)["id"]
    elsewhere = make_district("别的街道", communities=1, alleys_per_community=1)
    closed = Department.create(area=d.street, name="已撤销的科室", active=False)
    foreign = Department.create(area=elsewhere.street, name="别处的城管")
    for dept_id in (closed.id, foreign.id, 999999):
        assert _refusal(
            lambda i=dept_id: unit_handling.whistle(staff, issue_id, i, "请处置", "major")
        ) == (
            400,
            "validation_error",
            "请选择本街道的部门",
            {"department_id": "部门不存在"},
        )
    assert Issue.get_by_id(issue_id).status == "submitted"
    done = unit_handling.whistle(staff, issue_id, world["dept"].id, "请处置", "major")
    assert done.status == "whistled" and done.department_id == world["dept"].id


def test_a_reporter_cannot_cancel_once_accepted_and_is_told_why(client, world):
    issue_id = report(client, world)["id"]
    act(client, world["steward"], issue_id, "accept")
    res = act(client, world["resident"], issue_id, "cancel", status=409)
    assert (res["error"]["code"], res["error"]["message"]) == (
        "invalid_transition",
        "管家已接单，不能撤销；如有需要请留言",
    )
    assert Issue.get_by_id(issue_id).status == "accepted"


def test_overdue_is_strictly_after_the_deadline_and_only_while_open(client, world):
    issue = Issue.get_by_id(report(client, world)["id"])
    deadline = issue.deadline
    assert flow.is_overdue(issue, deadline) is False  # due at 10:00 is not late at 10:00
    assert flow.is_overdue(issue, deadline + timedelta(microseconds=1)) is True
    with time_machine.travel(deadline + timedelta(seconds=1), tick=False):
        assert flow.is_overdue(issue) is True  # "now" when no time is given
    issue.status = "resolved"
    assert flow.is_overdue(issue, deadline + timedelta(days=1)) is False


def test_similar_reports_are_the_five_newest_open_ones_within_the_window(client, world):
    start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    ids = []
    for hour in range(7):
        with time_machine.travel(start + timedelta(hours=hour), tick=False):
            ids.append(report(client, world)["id"])
    with time_machine.travel(start + timedelta(days=3), tick=False):
        again = report(client, world)
    assert [s["id"] for s in again["similar"]] == ids[::-1][:5]
    # Exactly SIMILAR_WINDOW_DAYS (3) after a report, it still counts as recent; not after.
    with time_machine.travel(start + timedelta(days=3, hours=6), tick=False):
        latest = Issue.get_by_id(report(client, world)["id"])
        assert [i.id for i in flow.similar_open(latest)] == [again["id"], ids[6]]
    with time_machine.travel(start + timedelta(days=3, hours=6, seconds=1), tick=False):
        assert [i.id for i in flow.similar_open(latest)] == [again["id"]]


def test_the_report_form_categories_mark_the_private_one(app):
    """`category_list` is what the report form offers: configured order, tier, days, and
    whether the category's reports stay off public pages."""
    listed = flow.category_list()
    assert [c["name"] for c in listed] == list(app.config["ISSUE_CATEGORIES"])
    by_name = {c["name"]: c for c in listed}
    assert by_name["邻里纠纷"]["private"] is True
    assert [n for n, c in by_name.items() if c["private"]] == ["邻里纠纷"]
    assert by_name["环境卫生"] == {
        "name": "环境卫生",
        "priority": "ordinary",
        "deadline_days": 2,
        "private": False,
    }


def test_a_second_steward_is_told_who_accepted_already(client, world):
    d = world["d"]
    issue_id = report(client, world)["id"]
    staff = Principal.for_user(StaffAccount.get(StaffAccount.area == d.communities[0]).user)
    flow.assign(staff, issue_id, steward_ids=[d.stewards[0].id, d.stewards[1].id])
    act(client, world["steward"], issue_id, "accept")
    res = act(client, world["other_steward"], issue_id, "accept", status=409)
    assert (res["error"]["code"], res["error"]["message"]) == (
        "invalid_transition",
        f"{d.stewards[0].name}已接单，无需重复接单",
    )
    assert Issue.get_by_id(issue_id).accepted_by_id == d.stewards[0].id


def test_only_the_reporter_reopens_and_others_are_told_so(client, world):
    issue_id = report(client, world)["id"]
    act(client, world["steward"], issue_id, "resolve", {"note": "已清理"})
    for who in ("steward", "staff"):  # they see the issue, but it is not theirs to reopen
        res = act(client, world[who], issue_id, "reopen", {"note": "x"}, status=403)
        assert (res["error"]["code"], res["error"]["message"]) == (
            "forbidden",
            "只有反映人可以重新打开",
        )
    assert Issue.get_by_id(issue_id).status == "resolved"


def test_an_unknown_category_is_answered_with_the_choices(client, world, app):
    body = {"board_code": world["board"], "category": "不存在的类别", "content": "x"}
    res = client.post(f"{API}/issues", json=body, headers=world["resident"])
    assert res.status_code == 400
    err = res.get_json()["error"]
    assert err["message"] == "请选择问题类别"
    assert err["fields"] == {"category": "可选：" + "、".join(app.config["ISSUE_CATEGORIES"])}


NOT_YOURS = "照片不存在或不是您上传的，请重新上传"


def test_a_photo_someone_else_uploaded_is_refused_naming_the_field(client, world):
    theirs = upload_photo(client, world["neighbour"])
    fix = {
        "board_code": world["board"],
        "category": "设施损坏",
        "content": "井盖松动",
        "fixed_on_spot": {"note": "已垫稳", "photo_ids": [theirs]},
    }
    res = client.post(f"{API}/issues", json=fix, headers=world["steward"])
    assert res.status_code == 400
    assert res.get_json()["error"]["fields"] == {"fixed_on_spot.photo_ids": NOT_YOURS}
    res = client.post(
        f"{API}/issues",
        json={
            "board_code": world["board"],
            "category": "其他",
            "content": "x",
            "photo_ids": [theirs],
        },
        headers=world["resident"],
    )
    assert res.status_code == 400
    assert res.get_json()["error"]["fields"] == {"photo_ids": NOT_YOURS}
    assert Issue.select().count() == 0
    issue_id = report(client, world)["id"]
    for who, action, body in (
        ("steward", "resolve", {"note": "好了", "photo_ids": [theirs]}),
        ("resident", "comment", {"text": "看图", "photo_ids": [theirs]}),
    ):
        res = act(client, world[who], issue_id, action, body, status=400)
        assert res["error"]["fields"] == {"photo_ids": NOT_YOURS}, action
    assert Issue.get_by_id(issue_id).status == "submitted"
    assert [e.action for e in Event.for_subject("issue", issue_id)] == ["issue.create"]
