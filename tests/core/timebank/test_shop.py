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
from core.timebank import shop
from infra.errors import ApiError
from models import Event, ShopItem, User
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


def test_a_new_name_is_trimmed_and_cut_to_the_maximum(w):
    assert shop.update_item(w["staff"], w["towel"].id, name="  纯棉毛巾 ").name == "纯棉毛巾"
    long = "长" * (shop.NAME_MAX + 5)
    assert shop.update_item(w["staff"], w["towel"].id, name=long).name == "长" * shop.NAME_MAX


def test_only_a_photo_one_uploaded_goes_on_the_shelf(app, w):
    client = app.test_client()
    mine = upload_photo(client, login_staff(client, w["staff_account"]))
    theirs = upload_photo(
        client, login_staff(client, make_staff(w["d"].communities[0])), color="red"
    )
    err = refused(shop.update_item, w["staff"], w["towel"].id, photo_id=theirs)
    assert err.status == 400 and err.fields == {"photo_id": "照片不存在或不是您上传的"}
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
