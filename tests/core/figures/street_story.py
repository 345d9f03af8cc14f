"""The street the street-view tests share (test_street_view.py: the league; test_street_report.py:
the street edition of the 通报; test_street_console.py: the street admin and the public page),
its items told as a story with the figures counted by hand, and the fixtures `world` (the
story) and `at_now` (a street admin logged in at "now").

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
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.figures import league
from core.units import members, units
from tests.factories import (
    login,
    login_staff,
    login_steward,
    make_district,
    make_staff,
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
