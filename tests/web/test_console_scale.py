"""The console at district scale (issue 28): the community's and the street's 首页 and the 诉求
list read a fixed number of queries however many items there are — counts are SQL aggregates,
lists are one page read with its alleys, never a query per item."""

from __future__ import annotations

from datetime import timedelta

from infra.db import db
from infra.timeutil import utcnow
from models import Issue
from tests.console_world import build, console_login

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
    before = {
        (who, p): _queries(c, p) for who, c in (("c", community), ("s", street)) for p in PAGES
    }
    _more_items(w, 100, first=10)  # ten times as many: the lists' first pages are now full
    after = {
        (who, p): _queries(c, p) for who, c in (("c", community), ("s", street)) for p in PAGES
    }
    assert after == before
