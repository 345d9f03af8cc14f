"""The daily 通报 checked against a small data set counted by hand, and its image decoded."""

from __future__ import annotations

import io
import logging
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image

from core.boards import boards
from core.figures import report_batch, report_card, report_text, reports
from core.households import visits
from core.items import issues, patrols
from core.people import areas, auth
from core.people.permissions import Principal
from models import Board, Department, Household, Issue, Steward, StewardAlley, User
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
        "resolution": 0.5,  # the residents' words: P 5★ solved, V 2★ not
        "satisfaction": 0.5,  # P 5★, V 2★
        "handled": 0.5,  # 办结: P, U of P, Q, T, U (R cancelled)
        "rectification": 0.5,  # P, U, V of X, P, Q, T, U, V
    }
    assert rep.month == {"new": 7, "accepted": 4, "resolved": 3}
    assert rep.month_rates == {
        "response": 0.6,
        "resolution": 0.5,
        "satisfaction": 0.5,
        "handled": 0.5,
    }
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
    md = report_text.markdown(rep)
    assert md.startswith("## 第1社区 每日通报 11月21日（周六）")
    assert "新增 **5**" in md and "响应率 66.7%（2/3）" in md
    assert "满意率 50.0%（1/2）" in md and "整改率 50.0%（3/6）" in md  # one decimal, with counts
    assert "#1 1区1巷 环境卫生：X 一直没人管" in md
    assert len(md.encode()) <= 4096
    text, phones = report_text.overdue_reminder(rep)
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
    md = report_text.markdown(rep)
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


# --- the headline, the rows and the list are one set of overdue items ---------------------------


def _adds_up(rep) -> int:
    """The report as the group reads it: the headline's 超期 is the sum of the rows' 超期 and
    the number of overdue items listed (and the data behind the text agrees). Returns it."""
    md = report_text.markdown(rep)
    if rep.quiet:
        assert rep.counts["overdue"] == 0 and "无超期" in md
        return 0
    head = re.search(r"超期 (?:<font color=\"warning\">\*\*(\d+)\*\*</font>|(0))", md)
    headline = int(head.group(1) or head.group(2))
    rows = md.split("**管家**\n")[1].split("\n**")[0] if "**管家**" in md else ""
    in_rows = [int(n) for n in re.findall(r"超期 (\d+)", rows)]
    listed = re.findall(r"^#(\d+) ", md, flags=re.M)
    more = re.search(r"……等共 (\d+) 件", md)
    assert headline == rep.counts["overdue"] == rep.overdue_total
    assert sum(in_rows) == sum(s.overdue for s in rep.stewards) == headline
    assert (int(more.group(1)) if more else len(listed)) == headline
    assert [int(n) for n in listed] == [i.id for i in rep.overdue_items]
    return headline


def late_world(client, d):
    """The story, and an overdue item in each place one can be: overdue since October (one
    still open, one resolved this morning), assigned to nobody, to two stewards of whom
    neither or one accepted, escalated, whistled, held by a steward dismissed since; and X
    (overdue since the 12th) resolved this morning, before the report was built."""
    staff = login_staff(client, make_staff(d.communities[0]))
    dept = Department.create(area=d.street, name="城管")
    s1, s2 = login_steward(client, d.stewards[0]), login_steward(client, d.stewards[1])
    extra = Steward.create(name="后来的管家", phone=next_phone())
    StewardAlley.create(steward=extra, alley=d.alleys[1])
    s3 = login_steward(client, extra)
    nobody, _ = areas.child(d.grids[0], "alley", "无人巷")
    boards.create_board(nobody)
    resident = login(client, "居民庚")

    def report(alley, content):
        board = Board.get(Board.alley == alley)
        body = {"board_code": board.code, "category": "环境卫生", "content": content}
        return _post(client, "/issues", resident, body, status=201)["id"]

    a1, a2 = d.alleys[0], d.alleys[1]
    ids = {}
    with at(10, 10, 10):
        ids["october"] = report(a1, "十月就超期")
    with at(10, 12, 10):
        ids["october_done"] = report(a2, "十月超期今晨办结")
        _post(client, f"/issues/{ids['october_done']}/accept", s2)
    with at(11, 5, 10):
        ids["whistled"] = report(a1, "吹哨也超期")
        body = {"department_id": dept.id, "note": "请城管处理"}
        _post(client, f"/issues/{ids['whistled']}/whistle", staff, body)
    with at(11, 15, 10):
        ids["unassigned"] = report(nobody, "没有管家的巷子")
        ids["unaccepted"] = report(a1, "派给两人无人接")
        ids["shared"] = report(a1, "派给两人一人接")
        for key in ("unaccepted", "shared"):
            body = {"steward_ids": [d.stewards[0].id, d.stewards[1].id]}
            _post(client, f"/issues/{ids[key]}/assign", staff, body)
        _post(client, f"/issues/{ids['shared']}/accept", s2)
        ids["escalated"] = report(a2, "上报社区")
        _post(client, f"/issues/{ids['escalated']}/escalate", s2, {"note": "需社区协调"})
        ids["dismissed"] = report(a2, "接单人已离任")
        _post(client, f"/issues/{ids['dismissed']}/accept", s3)
    auth.dismiss_steward(Steward.get_by_id(extra.id), reason="搬家")
    ids["x"] = Issue.get(Issue.content == "X 一直没人管").id
    with at(11, 22, 7, 30):
        _post(client, f"/issues/{ids['x']}/resolve", s1, {"note": "已清理"})
        _post(client, f"/issues/{ids['october_done']}/resolve", s2, {"note": "已修好"})
    return ids


def test_an_item_resolved_before_the_report_stays_in_its_row_and_the_list(client, dataset):
    """The card that said 超期 1 while every row said 0 and nothing was listed: X was overdue
    at midnight and resolved at 07:30; the 08:30 report counted it in the headline only."""
    d = dataset
    x = Issue.get(Issue.content == "X 一直没人管").id
    s1 = login_steward(client, d.stewards[0])
    with at(11, 22, 7, 30):
        _post(client, f"/issues/{x}/resolve", s1, {"note": "已清理"})
    with at(11, 22, 8, 30):
        rep = reports.build(d.communities[0], DAY)
    assert rep.counts["overdue"] == 1
    assert {s.name: s.overdue for s in rep.stewards}[d.stewards[0].name] == 1
    assert [(i.id, i.still_open) for i in rep.overdue_items] == [(x, False)]
    assert "（管家11，11月12日 10:00 到期，现已办结）" in report_text.markdown(rep)
    assert report_text.overdue_reminder(rep) is None  # nobody is urged to do what is done
    assert _adds_up(rep) == 1


def test_every_overdue_item_is_in_one_row_whoever_holds_it(client):
    d = story(client)
    ids = late_world(client, d)
    with at(11, 22, 8, 30):
        rep = reports.build(d.communities[0], DAY)
    rows = {(s.kind, s.name): s.overdue for s in rep.stewards}
    assert rows == {
        ("steward", d.stewards[0].name): 2,  # X (resolved since), 十月就超期
        ("steward", d.stewards[1].name): 2,  # 十月超期今晨办结, the one of two who accepted
        ("elsewhere", "后来的管家"): 1,
        ("community", "社区办理"): 1,
        ("whistled", "吹哨部门"): 1,
        ("unaccepted", "未接单"): 1,
        ("unassigned", "未派单"): 1,
    }
    assert {i.id for i in rep.overdue_items} == set(ids.values())
    assert _adds_up(rep) == 9
    md = report_text.markdown(rep)
    assert "未派单：<font" in md and "后来的管家（已离任或非本区管家）：" in md
    october = f"#{ids['october']} 1区1巷 环境卫生：十月就超期（管家11，10月12日 10:00 到期）"
    assert october in md
    text, phones = report_text.overdue_reminder(rep)
    assert f"#{ids['x']}（" not in text and f"#{ids['october']}（" in text
    card = Image.open(io.BytesIO(report_card.image(rep)))
    assert card.height == 660 + 64 * len(rep.stewards)  # one table row each, 未派单 included


@pytest.mark.parametrize("world", ["empty", "story", "late"])
def test_the_headline_is_the_sum_of_the_rows_in_every_area(client, world):
    """For each world and every kind of area a group can hang on, both ways of building the
    morning's reports: the headline, the rows and the list agree."""
    d = make_district() if world == "empty" else story(client)
    if world == "late":
        late_world(client, d)
    areas_ = [*d.communities, d.street, d.grids[0], d.alleys[0], d.alleys[1]]
    with at(11, 22, 8, 30):
        one_by_one = [reports.build(a, DAY) for a in areas_]
        together = report_batch.build_all(areas_, DAY)
    assert together == one_by_one
    totals = [_adds_up(rep) for rep in together]
    expected = {"empty": [0, 0, 0, 0, 0, 0], "story": [1, 0, 1, 1, 1, 0], "late": [9, 0, 9, 9]}
    assert totals[: len(expected[world])] == expected[world]


def test_the_report_carries_each_stewards_day(client):
    """The morning's 通报 of a day lists each steward's records of that day (issue 32):
    随手做 (not also counted as patrols), patrols and visits; a steward who recorded nothing
    has no line; the next day's records are the next report's. The morning's batch says
    the same."""

    d = make_district()
    login_steward(client, d.stewards[0])
    s0 = Steward.get_by_id(d.stewards[0].id)
    p = Principal.for_user(User.get_by_id(s0.user_id))
    home = Household.create(
        community=d.communities[0],
        alley=d.alleys[0],
        steward=s0,
        address="1区1巷3号楼201",
        head_name="张桂兰",
    )

    def fix(words):
        issues.create(
            p,
            alley=d.alleys[0],
            board=None,
            category="设施损坏",
            content=words,
            fixed_on_spot={"note": words, "photo_ids": []},
        )

    with at(11, 21, 9):
        fix("水龙头换了")
        fix("路灯修好了")
        patrols.check_in(p, d.alleys[0].id, note="走了一圈")
        visits.record(p, home.id, note="看望张奶奶")
    with at(11, 22, 7):  # the next day: not in the 21st's report
        fix("井盖垫好了")
    with at(11, 22, 8, 30):
        rep = reports.build(d.communities[0], DAY)
        batch = report_batch.build_all([d.communities[0]], DAY)[0]
    md = report_text.markdown(rep)
    assert "**管家记录**\n管家11：随手做 2，巡查 1，走访 1\n" in md
    assert "管家12：随手做" not in md
    assert report_text.markdown(batch) == md
    assert "张桂兰" not in md and "3号楼" not in md  # a group reads it


def test_a_quiet_day_still_carries_the_stewards_patrols(client):
    """No new, resolved or overdue item, but a patrol: the one quiet line, then the day."""

    d = make_district()
    login_steward(client, d.stewards[1])
    s1 = Steward.get_by_id(d.stewards[1].id)
    with at(11, 21, 18):
        patrols.check_in(Principal.for_user(User.get_by_id(s1.user_id)), note="一切正常")
    with at(11, 22, 8, 30):
        rep = reports.build(d.communities[0], DAY)
    assert rep.quiet
    md = report_text.markdown(rep)
    assert md.endswith("平稳无事；在办 0 件。\n**管家记录**\n管家12：随手做 0，巡查 1，走访 0")
