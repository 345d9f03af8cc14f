"""Changing what is on a community's shelf (core.timebank.shop.update_item): only staff whose
scope covers the shop's community change it; each refused change says in Chinese which field
is wrong and why and changes nothing; stock is set or added to, never taken below zero; names
are trimmed; only one's own photo goes on the shelf; every change is audited with its author.
The console's forms reach this function without the API's schema in front, so the edges of
every bound are walked here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from core.people.permissions import Principal
from core.timebank import postings, shop
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.errors import ApiError
from models import Event, PointAccount, PointEntry, Redemption, ShopItem, User
from tests.factories import login_staff, make_district, make_staff, upload_photo


def _principal(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


@pytest.fixture
def w(app):
    d = make_district()
    staff = make_staff(d.communities[0])
    w = {
        "d": d,
        "staff_account": staff,
        "staff": _principal(staff),
        "other_staff": _principal(make_staff(d.communities[1])),
        "admin": _principal(make_staff(d.street, role="admin")),
    }
    w["towel"] = shop.create_item(
        w["staff"], d.communities[0], name="毛巾", category="日用百货", price=10, stock=5
    )
    w["rice"] = shop.create_item(
        w["staff"], d.communities[0], name="大米 5kg", category="粮油副食", price=25, stock=3
    )
    return w


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    return err.value


def unchanged(item: ShopItem) -> bool:
    now = ShopItem.get_by_id(item.id)
    return (now.name, now.category, now.price, now.stock, now.description, now.photo_id) == (
        item.name,
        item.category,
        item.price,
        item.stock,
        item.description,
        item.photo_id,
    )


def update_events() -> list[Event]:
    return list(Event.select().where(Event.action == "shop.item_update").order_by(Event.id))


# --- the shelf ----------------------------------------------------------------------------


def test_a_new_item_is_trimmed_recorded_and_audited_with_its_author(w):
    community = w["d"].communities[0]
    item = shop.create_item(
        w["staff"],
        community,
        name="  " + "肥皂" * 20,
        category="日用百货",
        price=3,
        stock=0,
        description="  香皂一块 ",
    )
    assert (item.name, item.description) == ("肥皂" * 20, "香皂一块")
    assert (item.community_id, item.category, item.price, item.stock) == (
        community.id,
        "日用百货",
        3,
        0,
    )
    assert item.created_by_id == w["staff"].user.id and item.photo_id is None and item.active
    event = Event.get(Event.action == "shop.item_create", Event.subject_id == item.id)
    assert (event.subject_type, event.actor_id, event.area_id) == (
        "shop_item",
        w["staff"].user.id,
        community.id,
    )
    assert event.data == {"name": "肥皂" * 20, "price": 3, "stock": 0, "category": "日用百货"}


def test_staff_of_another_community_cannot_stock_this_shelf(w):
    err = refused(
        shop.create_item,
        w["other_staff"],
        w["d"].communities[0],
        name="米",
        category="粮油副食",
        price=5,
        stock=1,
    )
    assert (err.status, err.code) == (403, "out_of_scope")
    assert ShopItem.select().count() == 2


def test_a_refused_new_item_names_every_wrong_field_and_writes_nothing(w):
    err = refused(
        shop.create_item,
        w["staff"],
        w["d"].communities[0],
        name=" ",
        category="奢侈品",
        price=shop.MAX_PRICE + 1,
        stock=-1,
        description="字" * (shop.DESCRIPTION_MAX + 1),
    )
    assert (err.status, err.code, err.message) == (400, "validation_error", "商品信息有误")
    assert set(err.fields) == {"name", "category", "price", "stock", "description"}
    assert (
        err.fields["category"]
        == "须为 日用百货、粮油副食、健康生活、家政便民、文化教育、金融服务 之一"
    )
    assert (
        ShopItem.select().count() == 2
        and Event.select().where(Event.action == "shop.item_create").count() == 2
    )


def test_only_a_community_has_a_shelf(w):
    assert shop.community_or_404(w["d"].communities[1].id) == w["d"].communities[1]
    for not_a_community in (w["d"].grids[0].id, w["d"].street.id, 999_999):
        err = refused(shop.community_or_404, not_a_community)
        assert (err.status, err.code, err.message) == (404, "community_not_found", "找不到该社区")


def test_a_shelf_lists_its_own_items_by_class_then_price_and_hides_those_taken_off(w):
    community = w["d"].communities[0]
    soap = shop.create_item(
        w["staff"], community, name="肥皂", category="日用百货", price=3, stock=1
    )
    salt = shop.create_item(w["staff"], community, name="盐", category="粮油副食", price=2, stock=1)
    shop.create_item(
        w["admin"], w["d"].communities[1], name="油", category="粮油副食", price=9, stock=1
    )
    shop.update_item(w["staff"], w["rice"].id, active=False)
    # by class first (日 U+65E5 before 粮 U+7CAE: code points, as on SQLite and the test
    # PostgreSQL's C.UTF-8), then by price: the cheapest thing is not first
    assert [i.id for i in shop.items_query(community)] == [soap.id, w["towel"].id, salt.id]
    everything = shop.items_query(community, include_inactive=True)
    assert [i.id for i in everything] == [soap.id, w["towel"].id, salt.id, w["rice"].id]
    # a tie keeps the order things were put on the shelf, even after the first is changed
    # (PostgreSQL's scan returns an updated row last)
    soap2 = shop.create_item(
        w["staff"], community, name="香皂", category="日用百货", price=3, stock=1
    )
    shop.update_item(w["staff"], soap.id, add_stock=1)
    assert [i.id for i in shop.items_query(community)][:2] == [soap.id, soap2.id]


def test_an_item_is_shown_with_its_photo_and_every_field(app, w):
    client = app.test_client()
    headers = login_staff(client, w["staff_account"])
    first = upload_photo(client, headers, color="red")
    photo = upload_photo(client, headers)
    shop.update_item(w["staff"], w["rice"].id, photo_id=first)
    item = shop.update_item(w["staff"], w["towel"].id, photo_id=photo, description="纯棉")
    shown = shop.item_dict(item)
    assert shown["photo_url"] != shop.item_dict(ShopItem.get_by_id(w["rice"].id))["photo_url"]
    assert shown["photo_url"].startswith("/media/") and shown["photo_url"].endswith(".jpg")
    assert "_t" in shown["photo_url"]
    assert shown == {
        "id": item.id,
        "community_id": w["d"].communities[0].id,
        "name": "毛巾",
        "category": "日用百货",
        "description": "纯棉",
        "price": 10,
        "stock": 5,
        "active": True,
        "photo_id": photo,
        "photo_url": shown["photo_url"],
        "updated_at": shown["updated_at"],
    }
    assert shown["updated_at"].startswith("20")
    bare = shop.create_item(
        w["staff"], w["d"].communities[0], name="盐", category="粮油副食", price=2, stock=1
    )
    assert shop.item_dict(bare)["photo_url"] is None


# --- scope --------------------------------------------------------------------------------


def test_staff_of_another_community_cannot_restock_this_shop(w):
    err = refused(shop.update_item, w["other_staff"], w["towel"].id, add_stock=3)
    assert (err.status, err.code) == (403, "out_of_scope")
    assert unchanged(w["towel"]) and update_events() == []


def test_staff_of_the_community_and_the_streets_admin_may_change_its_shelf(w):
    assert shop.update_item(w["staff"], w["towel"].id, add_stock=1).stock == 6
    assert shop.update_item(w["admin"], w["towel"].id, add_stock=1).stock == 7


def test_a_change_lands_on_the_item_named_and_no_other(w):
    item = shop.update_item(w["staff"], w["rice"].id, price=30)
    assert (item.id, item.name, item.price) == (w["rice"].id, "大米 5kg", 30)
    assert unchanged(w["towel"])


def test_an_item_that_does_not_exist_is_a_404_in_chinese(w):
    err = refused(shop.update_item, w["staff"], 999_999, price=3)
    assert (err.status, err.code, err.message) == (404, "item_not_found", "找不到该商品")


# --- refusals name the field --------------------------------------------------------------


def test_a_change_with_nothing_in_it_asks_for_something_to_change(w):
    for nothing in ({}, {"price": None, "name": None}):
        err = refused(shop.update_item, w["staff"], w["towel"].id, **nothing)
        assert (err.status, err.code, err.message) == (
            400,
            "validation_error",
            "请填写要修改的内容",
        )
        assert err.fields == {"price": "请填写要修改的内容"}
    assert update_events() == []


def test_fields_left_out_keep_their_values(w):
    item = shop.update_item(w["staff"], w["towel"].id, price=12, name=None, description=None)
    assert (item.name, item.price, item.description) == ("毛巾", 12, "")


@pytest.mark.parametrize(
    ("change", "field", "why"),
    [
        ({"name": "   "}, "name", "不能为空"),
        ({"category": "奢侈品"}, "category", "须为 日用百货、粮油副食"),
        ({"price": 0}, "price", f"须在 1 至 {shop.MAX_PRICE} 之间"),
        ({"price": shop.MAX_PRICE + 1}, "price", f"须在 1 至 {shop.MAX_PRICE} 之间"),
        ({"stock": -1}, "stock", f"须在 0 至 {shop.MAX_STOCK} 之间"),
        ({"stock": shop.MAX_STOCK + 1}, "stock", f"须在 0 至 {shop.MAX_STOCK} 之间"),
        ({"description": "字" * (shop.DESCRIPTION_MAX + 1)}, "description", "最多 200 个字"),
    ],
)
def test_a_refused_change_says_which_field_and_why_in_chinese(w, change, field, why):
    err = refused(shop.update_item, w["staff"], w["towel"].id, **change)
    assert (err.status, err.message) == (400, "商品信息有误")
    assert list(err.fields) == [field] and err.fields[field].startswith(why)
    assert unchanged(w["towel"]) and update_events() == []


def test_values_exactly_at_the_bounds_are_accepted(w):
    item = shop.update_item(
        w["staff"],
        w["towel"].id,
        price=shop.MAX_PRICE,
        stock=0,
        description="字" * shop.DESCRIPTION_MAX,
    )
    assert (item.price, item.stock, len(item.description)) == (shop.MAX_PRICE, 0, 200)
    item = shop.update_item(w["staff"], w["towel"].id, price=1, stock=shop.MAX_STOCK)
    assert (item.price, item.stock) == (1, shop.MAX_STOCK)


# --- stock --------------------------------------------------------------------------------


def test_restocking_adds_to_what_is_on_the_shelf(w):
    assert shop.update_item(w["staff"], w["towel"].id, add_stock=4).stock == 9
    assert shop.update_item(w["staff"], w["towel"].id, add_stock=-9).stock == 0


def test_restocking_by_at_most_the_maximum_either_way(w):
    shop.update_item(w["staff"], w["towel"].id, stock=0)
    item = shop.update_item(w["staff"], w["towel"].id, add_stock=shop.MAX_STOCK)
    assert item.stock == shop.MAX_STOCK
    item = shop.update_item(w["staff"], w["towel"].id, add_stock=-shop.MAX_STOCK)
    assert item.stock == 0
    for add in (shop.MAX_STOCK + 1, -shop.MAX_STOCK - 1):
        err = refused(shop.update_item, w["staff"], w["towel"].id, add_stock=add)
        assert (err.status, err.message) == (400, "补货数量有误")
        assert err.fields == {"add_stock": f"绝对值不超过 {shop.MAX_STOCK}"}
    assert ShopItem.get_by_id(w["towel"].id).stock == 0


def test_taking_off_more_than_is_on_the_shelf_is_refused_and_changes_nothing(w):
    err = refused(shop.update_item, w["staff"], w["towel"].id, add_stock=-6, price=99)
    assert (err.status, err.code, err.message) == (409, "out_of_stock", "库存不足，不能减少这么多")
    assert unchanged(w["towel"]) and update_events() == []


# --- name, photo, time, audit ---------------------------------------------------------------


def test_a_new_name_is_trimmed_and_a_name_too_long_is_refused_not_cut(w):
    assert shop.update_item(w["staff"], w["towel"].id, name="  纯棉毛巾 ").name == "纯棉毛巾"
    exact = "长" * shop.NAME_MAX
    assert shop.update_item(w["staff"], w["towel"].id, name=f" {exact} ").name == exact
    err = refused(shop.update_item, w["staff"], w["towel"].id, name=exact + "长")
    assert (err.status, err.fields) == (400, {"name": f"最多 {shop.NAME_MAX} 个字"})
    assert ShopItem.get_by_id(w["towel"].id).name == exact


def test_setting_the_stock_and_adding_to_it_at_once_is_refused(w):
    err = refused(shop.update_item, w["staff"], w["towel"].id, stock=9, add_stock=2)
    assert (err.status, err.message) == (400, "补货数量有误")
    assert err.fields == {"add_stock": "不能同时设定库存和补货数量，请只填一项"}
    assert unchanged(w["towel"]) and update_events() == []


def test_restocking_never_goes_past_the_maximum(w):
    shop.update_item(w["staff"], w["towel"].id, stock=shop.MAX_STOCK - 5)
    assert shop.update_item(w["staff"], w["towel"].id, add_stock=5).stock == shop.MAX_STOCK
    err = refused(shop.update_item, w["staff"], w["towel"].id, add_stock=1)
    assert (err.status, err.code) == (409, "stock_limit")
    assert err.message == f"补货后库存将超过 {shop.MAX_STOCK}，不能补这么多"
    assert ShopItem.get_by_id(w["towel"].id).stock == shop.MAX_STOCK


def test_only_a_photo_one_uploaded_goes_on_the_shelf(app, w):
    client = app.test_client()
    mine = upload_photo(client, login_staff(client, w["staff_account"]))
    theirs = upload_photo(
        client, login_staff(client, make_staff(w["d"].communities[0])), color="red"
    )
    err = refused(shop.update_item, w["staff"], w["towel"].id, photo_id=theirs)
    assert (err.status, err.message) == (400, "照片不存在或不是您上传的")
    assert err.fields == {"photo_id": "照片不存在或不是您上传的"}
    assert ShopItem.get_by_id(w["towel"].id).photo_id is None
    assert shop.update_item(w["staff"], w["towel"].id, photo_id=mine).photo_id == mine


def test_a_change_stamps_the_time_and_is_audited_with_its_author(w):
    when = datetime(2026, 12, 7, 2, 30, tzinfo=UTC)
    with time_machine.travel(when, tick=False):
        item = shop.update_item(w["staff"], w["towel"].id, price=8, add_stock=2, name=" 毛巾 ")
    assert item.updated_at.replace(tzinfo=UTC) == when
    (event,) = update_events()
    assert (event.subject_type, event.subject_id) == ("shop_item", w["towel"].id)
    assert event.actor_id == w["staff"].user.id and event.area_id == w["d"].communities[0].id
    assert event.data == {"price": 8, "name": "毛巾", "add_stock": 2}


# --- the demo shelf -------------------------------------------------------------------------


def test_the_demo_shelf_stocks_an_empty_shelf_once_with_stock_and_descriptions(app):
    community = make_district(communities=1).communities[0]
    assert shop.stock_demo_shelf(community) == len(shop.DEMO_ITEMS) == 12
    towel = ShopItem.get((ShopItem.community == community.id) & (ShopItem.name == "毛巾"))
    assert (towel.category, towel.price, towel.stock, towel.description) == (
        "日用百货",
        5,
        30,
        "纯棉，一条",
    )
    # a shelf with anything on it is left alone, and says it added nothing
    assert shop.stock_demo_shelf(community) == 0
    assert ShopItem.select().where(ShopItem.community == community.id).count() == 12


# --- redeeming ------------------------------------------------------------------------------


def _passbook(w, name: str, points: int, community: int = 0) -> tuple[Principal, PointAccount]:
    user = User.create(openid=f"dev:{name}", nickname=name)
    account = postings.account_for(w["d"].communities[community], Holder(user_id=user.id))
    with write_transaction():
        postings.post(account, points, rule="adjustment", source_type="adjustment", reason="开户")
    return Principal.for_user(user), PointAccount.get_by_id(account.id)


def test_redeeming_takes_one_off_the_shelf_and_the_price_off_the_passbook(w):
    resident, account = _passbook(w, "张大妈", 25)
    r = shop.redeem(resident, w["towel"].id)
    assert (r.item_id, r.account_id, r.item_name, r.price, r.at_counter) == (
        w["towel"].id,
        account.id,
        "毛巾",
        10,
        False,
    )
    assert r.actor_id == resident.user.id and r.actor_label == "张大妈"
    assert ShopItem.get_by_id(w["towel"].id).stock == 4 and unchanged(w["rice"])
    entry = PointEntry.get_by_id(r.entry_id)
    assert (entry.account_id, entry.points, entry.rule, entry.reason) == (
        account.id,
        -10,
        "redemption",
        "兑换“毛巾”",
    )
    assert (entry.source_type, entry.source_id, entry.actor_id) == (
        "redemption",
        r.id,
        resident.user.id,
    )
    assert PointAccount.get_by_id(account.id).balance == 15
    event = Event.get(Event.action == "shop.redeem")
    assert (event.subject_type, event.subject_id, event.actor_id) == (
        "redemption",
        r.id,
        resident.user.id,
    )
    assert event.area_id == w["d"].communities[0].id
    assert event.data == {
        "item_id": w["towel"].id,
        "price": 10,
        "account_id": account.id,
        "at_counter": False,
    }
    shown = shop.redemption_dict(Redemption.get_by_id(r.id))
    assert shown == {
        "id": r.id,
        "item_id": w["towel"].id,
        "item_name": "毛巾",
        "price": 10,
        "at_counter": False,
        "by": r.actor_label,
        "account_id": account.id,
        "member_code": account.member_code,
        "balance": 15,
        "entry_id": r.entry_id,
        "created_at": shown["created_at"],
    }
    assert shown["created_at"].startswith("20")


def test_redeeming_stamps_the_items_change_time(w):
    resident, _ = _passbook(w, "张大妈", 25)
    when = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    with time_machine.travel(when, tick=False):
        shop.redeem(resident, w["towel"].id)
    assert ShopItem.get_by_id(w["towel"].id).updated_at.replace(tzinfo=UTC) == when


def test_at_the_counter_staff_redeem_from_the_member_code_shown(w):
    _, account = _passbook(w, "张大妈", 10)
    r = shop.redeem(w["staff"], w["towel"].id, member_code=account.member_code)
    assert r.at_counter is True and r.account_id == account.id
    assert r.actor_id == w["staff"].user.id
    assert Event.get(Event.action == "shop.redeem").data["at_counter"] is True


def test_staff_of_another_community_cannot_redeem_at_this_shop(w):
    _, account = _passbook(w, "张大妈", 10)
    err = refused(shop.redeem, w["other_staff"], w["towel"].id, member_code=account.member_code)
    assert (err.status, err.code) == (403, "out_of_scope")
    assert Redemption.select().count() == 0


def test_a_passbook_of_another_community_is_refused_at_the_counter_in_chinese(w):
    _, stranger = _passbook(w, "李大爷", 50, community=1)
    err = refused(shop.redeem, w["staff"], w["towel"].id, member_code=stranger.member_code)
    assert (err.status, err.code) == (409, "wrong_community")
    assert err.message == "该会员码不是本社区时间银行的存折，不能在这里兑换"
    assert Redemption.select().count() == 0


def test_nobody_logged_in_redeems_nothing(w):
    err = refused(shop.redeem, Principal.anonymous(), w["towel"].id)
    assert (err.status, err.code, err.message) == (400, "unauthorized", "请先登录")


def test_an_item_off_the_shelf_or_unknown_cannot_be_redeemed(w):
    resident, _ = _passbook(w, "张大妈", 50)
    shop.update_item(w["staff"], w["towel"].id, active=False)
    for item_id in (w["towel"].id, 999_999):
        err = refused(shop.redeem, resident, item_id)
        assert (err.status, err.code, err.message) == (404, "item_not_found", "找不到该商品")
    assert ShopItem.get_by_id(w["towel"].id).stock == 5


def test_refusals_say_what_ran_out_in_chinese_and_take_nothing(w):
    resident, account = _passbook(w, "张大妈", 20)
    shop.update_item(w["staff"], w["towel"].id, stock=0)
    err = refused(shop.redeem, resident, w["towel"].id)
    assert (err.status, err.code) == (409, "out_of_stock")
    assert err.message == "“毛巾”已兑完，请选择其他商品"
    err = refused(shop.redeem, resident, w["rice"].id)
    assert (err.status, err.code) == (409, "insufficient_points")
    assert err.message == "积分不足：“大米 5kg”需要 25 分，存折余额 20 分"
    assert ShopItem.get_by_id(w["rice"].id).stock == 3
    assert PointAccount.get_by_id(account.id).balance == 20
    assert Redemption.select().count() == 0


def test_the_last_points_buy_the_item_exactly(w):
    resident, account = _passbook(w, "张大妈", 10)
    shop.update_item(w["staff"], w["towel"].id, stock=1)
    shop.redeem(resident, w["towel"].id)
    assert PointAccount.get_by_id(account.id).balance == 0
    assert ShopItem.get_by_id(w["towel"].id).stock == 0
