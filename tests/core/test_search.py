"""Find anyone (core.search): every kind the box reads — item numbers, 12345 tickets, stewards,
volunteers, unit members, residents by phone, alleys, households — scoped to what the staff
member manages (a community's staff never see another community's people; a street admin sees
the street), and the person autocomplete."""

from __future__ import annotations

import pytest

from core import search
from core.households import cards
from core.items import on_behalf
from core.people.permissions import Principal
from core.units import members, units
from core.volunteering import volunteers
from models import Event, User
from tests.console_world import build


def _p(account) -> Principal:
    return Principal.for_user(User.get_by_id(account.user_id))


@pytest.fixture
def world(capp):
    w = build(capp)
    w.p1, w.p2, w.padmin = _p(w.staff), _p(w.other_staff), _p(w.admin)
    vol_user = User.create(openid="dev:周强", nickname="周强")
    w.volunteer = volunteers.register(
        Principal.for_user(vol_user), w.d.communities[1].id, "周强", "13912345678"
    )
    unit = units.create(w.d.street, "城管执法中队", "12319", kind="department", label="测试")
    w.unit = unit
    members.create_member(unit, "cg1", "password123", "城管罗工", label="测试")
    w.ticket = on_behalf.register(
        w.p1,
        alley=w.d.alleys[0],
        source="hotline",
        category="环境卫生",
        content="巷口垃圾三天没人清",
        ticket_no="GD20261207001",
        contact_name="王秀英",
        contact_phone="13600001111",
    ).issue
    w.household = cards.create(
        w.p1,
        {
            "alley_id": w.d.alleys[0].id,
            "steward_id": w.d.stewards[0].id,
            "address": "槐树巷 3 号院 2 单元",
            "head_name": "王大爷",
            "head_phone": "13811112222",
            "members": [],
            "tags": [],
            "notes": "",
        },
    )
    return w


def _titles(results, kind):
    return [h.title for h in results.groups.get(kind, [])]


def test_item_numbers_typed_any_way(world):
    number = world.open_issue.number
    assert _titles(search.find(world.p1, number.lower()), "issue") == [number]
    # full-width, as a Chinese keyboard types it
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert _titles(search.find(world.p1, wide), "issue") == [number]
    assert _titles(search.find(world.p1, world.wish.number), "wish") == [world.wish.number]
    # another community's staff: the item does not exist for them
    assert search.find(world.p2, number).groups == {}


def test_ticket_number_finds_the_issue_in_the_street(world):
    found = search.find(world.p1, "gd20261207001").groups["ticket"]
    assert [h.id for h in found] == [world.ticket.id]
    assert search.find(world.padmin, "GD20261207001").groups["ticket"][0].id == world.ticket.id
    assert "ticket" not in search.find(world.p2, "GD20261207001").groups


def test_stewards_by_name_or_part_of_phone_in_scope_only(world):
    mine, theirs = world.d.stewards[0], world.d.stewards[2]
    assert mine.name in _titles(search.find(world.p1, "管家"), "steward")
    assert theirs.name not in _titles(search.find(world.p1, "管家"), "steward")
    assert _titles(search.find(world.p1, mine.phone[-6:]), "steward") == [mine.name]
    assert search.find(world.p1, theirs.phone).groups.get("steward") is None
    # the street admin sees every community's
    assert {mine.name, theirs.name} <= set(_titles(search.find(world.padmin, "管家"), "steward"))


def test_volunteers_and_unit_members(world):
    # 周强 volunteers in 第2社区: its staff find him by a spaced name, the other community not
    assert _titles(search.find(world.p2, "周 强"), "volunteer") == ["周强"]
    assert search.find(world.p1, "周强").groups.get("volunteer") is None
    hit = search.find(world.p1, "罗工").groups["unit_member"][0]
    assert hit.title == "城管罗工" and hit.id == world.unit.id and "城管执法中队" in hit.detail


def test_resident_by_whole_phone_lists_their_items(world):
    hit = search.find(world.p1, "136-0000-1111").groups["resident"][0]
    assert hit.title.startswith("王秀英")
    assert ("issue", world.ticket.id, world.ticket.number) in hit.items
    # the wish's phone (build() files the wishes with 13800001111)
    wishes = search.find(world.p1, "13800001111").groups["resident"][0].items
    assert {("wish", world.wish.id, world.wish.number)} <= set(wishes)
    # a part of a resident's phone finds no resident; nor does another community's staff
    assert "resident" not in search.find(world.p1, "00001111").groups
    assert "resident" not in search.find(world.p2, "13600001111").groups


def test_alleys_and_households_and_the_audit_of_a_household_shown(world):
    assert _titles(search.find(world.p1, "1区1巷"), "alley") == ["1区1巷"]
    assert "alley" not in search.find(world.p2, "1区1巷").groups
    before = Event.select().where(Event.action == "households.search").count()
    found = search.find(world.p1, "槐树巷 3 号")
    assert [h.id for h in found.groups["household"]] == [world.household.id]
    event = Event.select().where(Event.action == "households.search").order_by(Event.id.desc())
    assert event.count() == before + 1
    assert event.first().actor_id == world.staff.user_id
    assert event.first().data["household_ids"] == [world.household.id]
    assert "household" not in search.find(world.p2, "槐树巷").groups


def test_too_short_or_not_staff_finds_nothing(world):
    assert search.find(world.p1, "管").groups == {}
    assert search.find(world.p1, "  ").groups == {}
    steward_user = User.create(openid="dev:x", nickname="x")
    assert search.find(Principal.for_user(steward_user), "管家").groups == {}
    assert search.find(world.p1, "%").groups == {}


def test_people_autocomplete(world):
    names = [h.title for h in search.people(world.p1, "管家")]
    assert names and all(n.startswith("管家1") for n in names)
    assert [h.title for h in search.people(world.p2, "周")] == ["周强"]
    assert search.people(world.p1, "周") == []
    assert [h.kind for h in search.people(world.p2, "周", kinds=("steward",))] == []
