"""关怀提醒 through the chat (issue 32, part 3): staff send a care alert; each steward's own list
reaches them alone as a WeCom app message (read back from the fake WeCom), the group reads
only "请查看私信的关怀名单（N 户）"; the stewards answer per household in the private chat
through the signed app callback (`已联系 N`, `已上门 N 说明`, `需帮助 N 说明`), each answer a
visit, 需帮助 an item staff see; the unanswered are reminded after `CARE_REMINDER_HOURS`.
Every group body — each robot row as written and each message the fake WeCom received — is
read for the households' names, addresses and phones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.delivery import groups, outbox
from core.households import cards, care_alerts
from core.people.permissions import Principal
from jobs import reminders
from models import Event, Household, Issue, OutboxMessage, Steward, Visit
from models.care import CareTarget
from tests.bot.clients import AppClient
from tests.bot.fixtures import online_bot_app
from tests.factories import make_district, make_staff

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
ROBOT_KEY = "robot-key-care-1"

# (steward index, head, phone, address, tags)
HOUSEHOLDS = [
    (0, "赵桂兰", "13900004321", "1区1巷7号", ["独居老人"]),
    (0, "钱大爷", "13900004322", "1区1巷9号", ["空巢老人", "低保"]),
    (0, "孙婆婆", "13900004323", "1区1巷11号", ["残疾"]),
    (0, "李四海", "13900004324", "1区1巷13号", ["低保"]),  # no tag of the alert
    (1, "周阿婆", "13900004325", "1区2巷2号", ["独居老人"]),
    (1, "吴老伯", "13900004326", "1区2巷4号", ["重病"]),
    (2, "郑奶奶", "13900004327", "2区1巷1号", ["独居老人"]),  # another community
]
MEMBER = "赵小明"
HELP = "暖气片漏水需要维修"


@pytest.fixture
def care_app(tmp_path, fake_wechat):
    """Online: the WeCom app callback and the self-built app configured against the fake."""
    with online_bot_app(tmp_path, fake_wechat) as application:
        yield application


class World:
    def __init__(self, app, fake):
        self.fake = fake
        d = self.d = make_district()
        self.s0, self.s1 = d.stewards[0], d.stewards[1]
        Steward.update(wecom_userid="wx_s0").where(Steward.id == self.s0.id).execute()
        Steward.update(wecom_userid="wx_s1").where(Steward.id == self.s1.id).execute()
        self.staff = Principal.for_user(make_staff(d.communities[0]).user)
        admin = Principal.for_user(make_staff(d.street, role="admin").user)
        groups.create(d.communities[0], ROBOT_KEY)
        fake.add_robot(ROBOT_KEY)
        self.households = []
        for n, head, phone, address, tags in HOUSEHOLDS:
            self.households.append(
                cards.create(
                    admin,
                    {
                        "alley_id": d.alleys[n].id,
                        "steward_id": d.stewards[n].id,
                        "address": address,
                        "head_name": head,
                        "head_phone": phone,
                        "members": [{"name": MEMBER, "relation": "孙子"}] if n == 0 else [],
                        "tags": tags,
                    },
                )
            )
        self.chat = AppClient(app.test_client(), fake)

    def send_alert(self, **kw) -> int:
        alert = care_alerts.create(
            self.staff,
            kw.get("area", self.d.communities[0].id),
            kw.get("kind", "寒潮"),
            kw.get("tags", ["独居老人", "空巢老人", "残疾", "重病"]),
            "今晚最低气温零下8度，请确认取暖和用电安全",
        )
        outbox.deliver_due()
        return alert.id

    def private_texts(self, userid: str) -> list[str]:
        return [
            m["body"]["text"]["content"]
            for m in self.fake.app_messages
            if m["body"]["touser"] == userid
        ]

    def group_texts(self) -> list[str]:
        return [m["body"]["text"]["content"] for m in self.fake.robot_messages[ROBOT_KEY]]

    def assert_no_household_in_a_group(self) -> None:
        secrets = [MEMBER, HELP]
        for _, head, phone, address, _ in HOUSEHOLDS:
            secrets += [head, phone, address]
        rows = OutboxMessage.select().where(OutboxMessage.kind == "robot")
        bodies = [str(r.payload) for r in rows] + [
            str(m["body"]) for m in self.fake.robot_messages[ROBOT_KEY]
        ]
        assert bodies
        for body in bodies:
            for secret in secrets:
                assert secret not in body, (secret, body)


@pytest.fixture
def world(care_app, fake_wechat):
    return World(care_app, fake_wechat)


def test_each_steward_reads_their_own_list_privately_and_the_group_only_the_count(world):
    alert_id = world.send_alert()
    (s0_list,) = world.private_texts("wx_s0")
    assert s0_list.splitlines()[:5] == [
        "【关怀提醒·寒潮】今晚最低气温零下8度，请确认取暖和用电安全",
        "您包联的以下 3 户请及时电话或上门看望：",
        "1. 赵桂兰（独居老人）1区1巷7号 13900004321",
        "2. 钱大爷（空巢老人）1区1巷9号 13900004322",
        "3. 孙婆婆（残疾）1区1巷11号 13900004323",
    ]
    assert "李四海" not in s0_list and "周阿婆" not in s0_list  # not tagged; not theirs
    (s1_list,) = world.private_texts("wx_s1")
    assert "1. 周阿婆" in s1_list and "2. 吴老伯" in s1_list and "赵桂兰" not in s1_list
    assert "郑奶奶" not in s0_list + s1_list  # outside the alert's community
    assert sorted(world.group_texts()) == sorted(
        [
            f"【关怀提醒·寒潮】{world.s0.name}：请查看私信的关怀名单（3 户）",
            f"【关怀提醒·寒潮】{world.s1.name}：请查看私信的关怀名单（2 户）",
        ]
    )
    mentioned = [
        m["body"]["text"]["mentioned_mobile_list"] for m in world.fake.robot_messages[ROBOT_KEY]
    ]
    assert sorted(mentioned) == sorted([[world.s0.phone], [world.s1.phone]])
    sent = Event.select().where(Event.action == "care_alert.list_sent")
    assert sorted(
        (e.data["steward_id"], e.data["via"], len(e.data["household_ids"])) for e in sent
    ) == sorted([(world.s0.id, "private", 3), (world.s1.id, "private", 2)])
    assert Event.get(Event.action == "care_alert.create").subject_id == alert_id
    world.assert_no_household_in_a_group()


def test_a_steward_without_a_wecom_account_is_sent_to_the_mini_program(world):
    Steward.update(wecom_userid=None).where(Steward.id == world.s1.id).execute()
    world.send_alert()
    assert world.private_texts("wx_s1") == []
    assert f"【关怀提醒·寒潮】{world.s1.name}：请在小程序“关怀提醒”中查看关怀名单（2 户）" in (
        world.group_texts()
    )
    via = {
        e.data["steward_id"]: e.data["via"]
        for e in Event.select().where(Event.action == "care_alert.list_sent")
    }
    assert via == {world.s0.id: "private", world.s1.id: "miniprogram"}
    world.assert_no_household_in_a_group()


def test_dialogue_answers_in_the_private_chat(world):
    alert_id = world.send_alert()
    say = world.chat.say
    assert (
        say("wx_s0", "已联系 1")
        == "已记录：关怀名单第 1 户 已联系（已回复 1/3 户，还有 2 户未回复）"
    )
    assert say("wx_s0", "已上门 ２ 一切正常，炉子检查过了") == (
        "已记录：关怀名单第 2 户 已上门（已回复 2/3 户，还有 1 户未回复）"
    )
    reply = say("wx_s0", f"需帮助 第3户 {HELP}")
    issue = Issue.get(Issue.category == "助老帮残")
    assert reply == (
        f"已记录：关怀名单第 3 户 需帮助，已转社区处理（诉求 #{issue.id}），社区工作人员会跟进"
        "（已回复 3/3 户，全部已回复，辛苦了）"
    )
    # refusals: one line each, nothing written
    assert say("wx_s0", f"需帮助 3 {HELP}") == (
        f"未能登记需帮助：该户已转社区处理（诉求 #{issue.id}），请在小程序查看进展"
    )
    assert (
        say("wx_s0", "需帮助 2")
        == "未能登记需帮助：请写明需要什么帮助，例如：需帮助 2 暖气坏了需要维修"
    )
    assert say("wx_s0", "已联系 9") == "未能登记已联系：关怀名单中没有第 9 户"
    assert say("wx_s0", "已联系") == "未能登记已联系：请写上关怀名单中的序号，例如：已联系 3"
    assert Issue.select().where(Issue.category == "助老帮残").count() == 1
    # s1's numbers are s1's own: their 1 is 周阿婆, not 赵桂兰
    assert say("wx_s1", "已联系 1").startswith("已记录：关怀名单第 1 户 已联系（已回复 1/2 户")

    by_head = {h.head_name: h for h in Household.select()}
    visits = {v.household.head_name: v.note for v in Visit.select()}
    assert visits == {
        "赵桂兰": "关怀提醒·寒潮：已联系",
        "钱大爷": "关怀提醒·寒潮：已上门，一切正常，炉子检查过了",
        "孙婆婆": f"关怀提醒·寒潮：需帮助，{HELP}",
        "周阿婆": "关怀提醒·寒潮：已联系",
    }
    assert Household.get_by_id(by_head["赵桂兰"].id).last_visit_at is not None
    # the item: kept back from the public, escalated to staff, naming no household
    issue = Issue.get_by_id(issue.id)
    assert (issue.visibility, issue.status, issue.source) == ("hidden", "escalated", "steward")
    assert (
        HELP in issue.content
        and "孙婆婆" not in issue.content
        and "1区1巷11号" not in issue.content
    )
    target = CareTarget.get(CareTarget.household == by_head["孙婆婆"].id)
    assert (target.status, target.issue_id) == ("needs_help", issue.id)
    answers = Event.select().where(Event.action == "care_alert.answer")
    assert sorted((e.data["seq"], e.data["result"]) for e in answers) == [
        (1, "contacted"),
        (1, "contacted"),
        (2, "visited"),
        (3, "needs_help"),
    ]
    assert all(e.actor_id is not None for e in answers)

    progress = care_alerts.progress(world.staff, alert_id, via="test")
    assert (progress["answered"], progress["total"], progress["needs_help"]) == (4, 5, 1)
    first = progress["stewards"][0]  # the one with most outstanding first
    assert (first["steward"]["id"], first["outstanding"]) == (world.s1.id, [2])
    outbox.deliver_due()
    world.assert_no_household_in_a_group()


def test_an_answer_in_the_group_names_no_household(world):
    world.send_alert()
    reply = world.chat.say("wx_s0", "已上门 1 赵桂兰家一切正常")
    assert reply.startswith("已记录：关怀名单第 1 户 已上门") and "赵桂兰" not in reply


def test_the_unanswered_are_reminded_once_after_the_hours(world, care_app):
    care_app.config["CARE_REMINDER_HOURS"] = 6
    with time_machine.travel(T0, tick=False) as clock:
        world.send_alert()
        world.chat.say("wx_s1", "已联系 1")
        world.chat.say("wx_s1", "已上门 2")
        world.chat.say("wx_s0", "已联系 2")
        clock.shift(timedelta(hours=5, minutes=59))
        assert reminders.scan()["care_unanswered"] == 0
        clock.shift(timedelta(minutes=2))
        assert reminders.scan()["care_unanswered"] == 1
        outbox.deliver_due()
        reminder = world.private_texts("wx_s0")[-1]
        assert reminder.splitlines() == [
            "【关怀提醒·寒潮·提醒】12月7日 09:00 发出的关怀名单还有 2 户未回复：",
            "1. 赵桂兰 1区1巷7号",
            "3. 孙婆婆 1区1巷11号",
            "请回复：已联系 序号；已上门 序号 情况；需帮助 序号 说明",
        ]
        assert len(world.private_texts("wx_s1")) == 1  # answered everything: not reminded
        assert (
            f"【关怀提醒·寒潮】{world.s0.name}：关怀名单还有 2 户未回复，请查看私信"
            in world.group_texts()
        )
        clock.shift(timedelta(hours=6))
        assert reminders.scan()["care_unanswered"] == 0  # once
        remind = Event.get(Event.action == "care_alert.remind")
        assert remind.data["household_ids"] == [world.households[0].id, world.households[2].id]
    world.assert_no_household_in_a_group()
