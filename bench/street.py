"""Street dashboard benchmark: a street of 40 communities, 2,000 stewards, 12 handling units and
1,000,000 past issues.

The street: 40 communities of 5 alleys (200 alleys), 10 stewards an alley, 8 departments on the
street and 4 property companies on communities; 1,000,000 issues spread evenly over two years
(about 1,370 a day, ids in the order they were reported), one in twenty whistled to a unit (checked in or not, resolved or not), of
older items one in 200 still open, of the last ten days a third. Data is loaded with bulk SQL,
then ANALYZEd.

What is timed:

* baseline — one grouped `COUNT(*)` of the month's issues per community: the least any table
  of this month's communities can cost. "league / baseline" says what the real figures add.
* league — `core.figures.league.league` for this month (the dashboard's default period), the
  last 31 days (a whole month, as the last day of a month shows): each under 1 s; and the last
  366 days (the longest period the console accepts; against a grouped `COUNT` of those days):
  1 s is its target, reported but not yet held (docs/benchmarks.md).
* page — `GET /console/street` as the street's admin, figures and template (the 1 s budget).
* queries — counted from peewee's log for the league with 40 communities and after 40 more
  communities and 40 more units are added: they may not grow (nine).
* street report — `core.figures.street_report.build` for yesterday (reported).

`python -m bench.street [--pg URL] [--issues N]`.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import scaffold
from bench.reports import _bulk, _count_queries

COMMUNITIES = 40
ALLEYS_PER_COMMUNITY = 5
STEWARDS_PER_ALLEY = 10
DEPARTMENTS = 8
PROPERTIES = 4
ISSUES = 1_000_000
WHISTLED_SHARE = 0.05
BUDGET = 1.0
CHUNK = 20_000
STREET = "基准街道"  # area 1: also how bench.console knows a kept district
CATEGORIES = ("环境卫生", "车辆乱停", "私拉电线/安全隐患", "设施损坏", "邻里纠纷", "其他")
COLUMNS = (
    "id, number, alley_id, community_id, category, content, photo_ids, resolution_photo_ids,"
    " source, status, priority, deadline, visibility, accepted_at, resolved_at, rating,"
    " rated_at, closed_at, reopen_count, anonymous, department_id, whistled_at, checked_in_at,"
    " created_at, updated_at"
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _areas():
    rows = [(1, None, "street", STREET, "/1/")]
    next_id = 2
    communities, alleys = [], []
    for c in range(COMMUNITIES):
        cid, gid = next_id, next_id + 1
        next_id += 2
        rows.append((cid, 1, "community", f"社区{c:02d}", f"/1/{cid}/"))
        rows.append((gid, cid, "grid", f"网格{c:02d}", f"/1/{cid}/{gid}/"))
        communities.append(cid)
        for a in range(ALLEYS_PER_COMMUNITY):
            rows.append((next_id, gid, "alley", f"巷{c:02d}-{a}", f"/1/{cid}/{gid}/{next_id}/"))
            alleys.append((next_id, cid))
            next_id += 1
    return rows, communities, alleys


def _issues(
    alleys, units: list[int], now: datetime, rng: random.Random, count: int, days: int = 730
):
    span = timedelta(days=days).total_seconds()
    for i in range(1, count + 1):
        alley, community = alleys[rng.randrange(len(alleys))]
        # in the order they were reported, as a serial id and the clock give them in production
        age = timedelta(seconds=span * (count - i) / count)
        created = now - age
        deadline = created + timedelta(days=2)
        unit = whistled = checked_in = None
        if rng.random() < WHISTLED_SHARE:
            unit = units[rng.randrange(len(units))]
            whistled = created + timedelta(hours=2)
            deadline = whistled + timedelta(days=2)
            if rng.random() < 0.8:
                checked_in = whistled + timedelta(hours=rng.randint(1, 40))
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
            rating = rng.choice((5, 5, 4, 4, 3, None))
            rated = closed if rating else None
        yield (
            i,
            f"J{i:010d}",
            alley,
            community,
            rng.choice(CATEGORIES),
            "基准测试诉求内容",
            "[]",
            "[]",
            "resident",
            status,
            "ordinary",
            deadline,
            "public",
            accepted,
            resolved,
            rating,
            rated,
            closed,
            0,
            False,
            unit,
            whistled,
            checked_in,
            created,
            created,
        )


def load(rng: random.Random, count: int, days: int = 730) -> dict:
    """Fill the empty database: the street, and `count` issues over the last `days` days."""
    from infra.db import db, is_sqlite

    sqlite = is_sqlite()
    now = _now()
    area_rows, communities, alleys = _areas()
    cur = db.connection().cursor()
    with db.atomic():
        _bulk(
            cur,
            "area",
            "id, parent_id, kind, name, path, active, created_at, updated_at",
            [(*r, True, now, now) for r in area_rows],
            sqlite,
        )
        steward_rows, links, sid = [], [], 0
        for alley, _ in alleys:
            for _ in range(STEWARDS_PER_ALLEY):
                sid += 1
                steward_rows.append(
                    (sid, f"管家{sid}", f"170{sid:08d}", "", "[]", 10, True, now, now)
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
        units = [(n + 1, 1, f"部门{n}", "department") for n in range(DEPARTMENTS)]
        units += [
            (DEPARTMENTS + n + 1, communities[n], f"物业{n}", "property") for n in range(PROPERTIES)
        ]
        _bulk(
            cur,
            "department",
            "id, area_id, name, kind, contact_name, phone, active, created_at",
            [(*u, "", "", True, now) for u in units],
            sqlite,
        )
    unit_ids = [u[0] for u in units]
    batch = []
    for row in _issues(alleys, unit_ids, now, rng, count, days):
        batch.append(row)
        if len(batch) >= CHUNK:
            with db.atomic():
                _bulk(cur, "issue", COLUMNS, batch, sqlite)
            batch = []
    with db.atomic():
        _bulk(cur, "issue", COLUMNS, batch, sqlite)
    if not sqlite:
        for table in ("area", "steward", "steward_alley", "department", "issue"):
            db.execute_sql(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                f' (SELECT MAX(id) FROM "{table}"))'
            )
    db.execute_sql("ANALYZE")
    return {"communities": communities, "next_area": len(area_rows) + 1}


def _timed(fn, repeat: int = 3) -> float:
    """The best of `repeat` runs (the first warms the caches and compiles)."""
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        took = time.perf_counter() - start
        best = took if best is None else min(best, took)
    return best


def measure(label: str, loaded: dict) -> bool:
    from peewee import fn

    from core.figures import league, street_report
    from core.people import areas, auth
    from core.units import units
    from infra.timeutil import local_midnight_utc, to_local, utcnow
    from models import Area, Issue

    street = Area.get_by_id(1)
    today = to_local(utcnow()).date()
    first = today.replace(day=1)
    start = local_midnight_utc(first)
    ids = loaded["communities"]

    def baseline_query():
        return list(
            Issue.select(Issue.community, fn.COUNT(Issue.id))
            .where(Issue.community.in_(ids) & (Issue.created_at >= start))
            .group_by(Issue.community)
            .tuples()
        )

    year_first = today - timedelta(days=365)
    year_start = local_midnight_utc(year_first)

    def year_baseline_query():
        return list(
            Issue.select(Issue.community, fn.COUNT(Issue.id))
            .where(Issue.community.in_(ids) & (Issue.created_at >= year_start))
            .group_by(Issue.community)
            .tuples()
        )

    baseline = _timed(baseline_query)
    year_baseline = _timed(year_baseline_query)
    month = _timed(lambda: league.league(street, first, today))
    # a whole month's worth, as on the last day of a month (the 1st's view is the shortest)
    full_month = _timed(lambda: league.league(street, today - timedelta(days=30), today))
    year = _timed(lambda: league.league(street, year_first, today), repeat=1)
    report = _timed(lambda: street_report.build(street, today - timedelta(days=1)), repeat=1)

    from flask import current_app

    auth.create_staff("bench-jiedao", "bench-password", street, "street")
    client = current_app.test_client()
    page = client.get("/console/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    client.post(
        "/console/login",
        data={"username": "bench-jiedao", "password": "bench-password", "csrf_token": token},
    )

    def get_page():
        res = client.get("/console/street")
        assert res.status_code == 200, res.status_code

    page_time = _timed(get_page)

    q_before = _count_queries(lambda: league.league(street, first, today))
    for n in range(COMMUNITIES):
        community, _ = areas.child(street, "community", f"加设社区{n:02d}")
        areas.child(community, "alley", f"加设巷{n:02d}")
        units.create(community, f"加设物业{n:02d}", kind="property")
    q_after = _count_queries(lambda: league.league(street, first, today))

    print(f"\n[{label}]")
    print(f"  基线（一次分组 COUNT 本月各社区）  {baseline:6.3f} s")
    print(
        f"  本月排名表（{COMMUNITIES} 个社区、{DEPARTMENTS + PROPERTIES} 个单位）"
        f" {month:6.3f} s  预算 {BUDGET:.0f} s（{month / BUDGET:.0%}）  是基线的 {month / baseline:.1f} 倍"
    )
    print(
        f"  近 31 天排名表（整月）            {full_month:6.3f} s  预算 {BUDGET:.0f} s"
        f"（{full_month / BUDGET:.0%}）  是基线的 {full_month / baseline:.1f} 倍"
    )
    print(
        f"  街道总览页面（含模板）          {page_time:6.3f} s  预算 {BUDGET:.0f} s（{page_time / BUDGET:.0%}）"
    )
    print(f"  基线（一次分组 COUNT 近 366 天）  {year_baseline:6.3f} s")
    print(
        f"  近 366 天排名表（最长期间）       {year:6.3f} s  目标 {BUDGET:.0f} s"
        f"（{year / BUDGET:.0%}，{'达到' if year <= BUDGET else '未达到'}，不计入退出码）"
        f"  是其基线的 {year / year_baseline:.1f} 倍"
    )
    print(f"  街道版每日通报                    {report:6.3f} s")
    print(
        f"  排名表 SQL 条数：{COMMUNITIES} 个社区 {q_before} 条，{COMMUNITIES * 2} 个社区 {q_after} 条"
        f"（{'不随社区数增长' if q_before == q_after else '随社区数增长！'}）"
    )
    return month < BUDGET and full_month < BUDGET and page_time < BUDGET and q_before == q_after


def bench_database(label: str, workdir: Path, pg_url: str | None, count: int) -> bool:
    from bench.roster_import import fresh_database

    with fresh_database(workdir, pg_url):
        start = time.perf_counter()
        loaded = load(random.Random(20261207), count)
        print(f"\n[{label}] 装载 {count:,} 条诉求用时 {time.perf_counter() - start:.1f} s")
        return measure(label, loaded)


def run(pg_url: str | None = None, issues: int | None = None) -> int:
    count = issues or ISSUES
    scaffold.clean_environment()
    print(
        f"街道总览基准：{COMMUNITIES} 个社区，{COMMUNITIES * ALLEYS_PER_COMMUNITY * STEWARDS_PER_ALLEY}"
        f" 位管家，{DEPARTMENTS + PROPERTIES} 个单位，{count:,} 条历史诉求"
    )
    return scaffold.on_each_database(bench_database, pg_url, count)


def main(argv: list[str] | None = None) -> int:
    args = scaffold.issues_command("python -m bench.street", ISSUES).parse_args(argv)
    return run(args.pg, args.issues)


if __name__ == "__main__":
    sys.exit(main())
