"""上级转办件: 12345 hotline tickets handed down to the community, counted on their own.

The hotline judges a community by 按时办结率: of the tickets closed (办结), those closed on or
before the hotline's deadline (`IssueIntake.ticket_deadline`, fixed at registration — a later
tier change does not move it). The figures here are for tickets registered in a period, as the
other rates count the items reported in it; a ticket counts as closed once it was resolved
before the period's end (a reopened one only when resolved again), a cancelled one not at all.
`GET /stats` and the ledger's 汇总 both show them, with the counts behind the rate.
"""

from __future__ import annotations

from datetime import datetime

from peewee import Case, fn

from core.figures.reports import rate
from core.items.on_behalf import HOTLINE
from models import Area, Issue, IssueIntake
from models.street import issues_in


def _tickets(scope, start: datetime, end: datetime, *columns) -> list[tuple[Issue, IssueIntake]]:
    """The hotline tickets of the issues in `scope` registered in [start, end), not cancelled."""
    rows = (
        Issue.select(
            Issue.id, Issue.status, Issue.resolved_at, IssueIntake.ticket_deadline, *columns
        )
        .join(IssueIntake, on=(IssueIntake.issue == Issue.id))
        .where(scope & (Issue.source == HOTLINE))
        .where((Issue.created_at >= start) & (Issue.created_at < end))
        .where(Issue.status != "cancelled")
    )
    return [(i, i.issueintake) for i in rows]


def tickets(area: Area, start: datetime, end: datetime) -> list[tuple[Issue, IssueIntake]]:
    """The hotline tickets of `area` registered in [start, end), not cancelled."""
    return _tickets(issues_in(area), start, end)


def by_community_and_unit(
    community_ids: list[int], start: datetime, end: datetime, as_of: datetime
) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The street's league (`core.figures.league`): per community and per unit (the
    department an item is with), [tickets, closed on time, closed, overdue] of the tickets
    registered in [start, end) in those communities, overdue as `figures` counts it (not
    closed, the hotline's deadline before `as_of`) — one query, whatever their number."""
    communities: dict[int, list[int]] = {}
    units: dict[int, list[int]] = {}
    scope = Issue.community.in_(community_ids)
    for issue, intake in _tickets(scope, start, end, Issue.community, Issue.department):
        done = closed_on_time(issue, intake, end)
        for totals, key in ((communities, issue.community_id), (units, issue.department_id)):
            if key is not None:
                found = totals.setdefault(key, [0, 0, 0, 0])
                found[0] += 1
                found[1] += bool(done)
                found[2] += done is not None
                found[3] += done is None and intake.ticket_deadline < as_of
    return communities, units


def closed_on_time(issue: Issue, intake: IssueIntake, end: datetime) -> bool | None:
    """None while not closed (as of `end`); else whether it was closed by the deadline."""
    if issue.resolved_at is None or issue.resolved_at >= end:
        return None
    return issue.resolved_at <= intake.ticket_deadline


def figures(area: Area, start: datetime, end: datetime, as_of: datetime) -> dict:
    """Counts and 按时办结率 of the period's hotline tickets; open and overdue as of `as_of`.
    One aggregate (the 首页 reads it on every request), `closed_on_time` in SQL: a community's
    range of `issue_league_reported` (community, created_at, status, source, resolved_at), each
    ticket's deadline by its intake's unique issue index."""
    done = Issue.resolved_at.is_null(False) & (Issue.resolved_at < end)

    def count(condition):
        return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)

    deadline = IssueIntake.ticket_deadline
    row = (
        Issue.select(
            fn.COUNT(Issue.id),
            count(done),
            count(done & (Issue.resolved_at <= deadline)),
            count(~done & (deadline < as_of)),
        )
        .join(IssueIntake, on=(IssueIntake.issue == Issue.id))
        .where(issues_in(area) & (Issue.source == HOTLINE))
        .where((Issue.created_at >= start) & (Issue.created_at < end))
        .where(Issue.status != "cancelled")
        .tuples()
        .get()
    )
    total, closed, on_time, overdue = (int(n) for n in row)
    return {
        "tickets": total,
        "closed": closed,
        "on_time": on_time,
        "late": closed - on_time,
        "open": total - closed,
        "overdue": overdue,
        "on_time_rate": rate(on_time, closed),
        # [part, whole] behind the rate, as the other rates' rate_counts
        "on_time_counts": [on_time, closed],
    }
