"""`报名 活动N`: signing up for a volunteer activity."""

from __future__ import annotations

import re

from bot.commands.parsing import Needs, cut
from bot.commands.registry import STAFF, STEWARD, Context, command
from core.volunteering import activities
from infra.timeutil import month_day_time

_ACTIVITY_REF = re.compile(r"^(?:第\s*)?(?:活动\s*)?#?\s*(?P<id>\d{1,9})(?:\s*号)?(?=\D|$)")


@command("报名", usage="报名 活动N", roles=(STEWARD, STAFF))
def activity_signup(ctx: Context, args: str) -> str:
    """以志愿者身份报名社区的志愿活动（须先在小程序登记为志愿者）。例：报名 活动3"""
    match, _ = cut(_ACTIVITY_REF, args)
    if match is None:
        raise Needs("请写上活动编号", "报名 活动3")
    activity_id = int(match.group("id"))
    activities.signup(ctx.p, activity_id)
    activity = activities.get(activity_id)
    left = max(activity.capacity - activity.signed_up, 0)
    return (
        f"已报名 活动{activity.id} {activity.title}（{month_day_time(activity.starts_at)}，"
        f"{activity.place}），剩余名额 {left} 个"
    )
