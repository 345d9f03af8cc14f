"""Finding people and things in the console, in a real browser: the search box at the top of
every page, a steward's page with 解绑 (asked first), the counter's question before it deducts
and the void of a redemption (stock and balance back); and the console on a phone (390×844):
the menu behind a button, tables scrolling in their own box, the issue page's action cards
under its content, never a sideways page scroll. Screenshots of each changed page at 1366×768
and 390×844 go to /tmp to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.timebank import postings
from core.timebank.postings import Holder
from infra.db import write_transaction
from models import Event, PointAccount, ShopItem, Steward, User
from tests.browser.helpers import no_sideways_scroll, signed_in
from tests.factories import login_steward

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp")
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def test_search_box_to_a_stewards_page_and_unbind(browser, live):
    app, base, w = live
    steward = w.d.stewards[0]
    with app.app_context():
        login_steward(app.test_client(), steward)
    with signed_in(browser, base, viewport=DESK) as page:
        page.goto(f"{base}/console/issues")
        box = page.locator("header.topbar input[name=q]")
        box.fill(steward.phone)
        with page.expect_navigation():
            box.press("Enter")
        group = page.locator("#found-steward")
        assert steward.name in group.inner_text()
        page.screenshot(path=str(SHOTS / "find-results-1366.png"), full_page=True)
        with page.expect_navigation():
            group.locator("a", has_text=steward.name).click()
        assert page.locator("h1").inner_text().startswith(steward.name)
        assert "已绑定微信" in page.locator("#bind-status").inner_text()
        asked = []

        def answer(dialog):
            asked.append(dialog.message)
            dialog.accept()

        page.on("dialog", answer)
        page.fill("input[name=reason] >> nth=0", "换了手机")
        with page.expect_navigation():
            page.click("button:has-text('解绑')")
        assert asked == [f"确定解绑 {steward.name}？其微信和企业微信立即失效，需要重新绑定。"]
        assert "已解绑" in page.locator(".flash.ok").inner_text()
        assert "解绑" in page.locator("#steward-history").inner_text()
        no_sideways_scroll(page, "steward page")
        page.screenshot(path=str(SHOTS / "steward-page-1366.png"), full_page=True)
        with app.app_context():
            assert Steward.get_by_id(steward.id).user_id is None
            assert Event.get(Event.action == "steward.unbind").data["reason"] == "换了手机"
        # the list's filter: unbound now
        page.goto(f"{base}/console/stewards?bound=unbound")
        assert page.locator(f"#steward-{steward.id}").count() == 1
        page.screenshot(path=str(SHOTS / "stewards-1366.png"), full_page=True)


def test_counter_asks_then_void_gives_back(browser, live):
    app, base, w = live
    c0 = w.d.communities[0]
    with app.app_context():
        from core.people.permissions import Principal
        from core.volunteering import volunteers

        user = User.create(openid="dev:王秀英", nickname="微信用户")
        volunteers.register(Principal.for_user(user), c0.id, "王秀英", "13712345678")
        account = postings.account_for(c0, Holder(user_id=user.id))
        with write_transaction():
            postings.post(account, 9, rule="adjustment", source_type="adjustment", reason="开户")
        item = ShopItem.create(community=c0.id, name="毛巾", category="日用百货", price=5, stock=3)
    with signed_in(browser, base, viewport=DESK) as page:
        page.goto(f"{base}/console/timebank")
        person = page.locator("input[name=person]")
        person.press_sequentially("王秀")
        option = page.locator("datalist option")
        option.first.wait_for(state="attached")
        assert option.first.get_attribute("value").startswith("volunteer:")
        person.fill(option.first.get_attribute("value"))
        with page.expect_navigation():
            page.click("text=查询")
        assert "王秀英" in page.locator(".passbook h3").inner_text()
        page.locator("select[name=item_id]").select_option(str(item.id))
        with page.expect_navigation():
            page.click("form >> button:text-is('兑换')")
        question = page.locator("#counter-question").inner_text()
        assert question == "王秀英，余额 9 分，确认兑换 毛巾（5 分）？"
        no_sideways_scroll(page, "counter question")
        page.screenshot(path=str(SHOTS / "counter-confirm-1366.png"))
        with page.expect_navigation():
            page.click("button:text-is('确认兑换')")
        assert "存折余额 4 分" in page.locator(".flash.ok").inner_text()
        page.on("dialog", lambda d: d.accept())
        row = page.locator("tr[id^=redemption-]").first
        row.locator("input[name=reason]").fill("扫错了码")
        with page.expect_navigation():
            row.locator("button", has_text="作废").click()
        assert "已作废" in page.locator(".flash.ok").inner_text()
        page.screenshot(path=str(SHOTS / "timebank-void-1366.png"), full_page=True)
        with app.app_context():
            assert ShopItem.get_by_id(item.id).stock == 3
            assert PointAccount.get_by_id(account.id).balance == 9


def test_on_a_phone(browser, live):
    app, base, w = live
    steward = w.d.stewards[0]
    with signed_in(browser, base, viewport=PHONE) as page:
        nav = page.locator("nav.side")
        assert not nav.is_visible()
        page.click("button.menu-toggle")
        assert nav.is_visible()
        page.click("button.menu-toggle")
        pages = {
            "dashboard": "/console/",
            "issues": "/console/issues",
            "issue": f"/console/issues/{w.open_issue.id}",
            "stewards": "/console/stewards",
            "steward": f"/console/stewards/{steward.id}",
            "search": f"/console/search?q={steward.name}",
            "timebank": "/console/timebank",
            "outbox": "/console/outbox",
            "groups": "/console/groups",
            "ledger": "/console/ledger",
            "households": "/console/households",
        }
        for name, path in pages.items():
            assert page.goto(f"{base}{path}").status == 200, path
            no_sideways_scroll(page, f"{path} at 390")
            page.screenshot(path=str(SHOTS / f"phone-{name}-390.png"), full_page=True)
        # the issue page: the action cards come under the content, not beside it
        page.goto(f"{base}/console/issues/{w.open_issue.id}")
        content = page.locator(".two > :first-child").bounding_box()
        aside = page.locator(".two > aside").bounding_box()
        assert aside["y"] >= content["y"] + content["height"] - 1, (content, aside)
        assert aside["width"] > 300
        # a wide table scrolls inside its own box
        page.goto(f"{base}/console/issues")
        box = page.evaluate(
            "(() => { const t = document.querySelector('table.grid');"
            " return [t.scrollWidth, t.clientWidth, getComputedStyle(t).overflowX]; })()"
        )
        assert box[2] == "auto" and box[1] <= 390, box
        # the user menu at the top right logs out
        page.click("details.user-menu summary")
        with page.expect_navigation():
            page.click("text=退出登录")
        assert "/console/login" in page.url
    with signed_in(browser, base, viewport=DESK) as page:
        for name, path in (
            ("dashboard", "/console/"),
            ("steward", f"/console/stewards/{steward.id}"),
        ):
            page.goto(f"{base}{path}")
            assert page.locator("button.menu-toggle").is_hidden()
            page.screenshot(path=str(SHOTS / f"desk-{name}-1366.png"))
