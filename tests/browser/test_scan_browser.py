"""The scan page in a real browser: Debian's headless Chromium driven by Playwright.

The app runs on a real local port (werkzeug, threaded) over the test database; a phone-sized
viewport (390×844) opens a board, reports a problem with a photo, follows the tracking link,
sees the steward resolve it and rates it. The same form with a text file for a photo and an
empty description shows Chinese errors next to the fields — caught by scan.js with
JavaScript on, and by the server with JavaScript off (where the typed fields must survive).

Chromium comes from Debian (`scripts/ensure-chromium.sh`, run by `make test`); Playwright's
own browser download is never used. A missing browser fails these tests; they never skip.

Every page any browser test opens (here and in the console's browser tests, which take the
`browser` fixture from here) is watched for Content-Security-Policy violations: a test whose
pages had a script, a handler or a style the policy (web/headers.py) blocked fails, naming them.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from infra.db import db
from models import Area, Board, Event, Issue, Wish
from tests.conftest import make_app
from tests.factories import login_steward, make_district
from tests.live import serving

pytestmark = pytest.mark.browser  # make test-quick leaves these out

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE_VIEWPORT = {"width": 390, "height": 844}
SCREENSHOTS = Path("/tmp")


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), (
        f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (make test does it)"
    )
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Runs in every page before its own scripts (Playwright's init scripts are not subject to the
# page's CSP): each violation the page reports is written to the console, where it is caught.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


class WatchedBrowser:
    """The launched Chromium, whose every new context reports CSP violations to `violations`:
    the `securitypolicyviolation` events of its pages and Chromium's own console errors about
    the policy."""

    def __init__(self, launched):
        self._launched = launched
        self.violations: list[str] = []

    def new_context(self, **kwargs):
        context = self._launched.new_context(**kwargs)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        return context

    def _console(self, message) -> None:
        text = message.text
        if "CSP violation" in text or "Content Security Policy" in text:
            self.violations.append(f"{message.location.get('url', '')}: {text}")

    def __getattr__(self, name):
        return getattr(self._launched, name)


@pytest.fixture
def browser(chromium):
    """Chromium for one test; the test fails if any page it opened broke the CSP."""
    watched = WatchedBrowser(chromium)
    yield watched
    assert not watched.violations, "Content-Security-Policy violations:\n" + "\n".join(
        watched.violations
    )


@pytest.fixture
def live(tmp_path):
    """(app, base_url, district): the app served on 127.0.0.1:<free port> in a thread."""
    app = make_app(tmp_path)
    with app.app_context():
        db.connect(reuse_if_open=True)
        district = make_district()
        steward = district.stewards[0]
        steward.duties = "环境卫生巡查、邻里调解"
        steward.save()
        with serving(app, close_db=True) as base:
            yield app, base, district


def _page(browser, javascript=True):
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        java_script_enabled=javascript,
    )
    return context, context.new_page()


def _jpeg(tmp_path, name="photo.jpg") -> Path:
    path = tmp_path / name
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 120, 40)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue())
    return path


def _text_file(tmp_path) -> Path:
    path = tmp_path / "note.txt"
    path.write_text("这不是图片", encoding="utf-8")
    return path


def test_report_with_photo_then_track_and_rate(browser, live, tmp_path):
    app, base, d = live
    board, steward, alley = d.boards[0], d.stewards[0], d.alleys[0]
    context, page = _page(browser)
    try:
        res = page.goto(f"{base}/b/{board.code}")
        assert res.status == 200
        assert page.locator("h1").inner_text() == alley.name
        assert page.locator(".steward-name").first.inner_text() == steward.name
        call = page.locator(f'a[href="tel:{steward.phone}"]')
        assert call.count() == 1 and call.is_visible()
        assert page.locator('[data-figure="open_now"]').inner_text() == "0"
        page.screenshot(path=str(SCREENSHOTS / "scan-board.png"), full_page=True)

        page.select_option("#issue-category", "设施损坏")
        page.fill("#issue-content", "3 号楼东侧路灯坏了，晚上很黑")
        page.fill("#issue-phone", "13912345678")
        page.set_input_files("#issue-photos", str(_jpeg(tmp_path)))
        assert page.locator("[data-previews] img").count() == 1  # the JS preview
        with page.expect_navigation():
            page.click("#report-form button[type=submit]")
        # scan.js drops the one-off "new" flag, so a bookmark is the plain private link
        assert "/t/" in page.url and "new=1" not in page.url and page.url.endswith("#created")
        assert "提交成功" in page.locator("#created").inner_text()
        assert page.locator("#status").inner_text() == "待接单"
        assert page.locator(".thumbs img").count() == 1
        tracking_url = page.url

        with app.app_context():
            issue = Issue.get(Issue.content == "3 号楼东侧路灯坏了，晚上很黑")
            assert issue.source == "web" and issue.reporter is None
            assert len(issue.photo_ids) == 1 and issue.contact_phone == "13912345678"
            client = app.test_client()
            headers = login_steward(client, steward)
            res = client.post(
                f"/api/v1/issues/{issue.id}/resolve", json={"note": "已更换灯泡"}, headers=headers
            )
            assert res.status_code == 200, res.get_json()

        page.reload()
        assert page.url == tracking_url
        assert page.locator("#status").inner_text() == "已办结"
        assert "已更换灯泡" in page.locator(".resolution").inner_text()
        page.click("label[for=score-5]")
        page.fill("#rate-text", "谢谢管家，修得很快")
        with page.expect_navigation():
            page.click("#rate-form button[type=submit]")
        assert page.locator("#status").inner_text() == "已完结"
        assert "★★★★★" in page.locator("#my-rating").inner_text()
        assert page.locator("#rate-form").count() == 0
        assert "评价" in page.locator("#timeline").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "scan-track.png"), full_page=True)

        with app.app_context():
            issue = Issue.get_by_id(issue.id)
            assert (issue.status, issue.rating, issue.close_reason) == ("closed", 5, "rated")
            rate_event = Event.for_subject("issue", issue.id).where(Event.action == "issue.rate")
            assert rate_event.get().actor_label == "反映人"
    finally:
        context.close()


def test_bad_photo_and_empty_text_show_errors_next_to_the_fields(browser, live, tmp_path):
    app, base, d = live
    board = d.boards[0]

    # JavaScript on: scan.js stops the submission and explains, nothing reaches the server.
    context, page = _page(browser)
    try:
        page.goto(f"{base}/b/{board.code}")
        page.select_option("#issue-category", "车辆乱停")
        page.fill("#issue-phone", "13800001111")
        page.set_input_files("#issue-photos", str(_text_file(tmp_path)))
        page.click("#report-form button[type=submit]")
        assert page.locator("#issue-content-error").inner_text().endswith("请填写问题描述")
        assert "不是图片" in page.locator("#issue-photos-error").inner_text()
        assert page.url.endswith(f"/b/{board.code}")
    finally:
        context.close()
    with app.app_context():
        assert Issue.select().count() == 0

    # JavaScript off: the server answers with the same form, errors beside the fields and
    # everything typed still there; fixing the text and the photo then goes through.
    context, page = _page(browser, javascript=False)
    try:
        page.goto(f"{base}/b/{board.code}")
        page.select_option("#issue-category", "车辆乱停")
        page.fill("#issue-phone", "13800001111")
        page.set_input_files("#issue-photos", str(_text_file(tmp_path)))
        with page.expect_navigation() as nav:
            page.click("#report-form button[type=submit]")
        assert nav.value.status == 400
        assert page.locator("#issue-content-error").inner_text() == "请填写问题描述"
        photo_error = page.locator("#issue-photos-error").inner_text()
        assert "note.txt" in photo_error and "只支持 JPG、PNG、WebP" in photo_error
        assert page.locator("#issue-category-error").is_hidden()
        assert page.locator("#issue-category").input_value() == "车辆乱停"
        assert page.locator("#issue-phone").input_value() == "13800001111"
        assert page.locator("#issue-content").get_attribute("aria-invalid") == "true"
        page.screenshot(path=str(SCREENSHOTS / "scan-form-errors.png"), full_page=True)

        page.fill("#issue-content", "小区门口有车堵住消防通道")
        page.set_input_files("#issue-photos", str(_jpeg(tmp_path, "car.jpg")))
        with page.expect_navigation():
            page.click("#report-form button[type=submit]")
        assert "/t/" in page.url
        assert page.locator("#status").inner_text() == "待接单"
    finally:
        context.close()
    with app.app_context():
        issue = Issue.get()
        assert (issue.category, issue.contact_phone) == ("车辆乱停", "13800001111")
        assert len(issue.photo_ids) == 1


def test_post_a_wish(browser, live, tmp_path):
    app, base, d = live
    context, page = _page(browser)
    try:
        page.goto(f"{base}/b/{d.boards[1].code}#wish")
        page.select_option("#wish-type", "elderly")
        page.fill("#wish-name", "王奶奶")
        page.fill("#wish-title", "想要一台收音机")
        page.fill("#wish-content", "独居在家，想听戏曲广播")
        page.set_input_files("#wish-photos", str(_jpeg(tmp_path)))
        with page.expect_navigation():
            page.click("#wish-form button[type=submit]")
        assert "提交成功" in page.locator("#created").inner_text()
        assert page.locator("#status").inner_text() == "待审核"
        assert "提交人" in page.locator("#timeline").inner_text()
    finally:
        context.close()
    with app.app_context():
        wish = Wish.get()
        assert wish.alley_id == d.alleys[1].id and wish.author is None
        assert wish.tracking_token_hash and len(wish.photo_ids) == 1


def test_unknown_and_retired_boards_in_the_browser(browser, live):
    app, base, d = live
    with app.app_context():
        Area.update(phone="0539-7654321").where(Area.id == d.communities[0].id).execute()
        Board.update(active=False).where(Board.id == d.boards[0].id).execute()
    context, page = _page(browser)
    try:
        res = page.goto(f"{base}/b/NOSUCH23")
        assert res.status == 404 and page.locator("h1").inner_text() == "找不到该公示牌"
        res = page.goto(f"{base}/b/{d.boards[0].code}")
        assert res.status == 410 and page.locator("h1").inner_text() == "该公示牌已停用"
        assert page.locator('a[href="tel:0539-7654321"]').is_visible()
    finally:
        context.close()


def test_errors_clear_as_soon_as_the_field_is_fixed(browser, live):
    app, base, d = live
    context, page = _page(browser)
    try:
        page.goto(f"{base}/b/{d.boards[0].code}")
        page.click("#report-form button[type=submit]")
        assert page.locator("#issue-category-error").is_visible()
        assert page.locator("#issue-content-error").is_visible()
        page.select_option("#issue-category", "环境卫生")
        assert page.locator("#issue-category-error").is_hidden()
        assert page.locator("#issue-content-error").is_visible()  # still empty: still said
        page.fill("#issue-phone", "123")
        page.click("#report-form button[type=submit]")
        assert page.locator("#issue-phone-error").is_visible()
        page.fill("#issue-phone", "13800001111")
        assert page.locator("#issue-phone-error").is_hidden()
        assert page.locator("#issue-phone").get_attribute("aria-invalid") is None
        page.type("#issue-content", "垃")
        assert page.locator("#issue-content-error").is_hidden()

        # The rating form: the server says "pick a score"; picking one clears it at once.
        with app.app_context():
            page.goto(f"{base}/b/{d.boards[0].code}")
            page.select_option("#issue-category", "环境卫生")
            page.fill("#issue-content", "楼道灯不亮")
            with page.expect_navigation():
                page.click("#report-form button[type=submit]")
            issue = Issue.get(Issue.content == "楼道灯不亮")
            client = app.test_client()
            headers = login_steward(client, d.stewards[0])
            client.post(
                f"/api/v1/issues/{issue.id}/resolve", json={"note": "好了"}, headers=headers
            )
        page.reload()
        with page.expect_navigation():
            page.click("#rate-form button[type=submit]")
        assert page.locator("#score-error").is_visible()
        assert "很满意" in page.locator("label[for=score-5]").inner_text()
        assert "很不满意" in page.locator("label[for=score-1]").inner_text()
        page.click("label[for=score-4]")
        assert page.locator("#score-error").is_hidden()
        # The tracking page says plainly that nothing will be sent, and offers a call.
        text = page.locator("main").inner_text()
        assert "不会通过短信或微信通知" in text
        steward = d.stewards[0]
        assert page.locator(f'.call-row a[href="tel:{steward.phone}"]').is_visible()
    finally:
        context.close()


def test_private_category_never_shows_its_content_on_the_board(browser, live):
    app, base, d = live
    with app.app_context():
        client = app.test_client()
        for code, category, content in (
            (d.boards[0].code, "邻里纠纷", "302 室的狗天天半夜叫"),
            (d.boards[0].code, "环境卫生", "垃圾桶满了"),
        ):
            res = client.post(f"/b/{code}/issues", data={"category": category, "content": content})
            assert res.status_code == 303
        Issue.update(visibility="public").execute()  # even once published
        api = client.get(f"/api/v1/boards/{d.boards[0].code}").get_json()
    private = next(i for i in api["recent_issues"] if i["category"] == "邻里纠纷")
    assert private["private"] is True and private["content"] is None and private["photos"] == []
    context, page = _page(browser)
    try:
        page.goto(f"{base}/b/{d.boards[0].code}")
        recent = page.locator("#recent").inner_text()
        assert "一件邻里纠纷（内容不公开）" in recent
        assert "302 室" not in page.content()
        assert "垃圾桶满了" in recent  # other categories as before
    finally:
        context.close()


def test_phones_grouped_and_the_community_phone_labelled(browser, live):
    app, base, d = live
    with app.app_context():
        Area.update(phone="17000009001").where(Area.id == d.communities[0].id).execute()
    steward = d.stewards[0]
    grouped = f"{steward.phone[:3]} {steward.phone[3:7]} {steward.phone[7:]}"
    context, page = _page(browser)
    try:
        page.goto(f"{base}/b/{d.boards[0].code}")
        assert page.locator(f'a[href="tel:{steward.phone}"]').inner_text() == f"拨打 {grouped}"
        community = page.locator(".community").inner_text()
        assert community.startswith("社区监督电话") and "170 0000 9001" in community
        # The photo picker is one big labelled button, the file input inside it.
        button = page.locator("label.photo-button[for=issue-photos]")
        assert "拍照 / 选照片" in button.inner_text()
        assert button.bounding_box()["height"] >= 48
    finally:
        context.close()


def test_unknown_board_page_takes_a_typed_code(browser, live):
    app, base, d = live
    code = d.boards[1].code
    context, page = _page(browser)
    try:
        res = page.goto(f"{base}/b/NOSUCH23")
        assert res.status == 404
        page.fill("#board-code", f" {code[:4].lower()} {code[4:].lower()} ")
        with page.expect_navigation():
            page.click(".code-form button[type=submit]")
        assert page.url.endswith(f"/b/{code}")
        assert page.locator("h1").inner_text() == d.alleys[1].name
    finally:
        context.close()


def test_mine_table_fits_a_360px_phone(browser, live):
    app, base, d = live
    with app.app_context():
        client = app.test_client()
        for n in range(3):
            client.post(
                f"/b/{d.boards[0].code}/issues",
                data={
                    "category": "私拉电线/安全隐患",
                    "content": f"第 {n} 件",
                    "contact_phone": "13912345678",
                },
            )
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(f"{base}/b/{d.boards[0].code}/mine")
        page.fill("#mine-phone", "13912345678")
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert page.locator("table.mine tbody tr").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(SCREENSHOTS / "scan-mine-360.png"), full_page=True)
    finally:
        context.close()
