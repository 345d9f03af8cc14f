"""The street edition of the daily 通报 (`report --street`, the street group's morning push): what
it says of the story in tests/core/figures/street_story.py, the month's callbacks and 12345
tickets, once a morning, in a fixed number of queries."""

from __future__ import annotations

from datetime import date

from core.delivery import robot
from core.figures import street_report
from core.people import areas
from jobs import daily_report
from models import (
    ChatGroup,
    Issue,
    OutboxMessage,
    StaffAccount,
)
from tests.core.figures import street_story
from tests.core.figures.street_story import (
    API,
    RESIDENT_PHONE,
    _post,
    at,
    now,
    queries_of,
    third_story,
)
from tests.factories import (
    login,
    login_staff,
)

# The story and a street admin at its "now" (tests/core/figures/street_story.py).
world, at_now = street_story.world, street_story.at_now


# --- the street edition of the daily report --------------------------------------------------


def test_report_street_dry_run_prints_the_street_edition(app, runner, world):
    d, ids = world[0], world[1]
    with now():
        res = runner.invoke(
            args=["report", "--street", str(d.street.id), "--date", "2026-12-09", "--dry-run"]
        )
    assert res.exit_code == 0, res.output
    text = res.output
    lines = text.splitlines()
    assert lines[0] == "示范街道 每日通报（街道版）12月9日（周三）"
    assert lines[1] == "昨日新增 1 · 办结 0 · 超期 2 · 吹哨在办 1 · 在办 3"
    # overdue and whistled items come before the communities' lines
    i_overdue, i_whistled, i_lines = (
        lines.index("超期诉求（共 2 件）"),
        lines.index("吹哨在办（共 1 件）"),
        lines.index("各社区"),
    )
    assert i_overdue < i_whistled < i_lines
    assert lines[i_overdue + 1].startswith(f"#{ids['I3']} 第1社区·1区1巷 邻里纠纷：（内容不公开）")
    assert lines[i_overdue + 2].startswith(f"#{ids['J2']} 第2社区·2区1巷 环境卫生：J2 楼道堆物")
    assert lines[i_whistled + 1] == (
        f"#{ids['J2']} 第2社区·2区1巷 环境卫生：J2 楼道堆物（安居物业，未报到，12月7日 10:00 到期）"
    )
    # every item closed this month was rated or a steward's own fix: nobody to call back
    assert lines[3] == "本月回访 —（0/0） · 12345 工单 0 件，按时办结率 —（0/0），超期 0 件"
    assert lines[i_lines + 1 :] == [
        "第2社区：新增 0 · 办结 0 · 超期 1 · 吹哨 1 · 在办 1 · 本月解决率 100.0%（1/1） · 回访 0/0",
        "第1社区：新增 1 · 办结 0 · 超期 1 · 吹哨 0 · 在办 2 · 本月解决率 100.0%（3/3） · 回访 0/0",
        "第3社区：新增 0 · 办结 0 · 超期 0 · 吹哨 0 · 在办 0 · 本月解决率 —（0/0） · 回访 0/0",
    ]
    # the private words and every resident's phone stay out
    assert "邻居吵架" not in text and RESIDENT_PHONE not in text


def test_the_street_edition_carries_the_months_callbacks_and_12345_tickets(
    app, client, runner, world
):
    """第3社区's story, the report of 12-11 pushed on the morning of 12-12 (08:30): 回访 1/4 —
    K1 called back, K2, T1, T2 waiting; K3 closed on 12-09 09:00 is not yet 3 days old, K4 was
    rated; 12345: T1, T2, T3, T1 on time of T1 and T2 closed, T3 (due 12-11) overdue."""
    d, _, zhujian, _ = world
    third_story(client, d, zhujian)
    with at(12, 12, 8, 30):
        res = runner.invoke(
            args=["report", "--street", str(d.street.id), "--date", "2026-12-11", "--dry-run"]
        )
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[3] == (
        "本月回访 25.0%（1/4） · 12345 工单 3 件，按时办结率 50.0%（1/2），超期 1 件"
    )
    third = next(line for line in lines if line.startswith("第3社区："))
    assert third.endswith(" · 回访 1/4 · 12345 3 件（按时 1/2，超期 1）")
    first = next(line for line in lines if line.startswith("第1社区："))
    assert first.endswith(" · 回访 0/0")  # no tickets: no 12345 part
    # K2 called back as 基本满意 the same morning: one more done, nothing else moves
    staff3 = login_staff(client, StaffAccount.get(StaffAccount.username == "secretary3"))
    k2 = Issue.get(Issue.content == "K2 路面积水").id
    with at(12, 12, 8, 40):
        body = {"result": "basically_satisfied", "note": "居民说基本解决"}
        _post(client, f"/issues/{k2}/callback", staff3, body, status=201)
        res = runner.invoke(
            args=["report", "--street", str(d.street.id), "--date", "2026-12-11", "--dry-run"]
        )
    assert res.output.splitlines()[3].startswith("本月回访 50.0%（2/4） · 12345 工单 3 件")


def test_report_for_a_community_that_is_not_one_says_what_to_use(app, runner, world):
    d = world[0]
    res = runner.invoke(args=["report", "--community", str(d.street.id), "--dry-run"])
    assert res.exit_code != 0
    assert (
        f"区域 {d.street.id}（示范街道）是街道/镇，不是社区：街道版通报请用 --street {d.street.id}"
        in res.output
    )
    res = runner.invoke(args=["report", "--street", str(d.communities[0].id), "--dry-run"])
    assert res.exit_code != 0
    assert f"不是街道：社区的通报请用 --community {d.communities[0].id}" in res.output
    res = runner.invoke(args=["report", "--street", "9999", "--dry-run"])
    assert res.exit_code != 0 and "找不到街道 9999" in res.output


def test_a_street_group_gets_the_street_edition_each_morning_once(app, runner, world):
    d, ids = world[0], world[1]
    res = runner.invoke(
        args=["groups", "add", "--area", str(d.street.id), "--webhook", "street-leaders-key"]
    )
    assert res.exit_code == 0, res.output
    group = ChatGroup.get(ChatGroup.webhook_key == "street-leaders-key")
    assert group.audience == "staff"
    # a steward's group cannot sit on a street: it would hear every community's pushes
    res = runner.invoke(
        args=["groups", "add", "--area", str(d.street.id), "--webhook", "street-stewards-1"]
        + ["--audience", "stewards"]
    )
    assert res.exit_code != 0 and "街道只能登记工作人员群" in res.output
    # a new report in a community without a group of its own does not go up to the street
    with at(12, 10, 9):
        before = OutboxMessage.select().count()
        login_resident = login(app.test_client(), "辛")
        body = {"board_code": d.boards[4].code, "category": "环境卫生", "content": "第3社区的事"}
        res = app.test_client().post(f"{API}/issues", json=body, headers=login_resident)
        assert res.status_code == 201
        assert not OutboxMessage.select().where(OutboxMessage.target == group.webhook_key).exists()
        assert OutboxMessage.select().count() == before
    # a community without a staff group of its own: its staff notices (overdue escalations,
    # a unit's return) do not go up to the street's leaders; what is the street's does
    assert robot.groups_for_area(d.alleys[4], "staff") == []
    assert robot.groups_for_area(d.communities[2], "staff") == []
    assert [g.id for g in robot.groups_for_area(d.street, "staff")] == [group.id]
    with at(12, 10, 8, 30):
        sent = daily_report.tick()
        again = daily_report.tick()
    rows = list(OutboxMessage.select().where(OutboxMessage.target == group.webhook_key))
    assert sent >= 1 and again == 0 and len(rows) == 1
    content = rows[0].payload["markdown"]["content"]
    assert content.startswith("## 示范街道 每日通报（街道版）12月9日")
    assert f"#{ids['J2']} 第2社区·2区1巷" in content
    assert "邻居吵架" not in content and RESIDENT_PHONE not in content


def test_the_street_report_reads_a_fixed_number_of_queries(app, world):
    d = world[0]

    def count():
        with now():
            return queries_of(lambda: street_report.build(d.street, date(2026, 12, 9)))

    before = count()
    for n in range(4, 10):
        community, _ = areas.child(d.street, "community", f"第{n}社区")
        areas.child(community, "alley", f"{n}区1巷")
    assert count() == before
