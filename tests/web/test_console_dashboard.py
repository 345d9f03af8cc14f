"""首页's 等您处理: each chip's items listed under it (the first five, each a link), with the
dashboard's own 待接单 and 走访超期 (households named by alley and steward only: private)."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from core.households import cards, plans
from core.people.permissions import Principal
from infra.timeutil import utcnow
from models import Issue, User
from tests.console_world import build, console_login


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
