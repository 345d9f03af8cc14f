"""How the outbox judges a failure and how long things wait: the classification of every kind
of failure, backoff with jitter up to its cap, leases that outlast the slowest send, the rate
window to the second, which rows a pass takes first, and keys kept once."""

from __future__ import annotations

from datetime import timedelta

import requests
import time_machine
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError
from wechatpy.exceptions import WeChatClientException

from core.delivery import outbox
from core.observability import requestid
from infra.db import db
from infra.timeutil import utcnow
from models import OutboxMessage
from tests.core.delivery.outbox_world import (
    NOTHING,
    T0,
    fresh,
    queue,
)

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


def test_messages_queued_together_name_the_request_that_queued_them(app):
    """A failed push leads back to what queued it: every row `enqueue_all` writes carries the
    id of the request (or job run) it was queued for, as a single `enqueue` does."""
    with requestid.bound("job-digest-7f3a"), db.atomic():
        outbox.enqueue_all(
            "robot", "hook-1", [({"msgtype": "text"}, "rid:1"), ({"msgtype": "text"}, "rid:2")]
        )
    with db.atomic():
        outbox.enqueue_all("robot", "hook-1", [({"msgtype": "text"}, "rid:3")])
    rows = OutboxMessage.select().order_by(OutboxMessage.id)
    assert [(r.idempotency_key, r.request_id) for r in rows] == [
        ("rid:1", "job-digest-7f3a"),
        ("rid:2", "job-digest-7f3a"),
        ("rid:3", None),
    ]
