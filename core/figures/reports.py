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
- 解决率: of issues reported in the period (cancelled left out), the share resolved since.
- 满意率: of ratings given in the period, the share of 4 or 5 stars (未评价 counts neither way).
- 整改率: since the start, resolved issues over all issues (cancelled left out) — Lanshan's
  "整改率".

Queries are a fixed handful per report, whatever the number of stewards: one UNION of index
range scans fetches every issue that moved this month or is open, the counting happens in
Python, and the cumulative totals come from a covering index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app

from core.items import privacy
from infra.db import Param, Prepared, count_if
from infra.text import shorten
from infra.timeutil import local_midnight_utc, month_day_time
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
    answerable: int = 0  # reported, not cancelled, not a steward's on-the-spot fix
    responded: int = 0  # of those, accepted within RESPONSE_HOURS
    counted: int = 0  # reported, not cancelled
    solved: int = 0  # of those, resolved since
    rated: int = 0
    satisfied: int = 0  # ratings of 4 or 5

    def add(
        self,
        i,
        start: datetime,
        end: datetime,
        response: timedelta,
        credited: int | None = None,
    ) -> None:
        """Count one issue row. With `credited` (a steward's id): the row's reports count when
        it is theirs (`owners`), acceptances, resolutions and ratings only when they did it."""

        def within(value):
            return value is not None and start <= value < end

        owner = credited is None or credited in owners(i)
        took = credited is None or i.accepted_by_id == credited
        did = credited is None or i.resolved_by_id == credited
        if within(i.created_at) and owner:
            self.new += 1
            counted = i.status != "cancelled"
            answerable = counted and i.source != "steward"
            self.counted += counted
            self.solved += counted and i.resolved_at is not None and did
            self.answerable += answerable
            self.responded += answerable and (
                i.accepted_at is not None and i.accepted_at <= i.created_at + response and took
            )
        self.accepted += within(i.accepted_at) and took
        self.resolved += within(i.resolved_at) and did
        if within(i.rated_at) and did:
            self.rated += 1
            self.satisfied += (i.rating or 0) >= 4

    @property
    def rate_counts(self) -> dict[str, tuple[int, int]]:
        """(part, whole) behind each rate: shown next to it, "50.0%（1/2）"."""
        return {
            "response": (self.responded, self.answerable),
            "resolution": (self.solved, self.counted),
            "satisfaction": (self.satisfied, self.rated),
        }

    @property
    def rates(self) -> dict[str, float | None]:
        return {
            "response": rate(self.responded, self.answerable),
            "resolution": rate(self.solved, self.counted),
            "satisfaction": rate(self.satisfied, self.rated),
        }


def owners(i) -> set[int]:
    """The steward an issue row counts for in a steward's figures: whoever resolved it once it
    is resolved, before that whoever accepted it. An item merely assigned counts for none of
    its assignees (except as overdue), nor one staff handled."""
    if i.resolved_at is not None:
        return {i.resolved_by_id} if i.resolved_by_id else set()
    return {i.accepted_by_id} if i.accepted_by_id else set()


def tally(rows, start: datetime, end: datetime, credited: int | None = None) -> Tally:
    """The figures of `rows` over [start, end); with `credited`, one steward's share."""
    response = timedelta(hours=int(current_app.config["RESPONSE_HOURS"]))
    t = Tally()
    for i in rows:
        t.add(i, start, end, response, credited)
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
    """Since the start: issues (cancelled left out) and those resolved.

    Grouped by status with the area as the only filter, so that the covering index
    (community, status, created_at, resolved_at) answers it without reading the table.
    """
    rows = _TOTALS[_scope_kind(area)].rows(**_scope_values(area), end=end)
    counted = solved = 0
    for row in rows:
        if row["status"] != "cancelled":
            counted += int(row["counted"])
            solved += int(row["solved"])
    return counted, solved


_TOTALS = _per_kind(
    lambda kind: (
        Issue.select(
            Issue.status,
            count_if(Issue.created_at < Param("end")).alias("counted"),
            count_if((Issue.created_at < Param("end")) & (Issue.resolved_at < Param("end"))).alias(
                "solved"
            ),
        )
        .where(_scope_param(Issue, kind))
        .group_by(Issue.status)
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
) -> Report:
    """The report of `area` from its issue rows (those that moved this month or are open)
    and the parts read elsewhere (`build` one area at a time, `report_batch` all at once):
    the stewards' lines with their work and patrols, each overdue item's assignees (steward
    id, name, phone) and the listed ones' details (number, alley, category, content).

    The headline's 超期, the rows' and the list come from one `overdue_rows`."""
    start = local_midnight_utc(day)
    end = local_midnight_utc(day + timedelta(days=1))
    d, m = tally(rows, start, end), tally(rows, month_start, end)
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


def quiet_line(report: Report) -> str:
    return f"**{report.title}**：昨日无新增、无办结、无超期，平稳无事；在办 {report.counts['open']} 件。"


def row_name(line: StewardLine) -> str:
    """A row's name as the report shows it."""
    if line.kind == ELSEWHERE:
        return f"{line.name}（已离任或非本区管家）"
    return line.name


def markdown(report: Report) -> str:
    """The WeCom markdown message (headings, bold, quotes and <font color> only)."""
    if report.quiet:
        return quiet_line(report)
    c, m = report.counts, report.month
    overdue = f'<font color="warning">**{c["overdue"]}**</font>' if c["overdue"] else "0"
    lines = [
        f"## {report.title}",
        f"> 新增 **{c['new']}** · 接单 **{c['accepted']}** · 办结 **{c['resolved']}**"
        f" · 超期 {overdue} · 在办 **{c['open']}**",
        f"> 响应率 {report.rate_text('response')} · 解决率 {report.rate_text('resolution')}"
        f" · 满意率 {report.rate_text('satisfaction')}"
        f" · 整改率 {report.rate_text('rectification')}",
        f"本月累计：新增 {m['new']} · 接单 {m['accepted']} · 办结 {m['resolved']}"
        f" · 响应率 {report.rate_text('response', True)}"
        f" · 解决率 {report.rate_text('resolution', True)}"
        f" · 满意率 {report.rate_text('satisfaction', True)}",
    ]
    if report.stewards:
        lines.append("**管家**")
        for s in report.stewards:
            late = f'<font color="warning">超期 {s.overdue}</font>' if s.overdue else "超期 0"
            if not s.is_steward:
                lines.append(f"{row_name(s)}：{late}")
                continue
            patrol = "已巡查" if s.patrolled else '<font color="comment">未巡查</font>'
            lines.append(f"{s.name}：接单 {s.taken} · 办结 {s.resolved} · {late} · {patrol}")
    if report.overdue_items:
        lines.append("**超期诉求**")
        for item in report.overdue_items:
            who = "、".join(name for name, _ in item.stewards) or "未派单"
            since = f"，{CLOSED_SINCE.get(item.status, '')}" if not item.still_open else ""
            lines.append(
                f"#{item.id} {item.alley} {item.category}：{shorten(item.content, 16)}"
                f"（{who}，{month_day_time(item.deadline)} 到期{since}）"
            )
        if report.overdue_total > len(report.overdue_items):
            lines.append(f"……等共 {report.overdue_total} 件")
    w = report.wishes
    lines.append(f"**微心愿** 新增 {w['new']} · 认领 {w['claimed']} · 实现 {w['fulfilled']}")
    return "\n".join(lines)


def overdue_reminder(report: Report, skip: set[int] = frozenset()) -> tuple[str, list[str]] | None:
    """A plain text that @-mentions the stewards of overdue items (markdown cannot), leaving
    out `skip` (items the reminder scan already escalated or reminded about today)."""
    items = [i for i in report.overdue_items if i.id not in skip and i.still_open]
    if not items:
        return None
    phones: list[str] = []
    parts = []
    for item in items:
        for _, phone in item.stewards:
            if phone not in phones:
                phones.append(phone)
        parts.append(f"#{item.id}（{item.alley}）")
    text = f"以下诉求已超期，请尽快办理：{'、'.join(parts)}"
    return text, phones


def plain_text(report: Report) -> str:
    """What `flask --app app report --dry-run` prints: the markdown without its markup."""
    import re

    text = markdown(report)
    text = re.sub(r"</?font[^>]*>", "", text)
    return text.replace("**", "").replace("## ", "").replace("> ", "")
