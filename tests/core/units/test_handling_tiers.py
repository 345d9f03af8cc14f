"""Whistling (`core.units.handling`): the trail lines a whistle writes about the item's tier and
deadline — filed under the item's alley, naming the staff member, with what changed from and
to — and the whistle's own refusals and effects that the end-to-end tests do not walk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.people.permissions import Principal
from core.units import handling, units
from models import Event, Issue
from tests.factories import login, make_district, make_staff

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
