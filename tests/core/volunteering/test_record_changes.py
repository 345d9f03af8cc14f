"""Staff changing service records (`core.volunteering.records`): a pending record's hours, title
and day changed before certification; certifying one or several; correcting a certified one by
a reversing record. What each refusal says and names (the field, in Chinese), who may act on
which record, and what the audit trail keeps of each change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from core.people.permissions import Principal
from core.timebank import postings
from core.volunteering import records
from infra.errors import ApiError
from models import Event, PointEntry, ServiceRecord, User, Volunteer
from tests.factories import login, make_district, make_staff

MOMENT = datetime(2026, 12, 6, 2, 30, tzinfo=UTC)


def principal(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


@pytest.fixture
def w(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    User.update(nickname="李书记").where(User.id == staff.user_id).execute()
    other = make_staff(d.communities[1])
    login(client, "志愿者小陈")
    volunteer_user = User.get(User.openid == "dev:志愿者小陈")
    return {
        "d": d,
        "c1": d.communities[0],
        "staff": principal(staff),
        "other": principal(other),
        "volunteer_user": volunteer_user,
    }


def pending(w, key="r1", hours="2.0", **holder) -> ServiceRecord:
    """A pending record in 第1社区: a steward's patrol day unless `holder` says whose."""
    holder = holder or {"steward": w["d"].stewards[0]}
    return ServiceRecord.create(
        community=w["c1"],
        person_name="管家11",
        source_type="patrol",
        source_id=7,
        source_key=key,
        title="街巷巡查（1区1巷）",
        served_on=date(2026, 12, 5),
        hours=Decimal(hours),
        organiser=w["c1"].name,
        **holder,
    )


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def events(action: str, record_id: int) -> list[Event]:
    return list(
        Event.select()
        .where((Event.action == action) & (Event.subject_id == record_id))
        .order_by(Event.id)
    )


# --- changing a pending record -------------------------------------------------------------------


def test_staff_change_a_pending_records_hours_title_and_day_and_the_trail_keeps_them(w):
    record = pending(w)
    with time_machine.travel(MOMENT, tick=False):
        changed = records.update_pending(
            w["staff"],
            record.id,
            hours="2.25",  # to the tenth, half up
            title="  巷口清扫" + "扫" * 120,
            served_on=date(2026, 12, 4),
        )
    assert changed.hours == Decimal("2.3")
    assert changed.title == ("巷口清扫" + "扫" * 120)[:100]
    assert changed.served_on == date(2026, 12, 4)
    assert changed.updated_at.replace(tzinfo=UTC) == MOMENT
    assert changed.status == "pending"
    (event,) = events("service_record.update", record.id)
    assert event.subject_type == "service_record"
    assert (event.actor_id, event.actor_label, event.area_id) == (
        w["staff"].user.id,
        "李书记",
        w["c1"].id,
    )
    assert event.data == {
        "hours": "2.3",
        "title": ("巷口清扫" + "扫" * 120)[:100],
        "served_on": "2026-12-04",
    }


def test_changing_only_the_title_leaves_the_hours_and_day_alone(w):
    record = pending(w, hours="1.5")
    changed = records.update_pending(w["staff"], record.id, title="夜间巡查")
    assert (changed.title, changed.hours, changed.served_on) == (
        "夜间巡查",
        Decimal("1.5"),
        date(2026, 12, 5),
    )
    assert events("service_record.update", record.id)[0].data == {"title": "夜间巡查"}


def test_a_change_with_nothing_in_it_or_a_blank_title_is_refused_naming_the_field(w):
    record = pending(w)
    nothing = refused(records.update_pending, w["staff"], record.id)
    assert (nothing.status, nothing.code, nothing.message, nothing.fields) == (
        400,
        "validation_error",
        "请至少修改一项",
        {"hours": "请至少修改一项"},
    )
    blank = refused(records.update_pending, w["staff"], record.id, title=" \u200b ")
    assert (blank.status, blank.message, blank.fields) == (
        400,
        "服务内容：不能为空",
        {"title": "不能为空"},
    )
    assert events("service_record.update", record.id) == []


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("两小时", "时长：须为数字"),
        ("nan", "时长：须为数字"),
        ("Infinity", "时长：须为数字"),
        ("1e999", "时长：须为数字"),
        ("0", "时长：须在 0.1 至 24 小时之间"),
        ("0.04", "时长：须在 0.1 至 24 小时之间"),
        ("24.05", "时长：须在 0.1 至 24 小时之间"),
        ("-1", "时长：须在 0.1 至 24 小时之间"),
    ],
)
def test_hours_outside_a_tenth_to_a_day_are_refused_naming_the_field(w, hours, message):
    record = pending(w)
    error = refused(records.update_pending, w["staff"], record.id, hours=hours)
    assert (error.status, error.code, error.message) == (400, "validation_error", message)
    assert error.fields == {"hours": message.removeprefix("时长：")}
    assert ServiceRecord.get_by_id(record.id).hours == Decimal("2.0")


@pytest.mark.parametrize(
    ("hours", "kept"),
    [("0.05", "0.1"), ("0.1", "0.1"), ("24", "24.0"), ("24.04", "24.0"), ("0.25", "0.3")],
)
def test_hours_from_a_tenth_to_a_whole_day_are_kept_to_the_tenth_half_up(w, hours, kept):
    record = pending(w)
    assert records.update_pending(w["staff"], record.id, hours=hours).hours == Decimal(kept)


def test_a_certified_record_or_a_reversal_is_never_changed(w):
    record = pending(w)
    records.certify(w["staff"], record.id)
    certified = refused(records.update_pending, w["staff"], record.id, hours="3")
    assert (certified.status, certified.code, certified.message) == (
        409,
        "record_certified",
        "该服务记录已认证，不能修改；如有错误请提交更正",
    )
    reversal = records.correct(w["staff"], record.id, "多记了")["reversal"]
    again = refused(records.update_pending, w["staff"], reversal.id, title="改一下")
    assert (again.status, again.code, again.message) == (
        409,
        "record_certified",
        "更正记录不能修改",
    )
    assert ServiceRecord.get_by_id(record.id).hours == Decimal("2.0")
    assert ServiceRecord.get_by_id(reversal.id).title == "更正：街巷巡查（1区1巷）"
    assert events("service_record.update", record.id) == []


# --- who may act on a record ---------------------------------------------------------------------


def test_a_record_that_does_not_exist_or_is_out_of_sight_is_not_found(w):
    record = pending(w)
    for p, record_id in ((w["staff"], record.id + 1000), (w["other"], record.id)):
        for act, extra in (
            (records.certify, {}),
            (records.update_pending, {"title": "x"}),
            (records.correct, {"reason": "原因"}),
        ):
            error = refused(act, p, record_id, **extra)
            assert (error.status, error.code, error.message) == (
                404,
                "record_not_found",
                "找不到该服务记录",
            )


def test_the_volunteer_sees_their_own_record_but_only_staff_certify_it(w):
    record = pending(w, user=w["volunteer_user"].id)
    volunteer = Principal.for_user(w["volunteer_user"])
    assert records.get_visible(volunteer, record.id).id == record.id
    error = refused(records.certify, volunteer, record.id)
    assert (error.status, error.code, error.message) == (
        403,
        "staff_only",
        "只有组织该服务的社区工作人员可以认证或更正",
    )
    missing = refused(records.get_visible, volunteer, record.id + 1000)
    assert (missing.status, missing.code, missing.message) == (
        404,
        "record_not_found",
        "找不到该服务记录",
    )


def test_staff_are_told_who_acts_on_their_own_record_instead(w):
    """Certifying, changing or correcting one's own hours is refused with the whole way out:
    another staff member of the community, or the street's admin when there is none."""
    record = pending(w, user=w["staff"].user.id)
    for act, extra in (
        (records.certify, {}),
        (records.update_pending, {"title": "x"}),
        (records.correct, {"reason": "原因"}),
    ):
        error = refused(act, w["staff"], record.id, **extra)
        assert (error.status, error.code, error.message) == (
            403,
            "own_record",
            "不能认证、修改或更正自己的服务记录，须由社区其他工作人员办理"
            "（社区只有您一位工作人员时，由街道管理员认证）",
        )
    assert ServiceRecord.get_by_id(record.id).status == "pending"


# --- certifying ----------------------------------------------------------------------------------


def test_certifying_names_the_certifier_and_posts_the_hours_points_rounded_half_up(w):
    record = pending(w, hours="2.5")
    with time_machine.travel(MOMENT, tick=False):
        done = records.certify(w["staff"], record.id)
    assert done.status == "certified"
    assert (done.certified_by_id, done.certified_by_label) == (w["staff"].user.id, "李书记")
    assert done.certified_at.replace(tzinfo=UTC) == MOMENT
    assert done.updated_at.replace(tzinfo=UTC) == MOMENT
    entry = PointEntry.get_by_id(done.entry_id)
    assert entry.points == 3  # 2.5 hours × 1 point, half up
    assert entry.account.steward_id == w["d"].stewards[0].id
    assert entry.account.community_id == w["c1"].id
    assert (entry.rule, entry.source_type, entry.source_id) == ("service_hour", "patrol", 7)
    assert (entry.reason, entry.key) == ("街巷巡查（1区1巷）", f"service_record:{record.id}")
    assert entry.actor_id == w["staff"].user.id
    (event,) = events("service_record.certify", record.id)
    assert (event.subject_type, event.actor_id, event.area_id) == (
        "service_record",
        w["staff"].user.id,
        w["c1"].id,
    )
    assert event.data == {"hours": "2.5", "points": 3}


def test_a_volunteers_hours_go_to_their_own_passbook(w):
    record = pending(w, user=w["volunteer_user"].id)
    done = records.certify(w["staff"], record.id)
    account = PointEntry.get_by_id(done.entry_id).account
    assert (account.user_id, account.steward_id) == (w["volunteer_user"].id, None)
    assert account.balance == 2


def test_hours_worth_no_point_are_certified_without_an_entry(w):
    record = pending(w, hours="0.4")
    done = records.certify(w["staff"], record.id)
    assert done.status == "certified" and done.entry_id is None
    assert PointEntry.select().count() == 0
    assert events("service_record.certify", record.id)[0].data == {"hours": "0.4", "points": 0}


def test_the_points_follow_the_configured_service_hour_rule(w, app):
    app.config["TIMEBANK_RULES"] = {"service_hour": {"points": 2}}
    done = records.certify(w["staff"], pending(w, hours="1.5").id)
    assert PointEntry.get_by_id(done.entry_id).points == 3


def test_a_record_is_certified_once(w):
    record = pending(w)
    records.certify(w["staff"], record.id)
    error = refused(records.certify, w["staff"], record.id)
    assert (error.status, error.code, error.message) == (
        409,
        "already_certified",
        "该服务记录已认证",
    )
    assert PointEntry.select().count() == 1


def test_several_certified_at_once_each_once_those_done_before_reported(w):
    first, second, done = pending(w, "a"), pending(w, "b"), pending(w, "c")
    records.certify(w["staff"], done.id)
    out = records.certify_many(w["staff"], [second.id, done.id, first.id, second.id])
    assert [r.id for r in out["certified"]] == [second.id, first.id]
    assert all(r.status == "certified" for r in out["certified"])
    assert out["skipped"] == [done.id]
    assert len(events("service_record.certify", second.id)) == 1
    empty = refused(records.certify_many, w["staff"], [])
    assert (empty.status, empty.message, empty.fields) == (
        400,
        "请选择服务记录",
        {"ids": "请选择服务记录"},
    )


# --- correcting ----------------------------------------------------------------------------------


def test_a_correction_reverses_the_record_and_its_points_and_adds_a_pending_replacement(w):
    volunteer = Volunteer.create(
        user=w["volunteer_user"].id, community=w["c1"], name="陈晓", phone="13800001111"
    )
    record = pending(w, hours="2.0", user=w["volunteer_user"].id, volunteer=volunteer)
    records.certify(w["staff"], record.id)
    original = ServiceRecord.get_by_id(record.id)
    with time_machine.travel(MOMENT, tick=False):
        out = records.correct(w["staff"], record.id, "  签退时间记错  ", hours="1.5")
    reversal, replacement = out["reversal"], out["replacement"]
    assert (reversal.community_id, reversal.user_id, reversal.steward_id) == (
        w["c1"].id,
        w["volunteer_user"].id,
        None,
    )
    assert (reversal.volunteer_id, reversal.person_name, reversal.organiser) == (
        volunteer.id,
        "管家11",
        w["c1"].name,
    )
    assert (reversal.source_type, reversal.source_id, reversal.source_key) == (
        "patrol",
        7,
        f"correction:{record.id}",
    )
    assert (reversal.title, reversal.served_on, reversal.hours) == (
        "更正：街巷巡查（1区1巷）",
        date(2026, 12, 5),
        Decimal("-2.0"),
    )
    assert (reversal.status, reversal.reason, reversal.reverses_id) == (
        "certified",
        "签退时间记错",
        record.id,
    )
    assert (reversal.certified_by_id, reversal.certified_by_label) == (w["staff"].user.id, "李书记")
    assert reversal.certified_at.replace(tzinfo=UTC) == MOMENT
    reversing = PointEntry.get_by_id(reversal.entry_id)
    assert reversing.reverses_id == original.entry_id and reversing.points == -2
    assert reversing.reason == "服务记录更正：签退时间记错"
    assert reversing.actor_id == w["staff"].user.id
    assert (replacement.status, replacement.hours) == ("pending", Decimal("1.5"))
    assert (replacement.source_key, replacement.title) == (
        f"replacement:{record.id}",
        "街巷巡查（1区1巷）",
    )
    assert (replacement.served_on, replacement.source_type, replacement.source_id) == (
        date(2026, 12, 5),
        "patrol",
        7,
    )
    assert (replacement.user_id, replacement.steward_id, replacement.volunteer_id) == (
        w["volunteer_user"].id,
        None,
        volunteer.id,
    )
    made = events("service_record.create", replacement.id)[0]
    assert made.actor_id == w["staff"].user.id
    (event,) = events("service_record.correct", record.id)
    assert (event.subject_type, event.actor_id, event.area_id) == (
        "service_record",
        w["staff"].user.id,
        w["c1"].id,
    )
    assert event.data == {
        "reason": "签退时间记错",
        "reversal_id": reversal.id,
        "replacement_id": replacement.id,
    }
    assert postings.audit_balances() == []


def test_a_correction_without_hours_only_reverses_and_keeps_a_long_reason_cut(w):
    record = pending(w, hours="0.4")  # certified with no point: nothing to reverse in the bank
    records.certify(w["staff"], record.id)
    out = records.correct(w["staff"], record.id, "原" * 250)
    assert out["replacement"] is None
    assert out["reversal"].reason == "原" * 200 and out["reversal"].entry_id is None
    assert ServiceRecord.get_by_id(record.id).title == "街巷巡查（1区1巷）"
    assert events("service_record.correct", record.id)[0].data["replacement_id"] is None
    long = pending(w, key="long")
    ServiceRecord.update(title="长" * 100).where(ServiceRecord.id == long.id).execute()
    records.certify(w["staff"], long.id)
    assert records.correct(w["staff"], long.id, "x")["reversal"].title == ("更正：" + "长" * 97)


def test_a_correction_needs_a_reason_and_valid_hours(w):
    record = pending(w)
    records.certify(w["staff"], record.id)
    for reason in ("", " \u3000 ", None):
        error = refused(records.correct, w["staff"], record.id, reason)
        assert (error.status, error.message, error.fields) == (
            400,
            "原因：更正须写明原因",
            {"reason": "更正须写明原因"},
        )
    bad = refused(records.correct, w["staff"], record.id, "多记", hours="25")
    assert (bad.status, bad.fields) == (400, {"hours": "须在 0.1 至 24 小时之间"})
    assert ServiceRecord.select().count() == 1


def test_only_a_certified_record_is_corrected_and_only_once(w):
    record = pending(w)
    early = refused(records.correct, w["staff"], record.id, "多记")
    assert (early.status, early.code, early.message) == (
        409,
        "not_certified",
        "该记录尚未认证，可直接修改",
    )
    records.certify(w["staff"], record.id)
    reversal = records.correct(w["staff"], record.id, "多记")["reversal"]
    twice = refused(records.correct, w["staff"], record.id, "再来")
    assert (twice.status, twice.code, twice.message) == (
        409,
        "already_corrected",
        "该服务记录已经更正过了",
    )
    itself = refused(records.correct, w["staff"], reversal.id, "再来")
    assert (itself.status, itself.code, itself.message) == (
        409,
        "invalid_transition",
        "更正记录本身不能再更正",
    )
    assert ServiceRecord.select().count() == 2


def test_certifying_a_record_leaves_every_other_records_ledger_entry_alone(w):
    first = records.certify(w["staff"], pending(w, "a").id)
    second = records.certify(w["staff"], pending(w, "b", hours="3.0").id)
    assert first.entry_id != second.entry_id
    assert ServiceRecord.get_by_id(first.id).entry_id == first.entry_id
    assert PointEntry.get_by_id(first.entry_id).points == 2
