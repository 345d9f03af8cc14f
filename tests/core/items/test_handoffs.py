"""Every hand-off is told (issues 25 and 27): 派单 / 改派 @-mention the stewards it goes to in
the group (and send a subscribe message where they left a consent), tell a steward taken off,
and leave a trail line that names the stewards from and to; the resident reads plain words.
Each test reads back the outbox rows the hand-off wrote: their recipient and their text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from core.delivery import groups, subscriptions
from core.items import issues
from core.items.presenters import issue_out
from core.people import areas, auth
from core.people.permissions import Principal
from infra.timeutil import month_day_time
from models import Event, Issue, OutboxMessage, Steward, User
from tests.factories import login_staff, login_steward, make_district

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
API = "/api/v1"


@pytest.fixture
def world(app):
    d = make_district()
    s0, s1 = d.stewards[0], d.stewards[1]  # 1区1巷 and 1区2巷, both in 第1社区
    Steward.update(name="王秀英", wecom_userid="wx_wang").where(Steward.id == s0.id).execute()
    Steward.update(name="刘志强", wecom_userid="wx_liu").where(Steward.id == s1.id).execute()
    staff = auth.create_staff("zhang", "password123", d.communities[0], "staff", "张主任")
    reporter = User.create(openid="dev:居民甲", nickname="居民甲")
    return {
        "d": d,
        "s0": Steward.get_by_id(s0.id),
        "s1": Steward.get_by_id(s1.id),
        "staff": staff,
        "p_staff": Principal.for_user(staff.user),
        "reporter": Principal.for_user(reporter),
    }


def report(w, alley=None, content="路灯坏了") -> Issue:
    issue, _ = issues.create(
        w["reporter"],
        alley=alley or w["d"].alleys[0],
        board=None,
        category="设施损坏",
        content=content,
    )
    return issue


def rows_of(event: Event) -> dict[str, OutboxMessage]:
    """The outbox rows a 派单 event wrote, by the key's tail (robot, subscribe, private)."""
    mark = f"issue:{event.subject_id}:assign:{event.id}"
    found = OutboxMessage.select().where(OutboxMessage.idempotency_key.contains(mark))
    return {r.idempotency_key: r for r in found}


def last_assign(issue_id: int) -> Event:
    return (
        Event.select()
        .where((Event.subject_id == issue_id) & (Event.action == "issue.assign"))
        .order_by(Event.id.desc())
        .first()
    )


def trail_line(p: Principal, issue_id: int) -> dict:
    timeline = issue_out(p, Issue.get_by_id(issue_id), timeline=True)["timeline"]
    return next(e for e in reversed(timeline) if e["action"] == "assign")


def test_reassigning_tells_the_new_steward_in_the_group_and_the_old_one_privately(
    app, client, world
):
    """改派 through the API: the group @-mentions 刘志强 by his WeCom id and says 王秀英 need not
    go on; 王秀英 gets a private message; the trail reads 王秀英 → 刘志强 by 张主任, the resident
    reads it in plain words."""
    w = world
    group = groups.create(w["d"].communities[0], "robot-key-handoff")
    headers = login_staff(client, w["staff"])
    with time_machine.travel(T0, tick=False):
        issue = report(w)
        assert [s.id for s in issue.assigned_stewards()] == [w["s0"].id]
        res = client.post(
            f"{API}/issues/{issue.id}/assign",
            json={"steward_ids": [w["s1"].id], "note": "刘志强离得近"},
            headers=headers,
        )
        assert res.status_code == 200, res.get_json()
    event = last_assign(issue.id)
    rows = rows_of(event)
    due = month_day_time(Issue.get_by_id(issue.id).deadline)
    head = f"#{issue.id} 1区1巷·设施损坏：路灯坏了"
    robot = rows[f"robot:issue:{issue.id}:assign:{event.id}"]
    assert (robot.kind, robot.target) == ("robot", group.webhook_key)
    assert robot.payload["text"] == {
        "content": f"【改派】{head}\n王秀英 → 刘志强（张主任），王秀英无需再办理。"
        f"请刘志强在 {due} 前办结，接单请发送“@小巷管家 接单 {issue.id}”",
        "mentioned_list": ["wx_liu"],
    }
    off = rows[f"private:issue:{issue.id}:assign:{event.id}:off:{w['s0'].id}"]
    assert (off.kind, off.target) == ("private", "wx_wang")
    assert off.payload["touser"] == "wx_wang"
    assert off.payload["text"]["content"] == (
        f"【改派】#{issue.id} 1区1巷·设施损坏\n已改派给刘志强（张主任），您无需再办理。"
    )
    assert set(rows) == {robot.idempotency_key, off.idempotency_key}  # nobody else told
    # the trail: names from and to, by whom, the staff's note; the resident's plain words
    staff_line = trail_line(w["p_staff"], issue.id)
    assert (staff_line["label"], staff_line["actor"], staff_line["note"]) == (
        "派单",
        "张主任",
        "王秀英 → 刘志强（刘志强离得近）",
    )
    resident_line = trail_line(w["reporter"], issue.id)
    assert (resident_line["label"], resident_line["note"]) == ("转交管家", "已交给管家刘志强办理")


def test_a_first_dispatch_mentions_by_phone_and_subscribes_where_a_consent_exists(
    app, client, world
):
    """An alley without a steward: its item is with nobody until staff 派单 it. 刘志强 has no
    WeCom id: the group @-mentions him by his own phone; he left one consent in the mini
    program, so he also gets a subscribe message."""
    w = world
    group = groups.create(w["d"].communities[0], "robot-key-handoff")
    Steward.update(wecom_userid=None).where(Steward.id == w["s1"].id).execute()
    login_steward(client, w["s1"], "刘志强")
    steward_user = Steward.get_by_id(w["s1"].id).user
    subscriptions.record_consent(steward_user, subscriptions.status_template())
    lonely, _ = areas.child(w["d"].grids[0], "alley", "无人巷")
    with time_machine.travel(T0, tick=False):
        issue = report(w, alley=lonely)
        assert issue.assigned_stewards() == []
        issues.assign(w["p_staff"], issue.id, [w["s1"].id])
    event = last_assign(issue.id)
    rows = rows_of(event)
    due = month_day_time(Issue.get_by_id(issue.id).deadline)
    robot = rows[f"robot:issue:{issue.id}:assign:{event.id}"]
    assert robot.target == group.webhook_key
    assert robot.payload["text"] == {
        "content": f"【派单】#{issue.id} 无人巷·设施损坏：路灯坏了\n派给刘志强（张主任）。"
        f"请刘志强在 {due} 前办结，接单请发送“@小巷管家 接单 {issue.id}”",
        "mentioned_mobile_list": [w["s1"].phone],
    }
    sub = rows[f"subscribe:issue:{issue.id}:assign:{event.id}:{w['s1'].id}"]
    assert (sub.kind, sub.target) == ("subscribe", steward_user.openid)
    values = [v["value"] for v in sub.payload["data"].values()]
    assert "新派单" in values and "设施损坏：路灯坏了" in values
    assert subscriptions.remaining(steward_user, subscriptions.status_template()) == 0
    line = trail_line(w["p_staff"], issue.id)
    assert (line["label"], line["note"]) == ("派单", "派给刘志强")


def test_a_tier_change_alone_tells_the_stewards_of_the_new_deadline(app, world):
    w = world
    groups.create(w["d"].communities[0], "robot-key-handoff")
    with time_machine.travel(T0, tick=False):
        issue = report(w)
        issues.assign(w["p_staff"], issue.id, priority="important")
    event = last_assign(issue.id)
    due = month_day_time(Issue.get_by_id(issue.id).deadline)
    (robot,) = rows_of(event).values()
    assert robot.payload["text"] == {
        "content": f"【期限调整】#{issue.id} 1区1巷·设施损坏：路灯坏了\n"
        f"紧急程度改为“重要”（张主任），请在 {due} 前办结",
        "mentioned_list": ["wx_wang"],
    }
    line = trail_line(w["p_staff"], issue.id)
    assert line["note"] == f"紧急程度 一般 → 重要，{due} 前办结"
    line = trail_line(w["reporter"], issue.id)
    assert (line["label"], line["note"]) == ("调整期限", f"办理期限调整为 {due} 前")


def test_without_a_group_the_steward_it_goes_to_is_told_privately(app, world):
    w = world
    with time_machine.travel(T0, tick=False):
        issue = report(w)
        issues.assign(w["p_staff"], issue.id, [w["s1"].id])
    event = last_assign(issue.id)
    rows = rows_of(event)
    to = rows[f"private:issue:{issue.id}:assign:{event.id}:to:{w['s1'].id}"]
    assert (to.kind, to.target) == ("private", "wx_liu")
    assert to.payload["text"]["content"].startswith(f"【改派】#{issue.id} 1区1巷·设施损坏")
    assert "请刘志强在" in to.payload["text"]["content"]
    off = rows[f"private:issue:{issue.id}:assign:{event.id}:off:{w['s0'].id}"]
    assert off.target == "wx_wang"
    assert not any(r.kind == "robot" for r in rows.values())


def test_a_held_item_is_handed_off_without_its_words(app, world):
    """The hand-off line is a group message like any other: held words stay out of it."""
    w = world
    app.config["SENSITIVE_WORDS"] = ["隔壁老李"]
    groups.create(w["d"].communities[0], "robot-key-handoff")
    with time_machine.travel(T0, tick=False):
        issue = report(w, content="隔壁老李天天在楼道堆杂物")
        assert issue.visibility == "held"
        issues.assign(w["p_staff"], issue.id, [w["s1"].id])
    rows = rows_of(last_assign(issue.id)).values()
    assert {r.kind for r in rows} == {"robot", "private"}
    assert all("老李" not in r.payload["text"]["content"] for r in rows)
    (robot,) = [r for r in rows if r.kind == "robot"]
    assert (
        f"#{issue.id} 1区1巷·设施损坏：（内容待审核，请在小程序查看）"
        in robot.payload["text"]["content"]
    )
