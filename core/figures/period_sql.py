"""An area's figures over a period as SQL aggregates: what `core.figures.stats.period_stats`
(the console's 首页, `GET /api/v1/stats`, the ledger's 汇总) shows, counted by the database.

The definitions are the daily 通报's (`core.figures.reports.Tally`, `core.figures.words`),
restated as conditions on `Issue`: each figure is a `COUNT` or `SUM(CASE …)` over the items
whose event (reported, accepted, resolved, rated) falls in the period, grouped by the key the
figure is shown by — the category, or the steward it is credited to (`reports.owners`: who
resolved it, before that who accepted it; an acceptance to who accepted; a resolution, a
rating, a resident's word and a callback to who resolved it). Only the items called back in
the period are read as rows: their resident's last word (`words.resident_word`) is weighed in
Python, as everywhere else.

Before, the period's items were read as rows (a street's month: some forty thousand at the
benchmark's scale, then their assignees by an `IN` list of all of them) and counted in Python
on every request of the 首页.

Scope (`_scope`): a community's items by `Issue.community`, an alley's by `Issue.alley` (the
leading column of the covering indexes of `models.street` and `models.Issue`); a grid's by its
alleys; a street's by its communities (through its alleys' list SQLite walked the whole
district once per figure). Each query is compiled once (`infra.db.Prepared`).
"""

from __future__ import annotations

from datetime import date, datetime

from peewee import SQL, Case, fn

from core.figures import kept, league, reports, street_totals, words
from core.items import outcomes as item_outcomes
from infra.db import Param, Prepared, count_if, is_sqlite, unindexed
from infra.timeutil import to_local
from models import ISSUE_OPEN, Area, Callback, Issue, IssueAssignee

CATEGORY, STEWARD = "category", "steward"  # what `tallies` groups by
SCOPES = ("community", "alley", "alleys", "communities")


def _scope_kind(area: Area) -> str:
    if area.kind in ("community", "alley"):
        return area.kind
    return "alleys" if area.kind == "grid" else "communities"


def _scope(kind: str):
    """The area's items as a condition with parameters `area` (its id) and `path_like`."""
    if kind == "community":
        return Issue.community == Param("area")
    if kind == "alley":
        return Issue.alley == Param("area")
    below = Area.path ** Param("path_like")
    if kind == "alleys":
        return Issue.alley.in_(Area.select(Area.id).where(below & (Area.kind == "alley")))
    return Issue.community.in_(Area.select(Area.id).where(below & (Area.kind == "community")))


def _values(area: Area, **more) -> dict:
    return {"area": area.id, "path_like": f"{area.path}%", **more}


def _within(column):
    return (column >= Param("start")) & (column < Param("end"))


# The steward an item counts for in a steward's figures (`reports.owners`): who resolved it
# once it is resolved, before that who accepted it (NULL: nobody, counted for none).
_OWNER = Case(None, [(Issue.resolved_at.is_null(False), Issue.resolved_by)], Issue.accepted_by)

# Per grouping: the key of (reported, accepted, resolved and what follows a resolution).
_KEYS = {
    CATEGORY: (Issue.category, Issue.category, Issue.category),
    STEWARD: (_OWNER, Issue.accepted_by, Issue.resolved_by),
}


class _Cache(dict):
    """Prepared queries built on first use, per (scope kind, grouping, …) key."""

    def __init__(self, build):
        super().__init__()
        self._build = build

    def __missing__(self, key):
        query = self[key] = Prepared(lambda: self._build(*key))
        return query


def _reported(scope_kind: str, group: str, hours: int):
    """Reported in the period: new, counted, answerable, responded, solved (办结)."""
    key = _KEYS[group][0]
    counted = words.counted_sql()
    answerable = counted & (Issue.source != "steward")
    responded = (
        answerable
        & Issue.accepted_at.is_null(False)
        & league.at_most_hours_after(Issue.accepted_at, Issue.created_at, hours)
    )
    if group == STEWARD:  # responded only when the one it counts for accepted it
        responded &= Issue.resolved_at.is_null() | (Issue.accepted_by == Issue.resolved_by)
    return (
        Issue.select(
            key.alias("key"),
            fn.COUNT(Issue.id).alias("new"),
            count_if(counted).alias("counted"),
            count_if(answerable).alias("answerable"),
            count_if(responded).alias("responded"),
            count_if(counted & Issue.resolved_at.is_null(False)).alias("solved"),
        )
        .where(_scope(scope_kind) & _within(Issue.created_at))
        .group_by(key)
        .tuples()
    )


def _counted_by(column_index: int, column_name: str):
    def build(scope_kind: str, group: str):
        key = _KEYS[group][column_index]
        column = getattr(Issue, column_name)
        return (
            Issue.select(key.alias("key"), fn.COUNT(Issue.id))
            .where(_scope(scope_kind) & _within(column))
            .group_by(key)
            .tuples()
        )

    return build


def _heard():
    """The items with a callback recorded in the period: their word is weighed in Python."""
    return Callback.select(Callback.issue).where(_within(Callback.created_at))


def _rated(scope_kind: str, group: str):
    """Rated in the period: the ratings, and the words of the items not called back in it
    (their word is their rating, `words.resident_word`: solved at 3 stars or more on an item
    that may be solved, satisfied at 4). A rating closes the item, so `closed_at` is at or
    after it unless the item was reopened since (then it is NULL): the range on it lets the
    covering index `issue_league_rated` find them."""
    key = _KEYS[group][2]
    if group == STEWARD:
        # An expression, not the column: with the column SQLite walked the whole table in the
        # order of `resolved_by`'s index (to save sorting the groups) instead of the range.
        key = Issue.resolved_by + 0
    unheard = Issue.id.not_in(_heard())
    return (
        Issue.select(
            key.alias("key"),
            fn.COUNT(Issue.id),
            count_if(unheard & (Issue.rating >= 3) & words.may_be_solved_sql()),
            count_if(unheard & (Issue.rating >= 4)),
            count_if(unheard),
        )
        .where(
            _scope(scope_kind)
            & ((Issue.closed_at >= Param("start")) | Issue.closed_at.is_null())
            & _within(Issue.rated_at)
        )
        .group_by(key)
        .tuples()
    )


def _called(scope_kind: str):
    """The period's callbacks on the area's items, with what weighing their words needs."""
    return (
        Callback.select(
            Callback.issue,
            Callback.created_at,
            Callback.result,
            Callback.settles,
            Issue.category,
            Issue.resolved_by,
            Issue.rating,
            Issue.rated_at,
            Issue.outcome,
        )
        .join(Issue, on=(Callback.issue == Issue.id))
        .where(_within(Callback.created_at) & _scope(scope_kind))
        .tuples()
    )


_REPORTED = _Cache(_reported)
_ACCEPTED = _Cache(_counted_by(1, "accepted_at"))
_RESOLVED = _Cache(_counted_by(2, "resolved_at"))
_RATED = _Cache(_rated)
_CALLED = _Cache(_called)


def tallies(
    area: Area, start: datetime, end: datetime, group: str, response_hours: int
) -> dict[object, reports.Tally]:
    """Per category (`CATEGORY`) or per steward credited (`STEWARD`): the `reports.Tally` of
    the area's items over [start, end) — the same figures `reports.tally` counts from rows
    (with `credited` for a steward). Five queries."""
    kind = _scope_kind(area)
    values = _values(area, start=start, end=end)
    out: dict[object, reports.Tally] = {}

    def tally(key) -> reports.Tally:
        t = out.get(key)
        if t is None:
            t = out[key] = reports.Tally()
        return t

    for key, new, counted, answerable, responded, solved in _REPORTED[
        kind, group, response_hours
    ].rows(**values):
        if key is not None:
            t = tally(key)
            t.new, t.counted, t.answerable = int(new), int(counted), int(answerable)
            t.responded, t.solved = int(responded), int(solved)
    for key, n in _ACCEPTED[kind, group].rows(**values):
        if key is not None:
            tally(key).accepted = int(n)
    for key, n in _RESOLVED[kind, group].rows(**values):
        if key is not None:
            tally(key).resolved = int(n)
    for key, rated, confirmed, satisfied, answered in _RATED[kind, group].rows(**values):
        if key is not None:
            t = tally(key)
            t.rated, t.confirmed, t.satisfied = int(rated), int(confirmed), int(satisfied)
            t.answered = int(answered)
    # The items called back in the period: each by its last word (a rating or a verdict).
    called, items = [], {}
    for issue_id, at, result, settles, category, resolved_by, rating, rated_at, outcome in _CALLED[
        (kind,)
    ].rows(**values):
        called.append((issue_id, at, result, settles))
        key = category if group == CATEGORY else resolved_by
        items[issue_id] = (key, _Rated(rating, rated_at, outcome))
    calls = words.calls_from(called)
    for issue_id, (key, item) in items.items():
        if key is None:
            continue
        t = tally(key)
        mine = calls[issue_id]
        t.callbacks += sum(1 for _, _, settled in mine if settled)
        word = words.resident_word(item, mine, start, end)
        if word is not None:
            t.answered += 1
            t.confirmed += word[0]
            t.satisfied += word[1]
    return out


class _Rated:
    """What `words.resident_word` reads of an item besides its callbacks."""

    __slots__ = ("rating", "rated_at", "outcome")

    def __init__(self, rating, rated_at, outcome):
        self.rating, self.rated_at, self.outcome = rating, rated_at, outcome


# `created_at < now` holds for every item, yet SQLite's planner took it for a narrow range of
# `issue_league_reported` and walked the whole district through it instead of the open items'
# range by status: kept off the index (`unindexed`).


def _open_at(current: bool):
    """Open at `as_of` (`reports._is_open_at`), among the items that are open now or were
    resolved or closed at or after `as_of` (no other item can be). With `current` (`as_of` is
    now: the period has not ended) only the items open now can be: one range of an index led
    by the status, not three."""
    as_of = Param("as_of")
    candidates = Issue.status.in_(ISSUE_OPEN)
    if not current:
        candidates |= (Issue.resolved_at >= as_of) | (Issue.closed_at >= as_of)
    return (
        candidates
        & (unindexed(Issue.created_at) < as_of)
        & (Issue.resolved_at.is_null() | (Issue.resolved_at >= as_of))
        & ~(
            Issue.status.in_(("cancelled", "closed"))
            & Issue.closed_at.is_null(False)
            & (Issue.closed_at < as_of)
        )
    )


_OPEN = _Cache(
    lambda kind, current: (
        Issue.select(fn.COUNT(Issue.id), count_if(Issue.deadline < Param("as_of")))
        .where(_scope(kind) & _open_at(current))
        .tuples()
    )
)
_LATE_BY_ASSIGNEE = _Cache(
    lambda kind, current: (
        IssueAssignee.select(IssueAssignee.steward, fn.COUNT(Issue.id))
        .join(Issue, on=(IssueAssignee.issue == Issue.id))
        .where(_scope(kind) & _open_at(current) & (Issue.deadline < Param("as_of")))
        .group_by(IssueAssignee.steward)
        .tuples()
    )
)


def open_and_overdue(area: Area, as_of: datetime, current: bool) -> tuple[int, int]:
    """The area's items open at `as_of`, and of those the ones past their deadline then;
    `current`: `as_of` is now (`_open_at`)."""
    row = _OPEN[_scope_kind(area), current].rows(**_values(area, as_of=as_of))
    for total, late in row:
        return int(total or 0), int(late or 0)
    return 0, 0


def overdue_by_assignee(area: Area, as_of: datetime, current: bool) -> dict[int, int]:
    """Per steward: the area's items assigned to them open and overdue at `as_of` (an item
    assigned to two stewards counts for both); `current` as for `open_and_overdue`."""
    rows = _LATE_BY_ASSIGNEE[_scope_kind(area), current].rows(**_values(area, as_of=as_of))
    return {steward: int(n) for steward, n in rows}


_OUTCOMES = _Cache(
    lambda kind: (
        Issue.select(Issue.outcome, fn.COUNT(Issue.id))
        .where(_scope(kind) & _within(Issue.resolved_at))
        .group_by(Issue.outcome)
        .tuples()
    )
)
_MERGED = _Cache(
    lambda kind: (
        Issue.select(fn.COUNT(Issue.id))
        .where(
            _scope(kind)
            & _within(Issue.closed_at)
            & Issue.resolved_at.is_null()
            & (Issue.outcome == item_outcomes.DUPLICATE)
        )
        .tuples()
    )
)


def outcomes(area: Area, start: datetime, end: datetime) -> dict[str, int]:
    """Items closed in [start, end) by outcome: resolved in it, or (a duplicate merged into
    another, which has no `resolved_at`) closed in it; each outcome present, 0 for none."""
    kind, values = _scope_kind(area), _values(area, start=start, end=end)
    counts = dict.fromkeys(item_outcomes.OUTCOMES, 0)
    for outcome, n in _OUTCOMES[(kind,)].rows(**values):
        if outcome in counts:
            counts[outcome] += int(n)
    for (n,) in _MERGED[(kind,)].rows(**values):
        if item_outcomes.DUPLICATE in counts:
            counts[item_outcomes.DUPLICATE] += int(n or 0)
    return counts


def _totals(kind: str):
    # Grouped by the community first for a street: in the covering index's order, which the
    # planner then takes (grouped by status alone it walked the table by `issue_status_deadline`).
    groups = (Issue.status, Issue.outcome)
    if kind == "communities":
        groups = (Issue.community, *groups)
    return (
        Issue.select(
            *groups,  # a street's rows lead with the community (`totals` keeps them apart)
            count_if(Issue.created_at < Param("end")),
            count_if((Issue.created_at < Param("end")) & (Issue.resolved_at < Param("end"))),
        )
        .where(_scope(kind))
        .group_by(*groups)
        .tuples()
    )


_TOTALS = _Cache(_totals)


def totals(area: Area, end: datetime) -> tuple[int, int]:
    """Since the start: issues (cancelled and duplicates left out) and those solved — as
    `reports.totals`, grouped by status and outcome so that a covering index answers it.

    Kept per process between changes (`core.figures.kept`): the 整改率 counts every item since
    the start (a street's million: a second on SQLite), read again only after a change or
    at the latest after a minute. A street's is kept per community and recounted where items
    changed (`core.figures.street_totals`)."""
    kind = _scope_kind(area)
    if area.kind == "street":

        def whole() -> dict[int, tuple[int, int]]:
            by_community: dict[int, list[tuple]] = {}
            for community_id, *row in _TOTALS[(kind,)].rows(**_values(area, end=end)):
                by_community.setdefault(community_id, []).append(row)
            return {c: _counted_and_solved(rows) for c, rows in by_community.items()}

        def one(community_id: int) -> tuple[int, int]:
            values = {"area": community_id, "path_like": "", "end": end}
            return _counted_and_solved(_TOTALS[("community",)].rows(**values))

        return street_totals.totals(area, end, whole, one)

    def count() -> tuple[int, int]:
        rows = _TOTALS[(kind,)].rows(**_values(area, end=end))
        return _counted_and_solved(row[-4:] for row in rows)

    return kept.kept("totals", (area.id, area.path, end), count).value


def _counted_and_solved(rows) -> tuple[int, int]:
    """(status, outcome, items, resolved before the end) rows → (counted, solved)."""
    counted = solved = 0
    for status, outcome, n, done in rows:
        if status != "cancelled" and outcome != item_outcomes.DUPLICATE:
            counted += int(n or 0)
            solved += int(done or 0) if outcome == item_outcomes.SOLVED else 0
    return counted, solved


def _per_day(column_name: str):
    def build(kind: str, hours: int):
        column = getattr(Issue, column_name)
        day = _local_day(column, hours)
        return (
            Issue.select(day.alias("day"), fn.COUNT(Issue.id))
            .where(_scope(kind) & _within(column))
            .group_by(day)
            .tuples()
        )

    return build


def _local_day(column, hours: int):
    """The local calendar day of a stored (UTC) datetime, in SQL, at `hours` east of UTC
    (`core.figures.assessment.local_day`, with the offset given)."""
    if is_sqlite():
        # the whole seconds only: SQLite's date() rounds a time to the millisecond, which put
        # 23:59:59.9999 on the next day
        return fn.date(fn.substr(column, 1, 19), f"{hours:+d} hours").coerce(False)
    return fn.DATE(column + SQL(f"interval '{hours} hours'")).coerce(False)


_NEW_PER_DAY = _Cache(_per_day("created_at"))
_RESOLVED_PER_DAY = _Cache(_per_day("resolved_at"))


def per_day(area: Area, start: datetime, end: datetime) -> tuple[dict, dict] | None:
    """Per local day in [start, end): the items reported, and those resolved; None when the
    zone's offset is not one whole number of hours over the period (the caller counts rows)."""
    kind, values = _scope_kind(area), _values(area, start=start, end=end)
    # The zone's offset over the period, in whole hours: one day expression for all of it
    # (Asia/Shanghai has no daylight saving).
    offsets = {to_local(start).utcoffset(), to_local(end).utcoffset()}
    hours = next(iter(offsets)).total_seconds() / 3600 if len(offsets) == 1 else None
    if hours is None or hours != int(hours):
        return None
    out = []
    for query in (_NEW_PER_DAY, _RESOLVED_PER_DAY):
        counts: dict[date, int] = {}
        for day, n in query[kind, int(hours)].rows(**values):
            day = date.fromisoformat(day) if isinstance(day, str) else day
            counts[day] = counts.get(day, 0) + int(n)
        out.append(counts)
    return out[0], out[1]
