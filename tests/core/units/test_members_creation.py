"""Making a unit member's login (core.units.members.create_member): each refusal names the
field at its exact limit and writes nothing; the login made is the unit's, with the password
hashed as configured, the person named as typed, and the making audited against the unit; a
member of a stopped unit no longer acts for it; the trail names a non-member by their own
name after the unit's."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from core.people import departments
from core.people.permissions import UNIT_ROLE, Principal
from core.units import members, units
from infra.errors import ApiError
from models import Department, Event, RoleGrant, StaffAccount, UnitMember, User
from tests.factories import make_district, make_staff


@pytest.fixture
def unit(app):
    d = make_district()
    return units.create(d.street, "住建办")


def _refusal(call) -> tuple:
    with pytest.raises(ApiError) as refused:
        call()
    e = refused.value
    return e.status, e.code, e.message, e.fields


def test_a_member_login_is_refused_naming_the_field_at_each_limit(unit):
    make_staff(unit.area, role="admin", username="Taken-Name")
    no_username = (
        400,
        "validation_error",
        "请填写用户名（最多 64 位）",
        {"username": "不能为空，最多 64 位"},
    )
    for username in ("", "   ", None, "u" * 65):
        assert _refusal(lambda u=username: members.create_member(unit, u, "password123")) == (
            no_username
        )
    short = (400, "validation_error", "密码至少 8 位", {"password": "密码至少 8 位"})
    for password in ("1234567", "", None):
        assert _refusal(lambda pw=password: members.create_member(unit, "zjb-li", pw)) == short
    # a username is taken whatever its case, by an account of any role
    assert _refusal(lambda: members.create_member(unit, "taken-NAME", "password123")) == (
        409,
        "username_taken",
        "该用户名已被使用",
        {"username": "已被使用"},
    )
    assert not UnitMember.select().exists()
    assert not Event.select().where(Event.action == "unit.member_create").exists()


def test_a_stopped_unit_gets_no_new_member(unit):
    admin = make_staff(unit.area, role="admin", username="jd")
    departments.set_active(unit, False, actor=User.get_by_id(admin.user_id))
    stopped = Department.get_by_id(unit.id)
    assert _refusal(lambda: members.create_member(stopped, "zjb-li", "password123")) == (
        409,
        "unit_inactive",
        "单位“住建办”已停用",
        {},
    )
    assert not UnitMember.select().exists()


def test_a_member_login_is_the_units_with_the_password_hashed_as_configured(app, unit):
    admin = User.get_by_id(make_staff(unit.area, role="admin", username="jd").user_id)
    # at the limits: a 64-character username (typed with spaces), an 8-character password
    username = "u" * 64
    member = members.create_member(unit, f" {username} ", "12345678", " 李工 ", "", actor=admin)
    account = StaffAccount.get_by_id(member.account_id)
    assert (account.username, account.display_name) == (username, "李工")
    assert (account.role, account.area_id) == (UNIT_ROLE, unit.area_id) and account.active
    assert account.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"] + "$")
    assert check_password_hash(account.password_hash, "12345678")
    # no WeCom id typed is none, not an empty one
    assert (member.unit_id, member.wecom_userid) == (unit.id, None)
    # the console login's identity holds the unit role
    grant = RoleGrant.get(RoleGrant.staff == account.id)
    assert (grant.user_id, grant.role, grant.area_id) == (account.user_id, UNIT_ROLE, unit.area_id)
    assert Principal.for_user(User.get_by_id(account.user_id)).unit_ids == {unit.id}

    (event,) = Event.select().where(Event.action == "unit.member_create")
    assert (event.subject_type, event.subject_id) == ("department", unit.id)
    assert (event.area_id, event.actor_id, event.actor_label) == (unit.area_id, admin.id, "jd")
    assert event.data == {"account_id": account.id, "username": username, "name": "李工"}


def test_a_member_without_a_name_is_called_by_username_and_a_long_name_is_cut(unit):
    plain = members.create_member(unit, "zjb-wang", "password123", "  ", "wecom-wang")
    assert StaffAccount.get_by_id(plain.account_id).display_name == "zjb-wang"
    assert plain.wecom_userid == "wecom-wang"
    unnamed = members.create_member(unit, "zjb-sun", "password123")
    assert StaffAccount.get_by_id(unnamed.account_id).display_name == "zjb-sun"
    long = members.create_member(unit, "zjb-zhao", "password123", "赵" * 60, label="命令行")
    assert StaffAccount.get_by_id(long.account_id).display_name == "赵" * 50
    made = list(Event.select().where(Event.action == "unit.member_create").order_by(Event.id))
    assert [e.data["name"] for e in made] == ["zjb-wang", "zjb-sun", "赵" * 60]
    assert [(e.actor_id, e.actor_label) for e in made] == [
        (None, "系统"),
        (None, "系统"),
        (None, "命令行"),
    ]


def test_a_member_of_a_stopped_unit_no_longer_acts_for_it(unit):
    member = members.create_member(unit, "zjb-li", "password123", "李工")
    user = User.get_by_id(StaffAccount.get_by_id(member.account_id).user_id)
    assert members.member_for(Principal.for_user(user), unit.id).id == member.id
    admin = make_staff(unit.area, role="admin", username="jd")
    departments.set_active(unit, False, actor=User.get_by_id(admin.user_id))
    assert members.member_for(Principal.for_user(user), unit.id) is None


def test_someone_not_of_the_unit_is_named_on_its_trail_by_their_own_name(unit):
    staff = make_staff(unit.area, role="admin", username="zhangsan")
    user = User.get_by_id(staff.user_id)
    User.update(nickname="张三").where(User.id == user.id).execute()
    p = Principal.for_user(User.get_by_id(user.id))
    assert members.person_label(p, unit) == "住建办 张三"
    assert members.person_label(Principal.anonymous(), unit) == "住建办"
