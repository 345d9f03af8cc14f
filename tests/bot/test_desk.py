# ruff: noqa: F811  (the fixtures imported from test_bot_commands are parameters here)
"""The group as the steward's whole desk (issue 14): staff commands and refusals through the
signed smart-bot callback, wishes from chat, photos after a new issue, notes kept as typed
from chat to the tracking page and the ledger, and credit for the co-steward who acted."""

from __future__ import annotations

import io
from datetime import timedelta

import time_machine
from openpyxl import load_workbook

from core.delivery import groups, outbox
from core.figures import assessment, ledger, report_card, reports
from core.items import issues, wishes
from core.people import auth
from core.people.permissions import Principal
from core.timebank import passbook
from core.timebank import postings as timebank_ledger
from infra.timeutil import month_day_time as when
from infra.timeutil import to_local
from models import Issue, Media, OutboxMessage, StewardAlley, Wish
from tests.bot.clients import T0, AibotClient, jpeg, report, resident
from tests.factories import login_staff


def aibot(bot_app, fake_wechat) -> AibotClient:
    return AibotClient(bot_app.test_client(), fake_wechat)


def bind_staff(chat, world) -> None:
    code, _ = auth.issue_bind_code(staff=world["staff"], issued_by="test")
    assert chat.say("wx_staff", f"绑定 {code}").startswith("绑定成功")


def make_wish(alley) -> Wish:
    return wishes.create(
        resident(),
        alley=alley,
        beneficiary_type="elderly",
        display_name="王奶奶",
        title="想要一台收音机",
        content="想听戏",
    )


def test_staff_desk_in_the_group(bot_app, fake_wechat, world):
    """待办 for staff lists what waits; 通过, 驳回, 公开, 不公开, 派单 are the workflow's calls
    with the workflow's checks; a steward trying them is refused with the reason."""
    chat = aibot(bot_app, fake_wechat)
    d, _s0, s1 = world["district"], world["s0"], world["s1"]
    group = groups.create(d.communities[0], "robot-key-0001", chat_id="CHAT1")
    with time_machine.travel(T0, tick=False) as clock:
        bind_staff(chat, world)
        wish, other = make_wish(d.alleys[0]), make_wish(d.alleys[0])
        late = report(d.alleys[0], "路灯坏了")
        clock.shift(timedelta(days=3))
        got = chat.say("wx_staff", "@小巷管家 待办", chat="CHAT1")
        assert got.startswith("社区待办：\n待审核心愿 2：")
        assert f"超期 1：#{late.id} 1区1巷（@小巷管家 派单 N 管家姓名）" in got
        # stewards may not review: the workflow's refusal, said plainly
        assert (
            chat.say("wx_s0", f"通过 心愿{wish.id}") == "未能审核通过：只有社区工作人员可以审核心愿"
        )
        assert chat.say("wx_staff", f"通过 心愿{wish.id}") == (
            f"已审核通过 心愿{wish.id} 王奶奶：想要一台收音机，已发布待认领"
        )
        assert Wish.get_by_id(wish.id).status == "published"
        assert chat.say("wx_staff", f"驳回 心愿{other.id}") == (
            f"未能驳回：请写明驳回原因，例如：驳回 心愿{other.id} 已由民政救助"
        )
        assert chat.say("wx_staff", f"驳回 心愿{other.id} 已由民政救助（重复申请）。") == (
            f"已驳回 心愿{other.id} 王奶奶：想要一台收音机：已由民政救助（重复申请）。"
        )
        assert Wish.get_by_id(other.id).reject_reason == "已由民政救助（重复申请）。"
        assert chat.say("wx_staff", f"通过 心愿{wish.id}") == (
            "未能审核通过：该心愿当前为“待认领”，不能审核通过"
        )
        # moderation
        assert chat.say("wx_s0", f"公开 {late.id}") == "未能公开：只有社区工作人员可以审核公开内容"
        assert chat.say("wx_staff", f"不公开 {late.id} 涉及隐私") == (
            f"已设为不公开 #{late.id}（环境卫生），仍照常办理"
        )
        assert Issue.get_by_id(late.id).visibility == "hidden"
        assert chat.say("wx_staff", f"公开 {late.id}") == f"已公开 #{late.id} 1区1巷：路灯坏了"
        assert Issue.get_by_id(late.id).visibility == "public"
        # dispatch to a named steward of the community, and the refusals
        assert chat.say("wx_staff", f"派单 {late.id} 查无此人") == (
            "未能派单：找不到本社区在任的管家“查无此人”"
        )
        assert (
            chat.say("wx_s0", f"派单 {late.id} {s1.name}") == "未能派单：只有社区工作人员可以派单"
        )
        got = chat.say("wx_staff", f"派单 {late.id} {s1.name}")
        due = when(Issue.get_by_id(late.id).deadline)
        assert got == (
            f"已派单 #{late.id} 1区1巷：路灯坏了 给{s1.name}，期限 {due}，已通知{s1.name}"
        )
        assert [s.id for s in Issue.get_by_id(late.id).assigned_stewards()] == [s1.id]
        # the hand-off is told: the group @-mentions the new steward, the old one privately
        told = {
            r.kind: r
            for r in OutboxMessage.select().where(
                OutboxMessage.idempotency_key.contains(f"issue:{late.id}:assign:")
            )
        }
        assert told["robot"].target == "robot-key-0001"
        assert told["robot"].payload["text"]["mentioned_list"] == ["wx_s1"]
        assert (
            told["robot"]
            .payload["text"]["content"]
            .startswith(f"【改派】#{late.id} 1区1巷·环境卫生：路灯坏了\n{_s0.name} → {s1.name}（")
        )
        assert told["private"].target == "wx_s0"
        # help shows each role only its own commands
        staff_help = chat.say("wx_staff", "帮助", chat="CHAT1")
        steward_help = chat.say("wx_s0", "帮助", chat="CHAT1")
    assert "通过 心愿N" in staff_help and "派单 N 管家姓名" in staff_help
    assert "巡查" not in staff_help and "积分" not in staff_help
    assert "通过 心愿N" not in steward_help and "接单 N" in steward_help
    assert "“@小巷管家 接单 12”" in steward_help  # in a group the smart bot needs the @
    assert group.id


def test_wishes_from_chat(bot_app, fake_wechat, world):
    chat = aibot(bot_app, fake_wechat)
    d, s0 = world["district"], world["s0"]
    staff = Principal.for_user(world["staff"].user)
    with time_machine.travel(T0, tick=False):
        wish = make_wish(d.alleys[0])
        wishes.approve(staff, wish.id)
        assert chat.say("wx_s0", "心愿") == (
            f"心愿 1 个：\n心愿{wish.id} 王奶奶：想要一台收音机（待认领）\n认领请发送“认领 心愿N”"
        )
        assert chat.say("wx_s0", f"认领 心愿{wish.id}").startswith(f"已认领 心愿{wish.id}")
        assert chat.say("wx_s1", f"放弃 心愿{wish.id}") == (
            "未能放弃认领：只有认领人或社区工作人员可以放弃认领"
        )
        assert chat.say("wx_s0", f"放弃 心愿{wish.id}") == (
            f"已放弃认领 心愿{wish.id} 王奶奶：想要一台收音机，心愿重新等待认领"
        )
        chat.say("wx_s0", f"认领 心愿{wish.id}")
        assert chat.say("wx_s0", f"实现 心愿{wish.id}") == (
            f"未能登记心愿实现：请写明实现情况，例如：实现 心愿{wish.id} 收音机已送到"
        )
        got = chat.reply(
            chat.post("wx_s0", f"实现 心愿{wish.id} 收音机已送到，王奶奶很高兴！", images=[jpeg()])
        )
        assert got == f"已实现 心愿{wish.id} 王奶奶：想要一台收音机，附照片 1 张，感谢您的付出！"
        assert chat.say("wx_s0", "心愿") == "暂无待认领或待实现的心愿"
    done = Wish.get_by_id(wish.id)
    assert done.status == "fulfilled" and done.fulfil_note == "收音机已送到，王奶奶很高兴！"
    assert len(done.fulfil_photo_ids) == 1 and done.fulfilled_by_id == s0.id


def test_photos_follow_a_new_issue_and_details_show_them(bot_app, fake_wechat, world):
    """The new-issue push is followed by the resident's photos (image messages, base64 + md5),
    delivered by the outbox at no more than 20 a minute; `详情 N` shows location and, to the
    item's own steward and staff only, the phone: privately, when asked in the group."""
    d = world["district"]
    groups.create(d.communities[0], "robot-key-0001", chat_id="CHAT1")
    chat = aibot(bot_app, fake_wechat)
    from core import media

    p = resident()
    photos = [media.save_image(jpeg(c), p.user).id for c in ("red", "blue", "green")]
    with time_machine.travel(T0, tick=False):
        issue = issues.create(
            p,
            alley=d.alleys[0],
            board=None,
            category="环境卫生",
            content="垃圾堆放",
            photo_ids=photos,
            location={"lat": 30.5, "lng": 114.3, "address": "南门巷 12 号"},
            contact_phone="13912345678",
        ).issue
        for n in range(20):  # a busy morning: more than the robot may send in a minute
            report(d.alleys[1], f"其他诉求{n}")
        rows = list(OutboxMessage.select().order_by(OutboxMessage.id))
        mine = [r for r in rows if r.idempotency_key.startswith(f"robot:issue:{issue.id}:")]
        assert [r.payload["msgtype"] for r in mine] == ["text", "image", "image", "image"]
        assert "照片 3 张见下" in mine[0].payload["text"]["content"]
        assert "“@小巷管家 详情" in mine[0].payload["text"]["content"]
        # the rows name the photos by content hash; the dispatcher reads them when it sends
        assert [r.payload["image"]["media"]["sha256"] for r in mine[1:]] == [
            Media.get_by_id(i).sha256 for i in photos
        ]
        # queued in order behind the text, as robot messages the outbox paces at 20/min
        assert all(r.kind == "robot" and r.target == mine[0].target for r in mine)
        assert outbox.RATE_LIMITS["robot"] == (20, 60)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        own = chat.say("wx_s0", f"详情 {issue.id}", chat="CHAT1")
        other = chat.say("wx_s1", f"详情 {issue.id}", chat="CHAT1")
        bind_staff(chat, world)
        staff = chat.say("wx_staff", f"@小巷管家 详情 {issue.id}", chat="CHAT1")
    # asked in the group: the phone goes to the asker alone (issue 27), never to the group
    assert "内容：垃圾堆放" in staff and "13912345678" not in staff
    assert staff.endswith("\n联系电话已私信发给您")
    assert "位置：南门巷 12 号 https://apis.map.qq.com/uri/v1/marker?marker=coord:30.5,114.3" in own
    assert "13912345678" not in own and "照片 3 张，已发到群里（3 张）" in own
    told = {
        r.target: r.payload["text"]["content"]
        for r in OutboxMessage.select().where(OutboxMessage.kind == "private")
    }
    assert set(told) == {"wx_s0", "wx_staff"}
    assert all("联系电话：13912345678" in text for text in told.values())
    assert other == (
        f"未能查看详情：#{issue.id} 是1区1巷的诉求，由{world['s0'].name}负责，您不能处理"
    )


def test_a_note_keeps_its_punctuation_to_the_tracking_page_and_the_ledger(
    bot_app, fake_wechat, world
):
    chat = aibot(bot_app, fake_wechat)
    d = world["district"]
    note = "垃圾已清运，已联系环卫……明天再看！(复查)"
    with time_machine.travel(T0, tick=False):
        issue = issues.create(
            Principal.anonymous(),
            alley=d.alleys[0],
            board=None,
            category="环境卫生",
            content="垃圾堆放",
            source="web",
            tracking_token="tok-punct-0001",
        ).issue
        got = chat.say("wx_s0", f"＠小巷管家　办结　{issue.id}　{note}")
        assert got.startswith(f"已办结 #{issue.id}")
        page = bot_app.test_client().get("/t/tok-punct-0001").get_data(as_text=True)
    assert Issue.get_by_id(issue.id).resolution_note == note
    assert note in page
    day = to_local(T0).date()
    data, _ = ledger.workbook(d.communities[0], day, day)
    sheet = load_workbook(io.BytesIO(data))["诉求台账"]
    header = [c.value for c in sheet[2]]  # row 1 is the title
    row = [c.value for c in sheet[3]]
    assert row[header.index("办结说明")] == note


def test_only_the_co_steward_who_acted_gets_the_credit(bot_app, fake_wechat, world):
    """李 and 王 share an alley; only 王 (s0) takes and closes the item: the report, the card's
    table, 积分, /stats, the ledger and the assessment all credit 王 and not 李 (s1)."""
    chat = aibot(bot_app, fake_wechat)
    d, s0, s1 = world["district"], world["s0"], world["s1"]
    StewardAlley.create(steward=s1, alley=d.alleys[0])  # co-steward of 1区1巷
    with time_machine.travel(T0, tick=False):
        item = report(d.alleys[0])
        idle = report(d.alleys[0], "井盖松动", "设施损坏")  # nobody acts on this one
        assert {s.id for s in item.assigned_stewards()} == {s0.id, s1.id}
        assert chat.say("wx_s0", f"接单 {item.id}").startswith("已接单")
        assert chat.say("wx_s1", f"接单 {item.id}") == f"未能接单：{s0.name}已接单，无需重复接单"
        assert chat.say("wx_s0", f"办结 {item.id} 已清理").startswith("已办结")
        assert chat.say("wx_s1", f"办结 {item.id} 我也来").startswith("未能办结：该诉求已办结")
    done = Issue.get_by_id(item.id)
    assert (done.accepted_by_id, done.resolved_by_id) == (s0.id, s0.id)
    day = to_local(T0).date()
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        rep = reports.build(d.communities[0], day)
        lines = {s.id: s for s in rep.stewards}
        assert (lines[s0.id].taken, lines[s0.id].resolved) == (1, 1)
        assert (lines[s1.id].taken, lines[s1.id].resolved) == (0, 0)
        assert report_card.image(rep)  # the card draws exactly these lines
        p0 = passbook.quarter_summary(timebank_ledger.accounts_of(None, [s0]))
        p1 = passbook.quarter_summary(timebank_ledger.accounts_of(None, [s1]))
        assert p0.total > 0 and p1.total == 0 and p1.lines == []
        assert chat.say("wx_s1", "积分").startswith("您本季度（2026Q4）积分 0 分")
        assert "办结诉求 1 件 +2" in chat.say("wx_s0", "积分")
        headers = login_staff(bot_app.test_client(), world["staff"])
        res = bot_app.test_client().get(
            f"/api/v1/stats?area_id={d.communities[0].id}&date_from={day}&date_to={day}",
            headers=headers,
        )
        assert res.status_code == 200, res.get_json()
        by = {s["steward_id"]: s for s in res.get_json()["by_steward"]}
        assert (by[s0.id]["accepted"], by[s0.id]["resolved"]) == (1, 1)
        assert (by[s1.id]["accepted"], by[s1.id]["resolved"]) == (0, 0)
        data, _ = ledger.workbook(d.communities[0], day, day)
        wb = load_workbook(io.BytesIO(data))
        sheet = wb["诉求台账"]
        header = [c.value for c in sheet[2]]  # row 1 is the title
        rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
        row = rows[done.number]
        assert row[header.index("接单管家")] == s0.name == row[header.index("办结管家")]
        assert rows[Issue.get_by_id(idle.id).number][header.index("办结管家")] in ("", None)
        summary = list(wb["汇总"].iter_rows(values_only=True))
        start = [r[0] for r in summary].index("管家")
        table = {r[0]: r for r in summary[start + 1 :] if r[0]}
        assert table[s0.name][1:3] == (1, 1) and table[s1.name][1:3] == (0, 0)
    with time_machine.travel(T0 + timedelta(days=40), tick=False):
        scores = assessment.score([s0.id, s1.id], assessment.Quarter.parse("2026Q4"))
    assert scores[s0.id]["counts"]["resolved"] == 1
    assert scores[s1.id]["counts"]["resolved"] == 0
    # the idle item ran past its deadline: it counts against both assignees, as overdue
    assert scores[s0.id]["counts"]["reported"] == 2 and scores[s1.id]["counts"]["reported"] == 1
    assert when(done.deadline)


def test_group_chatter_gets_no_answer_and_commands_do(bot_app, fake_wechat, world):
    """A relay hands over every group message: only those addressed to the bot are answered,
    for bound and unbound senders alike; photos alone in a group are told to use the @."""
    from tests.bot.clients import BridgeClient

    bridge = BridgeClient(bot_app.test_client(), fake_wechat)
    d = world["district"]
    groups.create(d.communities[0], "robot-key-0001", chat_id="CHAT1")
    item = report(d.alleys[0])
    for sender in ("wx_s0", "wx_stranger"):
        for chatter in ("收到", "你好", "1", "好的，马上去！"):
            assert bridge.say(sender, chatter, chat="CHAT1") is None, (sender, chatter)
    assert bridge.say("wx_stranger", "@小巷管家 你好", chat="CHAT1").startswith(
        "您好，您还没有绑定"
    )
    assert bridge.say("wx_s0", "@小巷管家 接丹 1", chat="CHAT1") == "您是要“@小巷管家 接单 1”吗？"
    assert bridge.say("wx_s0", f"接单 {item.id}", chat="CHAT1").startswith("已接单")
    photo = bridge.reply(bridge.post("wx_s0", None, images=[jpeg()], chat="CHAT1"))
    assert photo.startswith("已收到照片 1 张，请在 2 分钟内发送“@小巷管家 办结 编号 说明”")


def test_a_second_details_within_a_minute_does_not_post_the_photos_again(
    bot_app, fake_wechat, world
):
    """详情 posts a public item's photos to the group once a minute per person and item; asked
    again sooner (across a minute boundary too) it says so instead of posting them again."""
    d = world["district"]
    group = groups.create(d.communities[0], "robot-key-0001", chat_id="CHAT1")
    chat = aibot(bot_app, fake_wechat)
    from core import media

    p = resident()
    photos = [media.save_image(jpeg(c), p.user).id for c in ("red", "blue")]
    with time_machine.travel(T0, tick=False) as clock:
        issue = issues.create(
            p,
            alley=d.alleys[0],
            board=None,
            category="环境卫生",
            content="垃圾堆放",
            photo_ids=photos,
        ).issue

        def images() -> int:
            return (
                OutboxMessage.select()
                .where(
                    (OutboxMessage.target == group.webhook_key)
                    & OutboxMessage.idempotency_key.startswith("robot:details:")
                )
                .count()
            )

        clock.shift(timedelta(seconds=50))
        assert "照片 2 张，已发到群里（2 张）" in chat.say(
            "wx_s0", f"详情 {issue.id}", chat="CHAT1"
        )
        assert images() == 2
        clock.shift(timedelta(seconds=20))  # 20 s later, in the next minute of the clock
        again = chat.say("wx_s0", f"详情 {issue.id}", chat="CHAT1")
        assert again.endswith("照片刚刚已发过（2 张），请往上翻看") and images() == 2
        # someone else asking has not seen them posted for themselves
        bind_staff(chat, world)
        assert "已发到群里（2 张）" in chat.say("wx_staff", f"详情 {issue.id}", chat="CHAT1")
        assert images() == 4
        clock.shift(timedelta(seconds=41))  # 61 s after the first post
        assert "已发到群里（2 张）" in chat.say("wx_s0", f"详情 {issue.id}", chat="CHAT1")
        assert images() == 6
