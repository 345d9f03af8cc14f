"""Database connection: one `DatabaseProxy`, bound from `DATABASE_URL` (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from peewee import Case, DatabaseProxy, SqliteDatabase, fn
from playhouse.db_url import connect

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
}


def open_database(url: str):
    """Build the peewee database for a URL; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite:"):
        path = url.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=10)
    return connect(url)


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def write_transaction():
    """A transaction that takes the write lock up front on SQLite.

    SQLite's default deferred transactions fail with "database is locked" instead of waiting
    when two readers both try to upgrade to writers; IMMEDIATE makes them queue on the busy
    timeout instead. PostgreSQL needs nothing special.
    """
    if is_sqlite():
        return db.obj.atomic("IMMEDIATE")
    return db.atomic()


def locked(query):
    """`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the IMMEDIATE transaction already
    holds the database's single write lock, and FOR UPDATE does not exist."""
    return query if is_sqlite() else query.for_update()


def count_if(cond):
    """SUM(CASE WHEN cond THEN 1 ELSE 0 END), 0 when no rows: a count inside an aggregate."""
    return fn.COALESCE(fn.SUM(Case(None, [(cond, 1)], 0)), 0)


def init_app(app) -> None:
    db.initialize(open_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()
