"""`报名 活动N` in the group bot, as dialogues through all three chat channels: a steward who is
also a registered volunteer signs up; the full activity, the unregistered sender, the wrong
number and a missing number each get one short Chinese line."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from core.items import wishes
from core.people.permissions import Principal
from core.volunteering import activities, volunteers
from infra.timeutil import month_day_time
from models import ActivitySignup, ServiceRecord, User
from tests.bot.clients import T0, run


def test_dialogue_sign_up_for_an_activity(chat, world):  # noqa: F811
    d = world["district"]
    c1 = d.communities[0]
    staff = Principal.for_user(world["staff"].user)
    with time_machine.travel(T0, tick=False):
        start = T0 + timedelta(days=2)
        act = activities.publish(
            staff, c1.id, "敬老院义务理发", "社区敬老院", start, start + timedelta(hours=2), 1
        )
        when = month_day_time(act.starts_at)
        run(chat, [("wx_s0", "帮助 报名", "报名 活动N：以志愿者身份报名社区的志愿活动…")])
        run(
            chat,
            [
                ("wx_s0", f"报名 活动{act.id}", "未能报名：请先登记为该社区的志愿者"),
                ("wx_s1", f"报名 活动{act.id}", "未能报名：请先登记为该社区的志愿者"),
            ],
        )
        for sender, name in (("wx_s0", "管家甲"), ("wx_s1", "管家乙")):
            user = User.get(User.openid == f"wecom:{sender}")
            volunteers.register(Principal.for_user(user), c1.id, name, "13800005555")
        run(
            chat,
            [
                ("wx_s0", "报名", "未能报名：请写上活动编号，例如：报名 活动3"),
                ("wx_s0", "报名 活动999999", "未能报名：找不到该活动"),
                (
                    "wx_s0",
                    f"报名 活动 {act.id}",
                    f"已报名 活动{act.id} 敬老院义务理发（{when}，社区敬老院），剩余名额 0 个",
                ),
                ("wx_s0", f"报名 活动{act.id}", "未能报名：您已报名该活动"),
                ("wx_s1", f"报名 活动{act.id}", "未能报名：名额已满"),
            ],
        )
    signed = ActivitySignup.select().where(ActivitySignup.status == "signed_up")
    assert [s.volunteer.name for s in signed] == ["管家甲"]


def test_a_wish_fulfilled_through_the_bot_becomes_the_stewards_service_record(chat, world):  # noqa: F811
    d = world["district"]
    staff = Principal.for_user(world["staff"].user)
    with time_machine.travel(T0, tick=False):
        resident = Principal.for_user(User.create(openid="dev:居民王", nickname="居民"))
        wish = wishes.create(
            resident,
            alley=d.alleys[0],
            beneficiary_type="elderly",
            display_name="王奶奶",
            title="想要一台收音机",
            content="想听戏",
        )
        wishes.approve(staff, wish.id)
        run(chat, [("wx_s0", f"认领 心愿{wish.id}", "已认领 …")])
        run(chat, [("wx_s0", f"实现 心愿{wish.id} 收音机已送到", "已实现 …")])
    record = ServiceRecord.get(ServiceRecord.source_type == "wish")
    assert record.steward_id == world["s0"].id and record.source_id == wish.id
    assert record.status == "pending" and record.served_on.isoformat() == "2026-11-22"
