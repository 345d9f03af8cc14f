"""Database connection: one `DatabaseProxy`, bound from `DATABASE_URL` (SQLite or PostgreSQL).

Connections are pooled (`playhouse.pool`): a request checks one out at its first query and
gives it back at teardown, so the connect and the SQLite PRAGMAs (run once, when a connection
is first made) are not paid per request. The pool is per process and fork-safe: a process forked after the
pool was used (gunicorn `--preload`, a process pool) starts with an empty pool instead of
sharing its parent's sockets and SQLite handles.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
import weakref
from pathlib import Path

import psycopg2.extensions
from peewee import (
    SQL,
    Case,
    DatabaseError,
    DatabaseProxy,
    ModelCursorWrapper,
    ModelDictCursorWrapper,
    ModelObjectCursorWrapper,
    ModelTupleCursorWrapper,
    Node,
    NodeList,
    Select,
    SqliteDatabase,
    fn,
)
from playhouse.db_url import parse
from playhouse.pool import PooledDatabase, PooledPostgresqlDatabase, PooledSqliteDatabase

from infra import wal

db = DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10_000,
    "synchronous": "normal",
    # Checkpoints run in the background, not inside a writer's commit (infra.wal).
    "wal_autocheckpoint": 0,
    "journal_size_limit": 64 * 1024 * 1024,
}
# Idle connections are recycled after this long: a PostgreSQL restart or a proxy dropping idle
# sockets costs one reconnect, never an error page.
POOL_STALE_SECONDS = 300
# A checkout waits this long for a free connection when the pool is full (PostgreSQL).
POOL_WAIT_SECONDS = 10
# A PostgreSQL connection given back to the pool less than this long ago is reused without
# a ping (HikariCP's "alive bypass window", 500 ms).
ALIVE_BYPASS_SECONDS = 0.5


# Called with the pool after each checkout and each give-back: `core.observability` sets it to
# keep the pool's in-use gauge (this module imports nothing of ours, so it is told, not asked).
pool_observer = None


class _ForkSafe:
    """Forget, in a forked child, every connection the parent had opened.

    Closing them would close the parent's (a PostgreSQL socket shares its session); they are
    dropped instead and the child opens its own.
    """

    def _connect(self):
        conn = super()._connect()
        if pool_observer is not None:
            pool_observer(self)
        return conn

    def _close(self, conn, close_conn=False):
        super()._close(conn, close_conn)
        if pool_observer is not None:
            pool_observer(self)

    def _track_forks(self) -> None:
        self._owner_pid = os.getpid()
        ref = weakref.ref(self)

        def _after_fork():
            pool = ref()
            if pool is not None:
                pool._forget_inherited()

        os.register_at_fork(after_in_child=_after_fork)

    def _forget_inherited(self) -> None:
        self._owner_pid = os.getpid()
        self._pool_lock = threading.RLock()
        self._pool_available = threading.Condition(self._pool_lock)
        self._connections = []
        self._in_use = {}
        self._lock = threading.RLock()
        self._state.reset()


class PooledSqlite(_ForkSafe, PooledSqliteDatabase):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._track_forks()

    def _connect(self):
        conn = super()._connect()
        if self.database != ":memory:" and not self.database.startswith("file:"):
            wal.checkpointer.watch(self.database)
        return conn


class PooledPostgresql(_ForkSafe, PooledPostgresqlDatabase):
    def __init__(self, *args, server_prepare: bool = True, **kwargs):
        super().__init__(*args, connection_factory=PgConnection, **kwargs)
        self._track_forks()
        # `Prepared` queries run as server-side prepared statements (see `_execute_prepared`).
        self.server_prepare = server_prepare

    def _is_closed(self, conn) -> bool:
        # Peewee pings every connection it takes from the pool (`SELECT 1`): a round trip
        # that was a third of a signed-in read. As HikariCP does, a connection given back
        # less than ALIVE_BYPASS_SECONDS ago (under load, all of them) is taken as it is;
        # one idle for longer, which a server restart or a proxy may have cut, is still
        # pinged and replaced if dead.
        if (
            not conn.closed
            and time.monotonic() - conn.returned_at < ALIVE_BYPASS_SECONDS
            and conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE
        ):
            return False
        return super()._is_closed(conn)

    def _can_reuse(self, conn) -> bool:
        reusable = super()._can_reuse(conn)
        conn.returned_at = time.monotonic()
        return reusable


class PgConnection(psycopg2.extensions.connection):
    """A psycopg2 connection that remembers the statements it has PREPAREd: they belong to
    its server session, which lives as long as the pooled connection does."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prepared_names: set[str] = set()
        self.returned_at = 0.0  # when the pool last got it back (time.monotonic)


def open_database(url: str, max_connections: int | None = None, server_prepare: bool = True):
    """Build the pooled peewee database for a URL; SQLite gets WAL, foreign keys and a busy
    timeout, set once on each new connection. `server_prepare` (PostgreSQL): run the
    compiled queries as server-side prepared statements."""
    params = parse(url)
    if url.startswith("sqlite:"):
        path = params.pop("database") or ":memory:"
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # SQLite connections are files, not server slots: no cap (a cap would only make
        # threads wait for one another on top of SQLite's own write lock).
        return PooledSqlite(
            path,
            pragmas=SQLITE_PRAGMAS,  # busy_timeout: writers queue for up to 10 s
            max_connections=None,
            stale_timeout=POOL_STALE_SECONDS,
            check_same_thread=False,
        )
    params.pop("max_connections", None)
    return PooledPostgresql(
        server_prepare=server_prepare,
        max_connections=max_connections or 20,
        stale_timeout=POOL_STALE_SECONDS,
        timeout=POOL_WAIT_SECONDS,
        **params,
    )


def dispose(database) -> None:
    """Close every pooled connection of a database that is being replaced (tests, the CLI)."""
    if isinstance(database, PooledDatabase):
        database.close_all()
        if isinstance(database, PooledSqlite):
            wal.checkpointer.forget(database.database)
    elif database is not None and not database.is_closed():
        database.close()


def is_sqlite() -> bool:
    return isinstance(db.obj, SqliteDatabase)


def unindexed(column):
    """`column`, kept from choosing SQLite's index (unary +) where the planner would take a
    condition on it for a narrow range when it holds for much of the table (PostgreSQL's
    planner weighs its statistics: the column as it is)."""
    return NodeList((SQL("+"), column), glue="") if is_sqlite() else column


class _SqliteWriter:
    """SQLite has one writer at a time. Writers queue for it here, where the next one starts
    the moment the lock is released, rather than on SQLite's busy handler, which polls with
    sleeps of up to 100 ms (under a burst of reports that was most of the p99): threads of one
    process on a re-entrant lock, processes (gunicorn's workers, the scheduler) on an
    exclusive `flock` of `<database>-writer.lock`, taken by the outermost write of a thread.
    A process that does not take it (an older release, the sqlite3 shell) still waits on the
    busy timeout as before."""

    def __init__(self):
        self.rlock = threading.RLock()
        self.depth = 0  # write transactions open in the thread holding `rlock`
        self.files: dict[str, object] = {}  # database path → this process's open lock file

    def _file(self, path: str):
        f = self.files.get(path)
        if f is None:
            f = self.files[path] = open(f"{path}-writer.lock", "a+b")  # noqa: SIM115
        return f

    @contextlib.contextmanager
    def held(self, path: str | None):
        with self.rlock:
            outermost = self.depth == 0
            f = self._file(path) if outermost and path else None
            if f is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            self.depth += 1
            try:
                yield
            finally:
                self.depth -= 1
                if f is not None:
                    fcntl.flock(f.fileno(), fcntl.LOCK_UN)


_sqlite_writer = _SqliteWriter()


def _fresh_writer_lock() -> None:
    # A child forked while a thread of its parent held the lock must not inherit it held;
    # its lock files are opened anew (a flock belongs to the open file, shared across fork).
    global _sqlite_writer
    _sqlite_writer = _SqliteWriter()


os.register_at_fork(after_in_child=_fresh_writer_lock)


def _sqlite_path() -> str | None:
    path = db.obj.database
    return None if not path or path == ":memory:" or path.startswith("file:") else path


@contextlib.contextmanager
def write_transaction():
    """A transaction that takes the write lock up front on SQLite.

    SQLite's default deferred transactions fail with "database is locked" instead of waiting
    when two readers both try to upgrade to writers; IMMEDIATE makes them queue instead (on
    `_SqliteWriter`, and on the busy timeout for anyone else). PostgreSQL needs nothing
    special.
    """
    if not is_sqlite():
        with db.atomic():
            yield
        return
    with _sqlite_writer.held(_sqlite_path()), db.obj.atomic("IMMEDIATE"):
        yield


def locked(query):
    """`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the IMMEDIATE transaction already
    holds the database's single write lock, and FOR UPDATE does not exist."""
    return query if is_sqlite() else query.for_update()


def count_if(cond):
    """SUM(CASE WHEN cond THEN 1 ELSE 0 END), 0 when no rows: a count inside an aggregate."""
    return fn.COALESCE(fn.SUM(Case(None, [(cond, 1)], 0)), 0)


def count_query(query):
    """The statement peewee's `query.count()` runs, as a query of its own: compiled once with
    `Prepared(lambda: count_query(build()))` and read with `.scalar(…)`, it counts what
    `build().count()` would."""
    wrapped = query.order_by().alias("_wrapped")
    if wrapped._count_can_project_one():
        wrapped = wrapped.select(SQL("1"))
    return Select([wrapped], [fn.COUNT(SQL("1"))])


def count_or_rows(query, take):
    """`query` as one member of a `PreparedFamily` reads it: "count" (`count_query`), "all"
    its rows, or the first `take` (an int)."""
    if take == "count":
        return count_query(query)
    return query if take == "all" else query.limit(take)


class Param(Node):
    """A named placeholder in a `Prepared` query: `AuthToken.token_hash == Param("hash")`.

    It compiles to the database's parameter mark and records, in the query's parameter list,
    which value goes there (converted like a literal compared with the same column).
    `many=True` stands for a list: `Issue.id.in_(Param("ids", many=True))` compiles to
    `(?, ?, …)` with as many marks as the list given has items (one SQL text per length)."""

    def __init__(self, name: str, field=None, many: bool = False):
        super().__init__()
        self.name = name
        self.field = field  # for an INSERT's values, where no comparison names the column
        self.many = many

    def __sql__(self, ctx):
        converter = self.field.db_value if self.field is not None else ctx.state.converter
        mark = ctx.state.param or "?"
        if not self.many:
            ctx._values.append(_Slot(self.name, converter, None))
            return ctx.literal(mark)
        size = ctx.state.prepared_sizes[self.name]
        ctx.literal("(")
        for i in range(size):
            if i:
                ctx.literal(", ")
            ctx._values.append(_Slot(self.name, converter, i))
            ctx.literal(mark)
        return ctx.literal(")")


class _Slot:
    __slots__ = ("name", "converter", "index")

    def __init__(self, name: str, converter, index: int | None):
        self.name = name
        self.converter = converter
        self.index = index

    def value(self, values: dict):
        value = values[self.name]
        if self.index is not None:
            value = value[self.index]
        return self.converter(value) if self.converter is not None else value


# Peewee's result wrappers whose `initialize()` depends only on the query and the cursor's
# columns, and keeps nothing that refers back to the wrapper itself (the named-tuple one does).
_REUSABLE_WRAPPERS = (
    ModelObjectCursorWrapper,
    ModelCursorWrapper,
    ModelDictCursorWrapper,
    ModelTupleCursorWrapper,
)
# What a wrapper holds about its own cursor, never copied from one run to the next.
_PER_CURSOR = frozenset(("cursor", "count", "index", "initialized", "populated", "row_cache"))


_EVERY_PREPARED: weakref.WeakSet = weakref.WeakSet()


def forget_compiled() -> None:
    """Drop every `Prepared`'s compiled SQL: the next use builds it again. For mutation
    testing only (`tests/conftest.py`): mutmut forks each mutant's test run from a process
    that already ran the tests, so a statement compiled there from the original code would be
    reused, and a mutant of the function that builds it never run."""
    for prepared in list(_EVERY_PREPARED):
        prepared._compiled.clear()
        prepared._wrapper_state.clear()


class Prepared:
    """A query run many times a second, its SQL compiled once per kind of database.

    Building a peewee query's SQL (walking its nodes, quoting every column) costs more than
    SQLite takes to answer a lookup by index: on the paths every request takes (the bearer
    token, the caller's roles) and in the daily report's fixed handful of queries it was most
    of the time. `build` returns the query with `Param`s where the values go; `rows(**values)`
    runs it and gives what iterating the query would (model instances, joined ones attached,
    or the query's `.dicts()` / `.tuples()` / `.namedtuples()` rows), `first(**values)` the
    first or None. The names of list params are given as `many`; their lists must not be
    empty (an empty IN is the caller's to short-cut).
    """

    def __init__(self, build, many: tuple[str, ...] = ()):
        self._build = build
        self._many = tuple(many)  # the names of its `Param(…, many=True)`
        self._compiled: dict[tuple, tuple] = {}
        # Per compiled SQL: what peewee's result wrapper works out from the columns (which
        # field each is, its converter, how joined rows nest). The same SQL always returns the
        # same columns, and working it out again cost more than a lookup's own row.
        self._wrapper_state: dict[tuple, dict] = {}
        _EVERY_PREPARED.add(self)

    def _for(self, database, values: dict):
        sizes = tuple(len(values[name]) for name in self._many)
        key = (type(database), sizes)
        compiled = self._compiled.get(key)
        if compiled is None:
            query = self._build()
            context = database.get_sql_context(
                prepared_sizes=dict(zip(self._many, sizes, strict=True))
            )
            sql, params = context.sql(query).query()
            compiled = self._compiled[key] = (query, sql, params, key)
        return compiled

    def cursor(self, **values):
        return self._run(values)[::2]

    def _run(self, values: dict):
        database = db.obj
        query, sql, params, key = self._for(database, values)
        args = [p.value(values) if isinstance(p, _Slot) else p for p in params]
        if getattr(database, "server_prepare", False):
            return query, key, _execute_prepared(database, sql, args)
        return query, key, database.execute_sql(sql, args)

    def rows(self, **values):
        query, key, cursor = self._run(values)
        wrapper = query._get_cursor_wrapper(cursor)
        if type(wrapper) in _REUSABLE_WRAPPERS and cursor.description is not None:
            state = self._wrapper_state.get(key)
            if state is None:
                wrapper.initialize()
                state = {k: v for k, v in vars(wrapper).items() if k not in _PER_CURSOR}
                self._wrapper_state[key] = state
            else:
                vars(wrapper).update(state)
            wrapper.initialized = True
        return wrapper

    def first(self, **values):
        for row in self.rows(**values):
            return row
        return None

    def scalar(self, **values):
        _, cursor = self.cursor(**values)
        row = cursor.fetchone()
        return row[0] if row else None

    def execute(self, **values) -> int:
        """Run a write (UPDATE, DELETE, INSERT without RETURNING); the rows it touched."""
        _, cursor = self.cursor(**values)
        return cursor.rowcount


class PreparedFamily:
    """One query's definition compiled per shape: `family.get(*key)` is the `Prepared` of
    `build(*key)`, made on first use and kept. The key is what the SQL text depends on (how
    many scope roots a viewer has, whether an area is asked for, how many rows are read);
    the values go in as `Param`s. `many(*key)`: the names of that shape's list parameters."""

    def __init__(self, build, many=None):
        self._build = build
        self._many = many
        self._members: dict[tuple, Prepared] = {}

    def get(self, *key) -> Prepared:
        prepared = self._members.get(key)
        if prepared is None:
            many = self._many(*key) if self._many is not None else ()
            prepared = Prepared(lambda: self._build(*key), many)
            prepared = self._members.setdefault(key, prepared)
        return prepared


class PreparedInsert:
    """An INSERT of one row of `model`, its SQL compiled once per kind of database and per set
    of columns; `insert(**values)` returns the new row's id (None when `ignore_conflicts` and
    the row was already there).

    Every column is written: the values given, the model's defaults for the others (called
    at each insert, so a `utcnow` default is the time of the insert, not of the compile).
    Peewee's `Model.create` builds the INSERT's SQL afresh each time, which on a new report's
    half-dozen inserts cost more than SQLite took to write them.
    """

    def __init__(self, model, ignore_conflicts: bool = False):
        self.model = model
        self.ignore_conflicts = ignore_conflicts
        fields = model._meta.sorted_fields
        self.fields = [f for f in fields if f is not model._meta.primary_key]
        self._by_name = {f.name: f for f in self.fields}
        self._prepared = Prepared(self._build)
        self._many: dict[int, Prepared] = {}  # multi-row INSERTs by number of rows

    def _build(self):
        query = self.model.insert({f: Param(f.name, field=f) for f in self.fields}).returning(
            self.model._meta.primary_key
        )
        return query.on_conflict_ignore() if self.ignore_conflicts else query

    def _build_many(self, count: int):
        rows = [{f: Param(f"{f.name}.{i}", field=f) for f in self.fields} for i in range(count)]
        query = self.model.insert_many(rows).returning(self.model._meta.primary_key)
        return query.on_conflict_ignore() if self.ignore_conflicts else query

    def insert_many(self, rows: list[dict]) -> None:
        """Several rows in one statement, compiled once per number of rows. Under SQLite's
        write lock each statement is a moment the thread lets go of Python's GIL and may wait
        for it back while other threads run: fewer statements, a shorter hold."""
        if not rows:
            return
        prepared = self._many.get(len(rows))
        if prepared is None:
            count = len(rows)
            prepared = self._many.setdefault(count, Prepared(lambda: self._build_many(count)))
        values = {}
        for i, given in enumerate(rows):
            for name, value in self.values(given).items():
                values[f"{name}.{i}"] = value
        _, cursor = prepared.cursor(**values)
        cursor.fetchall()  # finish the statement before the commit (see `_run`)

    def values(self, given: dict) -> dict:
        """All columns' values: `given` (by field name) and the defaults of the rest."""
        unknown = given.keys() - self._by_name.keys()
        if unknown:
            raise TypeError(f"{self.model.__name__} has no field {sorted(unknown)}")
        out = {}
        for name, field in self._by_name.items():
            if name in given:
                out[name] = given[name]
            else:
                default = field.default
                out[name] = default() if callable(default) else default
        return out

    def insert(self, **given) -> int | None:
        return self._run(self.values(given))

    def create(self, **given):
        """The inserted row as a model instance (as `Model.create` gives), or None when a
        conflict was ignored."""
        values = self.values(given)
        new_id = self._run(values)
        if new_id is None:
            return None
        row = self.model(**values)
        row._pk = new_id
        row._dirty.clear()
        return row

    def _run(self, values: dict) -> int | None:
        _, cursor = self._prepared.cursor(**values)
        # RETURNING on both databases (SQLite 3.35+): no row when a conflict was ignored.
        # Read to the end, so that SQLite's statement is finished before the commit.
        rows = cursor.fetchall()
        return rows[0][0] if rows else None


# PostgreSQL parses and plans every statement it is sent; for the lookups every request
# makes (the bearer token, the roles, a list's fingerprint) that was most of the server's
# work and half the round trip. A `Prepared` query is therefore PREPAREd once per pooled
# connection, under a name fixed per SQL text, and run with EXECUTE from then on. PREPARE is
# not undone by a rollback (PostgreSQL keeps a prepared statement for the session whatever
# happens to the transaction around it), so a name is remembered only once PREPARE succeeded.
# Behind a pooler that hands out server sessions per transaction (PgBouncer in transaction
# mode) set DATABASE_SERVER_PREPARE = false.
_statement_names: dict[str, str] = {}
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
_unpreparable: set[str] = set()
_names_lock = threading.Lock()


def _statement_name(sql: str) -> str:
    name = _statement_names.get(sql)
    if name is None:
        with _names_lock:
            name = _statement_names.setdefault(sql, f"xx_prepared_{len(_statement_names) + 1}")
    return name


def _numbered(sql: str) -> str:
    """psycopg2's `%s` marks as PREPARE's `$1, $2, …`."""
    parts = sql.split("%s")
    out = [parts[0]]
    for n, part in enumerate(parts[1:], start=1):
        out.append(f"${n}{part}")
    return "".join(out)


def _execute_prepared(database, sql: str, args: list):
    if sql in _unpreparable or "%" in sql.replace("%s", ""):
        return database.execute_sql(sql, args)
    if any(type(arg) is int and not INT4_MIN <= arg <= INT4_MAX for arg in args):
        # A parameter compared with an id column is prepared as that column's int4, and EXECUTE
        # fails on an id past its range ("integer out of range": a 500 for `photo_ids:
        # [2147483648]`, found by make fuzz). No row has such an id; as plain SQL PostgreSQL
        # compares the wider number as it is and finds none, as SQLite does.
        return database.execute_sql(sql, args)
    conn = database.connection()
    name = _statement_name(sql)
    if name not in conn.prepared_names:
        # Inside a transaction a failed PREPARE would abort it: try it in a savepoint.
        guard = database.atomic() if database.in_transaction() else contextlib.nullcontext()
        try:
            with guard:
                database.execute_sql(f"PREPARE {name} AS {_numbered(sql)}")
        except DatabaseError:
            # A statement PostgreSQL cannot prepare untyped (a bare parameter whose type it
            # cannot infer): sent as it is, every time.
            _unpreparable.add(sql)
            return database.execute_sql(sql, args)
        conn.prepared_names.add(name)
    marks = ", ".join(["%s"] * len(args))
    return database.execute_sql(f"EXECUTE {name}({marks})" if args else f"EXECUTE {name}", args)


def init_app(app) -> None:
    previous = db.obj
    db.initialize(
        open_database(
            app.config["DATABASE_URL"],
            int(app.config["DATABASE_POOL_SIZE"]),
            server_prepare=bool(app.config["DATABASE_SERVER_PREPARE"]),
        )
    )
    # A process that builds a second app (the tests build one per test) must not keep the
    # first one's connections open.
    dispose(previous)

    # No connection is checked out up front: the first query of a request checks one out
    # (peewee's autoconnect), so a request that needs none (a cached board page, a static
    # file) never touches the pool — on PostgreSQL a checkout after a pause costs a
    # `SELECT 1` round trip, which was most of a cached scan page's time.

    @app.teardown_appcontext
    def _close(exc):
        # Gives the connection back to the pool (an open transaction is rolled back there).
        if not db.is_closed():
            db.close()
