"""Fixtures: an app on a fresh database per test (SQLite file, or PostgreSQL when
`TEST_DATABASE_URL` is set), its client and CLI runner, and the fake WeChat server.

A fresh SQLite database is a copy of one built by `schema.upgrade()` once per process:
copying a file costs a millisecond, creating the tables and indexes some 70 ms, and every
test pays it (docs/testing.md, "How long")."""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile

import pytest

from core import config as app_config

# The developer's shell must not leak into tests (e.g. a real WECHAT_APPID).
for _key in app_config.DEFAULTS:
    os.environ.pop(_key, None)

from app import create_app  # noqa: E402
from core import schema  # noqa: E402
from core.db import db  # noqa: E402
from tests.fake_wechat import FakeWeChat  # noqa: E402

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _reset_postgres() -> None:
    db.execute_sql("DROP SCHEMA public CASCADE")
    db.execute_sql("CREATE SCHEMA public")


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
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
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
        return create_app(cfg)
    app = create_app(cfg)
    with app.app_context():
        db.connect(reuse_if_open=True)
        if PG_URL:
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


def pytest_collection_modifyitems(config, items):
    """Under `make mutate` only: run tests with module-scoped fixtures last.

    mutmut runs a mutant's tests fastest-first by their measured call time, which leaves out
    fixtures; a module-scoped world (tests/test_row_scoping.py builds two streets of rows) is
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
