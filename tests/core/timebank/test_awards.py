"""Points for a steward's work on issues: an entry for every duty rule, written where the issue
changes, once per key; reopen reverses; the overdue scan deducts once; balances equal the sum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core import demo
from core.timebank import awards, postings, shop
from jobs import reminders
from models import Area, Issue, PointAccount, PointEntry, ShopItem
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def w(client):
    d = make_district()
    return {
        "d": d,
        "resident": login(client, "张大妈"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login_staff(client, make_staff(d.communities[0])),
    }


def report(client, w, board=0):
    body = {"board_code": w["d"].boards[board].code, "category": "环境卫生", "content": "垃圾堆放"}
    res = client.post(f"{API}/issues", json=body, headers=w["resident"])
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def act(client, headers, issue_id, action, body=None, status=200):
    res = client.post(f"{API}/issues/{issue_id}/{action}", json=body or {}, headers=headers)
    assert res.status_code == status, (action, res.get_json())
    return res.get_json()


def entries_of(steward) -> list[tuple[str, int]]:
    rows = (
        PointEntry.select()
        .join(PointAccount)
        .where(PointAccount.steward == steward.id)
        .order_by(PointEntry.id)
    )
    return [(e.rule, e.points) for e in rows]


def balance(steward) -> int:
    accounts = postings.accounts_of(None, [steward])
    return sum(a.balance for a in accounts)


def test_resolve_on_time_then_satisfied_rating(client, w):
    s0 = w["d"].stewards[0]
    with time_machine.travel(T0, tick=False):
        issue = report(client, w)
        act(client, w["steward"], issue, "accept")
        act(client, w["steward"], issue, "resolve", {"note": "已清运"})
        # the same request again is refused and counts nothing twice
        act(client, w["steward"], issue, "resolve", {"note": "再来"}, status=409)
        act(client, w["resident"], issue, "rate", {"score": 5})
    assert entries_of(s0) == [("issue_resolved", 2), ("issue_on_time", 1), ("issue_satisfied", 1)]
    account = postings.accounts_of(None, [s0])[0]
    assert account.community_id == w["d"].communities[0].id  # the issue's community
    keys = {e.key for e in PointEntry.select()}
    assert keys == {f"issue:{issue}:resolved:0", f"issue:{issue}:on_time:0", f"issue:{issue}:rated"}
    assert {e.source_type for e in PointEntry.select()} == {"issue"}
    assert {e.source_id for e in PointEntry.select()} == {issue}
    assert balance(s0) == 4 and postings.audit_balances() == []
    assert entries_of(w["d"].stewards[1]) == []  # not theirs


def test_dissatisfied_rating_deducts_and_three_stars_is_neither(client, w):
    s0 = w["d"].stewards[0]
    with time_machine.travel(T0, tick=False):
        bad, middling = report(client, w), report(client, w)
        for issue in (bad, middling):
            act(client, w["steward"], issue, "resolve", {"note": "处理了"})
        act(client, w["resident"], bad, "rate", {"score": 1})
        act(client, w["resident"], middling, "rate", {"score": 3})
    rules = [r for r, _ in entries_of(s0)]
    assert rules.count("issue_dissatisfied") == 1 and "issue_satisfied" not in rules
    assert ("issue_dissatisfied", -1) in entries_of(s0)
    assert balance(s0) == 2 * 3 - 1 and postings.audit_balances() == []


def test_staff_resolving_in_their_staff_role_earns_no_one_anything(client, w):
    with time_machine.travel(T0, tick=False):
        issue = report(client, w)
        act(client, w["staff"], issue, "resolve", {"note": "社区处理"})
        act(client, w["resident"], issue, "rate", {"score": 5})
    assert PointEntry.select().count() == 0


def test_late_resolve_deducts_overdue_from_every_assignee_once(client, w):
    s0 = w["d"].stewards[0]
    with time_machine.travel(T0, tick=False):
        issue = report(client, w)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):  # 一般 items: 2 days
        # the scan deducts first; the late resolve must not deduct again
        assert awards.deduct_overdue() == 1
        assert awards.deduct_overdue() == 0
        act(client, w["steward"], issue, "resolve", {"note": "晚了"})
    # the clamp: the deduction came when the passbook was empty, so nothing was written, and it
    # is never taken later from the points the resolve earned
    assert entries_of(s0) == [("issue_resolved", 2)]
    assert balance(s0) == 2 and postings.audit_balances() == []


def test_overdue_scan_deducts_from_a_passbook_that_has_points(client, w, app):
    s0 = w["d"].stewards[0]
    with time_machine.travel(T0, tick=False):
        earlier = report(client, w)
        act(client, w["steward"], earlier, "resolve", {"note": "好了"})  # +3
        late = report(client, w)
    with time_machine.travel(T0 + timedelta(days=3), tick=False):
        counts = reminders.scan()  # the scheduled job's scan
        assert counts["points_overdue"] == 1
        assert reminders.scan()["points_overdue"] == 0  # a rerun deducts nothing twice
    assert entries_of(s0)[-1] == ("issue_overdue", -1)
    key = PointEntry.get(PointEntry.rule == "issue_overdue").key
    assert key == f"issue:{late}:overdue:0:steward:{s0.id}"
    assert balance(s0) == 2 and postings.audit_balances() == []


def test_reopen_reverses_the_rounds_awards_and_deducts(client, w):
    s0 = w["d"].stewards[0]
    with time_machine.travel(T0, tick=False):
        first = report(client, w)
        act(client, w["steward"], first, "resolve", {"note": "好了"})  # +3, keeps a balance
        issue = report(client, w)
        act(client, w["steward"], issue, "resolve", {"note": "清理了"})  # +3
        act(client, w["resident"], issue, "reopen", {"note": "又堆上了"})
    rows = list(PointEntry.select().where(PointEntry.source_id == issue).order_by(PointEntry.id))
    assert [(e.rule, e.points) for e in rows] == [
        ("issue_resolved", 2),
        ("issue_on_time", 1),
        ("reversal", -2),
        ("reversal", -1),
        ("issue_reopened", -1),
    ]
    assert rows[2].reverses_id == rows[0].id and rows[3].reverses_id == rows[1].id
    assert balance(s0) == 3 + 3 - 3 - 1 and postings.audit_balances() == []
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        # round 1: resolved again and on time — a fresh award with its own key
        act(client, w["steward"], issue, "resolve", {"note": "彻底清理"})
    assert PointEntry.get(PointEntry.key == f"issue:{issue}:resolved:1").points == 2
    assert Issue.get_by_id(issue).reopen_count == 1
    assert balance(s0) == 2 + 3 and postings.audit_balances() == []


def test_on_the_spot_earns_its_own_rule(client, w):
    s0 = w["d"].stewards[0]
    body = {
        "alley_id": w["d"].alleys[0].id,
        "category": "环境卫生",
        "content": "路边垃圾",
        "fixed_on_spot": {"note": "顺手清理"},
    }
    with time_machine.travel(T0, tick=False):
        res = client.post(f"{API}/issues", json=body, headers=w["steward"])
    assert res.status_code == 201, res.get_json()
    assert entries_of(s0) == [("issue_on_the_spot", 1)]
    assert PointEntry.get().key == f"issue:{res.get_json()['id']}:on_the_spot"


def test_a_rule_switched_off_in_configuration_writes_nothing(client, w, app):
    app.config["TIMEBANK_RULES"] = {"issue_on_time": {"points": 0}, "issue_resolved": {"points": 5}}
    with time_machine.travel(T0, tick=False):
        issue = report(client, w)
        act(client, w["steward"], issue, "resolve", {"note": "好了"})
    assert entries_of(w["d"].stewards[0]) == [("issue_resolved", 5)]


def test_seed_demo_stocks_each_shelf_and_its_history_earns_points(runner):
    """`make run`'s demo: six classes on each community's shelf; the two weeks of history,
    written through the workflows, leave duty points on stewards' passbooks."""
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    for name in demo.COMMUNITIES:
        community = Area.get(Area.name == name)
        items = list(ShopItem.select().where(ShopItem.community == community.id))
        assert len(items) == len(shop.DEMO_ITEMS)
        assert {i.category for i in items} == set(shop.CATEGORIES)
    rules = {e.rule for e in PointEntry.select()}
    assert "issue_resolved" in rules
    assert PointAccount.select().where(PointAccount.steward.is_null(False)).count() > 0
    assert postings.audit_balances() == []
