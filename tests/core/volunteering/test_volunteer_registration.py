"""Volunteers, 双报到 units and teams at the core (core.volunteering.volunteers): what a
registration accepts at its bounds, when a party member goes back to staff for confirmation,
who may confirm one (not another community's staff, not the member themselves), what the
directory shows whom, stopping a unit or team, and what each step writes to the audit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from core.people import phones
from core.people.permissions import Principal
from core.volunteering import volunteers
from infra.errors import ApiError
from models import Event, ServiceUnit, User, Volunteer, VolunteerTeam
from tests.factories import login, make_district, make_staff

MOMENT = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def refused(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as err:
        call(*args, **kwargs)
    return err.value


def person(client, name: str) -> Principal:
    login(client, name)
    return Principal.for_user(User.get(User.openid == f"dev:{name}"))


@pytest.fixture
def w(client):
    d = make_district()
    c1, c2 = d.communities
    staff, other = make_staff(c1), make_staff(c2)
    admin = make_staff(d.street, role="admin")
    w = {
        "d": d,
        "c1": c1,
        "c2": c2,
        "staff": staff,
        "sp": Principal.for_user(staff.user),
        "op": Principal.for_user(other.user),
        "ap": Principal.for_user(admin.user),
        "vol": person(client, "志愿者小陈"),
        "vol2": person(client, "志愿者小李"),
    }
    w["tax"] = volunteers.add_unit(w["sp"], c1.id, "区税务局", "王主任", "13900000000")
    w["bank"] = volunteers.add_unit(w["sp"], c1.id, "农商银行")
    w["team"] = volunteers.add_team(w["sp"], c1.id, "党员先锋队", "王队长")
    return w


def events(action: str) -> list[Event]:
    return list(Event.select().where(Event.action == action).order_by(Event.id))


# --- registering ---------------------------------------------------------------------------------


def test_nobody_logged_in_cannot_register(client, w):
    err = refused(volunteers.register, Principal.anonymous(), w["c1"].id, "陈", "13800001111")
    assert (err.status, err.message) == (403, "请先登录")
    assert Volunteer.select().count() == 0


def test_a_registration_is_trimmed_and_audited(client, w):
    with time_machine.travel(MOMENT, tick=False):
        v = volunteers.register(
            w["vol"],
            w["c1"].id,
            "  陈晓 ",
            "138 0000 1111",
            skills=[" 理发 ", "理发", "", None, "维修"],
            team_id=w["team"].id,
        )
    stored = Volunteer.get_by_id(v.id)
    assert (stored.name, stored.phone, stored.skills) == ("陈晓", "13800001111", ["理发", "维修"])
    assert stored.team_id == w["team"].id and stored.party_status == "none"
    assert stored.active and stored.updated_at == MOMENT.replace(tzinfo=None)
    (event,) = events("volunteer.register")
    assert (event.subject_type, event.subject_id, event.area_id, event.actor_id) == (
        "volunteer",
        v.id,
        w["c1"].id,
        w["vol"].user.id,
    )
    assert event.data == {"party_member": False, "unit_id": None}


def test_a_blank_name_or_a_wrong_phone_names_the_field(client, w):
    err = refused(volunteers.register, w["vol"], w["c1"].id, "  ", "13800001111")
    assert (err.status, err.message, err.fields) == (400, "姓名：必填", {"name": "必填"})
    err = refused(volunteers.register, w["vol"], w["c1"].id, None, "13800001111")
    assert err.fields == {"name": "必填"}
    err = refused(volunteers.register, w["vol"], w["c1"].id, "陈", "1380000111")
    assert (err.message, err.fields) == (
        "手机号：请填写正确的手机号（11 位）",
        {"phone": "请填写正确的手机号（11 位）"},
    )
    err = refused(volunteers.register, w["vol"], w["c1"].id, "陈", None)
    assert err.fields == {"phone": "请填写正确的手机号（11 位）"}


def test_skills_are_at_most_ten_of_at_most_twenty_characters(client, w):
    ten = [f"特长{i}" for i in range(10)]
    assert volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111", ten).skills == ten
    err = refused(volunteers.register, w["vol"], w["c1"].id, "陈", "13800001111", [*ten, "再一项"])
    assert (err.status, err.message, err.fields) == (
        400,
        "特长：最多 10 项",
        {"skills": "最多 10 项"},
    )
    assert volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111", ["长" * 20]).skills == [
        "长" * 20
    ]
    err = refused(volunteers.register, w["vol"], w["c1"].id, "陈", "13800001111", ["长" * 21])
    assert (err.message, err.fields) == ("特长：每项最多 20 个字", {"skills": "每项最多 20 个字"})
    # the same skill twice counts once
    assert (
        volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111", [*ten, "特长0"]).skills
        == ten
    )
    assert volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111", None).skills == []


def test_a_team_or_unit_must_be_this_communitys_and_in_use(client, w):
    c2_team = volunteers.add_team(w["op"], w["c2"].id, "外社区队")
    c2_unit = volunteers.add_unit(w["op"], w["c2"].id, "外社区单位")
    err = refused(
        volunteers.register, w["vol"], w["c1"].id, "陈", "13800001111", team_id=c2_team.id
    )
    assert (err.status, err.message, err.fields) == (
        400,
        "志愿服务队：本社区没有这支队伍",
        {"team_id": "本社区没有这支队伍"},
    )
    volunteers.set_active(w["sp"], VolunteerTeam, w["team"].id, False)
    err = refused(
        volunteers.register, w["vol"], w["c1"].id, "陈", "13800001111", team_id=w["team"].id
    )
    assert err.fields == {"team_id": "本社区没有这支队伍"}
    err = refused(
        volunteers.register,
        w["vol"],
        w["c1"].id,
        "陈",
        "13800001111",
        party_member=True,
        unit_id=c2_unit.id,
    )
    assert (err.status, err.message, err.fields) == (
        400,
        "双报到单位：本社区没有这个单位",
        {"unit_id": "本社区没有这个单位"},
    )
    err = refused(volunteers.register, w["vol"], w["c1"].id, "陈", "13800001111", party_member=True)
    assert (err.message, err.fields) == (
        "双报到单位：在职党员请选择所在单位",
        {"unit_id": "在职党员请选择所在单位"},
    )
    # a unit given by somebody who is not a party member is not kept
    v = volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111", unit_id=w["tax"].id)
    assert v.unit_id is None and v.party_status == "none"


def _party(w, who="vol", unit="tax", **extra):
    return volunteers.register(
        w[who], w["c1"].id, "陈", "13800001111", party_member=True, unit_id=w[unit].id, **extra
    )


def test_a_confirmed_party_member_stays_confirmed_until_their_unit_changes(client, w):
    v = _party(w)
    assert v.party_status == "pending"
    volunteers.review_party_member(w["sp"], v.id, True)
    again = _party(w)  # the same unit again: still confirmed
    assert again.party_status == "confirmed"
    assert Volunteer.get_by_id(v.id).party_reviewed_by_id == w["staff"].user_id
    moved = _party(w, unit="bank")
    stored = Volunteer.get_by_id(v.id)
    assert moved.party_status == stored.party_status == "pending"
    assert stored.party_reviewed_by_id is None and stored.party_reviewed_at is None
    (update, *_) = events("volunteer.update")
    assert update.data == {"party_member": True, "unit_id": w["tax"].id}
    assert events("volunteer.update")[-1].data == {"party_member": True, "unit_id": w["bank"].id}


def test_leaving_and_rejoining_as_a_party_member_asks_for_confirmation_again(client, w):
    v = _party(w)
    volunteers.review_party_member(w["sp"], v.id, True)
    plain = volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111")
    assert plain.party_status == "none" and not plain.party_member and plain.unit_id is None
    back = _party(w)
    assert back.party_status == "pending"


def test_a_member_turned_down_who_registers_again_waits_again(client, w):
    v = _party(w)
    volunteers.review_party_member(w["sp"], v.id, False, "单位不符")
    assert Volunteer.get_by_id(v.id).party_status == "rejected"
    assert _party(w).party_status == "pending"


def test_a_stopped_registration_is_active_again_on_registering(client, w):
    v = volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111")
    Volunteer.update(active=False).where(Volunteer.id == v.id).execute()
    assert volunteers.of_user_in(w["vol"].user.id, w["c1"].id) is None
    again = volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111")
    assert again.id == v.id and Volunteer.get_by_id(v.id).active
    assert volunteers.of_user_in(w["vol"].user.id, w["c1"].id).id == v.id
    assert volunteers.of_user_in(w["vol"].user.id, w["c2"].id) is None


def test_my_registrations_are_mine_only_in_the_order_made(client, w):
    second = volunteers.register(w["vol"], w["c2"].id, "陈", "13800001111")
    first_here = volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111")
    volunteers.register(w["vol2"], w["c1"].id, "李", "13800002222")
    assert [v.id for v in volunteers.mine(w["vol"])] == [second.id, first_here.id]
    assert volunteers.mine(Principal.anonymous()) == []


# --- confirming a party member -------------------------------------------------------------------


def test_staff_of_another_community_cannot_confirm_this_party_member(client, w):
    v = _party(w)
    err = refused(volunteers.review_party_member, w["op"], v.id, True)
    assert (err.status, err.code, err.message) == (404, "volunteer_not_found", "找不到该志愿者")
    assert refused(volunteers.review_party_member, w["sp"], 9999, True).status == 404
    assert Volunteer.get_by_id(v.id).party_status == "pending"
    assert volunteers.review_party_member(w["ap"], v.id, True).party_status == "confirmed"


def test_staff_cannot_confirm_their_own_party_registration(client, w):
    v = _party(w, who="sp")
    err = refused(volunteers.review_party_member, w["sp"], v.id, True)
    assert (err.status, err.code) == (403, "own_registration")
    assert err.message == "不能确认自己的在职党员报到，须由其他工作人员确认"
    assert Volunteer.get_by_id(v.id).party_status == "pending"


def test_turning_down_needs_a_reason_and_is_audited(client, w):
    v = _party(w)
    err = refused(volunteers.review_party_member, w["sp"], v.id, False, "  ")
    assert (err.status, err.message, err.fields) == (
        400,
        "原因：不通过时请写明原因",
        {"note": "不通过时请写明原因"},
    )
    err = refused(volunteers.review_party_member, w["sp"], v.id, False, None)
    assert err.fields == {"note": "不通过时请写明原因"}
    with time_machine.travel(MOMENT, tick=False):
        done = volunteers.review_party_member(w["sp"], v.id, False, " 单位不符 " + "长" * 300)
    assert done.party_status == "rejected"
    assert done.party_note == ("单位不符 " + "长" * 300)[:200]
    assert done.party_reviewed_by_id == w["staff"].user_id
    assert done.party_reviewed_at == MOMENT.replace(tzinfo=None)
    assert done.updated_at == MOMENT.replace(tzinfo=None)
    (event,) = events("volunteer.party_reject")
    assert (event.subject_type, event.subject_id, event.area_id, event.actor_id) == (
        "volunteer",
        v.id,
        w["c1"].id,
        w["staff"].user_id,
    )
    assert event.data == {"note": "单位不符 " + "长" * 300, "unit_id": w["tax"].id}
    err = refused(volunteers.review_party_member, w["sp"], v.id, True)
    assert (err.status, err.code, err.message) == (
        409,
        "not_pending",
        "该志愿者没有待确认的在职党员报到",
    )
    assert events("volunteer.party_confirm") == []


def test_confirming_needs_no_reason_and_is_audited(client, w):
    v = _party(w)
    done = volunteers.review_party_member(w["sp"], v.id, True, None)
    assert (done.party_status, done.party_note) == ("confirmed", "")
    (event,) = events("volunteer.party_confirm")
    assert event.data == {"note": "", "unit_id": w["tax"].id}


# --- the directory --------------------------------------------------------------------------------


def test_the_directory_shows_staff_their_scopes_active_volunteers_filtered_newest_first(client, w):
    a = _party(w)
    b = volunteers.register(w["vol2"], w["c1"].id, "李明", "13800002222", team_id=w["team"].id)
    far = volunteers.register(w["vol"], w["c2"].id, "陈", "13800001111")
    gone = volunteers.register(person(client, "离开者"), w["c1"].id, "离开", "13800003333")
    Volunteer.update(active=False).where(Volunteer.id == gone.id).execute()

    def ids(p, **kw):
        return [v.id for v in volunteers.directory(p, **kw)]

    assert ids(w["sp"]) == [b.id, a.id]
    assert ids(w["op"]) == [far.id]
    assert ids(w["ap"]) == [far.id, b.id, a.id]
    assert ids(w["ap"], community_id=w["c1"].id) == [b.id, a.id]
    assert ids(w["sp"], team_id=w["team"].id) == [b.id]
    assert ids(w["sp"], unit_id=w["tax"].id) == [a.id]
    assert ids(w["sp"], party_status="pending") == [a.id]
    assert ids(w["sp"], party_member=True) == [a.id]
    assert ids(w["sp"], party_member=False) == [b.id]
    assert ids(w["sp"], keyword="李") == [b.id]
    assert ids(w["sp"], keyword="13800001111") == [a.id]
    assert ids(w["sp"], keyword="") == [b.id, a.id]
    assert ids(w["vol"]) == []


def test_staff_read_a_volunteer_of_their_scope_only(client, w):
    v = _party(w)
    assert volunteers.get_for_staff(w["sp"], v.id).id == v.id
    err = refused(volunteers.get_for_staff, w["op"], v.id)
    assert (err.status, err.code) == (404, "volunteer_not_found")


def test_a_volunteer_as_read(client, w):
    with time_machine.travel(MOMENT, tick=False):
        v = _party(w, skills=["理发"], team_id=w["team"].id)
    assert volunteers.as_dict(Volunteer.get_by_id(v.id)) == {
        "id": v.id,
        "community_id": w["c1"].id,
        "community_name": "第1社区",
        "name": "陈",
        "phone": "13800001111",
        "skills": ["理发"],
        "team_id": w["team"].id,
        "team_name": "党员先锋队",
        "party_member": True,
        "unit_id": w["tax"].id,
        "unit_name": "区税务局",
        "party_status": "pending",
        "party_status_label": "待确认",
        "party_note": "",
        "created_at": "2026-12-05T10:00:00+08:00",
    }
    plain = volunteers.register(w["vol2"], w["c1"].id, "李", "13800002222")
    got = volunteers.as_dict(plain)
    assert (got["team_name"], got["unit_name"], got["party_status_label"]) == (None, None, "")


# --- units and teams -------------------------------------------------------------------------------


def test_a_unit_is_trimmed_cut_unique_and_audited(client, w):
    unit = volunteers.add_unit(w["sp"], None, " 区" + "财" * 120, " 张" + "三" * 60, "")
    stored = ServiceUnit.get_by_id(unit.id)
    assert stored.name == ("区" + "财" * 120)[:100]
    assert stored.contact_name == ("张" + "三" * 60)[:50] and stored.phone == ""
    event = events("service_unit.create")[-1]
    assert (event.subject_type, event.subject_id, event.area_id, event.actor_id) == (
        "service_unit",
        unit.id,
        w["c1"].id,
        w["staff"].user_id,
    )
    assert event.data == {"name": stored.name}
    err = refused(volunteers.add_unit, w["sp"], w["c1"].id, "区税务局")
    assert (err.status, err.code, err.message) == (409, "duplicate", "本社区已有同名单位")
    err = refused(volunteers.add_unit, w["sp"], w["c1"].id, "  ")
    assert (err.message, err.fields) == ("名称：必填", {"name": "必填"})
    assert refused(volunteers.add_unit, w["sp"], w["c1"].id, None).fields == {"name": "必填"}
    err = refused(volunteers.add_unit, w["sp"], w["c1"].id, "某单位", "", "123")
    assert err.status == 400 and err.message.startswith("电话：") and "phone" in err.fields
    assert volunteers.add_unit(w["sp"], w["c1"].id, "某单位", None, None).contact_name == ""
    assert refused(volunteers.add_unit, w["op"], w["c1"].id, "越权单位").code == "out_of_scope"


def test_a_team_is_trimmed_cut_unique_and_audited(client, w):
    team = volunteers.add_team(w["sp"], None, " 巡" + "逻" * 120, " 王" + "五" * 60)
    stored = VolunteerTeam.get_by_id(team.id)
    assert stored.name == ("巡" + "逻" * 120)[:100]
    assert stored.leader_name == ("王" + "五" * 60)[:50]
    event = events("volunteer_team.create")[-1]
    assert (event.subject_type, event.subject_id, event.area_id, event.actor_id) == (
        "volunteer_team",
        team.id,
        w["c1"].id,
        w["staff"].user_id,
    )
    assert event.data == {"name": stored.name}
    err = refused(volunteers.add_team, w["sp"], w["c1"].id, "党员先锋队")
    assert (err.status, err.code, err.message) == (409, "duplicate", "本社区已有同名队伍")
    err = refused(volunteers.add_team, w["sp"], w["c1"].id, " ")
    assert (err.message, err.fields) == ("名称：必填", {"name": "必填"})
    assert refused(volunteers.add_team, w["sp"], w["c1"].id, None).fields == {"name": "必填"}
    assert volunteers.add_team(w["sp"], w["c1"].id, "新队", None).leader_name == ""
    assert refused(volunteers.add_team, w["op"], w["c1"].id, "越权队").code == "out_of_scope"


def test_staff_of_another_community_cannot_stop_this_unit_or_team(client, w):
    err = refused(volunteers.set_active, w["op"], ServiceUnit, w["tax"].id, False)
    assert (err.status, err.code, err.message) == (404, "not_found", "找不到该单位")
    err = refused(volunteers.set_active, w["op"], VolunteerTeam, w["team"].id, False)
    assert (err.status, err.message) == (404, "找不到该队伍")
    assert refused(volunteers.set_active, w["sp"], ServiceUnit, 9999, False).status == 404
    assert ServiceUnit.get_by_id(w["tax"].id).active
    assert VolunteerTeam.get_by_id(w["team"].id).active


def test_stopping_and_resuming_a_unit_or_team_is_audited(client, w):
    assert not volunteers.set_active(w["sp"], ServiceUnit, w["tax"].id, False).active
    assert volunteers.set_active(w["sp"], ServiceUnit, w["tax"].id, True).active
    assert not volunteers.set_active(w["sp"], VolunteerTeam, w["team"].id, False).active
    got = [
        (e.action, e.subject_type, e.subject_id, e.area_id, e.actor_id, e.data)
        for e in Event.select().where(Event.action.endswith("able")).order_by(Event.id)
    ]
    staff = w["staff"].user_id
    assert got == [
        (
            "service_unit.disable",
            "service_unit",
            w["tax"].id,
            w["c1"].id,
            staff,
            {"name": "区税务局"},
        ),
        (
            "service_unit.enable",
            "service_unit",
            w["tax"].id,
            w["c1"].id,
            staff,
            {"name": "区税务局"},
        ),
        (
            "volunteer_team.disable",
            "volunteer_team",
            w["team"].id,
            w["c1"].id,
            staff,
            {"name": "党员先锋队"},
        ),
    ]


def test_units_and_teams_of_a_community_by_name_in_use_or_all(client, w):
    volunteers.add_unit(w["op"], w["c2"].id, "外社区单位")
    volunteers.set_active(w["sp"], ServiceUnit, w["tax"].id, False)
    assert [u.name for u in volunteers.units_of(w["c1"].id)] == ["农商银行"]
    assert sorted(u.name for u in volunteers.units_of(w["c1"].id, True)) == ["农商银行", "区税务局"]
    assert [u.name for u in volunteers.units_of(w["c1"].id, True)] == sorted(
        ["农商银行", "区税务局"]
    )
    second = volunteers.add_team(w["sp"], w["c1"].id, "A队")
    volunteers.set_active(w["sp"], VolunteerTeam, w["team"].id, False)
    assert [t.id for t in volunteers.teams_of(w["c1"].id)] == [second.id]
    assert [t.name for t in volunteers.teams_of(w["c1"].id, True)] == sorted(["A队", "党员先锋队"])


def test_a_unit_and_a_team_as_read(client, w):
    assert volunteers.unit_dict(w["tax"]) == {
        "id": w["tax"].id,
        "community_id": w["c1"].id,
        "name": "区税务局",
        "active": True,
    }
    private = volunteers.unit_dict(w["tax"], private=True)
    assert (private["contact_name"], private["phone"]) == ("王主任", "13900000000")
    assert volunteers.team_dict(w["team"]) == {
        "id": w["team"].id,
        "community_id": w["c1"].id,
        "name": "党员先锋队",
        "leader_name": "王队长",
        "active": True,
    }


def test_my_registrations_keep_the_order_made_when_an_earlier_one_is_updated(client, w):
    first = volunteers.register(w["vol"], w["c2"].id, "陈", "13800001111")
    second = volunteers.register(w["vol"], w["c1"].id, "陈", "13800001111")
    # updating a row moves it to the end of a PostgreSQL table: the order must not follow that
    volunteers.register(w["vol"], w["c2"].id, "陈晓", "13800001111", skills=["理发"])
    assert [v.id for v in volunteers.mine(w["vol"])] == [first.id, second.id]


def test_a_units_wrong_phone_is_refused_saying_what_a_phone_must_be(client, w):
    err = refused(volunteers.add_unit, w["sp"], w["c1"].id, "某单位", "", "123")
    assert (err.status, err.message, err.fields) == (
        400,
        f"电话：{phones.CONTACT_ERROR}",
        {"phone": phones.CONTACT_ERROR},
    )
    landline = volunteers.add_unit(w["sp"], w["c1"].id, "某单位", "", "0571-8888 6666")
    assert ServiceUnit.get_by_id(landline.id).phone == phones.contact("0571-8888 6666")


def test_a_unit_or_team_added_with_its_name_only_has_no_contact_phone_or_leader(client, w):
    unit = volunteers.add_unit(w["sp"], w["c1"].id, "某单位")
    stored = ServiceUnit.get_by_id(unit.id)
    assert (stored.contact_name, stored.phone) == ("", "")
    team = volunteers.add_team(w["sp"], w["c1"].id, "某队")
    assert VolunteerTeam.get_by_id(team.id).leader_name == ""


def test_confirming_without_a_note_leaves_the_note_empty(client, w):
    v = _party(w)
    assert volunteers.review_party_member(w["sp"], v.id, True).party_note == ""
    (event,) = events("volunteer.party_confirm")
    assert event.data["note"] == ""


def test_a_communitys_teams_leave_out_another_communitys(client, w):
    volunteers.add_team(w["op"], w["c2"].id, "外社区队")
    assert [t.name for t in volunteers.teams_of(w["c1"].id, True)] == ["党员先锋队"]
    assert [t.name for t in volunteers.teams_of(w["c2"].id)] == ["外社区队"]
