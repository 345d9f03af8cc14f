"""Passbooks (存折) and their entries: the only place that writes points.

Entries are appended, never changed; a balance is the sum of its account's entries. Every
writer calls `post` inside its own transaction (`infra.db.write_transaction`), so the entry and
the state change that earned it commit together or not at all.

What happens when an entry would take a balance below zero depends on who writes it:
* ``refuse`` — a redemption: 409 `insufficient_points`, nothing written (one conditional
  UPDATE, so two redemptions at once cannot both spend the same points);
* ``clamp`` — a rule's deduction: only what the balance holds is deducted, and the entry's
  reason says so (a passbook never shows a debt for an automatic rule);
* ``allow`` — a reversal or a staff adjustment: a correction must be exact, so the balance may
  go negative until new points arrive (redemptions are refused meanwhile).
"""

from __future__ import annotations

from dataclasses import dataclass

from peewee import IntegrityError, fn

from core import audit
from core.timebank import rules
from infra.codes import normalize, random_code
from infra.db import db, locked
from infra.errors import bad_request, conflict, not_found
from models import Area, PointAccount, PointEntry, Steward, User

SOURCE_TYPES = ("issue", "wish", "activity", "patrol", "redemption", "adjustment")
SOURCE_LABELS = {
    "issue": "诉求",
    "wish": "微心愿",
    "activity": "志愿活动",
    "patrol": "巡查",
    "redemption": "兑换",
    "adjustment": "人工调整",
}
FLOORS = ("refuse", "clamp", "allow")
MEMBER_CODE_LENGTH = 10


@dataclass(frozen=True)
class Holder:
    """Whose passbook: a user, or a steward record (which may have no user yet)."""

    user_id: int | None = None
    steward_id: int | None = None

    def __post_init__(self):
        if (self.user_id is None) == (self.steward_id is None):
            raise ValueError("a holder is exactly one of a user or a steward")


def account_for(community: Area | int, holder: Holder) -> PointAccount:
    """The holder's passbook in this community, opened on first use (race-safe)."""
    community_id = community if isinstance(community, int) else community.id
    where = PointAccount.community == community_id
    if holder.user_id is not None:
        where &= PointAccount.user == holder.user_id
    else:
        where &= PointAccount.steward == holder.steward_id
    found = PointAccount.get_or_none(where)
    if found is not None:
        return found
    for _ in range(5):
        try:
            with db.atomic():
                return PointAccount.create(
                    community=community_id,
                    user=holder.user_id,
                    steward=holder.steward_id,
                    member_code=random_code(MEMBER_CODE_LENGTH),
                )
        except IntegrityError:
            # Another request opened it first (or, once in a blue moon, the code collided).
            found = PointAccount.get_or_none(where)
            if found is not None:
                return found
    raise conflict("busy", "系统繁忙，请稍后再试")


def accounts_of(user: User | None, stewards: list[Steward] | None = None) -> list[PointAccount]:
    """Every passbook a person holds: as a user, and through each of their steward records."""
    conditions = []
    if user is not None:
        conditions.append(PointAccount.user == user.id)
    steward_ids = [s.id for s in stewards or []]
    if steward_ids:
        conditions.append(PointAccount.steward.in_(steward_ids))
    if not conditions:
        return []
    where = conditions[0]
    for extra in conditions[1:]:
        where |= extra
    return list(PointAccount.select().where(where).order_by(PointAccount.id))


def by_member_code(code: str) -> PointAccount:
    """The passbook behind a member code shown at the counter (typed or scanned)."""
    account = PointAccount.get_or_none(PointAccount.member_code == normalize(code))
    if account is None:
        raise not_found("找不到这个会员码，请让对方刷新后再出示", code="member_not_found")
    return account


def post(
    account: PointAccount,
    points: int,
    *,
    rule: str,
    source_type: str,
    source_id: int | None = None,
    reason: str = "",
    key: str | None = None,
    floor: str = "clamp",
    actor: User | None = None,
    label: str | None = None,
    approved_by: User | None = None,
) -> PointEntry | None:
    """Append one entry and move the balance with it. Returns None when `key` was already
    written (the same award is never counted twice), or when a clamped deduction finds
    nothing to take. `approved_by`: the second staff member who let an adjustment above the
    approval threshold count (`core.timebank.approvals`); `actor` is then the one who made it."""
    if source_type not in SOURCE_TYPES:
        raise ValueError(f"unknown source type {source_type!r}")
    if floor not in FLOORS:
        raise ValueError(f"unknown floor {floor!r}")
    rules.get(rule)
    if key is not None and PointEntry.select().where(PointEntry.key == key).exists():
        return None
    with db.atomic():
        if points < 0 and floor == "clamp":
            current = (
                locked(PointAccount.select(PointAccount.balance))
                .where(PointAccount.id == account.id)
                .scalar()
            )
            available = max(current or 0, 0)
            if available < -points:
                if available == 0:
                    return None
                shortfall = f"应扣 {-points} 分，余额仅 {available} 分"
                reason = f"{reason}（{shortfall}）" if reason else shortfall
                points = -available
        try:
            with db.atomic():
                entry = PointEntry.create(
                    account=account.id,
                    points=points,
                    rule=rule,
                    source_type=source_type,
                    source_id=source_id,
                    reason=reason[:200],
                    key=key,
                    actor=actor,
                    actor_label=label or audit.actor_label(actor),
                    approved_by=approved_by,
                    approved_by_label=audit.actor_label(approved_by) if approved_by else "",
                )
        except IntegrityError:
            if key is not None:
                return None  # written a moment ago by a concurrent request
            raise
        update = PointAccount.update(balance=PointAccount.balance + points).where(
            PointAccount.id == account.id
        )
        if points < 0 and floor == "refuse":
            update = update.where(PointAccount.balance >= -points)
        if update.execute() != 1:
            raise conflict("insufficient_points", "积分余额不足")
    account.balance = account.balance + points
    return entry


def reverse(
    entry_id: int, *, reason: str, actor: User | None = None, label: str | None = None
) -> PointEntry:
    """Cancel an entry with an exact opposite one (冲正). An entry is reversed at most once, and
    a reversal itself cannot be reversed (post the correct entry instead)."""
    reason = (reason or "").strip()
    if not reason:
        raise bad_request("请写明冲正原因", {"reason": "请写明冲正原因"})
    original = PointEntry.get_or_none(PointEntry.id == entry_id)
    if original is None:
        raise not_found("找不到这条积分记录", code="entry_not_found")
    if original.reverses_id is not None:
        raise conflict("invalid_transition", "这条记录本身就是冲正，不能再冲正")
    if PointEntry.select().where(PointEntry.reverses == original.id).exists():
        raise conflict("already_reversed", "这条记录已经冲正过了")
    try:
        with db.atomic():
            entry = PointEntry.create(
                account=original.account_id,
                points=-original.points,
                rule="reversal",
                source_type=original.source_type,
                source_id=original.source_id,
                reason=reason[:200],
                reverses=original.id,
                actor=actor,
                actor_label=label or audit.actor_label(actor),
            )
            PointAccount.update(balance=PointAccount.balance - original.points).where(
                PointAccount.id == original.account_id
            ).execute()
    except IntegrityError:
        raise conflict("already_reversed", "这条记录已经冲正过了") from None
    return entry


def balance_of(account: PointAccount | int) -> int:
    """The true balance: the sum of the entries (the cached column must always equal it)."""
    account_id = account if isinstance(account, int) else account.id
    return (
        PointEntry.select(fn.COALESCE(fn.SUM(PointEntry.points), 0))
        .where(PointEntry.account == account_id)
        .scalar()
    )


def entries(account: PointAccount | int, limit: int | None = None) -> list[PointEntry]:
    """A passbook's lines, newest first."""
    account_id = account if isinstance(account, int) else account.id
    query = (
        PointEntry.select()
        .where(PointEntry.account == account_id)
        .order_by(PointEntry.created_at.desc(), PointEntry.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return list(query)


def audit_balances() -> list[tuple[int, int, int]]:
    """(account id, cached balance, sum of entries) of every account where they differ."""
    sums = (
        PointEntry.select(PointEntry.account, fn.SUM(PointEntry.points).alias("total"))
        .group_by(PointEntry.account)
        .tuples()
    )
    totals = dict(sums)
    return [
        (a.id, a.balance, totals.get(a.id, 0))
        for a in PointAccount.select(PointAccount.id, PointAccount.balance)
        if a.balance != totals.get(a.id, 0)
    ]
