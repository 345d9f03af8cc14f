"""The daily 通报: yesterday's figures for one area (usually a community), as data, markdown
and an image card (`core.figures.report_card`). `jobs/daily_report.py` sends it; `flask --app app report` prints it.

Definitions (also in docs/scheduler.md):

- day = the local calendar day reported on (yesterday by default); month = the 1st of that
  day's month up to the end of the day.
- new / accepted / resolved: issues created / accepted / resolved within the period.
- open / overdue: issues not resolved or cancelled at the end of the day / of those, the ones
  past their deadline. The headline's 超期, the rows' 超期 and the listed overdue items are one
  set (`overdue_rows`), as of the end of the day: an item resolved this morning before the
  report was built is still listed (marked 现已办结), never counted in the headline alone.
- rows: one per active steward of the area, and each overdue item counted in exactly one row —
  that of whoever holds it (`holder`): the steward who accepted it, else its only assignee;
  an escalated item is 社区办理, a whistled one 吹哨部门, one assigned to several stewards and
  accepted by none 未接单, one assigned to nobody 未派单, and a holder who is no longer one of
  the area's active stewards gets a row of their own. So the rows' 超期 add up to the headline.
- 响应率: of issues reported in the period (cancelled ones and stewards' on-the-spot fixes
  left out), the share accepted within `RESPONSE_HOURS` of being reported.
- 办结率: of issues reported in the period (cancelled and duplicates left out), the share
  closed by the handler since, whatever the outcome (a duplicate merged into another counts
  only as that one, core.items.merge).
- 解决率 / 满意率: the resident's word (ratings and 回访) given in the period, confirmed solved /
  satisfied over answered; an item closed as other than solved (answered, not ours,
  unsolvable: `Issue.outcome`) is never confirmed solved. 回访数: callbacks that settled a
  round (`core.figures.words`).
- 整改率: since the start, issues solved over all issues (cancelled and duplicates left out)
  — Lanshan's "整改率".

Queries are a fixed handful per report, whatever the number of stewards: one UNION of index
range scans fetches every issue that moved this month or is open, the counting happens in
Python, and the cumulative totals come from a covering index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app

from core.figures import steward_day, words
from core.figures.words import Calls
from core.items import outcomes, privacy
from infra.db import Param, Prepared, count_if
from infra.timeutil import local_midnight_utc
from models import (
    Area,
    Issue,
    IssueAssignee,
    Patrol,
    Steward,
    StewardAlley,
    Wish,
)

WEEKDAYS = "一二三四五六日"
MAX_OVERDUE_LISTED = 20


# The rows of overdue items no active steward of the area holds (`holder`), in report order.
HOLDER_ROWS = {
    "community": "社区办理",
    "whistled": "吹哨部门",
    "unaccepted": "未接单",
    "unassigned": "未派单",
}
ELSEWHERE = "elsewhere"  # a steward holding an item who is not one of the area's active ones
CLOSED_SINCE = {"resolved": "现已办结", "closed": "现已办结", "cancelled": "现已撤销"}


@dataclass
class StewardLine:
    """A row of the report's table: an active steward of the area (`kind` "steward"), or one
    of the rows overdue items are counted in when no such steward holds them (`HOLDER_ROWS`,
    `ELSEWHERE`), which have no work or patrol of their own."""

    id: int
    name: str
    phone: str
    taken: int = 0
    resolved: int = 0
    overdue: int = 0
    patrolled: bool = False
    kind: str = "steward"
    # the day's records (core.figures.steward_day): 随手做, patrols, visits
    fixes: int = 0
    patrols: int = 0
    visits: int = 0

    @property
    def is_steward(self) -> bool:
        return self.kind == "steward"


@dataclass
class OverdueItem:
    id: int
    number: str
    alley: str
    category: str
    content: str
    deadline: datetime
    stewards: list[tuple[str, str]]  # (name, phone)
    status: str = "submitted"  # now, when the report is built

    @property
    def still_open(self) -> bool:
        return self.status in OPEN


@dataclass
class Report:
    area: Area
    day: date
    counts: dict[str, int]
    month: dict[str, int]
    rates: dict[str, float | None]
    month_rates: dict[str, float | None]
    stewards: list[StewardLine] = field(default_factory=list)
    overdue_items: list[OverdueItem] = field(default_factory=list)
    overdue_total: int = 0
    wishes: dict[str, int] = field(default_factory=dict)
    rate_counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    month_rate_counts: dict[str, tuple[int, int]] = field(default_factory=dict)

    def rate_text(self, name: str, month: bool = False) -> str:
        """`50.0%（1/2）`, or `—（0/0）` when there was nothing to measure."""
        rates, counts = (
            (self.month_rates, self.month_rate_counts) if month else (self.rates, self.rate_counts)
        )
        part, whole = counts.get(name, (0, 0))
        return f"{pct(rates.get(name))}（{part}/{whole}）"

    @property
    def quiet(self) -> bool:
        busy = ("new", "accepted", "resolved", "overdue")
        return not any(self.counts[k] for k in busy) and not any(self.wishes.values())

    @property
    def title(self) -> str:
        return f"{self.area.name} 每日通报 {self.day.month}月{self.day.day}日（周{WEEKDAYS[self.day.weekday()]}）"


# The report's queries are the same for every group: each is compiled once (infra.db.Prepared)
# with the area as a parameter — compiling them was most of a morning's database time.
SCOPE_KINDS = ("community", "alley", "other")


def _scope_kind(area: Area) -> str:
    return area.kind if area.kind in ("community", "alley") else "other"


def _scope_param(model, kind: str):
    """The rows of the area: by its id for a community or an alley, else by the alleys of its
    subtree (`Area.alley_ids_under`). Parameters `area` (the id), `path_like` (path + %)."""
    if kind == "community":
        return model.community == Param("area")
    if kind == "alley":
        return model.alley == Param("area")
    alleys = Area.select(Area.id).where((Area.path ** Param("path_like")) & (Area.kind == "alley"))
    return model.alley.in_(alleys)


def _scope_values(area: Area) -> dict:
    return {"area": area.id, "path_like": f"{area.path}%"}


def _per_kind(build, many: tuple[str, ...] = ()) -> dict[str, Prepared]:
    return {kind: Prepared(lambda kind=kind: build(kind), many) for kind in SCOPE_KINDS}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


OPEN = ("submitted", "accepted", "escalated", "whistled")
SOLVED, DUPLICATE = outcomes.SOLVED, outcomes.DUPLICATE
MOVED_COLUMNS = (
    Issue.id,
    Issue.category,
    Issue.status,
    Issue.source,
    Issue.created_at,
    Issue.accepted_at,
    Issue.resolved_at,
    Issue.rated_at,
    Issue.rating,
    Issue.closed_at,
    Issue.deadline,
    Issue.outcome,
    Issue.accepted_by.alias("accepted_by_id"),
    Issue.resolved_by.alias("resolved_by_id"),
)


def moved(area: Area, since: datetime) -> list:
    """Issues that were reported, acted on or closed since `since`, or are open.

    Everything a day's or month's figure can depend on, in one UNION whose every branch is an
    index range scan — the bulk of closed history is never read.
    """
    values = {**_scope_values(area), "since": since}
    return list(_MOVED[_scope_kind(area)].rows(**values))


def _moved_query(kind: str):
    scope = _scope_param(Issue, kind)
    branches = [
        Issue.created_at >= Param("since"),
        Issue.resolved_at >= Param("since"),
        Issue.closed_at >= Param("since"),  # cancelled, rated and auto-closed items
        Issue.status.in_(OPEN),
        words.called_back_since(Param("since")),
    ]
    query = None
    for cond in branches:
        part = Issue.select(*MOVED_COLUMNS).where(scope & cond)
        query = part if query is None else (query | part)
    return query.namedtuples()  # plain tuples: hundreds of rows, no model overhead


_MOVED = _per_kind(_moved_query)


def _is_open_at(issue: Issue, end: datetime) -> bool:
    if issue.created_at >= end:
        return False
    if issue.resolved_at is not None and issue.resolved_at < end:
        return False
    closed_early = issue.closed_at is not None and issue.closed_at < end
    return not (issue.status in ("cancelled", "closed") and closed_early)


@dataclass
class Tally:
    """Counts of one period [start, end) over issue rows, and the 三率 they give."""

    new: int = 0
    accepted: int = 0
    resolved: int = 0
    answerable: int = 0  # reported, counted, not a steward's on-the-spot fix
    responded: int = 0  # of those, accepted within RESPONSE_HOURS
    counted: int = 0  # reported, not cancelled, not a duplicate
    solved: int = 0  # of those, closed by the handler since (办结)
    rated: int = 0  # ratings given
    answered: int = 0  # items the resident gave their word on (a rating or a callback verdict)
    confirmed: int = 0  # of those, confirmed solved (≥ 3 stars, 满意 or 基本满意)
    satisfied: int = 0  # of those, satisfied (4–5 stars or 满意)
    callbacks: int = 0  # callbacks that settled a round

    def add(
        self,
        i,
        start: datetime,
        end: datetime,
        response: timedelta,
        credited: int | None = None,
        calls=(),
    ) -> None:
        """Count one issue row (`calls`: its callbacks). With `credited` (a steward's id): the
        row's reports count when it is theirs (`owners`), the rest only when they did it."""

        def within(value):
            return value is not None and start <= value < end

        owner = credited is None or credited in owners(i)
        took = credited is None or i.accepted_by_id == credited
        did = credited is None or i.resolved_by_id == credited
        if within(i.created_at) and owner:
            self.new += 1
            counted = words.counted(i)
            answerable = counted and i.source != "steward"
            self.counted += counted
            self.solved += counted and words.closed_as_solved(i) and did
            self.answerable += answerable
            self.responded += answerable and (
                i.accepted_at is not None and i.accepted_at <= i.created_at + response and took
            )
        self.accepted += within(i.accepted_at) and took
        self.resolved += within(i.resolved_at) and did
        if not did:
            return
        self.rated += within(i.rated_at)
        word = words.resident_word(i, calls, start, end)
        if word is not None:
            self.answered += 1
            self.confirmed += word[0]
            self.satisfied += word[1]
        self.callbacks += sum(1 for at, _, settled in calls if settled and within(at))

    @property
    def rate_counts(self) -> dict[str, tuple[int, int]]:
        """(part, whole) behind each rate: shown next to it, "50.0%（1/2）"."""
        return {
            "response": (self.responded, self.answerable),
            "resolution": (self.confirmed, self.answered),
            "satisfaction": (self.satisfied, self.answered),
            "handled": (self.solved, self.counted),
        }

    @property
    def rates(self) -> dict[str, float | None]:
        return {name: rate(*counts) for name, counts in self.rate_counts.items()}


def owners(i) -> set[int]:
    """The steward an issue row counts for in a steward's figures: whoever resolved it once it
    is resolved, before that whoever accepted it. An item merely assigned counts for none of
    its assignees (except as overdue), nor one staff handled."""
    if i.resolved_at is not None:
        return {i.resolved_by_id} if i.resolved_by_id else set()
    return {i.accepted_by_id} if i.accepted_by_id else set()


def tally(
    rows, start: datetime, end: datetime, credited: int | None = None, calls: Calls | None = None
) -> Tally:
    """The figures of `rows` over [start, end); with `credited`, one steward's share. `calls`:
    the rows' callbacks (`words.callbacks_since` no later than `start`)."""
    response = timedelta(hours=int(current_app.config["RESPONSE_HOURS"]))
    calls = calls or {}
    t = Tally()
    for i in rows:
        t.add(i, start, end, response, credited, calls.get(i.id, ()))
    return t


def overdue_order(issue) -> tuple:
    """The order overdue items are listed in: the longest overdue first, then by number."""
    return issue.deadline, issue.id


def overdue_rows(rows, end: datetime) -> list:
    """The rows open at `end` and past their deadline by then, in listing order: the one set
    the headline's 超期, the rows' 超期 and the listed items are all taken from."""
    late = (i for i in rows if _is_open_at(i, end) and i.deadline < end)
    return sorted(late, key=overdue_order)


def open_and_overdue(rows, end: datetime) -> tuple[int, int]:
    still_open = sum(1 for i in rows if _is_open_at(i, end))
    return still_open, len(overdue_rows(rows, end))


def holder(row, assignees: Sequence[int]) -> int | str:
    """Who an overdue item is with, for the row it is counted in: a steward's id, or a key of
    `HOLDER_ROWS`. `assignees` are its stewards' ids in assignment order."""
    if row.status == "whistled":
        return "whistled"
    if row.status == "escalated":
        return "community"
    if row.accepted_by_id is not None and row.accepted_by_id in assignees:
        return row.accepted_by_id
    if len(assignees) == 1:
        return assignees[0]
    if not assignees:
        return "unassigned"
    if row.status == "accepted":  # staff accepted it for the community
        return "community"
    return "unaccepted"


def overdue_lines(
    stewards: list[StewardLine], late: list, assignees: dict[int, list[tuple[int, str, str]]]
) -> list[StewardLine]:
    """The table's rows: the area's stewards, then a row for each other holder of an overdue
    item, each overdue item counted in exactly one (`holder`). `assignees`: each late item's
    (steward id, name, phone) in assignment order."""
    lines = {s.id: s for s in stewards}
    others: dict[int, StewardLine] = {}
    held: dict[str, int] = {}
    for i in late:
        people = assignees.get(i.id, [])
        key = holder(i, [sid for sid, _, _ in people])
        if isinstance(key, str):
            held[key] = held.get(key, 0) + 1
            continue
        line = lines.get(key) or others.get(key)
        if line is None:
            name, phone = next((n, ph) for sid, n, ph in people if sid == key)
            line = others[key] = StewardLine(key, name, phone, kind=ELSEWHERE)
        line.overdue += 1
    extra = [
        StewardLine(0, label, "", overdue=held[k], kind=k)
        for k, label in HOLDER_ROWS.items()
        if k in held
    ]
    return [*stewards, *(others[k] for k in sorted(others)), *extra]


def totals(area: Area, end: datetime) -> tuple[int, int]:
    """Since the start: issues (cancelled and duplicates left out) and those solved.

    Grouped by status and outcome with the area as the only filter, so that the covering
    index (community, status, outcome, created_at, resolved_at) answers it without reading
    the table.
    """
    rows = _TOTALS[_scope_kind(area)].rows(**_scope_values(area), end=end)
    counted = solved = 0
    for row in rows:
        if row["status"] != "cancelled" and row["outcome"] != DUPLICATE:
            counted += int(row["counted"])
            solved += int(row["solved"]) if row["outcome"] == SOLVED else 0
    return counted, solved


_TOTALS = _per_kind(
    lambda kind: (
        Issue.select(
            Issue.status,
            Issue.outcome,
            count_if(Issue.created_at < Param("end")).alias("counted"),
            count_if((Issue.created_at < Param("end")) & (Issue.resolved_at < Param("end"))).alias(
                "solved"
            ),
        )
        .where(_scope_param(Issue, kind))
        .group_by(Issue.status, Issue.outcome)
        .dicts()
    )
)


def _alleys_like():
    """The ids of the alleys in the subtree whose path is `path_like` (`Area.alley_ids_under`)."""
    return Area.select(Area.id).where((Area.path ** Param("path_like")) & (Area.kind == "alley"))


_STEWARDS = Prepared(
    lambda: (
        Steward.select(Steward.id, Steward.name, Steward.phone)
        .join(StewardAlley)
        .where(StewardAlley.alley.in_(_alleys_like()) & Steward.active)
        .distinct()
        .order_by(Steward.id)
    )
)
_PATROLLED = Prepared(
    lambda: (
        Patrol.select(Patrol.steward)
        .where(
            (Patrol.created_at >= Param("start"))
            & (Patrol.created_at < Param("end"))
            & Patrol.alley.in_(_alleys_like())
        )
        .distinct()
    )
)
_OVERDUE_DETAILS = Prepared(
    lambda: (
        Issue.select(
            Issue.id, Issue.number, Issue.category, Issue.content, Issue.visibility, Area.name
        )
        .join(Area, on=(Issue.alley == Area.id))
        .where(Issue.id.in_(Param("ids", many=True)))
    ),
    many=("ids",),
)
_OVERDUE_PEOPLE = Prepared(
    lambda: (
        IssueAssignee.select(IssueAssignee.issue, Steward.id, Steward.name, Steward.phone)
        .join(Steward)
        .where(IssueAssignee.issue.in_(Param("ids", many=True)))
        .order_by(IssueAssignee.id)
    ),
    many=("ids",),
)


def credit_work(lines: dict[int, StewardLine], rows, start: datetime, end: datetime) -> None:
    """Acceptances and resolutions within [start, end), each credited to the steward (of
    `lines`, by id) who did it."""
    for i in rows:
        taker = lines.get(i.accepted_by_id)
        if taker is not None and i.accepted_at is not None and start <= i.accepted_at < end:
            taker.taken += 1
        resolver = lines.get(i.resolved_by_id)
        if resolver is not None and i.resolved_at is not None and start <= i.resolved_at < end:
            resolver.resolved += 1


def _steward_lines(
    area: Area, rows: list[Issue], start: datetime, end: datetime
) -> list[StewardLine]:
    path_like = f"{area.path}%"
    stewards = _STEWARDS.rows(path_like=path_like)
    lines = {s.id: StewardLine(s.id, s.name, s.phone) for s in stewards}
    if not lines:
        return []
    credit_work(lines, rows, start, end)
    patrolled = _PATROLLED.rows(start=start, end=end, path_like=path_like)
    for row in patrolled:
        if row.steward_id in lines:
            lines[row.steward_id].patrolled = True
    steward_day.fill(lines.values(), steward_day.counts(lines, start, end))
    return list(lines.values())


def _overdue_people(late: list) -> tuple[dict[int, list], dict[int, tuple]]:
    """Each overdue item's assignees (steward id, name, phone, in assignment order), and the
    details (number, alley name, category, content) of those listed."""
    ids = [i.id for i in late]
    people: dict[int, list] = {}
    for chunk in range(0, len(ids), 500):
        for link in _OVERDUE_PEOPLE.rows(ids=ids[chunk : chunk + 500]):
            s = link.steward
            people.setdefault(link.issue_id, []).append((s.id, s.name, s.phone))
    shown = ids[:MAX_OVERDUE_LISTED]
    details = {}
    if shown:
        for i in _OVERDUE_DETAILS.rows(ids=shown):
            # the report goes to the group: only words a group may read (core.items.privacy)
            details[i.id] = (i.number, i.alley.name, i.category, privacy.issue_words(i, 16))
    return people, details


def _wish_figures(area: Area, start: datetime, end: datetime) -> dict[str, int]:
    values = {**_scope_values(area), "start": start, "end": end}
    row = _WISHES[_scope_kind(area)].first(**values) or {}
    return {k: int(row.get(k) or 0) for k in ("new", "claimed", "fulfilled")}


def _wishes_query(kind: str):
    within = lambda col: (col >= Param("start")) & (col < Param("end"))  # noqa: E731
    return (
        Wish.select(
            count_if(within(Wish.created_at)).alias("new"),
            count_if(within(Wish.claimed_at)).alias("claimed"),
            count_if(within(Wish.fulfilled_at)).alias("fulfilled"),
        )
        .where(_scope_param(Wish, kind))
        .limit(1)
        .dicts()
    )


_WISHES = _per_kind(_wishes_query)


def build(area: Area, day: date) -> Report:
    start = local_midnight_utc(day)
    end = local_midnight_utc(day + timedelta(days=1))
    month_start = local_midnight_utc(day.replace(day=1))
    rows = [i for i in moved(area, month_start) if i.created_at < end]
    assignees, details = _overdue_people(overdue_rows(rows, end))
    return assemble(
        area,
        day,
        rows,
        month_start,
        totals=totals(area, end),
        stewards=_steward_lines(area, rows, start, end),
        assignees=assignees,
        details=details,
        wishes=_wish_figures(area, start, end),
        calls=words.callbacks_since(area, month_start),
    )


def assemble(
    area: Area,
    day: date,
    rows: list,
    month_start: datetime,
    *,
    totals: tuple[int, int],
    stewards: list[StewardLine],
    assignees: dict[int, list[tuple[int, str, str]]],
    details: dict[int, tuple[str, str, str, str]],
    wishes: dict[str, int],
    calls: Calls | None = None,
) -> Report:
    """The report of `area` from its issue rows (those that moved this month or are open)
    and the parts read elsewhere (`build` one area at a time, `report_batch` all at once):
    the stewards' lines with their work and patrols, each overdue item's assignees (steward
    id, name, phone) and the listed ones' details (number, alley, category, content).

    The headline's 超期, the rows' and the list come from one `overdue_rows`."""
    start = local_midnight_utc(day)
    end = local_midnight_utc(day + timedelta(days=1))
    d, m = tally(rows, start, end, calls=calls), tally(rows, month_start, end, calls=calls)
    late = overdue_rows(rows, end)
    open_now = sum(1 for i in rows if _is_open_at(i, end))
    listed = [
        OverdueItem(
            i.id,
            *details[i.id],
            i.deadline,
            [(name, phone) for _, name, phone in assignees.get(i.id, [])],
            i.status,
        )
        for i in late[:MAX_OVERDUE_LISTED]
    ]
    all_counted, all_solved = totals
    return Report(
        area=area,
        day=day,
        counts={
            "new": d.new,
            "accepted": d.accepted,
            "resolved": d.resolved,
            "open": open_now,
            "overdue": len(late),
        },
        month={"new": m.new, "accepted": m.accepted, "resolved": m.resolved},
        rates={**d.rates, "rectification": rate(all_solved, all_counted)},
        month_rates=m.rates,
        stewards=overdue_lines(stewards, late, assignees),
        overdue_items=listed,
        overdue_total=len(late),
        wishes=wishes,
        rate_counts={**d.rate_counts, "rectification": (all_solved, all_counted)},
        month_rate_counts=m.rate_counts,
    )


# --- presentation --------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    """One decimal everywhere (`50.0%`, `98.4%`), like the ledger; `—` with nothing to
    measure."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"
