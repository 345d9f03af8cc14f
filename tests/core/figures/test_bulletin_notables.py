"""The monthly bulletin's 超期最久 counts whole days past the deadline at the month's end
(`core.figures.bulletin._notables`): an item less than a day late is listed, at 0 days, not
rounded up to a day it has not yet been late."""

from __future__ import annotations

from core.figures import bulletin
from core.figures.bulletin import Month
from tests.core.figures import test_bulletin_figures

small_street = test_bulletin_figures.small_street
_at, _report = test_bulletin_figures._at, test_bulletin_figures._report


def test_an_item_hours_past_its_deadline_at_the_months_end_is_overdue_by_0_whole_days(
    small_street, client
):
    w = small_street
    with _at(2026, 11, 28, 10):  # due 48 hours later: 30 November 10:00, 14 hours before the end
        late = _report(client, w, content="月底前两天的事")
    with _at(2026, 12, 2):
        b = bulletin.build(w["d"].street, Month(2026, 11))
    assert [(n.id, n.overdue_days) for n in b.longest_overdue] == [(late, 0)]
    assert "超期 0 天" in bulletin.plain_text(b)
