"""Run every benchmark: `python -m bench [--pg postgresql://…]`."""

from __future__ import annotations

import argparse
import sys

from bench import board_render, roster_import

BENCHMARKS = (roster_import, board_render)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="运行全部基准测试")
    parser.add_argument(
        "--pg",
        metavar="URL",
        help="同时在这个 PostgreSQL 数据库上测试（须为空库，测试结束后会删除所建的表）",
    )
    args = parser.parse_args(argv)
    status = 0
    for module in BENCHMARKS:
        status |= module.run(pg_url=args.pg)
    return status


if __name__ == "__main__":
    sys.exit(main())
