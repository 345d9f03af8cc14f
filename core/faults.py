"""The server's own troubles, told apart from bugs: storage it cannot write (a full disk, a
read-only mount, a file where a folder should be), a database it may only read (a read-only
SQLite file, a PostgreSQL standby), a process pool that stalled or lost a worker.

Each is counted by kind (`counts()`, for the metrics endpoint) and logged with its cause — at
most one line a minute per kind, so a full disk under load is one line a minute, not a stack
trace a request. A client sees a 503 whose Chinese message says to try again later: the
request was fine, the server was not.

`fault_of(exc)` recognises them whatever layer raised them; the application's error handling
asks it first (`app.py`), so every front end (the API's JSON envelope, the console's and the
scan page's error pages, the chat callbacks) answers them the same way.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Iterator

import psycopg2

from core.observability import metrics
from infra.errors import ApiError

log = logging.getLogger(__name__)

STORAGE_UNAVAILABLE = "storage_unavailable"
DATABASE_READ_ONLY = "database_read_only"
WORKER_POOL_FAILED = "worker_pool_failed"

LOG_INTERVAL_SECONDS = 60.0

# PostgreSQL's SQLSTATE for a write in a read-only transaction (a standby, or
# default_transaction_read_only): "cannot execute INSERT in a read-only transaction".
PG_READ_ONLY_SQL_TRANSACTION = "25006"

_lock = threading.Lock()
_counts: Counter = Counter()
_last_logged: dict[str, float] = {}


def record(kind: str, cause: str) -> None:
    """Count one fault of `kind`; log it with its cause unless this kind was logged less than
    `LOG_INTERVAL_SECONDS` ago (the count still says how many there were)."""
    now = time.monotonic()
    with _lock:
        _counts[kind] += 1
        total = _counts[kind]
        last = _last_logged.get(kind)
        due = last is None or now - last >= LOG_INTERVAL_SECONDS
        if due:
            _last_logged[kind] = now
    metrics.fault(kind)  # xiaoxiang_faults_total{kind}, summed over the workers
    if due:
        log.error("服务器故障 %s（累计 %d 次）/ server fault %s: %s", kind, total, kind, cause)


def counts() -> dict[str, int]:
    """Faults counted in this process since it started (or `reset`), by kind."""
    with _lock:
        return dict(_counts)


def reset() -> None:
    """Forget the counts and when each kind was last logged (a test's fresh start)."""
    with _lock:
        _counts.clear()
        _last_logged.clear()


# A client may try again in a minute: what failed is a disk or a database, not the request.
_RETRY = {"Retry-After": "60"}


class StorageUnavailable(ApiError):
    """A file could not be written: 503, and nothing that refers to it was saved."""

    def __init__(self) -> None:
        super().__init__(
            503, STORAGE_UNAVAILABLE, "服务器暂时无法保存文件，请稍后再试", headers=_RETRY
        )


class DatabaseReadOnly(ApiError):
    """The database refused a write because it is read-only: 503, nothing was changed."""

    def __init__(self) -> None:
        super().__init__(
            503,
            DATABASE_READ_ONLY,
            "系统正在维护，暂时只能查看、不能保存，请稍后再试",
            headers=_RETRY,
        )


@contextlib.contextmanager
def storage(what: str) -> Iterator[None]:
    """Around writing files: any OS error (no space, read-only, not a directory, no permission)
    is recorded and raised as `StorageUnavailable`, chained to its cause."""
    try:
        yield
    except OSError as exc:
        record(STORAGE_UNAVAILABLE, f"{what}: {exc}")
        raise StorageUnavailable() from exc


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (peewee passes the driver's error as its first argument)
    and what it was raised from, without looping."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [e.__cause__, e.__context__]
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]


def _is_read_only_database(exc: BaseException) -> bool:
    for e in _chain(exc):
        if isinstance(e, sqlite3.Error):
            code = getattr(e, "sqlite_errorcode", None)
            if code is not None and code & 0xFF == sqlite3.SQLITE_READONLY:
                return True
            if "readonly database" in str(e):
                return True
        if isinstance(e, psycopg2.Error) and e.pgcode == PG_READ_ONLY_SQL_TRANSACTION:
            return True
    return False


def fault_of(exc: BaseException) -> ApiError | None:
    """The 503 a client should see for `exc` when it is one of the server's own faults
    (already recorded), else None: it is a bug, and the usual handling applies."""
    if isinstance(exc, (StorageUnavailable, DatabaseReadOnly)):
        return exc
    if _is_read_only_database(exc):
        record(DATABASE_READ_ONLY, str(exc))
        fault = DatabaseReadOnly()
        fault.__cause__ = exc
        return fault
    return None
