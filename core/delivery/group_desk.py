"""工作群 as staff look after them in the console: when the robot last got a message through,
which members the bot knows (stewards of the group's area whose WeCom account is linked, the
leaders marked), and 发送测试消息 — a line to the group, through the outbox like every push,
so a wrong webhook shows up as a failed row in 发送记录 and a broken robot as 失效.

Editing and deactivating are `core.delivery.groups.update` (audited there).
"""

from __future__ import annotations

from datetime import datetime

from peewee import fn

from core import audit
from core.delivery import robot
from core.people.permissions import Principal
from infra.db import write_transaction
from infra.errors import conflict
from infra.timeutil import to_local, utcnow
from models import Area, ChatGroup, OutboxMessage, Steward, StewardAlley


def last_sent(groups: list[ChatGroup]) -> dict[int, datetime]:
    """Each group's latest message that got through (its robot key's newest `sent_at`, over
    the outbox's (kind, target, sent_at) index)."""
    keys = {g.webhook_key: g.id for g in groups}
    if not keys:
        return {}
    rows = (
        OutboxMessage.select(OutboxMessage.target, fn.MAX(OutboxMessage.sent_at))
        .where((OutboxMessage.kind == "robot") & OutboxMessage.target.in_(list(keys)))
        .group_by(OutboxMessage.target)
        .tuples()
    )
    return {keys[target]: at for target, at in rows if at is not None}


def known_members(group: ChatGroup) -> list[dict]:
    """The stewards of the group's area, serving, with whether the bot knows them (their
    WeCom account is linked: their commands in the group are theirs) and whether they lead
    the group; known ones first."""
    area = Area.get_by_id(group.area_id)
    leaders = set(group.leader_ids or [])
    stewards = (
        Steward.select()
        .where(
            Steward.active
            & Steward.id.in_(
                StewardAlley.select(StewardAlley.steward)
                .join(Area, on=(StewardAlley.alley == Area.id))
                .where(Area.path.startswith(area.path))
            )
        )
        .order_by(Steward.name, Steward.id)
    )
    out = [
        {"steward": s, "known": bool(s.wecom_userid), "leader": s.id in leaders} for s in stewards
    ]
    return sorted(out, key=lambda m: (not m["known"], not m["leader"]))


def send_test(p: Principal, group: ChatGroup) -> None:
    """发送测试消息: one line naming who sent it and when. At most one a minute per group (the
    outbox key is the minute, and the text is one part: a double click queues one); refused
    for a deactivated group."""
    if not group.active:
        raise conflict("group_inactive", "该群已停用，请先启用再发送测试消息")
    now = to_local(utcnow())
    who = p.user.nickname or "工作人员"
    text = (
        f"【测试消息】{who} 于 {now:%m-%d %H:%M} 从社区工作台发送。"
        "看到这条消息，说明机器人工作正常。"
    )
    key = f"group-test:{group.id}:{now:%Y%m%d%H%M}"
    with write_transaction():
        if OutboxMessage.select().where(OutboxMessage.idempotency_key == key).exists():
            raise conflict("too_often", "一分钟内已发送过测试消息，请稍后再试")
        robot.push_text(group, text, key, fetch=False)
        audit.record("chat_group.test", "chat_group", group.id, actor=p.user, area=group.area_id)
