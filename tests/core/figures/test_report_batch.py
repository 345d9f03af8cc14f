"""A morning's reports in one pass (`report_batch.build_all`): the same reports as building
each group's on its own, from a number of queries that does not grow with the groups."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from core.figures import report_batch, reports
from models import Issue, Patrol, Steward, StewardAlley
from tests.core.figures.test_reports import DAY, SH, _post, at, story
from tests.factories import login, login_staff, login_steward, make_staff, next_phone


def _areas(d):
    """Every kind of area a group can hang on: communities, the street, a grid, an alley."""
    return [*d.communities, d.street, d.grids[0], d.alleys[1], d.alleys[2], d.communities[0]]


def _richer(client, d):
    """The hand-counted day plus what the dataset lacks: a claimed and a fulfilled wish,
    patrols, several overdue items due at the same moment, a dismissed steward."""
    staff = login_staff(client, make_staff(d.communities[0]))
    steward = login_steward(client, d.stewards[0])
    volunteer = login(client, "志愿者小周")
    author = login(client, "居民老赵")
    with at(11, 18, 9):
        late = []
        for n, board in enumerate((d.boards[0], d.boards[1], d.boards[2], d.boards[0])):
            body = {"board_code": board.code, "category": "设施损坏", "content": f"路灯{n}"}
            late.append(_post(client, "/issues", author, body, status=201)["id"])
    with at(11, 20, 9):
        wishes = []
        for title in ("轮椅", "台灯"):
            body = {
                "board_code": d.boards[0].code,
                "beneficiary_type": "elderly",
                "display_name": "李爷爷",
                "title": title,
                "content": "腿脚不便",
            }
            wish = _post(client, "/wishes", author, body, status=201)["id"]
            _post(client, f"/wishes/{wish}/approve", staff)
            wishes.append(wish)
    with at(11, 21, 10):
        _post(client, f"/wishes/{wishes[0]}/claim", volunteer)
        _post(client, f"/wishes/{wishes[1]}/claim", steward, {"role": "steward"})
        _post(client, f"/wishes/{wishes[1]}/fulfil", steward, {"note": "送到了"})
    day = datetime(2026, 11, 21, 15, tzinfo=SH).astimezone().replace(tzinfo=None)
    for steward_row, alley in ((d.stewards[0], d.alleys[0]), (d.stewards[2], d.alleys[2])):
        Patrol.create(steward=steward_row, alley=alley, note="巡查", created_at=day)
    Patrol.create(
        steward=d.stewards[1], alley=d.alleys[1], note="前一天", created_at=day - timedelta(days=1)
    )
    gone = Steward.create(name="已离任管家", phone=next_phone(), active=False)
    StewardAlley.create(steward=gone, alley=d.alleys[0])
    return late


def test_build_all_gives_each_area_the_report_build_gives_it(client):
    d = story(client)
    late = _richer(client, d)
    areas = _areas(d)
    with at(11, 22, 8, 30):
        one_by_one = [reports.build(a, DAY) for a in areas]
        together = report_batch.build_all(areas, DAY)
        month_start = report_batch.build_all(areas, DAY.replace(day=1))
        assert month_start == [reports.build(a, DAY.replace(day=1)) for a in areas]
    assert together == one_by_one
    community, street = together[0], together[2]
    # The data really exercises each part (so the equality above is not of empty reports).
    assert community.wishes == {"new": 1, "claimed": 2, "fulfilled": 1}
    assert [s.patrolled for s in community.stewards] == [True, False]
    assert "已离任管家" not in [s.name for s in community.stewards]
    # The longest overdue first; those due at the same moment by number.
    x = Issue.get(Issue.content == "X 一直没人管").id
    assert [i.id for i in community.overdue_items] == [x, late[0], late[1], late[3]]
    assert street.overdue_total == community.overdue_total + together[1].overdue_total
    assert street.counts["new"] == community.counts["new"] + together[1].counts["new"]
    assert together[-1] == together[0]  # two groups of one community
    assert report_batch.build_all([], DAY) == []


def test_build_all_reads_a_fixed_number_of_queries(client):
    d = story(client)

    def count(areas):
        seen = []
        handler = logging.Handler()
        handler.emit = lambda r: None if "PREPARE " in r.getMessage() else seen.append(r)
        logger = logging.getLogger("peewee")
        old = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        try:
            with at(11, 22, 8, 30):
                report_batch.build_all(areas, DAY)
        finally:
            logger.removeHandler(handler)
            logger.setLevel(old)
        return len(seen)

    one = count(d.communities[:1])
    assert count(d.communities) == one
    for i in range(30):
        s = Steward.create(name=f"新管家{i}", phone=next_phone())
        StewardAlley.create(steward=s, alley=d.alleys[i % 4])
    # the ninth: the month's callbacks (回访); the tenth: each steward's day (steward_day)
    assert count(d.communities) == one <= 10
