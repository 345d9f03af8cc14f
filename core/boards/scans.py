"""Counting board scans (`ScanDaily`) without a write per scan.

A burst of scans (a meeting, a notice in the group) would otherwise queue every page view
behind a database write. Each worker process adds its scans up in memory and writes them in
one upsert every `SCAN_FLUSH_SECONDS` (3 s) from a background thread, and once more when the
process exits (gunicorn stops its workers with a normal interpreter exit, so `atexit` runs).
A count is therefore a few seconds late, never lost — except by a worker killed outright
(SIGKILL, a power cut), which loses at most its last few seconds.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import Counter

from peewee import EXCLUDED, DatabaseError

from core.observability import metrics
from infra.db import db
from infra.timeutil import to_local, utcnow
from models import ScanDaily

log = logging.getLogger(__name__)


class ScanCounter:
    """Scans per (board, local day) not yet written, per database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._pending: dict[object, Counter] = {}
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self.interval = 3.0

    def after_fork(self) -> None:
        """In a forked child: its parent's counts are not its own, and the locks are new (the
        flush thread, which is not copied, may have held one at the fork)."""
        self._lock, self._flushing = threading.Lock(), threading.Lock()
        self._wake = threading.Event()
        self._pending, self._thread = {}, None

    def record(self, board_id: int) -> None:
        """One more scan of the board today (local day); written within `interval` seconds."""
        day = to_local(utcnow()).date()
        metrics.inc(metrics.BOARD_SCANS)
        with self._lock:
            self._pending.setdefault(db.obj, Counter())[(board_id, day)] += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="scan-count-flush", daemon=True
                )
                self._thread.start()

    def pending(self) -> int:
        """Scans counted but not yet written to the current database."""
        with self._lock:
            return sum(self._pending.get(db.obj, Counter()).values())

    def flush(self) -> int:
        """Write every pending count now; returns how many scans were written. On a database
        error the counts stay pending and the next flush tries again. One flush at a time: when
        it returns, every scan recorded before the call is in the database (or still pending
        after an error), including those a concurrent background flush had taken."""
        with self._flushing:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            taken, self._pending = self._pending, {}
        written = 0
        for database, counts in taken.items():
            if database is not db.obj:
                # The process moved to another database (only the tests do): these counts
                # belong to one that is gone.
                continue
            try:
                _upsert(database, counts)
                written += sum(counts.values())
            except DatabaseError:
                log.warning("could not write %d board scans; retrying", sum(counts.values()))
                with self._lock:
                    self._pending.setdefault(database, Counter()).update(counts)
        return written

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a statistic must never take the worker down
                log.exception("scan count flush failed")


def _upsert(database, counts: Counter) -> None:
    opened = database.is_closed()  # this thread's own pooled connection, given back after
    if opened:
        database.connect()
    try:
        _write(database, counts)
    finally:
        if opened:
            database.close()


def _write(database, counts: Counter) -> None:
    rows = [
        {"board": board_id, "day": day, "count": n}
        for (board_id, day), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    ]
    ScanDaily.insert_many(rows).on_conflict(
        conflict_target=[ScanDaily.board, ScanDaily.day],
        update={ScanDaily.count: ScanDaily.count + EXCLUDED.count},
    ).execute(database)


counter = ScanCounter()
os.register_at_fork(after_in_child=counter.after_fork)
record = counter.record
flush = counter.flush
atexit.register(counter.flush)


def init_app(app) -> None:
    counter.interval = float(app.config["SCAN_FLUSH_SECONDS"])
