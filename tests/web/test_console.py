"""The console (/console) through Flask's test client: login, session and its end, CSRF,
scoping (another community's staff get 403/404 on every URL of an item outside their area,
and nothing changes), escaping of residents' text, the dashboard's figures, the roster's dry
run and import, the ledger's default period, and the background print job surviving a
worker that went away. The same tasks in a real browser are in test_console_browser.py."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import Workbook, load_workbook

from core.boards import print_jobs
from core.delivery import groups
from core.figures import ledger
from core.people import auth
from infra.db import db
from models import (
    Assessment,
    Board,
    ChatGroup,
    Event,
    Issue,
    OutboxMessage,
    PrintJob,
    StaffAccount,
    Steward,
    Wish,
)
from tests.conftest import make_app
from tests.console_world import build, console_login, csrf
from tests.factories import login, make_district

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(capp):
    return build(capp)


def _join_print_threads():
    """Wait for the print threads this process started (a join, never a sleep)."""
    for t in threading.enumerate():
        if t.name.startswith("print-job-"):
            t.join(timeout=120)
            assert not t.is_alive()


def _item_urls(w) -> tuple[list[str], list[tuple[str, dict]]]:
    """Every console URL about an item of 第1社区 (GET), and every form (POST)."""
    c1 = w.d.communities[0].id
    board = w.d.boards[0]
    job = PrintJob.create(area=w.d.communities[0], total=1, status="done", file_name="x.pdf")
    gets = [
        f"/console/?area={c1}",
        f"/console/ledger?area={c1}",
        f"/console/ledger.xlsx?area={c1}",
        f"/console/boards?area={c1}",
        f"/console/issues?area={c1}",
        f"/console/issues/{w.open_issue.id}",
        f"/console/issues/{w.held.id}",
        f"/console/wishes/{w.wish.id}",
        f"/console/boards/{board.id}/preview.png",
        f"/console/boards/jobs/{job.id}",
        f"/console/boards/jobs/{job.id}.json",
        f"/console/boards/jobs/{job.id}.pdf",
    ]
    posts = [
        (f"/console/wishes/{w.wish.id}/approve", {}),
        (f"/console/wishes/{w.wish.id}/reject", {"reason": "不符合条件"}),
        (f"/console/issues/{w.held.id}/moderate", {"publish": "1"}),
        (f"/console/issues/{w.open_issue.id}/cancel", {"reason": "重复"}),
        (f"/console/issues/{w.open_issue.id}/comment", {"text": "你好"}),
        (f"/console/issues/{w.open_issue.id}/escalate", {"note": "上报"}),
        (f"/console/issues/{w.open_issue.id}/assign", {"priority": "major"}),
        (f"/console/boards/{board.id}/retire", {"replace": "1"}),
        ("/console/boards/print", {"area": str(c1)}),
    ]
    return gets, posts


def _state(w):
    return (
        [(x.status, x.updated_at) for x in Wish.select().order_by(Wish.id)],
        [
            (x.status, x.visibility, x.priority, x.updated_at)
            for x in Issue.select().order_by(Issue.id)
        ],
        [(b.active, b.version) for b in Board.select().order_by(Board.id)],
        Board.select().count(),
        Event.select().count(),
    )


# --- login and session ------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_on_every_page(capp, world):
    client = capp.test_client()
    gets, _ = _item_urls(world)
    for url in gets + ["/console/", "/console/review", "/console/roster", "/console/wishes"]:
        res = client.get(url)
        assert res.status_code == 302, url
        assert res.headers["Location"].startswith("/console/login?next=/console/"), url
    login_page = client.get("/console/login").get_data(as_text=True)
    assert 'name="csrf_token"' in login_page and 'name="username"' in login_page


def test_login_then_logout_ends_the_session(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    assert client.get("/console/").status_code == 200
    cookie = client.get_cookie("session")
    token = csrf(client, "/console/")
    assert client.post("/console/logout", data={"csrf_token": token}).status_code == 302
    # the old cookie, replayed, opens nothing: the token behind it is revoked
    replay = capp.test_client()
    replay.set_cookie("session", cookie.value)
    assert replay.get("/console/").status_code == 302


def test_wrong_password_and_rate_limit(capp, world):
    client = capp.test_client()
    token = csrf(client)
    bad = {"username": "secretary1", "password": "wrong-pass", "csrf_token": token}
    res = client.post("/console/login", data=bad)
    assert res.status_code == 401 and "用户名或密码错误" in res.get_data(as_text=True)
    limit = capp.config["PASSWORD_ATTEMPTS"]
    for _ in range(limit - 1):
        client.post("/console/login", data=bad)
    good = dict(bad, password="password123")
    res = client.post("/console/login", data=good)  # right password, but the budget is spent
    assert res.status_code == 429 and "Retry-After" in res.headers
    assert "尝试次数太多" in res.get_data(as_text=True)
    assert client.get("/console/").status_code == 302


def test_session_cookie_flags(tmp_path):
    app = make_app(tmp_path, PUBLIC_BASE_URL="https://xx.example.cn")
    with app.app_context():
        build(app)
        client = app.test_client()
        token = csrf(client)
        res = client.post(
            "/console/login",
            data={"username": "secretary1", "password": "password123", "csrf_token": token},
        )
        cookie = res.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
        assert "Expires=" in cookie
        db.close()


def test_session_expires_after_a_working_day(capp, world):
    client = capp.test_client()
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=SH), tick=False):
        console_login(client, "secretary1")
        assert client.get("/console/review").status_code == 200
    with time_machine.travel(datetime(2026, 12, 1, 22, tzinfo=SH), tick=False):
        assert client.get("/console/review").status_code == 302


def test_disabled_account_loses_access_at_once(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    world.staff.active = False
    world.staff.save()
    assert client.get("/console/").status_code == 302


# --- authorisation and CSRF -------------------------------------------------------------------


def test_other_community_gets_403_or_404_everywhere_and_nothing_changes(capp, world):
    client = console_login(capp.test_client(), "secretary2")
    gets, posts = _item_urls(world)
    before = _state(world)
    for url in gets:
        assert client.get(url).status_code in (403, 404), url
    token = csrf(client, "/console/")
    for url, form in posts:
        res = client.post(url, data={**form, "csrf_token": token})
        assert res.status_code in (403, 404), url
    assert _state(world) == before
    assert PrintJob.select().count() == 1  # only the one the test made


def test_own_community_can_open_the_same_urls(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    gets, _ = _item_urls(world)
    for url in gets:
        if url.endswith(".pdf"):
            continue  # the test's job row has no file
        assert client.get(url).status_code == 200, url


def test_form_without_csrf_token_is_refused_and_changes_nothing(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    before = _state(world)
    res = client.post(f"/console/wishes/{world.wish.id}/approve", data={})
    assert res.status_code == 400 and "页面已过期" in res.get_data(as_text=True)
    res = client.post(
        f"/console/issues/{world.held.id}/moderate", data={"publish": "1", "csrf_token": "forged"}
    )
    assert res.status_code == 400
    res = client.post("/console/login", data={"username": "secretary1", "password": "password123"})
    assert res.status_code == 400
    assert _state(world) == before
    assert Wish.get_by_id(world.wish.id).status == "pending_review"


def test_residents_html_is_escaped(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    for url in (
        "/console/review",
        f"/console/wishes/{world.wish.id}",
        f"/console/issues/{world.open_issue.id}",
        "/console/issues",
        "/console/wishes",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>粗体</b>" not in html, url
        assert "&lt;script&gt;" in html or "&lt;b&gt;" in html, url


def test_admin_sees_every_community(capp, world):
    client = console_login(capp.test_client(), "streetadmin")
    for community in world.d.communities:
        assert client.get(f"/console/?area={community.id}").status_code == 200
    assert client.get(f"/console/issues/{world.open_issue.id}").status_code == 200


def test_street_overview_is_for_the_streets_admin_only(capp, world):
    """街道总览 in the matrix: the street's admin sees it (and lands on it), a community's
    staff get 403, another street's admin 403 for ours and only their own street otherwise."""
    street = world.d.street.id
    admin = console_login(capp.test_client(), "streetadmin")
    html = admin.get(f"/console/street?area={street}").get_data(as_text=True)
    assert "第1社区" in html and "第2社区" in html
    for username in ("secretary1", "secretary2"):
        staff = console_login(capp.test_client(), username)
        assert staff.get("/console/street").status_code == 403
        assert staff.get(f"/console/street?area={street}").status_code == 403
    other = make_district("北关街道", communities=1)
    auth.create_staff("beiguan", "password123", other.street, "street")
    theirs = console_login(capp.test_client(), "beiguan")
    assert theirs.get(f"/console/street?area={street}").status_code == 403
    assert "北关街道 · 街道总览" in theirs.get("/console/street").get_data(as_text=True)


# --- review -----------------------------------------------------------------------------------


def test_review_approve_reject_publish_hide(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    page = client.get("/console/review").get_data(as_text=True)
    assert world.wish.number in page and world.held.number in page and "赌博" in page
    token = csrf(client, "/console/review")
    res = client.post(f"/console/wishes/{world.wish.id}/approve", data={"csrf_token": token})
    assert res.status_code == 302
    assert Wish.get_by_id(world.wish.id).status == "published"
    # a reject without a reason is refused with a message, nothing changes
    client.post(
        f"/console/wishes/{world.wish2.id}/reject", data={"csrf_token": token, "reason": " "}
    )
    assert Wish.get_by_id(world.wish2.id).status == "pending_review"
    client.post(
        f"/console/wishes/{world.wish2.id}/reject",
        data={"csrf_token": token, "reason": "已由社区直接帮助"},
    )
    w2 = Wish.get_by_id(world.wish2.id)
    assert w2.status == "rejected" and w2.reject_reason == "已由社区直接帮助"
    # approving twice: the second is refused by core and shown as a message
    res = client.post(
        f"/console/wishes/{world.wish.id}/approve",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert res.status_code == 200 and 'class="flash error"' in res.get_data(as_text=True)
    client.post(
        f"/console/issues/{world.held.id}/moderate", data={"csrf_token": token, "publish": "0"}
    )
    assert Issue.get_by_id(world.held.id).visibility == "hidden"
    events = {e.action for e in Event.select().where(Event.actor == world.staff.user_id)}
    assert {"wish.approve", "wish.reject", "issue.hide"} <= events


def test_issue_page_actions_go_through_core(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    url = f"/console/issues/{world.open_issue.id}"
    token = csrf(client, url)
    client.post(f"{url}/assign", data={"csrf_token": token, "priority": "important"})
    assert Issue.get_by_id(world.open_issue.id).priority == "important"
    client.post(f"{url}/comment", data={"csrf_token": token, "text": "已联系环卫"})
    client.post(f"{url}/cancel", data={"csrf_token": token, "reason": ""})
    assert Issue.get_by_id(world.open_issue.id).status == "submitted"  # reason required
    client.post(f"{url}/cancel", data={"csrf_token": token, "reason": "重复反映"})
    assert Issue.get_by_id(world.open_issue.id).status == "cancelled"
    page = client.get(url).get_data(as_text=True)
    assert "已联系环卫" in page and "重复反映" in page


def test_issue_list_filters(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    html = client.get("/console/issues?status=resolved").get_data(as_text=True)
    assert world.resolved.number in html and world.open_issue.number not in html
    html = client.get("/console/issues?q=路灯").get_data(as_text=True)
    assert world.resolved.number in html and world.held.number not in html
    html = client.get("/console/issues?category=设施损坏").get_data(as_text=True)
    assert world.resolved.number in html and world.open_issue.number not in html
    other = console_login(capp.test_client(), "secretary2")
    assert world.resolved.number not in other.get("/console/issues").get_data(as_text=True)


# --- dashboard --------------------------------------------------------------------------------


def test_dashboard_figures_with_counts_and_trend(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    html = client.get("/console/").get_data(as_text=True)
    assert "响应率" in html and "整改率" in html and "按时接单的比例" in html
    # three issues reported (held, open, resolved), one resolved
    counted = Issue.select().where(Issue.status != "cancelled").count()
    assert counted == 3
    assert "累计办结 1 件 / 累计反映 3 件" in html  # 整改率 with its counts
    assert "已办结 1 件 / 反映 3 件" in html  # 解决率 with its counts
    assert html.count("<circle") == 60  # 30 days × two lines
    assert 'href="/console/review"' in html  # the wishes waiting are a link
    assert "管家11" in html  # per-steward table


# --- ledger -----------------------------------------------------------------------------------


def test_ledger_default_period():
    assert ledger.default_period(date(2026, 12, 3)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert ledger.default_period(date(2026, 12, 5)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert ledger.default_period(date(2026, 12, 6)) == (date(2026, 12, 1), date(2026, 12, 6))
    assert ledger.default_period(date(2027, 1, 2)) == (date(2026, 12, 1), date(2026, 12, 31))


def test_ledger_page_proposes_the_default_and_downloads(capp, world):
    with time_machine.travel(datetime(2027, 3, 3, 10, tzinfo=SH), tick=False):
        client = console_login(capp.test_client(), "secretary1")
        html = client.get("/console/ledger").get_data(as_text=True)
    assert 'value="2027-02-01"' in html and 'value="2027-02-28"' in html
    client = console_login(capp.test_client(), "secretary1")
    res = client.get("/console/ledger.xlsx?from=2019-01-01&to=2020-12-31")
    assert res.status_code == 302  # more than 366 days: back to the page with a message
    today = date.today()
    res = client.get(
        f"/console/ledger.xlsx?from={today - timedelta(days=3)}&to={today + timedelta(days=1)}"
    )
    assert res.status_code == 200 and "attachment" in res.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(res.data))
    numbers = [row[0].value for row in wb["诉求台账"].iter_rows(min_row=2)]
    assert world.resolved.number in numbers
    assert Event.select().where(Event.action == "ledger.export").count() == 1


# --- roster -----------------------------------------------------------------------------------


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号"]


def _upload(client, data: bytes, name="花名册.xlsx", **extra):
    token = csrf(client, "/console/roster")
    return client.post(
        "/console/roster",
        data={"csrf_token": token, "file": (io.BytesIO(data), name), **extra},
        content_type="multipart/form-data",
    )


def test_roster_bad_rows_change_nothing(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    before = Steward.select().count()
    data = _xlsx(
        [
            HEADER,
            ["示范街道", "第1社区", "第1网格", "新巷", "李四", "12345"],
            ["示范街道", "第2社区", "第2网格", "别人的巷", "王五", "13900001111"],
            # the phone of 第2社区's steward: importing it would rename them
            ["示范街道", "第1社区", "第1网格", "新巷", "冒名", world.d.stewards[2].phone],
        ]
    )
    res = _upload(client, data)
    html = res.get_data(as_text=True)
    assert res.status_code == 400 and "未做任何修改" in html
    assert "第2行 手机号" in html and "第3行 社区：不在您的管辖范围内" in html
    assert "第4行 手机号：该手机号已是其他社区的管家" in html
    assert Steward.get_by_id(world.d.stewards[2].id).name == "管家21"
    assert Steward.select().count() == before
    assert 'name="confirm"' not in html


def test_roster_dry_run_then_confirm(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    before = Steward.select().count()
    data = _xlsx([HEADER, ["示范街道", "第1社区", "第1网格", "新巷", "李四", "13900002222"]])
    html = _upload(client, data).get_data(as_text=True)
    assert "检查通过（未写入）" in html and "新增管家 1 人" in html
    assert Steward.select().count() == before  # a dry run writes nothing
    digest = html.split('name="confirm" value="')[1].split('"')[0]
    token = csrf(client, "/console/roster")
    res = client.post("/console/roster", data={"csrf_token": token, "confirm": digest})
    assert res.status_code == 302 and res.headers["Location"].endswith("/console/roster?done=1")
    for _ in range(2):  # post/redirect/get: the result page survives Back and reload
        html = client.get("/console/roster?done=1").get_data(as_text=True)
        assert "导入完成" in html and 'href="/console/boards">去打印公示牌' in html
    assert Steward.select().count() == before + 1
    assert Steward.get(Steward.phone == "13900002222").name == "李四"
    # the stored upload is used once
    res = client.post("/console/roster", data={"csrf_token": token, "confirm": digest})
    assert res.status_code == 302


def test_roster_template_reads_back_as_a_valid_roster(capp, world):
    client = console_login(capp.test_client(), "streetadmin")
    res = client.get("/console/roster/template.xlsx")
    assert res.status_code == 200
    sheet = load_workbook(io.BytesIO(res.data)).active
    assert [c.value for c in sheet[1]][:6] == HEADER
    html = _upload(client, res.data, name="模板.xlsx").get_data(as_text=True)
    assert "检查通过" in html  # the example row itself passes the checks


def test_roster_refuses_other_file_types(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    res = _upload(client, b"hello", name="a.txt")
    assert res.status_code == 400 and "只能上传 .xlsx 或 .csv" in res.get_data(as_text=True)


# --- boards -----------------------------------------------------------------------------------


def test_print_job_renders_a_pdf(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/boards")
    c1 = world.d.communities[0]
    res = client.post("/console/boards/print", data={"csrf_token": token, "area": str(c1.id)})
    assert res.status_code == 302 and "/console/boards/jobs/" in res.headers["Location"]
    _join_print_threads()
    job = PrintJob.get()
    assert job.status == "done" and job.done == job.total == 2
    pdf = client.get(f"/console/boards/jobs/{job.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert (
        pdf.data.count(b"/Type /Page\n")
        + pdf.data.count(b"/Type /Page ")
        + pdf.data.count(b"/Type/Page")
        >= 1
    )
    assert client.get(f"/console/boards/jobs/{job.id}.json").get_json()["status"] == "done"


def test_abandoned_print_job_is_taken_over(capp, world):
    """A worker died mid-job: the next worker that shows its progress takes it over."""
    c1 = world.d.communities[0]
    stale = datetime.utcnow() - timedelta(minutes=5)
    job = PrintJob.create(
        area=c1, total=2, done=1, status="running", worker="gone:1:1", heartbeat_at=stale
    )
    fresh = PrintJob.create(
        area=c1,
        total=2,
        done=1,
        status="running",
        worker="alive:1:1",
        heartbeat_at=datetime.utcnow(),
    )
    client = console_login(capp.test_client(), "secretary1")
    assert client.get(f"/console/boards/jobs/{fresh.id}").status_code == 200
    assert client.get(f"/console/boards/jobs/{job.id}").status_code == 200
    _join_print_threads()
    assert PrintJob.get_by_id(job.id).status == "done"
    assert PrintJob.get_by_id(fresh.id).worker == "alive:1:1"  # a live worker keeps its job


def test_retire_and_replace_a_board(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    board = world.d.boards[0]
    token = csrf(client, "/console/boards")
    client.post(f"/console/boards/{board.id}/retire", data={"csrf_token": token, "replace": "1"})
    assert not Board.get_by_id(board.id).active
    assert Board.select().where((Board.alley == board.alley_id) & Board.active).count() == 1


# --- stewards, groups, outbox, assessments ----------------------------------------------------

KEY = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"


def test_bind_code_shown_large_and_redeemable(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    steward = world.d.stewards[1]
    token = csrf(client, "/console/stewards")
    html = client.post(
        f"/console/stewards/{steward.id}/bind-code", data={"csrf_token": token}
    ).get_data(as_text=True)
    code = html.split('id="bind-code">')[1].split("<")[0]
    assert len(code) == 8 and f"绑定 {code}" in html
    # the code binds a WeChat user to this steward through the API, exactly once
    api = capp.test_client()
    headers = login(api, "新管家")
    res = api.post("/api/v1/auth/bind", json={"code": code}, headers=headers)
    assert res.status_code == 200 and res.get_json()["steward"]["id"] == steward.id


def test_dismiss_steward_needs_a_reason(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    steward = world.d.stewards[0]
    token = csrf(client, "/console/stewards")
    client.post(f"/console/stewards/{steward.id}/dismiss", data={"csrf_token": token, "reason": ""})
    assert Steward.get_by_id(steward.id).active
    res = client.post(
        f"/console/stewards/{steward.id}/dismiss",
        data={"csrf_token": token, "reason": "搬家离开社区"},
        follow_redirects=True,
    )
    assert not Steward.get_by_id(steward.id).active
    assert "件未办结的诉求" in res.get_data(as_text=True)  # the open issue must be reassigned
    event = Event.get(Event.action == "steward.dismiss")
    assert event.data["reason"] == "搬家离开社区" and event.actor_id == world.staff.user_id


def test_register_group_and_mark_repaired(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/groups")
    c1 = world.d.communities[0]
    client.post(
        "/console/groups",
        data={
            "csrf_token": token,
            "area": str(c1.id),
            "name": "一社区管家群",
            "webhook_key": "bad",
        },
    )
    assert ChatGroup.select().count() == 0
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
    client.post(
        "/console/groups",
        data={"csrf_token": token, "area": str(c1.id), "name": "一社区管家群", "webhook_key": url},
    )
    group = ChatGroup.get()
    assert group.webhook_key == KEY and group.area_id == c1.id
    groups.mark_broken(KEY, "机器人被移出群")
    assert "失效的群机器人 <b>1</b>" in client.get("/console/").get_data(as_text=True)
    other = console_login(capp.test_client(), "secretary2")
    other_token = csrf(other, "/console/groups")
    res = other.post(f"/console/groups/{group.id}/repaired", data={"csrf_token": other_token})
    assert res.status_code == 404 and ChatGroup.get().robot_status == "broken"
    client.post(f"/console/groups/{group.id}/repaired", data={"csrf_token": token})
    assert ChatGroup.get().robot_status == "ok"


def test_outbox_retry(capp, world):
    c1 = world.d.communities[0]
    msg = OutboxMessage.create(
        kind="robot",
        target=KEY,
        payload={"msgtype": "text", "text": {"content": "x"}},
        idempotency_key="console-test-1",
        area=c1,
        status="dead",
        attempts=8,
        last_error="errcode 93000",
    )
    other = console_login(capp.test_client(), "secretary2")
    assert "errcode 93000" not in other.get("/console/outbox").get_data(as_text=True)
    res = other.post(
        f"/console/outbox/{msg.id}/retry", data={"csrf_token": csrf(other, "/console/outbox")}
    )
    assert res.status_code == 404 and OutboxMessage.get_by_id(msg.id).status == "dead"
    client = console_login(capp.test_client(), "secretary1")
    assert "errcode 93000" in client.get("/console/outbox").get_data(as_text=True)
    client.post(
        f"/console/outbox/{msg.id}/retry", data={"csrf_token": csrf(client, "/console/outbox")}
    )
    row = OutboxMessage.get_by_id(msg.id)
    assert row.status == "pending" and row.attempts == 0


def test_assessment_run_and_list(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/assessments")
    client.post("/console/assessments", data={"csrf_token": token, "period": "2026Q4"})
    rows = list(Assessment.select())
    assert {r.steward_id for r in rows} == {s.id for s in world.d.stewards[:2]}
    html = client.get("/console/assessments?period=2026Q4").get_data(as_text=True)
    assert "管家11" in html and "管家21" not in html


# --- admin: accounts (承办单位 are in test_console_units.py) -----------------------------


def test_admin_creates_and_disables_accounts(capp, world):
    staff = console_login(capp.test_client(), "secretary1")
    assert staff.get("/console/accounts").status_code == 403
    admin = console_login(capp.test_client(), "streetadmin")
    token = csrf(admin, "/console/accounts")
    c2 = world.d.communities[1]
    res = admin.post(
        "/console/accounts",
        data={"csrf_token": token, "area": str(c2.id), "username": "newsec", "password": "short"},
        follow_redirects=True,
    )
    assert "密码至少 8 位" in res.get_data(as_text=True)
    admin.post(
        "/console/accounts",
        data={
            "csrf_token": token,
            "area": str(c2.id),
            "username": "newsec",
            "display_name": "李书记",
            "password": "a-long-password",
        },
    )
    account = StaffAccount.get(StaffAccount.username == "newsec")
    assert account.role == "staff" and account.area_id == c2.id
    newsec = console_login(capp.test_client(), "newsec", "a-long-password")
    assert newsec.get(f"/console/?area={c2.id}").status_code == 200
    admin.post(f"/console/accounts/{account.id}/active", data={"csrf_token": token, "active": "0"})
    assert newsec.get("/console/").status_code == 302  # its session ended at once
    assert Event.get(Event.action == "staff.disable").actor_id == world.admin.user_id
    # an admin cannot lock themselves out
    admin.post(
        f"/console/accounts/{world.admin.id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert StaffAccount.get_by_id(world.admin.id).active


def test_old_print_files_are_removed_when_a_new_job_starts(capp, world):
    c1 = world.d.communities[0]
    old_file = print_jobs.jobs_dir() / "old.pdf"
    old_file.write_bytes(b"%PDF-old")
    week_ago = datetime.utcnow() - timedelta(days=8)
    old = PrintJob.create(
        area=c1, total=1, done=1, status="done", file_name="old.pdf", finished_at=week_ago
    )
    client = console_login(capp.test_client(), "secretary1")
    token = csrf(client, "/console/boards")
    client.post("/console/boards/print", data={"csrf_token": token, "area": str(c1.id)})
    _join_print_threads()
    assert not old_file.exists() and PrintJob.get_by_id(old.id).file_name is None
    assert "已被清理" in client.get(f"/console/boards/jobs/{old.id}").get_data(as_text=True)
    assert client.get(f"/console/boards/jobs/{old.id}.pdf").status_code == 404
    new = PrintJob.select().order_by(PrintJob.id.desc()).first()
    assert new.status == "done" and print_jobs.pdf_path(new).exists()  # the fresh one is kept


def test_issue_page_counts_residents_who_followed(capp, world):
    client = console_login(capp.test_client(), "secretary1")
    url = f"/console/issues/{world.open_issue.id}"
    assert "位居民跟进了这一件" not in client.get(url).get_data(as_text=True)
    api = capp.test_client()
    for name in ("邻居甲", "邻居乙"):
        res = api.post(f"/api/v1/issues/{world.open_issue.id}/follow", headers=login(api, name))
        assert res.status_code == 200, res.get_json()
    assert "另有 2 位居民跟进了这一件" in client.get(url).get_data(as_text=True)
