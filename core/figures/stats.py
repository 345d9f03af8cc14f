"""Statistics of an area over any period (`GET /api/v1/stats`): counts, the 三率 and the
rectification rate, by category and by steward. Same definitions as the daily 通报
(`core/figures/reports.py`), whose counting it reuses: 办结率 from the handler's closures,
解决率 and 满意率 from the resident's word (ratings and 回访, `reports.resident_word`). By steward, acceptances, resolutions
and ratings are credited to the steward who did them (`core.items.credit`); an item nobody
has acted on yet counts for none of its assignees, except as overdue."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import fields
from datetime import date, timedelta

from flask import current_app
from peewee import fn

from core.figures import hotline, kept, period_sql, reports
from core.figures.assessment import local_day
from infra.timeutil import local_midnight_utc, to_local, utcnow
from models import Area, Patrol, Steward, StewardAlley, Wish

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
    tonight is not overdue at ten this morning (the dashboard's 超期 beside its 等您处理).

    Every figure is a SQL aggregate (`core.figures.period_sql`): a fixed number of queries
    whatever the number of items or stewards; of the period's items only those called back in
    it are read as rows (their last word is weighed in Python)."""
    start = local_midnight_utc(first)
    end = local_midnight_utc(last + timedelta(days=1))
    now = utcnow()
    as_of = min(end, now)
    current = as_of == now  # the period has not ended: open and overdue as of now
    response = int(current_app.config["RESPONSE_HOURS"])
    by_category = period_sql.tallies(area, start, end, period_sql.CATEGORY, response)
    overall = reports.Tally()
    for t in by_category.values():
        for name in TALLY_FIELDS:
            setattr(overall, name, getattr(overall, name) + getattr(t, name))
    open_now, overdue = period_sql.open_and_overdue(area, as_of, current)
    counted, solved = period_sql.totals(area, end)
    categories = [
        {"category": name, **_counts(t)}
        for name, t in sorted(by_category.items())
        if t.new or t.accepted or t.resolved
    ]
    return {
        "counts": {**_counts(overall), "open": open_now, "overdue": overdue},
        "rectification_rate": reports.rate(solved, counted),
        "rectification_counts": [solved, counted],
        "by_category": categories,
        "by_steward": _by_steward(area, start, end, as_of, current, response),
        "wishes": _wishes(area, start, end),
        "hotline": hotline.figures(area, start, end, as_of),  # 上级转办件
        "outcomes": period_sql.outcomes(area, start, end),
    }


def kept_period_stats(area: Area, first: date, last: date) -> kept.Kept:
    """`period_stats`, kept per process between changes (`core.figures.kept`: counted again
    after any event, at the latest after a minute) — the 首页's figures, which every staff
    member's every visit asks for. The value is shared: read it, never change it."""
    key = (area.id, area.path, first, last)
    return kept.kept("period_stats", key, lambda: period_stats(area, first, last))


TALLY_FIELDS = [f.name for f in fields(reports.Tally)]


def _by_steward(area: Area, start, end, as_of, current: bool, response: int) -> list[dict]:
    # (id, name) tuples, not model objects: a street has 5,000 stewards.
    stewards = list(
        Steward.select(Steward.id, Steward.name)
        .join(StewardAlley)
        .where(StewardAlley.alley.in_(Area.alley_ids_under(area)) & Steward.active)
        .distinct()
        .order_by(Steward.id)
        .tuples()
    )
    if not stewards:
        return []
    # Credit goes to who acted (`reports.Tally.add` with `credited`); overdue counts for every
    # assignee. Each figure is grouped by the steward it is credited to, in SQL.
    tallies = period_sql.tallies(area, start, end, period_sql.STEWARD, response)
    late = period_sql.overdue_by_assignee(area, as_of, current)
    day = local_day(Patrol.created_at)
    patrol_days = {
        r["steward"]: int(r["days"])
        for r in Patrol.select(Patrol.steward, fn.COUNT(fn.DISTINCT(day)).alias("days"))
        .where((Patrol.created_at >= start) & (Patrol.created_at < end))
        # the area's stewards as a subquery, not their 5,000 ids as parameters
        .where(
            Patrol.steward.in_(
                StewardAlley.select(StewardAlley.steward).where(
                    StewardAlley.alley.in_(Area.alley_ids_under(area))
                )
            )
        )
        .group_by(Patrol.steward)
        .dicts()
    }
    return [
        {
            "steward_id": steward_id,
            "name": name,
            **_counts(tallies.get(steward_id) or reports.Tally()),
            "overdue": late.get(steward_id, 0),
            "patrol_days": patrol_days.get(steward_id, 0),
        }
        for steward_id, name in stewards
    ]


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
    counted = period_sql.per_day(area, start, end)
    if counted is not None:
        new, resolved = defaultdict(int, counted[0]), defaultdict(int, counted[1])
    else:  # a zone whose offset changes within the period: by the rows
        new, resolved = per_day_by_rows(area, start, end)
    out = []
    for n in range(days):
        day = first + timedelta(days=n)
        out.append({"day": day, "new": new[day], "resolved": resolved[day]})
    return out


def kept_daily_trend(area: Area, last: date, days: int = 30) -> kept.Kept:
    """`daily_trend`, kept as `kept_period_stats` is (the 首页's chart)."""
    key = (area.id, area.path, last, days)
    return kept.kept("daily_trend", key, lambda: daily_trend(area, last, days))


def per_day_by_rows(area: Area, start, end) -> tuple[defaultdict, defaultdict]:
    """(reported, resolved) per local day in [start, end), tallied row by row: the trend where
    the database cannot group by local day (and the tests' reference for the SQL that does)."""
    new, resolved = defaultdict(int), defaultdict(int)
    for i in reports.moved(area, start):
        if start <= i.created_at < end:
            new[to_local(i.created_at).date()] += 1
        if i.resolved_at is not None and start <= i.resolved_at < end:
            resolved[to_local(i.resolved_at).date()] += 1
    return new, resolved
