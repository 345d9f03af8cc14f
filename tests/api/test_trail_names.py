"""Who the trail names (core/items/trail_names.py): a resident reads roles and units (社区工作人员,
住建办, 小巷管家), never a staff login such as "qinghe"; staff read the person's display name
(张主任, 住建办 李工, the steward's roster name). Through the API as the reporter and as staff,
the resident's tracking page, the console's issue page, a wish's trail as its author, and the
stewards' group told of a 派单 by the staff member's name, not her login."""

from __future__ import annotations

import re

import pytest

from core.delivery import groups
from core.items import issues as issue_flow
from core.people import auth
from core.units import members, units
from models import OutboxMessage, RoleGrant
from tests.console_world import console_login
from tests.factories import login, login_staff, login_steward, make_district

API = "/api/v1"
# What no resident may read anywhere on their item: the console logins and the people's names.
LOGINS = ("qinghe", "zjb-li", "jiedao")


@pytest.fixture
def w(client):
    d = make_district()
    unit = units.create(d.street, "住建办", phone="0531-8888")
    li = members.create_member(unit, "zjb-li", "password123", "李工")
    community = d.communities[0]
    # 张主任 acts from the mini program through a WeChat user bound to her console account
    # (its nickname is her login, as the demo's dev users are): the trail finds the account.
    qinghe = auth.create_staff("qinghe", "password123", community, "staff", "张主任")
    wechat = auth.login_with_code("dev:qinghe")[0]
    RoleGrant.create(user=wechat, role="staff", area=community, staff=qinghe)
    admin = auth.create_staff("jiedao", "password123", d.street, "admin")  # no display name
    return {
        "d": d,
        "unit": unit,
        "resident": login(client, "居民甲"),
        "steward": login_steward(client, d.stewards[0]),
        "staff": login(client, "qinghe"),
        "admin": login_staff(client, admin),
        "li": login_staff(client, li.account),
    }


def post(client, headers, path, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, (path, res.get_json())
    return res.get_json()


def whistled_and_closed(client, w, board=0) -> int:
    body = {
        "board_code": w["d"].boards[board].code,
        "category": "设施损坏",
        "content": "3号楼外墙脱落",
        "contact_phone": "13912345678",
    }
    issue_id = post(client, w["resident"], "/issues", body, status=201)["id"]
    post(client, w["steward"], f"/issues/{issue_id}/accept")
    post(client, w["steward"], f"/issues/{issue_id}/escalate", {"note": "需要专业维修"})
    whistle = {"unit_id": w["unit"].id, "tier": "major", "note": "请住建办鉴定维修"}
    post(client, w["staff"], f"/issues/{issue_id}/whistle", whistle)
    post(client, w["li"], f"/issues/{issue_id}/check-in")
    post(client, w["li"], f"/issues/{issue_id}/resolve", {"note": "已修复外墙"})
    return issue_id


def trail(client, headers, issue_id) -> list[tuple[str, str]]:
    res = client.get(f"{API}/issues/{issue_id}", headers=headers)
    assert res.status_code == 200, res.get_json()
    return [(e["action"], e["actor"]) for e in res.get_json()["timeline"]]


def test_the_reporter_reads_roles_and_units_staff_read_names(client, w):
    issue_id = whistled_and_closed(client, w)
    steward = w["d"].stewards[0].name
    assert trail(client, w["resident"], issue_id) == [
        ("create", "反映人"),
        ("accept", "小巷管家"),
        ("escalate", "小巷管家"),
        ("whistle", "社区工作人员"),
        ("tier", "社区工作人员"),
        ("check_in", "住建办"),
        ("resolve", "住建办"),
    ]
    assert trail(client, w["staff"], issue_id) == [
        ("create", "反映人"),
        ("accept", steward),
        ("escalate", steward),
        ("whistle", "张主任"),
        ("tier", "张主任"),
        ("check_in", "住建办 李工"),
        ("resolve", "住建办 李工"),
    ]
    # the unit member and the steward are insiders too: they read the same names
    assert trail(client, w["li"], issue_id) == trail(client, w["staff"], issue_id)
    assert trail(client, w["steward"], issue_id)[3] == ("whistle", "张主任")


def test_an_account_without_a_display_name_is_still_a_role_to_residents(client, w):
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    issue_id = post(client, w["resident"], "/issues", body, status=201)["id"]
    post(client, w["admin"], f"/issues/{issue_id}/resolve", {"note": "已清运"})
    assert trail(client, w["resident"], issue_id)[-1] == ("resolve", "街道管理员")
    # staff see the only name the account has
    assert trail(client, w["admin"], issue_id)[-1] == ("resolve", "jiedao")


def test_the_tracking_page_and_the_console_page_follow_the_same_rule(capp, w):
    client = capp.test_client()
    res = client.post(
        f"/b/{w['d'].boards[0].code}/issues",
        data={"category": "设施损坏", "content": "路灯坏了"},
        content_type="multipart/form-data",
    )
    token = re.search(r"/t/([A-Za-z0-9_-]+)\?new=1", res.headers["Location"]).group(1)
    issue_id = issue_flow.Issue.select().order_by(issue_flow.Issue.id.desc()).get().id
    post(client, w["staff"], f"/issues/{issue_id}/resolve", {"note": "已更换灯泡"})
    public = client.get(f"/t/{token}").get_data(as_text=True)
    assert "社区工作人员" in public and not any(name in public for name in LOGINS)
    assert "张主任" not in public
    console = capp.test_client()
    console_login(console, "qinghe")
    html = console.get(f"/console/issues/{issue_id}").get_data(as_text=True)
    trail_html = html[html.index("已更换灯泡") - 400 :]
    assert "张主任" in trail_html and "qinghe" not in trail_html


def test_a_wish_author_reads_roles_staff_read_names(client, w):
    body = {
        "board_code": w["d"].boards[0].code,
        "title": "想要一个助行器",
        "content": "腿脚不便，出门需要助行器",
        "display_name": "王奶奶",
        "beneficiary_type": "elderly",
        "contact_phone": "13912345678",
    }
    wish_id = post(client, w["resident"], "/wishes", body, status=201)["id"]
    post(client, w["staff"], f"/wishes/{wish_id}/approve")
    volunteer = login(client, "志愿者小赵")
    post(client, volunteer, f"/wishes/{wish_id}/claim", {"role": "volunteer"})

    def actors(headers):
        res = client.get(f"{API}/wishes/{wish_id}", headers=headers).get_json()
        return [(e["action"], e["actor"]) for e in res["timeline"]]

    assert actors(w["resident"]) == [
        ("create", "反映人"),
        ("approve", "社区工作人员"),
        ("claim", "志愿者"),
    ]
    assert actors(volunteer)[1] == ("approve", "社区工作人员")
    assert actors(w["staff"])[1:] == [("approve", "张主任"), ("claim", "志愿者小赵")]


def test_the_stewards_group_is_told_who_dispatched_by_name_not_login(client, w):
    groups.create(w["d"].communities[0], "robot-key-names")
    body = {"board_code": w["d"].boards[0].code, "category": "环境卫生", "content": "垃圾"}
    issue_id = post(client, w["resident"], "/issues", body, status=201)["id"]
    other = w["d"].stewards[1]
    post(client, w["staff"], f"/issues/{issue_id}/assign", {"steward_ids": [other.id]})
    rows = OutboxMessage.select().where(
        (OutboxMessage.kind == "robot") & (OutboxMessage.target == "robot-key-names")
    )
    [text] = [r.payload["text"]["content"] for r in rows if ":assign:" in r.idempotency_key]
    assert "（张主任）" in text and "qinghe" not in text
