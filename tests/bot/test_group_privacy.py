"""Nothing private in a group message (issue 27).

A world whose items carry everything that must never reach a group: a resident's phone, held
(not yet moderated) words and photos, a household's card, a wish still waiting for review, a
resident's reopen reason with a phone in it. Every bot command (read from
`bot.commands.COMMANDS`, so a new command is walked too) is sent by a steward and by staff in
the group through the real signed callbacks (the smart bot, whose replies here all go out
through the group robot, and the relay), and every push is caused (new item, reopen, 上报,
派单, wishes, the reminder digests, the daily report, the assessment). Every group body —
each reply and each robot row as it is written, then each message the fake WeCom received —
is read for the secrets; what the asker may see reaches them, and only them, as a private
message from the WeCom app through the fake server.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from wechatpy.crypto import _get_signature

from bot.commands import COMMANDS
from core import media
from core.delivery import groups, outbox
from core.figures import assessment, report_text, reports
from core.households import cards, care_alerts, plans
from core.items import issues, privacy, wishes
from core.people import auth
from core.people.permissions import Principal
from infra.timeutil import to_local
from jobs import daily_report, reminders
from models import Issue, Media, OutboxMessage, Steward, User, Wish
from tests.bot.clients import AIBOT_TOKEN, AibotClient, AppClient, BridgeClient, bot_config, jpeg
from tests.bot.fixtures import online_bot_app
from tests.conftest import make_app
from tests.factories import make_district, make_staff
from tests.fake_wechat import openid_for

T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # Friday 09:00 in Shanghai
CHAT = "CHAT-PRIVACY"
ROBOT_KEY = "robot-key-privacy-1"
STAFF_ROBOT_KEY = "robot-key-privacy-staff"

PHONE = "13800001234"  # the resident's
# Held for review (张阿姨 is the fake msgSecCheck's review word here).
HELD = "三号楼张阿姨家门口电线私拉乱接，晚上冒火花"
LATER = "五号楼张阿姨家楼道堆满纸箱，消防通道不通"
REOPEN = f"还是没修好，请打 {PHONE} 找我"
HOUSEHOLD = {
    "address": "槐花里7号302室",
    "head_name": "赵桂兰",
    "head_phone": "13900004321",
    "members": [{"name": "赵小明", "relation": "孙子", "phone": "13900005678"}],
}
# A second household on the care alert's list, left unanswered so the reminder names it.
CARE_HOUSEHOLD = {"address": "槐花里9号101室", "head_name": "钱玉珍", "head_phone": "13900004444"}
WISH = {"display_name": "孙大爷", "title": "给独居老人买助听器", "content": "耳朵背听不见敲门"}
WISH_PHONE = "13700007777"

# Always secret, whatever happens to the items.
ALWAYS = [
    PHONE,
    WISH_PHONE,
    "还是没修好",
    HOUSEHOLD["address"],
    HOUSEHOLD["head_name"],
    HOUSEHOLD["head_phone"],
    "赵小明",
    "13900005678",
    *CARE_HOUSEHOLD.values(),
]
# Secret while the item's words may not be shown (core.items.privacy).
HELD_PARTS = ["三号楼张阿姨", "电线私拉乱接"]
LATER_PARTS = ["五号楼张阿姨", "楼道堆满纸箱"]
WISH_PARTS = [WISH["display_name"], WISH["title"][:6], WISH["content"][:6]]


@pytest.fixture
def private_app(tmp_path, fake_wechat):
    """Online: the mini program, the WeCom callbacks and the self-built app all configured
    against the fake; every smart-bot reply goes out through the group robot (a reply slower
    than the budget does), so those are group bodies too."""
    fake_wechat.enforce_recent_visit = False
    fake_wechat.review_words = {"张阿姨": 21000}
    with online_bot_app(tmp_path, fake_wechat, AIBOT_REPLY_BUDGET_SECONDS=-1) as application:
        yield application


class World:
    """The district, its people and items, and the check of every group body."""

    def __init__(self, app, fake):
        self.app, self.fake = app, fake
        d = self.d = make_district()
        self.s0, self.s1 = d.stewards[0], d.stewards[1]  # 1区1巷, 1区2巷 of 第1社区
        Steward.update(wecom_userid="wx_s0").where(Steward.id == self.s0.id).execute()
        Steward.update(wecom_userid="wx_s1").where(Steward.id == self.s1.id).execute()
        self.staff = make_staff(d.communities[0])
        self.p_staff = Principal.for_user(self.staff.user)
        self.group = groups.create(d.communities[0], ROBOT_KEY, chat_id=CHAT)
        groups.create(d.communities[0], STAFF_ROBOT_KEY, audience="staff")
        fake.add_robot(ROBOT_KEY)
        fake.add_robot(STAFF_ROBOT_KEY)
        self.aibot = AibotClient(app.test_client(), fake)
        self.bridge = BridgeClient(app.test_client(), fake)
        self.app_chat = AppClient(app.test_client(), fake)
        user = User.create(openid=openid_for("居民甲"), nickname="居民甲")
        self.resident = Principal.for_user(user)
        self.held_photos = [media.save_image(jpeg(c), user).id for c in ("red", "blue")]
        self.public_photos = [media.save_image(jpeg("green"), user).id]
        self.checked_rows = 0  # robot rows read so far
        self.replies: list[str] = []

    # --- what must not be read in a group ---------------------------------------------------

    def secrets(self) -> list[str]:
        found = list(ALWAYS)
        for issue, parts in ((self.held, HELD_PARTS), (self.later, LATER_PARTS)):
            if not privacy.issue_words_shown(Issue.get_by_id(issue.id)):
                found += parts
        if not privacy.wish_shown(Wish.get_by_id(self.wish.id)):
            found += WISH_PARTS
        return found

    def secret_photos(self) -> set[str]:
        """sha256 of the held item's photos while they may not be shown."""
        held = Issue.get_by_id(self.held.id)
        if privacy.issue_words_shown(held):
            return set()
        return {Media.get_by_id(i).sha256 for i in self.held_photos}

    def check(self, text: str, where: str) -> None:
        leaked = [s for s in self.secrets() if s in text]
        assert not leaked, f"{where} carries {leaked}: {text}"

    def check_rows(self) -> None:
        """Every robot row written since the last check, as it is (its secrets as of now)."""
        rows = list(
            OutboxMessage.select()
            .where((OutboxMessage.kind == "robot") & (OutboxMessage.id > self.checked_rows))
            .order_by(OutboxMessage.id)
        )
        photos = self.secret_photos()
        for row in rows:
            image = row.payload.get("image") or {}
            if "media" in image:
                assert image["media"]["sha256"] not in photos, row.idempotency_key
            elif "base64" in image:
                raw = base64.b64decode(image["base64"])
                assert hashlib.sha256(raw).hexdigest() not in photos, row.idempotency_key
            else:
                self.check(json.dumps(row.payload, ensure_ascii=False), row.idempotency_key)
            self.checked_rows = row.id

    def say(self, sender: str, text: str) -> None:
        """In the group, through both group channels; every reply and row is checked."""
        reply = self.bridge.say(sender, text, chat=CHAT)
        if reply is not None:
            self.check(reply, f"reply to {sender}: {text}")
            self.replies.append(reply)
        assert self.aibot.say(sender, text, chat=CHAT) is None  # it went to the group robot
        self.check_rows()


def build(w: World) -> None:
    d = w.d
    code, _ = auth.issue_bind_code(staff=w.staff, issued_by="test")
    assert w.bridge.say("wx_staff", f"绑定 {code}").startswith("绑定成功")
    w.held = issues.create(
        w.resident,
        alley=d.alleys[0],
        board=None,
        category="环境卫生",
        content=HELD,
        photo_ids=w.held_photos,
        location={"address": "槐花里路口"},
        contact_phone=PHONE,
    ).issue
    assert w.held.visibility == "held"
    w.later = issues.create(  # left alone: reminded, escalated, reported
        w.resident,
        alley=d.alleys[0],
        board=None,
        category="环境卫生",
        content=LATER,
        contact_phone=PHONE,
    ).issue
    w.public = issues.create(
        w.resident,
        alley=d.alleys[0],
        board=None,
        category="设施损坏",
        content="路灯不亮",
        photo_ids=w.public_photos,
        contact_phone=PHONE,
    ).issue
    assert w.public.visibility == "public"
    w.wish = wishes.create(
        w.resident, alley=d.alleys[0], beneficiary_type="elderly", contact_phone=WISH_PHONE, **WISH
    )
    w.published = wishes.create(
        w.resident,
        alley=d.alleys[0],
        beneficiary_type="elderly",
        display_name="李奶奶",
        title="想要一台收音机",
        content="想听戏",
    )
    wishes.approve(w.p_staff, w.published.id)
    household = cards.create(
        w.p_staff,
        {"alley_id": d.alleys[0].id, "steward_id": w.s0.id, **HOUSEHOLD, "tags": ["独居老人"]},
    )
    cards.create(
        w.p_staff,
        {"alley_id": d.alleys[0].id, "steward_id": w.s0.id, **CARE_HOUSEHOLD, "tags": ["空巢老人"]},
    )
    plans.create(
        w.p_staff,
        household.id,
        {"group": "鳏寡孤独", "plan": "每天上门看看", "member_name": "赵桂兰", "interval_days": 1},
    )
    w.check_rows()


def private_texts(fake, user: str) -> list[str]:
    return [m["body"]["text"]["content"] for m in fake.app_messages if m["body"]["touser"] == user]


def deliver_all(clock) -> None:
    """Send every queued row through the fake, a minute at a time (the robots take 20 a
    minute), until none is left to send."""
    for _ in range(200):
        outbox.deliver_due(retries_now=True, limit=1000)
        if not OutboxMessage.select().where(OutboxMessage.status == "pending").exists():
            return
        clock.shift(timedelta(seconds=61))
    raise AssertionError("the outbox did not drain")


@pytest.mark.slow  # every command and push, 12 s of CPU (docs/testing.md)
def test_no_command_and_no_push_puts_anything_private_in_a_group(private_app, fake_wechat):
    fake = fake_wechat
    w = World(private_app, fake)
    with time_machine.travel(T0, tick=False) as clock:
        build(w)
        held = w.held.id

        # 详情: the group reads no phone, no held words, no held photo; the asker is told
        # privately; in a single chat with the app the reply carries what they may see.
        assert w.bridge.say("wx_s1", f"详情 {held}", chat=CHAT).startswith("未能查看详情")
        w.say("wx_s0", f"详情 {held}")
        w.say("wx_staff", f"详情 {held}")
        w.say("wx_s0", f"详情 {w.public.id}")  # public photos may go to the group
        assert "联系电话和内容已私信发给您" in w.replies[0]
        assert "照片 2 张（待审核），请在小程序查看" in w.replies[0]
        single = w.app_chat.say("wx_s0", f"详情 {held}")
        assert f"联系电话：{PHONE}" in single and f"内容：{HELD}" in single

        # the pushes: 派单 to the other alley's steward (the first is told privately), 上报,
        # 办结 and the resident's reopen with a phone in the reason, a wish (the other one waits
        # for review until the walk below approves it)
        clock.shift(timedelta(minutes=5))
        w.say("wx_staff", f"派单 {held} {w.s1.name}")
        w.say("wx_s1", f"上报 {held} 电线要供电所来处理")
        w.say("wx_s1", f"办结 {held} 供电所已重新接线")
        issues.reopen(w.resident, held, REOPEN)
        w.check_rows()
        w.say("wx_s0", f"认领 心愿{w.published.id}")
        w.say("wx_s0", f"实现 心愿{w.published.id} 收音机已送到")

        # 关怀提醒: the list to the steward alone, the group the count; 需帮助 said in the
        # group files an item kept back from the public; the scans below remind of the other
        care_alerts.create(w.p_staff, w.d.communities[0].id, "寒潮", ["独居老人", "空巢老人"], "")
        w.check_rows()
        w.say("wx_s0", "需帮助 1 家里暖气坏了")
        assert w.replies[-1].startswith("已记录：关怀名单第 1 户 需帮助")

        # the reminder digests, the daily report, the assessment, over the following days
        for hours in (26, 38, 50, 75):  # wish review; due soon; overdue; overdue a day later
            clock.move_to(T0 + timedelta(hours=hours))
            reminders.scan()
            w.check_rows()
        clock.move_to(T0 + timedelta(days=3, minutes=-30))  # Monday 08:30
        day = to_local(T0).date() + timedelta(days=2)
        daily_report.send_all(day)  # every group's report, read in one batch
        one = reports.build(w.d.communities[0], day)  # one group's (send_for_group, --dry-run)
        w.check(report_text.markdown(one), "the report of one group")
        reminder, _ = report_text.overdue_reminder(one)
        w.check(reminder, "the overdue reminder of one group")
        assessment.run(assessment.Quarter.of(to_local(T0).date()), w.d.communities[0])
        w.check_rows()

        # every command, as a steward and as staff, with each shape of argument it may take
        args = [
            "",
            f"{held}",
            f"{held} 已处理",
            f"{held} {w.s0.name}",
            f"{held} 城管 需要执法",
            f"心愿{w.wish.id} 不符合条件",
            f"心愿{w.published.id} 已送到",
        ]
        for name in COMMANDS:
            for sender in ("wx_s0", "wx_staff"):
                for arg in args:
                    w.say(sender, f"{name} {arg}".strip())
        deliver_all(clock)

    # every kind of push was caused (a new push template gets walked by adding it here)
    keys = [r.idempotency_key for r in OutboxMessage.select().where(OutboxMessage.kind == "robot")]
    for wanted in (
        "robot:issue:",  # create, reopen, escalate, assign
        "robot:wish:",  # approve, fulfil
        "robot:details:",
        "robot:reply:aibot:",
        "remind:digest:group:",
        "report:",
        "assessment:",
    ):
        assert any(k.startswith(wanted) for k in keys), wanted
    actions = {
        r.idempotency_key.split(":")[3]
        for r in OutboxMessage.select().where(
            OutboxMessage.idempotency_key.startswith("robot:issue:")
        )
    }
    assert {"create", "reopen", "escalate", "assign"} <= actions
    digests = " ".join(
        r.payload.get("text", {}).get("content", "")
        for r in OutboxMessage.select().where(OutboxMessage.idempotency_key.startswith("remind:"))
    )
    for section in ("【即将到期】", "【已超期】", "【超期提醒】", "【心愿待审核】", "【走访提醒】"):
        assert section in digests

    # what WeCom received in the groups: nothing private, ever
    bodies = [m["body"] for key in (ROBOT_KEY, STAFF_ROBOT_KEY) for m in fake.robot_messages[key]]
    assert len(bodies) == OutboxMessage.select().where(OutboxMessage.kind == "robot").count()
    for body in bodies:
        text = json.dumps(body, ensure_ascii=False)
        assert not [s for s in ALWAYS if s in text], text

    # and what it delivered privately, to whom: the phone to those who asked and may see it
    assert OutboxMessage.select().where(OutboxMessage.status != "sent").count() == 0
    assert f"联系电话：{PHONE}" in private_texts(fake, "wx_s0")[0]
    assert f"联系电话：{PHONE}" in private_texts(fake, "wx_staff")[0]
    for message in fake.app_messages:
        body = message["body"]
        assert body["agentid"] == fake.agent_id and body["safe"] == 1
    who_got_the_phone = {
        m["body"]["touser"] for m in fake.app_messages if PHONE in m["body"]["text"]["content"]
    }
    # wx_s1 was refused 详情 while the item was not theirs; after the 派单 it is, and the
    # reopen reason (with the resident's phone in it) went to them alone
    assert who_got_the_phone == {"wx_s0", "wx_staff", "wx_s1"}
    assert any(REOPEN in t for t in private_texts(fake, "wx_s1"))
    assert not any(REOPEN in t for t in private_texts(fake, "wx_s0"))
    assert any("您无需再办理" in t for t in private_texts(fake, "wx_s0"))
    # the care list and its reminder went to the steward alone, households named
    assert any("2. 钱玉珍" in t and "请逐户回复" in t for t in private_texts(fake, "wx_s0"))
    assert any("还有 1 户未回复：\n2. 钱玉珍" in t for t in private_texts(fake, "wx_s0"))


def test_with_no_app_configured_the_group_is_told_where_to_look(tmp_path, fake_wechat):
    """Online without WECOM_AGENT_ID: no private message can be sent, so none is queued and
    the group line says where to read the phone instead."""
    fake_wechat.enforce_recent_visit = False
    app = make_app(
        tmp_path,
        **bot_config(fake_wechat, WECHAT_APPID=fake_wechat.appid, WECHAT_SECRET=fake_wechat.secret),
    )
    with app.app_context():
        d = make_district()
        Steward.update(wecom_userid="wx_s0").where(Steward.id == d.stewards[0].id).execute()
        groups.create(d.communities[0], ROBOT_KEY, chat_id=CHAT)
        user = User.create(openid=openid_for("居民乙"), nickname="居民乙")
        issue = issues.create(
            Principal.for_user(user),
            alley=d.alleys[0],
            board=None,
            category="设施损坏",
            content="路灯不亮",
            contact_phone=PHONE,
        ).issue
        bridge = BridgeClient(app.test_client(), fake_wechat)
        reply = bridge.say("wx_s0", f"详情 {issue.id}", chat=CHAT)
        assert PHONE not in reply and reply.endswith("\n联系电话请在小程序查看")
        assert "内容：路灯不亮" in reply
        assert not OutboxMessage.select().where(OutboxMessage.kind == "private").exists()
        # in a single chat the reply itself is private
        assert f"联系电话：{PHONE}" in bridge.say("wx_s0", f"详情 {issue.id}")


def test_a_smart_bot_message_is_private_only_in_a_single_chat(private_app, fake_wechat):
    """WeCom says `chattype`: a group message that came without its chat id is still read by
    the group, so the reply carries no phone; a single chat's does."""
    d = make_district()
    Steward.update(wecom_userid="wx_s0").where(Steward.id == d.stewards[0].id).execute()
    user = User.create(openid=openid_for("居民丙"), nickname="居民丙")
    fake_wechat.enforce_recent_visit = False
    issue = issues.create(
        Principal.for_user(user),
        alley=d.alleys[0],
        board=None,
        category="设施损坏",
        content="路灯不亮",
        contact_phone=PHONE,
    ).issue
    aibot = AibotClient(private_app.test_client(), fake_wechat)
    message = {
        "msgid": "aibot-group-without-id",
        "aibotid": "AIBOTID",
        "chatid": "",
        "chattype": "group",
        "from": {"userid": "wx_s0"},
        "msgtype": "text",
        "text": {"content": f"@小巷管家 详情 {issue.id}"},
    }
    encrypted = aibot.encrypt(message)
    ts, nonce = str(int(time.time())), "n0nce"
    res = private_app.test_client().post(
        "/bot/wecom/aibot",
        query_string={
            "msg_signature": _get_signature(AIBOT_TOKEN, ts, nonce, encrypted),
            "timestamp": ts,
            "nonce": nonce,
        },
        json={"encrypt": encrypted},
    )
    reply = aibot.reply(res)
    assert PHONE not in reply and reply.endswith("\n联系电话已私信发给您")
    assert f"联系电话：{PHONE}" in aibot.say("wx_s0", f"详情 {issue.id}")  # chattype single
