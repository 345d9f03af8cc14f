"""Signboard printing benchmark: 1,000 A4 boards as PNG files plus one vector PDF, within
60 s, the PDF under 60 MB.

The district: 1 street, 10 communities of 5 grids, 1,000 alleys, each with 1 to 4 stewards
(about 2,500 in all); one steward in 25 has a 20-character name and one in 10 a duties text of
about 150 characters. It is loaded through `core.people.roster` like a real roster.

What is timed:

* boards — `flask --app app boards --area 1 --out DIR --pdf`, invoked in-process through the
  CLI runner: exactly what an operator runs (database read, a process pool on every core,
  PNG files, the PDF), against the 60 s budget.
* single process — the same command with `--jobs 1` on one community (100 boards),
  extrapolated to 1,000. "single / pool" is the speed-up the pool buys; with N idle cores it
  approaches N (less when other work shares the machine).
* per board, in that community: drawing (`compose`) and PNG encoding apart, to show where
  the time goes.
* vector PDF alone — what the console's print job does: the 1,000 boards' drawing recorded
  without pixels and written by fpdf2 (`core.boards.vector.board_pdf`), in one process,
  against the same 60 s, and the file against 60 MB.

`python -m bench.board_render [--boards N]`. SQLite only: the database part is a few batched
queries, the time is in the drawing.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

BOARDS = 1_000
SAMPLE = 100
BUDGET_SECONDS = 60.0
BUDGET_MB = 60.0

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "秀英建国桂兰志强淑芬德明玉梅文华国平春兰海涛丽娟红梅建军小红永福金凤家豪婷婷子涵佳怡"
LONG_NAME = "阿卜杜热合曼·买买提依明·艾力江木拉提"  # 20 characters
DUTIES = (
    "信息员：收集社情民意，发现问题及时上报",
    "调解员：化解邻里纠纷",
    "劝导员：劝导乱停乱放、乱堆乱晒",
    "守护员：巡查消防通道和安全隐患",
)
LONG_DUTIES = (
    "负责本巷环境卫生巡查、车辆停放劝导、消防通道畅通、独居老人走访、邻里矛盾调解、"
    "政策宣传解答、微心愿收集上报；每日巡、经常访、及时记、随手做、实时报，"
    "小事不出巷、大事不出社区，发现安全隐患第一时间报告社区并跟进处置结果。"
)


def roster(boards: int, seed: int = 20261122) -> list[list]:
    rng = random.Random(seed)
    header = ["街道", "社区", "网格", "街巷", "管家姓名", "手机号", "职责", "包联户数"]
    rows: list[list] = [header]
    phone = 17100000000
    for a in range(boards):
        community, grid = a // 100, (a // 20) % 5
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4))):
            phone += 1
            name = (
                LONG_NAME
                if rng.random() < 0.04
                else rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
            )
            duties = (
                LONG_DUTIES
                if rng.random() < 0.1
                else "；".join(rng.sample(DUTIES, rng.randint(1, 2)))
            )
            rows.append(
                [
                    "城关街道",
                    f"第{community + 1}社区",
                    f"第{grid + 1}网格",
                    f"{a + 1}号巷",
                    name,
                    str(phone),
                    duties,
                    rng.randint(10, 60),
                ]
            )
    return rows


def run(pg_url: str | None = None, boards: int = BOARDS) -> int:
    """0 when the 1,000 boards are within budget. (`pg_url` is accepted and ignored.)"""
    from infra import config

    for key in config.DEFAULTS:
        os.environ.pop(key, None)

    from app import create_app
    from cli import boards_command
    from core import schema
    from core.boards import layout, print_data, render, vector
    from core.boards.boards import boards_in
    from core.people import roster as roster_service
    from infra.db import db
    from models import Area

    cores = render.default_jobs()
    print(f"公示牌批量生成基准：{boards} 块 A4（300 dpi），PNG + 一个 PDF，{cores} 个核")
    with tempfile.TemporaryDirectory(prefix="xx-bench-boards-") as tmp:
        workdir = Path(tmp)
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
                "INSTANCE_PATH": str(workdir / "instance"),
                "MEDIA_DIR": str(workdir / "media"),
                "SECRET_KEY": "bench",
                "PUBLIC_BASE_URL": "https://xxgj.example.gov.cn",
            }
        )
        with app.app_context():
            db.connect(reuse_if_open=True)
            schema.upgrade()
            roster_service.import_table(roster(boards), label="基准测试", source="bench")
            street = Area.get(Area.parent.is_null())
            db.close()

            start = time.perf_counter()
            result = app.test_cli_runner().invoke(
                boards_command, ["--area", str(street.id), "--out", str(workdir / "out"), "--pdf"]
            )
            elapsed = time.perf_counter() - start
            if result.exit_code != 0:
                print(result.output, file=sys.stderr)
                raise SystemExit("生成失败") from result.exception
            pdfs = list((workdir / "out").glob("*.pdf"))
            pngs = list((workdir / "out").glob("*.png"))
            assert len(pngs) == boards and len(pdfs) == 1, (len(pngs), pdfs)
            pdf_mb = pdfs[0].stat().st_size / 1e6

            # The baseline: the same command in one process, on one community (100 boards).
            community = Area.get((Area.parent == street) & (Area.name == "第1社区"))
            start = time.perf_counter()
            result = app.test_cli_runner().invoke(
                boards_command,
                [
                    "--area",
                    str(community.id),
                    "--out",
                    str(workdir / "one"),
                    "--pdf",
                    "--jobs",
                    "1",
                ],
            )
            single_sample = time.perf_counter() - start
            assert result.exit_code == 0, result.output
            sample_count = len(list((workdir / "one").glob("*.png")))
            single = single_sample * boards / sample_count

            db.connect(reuse_if_open=True)
            sample = print_data.collect(list(boards_in(community)))
            everything = print_data.collect(list(boards_in(street)))
            db.close()
            start = time.perf_counter()
            vector.board_pdf(everything, workdir / "vector.pdf")
            vector_s = time.perf_counter() - start
            vector_mb = (workdir / "vector.pdf").stat().st_size / 1e6
        # Where one board's time goes.
        drawn = encoded = 0.0
        for data in sample:
            a = time.perf_counter()
            image, _ = layout.compose(data, "A4")
            b = time.perf_counter()
            render.encode_png(image)
            drawn += b - a
            encoded += time.perf_counter() - b

    within = elapsed < BUDGET_SECONDS
    vector_within = vector_s < BUDGET_SECONDS and vector_mb < BUDGET_MB
    print(
        f"  生成 {boards} 块 {elapsed:6.1f} s（预算 {BUDGET_SECONDS:.0f} s，"
        f"{'达标' if within else '超出预算'}，用去 {elapsed / BUDGET_SECONDS:.0%}）"
        f"  PDF {pdf_mb:.0f} MB"
    )
    print(
        f"  单进程（--jobs 1，{sample_count} 块折算 {boards} 块）{single:6.1f} s"
        f"  单进程/进程池 = {single / elapsed:.2f}×（{cores} 核时理想值约 {cores}×）"
    )
    print(
        f"  每块：绘制 {drawn / len(sample) * 1000:.0f} ms，PNG 编码 {encoded / len(sample) * 1000:.0f} ms"
    )
    print(
        f"  矢量 PDF（控制台打印任务，单进程）{boards} 块 {vector_s:6.1f} s，{vector_mb:.1f} MB"
        f"（预算 {BUDGET_SECONDS:.0f} s、{BUDGET_MB:.0f} MB，{'达标' if vector_within else '超出预算'}）"
    )
    return 0 if within and vector_within else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.board_render")
    parser.add_argument("--boards", type=int, default=BOARDS, help="生成多少块（默认 1000）")
    parser.add_argument("--pg", metavar="URL", help="（忽略：本基准只用 SQLite）")
    args = parser.parse_args(argv)
    return run(boards=args.boards)


if __name__ == "__main__":
    sys.exit(main())
