"""A morning's daily reports in one pass: `build_all(areas, day)` gives, for every area, the
same `Report` as `core.figures.reports.build(area, day)`, from a fixed handful of queries for
the whole district instead of a handful per group.

At 500 groups the per-group queries were most of a morning's database time, and each read its
community's slice of the same index ranges again. Here each kind of row is read once — the
issues that moved this month or are open, the cumulative totals per community, the stewards,
yesterday's patrols, the overdue items with their assignees, the wishes of the day — and
handed out in Python to the areas that cover it (a row belongs to its community's area, to its
alley's area, and to any larger area whose path its alley's path starts with).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from core.figures import reports, steward_day, words
from core.figures.reports import MOVED_COLUMNS, OPEN, Report, StewardLine
from core.items import privacy
from infra.db import count_if
from infra.timeutil import local_midnight_utc
from models import Area, Callback, Issue, IssueAssignee, Patrol, Steward, StewardAlley, Wish


class _Scopes:
    """Which of the report areas a row of a given alley (and community) counts for.

    The rules are those of `reports._scope_param`: a community's area takes the rows whose
    `community` is it, an alley's area the rows of that alley, any other area the rows of the
    alleys under its path."""

    def __init__(self, areas: Sequence[Area]):
        self.areas = {a.id: a for a in areas}
        self.by_community: dict[int, list[int]] = defaultdict(list)
        self.by_alley: dict[int, list[int]] = defaultdict(list)  # alley and larger areas
        self.alleys_under: dict[int, set[int]] = {a: set() for a in self.areas}
        for a in self.areas.values():
            if a.kind == "community":
                self.by_community[a.id].append(a.id)
        for alley_id, path in Area.select(Area.id, Area.path).where(Area.kind == "alley").tuples():
            ancestors = {int(part) for part in path.strip("/").split("/")}
            for area_id in ancestors & self.areas.keys():
                self.alleys_under[area_id].add(alley_id)
                if self.areas[area_id].kind != "community":
                    self.by_alley[alley_id].append(area_id)

    def of(self, alley_id: int, community_id: int | None) -> list[int]:
        """The report areas a row of this alley and community counts for."""
        return self.by_community.get(community_id, []) + self.by_alley.get(alley_id, [])


def build_all(areas: Sequence[Area], day: date) -> list[Report]:
    """`reports.build(area, day)` for every area in `areas`, in order, in about nine queries."""
    if not areas:
        return []
    start = local_midnight_utc(day)
    end = local_midnight_utc(day + timedelta(days=1))
    month_start = local_midnight_utc(day.replace(day=1))
    scopes = _Scopes(areas)
    ids = list(scopes.areas)

    rows: dict[int, list] = {a: [] for a in ids}
    for row in _moved(month_start):
        if row.created_at < end:
            for area_id in scopes.of(row.alley_id, row.community_id):
                rows[area_id].append(row)
    late = {a: reports.overdue_rows(rows[a], end) for a in ids}
    late_ids = {i.id for items in late.values() for i in items}
    links, details = _overdue(end, late_ids)
    totals = _totals(scopes, end)
    stewards = _stewards(scopes)
    patrols = _patrols(start, end)
    days = steward_day.counts(
        {sid for people in stewards.values() for sid, *_ in people}, start, end
    )
    wishes = _wishes(scopes, start, end)
    calls = _calls(month_start)

    built: dict[int, Report] = {}
    for area_id, area in scopes.areas.items():
        mine = rows[area_id]
        built[area_id] = reports.assemble(
            area,
            day,
            mine,
            month_start,
            totals=totals[area_id],
            stewards=_lines(
                stewards[area_id], mine, patrols, scopes.alleys_under[area_id], start, end, days
            ),
            assignees=links,
            details=details,
            wishes=wishes[area_id],
            calls=calls,
        )
    return [built[a.id] for a in areas]


def _moved(since) -> list:
    """Every issue reported, acted on or closed since `since`, or open (as `reports.moved`,
    for the whole district): one UNION of index range scans."""
    columns = (*MOVED_COLUMNS, Issue.alley.alias("alley_id"), Issue.community.alias("community_id"))
    query = None
    for cond in (
        Issue.created_at >= since,
        Issue.resolved_at >= since,
        Issue.closed_at >= since,
        Issue.status.in_(OPEN),
        words.called_back_since(since),
    ):
        part = Issue.select(*columns).where(cond)
        query = part if query is None else (query | part)
    return list(query.namedtuples())


def _calls(since) -> words.Calls:
    """Every callback recorded since `since`, by issue (`words.callbacks_since`)."""
    query = Callback.select(
        Callback.issue, Callback.created_at, Callback.result, Callback.settles
    ).where(Callback.created_at >= since)
    return words.calls_from(query.tuples())


def _late_at(end):
    """The ids of every item open at `end` and past its deadline by then, across the
    district: those open now, and those resolved or closed since (each branch an index range
    scan, as `reports.overdue_rows` decides which of them belong to the day)."""
    branches = (
        Issue.status.in_(OPEN),
        Issue.resolved_at >= end,
        Issue.closed_at >= end,
    )
    query = None
    for cond in branches:
        part = Issue.select(Issue.id).where(cond & (Issue.deadline < end))
        query = part if query is None else (query | part)
    return query


def _overdue(end, late_ids: set[int]) -> tuple[dict[int, list], dict[int, tuple]]:
    """The assignees (steward id, name, phone, in assignment order) and the listed details
    (number, alley name, category, content) of the items overdue at `end`."""
    late = _late_at(end)
    links: dict[int, list] = defaultdict(list)
    query = (
        IssueAssignee.select(IssueAssignee.issue, Steward.id, Steward.name, Steward.phone)
        .join(Steward)
        .where(IssueAssignee.issue.in_(late))
        .order_by(IssueAssignee.id)
        .tuples()
    )
    for issue_id, steward_id, name, phone in query:
        if issue_id in late_ids:
            links[issue_id].append((steward_id, name, phone))
    details = {}
    query = (
        Issue.select(
            Issue.id, Issue.number, Area.name, Issue.category, Issue.content, Issue.visibility
        )
        .join(Area, on=(Issue.alley == Area.id))
        .where(Issue.id.in_(late))
        .tuples()
    )
    for issue_id, number, alley, category, content, visibility in query:
        if issue_id in late_ids:
            # the report goes to the group: only words a group may read (core.items.privacy)
            details[issue_id] = (
                number,
                alley,
                category,
                privacy.words(content, visibility, category, 16),
            )
    return dict(links), details


def _totals(scopes: _Scopes, end) -> dict[int, tuple[int, int]]:
    """Since the start, per area: issues (cancelled and duplicates left out) and those
    solved. The communities' from one pass over the covering index (community, status,
    outcome, created_at, resolved_at); any other area's as `reports.totals` counts it."""
    totals = {a: (0, 0) for a in scopes.areas}
    communities = list(scopes.by_community)
    if communities:
        query = (
            Issue.select(
                Issue.community,
                count_if(Issue.created_at < end).alias("counted"),
                count_if(
                    (Issue.created_at < end)
                    & (Issue.resolved_at < end)
                    & (Issue.outcome == reports.SOLVED)
                ).alias("solved"),
            )
            .where(Issue.community.in_(communities) & (Issue.status != "cancelled"))
            # a NULL outcome (open) compares as unknown: kept by the IS NULL
            .where(Issue.outcome.is_null() | (Issue.outcome != reports.DUPLICATE))
            .group_by(Issue.community)
            .tuples()
        )
        for community_id, counted, solved in query:
            totals[community_id] = (int(counted), int(solved))
    for area_id, area in scopes.areas.items():
        if area.kind != "community":
            totals[area_id] = reports.totals(area, end)
    return totals


def _stewards(scopes: _Scopes) -> dict[int, list[tuple[int, str, str]]]:
    """Each area's active stewards (id, name, phone), by id: those with an alley under it."""
    query = (
        Steward.select(Steward.id, Steward.name, Steward.phone, StewardAlley.alley)
        .join(StewardAlley)
        .where(Steward.active)
        .order_by(Steward.id)
        .tuples()
    )
    area_of_alley: dict[int, list[int]] = defaultdict(list)
    for area_id, alleys in scopes.alleys_under.items():
        for alley_id in alleys:
            area_of_alley[alley_id].append(area_id)
    found: dict[int, dict[int, tuple]] = {a: {} for a in scopes.areas}
    for steward_id, name, phone, alley_id in query:
        for area_id in area_of_alley.get(alley_id, ()):
            found[area_id].setdefault(steward_id, (steward_id, name, phone))
    return {a: list(people.values()) for a, people in found.items()}


def _patrols(start, end) -> set[tuple[int, int]]:
    """(steward, alley) of the day's patrols."""
    query = (
        Patrol.select(Patrol.steward, Patrol.alley)
        .where((Patrol.created_at >= start) & (Patrol.created_at < end))
        .distinct()
        .tuples()
    )
    return set(query)


def _lines(people, rows, patrols, alleys, start, end, days) -> list[StewardLine]:
    """The stewards' table of one area with their work and patrols, as
    `reports._steward_lines` reads it (`reports.assemble` counts the overdue items in)."""
    lines = {sid: StewardLine(sid, name, phone) for sid, name, phone in people}
    if not lines:
        return []
    reports.credit_work(lines, rows, start, end)
    for steward_id, alley_id in patrols:
        if steward_id in lines and alley_id in alleys:
            lines[steward_id].patrolled = True
    steward_day.fill(lines.values(), days)
    return list(lines.values())


def _wishes(scopes: _Scopes, start, end) -> dict[int, dict[str, int]]:
    """Per area, the wishes posted, claimed and fulfilled within the day."""
    counts = {a: {"new": 0, "claimed": 0, "fulfilled": 0} for a in scopes.areas}

    def within(col):
        return (col >= start) & (col < end)

    query = Wish.select(
        Wish.alley, Wish.community, Wish.created_at, Wish.claimed_at, Wish.fulfilled_at
    ).where(within(Wish.created_at) | within(Wish.claimed_at) | within(Wish.fulfilled_at))
    for alley_id, community_id, created, claimed, fulfilled in query.tuples():
        for area_id in scopes.of(alley_id, community_id):
            c = counts[area_id]
            c["new"] += created is not None and start <= created < end
            c["claimed"] += claimed is not None and start <= claimed < end
            c["fulfilled"] += fulfilled is not None and start <= fulfilled < end
    return counts
