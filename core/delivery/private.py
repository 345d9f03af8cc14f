"""Messages to one person: the WeCom self-built app's `message/send`, through the outbox.

What is private — a resident's phone, held (not yet moderated) words, a reopened item's
reason, a hand-off that concerns one steward — never goes to a group (`core.items.privacy`).
When the person may see it, it goes to them alone as a text from the self-built app
(developer.work.weixin.qq.com path/90236, 发送应用消息: ``POST cgi-bin/message/send`` with
``touser`` = the WeCom user id and ``agentid`` = `WECOM_AGENT_ID`, the token from
`WECOM_CORP_ID` + `WECOM_SECRET`, everything through `WECOM_API_BASE`).

Each message is an outbox row of kind ``private`` (target: the user id), written in the
caller's transaction and delivered, retried and judged like every other row
(`core.delivery.outbox.send_private`); offline it is kept at `/dev/outbox` like the rest.
The app's limits are honoured before queueing: a text is at most 2,048 bytes (longer ones
are split on line boundaries, like the robot's), and one member gets at most 30 a minute
(`outbox.RATE_LIMITS`). Each text is a 保密消息 (``safe``: not forwardable, watermarked) and
asks WeCom's duplicate check, so a staff retry of an `uncertain` row within half an hour is
not delivered twice.

`available()` says whether private messages can be sent at all. When they cannot (no app
configured), or the person has no WeCom id, `send_text` queues nothing and returns False:
the caller then says in the group where to look instead ("联系电话请在小程序查看").
"""

from __future__ import annotations

from flask import current_app

from core.delivery import outbox, robot
from models import Area

KIND = "private"
TEXT_MAX_BYTES = 2048
DUPLICATE_CHECK_SECONDS = 1800
APP_SETTINGS = ("WECOM_CORP_ID", "WECOM_SECRET", "WECOM_AGENT_ID")


def available(config=None) -> bool:
    """True when the app is configured, or offline (where every message is only kept)."""
    config = config or current_app.config
    return bool(config["OFFLINE"]) or all(config.get(name) for name in APP_SETTINGS)


def agent_id(config=None) -> int | str | None:
    """`WECOM_AGENT_ID` as WeCom wants it (an integer); from the environment it is text."""
    value = (config or current_app.config).get("WECOM_AGENT_ID")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def text_body(userid: str, content: str) -> dict:
    """The complete `message/send` body of one text (what the outbox row keeps and sends)."""
    return {
        "touser": userid,
        "msgtype": "text",
        "agentid": agent_id(),
        "text": {"content": content},
        "safe": 1,
        "enable_duplicate_check": 1,
        "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
    }


def send_text(userid: str | None, text: str, key: str, area: Area | int | None = None) -> bool:
    """Queue `text` for the WeCom user `userid` (inside the caller's transaction).

    `key` makes it idempotent like every outbox key (a long text's parts get ``:part1`` …).
    Returns False, queueing nothing, when no app is configured or there is no user id."""
    parts = robot.split_text(text, TEXT_MAX_BYTES)
    if not userid or not parts or not available():
        return False
    keys = robot.part_keys(key, len(parts))
    outbox.enqueue_all(
        KIND,
        userid,
        [(text_body(userid, part), k) for part, k in zip(parts, keys, strict=True)],
        area=area,
    )
    return True
