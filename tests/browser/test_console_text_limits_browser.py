"""Text limits in a real browser: a field shows its limit and a counter; text over the limit
is kept as typed (never cut by the browser), counted in red, and refused by the server with a
message — here on 撤下心愿墙, whose reason then withdraws the wish once it fits."""

from __future__ import annotations

import pytest

from infra.db import db
from models import Wish
from tests.browser.helpers import signed_in

pytestmark = pytest.mark.browser


def test_counter_and_refusal_then_withdraw(browser, live):
    app, base, w = live
    with signed_in(browser, base) as page:
        page.goto(f"{base}/console/review")
        with page.expect_navigation():
            page.locator(f"#wish-{w.wish.id}").locator("button.primary").click()
        page.goto(f"{base}/console/wishes/{w.wish.id}")
        field = page.locator("input[name=reason]")
        counter = page.locator("input[name=reason] + small.counter")
        assert counter.inner_text() == "已输入 0 / 500 字"
        # the top bar's search box is not text one writes: no counter, and its limit stays
        assert page.locator(".topbar input[name=q]").get_attribute("maxlength") == "50"
        assert page.locator(".topbar small.counter").count() == 0
        field.fill("长" * 501)
        assert field.input_value() == "长" * 501  # nothing cut
        assert "超出 1 字" in counter.inner_text()
        assert "over" in (counter.get_attribute("class") or "")
        page.screenshot(path="/tmp/console-wish-withdraw.png", full_page=True)
        with page.expect_navigation():
            page.click("button:has-text('撤下心愿墙')")
        assert "不能超过 500 字" in page.locator(".flash.error").inner_text()
        with app.app_context():
            assert Wish.get_by_id(w.wish.id).status == "published"
            db.close()

        page.fill("input[name=reason]", "审核时看错了")
        assert (
            page.locator("input[name=reason] + small.counter").inner_text() == "已输入 6 / 500 字"
        )
        with page.expect_navigation():
            page.click("button:has-text('撤下心愿墙')")
        assert "已撤下心愿墙" in page.locator(".flash.ok").inner_text()
        assert "撤下心愿墙" in page.locator("ol.timeline").inner_text()
        with app.app_context():
            assert Wish.get_by_id(w.wish.id).status == "rejected"
            db.close()
