"""Chat groups: the `groups` CLI, the staff API and its scope."""

from __future__ import annotations

import json

from core.delivery import groups
from core.people.permissions import Principal
from models import Area, ChatGroup, Event, RoleGrant
from tests.factories import login, login_staff, login_steward, make_district, make_staff


def test_cli_add_and_list(app, runner):
    d = make_district()
    leader = d.stewards[0]
    url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2"
    res = runner.invoke(
        args=[
            "groups",
            "add",
            "--area",
            str(d.communities[0].id),
            "--webhook",
            url,
            "--chat-id",
            "wrkSFfCgAAxxx",
            "--leader",
            str(leader.id),
        ]
    )
    assert res.exit_code == 0, res.output
    group = ChatGroup.get()
    assert (group.webhook_key, group.chat_id, group.leader_ids) == (
        "693a91f6-7xxx-4bc4-97a0-0ec2",
        "wrkSFfCgAAxxx",
        [leader.id],
    )
    assert Event.get(Event.action == "chat_group.create").actor_label == "命令行"
    listed = runner.invoke(args=["groups", "list"])
    assert listed.exit_code == 0 and "第1社区管家群" in listed.output and "正常" in listed.output
    assert "693a91f6-7xxx" not in listed.output  # the key is a credential: shown masked
    rows = json.loads(runner.invoke(args=["groups", "list", "--json"]).output)
    assert rows[0]["robot_status"] == "ok" and rows[0]["leader_ids"] == [leader.id]


def test_cli_refusals(app, runner):
    d = make_district()
    ok = ["groups", "add", "--area", str(d.communities[0].id), "--webhook", "key-000001"]
    assert runner.invoke(args=ok).exit_code == 0
    again = runner.invoke(args=ok)
    assert again.exit_code != 0 and "已登记给另一个群" in again.output
    alley = ["groups", "add", "--area", str(d.alleys[0].id), "--webhook", "key-000002"]
    assert "只能对应街道、社区或网格，不能对应街巷" in runner.invoke(args=alley).output
    missing = ["groups", "add", "--area", "999", "--webhook", "key-000003"]
    assert "找不到区域 999" in runner.invoke(args=missing).output
    outsider = d.stewards[2]  # 第2社区's steward cannot lead 第1社区's group
    lead = [*ok[:-1], "key-000004", "--leader", str(outsider.id)]
    assert "队长须是本区域在任的管家" in runner.invoke(args=lead).output
    assert ChatGroup.select().count() == 1


def test_api_create_list_update_in_scope(client):
    d = make_district()
    staff = make_staff(d.communities[0])
    headers = login_staff(client, staff)
    res = client.post(
        "/api/v1/groups",
        json={"area_id": d.grids[0].id, "webhook_key": "grid-key-0001", "chat_id": "CHAT-G1"},
        headers=headers,
    )
    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert body["webhook_key"] == "grid…" and body["robot_status"] == "ok"
    out = client.post(
        "/api/v1/groups",
        json={"area_id": d.communities[1].id, "webhook_key": "other-key-0001"},
        headers=headers,
    )
    assert out.status_code == 403
    dup = client.post(
        "/api/v1/groups",
        json={"area_id": d.communities[0].id, "webhook_key": "grid-key-0001"},
        headers=headers,
    )
    assert dup.status_code == 409 and dup.get_json()["error"]["code"] == "webhook_taken"

    other_staff = make_staff(d.communities[1])
    other_headers = login_staff(client, other_staff)
    assert client.get("/api/v1/groups", headers=other_headers).get_json()["total"] == 0
    assert client.get(f"/api/v1/groups/{body['id']}", headers=other_headers).status_code == 404
    patch = client.patch(
        f"/api/v1/groups/{body['id']}", json={"name": "偷改"}, headers=other_headers
    )
    assert patch.status_code == 404

    admin = make_staff(d.street, role="admin")
    admin_list = client.get("/api/v1/groups", headers=login_staff(client, admin)).get_json()
    assert [g["id"] for g in admin_list["items"]] == [body["id"]]

    res = client.patch(
        f"/api/v1/groups/{body['id']}",
        json={"name": "一网格管家群", "leader_ids": [d.stewards[0].id], "active": False},
        headers=headers,
    )
    assert res.status_code == 200, res.get_json()
    assert (res.get_json()["name"], res.get_json()["leader_ids"], res.get_json()["active"]) == (
        "一网格管家群",
        [d.stewards[0].id],
        False,
    )
    bad = client.patch(
        f"/api/v1/groups/{body['id']}", json={"robot_status": "broken"}, headers=headers
    )
    assert bad.status_code == 400


def test_residents_and_stewards_cannot_manage_groups(client):
    d = make_district()
    for headers in (login(client, "居民"), login_steward(client, d.stewards[0])):
        assert client.get("/api/v1/groups", headers=headers).status_code == 403
        res = client.post(
            "/api/v1/groups",
            json={"area_id": d.communities[0].id, "webhook_key": "key-000001"},
            headers=headers,
        )
        assert res.status_code == 403
    assert client.get("/api/v1/groups").status_code == 401


def test_staff_only_groups_get_no_steward_pushes(app, runner, client):
    from core.delivery import robot
    from tests.factories import login

    d = make_district()
    community = d.communities[0]
    staff = runner.invoke(
        args=[
            "groups",
            "add",
            "--area",
            str(community.id),
            "--webhook",
            "staff-key",
            "--audience",
            "staff",
        ]
    )
    assert staff.exit_code == 0, staff.output
    stewards = runner.invoke(
        args=["groups", "add", "--area", str(community.id), "--webhook", "steward-key"]
    )
    assert stewards.exit_code == 0, stewards.output
    rows = {
        r["webhook_key"]: r
        for r in json.loads(runner.invoke(args=["groups", "list", "--json"]).output)
    }
    assert rows["staf…"]["audience"] == "staff" and rows["stew…"]["audience"] == "stewards"
    assert [g.webhook_key for g in robot.groups_for_area(d.alleys[0])] == ["steward-key"]
    assert [g.webhook_key for g in robot.groups_for_area(d.alleys[0], "staff")] == ["staff-key"]
    body = {"board_code": d.boards[0].code, "category": "其他", "content": "路灯坏了"}
    assert (
        client.post("/api/v1/issues", json=body, headers=login(client, "居民")).status_code == 201
    )
    from models import OutboxMessage

    assert {m.target for m in OutboxMessage.select()} == {"steward-key"}


def test_the_dashboards_broken_robot_count_is_each_viewers_and_each_areas(app):
    """The 首页's 失效的群机器人 (`groups.broken_count`) runs a statement compiled once per
    number of the viewer's roots: each viewer and area in turn gets its own count, the same as
    `visible_query` filtered there."""
    d = make_district()
    made = [
        groups.create(area, f"robot-key-{n:04d}", chat_id=f"CHAT{n}")
        for n, area in enumerate((d.communities[0], d.grids[0], d.grids[1], d.communities[1]))
    ]
    for group in made[1:]:
        groups.mark_broken(group.webhook_key, "机器人被移出群")
    first, second = (Principal.for_user(make_staff(c).user) for c in d.communities)
    admin = Principal.for_user(make_staff(d.street, role="admin").user)
    both = Principal.for_user(make_staff(d.communities[0], username="both").user)
    RoleGrant.create(user=both.user, role="staff", area=d.communities[1])
    both = Principal.for_user(both.user)
    cases = (
        (first, d.communities[0], 1),
        (second, d.communities[1], 2),
        (first, d.communities[0], 1),
        (first, d.communities[1], 0),  # not theirs
        (admin, d.communities[1], 2),
        (admin, d.street, 3),
        (both, d.street, 3),
        (Principal.anonymous(), d.street, 0),
    )
    for p, area, expected in cases:
        broken = groups.visible_query(p).where(
            Area.path.startswith(area.path) & (ChatGroup.robot_status == "broken")
        )
        assert groups.broken_count(p, area) == broken.count() == expected
