"""一人一策: a care plan per household (or member) for one of the four groups — the plan, the
volunteer paired, how often someone must visit — and the plans whose visit is overdue.

The paired volunteer is stored as a user id (when they have one) and a name and phone, so a
plan can be written before the volunteer directory knows them. Plans are written by staff and
by the household's own steward (who knows the family best); both are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core import audit
from core.households import access, due
from core.people import phones
from core.people.permissions import Principal, subtree_pattern
from infra import text
from infra.db import Param, PreparedFamily, count_or_rows, write_transaction
from infra.errors import bad_request, not_found
from infra.timeutil import utcnow
from models import Area, CarePlan, Household, Steward, User
from models.households import PLAN_GROUPS

MIN_INTERVAL, MAX_INTERVAL = 1, 365
LABELS = {
    "group": "帮扶类别",
    "plan": "帮扶措施",
    "member_name": "帮扶对象",
    "volunteer_user_id": "结对志愿者",
    "volunteer_name": "结对志愿者姓名",
    "volunteer_phone": "结对志愿者电话",
    "interval_days": "走访周期（天）",
    "active": "是否执行中",
}


def _bad(field: str, reason: str):
    return bad_request(f"{LABELS[field]}：{reason}", {field: reason})


def check_plan(household: Household, data: dict, partial: bool = False) -> dict:
    out: dict = {}
    if not partial or "group" in data:
        group = text.normalise(str(data.get("group") or ""))
        if group not in PLAN_GROUPS:
            raise _bad("group", f"须为 {'、'.join(PLAN_GROUPS)} 之一")
        out["group"] = group
    if not partial or "plan" in data:
        plan = text.normalise(str(data.get("plan") or ""))
        if not plan:
            raise _bad("plan", "不能为空")
        if len(plan) > 2000:
            raise _bad("plan", "最多 2000 个字")
        out["plan"] = plan
    if not partial or "member_name" in data:
        name = text.normalise(str(data.get("member_name") or ""))
        names = {household.head_name} | {m["name"] for m in household.members or []}
        if name and name not in names:
            raise _bad("member_name", "须为户主或该户登记的成员")
        out["member_name"] = name
    if not partial or "interval_days" in data:
        raw = data.get("interval_days")
        try:
            days = int(raw)
        except (TypeError, ValueError):
            raise _bad("interval_days", "须为整数") from None
        if isinstance(raw, bool) or not MIN_INTERVAL <= days <= MAX_INTERVAL:
            raise _bad("interval_days", f"须在 {MIN_INTERVAL} 到 {MAX_INTERVAL} 之间")
        out["interval_days"] = days
    if not partial or "volunteer_user_id" in data:
        raw = data.get("volunteer_user_id")
        user = None
        if raw not in (None, ""):
            try:
                user = User.get_or_none(User.id == int(raw))
            except (TypeError, ValueError):
                user = None
            if user is None:
                raise _bad("volunteer_user_id", "用户不存在")
        out["volunteer_user"] = user
    if not partial or "volunteer_name" in data:
        name = text.normalise(str(data.get("volunteer_name") or ""))
        if len(name) > 50:
            raise _bad("volunteer_name", "最多 50 个字")
        out["volunteer_name"] = name
    if not partial or "volunteer_phone" in data:
        try:
            out["volunteer_phone"] = phones.contact(str(data.get("volunteer_phone") or ""))
        except ValueError as exc:
            raise _bad("volunteer_phone", str(exc)) from None
    if "active" in data:
        if not isinstance(data["active"], bool):
            raise _bad("active", "须为是或否")
        out["active"] = data["active"]
    if out.get("volunteer_user") is not None and not out.get("volunteer_name", "x"):
        out["volunteer_name"] = out["volunteer_user"].nickname or f"用户{out['volunteer_user'].id}"
    return out


def create(p: Principal, household_id: int, data: dict) -> CarePlan:
    household = access.load(p, household_id)
    fields = check_plan(household, data)
    now = utcnow()
    with write_transaction():
        plan = CarePlan.create(
            household=household,
            created_at=now,
            updated_at=now,
            due_at=now + timedelta(days=fields["interval_days"]),
            **fields,
        )
        due.refresh(household)
        audit.record(
            "household.plan_create",
            "household",
            household.id,
            actor=p.user,
            area=household.alley_id,
            data={"plan_id": plan.id, "group": plan.group},
        )
    return CarePlan.get_by_id(plan.id)


def update(p: Principal, plan_id: int, data: dict) -> CarePlan:
    plan = CarePlan.get_or_none(CarePlan.id == plan_id)
    if plan is None:
        raise not_found("找不到该帮扶计划", code="plan_not_found")
    household = access.load(p, plan.household_id)
    fields = check_plan(household, data, partial=True)
    changed = [k for k, v in fields.items() if getattr(plan, k) != v]
    if not changed:
        return plan
    with write_transaction():
        for key in changed:
            setattr(plan, key, fields[key])
        plan.updated_at = utcnow()
        plan.save()
        due.refresh(household)
        audit.record(
            "household.plan_update",
            "household",
            household.id,
            actor=p.user,
            area=household.alley_id,
            data={"plan_id": plan.id, "fields": sorted(changed)},
        )
    return CarePlan.get_by_id(plan.id)


@dataclass
class StewardOverdue:
    """One steward's households whose visit is overdue, for the group digest (no names:
    the group is shared by every steward of the community)."""

    steward: Steward
    alley_id: int
    community_id: int
    households: int
    most_days: int


def overdue_by_steward(now: datetime | None = None) -> list[StewardOverdue]:
    now = now or utcnow()
    rows = (
        Household.select(Household, Steward)
        .join(Steward, on=(Household.steward == Steward.id))
        .where(Household.active & Steward.active & (Household.visit_due_at < now))
        .order_by(Household.steward, Household.visit_due_at)
    )
    out: dict[int, StewardOverdue] = {}
    for h in rows:
        days = max(1, (now - h.visit_due_at).days)
        entry = out.get(h.steward_id)
        if entry is None:
            out[h.steward_id] = StewardOverdue(h.steward, h.alley_id, h.community_id, 1, days)
        else:
            entry.households += 1
            entry.most_days = max(entry.most_days, days)
    return list(out.values())


def overdue_households(p: Principal, now: datetime | None = None):
    """The overdue households `p` may read (the console's 走访超期 list), the longest overdue
    first, each with its alley and steward."""
    return _overdue_select(access.scoped(p), now or utcnow())


def _overdue_select(scoped, now):
    """The overdue households of `scoped` (`access.scoped`'s query) at `now` (a time, or a
    parameter standing for one): written once for the query and its compiled form."""
    return (
        scoped.switch(Household)
        .join(Steward, on=(Household.steward == Steward.id))
        .select(Household, Area, Steward)
        .where(Household.active & (Household.visit_due_at < now))
        .order_by(Household.visit_due_at)
    )


def _compiled_overdue(key: tuple[int, bool], within: bool, take):
    query = Household.select(Household, Area).join(Area, on=(Household.alley == Area.id))
    condition = access.compiled_scope_condition(key)
    if within:
        condition &= Area.path ** Param("within")
    return count_or_rows(_overdue_select(query.where(condition), Param("now")), take)


# The 首页's 走访超期 (count and first rows) on every request: compiled once per shape of the
# viewer's scope (`access.scope_key`), whether within an area, and what is read.
_OVERDUE = PreparedFamily(
    _compiled_overdue, many=lambda key, within, take: (access.SCOPE_STEWARDS,) if key[1] else ()
)


def overdue_section(
    p: Principal, now: datetime, within: Area | None = None, limit: int = 5
) -> tuple[int, list[Household]]:
    """How many households `p` may read are overdue at `now` (within `within`), and the first
    `limit` of `overdue_households`' order — the same rows, from compiled statements."""
    key = access.scope_key(p)
    values = {**access.scope_values(p), "now": now}
    if within is not None:
        values["within"] = subtree_pattern(within)
    count = _OVERDUE.get(key, within is not None, "count").scalar(**values)
    rows = list(_OVERDUE.get(key, within is not None, limit).rows(**values)) if limit else []
    return count, rows
