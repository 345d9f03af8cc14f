"""The bot's commands as dialogues, each table run through all three callbacks with real
wechatpy encryption of the request and decryption of the reply: the WeCom smart bot
(encrypted JSON, receive id ""), the WeCom self-built app (encrypted XML) and the signed
bridge. Also: tolerant input, binding, photos as proof, and a steward of another alley
refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from bot import engine
from bot.commands import parse
from core.items import wishes
from core.people import auth
from core.people.permissions import Principal
from infra.timeutil import month_day_time as when
from models import Event, Issue, OutboxMessage, Steward
from tests.bot.clients import (
    T0,
    AibotClient,
    AppClient,
    bot_config,
    fullwidth,
    jpeg,
    report,
    resident,
    run,
)
from tests.conftest import make_app
from tests.factories import make_district

# --- dialogues --------------------------------------------------------------------------------


def test_dialogue_steward_day(chat, world):
    """A steward's day: help, to-do, accept, resolve, escalate, patrol, points."""
    d = world["district"]
    with time_machine.travel(T0, tick=False):
        first, second = report(d.alleys[0]), report(d.alleys[0], "路灯不亮", "设施损坏")
        dl1, dl2 = when(first.deadline), when(second.deadline)
        run(
            chat,
            [
                (
                    "wx_s0",
                    "帮助",
                    "可用指令：待办、详情 N、接单 N、办结 N 说明、上报 N 原因、巡查 [说明]、心愿、"
                    "认领 心愿N、实现 心愿N 说明、放弃 心愿N、已联系 N、已上门 N [说明]、需帮助 N 说明、"
                    "报名 活动N、牌子好的 / 牌子坏了、积分、存折。发送“帮助 接单”查看说明",
                ),
                ("wx_s0", "帮助 办结", "办结 N 说明：写明办理情况，办结一件诉求；…"),
                (
                    "wx_s0",
                    "待办",
                    f"待办 2 件：#{first.id} 1区1巷：垃圾堆放（{dl1} 前）；"
                    f"#{second.id} 1区1巷：路灯不亮（{dl2} 前）",
                ),
                (
                    "wx_s0",
                    f"@小巷管家　接单　＃{fullwidth(first.id)}。",
                    f"已接单 #{first.id} 1区1巷：垃圾堆放，请在 {dl1} 前办结",
                ),
                (
                    "wx_s0",
                    f"接单{first.id}",
                    f"未能接单：您已接单，无需重复，请在 {dl1} 前办结",
                ),
                (
                    "wx_s0",
                    f"办结 {first.id}",
                    f"未能办结：请写明办理情况，例如：办结 {first.id} 垃圾已清运",
                ),
                (
                    "wx_s0",
                    f"办结 {first.id}号 已清理！",
                    f"已办结 #{first.id} 1区1巷：垃圾堆放（现场解决），谢谢！"
                    "2 分钟内发来的照片将作为办结凭证",
                ),
                (
                    "wx_s0",
                    f"办结 {first.id} 再清一次",
                    "未能办结：该诉求已办结，无需重复",
                ),
                (
                    "wx_s0",
                    f"上报 {first.number} 再看看",
                    "未能上报：该诉求已办结，无需上报",
                ),
                (
                    "wx_s0",
                    f"上报 #{second.id} 需要物业配合",
                    f"已上报社区 #{second.id} 1区1巷：路灯不亮，社区会尽快协调",
                ),
                ("wx_s0", "巡查 一切正常", f"已登记巡查：1区1巷 {when(T0)}"),
                (
                    "wx_s0",
                    "积分",
                    # from the ledger: the patrol earns hours only once certified (SERVICE)
                    "您本季度（2026Q4）积分 3 分：办结诉求 1 件 +2、按时办结 1 件 +1；存折余额 3 分",
                ),
                ("wx_s0", "存折", "第1社区存折（会员码 …"),
                ("wx_s0", "@小巷管家 你好", "您好！常用：“待办”查看要办的事，…"),
                ("wx_s0", "@小巷管家 天气", "没有“天气”这个指令。可用指令：待办、…"),
                ("wx_s0", "接丹 1", "您是要“接单 1”吗？"),
            ],
        )
        for chatter in ("你好", "收到", "1", "好的，马上去"):
            got = chat.say("wx_s0", chatter)
            # the relay hears the whole group: chatter is not for the bot, no answer at all;
            # the smart bot and the app hear only what is said to the bot
            assert (got is None) == (chat.channel == "bridge"), (chatter, got)
        assert Issue.get_by_id(first.id).resolution_note == "已清理！"
        assert Issue.get_by_id(second.id).status == "escalated"


def test_dialogue_whistle_staff_and_steward(chat, world):
    """`吹哨` needs staff rights: the steward gets the workflow's refusal, staff succeed."""
    d = world["district"]
    code, _ = auth.issue_bind_code(staff=world["staff"], issued_by="test")
    with time_machine.travel(T0, tick=False):
        item = report(d.alleys[0], "占道经营", "其他")
        run(
            chat,
            [
                (
                    "wx_s0",
                    f"吹哨 {item.id} 城管 占道经营",
                    "未能吹哨：只有社区工作人员可以吹哨报到",
                ),
                ("wx_staff", f"吹哨 {item.id} 城管", engine.NOT_BOUND),
                (
                    "wx_staff",
                    f"绑定 {code.lower()}",
                    f"绑定成功：{world['staff'].display_name}，您已成为第1社区的工作人员。"
                    "发送“帮助”查看指令",
                ),
                (
                    "wx_staff",
                    f"吹哨 {item.id} 环保局 排污",
                    "未能吹哨：找不到承办单位“环保局”，可选：城管",
                ),
                (
                    "wx_staff",
                    f"吹哨 {item.id} 城管 占道经营需执法",
                    "未能吹哨：请说明紧急程度（一般 2 天、重要 3 天、重大 10 天），"
                    f"例如：吹哨 {item.id} 城管 重要",
                ),
            ],
        )
        item = Issue.get_by_id(item.id)
        assert item.status == "submitted"  # asked for the tier: nothing written
        deadline = when(T0 + timedelta(days=10))
        run(
            chat,
            [
                (
                    "wx_staff",
                    f"吹哨 {item.id} 城管 重大 占道经营需执法",
                    f"已向城管吹哨 #{item.id} 1区1巷：占道经营（重大），请在 {deadline} 前办结",
                ),
                ("wx_staff", "待办", f"社区待办：\n已吹哨 1：#{item.id} 1区1巷"),
            ],
        )
    item = Issue.get_by_id(item.id)
    assert (item.status, item.priority, item.department.name) == ("whistled", "major", "城管")


def test_dialogue_wish_claim(chat, world):
    d = world["district"]
    staff = Principal.for_user(world["staff"].user)
    with time_machine.travel(T0, tick=False):
        wish = wishes.create(
            resident(),
            alley=d.alleys[0],
            beneficiary_type="elderly",
            display_name="王奶奶",
            title="想要一台收音机",
            content="想听戏",
        )
        run(chat, [("wx_s0", f"认领 心愿{wish.id}", "未能认领：该心愿当前为“待审核”，不能认领")])
        wishes.approve(staff, wish.id)
        run(
            chat,
            [
                (
                    "wx_s0",
                    f"认领 心愿 {fullwidth(wish.id)}",
                    f"已认领 心愿{wish.id} 王奶奶：想要一台收音机，"
                    f"完成后请发送“实现 心愿{wish.id} 说明”，可附照片",
                ),
                ("wx_s1", f"认领 心愿{wish.id}", "未能认领：该心愿已被他人认领"),
            ],
        )


def test_dialogue_unknown_sender_and_binding(chat, world):
    d = world["district"]
    free = Steward.create(name="新管家", phone="17100000009")
    from models import StewardAlley

    StewardAlley.create(steward=free, alley=d.alleys[1])
    code, _ = auth.issue_bind_code(steward=free, issued_by="test")
    run(
        chat,
        [
            ("wx_new", "待办", engine.NOT_BOUND),
            ("wx_new", "帮助", "可用指令：…"),
            (
                "wx_new",
                "绑定",
                "未能绑定：请写上绑定码，例如：绑定 ABCD2345（绑定码请向社区工作人员索取）",
            ),
            ("wx_new", "绑定 ZZZZ9999", "未能绑定：绑定码不存在，请核对后重试"),
            (
                "wx_new",
                f"绑定 {code}",
                "绑定成功：新管家，您已成为1区2巷的小巷管家。发送“待办”查看要办的事",
            ),
            (
                "wx_new",
                f"绑定 {code}",
                "您已绑定（新管家，1区2巷的小巷管家），无需重复绑定；如需更换请联系社区",
            ),
            ("wx_new", "待办", "暂无待办，辛苦了！"),
        ],
    )
    assert Steward.get_by_id(free.id).wecom_userid == "wx_new"


def test_a_steward_of_another_alley_cannot_resolve(chat, world):
    d = world["district"]
    item = report(d.alleys[0])  # 1区1巷: wx_s0's, not wx_s1's
    trail = list(Event.for_subject("issue", item.id))
    whose = f"#{item.id} 是1区1巷的诉求，由{world['s0'].name}负责，您不能处理"
    assert chat.say("wx_s1", f"办结 {item.id} 已清理") == f"未能办结：{whose}"
    assert chat.say("wx_s1", f"接单 {item.id}") == f"未能接单：{whose}"
    assert chat.say("wx_s1", f"上报 {item.id} 不归我") == f"未能上报：{whose}"
    assert chat.say("wx_s1", "接单 99999") == "未能接单：找不到该诉求"
    assert Issue.get_by_id(item.id).status == "submitted"
    assert list(Event.for_subject("issue", item.id)) == trail


@pytest.mark.parametrize("chat", ["aibot", "bridge"], indirect=True)
def test_photo_with_resolve_is_attached(chat, world, fake_wechat):
    """A photo sent with `办结 N` is its proof. (The self-built app delivers a photo as a
    message of its own: that channel is covered by the two-minute tests below.)"""
    d = world["district"]
    item = report(d.alleys[0])
    got = chat.reply(chat.post("wx_s0", f"办结 {item.id} 已清理", images=[jpeg()]))
    assert got == f"已办结 #{item.id} 1区1巷：垃圾堆放（现场解决），附照片 1 张，谢谢！"
    assert len(Issue.get_by_id(item.id).resolution_photo_ids) == 1


def test_photo_within_two_minutes_after_resolve_is_added(chat, world):
    d = world["district"]
    item = report(d.alleys[0])
    with time_machine.travel(T0, tick=False) as clock:
        chat.say("wx_s0", f"办结 {item.id} 已清理")
        clock.shift(timedelta(seconds=90))
        got = chat.reply(chat.post("wx_s0", None, images=[jpeg("blue")]))
        assert got == f"已把照片 1 张补充到 #{item.id} 1区1巷：垃圾堆放 的办结记录"
        clock.shift(timedelta(minutes=5))
        late = chat.reply(chat.post("wx_s0", None, images=[jpeg("green")]))
        assert late.startswith("已收到照片 1 张，请在 2 分钟内发送“办结 编号 说明”")
    comments = list(Event.for_subject("issue", item.id).where(Event.action == "issue.comment"))
    assert len(comments) == 1 and comments[0].data["note"] == "办结照片"
    assert len(comments[0].data["photo_ids"]) == 1


def test_photo_before_resolve_is_proof(chat, world):
    d = world["district"]
    item = report(d.alleys[0])
    with time_machine.travel(T0, tick=False) as clock:
        chat.reply(chat.post("wx_s0", None, images=[jpeg("blue")]))
        clock.shift(timedelta(seconds=60))
        got = chat.say("wx_s0", f"办结 {item.id} 已清理")
    assert got == f"已办结 #{item.id} 1区1巷：垃圾堆放（现场解决），附照片 1 张，谢谢！"
    assert len(Issue.get_by_id(item.id).resolution_photo_ids) == 1


def test_app_photo_without_secret_is_recorded_unavailable(tmp_path, fake_wechat):
    application = make_app(tmp_path, **bot_config(fake_wechat, WECOM_SECRET=None))
    with application.app_context():
        d = make_district()
        Steward.update(wecom_userid="wx_s0").where(Steward.id == d.stewards[0].id).execute()
        app_chat = AppClient(application.test_client(), fake_wechat)
        got = app_chat.reply(app_chat.post("wx_s0", None, images=[jpeg()]))
        assert got == "照片暂时无法保存（未配置企业微信应用密钥），请在小程序中上传"
        assert Event.select().where(Event.action == "bot.photo_unavailable").count() == 1
        assert fake_wechat.calls_to("/cgi-bin/media/get") == []


def test_app_photo_is_fetched_through_the_wecom_base(bot_app, world, fake_wechat):
    app_chat = AppClient(bot_app.test_client(), fake_wechat)
    got = app_chat.reply(app_chat.post("wx_s0", None, images=[jpeg()]))
    assert got.startswith("已收到照片 1 张")
    assert len(fake_wechat.calls_to("/cgi-bin/gettoken")) == 1
    assert len(fake_wechat.calls_to("/cgi-bin/media/get")) == 1


def test_slow_smart_bot_reply_goes_out_through_the_outbox(tmp_path, fake_wechat):
    application = make_app(tmp_path, **bot_config(fake_wechat, AIBOT_REPLY_BUDGET_SECONDS=-1))
    with application.app_context():
        from core.delivery import groups

        d = make_district()
        Steward.update(wecom_userid="wx_s0").where(Steward.id == d.stewards[0].id).execute()
        groups.create(d.communities[0], "robot-key-0001", chat_id="CHAT1")
        aibot = AibotClient(application.test_client(), fake_wechat)
        res = aibot.post("wx_s0", "帮助", chat="CHAT1", msg_id="slow-1")
        assert res.status_code == 200 and res.data == b""
        (row,) = OutboxMessage.select().where(OutboxMessage.kind == "robot")
        assert row.idempotency_key == "robot:reply:aibot:slow-1"
        assert row.payload["text"]["content"].startswith("可用指令：")
        assert row.payload["text"]["mentioned_mobile_list"] == [d.stewards[0].phone]


# --- the parser on its own --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, name, rest",
    [
        ("接单 12", "接单", "12"),
        ("接单12", "接单", "12"),
        ("＠小巷管家　接单　１２", "接单", "１２"),
        ("@小巷管家\u2005办结 #12 已清理。", "办结", "#12 已清理。"),
        ("办结 12号 已清理！！", "办结", "12号 已清理！！"),
        ("办结 12 已清理，已联系环卫…", "办结", "12 已清理，已联系环卫…"),
        ("HELP", "帮助", ""),
        ("认领 心愿３", "认领", "心愿３"),
        ("？", None, "？"),
    ],
)
def test_parse_is_tolerant(text, name, rest):
    command, args = parse(text)
    assert (command.name if command else None, args) == (name, rest)
