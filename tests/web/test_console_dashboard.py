"""首页's 等您处理: each chip's items listed under it (the first five, each a link), with the
dashboard's own 待接单 and 走访超期 (households named by alley and steward only: private); its
figures kept between changes, counted again after any change and at the latest after a
minute, each area and period its own."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import time_machine

from core.figures import kept, stats
from core.households import cards, plans
from core.people.permissions import Principal
from infra.timeutil import utcnow
from models import Issue, User
from tests.console_world import build, console_login, csrf
from tests.core.figures.test_reports import SH
from tests.factories import login, login_steward


def test_waiting_lists_the_items_behind_each_chip(capp):
    w = build(capp)
    staff = Principal.for_user(User.get_by_id(w.staff.user_id))
    household = cards.create(
        staff,
        {
            "alley_id": w.d.alleys[0].id,
            "steward_id": w.d.stewards[0].id,
            "address": "槐树巷 3 号院",
            "head_name": "王大爷",
            "head_phone": "13811112222",
            "members": [],
            "tags": ["独居老人"],
            "notes": "",
        },
    )
    plans.create(staff, household.id, {"group": "鳏寡孤独", "plan": "每周电话", "interval_days": 7})
    client = console_login(capp.test_client(), "secretary1")
    html = client.get("/console/").get_data(as_text=True)
    # 待接单: the open issue nobody has taken, linked
    assert "待接单的诉求" in html
    assert f'href="/console/issues/{w.open_issue.id}">{w.open_issue.number}</a>' in html
    # 待审核的微心愿: both wishes, linked
    for wish in (w.wish, w.wish2):
        assert f'href="/console/wishes/{wish.id}">{wish.number}</a>' in html
    assert "走访超期的包联户" in html
    with time_machine.travel(utcnow() + timedelta(days=10), tick=False):
        later = console_login(capp.test_client(), "secretary1")  # yesterday's session is over
        html = later.get("/console/").get_data(as_text=True)
        assert f'href="/console/households/{household.id}">1区1巷 · 管家11</a>' in html
        assert "超期 3 天" in html
        assert "槐树巷" not in html and "王大爷" not in html  # private: not on the dashboard
        # overdue issues are listed too (their deadline has passed by now)
        assert f"/console/issues/{w.open_issue.id}" in html.split("超期未办结的诉求</a>")[1]
    # top five only, the count says how many
    for n in range(6):
        Issue.create(
            number=f"S99{n:04d}",
            alley=w.d.alleys[0],
            community=w.d.communities[0],
            category="其他",
            content="测试",
            deadline=utcnow() + timedelta(days=2),
        )
    html = client.get("/console/").get_data(as_text=True)
    part = html.split("待接单的诉求</a>")[1].split("</div>")[0]
    assert "，前 5 件" in part and part.count("<li>") == 5


def test_a_street_of_many_stewards_lists_the_most_overdue_hundred(capp):
    from models import Steward, StewardAlley
    from tests.factories import next_phone

    w = build(capp)
    for n in range(120):
        s = Steward.create(name=f"巡{n:03d}", phone=next_phone())
        StewardAlley.create(steward=s, alley=w.d.alleys[n % 4])
    client = console_login(capp.test_client(), "streetadmin")
    html = client.get("/console/").get_data(as_text=True)
    assert "共 124 位，列出超期最多、新派最多的 100 位" in html
    table = html.split("管家情况")[1].split("</table>")[0]
    assert table.count("<tr><td>") == 100
    assert "管家11" in table  # the one with reports this month comes before the idle ones
    # a community's handful: all of them, no note
    html = console_login(capp.test_client(), "secretary2").get("/console/").get_data(True)
    assert "列出超期最多" not in html


# --- the figures kept between changes (core.figures.kept) ---------------------------------

TILE = re.compile(r"<span>(新反映|已接单|已办结|未办结|超期)</span><b>(\d+)</b>")
NOON = datetime(2026, 12, 10, 12, 0, tzinfo=SH)  # mid-month, mid-day: the period stays put


def _tiles(client, query: str = "") -> dict[str, int]:
    html = client.get(f"/console/{query}").get_data(as_text=True)
    return {name: int(n) for name, n in TILE.findall(html)}


def test_the_figures_are_counted_again_after_the_viewers_own_action(capp):
    """Kept between changes, yet never stale after one: the clock stands still here, so only
    the audit trail's new event can make the next 首页 count again."""
    with time_machine.travel(NOON, tick=False) as clock:
        w = build(capp)
        clock.move_to(NOON + timedelta(minutes=1))  # the items were reported a minute ago
        staff = console_login(capp.test_client(), "secretary1")
        before = _tiles(staff)
        assert before["未办结"] >= 1
        assert "统计于 12:01" in staff.get("/console/").get_data(as_text=True)
        steward = login_steward(capp.test_client(), w.d.stewards[0])
        res = capp.test_client().post(
            f"/api/v1/issues/{w.open_issue.id}/accept", json={}, headers=steward
        )
        assert res.status_code == 200, res.get_json()
        accepted = _tiles(staff)
        assert accepted["已接单"] == before["已接单"] + 1
        res = staff.post(
            f"/console/issues/{w.open_issue.id}/resolve",
            data={"outcome": "solved", "note": "已清运", "csrf_token": csrf(staff, "/console/")},
        )
        assert res.status_code == 302
        resolved = _tiles(staff)
    assert resolved["已办结"] == before["已办结"] + 1
    assert resolved["未办结"] == before["未办结"] - 1


def test_only_the_clock_turning_an_item_overdue_waits_out_the_minute(capp):
    """An item turning overdue writes no event: the 首页 kept from before its deadline shows
    it within `kept.SECONDS` (60) of counting, not later."""
    with time_machine.travel(NOON, tick=False) as clock:
        w = build(capp)
        deadline = utcnow() + timedelta(minutes=30)
        Issue.update(deadline=deadline).where(Issue.id == w.open_issue.id).execute()
        staff = console_login(capp.test_client(), "secretary1")
        clock.move_to(deadline - timedelta(seconds=10))
        counted_at = utcnow()
        before = _tiles(staff)["超期"]
        clock.move_to(deadline + timedelta(seconds=10))
        assert _tiles(staff)["超期"] == before  # kept: counted 20 s ago, nothing changed
        clock.move_to(counted_at + timedelta(seconds=kept.SECONDS))
        assert _tiles(staff)["超期"] == before + 1


def test_each_area_and_period_is_served_its_own_figures(capp):
    """One worker keeps many areas' and periods' figures: each page shows its own, the same
    as counting them afresh."""
    with time_machine.travel(NOON, tick=False) as clock:
        w = build(capp)
        client = capp.test_client()
        body = {"board_code": w.d.boards[2].code, "category": "其他", "content": "二社区的一件"}
        res = client.post("/api/v1/issues", json=body, headers=login(client, "居民乙"))
        assert res.status_code == 201, res.get_json()
        clock.move_to(NOON + timedelta(minutes=1))
        admin = console_login(capp.test_client(), "streetadmin")
        c1, c2 = w.d.communities[0], w.d.communities[1]
        views = [
            (c1, date(2026, 12, 1), date(2026, 12, 10)),
            (c2, date(2026, 12, 1), date(2026, 12, 10)),
            (c1, date(2026, 11, 1), date(2026, 11, 30)),
            (w.d.street, date(2026, 12, 1), date(2026, 12, 10)),
            (c1, date(2026, 12, 1), date(2026, 12, 10)),
        ]
        seen = set()
        for area, first, last in views:
            shown = _tiles(admin, f"?area={area.id}&from={first}&to={last}")
            c = stats.period_stats(area, first, last)["counts"]
            fresh = {
                "新反映": c["new"],
                "已接单": c["accepted"],
                "已办结": c["resolved"],
                "未办结": c["open"],
                "超期": c["overdue"],
            }
            assert shown == fresh, (area.name, first, last)
            seen.add(tuple(sorted(shown.items())))
    assert len(seen) == 4  # the views differ: a figure served to the wrong one would show


CHIP = re.compile(r"(待接单的诉求|超期未办结的诉求|待审核的微心愿) <b>(\d+)</b>")


def _chips(client) -> dict[str, int]:
    html = client.get("/console/").get_data(as_text=True)
    return {name: int(n) for name, n in CHIP.findall(html)}


def test_the_waiting_chips_follow_each_change_and_each_viewers_scope(capp):
    """The 等您处理 queues are kept between changes, one copy per scope: the clock stands
    still, yet a steward's 接单 and a wish's review show on the next 首页; the secretary of
    the other community, asking in between, gets their own community's queues, and the
    street's administrator the street's."""
    with time_machine.travel(NOON, tick=False):
        w = build(capp)
        first = console_login(capp.test_client(), "secretary1")
        other = console_login(capp.test_client(), "secretary2")
        street = console_login(capp.test_client(), "streetadmin")
        before = _chips(first)
        assert before["待接单的诉求"] >= 1 and before["待审核的微心愿"] == 2
        assert _chips(other) == {"待接单的诉求": 0, "超期未办结的诉求": 0, "待审核的微心愿": 0}
        assert _chips(street) == before  # every item of the world is in 第1社区
        steward = login_steward(capp.test_client(), w.d.stewards[0])
        res = capp.test_client().post(
            f"/api/v1/issues/{w.open_issue.id}/accept", json={}, headers=steward
        )
        assert res.status_code == 200, res.get_json()
        accepted = _chips(first)
        assert accepted["待接单的诉求"] == before["待接单的诉求"] - 1
        res = first.post(
            f"/console/wishes/{w.wish.id}/approve",
            data={"csrf_token": csrf(first, "/console/")},
        )
        assert res.status_code == 302
        assert _chips(first)["待审核的微心愿"] == 1
        assert _chips(street)["待审核的微心愿"] == 1
        assert _chips(other)["待审核的微心愿"] == 0
