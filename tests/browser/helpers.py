"""What the console's browser tests share: a page of a fresh browser context (`new_page`), the
console's login form filled in (`login`), both together (`signed_in`, which closes the context
however the test ends), and the check that a page never scrolls sideways. The fixtures (the
console's `live`, the CSP-watched `browser`) are in conftest.py; the server in tests/live.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCREENSHOTS = Path("/tmp")
SCREENS = [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]


def new_page(browser, viewport=None):
    """(context, page): a fresh context (zh-CN, downloads allowed) at `viewport` (1366×768)."""
    context = browser.new_context(
        viewport=viewport or SCREENS[0], locale="zh-CN", accept_downloads=True
    )
    return context, context.new_page()


def login(page, base, username="secretary1", password="password123", lands="/console"):
    """Open the console signed out, sign in through its form, and check where it lands."""
    page.goto(f"{base}/console/")
    assert "/console/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.rstrip("/").endswith(lands), page.url


@contextmanager
def signed_in(browser, base, username="secretary1", lands="/console", viewport=None) -> Iterator:
    """A page of a fresh context, signed in to the console as `username` (password123); the
    context is closed on leaving. Another tab of the same session: `page.context.new_page()`."""
    context, page = new_page(browser, viewport)
    try:
        login(page, base, username, lands=lands)
        yield page
    finally:
        context.close()


def no_sideways_scroll(page, what):
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{what}: page is {widths[0]}px wide in {widths[1]}px"
