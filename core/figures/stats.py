"""Statistics of an area over any period (`GET /api/v1/stats`): counts, the 三率 and the
rectification rate, by category and by steward. Same definitions as the daily 通报
(`core/figures/reports.py`), whose counting it reuses: 办结率 from the handler's closures,
解决率 and 满意率 from the resident's word (ratings and 回访, `reports.resident_word`). By steward, acceptances, resolutions
and ratings are credited to the steward who did them (`core.items.credit`); an item nobody
has acted on yet counts for none of its assignees, except as overdue."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from peewee import fn

from core.figures import hotline, reports, words
from core.figures.assessment import local_day
from core.items import outcomes
from infra.timeutil import local_midnight_utc, to_local, utcnow
from models import Area, IssueAssignee, Patrol, Steward, StewardAlley, Wish

OPEN = reports.OPEN


def _counts(t: reports.Tally) -> dict:
    return {
        "new": t.new,
        "accepted": t.accepted,
        "resolved": t.resolved,
        "rated": t.rated,
        # what each rate is counted from, so clients can show e.g. 满意率 50%（1/2）
        "responded": t.responded,
        "answerable": t.answerable,
        "solved": t.solved,
        "counted": t.counted,
        # the resident's word (ratings and callbacks): 解决率 and 满意率 are counted from it
        "answered": t.answered,
        "confirmed_solved": t.confirmed,
        "satisfied": t.satisfied,
        "callbacks_done": t.callbacks,
        **{f"{k}_rate": v for k, v in t.rates.items()},
        # The counts behind each rate ([part, whole]), so a reader can check a percentage.
        "rate_counts": {name: list(pair) for name, pair in t.rate_counts.items()},
    }


def period_stats(area: Area, first: date, last: date) -> dict:
    """Figures for the local days `first`..`last` (both included). Open and overdue are as
    of the period's end, or of now for a period that has not ended: an item due at six
    tonight is not overdue at ten this morning (the dashboard's 超期 beside its 等您处理)."""
    start = local_midnight_utc(first)
    end = local_midnight_utc(last + timedelta(days=1))
    as_of = min(end, utcnow())
    rows = [i for i in reports.moved(area, start) if i.created_at < end]
    calls = words.callbacks_since(area, start)
    overall = reports.tally(rows, start, end, calls=calls)
    open_now, overdue = reports.open_and_overdue(rows, as_of)
    counted, solved = reports.totals(area, end)
    rectification_counts = [solved, counted]

    by_category = defaultdict(list)
    for i in rows:
        by_category[i.category].append(i)
    categories = [
        {"category": name, **_counts(reports.tally(items, start, end, calls=calls))}
        for name, items in sorted(by_category.items())
    ]
    categories = [c for c in categories if c["new"] or c["accepted"] or c["resolved"]]

    return {
        "counts": {**_counts(overall), "open": open_now, "overdue": overdue},
        "rectification_rate": reports.rate(solved, counted),
        "rectification_counts": rectification_counts,
        "by_category": categories,
        "by_steward": _by_steward(area, rows, start, end, as_of, calls),
        "wishes": _wishes(area, start, end),
        "hotline": hotline.figures(area, start, end, as_of),  # 上级转办件
        "outcomes": _outcomes(rows, start, end),
    }


def _outcomes(rows, start, end) -> dict[str, int]:
    """Items closed in the period by outcome (a duplicate when it was merged: it has no
    `resolved_at`); each outcome present, 0 for none."""
    counts = dict.fromkeys(outcomes.OUTCOMES, 0)
    for i in rows:
        when = i.resolved_at or (i.closed_at if i.outcome == outcomes.DUPLICATE else None)
        if i.outcome in counts and when is not None and start <= when < end:
            counts[i.outcome] += 1
    return counts


def _by_steward(area: Area, rows: list, start, end, as_of, calls) -> list[dict]:
    stewards = list(
        Steward.select(Steward.id, Steward.name)
        .join(StewardAlley)
        .where(StewardAlley.alley.in_(Area.alley_ids_under(area)) & Steward.active)
        .distinct()
        .order_by(Steward.id)
    )
    if not stewards:
        return []
    by_id = {i.id: i for i in rows}
    assigned = defaultdict(list)  # steward → the rows assigned to them (for overdue)
    ids = list(by_id)
    for chunk in range(0, len(ids), 500):
        for link in IssueAssignee.select(IssueAssignee.issue, IssueAssignee.steward).where(
            IssueAssignee.issue.in_(ids[chunk : chunk + 500])
        ):
            assigned[link.steward_id].append(by_id[link.issue_id])
    day = local_day(Patrol.created_at)
    patrol_days = {
        r["steward"]: int(r["days"])
        for r in Patrol.select(Patrol.steward, fn.COUNT(fn.DISTINCT(day)).alias("days"))
        .where((Patrol.created_at >= start) & (Patrol.created_at < end))
        .where(Patrol.steward.in_([s.id for s in stewards]))
        .group_by(Patrol.steward)
        .dicts()
    }
    # A row counts in a steward's tally only when it is theirs (`reports.owners`), they
    # accepted it or they resolved it: every other row adds nothing to their figures. Sorting
    # the rows to those stewards once keeps the table linear in rows + stewards (a street of
    # 5,000 stewards once tallied every row for every steward).
    related: dict[int, list] = defaultdict(list)
    for i in rows:
        for steward_id in reports.owners(i) | {i.accepted_by_id, i.resolved_by_id}:
            if steward_id is not None:
                related[steward_id].append(i)
    out = []
    for s in stewards:
        # credit goes to who acted; overdue counts for every assignee
        t = reports.tally(related.get(s.id, []), start, end, credited=s.id, calls=calls)
        _, late = reports.open_and_overdue(assigned.get(s.id, []), as_of)
        out.append(
            {
                "steward_id": s.id,
                "name": s.name,
                **_counts(t),
                "overdue": late,
                "patrol_days": patrol_days.get(s.id, 0),
            }
        )
    return out


def _wishes(area: Area, start, end) -> dict:
    scope = Wish.alley.in_(Area.alley_ids_under(area))

    def n(col):
        return Wish.select().where(scope & (col >= start) & (col < end)).count()

    return {
        "new": n(Wish.created_at),
        "published": n(Wish.published_at),
        "claimed": n(Wish.claimed_at),
        "fulfilled": n(Wish.fulfilled_at),
    }


def daily_trend(area: Area, last: date, days: int = 30) -> list[dict]:
    """Issues reported and resolved on each local day of the `days` days ending on `last`."""
    first = last - timedelta(days=days - 1)
    start = local_midnight_utc(first)
    end = local_midnight_utc(last + timedelta(days=1))
    new = defaultdict(int)
    resolved = defaultdict(int)
    for i in reports.moved(area, start):
        if start <= i.created_at < end:
            new[to_local(i.created_at).date()] += 1
        if i.resolved_at is not None and start <= i.resolved_at < end:
            resolved[to_local(i.resolved_at).date()] += 1
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        out.append({"day": day, "new": new[day], "resolved": resolved[day]})
    return out
