"""The outbox: every outbound WeChat call is a row written in the caller's transaction.

`enqueue` is what workflow code calls; `deliver_due` (the dispatcher: `flask --app app outbox`,
later the scheduler) sends what is due.

A row's life::

    pending ──claim──▶ sending ──▶ sent
       ▲                  │ ├────▶ pending (retry later, exponential backoff) ──▶ … ──▶ dead
       │                  │ ├────▶ dead       (a permanent error: no point in trying again)
       │                  │ └────▶ uncertain  (WeChat may have accepted it: read timeout)
       │                  └─ lease expired ──▶ uncertain (the sending process died mid-send)
       └──────── staff retry (`retry`) ◀──── dead | uncertain

Delivery guarantees:

* Claiming is one conditional UPDATE (pending → sending with a lease); only the process whose
  UPDATE matched sends the row, so any number of dispatchers on any number of hosts never
  send a row twice.
* A failure that certainly did not deliver (connection refused or connect timeout, HTTP 5xx,
  system busy, frequency limits, token errors) is retried with exponential backoff, and the
  row goes `dead` after `OUTBOX_MAX_ATTEMPTS` attempts.
* When WeChat may have accepted the message but we never heard back (a read timeout, a
  connection dropped after the request went out, a process that died while sending), the row
  becomes `uncertain` and is never resent automatically: subscribe messages carry no
  idempotency key WeChat would honour, so a resend could deliver twice. Staff see such rows
  (`GET /api/v1/outbox?status=uncertain`) and decide.
* Per-target rate limits (`RATE_LIMITS`) defer a row without counting an attempt.

Offline mode never calls WeChat: due rows are marked sent with ``{"offline": true}`` and shown
at `/dev/outbox`.

Why one long file: queueing, leasing, sending and judging the outcome are one state machine;
split, its invariants (one dispatcher per row, nothing sent twice) would span files.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

import requests
from flask import current_app
from peewee import JOIN
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from wechatpy.exceptions import WeChatClientException

from core import audit
from core.delivery import groups, images
from core.delivery.wechat import (
    WECHAT_DEFAULT,
    WECOM_DEFAULT,
    RewritingSession,
    mini_program_client,
    wecom_client,
)
from core.observability import metrics, requestid
from core.people.permissions import root_params, subtree_pattern
from infra.db import Param, PreparedFamily, PreparedInsert, count_query
from infra.errors import conflict, not_found
from infra.timeutil import utcnow
from models import Area, OutboxMessage

log = logging.getLogger(__name__)

STATUSES = ("pending", "sending", "sent", "uncertain", "dead")
# What staff read for each status (the console's 发送记录, offline mode's /dev/outbox).
STATUS_LABELS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "uncertain": "结果不明",
    "dead": "发送失败",
}
# What staff read for each kind: a resident's subscribe message, a group robot's post, a
# private message from the WeCom app to one member (`core.delivery.private`).
KIND_LABELS = {"subscribe": "订阅消息", "robot": "群机器人", "private": "应用私信"}
RETRYABLE_STATUSES = ("dead", "uncertain")  # what staff may put back in the queue

SUBSCRIBE_SEND_URL = "https://api.weixin.qq.com/cgi-bin/message/subscribe/send"

# kind → (at most N sends, per window seconds) to one target. Counted from the rows sent to
# that target within the window, so it holds across processes and hosts.
# WeCom's app delivers at most 30 a minute to one member and drops the rest (path/90236).
RATE_LIMITS: dict[str, tuple[int, int]] = {"robot": (20, 60), "private": (30, 60)}

# WeChat said no and will say no again: retrying cannot help.
PERMANENT_ERRCODES = {
    40003: "openid 无效",
    40037: "模板 ID 无效",
    41030: "跳转页面无效",
    43101: "用户未订阅或订阅次数已用完",
    47001: "数据格式错误",
    47003: "模板参数不符合要求",
    # WeCom group robot (webhook/send): the message itself is unacceptable.
    40004: "图片格式不支持",
    40008: "消息类型不合法",
    40009: "图片大小不合法",
    40058: "消息内容不合法（如超长）",
    44004: "消息内容为空",
    301019: "图片 md5 与内容不符",
    # The robot cannot post any more: its group is marked broken (see `send_robot`).
    93000: "群机器人的 webhook 无效，或机器人已被移出群",
    93004: "群机器人已被停用",
    93008: "群机器人已不在群里",
    # WeCom self-built app (message/send).
    40056: "应用 agentid 无效",
    81013: "接收人不存在或不在应用的可见范围内",
}
ROBOT_GONE_ERRCODES = (93000, 93004, 93008)
# WeChat certainly did not deliver, and may accept later. (Any other errcode also means "not
# delivered", so it is retried too; these are only named for the log.)
TRANSIENT_ERRCODES = {
    -1: "微信系统繁忙",
    40001: "access_token 无效",
    40014: "access_token 无效",
    42001: "access_token 已过期",
    45009: "调用频率超限",
    45011: "调用频率超限",
}

OFFLINE_RESULT = {"offline": True}


# A new report queues several (its text, its photos): compiled once, a key already queued
# is left as it is (ON CONFLICT DO NOTHING).
_INSERT = PreparedInsert(OutboxMessage, ignore_conflicts=True)


def enqueue(
    kind: str,
    target: str,
    payload: dict,
    key: str,
    area: Area | int | None = None,
    fetch: bool = True,
) -> OutboxMessage | None:
    """Queue one message. `key` makes it idempotent: the same key is queued once only.

    Call inside the transaction of the change that causes the message, so that the change
    and its message are written together or not at all. Returns the queued row (the one
    already there when the key was used before); `fetch=False` returns None instead, for
    callers that do not look at it, sparing a read of the payload (a photo's is ~300 kB)
    while the write lock is held.
    """
    _INSERT.insert(
        kind=kind,
        target=target,
        payload=payload,
        idempotency_key=key,
        area=area,
        request_id=requestid.current(),  # a failed push leads back to what queued it
    )
    if not fetch:
        return None
    return OutboxMessage.get(OutboxMessage.idempotency_key == key)


def enqueue_all(
    kind: str, target: str, messages: list[tuple[dict, str]], area: Area | int | None = None
) -> None:
    """Queue several messages to one target in one statement, as (payload, key) pairs; each
    key already queued is left as it is. Nothing is read back (see `enqueue`'s `fetch`)."""
    request_id = requestid.current()
    _INSERT.insert_many(
        [
            {
                "kind": kind,
                "target": target,
                "payload": payload,
                "idempotency_key": key,
                "area": area,
                "request_id": request_id,
            }
            for payload, key in messages
        ]
    )


# --- senders ----------------------------------------------------------------------------------

SENDERS: dict[str, Callable[[OutboxMessage], dict]] = {}


def sender(kind: str):
    """Register the function that delivers rows of `kind` (returns WeChat's answer as a dict).

    A sender raises on failure; `classify` decides what the failure means. It raises
    `NotSent` for a failure that happened before anything went out (e.g. fetching a token).
    """

    def register(fn: Callable[[OutboxMessage], dict]):
        SENDERS[kind] = fn
        return fn

    return register


class NotSent(Exception):
    """A failure before the message itself was sent: always safe to retry."""


class Uncertain(Exception):
    """WeChat answered, but not in a way that says whether the message was accepted."""


class Permanent(Exception):
    """Known before sending that it cannot succeed (e.g. the group robot is gone)."""


@sender("subscribe")
def send_subscribe(msg: OutboxMessage) -> dict:
    """`subscribeMessage.send`; the row's payload is the complete request body."""

    client = mini_program_client()
    try:
        # Fetch (or read the shared) token first: a failure here certainly sent nothing,
        # while a timeout in the send itself could mean WeChat has the message.
        client.access_token  # noqa: B018
    except (WeChatClientException, requests.RequestException) as exc:
        raise NotSent(f"获取 access_token 失败：{_describe(exc)}") from exc
    answer = client.post(SUBSCRIBE_SEND_URL, data=msg.payload)
    if not isinstance(answer, dict):
        raise Uncertain("微信返回了无法解析的内容")
    return answer


ROBOT_SEND_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


def robot_session():
    """A plain requests session honouring `WECOM_API_BASE` (webhook calls need no token)."""

    config = current_app.config
    return RewritingSession(
        {WECHAT_DEFAULT: config["WECHAT_API_BASE"], WECOM_DEFAULT: config["WECOM_API_BASE"]},
        timeout=float(config["WECHAT_TIMEOUT"]),
    )


@sender("robot")
def send_robot(msg: OutboxMessage) -> dict:
    """The WeCom group robot: POST the payload (the whole webhook body) to `…/webhook/send?key=`.

    errcode 0 is sent; 45009 (over 20 a minute) is retried with backoff; 93000/93004/93008
    mean the robot is gone: the row is dead, the group is marked broken (an audit event,
    `robot_status` in the groups API), and its other queued rows die without calling WeCom.
    """

    group = groups.by_webhook_key(msg.target)
    if group is not None and group.robot_status == "broken":
        raise Permanent(f"群机器人已失效，未发送（{group.broken_reason or '请更新 webhook'}）")
    try:
        payload = images.expand(msg.payload)  # a photo the row names, read now
    except images.PhotoGone as exc:
        raise Permanent(str(exc)) from exc
    except OSError as exc:
        raise NotSent(f"照片文件暂时无法读取：{exc}") from exc
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    with robot_session() as session:
        response = session.post(
            ROBOT_SEND_URL,
            params={"key": msg.target},
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
    if response.status_code != 200:
        raise WeChatClientException(
            None, f"HTTP {response.status_code}", response=response
        )  # nothing was accepted: retried
    try:
        answer = response.json()
    except ValueError as exc:
        raise Uncertain("企业微信返回了无法解析的内容") from exc
    errcode = answer.get("errcode", 0) if isinstance(answer, dict) else None
    if errcode is None:
        raise Uncertain("企业微信返回了无法解析的内容")
    if errcode != 0:
        if errcode in ROBOT_GONE_ERRCODES:
            groups.mark_broken(msg.target, f"errcode {errcode}：{PERMANENT_ERRCODES[errcode]}")
        raise WeChatClientException(errcode, answer.get("errmsg", ""), response=response)
    return answer


PRIVATE_SEND_URL = "https://qyapi.weixin.qq.com/cgi-bin/message/send"


@sender("private")
def send_private(msg: OutboxMessage) -> dict:
    """The WeCom self-built app's `message/send` to one member; the payload is the whole body
    (`core.delivery.private.text_body`).

    WeCom answers errcode 0 with the recipient in `invaliduser` when it did not deliver to
    them (not in the app's visible range): that row is dead, not sent."""
    config = current_app.config
    if not (config.get("WECOM_CORP_ID") and config.get("WECOM_SECRET")):
        raise NotSent("未配置企业微信应用（WECOM_CORP_ID、WECOM_SECRET）")
    client = wecom_client()
    try:
        client.access_token  # noqa: B018  (as in send_subscribe: a failure here sent nothing)
    except (WeChatClientException, requests.RequestException) as exc:
        raise NotSent(f"获取企业微信 access_token 失败：{_describe(exc)}") from exc
    answer = client.post(PRIVATE_SEND_URL, data=msg.payload)
    if not isinstance(answer, dict):
        raise Uncertain("企业微信返回了无法解析的内容")
    if answer.get("invaliduser"):
        raise Permanent(f"接收人 {answer['invaliduser']} 不在应用的可见范围内，未送达")
    return answer


# --- classification -------------------------------------------------------------------------


def _describe(exc: BaseException) -> str:
    if isinstance(exc, WeChatClientException):
        if exc.errcode is None:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            return f"HTTP {status}" if status else "HTTP 请求失败"
        return f"errcode {exc.errcode}：{exc.errmsg}"
    if isinstance(exc, NotSent | Uncertain | Permanent):
        return str(exc)
    return f"{type(exc).__name__}：{exc}"


def _connect_failed(exc: requests.ConnectionError) -> bool:
    """True when the connection was never made (so the request never left)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def classify(exc: BaseException) -> tuple[str, str]:
    """A send failure → ("retry" | "dead" | "uncertain", a Chinese description for staff)."""
    text = _describe(exc)
    if isinstance(exc, NotSent):
        return "retry", text
    if isinstance(exc, Uncertain):
        return "uncertain", text
    if isinstance(exc, Permanent):
        return "dead", text
    if isinstance(exc, WeChatClientException):
        if exc.errcode is None:
            return "retry", text  # HTTP error status: WeChat (or its proxy) took nothing
        if exc.errcode in PERMANENT_ERRCODES:
            return "dead", f"{text}（{PERMANENT_ERRCODES[exc.errcode]}）"
        if exc.errcode in TRANSIENT_ERRCODES:
            return "retry", f"{text}（{TRANSIENT_ERRCODES[exc.errcode]}）"
        return "retry", text  # an explicit error answer: not accepted, safe to try again
    if isinstance(exc, requests.ConnectionError):
        if _connect_failed(exc):
            return "retry", f"无法连接微信：{text}"
        # The connection broke after the request may have gone out.
        return "uncertain", f"连接中断，微信可能已收到：{text}"
    if isinstance(exc, requests.ReadTimeout):
        return "uncertain", f"等待微信应答超时，微信可能已收到：{text}"
    if isinstance(exc, requests.RequestException):
        return "uncertain", f"请求微信出错，结果不明：{text}"
    # Our own code failed (a bug, the database): nothing was sent by the HTTP layer.
    return "retry", text


def backoff_seconds(attempts: int, config=None) -> float:
    """Exponential backoff after the `attempts`-th failed attempt, capped, with some jitter
    so that rows that failed together do not all come back in the same second."""
    config = config or current_app.config
    base = float(config["OUTBOX_BACKOFF_SECONDS"]) * 2 ** max(attempts - 1, 0)
    return min(float(config["OUTBOX_BACKOFF_MAX_SECONDS"]), base * random.uniform(1.0, 1.1))


def lease_seconds(config=None) -> float:
    """How long a claim lasts: longer than any send can take (token fetch, send, and
    wechatpy's retry after a token refresh, each bounded by WECHAT_TIMEOUT)."""
    config = config or current_app.config
    return float(
        config.get("OUTBOX_LEASE_SECONDS") or max(60.0, 6 * float(config["WECHAT_TIMEOUT"]))
    )


# --- the dispatcher -----------------------------------------------------------------------------


def deliver_due(now: datetime | None = None, limit: int = 200, retries_now: bool = False) -> dict:
    """Deliver every due row (at most `limit`); returns counts per outcome.

    `retries_now` (the operator's `outbox --once`) also takes rows still waiting out their
    retry backoff: someone who fixed the network wants them sent now, not in an hour. The
    robots' per-minute limits still apply.

    Safe to run in several processes at once. Call it outside any transaction: each claim
    and each result is committed on its own, so other dispatchers see them at once.
    """
    now = now or utcnow()
    counts = {"sent": 0, "retry": 0, "dead": 0, "uncertain": expire_leases(now), "deferred": 0}
    offline = current_app.config["OFFLINE"]
    due_now = OutboxMessage.status == "pending"
    if not retries_now:
        due_now &= OutboxMessage.next_attempt_at <= now
    query = OutboxMessage.select(OutboxMessage.id).where(due_now)
    if not offline:
        # A kind whose sender is not written yet waits for it instead of failing.
        query = query.where(OutboxMessage.kind.in_(sorted(SENDERS)))
    due = [
        row.id
        for row in query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)
    ]
    for message_id in due:
        msg = _claim(message_id, now, retries_now)
        if msg is None:
            continue  # another dispatcher has it
        outcome = _deliver_offline(msg) if offline else _deliver(msg)
        counts[outcome] += 1
        metrics.inc(metrics.OUTBOX_DELIVERIES, kind=msg.kind, outcome=outcome)
    return counts


def expire_leases(now: datetime | None = None) -> int:
    """Rows left in `sending` past their lease: the process died mid-send, and whether WeChat
    got the message is unknown, so they become `uncertain` (never resent automatically)."""
    now = now or utcnow()
    stale = (
        OutboxMessage.update(
            status="uncertain",
            last_error="发送进程中断（租约过期），微信是否已收到未知",
        )
        .where((OutboxMessage.status == "sending") & (OutboxMessage.lease_until < now))
        .execute()
    )
    if stale:
        log.warning("outbox: %d message(s) left mid-send are now uncertain", stale)
    return stale


def _claim(message_id: int, now: datetime, retries_now: bool) -> OutboxMessage | None:
    """pending → sending, counting an attempt; only the caller whose UPDATE matched owns it."""
    lease = now + timedelta(seconds=lease_seconds())
    claimable = (OutboxMessage.id == message_id) & (OutboxMessage.status == "pending")
    if not retries_now:
        claimable &= OutboxMessage.next_attempt_at <= now
    claimed = (
        OutboxMessage.update(
            status="sending", lease_until=lease, attempts=OutboxMessage.attempts + 1
        )
        .where(claimable)
        .execute()
    )
    if claimed != 1:
        return None
    return OutboxMessage.get_by_id(message_id)


def _finish(msg: OutboxMessage, **fields) -> bool:
    """Write the outcome, only if the row is still ours (same lease). A row another
    dispatcher marked uncertain meanwhile still gets the real outcome: we know better."""
    return (
        OutboxMessage.update(**fields)
        .where(
            (OutboxMessage.id == msg.id)
            & (OutboxMessage.lease_until == msg.lease_until)
            & OutboxMessage.status.in_(("sending", "uncertain"))
        )
        .execute()
        == 1
    )


def _deliver_offline(msg: OutboxMessage) -> str:
    _finish(msg, status="sent", sent_at=utcnow(), result=OFFLINE_RESULT, lease_until=None)
    return "sent"


def _deliver(msg: OutboxMessage) -> str:
    deferred_until = _rate_limited_until(msg)
    if deferred_until is not None:
        _finish(
            msg,
            status="pending",
            next_attempt_at=deferred_until,
            lease_until=None,
            attempts=OutboxMessage.attempts - 1,  # waiting for a slot is not an attempt
        )
        return "deferred"
    try:
        answer = SENDERS[msg.kind](msg)
    except Exception as exc:  # every failure must land in the row, whatever raised it
        if not isinstance(
            exc, NotSent | Uncertain | Permanent | WeChatClientException | requests.RequestException
        ):
            log.exception("outbox: sender for %s crashed (message %s)", msg.kind, msg.id)
        return _record_failure(msg, *classify(exc))
    _finish(msg, status="sent", sent_at=utcnow(), result=answer, last_error=None, lease_until=None)
    return "sent"


def _record_failure(msg: OutboxMessage, outcome: str, error: str) -> str:
    max_attempts = int(current_app.config["OUTBOX_MAX_ATTEMPTS"])
    if outcome == "retry" and msg.attempts >= max_attempts:
        outcome, error = "dead", f"已尝试 {msg.attempts} 次仍失败：{error}"
    log.warning(
        "outbox: message %s (%s, queued by request %s) attempt %d → %s: %s",
        msg.id,
        msg.kind,
        msg.request_id or "-",
        msg.attempts,
        outcome,
        error,
        extra={"queued_request_id": msg.request_id},
    )
    if outcome == "retry":
        delay = backoff_seconds(msg.attempts)
        _finish(
            msg,
            status="pending",
            next_attempt_at=utcnow() + timedelta(seconds=delay),
            last_error=error,
            lease_until=None,
        )
    else:
        # `dead` and `uncertain` keep their lease value so a late real answer can still
        # be matched to this send (see `_finish`).
        _finish(msg, status=outcome, last_error=error)
    return outcome


def _rate_limited_until(msg: OutboxMessage) -> datetime | None:
    """When the target's window has room again, or None if it has room now.

    Counts the target's sends within the window plus rows being sent to it right now by
    other dispatchers (as if sent now), so racing dispatchers never overshoot the limit.
    """
    limit = RATE_LIMITS.get(msg.kind)
    if limit is None:
        return None
    max_sends, window = limit
    now = utcnow()
    since = now - timedelta(seconds=window)
    same_target = (OutboxMessage.kind == msg.kind) & (OutboxMessage.target == msg.target)
    sent_times = [
        row.sent_at
        for row in OutboxMessage.select(OutboxMessage.sent_at).where(
            same_target & (OutboxMessage.status == "sent") & (OutboxMessage.sent_at > since)
        )
    ]
    in_flight = (
        OutboxMessage.select()
        .where(same_target & (OutboxMessage.status == "sending") & (OutboxMessage.id != msg.id))
        .count()
    )
    times = sorted(sent_times) + [now] * in_flight
    if len(times) < max_sends:
        return None
    # The slot frees when the send that would be (max_sends)-th most recent leaves the window.
    frees_at = times[len(times) - max_sends] + timedelta(seconds=window)
    return max(frees_at, now + timedelta(seconds=1))


# --- staff: seeing and retrying ---------------------------------------------------------------


def visible_to(principal):
    """Rows whose area the principal manages; rows without an area only for admins."""
    roots = [subtree_pattern(root) for root in principal.area_roots]
    return _visible(roots, "admin" in principal.roles)


def _visible(root_patterns: list, admin: bool):
    """`visible_to`, written once for both of its forms: under one of the root patterns (or
    parameters standing for them), or (admins) without an area."""
    parts = [Area.path**pattern for pattern in root_patterns]
    if admin:
        parts.append(OutboxMessage.area.is_null())
    if not parts:
        return OutboxMessage.id < 0
    return reduce(or_, parts)


def _visible_select(condition):
    return (
        OutboxMessage.select(OutboxMessage)
        .join(Area, JOIN.LEFT_OUTER, on=(OutboxMessage.area == Area.id))
        .where(condition)
    )


def _compiled_count(roots: int, admin: bool, status: str):
    condition = _visible(root_params(roots), admin)
    query = _visible_select(condition & (Area.path ** Param("within")))
    return count_query(query.where(OutboxMessage.status == status))


# The 首页's 发送失败的消息 on every request: compiled once per number of the viewer's roots
# and whether an admin (the values are `Principal.scope_values`'s).
_COUNTS = PreparedFamily(_compiled_count)


def count_within(principal, within: Area, status: str) -> int:
    """How many of the messages `principal` sees within `within` have `status` (as
    `query_for(principal, status).where(in within).count()`)."""
    values = {**principal.scope_values(), "within": subtree_pattern(within)}
    roots = len(principal.area_roots)
    return _COUNTS.get(roots, "admin" in principal.roles, status).scalar(**values)


def query_for(principal, status: str | None = None, kind: str | None = None):
    query = _visible_select(visible_to(principal))
    if status:
        query = query.where(OutboxMessage.status == status)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())


def get_for(message_id: int, principal) -> OutboxMessage:
    msg = query_for(principal).where(OutboxMessage.id == message_id).first()
    if msg is None:
        raise not_found("找不到该消息，或它不在您的管辖范围内")
    return msg


def retry(message_id: int, principal) -> OutboxMessage:
    """Put a dead or uncertain row back in the queue with its attempts reset.

    For an uncertain row this is a human's decision that a possible duplicate is better
    than a possibly lost message.
    """
    msg = get_for(message_id, principal)
    updated = (
        OutboxMessage.update(
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            lease_until=None,
            last_error=None,
        )
        .where((OutboxMessage.id == msg.id) & OutboxMessage.status.in_(RETRYABLE_STATUSES))
        .execute()
    )
    if updated != 1:
        raise conflict("invalid_transition", "只有发送失败或结果不明的消息可以重新发送")
    audit.record(
        "outbox.retry",
        "outbox",
        msg.id,
        actor=principal.user,
        area=msg.area_id,
        data={"from": msg.status, "attempts": msg.attempts, "last_error": msg.last_error},
    )
    return OutboxMessage.get_by_id(msg.id)
