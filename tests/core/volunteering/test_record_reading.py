"""How service records are read (`core.volunteering.records`): one record as the API and the
console show it (pending, certified, reversed, and whether the viewer may certify it), who
sees which records, the list's filters and order, and the total of hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine

from core.people import auth
from core.people.permissions import Principal
from core.volunteering import records
from models import ServiceRecord, User, Volunteer
from tests.core.volunteering.test_record_changes import principal
from tests.factories import login, make_district, make_staff

MADE = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
CERTIFIED = datetime(2026, 12, 6, 2, 30, tzinfo=UTC)


@pytest.fixture
def w(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    User.update(nickname="李书记").where(User.id == staff.user_id).execute()
    login(client, "志愿者小陈")
    login(client, "路人")
    volunteer_user = User.get(User.openid == "dev:志愿者小陈")
    volunteer = Volunteer.create(
        user=volunteer_user, community=d.communities[0], name="陈晓", phone="13800001111"
    )
    return {
        "d": d,
        "c1": d.communities[0],
        "c2": d.communities[1],
        "staff": principal(staff),
        "other": principal(make_staff(d.communities[1])),
        "admin": principal(make_staff(d.street, role="admin")),
        "volunteer_user": volunteer_user,
        "volunteer": volunteer,
        "stranger": Principal.for_user(User.get(User.openid == "dev:路人")),
    }


def record(w, key, *, community=None, served_on=date(2026, 12, 5), hours="2.0", **fields):
    community = community or w["c1"]
    fields.setdefault("source_type", "activity")
    if "steward" not in fields and "user" not in fields:
        fields.update(user=w["volunteer_user"].id, volunteer=w["volunteer"].id)
    return ServiceRecord.create(
        community=community,
        person_name="陈晓",
        source_id=3,
        source_key=key,
        title="志愿活动：敬老院义务理发",
        served_on=served_on,
        hours=Decimal(hours),
        organiser=community.name,
        **fields,
    )


def ids(query) -> list[int]:
    return [r.id for r in query]


# --- one record ----------------------------------------------------------------------------------


def test_a_pending_record_reads_with_its_person_source_and_who_may_certify_it(w):
    with time_machine.travel(MADE, tick=False):
        pending = record(w, "a")
    expected = {
        "certifiable": True,
        "id": pending.id,
        "community_id": w["c1"].id,
        "organiser": "第1社区",
        "person_name": "陈晓",
        "user_id": w["volunteer_user"].id,
        "steward_id": None,
        "volunteer_id": w["volunteer"].id,
        "source_type": "activity",
        "source_label": "志愿活动",
        "source_id": 3,
        "title": "志愿活动：敬老院义务理发",
        "served_on": "2026-12-05",
        "hours": 2.0,
        "status": "pending",
        "status_label": "待认证",
        "reason": "",
        "reverses_id": None,
        "corrected": False,
        "certified_by": None,
        "certified_at": None,
        "entry_id": None,
        "created_at": "2026-12-05T11:00:00+08:00",
    }
    row = records.get_visible(w["staff"], pending.id)
    assert records.as_dict(row, w["staff"]) == expected
    assert records.as_dict(row) == {**expected, "certifiable": False}
    volunteer = Principal.for_user(w["volunteer_user"])
    assert records.as_dict(row, volunteer)["certifiable"] is False  # not staff
    assert records.as_dict(row, w["other"])["certifiable"] is False  # another community's
    assert records.as_dict(row, w["admin"])["certifiable"] is True  # the street's admin


def test_a_certified_and_then_corrected_record_reads_with_its_certifier_and_reversal(w):
    with time_machine.travel(MADE, tick=False):
        original = record(w, "b", source_type="patrol", steward=w["d"].stewards[0], user=None)
    with time_machine.travel(CERTIFIED, tick=False):
        certified = records.certify(w["staff"], original.id)
    shown = records.as_dict(certified, w["staff"])
    assert shown["certifiable"] is False
    assert (shown["status"], shown["status_label"], shown["source_label"]) == (
        "certified",
        "已认证",
        "巡查",
    )
    assert (shown["certified_by"], shown["certified_at"]) == ("李书记", "2026-12-06T10:30:00+08:00")
    assert shown["entry_id"] == certified.entry_id is not None
    assert (shown["steward_id"], shown["user_id"]) == (w["d"].stewards[0].id, None)
    assert shown["corrected"] is False
    reversal = records.correct(w["staff"], original.id, "多记了")["reversal"]
    assert records.as_dict(ServiceRecord.get_by_id(original.id))["corrected"] is True
    shown = records.as_dict(reversal, w["staff"])
    assert (shown["status"], shown["status_label"], shown["hours"]) == (
        "certified",
        "已更正（冲销）",
        -2.0,
    )
    assert (shown["reverses_id"], shown["reason"], shown["corrected"]) == (
        original.id,
        "多记了",
        False,
    )
    assert shown["certifiable"] is False


def test_nobody_is_offered_to_certify_their_own_record(w):
    auth.bind_steward(w["staff"].user, w["d"].stewards[0])
    staff = principal_of(w["staff"].user)
    own = record(w, "own", steward=w["d"].stewards[0], source_type="patrol")
    theirs = record(w, "theirs", steward=w["d"].stewards[1], source_type="patrol")
    assert records.certifiable(staff, own) is False
    assert records.certifiable(staff, theirs) is True
    assert records.certifiable(None, theirs) is False


def principal_of(user: User) -> Principal:
    return Principal.for_user(User.get_by_id(user.id))


# --- who sees what, and the list's filters -------------------------------------------------------


def test_everyone_sees_their_own_records_and_staff_their_communities(w):
    mine = record(w, "mine")
    patrol = record(w, "patrol", steward=w["d"].stewards[0], source_type="patrol")
    second = record(w, "second", steward=w["d"].stewards[1], source_type="patrol")
    there = record(w, "there", community=w["c2"], steward=w["d"].stewards[2])
    volunteer = Principal.for_user(w["volunteer_user"])
    assert ids(records.visible(volunteer)) == [mine.id]
    assert ids(records.visible(w["stranger"])) == []
    assert ids(records.visible(Principal.anonymous())) == []
    assert ids(records.visible(w["staff"])) == [second.id, patrol.id, mine.id]
    assert ids(records.visible(w["other"])) == [there.id]
    assert ids(records.visible(w["admin"])) == [there.id, second.id, patrol.id, mine.id]
    # A steward who looks after two alleys (two steward records, one WeChat) sees both.
    user = w["stranger"].user
    for steward in w["d"].stewards[:2]:
        auth.bind_steward(user, steward)
    as_user = record(w, "as-user", user=user.id)  # and a wish fulfilled as a WeChat user
    both = principal_of(user)
    assert ids(records.visible(both)) == [as_user.id, second.id, patrol.id]


def test_staff_asking_for_their_own_records_get_only_theirs(w):
    auth.bind_steward(w["staff"].user, w["d"].stewards[0])
    own = record(w, "own", steward=w["d"].stewards[0], source_type="patrol")
    record(w, "other", steward=w["d"].stewards[1], source_type="patrol")
    staff = principal_of(w["staff"].user)
    assert ids(records.visible(staff, mine=True)) == [own.id]
    assert len(ids(records.visible(staff))) == 2


def test_the_list_filters_by_community_status_source_person_and_days_newest_first(w):
    d = w["d"]
    early = record(w, "early", served_on=date(2026, 12, 1))
    first_day = record(w, "first", served_on=date(2026, 12, 2), steward=d.stewards[0])
    same_day = record(w, "same", served_on=date(2026, 12, 2), source_type="wish")
    last_day = record(w, "last", served_on=date(2026, 12, 4))
    late = record(w, "late", served_on=date(2026, 12, 5), community=w["c2"])
    backdated = record(w, "backdated", served_on=date(2026, 11, 30))  # entered last
    records.certify(w["staff"], same_day.id)
    admin = w["admin"]
    assert ids(records.visible(admin)) == [
        late.id,
        last_day.id,
        same_day.id,
        first_day.id,
        early.id,
        backdated.id,
    ]
    assert ids(records.visible(admin, community_id=w["c2"].id)) == [late.id]
    assert ids(records.visible(admin, status="certified")) == [same_day.id]
    assert ids(records.visible(admin, source_type="wish")) == [same_day.id]
    assert ids(records.visible(admin, volunteer_id=w["volunteer"].id)) == [
        late.id,
        last_day.id,
        same_day.id,
        early.id,
        backdated.id,
    ]
    assert ids(records.visible(admin, steward_id=d.stewards[0].id)) == [first_day.id]
    days = records.visible(admin, date_from=date(2026, 12, 2), date_to=date(2026, 12, 4))
    assert ids(days) == [last_day.id, same_day.id, first_day.id]


def test_the_total_counts_each_records_hours_net_of_reversals_to_the_tenth(w):
    assert str(records.total_hours(ServiceRecord.select())) == "0.0"
    record(w, "one", hours="1.5")
    corrected = record(w, "two", hours="2.5")
    records.certify(w["staff"], corrected.id)
    records.correct(w["staff"], corrected.id, "多记了")
    record(w, "three", hours="0.7")
    assert str(records.total_hours(ServiceRecord.select())) == "2.2"
    mine = records.visible(Principal.for_user(w["volunteer_user"]))
    assert records.total_hours(mine.order_by()) == Decimal("2.2")


def test_a_record_of_a_source_not_listed_reads_as_its_own_code(w):
    # written outside the three sources (an older import): shown as stored, never blank
    imported = record(w, "import:1", source_type="import")
    assert records.as_dict(imported)["source_label"] == "import"
    assert records.as_dict(record(w, "a"))["source_label"] == "志愿活动"


def test_staff_see_their_own_service_in_another_community_beside_their_communitys_records(w):
    # 第1社区's staff volunteered in 第2社区: their record there is theirs to see
    own = record(w, "own", community=w["c2"], user=w["staff"].user.id)
    theirs = record(w, "c1")
    assert set(ids(records.visible(w["staff"]))) == {own.id, theirs.id}
