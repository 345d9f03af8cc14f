"""The exchange shop's counter (core.timebank.shop): the preview before a deduction and the
void of a redemption — stock and points back, audited, once even when two staff press it at
the same moment, never on one's own passbook."""

from __future__ import annotations

import pytest

from core.people.permissions import Principal
from core.timebank import postings, shop
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.errors import ApiError
from models import Event, PointAccount, PointEntry, ShopItem, User
from tests.console_world import build
from tests.factories import at_once


@pytest.fixture
def counter(capp):
    w = build(capp)
    c0 = w.d.communities[0]
    user = User.create(openid="dev:王秀英", nickname="王秀英")
    account = postings.account_for(c0, Holder(user_id=user.id))
    with write_transaction():
        postings.post(account, 9, rule="adjustment", source_type="adjustment", reason="开户")
    item = ShopItem.create(community=c0.id, name="毛巾", category="日用百货", price=5, stock=3)
    staff = Principal.for_user(User.get_by_id(w.staff.user_id))
    return w, staff, PointAccount.get_by_id(account.id), item


def test_preview_names_the_holder_and_writes_nothing(counter):
    w, staff, account, item = counter
    entries = PointEntry.select().count()
    v = shop.counter_preview(staff, item.id, account.member_code.lower())
    assert v["question"] == "王秀英，余额 9 分，确认兑换 毛巾（5 分）？"
    assert v["enough"] and v["in_stock"]
    assert PointEntry.select().count() == entries and ShopItem.get_by_id(item.id).stock == 3
    other = Principal.for_user(User.get_by_id(w.other_staff.user_id))
    with pytest.raises(ApiError) as refused:
        shop.counter_preview(other, item.id, account.member_code)
    assert refused.value.status == 403


def test_two_voids_at_once_one_winner(capp, counter):
    w, staff, account, item = counter
    r = shop.redeem(staff, item.id, member_code=account.member_code)
    outcomes = at_once(capp, lambda: shop.void(staff, r.id, "扫错了码"))
    assert sorted(outcomes) == ["already_voided", "ok"]
    assert ShopItem.get_by_id(item.id).stock == 3
    assert PointAccount.get_by_id(account.id).balance == 9
    assert Event.select().where(Event.action == "shop.void").count() == 1
    assert postings.audit_balances() == []
    assert shop.voided_ids([r]) == {r.id}


def test_no_void_on_ones_own_passbook(counter):
    w, staff, _, item = counter
    own = postings.account_for(w.d.communities[0], Holder(user_id=w.staff.user_id))
    with write_transaction():
        postings.post(own, 10, rule="adjustment", source_type="adjustment", reason="开户")
    r = shop.redeem(staff, item.id, member_code=own.member_code)
    with pytest.raises(ApiError) as refused:
        shop.void(staff, r.id, "想退")
    assert refused.value.code == "own_passbook"
    assert PointAccount.get_by_id(own.id).balance == 5 and ShopItem.get_by_id(item.id).stock == 2
