"""Fixtures: an app on a fresh database per test (SQLite file, or PostgreSQL when
`TEST_DATABASE_URL` is set), its client and CLI runner, and the fake WeChat server; the shared
worlds a test file starts from (`district_world`, `neighbours`, the console's `capp` and
`every_page_world`; build others with `tests.factories.make_world`).

A fresh SQLite database is a copy of one built by `schema.upgrade()` once per process:
copying a file costs a millisecond, creating the tables and indexes some 70 ms, and every
test pays it. On PostgreSQL the schema is built once per process too, and a test's database is
made fresh in one statement by truncating the tables the last test used and restarting every
sequence (tens of milliseconds, where dropping and re-creating the schema took a quarter of a
second and more), as long as the schema is still the one built: a test that changed it (the upgrade and instance tests) gets
the schema dropped and built again. Under pytest-xdist each worker has its own PostgreSQL
database, `<TEST_DATABASE_URL's database>_<worker>`, created when missing (docs/testing.md)."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile

import psycopg2
import pytest
from jinja2 import BytecodeCache
from peewee import DatabaseError
from playhouse.db_url import parse
from werkzeug.routing import Rule

from infra import config as app_config

# The developer's shell must not leak into tests (e.g. a real WECHAT_APPID).
for _key in app_config.DEFAULTS:
    os.environ.pop(_key, None)


def _reuse_url_builders() -> None:
    """Build each route's URL builder once per process, not once per app.

    Werkzeug compiles two builder functions per rule (an AST, then `compile()`) when a rule is
    added to an app's URL map: 2 × 207 rules, some 60 ms of the 80 ms `create_app` costs, and the
    tests build an app per test. A builder depends only on the rule's parsed parts, its
    defaults and whether unknown arguments are appended; it reads the converters from the rule
    it is bound to when called. So a builder made for one app's rule is the same function for
    the same rule of the next app; only its binding differs (`Rule.compile` binds it)."""
    original = Rule._compile_builder
    builders: dict = {}

    def cached(self, append_unknown: bool = True):
        key = (
            self.rule,
            tuple(self._trace),
            tuple((name, type(conv)) for name, conv in self._converters.items()),
            tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items())),
            append_unknown,
        )
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = original(self, append_unknown)
        return builder

    Rule._compile_builder = cached


_reuse_url_builders()


class _SharedTemplateCode(BytecodeCache):
    """Jinja's compiled templates kept for the process, shared by every test's app.

    Each app has its own Jinja environment, which compiles a template the first time it
    renders it: the console's pages cost some 40 ms each, again in every test. A bytecode cache
    is keyed by the template's name and a checksum of its source, so an edited template is
    compiled anew; what is rendered is the same."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_template_code = _SharedTemplateCode()

from app import create_app  # noqa: E402
from core import schema  # noqa: E402
from infra.db import db, forget_compiled  # noqa: E402
from models import Department  # noqa: E402
from tests.console_world import build, every_page  # noqa: E402
from tests.factories import make_world  # noqa: E402
from tests.fake_wechat import FakeWeChat  # noqa: E402


def _worker_database(url: str | None) -> str | None:
    """Under pytest-xdist: this worker's own database on the test server (created if missing),
    so that workers never empty or drop each other's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base, mark, query = url.partition("?")
    server, _, name = base.rpartition("/")
    own = f"{name}_{worker}"
    params = parse(url)
    conn = psycopg2.connect(
        dbname=name,
        user=params.get("user"),
        host=params.get("host"),
        port=params.get("port"),
        password=params.get("password"),
    )
    conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (own,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{own}"')
    finally:
        conn.close()
    return f"{server}/{own}{mark}{query}"


PG_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))
if PG_URL:
    # Tests that start processes hand this on; they must reach this worker's database too.
    os.environ["TEST_DATABASE_URL"] = PG_URL


def _reset_postgres() -> None:
    db.execute_sql("DROP SCHEMA public CASCADE")
    db.execute_sql("CREATE SCHEMA public")


# Everything about the database's schema that a test could change, and the recorded versions:
# equal to what it was after `schema.upgrade()` built it means emptying the tables makes the
# database fresh again.
_PG_SCHEMA_FINGERPRINT = """
SELECT md5(string_agg(item, E'\n' ORDER BY item)) FROM (
    SELECT 'n:' || nspname AS item FROM pg_namespace
     WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
    UNION ALL
    SELECT 'c:' || relname || ':' || relkind::text FROM pg_class
     WHERE relnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'a:' || c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
           || ':' || a.attnotnull::text || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'i:' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL
    SELECT 'k:' || conrelid::regclass::text || ':' || conname || ':' || pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT 't:' || tgrelid::regclass::text || ':' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'f:' || oid::regprocedure::text FROM pg_proc WHERE pronamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'y:' || typname FROM pg_type WHERE typnamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'v:' || version || ':' || description FROM schema_version
) AS schema_items
"""

# (the fingerprint of the schema as built, the statement that empties it) for this process's
# database; None until built, and always None without the superuser rights that emptying
# tables regardless of their foreign keys needs.
_pg_built: tuple[str, str] | None = None


def _pg_fingerprint() -> str | None:
    try:
        return db.execute_sql(_PG_SCHEMA_FINGERPRINT).fetchone()[0]
    except DatabaseError:  # no schema_version table: certainly not the schema as built
        return None


# Truncates (new, empty files for the tables and their indexes, as on a new database) the tables
# a test wrote to or that were analysed, with those referring to them (CASCADE); a table never
# written has no page.
_PG_TRUNCATE_TOUCHED = """
DO $$
DECLARE touched text;
BEGIN
    SELECT string_agg(quote_ident(relname), ', ') INTO touched FROM pg_class
     WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
       AND relname <> 'schema_version' AND (pg_relation_size(oid) > 0 OR reltuples <> -1);
    IF touched IS NOT NULL THEN
        EXECUTE 'TRUNCATE ' || touched || ' CASCADE';
    END IF;
END
$$;
"""


def _pg_emptying_statement() -> str | None:
    """One statement that makes the database as `schema.upgrade()` left it: every table but the
    schema versions truncated if it was used, every sequence at its start, and what the
    planner knows of the tables forgotten (their statistics, and the counters that would make
    autovacuum analyse them now that they are empty): a query's plan, which some tests check,
    is then the one it would be on a new database. Emptying tables by DELETE costs a
    millisecond but leaves them their pages, and plans change. Needs a superuser
    (pg_statistic)."""
    if db.execute_sql("SELECT current_setting('is_superuser')").fetchone()[0] != "on":
        return None
    restarts = [
        f"setval('public.\"{name}\"', {start}, false)"
        for name, start in db.execute_sql(
            "SELECT c.relname, s.seqstart FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid"
            " WHERE c.relnamespace = 'public'::regnamespace ORDER BY c.relname"
        )
    ]
    return "".join(
        [
            _PG_TRUNCATE_TOUCHED,
            "DELETE FROM pg_statistic WHERE starelid IN"
            " (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace);",
            "SELECT pg_stat_reset_single_table_counters(oid) FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r';",
            f"SELECT {', '.join(restarts)};" if restarts else "",
        ]
    )


def _fresh_postgres() -> None:
    """Make the test database as `schema.upgrade()` leaves a new one: by emptying it when its
    schema is still the one built here, else by dropping the schema and building it again."""
    global _pg_built
    if _pg_built is not None and _pg_fingerprint() == _pg_built[0]:
        with db.atomic():
            db.execute_sql(_pg_built[1])
        return
    _reset_postgres()
    schema.upgrade()
    emptying = _pg_emptying_statement()
    _pg_built = (_pg_fingerprint(), emptying) if emptying else None


# A database at the latest schema version and nothing else, built by the first `make_app` of
# this process; each new SQLite database of a test starts as a copy of it.
_sqlite_template: str | None = None


def _new_sqlite_file(url: str) -> str | None:
    """The path of a SQLite database file the URL names that does not exist yet (None: the URL
    is PostgreSQL, in memory, or an existing file, which `schema.upgrade()` must see)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    if not path or path == ":memory:" or path.startswith("file:") or os.path.exists(path):
        return None
    return path


def _keep_as_template(path: str) -> None:
    """Copy a freshly upgraded database to the template (sqlite3's backup: a consistent copy
    with what is still in the WAL, which the pool's open connection has not checkpointed)."""
    global _sqlite_template
    folder = tempfile.mkdtemp(prefix="xx-test-template-")
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not a forked child that exits normally (tests fork)
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    target = os.path.join(folder, "template.db")
    source, copy = sqlite3.connect(path), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    _sqlite_template = target


def make_app(tmp_path, **overrides):
    cfg = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "MEDIA_DIR": str(tmp_path / "media"),
        "SECRET_KEY": "test-secret",
        "PUBLIC_BASE_URL": "https://xx.example.cn",
        "PROPAGATE_UNEXPECTED": False,
        # scrypt costs ~0.6 s a hash: most tests log staff in, and mutation testing runs them
        # thousands of times. Verification reads the method from the stored hash.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    cfg.update(overrides)
    new_file = _new_sqlite_file(cfg["DATABASE_URL"])
    if new_file and _sqlite_template:
        os.makedirs(os.path.dirname(new_file), exist_ok=True)
        shutil.copyfile(_sqlite_template, new_file)
        app = create_app(cfg)
        app.jinja_env.bytecode_cache = _template_code
        return app
    app = create_app(cfg)
    app.jinja_env.bytecode_cache = _template_code
    with app.app_context():
        db.connect(reuse_if_open=True)
        if PG_URL and cfg["DATABASE_URL"] == PG_URL:
            _fresh_postgres()
        else:
            if PG_URL:  # another database on the test server (a second instance)
                _reset_postgres()
            schema.upgrade()
        db.close()
        if new_file:
            _keep_as_template(new_file)
    return app


@pytest.fixture
def fake_wechat():
    with FakeWeChat() as fake:
        yield fake


@pytest.fixture
def app(tmp_path):
    """Offline mode (no WECHAT_APPID), like a fresh `make run`."""
    application = make_app(tmp_path)
    with application.app_context():
        yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def online_app(tmp_path, fake_wechat):
    """Online mode, every WeChat call going to the fake server."""
    application = make_app(
        tmp_path,
        WECHAT_APPID=fake_wechat.appid,
        WECHAT_SECRET=fake_wechat.secret,
        WECHAT_API_BASE=fake_wechat.base_url,
        WECOM_API_BASE=fake_wechat.base_url,
    )
    with application.app_context():
        yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def every_page_world(tmp_path_factory):
    """(app, the console's world, every page of the app in it), built once per test module."""
    app = make_app(tmp_path_factory.mktemp("every-page"))
    with app.app_context():
        w = build(app)
        yield app, w, every_page(app, w)
    if not db.is_closed():
        db.close()


@pytest.fixture
def capp(tmp_path):
    """The console's app over plain http (PUBLIC_BASE_URL http://xx.example.cn, so its session
    cookie is not marked Secure), inside its app context."""
    app = make_app(tmp_path, PUBLIC_BASE_URL="http://xx.example.cn")
    with app.app_context():
        yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def district_world(client):
    """One district and its everyday cast: two residents (张大妈, 李大爷), the first alley's
    steward, the first community's staff, the street's admin, and a department of the street;
    "board" is the first alley's board code."""
    w = make_world(
        client,
        residents={"resident": "张大妈", "neighbour": "李大爷"},
        stewards={"steward": 0},
        staff={"staff": 0},
        admins={"admin": None},
    )
    w["board"] = w["d"].boards[0].code
    w["dept"] = Department.create(area=w["d"].street, name="城管执法中队", phone="12319")
    return w


@pytest.fixture
def neighbours(client):
    """Community X (alleys A, B) and Y (alleys C, D); a steward each; staff of X and of Y.

    The people nearest to being allowed: a test of a refusal acts as the next alley's steward
    or the next community's staff (`tests.factories.report_issue`, `open_wish` build on it)."""
    return make_world(
        client,
        residents={"resident": "张大妈", "volunteer": "志愿者小李"},
        stewards={"steward_a": 0, "steward_b": 1, "steward_c": 2},
        staff={"staff_x": 0, "staff_y": 1},
    )


@pytest.fixture(autouse=True)
def _compiled_afresh_under_mutmut():
    """Under `make mutate` only: every test compiles its statements afresh, so that a mutant
    of a function building one (`infra.db.Prepared`'s build) is run, not skipped for the copy
    compiled from the original code before mutmut forked the test run (`forget_compiled`)."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        forget_compiled()
    yield


def pytest_collection_modifyitems(config, items):
    """Under `make mutate` only: run tests with module-scoped fixtures last.

    mutmut runs a mutant's tests fastest-first by their measured call time, which leaves out
    fixtures; a module-scoped world (tests/api/test_row_scoping.py builds two streets of rows) is
    charged to no test and so comes first, and every mutant would pay for it before reaching
    the tests that kill it. Moving such tests to the end (keeping their order) changes no
    result, only how soon a killed mutant stops. `make test` is not affected."""
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return

    def shares_a_fixture(item) -> bool:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info else ()
        # Our own fixtures only: pytest's session-scoped ones (tmp_path_factory) are everywhere.
        return any(d[-1].scope != "function" and d[-1].baseid.startswith("tests") for d in defs)

    items.sort(key=shares_a_fixture)
