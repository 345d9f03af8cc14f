"""The length of a monthly bulletin's 红榜 and 待改进 is the configured one
(`BULLETIN_HONOUR_SIZE`), carried from the settings into the bulletin the street receives — not
the built-in 3 — and still at most half the ranked lines."""

from __future__ import annotations

from core.figures import bulletin
from core.figures.bulletin import Month
from tests.core.figures.test_bulletin_figures import _act, _at
from tests.factories import login, make_district


def _four_ranked_communities(app, client):
    """Four communities with one item each in November 2026, ranked from one item up."""
    app.config["RANKING_MIN_VOLUME"] = 1
    with _at(2026, 10, 1):
        d = make_district(communities=4, alleys_per_community=1)
    resident = login(client, "甲")
    with _at(2026, 11, 2):
        for board in d.boards:
            body = {"board_code": board.code, "category": "环境卫生", "content": "巷口有垃圾"}
            _act(client, "/issues", resident, body)
    return d


def test_a_configured_board_of_one_lists_one_community_on_each_board(app, client):
    d = _four_ranked_communities(app, client)
    app.config["BULLETIN_HONOUR_SIZE"] = 1
    with _at(2026, 12, 2):
        b = bulletin.build(d.street, Month(2026, 11))
    assert [x.ranked for x in b.communities] == [True] * 4  # room for two on each board
    assert b.honour_size == 1
    assert [x.name for x in b.honour(b.communities)] == ["第1社区"]
    assert [x.name for x in b.to_improve(b.communities)] == ["第4社区"]
    message = bulletin.card_markdown(b, "https://x.cn/b")
    assert "红榜：第1社区\n" in message and "待改进：第4社区\n" in message
