"""Which community a volunteering action is about (`core.volunteering.scope`): a community
chosen by id (missing, unknown, closed or not a community: refused naming `community_id`),
staff acting on their own community without naming it, staff of another community refused,
and the condition that limits volunteers, activities and records to the staff's scope."""

from __future__ import annotations

import pytest

from core.people.permissions import Principal
from core.volunteering import scope
from infra.errors import ApiError
from models import Area, RoleGrant, User
from tests.factories import make_district, make_staff


def principal(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


def refused(call, *args) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args)
    return caught.value


@pytest.fixture
def d(client):
    return make_district(communities=3)


def test_no_community_chosen_is_refused_naming_the_field(d):
    error = refused(scope.community, None)
    assert (error.status, error.code) == (400, "validation_error")
    assert error.message == "请选择社区"
    assert error.fields == {"community_id": "必填"}


def test_the_community_chosen_by_id_is_that_active_community(d):
    # not the first area of the table (the street), nor the first community
    assert scope.community(d.communities[1].id) == d.communities[1]


def test_an_unknown_or_closed_community_is_not_found(d):
    for community_id in (d.communities[-1].id + 1000, d.communities[2].id):
        if community_id == d.communities[2].id:
            Area.update(active=False).where(Area.id == community_id).execute()
        error = refused(scope.community, community_id)
        assert (error.status, error.code, error.message) == (
            404,
            "community_not_found",
            "找不到该社区",
        )


def test_a_street_grid_or_alley_is_not_a_community(d):
    for area in (d.street, d.grids[0], d.alleys[0]):
        error = refused(scope.community, area.id)
        assert (error.status, error.code) == (400, "validation_error")
        assert error.message == "请选择一个社区"
        assert error.fields == {"community_id": "须为社区"}


def test_staff_of_one_community_act_on_it_without_naming_it(d):
    staff = principal(make_staff(d.communities[1]))
    assert scope.managed_community(staff, None) == d.communities[1]
    assert scope.managed_community(staff, d.communities[1].id) == d.communities[1]


def test_staff_of_two_communities_must_name_the_one_they_act_on(d):
    account = make_staff(d.communities[0])
    second = make_staff(d.communities[1])
    RoleGrant.create(user=account.user_id, role="staff", area=d.communities[1], staff=second)
    staff = principal(account)
    error = refused(scope.managed_community, staff, None)
    assert (error.status, error.fields) == (400, {"community_id": "必填"})
    assert scope.managed_community(staff, d.communities[1].id) == d.communities[1]


def test_a_streets_admin_must_name_the_community_they_act_on(d):
    admin = principal(make_staff(d.street, role="admin"))
    error = refused(scope.managed_community, admin, None)
    assert (error.status, error.message) == (400, "请选择社区")
    assert scope.managed_community(admin, d.communities[2].id) == d.communities[2]


def test_staff_of_another_community_cannot_act_on_this_one(d):
    staff = principal(make_staff(d.communities[1]))
    for call, args in (
        (scope.managed_community, (staff, d.communities[0].id)),
        (scope.require_staff_of, (staff, d.communities[0])),
    ):
        error = refused(call, *args)
        assert (error.status, error.code, error.message) == (
            403,
            "out_of_scope",
            "该社区不在您的管辖范围内",
        )
    scope.require_staff_of(staff, d.communities[1])  # their own: no refusal


def in_scope(p: Principal) -> set[int]:
    return {a.id for a in Area.select().where(scope.staff_condition(p))}


def subtree(*roots: Area) -> set[int]:
    return {a.id for root in roots for a in Area.subtree(root)}


def test_staff_see_their_communitys_subtree_and_no_other(d):
    staff = principal(make_staff(d.communities[1]))
    assert in_scope(staff) == subtree(d.communities[1])


def test_staff_of_two_communities_see_both_subtrees_and_not_a_third(d):
    account = make_staff(d.communities[0])
    second = make_staff(d.communities[2])
    RoleGrant.create(user=account.user_id, role="staff", area=d.communities[2], staff=second)
    staff = principal(account)
    assert in_scope(staff) == subtree(d.communities[0], d.communities[2])


def test_someone_with_no_staff_scope_sees_nothing(d):
    assert in_scope(Principal.anonymous()) == set()
