"""Reading passbooks (存折) and the staff's hand on them: look a person up, reverse an entry
(adjusting is `core.timebank.adjustments`).

What everyone reads — the API (`/points…`), the console's 时间银行 page, the bot's `积分` and
`存折`, the assessment — comes from here, so a passbook looks the same wherever it is shown.
Staff act only on passbooks of communities in their scope (`Principal.can_manage`) and never on
their own (`is_own`), every action audited in the transaction that writes the entry.

A *person* (`find_person`, `GET /points?person=`) is named by one of:
* a member code (会员码, the QR in the mini program), e.g. ``K7M2Q9XW3D``;
* ``steward:ID`` — a steward record (stewards from the roster may never have logged in);
* ``user:ID`` — a mini program user;
* ``volunteer:ID`` — a volunteer of the directory (their passbook in that community);
* a name or a phone (or a part of one) of a steward or volunteer in the viewer's scope
  (`core.search.people`, the console's autocomplete), when it is no member code.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime

import qrcode
from peewee import fn

from core import audit, search
from core.people import identity
from core.people.permissions import Principal
from core.timebank import postings, rules
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.errors import ApiError, bad_request, conflict, forbidden, not_found
from infra.text import whole_number
from infra.timeutil import iso, local_midnight_utc, to_local, utcnow
from models import Area, PointAccount, PointEntry, Redemption, Steward, User, Volunteer

MAX_UNITS = 100  # units of one manual rule in one entry
MAX_FREE_POINTS = 1000  # a free adjustment's size either way
REASON_MAX = 200


# --- reading -------------------------------------------------------------------------------


def holder_name(account: PointAccount) -> str:
    if account.steward_id is not None:
        steward = Steward.get_or_none(Steward.id == account.steward_id)
        return f"{steward.name}（管家）" if steward else "管家"
    # A volunteer's real name (the counter reads it aloud) before a WeChat nickname.
    volunteer = Volunteer.get_or_none(
        (Volunteer.user == account.user_id) & (Volunteer.community == account.community_id)
    )
    if volunteer is not None:
        return volunteer.name
    user = User.get_or_none(User.id == account.user_id)
    return (user.nickname if user else None) or f"用户{account.user_id}"


def account_dict(account: PointAccount) -> dict:
    community = Area.get_by_id(account.community_id)
    return {
        "id": account.id,
        "community_id": community.id,
        "community_name": community.name,
        "member_code": account.member_code,
        "holder": {
            "kind": "steward" if account.steward_id is not None else "user",
            "id": account.steward_id if account.steward_id is not None else account.user_id,
            "name": holder_name(account),
        },
        "balance": account.balance,
    }


def entry_dicts(entries: list[PointEntry]) -> list[dict]:
    """Entries as people read them: the rule's words, the source, and for a redemption what
    was exchanged and who handed it over."""
    catalogue = rules.catalogue()
    ids = [e.id for e in entries]
    reversed_ids = {
        e.reverses_id
        for e in PointEntry.select(PointEntry.reverses).where(PointEntry.reverses.in_(ids))
    }
    redemptions = {r.entry_id: r for r in Redemption.select().where(Redemption.entry.in_(ids))}
    out = []
    for e in entries:
        rule = catalogue.get(e.rule)
        item = {
            "id": e.id,
            "points": e.points,
            "rule": e.rule,
            "rule_label": rule.label if rule else e.rule,
            "source_type": e.source_type,
            "source_label": postings.SOURCE_LABELS.get(e.source_type, e.source_type),
            "source_id": e.source_id,
            "reason": e.reason,
            "reverses": e.reverses_id,
            "reversed": e.id in reversed_ids,
            "actor": e.actor_label,
            "approved_by": e.approved_by_label or None,
            "created_at": iso(e.created_at),
            "redemption": None,
        }
        r = redemptions.get(e.id)
        if r is not None:
            item["redemption"] = {
                "id": r.id,
                "item_id": r.item_id,
                "item_name": r.item_name,
                "price": r.price,
                "at_counter": r.at_counter,
                "by": r.actor_label,
            }
        out.append(item)
    return out


def entries_query(account: PointAccount | int):
    account_id = account if isinstance(account, int) else account.id
    return (
        PointEntry.select()
        .where(PointEntry.account == account_id)
        .order_by(PointEntry.created_at.desc(), PointEntry.id.desc())
    )


def quarter_bounds(now: datetime | None = None) -> tuple[str, datetime, datetime]:
    """(label "2026Q4", start, end) of the local quarter containing `now` (naive UTC)."""
    day = to_local(now or utcnow()).date()
    q = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * (q - 1) + 1, 1)
    end = date(day.year + 1, 1, 1) if q == 4 else date(day.year, 3 * q + 1, 1)
    return f"{day.year}Q{q}", local_midnight_utc(start), local_midnight_utc(end)


@dataclass
class Summary:
    """A person's quarter from the ledger: the sum and, per rule, how many and how much."""

    period: str
    total: int = 0
    balance: int = 0
    lines: list[tuple[str, str, int, int]] = field(default_factory=list)  # label, unit, n, pts

    def breakdown(self) -> str:
        """办结诉求 3 件 +6、按时办结 2 件 +2、诉求超期未办结 1 件 −1"""
        parts = []
        for label, unit, count, points in self.lines:
            sign = "+" if points >= 0 else "−"
            parts.append(f"{label} {count} {unit} {sign}{abs(points)}")
        return "、".join(parts) or "本季度还没有积分记录"


def quarter_summary(accounts: list[PointAccount], now: datetime | None = None) -> Summary:
    label, start, end = quarter_bounds(now)
    result = Summary(period=label, balance=sum(a.balance for a in accounts))
    if not accounts:
        return result
    catalogue = rules.catalogue()
    rows = (
        PointEntry.select(
            PointEntry.rule,
            fn.COUNT(PointEntry.id).alias("n"),
            fn.SUM(PointEntry.points).alias("points"),
        )
        .where(
            PointEntry.account.in_([a.id for a in accounts])
            & (PointEntry.created_at >= start)
            & (PointEntry.created_at < end)
        )
        .group_by(PointEntry.rule)
        .order_by(fn.MIN(PointEntry.id))
        .dicts()
    )
    for row in rows:
        rule = catalogue.get(row["rule"])
        points = int(row["points"] or 0)
        result.total += points
        result.lines.append(
            (rule.label if rule else row["rule"], rule.unit if rule else "次", row["n"], points)
        )
    return result


def quarter_points_of_stewards(steward_ids: list[int], start: datetime, end: datetime) -> dict:
    """steward id → the sum of their passbooks' entries in [start, end) (the assessment)."""
    if not steward_ids:
        return {}
    rows = (
        PointEntry.select(PointAccount.steward, fn.SUM(PointEntry.points).alias("points"))
        .join(PointAccount)
        .where(
            PointAccount.steward.in_(steward_ids)
            & (PointEntry.created_at >= start)
            & (PointEntry.created_at < end)
        )
        .group_by(PointAccount.steward)
        .tuples()
    )
    return {sid: int(points or 0) for sid, points in rows}


def member_code_png(code: str, box: int = 10) -> bytes:
    """The member code as a QR code (the code itself is the content: the counter's scanner
    reads it and asks `by_member_code`)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=2)
    qr.add_data(code)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


# --- staff: finding a person ---------------------------------------------------------------


def find_person(p: Principal, person: str) -> list[PointAccount]:
    """The passbooks of the person named by `person` in communities `p` manages (see the
    module's docstring for the forms). 404 when none is in scope."""
    text = (person or "").strip()
    kind, _, ident = text.partition(":")
    if ident and kind in ("steward", "user", "volunteer"):
        number = whole_number(ident)
        if number is None:
            raise bad_request("编号须为数字", {"person": "格式为 steward:编号 或 user:编号"})
        if kind == "volunteer":
            accounts = _volunteer_accounts([number])
        else:
            column = PointAccount.steward if kind == "steward" else PointAccount.user
            accounts = list(PointAccount.select().where(column == number).order_by(PointAccount.id))
    elif text:
        try:
            accounts = [postings.by_member_code(text)]
        except ApiError:
            accounts = _accounts_named(p, text)
            if not accounts:
                raise not_found(
                    "没有找到这个会员码或这个人的存折", code="member_not_found"
                ) from None
    else:
        raise bad_request("请填写会员码", {"person": "请填写会员码、姓名或电话"})
    visible = [a for a in accounts if p.can_manage(Area.get_by_id(a.community_id))]
    if not visible:
        if accounts:
            raise forbidden("该存折不在您的管辖范围内", code="out_of_scope")
        raise not_found("没有找到这个人的存折", code="passbook_not_found")
    return visible


def _volunteer_accounts(volunteer_ids: list[int]) -> list[PointAccount]:
    accounts = []
    for v in Volunteer.select().where(Volunteer.id.in_(volunteer_ids)):
        found = PointAccount.get_or_none(
            (PointAccount.user == v.user_id) & (PointAccount.community == v.community_id)
        )
        if found is not None:
            accounts.append(found)
    return accounts


def _accounts_named(p: Principal, text: str) -> list[PointAccount]:
    """The passbooks of the stewards and volunteers in `p`'s scope whose name or phone holds
    `text` (a person without a passbook yet is not listed: they have no points)."""
    hits = search.people(p, text)
    steward_ids = [h.id for h in hits if h.kind == "steward"]
    accounts = (
        list(
            PointAccount.select()
            .where(PointAccount.steward.in_(steward_ids))
            .order_by(PointAccount.id)
        )
        if steward_ids
        else []
    )
    accounts += _volunteer_accounts([h.id for h in hits if h.kind == "volunteer"])
    return accounts


def account_in_scope(p: Principal, account_id: int) -> PointAccount:
    account = PointAccount.get_or_none(PointAccount.id == account_id)
    if account is None:
        raise not_found("找不到该存折", code="passbook_not_found")
    p.require_manage(Area.get_by_id(account.community_id))
    return account


def steward_account(p: Principal, steward_id: int, community_id: int | None) -> PointAccount:
    """A steward's passbook in (one of) the communities of their alleys, opened if new, for
    staff to adjust (never their own)."""
    steward = Steward.get_or_none(Steward.id == steward_id)
    if steward is None:
        raise not_found("找不到该管家", code="steward_not_found")
    if identity.person_of(p).holds(steward_id=steward.id):
        # Asked for to adjust it: refused before a passbook is opened for nothing.
        raise forbidden("不能给自己的存折加减分，请由其他工作人员办理", code="own_passbook")
    communities = []
    for alley in steward.alleys():
        community = next((a for a in alley.ancestors() if a.kind == "community"), None)
        if community is not None and p.can_manage(community):
            communities.append(community)
    if community_id is not None:
        communities = [c for c in communities if c.id == community_id]
    if not communities:
        raise forbidden("该管家不在您的管辖范围内", code="out_of_scope")
    return postings.account_for(communities[0], Holder(steward_id=steward.id))


# --- staff: reversing (adjusting: core.timebank.adjustments) --------------------------------


def is_own(p: Principal, account: PointAccount) -> bool:
    """Whether the passbook is held by the person behind `p`, through any of their identities
    (separation of duties: nobody credits their own passbook)."""
    return identity.person_of(p).holds(user_id=account.user_id, steward_id=account.steward_id)


def reverse(p: Principal, entry_id: int, reason: str) -> PointEntry:
    """冲正: staff cancel a wrong entry of a passbook in their scope with an exact opposite.
    A redemption is not reversed here: the goods were handed over (a gift back is an
    `adjustment` with its reason)."""
    original = PointEntry.get_or_none(PointEntry.id == entry_id)
    if original is None:
        raise not_found("找不到这条积分记录", code="entry_not_found")
    account = PointAccount.get_by_id(original.account_id)
    p.require_manage(Area.get_by_id(account.community_id))
    if is_own(p, account):
        # Reversing a deduction on one's own passbook would credit oneself.
        raise forbidden("不能冲正自己存折的记录，请由其他工作人员办理", code="own_passbook")
    if original.rule == "redemption":
        raise conflict("invalid_transition", "兑换记录不能冲正：兑错了请在“最近兑换”中作废这笔兑换")
    with write_transaction():
        entry = postings.reverse(entry_id, reason=reason, actor=p.user)
        audit.record(
            "points.reverse",
            "point_account",
            account.id,
            actor=p.user,
            area=account.community_id,
            data={"entry_id": entry_id, "reversal_id": entry.id, "reason": reason},
        )
    return entry
