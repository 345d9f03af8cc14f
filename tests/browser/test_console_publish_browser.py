"""Confirm before public, in a real browser: 公开 on the review page opens a confirmation that
shows the words (and photos) exactly as the board will; only 确认公开 makes it public, and the
board's scan page then shows it. Then 改为不公开 from the item's page takes it off again."""

from __future__ import annotations

import pytest

from infra.db import db
from models import Issue
from tests.browser.helpers import SCREENSHOTS, no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser


def test_publish_after_seeing_what_becomes_public(browser, live):
    app, base, w = live
    with app.app_context():
        held = Issue.get_by_id(w.held.id)
        content, board = held.content, w.d.boards[0].code
        db.close()
    with signed_in(browser, base) as page:
        page.goto(f"{base}/console/review")
        with page.expect_navigation():
            page.locator(f"#issue-{held.id}").locator("a", has_text="公开").click()
        assert f"/console/issues/{held.id}/publish" in page.url
        shown = page.locator("section.public-preview")
        assert content in shown.inner_text() and "从不公开" in shown.inner_text()
        no_sideways_scroll(page, "publish confirmation")
        page.screenshot(path=str(SCREENSHOTS / "console-publish-confirm.png"), full_page=True)
        with app.app_context():
            assert Issue.get_by_id(held.id).visibility == "held"
            db.close()

        with page.expect_navigation():
            page.click("button:has-text('确认公开')")
        assert page.url.endswith("/console/review")
        with app.app_context():
            assert Issue.get_by_id(held.id).visibility == "public"
            db.close()
        scan = page.context.new_page()
        scan.goto(f"{base}/b/{board}")
        assert content[:8] in scan.content() or held.number in scan.content()
        scan.close()

        page.goto(f"{base}/console/issues/{held.id}")
        page.fill("input[name=note]", "涉及邻居隐私")
        with page.expect_navigation():
            page.click("button:has-text('改为不公开')")
        with app.app_context():
            assert Issue.get_by_id(held.id).visibility == "hidden"
            db.close()
        trail = page.locator("ol.timeline").inner_text()
        assert "公开 secretary1" in trail and "不公开 secretary1" in trail  # the person named
