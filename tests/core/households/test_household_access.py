"""Who reaches a household (core.households.access) where the API's matrix does not look: a
person who is both a steward and staff of another community sees both sets and no more, a
principal with no household role gets an empty scope even from a caller that forgot to ask
`require_use` first, and the audit of every read or list says where it happened."""

from __future__ import annotations

import pytest

from core.households import access, cards, plans
from core.people.permissions import Principal
from infra.errors import ApiError
from infra.timeutil import utcnow
from models import Area, Event, Household, User
from tests.core.households.world import households
from tests.core.households.world import staff as _staff
from tests.factories import make_district


@pytest.fixture
def w(app):
    d = make_district()
    admin = _staff(d.street, role="admin")
    places = (
        ("a", d.alleys[0], d.stewards[0]),  # community 1, steward 1
        ("b", d.alleys[1], d.stewards[1]),  # community 1, steward 2
        ("c", d.alleys[2], d.stewards[2]),  # community 2
    )
    made = households(admin, d, places)
    # every household is overdue for a visit
    Household.update(visit_due_at=Household.created_at).execute()
    return {"d": d, "h": made}


def _ids(query) -> set[int]:
    return {h.id for h in query}


def test_a_steward_who_is_also_staff_elsewhere_sees_their_own_and_that_community(w):
    d, h = w["d"], w["h"]
    staff_there = _staff(d.communities[1])
    both = Principal(
        user=staff_there.user,
        roles={"staff", "steward"},
        area_roots=staff_there.area_roots,
        stewards=[d.stewards[0]],
    )
    expected = {h["a"], h["c"]}  # not "b": the same community's other steward keeps it
    assert _ids(cards.listing(both)) == expected
    assert _ids(plans.overdue_households(both)) == expected


def test_nobody_without_a_household_role_has_any_household_in_scope(w):
    resident = Principal.for_user(User.create(openid="dev:张大妈"))
    assert _ids(access.scoped(resident)) == set()
    # the console's overdue list asks no `require_use` first: the scope alone must hold
    assert _ids(plans.overdue_households(resident)) == set()


def test_the_dashboards_compiled_overdue_count_answers_for_each_viewer_area_and_moment(w):
    """The 首页's 走访超期 (`plans.overdue_section`) runs statements compiled once per shape of
    scope: each viewer, area and moment in turn gets its own answer, the same as
    `overdue_households` — viewers of the same shape one after the other, the street's admin
    within either community, a steward who is also staff, a steward, nobody."""
    d, h = w["d"], w["h"]
    staff_there = _staff(d.communities[1])
    both = Principal(
        user=staff_there.user,
        roles={"staff", "steward"},
        area_roots=staff_there.area_roots,
        stewards=[d.stewards[0]],
    )
    admin = _staff(d.street, role="admin")
    cases = (
        (_staff(d.communities[0]), None, {"a", "b"}),
        (staff_there, None, {"c"}),
        (admin, d.communities[1], {"c"}),
        (admin, d.communities[0], {"a", "b"}),
        (both, None, {"a", "c"}),
        (
            Principal(user=staff_there.user, roles={"steward"}, stewards=[d.stewards[1]]),
            None,
            {"b"},
        ),
        (Principal.for_user(User.create(openid="dev:王阿姨")), None, set()),
        (admin, None, {"a", "b", "c"}),
    )
    now = utcnow()
    for p, within, names in cases:
        count, rows = plans.overdue_section(p, now, within, limit=5)
        expected = plans.overdue_households(p, now)
        if within is not None:
            expected = expected.where(Area.path.startswith(within.path))
        assert [r.id for r in rows] == [r.id for r in expected]
        assert count == len(rows) and {r.id for r in rows} == {h[n] for n in names}
        assert all(r.alley.id == r.alley_id and r.steward.id == r.steward_id for r in rows)
    first_due = min(x.visit_due_at for x in Household.select())
    assert plans.overdue_section(admin, first_due, limit=5) == (0, [])
    assert plans.overdue_section(admin, now, limit=2)[0] == 3
    assert len(plans.overdue_section(admin, now, limit=2)[1]) == 2


def test_the_dashboards_overdue_count_within_an_area_keeps_the_viewers_own_scope(w):
    """Asking the 首页's 走访超期 within an area narrows the viewer's scope, never replaces
    it: another community's staff count none of this community's households, and a steward
    who is also staff elsewhere counts only their own alley's here, not their alley-mate's."""
    d, h = w["d"], w["h"]
    staff_there = _staff(d.communities[1])
    both = Principal(
        user=staff_there.user,
        roles={"staff", "steward"},
        area_roots=staff_there.area_roots,
        stewards=[d.stewards[0]],
    )
    now = utcnow()
    assert plans.overdue_section(staff_there, now, d.communities[0], limit=5) == (0, [])
    count, rows = plans.overdue_section(both, now, d.communities[0], limit=5)
    assert (count, [r.id for r in rows]) == (1, [h["a"]])


def test_a_read_is_audited_at_the_households_alley(w):
    staff = _staff(w["d"].communities[0])
    household = access.load(staff, w["h"]["b"])
    access.record_read(staff, household, "api")
    event = Event.select().where(Event.action == "household.read").order_by(Event.id.desc()).get()
    assert (event.subject_type, event.subject_id, event.actor_id) == (
        "household",
        household.id,
        staff.user.id,
    )
    assert (event.area_id, event.data) == (w["d"].alleys[1].id, {"via": "api"})


def test_a_list_is_audited_at_the_staff_members_area_and_a_stewards_at_none(w):
    staff = _staff(w["d"].communities[0])
    access.record_list(staff, [1, 2], {"tag": "低保", "q": ""}, "console")
    steward = Principal(user=staff.user, roles={"steward"}, stewards=[w["d"].stewards[0]])
    access.record_list(steward, [1], {}, "api")
    listed = list(Event.select().where(Event.action == "household.list").order_by(Event.id))
    first, second = listed[-2:]
    assert (first.subject_type, first.subject_id, first.actor_id) == (
        "household",
        None,
        staff.user.id,
    )
    assert first.area_id == w["d"].communities[0].id
    assert first.data == {"via": "console", "ids": [1, 2], "filters": {"tag": "低保"}}
    assert second.area_id is None and second.data == {"via": "api", "ids": [1], "filters": {}}


def test_a_household_outside_ones_scope_does_not_exist_in_chinese(w):
    other_staff = _staff(w["d"].communities[1])
    for household_id in (w["h"]["a"], 999_999):
        with pytest.raises(ApiError) as err:
            access.load(other_staff, household_id)
        assert (err.value.status, err.value.code, err.value.message) == (
            404,
            "household_not_found",
            "找不到该户",
        )
    assert access.load(other_staff, w["h"]["c"]).id == w["h"]["c"]


def test_only_stewards_and_staff_work_with_households_and_others_are_told_so(w):
    resident = Principal.for_user(User.create(openid="dev:李大爷"))
    with pytest.raises(ApiError) as err:
        access.load(resident, w["h"]["a"])
    assert (err.value.status, err.value.code, err.value.message) == (
        403,
        "households_forbidden",
        "只有小巷管家和社区工作人员可以查看包联户",
    )
    steward = Principal(user=resident.user, roles={"steward"}, stewards=[w["d"].stewards[0]])
    access.require_use(steward)
    access.require_use(_staff(w["d"].communities[1]))


def test_the_tag_list_is_the_configured_one_in_its_order(app):
    assert access.tags() == list(access.DEFAULT_TAGS)
    app.config["HOUSEHOLD_TAGS"] = ["失独家庭", "独居老人"]
    assert access.tags() == ["失独家庭", "独居老人"]
