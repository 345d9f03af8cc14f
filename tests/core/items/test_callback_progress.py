"""How far each community is with the month's 回访 sample (`core.items.callbacks.progress`),
against a month counted by hand: the month's both edges on Shanghai's calendar, an item both
called back and rated counted once, a reopened round not yet called, the stewards short of
their share in steward order, and the counts asked as of a given moment — for a community, an
alley or grid under it, and the whole street."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

from core.items import callbacks
from models import Callback, Issue
from tests.core.figures.test_reports import SH, at
from tests.core.items.test_callbacks import Town, _post, _principal
from tests.factories import login_steward


def _utc(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)  # stored as naive UTC


def _closed_at(issue_id: int, when: datetime) -> None:
    """Move an item's closure to `when`."""
    Issue.update(resolved_at=_utc(when)).where(Issue.id == issue_id).execute()


def _sh(month, day, hour, minute=0, second=0, year=2026):
    return datetime(year, month, day, hour, minute, second, tzinfo=SH)


def test_the_months_progress_counted_by_hand(client):
    """Community 1, December, the street's rule 40 % and 3 per steward; asked as of
    15 December 12:00.
    s2 closed A (1 Dec 00:00, the month's first second) and E; s1 closed B (rated), C (called
    back 满意, then rated too), D (未接通 once), H (called back 不满意, reopened and closed
    again: its new round not called) and L (31 Dec 23:59:59). Left out: X (30 Nov 23:59:59),
    N (1 Jan 00:00), G (anonymous without a phone); F is community 2's (s3).
    closed 7; heard B C = 2; rated B C = 2; callbacks done C = 1 (H's was an earlier round);
    target ⌈7 × 40 %⌉ = 3, needed 1; s1 closed 5 heard 2 needs min(3, 5) − 2 = 1; s2 closed 2
    heard 0 needs 2. Waiting on the 15th at noon (closed 3 to 30 days before): A D E H X = 5."""
    t = Town(client)
    d = t.d
    s3 = login_steward(client, d.stewards[2])
    names = "AEBCDHLXNG"
    ids = {}
    with at(11, 30, 9):
        for n in names[:-1]:  # A and E on s2's alley
            ids[n] = t.report(n, board=1 if n in "AE" else 0, contact_phone="13900000001")
        ids["G"] = t.report("G", anonymous=True)
        ids["F"] = t.report("F", board=2, contact_phone="13900000006")
    with at(12, 3, 10):
        for n in "AE":
            t.resolve(ids[n], t.s2)
        for n in "BCDHLXNG":
            t.resolve(ids[n])
        t.resolve(ids["F"], s3)
    with at(12, 3, 11):
        _post(client, f"/issues/{ids['B']}/rate", t.resident("B"), {"score": 4})
    with at(12, 6, 10):
        t.call(ids["C"], "satisfied")
        t.call(ids["D"], "unreached")
        t.call(ids["H"], "unsatisfied", "还是漏水")
        callbacks.reopen(_principal("liu"), ids["H"])
        _post(client, f"/issues/{ids['C']}/rate", t.resident("C"), {"score": 5})
    with at(12, 7, 10):
        t.resolve(ids["H"])
    _closed_at(ids["A"], _sh(12, 1, 0))
    _closed_at(ids["X"], _sh(11, 30, 23, 59, 59))
    _closed_at(ids["L"], _sh(12, 31, 23, 59, 59))
    _closed_at(ids["N"], _sh(1, 1, 0, year=2027))
    admin = _principal("jd")
    callbacks.set_rule(admin, d.street, 40, 3)
    c1, c2 = d.communities
    asked_utc = _utc(_sh(12, 15, 12))
    with time_machine.travel(_sh(12, 31, 23), tick=False):  # the clock is not the moment asked
        rows = callbacks.progress(d.street, asked_utc)
        for under in (c1, d.grids[0], d.alleys[1]):
            assert callbacks.progress(under, asked_utc) == rows[:1]
    assert [r["community_id"] for r in rows] == [c1.id, c2.id]
    mine = rows[0]
    assert mine["name"] == "第1社区"
    assert (mine["closed"], mine["heard"], mine["rated"], mine["callbacks_done"]) == (7, 2, 2, 1)
    assert (mine["target"], mine["needed"], mine["met"], mine["waiting"]) == (3, 1, False, 5)
    assert (mine["rule"]["source"], mine["rule"]["min_percent"]) == ("street", 40)
    assert mine["stewards_short"] == [
        {"steward_id": d.stewards[0].id, "name": "管家11", "closed": 5, "heard": 2, "needed": 1},
        {"steward_id": d.stewards[1].id, "name": "管家12", "closed": 2, "heard": 0, "needed": 2},
    ]
    theirs = rows[1]
    assert (theirs["closed"], theirs["heard"], theirs["target"], theirs["needed"]) == (1, 0, 1, 1)
    assert theirs["stewards_short"] == [
        {"steward_id": d.stewards[2].id, "name": "管家21", "closed": 1, "heard": 0, "needed": 1}
    ]


def test_a_month_whose_only_closed_item_was_called_back_has_heard_it(client):
    t = Town(client)
    with at(12, 1, 9):
        a = t.report("甲", contact_phone="13900000001")
        t.resolve(a)
    with at(12, 4, 10):
        t.call(a, "refused")
        (row,) = callbacks.progress(t.d.communities[0])
    assert (row["closed"], row["heard"], row["callbacks_done"], row["needed"]) == (1, 1, 1, 0)
    assert row["met"]


def test_a_month_of_over_a_thousand_closed_items_counts_every_call_back(client):
    """The callbacks are read 500 items at a time: a community that closed 1,001 items in the
    month, called back the first, the 501st (the second chunk's first) and the 1,001st (the
    third's), has heard exactly those three — none missed at a chunk's edge."""
    t = Town(client)
    d = t.d
    asked = _utc(_sh(12, 15, 12))
    closed = _utc(_sh(12, 2, 10))
    Issue.insert_many(
        [
            {
                "number": f"S{n:07d}",
                "alley": d.alleys[0].id,
                "community": d.communities[0].id,
                "category": "环境卫生",
                "content": f"第{n}件",
                "contact_phone": "13900000001",
                "status": "resolved",
                "deadline": closed,
                "resolved_at": closed,
                "resolved_by": d.stewards[0].id,
            }
            for n in range(1001)
        ]
    ).execute()
    ids = [i.id for i in Issue.select(Issue.id).order_by(Issue.id)]
    heard = [ids[0], ids[500], ids[1000]]
    Callback.insert_many(
        [
            {"issue": i, "community": d.communities[0].id, "result": "satisfied", "settles": 0}
            for i in heard
        ]
    ).execute()
    (row,) = callbacks.progress(d.communities[0], asked)
    assert (row["closed"], row["heard"], row["callbacks_done"]) == (1001, 3, 3)


def test_the_target_is_the_rules_share_rounded_up_to_a_whole_item(client):
    """67 % of 3 closed items is 2.01 items: the target is all 3, not 2."""
    t = Town(client)
    with at(12, 1, 9):
        ids = [t.report(n, contact_phone="13900000001") for n in "甲乙丙"]
        for i in ids:
            t.resolve(i)
    callbacks.set_rule(_principal("jd"), t.d.communities[0], 67, 0)
    with at(12, 4, 10):
        t.call(ids[0], "satisfied")
        (row,) = callbacks.progress(t.d.communities[0])
    assert (row["closed"], row["heard"], row["target"], row["needed"]) == (3, 1, 3, 2)
    assert not row["met"] and row["rule"]["source"] == "community"
