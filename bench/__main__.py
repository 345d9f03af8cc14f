"""Run every benchmark: `python -m bench [--quick] [--pg postgresql://…]`.

Each benchmark prints its figures against its budget and a baseline measured in the same run;
the exit status is non-zero when any budget is missed (or a benchmark fails to run).

Without `--pg` a throw-away PostgreSQL is started with scripts/with-postgres.sh (as the test
suite's PostgreSQL leg does), so every benchmark runs on SQLite and on PostgreSQL. `--quick`
is the everyday size (under 3 minutes on an idle 2-core machine): 4 s HTTP loads (POST
10 s), 20,000 issues instead of 1,000,000 for the reports, the street and the bulletin, 100
boards instead of 1,000, and no roster import.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

from bench import board_render, bulletin, console, http, ledger, reports, roster_import, street

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description="运行全部基准测试")
    parser.add_argument(
        "--pg",
        metavar="URL",
        help="在这个 PostgreSQL 数据库上测试（须为空库，测试结束后会删除所建的表）；"
        "不给时自动启动一个临时的（scripts/with-postgres.sh）",
    )
    parser.add_argument("--quick", action="store_true", help="日常使用的小规模（3 分钟内）")
    args = parser.parse_args(argv)
    pg_url = args.pg or os.environ.get("TEST_DATABASE_URL")
    if not pg_url:
        # The same throw-away server the tests use; it sets TEST_DATABASE_URL for the rerun.
        script = ROOT / "scripts" / "with-postgres.sh"
        return subprocess.call([str(script), sys.executable, "-m", "bench", *argv], cwd=ROOT)

    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens in a log
    started = time.monotonic()
    if args.quick:
        plan = [
            ("http", lambda: http.run(pg_url=pg_url, quick=True)),
            ("reports", lambda: reports.run(pg_url=pg_url, issues=20_000)),
            ("street", lambda: street.run(pg_url=pg_url, issues=20_000)),
            ("bulletin", lambda: bulletin.run(pg_url=pg_url, issues=20_000)),
            ("console", lambda: console.run(pg_url=pg_url, issues=20_000, seconds=2)),
            ("board_render", lambda: board_render.run(pg_url=pg_url, boards=100)),
            ("ledger", lambda: ledger.run(pg_url=pg_url, issues=5_000)),
        ]
    else:
        plan = [
            ("http", lambda: http.run(pg_url=pg_url)),
            ("reports", lambda: reports.run(pg_url=pg_url)),
            ("street", lambda: street.run(pg_url=pg_url)),
            ("bulletin", lambda: bulletin.run(pg_url=pg_url)),
            ("console", lambda: console.run(pg_url=pg_url)),
            ("roster_import", lambda: roster_import.run(pg_url=pg_url)),
            ("board_render", lambda: board_render.run(pg_url=pg_url)),
            ("ledger", lambda: ledger.run(pg_url=pg_url)),
        ]
    failed = []
    for name, bench in plan:
        print(f"\n===== {name} =====", flush=True)
        try:
            status = bench()
        except (Exception, SystemExit):
            traceback.print_exc()
            status = 1
        if status:
            failed.append(name)
        sys.stdout.flush()
    minutes = (time.monotonic() - started) / 60
    if args.quick:
        print("\n（快速模式不含名单导入；完整规模请运行 make bench）")
    if failed:
        print(f"\n基准未达标：{'、'.join(failed)}（用时 {minutes:.1f} 分钟）")
        return 1
    print(f"\n全部基准达标（用时 {minutes:.1f} 分钟）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
