"""The mini program's 工作台 badges (`GET /me/workbench`, core.items.queues.workbench): 待办 for a
steward and a unit member, 待审核 and 超期 for staff, each counted over what that person
answers for, and null (no badge) where the person has no such role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from core.units import members, units
from tests.factories import api_post, login_staff, make_world, open_wish

API = "/api/v1"
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def badges(client, headers) -> dict:
    res = client.get(f"{API}/me/workbench", headers=headers)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def test_each_role_counts_what_waits_for_it(client):
    w = make_world(
        client,
        residents={"resident": "居民甲"},
        stewards={"steward": 0, "other_steward": 2},
        staff={"staff_x": 0, "staff_y": 1},
    )
    unit = units.create(w["d"].street, "住建办")
    w["li"] = login_staff(
        client, members.create_member(unit, "zjb-li", "password123", "李工").account
    )
    with time_machine.travel(T0, tick=False):
        board = w["d"].boards[0].code
        body = {"board_code": board, "category": "环境卫生", "content": "巷口垃圾"}
        first = api_post(client, "/issues", w["resident"], body, status=201)["id"]
        second = api_post(client, "/issues", w["resident"], body, status=201)["id"]
        open_wish(client, w, publish=False)  # one wish waiting for review in 第1社区
        api_post(client, f"/issues/{second}/escalate", w["steward"], {"note": "需要专业维修"})
        whistle = {"unit_id": unit.id, "tier": "major", "note": "请鉴定"}
        api_post(client, f"/issues/{second}/whistle", w["staff_x"], whistle)
    assert badges(client, w["resident"]) == {"todo": None, "review": None, "overdue": None}
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        # both items are still the steward's (a whistled one stays assigned) and nothing is late
        assert badges(client, w["steward"]) == {"todo": 2, "review": None, "overdue": None}
        assert badges(client, w["li"]) == {"todo": 1, "review": None, "overdue": None}
        assert badges(client, w["staff_x"]) == {"todo": None, "review": 1, "overdue": 0}
    with time_machine.travel(T0 + timedelta(days=5), tick=False):
        assert badges(client, w["staff_x"])["overdue"] == 1  # 一般: two days; 重大 (whistled): ten
        # other people's alleys and communities count nothing
        assert badges(client, w["other_steward"])["todo"] == 0
        assert badges(client, w["staff_y"]) == {"todo": None, "review": 0, "overdue": 0}
    api_post(client, f"/issues/{first}/resolve", w["steward"], {"note": "已清运"})
    assert badges(client, w["steward"])["todo"] == 1
    assert client.get(f"{API}/me/workbench").status_code == 401
