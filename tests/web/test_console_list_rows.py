"""What a row of the console's 诉求 and 微心愿 lists shows, column by column, read from the item
itself: the lists read only the columns they show (`core.items.lists.ISSUE_ROW` / `WISH_ROW`),
so a column left out of the reading would show empty here, not fail."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from infra.timeutil import to_local, utcnow
from models import Issue
from tests.console_world import build, console_login

NOON = utcnow().replace(hour=4, minute=0, second=0, microsecond=0)


def _row(html: str, number: str) -> str:
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, re.S) if f">{number}</a>" in r]
    assert len(rows) == 1, number
    return rows[0]


def _cells(row: str) -> list[str]:
    return [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_a_row_of_the_issue_list_shows_each_column_of_its_item(capp):
    with time_machine.travel(NOON, tick=False):
        w = build(capp)
        late = NOON - timedelta(hours=3)
        Issue.update(source="hotline", deadline=late).where(Issue.id == w.held.id).execute()
        Issue.update(deadline=late).where(Issue.id == w.resolved.id).execute()
        held = Issue.get_by_id(w.held.id)
        client = console_login(capp.test_client(), "secretary1")
        html = client.get("/console/issues").get_data(as_text=True)
    cells = _cells(_row(html, held.number))
    assert f'href="/console/issues/{held.id}"' in _row(html, held.number)
    assert cells[1] == w.d.alleys[0].name
    assert cells[2] == held.category
    assert cells[3] == f'<span class="tag warn">上级转办件</span> {held.content}'
    assert cells[4] == '待接单 <span class="tag">待审</span>'
    assert cells[5] == to_local(late).strftime("%m-%d %H:%M") + " 超期"
    assert cells[6] == to_local(held.created_at).strftime("%Y-%m-%d %H:%M")
    public = _cells(_row(html, w.resolved.number))
    assert public[4] == "已办结" and public[5] == to_local(late).strftime("%m-%d %H:%M")


def test_a_row_of_the_wish_list_shows_each_column_of_its_wish(capp):
    with time_machine.travel(NOON, tick=False):
        w = build(capp)
        client = console_login(capp.test_client(), "secretary1")
        html = client.get("/console/wishes").get_data(as_text=True)
    row = _row(html, w.wish2.number)
    assert f'href="/console/wishes/{w.wish2.id}"' in row
    assert _cells(row)[1:] == [
        w.d.alleys[0].name,
        "想学用智能手机",
        "想请志愿者教我用手机视频",
        "待审核",
        to_local(w.wish2.created_at).strftime("%Y-%m-%d %H:%M"),
    ]
