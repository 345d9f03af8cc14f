"""Departments (吹哨 targets): the CLI (`departments add/list`) and the staff API, both going
through `core.people.departments.create`, scoped and audited; a new one is whistle-able."""

from __future__ import annotations

import json

from models import Department, Event
from tests.factories import login, login_staff, make_district, make_staff

API = "/api/v1"


def test_cli_adds_and_lists_departments(app, runner):
    d = make_district()
    res = runner.invoke(
        args=[
            "departments",
            "add",
            "--area",
            str(d.street.id),
            "--name",
            "城管执法中队",
            "--phone",
            "12319",
        ]
    )
    assert res.exit_code == 0, res.output
    assert "已登记部门" in res.output and "城管执法中队" in res.output
    dept = Department.get()
    assert (dept.area_id, dept.phone) == (d.street.id, "12319")
    event = Event.get(Event.action == "department.create")
    assert event.subject_id == dept.id and event.actor_label == "命令行"

    again = runner.invoke(
        args=["departments", "add", "--area", str(d.street.id), "--name", "城管执法中队"]
    )
    assert again.exit_code != 0 and "已有部门" in again.output
    alley = runner.invoke(args=["departments", "add", "--area", str(d.alleys[0].id), "--name", "x"])
    assert alley.exit_code != 0 and "街道或社区" in alley.output
    missing = runner.invoke(
        args=["departments", "add", "--area", "99999999999999999999", "--name", "x"]
    )
    assert missing.exit_code != 0 and "找不到区域" in missing.output
    blank = runner.invoke(
        args=["departments", "add", "--area", str(d.street.id), "--name", "\u200b"]
    )
    assert blank.exit_code != 0 and Department.select().count() == 1

    listed = runner.invoke(args=["departments", "list", "--json"])
    rows = json.loads(listed.output)
    assert rows == [
        {
            "id": dept.id,
            "name": "城管执法中队",
            "phone": "12319",
            "contact_name": "",
            "area_id": d.street.id,
            "area_name": d.street.name,
            "active": True,
        }
    ]
    assert "城管执法中队" in runner.invoke(args=["departments", "list"]).output


def test_api_lists_and_creates_within_scope(client):
    d = make_district()
    other_street = make_district(street_name="另一街道", communities=1)
    staff = login_staff(client, make_staff(d.communities[0]))
    admin = login_staff(client, make_staff(d.street, role="admin"))
    Department.create(area=other_street.street, name="别处的部门")

    res = client.post(
        f"{API}/departments", json={"name": "住建所", "phone": "0531-1"}, headers=admin
    )
    assert res.status_code == 201, res.get_json()
    assert res.get_json()["area_id"] == d.street.id
    # staff add to their own community by default, never to the street or elsewhere
    res = client.post(f"{API}/departments", json={"name": "社区物业"}, headers=staff)
    assert res.status_code == 201 and res.get_json()["area_id"] == d.communities[0].id
    res = client.post(
        f"{API}/departments", json={"name": "越权", "area_id": d.street.id}, headers=staff
    )
    assert res.status_code == 403
    res = client.post(
        f"{API}/departments", json={"name": "越权", "area_id": d.communities[1].id}, headers=staff
    )
    assert res.status_code == 403
    dup = client.post(f"{API}/departments", json={"name": "住建所"}, headers=admin)
    assert dup.status_code == 409 and dup.get_json()["error"]["code"] == "department_exists"
    blank = client.post(f"{API}/departments", json={"name": "\u200b"}, headers=admin)
    assert blank.status_code == 400 and blank.get_json()["error"]["fields"]["name"] == "不能为空"
    assert (
        client.post(
            f"{API}/departments", json={"name": "x"}, headers=login(client, "居民")
        ).status_code
        == 403
    )

    def names(h):
        return [i["name"] for i in client.get(f"{API}/departments", headers=h).get_json()["items"]]

    assert names(admin) == ["住建所", "社区物业"]
    assert names(staff) == ["住建所", "社区物业"]
    assert Event.select().where(Event.action == "department.create").count() == 2

    # a department added through the API can be whistled to at once
    resident = login(client, "张大妈")
    issue = client.post(
        f"{API}/issues",
        json={"board_code": d.boards[0].code, "category": "其他", "content": "井盖丢了"},
        headers=resident,
    ).get_json()
    issue_id = (issue.get("issue") or issue)["id"]
    dept_id = Department.get(Department.name == "住建所").id
    res = client.post(
        f"{API}/issues/{issue_id}/whistle",
        json={"department_id": dept_id, "note": "请协助"},
        headers=staff,
    )
    assert res.status_code == 200, res.get_json()
