"""Whistling (`core.units.handling`): the trail lines a whistle writes about the item's tier and
deadline — filed under the item's alley, naming the staff member, with what changed from and
to — and the whistle's own refusals and effects that the end-to-end tests do not walk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.people.permissions import Principal
from core.units import actions, handling, members, units
from infra.errors import ApiError
from models import Event, Issue, User
from tests.factories import login, login_steward, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def world(client):
    d = make_district()
    account = make_staff(d.communities[0], username="zhangsan")
    return {
        "d": d,
        "account": account,
        "staff": Principal.for_user(account.user),
        "resident": login(client, "居民甲"),
        "unit": units.create(d.street, "住建办"),
    }


def _report(client, w, category="环境卫生") -> Issue:
    body = {"board_code": w["d"].boards[0].code, "category": category, "content": "墙皮脱落"}
    res = client.post(f"{API}/issues", json=body, headers=w["resident"])
    assert res.status_code == 201, res.get_json()
    return Issue.get_by_id(res.get_json()["id"])


def _refusal(call) -> tuple:
    with pytest.raises(ApiError) as caught:
        call()
    err = caught.value
    return err.status, err.code, err.message, err.fields


def _tier_lines(issue_id: int) -> list[Event]:
    return [e for e in Event.for_subject("issue", issue_id) if e.action == "issue.tier"]


def test_a_kept_tier_line_names_the_staff_member_the_alley_and_what_stayed(client, world):
    with time_machine.travel(T0, tick=False):
        issue = _report(client, world)
        handling.whistle(world["staff"], issue.id, world["unit"].id, "请处理", None)
    (kept,) = _tier_lines(issue.id)
    assert kept.actor_id == world["account"].user_id
    assert kept.area_id == world["d"].alleys[0].id
    due = Issue.get_by_id(issue.id).deadline.isoformat()
    assert {k: v for k, v in kept.data.items() if k != "note"} == {
        "tier_from": "ordinary",
        "tier_to": "ordinary",
        "deadline_from": due,
        "deadline_to": due,
    }


def test_a_tier_change_line_is_filed_under_the_items_alley_with_both_ends(client, world):
    with time_machine.travel(T0, tick=False):
        issue = _report(client, world)
        before = Issue.get_by_id(issue.id).deadline.isoformat()
        handling.whistle(world["staff"], issue.id, world["unit"].id, "请处理", "major")
    (line,) = _tier_lines(issue.id)
    assert line.area_id == world["d"].alleys[0].id
    assert line.actor_id == world["account"].user_id and line.actor_label == "zhangsan"
    assert {k: v for k, v in line.data.items() if k != "note"} == {
        "tier_from": "ordinary",
        "tier_to": "major",
        "deadline_from": before,
        "deadline_to": Issue.get_by_id(issue.id).deadline.isoformat(),
    }


def test_a_changed_tier_that_leaves_the_deadline_says_only_the_tier(client, world):
    # 重要 reported at 09:00 is due in 3 days; 一般 chosen a day later is due in 2: the same minute
    with time_machine.travel(T0, tick=False) as clock:
        issue = _report(client, world, category="私拉电线/安全隐患")
        clock.shift(timedelta(days=1))
        handling.whistle(world["staff"], issue.id, world["unit"].id, "请处理", "ordinary")
    (line,) = _tier_lines(issue.id)
    assert line.data["note"] == "紧急程度 重要→一般"


def test_the_same_tier_chosen_within_the_minute_of_the_report_writes_no_tier_line(client, world):
    with time_machine.travel(T0, tick=False):
        issue = _report(client, world)
        handling.whistle(world["staff"], issue.id, world["unit"].id, "请处理", "ordinary")
    assert Issue.get_by_id(issue.id).status == "whistled"
    assert _tier_lines(issue.id) == []


def test_a_deadline_moved_by_the_system_is_named_system_on_the_trail(client, world):
    # `record_tier_change` without an actor: a scheduled job's change, with its reason
    with time_machine.travel(T0, tick=False):
        issue = _report(client, world)
    before = (issue.priority, issue.deadline)
    issue.deadline = issue.deadline + timedelta(days=1)
    handling.record_tier_change(issue, before, reason="节假日顺延")
    (line,) = _tier_lines(issue.id)
    assert (line.actor_id, line.actor_label) == (None, "系统")
    assert line.data["note"] == "办理期限 11月25日 09:00→11月26日 09:00（节假日顺延）"


def test_the_whistle_records_the_unit_the_tier_the_deadline_and_the_note(client, world):
    with time_machine.travel(T0, tick=False):
        issue = _report(client, world)
        handling.whistle(world["staff"], issue.id, world["unit"].id, "外墙需鉴定", "important")
    (line,) = [e for e in Event.for_subject("issue", issue.id) if e.action == "issue.whistle"]
    unit = world["unit"]
    assert line.data == {
        "department_id": unit.id,
        "department": "住建办",
        "unit_id": unit.id,
        "unit": "住建办",
        "unit_kind": "department",
        "tier": "important",
        "tier_chosen": True,
        "deadline": Issue.get_by_id(issue.id).deadline.isoformat(),
        "note": "外墙需鉴定",
        "summary": "已转交 住建办 处理",
    }
    assert Issue.get_by_id(issue.id).whistled_at.replace(tzinfo=UTC) == T0


def test_a_whistle_accepts_an_item_nobody_accepted_and_keeps_an_earlier_acceptance(client, world):
    with time_machine.travel(T0, tick=False) as clock:
        fresh = _report(client, world)
        taken = _report(client, world)
        Issue.update(accepted_at=T0, status="accepted").where(Issue.id == taken.id).execute()
        clock.shift(timedelta(hours=3))
        for issue in (fresh, taken):
            handling.whistle(world["staff"], issue.id, world["unit"].id, "请处理", "major")
    assert Issue.get_by_id(fresh.id).accepted_at.replace(tzinfo=UTC) == T0 + timedelta(hours=3)
    assert Issue.get_by_id(taken.id).accepted_at.replace(tzinfo=UTC) == T0


def test_a_reopened_item_whistled_again_starts_its_check_in_and_supervision_afresh(client, world):
    li = members.create_member(world["unit"], "zjb-li", "password123", "李工")
    member = Principal.for_user(li.account.user)
    issue = _report(client, world)
    handling.whistle(world["staff"], issue.id, world["unit"].id, "请处理", "major")
    actions.check_in(member, issue.id)
    actions.supervise(world["staff"], issue.id, "请街道督办")
    actions.resolve(member, issue.id, "已修复")
    res = client.post(
        f"{API}/issues/{issue.id}/reopen", json={"note": "又坏了"}, headers=world["resident"]
    )
    assert res.status_code == 200, res.get_json()
    handling.whistle(world["staff"], issue.id, world["unit"].id, "再请处理", "major")
    again = Issue.get_by_id(issue.id)
    assert (again.status, again.checked_in_at, again.supervised_at) == ("whistled", None, None)


def test_only_a_live_unit_above_the_items_alley_takes_the_whistle(client, world):
    issue = _report(client, world)
    elsewhere = make_district("别的街道", communities=1, alleys_per_community=1)
    foreign = units.create(elsewhere.street, "别处的城管")
    closed = units.create(world["d"].street, "已撤销的科室")
    closed.active = False
    closed.save()
    for unit_id in (foreign.id, closed.id, 999999):
        assert _refusal(
            lambda i=unit_id: handling.whistle(world["staff"], issue.id, i, "请处理", "major")
        ) == (400, "validation_error", "请选择本街道的部门", {"department_id": "部门不存在"})
    assert _tier_lines(issue.id) == [] and Issue.get_by_id(issue.id).status == "submitted"


def test_who_may_see_but_not_manage_the_item_cannot_whistle_it(client, world):
    issue = _report(client, world)
    login_steward(client, world["d"].stewards[0], "管家甲")
    steward = Principal.for_user(User.get(User.nickname == "管家甲"))
    assert _refusal(
        lambda: handling.whistle(steward, issue.id, world["unit"].id, "请处理", "major")
    ) == (403, "forbidden", "只有社区工作人员可以吹哨报到", {})
    assert Issue.get_by_id(issue.id).status == "submitted"


def test_an_unknown_tier_is_refused_naming_the_choices(client, world):
    issue = _report(client, world)
    assert _refusal(
        lambda: handling.whistle(world["staff"], issue.id, world["unit"].id, "x", "urgent")
    ) == (
        400,
        "validation_error",
        "紧急程度有误",
        {"tier": "可选：ordinary（一般）、important（重要）、major（重大）"},
    )


def test_the_reporter_is_told_the_item_went_to_the_unit(client, world):
    import json

    from models import OutboxMessage

    res = client.post(
        f"{API}/subscriptions", json={"template_id": "tpl_dev_status"}, headers=world["resident"]
    )
    assert res.status_code == 201, res.get_json()
    issue = _report(client, world)
    handling.whistle(world["staff"], issue.id, world["unit"].id, "请处理", "major")
    (told,) = OutboxMessage.select().where(OutboxMessage.kind == "subscribe")
    assert "已吹哨住建办" in json.dumps(told.payload, ensure_ascii=False)


def test_staff_of_another_community_are_told_the_item_does_not_exist(client, world):
    issue = _report(client, world)
    outsider = Principal.for_user(make_staff(world["d"].communities[1]).user)
    refused = _refusal(
        lambda: handling.whistle(outsider, issue.id, world["unit"].id, "请处理", "major")
    )
    assert refused[0] == 404
    assert Issue.get_by_id(issue.id).status == "submitted"


def test_a_held_item_is_refused_telling_staff_to_review_its_content_first(client, world):
    issue = _report(client, world)
    Issue.update(visibility="held").where(Issue.id == issue.id).execute()
    assert _refusal(
        lambda: handling.whistle(world["staff"], issue.id, world["unit"].id, "请处理", "major")
    ) == (409, "held", "该诉求内容尚待审核，请先审核（公开或不公开）后再吹哨", {})
    assert _tier_lines(issue.id) == [] and Issue.get_by_id(issue.id).status == "submitted"
