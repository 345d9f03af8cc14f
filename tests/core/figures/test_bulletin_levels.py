"""How the monthly bulletin tells how each item resolved in the month was solved
(`core.figures.bulletin._levels`) when the item was closed before levels were stored: from the
trail — whistled: 联合处置, escalated: 上报社区, else 现场解决 — read in one query per 500 items,
and not at all when every item has its stored level."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime

from core.figures import bulletin
from core.items import handling
from models import Event
from tests.core.figures.street_story import queries_of

START, END = datetime(2026, 10, 31, 16), datetime(2026, 11, 30, 16)  # November, naive UTC
Item = namedtuple("Item", "id resolved_at resolution_level")


def _trail(issue_id: int, action: str) -> None:
    Event.create(action=action, subject_type="issue", subject_id=issue_id)


def test_the_trail_of_every_item_resolved_without_a_stored_level_is_read_in_chunks_of_500(app):
    resolved = datetime(2026, 11, 10)
    items = [Item(n, resolved, None) for n in range(1, 502)]  # 501 items: two chunks
    _trail(1, "issue.escalate")
    _trail(500, "issue.whistle")
    _trail(501, "issue.whistle")  # the first item of the second chunk
    _trail(501, "issue.escalate")  # the higher step wins, whatever the order
    out = {}
    assert queries_of(lambda: out.update(bulletin._levels(items, START, END))) == 2
    assert (out[1], out[500], out[501]) == (handling.COMMUNITY, handling.JOINT, handling.JOINT)
    assert {out[n] for n in range(2, 500)} == {handling.ON_THE_SPOT} and len(out) == 501


def test_items_with_their_stored_level_need_no_read_of_the_trail(app):
    items = [Item(1, datetime(2026, 11, 10), handling.COMMUNITY)]
    _trail(1, "issue.whistle")  # the stored level wins over the trail
    out = {}
    assert queries_of(lambda: out.update(bulletin._levels(items, START, END))) == 0
    assert out == {1: handling.COMMUNITY}
