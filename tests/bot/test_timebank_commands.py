"""The bot's time bank commands: `积分` (this quarter from the ledger, and the balance) and
`存折` (the last entries and the balance), as dialogues through the real callbacks."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from bot import commands
from bot.engine import NOT_BOUND
from core.timebank import postings
from core.timebank.postings import Holder
from infra.db import write_transaction
from infra.timeutil import month_day_time as when
from models import Issue, PointAdjustment
from tests.bot.clients import T0, report, run


def test_points_and_passbook_dialogue(chat, world):  # noqa: F811
    d, s0 = world["district"], world["s0"]
    with time_machine.travel(T0, tick=False):
        run(
            chat,
            [
                ("wx_s0", "积分", "您本季度（2026Q4）积分 0 分：还没有时间银行存折（…"),
                ("wx_s0", "存折", "您还没有时间银行存折：办结诉求、志愿服务等经认定后会自动记分"),
            ],
        )
        first = report(d.alleys[0])
        late = report(d.alleys[0], "井盖松动", "设施损坏")
        chat.say("wx_s0", f"办结 {first.id} 已清理")
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        chat.say("wx_s0", f"办结 {late.id} 已修好")  # 设施损坏 is 一般: 2 days, so late
        account = postings.accounts_of(None, [s0])[0]
        first_no, late_no = Issue.get_by_id(first.id).number, Issue.get_by_id(late.id).number
        with write_transaction():
            postings.post(account, -3, rule="absent", source_type="adjustment", reason="缺席例会")
        run(
            chat,
            [
                (
                    "wx_s0",
                    "积分",
                    "您本季度（2026Q4）积分 1 分：办结诉求 2 件 +4、按时办结 1 件 +1、"
                    "超期未办结 1 件 −1、无故缺席例会或集中行动 1 次 −3；存折余额 1 分",
                ),
                (
                    "wx_s0",
                    "存折",
                    f"第1社区存折（会员码 {account.member_code}）余额 1 分：\n"
                    f"{when(T0 + timedelta(days=5))} -3 无故缺席例会或集中行动 缺席例会\n"
                    f"{when(T0 + timedelta(days=5))} -1 超期未办结 {late_no} 设施损坏\n"
                    f"{when(T0 + timedelta(days=5))} +2 办结诉求 {late_no} 设施损坏\n"
                    f"{when(T0)} +1 按时办结 {first_no} 环境卫生\n"
                    f"{when(T0)} +2 办结诉求 {first_no} 环境卫生",
                ),
            ],
        )
        # in a group, the code that redeems points stays out of everyone's hearing (the
        # self-built app only hears single chats)
        if chat.channel != "app":
            in_group = chat.say("wx_s0", "@小巷管家 存折", chat="CHAT1")
            assert in_group.startswith("第1社区存折（会员码请在小程序查看）余额 1 分：\n")
            assert account.member_code not in in_group
    # next quarter: 积分 starts again from 0; the balance carries over
    with time_machine.travel(T0 + timedelta(days=45), tick=False):
        assert chat.say("wx_s0", "积分") == (
            "您本季度（2027Q1）积分 0 分：本季度还没有积分记录；存折余额 1 分"
        )


def test_passbook_shows_at_most_five_lines_per_community(chat, world):  # noqa: F811
    d, s0 = world["district"], world["s0"]
    account = postings.account_for(d.communities[0], Holder(steward_id=s0.id))
    with time_machine.travel(T0, tick=False):
        with write_transaction():
            for i in range(7):
                postings.post(
                    account, 1, rule="meeting", source_type="adjustment", reason=f"例会{i}"
                )
        reply = chat.say("wx_s0", "存折")
    lines = reply.split("\n")
    assert lines[0].endswith("余额 7 分：") and len(lines) == 1 + commands.PASSBOOK_LINES
    assert "例会6" in lines[1] and "例会0" not in reply


def test_an_unbound_sender_is_asked_to_bind(chat, world):  # noqa: F811
    assert chat.say("wx_nobody", "存折") == NOT_BOUND
    assert chat.say("wx_nobody", "积分") == NOT_BOUND


def test_todo_tells_the_second_staff_member_what_waits_for_them(chat, world):  # noqa: F811
    """待办 lists the adjustments above the threshold another staff member made (to approve) and
    the service records waiting for certification — never the sender's own."""
    from core.people import auth
    from core.people.permissions import Principal
    from core.timebank import adjustments
    from models import ServiceRecord
    from tests.factories import make_staff

    c1 = world["district"].communities[0]
    code, _ = auth.issue_bind_code(staff=world["staff"], issued_by="test")
    assert chat.say("wx_staff", f"绑定 {code}").startswith("绑定成功")
    account = postings.account_for(c1, Holder(steward_id=world["s0"].id))
    # Their own adjustment waits for someone else: not in their 待办.
    mine = Principal.for_user(world["staff"].user)
    adjustments.adjust(mine, account, rule="adjustment", points=90, reason="抗洪")
    assert chat.say("wx_staff", "待办") == "社区暂无待办，辛苦了！"
    maker = Principal.for_user(make_staff(c1).user)
    adjustments.adjust(maker, account, rule="adjustment", points=80, reason="表彰")
    ServiceRecord.create(
        community=c1,
        steward=world["s1"],
        person_name="管家12",
        source_type="patrol",
        source_key="todo:1",
        title="街巷巡查",
        served_on=c1.created_at.date(),
        hours=2,
        organiser=c1.name,
    )
    pending = PointAdjustment.get(PointAdjustment.points == 80)
    # the member code is what the counter redeems with: never shown in a chat
    assert chat.say("wx_staff", "待办") == (
        f"社区待办：\n待您审核的积分调整 1：调整{pending.id} +80 分\n"
        "待您认证的服务记录 1：管家12 2.0 小时"
    )
