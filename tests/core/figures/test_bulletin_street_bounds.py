"""What a street's monthly bulletin counts (`core.figures.bulletin`): only its own communities'
items — another street's resolved and overdue items never enter its 办结方式 or its 超期最久 —
and, for 关注最多, only items reported within the month, to the second. The one-community
street is `test_bulletin_figures.py`'s `small_street`."""

from __future__ import annotations

from core.figures import bulletin
from core.figures.bulletin import Month
from tests.core.figures import test_bulletin_figures
from tests.factories import login_steward, make_district

small_street = test_bulletin_figures.small_street
_at, _act = test_bulletin_figures._at, test_bulletin_figures._act


def _report(client, board, headers, content) -> int:
    body = {"board_code": board.code, "category": "环境卫生", "content": content}
    return _act(client, "/issues", headers, body)["id"]


def test_another_streets_items_are_neither_counted_nor_listed_in_this_streets_bulletin(
    small_street, client
):
    w = small_street
    with _at(2026, 10, 1):
        other = make_district(street_name="另一街道", communities=1, alleys_per_community=1)
    other_steward = login_steward(client, other.stewards[0])
    resident = w["people"]["甲"]
    with _at(2026, 11, 2):
        ours = _report(client, w["d"].boards[0], resident, "本街道没人管的事")
        _report(client, other.boards[0], resident, "另一街道没人管的事")
        theirs_done = _report(client, other.boards[0], resident, "另一街道办完的事")
    with _at(2026, 11, 3):
        _act(client, f"/issues/{theirs_done}/resolve", other_steward, {"note": "已处理"})
    with _at(2026, 12, 2):
        b = bulletin.build(w["d"].street, Month(2026, 11))
    assert [n.id for n in b.longest_overdue] == [ours]
    assert b.levels == {"现场解决": 0, "上报社区": 0, "吹哨联合": 0} and b.resolved == 0
    assert b.total.levels == {}


def test_an_item_reported_as_the_next_month_begins_is_not_among_the_months_most_followed(
    small_street, client
):
    w = small_street
    board, people = w["d"].boards[0], w["people"]
    with _at(2026, 11, 30, 23, 59, 59):  # November's last second
        november = _report(client, board, people["甲"], "十一月最后一秒的事")
        _act(client, f"/issues/{november}/follow", people["乙"])
    with _at(2026, 12, 1, 0, 0, 0):  # December's first moment: the end of November
        december = _report(client, board, people["甲"], "十二月第一刻的事")
        for who in "丙丁戊":
            _act(client, f"/issues/{december}/follow", people[who])
    with _at(2026, 12, 2):
        b = bulletin.build(w["d"].street, Month(2026, 11))
    assert [(n.id, n.followers) for n in b.most_followed] == [(november, 1)]
