"""What the street-sized benchmarks share around their own measuring: a clean environment (no
setting of the operator's leaks in), the same bench on SQLite and then on the PostgreSQL given,
and a command line of `--pg URL --issues N`."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def clean_environment() -> None:
    """Drop every setting the app reads from the environment, so the bench measures defaults."""
    from infra import config

    for key in config.DEFAULTS:
        os.environ.pop(key, None)


def on_each_database(bench_database: Callable[..., bool], pg_url: str | None, *args) -> int:
    """`bench_database(name, folder, pg_url, *args)` on SQLite, then on PostgreSQL when a URL
    is given; 0 when every budget held, 1 otherwise."""
    ok = True
    with tempfile.TemporaryDirectory(prefix="xx-bench-") as tmp:
        ok &= bench_database("SQLite", Path(tmp), None, *args)
        if pg_url:
            ok &= bench_database("PostgreSQL", Path(tmp), pg_url, *args)
    return 0 if ok else 1


def issues_command(prog: str, issues: int, what: str = "历史诉求条数") -> argparse.ArgumentParser:
    """The `--pg URL --issues N` command line of a street-sized bench."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--pg", metavar="URL", help="同时在这个（空的）PostgreSQL 数据库上测试")
    parser.add_argument("--issues", type=int, default=issues, help=what)
    return parser
