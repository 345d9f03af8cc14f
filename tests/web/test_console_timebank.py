"""The console's 时间银行 page: look a passbook up by member code, adjust with a reason, reverse,
stock the shelf, redeem at the counter — scoped, CSRF-protected, audited — and the page in a
real browser (a screenshot to look at)."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from core import media
from core.timebank import postings
from core.timebank.postings import Holder
from infra.db import write_transaction
from models import Event, Media, PointAccount, PointEntry, Redemption, ShopItem, User, Volunteer
from tests.browser.helpers import signed_in
from tests.browser.test_scan_browser import browser, chromium  # noqa: F401  (fixtures)
from tests.conftest import make_app
from tests.console_world import build, console_login, csrf
from tests.live import serving


@pytest.fixture
def world(capp):
    w = build(capp)
    user = User.create(openid="dev:李阿姨", nickname="李阿姨")
    account = postings.account_for(w.d.communities[0], Holder(user_id=user.id))
    with write_transaction():
        postings.post(account, 30, rule="adjustment", source_type="adjustment", reason="开户")
    w.account = PointAccount.get_by_id(account.id)
    return w


def test_lookup_adjust_reverse_stock_and_redeem(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    c0 = world.d.communities[0].id
    page = client.get(f"/console/timebank?person={world.account.member_code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "李阿姨" in html and "余额 <b>30</b> 分" in html
    token = csrf(client, "/console/timebank")
    base = {"csrf_token": token, "community": c0, "person": world.account.member_code}
    # adjust: a rule with units, then without a reason (refused, nothing written)
    res = client.post(
        "/console/timebank/adjust",
        data={
            **base,
            "account_id": world.account.id,
            "rule": "meeting",
            "units": 2,
            "reason": "例会",
        },
        follow_redirects=True,
    )
    assert "已记入存折：+2 分" in res.get_data(as_text=True)
    res = client.post(
        "/console/timebank/adjust",
        data={**base, "account_id": world.account.id, "rule": "meeting", "reason": " "},
        follow_redirects=True,
    )
    assert "请写明加减分原因" in res.get_data(as_text=True)
    assert PointAccount.get_by_id(world.account.id).balance == 32
    entry = PointEntry.get(PointEntry.rule == "meeting")
    res = client.post(
        f"/console/timebank/entries/{entry.id}/reverse",
        data={**base, "reason": "记错了"},
        follow_redirects=True,
    )
    assert "已冲正：-2 分" in res.get_data(as_text=True)
    # stock the shelf, restock, redeem at the counter
    res = client.post(
        "/console/timebank/items",
        data={**base, "name": "洗衣液", "category": "日用百货", "price": 20, "stock": 1},
        follow_redirects=True,
    )
    assert "已上架“洗衣液”" in res.get_data(as_text=True)
    item = ShopItem.get(ShopItem.name == "洗衣液")
    client.post(
        f"/console/timebank/items/{item.id}",
        data={**base, "price": 20, "add_stock": 2, "active": "1"},
    )
    assert ShopItem.get_by_id(item.id).stock == 3
    counter = {**base, "item_id": item.id, "member_code": world.account.member_code}
    # first the question, naming whose code it is and the balance; nothing deducted yet
    res = client.post("/console/timebank/redeem", data=counter)
    html = res.get_data(as_text=True)
    assert "李阿姨，余额 30 分，确认兑换 洗衣液（20 分）？" in html and "确认兑换</button>" in html
    assert PointAccount.get_by_id(world.account.id).balance == 30
    res = client.post(
        "/console/timebank/redeem", data={**counter, "confirm": "1"}, follow_redirects=True
    )
    assert "兑换成功：“洗衣液” 20 分，存折余额 10 分" in res.get_data(as_text=True)
    html = client.post("/console/timebank/redeem", data=counter).get_data(as_text=True)
    assert "李阿姨，余额 10 分" in html and "积分不足" in html and "确认兑换</button>" not in html
    res = client.post(
        "/console/timebank/redeem", data={**counter, "confirm": "1"}, follow_redirects=True
    )
    assert "积分不足" in res.get_data(as_text=True)
    r = Redemption.get()
    assert r.at_counter and r.actor_label
    actions = {e.action for e in Event.select()}
    assert {"points.adjust", "points.reverse", "shop.item_create", "shop.redeem"} <= actions
    assert postings.audit_balances() == []


def test_other_communities_staff_cannot_see_or_change_the_passbook(capp, world):
    client = console_login(capp.test_client(), "secretary2")
    page = client.get(f"/console/timebank?person={world.account.member_code}")
    assert "不在您的管辖范围内" in page.get_data(as_text=True)
    assert "余额" not in page.get_data(as_text=True)
    assert client.get(f"/console/timebank?community={world.d.communities[0].id}").status_code == 403
    token = csrf(client, "/console/timebank")
    res = client.post(
        "/console/timebank/adjust",
        data={
            "csrf_token": token,
            "account_id": world.account.id,
            "rule": "meeting",
            "reason": "x",
        },
        follow_redirects=True,
    )
    assert "不在您的管辖范围内" in res.get_data(as_text=True)
    assert PointAccount.get_by_id(world.account.id).balance == 30


def test_forms_without_csrf_are_refused(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    before = PointEntry.select().count()
    res = client.post(
        "/console/timebank/adjust",
        data={"account_id": world.account.id, "rule": "meeting", "reason": "x"},
    )
    assert res.status_code == 400
    assert PointEntry.select().count() == before


def test_anonymous_is_sent_to_login(capp, world):
    res = capp.test_client().get("/console/timebank")
    assert res.status_code == 302 and "/console/login" in res.headers["Location"]


@pytest.mark.browser
def test_the_page_in_a_browser(tmp_path, browser):  # noqa: F811
    app = make_app(tmp_path)
    with app.app_context():
        w = build(app)
        user = User.create(openid="dev:李阿姨", nickname="李阿姨")
        account = postings.account_for(w.d.communities[0], Holder(user_id=user.id))
        with write_transaction():
            postings.post(account, 30, rule="adjustment", source_type="adjustment", reason="开户")
        with serving(app, close_db=True) as base, signed_in(browser, base) as page:
            page.click("nav >> text=时间银行")
            add = page.locator("form.add-item")
            add.locator("input[name=name]").fill("食用油 5L")
            add.locator("select[name=category]").select_option("粮油副食")
            add.locator("input[name=price]").fill("25")
            add.locator("input[name=stock]").fill("4")
            add.locator("button[type=submit]").click()
            assert "已上架“食用油 5L”" in page.content()
            page.fill("input[name=person]", account.member_code)
            page.click("text=查询")
            assert re.search(r"余额\s*<b>30</b>", page.content())
            page.locator("form >> input[name=member_code]").fill(account.member_code)
            page.click("form >> text=兑换")
            assert "李阿姨，余额 30 分，确认兑换" in page.locator("#counter-question").inner_text()
            with page.expect_navigation():
                page.click("button:text-is('确认兑换')")
            assert "兑换成功" in page.content()
            wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
            assert not wide  # never scrolls sideways
            page.goto(f"{base}/console/timebank?person={account.member_code}")
            page.screenshot(path="/tmp/console-timebank.png", full_page=True)


def test_bad_numbers_are_explained_not_500(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/timebank")
    c0 = world.d.communities[0].id
    for price in ("十块", "9" * 30):
        res = client.post(
            "/console/timebank/items",
            data={"csrf_token": token, "community": c0, "name": "米", "category": "粮油副食"}
            | {"price": price, "stock": 1},
            follow_redirects=True,
        )
        assert res.status_code == 200 and ShopItem.select().count() == 0
        assert "须为整数" in res.get_data(as_text=True) or "超出范围" in res.get_data(as_text=True)


def test_an_item_with_a_photo_loses_its_exif(capp, world):
    buf = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    Image.new("RGB", (60, 40), "orange").save(buf, "JPEG", exif=exif)
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/timebank")
    res = client.post(
        "/console/timebank/items",
        data={
            "csrf_token": token,
            "community": world.d.communities[0].id,
            "name": "橙子",
            "category": "粮油副食",
            "price": 3,
            "stock": 9,
            "photo": (io.BytesIO(buf.getvalue()), "orange.jpg"),
        },
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "已上架“橙子”" in res.get_data(as_text=True)
    item = ShopItem.get(ShopItem.name == "橙子")
    stored = media.media_path(Media.get_by_id(item.photo_id))
    assert not Image.open(stored).getexif()  # EXIF stripped
    assert 'class="thumb"' in client.get("/console/timebank").get_data(as_text=True)


def test_void_a_redemption_gives_stock_and_points_back_once(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    c0 = world.d.communities[0].id
    token = csrf(client, "/console/timebank")
    item = ShopItem.create(community=c0, name="毛巾", category="日用百货", price=5, stock=2)
    code = world.account.member_code
    client.post(
        "/console/timebank/redeem",
        data={"csrf_token": token, "community": c0, "item_id": item.id}
        | {"member_code": code, "confirm": "1"},
    )
    r = Redemption.get()
    assert ShopItem.get_by_id(item.id).stock == 1
    assert PointAccount.get_by_id(world.account.id).balance == 25
    html = client.get(f"/console/timebank?community={c0}").get_data(as_text=True)
    assert f'id="redemption-{r.id}"' in html and "李阿姨" in html
    url = f"/console/timebank/redemptions/{r.id}/void"
    res = client.post(url, data={"csrf_token": token, "community": c0}, follow_redirects=True)
    assert "请写明作废原因" in res.get_data(as_text=True)
    assert ShopItem.get_by_id(item.id).stock == 1
    res = client.post(
        url,
        data={"csrf_token": token, "community": c0, "reason": "扫错了码"},
        follow_redirects=True,
    )
    html = res.get_data(as_text=True)
    assert "已作废：商品已退回库存，+5 分已退回存折" in html and "已作废</td>" in html
    assert ShopItem.get_by_id(item.id).stock == 2
    assert PointAccount.get_by_id(world.account.id).balance == 30
    event = Event.get(Event.action == "shop.void")
    assert event.actor_id == world.staff.user_id and event.data["reason"] == "扫错了码"
    # twice: refused, nothing moves
    res = client.post(
        url, data={"csrf_token": token, "community": c0, "reason": "再作废"}, follow_redirects=True
    )
    assert "已经作废过了" in res.get_data(as_text=True)
    assert ShopItem.get_by_id(item.id).stock == 2
    assert PointAccount.get_by_id(world.account.id).balance == 30
    assert postings.audit_balances() == []
    # another community's staff: the redemption does not exist for them
    other = console_login(capp.test_client(), "secretary2")
    token2 = csrf(other, "/console/timebank")
    res = other.post(url, data={"csrf_token": token2, "reason": "x"})
    assert res.status_code == 404


def test_passbook_found_by_name_or_phone(capp, world):
    from core.people.permissions import Principal
    from core.volunteering import volunteers

    c0 = world.d.communities[0]
    user = User.create(openid="dev:王秀英", nickname="微信昵称")
    volunteers.register(Principal.for_user(user), c0.id, "王秀英", "13712345678")
    account = postings.account_for(c0, Holder(user_id=user.id))
    with write_transaction():
        postings.post(account, 9, rule="adjustment", source_type="adjustment", reason="开户")
    client = console_login(capp.test_client(), "secretary1")
    for person in ("王秀英", "1371234", "王 秀英"):
        html = client.get(f"/console/timebank?person={person}").get_data(as_text=True)
        assert "王秀英 · 第1社区" in html and "余额 <b>9</b> 分" in html, person
    rows = client.get("/console/search/people.json?q=王秀&for=passbook").get_json()
    assert [r["value"] for r in rows] == [f"volunteer:{Volunteer.get().id}"]
    html = client.get(f"/console/timebank?person={rows[0]['value']}").get_data(as_text=True)
    assert "余额 <b>9</b> 分" in html
    # the counter names the volunteer by their real name, not the WeChat nickname
    item = ShopItem.create(community=c0.id, name="毛巾", category="日用百货", price=5, stock=3)
    token = csrf(client, "/console/timebank")
    html = client.post(
        "/console/timebank/redeem",
        data={"csrf_token": token, "community": c0.id, "item_id": item.id}
        | {"member_code": account.member_code},
    ).get_data(as_text=True)
    assert "王秀英，余额 9 分，确认兑换 毛巾（5 分）？" in html
    # nobody of that name in scope
    other = console_login(capp.test_client(), "secretary2")
    html = other.get("/console/timebank?person=王秀英").get_data(as_text=True)
    assert "没有找到" in html and "余额 <b>" not in html
