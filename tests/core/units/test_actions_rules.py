"""A handling unit's steps on a whistled item and staff's answers (`core.units.actions`): who
may take each step (the unit's members; staff for 延期审批, 催办 and 督办), what each refuses
with (the field or the state named) and writes nothing for, and what each step records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from core.people.permissions import Principal
from core.units import actions, handling, members, units
from infra.errors import ApiError
from models import ChatGroup, Event, Issue, OutboxMessage, StaffAccount
from tests.factories import login, login_staff, make_district, make_staff, upload_photo

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
def world(client):
    d = make_district()
    unit = units.create(d.street, "住建办")
    other = units.create(d.street, "城管")
    li = members.create_member(unit, "zjb-li", "password123", "李工")
    wang = members.create_member(unit, "zjb-wang", "password123", "王工")
    zhao = members.create_member(other, "cg-zhao", "password123", "赵队")
    staff = make_staff(d.communities[0], username="zhangsan")
    return {
        "d": d,
        "unit": unit,
        "other": other,
        "resident": login(client, "居民甲"),
        "staff": Principal.for_user(staff.user),
        "staff_user": staff.user,
        "li": Principal.for_user(li.account.user),
        "wang": Principal.for_user(wang.account.user),
        "zhao": Principal.for_user(zhao.account.user),
    }


def _whistled(client, w, tier="major", unit=None) -> int:
    body = {"board_code": w["d"].boards[0].code, "category": "设施损坏", "content": "外墙脱落"}
    res = client.post(f"{API}/issues", json=body, headers=w["resident"])
    assert res.status_code == 201, res.get_json()
    issue_id = res.get_json()["id"]
    handling.whistle(w["staff"], issue_id, (unit or w["unit"]).id, "请鉴定", tier)
    return issue_id


def _refusal(call) -> tuple:
    with pytest.raises(ApiError) as caught:
        call()
    err = caught.value
    return err.status, err.code, err.message, err.fields


def _trail(issue_id: int, action: str) -> list[Event]:
    return [e for e in Event.for_subject("issue", issue_id) if e.action == f"issue.{action}"]


def test_staff_who_see_the_item_are_told_it_is_not_their_units_to_handle(client, world):
    issue_id = _whistled(client, world)
    assert _refusal(lambda: actions.check_in(world["staff"], issue_id)) == (
        403,
        "not_your_unit",
        "该诉求不是交给您单位办理的",
        {},
    )
    # another unit's member does not learn it exists
    assert _refusal(lambda: actions.check_in(world["zhao"], issue_id))[:3] == (
        404,
        "issue_not_found",
        "找不到该诉求",
    )
    assert _refusal(lambda: actions.check_in(world["li"], 999999))[:2] == (404, "issue_not_found")
    assert Issue.get_by_id(issue_id).checked_in_at is None


def test_once_the_unit_has_closed_the_item_its_steps_are_refused_naming_the_state(client, world):
    issue_id = _whistled(client, world)
    actions.resolve(world["li"], issue_id, "已修复")
    assert _refusal(lambda: actions.progress(world["wang"], issue_id, "补充说明")) == (
        409,
        "invalid_transition",
        "该诉求当前为“已办结”，已不在本单位办理中",
        {},
    )
    assert _trail(issue_id, "progress") == []


def test_a_check_in_stamps_the_time_and_names_the_member_and_unit(client, world):
    issue_id = _whistled(client, world)
    with time_machine.travel(T0, tick=False):
        issue = actions.check_in(world["li"], issue_id)
    assert Issue.get_by_id(issue_id).checked_in_at.replace(tzinfo=UTC) == T0
    assert issue.checked_in_at is not None
    (line,) = _trail(issue_id, "check_in")
    assert line.actor_label == "住建办 李工"
    assert line.data == {"unit_id": world["unit"].id, "unit": "住建办"}


def test_progress_needs_words_and_keeps_them_with_the_photos(client, world):
    issue_id = _whistled(client, world)
    for blank in ("", "   ", None):
        assert _refusal(lambda b=blank: actions.progress(world["li"], issue_id, b)) == (
            400,
            "validation_error",
            "请填写进展说明",
            {"note": "不能为空"},
        )
    assert _trail(issue_id, "progress") == []
    actions.progress(world["li"], issue_id, "已到现场")
    (line,) = _trail(issue_id, "progress")
    assert line.data == {
        "unit_id": world["unit"].id,
        "unit": "住建办",
        "note": "已到现场",
        "photo_ids": [],
    }


def test_an_extension_needs_whole_days_and_a_reason_and_records_both(client, world, app):
    issue_id = _whistled(client, world)
    most = app.config["UNIT_EXTENSION_MAX_DAYS"]
    for days in ("3", 2.5, None):
        assert _refusal(lambda d=days: actions.request_extension(world["li"], issue_id, d, "等"))[
            3
        ] == {"days": f"1 到 {most} 天"}
    for blank in ("", "  ", None):
        assert _refusal(lambda b=blank: actions.request_extension(world["li"], issue_id, 1, b)) == (
            400,
            "validation_error",
            "请说明延期原因",
            {"reason": "不能为空"},
        )
    assert _trail(issue_id, "extension") == []
    actions.request_extension(world["li"], issue_id, 1, "需招标")
    (line,) = _trail(issue_id, "extension")
    assert line.actor_label == "住建办 李工"
    assert line.data == {"unit_id": world["unit"].id, "unit": "住建办", "days": 1, "note": "需招标"}


def test_a_request_left_before_the_item_was_returned_and_whistled_again_is_not_pending(
    client, world
):
    issue_id = _whistled(client, world)
    actions.request_extension(world["li"], issue_id, 3, "需招标")
    actions.return_to_community(world["li"], issue_id, "不属本单位")
    handling.whistle(world["staff"], issue_id, world["unit"].id, "请再看看", "major")
    assert actions.pending_extension(Issue.get_by_id(issue_id)) is None
    assert _refusal(lambda: actions.decide_extension(world["staff"], issue_id, True))[:2] == (
        409,
        "no_pending_extension",
    )
    # the unit may ask afresh, and that request is the one pending
    actions.request_extension(world["wang"], issue_id, 2, "雨天")
    pending = actions.pending_extension(Issue.get_by_id(issue_id))
    assert pending is not None and pending.data["days"] == 2


def test_only_staff_who_manage_the_alley_decide_an_extension(client, world):
    issue_id = _whistled(client, world)
    actions.request_extension(world["li"], issue_id, 3, "需招标")
    before = Issue.get_by_id(issue_id).deadline
    assert _refusal(lambda: actions.decide_extension(world["li"], issue_id, True)) == (
        403,
        "forbidden",
        "只有社区工作人员可以审批延期",
        {},
    )
    assert Issue.get_by_id(issue_id).deadline == before
    assert _trail(issue_id, "extension_decide") == []


def test_a_refused_extension_keeps_the_deadline_and_records_the_answer(client, world):
    issue_id = _whistled(client, world)
    actions.request_extension(world["li"], issue_id, 3, "需招标")
    before = Issue.get_by_id(issue_id).deadline
    tier_lines = len(_trail(issue_id, "tier"))
    actions.decide_extension(world["staff"], issue_id, False)
    assert Issue.get_by_id(issue_id).deadline == before
    assert len(_trail(issue_id, "tier")) == tier_lines
    (answer,) = _trail(issue_id, "extension_decide")
    assert answer.actor_id == world["staff_user"].id
    assert answer.data == {"approved": False, "days": 3, "note": None}
    assert actions.pending_extension(Issue.get_by_id(issue_id)) is None


def test_an_approved_extension_moves_the_deadline_by_the_days_asked(client, world):
    with time_machine.travel(T0, tick=False):
        issue_id = _whistled(client, world, tier="ordinary")  # due 11月25日 09:00
        actions.request_extension(world["li"], issue_id, 3, "需招标")
        actions.decide_extension(world["staff"], issue_id, True, "请抓紧")
    assert Issue.get_by_id(issue_id).deadline.replace(tzinfo=UTC) == T0 + timedelta(days=5)
    (answer,) = _trail(issue_id, "extension_decide")
    assert answer.data == {"approved": True, "days": 3, "note": "请抓紧"}
    line = _trail(issue_id, "tier")[-1]
    assert line.actor_id == world["staff_user"].id
    assert line.data["note"] == "办理期限 11月25日 09:00→11月28日 09:00（同意延期 3 天）"


def test_an_extension_left_pending_when_the_item_closed_cannot_be_decided(client, world):
    issue_id = _whistled(client, world)
    actions.request_extension(world["li"], issue_id, 3, "需招标")
    actions.resolve(world["wang"], issue_id, "已修复")
    assert _refusal(lambda: actions.decide_extension(world["staff"], issue_id, True)) == (
        409,
        "no_pending_extension",
        "该诉求没有待审批的延期申请",
        {},
    )


def test_a_return_needs_a_reason_and_hands_the_item_back_with_its_clocks_cleared(client, world):
    issue_id = _whistled(client, world)
    actions.check_in(world["li"], issue_id)
    for blank in ("", " ", None):
        assert _refusal(lambda b=blank: actions.return_to_community(world["li"], issue_id, b)) == (
            400,
            "validation_error",
            "请说明退回原因",
            {"reason": "不能为空"},
        )
    assert Issue.get_by_id(issue_id).status == "whistled"
    actions.return_to_community(world["li"], issue_id, "属物业范围")
    issue = Issue.get_by_id(issue_id)
    assert (issue.status, issue.department_id) == ("escalated", None)
    assert (issue.whistled_at, issue.checked_in_at) == (None, None)
    (line,) = _trail(issue_id, "return")
    assert line.actor_label == "住建办 李工"
    assert line.data == {"unit_id": world["unit"].id, "unit": "住建办", "note": "属物业范围"}


def test_a_member_closes_with_an_outcome_named_on_the_trail_as_the_unit(client, world):
    issue_id = _whistled(client, world)
    actions.resolve(world["li"], issue_id, "已向居民解释政策", outcome="answered")
    issue = Issue.get_by_id(issue_id)
    assert (issue.status, issue.outcome) == ("resolved", "answered")
    (line,) = _trail(issue_id, "resolve")
    assert line.actor_label == "住建办 李工"
    assert _refusal(lambda: actions.resolve(world["zhao"], issue_id, "x"))[:2] == (
        404,
        "issue_not_found",
    )


def test_urging_needs_words_a_manager_and_an_item_the_unit_holds(client, world):
    issue_id = _whistled(client, world)
    for blank in ("", " ", None):
        assert _refusal(lambda b=blank: actions.urge(world["staff"], issue_id, b)) == (
            400,
            "validation_error",
            "请填写催办内容",
            {"note": "不能为空"},
        )
    assert _refusal(lambda: actions.urge(world["li"], issue_id, "快点")) == (
        403,
        "forbidden",
        "只有社区工作人员可以催办",
        {},
    )
    assert _trail(issue_id, "urge") == []
    actions.urge(world["staff"], issue_id, "居民又来问了")
    (line,) = _trail(issue_id, "urge")
    assert line.actor_id == world["staff_user"].id
    assert line.data == {"unit_id": world["unit"].id, "unit": "住建办", "note": "居民又来问了"}
    actions.return_to_community(world["li"], issue_id, "不属本单位")
    assert _refusal(lambda: actions.urge(world["staff"], issue_id, "快点")) == (
        409,
        "invalid_transition",
        "只能催办已吹哨、仍在单位办理中的诉求",
        {},
    )
    assert len(_trail(issue_id, "urge")) == 1


def test_supervising_takes_up_to_the_limit_of_words_and_only_while_the_unit_holds_it(client, world):
    issue_id = _whistled(client, world)
    too_long = "长" * (actions.REASON_MAX + 1)
    assert _refusal(lambda: actions.supervise(world["staff"], issue_id, too_long)) == (
        400,
        "validation_error",
        "督办说明最多 500 字",
        {"note": "最多 500 字"},
    )
    with time_machine.travel(T0, tick=False):
        issue, told = actions.supervise(world["staff"], issue_id, "长" * actions.REASON_MAX)
    assert told is False  # no staff group to tell in this world
    assert Issue.get_by_id(issue_id).supervised_at.replace(tzinfo=UTC) == T0
    (line,) = _trail(issue_id, "supervise")
    assert line.actor_id == world["staff_user"].id
    assert line.data == {"unit_id": world["unit"].id, "unit": "住建办", "note": "长" * 500}
    again = _refusal(lambda: actions.supervise(world["staff"], issue_id))
    assert again == (409, "already_supervised", "该诉求已于 11月23日 09:00 提请街道督办", {})

    other = _whistled(client, world)
    actions.supervise(world["staff"], other, "  ")
    assert _trail(other, "supervise")[0].data["note"] is None  # blank words: none
    actions.resolve(world["li"], other, "已修复")
    third = _whistled(client, world)
    actions.return_to_community(world["li"], third, "不属本单位")
    assert _refusal(lambda: actions.supervise(world["staff"], third)) == (
        409,
        "invalid_transition",
        "只能督办已吹哨、仍在单位办理中的诉求",
        {},
    )


def test_supervising_without_words_records_none_for_the_note(client, world):
    # the console and the mini program send "" or nothing; 督办 needs no words
    for note in ((), (None,)):
        issue_id = _whistled(client, world)
        actions.supervise(world["staff"], issue_id, *note)
        (line,) = _trail(issue_id, "supervise")
        assert line.data == {"unit_id": world["unit"].id, "unit": "住建办", "note": None}


def test_a_unit_member_cannot_ask_the_street_to_supervise_their_own_units_item(client, world):
    issue_id = _whistled(client, world)
    assert _refusal(lambda: actions.supervise(world["li"], issue_id, "请街道协调")) == (
        403,
        "forbidden",
        "只有社区工作人员可以提请督办",
        {},
    )
    assert Issue.get_by_id(issue_id).supervised_at is None
    assert _trail(issue_id, "supervise") == []


def test_an_item_the_unit_has_closed_can_no_longer_be_urged_or_supervised(client, world):
    # the unit stays named on a closed item: its status alone ends 催办 and 督办
    issue_id = _whistled(client, world)
    actions.resolve(world["li"], issue_id, "已修复")
    assert Issue.get_by_id(issue_id).department_id == world["unit"].id
    assert _refusal(lambda: actions.urge(world["staff"], issue_id, "快点")) == (
        409,
        "invalid_transition",
        "只能催办已吹哨、仍在单位办理中的诉求",
        {},
    )
    assert _refusal(lambda: actions.supervise(world["staff"], issue_id, "请协调")) == (
        409,
        "invalid_transition",
        "只能督办已吹哨、仍在单位办理中的诉求",
        {},
    )
    assert Issue.get_by_id(issue_id).supervised_at is None
    assert _trail(issue_id, "urge") == [] and _trail(issue_id, "supervise") == []


def test_the_street_hears_who_asked_for_supervision_by_their_name(client, world):
    # 张敏 by the name staff gave themselves; an account without one by its login
    ChatGroup.create(
        area=world["d"].street, name="街道工作群", webhook_key="key-street", audience="staff"
    )
    unnamed = make_staff(world["d"].communities[0], username="lisi")
    StaffAccount.update(display_name="张敏").where(StaffAccount.username == "zhangsan").execute()
    StaffAccount.update(display_name="").where(StaffAccount.id == unnamed.id).execute()
    for who, staff in (("张敏", world["staff"]), ("lisi", Principal.for_user(unnamed.user))):
        issue_id = _whistled(client, world)
        issue, told = actions.supervise(staff, issue_id, "两天未报到")
        assert told is True
        text = (
            OutboxMessage.select()
            .where(OutboxMessage.target == "key-street")
            .order_by(OutboxMessage.id.desc())
            .first()
            .payload["text"]["content"]
        )
        assert f"\n{who} 提请街道督办：两天未报到" in text


def test_the_unit_hears_who_answered_its_extension_by_their_login_when_they_have_no_name(
    client, world
):
    ChatGroup.create(
        area=world["d"].street, name="住建办群", webhook_key="key-unit", unit=world["unit"]
    )
    StaffAccount.update(display_name="").where(StaffAccount.username == "zhangsan").execute()
    issue_id = _whistled(client, world)
    actions.request_extension(world["li"], issue_id, 2, "雨天")
    actions.decide_extension(world["staff"], issue_id, False)
    answer = (
        OutboxMessage.select()
        .where(OutboxMessage.target == "key-unit")
        .order_by(OutboxMessage.id.desc())
        .first()
        .payload["text"]["content"]
    )
    assert "\nzhangsan 未同意延期，办理期限仍为 " in answer


def test_a_members_own_photos_stay_with_their_progress_and_their_closing(client, world):
    li = login_staff(client, StaffAccount.get(StaffAccount.username == "zjb-li"))
    seen, fixed = upload_photo(client, li, "red"), upload_photo(client, li, "blue")
    issue_id = _whistled(client, world)
    actions.progress(world["li"], issue_id, "已到现场", [seen])
    actions.resolve(world["li"], issue_id, "已修复", [fixed])
    assert _trail(issue_id, "progress")[0].data["photo_ids"] == [seen]
    assert _trail(issue_id, "resolve")[0].data["photo_ids"] == [fixed]
    assert Issue.get_by_id(issue_id).resolution_photo_ids == [fixed]


def test_a_second_extension_request_waits_for_the_first_to_be_answered(client, world):
    issue_id = _whistled(client, world)
    actions.request_extension(world["li"], issue_id, 3, "需招标")
    assert _refusal(lambda: actions.request_extension(world["wang"], issue_id, 2, "雨天")) == (
        409,
        "extension_pending",
        "已有延期申请等待社区审批",
        {},
    )
    assert [e.data["days"] for e in _trail(issue_id, "extension")] == [3]
