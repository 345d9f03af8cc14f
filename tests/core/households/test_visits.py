"""Visits (走访, core.households.visits) where the API's matrix does not look: the note's and
the patrol's bounds exactly at the limit, the day a visit is kept at on Shanghai's calendar,
who a visit names as its visitor, a back-dated visit never moving the last visit backwards,
the kinds, the audit, and the visits a patrol records."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.households import plans, visits
from core.people.permissions import Principal
from infra.errors import ApiError
from models import Event, Household, Patrol, User, Visit
from tests.core.households.world import households
from tests.core.households.world import staff as _staff
from tests.factories import make_district

SH = ZoneInfo("Asia/Shanghai")
# 7 December, 01:00 in Shanghai: still 6 December in UTC
NIGHT = datetime(2026, 12, 7, 1, 0, tzinfo=SH)
NIGHT_UTC = datetime(2026, 12, 6, 17, 0)


def _steward(steward, nickname="") -> Principal:
    user = User.create(openid=f"dev:steward-{steward.id}", nickname=nickname)
    return Principal(
        user=user,
        roles={"steward"},
        stewards=[steward],
    )


@pytest.fixture
def w(app):
    d = make_district()
    admin = _staff(d.street, role="admin")
    places = (
        ("a", d.alleys[0], d.stewards[0]),
        ("a2", d.alleys[0], d.stewards[0]),
        ("b", d.alleys[1], d.stewards[1]),
    )
    made = households(admin, d, places)
    return {"d": d, "h": made, "steward": _steward(d.stewards[0])}


def _refusal(call) -> tuple[int, str, dict]:
    with pytest.raises(ApiError) as err:
        call()
    return err.value.status, err.value.message, err.value.fields


def test_a_note_of_500_characters_is_kept_and_one_more_is_refused_naming_the_field(w):
    hid = w["h"]["a"]
    kept = visits.record(w["steward"], hid, "  " + "好" * 500 + "  ")
    assert kept.note == "好" * 500
    assert _refusal(lambda: visits.record(w["steward"], hid, "好" * 501)) == (
        400,
        "走访记录：最多 500 个字",
        {"note": "最多 500 个字"},
    )
    assert visits.record(w["steward"], hid, None).note == ""
    assert visits.record(w["steward"], hid).note == ""  # a visit recorded without a note
    assert Visit.select().count() == 3


def test_a_visit_dated_by_its_day_is_kept_at_noon_and_today_at_now_on_shanghais_calendar(app):
    with time_machine.travel(NIGHT, tick=False):
        assert visits.time_of_day_visited(None) is None
        assert visits.time_of_day_visited(date(2026, 12, 7)) is None  # today in Shanghai
        # yesterday in Shanghai (today in UTC): noon there, 04:00 UTC
        assert visits.time_of_day_visited(date(2026, 12, 6)) == datetime(2026, 12, 6, 4, 0)
        assert visits.time_of_day_visited(date(2026, 11, 30)) == datetime(2026, 11, 30, 4, 0)
        assert _refusal(lambda: visits.time_of_day_visited(date(2026, 12, 8))) == (
            400,
            "走访日期：不能晚于今天",
            {"visited_on": "不能晚于今天"},
        )


def test_a_visit_may_be_dated_now_but_not_a_moment_later(w):
    hid = w["h"]["a"]
    with time_machine.travel(NIGHT, tick=False):
        visit = visits.record(w["steward"], hid, "刚走访", visited_at=NIGHT_UTC)
        assert visit.visited_at == NIGHT_UTC
        later = NIGHT_UTC + timedelta(seconds=1)
        assert _refusal(lambda: visits.record(w["steward"], hid, "x", visited_at=later)) == (
            400,
            "走访时间：不能晚于现在",
            {"visited_at": "不能晚于现在"},
        )
    assert Visit.select().count() == 1


def test_a_back_dated_visit_never_moves_the_last_visit_backwards(w):
    hid = w["h"]["a"]
    staff = _staff(w["d"].communities[0])
    with time_machine.travel(NIGHT, tick=False):
        plans.create(staff, hid, {"group": "鳏寡孤独", "plan": "每周上门", "interval_days": 7})
        visits.record(w["steward"], hid, "今天")
        visits.record(w["steward"], hid, "补记", visited_at=NIGHT_UTC - timedelta(days=3))
    household = Household.get_by_id(hid)
    assert household.last_visit_at == NIGHT_UTC
    assert household.visit_due_at == NIGHT_UTC + timedelta(days=7)
    # a first visit, back-dated, is the last visit: the plan falls due from it
    with time_machine.travel(NIGHT, tick=False):
        plans.create(
            staff, w["h"]["a2"], {"group": "鳏寡孤独", "plan": "每周上门", "interval_days": 7}
        )
    with time_machine.travel(NIGHT + timedelta(days=1), tick=False):
        visits.record(w["steward"], w["h"]["a2"], "补记", visited_at=NIGHT_UTC + timedelta(hours=1))
    other = Household.get_by_id(w["h"]["a2"])
    assert other.last_visit_at == NIGHT_UTC + timedelta(hours=1)
    assert other.visit_due_at == NIGHT_UTC + timedelta(days=7, hours=1)


def test_a_visit_names_its_steward_or_the_staff_member_who_made_it(w):
    hid = w["h"]["a"]
    by_steward = visits.record(w["steward"], hid, "")
    assert (by_steward.steward_id, by_steward.visitor_label) == (
        w["d"].stewards[0].id,
        "管家 管家11",
    )
    assert by_steward.user_id == w["steward"].user.id
    staff = _staff(w["d"].communities[0])
    account = staff.staff_accounts[0]
    account.display_name = "周强"
    by_staff = visits.record(staff, hid, "")
    assert (by_staff.steward_id, by_staff.visitor_label) == (None, "社区 周强")
    account.display_name = ""  # an account made before display names: its login name
    assert visits.record(staff, hid, "").visitor_label == f"社区 {account.username}"
    # staff without a console account of their own are named as users are in the audit
    granted = Principal(
        user=User.create(nickname="街道老陈"), roles={"admin"}, area_roots=[w["d"].street]
    )
    assert visits.record(granted, hid, "").visitor_label == "街道老陈"
    nameless = Principal(user=User.create(), roles={"admin"}, area_roots=[w["d"].street])
    assert visits.record(nameless, hid, "").visitor_label == f"用户{nameless.user.id}"


def test_a_visit_is_one_of_three_kinds_and_audited_at_the_alley(w):
    hid = w["h"]["a"]
    for kind in ("home", "phone", "wechat"):
        assert visits.record(w["steward"], hid, "", kind=kind).kind == kind
    status, message, fields = _refusal(lambda: visits.record(w["steward"], hid, "", kind="letter"))
    assert (status, message, fields) == (
        400,
        "走访方式：请选择入户、电话或微信",
        {"kind": "请选择入户、电话或微信"},
    )
    last = Visit.select().order_by(Visit.id.desc()).get()
    event = Event.select().where(Event.action == "household.visit").order_by(Event.id.desc()).get()
    assert (event.subject_type, event.subject_id, event.actor_id, event.area_id) == (
        "household",
        hid,
        w["steward"].user.id,
        w["d"].alleys[0].id,
    )
    assert event.data == {"visit_id": last.id, "patrol_id": None, "kind": "wechat"}


def _patrol(w, note="巡查并走访", photo_ids=()) -> Patrol:
    return Patrol.create(
        steward=w["d"].stewards[0],
        alley=w["d"].alleys[0],
        note=note,
        photo_ids=list(photo_ids),
        created_at=NIGHT_UTC,
    )


def test_a_patrol_records_one_visit_per_household_named_with_its_note_photos_and_time(w):
    steward = w["steward"]
    patrol = _patrol(w, photo_ids=[7, 8])
    a, a2 = w["h"]["a"], w["h"]["a2"]
    # a changed row: on PostgreSQL it now lies after a2, so only the ORDER BY keeps id order
    Household.update(notes="已装扶手").where(Household.id == a).execute()
    made = visits.for_patrol(steward, patrol, [a2, a, a2])
    assert [(v.household_id, v.patrol_id, v.note, v.photo_ids, v.visited_at) for v in made] == [
        (a, patrol.id, "巡查并走访", [7, 8], NIGHT_UTC),
        (a2, patrol.id, "巡查并走访", [7, 8], NIGHT_UTC),
    ]
    assert made[0].steward_id == w["d"].stewards[0].id and made[0].kind == "home"
    assert Household.get_by_id(a).last_visit_at == NIGHT_UTC
    events = list(Event.select().where(Event.action == "household.visit").order_by(Event.id))
    assert [e.data for e in events] == [
        {"visit_id": made[0].id, "patrol_id": patrol.id, "kind": "home"},
        {"visit_id": made[1].id, "patrol_id": patrol.id, "kind": "home"},
    ]
    assert visits.for_patrol(steward, patrol, []) == []
    assert visits.for_patrol(steward, patrol, None) == []
    assert Visit.select().count() == 2


def test_a_patrol_names_at_most_30_households_counted_once_each(w):
    steward = w["steward"]
    a, a2 = w["h"]["a"], w["h"]["a2"]
    assert visits.check_patrol_households(steward, [a2, a, a2, a]) == [a2, a]
    thirty = [a, a2, *range(900_001, 900_029)]
    # thirty passes the count, and is then refused for the households that are not theirs
    with pytest.raises(ApiError) as err:
        visits.check_patrol_households(steward, thirty)
    assert (err.value.status, err.value.code) == (403, "not_your_household")
    assert _refusal(lambda: visits.check_patrol_households(steward, [*thirty, 900_029])) == (
        400,
        "走访户：最多 30 户",
        {"household_ids": "太多了"},
    )
    # the same household named twice counts once
    assert len(visits.check_patrol_households(steward, [a, a2] * 16)) == 2


def test_a_patrol_may_not_name_a_household_off_the_register_or_another_stewards(w):
    steward = w["steward"]
    a, b = w["h"]["a"], w["h"]["b"]
    Household.update(active=False).where(Household.id == a).execute()
    for ids in ([a], [w["h"]["a2"], b]):
        with pytest.raises(ApiError) as err:
            visits.check_patrol_households(steward, ids)
        assert (err.value.status, err.value.code, err.value.message) == (
            403,
            "not_your_household",
            "巡查只能登记走访自己包联的住户",
        )
    assert visits.check_patrol_households(steward, [w["h"]["a2"]]) == [w["h"]["a2"]]
