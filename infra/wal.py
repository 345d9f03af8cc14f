"""SQLite's WAL checkpoints, moved off the write path.

By default the connection whose commit takes the write-ahead log past 1,000 pages copies
them into the database file there and then, inside that commit, while it holds the one write
lock: under a burst of reports that was a stall of up to ~60 ms every second or two for every
writer queued behind it (the POST benchmark's p99). Pooled connections turn that off
(`wal_autocheckpoint=0`, `infra.db.SQLITE_PRAGMAS`) and each process that has opened one runs
the checkpoint from a background thread instead, once a second, in PASSIVE mode: it copies
what it can without waiting for, or blocking, readers and writers. The first write after a
complete checkpoint starts the log over, so it does not grow (`journal_size_limit` trims the
file after a burst). When the last connection to a database closes, SQLite checkpoints it
once more itself.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0


class Checkpointer:
    """The databases this process has opened, checkpointed every `INTERVAL_SECONDS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: dict[str, sqlite3.Connection | None] = {}
        self._closing: list[sqlite3.Connection] = []  # forgotten, closed by the thread
        self._thread: threading.Thread | None = None
        self._inherited: list = []

    def after_fork(self) -> None:
        """In a forked child: its own lock, thread and connections. The lock is new because the
        checkpoint thread may have held the old one at the fork (it never will here: the thread
        is not copied); the parent's connections are kept unused, never closed here (closing
        takes a mutex the parent's thread may have held)."""
        self._inherited.append((self._paths, self._closing))
        self._lock = threading.Lock()
        self._paths, self._closing, self._thread = {}, [], None

    def watch(self, path: str) -> None:
        """Keep `path`'s log checkpointed from now on (cheap to call again)."""
        with self._lock:
            self._paths.setdefault(path, None)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="sqlite-checkpoint", daemon=True
                )
                self._thread.start()

    def watching(self) -> list[str]:
        with self._lock:
            return list(self._paths)

    def forget(self, path: str) -> None:
        """Stop checkpointing `path` (its pool is closed: `infra.db.dispose`). Its connection
        is closed by the checkpoint thread itself: closing it from another thread while a
        checkpoint runs on it would crash the process."""
        with self._lock:
            conn = self._paths.pop(path, None)
            if conn is not None:
                self._closing.append(conn)

    def _run(self) -> None:
        stop = threading.Event()  # never set: a daemon thread ends with its process
        while not stop.wait(INTERVAL_SECONDS):
            self.checkpoint_all()

    def checkpoint_all(self) -> None:
        """One round (the checkpoint thread's own work)."""
        with self._lock:
            paths = list(self._paths)
            closing, self._closing = self._closing, []
        for conn in closing:
            conn.close()
        for path in paths:
            self._checkpoint(path)

    def _checkpoint(self, path: str) -> None:
        if not os.path.exists(path):  # deleted: nothing left to checkpoint
            self.forget(path)
            return
        conn = self._paths.get(path)
        try:
            if conn is None:
                conn = sqlite3.connect(path, timeout=1, isolation_level=None)
                with self._lock:
                    if path not in self._paths:  # forgotten meanwhile
                        conn.close()
                        return
                    self._paths[path] = conn
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # busy, or the file went away: the next round retries
            log.debug("checkpoint of %s skipped: %s", path, exc)


checkpointer = Checkpointer()
os.register_at_fork(after_in_child=checkpointer.after_fork)
