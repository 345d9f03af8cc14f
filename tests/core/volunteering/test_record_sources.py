"""Where service records come from (`core.volunteering.records`): a fulfilled wish, an
attended activity, a patrol day. Each source gives one record, with the configured or measured
hours, the right person and day, its own title, and a trail naming who (or 系统) made it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from core.volunteering import records
from models import (
    Activity,
    ActivitySignup,
    Area,
    Event,
    Patrol,
    ServiceRecord,
    User,
    Volunteer,
    Wish,
)
from tests.factories import login, make_district, make_staff

# 2026-12-05 09:00–11:00 in Beijing time
START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


@pytest.fixture
def w(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    login(client, "志愿者小陈")
    user = User.get(User.openid == "dev:志愿者小陈")
    User.update(nickname="小陈").where(User.id == user.id).execute()
    return {
        "d": d,
        "c1": d.communities[0],
        "c2": d.communities[1],
        "staff_user": User.get_by_id(staff.user_id),
        "user": User.get_by_id(user.id),
    }


def made_event(record: ServiceRecord) -> Event:
    return Event.get((Event.action == "service_record.create") & (Event.subject_id == record.id))


# --- hours -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(-30, "0.0"), (0, "0.0"), (14, "0.0"), (15, "0.5"), (44, "0.5"), (74, "1.0"), (75, "1.5")],
)
def test_minutes_of_service_count_to_the_nearest_half_hour(minutes, hours):
    assert str(records.round_hours(minutes)) == hours


def test_attendance_counts_from_check_in_to_check_out_capped_by_the_activitys_length(w):
    activity = Activity(starts_at=START, ends_at=START + timedelta(minutes=75))
    an_hour = records.attendance_hours(START, START + timedelta(minutes=60), activity)
    assert str(an_hour) == "1.0"
    all_of_it = records.attendance_hours(START, START + timedelta(minutes=75), activity)
    assert str(all_of_it) == "1.5"  # 75 minutes: the quarter rounds up
    capped = records.attendance_hours(START, START + timedelta(hours=5), activity)
    assert str(capped) == "1.5"


def test_a_wish_and_a_patrol_count_the_configured_hours_to_the_tenth(app):
    app.config["SERVICE_HOURS"] = {"wish": 2.25, "patrol": 1.5}
    assert str(records.default_hours("patrol")) == "1.5"
    assert str(records.default_hours("wish")) == "2.2"  # to the tenth, half to even
    app.config["SERVICE_HOURS"] = {"wish": 3}
    assert str(records.default_hours("patrol")) == "1.0"  # one hour when not configured
    app.config["SERVICE_HOURS"] = None
    assert str(records.default_hours("wish")) == "1.0"


# --- a fulfilled wish ----------------------------------------------------------------------------


def wish(w, n=1, **fields) -> Wish:
    fields.setdefault("community", w["c1"])
    fields.setdefault("alley", w["d"].alleys[0])
    return Wish.create(
        number=f"W261205{n:03d}",
        beneficiary_type="elderly",
        display_name="王奶奶",
        title="想要一台收音机",
        content="家里的收音机坏了",
        status="fulfilled",
        **fields,
    )


def test_a_fulfilled_wish_is_the_claimers_service_on_the_local_day_it_was_fulfilled(w, app):
    app.config["SERVICE_HOURS"] = {"wish": 2}
    Volunteer.create(user=w["user"], community=w["c2"], name="另一社区的名字", phone="1")
    fulfilled = wish(w, claimer=w["user"], fulfilled_at=datetime(2026, 12, 5, 17, 30))
    record = records.for_wish(fulfilled, actor=w["user"])
    assert (record.user_id, record.steward_id, record.volunteer_id) == (w["user"].id, None, None)
    assert record.person_name == "小陈"  # no volunteer registration in this community
    assert (record.community_id, record.organiser) == (w["c1"].id, "第1社区")
    assert (record.source_type, record.source_id, record.source_key) == (
        "wish",
        fulfilled.id,
        f"wish:{fulfilled.id}",
    )
    assert record.title == "微心愿 W261205001：想要一台收音机"
    assert record.served_on.isoformat() == "2026-12-06"  # 01:30 the next day in Shanghai
    assert (record.hours, record.status) == (Decimal("2.0"), "pending")
    event = made_event(record)
    assert (event.actor_id, event.actor_label, event.area_id) == (w["user"].id, "小陈", w["c1"].id)
    assert (event.subject_type, event.data) == (
        "service_record",
        {"source": f"wish:{fulfilled.id}", "hours": "2.0"},
    )
    assert records.for_wish(fulfilled) is None  # once


def test_a_wish_fulfilled_by_a_steward_is_the_stewards_and_a_system_made_record_says_so(w):
    steward = w["d"].stewards[0]
    fulfilled = wish(w, claimer=w["user"], fulfilled_by=steward, community=None, fulfilled_at=START)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        record = records.for_wish(fulfilled)
    assert (record.steward_id, record.user_id) == (steward.id, None)
    assert record.person_name == steward.name
    assert record.community_id == w["c1"].id  # the alley's community
    assert record.served_on.isoformat() == "2026-12-05"
    event = made_event(record)
    assert (event.actor_id, event.actor_label) == (None, "系统")


def test_a_wish_with_nobody_to_credit_or_no_community_makes_no_record(w):
    assert records.for_wish(wish(w, 1)) is None
    street_wish = wish(w, 2, claimer=w["user"], community=None, alley=w["d"].street)
    assert records.for_wish(street_wish) is None
    assert ServiceRecord.select().count() == 0


def test_a_wish_fulfilled_without_a_time_counts_today(w):
    fulfilled = wish(w, claimer=w["user"])
    with time_machine.travel(datetime(2026, 12, 9, 16, 30, tzinfo=UTC), tick=False):
        record = records.for_wish(fulfilled)
    assert record.served_on.isoformat() == "2026-12-10"


def test_a_volunteer_registered_in_the_community_is_named_as_registered(w):
    volunteer = Volunteer.create(user=w["user"], community=w["c1"], name="陈晓", phone="1")
    record = records.for_wish(wish(w, claimer=w["user"]))
    assert (record.person_name, record.volunteer_id) == ("陈晓", volunteer.id)


def test_a_user_without_a_nickname_is_named_by_number(w):
    User.update(nickname="").where(User.id == w["user"].id).execute()
    record = records.for_wish(wish(w, claimer=w["user"]))
    assert record.person_name == f"用户{w['user'].id}"


# --- a patrol day --------------------------------------------------------------------------------


def test_a_patrol_is_the_stewards_service_on_its_local_day(w, app):
    app.config["SERVICE_HOURS"] = {"patrol": 1.5}
    steward, alley = w["d"].stewards[0], w["d"].alleys[0]
    patrol = Patrol.create(steward=steward, alley=alley, created_at=datetime(2026, 12, 5, 17, 0))
    record = records.for_patrol(patrol, actor=w["staff_user"])
    assert (record.steward_id, record.user_id, record.person_name) == (steward.id, None, "管家11")
    assert (record.source_type, record.source_id) == ("patrol", patrol.id)
    assert record.source_key == f"patrol:{steward.id}:2026-12-06"
    assert record.title == "街巷巡查（1区1巷）"
    assert (record.served_on.isoformat(), record.hours) == ("2026-12-06", Decimal("1.5"))
    assert made_event(record).actor_id == w["staff_user"].id
    again = Patrol.create(steward=steward, alley=alley, created_at=datetime(2026, 12, 6, 9, 0))
    assert records.for_patrol(again) is None  # the same local day


def test_a_patrol_in_an_alley_with_a_long_name_keeps_the_title_to_its_column(w):
    alley = w["d"].alleys[0]
    Area.update(name="长" * 100).where(Area.id == alley.id).execute()
    patrol = Patrol.create(steward=w["d"].stewards[0], alley=Area.get_by_id(alley.id))
    record = records.for_patrol(patrol)
    assert record.title == "街巷巡查（" + "长" * 95
    assert ServiceRecord.get_by_id(record.id).title == record.title


def test_a_patrol_outside_any_community_makes_no_record(w):
    patrol = Patrol.create(steward=w["d"].stewards[0], alley=w["d"].street)
    assert records.for_patrol(patrol) is None


# --- an attended activity ------------------------------------------------------------------------


def attended(w, minutes: int) -> tuple[ActivitySignup, Activity, Volunteer]:
    volunteer = Volunteer.create(user=w["user"], community=w["c1"], name="陈晓", phone="1")
    activity = Activity.create(
        community=w["c1"],
        title="敬老院义务理发",
        place="社区敬老院",
        starts_at=datetime(2026, 12, 5, 16, 30),  # 00:30 on the 6th in Shanghai
        ends_at=datetime(2026, 12, 5, 19, 30),
        capacity=5,
    )
    signup = ActivitySignup.create(
        activity=activity,
        volunteer=volunteer,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.starts_at + timedelta(minutes=minutes),
    )
    return signup, activity, volunteer


def test_an_attendance_is_the_volunteers_service_with_its_measured_hours(w):
    signup, activity, volunteer = attended(w, 100)
    record = records.for_attendance(signup, activity, volunteer, actor=w["staff_user"])
    assert (record.user_id, record.volunteer_id, record.steward_id) == (
        w["user"].id,
        volunteer.id,
        None,
    )
    assert (record.source_type, record.source_id) == ("activity", activity.id)
    assert record.source_key == f"activity:{activity.id}:signup:{signup.id}"
    assert record.title == "志愿活动：敬老院义务理发"
    assert (record.served_on.isoformat(), record.hours) == ("2026-12-06", Decimal("1.5"))
    assert record.person_name == "陈晓"
    assert made_event(record).actor_id == w["staff_user"].id


def test_half_an_hour_of_attendance_is_a_record(w):
    signup, activity, volunteer = attended(w, 30)
    assert records.for_attendance(signup, activity, volunteer).hours == Decimal("0.5")


def test_an_attendance_too_short_to_count_makes_no_record(w):
    signup, activity, volunteer = attended(w, 14)
    assert records.for_attendance(signup, activity, volunteer) is None
    assert ServiceRecord.select().count() == 0
