"""The public board view is cached per worker, yet every change shows promptly; board scans are
counted in memory and written in batches, and none is lost; connections are pooled."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
import time_machine
from peewee import OperationalError

from core.boards import boards, public, scans
from core.people import auth
from infra import wal
from infra.db import ALIVE_BYPASS_SECONDS, db, is_sqlite
from models import AlleyChange, Issue, ScanDaily
from tests.factories import login, login_steward, make_district

API = "/api/v1"
T0 = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


def _post(client, path, headers, body=None, status=200):
    res = client.post(f"{API}{path}", json=body or {}, headers=headers)
    assert res.status_code == status, res.get_json()
    return res.get_json()


def _page(client, code) -> str:
    res = client.get(f"/b/{code}")
    assert res.status_code == 200
    return res.get_data(as_text=True)


def _api(client, code) -> dict:
    res = client.get(f"{API}/boards/{code}")
    assert res.status_code == 200
    return res.get_json()


def test_every_change_to_a_board_item_shows_at_once(client):
    d = make_district()
    code = d.boards[0].code
    steward = login_steward(client, d.stewards[0])
    resident = login(client, "居民")
    with time_machine.travel(T0, tick=False):  # the clock stands still: no expiry helps
        assert "井盖松动" not in _page(client, code)
        assert _api(client, code)["recent_issues"] == []
        body = {"board_code": code, "category": "设施损坏", "content": "井盖松动"}
        issue = _post(client, "/issues", resident, body, status=201)["id"]
        assert "井盖松动" in _page(client, code)
        view = _api(client, code)
        assert [i["status"] for i in view["recent_issues"]] == ["submitted"]
        assert view["figures"]["open_now"] == 1

        _post(client, f"/issues/{issue}/accept", steward)
        assert [i["status"] for i in _api(client, code)["recent_issues"]] == ["accepted"]
        html = _page(client, code)
        assert "status-accepted" in html and "status-submitted" not in html
        _post(client, f"/issues/{issue}/resolve", steward, {"note": "已修好"})
        view = _api(client, code)
        assert view["recent_issues"][0]["resolution_note"] == "已修好"
        assert view["figures"]["open_now"] == 0 and view["figures"]["resolved_30d"] == 1
        assert "已修好" in _page(client, code)

        # the steward leaves office: off the board at once
        auth.dismiss_steward(d.stewards[0], label="test")
        assert _api(client, code)["stewards"] == []
        assert d.stewards[0].name not in _page(client, code)
        # another alley's board was never touched
        assert _api(client, d.boards[1].code)["stewards"][0]["name"] == d.stewards[1].name


def test_a_change_made_by_another_worker_shows_within_a_second(client):
    d = make_district()
    code = d.boards[0].code
    resident = login(client, "居民")
    body = {"board_code": code, "category": "环境卫生", "content": "垃圾堆积"}
    with time_machine.travel(T0, tick=False) as clock:
        issue = _post(client, "/issues", resident, body, status=201)["id"]
        assert _api(client, code)["recent_issues"][0]["status"] == "submitted"
        # What another worker's committed change looks like from here: the row changed and
        # the alley's counter raised, with no word to this process.
        Issue.update(status="accepted").where(Issue.id == issue).execute()
        AlleyChange.update(version=AlleyChange.version + 1).where(
            AlleyChange.alley == d.alleys[0].id
        ).execute()
        clock.shift(timedelta(seconds=public.VERSION_CHECK_SECONDS + 0.1))
        assert _api(client, code)["recent_issues"][0]["status"] == "accepted"
        html = _page(client, code)
        assert "status-accepted" in html and "status-submitted" not in html

        # Even a change that raised no counter shows once the copy's time is up.
        Issue.update(status="resolved", resolution_note="已清运").where(Issue.id == issue).execute()
        clock.shift(timedelta(seconds=client.application.config["BOARD_CACHE_SECONDS"]))
        assert _api(client, code)["recent_issues"][0]["resolution_note"] == "已清运"


def test_while_one_thread_rebuilds_an_expired_board_the_others_answer_from_the_old_copy(client):
    d = make_district()
    code = d.boards[0].code
    resident = login(client, "居民")
    body = {"board_code": code, "category": "环境卫生", "content": "垃圾堆积"}
    ttl = client.application.config["BOARD_CACHE_SECONDS"]
    app = client.application
    building = public._BUILDING[hash(code) % len(public._BUILDING)]

    def scan_while_rebuilding() -> tuple[bool, list]:
        """A scan from another thread while a rebuild holds the board's lock: whether it
        was still waiting after 0.3 s, and the statuses it answered with once it could."""
        answers = []

        def scan():
            with app.test_client() as other:
                answers.append([i["status"] for i in _api(other, code)["recent_issues"]])

        with building:
            thread = threading.Thread(target=scan, daemon=True)
            thread.start()
            thread.join(0.3)
            waited = thread.is_alive()
        thread.join(10)
        return waited, answers

    with time_machine.travel(T0, tick=False) as clock:
        _post(client, "/issues", resident, body, status=201)
        assert [i["status"] for i in _api(client, code)["recent_issues"]] == ["submitted"]
        # A change no counter saw (as in the test above): shows when the copy expires.
        Issue.update(status="accepted").execute()
        clock.shift(timedelta(seconds=ttl))
        # The copy has expired while another thread rebuilds it: no second rebuild, no
        # waiting — the old copy.
        assert scan_while_rebuilding() == (False, [["submitted"]])
        assert [i["status"] for i in _api(client, code)["recent_issues"]] == ["accepted"]

        # With no copy at all (first scan, or dropped by this worker's own change) a thread
        # waits for the rebuild in progress rather than answering nothing.
        public._cache.clear()
        assert scan_while_rebuilding() == (True, [["accepted"]])


def test_a_retired_board_answers_410_at_once(client):
    d = make_district()
    code = d.boards[0].code
    with time_machine.travel(T0, tick=False):
        assert client.get(f"/b/{code}").status_code == 200
        assert client.get(f"{API}/boards/{code}").status_code == 200
        assert boards.retire_board(d.boards[0], label="test")
        assert client.get(f"/b/{code}").status_code == 410
        res = client.get(f"{API}/boards/{code}")
        assert res.status_code == 410 and res.get_json()["error"]["code"] == "board_retired"


def test_no_scan_is_lost_by_concurrent_workers_threads(app):
    """Eight threads scanning two boards while the background writer flushes every 10 ms."""
    d = make_district()
    codes = [d.boards[0].code, d.boards[1].code]
    scans.counter.interval = 0.01
    errors = []

    def scan(n):
        client = app.test_client()
        for i in range(n):
            res = client.get(f"/b/{codes[i % 2]}")
            if res.status_code != 200:
                errors.append(res.status_code)

    try:
        threads = [threading.Thread(target=scan, args=(30,)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        scans.counter.interval = float(app.config["SCAN_FLUSH_SECONDS"])
    assert errors == []
    scans.flush()
    counts = {r.board_id: r.count for r in ScanDaily.select()}
    assert counts == {d.boards[0].id: 120, d.boards[1].id: 120}
    assert scans.counter.pending() == 0


@pytest.mark.slow
def test_scans_still_pending_are_written_when_the_worker_exits(app, tmp_path):
    """A worker process that stops normally (gunicorn's SIGTERM, a max-requests restart)
    writes what it counted since the last flush."""
    d = make_district()
    code = d.boards[0].code
    script = textwrap.dedent(
        f"""
        from app import create_app
        from core.boards import scans
        app = create_app({{
            "INSTANCE_PATH": {str(tmp_path / "instance")!r},
            "DATABASE_URL": {app.config["DATABASE_URL"]!r},
            "MEDIA_DIR": {str(tmp_path / "media")!r},
            "SECRET_KEY": "test-secret",
            "SCAN_FLUSH_SECONDS": 3600,
        }})
        client = app.test_client()
        for _ in range(7):
            assert client.get("/b/{code}").status_code == 200
        assert scans.counter.pending() == 7  # nothing written yet: exit must write it
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    db.close()
    assert ScanDaily.get(ScanDaily.board == d.boards[0].id).count == 7


def test_connections_are_pooled_and_set_up_once(app, client):
    make_district()
    assert client.get("/healthz").status_code == 200
    raw = db.connection()
    db.close()  # back to the pool
    db.connect()
    assert db.connection() is raw  # the same connection, not a new one per request
    if db.obj.__class__.__name__ == "PooledSqlite":
        # the PRAGMAs of the first connect are still in force on the reused one
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10_000
    db.close()


def _cut_by_the_server(app, raw) -> None:
    """What a PostgreSQL restart or a proxy's idle cut does to a pooled connection."""
    other = psycopg2.connect(app.config["DATABASE_URL"])
    try:
        other.autocommit = True
        other.cursor().execute("SELECT pg_terminate_backend(%s)", (raw.get_backend_pid(),))
    finally:
        other.close()


def test_a_connection_back_from_a_pause_is_checked_before_reuse(app):
    if is_sqlite():
        # A SQLite connection is a file handle: nothing to cut, never checked.
        db.connect()
        raw = db.connection()
        db.close()
        assert not db.obj._is_closed(raw)
        return
    db.connect()
    raw = db.connection()
    db.close()
    # Given back a moment ago (under load, every checkout): reused without a round trip —
    # so a cut in that half second shows as one failed query, as with HikariCP.
    db.connect()
    assert db.connection() is raw
    db.close()
    _cut_by_the_server(app, raw)
    with pytest.raises(OperationalError):
        db.execute_sql("SELECT 1")
    db.close()
    assert db.execute_sql("SELECT 1").fetchone() == (1,)  # the dead one was dropped
    raw = db.connection()
    db.close()
    # Idle for longer than the window: pinged first, and a dead one replaced unseen.
    raw.returned_at -= ALIVE_BYPASS_SECONDS
    _cut_by_the_server(app, raw)
    assert db.execute_sql("SELECT 1").fetchone() == (1,)
    assert db.connection() is not raw
    db.close()


def _exit_code_within(pid: int, seconds: float) -> int:
    """The child's exit code; a child still running after `seconds` is killed and the test
    fails (a forked child stuck on a lock must not hang the run)."""
    handle = os.pidfd_open(pid)
    try:
        exited, _, _ = select.select([handle], [], [], seconds)
    finally:
        os.close(handle)
    if not exited:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail(f"the forked child did not finish within {seconds} s")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_process_opens_its_own_connections(app):
    """gunicorn --preload or a process pool: the child must not use the parent's socket."""
    make_district()
    db.connect(reuse_if_open=True)
    parent_conn = db.connection()
    pid = os.fork()
    if pid == 0:  # the child: report through the exit status only
        status = 1
        try:
            if db.is_closed() and db.connection() is not parent_conn:
                status = 0 if Issue.select().count() == 0 else 2
        finally:
            os._exit(status)
    assert _exit_code_within(pid, 60) == 0
    # the child's exit closed its own connection, not ours
    assert db.connection() is parent_conn
    assert Issue.select().count() == 0


def test_a_child_forked_while_the_checkpointer_held_its_lock_opens_connections(app):
    """The checkpoint thread takes its lock every second; a child forked at that moment
    inherits the lock held by a thread it does not have. Opening a database there must not
    wait on it (before, the child waited forever: a hung test run)."""
    make_district()
    holding, release = threading.Event(), threading.Event()

    def hold_it():
        with wal.checkpointer._lock:
            holding.set()
            release.wait(60)

    holder = threading.Thread(target=hold_it)
    holder.start()
    assert holding.wait(60)
    try:
        pid = os.fork()
        if pid == 0:  # the child: report through the exit status only
            status = 1
            try:
                db.close()
                status = 0 if Issue.select().count() == 0 else 2
            finally:
                os._exit(status)
        assert _exit_code_within(pid, 60) == 0
    finally:
        release.set()
        holder.join(60)
