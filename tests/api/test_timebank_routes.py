"""The time bank and the exchange shop through the HTTP API: passbooks, staff adjustments and
reversals, the shelf, redemptions (self and at the counter), races for the last item and for the
last points on SQLite and PostgreSQL alike, bad input named in Chinese, and the bot's 存折."""

from __future__ import annotations

import base64
import threading

import pytest
import requests

from core.timebank import postings, rules
from core.timebank.postings import Holder
from infra.db import write_transaction
from models import Event, PointAccount, PointEntry, Redemption, ShopItem, User
from tests.factories import login, login_staff, login_steward, make_district, make_staff
from tests.live import serving

API = "/api/v1"


@pytest.fixture
def w(client):
    d = make_district()
    return {
        "d": d,
        "c0": d.communities[0],
        "c1": d.communities[1],
        "resident": login(client, "张大妈"),
        "staff": login_staff(client, make_staff(d.communities[0])),
        "other_staff": login_staff(client, make_staff(d.communities[1])),
    }


def user_named(name: str) -> User:
    return User.get(User.openid == f"dev:{name}")


def give(community, user: User, points: int) -> PointAccount:
    account = postings.account_for(community, Holder(user_id=user.id))
    with write_transaction():
        postings.post(account, points, rule="adjustment", source_type="adjustment", reason="开户")
    return PointAccount.get_by_id(account.id)


def add_item(client, w, **extra) -> dict:
    body = {"community_id": w["c0"].id, "name": "毛巾", "category": "日用百货", "price": 10}
    body.update({"stock": 5, **extra})
    res = client.post(f"{API}/shop/items", json=body, headers=w["staff"])
    assert res.status_code == 201, res.get_json()
    return res.get_json()


# --- passbooks ------------------------------------------------------------------------------


def test_my_passbook_lists_entries_balance_and_member_code(client, w):
    account = give(w["c0"], user_named("张大妈"), 12)
    res = client.get(f"{API}/points/me", headers=w["resident"])
    assert res.status_code == 200
    data = res.get_json()
    assert data["total_balance"] == 12
    book = data["items"][0]
    assert book["member_code"] == account.member_code and book["community_name"] == "第1社区"
    assert book["entries"]["total"] == 1
    assert book["entries"]["items"][0]["points"] == 12
    assert book["entries"]["items"][0]["rule_label"] == "人工调整"
    qr = client.get(f"{API}/points/me/member-code?account_id={account.id}", headers=w["resident"])
    assert qr.status_code == 200
    png = base64.b64decode(qr.get_json()["qr_png"].split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    # someone else's passbook is not "mine"
    other = login(client, "路人")
    assert (
        client.get(
            f"{API}/points/me/member-code?account_id={account.id}", headers=other
        ).status_code
        == 404
    )
    assert client.get(f"{API}/points/me", headers=other).get_json()["items"] == []
    assert client.get(f"{API}/points/me").status_code == 401


def test_open_a_passbook_before_having_points(client, w):
    url = f"{API}/points/me/passbooks"
    res = client.post(url, json={"community_id": w["c0"].id}, headers=w["resident"])
    assert res.status_code == 201 and res.get_json()["balance"] == 0
    again = client.post(url, json={"community_id": w["c0"].id}, headers=w["resident"])
    assert again.get_json()["member_code"] == res.get_json()["member_code"]  # the same one
    assert (
        client.post(
            url, json={"community_id": w["d"].alleys[0].id}, headers=w["resident"]
        ).status_code
        == 404
    )
    bad = client.post(url, json={}, headers=w["resident"])
    assert bad.status_code == 400 and "community_id" in bad.get_json()["error"]["fields"]
    books = client.get(f"{API}/points/me", headers=w["resident"]).get_json()["items"]
    assert [b["member_code"] for b in books] == [res.get_json()["member_code"]]


def test_staff_look_a_person_up_within_their_scope_only(client, w):
    account = give(w["c0"], user_named("张大妈"), 3)
    steward = w["d"].stewards[0]
    postings.account_for(w["c0"], Holder(steward_id=steward.id))
    for person in (account.member_code.lower(), f"user:{account.user_id}"):
        res = client.get(f"{API}/points?person={person}", headers=w["staff"])
        assert res.status_code == 200, res.get_json()
        assert [b["id"] for b in res.get_json()["items"]] == [account.id]
    res = client.get(f"{API}/points?person=steward:{steward.id}", headers=w["staff"])
    assert res.get_json()["items"][0]["holder"]["kind"] == "steward"
    res = client.get(f"{API}/points?person={account.member_code}", headers=w["other_staff"])
    assert res.status_code == 403
    assert client.get(f"{API}/points?person=NOSUCHCODE", headers=w["staff"]).status_code == 404
    assert client.get(f"{API}/points?person=x", headers=w["resident"]).status_code == 403
    for bad in ("steward:abc", "user:" + "9" * 30, "steward:"):
        res = client.get(f"{API}/points?person={bad}", headers=w["staff"])
        assert res.status_code in (400, 404), (bad, res.get_json())
        if res.status_code == 400:
            assert "person" in res.get_json()["error"]["fields"]


# --- adjustments and reversals --------------------------------------------------------------


def test_adjust_with_a_manual_rule_and_reverse_it(client, w):
    account = give(w["c0"], user_named("张大妈"), 0)
    body = {"member_code": account.member_code, "rule": "dispute_mediated", "units": 2}
    res = client.post(
        f"{API}/points/adjustments", json={**body, "reason": "调解两起纠纷"}, headers=w["staff"]
    )
    assert res.status_code == 201, res.get_json()
    data = res.get_json()
    assert data["entry"]["points"] == 6 and data["balance"] == 6
    assert data["entry"]["rule_label"] == "成功调解邻里纠纷"
    event = Event.get(Event.action == "points.adjust")
    assert event.data["reason"] == "调解两起纠纷" and event.data["points"] == 6
    entry_id = data["entry"]["id"]
    res = client.post(
        f"{API}/points/entries/{entry_id}/reverse", json={"reason": "记错人了"}, headers=w["staff"]
    )
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["entry"]["points"] == -6 and res.get_json()["balance"] == 0
    assert res.get_json()["entry"]["reverses"] == entry_id
    again = client.post(
        f"{API}/points/entries/{entry_id}/reverse", json={"reason": "再冲"}, headers=w["staff"]
    )
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_reversed"
    assert Event.select().where(Event.action == "points.reverse").count() == 1
    book = client.get(f"{API}/points/me", headers=w["resident"]).get_json()["items"][0]
    flags = {e["id"]: e["reversed"] for e in book["entries"]["items"]}
    assert flags[entry_id] is True
    assert postings.audit_balances() == []


def test_free_adjustment_deduction_may_go_negative_and_then_redemption_is_refused(client, w):
    account = give(w["c0"], user_named("张大妈"), 2)
    body = {"member_code": account.member_code, "rule": "adjustment", "points": -5}
    res = client.post(
        f"{API}/points/adjustments", json={**body, "reason": "更正多记的分"}, headers=w["staff"]
    )
    assert res.status_code == 201 and res.get_json()["balance"] == -3
    item = add_item(client, w, price=1)
    res = client.post(f"{API}/shop/items/{item['id']}/redeem", json={}, headers=w["resident"])
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "insufficient_points"
    assert postings.audit_balances() == []


def test_adjust_a_steward_who_never_logged_in(client, w):
    steward = w["d"].stewards[0]
    body = {"steward_id": steward.id, "rule": "absent", "reason": "缺席例会"}
    res = client.post(f"{API}/points/adjustments", json=body, headers=w["staff"])
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["entry"]["points"] == -1
    assert res.get_json()["passbook"]["kind"] == "steward"
    far = {"steward_id": w["d"].stewards[2].id, "rule": "absent", "reason": "x"}
    res = client.post(f"{API}/points/adjustments", json=far, headers=w["staff"])
    assert res.status_code == 403  # another community's steward


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rule": "meeting"}, "reason"),
        ({"rule": "meeting", "reason": "   "}, "reason"),
        ({"rule": "no_such_rule", "reason": "x"}, "rule"),
        ({"rule": "issue_resolved", "reason": "x"}, "rule"),  # automatic only
        ({"rule": "adjustment", "reason": "x"}, "points"),
        ({"rule": "adjustment", "points": 0, "reason": "x"}, "points"),
        ({"rule": "adjustment", "points": 5000, "reason": "x"}, "points"),
        ({"rule": "meeting", "points": 9, "reason": "x"}, "points"),  # fixed by the rule
        ({"rule": "meeting", "units": 0, "reason": "x"}, "units"),
        ({"rule": "meeting", "units": "两", "reason": "x"}, "units"),
    ],
)
def test_bad_adjustments_name_the_field_in_chinese(client, w, body, field):
    account = give(w["c0"], user_named("张大妈"), 0)
    res = client.post(
        f"{API}/points/adjustments",
        json={"member_code": account.member_code, **body},
        headers=w["staff"],
    )
    assert res.status_code == 400, res.get_json()
    error = res.get_json()["error"]
    assert field in error["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert PointEntry.select().count() == 1  # only the opening entry


def test_rules_catalogue_has_adds_and_deductions_and_manual_choices(client, w):
    items = client.get(f"{API}/points/rules", headers=w["resident"]).get_json()["items"]
    by_code = {r["code"]: r for r in items}
    manual = [r for r in items if r["manual"] and r["code"] != "adjustment"]
    assert len(manual) >= 15
    assert any(r["points"] > 0 for r in manual) and any(r["points"] < 0 for r in manual)
    assert by_code["issue_overdue"]["points"] < 0 and not by_code["issue_overdue"]["manual"]
    assert by_code["service_hour"]["unit"] == "小时"


# --- the shop -------------------------------------------------------------------------------


def test_shelf_is_per_community_and_staff_stock_their_own(client, w):
    item = add_item(client, w)
    listing = client.get(f"{API}/shop/items?community={w['c0'].id}", headers=w["resident"])
    assert [i["id"] for i in listing.get_json()["items"]] == [item["id"]]
    assert len(listing.get_json()["categories"]) == 6
    other = client.get(f"{API}/shop/items?community={w['c1'].id}", headers=w["resident"])
    assert other.get_json()["items"] == []
    body = {
        "community_id": w["c0"].id,
        "name": "米",
        "category": "粮油副食",
        "price": 5,
        "stock": 1,
    }
    assert client.post(f"{API}/shop/items", json=body, headers=w["other_staff"]).status_code == 403
    assert client.post(f"{API}/shop/items", json=body, headers=w["resident"]).status_code == 403
    patch = client.patch(
        f"{API}/shop/items/{item['id']}", json={"add_stock": 3, "price": 12}, headers=w["staff"]
    )
    assert patch.status_code == 200 and patch.get_json()["stock"] == 8
    assert patch.get_json()["price"] == 12
    off = client.patch(f"{API}/shop/items/{item['id']}", json={"active": False}, headers=w["staff"])
    assert off.get_json()["active"] is False
    listing = client.get(f"{API}/shop/items?community={w['c0'].id}", headers=w["resident"])
    assert listing.get_json()["items"] == []
    res = client.post(f"{API}/shop/items/{item['id']}/redeem", json={}, headers=w["resident"])
    assert res.status_code == 404
    assert {e.action for e in Event.select()} >= {"shop.item_create", "shop.item_update"}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"category": "奢侈品"}, "category"),
        ({"price": 0}, "price"),
        ({"stock": -1}, "stock"),
        ({"name": ""}, "name"),
        ({"price": "十"}, "price"),
    ],
)
def test_bad_items_name_the_field(client, w, extra, field):
    body = {"community_id": w["c0"].id, "name": "毛巾", "category": "日用百货", "price": 10}
    body.update({"stock": 5, **extra})
    res = client.post(f"{API}/shop/items", json=body, headers=w["staff"])
    assert res.status_code == 400 and field in res.get_json()["error"]["fields"]


def test_redeem_self_takes_stock_and_points_and_shows_in_the_passbook(client, w):
    give(w["c0"], user_named("张大妈"), 25)
    item = add_item(client, w, stock=2)
    res = client.post(f"{API}/shop/items/{item['id']}/redeem", json={}, headers=w["resident"])
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["balance"] == 15 and res.get_json()["at_counter"] is False
    assert ShopItem.get_by_id(item["id"]).stock == 1
    book = client.get(f"{API}/points/me", headers=w["resident"]).get_json()["items"][0]
    line = book["entries"]["items"][0]
    assert line["points"] == -10 and line["rule"] == "redemption"
    assert line["redemption"]["item_name"] == "毛巾"
    # a redemption is not reversed like a wrong entry
    res = client.post(
        f"{API}/points/entries/{line['id']}/reverse", json={"reason": "退"}, headers=w["staff"]
    )
    assert res.status_code == 409
    assert postings.audit_balances() == []


def test_counter_redemption_by_member_code(client, w):
    account = give(w["c0"], user_named("张大妈"), 10)
    item = add_item(client, w)
    url = f"{API}/shop/items/{item['id']}/redeem"
    res = client.post(url, json={"member_code": account.member_code}, headers=w["staff"])
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["at_counter"] is True and res.get_json()["balance"] == 0
    r = Redemption.get()
    assert r.at_counter and r.actor_label and r.account_id == account.id
    listing = client.get(f"{API}/shop/redemptions?community={w['c0'].id}", headers=w["staff"])
    assert listing.get_json()["items"][0]["member_code"] == account.member_code
    # another community's staff cannot redeem at this shop; a code of another bank is refused
    res = client.post(url, json={"member_code": account.member_code}, headers=w["other_staff"])
    assert res.status_code == 403
    stranger = give(w["c1"], user_named("张大妈"), 50)
    res = client.post(url, json={"member_code": stranger.member_code}, headers=w["staff"])
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "wrong_community"
    res = client.post(url, json={"member_code": account.member_code}, headers=w["resident"])
    assert res.status_code == 403
    res = client.post(url, json={"member_code": "NOSUCH"}, headers=w["staff"])
    assert res.status_code == 404
    assert Event.select().where(Event.action == "shop.redeem").count() == 1


def test_refused_redemptions_take_nothing(client, w):
    give(w["c0"], user_named("张大妈"), 5)
    item = add_item(client, w, stock=0)
    res = client.post(f"{API}/shop/items/{item['id']}/redeem", json={}, headers=w["resident"])
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "out_of_stock"
    assert "已兑完" in res.get_json()["error"]["message"]
    costly = add_item(client, w, price=6)
    res = client.post(f"{API}/shop/items/{costly['id']}/redeem", json={}, headers=w["resident"])
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "insufficient_points"
    assert "积分不足" in res.get_json()["error"]["message"]
    assert ShopItem.get_by_id(costly["id"]).stock == 5
    assert Redemption.select().count() == 0
    assert PointEntry.select().where(PointEntry.rule == "redemption").count() == 0


def _race(app, item_id: int, headers: list[dict]) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(headers))
    results = []
    with serving(app) as base:

        def tap(h):
            barrier.wait()
            res = requests.post(
                f"{base}{API}/shop/items/{item_id}/redeem", json={}, headers=h, timeout=60
            )
            results.append((res.status_code, res.json()))

        threads = [threading.Thread(target=tap, args=(h,)) for h in headers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    return results


def test_twenty_people_race_for_the_last_item(app, client, w):
    item = add_item(client, w, stock=1, price=10)
    people = [login(client, f"抢购{i}") for i in range(20)]
    for i in range(20):
        give(w["c0"], user_named(f"抢购{i}"), 30)
    results = _race(app, item["id"], people)
    codes = sorted(code for code, _ in results)
    assert codes == [200] + [409] * 19, results
    assert {body["error"]["code"] for code, body in results if code == 409} == {"out_of_stock"}
    assert ShopItem.get_by_id(item["id"]).stock == 0
    assert Redemption.select().count() == 1
    assert PointAccount.select().where(PointAccount.balance < 0).count() == 0
    assert sorted(a.balance for a in PointAccount.select())[:2] == [20, 30]
    assert postings.audit_balances() == []


def test_one_person_tapping_twice_with_points_for_one(app, client, w):
    give(w["c0"], user_named("张大妈"), 10)
    item = add_item(client, w, stock=5, price=10)
    results = _race(app, item["id"], [w["resident"], w["resident"]])
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409], results
    refused = next(body for code, body in results if code == 409)
    assert refused["error"]["code"] == "insufficient_points"
    account = PointAccount.get(PointAccount.user == user_named("张大妈").id)
    assert account.balance == 0 and ShopItem.get_by_id(item["id"]).stock == 4
    assert postings.audit_balances() == []


def test_openapi_documents_the_time_bank(client):
    doc = client.get(f"{API}/openapi.json").get_json()
    for path in (
        "/points/me",
        "/points",
        "/points/adjustments",
        "/points/entries/{entry_id}/reverse",
        "/shop/items",
        "/shop/items/{item_id}",
        "/shop/items/{item_id}/redeem",
    ):
        assert any(p.endswith(path) for p in doc["paths"]), path


def test_steward_login_sees_their_steward_passbook(client, w):
    steward = w["d"].stewards[0]
    headers = login_steward(client, steward)
    body = {"steward_id": steward.id, "rule": "meeting", "reason": "参加例会"}
    assert (
        client.post(f"{API}/points/adjustments", json=body, headers=w["staff"]).status_code == 201
    )
    books = client.get(f"{API}/points/me", headers=headers).get_json()["items"]
    assert books[0]["holder"] == {"kind": "steward", "id": steward.id, "name": "管家11（管家）"}
    assert books[0]["balance"] == 1


def test_every_manual_rule_writes_its_entry(client, w):
    """Each rule of the staff catalogue, picked once through the API: its points × units on the
    passbook, its code on the entry, the balance the sum of them all."""
    account = give(w["c0"], user_named("张大妈"), 0)
    expected = 0
    for rule in rules.manual():
        body = {"member_code": account.member_code, "rule": rule.code, "reason": rule.label}
        body.update({"points": 7} if rule.code == "adjustment" else {"units": 2})
        res = client.post(f"{API}/points/adjustments", json=body, headers=w["staff"])
        assert res.status_code == 201, (rule.code, res.get_json())
        points = 7 if rule.code == "adjustment" else rule.points * 2
        assert res.get_json()["entry"]["points"] == points
        assert res.get_json()["entry"]["rule"] == rule.code
        expected += points
    assert PointAccount.get_by_id(account.id).balance == expected == postings.balance_of(account)
    assert len(rules.manual()) >= 20 and postings.audit_balances() == []
