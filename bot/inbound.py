"""What every chat callback checks before it may do anything: time window and replays.

The order in each adapter is fixed: configuration → signature → timestamp window → decrypt
→ message id. Only when all have passed does anything get written, starting with the
`InboundMessage` row that claims the message id (its unique index on (channel, msg_id) makes
a replay, even a concurrent one, fail). The claim is committed before the command runs:
a message is handled at most once; if handling crashes it is logged, not retried.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

from flask import current_app
from peewee import IntegrityError

from core.delivery.wechat import WECHAT_DEFAULT, WECOM_DEFAULT, RewritingSession
from infra import jsonbody
from infra.db import db
from infra.timeutil import utcnow
from models import InboundMessage

PRUNE_AFTER = timedelta(days=2)  # far longer than the timestamp window: replays stay refused


class Refused(Exception):
    """A callback that must not be processed: (HTTP status, code, message for the log)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def check_timestamp(value) -> None:
    """Refuse a callback whose timestamp (seconds, or milliseconds) is outside the window."""
    if isinstance(value, bool):  # JSON true is not a time
        raise Refused(400, "bad_timestamp", "时间戳缺失或格式不对")
    try:
        ts = float(value)
    except (TypeError, ValueError, OverflowError):
        raise Refused(400, "bad_timestamp", "时间戳缺失或格式不对") from None
    if not math.isfinite(ts):  # nan compares false with everything: it passed the window
        raise Refused(400, "bad_timestamp", "时间戳缺失或格式不对")
    if ts > 1e12:
        ts /= 1000.0
    window = float(current_app.config["BOT_TIMESTAMP_WINDOW_SECONDS"])
    if abs(time.time() - ts) > window:
        raise Refused(403, "stale", "消息时间戳超出允许范围（过期或时钟不准）")


def read_json(raw: bytes | str) -> dict:
    """A callback's JSON object (infra.jsonbody: no recursion blow-up, no NaN, strings
    cleaned); Refused 400 `invalid_json` for anything else."""
    try:
        data, _ = jsonbody.tidy(jsonbody.loads(raw))
    except jsonbody.InvalidJson as exc:
        raise Refused(400, "invalid_json", "请求体不是有效的 JSON") from exc
    if not isinstance(data, dict):
        raise Refused(400, "invalid_json", "请求体须为 JSON 对象")
    return data


def as_dict(value) -> dict:
    """A part of a message that should be an object; {} when it is anything else."""
    return value if isinstance(value, dict) else {}


def as_text(value) -> str:
    """A part of a message that should be text (ids, user ids, content); "" when it is
    anything else, so an oddly shaped message finds no sender and does nothing."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


def claim_message(channel: str, msg_id: str, sender: str = "") -> bool:
    """Record that this message is being handled; False when it was seen before (a replay)."""
    if not msg_id:
        raise Refused(400, "missing_msg_id", "缺少消息 ID")
    try:
        with db.atomic():
            InboundMessage.create(channel=channel, msg_id=str(msg_id)[:128], sender=sender[:128])
    except IntegrityError:
        return False
    InboundMessage.delete().where(InboundMessage.received_at < utcnow() - PRUNE_AFTER).execute()
    return True


def configured(*names: str) -> bool:
    return all(current_app.config.get(name) for name in names)


def max_image_bytes() -> int:
    return int(current_app.config["MAX_UPLOAD_BYTES"])


def http_session():
    """A requests session honouring `WECHAT_API_BASE` / `WECOM_API_BASE`."""

    config = current_app.config
    return RewritingSession(
        {WECHAT_DEFAULT: config["WECHAT_API_BASE"], WECOM_DEFAULT: config["WECOM_API_BASE"]},
        timeout=float(config["WECHAT_TIMEOUT"]),
    )
