# ruff: noqa: F811  (the fixtures imported from test_bot_commands are parameters here)
"""How the bot understands a steward (issue 27): everyday phrasings run as the command they
mean, greetings get one friendly line, typos get the nearest command by sound and shape as a
question and never run, `接单` takes several numbers, a whistled item's rules hold for
accepting and closing alike, `办结` records how it was solved, and every refusal reads as
Chinese with examples that can be sent as written.

The phrasebook table runs through the smart bot's signed, encrypted callback in a group, with
the reply budget spent so that every reply goes out through the outbox: each row's reply is
read back from its outbox row (the group robot's message, @-mentioning the steward)."""

from __future__ import annotations

import itertools
import re

import pytest
import time_machine

from bot import engine
from bot.commands import COMMANDS
from bot.commands.understanding import closest, similarity
from core.delivery import groups
from core.items import issues, wishes
from core.people import auth
from core.people.permissions import Principal
from core.units import handling as unit_handling
from infra.timeutil import month_day_time as when
from models import Department, Event, Issue, OutboxMessage, Steward, Wish
from tests.bot.clients import T0, AibotClient, BridgeClient, bot_config, report, resident
from tests.conftest import make_app
from tests.factories import make_district, make_staff

_msg_ids = itertools.count(1)


class GroupDesk:
    """A steward's group: messages go in through the smart bot's callback (each one @-ing the
    bot, as WeCom delivers group messages to it), replies come back out of the outbox."""

    def __init__(self, app, fake):
        self.aibot = AibotClient(app.test_client(), fake)

    def say(self, sender: str, text: str) -> tuple[str, list[str]]:
        msg_id = f"desk-{next(_msg_ids)}"
        res = self.aibot.post(sender, f"@小巷管家 {text}", chat="CHAT1", msg_id=msg_id)
        assert res.status_code == 200 and res.data == b"", res.data  # no passive answer
        rows = list(
            OutboxMessage.select().where(
                OutboxMessage.idempotency_key.startswith(f"robot:reply:aibot:{msg_id}")
            )
        )
        assert len(rows) == 1, [r.idempotency_key for r in rows]
        body = rows[0].payload["text"]
        return body["content"], body.get("mentioned_mobile_list", [])


@pytest.fixture
def desk(tmp_path, fake_wechat):
    """A street whose 第1社区 has a group; the smart bot's reply budget is spent at once, so
    replies go to the group through the outbox."""
    app = make_app(tmp_path, **bot_config(fake_wechat, AIBOT_REPLY_BUDGET_SECONDS=-1))
    with app.app_context():
        d = make_district()
        s0, s1 = d.stewards[0], d.stewards[1]
        Steward.update(wecom_userid="wx_s0").where(Steward.id == s0.id).execute()
        Steward.update(wecom_userid="wx_s1").where(Steward.id == s1.id).execute()
        groups.create(d.communities[0], "robot-key-0001", chat_id="CHAT1")
        yield {"district": d, "s0": s0, "s1": s1, "chat": GroupDesk(app, fake_wechat)}


# Each row: what the steward types ({n}: a new item of theirs, {m}: one of the next alley's,
# {w}: a wish), the reply (… at the end: the start of it), and the state of item {n} after
# (None: not checked). A guess must leave the item as it was.
TITLE = "#{n} 1区1巷：垃圾堆放"
DONE = "已办结 " + TITLE + "（{level}），谢谢！2 分钟内发来的照片将作为办结凭证"
TAKEN = "已接单 " + TITLE + "，请在 {dl} 前办结"
SHOWN = "#{n} 1区1巷 · 环境卫生 · 待接单…"
COMMON = "常用：“@小巷管家 待办”查看要办的事，“@小巷管家 办结 12 说明”办结一件诉求"
PHRASEBOOK = [
    # 办结, as people say it
    ("办结 {n} 已清理", DONE, "resolved"),
    ("完成 {n} 垃圾已清运", DONE, "resolved"),
    ("已完成 {n}，垃圾已清运", DONE, "resolved"),
    ("办好了 {n} 路面扫干净了", DONE, "resolved"),
    ("已办 {n} 已清理", DONE, "resolved"),
    ("搞定 {n} 清走了", DONE, "resolved"),
    ("搞定了 #{n} 清走了", DONE, "resolved"),
    ("处理好了 {n}号 已清运", DONE, "resolved"),
    ("解决了 第{n}号 已清运", DONE, "resolved"),
    ("办结了 {n} 已清理", DONE, "resolved"),
    ("{n} 办好了，垃圾已清运", DONE, "resolved"),
    ("{n}号搞定了", DONE, "resolved"),
    ("已处理 {n} 现场清理干净", DONE, "resolved"),
    ("完成 {n}", "未能办结：请写明办理情况，例如：@小巷管家 办结 {n} 垃圾已清运", "submitted"),
    # how it was solved: inferred from the note's words, or said before it
    ("办结 {n} 经社区协调，物业已清运", DONE.replace("{level}", "上报社区"), "resolved"),
    ("办结 {n} 城管联合执法后清除", DONE.replace("{level}", "联合处置"), "resolved"),
    ("办结 {n} 上报社区 物业已修好", DONE.replace("{level}", "上报社区"), "resolved"),
    ("办结 {n} 吹哨联合 已拆除", DONE.replace("{level}", "联合处置"), "resolved"),
    ("办结 {n} 现场解决", DONE, "resolved"),
    # 接单
    ("接单 {n}", TAKEN, "accepted"),
    ("收到 {n}", TAKEN, "accepted"),
    ("我来 {n}", TAKEN, "accepted"),
    ("我来处理 {n}号", TAKEN, "accepted"),
    ("收到{n}！", TAKEN, "accepted"),
    ("接单了 {n}", TAKEN, "accepted"),
    ("马上去 {n}", TAKEN, "accepted"),
    ("{n} 我来", TAKEN, "accepted"),
    ("收到{n}点开会", "没有“收到{n}点开会”这个指令。…", "submitted"),  # not a number alone
    (
        "接单 {n} {m}",
        "已接单 " + TITLE + "（{dl} 前办结）。未接 #{m}：是1区2巷的诉求，由管家12负责，您不能处理",
        "accepted",
    ),
    # 详情
    ("看看 {n}", SHOWN, "submitted"),
    ("看一下 {n}", SHOWN, "submitted"),
    ("查一下 #{n}", SHOWN, "submitted"),
    ("{n} 什么情况", SHOWN, "submitted"),
    # 上报
    ("解决不了 {n} 需要物业配合", "已上报社区 " + TITLE + "，社区会尽快协调", "escalated"),
    ("上报社区 {n} 需要物业配合", "已上报社区 " + TITLE + "，社区会尽快协调", "escalated"),
    ("上报 {n}", "未能上报：请写明上报原因，例如：@小巷管家 上报 {n} 需要物业配合", "submitted"),
    # without a number
    ("有什么事吗？", "待办 …", None),
    ("我的任务", "待办 …", None),
    ("有什么事要说一下", "没有“有什么事要说一下”这个指令。…", None),  # a sentence, not a phrase
    ("我的积分", "您本季度（2026Q4）积分 …", None),
    ("怎么用", "可用指令：待办、详情 N、…", None),
    ("签到 一切正常", "已登记巡查：1区1巷 …", None),
    # greetings and thanks: one line, the two commands a steward uses most
    ("你好", "您好！" + COMMON, None),
    ("谢谢！", "不客气！" + COMMON, None),
    ("辛苦了", "您辛苦了！" + COMMON, None),
    ("在吗？", "在的！" + COMMON, None),
    ("早上好", "早上好！" + COMMON, None),
    ("小巷管家你好呀", "您好！" + COMMON, None),
    # typos: the nearest command by sound and shape, asked about, never run
    ("办洁 {n} 已处理", "您是要“@小巷管家 办结 {n} 已处理”吗？", "submitted"),
    ("办节 {n} 路灯修好了", "您是要“@小巷管家 办结 {n} 路灯修好了”吗？", "submitted"),
    ("半结 {n} 已清理", "您是要“@小巷管家 办结 {n} 已清理”吗？", "submitted"),
    ("接丹 {n}", "您是要“@小巷管家 接单 {n}”吗？", "submitted"),
    ("详清 {n}", "您是要“@小巷管家 详情 {n}”吗？", "submitted"),
    ("上抱 {n} 需要协调", "您是要“@小巷管家 上报 {n} 需要协调”吗？", "submitted"),
    ("带办", "您是要“@小巷管家 待办”吗？", None),
    ("巡察 一切正常", "您是要“@小巷管家 巡查 一切正常”吗？", None),
    # a staff command's sound-alike is not offered to a steward
    ("派丹 {n} 王秀英", "没有“派丹”这个指令。可用指令：…", "submitted"),
    ("天气怎么样", "没有“天气怎么样”这个指令。可用指令：…", None),
    # wishes: the same words on a wish's number
    ("我来 心愿{w}", "已认领 心愿{w} …", None),
    ("完成 心愿{w} 收音机已送到", "已实现 心愿{w} …", None),
]


def test_a_stewards_phrasebook(desk):
    """At least 40 real phrasings, each in the group: the reply read back from the outbox,
    @-mentioning the steward, and the item's state after it."""
    assert len(PHRASEBOOK) >= 40
    d, chat = desk["district"], desk["chat"]
    staff = Principal.for_user(make_staff(d.communities[0]).user)
    with time_machine.travel(T0, tick=False):
        other = report(d.alleys[1])
        wish = wishes.create(
            resident(),
            alley=d.alleys[0],
            beneficiary_type="elderly",
            display_name="王奶奶",
            title="想要一台收音机",
            content="想听戏",
        )
        wishes.approve(staff, wish.id)
        for text, expected, state in PHRASEBOOK:
            item = report(d.alleys[0])
            values = {"n": item.id, "m": other.id, "w": wish.id, "dl": when(item.deadline)}
            values["level"] = "现场解决"
            said = text.format(**values)
            want = expected.format(**values)
            got, mentions = chat.say("wx_s0", said)
            if want.endswith("…"):
                assert got.startswith(want[:-1]), (said, got)
            else:
                assert got == want, (said, got)
            assert mentions == [desk["s0"].phone], said
            if state is not None:
                assert Issue.get_by_id(item.id).status == state, (said, got)
    assert Wish.get_by_id(wish.id).status == "fulfilled"
    assert Issue.get_by_id(other.id).status == "submitted"  # the next alley's item untouched


def test_the_relay_hears_chatter_and_answers_only_what_is_for_the_bot(bot_app, fake_wechat, world):
    """The relay hands over the whole group: a phrase acts only with the item's number
    standing alone; chatter, numberless phrases, greetings and numbers inside a sentence get
    no answer, and nothing changes."""
    bridge = BridgeClient(bot_app.test_client(), fake_wechat)
    d = world["district"]
    groups.create(d.communities[0], "robot-key-0001", chat_id="CHAT1")
    item = report(d.alleys[0])
    n = item.id
    trail = list(Event.for_subject("issue", n))
    for chatter in (
        "收到",
        "你好",
        "谢谢",
        "有什么事吗？",
        f"收到{n}点开会",
        f"搞定 {n}个人了",
        f"{n} 办好了",
        f"我来 {n} 个人去",
        "代办 社保的事",
    ):
        assert bridge.say("wx_s0", chatter, chat="CHAT1") is None, chatter
    assert list(Event.for_subject("issue", n)) == trail
    assert bridge.say("wx_s0", f"办洁 {n} 已处理", chat="CHAT1") == (
        f"您是要“@小巷管家 办结 {n} 已处理”吗？"
    )
    assert bridge.say("wx_s0", f"收到 {n}", chat="CHAT1").startswith(f"已接单 #{n} ")
    assert Issue.get_by_id(n).status == "accepted"


def test_accept_several_at_once(bot_app, fake_wechat, world):
    """`接单 21 22` takes both; when none can be taken, each one's reason is given."""
    chat = AibotClient(bot_app.test_client(), fake_wechat)
    d = world["district"]
    with time_machine.travel(T0, tick=False):
        a, b, c = (
            report(d.alleys[0]),
            report(d.alleys[0], "路灯不亮", "设施损坏"),
            report(d.alleys[0]),
        )
        chat.say("wx_s0", f"办结 {c.id} 已清理")
        dl = when(a.deadline)
        assert chat.say("wx_s0", f"接单 {a.id}、{b.id}") == (
            f"已接单 2 件：#{a.id} 1区1巷：垃圾堆放（{dl} 前办结）；"
            f"#{b.id} 1区1巷：路灯不亮（{dl} 前办结）"
        )
        assert chat.say("wx_s0", f"接单 {a.id} {c.id}") == (
            f"未能接单：#{a.id}：您已接单，无需重复，请在 {dl} 前办结；"
            f"#{c.id}：该诉求已办结，无需接单"
        )
        # a number inside the note is not another item
        e = report(d.alleys[0])
        assert chat.say("wx_s0", f"接单 {e.id} {a.id}号楼那件") == (
            f"已接单 #{e.id} 1区1巷：垃圾堆放，请在 {dl} 前办结"
        )
    assert {Issue.get_by_id(i).status for i in (a.id, b.id, e.id)} == {"accepted"}


def test_a_whistled_item_is_neither_accepted_nor_closed_by_a_steward(bot_app, fake_wechat, world):
    """The same rule for both, and the refusal says who holds it; staff close it, jointly."""
    chat = AibotClient(bot_app.test_client(), fake_wechat)
    d = world["district"]
    code, _ = auth.issue_bind_code(staff=world["staff"], issued_by="test")
    chat.say("wx_staff", f"绑定 {code}")
    item = report(d.alleys[0], "占道经营", "其他")
    assert chat.say("wx_staff", f"吹哨 {item.id} 城管 重大 需执法").startswith("已向城管吹哨")
    holder = f"该诉求已吹哨给城管联合处置，现由社区工作人员{world['staff'].display_name}跟进"
    assert chat.say("wx_s0", f"接单 {item.id}") == f"未能接单：{holder}，不能再接单"
    assert chat.say("wx_s0", f"办结 {item.id} 已清理") == (
        f"未能办结：{holder}，请由社区工作人员登记办结"
    )
    assert chat.say("wx_s0", f"上报 {item.id} 再看看") == f"未能上报：{holder}，不能再上报"
    assert Issue.get_by_id(item.id).status == "whistled"
    assert chat.say("wx_staff", f"办结 {item.id} 已拆除").startswith(
        f"已办结 #{item.id} 1区1巷：占道经营（联合处置）"
    )


def test_resolve_infers_the_level_from_the_history(bot_app, fake_wechat, world):
    """Escalated: 上报社区 whatever the note says below it; reopened after a whistle: this
    round's history only; said before the note: as said."""
    chat = AibotClient(bot_app.test_client(), fake_wechat)
    d = world["district"]
    escalated = report(d.alleys[0])
    chat.say("wx_s0", f"上报 {escalated.id} 需要物业配合")
    assert chat.say("wx_s0", f"办结 {escalated.id} 现场清理了").startswith(
        f"已办结 #{escalated.id} 1区1巷：垃圾堆放（上报社区）"
    )
    said = report(d.alleys[0])
    chat.say("wx_s0", f"上报 {said.id} 需要物业配合")
    assert chat.say("wx_s0", f"办结 {said.id} 现场解决：自己扫了").startswith(
        f"已办结 #{said.id} 1区1巷：垃圾堆放（现场解决）"
    )
    assert Issue.get_by_id(said.id).resolution_note == "自己扫了"
    # reopened after a joint round: the second round is judged on its own
    staff = Principal.for_user(world["staff"].user)
    reporter = resident()
    again = issues.create(
        reporter, alley=d.alleys[0], board=None, category="其他", content="违建"
    ).issue
    dept = Department.get(Department.name == "城管")
    unit_handling.whistle(staff, again.id, dept.id, "请城管", "major")
    issues.resolve(staff, again.id, "已拆除")
    assert Issue.get_by_id(again.id).resolution_level == "联合处置"
    issues.reopen(reporter, again.id, "又搭起来了")
    assert chat.say("wx_s0", f"办结 {again.id} 已劝导拆除").startswith(
        f"已办结 #{again.id} 1区1巷：违建（现场解决）"
    )


# --- wording ----------------------------------------------------------------------------------

# Two punctuation marks in a row (`。，`), but not an ellipsis or a quote closing a sentence.
DOUBLED = re.compile(r"[。，、；：！？,;:!?]{2,}")
# `未能` + a noun, or + a verb that means something else (未能实现: "did not come true").
MISREAD = re.compile(r"未能(详情|心愿|积分|存折|待办|帮助|菜单|实现|通过|不公开)")


def test_every_commands_refusals_read_as_chinese(bot_app, fake_wechat, world):
    """Walk every command with what gets it refused (nothing after it, a number that does not
    exist, someone else's item, a wish's number), as a steward and as staff, in a group:
    no doubled punctuation, no 未能 + noun, and every example is written with the @."""
    bridge = BridgeClient(bot_app.test_client(), fake_wechat)
    d = world["district"]
    groups.create(d.communities[0], "robot-key-0001", chat_id="CHAT1")
    code, _ = auth.issue_bind_code(staff=world["staff"], issued_by="test")
    bridge.say("wx_staff", f"绑定 {code}", chat="CHAT1")
    theirs = report(d.alleys[1])  # wx_s1's
    done = report(d.alleys[0])
    bridge.say("wx_s0", f"办结 {done.id} 已清理", chat="CHAT1")
    replies = []
    for name in COMMANDS:
        for args in ("", "99999", f"{theirs.id}", f"{done.id}", "心愿99999", "abc"):
            for who in ("wx_s0", "wx_staff"):
                got = bridge.say(who, f"@小巷管家 {name} {args}".strip(), chat="CHAT1")
                replies.append((who, name, args, got))
    refusals = [r for r in replies if r[3] and r[3].startswith("未能")]
    assert {r[1] for r in refusals} >= {"详情", "接单", "办结", "上报", "认领", "实现", "派单"}
    for who, name, args, got in replies:
        assert not DOUBLED.search(got), (who, name, args, got)
        assert not MISREAD.search(got), (who, name, args, got)
        for example in re.findall(r"例如[：“]([^，。；”]*)", got):
            assert example.startswith("@小巷管家 "), (who, name, args, got)
    # the refusal's example carries the number the person typed
    assert bridge.say("wx_s1", f"@小巷管家 办结 {theirs.id}", chat="CHAT1") == (
        f"未能办结：请写明办理情况，例如：@小巷管家 办结 {theirs.id} 垃圾已清运"
    )
    assert bridge.say("wx_s0", "@小巷管家 详情", chat="CHAT1") == (
        "未能查看详情：请写上诉求编号，例如：@小巷管家 详情 12"
    )


def test_a_stranger_in_the_group_is_told_how_to_bind_there(bot_app, fake_wechat, world):
    bridge = BridgeClient(bot_app.test_client(), fake_wechat)
    groups.create(world["district"].communities[0], "robot-key-0001", chat_id="CHAT1")
    assert bridge.say("wx_stranger", "@小巷管家 你好", chat="CHAT1") == (
        "您好，您还没有绑定身份。请向社区工作人员索取绑定码，然后发送：@小巷管家 绑定 绑定码"
    )


def test_binding_twice_says_you_are_bound(bot_app, fake_wechat, world):
    chat = AibotClient(bot_app.test_client(), fake_wechat)
    code, _ = auth.issue_bind_code(staff=world["staff"], issued_by="test")
    name = world["staff"].display_name
    assert chat.say("wx_staff", f"绑定 {code}") == (
        f"绑定成功：{name}，您已成为第1社区的工作人员。发送“帮助”查看指令"
    )
    bound = f"您已绑定（{name}，第1社区的工作人员），无需重复绑定；如需更换请联系社区"
    assert chat.say("wx_staff", f"绑定 {code}") == bound
    # staff are offered the two commands staff use most
    assert chat.say("wx_staff", "谢谢") == (
        "不客气！常用：“待办”查看等您处理的事，“派单 12 管家姓名”把诉求派给管家"
    )
    assert chat.say("wx_staff", "绑定") == bound
    assert chat.say("wx_staff", "绑定 ZZZZ9999") == bound
    # a steward from the roster is bound already
    assert chat.say("wx_s0", "绑定") == (
        f"您已绑定（{world['s0'].name}，1区1巷的小巷管家），无需重复绑定；如需更换请联系社区"
    )


# --- the nearest command, on its own ------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, meant",
    [
        ("办洁 16 已处理", "办结"),  # same syllables, and 洁 looks like 结
        ("办节 21 路灯修好", "办结"),  # same syllables
        ("半结 3", "办结"),  # same syllables, another tone
        ("接丹 1", "接单"),
        ("详清 5", "详情"),
        ("带办", "待办"),
        ("巡察", "巡查"),
        ("积份", "积分"),
        ("帮住", "帮助"),
        ("吹稍 3 城管", "吹哨"),
        ("认令 心愿3", "认领"),
        ("绑顶 AB12", "绑定"),
        ("办事 16", None),  # one character in common is not enough
        ("天气", None),
    ],
)
def test_the_nearest_command_by_sound_and_shape(bot_app, typed, meant):
    guess = closest(typed)
    assert (guess.command.name if guess else None) == meant


def test_sound_outweighs_a_shared_character(bot_app):
    """办洁 shares 办 with 待办 too: the command with the same syllables wins by far."""
    assert similarity("办洁", "办结") > 0.9
    assert similarity("办洁", "待办") < 0.5
    assert similarity("办节", "办结") > similarity("办节", "待办") + 0.5


def test_the_engine_never_runs_a_guess(bot_app, world):
    item = report(world["district"].alleys[0])
    msg = engine.Inbound(channel="app", msg_id="guess-1", sender="wx_s0", text=f"办洁 {item.id} 好")
    assert engine.handle(msg) == f"您是要“办结 {item.id} 好”吗？"
    assert Issue.get_by_id(item.id).status == "submitted"
