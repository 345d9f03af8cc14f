"""The outbox dispatcher against the fake WeChat server: delivery, retries with backoff, dead
letters, uncertain outcomes that are never resent, claims that hold across racing dispatchers and
the rate limits. Staff's view is in test_outbox_staff.py, the timing rules in
test_outbox_timing.py."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
import time_machine
from prometheus_client import REGISTRY

from core.delivery import outbox
from core.delivery.wechat import DatabaseStorage
from infra.db import db
from infra.timeutil import utcnow
from models import OutboxMessage
from tests.core.delivery.outbox_world import (
    NOTHING,
    SEND_PATH,
    T0,
    TEMPLATE,
    fresh,
    longest_backoff,
    queue,
)

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


def test_each_delivery_is_counted_for_the_dashboard_by_kind_and_outcome(online_app, fake_wechat):
    """`xiaoxiang_outbox_deliveries_total{kind, outcome}` (the Grafana panel of failed pushes)
    goes up by one for each row a pass delivers or gives up on."""

    def count(outcome: str) -> float:
        labels = {"kind": "subscribe", "outcome": outcome}
        return REGISTRY.get_sample_value("xiaoxiang_outbox_deliveries_total", labels) or 0.0

    before = {outcome: count(outcome) for outcome in ("sent", "dead")}
    with time_machine.travel(T0, tick=False):
        delivered, refused = queue(2)
        fake_wechat.subscribe_quota[(refused.target, TEMPLATE)] = 0  # 43101: dead at once
        assert outbox.deliver_due() == {**NOTHING, "sent": 1, "dead": 1}
    assert {outcome: count(outcome) - before[outcome] for outcome in before} == {
        "sent": 1,
        "dead": 1,
    }


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
            assert deferred.lease_until is None  # back in the queue as if never claimed
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
