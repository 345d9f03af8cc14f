"""一人一策 (core.households.plans) where the API's schema and matrix do not look: every field's
bounds exactly at and one past the limit with the Chinese message naming it, what a partial
change leaves alone, when a plan falls due (from its own date when made after the last visit),
the audit of both changes, and the overdue lists (the group digest's, the console's)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.households import plans, visits
from core.people import phones
from core.people.permissions import Principal
from infra.errors import ApiError
from models import CarePlan, Event, Household, Steward, User
from tests.core.households.world import households
from tests.core.households.world import staff as _staff
from tests.factories import make_district

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 9, 0, tzinfo=SH)
START_UTC = datetime(2026, 12, 1, 1, 0)
WEEKLY = {"group": "鳏寡孤独", "plan": "每周上门", "interval_days": 7}


@pytest.fixture
def w(app):
    d = make_district()
    admin = _staff(d.street, role="admin")
    places = (
        ("a", d.alleys[0], d.stewards[0]),
        ("a2", d.alleys[0], d.stewards[0]),
        ("b", d.alleys[1], d.stewards[1]),
        ("c", d.alleys[2], d.stewards[2]),
    )
    made = households(admin, d, places, members=True)
    return {"d": d, "h": made, "staff": _staff(d.communities[0]), "admin": admin}


def _refused(w, body, household="a") -> tuple[int, str, dict]:
    with pytest.raises(ApiError) as err:
        plans.create(w["staff"], w["h"][household], {**WEEKLY, **body})
    assert CarePlan.select().count() == 0
    return err.value.status, err.value.message, err.value.fields


@pytest.mark.parametrize(
    ("body", "message", "field", "reason"),
    [
        (
            {"group": "富裕户"},
            "帮扶类别",
            "group",
            "须为 鳏寡孤独、重症残疾人、留守儿童、困境儿童 之一",
        ),
        (
            {"group": None},
            "帮扶类别",
            "group",
            "须为 鳏寡孤独、重症残疾人、留守儿童、困境儿童 之一",
        ),
        ({"plan": "   "}, "帮扶措施", "plan", "不能为空"),
        ({"plan": None}, "帮扶措施", "plan", "不能为空"),
        ({"plan": "陪" * 2001}, "帮扶措施", "plan", "最多 2000 个字"),
        ({"member_name": "路人"}, "帮扶对象", "member_name", "须为户主或该户登记的成员"),
        ({"interval_days": 0}, "走访周期（天）", "interval_days", "须在 1 到 365 之间"),
        ({"interval_days": 366}, "走访周期（天）", "interval_days", "须在 1 到 365 之间"),
        ({"interval_days": True}, "走访周期（天）", "interval_days", "须在 1 到 365 之间"),
        ({"interval_days": "每周"}, "走访周期（天）", "interval_days", "须为整数"),
        ({"interval_days": None}, "走访周期（天）", "interval_days", "须为整数"),
        ({"volunteer_user_id": 999_999}, "结对志愿者", "volunteer_user_id", "用户不存在"),
        ({"volunteer_user_id": "小刘"}, "结对志愿者", "volunteer_user_id", "用户不存在"),
        ({"volunteer_name": "刘" * 51}, "结对志愿者姓名", "volunteer_name", "最多 50 个字"),
        ({"volunteer_phone": "12345"}, "结对志愿者电话", "volunteer_phone", phones.CONTACT_ERROR),
        ({"active": "yes"}, "是否执行中", "active", "须为是或否"),
        ({"active": 1}, "是否执行中", "active", "须为是或否"),
    ],
)
def test_a_bad_plan_field_is_refused_in_chinese_naming_it(w, body, message, field, reason):
    status, got, fields = _refused(w, body)
    assert status == 400 and list(fields) == [field]
    assert fields[field] == reason and got == f"{message}：{reason}"


def test_each_field_at_its_limit_is_kept_trimmed(w):
    vol = User.create(nickname="")
    plan = plans.create(
        w["staff"],
        w["h"]["a"],
        {
            "group": " 留守儿童 ",
            "plan": " " + "陪" * 2000 + " ",
            "member_name": " a的孙子 ",
            "interval_days": "365",
            "volunteer_user_id": str(vol.id),
            "volunteer_name": " " + "刘" * 50 + " ",
            "volunteer_phone": "137 0000 1111",
            "active": True,
        },
    )
    assert (plan.group, plan.plan, plan.member_name, plan.interval_days) == (
        "留守儿童",
        "陪" * 2000,
        "a的孙子",
        365,
    )
    assert (plan.volunteer_user_id, plan.volunteer_name, plan.volunteer_phone, plan.active) == (
        vol.id,
        "刘" * 50,
        "13700001111",
        True,
    )
    one_day = plans.create(w["staff"], w["h"]["a"], {**WEEKLY, "interval_days": 1})
    assert one_day.interval_days == 1
    head = plans.create(w["staff"], w["h"]["a"], {**WEEKLY, "member_name": "户主a"})
    assert head.member_name == "户主a"
    whole = plans.create(w["staff"], w["h"]["a"], WEEKLY)
    assert (whole.member_name, whole.volunteer_user_id, whole.volunteer_name) == ("", None, "")
    assert (whole.volunteer_phone, whole.active) == (None, True)


def test_a_paired_volunteer_without_a_name_is_named_from_their_account(w):
    named = User.create(nickname="刘志愿")
    nameless = User.create(nickname="")
    hid = w["h"]["a"]
    first = plans.create(w["staff"], hid, {**WEEKLY, "volunteer_user_id": named.id})
    assert first.volunteer_name == "刘志愿"
    second = plans.create(w["staff"], hid, {**WEEKLY, "volunteer_user_id": nameless.id})
    assert second.volunteer_name == f"用户{nameless.id}"
    given = plans.create(
        w["staff"], hid, {**WEEKLY, "volunteer_user_id": named.id, "volunteer_name": "小刘"}
    )
    assert given.volunteer_name == "小刘"
    # a change of the volunteer alone leaves the name written before
    changed = plans.update(w["staff"], given.id, {"volunteer_user_id": nameless.id})
    assert (changed.volunteer_user_id, changed.volunteer_name) == (nameless.id, "小刘")
    cleared = plans.update(w["staff"], given.id, {"volunteer_user_id": ""})
    assert cleared.volunteer_user_id is None


def test_a_plan_falls_due_its_interval_after_it_is_made_and_is_audited(w):
    hid = w["h"]["a"]
    with time_machine.travel(START, tick=False):
        plan = plans.create(w["staff"], hid, WEEKLY)
    assert (plan.created_at, plan.updated_at) == (START_UTC, START_UTC)
    assert plan.due_at == START_UTC + timedelta(days=7)
    assert Household.get_by_id(hid).visit_due_at == START_UTC + timedelta(days=7)
    event = Event.select().where(Event.action == "household.plan_create").get()
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "household",
        hid,
        w["staff"].user.id,
        w["d"].alleys[0].id,
    )
    assert event.data == {"plan_id": plan.id, "group": "鳏寡孤独"}


def test_a_plan_made_after_the_last_visit_is_due_from_the_plans_date(w):
    hid = w["h"]["a"]
    with time_machine.travel(START, tick=False):
        visits.record(w["staff"], hid, "上门")
    with time_machine.travel(START + timedelta(days=5), tick=False):
        plan = plans.create(w["staff"], hid, {**WEEKLY, "interval_days": 3})
    assert plan.due_at == START_UTC + timedelta(days=8)
    assert Household.get_by_id(hid).visit_due_at == START_UTC + timedelta(days=8)


def test_a_changed_interval_moves_the_due_time_and_the_change_is_audited(w):
    hid = w["h"]["a"]
    with time_machine.travel(START, tick=False):
        plan = plans.create(w["staff"], hid, WEEKLY)
    steward = Principal(user=User.create(), roles={"steward"}, stewards=[w["d"].stewards[0]])
    later = START + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        changed = plans.update(steward, plan.id, {"interval_days": 3, "plan": " 每三天上门 "})
    assert (changed.interval_days, changed.plan) == (3, "每三天上门")
    assert changed.updated_at == START_UTC + timedelta(days=1)
    assert changed.created_at == START_UTC and changed.group == "鳏寡孤独"
    assert changed.due_at == START_UTC + timedelta(days=3)
    assert Household.get_by_id(hid).visit_due_at == START_UTC + timedelta(days=3)
    event = Event.select().where(Event.action == "household.plan_update").get()
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "household",
        hid,
        steward.user.id,
        w["d"].alleys[0].id,
    )
    assert event.data == {"plan_id": plan.id, "fields": ["interval_days", "plan"]}


def test_a_change_that_changes_nothing_is_neither_saved_nor_audited(w):
    with time_machine.travel(START, tick=False):
        plan = plans.create(w["staff"], w["h"]["a"], WEEKLY)
    with time_machine.travel(START + timedelta(days=1), tick=False):
        same = plans.update(w["staff"], plan.id, {"interval_days": 7, "plan": "每周上门"})
        assert plans.update(w["staff"], plan.id, {}).updated_at == START_UTC
    assert same.updated_at == START_UTC
    assert Event.select().where(Event.action == "household.plan_update").count() == 0


def test_a_plan_out_of_reach_or_unknown_is_not_found_in_chinese(w):
    plan = plans.create(w["staff"], w["h"]["a"], WEEKLY)
    other = _staff(w["d"].communities[1])
    for plan_id, code, message in (
        (999_999, "plan_not_found", "找不到该帮扶计划"),
        (plan.id, "household_not_found", "找不到该户"),
    ):
        with pytest.raises(ApiError) as err:
            plans.update(other, plan_id, {"interval_days": 3})
        assert (err.value.status, err.value.code, err.value.message) == (404, code, message)
    assert CarePlan.get_by_id(plan.id).interval_days == 7
    with pytest.raises(ApiError) as err:
        plans.update(w["staff"], plan.id, {"interval_days": 0})
    assert err.value.fields == {"interval_days": "须在 1 到 365 之间"}


def _overdue_at(w, name, days):
    """Make household `name` a plan due `days` days before START."""
    with time_machine.travel(START - timedelta(days=days + 7), tick=False):
        plans.create(w["admin"], w["h"][name], WEEKLY)


def test_the_group_digest_counts_each_stewards_overdue_households_and_the_longest_wait(w):
    _overdue_at(w, "a", 1)
    _overdue_at(w, "a2", 4)
    _overdue_at(w, "b", 0)  # due a moment before: 1 day at least
    _overdue_at(w, "c", 5)  # the longest wait, but listed by steward, not by wait
    now = START_UTC + timedelta(minutes=1)
    got = plans.overdue_by_steward(now)
    d = w["d"]
    assert [(o.steward.id, o.alley_id, o.community_id, o.households, o.most_days) for o in got] == [
        (d.stewards[0].id, d.alleys[0].id, d.communities[0].id, 2, 4),
        (d.stewards[1].id, d.alleys[1].id, d.communities[0].id, 1, 1),
        (d.stewards[2].id, d.alleys[2].id, d.communities[1].id, 1, 5),
    ]
    # exactly at its due time a household is not yet overdue ("a" here)
    earlier = plans.overdue_by_steward(START_UTC - timedelta(days=1))
    assert [(o.steward.id, o.households, o.most_days) for o in earlier] == [
        (d.stewards[0].id, 1, 3),
        (d.stewards[2].id, 1, 4),
    ]
    # off the register, or its steward gone: not in the digest
    Household.update(active=False).where(Household.id == w["h"]["a2"]).execute()
    Steward.update(active=False).where(Steward.id == d.stewards[2].id).execute()
    got = plans.overdue_by_steward(now)
    assert [(o.steward.id, o.households, o.most_days) for o in got] == [
        (d.stewards[0].id, 1, 1),
        (d.stewards[1].id, 1, 1),
    ]


def test_the_consoles_overdue_list_is_in_scope_and_the_longest_waiting_first(w):
    _overdue_at(w, "a", 1)
    _overdue_at(w, "a2", 4)
    _overdue_at(w, "b", 2)
    _overdue_at(w, "c", 3)
    now = START_UTC + timedelta(minutes=1)
    h = w["h"]
    listed = list(plans.overdue_households(w["staff"], now))
    assert [x.id for x in listed] == [h["a2"], h["b"], h["a"]]
    assert listed[0].steward.name == "管家11" and listed[0].alley.name == "1区1巷"
    assert [x.id for x in plans.overdue_households(w["admin"], now)] == [
        h["a2"],
        h["c"],
        h["b"],
        h["a"],
    ]
    Household.update(active=False).where(Household.id == h["b"]).execute()
    assert [x.id for x in plans.overdue_households(w["staff"], now)] == [h["a2"], h["a"]]
    assert [x.id for x in plans.overdue_households(w["staff"], START_UTC - timedelta(days=1))] == [
        h["a2"]
    ]


def test_a_new_plan_needs_its_group_measure_and_interval(w):
    for missing, field in (
        ("group", "group"),
        ("plan", "plan"),
        ("interval_days", "interval_days"),
    ):
        body = {k: v for k, v in WEEKLY.items() if k != missing}
        with pytest.raises(ApiError) as err:
            plans.create(w["staff"], w["h"]["a"], body)
        assert list(err.value.fields) == [field]
    assert CarePlan.select().count() == 0


def test_a_partial_change_changes_the_fields_named_and_leaves_the_rest(w):
    vol = User.create(nickname="刘志愿")
    plan = plans.create(
        w["staff"],
        w["h"]["a"],
        {**WEEKLY, "volunteer_user_id": vol.id, "volunteer_phone": "13700001111"},
    )
    steps = (
        ({"group": "重症残疾人"}, "group", "重症残疾人"),
        ({"member_name": "a的孙子"}, "member_name", "a的孙子"),
        ({"volunteer_name": "小刘"}, "volunteer_name", "小刘"),
        ({"volunteer_phone": "0731-88886666"}, "volunteer_phone", "0731-88886666"),
        ({"volunteer_phone": ""}, "volunteer_phone", None),
        ({"active": False}, "active", False),
    )
    expected = {
        "group": "鳏寡孤独",
        "plan": "每周上门",
        "member_name": "",
        "interval_days": 7,
        "volunteer_user_id": vol.id,
        "volunteer_name": "刘志愿",
        "volunteer_phone": "13700001111",
        "active": True,
    }
    for body, field, value in steps:
        changed = plans.update(w["staff"], plan.id, body)
        expected[field] = value
        assert {k: getattr(changed, k) for k in expected} == expected, body
    with pytest.raises(ApiError) as err:
        plans.update(w["staff"], plan.id, {"member_name": "路人"})
    assert list(err.value.fields) == ["member_name"]


def test_a_new_plan_is_made_and_last_changed_at_the_same_moment(w):
    # on the running clock: the two times come from one reading of it
    plan = plans.create(w["staff"], w["h"]["a"], WEEKLY)
    assert plan.updated_at == plan.created_at
    assert plan.due_at == plan.created_at + timedelta(days=7)
