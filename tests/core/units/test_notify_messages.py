"""What the groups read about a hand-off to a handling unit (`core.units.notify`), word for
word: the whistle's tier in Chinese with its deadline and the check-in command, a long report
cut to 30 characters, who of the unit is @-mentioned (only members with a WeCom id, and no
mention list when none has one), 督办's line once the unit has checked in or without a note,
and the street administrators @-mentioned in the community's group — only the street's own,
active administrators who gave a phone — and whether the street leader could be told at all."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from core.delivery import groups
from core.people.permissions import Principal
from core.units import actions, members, notify, units
from models import ChatGroup, Event, Issue, OutboxMessage, StaffAccount
from tests.core.units import test_unit_loop
from tests.core.units.test_unit_loop import PHONE, T0, post, robot_rows
from tests.factories import login, login_staff, make_district, make_staff

API = "/api/v1"
world = test_unit_loop.world  # the whistle loop's street, unit, groups and people


def _report(client, w, content="3号楼外墙脱落", tier="major") -> int:
    body = {
        "board_code": w["d"].boards[0].code,
        "category": "设施损坏",
        "content": content,
        "contact_phone": PHONE,
    }
    issue_id = post(client, w["resident"], "/issues", body, status=201)["id"]
    whistle = {"unit_id": w["unit"].id, "tier": tier, "note": "请住建办鉴定维修"}
    post(client, w["staff"], f"/issues/{issue_id}/whistle", whistle)
    return issue_id


def _staff(username: str) -> Principal:
    return Principal.for_user(StaffAccount.get(StaffAccount.username == username).user)


def test_the_whistle_gives_the_tier_in_words_the_deadline_and_how_to_check_in(client, world):
    with time_machine.travel(T0, tick=False):  # 11月23日 09:00
        ordinary = _report(client, world, tier="ordinary")
        important = _report(client, world, tier="important")
    told = [r.payload["text"]["content"] for r in robot_rows("key-unit")]
    assert told == [
        f"【吹哨报到】#{ordinary} 1区1巷 设施损坏：3号楼外墙脱落\n"
        f"紧急程度：一般，请于 11月25日 09:00 前办结。\n请先回复 @小巷管家 报到 {ordinary}",
        f"【吹哨报到】#{important} 1区1巷 设施损坏：3号楼外墙脱落\n"
        f"紧急程度：重要，请于 11月26日 09:00 前办结。\n请先回复 @小巷管家 报到 {important}",
    ]


def test_a_long_report_reaches_the_units_group_cut_to_30_characters(client, world):
    words = "东" * 20 + "西" * 20
    issue_id = _report(client, world, content=words)
    (row,) = robot_rows("key-unit")
    first_line = row.payload["text"]["content"].split("\n")[0]
    assert first_line == f"【吹哨报到】#{issue_id} 1区1巷 设施损坏：{'东' * 20}{'西' * 9}…"


def test_only_members_with_a_wecom_id_are_mentioned_and_none_means_no_mention_list(client, world):
    w = world
    members.create_member(w["unit"], "zjb-chen", "password123", "陈工")  # no WeCom id
    _report(client, w)
    assert robot_rows("key-unit")[-1].payload["text"]["mentioned_list"] == [
        "wecom-li",
        "wecom-wang",
    ]

    quiet = units.create(w["d"].street, "水务站")
    members.create_member(quiet, "sw-sun", "password123", "孙工")
    ChatGroup.create(area=w["d"].street, name="水务站群", webhook_key="key-quiet", unit=quiet)
    body = {"board_code": w["d"].boards[0].code, "category": "设施损坏", "content": "水管爆裂"}
    issue_id = post(client, w["resident"], "/issues", body, status=201)["id"]
    post(
        client,
        w["staff"],
        f"/issues/{issue_id}/whistle",
        {"unit_id": quiet.id, "tier": "major", "note": "请抢修"},
    )
    (row,) = robot_rows("key-quiet")
    assert row.payload["text"]["content"].startswith(f"【吹哨报到】#{issue_id} ")
    assert "mentioned_list" not in row.payload["text"]


def test_supervision_after_check_in_without_a_note_reads_checked_in_and_names_who_asked(
    client, world
):
    w = world
    ChatGroup.create(
        area=w["d"].street, name="街道工作群", webhook_key="key-street", audience="staff"
    )
    with time_machine.travel(T0, tick=False):
        issue_id = _report(client, w)
        post(client, w["li"], f"/issues/{issue_id}/check-in")
        _, told = actions.supervise(_staff("zhangsan"), issue_id, "")
    assert told is True
    (row,) = robot_rows("key-street")
    assert row.payload["text"]["content"] == (
        f"【督办】#{issue_id} 1区1巷 设施损坏：3号楼外墙脱落\n"
        "承办单位：住建办（已报到），办理期限 12月3日 09:00\nzhangsan 提请街道督办"
    )
    assert robot_rows("key-staff") == []  # the street's own group, not the community's


def test_only_the_streets_own_active_administrators_with_a_phone_are_mentioned(client, world):
    w = world
    street = w["d"].street
    elsewhere = make_district(street_name="另一街道", communities=1, alleys_per_community=1)
    phones = {
        "jd-admin": (street, "admin", "13800000001"),
        "jd-gone": (street, "admin", "13800000003"),
        "jd-nophone": (street, "admin", None),
        "other-admin": (elsewhere.street, "admin", "13800000005"),
    }
    for username, (area, role, phone) in phones.items():
        account = make_staff(area, role=role, username=username)
        StaffAccount.update(phone=phone).where(StaffAccount.id == account.id).execute()
    StaffAccount.update(active=False).where(StaffAccount.username == "jd-gone").execute()
    # a unit member's login sits on the street too, but is not one of its administrators
    StaffAccount.update(phone="13800000002").where(StaffAccount.username == "zjb-li").execute()
    issue_id = _report(client, w)
    post(client, w["staff"], f"/issues/{issue_id}/supervise", {"note": "两天未报到"})
    (row,) = robot_rows("key-staff")
    assert row.payload["text"]["content"].startswith(f"【督办】#{issue_id} ")
    assert row.payload["text"]["mentioned_mobile_list"] == ["13800000001"]


def test_supervision_with_no_staff_group_anywhere_says_nobody_was_told(client):
    d = make_district()
    unit = units.create(d.street, "住建办")
    groups.create(d.communities[0], "key-stewards", name="管家群")
    staff = login_staff(client, make_staff(d.communities[0], username="zhangsan"))
    resident = login(client, "居民甲")
    body = {"board_code": d.boards[0].code, "category": "设施损坏", "content": "外墙脱落"}
    issue_id = post(client, resident, "/issues", body, status=201)["id"]
    post(
        client,
        staff,
        f"/issues/{issue_id}/whistle",
        {"unit_id": unit.id, "tier": "major", "note": "请维修"},
    )
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        _, told = actions.supervise(_staff("zhangsan"), issue_id, "请街道协调")
    assert told is False
    assert all("督办" not in r.payload["text"]["content"] for r in robot_rows("key-stewards"))


def test_each_message_says_whether_it_found_a_group_to_go_to(client, world):
    """Every sender answers whether the message went anywhere: True when the unit's (or the
    community's staff) group took it, False when there is no such group — and then nothing
    is queued."""
    w = world
    issue_id = _report(client, w)
    issue = Issue.get_by_id(issue_id)
    event = Event.get((Event.action == "issue.whistle") & (Event.subject_id == issue_id))
    unit = w["unit"]
    sent = {
        "whistled": lambda: notify.whistled(issue, unit, event),
        "urged": lambda: notify.urged(issue, unit, event, "请尽快"),
        "decided": lambda: notify.extension_decided(issue, unit, event, True, 3, "张敏", ""),
        "returned": lambda: notify.returned(issue, unit, event, "不归我们管"),
        "asked": lambda: notify.extension_requested(issue, unit, event, 3, "需招标"),
    }
    assert {name: send() for name, send in sent.items()} == dict.fromkeys(sent, True)
    before = OutboxMessage.select().count()
    ChatGroup.delete().where(ChatGroup.webhook_key.in_(["key-unit", "key-staff"])).execute()
    assert {name: send() for name, send in sent.items()} == dict.fromkeys(sent, False)
    assert OutboxMessage.select().count() == before


def test_the_street_admins_mentioned_are_those_of_the_items_own_street(client):
    """Another street, made first, has its own administrator: the item's street is the one
    above its alley, whatever the streets' order."""
    first = make_district(street_name="另一街道", communities=1, alleys_per_community=1)
    d = make_district()
    for street, username, phone in (
        (first.street, "other-admin", "13800000005"),
        (d.street, "jd-admin", "13800000001"),
    ):
        account = make_staff(street, role="admin", username=username)
        StaffAccount.update(phone=phone).where(StaffAccount.id == account.id).execute()
    unit = units.create(d.street, "住建办")
    groups.create(d.communities[0], "key-staff", audience="staff", name="社区工作群")
    staff = login_staff(client, make_staff(d.communities[0], username="zhangsan"))
    body = {"board_code": d.boards[0].code, "category": "设施损坏", "content": "外墙脱落"}
    issue_id = post(client, login(client, "居民甲"), "/issues", body, status=201)["id"]
    post(
        client,
        staff,
        f"/issues/{issue_id}/whistle",
        {"unit_id": unit.id, "tier": "major", "note": "请维修"},
    )
    post(client, staff, f"/issues/{issue_id}/supervise", {"note": "请街道协调"})
    (row,) = robot_rows("key-staff")
    assert row.payload["text"]["content"].startswith(f"【督办】#{issue_id} ")
    assert row.payload["text"]["mentioned_mobile_list"] == ["13800000001"]
