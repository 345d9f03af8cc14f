"""What the outbox tests share: a subscribe message's body, queuing many at once, reading a
row back, and the longest backoff after some failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.delivery import outbox
from infra.db import db
from models import OutboxMessage
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
