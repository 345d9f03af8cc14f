"""微心愿 routes: post, the wish wall, read, and one route per lifecycle action.

Every action calls `core.items.wishes`, the one place that changes a wish.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from core.items import issues as issue_flow
from core.items import lists
from core.items import wishes as flow
from core.items.list_cache import viewer_key, wall_fingerprint
from core.items.lists import WishFilters
from core.items.presenters import wish_out
from infra.errors import unauthorized
from miniprogram_api.context import current_principal
from miniprogram_api.issues import Note500, PhotoIds, RateIn, Text1000, phone_field
from miniprogram_api.pagination import PageQuery, cached_page, paginate
from miniprogram_api.router import Router
from miniprogram_api.serializers import WishOut
from miniprogram_api.validation import required_text
from models import WISH_STATUSES, Wish

router = Router("wishes")

Short20 = required_text(20)


class WishIn(BaseModel):
    board_code: str | None = Field(default=None, max_length=16)
    alley_id: int | None = None
    beneficiary_type: Literal["elderly", "disabled", "children", "hardship", "other"]
    display_name: Short20 = Field(description="心愿墙上显示的称呼，如“王奶奶”")
    title: required_text(40)
    content: Text1000
    photo_ids: PhotoIds
    contact_phone: phone_field = None
    on_behalf_of: str | None = Field(
        default=None, max_length=50, description="管家代居民提交时填写居民称呼"
    )

    @model_validator(mode="after")
    def where(self):
        if not self.board_code and self.alley_id is None:
            raise ValueError("请扫描公示牌或选择街巷")
        return self


class WishQuery(PageQuery):
    scope: Literal["wall", "mine", "claimed", "area"] | None = Field(
        default=None,
        description="wall 心愿墙（公开）；mine 我提交的；claimed 我认领的；area 我管辖范围内的",
    )
    status: Literal[WISH_STATUSES] | None = None  # type: ignore[valid-type]
    alley_id: int | None = None
    community_id: int | None = None


class WishList(BaseModel):
    items: list[WishOut]
    total: int
    page: int
    per_page: int


class ClaimIn(BaseModel):
    role: Literal["volunteer", "party_member", "steward"] | None = Field(
        default=None, description="认领身份，不填则管家为 steward、其他人为 volunteer"
    )


class ReasonIn(BaseModel):
    reason: Note500


class OptionalReasonIn(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


class FulfilIn(BaseModel):
    note: Note500
    photo_ids: PhotoIds


def _out(wish_id: int) -> dict:
    return wish_out(current_principal(), Wish.get_by_id(wish_id), timeline=True)


@router.post(
    "/wishes",
    summary="提交微心愿（社区审核后上心愿墙）",
    body=WishIn,
    response=WishOut,
    status=201,
    errors=(403, 404, 410),
)
def create_wish(body: WishIn):
    """心愿墙只显示 `display_name` 等公开信息；联系电话仅工作人员和认领人可见。"""
    p = current_principal()
    alley, _ = issue_flow.resolve_alley(body.alley_id, body.board_code)
    wish = flow.create(
        p,
        alley=alley,
        beneficiary_type=body.beneficiary_type,
        display_name=body.display_name,
        title=body.title,
        content=body.content,
        photo_ids=body.photo_ids,
        contact_phone=body.contact_phone,
        on_behalf_of=body.on_behalf_of,
    )
    return wish_out(p, wish, timeline=True), 201


@router.get("/wishes", summary="心愿列表 / 心愿墙", auth=False, query=WishQuery, response=WishList)
def list_wishes(query: WishQuery):
    """未登录只能看心愿墙（已公开的心愿）。"""
    p = current_principal()
    scope = query.scope or "wall"
    if scope != "wall" and not p.authenticated:
        raise unauthorized()
    cache: dict = {}

    def build():
        q = _wish_query(p, scope, query)
        return paginate(q, query, lambda rows: [wish_out(p, w, cache=cache) for w in rows])

    if scope != "wall" or query.status or query.community_id is not None:
        return build()
    # The wall (of everywhere, or of the alley a board opened): from this worker's copy while
    # no wish on it has changed (core.items.list_cache); the query is built only when it has.
    return cached_page(
        ("wishes:wall", query.alley_id, viewer_key(p), query.page, query.per_page),
        lambda: wall_fingerprint(query.alley_id),
        build,
        WishList,
    )


def _wish_query(p, scope: str, query: WishQuery):
    """The wishes of `scope` with the list's filters, newest first: the one list of
    `core.items.lists`, as the console's."""
    filters = WishFilters(
        scope=scope, status=query.status, alley_id=query.alley_id, community_id=query.community_id
    )
    return lists.wish_list(p, filters)


@router.get(
    "/wishes/<int:wish_id>", summary="心愿详情", auth=False, response=WishOut, errors=(404,)
)
def get_wish(wish_id: int):
    p = current_principal()
    return wish_out(p, flow.get_visible(p, wish_id), timeline=True)


ACTION_ERRORS = (403, 404, 409)


@router.post(
    "/wishes/<int:wish_id>/approve",
    summary="审核通过，上心愿墙",
    response=WishOut,
    errors=ACTION_ERRORS + (503,),
)
def approve_wish(wish_id: int):
    """内容安全检查未通过（risky）的不能公开；检查暂不可用时返回 503，心愿保留待审。"""
    flow.approve(current_principal(), wish_id)
    return _out(wish_id)


@router.post(
    "/wishes/<int:wish_id>/reject",
    summary="驳回（原因会告知提交人）",
    body=ReasonIn,
    response=WishOut,
    errors=ACTION_ERRORS,
)
def reject_wish(wish_id: int, body: ReasonIn):
    flow.reject(current_principal(), wish_id, body.reason)
    return _out(wish_id)


@router.post(
    "/wishes/<int:wish_id>/claim",
    summary="认领（同一心愿只能一人认领，后到者 409 already_claimed）",
    body=ClaimIn,
    response=WishOut,
    errors=ACTION_ERRORS,
)
def claim_wish(wish_id: int, body: ClaimIn):
    flow.claim(current_principal(), wish_id, body.role)
    return _out(wish_id)


@router.post(
    "/wishes/<int:wish_id>/release",
    summary="放弃认领，回到心愿墙",
    body=OptionalReasonIn,
    response=WishOut,
    errors=ACTION_ERRORS,
)
def release_wish(wish_id: int, body: OptionalReasonIn):
    flow.release(current_principal(), wish_id, body.reason)
    return _out(wish_id)


@router.post(
    "/wishes/<int:wish_id>/fulfil",
    summary="心愿已实现（说明与照片）",
    body=FulfilIn,
    response=WishOut,
    errors=ACTION_ERRORS,
)
def fulfil_wish(wish_id: int, body: FulfilIn):
    flow.fulfil(current_principal(), wish_id, body.note, body.photo_ids)
    return _out(wish_id)


@router.post(
    "/wishes/<int:wish_id>/confirm",
    summary="提交人确认并评价",
    body=RateIn,
    response=WishOut,
    errors=ACTION_ERRORS,
)
def confirm_wish(wish_id: int, body: RateIn):
    flow.confirm(current_principal(), wish_id, body.score, body.text)
    return _out(wish_id)
