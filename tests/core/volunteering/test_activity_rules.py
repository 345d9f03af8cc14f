"""Volunteer activities' rules at the core (core.volunteering.activities): what publishing
accepts at its bounds, who may cancel an activity or check another person in, the window a
volunteer may check in and out within (walked to the minute), sign-ups given back and taken
again, what a listing holds for whom and in which order, and what each step writes to the
audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine

from core.people.permissions import Principal
from core.volunteering import activities, volunteers
from infra.errors import ApiError
from models import Activity, ActivitySignup, Event, User
from tests.factories import make_world

BEIJING = timezone(timedelta(hours=8))
# 2026-12-05 09:00–11:00 in Beijing time
START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
BEFORE = START - timedelta(days=1)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    return err.value


def _principal(nickname: str) -> Principal:
    return Principal.for_user(User.get(User.openid == f"dev:{nickname}"))


@pytest.fixture
def w(client):
    w = make_world(
        client,
        residents={"vol": "志愿者小陈", "vol2": "志愿者小李", "far": "外社区志愿者"},
        staff={"staff": 0, "other_staff": 1},
        admins={"admin": None},
    )
    w["c1"], w["c2"] = w["d"].communities
    w["staff_p"] = Principal.for_user(w["staff_account"].user)
    w["other_p"] = Principal.for_user(w["other_staff_account"].user)
    w["admin_p"] = Principal.for_user(w["admin_account"].user)
    w["vol_p"], w["vol2_p"] = _principal("志愿者小陈"), _principal("志愿者小李")
    w["far_p"] = _principal("外社区志愿者")
    w["v1"] = volunteers.register(w["vol_p"], w["c1"].id, "陈晓", "13800001111")
    w["v2"] = volunteers.register(w["vol2_p"], w["c1"].id, "李明", "13800002222")
    w["vfar"] = volunteers.register(w["far_p"], w["c2"].id, "王远", "13800003333")
    return w


def _publish(w, who="staff_p", community=None, start=START, end=END, capacity=5, **extra):
    community_id = (community or w["c1"]).id
    with at(BEFORE):
        return activities.publish(
            w[who], community_id, "敬老院义务理发", "社区敬老院", start, end, capacity, **extra
        )


# --- publishing ----------------------------------------------------------------------------------


def test_an_activity_may_last_exactly_24_hours_but_not_a_second_more(client, w):
    day = _publish(w, end=START + timedelta(hours=24))
    assert day.ends_at - day.starts_at == timedelta(hours=24)
    err = refused(_publish, w, end=START + timedelta(hours=24, seconds=1))
    assert (err.status, err.fields) == (400, {"ends_at": "一次活动最长 24 小时"})
    assert err.message == "结束时间：一次活动最长 24 小时"


def test_an_activity_ending_when_it_starts_is_refused_naming_the_end(client, w):
    err = refused(_publish, w, end=START)
    assert (err.status, err.message, err.fields) == (
        400,
        "结束时间：须晚于开始时间",
        {"ends_at": "须晚于开始时间"},
    )
    assert Activity.select().count() == 0


def test_places_run_from_one_to_ten_thousand(client, w):
    assert _publish(w, capacity=1).capacity == 1
    assert _publish(w, capacity=10_000).capacity == 10_000
    for capacity in (0, 10_001):
        err = refused(_publish, w, capacity=capacity)
        assert (err.message, err.fields) == (
            "名额：须在 1 至 10000 之间",
            {"capacity": "须在 1 至 10000 之间"},
        )


def test_a_blank_title_or_place_is_refused_naming_the_field(client, w):
    with at(BEFORE):
        err = refused(activities.publish, w["staff_p"], w["c1"].id, "  ", "广场", START, END, 3)
        assert (err.message, err.fields) == ("活动名称：必填", {"title": "必填"})
        err = refused(activities.publish, w["staff_p"], w["c1"].id, "理发", " ", START, END, 3)
        assert (err.message, err.fields) == ("地点：必填", {"place": "必填"})
        err = refused(activities.publish, w["staff_p"], w["c1"].id, "理发", None, START, END, 3)
        assert err.fields == {"place": "必填"}
        err = refused(activities.publish, w["staff_p"], w["c1"].id, None, "广场", START, END, 3)
        assert err.fields == {"title": "必填"}


def test_title_place_and_description_are_trimmed_and_cut_to_their_lengths(client, w):
    with at(BEFORE):
        act = activities.publish(
            w["staff_p"],
            w["c1"].id,
            "  " + "理" * 70 + " ",
            " " + "场" * 120,
            START,
            END,
            3,
            "  " + "说" * 2100,
        )
    act = Activity.get_by_id(act.id)
    assert act.title == "理" * 60 and act.place == "场" * 100
    assert act.description == "说" * 2000
    event = Event.get(Event.action == "activity.publish")
    assert (event.subject_type, event.subject_id, event.area_id) == (
        "activity",
        act.id,
        w["c1"].id,
    )
    assert event.actor_id == w["staff_account"].user_id
    assert event.data == {"title": "理" * 60, "capacity": 3}


def test_no_description_is_stored_as_empty(client, w):
    with at(BEFORE):
        act = activities.publish(w["staff_p"], w["c1"].id, "理发", "广场", START, END, 3, None)
    assert Activity.get_by_id(act.id).description == ""


def test_times_with_an_offset_are_stored_as_utc_and_naive_times_as_given(client, w):
    act = _publish(w, start=START.astimezone(BEIJING), end=END.astimezone(BEIJING))
    assert act.starts_at == START.replace(tzinfo=None) and act.ends_at == END.replace(tzinfo=None)
    naive = _publish(w, start=START.replace(tzinfo=None), end=END.replace(tzinfo=None))
    assert naive.starts_at == START.replace(tzinfo=None)


def test_staff_of_another_community_cannot_publish_there(client, w):
    err = refused(_publish, w, who="other_p")
    assert (err.status, err.code) == (403, "out_of_scope")
    assert _publish(w, who="admin_p").community_id == w["c1"].id


# --- cancelling an activity ----------------------------------------------------------------------


def test_staff_of_another_community_cannot_cancel_this_activity(client, w):
    act = _publish(w)
    err = refused(activities.cancel_activity, w["other_p"], act.id, "下雨")
    assert (err.status, err.code) == (403, "out_of_scope")
    assert Activity.get_by_id(act.id).status == "published"


def test_cancelling_needs_a_reason_and_happens_once_audited(client, w):
    act = _publish(w)
    err = refused(activities.cancel_activity, w["staff_p"], act.id, "   ")
    assert (err.message, err.fields) == ("原因：必填", {"reason": "必填"})
    err = refused(activities.cancel_activity, w["staff_p"], act.id, None)
    assert err.fields == {"reason": "必填"}
    done = activities.cancel_activity(w["staff_p"], act.id, "  天气原因 ")
    assert done.status == "cancelled" and activities.as_dict(done)["status_label"] == "已取消"
    err = refused(activities.cancel_activity, w["staff_p"], act.id, "再取消")
    assert (err.status, err.code, err.message) == (409, "invalid_transition", "该活动已取消")
    events = list(Event.select().where(Event.action == "activity.cancel"))
    assert len(events) == 1
    event = events[0]
    assert (event.subject_type, event.subject_id, event.area_id, event.actor_id) == (
        "activity",
        act.id,
        w["c1"].id,
        w["staff_account"].user_id,
    )
    assert event.data == {"reason": "天气原因"}


def test_an_unknown_activity_is_not_found(client, w):
    err = refused(activities.get, 9999)
    assert (err.status, err.code, err.message) == (404, "activity_not_found", "找不到该活动")


# --- seeing activities ---------------------------------------------------------------------------


def test_a_volunteer_sees_their_communitys_activities_and_staff_their_scopes(client, w):
    here = _publish(w)
    there = _publish(w, community=w["c2"], who="admin_p")
    assert [a.id for a in activities.listing(w["vol_p"])] == [here.id]
    assert [a.id for a in activities.listing(w["far_p"])] == [there.id]
    assert [a.id for a in activities.listing(w["staff_p"])] == [here.id]
    assert sorted(a.id for a in activities.listing(w["admin_p"])) == [here.id, there.id]
    assert [a.id for a in activities.listing(w["admin_p"], w["c2"].id)] == [there.id]
    # somebody registered nowhere, staff of nothing: nothing
    nobody = Principal.for_user(User.create(openid="dev:无名", nickname="无名"))
    assert list(activities.listing(nobody)) == []
    # a volunteer who is also staff of the other community sees both
    both = Principal.for_user(w["other_staff_account"].user)
    volunteers.register(both, w["c1"].id, "兼职", "13800004444")
    assert sorted(a.id for a in activities.listing(both)) == [here.id, there.id]


def test_a_volunteer_reads_an_activity_of_their_community_only(client, w):
    act = _publish(w)
    assert activities.visible(w["vol_p"], act.id).id == act.id
    assert activities.visible(w["staff_p"], act.id).id == act.id
    err = refused(activities.visible, w["far_p"], act.id)
    assert (err.status, err.code, err.message) == (404, "activity_not_found", "找不到该活动")
    err = refused(activities.visible, w["other_p"], act.id)
    assert err.status == 404
    err = refused(activities.visible, Principal.anonymous(), act.id)
    assert err.status == 404


def test_the_upcoming_list_keeps_an_activity_until_the_moment_it_ends(client, w):
    act = _publish(w)
    with at(END):
        assert [a.id for a in activities.listing(w["vol_p"], upcoming=True)] == [act.id]
    with at(END + timedelta(seconds=1)):
        assert list(activities.listing(w["vol_p"], upcoming=True)) == []
        assert [a.id for a in activities.listing(w["vol_p"])] == [act.id]


def test_the_list_runs_latest_start_first_then_newest(client, w):
    late_a = _publish(w)
    early = _publish(w, start=START - timedelta(days=1), end=END - timedelta(days=1))
    late_b = _publish(w)
    got = [a.id for a in activities.listing(w["staff_p"])]
    assert got == [late_b.id, late_a.id, early.id]


def test_my_list_holds_only_what_i_am_still_signed_up_for(client, w):
    kept, dropped, other = _publish(w), _publish(w), _publish(w)
    with at(BEFORE):
        activities.signup(w["vol_p"], kept.id)
        activities.signup(w["vol_p"], dropped.id)
        activities.cancel_signup(w["vol_p"], dropped.id)
        activities.signup(w["vol2_p"], other.id)
    assert [a.id for a in activities.listing(w["vol_p"], mine=True)] == [kept.id]
    # staff who volunteer nowhere have signed up for nothing
    assert list(activities.listing(w["staff_p"], mine=True)) == []


# --- signing up and giving the place back --------------------------------------------------------


def test_only_a_volunteer_of_the_activitys_community_may_sign_up(client, w):
    act = _publish(w)
    with at(BEFORE):
        err = refused(activities.signup, w["far_p"], act.id)
        assert (err.status, err.code, err.message) == (
            403,
            "not_a_volunteer",
            "请先登记为该社区的志愿者",
        )
        err = refused(activities.signup, Principal.anonymous(), act.id)
        assert (err.status, err.message) == (403, "请先登录")


def test_sign_up_closes_the_moment_the_activity_ends(client, w):
    act = _publish(w)
    with at(END - timedelta(seconds=1)):
        activities.signup(w["vol_p"], act.id)
    with at(END):
        err = refused(activities.signup, w["vol2_p"], act.id)
        assert (err.status, err.code, err.message) == (
            409,
            "activity_over",
            "该活动已结束，不能报名",
        )


def test_nobody_signs_up_for_a_cancelled_activity(client, w):
    act = _publish(w)
    activities.cancel_activity(w["staff_p"], act.id, "下雨")
    with at(BEFORE):
        err = refused(activities.signup, w["vol_p"], act.id)
    assert (err.status, err.code, err.message) == (409, "activity_cancelled", "该活动已取消")
    assert Activity.get_by_id(act.id).signed_up == 0


def test_a_place_given_back_can_be_taken_again_on_the_same_row(client, w):
    act = _publish(w, capacity=1)
    with at(BEFORE):
        first = activities.signup(w["vol_p"], act.id)
        err = refused(activities.signup, w["vol_p"], act.id)
        assert (err.code, err.message) == ("already_signed_up", "您已报名该活动")
        given = activities.cancel_signup(w["vol_p"], act.id)
        assert given.status == "cancelled"
        assert Activity.get_by_id(act.id).signed_up == 0
        again = activities.signup(w["vol_p"], act.id)
    assert again.id == first.id and again.status == "signed_up"
    assert ActivitySignup.get_by_id(first.id).status == "signed_up"
    assert ActivitySignup.select().count() == 1
    assert Activity.get_by_id(act.id).signed_up == 1
    events = [
        (e.action, e.subject_type, e.subject_id, e.area_id, e.actor_id, e.data)
        for e in Event.select().where(Event.action.startswith("activity.")).order_by(Event.id)
        if e.action != "activity.publish"
    ]
    me = (act.id, w["c1"].id, User.get(User.openid == "dev:志愿者小陈").id)
    data = {"volunteer_id": w["v1"].id}
    assert events == [
        ("activity.signup", "activity", *me, data),
        ("activity.cancel_signup", "activity", *me, data),
        ("activity.signup", "activity", *me, data),
    ]


def test_a_full_activity_turns_the_next_volunteer_away(client, w):
    act = _publish(w, capacity=2)
    with at(BEFORE):
        activities.signup(w["vol_p"], act.id)
        activities.signup(w["vol2_p"], act.id)
        volunteers.register(w["far_p"], w["c1"].id, "王远", "13800003333")
        err = refused(activities.signup, w["far_p"], act.id)
    assert (err.status, err.code, err.message) == (409, "activity_full", "名额已满")
    assert Activity.get_by_id(act.id).signed_up == 2


def test_a_place_cannot_be_given_back_once_checked_in(client, w):
    act = _publish(w)
    with at(BEFORE):
        err = refused(activities.cancel_signup, w["vol_p"], act.id)
        assert (err.status, err.code, err.message) == (409, "not_signed_up", "您没有报名该活动")
        activities.signup(w["vol_p"], act.id)
    with at(START):
        activities.check_in(w["vol_p"], act.id)
        err = refused(activities.cancel_signup, w["vol_p"], act.id)
    assert (err.status, err.code, err.message) == (
        409,
        "already_checked_in",
        "已签到，不能取消报名",
    )
    assert ActivitySignup.get().status == "signed_up"
    assert Activity.get_by_id(act.id).signed_up == 1


def test_giving_back_a_place_touches_only_that_activity_and_that_sign_up(client, w):
    kept, given = _publish(w, capacity=3), _publish(w, capacity=3)
    with at(BEFORE):
        activities.signup(w["vol2_p"], kept.id)
        activities.signup(w["vol_p"], kept.id)
        activities.signup(w["vol_p"], given.id)
        activities.signup(w["vol2_p"], given.id)
        activities.cancel_signup(w["vol2_p"], given.id)
    assert Activity.get_by_id(kept.id).signed_up == 2
    assert Activity.get_by_id(given.id).signed_up == 1
    status = {(s.activity_id, s.volunteer_id): s.status for s in ActivitySignup.select()}
    assert status == {
        (kept.id, w["v1"].id): "signed_up",
        (kept.id, w["v2"].id): "signed_up",
        (given.id, w["v1"].id): "signed_up",
        (given.id, w["v2"].id): "cancelled",
    }


def test_the_count_of_places_taken_never_goes_below_zero(client, w):
    # a count already off (set by hand here) is not driven negative by a late give-back
    act = _signed_up(w, "vol_p")
    Activity.update(signed_up=0).where(Activity.id == act.id).execute()
    with at(BEFORE):
        activities.cancel_signup(w["vol_p"], act.id)
    assert Activity.get_by_id(act.id).signed_up == 0


def test_giving_back_twice_frees_one_place_only(client, w):
    act = _publish(w, capacity=2)
    with at(BEFORE):
        activities.signup(w["vol_p"], act.id)
        activities.signup(w["vol2_p"], act.id)
        activities.cancel_signup(w["vol_p"], act.id)
        err = refused(activities.cancel_signup, w["vol_p"], act.id)
    assert err.code == "not_signed_up"
    assert Activity.get_by_id(act.id).signed_up == 1


# --- checking in and out -------------------------------------------------------------------------


def _signed_up(w, *who, **publish):
    act = _publish(w, **publish)
    with at(BEFORE):
        for key in who:
            activities.signup(w[key], act.id)
    return act


def test_a_volunteer_checks_in_from_30_minutes_before_the_start(client, w):
    act = _signed_up(w, "vol_p", "vol2_p")
    with at(START - timedelta(minutes=30, seconds=1)):
        err = refused(activities.check_in, w["vol_p"], act.id)
        assert (err.status, err.code, err.message) == (409, "outside_window", "不在活动签到时间内")
    with at(START - timedelta(minutes=30)):
        row = activities.check_in(w["vol_p"], act.id)
    assert row.checked_in_at == (START - timedelta(minutes=30)).replace(tzinfo=None)


def test_a_volunteer_checks_out_until_two_hours_after_the_end(client, w):
    act = _signed_up(w, "vol_p", "vol2_p")
    with at(START):
        activities.check_in(w["vol_p"], act.id)
        activities.check_in(w["vol2_p"], act.id)
    with at(END + timedelta(minutes=120)):
        row, record = activities.check_out(w["vol_p"], act.id)
    assert row.checked_out_at == (END + timedelta(minutes=120)).replace(tzinfo=None)
    assert record is not None
    with at(END + timedelta(minutes=120, seconds=1)):
        err = refused(activities.check_out, w["vol2_p"], act.id)
    assert err.code == "outside_window"


def test_the_window_follows_the_configuration(client, w, app):
    app.config["SERVICE_CHECKIN_EARLY_MINUTES"] = 10
    app.config["SERVICE_CHECKOUT_LATE_MINUTES"] = 5
    act = _signed_up(w, "vol_p")
    with at(START - timedelta(minutes=11)):
        assert refused(activities.check_in, w["vol_p"], act.id).code == "outside_window"
    with at(START - timedelta(minutes=10)):
        activities.check_in(w["vol_p"], act.id)
    with at(END + timedelta(minutes=6)):
        assert refused(activities.check_out, w["vol_p"], act.id).code == "outside_window"
    with at(END + timedelta(minutes=5)):
        activities.check_out(w["vol_p"], act.id)


def test_checking_in_twice_or_out_before_in_or_out_twice_is_refused(client, w):
    act = _signed_up(w, "vol_p")
    with at(START):
        err = refused(activities.check_out, w["vol_p"], act.id)
        assert (err.status, err.code, err.message) == (409, "not_checked_in", "请先签到")
        activities.check_in(w["vol_p"], act.id)
        err = refused(activities.check_in, w["vol_p"], act.id)
        assert (err.status, err.code, err.message) == (409, "already_checked_in", "已签到")
    with at(END):
        activities.check_out(w["vol_p"], act.id)
        err = refused(activities.check_out, w["vol_p"], act.id)
    assert (err.status, err.code, err.message) == (409, "already_checked_out", "已签退")


def test_nobody_checks_in_to_a_cancelled_activity(client, w):
    act = _signed_up(w, "vol_p")
    activities.cancel_activity(w["staff_p"], act.id, "下雨")
    with at(START):
        err = refused(activities.check_in, w["vol_p"], act.id)
    assert (err.status, err.code, err.message) == (409, "activity_cancelled", "该活动已取消")
    assert ActivitySignup.get().checked_in_at is None


def test_a_volunteer_not_signed_up_cannot_check_in(client, w):
    act = _signed_up(w, "vol_p")
    with at(START):
        err = refused(activities.check_in, w["vol2_p"], act.id)
    assert (err.status, err.code, err.message) == (409, "not_signed_up", "没有报名该活动")


def test_a_volunteer_cannot_record_their_own_time(client, w):
    act = _signed_up(w, "vol_p")
    with at(START):
        err = refused(activities.check_in, w["vol_p"], act.id, at=START)
    assert (err.status, err.code, err.message) == (403, "staff_only", "只有工作人员可以补录时间")


def test_staff_record_a_time_inside_the_window_only(client, w):
    act = _signed_up(w, "vol_p")
    later = END + timedelta(days=3)
    with at(later):
        err = refused(
            activities.check_in,
            w["staff_p"],
            act.id,
            w["v1"].id,
            START - timedelta(minutes=31),
        )
        assert (err.status, err.message, err.fields) == (
            400,
            "时间：须在活动时间前后",
            {"at": "须在活动时间前后"},
        )
        row = activities.check_in(w["staff_p"], act.id, w["v1"].id, START - timedelta(minutes=30))
        assert row.checked_in_at == (START - timedelta(minutes=30)).replace(tzinfo=None)
        err = refused(
            activities.check_out, w["staff_p"], act.id, w["v1"].id, END + timedelta(minutes=121)
        )
        assert err.fields == {"at": "须在活动时间前后"}
        row, record = activities.check_out(
            w["staff_p"], act.id, w["v1"].id, END + timedelta(minutes=120)
        )
    assert row.checked_out_at == (END + timedelta(minutes=120)).replace(tzinfo=None)
    assert record.hours == 2  # capped at the activity's length


def test_staff_cannot_check_out_before_the_check_in(client, w):
    act = _signed_up(w, "vol_p")
    with at(END + timedelta(days=1)):
        activities.check_in(w["staff_p"], act.id, w["v1"].id, START + timedelta(minutes=30))
        err = refused(
            activities.check_out, w["staff_p"], act.id, w["v1"].id, START + timedelta(minutes=29)
        )
        assert (err.status, err.message, err.fields) == (
            400,
            "时间：签退不能早于签到",
            {"at": "签退不能早于签到"},
        )
        # the same minute is allowed: no time served, so no record
        row, record = activities.check_out(
            w["staff_p"], act.id, w["v1"].id, START + timedelta(minutes=30)
        )
    assert row.checked_out_at == row.checked_in_at and record is None
    event = Event.get(Event.action == "activity.check_out")
    assert event.data["record_id"] is None


def test_staff_of_another_community_cannot_check_anyone_in_here(client, w):
    act = _signed_up(w, "vol_p")
    with at(START):
        err = refused(activities.check_in, w["other_p"], act.id, w["v1"].id)
        assert (err.status, err.code) == (403, "out_of_scope")
        err = refused(activities.check_out, w["other_p"], act.id, w["v1"].id)
        assert (err.status, err.code) == (403, "out_of_scope")
    assert ActivitySignup.get().checked_in_at is None


def test_staff_check_in_only_a_volunteer_of_the_activitys_community(client, w):
    act = _signed_up(w, "vol_p")
    with at(START):
        err = refused(activities.check_in, w["staff_p"], act.id, w["vfar"].id)
        assert (err.status, err.message, err.fields) == (
            400,
            "志愿者：不是该活动社区的志愿者",
            {"volunteer_id": "不是该社区的志愿者"},
        )
        err = refused(activities.check_in, w["staff_p"], act.id, 9999)
        assert err.fields == {"volunteer_id": "不是该社区的志愿者"}
        # a volunteer of this community who has not signed up
        err = refused(activities.check_in, w["staff_p"], act.id, w["v2"].id)
        assert err.code == "not_signed_up"


def test_staff_cannot_check_themselves_in_as_staff(client, w):
    act = _publish(w)
    mine = volunteers.register(w["staff_p"], w["c1"].id, "工作人员本人", "13800005555")
    with at(BEFORE):
        activities.signup(w["staff_p"], act.id)
    with at(START):
        err = refused(activities.check_in, w["staff_p"], act.id, mine.id)
        assert (err.status, err.code) == (403, "own_attendance")
        assert err.message == "不能以工作人员身份为自己签到签退，请在活动时间内自己签到签退"
        # on their own, within the window, they may
        activities.check_in(w["staff_p"], act.id)
    assert ActivitySignup.get().checked_in_at == START.replace(tzinfo=None)


def test_check_in_and_out_are_audited_with_the_volunteer_the_time_and_the_record(client, w):
    act = _signed_up(w, "vol_p")
    with at(END + timedelta(days=1)):
        activities.check_in(w["staff_p"], act.id, w["v1"].id, START)
        _, record = activities.check_out(w["staff_p"], act.id, w["v1"].id, END)
    got = {
        e.action: (e.subject_type, e.subject_id, e.area_id, e.actor_id, e.data)
        for e in Event.select().where(Event.action.in_(["activity.check_in", "activity.check_out"]))
    }
    staff = w["staff_account"].user_id
    assert got == {
        "activity.check_in": (
            "activity",
            act.id,
            w["c1"].id,
            staff,
            {"volunteer_id": w["v1"].id, "at": "2026-12-05T09:00:00+08:00"},
        ),
        "activity.check_out": (
            "activity",
            act.id,
            w["c1"].id,
            staff,
            {"volunteer_id": w["v1"].id, "at": "2026-12-05T11:00:00+08:00", "record_id": record.id},
        ),
    }
    # the record made at check-out is recorded as made by whoever checked the volunteer out
    made = Event.get((Event.action == "service_record.create") & (Event.subject_id == record.id))
    assert made.actor_id == staff and made.actor_label != "系统"


def test_a_volunteer_checking_out_is_named_as_making_their_record(client, w):
    act = _signed_up(w, "vol_p")
    with at(START):
        activities.check_in(w["vol_p"], act.id)
    with at(END):
        _, record = activities.check_out(w["vol_p"], act.id)
    made = Event.get((Event.action == "service_record.create") & (Event.subject_id == record.id))
    assert made.actor_id == w["vol_p"].user.id


# --- reading ------------------------------------------------------------------------------------


def test_an_activity_and_a_sign_up_as_read(client, w):
    act = _signed_up(w, "vol_p", capacity=1)
    got = activities.as_dict(Activity.get_by_id(act.id), activities.my_signup(w["vol_p"], act))
    assert got["community_name"] == "第1社区" and got["community_id"] == w["c1"].id
    assert (got["title"], got["place"], got["description"]) == ("敬老院义务理发", "社区敬老院", "")
    assert (got["starts_at"], got["ends_at"]) == (
        "2026-12-05T09:00:00+08:00",
        "2026-12-05T11:00:00+08:00",
    )
    assert (got["capacity"], got["signed_up"], got["places_left"]) == (1, 1, 0)
    assert (got["status"], got["status_label"]) == ("published", "报名中")
    mine = got["my_signup"]
    assert mine == {
        "id": ActivitySignup.get().id,
        "activity_id": act.id,
        "volunteer_id": w["v1"].id,
        "name": "陈晓",
        "status": "signed_up",
        "status_label": "已报名",
        "checked_in_at": None,
        "checked_out_at": None,
    }
    assert "phone" not in mine
    staff_view = [activities.signup_dict(s, private=True) for s in activities.signups_of(act)]
    assert staff_view[0]["phone"] == "13800001111"
    # a volunteer not signed up, somebody who volunteers nowhere here, nobody at all
    assert activities.my_signup(w["vol2_p"], act) is None
    assert activities.my_signup(w["far_p"], act) is None
    assert activities.my_signup(Principal.anonymous(), act) is None
    assert activities.as_dict(act)["my_signup"] is None


def test_a_sign_up_reads_its_check_in_and_check_out_times(client, w):
    act = _signed_up(w, "vol_p")
    with at(START + timedelta(minutes=5)):
        row = activities.check_in(w["vol_p"], act.id)
    assert activities.signup_dict(row)["checked_in_at"] == "2026-12-05T09:05:00+08:00"
    with at(END):
        row, _ = activities.check_out(w["vol_p"], act.id)
    got = activities.signup_dict(ActivitySignup.get_by_id(row.id))
    assert (got["checked_in_at"], got["checked_out_at"]) == (
        "2026-12-05T09:05:00+08:00",
        "2026-12-05T11:00:00+08:00",
    )


def test_places_left_never_reads_below_zero(client, w):
    act = _signed_up(w, "vol_p", "vol2_p", capacity=2)
    Activity.update(capacity=1).where(Activity.id == act.id).execute()
    assert activities.as_dict(Activity.get_by_id(act.id))["places_left"] == 0


def test_sign_ups_are_listed_in_the_order_taken(client, w):
    act = _signed_up(w, "vol2_p", "vol_p")
    assert [s.volunteer.name for s in activities.signups_of(act)] == ["李明", "陈晓"]


def test_an_activity_names_the_staff_member_who_published_it(client, w):
    activity = _publish(w)
    assert Activity.get_by_id(activity.id).created_by_id == w["staff_p"].user.id
