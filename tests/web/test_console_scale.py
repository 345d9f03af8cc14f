"""The console at district scale (issue 28): the community's and the street's 首页 and the 诉求
list read a fixed number of queries however many items there are — counts are SQL aggregates,
lists are one page read with its alleys, never a query per item; the lists count up to a cap
(`core.paging`) and page on past it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine

from core import paging
from core.items import lists
from core.items.lists import IssueFilters
from core.people.permissions import Principal
from infra.db import db
from infra.timeutil import utcnow
from models import Issue, User
from tests.console_world import build, console_login
from web.console.items import PER_PAGE

PAGES = ("/console/", "/console/issues", "/console/issues?overdue=1", "/console/review")


def _queries(client, path: str) -> int:
    """The SQL statements one request of `path` runs (PostgreSQL's PREPAREs left out: a
    connection prepares a compiled query once)."""
    real = db.obj.execute_sql
    statements = []

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return real(sql, params, *args, **kwargs)

    db.obj.execute_sql = counting
    try:
        res = client.get(path)
    finally:
        db.obj.execute_sql = real
    assert res.status_code == 200, path
    return len([sql for sql in statements if not sql.startswith("PREPARE ")])


def _more_items(w, n: int, first: int = 0) -> None:
    """`n` more items in 第1社区's alleys, of every queue: overdue, escalated, whistled, held,
    not yet accepted, closed."""
    now = utcnow()
    kinds = [
        ("submitted", "public", now - timedelta(days=1)),
        ("accepted", "public", now - timedelta(hours=2)),
        ("escalated", "public", now + timedelta(days=1)),
        ("whistled", "public", now + timedelta(days=2)),
        ("submitted", "held", now + timedelta(days=3)),
        ("closed", "public", now - timedelta(days=5)),
    ]
    alleys = [a for a in w.d.alleys if a.path.startswith(w.d.communities[0].path)]
    for k in range(first, first + n):
        status, visibility, deadline = kinds[k % len(kinds)]
        Issue.create(
            number=f"S98{k:04d}",
            alley=alleys[k % len(alleys)],
            community=w.d.communities[0],
            category="环境卫生",
            content=f"第 {k} 件",
            status=status,
            visibility=visibility,
            deadline=deadline,
        )


def test_console_pages_read_as_many_queries_with_ten_times_the_items(capp):
    w = build(capp)
    _more_items(w, 10)  # every queue holds something, none yet holds a full page
    community = console_login(capp.test_client(), "secretary1")
    street = console_login(capp.test_client(), "streetadmin")
    for client in (community, street):  # a session's first request also notes its use
        client.get("/console/")
        for p in PAGES:  # and what is kept between changes is read once, both times alike
            client.get(p)
    before = {
        (who, p): _queries(c, p) for who, c in (("c", community), ("s", street)) for p in PAGES
    }
    _more_items(w, 100, first=10)  # ten times as many: the lists' first pages are now full
    after = {
        (who, p): _queries(c, p) for who, c in (("c", community), ("s", street)) for p in PAGES
    }
    assert after == before


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'href="/console/issues/(\d+)"', html)]


def _community_list(w) -> list[int]:
    """The 诉求 list of 第1社区's secretary, every row in order (the exact oracle)."""
    p = Principal.for_user(User.get_by_id(w.staff.user_id))
    return [i.id for i in lists.issue_list(p, IssueFilters())]


def test_the_list_counts_exactly_up_to_the_cap_and_says_more_past_it(capp, monkeypatch):
    w = build(capp)
    _more_items(w, 40)
    every = _community_list(w)
    client = console_login(capp.test_client(), "secretary1")

    monkeypatch.setattr(paging, "COUNT_CAP", len(every))  # exactly at the cap: the exact count
    html = client.get("/console/issues").get_data(as_text=True)
    assert f"共 {len(every)} 条" in html and "+ 条" not in html
    assert "第 1 / 2 页" in html

    monkeypatch.setattr(paging, "COUNT_CAP", len(every) - 1)  # one row past it: "N+"
    html = client.get("/console/issues").get_data(as_text=True)
    assert f"共 {len(every) - 1}+ 条" in html
    assert "第 1 页" in html and "第 1 /" not in html and "下一页" in html
    assert _ids(html) == every[:PER_PAGE]


def test_paging_across_the_cap_reads_every_row_once_and_the_last_page_exactly(capp, monkeypatch):
    w = build(capp)
    _more_items(w, 100)
    every = _community_list(w)
    last = (len(every) + PER_PAGE - 1) // PER_PAGE
    assert last >= 4
    monkeypatch.setattr(paging, "COUNT_CAP", PER_PAGE + 1)  # capped from the first page on
    client = console_login(capp.test_client(), "secretary1")
    seen = []
    for page in range(1, last + 1):
        html = client.get(f"/console/issues?page={page}").get_data(as_text=True)
        seen += _ids(html)
        if page < last:  # counted to the end of this page and one more: "N+", a next page
            assert f"共 {max(PER_PAGE + 1, page * PER_PAGE)}+ 条" in html, page
            assert "下一页" in html and f"第 {page} 页" in html
    # the last page is counted to its end: exact, no next page
    assert f"共 {len(every)} 条" in html and f"第 {last} / {last} 页" in html
    assert "下一页" not in html
    assert seen == every
    html = client.get(f"/console/issues?page={last + 1}").get_data(as_text=True)
    assert _ids(html) == [] and "没有符合条件的诉求" in html


def test_the_overdue_list_turns_at_the_deadline_s_second(capp):
    w = build(capp)
    clock = datetime(2026, 12, 8, 2, 0, 0, tzinfo=UTC)
    now = clock.replace(tzinfo=None)  # the columns hold naive UTC (infra.timeutil.utcnow)
    alley = next(a for a in w.d.alleys if a.path.startswith(w.d.communities[0].path))

    def item(number: str, deadline: datetime) -> int:
        return Issue.create(
            number=number,
            alley=alley,
            community=w.d.communities[0],
            category="环境卫生",
            content=number,
            status="accepted",
            deadline=deadline,
            created_at=now - timedelta(days=9),
        ).id

    at_now = item("S99000001", now)
    second_before = item("S99000002", now - timedelta(seconds=1))
    with time_machine.travel(clock, tick=False):
        client = console_login(capp.test_client(), "secretary1")
        listed = _ids(client.get("/console/issues?overdue=1").get_data(as_text=True))
    assert second_before in listed and at_now not in listed  # overdue only once it has passed
    with time_machine.travel(clock + timedelta(seconds=1), tick=False):
        client = console_login(capp.test_client(), "secretary1")
        listed = _ids(client.get("/console/issues?overdue=1").get_data(as_text=True))
    assert second_before in listed and at_now in listed
