"""The street's 整改率 totals kept per community (`core.figures.street_totals`): after every kind
of change they equal a count made afresh (`reports.totals`, a separate statement), and only
the communities whose items changed are counted again — not for another street's change, nor
for an event about something else; the whole street again when most of it changed, when a
community appears, and at the latest after ten minutes for a change that wrote no event."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from core import audit
from core.boards import boards
from core.figures import period_sql, reports, street_totals
from core.people import areas
from infra.timeutil import utcnow
from models import Issue
from tests.factories import login, login_steward, make_district

API = "/api/v1"
END = datetime(2030, 1, 1)  # the period's end: after every item


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


class Street:
    """Four communities of one alley each, a steward on each, a resident; what is counted."""

    def __init__(self, client):
        self.client = client
        self.d = make_district(communities=4, alleys_per_community=1)
        self.stewards = [login_steward(client, s) for s in self.d.stewards]
        self.resident = login(client, "居民甲")
        self.whole_counts = 0
        self.recounted: list[int] = []

    def report(self, community: int) -> int:
        body = {"board_code": self.d.boards[community].code, "category": "环境卫生"}
        body["content"] = "垃圾没清"
        return _post(self.client, "/issues", self.resident, body, status=201)["id"]

    def resolve(self, item: int, community: int) -> None:
        _post(self.client, f"/issues/{item}/resolve", self.stewards[community], {"note": "已清"})

    def totals(self) -> tuple[int, int]:
        """The street's totals as the 首页 reads them, noting what was counted."""
        street = self.d.street
        kind = period_sql._scope_kind(street)

        def whole():
            self.whole_counts += 1
            rows = period_sql._TOTALS[(kind,)].rows(**period_sql._values(street, end=END))
            found: dict[int, list] = {}
            for community_id, *row in rows:
                found.setdefault(community_id, []).append(row)
            return {c: period_sql._counted_and_solved(r) for c, r in found.items()}

        def one(community_id):
            self.recounted.append(community_id)
            values = {"area": community_id, "path_like": "", "end": END}
            return period_sql._counted_and_solved(period_sql._TOTALS[("community",)].rows(**values))

        got = street_totals.totals(street, END, whole, one)
        assert got == reports.totals(street, END)
        return got


@pytest.fixture
def street(client):
    return Street(client)


def test_the_totals_follow_every_change_and_recount_only_where_it_happened(client, street):
    s = street
    first = s.report(0)
    assert s.totals() == (1, 0) and s.whole_counts == 1
    s.resolve(first, 0)
    assert s.totals() == (1, 1)
    assert s.whole_counts == 1 and s.recounted == [s.d.communities[0].id]
    # rated, reported elsewhere, cancelled by the reporter: each counted where it happened
    _post(client, f"/issues/{first}/rate", s.resident, {"score": 5})
    cancelled = s.report(1)
    assert s.totals() == (2, 1)
    assert sorted(s.recounted[1:]) == sorted([s.d.communities[0].id, s.d.communities[1].id])
    _post(client, f"/issues/{cancelled}/cancel", s.resident, {"reason": "报错了"})
    s.recounted.clear()
    assert s.totals() == (1, 1) and s.recounted == [s.d.communities[1].id]
    assert s.whole_counts == 1
    # nothing changed: nothing counted
    assert s.totals() == (1, 1) and s.recounted == [s.d.communities[1].id]


def test_events_about_anything_else_or_another_street_count_nothing_again(client, street):
    s = street
    s.report(0)
    assert s.totals() == (1, 0)
    # an event about something else (a secretary reading 包联户 writes one)
    audit.record("household.list", "household", None, area=s.d.communities[2])
    other = make_district(street_name="另一街道", communities=1, alleys_per_community=1)
    body = {"board_code": other.boards[0].code, "category": "环境卫生", "content": "井盖松了"}
    _post(client, "/issues", s.resident, body, status=201)
    assert s.totals() == (1, 0)
    assert s.whole_counts == 1 and s.recounted == []


def test_the_whole_street_is_counted_again_when_most_of_it_changed_or_it_grew(client, street):
    s = street
    s.report(0)
    assert s.totals() == (1, 0) and s.whole_counts == 1
    for community in (1, 2, 3):  # three of four: more than half
        s.report(community)
    assert s.totals() == (4, 0) and s.whole_counts == 2 and s.recounted == []
    # a community new since the whole count, with its first item
    community, _ = areas.child(s.d.street, "community", "第5社区")
    grid, _ = areas.child(community, "grid", "第5网格")
    alley, _ = areas.child(grid, "alley", "5区1巷")
    board = boards.create_board(alley)
    body = {"board_code": board.code, "category": "环境卫生", "content": "路灯不亮"}
    _post(client, "/issues", s.resident, body, status=201)
    assert s.totals() == (5, 0) and s.whole_counts == 3


def test_an_item_event_naming_no_item_counts_the_whole_street(client, street):
    s = street
    s.report(0)
    assert s.totals() == (1, 0)
    audit.record("issue.import", "issue", None)
    assert s.totals() == (1, 0) and s.whole_counts == 2


def test_a_change_that_wrote_no_event_shows_within_ten_minutes(client, street):
    s = street
    item = s.report(0)
    start = utcnow()
    with time_machine.travel(start, tick=False):
        assert s.totals() == (1, 0)
    Issue.update(status="cancelled").where(Issue.id == item).execute()  # no event
    with time_machine.travel(start + timedelta(seconds=street_totals.SECONDS - 1), tick=False):
        got = street_totals.totals(s.d.street, END, lambda: {}, lambda c: (0, 0))
        assert got == (1, 0) != reports.totals(s.d.street, END)
    with time_machine.travel(start + timedelta(seconds=street_totals.SECONDS), tick=False):
        assert s.totals() == (0, 0) and s.whole_counts == 2


def test_the_street_figures_on_the_first_page_use_them(client, street):
    """`period_sql.totals` for a street goes through the kept copy and agrees with the count
    made afresh after a change; a community's is its own count."""
    s = street
    first = s.report(0)
    assert period_sql.totals(s.d.street, END) == reports.totals(s.d.street, END) == (1, 0)
    s.resolve(first, 0)
    assert period_sql.totals(s.d.street, END) == reports.totals(s.d.street, END) == (1, 1)
    c = s.d.communities[0]
    assert period_sql.totals(c, END) == reports.totals(c, END) == (1, 1)
    assert period_sql.totals(s.d.communities[1], END) == (0, 0)


def test_each_street_and_period_end_is_kept_apart(client, street):
    s = street
    s.report(0)
    other = make_district(street_name="另一街道", communities=2, alleys_per_community=1)
    body = {"board_code": other.boards[0].code, "category": "环境卫生", "content": "井盖松了"}
    for _ in range(2):
        _post(client, "/issues", s.resident, body, status=201)
    earlier = datetime(2020, 1, 1)  # before every item
    for _ in range(2):  # each read after the others' copies were made
        assert period_sql.totals(s.d.street, END) == (1, 0)
        assert period_sql.totals(other.street, END) == (2, 0)
        assert period_sql.totals(s.d.street, earlier) == (0, 0)


def test_a_change_at_the_same_instant_is_brought_up_to_date_not_counted_whole(client, street):
    s = street
    with time_machine.travel(utcnow(), tick=False):
        first = s.report(0)
        assert s.totals() == (1, 0)
        s.resolve(first, 0)
        assert s.totals() == (1, 1)
    assert s.whole_counts == 1 and s.recounted == [s.d.communities[0].id]


def test_past_a_number_of_changed_items_the_street_is_counted_whole(client, street, monkeypatch):
    monkeypatch.setattr(street_totals, "ITEMS_MAX", 2)
    s = street
    s.report(0)
    assert s.totals() == (1, 0)
    s.report(0)
    s.report(0)  # two items changed (new): recounted where they are
    assert s.totals() == (3, 0) and s.whole_counts == 1
    for _ in range(3):  # three: the street counted whole
        s.report(0)
    assert s.totals() == (6, 0) and s.whole_counts == 2


def test_after_a_whole_count_forced_by_the_trail_later_changes_are_brought_up_to_date(
    client, street
):
    s = street
    item = s.report(0)
    assert s.totals() == (1, 0)
    audit.record("issue.import", "issue", None)
    assert s.totals() == (1, 0) and s.whole_counts == 2
    s.resolve(item, 0)
    assert s.totals() == (1, 1) and s.whole_counts == 2
    assert s.recounted == [s.d.communities[0].id]
