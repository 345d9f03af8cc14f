"""Whistling (吹哨) to a handling unit with an explicit tier: the 2310 deadlines from the
whistle, every tier or deadline change a trail line naming who and from what to what, an
old client's whistle keeping the tier (and saying so), and the refusals that write nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.units import units
from models import Event, Issue
from tests.factories import login, login_staff, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def world(client):
    d = make_district()
    account = make_staff(d.communities[0], username="zhangsan")
    return {
        "d": d,
        "staff": login_staff(client, account),
        "resident": login(client, "居民甲"),
        "unit": units.create(d.street, "住建办"),
        "property": units.create(d.communities[0], "安居物业", kind="property"),
    }


def _report(client, w, category="环境卫生") -> int:
    body = {"board_code": w["d"].boards[0].code, "category": category, "content": "墙皮脱落"}
    res = client.post(f"{API}/issues", json=body, headers=w["resident"])
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def _whistle(client, w, issue_id, body, status=200):
    res = client.post(f"{API}/issues/{issue_id}/whistle", json=body, headers=w["staff"])
    assert res.status_code == status, res.get_json()
    return res.get_json()


def _trail(issue_id):
    return list(Event.for_subject("issue", issue_id))


def test_whistle_with_a_tier_sets_the_2310_deadline_from_the_whistle(client, world):
    with time_machine.travel(T0, tick=False) as clock:
        issue_id = _report(client, world)
        clock.shift(timedelta(hours=5))
        out = _whistle(
            client,
            world,
            issue_id,
            {"unit_id": world["unit"].id, "tier": "important", "note": "外墙脱落需鉴定"},
        )
    assert (out["status"], out["priority"]) == ("whistled", "important")
    assert out["deadline"] == "2026-11-26T14:00:00+08:00"  # 3 days from 14:00
    issue = Issue.get_by_id(issue_id)
    assert issue.department_id == world["unit"].id
    whistle, tier = [e for e in _trail(issue_id) if e.action in ("issue.whistle", "issue.tier")]
    assert whistle.data["summary"] == "已转交 住建办 处理" and whistle.data["tier_chosen"]
    assert tier.actor_label == "zhangsan"
    assert tier.data["note"] == ("紧急程度 一般→重要；办理期限 11月25日 09:00→11月26日 14:00")
    # the trail every reader gets shows both lines, in plain words
    timeline = client.get(f"{API}/issues/{issue_id}", headers=world["resident"]).get_json()
    lines = [(t["label"], t["note"]) for t in timeline["timeline"]]
    assert ("紧急程度与期限", tier.data["note"]) in lines
    assert any(t["data"].get("summary") == "已转交 住建办 处理" for t in timeline["timeline"])


def test_a_property_company_takes_a_whistle_too(client, world):
    issue_id = _report(client, world)
    body = {"unit_id": world["property"].id, "tier": "ordinary", "note": "请物业清理"}
    out = _whistle(client, world, issue_id, body)
    assert out["department"]["name"] == "安居物业" and out["priority"] == "ordinary"


def test_a_new_client_must_choose_the_tier(client, world):
    issue_id = _report(client, world)
    before = len(_trail(issue_id))
    missing = _whistle(client, world, issue_id, {"unit_id": world["unit"].id, "note": "x"}, 400)
    assert "tier" in missing["error"]["fields"] and "紧急程度" in missing["error"]["message"]
    wrong = {"unit_id": world["unit"].id, "tier": "urgent", "note": "x"}
    assert "tier" in _whistle(client, world, issue_id, wrong, 400)["error"]["fields"]
    no_unit = _whistle(client, world, issue_id, {"tier": "major", "note": "x"}, 400)
    assert "unit_id" in no_unit["error"]["fields"]
    unknown = {"unit_id": 999999, "tier": "major", "note": "x"}
    assert "unit_id" in _whistle(client, world, issue_id, unknown, 400)["error"]["fields"]
    assert Issue.get_by_id(issue_id).status == "submitted" and len(_trail(issue_id)) == before


def test_an_old_client_keeps_the_tier_and_the_trail_says_so(client, world):
    with time_machine.travel(T0, tick=False):
        issue_id = _report(client, world, category="私拉电线/安全隐患")  # important
        deadline = Issue.get_by_id(issue_id).deadline
        out = _whistle(client, world, issue_id, {"department_id": world["unit"].id, "note": "x"})
    assert out["priority"] == "important"
    assert Issue.get_by_id(issue_id).deadline == deadline
    kept = _trail(issue_id)[-1]
    assert kept.action == "issue.tier"
    assert kept.data["note"] == "吹哨时未选择紧急程度，保持“重要”，办理期限仍为 11月26日 09:00"


def test_a_closed_or_held_item_cannot_be_whistled_and_nothing_is_written(client, world):
    body = {"unit_id": world["unit"].id, "tier": "major", "note": "请处理"}
    closed = _report(client, world)
    client.post(f"{API}/issues/{closed}/cancel", json={"reason": "重复"}, headers=world["staff"])
    before = len(_trail(closed))
    refused = _whistle(client, world, closed, body, 409)["error"]
    assert refused["code"] == "invalid_transition" and "不能吹哨" in refused["message"]
    assert len(_trail(closed)) == before

    held = _report(client, world)
    Issue.update(visibility="held").where(Issue.id == held).execute()
    before = len(_trail(held))
    refused = _whistle(client, world, held, body, 409)["error"]
    assert refused["code"] == "held" and "审核" in refused["message"]
    issue = Issue.get_by_id(held)
    assert (issue.status, issue.priority, issue.department_id) == ("submitted", "ordinary", None)
    assert len(_trail(held)) == before
