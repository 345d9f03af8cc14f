"""Handling units (departments and property companies) as participants: created from the
CLI and the API, with members who log in with a password or bind their WeChat, and whose
principal carries the unit; `departments add/list` keep working as the department kind."""

from __future__ import annotations

import json

from core.people.permissions import Principal
from core.units import members, units
from models import Department, Event, UnitMember
from tests.factories import login, login_staff, make_district, make_staff

API = "/api/v1"


def test_cli_adds_units_of_both_kinds_and_lists_them_with_members(app, runner):
    d = make_district()
    res = runner.invoke(
        args=["units", "add", "--area", str(d.street.id), "--kind", "department",
              "--name", "住建办", "--phone", "0531-1"]
    )  # fmt: skip
    assert res.exit_code == 0 and "已登记部门" in res.output, res.output
    res = runner.invoke(
        args=["units", "add", "--area", str(d.communities[0].id), "--kind", "property",
              "--name", "安居物业"]
    )  # fmt: skip
    assert res.exit_code == 0 and "已登记物业" in res.output, res.output
    bad = runner.invoke(
        args=["units", "add", "--area", str(d.alleys[0].id), "--kind", "property", "--name", "x"]
    )
    assert bad.exit_code != 0 and "街道或社区" in bad.output
    dept, prop = Department.select().order_by(Department.id)
    assert (dept.kind, prop.kind) == ("department", "property")
    assert Event.get(Event.action == "department.create").data["kind"] == "department"

    made = runner.invoke(
        args=["create-staff", "--role", "unit", "--unit", str(prop.id), "--username", "wuye1",
              "--name", "物业王经理", "--password-stdin"],
        input="password123\n",
    )  # fmt: skip
    assert made.exit_code == 0 and "已创建单位成员账号 wuye1" in made.output, made.output
    no_unit = runner.invoke(
        args=["create-staff", "--role", "unit", "--username", "x", "--password-stdin"],
        input="password123\n",
    )
    assert no_unit.exit_code != 0 and "--unit" in no_unit.output

    rows = json.loads(runner.invoke(args=["units", "list", "--json"]).output)
    by_name = {r["name"]: r for r in rows}
    assert by_name["住建办"]["kind"] == "department" and by_name["住建办"]["members"] == []
    assert by_name["安居物业"]["kind_label"] == "物业"
    assert [m["username"] for m in by_name["安居物业"]["members"]] == ["wuye1"]
    assert "物业王经理(wuye1)" in runner.invoke(args=["units", "list"]).output

    # the old command still adds (and lists) departments
    old = runner.invoke(
        args=["departments", "add", "--area", str(d.street.id), "--name", "城管执法中队"]
    )
    assert old.exit_code == 0 and Department.get(name="城管执法中队").kind == "department"


def test_a_unit_member_logs_in_with_a_password_or_a_bind_code(client, runner):
    d = make_district()
    unit = units.create(d.street, "住建办", kind="department")
    other = units.create(d.street, "城管", kind="department")
    member = members.create_member(unit, "zjb-li", "password123", "李工", "wecom-li")
    assert Event.get(Event.action == "unit.member_create").data["username"] == "zjb-li"

    headers = login_staff(client, member.account)
    me = client.get(f"{API}/me", headers=headers).get_json()
    assert me["roles"] == ["unit"]
    p = Principal.for_user(member.account.user)
    assert p.unit_ids == {unit.id} and not p.is_staff and not p.area_roots

    # the mini program: a WeChat user binds with a code issued for the member's username
    code = runner.invoke(args=["bind-code", "--unit-member", "zjb-li"]).output.split()[0]
    wechat = login(client, "李工微信")
    res = client.post(f"{API}/auth/bind", json={"code": code}, headers=wechat)
    assert res.status_code == 200 and res.get_json()["role"] == "unit", res.get_json()
    assert client.get(f"{API}/me", headers=wechat).get_json()["roles"] == ["resident", "unit"]

    # a unit member sees their unit (with its members), never another
    listed = client.get(f"{API}/units", headers=wechat).get_json()
    assert [u["id"] for u in listed["items"]] == [unit.id]
    one = client.get(f"{API}/units/{unit.id}", headers=headers).get_json()
    assert [(m["name"], m["wecom_userid"]) for m in one["members"]] == [("李工", "wecom-li")]
    assert client.get(f"{API}/units/{other.id}", headers=headers).status_code == 404

    # a disabled unit takes the role away at once
    Department.update(active=False).where(Department.id == unit.id).execute()
    assert client.get(f"{API}/units", headers=headers).status_code == 403


def test_member_creation_refuses_bad_input_naming_the_field(app):
    d = make_district()
    unit = units.create(d.street, "住建办")
    make_staff(d.communities[0], username="taken")
    for args, field in (
        (("", "password123"), "username"),
        (("new", "short"), "password"),
        (("TAKEN", "password123"), "username"),
    ):
        try:
            members.create_member(unit, *args)
        except Exception as exc:  # ApiError
            assert field in exc.fields, (args, exc.fields)
        else:
            raise AssertionError(args)
    assert UnitMember.select().count() == 0


def test_staff_create_and_list_units_in_scope(client):
    d = make_district()
    other = make_district(street_name="另一街道", communities=1)
    staff = login_staff(client, make_staff(d.communities[0]))
    admin = login_staff(client, make_staff(d.street, role="admin"))
    units.create(other.street, "别处的部门")

    res = client.post(f"{API}/units", json={"kind": "property", "name": "安居物业"}, headers=staff)
    assert res.status_code == 201, res.get_json()
    assert (res.get_json()["kind"], res.get_json()["area_id"]) == ("property", d.communities[0].id)
    res = client.post(f"{API}/units", json={"kind": "department", "name": "住建办"}, headers=admin)
    assert res.status_code == 201 and res.get_json()["area_id"] == d.street.id
    bad_kind = client.post(f"{API}/units", json={"kind": "x", "name": "y"}, headers=admin)
    assert bad_kind.status_code == 400 and "kind" in bad_kind.get_json()["error"]["fields"]
    elsewhere = client.post(
        f"{API}/units",
        json={"kind": "department", "name": "z", "area_id": other.street.id},
        headers=admin,
    )
    assert elsewhere.status_code == 403
    again = client.post(
        f"{API}/units", json={"kind": "department", "name": "住建办"}, headers=admin
    )
    assert again.status_code == 409

    names = [u["name"] for u in client.get(f"{API}/units", headers=staff).get_json()["items"]]
    assert sorted(names) == ["住建办", "安居物业"]
    props = client.get(f"{API}/units?kind=property", headers=admin).get_json()["items"]
    assert [u["name"] for u in props] == ["安居物业"]
    # the old route sees them too (a whistle target is any unit)
    assert client.get(f"{API}/departments", headers=admin).get_json()["total"] == 2
