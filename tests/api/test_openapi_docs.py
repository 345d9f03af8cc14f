"""`/api/v1/docs`: the OpenAPI document in Swagger UI, served whole by this server — the page,
Swagger UI's files from the pinned package, and our own starter script — with nothing from
another host and no inline script, so it works offline and under `script-src 'self'`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_scan_browser import browser, chromium  # noqa: F401  (fixtures)
from tests.conftest import make_app
from tests.live import serving

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class _Refs(HTMLParser):
    """Every URL the page makes the browser load, and the bodies of its <script> elements."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.scripts: list[dict] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append({"src": attrs.get("src"), "body": ""})
            self._in_script = True
        for name in ("src", "href", "data-spec-url"):
            if attrs.get(name):
                self.urls.append(attrs[name])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1]["body"] += data


def _refs(client) -> _Refs:
    res = client.get("/api/v1/docs")
    assert res.status_code == 200 and res.mimetype == "text/html"
    refs = _Refs()
    refs.feed(res.get_data(as_text=True))
    return refs


def test_the_page_and_everything_it_loads_come_from_this_server(client):
    refs = _refs(client)
    assert refs.scripts and all(s["src"] and not s["body"].strip() for s in refs.scripts)
    assert all(u.startswith("/") and not u.startswith("//") for u in refs.urls), refs.urls
    assert "/api/v1/openapi.json" in refs.urls  # what Swagger UI is pointed at
    loaded = [u for u in refs.urls if u.startswith("/api/v1/docs/")]
    names = {re.sub(r"\?.*", "", u).rsplit("/", 1)[1] for u in loaded}
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "api-docs.js"} <= names
    for url in [*refs.urls, *loaded]:
        if url == "/":
            continue
        assert client.get(url).status_code == 200, url

    # Swagger UI is the pinned package's own file, at the version the page names.
    dist = Path(str(files("flask_swagger_ui") / "dist"))
    bundle = client.get(next(u for u in loaded if "swagger-ui-bundle.js" in u))
    assert bundle.data == (dist / "swagger-ui-bundle.js").read_bytes()
    assert f"v={version('flask-swagger-ui')}" in bundle.request.url
    assert "max-age" in bundle.headers["Cache-Control"]

    # Our starter reads the document's address from the page and asks no outside validator.
    starter = client.get(next(u for u in loaded if "api-docs.js" in u)).get_data(as_text=True)
    assert "data-spec-url" in starter and "validatorUrl: null" in starter
    assert not re.search(r"https?://", starter)


def test_only_the_viewers_own_files_are_served(client):
    for name in ("index.html", "oauth2-redirect.html", "..%2F__init__.py", "swagger-ui.js.map"):
        res = client.get(f"/api/v1/docs/{name}")
        assert res.status_code == 404, name
        assert res.get_json()["error"]["code"] == "not_found"


def test_the_viewer_is_not_an_operation_of_the_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert not any(p.startswith("/api/v1/docs") for p in paths)


def _operations(doc: dict) -> list[dict]:
    return [op for ops in doc["paths"].values() for op in ops.values() if isinstance(op, dict)]


@pytest.fixture
def strict_live(tmp_path):
    """The app on a free local port, every HTML page sent with a strict CSP."""
    app = make_app(tmp_path)

    @app.after_request
    def _csp(response):
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = STRICT_CSP
        return response

    with app.app_context():
        with serving(app, close_db=True) as base:
            yield base


@pytest.mark.browser
def test_swagger_ui_renders_every_operation_under_a_strict_csp(browser, strict_live):  # noqa: F811
    base = strict_live
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{base}/api/v1/docs")
    doc = page.request.get(f"{base}/api/v1/openapi.json").json()
    doc_ops = {
        (method.upper(), path)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict)
    }
    # From 150 tags + operations on (we have more) Swagger UI keeps only what is near the
    # window in the page and draws the rest as it is scrolled to: walk the page to the end and
    # collect every operation drawn on the way.
    page.wait_for_selector(".opblock", timeout=30_000)
    seen: set[tuple[str, str]] = set()
    for _ in range(400):
        seen |= {
            tuple(pair)
            for pair in page.eval_on_selector_all(
                ".opblock",
                """blocks => blocks.map(b => [
                    b.querySelector('.opblock-summary-method')?.textContent.trim(),
                    b.querySelector('.opblock-summary-path')?.getAttribute('data-path')])""",
            )
        }
        at_end = page.evaluate(
            "() => window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2"
        )
        if seen >= doc_ops and at_end:
            break
        page.mouse.wheel(0, 700)
        page.wait_for_timeout(60)
    assert seen == doc_ops, sorted(doc_ops - seen)[:10]
    page.evaluate("() => window.scrollTo(0, 0)")
    assert page.locator(".info .title").inner_text().startswith("小巷管家 API")
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    page.screenshot(path="/tmp/api-docs.png")
    # the filter box narrows the list to one tag
    page.locator(".operation-filter-input").fill("callbacks")
    expect(page.locator(".opblock")).to_have_count(
        sum(1 for op in _operations(doc) if "callbacks" in op.get("tags", []))
    )
    assert problems == []  # a CSP refusal shows up here
    assert requested and all(u.startswith(f"{base}/") for u in requested), requested
    page.close()
