"""Each steward's day for the morning's 通报 (issue 32): how many 随手做, patrols and visits
they recorded — from the group (`core.items.proposals`) or the mini program alike.

One query for any number of stewards (a UNION ALL of three grouped counts), so the report
and the morning's batch (`core.figures.report_batch`) read it once per day:

* 随手做 — issues closed on the spot (`close_reason` on_the_spot) the steward resolved that day;
* 巡查 — patrol check-ins that day, not counting the log row each 随手做 also writes;
* 走访 — visits the steward made that day (named on a patrol or on their own).
"""

from __future__ import annotations

from datetime import datetime

from peewee import SQL, fn

from models import Issue, Patrol, Visit

KINDS = ("fixes", "patrols", "visits")
WORDS = {"fixes": "随手做", "patrols": "巡查", "visits": "走访"}


def counts(steward_ids, start: datetime, end: datetime) -> dict[int, dict[str, int]]:
    """{steward id: {"fixes", "patrols", "visits"}} within [start, end), for those with any."""
    ids = sorted(set(steward_ids))
    if not ids:
        return {}
    fixes = (
        Issue.select(SQL("'fixes'").alias("kind"), Issue.resolved_by.alias("sid"), fn.COUNT(1))
        .where(
            (Issue.close_reason == "on_the_spot")
            & Issue.resolved_by.in_(ids)
            & (Issue.resolved_at >= start)
            & (Issue.resolved_at < end)
        )
        .group_by(Issue.resolved_by)
    )
    patrols = (
        Patrol.select(SQL("'patrols'"), Patrol.steward, fn.COUNT(1))
        .where(
            Patrol.issue.is_null()
            & Patrol.steward.in_(ids)
            & (Patrol.created_at >= start)
            & (Patrol.created_at < end)
        )
        .group_by(Patrol.steward)
    )
    visits = (
        Visit.select(SQL("'visits'"), Visit.steward, fn.COUNT(1))
        .where(Visit.steward.in_(ids) & (Visit.visited_at >= start) & (Visit.visited_at < end))
        .group_by(Visit.steward)
    )
    found: dict[int, dict[str, int]] = {}
    for kind, steward_id, n in (fixes + patrols + visits).tuples():
        found.setdefault(steward_id, dict.fromkeys(KINDS, 0))[kind] = int(n)
    return found


def fill(lines, found: dict[int, dict[str, int]]) -> None:
    """Copy the counts onto the report's steward lines (`reports.StewardLine`)."""
    for line in lines:
        day = found.get(line.id)
        if day is not None and line.is_steward:
            line.fixes, line.patrols, line.visits = (day[k] for k in KINDS)


def line_text(line) -> str | None:
    """`王秀英：随手做 2，巡查 1，走访 1`; None for a steward who recorded nothing."""
    numbers = (line.fixes, line.patrols, line.visits)
    if not any(numbers):
        return None
    return f"{line.name}：" + "，".join(
        f"{WORDS[k]} {n}" for k, n in zip(KINDS, numbers, strict=True)
    )
