"""A unit's members at the core (core.units.members): 停用 and 恢复 end or give back the login,
each audited with the account and the person who did it; a member of a stopped unit is not
given back; a stopped account gets no bind code; and a member acting from WeChat is named on
the trail by their unit and their own name, not their WeChat nickname."""

from __future__ import annotations

import pytest

from core.people import auth, departments
from core.people.permissions import Principal
from core.units import members, units
from infra.errors import ApiError
from models import Event, StaffAccount, User
from tests.factories import login, make_district, make_staff


@pytest.fixture
def unit_world(app):
    d = make_district()
    unit = units.create(d.street, "住建办", kind="department")
    member = members.create_member(unit, "zjb-li", "password123", "李工", "wecom-li")
    admin = make_staff(d.street, role="admin", username="jd")
    return {"d": d, "unit": unit, "member": member, "actor": User.get_by_id(admin.user_id)}


def _events(action: str) -> list[Event]:
    return list(Event.select().where(Event.action == action).order_by(Event.id))


def test_stopping_and_giving_back_a_member_is_audited_with_the_account_and_who_did_it(
    unit_world,
):
    w = unit_world
    member, unit, actor = w["member"], w["unit"], w["actor"]
    members.set_active(member, False, actor=actor)
    assert not StaffAccount.get_by_id(member.account_id).active
    back = members.set_active(member, True, actor=actor)
    assert back.id == member.id and StaffAccount.get_by_id(member.account_id).active
    for action in ("unit.member_disable", "unit.member_enable"):
        (event,) = _events(action)
        assert (event.subject_type, event.subject_id) == ("department", unit.id)
        assert event.area_id == unit.area_id and event.actor_id == actor.id
        assert event.data == {"account_id": member.account_id, "username": "zjb-li"}
    # the account's own trail names the person too
    assert [e.actor_id for e in _events("staff.disable") + _events("staff.enable")] == [
        actor.id,
        actor.id,
    ]


def test_a_member_of_a_stopped_unit_is_not_given_back(unit_world):
    w = unit_world
    member, unit, actor = w["member"], w["unit"], w["actor"]
    members.set_active(member, False, actor=actor)
    departments.set_active(unit, False, actor=actor)
    with pytest.raises(ApiError) as err:
        members.set_active(member, True, actor=actor)
    assert (err.value.status, err.value.code) == (409, "unit_inactive")
    assert err.value.message == "单位“住建办”已停用"
    assert not StaffAccount.get_by_id(member.account_id).active
    assert _events("unit.member_enable") == []
    # stopping a member of a stopped unit is still allowed
    members.set_active(member, False, actor=actor)
    assert len(_events("unit.member_disable")) == 2


def test_a_stopped_member_gets_no_bind_code_and_a_serving_ones_names_who_asked(unit_world):
    w = unit_world
    member, actor = w["member"], w["actor"]
    code, _ = members.bind_code(member, actor=actor, issued_by="孙伟")
    assert code
    (issued,) = _events("bind_code.issue")
    assert (issued.subject_type, issued.subject_id) == ("staff", member.account_id)
    assert issued.actor_id == actor.id and issued.actor_label
    members.set_active(member, False, actor=actor)
    with pytest.raises(ApiError) as err:
        members.bind_code(member, actor=actor, issued_by="孙伟")
    assert (err.value.status, err.value.code) == (409, "staff_inactive")
    assert err.value.message == "该成员账号已停用，请先恢复"
    assert len(_events("bind_code.issue")) == 1


def test_a_member_acting_from_wechat_is_named_by_unit_and_own_name(client, unit_world):
    w = unit_world
    member, unit = w["member"], w["unit"]
    code, _ = auth.issue_bind_code(staff=member.account, issued_by="test")
    wechat = login(client, "微信昵称小李")
    res = client.post("/api/v1/auth/bind", json={"code": code}, headers=wechat)
    assert res.status_code == 200, res.get_json()
    p = Principal.for_user(User.get(User.openid == "dev:微信昵称小李"))
    found = members.member_for(p, unit.id)
    assert found is not None and found.id == member.id and found.account.display_name == "李工"
    assert members.person_label(p, unit) == "住建办 李工"
    # not a member of another unit; nobody without a user
    other = units.create(w["d"].street, "城管", kind="department")
    assert members.member_for(p, other.id) is None
    assert members.member_for(Principal.anonymous(), unit.id) is None
