"""The scan page through Flask's test client: unknown and retired boards, scan counting per
local day, rate limits (also behind proxies), NUL bytes in forms, the private tracking link, find-my-items by phone, and privacy of the
public page. (The same page in a real browser: tests/browser/test_scan_browser.py.)"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import time_machine
from PIL import Image

from core import ratelimit
from core.boards import scans
from core.items import issues as issue_flow
from core.items import lifecycle
from core.people.permissions import Principal
from infra import config
from infra.errors import ApiError
from models import (
    Area,
    Board,
    Issue,
    RateCounter,
    ScanDaily,
    Wish,
)
from tests.conftest import make_app
from tests.factories import (
    login,
    login_staff,
    login_steward,
    make_district,
    make_staff,
)

API = "/api/v1"


def _jpeg(color=(10, 120, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "JPEG")
    return buf.getvalue()


def _report(client, code, content="路灯坏了", phone=None, photos=(), ip="127.0.0.1", **extra):
    data = {"category": "设施损坏", "content": content, **extra}
    if phone:
        data["contact_phone"] = phone
    data["photos"] = [(io.BytesIO(b), f"p{i}.jpg") for i, b in enumerate(photos)]
    return client.post(
        f"/b/{code}/issues",
        data=data,
        content_type="multipart/form-data",
        environ_base={"REMOTE_ADDR": ip},
    )


def _token(res) -> str:
    assert res.status_code == 303, res.get_data(as_text=True)
    match = re.search(r"/t/([A-Za-z0-9_-]+)\?new=1", res.headers["Location"])
    assert match, res.headers["Location"]
    return match.group(1)


def _resolve(client, steward, issue_id, note="已处理"):
    headers = login_steward(client, steward)
    res = client.post(f"{API}/issues/{issue_id}/resolve", json={"note": note}, headers=headers)
    assert res.status_code == 200, res.get_json()


# --- unknown, retired ------------------------------------------------------------------------


def test_unknown_code_is_a_friendly_404_page(client):
    make_district()
    for path in ("/b/NOSUCH23", "/b/" + "X" * 300, "/b/%E4%B8%AD%E6%96%87"):
        res = client.get(path)
        assert res.status_code == 404
        assert res.mimetype == "text/html"
        assert "找不到该公示牌" in res.get_data(as_text=True)
    res = _report(client, "NOSUCH23")
    assert res.status_code == 404 and Issue.select().count() == 0
    assert ScanDaily.select().count() == 0


def test_retired_board_is_410_with_the_community_phone(client):
    d = make_district()
    Area.update(phone="0539-1234567").where(Area.id == d.communities[0].id).execute()
    Board.update(active=False).where(Board.id == d.boards[0].id).execute()
    code = d.boards[0].code
    res = client.get(f"/b/{code}")
    html = res.get_data(as_text=True)
    assert res.status_code == 410
    assert "该公示牌已停用" in html
    assert 'href="tel:0539-1234567"' in html
    # nothing can be filed through it either, and nothing is lost silently
    assert _report(client, code).status_code == 410
    assert client.post(f"/b/{code}/mine", data={"phone": "13812345678"}).status_code == 410
    assert Issue.select().count() == 0
    # a retired board in a community without a phone still answers, without a tel: link
    Board.update(active=False).where(Board.id == d.boards[2].id).execute()
    res = client.get(f"/b/{d.boards[2].code}")
    assert res.status_code == 410 and "tel:" not in res.get_data(as_text=True)


# --- scan counting ---------------------------------------------------------------------------


def test_scans_are_counted_per_board_per_local_day(client):
    d = make_district()
    a, b = d.boards[0], d.boards[1]
    # 15:50 UTC is 23:50 in Shanghai; 20 minutes later it is the next local day, same UTC day.
    with time_machine.travel(datetime(2026, 11, 22, 15, 50, tzinfo=UTC), tick=False) as clock:
        for _ in range(2):
            res = client.get(f"/b/{a.code}")
            assert res.status_code == 200
            assert "Set-Cookie" not in res.headers  # nothing stored on the phone either
        client.get(f"/b/{b.code.lower()}")  # codes are forgiving about case
        clock.shift(timedelta(minutes=20))
        client.get(f"/b/{a.code}")
        client.get("/b/NOSUCH23")
    # counted in memory per worker and written every few seconds (the background writer may
    # already have written some): after a flush every scan is in the table
    scans.flush()
    assert scans.counter.pending() == 0
    rows = {(r.board_id, r.day.isoformat()): r.count for r in ScanDaily.select()}
    assert rows == {
        (a.id, "2026-11-22"): 2,
        (b.id, "2026-11-22"): 1,
        (a.id, "2026-11-23"): 1,
    }
    # the table can hold nothing personal: board, day, count
    assert set(ScanDaily._meta.fields) == {"id", "board", "day", "count"}


# --- submitting, rate limits ---------------------------------------------------------------


def test_web_report_is_anonymous_with_a_private_link(client):
    d = make_district()
    res = _report(client, d.boards[0].code, phone="138 1234 5678", photos=[_jpeg()])
    token = _token(res)
    issue = Issue.get()
    assert issue.reporter is None and issue.source == "web" and issue.board_id == d.boards[0].id
    assert issue.contact_phone == "13812345678" and len(issue.photo_ids) == 1
    assert issue.tracking_token_hash == lifecycle.tracking_hash(token) != token
    assert token not in str(Issue.select().dicts()[:])  # only the hash is stored
    page = client.get(f"/t/{token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert issue.number in html and "待接单" in html and "反映人" in html


def test_the_tracking_link_points_where_the_demo_server_listens(tmp_path):
    # No PUBLIC_BASE_URL, served by `serve --port 5130`: the link to keep is on that port.
    app = make_app(tmp_path, PUBLIC_BASE_URL=None)
    with app.app_context():
        config.listening_at(app, "127.0.0.1", 5130)
        client = app.test_client()
        token = _token(_report(client, make_district().boards[0].code))
        html = client.get(f"/t/{token}?new=1").get_data(as_text=True)
    assert f'value="http://127.0.0.1:5130/t/{token}"' in html


def test_a_failed_upload_keeps_the_text_and_the_good_photos(client):
    d = make_district()
    code = d.boards[0].code
    res = client.post(
        f"/b/{code}/issues",
        data={
            "category": "环境卫生",
            "content": "",
            "contact_phone": "12345",
            "photos": [(io.BytesIO(_jpeg()), "good.jpg"), (io.BytesIO(b"not an image"), "x.jpg")],
        },
        content_type="multipart/form-data",
    )
    html = res.get_data(as_text=True)
    assert res.status_code == 400
    assert "请填写问题描述" in html
    assert "“x.jpg”：只支持 JPG、PNG、WebP 格式的图片" in html
    assert "请填写正确的手机号" in html
    assert 'value="环境卫生" selected' in html and 'value="12345"' in html
    kept = re.findall(r'name="kept_photo" value="([^"]+)"', html)
    assert len(kept) == 1
    # resubmitting with the kept photo and a forged one: only the signed one is attached
    res = client.post(
        f"/b/{code}/issues",
        data={"category": "环境卫生", "content": "垃圾满了", "kept_photo": [kept[0], "1"]},
        content_type="multipart/form-data",
    )
    _token(res)
    assert len(Issue.get().photo_ids) == 1


@time_machine.travel(datetime(2026, 11, 22, 3, 5, tzinfo=UTC), tick=False)  # mid-window
def test_a_burst_past_the_rate_limit_is_429_and_creates_nothing_more(app, client):
    app.config["SCAN_SUBMIT_LIMIT"] = 3
    d = make_district()
    code = d.boards[0].code
    statuses = [_report(client, code, content=f"第{i}次").status_code for i in range(3)]
    assert statuses == [303, 303, 303]
    res = _report(client, code, content="第四次：楼道堆满杂物")
    html = res.get_data(as_text=True)
    assert res.status_code == 429
    assert int(res.headers["Retry-After"]) > 0
    assert "提交太频繁了" in html and "第四次：楼道堆满杂物" in html  # typed text kept
    wish = client.post(
        f"/b/{code}/wishes",
        data={
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "收音机",
            "content": "x",
        },
        content_type="multipart/form-data",
    )
    assert wish.status_code == 429  # one budget for both forms
    assert Issue.select().count() == 3 and Wish.select().count() == 0
    # another client is not affected
    assert _report(client, code, content="邻居", ip="10.0.0.9").status_code == 303
    # the next window is open again
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=601), tick=False):
        assert _report(client, code, content="过了十分钟").status_code == 303
    assert Issue.select().count() == 5
    # counters hold a keyed hash, never the address
    assert all("127.0.0.1" not in r.key and "10.0.0.9" not in r.key for r in RateCounter.select())


def test_forwarded_for_counts_only_behind_a_trusted_proxy(app, client):
    app.config["SCAN_SUBMIT_LIMIT"] = 1
    code = make_district().boards[0].code

    def post(forged, seen):
        """`forged` is what the client wrote; `seen` what the proxy appended."""
        return client.post(
            f"/b/{code}/issues",
            data={"category": "其他", "content": f"{forged} {seen}"},
            content_type="multipart/form-data",
            headers={"X-Forwarded-For": f"{forged}, {seen}"},
        ).status_code

    assert [post("1.1.1.1", "5.5.5.5"), post("2.2.2.2", "6.6.6.6")] == [303, 429]  # ignored
    app.config["TRUST_PROXY_HEADERS"] = True
    # the entry the proxy appended counts; what the client wrote before it does not
    assert [post("9.9.9.9", "3.3.3.3"), post("9.9.9.9", "4.4.4.4")] == [303, 303]
    assert post("8.8.8.8", "3.3.3.3") == 429


def test_ratelimit_hit_counts_fixed_windows(app):
    start = datetime(2026, 11, 22, 8, 0, 5, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert [ratelimit.hit("t:1", 2, 60) for _ in range(3)] == [True, True, False]
        assert ratelimit.hit("t:2", 2, 60)  # keys are independent
        clock.shift(timedelta(seconds=60))
        assert ratelimit.hit("t:1", 2, 60)
        # the finished window of the key was dropped when the new one began
        assert RateCounter.select().where(RateCounter.key == "t:1").count() == 1
        clock.shift(timedelta(days=2))
        assert ratelimit.prune() == 2


# --- the tracking link ------------------------------------------------------------------------


def test_rating_through_the_tracking_link(client):
    d = make_district()
    token = _token(_report(client, d.boards[0].code))
    issue = Issue.get()
    html = client.get(f"/t/{token}").get_data(as_text=True)
    assert 'id="rate-form"' not in html  # nothing to rate before it is resolved
    assert client.post(f"/t/{token}/rate", data={"score": "5"}).status_code == 409
    _resolve(client, d.stewards[0], issue.id)
    res = client.post(f"/t/{token}/rate", data={"score": "9"})
    assert res.status_code == 400 and "请选择 1 到 5 颗星" in res.get_data(as_text=True)
    res = client.post(f"/t/{token}/rate", data={"score": "4", "text": "很快"})
    assert res.status_code == 303
    issue = Issue.get_by_id(issue.id)
    assert (issue.status, issue.rating, issue.rating_text) == ("closed", 4, "很快")
    html = client.get(f"/t/{token}").get_data(as_text=True)
    assert "已完结" in html and "★★★★☆" in html


def test_reopen_through_the_tracking_link(client):
    d = make_district()
    token = _token(_report(client, d.boards[0].code))
    issue = Issue.get()
    _resolve(client, d.stewards[0], issue.id)
    res = client.post(f"/t/{token}/reopen", data={"reason": ""})
    assert res.status_code == 400 and "请填写没有解决的原因" in res.get_data(as_text=True)
    assert client.post(f"/t/{token}/reopen", data={"reason": "灯又灭了"}).status_code == 303
    issue = Issue.get_by_id(issue.id)
    assert issue.status == "submitted" and issue.reopen_count == 1


def test_a_tracking_token_opens_only_its_own_item(client):
    d = make_district()
    token_a = _token(_report(client, d.boards[0].code, content="甲"))
    token_b = _token(_report(client, d.boards[0].code, content="乙"))
    a, b = Issue.get(Issue.content == "甲"), Issue.get(Issue.content == "乙")
    _resolve(client, d.stewards[0], a.id)
    _resolve(client, d.stewards[0], b.id)
    anon = Principal.anonymous()
    for attempt in (
        lambda: issue_flow.rate(anon, b.id, 5, tracking_token=token_a),
        lambda: issue_flow.rate(anon, b.id, 5),
        lambda: issue_flow.rate(anon, b.id, 5, tracking_token=""),
        lambda: issue_flow.reopen(anon, b.id, "x", tracking_token=token_a),
    ):
        try:
            attempt()
        except ApiError as err:
            # Told nothing more than for a number that does not exist.
            assert (err.status, err.code, err.message) == (404, "issue_not_found", "找不到该诉求")
        else:
            raise AssertionError("a foreign or missing token was accepted")
    # another resident logged in through WeChat is not the reporter either
    headers = login(client, "别人")
    res = client.post(f"{API}/issues/{b.id}/rate", json={"score": 1}, headers=headers)
    assert res.status_code == 404
    assert client.post(f"/t/{token_a}/rate", data={"score": "5"}).status_code == 303
    assert Issue.get_by_id(a.id).status == "closed"
    assert Issue.get_by_id(b.id).status == "resolved"
    for bad in (token_a[:-1], token_a + "x", "x" * 100):
        res = client.get(f"/t/{bad}")
        assert res.status_code == 404 and "链接无效" in res.get_data(as_text=True)
    assert token_a not in client.get(f"/t/{token_b}").get_data(as_text=True)


def test_a_web_wish_is_confirmed_through_its_link(client):
    d = make_district()
    res = client.post(
        f"/b/{d.boards[0].code}/wishes",
        data={
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "想要收音机",
            "content": "听戏",
            "contact_phone": "13700001111",
        },
        content_type="multipart/form-data",
    )
    token = _token(res)
    wish = Wish.get()
    assert wish.author is None and wish.status == "pending_review"
    # staff approve, a volunteer claims and fulfils: the link then confirms

    staff = login_staff(client, make_staff(d.communities[0]))
    volunteer = login(client, "志愿者")
    for path, headers, body in (
        ("approve", staff, {}),
        ("claim", volunteer, {}),
        ("fulfil", volunteer, {"note": "已送到"}),
    ):
        r = client.post(f"{API}/wishes/{wish.id}/{path}", json=body, headers=headers)
        assert r.status_code == 200, r.get_json()
    assert client.post(f"/t/{token}/rate", data={"score": "5"}).status_code == 303
    wish = Wish.get_by_id(wish.id)
    assert (wish.status, wish.rating) == ("closed", 5)
    html = client.get(f"/t/{token}").get_data(as_text=True)
    assert "提交人" in html and "已完结" in html


# --- find my items by phone -----------------------------------------------------------------


@time_machine.travel(datetime(2026, 11, 22, 3, 30, tzinfo=UTC), tick=False)  # mid-window
def test_find_my_items_by_phone_shows_only_safe_fields(app, client):
    app.config["SCAN_LOOKUP_LIMIT"] = 3
    d = make_district()
    code = d.boards[0].code
    _token(_report(client, code, content="隐私内容：我家楼上漏水", phone="13812345678"))
    _token(_report(client, code, content="别人的诉求", phone="13900000000"))
    _token(_report(client, d.boards[1].code, content="另一条巷子", phone="13812345678"))
    client.post(
        f"/b/{code}/wishes",
        data={
            "beneficiary_type": "elderly",
            "display_name": "张爷爷",
            "title": "助行器",
            "content": "腿脚不便",
            "contact_phone": "13812345678",
        },
        content_type="multipart/form-data",
    )
    # the same phone on a mini-program report is found in the mini program, not here
    body = {
        "board_code": code,
        "category": "其他",
        "content": "小程序",
        "contact_phone": "13812345678",
    }
    assert client.post(f"{API}/issues", json=body, headers=login(client, "居民")).status_code == 201

    page = client.get(f"/b/{code}/mine").get_data(as_text=True)
    assert "只显示编号、类别、状态和日期" in page and "最多查询 3 次" in page
    res = client.post(f"/b/{code}/mine", data={"phone": "138-1234-5678"})
    html = res.get_data(as_text=True)
    assert res.status_code == 200
    mine = Issue.get(Issue.content == "隐私内容：我家楼上漏水")
    wish = Wish.get()
    assert mine.number in html and wish.number in html
    assert "设施损坏" in html and "微心愿" in html and "待接单" in html and "待审核" in html
    assert "漏水" not in html and "助行器" not in html and "张爷爷" not in html
    for other in Issue.select().where(Issue.id != mine.id):
        assert other.number not in html  # other people, other alleys, the mini program
    assert "13812345678" not in html and "138****5678" in html
    assert res.headers["Cache-Control"] == "no-store"

    assert client.post(f"/b/{code}/mine", data={"phone": "12"}).status_code == 400
    assert client.post(f"/b/{code}/mine", data={"phone": "13900000001"}).status_code == 200
    assert client.post(f"/b/{code}/mine", data={"phone": "13900000002"}).status_code == 200
    res = client.post(f"/b/{code}/mine", data={"phone": "13900000000"})
    assert res.status_code == 429 and "查询太频繁了" in res.get_data(as_text=True)


# --- privacy of the public page, content check -------------------------------------------------


def test_no_resident_phone_on_the_public_page(client):
    d = make_district()
    code = d.boards[0].code
    _token(_report(client, code, content="网页反映", phone="13811112222"))
    body = {
        "board_code": code,
        "category": "其他",
        "content": "小程序反映",
        "contact_phone": "13933334444",
    }
    assert client.post(f"{API}/issues", json=body, headers=login(client, "居民")).status_code == 201
    html = client.get(f"/b/{code}").get_data(as_text=True)
    assert "网页反映" in html and "小程序反映" in html  # offline word list passed both
    assert "13811112222" not in html and "13933334444" not in html
    assert f'href="tel:{d.stewards[0].phone}"' in html  # the steward's phone is on the board


def test_online_a_web_report_is_held_off_the_public_board(online_app):
    client = online_app.test_client()
    d = make_district()
    code = d.boards[0].code
    token = _token(_report(client, code, content="网页反映的问题"))
    issue = Issue.get()
    # without an openid WeChat's msgSecCheck cannot be asked: never published unchecked
    assert issue.visibility == "held"
    assert "网页反映的问题" not in client.get(f"/b/{code}").get_data(as_text=True)
    html = client.get(f"/t/{token}").get_data(as_text=True)
    assert "网页反映的问题" in html and "审核后才会在公示牌上公开" in html


# --- WeChat's verification file ---------------------------------------------------------------


def test_wechat_verification_file_is_served_only_when_configured(app, client):
    assert client.get("/AZdYikN6R7.txt").status_code == 404
    app.config["WECHAT_VERIFY_FILE_NAME"] = "AZdYikN6R7.txt"
    app.config["WECHAT_VERIFY_FILE_CONTENT"] = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    for path in ("/AZdYikN6R7.txt", "/b/AZdYikN6R7.txt"):
        res = client.get(path)
        assert res.status_code == 200 and res.mimetype == "text/plain"
        assert res.get_data(as_text=True) == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert client.get("/other.txt").status_code == 404


def test_nul_bytes_in_scan_page_forms(client, district_world):
    res = client.post(
        f"/b/{district_world['board']}/issues",
        data={"category": "其他", "content": "路灯%00坏了\x00", "contact_phone": "\x00"},
        content_type="multipart/form-data",
    )
    assert res.status_code == 303
    assert Issue.get().content == "路灯%00坏了"
    res = client.post(
        f"/b/{district_world['board']}/wishes",
        data={"beneficiary_type": "elderly", "display_name": "\x00", "title": "x", "content": "y"},
        content_type="multipart/form-data",
    )
    assert res.status_code == 400 and Wish.select().count() == 0


def test_a_forged_forwarded_for_entry_does_not_escape_the_limit(app, client, district_world):
    app.config.update(TRUST_PROXY_HEADERS=True, TRUSTED_PROXY_HOPS=1, SCAN_SUBMIT_LIMIT=2)
    statuses = [
        client.post(
            f"/b/{district_world['board']}/issues",
            data={"category": "其他", "content": f"第{i}次"},
            content_type="multipart/form-data",
            headers={"X-Forwarded-For": f"10.9.{i}.{i}, 203.0.113.7"},
        ).status_code
        for i in range(4)
    ]
    assert statuses == [303, 303, 429, 429]
    # behind two proxies (a CDN in front of nginx) the client is the second from the right
    app.config.update(TRUSTED_PROXY_HOPS=2)
    statuses = [
        client.post(
            f"/b/{district_world['board']}/issues",
            data={"category": "其他", "content": f"经过两层代理{i}"},
            content_type="multipart/form-data",
            headers={"X-Forwarded-For": f"10.9.{i}.{i}, 198.51.100.{i}, 192.0.2.1"},
        ).status_code
        for i in range(3)
    ]
    assert statuses == [303, 303, 303]
