"""The drawing pools (the morning's report cards, a print run of boards): started from a
process whose threads hold locks they never finish in time, still done within a bound; a pool
whose worker dies or hangs fails at once or after its timeout, its workers gone, instead of
waiting forever."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from core import faults, pools
from core.boards import render
from core.boards.print_data import BoardData, StewardData
from core.figures import report_card
from core.figures.reports import Report, StewardLine
from models import Area

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 4
BOUND_SECONDS = 240  # a normal run takes seconds (minutes only on a machine under heavy load)


def sample_reports(n: int = 24) -> list[Report]:
    return [
        Report(
            area=Area(id=i + 1, name=f"第{i + 1}社区", kind="community", path=f"/1/{i + 1}/"),
            day=date(2026, 11, 21),
            counts={"new": 3, "accepted": 2, "resolved": 1, "overdue": i % 2, "open": 4},
            month={},
            rates={"response": 0.5, "resolution": 0.5, "satisfaction": None, "rectification": 1},
            month_rates={},
            stewards=[
                StewardLine(j, f"管家{i}{j}", "17000000000", 1, 1, 0, j % 2 == 0) for j in range(3)
            ],
        )
        for i in range(n)
    ]


def sample_boards(n: int = 4) -> list[BoardData]:
    steward = StewardData(name="王秀英", phone="17000000100", posts=("信息员",), households=12)
    return [
        BoardData(
            code=f"ABCD{2345 + i}",
            version=1,
            url=f"https://xx.example.cn/b/ABCD{2345 + i}",
            alley_name=f"豆腐坊{i + 1}巷",
            area_path="城关街道 · 槐树社区 · 第二网格",
            community_name="槐树社区",
            supervision_phone="0731-88886666",
            stewards=(steward,),
        )
        for i in range(n)
    ]


def draw_while_threads_hold_locks(database_url: str, workdir: str, rounds: int) -> None:
    """The scheduler's situation, worse: an app whose checkpointer runs, a thread stuck inside
    logging (holding logging's lock and a handler's, as one writing to a full pipe does), and
    threads that keep a SQLite connection (and, on PostgreSQL, a psycopg2 connection) busy in
    long statements, inside a write transaction (our writer lock). The pools must still draw,
    round after round. Run in a child process by the test below, which bounds its time."""
    from app import create_app
    from core import schema
    from infra.db import db, write_transaction

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": f"{workdir}/instance",
            "SECRET_KEY": "probe",
        }
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        schema.upgrade()
        db.close()
    reports, boards = sample_reports(), sample_boards()
    # A first round before the threads start: every module and cache of this process is
    # warm, so what follows measures only the pools.
    assert all(report_card.images(reports, jobs=2))
    list(render.render_many(boards, f"{workdir}/boards", jobs=2))

    stop = threading.Event()
    handler = logging.StreamHandler(sys.stderr)
    logging.getLogger("probe").addHandler(handler)
    querying, logging_held = threading.Event(), threading.Event()

    def long_statements():
        import sqlite3

        long_query = (
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000) "
            "SELECT count(*) FROM c"
        )
        raw = sqlite3.connect(f"{workdir}/busy.db", check_same_thread=False)
        with app.app_context():
            while not stop.is_set():
                with write_transaction():
                    db.execute_sql(long_query).fetchall()
                    querying.set()
                    raw.execute(long_query).fetchall()
                db.close()

    def stuck_in_logging():
        with logging._lock, handler.lock:  # the lock a forking process would need
            logging_held.set()
            stop.wait()

    threads = [
        threading.Thread(target=long_statements, daemon=True),
        threading.Thread(target=stuck_in_logging, daemon=True),
    ]
    threads[0].start()
    assert querying.wait(60)
    threads[1].start()
    assert logging_held.wait(60)
    for n in range(rounds):
        cards = report_card.images(reports, jobs=2)
        assert len(cards) == len(reports) and all(cards)
        out = f"{workdir}/boards-{n}"
        done = list(render.render_many(boards, out, jobs=2))
        assert [r.code for r in done] == [b.code for b in boards]
    stop.set()
    for thread in threads:
        thread.join(60)
    os.write(1, b"drawn\n")


@pytest.mark.slow  # a child process drawing rounds while its threads hold locks
def test_pools_finish_in_a_process_whose_threads_hold_locks(app, tmp_path):
    script = textwrap.dedent(
        f"""
        from tests.core.test_worker_pools import draw_while_threads_hold_locks
        draw_while_threads_hold_locks(
            {app.config["DATABASE_URL"]!r}, {str(tmp_path)!r}, {ROUNDS}
        )
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    # Its own session: if it hangs, its workers go with it.
    child = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = child.communicate(timeout=BOUND_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        pytest.fail(f"the pools did not finish within {BOUND_SECONDS} s")
    assert child.returncode == 0, err.decode()[-3000:]
    assert out.decode().strip() == "drawn"
    assert len(list(tmp_path.glob(f"boards-{ROUNDS - 1}/*.png"))) == 4


class DiesInTheWorker:
    """Work whose unpickling ends the worker process outright, as the OOM killer would."""

    def __reduce__(self):
        return (os._exit, (70,))


class HangsInTheWorker:
    """Work whose unpickling never returns, as a worker stuck on a lock would."""

    def __reduce__(self):
        return (signal.pause, ())


def _pool_failure(items, timeout, caplog) -> tuple[pools.PoolFailed, float]:
    faults.reset()
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="core.faults"):
        with pytest.raises(pools.PoolFailed) as failed:
            report_card.images(items, jobs=2, timeout=timeout)
    elapsed = time.monotonic() - started
    assert faults.counts() == {faults.WORKER_POOL_FAILED: 1}
    assert "worker_pool_failed" in caplog.text and "通报图片卡" in caplog.text
    assert multiprocessing.active_children() == []  # no worker left behind
    return failed.value, elapsed


def test_a_worker_that_dies_fails_the_pool_at_once(caplog):
    failed, elapsed = _pool_failure([*sample_reports(), DiesInTheWorker()], 600, caplog)
    assert "工作进程意外退出" in str(failed) and "a worker died" in str(failed)
    assert elapsed < 120  # not the 600 s timeout: a dead worker is noticed when it dies


def test_a_worker_that_hangs_fails_the_pool_after_its_timeout(caplog):
    failed, elapsed = _pool_failure([*sample_reports(), HangsInTheWorker()], 5, caplog)
    assert "5 秒内没有结果" in str(failed) and "no result within 5 s" in str(failed)
    assert 5 <= elapsed < 120


def test_an_error_in_the_drawing_is_raised_as_it_is(tmp_path):
    """A bug in the work is not a pool failure: it surfaces as itself, and no worker stays."""
    bad = [*sample_boards(), "not a board"]
    with pytest.raises(AttributeError):
        list(render.render_many(bad, tmp_path, jobs=2))
    assert multiprocessing.active_children() == []
