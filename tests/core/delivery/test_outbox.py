"""The outbox dispatcher against the fake WeChat server: retries with backoff, dead letters,
uncertain outcomes that are never resent, claims that hold across racing dispatchers, the
staff API, offline mode and `/dev/outbox`."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
import time_machine
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from wechatpy.exceptions import WeChatClientException

from core.delivery import outbox
from core.delivery.wechat import DatabaseStorage
from infra.db import db
from infra.timeutil import utcnow
from models import Event, OutboxMessage
from tests.factories import login, login_staff, make_district, make_staff
from tests.fake_wechat import openid_for

T0 = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
TEMPLATE = "tpl_status"
SEND_PATH = "/cgi-bin/message/subscribe/send"
NOTHING = {"sent": 0, "retry": 0, "dead": 0, "uncertain": 0, "deferred": 0}


def subscribe_body(openid: str, n: int = 1) -> dict:
    return {
        "touser": openid,
        "template_id": TEMPLATE,
        "page": f"pages/item/item?id={n}&type=issue",
        "data": {
            "character_string1": {"value": f"S2611220{n:03d}"},
            "thing2": {"value": "路灯不亮"},
            "phrase3": {"value": "已受理"},
            "time4": {"value": "2026年11月22日 09:00"},
            "thing5": {"value": "管家已接单，请耐心等待"},
        },
        "miniprogram_state": "formal",
        "lang": "zh_CN",
    }


def queue(n: int, prefix: str = "r", area=None) -> list[OutboxMessage]:
    """Queue `n` subscribe messages to distinct residents, in one transaction."""
    rows = []
    with db.atomic():
        for i in range(n):
            openid = openid_for(f"{prefix}{i}")
            rows.append(
                outbox.enqueue(
                    "subscribe",
                    openid,
                    subscribe_body(openid, i),
                    key=f"subscribe:test:{prefix}:{i}",
                    area=area,
                )
            )
    return rows


def fresh(row: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.get_by_id(row.id)


def longest_backoff(app, attempts: int) -> timedelta:
    """Past the backoff after `attempts` failures, jitter included."""
    seconds = min(
        app.config["OUTBOX_BACKOFF_SECONDS"] * 2 ** (attempts - 1) * 1.1,
        app.config["OUTBOX_BACKOFF_MAX_SECONDS"],
    )
    return timedelta(seconds=seconds + 1)


# --- delivery through the fake ----------------------------------------------------------------


def test_subscribe_message_is_delivered(online_app, fake_wechat):
    with time_machine.travel(T0, tick=False):
        (row,) = queue(1)
        assert row.status == "pending" and row.attempts == 0
        assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    row = fresh(row)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at == T0.replace(tzinfo=None)
    assert row.lease_until is None  # done: no dispatcher holds it any more
    assert row.result["errcode"] == 0 and row.result["msgid"]
    (sent,) = fake_wechat.subscribe_sent
    assert sent["body"] == row.payload
    assert sent["msgid"] == row.result["msgid"]
    assert outbox.deliver_due() == NOTHING  # nothing is sent twice


def test_wechat_down_for_a_while_queues_then_delivers_each_once(online_app, fake_wechat):
    with time_machine.travel(T0, tick=False) as clock:
        rows = queue(5)
        fake_wechat.down = True
        for attempt in range(1, 5):
            started = utcnow()
            assert outbox.deliver_due() == {**NOTHING, "retry": 5}
            for row in map(fresh, rows):
                assert (row.status, row.attempts) == ("pending", attempt)
                assert "503" in row.last_error
                # exponential backoff: 30 s, 60 s, 120 s, 240 s (+ up to 10 % jitter)
                wait = (row.next_attempt_at - started).total_seconds()
                assert 30 * 2 ** (attempt - 1) <= wait <= 33 * 2 ** (attempt - 1)
            # before the backoff has passed, a pass does not even call WeChat
            calls = len(fake_wechat.calls)
            clock.shift(timedelta(seconds=29 * 2 ** (attempt - 1)))
            assert outbox.deliver_due() == NOTHING
            assert len(fake_wechat.calls) == calls
            clock.shift(longest_backoff(online_app, attempt))
        assert fake_wechat.subscribe_sent == []
        assert fake_wechat.calls  # it really was tried while down

        fake_wechat.down = False
        assert outbox.deliver_due() == {**NOTHING, "sent": 5}
        for _ in range(3):
            clock.shift(timedelta(hours=3))
            assert outbox.deliver_due() == NOTHING

    assert len(fake_wechat.subscribe_sent) == 5
    assert sorted(m["body"]["touser"] for m in fake_wechat.subscribe_sent) == sorted(
        r.target for r in rows
    )
    for row in map(fresh, rows):
        assert (row.status, row.attempts, row.last_error) == ("sent", 5, None)


def test_token_error_is_refreshed_by_wechatpy_and_sent_in_the_same_pass(online_app, fake_wechat):
    (row,) = queue(1)
    fake_wechat.fail_next(SEND_PATH, 40001)
    assert outbox.deliver_due()["sent"] == 1
    assert fresh(row).attempts == 1
    assert len(fake_wechat.subscribe_sent) == 1
    assert len(fake_wechat.calls_to("/cgi-bin/token")) == 2  # the refresh


def test_a_token_wechat_never_accepts_does_not_loop(online_app, fake_wechat):
    (row,) = queue(1)
    fake_wechat.fail_next(SEND_PATH, 40001, times=1000)
    assert outbox.deliver_due()["retry"] == 1  # one refresh, then an ordinary retry later
    assert len(fake_wechat.calls_to(SEND_PATH)) == 2
    assert fresh(row).status == "pending" and fake_wechat.subscribe_sent == []


def test_busy_and_frequency_limit_are_retried(online_app, fake_wechat):
    with time_machine.travel(T0, tick=False) as clock:
        (row,) = queue(1)
        fake_wechat.fail_next(SEND_PATH, -1)
        fake_wechat.fail_next(SEND_PATH, 45009)
        assert outbox.deliver_due()["retry"] == 1
        assert "errcode -1" in fresh(row).last_error
        clock.shift(longest_backoff(online_app, 1))
        assert outbox.deliver_due()["retry"] == 1
        assert "45009" in fresh(row).last_error
        clock.shift(longest_backoff(online_app, 2))
        assert outbox.deliver_due()["sent"] == 1
    assert len(fake_wechat.subscribe_sent) == 1


def test_connection_refused_is_retried(online_app, fake_wechat):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # A valid shared token, so the refused connection is the send itself.
    DatabaseStorage().set(f"{fake_wechat.appid}_access_token", "mp_token", 7200)
    online_app.config["WECHAT_API_BASE"] = f"http://127.0.0.1:{port}/"
    (row,) = queue(1)
    assert outbox.deliver_due()["retry"] == 1
    row = fresh(row)
    assert row.status == "pending" and "无法连接微信" in row.last_error
    # Waiting for its next attempt, the row is no dispatcher's: its lease is given up.
    assert row.lease_until is None and row.attempts == 1


def test_permanent_error_is_dead_at_once(online_app, fake_wechat):
    with time_machine.travel(T0, tick=False) as clock:
        (row,) = queue(1)
        fake_wechat.subscribe_quota[(row.target, TEMPLATE)] = 0  # 43101: no consent left
        assert outbox.deliver_due() == {**NOTHING, "dead": 1}
        row = fresh(row)
        assert (row.status, row.attempts) == ("dead", 1)
        assert "43101" in row.last_error and "订阅" in row.last_error
        clock.shift(timedelta(days=1))
        assert outbox.deliver_due() == NOTHING
    assert len(fake_wechat.calls_to(SEND_PATH)) == 1


def test_n_failures_make_a_dead_letter(online_app, fake_wechat):
    online_app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    with time_machine.travel(T0, tick=False) as clock:
        (row,) = queue(1)
        fake_wechat.fail_next(SEND_PATH, -1, times=10)
        assert outbox.deliver_due()["retry"] == 1
        clock.shift(longest_backoff(online_app, 1))
        assert outbox.deliver_due()["retry"] == 1
        clock.shift(longest_backoff(online_app, 2))
        assert outbox.deliver_due() == {**NOTHING, "dead": 1}
        row = fresh(row)
        assert (row.status, row.attempts) == ("dead", 3)
        assert "已尝试 3 次" in row.last_error
        clock.shift(timedelta(days=1))
        assert outbox.deliver_due() == NOTHING
    assert len(fake_wechat.calls_to(SEND_PATH)) == 3


def test_backoff_is_capped(online_app):
    cap = online_app.config["OUTBOX_BACKOFF_MAX_SECONDS"]
    assert outbox.backoff_seconds(30) == cap
    assert 30 <= outbox.backoff_seconds(1) <= 33


# --- uncertain outcomes: never resent automatically --------------------------------------------


class HangingProxy:
    """Forwards every request to the fake WeChat; for `hang_path` it forwards the request
    (so WeChat accepts the message) and then never answers: the client's read times out.
    With `drop=True` it closes the connection instead of answering."""

    def __init__(self, upstream: str, hang_path: str, drop: bool = False):
        self.release = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                answer = requests.request(
                    self.command,
                    upstream.rstrip("/") + self.path,
                    data=body,
                    headers={"Content-Type": self.headers.get("Content-Type", "")},
                    timeout=5,
                )
                if self.path.split("?", 1)[0] == hang_path:
                    if not drop:
                        proxy.release.wait(30)
                    self.close_connection = True
                    return
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_read_timeout_is_uncertain_and_never_resent(online_app, fake_wechat):
    with (
        HangingProxy(fake_wechat.base_url, SEND_PATH) as proxy,
        time_machine.travel(T0, tick=False) as clock,
    ):
        online_app.config["WECHAT_API_BASE"] = proxy.base_url
        online_app.config["WECHAT_TIMEOUT"] = 0.5
        (row,) = queue(1)
        assert outbox.deliver_due() == {**NOTHING, "uncertain": 1}
        row = fresh(row)
        assert row.status == "uncertain" and "可能已收到" in row.last_error
        # WeChat did accept it: resending would deliver it twice
        assert len(fake_wechat.subscribe_sent) == 1
        for _ in range(3):
            clock.shift(timedelta(hours=6))
            assert outbox.deliver_due() == NOTHING
    assert fresh(row).status == "uncertain"
    assert len(fake_wechat.calls_to(SEND_PATH)) == 1


def test_connection_dropped_after_sending_is_uncertain(online_app, fake_wechat):
    with HangingProxy(fake_wechat.base_url, SEND_PATH, drop=True) as proxy:
        online_app.config["WECHAT_API_BASE"] = proxy.base_url
        (row,) = queue(1)
        assert outbox.deliver_due() == {**NOTHING, "uncertain": 1}
    assert "连接中断" in fresh(row).last_error
    assert len(fake_wechat.subscribe_sent) == 1


def test_a_send_whose_lease_expired_is_uncertain(online_app, fake_wechat):
    with time_machine.travel(T0, tick=False) as clock:
        (row,) = queue(1)
        # A dispatcher claims the row and dies before it records an outcome.
        assert outbox._claim(row.id, utcnow(), retries_now=False) is not None
        assert fresh(row).status == "sending"
        assert outbox.deliver_due() == NOTHING  # the lease still runs: not touched
        clock.shift(timedelta(seconds=outbox.lease_seconds() + 1))
        assert outbox.deliver_due() == {**NOTHING, "uncertain": 1}
        row = fresh(row)
        assert row.status == "uncertain" and "租约过期" in row.last_error
        clock.shift(timedelta(days=1))
        assert outbox.deliver_due() == NOTHING
    assert fake_wechat.calls_to(SEND_PATH) == []


def test_two_dispatchers_racing_send_each_message_once(online_app, fake_wechat):
    rows = queue(30)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def dispatcher():
        with online_app.app_context():
            db.connect(reuse_if_open=True)
            try:
                barrier.wait(5)
                results.append(outbox.deliver_due())
            except Exception as exc:  # surfaced below; a thread cannot fail the test itself
                errors.append(exc)
            finally:
                db.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r["sent"] for r in results) == 30
    assert sum(sum(r.values()) for r in results) == 30
    assert len(fake_wechat.subscribe_sent) == 30
    assert len({m["body"]["touser"] for m in fake_wechat.subscribe_sent}) == 30
    assert all(fresh(r).status == "sent" and fresh(r).attempts == 1 for r in rows)


# --- rate limits ----------------------------------------------------------------------------------


def test_rate_limited_kind_is_deferred_without_counting_an_attempt(online_app, fake_wechat):
    calls = []

    @outbox.sender("ratetest")
    def send_ratetest(msg):
        calls.append(msg.id)
        return {"errcode": 0}

    outbox.RATE_LIMITS["ratetest"] = (2, 60)
    try:
        with time_machine.travel(T0, tick=False) as clock:
            for i in range(3):
                outbox.enqueue("ratetest", "robot-key", {"n": i}, key=f"ratetest:{i}")
            other = outbox.enqueue("ratetest", "other-key", {"n": 9}, key="ratetest:other")
            assert outbox.deliver_due() == {**NOTHING, "sent": 3, "deferred": 1}
            deferred = OutboxMessage.get(
                (OutboxMessage.status == "pending") & (OutboxMessage.kind == "ratetest")
            )
            assert deferred.attempts == 0 and deferred.target == "robot-key"
            assert deferred.next_attempt_at == T0.replace(tzinfo=None) + timedelta(seconds=60)
            assert fresh(other).status == "sent"  # another target has its own window
            clock.shift(timedelta(seconds=30))
            assert outbox.deliver_due() == NOTHING
            clock.shift(timedelta(seconds=31))
            assert outbox.deliver_due() == {**NOTHING, "sent": 1}
        assert len(calls) == 4
    finally:
        outbox.RATE_LIMITS.pop("ratetest")
        outbox.SENDERS.pop("ratetest")


def test_kind_without_a_sender_waits_online_and_is_shown_offline(online_app, fake_wechat):
    row = outbox.enqueue("nosender", "someone", {"text": "你好"}, key="nosender:1")
    assert outbox.deliver_due() == NOTHING
    assert fresh(row).status == "pending"
    online_app.config["OFFLINE"] = True  # offline, every kind is "sent" to /dev/outbox
    assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    assert fresh(row).result == {"offline": True}
    assert fake_wechat.calls == []


# --- staff: dead letters and retry ---------------------------------------------------------------


def test_staff_list_dead_letters_in_scope_and_retry_them(online_app, fake_wechat):
    client = online_app.test_client()
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    admin = login_staff(client, make_staff(d.street, role="admin"))
    mine = queue(1, "mine", area=d.alleys[0])[0]
    theirs = queue(1, "theirs", area=d.alleys[2])[0]  # another community
    nobody = queue(1, "nobody")[0]  # no area: admins only
    for row in (mine, theirs, nobody):
        fake_wechat.subscribe_quota[(row.target, TEMPLATE)] = 0
    assert outbox.deliver_due()["dead"] == 3

    res = client.get("/api/v1/outbox?status=dead", headers=staff)
    assert res.status_code == 200, res.get_json()
    page = res.get_json()
    assert (page["total"], page["page"], page["per_page"]) == (1, 1, 20)
    (item,) = page["items"]
    assert item["id"] == mine.id and item["status"] == "dead" and item["attempts"] == 1
    assert item["target"] == mine.target[:4] + "…"
    assert "43101" in item["last_error"]
    assert item["created_at"].endswith("+08:00")
    admin_ids = {i["id"] for i in client.get("/api/v1/outbox", headers=admin).get_json()["items"]}
    assert admin_ids == {mine.id, theirs.id, nobody.id}
    assert client.get("/api/v1/outbox?status=sent", headers=staff).get_json()["total"] == 0
    assert client.get("/api/v1/outbox?status=nope", headers=staff).status_code == 400

    # out of scope looks like it does not exist
    assert client.post(f"/api/v1/outbox/{theirs.id}/retry", headers=staff).status_code == 404
    assert client.post(f"/api/v1/outbox/{nobody.id}/retry", headers=staff).status_code == 404

    del fake_wechat.subscribe_quota[(mine.target, TEMPLATE)]  # the resident subscribed again
    res = client.post(f"/api/v1/outbox/{mine.id}/retry", headers=staff)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["status"] == "pending" and res.get_json()["attempts"] == 0
    event = Event.get(Event.action == "outbox.retry")
    assert event.subject_id == mine.id and event.data["from"] == "dead"
    assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    assert fresh(mine).status == "sent"
    assert [m["body"]["touser"] for m in fake_wechat.subscribe_sent] == [mine.target]

    res = client.post(f"/api/v1/outbox/{mine.id}/retry", headers=staff)
    assert res.status_code == 409
    assert res.get_json()["error"]["code"] == "invalid_transition"


def test_uncertain_rows_can_be_retried_by_staff(online_app, fake_wechat):
    client = online_app.test_client()
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    (row,) = queue(1, area=d.alleys[0])
    OutboxMessage.update(status="uncertain", attempts=1).where(OutboxMessage.id == row.id).execute()
    listed = client.get("/api/v1/outbox?status=uncertain", headers=staff).get_json()
    assert [i["id"] for i in listed["items"]] == [row.id]
    assert client.post(f"/api/v1/outbox/{row.id}/retry", headers=staff).status_code == 200
    assert outbox.deliver_due()["sent"] == 1


def test_outbox_api_is_for_staff_only(app, client):
    headers = login(client, "居民")
    assert client.get("/api/v1/outbox", headers=headers).status_code == 403
    assert client.get("/api/v1/outbox").status_code == 401


def test_outbox_pagination(app, client):
    d = make_district()
    staff = login_staff(client, make_staff(d.communities[0]))
    with time_machine.travel(T0, tick=False) as clock:
        for i in range(5):
            queue(1, f"p{i}", area=d.alleys[1])
            clock.shift(timedelta(minutes=1))
    page = client.get("/api/v1/outbox?page=2&per_page=2", headers=staff).get_json()
    assert page["total"] == 5 and len(page["items"]) == 2
    assert page["items"][0]["created_at"] == "2026-11-22T09:02:00+08:00"  # newest first


# --- offline mode -------------------------------------------------------------------------------


def test_offline_mode_marks_rows_sent_without_calling_wechat(app, client, runner):
    with time_machine.travel(T0, tick=False):
        (row,) = queue(1)
        result = runner.invoke(args=["outbox", "--once"])
    assert result.exit_code == 0, result.output
    assert "已发送 1 条" in result.output
    row = fresh(row)
    assert row.status == "sent" and row.result == {"offline": True}
    assert row.sent_at == T0.replace(tzinfo=None)

    page = client.get("/dev/outbox")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "离线演示模式" in html and "外发消息" in html
    assert row.target in html and "管家已接单，请耐心等待" in html and "已发送" in html


def test_dev_outbox_is_offline_only(online_app):
    assert online_app.test_client().get("/dev/outbox").status_code == 404


def test_outbox_once_also_sends_messages_waiting_for_a_retry(online_app, fake_wechat):
    runner = online_app.test_cli_runner()
    with time_machine.travel(T0, tick=False):
        (row,) = queue(1)
        fake_wechat.fail_next(SEND_PATH, -1)
        assert outbox.deliver_due()["retry"] == 1
        assert fresh(row).next_attempt_at > T0.replace(tzinfo=None)  # backing off
        assert outbox.deliver_due() == NOTHING  # the scheduler's pass waits for it
        result = runner.invoke(args=["outbox", "--once"])
    assert result.exit_code == 0, result.output
    assert "已发送 1 条" in result.output
    assert fresh(row).status == "sent" and len(fake_wechat.subscribe_sent) == 1


# --- how a failure is judged, and how long things wait ----------------------------------------


class _Response:
    def __init__(self, status_code):
        self.status_code = status_code


def test_classify_judges_every_kind_of_failure():
    refused = requests.ConnectionError(
        MaxRetryError(None, "/send", NewConnectionError(None, "Connection refused"))
    )
    cases = [
        (outbox.NotSent("获取 access_token 失败"), ("retry", "获取 access_token 失败")),
        (outbox.Uncertain("无法解析"), ("uncertain", "无法解析")),
        (outbox.Permanent("机器人已失效"), ("dead", "机器人已失效")),
        (WeChatClientException(None, "HTTP 502", response=_Response(502)), ("retry", "HTTP 502")),
        (WeChatClientException(None, "HTTP", response=None), ("retry", "HTTP 请求失败")),
        (
            WeChatClientException(43101, "user refuse"),
            ("dead", "errcode 43101：user refuse（用户未订阅或订阅次数已用完）"),
        ),
        (
            WeChatClientException(-1, "system busy"),
            ("retry", "errcode -1：system busy（微信系统繁忙）"),
        ),
        (WeChatClientException(12345, "odd"), ("retry", "errcode 12345：odd")),
        (requests.ConnectTimeout("slow"), ("retry", "无法连接微信：ConnectTimeout：slow")),
        (refused, ("retry", f"无法连接微信：ConnectionError：{refused}")),
        (
            requests.ConnectionError("reset by peer"),
            ("uncertain", "连接中断，微信可能已收到：ConnectionError：reset by peer"),
        ),
        (
            requests.ReadTimeout("read"),
            ("uncertain", "等待微信应答超时，微信可能已收到：ReadTimeout：read"),
        ),
        (
            requests.TooManyRedirects("loop"),
            ("uncertain", "请求微信出错，结果不明：TooManyRedirects：loop"),
        ),
        (ValueError("bug"), ("retry", "ValueError：bug")),
        (requests.ConnectionError(), ("uncertain", "连接中断，微信可能已收到：ConnectionError：")),
    ]
    for exc, expected in cases:
        assert outbox.classify(exc) == expected, exc
    # The cause given directly rather than wrapped in urllib3's MaxRetryError.
    direct = requests.ConnectionError(NewConnectionError(None, "Connection refused"))
    assert outbox.classify(direct)[0] == "retry"
    connect_timeout = requests.ConnectionError(
        MaxRetryError(None, "/send", ConnectTimeoutError("connect timed out"))
    )
    assert outbox.classify(connect_timeout)[0] == "retry"


def test_offline_delivery_leaves_no_lease(app):
    row = outbox.enqueue("robot", "robot-key", {"text": "早报"}, key="offline:lease")
    assert outbox.deliver_due() == {**NOTHING, "sent": 1}
    row = fresh(row)
    assert (row.status, row.lease_until, row.result, row.attempts) == (
        "sent",
        None,
        outbox.OFFLINE_RESULT,
        1,
    )
    assert row.sent_at is not None


def test_backoff_doubles_with_jitter_up_to_the_cap():
    config = {"OUTBOX_BACKOFF_SECONDS": 30, "OUTBOX_BACKOFF_MAX_SECONDS": 3600}
    for attempts, base in ((0, 30), (1, 30), (2, 60), (3, 120), (5, 480)):
        waits = [outbox.backoff_seconds(attempts, config) for _ in range(50)]
        assert all(base <= s <= base * 1.1 for s in waits), (attempts, waits)
        assert max(waits) > base  # jittered, not a constant
    assert outbox.backoff_seconds(12, config) == 3600
    assert outbox.backoff_seconds(8, config) == 3600  # 30 × 128 is past the cap
    assert outbox.backoff_seconds(7, config) < 3600  # 30 × 64 × ≤1.1 is not


def test_lease_outlasts_the_slowest_send():
    assert outbox.lease_seconds({"WECHAT_TIMEOUT": 5}) == 60
    assert outbox.lease_seconds({"WECHAT_TIMEOUT": 20}) == 120
    assert outbox.lease_seconds({"WECHAT_TIMEOUT": 5, "OUTBOX_LEASE_SECONDS": 7}) == 7


def test_retry_resets_the_row_and_records_who_and_what(app, client):
    d = make_district(communities=1, alleys_per_community=1)
    account = make_staff(d.communities[0])
    staff = login_staff(client, account)
    with time_machine.travel(T0, tick=False) as clock:
        row = outbox.enqueue(
            "robot", "robot-key", {"text": "早报"}, key="retry:1", area=d.alleys[0]
        )
        OutboxMessage.update(
            status="dead",
            attempts=8,
            last_error="已尝试 8 次仍失败",
            lease_until=utcnow(),
            next_attempt_at=utcnow(),
        ).where(OutboxMessage.id == row.id).execute()
        clock.shift(timedelta(hours=3))
        res = client.post(f"/api/v1/outbox/{row.id}/retry", headers=staff)
        assert res.status_code == 200, res.get_json()
        row = fresh(row)
        assert (row.status, row.attempts, row.lease_until, row.last_error) == (
            "pending",
            0,
            None,
            None,
        )
        assert row.next_attempt_at == utcnow()  # due at once, not at the old time
        ev = Event.select().where(Event.action == "outbox.retry").get()
        assert (ev.subject_type, ev.subject_id, ev.area_id) == ("outbox", row.id, d.alleys[0].id)
        assert ev.actor_id == account.user_id
        assert ev.data == {"from": "dead", "attempts": 8, "last_error": "已尝试 8 次仍失败"}
        again = client.post(f"/api/v1/outbox/{row.id}/retry", headers=staff)
        assert again.status_code == 409
        assert again.get_json()["error"]["message"] == "只有发送失败或结果不明的消息可以重新发送"
        missing = client.post("/api/v1/outbox/999999/retry", headers=staff)
        assert missing.status_code == 404
        assert missing.get_json()["error"]["message"] == "找不到该消息，或它不在您的管辖范围内"


def test_outbox_list_is_newest_first_by_creation_then_id(app, client):
    d = make_district(communities=1, alleys_per_community=1)
    staff = login_staff(client, make_staff(d.communities[0]))
    base = datetime(2026, 11, 22, 1, 0)
    rows = [
        OutboxMessage.create(
            kind="robot",
            target="robot-key",
            payload={},
            idempotency_key=f"order:{i}",
            area=d.alleys[0],
            created_at=created,
        )
        for i, created in enumerate(
            [base, base + timedelta(hours=2), base + timedelta(hours=1), base]
        )
    ]
    listed = client.get("/api/v1/outbox?per_page=100", headers=staff).get_json()
    assert [i["id"] for i in listed["items"]] == [rows[1].id, rows[2].id, rows[3].id, rows[0].id]


def test_rows_already_sent_never_crowd_out_a_due_one(app):
    """The pass takes at most `limit` rows: they must be pending ones, however many rows that
    are already sent have an earlier `next_attempt_at`."""
    with time_machine.travel(T0, tick=False) as clock:
        done = queue(3, prefix="done")
        assert outbox.deliver_due() == {**NOTHING, "sent": 3}
        clock.shift(timedelta(minutes=1))
        (due,) = queue(1, prefix="due")
        assert outbox.deliver_due(limit=2) == {**NOTHING, "sent": 1}
        assert fresh(due).status == "sent"
        assert [fresh(row).attempts for row in done] == [1, 1, 1]  # not claimed again


def test_a_row_another_dispatcher_is_sending_counts_against_the_limit(online_app, fake_wechat):
    calls = []

    @outbox.sender("ratetest")
    def send_ratetest(msg):
        calls.append(msg.id)
        return {"errcode": 0}

    outbox.RATE_LIMITS["ratetest"] = (2, 60)
    try:
        with time_machine.travel(T0, tick=False):
            first = outbox.enqueue("ratetest", "robot-key", {"n": 1}, key="ratetest:1")
            assert outbox.deliver_due() == {**NOTHING, "sent": 1}
            # Another dispatcher holds a row to the same target, mid-send.
            OutboxMessage.create(
                kind="ratetest",
                target="robot-key",
                payload={"n": 2},
                idempotency_key="ratetest:2",
                status="sending",
                lease_until=T0 + timedelta(seconds=60),
            )
            third = outbox.enqueue("ratetest", "robot-key", {"n": 3}, key="ratetest:3")
            assert outbox.deliver_due() == {**NOTHING, "deferred": 1}
            assert fresh(third).status == "pending" and calls == [first.id]
            # The slot frees when the send in flight (counted as sent now) leaves the window.
            assert fresh(third).next_attempt_at == T0.replace(tzinfo=None) + timedelta(seconds=60)
    finally:
        outbox.RATE_LIMITS.pop("ratetest")
        outbox.SENDERS.pop("ratetest")


def _test_sender(kind: str, calls: list):
    @outbox.sender(kind)
    def send(msg):
        calls.append(msg.payload["n"])
        return {"errcode": 0}

    return send


def test_the_rate_window_is_exactly_its_length_and_a_full_one_defers_at_least_a_second(
    online_app, fake_wechat
):
    calls: list = []
    _test_sender("ratewin", calls)
    outbox.RATE_LIMITS["ratewin"] = (3, 60)
    naive = T0.replace(tzinfo=None)

    def sent(n, seconds_ago):
        OutboxMessage.create(
            kind="ratewin",
            target="robot-key",
            payload={"n": n},
            idempotency_key=f"ratewin:old{n}",
            status="sent",
            sent_at=naive - timedelta(seconds=seconds_ago),
        )

    try:
        with time_machine.travel(T0, tick=False):
            for n, ago in ((1, 60), (2, 30), (3, 10)):
                sent(n, ago)
            # The send exactly 60 s ago has left the 60 s window: there is room now.
            outbox.enqueue("ratewin", "robot-key", {"n": 4}, key="ratewin:4")
            assert outbox.deliver_due()["sent"] == 1 and calls == [4]
        OutboxMessage.delete().where(OutboxMessage.kind == "ratewin").execute()
        with time_machine.travel(T0, tick=False):
            for n, ago in ((1, 59.5), (2, 10), (3, 5)):
                sent(n, ago)
            row = outbox.enqueue("ratewin", "robot-key", {"n": 5}, key="ratewin:5")
            assert outbox.deliver_due()["deferred"] == 1
            # The window frees in half a second; the row waits a whole one, no more.
            assert fresh(row).next_attempt_at == naive + timedelta(seconds=1)
    finally:
        outbox.RATE_LIMITS.pop("ratewin")
        outbox.SENDERS.pop("ratewin")


def test_a_pass_takes_the_longest_waiting_rows_first_up_to_its_limit(online_app, fake_wechat):
    calls: list = []
    _test_sender("ordertest", calls)
    naive = T0.replace(tzinfo=None)
    try:
        with time_machine.travel(T0, tick=False):
            for n, minutes_ago in ((1, 1), (2, 3), (3, 2), (4, 3)):
                row = outbox.enqueue("ordertest", "k", {"n": n}, key=f"ordertest:{n}")
                OutboxMessage.update(next_attempt_at=naive - timedelta(minutes=minutes_ago)).where(
                    OutboxMessage.id == row.id
                ).execute()
            assert outbox.deliver_due(limit=3)["sent"] == 3
            assert calls == [2, 4, 3]  # by waiting time, then in the order queued
            for n in range(5, 206):
                outbox.enqueue("ordertest", "k", {"n": n}, key=f"ordertest:{n}")
            assert outbox.deliver_due()["sent"] == 200  # one pass: 200 rows at most
            assert outbox.deliver_due()["sent"] == 2
    finally:
        outbox.SENDERS.pop("ordertest")


def test_a_lease_expires_after_its_last_moment_as_the_pass_counts_time(online_app, fake_wechat):
    naive = T0.replace(tzinfo=None)
    with time_machine.travel(T0, tick=False):
        row = OutboxMessage.create(
            kind="robot",
            target="robot-key",
            payload={"msgtype": "text", "text": {"content": "x"}},
            idempotency_key="lease:1",
            status="sending",
            lease_until=naive + timedelta(seconds=60),
        )
        assert outbox.expire_leases(naive + timedelta(seconds=60)) == 0  # still its own
        assert fresh(row).status == "sending"
        # The pass judges leases by the time it is given, not the wall clock.
        later = naive + timedelta(seconds=60, microseconds=1)
        assert outbox.deliver_due(now=later)["uncertain"] == 1
    row = fresh(row)
    assert row.status == "uncertain"
    assert row.last_error == "发送进程中断（租约过期），微信是否已收到未知"


def test_a_row_taken_by_another_dispatcher_mid_pass_is_skipped_and_the_pass_goes_on(
    online_app, fake_wechat
):
    calls: list = []
    ids: dict = {}

    @outbox.sender("racetest")
    def send(msg):
        calls.append(msg.payload["n"])
        if msg.payload["n"] == 1:  # meanwhile another dispatcher claims the next row
            assert outbox._claim(ids[2], utcnow(), retries_now=False) is not None
        return {"errcode": 0}

    try:
        for n in (1, 2, 3):
            ids[n] = outbox.enqueue("racetest", "k", {"n": n}, key=f"racetest:{n}").id
        assert outbox.deliver_due()["sent"] == 2
        assert calls == [1, 3]
        assert OutboxMessage.get_by_id(ids[2]).status == "sending"  # the other one's
    finally:
        outbox.SENDERS.pop("racetest")


def test_several_messages_queued_in_one_statement_keep_each_key_once(app):
    """`enqueue_all` (a new report's text and its photos): one row per message, in order,
    and a key already queued keeps its first payload while the others are added."""
    outbox.enqueue("robot", "hook-1", {"msgtype": "text", "text": {"content": "早"}}, key="k:1")
    with db.atomic():
        outbox.enqueue_all(
            "robot",
            "hook-1",
            [
                ({"msgtype": "text", "text": {"content": "新"}}, "k:1"),
                ({"msgtype": "text", "text": {"content": "二"}}, "k:2"),
                ({"msgtype": "image", "image": {"media": 7}}, "k:3"),
            ],
            area=None,
        )
        outbox.enqueue_all("robot", "hook-1", [({"msgtype": "text"}, "k:4")])
    rows = list(OutboxMessage.select().order_by(OutboxMessage.id))
    assert [r.idempotency_key for r in rows] == ["k:1", "k:2", "k:3", "k:4"]
    assert rows[0].payload["text"]["content"] == "早"
    assert rows[2].payload == {"msgtype": "image", "image": {"media": 7}}
    assert {r.status for r in rows} == {"pending"} and {r.target for r in rows} == {"hook-1"}
