"""What is waiting, written once: the staff's to-do and the steward's to-do.

Every front end that says what waits takes it from here — the bot's `待办`, the console's
dashboard (等您处理) and 待办审核 page, the API lists behind the mini program's review,
overdue and to-do pages, and the reminder digest (`jobs.reminders`) — so for one person at
one moment they all give the same counts and the same items.

The staff's queues, over the areas the staff member manages (or one area within them):

- `review` 待审核心愿: wishes waiting for review (`pending_review`), oldest first.
- `held` 待审核公开: reports the content check held back from public pages, on which staff
  have not yet decided (publish or hide), **cancelled ones left out**: a cancelled report is
  never shown publicly, so there is nothing to decide. A held report counts whatever else its
  status is (a resolved one may still be published); oldest first.
- `overdue` 超期: open reports (submitted, accepted, escalated, whistled) whose deadline has
  passed, the longest overdue first. An escalated or whistled report past its deadline is
  also in its own queue below: the queues are views, not a partition.
- `escalated` 已上报: reports a steward escalated to the community, soonest deadline first.
- `whistled` 已吹哨: reports handed to a department (吹哨报到), soonest deadline first.

One more view, on the console's dashboard only (not in `STAFF_QUEUES`, so the bot's 待办 and
the digest keep their five): `unaccepted` 待接单, reports no steward has taken yet
(`submitted`), soonest deadline first (`staff_query("unaccepted", …)`).

The steward's queue, `assigned` 待办: open reports assigned to any of the person's steward
records, soonest deadline first (overdue ones come first by that order). A unit member's:
what is whistled to their unit and not yet closed. `workbench` counts them all for the mini
program's 工作台 tab badges.

Each queue is a condition and an order. `staff_query` / `steward_query` return the query (a
caller counts it, pages it or takes the first few); `staff_todo` / `steward_todo` return each
queue's count with its first rows — the staff's (`staff_section`) from the same queries
compiled once per shape of the viewer's scope, their areas and the time as parameters. The lists' filters that name a queue (`core.items.lists`:
`overdue`, `visibility=held`, `scope=assigned`) use the conditions below, and `due_by` /
`review_waiting_since` are the reminder scan's selections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from peewee import SQL

from core.people.permissions import (
    SCOPE_ALLEYS,
    Principal,
    compiled_scope_condition,
    subtree_pattern,
)
from infra.db import Param, PreparedFamily, count_or_rows
from infra.timeutil import utcnow
from models import ISSUE_OPEN, Area, Issue, IssueAssignee, Wish

STAFF_QUEUES = ("review", "held", "overdue", "escalated", "whistled")
LABELS = {
    "review": "待审核心愿",
    "held": "待审核公开",
    "overdue": "超期",
    "escalated": "已上报",
    "whistled": "已吹哨",
    "assigned": "待办",
    "unaccepted": "待接单",
}


def overdue_condition(now: datetime):
    """Open and past its deadline at `now` (the same rule as `issues.is_overdue`)."""
    return Issue.status.in_(ISSUE_OPEN) & (Issue.deadline < now)


def held_condition():
    """Held back by the content check, not yet decided, not cancelled.

    'held' is written into the SQL, not sent as a parameter: it is the predicate of the
    partial index `issue_held_created_at` (models.partial_indexes), and PostgreSQL plans a
    prepared statement (`infra.db.Prepared`, planned once for any values) with that index
    only when the statement says `visibility = 'held'` itself."""
    return (Issue.visibility == SQL("'held'")) & (Issue.status != "cancelled")


def issue_condition(name: str, now: datetime | None = None):
    """The condition of one staff queue of issues (`held`, `overdue`, `escalated`,
    `whistled`; and the dashboard's `unaccepted`)."""
    if name == "held":
        return held_condition()
    if name == "overdue":
        return overdue_condition(utcnow() if now is None else now)
    if name in ("escalated", "whistled"):
        return Issue.status == name
    if name == "unaccepted":
        return Issue.status == "submitted"
    raise ValueError(f"not an issue queue: {name}")


def assigned_to(steward_ids):
    """Assigned to one of `steward_ids`, whatever the status (ids start at 1: none matches
    nothing)."""
    return Issue.id.in_(
        IssueAssignee.select(IssueAssignee.issue).where(
            IssueAssignee.steward.in_(list(steward_ids) or [0])
        )
    )


def assigned_condition(steward_ids):
    """The steward's queue: open and assigned to one of `steward_ids`."""
    return Issue.status.in_(ISSUE_OPEN) & assigned_to(steward_ids)


def _scope(p: Principal, within: Area | None):
    condition = p.area_condition(Area)
    if within is not None:
        condition &= Area.path.startswith(within.path)
    return condition


def staff_query(name: str, p: Principal, now: datetime | None = None, within: Area | None = None):
    """The rows of one staff queue that `p` manages (within `within`, when given), in the
    queue's order, each with its alley (the pages name it: no query per row). Counted from
    the indexes alone: issue (alley, status, deadline) for the open queues, issue (visibility,
    created_at) for the held one (schema 28)."""
    return _staff_select(name, _scope(p, within), now)


def _staff_select(name: str, scope, now):
    """Each staff queue's query, written once: over `scope` (a condition on the joined
    `Area`) at `now` (a time, None for the present, or a parameter standing for one)."""
    if name == "review":
        return (
            Wish.select(Wish, Area)
            .join(Area, on=(Wish.alley == Area.id), attr="alley")
            .where(scope & (Wish.status == "pending_review"))
            .order_by(Wish.created_at, Wish.id)
        )
    if name == "held":
        # From the held reports to their alleys, never the other way: `alley_id + 0` is no
        # indexed column, so SQLite cannot drive the count from the viewer's areas through
        # every item they ever had (30 s for a street of a million) and starts from the handful
        # held (models.partial_indexes). PostgreSQL plans it the same way either way.
        return (
            Issue.select(Issue, Area)
            .join(Area, on=((Issue.alley + 0) == Area.id), attr="alley")
            .where(scope & held_condition())
            .order_by(Issue.created_at, Issue.id)
        )
    return (
        Issue.select(Issue, Area)
        .join(Area, on=(Issue.alley == Area.id), attr="alley")
        .where(scope & issue_condition(name, now))
        .order_by(Issue.deadline, Issue.id)
    )


def steward_query(p: Principal):
    """The open reports assigned to `p`'s steward records, soonest deadline first."""
    return (
        Issue.select(Issue)
        .where(assigned_condition(s.id for s in p.stewards))
        .order_by(Issue.deadline, Issue.id)
    )


@dataclass
class Section:
    """One queue as a to-do shows it: how many, and the first few in the queue's order."""

    name: str
    count: int
    rows: list = field(default_factory=list)

    @property
    def label(self) -> str:
        return LABELS[self.name]

    @property
    def ids(self) -> list[int]:
        return [r.id for r in self.rows]


def _section(name: str, query, limit: int | None) -> Section:
    if limit is None:
        rows = list(query)
        return Section(name, len(rows), rows)
    return Section(name, query.count(), list(query.limit(limit)) if limit else [])


# The staff queues' counts and first rows as the to-dos read them (the console's 首页 on every
# request: a dozen queries whose SQL peewee took longer to build than SQLite to answer),
# compiled once (`infra.db.Prepared`) per queue, shape of the viewer's scope
# (`Principal.scope_key`), whether within an area, and what is read ("count", "all" rows, or
# the first so many). The viewer's areas, the area and the time are parameters; the query is
# `_staff_select`'s.
def _compiled_select(name: str, key: tuple[int, bool], within: bool, take: str | int):
    scope = compiled_scope_condition(Area, key)
    if within:
        scope &= Area.path ** Param("within")
    return count_or_rows(_staff_select(name, scope, Param("now")), take)


_COMPILED = PreparedFamily(
    _compiled_select, many=lambda name, key, within, take: (SCOPE_ALLEYS,) if key[1] else ()
)


# The 超期 queue's first rows over a broad scope (a street's 8,000 overdue items of a million):
# read from the items' side, each open status in deadline order (index issue (status,
# deadline)), stopping at the first `limit` inside the scope, then merged. Read from the
# areas' side — `_staff_select`'s plan, which PostgreSQL's generic plan for a compiled statement
# takes whatever the scope (it cannot tell a street's pattern from an alley's) — every overdue
# item of the scope is sorted for the first five: 29 ms for a street. Over a narrow scope
# (fewer than BROAD_OVERDUE overdue) the areas' side is the cheaper one: from the items' side
# each status would be walked through the whole district's overdue items to find the few.
BROAD_OVERDUE = 400


def _overdue_first(key, inside: bool, limit: int, values: dict) -> list:
    rows = []
    for status in ISSUE_OPEN:
        rows += _OVERDUE_BY_STATUS.get(key, inside, status, limit).rows(**values)
    rows.sort(key=lambda r: (r.deadline, r.id))
    return rows[:limit]


def _compiled_overdue_by_status(key, within: bool, status: str, limit: int):
    scope = compiled_scope_condition(Area, key)
    if within:
        scope &= Area.path ** Param("within")
    # `alley_id + 0`: no index leads from the areas to the items, so both planners start from
    # issue (status, deadline); the status is written into the SQL so that PostgreSQL plans
    # each status with its own statistics.
    return (
        Issue.select(Issue, Area)
        .join(Area, on=((Issue.alley + 0) == Area.id), attr="alley")
        .where(scope & (Issue.status == SQL(f"'{status}'")) & (Issue.deadline < Param("now")))
        .order_by(Issue.deadline, Issue.id)
        .limit(limit)
    )


_OVERDUE_BY_STATUS = PreparedFamily(
    _compiled_overdue_by_status,
    many=lambda key, within, status, limit: (SCOPE_ALLEYS,) if key[1] else (),
)


def staff_section(
    name: str,
    p: Principal,
    now: datetime | None = None,
    within: Area | None = None,
    limit: int | None = 5,
) -> Section:
    """One staff queue of `p` at `now` (within `within`): its count and first `limit` rows
    (0: the count only; None: every row), as `staff_query` would give them."""
    key = p.scope_key()
    values = p.scope_values()
    values["now"] = now or utcnow()
    if within is not None:
        values["within"] = subtree_pattern(within)
    inside = within is not None
    if limit is None:
        found = list(_COMPILED.get(name, key, inside, "all").rows(**values))
        return Section(name, len(found), found)
    count = _COMPILED.get(name, key, inside, "count").scalar(**values)
    if not limit or not count:
        return Section(name, count, [])
    if name == "overdue" and count >= BROAD_OVERDUE:
        return Section(name, count, _overdue_first(key, inside, limit, values))
    return Section(name, count, list(_COMPILED.get(name, key, inside, limit).rows(**values)))


def staff_todo(
    p: Principal,
    now: datetime | None = None,
    within: Area | None = None,
    limit: int | None = 5,
) -> dict[str, Section]:
    """Every staff queue of `p` at `now`: count and the first `limit` rows (0: counts only;
    None: every row)."""
    now = now or utcnow()
    return {name: staff_section(name, p, now, within, limit) for name in STAFF_QUEUES}


def steward_todo(p: Principal, limit: int | None = 5) -> Section:
    """The steward's queue of `p`: count and the first `limit` rows."""
    return _section("assigned", steward_query(p), limit)


def unit_query(p: Principal):
    """What waits for `p`'s handling units (core.units): whistled to one of them and not yet
    closed, soonest deadline first (the mini program's 本单位待办)."""
    return (
        Issue.select(Issue)
        .where((Issue.status == "whistled") & Issue.department.in_(sorted(p.unit_ids) or [0]))
        .order_by(Issue.deadline, Issue.id)
    )


def workbench(p: Principal, now: datetime | None = None) -> dict[str, int | None]:
    """The counts on the mini program's 工作台 tab: 待办 (the steward's queue and the unit's),
    待审核 (wishes to review and held reports) and 超期 (open reports past their deadline in
    the staff member's areas). A count the person has no role for is None, not 0: a tab
    shows no badge for work that is not theirs."""
    now = now or utcnow()
    steward = steward_query(p).count() if p.stewards else 0
    unit = unit_query(p).count() if p.unit_ids else 0
    todo = steward + unit if (p.stewards or p.unit_ids) else None
    review = overdue = None
    if p.is_staff:
        review = sum(staff_section(name, p, now, limit=0).count for name in ("review", "held"))
        overdue = staff_section("overdue", p, now, limit=0).count
    return {"todo": todo, "review": review, "overdue": overdue}


def due_by(when: datetime):
    """(id, deadline) of every open report due by `when`, across the district: the reminder
    scan's selection (`when` = now + DUE_SOON_HOURS; those past now are the `overdue` queue).
    Ids and deadlines only, over the (status, deadline) index."""
    return (
        Issue.select(Issue.id, Issue.deadline)
        .where(Issue.status.in_(ISSUE_OPEN) & (Issue.deadline <= when))
        .tuples()
    )


def is_past(deadline: datetime, now: datetime) -> bool:
    """Whether a deadline makes an open report overdue at `now` (as `overdue_condition`)."""
    return deadline < now


def review_waiting_since(before: datetime):
    """Wishes of the `review` queue, across the district, submitted before `before`: the
    reminder digest names those that have waited longer than WISH_REVIEW_HOURS."""
    return Wish.select().where((Wish.status == "pending_review") & (Wish.created_at <= before))


def unit_not_checked_in(whistled_before: datetime):
    """Whistled to a unit before `whistled_before` and not yet 报到 (core.units), oldest
    first: what the unit reminders scan."""
    return (
        Issue.select(Issue)
        .where(
            (Issue.status == "whistled")
            & Issue.department.is_null(False)
            & Issue.checked_in_at.is_null()
            & (Issue.whistled_at <= whistled_before)
        )
        .order_by(Issue.whistled_at, Issue.id)
    )


def unit_past_deadline(now: datetime):
    """Whistled to a unit and past its deadline at `now`, the longest overdue first."""
    return (
        Issue.select(Issue)
        .where(
            (Issue.status == "whistled") & Issue.department.is_null(False) & (Issue.deadline < now)
        )
        .order_by(Issue.deadline, Issue.id)
    )
