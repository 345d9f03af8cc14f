"""`报名 活动N` in the group bot, as dialogues through all three chat channels: a steward who is
also a registered volunteer signs up; the full activity, the unregistered sender, the wrong
number and a missing number each get one short Chinese line."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from core.people.permissions import Principal
from core.service import activities, volunteers
from core.timeutil import month_day_time
from models import ActivitySignup, User
from tests.test_bot_commands import T0, bot_app, chat, run, world  # noqa: F401 - fixtures


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
