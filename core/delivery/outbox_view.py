"""发送记录 as staff read it: for each outbox row, to whom it went (a group by its name, a
steward or staff member by name, a resident by their nickname) and what it said (the text, or
the card image), beside its status, attempts and last error (`core.delivery.outbox`).

The robot's webhook key (a secret that lets anyone post to the group) and a user's openid are
never shown: the recipient is named, not addressed.
"""

from __future__ import annotations

import base64
import binascii

from core.delivery import images
from infra import text
from models import ChatGroup, StaffAccount, Steward, User
from models.units import UnitMember

TEXT_SHOWN = 2000  # a message longer than this is shown up to here (robot texts are ≤ 4 kB)


def _robot_text(payload: dict) -> str:
    kind = payload.get("msgtype")
    if kind == "text":
        return str((payload.get("text") or {}).get("content", ""))
    if kind == "markdown":
        return str((payload.get("markdown") or {}).get("content", ""))
    if kind == "news":
        articles = (payload.get("news") or {}).get("articles") or []
        return "\n".join(str(a.get("title", "")) for a in articles if isinstance(a, dict))
    return ""


def _subscribe_text(payload: dict) -> str:
    data = payload.get("data") or {}
    return "；".join(
        str(v.get("value", "")) for v in data.values() if isinstance(v, dict) and v.get("value")
    )


def has_image(payload: dict) -> bool:
    image = payload.get("image") if payload.get("msgtype") == "image" else None
    return isinstance(image, dict) and ("base64" in image or "media" in image)


def image_of(payload: dict) -> tuple[bytes, str] | None:
    """The card or photo an image row sends, as (bytes, mime); None when it has none or the
    file is gone."""
    if not has_image(payload):
        return None
    try:
        body = images.expand(payload)
        data = base64.b64decode(body["image"]["base64"])
    except (images.PhotoGone, OSError, KeyError, binascii.Error):
        return None
    mime = "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
    return data, mime


def describe(rows) -> list[dict]:
    """[{"row", "to", "text", "summary", "image"}] for the rows, with the recipients looked up
    in one query per kind."""
    robot_keys = {m.target for m in rows if m.kind == "robot"}
    wecom_ids = {m.target for m in rows if m.kind == "private"}
    openids = {m.target for m in rows if m.kind == "subscribe"}
    groups = (
        {g.webhook_key: g for g in ChatGroup.select().where(ChatGroup.webhook_key.in_(robot_keys))}
        if robot_keys
        else {}
    )
    stewards = (
        {
            s.wecom_userid: s.name
            for s in Steward.select().where(Steward.wecom_userid.in_(wecom_ids))
        }
        if wecom_ids
        else {}
    )
    members = (
        {
            m.wecom_userid: m.account.display_name or m.account.username
            for m in UnitMember.select(UnitMember, StaffAccount)
            .join(StaffAccount)
            .where(UnitMember.wecom_userid.in_(wecom_ids))
        }
        if wecom_ids
        else {}
    )
    users = {u.openid: u for u in User.select().where(User.openid.in_(openids))} if openids else {}
    out = []
    for m in rows:
        payload = m.payload if isinstance(m.payload, dict) else {}
        if m.kind == "robot":
            group = groups.get(m.target)
            to = f"群：{group.name or group.area.name}" if group else "群：（已删除的群）"
            words = _robot_text(payload)
        elif m.kind == "private":
            name = stewards.get(m.target) or members.get(m.target)
            to = f"私信：{name}" if name else "私信：企业微信成员"
            words = str((payload.get("text") or {}).get("content", ""))
        else:
            user = users.get(m.target)
            to = f"居民：{(user.nickname if user else None) or '微信用户'}"
            words = _subscribe_text(payload)
        out.append(
            {
                "row": m,
                "to": to,
                # lines kept: a daily report reads as it did in the group
                "text": words if len(words) <= TEXT_SHOWN else words[: TEXT_SHOWN - 1] + "…",
                "summary": text.shorten(words, 40),
                "image": has_image(payload),
            }
        )
    return out
