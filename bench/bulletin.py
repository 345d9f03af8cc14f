"""Monthly bulletin benchmark: a street of 40 communities, 2,000 stewards and 1,000,000 issues.

The street: 40 communities of 5 alleys (200 alleys, 10 stewards each), 10 street departments and
a property company per community, 1,000,000 issues spread evenly over two years (last month
holds about 41,000 of them); one in 20 whistled to a unit (报到 within a day or two, the
resolution level 吹哨联合), the others solved on the spot or by the community; a few thousand
followers on last month's items. Loaded with bulk SQL and ANALYZEd, as `bench.reports` does.

What is timed, for last month:

* baseline — one `COUNT(*)` of each community's items reported in the month: the least any
  per-community figure can cost. "bulletin / baseline" says what the real thing adds.
* the bulletin — the figures (`core.figures.bulletin.build`), the PDF and the xlsx: within 20 s.
* queries — counted from peewee's log for the figures, before and after the street gains 40
  more communities (with items of their own): the count may not grow.

`python -m bench.bulletin [--pg URL] [--issues N]`.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import scaffold
from bench.reports import _bulk

COMMUNITIES = 40
ALLEYS_PER_COMMUNITY = 5
STEWARDS_PER_ALLEY = 10
DEPARTMENTS = 10
ISSUES = 1_000_000
BUDGET = 20.0
CHUNK = 20_000
CATEGORIES = ("环境卫生", "车辆乱停", "私拉电线/安全隐患", "设施损坏", "邻里纠纷", "其他")
LEVELS = ("现场解决", "现场解决", "现场解决", "上报社区")
ISSUE_COLUMNS = (
    "id, number, alley_id, community_id, category, content, photo_ids, resolution_photo_ids,"
    " source, status, priority, deadline, visibility, accepted_at, resolved_at, rating,"
    " rated_at, closed_at, reopen_count, anonymous, created_at, updated_at, department_id,"
    " whistled_at, checked_in_at, resolution_level"
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _areas(first_id: int, count: int, street: int = 1):
    """(id, parent, kind, name, path) rows of `count` communities with a grid and alleys each."""
    rows, communities, alleys = [], [], []
    next_id = first_id
    for _ in range(count):
        cid, gid = next_id, next_id + 1
        next_id += 2
        rows.append((cid, street, "community", f"社区{cid:04d}", f"/{street}/{cid}/"))
        rows.append((gid, cid, "grid", f"网格{cid:04d}", f"/{street}/{cid}/{gid}/"))
        communities.append(cid)
        for _ in range(ALLEYS_PER_COMMUNITY):
            aid = next_id
            next_id += 1
            rows.append((aid, gid, "alley", f"巷{aid:05d}", f"/{street}/{cid}/{gid}/{aid}/"))
            alleys.append((aid, cid))
    return rows, communities, alleys, next_id


def _issue_rows(first_id, count, alleys, units_of, now, rng, span_days=730):
    span = timedelta(days=span_days).total_seconds()
    for i in range(first_id, first_id + count):
        alley, community = alleys[rng.randrange(len(alleys))]
        age = timedelta(seconds=span * rng.random())
        created = now - age
        deadline = created + timedelta(days=2)
        unit = whistled = checked_in = level = None
        if rng.random() < 0.05:
            unit = rng.choice(units_of[community])
            whistled = created + timedelta(hours=4)
            checked_in = whistled + timedelta(hours=rng.randint(2, 40))
            deadline = whistled + timedelta(days=3)
        open_share = 0.33 if age < timedelta(days=10) else 0.005
        if rng.random() < open_share:
            status = "whistled" if unit else rng.choice(("submitted", "accepted", "escalated"))
            accepted = created + timedelta(hours=3) if status != "submitted" else None
            resolved = rated = rating = closed = None
        else:
            status = "closed"
            accepted = created + timedelta(hours=rng.randint(1, 30))
            resolved = accepted + timedelta(hours=rng.randint(1, 60))
            closed = resolved + timedelta(days=1)
            rating = rng.choice((5, 5, 4, 4, 3, 2, None))
            rated = closed if rating else None
            level = "联合处置" if unit else rng.choice(LEVELS)
        yield (
            i, f"B{i:010d}", alley, community, rng.choice(CATEGORIES), "基准测试诉求内容", "[]",
            "[]", "resident", status, "ordinary", deadline, "public", accepted, resolved, rating,
            rated, closed, 0, False, created, created, unit, whistled, checked_in, level,
        )  # fmt: skip


def load(rng: random.Random, issues: int) -> dict:
    from infra.db import db, is_sqlite

    sqlite = is_sqlite()
    now = _now()
    area_rows, communities, alleys, next_area = _areas(2, COMMUNITIES)
    conn = db.connection()
    cur = conn.cursor()
    with db.atomic():
        _bulk(
            cur,
            "area",
            "id, parent_id, kind, name, path, active, created_at, updated_at",
            [(1, None, "street", "基准街道", "/1/", True, now - timedelta(days=800), now)]
            + [(*r, True, now, now) for r in area_rows],
            sqlite,
        )
        steward_rows, links = [], []
        sid = 0
        for alley, _ in alleys:
            for _ in range(STEWARDS_PER_ALLEY):
                sid += 1
                steward_rows.append(
                    (sid, f"管家{sid}", f"170{sid:08d}", "", "[]", 20, True, now, now)
                )
                links.append((sid, sid, alley, False, now))
        _bulk(
            cur,
            "steward",
            "id, name, phone, duties, posts, households, active, created_at, updated_at",
            steward_rows,
            sqlite,
        )
        _bulk(
            cur, "steward_alley", "id, steward_id, alley_id, is_leader, created_at", links, sqlite
        )
        units, units_of = [], {}
        for n in range(DEPARTMENTS):
            units.append((n + 1, 1, f"部门{n}", "department", "", "", True, now))
        for n, c in enumerate(communities):
            uid = DEPARTMENTS + n + 1
            units.append((uid, c, f"物业{c}", "property", "", "", True, now))
            units_of[c] = [*range(1, DEPARTMENTS + 1), uid]
        _bulk(
            cur,
            "department",
            "id, area_id, name, kind, contact_name, phone, active, created_at",
            units,
            sqlite,
        )
        _bulk(
            cur,
            "user",
            "id, openid, nickname, created_at",
            [(n, f"bench-{n}", f"居民{n}", now) for n in range(1, 201)],
            sqlite,
        )
    batch = []
    for row in _issue_rows(1, issues, alleys, units_of, now, rng):
        batch.append(row)
        if len(batch) >= CHUNK:
            with db.atomic():
                _bulk(cur, "issue", ISSUE_COLUMNS, batch, sqlite)
            batch = []
    with db.atomic():
        _bulk(cur, "issue", ISSUE_COLUMNS, batch, sqlite)
    # followers on recent items: a few thousand, up to a dozen on one
    last_month_start = now - timedelta(days=45)
    followers, fid = [], 0
    from models import Issue

    recent = [
        i.id for i in Issue.select(Issue.id).where(Issue.created_at >= last_month_start).limit(3000)
    ]
    for issue_id in recent:
        for user in rng.sample(range(1, 201), rng.randint(0, 3) if rng.random() < 0.9 else 12):
            fid += 1
            followers.append((fid, issue_id, user, now))
    with db.atomic():
        _bulk(cur, "issue_follower", "id, issue_id, user_id, created_at", followers, sqlite)
    if not sqlite:
        for table in ("area", "steward", "steward_alley", "department", "user", "issue"):
            db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                f' (SELECT MAX(id) FROM "{table}"))'
            )
        if followers:
            db.execute_sql(
                "SELECT setval(pg_get_serial_sequence('\"issue_follower\"', 'id'),"
                ' (SELECT MAX(id) FROM "issue_follower"))'
            )
    db.execute_sql("ANALYZE")
    return {"communities": communities, "next_area": next_area, "units_of": units_of}


def _count_queries(fn) -> int:
    seen = []
    handler = logging.Handler()
    # A pooled connection's first use of a compiled query PREPAREs it (PostgreSQL): not a query.
    handler.emit = lambda record: None if "PREPARE " in record.getMessage() else seen.append(record)
    logger = logging.getLogger("peewee")
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False  # counted, not printed
    try:
        fn()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
    return len(seen)


def _grow(data: dict, rng: random.Random) -> int:
    """40 more communities with a month of items each: the street doubles."""
    from infra.db import db, is_sqlite

    sqlite = is_sqlite()
    now = _now()
    rows, communities, alleys, _ = _areas(data["next_area"], COMMUNITIES)
    units_of = {c: list(range(1, DEPARTMENTS + 1)) for c in communities}
    first = 10_000_000
    cur = db.connection().cursor()
    with db.atomic():
        _bulk(
            cur,
            "area",
            "id, parent_id, kind, name, path, active, created_at, updated_at",
            [(*r, True, now, now) for r in rows],
            sqlite,
        )
        items = list(_issue_rows(first, 2_000, alleys, units_of, now, rng, span_days=60))
        _bulk(cur, "issue", ISSUE_COLUMNS, items, sqlite)
    return len(communities)


def measure(label: str, data: dict, rng: random.Random) -> bool:
    from core.figures import bulletin, bulletin_pdf, bulletin_xlsx
    from infra.timeutil import local_midnight_utc, to_local, utcnow
    from models import Area, Issue

    street = Area.get_by_id(1)
    month = bulletin.Month.of(to_local(utcnow()).date()).previous()
    start, end = local_midnight_utc(month.first), local_midnight_utc(month.end)

    t0 = time.perf_counter()
    for c in data["communities"]:
        Issue.select().where(
            (Issue.community == c) & (Issue.created_at >= start) & (Issue.created_at < end)
        ).count()
    baseline = time.perf_counter() - t0

    t0 = time.perf_counter()
    b = bulletin.build(street, month)
    figures_time = time.perf_counter() - t0
    pdf = bulletin_pdf.render(b)
    pdf_time = time.perf_counter() - t0 - figures_time
    xlsx = bulletin_xlsx.render(b)
    total = time.perf_counter() - t0
    xlsx_time = total - figures_time - pdf_time

    q_before = _count_queries(lambda: bulletin.build(street, month))
    added = _grow(data, rng)
    q_after = _count_queries(lambda: bulletin.build(street, month))
    after = bulletin.build(street, month)

    print(f"\n[{label}]  {month.label}：{b.total.volume:,} 件，{len(b.units)} 个单位")
    print(f"  基线（每社区一次当月 COUNT）  {baseline:6.2f} s")
    print(
        f"  月度通报（统计 + PDF + Excel）{total:6.2f} s  预算 {BUDGET:.0f} s"
        f"（{total / BUDGET:.0%}）  是基线的 {total / baseline:.1f} 倍"
    )
    print(
        f"    其中：统计 {figures_time:.2f} s，PDF {pdf_time:.2f} s（{len(pdf) // 1024} KB），"
        f"Excel {xlsx_time:.2f} s（{len(xlsx) // 1024} KB）"
    )
    same = q_before == q_after
    print(
        f"  统计 SQL 条数：{len(b.communities)} 个社区 {q_before} 条，"
        f"再加 {added} 个社区（共 {len(after.communities)} 个）{q_after} 条"
        f"（{'不随社区数增长' if same else '随社区数增长！'}）"
    )
    return total < BUDGET and same and len(after.communities) == len(b.communities) + added


def bench_database(label: str, workdir: Path, pg_url: str | None, issues: int) -> bool:
    from bench.roster_import import fresh_database

    rng = random.Random(20261207)
    with fresh_database(workdir, pg_url):
        start = time.perf_counter()
        data = load(rng, issues)
        print(f"\n[{label}] 装载 {issues:,} 条诉求用时 {time.perf_counter() - start:.1f} s")
        return measure(label, data, rng)


def run(pg_url: str | None = None, issues: int = ISSUES) -> int:
    scaffold.clean_environment()
    stewards = COMMUNITIES * ALLEYS_PER_COMMUNITY * STEWARDS_PER_ALLEY
    print(
        f"月度通报基准：1 个街道，{COMMUNITIES} 个社区，{stewards:,} 位管家，"
        f"{DEPARTMENTS + COMMUNITIES} 个部门与物业，{issues:,} 条历史诉求"
    )
    return scaffold.on_each_database(bench_database, pg_url, issues)


def main(argv: list[str] | None = None) -> int:
    # the PostgreSQL to use defaults to TEST_DATABASE_URL (set by scripts/with-postgres.sh)
    args = scaffold.issues_command("python -m bench.bulletin", ISSUES).parse_args(argv)
    return run(pg_url=args.pg or os.environ.get("TEST_DATABASE_URL"), issues=args.issues)


if __name__ == "__main__":
    sys.exit(main())
