"""Handling units in the chat: staff `吹哨 N 单位 重要` and `催办 N`; a unit member, known by
the WeCom id staff registered for them, `报到`, `进展`, `退回`, `办结` in their group — each
the workflow's own action, refusals as one Chinese line."""

from __future__ import annotations

import pytest

from core.people import auth
from core.units import members, units
from models import ChatGroup, Event, Issue, OutboxMessage
from tests.bot.clients import report
from tests.factories import make_district, make_staff


@pytest.fixture
def world(bot_app):  # noqa: F811
    d = make_district()
    staff = make_staff(d.communities[0])
    unit = units.create(d.street, "住建办")
    other = units.create(d.street, "城管")
    members.create_member(unit, "zjb-li", "password123", "李工", "wx_li")
    members.create_member(other, "cg-zhao", "password123", "赵队", "wx_zhao")
    ChatGroup.create(area=d.street, name="住建办群", webhook_key="key-unit", unit=unit)
    return {"d": d, "staff": staff, "unit": unit}


def test_the_whistle_loop_in_the_chat(chat, world):  # noqa: F811
    d = world["d"]
    code, _ = auth.issue_bind_code(staff=world["staff"], issued_by="test")
    assert chat.say("wx_staff", f"绑定 {code}").startswith("绑定成功")
    item = report(d.alleys[0], content="外墙脱落")
    n = item.id

    assert chat.say("wx_staff", f"吹哨 {n} 住建办 重要 请鉴定").startswith(f"已向住建办吹哨 #{n}")
    assert Issue.get_by_id(n).priority == "important"
    # the unit member, in their group
    assert chat.say("wx_zhao", f"报到 {n}") == "未能报到：找不到该诉求"
    assert chat.say("wx_li", f"报到 {n}").startswith(f"已报到 #{n}")
    assert chat.say("wx_li", f"报到 {n}").startswith("未能报到：住建办已于")
    assert chat.say("wx_li", f"进展 {n} 已到现场") == f"已登记进展 #{n} 1区1巷：外墙脱落"
    assert chat.say("wx_staff", f"催办 {n} 居民又来问了").startswith(f"已催办 #{n}")
    urged = (
        OutboxMessage.select()
        .where(OutboxMessage.target == "key-unit")
        .order_by(OutboxMessage.id.desc())
        .first()
    )
    assert "居民又来问了" in urged.payload["text"]["content"]
    assert chat.say("wx_li", f"办结 {n} 外墙已修复").startswith(f"已办结 #{n}")
    resolved = Event.get((Event.subject_id == n) & (Event.action == "issue.resolve"))
    assert resolved.actor_label == "住建办 李工"


def test_a_unit_member_returns_an_item_and_may_not_whistle(chat, world):  # noqa: F811
    d = world["d"]
    code, _ = auth.issue_bind_code(staff=world["staff"], issued_by="test")
    chat.say("wx_staff", f"绑定 {code}")
    n = report(d.alleys[0]).id
    chat.say("wx_staff", f"吹哨 {n} 住建办 一般")
    assert chat.say("wx_li", f"退回 {n}").startswith("未能退回：请写明退回原因")
    assert chat.say("wx_li", f"退回 {n} 属于物业") == f"已退回社区 #{n}，社区会重新安排"
    assert Issue.get_by_id(n).status == "escalated"
    assert chat.say("wx_li", f"吹哨 {n} 城管 重大").startswith("未能吹哨")
