"""The stewards as staff manage them: the directory (search, filters, paging), one steward's
page (alleys, items, patrols, households, points, bind status, history) and the two changes
the page makes besides 离任 (`core.people.auth.dismiss_steward`):

* `unbind` — 解绑: the steward's WeChat and WeCom identities are let go (a lost phone, a
  wrong person bound); their sessions end at once; one winner when two staff press it;
* `new_bind_code` — 重新生成绑定码: any earlier unused code stops working, a new one is issued.

Both audited with the person who did it. Scope: a steward is managed by the staff whose area
covers one of their alleys (`Principal.can_manage_steward`); outside that a steward does not
exist (404).
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import OP, Expression, Value, fn

from core import audit
from core.people import auth
from core.people.permissions import Principal
from infra.db import write_transaction
from infra.errors import bad_request, conflict, not_found
from infra.timeutil import utcnow
from models import (
    ISSUE_OPEN,
    STEWARD_POSTS,
    Area,
    BindCode,
    Event,
    Issue,
    IssueAssignee,
    Patrol,
    PointAccount,
    RoleGrant,
    Steward,
    StewardAlley,
)
from models.households import Household

PER_PAGE = 50
REASON_MAX = 200
BIND_FILTERS = ("bound", "unbound")

# What the history on a steward's page calls each audited action.
HISTORY_LABELS = {
    "steward.create": "登记",
    "steward.update": "修改",
    "steward.bind": "绑定微信",
    "steward.link_wecom": "关联企业微信",
    "steward.unbind": "解绑",
    "steward.dismiss": "离任",
    "bind_code.issue": "生成绑定码",
    "bind_code.revoke": "作废绑定码",
}


@dataclass
class Filters:
    text: str | None = None  # name or phone, a part of either
    grid_id: int | None = None
    alley_id: int | None = None
    bound: str | None = None  # one of BIND_FILTERS
    post: str | None = None  # one of STEWARD_POSTS
    active: bool | None = True  # None: serving and dismissed alike


def in_scope(p: Principal, steward_id: int) -> Steward:
    steward = Steward.get_or_none(Steward.id == steward_id)
    if steward is None or not p.can_manage_steward(steward):
        raise not_found("找不到该管家", code="steward_not_found")
    return steward


def _scope(p: Principal, under: Area | None = None):
    """Ids of the stewards with an alley in the viewer's scope (and under `under`)."""
    parts = [Area.path.startswith(root.path) for root in p.area_roots]
    cond = parts[0] if parts else (Area.id < 0)
    for extra in parts[1:]:
        cond = cond | extra
    if under is not None:
        cond = cond & Area.path.startswith(under.path)
    return (
        StewardAlley.select(StewardAlley.steward)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(cond)
    )


def directory(p: Principal, f: Filters):
    """The stewards `p` manages matching `f`, serving first, then by name (a query: the page
    counts and slices it). An area filter outside the viewer's scope matches nobody."""
    under = None
    for area_id in (f.alley_id, f.grid_id):
        if area_id is not None:
            under = Area.get_or_none(Area.id == area_id)
            if under is None or not p.can_manage(under):
                return Steward.select().where(Steward.id < 0)
            break
    query = Steward.select().where(Steward.id.in_(_scope(p, under)))
    if f.text:
        words = f.text.replace(" ", "")
        query = query.where(Steward.name.contains(words) | Steward.phone.contains(words))
    if f.bound == "bound":
        query = query.where(Steward.user.is_null(False) | Steward.wecom_userid.is_null(False))
    elif f.bound == "unbound":
        query = query.where(Steward.user.is_null() & Steward.wecom_userid.is_null())
    if f.post in STEWARD_POSTS:
        # posts is a JSON list of short words: its text holds the post in quotes (compared as
        # text: the JSON field would encode the pattern itself; a post has no wildcards)
        pattern = Value(f'%"{f.post}"%', converter=False)
        query = query.where(Expression(Steward.posts, OP.ILIKE, pattern))
    if f.active is not None:
        query = query.where(Steward.active == f.active)
    return query.order_by(Steward.active.desc(), Steward.name, Steward.id)


def directory_page(p: Principal, f: Filters, page: int, per_page: int = PER_PAGE):
    """Page `page` (from 1) of `directory(p, f)` and how many match in all. The page's ids are
    found with the count riding on them as a window, then its rows read by id: carrying a
    street's 5,000 whole rows through the window and the sort cost SQLite half as much again.
    Only a page past the end, which has no row to carry the count, counts on its own."""
    query = directory(p, f)
    found = list(
        query.select(Steward.id, fn.COUNT(Steward.id).over()).paginate(page, per_page).tuples()
    )
    if not found:
        return (query.order_by().count() if page > 1 else 0), []
    return found[0][1], in_order([steward_id for steward_id, _ in found])


def directory_ids(p: Principal, f: Filters) -> list[int]:
    """Every id `directory(p, f)` matches, in its order: for a list that keeps the order of a
    wide scope and pages through it (`in_order` reads a page's rows)."""
    return [row[0] for row in directory(p, f).select(Steward.id).tuples()]


def in_order(steward_ids: list[int]) -> list[Steward]:
    """The stewards of `steward_ids`, in that order (one read by primary key)."""
    if not steward_ids:
        return []
    rows = {s.id: s for s in Steward.select().where(Steward.id.in_(steward_ids))}
    return [rows[i] for i in steward_ids if i in rows]


def alley_names_of(steward_ids: list[int]) -> dict[int, list[str]]:
    """Each steward's alleys by name, in the areas' order: what a list of stewards shows.
    Read as tuples — no model object per link and alley for a page of fifty stewards."""
    out: dict[int, list[str]] = {}
    if not steward_ids:
        return out
    links = (
        StewardAlley.select(StewardAlley.steward, Area.name)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(StewardAlley.steward.in_(steward_ids))
        .order_by(Area.path)
        .tuples()
    )
    for steward_id, name in links:
        out.setdefault(steward_id, []).append(name)
    return out


def alleys_of(steward_ids: list[int]) -> dict[int, list[Area]]:
    out: dict[int, list[Area]] = {}
    if not steward_ids:
        return out
    for link in (
        StewardAlley.select(StewardAlley, Area)
        .join(Area, on=(StewardAlley.alley == Area.id))
        .where(StewardAlley.steward.in_(steward_ids))
        .order_by(Area.path)
    ):
        out.setdefault(link.steward_id, []).append(link.alley)
    return out


def pending_code(steward: Steward) -> BindCode | None:
    """The steward's live bind code (unused, not expired), the newest."""
    return (
        BindCode.select()
        .where(
            (BindCode.steward == steward.id)
            & BindCode.used_at.is_null()
            & (BindCode.expires_at > utcnow())
        )
        .order_by(BindCode.created_at.desc())
        .first()
    )


def profile(p: Principal, steward: Steward) -> dict:
    """What the steward's page shows. Households are counted, not opened (their cards are
    private and read on their own pages, audited there)."""
    open_items = list(
        Issue.select(Issue, Area)
        .join(IssueAssignee, on=(IssueAssignee.issue == Issue.id))
        .switch(Issue)
        .join(Area, on=(Issue.alley == Area.id))
        .where((IssueAssignee.steward == steward.id) & Issue.status.in_(ISSUE_OPEN))
        .order_by(Issue.deadline)
        .limit(20)
    )
    done_items = list(
        Issue.select(Issue, Area)
        .join(Area, on=(Issue.alley == Area.id))
        .where(Issue.resolved_by == steward.id)
        .order_by(Issue.resolved_at.desc())
        .limit(10)
    )
    resolved_count = Issue.select().where(Issue.resolved_by == steward.id).count()
    patrols = list(
        Patrol.select(Patrol, Area)
        .join(Area, on=(Patrol.alley == Area.id))
        .where(Patrol.steward == steward.id)
        .order_by(Patrol.created_at.desc())
        .limit(10)
    )
    patrol_count = Patrol.select().where(Patrol.steward == steward.id).count()
    households = (
        Household.select(fn.COUNT(Household.id))
        .where((Household.steward == steward.id) & Household.active)
        .scalar()
    )
    accounts = list(
        PointAccount.select(PointAccount, Area)
        .join(Area, on=(PointAccount.community == Area.id))
        .where(PointAccount.steward == steward.id)
    )
    history = list(
        Event.select()
        .where((Event.subject_type == "steward") & (Event.subject_id == steward.id))
        .order_by(Event.at.desc(), Event.id.desc())
        .limit(50)
    )
    return {
        "alleys": alleys_of([steward.id]).get(steward.id, []),
        "open_items": open_items,
        "done_items": done_items,
        "resolved_count": resolved_count,
        "patrols": patrols,
        "patrol_count": patrol_count,
        "households": households or 0,
        "accounts": [a for a in accounts if p.can_manage(a.community)],
        "code": pending_code(steward),
        "history": [
            {
                "at": e.at,
                "label": HISTORY_LABELS.get(e.action, e.action),
                "actor": e.actor_label,
                "reason": (e.data or {}).get("reason", ""),
            }
            for e in history
        ],
    }


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise bad_request("请填写原因", {"reason": "请填写原因"})
    if len(reason) > REASON_MAX:
        raise bad_request(f"原因最多 {REASON_MAX} 个字", {"reason": f"最多 {REASON_MAX} 个字"})
    return reason


def unbind(p: Principal, steward: Steward, reason: str) -> None:
    """解绑: the steward's WeChat user and WeCom id are let go, their role grants end and every
    session of the old identity stops at once; they bind again with a new code. 409 when
    nothing is bound (also for the second of two staff pressing it at once)."""
    reason = _reason(reason)
    with write_transaction():
        changed = (
            Steward.update(user=None, wecom_userid=None, updated_at=utcnow())
            .where(
                (Steward.id == steward.id)
                & (Steward.user.is_null(False) | Steward.wecom_userid.is_null(False))
            )
            .execute()
        )
        if changed != 1:
            raise conflict("not_bound", f"{steward.name} 当前没有绑定微信或企业微信")
        grants = list(
            RoleGrant.select().where(
                (RoleGrant.steward == steward.id) & RoleGrant.revoked_at.is_null()
            )
        )
        RoleGrant.update(revoked_at=utcnow()).where(
            RoleGrant.id.in_([g.id for g in grants])
        ).execute()
        for grant in grants:
            auth.revoke_user_tokens(grant.user)
        audit.record(
            "steward.unbind",
            "steward",
            steward.id,
            actor=p.user,
            data={
                "reason": reason,
                "user_id": steward.user_id,
                "wecom_userid": steward.wecom_userid,
            },
        )


def new_bind_code(p: Principal, steward: Steward):
    """重新生成绑定码: earlier unused codes of the steward stop working; returns (code,
    expires_at) of the new one. 409 for a dismissed steward."""
    if not steward.active:
        raise conflict("steward_dismissed", f"{steward.name} 已离任，不能发放绑定码")
    label = f"{p.user.nickname or '工作人员'}(用户{p.user.id})"
    with write_transaction():
        revoked = (
            BindCode.update(expires_at=utcnow())
            .where(
                (BindCode.steward == steward.id)
                & BindCode.used_at.is_null()
                & (BindCode.expires_at > utcnow())
            )
            .execute()
        )
        if revoked:
            audit.record(
                "bind_code.revoke", "steward", steward.id, actor=p.user, data={"count": revoked}
            )
        return auth.issue_bind_code(steward=steward, issued_by=label, actor=p.user)
