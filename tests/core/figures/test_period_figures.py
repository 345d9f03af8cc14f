"""An area's figures over a period (`core.figures.stats.period_stats`, the 首页 and
`GET /api/v1/stats`) counted in SQL (`core.figures.period_sql`): the same figures the daily
通报 counts from the rows (`reports.tally`, `reports.open_and_overdue`), held at the
boundaries — the first and last instant of a month in Asia/Shanghai, an item closed exactly at
its deadline, accepted exactly at the response limit, assigned to two stewards, called back —
in a community, a grid, an alley and the street; and the cumulative 整改率, which is kept
between requests, never stale after a change."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import time_machine

from core.figures import reports, stats, words
from core.items import outcomes
from infra.timeutil import local_midnight_utc, utcnow
from models import Callback, Issue, IssueAssignee
from tests.factories import login_staff, make_district, make_staff

NOV_1 = local_midnight_utc(date(2026, 11, 1))  # 2026-10-31 16:00 UTC
DEC_1 = local_midnight_utc(date(2026, 12, 1))
US = timedelta(microseconds=1)
NOW = DEC_1 + timedelta(days=9, hours=2)  # 10 December, 10:00 in Shanghai


def _item(d, n, created, *, alley=0, category="环境卫生", **fields):
    alley_area = d.alleys[alley]
    community = next(c for c in d.communities if alley_area.path.startswith(c.path))
    values = {
        "status": "submitted",
        "deadline": created + timedelta(days=3),
        **fields,
    }
    return Issue.create(
        number=f"S88{n:04d}",
        alley=alley_area,
        community=community,
        category=category,
        content=f"第 {n} 件",
        created_at=created,
        **values,
    )


def _world():
    """Two communities of two alleys, a steward each; items on every boundary of November."""
    d = make_district()
    s0, s1, s2 = d.stewards[0], d.stewards[1], d.stewards[2]
    hours = 24  # RESPONSE_HOURS's default
    n = iter(range(1000))
    # reported at the first instant of November, accepted exactly at the response limit,
    # resolved exactly at its deadline (closed on time: never overdue)
    first = _item(d, next(n), NOV_1, status="resolved", outcome=outcomes.SOLVED)
    first.accepted_at, first.accepted_by = NOV_1 + timedelta(hours=hours), s0
    first.deadline = first.resolved_at = NOV_1 + timedelta(days=2)
    first.resolved_by = s0
    first.save()
    # one microsecond before November: not reported in it; accepted a microsecond too late
    before = _item(d, next(n), NOV_1 - US, status="accepted", accepted_by=s0)
    before.accepted_at = NOV_1 - US + timedelta(hours=hours) + US
    before.save()
    # the last instant of November: reported in it, open at its end, due a microsecond before
    # the end (overdue then), assigned to two stewards and accepted by neither
    last = _item(d, next(n), DEC_1 - US, alley=1, deadline=DEC_1 - US, category="道路")
    IssueAssignee.create(issue=last, steward=s0)
    IssueAssignee.create(issue=last, steward=s1)
    # due exactly at the end of November: not overdue at that instant
    _item(d, next(n), NOV_1 + timedelta(days=5), alley=1, deadline=DEC_1, category="道路")
    # resolved exactly at the end of November: still open at it (and overdue)
    late = _item(
        d,
        next(n),
        NOV_1 + timedelta(days=3),
        deadline=NOV_1 + timedelta(days=4),
        status="resolved",
        accepted_at=NOV_1 + timedelta(days=3, hours=1),
        accepted_by=s1,
        resolved_at=DEC_1,
        resolved_by=s1,
        outcome=outcomes.SOLVED,
    )
    IssueAssignee.create(issue=late, steward=s1)
    # the first instant of December: not November's
    _item(d, next(n), DEC_1, alley=2)
    # rated in November (4 stars) and called back in it (不满意 later: the last word wins);
    # resolved in November by a steward of the second community
    rated = _item(
        d,
        next(n),
        NOV_1 + timedelta(days=1),
        alley=2,
        status="closed",
        accepted_at=NOV_1 + timedelta(days=1, hours=2),
        accepted_by=s2,
        resolved_at=NOV_1 + timedelta(days=2),
        resolved_by=s2,
        outcome=outcomes.SOLVED,
        rating=4,
        rated_at=NOV_1 + timedelta(days=2, hours=3),
        closed_at=NOV_1 + timedelta(days=2, hours=3),
    )
    Callback.create(
        issue=rated,
        community=rated.community,
        result="unsatisfied",
        settles=0,
        created_at=NOV_1 + timedelta(days=6),
    )
    # rated at the last instant (5 stars), no callback: its word is its rating
    _item(
        d,
        next(n),
        NOV_1 + timedelta(days=10),
        alley=2,
        status="closed",
        accepted_at=NOV_1 + timedelta(days=10, hours=1),
        accepted_by=s2,
        resolved_at=NOV_1 + timedelta(days=11),
        resolved_by=s2,
        outcome=outcomes.SOLVED,
        rating=5,
        rated_at=DEC_1 - US,
        closed_at=DEC_1 - US,
    )
    # rated, then reopened (its closed_at cleared): the rating still counts in its month
    _item(
        d,
        next(n),
        NOV_1 + timedelta(days=12),
        alley=3,
        status="submitted",
        rating=2,
        rated_at=NOV_1 + timedelta(days=13),
        reopen_count=1,
    )
    # a duplicate merged into another in November (no resolved_at), and a cancelled one
    _item(
        d,
        next(n),
        NOV_1 + timedelta(days=14),
        alley=3,
        status="closed",
        outcome=outcomes.DUPLICATE,
        closed_at=NOV_1 + timedelta(days=15),
    )
    _item(
        d,
        next(n),
        NOV_1 + timedelta(days=16),
        status="cancelled",
        closed_at=NOV_1 + timedelta(days=16, hours=1),
    )
    # a steward's on-the-spot fix (not asked to respond), resolved as not ours
    _item(
        d,
        next(n),
        NOV_1 + timedelta(days=20),
        source="steward",
        status="resolved",
        accepted_at=NOV_1 + timedelta(days=20),
        accepted_by=s0,
        resolved_at=NOV_1 + timedelta(days=20),
        resolved_by=s0,
        outcome=outcomes.NOT_OURS,
    )
    return d


def _by_rows(area, first: date, last: date) -> dict:
    """The figures as the daily 通报 counts them: every row that moved, tallied in Python."""
    start = local_midnight_utc(first)
    end = local_midnight_utc(last + timedelta(days=1))
    as_of = min(end, utcnow())
    rows = [i for i in reports.moved(area, start) if i.created_at < end]
    calls = words.callbacks_since(area, start)
    overall = reports.tally(rows, start, end, calls=calls)
    categories = defaultdict(list)
    for i in rows:
        categories[i.category].append(i)
    late_by = defaultdict(int)
    late_ids = {i.id for i in reports.overdue_rows(rows, as_of)}
    for link in IssueAssignee.select().where(IssueAssignee.issue.in_(list(late_ids) or [0])):
        late_by[link.steward_id] += 1
    return {
        "counts": {
            **stats._counts(overall),
            **dict(zip(("open", "overdue"), reports.open_and_overdue(rows, as_of), strict=True)),
        },
        "by_category": {
            name: stats._counts(reports.tally(items, start, end, calls=calls))
            for name, items in categories.items()
        },
        "by_steward": {
            sid: {
                **stats._counts(reports.tally(rows, start, end, credited=sid, calls=calls)),
                "overdue": late_by[sid],
            }
            for sid in {i.accepted_by_id for i in rows}
            | {i.resolved_by_id for i in rows}
            | set(late_by)
            if sid is not None
        },
    }


def _check_against_rows(area, first: date, last: date) -> dict:
    figures = stats.period_stats(area, first, last)
    expected = _by_rows(area, first, last)
    assert figures["counts"] == expected["counts"], area.name
    shown = {c.pop("category"): c for c in figures["by_category"]}
    assert shown == {
        k: v
        for k, v in expected["by_category"].items()
        if v["new"] or v["accepted"] or v["resolved"]
    }
    by_steward = {s["steward_id"]: s for s in figures["by_steward"]}
    for sid, want in expected["by_steward"].items():
        if sid in by_steward:
            got = {k: v for k, v in by_steward[sid].items() if k in want}
            assert got == want, (area.name, sid)
    return figures


def _trend_by_rows(area, last: date, days: int) -> list[tuple]:
    first = last - timedelta(days=days - 1)
    start = local_midnight_utc(first)
    end = local_midnight_utc(last + timedelta(days=1))
    new, resolved = stats.per_day_by_rows(area, start, end)
    return [
        (day, new[day], resolved[day]) for day in (first + timedelta(days=n) for n in range(days))
    ]


def test_the_figures_are_the_rows_tally_at_every_boundary_in_every_area(app):
    with time_machine.travel(NOW, tick=False):
        d = _world()
        areas = [d.street, *d.communities, d.grids[0], d.alleys[0], d.alleys[2]]
        for area in areas:
            _check_against_rows(area, date(2026, 11, 1), date(2026, 11, 30))  # a past month
            _check_against_rows(area, date(2026, 12, 1), date(2026, 12, 10))  # this month
            _check_against_rows(area, date(2026, 11, 30), date(2026, 12, 1))  # across the two
            trend = stats.daily_trend(area, date(2026, 12, 10), 45)
            assert [(t["day"], t["new"], t["resolved"]) for t in trend] == _trend_by_rows(
                area, date(2026, 12, 10), 45
            )


def test_the_boundaries_by_hand(app):
    with time_machine.travel(NOW, tick=False):
        d = _world()
        s0, s1, s2 = (s.id for s in d.stewards[:3])
        november = stats.period_stats(d.street, date(2026, 11, 1), date(2026, 11, 30))
        c = november["counts"]
        # reported: the first instant's, the last instant's and eight between; not the
        # microsecond before November nor December's first instant
        assert c["new"] == 10
        # the cancelled one and the merged duplicate left out
        assert c["counted"] == 8
        # accepted exactly at the limit responds; the on-the-spot fix is not asked to
        assert (c["responded"], c["answerable"]) == (4, 7)
        # open at the end: the one before November, the last instant's, the one due at the end,
        # the one resolved at the end, the reopened one; all but the one due at the end overdue
        assert (c["open"], c["overdue"]) == (5, 4)
        # words: 5 stars (satisfied), the called-back one by its last word (不满意), the
        # reopened one's 2 stars
        assert (c["answered"], c["confirmed_solved"], c["satisfied"]) == (3, 1, 1)
        assert (c["rated"], c["callbacks_done"]) == (3, 1)
        assert november["outcomes"][outcomes.DUPLICATE] == 1
        assert november["outcomes"][outcomes.NOT_OURS] == 1
        rows = {s["steward_id"]: s for s in november["by_steward"]}
        # the item of two assignees, overdue, counts for both; s1's own one resolved at the end
        assert (rows[s0]["overdue"], rows[s1]["overdue"], rows[s2]["overdue"]) == (1, 2, 0)
        # s0: the first instant's (accepted at the limit) and the fix; not the late acceptance
        assert (rows[s0]["new"], rows[s0]["responded"], rows[s0]["answerable"]) == (2, 1, 1)
        assert (rows[s2]["answered"], rows[s2]["confirmed_solved"], rows[s2]["satisfied"]) == (
            2,
            1,
            1,
        )
        december = stats.period_stats(d.street, date(2026, 12, 1), date(2026, 12, 10))
        assert december["counts"]["new"] == 1
        # now (10 December): the one resolved at the end of November is closed; December's
        # first is open, and every open one is past its deadline (the one due at the end too)
        assert (december["counts"]["open"], december["counts"]["overdue"]) == (5, 5)
        trend = stats.daily_trend(d.street, date(2026, 12, 1), 2)
        assert [(t["day"], t["new"], t["resolved"]) for t in trend] == [
            (date(2026, 11, 30), 1, 0),
            (date(2026, 12, 1), 1, 1),
        ]


def test_the_rectification_rate_is_never_stale_after_a_change(app):
    client = app.test_client()
    with time_machine.travel(NOW, tick=False):
        d = _world()
        community = d.communities[0]
        december = (date(2026, 12, 1), date(2026, 12, 10))
        solved, counted = stats.period_stats(community, *december)["rectification_counts"]
        assert (solved, counted) == (2, 6)
        # the community's staff close the item accepted before November: one more solved at once
        staff = login_staff(client, make_staff(community))
        open_one = Issue.get(Issue.number == "S880001")
        res = client.post(
            f"/api/v1/issues/{open_one.id}/resolve", json={"note": "已清理"}, headers=staff
        )
        assert res.status_code == 200, res.get_json()
        after = stats.period_stats(community, *december)
        assert after["rectification_counts"] == [solved + 1, counted]
