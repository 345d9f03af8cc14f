"""The street's view: the league table of communities and units (`core.figures.league`) with
figures counted by hand, the minimum volume below which a row is listed but not ranked, the
street admin's scope in the console, the street edition of the daily 通报 and its group, and
the public figures page `/s/{code}` switched on and off.

The story (December 2026, Shanghai time; "now" is 12-10 12:00):

第1社区 (board 0, steward 管家11)
  I0  11-28 reported, 11-29 resolved, rated 4★ on 12-01  — a rating in the period, not volume
  I1  12-01 09:00 reported, accepted 10:00, resolved 12-02 09:00 (due 12-03 09:00), 5★
  I2  12-02 09:00 reported, accepted 12-04 09:00 (48 h), resolved 12-05 09:00 (due 12-04), 3★
  I3  12-03 09:00 reported (邻里纠纷, a private category), nobody acts: overdue since 12-05
  I4  12-09 09:00 reported, open, due 12-11: neither decided nor overdue
  I5  12-04 09:00 reported and cancelled: counts nowhere
  I6  12-06 the steward's on-the-spot fix: volume, on time, not answerable
  → volume 5; 响应 1/4; 按期 2/4 (I1, I6 of I1, I2, I3, I6); 超期 1; the residents' words
    in the period (I0 4★, I1 5★, I2 3★): 解决 3/3 (≥ 3★), 满意 2/3 (4–5★); 回访 0/0 (all rated)
第2社区 (board 2)
  J1  12-02 09:00 reported, 10:00 whistled to 住建办 (due 12-04 10:00), checked in 12:00,
      resolved by the unit 12-03 09:00, 4★
  J2  12-05 09:00 reported, 10:00 whistled to 安居物业 (due 12-07 10:00), nothing since
  → volume 2; 响应 2/2 (a whistle accepts); 按期 1/2; 解决 1/1; 满意 1/1; 超期 1
第3社区: nothing (`test_callbacks_tickets_duplicates_and_outcomes` gives it its own story).
住建办: 1; 报到 1/1; 按期 1/1; 解决 1/1; 满意 1/1; 超期 0.
安居物业: 1; 报到 0/1; 按期 0/1; 解决 —; 满意 —; 超期 1.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.boards import boards
from core.delivery import robot
from core.figures import league, street_page, street_report
from core.people import areas
from core.units import members, units
from jobs import daily_report
from models import (
    ChatGroup,
    Event,
    Issue,
    OutboxMessage,
    StaffAccount,
    Steward,
    StewardAlley,
)
from tests.console_world import console_login, csrf
from tests.factories import (
    login,
    login_staff,
    login_steward,
    make_district,
    make_staff,
    next_phone,
)

SH = ZoneInfo("Asia/Shanghai")
API = "/api/v1"
RESIDENT_PHONE = "13912345678"


def at(month, day, hour, minute=0):
    return time_machine.travel(datetime(2026, month, day, hour, minute, tzinfo=SH), tick=False)


def now():
    return at(12, 10, 12)


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


def story(client):
    d = make_district(communities=3)
    s1 = login_steward(client, d.stewards[0])
    staff2 = login_staff(client, make_staff(d.communities[1], username="secretary2"))
    zhujian = units.create(d.street, "住建办")
    wuye = units.create(d.communities[1], "安居物业", kind="property")
    li = login_staff(client, members.create_member(zhujian, "zjb-li", "password123").account)
    people = {n: login(client, n) for n in ("甲", "乙", "丙", "丁", "戊", "己", "庚")}
    c1, c2 = d.boards[0].code, d.boards[2].code

    def report(who, board, content, category="环境卫生"):
        body = {
            "board_code": board,
            "category": category,
            "content": content,
            "contact_phone": RESIDENT_PHONE,
        }
        return _post(client, "/issues", people[who], body, status=201)["id"]

    ids = {}
    with at(11, 28, 9):
        ids["I0"] = report("甲", c1, "I0 上月的事")
    with at(11, 29, 9):
        _post(client, f"/issues/{ids['I0']}/resolve", s1, {"note": "已处理"})
    with at(12, 1, 8):
        _post(client, f"/issues/{ids['I0']}/rate", people["甲"], {"score": 4})
    with at(12, 1, 9):
        ids["I1"] = report("乙", c1, "I1 垃圾满了")
    with at(12, 1, 10):
        _post(client, f"/issues/{ids['I1']}/accept", s1)
    with at(12, 2, 9):
        _post(client, f"/issues/{ids['I1']}/resolve", s1, {"note": "已清运"})
        ids["I2"] = report("丙", c1, "I2 路灯不亮")
        ids["J1"] = report("丁", c2, "J1 外墙脱落")
    with at(12, 2, 10):
        _post(client, f"/issues/{ids['I1']}/rate", people["乙"], {"score": 5})
        _post(
            client,
            f"/issues/{ids['J1']}/whistle",
            staff2,
            {"unit_id": zhujian.id, "tier": "ordinary", "note": "请住建办鉴定"},
        )
    with at(12, 2, 12):
        _post(client, f"/issues/{ids['J1']}/check-in", li)
    with at(12, 3, 9):
        ids["I3"] = report("戊", c1, "I3 邻居吵架很凶", category="邻里纠纷")
        _post(client, f"/issues/{ids['J1']}/resolve", li, {"note": "已修补"})
    with at(12, 3, 10):
        _post(client, f"/issues/{ids['J1']}/rate", people["丁"], {"score": 4})
    with at(12, 4, 9):
        _post(client, f"/issues/{ids['I2']}/accept", s1)
        ids["I5"] = report("己", c1, "I5 不用了")
    with at(12, 4, 10):
        _post(client, f"/issues/{ids['I5']}/cancel", people["己"])
    with at(12, 5, 9):
        _post(client, f"/issues/{ids['I2']}/resolve", s1, {"note": "已修好"})
        ids["J2"] = report("庚", c2, "J2 楼道堆物")
    with at(12, 5, 10):
        _post(client, f"/issues/{ids['I2']}/rate", people["丙"], {"score": 3})
        _post(
            client,
            f"/issues/{ids['J2']}/whistle",
            staff2,
            {"unit_id": wuye.id, "tier": "ordinary", "note": "请物业清理"},
        )
    with at(12, 6, 9):
        body = {
            "board_code": c1,
            "category": "设施损坏",
            "content": "I6 井盖松动",
            "fixed_on_spot": {"note": "已垫稳"},
        }
        ids["I6"] = _post(client, "/issues", s1, body, status=201)["id"]
    with at(12, 9, 9):
        ids["I4"] = report("甲", c1, "I4 新的事")
    return d, ids, zhujian, wuye


@pytest.fixture
def world(client):
    return story(client)


@pytest.fixture
def at_now(world):
    """The story's "now" for the rest of the test (console sessions last a working day)."""
    with now():
        yield world


def queries_of(run) -> int:
    """How many SQL statements `run()` sends (PostgreSQL's one-off PREPAREs left out)."""
    seen = []
    handler = logging.Handler()
    handler.emit = lambda r: None if "PREPARE " in r.getMessage() else seen.append(r)
    logger = logging.getLogger("peewee")
    old = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        run()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)
    return len(seen)


def _rows(rows):
    return {r.name: (r.volume, *(r.counts[k] for k in league.RATES), r.overdue) for r in rows}


def test_league_figures_match_the_hand_count(app, world):
    d = world[0]
    with now():
        t = league.league(d.street, date(2026, 12, 1), date(2026, 12, 10), min_volume=1)
    #        volume, response, on_time, resolution, satisfaction, overdue
    assert _rows(t.communities) == {
        "第1社区": (5, (1, 4), (2, 4), (3, 3), (2, 3), 1),
        "第2社区": (2, (2, 2), (1, 2), (1, 1), (1, 1), 1),
        "第3社区": (0, (0, 0), (0, 0), (0, 0), (0, 0), 0),
    }
    assert _rows(t.units) == {
        "住建办": (1, (1, 1), (1, 1), (1, 1), (1, 1), 0),
        "安居物业": (1, (0, 1), (0, 1), (0, 0), (0, 0), 1),
    }
    first = next(r for r in t.communities if r.name == "第1社区")
    assert first.rates == {
        "response": 0.25,
        "on_time": 0.5,
        "resolution": 1.0,
        "satisfaction": round(2 / 3, 4),
    }
    # a period before anything happened: the same rows, all empty; overdue is as of now
    with now():
        t = league.league(d.street, date(2026, 11, 1), date(2026, 11, 27), min_volume=1)
    assert [r.volume for r in t.communities] == [0, 0, 0]
    assert [r.overdue for r in t.communities] == [1, 1, 0]


def test_the_response_limit_is_exact_to_the_microsecond(app, world):
    """响应率's "within 24 hours" on both databases: exactly 24 h is in time, a microsecond
    more is late (SQLite compares through julianday(), whole milliseconds, except near the
    limit, where the exact comparison decides)."""
    from datetime import timedelta

    from models import Issue

    issue = Issue.get_by_id(world[1]["I1"])
    created = datetime(2026, 12, 1, 1, 0, 0, 250_000)
    limit = league.at_most_hours_after(Issue.accepted_at, Issue.created_at, 24)
    cases = {
        timedelta(hours=24): True,
        timedelta(hours=24, microseconds=1): False,
        timedelta(hours=24, microseconds=-1): True,
        timedelta(hours=24, milliseconds=90): False,  # just outside the near band
        timedelta(hours=23, minutes=59, seconds=59): True,
        timedelta(hours=25): False,
    }
    for after, within in cases.items():
        Issue.update(created_at=created, accepted_at=created + after).where(
            Issue.id == issue.id
        ).execute()
        (value,) = Issue.select(limit).where(Issue.id == issue.id).tuples().get()
        assert bool(value) is within, after


def test_a_row_under_the_minimum_volume_is_listed_but_not_ranked(app, world):
    d = world[0]
    period = (d.street, date(2026, 12, 1), date(2026, 12, 10))
    with now():
        t = league.league(*period, min_volume=3)
    assert [(r.name, r.rank, r.ranked) for r in t.communities] == [
        ("第1社区", 1, True),
        ("第2社区", None, False),  # 2 items: listed, not ranked
        ("第3社区", None, False),
    ]
    with now():
        t = league.league(*period, min_volume=2, sort="response")
    assert [(r.name, r.rank) for r in t.communities] == [
        ("第2社区", 1),  # 响应率 100 %
        ("第1社区", 2),  # 25 %
        ("第3社区", None),
    ]
    with now():
        t = league.league(*period, min_volume=2)
    assert [(r.name, r.rank) for r in t.communities] == [
        ("第1社区", 1),  # 解决率 100 % (3/3)
        ("第2社区", 1),  # 100 % (1/1): a tie shares the rank
        ("第3社区", None),
    ]
    # ties share a rank; the least overdue first
    with now():
        t = league.league(*period, sort="overdue", descending=False, min_volume=1)
    assert [(r.name, r.rank) for r in t.communities] == [
        ("第1社区", 1),
        ("第2社区", 1),
        ("第3社区", None),  # no items at all
    ]
    # units: the setting's default of 10 ranks none of them, and lists them all
    app.config["RANKING_MIN_VOLUME"] = 10
    with now():
        t = league.league(*period)
    assert {r.name for r in t.units} == {"住建办", "安居物业"}
    assert all(r.rank is None for r in t.units + t.communities)


def test_the_league_reads_the_same_number_of_queries_for_more_communities(app, client, world):
    d, _, zhujian, _ = world
    third_story(client, d, zhujian)  # callbacks, 12345 tickets, a duplicate, an outcome
    admin = login_staff(client, make_staff(d.street, role="admin", username="jiedao"))

    def count_queries():
        with now():
            return queries_of(
                lambda: league.league(d.street, date(2026, 12, 1), date(2026, 12, 10))
            )

    before = count_queries()
    for n in range(4, 12):
        community, _ = areas.child(d.street, "community", f"第{n}社区")
        alley, _ = areas.child(community, "alley", f"{n}区1巷")
        steward = Steward.create(name=f"管家{n}", phone=next_phone())
        StewardAlley.create(steward=steward, alley=alley)
        boards.create_board(alley)
        unit = units.create(community, f"第{n}物业", kind="property")
        with at(12, 9, 10):  # a 12345 ticket whistled to the new unit, and a callback
            body = {
                "alley_id": alley.id,
                "source": "hotline",
                "ticket_no": f"26120900{n:02d}",
                "contact_phone": RESIDENT_PHONE,
                "category": "环境卫生",
                "content": f"第{n}社区的转办件",
            }
            issue_id = _post(client, "/issues", admin, body, status=201)["id"]
            body = {"unit_id": unit.id, "tier": "ordinary", "note": "请物业处理"}
            _post(client, f"/issues/{issue_id}/whistle", admin, body)
    assert count_queries() == before


# 第3社区's own story (`third_story`), on top of the world, for what the first two leave out:
#   K1  12-01 09:00 reported, resolved 12-02 09:00, not rated, 回访 满意 on 12-06
#   K2  12-01 09:10 reported, resolved 12-03 09:00, not rated, nobody has called yet
#   K3  12-08 09:00 reported, resolved 12-09 09:00: closed too recently to need a callback
#   K4  12-01 09:20 reported, closed 12-02 10:00 as 已答复 (answered), rated 4★ at 11:00
#   K5  12-01 09:30 reported, 10:00 merged into K1 as a duplicate: counts nowhere, though its
#       deadline has passed and it has no resolved_at
#   T1  12-02 09:00 12345 ticket (due 12-05 18:00), resolved 12-04 09:00: on time
#   T2  12-03 09:00 12345 ticket (due 12-04 18:00), whistled to 住建办 10:00 (due 12-05 10:00),
#       checked in 11:00, resolved by the unit 12-06 09:00: late, on both deadlines
#   T3  12-09 09:00 12345 ticket, open (due 12-11)
#   → volume 7 (K5 left out); 按期 5/6 (K1–K4, T1 of those and T2; T3 undecided); the words of
#     the period: K1 满意 (solved, satisfied), K4 4★ but 已答复 (satisfied, not solved):
#     解决 1/2, 满意 2/2; 回访 1/4 (K1 of K1, K2, T1, T2: not K3, too recent; not K4, rated;
#     not K5, never closed by a handler); 12345: 3 tickets, 按时 1/2 (T1 of T1, T2);
#     办结 6 (K1–K4, T1, T2).
#   住建办: volume 2 (J1, T2); 12345: 1 ticket, 按时 0/1.


def third_story(client, d, zhujian) -> dict:
    staff3 = login_staff(client, make_staff(d.communities[2], username="secretary3"))
    s3 = login_steward(client, d.stewards[4])
    li = login_staff(client, members.create_member(zhujian, "zjb-wang", "password123").account)
    board, alley = d.boards[4].code, d.alleys[4]

    def report(who, content):
        body = {
            "board_code": board,
            "category": "环境卫生",
            "content": content,
            "contact_phone": RESIDENT_PHONE,
        }
        return _post(client, "/issues", login(client, who), body, status=201)["id"]

    def ticket(number, content, due):
        body = {
            "alley_id": alley.id,
            "source": "hotline",
            "ticket_no": number,
            "ticket_deadline": due,
            "contact_phone": RESIDENT_PHONE,
            "category": "环境卫生",
            "content": content,
        }
        return _post(client, "/issues", staff3, body, status=201)["id"]

    ids = {}
    with at(12, 1, 9):
        ids["K1"] = report("子", "K1 花坛垃圾")
    with at(12, 1, 9, 10):
        ids["K2"] = report("丑", "K2 路面积水")
    with at(12, 1, 9, 20):
        ids["K4"] = report("寅", "K4 想问停车政策")
    with at(12, 1, 9, 30):
        ids["K5"] = report("卯", "K5 花坛垃圾（重复）")
    with at(12, 1, 10):
        _post(client, f"/issues/{ids['K5']}/merge", staff3, {"into": ids["K1"]})
    with at(12, 2, 9):
        _post(client, f"/issues/{ids['K1']}/resolve", s3, {"note": "已清理"})
        ids["T1"] = ticket("2612020001", "T1 井盖破损", "2026-12-05T18:00:00+08:00")
    with at(12, 2, 10):
        body = {"note": "按规定可在夜间停放", "outcome": "answered"}
        _post(client, f"/issues/{ids['K4']}/resolve", staff3, body)
    with at(12, 2, 11):
        _post(client, f"/issues/{ids['K4']}/rate", login(client, "寅"), {"score": 4})
    with at(12, 3, 9):
        _post(client, f"/issues/{ids['K2']}/resolve", s3, {"note": "已疏通"})
        ids["T2"] = ticket("2612030001", "T2 外墙空鼓", "2026-12-04T18:00:00+08:00")
    with at(12, 3, 10):
        body = {"unit_id": zhujian.id, "tier": "ordinary", "note": "请住建办鉴定"}
        _post(client, f"/issues/{ids['T2']}/whistle", staff3, body)
    with at(12, 3, 11):
        _post(client, f"/issues/{ids['T2']}/check-in", li)
    with at(12, 4, 9):
        _post(client, f"/issues/{ids['T1']}/resolve", s3, {"note": "已更换"})
    with at(12, 6, 9):
        _post(client, f"/issues/{ids['T2']}/resolve", li, {"note": "已修补"})
    with at(12, 6, 10):
        body = {"result": "satisfied", "note": "居民说清理干净了"}
        _post(client, f"/issues/{ids['K1']}/callback", staff3, body, status=201)
    with at(12, 8, 9):
        ids["K3"] = report("辰", "K3 树枝挡路")
    with at(12, 9, 9):
        _post(client, f"/issues/{ids['K3']}/resolve", s3, {"note": "已修剪"})
        ids["T3"] = ticket("2612090001", "T3 路灯不亮", "2026-12-11")
    return ids


def _more(rows):
    return {
        r.name: (
            r.volume,
            r.counts["on_time"],
            r.counts["resolution"],
            r.counts["satisfaction"],
            r.counts.get("callbacks"),
            r.tickets,
            r.counts["ticket_on_time"],
        )
        for r in rows
    }


def test_callbacks_tickets_duplicates_and_outcomes(app, client, world):
    d, _, zhujian, _ = world
    third_story(client, d, zhujian)
    with now():
        t = league.league(d.street, date(2026, 12, 1), date(2026, 12, 10), min_volume=1)
    #   volume, on_time, resolution, satisfaction, callbacks, tickets, ticket_on_time
    assert _more(t.communities) == {
        "第1社区": (5, (2, 4), (3, 3), (2, 3), (0, 0), 0, (0, 0)),
        "第2社区": (2, (1, 2), (1, 1), (1, 1), (0, 0), 0, (0, 0)),
        "第3社区": (7, (5, 6), (1, 2), (2, 2), (1, 4), 3, (1, 2)),
    }
    assert _more(t.units) == {
        "住建办": (2, (1, 2), (1, 1), (1, 1), None, 1, (0, 1)),
        "安居物业": (1, (0, 1), (0, 0), (0, 0), None, 0, (0, 0)),
    }
    third = next(r for r in t.communities if r.name == "第3社区")
    assert third.rate("callbacks") == 0.25 and third.rate("ticket_on_time") == 0.5
    # 办结 whatever the outcome (the public page's 已办结): K1–K4, T1, T2, not the duplicate
    assert third.closed == 6
    # sortable by the new columns: the most tickets first; the best 回访完成率 first (第1 and
    # 第2社区 had nothing to call back: unranked); units have no 回访 to rank by
    with now():
        t = league.league(d.street, date(2026, 12, 1), date(2026, 12, 10), sort="tickets")
    assert [r.name for r in t.communities][0] == "第3社区"
    with now():
        t = league.league(
            d.street, date(2026, 12, 1), date(2026, 12, 10), sort="callbacks", min_volume=1
        )
    assert [(r.name, r.rank) for r in t.communities] == [
        ("第3社区", 1),
        ("第1社区", None),
        ("第2社区", None),
    ]
    assert all(r.rank is None for r in t.units)
    with now():
        t = league.league(
            d.street, date(2026, 12, 1), date(2026, 12, 10), sort="ticket_on_time", min_volume=1
        )
    assert [(r.name, r.rank) for r in t.units][0] == ("住建办", 1)


# --- the street admin in the console ---------------------------------------------------------


def test_create_staff_role_street_makes_the_street_admin(app, runner, world):
    d = world[0]
    res = runner.invoke(
        args=["create-staff", "--role", "street", "--area", str(d.street.id)]
        + ["--username", "jiedao1", "--password-stdin"],
        input="password123\n",
    )
    assert res.exit_code == 0 and "已创建街道管理员账号 jiedao1" in res.output, res.output
    assert StaffAccount.get(StaffAccount.username == "jiedao1").role == "admin"
    res = runner.invoke(
        args=["create-staff", "--role", "street", "--area", str(d.communities[0].id)]
        + ["--username", "jiedao2", "--password-stdin"],
        input="password123\n",
    )
    assert res.exit_code != 0 and "街道管理员账号须挂在街道/镇上" in res.output
    assert not StaffAccount.select().where(StaffAccount.username == "jiedao2").exists()


def test_street_admin_lands_on_the_overview_and_sees_every_community(app, at_now):
    d = at_now[0]
    make_staff(d.street, role="admin", username="jiedao")
    client = app.test_client()
    token = csrf(client)
    res = client.post(
        "/console/login",
        data={"username": "jiedao", "password": "password123", "csrf_token": token},
    )
    assert res.status_code == 302 and res.headers["Location"].endswith("/console/street")
    html = client.get("/console/street?sort=volume").get_data(as_text=True)
    assert "街道总览" in html
    for name in ("第1社区", "第2社区", "第3社区", "住建办", "安居物业"):
        assert name in html
    assert "1/4" in html and "2/3" in html  # the counts behind 第1社区's rates
    for community in d.communities:
        assert client.get(f"/console/?area={community.id}").status_code == 200
    # a sort key nobody knows is the default, never an error
    assert client.get("/console/street?sort=drop&order=sideways").status_code == 200
    assert client.get("/console/street?from=2026-13-01").status_code == 200


def test_another_streets_admin_and_community_staff_are_refused(app, at_now):
    d = at_now[0]
    other = make_district("北关街道", communities=1)
    make_staff(other.street, role="admin", username="beiguan")
    make_staff(d.communities[0], username="secretary1")
    client = console_login(app.test_client(), "beiguan")
    assert client.get(f"/console/street?area={d.street.id}").status_code in (403, 404)
    assert client.get(f"/console/?area={d.communities[0].id}").status_code in (403, 404)
    html = client.get("/console/street").get_data(as_text=True)
    assert "北关街道" in html and "第2社区" not in html and "住建办" not in html
    token = csrf(client, "/console/street")
    res = client.post(
        f"/console/street/public?area={d.street.id}", data={"public": "1", "csrf_token": token}
    )
    assert res.status_code in (403, 404)
    assert street_page.page_of(d.street) is None
    # a community's staff have no street overview
    staff = console_login(app.test_client(), "secretary1")
    assert staff.get("/console/street").status_code == 403
    assert staff.get(f"/console/street?area={d.street.id}").status_code == 403
    # an admin asking for a community as if it were a street
    admin = make_staff(d.street, role="admin", username="jiedao")
    assert admin.role == "admin"
    own = console_login(app.test_client(), "jiedao")
    assert own.get(f"/console/street?area={d.communities[0].id}").status_code == 404


# --- the street edition of the daily report --------------------------------------------------


def test_report_street_dry_run_prints_the_street_edition(app, runner, world):
    d, ids = world[0], world[1]
    with now():
        res = runner.invoke(
            args=["report", "--street", str(d.street.id), "--date", "2026-12-09", "--dry-run"]
        )
    assert res.exit_code == 0, res.output
    text = res.output
    lines = text.splitlines()
    assert lines[0] == "示范街道 每日通报（街道版）12月9日（周三）"
    assert lines[1] == "昨日新增 1 · 办结 0 · 超期 2 · 吹哨在办 1 · 在办 3"
    # overdue and whistled items come before the communities' lines
    i_overdue, i_whistled, i_lines = (
        lines.index("超期诉求（共 2 件）"),
        lines.index("吹哨在办（共 1 件）"),
        lines.index("各社区"),
    )
    assert i_overdue < i_whistled < i_lines
    assert lines[i_overdue + 1].startswith(f"#{ids['I3']} 第1社区·1区1巷 邻里纠纷：（内容不公开）")
    assert lines[i_overdue + 2].startswith(f"#{ids['J2']} 第2社区·2区1巷 环境卫生：J2 楼道堆物")
    assert lines[i_whistled + 1] == (
        f"#{ids['J2']} 第2社区·2区1巷 环境卫生：J2 楼道堆物（安居物业，未报到，12月7日 10:00 到期）"
    )
    # every item closed this month was rated or a steward's own fix: nobody to call back
    assert lines[3] == "本月回访 —（0/0） · 12345 工单 0 件，按时办结率 —（0/0），超期 0 件"
    assert lines[i_lines + 1 :] == [
        "第2社区：新增 0 · 办结 0 · 超期 1 · 吹哨 1 · 在办 1 · 本月解决率 100.0%（1/1） · 回访 0/0",
        "第1社区：新增 1 · 办结 0 · 超期 1 · 吹哨 0 · 在办 2 · 本月解决率 100.0%（3/3） · 回访 0/0",
        "第3社区：新增 0 · 办结 0 · 超期 0 · 吹哨 0 · 在办 0 · 本月解决率 —（0/0） · 回访 0/0",
    ]
    # the private words and every resident's phone stay out
    assert "邻居吵架" not in text and RESIDENT_PHONE not in text


def test_the_street_edition_carries_the_months_callbacks_and_12345_tickets(
    app, client, runner, world
):
    """第3社区's story, the report of 12-11 pushed on the morning of 12-12 (08:30): 回访 1/4 —
    K1 called back, K2, T1, T2 waiting; K3 closed on 12-09 09:00 is not yet 3 days old, K4 was
    rated; 12345: T1, T2, T3, T1 on time of T1 and T2 closed, T3 (due 12-11) overdue."""
    d, _, zhujian, _ = world
    third_story(client, d, zhujian)
    with at(12, 12, 8, 30):
        res = runner.invoke(
            args=["report", "--street", str(d.street.id), "--date", "2026-12-11", "--dry-run"]
        )
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[3] == (
        "本月回访 25.0%（1/4） · 12345 工单 3 件，按时办结率 50.0%（1/2），超期 1 件"
    )
    third = next(line for line in lines if line.startswith("第3社区："))
    assert third.endswith(" · 回访 1/4 · 12345 3 件（按时 1/2，超期 1）")
    first = next(line for line in lines if line.startswith("第1社区："))
    assert first.endswith(" · 回访 0/0")  # no tickets: no 12345 part
    # K2 called back as 基本满意 the same morning: one more done, nothing else moves
    staff3 = login_staff(client, StaffAccount.get(StaffAccount.username == "secretary3"))
    k2 = Issue.get(Issue.content == "K2 路面积水").id
    with at(12, 12, 8, 40):
        body = {"result": "basically_satisfied", "note": "居民说基本解决"}
        _post(client, f"/issues/{k2}/callback", staff3, body, status=201)
        res = runner.invoke(
            args=["report", "--street", str(d.street.id), "--date", "2026-12-11", "--dry-run"]
        )
    assert res.output.splitlines()[3].startswith("本月回访 50.0%（2/4） · 12345 工单 3 件")


def test_report_for_a_community_that_is_not_one_says_what_to_use(app, runner, world):
    d = world[0]
    res = runner.invoke(args=["report", "--community", str(d.street.id), "--dry-run"])
    assert res.exit_code != 0
    assert (
        f"区域 {d.street.id}（示范街道）是街道/镇，不是社区：街道版通报请用 --street {d.street.id}"
        in res.output
    )
    res = runner.invoke(args=["report", "--street", str(d.communities[0].id), "--dry-run"])
    assert res.exit_code != 0
    assert f"不是街道：社区的通报请用 --community {d.communities[0].id}" in res.output
    res = runner.invoke(args=["report", "--street", "9999", "--dry-run"])
    assert res.exit_code != 0 and "找不到街道 9999" in res.output


def test_a_street_group_gets_the_street_edition_each_morning_once(app, runner, world):
    d, ids = world[0], world[1]
    res = runner.invoke(
        args=["groups", "add", "--area", str(d.street.id), "--webhook", "street-leaders-key"]
    )
    assert res.exit_code == 0, res.output
    group = ChatGroup.get(ChatGroup.webhook_key == "street-leaders-key")
    assert group.audience == "staff"
    # a steward's group cannot sit on a street: it would hear every community's pushes
    res = runner.invoke(
        args=["groups", "add", "--area", str(d.street.id), "--webhook", "street-stewards-1"]
        + ["--audience", "stewards"]
    )
    assert res.exit_code != 0 and "街道只能登记工作人员群" in res.output
    # a new report in a community without a group of its own does not go up to the street
    with at(12, 10, 9):
        before = OutboxMessage.select().count()
        login_resident = login(app.test_client(), "辛")
        body = {"board_code": d.boards[4].code, "category": "环境卫生", "content": "第3社区的事"}
        res = app.test_client().post(f"{API}/issues", json=body, headers=login_resident)
        assert res.status_code == 201
        assert not OutboxMessage.select().where(OutboxMessage.target == group.webhook_key).exists()
        assert OutboxMessage.select().count() == before
    # a community without a staff group of its own: its staff notices (overdue escalations,
    # a unit's return) do not go up to the street's leaders; what is the street's does
    assert robot.groups_for_area(d.alleys[4], "staff") == []
    assert robot.groups_for_area(d.communities[2], "staff") == []
    assert [g.id for g in robot.groups_for_area(d.street, "staff")] == [group.id]
    with at(12, 10, 8, 30):
        sent = daily_report.tick()
        again = daily_report.tick()
    rows = list(OutboxMessage.select().where(OutboxMessage.target == group.webhook_key))
    assert sent >= 1 and again == 0 and len(rows) == 1
    content = rows[0].payload["markdown"]["content"]
    assert content.startswith("## 示范街道 每日通报（街道版）12月9日")
    assert f"#{ids['J2']} 第2社区·2区1巷" in content
    assert "邻居吵架" not in content and RESIDENT_PHONE not in content


def test_the_street_report_reads_a_fixed_number_of_queries(app, world):
    d = world[0]

    def count():
        with now():
            return queries_of(lambda: street_report.build(d.street, date(2026, 12, 9)))

    before = count()
    for n in range(4, 10):
        community, _ = areas.child(d.street, "community", f"第{n}社区")
        areas.child(community, "alley", f"{n}区1巷")
    assert count() == before


# --- the public figures page ----------------------------------------------------------------


def test_public_page_is_off_by_default_and_follows_the_admins_switch(app, at_now):
    d = at_now[0]
    board_code = d.boards[0].code
    client = app.test_client()
    assert client.get("/s/ABCDEF").status_code == 404
    assert "/s/" not in client.get(f"/b/{board_code}").get_data(as_text=True)

    admin = make_staff(d.street, role="admin", username="jiedao")
    console = console_login(app.test_client(), "jiedao")
    token = csrf(console, "/console/street")
    res = console.post("/console/street/public", data={"public": "1", "csrf_token": token})
    assert res.status_code == 302
    page = street_page.page_of(d.street)
    assert page.public and re.fullmatch(r"[2-9A-Z]{6}", page.code)
    event = Event.select().where(Event.action == "street_page.publish").get()
    assert event.actor_id == admin.user_id

    res = client.get(f"/s/{page.code.lower()}")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    for name in ("示范街道", "第1社区", "第2社区", "第3社区", "66.7%", "2/3", "25.0%"):
        assert name in html, name
    # counts and rates only: no resident, no steward, no item
    for private in (RESIDENT_PHONE, "邻居吵架", "垃圾满了", "J2 楼道堆物", "住建办"):
        assert private not in html, private
    for s in Steward.select():
        assert s.name not in html and s.phone not in html
    assert f"/s/{page.code}" in client.get(f"/b/{board_code}").get_data(as_text=True)

    token = csrf(console, "/console/street")
    console.post("/console/street/public", data={"public": "0", "csrf_token": token})
    assert client.get(f"/s/{page.code}").status_code == 404
    assert "/s/" not in client.get(f"/b/{board_code}").get_data(as_text=True)
    assert street_page.page_of(d.street).code == page.code  # the same address when back on
    assert Event.select().where(Event.action == "street_page.unpublish").count() == 1


def test_only_an_admin_of_the_street_switches_it(app, at_now):
    d = at_now[0]
    make_staff(d.communities[0], username="secretary1")
    staff = console_login(app.test_client(), "secretary1")
    token = csrf(staff, "/console/")
    res = staff.post("/console/street/public", data={"public": "1", "csrf_token": token})
    assert res.status_code == 403
    assert street_page.page_of(d.street) is None
