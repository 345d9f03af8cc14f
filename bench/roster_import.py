"""Roster import benchmark: a 5,000-row district roster (CSV and XLSX) into a fresh database.

The roster is realistic in shape: 1 street, 20 communities of 5 grids, 2,500 alleys and
4,000 stewards (1,000 of whom answer for two alleys), optional columns filled in.

What is timed, each on a fresh database:

* dry run — read the file, check every row and plan the writes, but write nothing. This is
  the floor: the cost of the file itself. "import / dry run" is then the factor the database
  work adds; it stays small when writes are batched.
* import — the real thing (`core.people.roster.import_file`), against the 30 s budget.
* re-import — the same file again: nothing to write, but every row is matched.
* naive — the obvious per-row ORM loop (`areas.child` ×4, get-or-create steward and link,
  `create_board`) on a 500-row sample, extrapolated linearly to 5,000 rows. The speed-up
  "naive / import" is what the bulk path buys.

`python -m bench.roster_import [--pg URL]`; the PostgreSQL database must be empty, and the
tables the benchmark creates are dropped again at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROWS = 5_000
COMMUNITIES = 20
GRIDS_PER_COMMUNITY = 5
ALLEYS = 2_500
STEWARDS = 4_000
NAIVE_SAMPLE = 500
BUDGET_SECONDS = 30.0

HEADER = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号", "职责", "企业微信账号", "包联户数"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "秀英建国桂兰志强淑芬德明玉梅文华国平春兰海涛丽娟红梅建军小红永福金凤家豪婷婷子涵佳怡"
ALLEY_WORDS = (
    "南门 槐荫 打铁 仓前 井头 豆腐坊 石板 杨柳 水井 米市 鼓楼 竹竿 柴市 盐仓 花牌 "
    "书院 官塘 磨坊 染坊 油坊 后街 学前 马市 银杏 桂花 梅园 兴隆 太平 长乐 永宁"
).split()
ALLEY_SUFFIXES = ("巷", "里", "弄", "街", "坊")
COMMUNITY_WORDS = (
    "槐树 清河 东关 西关 南关 北关 鼓楼 钟楼 文庙 城隍 状元 太白 凤凰 紫荆 "
    "迎春 向阳 新华 和平 解放 胜利"
).split()
POSTS = ("信息员", "调解员", "劝导员", "守护员")
POST_TEXT = {
    "信息员": "信息员：收集社情民意",
    "调解员": "调解员：化解邻里纠纷",
    "劝导员": "劝导员：劝导乱停乱放",
    "守护员": "守护员：巡查消防通道",
}


# --- the roster ---------------------------------------------------------------------------


def generate_rows(seed: int = 20240501) -> list[list]:
    """5,000 rows: alley a = row // 2; rows past 4,000 give 1,000 stewards a second alley."""
    rng = random.Random(seed)
    alleys_per_grid = ALLEYS // (COMMUNITIES * GRIDS_PER_COMMUNITY)
    stewards = []
    for s in range(STEWARDS):
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        posts = rng.sample(POSTS, rng.randint(1, 3))
        stewards.append(
            (
                name,
                f"1700{s:07d}",
                "；".join(POST_TEXT[p] for p in posts),
                f"wx{s:05d}" if s % 2 == 0 else "",
                rng.randint(10, 80),
            )
        )
    rows = []
    for i in range(ROWS):
        a = i // 2
        grid = a // alleys_per_grid
        community = grid // GRIDS_PER_COMMUNITY
        j = a % alleys_per_grid
        alley = ALLEY_WORDS[j % len(ALLEY_WORDS)] + ALLEY_SUFFIXES[j // len(ALLEY_WORDS)]
        s = i if i < STEWARDS else (i - STEWARDS) * (STEWARDS // (ROWS - STEWARDS))
        name, phone, duties, wecom, households = stewards[s]
        rows.append(
            [
                "城关街道",
                f"{COMMUNITY_WORDS[community]}社区",
                f"第{grid % GRIDS_PER_COMMUNITY + 1}网格",
                alley,
                name,
                phone,
                duties,
                wecom,
                households,
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for row in rows:
        ws.append([*row[:5], int(row[5]), *row[6:]])  # phones typed as numbers, as people do
    wb.save(path)
    return path


# --- databases ----------------------------------------------------------------------------


@contextlib.contextmanager
def fresh_database(workdir: Path, pg_url: str | None):
    """An app context on an empty, upgraded database (a new SQLite file, or the PG tables)."""
    from app import create_app
    from core import schema
    from infra.db import db
    from models import ALL_MODELS

    url = pg_url or f"sqlite:///{workdir / f'bench-{time.monotonic_ns()}.db'}"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "MEDIA_DIR": str(workdir / "media"),
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        if pg_url and db.get_tables():
            db.close()
            raise SystemExit(
                "基准测试需要一个空的 PostgreSQL 数据库（其中已有表，为免误删数据，已停止）"
            )
        schema.upgrade()
        try:
            yield
        finally:
            if pg_url:
                db.drop_tables(ALL_MODELS, cascade=True)
            db.close()


def naive_import(rows: list[list]) -> None:
    """The per-row loop an import would be without batching: several queries per row."""
    from core.boards import boards
    from core.people import areas
    from core.people.roster_file import normalize_phone, posts_in
    from infra.db import db
    from models import Steward, StewardAlley

    with db.atomic():
        for row in rows:
            parent = None
            for kind, name in zip(("street", "community", "grid", "alley"), row[:4], strict=True):
                parent, _ = areas.child(parent, kind, name)
            alley = parent
            steward, _ = Steward.get_or_create(
                phone=normalize_phone(str(row[5])),
                defaults={
                    "name": row[4],
                    "duties": row[6],
                    "posts": posts_in(row[6]),
                    "households": int(row[8]),
                    "wecom_userid": row[7] or None,
                },
            )
            StewardAlley.get_or_create(steward=steward, alley=alley)
            if not alley.boards.exists():
                boards.create_board(alley)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


# --- the run ------------------------------------------------------------------------------


def bench_database(label: str, workdir: Path, files: dict[str, Path], rows, pg_url) -> bool:
    from core.people import roster

    print(f"\n[{label}]")
    ok = True
    imports = {}
    for kind, path in files.items():
        with fresh_database(workdir, pg_url):
            dry, _ = timed(roster.import_file, path, label="基准测试", dry_run=True)
            real, result = timed(roster.import_file, path, label="基准测试")
            again, second = timed(roster.import_file, path, label="基准测试")
        imports[kind] = real
        assert result.rows == ROWS and result.areas_created["alley"] == ALLEYS
        assert result.stewards_created == STEWARDS and result.links_created == ROWS
        assert second.stewards_unchanged == STEWARDS and second.links_created == 0
        within = real < BUDGET_SECONDS
        ok &= within
        print(
            f"  {kind:4} 导入 {real:6.2f} s（预算 {BUDGET_SECONDS:.0f} s，"
            f"{'达标' if within else '超出预算'}，用去 {real / BUDGET_SECONDS:.1%}）"
            f"  只读校验 {dry:5.2f} s  导入/只读校验 = {real / dry:4.1f}×"
            f"  再次导入 {again:5.2f} s"
        )
    sample = rows[:NAIVE_SAMPLE]
    with fresh_database(workdir, pg_url):
        naive, _ = timed(naive_import, sample)
    naive_full = naive * ROWS / NAIVE_SAMPLE
    print(
        f"  逐行写入（{NAIVE_SAMPLE} 行样本 {naive:.2f} s，按比例折算 {ROWS} 行约 {naive_full:.1f} s）"
        f"  逐行/批量 = {naive_full / imports['csv']:.0f}×"
    )
    return ok


def run(pg_url: str | None = None) -> int:
    """Run on SQLite (and PostgreSQL when given); 0 when every import is within budget."""
    # A developer's shell must not switch the benchmark app to a real WeChat or database.
    from infra import config

    for key in config.DEFAULTS:
        os.environ.pop(key, None)

    print(
        f"名单导入基准：{ROWS} 行，1 个街道、{COMMUNITIES} 个社区、"
        f"{COMMUNITIES * GRIDS_PER_COMMUNITY} 个网格、{ALLEYS} 条街巷、{STEWARDS} 位管家"
    )
    print("  导入/只读校验：完整导入耗时是“只读取文件、校验并规划、不写库”的几倍（越接近 1 越好）")
    print("  逐行/批量：逐行 ORM 写入（样本折算）比批量导入慢几倍")
    rows = generate_rows()
    ok = True
    with tempfile.TemporaryDirectory(prefix="xx-bench-") as tmp:
        workdir = Path(tmp)
        files = {
            "csv": write_csv(workdir / "roster.csv", rows),
            "xlsx": write_xlsx(workdir / "roster.xlsx", rows),
        }
        ok &= bench_database("SQLite", workdir, files, rows, None)
        if pg_url:
            ok &= bench_database("PostgreSQL", workdir, files, rows, pg_url)
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roster_import")
    parser.add_argument("--pg", metavar="URL", help="同时在这个（空的）PostgreSQL 数据库上测试")
    args = parser.parse_args(argv)
    return run(pg_url=args.pg)


if __name__ == "__main__":
    sys.exit(main())
