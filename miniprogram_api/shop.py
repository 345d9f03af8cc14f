"""The exchange shop's routes (积分兑换超市): a community's shelf, stocking it, redeeming.

Redeeming calls `core.timebank.shop.redeem`: stock and points in one transaction, 409
`out_of_stock` / `insufficient_points` with a Chinese message when either runs out."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from core.timebank import shop
from miniprogram_api.context import current_principal
from miniprogram_api.pagination import PageQuery, paginate
from miniprogram_api.router import Router
from miniprogram_api.validation import optional_text, required_text
from models import Redemption, ShopItem

router = Router("shop")
STAFF = ("staff", "admin")
Category = Literal[shop.CATEGORIES]  # type: ignore[valid-type]


class ItemOut(BaseModel):
    id: int
    community_id: int
    name: str
    category: str = Field(description="分类：" + "、".join(shop.CATEGORIES))
    description: str
    price: int = Field(description="兑换所需积分")
    stock: int
    active: bool
    photo_id: int | None
    photo_url: str | None
    updated_at: str


class ItemPage(BaseModel):
    items: list[ItemOut]
    total: int
    page: int
    per_page: int
    categories: list[str]


class ItemQuery(PageQuery):
    community: int = Field(description="社区 ID（存折的 community_id）")
    category: Category | None = None
    include_inactive: bool = Field(default=False, description="工作人员：也列出已下架的")


@router.get(
    "/shop/items",
    summary="一个社区兑换超市的商品",
    query=ItemQuery,
    response=ItemPage,
    errors=(404,),
)
def list_items(query: ItemQuery):
    community = shop.community_or_404(query.community)
    inactive = query.include_inactive and current_principal().can_manage(community)
    rows = shop.items_query(community, include_inactive=inactive)
    if query.category:
        rows = rows.where(ShopItem.category == query.category)
    out = paginate(rows, query, lambda page: [shop.item_dict(i) for i in page])
    out["categories"] = list(shop.CATEGORIES)
    return out


class ItemIn(BaseModel):
    community_id: int = Field(description="社区 ID（本人管辖的社区）")
    name: required_text(shop.NAME_MAX)
    category: Category
    price: int = Field(ge=1, le=shop.MAX_PRICE)
    stock: int = Field(ge=0, le=shop.MAX_STOCK)
    description: str = Field(default="", max_length=shop.DESCRIPTION_MAX)
    photo_id: int | None = Field(default=None, description="POST /media 上传后的 ID（本人上传的）")


@router.post(
    "/shop/items",
    summary="上架商品（工作人员，本社区）",
    roles=STAFF,
    body=ItemIn,
    response=ItemOut,
    status=201,
    errors=(403, 404),
)
def create_item(body: ItemIn):
    p = current_principal()
    community = shop.community_or_404(body.community_id)
    item = shop.create_item(
        p,
        community,
        name=body.name,
        category=body.category,
        price=body.price,
        stock=body.stock,
        description=body.description,
        photo_id=body.photo_id,
    )
    return shop.item_dict(item), 201


class ItemPatch(BaseModel):
    name: optional_text(shop.NAME_MAX) = None
    category: Category | None = None
    price: int | None = Field(default=None, ge=1, le=shop.MAX_PRICE)
    stock: int | None = Field(default=None, ge=0, le=shop.MAX_STOCK, description="库存改为")
    add_stock: int | None = Field(
        default=None, ge=-shop.MAX_STOCK, le=shop.MAX_STOCK, description="补货（负数为减少）"
    )
    description: str | None = Field(default=None, max_length=shop.DESCRIPTION_MAX)
    photo_id: int | None = None
    active: bool | None = Field(default=None, description="false 下架，true 重新上架")


@router.route(
    "/shop/items/<int:item_id>",
    "PATCH",
    summary="修改商品：价格、库存（改为或补货）、上下架等（工作人员）",
    roles=STAFF,
    body=ItemPatch,
    response=ItemOut,
    errors=(403, 404, 409),
)
def update_item(item_id: int, body: ItemPatch):
    p = current_principal()
    item = shop.update_item(p, item_id, **body.model_dump(exclude_unset=True))
    return shop.item_dict(item)


class RedeemIn(BaseModel):
    member_code: str | None = Field(
        default=None,
        max_length=20,
        description="工作人员柜台兑换：对方出示的会员码；不填则从本人存折扣分",
    )


class RedemptionOut(BaseModel):
    id: int
    item_id: int
    item_name: str
    price: int
    at_counter: bool
    by: str
    account_id: int
    member_code: str
    balance: int = Field(description="兑换后的存折余额")
    entry_id: int | None
    created_at: str


@router.post(
    "/shop/items/<int:item_id>/redeem",
    summary="兑换一件商品：库存和积分一步扣减",
    body=RedeemIn,
    response=RedemptionOut,
    errors=(403, 404, 409),
)
def redeem(item_id: int, body: RedeemIn):
    """本人兑换：从本人在该社区的存折扣分。工作人员在柜台：填 `member_code`，从对方存折扣分。
    库存为零时 409 `out_of_stock`，积分不够时 409 `insufficient_points`，均不扣任何东西。"""
    p = current_principal()
    code = (body.member_code or "").strip() or None
    return shop.redemption_dict(shop.redeem(p, item_id, member_code=code))


class RedemptionQuery(PageQuery):
    community: int = Field(description="社区 ID")


class RedemptionPage(BaseModel):
    items: list[RedemptionOut]
    total: int
    page: int
    per_page: int


@router.get(
    "/shop/redemptions",
    summary="兑换记录：谁、兑换了什么、多少分、何时、柜台经办人（工作人员，本社区）",
    roles=STAFF,
    query=RedemptionQuery,
    response=RedemptionPage,
    errors=(403, 404),
)
def list_redemptions(query: RedemptionQuery):
    p = current_principal()
    community = shop.community_or_404(query.community)
    p.require_manage(community)
    rows = (
        Redemption.select()
        .join(ShopItem)
        .where(ShopItem.community == community.id)
        .order_by(Redemption.created_at.desc(), Redemption.id.desc())
    )
    return paginate(rows, query, lambda page: [shop.redemption_dict(r) for r in page])
