"""The daily 通报 checked against a small data set counted by hand, and its image decoded."""

from __future__ import annotations

import io
import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image

from core.figures import report_card, reports
from models import Steward, StewardAlley
from tests.factories import login, login_steward, make_district, next_phone

SH = ZoneInfo("Asia/Shanghai")
API = "/api/v1"
DAY = date(2026, 11, 21)


def at(month, day, hour, minute=0):
    return time_machine.travel(datetime(2026, month, day, hour, minute, tzinfo=SH), tick=False)


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


@pytest.fixture
def dataset(client):
    return story(client)


def story(client):
    """The story of 21 November in community 1 (see the counts in the test below)."""
    d = make_district()
    s1 = login_steward(client, d.stewards[0])  # alley a1
    s2 = login_steward(client, d.stewards[1])  # alley a2
    people = {n: login(client, n) for n in ("甲", "乙", "丙", "丁", "戊", "己")}
    a1, a2 = d.boards[0].code, d.boards[1].code
    other = d.boards[2].code  # the other community: must not count

    def report(who, board, content="垃圾"):
        body = {"board_code": board, "category": "环境卫生", "content": content}
        return _post(client, "/issues", people[who], body, status=201)["id"]

    with at(11, 10, 10):
        report("甲", a1, "X 一直没人管")  # X: open since, overdue (deadline 11-12)
    with at(11, 20, 9):
        v = report("乙", a1, "V")
        _post(client, f"/issues/{v}/resolve", s1, {"note": "已处理"})
    with at(11, 21, 9):
        p = report("丙", a1, "P")
    with at(11, 21, 9, 30):
        _post(client, f"/issues/{p}/accept", s1)
    with at(11, 21, 10):
        q = report("丁", a2, "Q")
        _post(client, f"/issues/{v}/rate", people["乙"], {"score": 2})
    with at(11, 21, 11):
        r = report("戊", a2, "R")
    with at(11, 21, 11, 30):
        _post(client, f"/issues/{r}/cancel", people["戊"])
    with at(11, 21, 12):
        _post(client, f"/issues/{q}/accept", s2)
    with at(11, 21, 14):
        body = {
            "board_code": a1,
            "category": "设施损坏",
            "content": "U 井盖松动",
            "fixed_on_spot": {"note": "已垫稳"},
        }
        _post(client, "/issues", s1, body, status=201)
    with at(11, 21, 15):
        _post(client, f"/issues/{p}/resolve", s1, {"note": "已清理"})
    with at(11, 21, 16):
        _post(client, f"/issues/{p}/rate", people["丙"], {"score": 5})
    with at(11, 21, 20):
        report("己", a1, "T")
        report("甲", other, "别的社区")
        wish = {
            "board_code": a1,
            "beneficiary_type": "elderly",
            "display_name": "王奶奶",
            "title": "收音机",
            "content": "想听戏",
        }
        _post(client, "/wishes", people["甲"], wish, status=201)
    return d


def test_figures_match_the_hand_count(dataset):
    d = dataset
    with at(11, 22, 8, 30):
        rep = reports.build(d.communities[0], DAY)
    assert rep.counts == {"new": 5, "accepted": 3, "resolved": 2, "open": 3, "overdue": 1}
    assert rep.rates == {
        "response": round(2 / 3, 4),  # P, Q accepted within 24 h of P, Q, T
        "resolution": 0.5,  # P, U of P, Q, T, U (R cancelled)
        "satisfaction": 0.5,  # P 5★, V 2★
        "rectification": 0.5,  # P, U, V of X, P, Q, T, U, V
    }
    assert rep.month == {"new": 7, "accepted": 4, "resolved": 3}
    assert rep.month_rates == {"response": 0.6, "resolution": 0.5, "satisfaction": 0.5}
    lines = {s.name: s for s in rep.stewards}
    s1, s2 = lines[d.stewards[0].name], lines[d.stewards[1].name]
    assert (s1.taken, s1.resolved, s1.overdue, s1.patrolled) == (2, 2, 1, True)
    assert (s2.taken, s2.resolved, s2.overdue, s2.patrolled) == (1, 0, 0, False)
    assert [i.content for i in rep.overdue_items] == ["X 一直没人管"]
    assert rep.overdue_items[0].stewards == [(d.stewards[0].name, d.stewards[0].phone)]
    assert rep.wishes == {"new": 1, "claimed": 0, "fulfilled": 0}
    assert not rep.quiet


def test_markdown_and_image(dataset):
    with at(11, 22, 8, 30):
        rep = reports.build(dataset.communities[0], DAY)
    md = reports.markdown(rep)
    assert md.startswith("## 第1社区 每日通报 11月21日（周六）")
    assert "新增 **5**" in md and "响应率 66.7%（2/3）" in md
    assert "满意率 50.0%（1/2）" in md and "整改率 50.0%（3/6）" in md  # one decimal, with counts
    assert "#1 1区1巷 环境卫生：X 一直没人管" in md
    assert len(md.encode()) <= 4096
    text, phones = reports.overdue_reminder(rep)
    assert phones == [dataset.stewards[0].phone] and "#1" in text
    png = report_card.image(rep)
    card = Image.open(io.BytesIO(png))
    card.load()
    assert card.format == "JPEG" and card.width == 1080 and card.height > 600
    # something was drawn in the title's red and in the table area (JPEG: colours are close)
    r, g, b = card.getpixel((540, 6))
    assert abs(r - 196) < 12 and abs(g - 43) < 12 and abs(b - 28) < 12
    assert len(card.convert("L").crop((0, 500, 1080, card.height)).getcolors(65536)) > 2


def test_a_quiet_day_is_one_line(client):
    d = make_district()
    with at(11, 22, 8, 30):
        rep = reports.build(d.communities[0], DAY)
    assert rep.quiet
    md = reports.markdown(rep)
    assert "\n" not in md and "平稳无事" in md


def test_query_count_does_not_grow_with_stewards(client):
    d = make_district()
    community = d.communities[0]

    def count_queries():
        seen = []
        handler = logging.Handler()
        # A connection's first use of a compiled query PREPAREs it once (PostgreSQL): that is
        # not a query of the report's.
        handler.emit = lambda record: (
            None if "PREPARE " in record.getMessage() else seen.append(record)
        )
        logger = logging.getLogger("peewee")
        old = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        try:
            reports.build(community, DAY)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old)
        return len(seen)

    few = count_queries()
    for i in range(30):
        s = Steward.create(name=f"新管家{i}", phone=next_phone())
        StewardAlley.create(steward=s, alley=d.alleys[i % 2])
    assert count_queries() == few
    assert few <= 10


def test_report_cli_dry_run(runner, dataset):
    with at(11, 22, 8, 30):
        out = runner.invoke(args=["report", "--date", "2026-11-21", "--dry-run"]).output
    assert "第1社区 每日通报 11月21日" in out and "第2社区" in out
    assert "**" not in out and "<font" not in out
    with at(11, 22, 8, 30):
        bad = runner.invoke(args=["report", "--date", "21/11"])
    assert bad.exit_code != 0


def test_past_days_can_be_rebuilt(dataset):
    with at(11, 25, 9):
        again = reports.build(dataset.communities[0], DAY)
        before = reports.build(dataset.communities[0], DAY - timedelta(days=1))
    assert again.counts["new"] == 5
    assert before.counts["new"] == 1 and before.counts["resolved"] == 1  # V on the 20th
