"""The item lists with their filters, written once for the console and the API.

`issue_list` is the 诉求 list of `GET /api/v1/issues` and of the console's 诉求 page;
`wish_list` the 微心愿 list of `GET /api/v1/wishes` and of the console's 微心愿 page. A front
end parses its own input (query string, form) into `IssueFilters` / `WishFilters` and pages
or counts the query it gets back; none builds a WHERE clause of its own, so a filter means
the same thing everywhere. Where a filter names a queue of what is waiting (`overdue`,
`visibility=held`, `status=escalated`, `scope=assigned` with `status=open`), its condition is
the queue's own (`core.items.queues`), so a list and a to-do never disagree.

Both lists are newest first (created, then id). Scopes:

- issues: `mine` (what the caller reported or follows), `assigned` (assigned to the caller's
  steward records), `area` (what the caller may see by area);
- wishes: `wall` (published, for anyone), `mine` (submitted by the caller), `claimed` (claimed
  by the caller), `area` (what the caller may see by area).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import JOIN

from core.items import queues
from core.items.issues import reported_or_followed
from core.items.wishes import PUBLIC_STATUSES
from core.people.permissions import Principal
from infra.timeutil import local_midnight_utc, utcnow
from models import ISSUE_OPEN, Area, Issue, Wish

TEXT_MAX = 50  # a search longer than any number or phrase worth matching is cut


@dataclass(frozen=True)
class IssueFilters:
    """What an issue list may be narrowed by; None leaves a filter out."""

    scope: str = "area"  # mine | assigned | unit | area
    status: str | None = None  # one status, or "open" for every open one
    overdue: bool | None = None  # True: the overdue queue; False: everything else
    visibility: str | None = None  # "held": the moderation queue; else the column's value
    within: Area | None = None  # an area inside the caller's scope (and its subtree)
    alley_id: int | None = None
    category: str | None = None
    steward_id: int | None = None  # assigned to this steward
    unit_id: int | None = None  # whistled to this handling unit (core.units)
    created_from: date | None = None  # local days, both included
    created_to: date | None = None
    text: str | None = None  # in the number or the content


@dataclass(frozen=True)
class WishFilters:
    """What a wish list may be narrowed by; None leaves a filter out."""

    scope: str = "area"  # wall | mine | claimed | area
    status: str | None = None
    community_id: int | None = None  # an area (and its subtree), of any kind
    alley_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    text: str | None = None  # in the number, the title or the content


# What a row of the console's 诉求 and 微心愿 lists shows (besides its alley's name): a page's
# rows built whole — JSON columns, phones, locations — cost a street's 诉求 list more than
# twice the Python of these (2.4 → 1.0 ms for thirty rows on PostgreSQL, issue 28).
ISSUE_ROW = (
    Issue.id,
    Issue.number,
    Issue.category,
    Issue.source,
    Issue.content,
    Issue.status,
    Issue.visibility,
    Issue.deadline,
    Issue.created_at,
)
WISH_ROW = (Wish.id, Wish.number, Wish.title, Wish.content, Wish.status, Wish.created_at)


def list_rows(query, fields: tuple):
    """`query` (an `issue_list` or `wish_list`) reading only `fields` of each row and its
    alley's id and name: for a page that shows a list, never for one that presents an item."""
    return query.select(*fields, Area.id, Area.name)


def _period(query, column, first: date | None, last: date | None):
    if first is not None:
        query = query.where(column >= local_midnight_utc(first))
    if last is not None:
        query = query.where(column < local_midnight_utc(last + timedelta(days=1)))
    return query


def issue_list(p: Principal, f: IssueFilters, now: datetime | None = None):
    """The issues of `f.scope` as `p` may see them, narrowed by `f`, newest first. Each row
    comes with its alley (the lists show its name): no query per issue."""
    q = Issue.select(Issue, Area).join(Area, JOIN.INNER, on=(Issue.alley == Area.id), attr="alley")
    if f.scope == "mine":
        q = q.where(reported_or_followed(p.user))
    elif f.scope == "assigned":
        q = q.where(queues.assigned_to(s.id for s in p.stewards))
    elif f.scope == "unit":  # what is whistled to the caller's units (core.units)
        q = q.where(Issue.department.in_(sorted(p.unit_ids) or [0]))
    else:
        q = q.where(p.area_condition(Area))
    if f.within is not None:
        p.require_manage(f.within)  # 403: narrowing to an area is for those who manage it
        q = q.where(Area.path.startswith(f.within.path))
    if f.status == "open":
        q = q.where(Issue.status.in_(ISSUE_OPEN))
    elif f.status:
        q = q.where(Issue.status == f.status)
    if f.overdue is not None:
        late = queues.overdue_condition(now or utcnow())
        q = q.where(late if f.overdue else ~late)
    if f.visibility == "held":
        q = q.where(queues.held_condition())
    elif f.visibility:
        q = q.where(Issue.visibility == f.visibility)
    if f.alley_id is not None:
        q = q.where(Issue.alley == f.alley_id)
    if f.category:
        q = q.where(Issue.category == f.category)
    if f.steward_id is not None:
        q = q.where(queues.assigned_to([f.steward_id]))
    if f.unit_id is not None:
        q = q.where(Issue.department == f.unit_id)
    q = _period(q, Issue.created_at, f.created_from, f.created_to)
    text = (f.text or "").strip()[:TEXT_MAX]
    if text:
        q = q.where(Issue.number.contains(text) | Issue.content.contains(text))
    return q.order_by(Issue.created_at.desc(), Issue.id.desc())


def wish_list(p: Principal, f: WishFilters):
    """The wishes of `f.scope` as `p` may see them, narrowed by `f`, newest first. Each row
    comes with its alley (the views read it): no query per wish."""
    q = Wish.select(Wish, Area).join(Area, JOIN.INNER, on=(Wish.alley == Area.id), attr="alley")
    if f.scope == "wall":
        q = q.where(Wish.status.in_(PUBLIC_STATUSES))
    elif f.scope == "mine":
        q = q.where(Wish.author == p.user)
    elif f.scope == "claimed":
        q = q.where(Wish.claimer == p.user)
    else:
        q = q.where(p.area_condition(Area))
    if f.community_id is not None:
        # Only narrows what the scope already allows (the wall of a community is public).
        community = Area.get_or_none(Area.id == f.community_id)
        q = q.where(Area.path.startswith(community.path) if community else Area.id < 0)
    if f.status:
        q = q.where(Wish.status == f.status)
    if f.alley_id is not None:
        q = q.where(Wish.alley == f.alley_id)
    q = _period(q, Wish.created_at, f.created_from, f.created_to)
    text = (f.text or "").strip()[:TEXT_MAX]
    if text:
        q = q.where(
            Wish.number.contains(text) | Wish.title.contains(text) | Wish.content.contains(text)
        )
    return q.order_by(Wish.created_at.desc(), Wish.id.desc())
