"""Time bank routes (时间银行): my passbooks, a person's passbook for staff, the rule
catalogue, manual adjustments (and their second approval above the threshold) and reversals.
Everything goes through `core.timebank.passbook` (reading, reversing),
`core.timebank.adjustments` (maker-checker) and `core.timebank.postings` (the only writer of
points)."""

from __future__ import annotations

import base64
from typing import Literal

from pydantic import BaseModel, Field

from core.people import identity
from core.timebank import adjustments, passbook, postings, rules, shop
from core.timebank.postings import Holder
from infra.errors import bad_request, not_found
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from miniprogram_api.validation import required_text
from models import PointAccount, PointEntry

router = Router("points")
STAFF = ("staff", "admin")


class HolderOut(BaseModel):
    kind: str = Field(description="user 小程序用户；steward 管家")
    id: int
    name: str


class RedemptionRef(BaseModel):
    id: int
    item_id: int
    item_name: str
    price: int
    at_counter: bool
    by: str


class EntryOut(BaseModel):
    id: int
    points: int = Field(description="本笔积分，扣减为负数")
    rule: str
    rule_label: str
    source_type: str = Field(description="issue|wish|activity|patrol|redemption|adjustment")
    source_label: str
    source_id: int | None
    reason: str
    reverses: int | None = Field(description="冲正记录：被冲正的那条记录的 ID")
    reversed: bool = Field(description="这条记录已被冲正")
    actor: str = Field(description="经办人（人工调整：提交人）")
    approved_by: str | None = Field(description="超过审核门槛的人工调整：审核通过的工作人员")
    created_at: str
    redemption: RedemptionRef | None


class EntryPage(BaseModel):
    items: list[EntryOut]
    total: int
    page: int
    per_page: int


class PassbookOut(BaseModel):
    id: int
    community_id: int
    community_name: str
    member_code: str = Field(description="会员码：在兑换超市柜台出示（二维码内容即此码）")
    holder: HolderOut
    balance: int
    entries: EntryPage


class PassbooksOut(BaseModel):
    items: list[PassbookOut]
    total_balance: int


class PassbookQuery(PageQuery):
    per_page: int = Field(default=20, ge=1, le=100, description="每本存折列出的记录条数")


class PersonQuery(PassbookQuery):
    person: str = Field(
        max_length=40,
        description="会员码（如 K7M2Q9XW3D），或 steward:管家编号，或 user:用户编号",
    )


def _passbooks(accounts: list[PointAccount], query: PageQuery) -> dict:
    items = []
    for account in accounts:
        out = passbook.account_dict(account)
        out["entries"] = paginate(passbook.entries_query(account), query, passbook.entry_dicts)
        items.append(out)
    return {"items": items, "total_balance": sum(a.balance for a in accounts)}


@router.get(
    "/points/me",
    summary="我的存折：每个社区时间银行的会员码、余额和积分记录",
    query=PassbookQuery,
    response=PassbooksOut,
)
def my_points(query: PassbookQuery):
    """包括以用户身份和以管家身份持有的存折；记录按时间倒序，`page`/`per_page` 对每本存折分页。"""
    p = current_principal()
    return _passbooks(postings.accounts_of(p.user, p.stewards), query)


class OpenIn(BaseModel):
    community_id: int = Field(description="社区 ID")


@router.post(
    "/points/me/passbooks",
    summary="开通我在某个社区时间银行的存折（已有则返回原存折）",
    body=OpenIn,
    response=PassbookOut,
    status=201,
    errors=(404,),
)
def open_passbook(body: OpenIn):
    """居民第一次来兑换点、还没有积分时，先开通存折才有会员码，工作人员才能给他记分。"""
    p = current_principal()
    community = shop.community_or_404(body.community_id)
    account = postings.account_for(community, Holder(user_id=p.user.id))
    out = passbook.account_dict(account)
    out["entries"] = paginate(passbook.entries_query(account), PageQuery(), passbook.entry_dicts)
    return out, 201


class MemberCodeQuery(BaseModel):
    account_id: int = Field(description="存折 ID（GET /points/me 的 items[].id）")


class MemberCodeOut(BaseModel):
    member_code: str
    community_name: str
    qr_png: str = Field(description="会员码二维码，data:image/png;base64,… 可直接放进 <image>")


@router.get(
    "/points/me/member-code",
    summary="我的会员码二维码（柜台扫码兑换）",
    query=MemberCodeQuery,
    response=MemberCodeOut,
    errors=(404,),
)
def my_member_code(query: MemberCodeQuery):
    p = current_principal()
    mine = {a.id: a for a in postings.accounts_of(p.user, p.stewards)}
    account = mine.get(query.account_id)
    if account is None:
        raise not_found("找不到您的这本存折", code="passbook_not_found")
    png = passbook.member_code_png(account.member_code)
    return {
        "member_code": account.member_code,
        "community_name": passbook.account_dict(account)["community_name"],
        "qr_png": "data:image/png;base64," + base64.b64encode(png).decode(),
    }


@router.get(
    "/points",
    summary="查一个人的存折（工作人员，限本人管辖的社区）",
    roles=STAFF,
    query=PersonQuery,
    response=PassbooksOut,
    errors=(403, 404),
)
def person_points(query: PersonQuery):
    """`person`：会员码（居民在小程序“我的积分”里出示），`steward:12`（管家编号，见 GET /areas），
    或 `user:34`（小程序用户编号）。只返回本人管辖社区里的存折。"""
    return _passbooks(passbook.find_person(current_principal(), query.person), query)


class RuleOut(BaseModel):
    code: str
    label: str
    points: int = Field(description="每单位分值，扣分为负；adjustment 为自定分值（0）")
    unit: str
    manual: bool


class RulesOut(BaseModel):
    items: list[RuleOut]


@router.get(
    "/points/rules",
    summary="积分规则（加减分细则）：自动记分的和工作人员可手工选择的",
    response=RulesOut,
)
def list_rules():
    return {"items": [rules.as_dict(r) for r in rules.catalogue().values()]}


class AdjustmentIn(BaseModel):
    member_code: str | None = Field(default=None, max_length=20, description="对方的会员码")
    steward_id: int | None = Field(default=None, description="或：管家编号（没有登录过的管家）")
    community_id: int | None = Field(default=None, description="管家跨社区时指定社区")
    rule: str = Field(max_length=32, description="GET /points/rules 中 manual 为 true 的规则")
    units: int = Field(default=1, ge=1, le=passbook.MAX_UNITS, description="数量（次/件/户）")
    points: int | None = Field(
        default=None,
        ge=-passbook.MAX_FREE_POINTS,
        le=passbook.MAX_FREE_POINTS,
        description="仅 rule=adjustment（自定分值）时填写，非零",
    )
    reason: required_text(passbook.REASON_MAX) = Field(description="加减分原因（必填）")


class PendingAdjustmentOut(BaseModel):
    id: int
    account_id: int
    member_code: str
    community_id: int
    community_name: str
    holder: HolderOut
    balance: int = Field(description="存折当前余额（待审核的调整不计入）")
    rule: str
    rule_label: str
    units: int
    points: int = Field(description="调整分值，扣减为负数")
    reason: str
    status: str = Field(description="pending 待审核；approved 已通过（已记入存折）；refused 已驳回")
    status_label: str
    made_by: str = Field(description="提交人")
    made_at: str
    decided_by: str | None = Field(description="审核人（通过或驳回）")
    decided_at: str | None
    refuse_reason: str | None
    entry_id: int | None = Field(description="通过后记入存折的那条记录")
    can_approve: bool = Field(description="当前工作人员可以审核通过（不是提交人，也不是存折本人）")
    can_refuse: bool = Field(description="当前工作人员可以驳回（提交人可撤回；存折本人不能）")


class AdjustmentOut(BaseModel):
    status: str = Field(
        description="counted 已记入存折；pending 超过审核门槛，待另一位工作人员审核"
    )
    entry: EntryOut | None = Field(description="已记入存折的记录；待审核时为 null")
    adjustment: PendingAdjustmentOut | None = Field(description="待审核的调整；直接记入时为 null")
    passbook: HolderOut
    account_id: int
    member_code: str
    balance: int


def _account_for(body) -> PointAccount:
    p = current_principal()
    if body.member_code:
        accounts = passbook.find_person(p, body.member_code)
        return accounts[0]
    if body.steward_id is not None:
        return passbook.steward_account(p, body.steward_id, body.community_id)
    raise bad_request("请填写会员码或管家", {"member_code": "请填写会员码或选择管家"})


def _adjusted(entry, account: PointAccount, pending=None) -> dict:
    account = PointAccount.get_by_id(account.id)
    out = passbook.account_dict(account)
    viewer = identity.person_of(current_principal())
    return {
        "status": "pending" if pending is not None else "counted",
        "entry": passbook.entry_dicts([entry])[0] if entry is not None else None,
        "adjustment": adjustments.as_dict(pending, viewer) if pending is not None else None,
        "passbook": out["holder"],
        "account_id": account.id,
        "member_code": account.member_code,
        "balance": account.balance,
    }


@router.post(
    "/points/adjustments",
    summary="人工加减分（工作人员；选规则、写原因，记入存折并留痕；超过门槛的须另一位工作人员审核）",
    roles=STAFF,
    body=AdjustmentIn,
    response=AdjustmentOut,
    status=201,
    errors=(403, 404),
)
def create_adjustment(body: AdjustmentIn):
    """按会员码或管家编号找到存折。所选规则分值固定时填 `units`（数量）；`adjustment` 为自定
    分值，填 `points`。扣分可以使余额为负（更正须准确），此时不能兑换，直到有新的积分。
    不能给自己的存折加减分（403 `own_passbook`）。绝对值超过 `POINTS_APPROVAL_THRESHOLD`
    （默认 50 分）的调整先不计入余额（`status: pending`），须由另一位工作人员（不是提交人，
    也不是存折本人）在 `POST /points/adjustments/{id}/approve` 审核通过后才记入存折。"""
    p = current_principal()
    account = _account_for(body)
    done = adjustments.adjust(
        p, account, rule=body.rule, reason=body.reason, units=body.units, points=body.points
    )
    return _adjusted(done.entry, account, done.pending), 201


class AdjustmentQuery(PageQuery):
    status: Literal["pending", "approved", "refused"] | None = Field(
        default=None, description="pending 待审核；approved 已通过；refused 已驳回；不填为全部"
    )
    community_id: int | None = Field(default=None, description="只看这个社区的存折")
    actionable: bool = Field(
        default=False, description="true：只列出我可以审核通过的（不是我提交的，也不是我的存折）"
    )


class PendingAdjustmentPage(BaseModel):
    items: list[PendingAdjustmentOut]
    total: int
    page: int
    per_page: int
    threshold: int = Field(description="审核门槛：绝对值超过此分值的调整须另一位工作人员审核")


@router.get(
    "/points/adjustments",
    summary="超过审核门槛的人工加减分（工作人员，限本人管辖的社区）：待审核、已通过、已驳回",
    roles=STAFF,
    query=AdjustmentQuery,
    response=PendingAdjustmentPage,
)
def list_adjustments(query: AdjustmentQuery):
    """按提交时间倒序。`status=pending&actionable=true` 即“等我审核的”。"""
    p = current_principal()
    if query.actionable:
        # What I may approve is pending by definition.
        status = "pending" if query.status in (None, "pending") else "none"
        q = adjustments.awaiting(p, community_id=query.community_id, status=status)
    else:
        q = adjustments.list_query(p, status=query.status, community_id=query.community_id)
    viewer = identity.person_of(p)
    page = paginate(q, query, lambda rows: [adjustments.as_dict(a, viewer) for a in rows])
    page["threshold"] = adjustments.threshold()
    return page


class RefuseIn(BaseModel):
    reason: required_text(passbook.REASON_MAX) = Field(description="驳回原因（必填）")


@router.post(
    "/points/adjustments/<int:adjustment_id>/approve",
    summary="审核通过一笔待审核的人工加减分（另一位工作人员；通过后记入存折）",
    roles=STAFF,
    response=AdjustmentOut,
    errors=(403, 404, 409),
)
def approve_adjustment(adjustment_id: int):
    """提交人本人（403 `own_adjustment`）和存折本人（403 `own_passbook`）不能审核；已审核过的
    409 `already_decided`（两人同时审核只有一人成功）。记录上同时留有提交人和审核人。"""
    p = current_principal()
    adjustment = adjustments.approve(p, adjustment_id)
    entry = PointEntry.get_by_id(adjustment.entry_id)
    return _adjusted(entry, PointAccount.get_by_id(adjustment.account_id)) | {
        "adjustment": adjustments.as_dict(adjustment, identity.person_of(p))
    }


@router.post(
    "/points/adjustments/<int:adjustment_id>/reject",
    summary="驳回一笔待审核的人工加减分（写明原因；不记入存折，提交人也可撤回）",
    roles=STAFF,
    body=RefuseIn,
    response=PendingAdjustmentOut,
    errors=(403, 404, 409),
)
def reject_adjustment(adjustment_id: int, body: RefuseIn):
    """存折本人不能驳回（403 `own_passbook`）；已审核过的 409 `already_decided`。"""
    p = current_principal()
    adjustment = adjustments.refuse(p, adjustment_id, body.reason)
    return adjustments.as_dict(adjustment, identity.person_of(p))


class ReverseIn(BaseModel):
    reason: required_text(passbook.REASON_MAX) = Field(description="冲正原因（必填）")


@router.post(
    "/points/entries/<int:entry_id>/reverse",
    summary="冲正一条积分记录（工作人员；写一条相反的记录，原记录不改）",
    roles=STAFF,
    body=ReverseIn,
    response=AdjustmentOut,
    status=201,
    errors=(403, 404, 409),
)
def reverse_entry(entry_id: int, body: ReverseIn):
    """一条记录只能冲正一次；冲正记录本身不能再冲正；兑换记录不能冲正。"""
    p = current_principal()
    entry = passbook.reverse(p, entry_id, body.reason)
    return _adjusted(entry, PointAccount.get_by_id(entry.account_id)), 201
