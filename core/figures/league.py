"""The street's league table: every community and every handling unit (department, property
company) of a street side by side over a period, with the rates behind a ranking.

`league(street, first, last)` is the one shared figures function for per-community and
per-unit rates: the console's street dashboard uses it, and the monthly bulletin can.

Definitions (a community's row counts the issues of its alleys; a unit's row the issues handed
to it by a whistle). They are the daily 通报's (`core.figures.reports`, `core.figures.words`),
reused rather than restated:

- 件数 (`volume`): issues reported in the period (a unit: whistled to it in the period), those
  the figures count at all (`words.counted`: cancelled ones and duplicates merged into another
  left out).
- 响应率: of those (a community: stewards' on-the-spot fixes left out, as the daily 通报), the
  share accepted within `RESPONSE_HOURS` of being reported; a unit: the share it checked in
  (报到) within `UNIT_CHECKIN_HOURS` of the whistle.
- 按期办结率: of those whose term is decided — closed by the handler (办结, whatever the
  outcome, `words.closed_as_solved`), or past their deadline now — the share closed by their
  deadline. An item still open and not yet due counts neither way.
- 解决率 / 满意率: the residents' words given in the period on the row's items (ratings and
  回访 verdicts, each item by its last word: `words.resident_word`), confirmed solved /
  satisfied over answered. An item closed as answered, not ours or unsolvable is never
  confirmed solved.
- 回访完成率 (communities): of the items closed in the period that need a callback as of now
  (`core.items.callbacks.needs_callback`, the 回访 list's rule: not rated, someone to ask,
  `CALLBACK_AFTER_DAYS` passed), the share whose current round has a settled callback.
- 12345 (`tickets`, 按时办结率): the hotline tickets registered in the period on the row's
  items, and of those closed, the share closed by the hotline's deadline
  (`core.figures.hotline`); `tickets_overdue`: of them, those not closed and past the
  hotline's deadline (as of the period's end, or now).
- 超期 (`overdue`): open now and past the deadline, whenever reported.

Each rate comes with its counts (`counts[name] = (part, whole)`), and a row whose volume is
under `RANKING_MIN_VOLUME` is listed but not ranked: a league table must not be unfair to a
small unit whose two items make 0 % or 100 %.

Queries are constant in the number of communities and units — nine, however large the street:
the communities and the units; one grouped query over the communities' issues reported in the
period and one over the units' issues whistled in the period, which count only what
`words.counted` counts (its SQL form, `words.counted_sql`); the period's callbacks with their
items (read as rows: `words.resident_word` is Python) and the items rated in the period without
a callback in it (added up in SQL: their word is their rating); what is overdue now; the
period's 12345 tickets; and the items closed in the period that needed a callback. All but the
first, the grouped and the last serve communities and units at once (a unit's items are all in
its street's communities).

Speed: a year's league reads half a million items at the benchmark's scale. Every range scan
over the issues is covered by an index of its own (`models.street`: issue_league_reported,
_rated, _resolved, _whistled, schema 27), so SQLite looks up no row of the table (a lookup
costs it more than the whole covered scan); docs/benchmarks.md has the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from peewee import SQL, fn

from core.figures import hotline, words
from core.items import callbacks
from infra.db import count_if, is_sqlite
from infra.timeutil import local_midnight_utc, utcnow
from models import ISSUE_OPEN, Area, Callback, Department, Issue

RATES = ("response", "on_time", "resolution", "satisfaction")  # the public page's too
RATE_LABELS = {
    "response": "响应率",
    "on_time": "按期办结率",
    "resolution": "解决率",
    "satisfaction": "满意率",
    "callbacks": "回访完成率",
    "ticket_on_time": "按时办结率",
}
# The console's columns beyond the 三率: 回访 (communities only) and the 12345 tickets.
CALLBACKS, TICKETS, TICKET_ON_TIME = "callbacks", "tickets", "ticket_on_time"
COUNTS = ("volume", "overdue", TICKETS)  # sorted by a number, not a rate
# What a table can be sorted by: the rates, the counts, the name.
SORT_KEYS = ("volume", *RATES, CALLBACKS, "overdue", TICKETS, TICKET_ON_TIME, "name")
DEFAULT_SORT = "resolution"
UNIT_KIND_LABELS = {"department": "部门", "property": "物业"}


@dataclass
class Row:
    """One community or unit over the period."""

    id: int
    name: str
    kind: str  # community | department | property
    volume: int = 0
    overdue: int = 0
    tickets: int = 0  # 12345 上级转办件 registered in the period
    tickets_overdue: int = 0  # of those, not closed and past the hotline's deadline (as of)
    closed: int = 0  # of the volume, closed by the handler since (办结, whatever the outcome)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    rank: int | None = None  # among ranked rows, by the table's sort key
    ranked: bool = False  # volume at least the minimum and the sort key measurable

    def rate(self, name: str) -> float | None:
        part, whole = self.counts.get(name, (0, 0))
        return round(part / whole, 4) if whole else None

    @property
    def rates(self) -> dict[str, float | None]:
        return {name: self.rate(name) for name in RATES}

    @property
    def kind_label(self) -> str:
        return UNIT_KIND_LABELS.get(self.kind, "社区")


@dataclass
class League:
    street: Area
    first: date
    last: date
    min_volume: int
    sort: str | None
    descending: bool
    communities: list[Row]
    units: list[Row]


# Within this many days of the limit, SQLite's julianday() (whole milliseconds, a double) is
# not trusted and the exact comparison decides (`at_most_hours_after`): about 86 ms.
_NEAR_DAYS = 1e-6


def plus_hours(column, hours: int):
    """`column` + `hours` in SQL, to the microsecond on both databases. SQLite's datetime()
    drops the fraction, so the stored one is put back: the text then compares exactly."""
    if is_sqlite():
        return fn.datetime(column, f"+{int(hours)} hours").concat(fn.substr(column, 20))
    return column + SQL(f"interval '{int(hours)} hours'")


def at_most_hours_after(later, earlier, hours: int):
    """`later` <= `earlier` + `hours`, to the microsecond (`plus_hours`). On SQLite the exact
    form formats a date per row, which over a year's half a million items cost more than the
    rest of the query: the difference of two julianday() numbers decides every row not within
    `_NEAR_DAYS` of the limit, and only those few are compared exactly."""
    if not is_sqlite():
        return later <= plus_hours(earlier, hours)
    limit = int(hours) / 24
    gap = fn.julianday(later) - fn.julianday(earlier)
    return (gap < limit - _NEAR_DAYS) | (
        (gap <= limit + _NEAR_DAYS) & (later <= plus_hours(earlier, hours))
    )


def communities_of(street: Area) -> list[Area]:
    """The street's active communities, in tree order."""
    return list(
        Area.select()
        .where(Area.path.startswith(street.path) & (Area.kind == "community") & Area.active)
        .order_by(Area.path)
    )


def units_of(street: Area) -> list[Department]:
    """The handling units registered on the street or on one of its areas."""
    return list(
        Department.select(Department)
        .join(Area, on=(Department.area == Area.id))
        .where(Area.path.startswith(street.path))
        .order_by(Department.kind, Department.name)
    )


def _grouped(
    key, ids: list[int], start, end, as_of, *, since, within_hours, responded_at, fixes_answer
):
    """Per `key` value (community or unit id): volume and the parts of response and on-time
    over the issues whose `since` falls in [start, end) and that count at all (`words.counted`:
    cancelled ones and merged duplicates left out). `fixes_answer`: whether a steward's
    on-the-spot fix is asked to respond (not for a community, as the daily 通报). Every column
    read is in a covering index (`models.street`): no row of the table is looked up."""
    answerable = Issue.id.is_null(False) if fixes_answer else (Issue.source != "steward")
    # 办结 whatever the outcome (`words.closed_as_solved`): the handler's resolved_at
    closed = Issue.resolved_at.is_null(False)
    query = (
        Issue.select(
            key.alias("key"),
            fn.COUNT(Issue.id).alias("counted"),
            count_if(answerable).alias("answerable"),
            count_if(
                answerable
                & responded_at.is_null(False)
                & at_most_hours_after(responded_at, since, within_hours)
            ).alias("responded"),
            count_if(closed | (Issue.deadline < as_of)).alias("decided"),
            count_if(closed & (Issue.resolved_at <= Issue.deadline)).alias("on_time"),
            count_if(closed).alias("closed"),
        )
        .where(key.in_(ids) & (since >= start) & (since < end) & words.counted_sql())
        .group_by(key)
        .namedtuples()
    )
    return {r.key: {name: int(getattr(r, name) or 0) for name in PARTS} for r in query}


PARTS = ("counted", "answerable", "responded", "decided", "on_time", "closed")


def _by_community_and_unit(query) -> tuple[dict, dict]:
    """Rows of (community, unit, *values) added up per community and per unit."""
    communities: dict[int, list[int]] = {}
    units: dict[int, list[int]] = {}
    for community_id, unit_id, *values in query.tuples():
        for totals, key in ((communities, community_id), (units, unit_id)):
            if key is not None:
                found = totals.setdefault(key, [0] * len(values))
                for n, v in enumerate(values):
                    found[n] += int(v or 0)
    return communities, units


def _words(c_ids: list[int], start, end) -> tuple[dict, dict]:
    """Per community and per unit: [confirmed solved, satisfied, answered] from the residents'
    words given in [start, end) — ratings and 回访 verdicts, each item by its last word
    (`words.resident_word`, the daily 通报's 解决率 and 满意率). Two queries: the period's
    callbacks with their items, whose words are weighed one by one in Python; and the items
    rated in the period without a callback in it, whose word is their rating, added up in SQL
    (a year's are some four hundred thousand: a rating closes the item at that moment, so the
    range on `closed_at`, in a covering index with the rating, finds them)."""
    columns = (
        Issue.id,
        Issue.community,
        Issue.department,
        Issue.rating,
        Issue.rated_at,
        Issue.outcome,
    )
    items = {}
    called = []
    for r in (
        Callback.select(
            Callback.issue, Callback.created_at, Callback.result, Callback.settles, *columns
        )
        .join(Issue, on=(Callback.issue == Issue.id))
        .where(
            (Callback.created_at >= start)
            & (Callback.created_at < end)
            & Issue.community.in_(c_ids)
        )
        .namedtuples()
    ):
        called.append((r.issue, r.created_at, r.result, r.settles))
        items.setdefault(r.id, r)
    calls = words.calls_from(called)
    # Rated within the period, with no callback in it: the rating is the word (`resident_word`
    # with no calls): solved at 3 stars or more on an item that may be solved, satisfied at 4.
    heard = Callback.select(Callback.issue).where(
        (Callback.created_at >= start) & (Callback.created_at < end)
    )
    communities, units = _by_community_and_unit(
        Issue.select(
            Issue.community,
            Issue.department,
            count_if((Issue.rating >= 3) & words.may_be_solved_sql()),
            count_if(Issue.rating >= 4),
            fn.COUNT(Issue.id),
        )
        .where(
            Issue.community.in_(c_ids)
            & (Issue.closed_at >= start)
            & (Issue.closed_at < end)
            & (Issue.rated_at >= start)
            & (Issue.rated_at < end)
            & Issue.rating.is_null(False)
            & Issue.id.not_in(heard)
        )
        .group_by(Issue.community, Issue.department)
    )
    for i in items.values():
        word = words.resident_word(i, calls.get(i.id, ()), start, end)
        if word is None:
            continue
        for totals, key in ((communities, i.community), (units, i.department)):
            if key is not None:
                found = totals.setdefault(key, [0, 0, 0])
                found[0] += word[0]
                found[1] += word[1]
                found[2] += 1
    return communities, units


def _callbacks(c_ids: list[int], start, end, now: datetime) -> dict[int, list[int]]:
    """Per community: [called back, needing a callback] over the items closed in [start, end)
    that need one as of now (`callbacks.needs_callback`: the 回访 list's own rule), called back
    meaning their current round has a settled callback."""
    query = (
        Issue.select(
            Issue.community,
            count_if(callbacks.settled_this_round()),
            fn.COUNT(Issue.id),
        )
        .where(
            Issue.community.in_(c_ids)
            & (Issue.resolved_at >= start)
            & (Issue.resolved_at < end)
            & callbacks.needs_callback(now)
        )
        .group_by(Issue.community)
        .tuples()
    )
    return {c: [int(done or 0), int(whole or 0)] for c, done, whole in query}


def _overdue(c_ids: list[int], now: datetime) -> tuple[dict, dict]:
    """Per community and per unit: [items open now and past their deadline]."""
    return _by_community_and_unit(
        Issue.select(Issue.community, Issue.department, fn.COUNT(Issue.id))
        .where(Issue.community.in_(c_ids) & Issue.status.in_(ISSUE_OPEN) & (Issue.deadline < now))
        .group_by(Issue.community, Issue.department)
    )


def _fill(
    row: Row,
    parts: dict | None,
    said: list[int] | None,
    overdue: list[int] | None,
    called: list[int] | None = None,
    tickets: list[int] | None = None,
) -> Row:
    p = parts or {}
    confirmed, satisfied, answered = said or (0, 0, 0)
    row.volume = p.get("counted", 0)
    row.closed = p.get("closed", 0)
    row.overdue = overdue[0] if overdue else 0
    row.tickets = tickets[0] if tickets else 0
    row.tickets_overdue = tickets[3] if tickets else 0
    row.counts = {
        "response": (p.get("responded", 0), p.get("answerable", 0)),
        "on_time": (p.get("on_time", 0), p.get("decided", 0)),
        "resolution": (confirmed, answered),
        "satisfaction": (satisfied, answered),
        "ticket_on_time": (tickets[1], tickets[2]) if tickets else (0, 0),
    }
    if row.kind == "community":  # a unit does not call residents back
        row.counts["callbacks"] = tuple(called) if called else (0, 0)
    return row


def rank(rows: list[Row], sort: str, descending: bool, min_volume: int, *, key=None) -> list[Row]:
    """`rows` in table order: the ranked ones (volume at least `min_volume`, and the sort key
    measurable) by `sort`, ties sharing a rank (1, 2, 2, 4); then the others, in the same order,
    without a rank. `key` (a row → number or None) ranks by a value of the caller's instead of
    a column: the monthly bulletin's weighted score."""

    def value(r: Row):
        if key is not None:
            return key(r)
        if sort == "name":
            return r.name
        if sort in COUNTS:
            return getattr(r, sort)
        return r.rate(sort)

    for r in rows:
        r.ranked = r.volume >= min_volume and value(r) is not None
        r.rank = None

    def order(r: Row):
        v = value(r)
        if v is None:
            return (1, 0, r.name)
        if isinstance(v, str):
            return (0, v, r.name)
        return (0, -v if descending else v, r.name)

    ranked = sorted((r for r in rows if r.ranked), key=order)
    if sort == "name" and descending:
        ranked.reverse()
    previous, place = object(), 0
    for n, r in enumerate(ranked, 1):
        v = value(r)
        if v != previous:
            place, previous = n, v
        r.rank = place
    rest = sorted((r for r in rows if not r.ranked), key=order)
    return ranked + rest


def league(
    street: Area,
    first: date,
    last: date,
    *,
    sort: str | None = DEFAULT_SORT,
    descending: bool = True,
    min_volume: int | None = None,
    units: bool = True,
) -> League:
    """Every community (and with `units`, every unit) of `street` over the local days
    `first`..`last`, ranked by `sort` (one of `SORT_KEYS`; None: tree order, no rank).
    Overdue is as of now."""
    if sort is not None and sort not in SORT_KEYS:
        raise ValueError(f"unknown sort key {sort!r}")
    config = current_app.config
    if min_volume is None:
        min_volume = int(config["RANKING_MIN_VOLUME"])
    start = local_midnight_utc(first)
    end = local_midnight_utc(last + timedelta(days=1))
    now = utcnow()
    as_of = min(end, now)

    communities = communities_of(street)
    c_ids = [c.id for c in communities]
    found_units = units_of(street) if units else []
    u_ids = [u.id for u in found_units]
    said, u_said = _words(c_ids, start, end) if c_ids else ({}, {})
    late, u_late = _overdue(c_ids, now) if c_ids else ({}, {})
    tickets, u_tickets = (
        hotline.by_community_and_unit(c_ids, start, end, as_of) if c_ids else ({}, {})
    )
    c_rows: list[Row] = []
    if c_ids:
        parts = _grouped(
            Issue.community,
            c_ids,
            start,
            end,
            as_of,
            since=Issue.created_at,
            within_hours=int(config["RESPONSE_HOURS"]),
            responded_at=Issue.accepted_at,
            fixes_answer=False,
        )
        called = _callbacks(c_ids, start, end, now)
        c_rows = [
            _fill(
                Row(c.id, c.name, "community"),
                parts.get(c.id),
                said.get(c.id),
                late.get(c.id),
                called.get(c.id),
                tickets.get(c.id),
            )
            for c in communities
        ]
    u_rows: list[Row] = []
    if u_ids:
        parts = _grouped(
            Issue.department,
            u_ids,
            start,
            end,
            as_of,
            since=Issue.whistled_at,
            within_hours=int(config["UNIT_CHECKIN_HOURS"]),
            responded_at=Issue.checked_in_at,
            fixes_answer=True,  # a unit's items are whistled ones: it answers every one
        )
        for u in found_units:
            row = _fill(
                Row(u.id, u.name, u.kind),
                parts.get(u.id),
                u_said.get(u.id),
                u_late.get(u.id),
                tickets=u_tickets.get(u.id),
            )
            if u.active or row.volume or row.overdue or row.tickets:  # stood down: while it matters
                u_rows.append(row)

    return League(
        street=street,
        first=first,
        last=last,
        min_volume=min_volume,
        sort=sort,
        descending=descending,
        communities=c_rows if sort is None else rank(c_rows, sort, descending, min_volume),
        units=u_rows if sort is None else rank(u_rows, sort, descending, min_volume),
    )
