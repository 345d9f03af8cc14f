"""What the browser tests share: the app served on a free local port (`serving`, for the
`live` fixtures); for the console's tests a page of a fresh browser context (`new_page`), the
console's login form filled in (`login`), both together (`signed_in`, which closes the context
however the test ends), and the check that a page never scrolls sideways. The fixtures (the
console's `live`, the CSP-watched `browser`) are in conftest.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from infra.db import db

SCREENSHOTS = Path("/tmp")
SCREENS = [{"width": 1366, "height": 768}, {"width": 1920, "height": 1080}]


@contextmanager
def serving(app) -> Iterator[str]:
    """The app served on 127.0.0.1:<free port> in a thread (inside its app context): the base
    URL. On leaving, the server stops, the board PDFs still printing in their own threads are
    waited for (before the test's database goes), and the database connection is closed."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        for t in threading.enumerate():
            if t.name.startswith("print-job-"):
                t.join(timeout=120)
        if not db.is_closed():
            db.close()


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
