"""The security headers (issue 33, web/headers.py): no page of the app can be framed
(clickjacking), every HTML page carries a Content-Security-Policy its own pages satisfy (no
inline script, handler or style in any of them), and no response can be sniffed into
something else. The browser tests (tests/browser/test_scan_browser.py's `browser` fixture) check that
Chromium reports no violation on the pages they open."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from infra.db import db
from tests.conftest import make_app
from tests.console_world import build, console_login, every_page
from tests.factories import login

FRAMING = "frame-ancestors 'none'"
INLINE = [
    ("inline script", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)),
    ("inline handler", re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)),
    ("inline style", re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.I)),
    ("javascript: URL", re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)),
]


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def assert_html_headers(res, where: str, scan: bool = False) -> None:
    h = res.headers
    policy = directives(h["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'none'", where
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", where
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'", where
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'", where
    # photos previewed before upload are blob: URLs, on the scan pages only
    assert ("blob:" in policy["img-src"]) == scan, where
    assert h["X-Frame-Options"] == "DENY", where
    assert h["X-Content-Type-Options"] == "nosniff", where
    assert h["Referrer-Policy"] in ("same-origin", "no-referrer"), where


def assert_no_inline(html: str, where: str) -> None:
    for what, pattern in INLINE:
        found = pattern.search(html)
        assert found is None, f"{where}: {what} {found.group(0)[:120] if found else ''}"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("headers"))
    with app.app_context():
        w = build(app)
        yield app, w, every_page(app, w)
    if not db.is_closed():
        db.close()


@pytest.mark.parametrize("username", ["secretary1", "streetadmin", None])
def test_every_page_has_the_headers_and_nothing_inline(world, username):
    app, w, pages = world
    client = app.test_client()
    if username:
        console_login(client, username)
    html_pages = 0
    for endpoint, url in pages:
        res = client.get(url)
        where = f"{url} as {username or 'anonymous'}"
        assert res.headers["X-Content-Type-Options"] == "nosniff", where
        if res.mimetype != "text/html":
            assert "Content-Security-Policy" not in res.headers, where
            continue
        html_pages += 1
        assert_html_headers(res, where, scan=endpoint.startswith("scan."))
        assert_no_inline(res.get_data(as_text=True), where)
    assert html_pages >= (35 if username else 8)


def test_the_console_pages_under_their_policy_are_the_ones_with_forms(world):
    """What the policy must let through is there: the console's own script and style sheet."""
    app, w, _ = world
    client = console_login(app.test_client(), "secretary1")
    html = client.get("/console/boards").get_data(as_text=True)
    assert '<script src="/console/static/console.js" defer></script>' in html
    assert 'data-confirm="确定停用公示牌' in html
    assert '<link rel="stylesheet" href="/console/static/console.css">' in html


def test_error_pages_and_forms_with_errors_have_the_headers(world):
    app, w, _ = world
    client = app.test_client()
    code = w.d.boards[0].code
    for res, where, scan in (
        (client.get("/no/such/page"), "unknown URL", False),
        (client.get("/console/issues/999999"), "console, logged out", False),
        (
            console_login(app.test_client(), "secretary2").get("/console/wishes/999999"),
            "404",
            False,
        ),
        (client.get("/b/NOSUCH23"), "unknown board", True),
        (client.post(f"/b/{code}/issues", data={"category": "环境卫生"}), "form error", True),
    ):
        if res.status_code == 302:
            res = client.get(res.headers["Location"])
        assert res.mimetype == "text/html", where
        assert_html_headers(res, where, scan=scan)
        assert_no_inline(res.get_data(as_text=True), where)


def test_the_tracking_page_keeps_its_stricter_referrer_policy(world):
    app, w, _ = world
    client = app.test_client()
    res = client.post(
        f"/b/{w.d.boards[0].code}/issues", data={"category": "环境卫生", "content": "井盖松了"}
    )
    assert res.status_code == 303
    page = client.get(res.headers["Location"])
    assert page.status_code == 200
    assert_html_headers(page, "tracking page", scan=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"  # the token is in its URL
    assert_no_inline(page.get_data(as_text=True), "tracking page")
    board = client.get(f"/b/{w.d.boards[0].code}")
    assert board.headers["Referrer-Policy"] == "same-origin"


def test_the_api_files_and_callbacks_are_never_sniffed(world):
    app, w, _ = world
    client = app.test_client()
    headers = login(client, "居民丙")
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "JPEG")
    photo = client.post(
        "/api/v1/media",
        data={"file": (io.BytesIO(buf.getvalue()), "p.jpg")},
        headers=headers,
        content_type="multipart/form-data",
    ).get_json()
    for res, what in (
        (client.get("/api/v1/categories"), "JSON"),
        (client.get("/api/v1/me"), "JSON error (401)"),
        (client.get("/api/v1/no-such-route"), "JSON error (404)"),
        (client.get("/api/v1/issues?page=%C2%B3", headers=headers), "JSON error (400)"),
        (client.get("/api/v1/openapi.json"), "the OpenAPI document"),
        (client.get(photo["url"]), "a photo"),
        (client.get("/console/static/console.js"), "a script"),
        (client.get("/static/site/site.css"), "a style sheet"),
        (client.get("/healthz"), "health check"),
        (client.get("/bot/bridge"), "chat callback"),
    ):
        assert res.headers["X-Content-Type-Options"] == "nosniff", what
        assert "Content-Security-Policy" not in res.headers, what  # not a page
