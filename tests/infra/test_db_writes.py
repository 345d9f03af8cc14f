"""SQLite's single writer: write transactions queue on a lock — threads of a process on a
re-entrant lock, processes on an exclusive flock of `<database>-writer.lock` — and writers of
several processes at once lose nothing. Checkpoints of its log run in the background, never
inside a writer's commit."""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import time

import pytest

from app import create_app
from core import audit
from infra import wal
from infra.db import db, is_sqlite, write_transaction
from models import Event, KeyValue


def _held_elsewhere(path: str) -> bool:
    """Whether another open file (as another process would have) is refused the lock."""
    with open(f"{path}-writer.lock", "a+b") as other:
        try:
            fcntl.flock(other.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(other.fileno(), fcntl.LOCK_UN)
        return False


def test_a_write_transaction_holds_the_cross_process_lock_until_it_ends(app):
    path = db.obj.database
    if not is_sqlite():
        # PostgreSQL has row locks: no lock file, writers never wait on each other here.
        with write_transaction():
            audit.record("test.inner", "test", 1)
        assert not os.path.exists(f"{path}-writer.lock")
        return
    assert not _held_elsewhere(path)
    with write_transaction():
        assert _held_elsewhere(path)
        with write_transaction():  # nested: a savepoint, the same lock
            audit.record("test.inner", "test", 1)
        assert _held_elsewhere(path)
    assert not _held_elsewhere(path)
    with pytest.raises(RuntimeError), write_transaction():
        raise RuntimeError("a failed change")
    assert not _held_elsewhere(path)  # released on the way out of a failure too


def _write_events(n: int) -> None:
    for i in range(n):
        with write_transaction():
            audit.record("test.write", "test", os.getpid() * 1000 + i)
    db.close()


def _writer(config: dict, start, n: int) -> None:
    """Another process of the same install (a gunicorn worker, the scheduler): its own app on
    the same database, writing once every writer is ready."""
    app = create_app(config)
    with app.app_context():
        start.wait()
        _write_events(n)


def test_writers_in_several_processes_lose_nothing(app, tmp_path):
    # spawn, not fork: this process runs threads (the checkpointer, pytest's), and a child
    # forked while one of them held a lock waits on it forever (core.pools). Every wait is
    # bounded, and the children are daemons, so a stuck one can never hold up the run's exit.
    ctx = multiprocessing.get_context("spawn")
    config = {
        "TESTING": True,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "INSTANCE_PATH": str(tmp_path / "children"),
        "SECRET_KEY": "test-secret",
    }
    start = ctx.Barrier(4, timeout=120)
    children = [
        ctx.Process(target=_writer, args=(config, start, 40), daemon=True) for _ in range(3)
    ]
    for child in children:
        child.start()
    try:
        db.close()
        start.wait()
        _write_events(40)
        deadline = time.monotonic() + 120
        for child in children:
            child.join(max(0.0, deadline - time.monotonic()))
        assert [c.exitcode for c in children] == [0, 0, 0]
    finally:
        for child in children:
            if child.exitcode is None:
                child.kill()
                child.join(10)
    assert Event.select().where(Event.action == "test.write").count() == 160


@pytest.mark.slow
def test_the_log_is_checkpointed_in_the_background_not_in_a_commit(app, tmp_path):
    if not is_sqlite():
        # PostgreSQL has no such log to copy: nothing is watched.
        with app.app_context():
            KeyValue.create(key="k", value="v")
        assert wal.checkpointer.watching() == []
        return
    path = db.obj.database
    with app.app_context():
        # A commit never copies the log into the database file itself: SQLite's automatic
        # checkpoint (at 1,000 pages, inside the commit that crosses it) is off.
        assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        assert path in wal.checkpointer.watching()
        before = os.path.getsize(path)
        for i in range(60):  # ~6 MB: past the 1,000 pages where SQLite would have copied
            with write_transaction():
                KeyValue.insert_many(
                    [{"key": f"k{i}-{j}", "value": "x" * 4000} for j in range(25)]
                ).execute()
        # The background thread copies it within a second or two.
        deadline = time.monotonic() + 10
        while os.path.getsize(path) < before + 5_000_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert os.path.getsize(path) >= before + 5_000_000
        assert KeyValue.select().count() == 1500
    # A database whose pool is closed (the app replaced) is no longer watched.
    create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/other.db", "TESTING": True})
    assert path not in wal.checkpointer.watching()
