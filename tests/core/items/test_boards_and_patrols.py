"""The public board view (figures checked by hand) and the steward's patrol log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from models import Area, Board, Event, IssueAssignee, Steward, StewardAlley
from tests.factories import login, login_staff, login_steward, make_district, make_staff

API = "/api/v1"
T0 = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


def test_board_figures_match_a_hand_count(client):
    d = make_district()
    board = d.boards[0].code
    steward = login_steward(client, d.stewards[0])
    residents = [login(client, f"居民{i}") for i in range(4)]

    def report(headers):
        body = {"board_code": board, "category": "环境卫生", "content": "垃圾"}
        return _post(client, "/issues", headers, body, status=201)["id"]

    with time_machine.travel(T0, tick=False) as clock:
        a = report(residents[0])  # accepted after 30 min, resolved, rated 5
        b = report(residents[1])  # accepted after 90 min, resolved, rated 3
        c = report(residents[2])  # still open
        d_ = report(residents[3])  # cancelled: left out of the rate
        clock.shift(timedelta(minutes=30))
        _post(client, f"/issues/{a}/accept", steward)
        clock.shift(timedelta(minutes=60))
        _post(client, f"/issues/{b}/accept", steward)
        _post(client, f"/issues/{d_}/cancel", residents[3])
        clock.shift(timedelta(hours=1))
        _post(client, f"/issues/{a}/resolve", steward, {"note": "已清理"})
        _post(client, f"/issues/{b}/resolve", steward, {"note": "已清理"})
        _post(client, f"/issues/{a}/rate", residents[0], {"score": 5})
        _post(client, f"/issues/{b}/rate", residents[1], {"score": 3})
        view = client.get(f"{API}/boards/{board}").get_json()
    figures = view["figures"]
    assert figures == {
        "open_now": 1,  # c
        "resolved_30d": 2,  # a, b
        "resolution_rate": round(2 / 3, 4),  # a, b of a, b, c
        "median_accept_minutes": 60,  # median of 30 and 90
        "average_rating": 4.0,
        "rated": 2,
    }
    assert {i["id"] for i in view["recent_issues"]} == {a, b, c, d_}
    assert view["stewards"][0]["name"] == d.stewards[0].name
    assert view["stewards"][0]["phone"] == d.stewards[0].phone  # printed on the board anyway
    assert view["alley"]["name"] == d.alleys[0].name
    # 40 days later the window is empty but the open one is still open
    with time_machine.travel(T0 + timedelta(days=40), tick=False):
        later = client.get(f"{API}/boards/{board}").get_json()["figures"]
    assert later["open_now"] == 1 and later["resolved_30d"] == 0
    assert later["resolution_rate"] is None and later["average_rating"] is None


def test_unknown_and_retired_boards(client):
    d = make_district()
    res = client.get(f"{API}/boards/NOSUCH23")
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "board_not_found"
    community = d.communities[0]
    Area.update(phone="0539-1234567").where(Area.id == community.id).execute()
    Board.update(active=False).where(Board.id == d.boards[0].id).execute()
    res = client.get(f"{API}/boards/{d.boards[0].code}")
    assert res.status_code == 410
    assert "0539-1234567" in res.get_json()["error"]["message"]
    # reporting through a retired board is refused too, nothing is lost silently
    body = {"board_code": d.boards[0].code, "category": "其他", "content": "x"}
    res = client.post(f"{API}/issues", json=body, headers=login(client, "居民"))
    assert res.status_code == 410


def test_codes_are_case_and_width_tolerant(client):
    d = make_district()
    code = d.boards[0].code
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in code.lower())
    assert client.get(f"{API}/boards/{wide}").status_code == 200


def test_patrol_log(client):
    d = make_district()
    steward = login_steward(client, d.stewards[0])
    other = login_steward(client, d.stewards[2])  # second community
    staff = login_staff(client, make_staff(d.communities[0]))
    with time_machine.travel(T0, tick=False) as clock:
        first = _post(client, "/patrols", steward, {"note": "巷内干净"}, status=201)
        assert first["alley"]["id"] == d.alleys[0].id
        clock.shift(timedelta(days=1))
        _post(client, "/patrols", steward, {"note": "路灯正常"}, status=201)
        _post(client, "/patrols", other, {"note": "别的社区"}, status=201)
        refused = _post(client, "/patrols", steward, {"alley_id": d.alleys[2].id}, status=403)
        assert refused["error"]["code"] == "not_your_alley"
    mine = client.get(f"{API}/patrols", headers=steward).get_json()
    assert [p["note"] for p in mine["items"]] == ["路灯正常", "巷内干净"]
    seen = client.get(f"{API}/patrols", headers=staff).get_json()
    assert {p["note"] for p in seen["items"]} == {"路灯正常", "巷内干净"}
    day = client.get(f"{API}/patrols?date_from=2026-11-01&date_to=2026-11-01", headers=staff)
    assert [p["note"] for p in day.get_json()["items"]] == ["巷内干净"]
    bad = client.get(f"{API}/patrols?date_from=11/01", headers=staff)
    assert bad.status_code == 400 and "date_from" in bad.get_json()["error"]["fields"]


def test_a_fix_on_the_spot_is_with_the_steward_who_made_it_not_the_alleys_others(client):
    """An alley with two stewards: a 随手做 is closed by the one who fixed it and assigned to
    them alone (a new report goes to both)."""
    d = make_district()
    partner = Steward.create(name="搭档管家", phone="17000009999")
    StewardAlley.create(steward=partner, alley=d.alleys[0])
    steward = login_steward(client, d.stewards[0])
    body = {"board_code": d.boards[0].code, "category": "环境卫生", "content": "垃圾"}
    fixed = _post(client, "/issues", steward, {**body, "fixed_on_spot": {}}, status=201)["id"]
    reported = _post(client, "/issues", login(client, "居民"), body, status=201)["id"]

    def assignees(issue_id):
        rows = IssueAssignee.select().where(IssueAssignee.issue == issue_id)
        return sorted(a.steward_id for a in rows)

    assert assignees(fixed) == [d.stewards[0].id]
    done = Event.get((Event.action == "issue.on_the_spot") & (Event.subject_id == fixed))
    assert done.area_id == d.alleys[0].id  # on the alley's trail
    assert assignees(reported) == sorted([d.stewards[0].id, partner.id])
    # A fix is offered no similar open reports (the resident's one above is of the same kind).
    again = _post(client, "/issues", steward, {**body, "fixed_on_spot": {}}, status=201)
    assert again["similar"] == []
