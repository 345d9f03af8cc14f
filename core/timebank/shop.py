"""The exchange shop (积分兑换超市): a community's shelf, and redeeming from it.

`redeem` takes one item's stock and its price in points in ONE transaction, each with a
conditional UPDATE (`stock > 0`; the ledger's `balance >= price` with floor ``refuse``), so
twenty people taking the last item at once get one success and nineteen 409 `out_of_stock`,
and one person tapping 兑换 twice with points for one gets one success and one 409
`insufficient_points`; a refused redemption writes nothing.

Anyone logged in reads a community's shelf; staff stock the shelves of communities in their
scope and redeem at the counter from a person's member code — after `counter_preview` has shown
whose code it is and their balance — and `void` a redemption made by mistake (the item back on
the shelf, the points back in the passbook, with a reason; voided once: the reversal entry's
unique `reverses` makes the second of two voids at once a 409). Every staff action is audited.
"""

from __future__ import annotations

from core import audit
from core.media import media_url
from core.people.permissions import Principal
from core.timebank import passbook, postings
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.errors import ApiError, bad_request, conflict, forbidden, not_found
from infra.timeutil import iso, utcnow
from models import Area, Media, MediaUpload, PointAccount, PointEntry, Redemption, ShopItem

# Six classes, after Lanshan's shops (45 items in 6 classes).
CATEGORIES = ("日用百货", "粮油副食", "健康生活", "家政便民", "文化教育", "金融服务")
NAME_MAX = 40
DESCRIPTION_MAX = 200
MAX_PRICE = 100_000
MAX_STOCK = 100_000
VOID_REASON_MAX = 150  # the reversal's reason holds "作废兑换“…”：" before it (200 in all)


# The demo shelf (`seed-demo`): two things of each class, prices like the seeds' shops.
DEMO_ITEMS = (
    ("毛巾", "日用百货", 5, 30, "纯棉，一条"),
    ("洗衣液 2kg", "日用百货", 15, 20, ""),
    ("大米 5kg", "粮油副食", 25, 15, ""),
    ("食用油 5L", "粮油副食", 30, 10, ""),
    ("社区卫生服务站体检一次", "健康生活", 20, 10, "血压、血糖、心电图"),
    ("电子血压计", "健康生活", 60, 3, ""),
    ("上门理发一次", "家政便民", 10, 20, "70 岁以上老人优先"),
    ("家电清洗一次", "家政便民", 30, 5, "空调或油烟机"),
    ("书法课一节", "文化教育", 8, 12, "社区老年学堂"),
    ("儿童绘本", "文化教育", 12, 8, ""),
    ("合作银行小额信用贷款利率优惠", "金融服务", 50, 10, "凭兑换记录到合作银行办理"),
    ("银行卡年费减免一年", "金融服务", 20, 10, ""),
)


def stock_demo_shelf(community: Area) -> int:
    """Put the demo items on an empty shelf (a shelf with anything on it is left alone).
    Call inside the caller's transaction; returns how many were added."""
    if ShopItem.select().where(ShopItem.community == community.id).exists():
        return 0
    for name, category, price, stock, description in DEMO_ITEMS:
        ShopItem.create(
            community=community.id,
            name=name,
            category=category,
            price=price,
            stock=stock,
            description=description,
        )
    return len(DEMO_ITEMS)


def community_or_404(community_id: int) -> Area:
    area = Area.get_or_none(Area.id == community_id)
    if area is None or area.kind != "community":
        raise not_found("找不到该社区", code="community_not_found")
    return area


def item_dict(item: ShopItem) -> dict:
    photo = Media.get_or_none(Media.id == item.photo_id) if item.photo_id else None
    return {
        "id": item.id,
        "community_id": item.community_id,
        "name": item.name,
        "category": item.category,
        "description": item.description,
        "price": item.price,
        "stock": item.stock,
        "active": item.active,
        "photo_id": item.photo_id,
        "photo_url": media_url(photo, thumb=True) if photo else None,
        "updated_at": iso(item.updated_at),
    }


def items_query(community: Area, include_inactive: bool = False):
    query = ShopItem.select().where(ShopItem.community == community.id)
    if not include_inactive:
        query = query.where(ShopItem.active)
    return query.order_by(ShopItem.category, ShopItem.price, ShopItem.id)


def _check(name, category, price, stock, description) -> None:
    fields = {}
    if name is not None and not name.strip():
        fields["name"] = "不能为空"
    elif name is not None and len(name.strip()) > NAME_MAX:
        fields["name"] = f"最多 {NAME_MAX} 个字"  # refused, never cut without a word
    if category is not None and category not in CATEGORIES:
        fields["category"] = "须为 " + "、".join(CATEGORIES) + " 之一"
    if price is not None and not 1 <= price <= MAX_PRICE:
        fields["price"] = f"须在 1 至 {MAX_PRICE} 之间"
    if stock is not None and not 0 <= stock <= MAX_STOCK:
        fields["stock"] = f"须在 0 至 {MAX_STOCK} 之间"
    if description is not None and len(description) > DESCRIPTION_MAX:
        fields["description"] = f"最多 {DESCRIPTION_MAX} 个字"
    if fields:
        raise bad_request("商品信息有误", fields)


def _own_photo(p: Principal, photo_id: int | None) -> int | None:
    """Only a photo the staff member uploaded may go on the shelf."""
    if photo_id is None:
        return None
    mine = (
        MediaUpload.select()
        .where((MediaUpload.media == photo_id) & (MediaUpload.user == p.user))
        .exists()
    )
    if not mine:
        raise bad_request("照片不存在或不是您上传的", {"photo_id": "照片不存在或不是您上传的"})
    return photo_id


def create_item(
    p: Principal,
    community: Area,
    *,
    name: str,
    category: str,
    price: int,
    stock: int,
    description: str = "",
    photo_id: int | None = None,
) -> ShopItem:
    p.require_manage(community)
    _check(name, category, price, stock, description)
    photo_id = _own_photo(p, photo_id)
    with write_transaction():
        item = ShopItem.create(
            community=community.id,
            name=name.strip(),
            category=category,
            description=(description or "").strip(),
            price=price,
            stock=stock,
            photo=photo_id,
            created_by=p.user,
        )
        audit.record(
            "shop.item_create",
            "shop_item",
            item.id,
            actor=p.user,
            area=community.id,
            data={"name": item.name, "price": price, "stock": stock, "category": category},
        )
    return item


def item_in_scope(p: Principal, item_id: int) -> ShopItem:
    item = ShopItem.get_or_none(ShopItem.id == item_id)
    if item is None:
        raise not_found("找不到该商品", code="item_not_found")
    p.require_manage(Area.get_by_id(item.community_id))
    return item


def update_item(p: Principal, item_id: int, **changes) -> ShopItem:
    """Change name, class, description, price, photo, active, or set the stock (`stock`) or
    add to it (`add_stock`, which a concurrent redemption cannot undo)."""
    item = item_in_scope(p, item_id)
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise bad_request("请填写要修改的内容", {"price": "请填写要修改的内容"})
    _check(
        changes.get("name"),
        changes.get("category"),
        changes.get("price"),
        changes.get("stock"),
        changes.get("description"),
    )
    add = changes.pop("add_stock", None)
    if add is not None and not -MAX_STOCK <= add <= MAX_STOCK:
        raise bad_request("补货数量有误", {"add_stock": f"绝对值不超过 {MAX_STOCK}"})
    if add is not None and "stock" in changes:
        # one of them would be dropped without a word: which did the person mean?
        raise bad_request("补货数量有误", {"add_stock": "不能同时设定库存和补货数量，请只填一项"})
    if "photo_id" in changes:
        changes["photo"] = _own_photo(p, changes.pop("photo_id"))
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    with write_transaction():
        fields = {getattr(ShopItem, k): v for k, v in changes.items()}
        fields[ShopItem.updated_at] = utcnow()
        if add is not None:
            fields[ShopItem.stock] = ShopItem.stock + add
        query = ShopItem.update(fields).where(ShopItem.id == item.id)
        if add is not None and add < 0:
            query = query.where(ShopItem.stock >= -add)
        if add is not None and add > 0:
            query = query.where(ShopItem.stock <= MAX_STOCK - add)
        if query.execute() != 1:
            if add is not None and add > 0:
                raise conflict("stock_limit", f"补货后库存将超过 {MAX_STOCK}，不能补这么多")
            raise conflict("out_of_stock", "库存不足，不能减少这么多")
        audit.record(
            "shop.item_update",
            "shop_item",
            item.id,
            actor=p.user,
            area=item.community_id,
            data={**{k: v for k, v in changes.items()}, "add_stock": add},
        )
    return ShopItem.get_by_id(item.id)


def redeem(p: Principal, item_id: int, member_code: str | None = None) -> Redemption:
    """One item for its price. Self: the caller's own passbook (as a user) in the item's
    community. At the counter: staff of that community, the passbook behind `member_code`."""
    if p.user is None:
        raise bad_request("请先登录", code="unauthorized")
    item = ShopItem.get_or_none(ShopItem.id == item_id)
    if item is None or not item.active:
        raise not_found("找不到该商品", code="item_not_found")
    community = Area.get_by_id(item.community_id)
    at_counter = member_code is not None
    if at_counter:
        p.require_manage(community)
        account = postings.by_member_code(member_code)
        if account.community_id != community.id:
            raise conflict("wrong_community", "该会员码不是本社区时间银行的存折，不能在这里兑换")
    else:
        account = postings.account_for(community, Holder(user_id=p.user.id))
    with write_transaction():
        taken = (
            ShopItem.update(stock=ShopItem.stock - 1, updated_at=utcnow())
            .where((ShopItem.id == item.id) & ShopItem.active & (ShopItem.stock > 0))
            .execute()
        )
        if taken != 1:
            raise conflict("out_of_stock", f"“{item.name}”已兑完，请选择其他商品")
        redemption = Redemption.create(
            item=item.id,
            account=account.id,
            item_name=item.name,
            price=item.price,
            at_counter=at_counter,
            actor=p.user,
            actor_label=audit.actor_label(p.user),
        )
        try:
            entry = postings.post(
                account,
                -item.price,
                rule="redemption",
                source_type="redemption",
                source_id=redemption.id,
                reason=f"兑换“{item.name}”",
                floor="refuse",
                actor=p.user,
            )
        except ApiError as err:
            if err.code == "insufficient_points":
                have = PointAccount.get_by_id(account.id).balance
                raise conflict(
                    "insufficient_points",
                    f"积分不足：“{item.name}”需要 {item.price} 分，存折余额 {have} 分",
                ) from None
            raise
        redemption.entry = entry.id
        redemption.save()
        audit.record(
            "shop.redeem",
            "redemption",
            redemption.id,
            actor=p.user,
            area=community.id,
            data={
                "item_id": item.id,
                "price": item.price,
                "account_id": account.id,
                "at_counter": at_counter,
            },
        )
    return redemption


def counter_preview(p: Principal, item_id: int, member_code: str) -> dict:
    """What the counter shows before it deducts: whose code it is, their balance and whether
    it covers the item ("王秀英，余额 9 分，确认兑换 毛巾（5 分）？"). Nothing is written; the
    same checks as `redeem`, so what the preview allows the redemption allows (stock and
    balance permitting at that moment)."""
    code = (member_code or "").strip()
    if not code:
        raise bad_request("请填写会员码", {"member_code": "必填"})
    item = ShopItem.get_or_none(ShopItem.id == item_id)
    if item is None or not item.active:
        raise not_found("找不到该商品", code="item_not_found")
    community = Area.get_by_id(item.community_id)
    p.require_manage(community)
    account = postings.by_member_code(code)
    if account.community_id != community.id:
        raise conflict("wrong_community", "该会员码不是本社区时间银行的存折，不能在这里兑换")
    name = passbook.holder_name(account)
    return {
        "item": item,
        "account": account,
        "holder": name,
        "balance": account.balance,
        "enough": account.balance >= item.price,
        "in_stock": item.stock > 0,
        "question": f"{name}，余额 {account.balance} 分，确认兑换 {item.name}（{item.price} 分）？",
    }


def voided_ids(redemptions: list[Redemption]) -> set[int]:
    """The ids of those redemptions that were voided (their entry has a reversal)."""
    entries = {r.entry_id: r.id for r in redemptions if r.entry_id is not None}
    if not entries:
        return set()
    reversed_entries = PointEntry.select(PointEntry.reverses).where(
        PointEntry.reverses.in_(list(entries))
    )
    return {entries[e.reverses_id] for e in reversed_entries}


def void(p: Principal, redemption_id: int, reason: str) -> PointEntry:
    """作废 a redemption made by mistake: one back in stock and the price back in the passbook
    (a reversal entry, so the passbook shows both lines), with the staff member's reason,
    audited. Staff of the item's community only, and never on their own passbook (it would
    credit themselves). 409 `already_voided` the second time, also for two at once."""
    r = Redemption.get_or_none(Redemption.id == redemption_id)
    item = ShopItem.get_by_id(r.item_id) if r is not None else None
    if item is None or not p.can_manage(Area.get_by_id(item.community_id)):
        # another community's redemption is not theirs to know of
        raise not_found("找不到这笔兑换", code="redemption_not_found")
    account = PointAccount.get_by_id(r.account_id)
    if passbook.is_own(p, account):
        raise forbidden("不能作废自己存折的兑换，请由其他工作人员办理", code="own_passbook")
    reason = (reason or "").strip()
    if not reason:
        raise bad_request("请写明作废原因", {"reason": "请写明作废原因"})
    if len(reason) > VOID_REASON_MAX:
        raise bad_request(
            f"作废原因最多 {VOID_REASON_MAX} 个字", {"reason": f"最多 {VOID_REASON_MAX} 个字"}
        )
    if r.entry_id is None:  # never happens: written in the redemption's own transaction
        raise conflict("invalid_transition", "这笔兑换没有积分记录，不能作废")
    with write_transaction():
        try:
            entry = postings.reverse(
                r.entry_id, reason=f"作废兑换“{r.item_name}”：{reason}", actor=p.user
            )
        except ApiError as err:
            if err.code == "already_reversed":
                raise conflict("already_voided", "这笔兑换已经作废过了") from None
            raise
        ShopItem.update(stock=ShopItem.stock + 1, updated_at=utcnow()).where(
            ShopItem.id == item.id
        ).execute()
        audit.record(
            "shop.void",
            "redemption",
            r.id,
            actor=p.user,
            area=item.community_id,
            data={
                "reason": reason,
                "item_id": item.id,
                "price": r.price,
                "account_id": account.id,
                "reversal_id": entry.id,
            },
        )
    return entry


def redemption_dict(r: Redemption) -> dict:
    account = PointAccount.get_by_id(r.account_id)
    return {
        "id": r.id,
        "item_id": r.item_id,
        "item_name": r.item_name,
        "price": r.price,
        "at_counter": r.at_counter,
        "by": r.actor_label,
        "account_id": account.id,
        "member_code": account.member_code,
        "balance": account.balance,
        "entry_id": r.entry_id,
        "created_at": iso(r.created_at),
    }
