"""Staff adjustments (人工加减分) and their second pair of eyes (maker-checker).

* Nobody adjusts their own passbook (403 `own_passbook`), through any of their identities
  (`core.people.identity`: the console login, the WeChat user bound to the same staff account,
  their steward record).
* An adjustment up to `POINTS_APPROVAL_THRESHOLD` points either way is posted at once.
* A larger one is a pending `PointAdjustment`: it counts in no balance and cannot be spent.
  A second staff member of the passbook's community (or the street above it) — neither the
  maker nor the holder — approves it: its entry is posted then, carrying both names (`actor`
  the maker, `approved_by` the approver). Or someone refuses it with a reason (the maker may
  withdraw their own this way; the holder may not refuse it). One decision wins: the decision
  is a conditional UPDATE on `status = 'pending'`.

What waits for a staff member (`awaiting`) is counted on the console's dashboard and listed in
the bot's 待办, so the approver is told; the API lists adjustments with `list_query`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from core import audit
from core.people import identity
from core.people.permissions import Principal, compiled_scope_condition, subtree_pattern
from core.timebank import passbook, postings, rules
from infra import text
from infra.db import Param, count_or_rows, write_transaction
from infra.errors import bad_request, conflict, forbidden, not_found
from infra.timeutil import iso, utcnow
from models import Area, PointAccount, PointAdjustment, PointEntry, User

MAX_UNITS = passbook.MAX_UNITS
MAX_FREE_POINTS = passbook.MAX_FREE_POINTS
REASON_MAX = passbook.REASON_MAX
STATUS_LABELS = {"pending": "待审核", "approved": "已通过", "refused": "已驳回"}


@dataclass(frozen=True)
class Adjusted:
    """What `adjust` did: an entry counted now, or an adjustment waiting for approval."""

    entry: PointEntry | None = None
    pending: PointAdjustment | None = None


def threshold() -> int:
    """The largest adjustment (in points, either way) that counts without a second approval."""
    return int(current_app.config["POINTS_APPROVAL_THRESHOLD"])


def refuse_own(p: Principal, account: PointAccount, message: str) -> None:
    """403 `own_passbook` when the passbook is held by the person behind `p`."""
    if passbook.is_own(p, account):
        raise forbidden(message, code="own_passbook")


def _amount(rule: rules.Rule, units: int, points: int | None) -> tuple[int, int]:
    """(points, units) of a manual entry, or a 400 naming the field."""
    if rule.code == "adjustment":
        if not points or abs(points) > MAX_FREE_POINTS:
            raise bad_request(
                f"请填写调整分值（非零，绝对值不超过 {MAX_FREE_POINTS}）",
                {"points": f"须为非零整数，绝对值不超过 {MAX_FREE_POINTS}"},
            )
        return points, 1
    if points is not None and points != rule.points * units:
        raise bad_request(
            "该规则的分值是固定的，请只填写数量",
            {"points": f"“{rule.label}”每{rule.unit} {rule.points:+d} 分，不能改"},
        )
    if rule.points == 0:
        raise bad_request("该规则已停用", {"rule": "该规则已停用"})
    if not 1 <= units <= MAX_UNITS:
        raise bad_request("数量有误", {"units": f"须在 1 至 {MAX_UNITS} 之间"})
    return rule.points * units, units


def adjust(
    p: Principal,
    account: PointAccount,
    *,
    rule: str,
    reason: str,
    units: int = 1,
    points: int | None = None,
) -> Adjusted:
    """A manual entry (人工加减分). A catalogue rule gives its points per unit × `units`;
    the free `adjustment` takes `points` (non-zero). The reason is required; a deduction may
    take the balance below zero (a correction must be exact). Above the approval threshold
    the adjustment waits for a second staff member (`approve`)."""
    p.require_manage(Area.get_by_id(account.community_id))
    refuse_own(p, account, "不能给自己的存折加减分，请由其他工作人员办理")
    chosen = rules.get(rule)
    if not chosen.manual:
        raise bad_request("该规则由系统自动记分，不能手工选择", {"rule": "请选择可手工记分的规则"})
    reason = (reason or "").strip()
    if not reason:
        raise bad_request("请写明加减分原因", {"reason": "请写明加减分原因"})
    amount, units = _amount(chosen, units, points)
    data = {"rule": chosen.code, "units": units, "points": amount, "reason": reason}
    with write_transaction():
        if abs(amount) > threshold():
            pending = PointAdjustment.create(
                account=account.id,
                rule=chosen.code,
                units=units,
                points=amount,
                reason=reason[:REASON_MAX],
                made_by=p.user,
                made_by_label=audit.actor_label(p.user),
            )
            audit.record(
                "points.adjust_request",
                "point_account",
                account.id,
                actor=p.user,
                area=account.community_id,
                data={**data, "adjustment_id": pending.id, "threshold": threshold()},
            )
            return Adjusted(pending=pending)
        entry = postings.post(
            account,
            amount,
            rule=chosen.code,
            source_type="adjustment",
            reason=reason[:REASON_MAX],
            floor="allow",
            actor=p.user,
        )
        audit.record(
            "points.adjust",
            "point_account",
            account.id,
            actor=p.user,
            area=account.community_id,
            data={**data, "entry_id": entry.id},
        )
    return Adjusted(entry=entry)


# --- deciding --------------------------------------------------------------------------------


def _in_scope(p: Principal, adjustment_id: int) -> tuple[PointAdjustment, PointAccount]:
    adjustment = PointAdjustment.get_or_none(PointAdjustment.id == adjustment_id)
    if adjustment is None:
        raise not_found("找不到该积分调整", code="adjustment_not_found")
    account = PointAccount.get_by_id(adjustment.account_id)
    p.require_manage(Area.get_by_id(account.community_id))
    return adjustment, account


def _decided(adjustment: PointAdjustment):
    current = PointAdjustment.get_by_id(adjustment.id)
    who = f"（{current.decided_by_label}）" if current.decided_by_label else ""
    return conflict(
        "already_decided", f"该积分调整{STATUS_LABELS.get(current.status, '已处理')}{who}"
    )


def approve(p: Principal, adjustment_id: int) -> PointAdjustment:
    """A second staff member lets a pending adjustment count: its entry is posted now, with
    the maker as its actor and the approver beside them."""
    adjustment, account = _in_scope(p, adjustment_id)
    refuse_own(p, account, "不能审核自己存折的积分调整，须由其他工作人员审核")
    if identity.person_of(p).is_user(adjustment.made_by_id):
        raise forbidden("不能审核自己提交的积分调整，须由另一位工作人员审核", code="own_adjustment")
    now = utcnow()
    with write_transaction():
        won = (
            PointAdjustment.update(
                status="approved",
                decided_by=p.user,
                decided_by_label=audit.actor_label(p.user),
                decided_at=now,
            )
            .where((PointAdjustment.id == adjustment.id) & (PointAdjustment.status == "pending"))
            .execute()
        )
        if won != 1:
            raise _decided(adjustment)
        maker = User.get_or_none(User.id == adjustment.made_by_id)
        entry = postings.post(
            account,
            adjustment.points,
            rule=adjustment.rule,
            source_type="adjustment",
            source_id=adjustment.id,
            reason=adjustment.reason,
            floor="allow",
            actor=maker,
            label=adjustment.made_by_label or None,
            approved_by=p.user,
        )
        PointAdjustment.update(entry=entry.id).where(PointAdjustment.id == adjustment.id).execute()
        audit.record(
            "points.adjust_approve",
            "point_account",
            account.id,
            actor=p.user,
            area=account.community_id,
            data={
                "adjustment_id": adjustment.id,
                "entry_id": entry.id,
                "points": adjustment.points,
                "rule": adjustment.rule,
                "made_by": adjustment.made_by_label,
            },
        )
    return PointAdjustment.get_by_id(adjustment.id)


def refuse(p: Principal, adjustment_id: int, reason: str) -> PointAdjustment:
    """Turn a pending adjustment down with a reason: nothing is posted. Its maker may withdraw
    it this way; the passbook's holder may not refuse it."""
    reason = text.normalise(reason or "")
    if not reason:
        raise bad_request("原因：请写明驳回原因", {"reason": "请写明驳回原因"})
    adjustment, account = _in_scope(p, adjustment_id)
    refuse_own(p, account, "不能审核自己存折的积分调整，须由其他工作人员审核")
    with write_transaction():
        won = (
            PointAdjustment.update(
                status="refused",
                decided_by=p.user,
                decided_by_label=audit.actor_label(p.user),
                decided_at=utcnow(),
                refuse_reason=reason[:REASON_MAX],
            )
            .where((PointAdjustment.id == adjustment.id) & (PointAdjustment.status == "pending"))
            .execute()
        )
        if won != 1:
            raise _decided(adjustment)
        audit.record(
            "points.adjust_refuse",
            "point_account",
            account.id,
            actor=p.user,
            area=account.community_id,
            data={
                "adjustment_id": adjustment.id,
                "points": adjustment.points,
                "reason": reason,
                "made_by": adjustment.made_by_label,
            },
        )
    return PointAdjustment.get_by_id(adjustment.id)


# --- reading ---------------------------------------------------------------------------------


def list_query(
    p: Principal,
    *,
    status: str | None = None,
    community_id: int | None = None,
    area: Area | None = None,
):
    """Adjustments of passbooks in the viewer's scope (optionally one community's, or an
    area's), newest first."""
    within = subtree_pattern(area) if area is not None else None
    return _list_select(p.roots_condition(Area), status, community_id, within)


def _list_select(scope, status, community_id, within):
    """`list_query` written once for the query and its compiled form: each filter a value, a
    parameter standing for one, or None (`within`: the area's `subtree_pattern`)."""
    query = (
        PointAdjustment.select(PointAdjustment, PointAccount)
        .join(PointAccount)
        .join(Area, on=(PointAccount.community == Area.id))
        .where(scope)
    )
    if status is not None:
        query = query.where(PointAdjustment.status == status)
    if community_id is not None:
        query = query.where(PointAccount.community == community_id)
    if within is not None:
        query = query.where(Area.path**within)
    return query.order_by(PointAdjustment.created_at.desc(), PointAdjustment.id.desc())


def awaiting(
    p: Principal,
    area: Area | None = None,
    community_id: int | None = None,
    status: str = "pending",
):
    """Pending adjustments `p` may approve: in scope, neither made by them nor on their own
    passbook (the staff to-do). Any other `status` matches nothing (nothing else waits)."""
    person = identity.person_of(p)
    query = list_query(p, status=status, area=area, community_id=community_id)
    return _not_theirs(query, sorted(person.user_ids) or None, sorted(person.steward_ids) or None)


def _not_theirs(query, users, stewards):
    """Neither made by nor on the passbook of one of `users`, nor on one of `stewards`'
    passbooks (lists of ids, parameters standing for them, or None for none)."""
    if users is not None:
        query = query.where(
            (PointAdjustment.made_by.is_null() | PointAdjustment.made_by.not_in(users))
            & (PointAccount.user.is_null() | PointAccount.user.not_in(users))
        )
    if stewards is not None:
        query = query.where(PointAccount.steward.is_null() | PointAccount.steward.not_in(stewards))
    return query


def _compiled_awaiting(roots: int, users: bool, stewards: bool, take):
    query = _list_select(
        compiled_scope_condition(Area, (roots, False)), "pending", None, Param("within")
    )
    query = _not_theirs(
        query,
        Param("users", many=True) if users else None,
        Param("stewards", many=True) if stewards else None,
    )
    return count_or_rows(query, take)


# The 首页's 待您审核的积分调整 on every request: compiled once per number of the viewer's
# roots, whether the person has user ids and steward records, and what is read.
_AWAITING = identity.awaiting_family(_compiled_awaiting)


def awaiting_within(
    p: Principal, area: Area, person: identity.Person | None = None
) -> tuple[int, PointAdjustment | None]:
    """How many pending adjustments within `area` wait for `p` (as `awaiting(p, area)`), and
    the newest of them (with its passbook) or None. `person`: `identity.person_of(p)`, when
    the caller has it already."""
    person = person or identity.person_of(p)
    return identity.awaiting_within(_AWAITING, p, area, person)


def as_dict(adjustment: PointAdjustment, person: identity.Person | None = None) -> dict:
    """An adjustment as staff read it; with `person` (the viewer), what they may do with it."""
    account = adjustment.account  # joined by `list_query`
    catalogue = rules.catalogue()
    rule = catalogue.get(adjustment.rule)
    pending = adjustment.status == "pending"
    own_book = person is not None and person.holds(
        user_id=account.user_id, steward_id=account.steward_id
    )
    made_it = person is not None and person.is_user(adjustment.made_by_id)
    book = passbook.account_dict(account)
    return {
        "id": adjustment.id,
        "account_id": account.id,
        "member_code": account.member_code,
        "community_id": book["community_id"],
        "community_name": book["community_name"],
        "holder": book["holder"],
        "balance": account.balance,
        "rule": adjustment.rule,
        "rule_label": rule.label if rule else adjustment.rule,
        "units": adjustment.units,
        "points": adjustment.points,
        "reason": adjustment.reason,
        "status": adjustment.status,
        "status_label": STATUS_LABELS.get(adjustment.status, adjustment.status),
        "made_by": adjustment.made_by_label,
        "made_at": iso(adjustment.created_at),
        "decided_by": adjustment.decided_by_label or None,
        "decided_at": iso(adjustment.decided_at),
        "refuse_reason": adjustment.refuse_reason or None,
        "entry_id": adjustment.entry_id,
        "can_approve": person is not None and pending and not own_book and not made_it,
        "can_refuse": person is not None and pending and not own_book,
    }
