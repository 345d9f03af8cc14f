"""What waits for whom to certify (`core.volunteering.records.visible(..., awaiting=True)`):
a community's staff certify its records, except their own; what the community's own staff
cannot certify (nobody there, or only the person who served, under any of their identities)
goes to the street's admin; a person who is both a street's admin and a community's staff gets
each share once."""

from __future__ import annotations

from datetime import date

import pytest

from core.people import auth
from core.people.permissions import Principal
from core.volunteering import records
from models import ServiceRecord, User
from tests.factories import login, make_district, make_staff


def principal(user_id: int) -> Principal:
    return Principal.for_user(User.get_by_id(user_id))


@pytest.fixture
def d(client):
    return make_district()


def record(community, key, **holder) -> ServiceRecord:
    return ServiceRecord.create(
        community=community,
        person_name="某人",
        source_type="patrol",
        source_key=key,
        title="街巷巡查",
        served_on=date(2026, 12, 5),
        hours=1,
        organiser=community.name,
        **holder,
    )


def waiting(p: Principal) -> list[int]:
    return [r.id for r in records.visible(p, awaiting=True)]


def test_the_street_gets_what_a_sole_staff_member_served_as_a_user_or_as_a_steward(d):
    c1 = d.communities[0]
    staff = make_staff(c1)
    auth.bind_steward(User.get_by_id(staff.user_id), d.stewards[0])  # also the alley's steward
    admin = principal(make_staff(d.street, role="admin").user_id)
    as_user = record(c1, "user", user=staff.user_id)
    as_steward = record(c1, "steward", steward=d.stewards[0])
    someone_else = record(c1, "else", steward=d.stewards[1])
    assert waiting(admin) == [as_steward.id, as_user.id]
    assert waiting(principal(staff.user_id)) == [someone_else.id]


def test_a_street_admin_who_also_staffs_a_community_gets_its_records_and_the_streets_share(
    client, d
):
    c1, c2 = d.communities
    login(client, "街道兼社区")
    user = User.get(User.openid == "dev:街道兼社区")
    for account in (make_staff(c1), make_staff(d.street, role="admin")):
        code, _ = auth.issue_bind_code(staff=account, issued_by="test")
        auth.redeem_bind_code(user, code)
    both = principal(user.id)
    assert {r.kind for r in both.area_roots} == {"community", "street"}
    in_c1 = record(c1, "c1", steward=d.stewards[0])
    in_c2 = record(c2, "c2", steward=d.stewards[2])  # 第2社区 has no staff: the street's
    assert waiting(both) == [in_c2.id, in_c1.id]


def test_a_community_whose_only_staff_member_left_refers_its_records_to_the_street(d):
    c1 = d.communities[0]
    gone = make_staff(c1)
    auth.set_staff_active(gone, False)
    admin = principal(make_staff(d.street, role="admin").user_id)
    patrol = record(c1, "patrol", steward=d.stewards[0])
    assert waiting(admin) == [patrol.id]
    make_staff(c1)  # a new staff member arrives: theirs to certify now
    assert waiting(admin) == []


def test_where_every_community_has_two_staff_nothing_waits_for_the_street(d):
    for community in d.communities:
        make_staff(community)
        make_staff(community)
    admin = principal(make_staff(d.street, role="admin").user_id)
    record(d.communities[0], "patrol", steward=d.stewards[0])
    assert waiting(admin) == []
