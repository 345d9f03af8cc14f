"""Ledger export benchmark: a street's month of 50,000 issues as the full 台账 and as its 打印版.

The street of `bench.street` (40 communities, 200 alleys, 2,000 stewards, 12 units) with 50,000
issues over the last 28 days, each assigned to one steward of its alley; ANALYZEd.

What is measured, each export in a child process of its own (so its peak memory is its own):

* baseline — the floor: the same number of rows of 27 plain values written by openpyxl in
  write-only mode, no database, no styles. "export / baseline" is what the ledger adds.
* full — `core.figures.ledger.workbook` for the street and the period: every sheet, every
  column (the 15 s budget), and how much the process grew while writing it (bounded: the
  sheets stream to disk a page of issues at a time; the budget is 200 MB).
* print — `core.figures.ledger_print.workbook`, the 打印版 (same budgets).

`python -m bench.ledger [--pg URL] [--issues N]`.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench import scaffold

ISSUES = 50_000
DAYS = 28
BUDGET_SECONDS = 15.0
BUDGET_GROWTH_MB = 200
COLUMNS = 27  # the full ledger's issue sheet


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _baseline(rows: int) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("baseline")
    row = [f"值{c}" for c in range(COLUMNS)]
    for n in range(rows):
        row[0] = n
        ws.append(row)
    wb.save(os.devnull)


def _export(kind: str, first, last) -> None:
    from core.figures import ledger, ledger_print
    from models import Area

    street = Area.get(Area.parent.is_null())
    if kind == "full":
        ledger.workbook(street, first, last)
    else:
        ledger_print.workbook(street, first, last, "基准")


def _child(kind: str, first, last, rows: int, out) -> None:
    from infra.db import db

    db.close()  # the parent's connection is not ours to share
    db.connect()
    start_rss = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    if kind == "baseline":
        _baseline(rows)
    else:
        _export(kind, first, last)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    db.close()
    out.send((took, cpu, max(0.0, peak - start_rss)))


def _in_child(kind: str, first, last, rows: int) -> tuple[float, float, float]:
    from infra.db import db

    db.close()
    ctx = multiprocessing.get_context("fork")  # the child keeps the app context
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(kind, first, last, rows, send))
    proc.start()
    result = receive.recv()
    proc.join()
    db.connect(reuse_if_open=True)
    return result


def bench_database(label: str, workdir: Path, pg_url: str | None, count: int) -> bool:
    from bench import street
    from bench.roster_import import fresh_database
    from infra.db import db
    from infra.timeutil import to_local, utcnow

    with fresh_database(workdir, pg_url):
        start = time.perf_counter()
        street.load(random.Random(20261207), count, days=DAYS)
        db.execute_sql(
            "INSERT INTO issue_assignee (issue_id, steward_id, created_at)"
            " SELECT i.id, MIN(sa.steward_id), i.created_at FROM issue i"
            " JOIN steward_alley sa ON sa.alley_id = i.alley_id GROUP BY i.id, i.created_at"
        )
        db.execute_sql("ANALYZE")
        print(f"\n[{label}] 装载 {count:,} 条诉求用时 {time.perf_counter() - start:.1f} s")
        last = to_local(utcnow()).date()
        first = last - timedelta(days=DAYS + 1)
        base, base_cpu, base_mb = _in_child("baseline", first, last, count)
        print(
            f"  基线（openpyxl 只写模式写 {count:,} 行×{COLUMNS} 列纯值）：{base:.2f} s"
            f"（CPU {base_cpu:.2f} s），内存增长 {base_mb:.0f} MB"
        )
        ok = True
        for kind, name in (("full", "完整台账"), ("print", "打印版")):
            took, cpu, grown = _in_child(kind, first, last, count)
            good = took < BUDGET_SECONDS and grown < BUDGET_GROWTH_MB
            ok &= good
            print(
                f"  {name}：{took:.2f} s（CPU {cpu:.2f} s；预算 {BUDGET_SECONDS:.0f} s，"
                f"基线的 {took / base:.1f} 倍），内存增长 {grown:.0f} MB"
                f"（预算 {BUDGET_GROWTH_MB} MB） {'达标' if good else '未达标'}"
            )
        return ok


def run(pg_url: str | None = None, issues: int | None = None) -> int:
    count = issues or ISSUES
    scaffold.clean_environment()
    load = os.getloadavg()[0]
    print(f"台账导出基准：一个街道 {DAYS} 天内 {count:,} 条诉求（机器负载 {load:.1f}）")
    return scaffold.on_each_database(bench_database, pg_url, count)


def main(argv: list[str] | None = None) -> int:
    args = scaffold.issues_command("python -m bench.ledger", ISSUES, "诉求条数").parse_args(argv)
    return run(args.pg, args.issues)


if __name__ == "__main__":
    sys.exit(main())
