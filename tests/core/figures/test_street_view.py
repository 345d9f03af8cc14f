"""The street's league table of communities and units (`core.figures.league`) against the
figures counted by hand in tests/core/figures/street_story.py: the minimum volume below which a
row is listed but not ranked, the response limit to the microsecond, a fixed number of queries,
and callbacks, 12345 tickets, duplicates and closure outcomes."""

from __future__ import annotations

from datetime import date, datetime

from core.boards import boards
from core.figures import league
from core.people import areas
from core.units import units
from models import (
    Issue,
    Steward,
    StewardAlley,
)
from tests.core.figures import street_story
from tests.core.figures.street_story import (
    RESIDENT_PHONE,
    _post,
    _rows,
    at,
    now,
    queries_of,
    third_story,
)
from tests.factories import (
    login_staff,
    make_staff,
    next_phone,
)

# The story and a street admin at its "now" (tests/core/figures/street_story.py).
world, at_now = street_story.world, street_story.at_now


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
